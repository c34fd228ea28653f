"""The Steckbrief table „Wege zu den zuständigen Stellen“.

One entry per category of the Zuständigkeit table (e.g. Rathaus for the
Stadt's applications and Kreisverwaltung for the Kreis's as two entries of one
table): the responsible Stelle, the minutes by car and by Bus & Bahn, the
nearest offer of the category and the detour.  The page below the map is
full with the key figures, so the table sits in the right column below the
map legend, three lines per category.  Over the Gemeinde's villages
the minutes are the children-weighted median; a responsible Stelle beyond the
computation limit for most children reads „jenseits der Berechnungsgrenze“.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.report.labels import renderer_of, trim_to_width, wrap_to_width
from erreichbarkeit.report.responsibility import BEYOND_DE, difference_text_de, format_minutes_de
from erreichbarkeit.results import Results

__all__ = ["draw_offices_box", "office_rows"]

logger = logging.getLogger(__name__)

#: The modes the table shows, when computed (else the run's first mode).
_SHOWN_MODES = ("car", "pt")
#: The right column below the map legend (figure fractions) and the line height.
_COMPACT_TOP, _COMPACT_BOTTOM, _COMPACT_LEFT, _LINE = 0.72, 0.532, 0.695, 0.0118
_TITLE = "Wege zu den zuständigen Stellen"
_RIGHT = 0.965  # the page's right margin (figure fraction)


def _subject(results: Results, ags: str | None) -> pd.DataFrame:
    table = results.responsibility
    if table.empty or ags is None or "ags" not in table:
        return table
    return table[table["ags"].astype(str) == str(ags)]


def _modes(results: Results) -> tuple[str, ...]:
    shown = tuple(m for m in _SHOWN_MODES if m in results.settings.modes)
    return shown or tuple(results.settings.modes[:1])


def _weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """Weighted median; NaN values count as beyond every limit (``inf``)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not len(v):
        return math.nan
    v = np.where(np.isnan(v), np.inf, v)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    if w.sum() <= 0:
        w = np.ones_like(v)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, cum[-1] / 2.0)])


def _most(names: pd.Series, weights: pd.Series) -> str:
    """The name with the most children, „(+n weitere)“ when several."""
    clean = names.fillna("—").astype(str)
    totals = weights.fillna(0).groupby(clean).sum().sort_values(ascending=False, kind="stable")
    if totals.empty:
        return "—"
    first = str(totals.index[0])
    return first if len(totals) == 1 else f"{first} (+{len(totals) - 1} weitere)"


def _minutes_text(part: pd.DataFrame, column: str) -> str:
    value = _weighted_median(part[column].tolist(), part["children"].tolist())
    return BEYOND_DE if math.isinf(value) else format_minutes_de(value)


def office_rows(results: Results, ags: str | None) -> list[list[str]]:
    """The table rows for a Gemeinde (``None``: the whole Kreis), in category order."""
    table = _subject(results, ags)
    if table.empty:
        return []
    cats = results.settings.categories()
    order = [c for c in cats if c in set(table["category"])]
    modes = _modes(results)
    rows: list[list[str]] = []
    for cat in order:
        part = table[table["category"] == cat]
        first = part[part["mode"] == modes[0]]
        label = cats[cat].label if cat in cats else cat
        minutes = []
        for mode in modes:
            p = part[part["mode"] == mode]
            minutes.append(_minutes_text(p, "stelle_minutes") if len(p) else "—")
        diff = _weighted_median(first["difference_min"].tolist(), first["children"].tolist())
        rows.append(
            [
                label,
                _most(first["stelle"], first["children"]),
                *minutes,
                _most(first["nearest"], first["children"]),
                difference_text_de(diff, beyond=math.isinf(diff)),
            ]
        )
    return rows


def _legend_bottom(fig: Any) -> float:
    """Bottom of the map legend (figure fraction); :data:`_COMPACT_TOP` + a gap without one."""
    for ax in reversed(fig.axes):
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent()  # matplotlib picks a renderer for the figure
        return float(fig.transFigure.inverted().transform((0.0, box.y0))[1])
    return _COMPACT_TOP + 0.015


def draw_offices_box(fig: Any, results: Results, *, ags: str | None) -> None:
    """Draw „Wege zu den zuständigen Stellen“ in the right column below the map legend.

    Per category of the Zuständigkeit table: label and responsible Stelle
    (one line, cut with „…“); the minutes by car and Bus & Bahn; the detour
    and the nearest offer (each broken onto a second line where too long, so
    „jenseits der Berechnungsgrenze“ stays readable).  Categories that do not
    fit above the key figures are left out (logged).  Nothing without a
    Zuständigkeit table.
    """
    rows = office_rows(results, ags)
    if not rows:
        return
    top = min(_COMPACT_TOP, _legend_bottom(fig) - 0.015)
    shown, drawn = _draw_compact(fig, top, rows, _modes(results), wrap=True)
    if shown < len(rows):  # short of room (a tall Bus & Bahn legend): one smaller line each
        for text in drawn:
            text.remove()
        shown, _ = _draw_compact(fig, top, rows, _modes(results), wrap=False)
    if shown < len(rows):
        logger.warning("Steckbrief: %d of %d Zuständigkeit rows shown", shown, len(rows))


def _row_lines(r: list[str], modes: Sequence[str]) -> list[tuple[str, str]]:
    """The three lines of one category: heading (bold), minutes, detour and nearest offer."""
    label, stelle, minutes, nearest, diff = r[0], r[1], r[2:-2], r[-2], r[-1]
    times = " · ".join(
        f"{MODE_LABELS.get(m, m)} {t}" + ("" if t in (BEYOND_DE, "—") else " min")
        for m, t in zip(modes, minutes, strict=True)
    )
    detour = diff + ("" if diff in (BEYOND_DE, "—") else " min")
    return [
        (f"{label}: {stelle}", "bold"),
        (times, "normal"),
        (f"Umweg {detour} · nächstes: {nearest}", "normal"),
    ]


def _draw_compact(
    fig: Any, top: float, rows: list[list[str]], modes: Sequence[str], *, wrap: bool
) -> tuple[int, list[Any]]:
    """The table as a list in the right column; return how many categories fitted and the texts.

    ``wrap``: the minutes and the detour lines may take a second line;
    otherwise every line is one line of 6.5 pt, cut with „…“ at the margin.
    """
    renderer = renderer_of(fig)
    to_fig = fig.transFigure.inverted()
    y = top
    texts = [fig.text(_COMPACT_LEFT, y, _TITLE, fontsize=8.5, fontweight="bold", va="top")]
    y -= _LINE * 1.4
    for n, r in enumerate(rows):
        drawn = []
        for text, weight in _row_lines(r, modes):
            line = fig.text(_COMPACT_LEFT, y, text, fontsize=7 if wrap else 6.5,
                            fontweight=weight, va="top")  # fmt: skip
            if wrap and weight != "bold":  # at most two lines, the second cut where too long
                wrap_to_width(line, _RIGHT - _COMPACT_LEFT)
                first, *rest = line.get_text().split("\n")
                line.set_text("\n".join([first, " ".join(rest)]) if rest else first)
            trim_to_width(line, right=_RIGHT)
            drawn.append(line)
            y = float(to_fig.transform((0.0, line.get_window_extent(renderer).y0))[1]) - 0.0015
        if y < _COMPACT_BOTTOM and n > 0:  # no room for this category: leave it out
            for line in drawn:
                line.remove()
            return n, texts
        texts += drawn
        y -= _LINE * 0.3
    return len(rows), texts
