"""The map layer „Bedarf“: an indicator of the table of social indicators per Gemeinde/Ortsteil.

A choropleth of the Gemeinde values (Gemeinde polygons, non-interactive so
clicks reach the villages) and rings at the villages with their own Ortsteil
value, both off by default, with a legend naming the indicator and its
source.  Without a table (``need is None``) nothing is drawn: nothing
pretends to know need.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Template

from erreichbarkeit.webmap.layers import GeoJsonText, geojson_text
from erreichbarkeit.webmap.legend import Legend

__all__ = [
    "NEED_COLORS",
    "LayerLegend",
    "add_need_layer",
    "layer_control_last",
    "need_classes",
    "need_legend_html",
]

#: Colours of the five need classes, low to high (ColorBrewer Purples).
NEED_COLORS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")


def _pct(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def need_classes(values: Sequence[float]) -> list[float]:
    """Upper edges of five equal-width classes over the finite values (empty: none)."""
    arr = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if not arr.size:
        return []
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return [hi]
    step = (hi - lo) / len(NEED_COLORS)
    return [lo + step * (i + 1) for i in range(len(NEED_COLORS))]


def _class_of(value: float, edges: Sequence[float]) -> int:
    for i, edge in enumerate(edges):
        if value <= edge + 1e-9:
            return i
    return len(edges) - 1


def need_legend_html(indicator: str, source: str, edges: Sequence[float], font_px: int = 12) -> str:
    """The German legend: indicator, classes in percent, source."""
    rows = [
        f'<div style="font-weight:bold;margin-bottom:4px">Bedarf: {html.escape(indicator)}'
        " (Ebene einschalten)</div>"
    ]
    lo = None
    for i, edge in enumerate(edges):
        color = NEED_COLORS[i if len(edges) > 1 else -1]
        label = f"bis {_pct(edge)} %" if lo is None else f"{_pct(lo)} bis {_pct(edge)} %"
        rows.append(
            f'<div><span style="display:inline-block;width:{font_px + 4}px;height:{font_px}px;'
            f'background:{color};border:1px solid #555;margin-right:6px;vertical-align:middle">'
            f"</span>{label}</div>"
        )
        lo = edge
    rows.append(
        f'<div style="font-size:{max(font_px - 2, 9)}px;margin-top:4px;max-width:220px">'
        f"Flächen: Wert der Gemeinde; Ringe: eigener Wert des Ortsteils. Quelle: "
        f"{html.escape(source)}</div>"
    )
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        f'box-shadow:0 0 6px rgba(0,0,0,.3);color:#222;font:{font_px}px/1.5 sans-serif">'
        + "".join(rows)
        + "</div>"
    )


def add_need_layer(
    m: folium.Map,
    need: Any,
    *,
    boundaries: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    indicator: str | None = None,
    font_px: int = 12,
) -> None:
    """Add the layer „Bedarf: <indicator>“ (off by default) and its legend to ``m``.

    Parameters
    ----------
    m
        The map (its layer control lists the layer when rendered).
    need
        The :class:`~erreichbarkeit.io.need.NeedTable` or ``None`` (nothing drawn).
    boundaries, villages
        Gemeinde polygons (``ags``) and village points (``id``, ``name``).
    indicator
        The indicator (default: the table's first).
    """
    if need is None or not need.indicators:
        return
    name = str(indicator if indicator in need.indicators else need.indicators[0])
    rows = need.rows
    gem = rows[rows["level"] == "gemeinde"].set_index("target")[name].dropna()
    ort = rows[rows["level"] == "ort"].set_index("target")[name].dropna()
    edges = need_classes([*gem.tolist(), *ort.tolist()])
    if not edges:
        return
    layers: list[Any] = []
    if "ags" in boundaries.columns and len(gem):
        polys = boundaries[boundaries["ags"].astype(str).isin(set(gem.index))].copy()
        polys["need_class"] = [str(_class_of(float(gem[a]), edges)) for a in polys["ags"]]
        style_by = {str(i): {"fillColor": c} for i, c in enumerate(NEED_COLORS)}
        layer = GeoJsonText(
            geojson_text(polys, ("need_class",)), name=f"Bedarf: {name} (Gemeinden)",
            style={"color": "#54278f", "weight": 0.6, "fillOpacity": 0.55},
            style_by=("need_class", style_by), show=False,
        )  # fmt: skip
        layer.add_to(m)
        layers.append(layer)
    points = villages[villages["id"].astype(str).isin(set(ort.index))]
    if len(points):
        group = folium.FeatureGroup(name=f"Bedarf: {name} (Ortsteile)", show=False)
        for vid, vname, geom in zip(
            points["id"].astype(str), points["name"], points.geometry, strict=True
        ):
            value = float(ort[vid])
            folium.CircleMarker(
                location=(geom.y, geom.x), radius=9, weight=3, fill=True, fill_opacity=0.9,
                color="#333", fill_color=NEED_COLORS[_class_of(value, edges)],
                tooltip=f"{html.escape(str(vname))}: {_pct(value)} %",
            ).add_to(group)  # fmt: skip
        group.add_to(m)
        layers.append(group)
    source = str(need.source) if pd.notna(need.source) else ""
    # the legend shows only while one of the (off by default) layers is on: an
    # unused legend would cover the map in a meeting
    LayerLegend(
        need_legend_html(name, source, edges, font_px), layers=layers, position="bottomleft"
    ).add_to(m)
    layer_control_last(m)


def layer_control_last(m: folium.Map) -> None:
    """Move the map's layer control behind the layers added after it.

    folium renders children in order; a control rendered before a layer it
    lists meets an undefined variable and the map's script stops.
    """
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
            m._children[key] = child


class LayerLegend(Legend):
    """A :class:`Legend` shown only while one of ``layers`` is on the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_json }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "ek-legend ek-layer-legend");
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        (function (map, ctl, layers) {
            var on = function () { return layers.some(function (l) { return map.hasLayer(l); }); };
            map.on("overlayadd overlayremove", function () {
                if (on()) { ctl.addTo(map); } else { map.removeControl(ctl); }
            });
            if (on()) { ctl.addTo(map); }
        })({{ this._parent.get_name() }}, {{ this.get_name() }}, [{{ this.layer_names }}]);
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, *, layers: Sequence[Any], position: str) -> None:
        super().__init__(legend_html, position=position)
        self.layer_names = ", ".join(layer.get_name() for layer in layers)
