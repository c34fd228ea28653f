"""Compact data layers of the web map: villages, offers, marks, GeoJSON texts, grid surface.

folium's per-marker objects (CircleMarker + Popup + Tooltip for every village)
are rendered through several Jinja templates each, three times per dashboard
rerun by streamlit-folium; on a county with a few hundred villages that took
over a second.  These layers embed their data once as JSON and draw it with
a few lines of Leaflet code instead; they are still folium ``Layer``s, so the
layer control lists them and streamlit-folium's click handling (which walks
``map._layers``) sees every marker.

The population grid surface (:mod:`erreichbarkeit.analysis.grid`, ~10⁴–10⁵
cells) is drawn by :class:`GridSurfaceLayer` from the compact text of
:func:`erreichbarkeit.webmap.surface.grid_surface_json`, merged per class
into one canvas path in a pane below the vector layers — no folium object per
cell.  The travel-time bands (:mod:`erreichbarkeit.analysis.bands`, a handful
of polygons with holes) are plain GeoJSON (:func:`bands_geojson`) in a
:class:`GeoJsonText` layer.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from jinja2 import Template

from erreichbarkeit.analysis.coverage import PARTIAL_LABEL
from erreichbarkeit.config import Category
from erreichbarkeit.config.ages import ages_text_de
from erreichbarkeit.report.style import (
    BIN_COLORS,
    BIN_EDGES,
    OFFER_FALLBACK_COLOR,
    UNREACHABLE_COLOR,
    UNREACHABLE_LABEL,
    band_color,
    classify_minutes,
)
from erreichbarkeit.webmap._base import DataLayer, js_json
from erreichbarkeit.webmap.assets import offer_icon_svg
from erreichbarkeit.webmap.outreach import outreach_popup_lines, outreach_text
from erreichbarkeit.webmap.transit import pt_popup_lines, pt_tooltip

__all__ = [
    "GeoJsonText",
    "GridSurfaceLayer",
    "MarkLayer",
    "OfferLayer",
    "VillageLayer",
    "bands_geojson",
    "geojson_text",
    "mark_rows",
    "offer_layer",
    "village_rows",
]


# -- popups ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _num(value: Any, digits: int = 0) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    return f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _offer_popup(row: Mapping[str, Any], label: str) -> str:
    fields = (
        ("Kategorie", label),
        ("Träger", _text(row.get("traeger"))),
        ("Adresse", _text(row.get("address"))),
        ("Öffnungszeiten", _text(row.get("opening_hours"))),
        ("Altersgruppen", ages_text_de(row.get("serves"), row.get("age_groups"))),
    )
    lines = [f"<b>{html.escape(_text(row.get('name')))}</b>"]
    lines += [f"{html.escape(k)}: {html.escape(v)}" for k, v in fields if v and v.lower() != "nan"]
    return "<br>".join(lines)


def _village_popup(row: Mapping[str, Any]) -> str:
    lines = [f"<b>{html.escape(_text(row.get('name')))}</b>"]
    if _text(row.get("gemeinde")):
        partial = row.get("gemeinde_partial") is True or row.get("gemeinde_partial") == 1
        note = f" ({PARTIAL_LABEL})" if partial else ""
        lines.append(f"Gemeinde: {html.escape(_text(row.get('gemeinde')))}{note}")
    minutes = row.get("minutes")
    if "pt_status" in row:  # Bus & Bahn: median, fastest trip, departures, factor, way home
        lines += pt_popup_lines(row)
    elif outreach_text(row.get("outreach")):  # „aufsuchend (<Name>)“ instead of minutes
        lines += outreach_popup_lines(row)
    elif minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        reason = _text(row.get("reason")) or UNREACHABLE_LABEL
        lines.append(f"Kein Angebot erreichbar ({html.escape(reason)})")
    else:
        lines.append(
            f"Nächstes Angebot: {html.escape(_text(row.get('nearest')))} – "
            f"{_num(minutes, 1)} min, {_num(row.get('km'), 1)} km"
        )
    if "children" in row:
        lines.append(f"Kinder der Altersgruppe: {_num(row.get('children'))}")
    return "<br>".join(lines)


# -- layers ---------------------------------------------------------------------------


class VillageLayer(DataLayer):
    """Villages as circle markers coloured by their minute class."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var colors = {{ this.colors_json }};
            var rows = {{ this.rows_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i], sel = r[3] === 1;
                L.circleMarker([r[0], r[1]], Object.assign({
                    radius: sel ? 9 : 7, color: sel ? "#000000" : "#333333",
                    weight: sel ? 4 : 1, fill: true, fillColor: colors[r[2]],
                    fillOpacity: 0.9
                }, sel ? {} : {{ this.marker_json }}))
                    .bindTooltip(r[4]).bindPopup(r[5], {maxWidth: 320}).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, rows: list[list[Any]], *, name: str = "Orte", colors: Sequence[str] | None = None
    ) -> None:
        super().__init__(name)
        self._name = "VillageLayer"
        self.rows = rows
        self.rows_json = js_json(rows)
        self.colors_json = js_json(list(colors or (*BIN_COLORS, UNREACHABLE_COLOR)))
        self.marker_json = js_json({})

    def restyle(self, **options: Any) -> None:
        """Leaflet circle-marker options over the defaults (not for the selected village).

        E.g. ``radius=9, weight=2, color="#111111"`` for the presentation map.
        """
        self.marker_json = js_json(options)


class OfferLayer(DataLayer):
    """Offers as markers with the category's inline-SVG icon."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group, map) {
            var icons = {{ this.icons_json }};
            var rows = {{ this.rows_json }}, pane = {{ this.pane_json }};
            if (pane && !map.getPane(pane)) {  // below the villages' overlay pane (400)
                map.createPane(pane).style.zIndex = 390;
            }
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.marker([r[0], r[1]], Object.assign({icon: L.divIcon({
                    html: icons[r[2]], className: "ek-offer-icon" + {{ this.icon_class }},
                    iconSize: [{{ this.icon_px }}, {{ this.icon_px }}],
                    iconAnchor: [{{ this.icon_px / 2 }}, {{ this.icon_px / 2 }}]
                })}, pane ? {pane: pane} : {}))
                    .bindTooltip(r[3]).bindPopup(r[4], {maxWidth: 320}).addTo(group);
            }
        })({{ this.get_name() }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], icons: list[str], *, name: str = "Angebote") -> None:
        super().__init__(name)
        self._name = "OfferLayer"
        self.rows = rows
        self.rows_json = js_json(rows)
        self.icons_json = js_json(icons)
        self.icon_px = 26
        self.icon_class = js_json("")
        self.pane_json = js_json(None)

    def as_small_symbols(self, *, icon_px: int = 16, pane: str = "ekOffersLow") -> None:
        """Draw the offers as small symbols in a pane below the villages.

        The presentation map keeps every village colour visible: the icons
        shrink to ``icon_px`` (CSS class ``ek-offer-small``) and sit in
        ``pane`` (z-index 390, under Leaflet's overlay pane of the villages).
        """
        self.icon_px = int(icon_px)
        self.icon_class = js_json(" ek-offer-small")
        self.pane_json = js_json(pane)


class MarkLayer(DataLayer):
    """Highlighted points (planned changes, suggested sites) as labelled circles.

    Each row is ``[lat, lon, label, tooltip_html, colour]``: a round
    ``L.divIcon`` with the short ``label`` (``"+"``, ``"1"`` …) on the colour,
    drawn above the offers.  No images, so it works offline.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var rows = {{ this.rows_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var html = '<div style="width:24px;height:24px;border-radius:12px;' +
                    'border:2px solid #fff;box-shadow:0 0 3px rgba(0,0,0,.7);' +
                    'color:#fff;font:bold 14px/20px sans-serif;text-align:center;' +
                    'background:' + r[4] + '">' + r[2] + '</div>';
                L.marker([r[0], r[1]], {zIndexOffset: 1000, icon: L.divIcon({
                    html: html, className: "ek-mark", iconSize: [24, 24], iconAnchor: [12, 12]
                })}).bindTooltip(r[3]).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str = "Markierungen") -> None:
        super().__init__(name)
        self._name = "MarkLayer"
        self.rows = rows
        self.rows_json = js_json(rows)


def mark_rows(
    points: gpd.GeoDataFrame, *, label: str | Sequence[str], tooltip: Sequence[str], color: str
) -> list[list[Any]]:
    """Rows of :class:`MarkLayer` for points (EPSG:4326 or with a CRS).

    Parameters
    ----------
    points
        Point geometries.
    label
        One short text for all points, or one per point (escaped here).
    tooltip
        Tooltip text per point (escaped here).
    color
        CSS colour of the circles.

    Returns
    -------
    list
        ``[lat, lon, label, tooltip_html, colour]`` per non-empty point.
    """
    pts = points.to_crs("EPSG:4326") if points.crs is not None else points
    labels = [label] * len(pts) if isinstance(label, str) else list(label)
    rows: list[list[Any]] = []
    for geom, lab, tip in zip(pts.geometry, labels, tooltip, strict=True):
        if geom is None or geom.is_empty:
            continue
        rows.append(
            [
                round(float(geom.y), 6),
                round(float(geom.x), 6),
                html.escape(str(lab)),
                html.escape(str(tip)),
                html.escape(color),
            ]
        )
    return rows


class GeoJsonText(DataLayer):
    """A GeoJSON text drawn as it is (no per-feature Python work at render time).

    Parameters
    ----------
    geojson
        A GeoJSON FeatureCollection as text (e.g. from :func:`geojson_text`).
    name
        Name in the layer control.
    style
        Leaflet path options for every feature.
    style_by
        Optional ``(property, {value: options})``: options per property value,
        merged over ``style``.
    tooltip
        Property shown as tooltip; ``None`` makes the layer non-interactive
        (clicks fall through to the markers below).
    canvas_pane
        Draw the layer on one canvas in an own pane of this name below
        Leaflet's overlay pane, which never takes a click (for a base layer
        without tooltips, e.g. the roads: thousands of lines drawn on a canvas
        instead of one SVG element each, so the map opens and pans faster).
        ``None``: Leaflet's default (SVG in the overlay pane).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var base = {{ this.style_json }}, by = {{ this.style_by_json }};
            var prop = {{ this.prop_json }}, tip = {{ this.tooltip_json }};
            var paneName = {{ this.pane_json }}, extra = {};
            if (paneName !== null) {
                if (!map.getPane(paneName)) {
                    var pane = map.createPane(paneName);
                    pane.style.zIndex = 360;
                    pane.style.pointerEvents = "none";
                }
                extra = {pane: paneName, renderer: L.canvas({pane: paneName, padding: 0.3})};
            }
            return L.geoJSON({{ this.geojson }}, Object.assign({
                interactive: tip !== null,
                style: function (f) {
                    var s = Object.assign({}, base);
                    if (prop !== null && by[f.properties[prop]]) {
                        Object.assign(s, by[f.properties[prop]]);
                    }
                    return s;
                },
                onEachFeature: function (f, layer) {
                    if (tip !== null && f.properties[tip]) {
                        layer.bindTooltip(String(f.properties[tip]).replace(/[&<>"]/g,
                            function (c) { return "&#" + c.charCodeAt(0) + ";"; }));
                    }
                }
            }, extra));
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geojson: str,
        *,
        name: str,
        style: Mapping[str, Any],
        style_by: tuple[str, Mapping[str, Mapping[str, Any]]] | None = None,
        tooltip: str | None = None,
        show: bool = True,
        canvas_pane: str | None = None,
    ) -> None:
        super().__init__(name, show=show)
        self._name = "GeoJsonText"
        self.pane_json = js_json(canvas_pane)
        self.geojson = geojson.replace("</", "<\\/")
        self.style_json = js_json(dict(style))
        self.prop_json = js_json(style_by[0] if style_by else None)
        self.style_by_json = js_json(
            {k: dict(v) for k, v in style_by[1].items()} if style_by else {}
        )
        self.tooltip_json = js_json(tooltip)


def geojson_text(gdf: gpd.GeoDataFrame, columns: Sequence[str] = (), *, digits: int = 5) -> str:
    """A GeoDataFrame as compact GeoJSON text in EPSG:4326 (coordinates rounded).

    Parameters
    ----------
    gdf
        Any CRS; converted to EPSG:4326.
    columns
        Property columns to keep (missing ones are skipped).
    digits
        Decimal places of the coordinates (5 ≈ 1 m).

    Returns
    -------
    str
        A GeoJSON FeatureCollection.
    """
    g = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    keep = [c for c in columns if c in g.columns]
    geoms = shapely.transform(g.geometry.to_numpy(), lambda c: np.round(c, digits))
    out = gpd.GeoDataFrame(g[keep].reset_index(drop=True), geometry=list(geoms), crs=g.crs)
    return str(out.to_json(drop_id=True, ensure_ascii=False))


class GridSurfaceLayer(DataLayer):
    """Grid cells filled by their minute class, drawn on one canvas below the vectors.

    The cells come as the compact text of
    :func:`~erreichbarkeit.webmap.surface.grid_surface_json`.  The script
    merges the cells of each class into one multi-polygon (seven canvas
    paths instead of one object per cell; adjacent squares do not overlap,
    so the fill is exact) in an own pane under Leaflet's overlay
    pane: roads, boundaries and villages stay on top and clickable, and the
    surface never takes a click.

    Parameters
    ----------
    surface_json
        Text from :func:`~erreichbarkeit.webmap.surface.grid_surface_json`.
    name
        Name in the layer control.
    opacity
        Fill opacity of the cells.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group, map) {
            var d = {{ this.surface_json }}, colors = {{ this.colors_json }};
            if (!map.getPane("ekSurface")) {
                var pane = map.createPane("ekSurface");
                pane.style.zIndex = 350;
                pane.style.pointerEvents = "none";
            }
            var renderer = L.canvas({pane: "ekSurface", padding: 0.3});
            var v = d.v, c = d.c, la0 = d.o[0], lo0 = d.o[1], s = d.s;
            function pt(i) { return [la0 + v[2 * i] * s, lo0 + v[2 * i + 1] * s]; }
            var parts = colors.map(function () { return []; });
            for (var i = 0; i < c.length; i += 5) {
                parts[c[i + 4]].push([[pt(c[i]), pt(c[i + 1]), pt(c[i + 2]), pt(c[i + 3])]]);
            }
            for (var k = 0; k < parts.length; k++) {
                if (parts[k].length === 0) { continue; }
                L.polygon(parts[k], {
                    renderer: renderer, pane: "ekSurface", stroke: false,
                    fill: true, fillColor: colors[k], fillOpacity: {{ this.opacity }},
                    interactive: false
                }).addTo(group);
            }
        })({{ this.get_name() }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, surface_json: str, *, name: str = "Reisezeit-Fläche", opacity: float = 0.55
    ) -> None:
        super().__init__(name)
        self._name = "GridSurfaceLayer"
        self.surface_json = surface_json.replace("</", "<\\/")
        self.colors_json = js_json([*BIN_COLORS, UNREACHABLE_COLOR])
        self.opacity = float(opacity)


# -- rows -----------------------------------------------------------------------------


def bands_geojson(bands: gpd.GeoDataFrame, *, digits: int = 5) -> str:
    """Travel-time bands (:func:`erreichbarkeit.analysis.bands.travel_time_bands`) as GeoJSON text.

    Adds the property ``color`` per band (fastest first, :func:`band_color`)
    and keeps ``band``, ``population`` and ``area_km2``.
    """
    out = bands.copy()
    out["color"] = [band_color(i) for i in range(len(out))]
    return geojson_text(out, ("band", "color", "population", "area_km2"), digits=digits)


def village_rows(
    villages: gpd.GeoDataFrame,
    *,
    edges: Sequence[float] = BIN_EDGES,
    selected_id: str | None = None,
    classes: Sequence[int] | None = None,
) -> list[list[Any]]:
    """The data rows of :class:`VillageLayer`.

    ``classes`` overrides the minute classes (one colour index per village,
    e.g. :func:`erreichbarkeit.webmap.transit.classify_factor`).  A village
    with a ``pt_status`` column gets the Bus & Bahn popup and tooltip.

    Returns
    -------
    list
        One ``[lat, lon, class, selected, tooltip_html, popup_html]`` per
        village with a point; ``class`` indexes ``[*BIN_COLORS,
        UNREACHABLE_COLOR]`` (unreachable = ``len(BIN_COLORS)``) unless
        ``classes`` is given.
    """
    pts = villages.to_crs("EPSG:4326") if villages.crs is not None else villages
    if classes is None:
        minute_classes = classify_minutes(pts["minutes"].to_numpy("float64"), edges)
        classes = [len(BIN_COLORS) if k < 0 else int(k) for k in minute_classes]
    records = pts.drop(columns="geometry").to_dict("records")
    rows: list[list[Any]] = []
    for rec, geom, k in zip(records, pts.geometry, classes, strict=True):
        if geom is None or geom.is_empty:
            continue
        selected = selected_id is not None and str(rec.get("id")) == str(selected_id)
        rows.append(
            [
                round(float(geom.y), 6),
                round(float(geom.x), 6),
                int(k),
                1 if selected else 0,
                pt_tooltip(rec) if "pt_status" in rec else html.escape(_text(rec.get("name"))),
                _village_popup(rec),
            ]
        )
    return rows


def offer_layer(
    offers: gpd.GeoDataFrame, cats: Mapping[str, Category]
) -> tuple[OfferLayer, list[Category]]:
    """The :class:`OfferLayer` of ``offers`` and the categories it shows.

    Parameters
    ----------
    offers
        Offers with ``name``, ``category`` and optionally ``traeger``,
        ``address``, ``opening_hours``, ``age_groups`` (for the popups).
    cats
        The category table (labels, icons, colours); unknown categories get
        a grey disc.

    Returns
    -------
    tuple
        The layer and the known categories in the order first met.
    """
    o = offers.to_crs("EPSG:4326")
    used: list[Category] = []
    icons: list[str] = []
    icon_index: dict[str, int] = {}
    rows: list[list[Any]] = []
    for rec, geom in zip(o.drop(columns="geometry").to_dict("records"), o.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        key = str(rec.get("category"))
        cat = cats.get(key)
        label = cat.label if cat else _text(rec.get("category"))
        if key not in icon_index:
            icon_index[key] = len(icons)
            icons.append(
                offer_icon_svg(
                    cat.icon if cat else "circle", cat.color if cat else OFFER_FALLBACK_COLOR
                )
            )
        if cat and cat not in used:
            used.append(cat)
        rows.append(
            [
                round(float(geom.y), 6),
                round(float(geom.x), 6),
                icon_index[key],
                html.escape(f"{_text(rec.get('name'))} ({label})"),
                _offer_popup(rec, label),
            ]
        )
    return OfferLayer(rows, icons), used
