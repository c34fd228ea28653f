"""Gemeinde assignment and population/children estimates, hand-computed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from erreichbarkeit.analysis.population import OUTSIDE, assign_gemeinden, estimate_population
from erreichbarkeit.config import DEFAULT_AGE_SHARES


@pytest.fixture
def boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "ags": ["99999001", "99999002"],
            "gemeinde": ["Westdorf", "Ostheim"],
            "population": [1120.0, np.nan],
        },
        geometry=[box(9.0, 51.0, 9.1, 51.1), box(9.1, 51.0, 9.2, 51.1)],
        crs="EPSG:4326",
    )


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "name": ["Adorf", "Bweiler", "Chof", "Dstadt", "Edorf"],
            "place": ["village", "village", "hamlet", "town", "village"],
            "osm_population": [np.nan, 400.0, np.nan, np.nan, np.nan],
        },
        geometry=[
            Point(9.02, 51.05),
            Point(9.05, 51.05),
            Point(9.08, 51.02),
            Point(9.15, 51.05),
            Point(9.5, 51.5),
        ],
        crs="EPSG:4326",
    )


def test_assign_gemeinden(villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> None:
    out = assign_gemeinden(villages, boundaries)
    assert out["ags"].tolist()[:4] == ["99999001", "99999001", "99999001", "99999002"]
    assert out["ags"].isna().tolist() == [False, False, False, False, True]
    assert out.loc[4, "gemeinde"] == OUTSIDE


def test_population_distribution_by_weights(
    villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> None:
    v = assign_gemeinden(villages, boundaries)
    out = estimate_population(
        v, {"99999001": 1120.0}, DEFAULT_AGE_SHARES, population_source="Zensus 2022"
    )
    # Westdorf: weights a=500 (village), b=400 (OSM tag), c=60 (hamlet); sum 960
    # a = 1120·500/960 = 583.33 → 583; b = 1120·400/960 = 466.67 → 467; c = 1120·60/960 = 70
    assert out["population"].tolist()[:3] == [583.0, 467.0, 70.0]
    assert "Ortstyp" in out.loc[0, "population_source"]
    assert "OSM-Einwohnerangaben" in out.loc[1, "population_source"]
    # Ostheim has no population figure: rough estimate = town weight 6000
    assert out.loc[3, "population"] == 6000.0
    assert out.loc[3, "population_source"].startswith("grobe Schätzung")
    # children: population × share, e.g. a: 583 × 0.028 = 16.3 (0–3)
    assert out.loc[0, "children_0_3"] == pytest.approx(583 * 0.028, abs=0.05)
    assert out.loc[0, "children_10_18"] == pytest.approx(583 * 0.074, abs=0.05)
    assert out["children_source"].str.startswith("Schätzung").all()


def test_gemeinde_total_is_preserved(
    villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> None:
    v = assign_gemeinden(villages, boundaries)
    out = estimate_population(v, {"99999001": 9999.0}, DEFAULT_AGE_SHARES)
    assert out.loc[out["ags"] == "99999001", "population"].sum() == pytest.approx(9999.0, abs=1.5)


def test_user_population_and_children_win(
    villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> None:
    v = assign_gemeinden(villages, boundaries)
    v["population"] = [100.0, np.nan, np.nan, np.nan, np.nan]
    for col in (
        "children_0_3",
        "children_3_6",
        "children_6_10",
        "children_10_18",
        "children_18_27",
    ):
        v[col] = [7.0, np.nan, np.nan, np.nan, np.nan]
    out = estimate_population(v, {"99999001": 1120.0}, DEFAULT_AGE_SHARES)
    assert out.loc[0, "population"] == 100.0
    assert out.loc[0, "population_source"] == "Angabe"
    assert out.loc[0, "children_0_3"] == 7.0
    assert out.loc[0, "children_source"] == "Angabe"
    assert out.loc[1, "children_source"].startswith("Schätzung")
    # the remaining 1020 inhabitants go to b (400) and c (60): 886.96 → 887 and 133.04 → 133
    assert out.loc[1, "population"] == 887.0
    assert out.loc[2, "population"] == 133.0


def test_given_children_columns_are_kept_and_only_missing_ones_estimated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A file with children 0–3 and 3–6 only: those stay, 6–10, 10–18 and 18–27 are estimated."""
    from erreichbarkeit.io import read_villages

    path = tmp_path / "orte.csv"
    path.write_text(
        "Name;Breite;Länge;Einwohner;children_0_3;children_3_6\n"
        "Adorf;51,05;9,02;1000;40;31\n"
        "Bweiler;51,05;9,05;500;;12\n",
        encoding="utf-8",
    )
    v = read_villages(path)
    v["ags"] = "99999001"
    out = estimate_population(v, {"99999001": 1500.0}, DEFAULT_AGE_SHARES)
    assert out["children_0_3"].tolist() == [40.0, 500 * 0.028]  # Bweiler's blank cell estimated
    assert out["children_3_6"].tolist() == [31.0, 12.0]
    assert out["children_6_10"].tolist() == pytest.approx([1000 * 0.037, 500 * 0.037])
    assert out["children_18_27"].tolist() == pytest.approx([1000 * 0.094, 500 * 0.094])
    a, b = out["children_source"]
    assert a.startswith("Angabe: 0–3, 3–6; Schätzung (")
    assert a.endswith("): 6–10, 10–18, 18–27")
    assert b.startswith("Angabe: 3–6; Schätzung (") and b.endswith("): 0–3, 6–10, 10–18, 18–27")


def test_children_labels_when_all_or_none_given(villages: gpd.GeoDataFrame) -> None:
    v = villages.assign(ags="99999001")
    for g in ("0_3", "3_6", "6_10", "10_18", "18_27"):
        v[f"children_{g}"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    out = estimate_population(v, {"99999001": 1000.0}, DEFAULT_AGE_SHARES)
    assert (out["children_source"] == "Angabe").all()
    assert out["children_10_18"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    none = estimate_population(
        villages.assign(ags="99999001"), {"99999001": 1000.0}, DEFAULT_AGE_SHARES
    )
    assert none["children_source"].str.startswith("Schätzung: Einwohner × Altersanteile").all()
    assert not none["gemeinde_partial"].any()
