"""The dashboard's key figures: per view and category, and of the grid (no Streamlit)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.analysis.indicators import format_median_de
from erreichbarkeit.analysis.outreach import outreach_notes_de
from erreichbarkeit.analysis.transit import NO_PT
from erreichbarkeit.config import age_column, format_window
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.tables import format_day, format_int, format_threshold
from erreichbarkeit.ui.views import View

__all__ = ["grid_kpi_tables", "kpi_notes", "kpis", "median_text", "no_pt_count", "pt_caption"]


def kpis(view: View, category: str) -> dict[str, float]:
    """The KPI numbers of one category.

    Returns
    -------
    dict
        ``children_within``, ``children_beyond`` (children of the chosen age
        group; exactly at the threshold counts as within), ``underserved``
        (villages beyond the threshold or without an offer), ``median_min``
        (children-weighted lower median minutes, villages without a reachable
        offer counted as beyond the cutoff; the cutoff when censored),
        ``median_beyond`` (1.0 when the median is beyond the cutoff, else
        0.0) and ``share_no_offer`` (0…1, children without a reachable offer).
        All NaN when the view has no figures for the category.
    """
    row = view.kreis[(view.kreis["category"] == category) & (view.kreis["mode"] == view.mode)]
    if row.empty:
        keys = ("children_within", "children_beyond", "underserved", "median_min")
        return {**dict.fromkeys(keys, math.nan), "median_beyond": 0.0, "share_no_offer": math.nan}
    r = row.iloc[0]
    total = float(pd.to_numeric(view.villages[age_column(view.age_group)]).fillna(0).sum())
    beyond = float(r["children_beyond"])
    return {
        "children_within": total - beyond,
        "children_beyond": beyond,
        "underserved": float(r["n_underserved"]),
        "median_min": float(r["children_median_min"]),
        "median_beyond": 1.0 if bool(r["children_median_beyond"]) else 0.0,
        "share_no_offer": float(r["share_children_no_offer"]),
        "share_outreach": float(r.get("share_children_outreach", math.nan)),  # aufsuchend
    }


def no_pt_count(view: View, category: str) -> float:
    """Villages without a Bus & Bahn offer in the window (NaN outside Bus & Bahn).

    Counts the villages whose status is „kein ÖPNV-Angebot im Zeitfenster“
    (:data:`erreichbarkeit.analysis.transit.NO_PT`).
    """
    column = f"{category}_pt_status"
    if view.mode != "pt" or column not in view.villages.columns:
        return math.nan
    return float((view.villages[column].astype(str) == NO_PT).sum())


def pt_caption(results: Results, category: str) -> str:
    """„Bus & Bahn: Abfahrt 06:30–08:00, Stichtag Di 10.03.2026“ ("" without a timetable)."""
    timetable = results.inputs.timetable
    if "pt" not in results.settings.modes or timetable is None:
        return ""
    return texts.PT_WINDOW_CAPTION.format(
        window=format_window(results.settings.pt_window(category)),
        day=format_day(getattr(timetable, "day", None)),
    )


def median_text(k: Mapping[str, float]) -> str:
    """The median of :func:`kpis` as a person reads it: „3,3 min“, „> 90 min“ or „—“."""
    return format_median_de(k["median_min"], bool(k.get("median_beyond", 0.0)))


def kpi_notes(view: View, category: str) -> list[str]:
    """Key figures of one category as short German lines (for the print map)."""
    k = kpis(view, category)
    age = view.age_group.replace("-", "–")
    total = k["children_within"] + k["children_beyond"]
    share = 100 * k["children_beyond"] / total if total > 0 else math.nan
    share_text = "" if math.isnan(share) else f" ({share:.0f} %)".replace(".", ",")
    return [
        texts.NOTE_BEYOND.format(
            age=age,
            minutes=format_threshold(view, category),
            n=format_int(k["children_beyond"]),
            share=share_text,
        ),
        texts.NOTE_UNDERSERVED.format(n=format_int(k["underserved"])),
        texts.NOTE_MEDIAN.format(age=age, median=median_text(k)),
        *outreach_notes_de(k.get("share_outreach", math.nan)),
    ]


def _pct(x: Any) -> float:
    """A share (0…1) as percent with one decimal; NaN when missing."""
    return round(100 * float(x), 1) if x is not None and not pd.isna(x) else math.nan


def _minutes(x: Any) -> float:
    """Minutes with one decimal; NaN when missing."""
    return round(float(x), 1) if x is not None and not pd.isna(x) else math.nan


def _grid_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """One row of the grid key figures with German headers."""
    population = row["population"]
    out: dict[str, Any] = {
        texts.GRID_COL_POP: round(float(population), 0) if not pd.isna(population) else math.nan,
        texts.GRID_COL_CELLS: int(row["n_cells"]),
        # numeric and sortable; the flag column says when it is beyond the cutoff
        texts.GRID_COL_MEDIAN: _minutes(row["pop_median_min"]),
        texts.GRID_COL_MEDIAN_BEYOND: bool(row.get("pop_median_beyond", False)),
        texts.GRID_COL_MEAN: _minutes(row["pop_mean_min_reachable"]),
    }
    for b in (5, 10, 15, 20):
        out[texts.GRID_COL_WITHIN.format(minutes=b)] = _pct(row.get(f"share_within_{b}"))
    out[texts.GRID_COL_UNREACHABLE] = _pct(row.get("share_unreachable"))
    return out


def grid_kpi_tables(
    grid: GridResult, category: str, mode: str
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The grid key figures of one category and mode with German headers.

    Returns
    -------
    tuple
        ``(kreis, gemeinden, weighting)``: one row for the region and one per
        Gemeinde (sorted by the share within 10 minutes, lowest first) with
        Einwohner, Zellen, the median minutes (the cutoff when censored)
        with the flag „über Grenze“, the mean over reachable cells, and the
        shares (%) within 5/10/15/20 minutes and without a reachable offer; ``weighting`` is
        the library's weighting basis (``Einwohner`` or the area basis).
        Empty tables when the grid has no figures for the category and mode.
    """
    k = grid.kreis[(grid.kreis["category"] == category) & (grid.kreis["mode"] == mode)]
    g = grid.gemeinde[(grid.gemeinde["category"] == category) & (grid.gemeinde["mode"] == mode)]
    weighting = str(k["weighting"].iloc[0]) if len(k) and "weighting" in k else ""
    kreis = pd.DataFrame(
        [{texts.GRID_COL_AREA: texts.GRID_REGION, **_grid_row(r)} for r in k.to_dict("records")]
    )
    rows = [
        {texts.COL_GEMEINDE: r["gemeinde"], "AGS": str(r["ags"]), **_grid_row(r)}
        for r in g.to_dict("records")
    ]
    gem = pd.DataFrame(rows)
    within10 = texts.GRID_COL_WITHIN.format(minutes=10)
    if len(gem):
        gem = gem.sort_values([within10, texts.COL_GEMEINDE], kind="mergesort")
        gem = gem.reset_index(drop=True)
    return kreis, gem, weighting
