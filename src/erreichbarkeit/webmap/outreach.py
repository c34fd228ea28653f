"""Villages served by an outreach offer („aufsuchendes Angebot“) on the map.

A village whose families an outreach offer of the shown category visits
(the map frame's ``outreach`` column: the offers' names) keeps the colour of
its minutes to the nearest stationary offer and gets a dashed violet ring
(:class:`OutreachLayer`, its own entry in the layer control), a legend row
(:func:`outreach_legend_rows`) and popup lines saying „aufsuchend (<Name>)“
instead of the minutes (:func:`outreach_popup_lines`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
from jinja2 import Template

from erreichbarkeit.webmap._base import DataLayer, js_json

__all__ = [
    "OUTREACH_COLOR",
    "OUTREACH_LABEL",
    "OutreachLayer",
    "add_outreach",
    "has_outreach",
    "outreach_legend_rows",
    "outreach_popup_lines",
    "outreach_text",
]

#: Ring colour of outreach-served villages (apart from the minute classes).
OUTREACH_COLOR = "#7b1fa2"
#: Legend and layer name.
OUTREACH_LABEL = "aufsuchendes Angebot"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def outreach_text(names: Any) -> str:
    """„aufsuchend (<Name>)“, or ``""`` without names."""
    text = _text(names).strip()
    return f"aufsuchend ({text})" if text else ""


def outreach_popup_lines(row: Mapping[str, Any]) -> list[str]:
    """Popup lines (HTML) of an outreach-served village: the offer, then the stationary one."""
    lines = [f"Angebot: {html.escape(outreach_text(row.get('outreach')))} – gilt als erreichbar"]
    minutes: Any = row.get("minutes")
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        value = math.nan
    if math.isnan(value):
        lines.append("Kein festes Angebot erreichbar")
    else:
        nearest = html.escape(_text(row.get("nearest")))
        lines.append(f"Nächstes festes Angebot: {nearest} – {value:.1f} min".replace(".", ","))
    return lines


class OutreachLayer(DataLayer):
    """Dashed rings around the outreach-served villages (rows ``[lat, lon, tooltip]``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var rows = {{ this.rows_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.circleMarker([r[0], r[1]], {
                    radius: 12, color: {{ this.color_json }}, weight: 3, dashArray: "4 3",
                    fill: false
                }).bindTooltip(r[2]).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str = OUTREACH_LABEL) -> None:
        super().__init__(name)
        self._name = "OutreachLayer"
        self.rows = rows
        self.rows_json = js_json(rows)
        self.color_json = js_json(OUTREACH_COLOR)


def outreach_rows(villages: gpd.GeoDataFrame) -> list[list[Any]]:
    """``[lat, lon, tooltip_html]`` of the villages with a non-empty ``outreach`` column."""
    if "outreach" not in villages.columns:
        return []
    pts = villages.to_crs("EPSG:4326") if villages.crs is not None else villages
    rows: list[list[Any]] = []
    for name, text, geom in zip(pts["name"], pts["outreach"], pts.geometry, strict=True):
        if not _text(text).strip() or geom is None or geom.is_empty:
            continue
        tip = f"{_text(name)}: {outreach_text(text)}"
        rows.append([round(float(geom.y), 6), round(float(geom.x), 6), html.escape(tip)])
    return rows


def has_outreach(villages: gpd.GeoDataFrame | None) -> bool:
    """Whether a village of the map frame is served by an outreach offer."""
    return (
        villages is not None
        and "outreach" in villages.columns
        and bool(villages["outreach"].map(lambda t: bool(_text(t).strip())).any())
    )


def add_outreach(m: folium.Map, villages: gpd.GeoDataFrame) -> bool:
    """Draw the rings of the outreach-served villages on ``m``; whether there were any."""
    rows = outreach_rows(villages)
    if rows:
        OutreachLayer(rows).add_to(m)
    return bool(rows)


def outreach_legend_rows(font_px: int) -> list[str]:
    """The legend row (HTML) of the ring."""
    sym = int(font_px)
    ring = (
        f'<span style="display:inline-block;width:{sym}px;height:{sym}px;border-radius:50%;'
        f'border:2px dashed {OUTREACH_COLOR};margin-right:6px;vertical-align:middle"></span>'
    )
    return [f"<div>{ring}{html.escape(OUTREACH_LABEL)} (gilt als erreichbar)</div>"]
