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

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp

from erreichbarkeit.config import MODE_LABELS, WGS84
from erreichbarkeit.planning import _location_problem as _problem
from erreichbarkeit.planning import _location_solver as _solver
from erreichbarkeit.planning._location_problem import Problem
from erreichbarkeit.planning._location_solver import Model
from erreichbarkeit.planning.candidates import (
    candidate_sites,
    candidate_travel_times,
    with_demand_column,
)

__all__ = [
    "SITE_COLUMNS",
    "LocationSuggestion",
    "candidate_sites",
    "candidate_travel_times",
    "suggest_locations",
    "with_demand_column",
]

logger = logging.getLogger(__name__)

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
    """German number with a thin space for thousands (``1\u202f234,5``)."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _mean_minutes(best: np.ndarray[Any, Any], demand: np.ndarray[Any, Any]) -> float:
    """Demand-weighted mean minutes over villages that reach an offer (NaN: none)."""
    finite = np.isfinite(best) & (demand > 0)
    total = float(demand[finite].sum())
    return float((best[finite] * demand[finite]).sum() / total) if total > 0 else math.nan


def _empty_sites() -> gpd.GeoDataFrame:
    """A sites table without rows (the columns of :data:`SITE_COLUMNS`)."""
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
    """German explanation of what the model optimises."""
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


# -- the result ----------------------------------------------------------------------


def _sites(p: Problem, order: Sequence[tuple[int, float, float]]) -> gpd.GeoDataFrame:
    """The sites table of the ordered ``(column, coverage gain, minutes saved)`` steps."""
    candidates = p.candidates
    cand = candidates.set_index(candidates["id"].astype(str))
    names = cand["name"] if "name" in cand.columns else cand.index.to_series()
    sites_ids = [p.columns[j] for j, _, _ in order]
    geoms = cand.geometry
    crs = candidates.crs
    total = p.total
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
    return sites if len(sites) else _empty_sites()


def _result(
    p: Problem,
    chosen: Sequence[int],
    *,
    seconds: float,
    n_cand: int,
    optimal: bool,
    note: str,
    k_used: int,
) -> LocationSuggestion:
    """The suggestion of the chosen columns, ordered greedily (MCLP: sites without gain dropped)."""
    order = _solver.greedy_order(
        chosen, p.times, p.best0, p.demand,
        threshold=p.threshold, penalty=p.penalty, ids=p.columns, by=p.by,
    )  # fmt: skip
    dropped = [j for j, gain, _ in order if gain <= 0] if p.model == "mclp" else []
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
    best = p.best0.copy()
    for j, _, _ in order:
        best = np.minimum(best, p.times[:, j])
    return LocationSuggestion(
        sites=_sites(p, order),
        covered_before=float(p.demand[p.best0 <= p.threshold].sum()),
        covered_after=float(p.demand[best <= p.threshold].sum()),
        objective=_objective_text(
            p.model,
            demand_label=_demand_label(p.demand_column),
            threshold=p.threshold,
            mode=p.mode,
            label=p.label,
            n_existing=p.n_existing,
            k=k_used,
            n_candidates=n_cand,
        ),
        solver_seconds=seconds,
        candidates_considered=n_cand,
        total_demand=p.total,
        mean_minutes_before=_mean_minutes(p.best0, p.demand),
        mean_minutes_after=_mean_minutes(best, p.demand),
        model=p.model,
        optimal=optimal,
        note=" ".join(notes),
    )


def _nothing_to_do(p: Problem, note: str) -> LocationSuggestion:
    """An empty suggestion with a German note."""
    return _result(p, [], seconds=0.0, n_cand=0, optimal=True, k_used=0, note=note)


# -- candidates and solving ------------------------------------------------------------


def _solve_or_greedy(
    p: Problem, keep: np.ndarray[Any, Any], k: int, time_limit_s: float
) -> tuple[list[int], bool, list[str]]:
    """Solve the model; without a solution in the time limit, take the greedy sites.

    Returns ``(chosen columns, proven optimal, German notes)``.
    """
    solver = _solver.make_solver(time_limit_s)
    try:
        chosen, status = _solver.solve(
            p.model, solver, times=p.times, keep=keep, best0=p.best0, demand=p.demand,
            uncovered=p.uncovered, threshold=p.threshold, penalty=p.penalty, k=k,
            n_existing=p.n_existing,
        )  # fmt: skip
    except RuntimeError as exc:  # spopt: "Model is not solved" (no solution in the time limit)
        logger.warning("location model not solved (%s); using the greedy heuristic", exc)
        chosen = _solver.greedy_pick(
            keep.tolist(), p.times, p.best0, p.demand, k=k,
            threshold=p.threshold, penalty=p.penalty, ids=p.columns, model=p.model,
        )  # fmt: skip
        note = (
            f"Der Löser fand in {_de_num(time_limit_s)} s keine Lösung; vorgeschlagen werden "
            "die Standorte des schrittweisen Verfahrens (jeweils der Standort mit dem größten "
            "Zugewinn)."
        )
        return chosen, False, [note]
    if status == pulp.LpSolutionOptimal:
        return chosen, True, []
    note = (
        f"Die Rechenzeit von {_de_num(time_limit_s)} s reichte nicht für den Nachweis "
        "der besten Lösung; vorgeschlagen wird die beste gefundene."
    )
    return chosen, False, [note]


def _suggest(
    p: Problem, *, k: int, max_candidates: int, limit_s: float, t0_total: float
) -> LocationSuggestion:
    """Short-list the candidates that help, solve, and report (see :func:`suggest_locations`)."""
    if p.model == "mclp" and not p.uncovered.any():
        return _nothing_to_do(
            p,
            "Alle Kinder der Zielgruppe erreichen schon ein bestehendes Angebot "
            "innerhalb der Schwelle; ein neuer Standort verbessert die Abdeckung nicht."
            if p.total > 0
            else "Keine Kinder der Zielgruppe in den Orten; nichts zu verbessern.",
        )
    score = _problem.candidate_scores(p)
    useful = np.flatnonzero(score > 0)
    if useful.size == 0:
        return _nothing_to_do(
            p,
            "Kein Kandidat erreicht bisher unversorgte Kinder innerhalb der Schwelle."
            if p.model == "mclp"
            else "Kein Kandidat verkürzt die Wege der Kinder gegenüber den bestehenden Angeboten.",
        )
    # largest possible gain first, ties by id; keep max_candidates
    ranked = sorted(useful.tolist(), key=lambda i: (-score[i], p.cand_ids[i]))[:max_candidates]
    keep = np.array(sorted(ranked), dtype="int64") + p.n_existing  # matrix columns
    n_cand = int(keep.size)
    k_used = min(k, n_cand)
    notes: list[str] = []
    if k_used < k:
        notes.append(
            f"Nur {n_cand} Kandidaten verbessern die Versorgung; es werden höchstens "
            f"{n_cand} statt {k} Standorte vorgeschlagen."
        )
    logger.info(
        "%s: %d of %d candidates handed to the solver, k = %d",
        p.model,
        n_cand,
        len(p.cand_ids),
        k_used,
    )

    import spopt.locate  # noqa: F401, PLC0415 (slow first import, kept out of solver_seconds)

    t0 = time.perf_counter()
    chosen, optimal, solver_notes = _solve_or_greedy(p, keep, k_used, limit_s)
    seconds = time.perf_counter() - t0
    logger.info(
        "%s solved in %.2f s (total %.2f s)", p.model, seconds, time.perf_counter() - t0_total
    )
    return _result(
        p, chosen, seconds=seconds, n_cand=n_cand, optimal=optimal,
        note=" ".join(notes + solver_notes), k_used=k_used,
    )  # fmt: skip


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
    p = _problem.build(
        travel_times_candidates, villages, existing_offer_ids, candidates=candidates, k=k,
        threshold=threshold, demand_column=demand_column, model=model, mode=mode, label=label,
    )  # fmt: skip
    return _suggest(p, k=k, max_candidates=max_candidates, limit_s=time_limit_s, t0_total=started)
