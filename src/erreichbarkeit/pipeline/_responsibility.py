"""The Zuständigkeit tables in a run: read before routing, compared after it.

* :func:`reads_responsibility` wraps :func:`~erreichbarkeit.pipeline.load_inputs`:
  the tables of ``settings.responsibility`` are read and checked against the
  villages and offers in the load phase, so their errors appear before any
  routing; Stellen given by address or coordinates join the offers.
* :func:`responsibility_results` (after the matrix step) routes the village →
  responsible-Stelle pairs missing in the long table (Bus & Bahn asks the
  timetable only for the nearest offers of each category) and computes
  :func:`~erreichbarkeit.analysis.responsibility.responsibility_table`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit._schema import LONG_COLUMNS
from erreichbarkeit.analysis.responsibility import responsibility_table
from erreichbarkeit.config import Settings
from erreichbarkeit.io.responsibility import empty_assignments, read_responsibility
from erreichbarkeit.network.matrix import with_access_legs
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.network.transit.router import TransitRouter
from erreichbarkeit.results import Inputs

__all__ = ["missing_pairs", "reads_responsibility", "responsibility_results", "route_missing"]

logger = logging.getLogger(__name__)


def reads_responsibility[**P](load: Callable[P, Inputs]) -> Callable[P, Inputs]:
    """Decorate ``load_inputs``: read the Zuständigkeit tables of its settings too."""

    @functools.wraps(load)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Inputs:
        data = load(*args, **kwargs)
        settings = args[0] if args else kwargs.get("settings")
        if not isinstance(settings, Settings) or not settings.responsibility:
            return data
        return with_responsibility(settings, data)

    return wrapper


def with_responsibility(settings: Settings, data: Inputs) -> Inputs:
    """The inputs with the resolved assignments, their row problems and extra offers.

    Raises
    ------
    InputDataError
        When a table has not one usable row (or cannot be read).
    """
    frames: list[pd.DataFrame] = []
    extras: list[gpd.GeoDataFrame] = []
    problems: list[Any] = []
    sources: list[dict[str, str]] = []
    bounds = tuple(float(v) for v in data.villages.total_bounds)
    offers = data.offers
    for path in map(Path, settings.responsibility):
        res = read_responsibility(
            path, settings.categories(), villages=data.villages, offers=offers,
            addresses=data.addresses, region_bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
        )  # fmt: skip
        if res.failure is not None:
            raise res.failure
        frames.append(res.assignments)
        problems.extend(res.problems)
        if len(res.offers):
            extras.append(res.offers)
            offers = pd.concat([offers, res.offers], ignore_index=True)
        sources.append(_source(settings, path))
    assignments = _merged(frames)
    if extras:
        offers = gpd.GeoDataFrame(offers, geometry="geometry", crs=data.offers.crs)
    return dataclasses.replace(
        data,
        offers=offers,
        responsibility=assignments,
        problems=(*data.problems, *problems),
        sources=(*data.sources, *sources),
    )


def _merged(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The assignments of all tables; for a village × category the first table wins."""
    if not frames:
        return empty_assignments()
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(["village_id", "category"], keep="first")
    if dup.any():
        logger.warning(
            "%d village × category responsibilities given in several tables; the first wins",
            int(dup.sum()),
        )
    return out[~dup].reset_index(drop=True)


def _source(settings: Settings, path: Path) -> dict[str, str]:
    """The data-source record of one table (the Methodik sheet)."""
    try:
        stand = "Datei vom " + datetime.fromtimestamp(path.stat().st_mtime).strftime("%d.%m.%Y")
    except OSError:
        stand = ""
    override = settings.attribution.get("responsibility")
    return {
        "Daten": "Zuständigkeiten (Schulbezirke, Ämter)",
        "Datei": path.name,
        "Quelle": override or "Angabe der Nutzer",
        "Lizenz": "",
        "Stand": stand,
    }


def missing_pairs(
    travel_times: pd.DataFrame, assignments: pd.DataFrame, modes: tuple[str, ...]
) -> pd.DataFrame:
    """``village_id, offer_id, category, mode`` of the assignments absent from the long table."""
    pairs = assignments[["village_id", "offer_id", "category"]].astype(str).drop_duplicates()
    have = set(
        zip(
            travel_times["origin_id"].astype(str),
            travel_times["destination_id"].astype(str),
            travel_times["mode"].astype(str),
            strict=True,
        )
    )
    rows = [
        (v, o, c, m)
        for m in modes
        for v, o, c in pairs.itertuples(index=False, name=None)
        if (v, o, m) not in have
    ]
    return pd.DataFrame(rows, columns=["village_id", "offer_id", "category", "mode"])


def route_missing(
    routers: Mapping[str, RouterLike],
    villages: pd.DataFrame,
    offers: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    cutoff_minutes: float,
    max_snap_m: float,
) -> pd.DataFrame:
    """Long-table rows of exactly the missing pairs, one ``table()`` per mode and Stelle.

    Pairs beyond the cutoff or with an end too far from the network stay absent.
    """
    vxy = _xy(villages)
    oxy = _xy(offers)
    frames: list[pd.DataFrame] = []
    for (mode, oid, cat), group in missing.groupby(["mode", "offer_id", "category"], sort=True):
        router = routers.get(str(mode))
        if router is None or str(oid) not in oxy.index:
            continue
        vids = [v for v in group["village_id"] if v in vxy.index]
        if not vids:
            continue
        src = vxy.loc[vids].to_numpy(dtype=float)
        dst = oxy.loc[[str(oid)]].to_numpy(dtype=float)
        if isinstance(router, TransitRouter):  # the category's departure window
            answer = router.table(src, dst, categories=[str(cat)])
        else:
            answer = router.table(src, dst)
        minutes, km = with_access_legs(answer, router.access_kmh)
        ok = np.isfinite(minutes[:, 0]) & (minutes[:, 0] <= cutoff_minutes)
        ok &= answer.source_snap_m <= max_snap_m
        ok &= bool(answer.destination_snap_m[0] <= max_snap_m)
        frames.append(
            pd.DataFrame(
                {"origin_id": np.asarray(vids, dtype=object)[ok], "destination_id": str(oid),
                 "mode": str(mode), "minutes": minutes[ok, 0], "km": km[ok, 0]}
            )
        )  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=list(LONG_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _xy(points: pd.DataFrame) -> pd.DataFrame:
    """``lon, lat`` by string id (first of a repeated id)."""
    geom = points.geometry
    frame = pd.DataFrame(
        {"lon": geom.x.to_numpy(), "lat": geom.y.to_numpy()},
        index=points["id"].astype(str).to_numpy(),
    )
    return frame[~frame.index.duplicated()]


def responsibility_results(
    settings: Settings,
    data: Inputs,
    routers: Mapping[str, RouterLike],
    travel_times: pd.DataFrame,
) -> pd.DataFrame:
    """The Zuständigkeit comparison of a run (empty without tables).

    Road modes route every village × offer pair within the cutoff in the
    matrix step, so only their pairs beyond it are missing; Bus & Bahn asks
    the timetable for the nearest offers only, and its missing pairs are
    routed here.  Villages outside the analysis area (``in_area`` False) are
    left out when the column is present.
    """
    assignments = data.responsibility
    if assignments is None or assignments.empty:
        return pd.DataFrame()
    villages = data.villages
    if "in_area" in villages.columns:
        villages = villages[villages["in_area"].fillna(False).astype(bool)]
    road = set(settings.road_modes)
    missing = missing_pairs(travel_times, assignments, settings.modes)
    missing = missing[~missing["mode"].isin(road)]
    if len(missing):
        logger.info(
            "routing %d village → responsible-Stelle pairs the matrix left out", len(missing)
        )
    extra = route_missing(
        routers, villages, data.offers, missing,
        cutoff_minutes=settings.routing.cutoff_minutes, max_snap_m=settings.routing.max_snap_m,
    )  # fmt: skip
    if len(extra):
        logger.info("%d village → responsible-Stelle pairs routed in addition", len(extra))
    tt = pd.concat([travel_times, extra], ignore_index=True) if len(extra) else travel_times
    table = settings.categories()
    return responsibility_table(
        villages, tt, data.offers, assignments, modes=settings.modes,
        age_groups={k: c.age_groups for k, c in table.items()},
    )  # fmt: skip
