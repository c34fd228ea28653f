"""Static print maps (PDF/PNG, A4/A3 landscape) for steering-group meetings.

:func:`render_print_map` draws the villages in the minute classes of the web
map (:mod:`.style`), the offers above them in their category colour, the
Gemeinde boundaries, the offline road base layer (:mod:`.basemap`) and the
village and Gemeinde names without overlaps (:mod:`.labels`), with title,
legend, scale bar, north arrow, an overview inset, the sources and the date.
In the Bus & Bahn mode (``transit=``) the stops and lines lie under the
villages and the texts name the departure window and the reference day.
:func:`render_results_map` prints one category and mode of a run
(``erreichbarkeit karte``).

Everything is drawn in EPSG:25832 (metres): the scale bar is exact up to the
UTM scale factor (< 0.1 % in Germany); the north arrow shows grid north
(about 1° off true north at the edges of zone 32).  Figures are built with
:class:`matplotlib.figure.Figure`, never through ``pyplot`` (global state, not
safe in a Streamlit server running several sessions in threads)."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal, NamedTuple

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from shapely.geometry import box

from erreichbarkeit.analysis.transit import clock
from erreichbarkeit.config import METRIC_CRS, MODE_LABELS, WGS84, Category
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report.labels import (
    LAYOUT_DPI,
    MapLabels,
    label_map,
    renderer_of,
    wrap_to_width,
)
from erreichbarkeit.report.mapplot import (
    Extent,
    add_scale_bar,
    class_handles,
    dot_handle,
    draw_legend,
    draw_offers,
    draw_roads,
    draw_transit,
    draw_villages,
    fit_extent,
    frame_axes,
    line_handle,
    metric,
    north_arrow,
    road_handle,
    transit_handles,
)
from erreichbarkeit.report.sources import source_line
from erreichbarkeit.report.steckbrief_data import (
    CONTEXT_NOTE_DE,
    area_extent,
    area_villages,
    covered_note,
    find_gemeinde,
    format_de,
    group_offers,
    has_outside,
    minutes_column,
    steckbrief_kpis,
)
from erreichbarkeit.report.steckbrief_transit import factor_text, name_list, transit_facts
from erreichbarkeit.report.style import BIN_EDGES
from erreichbarkeit.report.transit_layers import TransitMap, transit_map_layers
from erreichbarkeit.results import Results

__all__ = [
    "PAPER_SIZES_MM",
    "print_figure",
    "render_print_map",
    "render_results_map",
    "results_map_options",
    "source_line",
]

logger = logging.getLogger(__name__)

#: Landscape paper sizes (width, height) in millimetres.
PAPER_SIZES_MM: Mapping[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
_MM_PER_INCH = 25.4
_FOOT_MM = 5.5  # the footer's lowest line above the paper's edge (printers leave 4–5 mm)
#: Axes-fraction boxes no label may cover: the scale bar (lower left), the north arrow.
_RESERVED = ((0.0, 0.0, 0.30, 0.12), (0.91, 0.78, 1.0, 1.0))
#: The overview inset: its lowest top and bottom (figure fractions), its least height.
_OVERVIEW_TOP, _OVERVIEW_BOTTOM, _OVERVIEW_MIN = 0.345, 0.085, 0.09
_GEMEINDE_LABEL_LIMIT = 30  # name the Gemeinden when at most this many are in view
#: The map's axes (figure fractions): map left, legend column right, text bands.
_MAP_BOX = (0.025, 0.075, 0.695, 0.80)

Paper = Literal["A4", "A3"]
Format = Literal["pdf", "png"]


class _Layers(NamedTuple):
    """The map layers in metres (``None``: not given or empty)."""

    villages: gpd.GeoDataFrame | None
    offers: gpd.GeoDataFrame | None
    boundaries: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None


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


def _metric_layers(
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame | None,
    boundaries: gpd.GeoDataFrame | None,
    roads: gpd.GeoDataFrame | None,
) -> _Layers:
    """The layers in metres; fail when there is nothing to draw."""
    layers = _Layers(metric(villages), metric(offers), metric(boundaries), metric(roads))
    if layers.villages is None and layers.offers is None and layers.boundaries is None:
        msg = "nothing to draw: no villages, offers or boundaries"
        raise ConfigError(msg, message_de="Keine Daten für die Druckkarte")
    return layers


def _extents(
    layers: _Layers, extent: tuple[float, float, float, float] | None
) -> tuple[Extent, Extent]:
    """The extent of everything and the wanted map extent (``extent`` or everything), metres."""
    everything = [
        g.geometry for g in (layers.villages, layers.offers, layers.boundaries) if g is not None
    ]
    fb = gpd.GeoSeries(pd.concat(everything), crs=METRIC_CRS).total_bounds
    full = (float(fb[0]), float(fb[1]), float(fb[2]), float(fb[3]))
    if extent is None:
        return full, full
    vb = gpd.GeoSeries([box(*extent)], crs=WGS84).to_crs(METRIC_CRS).total_bounds
    return full, (float(vb[0]), float(vb[1]), float(vb[2]), float(vb[3]))


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
    edges: Sequence[float] = BIN_EDGES,
    sources: str = "",
    notes: Sequence[str] = (),
    extent: tuple[float, float, float, float] | None = None,
    paper: Paper = "A4",
    created: date | None = None,
    transit: TransitMap | None = None,
    threshold: float | None = None,
) -> Figure:
    """Build the print map as a matplotlib figure (landscape ``paper``).

    Parameters
    ----------
    villages
        Points with ``name``, ``minutes`` (NaN = no offer reachable), optionally
        ``place`` and ``population``; named by :func:`.labels.label_map`.
    title, subtitle
        Heading lines (e.g. region; category, mode, age group, threshold).
    offers, boundaries
        Offers with ``category`` (diamonds above the villages); Gemeinde polygons.
    roads, categories
        Offline base layer (:func:`.basemap.road_lines`); the category table.
    legend_title, edges
        Title of the legend; upper edges of the minute classes (as in the web map).
    sources
        The attribution line (:func:`source_line`).
    notes
        Short lines printed under the legend (e.g. key figures).
    extent
        ``(minx, miny, maxx, maxy)`` in lon/lat of the map frame; default
        the extent of villages, offers and boundaries.  The overview inset
        always shows everything, with this extent marked (not with ``transit``).
    paper, created
        ``"A4"`` or ``"A3"`` landscape; the date on the map (default: today).
    transit
        Bus & Bahn stops and lines (:func:`.transit_layers.transit_map_layers`).
    threshold
        Beyond it a village is underserved and always named (``None``: no offer).

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
    fig = Figure(figsize=(width_in, height_in), dpi=LAYOUT_DPI)
    layers = _metric_layers(villages, offers, boundaries, roads)
    full, wanted = _extents(layers, extent)
    ax = fig.add_axes(_MAP_BOX)
    aspect = (_MAP_BOX[2] * width_in) / (_MAP_BOX[3] * height_in)
    view = fit_extent(wanted, aspect)
    cats = dict(categories or {})
    used, extra = _draw_map(ax, layers, view, cats, edges=edges, scale=scale, transit=transit,
                            threshold=threshold)  # fmt: skip
    _heading(fig, title, subtitle, scale)
    bottom = _legend(  # Bus & Bahn adds legend entries: they take the overview inset's place
        fig, edges, used, roads_present=layers.roads is not None, notes=notes, title=legend_title,
        scale=scale if transit is None else 0.85 * scale, extra=extra, tall=transit is not None,
    )  # fmt: skip
    top = min(_OVERVIEW_TOP, bottom - 0.045)  # below the legend, however long its notes
    if transit is None and top - _OVERVIEW_BOTTOM >= _OVERVIEW_MIN:
        _overview(fig, layers, full, view, scale, top=top)
    _footer(fig, sources, created, scale)
    return fig


def _draw_map(
    ax: Any,
    layers: _Layers,
    view: Extent,
    cats: Mapping[str, Category],
    *,
    edges: Sequence[float],
    scale: float,
    transit: TransitMap | None = None,
    threshold: float | None = None,
) -> tuple[list[Category], tuple[list[Any], list[str]]]:
    """Draw the main map in ``view``; return the offer categories and Bus & Bahn legend entries.

    Offers lie above the village dots; the labels (:func:`.labels.label_map`)
    above everything, placed without overlaps once the frame is fixed.
    """
    b, v = layers.boundaries, layers.villages
    frame = box(*view)
    if b is not None:
        b.plot(ax=ax, facecolor="#f7f7f4", edgecolor="none", zorder=0)
        outside = b[~b["in_area"].astype(bool)] if "in_area" in b.columns else b.iloc[:0]
        if len(outside):  # Gemeinden outside the analysis area: greyed context
            outside.plot(ax=ax, facecolor="#e4e4e0", edgecolor="none")
    draw_roads(ax, layers.roads, width_scale=scale)
    if b is not None:
        b.boundary.plot(ax=ax, color="#444444", linewidth=0.8 * scale, zorder=2)
    drawn = (False, False, False, False)
    if transit is not None:  # under offers and villages, above the roads
        stops, lines = metric(transit.stops), metric(transit.lines)
        drawn = draw_transit(ax, stops, lines, scale=scale, stop_size=16 * scale**2, view=view)
    ctx = None
    if v is not None and "in_area" in v.columns:  # outside the analysis area: grey, unlabelled
        ctx = v[~v["in_area"].astype(bool)]
        ax.scatter(ctx.geometry.x, ctx.geometry.y, s=16 * scale**2, c="#b8b8b8", zorder=4)
        v = v[v["in_area"].astype(bool)]
    if v is not None:
        draw_villages(ax, v, v["minutes"], edges=edges, size=42 * scale**2, linewidth=0.6 * scale)
    used = draw_offers(ax, layers.offers, cats, size=44 * scale**2, linewidth=0.8 * scale)
    frame_axes(ax, view, spine_color="#444444", spine_width=0.8 * scale)
    add_scale_bar(ax, length_fraction=0.22, font_size=9 * scale, border_pad=0.8)
    north_arrow(ax, scale)
    areas = None
    if b is not None and "gemeinde" in b.columns:
        in_view = b[b.intersects(frame)]
        areas = in_view if 1 < len(in_view) <= _GEMEINDE_LABEL_LIMIT else None
    if v is not None:
        label_map(
            ax, v[v.intersects(frame)], threshold=threshold, areas=areas,
            offers=layers.offers, context=ctx, reserved=_RESERVED,
            sizes=MapLabels(village_pt=7.0 * scale, town_pt=8.5 * scale, area_pt=7.5 * scale,
                            dot_pt2=42 * scale**2, offer_pt2=44 * scale**2, halo=2.2 * scale),
        )  # fmt: skip
    return used, transit_handles(drawn, marker_size=10 * scale, width=1.5 * scale)


def _heading(fig: Figure, title: str, subtitle: str, scale: float) -> None:
    """Title and subtitle above the map."""
    fig.text(0.025, 0.965, title, fontsize=18 * scale, fontweight="bold", va="top")
    if subtitle:
        fig.text(0.025, 0.918, subtitle, fontsize=11.5 * scale, va="top", color="#333333")


def _legend(
    fig: Figure,
    edges: Sequence[float],
    used: Sequence[Category],
    *,
    roads_present: bool,
    notes: Sequence[str],
    title: str,
    scale: float,
    extra: tuple[list[Any], list[str]] = ([], []),
    tall: bool = False,
) -> float:
    """The legend in the right column; return its bottom (figure fraction).

    The notes follow as entries without a symbol, so they flow below the
    legend however many categories it lists.  ``tall``: the whole column (no
    overview inset).
    """
    size, width = 10 * scale, 0.8
    handles, labels = class_handles(edges, marker_size=size, edge_width=width)
    for cat in used:
        handles.append(
            dot_handle(cat.color, marker="D", edge="white", marker_size=size, edge_width=width)
        )
        labels.append(f"Angebot: {cat.label}")
    if roads_present:
        handles.append(road_handle(2.0))
        labels.append("Hauptstraßen")
    handles += extra[0]
    labels += extra[1]
    handles.append(line_handle("#444444", 1.0))
    labels.append("Gemeindegrenzen")
    if notes:
        blank = Line2D([], [], linestyle="none")
        handles.append(blank)
        labels.append("")
        for note in notes:
            handles.append(blank)
            labels.append(note)  # wrapped to the legend column by draw_legend
    leg = draw_legend(
        fig.add_axes((0.74, 0.085, 0.24, 0.79) if tall else (0.74, 0.40, 0.24, 0.475)),
        handles,
        labels,
        title=title,
        wrap=30,
        fontsize=10.5 * scale,
        title_fontsize=11 * scale,
        handletextpad=0.6,
        labelspacing=0.5,
    )
    box = leg.get_window_extent(renderer_of(fig))
    return float(fig.transFigure.inverted().transform((0.0, box.y0))[1])


def _overview(
    fig: Figure, layers: _Layers, full: Extent, view: Extent, scale: float, *, top: float
) -> None:
    """The overview inset below ``top``: everything, with the map frame marked in red."""
    b, v = layers.boundaries, layers.villages
    minx, miny, maxx, maxy = view
    ov = fig.add_axes((0.745, _OVERVIEW_BOTTOM, 0.23, top - _OVERVIEW_BOTTOM - 0.01))
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
    ov.set_anchor("NW")  # under its caption, whatever the region's shape
    fig.text(0.745, top + 0.006, "Übersicht (roter Rahmen: Kartenausschnitt)",
             fontsize=7.5 * scale, va="bottom", ha="left")  # fmt: skip


def _footer(fig: Figure, sources: str, created: date | None, scale: float) -> None:
    """Sources and date along the bottom edge."""
    when = (created or date.today()).strftime("%d.%m.%Y")
    foot = f"Stand der Auswertung: {when}"
    if sources:
        foot = f"{sources} · {foot}"
    bottom = _FOOT_MM / (fig.get_figheight() * _MM_PER_INCH)  # the page margin on A4 and A3
    line = fig.text(0.025, bottom, foot, fontsize=7.5 * scale, va="bottom", color="#333333")
    wrap_to_width(line, 0.95)  # measured: on A3 the larger font must end inside the page too


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


def _run_notes(
    results: Results, kpis: pd.DataFrame, villages: pd.DataFrame, *, mode: str, area: str
) -> list[str]:
    """The notes under the legend: the category's key figures (and Bus & Bahn facts)."""
    k = kpis.iloc[0]
    age = str(k["age_group"]).replace("-", "–")
    notes = [
        f"Kinder {age} Jahre, {area}{covered_note(kpis)}:",  # the share the figures cover
        f"{format_de(k['children_within'])} von {format_de(k['children_total'])} innerhalb "
        f"{format_de(k['threshold'])} min",
        f"Median {k['median_text']}; unterversorgte Orte: {k['n_underserved']} von "
        f"{k['n_villages']}",
        *([CONTEXT_NOTE_DE] if has_outside(results) else []),
    ]
    if mode != "pt":
        return notes
    f = transit_facts(villages, [str(k["category"])], age_group=str(k["age_group"])).iloc[0]
    no_pt = f["names_no_pt"]
    notes += [
        f"Faktor zum Auto (Median): {factor_text(float(f['factor_median']))}",
        f"Orte mit Faktor über 2: {len(f['names_factor_over'])}",
        f"kein ÖPNV-Angebot im Zeitfenster: {len(no_pt)} Orte"
        + (f" ({name_list(no_pt, 90)})" if no_pt else ""),
    ]
    if f["afternoon"]:
        home = clock(float(results.settings.transit.home_by))
        notes.append(f"zurück bis {home}: {f['n_home_yes']} von {f['n_home_asked']} Orten")
    return notes


def render_results_map(
    results: Results,
    *,
    category: str,
    mode: str,
    age_group: str,
    ags: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    paper: Paper = "A4",
    fmt: Format = "pdf",
    dpi: int = 200,
    created: date | None = None,
) -> bytes:
    """The print map of one category and mode of a finished run (PDF or PNG bytes).

    The villages are coloured by their minutes to the nearest offer serving
    the age group (:func:`.steckbrief_data.minutes_column`); title, subtitle,
    legend and notes name the category, mode, age group and threshold, and
    for Bus & Bahn (``mode="pt"``) the departure window and the reference
    day, with the stops and lines of the timetable on the map.  Every
    village beyond the threshold is named.

    Parameters
    ----------
    results
        A run.
    category, mode, age_group
        What the map shows; the age group's children weight the notes.
    ags
        Frame the map on this Gemeinde (``None``: the whole region).
    roads
        Offline base layer (:func:`erreichbarkeit.report.basemap.cached_road_lines`).
    paper, fmt, dpi, created
        As for :func:`render_print_map`.

    Returns
    -------
    bytes

    Raises
    ------
    ConfigError
        Unknown category, mode, age group, AGS, paper or format.
    """
    options = results_map_options(
        results, category=category, mode=mode, age_group=age_group, ags=ags, roads=roads,
        created=created,
    )  # fmt: skip
    return render_print_map(options.pop("villages"), paper=paper, fmt=fmt, dpi=dpi, **options)


def results_map_options(
    results: Results,
    *,
    category: str,
    mode: str,
    age_group: str,
    ags: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    created: date | None = None,
) -> dict[str, Any]:
    """The keyword arguments of :func:`print_figure` for a run (see :func:`render_results_map`)."""
    results.check_choice(mode, age_group, category)
    kpis = steckbrief_kpis(
        results, ags=ags, mode=mode, age_group=age_group, categories=[category]
    ).assign(age_group=age_group)
    v, label = area_villages(results.villages), str(kpis["label"].iloc[0])
    area, extent = results.settings.area_name, area_extent(results)  # the rest: grey context
    if ags is not None:
        ags, gemeinde = find_gemeinde(results, ags)
        v = v[v["ags"].astype(str) == ags]
        area = f"Gemeinde {gemeinde}"
        b = results.boundaries
        bounds = b[b["ags"].astype(str) == ags].total_bounds
        extent = (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
    mode_de = MODE_LABELS.get(mode, mode)
    transit = transit_map_layers(results, category) if mode == "pt" else None
    when = f", {transit.caption}" if transit is not None else ""
    cols = ["name", "place", "geometry", *(["in_area"] if has_outside(results) else []),
            *(["population"] if "population" in results.villages.columns else [])]  # fmt: skip
    minutes = results.villages[minutes_column(results.villages, category, mode, age_group)]
    frame = gpd.GeoDataFrame(results.villages[cols].assign(minutes=minutes.astype(float)),
                             crs=WGS84)  # fmt: skip
    age = age_group.replace("-", "–")
    return {
        "villages": frame, "title": f"{label}: Erreichbarkeit mit {mode_de} – {area}",
        "created": created, "transit": transit,
        "subtitle": (f"{results.settings.area_name} · " if ags is not None else "")
        + f"{mode_de}{when.replace(',', ' ·')} · Kinder {age} Jahre · "
        f"Schwelle {format_de(kpis['threshold'].iloc[0])} min",
        "offers": group_offers(results, category, age_group),
        "boundaries": results.boundaries if len(results.boundaries) else None, "roads": roads,
        "categories": results.settings.categories(),
        "legend_title": f"Minuten zur nächsten {label} ({mode_de}{when})",
        "sources": source_line(results.inputs.sources),
        "notes": _run_notes(results, kpis, v, mode=mode, area=area), "extent": extent,
        "threshold": float(kpis["threshold"].iloc[0]),
    }  # fmt: skip
