"""Tests of erreichbarkeit.analysis.indicators on hand-computed tiny tables and invariants.

The fixture: 3 villages, 4 offers (2 Kitas, 2 Hebammen), modes car and walk.

    thresholds: kita car 10, kita walk 20, hebamme car 15, hebamme walk 30

    travel times (minutes, km)       car                 walk
    Adorf (v1) – Kita o1             5.0  3.0            25.0 2.0
    Adorf (v1) – Kita o2            12.0  8.0            NaN (unreachable row)
    Adorf (v1) – Hebamme o3         14.0 10.0            –
    Adorf (v1) – Hebamme o4         20.0 15.0            –
    Bdorf (v2) – Kita o1            11.0  7.0            60.0 5.0
    Bdorf (v2) – Kita o2            11.0  6.5  (tie: km decides, o2 first)
    Bdorf (v2) – Hebamme o3         16.0 12.0            28.0 2.3
    Cdorf (v3) not snapped (1234 m from the road network): no rows
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from erreichbarkeit.analysis.indicators import (
    INDICATOR_COLUMNS,
    count_within,
    gemeinde_long,
    gemeinde_table,
    kreis_summary,
    nearest_offers,
    village_table,
    weighted_median,
)
from erreichbarkeit.errors import ConfigError, InputDataError, MissingColumnError

CATS = ["kita", "hebamme"]
MODES = ["car", "walk"]
THRESHOLDS = {("kita", "car"): 10.0, ("kita", "walk"): 20.0,
              ("hebamme", "car"): 15.0, ("hebamme", "walk"): 30.0}  # fmt: skip
AGE_GROUPS = {"kita": ["0-3", "3-6"], "hebamme": ["0-3"]}


@pytest.fixture
def villages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["Adorf", "Bdorf", "Cdorf"],
            "ags": ["03159001", "03159001", "03159002"],
            "gemeinde": ["Gem A", "Gem A", "Gem B"],
            "population": [100.0, 300.0, 50.0],
            "children_0_3": [10.0, 20.0, 4.0],
            "children_3_6": [5.0, 10.0, 2.0],
            "snap_m": [20.0, 35.0, 1234.4],
            "snap_ok": [True, True, False],
        }
    )


@pytest.fixture
def offers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["o1", "o2", "o3", "o4"],
            "name": ["Kita Sonnenschein", "Kita Regenbogen", "Hebamme Müller", "Hebamme Schulz"],
            "category": ["kita", "kita", "hebamme", "hebamme"],
        }
    )


@pytest.fixture
def travel_times() -> pd.DataFrame:
    rows = [
        ("v1", "o1", "car", 5.0, 3.0),
        ("v1", "o2", "car", 12.0, 8.0),
        ("v1", "o3", "car", 14.0, 10.0),
        ("v1", "o4", "car", 20.0, 15.0),
        ("v2", "o1", "car", 11.0, 7.0),
        ("v2", "o2", "car", 11.0, 6.5),
        ("v2", "o3", "car", 16.0, 12.0),
        ("v1", "o1", "walk", 25.0, 2.0),
        ("v1", "o2", "walk", np.nan, np.nan),
        ("v2", "o1", "walk", 60.0, 5.0),
        ("v2", "o3", "walk", 28.0, 2.3),
    ]
    return pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes", "km"])


@pytest.fixture
def vt(villages, travel_times, offers) -> pd.DataFrame:
    return village_table(
        villages, travel_times, offers, categories=CATS, modes=MODES, threshold=THRESHOLDS
    )


# -- nearest_offers / count_within ---------------------------------------------


def test_nearest_offers_ranks_and_tie_break(travel_times, offers):
    near = nearest_offers(travel_times, offers, k=2)
    got = [tuple(r) for r in near.itertuples(index=False, name=None)]
    assert got == [
        ("v1", "car", "hebamme", 1, "o3", "Hebamme Müller", 14.0, 10.0),
        ("v1", "car", "hebamme", 2, "o4", "Hebamme Schulz", 20.0, 15.0),
        ("v1", "car", "kita", 1, "o1", "Kita Sonnenschein", 5.0, 3.0),
        ("v1", "car", "kita", 2, "o2", "Kita Regenbogen", 12.0, 8.0),
        ("v1", "walk", "kita", 1, "o1", "Kita Sonnenschein", 25.0, 2.0),  # NaN row ignored
        ("v2", "car", "hebamme", 1, "o3", "Hebamme Müller", 16.0, 12.0),
        ("v2", "car", "kita", 1, "o2", "Kita Regenbogen", 11.0, 6.5),  # tie: fewer km
        ("v2", "car", "kita", 2, "o1", "Kita Sonnenschein", 11.0, 7.0),
        ("v2", "walk", "hebamme", 1, "o3", "Hebamme Müller", 28.0, 2.3),
        ("v2", "walk", "kita", 1, "o1", "Kita Sonnenschein", 60.0, 5.0),
    ]


def test_nearest_offers_tie_on_minutes_and_km_uses_destination_id(offers):
    tt = pd.DataFrame(
        {"origin_id": ["v1", "v1"], "destination_id": ["o2", "o1"], "mode": ["car", "car"],
         "minutes": [7.0, 7.0], "km": [4.0, 4.0]}
    )  # fmt: skip
    near = nearest_offers(tt, offers, k=1)
    assert near["destination_id"].tolist() == ["o1"]


def test_nearest_offers_rejects_bad_k_and_missing_column(travel_times, offers):
    with pytest.raises(ValueError, match="k must be"):
        nearest_offers(travel_times, offers, k=0)
    with pytest.raises(MissingColumnError, match="km"):
        nearest_offers(travel_times.drop(columns="km"), offers)


def test_nearest_offers_rejects_duplicate_offer_ids_and_negative_minutes(travel_times, offers):
    with pytest.raises(InputDataError, match="not unique"):
        nearest_offers(travel_times, pd.concat([offers, offers.iloc[[0]]]))
    bad = travel_times.copy()
    bad.loc[0, "minutes"] = -1.0
    with pytest.raises(InputDataError, match="negative"):
        nearest_offers(bad, offers)


def test_count_within_hand_values(travel_times, offers):
    got = count_within(travel_times, offers, THRESHOLDS)
    expected = pd.DataFrame(
        {
            "origin_id": ["v1", "v1", "v1", "v2", "v2", "v2", "v2"],
            "mode": ["car", "car", "walk", "car", "car", "walk", "walk"],
            "category": ["hebamme", "kita", "kita", "hebamme", "kita", "hebamme", "kita"],
            # v1 car hebamme: 14 <= 15, 20 > 15 -> 1; v1 car kita: 5 <= 10, 12 > 10 -> 1
            # v1 walk kita 25 > 20 -> 0; v2 car: 16 > 15 -> 0, 11 > 10 -> 0
            # v2 walk hebamme 28 <= 30 -> 1; v2 walk kita 60 > 20 -> 0
            "n_within": [1, 1, 0, 0, 0, 1, 0],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["n_within"].dtype == np.int64
    # a callable gives the same result
    by_fn = count_within(travel_times, offers, lambda c, m: THRESHOLDS[(c, m)])
    pd.testing.assert_frame_equal(by_fn, got)


def test_count_within_threshold_is_inclusive(travel_times, offers):
    thr = dict(THRESHOLDS)
    thr[("kita", "car")] = 11.0  # v2 has two Kitas at exactly 11.0 min
    got = count_within(travel_times, offers, thr).set_index(["origin_id", "mode", "category"])
    assert got.loc[("v2", "car", "kita"), "n_within"] == 2


def test_count_within_missing_threshold_is_a_config_error(travel_times, offers):
    thr = {k: v for k, v in THRESHOLDS.items() if k != ("hebamme", "walk")}
    with pytest.raises(ConfigError, match="hebamme"):
        count_within(travel_times, offers, thr)


# -- village_table -------------------------------------------------------------


def test_village_table_hand_values(vt):
    v = vt.set_index("id")
    assert v.loc["v1", "kita_car_nearest"] == "Kita Sonnenschein"
    assert v.loc["v1", "kita_car_nearest_id"] == "o1"
    assert v.loc["v1", "kita_car_min"] == 5.0
    assert v.loc["v1", "kita_car_km"] == 3.0
    assert v.loc["v1", "kita_car_second_min"] == 12.0
    assert v.loc["v1", "kita_car_n_within"] == 1
    assert bool(v.loc["v1", "kita_car_within"]) is True
    # tie at 11 min: Regenbogen (6.5 km) before Sonnenschein (7 km)
    assert v.loc["v2", "kita_car_nearest"] == "Kita Regenbogen"
    assert v.loc["v2", "kita_car_km"] == 6.5
    assert v.loc["v2", "kita_car_second_min"] == 11.0
    assert v.loc["v2", "kita_car_n_within"] == 0
    assert bool(v.loc["v2", "kita_car_within"]) is False
    assert v.loc["v1", "hebamme_car_min"] == 14.0
    assert v.loc["v1", "hebamme_car_second_min"] == 20.0
    assert math.isnan(v.loc["v2", "hebamme_car_second_min"])  # o4 unreachable for v2
    assert v.loc["v2", "hebamme_walk_min"] == 28.0
    assert v.loc["v2", "hebamme_walk_n_within"] == 1
    assert bool(v.loc["v2", "hebamme_walk_within"]) is True
    # the NaN walk row of v1 to o2 is not a second Kita
    assert math.isnan(v.loc["v1", "kita_walk_second_min"])


def test_village_table_unreachable_is_nan_never_zero(vt):
    v = vt.set_index("id")
    for cat in CATS:
        for mode in MODES:
            assert math.isnan(v.loc["v3", f"{cat}_{mode}_min"])
            assert math.isnan(v.loc["v3", f"{cat}_{mode}_km"])
            assert v.loc["v3", f"{cat}_{mode}_n_within"] == 0
            assert bool(v.loc["v3", f"{cat}_{mode}_within"]) is False
            assert pd.isna(v.loc["v3", f"{cat}_{mode}_nearest"])
    assert math.isnan(v.loc["v1", "hebamme_walk_min"])
    assert v.loc["v1", "hebamme_walk_n_within"] == 0


def test_village_table_columns_dtypes_and_reasons(vt, villages):
    assert vt.columns[: len(villages.columns)].tolist() == villages.columns.tolist()
    assert vt.columns[-1] == "reason"
    assert vt.columns[len(villages.columns) : len(villages.columns) + 7].tolist() == [
        "kita_car_nearest", "kita_car_nearest_id", "kita_car_min", "kita_car_km",
        "kita_car_second_min", "kita_car_n_within", "kita_car_within",
    ]  # fmt: skip
    assert vt["kita_car_min"].dtype == np.float64
    assert vt["kita_car_n_within"].dtype == np.int64
    assert vt["kita_car_within"].dtype == bool
    assert vt["reason"].tolist() == [
        "kein Angebot erreichbar: Hebamme (zu Fuß)",
        "",
        "zu weit vom Straßennetz (1.234 m)",
    ]


def test_village_table_reason_when_nothing_is_reachable(villages, travel_times, offers):
    more = pd.concat(
        [villages, pd.DataFrame({"id": ["v4"], "name": ["Ddorf"], "snap_ok": [True]})],
        ignore_index=True,
    )
    vt = village_table(
        more, travel_times, offers, categories=CATS, modes=MODES, threshold=THRESHOLDS,
        labels={"kita": "Kita", "hebamme": "Hebamme"},
    )  # fmt: skip
    assert vt["reason"].iloc[3] == "kein Angebot erreichbar"


def test_village_table_reason_names_the_mode_without_a_road(villages, travel_times, offers):
    """Per-mode snapping: Adorf is 800 m from a car road but 20 m from a footpath."""
    v = villages.assign(
        snap_m_car=[800.0, 35.0, 1234.4], snap_ok_car=[False, True, False],
        snap_m_walk=[20.0, 35.0, 1500.0], snap_ok_walk=[True, True, False],
    )  # fmt: skip
    # what the matrix step does for a mode without a usable road: no rows for it
    tt = travel_times[~((travel_times["origin_id"] == "v1") & (travel_times["mode"] == "car"))]
    vt = village_table(
        v, tt, offers, categories=CATS, modes=MODES, threshold=THRESHOLDS,
        labels={"kita": "Kita", "hebamme": "Hebamme"},
    )  # fmt: skip
    assert vt["reason"].tolist() == [
        "zu weit vom Straßennetz für Auto (800 m); kein Angebot erreichbar: Hebamme (zu Fuß)",
        "",
        "zu weit vom Straßennetz (1.234 m)",  # all modes too far: the nearest distance
    ]
    assert math.isnan(vt.loc[0, "kita_car_min"])
    assert vt.loc[0, "kita_walk_min"] == 25.0


def test_village_table_does_not_mutate_and_keeps_geodataframe(villages, travel_times, offers):
    gdf = gpd.GeoDataFrame(
        villages, geometry=[Point(9.9, 51.5), Point(9.95, 51.52), Point(10.0, 51.6)], crs=4326
    )
    before = (gdf.copy(), travel_times.copy(), offers.copy())
    vt = village_table(
        gdf, travel_times, offers, categories=CATS, modes=MODES, threshold=THRESHOLDS
    )
    assert isinstance(vt, gpd.GeoDataFrame)
    assert vt.crs == gdf.crs
    assert vt.geometry.name == "geometry"
    pd.testing.assert_frame_equal(gdf, before[0])
    pd.testing.assert_frame_equal(travel_times, before[1])
    pd.testing.assert_frame_equal(offers, before[2])


def test_village_table_category_without_offers(villages, travel_times, offers):
    vt = village_table(
        villages, travel_times, offers, categories=["kinderarzt"], modes=["car"],
        threshold=lambda c, m: 15.0,
    )  # fmt: skip
    assert vt["kinderarzt_car_min"].isna().all()
    assert (vt["kinderarzt_car_n_within"] == 0).all()
    assert vt["reason"].tolist()[:2] == ["kein Angebot erreichbar"] * 2


# -- weighted_median ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.0),  # lower median of an even count
        ([1, 2, 3], [1, 1, 5], 3.0),  # cum 1, 2, 7 of 7: first >= 3.5 is 3
        ([3, 1, 2], [0.5, 0.25, 0.25], 2.0),  # sorted 1, 2, 3; cum .25, .5 >= .5
        ([5, 11], [100, 300], 11.0),
        ([7.0], [2.0], 7.0),
        ([1, np.nan, 9], [1, 5, 1], math.inf),  # NaN = beyond the cutoff, keeps weight 5 of 7
        ([1, np.nan, 9], [5, 1, 1], 1.0),  # cum 5 of 7 >= 3.5 at 1
        ([1, np.nan, 9], [1, np.nan, 1], 1.0),  # a NaN *weight* drops the pair
        ([1, 4, 9], [0, 0, 1], 9.0),  # zero weights drop out
    ],
)
def test_weighted_median_hand_values(values, weights, expected):
    assert weighted_median(values, weights) == expected


def test_weighted_median_empty_and_zero_weights_are_nan():
    assert math.isnan(weighted_median([], []))
    assert math.isnan(weighted_median([1.0, 2.0], [0.0, 0.0]))
    assert math.isnan(weighted_median([np.nan], [0.0]))
    assert weighted_median([np.nan], [1.0]) == math.inf  # unreachable: censored, not missing


def test_weighted_median_errors():
    with pytest.raises(ValueError, match="length"):
        weighted_median([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="negative"):
        weighted_median([1.0, 2.0], [1.0, -1.0])


# -- Gemeinde and Kreis ------------------------------------------------------------------


def _row(df: pd.DataFrame, **keys: str) -> pd.Series:
    mask = np.ones(len(df), dtype=bool)
    for k, v in keys.items():
        mask &= (df[k] == v).to_numpy()
    assert mask.sum() == 1
    return df[mask].iloc[0]


def test_gemeinde_long_hand_values(vt):
    long = gemeinde_long(
        vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS
    )
    assert long.columns.tolist() == ["ags", "gemeinde", "category", "mode", *INDICATOR_COLUMNS]
    assert len(long) == 2 * 2 * 2
    # Gem A kita car: minutes 5 (pop 100, children 15), 11 (pop 300, children 30)
    r = _row(long, ags="03159001", category="kita", mode="car")
    assert r["pop_mean_min_reachable"] == pytest.approx(9.5)  # (100*5 + 300*11) / 400
    assert r["pop_median_min"] == 11.0  # cum 100 < 200, 400 >= 200
    assert not r["pop_median_beyond"]
    assert r["share_pop_no_offer"] == 0.0
    assert r["children_mean_min_reachable"] == pytest.approx(9.0)  # (15*5 + 30*11) / 45
    assert r["children_median_min"] == 11.0
    assert not r["children_median_beyond"]
    assert r["children_beyond"] == 30.0  # Bdorf 11 > 10
    assert r["share_children_beyond"] == pytest.approx(30 / 45)
    assert (r["n_villages"], r["n_underserved"]) == (2, 1)
    assert r["underserved_villages"] == "Bdorf"
    # Gem A hebamme car: 14 (children 10), 16 (children 20), threshold 15
    r = _row(long, ags="03159001", category="hebamme", mode="car")
    assert r["pop_mean_min_reachable"] == pytest.approx(15.5)  # (1400 + 4800) / 400
    assert r["children_mean_min_reachable"] == pytest.approx(460 / 30)  # (10*14 + 20*16) / 30
    assert r["children_median_min"] == 16.0  # cum 10 < 15, 30 >= 15
    assert r["share_children_beyond"] == pytest.approx(20 / 30)
    # Gem A kita walk: 25 and 60 > 20 -> everybody beyond
    r = _row(long, ags="03159001", category="kita", mode="walk")
    assert r["pop_mean_min_reachable"] == pytest.approx(51.25)  # (2500 + 18000) / 400
    assert r["children_mean_min_reachable"] == pytest.approx(2175 / 45)
    assert r["share_children_beyond"] == 1.0
    assert r["underserved_villages"] == "Adorf, Bdorf"
    # Gem A hebamme walk: Adorf unreachable -> out of the mean, censored in the median
    r = _row(long, ags="03159001", category="hebamme", mode="walk")
    assert r["pop_mean_min_reachable"] == 28.0
    assert r["share_pop_no_offer"] == pytest.approx(100 / 400)
    assert r["share_children_no_offer"] == pytest.approx(10 / 30)
    assert r["pop_median_min"] == 28.0  # 28 (300), +inf (100): cum 300 >= 200
    assert not r["pop_median_beyond"]
    assert r["children_beyond"] == 10.0
    assert r["share_children_beyond"] == pytest.approx(1 / 3)
    assert r["underserved_villages"] == "Adorf"
    # Gem B: only the unsnapped Cdorf -> no minutes, median beyond the cutoff
    r = _row(long, ags="03159002", category="kita", mode="car")
    assert math.isnan(r["pop_mean_min_reachable"])
    assert r["share_pop_no_offer"] == 1.0
    assert (r["children_median_min"], r["children_median_beyond"]) == (90.0, True)
    assert (r["pop_median_min"], r["pop_median_beyond"]) == (90.0, True)
    assert r["children_beyond"] == 6.0
    assert r["share_children_beyond"] == 1.0
    assert (r["n_villages"], r["n_underserved"], r["underserved_villages"]) == (1, 1, "Cdorf")


def test_gemeinde_long_default_age_groups_from_category_table(vt):
    # the built-in table has kita 0-3, 3-6 and hebamme 0-3, like AGE_GROUPS
    a = gemeinde_long(vt, categories=CATS, modes=MODES, threshold=THRESHOLDS)
    b = gemeinde_long(vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS)
    pd.testing.assert_frame_equal(a, b)


def test_gemeinde_long_missing_children_column(vt):
    with pytest.raises(MissingColumnError, match="children_6_10"):
        gemeinde_long(
            vt, categories=["kita"], modes=["car"], threshold=THRESHOLDS,
            age_groups={"kita": ["6-10"]},
        )  # fmt: skip


def test_gemeinde_table_is_a_pivot_of_the_long_table(vt):
    wide = gemeinde_table(
        vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS
    )
    assert wide["ags"].tolist() == ["03159001", "03159002"]
    assert wide["n_villages"].tolist() == [2, 1]
    assert wide["population"].tolist() == [400.0, 50.0]
    assert wide.loc[0, "kita_car_pop_mean_min_reachable"] == pytest.approx(9.5)
    assert wide.loc[1, "kita_car_children_median_beyond"]
    assert wide.loc[0, "hebamme_walk_underserved_villages"] == "Adorf"
    assert wide.loc[1, "kita_walk_children_beyond"] == 6.0
    assert "kita_car_n_villages" not in wide.columns
    per = len(INDICATOR_COLUMNS) - 1
    assert wide.shape == (2, 4 + per * len(CATS) * len(MODES))


def test_kreis_summary_hand_values(vt):
    k = kreis_summary(vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS)
    assert k.columns.tolist() == ["category", "mode", *INDICATOR_COLUMNS, "share_children_covered"]
    assert len(k) == 4
    assert (k["share_children_covered"] == 1.0).all()  # no gemeinde_partial column
    r = _row(k, category="kita", mode="car")
    assert r["pop_mean_min_reachable"] == pytest.approx(9.5)  # Cdorf has no minutes
    assert r["share_pop_no_offer"] == pytest.approx(50 / 450)
    # 5 (100), 11 (300), +inf (50): cum 100 < 225, 400 >= 225
    assert (r["pop_median_min"], r["pop_median_beyond"]) == (11.0, False)
    assert r["children_beyond"] == 36.0  # Bdorf 30 + Cdorf 6
    assert r["share_children_beyond"] == pytest.approx(36 / 51)
    assert (r["n_villages"], r["n_underserved"]) == (3, 2)
    assert r["underserved_villages"] == "Bdorf, Cdorf"
    r = _row(k, category="hebamme", mode="walk")
    assert r["children_beyond"] == 14.0  # Adorf 10 + Cdorf 4
    assert r["underserved_villages"] == "Adorf, Cdorf"


def test_summaries_without_children_give_nan_share(vt):
    vt = vt.assign(children_0_3=0.0, children_3_6=0.0)
    k = kreis_summary(vt, categories=["kita"], modes=["car"], threshold=THRESHOLDS)
    assert math.isnan(k.loc[0, "share_children_beyond"])
    assert math.isnan(k.loc[0, "children_mean_min_reachable"])
    assert math.isnan(k.loc[0, "children_median_min"])
    assert not k.loc[0, "children_median_beyond"]
    assert math.isnan(k.loc[0, "share_children_covered"])
    assert k.loc[0, "pop_mean_min_reachable"] == pytest.approx(9.5)


# -- invariants (hypothesis) ------------------------------------------------------------------

_minutes = st.floats(min_value=0.1, max_value=120.0, allow_nan=False)


@st.composite
def _random_tables(draw):
    n_v = draw(st.integers(1, 6))
    n_o = draw(st.integers(1, 6))
    offers = pd.DataFrame(
        {
            "id": [f"o{i}" for i in range(n_o)],
            "name": [f"Angebot {i}" for i in range(n_o)],
            "category": [draw(st.sampled_from(CATS)) for _ in range(n_o)],
        }
    )
    rows = []
    for v in range(n_v):
        for o in range(n_o):
            for mode in MODES:
                if draw(st.booleans()):
                    minutes = draw(st.one_of(_minutes, st.just(np.nan)))
                    rows.append((f"v{v}", f"o{o}", mode, minutes, minutes / 2))
    tt = pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes", "km"])
    villages = pd.DataFrame(
        {
            "id": [f"v{v}" for v in range(n_v)],
            "name": [f"Dorf {v}" for v in range(n_v)],
            "ags": [draw(st.sampled_from(["001", "002"])) for _ in range(n_v)],
            "gemeinde": "G",
            "population": [draw(st.floats(0, 5000)) for _ in range(n_v)],
            "children_0_3": [draw(st.floats(0, 200)) for _ in range(n_v)],
            "children_3_6": [draw(st.floats(0, 200)) for _ in range(n_v)],
        }
    )
    return villages, tt, offers


@settings(max_examples=60, deadline=None)
@given(_random_tables(), st.floats(1, 60), st.floats(0, 60))
def test_more_threshold_never_lowers_n_within(tables, low, extra):
    _, tt, offers = tables
    key = ["origin_id", "mode", "category"]
    a = count_within(tt, offers, lambda c, m: low).set_index(key)["n_within"]
    b = count_within(tt, offers, lambda c, m: low + extra).set_index(key)["n_within"]
    assert a.index.equals(b.index)
    assert (b >= a).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6)), min_size=1, max_size=30))
def test_weighted_median_within_min_max(pairs):
    values = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    m = weighted_median(values, weights)
    positive = [v for v, w in pairs if w > 0]
    if not positive:
        assert math.isnan(m)
    else:
        assert min(positive) <= m <= max(positive)
        assert m in positive


@settings(max_examples=40, deadline=None)
@given(_random_tables())
def test_shares_in_unit_interval_and_unreachable_never_zero(tables):
    villages, tt, offers = tables
    vt = village_table(villages, tt, offers, categories=CATS, modes=MODES, threshold=THRESHOLDS)
    reachable = tt[tt["minutes"].notna()].merge(offers, left_on="destination_id", right_on="id")
    for cat in CATS:
        for mode in MODES:
            have = set(
                reachable.loc[
                    (reachable["category"] == cat) & (reachable["mode"] == mode), "origin_id"
                ]
            )
            col = vt[f"{cat}_{mode}_min"]
            for vid, minutes, n in zip(vt["id"], col, vt[f"{cat}_{mode}_n_within"], strict=True):
                if vid in have:
                    assert minutes > 0  # all generated minutes are >= 0.1
                else:
                    assert math.isnan(minutes)
                    assert n == 0
    long = gemeinde_long(
        vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS
    )
    share = long["share_children_beyond"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    assert (long["n_underserved"] <= long["n_villages"]).all()
    k = kreis_summary(vt, categories=CATS, modes=MODES, threshold=THRESHOLDS, age_groups=AGE_GROUPS)
    assert (k["n_villages"] == len(villages)).all()
    # Gemeinde sums add up to the Kreis
    sums = long.groupby(["category", "mode"])["children_beyond"].sum()
    for r in k.itertuples():
        assert sums[(r.category, r.mode)] == pytest.approx(r.children_beyond)
