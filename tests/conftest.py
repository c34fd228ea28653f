"""Shared test fixtures.

The real data lives beside the repository in ``../shared/data`` (never copied
into the repo).  Point ``ERREICHBARKEIT_SHARED_DATA`` elsewhere to use another
location; tests that need it skip with a clear reason where it is absent.

The browser fixtures (``dashboard_url``, ``chrome``) start one Streamlit
server with the demo and one headless Chromium for all browser tests; without
Chromium they skip, but in CI (``CI`` set) they fail: the browser tests are
mandatory there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

# Runs with a grid surface would start the CH preparation of bike and walk in a
# detached background process (network/grid_networks.py): not from the test
# suite, whose runs must leave no process behind. Tests of that policy set it.
os.environ.setdefault("ERREICHBARKEIT_GRID_CH", "off")


def shared_data_dir() -> Path:
    """Folder of the real data (``$ERREICHBARKEIT_SHARED_DATA`` or ``../shared/data``)."""
    env = os.environ.get("ERREICHBARKEIT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; skips the test where it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real data not found at {path} (set ERREICHBARKEIT_SHARED_DATA to the "
            "shared/data folder to run this test)"
        )
    return path


def need_shared(relpath: str) -> Path:
    """Return a file below the shared data folder or skip the calling test."""
    path = shared_data_dir() / relpath
    if not path.exists():
        pytest.skip(f"real data file {relpath} not found below {shared_data_dir()}")
    return path


# -- headless browser (Debian chromium + chromium-driver) -------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (``None``: they can)."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed"
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return (
            f"Debian's chromium and chromium-driver are missing ({CHROMIUM}, {CHROMEDRIVER}; "
            "apt-get install chromium chromium-driver)"
        )
    return None


def browser_required(env: Mapping[str, str] | None = None) -> bool:
    """Whether a missing browser fails the run: in CI (``CI`` set, e.g. ``CI=true``)."""
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def require_browser(*, allow_module_level: bool = False) -> None:
    """Skip without a headless browser; in CI fail instead (the browser tests are mandatory)."""
    reason = browser_missing()
    if reason is None:
        return
    if browser_required():
        pytest.fail(f"browser tests are mandatory in CI, but {reason}", pytrace=False)
    pytest.skip(f"headless browser test: {reason}", allow_module_level=allow_module_level)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def dashboard_server(data_dir: Path, log: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port with ``data_dir``; yields its URL."""
    port = _free_port()
    env = dict(os.environ)
    env["ERREICHBARKEIT_DATA_DIR"] = str(data_dir)
    env.pop("ERREICHBARKEIT_REGIONS_DIR", None)
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")]
    cmd += ["--server.headless", "true", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard with the demo (one server per test run)."""
    require_browser()
    data = tmp_path_factory.mktemp("browserdata")
    with dashboard_server(data, tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium (1600×1000, performance log on) shared by the browser tests."""
    require_browser()
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
        "--lang=de-DE",
        "--window-size=1600,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
