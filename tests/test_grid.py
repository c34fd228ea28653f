"""Population grid surface: INSPIRE cells, disaggregation, routing, indicators.

All hand-computable cases use cells of the INSPIRE grid near
E 4 250 000 / N 3 050 000 (EPSG:3035).  A 1 km source cell there has the
lower-left corner (X0, Y0) and the 16 sub-cells of 250 m
``CRS3035RES250mN{Y0 + 250·j}E{X0 + 250·i}``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from erreichbarkeit.analysis.grid import (
    GRID_CRS,
    build_grid,
    compute_grid,
    grid_indicators,
    grid_travel_times,
    inspire_ids,
    offer_minutes,
    read_population_grid,
    settled_lines_from_network,
)
from erreichbarkeit.analysis.indicators import weighted_median
from erreichbarkeit.config import Settings
from erreichbarkeit.errors import (
    ConfigError,
    CRSError,
    InputDataError,
    MissingColumnError,
)
from erreichbarkeit.network.routing import Router, prepare_network

from .conftest import need_shared
from .test_routing import LAT_A, LAT_B, LAT_C, LON, lat_after, write_osm

X0, Y0 = 4_250_000.0, 3_050_000.0
CELL = 250.0


def _bounds(
    *squares: tuple[float, float, float, float], ags: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    codes = list(ags) or [f"0315900{i + 1}" for i in range(len(squares))]
    return gpd.GeoDataFrame(
        {"ags": codes, "gemeinde": [f"G{i + 1}" for i in range(len(squares))]},
        geometry=[box(*s) for s in squares],
        crs=GRID_CRS,
    )


def _lines(*coords: list[tuple[float, float]], crs: str = GRID_CRS) -> gpd.GeoSeries:
    return gpd.GeoSeries([LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords], crs=crs)


def _sub_id(i: int, j: int) -> str:
    return f"CRS3035RES250mN{int(Y0 + 250 * j)}E{int(X0 + 250 * i)}"


# ----------------------------------------------------------------------------- cells


def test_inspire_id_is_lower_left_corner() -> None:
    assert inspire_ids([4_250_000], [3_050_000], 250).tolist() == ["CRS3035RES250mN3050000E4250000"]
    assert inspire_ids([4_334_000.0], [2_684_000.0], 1000).tolist() == [
        "CRS3035RES1000mN2684000E4334000"
    ]
    with pytest.raises(ConfigError):
        inspire_ids([0], [0], 62.5)


def test_square_km_gives_16_inspire_cells() -> None:
    # the boundary given in EPSG:4326 (as the contract hands it over): cells come back in 3035
    bnd = _bounds((X0, Y0, X0 + 1000, Y0 + 1000)).to_crs("EPSG:4326")
    cells = build_grid(bnd, cell_m=250)
    assert len(cells) == 16
    assert cells.crs == GRID_CRS
    expected = {_sub_id(i, j) for i in range(4) for j in range(4)}
    assert set(cells["cell_id"]) == expected
    for cid, geom in zip(cells["cell_id"], cells.geometry, strict=True):
        n, e = (float(v) for v in re.fullmatch(r"CRS3035RES250mN(\d+)E(\d+)", cid).groups())
        assert geom.bounds == (e, n, e + 250, n + 250)
        assert geom.area == 62_500.0
    assert cells["population"].isna().all()
    assert (cells["ags"] == "03159001").all()
    assert "children_under18" not in cells.columns


def test_cells_without_population_follow_settled_roads_clipped_exactly() -> None:
    bnd = _bounds((X0, Y0, X0 + 1000, Y0 + 1000))
    # one 100 m road crossing the edge x = 250 m between two cells: 50 m in each;
    # given in EPSG:4326, so it is reprojected (mm-level round trip)
    lines = _lines([(200, 100), (300, 100)]).to_crs("EPSG:4326")
    cells = build_grid(bnd, cell_m=250, settled=lines)
    assert list(cells["cell_id"]) == [_sub_id(0, 0), _sub_id(1, 0)]
    np.testing.assert_allclose(cells["settled_m"], [50.0, 50.0], atol=1e-3)
    assert cells["population"].isna().all()


def _zensus(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Zensus-style 1 km table: (x_mp, y_mp, Einwohner, unter18_A)."""
    return pd.DataFrame(
        {
            "Gitter_ID_1km": [f"1kmN{int(y // 1000)}E{int(x // 1000)}" for x, y, _, _ in rows],
            "x_mp": [r[0] for r in rows],
            "y_mp": [r[1] for r in rows],
            "Einwohner": [r[2] for r in rows],
            "unter18_A": [r[3] for r in rows],
        }
    )


def test_disaggregation_by_road_length_keeps_sum_and_labels() -> None:
    # two 1 km cells side by side, 1600 inhabitants each;
    # A (west) has roads in 4 sub-cells of lengths 100, 200, 300, 400 m (none crossing an edge),
    # B (east) has none → 100 inhabitants in each of its 16 sub-cells.
    bnd = _bounds((X0, Y0, X0 + 2000, Y0 + 1000))
    pop = _zensus([(X0 + 500, Y0 + 500, 1600, 20.0), (X0 + 1500, Y0 + 500, 1600, -9)])
    lines = _lines(
        [(10, 100), (110, 100)],  # sub-cell (0, 0): 100 m
        [(260, 100), (460, 100)],  # (1, 0): 200 m
        [(510, 260), (510, 460), (610, 460)],  # (2, 1): 300 m
        [(760, 760), (960, 760), (960, 960)],  # (3, 3): 400 m
    )
    cells = build_grid(bnd, cell_m=250, population=pop, settled=lines).set_index("cell_id")
    a = cells[cells["source_id"] == "1kmN3050E4250"]
    assert set(a.index) == {_sub_id(0, 0), _sub_id(1, 0), _sub_id(2, 1), _sub_id(3, 3)}
    expected = {_sub_id(0, 0): 160.0, _sub_id(1, 0): 320.0, _sub_id(2, 1): 480.0}
    expected[_sub_id(3, 3)] = 640.0
    for cid, value in expected.items():
        assert a.loc[cid, "population"] == pytest.approx(value, rel=1e-12)
        assert a.loc[cid, "children_under18"] == pytest.approx(value * 0.20, rel=1e-12)
    assert a["population"].sum() == pytest.approx(1600.0, rel=1e-12)
    assert a["population_source"].str.contains("Länge der Wohn").all()

    b = cells[cells["source_id"] == "1kmN3050E4251"]
    assert len(b) == 16
    assert (b["population"] == 100.0).all()
    assert b["population"].sum() == 1600.0
    assert b["population_source"].str.contains("gleich verteilt").all()
    # B's under-18 share is secret (−9): the area's weighted mean, i.e. A's 20 %
    assert b["children_under18"].to_numpy() == pytest.approx(np.full(16, 20.0))
    assert b["children_source"].str.contains("Mittelwert").all()
    assert cells["population"].sum() == pytest.approx(3200.0, rel=1e-12)


def test_disaggregation_without_proxy_is_equal_and_labelled() -> None:
    bnd = _bounds((X0, Y0, X0 + 1000, Y0 + 1000))
    cells = build_grid(bnd, population=_zensus([(X0 + 500, Y0 + 500, 1600, 10.0)]))
    assert len(cells) == 16
    assert (cells["population"] == 100.0).all()
    assert cells["population_source"].str.contains("kein Siedlungsindikator").all()


def test_source_cell_belongs_where_its_centre_lies() -> None:
    # Gemeinde G1 covers x 0…1100 m, G2 the rest: the 1 km cell's centre (500 m) lies in G1;
    # its sub-cells are all kept, the eastern sub-cells whose centre lies in G2 go to G2.
    # A second 1 km cell with its centre outside every Gemeinde is left out entirely.
    bnd = _bounds((X0, Y0, X0 + 600, Y0 + 1000), (X0 + 600, Y0, X0 + 1100, Y0 + 1000))
    pop = _zensus([(X0 + 500, Y0 + 500, 1600, 10.0), (X0 + 1500, Y0 + 500, 800, 10.0)])
    cells = build_grid(bnd, population=pop)
    assert len(cells) == 16
    assert cells["population"].sum() == 1600.0
    east = cells.geometry.centroid.x > X0 + 600
    assert (cells.loc[east, "ags"] == "03159002").all()
    assert (cells.loc[~east, "ags"] == "03159001").all()
    assert east.sum() == 8  # sub-cell columns 3 and 4 (centres 625, 875 m)


def test_finer_source_cells_are_summed_by_centre() -> None:
    # 25 cells of 100 m with 4 inhabitants each on a 500 m square → 250 m cells by centre:
    # centres 50, 150 → cell 0; 250, 350, 450 → cell 1 (per axis)
    xs = np.arange(5) * 100 + 50.0
    xx, yy = np.meshgrid(xs, xs)
    table = pd.DataFrame(
        {
            "x_mitte": (X0 + xx.ravel()).astype(int),
            "y_mitte": (Y0 + yy.ravel()).astype(int),
            "Einwohner": 4,
        }
    )
    cells = build_grid(_bounds((X0, Y0, X0 + 500, Y0 + 500)), population=table)
    pop = cells.set_index("cell_id")["population"]
    assert pop.to_dict() == {
        _sub_id(0, 0): 16.0,
        _sub_id(1, 0): 24.0,
        _sub_id(0, 1): 24.0,
        _sub_id(1, 1): 36.0,
    }


def test_source_not_multiple_of_cell_is_refused() -> None:
    bnd = _bounds((X0, Y0, X0 + 1000, Y0 + 1000))
    with pytest.raises(ConfigError, match="multiple"):
        build_grid(bnd, cell_m=300, population=_zensus([(X0 + 500, Y0 + 500, 10, 10.0)]))


# ----------------------------------------------------------------------------- reading


def test_read_population_csv_german_format(tmp_path: Path) -> None:
    path = tmp_path / "raster.csv"
    path.write_text(
        "Gitter_ID_1km;x_mp;y_mp;Einwohner;unter18_A\n"
        "1kmN3050E4250;4250500;3050500;120;17,5\n"
        "1kmN3050E4251;4251500;3050500;-1;-1\n"
        "1kmN3050E4252;4252500;3050500;-9;-9\n"
        "1kmN3051E4250;4250500;3051500;7;–\n",
        "utf-8",
    )
    pop = read_population_grid(path)
    assert pop.crs == GRID_CRS
    assert (pop["source_cell_m"] == 1000.0).all()
    np.testing.assert_array_equal(pop["population"], [120.0, 0.0, np.nan, 7.0])
    np.testing.assert_array_equal(pop["secret"], [False, False, True, False])
    np.testing.assert_array_equal(pop["under18_pct"], [17.5, np.nan, np.nan, np.nan])
    assert pop.geometry.iloc[0].bounds == (X0, Y0, X0 + 1000, Y0 + 1000)


def test_read_population_errors_name_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x_mp,y_mp,Einwohner\n4250500,3050500,3\n4251500,3050500,viele\n", "utf-8")
    with pytest.raises(InputDataError) as info:
        read_population_grid(bad)
    assert (info.value.row, info.value.column) == (3, "Einwohner")
    neg = tmp_path / "neg.csv"
    neg.write_text("x_mp,y_mp,Einwohner\n4250500,3050500,-5\n", "utf-8")
    with pytest.raises(InputDataError) as info:
        read_population_grid(neg)
    assert (info.value.row, info.value.column) == (2, "Einwohner")
    wgs = tmp_path / "wgs.csv"
    wgs.write_text("x_mp,y_mp,Einwohner\n9.9,51.5,3\n", "utf-8")
    with pytest.raises(CRSError) as info:
        read_population_grid(wgs)
    assert (info.value.row, info.value.column) == (2, "x_mp")
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("x_mp,y_mp,people\n4250500,3050500,3\n", "utf-8")
    with pytest.raises(MissingColumnError):
        read_population_grid(nocol)
    with pytest.raises(InputDataError, match="not found"):
        read_population_grid(tmp_path / "missing.csv")


def test_read_population_layer_of_cell_polygons(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"Einwohner": [50, 30]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs=GRID_CRS,
    )
    path = tmp_path / "zellen.gpkg"
    gdf.to_file(path)
    pop = read_population_grid(path)
    assert pop["source_cell_m"].iloc[0] == 100.0
    np.testing.assert_array_equal(pop["x_mp"], [X0 + 50, X0 + 150])
    np.testing.assert_array_equal(pop["population"], [50.0, 30.0])


def test_settled_lines_from_gis_layer(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"class": ["minor", "service", "primary", "track"]},
        geometry=[LineString([(9.9, 51.5), (9.901, 51.5)])] * 4,
        crs="EPSG:4326",
    )
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path, layer="roads")
    lines = settled_lines_from_network(path)
    assert len(lines) == 2
    assert lines.crs == "EPSG:4326"


# ----------------------------------------------------------------------------- indicators


def _four_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ags": ["A", "A", "B", "B"],
            "gemeinde": ["Aheim", "Aheim", "Bdorf", "Bdorf"],
            "population": [100.0, 200.0, 300.0, 400.0],
            "kita_car_min": [3.0, 8.0, 12.0, np.nan],
        }
    )


def test_grid_indicators_hand_computed() -> None:
    gem, kreis = grid_indicators(_four_cells(), categories=["kita"], modes=["car"])
    a = gem[gem["ags"] == "A"].iloc[0]
    assert a["pop_mean_min_reachable"] == pytest.approx((100 * 3 + 200 * 8) / 300)
    assert a["pop_median_min"] == 8.0  # cumulative 100, 300 of 300: half reached at 8
    assert not a["pop_median_beyond"]
    assert a["pop_median_min"] == weighted_median([3, 8], [100, 200])
    assert (a["share_within_5"], a["share_within_10"]) == (pytest.approx(1 / 3), 1.0)
    assert (a["share_within_15"], a["share_within_20"], a["share_unreachable"]) == (1, 1, 0)
    assert (a["population"], a["n_cells"]) == (300.0, 2)
    b = gem[gem["ags"] == "B"].iloc[0]
    # 12 (300), unreachable (400, censored at +inf): 2·300 < 700 -> beyond the cutoff
    assert b["pop_mean_min_reachable"] == 12.0
    assert (b["pop_median_min"], b["pop_median_beyond"]) == (90.0, True)
    assert (b["share_within_5"], b["share_within_10"]) == (0.0, 0.0)
    assert b["share_within_15"] == pytest.approx(3 / 7)
    assert b["share_within_20"] == pytest.approx(3 / 7)
    assert b["share_unreachable"] == pytest.approx(4 / 7)
    k = kreis.iloc[0]
    assert k["pop_mean_min_reachable"] == pytest.approx((300 + 1600 + 3600) / 600)
    # 3, 8, 12, +inf with 100, 200, 300, 400: cumulative 100, 300, 600; 2·600 >= 1000
    assert (k["pop_median_min"], k["pop_median_beyond"]) == (12.0, False)
    assert [k[f"share_within_{b}"] for b in (5, 10, 15, 20)] == pytest.approx([0.1, 0.3, 0.6, 0.6])
    assert k["share_unreachable"] == pytest.approx(0.4)
    assert k["weighting"] == "Einwohner"


def test_grid_indicators_without_population_weigh_cells_equally() -> None:
    cells = _four_cells().assign(population=np.nan)
    _, kreis = grid_indicators(cells, categories=["kita"], modes=["car"])
    k = kreis.iloc[0]
    assert k["pop_mean_min_reachable"] == pytest.approx(23 / 3)
    assert k["pop_median_min"] == 8.0  # 3, 8, 12, +inf with weight 1: cumulative 2 of 4 at 8
    assert k["share_within_10"] == 0.5
    assert k["share_unreachable"] == 0.25
    assert math.isnan(k["population"])
    assert "Siedlungsfläche" in k["weighting"]


def test_grid_indicators_censored_median_takes_the_cutoff_in_force() -> None:
    gem, _ = grid_indicators(_four_cells(), categories=["kita"], modes=["car"], cutoff=45.0)
    b = gem[gem["ags"] == "B"].iloc[0]
    assert (b["pop_median_min"], b["pop_median_beyond"]) == (45.0, True)


def test_grid_share_within_counts_exactly_at_the_band_limit() -> None:
    cells = _four_cells().assign(kita_car_min=[5.0, 10.0, 15.0, 20.0])
    _, kreis = grid_indicators(cells, categories=["kita"], modes=["car"])
    k = kreis.iloc[0]
    # each cell sits exactly on a band limit: <= counts it (a < would give 0, .1, .3, .6)
    assert [k[f"share_within_{b}"] for b in (5, 10, 15, 20)] == pytest.approx([0.1, 0.3, 0.6, 1.0])


def test_grid_indicators_missing_column() -> None:
    with pytest.raises(MissingColumnError):
        grid_indicators(_four_cells(), categories=["kita"], modes=["walk"])


# ----------------------------------------------------------------------------- routing


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Router]]:
    folder = tmp_path_factory.mktemp("gridtoy")
    nodes = {1: (LON, LAT_A), 2: (LON, LAT_B), 3: (LON, LAT_C), 4: (9.07, LAT_A)}
    nodes[5] = (9.07, lat_after(LAT_A, 300))
    ways = [
        ([1, 2], {"highway": "primary", "maxspeed": "50"}),
        ([2, 3], {"highway": "residential", "oneway": "yes"}),
        ([4, 5], {"highway": "residential"}),
    ]
    osm = write_osm(folder / "toy.osm", nodes, ways)
    cache = folder / "cache"
    routers = {
        "car": Router(prepare_network(osm, "car", cache_dir=cache, algorithm="CH")),
        "walk": Router(prepare_network(osm, "walk", cache_dir=cache, algorithm="MLD")),
    }
    return osm, routers


def _cells_at(points: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """250 m cells (EPSG:3035) centred on lon/lat points."""
    ids = list(points)
    pts = gpd.GeoSeries([Point(points[i]) for i in ids], crs="EPSG:4326").to_crs(GRID_CRS)
    boxes = [box(p.x - 125, p.y - 125, p.x + 125, p.y + 125) for p in pts]
    return gpd.GeoDataFrame(
        {"cell_id": ids, "ags": "A", "gemeinde": "Aheim", "population": [10.0, 20.0, 30.0]},
        geometry=boxes,
        crs=GRID_CRS,
    )


def _offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["kita_b", "schule_c"], "name": ["Kita B", "Schule C"]}
        | {"category": ["kita", "schule"]},
        geometry=[Point(LON, LAT_B), Point(LON, LAT_C)],
        crs="EPSG:4326",
    )


def test_cell_minutes_match_hand_computation(toy: tuple[Path, dict[str, Router]]) -> None:
    _, routers = toy
    far_lon = LON - math.degrees(3000 / (6_372_797.56 * math.cos(math.radians(LAT_A))))
    cells = _cells_at({"a": (LON, LAT_A), "c": (LON, LAT_C), "far": (far_lon, LAT_A)})
    out = grid_travel_times(
        cells, _offers(), routers, categories=["kita", "schule", "bibliothek"],
        modes=["car", "walk"], cutoff_minutes=60, max_snap_m=500, chunk_size=2,
    )  # fmt: skip
    out = out.set_index("cell_id")
    # car: A→B 1000 m at 40 km/h = 1.5 min; A→C + 500 m residential at 25 km/h = 2.7 min
    assert out.loc["a", "kita_car_min"] == pytest.approx(1.5, abs=0.01)
    assert out.loc["a", "schule_car_min"] == pytest.approx(2.7, abs=0.01)
    # C→B is against the oneway for cars: no route (NaN, never 0); on foot 500 m = 6 min
    assert math.isnan(out.loc["c", "kita_car_min"])
    assert out.loc["c", "kita_walk_min"] == pytest.approx(6.0, abs=0.05)
    assert out.loc["c", "schule_car_min"] == pytest.approx(0.0, abs=0.01)
    assert out.loc["a", "schule_walk_min"] == pytest.approx(18.0, abs=0.05)
    # 3 km from every road: not routed
    assert out.loc["far", "snap_m_car"] > 2900
    assert out[["kita_car_min", "kita_walk_min"]].loc["far"].isna().all()
    assert out["bibliothek_car_min"].isna().all()  # category without offers
    assert out.loc["a", "snap_m_car"] < 1.0
    # cutoff: 2 minutes keeps A→B (1.5) but drops A→C (2.7)
    cut = grid_travel_times(
        cells, _offers(), routers, categories=["schule"], modes=["car"],
        cutoff_minutes=2.0, max_snap_m=500,
    ).set_index("cell_id")  # fmt: skip
    assert math.isnan(cut.loc["a", "schule_car_min"])


def test_offer_minutes_compact_table(toy: tuple[Path, dict[str, Router]]) -> None:
    _, routers = toy
    cells = _cells_at({"a": (LON, LAT_A), "b": (LON, LAT_B), "c": (LON, LAT_C)})
    table = offer_minutes(
        cells, _offers(), routers["car"], offer_ids=["schule_c"], cutoff_minutes=60,
        max_snap_m=500,
    )  # fmt: skip
    assert list(table.columns) == ["schule_c"]
    assert table.index.name == "cell_id"
    np.testing.assert_allclose(table["schule_c"], [2.7, 1.2, 0.0], atol=0.01)
    with pytest.raises(InputDataError):
        offer_minutes(
            cells, _offers(), routers["car"], offer_ids=["nope"], cutoff_minutes=60,
            max_snap_m=500,
        )  # fmt: skip


def test_settled_lines_from_osm(toy: tuple[Path, dict[str, Router]]) -> None:
    osm, _ = toy
    lines = settled_lines_from_network(osm)
    assert len(lines) == 2  # the two residential ways, not the primary
    assert lines.crs == "EPSG:4326"
    assert sorted(round(g.length, 6) for g in lines.to_crs("EPSG:25832")) == pytest.approx(
        [300.0, 500.0], abs=2.0
    )


def test_compute_grid_orchestrates(toy: tuple[Path, dict[str, Router]], tmp_path: Path) -> None:
    osm, routers = toy
    # one 1 km Zensus cell around A/B with 1000 inhabitants
    a = gpd.GeoSeries([Point(LON, LAT_A)], crs="EPSG:4326").to_crs(GRID_CRS).iloc[0]
    x_mp = math.floor(a.x / 1000) * 1000 + 500
    y_mp = math.floor(a.y / 1000) * 1000 + 500
    csv = tmp_path / "zensus.csv"
    csv.write_text(f"x_mp;y_mp;Einwohner;unter18_A\n{x_mp};{y_mp};1000;15\n", "utf-8")
    bnd = _bounds((x_mp - 500, y_mp - 500, x_mp + 500, y_mp + 500), ags=("03159001",))
    settings = Settings(
        network=osm, population_grid=csv, grid_cell_m=250, modes=("car", "walk"),
        cache_dir=tmp_path,
    )  # fmt: skip
    result = compute_grid(settings, routers, _offers(), bnd.to_crs("EPSG:4326"))
    assert result.cells["population"].sum() == pytest.approx(1000.0, rel=1e-12)
    assert {"kita_car_min", "schule_walk_min", "snap_m_walk"} <= set(result.cells.columns)
    assert set(result.kreis["category"]) == {"kita", "schule"}
    assert set(result.gemeinde["ags"]) == {"03159001"}
    assert "zensus.csv" in result.meta["Einwohner im Raster"]


# ----------------------------------------------------------------------------- real data


@pytest.mark.slow
@pytest.mark.shared_data
def test_goettingen_grid_keeps_zensus_population() -> None:
    from erreichbarkeit.io import read_boundaries

    gpkg = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    csv = need_shared("population/zensus2011_1km_goettingen.csv")
    roads = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    bnd = read_boundaries(gpkg)
    bnd = bnd[bnd["ags"].str.startswith("03159")]
    bnd = gpd.clip(bnd, box(9.70, 51.45, 10.10, 51.60))
    pop = read_population_grid(csv)
    cells = build_grid(bnd, cell_m=250, population=pop, settled=settled_lines_from_network(roads))
    # independent reference: 1 km cells whose centre lies in a clipped Gemeinde
    centres = gpd.GeoDataFrame(
        pop[["source_id", "population"]],
        geometry=shapely.points(pop["x_mp"], pop["y_mp"]),
        crs=GRID_CRS,
    )
    inside = gpd.sjoin(centres, bnd[["ags", "geometry"]].to_crs(GRID_CRS), predicate="within")
    inside = inside[~inside.index.duplicated()]
    assert cells["population"].sum() == pytest.approx(inside["population"].sum(), abs=1e-6)
    per_source = cells.groupby("source_id")["population"].sum()
    ref = inside.set_index("source_id")["population"]
    populated = ref[ref > 0]
    np.testing.assert_allclose(per_source.reindex(populated.index), populated, rtol=1e-12)
    assert cells["cell_id"].is_unique
    assert (
        cells["cell_id"]
        .str.fullmatch(r"CRS3035RES250mN\d+(000|250|500|750)E\d+(000|250|500|750)")
        .all()
    )
    assert set(cells["ags"]) <= set(bnd["ags"])
