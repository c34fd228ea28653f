"""One-page PDF fact sheets ("Steckbriefe") per Gemeinde and for the whole Kreis.

For the steering group (Lenkungsgruppe) of a Präventionskette: one A4
portrait page per Gemeinde with

* a map of the Gemeinde: villages coloured by the minutes to the nearest
  offer of the map category, in the classes and colours of the web and print
  maps (:func:`erreichbarkeit.webmap.maps.classify_minutes`,
  :data:`~erreichbarkeit.webmap.maps.BIN_COLORS`), the category's offers (also those
  beyond the Gemeinde border, which the villages may be using), the Gemeinde
  boundary and its neighbours, a scale bar;
* the key figures per category for the chosen age group and mode: children
  within and beyond the threshold, underserved villages, children-weighted
  median minutes (the same numbers as the dashboard's KPI cards, from
  :func:`erreichbarkeit.analysis.indicators.kreis_summary`);
* the worst-served villages per category (minutes, km, children);
* the source line (:func:`erreichbarkeit.report.printmap.source_line`) and the date.

:func:`steckbrief_pdf` renders one page (``ags=None``: the whole Kreis);
:func:`write_steckbriefe` writes one file per Gemeinde plus ``kreis.pdf``.

The figure is built with :class:`matplotlib.figure.Figure` directly, never
through ``pyplot`` (global state; not safe in a Streamlit server running
several sessions in threads).  Fonts are embedded as TrueType, so the PDF
text can be searched and copied.  This module never imports Streamlit.
"""

from __future__ import annotations

import io
import logging
import math
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib_scalebar.scalebar import ScaleBar

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.analysis import indicators
from erreichbarkeit.config import (
    METRIC_CRS,
    MODE_LABELS,
    WGS84,
    Category,
    ProgressCallback,
    age_column,
)
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report.printmap import fit_extent, source_line
from erreichbarkeit.results import Results
from erreichbarkeit.webmap import maps

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
_ROW = 0.0135  # height of a table row (figure fraction; about 11 pt on A4)
_LABEL_LIMIT = 40  # label every village of the page when at most this many
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


# -- choices ----------------------------------------------------------------------------




def _categories(
    results: Results, age_group: str, categories: Sequence[str] | None
) -> tuple[str, ...]:
    """The requested categories, or those of the run serving the age group."""
    table = results.settings.categories()
    if categories is not None:
        unknown = [c for c in categories if c not in results.categories]
        if unknown:
            msg = f"category {unknown[0]!r} has no results"
            raise ConfigError(
                msg,
                column="categories",
                expected=", ".join(results.categories),
                message_de=f"Für die Kategorie „{unknown[0]}“ gibt es keine Ergebnisse",
            )
        return tuple(categories)
    serving = tuple(
        c for c in results.categories if c in table and age_group in table[c].age_groups
    )
    return serving or tuple(results.categories)


def _threshold(
    results: Results, category: str, mode: str, thresholds: Mapping[str, float] | None
) -> float:
    if thresholds and category in thresholds:
        return float(thresholds[category])
    return results.settings.threshold(category, mode)


def gemeinden_of(results: Results) -> pd.DataFrame:
    """The Gemeinden that get a Steckbrief: ``ags, gemeinde, n_villages``, by AGS.

    Gemeinden with at least one village; when the boundaries carry
    ``in_kreis`` (regions made by ``erreichbarkeit prepare``), only those of
    the Kreis.
    """
    v = results.villages
    v = v[v["ags"].notna()]
    table = (
        v.groupby(["ags", "gemeinde"], sort=True, dropna=False)
        .size()
        .rename("n_villages")
        .reset_index()
    )
    bnd = results.boundaries
    if "in_kreis" in bnd.columns:
        inside = set(bnd.loc[bnd["in_kreis"].fillna(False).astype(bool), "ags"].astype(str))
        table = table[table["ags"].astype(str).isin(inside)]
    return pd.DataFrame(table.reset_index(drop=True))


def _gemeinde(results: Results, ags: str) -> tuple[str, str]:
    table = gemeinden_of(results)
    hit = table[table["ags"].astype(str) == str(ags)]
    if hit.empty:
        known = ", ".join(f"{a} {g}" for a, g in zip(table["ags"], table["gemeinde"], strict=True))
        msg = f"no Gemeinde with AGS {ags!r} in the results"
        raise ConfigError(
            msg,
            column="ags",
            expected=known[:300] or "an AGS of the region",
            message_de=f"Keine Gemeinde mit dem Schlüssel „{ags}“ in den Ergebnissen",
        )
    return str(hit["ags"].iloc[0]), str(hit["gemeinde"].iloc[0])


# -- numbers ----------------------------------------------------------------------------


def _de(x: float, digits: int = 0) -> str:
    """German number (``1.234``, ``8,5``); ``–`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def steckbrief_kpis(
    results: Results,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The key figures of a Steckbrief, one row per category.

    Parameters
    ----------
    results
        A run (or ``ScenarioResult.results``).
    ags
        The Gemeinde; ``None`` = all villages of the region.
    mode, age_group
        Mode and age group (its children weight every figure).
    categories
        Categories (default: those of the run serving the age group).
    thresholds
        Minutes per category (default: the settings' thresholds for ``mode``).

    Returns
    -------
    pandas.DataFrame
        ``category, label, threshold, children_total, children_within,
        children_beyond, n_villages, n_underserved, median_min``; villages
        without a reachable offer count as beyond the threshold and are left
        out of the median.

    Raises
    ------
    ConfigError
        Unknown AGS, mode, age group or category.
    """
    results.check_choice(mode, age_group)
    cats = _categories(results, age_group, categories)
    v = results.villages
    if ags is not None:
        ags, _ = _gemeinde(results, ags)
        v = v[v["ags"].astype(str) == ags]
    table = results.settings.categories()
    limits = {c: _threshold(results, c, mode, thresholds) for c in cats}
    summary = indicators.kreis_summary(
        v,
        categories=cats,
        modes=(mode,),
        threshold=lambda c, _m: limits[c],
        age_groups=dict.fromkeys(cats, (age_group,)),
    )
    total = float(pd.to_numeric(v[age_column(age_group)], errors="coerce").fillna(0.0).sum())
    rows = []
    for _, r in summary.iterrows():
        cat = str(r["category"])
        beyond = float(r["children_beyond"])
        rows.append(
            {
                "category": cat,
                "label": table[cat].label if cat in table else cat,
                "threshold": limits[cat],
                "children_total": total,
                "children_within": total - beyond,
                "children_beyond": beyond,
                "n_villages": int(r["n_villages"]),
                "n_underserved": int(r["n_underserved"]),
                "median_min": float(r["children_median_min"]),
            }
        )
    return pd.DataFrame(rows)


def _worst(
    v: pd.DataFrame,
    *,
    cats: Sequence[str],
    mode: str,
    age_group: str,
    per_category: int,
    limits: Mapping[str, float],
) -> tuple[list[list[str]], list[bool]]:
    """Rows ``[category, village, Gemeinde, minutes, km, children]`` of the worst-served
    villages, and per row whether it is beyond the threshold (or unreachable)."""
    table_rows: list[list[str]] = []
    beyond: list[bool] = []
    child = age_column(age_group)
    for cat in cats:
        p = f"{cat}_{mode}"
        part = v.loc[:, ["name", "gemeinde", child, f"{p}_min", f"{p}_km"]].copy()
        # unreachable first, then the slowest; ties: more children first
        part["_key"] = part[f"{p}_min"].fillna(np.inf)
        part = part.sort_values(["_key", child], ascending=[False, False], kind="mergesort")
        for _, r in part.head(per_category).iterrows():
            minutes = float(r[f"{p}_min"])
            table_rows.append(
                [
                    cat,
                    str(r["name"]),
                    str(r["gemeinde"]) if pd.notna(r["gemeinde"]) else "",
                    "nicht erreichbar" if math.isnan(minutes) else _de(minutes, 1),
                    _de(float(r[f"{p}_km"]), 1),
                    _de(float(r[child])),
                ]
            )
            beyond.append(math.isnan(minutes) or minutes > limits[cat])
    return table_rows, beyond


# -- drawing ----------------------------------------------------------------------------


def _kreis_outline(b: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Gemeinden holding villages, dissolved into one outline (metres)."""
    keys = set(villages["ags"].dropna().astype(str))
    part = b[b["ags"].astype(str).isin(keys)]
    if part.empty:
        return part
    return gpd.GeoDataFrame(geometry=[part.union_all()], crs=b.crs)


def _halo(width: float = 2.0) -> list[Any]:
    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _draw_map(
    ax: Any,
    results: Results,
    *,
    ags: str | None,
    category: str,
    mode: str,
    roads: gpd.GeoDataFrame | None,
) -> bool:
    """Draw the map; return whether roads were drawn."""
    bnd = results.boundaries
    b = bnd.to_crs(METRIC_CRS) if len(bnd) else None
    v_all = gpd.GeoDataFrame(results.villages, geometry="geometry", crs=WGS84).to_crs(METRIC_CRS)
    mine = v_all if ags is None else v_all[v_all["ags"].astype(str) == ags]
    own = None
    if b is not None:
        own = b[b["ags"].astype(str) == ags] if ags is not None else _kreis_outline(b, mine)
    focus = own if own is not None and len(own) else mine
    fb = focus.total_bounds
    pos = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    aspect = (pos.width * fig_w) / (pos.height * fig_h)
    minx, miny, maxx, maxy = fit_extent(
        (fb[0], fb[1], fb[2], fb[3]), aspect, margin=0.06, min_size=1000.0
    )

    if b is not None:
        b.plot(ax=ax, facecolor="#f4f4f1", edgecolor="#9a9a9a", linewidth=0.5, zorder=0)
        if own is not None and len(own):
            own.plot(ax=ax, facecolor="#ffffff", edgecolor="none", zorder=0.5)
            own.boundary.plot(ax=ax, color="#222222", linewidth=1.4, zorder=2)
        if ags is None and len(b) <= 40:
            for name, pt in zip(b["gemeinde"], b.geometry.representative_point(), strict=True):
                if minx < pt.x < maxx and miny < pt.y < maxy:
                    ax.text(
                        pt.x, pt.y, str(name), fontsize=6.5, color="#6f6f6f", style="italic",
                        ha="center", va="center", zorder=2.5, path_effects=_halo(),
                    )  # fmt: skip
    drew_roads = False
    if roads is not None and len(roads):
        from erreichbarkeit.report.basemap import ROAD_CLASSES, ROAD_STYLES  # noqa: PLC0415

        r = roads.to_crs(METRIC_CRS)
        for cls in reversed(ROAD_CLASSES):
            part = r[r["road_class"] == cls]
            if len(part):
                style = ROAD_STYLES[cls]
                part.plot(ax=ax, color=style.color, linewidth=style.width_pt * 0.6, zorder=1)
                drew_roads = True
    others = v_all.drop(index=mine.index)
    if len(others):
        ax.scatter(others.geometry.x, others.geometry.y, s=6, c="#b0b0b0", linewidths=0, zorder=3)
    offers = results.offers[results.offers["category"] == category]
    if len(offers):
        o = offers.to_crs(METRIC_CRS)
        cat = results.settings.categories().get(category)
        ax.scatter(
            o.geometry.x,
            o.geometry.y,
            s=42,
            marker="D",
            c=cat.color if cat else "#555555",
            edgecolors="white",
            linewidths=0.8,
            zorder=4,
        )
    minutes = mine[f"{category}_{mode}_min"].to_numpy("float64")
    classes = maps.classify_minutes(minutes)
    colors = [maps.UNREACHABLE_COLOR if k < 0 else maps.BIN_COLORS[int(k)] for k in classes]
    order = np.argsort(np.where(classes < 0, len(maps.BIN_COLORS), classes), kind="stable")
    ax.scatter(
        mine.geometry.x.to_numpy()[order],
        mine.geometry.y.to_numpy()[order],
        s=48,
        c=[colors[i] for i in order],
        edgecolors="#333333",
        linewidths=0.6,
        zorder=5,
    )
    label_all = len(mine) <= _LABEL_LIMIT
    places = mine["place"].astype(str) if "place" in mine.columns else pd.Series("", mine.index)
    dy = (maxy - miny) * 0.012
    for (_, row), place in zip(mine.iterrows(), places, strict=True):
        big = place in ("city", "town")
        if not (label_all or big):
            continue
        ax.text(
            row.geometry.x,
            row.geometry.y + dy,
            str(row["name"]),
            fontsize=7.5 if big else 6.5,
            fontweight="bold" if big else "normal",
            ha="center",
            va="bottom",
            zorder=6,
            path_effects=_halo(),
            clip_on=True,
        )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#666666")
        spine.set_linewidth(0.6)
    ax.add_artist(
        ScaleBar(
            1.0,
            "m",
            location="lower left",
            length_fraction=0.25,
            box_alpha=0.85,
            font_properties={"size": 7},
        )
    )
    return drew_roads


def _legend(
    ax: Any, category: Category | None, *, drew_roads: bool, caption: str, kreis: bool
) -> None:
    def dot(color: str, marker: str = "o", edge: str = "#333333") -> Line2D:
        return Line2D(
            [], [], linestyle="none", marker=marker, markersize=8, markerfacecolor=color,
            markeredgecolor=edge, markeredgewidth=0.7,
        )  # fmt: skip

    handles: list[Any] = [dot(c) for c in maps.BIN_COLORS]
    labels = list(maps.bin_labels())
    handles.append(dot(maps.UNREACHABLE_COLOR))
    labels.append(maps.UNREACHABLE_LABEL)
    handles.append(dot(category.color if category else "#555555", "D", "white"))
    labels.append(f"Angebot: {category.label if category else ''}")
    if not kreis:
        handles.append(dot("#b0b0b0", "o", "none"))
        labels.append("Orte anderer Gemeinden")
    if drew_roads:
        handles.append(Line2D([], [], color="#d08a3c", linewidth=1.5))
        labels.append("Hauptstraßen")
    handles.append(Line2D([], [], color="#222222", linewidth=1.4))
    labels.append("Kreisgebiet (Gemeinden mit Orten)" if kreis else "Gemeindegrenze")
    ax.axis("off")
    leg = ax.legend(
        handles,
        labels,
        title="\n".join(textwrap.wrap(caption, 28)),
        loc="upper left",
        frameon=False,
        fontsize=8,
        title_fontsize=8.5,
        alignment="left",
        borderaxespad=0.0,
        labelspacing=0.45,
    )
    leg.get_title().set_fontweight("bold")


def _table(
    fig: Figure,
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
    line of 7.5 pt text, so tables of any length stack on the page.
    """
    fig.text(left, top, title, fontsize=9.5, fontweight="bold", va="top", ha="left")
    xs = left + width * np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    ws = [width * w for w in widths]

    def put(values: Sequence[str], y: float, *, bold: bool, color: str = "#111111") -> None:
        for x, w, text, al in zip(xs, ws, values, align, strict=True):
            limit = max(int(w / width * 118), 6)
            shown = text if len(text) <= limit else text[: limit - 1] + "…"
            fig.text(
                x + w - 0.004 if al == "right" else x + 0.002, y, shown, fontsize=7.5,
                ha=al, va="top", fontweight="bold" if bold else "normal", color=color,
            )  # fmt: skip

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
        The Gemeinde's AGS; ``None`` = the whole Kreis.
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
    if ags is not None:
        ags, gemeinde = _gemeinde(results, ags)
        title = f"Steckbrief Gemeinde {gemeinde}"
        villages = results.villages[results.villages["ags"].astype(str) == ags]
    else:
        gemeinde = results.settings.name
        title = f"Steckbrief {gemeinde}"
        villages = results.villages
    table = results.settings.categories()
    shown = map_category or cats[0]
    if shown not in cats:
        msg = f"map category {shown!r} is not among the categories"
        raise ConfigError(
            msg,
            column="map_category",
            expected=", ".join(cats),
            message_de=f"Kartenkategorie „{shown}“ ist nicht ausgewählt",
        )
    age = age_group.replace("-", "–")
    mode_de = MODE_LABELS.get(mode, mode)

    w_in, h_in = (x / _MM_PER_INCH for x in A4_PORTRAIT_MM)
    fig = Figure(figsize=(w_in, h_in))
    fig.text(0.06, 0.972, title, fontsize=17, fontweight="bold", va="top")
    sub = (
        f"{results.settings.name} · Erreichbarkeit mit {mode_de} · Kinder {age} Jahre · "
        f"{len(villages)} Orte"
    )
    if ags is not None:
        sub += f" · AGS {ags}"
    fig.text(0.06, 0.937, sub, fontsize=9.5, color="#333333", va="top")

    map_ax = fig.add_axes((0.06, 0.545, 0.62, 0.375))
    drew_roads = _draw_map(map_ax, results, ags=ags, category=shown, mode=mode, roads=roads)
    label = table[shown].label if shown in table else shown
    limit = float(kpis.set_index("category")["threshold"].astype(float)[shown])
    _legend(
        fig.add_axes((0.70, 0.60, 0.27, 0.32)),
        table.get(shown),
        drew_roads=drew_roads,
        kreis=ags is None,
        caption=f"Karte: Minuten zur nächsten {label} ({mode_de}); Schwelle {_de(limit, 0)} min",
    )

    kpi_rows = [
        [
            str(r["label"]),
            f"{_de(r['threshold'])} min",
            _de(r["children_within"]),
            _de(r["children_beyond"]),
            f"{r['n_underserved']} von {r['n_villages']}",
            _de(r["median_min"], 1),
        ]
        for _, r in kpis.iterrows()
    ]
    bottom = _table(
        fig,
        0.525,
        ["Angebot", "Schwelle", "Kinder innerhalb", "Kinder außerhalb",
         "Orte unterversorgt", "Median Minuten"],
        kpi_rows,
        [0.26, 0.12, 0.16, 0.16, 0.16, 0.14],
        align=["left", "right", "right", "right", "right", "right"],
        title=f"Kennzahlen für Kinder {age} Jahre ({mode_de})",
    )  # fmt: skip

    per_cat = max(1, min(3, _MAX_WORST_ROWS // max(len(cats), 1)))
    limits = dict(zip(kpis["category"], kpis["threshold"], strict=True))
    worst, beyond = _worst(
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
    _table(
        fig,
        bottom - 0.012,
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

    when = (created or date.today()).strftime("%d.%m.%Y")
    notes = (
        "Kinder: geschätzt aus Einwohnerzahl und Altersanteil. Orte ohne erreichbares Angebot "
        "zählen als außerhalb der Schwelle; Median gewichtet mit den Kindern der Orte."
    )
    foot = source_line(results.inputs.sources)
    foot = f"{foot} · Stand der Auswertung: {when}" if foot else f"Stand der Auswertung: {when}"
    fig.text(
        0.06, 0.052, "\n".join(textwrap.wrap(notes, 125)), fontsize=6.5, color="#444444",
        va="top",
    )  # fmt: skip
    fig.text(
        0.06, 0.012, "\n".join(textwrap.wrap(foot, 125)), fontsize=6.5, color="#333333",
        va="bottom",
    )  # fmt: skip
    return fig


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
                "Subject": results.settings.name,
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
    jobs.append((None, results.settings.name))
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
