"""Gemeinde and Kreis summaries of the village table: weighted statistics.

The village table (:func:`erreichbarkeit.analysis.indicators.village_table`)
holds each village's minutes to the nearest offer per category and mode;
here they are summarised per Gemeinde (:func:`gemeinde_long`,
:func:`gemeinde_table`) and over the Kreis (:func:`kreis_summary`).

Weighted statistics
-------------------
For one category and mode, let ``t_v`` be village *v*'s minutes to its
nearest offer (NaN when none is reachable) and ``w_v`` a weight
(population, or the children of the category's age groups; NaN weights
count as 0).

* ``*_mean_min = Σ w_v·t_v / Σ w_v`` over villages with finite ``t_v``;
* ``*_median_min`` = lower weighted median (:func:`weighted_median`) over the
  same villages;
* villages with NaN ``t_v`` (no offer reachable, or not snapped to the road
  network) are **left out of mean and median** — there is no finite travel
  time to average — but their children **count as beyond the threshold**:
  ``children_beyond = Σ children_v`` over villages with ``t_v > threshold``
  or ``t_v`` NaN, and ``share_children_beyond = children_beyond / Σ children_v``
  over all villages (NaN when there are no children);
* a village is *underserved* when ``t_v > threshold`` or ``t_v`` is NaN,
  whatever its population.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.config import age_column, load_categories
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "INDICATOR_COLUMNS",
    "Threshold",
    "gemeinde_long",
    "gemeinde_table",
    "kreis_summary",
    "threshold_fn",
    "weighted_median",
]

#: Indicator columns of :func:`gemeinde_long` / :func:`kreis_summary`, in order.
INDICATOR_COLUMNS: tuple[str, ...] = (
    "pop_mean_min",
    "pop_median_min",
    "children_mean_min",
    "children_median_min",
    "children_beyond",
    "share_children_beyond",
    "n_villages",
    "n_underserved",
    "underserved_villages",
)

#: ``threshold(category, mode) -> minutes`` or a mapping ``{(category, mode): minutes}``.
Threshold = Callable[[str, str], float] | Mapping[tuple[str, str], float]


def threshold_fn(threshold: Threshold) -> Callable[[str, str], float]:
    """The threshold as a function; a mapping raises :class:`ConfigError` for a missing key."""
    if callable(threshold):
        return threshold
    table = threshold

    def lookup(category: str, mode: str) -> float:
        try:
            return float(table[(category, mode)])
        except KeyError as exc:
            msg = f"no threshold for category {category!r} and mode {mode!r}"
            raise ConfigError(
                msg,
                column=f"thresholds.{category}.{mode}",
                expected="a threshold in minutes for every category and mode",
                message_de=f"Kein Schwellenwert für „{category}“ ({mode})",
            ) from exc

    return lookup


def weighted_median(values: Iterable[float], weights: Iterable[float]) -> float:
    """Lower weighted median.

    The smallest value ``x`` (after sorting) whose cumulative weight reaches
    half the total weight: ``min{x_i : Σ_{x_j <= x_i} w_j >= W / 2}`` with
    ``W = Σ w``.  With equal weights and an even count it is the lower of the
    two middle values (``[1, 2, 3, 4] -> 2``), so the result is always one of
    the input values — a real village's travel time.

    Pairs whose value or weight is NaN are ignored; weights must be >= 0.

    Parameters
    ----------
    values
        Values (e.g. minutes).
    weights
        Non-negative weights of the same length (e.g. population).

    Returns
    -------
    float
        The lower weighted median; NaN when no pair is left or all weights are 0.

    Raises
    ------
    ValueError
        If the lengths differ or a weight is negative.
    """
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype="float64")
    w = np.asarray(
        list(weights) if not isinstance(weights, np.ndarray) else weights, dtype="float64"
    )
    if x.shape != w.shape:
        msg = f"values and weights differ in length ({x.size} vs {w.size})"
        raise ValueError(msg)
    keep = ~(np.isnan(x) | np.isnan(w))
    x, w = x[keep], w[keep]
    if (w < 0).any():
        msg = "weights must not be negative"
        raise ValueError(msg)
    keep = w > 0
    x, w = x[keep], w[keep]
    if x.size == 0:
        return math.nan
    order = np.argsort(x, kind="mergesort")
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    # compare 2·cum with the total instead of cum with total/2 (one rounding less)
    idx = int(np.searchsorted(2.0 * cum, cum[-1], side="left"))
    return float(x[min(idx, x.size - 1)])


def _weighted_mean(x: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> float:
    keep = ~np.isnan(x) & (w > 0)
    total = w[keep].sum()
    if total <= 0:
        return math.nan
    return float((x[keep] * w[keep]).sum() / total)


def _default_age_groups(categories: Sequence[str]) -> dict[str, tuple[str, ...]]:
    builtin = load_categories()
    unknown = [c for c in categories if c not in builtin]
    if unknown:
        msg = f"no age groups known for categories {', '.join(unknown)}; pass age_groups"
        raise ConfigError(
            msg,
            expected="age_groups={category: [age groups]}",
            message_de=f"Keine Altersgruppen für {', '.join(unknown)} bekannt",
        )
    return {c: builtin[c].age_groups for c in categories}


def _children_weights(
    table: pd.DataFrame, categories: Sequence[str], age_groups: Mapping[str, Sequence[str]]
) -> dict[str, np.ndarray[Any, Any]]:
    weights: dict[str, np.ndarray[Any, Any]] = {}
    for cat in categories:
        if cat not in age_groups:
            msg = f"no age groups given for category {cat!r}"
            raise ConfigError(msg, expected="age_groups for every category")
        cols = [age_column(g) for g in age_groups[cat]]
        require_columns(table, cols, "villages")
        sub = table.loc[:, cols].apply(pd.to_numeric, errors="coerce")
        weights[cat] = sub.fillna(0.0).sum(axis=1).to_numpy(dtype="float64")
    return weights


def _indicators(
    minutes: np.ndarray[Any, Any],
    pop: np.ndarray[Any, Any],
    children: np.ndarray[Any, Any],
    names: np.ndarray[Any, Any],
    limit: float,
) -> dict[str, Any]:
    beyond = np.isnan(minutes) | (minutes > limit)
    total_children = float(children.sum())
    children_beyond = float(children[beyond].sum())
    under = sorted((str(n) for n in names[beyond]), key=str.casefold)
    return {
        "pop_mean_min": _weighted_mean(minutes, pop),
        "pop_median_min": weighted_median(minutes, pop),
        "children_mean_min": _weighted_mean(minutes, children),
        "children_median_min": weighted_median(minutes, children),
        "children_beyond": children_beyond,
        "share_children_beyond": (
            children_beyond / total_children if total_children > 0 else math.nan
        ),
        "n_villages": int(minutes.size),
        "n_underserved": int(beyond.sum()),
        "underserved_villages": ", ".join(under),
    }


def _summaries(
    table: pd.DataFrame,
    keys: list[str],
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None,
) -> pd.DataFrame:
    fn = threshold_fn(threshold)
    require_columns(table, ["name", "population", *keys], "villages")
    for cat in categories:
        require_columns(table, [f"{cat}_{m}_min" for m in modes], "villages")
    groups = _default_age_groups(categories) if age_groups is None else age_groups
    child_w = _children_weights(table, categories, groups)
    pop = pd.to_numeric(table["population"], errors="coerce").fillna(0.0).to_numpy("float64")
    if (pop < 0).any() or any((w < 0).any() for w in child_w.values()):
        msg = "population or children counts are negative"
        raise InputDataError(msg, column="population", expected="counts >= 0")
    names = table["name"].astype(object).to_numpy()
    if keys:
        grouped = table.groupby(keys, sort=True, dropna=False).indices
    else:
        grouped = {(): np.arange(len(table))}
    rows: list[dict[str, Any]] = []
    for key, idx in grouped.items():
        key_t = key if isinstance(key, tuple) else (key,)
        for cat in categories:
            for mode in modes:
                minutes = table[f"{cat}_{mode}_min"].to_numpy("float64")[idx]
                row = dict(zip(keys, key_t, strict=True))
                row["category"] = cat
                row["mode"] = mode
                row.update(
                    _indicators(minutes, pop[idx], child_w[cat][idx], names[idx], fn(cat, mode))
                )
                rows.append(row)
    columns = [*keys, "category", "mode", *INDICATOR_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def gemeinde_long(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Gemeinde indicators in tidy form (one row per Gemeinde, category, mode).

    Parameters
    ----------
    village_table
        Output of :func:`village_table` with ``ags``, ``gemeinde``, ``name``,
        ``population`` and the ``children_*`` columns.
    categories, modes
        Categories and modes to summarise.
    threshold
        ``threshold(category, mode) -> minutes`` or a mapping.
    age_groups
        Age groups per category whose children weight the category
        (``{"kita": ["0-3", "3-6"]}``); default: the built-in category table.

    Returns
    -------
    pandas.DataFrame
        Columns ``ags, gemeinde, category, mode`` and :data:`INDICATOR_COLUMNS`:
        population- and children-weighted mean and lower weighted median of
        the minutes to the nearest offer, ``children_beyond`` (children in
        villages beyond the threshold or without a reachable offer),
        ``share_children_beyond`` (0…1), ``n_villages``, ``n_underserved``
        and ``underserved_villages`` (names, case-insensitively sorted,
        joined by ", ").  See the module docstring for the formulas; villages
        without an ``ags`` form their own group (NaN ``ags``).

    Raises
    ------
    MissingColumnError
        If a needed column is missing.
    ConfigError
        If a category's age groups or threshold are unknown.
    """
    return _summaries(
        village_table,
        ["ags", "gemeinde"],
        categories=categories,
        modes=modes,
        threshold=threshold,
        age_groups=age_groups,
    )


def gemeinde_table(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Gemeinde indicators, one row per ``(ags, gemeinde)`` (wide).

    A pivot of :func:`gemeinde_long`: columns ``ags, gemeinde, n_villages,
    population`` (sum of village population, NaN counted as 0), then for
    each category ``c`` and mode ``m`` the columns ``c_m_<indicator>`` for
    every indicator of :data:`INDICATOR_COLUMNS` except ``n_villages``.

    Parameters
    ----------
    village_table, categories, modes, threshold, age_groups
        As for :func:`gemeinde_long`.

    Returns
    -------
    pandas.DataFrame
        One row per Gemeinde, sorted by ``ags``.
    """
    long = gemeinde_long(
        village_table,
        categories=categories,
        modes=modes,
        threshold=threshold,
        age_groups=age_groups,
    )
    keys = ["ags", "gemeinde"]
    base = (
        village_table.assign(
            population=pd.to_numeric(village_table["population"], errors="coerce").fillna(0.0)
        )
        .groupby(keys, sort=True, dropna=False)
        .agg(n_villages=("name", "size"), population=("population", "sum"))
        .reset_index()
    )
    out = base
    indicators = [c for c in INDICATOR_COLUMNS if c != "n_villages"]
    for cat in categories:
        for mode in modes:
            part = long[(long["category"] == cat) & (long["mode"] == mode)]
            part = part.loc[:, [*keys, *indicators]].rename(
                columns={c: f"{cat}_{mode}_{c}" for c in indicators}
            )
            out = out.merge(part, on=keys, how="left", validate="one_to_one")
    return out.reset_index(drop=True)


def kreis_summary(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The Gemeinde indicators over all villages of the Kreis.

    Parameters
    ----------
    village_table, categories, modes, threshold, age_groups
        As for :func:`gemeinde_long`.

    Returns
    -------
    pandas.DataFrame
        One row per category × mode: ``category, mode`` and
        :data:`INDICATOR_COLUMNS`.
    """
    return _summaries(
        village_table,
        [],
        categories=categories,
        modes=modes,
        threshold=threshold,
        age_groups=age_groups,
    )
