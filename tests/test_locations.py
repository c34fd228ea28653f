"""Tests of erreichbarkeit.planning.locations on a hand-made line of villages.

Six villages on a road, positions in minutes from the left end; the minutes
between a village and a site are the difference of their positions.

    position   0    10    20    30    40    50
    village    v1   v2    v3    v4    v5    v6
    children   10   20    30    50    50    20      (total 180)

    existing offer E at 0; candidates cA at 25, cB at 45, cC at 35, cD at 15
    threshold 10 minutes

Covered by E: v1 (0), v2 (10) → covered_before = 30.
Newly covered (of v3..v6) per candidate:
    cA {v3, v4} 80    cB {v5, v6} 70    cC {v4, v5} 100    cD {v3} 30
MCLP k = 1: cC, gain 100, covered_after 130.
MCLP k = 2: {cA, cB} newly covers all of v3..v6: 150 (cC+cA 130, cC+cB 120,
    cC+cD 130, cA+cD 80, cB+cD 100), so the optimum does NOT contain the k = 1
    site (greedy: cC, then cA or cD, 130 new, covered 160 instead of 180);
    greedy order of {cA, cB}: cA (+80), then cB (+70); covered_after 180.

p-median (children-weighted minutes to the nearest open site):
    E only:  0·10 + 10·20 + 20·30 + 30·50 + 40·50 + 50·20 = 5300
    + cA 1850, + cB 1900, + cC 1450, + cD 2950  → k = 1: cC (1450)
    k = 2: cA+cB 950, cC+cD 1050, cA+cC 1150, cC+cB 1250, cB+cD 1350, … → {cA, cB}
    mean minutes: before 5300/180, after k = 1: 1450/180, k = 2: 950/180
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
import pytest
from shapely.geometry import Point

import erreichbarkeit.planning._location_solver as solver_module
import erreichbarkeit.planning.locations as loc
from erreichbarkeit.errors import ConfigError, InputDataError
from erreichbarkeit.planning.locations import candidate_sites, suggest_locations

POS_V = {"v1": 0, "v2": 10, "v3": 20, "v4": 30, "v5": 40, "v6": 50}
CHILDREN = [10.0, 20.0, 30.0, 50.0, 50.0, 20.0]
POS_S = {"E": 0, "cA": 25, "cB": 45, "cC": 35, "cD": 15}


@pytest.fixture
def villages() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": list(POS_V), "name": [f"Dorf {v}" for v in POS_V], "children_0_3": CHILDREN}
    )


@pytest.fixture
def candidates() -> gpd.GeoDataFrame:
    ids = ["cA", "cB", "cC", "cD"]
    return gpd.GeoDataFrame(
        {"id": ids, "name": [f"Standort {i[1]}" for i in ids]},
        geometry=[Point(10.0 + POS_S[i] / 1000, 51.5) for i in ids],
        crs="EPSG:4326",
    )


def _table(pos_s: dict[str, float], mode: str = "car") -> pd.DataFrame:
    rows = [
        (v, s, mode, float(abs(pv - ps)), abs(pv - ps) / 2)
        for v, pv in POS_V.items()
        for s, ps in pos_s.items()
    ]
    return pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes", "km"])


@pytest.fixture
def tt() -> pd.DataFrame:
    return _table(POS_S)


def _covered(tt: pd.DataFrame, villages: pd.DataFrame, open_ids: list[str], thr: float) -> float:
    """Covered children recomputed straight from the long table."""
    near = tt[tt["destination_id"].isin(open_ids) & (tt["minutes"] <= thr)]
    covered = set(near["origin_id"])
    return float(villages.loc[villages["id"].isin(covered), "children_0_3"].sum())


def _weighted_minutes(tt: pd.DataFrame, villages: pd.DataFrame, open_ids: list[str]) -> float:
    best = tt[tt["destination_id"].isin(open_ids)].groupby("origin_id")["minutes"].min()
    return float((villages["id"].map(best) * villages["children_0_3"]).sum())


KW = {"threshold": 10.0, "demand_column": "children_0_3"}


def test_mclp_k1(tt, villages, candidates):
    got = suggest_locations(tt, villages, ["E"], candidates=candidates, k=1, **KW)
    assert got.sites["id"].tolist() == ["cC"]
    assert got.sites["name"].tolist() == ["Standort C"]
    assert got.sites["rank"].tolist() == [1]
    assert got.sites["coverage_gain_children"].tolist() == [100.0]
    assert got.sites["coverage_gain_share"].tolist() == pytest.approx([100 / 180])
    assert got.covered_before == 30.0
    assert got.covered_after == 130.0
    assert got.covered_after == _covered(tt, villages, ["E", "cC"], 10.0)
    assert got.total_demand == 180.0
    assert got.optimal
    assert got.candidates_considered == 4
    assert got.sites.crs == "EPSG:4326"
    assert got.sites.geometry.iloc[0].equals(Point(10.035, 51.5))
    assert got.solver_seconds >= 0.0


def test_mclp_k2_beats_greedy_and_orders_by_marginal_gain(tt, villages, candidates):
    got = suggest_locations(
        tt, villages, ["E"], candidates=candidates, k=2, mode="car", label="Familienzentrum", **KW
    )
    assert got.sites["id"].tolist() == ["cA", "cB"]
    assert got.sites["coverage_gain_children"].tolist() == [80.0, 70.0]
    assert got.covered_after == 180.0
    assert got.covered_after == _covered(tt, villages, ["E", "cA", "cB"], 10.0)
    gains = got.sites["coverage_gain_children"].sum()
    assert got.covered_before + gains == got.covered_after
    assert got.objective.startswith(
        "Maximiert die Zahl der Kinder 0–3 Jahre, die innerhalb von 10 Minuten (Auto) "
        "ein Angebot „Familienzentrum“ erreichen"
    )
    assert "das bestehende Angebot bleibt" in got.objective
    assert "2 neue Standorte aus 4 geprüften Kandidaten" in got.objective
    # the greedy fallback would have picked cC first: the exact model is better
    names = ["E", "cA", "cB", "cC", "cD"]
    times = np.array([[abs(POS_V[v] - POS_S[s]) for s in names] for v in POS_V], dtype=float)
    greedy = solver_module.greedy_pick(
        [1, 2, 3, 4], times, times[:, 0], np.array(CHILDREN),
        k=2, threshold=10.0, penalty=100.0, ids=names, model="mclp",
    )  # fmt: skip
    assert greedy[0] == 3  # cC first
    assert _covered(tt, villages, ["E", *(names[j] for j in greedy)], 10.0) == 160.0


def test_pmedian_known_optimum(tt, villages, candidates):
    one = suggest_locations(tt, villages, ["E"], candidates=candidates, k=1, model="pmedian", **KW)
    assert one.sites["id"].tolist() == ["cC"]
    assert one.mean_minutes_before == pytest.approx(5300 / 180)
    assert one.mean_minutes_after == pytest.approx(1450 / 180)
    assert one.sites["minutes_saved"].tolist() == pytest.approx([5300 - 1450])
    two = suggest_locations(tt, villages, ["E"], candidates=candidates, k=2, model="pmedian", **KW)
    assert sorted(two.sites["id"]) == ["cA", "cB"]
    assert two.mean_minutes_after == pytest.approx(950 / 180)
    assert two.mean_minutes_after * 180 == pytest.approx(
        _weighted_minutes(tt, villages, ["E", "cA", "cB"])
    )
    # reported as coverage gains too; they add up
    assert two.covered_after == 180.0
    assert two.covered_before + two.sites["coverage_gain_children"].sum() == 180.0
    assert two.sites["minutes_saved"].sum() == pytest.approx(5300 - 950)
    assert two.objective.startswith("Minimiert die mittlere Fahrzeit (Auto) der Kinder 0–3 Jahre")


def test_pmedian_without_existing_offers(villages, candidates):
    tt = _table({s: p for s, p in POS_S.items() if s != "E"})
    got = suggest_locations(tt, villages, [], candidates=candidates, k=1, model="pmedian", **KW)
    # cA 20·15+… : cA 10·25+20·15+30·5+50·5+50·15+20·25 = 2200; cC 10·35+20·25+30·15+50·5+50·5
    # +20·15 = 2100; cB 2900 - …; so cC
    assert got.sites["id"].tolist() == ["cC"]
    assert got.covered_before == 0.0
    assert math.isnan(got.mean_minutes_before)
    assert got.mean_minutes_after * 180 == pytest.approx(_weighted_minutes(tt, villages, ["cC"]))


def test_candidates_without_gain_are_filtered_and_k_reduced(villages, candidates):
    # only cD reaches uncovered children (v3); the others are too far
    tt = _table(POS_S)
    far = tt["destination_id"].isin(["cA", "cB", "cC"])
    tt = tt[~far]
    got = suggest_locations(tt, villages, ["E"], candidates=candidates, k=2, **KW)
    assert got.candidates_considered == 1
    assert got.sites["id"].tolist() == ["cD"]
    assert got.covered_after == 60.0
    assert "Nur 1 Kandidaten verbessern" in got.note


def test_selected_site_without_marginal_gain_is_not_suggested(villages):
    # cD (15) and cG (16) both newly cover only v3; k = 2 forces the model to pick both
    tt = _table({"E": 0, "cD": 15, "cG": 16})
    cands = gpd.GeoDataFrame(
        {"id": ["cD", "cG"]}, geometry=[Point(10.0, 51.0), Point(10.1, 51.0)], crs="EPSG:4326"
    )
    got = suggest_locations(tt, villages, ["E"], candidates=cands, k=2, **KW)
    # equal coverage gain (30); the tie goes to more children-minutes saved:
    # cD 20·5 + 30·15 + 50·15 + 50·15 + 20·15 = 2350, cG 20·4 + 30·16 + 50·16 + 50·16 + 20·16 = 2480
    assert got.sites["id"].tolist() == ["cG"]
    assert got.sites["minutes_saved"].tolist() == [2480.0]
    assert got.sites["coverage_gain_children"].tolist() == [30.0]
    assert got.covered_after == 60.0
    assert "Einer der gewählten Standorte brächte keine zusätzlichen Kinder" in got.note


def test_max_candidates_keeps_largest_gains(tt, villages, candidates):
    got = suggest_locations(tt, villages, ["E"], candidates=candidates, k=1, max_candidates=2, **KW)
    assert got.candidates_considered == 2  # cC (100) and cA (80)
    assert got.sites["id"].tolist() == ["cC"]


def test_no_uncovered_demand_gives_empty_suggestion(villages, candidates):
    tt = _table({**POS_S, "E2": 30, "E3": 50})
    got = suggest_locations(tt, villages, ["E", "E2", "E3"], candidates=candidates, k=1, **KW)
    assert len(got.sites) == 0
    assert list(got.sites.columns) == list(loc.SITE_COLUMNS)
    assert got.covered_before == got.covered_after == 180.0
    assert "Alle Kinder der Zielgruppe erreichen schon" in got.note
    assert got.candidates_considered == 0


def test_k_larger_than_candidates_is_an_error(tt, villages, candidates):
    with pytest.raises(ConfigError, match="only 4 candidates") as info:
        suggest_locations(tt, villages, ["E"], candidates=candidates, k=5, **KW)
    assert "nur 4 Kandidaten" in info.value.german
    with pytest.raises(ConfigError, match="k must be"):
        suggest_locations(tt, villages, ["E"], candidates=candidates, k=0, **KW)


def test_input_errors(tt, villages, candidates):
    with pytest.raises(InputDataError, match="existing offer ids"):
        suggest_locations(tt, villages, ["cA"], candidates=candidates, k=1, **KW)
    two_modes = pd.concat([tt, tt.assign(mode="walk")])
    with pytest.raises(ConfigError, match="several modes"):
        suggest_locations(two_modes, villages, ["E"], candidates=candidates, k=1, **KW)
    got = suggest_locations(
        two_modes, villages, ["E"], candidates=candidates, k=1, mode="walk", **KW
    )
    assert got.sites["id"].tolist() == ["cC"]
    with pytest.raises(ConfigError, match="unknown model"):
        suggest_locations(tt, villages, ["E"], candidates=candidates, k=1, model="lscp", **KW)  # type: ignore[arg-type]


def test_time_limit_is_passed_to_cbc(tt, villages, candidates, monkeypatch):
    solver = solver_module.make_solver(7.0)
    assert solver.timeLimit == 7.0
    assert solver.msg is False
    seen: list[float] = []
    real = solver_module.make_solver

    def spy(limit: float) -> pulp.LpSolver:
        seen.append(limit)
        return real(limit)

    monkeypatch.setattr(solver_module, "make_solver", spy)
    suggest_locations(tt, villages, ["E"], candidates=candidates, k=1, time_limit_s=3, **KW)
    assert seen == [3]


class _NoSolution(pulp.LpSolver):
    """A solver that runs out of time without any solution."""

    def actualSolve(self, lp, **kwargs):  # noqa: N802 (PuLP's name)
        lp.assignStatus(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
        return lp.status


@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_no_solution_in_time_falls_back_to_greedy(tt, villages, candidates, monkeypatch, model):
    monkeypatch.setattr(solver_module, "make_solver", lambda limit: _NoSolution())
    got = suggest_locations(
        tt, villages, ["E"], candidates=candidates, k=2, model=model, time_limit_s=1, **KW
    )
    assert not got.optimal
    assert "keine Lösung" in got.note
    assert got.sites["id"].iloc[0] == "cC"  # the greedy first step (k = 1 optimum)
    assert len(got.sites) == 2
    open_ids = ["E", *got.sites["id"]]
    assert got.covered_after == _covered(tt, villages, open_ids, 10.0)


def test_candidate_sites_from_villages_and_own():
    villages = gpd.GeoDataFrame(
        {"id": ["osm:node/1", "osm:node/2"], "name": ["Adorf", "Bdorf"]},
        geometry=[Point(10.0, 51.0), Point(10.1, 51.0)],
        crs="EPSG:4326",
    )
    own = gpd.GeoDataFrame(
        {"id": ["K1"], "name": ["Altes Schulhaus"]}, geometry=[Point(500000, 5650000)],
        crs="EPSG:25832",
    )  # fmt: skip
    got = candidate_sites(villages, own)
    assert got["id"].tolist() == ["kandidat:osm:node/1", "kandidat:osm:node/2", "K1"]
    assert got["source"].tolist() == ["Ort", "Ort", "eigener Standort"]
    assert got.crs == "EPSG:4326"
    assert got.geometry.iloc[2].x == pytest.approx(9.0, abs=0.01)
    with pytest.raises(ConfigError):
        candidate_sites()
