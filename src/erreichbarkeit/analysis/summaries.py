"""Gemeinde and Kreis summaries of the village table: weighted statistics.

The village table (:func:`erreichbarkeit.analysis.indicators.village_table`)
holds each village's minutes to the nearest offer per category and mode;
here they are summarised per Gemeinde (:func:`gemeinde_long`,
:func:`gemeinde_table`) and over the Kreis (:func:`kreis_summary`).

Weighted statistics
-------------------
For one category and mode, let ``t_v`` be village *v*'s minutes to its
nearest offer (NaN when none is reachable within the routing cutoff ``C`` =
``settings.routing.cutoff_minutes``, or when the village is not snapped to
the road network) and ``w_v`` a weight (population, or the children of the
category's age groups; NaN weights count as 0).

* **Unreachable is censored, never left out.**  A NaN ``t_v`` is a travel
  time *beyond the cutoff* (``+∞``) and keeps its weight in every median
  and percentile (:func:`weighted_quantile`, :func:`weighted_median`).
* ``*_median_min`` = lower weighted median over **all** villages with
  positive weight.  When it falls into the censored part (half or more of
  the weight has no reachable offer) the statistic is "beyond the cutoff":
  ``*_median_min = C`` (so the column stays numeric and sortable) and the
  flag ``*_median_beyond`` is True; a person reads „> 90 min“
  (:func:`format_median_de`), never a small number.
* ``*_mean_min_reachable = Σ w_v·t_v / Σ w_v`` over villages with finite
  ``t_v`` only — labelled as such — with ``share_*_no_offer = Σ w_v [t_v NaN]
  / Σ w_v`` next to it (NaN when the total weight is 0).
* ``children_beyond = Σ children_v`` over villages with ``t_v > threshold``
  or ``t_v`` NaN (exactly at the threshold counts as within), and
  ``share_children_beyond = children_beyond / Σ children_v`` over all
  villages (NaN when there are no children);
* a village is *underserved* when ``t_v > threshold`` or ``t_v`` is NaN,
  whatever its population.

Age groups of offers: where the village table has per-group minutes
(``kita_car_min_0_3``, :mod:`erreichbarkeit.analysis.age_offers`), the
children figures take one sample per village and age group *g* of the
category — the minutes to the nearest offer serving *g*, weighted with the
children of *g* — and a village is underserved when any group's nearest
offer is beyond the threshold; the population figures keep ``t_v``, the
nearest offer of the category whatever ages it serves.

Kreis headlines and partly covered Gemeinden
--------------------------------------------
When the village table has a boolean column ``gemeinde_partial`` (villages
of Gemeinden only partly inside the network extract), :func:`kreis_summary`
computes its figures over the villages with ``gemeinde_partial`` False (a
missing value counts as covered) and states in ``share_children_covered``
which share of the Kreis's children (of the category's age groups) they
hold.  Without the column every village counts and the share is 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.analysis.age_offers import children_weights as _children_weights
from erreichbarkeit.analysis.age_offers import default_age_groups as _default_age_groups
from erreichbarkeit.analysis.age_offers import group_samples
from erreichbarkeit.analysis.area import area_rows
from erreichbarkeit.analysis.coverage import with_partial_flag
from erreichbarkeit.config import RoutingOptions
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "DEFAULT_CUTOFF_MINUTES",
    "INDICATOR_COLUMNS",
    "KREIS_COLUMNS",
    "Threshold",
    "censored_median",
    "format_median_de",
    "gemeinde_long",
    "gemeinde_table",
    "kreis_summary",
    "threshold_fn",
    "weighted_median",
    "weighted_quantile",
]

#: The routing cutoff the statistics assume when the caller passes none.
DEFAULT_CUTOFF_MINUTES: float = RoutingOptions().cutoff_minutes

#: Indicator columns of :func:`gemeinde_long` / :func:`kreis_summary`, in order.
INDICATOR_COLUMNS: tuple[str, ...] = (
    "pop_median_min",
    "pop_median_beyond",
    "pop_mean_min_reachable",
    "share_pop_no_offer",
    "children_median_min",
    "children_median_beyond",
    "children_mean_min_reachable",
    "share_children_no_offer",
    "children_beyond",
    "share_children_beyond",
    "n_villages",
    "n_underserved",
    "underserved_villages",
)

#: Extra column of :func:`kreis_summary`: share (0…1) of the Kreis's children
#: (of the category's age groups) in the villages the headline covers.
KREIS_COLUMNS: tuple[str, ...] = (*INDICATOR_COLUMNS, "share_children_covered")

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


def _as_array(x: Iterable[float]) -> np.ndarray[Any, Any]:
    return np.asarray(x if isinstance(x, np.ndarray) else list(x), dtype="float64")


def weighted_quantile(values: Iterable[float], weights: Iterable[float], q: float) -> float:
    """Lower weighted quantile with unreachable values censored at ``+∞``.

    The smallest value ``x`` (after sorting) whose cumulative weight reaches
    the share ``q`` of the total weight: ``min{x_i : Σ_{x_j <= x_i} w_j >= q·W}``
    with ``W = Σ w``.  A NaN value is a travel time beyond the routing cutoff:
    it counts as ``+∞`` **with its weight** (it is never left out), so the
    result is ``math.inf`` when the quantile falls into the censored part.
    Pairs with a NaN or zero weight are ignored.

    Parameters
    ----------
    values
        Values (e.g. minutes; NaN = not reachable within the cutoff).
    weights
        Non-negative weights of the same length (e.g. children).
    q
        The quantile, ``0 < q <= 1`` (0.5: the lower weighted median).

    Returns
    -------
    float
        One of the finite input values, ``math.inf`` (censored), or NaN when
        no pair with a positive weight is left.

    Raises
    ------
    ValueError
        If the lengths differ, a weight is negative or ``q`` is outside (0, 1].
    """
    if not 0.0 < q <= 1.0:
        msg = f"quantile q must be in (0, 1], got {q!r}"
        raise ValueError(msg)
    x, w = _as_array(values), _as_array(weights)
    if x.shape != w.shape:
        msg = f"values and weights differ in length ({x.size} vs {w.size})"
        raise ValueError(msg)
    keep = ~np.isnan(w)
    x, w = x[keep], w[keep]
    if (w < 0).any():
        msg = "weights must not be negative"
        raise ValueError(msg)
    keep = w > 0
    x, w = np.where(np.isnan(x[keep]), np.inf, x[keep]), w[keep]
    if x.size == 0:
        return math.nan
    order = np.argsort(x, kind="mergesort")
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    if q == 0.5:  # compare 2·cum with the total (one rounding less)
        idx = int(np.searchsorted(2.0 * cum, cum[-1], side="left"))
    else:
        idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(x[min(idx, x.size - 1)])


def weighted_median(values: Iterable[float], weights: Iterable[float]) -> float:
    """Lower weighted median, unreachable (NaN) values censored at ``+∞``.

    ``weighted_quantile(values, weights, 0.5)``: the smallest value whose
    cumulative weight reaches half the total weight.  With equal weights and
    an even count it is the lower of the two middle values
    (``[1, 2, 3, 4] -> 2``), so the result is always one of the input values
    — a real village's travel time — or ``math.inf`` when half or more of the
    weight has no reachable offer (``[5, NaN, NaN] -> inf``,
    ``[5, 7, NaN] -> 7``).

    Parameters
    ----------
    values
        Values (e.g. minutes; NaN = beyond the cutoff).
    weights
        Non-negative weights of the same length (e.g. population).

    Returns
    -------
    float
        The lower weighted median; ``math.inf`` when censored; NaN when no
        pair with a positive weight is left.

    Raises
    ------
    ValueError
        If the lengths differ or a weight is negative.
    """
    return weighted_quantile(values, weights, 0.5)


def censored_median(
    values: Iterable[float], weights: Iterable[float], *, cutoff: float
) -> tuple[float, bool]:
    """The weighted median as a sortable number and a "beyond the cutoff" flag.

    Returns
    -------
    tuple
        ``(minutes, beyond)``: ``(cutoff, True)`` when the median falls into
        the censored part (:func:`weighted_median` is ``inf``), else the
        median and False (NaN and False without any weight).
    """
    m = weighted_median(values, weights)
    if math.isinf(m):
        return float(cutoff), True
    return m, False


def format_median_de(minutes: Any, beyond: Any = False, *, unit: bool = True) -> str:
    """A (censored) median as German text: „3,3 min“, „> 90 min“ or „—“.

    Parameters
    ----------
    minutes
        The ``*_median_min`` value (the cutoff when ``beyond``).
    beyond
        The ``*_median_beyond`` flag; a missing flag counts as False.
    unit
        Append „ min“.

    Returns
    -------
    str
        „> 90 min“ (the cutoff in force) when beyond, „—“ when no median
        exists (no children or no population), else one decimal with a
        decimal comma.  Never „nan“ or „None“.
    """
    suffix = " min" if unit else ""
    try:
        x = float(minutes)
    except (TypeError, ValueError):
        return "—"
    flag = False if beyond is None or pd.isna(beyond) else bool(beyond)
    if math.isnan(x):
        return "—"
    if flag or math.isinf(x):
        limit = DEFAULT_CUTOFF_MINUTES if math.isinf(x) else x
        return f"> {limit:g}{suffix}".replace(".", ",")
    return f"{x:.1f}{suffix}".replace(".", ",")


def _weighted_mean(x: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> float:
    """Weighted mean over the finite values (the reachable villages)."""
    keep = ~np.isnan(x) & (w > 0)
    total = w[keep].sum()
    if total <= 0:
        return math.nan
    return float((x[keep] * w[keep]).sum() / total)


def _share_no_offer(x: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> float:
    """Share of the weight whose value is NaN (no reachable offer); NaN without weight."""
    total = float(w[w > 0].sum())
    if total <= 0:
        return math.nan
    return float(w[np.isnan(x) & (w > 0)].sum()) / total


def _indicators(
    minutes: np.ndarray[Any, Any],
    pop: np.ndarray[Any, Any],
    children: np.ndarray[Any, Any],
    names: np.ndarray[Any, Any],
    *,
    limit: float,
    cutoff: float,
    by_group: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None,
) -> dict[str, Any]:
    """The indicators of one group of villages; ``by_group``: see :func:`group_samples`.

    With ``by_group`` the children figures use one sample per village and
    age group, and a village is underserved when any group's nearest offer
    is beyond the threshold; the population figures use ``minutes``.
    """
    # exactly at the threshold counts as within (minutes <= limit)
    beyond = np.isnan(minutes) | (minutes > limit)
    cx, cw, under_v = minutes, children, beyond
    if by_group is not None:
        g_beyond = np.isnan(by_group[0]) | (by_group[0] > limit)
        cx, cw, under_v = by_group[0].ravel(), by_group[1].ravel(), g_beyond.any(axis=1)
    c_beyond = np.isnan(cx) | (cx > limit)
    total_children = float(cw.sum())
    children_beyond = float(cw[c_beyond].sum())
    under = sorted((str(n) for n in names[under_v]), key=str.casefold)
    pop_median, pop_beyond = censored_median(minutes, pop, cutoff=cutoff)
    child_median, child_beyond = censored_median(cx, cw, cutoff=cutoff)
    return {
        "pop_median_min": pop_median,
        "pop_median_beyond": pop_beyond,
        "pop_mean_min_reachable": _weighted_mean(minutes, pop),
        "share_pop_no_offer": _share_no_offer(minutes, pop),
        "children_median_min": child_median,
        "children_median_beyond": child_beyond,
        "children_mean_min_reachable": _weighted_mean(cx, cw),
        "share_children_no_offer": _share_no_offer(cx, cw),
        "children_beyond": children_beyond,
        "share_children_beyond": (
            children_beyond / total_children if total_children > 0 else math.nan
        ),
        "n_villages": int(minutes.size),
        "n_underserved": int(under_v.sum()),
        "underserved_villages": ", ".join(under),
    }


def _check_cutoff(cutoff: float) -> float:
    value = float(cutoff)
    if not math.isfinite(value) or value <= 0:
        msg = f"cutoff must be a positive number of minutes, got {cutoff!r}"
        raise ConfigError(
            msg,
            column="routing.cutoff_minutes",
            expected="minutes > 0",
            message_de=f"Berechnungsgrenze {cutoff!r} ist keine positive Minutenzahl",
        )
    return value


def _summaries(
    table: pd.DataFrame,
    keys: list[str],
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None,
    cutoff: float,
) -> pd.DataFrame:
    fn, limit_cutoff = threshold_fn(threshold), _check_cutoff(cutoff)
    table = area_rows(table)  # key figures cover the analysis area (``in_area``)
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
    per_group = {(c, m): group_samples(table, c, m, groups[c]) for c in categories for m in modes}
    rows: list[dict[str, Any]] = []
    for key, idx in grouped.items():
        key_t = key if isinstance(key, tuple) else (key,)
        for cat in categories:
            for mode in modes:
                minutes = table[f"{cat}_{mode}_min"].to_numpy("float64")[idx]
                samples = per_group[(cat, mode)]
                row = dict(zip(keys, key_t, strict=True))
                row["category"] = cat
                row["mode"] = mode
                row.update(
                    _indicators(
                        minutes,
                        pop[idx],
                        child_w[cat][idx],
                        names[idx],
                        limit=fn(cat, mode),
                        cutoff=limit_cutoff,
                        by_group=None if samples is None else (samples[0][idx], samples[1][idx]),
                    )
                )
                rows.append(row)
    columns = [*keys, "category", "mode", *INDICATOR_COLUMNS]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"pop_median_beyond": bool, "children_median_beyond": bool})


def gemeinde_long(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
    cutoff: float = DEFAULT_CUTOFF_MINUTES,
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
    cutoff
        The routing cutoff in minutes (``settings.routing.cutoff_minutes``):
        the value a censored median takes.

    Returns
    -------
    pandas.DataFrame
        Columns ``ags, gemeinde, category, mode`` and :data:`INDICATOR_COLUMNS`:

        * ``pop_median_min`` / ``children_median_min``: population- and
          children-weighted lower median of the minutes to the nearest offer,
          villages without a reachable offer counted as beyond the cutoff;
          ``cutoff`` when the median is censored, then
          ``pop_median_beyond`` / ``children_median_beyond`` (bool) is True;
        * ``pop_mean_min_reachable`` / ``children_mean_min_reachable``: the
          weighted mean over villages **with** a reachable offer only, and
          ``share_pop_no_offer`` / ``share_children_no_offer`` (0…1): the
          weight without one;
        * ``children_beyond`` (children in villages beyond the threshold or
          without a reachable offer), ``share_children_beyond`` (0…1),
          ``n_villages``, ``n_underserved`` and ``underserved_villages``
          (names, case-insensitively sorted, joined by ", ").

        See the module docstring for the formulas; villages without an
        ``ags`` form their own group (NaN ``ags``).  ``gemeinde_partial`` (bool)
        follows when the villages carry it (:func:`with_partial_flag`).

    Raises
    ------
    MissingColumnError
        If a needed column is missing.
    ConfigError
        If a category's age groups or threshold are unknown, or the cutoff
        is not a positive number.
    """
    out = _summaries(
        village_table,
        ["ags", "gemeinde"],
        categories=categories,
        modes=modes,
        threshold=threshold,
        age_groups=age_groups,
        cutoff=cutoff,
    )
    return with_partial_flag(out, village_table)


def gemeinde_table(
    village_table: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    age_groups: Mapping[str, Sequence[str]] | None = None,
    cutoff: float = DEFAULT_CUTOFF_MINUTES,
) -> pd.DataFrame:
    """Gemeinde indicators, one row per ``(ags, gemeinde)`` (wide).

    A pivot of :func:`gemeinde_long`: columns ``ags, gemeinde, n_villages,
    population`` (sum of village population, NaN counted as 0), then for
    each category ``c`` and mode ``m`` the columns ``c_m_<indicator>`` for
    every indicator of :data:`INDICATOR_COLUMNS` except ``n_villages``.

    Parameters
    ----------
    village_table, categories, modes, threshold, age_groups, cutoff
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
        cutoff=cutoff,
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
    cutoff: float = DEFAULT_CUTOFF_MINUTES,
) -> pd.DataFrame:
    """The Gemeinde indicators over the villages of the Kreis (the headline).

    When ``village_table`` has the boolean column ``gemeinde_partial``
    (Gemeinden only partly inside the network extract), the figures cover
    only the villages with ``gemeinde_partial`` False (missing counts as
    covered): a Gemeinde whose people sit on a hamlet at the extract's edge
    must not drive the headline.  ``share_children_covered`` states which
    share of the Kreis's children of the category's age groups those
    villages hold (1.0 without the column; NaN without children).

    Parameters
    ----------
    village_table, categories, modes, threshold, age_groups, cutoff
        As for :func:`gemeinde_long`.

    Returns
    -------
    pandas.DataFrame
        One row per category × mode: ``category, mode`` and
        :data:`KREIS_COLUMNS` (:data:`INDICATOR_COLUMNS` and
        ``share_children_covered``).
    """
    table = village_table
    if "gemeinde_partial" in table.columns:
        partial = table["gemeinde_partial"].astype("boolean").fillna(False).to_numpy(bool)
        table = table.loc[~partial]
    out = _summaries(
        table,
        [],
        categories=categories,
        modes=modes,
        threshold=threshold,
        age_groups=age_groups,
        cutoff=cutoff,
    )
    out["share_children_covered"] = _covered_shares(
        village_table, table, out["category"], age_groups, categories
    )
    return out.loc[:, ["category", "mode", *KREIS_COLUMNS]]


def _covered_shares(
    full: pd.DataFrame,
    covered: pd.DataFrame,
    row_categories: pd.Series[Any],
    age_groups: Mapping[str, Sequence[str]] | None,
    categories: Sequence[str],
) -> list[float]:
    """Per summary row: children of the category in ``covered`` / in ``full``."""
    groups = _default_age_groups(categories) if age_groups is None else age_groups
    all_w = _children_weights(full, categories, groups)
    cov_w = _children_weights(covered, categories, groups)
    shares: list[float] = []
    for cat in row_categories:
        total = float(all_w[cat].sum())
        shares.append(float(cov_w[cat].sum()) / total if total > 0 else math.nan)
    return shares
