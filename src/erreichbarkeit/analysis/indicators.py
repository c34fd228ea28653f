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

The Gemeinde and Kreis summaries and the weighted statistics live in
:mod:`erreichbarkeit.analysis.summaries` and are re-exported here, so the
village table and its summaries are used from one place.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import number_de, require_columns
from erreichbarkeit.analysis.age_offers import (
    group_min_column,
    restricted_categories,
    served_groups,
)
from erreichbarkeit.analysis.outreach import gemeinde_long, kreis_summary, with_outreach
from erreichbarkeit.analysis.summaries import (
    DEFAULT_CUTOFF_MINUTES,
    INDICATOR_COLUMNS,
    KREIS_COLUMNS,
    Threshold,
    censored_median,
    format_median_de,
    gemeinde_table,
    threshold_fn,
    weighted_median,
    weighted_quantile,
)
from erreichbarkeit.config import MODE_LABELS, load_categories
from erreichbarkeit.errors import InputDataError

__all__ = [
    "DEFAULT_CUTOFF_MINUTES",
    "INDICATOR_COLUMNS",
    "KREIS_COLUMNS",
    "censored_median",
    "count_within",
    "format_median_de",
    "gemeinde_long",
    "gemeinde_table",
    "kreis_summary",
    "nearest_offers",
    "village_table",
    "weighted_median",
    "weighted_quantile",
]

logger = logging.getLogger(__name__)

_TT_COLUMNS = ("origin_id", "destination_id", "mode", "minutes", "km")


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
    fn = threshold_fn(thresholds)
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
    age_groups: Mapping[str, Sequence[str]] | None = None,
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
    age_groups
        Age groups per category; see the per-group minutes below.

    Returns
    -------
    pandas.DataFrame
        The village columns, then for each category ``c`` and mode ``m``:

        ``c_m_nearest`` (offer name), ``c_m_nearest_id``, ``c_m_min``
        (minutes), ``c_m_km``, ``c_m_second_min`` (minutes to the second
        nearest), ``c_m_n_within`` (offers with minutes <= threshold, int),
        ``c_m_within`` (bool: nearest minutes <= threshold, False when
        unreachable) — all for the nearest offer whatever ages it serves;
        with ``age_groups``, ``c_m_min_<lo>_<hi>`` per group of a category
        with an offer not serving all its groups
        (:mod:`erreichbarkeit.analysis.age_offers`); and ``reason`` (German,
        empty when every category and
        mode has a result).  Unreachable means NaN minutes/km (never 0) and
        ``n_within`` 0.

    Raises
    ------
    MissingColumnError
        If ``villages`` lacks ``id`` or another table a required column.
    """
    require_columns(villages, ("id",), "villages")
    fn = threshold_fn(threshold)
    near = nearest_offers(travel_times, offers, k=2)
    near = near[near["category"].isin(categories) & near["mode"].isin(modes)]
    counts = count_within(travel_times, offers, fn).set_index(["category", "mode", "origin_id"])[
        "n_within"
    ]
    by_key = {
        key: g.set_index("origin_id") for key, g in near.groupby(["category", "mode", "rank"])
    }
    out = villages.copy()
    new: dict[str, pd.Series[Any]] = {}
    reached = np.zeros((len(out), len(categories) * len(modes)), dtype=bool)
    for j, (cat, mode) in enumerate(itertools.product(categories, modes)):
        columns = _offer_columns(out["id"], by_key, counts, cat=cat, mode=mode, limit=fn(cat, mode))
        new.update(columns)
        reached[:, j] = columns[f"{cat}_{mode}_min"].notna().to_numpy()
    if age_groups is not None:
        new.update(_group_minutes(out["id"], travel_times, offers, categories, modes, age_groups))
    extra = pd.DataFrame({name: col.to_numpy() for name, col in new.items()}, index=out.index)
    out = pd.concat([out, extra], axis=1)  # one concat: no fragmented frame
    out["reason"] = _reasons(out, reached, categories, modes, _labels(categories, labels))
    return with_outreach(out, categories=categories, modes=modes)  # aufsuchende Angebote


def _group_minutes(  # noqa: PLR0917 (private helper of village_table)
    ids: pd.Series,
    travel_times: pd.DataFrame,
    offers: pd.DataFrame,
    categories: Sequence[str],
    modes: Sequence[str],
    age_groups: Mapping[str, Sequence[str]],
) -> dict[str, pd.Series[Any]]:
    """Minutes to the nearest offer serving each age group, for the restricted categories."""
    groups = {c: tuple(age_groups[c]) for c in categories if c in age_groups}
    restricted = restricted_categories(offers[offers["category"].isin(list(groups))], groups)
    if not restricted:
        return {}
    sub = offers[offers["category"].isin(restricted)]
    served = dict(zip(sub["id"], served_groups(sub, groups), strict=True))
    joined = _joined(travel_times, sub)
    joined = joined[joined["mode"].isin(modes)]
    out: dict[str, pd.Series[Any]] = {}
    for cat in restricted:
        part = joined[joined["category"] == cat]
        for g in groups[cat]:
            serving = [oid for oid, gs in served.items() if g in gs]
            best = (
                part[part["destination_id"].isin(serving)]
                .groupby(["mode", "origin_id"])["minutes"]
                .min()
            )
            for mode in modes:
                per_village = (
                    best.xs(mode, level="mode")
                    if mode in best.index.get_level_values(0)
                    else pd.Series(dtype="float64")
                )
                out[group_min_column(cat, mode, g)] = ids.map(per_village).astype("float64")
    return out


def _offer_columns(
    ids: pd.Series,
    by_key: Mapping[Any, pd.DataFrame],
    counts: pd.Series,
    *,
    cat: str,
    mode: str,
    limit: float,
) -> dict[str, pd.Series[Any]]:
    """The village table's columns of one category and mode, in their order."""
    empty = pd.DataFrame(columns=["destination_id", "name", "minutes", "km"])
    first = by_key.get((cat, mode, 1), empty)
    second = by_key.get((cat, mode, 2), empty)
    minutes = ids.map(first["minutes"]).astype("float64")
    n: pd.Series[Any]
    try:
        n = pd.Series(counts.xs((cat, mode), level=("category", "mode")))
    except KeyError:
        n = pd.Series(dtype="int64")
    p = f"{cat}_{mode}"
    return {
        f"{p}_nearest": ids.map(first["name"]),
        f"{p}_nearest_id": ids.map(first["destination_id"]),
        f"{p}_min": minutes,
        f"{p}_km": ids.map(first["km"]).astype("float64"),
        f"{p}_second_min": ids.map(second["minutes"]).astype("float64"),
        f"{p}_n_within": ids.map(n).fillna(0).astype("int64"),
        f"{p}_within": (minutes <= limit).fillna(False).astype(bool),
    }


def _metres_de(metres: float) -> str:
    """Whole metres with a German thousands dot (``"1.612 m"``)."""
    return f"{number_de(metres)} m"


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
                f"zu weit vom Straßennetz ({_metres_de(dist)})"
                if math.isfinite(dist)
                else "nicht an das Straßennetz angebunden"
            )
            continue
        parts_far = [
            f"zu weit vom Straßennetz für {MODE_LABELS.get(m, m)} ({_metres_de(d)})"
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
