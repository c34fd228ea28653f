"""The children table of a run: read, matched to the Gemeinden, recorded as a data source.

Hooked into the population step of :mod:`erreichbarkeit.pipeline._inputs`:
:func:`children_inputs` returns the keyword arguments of
:func:`erreichbarkeit.analysis.population.estimate_population` and appends
the table's data-source record to the step's records.
"""

from __future__ import annotations

import difflib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from erreichbarkeit.config import Settings
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io.children import ChildrenTable, read_children

__all__ = ["children_inputs"]

logger = logging.getLogger(__name__)

#: Up to this many AGS are named in a message.
_SHOWN = 5


def children_inputs(
    settings: Settings,
    village_ags: pd.Series,
    gemeinde_population: pd.Series,
    sources: list[dict[str, str]],
) -> dict[str, Any]:
    """Read ``settings.children`` and return the estimate's ``children`` arguments.

    Parameters
    ----------
    settings
        The run configuration (``children``, ``attribution["children"]``).
    village_ags
        The AGS of every village (NA outside all Gemeinden).
    gemeinde_population
        Inhabitants per AGS (for the plausibility check).
    sources
        The population step's data-source records; the table's record is
        appended.

    Returns
    -------
    dict
        ``{}`` without a table, else ``children`` (counts per AGS and age
        group) and ``children_file`` (its name, for the labels).

    Raises
    ------
    InputDataError
        The table is unusable, or none of its Gemeinden holds a village.
    """
    if settings.children is None:
        return {}
    path = Path(settings.children)
    table = read_children(path)
    for p in table.problems:
        logger.warning("%s, Zeile %d: %s", p.file, p.row, p.message_de)
    wanted = sorted(set(village_ags.dropna().astype(str)))
    matched = [a for a in wanted if a in table.counts.index]
    if not matched:
        _raise_no_match(table, wanted)
    _warn_unknown(table, wanted)
    _warn_implausible(table, gemeinde_population)
    groups = ", ".join(g.replace("-", "–") for g in table.groups)
    override = settings.attribution.get("children")
    sources.append(
        {
            "Daten": f"Kinder je Gemeinde, Altersgruppen {groups} (gefunden für "
            f"{len(matched)} von {len(wanted)} Gemeinden mit Orten)",
            "Datei": path.name,
            "Quelle": override or "Einwohnermeldeamt der Kommune (Angabe der Nutzer)",
            "Lizenz": "",
            "Stand": _file_date(path),
        }
    )
    return {"children": table.counts, "children_file": path.name}


def _raise_no_match(table: ChildrenTable, wanted: list[str]) -> None:
    """No Gemeinde with villages is in the table: a German error naming the file."""
    have = ", ".join(list(table.counts.index)[:_SHOWN])
    expected = ", ".join(wanted[:_SHOWN]) or "—"
    msg = f"no Gemeinde with villages ({expected}) is in the children table (its keys: {have})"
    raise InputDataError(
        msg,
        file=table.file,
        expected=f"AGS of the Gemeinden, e.g. {expected}",
        message_de="Keiner der Gemeindeschlüssel der Kindertabelle passt zu den "
        f"{len(wanted)} Gemeinden mit Orten (erwartet z. B. {expected}; in der Datei: {have})",
    )


def _warn_unknown(table: ChildrenTable, wanted: list[str]) -> None:
    """Warn about AGS of the table that name no Gemeinde with villages (with a suggestion)."""
    for ags in (a for a in table.counts.index if a not in wanted):
        near = difflib.get_close_matches(str(ags), wanted, n=1, cutoff=0.75)
        hint = f" – meinten Sie {near[0]}?" if near else ""
        logger.warning(
            "%s: Gemeindeschlüssel %s gehört zu keiner Gemeinde mit Orten; "
            "die Zeile wird nicht verwendet%s",
            table.file.name,
            ags,
            hint,
        )


def _warn_implausible(table: ChildrenTable, gemeinde_population: pd.Series) -> None:
    """Warn where an age group holds more children than the Gemeinde has inhabitants."""
    population = pd.Series(gemeinde_population, dtype=float)
    for group in table.groups:
        counts = table.counts[group].dropna()
        limit = population.reindex(counts.index)
        for ags in counts.index[(counts > limit).to_numpy()]:
            logger.warning(
                "%s: Gemeinde %s hat in der Altersgruppe %s %s Kinder, aber nur %s Einwohner",
                table.file.name,
                ags,
                group.replace("-", "–"),
                f"{counts[ags]:.0f}",
                f"{limit[ags]:.0f}",
            )


def _file_date(path: Path) -> str:
    """The file's modification date, labelled as such (as for the other inputs)."""
    try:
        return "Datei vom " + datetime.fromtimestamp(path.stat().st_mtime).strftime("%d.%m.%Y")
    except OSError:
        return ""
