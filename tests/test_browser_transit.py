"""Bus & Bahn in a real headless Chromium: the stops and lines layers draw offline.

Uses the server and browser fixtures of ``tests/test_browser.py`` (Debian
``chromium`` + ``chromium-driver``; skipped without them).  Switches the
Verkehrsmittel to „Bus & Bahn“, waits for the stop markers and the dashed
on-demand line inside the map's iframe, checks the legend, and that no
request left the loopback server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.test_browser import (  # the module skips itself without chromium (CI: fails)
    LOCAL_HOSTS,
    REPO,
    _enter_map,
    _requested_urls,
    browser,
    server,
)

pytestmark = pytest.mark.slow

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

__all__ = ["browser", "server"]  # fixtures, re-used from test_browser


def _in_map(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A wait condition evaluated inside the map iframe (which re-mounts on updates)."""

    def condition(d: Any) -> Any:
        try:
            _enter_map(d, WebDriverWait(d, 5))
            return check(d)
        except Exception:  # the iframe re-mounts while the page updates
            return False

    return condition


def test_bus_und_bahn_shows_stops_and_lines(server: str, browser: webdriver.Chrome) -> None:
    wait = WebDriverWait(browser, 120)
    browser.get(server)
    _enter_map(browser, wait)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 50)
    assert not browser.find_elements(By.CSS_SELECTOR, "path.ek-stop")  # car: no stops

    browser.switch_to.default_content()
    pt = wait.until(
        ec.element_to_be_clickable(
            (By.XPATH, "//section[@data-testid='stSidebar']//label[contains(., 'Bus & Bahn')]")
        )
    )
    pt.click()
    wait.until(lambda d: "Orte ohne ÖPNV-Angebot" in d.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Bus & Bahn: Abfahrt " in body
    assert "Stichtag" in body

    wait.until(_in_map(lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.ek-stop")) > 10))
    dashed = browser.find_elements(By.CSS_SELECTOR, "path.ek-on-demand")
    assert dashed, "the on-demand line is missing"
    assert dashed[0].get_attribute("stroke-dasharray")
    assert browser.find_elements(By.CSS_SELECTOR, "path.ek-line:not(.ek-on-demand)")
    legend = browser.find_element(By.CSS_SELECTOR, ".ek-legend").text
    assert "(Bus & Bahn)" in legend
    assert "Haltestelle" in legend
    assert "Rufbus/AST (auf Bestellung)" in legend
    assert "Stichtag" in legend

    browser.switch_to.default_content()
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(artifacts / "dashboard-bus-bahn.png"))
    foreign = [
        u
        for u in _requested_urls(browser)
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert foreign == []
