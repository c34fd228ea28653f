"""The per-Gemeinde map: share of children beyond the threshold or without an offer.

The Landatlas and KomMonitor show reachability per Gemeinde as a
choropleth; a steering group compares Gemeinden at a glance before looking
at single villages.  This layer fills each Gemeinde polygon by one share of
:func:`~erreichbarkeit.analysis.summaries.gemeinde_long` (0…1):

* ``share_children_beyond`` — „Anteil Kinder über dem Schwellenwert“
  (children in villages beyond the threshold *or* without a reachable offer);
* ``share_children_no_offer`` — „Anteil Kinder ohne erreichbares Angebot“
  (beyond the routing cutoff).

Fixed class edges (10, 25, 50, 75 %) keep maps of different categories and
modes comparable; the colours are ColorBrewer's YlOrBr (colour-blind safe),
whose lightness falls steadily from class to class so the map also reads in
grey-scale print.  A Gemeinde without children in the data is grey
(„keine Kinder in den Daten“), never counted as 0 %; a Gemeinde whose
villages are only partly inside the network data is outlined dashed and its
tooltip says so.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from erreichbarkeit.webmap.layers import GeoJsonText, geojson_text
from erreichbarkeit.webmap.need import LayerLegend, layer_control_last

__all__ = [
    "SHARE_COLORS",
    "SHARE_EDGES",
    "SHARE_MEASURES",
    "add_gemeinde_layer",
    "gemeinde_legend_html",
    "gemeinde_shares",
    "share_class",
]

#: Upper edges (0…1) of the five share classes.
SHARE_EDGES: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75, 1.0)
#: Fill colours of the classes, low to high share (ColorBrewer YlOrBr, 5 classes).
SHARE_COLORS: tuple[str, ...] = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")
#: Fill of a Gemeinde without children in the data.
NO_DATA_COLOR = "#bdbdbd"
#: The shares this layer can show, with their German titles.
SHARE_MEASURES: Mapping[str, str] = {
    "share_children_beyond": "Anteil Kinder über dem Schwellenwert",
    "share_children_no_offer": "Anteil Kinder ohne erreichbares Angebot",
}
_NO_DATA = "keine"


def share_class(share: float) -> int | None:
    """The class (0…4) of a share in 0…1; ``None`` for a missing value.

    Examples
    --------
    >>> share_class(0.10), share_class(0.1001), share_class(1.0), share_class(float("nan"))
    (0, 1, 4, None)
    """
    if share is None or not math.isfinite(share):
        return None
    for i, edge in enumerate(SHARE_EDGES):
        if share <= edge + 1e-12:
            return i
    return len(SHARE_EDGES) - 1


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _class_label(i: int) -> str:
    lo = 0.0 if i == 0 else SHARE_EDGES[i - 1]
    hi = SHARE_EDGES[i]
    return f"bis {_pct(hi)}" if i == 0 else f"über {_pct(lo)} bis {_pct(hi)}"


def _tooltip(name: str, share: float, beyond: float, partial: bool, title: str) -> str:
    if share_class(share) is None:
        text = f"{name}: keine Kinder in den Daten"
    else:
        children = f"{beyond:,.0f}".replace(",", ".")  # German thousands separator
        text = f"{name}: {_pct(share)} ({children} Kinder) – {title}"
    if partial:
        text += " · Gemeinde nur teilweise im Straßennetz: Wert unvollständig"
    return text


def gemeinde_shares(
    boundaries: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    *,
    measure: str = "share_children_beyond",
) -> gpd.GeoDataFrame:
    """Gemeinde polygons with the share, its class and a German tooltip.

    Parameters
    ----------
    boundaries
        Gemeinde polygons with ``ags`` and ``name`` (or ``gemeinde``, as in
        the run's boundaries).
    rows
        One row per Gemeinde (one category and mode) of
        :func:`~erreichbarkeit.analysis.summaries.gemeinde_long`: ``ags``,
        ``measure``, ``children_beyond`` and optionally ``gemeinde_partial``.
    measure
        A key of :data:`SHARE_MEASURES`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ags, name, share, share_class`` (``"0"``…``"4"`` or ``"keine"``),
        ``partial`` and ``tooltip``, one row per polygon of ``boundaries``.

    Raises
    ------
    KeyError
        An unknown ``measure``.
    """
    title = SHARE_MEASURES[measure]
    by_ags = rows.assign(ags=rows["ags"].astype(str)).drop_duplicates("ags").set_index("ags")
    if "name" not in boundaries.columns and "gemeinde" in boundaries.columns:
        boundaries = boundaries.rename(columns={"gemeinde": "name"})  # the run's boundaries
    out = boundaries.loc[:, ["ags", "name", boundaries.geometry.name]].copy()
    out["ags"] = out["ags"].astype(str)
    share = pd.to_numeric(out["ags"].map(by_ags[measure]), errors="coerce")
    beyond = pd.to_numeric(out["ags"].map(by_ags.get("children_beyond")), errors="coerce")
    partial_col = by_ags.get("gemeinde_partial")
    partial = (
        out["ags"].map(partial_col).fillna(False).astype(bool)
        if partial_col is not None
        else pd.Series(False, index=out.index)
    )
    out["share"] = share
    out["share_class"] = [
        _NO_DATA if (c := share_class(float(s))) is None else str(c) for s in share
    ]
    out["partial"] = partial.to_numpy()
    out["tooltip"] = [
        _tooltip(str(n), float(s), float(b) if pd.notna(b) else 0.0, bool(p), title)
        for n, s, b, p in zip(out["name"], share, beyond, out["partial"], strict=True)
    ]
    return out


def gemeinde_legend_html(measure: str, what: str, font_px: int = 12) -> str:
    """The German legend of the layer: title, what it covers, the classes, no data."""
    swatch = (
        f"display:inline-block;width:{font_px + 4}px;height:{font_px}px;"
        "border:1px solid #555;margin-right:6px;vertical-align:middle"
    )
    rows = [
        f'<div style="font-weight:bold">{html.escape(SHARE_MEASURES[measure])}</div>',
        f'<div style="margin-bottom:4px;max-width:240px">{html.escape(what)}</div>',
    ]
    rows += [
        f'<div><span style="{swatch};background:{color}"></span>{_class_label(i)}</div>'
        for i, color in enumerate(SHARE_COLORS)
    ]
    rows.append(
        f'<div><span style="{swatch};background:{NO_DATA_COLOR}"></span>'
        "keine Kinder in den Daten</div>"
    )
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        f'box-shadow:0 0 6px rgba(0,0,0,.3);color:#222;font:{font_px}px/1.5 sans-serif">'
        + "".join(rows)
        + "</div>"
    )


def add_gemeinde_layer(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    *,
    measure: str = "share_children_beyond",
    what: str,
    show: bool = True,
    font_px: int = 12,
    legend: bool = True,
) -> Any:
    """Add the per-Gemeinde choropleth and its legend (shown with the layer) to ``m``.

    Parameters
    ----------
    m
        The map.
    boundaries, rows, measure
        As in :func:`gemeinde_shares`.
    what
        What the figure covers, in German, e.g. „Kita · Auto · 0–3 Jahre ·
        Schwellenwert 15 min“ (every figure says what it covers).
    show
        Whether the layer is on when the map opens.
    font_px
        Font size of the legend.
    legend
        Add the legend as a map control; ``False`` when the page shows
        :func:`gemeinde_legend_html` beside the map (presentation mode).

    Returns
    -------
    GeoJsonText
        The layer (tooltips name the Gemeinde, its share and the children).
    """
    frame = gemeinde_shares(boundaries, rows, measure=measure)
    style_by: dict[str, dict[str, Any]] = {
        str(i): {"fillColor": c} for i, c in enumerate(SHARE_COLORS)
    }
    style_by[_NO_DATA] = {"fillColor": NO_DATA_COLOR}
    layer = GeoJsonText(
        geojson_text(frame, ("share_class", "tooltip")),
        name=f"Gemeinden: {SHARE_MEASURES[measure]}",
        style={"color": "#444", "weight": 1.0, "fillOpacity": 0.75},
        style_by=("share_class", style_by),
        tooltip="tooltip",
        show=show,
    )
    layer.add_to(m)
    partial = frame[frame["partial"]]
    if len(partial):  # dashed outline: the value covers only part of the Gemeinde
        GeoJsonText(
            geojson_text(partial), name="Gemeinden nur teilweise im Straßennetz",
            style={"color": "#222", "weight": 2.0, "dashArray": "6 4", "fill": False},
            show=show,
        ).add_to(m)  # fmt: skip
    if legend:
        LayerLegend(
            gemeinde_legend_html(measure, what, font_px), layers=[layer], position="bottomright"
        ).add_to(m)
    layer_control_last(m)
    return layer
