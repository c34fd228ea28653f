"""Bounded load test of the dashboard on this machine only (loopback).

Why: a youth office runs one dashboard server for a team.  Several planners
click at the same time; every session must keep its own state, nothing may
fail, and the answer time and the server's memory must stay acceptable.

Two parts, one after the other, each bounded by ``--duration`` seconds:

1. **Sessions** (``--sessions``, default 20): that many sessions of the real
   ``app.py`` in threads of this process with Streamlit's
   :class:`~streamlit.testing.v1.AppTest`, all sharing the process-wide
   caches exactly as the sessions of one server do (one Python process, one
   GIL, shared ``st.cache_resource``).  Each session opens the page, then
   repeats *Verkehrsmittel* → *Schwellenwert* → *Ort auswählen* with a
   random think time (``--think``, mean seconds); every fifth session also
   uploads a small offers list once, and every fifth round a session is
   closed and a new one opened.  Latency is the server-side time of one
   script run (building the page and the map), without network and drawing.
2. **Browsers** (``--browsers``, default 3): a real ``streamlit run`` server
   bound to ``127.0.0.1`` on a free port and that many headless Chromium
   browsers (Debian ``chromium`` + ``chromium-driver``; skipped with a note
   when absent) doing the same interactions over the websocket.  Latency is
   click → the changed text is on the page (server run, websocket, React).

Nothing but ``127.0.0.1`` is ever contacted.  An *error* is an exception on
the page, a German error box, a page without key figures, or a browser wait
that timed out; the script exits with 1 when there was any.  Memory is the
resident set size (``/proc``) of this process (part 1) and of the server
process (part 2), sampled every 0.5 s; the peak is ``VmHWM``.

Usage::

    .venv/bin/python benchmarks/bench_load.py              # 20 sessions, 3 browsers, 120 s each
    .venv/bin/python benchmarks/bench_load.py --sessions 40 --browsers 0 --duration 300
    .venv/bin/python benchmarks/bench_load.py --quick      # smoke: 3 sessions, 4 s, no browsers
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
LOOPBACK = "127.0.0.1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

#: A small offers list in the planners' format (one Kita in Beispielstadt).
UPLOAD_CSV = (
    "Name;Kategorie;Breitengrad;Längengrad\nKita Lasttest;Kita;50,951000;9,010000\n"
).encode()

#: The interactions in the order of the table.
INTERACTIONS = (
    "Seite öffnen",
    "Verkehrsmittel",
    "Schwellenwert",
    "Ort auswählen",
    "Liste hochladen",
)


# -- running AppTest sessions concurrently ------------------------------------------------


@contextlib.contextmanager
def concurrent_apptest() -> Iterator[None]:
    """Let several :class:`AppTest` sessions run in threads of one process at once.

    ``AppTest.run`` installs a mock ``Runtime`` singleton and patches
    ``streamlit.config.get_option`` (``global.appTest``) for the duration of
    one run and removes both at its end, so with two runs overlapping one
    run's clean-up pulls them away under the other (and the config patch can
    leak).  Inside this block every run sees one shared mock runtime and the
    flag stays set – as on a real server, where all sessions share one
    ``Runtime``.  Streamlit offers no switch for this; hence the patch.
    """
    from unittest.mock import MagicMock

    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import (
        MemoryCacheStorageManager,
    )
    from streamlit.runtime.dataframe_source_manager import (
        DataframeSourceManager,
    )
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import (
        MemoryMediaFileStorage,
    )
    from streamlit.testing.v1 import app_test, util

    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.dataframe_source_mgr = DataframeSourceManager()
    shared.cache_storage_manager = MemoryCacheStorageManager()
    saved = (
        Runtime.__dict__["instance"],
        Runtime.__dict__["exists"],
        app_test.patch_config_options,
    )
    Runtime.instance = classmethod(lambda cls: shared)  # type: ignore[method-assign,assignment]
    Runtime.exists = classmethod(lambda cls: True)  # type: ignore[method-assign,assignment]
    app_test.patch_config_options = lambda overrides: contextlib.nullcontext()  # type: ignore[assignment]
    try:
        with util.patch_config_options({"global.appTest": True}):
            yield
    finally:
        Runtime.instance, Runtime.exists, app_test.patch_config_options = saved  # type: ignore[method-assign]
        Runtime._instance = None


# -- measurements ------------------------------------------------------------------------


def proc_rss_mib(pid: int | str = "self") -> tuple[float, float] | None:
    """Current and peak resident set size in MiB (``VmRSS``, ``VmHWM``), or None."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = float(rest.split()[0]) / 1024  # kB
    if len(values) < 2:
        return None
    return values["VmRSS"], values["VmHWM"]


class MemorySampler(threading.Thread):
    """Samples the RSS of one process every ``every`` seconds until stopped."""

    def __init__(self, pid: int | str = "self", every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.samples: list[float] = []
        self.peak: float | None = None
        self.baseline: float | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._sample()
            self._stop_event.wait(self.every)
        self._sample()

    def _sample(self) -> None:
        got = proc_rss_mib(self.pid)
        if got is not None:
            self.samples.append(got[0])
            self.peak = got[1]

    def mark(self) -> None:
        """Remember the current RSS as the baseline (after the warm-up)."""
        got = proc_rss_mib(self.pid)
        self.baseline = got[0] if got is not None else None

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


@dataclass
class Record:
    """Latencies and errors per interaction, shared by the worker threads."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, seconds: float) -> None:
        with self.lock:
            self.times[what].append(seconds)

    def fail(self, what: str, message: str) -> None:
        with self.lock:
            self.errors[what] += 1
            if len(self.messages) < 20:
                self.messages.append(f"{what}: {message}")

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p90 and p99 (inclusive method: stays within the measured range)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[89], q[98]


# -- part 1: AppTest sessions ------------------------------------------------------------


def _page_problem(at: Any) -> str | None:
    """Why a finished run counts as an error, or None."""
    if at.exception:
        return str(at.exception[0].value)
    if at.error:
        return str(at.error[0].value)
    if len(at.metric) < 4:
        return "no key figures on the page"
    return None


def _timed_run(record: Record, what: str, run: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        at = run()
    except Exception as exc:  # a harness/timeout failure is a load-test error, not a crash
        record.fail(what, repr(exc))
        return None
    elapsed = time.perf_counter() - started
    problem = _page_problem(at)
    if problem is not None:
        record.fail(what, problem)
        return None
    record.add(what, elapsed)
    return at


def _session_worker(
    index: int,
    record: Record,
    deadline: float,
    think: float,
    start: threading.Barrier,
) -> None:
    from streamlit.testing.v1 import AppTest

    rng = random.Random(index)

    def pause() -> None:
        if think > 0:
            time.sleep(min(rng.uniform(0, 2 * think), max(0.0, deadline - time.monotonic())))

    def open_page() -> Any:
        return _timed_run(
            record,
            "Seite öffnen",
            lambda: AppTest.from_file(APP, default_timeout=300).run(),
        )

    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait(timeout=600)
    at = open_page()
    if at is not None and index % 5 == 0:
        at = _timed_run(
            record,
            "Liste hochladen",
            lambda: (
                at.file_uploader(key="upload_file")
                .set_value(("lasttest.csv", UPLOAD_CSV, "text/csv"))
                .run()
            ),
        )
    rounds = 0

    def over() -> bool:
        """Past the deadline, after the first full round (each interaction is measured once)."""
        return rounds > 1 and time.monotonic() >= deadline

    while at is not None and (rounds == 0 or time.monotonic() < deadline):
        rounds += 1
        modes = at.sidebar.radio(key="mode").options
        mode = modes[rng.randrange(len(modes))]
        pause()
        at = _timed_run(
            record,
            "Verkehrsmittel",
            lambda at=at, mode=mode: at.sidebar.radio(key="mode").set_value(mode).run(),
        )
        if at is None or over():
            break
        category = at.session_state["categories"][0]
        key = f"thr_{category}_{at.session_state['mode']}"
        minutes = float(rng.randint(5, 40))
        pause()
        at = _timed_run(
            record,
            "Schwellenwert",
            lambda at=at, key=key, minutes=minutes: (
                at.sidebar.number_input(key=key).set_value(minutes).run()
            ),
        )
        if at is None or over():
            break
        options = at.selectbox(key="village").options
        village = options[rng.randrange(len(options))]
        pause()
        at = _timed_run(
            record,
            "Ort auswählen",
            lambda at=at, village=village: at.selectbox(key="village").set_value(village).run(),
        )
        if at is not None and rounds % 5 == 0 and time.monotonic() < deadline:
            pause()
            at = open_page()  # the user closes the tab and opens a new one


def run_sessions(n: int, duration: float, think: float) -> tuple[Record, MemorySampler, float]:
    """Part 1: ``n`` concurrent AppTest sessions for ``duration`` seconds.

    Returns the record, the memory sampler of this process and the seconds of
    the first (cold) page run, which fills the shared caches.
    """
    from streamlit.testing.v1 import AppTest

    record = Record()
    sampler = MemorySampler()
    sampler.start()
    with concurrent_apptest():
        started = time.perf_counter()
        warm = AppTest.from_file(APP, default_timeout=600).run()
        cold = time.perf_counter() - started
        problem = _page_problem(warm)
        if problem is not None:
            record.fail("Erstanalyse", problem)
            sampler.stop()
            return record, sampler, cold
        sampler.mark()
        start = threading.Barrier(n)
        deadline = time.monotonic() + duration
        threads = [
            threading.Thread(
                target=_session_worker, args=(i, record, deadline, think, start), daemon=True
            )
            for i in range(n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 900)
        if any(t.is_alive() for t in threads):
            record.fail("Sitzung", "a session thread did not finish in time")
    sampler.stop()
    return record, sampler, cold


# -- part 2: real server and headless browsers ------------------------------------------


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, log: Path, *, port: int) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` bound to 127.0.0.1 (stopped by the caller)."""
    env = dict(os.environ)
    env["ERREICHBARKEIT_DATA_DIR"] = str(data_dir)
    env.pop("ERREICHBARKEIT_REGIONS_DIR", None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                APP,
                "--server.headless",
                "true",
                "--server.address",
                LOOPBACK,
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], *, timeout: float = 60) -> bool:
    """Wait for ``/_stcore/health``; False when the server died or timed out."""
    if urlparse(url).hostname != LOOPBACK:
        msg = f"load test only on {LOOPBACK}, not {url}"
        raise ValueError(msg)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server started by :func:`start_server` (by its own handle)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def browsers_available() -> str | None:
    """None when headless Chromium can be driven, else the reason why not."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return "Debian's chromium and chromium-driver are not installed"
    return None


def new_browser(profile: Path) -> Any:
    """A headless Chromium (flags as in ``tests/test_browser.py``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def body_text(driver: Any) -> str:
    """The visible text of the Streamlit page (outside the map iframe)."""
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    return str(driver.find_element(By.TAG_NAME, "body").text)


def wait_text(driver: Any, text: str, *, timeout: float) -> None:
    """Wait until ``text`` is on the page; raise on timeout or a Streamlit exception box."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d: Any) -> bool:
        d.switch_to.default_content()
        if d.find_elements(By.CSS_SELECTOR, "[data-testid='stException']"):
            msg = "exception on the page"
            raise RuntimeError(msg)
        return text in d.find_element(By.TAG_NAME, "body").text

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(ready)


def minutes_text(minutes: float) -> str:
    """The KPI label fragment for a threshold (``innerhalb 15,0 min``)."""
    return f"innerhalb {minutes:.1f} min".replace(".", ",")


MODE_LABELS = {"car": "Auto", "bike": "Fahrrad", "walk": "zu Fuß"}
#: Default Kita thresholds per mode (categories.toml) – what the KPI label shows.
KITA_DEFAULT = {"car": 10.0, "bike": 15.0, "walk": 20.0}


def _retrying[T](action: Callable[[], T], *, timeout: float) -> T:
    """Run a browser action, retrying while Streamlit re-renders the page.

    Elements may not exist yet, go stale, or be covered for a moment while
    other sessions' script runs finish; retry until ``timeout``.
    """
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )

    transient = (
        ElementClickInterceptedException,
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except transient:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def click_mode(driver: Any, mode: str, *, timeout: float = 30.0) -> None:
    """Click a Verkehrsmittel label in the sidebar."""
    from selenium.webdriver.common.by import By

    def act() -> None:
        driver.switch_to.default_content()
        driver.find_element(
            By.XPATH,
            "//section[@data-testid='stSidebar']//label"
            f"[contains(., '{MODE_LABELS[mode]}')][.//input[@type='radio']]",
        ).click()

    _retrying(act, timeout=timeout)


def set_threshold(driver: Any, minutes: float, *, timeout: float = 30.0) -> None:
    """Type a threshold into the first Schwellenwert field and confirm with Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def act() -> None:
        driver.switch_to.default_content()
        box = driver.find_element(
            By.XPATH,
            "//section[@data-testid='stSidebar']//div[@data-testid='stNumberInput']//input",
        )
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(f"{minutes:.0f}", Keys.ENTER)

    _retrying(act, timeout=timeout)


def pick_village(driver: Any, index: int, *, timeout: float) -> str:
    """Open the Ort auswählen box and click an option other than the current one.

    Returns the chosen village's name.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    def act() -> str:
        driver.switch_to.default_content()
        box = WebDriverWait(driver, 10).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "input[aria-label='Ort auswählen']"))
        )
        current = box.get_attribute("value")
        box.find_element(By.XPATH, "following-sibling::button").click()
        options = WebDriverWait(driver, 15).until(
            ec.presence_of_all_elements_located((By.CSS_SELECTOR, "[role='option']"))
        )
        others = [o for o in options if str(o.text).strip() != current]
        option = others[index % len(others)]
        name = str(option.text).strip()
        option.click()
        return name

    return _retrying(act, timeout=timeout)


def _browser_worker(
    index: int,
    url: str,
    *,
    profile: Path,
    record: Record,
    deadline: float,
    think: float,
    start: threading.Barrier,
) -> None:
    rng = random.Random(1000 + index)
    timeout = 60.0
    try:
        driver = new_browser(profile)
    except Exception as exc:  # no browser: counted, the others go on
        record.fail("Browser starten", repr(exc))
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=1)
        return
    try:
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=600)

        def step(what: str, action: Callable[[], str | None], expect: str | None) -> bool:
            if think > 0:
                time.sleep(min(rng.uniform(0, 2 * think), max(0.0, deadline - time.monotonic())))
            started = time.perf_counter()
            try:
                got = action()
                wait_text(driver, expect or got or "", timeout=timeout)
            except Exception as exc:  # a timeout or an exception box: one error
                record.fail(what, f"{type(exc).__name__}: {str(exc)[:200]}")
                return False
            record.add(what, time.perf_counter() - started)
            return True

        mode = "car"
        ok = step("Seite öffnen", lambda: driver.get(url), minutes_text(KITA_DEFAULT["car"]))
        thresholds = dict(KITA_DEFAULT)
        while ok and time.monotonic() < deadline:
            mode = rng.choice([m for m in MODE_LABELS if m != mode])
            m = mode
            ok = step(
                "Verkehrsmittel", lambda m=m: click_mode(driver, m), minutes_text(thresholds[m])
            )
            if not ok or time.monotonic() >= deadline:
                break
            minutes = float(rng.choice([v for v in range(5, 41) if v != thresholds[mode]]))
            thresholds[mode] = minutes
            ok = step(
                "Schwellenwert",
                lambda minutes=minutes: set_threshold(driver, minutes),
                minutes_text(minutes),
            )
            if not ok or time.monotonic() >= deadline:
                break
            k = rng.randrange(1000)
            ok = step(
                "Ort auswählen",
                lambda k=k: "Nächste Angebote von " + pick_village(driver, k, timeout=timeout),
                None,
            )
    finally:
        driver.quit()


def run_browsers(
    n: int, duration: float, think: float, work: Path
) -> tuple[Record, MemorySampler | None, str | None]:
    """Part 2: a server on 127.0.0.1 and ``n`` concurrent headless browsers.

    Returns the record, the server's memory sampler and a reason when skipped.
    """
    record = Record()
    reason = browsers_available()
    if reason is not None:
        return record, None, reason
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    proc = start_server(work / "server-data", work / "streamlit.log", port=port)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    try:
        if not wait_healthy(url, proc):
            record.fail("Server starten", (work / "streamlit.log").read_text(errors="replace"))
            return record, sampler, None
        # warm-up (not timed): the first session runs the analysis and fills the caches
        driver = new_browser(work / "profile-warmup")
        try:
            driver.get(url)
            wait_text(driver, minutes_text(KITA_DEFAULT["car"]), timeout=600)
        finally:
            driver.quit()
        sampler.mark()
        start = threading.Barrier(n)
        deadline = time.monotonic() + duration
        threads = [
            threading.Thread(
                target=_browser_worker,
                args=(i, url),
                kwargs={
                    "profile": work / f"profile-{i}",
                    "record": record,
                    "deadline": deadline,
                    "think": think,
                    "start": start,
                },
                daemon=True,
            )
            for i in range(n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 600)
        if any(t.is_alive() for t in threads):
            record.fail("Browser", "a browser thread did not finish in time")
    except Exception as exc:  # report, do not leave the server running
        record.fail("Browser", repr(exc))
    finally:
        stop_server(proc)
        sampler.stop()
    return record, sampler, None


# -- report -------------------------------------------------------------------------------


def table(part: str, record: Record) -> list[str]:
    """Markdown rows of one part: n, percentiles, max and errors per interaction."""
    rows = []
    names = [w for w in INTERACTIONS if w in record.times or w in record.errors]
    names += sorted(set(record.errors) - set(names))
    for what in names:
        values = record.times.get(what, [])
        errors = record.errors.get(what, 0)
        if values:
            p50, p90, p99 = percentiles(values)
            cells = f"{p50:.2f} | {p90:.2f} | {p99:.2f} | {max(values):.2f}"
        else:
            cells = "– | – | – | –"
        rows.append(f"| {part} | {what} | {len(values)} | {cells} | {errors} |")
    return rows


def _mib(sampler: MemorySampler | None) -> str:
    if sampler is None or not sampler.samples:
        return "–"
    base = f"{sampler.baseline:.0f}" if sampler.baseline is not None else "–"
    peak = f"{sampler.peak:.0f}" if sampler.peak is not None else "–"
    return f"after warm-up {base}, at the end {sampler.samples[-1]:.0f}, peak {peak} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="AppTest sessions (part 1)")
    parser.add_argument("--browsers", type=int, default=3, help="headless browsers (part 2)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per part")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between clicks")
    parser.add_argument("--quick", action="store_true", help="3 sessions, 4 s, no browsers")
    parser.add_argument(
        "--work", type=Path, default=None, help="data folder (kept; default: a temporary one)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.browsers, args.duration, args.think = 3, 0, 4.0, 0.0
    if args.sessions < 0 or args.browsers < 0 or args.duration <= 0:
        parser.error("--sessions/--browsers must be >= 0 and --duration > 0")
    saved_env = {
        k: os.environ.get(k) for k in ("ERREICHBARKEIT_DATA_DIR", "ERREICHBARKEIT_REGIONS_DIR")
    }
    lines: list[str] = []
    notes: list[str] = []
    n_errors = 0
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            os.environ["ERREICHBARKEIT_DATA_DIR"] = str(work / "data")
            os.environ.pop("ERREICHBARKEIT_REGIONS_DIR", None)
            if args.sessions:
                record, sampler, cold = run_sessions(args.sessions, args.duration, args.think)
                lines += table(f"{args.sessions} sessions", record)
                n_errors += record.n_errors
                notes.append(f"first (cold) analysis before part 1: {cold:.1f} s")
                notes.append(f"this process RSS during part 1: {_mib(sampler)}")
                notes += [f"error: {m}" for m in record.messages]
            if args.browsers:
                if (work / "data" / "cache").is_dir():  # reuse the prepared OSRM networks
                    shutil.copytree(
                        work / "data" / "cache", work / "server-data" / "cache", dirs_exist_ok=True
                    )
                record_b, server, reason = run_browsers(
                    args.browsers, args.duration, args.think, work
                )
                if reason is not None:
                    notes.append(f"browsers: skipped ({reason})")
                else:
                    lines += table(f"{args.browsers} browsers", record_b)
                    n_errors += record_b.n_errors
                    notes.append(f"server RSS during part 2: {_mib(server)}")
                    notes += [f"error: {m}" for m in record_b.messages]
        finally:
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    print(
        f"\nload on {LOOPBACK} only; {args.duration:g} s per part, mean think time "
        f"{args.think:g} s; latency in seconds\n"
    )
    print("| part | interaction | n | p50 | p90 | p99 | max | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for line in lines:
        print(line)
    print()
    for note in notes:
        print(f"- {note}")
    print(f"\nerrors: {n_errors}")
    return 0 if n_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
