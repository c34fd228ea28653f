"""Tests of the exports (erreichbarkeit.report.export, xlsx, csv_de, gpkg, methodik).

Files are read back and compared with the input.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import xlsxwriter
from shapely.geometry import Point, box

from erreichbarkeit.config import Settings
from erreichbarkeit.errors import CRSError, ErreichbarkeitError
from erreichbarkeit.report import gpkg
from erreichbarkeit.report.cells import safe_cell
from erreichbarkeit.report.csv_de import write_csv_de
from erreichbarkeit.report.export import export_all
from erreichbarkeit.report.gpkg import write_geopackage
from erreichbarkeit.report.methodik import methodik_rows
from erreichbarkeit.report.xlsx import write_excel

from .conftest import need_shared

# -- safe_cell -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 551 123", "'+49 551 123"),
        ("-5", "'-5"),  # text that looks like a number is still text
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\tKita", "'\tKita"),
        ("  =HYPERLINK(1)", "'  =HYPERLINK(1)"),  # after leading white space too
        ("\n-1", "'\n-1"),
        ("Kita Sonnenschein", "Kita Sonnenschein"),
        ("a=b", "a=b"),
        ("", ""),
        ("'schon", "'schon"),
    ],
)
def test_safe_cell_strings(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("value", [-5, -5.5, 0, 3.25, True, None, np.int64(-3), np.float64(-1.5)])
def test_safe_cell_leaves_non_strings_alone(value):
    assert safe_cell(value) is value


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["=1+1", "Bödefeld; Ost", "-5"],
            "kita_car_min": [5.25, np.nan, -2.5],
            "kita_car_n_within": [1, 0, 3],
            "kita_car_within": [True, False, True],
            "share_children_beyond": [0.25, 1.0, np.nan],
        }
    )


@pytest.fixture
def methodik() -> list[tuple[str, str]]:
    return [("Werkzeug", "erreichbarkeit 0.1.0"), ("Formel", "=SUMME(A1)")]


# -- Excel -------------------------------------------------------------------------


def test_write_excel_reads_back(tmp_path, table, methodik):
    path = write_excel(tmp_path / "a.xlsx", {"Orte": table}, methodik=methodik)
    assert path == tmp_path / "a.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Orte", "Methodik"]
    ws = wb["Orte"]
    header = [c.value for c in ws[1]]
    assert header == table.columns.tolist()
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"
    # formula-like text is text with a visible apostrophe, never a formula
    a = ws["B2"]
    assert a.data_type == "s"
    assert a.value == "'=1+1"
    assert ws["B4"].value == "'-5"
    assert ws["B3"].value == "Bödefeld; Ost"
    # numbers stay numbers, also negative ones; NaN is an empty cell
    assert ws["C2"].value == 5.25
    assert ws["C2"].number_format == "0.0"
    assert ws["C3"].value is None
    assert ws["C4"].value == -2.5
    assert ws["C4"].data_type == "n"
    assert ws["D4"].value == 3
    assert ws["E2"].value is True
    assert ws["E3"].value is False
    assert ws["F2"].number_format == "0.0%"
    assert ws.column_dimensions["B"].width >= len("Bödefeld; Ost")
    # no cell anywhere became a formula
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def test_write_excel_geometry_becomes_lon_lat(tmp_path, methodik):
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(9.9, 51.5)], crs="EPSG:4326").to_crs(
        "EPSG:25832"
    )
    write_excel(tmp_path / "g.xlsx", {"Orte": gdf}, methodik=methodik)
    ws = openpyxl.load_workbook(tmp_path / "g.xlsx")["Orte"]
    assert [c.value for c in ws[1]] == ["id", "lon", "lat"]
    assert ws["B2"].value == pytest.approx(9.9)
    assert ws["C2"].value == pytest.approx(51.5)
    assert ws["B2"].number_format == "0.000000"


def test_write_excel_skips_long_tables_with_note(tmp_path, table, methodik):
    write_excel(
        tmp_path / "a.xlsx",
        {"Orte": table, "Reisezeiten": table},
        methodik=methodik,
        max_rows_per_sheet=2,
    )
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb.sheetnames == ["Methodik"]
    notes = [(r[0], r[1]) for r in wb["Methodik"].iter_rows(min_row=2, values_only=True)]
    assert notes[:2] == [("Werkzeug", "erreichbarkeit 0.1.0"), ("Formel", "'=SUMME(A1)")]
    assert notes[2][0] == "Tabelle „Orte“"
    assert "3 Zeilen" in notes[2][1]
    assert notes[3][0] == "Tabelle „Reisezeiten“"


@pytest.mark.parametrize("name", ["x" * 32, "Orte/Gemeinden", "Methodik", "", "'Orte"])
def test_write_excel_rejects_bad_sheet_names(tmp_path, table, methodik, name):
    with pytest.raises(ErreichbarkeitError, match="sheet name"):
        write_excel(tmp_path / "a.xlsx", {name: table}, methodik=methodik)
    assert not (tmp_path / "a.xlsx").exists()


def test_write_excel_rejects_case_duplicates(tmp_path, table, methodik):
    with pytest.raises(ErreichbarkeitError, match="used twice"):
        write_excel(tmp_path / "a.xlsx", {"Orte": table, "ORTE": table}, methodik=methodik)


def test_write_excel_is_atomic(tmp_path, table, methodik, monkeypatch):
    target = tmp_path / "a.xlsx"
    target.write_bytes(b"old content")

    def broken_close(self):
        Path(self.filename).write_bytes(b"PK half written")
        raise OSError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", broken_close)
    with pytest.raises(OSError, match="disk full"):
        write_excel(target, {"Orte": table}, methodik=methodik)
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]
    target.unlink()
    with pytest.raises(OSError, match="disk full"):
        write_excel(target, {"Orte": table}, methodik=methodik)
    assert list(tmp_path.iterdir()) == []


# -- CSV ---------------------------------------------------------------------------


def test_write_csv_de_round_trip(tmp_path):
    df = pd.DataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["Bödefeld", "Ort; mit Semikolon", 'Ort "Zitat"'],
            "minutes": [5.25, np.nan, 1234.5],
            "delta": [-2.5, 0.0, 3.0],
            "n": [1, 0, 3],
            "ok": [True, False, True],
        }
    )
    path = write_csv_de(tmp_path / "orte.csv", df)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "id;name;minutes;delta;n;ok"
    assert "v1;Bödefeld;5,25;-2,5;1;ja" in text
    assert "v2;" in text and ";;0,0;0;nein" in text  # NaN is an empty field
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    expected = df.assign(ok=df["ok"].map({True: "ja", False: "nein"}))
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_write_csv_de_neutralises_formulas(tmp_path):
    df = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "@SUM(A1)", "-5", "ok"], "x": -1.5})
    path = write_csv_de(tmp_path / "a.csv", df)
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["name"].tolist() == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-5", "ok"]
    assert back["x"].tolist() == [-1.5] * 4  # numbers stay numbers


def test_write_csv_de_object_columns_with_bool_and_nan(tmp_path):
    df = pd.DataFrame({"a": pd.Series([True, None, False], dtype=object), "b": [1.5, "x", None]})
    path = write_csv_de(tmp_path / "a.csv", df)
    lines = path.read_text("utf-8-sig").splitlines()
    assert lines == ["a;b", "ja;1,5", ";x", "nein;"]


def test_write_csv_de_is_atomic(tmp_path, table, monkeypatch):
    target = tmp_path / "a.csv"
    target.write_text("alt", "utf-8")
    real = pd.DataFrame.to_csv

    def broken(self, path_or_buf=None, **kwargs):
        real(self.head(1), path_or_buf, **kwargs)
        raise RuntimeError("crash midway")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(RuntimeError, match="crash midway"):
        write_csv_de(target, table)
    assert target.read_text("utf-8") == "alt"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


# -- GeoPackage ----------------------------------------------------------------------


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    orte = gpd.GeoDataFrame(
        {"id": ["v1", "v2"], "name": ["Adorf", "=Bdorf"], "ok": [True, False]},
        geometry=[Point(9.0, 51.0), Point(9.5, 51.2)],
        crs="EPSG:4326",
    )
    gem = gpd.GeoDataFrame(
        {"ags": ["03159001"], "share": [0.5]},
        geometry=[box(8.9, 50.9, 9.6, 51.3)],
        crs="EPSG:4326",
    )
    return {"orte": orte, "gemeinden": gem}


def test_write_geopackage_layers_and_crs(tmp_path, layers):
    path = write_geopackage(tmp_path / "a.gpkg", layers)
    listed = pyogrio.list_layers(path)
    assert listed[:, 0].tolist() == ["orte", "gemeinden"]
    orte = pyogrio.read_dataframe(path, layer="orte")
    assert orte.crs.to_epsg() == 25832
    # 9°E is the central meridian of UTM zone 32: easting exactly 500 000 m
    assert orte.geometry.x.iloc[0] == pytest.approx(500_000.0, abs=1e-3)
    assert orte["name"].tolist() == ["Adorf", "=Bdorf"]  # GIS attribute, not a spreadsheet
    assert orte["ok"].tolist() == [True, False]
    gem = pyogrio.read_dataframe(path, layer="gemeinden")
    assert gem.crs.to_epsg() == 25832
    assert gem.geometry.area.iloc[0] == pytest.approx(
        layers["gemeinden"].to_crs(25832).geometry.area.iloc[0]
    )


@pytest.mark.parametrize("name", ["1orte", "orte-neu", "", "o" * 64, "ORTE"])
def test_write_geopackage_rejects_layer_names(tmp_path, layers, name):
    bad = {"orte": layers["orte"], name: layers["gemeinden"]}
    if name == "ORTE":  # case-insensitive duplicate
        bad = {"orte": layers["orte"], "ORTE": layers["gemeinden"]}
    with pytest.raises(ErreichbarkeitError, match="layer name"):
        write_geopackage(tmp_path / "a.gpkg", bad)
    assert not (tmp_path / "a.gpkg").exists()


def test_write_geopackage_needs_crs(tmp_path, layers):
    no_crs = layers["orte"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no CRS"):
        write_geopackage(tmp_path / "a.gpkg", {"orte": no_crs})


def test_write_geopackage_is_atomic(tmp_path, layers, monkeypatch):
    target = tmp_path / "a.gpkg"
    write_geopackage(target, {"orte": layers["orte"]})
    before = target.read_bytes()
    real = pyogrio.write_dataframe
    calls = []

    def second_layer_fails(df, path, **kwargs):
        calls.append(kwargs["layer"])
        if len(calls) == 2:
            raise RuntimeError("GDAL crashed")
        real(df, path, **kwargs)

    monkeypatch.setattr(gpkg.pyogrio, "write_dataframe", second_layer_fails)
    with pytest.raises(RuntimeError, match="GDAL crashed"):
        write_geopackage(target, layers)
    assert calls == ["orte", "gemeinden"]
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.gpkg"]


# -- Methodik ----------------------------------------------------------------------------

SOURCES = [
    {"name": "OpenStreetMap", "date": "01.05.2024",
     "licence": "© OpenStreetMap-Mitwirkende, ODbL 1.0", "url": "https://www.openstreetmap.org"},
    {"name": "Verwaltungsgebiete VG250", "licence": "© GeoBasis-DE / BKG (2022), dl-de/by-2-0"},
    {"name": "Einwohner", "date": "15.05.2022", "licence":
     "Zensus 2022, © Statistische Ämter des Bundes und der Länder, dl-de/by-2-0"},
]  # fmt: skip


def _methodik(settings: Settings) -> list[tuple[str, str]]:
    return methodik_rows(
        settings,
        sources=SOURCES,
        speeds={"car": "OSRM-Standardprofil, Landstraße 80 km/h", "walk": "5 km/h"},
        estimates=["Kinder je Ort: Einwohner × Altersanteil (Destatis 2022)."],
        version="0.1.0",
        created=datetime(2024, 5, 2, 13, 5),
        extra=[("Hinweis", "Testlauf")],
    )


def test_methodik_rows_content():
    s = Settings(
        name="Landkreis Göttingen",
        modes=("car", "walk"),
        thresholds={"kita": {"car": 12.0}},
    )
    rows = _methodik(s)
    d = dict(rows)  # last row per topic; topics with several rows checked below
    assert rows[0] == ("Region", "Landkreis Göttingen")
    assert d["Werkzeug"] == "erreichbarkeit 0.1.0 (Open Source)"
    assert d["Erstellt am"] == "02.05.2024, 13:05 Uhr"
    sources = [text for topic, text in rows if topic == "Datenquelle"]
    assert sources == [
        "OpenStreetMap; Stand 01.05.2024; © OpenStreetMap-Mitwirkende, ODbL 1.0; "
        "https://www.openstreetmap.org",
        "Verwaltungsgebiete VG250; © GeoBasis-DE / BKG (2022), dl-de/by-2-0",
        "Einwohner; Stand 15.05.2022; Zensus 2022, © Statistische Ämter des Bundes und der "
        "Länder, dl-de/by-2-0",
    ]
    assert "OSRM" in d["Routing"]
    assert "Auto: Profil car.lua, Contraction Hierarchies (CH)" in d["Routing"]
    assert "zu Fuß: Profil foot.lua, Multi-Level Dijkstra (MLD)" in d["Routing"]
    assert "Fahrrad" not in d["Routing"]  # bike not selected
    assert d["Geschwindigkeit Auto"] == "OSRM-Standardprofil, Landstraße 80 km/h"
    assert d["Geschwindigkeit zu Fuß"] == "5 km/h"
    assert d["Schwellenwert Kita"].startswith("Auto 12 min (angepasst), zu Fuß 20 min.")
    assert "Altersgruppen: 0-3, 3-6 Jahre" in d["Schwellenwert Kita"]
    assert d["Schwellenwert Hebamme"].startswith("Auto 15 min, zu Fuß 30 min.")
    n_thresholds = sum(1 for t, _ in rows if t.startswith("Schwellenwert "))
    assert n_thresholds == len(s.categories())
    assert d["Schätzung"] == "Kinder je Ort: Einwohner × Altersanteil (Destatis 2022)."
    assert "über 90 min" in d["Nicht erreichbar"]
    assert "nie 0" in d["Nicht erreichbar"]
    assert "500 m" in d["Anbindung ans Straßennetz"]
    assert "EPSG:25832" in d["Koordinaten"]
    assert rows[-1] == ("Hinweis", "Testlauf")


def test_methodik_rows_rejects_nameless_source():
    with pytest.raises(ErreichbarkeitError, match="without a name"):
        methodik_rows(
            Settings(), sources=[{"licence": "x"}], speeds={}, estimates=[],
            version="0", created=datetime(2024, 1, 1),
        )  # fmt: skip


def test_methodik_sheet_matches_rows(tmp_path, table):
    rows = _methodik(Settings())
    write_excel(tmp_path / "a.xlsx", {"Orte": table}, methodik=rows)
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["Methodik"]
    got = list(ws.iter_rows(values_only=True))
    assert got[0] == ("Thema", "Beschreibung")
    assert got[1:] == rows
    assert ws["A1"].font.b
    assert ws["B2"].alignment.wrap_text


# -- export_all ----------------------------------------------------------------------


@pytest.fixture
def results():
    villages = gpd.GeoDataFrame(
        {"id": ["v1", "v2"], "name": ["Adorf", "@Bdorf"], "ags": ["03159001", "03159002"],
         "kita_car_min": [5.0, np.nan], "kita_car_within": [True, False],
         "reason": ["", "kein Angebot erreichbar"]},
        geometry=[Point(9.90, 51.50), Point(10.10, 51.60)], crs="EPSG:4326",
    )  # fmt: skip
    offers = gpd.GeoDataFrame(
        {"id": ["o1"], "name": ["Kita Sonne"], "category": ["kita"]},
        geometry=[Point(9.91, 51.51)], crs="EPSG:4326",
    )  # fmt: skip
    gemeinden = pd.DataFrame(
        {"ags": ["03159001", "03159002"], "gemeinde": ["A-Stadt", "B-Dorf"],
         "kita_car_share_children_beyond": [0.0, 1.0]}
    )  # fmt: skip
    boundaries = gpd.GeoDataFrame(
        {"ags": ["03159001", "03159002", "03159003"], "gemeinde": ["A-Stadt", "B-Dorf", "C"],
         "population": [1000.0, 50.0, np.nan]},
        geometry=[box(9.8, 51.4, 10.0, 51.55), box(10.0, 51.55, 10.2, 51.7),
                  box(10.2, 51.55, 10.4, 51.7)],
        crs="EPSG:4326",
    )  # fmt: skip
    tt = pd.DataFrame(
        {"origin_id": ["v1", "v1", "v1"], "destination_id": ["o1", "o1", "o1"],
         "mode": ["car", "bike", "walk"], "minutes": [5.0, 9.5, 25.25], "km": [1.2, 1.1, 1.0]}
    )  # fmt: skip
    return {"villages": villages, "offers": offers, "gemeinden": gemeinden,
            "boundaries": boundaries, "travel_times": tt}  # fmt: skip


def test_export_all_writes_every_file(tmp_path, results):
    rows = _methodik(Settings())
    paths = export_all(tmp_path / "out", methodik=rows, **results)
    assert set(paths) == {"xlsx", "orte_csv", "gemeinden_csv", "angebote_csv",
                          "reisezeiten_csv", "reisezeiten_parquet", "gpkg"}  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["erreichbarkeit.xlsx", "orte.csv", "gemeinden.csv", "angebote.csv",
         "reisezeiten.csv", "reisezeiten.parquet", "erreichbarkeit.gpkg"]
    )  # fmt: skip
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["Orte", "Gemeinden", "Angebote", "Reisezeiten", "Spalten", "Methodik"]
    assert [c.value for c in wb["Reisezeiten"][1]] == [
        "ID Ort", "Ort", "ID Angebot", "Angebot", "Kategorie", "Verkehrsmittel", "Minuten", "km",
    ]  # fmt: skip
    assert [c.value for c in wb["Reisezeiten"]["F"][1:]] == ["Auto", "Fahrrad", "zu Fuß"]
    assert wb["Orte"]["B3"].value == "'@Bdorf"
    tt_back = pd.read_parquet(paths["reisezeiten_parquet"])
    pd.testing.assert_frame_equal(tt_back, results["travel_times"])
    rz = pd.read_csv(paths["reisezeiten_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    assert rz["Minuten"].tolist() == [5.0, 9.5, 25.2]  # one decimal (the Parquet keeps 25.25)
    assert rz["Angebot"].tolist() == ["Kita Sonne"] * 3
    orte = pd.read_csv(paths["orte_csv"], sep=";", decimal=",", encoding="utf-8-sig",
                       dtype={"AGS": str})  # fmt: skip
    assert orte["AGS"].tolist() == ["03159001", "03159002"]
    assert orte["Längengrad"].tolist() == pytest.approx([9.9, 10.1])
    assert orte["Kita – Auto: innerhalb"].tolist() == ["ja", "nein"]
    assert pyogrio.list_layers(paths["gpkg"])[:, 0].tolist() == ["orte", "angebote", "gemeinden"]
    gem = pyogrio.read_dataframe(paths["gpkg"], layer="gemeinden")
    assert gem.crs.to_epsg() == 25832
    assert gem["ags"].tolist() == ["03159001", "03159002", "03159003"]
    assert gem["gemeinde"].tolist() == ["A-Stadt", "B-Dorf", "C"]
    assert gem["kita_car_share_children_beyond"].iloc[:2].tolist() == [0.0, 1.0]
    assert math.isnan(gem["kita_car_share_children_beyond"].iloc[2])
    for layer in ("orte", "angebote"):
        assert pyogrio.read_info(paths["gpkg"], layer=layer)["crs"] == "EPSG:25832"


def test_export_all_dated_german_names_and_rerun(tmp_path, results):
    from datetime import date

    from erreichbarkeit.config.outpaths import run_output_names

    names = run_output_names("Landkreis Göttingen", date(2026, 12, 5))
    assert names["xlsx"] == "Erreichbarkeit_Landkreis_Göttingen_2026-12-05.xlsx"
    assert names["reisezeiten_parquet"] == "Reisezeiten_Landkreis_Göttingen_2026-12-05.parquet"
    (tmp_path / "Hinweise_Landkreis_Göttingen_2026-12-05.csv").write_text("alt")
    (tmp_path / "eigene.txt").write_text("bleibt")
    paths = export_all(tmp_path, methodik=[("Werkzeug", "x")], names=names, **results)
    assert {k: p.name for k, p in paths.items()} == {k: names[k] for k in paths}
    # the stale problem list of an earlier run is removed, other files stay
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*(names[k] for k in paths), "eigene.txt"]
    )
    assert openpyxl.load_workbook(paths["xlsx"]).sheetnames[0] == "Orte"


def test_export_all_long_table_goes_to_csv_only(tmp_path, results):
    paths = export_all(tmp_path, methodik=[("Werkzeug", "x")], long_table_max_rows=2, **results)
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert "Reisezeiten" not in wb.sheetnames
    topics = [r[0] for r in wb["Methodik"].iter_rows(min_row=2, values_only=True)]
    assert topics == ["Werkzeug", "Tabelle „Reisezeiten“", "Spaltennamen"]
    back = pd.read_csv(paths["reisezeiten_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    assert len(back) == 3


def test_export_all_without_boundaries(tmp_path, results):
    results["boundaries"] = None
    paths = export_all(tmp_path, methodik=[], **results)
    assert pyogrio.list_layers(paths["gpkg"])[:, 0].tolist() == ["orte", "angebote"]


# -- real data ------------------------------------------------------------------------


@pytest.mark.shared_data
def test_export_real_gemeinden_and_places(tmp_path):
    """Indicators + export on real Göttingen places/POIs and Gemeinde polygons.

    Travel times are a crow-fly proxy (distance × 1.3 at 40 km/h), enough to
    exercise sizes, joins and file round trips on real geometries.
    """
    from erreichbarkeit.analysis.indicators import gemeinde_table, kreis_summary, village_table
    from erreichbarkeit.config import DEFAULT_AGE_SHARES, age_column

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    bounds_path = need_shared("gemeinden-de/gemeinden_zielkreise.geojson")
    places = pyogrio.read_dataframe(gpkg, layer="places")
    pois = pyogrio.read_dataframe(gpkg, layer="pois", columns=["subclass", "name"])
    bounds = pyogrio.read_dataframe(bounds_path)
    bounds = bounds[bounds["KRS"] == "03159"].rename(columns={"AGS": "ags", "name": "gemeinde"})
    boundaries = bounds.loc[:, ["ags", "gemeinde", "ewz_zensus2022", "geometry"]]

    villages = places.loc[:, ["name", "geometry"]].reset_index(drop=True)
    villages.insert(0, "id", [f"osm:place/{i}" for i in range(len(villages))])
    villages = villages.sjoin(boundaries, how="inner", predicate="within").drop(
        columns="index_right"
    )
    per_gem = villages.groupby("ags")["id"].transform("size")
    villages["population"] = villages["ewz_zensus2022"] / per_gem
    for group, share in DEFAULT_AGE_SHARES.items():
        villages[age_column(group)] = villages["population"] * share
    villages = villages.drop(columns="ewz_zensus2022").reset_index(drop=True)

    cats = {"kindergarten": "kita", "school": "schule", "library": "bibliothek"}
    offers = pois[pois["subclass"].isin(list(cats))].reset_index(drop=True)
    offers["category"] = offers["subclass"].map(cats)
    offers.insert(0, "id", [f"omt:{i}" for i in range(len(offers))])
    offers = offers.drop(columns="subclass")
    assert len(villages) > 50
    assert len(offers) > 50

    vm = villages.to_crs(25832)
    om = offers.to_crs(25832)
    dx = vm.geometry.x.to_numpy()[:, None] - om.geometry.x.to_numpy()[None, :]
    dy = vm.geometry.y.to_numpy()[:, None] - om.geometry.y.to_numpy()[None, :]
    km = np.hypot(dx, dy) / 1000 * 1.3
    ii, jj = np.nonzero(km / 40 * 60 <= 30)  # cutoff 30 min
    parts = []
    for mode, kmh in (("car", 40.0), ("bike", 15.0)):
        minutes = km[ii, jj] / kmh * 60
        keep = minutes <= 30
        parts.append(pd.DataFrame({
            "origin_id": villages["id"].to_numpy()[ii[keep]],
            "destination_id": offers["id"].to_numpy()[jj[keep]],
            "mode": mode, "minutes": minutes[keep], "km": km[ii, jj][keep],
        }))  # fmt: skip
    tt = pd.concat(parts, ignore_index=True)

    s = Settings(modes=("car", "bike"))
    categories, modes = ["kita", "schule", "bibliothek"], ["car", "bike"]
    t0 = time.perf_counter()
    vt = village_table(
        villages, tt, offers, categories=categories, modes=modes, threshold=s.threshold
    )
    gem = gemeinde_table(vt, categories=categories, modes=modes, threshold=s.threshold)
    kreis = kreis_summary(vt, categories=categories, modes=modes, threshold=s.threshold)
    t_ind = time.perf_counter() - t0
    assert len(vt) == len(villages)
    assert int(gem["n_villages"].sum()) == len(villages)
    assert gem["population"].sum() == pytest.approx(villages["population"].sum())
    for c in categories:
        for m in modes:
            share = gem[f"{c}_{m}_share_children_beyond"].dropna()
            assert share.between(0, 1).all()
            assert (vt[f"{c}_{m}_min"].dropna() > 0).all()
    assert len(kreis) == len(categories) * len(modes)

    t0 = time.perf_counter()
    paths = export_all(
        tmp_path, villages=vt, gemeinden=gem, offers=offers, travel_times=tt,
        boundaries=boundaries, methodik=_methodik(s),
    )  # fmt: skip
    t_exp = time.perf_counter() - t0
    back = pyogrio.read_dataframe(paths["gpkg"], layer="gemeinden")
    assert back.crs.to_epsg() == 25832
    assert len(back) == len(boundaries)
    area_in = boundaries.to_crs(25832).geometry.area.sum()
    assert back.geometry.area.sum() == pytest.approx(area_in, rel=1e-9)
    orte = pd.read_csv(paths["orte_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    assert len(orte) == len(vt)
    print(  # shown with pytest -s; measured values for the report
        f"\nreal data: {len(villages)} villages, {len(offers)} offers, {len(tt)} pairs, "
        f"{len(gem)} Gemeinden; indicators {t_ind:.2f} s, export {t_exp:.2f} s"
    )


def test_methodik_rows_accepts_german_source_keys():
    rows = methodik_rows(
        Settings(),
        sources=[
            {"Daten": "Straßennetz, Orte", "Datei": "kreis.osm.pbf", "Stand": "01.05.2024",
             "Quelle": "© OpenStreetMap-Mitwirkende", "Lizenz": "ODbL 1.0"},
            {"Daten": "Angebote (Liste)", "Datei": "kitas.xlsx", "Quelle": "Angabe der Nutzer",
             "Lizenz": "", "Stand": ""},
        ],
        speeds={}, estimates=[], version="0", created=datetime(2024, 1, 1),
    )  # fmt: skip
    assert [t for topic, t in rows if topic == "Datenquelle"] == [
        "Straßennetz, Orte (kreis.osm.pbf); Stand 01.05.2024; © OpenStreetMap-Mitwirkende, "
        "ODbL 1.0",
        "Angebote (Liste) (kitas.xlsx); Angabe der Nutzer",
    ]


def test_export_all_pivots_long_gemeinden_for_the_geopackage(tmp_path, results):
    long = pd.DataFrame(
        {"ags": ["03159001", "03159001", "03159002", "03159002"],
         "gemeinde": ["A-Stadt", "A-Stadt", "B-Dorf", "B-Dorf"],
         "category": ["kita"] * 4, "mode": ["car", "walk"] * 2,
         "share_children_beyond": [0.0, 0.5, 1.0, 1.0], "n_villages": [1, 1, 1, 1],
         "underserved_villages": ["", "Adorf", "@Bdorf", "@Bdorf"]}
    )  # fmt: skip
    results["gemeinden"] = long
    paths = export_all(tmp_path, methodik=[], **results)
    gem = pyogrio.read_dataframe(paths["gpkg"], layer="gemeinden")
    assert gem.columns.tolist() == [
        "ags", "gemeinde", "n_villages", "kita_car_share_children_beyond",
        "kita_car_underserved_villages", "kita_walk_share_children_beyond",
        "kita_walk_underserved_villages", "geometry",
    ]  # fmt: skip
    assert gem["kita_walk_share_children_beyond"].tolist()[:2] == [0.5, 1.0]
    assert gem["kita_walk_underserved_villages"].tolist()[:2] == ["Adorf", "@Bdorf"]
    # the sheet and the CSV keep the long table as given
    back = pd.read_csv(paths["gemeinden_csv"], sep=";", decimal=",", encoding="utf-8-sig")
    assert len(back) == 4
    assert back["unterversorgte Orte (Namen)"].tolist()[2] == "'@Bdorf"
