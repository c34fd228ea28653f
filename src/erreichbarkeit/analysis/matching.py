"""Inputs that must match each other: a named error when nothing matches, a warning when part does.

Checked in :func:`erreichbarkeit.pipeline.load_inputs`, before any routing:

* a population table whose AGS match none of the Gemeinden holding villages
  (the output would name it as a source while ignoring it);
* boundaries that do not overlap the network data, or hold none of the
  villages (every village would fall "outside all Gemeinden");
* an own villages file whose places lie outside the network data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io import read_boundaries

__all__ = [
    "check_boundaries_hold_villages",
    "check_population_match",
    "check_villages_inside",
    "raise_no_overlap",
]

logger = logging.getLogger(__name__)


def _shown(values: Iterable[object], limit: int = 5) -> str:
    items = [str(v) for v in values]
    return ", ".join(items[:limit]) + (" …" if len(items) > limit else "")


def check_population_match(
    table: pd.DataFrame, village_ags: pd.Series, path: Path
) -> tuple[int, int]:
    """How many Gemeinden holding villages the population table gives a number for.

    Parameters
    ----------
    table
        ``ags``, ``population`` (:func:`erreichbarkeit.io.read_population`).
    village_ags
        The ``ags`` of every village (NA outside all Gemeinden).
    path
        The population table (for messages).

    Returns
    -------
    tuple
        ``(matched, total)``: Gemeinden with villages that got a number, and
        all Gemeinden with villages.  A partial match is logged as a warning.

    Raises
    ------
    InputDataError
        When no Gemeinde with villages gets a number from the table.
    """
    wanted = sorted(set(village_ags.dropna().astype(str)))
    values = table.dropna(subset=["population"])
    have = set(values["ags"].astype(str))
    matched = [a for a in wanted if a in have]
    if not wanted:
        msg = "no Gemeinde holds a village, so the population table cannot be matched"
        raise InputDataError(
            msg,
            file=path,
            expected="Gemeinde boundaries around the villages",
            message_de="Die Einwohnertabelle lässt sich keiner Gemeinde zuordnen: kein Ort "
            "liegt in einer Gemeinde (Gemeindegrenzen fehlen oder passen nicht)",
        )
    if not matched:
        example = _shown(table["ags"].astype(str), 3)
        msg = (
            f"none of the {len(wanted)} Gemeinden with villages ({_shown(wanted)}) has a "
            f"population in the table (its keys: {example})"
        )
        raise InputDataError(
            msg,
            file=path,
            expected=f"AGS of the Gemeinden, e.g. {wanted[0]}",
            message_de=f"Keiner der Gemeindeschlüssel passt zu den {len(wanted)} Gemeinden "
            f"mit Orten (erwartet z. B. {_shown(wanted, 3)}; in der Datei: {example})",
        )
    missing = [a for a in wanted if a not in have]
    if missing:
        logger.warning(
            "%s: population found for only %d of %d Gemeinden with villages; missing AGS: %s",
            path.name,
            len(matched),
            len(wanted),
            _shown(missing, 10),
        )
    return len(matched), len(wanted)


def check_boundaries_hold_villages(village_ags: pd.Series, path: Path | None) -> None:
    """No village inside any Gemeinde of a boundaries file is an error; some outside, a warning.

    Raises
    ------
    InputDataError
        When a boundaries file is given and no village lies in any of its Gemeinden.
    """
    n = len(village_ags)
    n_out = int(village_ags.isna().sum())
    if path is not None and n and n_out == n:
        msg = f"none of the {n} villages lies in a Gemeinde of the file"
        raise InputDataError(
            msg,
            file=path,
            expected="Gemeinde polygons around the villages (same region, right CRS)",
            message_de=f"Keiner der {n} Orte liegt in einer Gemeinde dieser Datei "
            "(anderes Gebiet oder falsches Koordinatensystem?)",
        )
    if n_out:
        logger.warning(
            "%d of %d villages lie outside every Gemeinde%s; they count for no Gemeinde",
            n_out,
            n,
            f" of {path.name}" if path is not None else "",
        )


def check_villages_inside(outside: npt.NDArray[np.bool_], names: pd.Series, path: Path) -> None:
    """Own villages outside the network data: all → error, some → warning.

    Parameters
    ----------
    outside
        Per village: lies outside the network coverage.
    names
        Village names (for the messages).
    path
        The villages file.

    Raises
    ------
    InputDataError
        When every village lies outside the network data.
    """
    n, n_out = len(outside), int(np.count_nonzero(outside))
    if n and n_out == n:
        msg = f"none of the {n} villages lies in the area of the road network"
        raise InputDataError(
            msg,
            file=path,
            expected="villages inside the area of the network file",
            message_de=f"Keiner der {n} Orte liegt im Gebiet des Straßennetzes "
            "(anderes Gebiet, vertauschte Koordinaten oder falsches Koordinatensystem?)",
        )
    if n_out:
        logger.warning(
            "%s: %d of %d villages lie outside the road network's area (%s); "
            "they get no travel times",
            path.name,
            n_out,
            n,
            _shown(names[outside]),
        )


def raise_no_overlap(path: Path, layer: str | None, region: Any) -> None:
    """Raise the error for a boundaries file none of whose Gemeinden overlaps the network data.

    Parameters
    ----------
    path, layer
        The boundaries file (read again, unclipped, to name its extent).
    region
        The network's area (EPSG:4326).

    Raises
    ------
    InputDataError
        Always, naming the file's and the network's extent.
    """
    whole = read_boundaries(path, layer=layer)
    fx0, fy0, fx1, fy1 = whole.total_bounds
    nx0, ny0, nx1, ny1 = region.bounds
    file_box = f"lon {fx0:.2f}–{fx1:.2f}, lat {fy0:.2f}–{fy1:.2f}"
    net_box = f"lon {nx0:.2f}–{nx1:.2f}, lat {ny0:.2f}–{ny1:.2f}"
    msg = (
        f"no Gemeinde of the file overlaps the road network (file: {file_box}; network: {net_box})"
    )
    raise InputDataError(
        msg,
        file=path,
        expected="Gemeinde polygons of the network's region",
        message_de="Keine Gemeinde dieser Datei liegt im Gebiet des Straßennetzes (Datei: "
        f"{file_box.replace('.', ',')}; Netz: {net_box.replace('.', ',')}); anderes Gebiet "
        "oder falsches Koordinatensystem?",
    )
