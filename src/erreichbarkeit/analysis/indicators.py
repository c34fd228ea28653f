"""Accessibility indicators: pure functions over the tidy long travel-time table.

Inputs are the contracts of ``docs/architecture.md``:

* the long table ``origin_id, destination_id, mode, minutes, km`` in which an
  unreachable pair is *absent* (or has NaN minutes), never 0;
* the villages table (``id``, ``name``, ``ags``, ``gemeinde``, ``population``,
  ``children_0_3`` … ``children_18_27``, optionally ``snap_m``/``snap_ok``);
* the offers table (``id``, ``name``, ``category``).

Units: ``minutes`` are travel minutes, ``km`` network kilometres.  Nothing
here reads or writes files and no input is modified.

The measures are the classic nearest-facility and cumulative-opportunity
(offers within a threshold) accessibility measures.  pysal/access and spopt
implement related measures (floating catchment areas, location models) on a
cost matrix with one supply column; what a Kreisjugendamt asks for — nearest
offer *per category and mode*, offers within a category-specific threshold,
children beyond the threshold per Gemeinde — is a few group-bys on the long
table, so it is written here with pandas directly instead of reshaping into
those libraries' inputs.

Weighted statistics (Gemeinde and Kreis summaries)
---------------------------------------------------
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

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.config import MODE_LABELS, age_column, load_categories
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "INDICATOR_COLUMNS",
    "count_within",
    "gemeinde_long",
    "gemeinde_table",
    "kreis_summary",
    "nearest_offers",
    "village_table",
    "weighted_median",
]

logger = logging.getLogger(__name__)

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

_TT_COLUMNS = ("origin_id", "destination_id", "mode", "minutes", "km")

Threshold = Callable[[str, str], float] | Mapping[tuple[str, str], float]


# -- helpers ---------------------------------------------------------------




def _threshold_fn(threshold: Threshold) -> Callable[[str, str], float]:
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


def _joined(travel_times: pd.DataFrame, offers: pd.DataFrame) -> pd.DataFrame:
    """Reachable pairs with the offer's category and name (NaN minutes dropped)."""
    require_columns(travel_times, _TT_COLUMNS, "travel times")
    require_columns(offers, ("id", "category"), "offers")
    if offers["id"].duplicated().any():
        dup = offers.loc[offers["id"].duplicated(), "id"].iloc[0]
        msg = f"offer id {dup!r} is not unique"
        raise InputDataError(
            msg, column="id", expected="unique ids", message_de=f"Angebots-ID „{dup}“ doppelt"
        )
    tt = travel_times.loc[:, list(_TT_COLUMNS)]
    tt = tt[tt["minutes"].notna()]
    if (tt["minutes"] < 0).any():
        msg = "travel times contain negative minutes"
        raise InputDataError(
            msg, column="minutes", expected="minutes >= 0", message_de="Negative Reisezeiten"
        )
    names = offers["name"] if "name" in offers.columns else pd.Series(np.nan, index=offers.index)
    off = pd.DataFrame(
        {"destination_id": offers["id"], "category": offers["category"], "name": names}
    )
    joined = tt.merge(off, on="destination_id", how="inner", validate="many_to_one")
    dropped = len(tt) - len(joined)
    if dropped:
        logger.debug("%d travel-time rows point to destinations that are not offers", dropped)
    return joined


# -- per origin --------------------------------------------------------------


def nearest_offers(travel_times: pd.DataFrame, offers: pd.DataFrame, *, k: int = 2) -> pd.DataFrame:
    """The k nearest offers of each category per origin and mode.

    Parameters
    ----------
    travel_times
        Long table ``origin_id, destination_id, mode, minutes, km``.  Rows
        with NaN minutes are unreachable and ignored.
    offers
        Offers with ``id``, ``category`` and (optionally) ``name``.
        Destinations that are not offers are ignored.
    k
        How many offers per origin, mode and category (``>= 1``).

    Returns
    -------
    pandas.DataFrame
        One row per ``(origin_id, mode, category, rank)`` for ``rank`` 1…k
        (fewer when fewer offers are reachable), columns ``origin_id, mode,
        category, rank, destination_id, name, minutes, km``.  Ranked by
        minutes; ties are broken by km (NaN km last), then ``destination_id``,
        so the result is deterministic.

    Raises
    ------
    MissingColumnError
        If a required column is missing.
    InputDataError
        If offer ids are not unique or minutes are negative.
    ValueError
        If ``k < 1``.
    """
    if k < 1:
        msg = f"k must be at least 1, got {k}"
        raise ValueError(msg)
    joined = _joined(travel_times, offers)
    joined = joined.sort_values(
        ["origin_id", "mode", "category", "minutes", "km", "destination_id"],
        na_position="last",
        kind="mergesort",
    )
    joined["rank"] = joined.groupby(["origin_id", "mode", "category"], sort=False).cumcount() + 1
    out = joined[joined["rank"] <= k]
    cols = ["origin_id", "mode", "category", "rank", "destination_id", "name", "minutes", "km"]
    return out.loc[:, cols].reset_index(drop=True)


def count_within(
    travel_times: pd.DataFrame, offers: pd.DataFrame, thresholds: Threshold
) -> pd.DataFrame:
    """Number of offers per category reachable within the threshold.

    Parameters
    ----------
    travel_times
        Long table ``origin_id, destination_id, mode, minutes, km``.
    offers
        Offers with ``id`` and ``category``.
    thresholds
        ``threshold(category, mode) -> minutes`` (e.g. ``Settings.threshold``)
        or a mapping ``{(category, mode): minutes}``.

    Returns
    -------
    pandas.DataFrame
        ``origin_id, mode, category, n_within`` where ``n_within`` counts the
        offers with ``minutes <= threshold(category, mode)``.  There is one
        row for every ``(origin, mode, category)`` with at least one
        reachable offer (``n_within`` may be 0); combinations without any
        reachable offer are absent (read them as 0).

    Raises
    ------
    ConfigError
        If the mapping lacks a needed ``(category, mode)``.
    """
    fn = _threshold_fn(thresholds)
    joined = _joined(travel_times, offers)
    pairs = joined.loc[:, ["category", "mode"]].drop_duplicates()
    pairs["threshold"] = [fn(c, m) for c, m in zip(pairs["category"], pairs["mode"], strict=True)]
    joined = joined.merge(pairs, on=["category", "mode"], how="left")
    joined["n_within"] = (joined["minutes"] <= joined["threshold"]).astype("int64")
    out = (
        joined.groupby(["origin_id", "mode", "category"], sort=True)["n_within"].sum().reset_index()
    )
    out["n_within"] = out["n_within"].astype("int64")
    return out


def _labels(categories: Sequence[str], labels: Mapping[str, str] | None) -> dict[str, str]:
    if labels is None:
        builtin = load_categories()
        return {c: builtin[c].label if c in builtin else c for c in categories}
    return {c: labels.get(c, c) for c in categories}


def village_table(
    villages: pd.DataFrame,
    travel_times: pd.DataFrame,
    offers: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    threshold: Threshold,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per village with the nearest offers per category and mode.

    Parameters
    ----------
    villages
        Villages with ``id`` (and any other columns, which are kept).  When
        ``snap_ok``/``snap_m`` are present, villages with ``snap_ok == False``
        get the reason "zu weit vom Straßennetz (… m)".  A GeoDataFrame stays
        a GeoDataFrame.
    travel_times
        Long table ``origin_id, destination_id, mode, minutes, km``.
    offers
        Offers with ``id``, ``category``, ``name``.
    categories, modes
        Which categories and modes get columns (in this order).
    threshold
        ``threshold(category, mode) -> minutes`` or a mapping
        ``{(category, mode): minutes}``.
    labels
        German category labels for the ``reason`` text (default: the
        built-in category table, else the key).

    Returns
    -------
    pandas.DataFrame
        The village columns, then for each category ``c`` and mode ``m``:

        ``c_m_nearest`` (offer name), ``c_m_nearest_id``, ``c_m_min``
        (minutes), ``c_m_km``, ``c_m_second_min`` (minutes to the second
        nearest), ``c_m_n_within`` (offers with minutes <= threshold, int),
        ``c_m_within`` (bool: nearest minutes <= threshold, False when
        unreachable); and ``reason`` (German, empty when every category and
        mode has a result).  Unreachable means NaN minutes/km (never 0) and
        ``n_within`` 0.

    Raises
    ------
    MissingColumnError
        If ``villages`` lacks ``id`` or another table a required column.
    """
    require_columns(villages, ("id",), "villages")
    fn = _threshold_fn(threshold)
    near = nearest_offers(travel_times, offers, k=2)
    near = near[near["category"].isin(categories) & near["mode"].isin(modes)]
    counts = count_within(travel_times, offers, fn).set_index(["category", "mode", "origin_id"])[
        "n_within"
    ]
    by_key = {
        key: g.set_index("origin_id") for key, g in near.groupby(["category", "mode", "rank"])
    }
    empty = pd.DataFrame(columns=["destination_id", "name", "minutes", "km"])

    out = villages.copy()
    ids = out["id"]
    new: dict[str, pd.Series[Any]] = {}
    reached = np.zeros((len(out), len(categories) * len(modes)), dtype=bool)
    j = 0
    for cat in categories:
        for mode in modes:
            first = by_key.get((cat, mode, 1), empty)
            second = by_key.get((cat, mode, 2), empty)
            p = f"{cat}_{mode}"
            minutes = ids.map(first["minutes"]).astype("float64")
            new[f"{p}_nearest"] = ids.map(first["name"])
            new[f"{p}_nearest_id"] = ids.map(first["destination_id"])
            new[f"{p}_min"] = minutes
            new[f"{p}_km"] = ids.map(first["km"]).astype("float64")
            new[f"{p}_second_min"] = ids.map(second["minutes"]).astype("float64")
            n: pd.Series[Any]
            try:
                n = pd.Series(counts.xs((cat, mode), level=("category", "mode")))
            except KeyError:
                n = pd.Series(dtype="int64")
            new[f"{p}_n_within"] = ids.map(n).fillna(0).astype("int64")
            new[f"{p}_within"] = (minutes <= fn(cat, mode)).fillna(False).astype(bool)
            reached[:, j] = minutes.notna().to_numpy()
            j += 1
    extra = pd.DataFrame({name: col.to_numpy() for name, col in new.items()}, index=out.index)
    out = pd.concat([out, extra], axis=1)  # one concat: no fragmented frame
    out["reason"] = _reasons(out, reached, categories, modes, _labels(categories, labels))
    return out


def _reasons(
    villages: pd.DataFrame,
    reached: np.ndarray[Any, Any],
    categories: Sequence[str],
    modes: Sequence[str],
    labels: Mapping[str, str],
) -> list[str]:
    """German explanation per village of why results are missing.

    With per-mode snapping columns (``snap_ok_car``, ``snap_m_car`` …) the
    text names the modes for which the village is too far from the network
    (a hamlet on a farm track: too far for the car, fine on foot); without
    them the overall ``snap_ok``/``snap_m`` decide.
    """
    per_mode = all(f"snap_ok_{m}" in villages.columns for m in modes)
    reasons: list[str] = []
    for i in range(len(villages)):
        far: list[tuple[str, float]] = []  # (mode, metres) of modes without a usable road
        if per_mode:
            for m in modes:
                ok = villages[f"snap_ok_{m}"].iloc[i]
                if not pd.isna(ok) and not bool(ok):
                    dist_col = f"snap_m_{m}"
                    d = float(villages[dist_col].iloc[i]) if dist_col in villages else np.nan
                    far.append((m, d))
        elif "snap_ok" in villages.columns:
            ok = villages["snap_ok"].iloc[i]
            if not pd.isna(ok) and not bool(ok):  # NaN = not checked, treated as snapped
                d = float(villages["snap_m"].iloc[i]) if "snap_m" in villages else np.nan
                far = [(m, d) for m in modes]
        if far and len(far) == len(modes):
            dist = min(d for _, d in far)
            reasons.append(
                f"zu weit vom Straßennetz ({dist:.0f} m)"
                if math.isfinite(dist)
                else "nicht an das Straßennetz angebunden"
            )
            continue
        parts_far = [
            f"zu weit vom Straßennetz für {MODE_LABELS.get(m, m)} ({d:.0f} m)"
            if math.isfinite(d)
            else f"nicht an das Straßennetz angebunden ({MODE_LABELS.get(m, m)})"
            for m, d in far
        ]
        far_modes = {m for m, _ in far}
        row = reached[i]
        parts = []
        for ci, cat in enumerate(categories):
            lacking = [
                MODE_LABELS.get(m, m)
                for mi, m in enumerate(modes)
                if m not in far_modes and not row[ci * len(modes) + mi]
            ]
            if lacking:
                parts.append(f"{labels[cat]} ({', '.join(lacking)})")
        texts = list(parts_far)
        if parts:
            all_lacking = row.size > 0 and not row.any() and not far
            texts.append(
                "kein Angebot erreichbar"
                if all_lacking
                else "kein Angebot erreichbar: " + "; ".join(parts)
            )
        reasons.append("; ".join(texts))
    return reasons


# -- weighted statistics -----------------------------------------------------


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
    fn = _threshold_fn(threshold)
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
