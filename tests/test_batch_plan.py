"""The batch's planning, task keying and failures without a cluster (fast, hand-made cases)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from erreichbarkeit.batch.cluster import inner_workers
from erreichbarkeit.batch.land import read_kreistypen
from erreichbarkeit.batch.plan import BatchRegion, kreis_names, plan_regions
from erreichbarkeit.batch.tasks import RegionTask, read_status, run_region
from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import ConfigError, InputDataError
from erreichbarkeit.prepare.regionfile import area_files, region_files
from erreichbarkeit.webmap.land import LAND_COLORS, NO_VALUE_COLOR, land_map_html


def _gemeinden(*ags: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ags": list(ags), "gemeinde": [f"G{a}" for a in ags]},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(ags))],
        crs=WGS84,
    )


GEM = _gemeinden("05558004", "05558016", "05958001", "03159016", "05334002")


def test_land_takes_every_kreis_of_the_land_code_sorted() -> None:
    regions = plan_regions(GEM, land="05", names={"05558": "Kreis Coesfeld"})
    assert [(r.id, r.name, r.kreis) for r in regions] == [
        ("05334", "Kreis 05334", "05334"),
        ("05558", "Kreis Coesfeld", "05558"),
        ("05958", "Kreis 05958", "05958"),
    ]


def test_keys_are_checked_and_exactly_one_way_is_given() -> None:
    assert [r.id for r in plan_regions(GEM, keys=["05958", "05558"])] == ["05558", "05958"]
    with pytest.raises(ConfigError, match="not a Kreis key") as err:
        plan_regions(GEM, keys=["5558"])
    assert "fünf Ziffern" in err.value.message_de
    with pytest.raises(ConfigError, match="exactly one"):
        plan_regions(GEM, land="05", keys=["05558"])
    with pytest.raises(ConfigError, match="exactly one"):
        plan_regions(GEM)
    with pytest.raises(InputDataError, match="Land 09"):
        plan_regions(GEM, land="09")


def test_region_files_kreis_and_jugendamt_area() -> None:
    builtin = region_files()
    regions = plan_regions(
        GEM, files=[builtin["hochsauerlandkreis"], area_files()["jugendamt-arnsberg"]]
    )
    by_id = {r.id: r for r in regions}
    assert set(by_id) == {"05958", "05958-jugendamt-der-stadt-arnsberg"}
    area = by_id["05958-jugendamt-der-stadt-arnsberg"]
    assert area.kreis == "05958" and area.is_area
    assert not by_id["05958"].is_area


def test_kreis_names_from_a_table_and_the_builtin_files(tmp_path: Path) -> None:
    table = tmp_path / "kreise.csv"
    table.write_text("Schlüssel;Name\n05558000;Coesfeld, Kreis\n99901;Amselkreis\n", "utf-8")
    names = kreis_names(table)
    assert names["05558"] == "Coesfeld, Kreis"  # the table wins over the built-in name
    assert names["99901"] == "Amselkreis"
    assert kreis_names(None)["05958"] == "Hochsauerlandkreis"
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", "utf-8")
    with pytest.raises(InputDataError, match="key and a name"):
        kreis_names(bad)


def test_kreistypen_table(tmp_path: Path) -> None:
    table = tmp_path / "typen.csv"
    table.write_text("Kreisschlüssel;Kreistyp\n05558;ländlicher Kreis\n", "utf-8")
    assert read_kreistypen(table) == {"05558": "ländlicher Kreis"}


def test_inner_pools_keep_tasks_times_pools_within_the_cap() -> None:
    assert [inner_workers(2, n) for n in (1, 2)] == [2, 1]
    assert inner_workers(8, 3) == 2
    assert inner_workers(1, 4) == 1


def test_a_failing_region_reports_its_german_error(tmp_path: Path) -> None:
    region_file = tmp_path / "regionen" / "x" / "region.toml"
    region_file.parent.mkdir(parents=True)
    region_file.write_text(
        '[region]\nname = "X"\n[inputs]\nnetwork = "fehlt.osm.pbf"\nboundaries = "g.gpkg"\n',
        "utf-8",
    )
    earlier = tmp_path / "datensatz" / "kreis" / "region=x"  # an earlier run's partition
    earlier.mkdir(parents=True)
    (earlier / "part-0.parquet").write_bytes(b"old")
    task = RegionTask("x", "X", "99901", str(region_file), str(tmp_path), str(tmp_path / "c"))
    outcome = run_region(task)
    assert outcome.status == "fehlgeschlagen"
    assert "fehlt.osm.pbf" in outcome.message_de
    status = read_status(tmp_path, "x")
    assert status is not None and status["status"] == "fehlgeschlagen"
    assert status["message_de"] == outcome.message_de
    assert list((tmp_path / "datensatz" / "kreis").iterdir()) == []  # no stale partition


def test_region_id_of_an_area_is_unique_per_kreis() -> None:
    a = BatchRegion("05958-x", "X", "05958", area_ags=("05958004",))
    assert a.is_area and not BatchRegion("05958", "HSK", "05958").is_area


def test_land_map_classes_and_no_value(tmp_path: Path) -> None:
    overview = _gemeinden("1", "2", "3").assign(
        name=["A", "B", "C"], beyond_kita_car=[0.05, 0.30, float("nan")],
        status=["fertig", "fertig", "fehlgeschlagen"],
    )  # fmt: skip
    html = land_map_html(overview, [("beyond_kita_car", "Kita – Auto")])
    assert "A</b><br>Kita – Auto: 5,0 %" in html  # 5 % is the first class's upper edge
    assert "B</b><br>Kita – Auto: 30,0 %" in html
    assert "C</b><br>Kita – Auto: kein Ergebnis<br>Status: fehlgeschlagen" in html
    assert html.count(LAND_COLORS[0]) >= 2 and LAND_COLORS[3] in html
    assert NO_VALUE_COLOR in html
    assert "nan" not in json.dumps(html).replace("nanu", "")


def test_a_rerun_removes_only_its_own_stale_temporaries(tmp_path: Path) -> None:
    from erreichbarkeit._atomic import TMP_PREFIX
    from erreichbarkeit.batch.tasks import _sweep_own_temporaries

    part = tmp_path / "datensatz" / "orte"
    mine = part / f"{TMP_PREFIX}4242-region=99901.x1"
    other = part / f"{TMP_PREFIX}4243-region=99901-jugendamt.x2"
    export = tmp_path / "regionen" / "99901" / f"{TMP_PREFIX}4242-ergebnis.x3"
    for folder in (mine, other, export):
        folder.mkdir(parents=True)
    _sweep_own_temporaries(tmp_path, "99901")
    assert not mine.exists() and not export.exists()
    assert other.exists()  # another region's attempt (it may be running)
