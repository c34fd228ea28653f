"""Sessions stay apart: concurrent sessions, uploads, server defaults, load smoke.

* Several AppTest sessions of the real ``app.py`` run **at the same time**
  in threads of this process (sharing the process-wide caches as the
  sessions of one server do; see ``benchmarks/bench_load.concurrent_apptest``)
  with different regions, modes, thresholds, age groups and uploads; each
  must show exactly its own key figures (computed here with the library),
  settings and uploaded offers.
* Uploads are stored in the session's own temporary folder under a hashed
  name: user file names like ``../../evil.csv`` or ``C:\\x.csv`` never become
  paths, nothing reaches the shared data folder, and the folder disappears
  with the session.
* Against a real ``streamlit run`` server: two to three concurrent headless
  Chromium sessions each see their own choices; the server binds to the
  loopback interface only; usage statistics are off and uploads limited.
* ``benchmarks/bench_load.py --quick`` runs without errors.

The fictional Beispielkreis is generated into a temporary data folder; a
second region ("Zweitkreis") reuses its files with other modes and
thresholds.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit.config import Settings
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache

from .test_app import _expected

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
ZWEIT_NAME = "Zweitkreis (Test)"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_load", REPO / "benchmarks" / "bench_load.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _mode_labels(results: Results) -> list[str]:
    """The mode choice the sidebar offers for a run."""
    labels = {"car": "Auto", "bike": "Fahrrad", "walk": "zu Fuß", "pt": "Bus & Bahn"}
    return [labels[m] for m in results.settings.modes]


def _fingerprint(results: Results) -> str:
    """A digest of the shared tables every session reads (villages, offers, travel times)."""
    digest = hashlib.sha256()
    for frame in (results.villages, results.offers, results.travel_times):
        digest.update(frame.to_csv().encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Env:
    """The app's folders and the library results of both regions."""

    root: Path
    data_dir: Path
    sessions_dir: Path
    demo_region: Path
    zweit_region: Path
    demo: Results
    zweit: Results
    fingerprints: tuple[str, str]


def _results_of(region: Path, data_dir: Path) -> Results:
    """The run the app cached for ``region`` (the same object every session uses)."""
    settings = Settings.from_toml(region, cache_dir=data_dir / "cache")
    return cache.run_region(str(region), region.stat().st_mtime, settings.cache_key(), settings)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("sessions")
    data_dir = root / "data"
    sessions_dir = root / "tmp"  # tempfile's folder: every session folder lands here
    sessions_dir.mkdir()
    demo_dir = data_dir / "generated" / "beispielkreis"
    regions = root / "regions"
    regions.mkdir()
    zweit = regions / "zweitkreis.toml"
    zweit.write_text(
        f'[region]\nname = "{ZWEIT_NAME}"\n\n[inputs]\n'
        f'network = "{(demo_dir / "beispielkreis.osm").as_posix()}"\n'
        f'boundaries = "{(demo_dir / "gemeinden.geojson").as_posix()}"\n'
        f'offers = ["{(demo_dir / "angebote.csv").as_posix()}"]\n'
        f'population = "{(demo_dir / "bevoelkerung.csv").as_posix()}"\n'
        'modes = ["car", "walk"]\n\n'
        "[thresholds]\nkita = { car = 5, walk = 8 }\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(data_dir))
        mp.setenv("ERREICHBARKEIT_REGIONS_DIR", str(regions))
        mp.setattr(tempfile, "tempdir", str(sessions_dir))
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()  # generates the Beispielkreis, first analysis
        assert not at.exception, at.exception
        at.sidebar.selectbox(key="region").set_value(str(zweit)).run()  # second analysis
        assert not at.exception, at.exception
        del at
        demo_region = demo_dir / "region.toml"
        demo = _results_of(demo_region, data_dir)
        second = _results_of(zweit, data_dir)
        fingerprints = (_fingerprint(demo), _fingerprint(second))
        yield Env(root, data_dir, sessions_dir, demo_region, zweit, demo, second, fingerprints)


def _metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def _page_text(at: AppTest) -> str:
    """Everything a user can read: map script (popups), tables, messages."""
    parts = [
        str(json.loads(el.proto.json_args).get("script", ""))
        for el in at.main.get("component_instance")  # type: ignore[attr-defined]
    ]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [m.value for m in (*at.success, *at.info, *at.warning, *at.markdown)]
    return "\n".join(parts)


def _upload_csv(name: str, lat: float, lon: float) -> bytes:
    return (
        f"Name;Kategorie;Breitengrad;Längengrad\n{name};Kita;{lat:.6f};{lon:.6f}\n".replace(
            ".", ","
        )
    ).encode()


def _worst_villages(results: Results, category: str, mode: str) -> list[Any]:
    """Reachable villages sorted by minutes to the nearest offer, farthest first.

    (Unreachable villages may lie off the network, where an offer placed on
    them could not be routed either.)
    """
    v = results.villages
    v = v[v[f"{category}_{mode}_min"].notna()]
    return list(
        v.sort_values(f"{category}_{mode}_min", ascending=False, kind="mergesort").itertuples()
    )


# -- concurrent AppTest sessions ----------------------------------------------------------


Step = Callable[[AppTest], Any]


def _run_concurrently(plans: dict[str, list[Step]]) -> dict[str, AppTest]:
    """Run every plan in its own thread, step by step in lock-step (a barrier per step)."""
    n_steps = max(len(p) for p in plans.values())
    barrier = threading.Barrier(len(plans), timeout=300)
    apps: dict[str, AppTest] = {}
    failures: dict[str, BaseException] = {}

    def worker(name: str, plan: list[Step]) -> None:
        try:
            at = AppTest.from_file(APP, default_timeout=120)
            apps[name] = at
            for i in range(n_steps):
                barrier.wait()  # every session starts step i at the same moment
                (plan[i] if i < len(plan) else AppTest.run)(at)
                assert not at.exception, f"{name}, step {i}: {at.exception}"
        except BaseException as exc:
            failures[name] = exc
            barrier.abort()

    with bench.concurrent_apptest():
        threads = [threading.Thread(target=worker, args=item) for item in plans.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    assert not failures, failures
    return apps


def test_concurrent_sessions_keep_their_own_state(env: Env) -> None:
    demo, zweit = env.demo, env.zweit
    cat = demo.categories[0]
    assert cat == "kita"  # the thresholds of the Zweitkreis file are for Kitas
    worst = _worst_villages(demo, cat, "car")
    up_a = _upload_csv("Kita Nur-in-Sitzung-A", worst[0].geometry.y, worst[0].geometry.x)
    up_b = _upload_csv("Kita Nur-in-Sitzung-B", worst[1].geometry.y, worst[1].geometry.x)
    villages = demo.villages.sort_values("id")["id"].astype(str).tolist()

    def upload(name: str, raw: bytes) -> Step:
        return lambda at: (
            at.file_uploader(key="upload_file").set_value((name, raw, "text/csv")).run()
        )

    plans: dict[str, list[Step]] = {
        "walk": [
            AppTest.run,
            lambda at: at.sidebar.radio(key="mode").set_value("walk").run(),
            lambda at: at.sidebar.number_input(key=f"thr_{cat}_walk").set_value(25.0).run(),
            lambda at: at.sidebar.selectbox(key="age_group").set_value("3-6").run(),
        ],
        "zweitkreis": [
            AppTest.run,
            lambda at: at.sidebar.selectbox(key="region").set_value(str(env.zweit_region)).run(),
            lambda at: at.sidebar.radio(key="mode").set_value("walk").run(),
            lambda at: at.selectbox(key="village").set_value(villages[1]).run(),
        ],
        "upload-a": [
            AppTest.run,
            upload("../../evil.csv", up_a),
            lambda at: at.sidebar.number_input(key=f"thr_{cat}_car").set_value(12.0).run(),
        ],
        "upload-b": [
            AppTest.run,
            lambda at: at.sidebar.radio(key="mode").set_value("bike").run(),
            upload("C:\\x.csv", up_b),
        ],
        "car": [
            AppTest.run,
            lambda at: at.selectbox(key="village").set_value(villages[-1]).run(),
            lambda at: at.sidebar.selectbox(key="age_group").set_value("10-18").run(),
        ],
    }
    apps = _run_concurrently(plans)
    # the shared runs (and so the expected values below) were not changed by any session
    assert (_fingerprint(demo), _fingerprint(zweit)) == env.fingerprints

    # each session: its own region, settings and the library's numbers for them
    walk, zw, ua, ub, car = (apps[k] for k in plans)
    assert _metrics(walk) == _expected(demo, cat, "walk", "3-6", 25.0)
    assert _metrics(zw) == _expected(zweit, cat, "walk", "0-3", 8.0)  # from the region file
    assert zw.sidebar.radio(key="mode").options == ["Auto", "zu Fuß"]
    # the demo computes Bus & Bahn too (its fictional bus network) when the worker is there
    assert walk.sidebar.radio(key="mode").options == _mode_labels(demo)
    assert _metrics(car) == _expected(demo, cat, "car", "10-18", 10.0)
    assert car.session_state["village"] == villages[-1]
    assert zw.session_state["village"] == villages[1]
    assert walk.session_state["region"] == car.session_state["region"] == str(env.demo_region)
    assert zw.session_state["region"] == str(env.zweit_region)
    assert "Zweitkreis" not in _page_text(car)

    # uploads: only in the session that uploaded them
    name_a, name_b = "Kita Nur-in-Sitzung-A", "Kita Nur-in-Sitzung-B"
    assert ua.session_state["upload"]["offers"]["name"].tolist() == [name_a]
    assert ub.session_state["upload"]["offers"]["name"].tolist() == [name_b]
    assert ua.session_state["upload"]["offers"]["source"].tolist() == ["../../evil.csv"]
    assert any("„../../evil.csv“" in s.value for s in ua.success)
    assert any("„C:\\x.csv“" in s.value for s in ub.success)
    text = {k: _page_text(at) for k, at in apps.items()}
    assert name_a in text["upload-a"] and name_b not in text["upload-a"]
    assert name_b in text["upload-b"] and name_a not in text["upload-b"]
    for k in ("walk", "zweitkreis", "car"):
        assert "upload" not in apps[k].session_state
        assert name_a not in text[k] and name_b not in text[k]
    # the uploaded Kita at the farthest village improves this session's figures only
    without_a = _expected(demo, cat, "car", "0-3", 12.0)
    assert _metrics(ua) != without_a
    beyond = lambda at: int(_metrics(at)[1].replace(".", ""))  # noqa: E731
    assert beyond(ua) < int(without_a[1].replace(".", ""))
    assert beyond(ub) < int(_expected(demo, cat, "bike", "0-3", 15.0)[1].replace(".", ""))

    # the same upload in one session alone gives the same figures (nothing leaked in)
    with bench.concurrent_apptest():
        solo = AppTest.from_file(APP, default_timeout=120).run()
        solo.file_uploader(key="upload_file").set_value(("solo.csv", up_a, "text/csv")).run()
        solo.sidebar.number_input(key=f"thr_{cat}_car").set_value(12.0).run()
    assert not solo.exception
    assert _metrics(solo) == _metrics(ua)

    # files: each upload in its own session folder under a hashed name, nowhere else
    dirs = {k: Path(apps[k].session_state["_tmpdir"].name) for k in ("upload-a", "upload-b")}
    assert dirs["upload-a"] != dirs["upload-b"]
    for d in dirs.values():
        assert d.parent == env.sessions_dir
        files = [p for p in d.rglob("*") if p.is_file()]
        assert [p.relative_to(d).parent.as_posix() for p in files] == ["upload"]
        assert re.fullmatch(r"angebote-[0-9a-f]{16}\.csv", files[0].name)
    assert (dirs["upload-a"] / "upload").glob("*").__next__().read_bytes() == up_a
    everything = list(env.root.rglob("*")) + list(REPO.glob("*"))
    assert not [p for p in everything if "evil" in p.name or "\\" in p.name or ":" in p.name]
    shared = [p for p in env.data_dir.rglob("*") if p.is_file()]
    assert shared, "the data folder holds the generated region"
    assert not [p for p in shared if p.read_bytes() in (up_a, up_b)]
    assert not [p for p in shared if p.name.startswith("angebote-")]

    # the session folders are removed when the sessions end
    del walk, zw, ua, ub, car, solo, apps
    gc.collect()
    assert not [d for d in dirs.values() if d.exists()]


def test_one_session_upload_does_not_change_a_running_session(env: Env) -> None:
    """A session that is already showing figures keeps them while another uploads."""
    cat = env.demo.categories[0]
    worst = _worst_villages(env.demo, cat, "car")[0]
    raw = _upload_csv("Kita Fremd", worst.geometry.y, worst.geometry.x)
    with bench.concurrent_apptest():
        viewer = AppTest.from_file(APP, default_timeout=120).run()
        before = _metrics(viewer)
        other = AppTest.from_file(APP, default_timeout=120).run()
        other.file_uploader(key="upload_file").set_value(("liste.csv", raw, "text/csv")).run()
        viewer.run()
    assert _metrics(other) != before
    assert _metrics(viewer) == before == _expected(env.demo, cat, "car", "0-3", 10.0)
    assert "upload" not in viewer.session_state
    assert "Kita Fremd" not in _page_text(viewer)
    assert _fingerprint(env.demo) == env.fingerprints[0]


# -- server defaults -------------------------------------------------------------------


def test_server_config_binds_locally_without_statistics() -> None:
    raw = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text("utf-8"))
    assert raw["server"]["address"] in ("localhost", "127.0.0.1")
    assert raw["server"]["maxUploadSize"] == 5
    assert raw["server"]["fileWatcherType"] == "none"
    assert raw["client"]["showErrorDetails"] in ("type", "none")
    assert raw["browser"]["gatherUsageStats"] is False
    # the effective configuration `streamlit run` uses in the repository
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout

    def option(name: str) -> str:
        """The active value (set or default) of an option in `config show` output."""
        found = re.findall(rf"(?m)^(?:# )?{name} = (.*)$", shown)
        assert found, name
        return found[0]

    assert option("address") == '"localhost"'
    assert option("maxUploadSize") == "5"
    assert option("gatherUsageStats") == "false"
    assert option("enableXsrfProtection") == "true"  # uploads need the session's token
    assert option("enableCORS") == "true"


# -- real server and concurrent headless browsers --------------------------------------


def _non_loopback_address() -> str | None:
    """This machine's address on its outgoing interface (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: UDP connect only picks a route
        except OSError:
            return None
        addr = str(s.getsockname()[0])
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


@pytest.fixture(scope="module")
def server(env: Env) -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` with the repository's config (address from config.toml)."""
    from tests.conftest import require_browser

    require_browser()  # skips locally without Chromium, fails in CI
    data_dir = env.root / "server-data"
    shutil.copytree(env.data_dir / "cache", data_dir / "cache")  # prepared networks
    port = bench.free_port()
    log = env.root / "streamlit.log"
    environ = dict(os.environ, ERREICHBARKEIT_DATA_DIR=str(data_dir))
    environ.pop("ERREICHBARKEIT_REGIONS_DIR", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                APP,
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],  # no --server.address: the config file's "localhost" applies
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if not bench.wait_healthy(url, proc):
            pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
        yield url, port
    finally:
        bench.stop_server(proc)


@pytest.mark.slow
def test_server_is_not_reachable_from_other_interfaces(server: tuple[str, int]) -> None:
    _url, port = server
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    addr = _non_loopback_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with pytest.raises(OSError), socket.create_connection((addr, port), timeout=3):
        pass


@pytest.mark.slow
def test_concurrent_browsers_each_see_their_own_state(
    server: tuple[str, int], env: Env, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    url, _port = server
    cat = env.demo.categories[0]
    # the server is cold: the three first page loads wait for one shared first analysis
    village_pick: dict[str, str] = {}
    plans: dict[str, Callable[[Any], None]] = {
        "walk": lambda d: bench.click_mode(d, "walk"),
        "bike-33": lambda d: (bench.click_mode(d, "bike"), _wait(d, 15.0), _thr(d, 33.0)),
        "car-village": lambda d: village_pick.setdefault(
            "name", bench.pick_village(d, 3, timeout=60)
        ),
    }
    drivers: dict[str, Any] = {}
    failures: dict[str, BaseException] = {}
    barrier = threading.Barrier(len(plans), timeout=300)

    def _wait(d: Any, minutes: float) -> None:
        bench.wait_text(d, bench.minutes_text(minutes), timeout=90)

    def _thr(d: Any, minutes: float) -> None:
        bench.set_threshold(d, minutes)
        _wait(d, minutes)

    def worker(name: str, action: Callable[[Any], None]) -> None:
        try:
            d = bench.new_browser(tmp_path / name)
            drivers[name] = d
            barrier.wait()
            d.get(url)
            bench.wait_text(d, bench.minutes_text(10.0), timeout=300)
            barrier.wait()  # all three act at the same time
            action(d)
        except BaseException as exc:
            failures[name] = exc
            barrier.abort()

    threads = [threading.Thread(target=worker, args=item) for item in plans.items()]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not failures, failures
        _wait(drivers["walk"], 20.0)
        _wait(drivers["bike-33"], 33.0)
        name = village_pick["name"]
        bench.wait_text(drivers["car-village"], f"Nächste Angebote von {name}", timeout=90)
        time.sleep(1.0)  # let every page finish its run before reading it

        def metrics(d: Any) -> list[str]:
            d.switch_to.default_content()
            return [
                e.text for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stMetricValue']")
            ]

        texts = {k: bench.body_text(d) for k, d in drivers.items()}
        assert metrics(drivers["walk"]) == _expected(env.demo, cat, "walk", "0-3", 20.0)
        assert metrics(drivers["bike-33"]) == _expected(env.demo, cat, "bike", "0-3", 33.0)
        assert metrics(drivers["car-village"]) == _expected(env.demo, cat, "car", "0-3", 10.0)
        own = {"walk": "innerhalb 20,0 min", "bike-33": "innerhalb 33,0 min"}
        own["car-village"] = "innerhalb 10,0 min"
        for k, text in texts.items():
            for other, marker in own.items():
                assert (marker in text) == (k == other), (k, marker)
        assert f"Nächste Angebote von {name}" not in texts["walk"] + texts["bike-33"]
    finally:
        for d in drivers.values():
            with contextlib.suppress(Exception):
                d.quit()


# -- the load benchmark ------------------------------------------------------------------


def test_bench_load_quick(env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    shutil.copytree(env.data_dir / "cache", work / "data" / "cache")  # prepared networks
    assert bench.main(["--quick", "--work", str(work)]) == 0
    out = capsys.readouterr().out
    assert "| part | interaction | n | p50 | p90 | p99 | max | errors |" in out
    rows = [ln for ln in out.splitlines() if ln.startswith("| 3 sessions |")]
    names = {ln.split(" | ")[1] for ln in rows}
    assert {"Seite öffnen", "Verkehrsmittel", "Liste hochladen"} <= names
    assert all(ln.endswith("| 0 |") for ln in rows), rows
    assert "errors: 0" in out
    # the harness restores Streamlit's own runtime handling
    from streamlit.runtime import Runtime

    assert not Runtime.exists()


def test_percentiles_are_exact() -> None:
    assert bench.percentiles([2.0]) == (2.0, 2.0, 2.0)
    values = [float(i) for i in range(1, 102)]  # 1 … 101
    assert bench.percentiles(values) == pytest.approx((51.0, 91.0, 100.0))
    assert bench.minutes_text(15) == "innerhalb 15,0 min"
