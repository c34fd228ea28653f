"""Tests of the planning pages (Versorgung, Planung, Steckbrief) with Streamlit's AppTest.

The app runs on the built-in fictional Beispielkreis in a temporary data
folder; every number on the pages is compared with the library called
directly here (``results.supply``, :func:`scenarios.compare`,
:func:`locations.suggest_locations`, :func:`steckbrief.steckbrief_pdf`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit import webmap as maps
from erreichbarkeit.analysis.age_offers import offers_for_group
from erreichbarkeit.config import Settings, age_column
from erreichbarkeit.network.transit.setup import make_all_routers
from erreichbarkeit.planning import locations, scenarios
from erreichbarkeit.report import steckbrief
from erreichbarkeit.results import Results
from erreichbarkeit.ui import planning_logic

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("plandata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def results(data_dir: Path) -> Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))


@pytest.fixture(scope="module")
def routers(results: Results) -> dict[str, Any]:
    return make_all_routers(results.settings, results.inputs.network_osm, results.inputs.timetable)


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page of ``st.navigation`` by its url path (see tests/test_app.py)."""
    pages = at._registered_pages
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    return at.run()


def _page(url_path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    _goto(at, url_path)
    assert not at.exception, at.exception
    return at


def _map_scripts(at: AppTest) -> list[str]:
    """The Leaflet scripts streamlit-folium received on the last run."""
    return [
        str(json.loads(el.proto.json_args)["script"])
        for el in at.main.get("component_instance")  # type: ignore[attr-defined]
        if "script" in json.loads(el.proto.json_args)
    ]


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


# -- Versorgung ----------------------------------------------------------------------


def test_supply_page_shows_the_runs_2sfca_numbers(results: Results) -> None:
    at = _page("versorgung")
    cat = results.categories[0]  # kita: every demo Kita has a capacity
    assert at.title[0].value == "Versorgung: Plätze je 1.000 Kinder (Kita, Auto)"
    want = results.supply[(results.supply["category"] == cat) & (results.supply["mode"] == "car")]
    assert set(want["supply_note"]) == {""}
    shown = _frame(at, "Plätze je 1.000 Kinder")
    assert len(shown) == len(want)
    got = dict(zip(shown["Ort"], shown["Plätze je 1.000 Kinder"], strict=True))
    expected = dict(zip(want["name"], want["access"].round(1), strict=True))
    assert got == expected
    # lowest supply first
    values = shown["Plätze je 1.000 Kinder"].tolist()
    assert values == sorted(values)
    gem = results.supply_gemeinden
    gem = gem[(gem["category"] == cat) & (gem["mode"] == "car")]
    shown_gem = _frame(at, "Plätze je 1.000 Kinder (Mittel)")
    assert dict(
        zip(shown_gem["AGS"], shown_gem["Plätze je 1.000 Kinder (Mittel)"], strict=True)
    ) == (dict(zip(gem["ags"].astype(str), gem["access_mean"].round(1), strict=True)))
    assert not at.warning  # no capacity note for Kitas
    # plain words in the label, the technical term in the explanation
    assert "Wie wird gerechnet? (Plätze und Kinder im Einzugsbereich)" in [
        e.label for e in at.expander
    ]
    assert any("*2SFCA*" in m.value for m in at.markdown)


def test_supply_page_notes_missing_capacities(results: Results) -> None:
    at = _page("versorgung")
    cat = "familienzentrum"
    assert cat in results.categories
    at.sidebar.multiselect(key="categories").set_value([cat]).run()
    at.sidebar.radio(key="mode").set_value("walk").run()
    assert not at.exception
    want = results.supply[(results.supply["category"] == cat) & (results.supply["mode"] == "walk")]
    note = str(want["supply_note"].iloc[0])
    assert note.startswith("Kapazität fehlt bei 2 von 2 Angeboten")
    assert [w.value for w in at.warning] == [
        f"Kapazitäten fehlen – gezählt werden Angebote. {note}"
    ]
    shown = _frame(at, "Angebote je 1.000 Kinder")
    assert sorted(shown["Angebote je 1.000 Kinder"]) == sorted(want["access"].round(1))


# -- Was wäre wenn ------------------------------------------------------------------


def _busiest_offer(results: Results, category: str) -> str:
    """The offer whose closing puts the most children 0–3 beyond the car threshold.

    Only offers serving 0–3 count (the Beispielkreis has Ü3-Kitas): from the
    long table, each village's nearest and second-nearest such offer.
    """
    defaults = {k: c.age_groups for k, c in results.settings.categories().items()}
    offers = offers_for_group(results.offers, "0-3", defaults)
    ids = set(offers.loc[offers["category"] == category, "id"].astype(str))
    tt = results.travel_times
    tt = tt[(tt["mode"] == "car") & tt["destination_id"].astype(str).isin(ids)]
    ranked = tt.sort_values(["origin_id", "minutes"]).groupby("origin_id").head(2)
    ranked = ranked.assign(rank=ranked.groupby("origin_id").cumcount())
    first = ranked[ranked["rank"] == 0].set_index("origin_id")
    second = ranked[ranked["rank"] == 1].set_index("origin_id")["minutes"]
    thr = results.settings.threshold(category, "car")
    lost = first[(first["minutes"] <= thr) & ~(second.reindex(first.index) <= thr)]
    kids = results.villages.set_index(results.villages["id"].astype(str))[age_column("0-3")]
    lost_kids = kids.reindex(lost.index.astype(str))
    per_offer = lost_kids.groupby(lost["destination_id"].to_numpy()).sum()
    return str(per_offer.idxmax())


def _assert_same_delta(at: AppTest, delta: scenarios.ScenarioDelta) -> None:
    assert next(i.value for i in at.info) == delta.summary_de
    shown = _frame(at, "Kennzahl")
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), delta.kpis_de())
    moved = _frame(at, "Veränderung")
    assert moved["Ort"].tolist() == delta.villages["name"].tolist()
    assert moved["nächstes Angebot nachher"].tolist() == delta.villages["after_nearest"].tolist()


def test_close_offer_shows_the_library_comparison(
    results: Results, routers: dict[str, Any]
) -> None:
    cat = results.categories[0]
    offer = _busiest_offer(results, cat)
    at = _page("planung")
    assert at.title[0].value == "Planung"
    at.radio(key="wi_kind").set_value("close").run()
    at.selectbox(key="wi_offer").set_value(offer).run()
    at.button(key="wi_add").click().run()
    assert not at.exception, at.exception
    assert not at.error
    scen = scenarios.apply_scenario(
        results,
        scenarios.new_scenario("Mein Szenario", [scenarios.Change("close", offer)]),
        routers,
    )
    delta = scenarios.compare(results, scen, category=cat, mode="car", age_group="0-3")
    assert delta.kpis["delta"].abs().sum() > 0  # closing it changes something
    assert len(delta.moved_beyond) > 0
    _assert_same_delta(at, delta)
    name = results.offers.set_index("id").loc[offer, "name"]
    assert any(f"geschlossen: „{name}“" in m.value for m in at.markdown)
    # removing the change brings the page back to no scenario
    at.button(key="wi_rm_0").click().run()
    assert not at.exception
    assert not [d for d in at.dataframe if "Kennzahl" in d.value.columns]


def test_add_offer_by_coordinates(results: Results, routers: dict[str, Any]) -> None:
    cat = results.categories[0]
    # the worst-served village with children: a new Kita there must help
    v = results.villages
    v = v[v[age_column("0-3")] > 0].sort_values(f"{cat}_car_min", ascending=False)
    target = v.iloc[0]
    lat, lon = round(float(target.geometry.y), 6), round(float(target.geometry.x), 6)
    at = _page("planung")
    at.text_input(key="wi_name").input("Neue Kita").run()
    at.text_input(key="wi_offer_name").input("Kita Neu").run()
    at.number_input(key="wi_lat").set_value(lat).run()
    at.number_input(key="wi_lon").set_value(lon).run()
    at.button(key="wi_add").click().run()
    assert not at.exception, at.exception
    assert not at.error
    change = scenarios.Change("add", "", name="Kita Neu", category=cat, lon=lon, lat=lat)
    scen = scenarios.apply_scenario(results, scenarios.new_scenario("Neue Kita", [change]), routers)
    delta = scenarios.compare(results, scen, category=cat, mode="car", age_group="0-3")
    assert len(delta.moved_within) > 0
    _assert_same_delta(at, delta)
    assert "Kita Neu" in set(_frame(at, "Veränderung")["nächstes Angebot nachher"])
    # the change is marked on the map, defined before the layer control that names it
    script = _map_scripts(at)[0]
    assert "neu: Kita Neu" in script
    assert script.index("var mark_layer_") < script.index("L.control.layers")
    # the scenario is offered as JSON, and can be kept as A
    assert "Szenario als JSON speichern" in [b.proto.label for b in at.get("download_button")]
    at.button(key="wi_keep_A").click().run()
    assert at.session_state["wi_slots"]["A"].changes == (change,)


def test_changes_added_one_by_one_equal_one_application(
    results: Results, routers: dict[str, Any]
) -> None:
    # the page applies each new change on top of the previous state
    cat = results.categories[0]
    offer = _busiest_offer(results, cat)
    v = results.villages
    target = v[v[age_column("0-3")] > 0].sort_values(f"{cat}_car_min", ascending=False).iloc[0]
    lat, lon = round(float(target.geometry.y), 6), round(float(target.geometry.x), 6)
    at = _page("planung")
    at.number_input(key="wi_lat").set_value(lat).run()
    at.number_input(key="wi_lon").set_value(lon).run()
    at.button(key="wi_add").click().run()
    at.radio(key="wi_kind").set_value("close").run()
    at.selectbox(key="wi_offer").set_value(offer).run()
    at.button(key="wi_add").click().run()
    assert not at.exception, at.exception
    changes = [
        scenarios.Change("add", "", name="Neues Angebot", category=cat, lon=lon, lat=lat),
        scenarios.Change("close", offer),
    ]
    assert list(at.session_state["wi_changes"]) == changes
    scen = scenarios.apply_scenario(
        results, scenarios.new_scenario("Mein Szenario", changes), routers
    )
    delta = scenarios.compare(results, scen, category=cat, mode="car", age_group="0-3")
    _assert_same_delta(at, delta)
    lines = " ".join(m.value for m in at.markdown)
    place = f"{lat:.5f}, {lon:.5f}".replace(".", ",")
    assert f"1. neu: „Neues Angebot“ (Kita) bei {place}" in lines


def test_coordinates_outside_the_region_give_a_german_error() -> None:
    at = _page("planung")
    at.number_input(key="wi_lat").set_value(48.0).run()
    at.button(key="wi_add").click().run()
    assert not at.exception
    assert any("außerhalb der Region" in e.value for e in at.error)
    assert "wi_changes" not in at.session_state


def test_broken_scenario_upload_shows_german_error() -> None:
    at = _page("planung")
    at.file_uploader(key="wi_upload").set_value(
        ("meins.json", b"{kein json", "application/json")
    ).run()
    assert not at.exception, at.exception
    assert any("Keine lesbare JSON-Datei" in e.value for e in at.error)
    # a well-formed file naming an offer the region does not have
    bad = {
        "format": "erreichbarkeit-szenario",
        "version": 1,
        "name": "Fremd",
        "created": "2025-01-01T00:00:00",
        "changes": [{"kind": "close", "offer_id": "gibt-es-nicht"}],
    }
    at.file_uploader(key="wi_upload").set_value(
        ("../../fremd.json", json.dumps(bad).encode(), "application/json")
    ).run()
    assert not at.exception
    assert any("gibt-es-nicht" in e.value for e in at.error)
    assert list(at.session_state.get("wi_changes", [])) == []


def test_scenario_upload_round_trip_and_two_slots(results: Results, tmp_path: Path) -> None:
    cat = results.categories[0]
    offer = _busiest_offer(results, cat)
    scen = scenarios.new_scenario("Kita zu", [scenarios.Change("close", offer)])
    raw = planning_logic.scenario_json_bytes(scen, workdir=tmp_path, region="Beispielkreis")
    at = _page("planung")
    at.file_uploader(key="wi_upload").set_value(("kita zu.json", raw, "application/json")).run()
    assert not at.exception
    assert any("Szenario „Kita zu“ geladen (1 Änderungen)." in s.value for s in at.success)
    assert at.text_input(key="wi_name").value == "Kita zu"
    at.button(key="wi_keep_A").click().run()
    at.button(key="wi_rm_0").click().run()
    at.text_input(key="wi_name").input("Nichts").run()
    at.number_input(key="wi_lat").set_value(float(results.offers.geometry.y.iloc[0])).run()
    at.number_input(key="wi_lon").set_value(float(results.offers.geometry.x.iloc[0])).run()
    at.button(key="wi_add").click().run()
    at.button(key="wi_keep_B").click().run()
    assert not at.exception, at.exception
    side = _frame(at, "Differenz (B − A)")
    assert list(side.columns) == [
        "Kennzahl",
        "Ausgangslage",
        "A: Kita zu",
        "B: Nichts",
        "Differenz (B − A)",
    ]
    assert "Vergleich als Excel" in [b.proto.label for b in at.get("download_button")]


def test_scenario_files_never_use_the_user_name(tmp_path: Path) -> None:
    scen = scenarios.new_scenario("Süd / neu", [scenarios.Change("close", "x")])
    raw = planning_logic.scenario_json_bytes(scen, workdir=tmp_path / "a", region="R")
    back = planning_logic.load_scenario_bytes(raw, workdir=tmp_path / "b")
    assert back == scen
    written = [p.name for p in (tmp_path / "b").iterdir()]
    assert len(written) == 1 and written[0].startswith("szenario-")
    assert planning_logic.scenario_name_slug("Süd / neu") == "szenario-sued-neu"
    assert planning_logic.scenario_name_slug("///") == "szenario"


# -- Standortvorschläge ---------------------------------------------------------------


def test_location_suggestions_equal_the_library(results: Results, routers: dict[str, Any]) -> None:
    cat = "familienzentrum"
    at = _page("planung")
    at.session_state["plan_tab"] = "Standortvorschläge"
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="loc_category").set_value(cat).run()
    at.slider(key="loc_k").set_value(2).run()
    at.button(key="loc_run").click().run()
    assert not at.exception, at.exception
    assert not at.error
    # the same model, built the way the command line does it
    s = results.settings
    villages = results.villages.copy()
    groups = ("0-3", "3-6", "6-10")
    assert s.categories()[cat].age_groups == groups
    villages["children_0_10"] = villages[[age_column(g) for g in groups]].sum(axis=1)
    cands = locations.candidate_sites(results.villages)
    tt = locations.candidate_travel_times(
        routers, results.villages, cands, mode="car",
        cutoff_minutes=s.routing.cutoff_minutes, max_snap_m=s.routing.max_snap_m,
    )  # fmt: skip
    both = pd.concat([results.travel_times[results.travel_times["mode"] == "car"], tt])
    existing = results.offers.loc[results.offers["category"] == cat, "id"].tolist()
    want = locations.suggest_locations(
        both, villages, existing, candidates=cands, k=2, threshold=s.threshold(cat, "car"),
        demand_column="children_0_10", mode="car", label=s.categories()[cat].label,
        time_limit_s=20,
    )  # fmt: skip
    assert len(want.sites) == 2
    shown = _frame(at, "zusätzlich erreichte Kinder")
    assert shown["Standort"].tolist() == want.sites["name"].tolist()
    assert shown["zusätzlich erreichte Kinder"].tolist() == (
        want.sites["coverage_gain_children"].round(1).tolist()
    )
    assert shown["Rang"].tolist() == [1, 2]
    text = " ".join(m.value for m in at.markdown)
    assert want.objective in text
    # the map marks the two sites
    assert any("Vorschlag 1: " in s and "Vorschlag 2: " in s for s in _map_scripts(at))


def test_suggestion_without_candidates_warns() -> None:
    at = _page("planung")
    at.session_state["plan_tab"] = "Standortvorschläge"
    at.run()
    at.checkbox(key="loc_use_villages").uncheck().run()
    at.button(key="loc_run").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "Bitte Orte als Standorte zulassen oder eigene Standorte hochladen."
    ]


# -- Steckbrief ------------------------------------------------------------------------


def test_steckbrief_download_on_the_meeting_page(results: Results) -> None:
    at = _page("besprechung")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Steckbrief herunterladen" in labels
    sel = at.selectbox(key="steckbrief_ags")
    assert sel.options[0] == "ganzer Kreis"
    assert len(sel.options) == 1 + len(steckbrief.gemeinden_of(results))
    cat = results.categories[0]
    ags = str(steckbrief.gemeinden_of(results)["ags"].iloc[0])
    pdf = steckbrief.steckbrief_pdf(
        results, ags=ags, mode="car", age_group="0-3", categories=(cat,),
        thresholds={cat: float(results.settings.threshold(cat, "car"))}, map_category=cat,
    )  # fmt: skip
    assert pdf[:4] == b"%PDF"


def test_mark_rows_escape_labels() -> None:
    pts = gpd.GeoDataFrame(
        {"name": ["<b>"]}, geometry=gpd.points_from_xy([9.0], [51.0]), crs="EPSG:4326"
    )
    rows = maps.mark_rows(pts, label="1", tooltip=["<i>x</i>"], color="#c2185b")
    assert rows == [[51.0, 9.0, "1", "&lt;i&gt;x&lt;/i&gt;", "#c2185b"]]


def test_candidate_upload_rejects_other_types(tmp_path: Path) -> None:
    from erreichbarkeit.errors import InputDataError

    with pytest.raises(InputDataError) as err:
        planning_logic.read_candidates(b"x", "../standorte.pdf", workdir=tmp_path)
    assert err.value.german.endswith(
        "Dateityp „.pdf“ wird für Standorte nicht unterstützt (erlaubt: CSV, XLSX, GPKG, GeoJSON)."
    )
    assert list(tmp_path.iterdir()) == []
