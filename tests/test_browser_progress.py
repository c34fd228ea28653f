"""The progress page of a region's first run in a real headless Chromium.

A server of its own (not the shared ``dashboard_url``: the test needs a
region nobody has computed yet) with the demo and a second fictional Kreis
(another seed).  Switching to that Kreis in the sidebar shows the German
progress page with its phases, elapsed time and estimate, and none of the
old region's greyed-out elements; switching back (from the cache) never
shows the progress page.  Screenshot: ``test-artifacts/progress.png``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import REPO, dashboard_server, require_browser

pytestmark = pytest.mark.slow

require_browser(allow_module_level=True)  # skips here; in CI a missing browser fails

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from erreichbarkeit.demo import generate_demo  # noqa: E402

SECOND = "Zweiter Kreis (fiktiv)"
PHASES = (
    "Eingabedaten lesen", "Straßennetze vorbereiten", "Reisezeiten berechnen", "Bus & Bahn",
    "Kennzahlen", "Versorgung", "Raster", "Ergebnisse speichern",
)  # fmt: skip
TITLE = f"Region „{SECOND}“ wird ausgewertet"

#: Visible old elements: stale element containers, and blocks holding only stale ones.
OLD_VISIBLE_JS = """
const shown = e => e.getClientRects().length > 0;
const els = [...document.querySelectorAll('[data-stale="true"]')].filter(shown);
const blocks = [...document.querySelectorAll('[data-testid="stLayoutWrapper"]')].filter(b =>
  shown(b) && b.querySelector('[data-stale="true"]')
  && !b.querySelector('[data-stale="false"]'));
return els.length + blocks.length;
"""

#: Records whether the progress title ever enters the page (no timing involved).
WATCH_JS = """
window.sawProgress = false;
new MutationObserver(() => {
  if (document.body.innerText.includes('wird ausgewertet')) { window.sawProgress = true; }
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` with the demo and a second, uncomputed Kreis."""
    data = tmp_path_factory.mktemp("progressdata")
    files = generate_demo(data / "regions" / "zweiter", seed=7)
    text = files.region.read_text("utf-8")
    files.region.write_text(text.replace('"Beispielkreis (fiktiv)"', f'"{SECOND}"', 1), "utf-8")
    with dashboard_server(data, tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


def _body(driver: Any) -> str:
    driver.switch_to.default_content()
    return str(driver.find_element(By.TAG_NAME, "body").text)


def _until(driver: Any, check: Callable[[Any], bool], timeout: float) -> None:
    WebDriverWait(driver, timeout, poll_frequency=0.3).until(check)


def _pick_region(driver: Any, label: str) -> None:
    box = driver.find_element(
        By.XPATH, "//section[@data-testid='stSidebar']//div[@data-testid='stSelectbox']//input"
    )
    box.click()
    _until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'), 30)
    options = driver.find_elements(By.CSS_SELECTOR, '[role="option"]')
    next(o for o in options if o.text.strip() == label).click()


def _settled_on(driver: Any, region: str, timeout: float) -> None:
    """Wait for the map page of ``region`` (its overview) without the progress page."""

    def done(d: Any) -> bool:
        text = _body(d)
        return f"Übersicht: {region}" in text and "wird ausgewertet" not in text

    _until(driver, done, timeout)


def test_cold_region_shows_the_progress_page(server: str, chrome: Any) -> None:
    chrome.get(server)
    _settled_on(chrome, "Beispielkreis (fiktiv)", timeout=900)  # the demo's own first run
    _pick_region(chrome, SECOND)

    seen: list[bool] = []

    def progress_page_alone(d: Any) -> bool:
        text = _body(d)
        if TITLE not in text:
            assert f"Übersicht: {SECOND}" not in text, (
                "the old region's elements stayed visible during the whole run"
                if seen
                else "the run ended without a progress page"
            )
            return False
        seen.append(True)
        return int(d.execute_script(OLD_VISIBLE_JS)) == 0

    _until(chrome, progress_page_alone, timeout=300)
    text = _body(chrome)
    for phase in PHASES:
        assert phase in text
    assert "Bisher:" in text
    assert "Schätzung" in text
    for english in ("(car)", "(bike)", "(walk)", "(pt)"):
        assert english not in text
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    chrome.save_screenshot(str(artifacts / "progress.png"))
    _settled_on(chrome, SECOND, timeout=900)

    chrome.execute_script(WATCH_JS)
    _pick_region(chrome, "Beispielkreis (fiktiv, eingebaut)")
    _settled_on(chrome, "Beispielkreis (fiktiv)", timeout=120)
    assert chrome.execute_script("return window.sawProgress") is False  # from the cache
