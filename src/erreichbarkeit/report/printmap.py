"""Static print maps (PDF/PNG, A4/A3 landscape) for steering-group meetings.

:func:`render_print_map` draws the villages coloured by the same minute
classes as the web map (:func:`erreichbarkeit.webmap.maps.classify_minutes`,
:data:`~erreichbarkeit.webmap.maps.BIN_COLORS`, :func:`~erreichbarkeit.webmap.maps.bin_labels`),
the offers as category-coloured markers, the Gemeinde boundaries and the
offline road base layer (:mod:`erreichbarkeit.report.basemap`), with title,
subtitle, a large legend, a metric scale bar, a north arrow, an overview
inset of the whole region with the map extent marked, the source line and
the date.

Everything is drawn in EPSG:25832 (metres), so the scale bar is exact up to
the UTM scale factor (< 0.1 % in Germany) and grid north differs from true
north by the meridian convergence (about 1° at the edges of zone 32), which
the north arrow ignores.  The figure is built with :class:`matplotlib.figure.Figure`
and the Agg/PDF backends directly, never through ``pyplot``: pyplot keeps
global state, which is not safe in a Streamlit server running several
sessions in threads.  This module never imports Streamlit.
"""

from __future__ import annotations

import io
import logging
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle
from matplotlib_scalebar.scalebar import ScaleBar
from shapely.geometry import box

from erreichbarkeit.config import METRIC_CRS, WGS84, Category
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report.basemap import ROAD_CLASSES, ROAD_STYLES
from erreichbarkeit.webmap import maps

__all__ = ["PAPER_SIZES_MM", "print_figure", "render_print_map", "source_line"]

logger = logging.getLogger(__name__)

#: Landscape paper sizes (width, height) in millimetres.
PAPER_SIZES_MM: Mapping[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
_MM_PER_INCH = 25.4
_LABEL_LIMIT = 45  # label every village when at most this many are in view

Paper = Literal["A4", "A3"]
Format = Literal["pdf", "png"]


def source_line(sources: Sequence[Mapping[str, str]], *, extra: Sequence[str] = ()) -> str:
    """The attribution line of a map from the Methodik sources.

    Parameters
    ----------
    sources
        ``results.inputs.sources``: records with ``Quelle``, ``Lizenz``, ``Stand``.
    extra
        Further parts appended as they are.

    Returns
    -------
    str
        E.g. ``"Quellen: © OpenStreetMap-Mitwirkende (ODbL 1.0, OSM-Daten vom
        01.05.2025) · © GeoBasis-DE / BKG (VG250) (dl-de/by-2-0)"``; each
        source named once; the users' own lists as "eigene Angaben".
    """
    parts: list[str] = []
    seen: set[str] = set()
    for src in sources:
        origin = str(src.get("Quelle", "")).strip()
        if not origin or origin in seen:
            continue
        seen.add(origin)
        if origin == "Angabe der Nutzer":
            parts.append("eigene Angaben")
            continue
        detail = [str(src.get("Lizenz", "")).strip()]
        stand = str(src.get("Stand", "")).strip()
        if stand.startswith("OSM-Daten"):
            detail.append(stand)
        inner = ", ".join(d for d in detail if d)
        parts.append(f"{origin} ({inner})" if inner else origin)
    parts.extend(extra)
    return "Quellen: " + " · ".join(parts) if parts else ""


def _paper_inches(paper: str) -> tuple[float, float]:
    if paper not in PAPER_SIZES_MM:
        msg = f"unknown paper size {paper!r}"
        raise ConfigError(
            msg,
            column="paper",
            expected=", ".join(PAPER_SIZES_MM),
            message_de=f"Unbekanntes Papierformat „{paper}“ (erlaubt: A4, A3)",
        )
    w, h = PAPER_SIZES_MM[paper]
    return w / _MM_PER_INCH, h / _MM_PER_INCH


def _metric(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if gdf is None or len(gdf) == 0:
        return None
    return gdf.to_crs(METRIC_CRS) if gdf.crs is not None else gdf.set_crs(WGS84).to_crs(METRIC_CRS)


def fit_extent(
    extent: tuple[float, float, float, float],
    aspect: float,
    *,
    margin: float = 0.04,
    min_size: float = 500.0,
) -> tuple[float, float, float, float]:
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


def _draw_roads(ax: Any, roads: gpd.GeoDataFrame | None, scale: float) -> None:
    if roads is None:
        return
    for cls in reversed(ROAD_CLASSES):  # minor first, motorways on top
        part = roads.geometry[roads["road_class"] == cls]
        if part.empty:
            continue
        segments = [
            np.asarray(line.coords)[:, :2]
            for geom in part
            for line in getattr(geom, "geoms", [geom])
            if not line.is_empty
        ]
        style = ROAD_STYLES[cls]
        ax.add_collection(
            LineCollection(
                segments,
                colors=style.color,
                linewidths=style.width_pt * scale,
                capstyle="round",
                zorder=1,
            )
        )


def _halo(width: float = 2.5) -> list[Any]:
    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _north_arrow(ax: Any, scale: float) -> None:
    """A simple north arrow (grid north of EPSG:25832) in the top right corner."""
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
        path_effects=_halo(3 * scale),
    )


def _legend_handles(
    edges: Sequence[float], used: Sequence[Category], roads_present: bool, marker_size: float
) -> tuple[list[Any], list[str]]:
    handles: list[Any] = []
    labels: list[str] = []

    def dot(color: str, marker: str = "o", edge: str = "#333333") -> Line2D:
        return Line2D(
            [],
            [],
            linestyle="none",
            marker=marker,
            markersize=marker_size,
            markerfacecolor=color,
            markeredgecolor=edge,
            markeredgewidth=0.8,
        )

    for color, label in zip(maps.BIN_COLORS, maps.bin_labels(edges), strict=True):
        handles.append(dot(color))
        labels.append(label)
    handles.append(dot(maps.UNREACHABLE_COLOR))
    labels.append(maps.UNREACHABLE_LABEL)
    for cat in used:
        handles.append(dot(cat.color, "D", "white"))
        labels.append(f"Angebot: {cat.label}")
    if roads_present:
        handles.append(Line2D([], [], color=ROAD_STYLES["primary"].color, linewidth=2.0))
        labels.append("Hauptstraßen")
    handles.append(Line2D([], [], color="#444444", linewidth=1.0))
    labels.append("Gemeindegrenzen")
    return handles, labels


def print_figure(
    villages: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str = "",
    offers: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    categories: Mapping[str, Category] | None = None,
    legend_title: str = "Minuten zum nächsten Angebot",
    edges: Sequence[float] = maps.BIN_EDGES,
    sources: str = "",
    notes: Sequence[str] = (),
    extent: tuple[float, float, float, float] | None = None,
    paper: Paper = "A4",
    created: date | None = None,
) -> Figure:
    """Build the print map as a matplotlib figure (landscape ``paper``).

    Parameters
    ----------
    villages
        Points with ``name``, ``minutes`` (NaN = no offer reachable) and
        optionally ``place`` (cities and towns are labelled; every village
        when at most 45 are in view).
    title, subtitle
        Heading lines (e.g. region; category, mode, age group, threshold).
    offers
        Offers with ``category`` (drawn as diamonds in the category colour).
    boundaries
        Gemeinde polygons with ``gemeinde``.
    roads
        Offline base layer (:func:`erreichbarkeit.report.basemap.road_lines`).
    categories
        The category table (labels and colours of the offers).
    legend_title
        Title of the legend.
    edges
        Upper edges of the minute classes (as in the web map).
    sources
        The attribution line (:func:`source_line`).
    notes
        Short lines printed under the legend (e.g. key figures).
    extent
        ``(minx, miny, maxx, maxy)`` in lon/lat of the map frame; default
        the extent of villages, offers and boundaries.  The overview inset
        always shows everything, with this extent marked.
    paper
        ``"A4"`` or ``"A3"``, landscape.
    created
        Date printed on the map (default: today).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``paper`` is not A4 or A3.
    """
    width_in, height_in = _paper_inches(paper)
    scale = width_in / _paper_inches("A4")[0]  # fonts and lines grow with the paper
    fig = Figure(figsize=(width_in, height_in))
    cats = dict(categories or {})

    v = _metric(villages)
    o = _metric(offers)
    b = _metric(boundaries)
    r = _metric(roads)
    everything = [g.geometry for g in (v, o, b) if g is not None]
    if not everything:
        msg = "nothing to draw: no villages, offers or boundaries"
        raise ConfigError(msg, message_de="Keine Daten für die Druckkarte")
    fb = gpd.GeoSeries(pd.concat(everything), crs=METRIC_CRS).total_bounds
    full = (float(fb[0]), float(fb[1]), float(fb[2]), float(fb[3]))
    wanted = full
    if extent is not None:
        vb = gpd.GeoSeries([box(*extent)], crs=WGS84).to_crs(METRIC_CRS).total_bounds
        wanted = (float(vb[0]), float(vb[1]), float(vb[2]), float(vb[3]))

    # layout (figure fractions): map left, legend column right, text bands
    left, bottom, map_w, map_h = 0.025, 0.075, 0.695, 0.80
    ax = fig.add_axes((left, bottom, map_w, map_h))
    aspect = (map_w * width_in) / (map_h * height_in)
    minx, miny, maxx, maxy = fit_extent(wanted, aspect)
    frame = box(minx, miny, maxx, maxy)

    if b is not None:
        b.plot(ax=ax, facecolor="#f7f7f4", edgecolor="none", zorder=0)
    _draw_roads(ax, r, scale)
    if b is not None:
        b.boundary.plot(ax=ax, color="#444444", linewidth=0.8 * scale, zorder=2)
        in_view = b[b.intersects(frame)]
        if 1 < len(in_view) <= 30 and "gemeinde" in in_view.columns:
            for name, pt in zip(
                in_view["gemeinde"], in_view.geometry.representative_point(), strict=True
            ):
                if frame.contains(pt):
                    ax.text(
                        pt.x,
                        pt.y,
                        str(name),
                        fontsize=7.5 * scale,
                        color="#777777",
                        style="italic",
                        ha="center",
                        va="center",
                        zorder=3,
                        path_effects=_halo(2 * scale),
                        clip_on=True,
                    )
    used: list[Category] = []
    if o is not None:
        for key, part in o.groupby("category", sort=False):
            cat = cats.get(str(key))
            if cat is not None and cat not in used:
                used.append(cat)
            ax.scatter(
                part.geometry.x,
                part.geometry.y,
                s=44 * scale**2,
                marker="D",
                c=cat.color if cat else "#555555",
                edgecolors="white",
                linewidths=0.8 * scale,
                zorder=4,  # below the villages, the map's subject
            )
    used.sort(key=lambda c: c.order)
    if v is not None:
        classes = maps.classify_minutes(v["minutes"].to_numpy("float64"), edges)
        colors = [maps.UNREACHABLE_COLOR if k < 0 else maps.BIN_COLORS[int(k)] for k in classes]
        # drawn best first, so the worst (and unreachable) villages lie on top
        order = np.argsort(np.where(classes < 0, len(maps.BIN_COLORS), classes), kind="stable")
        ax.scatter(
            v.geometry.x.to_numpy()[order],
            v.geometry.y.to_numpy()[order],
            s=42 * scale**2,
            c=[colors[i] for i in order],
            edgecolors="#333333",
            linewidths=0.6 * scale,
            zorder=5,
        )
        in_view_v = v[v.intersects(frame)]
        label_all = len(in_view_v) <= _LABEL_LIMIT
        places = in_view_v.get("place", pd.Series("", index=in_view_v.index)).astype(str)
        for (_, row), place in zip(in_view_v.iterrows(), places, strict=True):
            big = place in ("city", "town")
            if not (label_all or big):
                continue
            ax.text(
                row.geometry.x,
                row.geometry.y + 250 * (1 if label_all else 1.5),
                str(row.get("name", "")),
                fontsize=(9.0 if big else 7.0) * scale,
                fontweight="bold" if big else "normal",
                color="#111111",
                ha="center",
                va="bottom",
                zorder=6,
                path_effects=_halo(2.5 * scale),
                clip_on=True,
            )

    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels metric axes "Easting [metre]"
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#444444")
        spine.set_linewidth(0.8 * scale)
    ax.add_artist(
        ScaleBar(
            1.0,
            "m",
            location="lower left",
            length_fraction=0.22,
            box_alpha=0.85,
            font_properties={"size": 9 * scale},
            border_pad=0.8,
        )
    )
    _north_arrow(ax, scale)

    # heading
    fig.text(0.025, 0.965, title, fontsize=18 * scale, fontweight="bold", va="top")
    if subtitle:
        fig.text(0.025, 0.918, subtitle, fontsize=11.5 * scale, va="top", color="#333333")

    # legend (right column); the notes follow as entries without a symbol, so
    # they flow below the legend however many categories it lists
    handles, labels = _legend_handles(edges, used, r is not None, 10 * scale)
    if notes:
        blank = Line2D([], [], linestyle="none")
        handles.append(blank)
        labels.append("")
        for note in notes:
            handles.append(blank)
            labels.append("\n".join(textwrap.wrap(note, 36)))
    leg_ax = fig.add_axes((0.74, 0.40, 0.24, 0.475))
    leg_ax.axis("off")
    leg = leg_ax.legend(
        handles,
        labels,
        title="\n".join(textwrap.wrap(legend_title, 30)),
        loc="upper left",
        frameon=False,
        fontsize=10.5 * scale,
        title_fontsize=11 * scale,
        alignment="left",
        handletextpad=0.6,
        labelspacing=0.5,
        borderaxespad=0.0,
    )
    leg.get_title().set_fontweight("bold")

    # overview inset: everything, the map frame marked
    ov = fig.add_axes((0.745, 0.085, 0.23, 0.26))
    if b is not None:
        b.plot(ax=ov, facecolor="#eeeeea", edgecolor="#999999", linewidth=0.3 * scale)
        b.dissolve().boundary.plot(ax=ov, color="#333333", linewidth=0.8 * scale)
    if v is not None:
        ov.scatter(v.geometry.x, v.geometry.y, s=1.5 * scale, c="#555555", linewidths=0)
    ov.add_patch(
        Rectangle(
            (minx, miny),
            maxx - minx,
            maxy - miny,
            fill=False,
            edgecolor="#d7301f",
            linewidth=1.6 * scale,
            zorder=5,
        )
    )
    fx0, fy0, fx1, fy1 = full
    ox0, oy0 = min(fx0, minx), min(fy0, miny)
    ox1, oy1 = max(fx1, maxx), max(fy1, maxy)
    pad = 0.04 * max(ox1 - ox0, oy1 - oy0)
    ov.set_xlim(ox0 - pad, ox1 + pad)
    ov.set_ylim(oy0 - pad, oy1 + pad)
    ov.set_aspect("equal", adjustable="box")
    ov.set_xlabel("")
    ov.set_ylabel("")
    ov.set_xticks([])
    ov.set_yticks([])
    ov.set_title("Übersicht (roter Rahmen: Kartenausschnitt)", fontsize=8 * scale, loc="left")

    # sources and date
    when = (created or date.today()).strftime("%d.%m.%Y")
    foot = f"Stand der Auswertung: {when}"
    if sources:
        foot = f"{sources} · {foot}"
    wrapped = textwrap.wrap(foot, int(190 * scale))
    fig.text(0.025, 0.012, "\n".join(wrapped), fontsize=7.5 * scale, va="bottom", color="#333333")
    return fig


def render_print_map(
    villages: gpd.GeoDataFrame,
    *,
    title: str,
    paper: Paper = "A4",
    fmt: Format = "pdf",
    dpi: int = 200,
    **options: Any,
) -> bytes:
    """Render the print map to PDF or PNG bytes.

    Parameters
    ----------
    villages
        As for :func:`print_figure`.
    title
        Heading of the map.
    paper
        ``"A4"`` or ``"A3"`` landscape.
    fmt
        ``"pdf"`` (vector, fonts embedded as TrueType so the text can be
        searched and copied) or ``"png"``.
    dpi
        Resolution of the PNG.
    **options
        Further keyword arguments of :func:`print_figure` (``subtitle``,
        ``offers``, ``boundaries``, ``roads``, ``categories``,
        ``legend_title``, ``edges``, ``sources``, ``notes``, ``extent``,
        ``created``).

    Returns
    -------
    bytes
        The file content.

    Raises
    ------
    ConfigError
        If ``paper`` or ``fmt`` is unknown.
    """
    if fmt not in ("pdf", "png"):
        msg = f"unknown print format {fmt!r}"
        raise ConfigError(
            msg,
            column="fmt",
            expected="pdf, png",
            message_de=f"Unbekanntes Dateiformat „{fmt}“ (erlaubt: PDF, PNG)",
        )
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        fig = print_figure(villages, title=title, paper=paper, **options)
        buf = io.BytesIO()
        if fmt == "pdf":
            subject = str(options.get("subtitle", ""))
            fig.savefig(
                buf,
                format="pdf",
                metadata={"Title": title, "Subject": subject, "Creator": "erreichbarkeit"},
            )
        else:
            fig.savefig(buf, format="png", dpi=dpi)
    logger.info("print map %s %s: %d bytes", paper, fmt, buf.tell())
    return buf.getvalue()
