"""The one entry point both front-ends use: ``run(settings) -> Results``.

Steps (each timed, each reporting progress):

1. read the network file: an OSM file directly, or a GIS line layer
   converted to OSM XML (cached by content hash,
   :mod:`erreichbarkeit.io.network_source`);
2. read villages (OSM places or the user's file), offers (OSM POIs and/or
   the planners' lists, geocoded offline, combined by
   :mod:`erreichbarkeit.io.offer_merge`), Gemeinde boundaries, population;
3. prepare the OSRM network per mode (cached), start the timetable worker
   for Bus & Bahn (GTFS feeds checked in step 2) and compute the long table;
4. indicators per village, per Gemeinde and for the whole region, supply
   versus demand (2SFCA) and, when configured, the population grid.

This module only orders the steps; what each step does lives in the layers
below.  Exports are a separate call
(:func:`erreichbarkeit.report.outputs.export_results`) so that the
dashboard can compute once and export on demand.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit._atomic import sweep_stale
from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.grid import GridResult, compute_grid
from erreichbarkeit.analysis.supply_tables import supply_tables
from erreichbarkeit.config import WGS84, ProgressCallback, Settings
from erreichbarkeit.config.routing import GRID_REFERENCE_ENV, grid_ch_policy
from erreichbarkeit.network.grid_networks import grid_routers
from erreichbarkeit.network.grid_networks import start as start_ch_preparation
from erreichbarkeit.network.matrix import MatrixResult, travel_times
from erreichbarkeit.network.routing import Router, RouterLike, prepare_router
from erreichbarkeit.network.transit.engine import transit_status as _transit_status
from erreichbarkeit.network.transit.setup import open_transit_router
from erreichbarkeit.pipeline._area import restrict_results
from erreichbarkeit.pipeline._inputs import load_inputs
from erreichbarkeit.pipeline._responsibility import responsibility_results
from erreichbarkeit.pipeline._steps import READ_STEP, report, timed
from erreichbarkeit.pipeline._transit import transit_indicators
from erreichbarkeit.pipeline.store import ResultStore, default_store_root, load_or_run
from erreichbarkeit.results import Inputs, Results

__all__ = ["ResultStore", "default_store_root", "load_inputs", "run"]

logger = logging.getLogger(__name__)


# -- the steps of run ----------------------------------------------------------------------


def _routers(
    settings: Settings,
    data: Inputs,
    timings: dict[str, float],
    progress: ProgressCallback | None,
) -> dict[str, RouterLike]:
    """Prepare the OSRM network of every mode (cached on disk), each step timed.

    Bus & Bahn gets the foot network for its walk legs (prepared even when
    ``walk`` itself is not a mode of the run) and the timetable worker.
    """
    routers: dict[str, RouterLike] = {}
    road = list(settings.road_modes)
    if "pt" in settings.modes and "walk" not in road:
        road.append("walk")
    for mode in road:
        with timed(timings, f"Netz vorbereiten ({mode})"):
            routers[mode] = prepare_router(settings, data.network_osm, mode, progress=progress)
    if "pt" in settings.modes:
        report(progress, "Fahrplan laden (Bus & Bahn)", 0, 1)
        with timed(timings, "Fahrplan laden (Bus & Bahn)"):
            walk = routers["walk"]
            assert isinstance(walk, Router)
            routers["pt"] = open_transit_router(settings, walk, data.timetable)
    return routers


def _transit_switch(settings: Settings) -> tuple[Settings, tuple[str, ...]]:
    """Settings without ``pt`` and a German notice when the timetable worker is missing.

    The rest of the product runs as before: Bus & Bahn is switched off, and
    the dashboard and the Methodik sheet say why.
    """
    if "pt" not in settings.modes:
        return settings, ()
    status = _transit_status(settings.transit.python)
    if status.available:
        return settings, ()
    logger.warning("Bus & Bahn switched off: %s", status.reason_de)
    road = settings.road_modes or ("walk",)
    return settings.replace(modes=road), (status.reason_de,)


def _with_snapping(
    points: gpd.GeoDataFrame, snapping: pd.DataFrame, role: str, modes: Sequence[str]
) -> gpd.GeoDataFrame:
    """Add ``snap_m_<mode>`` (rounded to 0.1 m) and ``snap_ok_<mode>`` from the matrix step.

    ``snap_ok`` is taken as the matrix step decided it (on the unrounded
    distance), so what is reported is what was routed.
    """
    out = points.copy()
    part = snapping[snapping["role"] == role]
    for mode in modes:
        rows = part[part["mode"] == mode].drop_duplicates("id").set_index("id")
        out[f"snap_m_{mode}"] = out["id"].map(rows["snap_m"]).round(1)
        out[f"snap_ok_{mode}"] = out["id"].map(rows["snap_ok"]).fillna(False).astype(bool)
    return out


def _snapped(
    settings: Settings, data: Inputs, snapping: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, Inputs]:
    """Villages and offers with their snap distances per mode (far offers are logged).

    Returns the villages (plus ``snap_m``/``snap_ok`` over all modes: a
    village counts as snapped when every mode reaches the network) and the
    inputs with the offers' snap columns.
    """
    modes = settings.modes
    villages = _with_snapping(data.villages, snapping, "origin", modes)
    villages["snap_m"] = villages[[f"snap_m_{m}" for m in modes]].max(axis=1)
    villages["snap_ok"] = villages[[f"snap_ok_{m}" for m in modes]].all(axis=1)
    offers = _with_snapping(data.offers, snapping, "destination", modes)
    n_far_offers = int((~offers[[f"snap_ok_{m}" for m in modes]]).any(axis=1).sum())
    if n_far_offers:
        logger.warning(
            "%d offers are further than %.0f m from the network for at least one mode "
            "(columns snap_m_<mode> of the offers table)",
            n_far_offers,
            settings.routing.max_snap_m,
        )
    return villages, dataclasses.replace(data, offers=offers)


@dataclass(frozen=True)
class _Indicators:
    """The indicator step's tables."""

    villages: pd.DataFrame
    gemeinden: pd.DataFrame
    kreis: pd.DataFrame


def _indicators(
    settings: Settings,
    villages: gpd.GeoDataFrame,
    data: Inputs,
    matrix: MatrixResult,
    categories: tuple[str, ...],
) -> _Indicators:
    """Indicators per village, per Gemeinde and for the whole region.

    The village table holds the nearest offer of each category whatever ages
    it serves (map and exports: "all ages"), plus per-group minutes where
    offers serve only some of the category's age groups; the children
    figures use the latter (:mod:`erreichbarkeit.analysis.age_offers`).
    """
    table = settings.categories()
    age_groups = {c: table[c].age_groups for c in categories}
    vt = indicators.village_table(
        villages,
        matrix.travel_times,
        data.offers,
        categories=categories,
        modes=settings.modes,
        threshold=settings.threshold,
        labels={k: c.label for k, c in table.items()},
        age_groups=age_groups,
    )
    options: dict[str, Any] = {
        "categories": categories,
        "modes": settings.modes,
        "threshold": settings.threshold,
        "age_groups": age_groups,
        "cutoff": settings.routing.cutoff_minutes,
    }
    return _Indicators(
        villages=vt,
        gemeinden=indicators.gemeinde_long(vt, **options),
        kreis=indicators.kreis_summary(vt, **options),
    )


def _grid(
    settings: Settings,
    routers: dict[str, RouterLike],
    data: Inputs,
    progress: ProgressCallback | None,
) -> GridResult:
    """The population grid surface, within the extent of the network data.

    Cells only where the network data reaches: whole Gemeinden beyond the
    extract would show up as "unreachable" for lack of roads.  The grid is
    routed on CH networks where they are cached (same minutes, several
    times faster); missing ones are prepared in the background for the next
    run (:mod:`erreichbarkeit.network.grid_networks`, policy
    ``ERREICHBARKEIT_GRID_CH``).
    """
    bnd = data.boundaries
    if data.extent is not None and len(bnd):
        bnd = gpd.clip(bnd, data.extent)
    reference = os.environ.get(GRID_REFERENCE_ENV, "").strip() == "1"
    policy = grid_ch_policy()
    fast, later = grid_routers(
        settings, data.network_osm, routers, policy=policy, reference=reference, progress=progress
    )
    report(progress, "Raster: Eingaben lesen", 0, 1)
    grid = compute_grid(settings, fast, data.offers, bnd, progress=progress)
    if later and policy == "background" and not reference:
        start_ch_preparation(later, Path(settings.cache_dir))
    return grid


def run(
    settings: Settings,
    *,
    progress: ProgressCallback | None = None,
    store: ResultStore | None = None,
) -> Results:
    """Run the whole analysis.

    Parameters
    ----------
    settings
        The frozen run configuration.
    progress
        ``progress(step, done, total)`` for the CLI's progress line or the
        dashboard's progress bar.
    store
        Read the run from this :class:`ResultStore` when it holds one for
        the same input contents, settings and method version, else compute
        and store it (:mod:`erreichbarkeit.pipeline.store`); ``None``
        always computes.

    Returns
    -------
    Results
    """
    if store is not None:
        results = load_or_run(store, settings, lambda s: run(s, progress=progress))
        report(progress, "fertig", 1, 1)
        return results
    sweep_stale(Path(settings.cache_dir), depth=2)  # temporaries of a killed run (dashboard too)
    settings, notices = _transit_switch(settings)
    timings: dict[str, float] = {}
    with timed(timings, READ_STEP):
        data = load_inputs(settings, progress=progress)
    data = dataclasses.replace(data, notices=notices + data.notices)
    routers = _routers(settings, data, timings, progress)
    try:
        return _analyse(settings, data, routers, timings, progress)
    finally:
        _close(routers)


def _close(routers: Mapping[str, RouterLike]) -> None:
    """Stop the timetable worker processes of the run."""
    for router in routers.values():
        engine = getattr(router, "engine", None)
        if engine is not None:
            engine.close()


def _analyse(
    settings: Settings,
    data: Inputs,
    routers: dict[str, RouterLike],
    timings: dict[str, float],
    progress: ProgressCallback | None,
) -> Results:
    """The routing and indicator steps of :func:`run`."""
    with timed(timings, "Reisezeiten berechnen"):
        matrix = travel_times(
            routers, data.villages, data.offers,
            cutoff_minutes=settings.routing.cutoff_minutes,
            max_snap_m=settings.routing.max_snap_m, modes=settings.modes, progress=progress,
        )  # fmt: skip
    present = set(data.offers["category"])
    categories = tuple(c for c in settings.categories() if c in present)
    report(progress, "Kennzahlen", 0, 1)
    with timed(timings, "Kennzahlen"):
        villages, data = _snapped(settings, data, matrix.snapping)
        ind = _indicators(settings, villages, data, matrix, categories)
    report(progress, "Versorgung (2SFCA)", 0, 1)
    with timed(timings, "Versorgung (2SFCA)"):
        supply, supply_gem = supply_tables(
            matrix.travel_times, data.villages, data.offers, data.boundaries,
            settings=settings, categories=categories,
        )  # fmt: skip
    grid = None
    if settings.grid_cell_m is not None:
        with timed(timings, "Raster"):
            grid = _grid(settings, routers, data, progress)
    vt = ind.villages
    vt = gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84) if "geometry" in vt else vt
    with timed(timings, "Bus & Bahn: Rückweg und Faktor"):
        vt, transit_gem = transit_indicators(
            settings, routers, data, vt, transit=matrix.transit, categories=categories
        )
    responsibility = responsibility_results(settings, data, routers, matrix.travel_times)
    report(progress, "fertig", 1, 1)
    return restrict_results(Results(
        settings=settings, inputs=data, villages=vt, gemeinden=ind.gemeinden, kreis=ind.kreis,
        travel_times=matrix.travel_times, snapping=matrix.snapping, categories=categories,
        timings=timings, grid=grid, supply=supply, supply_gemeinden=supply_gem,
        transit=matrix.transit, transit_gemeinden=transit_gem, responsibility=responsibility,
    ))  # fmt: skip
