"""One-page PDF fact sheets ("Steckbriefe") per Gemeinde and for the whole Kreis.

For the steering group (Lenkungsgruppe) of a Präventionskette: one A4
portrait page per Gemeinde with

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
* the worst-served villages per category (minutes, km, children);
* the source line (:func:`erreichbarkeit.report.printmap.source_line`) and the date.

:func:`steckbrief_pdf` renders one page (``ags=None``: the whole analysis area,
titled with its name); :func:`write_steckbriefe` writes one file per Gemeinde
of the area plus ``kreis.pdf``.  The figure is built with
:class:`matplotlib.figure.Figure` directly, never through ``pyplot`` (global
state; not safe in a Streamlit server running several sessions in threads).
Fonts are embedded as TrueType, so the PDF text can be searched and copied.
"""

from __future__ import annotations

import io
import logging
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.analysis.transit import clock
from erreichbarkeit.config import METRIC_CRS, MODE_LABELS, WGS84, Category, ProgressCallback
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report.mapplot import (
    Extent,
    add_scale_bar,
    class_handles,
    dot_handle,
    draw_legend,
    draw_offers,
    draw_roads,
    draw_table,
    draw_transit,
    draw_villages,
    fit_extent,
    frame_axes,
    label_gemeinden,
    label_villages,
    line_handle,
    metric,
    road_handle,
    transit_handles,
)
from erreichbarkeit.report.printmap import source_line
from erreichbarkeit.report.steckbrief_data import (
    area_villages,
    covered_note,
    find_gemeinde,
    format_de,
    gemeinden_of,
    has_outside,
    steckbrief_kpis,
    worst_villages,
)
from erreichbarkeit.report.steckbrief_offices import draw_offices_box
from erreichbarkeit.report.steckbrief_transit import (
    TRANSIT_NOTES,
    draw_transit_body,
    draw_transit_box,
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
    "steckbrief_pdf",
    "write_steckbriefe",
]

logger = logging.getLogger(__name__)

#: Page size (width, height) in millimetres.
A4_PORTRAIT_MM: tuple[float, float] = (210.0, 297.0)
_MM_PER_INCH = 25.4
_MAX_WORST_ROWS = 15  # rows of the worst-villages table on one page
_LABEL_LIMIT = 40  # label every village of the page when at most this many
_GEMEINDE_LABEL_LIMIT = 40  # name the Gemeinden on the Kreis page when at most this many
#: Which Bus & Bahn layers a map drew: lines, on-demand lines, served and idle stops.
Drawn = tuple[bool, bool, bool, bool]
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)
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


def _draw_areas(
    ax: Any,
    b: gpd.GeoDataFrame | None,
    own: gpd.GeoDataFrame | None,
    view: Extent,
    *,
    kreis: bool,
) -> None:
    """All Gemeinden in grey, the page's area white with a dark outline; names on the Kreis page."""
    if b is None:
        return
    b.plot(ax=ax, facecolor="#f4f4f1", edgecolor="#9a9a9a", linewidth=0.5, zorder=0)
    if own is not None and len(own):
        own.plot(ax=ax, facecolor="#ffffff", edgecolor="none", zorder=0.5)
        own.boundary.plot(ax=ax, color="#222222", linewidth=1.4, zorder=2)
    if kreis and len(b) <= _GEMEINDE_LABEL_LIMIT:
        label_gemeinden(ax, b, view, fontsize=6.5, halo_width=2.0, color="#6f6f6f", zorder=2.5)


def _draw_map(
    ax: Any,
    results: Results,
    *,
    ags: str | None,
    category: str,
    mode: str,
    roads: gpd.GeoDataFrame | None,
) -> tuple[bool, Drawn]:
    """Draw the map; return whether roads and which Bus & Bahn layers were drawn."""
    b = metric(results.boundaries)
    v_all = gpd.GeoDataFrame(results.villages, geometry="geometry", crs=WGS84).to_crs(METRIC_CRS)
    mine = area_villages(v_all) if ags is None else v_all[v_all["ags"].astype(str) == ags]
    own = _own_area(b, mine, ags)
    view = _view(ax, own if own is not None and len(own) else mine)
    _draw_areas(ax, b, own, view, kreis=ags is None)
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
    offers = metric(results.offers[results.offers["category"] == category])
    draw_offers(ax, offers, results.settings.categories(), size=42, linewidth=0.8)
    draw_villages(ax, mine, mine[f"{category}_{mode}_min"], size=48, linewidth=0.6)
    dy = (view[3] - view[1]) * 0.012
    label_villages(
        ax, mine, limit=_LABEL_LIMIT, offset=(dy, dy), font_sizes=(7.5, 6.5), halo_width=2.0
    )
    frame_axes(ax, view, spine_color="#666666", spine_width=0.6)
    add_scale_bar(ax, length_fraction=0.25, font_size=7)
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
    draw_legend(
        ax, handles, labels, title=caption, wrap=28, fontsize=8, title_fontsize=8.5,
        labelspacing=0.45,
    )  # fmt: skip


# -- tables -----------------------------------------------------------------------------


# -- page -------------------------------------------------------------------------------


def steckbrief_figure(
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
) -> Figure:
    """Build the Steckbrief page (A4 portrait) as a matplotlib figure.

    Parameters
    ----------
    results
        A run (or ``ScenarioResult.results``).
    ags
        The Gemeinde's AGS; ``None`` = the whole analysis area (titled with its name).
    mode, age_group
        Mode and age group of every figure.
    categories
        Categories (default: those of the run serving the age group).
    thresholds
        Minutes per category (default: the settings' thresholds for ``mode``).
    map_category
        The category the map shows (default: the first of ``categories``).
    roads
        Optional offline base layer (:func:`erreichbarkeit.report.basemap.cached_road_lines`).
    created
        Date printed on the page (default: today).

    Returns
    -------
    matplotlib.figure.Figure

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
    age = age_group.replace("-", "–")
    mode_de = MODE_LABELS.get(mode, mode)
    fig = Figure(figsize=(A4_PORTRAIT_MM[0] / _MM_PER_INCH, A4_PORTRAIT_MM[1] / _MM_PER_INCH))
    sub = (
        f"{results.settings.area_name} · Erreichbarkeit mit {mode_de} · Kinder {age} Jahre · "
        f"{len(villages)} Orte" + (f" · AGS {ags}" if ags is not None else "")
    )
    fig.text(0.06, 0.972, title + (" – Bus & Bahn" if mode == "pt" else ""), fontsize=17,
             fontweight="bold", va="top")  # fmt: skip
    fig.text(0.06, 0.937, sub, fontsize=9.5, color="#333333", va="top")
    _map_panel(fig, results, kpis, ags=ags, category=shown, mode=mode, roads=roads)
    if mode == "pt":
        draw_transit_body(
            fig, results, kpis, villages, gemeinde_column=ags is None, age_group=age_group,
            title_note=covered_note(kpis),
        )  # fmt: skip
        _footer(fig, results, created, notes=_transit_notes(results))
        return fig
    kpi_title = f"Kennzahlen für Kinder {age} Jahre ({mode_de}){covered_note(kpis)}"
    bottom = _kpi_table(fig, kpis, title=kpi_title)
    with_pt = "pt" in results.settings.modes and f"{cats[0]}_pt_status" in results.villages
    bottom = _worst_table(
        fig, bottom - 0.012, results, kpis, villages, ags=ags, mode=mode, age_group=age_group,
        max_rows=_MAX_WORST_ROWS - 5 * with_pt,
    )  # fmt: skip
    if with_pt:  # the small Bus & Bahn box of the same villages and age group
        draw_transit_box(fig, bottom - 0.008, results, ags=ags, age_group=age_group,
                         categories=cats)  # fmt: skip
    _footer(fig, results, created)
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
    roads: gpd.GeoDataFrame | None,
) -> None:
    """The map of ``category`` (top left) and its legend (top right)."""
    table = results.settings.categories()
    map_ax = fig.add_axes((0.06, 0.545, 0.62, 0.375))
    drew_roads, transit = _draw_map(
        map_ax, results, ags=ags, category=category, mode=mode, roads=roads
    )
    label = table[category].label if category in table else category
    limit = float(kpis.set_index("category")["threshold"].astype(float)[category])
    mode_de = MODE_LABELS.get(mode, mode)
    if mode == "pt":  # the window and day the minutes cover
        mode_de += ", " + window_caption(results.settings.pt_window(category), transit_day(results))
    _legend(
        fig.add_axes((0.70, 0.60, 0.27, 0.32)),
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


def _kpi_table(fig: Figure, kpis: pd.DataFrame, *, title: str) -> float:
    """The key-figure table below the map; return its bottom (figure fraction)."""
    kpi_rows = [
        [
            str(r["label"]),
            f"{format_de(r['threshold'])} min",
            format_de(r["children_within"]),
            format_de(r["children_beyond"]),
            f"{r['n_underserved']} von {r['n_villages']}",
            str(r["median_text"]),
        ]
        for _, r in kpis.iterrows()
    ]
    return draw_table(
        fig,
        0.525,
        ["Angebot", "Schwelle", "Kinder innerhalb", "Kinder außerhalb",
         "Orte unterversorgt", "Median"],
        kpi_rows,
        [0.26, 0.12, 0.16, 0.16, 0.16, 0.14],
        align=["left", "right", "right", "right", "right", "right"],
        title=title,
    )  # fmt: skip


def _worst_table(
    fig: Figure,
    top: float,
    results: Results,
    kpis: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
    max_rows: int = _MAX_WORST_ROWS,
) -> float:
    """The worst-served villages per category (red: beyond the threshold); return the bottom."""
    cats = tuple(kpis["category"])
    table = results.settings.categories()
    age = age_group.replace("-", "–")
    per_cat = max(1, min(3, max_rows // max(len(cats), 1)))
    limits = dict(zip(kpis["category"], kpis["threshold"], strict=True))
    worst, beyond = worst_villages(
        villages, cats=cats, mode=mode, age_group=age_group, per_category=per_cat, limits=limits
    )
    for row in worst:
        row[0] = table[row[0]].label if row[0] in table else row[0]
    header = ["Angebot", "Ort", "Gemeinde", "Minuten", "km", f"Kinder {age}"]
    widths = [0.20, 0.22, 0.20, 0.16, 0.08, 0.14]
    align = ["left", "left", "left", "right", "right", "right"]
    if ags is not None:  # one Gemeinde: no Gemeinde column
        worst = [[r[0], r[1], *r[3:]] for r in worst]
        header = [header[0], header[1], *header[3:]]
        widths = [0.26, 0.34, 0.16, 0.10, 0.14]
        align = [align[0], align[1], *align[3:]]
    return draw_table(
        fig,
        top,
        header,
        worst,
        widths,
        align=align,
        highlight=beyond,
        title=(
            f"Am schlechtesten erreichbare Orte (je Angebot bis zu {per_cat}; "
            "rot: über der Schwelle)"
        ),
    )


def _footer(fig: Figure, results: Results, created: date | None, *, notes: str = "") -> None:
    """The notes on the figures (``notes`` after them), the sources and the date at the bottom."""
    when = (created or date.today()).strftime("%d.%m.%Y")
    foot = source_line(results.inputs.sources)
    foot = f"{foot} · Stand der Auswertung: {when}" if foot else f"Stand der Auswertung: {when}"
    lines = textwrap.wrap(f"{_NOTES} {notes}".strip(), 125)
    foot_lines = textwrap.wrap(foot, 125)
    fig.text(
        0.06, 0.016 + 0.0095 * (len(lines) + len(foot_lines)), "\n".join(lines), fontsize=6.5,
        color="#444444", va="top",
    )  # fmt: skip
    fig.text(
        0.06, 0.012, "\n".join(foot_lines), fontsize=6.5, color="#333333",
        va="bottom",
    )  # fmt: skip


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
    """Render one Steckbrief page as PDF bytes (A4 portrait, one page).

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
        fig = steckbrief_figure(
            results, ags=ags, mode=mode, age_group=age_group, categories=categories,
            thresholds=thresholds, map_category=map_category, roads=roads, created=created,
        )  # fmt: skip
        buf = io.BytesIO()
        title = fig.texts[0].get_text() if fig.texts else "Steckbrief"
        fig.savefig(
            buf,
            format="pdf",
            metadata={
                "Title": title,
                "Subject": results.settings.area_name,
                "Creator": "erreichbarkeit",
            },
        )
    return buf.getvalue()


def _slug(text: str, limit: int = 60) -> str:
    """ASCII file-name part: umlauts spelled out, other characters to ``-``."""
    text = unicodedata.normalize("NFC", text).translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:limit].strip("-") or "gemeinde"


def steckbrief_filename(ags: str | None, name: str) -> str:
    """File name of a Steckbrief: ``<AGS>_<name>.pdf`` (ASCII only) or ``kreis.pdf``.

    Examples
    --------
    >>> steckbrief_filename("03159016", "Bovenden/Ortsteil Süd")
    '03159016_bovenden-ortsteil-sued.pdf'
    """
    if ags is None:
        return "kreis.pdf"
    key = re.sub(r"[^0-9A-Za-z]", "", str(ags))[:12] or "ohne-ags"
    return f"{key}_{_slug(name)}.pdf"


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
) -> list[Path]:
    """Write one Steckbrief per Gemeinde and ``kreis.pdf`` (each written atomically).

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

    Returns
    -------
    list[Path]
        The written files, Gemeinden by AGS, ``kreis.pdf`` last.
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
    for i, (ags, name) in enumerate(jobs):
        if progress:
            progress("Steckbriefe", i, len(jobs))
        data = steckbrief_pdf(
            results, ags=ags, mode=mode, age_group=age_group, categories=categories,
            thresholds=thresholds, roads=roads,
        )  # fmt: skip
        path = out / steckbrief_filename(ags, name)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        written.append(path)
        logger.info("Steckbrief %s: %d bytes", path.name, len(data))
    if progress:
        progress("Steckbriefe", len(jobs), len(jobs))
    return written
