"""Tests of the planning pages (Versorgung, Planung, Steckbrief) with Streamlit's AppTest.

The app runs on the built-in fictional Beispielkreis in a temporary data
folder; every number on the pages is compared with the library called
directly here (``results.supply``, :func:`scenarios.compare`,
:func:`locations.suggest_locations`, :func:`steckbrief.steckbrief_pdf`).
"""

from __future__ import annotations

import json
import math
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
from erreichbarkeit.planning import age_supply, locations, scenarios
from erreichbarkeit.report import steckbrief
from erreichbarkeit.results import Results
from erreichbarkeit.ui import planning_ages, planning_logic
from erreichbarkeit.ui.tables import comparison_display, format_int

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
    # the sidebar's age group by default (0–3), named in title and headers
    assert at.sidebar.selectbox(key="age_group").value == "0-3"
    assert at.radio(key="sup_ages").value == "sidebar"
    assert at.title[0].value == "Versorgung: Plätze je 1.000 Kinder 0–3 Jahre (Kita, Auto)"
    assert "Alle Zahlen gelten für **Kinder 0–3 Jahre**." in [m.value for m in at.markdown]
    want, _ = age_supply.group_supply_tables(
        results.travel_times, results.villages, results.offers, results.boundaries,
        settings=results.settings, category=cat, mode="car", age_groups=("0-3",),
    )  # fmt: skip
    shown = _frame(at, "Plätze je 1.000 Kinder 0–3 Jahre")
    got = dict(zip(shown["Ort"], shown["Plätze je 1.000 Kinder 0–3 Jahre"], strict=True))
    assert got == dict(zip(want["name"], want["access"].round(1), strict=True))
    demand = dict(zip(shown["Ort"], shown["Kinder 0–3 Jahre (Nachfrage)"], strict=True))
    assert demand == dict(zip(want["name"], want["demand"].round(1), strict=True))
    assert want["demand"].sum() == pytest.approx(
        (results.villages["children_0_3"]).fillna(0).sum()
    )
    assert "Kinder 0–3 Jahre" in [m.label for m in at.metric]
    # the whole target group on request: the run's stored tables
    at.radio(key="sup_ages").set_value("whole").run()
    assert not at.exception
    assert at.title[0].value == "Versorgung: Plätze je 1.000 Kinder 0–6 Jahre (Kita, Auto)"
    want = results.supply[(results.supply["category"] == cat) & (results.supply["mode"] == "car")]
    assert set(want["supply_note"]) == {""}
    shown = _frame(at, "Plätze je 1.000 Kinder 0–6 Jahre")
    assert len(shown) == len(want)
    got = dict(zip(shown["Ort"], shown["Plätze je 1.000 Kinder 0–6 Jahre"], strict=True))
    expected = dict(zip(want["name"], want["access"].round(1), strict=True))
    assert got == expected
    # lowest supply first
    values = shown["Plätze je 1.000 Kinder 0–6 Jahre"].tolist()
    assert values == sorted(values)
    gem = results.supply_gemeinden
    gem = gem[(gem["category"] == cat) & (gem["mode"] == "car")]
    col = "Plätze je 1.000 Kinder 0–6 Jahre (Mittel)"
    shown_gem = _frame(at, col)
    assert dict(zip(shown_gem["AGS"], shown_gem[col], strict=True)) == (
        dict(zip(gem["ags"].astype(str), gem["access_mean"].round(1), strict=True))
    )
    assert not at.warning  # no capacity note for Kitas
    # plain words in the label, the technical term in the explanation
    assert "Wie wird gerechnet? (Plätze und Kinder im Einzugsbereich)" in [
        e.label for e in at.expander
    ]
    assert any("*2SFCA*" in m.value for m in at.markdown)


def test_supply_page_0_3_differs_from_0_6_and_sums_up(results: Results) -> None:
    """0–3 and 3–6 share the Kitas' places: their places shared out add up to 0–6's."""
    cat = results.categories[0]
    kw: dict[str, Any] = {"settings": results.settings, "category": cat, "mode": "car"}
    r = (results.travel_times, results.villages, results.offers, results.boundaries)
    _, g03 = age_supply.group_supply_tables(*r, **kw, age_groups=("0-3",))
    _, g36 = age_supply.group_supply_tables(*r, **kw, age_groups=("3-6",))
    stored = results.supply_gemeinden
    stored = stored[(stored["category"] == cat) & (stored["mode"] == "car")]
    assert g03["demand"].sum() < stored["demand"].sum()
    assert g03["supply_allocated"].sum() + g36["supply_allocated"].sum() == pytest.approx(
        stored["supply_allocated"].sum()
    )


def test_supply_page_says_when_the_category_does_not_serve_the_age(results: Results) -> None:
    at = _page("versorgung")
    cat = "jugendzentrum"
    assert cat in results.categories
    at.sidebar.multiselect(key="categories").set_value([cat]).run()
    assert not at.exception
    assert next(i.value for i in at.info).startswith(
        "Jugendzentrum richtet sich nicht an Kinder 0–3 Jahre (Zielgruppe: 10–27 Jahre)"
    )
    assert not any("Plätze je 1.000" in c for d in at.dataframe for c in d.value.columns)
    at.radio(key="sup_ages").set_value("whole").run()
    assert at.title[0].value.startswith("Versorgung: Plätze je 1.000 Kinder 10–27 Jahre")


def test_supply_page_notes_missing_capacities(results: Results) -> None:
    at = _page("versorgung")
    cat = "familienzentrum"
    assert cat in results.categories
    at.sidebar.multiselect(key="categories").set_value([cat]).run()
    at.sidebar.radio(key="mode").set_value("walk").run()
    at.radio(key="sup_ages").set_value("whole").run()
    assert not at.exception
    want = results.supply[(results.supply["category"] == cat) & (results.supply["mode"] == "walk")]
    note = str(want["supply_note"].iloc[0])
    assert note.startswith("Kapazität fehlt bei 2 von 2 Angeboten")
    assert [w.value for w in at.warning] == [
        f"Kapazitäten fehlen – gezählt werden Angebote. {note}"
    ]
    col = "Angebote je 1.000 Kinder 0–10 Jahre"
    shown = _frame(at, col)
    assert sorted(shown[col]) == sorted(want["access"].round(1))


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
    # the figures as the page shows them: German text per row (ui.tables.comparison_display)
    expected = comparison_display(delta.kpis_de()).reset_index(drop=True)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
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


def _village_suggestion(
    results: Results, routers: dict[str, Any], cat: str, groups: tuple[str, ...], k: int
) -> locations.LocationSuggestion:
    """The same model as the tab's, built the way the command line does it."""
    s = results.settings
    villages = results.villages.copy()
    lo, hi = groups[0].split("-")[0], groups[-1].split("-")[1]
    villages[f"children_{lo}_{hi}"] = villages[[age_column(g) for g in groups]].sum(axis=1)
    cands = locations.candidate_sites(results.villages)
    tt = locations.candidate_travel_times(
        routers, results.villages, cands, mode="car",
        cutoff_minutes=s.routing.cutoff_minutes, max_snap_m=s.routing.max_snap_m,
    )  # fmt: skip
    both = pd.concat([results.travel_times[results.travel_times["mode"] == "car"], tt])
    defaults = {key: c.age_groups for key, c in s.categories().items()}
    offers = results.offers[results.offers["category"] == cat]
    if len(groups) == 1:  # the offers counting for one age group, as on the map
        offers = offers_for_group(offers, groups[0], defaults)
    return locations.suggest_locations(
        both, villages, offers["id"].tolist(), candidates=cands, k=k,
        threshold=s.threshold(cat, "car"), demand_column=f"children_{lo}_{hi}", mode="car",
        label=s.categories()[cat].label, time_limit_s=20,
    )  # fmt: skip


def test_location_suggestions_equal_the_library(results: Results, routers: dict[str, Any]) -> None:
    cat = "familienzentrum"
    at = _page("planung")
    at.session_state["plan_tab"] = "Standortvorschläge"
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="loc_category").set_value(cat).run()
    at.slider(key="loc_k").set_value(2).run()
    assert at.radio(key="loc_ages").value == "sidebar"
    at.radio(key="loc_ages").set_value("whole").run()
    at.button(key="loc_run").click().run()
    assert not at.exception, at.exception
    assert not at.error
    groups = ("0-3", "3-6", "6-10")
    assert results.settings.categories()[cat].age_groups == groups
    want = _village_suggestion(results, routers, cat, groups, 2)
    assert len(want.sites) == 2
    shown = _frame(at, "zusätzlich erreichte Kinder 0–10 Jahre")
    assert shown["Standort"].tolist() == want.sites["name"].tolist()
    assert shown["zusätzlich erreichte Kinder 0–10 Jahre"].tolist() == (
        want.sites["coverage_gain_children"].round(1).tolist()
    )
    assert shown["Rang"].tolist() == [1, 2]
    # village candidates: the village itself and its Gemeinde
    v = results.villages.assign(cid="kandidat:" + results.villages["id"].astype(str))
    v = v.set_index("cid").loc[want.sites["id"]]
    assert shown["nächster Ort"].tolist() == v["name"].astype(str).tolist()
    assert shown["Gemeinde"].tolist() == v["gemeinde"].astype(str).tolist()
    assert shown["AGS"].tolist() == v["ags"].astype(str).tolist()
    assert shown["Entfernung zum Ort (km)"].tolist() == ["0,0", "0,0"]
    text = " ".join(m.value for m in at.markdown)
    assert want.objective in text
    # the map marks the two sites
    assert any("Vorschlag 1: " in s and "Vorschlag 2: " in s for s in _map_scripts(at))


def test_location_suggestions_use_the_sidebar_age_group(
    results: Results, routers: dict[str, Any]
) -> None:
    cat = "familienzentrum"
    at = _page("planung")
    at.session_state["plan_tab"] = "Standortvorschläge"
    at.run()
    at.selectbox(key="loc_category").set_value(cat).run()
    assert "Alle Zahlen gelten für **Kinder 0–3 Jahre**." in [m.value for m in at.markdown]
    at.button(key="loc_run").click().run()
    assert not at.exception, at.exception
    want = _village_suggestion(results, routers, cat, ("0-3",), 1)
    whole = _village_suggestion(results, routers, cat, ("0-3", "3-6", "6-10"), 1)
    assert want.covered_before < whole.covered_before
    shown = _frame(at, "zusätzlich erreichte Kinder 0–3 Jahre")
    assert shown["Standort"].tolist() == want.sites["name"].tolist()
    assert shown["zusätzlich erreichte Kinder 0–3 Jahre"].tolist() == (
        want.sites["coverage_gain_children"].round(1).tolist()
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kinder 0–3 Jahre innerhalb vorher"] == format_int(want.covered_before)
    # a category for other ages: a German note instead of zeros
    at.selectbox(key="loc_category").set_value("jugendzentrum").run()
    assert any(
        i.value.startswith("Jugendzentrum richtet sich nicht an Kinder 0–3 Jahre") for i in at.info
    )
    assert "loc_run" not in [b.key for b in at.button]


def test_own_site_shows_its_gemeinde_and_nearest_village(
    results: Results, routers: dict[str, Any]
) -> None:
    """An own site 0,001° east of a village: that Gemeinde's polygon, that village, 0,1 km."""
    v = results.villages[results.villages["in_area"].astype(bool)].iloc[0]
    lon, lat = v.geometry.x + 0.001, v.geometry.y
    own = gpd.GeoDataFrame(
        {"id": ["eigen:1"], "name": ["Halle"], "source": ["eigener Standort"]},
        geometry=gpd.points_from_xy([lon], [lat]),
        crs="EPSG:4326",
    )
    suggestion = planning_logic.suggest(
        results, routers, category="kita", mode="car", k=1, model="pmedian",
        threshold=60.0, village_candidates=None, own=own, age_groups=("0-3",),
    )  # fmt: skip
    assert suggestion.sites["id"].tolist() == ["eigen:1"]
    table = planning_ages.sites_table(results, suggestion, ("0-3",))
    b = results.boundaries
    inside = b[b.geometry.intersects(own.geometry.iloc[0])]
    assert len(inside) == 1
    assert table["Gemeinde"].tolist() == [str(inside["gemeinde"].iloc[0])]
    assert table["AGS"].tolist() == [str(inside["ags"].iloc[0])]
    assert table["nächster Ort"].tolist() == [str(v["name"])]
    # 0,001° of longitude at this latitude, metres (the UTM distance differs by < 1 m)
    metres = 0.001 * math.pi / 180 * 6_371_000 * math.cos(math.radians(lat))
    assert table["Entfernung zum Ort (km)"].tolist() == [f"{metres / 1000:.1f}".replace(".", ",")]


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
