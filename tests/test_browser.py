"""End-to-end test in a real headless Chromium (Debian ``chromium`` + ``chromium-driver``).

Server and browser are the shared fixtures of ``tests/conftest.py`` (skipped
without Chromium, failing in CI).

Starts ``streamlit run app.py`` on a free loopback port, opens the page,
waits for the Leaflet map inside the component iframe, checks the legend,
changes the Verkehrsmittel, switches the grid surface on and saves a screenshot to
``test-artifacts/dashboard.png``.  Every request the browser made is read
from Chrome's performance log: none may go to a host other than the
loopback server (the map must work without internet).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import REPO, require_browser

pytestmark = pytest.mark.slow

require_browser(allow_module_level=True)  # skips here; in CI a missing browser fails

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}


@pytest.fixture
def server(dashboard_url: str) -> str:
    """The shared demo server of ``tests/conftest.py``."""
    return dashboard_url


@pytest.fixture
def browser(chrome: Any) -> Any:
    """The shared headless Chromium of ``tests/conftest.py``."""
    return chrome


def _requested_urls(driver: webdriver.Chrome) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _enter_map(driver: webdriver.Chrome, wait: WebDriverWait) -> None:
    driver.switch_to.default_content()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[title*='folium']")))
    driver.switch_to.frame(frame)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".leaflet-container")))


def test_dashboard_in_headless_chromium(server: str, browser: webdriver.Chrome) -> None:
    wait = WebDriverWait(browser, 90)
    browser.get(server)
    _enter_map(browser, wait)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 50)
    legend = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".ek-legend")))
    assert "nicht erreichbar" in legend.text
    assert "≤ 5 min" in legend.text
    assert "(Auto)" in legend.text
    # offers are drawn with inline SVG icons
    assert browser.find_elements(By.CSS_SELECTOR, ".ek-offer svg")

    # change the Verkehrsmittel: KPI labels and the legend follow
    browser.switch_to.default_content()
    walk = wait.until(
        ec.element_to_be_clickable(
            (By.XPATH, "//section[@data-testid='stSidebar']//label[contains(., 'zu Fuß')]")
        )
    )
    walk.click()
    wait.until(lambda d: "innerhalb 20,0 min" in d.find_element(By.TAG_NAME, "body").text)

    def legend_says_walk(d: webdriver.Chrome) -> bool:
        try:
            _enter_map(d, WebDriverWait(d, 5))
            return "(zu Fuß)" in d.find_element(By.CSS_SELECTOR, ".ek-legend").text
        except Exception:  # the iframe re-mounts while the page updates
            return False

    wait.until(legend_says_walk)

    # the travel-time surface of the 250 m grid: one canvas in its own pane
    browser.switch_to.default_content()
    surface = wait.until(
        ec.element_to_be_clickable(
            (
                By.XPATH,
                "//section[@data-testid='stSidebar']//label[contains(., 'Reisezeit-Fläche')]",
            )
        )
    )
    surface.click()

    def surface_drawn(d: webdriver.Chrome) -> bool:
        try:
            _enter_map(d, WebDriverWait(d, 5))
            return bool(d.find_elements(By.CSS_SELECTOR, ".leaflet-ekSurface-pane canvas"))
        except Exception:  # the iframe re-mounts while the page updates
            return False

    wait.until(surface_drawn)
    assert "Rasterzellen" in browser.find_element(By.CSS_SELECTOR, ".ek-legend").text
    browser.switch_to.default_content()
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(artifacts / "dashboard.png"))

    urls = _requested_urls(browser)
    assert urls, "no network requests logged"
    foreign = [
        u
        for u in urls
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert foreign == []


def test_planning_map_click_adds_an_offer(server: str, browser: webdriver.Chrome) -> None:
    """A click into the what-if map sets the position; adding it shows the comparison."""
    from selenium.webdriver.common.action_chains import ActionChains

    wait = WebDriverWait(browser, 90)
    browser.get(f"{server}/planung")
    _enter_map(browser, wait)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 50)
    browser.switch_to.default_content()
    lat_input = wait.until(
        ec.presence_of_element_located((By.XPATH, "//input[@aria-label='Breitengrad']"))
    )
    before = lat_input.get_attribute("value")
    _enter_map(browser, wait)
    container = browser.find_element(By.CSS_SELECTOR, ".leaflet-container")
    # a spot off-centre (the centre is the default position); offset from the middle
    ActionChains(browser).move_to_element_with_offset(container, 37, -23).click().perform()
    browser.switch_to.default_content()

    def position_taken(d: webdriver.Chrome) -> bool:
        try:
            field = d.find_element(By.XPATH, "//input[@aria-label='Breitengrad']")
            return field.get_attribute("value") != before
        except Exception:  # the form re-renders while the page updates
            return False

    wait.until(position_taken)
    add = wait.until(
        ec.element_to_be_clickable((By.XPATH, "//button[contains(., 'Änderung hinzufügen')]"))
    )
    add.click()
    wait.until(lambda d: "Was sich ändert" in d.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "neu: „Neues Angebot“" in body

    # the map shows the scenario with its change marked
    def change_marked(d: webdriver.Chrome) -> bool:
        try:
            _enter_map(d, WebDriverWait(d, 5))
            return bool(d.find_elements(By.CSS_SELECTOR, ".ek-mark"))
        except Exception:  # the iframe re-mounts while the page updates
            return False

    wait.until(change_marked)
    browser.switch_to.default_content()
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(artifacts / "planung.png"))
