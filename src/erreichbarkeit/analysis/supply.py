"""Supply versus demand: two-step floating catchment area (2SFCA) measures.

Nearest-offer minutes (:mod:`erreichbarkeit.analysis.indicators`) say whether a village
*reaches* an offer; they do not say whether the offer has room for the
children who reach it.  A Kita with 40 places that 300 children reach is as
"near" as one with 120 places that 60 children reach.  The floating
catchment measures put capacity (places) against the demand (children of the
target age group) competing for it.

Notation
--------
For one category and mode let ``t_ij`` be the minutes from village *i* to
offer *j* (our long table, ``origin_id`` = village, ``destination_id`` =
offer), ``d0`` the threshold, ``D_i`` the children of the target group in
village *i*, ``S_j`` the offer's capacity (places) and ``W`` a distance
weight with ``W(t) = 0`` for ``t > d0``.

* **Step 1 (offer side).**  Each offer's catchment is the set of villages
  within ``d0`` of it; its supply-to-demand ratio is

  ``R_j = S_j / Σ_{i: t_ij ≤ d0} W(t_ij) · D_i``  (places per child).

* **Step 2 (village side).**  A village's access sums the ratios of the
  offers it reaches, weighted the same way:

  ``A_i = per · Σ_{j: t_ij ≤ d0} W(t_ij) · R_j``  (places per ``per`` children).

Weights ``W``:

* ``decay="none"``: ``W = 1`` — the classic 2SFCA (Luo & Wang 2003).
* ``decay="steps"``: the enhanced 2SFCA (E2SFCA, Luo & Qi 2009) with step
  weights; default ``0 < t ≤ d0/3 → 1.0``, ``d0/3 < t ≤ 2·d0/3 → 0.68``,
  ``2·d0/3 < t ≤ d0 → 0.22`` (upper bounds inclusive; Luo & Qi's weights
  for 0–10, 10–20, 20–30 minutes).  Own steps are ``(upper bound in minutes,
  weight)`` pairs.
* ``decay="gaussian"``: the Gaussian weight of Dai (2010), which falls from 1
  at ``t = 0`` to 0 at ``t = d0``:
  ``W(t) = (exp(-½ (t/d0)²) − exp(-½)) / (1 − exp(-½))``.

With ``W = 1`` the measure conserves supply: ``Σ_i A_i · D_i / per = Σ_j S_j``
over the offers whose catchment holds any demand (each offer's places are
shared out exactly among the children who reach it).  The decay weights
deliberately break this (a far child counts less in step 1 *and* step 2).

Travel direction
----------------
Both steps use the same ``t_ij``: the minutes **from the village to the
offer** as the long table holds them (families drive to the Kita).  For
walking and cycling the two directions are practically equal; for the car,
one-way streets make them differ by seconds, which does not matter against
thresholds of 10–20 minutes.

Missing capacities
------------------
Offers lists often lack places (``capacity`` NaN).  A NaN is never read as 0:
if *any* offer of the category has no capacity, every offer counts as one
(``S_j = 1``), the result is "Angebote je 1 000 Kinder" instead of "Plätze je
1 000 Kinder", and the German note in ``supply_note`` (column and
``DataFrame.attrs["supply_note"]``) says how many capacities were missing.
Mixing places and counts in one ratio would be meaningless.

Why hand-written
----------------
The PySAL ``access`` package (PyPI ``access`` 1.1, maintained) implements
2SFCA/E2SFCA on the same long cost table, and the tests use it as an
independent oracle where it is installed.  It is not used here because, as
measured with ``access`` 1.1.10: it returns ``inf`` access for a village
whose offers have no demand in their catchment (division by zero in step 1)
and NaN instead of 0 for villages that reach no offer; it does not expose the
per-offer ratio ``R_j`` that planners ask for ("which Kita is overrun?"); it
applies the weight per row in Python; and it calls ``set_index(inplace=True)``,
deprecated in pandas 3.1.  The two group-bys below are the whole method.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "E2SFCA_WEIGHTS",
    "VILLAGE_ACCESS_COLUMNS",
    "e2sfca_steps",
    "fca_tables",
    "offer_ratios",
    "two_step_fca",
    "village_demand",
]

logger = logging.getLogger(__name__)

Decay = Literal["none", "gaussian", "steps"]

#: Luo & Qi (2009) step weights for the three thirds of the catchment.
E2SFCA_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)

#: Columns of :func:`two_step_fca` after the village id columns.
VILLAGE_ACCESS_COLUMNS: tuple[str, ...] = (
    "demand",
    "access",
    "n_offers_in_reach",
    "supply_in_reach",
    "supply_basis",
    "supply_note",
)

_TT_COLUMNS = ("origin_id", "destination_id", "mode", "minutes")
_ID_COLUMNS = ("id", "name", "ags", "gemeinde")


def e2sfca_steps(threshold: float) -> tuple[tuple[float, float], ...]:
    """The default E2SFCA steps for a threshold (Luo & Qi 2009).

    Parameters
    ----------
    threshold
        Catchment size ``d0`` in minutes.

    Returns
    -------
    tuple of (upper bound minutes, weight)
        ``((d0/3, 1.0), (2·d0/3, 0.68), (d0, 0.22))``.

    Examples
    --------
    >>> e2sfca_steps(30.0)
    ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
    """
    w1, w2, w3 = E2SFCA_WEIGHTS
    return ((threshold / 3.0, w1), (2.0 * threshold / 3.0, w2), (float(threshold), w3))


def _weight_fn(
    decay: Decay, threshold: float, steps: Sequence[tuple[float, float]] | None
) -> Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    if decay != "steps" and steps is not None:
        msg = f"steps are only used with decay='steps', not {decay!r}"
        raise ConfigError(msg, column="steps", expected="decay='steps' or steps=None")
    if decay == "none":
        return lambda t: np.ones_like(t, dtype="float64")
    if decay == "gaussian":
        floor = math.exp(-0.5)

        def gaussian(t: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            w = (np.exp(-0.5 * (t / threshold) ** 2) - floor) / (1.0 - floor)
            return np.clip(w, 0.0, 1.0)

        return gaussian
    if decay == "steps":
        table = tuple(steps) if steps is not None else e2sfca_steps(threshold)
        if not table:
            msg = "steps must not be empty"
            raise ConfigError(msg, column="steps", expected="(upper bound, weight) pairs")
        bounds = np.array([float(b) for b, _ in table])
        weights = np.array([float(w) for _, w in table])
        if (np.diff(bounds) <= 0).any() or (bounds <= 0).any() or (weights < 0).any():
            msg = f"steps must have increasing positive bounds and weights >= 0: {table}"
            raise ConfigError(
                msg,
                column="steps",
                expected="increasing upper bounds in minutes, weights >= 0",
                message_de="Stufen: Obergrenzen müssen steigen, Gewichte ≥ 0 sein",
            )

        def stepwise(t: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            # index of the first bound >= t (bounds inclusive, like access.weights.step_fn)
            idx = np.searchsorted(bounds, t, side="left")
            out = np.zeros_like(t, dtype="float64")
            inside = idx < bounds.size
            out[inside] = weights[idx[inside]]
            return out

        return stepwise
    msg = f"unknown decay {decay!r}"
    raise ConfigError(msg, column="decay", expected="none, gaussian, steps")


def village_demand(villages: pd.DataFrame, demand_column: str | Sequence[str]) -> pd.Series:
    """Demand ``D_i`` per village id: the sum of the demand column(s), NaN counted as 0.

    Raises
    ------
    ConfigError
        No demand column given.
    MissingColumnError
        ``id`` or a demand column is missing.
    InputDataError
        Negative demand or duplicate village ids.
    """
    cols = [demand_column] if isinstance(demand_column, str) else list(demand_column)
    if not cols:
        msg = "no demand column given"
        raise ConfigError(msg, column="demand_column", expected="e.g. children_0_3")
    require_columns(villages, ["id", *cols], "villages")
    values = villages.loc[:, cols].apply(pd.to_numeric, errors="coerce")
    n_nan = int(values.isna().any(axis=1).sum())
    if n_nan:
        # as in indicators: an unknown count weighs nothing (it is not supply)
        logger.info("%d villages without %s count as 0 demand", n_nan, "/".join(cols))
    demand = values.fillna(0.0).sum(axis=1).astype("float64")
    if (demand < 0).any():
        msg = f"negative demand in {', '.join(cols)}"
        raise InputDataError(msg, column=cols[0], expected="counts >= 0")
    if villages["id"].duplicated().any():
        dup = villages.loc[villages["id"].duplicated(), "id"].iloc[0]
        msg = f"village id {dup!r} is not unique"
        raise InputDataError(
            msg, column="id", expected="unique ids", message_de=f"Orts-ID „{dup}“ doppelt"
        )
    return pd.Series(demand.to_numpy(), index=villages["id"].astype(str).to_numpy())


def _supply(offers: pd.DataFrame, category: str) -> tuple[pd.DataFrame, str, str]:
    """Offers of the category with ``supply`` and the basis and German note."""
    require_columns(offers, ["id", "category"], "offers")
    sub = offers[offers["category"] == category].copy()
    if sub["id"].duplicated().any():
        dup = sub.loc[sub["id"].duplicated(), "id"].iloc[0]
        msg = f"offer id {dup!r} is not unique"
        raise InputDataError(
            msg, column="id", expected="unique ids", message_de=f"Angebots-ID „{dup}“ doppelt"
        )
    sub["id"] = sub["id"].astype(str)
    cap = (
        pd.to_numeric(sub["capacity"], errors="coerce")
        if "capacity" in sub.columns
        else pd.Series(np.nan, index=sub.index)
    )
    if (cap < 0).any():
        bad = sub.loc[cap < 0, "id"].iloc[0]
        msg = f"negative capacity for offer {bad!r}"
        raise InputDataError(
            msg,
            column="capacity",
            expected="places >= 0",
            message_de=f"Negative Kapazität bei Angebot „{bad}“",
        )
    n_missing = int(cap.isna().sum())
    if len(sub) and n_missing == 0:
        sub["capacity"] = cap
        sub["supply"] = cap.astype("float64")
        return sub, "Plätze", ""
    sub["capacity"] = cap
    sub["supply"] = 1.0
    note = (
        f"Kapazität fehlt bei {n_missing} von {len(sub)} Angeboten; ersatzweise zählt "
        "jedes Angebot als 1 (Angebote je 1 000 Kinder statt Plätze je 1 000 Kinder)."
        if len(sub)
        else "Keine Angebote dieser Kategorie."
    )
    if len(sub):
        logger.info(
            "%s: %d of %d capacities missing, counting offers", category, n_missing, len(sub)
        )
    return sub, "Angebote", note


def fca_tables(
    travel_times: pd.DataFrame,
    villages: pd.DataFrame,
    offers: pd.DataFrame,
    *,
    category: str,
    mode: str,
    threshold: float,
    demand_column: str | Sequence[str],
    decay: Decay = "none",
    steps: Sequence[tuple[float, float]] | None = None,
    per: float = 1000.0,
    served: Mapping[str, Sequence[str]] | None = None,
    village_columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both 2SFCA tables in one pass: ``(two_step_fca(...), offer_ratios(...))``.

    Same parameters as :func:`two_step_fca`; use this when both tables are
    needed, so the catchments are computed once.

    ``served`` maps an offer id to the demand columns it serves (an offer
    for under-threes among Kitas: ``["children_0_3"]``); offers not in it
    serve every demand column.  Then offer *j*'s demand is ``D_ij``, the
    children of village *i* in the columns *j* serves — step 1:
    ``R_j = S_j / Σ_i W·D_ij`` — and a village's access is its children's
    places per ``per`` children: ``A_i = per · Σ_j W·R_j·D_ij / D_i``
    (each group gets the ratios of the offers serving it, weighted with
    its children; equal weights per column when ``D_i = 0``).  Supply is
    still conserved.  With every offer serving all columns this is the
    classic 2SFCA above, computed the same way.

    ``village_columns`` (a subset of ``demand_column``) reports the village
    side for those children only: every column still competes for the
    places in step 1, while ``demand`` is ``Σ`` of ``village_columns``,
    ``A_i = per · Σ_j W·R_j·D_ij' / D_i'`` with ``D'`` the children of
    ``village_columns`` (the places per 1 000 children 0–3 of Kitas shared
    with the children 3–6), and the offers and places in reach count the
    offers serving one of them.  Default: all of ``demand_column``.
    """
    _check_scale(threshold, per)
    weight = _weight_fn(decay, threshold, steps)
    cols = [demand_column] if isinstance(demand_column, str) else list(demand_column)
    report = cols if village_columns is None else list(village_columns)
    if not report or not set(report) <= set(cols):
        msg = f"village_columns {report} must be some of the demand columns {cols}"
        raise ConfigError(msg, column="village_columns", expected=", ".join(cols))
    demand = village_demand(villages, cols)
    sup, basis, note = _supply(offers, category)
    supply = pd.Series(sup["supply"].to_numpy(), index=sup["id"].to_numpy())
    frame = _catchments(
        travel_times, mode=mode, threshold=threshold, weight=weight, demand=demand, supply=supply
    )
    if served is not None or report != cols:
        frame = _served_demand(frame, villages, cols, served or {}, report)
    catch, n_catch, ratio = _offer_side(frame, supply)
    if report != cols:
        demand = village_demand(villages, report)
    out = _village_side(frame, villages, demand=demand, ratio=ratio, per=per)
    out["supply_basis"] = basis
    out["supply_note"] = note
    out = out.reset_index(drop=True)
    out.attrs = {"supply_basis": basis, "supply_note": note, "per": float(per)}

    okeep = [c for c in ("id", "name", "ags") if c in sup.columns]
    off = sup.loc[:, okeep].reset_index(drop=True)
    off["capacity"] = sup["capacity"].to_numpy()
    off["supply"] = supply.to_numpy()
    off["demand_in_catchment"] = catch.to_numpy()
    off["n_villages_in_catchment"] = n_catch.to_numpy().astype("int64")
    off["ratio"] = ratio.to_numpy()
    off["ratio_per"] = ratio.to_numpy() * per
    off["supply_basis"] = basis
    off["supply_note"] = note
    off.attrs = dict(out.attrs)
    return out, off


def _check_scale(threshold: float, per: float) -> None:
    """Raise a :class:`ConfigError` for a threshold or scale that is not positive."""
    if not (threshold > 0 and math.isfinite(threshold)):
        msg = f"threshold must be a positive number of minutes, got {threshold}"
        raise ConfigError(msg, column="threshold", expected="minutes > 0")
    if not per > 0:
        msg = f"per must be positive, got {per}"
        raise ConfigError(msg, column="per", expected="> 0, e.g. 1000")


def _catchments(
    travel_times: pd.DataFrame,
    *,
    mode: str,
    threshold: float,
    weight: Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]],
    demand: pd.Series,
    supply: pd.Series,
) -> pd.DataFrame:
    """Village–offer pairs within the threshold: ``o``, ``j``, ``wd`` (W·D), ``w``, ``s`` (S_j)."""
    require_columns(travel_times, _TT_COLUMNS, "travel times")
    tt = travel_times.loc[travel_times["mode"] == mode, ["origin_id", "destination_id", "minutes"]]
    tt = tt[tt["minutes"].notna()]
    if (tt["minutes"] < 0).any():
        msg = "travel times contain negative minutes"
        raise InputDataError(
            msg, column="minutes", expected="minutes >= 0", message_de="Negative Reisezeiten"
        )
    tt = tt.astype({"origin_id": str, "destination_id": str})
    pairs = tt[
        (tt["minutes"] <= threshold)
        & tt["destination_id"].isin(supply.index)
        & tt["origin_id"].isin(demand.index)
    ]
    # one time per pair (the table should already be unique; keep the fastest)
    pairs = pairs.groupby(["origin_id", "destination_id"], sort=True)["minutes"].min().reset_index()
    w = weight(pairs["minutes"].to_numpy("float64"))
    d = pairs["origin_id"].map(demand).to_numpy("float64")
    s = pairs["destination_id"].map(supply).to_numpy("float64")
    return pd.DataFrame(
        {"o": pairs["origin_id"], "j": pairs["destination_id"], "wd": w * d, "w": w, "s": s}
    )


def _served_demand(
    frame: pd.DataFrame,
    villages: pd.DataFrame,
    cols: Sequence[str],
    served: Mapping[str, Sequence[str]],
    report: Sequence[str],
) -> pd.DataFrame:
    """Catchment pairs with ``wd = W·D_ij`` and ``frac = D_ij' / D_i'`` (see :func:`fca_tables`).

    ``D_ij`` counts the columns offer *j* serves, ``D_ij'`` and ``D_i'`` only
    those in ``report``.  Unchanged when every offer serves every column and
    all columns are reported.
    """
    offer_ids = pd.unique(frame["j"])
    mask = np.array([[c in served.get(j, cols) for c in cols] for j in offer_ids], dtype=bool)
    keep = np.array([c in report for c in cols], dtype=bool)
    if mask.all() and keep.all():
        return frame
    by_col = villages.loc[:, list(cols)].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    by_col.index = pd.Index(villages["id"].astype(str))
    d_cols = by_col.reindex(frame["o"]).to_numpy("float64")
    m = mask[pd.Index(offer_ids).get_indexer(pd.Index(frame["j"]))].reshape(len(frame), len(cols))
    d_ij = (d_cols * m).sum(axis=1)
    d_rep = (d_cols * (m & keep)).sum(axis=1)
    d_i = (d_cols * keep).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(d_i > 0, d_rep / d_i, (m & keep).sum(axis=1) / max(int(keep.sum()), 1))
    out = frame.assign(wd=frame["w"].to_numpy() * d_ij, frac=frac)
    return out if keep.all() else out.assign(rep=(m & keep).any(axis=1))


def _offer_side(frame: pd.DataFrame, supply: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Step 1: weighted demand in each offer's catchment, its size, ``R_j = S_j / demand``."""
    catch = frame.groupby("j")["wd"].sum().reindex(supply.index, fill_value=0.0)
    n_catch = frame.groupby("j").size().reindex(supply.index, fill_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pd.Series(
            np.where(catch.to_numpy() > 0, supply.to_numpy() / catch.to_numpy(), np.nan),
            index=supply.index,
        )
    return catch, n_catch, ratio


def _village_side(
    frame: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    demand: pd.Series,
    ratio: pd.Series,
    per: float,
) -> pd.DataFrame:
    """Step 2: ``A_i = per · Σ W · R_j`` per village, with the offers and places in reach."""
    # offers without demand in reach (R_j NaN) add nothing
    frame = frame.assign(wr=frame["w"] * frame["j"].map(ratio).fillna(0.0).to_numpy())
    if "frac" in frame.columns:  # offers serving only some age groups (_served_demand)
        frame["wr"] = frame["wr"] * frame["frac"]
    access = frame.groupby("o")["wr"].sum().reindex(demand.index, fill_value=0.0) * per
    if "rep" in frame.columns:  # village_columns: offers in reach serving those children
        frame = frame[frame["rep"].to_numpy(bool)]
    by_o = frame.groupby("o")
    n_in_reach = by_o.size().reindex(demand.index, fill_value=0)
    supply_in_reach = by_o["s"].sum().reindex(demand.index, fill_value=0.0)
    keep = [c for c in _ID_COLUMNS if c in villages.columns]
    out = villages.loc[:, keep].copy()
    out["id"] = out["id"].astype(str)
    out["demand"] = demand.to_numpy()
    out["access"] = access.to_numpy()
    out["n_offers_in_reach"] = n_in_reach.to_numpy().astype("int64")
    out["supply_in_reach"] = supply_in_reach.to_numpy()
    return out


def two_step_fca(
    travel_times: pd.DataFrame,
    villages: pd.DataFrame,
    offers: pd.DataFrame,
    *,
    category: str,
    mode: str,
    threshold: float,
    demand_column: str | Sequence[str],
    decay: Decay = "none",
    steps: Sequence[tuple[float, float]] | None = None,
    per: float = 1000.0,
) -> pd.DataFrame:
    """Places (or offers) per ``per`` children within reach, per village (2SFCA/E2SFCA).

    Step 1 (offer side): ``R_j = S_j / Σ_{i: t_ij ≤ d0} W(t_ij) · D_i``; step 2
    (village side): ``A_i = per · Σ_{j: t_ij ≤ d0} W(t_ij) · R_j``; ``t_ij`` are
    the minutes from village *i* to offer *j* in both steps.  The weights ``W``
    of each ``decay``, the conservation property and why this is not PySAL's
    ``access`` package: see the module docstring.

    Parameters
    ----------
    travel_times
        Long table ``origin_id, destination_id, mode, minutes`` (``km`` is
        not needed); unreachable pairs absent or NaN.
    villages
        ``id`` and the demand column(s); ``name``, ``ags``, ``gemeinde`` are
        carried into the result when present.  NaN demand counts as 0.
    offers
        ``id``, ``category`` and ``capacity`` (places; NaN = unknown).
    category, mode
        The offer category (key of the category table); ``car``, ``bike`` or ``walk``.
    threshold
        Catchment size ``d0`` in minutes (pairs with ``t ≤ d0`` count).
    demand_column
        Column(s) of ``villages`` summed into the demand ``D_i``, e.g.
        ``["children_0_3", "children_3_6"]`` for Kitas.
    decay, steps
        ``"none"`` (2SFCA), ``"gaussian"`` or ``"steps"`` (E2SFCA) with ``steps``:
        increasing ``(upper bound in minutes, weight)`` pairs, default :func:`e2sfca_steps`.
    per
        Scale of the result (1000: places per 1 000 children).

    Returns
    -------
    pandas.DataFrame
        One row per village in input order: ``id`` (and ``name``, ``ags``,
        ``gemeinde`` when present), ``demand`` (``D_i``), ``access``
        (``A_i``: places per ``per`` children, or offers per ``per`` children
        when capacities are missing; 0 when no offer is in reach),
        ``n_offers_in_reach`` (offers with ``t ≤ d0``), ``supply_in_reach``
        (``Σ S_j`` of those offers, unweighted), ``supply_basis``
        (``"Plätze"`` or ``"Angebote"``) and ``supply_note`` (German note on
        missing capacities, empty when all are known).  ``attrs`` holds
        ``supply_basis``, ``supply_note`` and ``per``.  The per-offer ratios
        ``R_j`` come from :func:`offer_ratios`.

    Raises
    ------
    MissingColumnError
        A needed column is missing.
    InputDataError
        Duplicate ids, negative minutes, demand or capacity.
    ConfigError
        Bad threshold, ``per``, ``decay`` or ``steps``.
    """
    out, _ = fca_tables(
        travel_times,
        villages,
        offers,
        category=category,
        mode=mode,
        threshold=threshold,
        demand_column=demand_column,
        decay=decay,
        steps=steps,
        per=per,
    )
    return out


def offer_ratios(
    travel_times: pd.DataFrame,
    villages: pd.DataFrame,
    offers: pd.DataFrame,
    *,
    category: str,
    mode: str,
    threshold: float,
    demand_column: str | Sequence[str],
    decay: Decay = "none",
    steps: Sequence[tuple[float, float]] | None = None,
    per: float = 1000.0,
) -> pd.DataFrame:
    """Step 1 of :func:`two_step_fca` per offer: ``R_j`` ("which offer is overrun?").

    Parameters
    ----------
    travel_times, villages, offers, category, mode, threshold, demand_column, decay, steps, per
        As for :func:`two_step_fca`.

    Returns
    -------
    pandas.DataFrame
        One row per offer of the category: ``id`` (``name``, ``ags`` when
        present), ``capacity`` (as given, NaN = unknown), ``supply`` (``S_j``
        used: the capacity, or 1 when any capacity is missing),
        ``demand_in_catchment`` (``Σ W·D_i``), ``n_villages_in_catchment``,
        ``ratio`` (``R_j``, places per child; NaN when no demand is within
        reach), ``ratio_per`` (``R_j · per``), ``supply_basis``,
        ``supply_note``.

    Raises
    ------
    MissingColumnError, InputDataError, ConfigError
        As for :func:`two_step_fca`.
    """
    _, off = fca_tables(
        travel_times,
        villages,
        offers,
        category=category,
        mode=mode,
        threshold=threshold,
        demand_column=demand_column,
        decay=decay,
        steps=steps,
        per=per,
    )
    return off
