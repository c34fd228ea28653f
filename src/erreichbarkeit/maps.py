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
unless ``basemap=True`` (OpenStreetMap tiles need the internet).
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
from functools import cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from erreichbarkeit.config import Category

__all__ = [
    "BIN_COLORS",
    "BIN_EDGES",
    "UNREACHABLE_COLOR",
    "UNREACHABLE_LABEL",
    "Legend",
    "bin_labels",
    "build_map",
    "classify_minutes",
    "map_html",
    "minutes_color",
    "offer_icon_svg",
    "offline_assets",
]

logger = logging.getLogger(__name__)

#: Upper edges (minutes, inclusive) of the classes; the last class is "> 30".
BIN_EDGES: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0)
#: One colour per class (green → dark red; ColorBrewer RdYlGn, reversed).
BIN_COLORS: tuple[str, ...] = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
#: Colour of villages without a reachable offer.
UNREACHABLE_COLOR = "#9e9e9e"
UNREACHABLE_LABEL = "nicht erreichbar"


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
        var {{ this.get_name() }} = L.control({position: "bottomright"});
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

    def __init__(self, legend_html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.legend_html = legend_html
        # json.dumps gives a JS string literal; "</" is escaped so the HTML
        # cannot close the surrounding <script>.
        self.html_json = json.dumps(legend_html, ensure_ascii=False).replace("</", "<\\/")


def legend_html(
    title: str,
    *,
    edges: Sequence[float] = BIN_EDGES,
    categories: Sequence[Category] = (),
) -> str:
    """The legend's HTML: minute classes, "nicht erreichbar", offer categories."""
    rows = [
        f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>',
    ]
    swatch = (
        '<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
        'background:{c};border:1px solid #555;margin-right:6px;vertical-align:middle"></span>'
    )
    for color, label in zip(BIN_COLORS, bin_labels(edges), strict=True):
        rows.append(f"<div>{swatch.format(c=color)}{html.escape(label)}</div>")
    rows.append(f"<div>{swatch.format(c=UNREACHABLE_COLOR)}{UNREACHABLE_LABEL}</div>")
    if categories:
        rows.append('<div style="font-weight:bold;margin:6px 0 4px">Angebote</div>')
        for cat in categories:
            icon = offer_icon_svg(cat.icon, cat.color, size=16)
            rows.append(
                '<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
                f"{icon}<span>{html.escape(cat.label)}</span></div>"
            )
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        'box-shadow:0 0 6px rgba(0,0,0,.3);font:12px/1.5 sans-serif;color:#222">'
        + "".join(rows)
        + "</div>"
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


def build_map(
    villages: gpd.GeoDataFrame,
    *,
    offers: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    categories: Mapping[str, Category] | None = None,
    legend_title: str = "Minuten zum nächsten Angebot",
    edges: Sequence[float] = BIN_EDGES,
    basemap: bool = False,
    selected_id: str | None = None,
    offline: bool = True,
    height: int | str = "100%",
) -> folium.Map:
    """Build the folium map.

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
        Gemeinde polygons with ``gemeinde`` (EPSG:4326).
    categories
        The category table (labels, icons, colours of the offers).
    legend_title
        Title of the legend.
    edges
        Upper edges of the minute classes.
    basemap
        Add OpenStreetMap tiles (needs the internet).
    selected_id
        Village drawn with a thick outline.
    offline
        Embed Leaflet (``data:`` URIs) instead of CDN links.
    height
        Map height (CSS).

    Returns
    -------
    folium.Map
    """
    cats = dict(categories or {})
    pts = villages.to_crs("EPSG:4326") if villages.crs is not None else villages
    all_geoms = [pts.geometry]
    if offers is not None and len(offers):
        all_geoms.append(offers.to_crs("EPSG:4326").geometry)
    if boundaries is not None and len(boundaries):
        all_geoms.append(boundaries.to_crs("EPSG:4326").geometry)
    bounds = gpd.GeoSeries(pd.concat(all_geoms, ignore_index=True)).total_bounds
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    center = [(miny + maxy) / 2, (minx + maxx) / 2] if len(pts) else [51.0, 10.0]
    m = folium.Map(
        location=center,
        zoom_start=11,
        tiles="OpenStreetMap" if basemap else None,
        control_scale=True,
        height=height,
        prefer_canvas=False,
    )
    if offline:
        js, css = offline_assets()
        if js:
            # instance attributes: folium's class-level lists stay untouched
            m.default_js = list(js)
            m.default_css = list(css)
    if all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        m.fit_bounds([[miny, minx], [maxy, maxx]])

    if boundaries is not None and len(boundaries):
        b = boundaries.to_crs("EPSG:4326")
        keep = [c for c in ("ags", "gemeinde") if c in b.columns]
        folium.GeoJson(
            b[[*keep, "geometry"]],
            name="Gemeinden",
            style_function=lambda _f: {
                "color": "#444444",
                "weight": 1.5,
                "fillOpacity": 0.03,
                "fillColor": "#888888",
            },
            tooltip=folium.GeoJsonTooltip(fields=["gemeinde"], aliases=["Gemeinde"])
            if "gemeinde" in keep
            else None,
        ).add_to(m)

    village_layer = folium.FeatureGroup(name="Orte")
    classes = classify_minutes(pts["minutes"].to_numpy("float64"), edges)
    records = pts.drop(columns="geometry").to_dict("records")
    for rec, geom, k in zip(records, pts.geometry, classes, strict=True):
        if geom is None or geom.is_empty:
            continue
        color = UNREACHABLE_COLOR if k < 0 else BIN_COLORS[int(k)]
        selected = selected_id is not None and str(rec.get("id")) == str(selected_id)
        folium.CircleMarker(
            location=[geom.y, geom.x],
            radius=9 if selected else 7,
            color="#000000" if selected else "#333333",
            weight=4 if selected else 1,
            fill=True,
            fill_color=color,
            fill_opacity=0.9,
            tooltip=html.escape(_text(rec.get("name"))),
            popup=folium.Popup(_village_popup(rec), max_width=320),
        ).add_to(village_layer)
    village_layer.add_to(m)

    used: list[Category] = []
    if offers is not None and len(offers):
        offer_layer = folium.FeatureGroup(name="Angebote")
        o = offers.to_crs("EPSG:4326")
        for rec, geom in zip(
            o.drop(columns="geometry").to_dict("records"), o.geometry, strict=True
        ):
            if geom is None or geom.is_empty:
                continue
            cat = cats.get(str(rec.get("category")))
            label = cat.label if cat else _text(rec.get("category"))
            icon_html = offer_icon_svg(cat.icon if cat else "circle", cat.color if cat else "#555")
            if cat and cat not in used:
                used.append(cat)
            folium.Marker(
                location=[geom.y, geom.x],
                icon=folium.DivIcon(html=icon_html, icon_size=(26, 26), icon_anchor=(13, 13)),
                tooltip=html.escape(f"{_text(rec.get('name'))} ({label})"),
                popup=folium.Popup(_offer_popup(rec, label), max_width=320),
            ).add_to(offer_layer)
        offer_layer.add_to(m)
    used.sort(key=lambda c: c.order)
    Legend(legend_html(legend_title, edges=edges, categories=used)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML page (offline when built with ``offline=True``)."""
    return str(m.get_root().render())
