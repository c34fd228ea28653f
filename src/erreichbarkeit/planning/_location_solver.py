"""The solver side of the location models: CBC, spopt's MCLP and p-median, greedy steps.

See :mod:`erreichbarkeit.planning.locations` for the models and the exact
reductions that keep them small.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pulp

__all__ = ["Model", "greedy_order", "greedy_pick", "make_solver", "solve"]

Model = Literal["mclp", "pmedian"]

# PuLP 3.3 flags two things for its 4.0 release with a DeprecationWarning: the
# bundled ``PULP_CBC_CMD`` (still working until 4.0; used when no other CBC is
# installed) and spopt 0.8 building its variables with ``LpVariable(name, ...)``.
# Both are silenced by filters installed once, here at import, that match only
# these two messages from these two PuLP modules.  Not ``warnings.catch_warnings()``
# around each solve: it swaps the process-wide filter list on entry and exit,
# which is not thread-safe (see the ``warnings`` docs), and the dashboard solves
# in several Streamlit session threads at once.
warnings.filterwarnings(
    "ignore",
    message=r"PULP_CBC_CMD is deprecated",
    category=DeprecationWarning,
    module=r"pulp\.apis\.coin_api$",
)
warnings.filterwarnings(
    "ignore",
    message=r"Constructing LpVariable\(name, \.\.\.\) directly is deprecated",
    category=DeprecationWarning,
    module=r"pulp\.pulp$",
)


def make_solver(time_limit_s: float) -> pulp.LpSolver:
    """CBC with a time limit and no console output.

    PuLP 3.3 deprecates its bundled ``PULP_CBC_CMD`` in favour of ``COIN_CMD``
    with CBC from the ``cbcbox`` wheel (``pulp[cbc]``); use that when a CBC
    binary is available, else the bundled one (its deprecation warning is
    filtered at import: it works until PuLP 4).
    """
    coin = pulp.COIN_CMD(msg=False, timeLimit=time_limit_s)
    if coin.available():
        return coin
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)


def greedy_order(
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


def greedy_pick(
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
        order = greedy_order(
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


def _solve_mclp(
    solver: pulp.LpSolver,
    *,
    times: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
    demand: np.ndarray[Any, Any],
    uncovered: np.ndarray[Any, Any],
    threshold: float,
    penalty: float,
    k: int,
) -> tuple[list[Any], int, int]:
    """Solve the MCLP on the uncovered villages; ``(facility variables, status, offset)``."""
    from spopt.locate import MCLP  # noqa: PLC0415  (slow import, see solve)

    clients = np.flatnonzero(uncovered & (times[:, keep] <= threshold).any(axis=1))
    cost = times[np.ix_(clients, keep)]
    mclp = MCLP.from_cost_matrix(
        np.where(np.isfinite(cost), cost, penalty), demand[clients], threshold, k
    )
    mclp.solve(solver, results=False)
    return list(mclp.fac_vars), int(mclp.problem.sol_status), 0


def _solve_pmedian(
    solver: pulp.LpSolver,
    *,
    times: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
    best0: np.ndarray[Any, Any],
    demand: np.ndarray[Any, Any],
    penalty: float,
    k: int,
    n_existing: int,
) -> tuple[list[Any], int, int]:
    """Solve the p-median, existing offers as one predefined column; ``(vars, status, offset)``."""
    from spopt.locate import PMedian  # noqa: PLC0415  (slow import, see solve)

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
    return list(pm.fac_vars), int(pm.problem.sol_status), offset


def solve(
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
    solution status.  See :mod:`erreichbarkeit.planning.locations` for the reductions.

    spopt is imported inside the two model functions: it pulls in libpysal &
    co. (about 3 s), which the dashboard should not pay for until a location
    model is asked for.

    Raises
    ------
    RuntimeError
        From spopt when the solver returned no solution.
    """
    if model == "mclp":
        fac_vars, status, offset = _solve_mclp(
            solver, times=times, keep=keep, demand=demand, uncovered=uncovered,
            threshold=threshold, penalty=penalty, k=k,
        )  # fmt: skip
    else:
        fac_vars, status, offset = _solve_pmedian(
            solver, times=times, keep=keep, best0=best0, demand=demand, penalty=penalty,
            k=k, n_existing=n_existing,
        )  # fmt: skip
    chosen = [
        int(keep[i - offset])
        for i, x in enumerate(fac_vars)
        if i >= offset and (x.value() or 0) > 0.5
    ]
    return chosen, status
