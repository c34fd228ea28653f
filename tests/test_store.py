"""Tests of the persisted results (erreichbarkeit.pipeline.store).

One real run of the fictional Beispielkreis (all modes of its region file,
with the population grid) is stored and read back; the damage, cleanup and
concurrency tests copy that stored entry instead of computing again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point

from erreichbarkeit._atomic import TMP_PREFIX
from erreichbarkeit.config import Settings
from erreichbarkeit.demo import DemoFiles, generate_demo
from erreichbarkeit.pipeline import _store_codec, run, store
from erreichbarkeit.pipeline.store import ResultStore, load_or_run, results_key
from erreichbarkeit.results import Results

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Stored:
    """The demo run, its settings and a pristine stored copy of it."""

    settings: Settings
    results: Results
    root: Path
    key: str
    save_s: float
    load_s: float
    megabytes: float


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("store-demo") / "daten")


@pytest.fixture(scope="module")
def stored(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Stored:
    cache = tmp_path_factory.mktemp("store-cache")
    settings = Settings.from_toml(demo.region, cache_dir=cache)
    assert settings.grid_cell_m is not None
    results = run(settings)
    root = tmp_path_factory.mktemp("store-pristine")
    started = time.perf_counter()
    folder = ResultStore(root).save(results, settings=settings)
    save_s = time.perf_counter() - started
    started = time.perf_counter()
    assert ResultStore(root).load(settings) is not None
    load_s = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    logger.info("demo run with grid: save %.2f s, load %.2f s, %.2f MB", save_s, load_s, size)
    return Stored(settings, results, root, folder.name, save_s, load_s, size)


def _copy_store(stored: Stored, target: Path) -> ResultStore:
    shutil.copytree(stored.root, target)
    return ResultStore(target)


# -- exact round trip ------------------------------------------------------------------------


def assert_same(a: Any, b: Any, where: str = "results") -> None:
    """Every table equal (exactly: dtypes, index, CRS), every other value equal."""
    if isinstance(a, gpd.GeoDataFrame):
        assert isinstance(b, gpd.GeoDataFrame), where
        assert_geodataframe_equal(b, a, check_less_precise=False)
        pd.testing.assert_frame_equal(pd.DataFrame(b), pd.DataFrame(a), obj=where)
        assert b.attrs == a.attrs, where
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(b, a, obj=where)
        assert b.attrs == a.attrs, where
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(b, a, obj=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(b) is type(a), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, tuple | list):
        assert type(b) is type(a) and len(b) == len(a), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif hasattr(a, "equals") and not isinstance(a, str):
        assert a.equals(b), where  # shapely geometry
    else:
        assert type(b) is type(a), where
        assert b == a, where


def test_round_trip_is_exact(stored: Stored, tmp_path: Path) -> None:
    back = _copy_store(stored, tmp_path / "store").load(stored.settings)
    assert back is not None
    assert back.settings is stored.settings or back.settings == stored.results.settings
    assert_same(stored.results, back)
    # the parts the dashboard shows, spelled out
    assert back.grid is not None and stored.results.grid is not None
    assert_geodataframe_equal(back.grid.cells, stored.results.grid.cells)
    assert back.grid.cells.crs == stored.results.grid.cells.crs
    assert dict(back.grid.meta) == dict(stored.results.grid.meta)
    assert back.inputs.notices == stored.results.inputs.notices
    assert back.inputs.sources == stored.results.inputs.sources
    assert back.categories == stored.results.categories
    assert dict(back.timings) == dict(stored.results.timings)


def test_demo_numbers(stored: Stored) -> None:
    """Save and load of the demo run with grid stay fast and small (measured in the log)."""
    assert stored.megabytes < 20
    assert stored.load_s < 3.0


def test_loaded_run_carries_the_callers_settings(stored: Stored, tmp_path: Path) -> None:
    back = _copy_store(stored, tmp_path / "store").load(stored.settings)
    assert back is not None
    assert back.settings == stored.results.settings  # modes as the run had them


def test_missing_entry_is_none(stored: Stored, tmp_path: Path) -> None:
    assert ResultStore(tmp_path / "empty").load(stored.settings) is None


# -- the key ---------------------------------------------------------------------------------


@pytest.fixture
def copied(demo: DemoFiles, tmp_path: Path) -> Settings:
    """The demo's settings over a private copy of its files."""
    folder = tmp_path / "daten"
    shutil.copytree(demo.folder, folder)
    return Settings.from_toml(folder / demo.region.name, cache_dir=tmp_path / "cache")


def test_key_changes_with_one_byte_of_an_offers_file(copied: Settings) -> None:
    before = results_key(copied)
    offers = Path(copied.offers[0])
    data = bytearray(offers.read_bytes())
    data[-2] = ord("x") if data[-2] != ord("x") else ord("y")
    offers.write_bytes(bytes(data))
    assert results_key(copied) != before


def test_key_ignores_a_touch_without_change(copied: Settings) -> None:
    before = results_key(copied)
    assert copied.network is not None
    for path in (copied.network, Path(copied.offers[0])):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert results_key(copied) == before


def test_key_changes_with_a_threshold_and_the_method_version(
    copied: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = results_key(copied)
    assert results_key(copied.replace(thresholds={"kita": {"car": 11.0}})) != before
    monkeypatch.setattr(store, "METHOD_VERSION", store.METHOD_VERSION + "-next")
    assert results_key(copied) != before


def test_key_ignores_where_outputs_go(copied: Settings, tmp_path: Path) -> None:
    """The CLI (own --out, --cache-dir, workers) and the dashboard share a run."""
    other = copied.replace(cache_dir=tmp_path / "elsewhere", out_dir=tmp_path / "out", workers=1)
    assert results_key(other) == results_key(copied)


def test_key_of_a_pt_run_without_date_follows_the_day(copied: Settings) -> None:
    assert "pt" in copied.modes and copied.transit.date is None
    day = dt.date(2026, 12, 7)
    assert results_key(copied, today=day) == results_key(copied, today=day)
    assert results_key(copied, today=day) != results_key(copied, today=day.replace(day=8))


def test_key_hashes_a_gtfs_folder_by_content(copied: Settings, tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    shutil.unpack_archive(copied.gtfs[0], feed, format="zip")
    with_folder = copied.replace(gtfs=(feed,))
    before = results_key(with_folder)
    stops = feed / "stops.txt"
    stops.write_text(stops.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert results_key(with_folder) != before


# -- damaged and stale entries ---------------------------------------------------------------


def _first_table(folder: Path) -> Path:
    return next(p for p in sorted(folder.iterdir()) if p.suffix == ".parquet")


def _assert_recomputed(
    st: ResultStore, stored: Stored, caplog: pytest.LogCaptureFixture, word: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="erreichbarkeit.pipeline.store"):
        assert st.load(stored.settings) is None
    assert not st.folder(stored.key).exists()
    assert any(word in r.getMessage() and "neu berechnet" in r.getMessage() for r in caplog.records)
    assert not [p for p in st.root.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_truncated_table_is_detected(
    stored: Stored, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    st = _copy_store(stored, tmp_path / "store")
    table = _first_table(st.folder(stored.key))
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    _assert_recomputed(st, stored, caplog, "beschädigt")


def test_checksum_mismatch_is_detected(
    stored: Stored, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    st = _copy_store(stored, tmp_path / "store")
    table = _first_table(st.folder(stored.key))
    data = bytearray(table.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other content
    table.write_bytes(bytes(data))
    _assert_recomputed(st, stored, caplog, "beschädigt")


@pytest.mark.parametrize("edit", ["garbage", "format", "missing_file", "no_manifest"])
def test_damaged_manifest_is_detected(
    stored: Stored, tmp_path: Path, caplog: pytest.LogCaptureFixture, edit: str
) -> None:
    st = _copy_store(stored, tmp_path / "store")
    manifest = st.folder(stored.key) / store.MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if edit == "garbage":
        manifest.write_text('{"format": 1, "key": ', encoding="utf-8")
    elif edit == "format":
        data["format"] = 99
        manifest.write_text(json.dumps(data), encoding="utf-8")
    elif edit == "missing_file":
        _first_table(st.folder(stored.key)).unlink()
    else:
        manifest.unlink()
    _assert_recomputed(st, stored, caplog, "beschädigt")


def test_entry_whose_files_are_gone_is_stale(
    stored: Stored, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    st = _copy_store(stored, tmp_path / "store")
    manifest = st.folder(stored.key) / store.MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["paths"]  # the network and timetable files the dashboard reopens
    data["paths"].append(str(tmp_path / "removed-from-cache.zip"))
    manifest.write_text(json.dumps(data), encoding="utf-8")
    _assert_recomputed(st, stored, caplog, "veraltet")


# -- atomic writes, concurrency, cleanup -------------------------------------------------------


def test_interrupted_save_leaves_no_entry(
    stored: Stored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _store_codec.write_frame
    calls: list[str] = []

    def failing(frame: Any, target: Path) -> dict[str, Any]:
        calls.append(target.name)
        if len(calls) == 4:
            msg = "disk unplugged"
            raise OSError(msg)
        return real(frame, target)

    monkeypatch.setattr(_store_codec, "write_frame", failing)
    st = ResultStore(tmp_path / "store")
    with pytest.raises(OSError, match="disk unplugged"):
        st.save(stored.results, settings=stored.settings)
    assert list(st.root.iterdir()) == []
    assert st.load(stored.settings) is None


def test_killed_save_is_swept_on_open(tmp_path: Path) -> None:
    root = tmp_path / "store"
    leftover = root / f"{TMP_PREFIX}999999999-abc.x1"
    leftover.mkdir(parents=True)
    (leftover / "000-villages.parquet").write_bytes(b"PAR1")
    os.utime(leftover, (time.time() - 60, time.time() - 60))
    ResultStore(root)
    assert not leftover.exists()


def test_two_threads_saving_one_key(stored: Stored, tmp_path: Path) -> None:
    st = ResultStore(tmp_path / "store")
    barrier = threading.Barrier(2)
    paths: list[Path] = []
    errors: list[BaseException] = []

    def save() -> None:
        try:
            barrier.wait()
            paths.append(ResultStore(st.root).save(stored.results, settings=stored.settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(paths) == 2 and paths[0] == paths[1]
    assert [p.name for p in st.root.iterdir()] == [stored.key]
    back = st.load(stored.settings)
    assert back is not None
    pd.testing.assert_frame_equal(back.gemeinden, stored.results.gemeinden)


def test_least_recently_used_runs_are_removed(stored: Stored, tmp_path: Path) -> None:
    entry_bytes = sum(p.stat().st_size for p in (stored.root / stored.key).iterdir())
    st = ResultStore(tmp_path / "store", max_bytes=int(2.5 * entry_bytes), max_entries=10)
    variants = [stored.settings.replace(name=f"Variante {i}") for i in range(3)]
    keys = []
    for i, variant in enumerate(variants[:2]):
        keys.append(st.save(stored.results, settings=variant).name)
        stamp = time.time() - 100 + i
        os.utime(st.folder(keys[-1]) / store.LAST_USED, (stamp, stamp))
    assert st.load(variants[0]) is not None  # now the most recently used of the two
    keys.append(st.save(stored.results, settings=variants[2]).name)
    assert sorted(e.key for e in st.entries()) == sorted([keys[0], keys[2]])
    assert sum(e.bytes for e in st.entries()) <= st.max_bytes
    counted = ResultStore(st.root, max_entries=1)
    assert [p.name for p in counted.cleanup(keep=(keys[2],))] == [keys[0]]
    assert [e.key for e in counted.entries()] == [keys[2]]


def test_load_or_run_computes_once(stored: Stored, tmp_path: Path) -> None:
    st = ResultStore(tmp_path / "store")
    calls: list[Settings] = []

    def compute(settings: Settings) -> Results:
        calls.append(settings)
        return stored.results

    first = load_or_run(st, stored.settings, compute)
    second = load_or_run(st, stored.settings, compute)
    assert first is stored.results and len(calls) == 1
    pd.testing.assert_frame_equal(second.kreis, stored.results.kreis)


# -- the table codec on what a run does not show -------------------------------------------


def test_frames_round_trip_exactly(tmp_path: Path) -> None:
    index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2), ("c", 3), ("d", 4)], names=["k", None])
    frame = pd.DataFrame(
        {
            "mixed": ["x", 1, None, 2.5],
            "bool_nan": [True, np.nan, False, True],
            "category": pd.Categorical(["a", "b", "a", None]),
            "tuples": [("x", "y"), (), ("z",), None],
            "text_none": pd.Series(["a", None, "c", "d"], dtype=object).to_numpy(),
            "text_nan": pd.Series(["a", np.nan, "c", "d"], dtype=object).to_numpy(),
            "string": pd.array(["a", None, "c", "d"], dtype="string"),
            "str": pd.array(["a", None, "c", "d"], dtype="str"),
            "ints": pd.array([1, None, 3, 4], dtype="Int64"),
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04"]).tz_localize(
                "Europe/Berlin"
            ),
            "shape": gpd.GeoSeries([Point(1, 2), None, Point(3, 4), Point(5, 6)], crs=3035).array,
        },
        index=index,
    )
    frame.attrs = {"has_under18": True, "source_file": "raster.csv"}
    geo = gpd.GeoDataFrame(
        {"id": ["a", "b"], "line": gpd.GeoSeries([LineString([(0, 0), (1, 1)]), None], crs=4326)},
        geometry=gpd.GeoSeries([Point(0.1, 0.2), Point(0.3, 0.4)], crs=25832),
        index=pd.Index(["x", "y"], dtype=object, name="key"),
    )
    days = pd.Series([3, 4, 5], index=pd.date_range("2026-01-01", periods=3, freq="D"), name="n")
    for i, value in enumerate((frame, geo, days, pd.DataFrame())):
        meta = _store_codec.write_frame(value, tmp_path / f"{i}.parquet")
        json.dumps(meta, allow_nan=False)  # the manifest holds it
        assert_same(value, _store_codec.read_frame(tmp_path / f"{i}.parquet", meta), f"frame {i}")


def test_unknown_objects_fall_back_to_the_field_default(tmp_path: Path) -> None:
    @dataclasses.dataclass(frozen=True)
    class Holder:
        data: tuple[str, ...]
        live: Any = None

    encoder = _store_codec.TreeEncoder(tmp_path)
    node = encoder._dataclass(Holder(("a",), threading.Lock()), "holder")
    assert node["v"]["live"] == {"t": "default"}
    with pytest.raises(TypeError):
        encoder.encode(threading.Lock(), "lock")
    with pytest.raises(TypeError):  # a table is never dropped silently
        encoder._dataclass(Holder(("a",), pd.DataFrame({0: [1]})), "holder")


def test_derived_layers_are_kept_with_the_run(stored: Stored, tmp_path: Path) -> None:
    st = _copy_store(stored, tmp_path / "store")
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return '{"type": "FeatureCollection", "features": []}'

    first = st.layer(stored.settings, "bands kita/car", build)
    assert st.layer(stored.settings, "bands kita/car", build) == first
    assert len(built) == 1
    kept = next((st.folder(stored.key) / "layers").glob("bands*kita_car"))
    kept.write_text("damaged", encoding="utf-8")
    assert st.layer(stored.settings, "bands kita/car", build) == first
    assert len(built) == 2
    assert st.load(stored.settings) is not None  # extra files do not damage the run


def test_default_root_is_shared_by_cli_and_dashboard(
    copied: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(store.DATA_DIR_ENV, raising=False)
    assert store.default_store_root(copied) == copied.cache_dir / "ergebnisse"
    monkeypatch.setenv(store.DATA_DIR_ENV, str(tmp_path / "data"))
    assert store.default_store_root(copied) == tmp_path / "data" / "cache" / "ergebnisse"


def test_save_replaces_a_broken_folder_under_the_final_name(stored: Stored, tmp_path: Path) -> None:
    st = ResultStore(tmp_path / "store")
    broken = st.folder(stored.key)
    broken.mkdir(parents=True)
    (broken / "000-villages.parquet").write_bytes(b"PAR1")
    assert st.save(stored.results, settings=stored.settings) == broken
    assert (broken / store.MANIFEST).is_file()
    assert st.load(stored.settings) is not None


# -- the command line reads what was stored ---------------------------------------------------


class _ComputedError(Exception):
    """Raised by the stand-in pipeline: the command line computed instead of reading."""


def test_analyse_reads_the_stored_run_and_recomputes_on_request(
    stored: Stored,
    demo: DemoFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from erreichbarkeit import pipeline
    from erreichbarkeit.cli.main import main

    monkeypatch.delenv(store.DATA_DIR_ENV, raising=False)
    cache = tmp_path / "cache"
    shutil.copytree(stored.root, cache / "ergebnisse")

    calls: list[str] = []

    def computed(*_args: Any, **_kwargs: Any) -> Results:
        calls.append("run")
        raise _ComputedError

    monkeypatch.setattr(pipeline, "run", computed)
    out = tmp_path / "out"
    argv = ["analyse", "--config", str(demo.region), "--cache-dir", str(cache), "--out", str(out)]
    assert main(argv) == 0
    assert "Gespeicherte Ergebnisse" in capsys.readouterr().out
    assert (out / "erreichbarkeit.xlsx").is_file()
    assert calls == []  # read, not computed
    assert main([*argv, "--neu-berechnen"]) != 0  # the stand-in pipeline fails …
    assert calls == ["run"]  # … because it was asked to compute
