"""Travel-time bands from grid cells: exact holes, exact areas, no unreachable cell covered."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from erreichbarkeit.analysis.bands import (
    assign_bands,
    band_labels,
    bands_for_offers,
    travel_time_bands,
)
from erreichbarkeit.analysis.grid import GRID_CRS, inspire_ids
from erreichbarkeit.errors import ConfigError, MissingColumnError

X0, Y0 = 4_250_000.0, 3_050_000.0
CELL_AREA = 250.0 * 250.0


def block(minutes: np.ndarray) -> gpd.GeoDataFrame:
    """Cells of a block of 250 m cells; ``minutes[row, col]``, row 0 at the bottom."""
    rows, cols = np.indices(minutes.shape)
    x = X0 + cols.ravel() * 250.0
    y = Y0 + rows.ravel() * 250.0
    return gpd.GeoDataFrame(
        {
            "cell_id": inspire_ids(x, y, 250),
            "population": np.arange(1, minutes.size + 1, dtype=float),
            "kita_car_min": minutes.ravel(),
        },
        geometry=shapely.box(x, y, x + 250, y + 250),
        crs=GRID_CRS,
    )


def test_labels_and_assignment() -> None:
    assert band_labels() == ["0–5", "5–10", "10–15", "15–20", "> 20"]
    got = assign_bands([0.0, 5.0, 5.01, 10.0, 20.0, 20.5, np.nan])
    assert got.tolist() == [0, 0, 1, 1, 3, 4, -1]
    with pytest.raises(ConfigError):
        band_labels((10, 5))


def test_unreachable_core_is_an_exact_hole() -> None:
    # 4 × 4 block, the inner 2 × 2 cells unreachable: one band polygon with one hole
    minutes = np.full((4, 4), 3.0)
    minutes[1:3, 1:3] = np.nan
    cells = block(minutes)
    bands = travel_time_bands(cells, cells["kita_car_min"], crs_out=None)
    assert list(bands["band"]) == ["0–5"]
    geom = bands.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 1
    poly = geom.geoms[0]
    assert len(poly.interiors) == 1
    assert Polygon(poly.interiors[0]).area == pytest.approx(4 * CELL_AREA, abs=1e-6)
    assert Polygon(poly.interiors[0]).equals(box(X0 + 250, Y0 + 250, X0 + 750, Y0 + 750))
    assert poly.area == pytest.approx(12 * CELL_AREA, abs=1e-6)
    assert bands["area_km2"].iloc[0] == pytest.approx(0.75)
    assert bands["n_cells"].iloc[0] == 12
    reachable_pop = cells.loc[cells["kita_car_min"].notna(), "population"].sum()
    assert bands["population"].iloc[0] == reachable_pop
    # default output CRS is WGS84, still with the hole
    wgs = travel_time_bands(cells, cells["kita_car_min"])
    assert wgs.crs == "EPSG:4326"
    assert len(wgs.geometry.iloc[0].geoms[0].interiors) == 1


def test_bands_partition_the_reachable_cells() -> None:
    # columns: 4 min (0–5), exactly 5 min (0–5), 7 min (5–10), 25 min (> 20);
    # one cell unreachable, one cell absent from the grid
    minutes = np.tile([4.0, 5.0, 7.0, 25.0], (4, 1))
    minutes[2, 1] = np.nan
    cells = block(minutes).drop(index=[3 * 4 + 3])  # absent: row 3, col 3
    bands = travel_time_bands(cells, cells["kita_car_min"], crs_out=None)
    assert list(bands["band"]) == ["0–5", "5–10", "> 20"]
    assert list(bands["n_cells"]) == [7, 4, 3]
    assert bands["min_lo"].tolist() == [0.0, 5.0, 20.0]
    assert bands["min_hi"].iloc[:2].tolist() == [5.0, 10.0]
    assert math.isnan(bands["min_hi"].iloc[2])
    reachable = cells["kita_car_min"].notna()
    assert shapely.area(bands.geometry).sum() == pytest.approx(reachable.sum() * CELL_AREA)
    assert bands["area_km2"].sum() == pytest.approx(reachable.sum() * CELL_AREA / 1e6)
    assert bands["population"].sum() == cells.loc[reachable, "population"].sum()
    # no band covers an unreachable or absent cell (touching edges is fine)
    unreachable = cells.geometry[~reachable].iloc[0]
    absent = box(X0 + 750, Y0 + 750, X0 + 1000, Y0 + 1000)
    for geom in bands.geometry:
        assert geom.intersection(unreachable).area == 0.0
        assert geom.intersection(absent).area == 0.0
    # bands do not overlap each other
    union = shapely.union_all(bands.geometry.to_numpy())
    assert union.area == pytest.approx(shapely.area(bands.geometry).sum())


def test_minutes_by_cell_id() -> None:
    cells = block(np.array([[1.0, 12.0]]))
    by_id = pd.Series([12.0, 1.0], index=pd.Index(cells["cell_id"][::-1], name="cell_id"))
    bands = travel_time_bands(cells, by_id, crs_out=None)
    assert list(bands["band"]) == ["0–5", "10–15"]
    assert bands.geometry.iloc[0].equals(cells.geometry.iloc[0])


def test_bands_for_selected_offers_use_the_nearest() -> None:
    cells = block(np.array([[1.0, 2.0, 3.0]]))
    ids = pd.Index(cells["cell_id"], name="cell_id")
    table = pd.DataFrame(
        {"o1": [2.0, 12.0, np.nan], "o2": [8.0, 6.0, np.nan], "o3": [1.0, 1.0, 1.0]}, index=ids
    )
    bands = bands_for_offers(cells, table, ["o1", "o2"], crs_out=None)
    # nearest of o1/o2: 2 (0–5), 6 (5–10), unreachable
    assert list(bands["band"]) == ["0–5", "5–10"]
    assert bands["area_km2"].sum() == pytest.approx(2 * CELL_AREA / 1e6)
    by_cat = bands_for_offers(cells, category="kita", mode="car", crs_out=None)
    assert list(by_cat["band"]) == ["0–5"]
    assert by_cat["n_cells"].iloc[0] == 3
    with pytest.raises(MissingColumnError):
        bands_for_offers(cells, table, ["o9"])
    with pytest.raises(MissingColumnError):
        bands_for_offers(cells, category="kita", mode="walk")
    with pytest.raises(ConfigError):
        bands_for_offers(cells)
