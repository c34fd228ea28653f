"""The numbers of a Steckbrief: the Gemeinden, key figures and worst-served villages.

The key figures are those of the dashboard's KPI cards
(:func:`erreichbarkeit.analysis.indicators.kreis_summary`) for one Gemeinde
or the whole Kreis, one age group and one mode; the page itself is drawn by
:mod:`erreichbarkeit.report.steckbrief`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit._helpers import number_de
from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import group_min_column, offers_for_group
from erreichbarkeit.analysis.area import area_rows
from erreichbarkeit.config import WGS84, age_column
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.results import Results

__all__ = [
    "CONTEXT_NOTE_DE",
    "area_extent",
    "area_villages",
    "covered_note",
    "find_gemeinde",
    "format_de",
    "gemeinden_of",
    "group_offers",
    "has_outside",
    "minutes_column",
    "steckbrief_kpis",
    "worst_villages",
]


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
    """Minutes of ``category``: from ``thresholds`` or the settings for ``mode``."""
    if thresholds and category in thresholds:
        return float(thresholds[category])
    return results.settings.threshold(category, mode)


def area_villages(villages: pd.DataFrame) -> pd.DataFrame:
    """The villages of the analysis area (``in_area``); all of them without the column.

    Villages outside the area stay destinations and context (maps), but the
    area's key figures, Steckbriefe and lists cover only the area's villages.
    """
    return area_rows(villages)


def has_outside(results: Results) -> bool:
    """True when some villages of the data lie outside the analysis area."""
    v = results.villages
    return "in_area" in v.columns and not bool(v["in_area"].astype("boolean").fillna(False).all())


#: The print map's note on the grey villages and Gemeinden outside the analysis area.
CONTEXT_NOTE_DE = "Grau: Orte und Gemeinden außerhalb des Auswertungsgebiets (zählen als Ziele)"


def area_extent(results: Results) -> tuple[float, float, float, float] | None:
    """Lon/lat extent of the analysis area's villages and Gemeinden; ``None``: all in the area."""
    if not has_outside(results):
        return None
    parts = [gpd.GeoSeries(area_villages(results.villages).geometry, crs=WGS84)]
    bnd = results.boundaries
    if "in_area" in bnd.columns:
        parts.append(bnd.geometry[bnd["in_area"].astype(bool)].to_crs(WGS84))
    b = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=WGS84).total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def gemeinden_of(results: Results) -> pd.DataFrame:
    """The Gemeinden that get a Steckbrief: ``ags, gemeinde, n_villages``, by AGS.

    Gemeinden of the analysis area (villages with ``in_area``) with at least
    one village; for results without ``in_area`` but boundaries with
    ``in_kreis`` (regions made by ``erreichbarkeit prepare``), those of the Kreis.
    """
    v = results.villages
    v = area_villages(v[v["ags"].notna()])
    table = (
        v.groupby(["ags", "gemeinde"], sort=True, dropna=False)
        .size()
        .rename("n_villages")
        .reset_index()
    )
    bnd = results.boundaries
    if "in_area" not in results.villages.columns and "in_kreis" in bnd.columns:
        inside = set(bnd.loc[bnd["in_kreis"].fillna(False).astype(bool), "ags"].astype(str))
        table = table[table["ags"].astype(str).isin(inside)]
    return pd.DataFrame(table.reset_index(drop=True))


def find_gemeinde(results: Results, ags: str) -> tuple[str, str]:
    """``(ags, gemeinde)`` of the Gemeinde with this AGS among :func:`gemeinden_of`.

    Raises
    ------
    ConfigError
        No Gemeinde of the results has this AGS.
    """
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


def minutes_column(villages: pd.DataFrame, category: str, mode: str, age_group: str) -> str:
    """The minutes a page shows for ``age_group``: to the nearest offer serving it.

    ``<category>_<mode>_min_<group>`` where the run computed minutes per age
    group (offers serving only some ages), else ``<category>_<mode>_min`` —
    the same minutes the key figures count.
    """
    own = group_min_column(category, mode, age_group)
    return own if own in villages.columns else f"{category}_{mode}_min"


def group_offers(results: Results, category: str, age_group: str) -> pd.DataFrame:
    """The offers of ``category`` that count for ``age_group`` (those the minutes lead to)."""
    offers = results.offers[results.offers["category"] == category]
    defaults = {k: c.age_groups for k, c in results.settings.categories().items()}
    return offers_for_group(offers, age_group, defaults) if len(offers) else offers


# -- numbers ----------------------------------------------------------------------------


def format_de(x: float, digits: int = 0) -> str:
    """German number (``1.234``, ``8,5``); „—“ when there is no number (None, NaN, ±inf)."""
    return number_de(x, digits)


def _kpi_row(r: pd.Series[Any], *, label: str | None, limit: float, total: float) -> dict[str, Any]:
    """One Steckbrief key-figure row from a :func:`kreis_summary` row."""
    cat = str(r["category"])
    beyond = float(r["children_beyond"])
    return {
        "category": cat,
        "label": label or cat,
        "threshold": limit,
        "children_total": total,
        "children_within": total - beyond,
        "children_beyond": beyond,
        "n_villages": int(r["n_villages"]),
        "n_underserved": int(r["n_underserved"]),
        "median_min": float(r["children_median_min"]),
        "median_beyond": bool(r["children_median_beyond"]),
        "median_text": indicators.format_median_de(
            r["children_median_min"], r["children_median_beyond"]
        ),
        "share_no_offer": float(r["share_children_no_offer"]),
        "share_children_covered": float(r["share_children_covered"]),
    }


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
        The Gemeinde; ``None`` = all villages of the analysis area
        (``in_area``; see :func:`area_villages`).
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
        children_beyond, n_villages, n_underserved, median_min,
        median_beyond, median_text, share_no_offer, share_children_covered``.
        Villages without a reachable offer count as beyond the threshold and
        as beyond the cutoff in the median (censored, never left out):
        ``median_min`` is then the cutoff, ``median_beyond`` True and
        ``median_text`` „> 90 min“.  For the whole region (``ags`` None) the
        figures cover the villages of fully covered Gemeinden when the run
        flags partly covered ones (``gemeinde_partial``); a Gemeinde's own
        Steckbrief covers all its villages.

    Raises
    ------
    ConfigError
        Unknown AGS, mode, age group or category.
    """
    results.check_choice(mode, age_group)
    cats = _categories(results, age_group, categories)
    v = area_villages(results.villages)
    if ags is not None:
        ags, _ = find_gemeinde(results, ags)
        v = v[v["ags"].astype(str) == ags].drop(columns=["gemeinde_partial"], errors="ignore")
    table = results.settings.categories()
    limits = {c: _threshold(results, c, mode, thresholds) for c in cats}
    summary = indicators.kreis_summary(
        v,
        categories=cats,
        modes=(mode,),
        threshold=lambda c, _m: limits[c],
        age_groups=dict.fromkeys(cats, (age_group,)),
        cutoff=results.settings.routing.cutoff_minutes,
    )
    if "gemeinde_partial" in v.columns:  # the same villages the summary covers
        v = v[~v["gemeinde_partial"].astype("boolean").fillna(False).to_numpy(bool)]
    total = float(pd.to_numeric(v[age_column(age_group)], errors="coerce").fillna(0.0).sum())
    rows = [
        _kpi_row(r, label=table[str(r["category"])].label if r["category"] in table else None,
                 limit=limits[str(r["category"])], total=total)
        for _, r in summary.iterrows()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def covered_note(kpis: pd.DataFrame) -> str:
    """„ · ohne nur teilweise erfasste Gemeinden (80 % der Kinder)“ when the figures cover less.

    Empty when every village counts (``share_children_covered`` 1 or missing).
    """
    if "share_children_covered" not in kpis or kpis.empty:
        return ""
    share = float(pd.to_numeric(kpis["share_children_covered"], errors="coerce").min())
    if not math.isfinite(share) or share >= 1.0:
        return ""
    return f" · nur vollständig erfasste Gemeinden ({format_de(100 * share)} % der Kinder)"


def worst_villages(
    v: pd.DataFrame,
    *,
    cats: Sequence[str],
    mode: str,
    age_group: str,
    per_category: int,
    limits: Mapping[str, float],
) -> tuple[list[list[str]], list[bool]]:
    """The worst-served villages per category, as table rows.

    Returns
    -------
    tuple
        Rows ``[category, village, Gemeinde, minutes, km, children]`` (German
        number text), unreachable first, then the slowest; and per row whether
        it is beyond the threshold (or unreachable).
    """
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
                    "nicht erreichbar" if math.isnan(minutes) else format_de(minutes, 1),
                    format_de(float(r[f"{p}_km"]), 1),
                    format_de(float(r[child])),
                ]
            )
            beyond.append(math.isnan(minutes) or minutes > limits[cat])
    return table_rows, beyond
