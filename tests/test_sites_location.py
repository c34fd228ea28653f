"""The Gemeinde and nearest village of suggested sites (Standortvorschläge table).

Coordinates are laid out in ETRS89 / UTM 32N (the metric CRS the distances
are measured in) so the distances are exact by hand:

* villages A (550 000, 5 700 000) in Agem and B (560 000, 5 700 000) in Bgem;
* Gemeinden Agem x 545–555 km, Bgem x 555–570 km (y 5 695–5 710 km);
* own site S1 (563 000, 5 704 000): in Bgem, 5 km from B (3-4-5), 13,6 km from A;
* own site S2 (600 000, 5 700 000): outside every Gemeinde, 40 km from B.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.planning.locations import LocationSuggestion
from erreichbarkeit.planning.site_places import site_places
from erreichbarkeit.ui import planning_ages


def _wgs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_crs(METRIC_CRS).to_crs(WGS84)


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return _wgs(
        gpd.GeoDataFrame(
            {
                "id": ["A", "B"],
                "name": ["Adorf", "Bdorf"],
                "ags": ["03159001", "03159002"],
                "gemeinde": ["Agem", "Bgem"],
            },
            geometry=[Point(550_000, 5_700_000), Point(560_000, 5_700_000)],
        )
    )


@pytest.fixture
def boundaries() -> gpd.GeoDataFrame:
    return _wgs(
        gpd.GeoDataFrame(
            {"ags": ["03159001", "03159002"], "gemeinde": ["Agem", "Bgem"]},
            geometry=[
                box(545_000, 5_695_000, 555_000, 5_710_000),
                box(555_000, 5_695_000, 570_000, 5_710_000),
            ],
        )
    )


@pytest.fixture
def sites(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    own = _wgs(
        gpd.GeoDataFrame(
            {"id": ["eigen:S1", "eigen:S2"], "name": ["Halle", "Feld"]},
            geometry=[Point(563_000, 5_704_000), Point(600_000, 5_700_000)],
        )
    )
    # the village candidate comes first, then own sites (as a suggestion's rank order)
    first = gpd.GeoDataFrame(
        {"id": ["kandidat:A"], "name": ["Adorf"]},
        geometry=[villages.geometry.iloc[0]],
        crs=WGS84,
    )
    return gpd.GeoDataFrame(
        {
            "id": [*first["id"], *own["id"]],
            "name": [*first["name"], *own["name"]],
            "rank": [1, 2, 3],
            "coverage_gain_children": [12.04, 8.0, 1.0],
            "coverage_gain_share": [0.1204, 0.08, 0.01],
            "minutes_saved": [100.0, 50.0, 5.0],
        },
        geometry=[*first.geometry, *own.geometry],
        crs=WGS84,
    )


def test_site_places_hand_values(sites: Any, villages: Any, boundaries: Any) -> None:
    p = site_places(sites, villages, boundaries)
    assert p.index.tolist() == sites.index.tolist()
    # the village candidate: that village, in that village's Gemeinde
    assert p.loc[0, ["ags", "gemeinde", "nearest_village"]].tolist() == [
        "03159001",
        "Agem",
        "Adorf",
    ]
    assert p.loc[0, "nearest_km"] == 0.0
    # own site in Bgem, 5 km from Bdorf
    assert p.loc[1, ["ags", "gemeinde", "nearest_village"]].tolist() == [
        "03159002",
        "Bgem",
        "Bdorf",
    ]
    assert p.loc[1, "nearest_km"] == pytest.approx(5.0, abs=1e-6)
    # outside every Gemeinde, 40 km from Bdorf
    assert pd.isna(p.loc[2, "ags"])
    assert p.loc[2, "nearest_village"] == "Bdorf"
    assert p.loc[2, "nearest_km"] == pytest.approx(40.0, abs=1e-6)


def test_site_places_prefers_the_village_row_over_the_polygon(
    sites: Any, villages: Any, boundaries: Any
) -> None:
    """A village site takes its Gemeinde from the village table even without boundaries."""
    p = site_places(sites, villages, boundaries.iloc[0:0])
    assert p.loc[0, "gemeinde"] == "Agem"
    assert p.isna().loc[1, "gemeinde"]
    assert p.loc[1, "nearest_km"] == pytest.approx(5.0, abs=1e-6)


def test_sites_table_german_columns(sites: Any, villages: Any, boundaries: Any) -> None:
    suggestion = LocationSuggestion(
        sites=sites, covered_before=0.0, covered_after=21.0, objective="", solver_seconds=0.0,
        candidates_considered=3,
    )  # fmt: skip
    results = SimpleNamespace(villages=villages, boundaries=boundaries)
    table = planning_ages.sites_table(results, suggestion, ("0-3",))  # type: ignore[arg-type]
    assert table.columns.tolist() == [
        "Rang",
        "Standort",
        "Gemeinde",
        "AGS",
        "nächster Ort",
        "Entfernung zum Ort (km)",
        "zusätzlich erreichte Kinder 0–3 Jahre",
        "Anteil aller Kinder 0–3 Jahre (%)",
        "eingesparte Kinder-Minuten",
        "Breitengrad",
        "Längengrad",
    ]
    assert table["Gemeinde"].tolist() == ["Agem", "Bgem", "außerhalb der Gemeindeflächen"]
    assert table["AGS"].tolist() == ["03159001", "03159002", ""]
    assert table["nächster Ort"].tolist() == ["Adorf", "Bdorf", "Bdorf"]
    assert table["Entfernung zum Ort (km)"].tolist() == ["0,0", "5,0", "40,0"]
    assert table["zusätzlich erreichte Kinder 0–3 Jahre"].tolist() == [12.0, 8.0, 1.0]


def test_site_places_without_villages(sites: Any, villages: Any, boundaries: Any) -> None:
    p = site_places(sites, villages.iloc[0:0], boundaries)
    assert p.loc[1, "gemeinde"] == "Bgem"
    assert p["nearest_km"].isna().all()
