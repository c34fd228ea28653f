"""Planners' tables that must never be silently wrong (issue 10, "Inputs").

Five classes, each for every table input it applies to (offers CSV, offers
XLSX, population table, dashboard upload):

* workbook structure — the active visible sheet is read, never a hidden one;
  several visible sheets with tables are named;
* implausible numbers — a value that is formally a number but absurd is a
  row problem naming file, row, column and the expected range; the row's
  other data is kept;
* one bad row never sinks a file — extra fields, a Windows-1252 row in a
  UTF-8 file, a NUL byte, an unterminated quote, a stray far cell;
* silently ignored columns — every unused column is reported, with the
  closest known name;
* all rows invalid — the error names the file and the rows with reasons.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import box

from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io import read_boundaries, read_offers, read_population, read_table
from erreichbarkeit.io.tables import table_problems
from erreichbarkeit.ui.uploads import handle_upload

from .test_bad_inputs_common import GERMAN, Case, assert_clear_error, assert_problem

CATS = load_categories()
HEADER = ["Name", "Kategorie", "Breite", "Länge", "Plätze"]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def offer(name: str, cap: object = "", lon: float = 9.9) -> list[Any]:
    return [name, "Kita", 51.5, lon, cap]


def xlsx(path: Path, sheets: list[tuple[str, list[list[Any]], str]], active: int = 0) -> Path:
    """A workbook of (title, rows, state) sheets with sheet ``active`` active."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    wb.active = active
    wb.save(path)
    return path


# --------------------------------------------------------------------------- workbook structure

_OLD = [HEADER, offer("Alte Kita")]
_NEW = [HEADER, offer("Neue Kita")]
WORKBOOK_CASES = [
    Case(
        "wb-hidden-first-sheet",
        "offers XLSX: hidden first sheet (old list), visible active second sheet",
        "reads the visible sheet only: 'Neue Kita', no warning",
        {
            "sheets": [("alt", _OLD, "hidden"), ("neu", _NEW, "visible")],
            "active": 1,
            "names": ["Neue Kita"],
            "warn": None,
        },
    ),
    Case(
        "wb-very-hidden-first-sheet",
        "offers XLSX: 'veryHidden' first sheet",
        "reads the visible sheet: 'Neue Kita'",
        {
            "sheets": [("alt", _OLD, "veryHidden"), ("neu", _NEW, "visible")],
            "active": 1,
            "names": ["Neue Kita"],
            "warn": None,
        },
    ),
    Case(
        "wb-second-visible-active",
        "offers XLSX: two visible sheets with tables, the second active",
        "reads the active sheet, warning (row 1) naming both sheets",
        {
            "sheets": [("alt", _OLD, "visible"), ("neu", _NEW, "visible")],
            "active": 1,
            "names": ["Neue Kita"],
            "warn": ("neu", "alt"),
        },
    ),
    Case(
        "wb-first-visible-active",
        "offers XLSX: two visible sheets with tables, the first active",
        "reads the first sheet, warning naming the other",
        {
            "sheets": [("neu", _NEW, "visible"), ("alt", _OLD, "visible")],
            "active": 0,
            "names": ["Neue Kita"],
            "warn": ("neu", "alt"),
        },
    ),
    Case(
        "wb-second-sheet-notes-only",
        "offers XLSX: second visible sheet holds one note cell",
        "reads the table sheet, no warning (a note is no table)",
        {
            "sheets": [("neu", _NEW, "visible"), ("Notizen", [["Stand März"]], "visible")],
            "active": 0,
            "names": ["Neue Kita"],
            "warn": None,
        },
    ),
    Case(
        "wb-active-sheet-hidden",
        "offers XLSX whose active sheet is hidden (broken tool)",
        "reads the first visible sheet",
        {
            "sheets": [("neu", _NEW, "visible"), ("alt", _OLD, "hidden")],
            "active": 1,
            "names": ["Neue Kita"],
            "warn": None,
        },
    ),
    Case(
        "wb-hidden-middle-sheet",
        "offers XLSX: visible, hidden, visible-active sheets",
        "reads the active one, names only the other visible table sheet",
        {
            "sheets": [("a", _OLD, "visible"), ("b", _OLD, "hidden"), ("neu", _NEW, "visible")],
            "active": 2,
            "names": ["Neue Kita"],
            "warn": ("neu", "a"),
        },
    ),
]


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=lambda c: c.id)
def test_workbook_structure(tmp_path: Path, case: Case) -> None:
    path = xlsx(tmp_path / "angebote.xlsx", case.data["sheets"], case.data["active"])
    res = read_offers(path, CATS)
    assert res.offers["name"].tolist() == case.data["names"]
    warn = case.data["warn"]
    if warn is None:
        assert res.problems == ()
        return
    [p] = res.problems
    assert_problem(p, file="angebote.xlsx", row=1, column=None, severity="warning")
    used, other = warn
    assert f"aktive Blatt „{used}“, nicht „{other}“" in p.message_de


def test_workbook_explicit_sheet_still_reads_a_hidden_sheet(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "t.xlsx", [("alt", _OLD, "hidden"), ("neu", _NEW, "visible")], 1)
    assert read_table(path, sheet="alt")["Name"].tolist() == ["Alte Kita"]


WORKBOOK_OTHER_CASES = [
    Case(
        "wb-population-hidden-first",
        "population XLSX: hidden first sheet of old figures",
        "reads the visible sheet's population (1234), not the hidden 999",
        {"kind": "population"},
    ),
    Case(
        "wb-upload-hidden-first",
        "uploaded offers XLSX with a hidden first sheet",
        "the upload holds the visible sheet's offer",
        {"kind": "upload"},
    ),
]


@pytest.mark.parametrize("case", WORKBOOK_OTHER_CASES, ids=lambda c: c.id)
def test_workbook_structure_other_inputs(tmp_path: Path, case: Case) -> None:
    if case.data["kind"] == "population":
        path = xlsx(
            tmp_path / "bev.xlsx",
            [("alt", [["AGS", "Einwohner"], ["03159016", 999]], "hidden"),
             ("neu", [["AGS", "Einwohner"], ["03159016", 1234]], "visible")],
            1,
        )  # fmt: skip
        assert read_population(path)["population"].tolist() == [1234.0]
        return
    path = xlsx(tmp_path / "u.xlsx", [("alt", _OLD, "hidden"), ("neu", _NEW, "visible")], 1)
    out = handle_upload(path.read_bytes(), "meine.xlsx", workdir=tmp_path / "w", categories=CATS)
    assert out.error is None
    assert out.offers["name"].tolist() == ["Neue Kita"]


# --------------------------------------------------------------------------- implausible numbers

# capacity cell (CSV text) → capacity or None (= NaN with a warning in column Plätze)
CAPACITY_CASES = [
    Case(
        "cap-1e308",
        "Plätze '1e308'",
        "warning (expected 1 bis 5.000), capacity empty, offer used",
        {"cell": "1e308", "value": None},
    ),
    Case(
        "cap-1e400-overflow",
        "Plätze '1e400'",
        "warning: not a number, offer used",
        {"cell": "1e400", "value": None},
    ),
    Case(
        "cap-million-dots",
        "Plätze '1.000.000'",
        "warning: not plausible, capacity empty",
        {"cell": "1.000.000", "value": None},
    ),
    Case(
        "cap-million-commas",
        "Plätze '1,000,000' (English thousands)",
        "warning: not plausible, capacity empty",
        {"cell": "1,000,000", "value": None},
    ),
    Case(
        "cap-two-commas",
        "Plätze '20,5,5'",
        "warning: not a number (never 2055)",
        {"cell": "20,5,5", "value": None},
    ),
    Case(
        "cap-zero",
        "Plätze 0",
        "warning: 0 places not plausible, capacity empty",
        {"cell": "0", "value": None},
    ),
    Case(
        "cap-negative-range",
        "Plätze -3",
        "warning naming the expected range",
        {"cell": "-3", "value": None},
    ),
    Case("cap-nan-text", "Plätze 'NaN'", "warning: not a number", {"cell": "NaN", "value": None}),
    Case("cap-just-above", "Plätze 5001", "warning: above 5.000", {"cell": "5001", "value": None}),
    Case(
        "cap-upper-bound",
        "Plätze 5.000 (exactly the bound)",
        "capacity 5000, no problem",
        {"cell": "5.000", "value": 5000.0},
    ),
    Case("cap-lower-bound", "Plätze 1", "capacity 1, no problem", {"cell": "1", "value": 1.0}),
    Case(
        "cap-exponent-plausible",
        "Plätze '1e2'",
        "capacity 100 (formally fine, plausible)",
        {"cell": "1e2", "value": 100.0},
    ),
]


@pytest.mark.parametrize("case", CAPACITY_CASES, ids=lambda c: c.id)
def test_implausible_capacity_csv(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([HEADER, ["Kita A", "Kita", "51,5", "9,9", case.data["cell"]]]))
    res = read_offers(path, CATS)
    assert res.offers["name"].tolist() == ["Kita A"]  # the row's other data is kept
    got = res.offers["capacity"].iloc[0]
    if case.data["value"] is not None:
        assert got == case.data["value"]
        assert res.problems == ()
        return
    assert math.isnan(got)
    [p] = res.problems
    assert_problem(p, file="angebote.csv", row=2, column="Plätze", severity="warning")
    assert "1 bis 5.000" in p.message_de


# numeric XLSX capacity cell → warning
CAPACITY_XLSX_CASES = [
    Case(
        "cap-xlsx-1e308",
        "XLSX number cell 1e308 in Plätze",
        "warning, capacity empty",
        {"cell": 1e308},
    ),
    Case(
        "cap-xlsx-million",
        "XLSX number cell 1000000 in Plätze",
        "warning, capacity empty",
        {"cell": 1_000_000},
    ),
    Case("cap-xlsx-zero", "XLSX number cell 0 in Plätze", "warning, capacity empty", {"cell": 0}),
    Case(
        "cap-xlsx-negative",
        "XLSX number cell -12 in Plätze",
        "warning, capacity empty",
        {"cell": -12},
    ),
]


@pytest.mark.parametrize("case", CAPACITY_XLSX_CASES, ids=lambda c: c.id)
def test_implausible_capacity_xlsx(tmp_path: Path, case: Case) -> None:
    path = xlsx(
        tmp_path / "a.xlsx", [("s", [HEADER, offer("Kita A", case.data["cell"])], "visible")]
    )
    res = read_offers(path, CATS)
    assert len(res.offers) == 1
    assert math.isnan(res.offers["capacity"].iloc[0])
    [p] = res.problems
    assert_problem(p, file="a.xlsx", row=2, column="Plätze", severity="warning")
    assert "erwartet: 1 bis 5.000" in p.message_de


COORD_XLSX_CASES = [
    Case(
        "coord-xlsx-lat-91",
        "XLSX number Breite 91",
        "row error in column Breite or Länge, other rows used",
        {"lat": 91.0, "lon": 9.9},
    ),
    Case(
        "coord-xlsx-lon-181",
        "XLSX number Länge 181",
        "row error, other rows used",
        {"lat": 51.5, "lon": 181.0},
    ),
    Case(
        "coord-xlsx-huge",
        "XLSX number Breite 1e308",
        "row error, other rows used",
        {"lat": 1e308, "lon": 9.9},
    ),
]


@pytest.mark.parametrize("case", COORD_XLSX_CASES, ids=lambda c: c.id)
def test_coordinates_out_of_range_xlsx(tmp_path: Path, case: Case) -> None:
    rows = [HEADER, offer("Gut"), ["Schlecht", "Kita", case.data["lat"], case.data["lon"], None]]
    res = read_offers(xlsx(tmp_path / "a.xlsx", [("s", rows, "visible")]), CATS)
    assert res.offers["name"].tolist() == ["Gut"]
    [p] = res.errors
    assert (p.file, p.row, p.severity) == ("a.xlsx", 3, "error")
    assert p.column in ("Breite", "Länge")
    assert GERMAN.search(p.message_de)


# population cell → value or error
POPULATION_CASES = [
    Case(
        "pop-thousands-legit",
        "population '1.000.000' (German thousands dots)",
        "1000000 inhabitants: legitimate for a city",
        {"cell": "1.000.000", "value": 1e6},
    ),
    Case(
        "pop-upper-bound",
        "population 4.000.000",
        "accepted (largest plausible Gemeinde)",
        {"cell": "4.000.000", "value": 4e6},
    ),
    Case(
        "pop-absurd-dots",
        "population '5.000.000.000'",
        "InputDataError naming file, row 2, column Einwohner, range 0 bis 4.000.000",
        {"cell": "5.000.000.000", "value": None},
    ),
    Case(
        "pop-1e308",
        "population '1e308'",
        "InputDataError: not plausible, row 2",
        {"cell": "1e308", "value": None},
    ),
    Case(
        "pop-two-commas",
        "population '20,5,5'",
        "InputDataError: not a number, row 2",
        {"cell": "20,5,5", "value": None},
    ),
    Case(
        "pop-negative-range",
        "population -40",
        "InputDataError: negative, with range",
        {"cell": "-40", "value": None},
    ),
]


@pytest.mark.parametrize("case", POPULATION_CASES, ids=lambda c: c.id)
def test_implausible_population(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "bev.csv"
    path.write_bytes(csv_bytes([["AGS", "Einwohner"], ["03159016", case.data["cell"]]]))
    if case.data["value"] is not None:
        assert read_population(path)["population"].tolist() == [case.data["value"]]
        return
    with pytest.raises(InputDataError) as exc:
        read_population(path)
    assert_clear_error(exc.value, InputDataError, file="bev.csv", row=2, column="Einwohner")


def test_implausible_population_xlsx_number(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "bev.xlsx", [("s", [["AGS", "Einwohner"], ["03159016", 1e12]], "visible")]
    )
    with pytest.raises(InputDataError) as exc:
        read_population(path)
    assert_clear_error(exc.value, InputDataError, file="bev.xlsx", row=2, column="Einwohner")
    assert "0 bis 4.000.000" in exc.value.message_de


def test_implausible_population_in_boundaries_is_unknown(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"AGS": ["03159016", "03159017"], "GEN": ["A", "B"], "EWZ": [1e12, 1200.0]},
        geometry=[box(9.9, 51.5, 10.0, 51.6), box(10.0, 51.5, 10.1, 51.6)],
        crs="EPSG:4326",
    )
    path = tmp_path / "gemeinden.gpkg"
    gdf.to_file(path)
    out = read_boundaries(path).set_index("ags")["population"]
    assert math.isnan(out["03159016"])
    assert out["03159017"] == 1200.0


def test_implausible_capacity_upload_names_users_file(tmp_path: Path) -> None:
    data = csv_bytes([HEADER, ["Kita A", "Kita", "51,5", "9,9", "1e308"]])
    out = handle_upload(data, "meine liste.csv", workdir=tmp_path, categories=CATS)
    assert out.error is None
    assert len(out.offers) == 1
    [p] = out.problems
    assert_problem(p, file="meine liste.csv", row=2, column="Plätze", severity="warning")


# --------------------------------------------------------------------------- one bad row

GOOD = ["Kita Gut", "Kita", "51,5", "9,9", "20"]
LATER = ["Kita Später", "Kita", "51,5", "9,95", "30"]


def _plain(rows: list[list[str]]) -> bytes:
    return csv_bytes(rows)


def _mixed_encoding() -> bytes:
    return (
        csv_bytes([HEADER, ["Kita Löwenzahn", "Kita", "51,5", "9,9", "20"]])
        + csv_bytes([["Kita Bärenhöhle", "Kita", "51,5", "9,91", "25"]], encoding="cp1252")
        + csv_bytes([["Kita Überfluss", "Kita", "51,5", "9,95", "30"]])
    )


def _with_nul() -> bytes:
    return _plain([HEADER, GOOD, ["Kita\x00 Mitte", "Kita", "51,5", "9,91", "25"], LATER])


def _unterminated_quote() -> bytes:
    head = _plain([HEADER, GOOD])
    return (
        head
        + b'"Kita Offen;Kita;51,5;9,91;25\r\n'
        + _plain([LATER, ["Kita Ende", "Kita", "51,5", "9,97", "5"]])
    )


def _quote_in_last_row() -> bytes:
    return _plain([HEADER, GOOD]) + b'"Kita Offen;Kita;51,5;9,91;25\r\n'


def _multiline_address() -> bytes:
    rows = [
        ["Name", "Kategorie", "Breite", "Länge", "Adresse"],
        ["Kita Gut", "Kita", "51,5", "9,9", "Hauptstr. 1\n37073 Göttingen"],
        [*LATER[:4], ""],
    ]
    return _plain(rows)


# bytes → (names of the offers, [(row, severity)] of the problems)
ONE_BAD_ROW_CASES = [
    Case(
        "row-extra-fields",
        "offers CSV: one row with two extra fields (separator in a value)",
        "that row is an error naming the field counts; the others are used",
        {
            "data": _plain([HEADER, GOOD, ["Kita X", "Kita", "51", "5", "9", "9", "20"], LATER]),
            "names": ["Kita Gut", "Kita Später"],
            "problems": [(3, "error")],
            "text": "mehr Felder (7) als die Kopfzeile (5)",
        },
    ),
    Case(
        "row-trailing-empty-fields",
        "offers CSV: a row ending in extra empty separators",
        "used, no problem",
        {
            "data": _plain([HEADER, [*GOOD, "", ""], LATER]),
            "names": ["Kita Gut", "Kita Später"],
            "problems": [],
            "text": None,
        },
    ),
    Case(
        "row-cp1252-in-utf8",
        "offers CSV: UTF-8 file with one Windows-1252 row",
        "every umlaut right (no mojibake in the UTF-8 rows), warning for that row",
        {
            "data": _mixed_encoding(),
            "names": ["Kita Löwenzahn", "Kita Bärenhöhle", "Kita Überfluss"],
            "problems": [(3, "warning")],
            "text": "Windows-1252",
        },
    ),
    Case(
        "row-nul-byte",
        "offers CSV: a NUL byte inside one row",
        "NUL removed, all rows used, warning for that row",
        {
            "data": _with_nul(),
            "names": ["Kita Gut", "Kita Mitte", "Kita Später"],
            "problems": [(3, "warning")],
            "text": "Nullzeichen",
        },
    ),
    Case(
        "row-unterminated-quote",
        "offers CSV: an opening quote never closed in row 3",
        "row 3 an error; rows 4 and 5 read (not swallowed)",
        {
            "data": _unterminated_quote(),
            "names": ["Kita Gut", "Kita Später", "Kita Ende"],
            "problems": [(3, "error")],
            "text": "nicht geschlossen",
        },
    ),
    Case(
        "row-quote-in-last-row",
        "offers CSV: unterminated quote in the last row",
        "the last row an error, the first used",
        {
            "data": _quote_in_last_row(),
            "names": ["Kita Gut"],
            "problems": [(3, "error")],
            "text": None,
        },
    ),
    Case(
        "row-multiline-address",
        "offers CSV: a quoted address over two lines (legitimate)",
        "one offer per record, no problem (not mistaken for a broken quote)",
        {
            "data": _multiline_address(),
            "names": ["Kita Gut", "Kita Später"],
            "problems": [],
            "text": None,
            "unused": True,
        },
    ),
]


@pytest.mark.parametrize("case", ONE_BAD_ROW_CASES, ids=lambda c: c.id)
def test_one_bad_row_never_sinks_the_file(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(case.data["data"])
    res = read_offers(path, CATS)
    assert res.offers["name"].tolist() == case.data["names"]
    problems = [p for p in res.problems if not case.data.get("unused") or p.row > 1]
    assert [(p.row, p.severity) for p in problems] == case.data["problems"]
    for p in problems:
        assert p.file == "angebote.csv"
        assert GERMAN.search(p.message_de)
    if case.data["text"]:
        assert case.data["text"] in problems[0].message_de


ONE_BAD_CELL_XLSX_CASES = [
    Case(
        "row-xlsx-stray-far-cell",
        "offers XLSX: stray text in Z1000",
        "row 1000 a warning naming Z and the text; the offer is used",
        {"cell": ("Z1000", "alte Notiz"), "row": 1000, "text": "Z: „alte Notiz“"},
    ),
    Case(
        "row-xlsx-stray-number",
        "offers XLSX: stray number in AB50",
        "row 50 a warning",
        {"cell": ("AB50", 17), "row": 50, "text": "AB: „17“"},
    ),
]


@pytest.mark.parametrize("case", ONE_BAD_CELL_XLSX_CASES, ids=lambda c: c.id)
def test_stray_far_cell_xlsx(tmp_path: Path, case: Case) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(offer("Kita A", 20))
    ref, value = case.data["cell"]
    ws[ref] = value
    wb.save(tmp_path / "a.xlsx")
    res = read_offers(tmp_path / "a.xlsx", CATS)
    assert res.offers["name"].tolist() == ["Kita A"]
    [p] = res.problems
    assert_problem(p, file="a.xlsx", row=case.data["row"], column=None, severity="warning")
    assert case.data["text"] in p.message_de


def test_extra_cell_in_a_data_row_xlsx_is_reported_unused(tmp_path: Path) -> None:
    rows = [HEADER, [*offer("Kita A", 20), "Notiz"]]
    res = read_offers(xlsx(tmp_path / "a.xlsx", [("s", rows, "visible")]), CATS)
    assert len(res.offers) == 1
    [p] = res.problems
    assert_problem(p, file="a.xlsx", row=1, column="Spalte_6", severity="warning")
    assert "ohne Überschrift" in p.message_de


ONE_BAD_ROW_OTHER_CASES = [
    Case(
        "row-population-extra-fields",
        "population CSV: a row with extra fields",
        "InputDataError naming the row (population is read strictly)",
        {"kind": "population"},
    ),
    Case(
        "row-population-cp1252",
        "population CSV: UTF-8 with one Windows-1252 name row",
        "every Gemeinde read",
        {"kind": "population-enc"},
    ),
    Case(
        "row-upload-unterminated-quote",
        "uploaded CSV with an unterminated quote",
        "the upload keeps the other rows; the problem names the user's file and row",
        {"kind": "upload"},
    ),
]


@pytest.mark.parametrize("case", ONE_BAD_ROW_OTHER_CASES, ids=lambda c: c.id)
def test_one_bad_row_other_inputs(tmp_path: Path, case: Case) -> None:
    kind = case.data["kind"]
    if kind == "population":
        path = tmp_path / "bev.csv"
        path.write_bytes(
            _plain(
                [
                    ["AGS", "Name", "Einwohner"],
                    ["03159016", "A", "100"],
                    ["03159017", "B", "1", "200"],
                ]
            )
        )
        with pytest.raises(InputDataError) as exc:
            read_population(path)
        assert_clear_error(exc.value, InputDataError, file="bev.csv", row=3)
        return
    if kind == "population-enc":
        path = tmp_path / "bev.csv"
        rows = [["AGS", "Name", "Einwohner"], ["03159016", "Göttingen", "100"]]
        path.write_bytes(
            _plain(rows) + csv_bytes([["03159017", "Bühren", "200"]], encoding="cp1252")
        )
        assert read_population(path)["population"].tolist() == [100.0, 200.0]
        return
    out = handle_upload(_unterminated_quote(), "liste.csv", workdir=tmp_path, categories=CATS)
    assert out.offers["name"].tolist() == ["Kita Gut", "Kita Später", "Kita Ende"]
    [p] = out.problems
    assert_problem(p, file="liste.csv", row=3, column=None, severity="error")


def test_table_reader_reports_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_unterminated_quote())
    table = read_table(path)
    assert list(table.index) == [2, 4, 5]
    assert [(p.row, p.severity) for p in table_problems(table)] == [(3, "error")]


# --------------------------------------------------------------------------- unused columns

# columns → (unused column, suggestion or None)
UNUSED_CASES = [
    Case(
        "col-breitengard-with-address",
        "offers CSV: 'Breitengard' (typo) + Länge + Adresse",
        "warning: Breitengard not used, did you mean Breitengrad; warning that Länge alone "
        "is not used",
        {
            "header": ["Name", "Kategorie", "Breitengard", "Länge", "Adresse"],
            "unused": "Breitengard",
            "hint": "Breitengrad",
            "half": "Länge",
        },
    ),
    Case(
        "col-laengengrad-typo",
        "offers CSV: 'Längengard' (typo) + Breite + Adresse",
        "warning with the suggestion Längengrad, and Breite alone not used",
        {
            "header": ["Name", "Kategorie", "Breite", "Längengard", "Adresse"],
            "unused": "Längengard",
            "hint": "Längengrad",
            "half": "Breite",
        },
    ),
    Case(
        "col-kapazitat-typo",
        "offers CSV: 'Kapazitat' (no umlaut, typo)",
        "warning: not used, did you mean Kapazität",
        {
            "header": ["Name", "Kategorie", "Breite", "Länge", "Kapazitt"],
            "unused": "Kapazitt",
            "hint": "Kapazität",
            "half": None,
        },
    ),
    Case(
        "col-oeffnungszeit-typo",
        "offers CSV: 'Öffnungszeit' (singular)",
        "warning: did you mean Öffnungszeiten",
        {
            "header": ["Name", "Kategorie", "Breite", "Länge", "Öffnungszeit"],
            "unused": "Öffnungszeit",
            "hint": "Öffnungszeiten",
            "half": None,
        },
    ),
    Case(
        "col-unknown-no-hint",
        "offers CSV: an extra column 'Bemerkung'",
        "warning: not used, no suggestion",
        {
            "header": ["Name", "Kategorie", "Breite", "Länge", "Bemerkung"],
            "unused": "Bemerkung",
            "hint": None,
            "half": None,
        },
    ),
]


@pytest.mark.parametrize("case", UNUSED_CASES, ids=lambda c: c.id)
def test_unused_columns_are_reported(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(_plain([case.data["header"], ["Kita A", "Kita", "51,5", "9,9", "x"]]))
    res = read_offers(path, CATS, addresses=None)
    header_problems = [p for p in res.problems if p.row == 1]
    by_col = {p.column: p for p in header_problems}
    p = by_col[case.data["unused"]]
    assert_problem(p, file="angebote.csv", row=1, column=case.data["unused"], severity="warning")
    assert "wird nicht verwendet" in p.message_de
    hint = case.data["hint"]
    assert (f"meinten Sie „{hint}“" in p.message_de) == (hint is not None), p.message_de
    half = case.data["half"]
    if half is not None:
        assert "nach Adresse verortet" in by_col[half].message_de
        assert res.failure is not None  # no address data: nothing placed, and said so
    else:
        assert res.offers["name"].tolist() == ["Kita A"]


def test_unused_misspelled_coordinates_without_address_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(
        _plain(
            [["Name", "Kategorie", "Breitengard", "Längengrad"], ["Kita A", "Kita", "51,5", "9,9"]]
        )
    )
    with pytest.raises(MissingColumnError) as exc:
        read_offers(path, CATS)
    assert_clear_error(exc.value, MissingColumnError, file="angebote.csv")
    assert "meinten Sie „Breitengrad“" in exc.value.message_de


def test_unused_column_xlsx_and_upload(tmp_path: Path) -> None:
    rows = [["Name", "Kategorie", "Breite", "Länge", "Traeger_in"], offer("Kita A", "AWO")[:5]]
    path = xlsx(tmp_path / "a.xlsx", [("s", rows, "visible")])
    out = handle_upload(path.read_bytes(), "meine.xlsx", workdir=tmp_path / "w", categories=CATS)
    assert len(out.offers) == 1
    [p] = out.problems
    assert_problem(p, file="meine.xlsx", row=1, column="Traeger_in", severity="warning")
    assert "meinten Sie „Träger“" in p.message_de


POPULATION_COLUMN_CASES = [
    Case(
        "col-population-einwohnr",
        "population CSV: 'Einwohnr' (typo) instead of Einwohner",
        "MissingColumnError naming the file, suggesting Einwohner",
        {"header": ["AGS", "Einwohnr"], "hint": "Einwohner"},
    ),
    Case(
        "col-population-schluessel",
        "population CSV: 'Gemeindeschlüsel' (typo)",
        "MissingColumnError suggesting Gemeindeschlüssel",
        {"header": ["Gemeindeschlüsel", "Einwohner"], "hint": "Gemeindeschlüssel"},
    ),
]


@pytest.mark.parametrize("case", POPULATION_COLUMN_CASES, ids=lambda c: c.id)
def test_population_misspelled_columns(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "bev.csv"
    path.write_bytes(_plain([case.data["header"], ["03159016", "100"]]))
    with pytest.raises(MissingColumnError) as exc:
        read_population(path)
    assert_clear_error(exc.value, MissingColumnError, file="bev.csv")
    assert f"meinten Sie „{case.data['hint']}“" in exc.value.message_de


# --------------------------------------------------------------------------- all rows invalid

ALL_INVALID_CASES = [
    Case(
        "all-invalid-csv-13-rows",
        "offers CSV: 13 rows, every Breite 'abc'",
        "failure names the file, rows 2–11 with reasons, then 'und 3 weitere Zeilen'",
        {
            "rows": [[f"K{i}", "Kita", "abc", "9,9", ""] for i in range(13)],
            "listed": 10,
            "more": 3,
            "suffix": ".csv",
        },
    ),
    Case(
        "all-invalid-mixed-reasons",
        "offers CSV: row 2 unknown category, row 3 bad coordinate",
        "failure lists both rows with their different reasons",
        {
            "rows": [["A", "Spielplatzz", "51,5", "9,9", ""], ["B", "Kita", "abc", "9,9", ""]],
            "listed": 2,
            "more": 0,
            "suffix": ".csv",
        },
    ),
    Case(
        "all-invalid-xlsx",
        "offers XLSX: three rows without category",
        "failure names the workbook and rows 2, 3, 4",
        {
            "rows": [[f"K{i}", None, 51.5, 9.9, None] for i in range(3)],
            "listed": 3,
            "more": 0,
            "suffix": ".xlsx",
        },
    ),
]


@pytest.mark.parametrize("case", ALL_INVALID_CASES, ids=lambda c: c.id)
def test_all_rows_invalid_names_file_and_rows(tmp_path: Path, case: Case) -> None:
    name = "angebote" + case.data["suffix"]
    if case.data["suffix"] == ".csv":
        path = tmp_path / name
        path.write_bytes(_plain([HEADER, *case.data["rows"]]))
    else:
        path = xlsx(tmp_path / name, [("s", [HEADER, *case.data["rows"]], "visible")])
    res = read_offers(path, CATS)
    assert res.offers.empty
    err = res.failure
    assert err is not None
    assert_clear_error(err, InputDataError, file=name)
    listed = case.data["listed"]
    for row in range(2, 2 + listed):
        assert f"Zeile {row}" in err.message_de
    assert f"Zeile {2 + listed}," not in err.message_de
    more = case.data["more"]
    assert (f"und {more} weitere Zeilen" in err.message_de) == bool(more)
    reasons = {p.message_de for p in res.errors}
    assert all(r in err.message_de for r in reasons) or more


ALL_INVALID_OTHER_CASES = [
    Case(
        "all-invalid-table-level",
        "offers CSV: every data row has a value beyond the header",
        "InputDataError naming the file and each row's field count",
        {"kind": "table"},
    ),
    Case(
        "all-invalid-upload",
        "uploaded CSV whose every row is invalid",
        "the upload's error names the user's file and the rows",
        {"kind": "upload"},
    ),
]


@pytest.mark.parametrize("case", ALL_INVALID_OTHER_CASES, ids=lambda c: c.id)
def test_all_rows_invalid_other_inputs(tmp_path: Path, case: Case) -> None:
    if case.data["kind"] == "table":
        path = tmp_path / "angebote.csv"
        third = ["Kita Drei", "Kita", "51,5", "9,97", "5", "z"]
        path.write_bytes(_plain([HEADER, [*GOOD, "x"], [*LATER, "y"], third]))
        with pytest.raises(InputDataError) as exc:
            read_offers(path, CATS)
        assert_clear_error(exc.value, InputDataError, file="angebote.csv")
        assert "Zeile 2: Zeile hat mehr Felder (6)" in exc.value.message_de
        assert "Zeile 3: Zeile hat mehr Felder (6)" in exc.value.message_de
        assert "Zeile 4: Zeile hat mehr Felder (6)" in exc.value.message_de
        return
    data = _plain([HEADER, ["A", "Kita", "abc", "9,9", ""], ["B", "Kita", "51,5", "xyz", ""]])
    out = handle_upload(data, "meine liste.csv", workdir=tmp_path, categories=CATS)
    assert out.error is not None
    assert out.error.startswith("Datei meine liste.csv:")
    assert "Zeile 2, Spalte „Breite“" in out.error
    assert "Zeile 3, Spalte „Länge“" in out.error
