"""One-page PDF fact sheets ("Steckbriefe") per Gemeinde and for the whole Kreis.

For the steering group (Lenkungsgruppe) of a Präventionskette: A4 portrait
pages per Gemeinde with

* a map of the Gemeinde: villages coloured by the minutes to the nearest
  offer of the map category, in the classes and colours of the web and print
  maps (:mod:`erreichbarkeit.report.style`, drawn by
  :mod:`erreichbarkeit.report.mapplot`), the category's offers (also those
  beyond the Gemeinde border, which the villages may be using), the Gemeinde
  boundary and its neighbours, a scale bar;
* the key figures per category for the chosen age group and mode: children
  within and beyond the threshold, underserved villages, children-weighted
  median minutes (the same numbers as the dashboard's KPI cards, from
  :func:`erreichbarkeit.analysis.indicators.kreis_summary`; see
  :mod:`erreichbarkeit.report.steckbrief_data`);
* every village named on the map that is beyond the threshold (or without a
  reachable offer), then the Gemeinden and further villages as space allows
  (:mod:`erreichbarkeit.report.labels`), the offers drawn above the villages;
* the ways to the responsible offices (right column,
  :mod:`erreichbarkeit.report.steckbrief_offices`) and, in a run with Bus &
  Bahn, the comparison with Bus & Bahn (:mod:`erreichbarkeit.report.steckbrief_transit`);
* the table of all villages with their minutes and children
  (:mod:`erreichbarkeit.report.steckbrief_villages`), continued on further pages;
* the source line (:func:`erreichbarkeit.report.printmap.source_line`) and the date.

:func:`steckbrief_pdf` renders one Steckbrief (``ags=None``: the whole analysis
area, titled with its name); :func:`write_steckbriefe` writes one file per
Gemeinde of the area plus one for the area.  The figure is built with
:class:`matplotlib.figure.Figure` directly, never through ``pyplot`` (global
state; not safe in a Streamlit server running several sessions in threads).
Fonts are embedded as TrueType, so the PDF text can be searched and copied.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.analysis.transit import clock
from erreichbarkeit.config import METRIC_CRS, MODE_LABELS, WGS84, Category, ProgressCallback
from erreichbarkeit.config.outpaths import steckbrief_filename
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report.labels import (
    LAYOUT_DPI,
    MapLabels,
    label_map,
    renderer_of,
    shrink_to_width,
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
    road_handle,
    transit_handles,
)
from erreichbarkeit.report.printmap import source_line
from erreichbarkeit.report.steckbrief_body import Later, page_body
from erreichbarkeit.report.steckbrief_data import (
    area_villages,
    find_gemeinde,
    format_de,
    gemeinden_of,
    group_offers,
    has_outside,
    minutes_column,
    steckbrief_kpis,
)
from erreichbarkeit.report.steckbrief_offices import draw_offices_box
from erreichbarkeit.report.steckbrief_transit import (
    TRANSIT_NOTES,
)
from erreichbarkeit.report.steckbrief_villages import (
    NO_OFFER_DE,
    VillageTable,
    flow_tables,
    page_village_tables,
)
from erreichbarkeit.report.style import OFFER_FALLBACK_COLOR
from erreichbarkeit.report.transit_layers import transit_day, transit_map_layers, window_caption
from erreichbarkeit.results import Results

__all__ = [
    "A4_PORTRAIT_MM",
    "gemeinden_of",
    "steckbrief_figure",
    "steckbrief_filename",
    "steckbrief_kpis",
    "steckbrief_pages",
    "steckbrief_pdf",
    "write_steckbriefe",
]

logger = logging.getLogger(__name__)

#: Page size (width, height) in millimetres.
A4_PORTRAIT_MM: tuple[float, float] = (210.0, 297.0)
_MM_PER_INCH = 25.4
_ROW = 0.0135  # row height of the text tables (figure fraction)
#: Baseline of the lowest footer line: 5.6 mm above the paper's edge (printers leave 4–5 mm).
_FOOT_Y = 0.019
#: Axes-fraction box no label may cover: the scale bar (lower left).
_RESERVED = ((0.0, 0.0, 0.36, 0.12),)
_GEMEINDE_LABEL_LIMIT = 40  # name the Gemeinden on the Kreis page when at most this many
#: Which Bus & Bahn layers a map drew: lines, on-demand lines, served and idle stops.
Drawn = tuple[bool, bool, bool, bool]
_NOTES = (
    "Kinder: geschätzt aus Einwohnerzahl und Altersanteil. Orte ohne erreichbares Angebot "
    "zählen als außerhalb der Schwelle; Median gewichtet mit den Kindern der Orte."
)


# -- map --------------------------------------------------------------------------------


def _own_area(
    b: gpd.GeoDataFrame | None, mine: gpd.GeoDataFrame, ags: str | None
) -> gpd.GeoDataFrame | None:
    """The page's area (metres): the Gemeinde, or the Gemeinden holding villages dissolved."""
    if b is None:
        return None
    if ags is not None:
        return b[b["ags"].astype(str) == ags]
    keys = set(mine["ags"].dropna().astype(str))
    part = b[b["ags"].astype(str).isin(keys)]
    if part.empty:
        return part
    return gpd.GeoDataFrame(geometry=[part.union_all()], crs=b.crs)


def _view(ax: Any, focus: gpd.GeoDataFrame) -> Extent:
    """The map extent: ``focus`` with a margin, grown to the axes' aspect."""
    fb = focus.total_bounds
    pos = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    aspect = (pos.width * fig_w) / (pos.height * fig_h)
    return fit_extent((fb[0], fb[1], fb[2], fb[3]), aspect, margin=0.06, min_size=1000.0)


def _draw_areas(ax: Any, b: gpd.GeoDataFrame | None, own: gpd.GeoDataFrame | None) -> None:
    """All Gemeinden in grey, the page's area white with a dark outline."""
    if b is None:
        return
    b.plot(ax=ax, facecolor="#f4f4f1", edgecolor="#9a9a9a", linewidth=0.5, zorder=0)
    if own is not None and len(own):
        own.plot(ax=ax, facecolor="#ffffff", edgecolor="none", zorder=0.5)
        own.boundary.plot(ax=ax, color="#222222", linewidth=1.4, zorder=2)


def _draw_map(
    ax: Any,
    results: Results,
    *,
    ags: str | None,
    category: str,
    mode: str,
    age_group: str,
    threshold: float,
    roads: gpd.GeoDataFrame | None,
) -> tuple[bool, Drawn]:
    """Draw the map; return whether roads and which Bus & Bahn layers were drawn.

    Offers lie above the village dots; every village beyond ``threshold`` is
    named, then (on the Kreis page) the Gemeinden, then further villages as
    space allows, without overlaps (:func:`.labels.label_map`).
    """
    b = metric(results.boundaries)
    v_all = gpd.GeoDataFrame(results.villages, geometry="geometry", crs=WGS84).to_crs(METRIC_CRS)
    mine = area_villages(v_all) if ags is None else v_all[v_all["ags"].astype(str) == ags]
    own = _own_area(b, mine, ags)
    view = _view(ax, own if own is not None and len(own) else mine)
    _draw_areas(ax, b, own)
    drew_roads = draw_roads(ax, metric(roads), width_scale=0.6)
    transit: Drawn = (False, False, False, False)
    if mode == "pt":  # stops and lines of the timetable under the villages
        layers = transit_map_layers(results, category)
        transit = draw_transit(
            ax, metric(layers.stops), metric(layers.lines), scale=0.7, stop_size=14.0, view=view
        )
    others = v_all.drop(index=mine.index)
    if len(others):
        ax.scatter(others.geometry.x, others.geometry.y, s=6, c="#b0b0b0", linewidths=0, zorder=3)
    minutes = mine[minutes_column(mine, category, mode, age_group)].astype(float)
    draw_villages(ax, mine, minutes, size=48, linewidth=0.6)
    offers = metric(group_offers(results, category, age_group))
    draw_offers(ax, offers, results.settings.categories(), size=42, linewidth=0.8)
    frame_axes(ax, view, spine_color="#666666", spine_width=0.6)
    add_scale_bar(ax, length_fraction=0.25, font_size=7)
    areas = b if ags is None and b is not None and len(b) <= _GEMEINDE_LABEL_LIMIT else None
    label_map(
        ax, mine.assign(minutes=minutes), threshold=threshold, areas=areas, offers=offers,
        context=others, reserved=_RESERVED,
        sizes=MapLabels(village_pt=6.3, town_pt=7.2, area_pt=6.3, dot_pt2=48, offer_pt2=42),
    )  # fmt: skip
    return drew_roads, transit


def _legend(
    ax: Any,
    category: Category | None,
    *,
    drew_roads: bool,
    caption: str,
    kreis: bool,
    transit: Drawn = (False, False, False, False),
    outside: bool = False,
) -> None:
    """The map legend: classes, the category's offers, other villages, roads, boundary."""
    size, width = 8, 0.7
    handles, labels = class_handles(marker_size=size, edge_width=width)
    color = category.color if category else OFFER_FALLBACK_COLOR
    handles.append(dot_handle(color, marker="D", edge="white", marker_size=size, edge_width=width))
    labels.append(f"Angebot: {category.label if category else ''}")
    if not kreis or outside:
        handles.append(dot_handle("#b0b0b0", edge="none", marker_size=size, edge_width=width))
        labels.append("Orte außerhalb des Gebiets" if kreis else "Orte anderer Gemeinden")
    if drew_roads:
        handles.append(road_handle(1.5))
        labels.append("Hauptstraßen")
    extra = transit_handles(transit, marker_size=size, width=1.2)
    handles += extra[0]
    labels += extra[1]
    handles.append(line_handle("#222222", 1.4))
    area = "Auswertungsgebiet" if outside else "Kreisgebiet (Gemeinden mit Orten)"
    labels.append(area if kreis else "Gemeindegrenze")
    dense = len(labels) > 11  # Bus & Bahn: tighter, so the offices below keep their room
    draw_legend(
        ax, handles, labels, title=caption, wrap=28, fontsize=7.5 if dense else 8,
        title_fontsize=8.5, labelspacing=0.3 if dense else 0.45, handlelength=1.6,
    )  # fmt: skip


# -- tables -----------------------------------------------------------------------------


# -- page -------------------------------------------------------------------------------


def steckbrief_pages(
    results: Results,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    map_category: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    created: date | None = None,
) -> list[Figure]:
    """Build the Steckbrief pages (A4 portrait) as matplotlib figures.

    Page 1: the map with named villages, legend and offices, the key figures
    and Bus & Bahn comparison, the table of all villages (continued after).

    Parameters
    ----------
    results, ags
        A run (or ``ScenarioResult.results``); the Gemeinde's AGS (``None``:
        the whole analysis area, titled with its name).
    mode, age_group
        Mode and age group of every figure.
    categories, thresholds
        Categories (default: those of the run serving the age group); minutes
        per category (default: the settings' thresholds for ``mode``).
    map_category, roads
        The category the map shows (default: the first of ``categories``); the
        offline base layer (:func:`erreichbarkeit.report.basemap.cached_road_lines`).
    created
        Date printed on the page (default: today).

    Returns
    -------
    list[matplotlib.figure.Figure]
        One figure per page, numbered „Seite i von n“ when more than one.

    Raises
    ------
    ConfigError
        Unknown AGS, mode, age group or category.
    """
    kpis = steckbrief_kpis(
        results, ags=ags, mode=mode, age_group=age_group, categories=categories,
        thresholds=thresholds,
    )  # fmt: skip
    cats = tuple(kpis["category"])
    shown = _map_category(map_category, cats)
    ags, title, villages = _subject(results, ags)
    age, mode_de = age_group.replace("-", "–"), MODE_LABELS.get(mode, mode)
    sub = (
        f"{results.settings.area_name} · Erreichbarkeit mit {mode_de} · Kinder {age} Jahre · "
        f"{len(villages)} Orte" + (f" · AGS {ags}" if ags is not None else "")
    )
    title += " – Bus & Bahn" if mode == "pt" else ""
    fig = _page(title, sub)
    _map_panel(
        fig, results, kpis, ags=ags, category=shown, mode=mode, age_group=age_group, roads=roads
    )
    foot = _footer(fig, results, created, notes=_transit_notes(results) if mode == "pt" else "")
    bottom, later = page_body(fig, results, kpis, villages, ags=ags, mode=mode,
                              age_group=age_group, foot=foot)  # fmt: skip
    tables = page_village_tables(results, kpis, villages, ags=ags, mode=mode, age_group=age_group)
    heading = "Alle Orte nach Gemeinde" if ags is None else "Alle Orte der Gemeinde"
    legend = (
        f"Minuten zum nächsten Angebot für Kinder {age} Jahre · rot: über der Schwelle · "
        f"{NO_OFFER_DE}: kein Angebot erreichbar · Kinder: geschätzt"
    )
    done = flow_tables(fig, tables, (0, 0), top=bottom - 0.012, bottom=foot + 0.006,
                       title=heading, legend=legend)  # fmt: skip
    pages = [fig, *_more_pages(results, tables, texts=(title, sub, heading, legend), done=done,
                               created=created, later=later)]  # fmt: skip
    _number(pages)
    return pages


def _more_pages(
    results: Results,
    tables: Sequence[VillageTable],
    *,
    texts: tuple[str, str, str, str],
    done: tuple[int, int],
    created: date | None,
    later: Later | None,
) -> list[Figure]:
    """The pages after the first: what did not fit on page 1 (``later``), then the
    village tables from ``done`` (table, row) on.

    ``texts``: the page title, subtitle, table title and table legend.
    """
    title, sub, heading, legend = texts
    pages: list[Figure] = []
    while done[0] < len(tables) or later is not None:
        fig = _page(f"{title} (Fortsetzung)", sub, size=13)
        foot, top = _footer(fig, results, created), 0.915
        if later is not None:  # the Bus & Bahn parts that did not fit on page 1
            top, later = later(fig, top, foot + 0.006) - 0.012, None
        done = flow_tables(fig, tables, done, top=top, bottom=foot + 0.006, title=heading,
                           legend=legend)  # fmt: skip
        pages.append(fig)
    return pages


def _number(pages: Sequence[Figure]) -> None:
    """„Seite i von n“ at the bottom right of every page, when there are several."""
    for i, page in enumerate(pages if len(pages) > 1 else [], start=1):
        page.text(0.94, _FOOT_Y, f"Seite {i} von {len(pages)}", fontsize=6.5, ha="right",
                  va="bottom", color="#333333")  # fmt: skip


def steckbrief_figure(results: Results, **options: Any) -> Figure:
    """The first page of :func:`steckbrief_pages` (same keyword arguments)."""
    return steckbrief_pages(results, **options)[0]


def _page(title: str, sub: str, *, size: float = 17) -> Figure:
    """An empty A4 portrait page with the title (smaller when too wide) and the subtitle."""
    paper = (A4_PORTRAIT_MM[0] / _MM_PER_INCH, A4_PORTRAIT_MM[1] / _MM_PER_INCH)
    fig = Figure(figsize=paper, dpi=LAYOUT_DPI)  # measured as the PDF lays out its texts
    head = fig.text(0.06, 0.972, title, fontsize=size, fontweight="bold", va="top")
    shrink_to_width(head, right=0.96)
    fig.text(0.06, 0.937, sub, fontsize=9.5, color="#333333", va="top")
    return fig


def _transit_notes(results: Results) -> str:
    """The Bus & Bahn footnote with the run's home-by time and stay."""
    home = clock(float(results.settings.transit.home_by))
    return TRANSIT_NOTES.format(home=home, stay=format_de(results.settings.transit.stay_min))


def _map_category(map_category: str | None, cats: Sequence[str]) -> str:
    """The category the map shows (default: the first); it must be among ``cats``."""
    shown = map_category or cats[0]
    if shown not in cats:
        msg = f"map category {shown!r} is not among the categories"
        raise ConfigError(
            msg,
            column="map_category",
            expected=", ".join(cats),
            message_de=f"Kartenkategorie „{shown}“ ist nicht ausgewählt",
        )
    return shown


def _subject(results: Results, ags: str | None) -> tuple[str | None, str, pd.DataFrame]:
    """The page's AGS (normalised), title and villages."""
    if ags is None:
        return None, f"Steckbrief {results.settings.area_name}", area_villages(results.villages)
    ags, gemeinde = find_gemeinde(results, ags)
    villages = results.villages[results.villages["ags"].astype(str) == ags]
    return ags, f"Steckbrief Gemeinde {gemeinde}", villages


def _map_panel(
    fig: Figure,
    results: Results,
    kpis: pd.DataFrame,
    *,
    ags: str | None,
    category: str,
    mode: str,
    age_group: str,
    roads: gpd.GeoDataFrame | None,
) -> None:
    """The map of ``category`` (top left) and its legend (top right)."""
    table = results.settings.categories()
    map_ax = fig.add_axes((0.06, 0.545, 0.62, 0.375))
    limit = float(kpis.set_index("category")["threshold"].astype(float)[category])
    drew_roads, transit = _draw_map(
        map_ax, results, ags=ags, category=category, mode=mode, age_group=age_group,
        threshold=limit, roads=roads,
    )  # fmt: skip
    label = table[category].label if category in table else category
    mode_de = MODE_LABELS.get(mode, mode)
    if mode == "pt":  # the window and day the minutes cover
        mode_de += ", " + window_caption(results.settings.pt_window(category), transit_day(results))
    _legend(
        fig.add_axes((0.695, 0.60, 0.275, 0.32)),
        table.get(category),
        drew_roads=drew_roads,
        kreis=ags is None,
        outside=ags is None and has_outside(results),
        caption=(
            f"Karte: Minuten zur nächsten {label} ({mode_de}); Schwelle {format_de(limit, 0)} min"
        ),
        transit=transit,
    )
    draw_offices_box(fig, results, ags=ags)  # right column, below the legend


def _footer(fig: Figure, results: Results, created: date | None, *, notes: str = "") -> float:
    """The notes on the figures (``notes`` after them), the sources and the date; return the top.

    Both are wrapped by measured width: the notes across the text column,
    the sources short of the page number; the lowest line keeps the page
    margin (:data:`_FOOT_Y`).
    """
    when = (created or date.today()).strftime("%d.%m.%Y")
    foot = source_line(results.inputs.sources)
    foot = f"{foot} · Stand der Auswertung: {when}" if foot else f"Stand der Auswertung: {when}"
    sources = fig.text(0.06, _FOOT_Y, foot, fontsize=6.5, color="#333333", va="bottom")
    wrap_to_width(sources, 0.76)  # room for „Seite i von n“ at the right
    renderer, to_fig = renderer_of(fig), fig.transFigure.inverted()
    above = to_fig.transform((0.0, sources.get_window_extent(renderer).y1))[1] + 0.003
    note = fig.text(0.06, above, f"{_NOTES} {notes}".strip(), fontsize=6.5, color="#444444",
                    va="bottom")  # fmt: skip
    wrap_to_width(note, 0.88)
    return float(to_fig.transform((0.0, note.get_window_extent(renderer).y1))[1]) + 0.004


def steckbrief_pdf(
    results: Results,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    map_category: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    created: date | None = None,
) -> bytes:
    """Render a Steckbrief as PDF bytes (A4 portrait; the village table may add pages).

    Parameters
    ----------
    results, ags, mode, age_group, categories, thresholds, map_category, roads, created
        As for :func:`steckbrief_figure`; ``ags=None`` gives the Kreis page.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ConfigError
        Unknown AGS, mode, age group or category.
    """
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        pages = steckbrief_pages(
            results, ags=ags, mode=mode, age_group=age_group, categories=categories,
            thresholds=thresholds, map_category=map_category, roads=roads, created=created,
        )  # fmt: skip
        buf = io.BytesIO()
        title = pages[0].texts[0].get_text() if pages[0].texts else "Steckbrief"
        meta = {"Title": title, "Subject": results.settings.area_name, "Creator": "erreichbarkeit"}
        with PdfPages(buf, metadata=meta) as pdf:
            for page in pages:
                pdf.savefig(page)
    return buf.getvalue()


def write_steckbriefe(
    results: Results,
    out_dir: str | Path,
    *,
    mode: str,
    age_group: str,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    roads: gpd.GeoDataFrame | None = None,
    progress: ProgressCallback | None = None,
    created: date | None = None,
) -> list[Path]:
    """Write one Steckbrief per Gemeinde and one for the whole area (each atomically).

    Parameters
    ----------
    results
        A run.
    out_dir
        Folder (created if missing).
    mode, age_group, categories, thresholds, roads
        As for :func:`steckbrief_figure`.
    progress
        ``progress("Steckbriefe", done, total)``.
    created
        The date on the pages and in the file names
        (``Steckbrief_<Gemeinde>_<date>.pdf``, ``Steckbrief_Kreis_<region>_<date>.pdf``;
        :func:`~erreichbarkeit.config.outpaths.steckbrief_filename`); ``None``:
        today on the pages and the former names ``<AGS>_<name>.pdf`` and ``kreis.pdf``.

    Returns
    -------
    list[Path]
        The written files, Gemeinden by AGS, the whole area last.
    """
    results.check_choice(mode, age_group)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = gemeinden_of(results)
    jobs: list[tuple[str | None, str]] = [
        (str(a), str(g)) for a, g in zip(table["ags"], table["gemeinde"], strict=True)
    ]
    jobs.append((None, results.settings.area_name))
    written: list[Path] = []
    twice = {g for g in table["gemeinde"].astype(str) if (table["gemeinde"] == g).sum() > 1}
    for i, (ags, name) in enumerate(jobs):
        if progress:
            progress("Steckbriefe", i, len(jobs))
        data = steckbrief_pdf(
            results, ags=ags, mode=mode, age_group=age_group, categories=categories,
            thresholds=thresholds, roads=roads, created=created,
        )  # fmt: skip
        unique = f"{name} {ags}" if name in twice and ags is not None else name
        path = out / steckbrief_filename(
            ags, unique, created=created, region=results.settings.area_name
        )
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        written.append(path)
        logger.info("Steckbrief %s: %d bytes", path.name, len(data))
    if progress:
        progress("Steckbriefe", len(jobs), len(jobs))
    return written
