"""Bus & Bahn on the Steckbrief: the figures, the named villages and their tables.

A Steckbrief of the ``pt`` mode (:mod:`erreichbarkeit.report.steckbrief`)
shows, below the map,

* the key figures per category with the departure window („Abfahrt“) and
  the children-weighted median car factor („Faktor zum Auto“),
* the worst-served villages with their Bus & Bahn minutes, car factor, note
  („kein ÖPNV-Angebot“, „Faktor über 2“ …) and, for afternoon offers, the
  way home („zurück bis 19:00: ja/nein“),
* the villages named per category: without departure in the window („kein
  ÖPNV-Angebot im Zeitfenster“), with too few trips, with a car factor over 2
  and, for afternoon offers, without a way home in time.

A Steckbrief of another mode of a run with Bus & Bahn carries a small box
„Mit Bus & Bahn“ (:func:`draw_transit_box`).  The numbers come from pure
functions over the village table (:func:`transit_facts`,
:func:`transit_worst_rows`), tested with small hand-made tables; every table
title names the age group and the reference day, every row its window.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from erreichbarkeit.analysis.transit import FACTOR_LIMIT, NO_PT, clock, gemeinde_transit
from erreichbarkeit.config import age_column, format_window
from erreichbarkeit.report.mapplot import draw_table
from erreichbarkeit.report.steckbrief_data import format_de, steckbrief_kpis
from erreichbarkeit.report.transit_layers import day_de, transit_day
from erreichbarkeit.results import Results

__all__ = [
    "TRANSIT_NOTES",
    "draw_transit_body",
    "draw_transit_box",
    "factor_text",
    "name_list",
    "transit_facts",
    "transit_worst_rows",
]

#: The footnote of a Bus & Bahn Steckbrief ({home}: „19:00“, {stay}: „90“).
TRANSIT_NOTES = (
    "Bus & Bahn: Minuten von Tür zu Tür mit Fußwegen und Wartezeit, Median über alle "
    "Abfahrtsminuten im Zeitfenster des Angebots am Stichtag (nie langsamer als zu Fuß). "
    "Faktor zum Auto: Minuten Bus & Bahn ÷ Minuten Auto zum jeweils nächsten Angebot, "
    "Median gewichtet mit den Kindern (Orte ohne Verbindung zählen als unendlich). "
    "„zurück bis {home}“: nur Nachmittagsangebote, nach {stay} min Aufenthalt."
)
_SHORT = {
    NO_PT: "kein ÖPNV-Angebot",
    "zu wenige Fahrten im Zeitfenster (Median über der Grenze)": "zu wenige Fahrten",
    "nur zu Fuß erreichbar": "nur zu Fuß",
    "Faktor über 2 (Bus & Bahn gegenüber Auto)": "Faktor über 2",
}
_RARE_PREFIX = "zu wenige Fahrten"
_ROW = 0.0135  # row height of the text lines (figure fraction), as the tables
_NAME_LINES = 10  # lines of named villages on one page
_NAME_WRAP = 128  # characters of a line of named villages
_PT_ROWS = 8  # rows of the worst-villages table of a Bus & Bahn page


# -- numbers ----------------------------------------------------------------------------


def factor_text(x: float) -> str:
    """The car factor the German way: ``2.44`` → ``"2,4"``; „—“ without a factor.

    Examples
    --------
    >>> factor_text(2.44), factor_text(float("nan"))
    ('2,4', '—')
    """
    return format_de(x, 1)


def name_list(names: Sequence[str], limit: int) -> str:
    """Names joined with commas in at most ``limit`` characters: „A, B … und 3 weitere“.

    Examples
    --------
    >>> name_list(["Altdorf", "Bergheim", "Dorfen", "Eckhof"], 32)
    'Altdorf … und 3 weitere'
    >>> name_list(["Au", "Berg"], 5)
    '2 Orte'
    """
    names = list(names)
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    for k in range(len(names) - 1, 0, -1):
        rest = len(names) - k
        cut = f"{', '.join(names[:k])} … und {rest} {'weiterer' if rest == 1 else 'weitere'}"
        if len(cut) <= limit:
            return cut
    return "1 Ort" if len(names) == 1 else f"{len(names)} Orte"


def _names(v: pd.DataFrame, mask: Any) -> tuple[str, ...]:
    return tuple(sorted(v.loc[mask, "name"].astype(str)))


def _fact_row(v: pd.DataFrame, cat: str, factor_median: float) -> dict[str, Any]:
    """The facts of one category (see :func:`transit_facts`)."""
    p = f"{cat}_pt"
    status = v[f"{p}_status"].fillna("").astype(str)
    factor = pd.to_numeric(v[f"{p}_factor"], errors="coerce")
    reached = pd.to_numeric(v[f"{p}_min"], errors="coerce").notna()
    afternoon = f"{p}_home_by" in v.columns
    home = v[f"{p}_home_by"].astype("boolean").fillna(False) if afternoon else None
    return {
        "category": cat,
        "n_villages": len(v),
        "factor_median": factor_median,
        "names_no_pt": _names(v, status == NO_PT),
        "names_rare": _names(v, status.str.startswith(_RARE_PREFIX)),
        "names_factor_over": _names(v, factor > FACTOR_LIMIT),
        "afternoon": afternoon,
        "n_home_asked": int(reached.sum()) if afternoon else 0,
        "n_home_yes": int((home & reached).sum()) if home is not None else 0,
        "names_home_no": _names(v, reached & ~home) if home is not None else (),
    }


def transit_facts(
    villages: pd.DataFrame, categories: Sequence[str], *, age_group: str
) -> pd.DataFrame:
    """Per category: the car factor and the villages a Bus & Bahn page names.

    Parameters
    ----------
    villages
        Village table (of a Gemeinde or the Kreis) with ``name``, the
        children column of ``age_group`` and the Bus & Bahn columns of
        :func:`erreichbarkeit.analysis.transit.transit_columns`
        (``<cat>_pt_min``, ``_factor``, ``_status``, for afternoon
        categories ``_home_by``).
    categories
        Categories, in the order of the rows.
    age_group
        Its children weight the median factor.

    Returns
    -------
    pandas.DataFrame
        ``category, n_villages, factor_median`` (children-weighted median of
        the villages' car factors, villages without a trip counted as beyond
        every factor, NaN when the median falls there), ``names_no_pt``
        (status „kein ÖPNV-Angebot im Zeitfenster“), ``names_rare`` (too few
        trips), ``names_factor_over`` (factor over 2), ``afternoon`` (the run
        checked the way home), ``n_home_asked`` (villages reached),
        ``n_home_yes`` and ``names_home_no`` (reached, but not home in time);
        the names as sorted tuples.
    """
    v = villages.assign(gemeinde="")
    medians = gemeinde_transit(v, categories, dict.fromkeys(categories, (age_group,)))
    by_cat = (
        medians.set_index("category")["factor_median"] if len(medians) else pd.Series(dtype=float)
    )
    rows = [_fact_row(v, c, float(by_cat.get(c, math.nan))) for c in categories]
    return pd.DataFrame(rows)


def _home_cell(r: pd.Series[Any], col: str) -> str:
    if col not in r.index:
        return "—"
    if not math.isfinite(float(r["_key"])):
        return "—"
    return "ja" if bool(r[col]) else "nein"


def transit_worst_rows(
    v: pd.DataFrame,
    *,
    cats: Sequence[str],
    age_group: str,
    per_category: int,
    limits: Mapping[str, float],
) -> tuple[list[list[str]], list[bool]]:
    """The worst-served villages by Bus & Bahn per category, as table rows.

    Returns
    -------
    tuple
        Rows ``[category, village, Gemeinde, minutes, car factor, note,
        home in time, children]`` (German text: „—“ without minutes (the
        note says why), without a factor or when the way home is not
        checked; „ja“/„nein“),
        unreachable first, then the slowest; and per row whether it is beyond
        the threshold (or unreachable).
    """
    rows: list[list[str]] = []
    beyond: list[bool] = []
    child = age_column(age_group)
    for cat in cats:
        p = f"{cat}_pt"
        part = v.assign(_key=pd.to_numeric(v[f"{p}_min"], errors="coerce").fillna(math.inf))
        part = part.sort_values(["_key", child], ascending=[False, False], kind="mergesort")
        for _, r in part.head(per_category).iterrows():
            minutes = float(r["_key"])
            status = str(r[f"{p}_status"]) if pd.notna(r[f"{p}_status"]) else ""
            rows.append(
                [
                    cat,
                    str(r["name"]),
                    str(r["gemeinde"]) if pd.notna(r.get("gemeinde")) else "",
                    format_de(minutes, 1),  # „—“: not reached, the note says why
                    factor_text(float(r[f"{p}_factor"])),
                    _SHORT.get(status, status),
                    _home_cell(r, f"{p}_home_by"),
                    format_de(float(r[child])),
                ]
            )
            beyond.append(not math.isfinite(minutes) or minutes > limits[cat])
    return rows, beyond


def _name_line(f: pd.Series[Any], label: str, home: str, lines: int) -> str:
    """The villages one category names, in at most ``lines`` lines of text."""
    parts = [
        (NO_PT, f["names_no_pt"]),
        ("zu wenige Fahrten im Zeitfenster", f["names_rare"]),
        ("Faktor zum Auto über 2", f["names_factor_over"]),
        (f"nicht zurück bis {home}", f["names_home_no"]),
    ]
    shown = [(t, n) for t, n in parts if n]
    if not shown:
        return f"{label}: kein Ort ohne ÖPNV-Angebot, keiner mit Faktor zum Auto über 2"
    room = _NAME_WRAP * lines - len(label) - 8 * lines
    body = "; ".join(
        f"{t}: {name_list(n, max(12, room // len(shown) - len(t) - 4))}" for t, n in shown
    )
    return f"{label}: {body}"


def name_lines(facts: pd.DataFrame, labels: Mapping[str, str], home: str) -> list[list[str]]:
    """Per category of :func:`transit_facts` its named villages as wrapped lines.

    Parameters
    ----------
    facts
        :func:`transit_facts`.
    labels
        The heading of each category (e.g. „Kita (06:30–08:00)“).
    home
        The latest arrival home („19:00“).

    Returns
    -------
    list[list[str]]
        Lines of at most 128 characters, together at most 10 (long lists end
        „… und 3 weitere“).
    """
    budget = max(1, _NAME_LINES // max(len(facts), 1))
    return [
        textwrap.wrap(
            _name_line(f, labels[str(f["category"])], home, budget),
            _NAME_WRAP,
            subsequent_indent="   ",
            max_lines=budget,
            placeholder=" …",
        )
        for _, f in facts.iterrows()
    ]


# -- page parts -------------------------------------------------------------------------


def _windows(results: Results, cats: Sequence[str]) -> dict[str, str]:
    return {c: format_window(results.settings.pt_window(c)) for c in cats}


def _day_text(results: Results) -> str:
    day = transit_day(results)
    return f"am {day_de(day)}" if day is not None else "am Stichtag"


def _kpi_rows(kpis: pd.DataFrame, facts: pd.DataFrame, windows: Mapping[str, str]) -> list[Any]:
    factor = facts.set_index("category")["factor_median"]
    return [
        [
            str(r["label"]),
            windows[str(r["category"])],
            f"{format_de(r['threshold'])} min",
            format_de(r["children_within"]),
            format_de(r["children_beyond"]),
            f"{r['n_underserved']} von {r['n_villages']}",
            str(r["median_text"]),
            factor_text(float(factor[r["category"]])),
        ]
        for _, r in kpis.iterrows()
    ]


def draw_transit_body(
    fig: Figure,
    results: Results,
    kpis: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    gemeinde_column: bool,
    age_group: str,
    title_note: str = "",
    floor: float = 0.0,
) -> tuple[float, Callable[[Figure, float, float], float] | None]:
    """The Bus & Bahn page below the map: key figures, worst villages, named villages.

    Everything stays above ``floor`` (the footer; figure fraction).  Returns
    the bottom of what it drew and, when the worst-villages table and the
    named villages do not fit below the key figures, the function drawing
    them on the next page (``rest(page, top, floor) -> bottom``).

    Parameters
    ----------
    fig
        The Steckbrief page.
    results, kpis, villages
        The run, :func:`steckbrief_kpis` of mode ``pt`` and the page's villages.
    gemeinde_column
        Whether the worst-villages table names the Gemeinde (the Kreis page).
    age_group
        The age group of every figure.
    title_note
        Appended to the key-figure title (partly covered Gemeinden).
    """
    cats = [str(c) for c in kpis["category"]]
    labels = dict(zip(cats, kpis["label"].astype(str), strict=True))
    age = age_group.replace("-", "–")
    windows = _windows(results, cats)
    facts = transit_facts(villages, cats, age_group=age_group)
    bottom = draw_table(
        fig, 0.525,
        ["Angebot", "Abfahrt", "Schwelle", "Kinder innerhalb", "Kinder außerhalb",
         "Orte unterversorgt", "Median", "Faktor zum Auto"],
        _kpi_rows(kpis, facts, windows),
        [0.15, 0.095, 0.085, 0.14, 0.14, 0.165, 0.085, 0.14],
        align=["left", "left", *["right"] * 6],
        title=f"Kennzahlen für Kinder {age} Jahre (Bus & Bahn, {_day_text(results)}){title_note}",
    )  # fmt: skip
    home = clock(float(results.settings.transit.home_by))
    lines = name_lines(facts, {c: f"{labels[c]} ({windows[c]})" for c in cats}, home)

    def rest(page: Figure, top: float, low: float) -> float:
        """The worst villages and the named villages from ``top``, above ``low``."""
        names_h = 0.028 + sum(_ROW * 0.85 * len(w) + 0.004 for w in lines)
        room = int((top - 0.010 - 0.045 - min(names_h, 0.12) - low) / _ROW)
        if room >= 1:
            top = _worst_pt_table(
                page, top - 0.010, kpis, villages, labels=labels, age_group=age_group,
                gemeinde_column=gemeinde_column, home=home, max_rows=room,
            )  # fmt: skip
        return _draw_name_block(page, top - 0.008, lines, floor=low)

    rows = min(3, _PT_ROWS // max(len(cats), 1)) * len(cats)
    if bottom - 0.2 - _ROW * rows < floor:  # the rest does not fit: on the next page
        return bottom, rest
    return rest(fig, bottom, floor), None


def _worst_pt_table(
    fig: Figure,
    top: float,
    kpis: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    gemeinde_column: bool,
    age_group: str,
    home: str,
    max_rows: int = 99,
) -> float:
    """The worst-served villages by Bus & Bahn (red: beyond the threshold); return the bottom.

    At most ``max_rows`` rows (the first categories' when there are many).
    """
    cats = [str(c) for c in kpis["category"]]
    per_cat = max(1, min(3, _PT_ROWS // max(len(cats), 1)))
    limits = dict(zip(cats, kpis["threshold"].astype(float), strict=True))
    rows, beyond = transit_worst_rows(
        villages, cats=cats, age_group=age_group, per_category=per_cat, limits=limits
    )
    rows, beyond = rows[:max_rows], beyond[:max_rows]
    for row in rows:
        row[0] = labels.get(row[0], row[0])
    header = ["Angebot", "Ort", "Gemeinde", "Minuten", "Faktor zum Auto", "Hinweis",
              f"zurück bis {home}", f"Kinder {age_group.replace('-', '–')}"]  # fmt: skip
    widths = [0.13, 0.13, 0.13, 0.075, 0.14, 0.15, 0.15, 0.095]
    if not gemeinde_column:
        rows = [[r[0], r[1], *r[3:]] for r in rows]
        header = [header[0], header[1], *header[3:]]
        widths = [0.17, 0.19, 0.09, 0.15, 0.17, 0.145, 0.085]
    return draw_table(
        fig, top, header, rows, widths,
        align=["left", "left", *(["left"] if gemeinde_column else []),
               "right", "right", "left", "right", "right"],
        highlight=beyond,
        title=(
            f"Am schlechtesten mit Bus & Bahn erreichbare Orte (je Angebot bis zu {per_cat}; "
            "rot: über der Schwelle)"
        ),
    )  # fmt: skip


def _draw_name_block(
    fig: Figure, top: float, lines: Sequence[Sequence[str]], *, floor: float = 0.0
) -> float:
    """„Orte ohne ÖPNV-Angebot und mit Faktor über 2“: one wrapped paragraph per category.

    Paragraphs that would reach below ``floor`` are left out with a note.
    """
    fig.text(
        0.06, top, "Genannte Orte je Angebot (Zeitfenster in Klammern)", fontsize=9.5,
        fontweight="bold", va="top",
    )  # fmt: skip
    y = top - 0.020
    for k, wrapped in enumerate(lines):
        height = _ROW * 0.85 * len(wrapped) + 0.004
        if y - height - _ROW < floor and k < len(lines) - 1:
            fig.text(0.06, y, f"… {len(lines) - k} weitere Angebote: siehe „Alle Orte“",
                     fontsize=7.2, va="top", color="#444444")  # fmt: skip
            return y - _ROW
        fig.text(0.06, y, "\n".join(wrapped), fontsize=7.2, va="top", linespacing=1.25)
        y -= height
    return y


def draw_transit_box(
    fig: Figure,
    top: float,
    results: Results,
    *,
    ags: str | None,
    age_group: str,
    categories: Sequence[str],
) -> float:
    """The small „Mit Bus & Bahn“ table of a page of another mode; return its bottom.

    Per category: the window, the children-weighted median Bus & Bahn
    minutes, the villages without departure in the window and the median car
    factor, for the page's villages and age group on the reference day.
    """
    kpis = steckbrief_kpis(results, ags=ags, mode="pt", age_group=age_group, categories=categories)
    v = results.villages
    if ags is not None:
        v = v[v["ags"].astype(str) == ags]
    cats = [str(c) for c in kpis["category"]]
    facts = transit_facts(v, cats, age_group=age_group).set_index("category")
    windows = _windows(results, cats)
    rows = [
        [
            str(r["label"]),
            windows[str(r["category"])],
            str(r["median_text"]),
            f"{len(facts.loc[r['category'], 'names_no_pt'])} von {r['n_villages']}",
            factor_text(float(facts.loc[r["category"], "factor_median"])),
            f"{len(facts.loc[r['category'], 'names_factor_over'])} von {r['n_villages']}",
        ]
        for _, r in kpis.iterrows()
    ]
    age = age_group.replace("-", "–")
    return draw_table(
        fig, top,
        ["Angebot", "Abfahrt", "Median", "Orte ohne ÖPNV-Angebot", "Faktor zum Auto",
         "Orte mit Faktor über 2"],
        rows,
        [0.20, 0.12, 0.12, 0.21, 0.15, 0.20],
        align=["left", "left", "right", "right", "right", "right"],
        title=f"Mit Bus & Bahn (Kinder {age} Jahre, {_day_text(results)})",
    )  # fmt: skip
