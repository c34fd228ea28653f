"""What the dashboard's web map shows (no Streamlit).

The region's fixed layers (:class:`StaticLayers`, built once per region),
the grid surface and travel-time bands (:class:`GridOverlay`) and the
folium map of one category of a view (:func:`build_view_map`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from erreichbarkeit import webmap
from erreichbarkeit.analysis.bands import bands_for_offers
from erreichbarkeit.analysis.grid import GridResult, offer_minutes
from erreichbarkeit.config import WGS84, Settings, age_column, format_window
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.io import gtfs
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.report.basemap import cached_road_lines, roads_geojson
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.tables import format_day, legend_title
from erreichbarkeit.ui.views import View, ViewData, data_bounds
from erreichbarkeit.webmap._base import metric_scale
from erreichbarkeit.webmap.need import add_need_layer

__all__ = [
    "GridOverlay",
    "StaticLayers",
    "build_view_map",
    "category_bands",
    "grid_surface_text",
    "map_frame",
    "offer_bands",
    "static_layers",
    "transit_layers",
]

logger = logging.getLogger(__name__)


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


def _road_lines(results: Results) -> gpd.GeoDataFrame | None:
    """The run's offline base layer (``None`` when it is empty or cannot be extracted).

    A base layer that cannot be extracted is logged and left out: it is
    orientation only and must never keep the dashboard from working.
    """
    s = results.settings
    if s.network is None:
        return None
    try:
        roads = cached_road_lines(
            s.network, s.cache_dir, layer=s.roads_layer, class_column=s.road_class_column
        )
    except (ErreichbarkeitError, OSError) as exc:
        logger.warning("no offline base layer for %s: %s", s.network, exc)
        return None
    return roads if roads is not None and len(roads) else None


def static_layers(results: Results) -> StaticLayers:
    """Extract (or read from the disk cache) and serialise a region's fixed layers."""
    roads = _road_lines(results)
    b = results.boundaries
    return StaticLayers(
        roads=roads,
        roads_json=roads_geojson(roads) if roads is not None else None,
        boundaries_json=webmap.geojson_text(b, ("ags", "gemeinde", "in_area")) if len(b) else None,
    )


@dataclass(frozen=True)
class GridOverlay:
    """What the map shows of the grid (all ``None``: nothing).

    Attributes
    ----------
    surface
        Text of :func:`erreichbarkeit.webmap.grid_surface_json`.
    bands_json
        Bands as text of :func:`erreichbarkeit.webmap.bands_geojson`.
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
    """The grid cells' minutes column of a category and mode (``None`` when absent)."""
    column = f"{category}_{mode}_min"
    return column if column in grid.cells.columns else None


def grid_surface_text(grid: GridResult | None, category: str, mode: str) -> str | None:
    """The grid surface of one category and mode for the map (``None`` without grid data).

    Cells are coloured by minutes to the nearest offer of ``category`` with
    the village classes (:func:`erreichbarkeit.webmap.classify_minutes`).
    """
    if grid is None:
        return None
    column = _grid_column(grid, category, mode)
    if column is None:
        return None
    return webmap.grid_surface_json(grid.cells, grid.cells[column].to_numpy("float64"))


def category_bands(grid: GridResult | None, category: str, mode: str) -> gpd.GeoDataFrame | None:
    """Travel-time bands around all offers of a category (``None`` without grid data).

    The same as :func:`erreichbarkeit.analysis.bands.grid_bands` for that category
    and mode, plus the columns ``category``, ``mode`` and ``offers`` (empty:
    the whole category).
    """
    if grid is None or _grid_column(grid, category, mode) is None:
        return None
    out = bands_for_offers(grid.cells, category=category, mode=mode)
    return out.assign(category=category, mode=mode, offers="")


def offer_bands(
    grid: GridResult,
    offers: gpd.GeoDataFrame,
    router: RouterLike,
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
        Offers containing ``offer_ids`` (may include uploaded offers).
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


def _pt_frame(view: View, category: str, settings: Settings | None) -> dict[str, Any]:
    """The Bus & Bahn popup columns of one category (empty outside Bus & Bahn)."""
    p = f"{category}_pt"
    v = view.villages
    if view.mode != "pt" or f"{p}_status" not in v.columns:
        return {}
    window = format_window(settings.pt_window(category)) if settings is not None else ""
    home_limit = ""
    if settings is not None:
        home_by = settings.transit.home_by
        home_limit = f"{home_by // 60:02d}:{home_by % 60:02d}"
    afternoon = f"{p}_home_at" in v.columns
    return {
        "pt_best": v[f"{p}_best_min"],
        "pt_departures": v[f"{p}_departures"],
        "pt_transfers": v[f"{p}_transfers"],
        "pt_walk_only": v[f"{p}_walk_only"],
        "pt_factor": v[f"{p}_factor"],
        "pt_status": v[f"{p}_status"].fillna("").astype(str),
        "pt_window": window,
        "pt_afternoon": afternoon,
        "pt_home_at": v[f"{p}_home_at"].fillna("").astype(str) if afternoon else "",
        "pt_home_limit": home_limit,
    }


def map_frame(view: View, category: str, settings: Settings | None = None) -> gpd.GeoDataFrame:
    """The village points for :func:`erreichbarkeit.webmap.build_map`.

    In Bus & Bahn mode (and with ``settings`` for the departure window and
    the way home) the frame also has the ``pt_*`` popup columns of
    :func:`erreichbarkeit.webmap.transit.pt_popup_lines`.
    """
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
            "outreach": v.get(f"{category}_outreach_name", ""),  # aufsuchende Angebote
            "children": v[age_column(view.age_group)],
            "reason": v["reason"],
            "place": v["place"] if "place" in v.columns else "",
            "gemeinde_partial": v["gemeinde_partial"] if "gemeinde_partial" in v.columns else False,
            "in_area": v["in_area"] if "in_area" in v.columns else True,
            **_pt_frame(view, category, settings),
        },
        geometry=v.geometry,
        crs=WGS84,
    )


def transit_layers(results: Results, category: str) -> webmap.TransitLayers | None:
    """The stops (departures in the category's window) and lines of a run's timetable.

    ``None`` when the run has no Bus & Bahn timetable.
    """
    timetable = results.inputs.timetable
    if timetable is None or "pt" not in results.settings.modes or not timetable.feeds:
        return None
    window = results.settings.pt_window(category)
    window_text = format_window(window)
    stops = gtfs.stop_departures(timetable.feeds, timetable.day, window)
    lines = gtfs.route_lines(
        timetable.feeds, timetable.day, on_demand_routes=results.settings.transit.on_demand_routes
    )
    return webmap.TransitLayers(
        stops=webmap.stop_rows(stops, window_text),
        lines=webmap.line_rows(lines),
        note=texts.PT_WINDOW_NOTE.format(window=window_text, day=format_day(timetable.day)),
    )


def _overlay_options(overlay: GridOverlay | None) -> dict[str, Any]:
    """The grid surface and bands arguments of :func:`erreichbarkeit.webmap.build_map`."""
    ov = overlay or GridOverlay()
    return {
        "surface": ov.surface,
        "surface_note": texts.SURFACE_NOTE if ov.surface is not None else "",
        "bands": ov.bands_json,
        "bands_title": ov.bands_title,
        "bands_labels": ov.bands_labels,
        "bands_note": texts.BANDS_NOTE if ov.bands_json is not None else "",
    }


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
    transit: webmap.TransitLayers | None = None,
    color_by: str = "minutes",
) -> Any:
    """The folium map of one category of a view (fixed layers from ``layers``).

    ``basemap`` is a key of :data:`erreichbarkeit.webmap.BASEMAPS` (or
    ``False``/``"none"``); ``overlay`` adds the grid surface and/or bands;
    ``marks`` highlighted points (:func:`erreichbarkeit.webmap.mark_rows`).
    In Bus & Bahn mode the stops and lines of ``transit`` (default: built by
    :func:`transit_layers`) are drawn and ``color_by="factor"`` colours the
    villages by the car factor; other modes ignore both.
    """
    labels = {k: c.label for k, c in data.category_table.items()}
    boundaries: gpd.GeoDataFrame | str = data.boundaries
    roads: str | None = None
    if layers is not None:
        boundaries = layers.boundaries_json or data.boundaries
        roads = layers.roads_json
    pt = view.mode == "pt"
    if pt and transit is None:
        transit = transit_layers(data.results, category)
    fmap = webmap.build_map(
        map_frame(view, category, data.settings),
        offers=data.offers[data.offers["category"] == category],
        boundaries=boundaries,
        roads=roads,
        categories=data.category_table,
        legend_title=(
            texts.PT_FACTOR_LEGEND.format(label=labels.get(category, category))
            if pt and color_by == "factor"
            else legend_title(view, category, labels)
        ),
        basemap=basemap,
        selected_id=selected_id,
        bounds=bounds or data_bounds(data),
        legend_font_px=legend_font_px,
        marks=marks,
        marks_name=marks_name,
        transit=transit if pt else None,
        color_by=color_by if pt else "minutes",
        **_overlay_options(overlay),
    )
    need = getattr(data.results, "need", None)  # the layer „Bedarf“ (webmap/need.py), off
    add_need_layer(fmap, need, boundaries=data.boundaries, villages=data.results.villages)
    return metric_scale(fmap)  # kilometres only, no „5 mi“
