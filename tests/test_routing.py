"""OSRM preprocessing and queries on tiny hand-computable networks.

The toy network (north is up; all roads on the meridian 9.0 E, so lengths are
exact multiples of OSRM's earth radius R = 6 372 797.56 m):

    A ──primary, maxspeed=50, 1000 m── B ──residential, oneway=yes (B→C), 500 m── C

    D ──residential, 300 m── E        (a separate piece 5 km east: an island)

Expected car times (OSRM car.lua):
- a ``maxspeed`` tag is multiplied by ``speed_reduction`` 0.8 → 40 km/h,
  so A→B = 1000 m / (40/3.6 m/s) = 90.0 s = 1.5 min;
- ``residential`` without maxspeed runs at the profile's 25 km/h,
  so B→C = 500 m / (25/3.6) = 72.0 s = 1.2 min;
- B has only two roads, so no turn penalty: A→C = 162 s = 2.7 min;
- C→A is against the oneway: no car route (NaN, never 0);
- anything to D/E: different component, no route.
Walking (foot.lua, 5 km/h, oneway ignored): C→A = 1500 m / (5/3.6) = 1080 s = 18 min.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from erreichbarkeit.errors import NetworkError
from erreichbarkeit.network.matrix import travel_times
from erreichbarkeit.network.profiles import FERRY_SUMMARY, profile_text, profiles_dir
from erreichbarkeit.network.routing import Router, network_key, prepare_network

R = 6_372_797.560856  # OSRM's earth radius (util/coordinate_calculation.hpp)


def lat_after(lat: float, metres: float) -> float:
    """Latitude ``metres`` north of ``lat`` on a meridian, in OSRM's sphere."""
    return lat + math.degrees(metres / R)


LAT_A = 51.0
LAT_B = lat_after(LAT_A, 1000)
LAT_C = lat_after(LAT_B, 500)
LON = 9.0
LON_ISLAND = 9.07  # ~4.9 km east


def write_osm(
    path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict[str, str]]]
) -> Path:
    """Write a minimal OSM XML file (nodes: id → (lon, lat))."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), "utf-8")
    return path


@pytest.fixture(scope="module")
def toy_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("toy")
    nodes = {
        1: (LON, LAT_A),
        2: (LON, LAT_B),
        3: (LON, LAT_C),
        4: (LON_ISLAND, LAT_A),
        5: (LON_ISLAND, lat_after(LAT_A, 300)),
    }
    ways = [
        ([1, 2], {"highway": "primary", "maxspeed": "50"}),
        ([2, 3], {"highway": "residential", "oneway": "yes"}),
        ([4, 5], {"highway": "residential"}),
    ]
    return write_osm(folder / "toy.osm", nodes, ways)


def points(rows: list[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows]},
        geometry=[Point(r[1], r[2]) for r in rows],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def routers(toy_osm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Router]:
    cache = tmp_path_factory.mktemp("cache")
    return {
        "car": Router(prepare_network(toy_osm, "car", cache_dir=cache, algorithm="CH")),
        "walk": Router(prepare_network(toy_osm, "walk", cache_dir=cache, algorithm="MLD")),
    }


def test_car_minutes_match_hand_computation(routers: dict[str, Router]) -> None:
    a, b, c = (LON, LAT_A), (LON, LAT_B), (LON, LAT_C)
    res = routers["car"].table([a, b, c], [a, b, c])
    expected = np.array(
        [
            [0.0, 90.0, 162.0],
            [np.nan, 0.0, 72.0],  # B→A: primary is two-way, so 90 s ... see below
            [np.nan, np.nan, 0.0],
        ]
    )
    expected[1, 0] = 90.0  # B→A along the two-way primary
    # C→A and C→B are against the oneway: no route, NaN (never 0)
    np.testing.assert_allclose(res.seconds, expected, atol=0.2, equal_nan=True)
    np.testing.assert_allclose(res.metres[0], [0.0, 1000.0, 1500.0], rtol=2e-3, atol=0.5)


def test_walking_ignores_oneway(routers: dict[str, Router]) -> None:
    res = routers["walk"].table([(LON, LAT_C)], [(LON, LAT_A)])
    # 1500 m at 5 km/h = 1080 s
    assert res.seconds[0, 0] == pytest.approx(1080.0, abs=1.0)


def test_island_is_unreachable_not_zero(routers: dict[str, Router]) -> None:
    res = routers["car"].table([(LON, LAT_A)], [(LON_ISLAND, LAT_A)])
    assert np.isnan(res.seconds[0, 0])
    assert np.isnan(res.metres[0, 0])


def test_long_table_snapping_and_cutoff(routers: dict[str, Router]) -> None:
    # village v1 lies 20 m west of A; v_far 3 km west of anything
    v1_lon = LON - math.degrees(20 / (R * math.cos(math.radians(LAT_A))))
    far_lon = LON - math.degrees(3000 / (R * math.cos(math.radians(LAT_A))))
    villages = points([("v1", v1_lon, LAT_A), ("far", far_lon, LAT_B)])
    offers = points([("o_b", LON, LAT_B), ("o_c", LON, LAT_C), ("o_island", LON_ISLAND, LAT_A)])
    res = travel_times(routers, villages, offers, cutoff_minutes=60, max_snap_m=500)
    tt = res.travel_times
    car = tt[tt["mode"] == "car"].set_index(["origin_id", "destination_id"])
    assert set(car.index) == {("v1", "o_b"), ("v1", "o_c")}  # island absent, far not routed
    # OSRM's 1.5 / 2.7 min plus v1's 20 m access leg at 15 km/h (4.8 s = 0.08 min)
    assert car.loc[("v1", "o_b"), "minutes"] == pytest.approx(1.5 + 0.08, abs=0.01)
    assert car.loc[("v1", "o_c"), "minutes"] == pytest.approx(2.7 + 0.08, abs=0.01)
    assert car.loc[("v1", "o_c"), "km"] == pytest.approx(1.5 + 0.02, rel=2e-3)
    assert (tt["minutes"] > 0).all()
    snap = res.snapping.set_index(["id", "mode"])
    assert snap.loc[("v1", "car"), "snap_m"] == pytest.approx(20, abs=0.5)
    assert bool(snap.loc[("v1", "car"), "snap_ok"])
    assert snap.loc[("far", "car"), "snap_m"] > 2900
    assert not bool(snap.loc[("far", "car"), "snap_ok"])
    # a cutoff below 2.7 min drops v1→o_c but keeps v1→o_b
    res2 = travel_times(
        routers, villages, offers, cutoff_minutes=2.0, max_snap_m=500, modes=["car"]
    )
    assert set(zip(res2.travel_times.origin_id, res2.travel_times.destination_id, strict=True)) == {
        ("v1", "o_b")
    }


def test_cache_is_reused_and_keyed_on_content(toy_osm: Path, tmp_path: Path) -> None:
    first = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="MLD")
    again = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="MLD")
    assert not first.from_cache
    assert again.from_cache
    assert again.key == first.key
    other = prepare_network(
        toy_osm, "car", cache_dir=tmp_path, algorithm="MLD", speeds={"residential": 10}
    )
    assert other.key != first.key
    assert not other.from_cache


def test_corrupt_cache_entry_of_same_size_is_rebuilt(
    toy_osm: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A flipped byte (same size) is caught by the checksum, logged, and rebuilt."""
    first = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="CH")
    victim = first.base.parent / "network.osrm.hsgr"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="erreichbarkeit.network.routing"):
        again = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="CH")
    assert not again.from_cache
    assert "damaged" in caplog.text
    res = Router(again).table([(LON, LAT_A)], [(LON, LAT_B)])
    assert res.seconds[0, 0] == pytest.approx(90.0, abs=0.2)


def test_damaged_cache_entry_is_rebuilt(toy_osm: Path, tmp_path: Path) -> None:
    first = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="MLD")
    victim = first.base.parent / "network.osrm.ebg_nodes"
    victim.write_bytes(victim.read_bytes()[:-4])  # truncate
    again = prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="MLD")
    assert not again.from_cache
    res = Router(again).table([(LON, LAT_A)], [(LON, LAT_B)])
    assert res.seconds[0, 0] == pytest.approx(90.0, abs=0.2)


def test_speed_override_changes_minutes(toy_osm: Path, tmp_path: Path) -> None:
    # residential at 10 km/h: B→C = 500 m / (10/3.6) = 180 s
    net = prepare_network(
        toy_osm, "car", cache_dir=tmp_path, algorithm="CH", speeds={"residential": 10}
    )
    res = Router(net).table([(LON, LAT_B)], [(LON, LAT_C)])
    assert res.seconds[0, 0] == pytest.approx(180.0, abs=0.2)


def test_profile_text_overrides() -> None:
    text = profile_text("car", speeds={"track": 12}, maxspeed={"DE:rural": 90})
    assert 'profile.speeds.highway["track"] = 12.0' in text
    assert 'profile.maxspeed_table["de:rural"] = 90.0' in text


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.osm.pbf"),
        (b"this is not osm", "text.osm.pbf"),
        (b"<html>404</html>", "page.osm"),
    ],
)
def test_bad_network_files_raise_named_errors(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NetworkError) as info:
        prepare_network(path, "car", cache_dir=tmp_path / "cache")
    assert name in str(info.value)
    assert info.value.message_de


def test_wrong_extension_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "roads.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(NetworkError, match=r"roads\.csv"):
        prepare_network(path, "car", cache_dir=tmp_path / "cache")


def test_profile_summary_matches_shipped_profiles() -> None:
    """The documented speeds are the ones in OSRM's Lua files."""
    car = (profiles_dir() / "car.lua").read_text()
    for line in (
        "motorway        = 90",
        "primary         = 65",
        "secondary       = 55",
        "tertiary        = 40",
        "residential     = 25",
        "speed_reduction           = 0.8",
        '["de:rural"] = 100',
        "turn_penalty              = 7.5",
    ):
        assert line in car, line
    bike = (profiles_dir() / "bicycle.lua").read_text()
    for line in ("local default_speed = 15", "local walking_speed = 4", "track = 12", "path = 13"):
        assert line in bike, line
    foot = (profiles_dir() / "foot.lua").read_text()
    assert "local walking_speed = 5" in foot


def test_bike_speed_override_uses_bicycle_table(toy_osm: Path, tmp_path: Path) -> None:
    # bicycle: residential 15 km/h by default; override to 10 km/h → B→C 500 m = 180 s
    net = prepare_network(
        toy_osm, "bike", cache_dir=tmp_path, algorithm="MLD", speeds={"residential": 10}
    )
    res = Router(net).table([(LON, LAT_B)], [(LON, LAT_C)])
    assert res.seconds[0, 0] == pytest.approx(180.0, abs=0.5)


def test_gzipped_osm_is_routable(toy_osm: Path, tmp_path: Path) -> None:
    import gzip

    gz = tmp_path / "toy.osm.gz"
    gz.write_bytes(gzip.compress(toy_osm.read_bytes()))
    net = prepare_network(gz, "car", cache_dir=tmp_path / "cache", algorithm="MLD")
    res = Router(net).table([(LON, LAT_A)], [(LON, LAT_B)])
    assert res.seconds[0, 0] == pytest.approx(90.0, abs=0.2)


def test_concurrent_preparation_builds_once(toy_osm: Path, tmp_path: Path) -> None:
    """Two sessions asking for the same network at once: one builds, the other reuses."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        nets = list(
            pool.map(
                lambda _: prepare_network(toy_osm, "car", cache_dir=tmp_path, algorithm="MLD"),
                range(3),
            )
        )
    assert sorted(n.from_cache for n in nets) == [False, True, True]
    assert len({n.base for n in nets}) == 1
    entries = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert len(entries) == 1  # no half-built or duplicate folders left
    assert Router(nets[0]).table([(LON, LAT_A)], [(LON, LAT_B)]).seconds[0, 0] == pytest.approx(
        90.0, abs=0.2
    )


# --------------------------------------------------------------------------- ferries
#
#   F1 ──residential 500 m── F2 ~~ferry 1000 m~~ F3 ──residential 500 m── F4
#
# On foot (5 km/h): the roads take 1000 m = 720 s.  A ferry without a
# ``duration`` tag runs at the profile's 5 km/h: 1000 m = 720 s; with
# ``duration=00:20`` it takes 1200 s.  Boarding adds the waiting time.

LAT_F = [51.2, lat_after(51.2, 500), lat_after(51.2, 1500), lat_after(51.2, 2000)]


def _ferry_osm(folder: Path, duration: str | None, *, detour_m: float = 0) -> Path:
    """The ferry line; with ``detour_m`` also a footpath F2 → far east → F3 of that length."""
    tags = {"route": "ferry", **({"duration": duration} if duration else {})}
    nodes = {i + 1: (LON, lat) for i, lat in enumerate(LAT_F)}
    ways: list[tuple[list[int], dict[str, str]]] = [
        ([1, 2], {"highway": "residential"}),
        ([2, 3], tags),
        ([3, 4], {"highway": "residential"}),
    ]
    if detour_m:
        side = (detour_m - 1000) / 2  # out east, 1000 m north, back west
        lon_e = LON + math.degrees(side / (R * math.cos(math.radians(LAT_F[1]))))
        nodes |= {5: (lon_e, LAT_F[1]), 6: (lon_e, LAT_F[2])}
        ways.append(([2, 5, 6, 3], {"highway": "footway"}))
    name = f"ferry-{duration or 'none'}-{detour_m:.0f}.osm".replace(":", "")
    return write_osm(folder / name, nodes, ways)


def _walk_seconds(osm: Path, cache: Path, wait: float) -> float:
    net = prepare_network(osm, "walk", cache_dir=cache, algorithm="MLD", ferry_wait_min=wait)
    res = Router(net).table([(LON, LAT_F[0])], [(LON, LAT_F[3])])
    back = Router(net).table([(LON, LAT_F[3])], [(LON, LAT_F[0])])
    assert back.seconds[0, 0] == pytest.approx(res.seconds[0, 0], abs=1.0)  # both directions
    return float(res.seconds[0, 0])


@pytest.mark.parametrize(
    ("duration", "wait", "seconds"),
    [
        (None, 0, 720 + 720),  # the plain OSRM profile: no waiting
        (None, 10, 720 + 720 + 600),
        ("00:20", 0, 720 + 1200),  # the duration tag is honoured
        ("00:20", 10, 720 + 1200 + 600),
        ("PT20M", 25, 720 + 1200 + 1500),
        (None, 45, 720 + 720 + 2700),  # the largest wait the settings allow still fits OSRM
    ],
)
def test_ferry_takes_duration_tag_plus_waiting(
    tmp_path: Path, duration: str | None, wait: float, seconds: float
) -> None:
    osm = _ferry_osm(tmp_path, duration)
    assert _walk_seconds(osm, tmp_path / "cache", wait) == pytest.approx(seconds, abs=1.0)


@pytest.mark.parametrize("mode", ["car", "bike"])
def test_ferry_wait_in_every_mode(tmp_path: Path, mode: str) -> None:
    osm = _ferry_osm(tmp_path, "00:20")
    secs = []
    for wait in (0, 10):
        net = prepare_network(osm, mode, cache_dir=tmp_path, algorithm="MLD", ferry_wait_min=wait)
        secs.append(Router(net).table([(LON, LAT_F[0])], [(LON, LAT_F[3])]).seconds[0, 0])
    assert secs[1] - secs[0] == pytest.approx(600.0, abs=1.0)


def test_ferry_wait_changes_the_route_not_only_the_minutes(tmp_path: Path) -> None:
    """A 1500 m footpath around (1080 s) beats ferry + 10 min wait (1320 s), not the bare ferry."""
    osm = _ferry_osm(tmp_path, None, detour_m=1500)
    assert _walk_seconds(osm, tmp_path / "c", 0) == pytest.approx(720 + 720, abs=1.0)
    assert _walk_seconds(osm, tmp_path / "c", 10) == pytest.approx(720 + 1080, abs=2.0)


def test_ferry_wait_is_part_of_the_profile_and_the_cache_key(toy_osm: Path) -> None:
    default = profile_text("walk")
    assert "ferry_wait_s = 600.0" in default
    assert "turn.target_mode == mode.ferry" in default
    assert "ferry_wait_s = 1500.0" in profile_text("walk", ferry_wait_min=25)
    assert "process_turn" not in profile_text("walk", ferry_wait_min=0)
    keys = {network_key(toy_osm, "walk", "MLD", profile_text("walk", ferry_wait_min=w))
            for w in (0, 10, 25)}  # fmt: skip
    assert len(keys) == 3


def test_ferry_summary_speed_matches_shipped_profiles() -> None:
    """FERRY_SUMMARY says 5 km/h for ferries without ``duration``: all three profiles agree."""
    assert "5 km/h" in FERRY_SUMMARY
    for name in ("car.lua", "bicycle.lua", "foot.lua"):
        text = (profiles_dir() / name).read_text()
        block = text[text.index("route_speeds") :][:80]
        assert re.search(r"ferry\s*=\s*5\b", block), (name, block)
