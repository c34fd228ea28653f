"""The analysis area (issue #12): figures for a Jugendamt's Gemeinden, data of the whole Kreis.

The demo's ``jugendamt.toml`` (the Kreisjugendamt: every Gemeinde but the
largest town) is run once per module; its figures are checked against values
computed by hand from the area's villages, its Gemeinde tables and
Steckbrief list against the area, and the town's offers must still serve the
area's villages.  The real-data part checks the shipped Göttingen areas on
the real Gemeinden and OSM places (skipped without ``../shared/data``).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.cli._common import AREA_FLAG_SOURCE
from erreichbarkeit.cli.main import main
from erreichbarkeit.config import Settings, age_column
from erreichbarkeit.config.area import AnalysisArea
from erreichbarkeit.demo import DemoFiles, generate_demo
from erreichbarkeit.demo.areas import AREA_NAME, area_region_file
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.pipeline import load_inputs, run
from erreichbarkeit.pipeline._area import CLI_SOURCE, mark_area, restrict_results, validate_area
from erreichbarkeit.report.methodik import area_rows
from erreichbarkeit.report.steckbrief_data import gemeinden_of
from erreichbarkeit.results import Inputs, Results
from erreichbarkeit.ui.regions import DEMO_AREA_LABEL, discover_regions

from .conftest import need_shared

TOWN = "99999001"  # Beispielstadt, the demo's largest town: its own Stadtjugendamt


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("area") / "daten")


@pytest.fixture(scope="module")
def area_run(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The demo's Kreisjugendamt area, by car (one run for the module)."""
    cache = tmp_path_factory.mktemp("area-cache")
    settings = Settings.from_toml(
        area_region_file(demo.region), cache_dir=cache, modes=("car",), grid_cell_m=None
    )
    return run(settings)


def _boundaries(demo: DemoFiles) -> gpd.GeoDataFrame:
    return gpd.read_file(demo.boundaries)


def _lower_weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Smallest value whose cumulative weight reaches half (NaN = unreachable = +inf)."""
    x = np.where(np.isnan(values), np.inf, values)
    keep = weights > 0
    x, w = x[keep], weights[keep]
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


# -- the area file of the demo ----------------------------------------------------------


def test_demo_writes_the_jugendamt_area(demo: DemoFiles) -> None:
    path = area_region_file(demo.region)
    settings = Settings.from_toml(path)
    assert settings.area is not None
    assert settings.area_name == AREA_NAME
    bnd = _boundaries(demo)
    largest = str(bnd.sort_values("population").iloc[-1]["ags"])
    assert largest == TOWN
    assert set(settings.area.ags) == set(bnd["ags"]) - {TOWN}
    assert settings.network == Settings.from_toml(demo.region).network  # the same data


def test_region_picker_lists_the_area_after_the_demo(demo: DemoFiles, tmp_path: Path) -> None:
    found = discover_regions(tmp_path, demo_region=demo.region, env={})
    assert [r.path for r in found[:2]] == [demo.region, area_region_file(demo.region)]
    assert found[1].label == DEMO_AREA_LABEL
    assert AREA_NAME in DEMO_AREA_LABEL


def test_prepared_area_is_labelled_by_its_area_name(tmp_path: Path) -> None:
    folder = tmp_path / "regions" / "kreisjugendamt-x"
    folder.mkdir(parents=True)
    (folder / "region.toml").write_text(
        '[region]\nname = "Kreis X"\n\n[area]\nname = "Kreisjugendamt X"\nags = ["05958"]\n',
        encoding="utf-8",
    )
    found = discover_regions(tmp_path, env={})
    assert [r.label for r in found] == ["Kreisjugendamt X"]


# -- validation before routing ----------------------------------------------------------


def test_unknown_ags_and_name_give_german_error_with_suggestion(demo: DemoFiles) -> None:
    bnd = _boundaries(demo)
    with pytest.raises(ConfigError) as info:
        validate_area(AnalysisArea("X", ags=("99999009",)), bnd, where="Regionsdatei „T“")
    assert info.value.column == "area.ags"
    assert "„99999009“ passt zu keiner Gemeinde" in info.value.german
    assert "Meinten Sie „99999001 Beispielstadt“" in info.value.german  # closest key
    with pytest.raises(ConfigError) as info:
        validate_area(AnalysisArea("X", gemeinden=("Wolfsted",)), bnd, where="[area]")
    assert "Meinten Sie „99999002 Wolfstedt“" in info.value.german
    # case, blanks and the Zensus suffix („…, Stadt“) do not matter
    validate_area(AnalysisArea("X", gemeinden=(" wolfstedt ",)), bnd, where="[area]")
    validate_area(AnalysisArea("X", gemeinden=("Wolfstedt, Stadt",)), bnd, where="[area]")
    validate_area(AnalysisArea("X", ags=("99999",)), bnd, where="[area]")  # the whole Kreis


def test_area_error_comes_before_routing(demo: DemoFiles, tmp_path: Path) -> None:
    """load_inputs (no OSRM yet) rejects the typo and names the region and [area]."""
    settings = Settings.from_toml(demo.region, cache_dir=tmp_path, modes=("car",)).replace(
        area=AnalysisArea("Kreisjugendamt", gemeinden=("Erlach", "Loschdorff"))
    )
    with pytest.raises(ConfigError) as info:
        load_inputs(settings)
    text = info.value.german
    assert "Regionsdatei „Beispielkreis (fiktiv)“, Abschnitt [area]" in text
    assert "„Loschdorff“" in text and "Meinten Sie „99999008 Loschdorf“" in text


def test_area_without_villages_is_an_error(demo: DemoFiles) -> None:
    bnd = _boundaries(demo)
    villages = gpd.GeoDataFrame(
        {"id": ["a"], "ags": [TOWN]}, geometry=gpd.points_from_xy([9], [51])
    )
    settings = Settings(name="T", area=AnalysisArea("Ohne Orte", ags=("99999002",)))
    with pytest.raises(ConfigError) as info:
        mark_area(settings, villages, bnd)
    assert "Im Auswertungsgebiet „Ohne Orte“ liegt kein Ort" in info.value.german


def test_without_area_every_village_counts(demo: DemoFiles) -> None:
    bnd = _boundaries(demo)
    villages = pd.DataFrame({"id": ["a", "b"], "ags": [TOWN, None]})
    v, b = mark_area(Settings(name="T"), villages, bnd)  # type: ignore[arg-type]
    assert v["in_area"].tolist() == [True, True]
    assert b["in_area"].all()


# -- the run of the area ----------------------------------------------------------------


def test_villages_outside_stay_with_in_area_false(area_run: Results) -> None:
    v = area_run.villages
    outside = v[v["ags"].astype(str) == TOWN]
    assert len(outside) > 0
    assert not outside["in_area"].any()
    assert v.loc[v["ags"].astype(str) != TOWN, "in_area"].all()
    assert outside["hebamme_car_min"].notna().any()  # still routed (context on the map)
    bnd = area_run.boundaries
    assert bnd.set_index("ags")["in_area"].to_dict() == {a: a != TOWN for a in bnd["ags"]}


@pytest.mark.parametrize("category", ["hebamme", "grundschule"])
def test_kreis_figures_are_those_of_the_area_villages(area_run: Results, category: str) -> None:
    """Median and share beyond the threshold, by hand over the area's villages only."""
    v = area_run.villages[area_run.villages["in_area"]]
    group = area_run.settings.categories()[category].age_groups[0]
    minutes = v[f"{category}_car_min"].to_numpy(float)
    children = v[age_column(group)].to_numpy(float)
    limit = area_run.settings.threshold(category, "car")
    row = area_run.kreis.set_index(["category", "mode"]).loc[(category, "car")]
    assert row["n_villages"] == len(v)
    expected = _lower_weighted_median(minutes, children)
    assert math.isfinite(expected)
    assert row["children_median_min"] == pytest.approx(expected)
    # villages an outreach offer of the category serves (the demo's Familienhebamme for
    # its one age group 0–3) count as within the threshold
    flag = f"{category}_outreach"
    served = (
        v[flag].fillna(False).to_numpy(bool) if flag in v.columns else np.zeros(len(v), bool)
    )
    beyond = children[(np.isnan(minutes) | (minutes > limit)) & ~served].sum() / children.sum()
    assert row["share_children_beyond"] == pytest.approx(beyond)
    # and they differ from the figures over all villages of the data
    every = area_run.villages
    all_beyond = (
        every[age_column(group)][
            every[f"{category}_car_min"].isna() | (every[f"{category}_car_min"] > limit)
        ].sum()
        / every[age_column(group)].sum()
    )
    assert all_beyond != pytest.approx(beyond)


def test_offers_outside_the_area_still_serve_its_villages(area_run: Results) -> None:
    bnd = area_run.boundaries
    town = bnd[bnd["ags"].astype(str) == TOWN]
    offers = area_run.offers
    inside = offers.within(town.geometry.iloc[0])
    # ``<category>_<mode>_nearest`` names the offer: names found only in the town
    in_town = set(offers.loc[inside, "name"]) - set(offers.loc[~inside, "name"])
    assert in_town
    v = area_run.villages[area_run.villages["in_area"]]
    served = [
        c for c in area_run.categories
        if v[f"{c}_car_nearest"].astype(str).isin(in_town).any()
    ]  # fmt: skip
    assert served, "no village of the area has its nearest offer in the town"


def test_gemeinde_tables_cover_only_the_area(area_run: Results) -> None:
    area = set(area_run.boundaries.loc[area_run.boundaries["in_area"], "ags"].astype(str))
    assert set(area_run.gemeinden["ags"].astype(str)) == area
    assert TOWN not in set(area_run.supply_gemeinden["ags"].astype(str))
    assert set(gemeinden_of(area_run)["ags"].astype(str)) == area


def test_methodik_names_the_area_and_its_context(area_run: Results) -> None:
    rows = dict(area_rows(area_run))
    assert rows["Auswertungsgebiet"].startswith(f"{AREA_NAME}: 7 Gemeinden (")
    assert "Beispielstadt" not in rows["Auswertungsgebiet"]
    assert "Stadtjugendamt" in rows["Auswertungsgebiet: Quelle"]
    assert "zählen weiter als Ziele" in rows["Auswertungsgebiet: Umgebung"]


def test_location_demand_and_candidates_only_in_the_area(area_run: Results) -> None:
    from erreichbarkeit.planning import locations

    table = area_run.settings.categories()
    villages, demand = locations.with_demand_column(area_run.villages, table["hebamme"])
    outside = ~villages["in_area"]
    assert (villages.loc[outside, demand] == 0).all()
    assert (villages.loc[~outside, demand] > 0).any()
    cands = locations.candidate_sites(area_run.villages)
    assert len(cands) == int(area_run.villages["in_area"].sum())


@pytest.mark.slow
def test_steckbrief_of_the_area_is_titled_with_its_name(area_run: Results) -> None:
    from erreichbarkeit.report.steckbrief import steckbrief_figure

    fig = steckbrief_figure(area_run, ags=None, mode="car", age_group="0-3")
    texts = [t.get_text() for t in fig.texts]
    assert texts[0] == f"Steckbrief {AREA_NAME}"
    n_area = int(area_run.villages["in_area"].sum())
    assert any(f"{AREA_NAME} · Erreichbarkeit mit Auto" in t and f"{n_area} Orte" in t
               for t in texts)  # fmt: skip


# -- command line -----------------------------------------------------------------------


def test_cli_and_pipeline_mark_the_flag_area_alike() -> None:
    assert AREA_FLAG_SOURCE == CLI_SOURCE


@pytest.mark.slow
def test_cli_gebiet_overrides_the_area(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["analyse", "-q", "--config", str(demo.region), "--cache-dir",
                 str(tmp_path / "cache"), "--modes", "car", "--out", str(out),
                 "--gebiet", "99999002,Erlach", "--gebiet-name", "Testgebiet"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Auswertungsgebiet Testgebiet:" in captured.out
    methodik = pd.read_excel(out / "erreichbarkeit.xlsx", sheet_name="Methodik")
    text = " ".join(methodik.astype(str).to_numpy().ravel())
    assert "Testgebiet: 2 Gemeinden (Wolfstedt (99999002), Erlach (99999006))" in text


def test_cli_gebiet_errors_are_german(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["analyse", "-q", "--config", str(demo.region), "--cache-dir", str(tmp_path / "c"),
            "--modes", "car", "--out", str(tmp_path / "out")]  # fmt: skip
    assert main([*base, "--gebiet", "123"]) == 2
    assert "„123“ ist kein Gemeindeschlüssel" in capsys.readouterr().err
    assert main([*base, "--gebiet", " , "]) == 2
    assert "--gebiet nennt keine Gemeinde" in capsys.readouterr().err
    assert main([*base, "--gebiet-name", "Nur ein Name"]) == 2
    assert "bitte auch --gebiet" in capsys.readouterr().err
    assert main([*base, "--gebiet", "Wolfsted"]) == 2
    err = capsys.readouterr().err
    assert "Option --gebiet (gemeinden): „Wolfsted“ passt zu keiner Gemeinde" in err
    assert "Meinten Sie „99999002 Wolfstedt“" in err


def test_cli_refuses_an_unprepared_area_file(capsys: pytest.CaptureFixture[str]) -> None:
    from erreichbarkeit.prepare import area_files

    path = area_files()["kreisjugendamt-hochsauerlandkreis"]
    assert main(["analyse", "-q", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "zuerst „erreichbarkeit prepare kreisjugendamt-hochsauerlandkreis“" in err


# -- real data: the Jugendämter of the Landkreis Göttingen ------------------------------


@pytest.mark.shared_data
def test_goettingen_areas_partition_the_real_villages() -> None:
    """Stadt Göttingen and the Kreisjugendamt split the Kreis's real OSM places."""
    from erreichbarkeit.analysis.population import assign_gemeinden
    from erreichbarkeit.prepare import area_files
    from erreichbarkeit.prepare.areafile import read_area_file

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gem = need_shared("gemeinden-de/gemeinden_zielkreise.geojson")
    bnd = pyogrio.read_dataframe(gem).rename(columns={"AGS": "ags", "name": "gemeinde"})
    bnd = bnd.loc[bnd["gemeinde"].notna(), ["ags", "gemeinde", "geometry"]]
    places = pyogrio.read_dataframe(gpkg, layer="places")
    villages = assign_gemeinden(places.loc[:, ["name", "geometry"]], bnd)
    files = area_files()
    flags = {}
    for stem in ("jugendamt-stadt-goettingen", "kreisjugendamt-goettingen"):
        parsed = read_area_file(files[stem])
        assert parsed is not None
        settings = Settings(name="Landkreis Göttingen", area=parsed.area)
        v, b = mark_area(settings, villages, bnd)
        flags[stem] = v["in_area"].to_numpy(bool)
        assert b["in_area"].any()
    stadt, land = flags["jugendamt-stadt-goettingen"], flags["kreisjugendamt-goettingen"]
    in_kreis = villages["ags"].astype("string").fillna("").str.startswith("03159").to_numpy(bool)
    assert stadt.any() and land.any()
    assert not (stadt & land).any()
    assert ((stadt | land) == in_kreis).all()
    assert set(villages.loc[stadt, "gemeinde"]) == {"Göttingen, Stadt"}


# -- maps: focus on the area, the rest as grey context ----------------------------------


@pytest.mark.slow
def test_print_map_frames_the_area(area_run: Results) -> None:
    from pypdf import PdfReader

    from erreichbarkeit.report.printmap import render_results_map
    from erreichbarkeit.report.steckbrief_data import area_extent

    extent = area_extent(area_run)
    assert extent is not None
    area = area_run.villages[area_run.villages["in_area"]]
    assert area.geometry.within(shapely.box(*extent).buffer(1e-9)).all()
    pdf = render_results_map(area_run, category="hebamme", mode="car", age_group="0-3")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"Erreichbarkeit mit Auto – {AREA_NAME}" in text
    flowing = " ".join(text.split())  # the legend notes wrap within the legend's width
    assert "außerhalb des Auswertungsgebiets" in flowing


def test_web_map_draws_outside_villages_as_context(area_run: Results) -> None:
    from erreichbarkeit import webmap
    from erreichbarkeit.webmap.build import CONTEXT_VILLAGES, focus_bounds

    v = area_run.villages.assign(minutes=area_run.villages["hebamme_car_min"])
    html = webmap.map_html(webmap.build_map(v, boundaries=area_run.boundaries, offline=True))
    assert json.dumps(CONTEXT_VILLAGES) in html or CONTEXT_VILLAGES in html
    assert '"in_area": false' in html  # the town's boundary, drawn greyed
    # an area of one Gemeinde: the map opens on it
    one = v.assign(in_area=v["ags"].astype(str) == "99999002")
    bnd = area_run.boundaries.assign(in_area=area_run.boundaries["ags"] == "99999002")
    minx, miny, maxx, maxy = focus_bounds(one, area_run.offers, bnd)
    gx0, gy0, gx1, gy1 = bnd[bnd["in_area"]].total_bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((gx0, gy0, gx1, gy1), abs=1e-6)
    every = focus_bounds(v.drop(columns="in_area"), area_run.offers, area_run.boundaries)
    assert (maxx - minx) * (maxy - miny) < 0.5 * (every[2] - every[0]) * (every[3] - every[1])


# -- dashboard --------------------------------------------------------------------------


@pytest.mark.slow
def test_dashboard_shows_the_demo_area(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The region picker offers the Kreisjugendamt; its page names area and data."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ERREICHBARKEIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    pick = at.sidebar.selectbox(key="region")
    area = tmp_path / "generated" / "beispielkreis" / "jugendamt.toml"
    assert DEMO_AREA_LABEL in pick.options  # the options show the labels
    pick.set_value(str(area)).run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert f"Auswertungsgebiet: {AREA_NAME} · Daten: Beispielkreis (fiktiv) und Umgebung" in (
        captions
    )


def test_grid_figures_cover_the_area_cells_only() -> None:
    """Grid: two cells of Gemeinde A (in the area), one of B (outside), hand-computed."""
    cells = gpd.GeoDataFrame(
        {
            "cell_id": ["c1", "c2", "c3"],
            "ags": ["99999002", "99999002", "99999001"],
            "gemeinde": ["A", "A", "B"],
            "population": [100.0, 300.0, 1000.0],
            "kita_car_min": [5.0, 20.0, 50.0],
        },
        geometry=[Point(0, 0), Point(0, 1), Point(0, 2)],
        crs=3035,
    )
    whole = GridResult(
        cells=cells,
        gemeinde=pd.DataFrame({"ags": ["99999001", "99999002"], "category": "kita", "mode": "car"}),
        kreis=pd.DataFrame({"category": ["kita"], "mode": ["car"], "population": [1400.0]}),
        meta={},
    )
    villages = gpd.GeoDataFrame(
        {"name": ["a", "b"], "ags": ["99999002", "99999001"], "in_area": [True, False]},
        geometry=[Point(0, 0), Point(0, 2)],
        crs=4326,
    )
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    inputs = Inputs(
        network_osm=Path("x.osm"), villages=villages, offers=empty, boundaries=empty,
        addresses=pd.DataFrame(),
    )  # fmt: skip
    results = Results(
        settings=Settings(), inputs=inputs, villages=villages, gemeinden=pd.DataFrame(),
        kreis=pd.DataFrame(), travel_times=pd.DataFrame(), snapping=pd.DataFrame(),
        categories=("kita",), timings={}, grid=whole,
    )  # fmt: skip
    grid = restrict_results(results).grid
    assert grid is not None
    assert grid.cells["in_area"].tolist() == [True, True, False]  # every cell stays as context
    assert grid.gemeinde["ags"].tolist() == ["99999002"]
    row = grid.kreis.iloc[0]
    assert row["population"] == 400.0  # 100 + 300, not the 1 000 of B
    assert row["n_cells"] == 2
    assert row["pop_median_min"] == 20.0  # weights 100 | 300: half (200) falls on 20 min
    assert row["share_within_10"] == pytest.approx(0.25)  # 100 of 400 within 10 min


# -- real data: Göttingen without the Stadt -------------------------------------------------

GOETTINGEN_STADT = "03159016"


@pytest.fixture(scope="module")
def goettingen_land(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The real Göttingen data with the Kreisjugendamt's area (the Stadt left out), by car."""
    from erreichbarkeit.prepare import area_files
    from erreichbarkeit.prepare.areafile import read_area_file

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    parsed = read_area_file(area_files()["kreisjugendamt-goettingen"])
    assert parsed is not None
    tmp = tmp_path_factory.mktemp("goe-area")
    settings = Settings(
        name="Landkreis Göttingen", network=gpkg, boundaries=gemeinden, offers=("osm",),
        modes=("car",), cache_dir=tmp / "cache", out_dir=tmp / "out", area=parsed.area,
    )  # fmt: skip
    return run(settings)


@pytest.mark.shared_data
@pytest.mark.slow
def test_goettingen_figures_cover_the_area_while_the_stadt_serves_it(
    goettingen_land: Results,
) -> None:
    res = goettingen_land
    v = res.villages
    inside = v["in_area"].to_numpy(bool)
    stadt = (v["ags"].astype("string") == GOETTINGEN_STADT).fillna(False).to_numpy(bool)
    assert stadt.any() and inside.any()
    assert not (inside & stadt).any()  # the Stadt's villages are context, not area
    # Gemeinde tables and Steckbriefe: exactly the area's Gemeinden with villages
    area_ags = set(v.loc[inside, "ags"].astype(str))
    assert set(res.gemeinden["ags"].astype(str)) == area_ags
    assert set(gemeinden_of(res)["ags"].astype(str)) == area_ags
    # key figures by hand over the area's villages only (villages of Gemeinden only
    # partly inside the network data do not count in the Kreis row, as everywhere)
    partial = v["gemeinde_partial"].astype("boolean").fillna(False).to_numpy(bool)
    counted = inside & ~partial
    assert counted.any()
    for category in ("kita", "grundschule"):
        if category not in res.categories:
            continue
        groups = res.settings.categories()[category].age_groups
        children = v.loc[counted, [age_column(g) for g in groups]].sum(axis=1).to_numpy(float)
        minutes = v.loc[counted, f"{category}_car_min"].to_numpy(float)
        limit = res.settings.threshold(category, "car")
        row = res.kreis.set_index(["category", "mode"]).loc[(category, "car")]
        assert row["n_villages"] == int(counted.sum())
        assert row["children_median_min"] == pytest.approx(
            _lower_weighted_median(minutes, children)
        )
        beyond = np.isnan(minutes) | (minutes > limit)
        assert row["children_beyond"] == pytest.approx(children[beyond].sum())
    # offers in the Stadt still serve villages of the area
    bnd = res.boundaries
    town = bnd.loc[bnd["ags"].astype(str) == GOETTINGEN_STADT].geometry.union_all()
    offers = res.offers
    in_town = offers.within(town)
    town_names = set(offers.loc[in_town, "name"].dropna()) - set(
        offers.loc[~in_town, "name"].dropna()
    )
    served = sum(
        int(v.loc[inside, f"{c}_car_nearest"].astype(str).isin(town_names).sum())
        for c in res.categories
    )
    assert served > 0, "no area village has its nearest offer in the Stadt Göttingen"
