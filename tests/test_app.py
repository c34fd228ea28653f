"""Tests of the Streamlit dashboard with Streamlit's AppTest (no browser).

The app runs on the built-in fictional Beispielkreis, generated into a
temporary data folder (``ERREICHBARKEIT_DATA_DIR``), so the numbers on the
page are compared with the library's numbers computed directly here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit import indicators, pipeline
from erreichbarkeit.config import Settings, age_column, load_categories
from erreichbarkeit.ui import logic
from erreichbarkeit.ui.dashboard import format_int, format_minutes

APP = str(Path(__file__).resolve().parents[1] / "app.py")

BAD_CSV = (
    "Name;Kategorie;Breitengrad;Längengrad\n"
    "Kita Neu;Kita;50,988231;9,015862\n"
    "Irgendwas;Zahnarzt;51,0;9,0\n"
    "Kita Kaputt;Kita;abc;9,0\n"
).encode()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("appdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def library_results(data_dir: Path) -> pipeline.Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))


@pytest.fixture
def app(library_results: pipeline.Results) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page of ``st.navigation`` by its url path.

    ``AppTest.switch_page`` only finds file-based pages; ours are functions,
    so the registered page's hash is set directly (AppTest-internal state).
    """
    pages = at._registered_pages
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    return at.run()


def _village_rows(page: str) -> list[list[object]]:
    match = re.search(r"var rows = (\[.*?\]);\n", page)
    assert match, "no village layer in the map"
    return list(json.loads(match.group(1)))


def _metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def _expected(
    results: pipeline.Results, category: str, mode: str, age: str, threshold: float
) -> list[str]:
    """The four KPI strings computed with the library directly."""
    kreis = indicators.kreis_summary(
        results.villages,
        categories=[category],
        modes=[mode],
        threshold=lambda c, m: threshold,
        age_groups={category: [age]},
    ).iloc[0]
    total = results.villages[age_column(age)].sum()
    return [
        format_int(total - kreis["children_beyond"]),
        format_int(kreis["children_beyond"]),
        format_int(kreis["n_underserved"]),
        format_minutes(kreis["children_median_min"]),
    ]


def test_renders_on_the_beispielkreis(app: AppTest, library_results: pipeline.Results) -> None:
    assert not app.error
    assert app.title[0].value == "Erreichbarkeit von Angeboten für Familien"
    assert len(app.metric) == 4
    assert app.session_state["last_map_seconds"] > 0
    labels = {o.label for o in app.sidebar.radio}
    assert "Verkehrsmittel" in labels
    assert app.sidebar.radio(key="mode").options == ["Auto", "Fahrrad", "zu Fuß"]


def test_kpis_equal_the_library(app: AppTest, library_results: pipeline.Results) -> None:
    cat = library_results.categories[0]
    threshold = library_results.settings.threshold(cat, "car")
    assert _metrics(app) == _expected(library_results, cat, "car", "0-3", threshold)
    # the village table is sorted worst first: unreachable/over-threshold villages on top
    table = next(d.value for d in app.dataframe if "Kategorien verfehlt" in d.value.columns)
    assert list(table["Kategorien verfehlt"]) == sorted(table["Kategorien verfehlt"], reverse=True)


def test_mode_threshold_and_age_change_results(
    app: AppTest, library_results: pipeline.Results
) -> None:
    cat = library_results.categories[0]
    before = _metrics(app)
    app.sidebar.radio(key="mode").set_value("walk").run()
    walk = _metrics(app)
    assert walk != before
    default_walk = library_results.settings.threshold(cat, "walk")
    assert walk == _expected(library_results, cat, "walk", "0-3", default_walk)

    app.sidebar.number_input(key=f"thr_{cat}_walk").set_value(45.0).run()
    assert _metrics(app) == _expected(library_results, cat, "walk", "0-3", 45.0)
    assert _metrics(app) != walk

    app.sidebar.selectbox(key="age_group").set_value("10-18").run()
    assert _metrics(app) == _expected(library_results, cat, "walk", "10-18", 45.0)
    assert not app.exception


def test_second_category_adds_a_kpi_row(app: AppTest, library_results: pipeline.Results) -> None:
    second = library_results.categories[1]
    app.sidebar.multiselect(key="categories").select(second).run()
    assert len(app.metric) == 8
    threshold = library_results.settings.threshold(second, "car")
    assert _metrics(app)[4:] == _expected(library_results, second, "car", "0-3", threshold)


def test_village_selection_shows_nearest_offers(app: AppTest) -> None:
    sel = app.selectbox(key="village")
    target = sel.options[-1]
    sel.set_value(target).run()
    frames = [d.value for d in app.dataframe]
    near = next(f for f in frames if "Rang" in f.columns)
    assert set(near.columns) >= {"Kategorie", "Angebot", "Minuten", "km"}


def test_upload_bad_csv_shows_german_row_errors(app: AppTest) -> None:
    app.file_uploader(key="upload_file").set_value(("meine liste.csv", BAD_CSV, "text/csv")).run()
    assert not app.exception
    frames = [d.value for d in app.dataframe]
    problems = next(f for f in frames if "Meldung" in f.columns)
    assert list(problems["Zeile"]) == [3, 4]
    assert list(problems["Spalte"]) == ["Kategorie", "Breitengrad"]
    assert "Unbekannte Kategorie „Zahnarzt“" in problems["Meldung"].iloc[0]
    assert "keine Zahl" in problems["Meldung"].iloc[1]
    assert any("1 Angebote aus „meine liste.csv“" in s.value for s in app.success)
    # the valid row was routed and merged into this session's data
    upload = app.session_state["upload"]
    assert upload["offers"]["id"].tolist() == ["upload:meine liste.csv:2"]
    assert set(upload["travel_times"]["mode"]) <= {"car", "bike", "walk"}
    assert len(upload["travel_times"]) > 0


def test_upload_unreadable_file_shows_error_not_crash(app: AppTest) -> None:
    app.file_uploader(key="upload_file").set_value(("x.csv", b"foo;bar\n1;2\n", "text/csv")).run()
    assert not app.exception
    assert any("Datei x.csv" in e.value and "fehlt" in e.value for e in app.error)


def test_handle_upload_never_uses_the_user_file_name_as_path(tmp_path: Path) -> None:
    out = logic.handle_upload(
        BAD_CSV, "../../böse.csv", workdir=tmp_path / "w", categories=load_categories()
    )
    written = list((tmp_path / "w").iterdir())
    assert len(written) == 1
    assert written[0].name.startswith("angebote-")
    assert written[0].suffix == ".csv"
    assert not (tmp_path / "böse.csv").exists()
    assert [p.row for p in out.problems] == [3, 4]
    assert all(p.file == "../../böse.csv" for p in out.problems)


def test_handle_upload_rejects_other_types(tmp_path: Path) -> None:
    out = logic.handle_upload(b"x", "liste.pdf", workdir=tmp_path, categories=load_categories())
    assert out.error == "Dateityp „.pdf“ wird nicht unterstützt (erlaubt: CSV, XLSX)."
    assert out.offers.empty
    assert list(tmp_path.iterdir()) == []


def test_exports_offer_workbook_csv_geopackage_and_html(
    app: AppTest, library_results: pipeline.Results
) -> None:
    app.button(key="export_build").click().run()
    assert not app.exception
    _key, files = app.session_state["exports"]
    assert files["xlsx"][:2] == b"PK"
    assert files["gpkg"][:16] == b"SQLite format 3\x00"
    assert files["orte_csv"][:3] == b"\xef\xbb\xbf"  # UTF-8 BOM of the German CSV
    page = files["html"].decode("utf-8")
    assert "L.circleMarker(" in page
    assert "https://cdn" not in page
    assert "nicht erreichbar" in page
    assert '"road_class":"minor"' in page  # the offline base layer
    assert len(_village_rows(page)) == len(logic.base_villages(library_results))


def test_meeting_page_with_download_buttons(
    app: AppTest, library_results: pipeline.Results
) -> None:
    app.sidebar.radio(key="mode").set_value("walk").run()
    _goto(app, "besprechung")
    assert not app.exception, app.exception
    cat = library_results.categories[0]
    label = library_results.settings.categories()[cat].label
    assert app.title[0].value == f"{label}: Erreichbarkeit in Beispielkreis (fiktiv)"
    # the choice made on the map page holds here (walk, default threshold)
    threshold = library_results.settings.threshold(cat, "walk")
    assert _metrics(app) == _expected(library_results, cat, "walk", "0-3", threshold)
    buttons = app.get("download_button")
    assert [b.proto.label for b in buttons] == [
        "A4 als PDF",
        "A3 als PDF",
        "A4 als PNG",
        "A3 als PNG",
    ]
    captions = " ".join(c.value for c in app.caption)
    # the source line comes from the run's sources (the demo attributes itself as fictional)
    assert "fiktive Daten" in captions
    assert "© OpenStreetMap" not in captions
    assert "Stand der Auswertung" in captions
    # a Gemeinde as map extent, then back to the map page: the mode is kept
    extent = app.sidebar.selectbox(key="extent")
    extent.set_value(extent.options[1]).run()
    assert not app.exception
    _goto(app, "")
    assert app.sidebar.radio(key="mode").value == "walk"


def test_print_map_of_the_view(library_results: pipeline.Results) -> None:
    data = logic.view_data(library_results)
    cat = library_results.categories[0]
    view = logic.compute_view(
        data, mode="car", categories=[cat], age_group="0-3", thresholds={cat: 12.0}
    )
    layers = logic.static_layers(library_results)
    assert layers.roads is not None and len(layers.roads) > 0
    ags = str(data.boundaries["ags"].iloc[0])
    png = logic.print_map_bytes(
        data,
        view,
        cat,
        region_name=library_results.settings.name,
        sources=library_results.inputs.sources,
        layers=layers,
        extent=logic.gemeinde_extent(data, ags),
        extent_label="Testgemeinde",
        paper="A4",
        fmt="png",
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert logic.view_subtitle(view, cat, {cat: "Kita"}) == (
        "Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 12 min"
    )
    notes = logic.kpi_notes(view, cat)
    beyond = format_int(logic.kpis(view, cat)["children_beyond"])
    assert notes[0].startswith(f"Kinder 0–3 J. jenseits 12 min oder ohne Angebot: {beyond}")


def test_regions_from_data_folder_and_env(tmp_path: Path) -> None:
    (tmp_path / "regions" / "kreis-a").mkdir(parents=True)
    (tmp_path / "regions" / "kreis-a" / "region.toml").write_text(
        '[region]\nname = "Kreis A"\n', encoding="utf-8"
    )
    extra = tmp_path / "extra"
    (extra / "b").mkdir(parents=True)
    (extra / "b" / "region.toml").write_text('[region]\nname = "Kreis B"\n', encoding="utf-8")
    (extra / "c.toml").write_text("[inputs]\n", encoding="utf-8")
    demo = tmp_path / "demo" / "region.toml"
    found = logic.discover_regions(
        tmp_path, demo_region=demo, env={"ERREICHBARKEIT_REGIONS_DIR": str(extra)}
    )
    assert [r.label for r in found] == [
        "Beispielkreis (fiktiv, eingebaut)",
        "Kreis A",
        "Kreis B",
        "c",
    ]
