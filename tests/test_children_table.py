"""Children per Gemeinde from a table, distributed over villages (hand-computed).

Two Gemeinden: A (``03159001``) with villages v1 (300 inhabitants) and v2
(100), B (``03159002``) with v3 (200).  The table gives A 20 children 0–3
and 12 children 3–6, and B 9 children 0–3 (3–6 left blank):

* v1: 0–3 = 20 · 300/400 = 15, 3–6 = 12 · 300/400 = 9
* v2: 0–3 = 20 · 100/400 = 5,  3–6 = 12 · 100/400 = 3
* v3: 0–3 = 9, 3–6 = 200 · 2.9 % = 5.8 (age-share estimate)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from erreichbarkeit.analysis.population import estimate_population
from erreichbarkeit.config import AGE_GROUPS, DEFAULT_AGE_SHARES

A, B = "03159001", "03159002"
FILE = "kinderzahlen.xlsx"
TABLE_LABEL = f"Kinderzahl der Gemeinde ({FILE}, auf Orte nach Einwohnern verteilt)"
SHARES = "0–3: 2,8 %, 3–6: 2,9 %, 6–10: 3,7 %, 10–18: 7,4 %, 18–27: 9,4 %"
ESTIMATE = f"Schätzung (Einwohner × Altersanteile ({SHARES}))"


def _villages(**extra: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["v1", "v2", "v3"],
            "ags": [A, A, B],
            "place": ["village"] * 3,
            "population": [300.0, 100.0, 200.0],
            **extra,
        },
        geometry=[Point(9.9, 51.5), Point(9.91, 51.5), Point(9.95, 51.5)],
        crs="EPSG:4326",
    )


TABLE = pd.DataFrame(
    {"0-3": [20.0, 9.0], "3-6": [12.0, np.nan]}, index=pd.Index([A, B], name="ags")
)


def _estimate(villages: gpd.GeoDataFrame, **kwargs: object) -> gpd.GeoDataFrame:
    return estimate_population(
        villages,
        {A: 400.0, B: 200.0},
        DEFAULT_AGE_SHARES,
        children=TABLE,
        children_file=FILE,
        **kwargs,  # type: ignore[arg-type]
    )


def test_table_counts_distributed_by_population() -> None:
    out = _estimate(_villages())
    assert out["children_0_3"].tolist() == pytest.approx([15.0, 5.0, 9.0])
    assert out["children_3_6"].tolist() == pytest.approx([9.0, 3.0, 5.8])
    # groups the table lacks keep the age-share estimate
    assert out["children_6_10"].tolist() == pytest.approx([11.1, 3.7, 7.4])
    sums = out.groupby("ags")[["children_0_3"]].sum()["children_0_3"]
    assert sums[A] == pytest.approx(TABLE.loc[A, "0-3"])
    assert sums[B] == pytest.approx(TABLE.loc[B, "0-3"])
    assert out.loc[0, "children_source"] == (
        f"Kinderzahl der Gemeinde ({FILE}, auf Orte nach Einwohnern verteilt): 0–3, 3–6; "
        f"{ESTIMATE}: 6–10, 10–18, 18–27"
    )
    assert out.loc[2, "children_source"] == (
        f"Kinderzahl der Gemeinde ({FILE}, auf Orte nach Einwohnern verteilt): 0–3; "
        f"{ESTIMATE}: 3–6, 6–10, 10–18, 18–27"
    )


def test_all_groups_from_table_has_one_label() -> None:
    full = pd.DataFrame({g: [10.0, 10.0] for g in AGE_GROUPS}, index=[A, B])
    out = estimate_population(
        _villages(), {A: 400.0, B: 200.0}, DEFAULT_AGE_SHARES, children=full, children_file=FILE
    )
    assert set(out["children_source"]) == {TABLE_LABEL}
    assert out["children_18_27"].tolist() == pytest.approx([7.5, 2.5, 10.0])


def test_village_counts_win_over_the_table() -> None:
    """v2's own 4 children 0–3 are kept; v1 gets the rest of A's 20 (16)."""
    out = _estimate(_villages(children_0_3=[np.nan, 4.0, np.nan]))
    assert out["children_0_3"].tolist() == pytest.approx([16.0, 4.0, 9.0])
    assert out.groupby("ags")["children_0_3"].sum()[A] == pytest.approx(20.0)
    assert out.loc[1, "children_source"] == (
        f"Angabe: 0–3; Kinderzahl der Gemeinde ({FILE}, auf Orte nach Einwohnern verteilt): "
        f"3–6; {ESTIMATE}: 6–10, 10–18, 18–27"
    )


def test_partial_gemeinde_gets_its_covered_share() -> None:
    """B is half inside the network data: its villages share half of its 9 children."""
    out = _estimate(_villages(), partial=pd.Series({B: 0.5}))
    assert out["children_0_3"].tolist() == pytest.approx([15.0, 5.0, 4.5])


def test_without_table_labels_unchanged() -> None:
    out = estimate_population(_villages(), {A: 400.0, B: 200.0}, DEFAULT_AGE_SHARES)
    assert set(out["children_source"]) == {f"Schätzung: Einwohner × Altersanteile ({SHARES})"}
    out = estimate_population(
        _villages(children_0_3=[1.0, 2.0, 3.0]), {A: 400.0, B: 200.0}, DEFAULT_AGE_SHARES
    )
    assert out.loc[0, "children_source"] == f"Angabe: 0–3; {ESTIMATE}: 3–6, 6–10, 10–18, 18–27"
