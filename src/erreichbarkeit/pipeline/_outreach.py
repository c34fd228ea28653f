"""The tables of outreach offers („aufsuchende Angebote“) in a run: read before routing.

:func:`reads_outreach` wraps :func:`~erreichbarkeit.pipeline.load_inputs`:
the tables of ``settings.outreach`` are read and checked against the villages
in the load phase, so their errors appear before any routing.  The villages
get the outreach columns (:func:`~erreichbarkeit.analysis.outreach.outreach_columns`)
that every village table built from them carries and the indicators honour
(:mod:`erreichbarkeit.analysis.outreach`); :attr:`Inputs.outreach` keeps the
resolved table (one row per village × category × offer).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis.outreach import outreach_columns
from erreichbarkeit.config import Settings
from erreichbarkeit.io.outreach import empty_outreach, read_outreach
from erreichbarkeit.results import Inputs

__all__ = ["reads_outreach", "with_outreach_inputs"]

logger = logging.getLogger(__name__)


def reads_outreach[**P](load: Callable[P, Inputs]) -> Callable[P, Inputs]:
    """Decorate ``load_inputs``: read the outreach tables of its settings too."""

    @functools.wraps(load)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Inputs:
        data = load(*args, **kwargs)
        settings = args[0] if args else kwargs.get("settings")
        if not isinstance(settings, Settings) or not settings.outreach:
            return data
        return with_outreach_inputs(settings, data)

    return wrapper


def with_outreach_inputs(settings: Settings, data: Inputs) -> Inputs:
    """The inputs with the outreach table, the villages' outreach columns and row problems.

    Raises
    ------
    InputDataError
        When a table has not one usable row (or cannot be read).
    """
    frames: list[pd.DataFrame] = []
    problems: list[Any] = []
    sources: list[dict[str, str]] = []
    for path in map(Path, settings.outreach):
        res = read_outreach(path, settings.categories(), villages=data.villages)
        if res.failure is not None:
            raise res.failure
        frames.append(res.served)
        problems.extend(res.problems)
        sources.append(_source(settings, path))
    served = _merged(frames)
    villages = outreach_columns(data.villages, served)
    return dataclasses.replace(
        data,
        villages=gpd.GeoDataFrame(villages, geometry="geometry", crs=data.villages.crs),
        outreach=served,
        problems=(*data.problems, *problems),
        sources=(*data.sources, *sources),
    )


def _merged(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of all tables; a village × category × offer given twice: the first."""
    if not frames:
        return empty_outreach()
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(["village_id", "category", "name"], keep="first")
    if dup.any():
        logger.warning("%d outreach rows given in several tables; the first wins", int(dup.sum()))
    return out[~dup].reset_index(drop=True)


def _source(settings: Settings, path: Path) -> dict[str, str]:
    """The data-source record of one table (the Methodik sheet)."""
    try:
        stand = "Datei vom " + datetime.fromtimestamp(path.stat().st_mtime).strftime("%d.%m.%Y")
    except OSError:
        stand = ""
    return {
        "Daten": "Aufsuchende Angebote (versorgte Gemeinden und Orte)",
        "Datei": path.name,
        "Quelle": settings.attribution.get("outreach") or "Angabe der Nutzer",
        "Lizenz": "",
        "Stand": stand,
    }
