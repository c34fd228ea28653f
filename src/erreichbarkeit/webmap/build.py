"""The web map: :func:`build_map` puts the layers, legends and assets on one folium map.

The dashboard (``erreichbarkeit.ui``) and the standalone HTML export
(:func:`map_html`) use the same builder.  No background tiles are added
unless asked for (``basemap="basemap.de"`` or ``"osm"``; both need the
internet); otherwise Leaflet comes from :mod:`erreichbarkeit.webmap.assets`
and the map works offline.

Layers from bottom to top: grid surface (own pane below the others), roads
(offline base layer), travel-time bands, Gemeinden, Bus & Bahn lines and
stops, villages, offers, marks;
each can be switched off in the layer control.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.report.style import BIN_EDGES, ROAD_STYLES, band_color
from erreichbarkeit.webmap._base import metric_scale
from erreichbarkeit.webmap.assets import offline_assets
from erreichbarkeit.webmap.layers import (
    GeoJsonText,
    GridSurfaceLayer,
    MarkLayer,
    VillageLayer,
    bands_geojson,
    geojson_text,
    offer_layer,
    village_rows,
)
from erreichbarkeit.webmap.legend import Legend, bands_legend_html, caption_html, legend_html
from erreichbarkeit.webmap.outreach import add_outreach, has_outreach, outreach_legend_rows
from erreichbarkeit.webmap.transit import (
    FACTOR_COLORS,
    FACTOR_LABELS,
    TransitLayers,
    classify_factor,
    transit_legend_rows,
)

__all__ = ["BASEMAPS", "Basemap", "add_caption", "build_map", "map_html"]


@dataclass(frozen=True)
class Basemap:
    """An online background map (XYZ tiles).

    Attributes
    ----------
    label
        Name in the layer control.
    url
        Tile URL template (``{z}``, ``{x}``, ``{y}``).
    attribution
        HTML attribution shown in the map corner (the provider's terms).
    max_zoom
        Highest zoom level the service delivers.
    """

    label: str
    url: str
    attribution: str
    max_zoom: int


#: Online background maps by key (``"basemap.de"``, ``"osm"``).  basemap.de
#: Web Raster is the official German web map of the BKG and the surveying
#: offices (WMTS in Web Mercator, licence dl-de/by-2-0: attribution
#: "© GeoBasis-DE / BKG (year)").
BASEMAPS: Mapping[str, Basemap] = MappingProxyType(
    {
        "basemap.de": Basemap(
            label="basemap.de",
            url=(
                "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/"
                "de_basemapde_web_raster_farbe/default/GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
            ),
            attribution=(
                f"&copy; GeoBasis-DE / BKG ({date.today().year}), "
                '<a href="https://www.govdata.de/dl-de/by-2-0">dl-de/by-2-0</a>'
            ),
            max_zoom=18,
        ),
        "osm": Basemap(
            label="OpenStreetMap",
            url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attribution=(
                '&copy; <a href="https://www.openstreetmap.org/copyright">'
                "OpenStreetMap</a>-Mitwirkende"
            ),
            max_zoom=19,
        ),
    }
)


_BOUNDARY_STYLE: Mapping[str, Any] = MappingProxyType(
    {"color": "#444444", "weight": 1.5, "fillOpacity": 0.03, "fillColor": "#888888"}
)
#: Gemeinden outside the analysis area (``in_area`` false): muted context.
_CONTEXT_BOUNDARY_STYLE: Mapping[str, Any] = MappingProxyType(
    {"color": "#9a9a9a", "weight": 0.8, "dashArray": "4 3", "fillOpacity": 0.12}
)
#: Fill of the villages outside the analysis area (destinations and context only).
CONTEXT_VILLAGE_COLOR = "#b8b8b8"
#: Layer name of those villages.
CONTEXT_VILLAGES = "Orte außerhalb des Auswertungsgebiets"
#: Band labels of a band layer given as text without labels.
_DEFAULT_BAND_LABELS = ("0–5", "5–10", "10–15", "15–20", "> 20")

Bounds = tuple[float, float, float, float]


def build_map(
    villages: gpd.GeoDataFrame,
    *,
    offers: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | str | None = None,
    roads: gpd.GeoDataFrame | str | None = None,
    categories: Mapping[str, Category] | None = None,
    legend_title: str = "Minuten zum nächsten Angebot",
    edges: Sequence[float] = BIN_EDGES,
    basemap: bool | str | None = False,
    selected_id: str | None = None,
    offline: bool = True,
    height: int | str = "100%",
    bounds: Bounds | None = None,
    legend_font_px: int = 12,
    surface: str | None = None,
    surface_note: str = "",
    bands: gpd.GeoDataFrame | str | None = None,
    bands_title: str = "Reisezeit-Bänder",
    bands_labels: Sequence[str] | None = None,
    bands_note: str = "",
    marks: Sequence[list[Any]] | None = None,
    marks_name: str = "Markierungen",
    transit: TransitLayers | None = None,
    color_by: str = "minutes",
) -> folium.Map:
    """Build the folium map (layers bottom to top, each switchable in the layer control).

    Parameters
    ----------
    villages
        Points with ``id``, ``name``, ``minutes`` (NaN: no offer reachable)
        and optionally ``gemeinde``, ``nearest``, ``km``, ``children``,
        ``reason`` for the popups; coloured by the class of ``minutes``.
    offers
        Offers with ``name``, ``category`` and optionally ``traeger``,
        ``address``, ``opening_hours``, ``age_groups``.
    boundaries, roads
        Gemeinde polygons with ``gemeinde`` and the offline road layer
        (:func:`erreichbarkeit.report.basemap.road_lines`), or their texts from
        :func:`geojson_text` / :func:`erreichbarkeit.report.basemap.roads_geojson`.
    categories, legend_title, edges, legend_font_px
        Category table (offer labels, icons, colours), legend title, upper
        edges of the minute classes, legend font size.
    basemap
        Online tiles: a key of :data:`BASEMAPS` (others raise ``KeyError``);
        ``True``: ``"osm"``; ``False``, ``None``, ``""``, ``"none"``: offline.
    selected_id, offline, height, bounds
        Village drawn with a thick outline; embed Leaflet as ``data:`` URIs;
        map height (CSS); lon/lat ``(minx, miny, maxx, maxy)`` to fit the view
        to (default: villages, offers and GeoDataFrame boundaries).
    surface, surface_note
        Grid surface (text of :func:`grid_surface_json`, drawn lowest in the
        village classes) and a legend line explaining it.
    bands, bands_title, bands_labels, bands_note
        Travel-time bands (:func:`erreichbarkeit.analysis.bands.travel_time_bands`,
        fastest first, or their :func:`bands_geojson` text) with their own legend
        (bottom left): title, labels (default: those of ``bands``, or 0–5 … > 20
        for text), note line.
    marks, marks_name
        Highlighted points above the offers (:func:`mark_rows`) and their layer name.
    transit, color_by
        Bus & Bahn stops and lines; ``"factor"``: villages coloured by ``pt_factor``.

    Returns
    -------
    folium.Map
    """
    view = bounds if bounds is not None else focus_bounds(villages, offers, boundaries)
    m = _new_map(view, basemap=basemap, offline=offline, height=height)
    _add_surface(m, surface)
    _add_roads(m, roads)
    _add_bands(m, bands, bands_title, bands_labels, bands_note, font_px=legend_font_px)
    _add_boundaries(m, boundaries)
    classes = _add_villages(m, villages, transit, color_by, edges=edges, selected_id=selected_id)
    used = _add_offers(m, offers, categories or {}, marks=marks, marks_name=marks_name)
    _add_legend(m, legend_title, edges=edges, used=used, font_px=legend_font_px, villages=villages,
                classes=classes, transit=transit, note=surface_note if surface else "")  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def add_caption(
    m: folium.Map, *, title: str = "", created: date | None = None, sources: str = ""
) -> None:
    """Put the caption box on the map's top left: title, date („Stand: …“) and sources.

    ``sources``: the line of :func:`erreichbarkeit.report.sources.source_line`
    (© OpenStreetMap, Zensus, GTFS …).  Nothing when all are empty.
    """
    if title or created is not None or sources:
        Legend(caption_html(title, created=created, sources=sources), position="topleft").add_to(m)


def _add_villages(
    m: folium.Map,
    villages: gpd.GeoDataFrame,
    transit: TransitLayers | None,
    color_by: str,
    *,
    edges: Sequence[float],
    selected_id: str | None,
) -> list[tuple[str, str]] | None:
    """Bus & Bahn lines and stops, then the villages; the legend classes (``None``: minutes).

    Villages outside the analysis area (``in_area`` False) form their own
    grey layer below the area's villages: context, not coloured by minutes.
    """
    if transit is not None:
        transit.add_to(m)
    inside = _in_area(villages)
    if inside is not None:
        ctx = villages[~inside]
        rows = village_rows(ctx, edges=edges, selected_id=selected_id, classes=[0] * len(ctx))
        VillageLayer(rows, name=CONTEXT_VILLAGES, colors=[CONTEXT_VILLAGE_COLOR]).add_to(m)
        villages = villages[inside]
    classes, class_legend = _village_classes(villages, color_by)
    VillageLayer(
        village_rows(villages, edges=edges, selected_id=selected_id, classes=classes),
        colors=[c for c, _ in class_legend] if class_legend is not None else None,
    ).add_to(m)
    add_outreach(m, villages)  # aufsuchende Angebote: dashed rings (webmap/outreach.py)
    return class_legend


def _add_legend(
    m: folium.Map,
    title: str,
    *,
    edges: Sequence[float],
    used: Sequence[Category],
    font_px: int,
    classes: Sequence[tuple[str, str]] | None,
    transit: TransitLayers | None,
    note: str,
    villages: gpd.GeoDataFrame | None = None,
) -> None:
    """The main legend (bottom right): village classes, offers, Bus & Bahn, outreach ring.

    Its note line joins ``note`` (the grid surface's) and the note of
    ``transit`` (the departure window and reference day).
    """
    note = " · ".join(n for n in (note, transit.note if transit else "") if n)
    extra = [*(transit_legend_rows(transit, font_px) if transit is not None else ()),
             *(outreach_legend_rows(font_px) if has_outreach(villages) else ())]  # fmt: skip
    html = legend_html(
        title, edges=edges, categories=used, font_px=font_px, note=note,
        classes=classes, extra_rows=extra,
    )  # fmt: skip
    Legend(html).add_to(m)


def _village_classes(
    villages: gpd.GeoDataFrame, color_by: str
) -> tuple[list[int] | None, list[tuple[str, str]] | None]:
    """Colour classes and legend pairs of the villages (``None``: the minute classes)."""
    if color_by == "minutes":
        return None, None
    if color_by != "factor":
        msg = f"unknown color_by {color_by!r}; known: minutes, factor"
        raise ValueError(msg)
    factor = (
        villages["pt_factor"]
        if "pt_factor" in villages
        else pd.Series(math.nan, index=villages.index)
    )
    classes = classify_factor(pd.to_numeric(factor, errors="coerce").to_numpy("float64"))
    return [int(k) for k in classes], list(zip(FACTOR_COLORS, FACTOR_LABELS, strict=True))


def _in_area(frame: pd.DataFrame) -> pd.Series | None:
    """Boolean ``in_area`` of villages or boundaries; ``None`` when all are in the area."""
    if "in_area" not in frame.columns:
        return None
    inside = frame["in_area"].astype("boolean").fillna(False).astype(bool)
    return None if bool(inside.all()) or not bool(inside.any()) else inside


def focus_bounds(
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame | None,
    boundaries: gpd.GeoDataFrame | str | None,
) -> Bounds:
    """The map's initial extent: the analysis area, else everything.

    With an ``in_area`` column that excludes some villages, the extent of the
    area's villages and Gemeinden (the rest stays visible around them);
    otherwise that of the villages, offers and boundaries.
    """
    inside = _in_area(villages)
    if inside is None:
        return _extent(villages, offers, boundaries)
    part = boundaries
    if isinstance(boundaries, gpd.GeoDataFrame):
        b_in = _in_area(boundaries)
        part = boundaries[b_in] if b_in is not None else None
    return _extent(villages[inside], None, part)


def _extent(
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame | None,
    boundaries: gpd.GeoDataFrame | str | None,
) -> Bounds:
    """Lon/lat extent of the villages, offers and (GeoDataFrame) boundaries."""
    pts = villages.to_crs(WGS84) if villages.crs is not None else villages
    all_geoms = [pts.geometry]
    if offers is not None and len(offers):
        all_geoms.append(offers.to_crs(WGS84).geometry)
    if isinstance(boundaries, gpd.GeoDataFrame) and len(boundaries):
        all_geoms.append(boundaries.to_crs(WGS84).geometry)
    b = gpd.GeoSeries(pd.concat(all_geoms, ignore_index=True)).total_bounds
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _new_map(
    bounds: Bounds, *, basemap: bool | str | None, offline: bool, height: int | str
) -> folium.Map:
    """An empty map fitted to ``bounds``, with online tiles or offline assets."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    finite = all(math.isfinite(v) for v in (minx, miny, maxx, maxy))
    center = [(miny + maxy) / 2, (minx + maxx) / 2] if finite else [51.0, 10.0]
    m = folium.Map(
        location=center,
        zoom_start=11,
        tiles=None,
        control_scale=True,
        height=height,
        prefer_canvas=False,
    )
    key = _basemap_key(basemap)
    if key is not None:
        tiles = BASEMAPS[key]
        folium.TileLayer(
            tiles=tiles.url,
            attr=tiles.attribution,
            name=tiles.label,
            max_zoom=tiles.max_zoom,
            max_native_zoom=tiles.max_zoom,
            control=False,
        ).add_to(m)
    if offline:
        js, css = offline_assets()
        if js:
            # instance attributes: folium's class-level lists stay untouched
            m.default_js = list(js)
            m.default_css = list(css)
    if finite:
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    metric_scale(m)  # kilometres only: no „5 mi“ on a German map
    return m


def _has(layer: gpd.GeoDataFrame | str | None) -> bool:
    """Whether a layer (GeoDataFrame or its text) was given and is not empty."""
    return layer is not None and (isinstance(layer, str) or len(layer) > 0)


def _add_surface(m: folium.Map, surface: str | None) -> None:
    """The grid surface (in its own pane below the vector layers)."""
    if surface is not None:
        GridSurfaceLayer(surface).add_to(m)


def _add_roads(m: folium.Map, roads: gpd.GeoDataFrame | str | None) -> None:
    """The offline road base layer, styled by road class."""
    if not _has(roads):
        return
    if isinstance(roads, str):
        text = roads
    else:
        # osmium sits behind the base-layer module: imported only for road tables
        from erreichbarkeit.report.basemap import roads_geojson  # noqa: PLC0415

        text = roads_geojson(roads)
    styles = {cls: {"color": s.color, "weight": s.web_weight} for cls, s in ROAD_STYLES.items()}
    GeoJsonText(
        text,
        name="Straßen",
        style={"opacity": 0.9, "lineCap": "round"},
        style_by=("road_class", styles),
        canvas_pane="ekRoads",
    ).add_to(m)


def _add_bands(
    m: folium.Map,
    bands: gpd.GeoDataFrame | str | None,
    title: str,
    labels: Sequence[str] | None,
    note: str,
    *,
    font_px: int,
) -> None:
    """The travel-time bands, semi-transparent, with their legend (bottom left)."""
    if bands is None or not _has(bands):
        return
    if isinstance(bands, str):
        text = bands
        names = list(labels or _DEFAULT_BAND_LABELS)
    else:
        text = bands_geojson(bands)
        names = list(labels or bands["band"].astype(str))
    colors = {
        lab: {"color": band_color(i), "fillColor": band_color(i)} for i, lab in enumerate(names)
    }
    GeoJsonText(
        text,
        name=title,
        style={"weight": 0.8, "opacity": 0.9, "fillOpacity": 0.45},
        style_by=("band", colors),
    ).add_to(m)
    Legend(
        bands_legend_html(title, names, font_px=font_px, note=note), position="bottomleft"
    ).add_to(m)


def _add_boundaries(m: folium.Map, boundaries: gpd.GeoDataFrame | str | None) -> None:
    """The Gemeinde boundaries with the Gemeinde name as tooltip.

    Gemeinden outside the analysis area (property ``in_area`` false) are
    drawn greyed and dashed.
    """
    if not _has(boundaries):
        return
    text = (
        boundaries
        if isinstance(boundaries, str)
        else geojson_text(boundaries, ("ags", "gemeinde", "in_area"))
    )
    GeoJsonText(
        text, name="Gemeinden", style=_BOUNDARY_STYLE, tooltip="gemeinde",
        style_by=("in_area", {"false": _CONTEXT_BOUNDARY_STYLE}),
    ).add_to(m)  # fmt: skip


def _add_offers(
    m: folium.Map,
    offers: gpd.GeoDataFrame | None,
    cats: Mapping[str, Category],
    *,
    marks: Sequence[list[Any]] | None = None,
    marks_name: str = "Markierungen",
) -> list[Category]:
    """The offer layer and the marks above it; return the categories shown, in legend order."""
    used: list[Category] = []
    if offers is not None and len(offers):
        layer, used = offer_layer(offers, cats)
        layer.add_to(m)
    if marks:  # before the layer control, which refers to every layer by its variable
        MarkLayer(list(marks), name=marks_name).add_to(m)
    return sorted(used, key=lambda c: c.order)


def _basemap_key(basemap: bool | str | None) -> str | None:
    """The :data:`BASEMAPS` key of a ``basemap`` argument (``None``: no tiles)."""
    if basemap is True:
        return "osm"
    if not basemap or basemap == "none":
        return None
    if basemap not in BASEMAPS:
        msg = f"unknown basemap {basemap!r}; known: {', '.join(BASEMAPS)}"
        raise KeyError(msg)
    return str(basemap)


def map_html(
    m: folium.Map, *, title: str = "", created: date | None = None, sources: str = ""
) -> str:
    """The map as a standalone HTML page (offline when built with ``offline=True``).

    ``title``, ``created`` and ``sources`` add the caption box (see
    :func:`add_caption`) to a map built without one, so the exported file
    names what it shows, its date and its sources.
    """
    add_caption(m, title=title, created=created, sources=sources)
    return str(m.get_root().render())
