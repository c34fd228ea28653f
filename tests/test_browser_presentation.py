"""The Besprechung page's presentation mode in a real headless Chromium at 1280×720.

Uses the test run's dashboard server (``tests/conftest.py``: the fictional
Beispielkreis in a temporary data folder), opens
``/besprechung?praesentation=1`` in a 1280×720 viewport and checks with the
elements' bounding rectangles that the title, the control bar, the key
figures, the map and the legend lie inside the viewport (no scrolling),
that the legend does not overlap the map, that no key-figure label is cut
off, that the sidebar is hidden, that the map is fitted to the villages and
that the shown village labels do not overlap.  The same for the
Gemeinde map.  Screenshots go to ``test-artifacts/``.

Needs Debian's ``chromium`` and ``chromium-driver`` and selenium; without
them the test is skipped, except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 720

pytestmark = pytest.mark.slow

Rect = dict[str, float]


@pytest.fixture
def server(dashboard_url: str) -> str:
    """The test run's dashboard server (``tests/conftest.py``: the demo, one per run)."""
    return dashboard_url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_browser()  # skips locally without Chromium, fails in CI
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--window-size={WIDTH},{HEIGHT}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):  # fmt: skip
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    # exactly 1280×720 CSS pixels of viewport (the window size includes no chrome
    # in headless mode, but this does not depend on it)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield driver
    finally:
        driver.quit()


def _rect(driver: Any, css: str) -> Rect:
    """The bounding rectangle of the first element matching ``css`` (main document)."""
    driver.switch_to.default_content()
    rect = driver.execute_script(
        "var e = document.querySelector(arguments[0]);"
        "if (!e) { return null; }"
        "var r = e.getBoundingClientRect();"
        "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};",
        css,
    )
    assert rect is not None, f"no element {css}"
    return {k: float(v) for k, v in rect.items()}


def _inside(r: Rect, what: str) -> None:
    assert r["right"] - r["left"] > 50 and r["bottom"] - r["top"] > 20, (what, r)
    assert r["left"] >= 0 and r["top"] >= 0, (what, r)
    assert r["right"] <= WIDTH and r["bottom"] <= HEIGHT, (what, r)


def _overlap(a: Rect, b: Rect) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def _enter_map(driver: Any) -> bool:
    """Switch into the map iframe; False while it (re)mounts."""
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    frames = driver.find_elements(By.CSS_SELECTOR, "iframe[title*='folium']")
    if not frames:
        return False
    try:
        driver.switch_to.frame(frames[0])
        return bool(driver.find_elements(By.CSS_SELECTOR, ".leaflet-container"))
    except Exception:
        driver.switch_to.default_content()
        return False


def _wait(driver: Any, check: Any, timeout: float = 240) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.5).until(check)


def _no_toast(driver: Any) -> bool:
    driver.switch_to.default_content()
    return not driver.execute_script("return document.querySelector('[data-testid=stToast]')")


def _main_text(driver: Any) -> str:
    driver.switch_to.default_content()
    return str(driver.execute_script("return document.body.innerText"))


_LABELS_JS = """
var out = [];
document.querySelectorAll('.ek-label-shown span').forEach(function (s) {
    var r = s.getBoundingClientRect();
    out.push([r.left, r.top, r.right, r.bottom]);
});
return out;
"""

_VILLAGES_JS = """
var xs = [], ys = [];
document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').forEach(function (p) {
    var d = p.getAttribute('d') || '';
    if (d.indexOf('a9,9') < 0) { return; }  // circle markers of radius 9: the area's villages
    var r = p.getBoundingClientRect();
    xs.push(r.left, r.right); ys.push(r.top, r.bottom);
});
var c = document.querySelector('.leaflet-container').getBoundingClientRect();
if (!xs.length) { return null; }
return [Math.min.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, xs),
        Math.max.apply(null, ys), c.width, c.height, xs.length / 2];
"""


def _check_layout(driver: Any) -> tuple[Rect, Rect]:
    """Title, controls, key figures, map and legend in the viewport; the legend beside the map."""
    driver.switch_to.default_content()
    assert driver.execute_script("return [innerWidth, innerHeight]") == [WIDTH, HEIGHT]
    assert driver.execute_script("return document.scrollingElement.scrollTop") == 0
    sidebar = driver.execute_script(
        "var s = document.querySelector('section[data-testid=\"stSidebar\"]');"
        "return s ? s.getBoundingClientRect().width : 0;"
    )
    assert sidebar == 0, "the sidebar is visible"
    title = _rect(driver, ".st-key-pm_page h4")
    kpis = _rect(driver, ".st-key-pm_kpis")
    legend = _rect(driver, ".st-key-pm_legend")
    fmap = _rect(driver, ".st-key-pm_page iframe[title*='folium']")
    for rect, what in ((title, "title"), (kpis, "KPIs"), (legend, "legend"), (fmap, "map")):
        _inside(rect, what)
    assert not _overlap(legend, fmap), (legend, fmap)
    assert fmap["bottom"] - fmap["top"] >= 400, fmap  # a map, not a stamp
    # no key-figure label is cut off (its text fits its box)
    cut = driver.execute_script(
        "var bad = [];"
        "document.querySelectorAll('.st-key-pm_kpis [data-testid=\"stMetricLabel\"] *')"
        ".forEach(function (e) { if (e.scrollWidth > e.clientWidth + 1) {"
        " bad.push(e.textContent); } });"
        "return bad;"
    )
    assert cut == [], cut
    return legend, fmap


def test_presentation_mode_fits_1280x720(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{server}/besprechung?praesentation=1")
    # the first request generates the Beispielkreis (slow); then the map with labels
    _wait(browser, lambda d: _enter_map(d) and d.find_elements(By.CSS_SELECTOR, ".ek-label-shown"))
    _wait(browser, lambda d: "nicht erreichbar" in _main_text(d), timeout=30)
    time.sleep(1.0)  # let the layout settle (fonts, the legend's images)
    _wait(browser, _no_toast, timeout=30)  # „Auswertung fertig“ covers the top right
    legend, fmap = _check_layout(browser)
    assert legend["left"] >= fmap["right"] - 1  # beside the map, to its right
    browser.save_screenshot(str(ARTIFACTS / "presentation-1280x720.png"))

    assert _enter_map(browser)
    labels = browser.execute_script(_LABELS_JS)
    assert browser.find_elements(By.CSS_SELECTOR, ".ek-under.ek-label-shown")
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    # fitted: the villages span most of the frame in at least one direction
    ext = browser.execute_script(_VILLAGES_JS)
    assert ext is not None and ext[6] > 10, ext
    assert max((ext[2] - ext[0]) / ext[4], (ext[3] - ext[1]) / ext[5]) >= 0.8, ext
    assert not browser.find_elements(By.CSS_SELECTOR, ".ek-legend")  # no legend in the map

    # the Gemeinde map: the choropleth, its legend beside the map
    browser.switch_to.default_content()
    switch = "//div[contains(@class,'st-key-meeting_map_kind')]//label[contains(., 'Gemeinden')]"
    browser.find_element(By.XPATH, switch).click()
    _wait(browser, lambda d: "keine Kinder in den Daten" in _main_text(d), timeout=120)
    # the Gemeinde names are the only labels now
    _wait(browser, lambda d: _enter_map(d) and d.find_elements(By.CSS_SELECTOR, ".ek-center"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".ek-label:not(.ek-center)")
    time.sleep(1.0)
    _check_layout(browser)
    assert _enter_map(browser)
    names = browser.execute_script(_LABELS_JS)
    assert names, "no Gemeinde name shown"
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    browser.switch_to.default_content()
    browser.save_screenshot(str(ARTIFACTS / "presentation-gemeinden-1280x720.png"))
