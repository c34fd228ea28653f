"""Offers serve age groups: the parser, the reader, and every indicator, by hand.

The hand-computed example (category ``kita``, groups 0-3 and 3-6, car,
threshold 15 min, one Gemeinde „A“)::

    villages    population  children_0_3  children_3_6
    v1 Adorf          1000            30            40
    v2 Bdorf           500            10            20

    offers                 Altersgruppen  serves    capacity
    k1 Krippe Nord         „U3“           0-3             20
    k2 Kindergarten Süd    „3–6“          3-6             30
    k3 Kita Mitte          (empty)        0-3;3-6         10

    minutes     k1   k2   k3
    v1           5   20   12
    v2          25    8    –   (k3 not reachable from v2)

Nearest offer whatever its ages (the village table "all ages"):
    v1 → k1 5 min, v2 → k2 8 min;  offers within 15: v1 2 (k1, k3), v2 1 (k2)
Nearest offer per age group:
    v1: 0-3 → min(k1 5, k3 12) = 5;   3-6 → min(k2 20, k3 12) = 12
    v2: 0-3 → k1 25;                   3-6 → k2 8
Children figures of Gemeinde A, one sample per village and group:
    samples (minutes, children): (5, 30) (12, 40) (25, 10) (8, 20); Σ 100
    sorted: 5 (cum 30), 8 (cum 50), 12 (cum 90), 25 (cum 100)
    lower weighted median: first cum ≥ 50 → 8 min
    mean (all reachable) = (5·30 + 12·40 + 25·10 + 8·20) / 100 = 1040 / 100 = 10.4
    children beyond 15 min: the 10 under-threes of Bdorf (25 min) → share 0.1
    underserved villages: Bdorf (its 0-3 offer is beyond) → 1
Population figures use the nearest offer whatever its ages:
    (5, 1000) (8, 500) → median 5, mean (5000 + 4000) / 1500 = 6.0
(Ignoring the age groups, the children median would be 5 and nobody beyond.)

2SFCA (W = 1, threshold 15): pairs within reach v1–k1 (5), v1–k3 (12), v2–k2 (8)
    D_ij = children of village i in the groups offer j serves:
    v1–k1 30 (0-3), v1–k3 70 (both), v2–k2 20 (3-6)
    R_k1 = 20/30 = 2/3,  R_k3 = 10/70 = 1/7,  R_k2 = 30/20 = 1.5
    A_v1 = 1000·(R_k1·30 + R_k3·70) / 70 = 1000·30/70 ≈ 428.571
    A_v2 = 1000·(R_k2·20) / 30 = 1000
    conservation: 428.571·70/1000 + 1000·30/1000 = 30 + 30 = 60 = 20 + 30 + 10
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import (
    group_min_column,
    offers_for_group,
    offers_serving,
    restricted_categories,
    served_groups,
)
from erreichbarkeit.analysis.supply_tables import supply_tables
from erreichbarkeit.config import AGE_GROUPS, Settings, load_categories
from erreichbarkeit.config.ages import (
    ages_text_de,
    group_bounds,
    join_groups,
    parse_age_groups,
    split_groups,
)
from erreichbarkeit.errors import ScenarioError
from erreichbarkeit.io import read_offers
from erreichbarkeit.io.offers import fill_serves
from erreichbarkeit.planning.scenarios import Change, load_scenario, new_scenario, save_scenario
from erreichbarkeit.planning.scenarios._offers import _serves
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.methodik import _rule_rows

ALL = AGE_GROUPS
KITA = ("0-3", "3-6")
LIMIT = 15.0

# --------------------------------------------------------------------------- the parser

PARSER_CASES = [
    ("0-3", ("0-3",)),
    ("0–3", ("0-3",)),  # en dash
    ("3–6, 6–10", ("3-6", "6-10")),
    ("3-6;6-10", ("3-6", "6-10")),
    ("3-6 / 6-10", ("3-6", "6-10")),
    ("3-6 und 6-10", ("3-6", "6-10")),
    ("3-6,6-10", ("3-6", "6-10")),  # a list, not a decimal comma
    ("ab 10", ("10-18", "18-27")),
    ("ab 10 Jahre", ("10-18", "18-27")),
    ("ab 10 Jahren", ("10-18", "18-27")),
    ("U3", ("0-3",)),
    ("U 3", ("0-3",)),
    ("unter 3", ("0-3",)),
    ("Ü3", ("3-6", "6-10", "10-18", "18-27")),
    ("über 3 Jahre", ("3-6", "6-10", "10-18", "18-27")),
    ("4–12", ("3-6", "6-10", "10-18")),
    ("bis 6", ("0-3", "3-6")),  # up to the 6th birthday
    ("bis 7", ("0-3", "3-6", "6-10")),
    ("bis zum 3. Lebensjahr", ("0-3",)),
    ("Schulkinder", ("6-10", "10-18")),
    ("Grundschulkinder", ("6-10",)),
    ("Kinder", ("0-3", "3-6", "6-10", "10-18")),  # SGB VIII: under 14
    ("Jugendliche", ("10-18",)),  # 14 to 17
    ("junge Erwachsene", ("18-27",)),
    ("Kinder und Jugendliche", ("0-3", "3-6", "6-10", "10-18")),
    ("Eltern", ALL),
    ("Familien", ALL),
    ("0–27 Jahre und Eltern", ALL),
    ("Eltern mit Kindern 0-3", ("0-3",)),  # the parents of those children
    ("alle", ALL),
    ("alle Altersgruppen", ALL),
    ("0 bis 3 Jahre", ("0-3",)),
    ("von 3 bis 6 Jahren", ("3-6",)),
    ("Kinder von 3 bis 6 Jahren", ("3-6",)),  # numbers win over words
    ("3 - 6 J.", ("3-6",)),
    ("3-6-Jährige", ("3-6",)),
    ("0-3", ("0-3",)),
    ("3-6", ("3-6",)),
    ("6-10", ("6-10",)),
    ("10-18", ("10-18",)),
    ("18-27", ("18-27",)),
    ("18+", ("18-27",)),
    ("6 Jahre und älter", ("6-10", "10-18", "18-27")),
    ("ab 6 Monate", ALL),
    ("ab 6 Monaten", ALL),
    ("0-18 Monate", ("0-3",)),
    ("1,5 Jahre", ("0-3",)),
    ("3 Jahre", ("3-6",)),
    ("ab 30", ()),  # readable, but none of the groups
    ("Seniorenkaffee", None),
    ("k. A.", None),
    ("?", None),
    ("", None),
    ("6-3", None),  # runs backwards
    ("ab 2010", None),  # a year, not an age
]


@pytest.mark.parametrize(("text", "want"), PARSER_CASES)
def test_parser_table(text: str, want: tuple[str, ...] | None) -> None:
    assert parse_age_groups(text) == want


@pytest.mark.parametrize(
    ("group", "a", "b"), [(g, *group_bounds(g)) for g in AGE_GROUPS], ids=list(AGE_GROUPS)
)
def test_boundaries_are_half_open(group: str, a: float, b: float) -> None:
    """A group key is exactly itself; a range ending on its lower bound does not reach it."""
    assert parse_age_groups(group) == (group,)
    if a > 0:
        assert group not in (parse_age_groups(f"0-{a:g}") or ())  # ends at the group's start
    assert group in (parse_age_groups(f"bis {b:g}") or ())
    assert group not in (parse_age_groups(f"ab {b:g}") or ())  # starts at the group's end


@given(
    a=st.integers(min_value=0, max_value=40),
    b=st.integers(min_value=0, max_value=40),
    dash=st.sampled_from(["-", "–", " - ", " bis "]),
)
def test_range_gives_exactly_the_overlapping_groups(a: int, b: int, dash: str) -> None:
    """„a–b“ serves the groups [lo, hi) overlapping [a, b) (a single year when a = b)."""
    text = f"{a}{dash}{b} Jahre"
    if b < a:
        assert parse_age_groups(text) is None
        return
    hi = b if b > a else a + 1
    want = tuple(g for g in AGE_GROUPS if a < group_bounds(g)[1] and hi > group_bounds(g)[0])
    assert parse_age_groups(text) == want


def test_normalised_text_round_trip() -> None:
    assert join_groups(["3-6", "0-3", "0-3"]) == "0-3;3-6"
    assert split_groups("0-3;3-6") == ("0-3", "3-6")
    assert split_groups(None) == ()
    assert split_groups(math.nan) == ()
    assert parse_age_groups(join_groups(ALL)) == ALL
    assert ages_text_de("0-3", "U3") == "0–3 Jahre (laut Liste: U3)"
    assert ages_text_de("0-3;3-6", "") == "0–3, 3–6 Jahre"


# --------------------------------------------------------------------------- the reader


def _offers_csv(tmp_path: Path, ages: list[str]) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Name", "Kategorie", "Breite", "Länge", "Altersgruppen"])
    for i, text in enumerate(ages):
        writer.writerow([f"Kita {i}", "Kita", "51,5", f"9,{9000 + i}", text])
    path = tmp_path / "angebote.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def test_reader_parses_and_warns(tmp_path: Path) -> None:
    path = _offers_csv(tmp_path, ["U3", "", "Seniorenkaffee", "ab 30", "3–6, 6–10"])
    res = read_offers(path, load_categories())
    assert list(res.offers["serves"]) == ["0-3", "0-3;3-6", "0-3;3-6", "0-3;3-6", "3-6;6-10"]
    assert list(res.offers["age_groups"].fillna("")) == [
        "U3", "", "Seniorenkaffee", "ab 30", "3–6, 6–10",
    ]  # fmt: skip
    assert [(p.row, p.column, p.severity) for p in res.problems] == [
        (4, "Altersgruppen", "warning"),
        (5, "Altersgruppen", "warning"),
    ]
    first = res.problems[0]
    assert first.file == "angebote.csv"
    assert "„Seniorenkaffee“ nicht lesbar" in first.message_de
    assert "Altersgruppen der Kategorie Kita (0–3, 3–6 Jahre)" in first.message_de
    assert "„U3“" in first.message_de  # an example of what is expected
    assert "kein Alter von 0 bis 27" in res.problems[1].message_de


def test_fill_serves_gives_osm_offers_their_category_groups() -> None:
    offers = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "category": ["kita", "jugendzentrum", "kita"],
            "serves": ["0-3", None, ""],
        },
        geometry=[Point(9.9, 51.5)] * 3,
        crs="EPSG:4326",
    )
    out = fill_serves(offers, load_categories())
    assert list(out["serves"]) == ["0-3", "10-18;18-27", "0-3;3-6"]
    assert list(offers["serves"].fillna("-")) == ["0-3", "-", ""]  # not modified
    no_column = fill_serves(offers.drop(columns="serves"), load_categories())
    assert list(no_column["serves"]) == ["0-3;3-6", "10-18;18-27", "0-3;3-6"]


# --------------------------------------------------------------------------- the example


@pytest.fixture
def villages() -> pd.DataFrame:
    zero = [0.0, 0.0]
    return pd.DataFrame(
        {
            "id": ["v1", "v2"],
            "name": ["Adorf", "Bdorf"],
            "ags": ["1", "1"],
            "gemeinde": ["A", "A"],
            "population": [1000.0, 500.0],
            "children_0_3": [30.0, 10.0],
            "children_3_6": [40.0, 20.0],
            "children_6_10": zero,
            "children_10_18": zero,
            "children_18_27": zero,
        }
    )


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["k1", "k2", "k3"],
            "name": ["Krippe Nord", "Kindergarten Süd", "Kita Mitte"],
            "category": ["kita"] * 3,
            "age_groups": ["U3", "3–6", ""],
            "serves": ["0-3", "3-6", "0-3;3-6"],
            "capacity": [20.0, 30.0, 10.0],
        },
        geometry=[Point(9.9, 51.5), Point(9.91, 51.5), Point(9.92, 51.5)],
        crs="EPSG:4326",
    )


@pytest.fixture
def long_table() -> pd.DataFrame:
    rows = [("v1", "k1", 5.0), ("v1", "k2", 20.0), ("v1", "k3", 12.0),
            ("v2", "k1", 25.0), ("v2", "k2", 8.0)]  # fmt: skip
    return pd.DataFrame(
        {
            "origin_id": [r[0] for r in rows],
            "destination_id": [r[1] for r in rows],
            "mode": "car",
            "minutes": [r[2] for r in rows],
            "km": [r[2] for r in rows],
        }
    )


def _vt(
    villages: pd.DataFrame, tt: pd.DataFrame, offers: pd.DataFrame, **kw: object
) -> pd.DataFrame:
    return indicators.village_table(
        villages, tt, offers, categories=("kita",), modes=("car",),
        threshold=lambda _c, _m: LIMIT, labels={"kita": "Kita"}, **kw,
    )  # fmt: skip


def test_served_groups(offers: gpd.GeoDataFrame) -> None:
    plain = offers.drop(columns="serves")
    assert served_groups(offers) == [("0-3",), ("3-6",), KITA]
    assert served_groups(plain) == [KITA, KITA, KITA]  # the category's groups
    assert restricted_categories(offers, {"kita": KITA}) == ("kita",)
    assert restricted_categories(plain, {"kita": KITA}) == ()
    assert list(offers_serving(offers, "0-3")["id"]) == ["k1", "k3"]


def test_village_table_all_ages_and_per_group(villages, long_table, offers) -> None:
    vt = _vt(villages, long_table, offers, age_groups={"kita": KITA})
    assert list(vt["kita_car_min"]) == [5.0, 8.0]  # nearest whatever its ages
    assert list(vt["kita_car_nearest"]) == ["Krippe Nord", "Kindergarten Süd"]
    assert list(vt["kita_car_n_within"]) == [2, 1]
    assert list(vt[group_min_column("kita", "car", "0-3")]) == [5.0, 25.0]
    assert list(vt[group_min_column("kita", "car", "3-6")]) == [12.0, 8.0]
    # every offer with its category's groups: no per-group columns, the same table
    plain = offers.drop(columns="serves")
    same = _vt(villages, long_table, plain, age_groups={"kita": KITA})
    pd.testing.assert_frame_equal(same, _vt(villages, long_table, plain))


def test_offers_for_group_in_a_view(offers: gpd.GeoDataFrame) -> None:
    defaults = {k: c.age_groups for k, c in load_categories().items()}
    assert list(offers_for_group(offers, "0-3", defaults)["id"]) == ["k1", "k3"]
    assert list(offers_for_group(offers, "3-6", defaults)["id"]) == ["k2", "k3"]
    # no Kita names 6-10 and Kitas are not meant for it: all, as without age texts
    assert list(offers_for_group(offers, "6-10", defaults)["id"]) == ["k1", "k2", "k3"]
    plain = offers.drop(columns="serves")
    for group in AGE_GROUPS:  # every offer with its category's groups: nothing left out
        assert len(offers_for_group(plain, group, defaults)) == 3
    library = offers.assign(category="bibliothek", serves=["0-3;3-6", "6-10", ""])
    # libraries are meant for 3-27; one names the under-threes, so only it counts for them
    assert list(offers_for_group(library, "0-3", defaults)["id"]) == ["k1"]
    assert list(offers_for_group(library, "10-18", defaults)["id"]) == ["k3"]


@pytest.mark.parametrize(
    ("group", "nearest", "minutes", "n_within"),
    [
        ("0-3", ["Krippe Nord", "Krippe Nord"], [5.0, 25.0], [2, 0]),
        ("3-6", ["Kita Mitte", "Kindergarten Süd"], [12.0, 8.0], [1, 1]),
        ("6-10", [None, None], [math.nan, math.nan], [0, 0]),
    ],
)
def test_view_of_one_age_group(  # noqa: PLR0917 (fixtures and parameters)
    villages, long_table, offers, group, nearest, minutes, n_within
):
    """What the dashboard's compute_view does: only offers serving the chosen group."""
    vt = _vt(villages, long_table, offers_serving(offers, group))
    assert [None if pd.isna(x) else x for x in vt["kita_car_nearest"]] == nearest
    np.testing.assert_array_equal(vt["kita_car_min"].to_numpy(), minutes)
    assert list(vt["kita_car_n_within"]) == n_within


def test_gemeinde_and_kreis_by_hand(villages, long_table, offers) -> None:
    vt = _vt(villages, long_table, offers, age_groups={"kita": KITA})
    kw = {"categories": ("kita",), "modes": ("car",), "threshold": lambda _c, _m: LIMIT,
          "age_groups": {"kita": KITA}, "cutoff": 60.0}  # fmt: skip
    for table in (indicators.gemeinde_long(vt, **kw), indicators.kreis_summary(vt, **kw)):
        row = table.iloc[0]
        assert row["children_median_min"] == 8.0
        assert not row["children_median_beyond"]
        assert row["children_mean_min_reachable"] == pytest.approx(10.4)
        assert row["share_children_no_offer"] == 0.0
        assert row["children_beyond"] == 10.0
        assert row["share_children_beyond"] == pytest.approx(0.1)
        assert row["n_villages"] == 2
        assert row["n_underserved"] == 1
        assert row["underserved_villages"] == "Bdorf"
        assert row["pop_median_min"] == 5.0
        assert row["pop_mean_min_reachable"] == pytest.approx(6.0)
    # one age group (Steckbrief, dashboard): the under-threes only
    kw["age_groups"] = {"kita": ("0-3",)}
    row = indicators.kreis_summary(vt, **kw).iloc[0]  # samples (5, 30), (25, 10)
    assert (row["children_median_min"], row["children_beyond"]) == (5.0, 10.0)
    assert row["share_children_beyond"] == pytest.approx(0.25)


def test_default_groups_keep_todays_numbers(villages, long_table, offers) -> None:
    """Without per-group columns every figure is the one-sample-per-village figure."""
    plain = offers.drop(columns="serves")
    vt = _vt(villages, long_table, plain, age_groups={"kita": KITA})
    kw = {"categories": ("kita",), "modes": ("car",), "threshold": lambda _c, _m: LIMIT,
          "age_groups": {"kita": KITA}, "cutoff": 60.0}  # fmt: skip
    row = indicators.kreis_summary(vt, **kw).iloc[0]
    # samples (5, 70), (8, 30): median 5, mean (350 + 240) / 100, nobody beyond
    assert row["children_median_min"] == 5.0
    assert row["children_mean_min_reachable"] == pytest.approx(5.9)
    assert (row["children_beyond"], row["n_underserved"]) == (0.0, 0)


def test_two_step_fca_by_hand(tmp_path, villages, long_table, offers) -> None:
    settings = Settings(modes=("car",), thresholds={"kita": {"car": LIMIT}}, cache_dir=tmp_path)
    empty = gpd.GeoDataFrame({"ags": []}, geometry=[], crs="EPSG:4326")
    access, gem = supply_tables(
        long_table, villages, offers, empty, settings=settings, categories=("kita",)
    )
    acc = dict(zip(access["id"], access["access"], strict=True))
    assert acc["v1"] == pytest.approx(30_000 / 70)
    assert acc["v2"] == pytest.approx(1000.0)
    allocated = (access["access"] * access["demand"]).sum() / 1000
    assert allocated == pytest.approx(60.0)  # conservation: 20 + 30 + 10 places
    assert gem["supply_allocated"].iloc[0] == pytest.approx(60.0)
    # classic 2SFCA when every offer serves both groups: k1 is shared by all 70 children
    plain, _ = supply_tables(
        long_table, villages, offers.drop(columns="serves"), empty,
        settings=settings, categories=("kita",),
    )  # fmt: skip
    assert list(plain["access"]) == pytest.approx([1000 * 30 / 70, 1000 * 30 / 30])


def test_offer_ratios_by_hand(villages, long_table, offers) -> None:
    from erreichbarkeit.analysis.supply import fca_tables

    served = {"k1": ["children_0_3"], "k2": ["children_3_6"]}
    _, ratios = fca_tables(
        long_table, villages, offers, category="kita", mode="car", threshold=LIMIT,
        demand_column=["children_0_3", "children_3_6"], served=served,
    )  # fmt: skip
    got = ratios.set_index("id")
    assert list(got.loc[["k1", "k2", "k3"], "demand_in_catchment"]) == [30.0, 20.0, 70.0]
    assert list(got.loc[["k1", "k2", "k3"], "ratio"]) == pytest.approx([2 / 3, 1.5, 1 / 7])


# --------------------------------------------------------------------------- scenarios, headers


def test_scenario_offer_takes_the_given_groups() -> None:
    kita = load_categories()["kita"]
    add = Change(kind="add", offer_id="", category="kita", lon=9.9, lat=51.5, age_groups="U3")
    assert _serves(1, add, kita) == "0-3"
    default = Change(kind="add", offer_id="", category="kita", lon=9.9, lat=51.5)
    assert _serves(1, default, kita) == "0-3;3-6"
    bad = Change(kind="add", offer_id="", category="kita", lon=9.9, lat=51.5, age_groups="?")
    with pytest.raises(ScenarioError) as err:
        _serves(1, bad, kita)
    assert "Altersgruppen „?“ nicht lesbar" in err.value.message_de


def test_scenario_file_keeps_the_age_text(tmp_path: Path) -> None:
    add = Change(kind="add", offer_id="", category="kita", lon=9.9, lat=51.5, age_groups="U3")
    path = save_scenario(new_scenario("Krippe", [add]), tmp_path / "s.json")
    assert load_scenario(path).changes[0].age_groups == "U3"
    plain = Change(kind="close", offer_id="k1")
    path = save_scenario(new_scenario("zu", [plain]), tmp_path / "t.json")
    assert "age_groups" not in path.read_text("utf-8")  # empty fields are left out
    assert load_scenario(path).changes[0].age_groups == ""


def test_headers_name_the_age_columns() -> None:
    h = ColumnHeaders()
    assert h.describe("serves").label == "Altersgruppen"
    assert h.describe("age_groups").label == "Altersgruppen laut Liste"
    info = h.describe("kita_car_min_0_3")
    want = ("Kita – Auto: Minuten (0–3 Jahre)", "minutes", True)
    assert (info.label, info.kind, info.known) == want


def test_methodik_says_how_age_groups_are_used(tmp_path: Path) -> None:
    rows = dict(_rule_rows(Settings(cache_dir=tmp_path)))
    text = rows["Altersgruppen der Angebote"]
    assert "„bis 6“ = bis zum 6. Geburtstag" in text
    assert "Versorgung (2SFCA)" in text
