"""The fast grid path gives the minutes of the plain path; the network cache is shared.

Issue #13: durations-only tables, only cells that snap, worker processes and
CH networks for the grid must not change a single minute; and a network the
library prepared must be found again by a region-file run.  No timing is
asserted (speed lives in ``benchmarks/bench_county.py``).
"""

from __future__ import annotations

import math
import shutil
import sys
import types
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from erreichbarkeit.analysis.grid import GRID_CRS, compute_grid, grid_travel_times
from erreichbarkeit.config import Settings
from erreichbarkeit.config.routing import GRID_CH_ENV, grid_ch_policy
from erreichbarkeit.errors import ConfigError, RoutingError
from erreichbarkeit.network import _cache, profiles
from erreichbarkeit.network._table_pool import TablePool
from erreichbarkeit.network.grid_networks import grid_routers
from erreichbarkeit.network.grid_networks import start as start_ch_preparation
from erreichbarkeit.network.matrix import access_minutes
from erreichbarkeit.network.profiles import profile_text
from erreichbarkeit.network.routing import (
    Router,
    RouterLike,
    network_key,
    prepare_network,
    prepare_router,
)

from .test_routing import LAT_A, LAT_B, LAT_C, LON, lat_after, write_osm


@pytest.fixture(scope="module")
def toy_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A → B primary (1000 m), B → C residential oneway (500 m), an island 5 km east."""
    folder = tmp_path_factory.mktemp("gridspeed")
    nodes = {1: (LON, LAT_A), 2: (LON, LAT_B), 3: (LON, LAT_C), 4: (9.07, LAT_A)}
    nodes[5] = (9.07, lat_after(LAT_A, 300))
    ways = [
        ([1, 2], {"highway": "primary", "maxspeed": "50"}),
        ([2, 3], {"highway": "residential", "oneway": "yes"}),
        ([4, 5], {"highway": "residential"}),
    ]
    return write_osm(folder / "toy.osm", nodes, ways)


def _cells(lonlat: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    pts = gpd.GeoSeries([Point(p) for p in lonlat], crs="EPSG:4326").to_crs(GRID_CRS)
    return gpd.GeoDataFrame(
        {"cell_id": [f"c{i}" for i in range(len(pts))], "ags": "A", "gemeinde": "Aheim"},
        geometry=[box(p.x - 125, p.y - 125, p.x + 125, p.y + 125) for p in pts],
        crs=GRID_CRS,
    )


def _offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["kita_b", "schule_c", "kita_insel", "kita_weit"]}
        | {"category": ["kita", "schule", "kita", "kita"]},
        geometry=[
            Point(LON, LAT_B),
            Point(LON, LAT_C),
            Point(9.07, LAT_A),
            Point(LON + 0.05, LAT_A),  # ≈3.5 km from every road: not routed
        ],
        crs="EPSG:4326",
    )


def test_fast_path_equals_plain_path_on_toy(toy_osm: Path, tmp_path: Path) -> None:
    """Pool of 2, CH, durations only and snap filter give exactly the plain path's columns."""
    cache = tmp_path / "cache"
    rng = np.random.default_rng(3)
    # cells along the road, near the island, and far away (3 km+: not routed)
    lon = np.concatenate([np.full(7, LON), [9.07, 9.03, 8.95]]) + rng.normal(0, 0.0005, 10)
    lat = np.concatenate([np.linspace(LAT_A, LAT_C, 7), [LAT_A, LAT_A, LAT_B]])
    cells = _cells(list(zip(lon, lat, strict=True)))
    plain: dict[str, RouterLike] = {
        m: Router(prepare_network(toy_osm, m, cache_dir=cache, algorithm="MLD"), reference=True)
        for m in ("car", "walk")
    }
    fast: dict[str, RouterLike] = {
        m: Router(prepare_network(toy_osm, m, cache_dir=cache, algorithm="CH"), workers=2)
        for m in ("car", "walk")
    }
    kwargs = {
        "categories": ["kita", "schule", "bibliothek"],
        "modes": ["car", "walk"],
        "cutoff_minutes": 30.0,
        "max_snap_m": 500.0,
        "chunk_size": 3,
    }
    want = grid_travel_times(cells, _offers(), plain, **kwargs)  # type: ignore[arg-type]
    got = grid_travel_times(cells, _offers(), fast, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want), check_exact=True)
    # one chunk for two workers: split in two, same minutes
    one = grid_travel_times(cells, _offers(), fast, **(kwargs | {"chunk_size": 2000}))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(pd.DataFrame(one), pd.DataFrame(want), check_exact=True)
    # the test can fail: the far cells are NaN, the near ones are not
    assert got["kita_car_min"].isna().sum() >= 2
    assert got["kita_walk_min"].notna().sum() >= 6
    # cell 0 near A: 2.7 min A→C (see test_grid) plus its access leg at the car's access speed
    leg = access_minutes(got.loc[0, "snap_m_car"], fast["car"].access_kmh)
    assert math.isclose(got.loc[0, "schule_car_min"], 2.7 + leg, abs_tol=0.02)


def test_pool_error_becomes_routing_error(tmp_path: Path) -> None:
    src = np.array([[LON, LAT_A], [LON, LAT_B]])
    with TablePool(2) as pool, pytest.raises(RoutingError) as info:
        list(pool.map(str(tmp_path / "missing.osrm"), "CH", [src[:1], src[1:]], src))
    assert info.value.message_de.startswith("Routenberechnung fehlgeschlagen")


def test_pool_workers_do_not_rerun_the_main_script(
    toy_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spawned workers must not run ``__main__`` (the dashboard's app.py, an AppTest script)."""
    script = tmp_path / "app.py"
    marker = tmp_path / "ran.txt"
    script.write_text(
        f"open({str(marker)!r}, 'a').write('ran')\nraise RuntimeError('main re-run')\n", "utf-8"
    )
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    net = prepare_network(toy_osm, "car", cache_dir=tmp_path / "cache", algorithm="CH")
    src = np.array([[LON, LAT_A], [LON, LAT_B]])
    with TablePool(2) as pool:
        answers = list(pool.map(str(net.base), "CH", [src[:1], src[1:]], src[1:]))
    assert [a.seconds.shape for a in answers] == [(1, 1), (1, 1)]
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main  # restored after the workers started


def test_library_network_is_reused_by_a_region_run(toy_osm: Path, tmp_path: Path) -> None:
    """prepare_network with defaults and a region run on the same cache folder: one entry."""
    cache = tmp_path / "cache"
    lib = prepare_network(toy_osm, "car", cache_dir=cache)
    assert lib.algorithm == "CH"  # the region files' default for car
    settings = Settings(name="toy", network=toy_osm, cache_dir=cache, out_dir=tmp_path / "out")
    run = prepare_router(settings, toy_osm, "car").network
    assert run.from_cache
    assert run.base == lib.base
    # the same content under another file name finds the entry as well
    copy = tmp_path / "kopie.osm"
    shutil.copyfile(toy_osm, copy)
    assert prepare_network(copy, "car", cache_dir=cache / "osrm").from_cache


def test_network_key_ignores_where_the_profiles_are(
    toy_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = network_key(toy_osm, "walk", "CH", profile_text("walk"))
    other = Path("/opt/andere-umgebung/osrm/profiles")
    monkeypatch.setattr(profiles, "profiles_dir", lambda: other)
    monkeypatch.setattr(_cache, "profiles_dir", lambda: other)
    text = profile_text("walk")
    assert str(other) in text
    assert network_key(toy_osm, "walk", "CH", text) == here
    assert network_key(toy_osm, "walk", "CH", profile_text("walk", ferry_wait_min=3)) != here


def test_grid_routers_use_cached_ch_or_list_it(toy_osm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    settings = Settings(
        name="toy", network=toy_osm, cache_dir=cache, out_dir=tmp_path / "o", workers=2
    )
    routers: dict[str, RouterLike] = {
        m: prepare_router(settings, toy_osm, m) for m in settings.road_modes
    }
    assert {m: r.network.algorithm for m, r in routers.items()} == {  # type: ignore[attr-defined]
        "car": "CH", "bike": "MLD", "walk": "MLD",
    }  # fmt: skip
    out, later = grid_routers(settings, toy_osm, routers)
    assert out["car"] is routers["car"] and out["walk"] is routers["walk"]
    assert sorted(j["mode"] for j in later) == ["bike", "walk"]
    prepare_network(**later[1], algorithm="CH")  # what the background process does
    out, later = grid_routers(settings, toy_osm, routers)
    walk = out["walk"]
    assert isinstance(walk, Router)
    assert walk.network.algorithm == "CH" and walk.workers == 2
    assert [j["mode"] for j in later] == ["bike"]
    ref, _ = grid_routers(settings, toy_osm, routers, reference=True)
    assert all(isinstance(r, Router) and r.reference and r.workers == 1 for r in ref.values())
    off, later = grid_routers(settings, toy_osm, routers, policy="off")
    assert off == routers and later == []


def test_grid_ch_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GRID_CH_ENV, raising=False)
    assert grid_ch_policy() == "background"
    monkeypatch.setenv(GRID_CH_ENV, "NOW")
    assert grid_ch_policy() == "now"
    monkeypatch.setenv(GRID_CH_ENV, "sofort")
    with pytest.raises(ConfigError) as info:
        grid_ch_policy()
    assert GRID_CH_ENV in info.value.message_de


@pytest.mark.slow
def test_beispielkreis_grid_fast_equals_plain(tmp_path: Path) -> None:
    """The Beispielkreis grid: CH + 2 processes equal MLD/CH plain, column for column."""
    from erreichbarkeit.demo import generate_demo
    from erreichbarkeit.pipeline import load_inputs

    demo = generate_demo(tmp_path / "daten")
    settings = Settings.from_toml(demo.region, cache_dir=tmp_path / "c", out_dir=tmp_path / "o")
    assert settings.grid_cell_m is not None
    settings = settings.replace(modes=settings.road_modes, workers=2)
    data = load_inputs(settings)
    routers: dict[str, RouterLike] = {
        m: prepare_router(settings, data.network_osm, m) for m in settings.road_modes
    }
    plain, _ = grid_routers(settings, data.network_osm, routers, reference=True)
    fast, later = grid_routers(settings, data.network_osm, routers, policy="now")
    assert later == []
    assert all(r.network.algorithm == "CH" for r in fast.values())  # type: ignore[attr-defined]
    want = compute_grid(settings, plain, data.offers, data.boundaries).cells
    got = compute_grid(settings, fast, data.offers, data.boundaries).cells
    cols = [c for c in want.columns if str(c).endswith("_min") or str(c).startswith("snap_m_")]
    assert len(want) > 100 and want[cols].notna().to_numpy().any()
    pd.testing.assert_frame_equal(got[cols], want[cols], check_exact=True)


def test_background_preparation_fills_the_cache(toy_osm: Path, tmp_path: Path) -> None:
    """The detached process prepares the listed CH network; the next run finds it."""
    settings = Settings(name="toy", network=toy_osm, cache_dir=tmp_path / "c", out_dir=tmp_path)
    routers: dict[str, RouterLike] = {"walk": prepare_router(settings, toy_osm, "walk")}
    _, later = grid_routers(settings.replace(modes=("walk",)), toy_osm, routers)
    assert [j["mode"] for j in later] == ["walk"]
    proc = start_ch_preparation(later, settings.cache_dir)
    assert proc is not None
    assert proc.wait(timeout=300) == 0
    out, later = grid_routers(settings.replace(modes=("walk",)), toy_osm, routers)
    assert later == []
    assert out["walk"].network.algorithm == "CH"  # type: ignore[attr-defined]
    assert "CH walk ready" in (tmp_path / "c" / "osrm" / "ch-hintergrund.log").read_text("utf-8")
