"""Tests of erreichbarkeit.analysis.supply and .supply_tables (2SFCA / E2SFCA).

A hand-computed example and invariants.

The example: 3 villages, 2 Kitas, car, threshold d0 = 30 minutes, demand =
children_0_3.

    villages   D_i        offers   S_j (places)
    v1 Adorf   100        o1       30
    v2 Bdorf    50        o2       20
    v3 Cdorf    50

    minutes    o1     o2
    v1          5     25
    v2         31     10      (v2–o1 just beyond d0)
    v3         40     28

Classic 2SFCA (W = 1):
    catchment o1 = {v1}          Σ D = 100   R1 = 30/100 = 0.3
    catchment o2 = {v1, v2, v3}  Σ D = 200   R2 = 20/200 = 0.1
    A1 = 1000·(0.3 + 0.1) = 400, A2 = 1000·0.1 = 100, A3 = 1000·0.1 = 100
    conservation: (400·100 + 100·50 + 100·50) / 1000 = 50 = 30 + 20

E2SFCA (Luo & Qi steps for d0 = 30: ≤10 → 1.0, ≤20 → 0.68, ≤30 → 0.22):
    W: v1–o1 (5) 1.0, v1–o2 (25) 0.22, v2–o2 (10, bound inclusive) 1.0, v3–o2 (28) 0.22
    o1: Σ W·D = 100                          R1 = 30/100 = 0.3
    o2: Σ W·D = 0.22·100 + 50 + 0.22·50 = 83  R2 = 20/83
    A1 = 1000·(0.3 + 0.22·20/83) = 300 + 4400/83 ≈ 353.0120
    A2 = 1000·20/83 ≈ 240.9639
    A3 = 1000·0.22·20/83 = 4400/83 ≈ 53.0120

Count fallback (capacity of o2 unknown → S = 1 for both):
    R1 = 1/100, R2 = 1/200; A1 = 15, A2 = 5, A3 = 5 offers per 1 000 children
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from erreichbarkeit.analysis.supply import e2sfca_steps, offer_ratios, two_step_fca
from erreichbarkeit.analysis.supply_tables import supply_by_gemeinde
from erreichbarkeit.errors import ConfigError, InputDataError, MissingColumnError

KW = {"category": "kita", "mode": "car", "threshold": 30.0, "demand_column": "children_0_3"}


@pytest.fixture
def villages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["Adorf", "Bdorf", "Cdorf"],
            "ags": ["03159001", "03159001", "03159002"],
            "gemeinde": ["Gem A", "Gem A", "Gem B"],
            "children_0_3": [100.0, 50.0, 50.0],
            "children_3_6": [10.0, 0.0, 30.0],
        }
    )


@pytest.fixture
def offers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["o1", "o2", "h1"],
            "name": ["Kita Sonnenschein", "Kita Regenbogen", "Hebamme Müller"],
            "category": ["kita", "kita", "hebamme"],
            "capacity": [30.0, 20.0, np.nan],
        }
    )


@pytest.fixture
def travel_times() -> pd.DataFrame:
    rows = [
        ("v1", "o1", "car", 5.0, 3.0),
        ("v1", "o2", "car", 25.0, 20.0),
        ("v2", "o1", "car", 31.0, 25.0),
        ("v2", "o2", "car", 10.0, 7.0),
        ("v3", "o1", "car", 40.0, 33.0),
        ("v3", "o2", "car", 28.0, 21.0),
        ("v1", "h1", "car", 1.0, 0.5),  # other category: ignored
        ("v2", "o1", "walk", 2.0, 0.1),  # other mode: ignored
        ("v3", "o1", "car", np.nan, np.nan),  # NaN = unreachable: ignored
    ]
    return pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes", "km"])


def test_e2sfca_default_steps():
    assert e2sfca_steps(30.0) == ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


def test_two_step_fca_hand_values(travel_times, villages, offers):
    got = two_step_fca(travel_times, villages, offers, **KW)
    assert got["id"].tolist() == ["v1", "v2", "v3"]
    assert got["name"].tolist() == ["Adorf", "Bdorf", "Cdorf"]
    assert got["access"].tolist() == pytest.approx([400.0, 100.0, 100.0], rel=1e-12)
    assert got["demand"].tolist() == [100.0, 50.0, 50.0]
    assert got["n_offers_in_reach"].tolist() == [2, 1, 1]
    assert got["supply_in_reach"].tolist() == [50.0, 20.0, 20.0]
    assert set(got["supply_basis"]) == {"Plätze"}
    assert set(got["supply_note"]) == {""}
    assert got.attrs["supply_basis"] == "Plätze"
    # supply conserved: Σ A_i·D_i / 1000 = 30 + 20
    assert (got["access"] * got["demand"]).sum() / 1000 == pytest.approx(50.0)


def test_offer_ratios_hand_values(travel_times, villages, offers):
    got = offer_ratios(travel_times, villages, offers, **KW)
    assert got["id"].tolist() == ["o1", "o2"]  # only the category
    assert got["demand_in_catchment"].tolist() == [100.0, 200.0]
    assert got["n_villages_in_catchment"].tolist() == [1, 3]
    assert got["ratio"].tolist() == pytest.approx([0.3, 0.1], rel=1e-12)
    assert got["ratio_per"].tolist() == pytest.approx([300.0, 100.0], rel=1e-12)
    assert got["supply"].tolist() == [30.0, 20.0]


def test_e2sfca_hand_values(travel_times, villages, offers):
    got = two_step_fca(travel_times, villages, offers, **KW, decay="steps")
    assert got["access"].tolist() == pytest.approx(
        [300.0 + 4400.0 / 83.0, 20000.0 / 83.0, 4400.0 / 83.0], rel=1e-12
    )
    ratios = offer_ratios(travel_times, villages, offers, **KW, decay="steps")
    assert ratios["demand_in_catchment"].tolist() == pytest.approx([100.0, 83.0], rel=1e-12)
    assert ratios["ratio"].tolist() == pytest.approx([0.3, 20.0 / 83.0], rel=1e-12)


def test_own_steps_and_bound_inclusive(travel_times, villages, offers):
    # one step: everything up to 10 minutes weighs 1, beyond 0 (v1–o2 25 and v3–o2 28 drop)
    got = two_step_fca(travel_times, villages, offers, **KW, decay="steps", steps=[(10.0, 1.0)])
    # o1: {v1} 100 → R1 = 0.3; o2: {v2 at exactly 10} 50 → R2 = 0.4
    assert got["access"].tolist() == pytest.approx([300.0, 400.0, 0.0], rel=1e-12)
    # still "in reach" (t ≤ d0) even where the weight is 0
    assert got["n_offers_in_reach"].tolist() == [2, 1, 1]


def test_gaussian_weights(travel_times, villages, offers):
    def g(t: float) -> float:  # Dai (2010), d0 = 30
        return (math.exp(-0.5 * (t / 30) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))

    got = two_step_fca(travel_times, villages, offers, **KW, decay="gaussian")
    d1 = g(5) * 100
    d2 = g(25) * 100 + g(10) * 50 + g(28) * 50
    r1, r2 = 30 / d1, 20 / d2
    expected = [1000 * (g(5) * r1 + g(25) * r2), 1000 * g(10) * r2, 1000 * g(28) * r2]
    assert got["access"].tolist() == pytest.approx(expected, rel=1e-12)
    assert g(0) == 1.0
    assert g(30) == pytest.approx(0.0, abs=1e-15)


def test_demand_from_several_columns(travel_times, villages, offers):
    got = two_step_fca(
        travel_times, villages, offers, **{**KW, "demand_column": ["children_0_3", "children_3_6"]}
    )
    # D = 110, 50, 80; o1 {v1}: 30/110; o2 {v1, v2, v3}: 20/240
    r1, r2 = 30 / 110, 20 / 240
    assert got["demand"].tolist() == [110.0, 50.0, 80.0]
    assert got["access"].tolist() == pytest.approx(
        [1000 * (r1 + r2), 1000 * r2, 1000 * r2], rel=1e-12
    )


def test_missing_capacity_falls_back_to_counts_with_note(travel_times, villages, offers):
    offers.loc[1, "capacity"] = np.nan
    got = two_step_fca(travel_times, villages, offers, **KW)
    assert got["access"].tolist() == pytest.approx([15.0, 5.0, 5.0], rel=1e-12)
    assert set(got["supply_basis"]) == {"Angebote"}
    note = got["supply_note"].iloc[0]
    assert "Kapazität fehlt bei 1 von 2 Angeboten" in note
    assert "Angebote je 1 000 Kinder" in note
    assert got.attrs["supply_note"] == note
    ratios = offer_ratios(travel_times, villages, offers, **KW)
    assert ratios["supply"].tolist() == [1.0, 1.0]
    assert ratios["capacity"].iloc[0] == 30.0
    assert math.isnan(ratios["capacity"].iloc[1])


def test_no_capacity_column_falls_back_to_counts(travel_times, villages, offers):
    got = two_step_fca(travel_times, villages, offers.drop(columns="capacity"), **KW)
    assert got["access"].tolist() == pytest.approx([15.0, 5.0, 5.0], rel=1e-12)
    assert "Kapazität fehlt bei 2 von 2" in got["supply_note"].iloc[0]


def test_village_without_offer_in_reach_has_zero_access(travel_times, villages, offers):
    more = pd.concat(
        [villages, pd.DataFrame({"id": ["v4"], "name": ["Ddorf"], "ags": ["03159002"],
                                 "gemeinde": ["Gem B"], "children_0_3": [7.0],
                                 "children_3_6": [1.0]})],
        ignore_index=True,
    )  # fmt: skip
    got = two_step_fca(travel_times, more, offers, **KW)
    assert got["access"].tolist() == pytest.approx([400.0, 100.0, 100.0, 0.0])
    assert got["n_offers_in_reach"].tolist() == [2, 1, 1, 0]


def test_offer_without_demand_in_reach_has_nan_ratio_not_inf(villages, offers):
    villages = villages.assign(children_0_3=[0.0, 50.0, 50.0])
    tt = pd.DataFrame(
        {"origin_id": ["v1", "v2"], "destination_id": ["o1", "o2"], "mode": "car",
         "minutes": [5.0, 5.0], "km": [1.0, 1.0]}
    )  # fmt: skip
    ratios = offer_ratios(tt, villages, offers, **KW)
    assert math.isnan(ratios["ratio"].iloc[0])  # o1 reaches only v1, which has no children
    got = two_step_fca(tt, villages, offers, **KW)
    assert got["access"].tolist() == [0.0, 400.0, 0.0]  # 20 places / 50 children
    assert np.isfinite(got["access"]).all()


def test_errors(travel_times, villages, offers):
    with pytest.raises(MissingColumnError):
        two_step_fca(travel_times.drop(columns="minutes"), villages, offers, **KW)
    with pytest.raises(MissingColumnError):
        two_step_fca(travel_times, villages, offers, **{**KW, "demand_column": "children_9_9"})
    with pytest.raises(ConfigError):
        two_step_fca(travel_times, villages, offers, **{**KW, "threshold": 0.0})
    with pytest.raises(ConfigError):
        two_step_fca(travel_times, villages, offers, **KW, steps=[(10.0, 1.0)])  # decay none
    with pytest.raises(ConfigError):
        two_step_fca(travel_times, villages, offers, **KW, decay="steps", steps=[(20, 1), (10, 1)])
    with pytest.raises(ConfigError):
        two_step_fca(travel_times, villages, offers, **KW, decay="linear")  # type: ignore[arg-type]
    bad = offers.copy()
    bad.loc[0, "capacity"] = -3.0
    with pytest.raises(InputDataError, match="negative capacity"):
        two_step_fca(travel_times, villages, bad, **KW)
    neg = travel_times.copy()
    neg.loc[0, "minutes"] = -1.0
    with pytest.raises(InputDataError, match="negative minutes"):
        two_step_fca(neg, villages, offers, **KW)
    with pytest.raises(InputDataError, match="not unique"):
        two_step_fca(travel_times, pd.concat([villages, villages.iloc[[0]]]), offers, **KW)


def test_supply_by_gemeinde_hand_values(travel_times, villages, offers):
    acc = two_step_fca(travel_times, villages, offers, **KW)
    ratios = offer_ratios(travel_times, villages, offers, **KW).assign(ags=["03159001", "03159002"])
    got = supply_by_gemeinde(acc, villages, demand_column="children_0_3", offer_table=ratios)
    assert got["ags"].tolist() == ["03159001", "03159002"]
    assert got["n_villages"].tolist() == [2, 1]
    assert got["demand"].tolist() == [150.0, 50.0]
    # Gem A: (400·100 + 100·50)/1000 = 45 places; Gem B: 100·50/1000 = 5
    assert got["supply_allocated"].tolist() == pytest.approx([45.0, 5.0])
    assert got["access_mean"].tolist() == pytest.approx([300.0, 100.0])  # 45/150·1000, 5/50·1000
    assert got["access_min"].tolist() == pytest.approx([100.0, 100.0])
    assert got["access_max"].tolist() == pytest.approx([400.0, 100.0])
    assert got["n_villages_without_access"].tolist() == [0, 0]
    assert got["supply_located"].tolist() == [30.0, 20.0]
    assert got["located_per"].tolist() == pytest.approx([200.0, 400.0])  # 30/150, 20/50
    assert got["supply_basis"].tolist() == ["Plätze", "Plätze"]
    assert got["supply_allocated"].sum() == pytest.approx(50.0)


# -- invariants ----------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_v = draw(st.integers(1, 6))
    n_o = draw(st.integers(1, 4))
    demand = draw(st.lists(st.integers(0, 500), min_size=n_v, max_size=n_v))
    caps = draw(st.lists(st.integers(0, 80), min_size=n_o, max_size=n_o))
    rows = []
    for i in range(n_v):
        for j in range(n_o):
            t = draw(st.one_of(st.none(), st.integers(0, 60)))
            if t is not None:
                rows.append((f"v{i}", f"o{j}", "car", float(t), 1.0))
    villages = pd.DataFrame(
        {"id": [f"v{i}" for i in range(n_v)], "children_0_3": [float(d) for d in demand]}
    )
    offers = pd.DataFrame(
        {"id": [f"o{j}" for j in range(n_o)], "category": "kita",
         "capacity": [float(c) for c in caps]}
    )  # fmt: skip
    tt = pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes", "km"])
    return tt, villages, offers


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from([10.0, 20.0, 30.0, 45.0]))
def test_supply_is_conserved_with_unit_weights(problem, threshold):
    tt, villages, offers = problem
    kw = {**KW, "threshold": threshold}
    acc = two_step_fca(tt, villages, offers, **kw)
    ratios = offer_ratios(tt, villages, offers, **kw)
    reaching = ratios.loc[ratios["demand_in_catchment"] > 0, "supply"].sum()
    assert (acc["access"] * acc["demand"]).sum() / 1000 == pytest.approx(reaching, abs=1e-9)
    assert (acc["access"] >= 0).all()
    gem = supply_by_gemeinde(
        acc, villages.assign(ags="1", gemeinde="G"), demand_column="children_0_3"
    )
    assert gem["supply_allocated"].sum() == pytest.approx(reaching, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    problems(),
    st.sampled_from(["none", "steps", "gaussian"]),
    st.floats(5.0, 40.0),
    st.floats(0.0, 30.0),
)
def test_larger_threshold_never_lowers_coverage(problem, decay, d0, extra):
    tt, villages, offers = problem
    offers = offers.assign(capacity=offers["capacity"] + 1.0)  # every offer has places
    small = two_step_fca(tt, villages, offers, **{**KW, "threshold": d0}, decay=decay)
    large = two_step_fca(tt, villages, offers, **{**KW, "threshold": d0 + extra}, decay=decay)
    covered_small = small["access"] > 0
    covered_large = large["access"] > 0
    assert not (covered_small & ~covered_large).any()
    assert small.loc[covered_small, "demand"].sum() <= large.loc[covered_large, "demand"].sum()
    assert (small["n_offers_in_reach"] <= large["n_offers_in_reach"]).all()


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from([10.0, 30.0]), st.booleans())
def test_agrees_with_pysal_access(problem, threshold, enhanced):
    access = pytest.importorskip("access")
    tt, villages, offers = problem
    assume((villages["children_0_3"] > 0).all())  # access returns inf for demand-free catchments
    decay = "steps" if enhanced else "none"
    ours = two_step_fca(tt, villages, offers, **{**KW, "threshold": threshold}, decay=decay)
    cost = tt.rename(columns={"origin_id": "origin", "destination_id": "dest", "minutes": "cost"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # access 1.1: pandas 3.1 deprecates inplace=True
        model = access.Access(
            demand_df=villages.copy(), demand_index="id", demand_value="children_0_3",
            supply_df=offers.copy(), supply_index="id", supply_value="capacity",
            cost_df=cost.loc[:, ["origin", "dest", "cost"]], cost_origin="origin",
            cost_dest="dest", cost_name="cost",
        )  # fmt: skip
        if enhanced:
            fn = access.weights.step_fn(dict(e2sfca_steps(threshold)))
            theirs = model.enhanced_two_stage_fca(weight_fn=fn, max_cost=threshold)
        else:
            theirs = model.two_stage_fca(max_cost=threshold)
    col = theirs.columns[-1]
    # access: villages without an offer in reach are NaN there, 0 here
    expected = ours["id"].map(theirs[col]).fillna(0.0).to_numpy() * 1000
    assert ours["access"].to_numpy() == pytest.approx(expected, rel=1e-9, abs=1e-12)
