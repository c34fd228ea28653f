"""The Land map: a choropleth of the Kreise or Jugendamt areas of a batch.

One polygon per region, coloured by a share (e.g. the share of children
beyond the threshold for one category and mode) in five fixed classes of a
sequential palette, one switchable layer per category × mode; regions
without a value (failed, not computed) are grey and say so.  The tooltip
names the region, the value and its flags in German; no ``None``/``nan``
ever reaches the page.  Offline like the
dashboard map (Leaflet from the ``xstatic`` wheels), without a tile layer.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import WGS84
from erreichbarkeit.webmap._base import metric_scale
from erreichbarkeit.webmap.assets import offline_assets

__all__ = ["LAND_CLASSES", "LAND_COLORS", "NO_VALUE_COLOR", "land_map", "land_map_html"]

#: Five classes, low to high (ColorBrewer OrRd: more children beyond = darker).
LAND_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
#: Upper edges of the classes (shares): fixed, so that every layer and every
#: Land is read on the same scale.
LAND_CLASSES = (0.05, 0.10, 0.20, 0.40, 1.0)
#: Regions without a value.
NO_VALUE_COLOR = "#bdbdbd"
_SIMPLIFY_DEG = 0.001  # about 100 m: outlines for an overview map of a whole Land


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %".replace(".", ",")


def _class_of(value: float | None) -> int | None:
    """Index of the class of a share (``None`` without a value).

    Examples
    --------
    >>> _class_of(0.0), _class_of(0.05), _class_of(0.051), _class_of(0.9), _class_of(None)
    (0, 0, 1, 4, None)
    """
    if value is None or not math.isfinite(value):
        return None
    for i, edge in enumerate(LAND_CLASSES):
        if value <= edge + 1e-12:
            return i
    return len(LAND_CLASSES) - 1


def _legend(title: str) -> str:
    rows = [f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>']
    lower = 0.0
    for i, edge in enumerate(LAND_CLASSES):
        text = f"bis {_pct(edge)}" if i == 0 else f"über {_pct(lower)} bis {_pct(edge)}"
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{LAND_COLORS[i]};margin-right:6px"></span>{html.escape(text)}</div>'
        )
        lower = edge
    rows.append(
        f'<div><span style="display:inline-block;width:14px;height:10px;'
        f'background:{NO_VALUE_COLOR};margin-right:6px"></span>kein Ergebnis</div>'
    )
    return (
        # bottom right, above the attribution: the scale bar keeps the bottom left
        '<div style="position:fixed;bottom:28px;right:10px;z-index:9999;background:white;'
        'padding:8px;border:1px solid #999;font:12px/1.4 sans-serif">' + "".join(rows) + "</div>"
    )


def _value(raw: object) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _flags(row: pd.Series) -> str:
    """German notes of a region for its tooltip (status, partial coverage, no timetable)."""
    notes = []
    status = row.get("status")
    if isinstance(status, str) and status != "fertig":
        notes.append(f"Status: {status}")
    if bool(row.get("teilabdeckung", False)):
        notes.append("Teilabdeckung")
    if bool(row.get("ohne_bus_bahn", False)):
        notes.append("ohne Bus & Bahn")
    return "<br>" + html.escape(", ".join(notes)) if notes else ""


def _name_labels(m: folium.Map, frame: gpd.GeoDataFrame, name_column: str) -> None:
    """Each region's name at a point inside it, readable on every class colour."""
    group = folium.FeatureGroup(name="Namen der Regionen", control=False)
    for _, row in frame.iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        point = row.geometry.representative_point()
        name = html.escape(str(row[name_column]))
        folium.Marker(
            (point.y, point.x),
            icon=folium.DivIcon(
                html=(
                    '<div style="transform:translate(-50%,-50%);white-space:nowrap;'
                    "font:bold 12px sans-serif;color:#222;text-shadow:0 0 3px #fff,"
                    f'0 0 3px #fff,0 0 3px #fff">{name}</div>'
                ),
                icon_size=(0, 0),
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def land_map(
    overview: gpd.GeoDataFrame,
    layers: Sequence[tuple[str, str]],
    *,
    legend_title: str = "Anteil Kinder jenseits der Schwelle",
    name_column: str = "name",
    offline: bool = True,
) -> folium.Map:
    """The choropleth of the regions of ``overview``, one switchable layer per share.

    Parameters
    ----------
    overview
        One row per region with polygons (any CRS), a name, the share columns
        and optionally ``status``, ``teilabdeckung``, ``ohne_bus_bahn``.
    layers
        ``(column, German title)`` per layer, e.g. one per category × mode;
        the first is shown (a radio choice in the layer control).  A missing
        column or value is drawn as "kein Ergebnis".
    legend_title
        Title of the legend (the classes are the same for every layer).
    name_column
        The region's name.
    offline
        Use the bundled Leaflet assets instead of a CDN.
    """
    frame = overview.to_crs(WGS84)
    frame = frame.set_geometry(frame.geometry.simplify(_SIMPLIFY_DEG, preserve_topology=True))
    minx, miny, maxx, maxy = (float(b) for b in frame.total_bounds)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=None)
    metric_scale(m)  # kilometres only
    if offline:
        js, css = offline_assets()
        if js:
            m.default_js = list(js)
            m.default_css = list(css)
    for i, (column, title) in enumerate(layers or [("", legend_title)]):
        group = folium.FeatureGroup(name=title, overlay=False, show=i == 0)
        for _, row in frame.iterrows():
            if row.geometry is None or row.geometry.is_empty:
                continue
            value = _value(row[column]) if column in frame else None
            k = _class_of(value)
            shown = _pct(value) if value is not None else "kein Ergebnis"
            tip = (
                f"<b>{html.escape(str(row[name_column]))}</b><br>{html.escape(title)}: "
                f"{shown}{_flags(row)}"
            )
            color = NO_VALUE_COLOR if k is None else LAND_COLORS[k]
            folium.GeoJson(
                row.geometry.__geo_interface__,
                style_function=lambda _f, c=color: {
                    "fillColor": c,
                    "color": "#555555",
                    "weight": 1,
                    "fillOpacity": 0.75,
                },
                tooltip=folium.Tooltip(tip),
            ).add_to(group)
        group.add_to(m)
    _name_labels(m, frame, name_column)
    if len(layers) > 1:
        folium.LayerControl(collapsed=True).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(legend_title)))  # type: ignore[attr-defined]
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def land_map_html(
    overview: gpd.GeoDataFrame, layers: Sequence[tuple[str, str]], *, offline: bool = True
) -> str:
    """The Land map as a standalone HTML page."""
    return str(land_map(overview, layers, offline=offline).get_root().render())
