"""The whole pipeline on real data (../shared/data) and on the Beispielkreis.

Each data set runs once per test session (module fixtures); the assertions
check what a planner would check first: every village has a result or a
stated reason, the numbers are plausible, and slower modes are slower.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.config import Settings
from erreichbarkeit.pipeline import run
from erreichbarkeit.report.outputs import export_results
from erreichbarkeit.results import Results

from .conftest import need_shared

pytestmark = pytest.mark.slow


def _check_every_village_has_result_or_reason(results: Results) -> None:
    v = results.villages
    mins = [c for c in v.columns if c.endswith("_min") and not c.endswith("second_min")]
    has_any = v[mins].notna().any(axis=1)
    reason = v["reason"].fillna("").astype(str).str.len() > 0
    assert (has_any | reason).all(), v.loc[~(has_any | reason), ["id", "name"]]


def _check_modes_ordered(results: Results, category: str) -> None:
    """On trips of more than 3 km: walk slower than bike slower than car."""
    tt = results.travel_times
    wide = tt.pivot_table(index=["origin_id", "destination_id"], columns="mode", values="minutes")
    km = tt[tt["mode"] == "car"].set_index(["origin_id", "destination_id"])["km"]
    wide = wide.join(km.rename("car_km")).dropna()
    long_trips = wide[wide["car_km"] > 3]
    assert len(long_trips) > 10
    assert (long_trips["walk"] > long_trips["bike"]).mean() > 0.98
    assert (long_trips["bike"] > long_trips["car"]).mean() > 0.98
    del category


@pytest.fixture(scope="module")
def goettingen(tmp_path_factory: pytest.TempPathFactory) -> Results:
    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    tmp = tmp_path_factory.mktemp("goe")
    settings = Settings(
        name="Göttingen (Test)",
        network=gpkg,
        boundaries=gemeinden,
        offers=("osm",),
        cache_dir=tmp / "cache",
        out_dir=tmp / "out",
    )
    return run(settings)


def test_goettingen_kita_car_median_under_10_min(goettingen: Results) -> None:
    v = goettingen.villages
    assert len(v) >= 40
    assert "kita" in goettingen.categories
    median = v["kita_car_min"].median()
    assert 0 < median < 10
    _check_every_village_has_result_or_reason(goettingen)
    _check_modes_ordered(goettingen, "kita")


def test_goettingen_gemeinden_and_population(goettingen: Results) -> None:
    v = goettingen.villages
    assert v["ags"].dropna().str.startswith("03159").all()
    assert v["population"].gt(0).all()
    gem = goettingen.gemeinden
    assert {"ags", "gemeinde", "category", "mode"} <= set(gem.columns)
    share = gem["share_children_beyond"].dropna()
    assert share.between(0, 1).all()


def test_goettingen_exports(goettingen: Results, tmp_path: Path) -> None:
    import pyogrio
    from openpyxl import load_workbook

    paths = export_results(goettingen, tmp_path)
    wb = load_workbook(paths["xlsx"], read_only=True)
    assert "Methodik" in wb.sheetnames
    assert {"orte", "angebote", "gemeinden"} <= {
        name for name, _ in pyogrio.list_layers(paths["gpkg"])
    }
    csv = pd.read_csv(paths["orte_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    assert len(csv) == len(goettingen.villages)


@pytest.fixture(scope="module")
def bayreuth(tmp_path_factory: pytest.TempPathFactory) -> Results:
    osm = need_shared("osm-north-bayreuth/north-bayreuth.osm.bz2")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    tmp = tmp_path_factory.mktemp("nb")
    settings = Settings(
        name="Nord-Bayreuth (Test)",
        network=osm,
        boundaries=gemeinden,
        offers=("osm",),
        cache_dir=tmp / "cache",
        out_dir=tmp / "out",
    )
    return run(settings)


def test_bayreuth_every_village_result_or_reason(bayreuth: Results) -> None:
    v = bayreuth.villages
    assert len(v) >= 60  # 22 villages + 48 hamlets + 1 isolated dwelling in the extract
    _check_every_village_has_result_or_reason(bayreuth)
    _check_modes_ordered(bayreuth, "kita")
    # unreachable pairs are absent, never 0 minutes between different places
    tt = bayreuth.travel_times
    assert not tt["minutes"].isna().any()
    assert (tt.loc[tt["km"] > 0.1, "minutes"] > 0).all()


def test_bayreuth_is_partial_and_its_hamlet_not_a_city(bayreuth: Results) -> None:
    """Issue 10, item 2: the extract holds a sliver of Bayreuth (72 289 inhabitants)."""
    b = bayreuth.boundaries.set_index("gemeinde")
    assert b.loc["Bayreuth", "gemeinde_partial"]
    assert b.loc["Bayreuth", "coverage_share"] < 0.2
    assert not b.loc["Harsdorf", "gemeinde_partial"]  # wholly inside the extract
    v = bayreuth.villages
    in_bayreuth = v[v["gemeinde"] == "Bayreuth"]
    assert len(in_bayreuth) >= 1 and in_bayreuth["gemeinde_partial"].all()
    # before: 72 289 on one hamlet; now at most the covered share of the area
    assert in_bayreuth["population"].sum() <= 72_289 * b.loc["Bayreuth", "coverage_share"] + 1
    assert in_bayreuth["population"].max() < 10_000
    assert not v.loc[v["gemeinde"] == "Harsdorf", "gemeinde_partial"].any()
    assert any("nur teilweise im Kartenausschnitt" in e for e in bayreuth.inputs.estimates)


def test_bayreuth_walk_times_plausible(bayreuth: Results) -> None:
    tt = bayreuth.travel_times
    walk = tt[tt["mode"] == "walk"]
    speed = walk["km"] / (walk["minutes"] / 60)
    long_walks = speed[walk["km"] > 1]
    # foot.lua walks at 5 km/h; surfaces and turn costs only slow it down
    assert np.all(long_walks <= 5.05)
    assert long_walks.median() > 4.0


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from erreichbarkeit.demo.beispielkreis import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "daten")


def test_osm_duplicates_of_listed_offers_are_dropped(demo_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The demo's OSM POIs are copies of listed offers: combined, each counts once."""
    base = Settings.from_toml(demo_files.region, cache_dir=tmp_path / "cache")
    only_list = run(base.replace(modes=("car",)))
    both = run(base.replace(modes=("car",), offers=(*base.offers, "osm")))
    n_list = len(only_list.offers)
    assert len(both.offers) == n_list  # every OSM POI of the demo duplicates a listed offer
    notes = [p for p in both.inputs.problems if p.file == "OpenStreetMap"]
    assert notes
    assert all("nicht doppelt gezählt" in p.message_de for p in notes)


def test_row_problems_are_exported_as_hinweise(demo_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "liste.csv"
    bad.write_text(
        "Name;Kategorie;Breitengrad;Längengrad\n"
        "Kita Sonne;Kita;51,0;9,0\n"
        "Spielkreis;Spielgruppe;51,0;9,0\n",  # unknown category → row 3
        encoding="utf-8",
    )
    settings = Settings.from_toml(
        demo_files.region, cache_dir=tmp_path / "cache", modes=("car",), offers=(str(bad),),
        responsibility=(),  # the demo's Zuständigkeit table names offers this list lacks
    )  # fmt: skip
    results = run(settings)
    paths = export_results(results, tmp_path / "out")
    hinweise = pd.read_csv(paths["hinweise_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    row = hinweise[hinweise["Zeile"] == 3]
    assert len(row) == 1
    assert row["Datei"].iloc[0] == "liste.csv"
    assert "Spielgruppe" in row["Meldung"].iloc[0]


def test_offers_carry_snap_distance_per_mode(demo_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_toml(demo_files.region, cache_dir=tmp_path / "cache")
    results = run(settings)
    offers = results.offers
    for mode in ("car", "bike", "walk"):
        assert offers[f"snap_m_{mode}"].notna().all()
        assert offers[f"snap_ok_{mode}"].dtype == bool
    # every demo offer sits on a street
    assert offers["snap_ok_car"].all()


def test_gis_conversion_cache_is_keyed_on_layer_options(tmp_path: Path) -> None:
    """A cached conversion keeps its report; other options give another file."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from erreichbarkeit.io.network_source import converted_network

    roads = gpd.GeoDataFrame(
        {"class": ["primary", "minor"], "highway": ["secondary", "residential"]},
        geometry=[
            LineString([(9.0, 51.0), (9.01, 51.0)]),
            LineString([(9.01, 51.0), (9.01, 51.01)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "roads.gpkg"
    roads.to_file(path, layer="roads")
    settings = Settings(network=path, cache_dir=tmp_path / "cache", road_class_column="class")
    first, report = converted_network(settings, path, None)
    again, cached = converted_network(settings, path, None)
    assert again == first
    assert cached == report  # the report survives the cache
    assert report.n_ways == 2
    other, _ = converted_network(settings.replace(road_class_column="highway"), path, None)
    assert other != first
    assert "secondary" in other.read_text() and "secondary" not in first.read_text()


def test_supply_tables_conserve_capacity(demo_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """2SFCA with W = 1 shares out exactly the places of offers that reach any children."""
    from openpyxl import load_workbook

    settings = Settings.from_toml(demo_files.region, cache_dir=tmp_path / "cache", modes=("car",))
    results = run(settings)
    gem = results.supply_gemeinden
    kita = gem[(gem["category"] == "kita") & (gem["mode"] == "car")]
    assert (kita["supply_basis"] == "Plätze").all()  # the demo's Kitas have capacities
    threshold = settings.threshold("kita", "car")
    tt = results.travel_times
    offers = results.offers.set_index("id")
    kitas = offers[offers["category"] == "kita"]
    demand = results.villages.set_index("id")[["children_0_3", "children_3_6"]].sum(axis=1)
    near = tt[(tt["mode"] == "car") & (tt["minutes"] <= threshold)]
    near = near[near["destination_id"].isin(kitas.index)]
    reaching = near[near["origin_id"].map(demand) > 0]["destination_id"].unique()
    expected = kitas.loc[reaching, "capacity"].sum()
    assert kita["supply_allocated"].sum() == pytest.approx(expected, rel=1e-9)
    village = results.supply
    assert set(village["category"]) == set(results.categories)
    paths = export_results(results, tmp_path / "out")
    sheets = load_workbook(paths["xlsx"], read_only=True).sheetnames
    assert {"Versorgung Orte", "Versorgung Gemeinden"} <= set(sheets)
