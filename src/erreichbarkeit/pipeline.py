"""The one entry point both front-ends use: ``run(settings) -> Results``.

Steps (each timed, each reporting progress):

1. read the network file: an OSM file directly, or a GIS line layer
   converted to OSM XML (cached by content hash);
2. read villages (OSM places or the user's file), offers (OSM POIs and/or
   the planners' lists, geocoded offline), Gemeinde boundaries, population;
3. prepare the OSRM network per mode (cached) and compute the long table;
4. indicators per village, per Gemeinde and for the whole region.

Exports are a separate call (:func:`export_results`) so that the dashboard
can compute once and export on demand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit._schema import PLACE_TYPES
from erreichbarkeit.analysis.grid import compute_grid
from erreichbarkeit.analysis.population import assign_gemeinden, estimate_population
from erreichbarkeit.analysis.supply import supply_tables
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback, Settings
from erreichbarkeit.errors import ConfigError, InputDataError, NetworkError
from erreichbarkeit.network.matrix import travel_times
from erreichbarkeit.network.routing import Router, prepare_router
from erreichbarkeit.results import Inputs, Results

__all__ = ["load_inputs", "run"]

logger = logging.getLogger(__name__)


_GIS_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")






@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round(time.perf_counter() - started, 3)
        logger.info("%s: %.2f s", step, timings[step])


def _converted_network(
    settings: Settings, path: Path, progress: ProgressCallback | None
) -> tuple[Path, Any]:
    """Convert a GIS road layer to OSM XML once; cached by content and options.

    The key covers the file's bytes, the layer, the class column, the merge
    tolerance and the converter's version; the conversion report is kept
    beside the file so a cached run still reports connectivity.
    """
    from erreichbarkeit.io import gislayer  # noqa: PLC0415

    options = json.dumps(
        [file_digest(path), settings.roads_layer, settings.road_class_column,
         settings.merge_tolerance_m, gislayer.CONVERTER_VERSION],
    )  # fmt: skip
    key = hashlib.sha256(options.encode()).hexdigest()[:16]
    converted = Path(settings.cache_dir) / "converted" / f"{path.stem}-{key}.osm"
    report_path = converted.with_suffix(".report.json")
    if converted.exists() and report_path.exists():
        data = json.loads(report_path.read_text("utf-8"))
        return converted, gislayer.ConversionReport(**data)
    report = gislayer.lines_to_osm(
        path, converted, layer=settings.roads_layer, class_column=settings.road_class_column,
        tolerance_m=settings.merge_tolerance_m, progress=progress,
    )  # fmt: skip
    with atomic_path(report_path) as tmp:
        # asdict() deep-copies and cannot copy the read-only `dropped` mapping
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        tmp.write_text(json.dumps(fields | {"dropped": dict(report.dropped)}), "utf-8")
    return converted, report


def _is_gis_layer(path: Path) -> bool:
    return path.suffix.lower() in _GIS_SUFFIXES or path.name.lower().endswith(".shp.zip")


@dataclass(frozen=True)
class _NetworkData:
    """What the network file yields besides the roads."""

    osm_path: Path
    places: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    addresses: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    report: Any
    is_gis_layer: bool
    data_date: str  # newest OSM timestamp ("" where the file has none)


def _network_features(settings: Settings, progress: ProgressCallback | None) -> _NetworkData:
    """Read (and for a GIS layer, convert) the network file and its features."""
    from erreichbarkeit.io import (
        gislayer,  # noqa: PLC0415  (heavy imports)
        osm,  # noqa: PLC0415  (heavy imports)
    )

    if settings.network is None:
        msg = "no road network given"
        raise ConfigError(
            msg,
            column="network",
            expected="an OSM file or a GIS line layer",
            message_de="Kein Straßennetz angegeben (OSM-Datei oder GIS-Linienlayer)",
        )
    path = Path(settings.network)
    if not path.exists():
        msg = "network file not found"
        raise NetworkError(msg, file=path, message_de="Straßennetz-Datei nicht gefunden")
    categories = settings.categories()
    if _is_gis_layer(path):
        converted, report = _converted_network(settings, path, progress)
        places, pois = gislayer.read_gis_features(
            path, categories, places_layer=settings.places_layer, pois_layer=settings.pois_layer
        )
        empty_addr = pd.DataFrame(
            columns=["street", "housenumber", "postcode", "city", "lon", "lat"]
        )
        empty_bnd = gpd.GeoDataFrame(
            {"ags": [], "gemeinde": [], "population": []}, geometry=[], crs=WGS84
        )
        return _NetworkData(converted, places, pois, empty_addr, empty_bnd, report, True, "")
    osm.validate_osm_file(path)
    feats = osm.read_osm_features(path, categories)
    return _NetworkData(
        path, feats.places, feats.pois, feats.addresses, feats.boundaries, None, False,
        feats.data_date,
    )  # fmt: skip


def load_inputs(settings: Settings, *, progress: ProgressCallback | None = None) -> Inputs:
    """Read and validate every input named by the settings.

    Raises
    ------
    ErreichbarkeitError
        (or a subclass) naming the file, row and column of the first fatal
        problem.  Row-level problems of offers files do not raise; they are
        returned in :attr:`Inputs.problems`.
    """
    from erreichbarkeit.io import inputs as inp  # noqa: PLC0415

    if progress:
        progress("Eingabedaten lesen", 0, 4)
    net = _network_features(settings, progress)
    places, pois, addresses = net.places, net.pois, net.addresses
    sources = [
        _source(
            "Straßennetz, Orte" + (", Angebote (OSM)" if "osm" in settings.offers else ""),
            Path(settings.network or ""),
            "© OpenStreetMap-Mitwirkende" + (" / © OpenMapTiles" if net.is_gis_layer else ""),
            "ODbL 1.0",
            date=f"OSM-Daten vom {net.data_date}" if net.data_date else None,
            override=settings.attribution.get("network"),
        )
    ]
    if progress:
        progress("Eingabedaten lesen", 1, 4)

    # villages
    if settings.villages is not None:
        villages = inp.read_villages(Path(settings.villages))
        sources.append(
            _source(
                "Orte (eigene Datei)",
                Path(settings.villages),
                "Angabe der Nutzer",
                "",
                override=settings.attribution.get("villages"),
            )
        )
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

    # boundaries
    region_shape = _region_shape(villages, places)
    if settings.boundaries is not None:
        boundaries = inp.read_boundaries(
            Path(settings.boundaries),
            layer=settings.boundaries_layer,
            clip_to=region_shape,
            keep_containing=villages.geometry,
        )
        sources.append(
            _source(
                "Gemeindegrenzen", Path(settings.boundaries),
                "© GeoBasis-DE / BKG (VG250) oder Angabe", "dl-de/by-2-0",
                override=settings.attribution.get("boundaries"),
            )
        )  # fmt: skip
    else:
        boundaries = net.boundaries
        if boundaries.empty:
            logger.warning("no Gemeinde boundaries: neither a file nor OSM admin_level=8 relations")
    if progress:
        progress("Eingabedaten lesen", 2, 4)

    # population per Gemeinde
    gpop = pd.Series(dtype=float)
    pop_label = "Gemeinde-Einwohnerzahl"
    if "population" in boundaries.columns:
        gpop = pd.to_numeric(boundaries.set_index("ags")["population"], errors="coerce").dropna()
    if settings.population is not None:
        table = inp.read_population(Path(settings.population))
        gpop = table.set_index("ags")["population"].astype(float).combine_first(gpop)
        pop_label = f"Einwohnerzahl aus {Path(settings.population).name}"
        sources.append(
            _source(
                "Einwohner je Gemeinde", Path(settings.population),
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
    if "population" in boundaries.columns:
        boundaries = boundaries.assign(population=boundaries["ags"].map(gpop))
    villages = assign_gemeinden(villages, boundaries)
    villages = estimate_population(villages, gpop, settings.age_shares, population_source=pop_label)

    # offers
    frames: list[gpd.GeoDataFrame] = []
    osm_offers: gpd.GeoDataFrame | None = None
    problems: list[Any] = []
    unmatched: list[pd.DataFrame] = []
    bounds = tuple(villages.total_bounds)
    for source in settings.offers:
        if source == "osm":
            osm_offers = pois
            continue
        res = inp.read_offers(
            Path(source),
            settings.categories(),
            addresses=addresses,
            accept_street_match=settings.geocode_accept_street,
            region_bounds=bounds,
        )
        frames.append(res.offers)
        problems.extend(res.problems)
        if len(res.unmatched):
            unmatched.append(res.unmatched)
        sources.append(
            _source(
                "Angebote (Liste)",
                Path(source),
                "Angabe der Nutzer",
                "",
                override=settings.attribution.get("offers"),
            )
        )
    offers, notes = _combine_offers(frames, osm_offers)
    problems.extend(notes)
    if progress:
        progress("Eingabedaten lesen", 4, 4)
    estimates = (
        "Einwohner je Ort: " + "; ".join(sorted(villages["population_source"].unique())),
        "Kinder je Altersgruppe: " + "; ".join(sorted(villages["children_source"].unique())),
    )
    return Inputs(
        network_osm=net.osm_path,
        villages=villages,
        offers=offers,
        boundaries=boundaries,
        addresses=addresses,
        problems=tuple(problems),
        unmatched=pd.concat(unmatched, ignore_index=True) if unmatched else pd.DataFrame(),
        sources=tuple(sources),
        estimates=estimates,
        network_report=net.report,
        extent=region_shape,
    )


def _source(
    what: str,
    path: Path,
    origin: str,
    licence: str,
    *,
    date: str | None = None,
    override: str | None = None,
) -> dict[str, str]:
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


def _region_shape(villages: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> Any:
    from shapely.geometry import box  # noqa: PLC0415

    pts = pd.concat([villages.geometry, places.geometry]) if len(places) else villages.geometry
    minx, miny, maxx, maxy = gpd.GeoSeries(pts, crs=WGS84).total_bounds
    return box(minx, miny, maxx, maxy)


#: An OSM object of the same category this close to an offer of the user's
#: own list is taken to be the same offer (the list wins: it is curated).
SAME_OFFER_M = 75.0


def _combine_offers(
    own: list[gpd.GeoDataFrame], osm_offers: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, list[Any]]:
    """Combine the users' lists with the OSM POIs; drop OSM duplicates of listed offers.

    Returns the offers and notes (``RowProblem`` warnings) about dropped OSM objects.
    """
    from erreichbarkeit.io.inputs import RowProblem  # noqa: PLC0415

    own = [f.to_crs(WGS84) for f in own if len(f)]
    notes: list[Any] = []
    if osm_offers is not None and len(osm_offers) and own:
        listed = pd.concat(own, ignore_index=True)
        listed_m = gpd.GeoDataFrame(listed, geometry="geometry", crs=WGS84).to_crs(METRIC_CRS)
        osm_m = osm_offers.to_crs(METRIC_CRS)
        near = gpd.sjoin_nearest(
            osm_m[["id", "name", "category", "geometry"]],
            listed_m[["id", "name", "category", "source", "geometry"]],
            max_distance=SAME_OFFER_M,
            distance_col="dist_m",
            lsuffix="osm",
            rsuffix="list",
        )
        same = near[near["category_osm"] == near["category_list"]]
        same = same[~same.index.duplicated(keep="first")]
        for _, row in same.iterrows():
            text = (
                f"OSM-Objekt „{row['name_osm']}“ ({row['id_osm']}) liegt {row['dist_m']:.0f} m "
                f"neben „{row['name_list']}“ aus {row['source']} (gleiche Kategorie) und wird "
                "nicht doppelt gezählt; verwendet wird der Listeneintrag."
            )
            notes.append(RowProblem(
                file="OpenStreetMap", row=0, column=None,
                message=f"OSM object {row['id_osm']} duplicates listed offer {row['id_list']}",
                message_de=text, severity="warning",
            ))  # fmt: skip
        osm_offers = osm_offers.drop(index=same.index)
        if len(same):
            logger.info("%d OSM offers duplicate offers of the own lists; dropped", len(same))
    frames = own + (
        [osm_offers.to_crs(WGS84)] if osm_offers is not None and len(osm_offers) else []
    )
    if not frames:
        msg = "no offers: neither OSM POIs of a known category nor rows in the offers files"
        raise InputDataError(
            msg,
            expected="at least one offer",
            message_de=(
                "Keine Angebote gefunden (weder OSM-Einrichtungen noch Zeilen der Angebotsliste)"
            ),
        )
    offers = pd.concat(frames, ignore_index=True)
    dup = offers["id"].duplicated(keep=False)
    if dup.any():  # the same id in two sources: make them unique by source
        offers.loc[dup, "id"] = (
            offers.loc[dup, "source"].astype(str) + ":" + offers.loc[dup, "id"].astype(str)
        )
    return gpd.GeoDataFrame(offers, geometry="geometry", crs=WGS84), notes








def run(settings: Settings, *, progress: ProgressCallback | None = None) -> Results:
    """Run the whole analysis.

    Parameters
    ----------
    settings
        The frozen run configuration.
    progress
        ``progress(step, done, total)`` for the CLI's progress line or the
        dashboard's progress bar.

    Returns
    -------
    Results
    """
    from erreichbarkeit.analysis import indicators  # noqa: PLC0415

    timings: dict[str, float] = {}
    with _timed(timings, "Eingabedaten lesen"):
        data = load_inputs(settings, progress=progress)
    routers: dict[str, Router] = {}
    for mode in settings.modes:
        with _timed(timings, f"Netz vorbereiten ({mode})"):
            routers[mode] = prepare_router(settings, data.network_osm, mode, progress=progress)
    with _timed(timings, "Reisezeiten berechnen"):
        matrix = travel_times(
            routers,
            data.villages,
            data.offers,
            cutoff_minutes=settings.routing.cutoff_minutes,
            max_snap_m=settings.routing.max_snap_m,
            modes=settings.modes,
            progress=progress,
        )
    order = list(settings.categories())
    present = set(data.offers["category"])
    categories = tuple(c for c in order if c in present)
    with _timed(timings, "Kennzahlen"):
        villages = _with_snapping(data.villages, matrix.snapping, "origin", settings.modes)
        villages["snap_m"] = villages[[f"snap_m_{m}" for m in settings.modes]].max(axis=1)
        # a village counts as snapped when every mode reaches the network
        villages["snap_ok"] = villages[[f"snap_ok_{m}" for m in settings.modes]].all(axis=1)
        offers = _with_snapping(data.offers, matrix.snapping, "destination", settings.modes)
        n_far_offers = int((~offers[[f"snap_ok_{m}" for m in settings.modes]]).any(axis=1).sum())
        if n_far_offers:
            logger.warning(
                "%d offers are further than %.0f m from the network for at least one mode "
                "(columns snap_m_<mode> of the offers table)",
                n_far_offers,
                settings.routing.max_snap_m,
            )
        data = dataclasses.replace(data, offers=offers)
        vt = indicators.village_table(
            villages,
            matrix.travel_times,
            data.offers,
            categories=categories,
            modes=settings.modes,
            threshold=settings.threshold,
            labels={k: c.label for k, c in settings.categories().items()},
        )
        age_groups = {c: settings.categories()[c].age_groups for c in categories}
        gem = indicators.gemeinde_long(
            vt,
            categories=categories,
            modes=settings.modes,
            threshold=settings.threshold,
            age_groups=age_groups,
        )
        kreis = indicators.kreis_summary(
            vt,
            categories=categories,
            modes=settings.modes,
            threshold=settings.threshold,
            age_groups=age_groups,
        )
    with _timed(timings, "Versorgung (2SFCA)"):
        supply, supply_gem = supply_tables(
            matrix.travel_times, data.villages, data.offers, data.boundaries,
            settings=settings, categories=categories,
        )  # fmt: skip
    grid = None
    if settings.grid_cell_m is not None:
        with _timed(timings, "Raster"):
            # cells only where the network data reaches: whole Gemeinden beyond
            # the extract would show up as "unreachable" for lack of roads
            bnd = data.boundaries
            if data.extent is not None and len(bnd):
                bnd = gpd.clip(bnd, data.extent)
            grid = compute_grid(settings, routers, data.offers, bnd, progress=progress)
    vt = gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84) if "geometry" in vt else vt
    if progress:
        progress("fertig", 1, 1)
    return Results(
        settings=settings,
        inputs=data,
        villages=vt,
        gemeinden=gem,
        kreis=kreis,
        travel_times=matrix.travel_times,
        snapping=matrix.snapping,
        categories=categories,
        timings=timings,
        grid=grid,
        supply=supply,
        supply_gemeinden=supply_gem,
    )






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






