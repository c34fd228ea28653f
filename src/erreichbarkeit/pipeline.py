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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit import __version__
from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit._schema import PLACE_TYPES
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback, Settings, age_column
from erreichbarkeit.errors import ConfigError, InputDataError, NetworkError
from erreichbarkeit.grid import GridResult, compute_grid
from erreichbarkeit.matrix import travel_times
from erreichbarkeit.routing import PROFILE_SUMMARY, Router, prepare_network
from erreichbarkeit.villages import assign_gemeinden, estimate_population

__all__ = [
    "Inputs",
    "Results",
    "export_results",
    "grid_bands",
    "hinweise_table",
    "load_inputs",
    "make_routers",
    "methodik",
    "prepare_router",
    "run",
]

logger = logging.getLogger(__name__)


_GIS_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of one run (all EPSG:4326)."""

    network_osm: Path
    villages: gpd.GeoDataFrame
    offers: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    addresses: pd.DataFrame
    problems: tuple[Any, ...] = ()
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: tuple[Mapping[str, str], ...] = ()
    estimates: tuple[str, ...] = ()
    network_report: Any = None
    extent: Any = None  # shapely geometry (EPSG:4326) the network data covers


@dataclass(frozen=True)
class Results:
    """Everything one run produced.

    Attributes
    ----------
    villages
        One row per village: Gemeinde, population, children, snap distance
        per mode, and per category × mode nearest offer, minutes, km, second
        nearest minutes, offers within the threshold.
    gemeinden
        Per Gemeinde × category × mode: weighted mean/median minutes,
        children beyond the threshold, underserved villages (long form).
    kreis
        The same indicators over the whole region.
    offers, boundaries
        The offers and Gemeinde polygons used.
    travel_times
        The long table ``origin_id, destination_id, mode, minutes, km``.
    snapping
        ``id, role, mode, snap_m, snap_ok``.
    timings
        Seconds per step.
    grid
        The population grid surface (:mod:`erreichbarkeit.grid`) when
        ``settings.grid_cell_m`` is set.
    supply, supply_gemeinden
        Supply versus demand (2SFCA, :mod:`erreichbarkeit.supply`) per
        village and per Gemeinde, long form with ``category`` and ``mode``.
    """

    settings: Settings
    inputs: Inputs
    villages: gpd.GeoDataFrame
    gemeinden: pd.DataFrame
    kreis: pd.DataFrame
    travel_times: pd.DataFrame
    snapping: pd.DataFrame
    categories: tuple[str, ...]
    timings: Mapping[str, float]
    grid: GridResult | None = None
    supply: pd.DataFrame = field(default_factory=pd.DataFrame)
    supply_gemeinden: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def offers(self) -> gpd.GeoDataFrame:
        """Offers used in the run."""
        return self.inputs.offers

    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        """Gemeinde polygons used in the run."""
        return self.inputs.boundaries


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
    from erreichbarkeit import gislayer  # noqa: PLC0415

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
    from erreichbarkeit import gislayer, osm  # noqa: PLC0415  (heavy imports)

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
    from erreichbarkeit import inputs as inp  # noqa: PLC0415

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
    from erreichbarkeit.inputs import RowProblem  # noqa: PLC0415

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


def hinweise_table(results: Results) -> pd.DataFrame:
    """Row problems of the inputs as a German table (sheet *Hinweise*)."""
    rows = [
        {
            "Datei": p.file,
            "Zeile": p.row or None,
            "Spalte": p.column or "",
            "Art": "Fehler (Zeile nicht verwendet)" if p.severity == "error" else "Hinweis",
            "Meldung": p.message_de,
        }
        for p in results.inputs.problems
    ]
    return pd.DataFrame(rows, columns=["Datei", "Zeile", "Spalte", "Art", "Meldung"])


def prepare_router(
    settings: Settings,
    network_osm: Path,
    mode: str,
    *,
    progress: ProgressCallback | None = None,
) -> Router:
    """A router for one mode with the settings' algorithm and speed overrides.

    The prepared network comes from the cache when it is there (see
    :func:`erreichbarkeit.routing.prepare_network`).
    """
    net = prepare_network(
        network_osm,
        mode,
        cache_dir=Path(settings.cache_dir) / "osrm",
        algorithm=settings.routing.algorithm.get(mode, "MLD"),
        speeds=settings.routing.speeds.get(mode),
        maxspeed=settings.routing.maxspeed.get(mode),
        progress=progress,
    )
    return Router(net)


def make_routers(results: Results) -> dict[str, Router]:
    """Routers for every mode of a finished run (what-if scenarios, location planning)."""
    return {
        mode: prepare_router(results.settings, results.inputs.network_osm, mode)
        for mode in results.settings.modes
    }


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
    from erreichbarkeit import indicators  # noqa: PLC0415

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


#: The 2SFCA method in German for the Methodik sheet.
SUPPLY_METHOD_DE = (
    "Zwei-Schritt-Verfahren (2SFCA, Luo & Wang 2003) je Kategorie und Verkehrsmittel: "
    "1) je Angebot j das Verhältnis R_j = Kapazität S_j / Σ Kinder D_i der Orte i, die j "
    "innerhalb des Schwellenwerts erreichen; 2) je Ort i die Versorgung A_i = Σ R_j über die "
    "Angebote, die i innerhalb des Schwellenwerts erreicht, angegeben als Plätze je 1 000 "
    "Kinder der Altersgruppen der Kategorie. Reiserichtung: vom Ort zum Angebot (Minuten der "
    "Reisezeitentabelle), beide Schritte mit demselben Schwellenwert, ohne Distanzgewichtung "
    "(W = 1). Fehlen Kapazitäten, zählt jedes Angebot als 1 (Angebote je 1 000 Kinder)."
)


def supply_tables(
    travel_times: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    settings: Settings,
    categories: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2SFCA places per 1 000 children per village and Gemeinde, every category × mode.

    Demand: the children of the category's age groups; catchment: the
    category's threshold for the mode (classic 2SFCA, ``W = 1``).  Where an
    offer of the category has no capacity, all its offers count as 1 and the
    ``supply_note`` says so (see :mod:`erreichbarkeit.supply`).
    """
    from erreichbarkeit import supply  # noqa: PLC0415

    table = settings.categories()
    located = offers[["id", "geometry"]]
    if len(boundaries):
        joined = gpd.sjoin(located, boundaries[["ags", "geometry"]], how="left", predicate="within")
        offer_ags = joined[~joined.index.duplicated()]["ags"]
    else:
        offer_ags = pd.Series(pd.NA, index=offers.index)
    village_rows: list[pd.DataFrame] = []
    gemeinde_rows: list[pd.DataFrame] = []
    for cat in categories:
        demand = [age_column(g) for g in table[cat].age_groups]
        for mode in settings.modes:
            kwargs: dict[str, Any] = {
                "category": cat, "mode": mode, "threshold": settings.threshold(cat, mode),
                "demand_column": demand,
            }  # fmt: skip
            access, ratios = supply.fca_tables(travel_times, villages, offers, **kwargs)
            ratios = ratios.assign(
                ags=ratios["id"].map(dict(zip(offers["id"], offer_ags, strict=True)))
            )
            gem = supply.supply_by_gemeinde(
                access, villages, demand_column=demand, offer_table=ratios
            )
            village_rows.append(access.assign(category=cat, mode=mode))
            gemeinde_rows.append(gem.assign(category=cat, mode=mode))
    first = ["category", "mode"]

    def ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames, ignore_index=True)
        return out[first + [c for c in out.columns if c not in first]]

    return ordered(village_rows), ordered(gemeinde_rows)


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


def methodik(results: Results) -> list[tuple[str, str]]:
    """The Methodik rows (German) for the workbook."""
    from erreichbarkeit import export  # noqa: PLC0415

    s = results.settings
    speeds = {m: PROFILE_SUMMARY[m] for m in s.modes}
    extra: list[tuple[str, str]] = []
    for mode in s.modes:
        if s.routing.speeds.get(mode) or s.routing.maxspeed.get(mode):
            over = dict(s.routing.speeds.get(mode, {})) | dict(s.routing.maxspeed.get(mode, {}))
            extra.append(
                (
                    f"Geschwindigkeiten angepasst ({mode})",
                    ", ".join(f"{k} = {v:g} km/h" for k, v in over.items()),
                )
            )
    n_far = int((~results.villages["snap_ok"]).sum()) if "snap_ok" in results.villages else 0
    extra.append(
        (
            "Orte ohne Ergebnis",
            f"{n_far} Orte liegen für mindestens ein Verkehrsmittel weiter als "
            f"{s.routing.max_snap_m:g} m vom Straßennetz und wurden für dieses nicht berechnet "
            "(die Spalte 'reason' nennt das Verkehrsmittel).",
        )
    )
    if len(results.supply):
        extra.append(("Versorgung (2SFCA)", SUPPLY_METHOD_DE))
        notes = sorted({str(n) for n in results.supply.get("supply_note", []) if str(n)})
        extra.extend(("Versorgung: Kapazitäten", n) for n in notes)
    if results.grid is not None:
        extra.extend((str(k), str(v)) for k, v in results.grid.meta.items())
    extra.append(("Rechenzeiten", ", ".join(f"{k}: {v:.1f} s" for k, v in results.timings.items())))
    return export.methodik_rows(
        s,
        sources=results.inputs.sources,
        speeds=speeds,
        estimates=results.inputs.estimates,
        version=__version__,
        created=datetime.now(),
        extra=extra,
    )


def export_results(results: Results, out_dir: str | Path) -> dict[str, Path]:
    """Write the Excel workbook, German CSVs, parquet and GeoPackage.

    Returns
    -------
    dict[str, Path]
        Written files by kind.
    """
    from erreichbarkeit import export  # noqa: PLC0415

    extra_sheets: dict[str, pd.DataFrame] = {}
    extra_layers: dict[str, gpd.GeoDataFrame] = {}
    if len(results.supply):
        extra_sheets["Versorgung Orte"] = results.supply
        extra_sheets["Versorgung Gemeinden"] = results.supply_gemeinden
    grid = results.grid
    if grid is not None:
        size = f"{results.settings.grid_cell_m or 250:g}m"
        extra_sheets["Raster Gemeinden"] = grid.gemeinde
        extra_sheets["Raster Kreis"] = grid.kreis
        extra_layers[f"raster_{size}"] = grid.cells
        bands = grid_bands(results)
        if len(bands):
            extra_layers["reisezeitbaender"] = bands
    return export.export_all(
        Path(out_dir),
        villages=results.villages,
        gemeinden=results.gemeinden,
        offers=results.offers,
        travel_times=results.travel_times,
        boundaries=results.boundaries,
        methodik=methodik(results),
        hinweise=hinweise_table(results),
        extra_sheets=extra_sheets,
        extra_layers=extra_layers,
    )


def grid_bands(results: Results) -> gpd.GeoDataFrame:
    """Travel-time bands around every category's offers, per mode, from the grid.

    One row per category × mode × band (``0–5`` … ``> 20`` minutes), with
    holes where cells are unreachable (see :mod:`erreichbarkeit.bands`).
    Empty when the run has no grid.
    """
    from erreichbarkeit.bands import bands_for_offers  # noqa: PLC0415

    if results.grid is None:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    frames = []
    for cat in results.categories:
        for mode in results.settings.modes:
            if f"{cat}_{mode}_min" not in results.grid.cells:
                continue
            part = bands_for_offers(results.grid.cells, category=cat, mode=mode)
            frames.append(part.assign(category=cat, mode=mode))
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    out = pd.concat(frames, ignore_index=True)
    first = ["category", "mode"]
    return gpd.GeoDataFrame(
        out[first + [c for c in out.columns if c not in first]], geometry="geometry", crs=WGS84
    )
