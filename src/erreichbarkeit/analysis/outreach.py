"""Offers that come to the family („aufsuchende Angebote“) in the indicators.

A mobile or outreach offer (Familienhebamme, Willkommensbesuch, aufsuchende
Jugendarbeit) has no one place; the planners list the villages it serves
(:func:`erreichbarkeit.io.outreach.read_outreach`).  The rule:

* The villages carry, per category ``c`` with an outreach offer, the flag
  ``c_outreach`` (bool), the offers' names ``c_outreach_name`` and the age
  groups served ``c_outreach_serves`` (``"0-3;3-6"``) — added once to the
  run's villages (:func:`outreach_columns`), so every village table built
  from them (run, dashboard view, scenario) keeps them.
* :func:`with_outreach` (called at the end of
  :func:`~erreichbarkeit.analysis.indicators.village_table`): a served
  village counts as within the threshold for every mode
  (``c_m_within`` True).  Its ``c_m_min`` stays the minutes to the nearest
  **stationary** offer (never 0): tables and the map show „aufsuchend
  (<Name>)“ in its place; exports keep the number next to the flag.
* :func:`gemeinde_long` and :func:`kreis_summary` (re-exported by
  :mod:`erreichbarkeit.analysis.indicators`): the medians and means of
  minutes cover the stationary offers (the plain figures, unchanged); the
  children of an outreach-served village (of the age groups the outreach
  offer serves) are **not** beyond the threshold (``children_beyond``,
  ``share_children_beyond``, ``n_underserved``, ``underserved_villages``);
  ``share_children_outreach`` (0…1, next to the medians) is the share of the
  category's children living in villages served by outreach.  Without any
  ``c_outreach`` column both are the plain functions of
  :mod:`erreichbarkeit.analysis.summaries`.

Nothing here reads files; no input is modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.analysis import summaries
from erreichbarkeit.analysis.age_offers import default_age_groups, group_min_column
from erreichbarkeit.config.ages import join_groups, split_groups

__all__ = [
    "OUTREACH_METHOD_DE",
    "OUTREACH_SHARE_COLUMN",
    "flag_column",
    "gemeinde_long",
    "kreis_summary",
    "name_column",
    "outreach_categories",
    "outreach_columns",
    "outreach_flag",
    "outreach_for_group",
    "outreach_notes_de",
    "serves_column",
    "with_outreach",
]

#: The rule as the Methodik sheet states it (German).
OUTREACH_METHOD_DE = (
    "Aufsuchende Angebote (z. B. Familienhebamme, Willkommensbesuch, aufsuchende "
    "Jugendarbeit) sind je Gemeinde oder Ort angegeben statt als Standort. Ein so versorgter "
    "Ort gilt für die Kategorie (und die Altersgruppen des Angebots) bei jedem Verkehrsmittel "
    "als innerhalb des Schwellenwerts: seine Kinder zählen nicht zu den Kindern ohne Angebot "
    "im Schwellenwert, der Ort nicht zu den unterversorgten. Karte und Tabellen zeigen "
    "„aufsuchend (<Name>)“ statt der Minuten; die Minuten-Spalten, Mediane und Mittelwerte "
    "gelten weiter dem nächsten festen Angebot. Daneben steht der Anteil der Kinder in Orten "
    "mit aufsuchendem Angebot."
)
#: Summary column: share (0…1) of the category's children in outreach-served villages.
OUTREACH_SHARE_COLUMN = "share_children_outreach"
#: Summary columns taken from the outreach-aware computation (the rest stay stationary).
_WITHIN_COLUMNS = ("children_beyond", "share_children_beyond", "n_underserved",
                   "underserved_villages")  # fmt: skip
_Summary = Callable[..., pd.DataFrame]


def outreach_notes_de(share: float) -> list[str]:
    """The key-figure line „Kinder in Orten mit aufsuchendem Angebot: 27 %“ (none for NaN)."""
    if share is None or math.isnan(share):
        return []
    return [f"Kinder in Orten mit aufsuchendem Angebot: {100 * share:.0f} %"]


def flag_column(category: str) -> str:
    """The village column flagging outreach service: ``"hebamme_outreach"``."""
    return f"{category}_outreach"


def name_column(category: str) -> str:
    """The village column with the outreach offers' names."""
    return f"{category}_outreach_name"


def serves_column(category: str) -> str:
    """The village column with the age groups the outreach offers serve."""
    return f"{category}_outreach_serves"


def outreach_flag(table: pd.DataFrame, category: str) -> pd.Series:
    """The villages' outreach flag of ``category`` as bool (all False without the column)."""
    if flag_column(category) not in table.columns:
        return pd.Series(False, index=table.index, dtype=bool)
    return table[flag_column(category)].astype("boolean").fillna(False).astype(bool)


def outreach_categories(table: pd.DataFrame, categories: Sequence[str]) -> tuple[str, ...]:
    """The categories of ``categories`` whose outreach flag column ``table`` has."""
    return tuple(c for c in categories if flag_column(c) in table.columns)


def outreach_columns(villages: pd.DataFrame, served: pd.DataFrame) -> pd.DataFrame:
    """The villages with the outreach columns of every category in ``served``.

    Parameters
    ----------
    villages
        Villages with ``id`` (other columns are kept; a GeoDataFrame stays one).
    served
        ``village_id, category, name, serves`` (one row per village ×
        category × offer, :data:`erreichbarkeit.io.outreach.OUTREACH_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        A copy with ``c_outreach`` (bool), ``c_outreach_name`` (names joined
        by „; “, ``""`` when not served) and ``c_outreach_serves`` (the union
        of the age groups served, ``""`` when not served) per category.
    """
    require_columns(villages, ("id",), "villages")
    out = villages.copy()
    if served.empty:
        return out
    require_columns(served, ("village_id", "category", "name", "serves"), "outreach")
    ids = out["id"].astype(str)
    for cat, part in served.groupby("category", sort=True):
        by_village = part.assign(village_id=part["village_id"].astype(str)).groupby("village_id")
        names = by_village["name"].agg(lambda s: "; ".join(dict.fromkeys(map(str, s))))
        groups = by_village["serves"].agg(
            lambda s: join_groups({g for text in s for g in split_groups(text)})
        )
        out[flag_column(str(cat))] = ids.isin(names.index).to_numpy()
        out[name_column(str(cat))] = ids.map(names).fillna("").to_numpy()
        out[serves_column(str(cat))] = ids.map(groups).fillna("").to_numpy()
    return out


def outreach_for_group(villages: pd.DataFrame, age_group: str) -> pd.DataFrame:
    """The villages with outreach kept only where it serves ``age_group`` (a dashboard view).

    A village whose outreach offers of a category do not serve the group
    gets the flag False and empty name and age groups for that category.
    """
    cats = [c[: -len("_outreach")] for c in villages.columns if str(c).endswith("_outreach")]
    if not cats:
        return villages
    out = villages.copy()
    for cat in cats:
        if serves_column(cat) not in out.columns:
            continue
        keep = out[serves_column(cat)].map(lambda t: age_group in split_groups(t)).astype(bool)
        keep &= out[flag_column(cat)].fillna(False).astype(bool)
        out[flag_column(cat)] = keep.to_numpy()
        out[name_column(cat)] = out[name_column(cat)].where(keep, "")
        out[serves_column(cat)] = out[serves_column(cat)].where(keep, "")
    return out


def with_outreach(
    village_table: pd.DataFrame, *, categories: Sequence[str], modes: Sequence[str]
) -> pd.DataFrame:
    """The village table with outreach-served villages within the threshold.

    For every category with a ``c_outreach`` column and every mode,
    ``c_m_within`` becomes True where the flag is set; ``c_m_min`` (the
    nearest stationary offer) and ``c_m_n_within`` (stationary offers within
    the threshold) are kept.  Returned unchanged (the same object) without
    outreach columns.
    """
    cats = outreach_categories(village_table, categories)
    if not cats:
        return village_table
    out = village_table.copy()
    for cat in cats:
        flag = out[flag_column(cat)].fillna(False).astype(bool).to_numpy()
        for mode in modes:
            col = f"{cat}_{mode}_within"
            if col in out.columns:
                out[col] = out[col].fillna(False).astype(bool).to_numpy() | flag
    return out


def _served(table: pd.DataFrame, cat: str, groups: Sequence[str]) -> np.ndarray[Any, Any]:
    """``(villages, groups)`` bool: the village's outreach of ``cat`` serves the group."""
    flag = table[flag_column(cat)].fillna(False).astype(bool).to_numpy()
    if serves_column(cat) not in table.columns:
        return np.repeat(flag[:, None], len(groups), axis=1)
    serves = [set(split_groups(t)) for t in table[serves_column(cat)]]
    return np.array(
        [[bool(f) and g in s for g in groups] for f, s in zip(flag, serves, strict=True)],
        dtype=bool,
    ).reshape(len(table), len(groups))


def _with_minutes(  # noqa: PLR0917 (private helper of the summaries)
    table: pd.DataFrame,
    categories: Sequence[str],
    modes: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    served_value: float,
    other_value: float | None,
) -> pd.DataFrame:
    """A copy whose minutes are ``served_value`` where outreach serves (per age group).

    ``other_value`` replaces the other minutes (``None``: kept).  Where an
    outreach offer serves only some of a category's age groups, per-group
    minute columns (:func:`group_min_column`) are added so that the
    summaries count each group's children on their own.
    """
    # new columns are collected and joined once: inserting them one by one
    # fragments the frame (pandas PerformanceWarning) on tables with many categories
    new: dict[str, np.ndarray[Any, Any]] = {}

    def column(name: str) -> np.ndarray[Any, Any]:
        return new[name] if name in new else table[name].to_numpy("float64")

    for cat in categories:
        gs = list(groups[cat])
        has_flag = flag_column(cat) in table.columns
        served = _served(table, cat, gs) if has_flag else np.zeros((len(table), len(gs)), bool)
        partly = bool((served.any(axis=1) & ~served.all(axis=1)).any())
        for mode in modes:
            base = f"{cat}_{mode}_min"
            cols = [group_min_column(cat, mode, g) for g in gs]
            if partly:
                for col in cols:
                    if col not in table.columns and col not in new:
                        new[col] = column(base)
            if all(c in table.columns or c in new for c in cols):
                for j, col in enumerate(cols):
                    keep = column(col) if other_value is None else other_value
                    new[col] = np.where(served[:, j], served_value, keep)
            keep_base = column(base) if other_value is None else other_value
            new[base] = np.where(served.all(axis=1) & (len(gs) > 0), served_value, keep_base)
    out = table.drop(columns=[c for c in new if c in table.columns])
    return pd.concat([out, pd.DataFrame(new, index=table.index)], axis=1)


def _outreach_aware(
    summarise: _Summary, village_table: pd.DataFrame, **options: Any
) -> pd.DataFrame:
    """``summarise`` with the outreach rule (see the module docstring)."""
    plain = summarise(village_table, **options)
    categories = tuple(options["categories"])
    if not outreach_categories(village_table, categories):
        return plain
    modes = tuple(options["modes"])
    given = options.get("age_groups")
    groups = default_age_groups(categories) if given is None else given
    cats = outreach_categories(village_table, categories)
    within = summarise(_with_minutes(village_table, cats, modes, groups, 0.0, None), **options)
    share = summarise(
        _with_minutes(village_table, categories, modes, groups, 0.0, np.nan), **options
    )
    out = plain.copy()
    for col in _WITHIN_COLUMNS:
        out[col] = within[col].to_numpy()
    at = list(out.columns).index("children_median_beyond") + 1
    out.insert(
        at, OUTREACH_SHARE_COLUMN, 1.0 - share["share_children_no_offer"].to_numpy("float64")
    )
    return out


def gemeinde_long(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: summaries.Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
    cutoff: float = summaries.DEFAULT_CUTOFF_MINUTES,
) -> pd.DataFrame:
    """:func:`erreichbarkeit.analysis.summaries.gemeinde_long` with the outreach rule.

    Parameters and result as there; with outreach columns in
    ``village_table`` the children beyond the threshold leave out the
    outreach-served children and ``share_children_outreach`` follows
    ``children_median_beyond``.
    """
    return _outreach_aware(
        summaries.gemeinde_long, village_table, categories=categories, modes=modes,
        threshold=threshold, age_groups=age_groups, cutoff=cutoff,
    )  # fmt: skip


def kreis_summary(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: summaries.Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
    cutoff: float = summaries.DEFAULT_CUTOFF_MINUTES,
) -> pd.DataFrame:
    """:func:`erreichbarkeit.analysis.summaries.kreis_summary` with the outreach rule.

    Parameters and result as there (see :func:`gemeinde_long` here).
    """
    return _outreach_aware(
        summaries.kreis_summary, village_table, categories=categories, modes=modes,
        threshold=threshold, age_groups=age_groups, cutoff=cutoff,
    )  # fmt: skip
