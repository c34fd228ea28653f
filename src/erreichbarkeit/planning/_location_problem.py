"""The location models' inputs, checked and put into a matrix.

Private helpers of :func:`erreichbarkeit.planning.locations.suggest_locations`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit.errors import ConfigError, InputDataError, MissingColumnError
from erreichbarkeit.planning._location_solver import Model

__all__ = [
    "Problem",
    "build",
    "candidate_scores",
    "check_candidates",
    "check_columns",
    "check_options",
    "demand_of",
    "one_mode",
    "time_matrix",
]

_TT_COLUMNS = ("origin_id", "destination_id", "minutes")


def check_options(model: str, threshold: float, k: int) -> None:
    """Raise for an unknown model, a bad threshold or ``k < 1``."""
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


def check_candidates(
    candidates: gpd.GeoDataFrame, existing_offer_ids: Sequence[str], k: int
) -> tuple[list[str], list[str]]:
    """The candidate ids and the (deduplicated) existing ids, checked against each other and k."""
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
    return cand_ids, existing


def check_columns(villages: pd.DataFrame, demand_column: str, tt: pd.DataFrame) -> None:
    """Raise when the villages or the travel times lack a needed column."""
    for col in ("id", demand_column):
        if col not in villages.columns:
            msg = f"villages lack column {col}"
            raise MissingColumnError(
                msg, column=col, message_de=f"Den Orten fehlt die Spalte „{col}“"
            )
    missing_tt = [c for c in _TT_COLUMNS if c not in tt.columns]
    if missing_tt:
        msg = f"travel times lack column(s) {', '.join(missing_tt)}"
        raise MissingColumnError(msg, column=missing_tt[0], expected=", ".join(_TT_COLUMNS))


def one_mode(tt: pd.DataFrame, mode: str | None) -> tuple[pd.DataFrame, str | None]:
    """The reachable rows of one mode (``origin_id, destination_id, minutes``) and that mode."""
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
    return tt, mode


# -- the problem as a matrix -------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """The model's inputs: minutes from each village to each existing offer, then candidate.

    ``columns`` names the matrix columns (existing offers first, ``n_existing``
    of them); ``best0`` is each village's minutes to its nearest existing
    offer (inf: none reachable); ``penalty`` is the p-median's cost of an
    unreachable pair.
    """

    model: Model
    threshold: float
    demand_column: str
    mode: str | None
    label: str | None
    candidates: gpd.GeoDataFrame
    cand_ids: list[str]
    columns: list[str]
    n_existing: int
    times: np.ndarray[Any, Any]
    demand: np.ndarray[Any, Any]
    best0: np.ndarray[Any, Any]
    penalty: float

    @property
    def total(self) -> float:
        """All demand (the share's denominator)."""
        return float(self.demand.sum())

    @property
    def uncovered(self) -> np.ndarray[Any, Any]:
        """Villages with demand that no existing offer covers within the threshold."""
        return ~(self.best0 <= self.threshold) & (self.demand > 0)

    @property
    def by(self) -> Literal["coverage", "minutes"]:
        """What the greedy steps rank by first."""
        return "coverage" if self.model == "mclp" else "minutes"


def demand_of(villages: pd.DataFrame, demand_column: str) -> np.ndarray[Any, Any]:
    """The villages' demand (NaN as 0), checked to be non-negative."""
    demand = pd.to_numeric(villages[demand_column], errors="coerce").fillna(0.0).to_numpy("float64")
    if (demand < 0).any():
        msg = f"negative demand in {demand_column}"
        raise InputDataError(msg, column=demand_column, expected="counts >= 0")
    return demand


def time_matrix(
    tt: pd.DataFrame, village_ids: np.ndarray[Any, Any], columns: Sequence[str]
) -> np.ndarray[Any, Any]:
    """Minutes village × column from the long table (inf: unreachable; duplicates: the least)."""
    col_of = {c: i for i, c in enumerate(columns)}
    row_of = {v: i for i, v in enumerate(village_ids)}
    times = np.full((len(village_ids), len(columns)), np.inf)
    rows = tt["origin_id"].astype(str).map(row_of)
    cols = tt["destination_id"].astype(str).map(col_of)
    ok = rows.notna() & cols.notna()
    r = rows[ok].to_numpy("int64")
    c = cols[ok].to_numpy("int64")
    np.minimum.at(times, (r, c), tt.loc[ok, "minutes"].to_numpy("float64"))
    return times


def build(
    travel_times_candidates: pd.DataFrame,
    villages: pd.DataFrame,
    existing_offer_ids: Sequence[str],
    *,
    candidates: gpd.GeoDataFrame,
    k: int,
    threshold: float,
    demand_column: str,
    model: Model,
    mode: str | None,
    label: str | None,
) -> Problem:
    """Check the arguments of ``suggest_locations`` and put them into a :class:`Problem`.

    Raises
    ------
    ConfigError, InputDataError, MissingColumnError
        As listed for :func:`erreichbarkeit.planning.locations.suggest_locations`.
    """
    check_options(model, threshold, k)
    cand_ids, existing = check_candidates(candidates, existing_offer_ids, k)
    check_columns(villages, demand_column, travel_times_candidates)
    tt, mode = one_mode(travel_times_candidates, mode)
    demand = demand_of(villages, demand_column)
    columns = existing + cand_ids  # matrix columns: existing first
    times = time_matrix(tt, villages["id"].astype(str).to_numpy(), columns)
    n_ex = len(existing)
    finite = times[np.isfinite(times)]
    return Problem(
        model=model, threshold=threshold, demand_column=demand_column, mode=mode,
        label=label, candidates=candidates, cand_ids=cand_ids, columns=columns,
        n_existing=n_ex, times=times, demand=demand,
        best0=times[:, :n_ex].min(axis=1) if n_ex else np.full(len(times), np.inf),
        penalty=2.0 * max(float(finite.max()) if finite.size else 0.0, threshold),
    )  # fmt: skip


def candidate_scores(p: Problem) -> np.ndarray[Any, Any]:
    """Each candidate's largest possible gain on its own (covered demand or minutes saved)."""
    ct = p.times[:, np.arange(p.n_existing, len(p.columns))]
    score: np.ndarray[Any, Any]
    if p.model == "mclp":
        score = ((ct <= p.threshold) & p.uncovered[:, None]).astype("float64").T @ p.demand
    else:
        gain = np.minimum(p.best0, p.penalty)[:, None] - np.minimum(ct, p.penalty)
        score = np.clip(gain, 0.0, None).T @ p.demand
    return score
