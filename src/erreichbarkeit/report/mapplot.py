"""Matplotlib map layers shared by the print map and the Steckbriefe.

:mod:`erreichbarkeit.report.printmap` (A4/A3 landscape) and
:mod:`erreichbarkeit.report.steckbrief` (A4 portrait fact sheet) draw the same
map: villages coloured by the minute classes of
:mod:`erreichbarkeit.report.style` (the web map's classes and colours), the
offers as diamonds in their category colour above them, the offline road
base layer (:mod:`erreichbarkeit.report.basemap`), a scale bar and the legend
entries; the names are placed by :mod:`erreichbarkeit.report.labels`.  The
page layouts stay in those modules; the drawing of the map layers lives here,
so both look alike.

Everything is drawn in EPSG:25832 (metres), so a scale bar is exact up to
the UTM scale factor (< 0.1 % in Germany).  Nothing here uses ``pyplot``
(global state, not safe in a Streamlit server running several sessions in
threads); the callers build :class:`matplotlib.figure.Figure` objects.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle
from matplotlib_scalebar.scalebar import ScaleBar
from shapely.geometry import box

from erreichbarkeit.config import METRIC_CRS, WGS84, Category
from erreichbarkeit.report.labels import fit_width, wrap_to_width
from erreichbarkeit.report.style import (
    BIN_COLORS,
    BIN_EDGES,
    OFFER_FALLBACK_COLOR,
    ROAD_CLASSES,
    ROAD_STYLES,
    UNREACHABLE_COLOR,
    UNREACHABLE_LABEL,
    bin_labels,
    class_colors,
    classify_minutes,
)

__all__ = [
    "Extent",
    "add_scale_bar",
    "class_handles",
    "dot_handle",
    "draw_legend",
    "draw_offers",
    "draw_roads",
    "draw_table",
    "draw_transit",
    "draw_villages",
    "fit_extent",
    "frame_axes",
    "halo",
    "line_handle",
    "metric",
    "north_arrow",
    "road_handle",
    "transit_handles",
]

#: ``(minx, miny, maxx, maxy)`` in metres (EPSG:25832).
Extent = tuple[float, float, float, float]

#: Bus & Bahn on paper: dark lines (solid; on-demand dashed) and small squares for the
#: stops, so they stay apart from the grey roads and the coloured villages in grey print.
_LINE_COLOR = "#3f2a73"
_ON_DEMAND_DASH = (0, (3.0, 2.0))
_STOP_COLOR = "#111111"
_IDLE_STOP_COLOR = "#bdbdbd"
_ROW = 0.0135  # height of a text-table row (figure fraction; about 11 pt on A4 portrait)


def metric(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """``gdf`` in EPSG:25832 (no CRS: taken as WGS84); ``None`` when missing or empty."""
    if gdf is None or len(gdf) == 0:
        return None
    return gdf.to_crs(METRIC_CRS) if gdf.crs is not None else gdf.set_crs(WGS84).to_crs(METRIC_CRS)


def fit_extent(
    extent: Extent,
    aspect: float,
    *,
    margin: float = 0.04,
    min_size: float = 500.0,
) -> Extent:
    """Grow ``extent`` (metres) to the width/height ``aspect`` of the map frame.

    Adds ``margin`` on every side and keeps at least ``min_size`` metres.
    """
    minx, miny, maxx, maxy = extent
    w = max(maxx - minx, min_size) * (1 + 2 * margin)
    h = max(maxy - miny, min_size) * (1 + 2 * margin)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def halo(width: float = 2.0) -> list[Any]:
    """A white outline that keeps text readable on any background."""
    return [patheffects.withStroke(linewidth=width, foreground="white")]


# -- layers ----------------------------------------------------------------------------


def draw_roads(ax: Any, roads: gpd.GeoDataFrame | None, *, width_scale: float) -> bool:
    """Draw the road base layer (metres) below everything else; return whether any was drawn.

    Minor roads first, motorways on top; line widths are
    :data:`~erreichbarkeit.report.style.ROAD_STYLES` ``width_pt`` times ``width_scale``.
    """
    if roads is None or len(roads) == 0:
        return False
    drawn = False
    for cls in reversed(ROAD_CLASSES):
        part = roads.geometry[roads["road_class"] == cls]
        segments = [
            np.asarray(line.coords)[:, :2]
            for geom in part
            for line in getattr(geom, "geoms", [geom])
            if not line.is_empty
        ]
        if not segments:
            continue
        style = ROAD_STYLES[cls]
        ax.add_collection(
            LineCollection(
                segments,
                colors=style.color,
                linewidths=style.width_pt * width_scale,
                capstyle="round",
                zorder=1,
            )
        )
        drawn = True
    return drawn


def draw_offers(
    ax: Any,
    offers: gpd.GeoDataFrame | None,
    categories: Mapping[str, Category],
    *,
    size: float,
    linewidth: float,
) -> list[Category]:
    """Draw the offers (metres) as diamonds in their category colour, above the villages.

    Returns
    -------
    list[Category]
        The known categories drawn, in legend order.
    """
    used: list[Category] = []
    if offers is None or len(offers) == 0:
        return used
    for key, part in offers.groupby("category", sort=False):
        cat = categories.get(str(key))
        if cat is not None and cat not in used:
            used.append(cat)
        ax.scatter(
            part.geometry.x,
            part.geometry.y,
            s=size,
            marker="D",
            c=cat.color if cat else OFFER_FALLBACK_COLOR,
            edgecolors="white",
            linewidths=linewidth,
            zorder=6,  # above the village dots (the names in .labels above both)
        )
    return sorted(used, key=lambda c: c.order)


def draw_villages(
    ax: Any,
    villages: gpd.GeoDataFrame,
    minutes: Any,
    *,
    edges: Sequence[float] = BIN_EDGES,
    size: float,
    linewidth: float,
) -> None:
    """Draw the villages (metres) coloured by the class of their ``minutes``.

    Drawn best first, so the worst (and unreachable) villages lie on top.
    """
    classes = classify_minutes(np.asarray(minutes, dtype="float64"), edges)
    colors = class_colors(classes)
    order = np.argsort(np.where(classes < 0, len(BIN_COLORS), classes), kind="stable")
    ax.scatter(
        villages.geometry.x.to_numpy()[order],
        villages.geometry.y.to_numpy()[order],
        s=size,
        c=[colors[i] for i in order],
        edgecolors="#333333",
        linewidths=linewidth,
        zorder=5,
    )


# -- frame -----------------------------------------------------------------------------


def frame_axes(ax: Any, extent: Extent, *, spine_color: str, spine_width: float) -> None:
    """Show exactly ``extent`` at equal scale, without ticks, in a thin frame."""
    minx, miny, maxx, maxy = extent
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels metric axes "Easting [metre]"
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor(spine_color)
        spine.set_linewidth(spine_width)


def add_scale_bar(
    ax: Any, *, length_fraction: float, font_size: float, border_pad: float | None = None
) -> None:
    """A metric scale bar in the lower left corner (the axes are in metres)."""
    options: dict[str, Any] = {} if border_pad is None else {"border_pad": border_pad}
    ax.add_artist(
        ScaleBar(
            1.0,
            "m",
            location="lower left",
            length_fraction=length_fraction,
            box_alpha=0.85,
            font_properties={"size": font_size},
            **options,
        )
    )


def north_arrow(ax: Any, scale: float) -> None:
    """A simple north arrow (grid north of EPSG:25832) in the top right corner.

    Grid north differs from true north by the meridian convergence (about 1°
    at the edges of zone 32), which the arrow ignores.
    """
    ax.add_patch(
        FancyArrow(
            0.955,
            0.865,
            0.0,
            0.075,
            width=0.010,
            head_width=0.030,
            head_length=0.035,
            length_includes_head=True,
            transform=ax.transAxes,
            color="#222222",
            zorder=10,
        )
    )
    ax.text(
        0.955,
        0.845,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=13 * scale,
        fontweight="bold",
        color="#222222",
        zorder=10,
        path_effects=halo(3 * scale),
    )


# -- legend ----------------------------------------------------------------------------


def dot_handle(
    color: str,
    *,
    marker: str = "o",
    edge: str = "#333333",
    marker_size: float,
    edge_width: float,
) -> Line2D:
    """A legend symbol: one marker without a line."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=marker_size,
        markerfacecolor=color,
        markeredgecolor=edge,
        markeredgewidth=edge_width,
    )


def line_handle(color: str, width: float) -> Line2D:
    """A legend symbol: a line."""
    return Line2D([], [], color=color, linewidth=width)


def road_handle(width: float) -> Line2D:
    """The legend symbol of the main roads."""
    return line_handle(ROAD_STYLES["primary"].color, width)


def class_handles(
    edges: Sequence[float] = BIN_EDGES, *, marker_size: float, edge_width: float
) -> tuple[list[Any], list[str]]:
    """Legend symbols and labels of the minute classes and "nicht erreichbar"."""
    colors = [*BIN_COLORS, UNREACHABLE_COLOR]
    handles: list[Any] = [
        dot_handle(c, marker_size=marker_size, edge_width=edge_width) for c in colors
    ]
    return handles, [*bin_labels(edges), UNREACHABLE_LABEL]


def draw_legend(
    ax: Any,
    handles: Sequence[Any],
    labels: Sequence[str],
    *,
    title: str,
    wrap: int,
    fontsize: float,
    title_fontsize: float,
    **options: Any,
) -> Legend:
    """Fill an empty axes with the legend (top left, no frame, bold title wrapped at ``wrap``).

    ``options`` go to :meth:`matplotlib.axes.Axes.legend` (spacing).
    """
    ax.axis("off")
    leg: Legend = ax.legend(
        list(handles),
        list(labels),
        title="\n".join(textwrap.wrap(title, wrap)),
        loc="upper left",
        frameon=False,
        fontsize=fontsize,
        title_fontsize=title_fontsize,
        alignment="left",
        borderaxespad=0.0,
        **options,
    )
    leg.get_title().set_fontweight("bold")
    _wrap_legend(ax, leg, fontsize)
    return leg


def _wrap_legend(ax: Any, leg: Legend, fontsize: float) -> None:
    """Break the legend's title and labels so they end inside ``ax`` (its right edge).

    A long category label (e.g. „Angebot: Schwangerschaftsberatung“) would
    otherwise run past the legend column and off the page.
    """
    fig = ax.figure
    width = ax.get_position().width  # figure fraction
    em = fontsize / 72.0 * fig.dpi / fig.bbox.width  # one em in figure fraction
    handle = (leg.handlelength + leg.handletextpad + leg.borderpad) * em  # left of the texts
    wrap_to_width(leg.get_title(), width)
    for text in leg.get_texts():
        wrap_to_width(text, width - handle)


# -- Bus & Bahn ------------------------------------------------------------------------


def _segments(geoms: Any) -> list[Any]:
    """The coordinate arrays of (multi)line geometries."""
    return [
        np.asarray(line.coords)[:, :2]
        for geom in geoms
        if geom is not None
        for line in getattr(geom, "geoms", [geom])
        if not line.is_empty
    ]


def draw_transit(
    ax: Any,
    stops: gpd.GeoDataFrame | None,
    lines: gpd.GeoDataFrame | None,
    *,
    scale: float,
    stop_size: float = 16.0,
    view: Extent | None = None,
) -> tuple[bool, bool, bool, bool]:
    """Draw the Bus & Bahn lines and stops (metres) above the roads, below offers and villages.

    Parameters
    ----------
    ax
        The map axes.
    stops
        Stops with ``departures`` (in the window): served stops as small dark
        squares, stops without a departure in the window as light squares.
    lines
        Lines with ``on_demand`` (bool): solid, on-demand (Rufbus) dashed.
    scale
        Factor of line widths (1 on A4 landscape).
    stop_size
        Marker area of a stop (points²).
    view
        The map frame (metres): only what lies in it is drawn (and listed in the legend).

    Returns
    -------
    tuple[bool, bool, bool, bool]
        Whether regular lines, on-demand lines, served stops and stops
        without a departure were drawn.
    """
    drew = [False, False, False, False]
    if view is not None:
        frame = box(*view)
        lines = lines[lines.intersects(frame)] if lines is not None else None
        stops = stops[stops.intersects(frame)] if stops is not None else None
    if lines is not None and len(lines):
        flag = lines["on_demand"].fillna(False).astype(bool).to_numpy()
        for i, (part, style) in enumerate(((~flag, "solid"), (flag, _ON_DEMAND_DASH))):
            segments = _segments(lines.geometry[part])
            if segments:
                ax.add_collection(
                    LineCollection(
                        segments, colors=_LINE_COLOR, linewidths=1.1 * scale,
                        linestyles=style, capstyle="butt", zorder=1.5, alpha=0.9,
                    )
                )  # fmt: skip
                drew[i] = True
    if stops is not None and len(stops):
        served = stops["departures"].fillna(0).to_numpy(dtype=float) > 0
        for i, part, color in ((3, ~served, _IDLE_STOP_COLOR), (2, served, _STOP_COLOR)):
            pts = stops[part]
            if len(pts):
                ax.scatter(
                    pts.geometry.x, pts.geometry.y, s=stop_size, marker="s", c=color,
                    edgecolors="white", linewidths=0.4 * scale, zorder=3.5,
                )  # fmt: skip
                drew[i] = True
    return drew[0], drew[1], drew[2], drew[3]


def transit_handles(
    drawn: tuple[bool, bool, bool, bool], *, marker_size: float, width: float
) -> tuple[list[Any], list[str]]:
    """Legend symbols and labels of what :func:`draw_transit` drew."""
    handles: list[Any] = []
    labels: list[str] = []
    if drawn[0]:
        handles.append(Line2D([], [], color=_LINE_COLOR, linewidth=width))
        labels.append("Bus-/Bahnlinie")
    if drawn[1]:
        handles.append(Line2D([], [], color=_LINE_COLOR, linewidth=width, linestyle=(0, (3, 2))))
        labels.append("Rufbus (gestrichelt)")
    kinds = ((drawn[2], _STOP_COLOR, "mit"), (drawn[3], _IDLE_STOP_COLOR, "ohne"))
    for shown, color, what in kinds:
        if shown:
            handles.append(dot_handle(color, marker="s", edge="white",
                                      marker_size=marker_size * 0.6, edge_width=0.4))  # fmt: skip
            labels.append(f"Haltestelle {what} Abfahrt\nim Zeitfenster")
    return handles, labels


# -- text tables -----------------------------------------------------------------------


def draw_table(
    fig: Any,
    top: float,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    align: Sequence[str],
    title: str,
    highlight: Sequence[bool] = (),
    left: float = 0.06,
    width: float = 0.90,
) -> float:
    """Draw a plain table as text from ``top`` (figure fraction); return its bottom.

    Hand-drawn because matplotlib's ``Axes.table`` has fixed row heights
    relative to the axes and no per-column alignment; here every row is one
    line of 7.5 pt text, so tables of any length stack on the page.  Rows
    flagged in ``highlight`` are printed in dark red.
    """
    fig.text(left, top, title, fontsize=9.5, fontweight="bold", va="top", ha="left")
    xs = left + width * np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    ws = [width * w for w in widths]

    def put(values: Sequence[str], y: float, *, bold: bool, color: str = "#111111") -> None:
        for x, w, text, al in zip(xs, ws, values, align, strict=True):
            limit = max(int(w / width * 118), 6)
            shown = text if len(text) <= limit else text[: limit - 1] + "…"
            t = fig.text(
                x + w - 0.004 if al == "right" else x + 0.002, y, shown, fontsize=7.5,
                ha=al, va="top", fontweight="bold" if bold else "normal", color=color,
            )  # fmt: skip
            fit_width(t, w - 0.008)  # measured: no cell runs into the next column

    y = top - 0.022
    put(header, y, bold=True)
    rule = y - _ROW * 0.95
    fig.add_artist(
        Line2D([left, left + width], [rule, rule], color="#555555", linewidth=0.6,
               transform=fig.transFigure)
    )  # fmt: skip
    for i, row in enumerate(rows):
        yy = y - _ROW * (i + 1) - 0.003
        if i % 2 == 1:
            fig.add_artist(
                Rectangle(
                    (left, yy - _ROW * 0.8), width, _ROW, facecolor="#f1f1ee", edgecolor="none",
                    transform=fig.transFigure, zorder=-1,
                )
            )  # fmt: skip
        red = i < len(highlight) and highlight[i]
        put(row, yy, bold=False, color="#b2182b" if red else "#111111")
    return y - _ROW * (len(rows) + 1) - 0.006
