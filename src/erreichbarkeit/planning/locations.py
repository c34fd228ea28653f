"""Where should the next k offers go?  Location models with spopt.

"Where should the next two Familienzentren go so that the most children
reach one within 15 minutes?"  Two classic models answer it, solved with
PySAL spopt (PuLP + the CBC solver bundled with PuLP):

* **MCLP** (maximal covering location problem, Church & ReVelle 1974):
  choose ``k`` new sites so that the demand (children of the target group)
  within the threshold of an open offer — existing or new — is largest.
* **p-median** (Hakimi 1964): choose ``k`` new sites so that the
  demand-weighted travel time from each village to its nearest open offer is
  smallest (the mean minutes, not just "inside/outside the threshold").

The existing offers of the category stay open in both models.

Exact reductions that keep the problems small
---------------------------------------------
* MCLP: villages already covered by an existing offer are covered whatever
  is added, so they are constant in the objective; they and the existing
  offers are left out of the model, which then places ``k`` sites to cover
  the *currently uncovered* demand.  The optimum is the same as with the
  existing offers as predefined facilities, with far fewer variables.
* p-median: every village can always use its nearest existing offer, so all
  existing offers are merged into one predefined facility column whose cost
  for village *i* is the minutes to its nearest existing offer (spopt's
  ``predefined_facilities_arr``).  Villages without demand are left out
  (weight 0).
* Candidates: only candidates that improve something are offered to the
  solver — for MCLP those reaching currently uncovered demand within the
  threshold, for p-median those bringing at least one village closer than its
  nearest existing offer — and of those the ``max_candidates`` with the
  largest possible gain.  CBC gets a time limit; when it returns no solution
  within it, the greedy heuristic's sites are reported (and said so).

Unreachable pairs (absent from the long table) cost a penalty in the
p-median: twice the largest travel time of the table, so the model prefers
connecting a village to anything reachable over saving minutes elsewhere.

Reporting
---------
The selected sites are ordered greedily: first the site with the largest
marginal coverage gain (children newly within the threshold, given the
existing offers), then the next given both, and so on; ties by the
demand-weighted minutes saved, then id.  Each row reports its marginal gain,
so the gains add up to ``covered_after − covered_before``.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp

from erreichbarkeit.config import MODE_LABELS, WGS84, Category, age_column
from erreichbarkeit.errors import ConfigError, InputDataError, MissingColumnError
from erreichbarkeit.network.matrix import travel_times as _matrix_travel_times
from erreichbarkeit.network.routing import Router

__all__ = [
    "SITE_COLUMNS",
    "LocationSuggestion",
    "candidate_sites",
    "candidate_travel_times",
    "suggest_locations",
    "with_demand_column",
]

logger = logging.getLogger(__name__)

Model = Literal["mclp", "pmedian"]

#: Columns of :attr:`LocationSuggestion.sites`.
SITE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "rank",
    "coverage_gain_children",
    "coverage_gain_share",
    "minutes_saved",
    "geometry",
)

_TT_COLUMNS = ("origin_id", "destination_id", "minutes")


@dataclass(frozen=True)
class LocationSuggestion:
    """Suggested sites for new offers and what they change.

    Attributes
    ----------
    sites
        One row per suggested site, best first (EPSG:4326): ``id``, ``name``,
        ``rank`` (1 = largest marginal gain), ``coverage_gain_children``
        (children newly within the threshold given the existing offers and
        the sites ranked before), ``coverage_gain_share`` (that gain as a
        share of all children of the target group, 0…1), ``minutes_saved``
        (marginal reduction of the children-weighted total minutes to the
        nearest offer), geometry.
    covered_before, covered_after
        Children within the threshold of an existing offer, and of an
        existing or suggested one (recomputed from the travel-time table).
    objective
        German explanation of what the model optimised.
    solver_seconds
        Wall-clock seconds of the solver (0 when no model was solved).
    candidates_considered
        Candidates handed to the solver after filtering.
    total_demand
        All children of the target group (the share's denominator).
    mean_minutes_before, mean_minutes_after
        Children-weighted mean minutes to the nearest offer over villages
        that reach one (NaN when none does).
    model
        ``"mclp"`` or ``"pmedian"``.
    optimal
        True when the solver proved the solution optimal; False when it
        stopped at the time limit or the greedy fallback was used.
    note
        German remarks (nothing to improve, fewer sites than asked, time limit
        reached …); empty when there is nothing to add.
    """

    sites: gpd.GeoDataFrame
    covered_before: float
    covered_after: float
    objective: str
    solver_seconds: float
    candidates_considered: int
    total_demand: float = math.nan
    mean_minutes_before: float = math.nan
    mean_minutes_after: float = math.nan
    model: str = "mclp"
    optimal: bool = True
    note: str = ""


# -- candidates and their travel times ------------------------------------------


def with_demand_column(villages: pd.DataFrame, category: Category) -> tuple[pd.DataFrame, str]:
    """The villages with one demand column for the category's age groups.

    The column is named ``children_<lo>_<hi>`` when the age groups are
    contiguous (the model's German text then reads "Kinder lo–hi Jahre"),
    else ``demand``.

    Returns
    -------
    tuple
        ``(villages with the column, its name)``.
    """
    groups = category.age_groups
    bounds = sorted((int(g.split("-")[0]), int(g.split("-")[1])) for g in groups)
    contiguous = all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    name = f"children_{bounds[0][0]}_{bounds[-1][1]}" if contiguous and bounds else "demand"
    out = villages.copy()
    out[name] = (
        out[[age_column(g) for g in groups]].apply(pd.to_numeric, errors="coerce").sum(axis=1)
    )
    return out, name


def candidate_sites(
    villages: gpd.GeoDataFrame | None = None,
    own: gpd.GeoDataFrame | None = None,
    *,
    prefix: str = "kandidat:",
) -> gpd.GeoDataFrame:
    """Candidate sites from the villages' points, own candidates, or both.

    Parameters
    ----------
    villages
        Villages (``id``, ``name``, Point geometry); each becomes a candidate
        with id ``prefix + id`` (so it cannot clash with an offer's id).
    own
        The user's candidate sites (``id``, optional ``name``, Point
        geometry), ids kept as given.
    prefix
        Prefix of the candidate ids made from villages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name``, ``source`` (``"Ort"`` or ``"eigener Standort"``),
        geometry, EPSG:4326.

    Raises
    ------
    ConfigError
        If neither table is given.
    InputDataError
        Duplicate ids, non-point geometries or no CRS.
    """
    from erreichbarkeit.network.matrix import check_points  # noqa: PLC0415 (keeps import light)

    parts: list[gpd.GeoDataFrame] = []
    if villages is not None:
        v = check_points(villages, "villages")
        names = v["name"] if "name" in v.columns else v["id"]
        parts.append(
            gpd.GeoDataFrame(
                {"id": prefix + v["id"].astype(str), "name": names.astype(str), "source": "Ort"},
                geometry=v.geometry.to_numpy(),
                crs=WGS84,
            )
        )
    if own is not None:
        o = check_points(own, "candidates")
        names = o["name"] if "name" in o.columns else o["id"]
        parts.append(
            gpd.GeoDataFrame(
                {
                    "id": o["id"].astype(str),
                    "name": names.astype(str),
                    "source": "eigener Standort",
                },
                geometry=o.geometry.to_numpy(),
                crs=WGS84,
            )
        )
    if not parts:
        msg = "no candidate sites: pass villages and/or own candidates"
        raise ConfigError(
            msg,
            column="candidates",
            expected="villages and/or own candidate points",
            message_de="Keine Kandidatenstandorte angegeben",
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WGS84)
    return check_points(out, "candidates")


def candidate_travel_times(
    routers: Mapping[str, Router],
    villages: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    mode: str,
    cutoff_minutes: float,
    max_snap_m: float,
) -> pd.DataFrame:
    """Minutes from each village to each candidate site (candidates as destinations).

    Parameters
    ----------
    routers
        One :class:`~erreichbarkeit.network.routing.Router` per mode (``mode`` must be a key).
    villages
        Villages (origins).
    candidates
        Candidate sites (:func:`candidate_sites`).
    mode
        The mode to route.
    cutoff_minutes, max_snap_m
        As for :func:`erreichbarkeit.network.matrix.travel_times`; candidates further
        than ``max_snap_m`` from the network get no rows (never suggested).

    Returns
    -------
    pandas.DataFrame
        The long table ``origin_id, destination_id, mode, minutes, km``.

    Raises
    ------
    ConfigError
        If there is no router for ``mode``.
    """
    if mode not in routers:
        msg = f"no router for mode {mode!r}"
        raise ConfigError(msg, column="mode", expected=", ".join(routers))
    result = _matrix_travel_times(
        routers,
        villages,
        candidates,
        cutoff_minutes=cutoff_minutes,
        max_snap_m=max_snap_m,
        modes=[mode],
    )
    return result.travel_times


# -- helpers --------------------------------------------------------------------


def _demand_label(demand_column: str) -> str:
    """German plural noun phrase for the demand column (``Kinder 0–3 Jahre``)."""
    if demand_column == "population":
        return "Einwohner"
    if demand_column.startswith("children_"):
        parts = demand_column.removeprefix("children_").split("_")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            lo, hi = parts
            noun = "jungen Erwachsenen" if int(lo) >= 18 else "Kinder und Jugendlichen"
            if int(hi) <= 10:
                noun = "Kinder"
            return f"{noun} {lo}–{hi} Jahre"
    return f"Personen ({demand_column})"


def _de_num(value: float) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _make_solver(time_limit_s: float) -> pulp.LpSolver:
    """CBC with a time limit and no console output.

    PuLP 3.3 deprecates its bundled ``PULP_CBC_CMD`` in favour of ``COIN_CMD``
    with CBC from the ``cbcbox`` wheel (``pulp[cbc]``); use that when a CBC
    binary is available, else the bundled one (deprecation warning silenced:
    it works until PuLP 4).
    """
    coin = pulp.COIN_CMD(msg=False, timeLimit=time_limit_s)
    if coin.available():
        return coin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)


def _mean_minutes(best: np.ndarray[Any, Any], demand: np.ndarray[Any, Any]) -> float:
    finite = np.isfinite(best) & (demand > 0)
    total = float(demand[finite].sum())
    return float((best[finite] * demand[finite]).sum() / total) if total > 0 else math.nan


def _empty_sites() -> gpd.GeoDataFrame:
    cols = {c: pd.Series(dtype="object") for c in ("id", "name")}
    cols.update(
        {
            "rank": pd.Series(dtype="int64"),
            "coverage_gain_children": pd.Series(dtype="float64"),
            "coverage_gain_share": pd.Series(dtype="float64"),
            "minutes_saved": pd.Series(dtype="float64"),
        }
    )
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def _greedy_order(
    chosen: Sequence[int],
    times: np.ndarray[Any, Any],
    best0: np.ndarray[Any, Any],
    demand: np.ndarray[Any, Any],
    *,
    threshold: float,
    penalty: float,
    ids: Sequence[str],
    by: Literal["coverage", "minutes"] = "coverage",
) -> list[tuple[int, float, float]]:
    """Order sites greedily; returns ``(column, coverage gain, minutes saved)`` per step."""
    best = best0.copy()
    left = list(chosen)
    order: list[tuple[int, float, float]] = []
    while left:
        scored = []
        for j in left:
            new = np.minimum(best, times[:, j])
            gain = float(demand[(new <= threshold) & ~(best <= threshold)].sum())
            saved = float((demand * (np.minimum(best, penalty) - np.minimum(new, penalty))).sum())
            key = (gain, saved) if by == "coverage" else (saved, gain)
            scored.append((key, ids[j], j, gain, saved))
        # largest key first; ties by id (ascending)
        scored.sort(key=lambda s: (-s[0][0], -s[0][1], s[1]))
        _, _, j, gain, saved = scored[0]
        order.append((j, gain, saved))
        best = np.minimum(best, times[:, j])
        left.remove(j)
    return order


def _greedy_pick(
    columns: Sequence[int],
    times: np.ndarray[Any, Any],
    best0: np.ndarray[Any, Any],
    demand: np.ndarray[Any, Any],
    *,
    k: int,
    threshold: float,
    penalty: float,
    ids: Sequence[str],
    model: Model,
) -> list[int]:
    """The greedy heuristic: add the best site k times (fallback without a solution)."""
    best = best0.copy()
    picked: list[int] = []
    for _ in range(k):
        cands = [j for j in columns if j not in picked]
        if not cands:
            break
        order = _greedy_order(
            cands,
            times,
            best,
            demand,
            threshold=threshold,
            penalty=penalty,
            ids=ids,
            by="coverage" if model == "mclp" else "minutes",
        )
        j = order[0][0]
        picked.append(j)
        best = np.minimum(best, times[:, j])
    return picked


def _objective_text(
    model: Model,
    *,
    demand_label: str,
    threshold: float,
    mode: str | None,
    label: str | None,
    n_existing: int,
    k: int,
    n_candidates: int,
) -> str:
    what = f"ein Angebot „{label}“" if label else "ein Angebot"
    via = f" ({MODE_LABELS.get(mode, mode)})" if mode else ""
    minutes = _de_num(threshold)
    keep = (
        f"die {n_existing} bestehenden Angebote bleiben"
        if n_existing != 1
        else "das bestehende Angebot bleibt"
    )
    sites = "ein neuer Standort" if k == 1 else f"{k} neue Standorte"
    tail = f"; {keep}; {sites} aus {n_candidates} geprüften Kandidaten."
    if model == "mclp":
        return (
            f"Maximiert die Zahl der {demand_label}, die innerhalb von {minutes} Minuten"
            f"{via} {what} erreichen (Modell: maximale Abdeckung, MCLP){tail}"
        )
    return (
        f"Minimiert die mittlere Fahrzeit{via} der {demand_label} zum nächsten Angebot"
        f"{' „' + label + '“' if label else ''}, gewichtet mit ihrer Zahl "
        f"(Modell: p-Median); nicht erreichbare Orte zählen mit einer Strafzeit"
        f"{tail} Zusätzlich ist je Standort angegeben, wie viele {demand_label} dadurch "
        f"neu innerhalb von {minutes} Minuten wohnen."
    )


def _solve(
    model: Model,
    solver: pulp.LpSolver,
    *,
    times: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
    best0: np.ndarray[Any, Any],
    demand: np.ndarray[Any, Any],
    uncovered: np.ndarray[Any, Any],
    threshold: float,
    penalty: float,
    k: int,
    n_existing: int,
) -> tuple[list[int], int]:
    """Build and solve the spopt model; returns the chosen matrix columns and PuLP's
    solution status.  See the module docstring for the reductions.

    Raises
    ------
    RuntimeError
        From spopt when the solver returned no solution.
    """
    # imported here: spopt pulls in libpysal & co. (about 3 s), which the
    # dashboard should not pay for until a location model is asked for
    from spopt.locate import MCLP, PMedian  # noqa: PLC0415

    with warnings.catch_warnings():
        # spopt 0.8 creates variables with the PuLP 3 API that PuLP 3.3 flags for 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        if model == "mclp":
            clients = np.flatnonzero(uncovered & (times[:, keep] <= threshold).any(axis=1))
            cost = times[np.ix_(clients, keep)]
            mclp = MCLP.from_cost_matrix(
                np.where(np.isfinite(cost), cost, penalty), demand[clients], threshold, k
            )
            mclp.solve(solver, results=False)
            fac_vars = mclp.fac_vars
            status = int(mclp.problem.sol_status)
            offset = 0
        else:
            reach = np.isfinite(best0) | np.isfinite(times[:, keep]).any(axis=1)
            clients = np.flatnonzero((demand > 0) & reach)
            sub = np.where(np.isfinite(times), times, penalty)[np.ix_(clients, keep)]
            if n_existing:
                # all existing offers as one predefined column: the minutes to the nearest
                ex_col = np.where(np.isfinite(best0), best0, penalty)[clients][:, None]
                cost = np.hstack([ex_col, sub])
                predefined = np.zeros(cost.shape[1], dtype="int64")
                predefined[0] = 1
                pm = PMedian.from_cost_matrix(
                    cost, demand[clients], k + 1, predefined_facilities_arr=predefined
                )
                offset = 1
            else:
                pm = PMedian.from_cost_matrix(sub, demand[clients], k)
                offset = 0
            pm.solve(solver, results=False)
            fac_vars = pm.fac_vars
            status = int(pm.problem.sol_status)
    chosen = [
        int(keep[i - offset])
        for i, x in enumerate(fac_vars)
        if i >= offset and (x.value() or 0) > 0.5
    ]
    return chosen, status


# -- the model --------------------------------------------------------------------


def suggest_locations(
    travel_times_candidates: pd.DataFrame,
    villages: pd.DataFrame,
    existing_offer_ids: Sequence[str],
    *,
    candidates: gpd.GeoDataFrame,
    k: int,
    threshold: float,
    demand_column: str,
    model: Model = "mclp",
    max_candidates: int = 200,
    time_limit_s: float = 30,
    mode: str | None = None,
    label: str | None = None,
) -> LocationSuggestion:
    """Suggest ``k`` sites for new offers (MCLP or p-median, existing offers kept).

    Parameters
    ----------
    travel_times_candidates
        Long table (``origin_id`` = village, ``destination_id``, ``minutes``;
        optional ``mode``) holding the villages' minutes to the existing
        offers of the category **and** to the candidate sites, e.g. the
        run's table for one mode concatenated with
        :func:`candidate_travel_times`.  Unreachable pairs absent or NaN.
    villages
        ``id`` and ``demand_column`` (NaN counts as 0).
    existing_offer_ids
        Ids of the existing offers of the category (kept open).
    candidates
        Candidate sites: ``id``, optional ``name``, Point geometry
        (:func:`candidate_sites`).  Ids must differ from the existing ones.
    k
        Number of new sites (``>= 1``, at most the number of candidates).
    threshold
        Minutes within which a village counts as covered.
    demand_column
        Column of ``villages`` with the demand, e.g. ``children_0_3``.
    model
        ``"mclp"`` (maximise children within the threshold) or ``"pmedian"``
        (minimise children-weighted minutes to the nearest offer).
    max_candidates
        At most this many candidates (those with the largest possible gain)
        are handed to the solver.
    time_limit_s
        CBC time limit in seconds.
    mode
        Mode of the table's rows to use; needed when the table holds more
        than one mode; also named in the German objective text.
    label
        German category label for the objective text (``Familienzentrum``).

    Returns
    -------
    LocationSuggestion
        Empty ``sites`` with a German ``note`` when nothing can be improved
        (no uncovered demand for the MCLP, or no candidate helps).

    Raises
    ------
    ConfigError
        ``k < 1``, ``k`` larger than the number of candidates, a bad
        threshold, model, or several modes without ``mode``.
    InputDataError
        Candidate ids clash with existing offer ids or are duplicated;
        negative minutes or demand.
    MissingColumnError
        A needed column is missing.
    """
    started = time.perf_counter()
    if model not in ("mclp", "pmedian"):
        msg = f"unknown model {model!r}"
        raise ConfigError(msg, column="model", expected="mclp, pmedian")
    if not (threshold > 0 and math.isfinite(threshold)):
        msg = f"threshold must be a positive number of minutes, got {threshold}"
        raise ConfigError(msg, column="threshold", expected="minutes > 0")
    if k < 1:
        msg = f"k must be at least 1, got {k}"
        raise ConfigError(
            msg,
            column="k",
            expected="k >= 1",
            message_de="Die Zahl neuer Standorte muss mindestens 1 sein",
        )
    if "id" not in candidates.columns:
        msg = "candidates lack column id"
        raise MissingColumnError(msg, column="id", message_de="Kandidaten: Spalte „id“ fehlt")
    cand_ids = candidates["id"].astype(str).tolist()
    if len(set(cand_ids)) != len(cand_ids):
        msg = "candidate ids are not unique"
        raise InputDataError(msg, column="id", message_de="Kandidaten-IDs sind doppelt")
    existing = [str(e) for e in dict.fromkeys(existing_offer_ids)]
    clash = sorted(set(existing) & set(cand_ids))
    if clash:
        msg = f"candidate ids equal existing offer ids: {', '.join(clash[:5])}"
        raise InputDataError(
            msg,
            column="id",
            expected="candidate ids different from offer ids",
            message_de=f"Kandidaten-IDs gleichen bestehenden Angeboten: {', '.join(clash[:5])}",
        )
    if k > len(cand_ids):
        msg = f"k = {k} new sites asked for, but only {len(cand_ids)} candidates given"
        raise ConfigError(
            msg,
            column="k",
            expected=f"k <= {len(cand_ids)}",
            message_de=(
                f"{k} neue Standorte gewünscht, aber nur {len(cand_ids)} Kandidaten angegeben"
            ),
        )
    for col in ("id", demand_column):
        if col not in villages.columns:
            msg = f"villages lack column {col}"
            raise MissingColumnError(
                msg, column=col, message_de=f"Den Orten fehlt die Spalte „{col}“"
            )
    missing_tt = [c for c in _TT_COLUMNS if c not in travel_times_candidates.columns]
    if missing_tt:
        msg = f"travel times lack column(s) {', '.join(missing_tt)}"
        raise MissingColumnError(msg, column=missing_tt[0], expected=", ".join(_TT_COLUMNS))

    tt = travel_times_candidates
    if "mode" in tt.columns:
        modes = tt["mode"].dropna().unique().tolist()
        if mode is not None:
            tt = tt[tt["mode"] == mode]
        elif len(modes) > 1:
            msg = f"travel times hold several modes ({', '.join(map(str, modes))}); pass mode"
            raise ConfigError(msg, column="mode", expected="one of " + ", ".join(map(str, modes)))
        elif modes:
            mode = str(modes[0])
    tt = tt.loc[tt["minutes"].notna(), list(_TT_COLUMNS)]
    if (tt["minutes"] < 0).any():
        msg = "travel times contain negative minutes"
        raise InputDataError(msg, column="minutes", message_de="Negative Reisezeiten")

    v_ids = villages["id"].astype(str).to_numpy()
    demand = pd.to_numeric(villages[demand_column], errors="coerce").fillna(0.0).to_numpy("float64")
    if (demand < 0).any():
        msg = f"negative demand in {demand_column}"
        raise InputDataError(msg, column=demand_column, expected="counts >= 0")
    total = float(demand.sum())
    columns = existing + cand_ids  # matrix columns: existing first
    col_of = {c: i for i, c in enumerate(columns)}
    row_of = {v: i for i, v in enumerate(v_ids)}
    times = np.full((len(v_ids), len(columns)), np.inf)
    rows = tt["origin_id"].astype(str).map(row_of)
    cols = tt["destination_id"].astype(str).map(col_of)
    ok = rows.notna() & cols.notna()
    r = rows[ok].to_numpy("int64")
    c = cols[ok].to_numpy("int64")
    np.minimum.at(times, (r, c), tt.loc[ok, "minutes"].to_numpy("float64"))
    n_ex = len(existing)
    best0 = times[:, :n_ex].min(axis=1) if n_ex else np.full(len(v_ids), np.inf)
    finite = times[np.isfinite(times)]
    penalty = 2.0 * max(float(finite.max()) if finite.size else 0.0, threshold)
    covered0 = best0 <= threshold
    covered_before = float(demand[covered0].sum())
    mean_before = _mean_minutes(best0, demand)

    def result(
        chosen: Sequence[int], *, seconds: float, n_cand: int, optimal: bool, note: str, k_used: int
    ) -> LocationSuggestion:
        order = _greedy_order(
            chosen,
            times,
            best0,
            demand,
            threshold=threshold,
            penalty=penalty,
            ids=columns,
            by="coverage" if model == "mclp" else "minutes",
        )
        dropped = [j for j, gain, _ in order if gain <= 0] if model == "mclp" else []
        order = [o for o in order if o[0] not in dropped]
        notes = [note] if note else []
        if dropped:
            notes.append(
                "Einer der gewählten Standorte brächte keine zusätzlichen Kinder innerhalb der "
                "Schwelle und wird nicht vorgeschlagen."
                if len(dropped) == 1
                else f"{len(dropped)} der gewählten Standorte brächten keine zusätzlichen Kinder "
                "innerhalb der Schwelle und werden nicht vorgeschlagen."
            )
        best = best0.copy()
        for j, _, _ in order:
            best = np.minimum(best, times[:, j])
        cand = candidates.set_index(candidates["id"].astype(str))
        names = cand["name"] if "name" in cand.columns else cand.index.to_series()
        sites_ids = [columns[j] for j, _, _ in order]
        geoms = cand.geometry
        crs = candidates.crs
        sites = gpd.GeoDataFrame(
            {
                "id": sites_ids,
                "name": [str(names.loc[s]) for s in sites_ids],
                "rank": np.arange(1, len(order) + 1, dtype="int64"),
                "coverage_gain_children": [g for _, g, _ in order],
                "coverage_gain_share": [g / total if total > 0 else math.nan for _, g, _ in order],
                "minutes_saved": [s for _, _, s in order],
            },
            geometry=gpd.GeoSeries([geoms.loc[s] for s in sites_ids], crs=crs),
            crs=crs,
        )
        if crs is not None and sites.crs != WGS84:
            sites = sites.to_crs(WGS84)
        return LocationSuggestion(
            sites=sites if len(sites) else _empty_sites(),
            covered_before=covered_before,
            covered_after=float(demand[best <= threshold].sum()),
            objective=_objective_text(
                model,
                demand_label=_demand_label(demand_column),
                threshold=threshold,
                mode=mode,
                label=label,
                n_existing=n_ex,
                k=k_used,
                n_candidates=n_cand,
            ),
            solver_seconds=seconds,
            candidates_considered=n_cand,
            total_demand=total,
            mean_minutes_before=mean_before,
            mean_minutes_after=_mean_minutes(best, demand),
            model=model,
            optimal=optimal,
            note=" ".join(notes),
        )

    cand_cols = np.arange(n_ex, len(columns))
    ct = times[:, cand_cols]
    if model == "mclp":
        uncovered = ~covered0 & (demand > 0)
        if not uncovered.any():
            return result(
                [],
                seconds=0.0,
                n_cand=0,
                optimal=True,
                k_used=0,
                note=(
                    "Alle Kinder der Zielgruppe erreichen schon ein bestehendes Angebot "
                    "innerhalb der Schwelle; ein neuer Standort verbessert die Abdeckung nicht."
                    if total > 0
                    else "Keine Kinder der Zielgruppe in den Orten; nichts zu verbessern."
                ),
            )
        score = ((ct <= threshold) & uncovered[:, None]).astype("float64").T @ demand
    else:
        gain = np.minimum(best0, penalty)[:, None] - np.minimum(ct, penalty)
        score = np.clip(gain, 0.0, None).T @ demand
    useful = np.flatnonzero(score > 0)
    if useful.size == 0:
        return result(
            [],
            seconds=0.0,
            n_cand=0,
            optimal=True,
            k_used=0,
            note=(
                "Kein Kandidat erreicht bisher unversorgte Kinder innerhalb der Schwelle."
                if model == "mclp"
                else "Kein Kandidat verkürzt die Wege der Kinder gegenüber den bestehenden "
                "Angeboten."
            ),
        )
    # largest possible gain first, ties by id; keep max_candidates
    ranked = sorted(useful.tolist(), key=lambda i: (-score[i], cand_ids[i]))[:max_candidates]
    keep = np.array(sorted(ranked), dtype="int64") + n_ex  # matrix columns
    n_cand = int(keep.size)
    k_used = min(k, n_cand)
    notes: list[str] = []
    if k_used < k:
        notes.append(
            f"Nur {n_cand} Kandidaten verbessern die Versorgung; es werden höchstens "
            f"{n_cand} statt {k} Standorte vorgeschlagen."
        )
    logger.info(
        "%s: %d of %d candidates handed to the solver, k = %d", model, n_cand, len(cand_ids), k_used
    )

    import spopt.locate  # noqa: F401, PLC0415 (slow first import, kept out of solver_seconds)

    solver = _make_solver(time_limit_s)
    t0 = time.perf_counter()
    optimal = False
    try:
        chosen, status = _solve(
            model,
            solver,
            times=times,
            keep=keep,
            best0=best0,
            demand=demand,
            uncovered=~covered0 & (demand > 0),
            threshold=threshold,
            penalty=penalty,
            k=k_used,
            n_existing=n_ex,
        )
        optimal = status == pulp.LpSolutionOptimal
        if not optimal:
            notes.append(
                f"Die Rechenzeit von {_de_num(time_limit_s)} s reichte nicht für den Nachweis "
                "der besten Lösung; vorgeschlagen wird die beste gefundene."
            )
    except RuntimeError as exc:  # spopt: "Model is not solved" (no solution in the time limit)
        logger.warning("location model not solved (%s); using the greedy heuristic", exc)
        chosen = _greedy_pick(
            keep.tolist(),
            times,
            best0,
            demand,
            k=k_used,
            threshold=threshold,
            penalty=penalty,
            ids=columns,
            model=model,
        )
        notes.append(
            f"Der Löser fand in {_de_num(time_limit_s)} s keine Lösung; vorgeschlagen werden "
            "die Standorte des schrittweisen Verfahrens (jeweils der Standort mit dem größten "
            "Zugewinn)."
        )
    seconds = time.perf_counter() - t0
    logger.info("%s solved in %.2f s (total %.2f s)", model, seconds, time.perf_counter() - started)
    return result(
        chosen, seconds=seconds, n_cand=n_cand, optimal=optimal, note=" ".join(notes), k_used=k_used
    )
