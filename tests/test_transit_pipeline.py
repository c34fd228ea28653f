"""Bus & Bahn through the whole run on the Beispielkreis (fictional bus network)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from erreichbarkeit.config import Settings, TransitOptions
from erreichbarkeit.demo.beispielkreis import generate_demo
from erreichbarkeit.demo.transit import villages_without_bus
from erreichbarkeit.network.transit import transit_status
from erreichbarkeit.pipeline import run
from erreichbarkeit.report.outputs import export_results
from erreichbarkeit.results import Results

STATUS = transit_status()
needs_pt = pytest.mark.skipif(
    not STATUS.available, reason=f"Bus & Bahn unavailable: {STATUS.reason_de}"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    folder = tmp_path_factory.mktemp("pt-demo")
    files = generate_demo(folder / "beispielkreis")
    settings = Settings.from_toml(files.region, cache_dir=folder / "cache", grid_cell_m=None)
    return files.network, settings


@pytest.fixture(scope="module")
def results(demo: tuple[Path, Settings]) -> Results:
    if not STATUS.available:
        pytest.skip(f"Bus & Bahn unavailable: {STATUS.reason_de}")
    return run(demo[1])


def test_demo_region_computes_bus_and_bahn_by_default(demo: tuple[Path, Settings]) -> None:
    assert demo[1].modes == ("car", "bike", "walk", "pt")


@needs_pt
def test_pt_is_never_slower_than_walking(results: Results) -> None:
    tt = results.travel_times.pivot_table(
        index=["origin_id", "destination_id"], columns="mode", values="minutes"
    )
    both = tt.dropna(subset=["walk"])
    assert len(both) > 100
    assert (both["pt"] <= both["walk"] + 1e-6).all()
    assert (tt["pt"] < tt["walk"] - 1).sum() > 50  # the buses matter


@needs_pt
def test_villages_without_a_bus_stop_are_named_not_zero(
    results: Results, demo: tuple[Path, Settings]
) -> None:
    names = set(villages_without_bus(demo[0]))
    vt = results.villages.set_index("name")
    far = vt.loc[sorted(names & set(vt.index))]
    assert len(far)
    # to the Jugendzentrum (afternoon window) no such village rides a bus
    assert (far["jugendzentrum_pt_departures"] == 0).all()
    reached = far["jugendzentrum_pt_min"].notna()
    no_pt = far.loc[~reached, "jugendzentrum_pt_status"]
    assert (no_pt == "kein ÖPNV-Angebot im Zeitfenster").all()
    assert not (vt["jugendzentrum_pt_min"] == 0).any()


@needs_pt
def test_afternoon_category_has_the_way_home(results: Results) -> None:
    vt = results.villages
    assert "jugendzentrum_pt_home_by" in vt
    assert "kita_pt_home_by" not in vt  # morning window: no return check
    home = vt.loc[vt["jugendzentrum_pt_home_by"], "jugendzentrum_pt_home_at"]
    assert len(home) and (home <= "19:00").all()


@needs_pt
def test_exports_carry_pt(results: Results, tmp_path: Path) -> None:
    written = export_results(results, tmp_path)
    assert written
    text = (tmp_path / "reisezeiten.csv").read_text("utf-8-sig")
    assert "Bus & Bahn" in text
    villages = (tmp_path / "orte.csv").read_text("utf-8-sig")
    assert "Faktor zum Auto" in villages
    assert "kein ÖPNV-Angebot im Zeitfenster" in villages


@needs_pt
def test_methodik_names_day_window_and_engine(results: Results) -> None:
    from erreichbarkeit.report.methodik import methodik

    rows = dict(methodik(results))
    assert "Bus & Bahn: Stichtag" in rows
    assert rows["Bus & Bahn: Stichtag"].startswith("Dienstag")
    assert "Kita 06:30–08:00" in rows["Bus & Bahn: Zeitfenster (Abfahrt zu Hause)"]
    assert "pynigiri 0.1.5" in rows["Bus & Bahn: Methode"]


def test_without_the_worker_pt_is_switched_off_with_a_german_notice(
    demo: tuple[Path, Settings], tmp_path: Path
) -> None:
    settings = demo[1].replace(
        transit=TransitOptions(python=tmp_path / "kein-python3.11"), grid_cell_m=None
    )
    res = run(settings)
    assert res.settings.modes == ("car", "bike", "walk")
    assert "pt" not in set(res.travel_times["mode"])
    assert res.inputs.notices
    assert "Bus & Bahn" in res.inputs.notices[0]
    assert np.all([not c.endswith("_pt_min") for c in res.villages.columns])


@needs_pt
def test_uploaded_offer_reached_by_bus_shows_its_departures(results: Results) -> None:
    """An uploaded Jugendzentrum at the ZOB: villages on a bus line reach it by bus.

    Its pairs are routed like the run's (timetable details included), so the
    dashboard shows their departures, not „nur zu Fuß erreichbar“.
    """
    from erreichbarkeit.network.transit.setup import make_all_routers
    from erreichbarkeit.ui import uploads, views

    stops = results.inputs.timetable.feeds[0].stops
    zob = stops[stops["stop_name"].str.contains("ZOB")].iloc[0]
    first = results.offers[results.offers["category"] == "jugendzentrum"].iloc[[0]].copy()
    upload = first.assign(id="upload:zob", name="Neues Jugendzentrum am ZOB")
    upload = upload.set_geometry(gpd.points_from_xy([zob["lon"] + 0.0003], [zob["lat"]]), crs=4326)
    data = views.view_data(results)
    inputs = results.inputs
    routers = make_all_routers(results.settings, inputs.network_osm, inputs.timetable)
    try:
        tt, transit = uploads.route_offers(routers, data, upload)
    finally:
        routers["pt"].engine.close()  # type: ignore[attr-defined]
    assert len(transit) and (transit["destination_id"] == "upload:zob").all()
    merged = views.merge_upload(data, upload, tt, transit=transit)
    view = views.compute_view(
        merged, mode="pt", categories=["jugendzentrum"], age_group="10-18",
        thresholds={"jugendzentrum": 30.0},
    )  # fmt: skip
    vt = view.villages
    by_bus = vt[vt["jugendzentrum_pt_nearest_id"] == "upload:zob"]
    rides = by_bus[by_bus["jugendzentrum_pt_departures"] > 0]
    assert len(rides) >= 3
    assert not rides["jugendzentrum_pt_walk_only"].any()
