"""The Steckbrief's table of all villages: minutes per category and mode, children.

Every village of the page (a Gemeinde's, or on the Kreis page every village
of the area, grouped by Gemeinde) gets one row: its name, the children of
the age group and the minutes to the nearest offer per category — for the
page's mode and, where the run has both, by car *and* by Bus & Bahn side by
side, so the two can be compared village by village.  Minutes beyond the
category's threshold are printed in dark red, „—“ means no offer reachable.
The rows are drawn as text (searchable in the PDF) and continue on further
pages (:func:`draw_village_rows` returns how many fitted).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from erreichbarkeit.config import MODE_LABELS, age_column
from erreichbarkeit.report.labels import fit_width
from erreichbarkeit.report.steckbrief_data import format_de, minutes_column
from erreichbarkeit.results import Results

__all__ = [
    "NO_OFFER_DE",
    "VillageTable",
    "draw_village_rows",
    "flow_tables",
    "page_village_tables",
    "village_table",
    "village_tables",
]

#: At most this many minute columns (categories × modes) fit the page width.
_MAX_VALUE_COLUMNS = 8
_ROW = 0.0128  # row height (figure fraction; about 10.8 pt on A4 portrait)
_FONT = 7.2
_RED = "#a50f15"
_LEFT, _WIDTH = 0.06, 0.90
_GAP = 0.008  # least room (figure fraction) between the texts of neighbouring columns
_CHARS_PER_WIDTH = 118  # characters of 7.2 pt text across the table's full width
#: The other mode a village's minutes are compared with, where the run has it.
_COMPARE = {"car": "pt", "pt": "car"}
#: The cell of a village without a reachable offer.
NO_OFFER_DE = "—"
_MIN_ROOM = 0.08  # room (figure fraction) a table needs to start: title, header, a few rows


@dataclass(frozen=True)
class VillageTable:
    """The rows of the village table and how to draw them.

    Attributes
    ----------
    header
        Column headings, two lines each (category, mode).
    rows
        One list of cell texts per village.
    red
        Per row and cell whether it is printed in red (beyond the threshold).
    widths, align
        Column widths (fractions of the table width) and alignments.
    note
        What the table leaves out (too many categories), or empty.
    """

    header: list[tuple[str, str]]
    rows: list[list[str]]
    red: list[list[bool]]
    widths: list[float]
    align: list[str]
    note: str = ""


def _sort_key(text: str) -> str:
    """German alphabetical order: umlauts with their base letter (Ö with O)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return plain.casefold()


def _in_order(villages: pd.DataFrame, *, by_gemeinde: bool) -> pd.DataFrame:
    """The villages with ``_name`` and ``_gem`` text, alphabetically (by Gemeinde first)."""
    v = villages.assign(
        _name=villages["name"].fillna("").astype(str),
        _gem=villages["gemeinde"].fillna("").astype(str) if "gemeinde" in villages else "",
    )
    order = sorted(
        range(len(v)),
        key=lambda i: (_sort_key(v["_gem"].iloc[i]) if by_gemeinde else "",
                       _sort_key(v["_name"].iloc[i])),
    )  # fmt: skip
    return v.iloc[order]


def _columns(
    villages: pd.DataFrame, cats: Sequence[str], mode: str, modes: Sequence[str]
) -> list[list[tuple[str, str]]]:
    """The (category, mode) columns in parts of at most 8: the page's mode, with the
    comparison mode beside it when all fit in one part."""
    other = _COMPARE.get(mode)
    compare = other is not None and other in modes
    pairs = [(c, m) for c in cats for m in ((mode, other) if compare and other else (mode,))]
    pairs = [(c, m) for c, m in pairs if f"{c}_{m}_min" in villages.columns]
    if len(pairs) > _MAX_VALUE_COLUMNS and compare:
        pairs = [(c, m) for c, m in pairs if m == mode]
    n = _MAX_VALUE_COLUMNS
    return [pairs[i : i + n] for i in range(0, len(pairs), n)] or [[]]


def village_table(
    villages: pd.DataFrame,
    *,
    cats: Sequence[str],
    labels: Mapping[str, str],
    mode: str,
    modes: Sequence[str],
    age_group: str,
    limits: Mapping[tuple[str, str], float],
    gemeinde_column: bool,
    part: int = 0,
) -> VillageTable:
    """Rows of every village: name, [Gemeinde], children, minutes per category and mode.

    Parameters
    ----------
    villages
        The page's villages.
    cats, labels
        The categories (in column order) and their German labels.
    mode, modes
        The page's mode and the run's modes (car and Bus & Bahn side by side
        when the run has both and the columns fit).
    age_group
        Its children and its minutes (to offers serving the group).
    limits
        Threshold minutes per ``(category, mode)``; beyond it a cell is red.
    gemeinde_column
        Name the Gemeinde (the Kreis page); rows then go by Gemeinde and name.
    part
        Which part of the columns (eight at most per table; see :func:`village_tables`).

    Returns
    -------
    VillageTable
        Minutes with one decimal („12,5“), children whole („1.234“), „—“
        where no offer is reachable (or the children are unknown).
    """
    parts = _columns(villages, cats, mode, modes)
    pairs = parts[part]
    first = sum(len(p) for p in parts[:part])
    total = sum(len(p) for p in parts)
    note = f" · Spalten {first + 1}–{first + len(pairs)} von {total}" if len(parts) > 1 else ""
    child = age_column(age_group)
    v = _in_order(villages, by_gemeinde=gemeinde_column)
    children = pd.to_numeric(v[child], errors="coerce") if child in v else pd.Series(math.nan)
    rows: list[list[str]] = []
    red: list[list[bool]] = []
    values = {
        (c, m): pd.to_numeric(v[minutes_column(v, c, m, age_group)], errors="coerce").to_numpy()
        for c, m in pairs
    }
    for i in range(len(v)):
        cells = [str(v["_name"].iloc[i])]
        if gemeinde_column:
            cells.append(str(v["_gem"].iloc[i]))
        cells.append(format_de(float(children.iloc[i]) if len(children) > i else math.nan))
        flags = [False] * len(cells)
        for c, m in pairs:
            x = float(values[(c, m)][i])
            cells.append(format_de(x, 1) if math.isfinite(x) else NO_OFFER_DE)
            flags.append(not math.isfinite(x) or x > limits.get((c, m), math.inf))
        flags[0] = any(flags[len(flags) - len(pairs) :])
        rows.append(cells)
        red.append(flags)
    header = [("Ort", ""), *([("Gemeinde", "")] if gemeinde_column else []),
              ("Kinder", age_group.replace("-", "–"))]  # fmt: skip
    header += [(labels.get(c, c), MODE_LABELS.get(m, m)) for c, m in pairs]
    fixed = [0.20, 0.17] if gemeinde_column else [0.26]
    fixed.append(0.07)
    rest = (1.0 - sum(fixed)) / max(len(pairs), 1)
    widths = [*fixed, *[rest] * len(pairs)]
    align = ["left"] * (len(fixed) - 1) + ["right"] * (1 + len(pairs))
    return VillageTable(header, rows, red, widths, align, note)


def _fit(text: str, width: float) -> tuple[str, float]:
    """The cell text and font size: long names smaller (down to 5.5 pt), then cut with „…“."""
    limit = max(int(width * _CHARS_PER_WIDTH), 5)
    if len(text) <= limit:
        return text, _FONT
    size = max(5.5, _FONT * limit / len(text))
    limit = int(limit * _FONT / size)
    return (text if len(text) <= limit else text[: limit - 1] + "…"), size


def draw_village_rows(
    fig: Any,
    table: VillageTable,
    *,
    start: int,
    top: float,
    bottom: float,
    title: str,
    legend: str,
) -> tuple[int, float]:
    """Draw the table's rows from ``start`` between ``top`` and ``bottom``.

    Returns the next row to draw and the bottom of what was drawn.

    The title, the ``legend`` line under it and the two-line header are
    repeated on every page; at least one row is drawn whenever rows are left.
    """
    fig.text(_LEFT, top, title + table.note, fontsize=9.5, fontweight="bold", va="top")
    fig.text(_LEFT, top - 0.016, legend, fontsize=7, color="#333333", va="top")
    top -= 0.016
    xs = _LEFT + _WIDTH * np.concatenate([[0.0], np.cumsum(table.widths)[:-1]])
    ws = [_WIDTH * w for w in table.widths]
    y = top - 0.021
    for line in (0, 1):
        for x, w, head, al in zip(xs, ws, table.header, table.align, strict=True):
            text, size = _fit(head[line], w)
            t = fig.text(x + w - 0.004 if al == "right" else x + 0.002, y - line * _ROW * 0.85,
                         text, fontsize=size, fontweight="bold", ha=al, va="top")  # fmt: skip
            fit_width(t, w - _GAP, smallest=4.5)  # bold headings: measured, never into the next
    rule = y - _ROW * 1.85
    fig.add_artist(Line2D([_LEFT, _LEFT + _WIDTH], [rule, rule], color="#555555",
                          linewidth=0.6, transform=fig.transFigure))  # fmt: skip
    y = rule - 0.004
    fits = max(1, int((y - bottom) / _ROW))
    end = min(len(table.rows), start + fits)
    for k, i in enumerate(range(start, end)):
        yy = y - _ROW * k
        if k % 2 == 1:
            fig.add_artist(Rectangle((_LEFT, yy - _ROW), _WIDTH, _ROW, facecolor="#f1f1ee",
                                     edgecolor="none", transform=fig.transFigure,
                                     zorder=-1))  # fmt: skip
        for x, w, text, al, red in zip(xs, ws, table.rows[i], table.align, table.red[i],
                                       strict=True):  # fmt: skip
            shown, size = _fit(text, w)
            color = _RED if red else "#111111"
            t = fig.text(x + w - 0.004 if al == "right" else x + 0.002, yy - 0.0015, shown,
                         fontsize=size, ha=al, va="top", color=color)  # fmt: skip
            fit_width(t, w - _GAP)
    return end, y - _ROW * (end - start)


def village_tables(villages: pd.DataFrame, **options: Any) -> list[VillageTable]:
    """:func:`village_table` for every part of the columns (eight minute columns each)."""
    parts = _columns(villages, options["cats"], options["mode"], options["modes"])
    return [village_table(villages, part=i, **options) for i in range(len(parts))]


def page_village_tables(
    results: Results,
    kpis: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
) -> list[VillageTable]:
    """:func:`village_tables` of a Steckbrief: its categories, thresholds and modes.

    The page's mode takes the thresholds of ``kpis`` (the user's own, where
    given); the compared mode those of the settings.
    """
    cats = [str(c) for c in kpis["category"]]
    modes = results.settings.modes
    limits = {(c, m): results.settings.threshold(c, m) for c in cats for m in modes}
    for c, t in zip(cats, kpis["threshold"].astype(float), strict=True):
        limits[(c, mode)] = float(t)
    return village_tables(
        villages, cats=cats, labels=dict(zip(cats, kpis["label"].astype(str), strict=True)),
        mode=mode, modes=modes, age_group=age_group, limits=limits, gemeinde_column=ags is None,
    )  # fmt: skip


def flow_tables(
    fig: Any,
    tables: Sequence[VillageTable],
    cursor: tuple[int, int],
    *,
    top: float,
    bottom: float,
    title: str,
    legend: str,
) -> tuple[int, int]:
    """Draw the tables one after the other from ``cursor`` (table, row) down to ``bottom``.

    Returns where the next page goes on (``(len(tables), 0)``: all drawn).
    """
    table, row = cursor
    while table < len(tables) and top - bottom > _MIN_ROOM:
        end, low = draw_village_rows(fig, tables[table], start=row, top=top, bottom=bottom,
                                     title=title, legend=legend)  # fmt: skip
        if end < len(tables[table].rows):
            return table, end
        table, row, top = table + 1, 0, low - 0.014
    return table, row
