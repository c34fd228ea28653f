"""Reopening a computed region after a server restart, in real headless Chromium.

Why (issue #13, item 1): results of a run are stored once
(:mod:`erreichbarkeit.pipeline.store`), so that a region computed earlier — by
the dashboard before a restart, or by ``erreichbarkeit analyse --config …`` —
opens in the dashboard without recomputing.  Goal: from a server restart,
choosing an already computed region shows its map in **< 3 s**.

What is measured, in one run on this machine:

1. *Baseline*: ``erreichbarkeit analyse --config <region> --neu-berechnen``
   with the networks already prepared (warm network cache) — what opening
   the region would cost without stored results.
2. A fresh ``streamlit run app.py`` (new process, empty Streamlit caches)
   and headless Chromium: *first page* = page load until the Beispielkreis
   map (the default region, computed by a warm-up server earlier) is drawn;
   *region switch* = choosing the region in the sidebar's „Region“ box until
   its map is drawn (the script run finished, the box shows the region, the
   page's key figures changed from the previous region's, Leaflet's panes
   inside the map iframe).  Repeated ``--repeats`` times,
   each with a new server process (median reported).

The ratio *baseline / region switch* says how much the stored results save.

Usage::

    .venv/bin/python benchmarks/bench_reopen.py                 # Göttingen (shared data)
    .venv/bin/python benchmarks/bench_reopen.py --quick         # the demo's Jugendamt area

Data: Göttingen (OpenMapTiles GeoPackage, Zensus Gemeinden, 250 m grid from
the Zensus 2011 1 km grid) from ``$ERREICHBARKEIT_SHARED_DATA`` or
``../shared/data``; ``--quick`` uses the Beispielkreis' Kreisjugendamt area
instead (always available).  Needs Debian's ``chromium`` and
``chromium-driver``; without them the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dashboard import goettingen_region
from bench_load import (
    browsers_available,
    free_port,
    new_browser,
    start_server,
    stop_server,
    wait_healthy,
)

REPO = Path(__file__).resolve().parents[1]
GOAL_S = 3.0
#: Where a failed session leaves the page text, a screenshot and the server log.
FAILED_DIR = Path(tempfile.gettempdir()) / "bench-reopen-failed"
#: The picker's label of the built-in demo (the default region).
DEMO_LABEL = "Beispielkreis (fiktiv, eingebaut)"


def _cli(data_dir: Path, *args: str) -> float:
    """Run ``erreichbarkeit …`` with the dashboard's data folder; seconds taken."""
    env = dict(os.environ, ERREICHBARKEIT_DATA_DIR=str(data_dir))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "erreichbarkeit.cli.main", *args, "-q"],
        cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def _map_drawn(driver: Any, label: str, before: str | None) -> bool:
    """The region ``label`` is chosen, its run shown and Leaflet drew the map.

    ``before`` is the page text of the previous region: the new region's key
    figures must differ from it (the old page stays on screen while it loads).
    """
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    boxes = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
    if boxes:
        msg = f"exception on the page: {boxes[0].text[:2000]}"
        raise RuntimeError(msg)
    if driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget'] img"):
        return False  # the script is still running
    chosen = driver.find_elements(By.CSS_SELECTOR, "input[aria-label='Region']")
    if not chosen or chosen[0].get_attribute("value") != label:
        return False
    text = driver.find_element(By.TAG_NAME, "body").text
    if before is not None and text == before:
        return False
    frames = driver.find_elements(By.CSS_SELECTOR, "iframe[title*='folium']")
    if not frames:
        return False
    try:
        driver.switch_to.frame(frames[0])
        return bool(driver.find_elements(By.CSS_SELECTOR, ".leaflet-container .leaflet-pane"))
    finally:
        driver.switch_to.default_content()


def _wait_map(driver: Any, label: str, *, before: str | None = None, timeout: float) -> float:
    """Seconds until :func:`_map_drawn`; raise on timeout."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if _map_drawn(driver, label, before):
                return time.perf_counter() - started
        except RuntimeError:
            raise
        except Exception:  # the page re-renders: elements go stale
            pass
        time.sleep(0.05)
    msg = f"map of {label!r} not drawn within {timeout:.0f} s"
    raise TimeoutError(msg)


def _page_text(driver: Any) -> str:
    driver.switch_to.default_content()
    return str(driver.find_element("tag name", "body").text)


def _choose_region(driver: Any, label: str) -> None:
    """Open the sidebar's „Region“ box and click ``label``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.switch_to.default_content()
    box = WebDriverWait(driver, 20).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "input[aria-label='Region']"))
    )
    box.click()
    options = WebDriverWait(driver, 20).until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, "[role='option']"))
    )
    for option in options:
        if str(option.text).strip() == label:
            option.click()
            return
    msg = f"region {label!r} not offered: {[o.text for o in options]}"
    raise LookupError(msg)


def _session(data_dir: Path, work: Path, label: str, i: int) -> tuple[float, float]:
    """One restart: seconds to the first map and to the chosen region's map."""
    port = free_port()
    proc = start_server(data_dir, work / f"server{i}.log", port=port)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}"
        _check_started(url, proc, work / f"server{i}.log")
        driver = new_browser(work / f"profile{i}")
        driver.set_window_size(1600, 1000)
        started = time.perf_counter()
        driver.get(url)
        _wait_map(driver, DEMO_LABEL, timeout=300)
        first = time.perf_counter() - started
        before = _page_text(driver)
        started = time.perf_counter()
        _choose_region(driver, label)
        _wait_map(driver, label, before=before, timeout=600)
        switch = time.perf_counter() - started
    except Exception:
        _keep_evidence(driver, work / f"server{i}.log")
        raise
    else:
        return first, switch
    finally:
        if driver is not None:
            driver.quit()
        stop_server(proc)


def _check_started(url: str, proc: Any, log: Path) -> None:
    """Raise when the server did not answer its health check."""
    if not wait_healthy(url, proc, timeout=90):
        msg = f"server did not start (see {log})"
        raise RuntimeError(msg)


def _keep_evidence(driver: Any, log: Path) -> None:
    """On failure: the page text, a screenshot and the server log in ``FAILED_DIR``."""
    FAILED_DIR.mkdir(parents=True, exist_ok=True)
    if log.exists():
        shutil.copy(log, FAILED_DIR / log.name)
    if driver is not None:
        with contextlib.suppress(Exception):
            driver.switch_to.default_content()
            driver.save_screenshot(str(FAILED_DIR / "page.png"))
            (FAILED_DIR / "page.txt").write_text(driver.find_element("tag name", "body").text)
    print(f"evidence of the failure in {FAILED_DIR}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0 (1 when a session failed)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the demo's Jugendamt area, 1 repeat")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    reason = browsers_available()
    if reason:
        print(f"skipped: {reason}")
        return 0
    repeats = 1 if args.quick else args.repeats
    with tempfile.TemporaryDirectory(prefix="bench-reopen-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        # warm-up server: generates the Beispielkreis and stores its run
        first_warm, _ = _warm_up(data_dir, work)
        if args.quick:
            region = data_dir / "generated" / "beispielkreis" / "jugendamt.toml"
            label, name = "Kreisjugendamt Beispielkreis (fiktiv, eingebaut)", "demo area"
        else:
            found = goettingen_region(data_dir / "regions")
            if found is None:
                print("skipped: Göttingen data not found")
                return 0
            region, label, name = found, "Göttingen (OpenMapTiles)", "goettingen"
        out = work / "out"
        _cli(data_dir, "analyse", "--config", str(region), "--out", str(out))  # networks + store
        baseline = _cli(
            data_dir, "analyse", "--config", str(region), "--out", str(out), "--neu-berechnen"
        )
        _cli(data_dir, "analyse", "--config", str(region), "--out", str(out))  # store current
        firsts, switches = [], []
        for i in range(repeats):
            first, switch = _session(data_dir, work, label, i)
            firsts.append(first)
            switches.append(switch)
        med_first, med_switch = statistics.median(firsts), statistics.median(switches)
    print(f"| case | seconds (median of {repeats}) | vs goal {GOAL_S:.0f} s | baseline / this |")
    print("| --- | ---: | --- | ---: |")
    print(f"| warm-up: first start, Beispielkreis computed | {first_warm:.1f} | – | – |")
    print(
        f"| baseline: `analyse --neu-berechnen`, {name}, warm networks | {baseline:.1f} "
        "| – | 1.0× |"
    )
    print(
        f"| restart → first page (Beispielkreis from the store) | {med_first:.2f} | "
        f"{'met' if med_first < GOAL_S else 'NOT met'} | {baseline / med_first:.0f}× |"
    )
    print(
        f"| restart → choose {name} (computed by the CLI) → map | {med_switch:.2f} | "
        f"{'met' if med_switch < GOAL_S else 'NOT met'} | {baseline / med_switch:.0f}× |"
    )
    return 0


def _warm_up(data_dir: Path, work: Path) -> tuple[float, float]:
    """A first server run: the demo is generated, computed and stored."""
    port = free_port()
    proc = start_server(data_dir, work / "warmup.log", port=port)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}"
        _check_started(url, proc, work / "warmup.log")
        driver = new_browser(work / "profile-warmup")
        started = time.perf_counter()
        driver.get(url)
        _wait_map(driver, DEMO_LABEL, timeout=600)
        return time.perf_counter() - started, 0.0
    finally:
        if driver is not None:
            driver.quit()
        stop_server(proc)


if __name__ == "__main__":
    sys.exit(main())
