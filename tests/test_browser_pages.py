"""Issue #14 in a real headless Chromium: map click, German on every page, bookmarks.

Uses the shared server (demo) and browser of ``tests/conftest.py``: skipped
without Debian's chromium + chromium-driver, failing in CI (``CI`` set).

* A real mouse click on a village marker inside the streamlit-folium iframe
  selects the village („Nächste Angebote von <Ort>“), and the URL then
  holds it (``ort=…``); opening that URL in a fresh page restores it.
* Every page is scanned: the visible text of the page and of its iframes
  (the map) and the cells of the tables' accessible grid must not contain
  None/nan/NaN/<NA> nor an English UI word (:data:`ENGLISH`), except the
  few Streamlit texts of :data:`ALLOWED` (why each is there:
  ``tests/README_browser.md``).
* The file uploader shows German texts (CSS ``::after``, ``ui/style.py``).
* A bookmark restores mode, age group and threshold; a bad value gives a
  German hint; ``/karte`` opens the Karte page, not „Page not found“.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import require_browser

pytestmark = pytest.mark.slow

require_browser(allow_module_level=True)  # skips here; in CI a missing browser fails

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

#: English words of Streamlit/Leaflet UIs and missing-value spellings (whole words).
ENGLISH = (
    "None",
    "nan",
    "NaN",
    "<NA>",
    "Select all",
    "Upload",
    "Browse files",
    "Drag and drop",
    "per file",
    "Page not found",
    "mi",
    "invalid choice",
    "Warning",
    "Error",
    "Loading",
    "Running",
    "Choose an option",
    "Choose options",
    "No results",
    "Limit",
    "Deploy",
    "Download",
    "Stop",
    "true",
    "false",
)

#: Streamlit/Leaflet texts that cannot be replaced (why: tests/README_browser.md).
ALLOWED = (
    "Skip to main content",  # Streamlit's skip link for keyboard/screen-reader users
    "Leaflet",  # the map library's attribution link (a name)
)

#: The pages and a text each shows once it is drawn.
PAGES = {
    "": "Ergebnisse herunterladen",
    "karte": "Ergebnisse herunterladen",
    "versorgung": "Je Ort",
    "planung": "Änderungen im Szenario",
    "besprechung": "Steckbrief herunterladen",
    "land": "Noch keine Land-Auswertung gefunden",
    "methodik": "Ohne Internet",
}

_MISSING_CELL = re.compile(r"^(None|nan|NaN|<NA>|NaT|null|undefined)$")


def _body(driver: Any) -> str:
    driver.switch_to.default_content()
    return str(driver.find_element(By.TAG_NAME, "body").text)


def _settled(driver: Any, text: str, *, timeout: float = 180) -> None:
    """Wait until ``text`` is on the page and the script is no longer running."""
    calm = 0

    def done(d: Any) -> bool:
        nonlocal calm
        try:
            busy = "[data-testid='stStatusWidget'], [data-stale='true'], [data-testid='stProgress']"
            ok = text in _body(d) and not d.find_elements(By.CSS_SELECTOR, busy)
        except Exception:  # the page re-renders
            ok = False
        calm = calm + 1 if ok else 0
        return calm >= 3

    WebDriverWait(driver, timeout, poll_frequency=0.5).until(done)


def _visible_text(driver: Any) -> str:
    """The page's visible text without the Material icons' ligature names."""
    driver.switch_to.default_content()
    return str(
        driver.execute_script(
            """
            var icons = Array.from(document.querySelectorAll('[data-testid="stIconMaterial"]'))
                .map(function (e) { return e.textContent.trim(); });
            var text = document.body.innerText;
            icons.forEach(function (name) {
                if (name) { text = text.split(name).join(" "); }
            });
            return text;
            """
        )
    )


def _iframe_texts(driver: Any) -> list[str]:
    driver.switch_to.default_content()
    out = []
    for index in range(len(driver.find_elements(By.TAG_NAME, "iframe"))):
        driver.switch_to.default_content()
        frames = driver.find_elements(By.TAG_NAME, "iframe")
        if index >= len(frames) or not frames[index].is_displayed():
            continue
        driver.switch_to.frame(frames[index])
        out.append(str(driver.execute_script("return document.body.innerText")))
    driver.switch_to.default_content()
    return out


def _table_cells(driver: Any) -> list[str]:
    """The cells of the tables' accessible grid (what a screen reader reads)."""
    driver.switch_to.default_content()
    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'[data-testid=\"stDataFrame\"] table td')).map(function (c) { return c.textContent; })"
    )
    return [str(c).strip() for c in cells]


def english_words(text: str) -> list[str]:
    """The words of :data:`ENGLISH` in ``text`` once :data:`ALLOWED` is taken out."""
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    found = []
    for word in ENGLISH:
        if re.search(rf"(?<![\w<]){re.escape(word)}(?![\w>])", text):
            found.append(word)
    return found


def test_the_word_scan_finds_what_it_should() -> None:
    """The scan itself (so a green browser test means something)."""
    assert english_words("5 km\n5 mi") == ["mi"]
    assert english_words("Minuten: None") == ["None"]
    assert english_words("Wert <NA> und nan") == ["nan", "<NA>"]
    assert english_words("Select all · 5MB per file") == ["Select all", "per file"]
    assert english_words("Skip to main content Leaflet Minuten Mittelwert Einnahmen") == []


def _map_frame(driver: Any, wait: WebDriverWait[Any]) -> Any:
    driver.switch_to.default_content()
    frame = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "iframe[title*='folium']"))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
    driver.switch_to.frame(frame)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 20)
    return frame


_MARKERS_JS = """
var m = window.map, villages = [], others = [];
var box = m.getContainer().getBoundingClientRect(), size = m.getSize();
m.eachLayer(function (l) {
    if (!(l instanceof L.CircleMarker || l instanceof L.Marker) || !l.getLatLng) { return; }
    var p = m.latLngToContainerPoint(l.getLatLng());
    if (l instanceof L.CircleMarker && l.getTooltip()) {
        var hit = document.elementFromPoint(box.left + p.x, box.top + p.y);
        villages.push([String(l.getTooltip().getContent()), p.x, p.y,
                       !!hit && hit.tagName.toLowerCase() === "path"]);
    } else {
        others.push([p.x, p.y]);
    }
});
return [villages, others, size.x, size.y];
"""


def _free_village(driver: Any) -> tuple[str, float, float, float, float]:
    """A village marker not covered by a control and far from other markers.

    Returns its name, its position in the map and the map's size (pixels).
    """
    villages, others, width, height = driver.execute_script(_MARKERS_JS)
    points = [(x, y) for _, x, y, _ in villages] + [(x, y) for x, y in others]

    def room(v: list[Any]) -> float:
        return min(math.hypot(v[1] - x, v[2] - y) for x, y in points if (x, y) != (v[1], v[2]))

    usable = [v for v in villages if v[3] and 40 < v[1] < width - 40 and 40 < v[2] < height - 40]
    assert usable, "no village marker free to click"
    best = max(usable, key=room)
    return str(best[0]), float(best[1]), float(best[2]), float(width), float(height)


def _click_map(driver: Any, x: float, y: float, width: float, height: float) -> None:
    """A real mouse click at a point of the map (offsets from the container's centre)."""
    container = driver.find_element(By.CSS_SELECTOR, ".leaflet-container")
    ActionChains(driver).move_to_element_with_offset(
        container, round(x - width / 2), round(y - height / 2)
    ).click().perform()


def test_click_on_a_village_marker_selects_it(dashboard_url: str, chrome: Any) -> None:
    wait: WebDriverWait[Any] = WebDriverWait(chrome, 180)
    chrome.get(dashboard_url)
    _settled(chrome, PAGES[""])
    body = _body(chrome)
    # the page opens on the overview, no village is pre-selected
    assert "Übersicht:" in body
    assert "Nächste Angebote von" not in body
    _map_frame(chrome, wait)
    name, x, y, width, height = _free_village(chrome)
    _click_map(chrome, x, y, width, height)
    _settled(chrome, f"Nächste Angebote von {name}")
    assert "ort=" in chrome.current_url  # the selection is in the URL (bookmark)

    # the bookmark opens the same village in a fresh page
    bookmark = chrome.current_url
    chrome.get(dashboard_url + "/methodik")
    _settled(chrome, PAGES["methodik"])
    chrome.get(bookmark)
    _settled(chrome, f"Nächste Angebote von {name}")

    # a click far from every village: the grid's minutes or a German hint, selection kept
    _map_frame(chrome, wait)
    _click_map(chrome, 15, height - 15, width, height)  # bottom-left corner of the map
    _settled(chrome, "angeklickten Stelle")
    assert f"Nächste Angebote von {name}" in _body(chrome)


def _scan(driver: Any) -> list[str]:
    problems = [f"page: {w}" for w in english_words(_visible_text(driver))]
    problems += [f"map/iframe: {w}" for t in _iframe_texts(driver) for w in english_words(t)]
    problems += [f"table cell: {c}" for c in _table_cells(driver) if _MISSING_CELL.match(c)]
    return problems


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_is_german_without_missing_values(
    dashboard_url: str, chrome: Any, path: str
) -> None:
    chrome.get(f"{dashboard_url}/{path}")
    _settled(chrome, PAGES[path])
    if path in ("", "karte", "planung", "besprechung"):
        _map_frame(chrome, WebDriverWait(chrome, 120))
    assert _scan(chrome) == []


def _after_content(driver: Any, css: str) -> list[str]:
    return [
        str(c)
        for c in driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {"
            " return getComputedStyle(e, '::after').content; })",
            css,
        )
    ]


def test_file_uploader_speaks_german(dashboard_url: str, chrome: Any, tmp_path: Any) -> None:
    chrome.get(dashboard_url)
    _settled(chrome, PAGES[""])
    chrome.find_element(By.XPATH, "//summary[contains(., 'Eigene Angebotsliste')]").click()
    WebDriverWait(chrome, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stFileUploaderDropzone']")
    )
    drop = "[data-testid='stFileUploaderDropzone']"
    assert _after_content(chrome, f"{drop} [data-testid='stMarkdownContainer'] p") == [
        '"Datei auswählen"'
    ]
    assert _after_content(
        chrome, f"{drop} [data-testid='stFileUploaderDropzoneInstructions'] span"
    ) == ['"höchstens 5 MB je Datei · CSV oder Excel (XLSX)"']
    assert english_words(_visible_text(chrome)) == []
    csv = tmp_path / "liste.csv"
    csv.write_text(
        "Name;Kategorie;Breitengrad;Längengrad\nKita Test;Kita;50,951000;9,010000\n", "utf-8"
    )
    chrome.find_element(By.CSS_SELECTOR, f"{drop} input[type=file]").send_keys(str(csv))
    _settled(chrome, "übernommen und Reisezeiten berechnet")
    text = _visible_text(chrome)
    assert "liste.csv" in text
    assert not re.search(r"\d+(\.\d)?\s?[KM]?B\b", text)  # no „70.0B“
    assert english_words(text) == []


def _radio_checked(driver: Any, label: str) -> bool:
    driver.switch_to.default_content()
    inputs = driver.find_elements(
        By.XPATH,
        f"//section[@data-testid='stSidebar']//label[contains(., '{label}')]//input",
    )
    return bool(inputs) and bool(inputs[0].is_selected())


def _until(driver: Any, check: Callable[[Any], bool], timeout: float = 60) -> None:
    def safe(d: Any) -> bool:
        try:
            return check(d)
        except Exception:  # the page re-renders
            return False

    WebDriverWait(driver, timeout).until(safe)


def test_bookmark_restores_the_view(dashboard_url: str, chrome: Any) -> None:
    query = "region=beispielkreis&kategorie=kita&verkehrsmittel=walk&alter=3-6&schwelle=kita:25"
    chrome.get(f"{dashboard_url}/versorgung?{query}")
    _settled(chrome, PAGES["versorgung"])
    _until(chrome, lambda d: _radio_checked(d, "zu Fuß"))
    assert "/versorgung" in chrome.current_url
    chrome.get(f"{dashboard_url}/karte?{query}")
    _settled(chrome, "Kinder 3–6 Jahre innerhalb 25,0 min")
    body = _body(chrome)
    assert "Page not found" not in body
    assert "Karte: Minuten zum nächsten Angebot" in body


def test_bad_bookmark_values_give_a_german_hint(dashboard_url: str, chrome: Any) -> None:
    chrome.get(f"{dashboard_url}/karte?verkehrsmittel=flugzeug&alter=99&schwelle=kita:900")
    _settled(chrome, "Der Link enthält")
    body = _body(chrome)
    assert "den unbekannten Wert „flugzeug“; es gilt Auto." in body
    assert "„Altersgruppe“ den unbekannten Wert „99“" in body
    assert "erlaubt sind 1 bis" in body
    assert "Kinder 0–3 Jahre innerhalb 10,0 min" in body  # the defaults
    assert not chrome.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")


def test_page_path_bookmark_is_no_page_not_found(dashboard_url: str, chrome: Any) -> None:
    for path in ("karte", "versorgung", "planung", "besprechung", "land", "methodik"):
        chrome.get(f"{dashboard_url}/{path}")
        _settled(chrome, PAGES[path])
        time.sleep(1)  # Streamlit's dialog would open right after the first run
        assert "Page not found" not in _body(chrome), path
