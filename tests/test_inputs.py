"""Tests of the input readers: offers, tables, boundaries, population, villages."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from erreichbarkeit._schema import OFFER_COLUMNS
from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError
from erreichbarkeit.io import (
    read_boundaries,
    read_offers,
    read_population,
    read_table,
    read_villages,
)
from erreichbarkeit.io._cells import parse_number
from erreichbarkeit.io.tables import table_problems

from .conftest import need_shared

CATS = load_categories()

# files without CRS are written on purpose to test the CRSError
pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def offers_of(result_offers: gpd.GeoDataFrame) -> list[tuple]:
    return [
        (r.id, r.name, r.category, round(r.geometry.x, 6), round(r.geometry.y, 6))
        for r in result_offers.itertuples()
    ]


# --------------------------------------------------------------------------
# number parsing


@pytest.mark.parametrize(
    ("raw", "count", "expected"),
    [
        ("51,5339", False, 51.5339),
        ("51.5339", False, 51.5339),
        (" 9,9356 ", False, 9.9356),
        ("1.234", True, 1234.0),
        ("1.234", False, 1.234),
        ("1.234,5", True, 1234.5),
        ("1,234.5", True, 1234.5),
        ("12,5", True, 12.5),
        ("1 234", True, 1234.0),
        ("1\xa0234", True, 1234.0),
        ("5.712.345", False, 5712345.0),
        ("-3", True, -3.0),
        ("−3,5", False, -3.5),
        (42, True, 42.0),
        (42.5, False, 42.5),
        ("", True, None),
        (None, True, None),
        (float("nan"), True, None),
    ],
)
def test_parse_number(raw: object, count: bool, expected: float | None) -> None:
    assert parse_number(raw, count=count) == expected


@pytest.mark.parametrize("raw", ["ca. 20", "abc", "1.2.3", "20-30", "inf", "nan", "1,2,3.4.5"])
def test_parse_number_rejects_text(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_number(raw, count=True)


# --------------------------------------------------------------------------
# read_table


ROWS = [
    ["Name", "Kategorie", "Breite", "Länge", "Kapazität", "Träger"],
    ["Kita Müllerstraße", "Kita", "51,5339", "9,9356", "1.234", "Gemeinde Bovenden"],
    ["Hebamme Jäger", "Hebamme", "51,6", "9,95", "", "frei"],
]
EXPECTED = [
    ("offers.csv:2", "Kita Müllerstraße", "kita", 9.9356, 51.5339),
    ("offers.csv:3", "Hebamme Jäger", "hebamme", 9.95, 51.6),
]


def csv_text(rows: list[list[str]], sep: str) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if sep in v else v

    return "\r\n".join(sep.join(cell(v) for v in r) for r in rows) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_offers_every_encoding_and_separator(tmp_path: Path, encoding: str, sep: str) -> None:
    path = write(tmp_path / "offers.csv", csv_text(ROWS, sep), encoding)
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert offers_of(res.offers) == EXPECTED
    assert list(res.offers.columns) == list(OFFER_COLUMNS)
    assert res.offers.crs == "EPSG:4326"
    assert res.offers["capacity"].iloc[0] == 1234.0
    assert math.isnan(res.offers["capacity"].iloc[1])
    assert list(res.offers["traeger"]) == ["Gemeinde Bovenden", "frei"]
    assert list(res.offers["source"]) == ["offers.csv", "offers.csv"]
    assert list(res.offers["geocode_quality"]) == ["Koordinaten", "Koordinaten"]


def test_bom_does_not_leak_into_first_header(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "Name;Kategorie\nA;Kita\n", "utf-8-sig")
    assert list(read_table(path).columns) == ["Name", "Kategorie"]


def test_read_table_rows_keep_spreadsheet_numbers(tmp_path: Path) -> None:
    text = "Liste der Angebote 2024\n\nName;Kategorie\n A ; Kita \n;\n\nB;Hebamme\n"
    table = read_table(write(tmp_path / "t.csv", text))
    assert list(table.columns) == ["Name", "Kategorie"]
    assert list(table.index) == [4, 7]
    assert table.loc[4].tolist() == ["A", "Kita"]


def test_read_table_ragged_rows_and_unnamed_columns(tmp_path: Path) -> None:
    text = "Name;Kategorie;\nA;Kita;extra;more\nB\nC;Hebamme;Notiz\n"
    table = read_table(write(tmp_path / "t.csv", text))
    assert list(table.columns) == ["Name", "Kategorie", "Spalte_3"]
    assert list(table.index) == [3, 4]
    assert table.loc[3].tolist() == ["B", None, None]
    assert table.loc[4].tolist() == ["C", "Hebamme", "Notiz"]
    [p] = table_problems(table)
    assert (p.row, p.severity) == (2, "error")
    assert "mehr Felder (4) als die Kopfzeile (3)" in p.message_de


def test_read_table_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="file not found") as exc:
        read_table(tmp_path / "missing.csv")
    assert exc.value.message_de == "Datei nicht gefunden"
    with pytest.raises(InputDataError, match="empty"):
        read_table(write(tmp_path / "empty.csv", "\n;;\n  \n"))
    with pytest.raises(InputDataError, match=r"\.xls files are not supported"):
        read_table(write(tmp_path / "old.xls", "x"))
    with pytest.raises(InputDataError, match="not a readable XLSX"):
        read_table(write(tmp_path / "broken.xlsx", "not a zip"))


def write_xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Angebote") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_offers_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "offers.xlsx",
        [
            ["Angebote im Landkreis"],  # title row, skipped
            [],
            ["Nr", "Bezeichnung", "Art", "Breitengrad", "Laengengrad", "Plätze"],
            [7, "Kita Nord", "Kindergarten", 51.5339, 9.9356, 45],
            [None, None, None, None, None, None],
            [8.0, "=Familienzentrum Süd", "familienzentrum", "51,6", "9,95", "1.234"],
            ["A-3", "+49 Jugendtreff", "Jugendtreff", 51.55, 9.91, "12,5"],
        ],
    )
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert offers_of(res.offers) == [
        ("7", "Kita Nord", "kita", 9.9356, 51.5339),
        ("8", "=Familienzentrum Süd", "familienzentrum", 9.95, 51.6),
        ("A-3", "+49 Jugendtreff", "jugendzentrum", 9.91, 51.55),
    ]
    assert res.offers["capacity"].tolist() == [45.0, 1234.0, 12.5]


def test_read_table_xlsx_sheets(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    ws1 = wb.active
    assert ws1 is not None
    ws1.title = "Info"
    ws1.append(["nur Text"])
    ws2 = wb.create_sheet("Daten")
    ws2.append(["Name", "Kategorie"])
    ws2.append(["A", "Kita"])
    wb.save(path)
    assert read_table(path, sheet="Daten").loc[2].tolist() == ["A", "Kita"]
    assert read_table(path, sheet=1).loc[2].tolist() == ["A", "Kita"]
    with pytest.raises(InputDataError, match="sheet 'Nope' not found") as exc:
        read_table(path, sheet="Nope")
    assert "Info, Daten" in exc.value.message_de


# --------------------------------------------------------------------------
# headers


@pytest.mark.parametrize(
    "header",
    [
        "name,category,lat,lon",
        "Name,Category,Latitude,Longitude",
        " NAME , KATEGORIE , BREITE , LÄNGE ",
        "Einrichtung,Typ,Breitengrad,Längengrad",
        "Bezeichnung,Art,y,x",
        "Name (offiziell),typ,lat [WGS84],lng",
    ],
)
def test_header_spellings(tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "o.csv", f"{header}\nKita A,Kita,51.5,9.9\n")
    res = read_offers(path, CATS)
    assert offers_of(res.offers) == [("o.csv:2", "Kita A", "kita", 9.9, 51.5)]


def test_optional_columns(tmp_path: Path) -> None:
    text = (
        "ID;Name;Kategorie;lat;lon;Altersgruppen;Öffnungszeiten;Traeger;Kapazitaet\n"
        "k1;Kita A;Kita;51,5;9,9;0-3, 3-6;Mo-Fr 07:00-16:00;AWO;60\n"
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    row = res.offers.iloc[0]
    assert (row["id"], row["age_groups"], row["opening_hours"], row["traeger"]) == (
        "k1", "0-3, 3-6", "Mo-Fr 07:00-16:00", "AWO",
    )  # fmt: skip
    assert row["capacity"] == 60.0
    assert row["address"] is None


def test_two_name_columns_warns_and_uses_first(tmp_path: Path) -> None:
    text = "Name;Bezeichnung;Kategorie;lat;lon\nA;B;Kita;51,5;9,9\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["name"].tolist() == ["A"]
    assert [(p.row, p.column, p.severity) for p in res.problems] == [(1, "Bezeichnung", "warning")]


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Kategorie;lat;lon\nKita;51;9\n", "Name/Bezeichnung"),
        ("Name;lat;lon\nA;51;9\n", "Kategorie/Art"),
        ("Name;Kategorie;Telefon\nA;Kita;0551\n", "Weder Koordinatenspalten"),
        ("Name;Kategorie;lat\nA;Kita;51\n", "Weder Koordinatenspalten"),
    ],
)
def test_missing_columns_raise(tmp_path: Path, text: str, missing: str) -> None:
    path = write(tmp_path / "o.csv", text)
    with pytest.raises(MissingColumnError) as exc:
        read_offers(path, CATS)
    assert missing in exc.value.message_de
    assert exc.value.file == str(path)
    # the columns that were found are named
    assert text.split("\n", maxsplit=1)[0].replace(";", ", ") in exc.value.message_de


def test_header_only_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no data rows"):
        read_offers(write(tmp_path / "o.csv", "Name;Kategorie;lat;lon\n"), CATS)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as exc:
        read_offers(tmp_path / "nope.csv", CATS)
    assert exc.value.german == "Datei nope.csv: Datei nicht gefunden"


# --------------------------------------------------------------------------
# categories


def test_category_spellings(tmp_path: Path) -> None:
    text = (
        "Name;Kategorie;lat;lon\n"
        "A;KITA;51,5;9,9\n"
        "B;kinderarzt;51,5;9,91\n"
        "C;Kinder- und Jugendarzt;51,5;9,92\n"
        "D;Bücherei;51,5;9,93\n"
        "E;Kinderartz;51,5;9,94\n"
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["category"].tolist() == [
        "kita", "kinderarzt", "kinderarzt", "bibliothek", "kinderarzt",
    ]  # fmt: skip
    assert [(p.row, p.column, p.severity) for p in res.problems] == [(6, "Kategorie", "warning")]
    assert res.problems[0].message_de == "Kategorie „Kinderartz“ als „Kinderarzt“ gelesen"


def test_unknown_category_is_an_error_row(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon\nA;Kita;51,5;9,9\nB;Zahnarzt;51,5;9,9\nC;;51,5;9,9\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["name"].tolist() == ["A"]
    errs = res.errors
    assert [(p.row, p.column) for p in errs] == [(3, "Kategorie"), (4, "Kategorie")]
    assert errs[0].message_de == (
        "Unbekannte Kategorie „Zahnarzt“; gültig sind: Beratungsstelle, Bibliothek, "
        "Erziehungsberatung, Familienbildungsstätte, Familienzentrum, Frühförderstelle, "
        "Gesundheitsamt, Grundschule, Hebamme, Jobcenter, Jugendamt, Jugendzentrum, "
        "Kinderarzt, Kindertagespflege, Kita, Kreisverwaltung, Rathaus, Schule, "
        "Schwangerschaftsberatung"
    )
    assert errs[1].message_de == "Kategorie fehlt"
    assert res.unmatched.empty


def test_unknown_category_suggests_near_label(tmp_path: Path) -> None:
    # "jugendtreffpunkt" vs alias "jugendtreff": ratio 81, below the cutoff 85
    text = "Name;Kategorie;lat;lon\nA;Jugendtreffpunkt;51,5;9,9\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers.empty
    assert "meinten Sie „Jugendzentrum“?" in res.errors[0].message_de


# --------------------------------------------------------------------------
# coordinates


def test_swapped_coordinates_are_corrected(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon\nA;Kita;9,9356;51,5339\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert offers_of(res.offers) == [("o.csv:2", "A", "kita", 9.9356, 51.5339)]
    assert [(p.row, p.severity) for p in res.problems] == [(2, "warning")]
    assert "vertauscht" in res.problems[0].message_de


def test_projected_coordinates_with_epsg_column(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs(4326, 25832, always_xy=True)
    to_gk = Transformer.from_crs(4326, 31467, always_xy=True)
    x1, y1 = to_utm.transform(9.9356, 51.5339)
    x2, y2 = to_gk.transform(9.95, 51.6)
    text = (
        "Name;Kategorie;x;y;EPSG\n"
        f"A;Kita;{x1:.3f};{y1:.3f};EPSG:25832\n"
        f"B;Kita;{str(round(x2, 3)).replace('.', ',')};{round(y2, 3)};31467\n"
        "C;Kita;9,9;51,5;\n"
        f"D;Kita;{y1:.3f};{x1:.3f};25832\n"
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    got = res.offers.geometry
    assert got.x.tolist() == pytest.approx([9.9356, 9.95, 9.9, 9.9356], abs=1e-7)
    assert got.y.tolist() == pytest.approx([51.5339, 51.6, 51.5, 51.5339], abs=1e-7)
    # D had easting and northing swapped
    assert [(p.row, p.severity) for p in res.problems] == [(5, "warning")]


def test_default_epsg(tmp_path: Path) -> None:
    # EPSG:25832 has its central meridian at 9°E: easting 500 000 is lon 9 exactly
    y = Transformer.from_crs(4326, 25832, always_xy=True).transform(9.0, 51.5)[1]
    text = f"Name;Kategorie;Rechtswert;Hochwert\nA;Kita;500000;{y:.3f}\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS, default_epsg=25832)
    assert res.offers.geometry.x.iloc[0] == pytest.approx(9.0, abs=1e-9)
    assert res.offers.geometry.y.iloc[0] == pytest.approx(51.5, abs=1e-7)


def test_coordinate_errors(tmp_path: Path) -> None:
    text = (
        "Name;Kategorie;lat;lon;EPSG\n"
        "A;Kita;51,5;9,9;\n"
        "B;Kita;fünfzig;9,9;\n"  # not a number
        "C;Kita;5712345;565432;\n"  # projected without EPSG
        "D;Kita;51,5;9,9;ETRS89\n"  # not an EPSG code
        "E;Kita;51,5;9,9;99999\n"  # unknown EPSG code
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["name"].tolist() == ["A"]
    assert [(p.row, p.column) for p in res.errors] == [
        (3, "lat"), (4, "lon"), (5, "EPSG"), (6, "EPSG"),
    ]  # fmt: skip
    assert res.errors[0].message_de == "Koordinate „fünfzig“ ist keine Zahl"
    assert "EPSG-Spalte" in res.errors[1].message_de


def test_region_bounds(tmp_path: Path) -> None:
    text = (
        "Name;Kategorie;lat;lon\n"
        "inside;Kita;51,5;9,9\n"
        "slack;Kita;51,5;10,2\n"  # 0.2° lon ≈ 14 km east of the box: kept
        "far;Kita;48,1;11,6\n"  # München
        "swapped;Kita;9,9;51,5\n"
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS, region_bounds=(9.5, 51.3, 10.0, 51.7))
    assert res.offers["name"].tolist() == ["inside", "slack", "swapped"]
    assert [(p.row, p.severity) for p in res.problems] == [(4, "error"), (5, "warning")]
    assert "außerhalb der Region" in res.problems[0].message_de


def test_outside_germany_without_region_is_a_warning(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon\nWien;Kita;48,2;16,37\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert len(res.offers) == 1
    assert [(p.row, p.severity) for p in res.problems] == [(2, "warning")]


def test_placeholder_zero_coordinates_fall_back_to_address(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon\nA;Kita;0;0\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers.empty
    assert res.unmatched["reason"].tolist() == ["weder Koordinaten noch Adresse angegeben"]


# --------------------------------------------------------------------------
# ids, duplicates, empty rows, capacity


def test_duplicate_ids_and_offers(tmp_path: Path) -> None:
    text = (
        "Nr;Name;Kategorie;lat;lon\n"
        "1;A;Kita;51,5;9,9\n"
        "1;B;Kita;51,6;9,9\n"  # duplicate id: error
        "2;a;KITA;51.5;9.9\n"  # same name/category/place as row 2: warning, dropped
        ";C;Kita;51,7;9,9\n"  # generated id
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["id"].tolist() == ["1", "o.csv:5"]
    assert [(p.row, p.column, p.severity) for p in res.problems] == [
        (3, "Nr", "error"),
        (4, None, "warning"),
    ]
    assert res.problems[0].message_de == "Doppelte ID „1“ (zuerst in Zeile 2)"


def test_empty_rows_are_skipped_and_rows_counted(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon\n\n;;;\nA;Kita;51,5;9,9\n  \nB;Unbekannt;51,5;9,9\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["id"].tolist() == ["o.csv:4"]
    assert [p.row for p in res.errors] == [6]


def test_capacity_non_numeric_is_a_warning(tmp_path: Path) -> None:
    text = "Name;Kategorie;lat;lon;Kapazität\nA;Kita;51,5;9,9;ca. 40\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert math.isnan(res.offers["capacity"].iloc[0])
    assert [(p.column, p.severity) for p in res.problems] == [("Kapazität", "warning")]


def test_empty_name_uses_label(tmp_path: Path) -> None:
    res = read_offers(
        write(tmp_path / "o.csv", "Name;Kategorie;lat;lon\n;Hebamme;51,5;9,9\n"), CATS
    )
    assert res.offers["name"].tolist() == ["Hebamme"]
    assert res.warnings[0].column == "Name"


def test_formula_looking_cells_stay_text(tmp_path: Path) -> None:
    text = 'Name;Kategorie;lat;lon;Träger\n=1+2;Kita;51,5;9,9;@SUM(A1)\n"-Kita";Kita;51,6;9,9;+x\n'
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers["name"].tolist() == ["=1+2", "-Kita"]
    assert res.offers["traeger"].tolist() == ["@SUM(A1)", "+x"]


# --------------------------------------------------------------------------
# addresses


ADDRESSES = pd.DataFrame(
    {
        "street": ["Hauptstraße", "Hauptstraße", "Mühlenweg", "Mühlenweg"],
        "housenumber": ["3", "5", "7", "9"],
        "postcode": ["37120", "37120", "37120", "37120"],
        "city": ["Bovenden", "Bovenden", "Bovenden", "Bovenden"],
        "lon": [9.92, 9.921, 9.94, 9.942],
        "lat": [51.58, 51.581, 51.585, 51.587],
    }
)


def test_address_rows_are_geocoded(tmp_path: Path) -> None:
    text = (
        "Name;Kategorie;Breite;Länge;Adresse\n"
        "A;Kita;51,5;9,9;Irgendwo 1\n"  # coordinates win
        "B;Kita;;;Hauptstr. 3, 37120 Bovenden\n"
        "C;Kita;;;Mühlenweg 7a, 37120 Bovenden\n"  # 7a → 7 (warning)
        "D;Kita;;;Mühlenweg 99, 37120 Bovenden\n"  # street only → unmatched
        "E;Kita;;;Nirgendweg 1, 37120 Bovenden\n"  # not found → unmatched
        "F;Kita;;;\n"  # nothing
        "G;Kita;;;37120 Bovenden\n"  # no street
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS, addresses=ADDRESSES)
    assert offers_of(res.offers) == [
        ("o.csv:2", "A", "kita", 9.9, 51.5),
        ("o.csv:3", "B", "kita", 9.92, 51.58),
        ("o.csv:4", "C", "kita", 9.94, 51.585),
    ]
    assert res.offers["geocode_quality"].tolist() == ["Koordinaten", "Hausnummer", "Hausnummer"]
    assert res.offers["address"].tolist() == [
        "Irgendwo 1", "Hauptstr. 3, 37120 Bovenden", "Mühlenweg 7a, 37120 Bovenden",
    ]  # fmt: skip
    um = res.unmatched
    assert list(um.columns) == ["source", "row", "id", "name", "category", "address", "reason"]
    assert um["source"].tolist() == ["o.csv"] * 4
    assert um["row"].tolist() == [5, 6, 7, 8]
    assert um["name"].tolist() == ["D", "E", "F", "G"]
    assert um["reason"].iloc[0].startswith("nur die Straße gefunden (Mühlenweg, 37120 Bovenden)")
    assert um["reason"].iloc[1] == "Adresse nicht gefunden (Straße „Nirgendweg“ nicht gefunden)"
    assert um["reason"].iloc[2] == "weder Koordinaten noch Adresse angegeben"
    assert um["reason"].iloc[3] == "Adresse „37120 Bovenden“ ohne Straße"
    # every unmatched row is also an error; C's fallback is a warning
    assert [p.row for p in res.errors] == [5, 6, 7, 8]
    assert [(p.row, p.column) for p in res.warnings] == [(4, "Adresse")]


def test_street_match_accepted_on_request(tmp_path: Path) -> None:
    text = "Name;Kategorie;Adresse\nD;Kita;Mühlenweg 99, 37120 Bovenden\n"
    res = read_offers(
        write(tmp_path / "o.csv", text), CATS, addresses=ADDRESSES, accept_street_match=True
    )
    assert res.offers["geocode_quality"].tolist() == ["Straße"]
    assert res.offers.geometry.x.iloc[0] == pytest.approx(9.941)
    assert res.offers.geometry.y.iloc[0] == pytest.approx(51.586)
    assert [p.severity for p in res.problems] == ["warning"]
    assert res.unmatched.empty


def test_split_address_columns(tmp_path: Path) -> None:
    text = (
        "Name;Kategorie;Straße;Hausnummer;PLZ;Ort\n"
        "A;Kita;Hauptstrasse;5;37120;Bovenden\n"
        "B;Kita;Mühlenweg 9;;;Bovenden\n"  # number inside the street column
    )
    res = read_offers(write(tmp_path / "o.csv", text), CATS, addresses=ADDRESSES)
    assert offers_of(res.offers) == [
        ("o.csv:2", "A", "kita", 9.921, 51.581),
        ("o.csv:3", "B", "kita", 9.942, 51.587),
    ]
    assert res.offers["address"].tolist() == [
        "Hauptstrasse 5, 37120 Bovenden", "Mühlenweg 9, Bovenden",
    ]  # fmt: skip


def test_address_rows_without_address_data_are_unmatched(tmp_path: Path) -> None:
    text = "Name;Kategorie;Adresse\nB;Kita;Hauptstr. 3, 37120 Bovenden\n"
    res = read_offers(write(tmp_path / "o.csv", text), CATS)
    assert res.offers.empty
    assert res.unmatched["reason"].tolist() == ["keine Adressdaten zum Geocodieren vorhanden"]
    assert res.errors[0].message_de == (
        "Nicht verortet: keine Adressdaten zum Geocodieren vorhanden"
    )


# --------------------------------------------------------------------------
# boundaries


def square(x: float, y: float, d: float = 0.1) -> Polygon:
    return box(x, y, x + d, y + d)


def test_read_boundaries_detects_columns_and_reprojects(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "GKZ": [3159016, 3159017],  # numbers: lost their leading zero
            "GEN": ["Bovenden", "Rosdorf"],
            "EWZ": ["13.400", "12.1"],
        },
        geometry=[square(9.9, 51.6), square(9.9, 51.5)],
        crs=4326,
    ).to_crs(25832)
    path = tmp_path / "gem.gpkg"
    gdf.to_file(path)
    out = read_boundaries(path)
    assert out["ags"].tolist() == ["03159016", "03159017"]
    assert out["gemeinde"].tolist() == ["Bovenden", "Rosdorf"]
    assert out["population"].tolist() == [13400.0, 12.1]
    assert out.crs == "EPSG:4326"
    assert out.total_bounds == pytest.approx([9.9, 51.5, 10.0, 51.7], abs=1e-6)
    assert list(out.columns) == ["ags", "gemeinde", "population", "geometry"]


def test_read_boundaries_ars_and_explicit_columns(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"RS": ["031590016016", "31590017017"], "Ortsname": ["A", None], "ew": [1, 2]},
        geometry=[square(9.9, 51.6), square(9.9, 51.5)],
        crs=4326,
    )
    path = tmp_path / "gem.geojson"
    gdf.to_file(path)
    out = read_boundaries(path, name_column="ortsname", population_column="ew")
    assert out["ags"].tolist() == ["03159016", "03159017"]
    assert out["gemeinde"].tolist() == ["A", "03159017"]  # missing name → AGS
    assert out["population"].tolist() == [1.0, 2.0]
    with pytest.raises(MissingColumnError, match="'Einwohner'"):
        read_boundaries(path, population_column="Einwohner")


def test_read_boundaries_repairs_and_merges(tmp_path: Path) -> None:
    bowtie = Polygon([(9.0, 51.0), (9.1, 51.1), (9.1, 51.0), (9.0, 51.1)])
    gdf = gpd.GeoDataFrame(
        {"AGS": ["03159016", "03159017", "03159017"], "name": ["A", "B", "B"],
         "population": [10.0, 5.0, 5.0]},
        geometry=[bowtie, square(10, 51), square(10.5, 51)],
        crs=4326,
    )  # fmt: skip
    path = tmp_path / "gem.gpkg"
    gdf.to_file(path)
    out = read_boundaries(path)
    assert out.is_valid.all()
    assert out["ags"].tolist() == ["03159016", "03159017"]
    assert out.geometry.iloc[0].area == pytest.approx(0.005)  # two triangles
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    assert out["population"].tolist() == [10.0, 5.0]  # repeated value, not summed


def test_read_boundaries_errors(tmp_path: Path) -> None:
    nocrs = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"AGS": ["1"]}, geometry=[square(0, 0)]).to_file(nocrs)
    with pytest.raises(CRSError):
        read_boundaries(nocrs)
    missing = tmp_path / "missing_ags.gpkg"
    gpd.GeoDataFrame(
        {"AGS": ["03159016", None, "03159018", ""]},
        geometry=[square(9, 51), square(9, 52), square(9, 53), square(9, 54)],
        crs=4326,
    ).to_file(missing)
    with pytest.raises(InputDataError) as exc:
        read_boundaries(missing)
    assert exc.value.row == 2
    assert "Objekt Nr. 2, 4" in exc.value.message_de
    noags = tmp_path / "noags.gpkg"
    gpd.GeoDataFrame({"Name": ["x"]}, geometry=[square(9, 51)], crs=4326).to_file(noags)
    with pytest.raises(MissingColumnError, match="no AGS column"):
        read_boundaries(noags)
    with pytest.raises(InputDataError, match="file not found"):
        read_boundaries(tmp_path / "nope.gpkg")


def test_read_boundaries_clip_to(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"AGS": ["1", "2", "3"]},
        geometry=[square(9.0, 51.0), square(9.1, 51.0), square(9.5, 51.0)],
        crs=4326,
    )
    path = tmp_path / "gem.gpkg"
    gdf.to_file(path)
    # covers square 1 fully and only touches square 2 along x = 9.1
    out = read_boundaries(path, clip_to=box(8.9, 50.9, 9.1, 51.2))
    assert out["ags"].tolist() == ["00000001"]
    out = read_boundaries(path, clip_to=box(8.9, 50.9, 9.15, 51.2))
    assert out["ags"].tolist() == ["00000001", "00000002"]
    # a village just inside square 3, at the edge of the clip box, keeps its Gemeinde
    # although less than 1 % of the Gemeinde overlaps the box
    village = gpd.GeoSeries([Point(9.5005, 51.05)], crs=4326)
    out = read_boundaries(path, clip_to=box(8.9, 50.9, 9.5005, 51.2), keep_containing=village)
    assert out["ags"].tolist() == ["00000001", "00000002", "00000003"]
    out = read_boundaries(path, clip_to=box(8.9, 50.9, 9.5005, 51.2))
    assert out["ags"].tolist() == ["00000001", "00000002"]


@pytest.mark.shared_data
def test_read_boundaries_real_germany() -> None:
    path = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    out = read_boundaries(path)
    assert len(out) == 10990
    assert out["ags"].str.fullmatch(r"\d{8}").all()
    assert out["ags"].is_unique
    assert out.is_valid.all()
    assert out.crs == "EPSG:4326"
    # the Zensus 2022 total over all Gemeinden (gemeindefreie Gebiete: NaN)
    assert out["population"].isna().sum() == 204
    pop = read_population(need_shared("population/zensus2022_gemeinden_1000A-0000.csv"))
    assert out["population"].sum() == pop["population"].sum()
    row = out.set_index("ags").loc["05558044"]
    assert (row["gemeinde"], row["population"]) == ("Senden", 20440.0)
    assert out.total_bounds == pytest.approx([5.87, 47.27, 15.04, 55.06], abs=0.01)


@pytest.mark.shared_data
def test_read_boundaries_real_clip_to_kreis() -> None:
    kreise = gpd.read_file(need_shared("gemeinden-de/gemeinden_zielkreise.geojson"))
    goettingen = shapely.union_all(kreise[kreise["KRS"] == "03159"].geometry.to_numpy())
    out = read_boundaries(
        need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg"), clip_to=goettingen
    )
    # 39 Gemeinden + the gemeindefreies Gebiet Harz, no touching neighbours
    assert len(out) == 40
    assert out["ags"].str.startswith("03159").all()
    assert out["population"].sum() == 325699.0


@pytest.mark.shared_data
def test_read_boundaries_real_nrw() -> None:
    out = read_boundaries(need_shared("gemeinden-de/gemeinden_nrw_vg250_destatis2018.geojson"))
    assert len(out) == 396
    assert out["ags"].str.startswith("05").all()
    assert out.set_index("ags").loc["05111000", "gemeinde"] == "Düsseldorf"
    assert out["population"].isna().all()  # no population column in this file


# --------------------------------------------------------------------------
# population


def test_read_population_formats(tmp_path: Path) -> None:
    text = (
        "Gemeindeschlüssel;Name;Einwohner\n"
        "3159016;Bovenden;13.400\n"
        "03159017;Rosdorf;12 100\n"
        "031590018018;X;-\n"
        "3159016;Bovenden;13400\n"  # repeated identically: fine
    )
    out = read_population(write(tmp_path / "p.csv", text, "cp1252"))
    assert out["ags"].tolist() == ["03159016", "03159017", "03159018"]
    assert out["population"].tolist()[:2] == [13400.0, 12100.0]
    assert math.isnan(out["population"].iloc[2])


def test_read_population_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as exc:
        read_population(write(tmp_path / "a.csv", "AGS;EWZ\n03159016;viele\n"))
    assert (exc.value.row, exc.value.column) == (2, "EWZ")
    with pytest.raises(InputDataError) as exc:
        read_population(write(tmp_path / "b.csv", "AGS;EWZ\n031590;5\n03159016;7\n0315901600;1\n"))
    assert exc.value.row == 4
    with pytest.raises(InputDataError, match="repeated"):
        read_population(write(tmp_path / "c.csv", "AGS;EWZ\n03159016;5\n03159016;6\n"))
    with pytest.raises(MissingColumnError, match="population"):
        read_population(write(tmp_path / "d.csv", "AGS;Name\n03159016;x\n"))


@pytest.mark.shared_data
def test_read_population_zensus_2022() -> None:
    out = read_population(need_shared("population/zensus2022_gemeinden_1000A-0000.csv"))
    assert len(out) == 10786
    assert out["ags"].is_unique
    assert out["ags"].str.fullmatch(r"\d{8}").all()
    by = out.set_index("ags")["population"]
    assert by["09276130"] == 2294.0  # Lindberg, ARS 092760130130
    assert by["05558044"] == 20440.0  # Senden, ARS 055580044044
    assert by["03457024"] == 7527.0  # Bunde, ARS 034570024024


# --------------------------------------------------------------------------
# villages


def test_read_villages_points_and_polygons(tmp_path: Path) -> None:
    ring = Polygon([(9.0, 51.0), (9.2, 51.0), (9.2, 51.2), (9.0, 51.2), (9.0, 51.15),
                    (9.15, 51.15), (9.15, 51.05), (9.0, 51.05)])  # fmt: skip  # a "C" shape
    gdf = gpd.GeoDataFrame(
        {
            "Ortsteil": ["Lenglern", "Harste"],
            "Einwohner": ["1.234", 800],
            "children_0_3": [30, 20],
            "other": ["x", "y"],
        },
        geometry=[Point(9.87, 51.57), ring],
        crs=4326,
    ).to_crs(25832)
    path = tmp_path / "orte.gpkg"
    gdf.to_file(path)
    out = read_villages(path)
    assert out["id"].tolist() == ["user:1", "user:2"]
    assert out["name"].tolist() == ["Lenglern", "Harste"]
    assert out["place"].tolist() == ["user", "user"]
    assert out["osm_population"].isna().all()
    assert out["population"].tolist() == [1234.0, 800.0]
    assert out["children_0_3"].tolist() == [30.0, 20.0]
    assert "other" not in out.columns
    assert out.crs == "EPSG:4326"
    assert out.geometry.iloc[0].x == pytest.approx(9.87)
    assert out.geometry.iloc[0].y == pytest.approx(51.57)
    # the point of the C-shaped polygon is inside it (its centroid is not)
    assert ring.contains(out.geometry.iloc[1])
    assert not ring.contains(ring.centroid)


def test_read_villages_from_csv(tmp_path: Path) -> None:
    text = "ID;Name;Breite;Länge;EWZ\nv1;Lenglern;51,57;9,87;1200\nv2;Harste;51,6;9,85;\n"
    out = read_villages(write(tmp_path / "orte.csv", text))
    assert out["id"].tolist() == ["v1", "v2"]
    assert out.geometry.x.tolist() == [9.87, 9.85]
    assert out["population"].iloc[0] == 1200.0
    assert np.isnan(out["population"].iloc[1])


def test_read_villages_projected_csv(tmp_path: Path) -> None:
    y = Transformer.from_crs(4326, 25832, always_xy=True).transform(9.0, 51.5)[1]
    text = f"name;x;y;EPSG\nA;500000;{y:.3f};25832\n"
    out = read_villages(write(tmp_path / "orte.csv", text))
    assert out.geometry.x.iloc[0] == pytest.approx(9.0, abs=1e-9)
    assert out.geometry.y.iloc[0] == pytest.approx(51.5, abs=1e-7)
    assert out["id"].tolist() == ["user:2"]
    with pytest.raises(CRSError, match="unknown EPSG code 99999"):
        read_villages(write(tmp_path / "bad.csv", "name;x;y;EPSG\nA;1;2;99999\n"))


def test_read_villages_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="duplicate id 'v1'") as exc:
        read_villages(write(tmp_path / "a.csv", "id;lat;lon\nv1;51;9\nv1;51;9.1\n"))
    assert exc.value.row == 3
    with pytest.raises(MissingColumnError):
        read_villages(write(tmp_path / "b.csv", "id;name\nv1;A\n"))
    with pytest.raises(InputDataError, match="not lon/lat"):
        read_villages(write(tmp_path / "c.csv", "name;x;y\nA;565432;5712345\n"))
    nocrs = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(9, 51)]).to_file(nocrs)
    with pytest.raises(CRSError):
        read_villages(nocrs)
    line = tmp_path / "line.geojson"
    gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[shapely.LineString([(9, 51), (9.1, 51)])], crs=4326
    ).to_file(line)
    with pytest.raises(InputDataError, match="points or polygons"):
        read_villages(line)


def test_geojson_in_utm_without_crs_is_rejected(tmp_path: Path) -> None:
    """GDAL reads such a file as EPSG:4326; the metric numbers give it away."""
    path = tmp_path / "gemeinden.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"AGS": "03159016", "GEN": "Göttingen"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[560000, 5700000], [570000, 5700000], [570000, 5710000], '
        "[560000, 5700000]]]}}]}",
        "utf-8",
    )
    with pytest.raises(CRSError) as info:
        read_boundaries(path)
    assert "gemeinden.geojson" in str(info.value)
    assert "EPSG:25832" in info.value.german
