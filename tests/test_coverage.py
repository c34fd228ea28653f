"""Gemeinden only partly inside the network data: coverage shares on hand-made squares."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box

from erreichbarkeit.analysis.coverage import (
    PARTIAL_LABEL,
    coverage_note,
    gemeinde_coverage,
    network_coverage,
    outside_coverage,
)
from erreichbarkeit.analysis.population import assign_gemeinden, estimate_population
from erreichbarkeit.config import DEFAULT_AGE_SHARES
from erreichbarkeit.webmap.layers import village_rows

# a local metric frame (EPSG:25832) near Göttingen; 1 unit = 1 km
X0, Y0 = 560_000.0, 5_700_000.0
TO_WGS = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
TO_3035 = Transformer.from_crs("EPSG:25832", "EPSG:3035", always_xy=True)


def km_box(x0: float, y0: float, x1: float, y1: float):  # type: ignore[no-untyped-def]
    """A lon/lat polygon of the square [x0, x1] × [y0, y1] km of the local frame."""
    square = box(X0 + x0 * 1000, Y0 + y0 * 1000, X0 + x1 * 1000, Y0 + y1 * 1000)
    return shapely.transform(square.segmentize(100), TO_WGS.transform, interleaved=False)


def km_points(xy: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_WGS.transform(
        np.array([X0 + x * 1000 for x, _ in xy]), np.array([Y0 + y * 1000 for _, y in xy])
    )
    return np.asarray(lon), np.asarray(lat)


def metric_area_km2(geom) -> float:  # type: ignore[no-untyped-def]
    return float(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:25832").area.iloc[0]) / 1e6


def centres(x0: int, x1: int, y0: int, y1: int) -> list[tuple[float, float]]:
    return [(x + 0.5, y + 0.5) for x in range(x0, x1) for y in range(y0, y1)]


def test_coverage_is_the_cells_holding_nodes() -> None:
    # one node in each of the 3 × 3 cells of 1 km: 9 km²
    lon, lat = km_points(centres(0, 3, 0, 3))
    cov = network_coverage(lon, lat, close_m=0)
    assert cov is not None
    assert metric_area_km2(cov) == pytest.approx(9.0, rel=1e-3)


def test_coverage_fills_holes_and_closes_narrow_gaps() -> None:
    ring = [c for c in centres(0, 3, 0, 3) if c != (1.5, 1.5)]  # the centre cell has no road
    lon, lat = km_points(ring)
    assert metric_area_km2(network_coverage(lon, lat, close_m=0)) == pytest.approx(9.0, rel=1e-3)
    # two 2 × 2 blocks 1 km apart: closing by 1 km bridges the gap (2 + 1 + 2 km wide, 2 km high)
    lon, lat = km_points(centres(0, 2, 0, 2) + centres(3, 5, 0, 2))
    assert metric_area_km2(network_coverage(lon, lat, close_m=0)) == pytest.approx(8.0, rel=1e-3)
    assert metric_area_km2(network_coverage(lon, lat, close_m=1000)) == pytest.approx(
        10.0, rel=1e-3
    )


def test_coverage_without_points_is_none() -> None:
    assert network_coverage([], []) is None
    assert network_coverage([np.nan], [np.nan]) is None


def test_declared_box_is_added_only_when_plausible() -> None:
    lon, lat = km_points(centres(0, 2, 0, 2))
    declared = km_box(0, 0, 4, 2).bounds  # a 4 × 2 km box beside the 2 × 2 km of roads
    with_box = network_coverage(lon, lat, close_m=0, declared=declared)
    # the lon/lat box around the (slightly rotated) metric square is a little larger
    assert metric_area_km2(with_box) == pytest.approx(8.0, rel=0.05)
    world = (0.0, 0.0, 180.0, 90.0)  # placeholder header of some PBF files
    assert metric_area_km2(network_coverage(lon, lat, close_m=0, declared=world)) == (
        pytest.approx(4.0, rel=1e-3)
    )


@pytest.fixture
def gemeinden() -> gpd.GeoDataFrame:
    # A: 10 × 10 km, half inside the data; B: 4 × 4 km, wholly inside
    return gpd.GeoDataFrame(
        {
            "ags": ["03159001", "03159002"],
            "gemeinde": ["Halbstadt", "Ganzdorf"],
            "population": [1000.0, 400.0],
        },
        geometry=[km_box(0, 0, 10, 10), km_box(10, 0, 14, 4)],
        crs="EPSG:4326",
    )


EXTENT = km_box(0, 0, 20, 5)


def test_area_share_of_half_a_square(gemeinden: gpd.GeoDataFrame) -> None:
    cov = gemeinde_coverage(gemeinden, EXTENT)
    assert cov["coverage_share"].tolist() == pytest.approx([0.5, 1.0], abs=1e-3)
    assert cov["gemeinde_partial"].tolist() == [True, False]
    assert cov["coverage_basis"].tolist() == ["Fläche", "Fläche"]


def test_exactly_ninety_percent_is_not_partial(gemeinden: gpd.GeoDataFrame) -> None:
    cov = gemeinde_coverage(gemeinden, km_box(0, 0, 20, 9.0))
    assert cov.loc[0, "coverage_share"] == pytest.approx(0.9, abs=1e-4)
    assert not cov.loc[0, "gemeinde_partial"]
    cov = gemeinde_coverage(gemeinden, km_box(0, 0, 20, 8.9))
    assert cov.loc[0, "coverage_share"] == pytest.approx(0.89, abs=1e-4)
    assert cov.loc[0, "gemeinde_partial"]


def test_unknown_extent_counts_as_covered(gemeinden: gpd.GeoDataFrame) -> None:
    cov = gemeinde_coverage(gemeinden, None)
    assert cov["coverage_share"].tolist() == [1.0, 1.0]
    assert not cov["gemeinde_partial"].any()


def _grid(cells: list[tuple[float, float, float]]) -> pd.DataFrame:
    x, y = TO_3035.transform(
        np.array([X0 + c[0] * 1000 for c in cells]), np.array([Y0 + c[1] * 1000 for c in cells])
    )
    return pd.DataFrame(
        {"x_mp": x, "y_mp": y, "population": [c[2] for c in cells], "source_cell_m": 1000.0}
    )


def test_population_grid_share_beats_area(gemeinden: gpd.GeoDataFrame) -> None:
    # Halbstadt: 100 people inside the data (y = 2.5 km), 900 outside (y = 7.5 km) → 0.1
    grid = _grid([(2.5, 2.5, 100.0), (7.5, 7.5, 900.0), (12.0, 2.0, 400.0)])
    cov = gemeinde_coverage(gemeinden, EXTENT, grid=grid)
    assert cov["coverage_share"].tolist() == pytest.approx([0.1, 1.0])
    assert cov["coverage_basis"].tolist() == ["Bevölkerungsraster", "Bevölkerungsraster"]
    assert cov["gemeinde_partial"].tolist() == [True, False]


def test_grid_cut_to_the_extract_is_not_trusted(gemeinden: gpd.GeoDataFrame) -> None:
    # the grid holds only Halbstadt's 100 people inside the data (10 % of its 1000): area share
    grid = _grid([(2.5, 2.5, 100.0), (12.0, 2.0, 400.0)])
    cov = gemeinde_coverage(gemeinden, EXTENT, grid=grid)
    assert cov["coverage_share"].tolist() == pytest.approx([0.5, 1.0], abs=1e-3)
    assert cov["coverage_basis"].tolist() == ["Fläche", "Bevölkerungsraster"]


def test_note_names_partial_gemeinden(gemeinden: gpd.GeoDataFrame) -> None:
    cov = gemeinde_coverage(gemeinden, EXTENT)
    note = coverage_note(cov)
    assert "Halbstadt (50 %)" in note and "Ganzdorf" not in note
    assert PARTIAL_LABEL in note
    assert coverage_note(cov, relevant=["03159002"]) == ""


def test_outside_coverage_with_tolerance() -> None:
    pts = gpd.GeoSeries(
        [
            Point(*TO_WGS.transform(X0 + 1000, Y0 + 1000)),
            Point(*TO_WGS.transform(X0 + 5300, Y0 + 1000)),
            Point(*TO_WGS.transform(X0 + 9000, Y0 + 1000)),
        ],
        crs="EPSG:4326",
    )
    out = outside_coverage(pts, km_box(0, 0, 5, 5), tolerance_m=500)
    assert out.tolist() == [False, False, True]
    assert not outside_coverage(pts, None).any()


def test_partial_gemeinde_gets_only_its_covered_share(gemeinden: gpd.GeoDataFrame) -> None:
    villages = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Randweiler", "Randhof", "Ganzdorf"],
            "place": ["village", "hamlet", "village"],
            "osm_population": [np.nan, np.nan, np.nan],
        },
        geometry=[
            Point(*TO_WGS.transform(X0 + 2000, Y0 + 2000)),
            Point(*TO_WGS.transform(X0 + 4000, Y0 + 1000)),
            Point(*TO_WGS.transform(X0 + 12000, Y0 + 2000)),
        ],
        crs="EPSG:4326",
    )
    v = assign_gemeinden(villages, gemeinden)
    old = estimate_population(v, {"03159001": 1000.0, "03159002": 400.0}, DEFAULT_AGE_SHARES)
    assert old.loc[0, "population"] + old.loc[1, "population"] == 1000.0  # the old bug
    out = estimate_population(
        v,
        {"03159001": 1000.0, "03159002": 400.0},
        DEFAULT_AGE_SHARES,
        partial={"03159001": 0.5},
    )
    # 500 covered inhabitants by weights 500 : 60 → 446.43 → 446 and 53.57 → 54
    assert out["population"].tolist() == [446.0, 54.0, 400.0]
    assert out["gemeinde_partial"].tolist() == [True, True, False]
    assert "nur der Anteil im Kartenausschnitt" in out.loc[0, "population_source"]
    assert "Kartenausschnitt" not in out.loc[2, "population_source"]
    assert out.loc[0, "children_0_3"] == pytest.approx(446 * 0.028, abs=0.05)


def test_popup_says_partial() -> None:
    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "name": ["Randhof", "Mitte"],
            "gemeinde": ["Bayreuth", "Harsdorf"],
            "minutes": [5.0, 6.0],
            "gemeinde_partial": [True, False],
        },
        geometry=[Point(11.5, 50.0), Point(11.52, 50.0)],
        crs="EPSG:4326",
    )
    rows = village_rows(frame)
    assert f"Gemeinde: Bayreuth ({PARTIAL_LABEL})" in rows[0][5]
    assert PARTIAL_LABEL not in rows[1][5]


def test_partial_flag_reaches_the_gemeinde_table() -> None:
    from erreichbarkeit.analysis.summaries import gemeinde_long

    villages = pd.DataFrame(
        {
            "ags": ["01", "01", "02"],
            "gemeinde": ["A", "A", "B"],
            "name": ["a1", "a2", "b1"],
            "population": [100.0, 50.0, 80.0],
            "children_0_3": [3.0, 2.0, 4.0],
            "children_3_6": [3.0, 2.0, 4.0],
            "kita_car_min": [5.0, float("nan"), 12.0],
            "gemeinde_partial": [True, True, False],
        }
    )
    long = gemeinde_long(villages, categories=["kita"], modes=["car"], threshold=lambda c, m: 10)
    assert long.set_index("ags")["gemeinde_partial"].to_dict() == {"01": True, "02": False}
    without = gemeinde_long(
        villages.drop(columns="gemeinde_partial"),
        categories=["kita"], modes=["car"], threshold=lambda c, m: 10,
    )  # fmt: skip
    assert "gemeinde_partial" not in without.columns
