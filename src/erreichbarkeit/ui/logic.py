"""Dashboard logic without Streamlit: regions, views, uploads, exports.

Everything here is a plain function over the library's results so that it
can be tested without a browser and reused by other front-ends.  Nothing is
kept in module state; the Streamlit layer (:mod:`erreichbarkeit.ui.cache`,
:mod:`erreichbarkeit.ui.dashboard`) holds per-user values in
``st.session_state`` and shared, read-only results in Streamlit's caches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.config import MODE_LABELS, WGS84, Category, Settings, age_column
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.io.inputs import RowProblem, read_offers
from erreichbarkeit.network.matrix import travel_times as compute_travel_times
from erreichbarkeit.network.routing import Router
from erreichbarkeit.report.methodik import methodik
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts
from erreichbarkeit.webmap import maps

__all__ = [
    "REGIONS_ENV",
    "GridOverlay",
    "Region",
    "StaticLayers",
    "UploadOutcome",
    "View",
    "ViewData",
    "bands_gpkg_bytes",
    "base_villages",
    "build_view_map",
    "category_bands",
    "compute_view",
    "data_bounds",
    "discover_regions",
    "export_files",
    "gemeinde_extent",
    "grid_kpi_tables",
    "grid_surface_text",
    "handle_upload",
    "kpi_notes",
    "kpis",
    "map_frame",
    "merge_upload",
    "nearest_for_village",
    "offer_bands",
    "offer_label",
    "print_map_bytes",
    "problems_frame",
    "route_offers",
    "static_layers",
    "view_data",
    "view_subtitle",
    "village_display",
]

logger = logging.getLogger(__name__)

#: Environment variable naming an extra folder of region files.
REGIONS_ENV = "ERREICHBARKEIT_REGIONS_DIR"

_UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


# -- regions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """One entry of the region picker."""

    label: str
    path: Path
    demo: bool = False


def _region_label(path: Path) -> str:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        name = raw.get("region", {}).get("name") or raw.get("name")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        name = None
    return str(name) if name else path.parent.name if path.name == "region.toml" else path.stem


def discover_regions(
    data_dir: Path, *, demo_region: Path | None = None, env: Mapping[str, str] | None = None
) -> list[Region]:
    """Regions for the picker: the demo first, then configured real regions.

    Parameters
    ----------
    data_dir
        The app's data folder; ``data_dir/regions/*/region.toml`` are the
        regions written by ``erreichbarkeit prepare``.
    demo_region
        The generated Beispielkreis ``region.toml`` (listed first).
    env
        Environment (default ``os.environ``); ``ERREICHBARKEIT_REGIONS_DIR``
        names a folder with ``*/region.toml`` or ``*.toml`` region files.

    Returns
    -------
    list[Region]
        Unique by resolved path; labels from ``[region] name``.
    """
    env = os.environ if env is None else env
    found: list[Region] = []
    if demo_region is not None:
        found.append(Region(texts.DEMO_LABEL, demo_region, demo=True))
    candidates = sorted((data_dir / "regions").glob("*/region.toml"))
    extra = env.get(REGIONS_ENV)
    if extra:
        folder = Path(extra).expanduser()
        candidates += sorted(folder.glob("*/region.toml")) + sorted(folder.glob("*.toml"))
    seen = {r.path.resolve() for r in found}
    for path in candidates:
        key = path.resolve()
        if key in seen or not path.is_file():
            continue
        seen.add(key)
        found.append(Region(_region_label(path), path))
    return found


# -- the data behind one view ---------------------------------------------------------


@dataclass(frozen=True)
class ViewData:
    """The inputs of the cheap indicator step (region results + an optional upload)."""

    settings: Settings
    villages: gpd.GeoDataFrame
    travel_times: pd.DataFrame
    offers: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    categories: tuple[str, ...]
    category_table: Mapping[str, Category]


@dataclass(frozen=True)
class View:
    """Indicators for one choice of mode, categories, age group and thresholds."""

    mode: str
    categories: tuple[str, ...]
    age_group: str
    thresholds: Mapping[str, float]
    villages: gpd.GeoDataFrame
    gemeinden: pd.DataFrame
    kreis: pd.DataFrame
    key: tuple[Any, ...] = field(default=())


def base_villages(results: Results) -> gpd.GeoDataFrame:
    """The villages without indicator columns (input columns + snapping)."""
    cols = list(results.inputs.villages.columns)
    cols += [c for c in results.villages.columns if c.startswith("snap_") and c not in cols]
    return gpd.GeoDataFrame(results.villages.loc[:, cols], geometry="geometry", crs=WGS84)


def view_data(results: Results) -> ViewData:
    """The view inputs of a pipeline run."""
    return ViewData(
        settings=results.settings,
        villages=base_villages(results),
        travel_times=results.travel_times,
        offers=results.offers,
        boundaries=results.boundaries,
        categories=results.categories,
        category_table=results.settings.categories(),
    )


def _threshold_fn(
    settings: Settings, overrides: Mapping[str, float]
) -> Callable[[str, str], float]:
    def threshold(category: str, mode: str) -> float:
        if category in overrides:
            return float(overrides[category])
        return settings.threshold(category, mode)

    return threshold


def compute_view(
    data: ViewData,
    *,
    mode: str,
    categories: Sequence[str],
    age_group: str,
    thresholds: Mapping[str, float],
) -> View:
    """Indicators for the chosen mode, categories, age group and thresholds.

    Only the long-table rows of ``mode`` and the offers of ``categories``
    enter :func:`indicators.village_table`, so an interaction costs one
    group-by over a slice of the cached table.

    Parameters
    ----------
    data
        Cached region data (see :func:`view_data`).
    mode
        ``car``, ``bike`` or ``walk``.
    categories
        Category keys (present in ``data.categories``).
    age_group
        One of :data:`erreichbarkeit.config.AGE_GROUPS`; its children weight
        the Gemeinde/Kreis indicators of every category.
    thresholds
        Minutes per category for this mode (missing: the settings' value).

    Returns
    -------
    View
    """
    cats = tuple(c for c in categories if c in data.categories)
    fn = _threshold_fn(data.settings, thresholds)
    tt = data.travel_times[data.travel_times["mode"] == mode]
    offers = data.offers[data.offers["category"].isin(cats)]
    labels = {k: c.label for k, c in data.category_table.items()}
    vt = indicators.village_table(
        data.villages, tt, offers, categories=cats, modes=(mode,), threshold=fn, labels=labels
    )
    vt = gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84)
    groups = dict.fromkeys(cats, (age_group,))
    gem = indicators.gemeinde_long(
        vt, categories=cats, modes=(mode,), threshold=fn, age_groups=groups
    )
    kreis = indicators.kreis_summary(
        vt, categories=cats, modes=(mode,), threshold=fn, age_groups=groups
    )
    used = {c: fn(c, mode) for c in cats}
    return View(
        mode=mode,
        categories=cats,
        age_group=age_group,
        thresholds=used,
        villages=vt,
        gemeinden=gem,
        kreis=kreis,
        key=(mode, cats, age_group, tuple(sorted(used.items()))),
    )


def kpis(view: View, category: str) -> dict[str, float]:
    """The four KPI numbers of one category.

    Returns
    -------
    dict
        ``children_within``, ``children_beyond`` (children of the chosen age
        group), ``underserved`` (villages beyond the threshold or without an
        offer), ``median_min`` (children-weighted lower median minutes).
    """
    row = view.kreis[(view.kreis["category"] == category) & (view.kreis["mode"] == view.mode)]
    if row.empty:
        nan = math.nan
        return {
            "children_within": nan,
            "children_beyond": nan,
            "underserved": nan,
            "median_min": nan,
        }
    r = row.iloc[0]
    total = float(pd.to_numeric(view.villages[age_column(view.age_group)]).fillna(0).sum())
    beyond = float(r["children_beyond"])
    return {
        "children_within": total - beyond,
        "children_beyond": beyond,
        "underserved": float(r["n_underserved"]),
        "median_min": float(r["children_median_min"]),
    }


def map_frame(view: View, category: str) -> gpd.GeoDataFrame:
    """The village points for :func:`erreichbarkeit.webmap.maps.build_map`."""
    p = f"{category}_{view.mode}"
    v = view.villages
    return gpd.GeoDataFrame(
        {
            "id": v["id"],
            "name": v["name"],
            "gemeinde": v.get("gemeinde", ""),
            "minutes": v[f"{p}_min"],
            "km": v[f"{p}_km"],
            "nearest": v[f"{p}_nearest"],
            "children": v[age_column(view.age_group)],
            "reason": v["reason"],
            "place": v["place"] if "place" in v.columns else "",
        },
        geometry=v.geometry,
        crs=WGS84,
    )


def village_display(view: View, labels: Mapping[str, str]) -> pd.DataFrame:
    """The village table for the page: German headers, worst first.

    Sorted by the number of categories whose threshold is missed
    (descending), then by the largest minutes-to-threshold ratio (unreachable
    first), then by name.
    """
    v = view.villages
    age = texts.AGE_LABEL.format(group=view.age_group)
    out = pd.DataFrame(
        {
            texts.COL_NAME: v["name"],
            texts.COL_GEMEINDE: v.get("gemeinde", ""),
            texts.COL_CHILDREN.format(age=age): pd.to_numeric(v[age_column(view.age_group)]).round(
                0
            ),
        }
    )
    unmet = pd.Series(0, index=v.index)
    ratio = pd.Series(0.0, index=v.index)
    for cat in view.categories:
        p = f"{cat}_{view.mode}"
        label = labels.get(cat, cat)
        out[texts.COL_MIN.format(label=label)] = v[f"{p}_min"].round(1)
        out[texts.COL_KM.format(label=label)] = v[f"{p}_km"].round(1)
        out[texts.COL_WITHIN.format(label=label)] = v[f"{p}_within"]
        unmet += (~v[f"{p}_within"].astype(bool)).astype(int)
        r = (v[f"{p}_min"] / view.thresholds[cat]).fillna(math.inf)
        ratio = pd.concat([ratio, r], axis=1).max(axis=1)
    out[texts.COL_UNMET] = unmet
    out[texts.COL_REASON] = v["reason"]
    order = pd.DataFrame({"u": -unmet, "r": -ratio, "n": v["name"].astype(str)}).sort_values(
        ["u", "r", "n"], kind="mergesort"
    )
    out = out.loc[order.index]
    out.index = pd.Index(v.loc[order.index, "id"].astype(str), name="id")
    return out


def nearest_for_village(
    data: ViewData, village_id: str, *, mode: str, categories: Sequence[str], k: int = 2
) -> pd.DataFrame:
    """The ``k`` nearest offers of each category from one village (German headers)."""
    tt = data.travel_times
    tt = tt[(tt["origin_id"] == village_id) & (tt["mode"] == mode)]
    offers = data.offers[data.offers["category"].isin(categories)]
    near = indicators.nearest_offers(tt, offers, k=k)
    labels = {c: data.category_table[c].label for c in categories if c in data.category_table}
    rows = []
    for cat in categories:
        part = near[near["category"] == cat]
        if part.empty:
            rows.append(
                {
                    texts.COL_CATEGORY: labels.get(cat, cat),
                    texts.COL_RANK: 1,
                    texts.COL_OFFER: texts.NO_OFFER,
                    texts.COL_MINUTES: math.nan,
                    texts.COL_KM_PLAIN: math.nan,
                }
            )
            continue
        records: list[dict[Any, Any]] = part.to_dict("records")
        for rec in records:
            rows.append(
                {
                    texts.COL_CATEGORY: labels.get(cat, cat),
                    texts.COL_RANK: int(rec["rank"]),
                    texts.COL_OFFER: rec["name"],
                    texts.COL_MINUTES: round(float(rec["minutes"]), 1),
                    texts.COL_KM_PLAIN: round(float(rec["km"]), 1),
                }
            )
    return pd.DataFrame(rows)


# -- uploads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadOutcome:
    """Result of reading an uploaded offers file.

    Attributes
    ----------
    name
        The file name as the user uploaded it (display only).
    offers
        Valid offers (ids prefixed ``upload:``), possibly empty.
    problems
        Row problems (German messages).
    error
        A German message when the whole file was unusable, else ``None``.
    """

    name: str
    offers: gpd.GeoDataFrame
    problems: tuple[RowProblem, ...] = ()
    error: str | None = None


def _empty_offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [], "name": [], "category": []}, geometry=[], crs=WGS84)


#: Most offers one upload may hold (routing 2 000 offers takes a few seconds;
#: 20 000 took 40 s and held 675 000 travel-time rows in one session).
MAX_UPLOAD_OFFERS = 2000


def handle_upload(
    data: bytes,
    filename: str,
    *,
    workdir: Path,
    categories: Mapping[str, Category],
    addresses: pd.DataFrame | None = None,
    region_bounds: tuple[float, float, float, float] | None = None,
    accept_street_match: bool = False,
) -> UploadOutcome:
    """Read an uploaded offers CSV/XLSX.

    The bytes are written to ``workdir`` under a name made from their hash
    and the (whitelisted) suffix — never from the user's file name.

    Parameters
    ----------
    data
        The uploaded bytes.
    filename
        The user's file name (for messages and the suffix).
    workdir
        A per-session temporary folder.
    categories, addresses, region_bounds, accept_street_match
        As for :func:`erreichbarkeit.io.inputs.read_offers`.

    Returns
    -------
    UploadOutcome
        Never raises for bad files: the German message is in ``error``.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in _UPLOAD_SUFFIXES:
        return UploadOutcome(
            filename, _empty_offers(), error=texts.UPLOAD_BAD_TYPE.format(suffix=suffix or "?")
        )
    workdir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = workdir / f"angebote-{digest}{suffix}"
    path.write_bytes(data)
    try:
        res = read_offers(
            path,
            categories,
            addresses=addresses,
            accept_street_match=accept_street_match,
            region_bounds=region_bounds,
        )
    except ErreichbarkeitError as exc:
        return UploadOutcome(
            filename, _empty_offers(), error=exc.german.replace(path.name, filename)
        )
    except Exception as exc:  # a file the readers did not anticipate must not crash the page
        logger.exception("unexpected error reading an uploaded offers file")
        return UploadOutcome(
            filename,
            _empty_offers(),
            error=f"Datei {filename}: nicht lesbar ({type(exc).__name__})",
        )
    if len(res.offers) > MAX_UPLOAD_OFFERS:
        # one accidental huge list must not tie up the shared server for minutes
        return UploadOutcome(
            filename,
            _empty_offers(),
            res.problems,
            error=texts.UPLOAD_TOO_MANY.format(
                name=filename, n=len(res.offers), max=MAX_UPLOAD_OFFERS
            ),
        )
    offers = res.offers.copy()
    if len(offers):
        ids = offers["id"].astype(str).str.replace(path.name, filename, regex=False)
        offers["id"] = "upload:" + ids
        offers["source"] = filename
    problems = tuple(dataclasses.replace(p, file=filename) for p in res.problems)
    return UploadOutcome(filename, offers, problems)


def problems_frame(problems: Sequence[RowProblem]) -> pd.DataFrame:
    """Row problems as a German table (Zeile, Spalte, Art, Meldung)."""
    return pd.DataFrame(
        {
            texts.COL_ROW: [p.row for p in problems],
            texts.COL_COLUMN: [p.column or "" for p in problems],
            texts.COL_SEVERITY: [texts.SEVERITY.get(p.severity, p.severity) for p in problems],
            texts.COL_MESSAGE: [p.message_de for p in problems],
        }
    )


def route_offers(
    routers: Mapping[str, Router], data: ViewData, offers: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Long table from every village to the given (uploaded) offers."""
    s = data.settings
    result = compute_travel_times(
        routers,
        data.villages,
        offers,
        cutoff_minutes=s.routing.cutoff_minutes,
        max_snap_m=s.routing.max_snap_m,
        modes=s.modes,
    )
    return result.travel_times


def merge_upload(data: ViewData, offers: gpd.GeoDataFrame, travel_times: pd.DataFrame) -> ViewData:
    """The region data plus uploaded offers and their travel times."""
    if offers.empty:
        return data
    all_offers = gpd.GeoDataFrame(
        pd.concat([data.offers, offers.to_crs(WGS84)], ignore_index=True),
        geometry="geometry",
        crs=WGS84,
    )
    tt = pd.concat([data.travel_times, travel_times], ignore_index=True)
    present = set(all_offers["category"])
    cats = tuple(c for c in data.category_table if c in present)
    return dataclasses.replace(data, offers=all_offers, travel_times=tt, categories=cats)


# -- exports ------------------------------------------------------------------------------


def export_files(
    results: Results, data: ViewData, view: View, *, workdir: Path, map_html: str
) -> dict[str, bytes]:
    """Write the exports of the current view and return their bytes.

    Returns
    -------
    dict[str, bytes]
        ``xlsx``, ``orte_csv``, ``gpkg``, ``html``.
    """
    from erreichbarkeit.report import export  # noqa: PLC0415

    thresholds = {
        c: dict(results.settings.thresholds.get(c, {})) for c in results.settings.thresholds
    }
    for cat, minutes in view.thresholds.items():
        thresholds.setdefault(cat, {})[view.mode] = float(minutes)
    settings = results.settings.replace(thresholds=thresholds, modes=(view.mode,))
    shown = dataclasses.replace(
        results,
        settings=settings,
        villages=view.villages,
        inputs=dataclasses.replace(results.inputs, offers=data.offers),
    )
    out = workdir / "export"
    paths = export.export_all(
        out,
        villages=view.villages,
        gemeinden=view.gemeinden,
        offers=data.offers,
        travel_times=data.travel_times[data.travel_times["mode"] == view.mode],
        boundaries=data.boundaries if len(data.boundaries) else None,
        methodik=methodik(shown),
    )
    return {
        "xlsx": paths["xlsx"].read_bytes(),
        "orte_csv": paths["orte_csv"].read_bytes(),
        "gpkg": paths["gpkg"].read_bytes(),
        "html": map_html.encode("utf-8"),
    }


def legend_title(view: View, category: str, labels: Mapping[str, str]) -> str:
    """Legend title of the map."""
    return texts.LEGEND_TITLE.format(
        label=labels.get(category, category), mode=MODE_LABELS.get(view.mode, view.mode)
    )


@dataclass(frozen=True)
class StaticLayers:
    """The layers of a region that no interaction changes (built once per region).

    Attributes
    ----------
    roads
        The offline base layer (:func:`erreichbarkeit.report.basemap.road_lines`),
        ``None`` when it could not be extracted.
    roads_json
        ``roads`` as GeoJSON text for the web map (``None`` likewise).
    boundaries_json
        The Gemeinde polygons as GeoJSON text (``None`` when there are none).
    """

    roads: gpd.GeoDataFrame | None
    roads_json: str | None
    boundaries_json: str | None


def static_layers(results: Results) -> StaticLayers:
    """Extract (or read from the disk cache) and serialise a region's fixed layers.

    A base layer that cannot be extracted is logged and left out: it is
    orientation only and must never keep the dashboard from working.
    """
    from erreichbarkeit.report import basemap  # noqa: PLC0415

    s = results.settings
    roads: gpd.GeoDataFrame | None = None
    if s.network is not None:
        try:
            roads = basemap.cached_road_lines(
                s.network, s.cache_dir, layer=s.roads_layer, class_column=s.road_class_column
            )
        except (ErreichbarkeitError, OSError) as exc:
            logger.warning("no offline base layer for %s: %s", s.network, exc)
    b = results.boundaries
    return StaticLayers(
        roads=roads if roads is not None and len(roads) else None,
        roads_json=basemap.roads_geojson(roads) if roads is not None and len(roads) else None,
        boundaries_json=maps.geojson_text(b, ("ags", "gemeinde")) if len(b) else None,
    )


def data_bounds(data: ViewData) -> tuple[float, float, float, float]:
    """Lon/lat extent of the villages, offers and boundaries of a region."""
    parts = [data.villages.geometry, data.offers.geometry]
    if len(data.boundaries):
        parts.append(data.boundaries.geometry)
    bounds = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=WGS84).total_bounds
    return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))


def build_view_map(
    data: ViewData,
    view: View,
    category: str,
    *,
    basemap: bool | str | None = False,
    layers: StaticLayers | None = None,
    selected_id: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    legend_font_px: int = 12,
    overlay: GridOverlay | None = None,
    marks: Sequence[list[Any]] | None = None,
    marks_name: str = "Markierungen",
) -> Any:
    """The folium map of one category of a view (fixed layers from ``layers``).

    ``basemap`` is a key of :data:`erreichbarkeit.webmap.maps.BASEMAPS` (or
    ``False``/``"none"``); ``overlay`` adds the grid surface and/or bands;
    ``marks`` highlighted points (:func:`erreichbarkeit.webmap.maps.mark_rows`).
    """
    ov = overlay or GridOverlay()
    labels = {k: c.label for k, c in data.category_table.items()}
    offers = data.offers[data.offers["category"] == category]
    boundaries: gpd.GeoDataFrame | str = data.boundaries
    roads: str | None = None
    if layers is not None:
        boundaries = layers.boundaries_json or data.boundaries
        roads = layers.roads_json
    return maps.build_map(
        map_frame(view, category),
        offers=offers,
        boundaries=boundaries,
        roads=roads,
        categories=data.category_table,
        legend_title=legend_title(view, category, labels),
        basemap=basemap,
        selected_id=selected_id,
        bounds=bounds or data_bounds(data),
        legend_font_px=legend_font_px,
        surface=ov.surface,
        surface_note=texts.SURFACE_NOTE if ov.surface is not None else "",
        bands=ov.bands_json,
        bands_title=ov.bands_title,
        bands_labels=ov.bands_labels,
        bands_note=texts.BANDS_NOTE if ov.bands_json is not None else "",
        marks=marks,
        marks_name=marks_name,
    )


# -- grid surface, bands and grid key figures ---------------------------------------


@dataclass(frozen=True)
class GridOverlay:
    """What the map shows of the grid (all ``None``: nothing).

    Attributes
    ----------
    surface
        Text of :func:`erreichbarkeit.webmap.maps.grid_surface_json`.
    bands_json
        Bands as text of :func:`erreichbarkeit.webmap.maps.bands_geojson`.
    bands_labels
        The band labels of ``bands_json``, fastest first.
    bands_title
        Name of the band layer and title of its legend.
    """

    surface: str | None = None
    bands_json: str | None = None
    bands_labels: tuple[str, ...] = ()
    bands_title: str = "Reisezeit-Bänder"


def _grid_column(grid: GridResult, category: str, mode: str) -> str | None:
    column = f"{category}_{mode}_min"
    return column if column in grid.cells.columns else None


def grid_surface_text(grid: GridResult | None, category: str, mode: str) -> str | None:
    """The grid surface of one category and mode for the map (``None`` without grid data).

    Cells are coloured by minutes to the nearest offer of ``category`` with
    the village classes (:func:`erreichbarkeit.webmap.maps.classify_minutes`).
    """
    if grid is None:
        return None
    column = _grid_column(grid, category, mode)
    if column is None:
        return None
    return maps.grid_surface_json(grid.cells, grid.cells[column].to_numpy("float64"))


def category_bands(grid: GridResult | None, category: str, mode: str) -> gpd.GeoDataFrame | None:
    """Travel-time bands around all offers of a category (``None`` without grid data).

    The same as :func:`erreichbarkeit.analysis.bands.grid_bands` for that category
    and mode, plus the columns ``category``, ``mode`` and ``offers`` (empty:
    the whole category).
    """
    from erreichbarkeit.analysis.bands import bands_for_offers  # noqa: PLC0415

    if grid is None or _grid_column(grid, category, mode) is None:
        return None
    out = bands_for_offers(grid.cells, category=category, mode=mode)
    return out.assign(category=category, mode=mode, offers="")


def offer_bands(
    grid: GridResult,
    offers: gpd.GeoDataFrame,
    router: Router,
    offer_ids: Sequence[str],
    *,
    mode: str,
    cutoff_minutes: float,
    max_snap_m: float,
) -> gpd.GeoDataFrame:
    """Travel-time bands around a few selected offers, routed on demand.

    Every grid cell is routed to the selected offers only
    (:func:`erreichbarkeit.analysis.grid.offer_minutes`), then dissolved into bands
    of the minutes to the nearest of them
    (:func:`erreichbarkeit.analysis.bands.bands_for_offers`).

    Parameters
    ----------
    grid
        The run's grid surface.
    offers
        Offers contract containing ``offer_ids`` (may include uploaded offers).
    router
        The router of ``mode``.
    offer_ids
        The selected offers.
    mode
        Written into the ``mode`` column.
    cutoff_minutes, max_snap_m
        The run's routing limits.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`erreichbarkeit.analysis.bands.travel_time_bands` plus ``category``
        (of the offers, ``;``-joined), ``mode`` and ``offers`` (their names).
    """
    from erreichbarkeit.analysis.bands import bands_for_offers  # noqa: PLC0415
    from erreichbarkeit.analysis.grid import offer_minutes  # noqa: PLC0415

    ids = [str(i) for i in offer_ids]
    t = offer_minutes(
        grid.cells,
        offers,
        router,
        offer_ids=ids,
        cutoff_minutes=cutoff_minutes,
        max_snap_m=max_snap_m,
    )
    out = bands_for_offers(grid.cells, t, ids)
    chosen = offers[offers["id"].astype(str).isin(ids)]
    cats = ";".join(dict.fromkeys(chosen["category"].astype(str)))
    names = "; ".join(chosen["name"].astype(str))
    return out.assign(category=cats, mode=mode, offers=names)


def offer_label(row: Mapping[str, Any]) -> str:
    """``"Kita Sonnenschein – Hauptstraße 1, Musterhausen"`` (address when known)."""
    name = str(row.get("name") or row.get("id") or "")
    address = row.get("address")
    if isinstance(address, str) and address.strip():
        return f"{name} – {address.strip()}"
    return name


def bands_gpkg_bytes(bands: gpd.GeoDataFrame, *, workdir: Path) -> bytes:
    """The bands as a GeoPackage (layer ``reisezeitbaender``, EPSG:25832), as bytes."""
    from erreichbarkeit.report import export  # noqa: PLC0415

    workdir.mkdir(parents=True, exist_ok=True)
    path = export.write_geopackage(workdir / "reisezeitbaender.gpkg", {"reisezeitbaender": bands})
    return path.read_bytes()


def _pct(x: Any) -> float:
    return round(100 * float(x), 1) if x is not None and not pd.isna(x) else math.nan


def _grid_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        texts.GRID_COL_POP: round(float(row["population"]), 0)
        if not pd.isna(row["population"])
        else math.nan,
        texts.GRID_COL_CELLS: int(row["n_cells"]),
        texts.GRID_COL_MEAN: round(float(row["pop_mean_min"]), 1),
        texts.GRID_COL_MEDIAN: round(float(row["pop_median_min"]), 1),
    }
    for b in (5, 10, 15, 20):
        out[texts.GRID_COL_WITHIN.format(minutes=b)] = _pct(row.get(f"share_within_{b}"))
    out[texts.GRID_COL_UNREACHABLE] = _pct(row.get("share_unreachable"))
    return out


def grid_kpi_tables(
    grid: GridResult, category: str, mode: str
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The grid key figures of one category and mode with German headers.

    Returns
    -------
    tuple
        ``(kreis, gemeinden, weighting)``: one row for the region and one per
        Gemeinde (sorted by the share within 10 minutes, lowest first) with
        Einwohner, Zellen, mean and median minutes and the shares (%) within
        5/10/15/20 minutes and without a reachable offer; ``weighting`` is
        the library's weighting basis (``Einwohner`` or the area basis).
        Empty tables when the grid has no figures for the category and mode.
    """
    k = grid.kreis[(grid.kreis["category"] == category) & (grid.kreis["mode"] == mode)]
    g = grid.gemeinde[(grid.gemeinde["category"] == category) & (grid.gemeinde["mode"] == mode)]
    weighting = str(k["weighting"].iloc[0]) if len(k) and "weighting" in k else ""
    kreis = pd.DataFrame(
        [{texts.GRID_COL_AREA: texts.GRID_REGION, **_grid_row(r)} for r in k.to_dict("records")]
    )
    rows = [
        {texts.COL_GEMEINDE: r["gemeinde"], "AGS": str(r["ags"]), **_grid_row(r)}
        for r in g.to_dict("records")
    ]
    gem = pd.DataFrame(rows)
    within10 = texts.GRID_COL_WITHIN.format(minutes=10)
    if len(gem):
        gem = gem.sort_values([within10, texts.COL_GEMEINDE], kind="mergesort").reset_index(
            drop=True
        )
    return kreis, gem, weighting


# -- meeting mode ----------------------------------------------------------------------


def view_subtitle(view: View, category: str, labels: Mapping[str, str]) -> str:
    """``"Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 10 min"``."""
    minutes = f"{view.thresholds.get(category, math.nan):g}".replace(".", ",")
    return texts.PRINT_SUBTITLE.format(
        label=labels.get(category, category),
        mode=MODE_LABELS.get(view.mode, view.mode),
        age=view.age_group.replace("-", "–"),
        minutes=minutes,
    )


def _de_int(x: float) -> str:
    return "–" if math.isnan(x) else f"{round(x):,}".replace(",", ".")


def kpi_notes(view: View, category: str) -> list[str]:
    """Key figures of one category as short German lines (for the print map)."""
    k = kpis(view, category)
    age = view.age_group.replace("-", "–")
    minutes = f"{view.thresholds.get(category, math.nan):g}".replace(".", ",")
    total = k["children_within"] + k["children_beyond"]
    share = 100 * k["children_beyond"] / total if total > 0 else math.nan
    share_text = "" if math.isnan(share) else f" ({share:.0f} %)".replace(".", ",")
    median = "–" if math.isnan(k["median_min"]) else f"{k['median_min']:.1f}".replace(".", ",")
    return [
        texts.NOTE_BEYOND.format(
            age=age, minutes=minutes, n=_de_int(k["children_beyond"]), share=share_text
        ),
        texts.NOTE_UNDERSERVED.format(n=_de_int(k["underserved"])),
        texts.NOTE_MEDIAN.format(age=age, median=median),
    ]


def gemeinde_extent(data: ViewData, ags: str | None) -> tuple[float, float, float, float] | None:
    """Lon/lat extent of one Gemeinde (``None`` for the whole region or an unknown AGS)."""
    if not ags or not len(data.boundaries):
        return None
    part = data.boundaries[data.boundaries["ags"].astype(str) == str(ags)]
    if part.empty:
        return None
    b = part.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def print_map_bytes(
    data: ViewData,
    view: View,
    category: str,
    *,
    region_name: str,
    sources: Sequence[Mapping[str, str]],
    layers: StaticLayers | None = None,
    extent: tuple[float, float, float, float] | None = None,
    extent_label: str = "",
    paper: str = "A4",
    fmt: str = "pdf",
) -> bytes:
    """The print map (PDF/PNG) of one category of a view.

    Parameters
    ----------
    data, view, category
        As for :func:`build_view_map`.
    region_name
        Printed in the title.
    sources
        ``results.inputs.sources`` (the attribution line).
    layers
        The region's fixed layers (roads of the base layer).
    extent
        Lon/lat frame of the map (``None``: the whole region).
    extent_label
        Name of the frame (a Gemeinde), added to the title.
    paper, fmt
        ``"A4"``/``"A3"``, ``"pdf"``/``"png"``.

    Returns
    -------
    bytes
    """
    from erreichbarkeit.report import printmap  # noqa: PLC0415  (matplotlib only when printing)

    labels = {k: c.label for k, c in data.category_table.items()}
    title = texts.PRINT_TITLE.format(label=labels.get(category, category), region=region_name)
    if extent_label:
        title += f" – {extent_label}"
    return printmap.render_print_map(
        map_frame(view, category),
        title=title,
        subtitle=view_subtitle(view, category, labels),
        offers=data.offers[data.offers["category"] == category],
        boundaries=data.boundaries if len(data.boundaries) else None,
        roads=layers.roads if layers is not None else None,
        categories=data.category_table,
        legend_title=legend_title(view, category, labels),
        sources=printmap.source_line(sources),
        notes=kpi_notes(view, category),
        extent=extent,
        paper=paper,  # type: ignore[arg-type]
        fmt=fmt,  # type: ignore[arg-type]
    )
