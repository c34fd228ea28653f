"""Reading and checking every input of a run (step 1–2 of :mod:`erreichbarkeit.pipeline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from erreichbarkeit._schema import PLACE_TYPES
from erreichbarkeit.analysis.coverage import (
    gemeinde_coverage,
    network_coverage,
    outside_coverage,
    road_data_notices,
    warn_partial,
)
from erreichbarkeit.analysis.grid import read_population_grid
from erreichbarkeit.analysis.matching import (
    check_boundaries_hold_villages,
    check_population_match,
    check_villages_inside,
    raise_no_overlap,
)
from erreichbarkeit.analysis.population import assign_gemeinden, estimate_population
from erreichbarkeit.config import WGS84, ProgressCallback, Settings
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io import read_boundaries, read_offers, read_population, read_villages
from erreichbarkeit.io.network_source import NetworkData, read_network
from erreichbarkeit.io.offer_merge import combine_offers
from erreichbarkeit.io.offers import fill_serves
from erreichbarkeit.io.road_nodes import declared_bounds, road_nodes
from erreichbarkeit.network.transit.setup import Timetable, load_feeds
from erreichbarkeit.pipeline._area import mark_area
from erreichbarkeit.pipeline._children import children_inputs
from erreichbarkeit.pipeline._need import reads_need
from erreichbarkeit.pipeline._outreach import reads_outreach
from erreichbarkeit.pipeline._responsibility import reads_responsibility
from erreichbarkeit.pipeline._steps import READ_STEP, report
from erreichbarkeit.results import Inputs

__all__ = ["load_inputs"]

logger = logging.getLogger(__name__)

_Source = dict[str, str]


# -- data-source records (the Methodik sheet) ------------------------------------------


def _source(
    what: str,
    path: Path,
    origin: str,
    licence: str,
    *,
    date: str | None = None,
    override: str | None = None,
) -> _Source:
    """One data-source record for the Methodik sheet.

    ``override`` (the region file's ``[attribution]`` text) replaces origin
    and licence, e.g. for fictional or own data.
    """
    return {
        "Daten": what,
        "Datei": path.name,
        "Quelle": override if override else origin,
        "Lizenz": "" if override else licence,
        "Stand": date if date is not None else _file_date(path),
    }


def _file_date(path: Path) -> str:
    """The file's modification date, labelled as such (not the data's own date)."""
    try:
        return "Datei vom " + datetime.fromtimestamp(path.stat().st_mtime).strftime("%d.%m.%Y")
    except OSError:
        return ""


def _network_source(settings: Settings, net: NetworkData) -> _Source:
    """The data-source record of the network file (roads, places, OSM offers)."""
    return _source(
        "Straßennetz, Orte" + (", Angebote (OSM)" if "osm" in settings.offers else ""),
        Path(settings.network or ""),
        "© OpenStreetMap-Mitwirkende" + (" / © OpenMapTiles" if net.is_gis_layer else ""),
        "ODbL 1.0",
        date=f"OSM-Daten vom {net.data_date}" if net.data_date else None,
        override=settings.attribution.get("network"),
    )


def _gtfs_sources(settings: Settings, timetable: Timetable | None) -> list[_Source]:
    """One data-source record per GTFS feed, with its service period."""
    if timetable is None:
        return []
    out = []
    for feed in timetable.feeds:
        period = (
            f"Fahrplan {feed.first_day:%d.%m.%Y}–{feed.last_day:%d.%m.%Y}, "
            f"Stichtag {timetable.day:%d.%m.%Y}"
            if feed.first_day and feed.last_day
            else None
        )
        out.append(
            _source(
                "Fahrplan (GTFS)",
                feed.path,
                "Verkehrsverbund / DELFI (GTFS)",
                "siehe Datenquelle (meist CC BY 4.0 / DL-DE-BY 2.0)",
                date=period,
                override=settings.attribution.get("gtfs"),
            )
        )
    return out


# -- the steps of load_inputs ------------------------------------------------------------


def _villages(
    settings: Settings, places: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, list[_Source]]:
    """The villages: the user's file, else the OSM places of a village-like type."""
    sources: list[_Source] = []
    if settings.villages is not None:
        villages = read_villages(Path(settings.villages))
        sources.append(
            _source(
                "Orte (eigene Datei)", Path(settings.villages), "Angabe der Nutzer", "",
                override=settings.attribution.get("villages"),
            )
        )  # fmt: skip
    else:
        villages = places[places["place"].isin(PLACE_TYPES)].copy()
    if villages.empty:
        msg = "no villages found (no OSM place=city/town/village/suburb/hamlet/isolated_dwelling)"
        raise InputDataError(
            msg,
            file=settings.villages or settings.network,
            expected="places or an own village file",
            message_de="Keine Orte gefunden (OSM place=* oder eigene Ortsdatei)",
        )
    return villages, sources


def _region_shape(villages: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> Any:
    """The lon/lat box around the villages and places (fallback extent)."""
    pts = pd.concat([villages.geometry, places.geometry]) if len(places) else villages.geometry
    minx, miny, maxx, maxy = gpd.GeoSeries(pts, crs=WGS84).total_bounds
    return box(minx, miny, maxx, maxy)


def _network_extent(net: NetworkData, places: gpd.GeoDataFrame) -> Any:
    """The area the network data covers (:func:`network_coverage` of road nodes and places)."""
    lon, lat = road_nodes(net.osm_path)
    if len(places):
        lon = np.concatenate([lon, places.geometry.x.to_numpy()])
        lat = np.concatenate([lat, places.geometry.y.to_numpy()])
    declared = None if net.is_gis_layer else declared_bounds(net.osm_path)
    return network_coverage(lon, lat, declared=declared)


def _check_own_villages(settings: Settings, villages: gpd.GeoDataFrame, extent: Any) -> None:
    """Own villages must lie in the network's area (all outside: error; some: warning)."""
    if settings.villages is None or extent is None:
        return
    outside = outside_coverage(villages.geometry, extent, tolerance_m=settings.routing.max_snap_m)
    check_villages_inside(outside, villages["name"], Path(settings.villages))


def _boundaries(
    settings: Settings, net: NetworkData, villages: gpd.GeoDataFrame, region_shape: Any
) -> tuple[gpd.GeoDataFrame, list[_Source]]:
    """The Gemeinde boundaries: the user's file (clipped to the region), else OSM's."""
    if settings.boundaries is None:
        if net.boundaries.empty:
            logger.warning("no Gemeinde boundaries: neither a file nor OSM admin_level=8 relations")
        return net.boundaries, []
    boundaries = read_boundaries(
        Path(settings.boundaries),
        layer=settings.boundaries_layer,
        clip_to=region_shape,
        keep_containing=villages.geometry,
    )
    if boundaries.empty:
        raise_no_overlap(Path(settings.boundaries), settings.boundaries_layer, region_shape)
    source = _source(
        "Gemeindegrenzen", Path(settings.boundaries),
        "© GeoBasis-DE / BKG (VG250) oder Angabe", "dl-de/by-2-0",
        override=settings.attribution.get("boundaries"),
    )  # fmt: skip
    return boundaries, [source]


def _gemeinde_population(
    settings: Settings, boundaries: gpd.GeoDataFrame, village_ags: pd.Series
) -> tuple[pd.Series, str, list[_Source]]:
    """Population per AGS: the user's table over the boundaries' own figures.

    Returns the population per AGS, the label of its source (for the
    villages' ``population_source``) and the data-source records.
    """
    gpop = pd.Series(dtype=float)
    label = "Gemeinde-Einwohnerzahl"
    sources: list[_Source] = []
    if "population" in boundaries.columns:
        gpop = pd.to_numeric(boundaries.set_index("ags")["population"], errors="coerce").dropna()
    if settings.population is not None:
        table = read_population(Path(settings.population))
        matched, total = check_population_match(table, village_ags, Path(settings.population))
        gpop = table.set_index("ags")["population"].astype(float).combine_first(gpop)
        label = f"Einwohnerzahl aus {Path(settings.population).name}"
        sources.append(
            _source(
                f"Einwohner je Gemeinde (gefunden für {matched} von {total} Gemeinden mit Orten)",
                Path(settings.population),
                "Zensus 2022 / Statistische Ämter (oder Angabe)", "dl-de/by-2-0",
                override=settings.attribution.get("population"),
            )
        )  # fmt: skip
    if settings.population_grid is not None and settings.grid_cell_m is not None:
        sources.append(
            _source(
                "Bevölkerungsraster", Path(settings.population_grid),
                "Zensus, © Statistische Ämter des Bundes und der Länder (oder Angabe)",
                "dl-de/by-2-0", override=settings.attribution.get("population_grid"),
            )
        )  # fmt: skip
    return gpop, label, sources


@dataclass(frozen=True)
class _Population:
    """The population step's outcome."""

    villages: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    sources: list[_Source]
    note: str


def _with_population(
    settings: Settings, villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, extent: Any
) -> _Population:
    """Villages with Gemeinde, population and children; boundaries with population and coverage.

    Gemeinden only partly inside the network data (``extent``) get only their
    covered share distributed (:mod:`erreichbarkeit.analysis.coverage`).
    """
    villages = assign_gemeinden(villages, boundaries)
    check_boundaries_hold_villages(
        villages["ags"], Path(settings.boundaries) if settings.boundaries else None
    )
    gpop, label, sources = _gemeinde_population(settings, boundaries, villages["ags"])
    if "population" in boundaries.columns or len(boundaries) == 0:
        boundaries = boundaries.assign(population=boundaries["ags"].map(gpop))
    coverage = gemeinde_coverage(boundaries, extent, grid=_coverage_grid(settings, boundaries))
    boundaries = boundaries.assign(
        coverage_share=coverage["coverage_share"].to_numpy(),
        gemeinde_partial=coverage["gemeinde_partial"].to_numpy(bool),
    )
    part = coverage[coverage["gemeinde_partial"]]
    villages = estimate_population(
        villages, gpop, settings.age_shares, population_source=label,
        partial=pd.Series(part["coverage_share"].to_numpy(), index=part["ags"].to_numpy()),
        **children_inputs(settings, villages["ags"], gpop, sources),  # pipeline/_children.py
    )  # fmt: skip
    note = warn_partial(coverage, relevant=villages["ags"].dropna().unique())
    return _Population(villages, boundaries, sources, note)


def _coverage_grid(settings: Settings, boundaries: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The population grid cells around the Gemeinden, when a grid is configured."""
    if settings.population_grid is None or boundaries.empty:
        return None
    bounds = tuple(boundaries.to_crs("EPSG:3035").total_bounds)
    grid: pd.DataFrame = read_population_grid(Path(settings.population_grid), bounds=bounds)
    return grid


@dataclass(frozen=True)
class _Offers:
    """The offers step's outcome."""

    offers: gpd.GeoDataFrame
    problems: tuple[Any, ...]
    unmatched: pd.DataFrame
    sources: list[_Source]


def _offers(settings: Settings, net: NetworkData, villages: gpd.GeoDataFrame) -> _Offers:
    """Read the offers lists (geocoded offline) and combine them with the OSM offers."""
    frames: list[gpd.GeoDataFrame] = []
    problems: list[Any] = []
    unmatched: list[pd.DataFrame] = []
    sources: list[_Source] = []
    bounds = tuple(villages.total_bounds)
    for source in settings.offers:
        if source == "osm":
            continue
        res = read_offers(
            Path(source),
            settings.categories(),
            addresses=net.addresses,
            accept_street_match=settings.geocode_accept_street,
            region_bounds=bounds,
        )
        if res.failure is not None:  # not one row usable: name the file and the rows
            raise res.failure
        frames.append(res.offers)
        problems.extend(res.problems)
        if len(res.unmatched):
            unmatched.append(res.unmatched)
        sources.append(
            _source(
                "Angebote (Liste)", Path(source), "Angabe der Nutzer", "",
                override=settings.attribution.get("offers"),
            )
        )  # fmt: skip
    offers, notes = combine_offers(frames, net.pois if "osm" in settings.offers else None)
    return _Offers(
        offers=fill_serves(offers, settings.categories()),  # OSM offers: the category's ages
        problems=(*problems, *notes),
        unmatched=pd.concat(unmatched, ignore_index=True) if unmatched else pd.DataFrame(),
        sources=sources,
    )


def _estimates(villages: gpd.GeoDataFrame, note: str = "") -> tuple[str, ...]:
    """How the population and children per village were estimated (for the Methodik)."""
    return (
        "Einwohner je Ort: " + "; ".join(sorted(villages["population_source"].unique())),
        "Kinder je Altersgruppe: " + "; ".join(sorted(villages["children_source"].unique())),
        *((note,) if note else ()),
    )


@reads_need  # the table of social indicators (pipeline/_need.py)
@reads_outreach  # the aufsuchende Angebote: flags on the villages
@reads_responsibility  # the Zuständigkeit tables, checked before any routing
def load_inputs(settings: Settings, *, progress: ProgressCallback | None = None) -> Inputs:
    """Read and validate every input named by the settings.

    Parameters
    ----------
    settings
        The frozen run configuration.
    progress
        ``progress(step, done, total)``, as for :func:`run`.

    Returns
    -------
    Inputs
        Villages with population and children, offers, boundaries, address
        points, row problems and the data-source records.

    Raises
    ------
    ErreichbarkeitError
        (or a subclass) naming the file, row and column of the first fatal
        problem.  Row-level problems of offers files do not raise; they are
        returned in :attr:`Inputs.problems`.
    """
    report(progress, READ_STEP, 0, 4)
    net = read_network(settings, progress)
    report(progress, READ_STEP, 1, 4)
    villages, village_sources = _villages(settings, net.places)
    extent = _network_extent(net, net.places)
    _check_own_villages(settings, villages, extent)
    region_shape = extent if extent is not None else _region_shape(villages, net.places)
    boundaries, boundary_sources = _boundaries(settings, net, villages, region_shape)
    report(progress, READ_STEP, 2, 4)
    pop = _with_population(settings, villages, boundaries, extent)
    villages, boundaries = mark_area(settings, pop.villages, pop.boundaries)
    offers = _offers(settings, net, villages)
    timetable = load_feeds(settings, region_shape) if "pt" in settings.modes else None
    report(progress, READ_STEP, 4, 4)
    sources = [
        _network_source(settings, net),
        *village_sources,
        *boundary_sources,
        *pop.sources,
        *offers.sources,
        *_gtfs_sources(settings, timetable),
    ]
    feed_problems = () if timetable is None else tuple(
        p for f in timetable.feeds for p in f.problems
    )  # fmt: skip
    return Inputs(
        network_osm=net.osm_path,
        villages=villages,
        offers=offers.offers,
        boundaries=boundaries,
        addresses=net.addresses,
        problems=tuple(offers.problems) + feed_problems,
        unmatched=offers.unmatched,
        sources=tuple(sources),
        estimates=_estimates(villages, pop.note),
        network_report=net.report,
        extent=region_shape,
        timetable=timetable,
        notices=(
            *(() if timetable is None else timetable.warnings),
            *road_data_notices(settings, boundaries, extent),
        ),
    )
