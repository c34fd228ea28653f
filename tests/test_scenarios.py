"""What-if scenarios on the Beispielkreis: incremental results equal a full run."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import group_min_column
from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ErreichbarkeitError, GeocodingError
from erreichbarkeit.network.transit.setup import make_all_routers
from erreichbarkeit.pipeline import run
from erreichbarkeit.planning.scenarios import (
    Change,
    Scenario,
    ScenarioError,
    ScenarioFileError,
    apply_scenario,
    compare,
    compare_two,
    kpi_values,
    load_scenario,
    new_scenario,
    save_scenario,
)
from erreichbarkeit.report.scenario_export import export_comparison
from erreichbarkeit.results import Results

from .conftest import need_shared

_SUFFIXES = ("nearest", "nearest_id", "min", "km", "second_min", "n_within", "within")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from erreichbarkeit.demo.beispielkreis import generate_demo

    tmp = tmp_path_factory.mktemp("scen")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(files.region, cache_dir=tmp / "cache", grid_cell_m=None)
    base = run(settings)
    routers = make_all_routers(base.settings, base.inputs.network_osm, base.inputs.timetable)
    yield {"files": files, "settings": settings, "base": base, "routers": routers}


def _offers_csv(demo: dict[str, Any]) -> pd.DataFrame:
    return pd.read_csv(demo["files"].offers, sep=";", dtype=str, encoding="utf-8-sig")


def _full_run(demo: dict[str, Any], table: pd.DataFrame, tmp_path: Path) -> Results:
    """The pipeline on a modified offers list (same networks, from the cache)."""
    path = tmp_path / "angebote_geaendert.csv"
    table.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return run(demo["settings"].replace(offers=(str(path),)))


def _assert_same_villages(incremental: Results, full: Results) -> None:
    """Every indicator column of every village, category and mode is equal."""
    assert incremental.categories == full.categories
    a = incremental.villages.set_index("id")
    b = full.villages.set_index("id").loc[a.index]
    for cat in full.categories:
        for mode in full.settings.modes:
            for suffix in _SUFFIXES:
                col = f"{cat}_{mode}_{suffix}"
                pd.testing.assert_series_equal(a[col], b[col], check_dtype=False, obj=col)
    pd.testing.assert_series_equal(a["reason"], b["reason"], obj="reason")
    keys = ["ags", "category", "mode"]
    ga = incremental.gemeinden.sort_values(keys).reset_index(drop=True)
    gb = full.gemeinden.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(ga, gb, check_dtype=False)
    pd.testing.assert_frame_equal(
        incremental.kreis.reset_index(drop=True), full.kreis.reset_index(drop=True)
    )


def _busiest(base: Results, category: str, mode: str) -> str:
    """The offer of a category that is nearest for the most villages."""
    return str(base.villages[f"{category}_{mode}_nearest_id"].value_counts().index[0])


def test_close_kinderarzt_equals_full_run(demo: dict[str, Any], tmp_path: Path) -> None:
    base: Results = demo["base"]
    closed = _busiest(base, "kinderarzt", "car")
    scen = apply_scenario(
        base, new_scenario("Praxis schließt", [Change("close", closed)]), demo["routers"]
    )
    assert scen.affected_categories == ("kinderarzt",)
    assert closed not in set(scen.offers["id"])
    assert closed not in set(scen.travel_times["destination_id"])
    # the villages whose nearest it was now reach their second nearest; all others stay
    v0, v1 = base.villages, scen.villages
    for mode in base.settings.modes:
        p = f"kinderarzt_{mode}"
        hit = (v0[f"{p}_nearest_id"] == closed).to_numpy()
        assert hit.any()
        np.testing.assert_allclose(
            v1.loc[hit, f"{p}_min"].to_numpy(), v0.loc[hit, f"{p}_second_min"].to_numpy()
        )
        np.testing.assert_array_equal(v1.loc[~hit, f"{p}_min"], v0.loc[~hit, f"{p}_min"])
    # untouched categories keep their columns
    pd.testing.assert_series_equal(v1["kita_car_min"], v0["kita_car_min"])

    table = _offers_csv(demo)
    full = _full_run(demo, table[table["Nr"] != closed], tmp_path)
    _assert_same_villages(scen.results, full)

    delta = compare(base, scen, category="kinderarzt", mode="car", age_group="0-3")
    changed = v0["kinderarzt_car_nearest_id"] == closed
    assert set(delta.villages["id"]) == set(v0.loc[changed, "id"])
    assert (delta.villages["delta_min"] > 0).all()
    assert (delta.villages["after_nearest_id"] != closed).all()
    limit = base.settings.threshold("kinderarzt", "car")
    crossed = changed & (v1["kinderarzt_car_min"] > limit) & (v0["kinderarzt_car_min"] <= limit)
    assert set(delta.moved_beyond["id"]) == set(v0.loc[crossed, "id"])
    assert delta.children_moved_beyond == pytest.approx(v0.loc[crossed, "children_0_3"].sum())
    kpis = delta.kpis.set_index("kpi")
    assert kpis.loc["children_beyond", "delta"] == pytest.approx(delta.children_moved_beyond)
    assert kpis.loc["n_underserved", "delta"] == int(crossed.sum())
    assert delta.summary_de.startswith("Szenario „Praxis schließt“ – Kinderarzt, Auto")


def _underserved_village(base: Results, category: str, mode: str) -> pd.Series:
    v = base.villages
    limit = base.settings.threshold(category, mode)
    far = v[(v[f"{category}_{mode}_min"] > limit) & v["snap_ok"]]
    return far.sort_values("population", ascending=False).iloc[0]


def test_add_offer_at_village_equals_full_run(demo: dict[str, Any], tmp_path: Path) -> None:
    base: Results = demo["base"]
    village = _underserved_village(base, "kinderarzt", "car")
    lon, lat = village.geometry.x, village.geometry.y
    change = Change(
        "add", "neu-1", name="Kinderarztpraxis Neu", category="kinderarzt", lon=lon, lat=lat
    )
    scen = apply_scenario(base, new_scenario("Neue Praxis", [change]), demo["routers"])
    row = scen.villages.set_index("id").loc[village["id"]]
    assert row["kinderarzt_car_min"] < 0.5  # the offer stands in the village
    assert row["kinderarzt_car_nearest"] == "Kinderarztpraxis Neu"
    assert bool(row["kinderarzt_car_within"])
    new = scen.offers.set_index("id").loc["neu-1"]
    assert new["source"] == "Szenario „Neue Praxis“"
    assert bool(new["snap_ok_car"])

    delta = compare(base, scen, category="kinderarzt", mode="car", age_group="0-3")
    assert village["id"] in set(delta.moved_within["id"])
    assert delta.moved_beyond.empty
    assert (delta.villages["delta_min"] < 0).all()
    assert "innerhalb der Schwelle" in delta.summary_de

    table = _offers_csv(demo)
    extra = dict.fromkeys(table.columns, "") | {
        "Nr": "neu-1",
        "Name": "Kinderarztpraxis Neu",
        "Kategorie": "Kinderarzt",
        "Breitengrad": repr(lat),
        "Längengrad": repr(lon),
    }
    full = _full_run(demo, pd.concat([table, pd.DataFrame([extra])]), tmp_path)
    _assert_same_villages(scen.results, full)


def test_move_and_close_equal_full_run(demo: dict[str, Any], tmp_path: Path) -> None:
    base: Results = demo["base"]
    moved = _busiest(base, "kita", "walk")
    target = _underserved_village(base, "kita", "car")
    lon, lat = target.geometry.x + 0.001, target.geometry.y
    closed = _busiest(base, "hebamme", "car")
    scen = apply_scenario(
        base,
        new_scenario("Umzug", [Change("move", moved, lon=lon, lat=lat), Change("close", closed)]),
        demo["routers"],
    )
    assert scen.affected_categories == ("kita", "hebamme")
    assert set(scen.changed_offers) == {moved, closed}
    table = _offers_csv(demo)
    table.loc[table["Nr"] == moved, ["Breitengrad", "Längengrad"]] = [repr(lat), repr(lon)]
    full = _full_run(demo, table[table["Nr"] != closed], tmp_path)
    _assert_same_villages(scen.results, full)


def test_add_by_address(demo: dict[str, Any]) -> None:
    base: Results = demo["base"]
    addr = base.inputs.addresses.iloc[10]
    text = f"{addr['street']} {addr['housenumber']}, {addr['postcode']} {addr['city']}"
    change = Change("add", "", category="familienzentrum", address=text)
    scen = apply_scenario(base, new_scenario("Adresse", [change]), demo["routers"])
    new = scen.offers[scen.offers["id"] == "szenario:1"].iloc[0]
    assert new["geocode_quality"] == "Hausnummer"
    assert new.geometry.x == pytest.approx(addr["lon"])
    assert new.geometry.y == pytest.approx(addr["lat"])
    assert new["name"] == "Familienzentrum (neu)"
    assert any("zugeordnet" in n for n in scen.notes)


def test_unchanged_scenario_keeps_tables(demo: dict[str, Any]) -> None:
    base: Results = demo["base"]
    scen = apply_scenario(base, new_scenario("leer", []), demo["routers"])
    pd.testing.assert_frame_equal(scen.villages, base.villages)
    assert scen.affected_categories == ()
    delta = compare(base, scen, category="kita", mode="car", age_group="3-6")
    assert delta.villages.empty
    assert (delta.kpis["delta"] == 0).all()
    assert "Kein Ort wechselt" in delta.summary_de


@pytest.mark.parametrize(
    ("change", "error", "column", "german"),
    [
        (Change("close", "gibt-es-nicht"), ScenarioError, "offer_id", "kein Angebot mit der ID"),
        (
            Change("add", "", category="kinderarzt", address="Nirgendweg 99, 00101 Beispielstadt"),
            GeocodingError,
            "address",
            "nicht gefunden",
        ),
        (
            Change("add", "", category="kinderarzt"),
            ScenarioError,
            "lon, lat",
            "weder Koordinaten noch Adresse",
        ),
        (
            Change("add", "", category="kinderarzt", lon=13.4, lat=52.5),
            ScenarioError,
            "lon, lat",
            "außerhalb der Region",
        ),
        (
            Change("add", "x", category="kinderärzte", lon=9.0, lat=51.0),
            ScenarioError,
            "category",
            "unbekannte Kategorie",
        ),
        (
            Change("add", "1", category="kita", lon=9.0, lat=51.0),
            ScenarioError,
            "offer_id",
            "schon",
        ),
    ],
)
def test_invalid_changes_are_named(
    demo: dict[str, Any], change: Change, error: type, column: str, german: str
) -> None:
    with pytest.raises(error) as info:
        apply_scenario(demo["base"], new_scenario("falsch", [change]), demo["routers"])
    assert info.value.column == column
    assert german in info.value.message_de
    assert info.value.message_de.startswith("Änderung 1 (")


def test_swapped_coordinates_get_a_hint(demo: dict[str, Any]) -> None:
    village = demo["base"].villages.iloc[0]
    change = Change("add", "", category="kita", lon=village.geometry.y, lat=village.geometry.x)
    with pytest.raises(ScenarioError, match="outside the region") as info:
        apply_scenario(demo["base"], new_scenario("vertauscht", [change]), demo["routers"])
    assert "vertauscht" in info.value.message_de


def test_change_validates_itself() -> None:
    with pytest.raises(ScenarioError, match="unknown change kind"):
        Change("delete", "1")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="both lon and lat"):
        Change("add", "", lon=9.0)
    with pytest.raises(ScenarioError, match="finite"):
        Change("add", "", lon=float("nan"), lat=51.0)
    with pytest.raises(ScenarioError, match="existing offer"):
        Change("close", " ")


def test_save_load_round_trip(tmp_path: Path) -> None:
    scen = Scenario(
        name="Zwei Änderungen",
        changes=(
            Change("add", "n1", name="Kita Sonne", category="kita", lon=9.01, lat=50.98),
            Change("move", "7", address="Hauptstraße 3, 00101 Beispielstadt"),
            Change("close", "24"),
        ),
        created="2025-05-01T10:00:00",
    )
    path = save_scenario(scen, tmp_path / "s.json", region="Beispielkreis")
    assert load_scenario(path) == scen
    data = json.loads(path.read_text("utf-8"))
    assert data["version"] == 1
    assert data["region"] == "Beispielkreis"
    assert data["changes"][2] == {"kind": "close", "offer_id": "24"}
    assert not list(tmp_path.glob(".s.json*"))  # no temporary file left


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


_GOOD = {
    "format": "erreichbarkeit-szenario",
    "version": 1,
    "name": "x",
    "created": "2025-01-01T00:00:00",
    "changes": [{"kind": "add", "offer_id": "n", "category": "kita", "lon": 9.0, "lat": 51.0}],
}


@pytest.mark.parametrize(
    ("data", "column", "german"),
    [
        ("{kaputt", "", "Keine lesbare JSON-Datei"),
        ({"name": "x"}, "format", "Keine Szenario-Datei"),
        (_GOOD | {"version": 2}, "version", "Formatversion 2"),
        (_GOOD | {"changes": "nein"}, "changes", "keine Liste"),
        (_GOOD | {"nmae": "y"}, "nmae", "meinten Sie „name“"),
        (
            _GOOD | {"changes": [{"kind": "add", "offer_id": "n", "lon": "9,0", "lat": 51.0}]},
            "changes[1].lon",
            "keine Zahl",
        ),
        (
            _GOOD | {"changes": [{"kind": "drop", "offer_id": "n"}]},
            "changes[1].kind",
            "Unbekannte Art",
        ),
        (_GOOD | {"changes": [{"offer_id": "n"}]}, "changes[1].kind", "fehlt"),
        (
            _GOOD | {"changes": [{"kind": "add", "offer_id": "n", "lon": 9.0}]},
            "changes[1].lon",
            "beide oder keinen",
        ),
    ],
)
def test_bad_scenario_files(tmp_path: Path, data: Any, column: str, german: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    assert info.value.column == column
    assert info.value.file == str(path)
    assert german in info.value.message_de
    assert "bad.json" in info.value.german


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="not found"):
        load_scenario(tmp_path / "fehlt.json")


def test_compare_two_side_by_side(demo: dict[str, Any]) -> None:
    base: Results = demo["base"]
    closed = _busiest(base, "kinderarzt", "car")
    village = _underserved_village(base, "kinderarzt", "car")
    a = apply_scenario(base, new_scenario("A", [Change("close", closed)]), demo["routers"])
    b = apply_scenario(
        base,
        new_scenario(
            "B",
            [
                Change(
                    "add", "", category="kinderarzt", lon=village.geometry.x, lat=village.geometry.y
                )
            ],
        ),
        demo["routers"],
    )
    table = compare_two(a, b, category="kinderarzt", mode="car", age_group="0-3", base=base)
    assert list(table.columns) == [
        "Kennzahl", "Ausgangslage", "A: A", "B: B", "Differenz (B − A)",
    ]  # fmt: skip
    ka = kpi_values(a, category="kinderarzt", mode="car", age_group="0-3")
    kb = kpi_values(b, category="kinderarzt", mode="car", age_group="0-3")
    k0 = kpi_values(base, category="kinderarzt", mode="car", age_group="0-3")
    rows = table.set_index("Kennzahl")
    assert rows.loc["Kinder außerhalb der Schwelle", "A: A"] == ka["children_beyond"]
    assert rows.loc["Unterversorgte Orte", "B: B"] == kb["n_underserved"]
    assert rows.loc["Unterversorgte Orte", "Ausgangslage"] == k0["n_underserved"]
    assert rows.loc["Unterversorgte Orte", "Differenz (B − A)"] == (
        kb["n_underserved"] - ka["n_underserved"]
    )
    # closing can only worsen, adding only improve
    assert ka["children_beyond"] >= k0["children_beyond"] > kb["children_beyond"]
    for k in (ka, kb, k0):
        assert k["children_within"] + k["children_beyond"] == pytest.approx(k["children_total"])


def test_kpis_match_indicators(demo: dict[str, Any]) -> None:
    """kpi_values agrees with indicators.kreis_summary weighted by the age group."""
    base: Results = demo["base"]
    k = kpi_values(base, category="kita", mode="walk", age_group="3-6", threshold=12)
    v = base.villages
    # the minutes to the nearest Kita *serving* 3–6 (the demo has Krippen for under-threes)
    col = group_min_column("kita", "walk", "3-6")
    t = v[col] if col in v.columns else v["kita_walk_min"]
    beyond = t.isna() | (t > 12)
    assert k["children_beyond"] == pytest.approx(v.loc[beyond, "children_3_6"].sum())
    assert k["n_underserved"] == int(beyond.sum())
    assert k["median_min"] == indicators.weighted_median(t, v["children_3_6"])
    with pytest.raises(ErreichbarkeitError):
        kpi_values(base, category="kita", mode="walk", age_group="0-99")


def test_export_comparison(demo: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    base: Results = demo["base"]
    closed = _busiest(base, "kinderarzt", "car")
    scen = apply_scenario(
        base, new_scenario("=HYPERLINK(1)", [Change("close", closed)]), demo["routers"]
    )
    delta = compare(base, scen, category="kinderarzt", mode="car", age_group="0-3")
    path = export_comparison(tmp_path / "vergleich.xlsx", delta, base=base)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Kennzahlen", "Veränderte Orte", "Änderungen", "Methodik"]
    rows = list(wb["Veränderte Orte"].iter_rows(values_only=True))
    assert len(rows) == len(delta.villages) + 1
    assert "Minuten nachher" in rows[0]
    methodik = {r[0]: r[1] for r in wb["Methodik"].iter_rows(values_only=True)}
    assert methodik["Szenario"] == "'=HYPERLINK(1)"  # never a formula
    changes = [r[0] for r in wb["Änderungen"].iter_rows(values_only=True)]
    assert changes[1].startswith("geschlossen: „Kinderarztpraxis")


@pytest.mark.slow
def test_goettingen_change_incremental_equals_full(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Göttingen (94 villages, ~360 offers, car): one change, incremental = full indicators."""
    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    tmp = tmp_path_factory.mktemp("goe-scen")
    settings = Settings(
        name="Göttingen (Test)", network=gpkg, boundaries=gemeinden, offers=("osm",),
        modes=("car",), cache_dir=tmp / "cache",
    )  # fmt: skip
    base = run(settings)
    routers = make_all_routers(base.settings, base.inputs.network_osm, base.inputs.timetable)
    closed = _busiest(base, "kita", "car")
    # OpenMapTiles has no Kinderarzt (no healthcare:speciality): add a Grundschule
    added = "grundschule" if "grundschule" in base.categories else base.categories[-1]
    village = _underserved_village(base, added, "car")
    scenario = new_scenario(
        "Göttingen",
        [
            Change("close", closed),
            Change("add", "", category=added, lon=village.geometry.x, lat=village.geometry.y),
        ],
    )
    started = time.perf_counter()
    scen = apply_scenario(base, scenario, routers)
    seconds = time.perf_counter() - started
    print(f"Göttingen scenario: {seconds:.2f} s {dict(scen.timings)}")
    # full: the same long table, indicators over every category
    vt = indicators.village_table(
        base.villages.loc[:, ["id", "name", "snap_m", "snap_ok"]],
        scen.travel_times, scen.offers, categories=scen.categories, modes=("car",),
        threshold=settings.threshold,
    )  # fmt: skip
    for cat in scen.categories:
        for suffix in _SUFFIXES:
            col = f"{cat}_car_{suffix}"
            pd.testing.assert_series_equal(
                scen.villages[col].reset_index(drop=True), vt[col], check_dtype=False, obj=col
            )
    row = scen.villages.set_index("id").loc[village["id"]]
    assert row[f"{added}_car_min"] < 1.0


def test_first_offers_of_a_category_equal_full_run(demo: dict[str, Any], tmp_path: Path) -> None:
    """A region without Hebammen gets back the three of the demo: the demo run again."""
    base: Results = demo["base"]
    table = _offers_csv(demo)
    without = _full_run(demo, table[table["Kategorie"] != "Hebamme"], tmp_path)
    assert "hebamme" not in without.categories
    originals = base.offers[base.offers["category"] == "hebamme"]
    assert len(originals) == 3
    changes = [
        Change(
            "add", o["id"], name=o["name"], category="hebamme", lon=o.geometry.x, lat=o.geometry.y
        )
        for _, o in originals.iterrows()
    ]
    scen = apply_scenario(without, new_scenario("Hebammen", changes), demo["routers"])
    assert scen.affected_categories == ("hebamme",)
    _assert_same_villages(scen.results, base)
    delta = compare(without, scen, category="hebamme", mode="car", age_group="0-3")
    kpis = delta.kpis.set_index("kpi")
    # nobody had one, except the villages the demo's Familienhebamme visits (outreach)
    served = base.villages["hebamme_outreach"].fillna(False).to_numpy(bool)
    assert served.any()
    assert kpis.loc["n_underserved", "before"] == int((~served).sum())
    assert kpis.loc["children_beyond", "before"] == pytest.approx(
        base.villages.loc[~served, "children_0_3"].sum()
    )
    k = kpi_values(base, category="hebamme", mode="car", age_group="0-3")
    assert kpis.loc["children_beyond", "after"] == pytest.approx(k["children_beyond"])
    # moved within by minutes (outreach-visited villages counted within before and after)
    after = scen.results.villages["hebamme_car_min"]
    assert len(delta.moved_within) == int((after <= delta.threshold).sum())
    assert k["villages_within"] == int(((after <= delta.threshold).to_numpy() | served).sum())
