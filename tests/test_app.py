"""Tests of the Streamlit dashboard with Streamlit's AppTest (no browser).

The app runs on the built-in fictional Beispielkreis, generated into a
temporary data folder (``ERREICHBARKEIT_DATA_DIR``), so the numbers on the
page are compared with the library's numbers computed directly here.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit import webmap as maps
from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.bands import grid_bands
from erreichbarkeit.config import Settings, age_column, load_categories
from erreichbarkeit.network.transit import transit_status
from erreichbarkeit.results import Results
from erreichbarkeit.ui import downloads, kpis, layers, regions, tables, uploads, views
from erreichbarkeit.ui.tables import format_int

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
def library_results(data_dir: Path) -> Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))


@pytest.fixture
def app(library_results: Results) -> AppTest:
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
    results: Results, category: str, mode: str, age: str, threshold: float
) -> list[str]:
    """The four KPI strings computed with the library directly."""
    kreis = indicators.kreis_summary(
        results.villages,
        categories=[category],
        modes=[mode],
        threshold=lambda c, m: threshold,
        age_groups={category: [age]},
        cutoff=results.settings.routing.cutoff_minutes,
    ).iloc[0]
    total = results.villages[age_column(age)].sum()
    return [
        format_int(total - kreis["children_beyond"]),
        format_int(kreis["children_beyond"]),
        format_int(kreis["n_underserved"]),
        indicators.format_median_de(
            kreis["children_median_min"], kreis["children_median_beyond"]
        ),
    ]


def test_renders_on_the_beispielkreis(app: AppTest, library_results: Results) -> None:
    assert not app.error
    assert app.title[0].value == "Erreichbarkeit von Angeboten für Familien"
    assert len(app.metric) == 4
    assert app.session_state["last_map_seconds"] > 0
    labels = {o.label for o in app.sidebar.radio}
    assert "Verkehrsmittel" in labels
    modes = ["Auto", "Fahrrad", "zu Fuß"] + (["Bus & Bahn"] if transit_status().available else [])
    assert app.sidebar.radio(key="mode").options == modes


def test_kpis_equal_the_library(app: AppTest, library_results: Results) -> None:
    cat = library_results.categories[0]
    threshold = library_results.settings.threshold(cat, "car")
    assert _metrics(app) == _expected(library_results, cat, "car", "0-3", threshold)
    # the village table is sorted worst first: unreachable/over-threshold villages on top
    table = next(  # the village table (not the five-row overview beside the map)
        d.value
        for d in app.dataframe
        if "Kategorien verfehlt" in d.value.columns and len(d.value.columns) > 3
    )
    assert list(table["Kategorien verfehlt"]) == sorted(table["Kategorien verfehlt"], reverse=True)


def test_mode_threshold_and_age_change_results(
    app: AppTest, library_results: Results
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


def test_second_category_adds_a_kpi_row(app: AppTest, library_results: Results) -> None:
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
    frames = [t.value for t in app.table]  # a static table: long messages wrap
    problems = next(f for f in frames if "Meldung" in f.columns)
    assert list(problems["Datei"]) == ["meine liste.csv", "meine liste.csv"]
    assert list(problems["Zeile"]) == ["3", "4"]
    assert list(problems["Spalte"]) == ["Kategorie", "Breitengrad"]
    assert "Unbekannte Kategorie „Zahnarzt“" in problems["Meldung"].iloc[0]
    assert "keine Zahl" in problems["Meldung"].iloc[1]
    assert any("1 Angebot aus „meine liste.csv“" in s.value for s in app.success)
    # the valid row was routed and merged into this session's data
    upload = app.session_state["upload"]
    assert upload["offers"]["id"].tolist() == ["upload:1:meine liste.csv:2"]
    assert set(upload["travel_times"]["mode"]) <= {"car", "bike", "walk", "pt"}
    assert len(upload["travel_times"]) > 0


def test_upload_unreadable_file_shows_error_not_crash(app: AppTest) -> None:
    app.file_uploader(key="upload_file").set_value(("x.csv", b"foo;bar\n1;2\n", "text/csv")).run()
    assert not app.exception
    assert any("Datei x.csv" in e.value and "fehlt" in e.value for e in app.error)


def test_handle_upload_never_uses_the_user_file_name_as_path(tmp_path: Path) -> None:
    out = uploads.handle_upload(
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
    out = uploads.handle_upload(b"x", "liste.pdf", workdir=tmp_path, categories=load_categories())
    assert out.error == "Dateityp „.pdf“ wird nicht unterstützt (erlaubt: CSV, XLSX)."
    assert out.offers.empty
    assert list(tmp_path.iterdir()) == []


def test_exports_offer_workbook_csv_geopackage_and_html(
    app: AppTest, library_results: Results
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
    assert len(_village_rows(page)) == len(views.base_villages(library_results))


def test_meeting_page_with_download_buttons(
    app: AppTest, library_results: Results
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
        "Steckbrief herunterladen",
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


def test_print_map_of_the_view(library_results: Results) -> None:
    data = views.view_data(library_results)
    cat = library_results.categories[0]
    view = views.compute_view(
        data, mode="car", categories=[cat], age_group="0-3", thresholds={cat: 12.0}
    )
    static = layers.static_layers(library_results)
    assert static.roads is not None and len(static.roads) > 0
    ags = str(data.boundaries["ags"].iloc[0])
    png = downloads.print_map_bytes(
        data,
        view,
        cat,
        layers=static,
        extent=views.gemeinde_extent(data, ags),
        extent_label="Testgemeinde",
        paper="A4",
        fmt="png",
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert tables.view_subtitle(view, cat, {cat: "Kita"}) == (
        "Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 12 min"
    )
    notes = kpis.kpi_notes(view, cat)
    beyond = format_int(kpis.kpis(view, cat)["children_beyond"])
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
    found = regions.discover_regions(
        tmp_path, demo_region=demo, env={"ERREICHBARKEIT_REGIONS_DIR": str(extra)}
    )
    assert [r.label for r in found] == [
        "Beispielkreis (fiktiv, eingebaut)",
        "Kreis A",
        "Kreis B",
        "c",
    ]


# -- grid surface, bands, grid key figures, base maps -----------------------------------


def _map_script(at: AppTest) -> str:
    """The Leaflet script streamlit-folium received on the last run."""
    scripts = [
        json.loads(el.proto.json_args)["script"]
        for el in at.main.get("component_instance")  # type: ignore[attr-defined]
        if "script" in json.loads(el.proto.json_args)
    ]
    assert len(scripts) == 1
    return str(scripts[0])


def _surface_data(script: str) -> dict[str, list[float]] | None:
    match = re.search(r"var d = (\{.*?\}), colors", script)
    return json.loads(match.group(1)) if match else None


def test_surface_toggle_shows_the_grid_layer(
    app: AppTest, library_results: Results
) -> None:
    grid = library_results.grid
    assert grid is not None  # the Beispielkreis has a 250 m grid
    cat = library_results.categories[0]
    assert _surface_data(_map_script(app)) is None  # off by default
    app.sidebar.toggle(key="grid_surface").set_value(True).run()
    assert not app.exception
    script = _map_script(app)
    assert 'createPane("ekSurface")' in script
    assert "250-m-Rasterzellen" in script  # the legend's note
    data = _surface_data(script)
    expected = json.loads(layers.grid_surface_text(grid, cat, "car") or "")
    assert data == expected
    classes = data["c"][4::5]  # type: ignore[index]
    assert len(classes) == len(grid.cells)
    want = maps.classify_minutes(grid.cells[f"{cat}_car_min"])
    assert classes == [len(maps.BIN_COLORS) if k < 0 else k for k in want.tolist()]
    # another mode: the surface of that mode
    app.sidebar.radio(key="mode").set_value("walk").run()
    assert _surface_data(_map_script(app)) == json.loads(
        layers.grid_surface_text(grid, cat, "walk") or ""
    )
    app.sidebar.toggle(key="grid_surface").set_value(False).run()
    assert _surface_data(_map_script(app)) is None


def _band_areas(bands: gpd.GeoDataFrame) -> dict[str, float]:
    return {
        str(b): round(float(a), 6) for b, a in zip(bands["band"], bands["area_km2"], strict=True)
    }


def test_category_bands_match_the_pipeline(
    app: AppTest, library_results: Results, tmp_path: Path
) -> None:
    cat = library_results.categories[0]
    label = library_results.settings.categories()[cat].label
    expected = grid_bands(
        library_results.grid, library_results.categories, library_results.settings.modes
    )
    app.sidebar.toggle(key="grid_bands").set_value(True).run()
    assert not app.exception
    for mode in ("car", "walk"):
        if mode != "car":
            app.sidebar.radio(key="mode").set_value(mode).run()
        key, bands = app.session_state["bands"]
        assert key == (cat, mode, ())
        want = expected[(expected["category"] == cat) & (expected["mode"] == mode)]
        assert len(bands) == len(want) > 1
        assert _band_areas(bands) == _band_areas(want)
        assert bands["population"].tolist() == want["population"].tolist()
        script = _map_script(app)
        mode_label = {"car": "Auto", "walk": "zu Fuß"}[mode]
        assert f"Reisezeit-Bänder: {label} ({mode_label})" in script
    # the GeoPackage download of the shown bands
    assert "Reisezeit-Bänder als GeoPackage" in [b.proto.label for b in app.get("download_button")]
    gpkg = downloads.bands_gpkg_bytes(bands, workdir=tmp_path)
    (tmp_path / "b.gpkg").write_bytes(gpkg)
    back = gpd.read_file(tmp_path / "b.gpkg", layer="reisezeitbaender")
    assert back.crs.to_epsg() == 25832
    assert back["band"].tolist() == bands["band"].tolist()
    assert back.to_crs(3035).area.div(1e6).round(4).tolist() == bands["area_km2"].round(4).tolist()


def test_bands_around_all_offers_equal_the_category_bands(
    app: AppTest, library_results: Results
) -> None:
    cat = library_results.categories[0]
    app.sidebar.toggle(key="grid_bands").set_value(True).run()
    category_bands = app.session_state["bands"][1]
    pick = app.sidebar.multiselect(key="band_offers")
    n_offers = int((library_results.offers["category"] == cat).sum())
    assert len(pick.options) == n_offers
    # routed on demand to every offer, the nearest of them is the category's nearest
    pick.set_value(pick.options).run()
    assert not app.exception
    key, bands = app.session_state["bands"]
    assert key[:2] == (cat, "car") and len(key[2]) == n_offers
    assert _band_areas(bands) == _band_areas(category_bands)
    assert f"Reisezeit-Bänder: {n_offers} ausgewählte Angebote (Auto)" in _map_script(app)
    # one offer: never closer than the nearest of all
    first = sorted(app.sidebar.multiselect(key="band_offers").value)[0]
    app.sidebar.multiselect(key="band_offers").set_value([first]).run()
    assert not app.exception
    one = app.session_state["bands"][1]
    assert app.session_state["bands"][0] == (cat, "car", (first,))
    fast = lambda b: float(b.loc[b["band"] == "0–5", "population"].sum())  # noqa: E731
    assert fast(one) < fast(category_bands)
    assert set(one["offers"]) == {library_results.offers.set_index("id").loc[first, "name"]}


def test_grid_kpi_expander_shows_the_library_numbers(
    app: AppTest, library_results: Results
) -> None:
    grid = library_results.grid
    assert grid is not None
    cat = library_results.categories[0]
    expander = next(
        e for e in app.expander if e.label == "Raster-Kennzahlen (wie Thünen-Landatlas)"
    )
    kreis_table, gem_table = (d.value for d in expander.dataframe)
    k = grid.kreis[(grid.kreis["category"] == cat) & (grid.kreis["mode"] == "car")].iloc[0]
    row = kreis_table.iloc[0]
    assert row["Gebiet"] == "Region gesamt"
    assert row["Einwohner"] == round(k["population"])
    assert row["Rasterzellen"] == len(grid.cells)
    assert row["Mittel Minuten (einwohnergewichtet, nur erreichbare Zellen)"] == round(
        k["pop_mean_min_reachable"], 1
    )
    assert row["Median Minuten (einwohnergewichtet)"] == round(k["pop_median_min"], 1)
    assert row["Median über Grenze"] == bool(k["pop_median_beyond"])
    for b in (5, 10, 15, 20):
        assert row[f"Anteil ≤ {b} min (%)"] == round(100 * k[f"share_within_{b}"], 1)
    assert row["Anteil ohne erreichbares Angebot (%)"] == round(100 * k["share_unreachable"], 1)
    g = grid.gemeinde[(grid.gemeinde["category"] == cat) & (grid.gemeinde["mode"] == "car")]
    assert sorted(gem_table["Gemeinde"]) == sorted(g["gemeinde"])
    assert gem_table["Einwohner"].sum() == pytest.approx(k["population"], abs=len(g))
    within10 = gem_table["Anteil ≤ 10 min (%)"].tolist()
    assert within10 == sorted(within10)
    assert "Gewichtung: Einwohner." in " ".join(c.value for c in expander.caption)


def test_online_base_map_choice(app: AppTest) -> None:
    radio = app.sidebar.radio(key="basemap")
    assert radio.value == "none"  # offline by default
    assert "geodatenzentrum" not in _map_script(app)
    radio.set_value("basemap.de").run()
    script = _map_script(app)
    assert (
        "sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe" in script
    )
    assert "GeoBasis-DE / BKG" in script
    app.sidebar.radio(key="basemap").set_value("osm").run()
    assert "tile.openstreetmap.org" in _map_script(app)


def test_region_without_grid_explains_how_to_enable_it(
    app: AppTest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_dir = data_dir / "generated" / "beispielkreis"
    target = tmp_path / "regions" / "ohne-raster"
    shutil.copytree(demo_dir, target)
    toml = target / "region.toml"
    text = toml.read_text("utf-8")
    text = re.sub(r"(?m)^(population_grid|grid_cell_m) = .*\n", "", text)
    toml.write_text(text.replace("Beispielkreis (fiktiv)", "Ohne Raster"), "utf-8")
    monkeypatch.setenv("ERREICHBARKEIT_REGIONS_DIR", str(tmp_path / "regions"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    region = at.sidebar.selectbox(key="region")
    region.set_value(str(toml)).run()
    assert not at.exception, at.exception
    hints = " ".join(i.value for i in at.sidebar.info)
    assert "grid_cell_m = 250" in hints and "population_grid" in hints
    assert "Regionsdatei" in hints
    assert not [t for t in at.sidebar.toggle if t.key in ("grid_surface", "grid_bands")]
    assert "Raster-Kennzahlen (wie Thünen-Landatlas)" not in [e.label for e in at.expander]


def test_upload_with_too_many_offers_is_refused(tmp_path: Path) -> None:
    """One accidental huge list must not tie up the shared server."""
    rows = "\n".join(
        f"Kita {i};Kita;{51.0 + i * 1e-5:.5f};{9.0 + i * 1e-5:.5f}".replace(".", ",")
        for i in range(uploads.MAX_UPLOAD_OFFERS + 1)
    )
    data = ("Name;Kategorie;Breitengrad;Längengrad\n" + rows + "\n").encode()
    outcome = uploads.handle_upload(
        data, "riesig.csv", workdir=tmp_path, categories=load_categories(),
        addresses=None, region_bounds=None, accept_street_match=False,
    )  # fmt: skip
    assert outcome.error is not None
    assert "höchstens" in outcome.error
    assert len(outcome.offers) == 0


def test_view_logic_modules_do_not_use_streamlit() -> None:
    """The pure view logic can be used and tested without a Streamlit server."""
    import ast

    for module in (views, regions, uploads, kpis, tables, layers, downloads):
        tree = ast.parse(Path(str(module.__file__)).read_text("utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert "streamlit" not in imported, module.__name__
        assert "streamlit_folium" not in imported, module.__name__


def test_view_data_refers_to_the_run_and_adds_the_upload(library_results: Results) -> None:
    """The view data holds no copy of the run; an upload extends offers and travel times."""
    data = views.view_data(library_results)
    assert data.results is library_results
    assert data.offers is library_results.offers
    assert data.travel_times is library_results.travel_times
    assert data.categories == library_results.categories
    assert data.settings is library_results.settings
    assert not data.has_upload
    first = library_results.offers.iloc[[0]].copy()
    upload = first.assign(id="upload:neu", name="Neu")
    tt = library_results.travel_times
    upload_tt = tt[tt["destination_id"] == first["id"].iloc[0]].assign(destination_id="upload:neu")
    merged = views.merge_upload(data, upload, upload_tt)
    assert merged.results is library_results
    assert len(merged.offers) == len(library_results.offers) + 1
    assert len(merged.travel_times) == len(tt) + len(upload_tt)
    assert merged.offers["id"].iloc[-1] == "upload:neu"
    assert views.merge_upload(data, upload.iloc[:0], upload_tt.iloc[:0]) is data
