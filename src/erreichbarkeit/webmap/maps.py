"""Folium maps of the results: villages coloured by minutes, offers, Gemeinden.

The dashboard (``erreichbarkeit.ui``) and the standalone HTML export use the
same builder, :func:`build_map`.  This module never imports Streamlit.

Offline
-------
Folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by
default; steering-group rooms often have no internet.  :func:`build_map`
therefore replaces the map's ``default_js``/``default_css`` (on the *instance*,
never on folium's class lists) with ``data:`` URIs of the Leaflet and jQuery
builds shipped by the maintained ``xstatic-leaflet``/``xstatic-jquery`` wheels
(folium's popups need jQuery), and draws the offer
icons as inline SVG from the ``xstatic-font-awesome`` wheel (no web font, no
awesome-markers plugin, no Bootstrap needed).  ``data:`` URIs work both in a
standalone HTML file and in streamlit-folium's component, which loads
``default_js`` entries as ``<script src=…>``.  No background tiles are added
unless asked for (``basemap="basemap.de"`` or ``"osm"``; both need the
internet).

Grid surface and bands
----------------------
The population grid surface (:mod:`erreichbarkeit.analysis.grid`, ~10⁴–10⁵ cells)
is drawn by :class:`GridSurfaceLayer` from a compact JSON text
(:func:`grid_surface_json`: shared cell corners once, then four corner
indices and the minute class per cell), merged per class into one canvas
path in a pane below the vector layers — no folium object per cell.  The
travel-time bands (:mod:`erreichbarkeit.analysis.bands`, a handful of polygons with
holes) are plain GeoJSON in a :class:`GeoJsonText` layer with their own
legend (:func:`bands_legend_html`).
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from pyproj import Transformer

from erreichbarkeit.config import Category

__all__ = [
    "BAND_COLORS",
    "BASEMAPS",
    "BIN_COLORS",
    "BIN_EDGES",
    "UNREACHABLE_COLOR",
    "UNREACHABLE_LABEL",
    "Basemap",
    "GeoJsonText",
    "GridSurfaceLayer",
    "Legend",
    "MarkLayer",
    "OfferLayer",
    "VillageLayer",
    "band_color",
    "bands_geojson",
    "bands_legend_html",
    "bin_labels",
    "build_map",
    "classify_minutes",
    "geojson_text",
    "grid_surface_json",
    "legend_html",
    "map_html",
    "mark_rows",
    "minutes_color",
    "offer_icon_svg",
    "offline_assets",
    "village_rows",
]

logger = logging.getLogger(__name__)

#: Upper edges (minutes, inclusive) of the classes; the last class is "> 30".
BIN_EDGES: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0)
#: One colour per class (green → dark red; ColorBrewer RdYlGn, reversed).
BIN_COLORS: tuple[str, ...] = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
#: Colour of villages without a reachable offer.
UNREACHABLE_COLOR = "#9e9e9e"
UNREACHABLE_LABEL = "nicht erreichbar"
#: Colours of the travel-time bands 0–5, 5–10, 10–15, 15–20, > 20 min (the
#: village colours of the same minutes; the open band takes the darkest red).
BAND_COLORS: tuple[str, ...] = (*BIN_COLORS[:4], BIN_COLORS[5])


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


def _fmt(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def bin_labels(edges: Sequence[float] = BIN_EDGES) -> list[str]:
    """German labels of the minute classes, e.g. ``["≤ 5 min", "5–10 min", …, "> 30 min"]``.

    Parameters
    ----------
    edges
        Upper class edges in minutes, increasing.

    Returns
    -------
    list[str]
        ``len(edges) + 1`` labels.
    """
    labels = [f"≤ {_fmt(edges[0])} min"]
    labels += [f"{_fmt(a)}–{_fmt(b)} min" for a, b in itertools.pairwise(edges)]
    labels.append(f"> {_fmt(edges[-1])} min")
    return labels


def classify_minutes(minutes: Any, edges: Sequence[float] = BIN_EDGES) -> np.ndarray[Any, Any]:
    """Class index of each travel time.

    Class ``0`` is ``minutes <= edges[0]``, class ``i`` is
    ``edges[i-1] < minutes <= edges[i]``, class ``len(edges)`` is above the
    last edge; NaN (no reachable offer) is ``-1``.

    Parameters
    ----------
    minutes
        Scalar or array-like of minutes.
    edges
        Upper class edges, increasing.

    Returns
    -------
    numpy.ndarray
        Integer class indices (same shape as ``minutes``).
    """
    x = np.asarray(minutes, dtype="float64")
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), x, side="left")
    return np.where(np.isnan(x), -1, idx).astype("int64")


def minutes_color(minutes: float, edges: Sequence[float] = BIN_EDGES) -> str:
    """Fill colour of a village with this many minutes (grey when NaN)."""
    k = int(classify_minutes(minutes, edges))
    return UNREACHABLE_COLOR if k < 0 else BIN_COLORS[k]


# -- offline assets --------------------------------------------------------------


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@cache
def offline_assets() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Leaflet (and jQuery) as ``data:`` URIs from the ``xstatic-*`` wheels.

    Returns
    -------
    tuple
        ``(default_js, default_css)`` in folium's ``[(name, url)]`` form.
        Empty tuples when ``xstatic-leaflet`` is not installed (folium's CDN
        links are then kept and the map needs the internet).
    """
    try:
        from xstatic.pkg import leaflet  # noqa: PLC0415
    except ImportError:
        logger.warning("xstatic-leaflet not installed: the map loads Leaflet from the internet")
        return (), ()
    base = Path(leaflet.BASE_DIR)
    js = _data_uri("text/javascript", (base / "leaflet.js").read_bytes())
    css_text = (base / "leaflet.css").read_text("utf-8")

    def inline_image(match: re.Match[str]) -> str:
        img = base / match.group(1)
        if not img.is_file():
            return match.group(0)
        return f"url({_data_uri('image/png', img.read_bytes())})"

    css_text = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css_text)
    css = _data_uri("text/css", css_text.encode("utf-8"))
    scripts = [("leaflet", js)]
    try:  # folium's popups build their HTML with jQuery's $(…)
        from xstatic.pkg import jquery  # noqa: PLC0415

        jq = (Path(jquery.BASE_DIR) / "jquery.min.js").read_bytes()
        scripts.append(("jquery", _data_uri("text/javascript", jq)))
    except ImportError:
        logger.warning("xstatic-jquery not installed: the map loads jQuery from the internet")
        scripts.append(next(item for item in folium.Map.default_js if item[0] == "jquery"))
    return tuple(scripts), (("leaflet_css", css),)


@cache
def _fa_aliases() -> Mapping[str, str]:
    """Old Font Awesome names (``home``, ``user-md``) → Font Awesome 6 names."""
    from xstatic.pkg import font_awesome  # noqa: PLC0415

    meta = Path(font_awesome.BASE_DIR) / "metadata"
    out: dict[str, str] = {}
    for old, _style, new in json.loads((meta / "shims.json").read_text("utf-8")):
        if new:
            out[old] = new
    icons = json.loads((meta / "icons.json").read_text("utf-8"))
    for name, info in icons.items():
        for alias in (info.get("aliases") or {}).get("names", []):
            out.setdefault(alias, name)
    return out


@cache
def _fa_svg(name: str) -> str | None:
    try:
        from xstatic.pkg import font_awesome  # noqa: PLC0415
    except ImportError:
        return None
    solid = Path(font_awesome.BASE_DIR) / "svgs" / "solid"
    if not re.fullmatch(r"[a-z0-9-]+", name):
        return None
    for candidate in (name, _fa_aliases().get(name)):
        if candidate and (solid / f"{candidate}.svg").is_file():
            text = (solid / f"{candidate}.svg").read_text("utf-8")
            return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return None


def offer_icon_svg(icon: str, color: str, *, size: int = 26) -> str:
    """HTML of an offer marker: a coloured disc with a white Font Awesome icon.

    Parameters
    ----------
    icon
        Font Awesome icon name from the category table (old names such as
        ``home`` or ``user-md`` are resolved to Font Awesome 6).
    color
        Disc colour (hex).
    size
        Diameter in pixels.

    Returns
    -------
    str
        An HTML snippet (inline SVG, no external resources).
    """
    svg = _fa_svg(icon)
    inner = ""
    if svg:
        inner = svg.replace(
            "<svg ",
            f'<svg width="{size * 0.55:.0f}" height="{size * 0.55:.0f}" fill="white" ',
            1,
        )
    return (
        f'<div class="ek-offer" style="width:{size}px;height:{size}px;border-radius:50%;'
        f"background:{html.escape(color)};border:2px solid white;box-shadow:0 0 3px #333;"
        f'display:flex;align-items:center;justify-content:center;">{inner}</div>'
    )


# -- legend -----------------------------------------------------------------------


class Legend(MacroElement):
    """A Leaflet control with the legend HTML (bottom right).

    Written as a control in the map's script (not as page HTML) so that it
    shows in a standalone file and in streamlit-folium, which only takes the
    map's scripts.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_json }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "ek-legend");
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, *, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.legend_html = legend_html
        self.position_json = json.dumps(position)
        # json.dumps gives a JS string literal; "</" is escaped so the HTML
        # cannot close the surrounding <script>.
        self.html_json = json.dumps(legend_html, ensure_ascii=False).replace("</", "<\\/")


def legend_html(
    title: str,
    *,
    edges: Sequence[float] = BIN_EDGES,
    categories: Sequence[Category] = (),
    font_px: int = 12,
    note: str = "",
) -> str:
    """The legend's HTML: minute classes, "nicht erreichbar", offer categories.

    ``font_px`` scales text and symbols (the meeting view uses a larger legend);
    ``note`` is a small line under the title (e.g. that a grid surface is shown).
    """
    sym = int(font_px)
    rows = [
        f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>',
    ]
    if note:
        rows.append(
            f'<div style="font-size:{max(sym - 2, 9)}px;margin-bottom:4px;max-width:240px">'
            f"{html.escape(note)}</div>"
        )
    swatch = (
        f'<span style="display:inline-block;width:{sym}px;height:{sym}px;border-radius:50%;'
        'background:{c};border:1px solid #555;margin-right:6px;vertical-align:middle"></span>'
    )
    for color, label in zip(BIN_COLORS, bin_labels(edges), strict=True):
        rows.append(f"<div>{swatch.format(c=color)}{html.escape(label)}</div>")
    rows.append(f"<div>{swatch.format(c=UNREACHABLE_COLOR)}{UNREACHABLE_LABEL}</div>")
    if categories:
        rows.append('<div style="font-weight:bold;margin:6px 0 4px">Angebote</div>')
        for cat in categories:
            icon = offer_icon_svg(cat.icon, cat.color, size=round(sym * 4 / 3))
            rows.append(
                '<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
                f"{icon}<span>{html.escape(cat.label)}</span></div>"
            )
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        "box-shadow:0 0 6px rgba(0,0,0,.3);color:#222;"
        f'font:{sym}px/1.5 sans-serif">' + "".join(rows) + "</div>"
    )


# -- the map ------------------------------------------------------------------------


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
        ("Altersgruppen", _text(row.get("age_groups"))),
    )
    lines = [f"<b>{html.escape(_text(row.get('name')))}</b>"]
    lines += [f"{html.escape(k)}: {html.escape(v)}" for k, v in fields if v and v.lower() != "nan"]
    return "<br>".join(lines)


def _village_popup(row: Mapping[str, Any]) -> str:
    lines = [f"<b>{html.escape(_text(row.get('name')))}</b>"]
    if _text(row.get("gemeinde")):
        lines.append(f"Gemeinde: {html.escape(_text(row.get('gemeinde')))}")
    minutes = row.get("minutes")
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
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


# -- compact data layers ------------------------------------------------------------
#
# folium's per-marker objects (CircleMarker + Popup + Tooltip for every village)
# are rendered through several Jinja templates each, three times per dashboard
# rerun by streamlit-folium; on a county with a few hundred villages that took
# over a second.  These layers embed their data once as JSON and draw it with
# a few lines of Leaflet code instead; they are still folium ``Layer``s, so the
# layer control lists them and streamlit-folium's click handling (which walks
# ``map._layers``) sees every marker.


def _js_json(value: Any) -> str:
    """JSON for inline ``<script>`` code (``</`` escaped so it cannot close the tag)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class _DataLayer(folium.map.Layer):
    """Base of the JSON-backed layers (an overlay in the layer control)."""

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)


class VillageLayer(_DataLayer):
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
                L.circleMarker([r[0], r[1]], {
                    radius: sel ? 9 : 7, color: sel ? "#000000" : "#333333",
                    weight: sel ? 4 : 1, fill: true, fillColor: colors[r[2]],
                    fillOpacity: 0.9
                }).bindTooltip(r[4]).bindPopup(r[5], {maxWidth: 320}).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str = "Orte") -> None:
        super().__init__(name)
        self._name = "VillageLayer"
        self.rows = rows
        self.rows_json = _js_json(rows)
        self.colors_json = _js_json([*BIN_COLORS, UNREACHABLE_COLOR])


class OfferLayer(_DataLayer):
    """Offers as markers with the category's inline-SVG icon."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var icons = {{ this.icons_json }};
            var rows = {{ this.rows_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.marker([r[0], r[1]], {icon: L.divIcon({
                    html: icons[r[2]], className: "ek-offer-icon",
                    iconSize: [26, 26], iconAnchor: [13, 13]
                })}).bindTooltip(r[3]).bindPopup(r[4], {maxWidth: 320}).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], icons: list[str], *, name: str = "Angebote") -> None:
        super().__init__(name)
        self._name = "OfferLayer"
        self.rows = rows
        self.rows_json = _js_json(rows)
        self.icons_json = _js_json(icons)


class MarkLayer(_DataLayer):
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
        self.rows_json = _js_json(rows)


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


class GeoJsonText(_DataLayer):
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
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var base = {{ this.style_json }}, by = {{ this.style_by_json }};
            var prop = {{ this.prop_json }}, tip = {{ this.tooltip_json }};
            return L.geoJSON({{ this.geojson }}, {
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
            });
        })();
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
    ) -> None:
        super().__init__(name, show=show)
        self._name = "GeoJsonText"
        self.geojson = geojson.replace("</", "<\\/")
        self.style_json = _js_json(dict(style))
        self.prop_json = _js_json(style_by[0] if style_by else None)
        self.style_by_json = _js_json(
            {k: dict(v) for k, v in style_by[1].items()} if style_by else {}
        )
        self.tooltip_json = _js_json(tooltip)


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


class GridSurfaceLayer(_DataLayer):
    """Grid cells filled by their minute class, drawn on one canvas below the vectors.

    The cells come as the compact text of :func:`grid_surface_json`.  The
    script merges the cells of each class into one multi-polygon (seven
    canvas paths instead of one object per cell; adjacent squares do not
    overlap, so the fill is exact) in an own pane under Leaflet's overlay
    pane: roads, boundaries and villages stay on top and clickable, and the
    surface never takes a click.

    Parameters
    ----------
    surface_json
        Text from :func:`grid_surface_json`.
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
        self.colors_json = _js_json([*BIN_COLORS, UNREACHABLE_COLOR])
        self.opacity = float(opacity)


def grid_surface_json(
    cells: gpd.GeoDataFrame,
    minutes: Any,
    *,
    edges: Sequence[float] = BIN_EDGES,
    digits: int = 5,
) -> str:
    """Grid cells and their minute classes as compact JSON for :class:`GridSurfaceLayer`.

    Each cell is taken as the rectangle of its bounds in its own CRS (the
    INSPIRE cells of :mod:`erreichbarkeit.analysis.grid` are squares in EPSG:3035).
    Neighbouring cells share corners, so the distinct corners are projected
    to lon/lat once and stored once; a cell is then five integers.  A plain
    GeoJSON of 30 000 squares would be about three times larger and take
    seconds to parse into Leaflet layers.

    Parameters
    ----------
    cells
        Grid cells (polygons, with a CRS).
    minutes
        Minutes per cell, same order and length as ``cells`` (NaN = no
        reachable offer, drawn in :data:`UNREACHABLE_COLOR`).
    edges
        Upper edges of the minute classes (as for the villages).
    digits
        Decimal places of the corner coordinates (5 ≈ 1 m).

    Returns
    -------
    str
        JSON ``{"o": [lat0, lon0], "s": step, "v": [dlat, dlon, …],
        "c": [i0, i1, i2, i3, class, …]}``: corner *j* is at
        ``(lat0 + v[2j]·step, lon0 + v[2j+1]·step)``; each cell lists its
        corners counter-clockwise from the lower left and its class, an
        index into ``[*BIN_COLORS, UNREACHABLE_COLOR]`` (unreachable =
        ``len(BIN_COLORS)``).  Cells without geometry are left out.

    Raises
    ------
    ValueError
        ``minutes`` does not have one value per cell.
    """
    t = np.asarray(minutes, dtype="float64").reshape(-1)
    if t.size != len(cells):
        msg = f"{t.size} minute values for {len(cells)} cells"
        raise ValueError(msg)
    geoms = cells.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    k = classify_minutes(t[keep], edges)
    k = np.where(k < 0, len(BIN_COLORS), k)
    b = shapely.bounds(geoms[keep])  # minx, miny, maxx, maxy
    # corners counter-clockwise from the lower left, 4 per cell
    xs = np.stack([b[:, 0], b[:, 2], b[:, 2], b[:, 0]], axis=1).reshape(-1)
    ys = np.stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]], axis=1).reshape(-1)
    scale = 100.0 if cells.crs is not None and cells.crs.is_projected else 1e7
    key = np.stack([np.round(xs * scale), np.round(ys * scale)], axis=1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    ux, uy = uniq[:, 0] / scale, uniq[:, 1] / scale
    if cells.crs is not None and not cells.crs.equals("EPSG:4326"):
        to_ll = Transformer.from_crs(cells.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_ll.transform(ux, uy)
    else:
        lon, lat = ux, uy
    step = 10.0 ** (-digits)
    ilat = np.round(np.asarray(lat) / step).astype("int64")
    ilon = np.round(np.asarray(lon) / step).astype("int64")
    o_lat = int(ilat.min()) if ilat.size else 0
    o_lon = int(ilon.min()) if ilon.size else 0
    v = np.stack([ilat - o_lat, ilon - o_lon], axis=1).reshape(-1)
    c = np.concatenate([inverse.reshape(-1, 4), k.reshape(-1, 1)], axis=1).reshape(-1)
    # ints straight from numpy's text formatting: json.dumps of 10⁵ Python ints
    # is several times slower
    return (
        f'{{"o":[{round(o_lat * step, digits)},{round(o_lon * step, digits)}],'
        f'"s":{step!r},"v":[{",".join(map(str, v.tolist()))}],'
        f'"c":[{",".join(map(str, c.tolist()))}]}}'
    )


def band_color(index: int) -> str:
    """Colour of band ``index`` (0 = fastest; the last colour for any later band)."""
    return BAND_COLORS[min(max(int(index), 0), len(BAND_COLORS) - 1)]


def bands_geojson(bands: gpd.GeoDataFrame, *, digits: int = 5) -> str:
    """Travel-time bands (:func:`erreichbarkeit.analysis.bands.travel_time_bands`) as GeoJSON text.

    Adds the property ``color`` per band (fastest first, :func:`band_color`)
    and keeps ``band``, ``population`` and ``area_km2``.
    """
    out = bands.copy()
    out["color"] = [band_color(i) for i in range(len(out))]
    return geojson_text(out, ("band", "color", "population", "area_km2"), digits=digits)


def bands_legend_html(
    title: str, labels: Sequence[str], *, font_px: int = 12, note: str = ""
) -> str:
    """Legend of the band layer: one swatch per band label (fastest first)."""
    sym = int(font_px)
    rows = [f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>']
    swatch = (
        f'<span style="display:inline-block;width:{sym + 4}px;height:{sym}px;'
        "background:{c};opacity:.75;border:1px solid #555;margin-right:6px;"
        'vertical-align:middle"></span>'
    )
    for i, label in enumerate(labels):
        rows.append(f"<div>{swatch.format(c=band_color(i))}{html.escape(label)} min</div>")
    if note:
        rows.append(
            f'<div style="font-size:{max(sym - 2, 9)}px;margin-top:4px;max-width:220px">'
            f"{html.escape(note)}</div>"
        )
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        "box-shadow:0 0 6px rgba(0,0,0,.3);color:#222;"
        f'font:{sym}px/1.5 sans-serif">' + "".join(rows) + "</div>"
    )


def village_rows(
    villages: gpd.GeoDataFrame,
    *,
    edges: Sequence[float] = BIN_EDGES,
    selected_id: str | None = None,
) -> list[list[Any]]:
    """The data rows of :class:`VillageLayer`.

    Returns
    -------
    list
        One ``[lat, lon, class, selected, tooltip_html, popup_html]`` per
        village with a point; ``class`` indexes ``[*BIN_COLORS,
        UNREACHABLE_COLOR]`` (unreachable = ``len(BIN_COLORS)``).
    """
    pts = villages.to_crs("EPSG:4326") if villages.crs is not None else villages
    classes = classify_minutes(pts["minutes"].to_numpy("float64"), edges)
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
                len(BIN_COLORS) if k < 0 else int(k),
                1 if selected else 0,
                html.escape(_text(rec.get("name"))),
                _village_popup(rec),
            ]
        )
    return rows


def _offer_layer(
    offers: gpd.GeoDataFrame, cats: Mapping[str, Category]
) -> tuple[OfferLayer, list[Category]]:
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
                offer_icon_svg(cat.icon if cat else "circle", cat.color if cat else "#555")
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


_BOUNDARY_STYLE: Mapping[str, Any] = MappingProxyType(
    {"color": "#444444", "weight": 1.5, "fillOpacity": 0.03, "fillColor": "#888888"}
)


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
    bounds: tuple[float, float, float, float] | None = None,
    legend_font_px: int = 12,
    surface: str | None = None,
    surface_note: str = "",
    bands: gpd.GeoDataFrame | str | None = None,
    bands_title: str = "Reisezeit-Bänder",
    bands_labels: Sequence[str] | None = None,
    bands_note: str = "",
    marks: Sequence[list[Any]] | None = None,
    marks_name: str = "Markierungen",
) -> folium.Map:
    """Build the folium map.

    Layers from bottom to top: grid surface (own pane below the others),
    roads (offline base layer), travel-time bands, Gemeinden, villages,
    offers; each can be switched off in the layer control.

    Parameters
    ----------
    villages
        Points (EPSG:4326) with ``id``, ``name``, ``minutes`` (to the nearest
        offer, NaN when none is reachable) and optionally ``gemeinde``,
        ``nearest``, ``km``, ``children``, ``reason`` for the popups.  One
        circle marker per row, coloured by the class of ``minutes``.
    offers
        Offers (EPSG:4326) with ``name``, ``category`` and optionally
        ``traeger``, ``address``, ``opening_hours``, ``age_groups``.
    boundaries
        Gemeinde polygons with ``gemeinde``, or their GeoJSON text from
        :func:`geojson_text` (the dashboard serialises them once per region).
    roads
        The offline base layer (:func:`erreichbarkeit.report.basemap.road_lines`)
        or its text from :func:`erreichbarkeit.report.basemap.roads_geojson`.
    categories
        The category table (labels, icons, colours of the offers).
    legend_title
        Title of the legend.
    edges
        Upper edges of the minute classes.
    basemap
        Online background tiles (need the internet): a key of
        :data:`BASEMAPS` (``"basemap.de"``, ``"osm"``); ``True`` means
        ``"osm"``; ``False``, ``None``, ``""`` or ``"none"``: none (offline).
    selected_id
        Village drawn with a thick outline.
    offline
        Embed Leaflet (``data:`` URIs) instead of CDN links.
    height
        Map height (CSS).
    bounds
        ``(minx, miny, maxx, maxy)`` in lon/lat to fit the view to; default:
        the extent of villages, offers and (GeoDataFrame) boundaries.
    legend_font_px
        Font size of the legend (the meeting view uses a larger one).
    surface
        Grid cells coloured by minutes: the text of :func:`grid_surface_json`
        (drawn with the village classes ``edges``).
    surface_note
        A line under the legend title explaining the surface.
    bands
        Travel-time bands (:func:`erreichbarkeit.analysis.bands.travel_time_bands`,
        fastest first) or their text from :func:`bands_geojson`; drawn
        semi-transparent with their own legend (bottom left).
    bands_title, bands_labels, bands_note
        Title, band labels (default: those of ``bands``, or 0–5 … > 20 for
        text) and a note line of the band legend.
    marks, marks_name
        Highlighted points above the offers (:func:`mark_rows`: planned
        changes, suggested sites) and the name of their layer.

    Returns
    -------
    folium.Map

    Raises
    ------
    KeyError
        An unknown ``basemap`` key.
    """
    from erreichbarkeit.report import basemap as base  # noqa: PLC0415

    cats = dict(categories or {})
    pts = villages.to_crs("EPSG:4326") if villages.crs is not None else villages
    if bounds is None:
        all_geoms = [pts.geometry]
        if offers is not None and len(offers):
            all_geoms.append(offers.to_crs("EPSG:4326").geometry)
        if isinstance(boundaries, gpd.GeoDataFrame) and len(boundaries):
            all_geoms.append(boundaries.to_crs("EPSG:4326").geometry)
        bounds = tuple(gpd.GeoSeries(pd.concat(all_geoms, ignore_index=True)).total_bounds)
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

    if surface is not None:
        GridSurfaceLayer(surface).add_to(m)
    if roads is not None and (isinstance(roads, str) or len(roads)):
        text = roads if isinstance(roads, str) else base.roads_geojson(roads)
        styles = {
            cls: {"color": s.color, "weight": s.web_weight} for cls, s in base.ROAD_STYLES.items()
        }
        GeoJsonText(
            text,
            name="Straßen",
            style={"opacity": 0.9, "lineCap": "round"},
            style_by=("road_class", styles),
        ).add_to(m)
    if bands is not None and (isinstance(bands, str) or len(bands)):
        if isinstance(bands, str):
            text = bands
            labels = list(bands_labels or ("0–5", "5–10", "10–15", "15–20", "> 20"))
        else:
            text = bands_geojson(bands)
            labels = list(bands_labels or bands["band"].astype(str))
        GeoJsonText(
            text,
            name=bands_title,
            style={"weight": 0.8, "opacity": 0.9, "fillOpacity": 0.45},
            style_by=(
                "band",
                {
                    lab: {"color": band_color(i), "fillColor": band_color(i)}
                    for i, lab in enumerate(labels)
                },
            ),
        ).add_to(m)
        Legend(
            bands_legend_html(bands_title, labels, font_px=legend_font_px, note=bands_note),
            position="bottomleft",
        ).add_to(m)
    if boundaries is not None and (isinstance(boundaries, str) or len(boundaries)):
        text = (
            boundaries
            if isinstance(boundaries, str)
            else geojson_text(boundaries, ("ags", "gemeinde"))
        )
        GeoJsonText(text, name="Gemeinden", style=_BOUNDARY_STYLE, tooltip="gemeinde").add_to(m)

    VillageLayer(village_rows(pts, edges=edges, selected_id=selected_id)).add_to(m)

    used: list[Category] = []
    if offers is not None and len(offers):
        layer, used = _offer_layer(offers, cats)
        layer.add_to(m)
    if marks:
        # before the layer control, which refers to every layer by its variable
        MarkLayer(list(marks), name=marks_name).add_to(m)
    used.sort(key=lambda c: c.order)
    Legend(
        legend_html(
            legend_title,
            edges=edges,
            categories=used,
            font_px=legend_font_px,
            note=surface_note if surface is not None else "",
        )
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _basemap_key(basemap: bool | str | None) -> str | None:
    if basemap is True:
        return "osm"
    if not basemap or basemap == "none":
        return None
    if basemap not in BASEMAPS:
        msg = f"unknown basemap {basemap!r}; known: {', '.join(BASEMAPS)}"
        raise KeyError(msg)
    return str(basemap)


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML page (offline when built with ``offline=True``)."""
    return str(m.get_root().render())
