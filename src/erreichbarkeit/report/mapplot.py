"""Matplotlib map layers shared by the print map and the Steckbriefe.

:mod:`erreichbarkeit.report.printmap` (A4/A3 landscape) and
:mod:`erreichbarkeit.report.steckbrief` (A4 portrait fact sheet) draw the same
map: villages coloured by the minute classes of
:mod:`erreichbarkeit.report.style` (the web map's classes and colours), the
offers as diamonds in their category colour, the offline road base layer
(:mod:`erreichbarkeit.report.basemap`), Gemeinde names, a scale bar and the
legend entries.  The page layouts stay in those modules; the drawing of the
map layers lives here, so both look alike.

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
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow
from matplotlib_scalebar.scalebar import ScaleBar

from erreichbarkeit.config import METRIC_CRS, WGS84, Category
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
    "draw_villages",
    "fit_extent",
    "frame_axes",
    "halo",
    "label_gemeinden",
    "label_villages",
    "line_handle",
    "metric",
    "north_arrow",
    "road_handle",
]

#: ``(minx, miny, maxx, maxy)`` in metres (EPSG:25832).
Extent = tuple[float, float, float, float]

_BIG_PLACES = ("city", "town")


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
    """Draw the offers (metres) as diamonds in their category colour.

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
            zorder=4,  # below the villages, the map's subject
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


def label_villages(
    ax: Any,
    villages: gpd.GeoDataFrame,
    *,
    limit: int,
    offset: tuple[float, float],
    font_sizes: tuple[float, float],
    halo_width: float,
) -> None:
    """Name the villages above their dot: all of them, or only towns and cities.

    Parameters
    ----------
    ax
        The map axes.
    villages
        Villages (metres) with ``name`` and optionally ``place``.
    limit
        Every village is labelled when at most this many are given; else only
        those with ``place`` city or town.
    offset
        Distance of the label above the dot (metres) when all are labelled and
        when only towns are.
    font_sizes
        Font size of towns and cities (bold) and of the other villages.
    halo_width
        Width of the white text outline.
    """
    label_all = len(villages) <= limit
    dy = offset[0] if label_all else offset[1]
    places = villages.get("place", pd.Series("", index=villages.index)).astype(str)
    for (_, row), place in zip(villages.iterrows(), places, strict=True):
        big = place in _BIG_PLACES
        if not (label_all or big):
            continue
        ax.text(
            row.geometry.x,
            row.geometry.y + dy,
            str(row.get("name", "")),
            fontsize=font_sizes[0] if big else font_sizes[1],
            fontweight="bold" if big else "normal",
            color="#111111",
            ha="center",
            va="bottom",
            zorder=6,
            path_effects=halo(halo_width),
            clip_on=True,
        )


def label_gemeinden(
    ax: Any,
    boundaries: gpd.GeoDataFrame,
    extent: Extent,
    *,
    fontsize: float,
    halo_width: float,
    color: str = "#777777",
    zorder: float = 3,
) -> None:
    """Write the Gemeinde names (grey italics) at a point inside each polygon within ``extent``."""
    minx, miny, maxx, maxy = extent
    points = boundaries.geometry.representative_point()
    for name, pt in zip(boundaries["gemeinde"], points, strict=True):
        if minx < pt.x < maxx and miny < pt.y < maxy:
            ax.text(
                pt.x,
                pt.y,
                str(name),
                fontsize=fontsize,
                color=color,
                style="italic",
                ha="center",
                va="center",
                zorder=zorder,
                path_effects=halo(halo_width),
                clip_on=True,
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
    return leg
