"""Access legs: the metres between a point and the road network cost time.

A tiny hand-computable network (all roads on the meridian 9.0 E, see
``tests/test_routing.py`` for OSRM's sphere):

    A ──primary, 1000 m── B

The village ``v`` lies 300 m west of A, the offer ``o`` 150 m east of B, so
OSRM snaps them to A and B.  Walking (foot.lua, 5 km/h): A→B = 1000 m = 720 s
= 12 min.  The access legs at 4.5 km/h (= 1.25 m/s) add 300 m = 240 s = 4 min
and 150 m = 120 s = 2 min: 18 min, 1.45 km.  By car (maxspeed 50 × 0.8 =
40 km/h): A→B = 90 s = 1.5 min, legs at 15 km/h: 72 s + 36 s = 1.8 min, total
3.3 min.  By bike (15 km/h on a primary): 240 s = 4 min, legs at 12 km/h:
90 s + 45 s = 2.25 min, total 6.25 min.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from erreichbarkeit.analysis.grid.cells import GRID_CRS
from erreichbarkeit.analysis.grid.routing import grid_travel_times, offer_minutes
from erreichbarkeit.config import DEFAULT_ACCESS_KMH, RoutingOptions, Settings
from erreichbarkeit.network.matrix import access_minutes, travel_times
from erreichbarkeit.network.profiles import access_and_ferry_rows
from erreichbarkeit.network.routing import Router, make_routers, prepare_network
from erreichbarkeit.planning.candidates import candidate_travel_times

from .test_routing import R, lat_after, write_osm

LON = 9.0
LAT_A = 51.0
LAT_B = lat_after(LAT_A, 1000)


def lon_east(metres: float, lat: float = LAT_A) -> float:
    """Longitude ``metres`` east of the road (negative: west), on OSRM's sphere."""
    return LON + math.degrees(metres / (R * math.cos(math.radians(lat))))


VILLAGE = (lon_east(-300), LAT_A)  # 300 m west of A
OFFER = (lon_east(150, LAT_B), LAT_B)  # 150 m east of B


@pytest.fixture(scope="module")
def osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("access")
    nodes = {1: (LON, LAT_A), 2: (LON, LAT_B)}
    return write_osm(
        folder / "line.osm", nodes, [([1, 2], {"highway": "primary", "maxspeed": "50"})]
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def routers(osm: Path, cache: Path) -> dict[str, Router]:
    return {
        mode: Router(prepare_network(osm, mode, cache_dir=cache, algorithm="MLD"))
        for mode in ("car", "bike", "walk")
    }


def pts(rows: list[tuple[str, tuple[float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "category": "kita"},
        geometry=[Point(*r[1]) for r in rows],
        crs="EPSG:4326",
    )


def test_access_minutes_by_hand() -> None:
    assert float(access_minutes(300.0, 4.5)) == pytest.approx(4.0)
    assert float(access_minutes(300.0, 15.0)) == pytest.approx(1.2)
    assert float(access_minutes(0.0, 12.0)) == 0.0
    assert dict(DEFAULT_ACCESS_KMH) == {"car": 15.0, "bike": 12.0, "walk": 4.5}


def test_router_defaults_to_the_modes_access_speed(routers: dict[str, Router]) -> None:
    assert {m: r.access_kmh for m, r in routers.items()} == dict(DEFAULT_ACCESS_KMH)


@pytest.mark.parametrize(
    ("mode", "minutes"),
    [("walk", 12.0 + 4.0 + 2.0), ("car", 1.5 + 1.2 + 0.6), ("bike", 4.0 + 1.5 + 0.75)],
)
def test_both_access_legs_are_added(routers: dict[str, Router], mode: str, minutes: float) -> None:
    res = travel_times(routers, pts([("v", VILLAGE)]), pts([("o", OFFER)]), cutoff_minutes=90,
                       max_snap_m=500, modes=[mode])  # fmt: skip
    row = res.travel_times.iloc[0]
    assert row["minutes"] == pytest.approx(minutes, abs=0.05)
    assert row["km"] == pytest.approx(1.0 + 0.3 + 0.15, abs=0.005)
    snap = res.snapping.set_index("id")["snap_m"]
    assert snap["v"] == pytest.approx(300.0, abs=1.5)
    assert snap["o"] == pytest.approx(150.0, abs=1.0)


def test_point_on_the_road_gets_no_access_time(routers: dict[str, Router]) -> None:
    res = travel_times(routers, pts([("a", (LON, LAT_A))]), pts([("b", (LON, LAT_B))]),
                       cutoff_minutes=90, max_snap_m=500, modes=["walk"])  # fmt: skip
    assert res.travel_times["minutes"].iloc[0] == pytest.approx(12.0, abs=0.01)


def test_cutoff_applies_after_the_access_legs(routers: dict[str, Router]) -> None:
    """18 min with the legs: a 17-min cutoff drops the pair that OSRM alone puts at 12 min."""
    v, o = pts([("v", VILLAGE)]), pts([("o", OFFER)])
    out = travel_times(routers, v, o, cutoff_minutes=17, max_snap_m=500, modes=["walk"])
    assert out.travel_times.empty
    kept = travel_times(routers, v, o, cutoff_minutes=18.1, max_snap_m=500, modes=["walk"])
    assert len(kept.travel_times) == 1


def test_access_speed_comes_from_the_settings(osm: Path, cache: Path) -> None:
    # 300 m at 3.6 km/h = 300 s = 5 min, 150 m = 2.5 min; the prepared network is reused
    routing = RoutingOptions(access_speed={"car": 15.0, "bike": 12.0, "walk": 3.6})
    settings = Settings(network=osm, modes=("walk",), cache_dir=cache.parent / "s",
                        routing=routing)  # fmt: skip
    routers = make_routers(settings, osm)
    assert routers["walk"].access_kmh == 3.6
    res = travel_times(routers, pts([("v", VILLAGE)]), pts([("o", OFFER)]), cutoff_minutes=90,
                       max_snap_m=500)  # fmt: skip
    assert res.travel_times["minutes"].iloc[0] == pytest.approx(12.0 + 5.0 + 2.5, abs=0.05)


def test_network_cache_key_does_not_depend_on_access_speed(osm: Path, tmp_path: Path) -> None:
    """Access legs are added after the query: the prepared network is the same."""
    routing = RoutingOptions(access_speed={"car": 5.0, "bike": 5.0, "walk": 2.0})
    slow = Settings(cache_dir=tmp_path, routing=routing)
    fast = Settings(cache_dir=tmp_path)
    r_slow = make_routers(slow.replace(modes=("car",)), osm)["car"]
    r_fast = make_routers(fast.replace(modes=("car",)), osm)["car"]
    assert r_slow.network.key == r_fast.network.key
    assert r_fast.network.from_cache
    assert (r_slow.access_kmh, r_fast.access_kmh) == (5.0, 15.0)
    # … but the settings digest (which keys cached runs and routers) does change
    assert slow.cache_key() != fast.cache_key()


def _cell_around(lon: float, lat: float) -> gpd.GeoDataFrame:
    x, y = Transformer.from_crs("EPSG:4326", GRID_CRS, always_xy=True).transform(lon, lat)
    return gpd.GeoDataFrame({"cell_id": ["c1"]}, geometry=[box(x - 50, y - 50, x + 50, y + 50)],
                            crs=GRID_CRS)  # fmt: skip


def test_grid_cells_get_the_same_access_legs(routers: dict[str, Router]) -> None:
    """A cell whose centre is the village gets the village's minutes (grid = long table)."""
    cells = _cell_around(*VILLAGE)
    offers = pts([("o", OFFER)])
    out = grid_travel_times(cells, offers, routers, categories=["kita"], modes=["walk", "car"],
                            cutoff_minutes=90, max_snap_m=500)  # fmt: skip
    long = travel_times(routers, pts([("v", VILLAGE)]), offers, cutoff_minutes=90, max_snap_m=500)
    by_mode = long.travel_times.set_index("mode")["minutes"]
    assert out["kita_walk_min"].iloc[0] == pytest.approx(18.0, abs=0.05)
    assert out["kita_walk_min"].iloc[0] == pytest.approx(by_mode["walk"], abs=1e-6)
    assert out["kita_car_min"].iloc[0] == pytest.approx(by_mode["car"], abs=1e-6)
    # the cutoff counts the legs here too
    cut = grid_travel_times(cells, offers, routers, categories=["kita"], modes=["walk"],
                            cutoff_minutes=17, max_snap_m=500)  # fmt: skip
    assert np.isnan(cut["kita_walk_min"].iloc[0])
    bands = offer_minutes(cells, offers, routers["walk"], cutoff_minutes=90, max_snap_m=500)
    assert float(bands.loc["c1", "o"]) == pytest.approx(18.0, abs=0.05)


def test_location_candidates_route_with_access_legs(routers: dict[str, Router]) -> None:
    """Location suggestions go through the long table and pick the legs up."""
    tt = candidate_travel_times(routers, pts([("v", VILLAGE)]), pts([("k", OFFER)]), mode="walk",
                                cutoff_minutes=90, max_snap_m=500)  # fmt: skip
    assert tt["minutes"].iloc[0] == pytest.approx(18.0, abs=0.05)


def test_methodik_rows_state_the_speeds_in_force() -> None:
    routing = RoutingOptions(access_speed={"car": 15.0, "bike": 12.0, "walk": 3.6},
                             ferry_wait_min=20)  # fmt: skip
    rows = dict(access_and_ferry_rows(routing, ("car", "walk")))
    access = rows["Zu- und Abgang (Weg zum Straßennetz)"]
    assert "hinzugerechnet: Auto 15 km/h, zu Fuß 3,6 km/h (" in access  # only the run's modes
    assert "300 m zu Fuß mit 3,6 km/h sind 5 min" in access
    assert "20 min Wartezeit" in rows["Fähren"]
    default = dict(access_and_ferry_rows(RoutingOptions()))
    assert "Fahrrad 12 km/h, zu Fuß 4,5 km/h" in default["Zu- und Abgang (Weg zum Straßennetz)"]
    assert "sind 4 min" in default["Zu- und Abgang (Weg zum Straßennetz)"]


def test_methodik_names_access_legs_and_ferries() -> None:
    from erreichbarkeit.config import RoutingOptions, Settings
    from erreichbarkeit.report.methodik import _rule_rows

    speeds = {"car": 15.0, "bike": 12.0, "walk": 3.0}
    settings = Settings(routing=RoutingOptions(access_speed=speeds, ferry_wait_min=15))
    rows = dict(_rule_rows(settings))
    assert "zu Fuß 3 km/h" in rows["Zu- und Abgang (Weg zum Straßennetz)"]
    assert "15 min Wartezeit" in rows["Fähren"]
