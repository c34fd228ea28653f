"""Bus & Bahn in the Streamlit dashboard (AppTest, no browser).

The app runs on the built-in fictional Beispielkreis with its fictional bus
timetable (``busse.gtfs.zip``), generated into a temporary data folder as in
``tests/test_app.py``; the numbers on the page are compared with the
library's run computed directly here.  A second region, the same county
with a timetable worker that does not exist, checks that the page says why
Bus & Bahn is switched off.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit.analysis.transit import NO_PT
from erreichbarkeit.config import Settings, format_window
from erreichbarkeit.results import Results
from erreichbarkeit.ui import tables, views

APP = str(Path(__file__).resolve().parents[1] / "app.py")
_BAD = re.compile(r"\b(None|nan|NaN|<NA>|NaT)\b")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("appdata_pt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def library_results(data_dir: Path) -> Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    results = pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))
    if "pt" not in results.settings.modes:
        pytest.skip(f"Bus & Bahn is switched off here: {results.inputs.notices}")
    return results


@pytest.fixture
def app(library_results: Results) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page of ``st.navigation`` by its url path (as in ``test_app.py``)."""
    pages = at._registered_pages
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    return at.run()


def _pt(at: AppTest) -> AppTest:
    at.sidebar.radio(key="mode").set_value("pt").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    """Every text a user reads on the page (outside the tables and the map)."""
    out: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
    return out


def _village_rows(page: str) -> list[list[object]]:
    """The rows of the village layer (``[lat, lon, class, selected, tooltip, popup]``)."""
    for match in re.finditer(r"var rows = (\[.*?\]);\n", page):
        rows = json.loads(match.group(1))
        if rows and len(rows[0]) == 6 and isinstance(rows[0][5], str):
            return list(rows)
    pytest.fail("no village layer in the map")


def _metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_mode_radio_offers_bus_und_bahn(app: AppTest) -> None:
    radio = app.sidebar.radio(key="mode")
    assert "Bus & Bahn" in radio.options
    assert "Bus & Bahn" in radio.options  # German label, not the key "pt"
    assert "pt" not in radio.options
    # the car-factor choice is only offered in Bus & Bahn mode
    assert not [r for r in app.sidebar.radio if r.key == "pt_color"]
    _pt(app)
    assert app.sidebar.radio(key="pt_color").options == [
        "Minuten (Median)",
        "Faktor Bus & Bahn ÷ Auto",
    ]


def test_pt_kpis_status_and_window(app: AppTest, library_results: Results) -> None:
    _pt(app)
    cat = library_results.categories[0]
    assert len(app.metric) == 5
    # the page shows the sidebar's age group (0–3): the nearest offers *serving* it
    # (the Beispielkreis has Krippen and Ü3-Kitas), so the count is that view's
    view = views.compute_view(
        views.view_data(library_results), mode="pt", categories=[cat], age_group="0-3",
        thresholds={},
    )  # fmt: skip
    expected = int((view.villages[f"{cat}_pt_status"] == NO_PT).sum())
    assert expected > 0  # the Beispielkreis has villages without a bus (test can fail)
    assert _metric(app, "Orte ohne ÖPNV-Angebot") == str(expected)
    # all ages: the run's own status, never more villages than for one age group
    every = int((library_results.villages[f"{cat}_pt_status"] == NO_PT).sum())
    assert 0 < every <= expected
    window = format_window(library_results.settings.pt_window(cat))
    day = library_results.inputs.timetable.day
    weekday = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")[day.weekday()]
    caption = f"Bus & Bahn: Abfahrt {window}, Stichtag {weekday} {day:%d.%m.%Y}"
    assert caption in [c.value for c in app.caption]
    # the village table shows the Bus & Bahn columns with German headers
    table = next(  # the village table (not the five-row overview beside the map)
        d.value
        for d in app.dataframe
        if "Kategorien verfehlt" in d.value.columns and len(d.value.columns) > 3
    )
    label = library_results.settings.categories()[cat].label
    for header in (
        f"{label}: Abfahrten im Zeitfenster",
        f"{label}: Umstiege",
        f"{label}: Faktor zum Auto",
        f"{label}: Hinweis Bus & Bahn",
    ):
        assert header in table.columns
    assert NO_PT in set(table[f"{label}: Hinweis Bus & Bahn"])
    # Streamlit shows a missing number as „None“: the page's tables have none in pt mode
    for frame in (d.value for d in app.dataframe):
        shown = [c for c in frame.columns if c not in ("Ort", "Gemeinde")]
        missing = frame[shown].isna().sum()
        assert not missing[missing > 0].index.str.contains(label).any(), missing[missing > 0]
    assert set(table[f"{label}: km"]) == {"—"}
    app.selectbox(key="village").set_value(str(library_results.villages["id"].iloc[0])).run()
    nearest = next(d.value for d in app.dataframe if "Rang" in d.value.columns)
    assert not nearest.isna().any().any(), nearest
    assert set(nearest["km"]) == {"—"}
    # the KPI numbers are the library's for Bus & Bahn
    kpis = app.session_state["kpis"][cat]
    assert kpis["no_pt"] == expected


def test_pt_page_has_no_none_or_nan(app: AppTest, library_results: Results) -> None:
    _pt(app)
    texts = _texts(app)
    assert texts
    bad = [t for t in texts if _BAD.search(t)]
    assert not bad, bad
    # the tables as the page renders them (German numbers, „—“ for no value)
    data = views.view_data(library_results)
    cats = library_results.categories[:2]
    view = views.compute_view(data, mode="pt", categories=cats, age_group="0-3", thresholds={})
    labels = {k: c.label for k, c in library_results.settings.categories().items()}
    rendered = tables.german(tables.village_display(view, labels)).to_html()
    assert not _BAD.search(re.sub(r"<[^>]+>", " ", rendered))
    assert "—" in rendered  # km and „no departure“ cells


def test_pt_map_export_has_stops_lines_and_german_popups(
    app: AppTest, library_results: Results
) -> None:
    _pt(app)
    app.button(key="export_build").click().run()
    assert not app.exception, app.exception
    _key, files = app.session_state["exports"]
    page = files["html"].decode("utf-8")
    assert "https://cdn" not in page
    assert "Haltestellen" in page
    # the layer control writes its names as JSON („&“ as \u0026)
    assert "Linien (Bus & Bahn)" in page.replace("\\u0026", "&")
    assert "Rufbus/AST (auf Bestellung)" in page
    assert re.search(r"\d+ Abfahrten? \d\d:\d\d–\d\d:\d\d", page)
    rows = _village_rows(page)
    popups = " ".join(str(r[5]) for r in rows) + " ".join(str(r[4]) for r in rows)
    assert NO_PT in popups
    assert "so lange wie mit dem Auto" in popups
    assert not _BAD.search(popups)


def test_factor_colouring_changes_the_legend(app: AppTest) -> None:
    _pt(app)
    app.sidebar.radio(key="pt_color").set_value("factor").run()
    assert not app.exception, app.exception
    app.button(key="export_build").click().run()
    page = app.session_state["exports"][1]["html"].decode("utf-8")
    assert "≤ 1,5 × Auto" in page
    assert "kein ÖPNV-Angebot" in page
    assert "#0072B2" in page  # the colour-blind safe factor colours


def test_meeting_page_in_pt_mode(app: AppTest, library_results: Results) -> None:
    _pt(app)
    _goto(app, "besprechung")
    assert not app.exception, app.exception
    assert len(app.metric) == 5
    assert any(c.value.startswith("Bus & Bahn: Abfahrt ") for c in app.caption)
    assert not [t for t in _texts(app) if _BAD.search(t)]


@pytest.mark.parametrize("page", ["versorgung", "planung"])
def test_planning_pages_in_pt_mode(app: AppTest, page: str) -> None:
    _pt(app)
    _goto(app, page)
    assert not app.exception, app.exception
    assert not [t for t in _texts(app) if _BAD.search(t)]


def test_notice_when_bus_und_bahn_is_switched_off(data_dir: Path, library_results: Results) -> None:
    source = data_dir / "generated" / "beispielkreis"
    target = data_dir / "regions" / "ohne-bus"
    shutil.copytree(source, target, dirs_exist_ok=True)
    toml = (target / "region.toml").read_text("utf-8")
    toml = toml.replace('name = "Beispielkreis (fiktiv)"', 'name = "Ohne Bus (fiktiv)"')
    toml += '\n[transit]\npython = "/nicht/vorhanden/python3.11"\n'
    (target / "region.toml").write_text(toml, "utf-8")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.session_state["mode"] = "pt"  # chosen before, on the region with Bus & Bahn
    at.sidebar.selectbox(key="region").set_value(str(target / "region.toml")).run()
    assert not at.exception, at.exception
    assert "Bus & Bahn" not in at.sidebar.radio(key="mode").options
    warnings = [w.value for w in at.warning]
    assert warnings, "the page must say why Bus & Bahn is switched off"
    assert any("Bus & Bahn" in w or "ÖPNV" in w for w in warnings), warnings
    _goto(at, "besprechung")
    assert [w.value for w in at.warning] == warnings
