"""The age group of the planning pages: hand-computed 2SFCA and suggestions, 0–3 vs 0–6.

Two villages, two Kitas (category ``kita``: age groups 0–3 and 3–6),
threshold 10 min by car:

========  =====  =====  ==========================
village   0–3    3–6    reaches (minutes)
========  =====  =====  ==========================
A         10     20     K1 (5), K2 (4)
B         30     40     K1 (8); K2 at 30 min: beyond
========  =====  =====  ==========================

K1 has 60 places for 0–6; K2 ("Krippe") 20 places for 0–3 only.

Step 1 (every child of the target group competes):
``R_K1 = 60 / (30 + 70) = 0,6`` and ``R_K2 = 20 / 10 = 2`` places per child.

* whole target group 0–6: ``A = 1000 · (0,6·30 + 2·10) / 30 = 3800/3``,
  ``B = 1000 · 0,6 = 600``; places shared out 38 + 42 = 80 (all of them).
* 0–3 only: ``A = 1000 · (0,6 + 2) = 2600``, ``B = 600``; places shared out
  to the under-threes 26 + 18 = 44 for 40 children (1 100 per 1 000).
* 3–6 only: ``A = B = 600``; 12 + 24 = 36 places (44 + 36 = 80).

Counting the under-threes alone against all places (the wrong way) would give
``R_K1 = 60/40``, ``A = 3500``; the tests make sure that does not happen.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from erreichbarkeit.analysis.supply import fca_tables
from erreichbarkeit.config import WGS84, Settings
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.planning import age_supply, locations
from erreichbarkeit.ui import planning_ages, planning_logic

THR = 10.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        name="Test", network=tmp_path / "net.osm.pbf", offers=("x.csv",), modes=("car",),
        cache_dir=tmp_path / "cache", thresholds={"kita": {"car": THR}},
    )  # fmt: skip


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["A", "B"],
            "name": ["Adorf", "Bdorf"],
            "ags": ["03159001", "03159002"],
            "gemeinde": ["Agem", "Bgem"],
            "children_0_3": [10.0, 30.0],
            "children_3_6": [20.0, 40.0],
            "children_6_10": [7.0, 9.0],
            "children_10_18": [0.0, 0.0],
            "children_18_27": [0.0, 0.0],
        },
        geometry=[Point(9.90, 51.50), Point(10.00, 51.50)],
        crs=WGS84,
    )


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["K1", "K2"],
            "name": ["Kita Eins", "Krippe Zwei"],
            "category": ["kita", "kita"],
            "capacity": [60.0, 20.0],
            "serves": ["", "0-3"],
        },
        geometry=[Point(9.99, 51.50), Point(9.91, 51.50)],  # K1 in Bgem, K2 in Agem
        crs=WGS84,
    )


@pytest.fixture
def boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ags": ["03159001", "03159002"], "gemeinde": ["Agem", "Bgem"]},
        geometry=[box(9.85, 51.45, 9.95, 51.55), box(9.95, 51.45, 10.05, 51.55)],
        crs=WGS84,
    )


@pytest.fixture
def travel_times() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin_id": ["A", "A", "B", "B"],
            "destination_id": ["K1", "K2", "K1", "K2"],
            "mode": "car",
            "minutes": [5.0, 4.0, 8.0, 30.0],
        }
    )


def _tables(  # noqa: PLR0917 (the fixtures in order)
    settings: Settings, tt: Any, v: Any, o: Any, b: Any, groups: tuple[str, ...]
) -> Any:
    return age_supply.group_supply_tables(
        tt, v, o, b, settings=settings, category="kita", mode="car", age_groups=groups
    )


def test_group_supply_0_3_and_0_6_hand_values(
    settings: Settings, travel_times: Any, villages: Any, offers: Any, boundaries: Any
) -> None:
    args = (settings, travel_times, villages, offers, boundaries)
    v03, g03 = _tables(*args, ("0-3",))
    v06, g06 = _tables(*args, ("0-3", "3-6"))
    v36, _ = _tables(*args, ("3-6",))
    assert v03["demand"].tolist() == [10.0, 30.0]
    assert v03["access"].tolist() == pytest.approx([2600.0, 600.0], abs=1e-9)
    assert v06["demand"].tolist() == [30.0, 70.0]
    assert v06["access"].tolist() == pytest.approx([3800.0 / 3, 600.0], abs=1e-9)
    assert v36["access"].tolist() == pytest.approx([600.0, 600.0], abs=1e-9)
    # offers and places in reach: those serving the group (A reaches the Krippe too)
    assert v03["n_offers_in_reach"].tolist() == [2, 1]
    assert v03["supply_in_reach"].tolist() == [80.0, 60.0]
    assert v36["n_offers_in_reach"].tolist() == [1, 1]
    assert v36["supply_in_reach"].tolist() == [60.0, 60.0]
    assert v06["n_offers_in_reach"].tolist() == [2, 1]
    assert list(v03.columns[:2]) == ["category", "mode"]
    assert set(v03["category"]) == {"kita"}
    # places shared out: 44 to the under-threes, 36 to the 3–6, 80 in all
    assert g03["supply_allocated"].sum() == pytest.approx(44.0)
    assert g06["supply_allocated"].sum() == pytest.approx(80.0)
    g03 = g03.set_index("ags")
    assert g03.loc["03159001", "access_mean"] == pytest.approx(2600.0)
    assert g03.loc["03159002", "demand"] == 30.0
    # places located in the Gemeinde: offers serving the group (K2 in Agem, K1 in Bgem)
    assert g03["supply_located"].to_dict() == {"03159001": 20.0, "03159002": 60.0}
    _, g36 = _tables(*args, ("3-6",))
    assert g36.set_index("ags")["supply_located"].to_dict() == {
        "03159001": 0.0,
        "03159002": 60.0,
    }


def test_the_whole_group_equals_the_pipeline_call(
    settings: Settings, travel_times: Any, villages: Any, offers: Any, boundaries: Any
) -> None:
    """With the category's groups the numbers are those of the run's stored tables."""
    v06, _ = _tables(settings, travel_times, villages, offers, boundaries, ("0-3", "3-6"))
    stored, _ = fca_tables(
        travel_times, villages, offers, category="kita", mode="car", threshold=THR,
        demand_column=["children_0_3", "children_3_6"],
        served={"K1": ["children_0_3", "children_3_6"], "K2": ["children_0_3"]},
    )  # fmt: skip
    assert v06["access"].tolist() == stored["access"].tolist()


def test_village_columns_must_be_demand_columns(
    travel_times: Any, villages: Any, offers: Any
) -> None:
    with pytest.raises(ConfigError):
        fca_tables(
            travel_times, villages, offers, category="kita", mode="car", threshold=THR,
            demand_column=["children_0_3"], village_columns=["children_6_10"],
        )  # fmt: skip


def test_village_columns_without_served_is_the_classic_share(
    travel_times: Any, villages: Any, offers: Any
) -> None:
    """Every offer serving 0–6: the under-threes get the same places per child as all."""
    everyone = offers.assign(serves="")
    out, _ = fca_tables(
        travel_times, villages, everyone, category="kita", mode="car", threshold=THR,
        demand_column=["children_0_3", "children_3_6"], village_columns=["children_0_3"],
    )  # fmt: skip
    # R_K1 = 60/100, R_K2 = 20/30 (A only): A = 1000·(0,6 + 2/3), B = 600
    assert out["access"].tolist() == pytest.approx([1000 * (0.6 + 2 / 3), 600.0], abs=1e-9)
    assert out["demand"].tolist() == [10.0, 30.0]


def test_a_category_not_serving_the_group_has_no_figures(
    settings: Settings, travel_times: Any, villages: Any, offers: Any, boundaries: Any
) -> None:
    cat = settings.categories()["kita"]
    assert not age_supply.serves_group(offers, "kita", cat, "10-18")
    with pytest.raises(ConfigError) as err:
        _tables(settings, travel_times, villages, offers, boundaries, ("10-18",))
    assert err.value.german.endswith("Kita richtet sich nicht an die Altersgruppe 10–18")
    results = SimpleNamespace(settings=settings, offers=offers)
    choice = planning_ages.age_choice(results, "kita", "10-18", planning_ages.AGE_SIDEBAR)  # type: ignore[arg-type]
    assert choice.groups == ()
    assert choice.note.startswith("Kita richtet sich nicht an Kinder 10–18 Jahre")
    whole = planning_ages.age_choice(results, "kita", "10-18", planning_ages.AGE_WHOLE)  # type: ignore[arg-type]
    assert whole.groups == ("0-3", "3-6")
    assert whole.note == ""


def test_an_offer_naming_another_group_widens_the_pool(
    settings: Settings, travel_times: Any, villages: Any, offers: Any, boundaries: Any
) -> None:
    """A Kita with a Hort (serves 6–10): the 6–10-year-olds then count for Kitas."""
    hort = offers.assign(serves=["0-3;3-6;6-10", "0-3"])
    cat = settings.categories()["kita"]
    assert age_supply.target_groups(hort, "kita", cat, "6-10") == ("0-3", "3-6", "6-10")
    v, _ = _tables(settings, travel_times, villages, hort, boundaries, ("6-10",))
    # R_K1 = 60 / (10+20+7 + 30+40+9) = 60/116; the 6–10 reach only K1
    assert v["demand"].tolist() == [7.0, 9.0]
    assert v["access"].tolist() == pytest.approx([60_000 / 116] * 2, abs=1e-9)


def test_age_choice_labels_and_default(settings: Settings, offers: Any) -> None:
    results = SimpleNamespace(settings=settings, offers=offers)
    side = planning_ages.age_choice(results, "kita", "0-3", planning_ages.AGE_SIDEBAR)  # type: ignore[arg-type]
    assert side.groups == ("0-3",)
    assert side.who == "Kinder 0–3 Jahre"
    assert side.options == {
        "sidebar": "Altersgruppe der Seitenleiste (0–3)",
        "whole": "ganze Zielgruppe der Kategorie (0–6)",
    }
    whole = planning_ages.age_choice(results, "kita", "0-3", planning_ages.AGE_WHOLE)  # type: ignore[arg-type]
    assert whole.who == "Kinder 0–6 Jahre"
    assert whole.whole
    # a category of one group: nothing to choose
    hebamme = planning_ages.age_choice(results, "hebamme", "0-3", planning_ages.AGE_WHOLE)  # type: ignore[arg-type]
    assert list(hebamme.options) == ["sidebar"]
    assert hebamme.groups == ("0-3",)
    assert planning_ages.who(["0-3", "10-18"]) == "Kinder 0–3, 10–18 Jahre"
    frame = pd.DataFrame(columns=["Ort", "Kinder (Nachfrage)", "Plätze je 1.000 Kinder"])
    assert planning_ages.with_age_headers(frame, ("0-3",)).columns.tolist() == [
        "Ort",
        "Kinder 0–3 Jahre (Nachfrage)",
        "Plätze je 1.000 Kinder 0–3 Jahre",
    ]


# -- location suggestions -------------------------------------------------------------


def _suggest(settings: Settings, offers: Any, groups: tuple[str, ...] | None) -> Any:
    """Three villages, village candidates reached only from their own village.

    A (0–3: 10, 3–6: 20) reaches K1 (serves 3–6 only); B (30, 40) reaches K2
    (0–6); C (5, 0) reaches nothing.
    """
    villages = gpd.GeoDataFrame(
        {
            "id": ["A", "B", "C"],
            "name": ["Adorf", "Bdorf", "Cdorf"],
            "children_0_3": [10.0, 30.0, 5.0],
            "children_3_6": [20.0, 40.0, 0.0],
        },
        geometry=[Point(9.90, 51.50), Point(10.00, 51.50), Point(10.10, 51.50)],
        crs=WGS84,
    )
    kitas = offers.assign(serves=["3-6", ""])
    tt = pd.DataFrame(
        {
            "origin_id": ["A", "B", "A", "B"],
            "destination_id": ["K1", "K2", "K2", "K1"],
            "mode": "car",
            "minutes": [5.0, 8.0, 30.0, 30.0],
        }
    )
    cands = locations.candidate_sites(villages)
    ctt = pd.DataFrame(
        {
            "origin_id": ["A", "B", "C"],
            "destination_id": ["kandidat:A", "kandidat:B", "kandidat:C"],
            "mode": "car",
            "minutes": [0.0, 0.0, 0.0],
        }
    )
    results = SimpleNamespace(settings=settings, villages=villages, travel_times=tt, offers=kitas)
    return planning_logic.suggest(
        results,  # type: ignore[arg-type]
        {},
        category="kita", mode="car", k=1, model="mclp", threshold=THR,
        village_candidates=(cands, ctt), age_groups=groups,
    )  # fmt: skip


def test_suggestion_counts_the_chosen_age_group(settings: Settings, offers: Any) -> None:
    # 0–3: only K2 serves them: B's 30 within; the best new site is A (10 more)
    s03 = _suggest(settings, offers, ("0-3",))
    assert s03.covered_before == 30.0
    assert s03.covered_after == 40.0
    assert s03.sites["id"].tolist() == ["kandidat:A"]
    assert "Kinder 0–3 Jahre" in s03.objective
    # 0–6 (the category's, also the default): A 30 + B 70 within; C's 5 are left
    for groups in (("0-3", "3-6"), None):
        s06 = _suggest(settings, offers, groups)
        assert s06.covered_before == 100.0
        assert s06.covered_after == 105.0
        assert s06.sites["id"].tolist() == ["kandidat:C"]
        assert "Kinder 0–6 Jahre" in s06.objective


def test_with_demand_column_of_given_groups(villages: Any, settings: Settings) -> None:
    cat = settings.categories()["kita"]
    out, name = locations.with_demand_column(villages, cat, ("0-3",))
    assert name == "children_0_3"
    assert out[name].tolist() == [10.0, 30.0]
    out, name = locations.with_demand_column(villages, cat)
    assert name == "children_0_6"
    assert out[name].tolist() == [30.0, 70.0]
    out, name = locations.with_demand_column(villages, cat, ("0-3", "6-10"))
    assert name == "demand"
    assert out[name].tolist() == [17.0, 39.0]
