"""Bad and awkward offer lists: every one gives a correct result or a clear error.

Whole-file problems raise a named :class:`ErreichbarkeitError` naming the
file (and row/column); problems of one row become a :class:`RowProblem`
naming file, row and column (``error``: the row is not used; ``warning``:
used, e.g. corrected).  Never a traceback, never a silently wrong number.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError, MissingColumnError
from erreichbarkeit.io import read_offers, read_table
from erreichbarkeit.io._placement import slack_box

from .test_bad_inputs_common import Case, assert_clear_error, assert_problem

CATS = load_categories()
#: Göttingen area (lon/lat), the region of the region-bounds cases.
REGION = (9.6, 51.3, 10.3, 51.7)
LAT, LON = 51.5339, 9.9356


def csv_bytes(rows: list[list[str]], *, sep: str = ";", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write_xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- encodings

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le")
SEPARATORS = {";": "semicolon", ",": "comma", "\t": "tab"}
ENCODING_CASES = [
    Case(
        f"enc-{enc}-{name}",
        f"offers CSV in {enc}{' (no BOM)' if enc == 'utf-16-le' else ''}, {name}-separated, "
        "decimal commas, umlauts",
        "read correctly: 1 offer, umlauts intact, lon/lat exact, no problems",
        {"encoding": enc, "sep": sep},
    )
    for enc in ENCODINGS
    for sep, name in SEPARATORS.items()
]


@pytest.mark.parametrize("case", ENCODING_CASES, ids=lambda c: c.id)
def test_every_encoding_and_separator(tmp_path: Path, case: Case) -> None:
    rows = [
        ["Name", "Kategorie", "Breite", "Länge", "Träger"],
        ["Kita Löwenzahn", "Kita", "51,5339", "9,9356", "Gemeinde Groß Schneen"],
    ]
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes(rows, sep=case.data["sep"], encoding=case.data["encoding"]))
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert len(res.offers) == 1
    o = res.offers.iloc[0]
    assert (o["name"], o["traeger"], o["category"]) == (
        "Kita Löwenzahn",
        "Gemeinde Groß Schneen",
        "kita",
    )
    assert (o.geometry.x, o.geometry.y) == (LON, LAT)


# --------------------------------------------------------------------------- coordinates

# (lat cell, lon cell) → ("ok", lon, lat, warning column or None) | ("error", column)
COORD_CASES = [
    Case("coord-decimal-comma", "Breite 51,5339 / Länge 9,9356", "read as 51.5339 / 9.9356",
         {"lat": "51,5339", "lon": "9,9356", "out": ("ok", LON, LAT, None)}),
    Case("coord-decimal-point", "Breite 51.5339 / Länge 9.9356", "read as 51.5339 / 9.9356",
         {"lat": "51.5339", "lon": "9.9356", "out": ("ok", LON, LAT, None)}),
    Case("coord-spaces-nbsp", "coordinates with blanks and a no-break space around them",
         "read as 51.5339 / 9.9356",
         {"lat": " 51,5339 ", "lon": "\xa09,9356", "out": ("ok", LON, LAT, None)}),
    Case("coord-trailing-zeros", "Breite 51,53390000", "read as 51.5339",
         {"lat": "51,53390000", "lon": "9,93560000", "out": ("ok", LON, LAT, None)}),
    Case("coord-plus-sign", "Breite +51,5339 / Länge +9,9356", "read as 51.5339 / 9.9356",
         {"lat": "+51,5339", "lon": "+9,9356", "out": ("ok", LON, LAT, None)}),
    Case("coord-swapped", "Breite 9,9356 / Länge 51,5339 (swapped)",
         "corrected to 51.5339 / 9.9356 with a warning in column Breite",
         {"lat": "9,9356", "lon": "51,5339", "out": ("ok", LON, LAT, "Breite")}),
    Case("coord-utm-unsaid", "UTM 32N x/y (565000 / 5710000) in Breite/Länge, no EPSG",
         "row error in column Länge: not lon/lat degrees, give an EPSG column",
         {"lat": "5710000", "lon": "565000", "out": ("error", "Länge")}),
    Case("coord-utm-unsaid-swapped", "UTM x/y swapped in Breite/Länge, no EPSG",
         "row error in column Länge (not degrees)",
         {"lat": "565000", "lon": "5710000", "out": ("error", "Länge")}),
    Case("coord-utm-decimal", "UTM with decimal commas (5710000,5 / 565000,25), no EPSG",
         "row error in column Länge (not degrees)",
         {"lat": "5710000,5", "lon": "565000,25", "out": ("error", "Länge")}),
    Case("coord-gauss-krueger-unsaid", "Gauss-Krüger x/y (3565000 / 5711000), no EPSG",
         "row error in column Länge (not degrees)",
         {"lat": "5711000", "lon": "3565000", "out": ("error", "Länge")}),
    Case("coord-excel-lost-decimal", "Excel turned 51.5339 into 515339 (dot read as thousands)",
         "row error in column Länge (not degrees), never a guessed position",
         {"lat": "515339", "lon": "99356", "out": ("error", "Länge")}),
    Case("coord-thousands-dots", "Breite 51.533.900 (thousands dots)",
         "row error in column Länge (not degrees)",
         {"lat": "51.533.900", "lon": "9.935.600", "out": ("error", "Länge")}),
    Case("coord-dms", "degrees-minutes-seconds text 51°32'02\"",
         "row error in column Länge: not a number",
         {"lat": "51°32'02\"", "lon": "9°56'08\"", "out": ("error", "Länge")}),
    Case("coord-text", "Breite 'abc'", "row error in column Breite: not a number",
         {"lat": "abc", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-inf", "Breite 'inf'", "row error in column Breite: not a number",
         {"lat": "inf", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-nan", "Breite 'nan'", "row error in column Breite: not a number",
         {"lat": "nan", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-overflow", "Breite 1e400 (overflows to infinity)",
         "row error in column Breite: not a number",
         {"lat": "1e400", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-lat-91", "Breite 91 (impossible latitude)",
         "row error in column Breite: outside the region",
         {"lat": "91", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-two-commas", "Breite '51,53,39'", "row error in column Breite: not a number",
         {"lat": "51,53,39", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-north-suffix", "Breite '51,5339 N'", "row error in column Breite: not a number",
         {"lat": "51,5339 N", "lon": "9,9356", "out": ("error", "Breite")}),
    Case("coord-zero-zero", "Breite 0 / Länge 0 (placeholder), no address",
         "warning (placeholder) and a row error: not placed (no address)",
         {"lat": "0", "lon": "0", "out": ("error", None)}),
    Case("coord-only-lat", "only Breite filled, no address",
         "warning (one coordinate) and a row error: not placed",
         {"lat": "51,5339", "lon": "", "out": ("error", None)}),
    Case("coord-both-empty", "Breite and Länge empty, no address",
         "row error: neither coordinates nor address",
         {"lat": "", "lon": "", "out": ("error", None)}),
]  # fmt: skip


@pytest.mark.parametrize("case", COORD_CASES, ids=lambda c: c.id)
def test_coordinate_cells(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(
        csv_bytes([["Name", "Kategorie", "Breite", "Länge"], ["A", "Kita", case.data["lat"],
                                                             case.data["lon"]]])
    )  # fmt: skip
    res = read_offers(path, CATS)
    out = case.data["out"]
    if out[0] == "ok":
        _, lon, lat, warn_col = out
        assert len(res.offers) == 1
        g = res.offers.geometry.iloc[0]
        assert (g.x, g.y) == pytest.approx((lon, lat), abs=1e-12)
        assert res.errors == ()
        if warn_col is None:
            assert res.warnings == ()
        else:
            assert len(res.warnings) == 1
            assert_problem(
                res.warnings[0], file=path.name, row=2, column=warn_col, severity="warning"
            )
    else:
        assert res.offers.empty
        assert len(res.errors) == 1
        assert_problem(res.errors[0], file=path.name, row=2, column=out[1], severity="error")


EPSG_CASES = [
    Case("epsg-25832", "x/y in UTM 32N with EPSG column 25832",
         "transformed to lon/lat within 1 m", {"epsg": "25832", "ok": True}),
    Case("epsg-prefixed", "EPSG column 'EPSG:25832'", "transformed to lon/lat",
         {"epsg": "EPSG:25832", "ok": True}),
    Case("epsg-words", "EPSG column 'ETRS89 / UTM 32N (25832)'", "the code is found; transformed",
         {"epsg": "ETRS89 / UTM 32N (25832)", "ok": True}),
    Case("epsg-not-a-code", "EPSG column 'UTM32'", "row error in column EPSG: not an EPSG code",
         {"epsg": "UTM32", "ok": False}),
    Case("epsg-unknown", "EPSG column 99999 (no such code)", "row error in column EPSG: unknown",
         {"epsg": "99999", "ok": False}),
    Case("epsg-wrong-zone", "UTM 32N x/y declared as EPSG:25833 (zone 33)",
         "row error in column y: outside the region (no silent shift by 400 km)",
         {"epsg": "25833", "ok": False, "column": "y"}),
]  # fmt: skip


@pytest.mark.parametrize("case", EPSG_CASES, ids=lambda c: c.id)
def test_epsg_column(tmp_path: Path, case: Case) -> None:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 25832, always_xy=True).transform(LON, LAT)
    path = tmp_path / "angebote.csv"
    path.write_bytes(
        csv_bytes([["Name", "Kategorie", "x", "y", "EPSG"],
                   ["A", "Kita", f"{x:.3f}", f"{y:.3f}", case.data["epsg"]]])
    )  # fmt: skip
    res = read_offers(path, CATS, region_bounds=REGION)
    if case.data["ok"]:
        assert res.problems == ()
        g = res.offers.geometry.iloc[0]
        assert g.x == pytest.approx(LON, abs=1e-5)
        assert g.y == pytest.approx(LAT, abs=1e-5)
    else:
        assert res.offers.empty
        assert len(res.errors) == 1
        col = case.data.get("column", "EPSG")
        assert_problem(res.errors[0], file=path.name, row=2, column=col, severity="error")


REGION_CASES = [
    Case("region-munich", "an offer in Munich, region = Göttingen area",
         "row error in column Breite: outside the region", {"lat": "48,137", "lon": "11,575"}),
    Case("region-southern-hemisphere", "Breite -51,5339 (sign error), region given",
         "row error in column Breite: outside the region", {"lat": "-51,5339", "lon": "9,9356"}),
    Case("region-swapped-and-outside", "swapped coordinates of Munich, region given",
         "row error in column Breite: outside the region", {"lat": "11,575", "lon": "48,137"}),
    Case("region-just-outside-slack", "an offer 25 km north of the region box",
         "row error (outside the 20 km slack)", {"lat": "51,93", "lon": "9,9"}),
]  # fmt: skip


@pytest.mark.parametrize("case", REGION_CASES, ids=lambda c: c.id)
def test_outside_region(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(
        csv_bytes([["Name", "Kategorie", "Breite", "Länge"], ["A", "Kita", case.data["lat"],
                                                             case.data["lon"]]])
    )  # fmt: skip
    res = read_offers(path, CATS, region_bounds=REGION)
    assert res.offers.empty
    assert len(res.errors) == 1
    assert_problem(res.errors[0], file=path.name, row=2, column="Breite", severity="error")


def test_inside_region_slack_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge"],
                                ["A", "Kita", "51,8", "9,9"]]))  # fmt: skip
    res = read_offers(path, CATS, region_bounds=REGION)
    assert res.problems == ()
    assert (res.offers.geometry.x.iloc[0], res.offers.geometry.y.iloc[0]) == (9.9, 51.8)


# --------------------------------------------------------------------------- other cells

# capacity cell → (capacity or NaN, warning?)
CAPACITY_CASES = [
    Case("cap-int", "Plätze 45", "capacity 45", {"cell": "45", "value": 45.0, "warn": False}),
    Case("cap-thousands-dot", "Plätze 1.200 (German thousands dot)", "capacity 1200",
         {"cell": "1.200", "value": 1200.0, "warn": False}),
    Case("cap-thousands-space", "Plätze '1 200'", "capacity 1200",
         {"cell": "1 200", "value": 1200.0, "warn": False}),
    Case("cap-decimal-comma", "Plätze 12,5", "capacity 12.5",
         {"cell": "12,5", "value": 12.5, "warn": False}),
    Case("cap-empty", "Plätze empty", "capacity NaN (unknown), no problem",
         {"cell": "", "value": math.nan, "warn": False}),
    Case("cap-dash", "Plätze '-'", "warning in column Plätze, capacity NaN",
         {"cell": "-", "value": math.nan, "warn": True}),
    Case("cap-approx", "Plätze 'ca. 20'", "warning in column Plätze, capacity NaN (not guessed)",
         {"cell": "ca. 20", "value": math.nan, "warn": True}),
    Case("cap-word", "Plätze 'zwanzig'", "warning in column Plätze, capacity NaN",
         {"cell": "zwanzig", "value": math.nan, "warn": True}),
    Case("cap-with-unit", "Plätze '20 Plätze'", "warning in column Plätze, capacity NaN",
         {"cell": "20 Plätze", "value": math.nan, "warn": True}),
    Case("cap-range", "Plätze '20-30'", "warning in column Plätze, capacity NaN",
         {"cell": "20-30", "value": math.nan, "warn": True}),
    Case("cap-negative", "Plätze -5", "warning in column Plätze, capacity NaN (never negative)",
         {"cell": "-5", "value": math.nan, "warn": True}),
    Case("cap-inf", "Plätze 'inf'", "warning in column Plätze, capacity NaN",
         {"cell": "inf", "value": math.nan, "warn": True}),
]  # fmt: skip


@pytest.mark.parametrize("case", CAPACITY_CASES, ids=lambda c: c.id)
def test_capacity_cells(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge", "Plätze"],
                                ["A", "Kita", "51,5", "9,9", case.data["cell"]]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert len(res.offers) == 1
    got = res.offers["capacity"].iloc[0]
    want = case.data["value"]
    assert (math.isnan(got) and math.isnan(want)) or got == want
    if case.data["warn"]:
        assert len(res.warnings) == 1
        assert_problem(res.warnings[0], file=path.name, row=2, column="Plätze", severity="warning")
    else:
        assert res.problems == ()


# Altersgruppen cell → serves (normalised age groups); warn when unreadable
AGE_CASES = [
    Case("age-range", "Altersgruppen '0-3'", "serves 0-3", {"cell": "0-3", "serves": "0-3"}),
    Case("age-en-dash-list", "Altersgruppen '3–6, 6–10' (en dashes, list)", "serves 3-6;6-10",
         {"cell": "3–6, 6–10", "serves": "3-6;6-10"}),
    Case("age-u3", "Altersgruppen 'U3'", "serves 0-3", {"cell": "U3", "serves": "0-3"}),
    Case("age-ab", "Altersgruppen 'ab 10 Jahre'", "serves 10-18;18-27",
         {"cell": "ab 10 Jahre", "serves": "10-18;18-27"}),
    Case("age-word", "Altersgruppen 'Schulkinder'", "serves 6-10;10-18",
         {"cell": "Schulkinder", "serves": "6-10;10-18"}),
    Case("age-empty", "Altersgruppen empty", "the category's groups (Kita: 0-3;3-6), no problem",
         {"cell": "", "serves": "0-3;3-6"}),
    Case("age-unreadable", "Altersgruppen 'Seniorenkaffee'",
         "warning in column Altersgruppen with examples, the category's groups 0-3;3-6",
         {"cell": "Seniorenkaffee", "serves": "0-3;3-6", "warn": True}),
    Case("age-no-group", "Altersgruppen 'ab 30' (no age 0–27)",
         "warning in column Altersgruppen, the category's groups 0-3;3-6",
         {"cell": "ab 30", "serves": "0-3;3-6", "warn": True}),
    Case("age-backwards", "Altersgruppen '6-3' (range runs backwards)",
         "warning in column Altersgruppen, the category's groups 0-3;3-6",
         {"cell": "6-3", "serves": "0-3;3-6", "warn": True}),
]  # fmt: skip


@pytest.mark.parametrize("case", AGE_CASES, ids=lambda c: c.id)
def test_age_group_cells(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge", "Altersgruppen"],
                                ["A", "Kita", "51,5", "9,9", case.data["cell"]]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert len(res.offers) == 1
    assert res.offers["serves"].iloc[0] == case.data["serves"]
    if case.data.get("warn"):
        assert len(res.warnings) == 1
        problem = res.warnings[0]
        assert_problem(problem, file=path.name, row=2, column="Altersgruppen", severity="warning")
        assert "Erwartet z. B." in problem.message_de
    else:
        assert res.problems == ()


# category cell → key | None (error) ; warn (fuzzy)
CATEGORY_CASES = [
    Case("cat-key", "Kategorie 'kita'", "category kita", {"cell": "kita", "key": "kita"}),
    Case("cat-upper", "Kategorie 'KITA'", "category kita", {"cell": "KITA", "key": "kita"}),
    Case("cat-alias", "Kategorie 'Kindertagesstätte'", "category kita",
         {"cell": "Kindertagesstätte", "key": "kita"}),
    Case("cat-alias-umlaut-spelled", "Kategorie 'Kinderaerzte' (umlaut spelled out)",
         "category kinderarzt", {"cell": "Kinderaerzte", "key": "kinderarzt"}),
    Case("cat-decomposed-umlaut", "Kategorie 'Bu\u0308cherei' (decomposed ü from a Mac)",
         "category bibliothek", {"cell": "Bu\u0308cherei", "key": "bibliothek"}),
    Case("cat-typo", "Kategorie 'Kinderartz' (typo)",
         "category kinderarzt with a warning in column Kategorie",
         {"cell": "Kinderartz", "key": "kinderarzt", "warn": True}),
    Case("cat-unknown", "Kategorie 'Zahnarzt' (not in the table)",
         "row error in column Kategorie listing the valid ones",
         {"cell": "Zahnarzt", "key": None}),
    Case("cat-empty", "Kategorie empty", "row error in column Kategorie: missing",
         {"cell": "", "key": None}),
    Case("cat-number", "Kategorie '123'", "row error in column Kategorie", {"cell": "123",
                                                                          "key": None}),
    Case("cat-two", "Kategorie 'Kita, Hebamme' (two categories in one cell)",
         "row error in column Kategorie (not guessed)", {"cell": "Kita, Hebamme", "key": None}),
    Case("cat-punctuation", "Kategorie '???'", "row error in column Kategorie",
         {"cell": "???", "key": None}),
]  # fmt: skip


@pytest.mark.parametrize("case", CATEGORY_CASES, ids=lambda c: c.id)
def test_category_cells(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge"],
                                ["A", case.data["cell"], "51,5", "9,9"]]))  # fmt: skip
    res = read_offers(path, CATS)
    key = case.data["key"]
    if key is None:
        assert res.offers.empty
        assert len(res.errors) == 1
        assert_problem(res.errors[0], file=path.name, row=2, column="Kategorie", severity="error")
    else:
        assert list(res.offers["category"]) == [key]
        assert res.errors == ()
        if case.data.get("warn"):
            assert len(res.warnings) == 1
            assert_problem(
                res.warnings[0], file=path.name, row=2, column="Kategorie", severity="warning"
            )
        else:
            assert res.warnings == ()


# --------------------------------------------------------------------------- rows


def test_duplicate_ids_second_row_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Nr", "Name", "Kategorie", "Breite", "Länge"],
                                ["7", "A", "Kita", "51,5", "9,9"],
                                ["7", "B", "Kita", "51,6", "9,8"]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["id"]) == ["7"]
    assert len(res.errors) == 1
    assert_problem(res.errors[0], file=path.name, row=3, column="Nr", severity="error")
    assert "Zeile 2" in res.errors[0].message_de


def test_duplicate_offer_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Nr", "Name", "Kategorie", "Breite", "Länge"],
                                ["1", "Kita A", "Kita", "51,5", "9,9"],
                                ["2", "kita a", "Kindergarten", "51.5", "9.9"]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["id"]) == ["1"]
    assert len(res.warnings) == 1
    assert_problem(res.warnings[0], file=path.name, row=3, column=None, severity="warning")


def test_same_name_elsewhere_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge"],
                                ["Kita A", "Kita", "51,5", "9,9"],
                                ["Kita A", "Kita", "51,6", "9,9"]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert len(res.offers) == 2
    assert res.problems == ()


def test_empty_rows_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(
        b"Name;Kategorie;Breite;L\xc3\xa4nge\r\n;;;\r\n\r\nA;Kita;51,5;9,9\r\n;;;\r\nB;Zahnarzt;51,5;9,9\r\n"
    )
    res = read_offers(path, CATS)
    assert list(res.offers["name"]) == ["A"]
    assert_problem(res.errors[0], file=path.name, row=6, column="Kategorie", severity="error")


def test_empty_name_uses_the_label_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([["Name", "Kategorie", "Breite", "Länge"],
                                ["", "Hebamme", "51,5", "9,9"]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["name"]) == ["Hebamme"]
    assert_problem(res.warnings[0], file=path.name, row=2, column="Name", severity="warning")


# --------------------------------------------------------------------------- columns

HEADER_OK_CASES = [
    Case("hdr-english", "English headers name;category;lat;lon", "read correctly",
         {"header": ["name", "category", "lat", "lon"]}),
    Case("hdr-upper", "headers in capitals NAME;KATEGORIE;BREITE;LÄNGE", "read correctly",
         {"header": ["NAME", "KATEGORIE", "BREITE", "LÄNGE"]}),
    Case("hdr-umlaut-spelled", "headers Bezeichnung;Art;Breitengrad;Laengengrad",
         "read correctly", {"header": ["Bezeichnung", "Art", "Breitengrad", "Laengengrad"]}),
    Case("hdr-with-units", "headers 'Breite (WGS84)', 'Länge [°]'", "read correctly",
         {"header": ["Name", "Kategorie", "Breite (WGS84)", "Länge [°]"]}),
    Case("hdr-padded", "headers with blanks ' Name ', 'Kategorie '", "read correctly",
         {"header": [" Name ", "Kategorie ", " Breite", "Länge "]}),
    Case("hdr-latitude-longitude", "headers Einrichtung;Typ;latitude;longitude",
         "read correctly", {"header": ["Einrichtung", "Typ", "latitude", "longitude"]}),
]  # fmt: skip


@pytest.mark.parametrize("case", HEADER_OK_CASES, ids=lambda c: c.id)
def test_renamed_columns_are_recognised(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes([case.data["header"], ["A", "Kita", "51,5339", "9,9356"]]))
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert (res.offers.geometry.x.iloc[0], res.offers.geometry.y.iloc[0]) == (LON, LAT)


MISSING_COLUMN_CASES = [
    Case("col-no-name", "no name column (Kategorie;Breite;Länge)",
         "MissingColumnError naming the file and the columns found",
         {"header": ["Kategorie", "Breite", "Länge"]}),
    Case("col-no-category", "no category column (Name;Breite;Länge)",
         "MissingColumnError naming the file", {"header": ["Name", "Breite", "Länge"]}),
    Case("col-no-place", "neither coordinates nor address (Name;Kategorie;Telefon)",
         "MissingColumnError naming the file", {"header": ["Name", "Kategorie", "Telefon"]}),
    Case("col-only-lat", "only a Breite column, no Länge and no address",
         "MissingColumnError naming the file", {"header": ["Name", "Kategorie", "Breite"]}),
    Case("col-typo-header", "header typo 'Katgorie'", "MissingColumnError naming the file",
         {"header": ["Name", "Katgorie", "Breite", "Länge"]}),
    Case("col-no-header", "no header row, data only (A;Kita;51,5;9,9)",
         "MissingColumnError naming the file", {"header": None}),
]  # fmt: skip


@pytest.mark.parametrize("case", MISSING_COLUMN_CASES, ids=lambda c: c.id)
def test_missing_columns(tmp_path: Path, case: Case) -> None:
    header = case.data["header"]
    rows = [["A", "Kita", "51,5", "9,9"]] if header is None else [header, ["A"] * len(header)]
    path = tmp_path / "angebote.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(MissingColumnError) as info:
        read_offers(path, CATS)
    assert_clear_error(info.value, MissingColumnError, file=path.name)
    assert "Spalte" in info.value.german or "spalten" in info.value.german


# --------------------------------------------------------------------------- files


# builder(tmp_path) → path; expected class; row; column
def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("daten.txt", "Name;Kategorie\n")
    return buf.getvalue()


def _good_xlsx(path: Path) -> Path:
    return write_xlsx(path, [["Name", "Kategorie", "Breite", "Länge"], ["A", "Kita", 51.5, 9.9]])


def _corrupt_sheet_xlsx(path: Path) -> Path:
    raw = _good_xlsx(path).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    path.write_bytes(out.getvalue())
    return path


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data)
        return p

    return build


FILE_CASES = [
    Case("file-missing", "the offers file does not exist", "InputDataError: file not found",
         {"build": lambda t: t / "fehlt.csv", "cls": InputDataError}),
    Case("file-directory", "a folder named angebote.csv", "InputDataError: file not found",
         {"build": lambda t: (t / "ordner.csv").mkdir() or t / "ordner.csv",
          "cls": InputDataError}),
    Case("file-empty", "0-byte CSV", "InputDataError: the file is empty",
         {"build": _write("leer.csv", b""), "cls": InputDataError}),
    Case("file-blank-lines", "CSV of blank lines and separators only",
         "InputDataError: the file is empty",
         {"build": _write("blank.csv", b"\r\n;;;\r\n \r\n"), "cls": InputDataError}),
    Case("file-header-only", "header row, no data rows", "InputDataError: no data rows",
         {"build": _write("kopf.csv", "Name;Kategorie;Breite;Länge\n".encode()),
          "cls": InputDataError}),
    Case("file-zip-named-csv", "a ZIP archive named .csv",
         "InputDataError: not a CSV table but a ZIP archive",
         {"build": _write("zip.csv", _zip_bytes()), "cls": InputDataError}),
    Case("file-html-named-csv", "an HTML error page named .csv",
         "InputDataError: a web page, not a CSV table",
         {"build": _write("seite.csv", b"<!DOCTYPE html><html><body>404</body></html>"),
          "cls": InputDataError}),
    Case("file-pdf-named-csv", "a PDF named .csv", "InputDataError: a PDF document",
         {"build": _write("doc.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
          "cls": InputDataError}),
    Case("file-xls-named-csv", "an old .xls (OLE2) named .csv", "InputDataError: an old .xls",
         {"build": _write("alt.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
          "cls": InputDataError}),
    Case("file-binary-named-csv", "binary bytes with NULs named .csv",
         "InputDataError: a binary file",
         {"build": _write("bin.csv", b"Name;\x00\x01\x02\x03;\xff\xfe\xfd\x00\x00\x17"),
          "cls": InputDataError}),
    Case("file-xls-suffix", "an .xls workbook", "InputDataError: .xls not supported, save as .xlsx",
         {"build": _write("alt.xls", b"\xd0\xcf\x11\xe0"), "cls": InputDataError}),
    Case("file-ods-suffix", "an .ods workbook", "InputDataError: .ods not supported",
         {"build": _write("calc.ods", b"PK\x03\x04"), "cls": InputDataError}),
    Case("file-csv-named-xlsx", "a CSV text named .xlsx", "InputDataError: not a readable XLSX",
         {"build": _write("text.xlsx", b"Name;Kategorie\nA;Kita\n"),
          "cls": InputDataError}),
    Case("file-ole-named-xlsx", "an encrypted/old OLE2 workbook named .xlsx",
         "InputDataError: not a readable XLSX",
         {"build": _write("geheim.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
          "cls": InputDataError}),
    Case("file-zip-named-xlsx", "a ZIP without workbook named .xlsx",
         "InputDataError: not a readable XLSX",
         {"build": _write("zip.xlsx", _zip_bytes()), "cls": InputDataError}),
    Case("file-truncated-xlsx", "an .xlsx cut in half (aborted copy)",
         "InputDataError: not a readable XLSX",
         {"build": lambda t: _write("halb.xlsx", _good_xlsx(t / "g.xlsx").read_bytes()[:600])(t),
          "cls": InputDataError}),
    Case("file-corrupt-sheet-xlsx", "an .xlsx whose sheet XML is cut off",
         "InputDataError: not a readable XLSX (no XML ParseError traceback)",
         {"build": lambda t: _corrupt_sheet_xlsx(t / "kaputt.xlsx"), "cls": InputDataError}),
    Case("file-empty-xlsx", "an .xlsx with an empty sheet", "InputDataError: the file is empty",
         {"build": lambda t: write_xlsx(t / "leer.xlsx", []), "cls": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_bad_files(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(ErreichbarkeitError) as info:
        read_offers(path, CATS)
    assert_clear_error(info.value, case.data["cls"], file=path.name)


def test_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = _good_xlsx(tmp_path / "a.xlsx")
    with pytest.raises(InputDataError) as info:
        read_table(path, sheet="Angebote")
    assert_clear_error(info.value, InputDataError, file="a.xlsx")
    assert "Sheet" in info.value.german


def test_merged_header_xlsx(tmp_path: Path) -> None:
    """'Einrichtung' merged over Name|Kategorie, 'Koordinaten' over Breite|Länge."""
    path = write_xlsx(
        tmp_path / "verbunden.xlsx",
        [["Einrichtung", None, "Koordinaten", None],
         ["Name", "Kategorie", "Breite", "Länge"],
         ["Kita A", "Kita", 51.5339, 9.9356]],
        merges=("A1:B1", "C1:D1"),
    )  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["name"]) == ["Kita A"]
    assert (res.offers.geometry.x.iloc[0], res.offers.geometry.y.iloc[0]) == (LON, LAT)
    assert len(res.warnings) == 1
    assert_problem(res.warnings[0], file=path.name, row=2, column=None, severity="warning")


def test_merged_title_row_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "titel.xlsx",
        [["Angebote im Landkreis (Stand 2024)", None, None, None],
         ["Name", "Kategorie", "Breite", "Länge"],
         ["Kita A", "Kita", 51.5339, 9.9356]],
        merges=("A1:D1",),
    )  # fmt: skip
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert list(res.offers.index) == [0]
    assert list(res.offers["name"]) == ["Kita A"]


def test_merged_category_cells_xlsx(tmp_path: Path) -> None:
    """'Kita' merged down over three offers: each gets the category."""
    path = write_xlsx(
        tmp_path / "gruppen.xlsx",
        [["Kategorie", "Name", "Breite", "Länge"],
         ["Kita", "A", 51.50, 9.90],
         [None, "B", 51.51, 9.91],
         [None, "C", 51.52, 9.92],
         ["Hebamme", "D", 51.53, 9.93]],
        merges=("A2:A4",),
    )  # fmt: skip
    res = read_offers(path, CATS)
    assert res.problems == ()
    assert list(res.offers["category"]) == ["kita", "kita", "kita", "hebamme"]


def test_two_header_rows_csv(tmp_path: Path) -> None:
    path = tmp_path / "zwei.csv"
    path.write_bytes(csv_bytes([["Einrichtung", "", "Koordinaten", ""],
                                ["Name", "Kategorie", "Breite", "Länge"],
                                ["Kita A", "Kita", "51,5339", "9,9356"]]))  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["name"]) == ["Kita A"]
    assert_problem(res.warnings[0], file=path.name, row=2, column=None, severity="warning")


def test_numeric_first_row_is_not_taken_as_header(tmp_path: Path) -> None:
    path = tmp_path / "zahlen.csv"
    path.write_bytes(csv_bytes([["Einrichtung", "", "Koordinaten", ""],
                                ["A", "Kita", "51,5", "9,9"]]))  # fmt: skip
    with pytest.raises(MissingColumnError) as info:
        read_offers(path, CATS)
    assert_clear_error(info.value, MissingColumnError, file=path.name)


def test_formula_and_dates_in_xlsx_cells(tmp_path: Path) -> None:
    import datetime as dt

    path = write_xlsx(
        tmp_path / "formeln.xlsx",
        [["Name", "Kategorie", "Breite", "Länge", "Plätze"],
         ["=HYPERLINK(\"x\")", "Kita", 51.5339, 9.9356, dt.date(2024, 1, 5)]],
    )  # fmt: skip
    res = read_offers(path, CATS)
    assert list(res.offers["name"]) == ['=HYPERLINK("x")']  # kept as text, never evaluated
    assert math.isnan(res.offers["capacity"].iloc[0])
    assert_problem(res.warnings[0], file=path.name, row=2, column="Plätze", severity="warning")


# --------------------------------------------------------------------------- generated

_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-", "0", "51,5", "9,9", "51.5339", "9.9356", "Kita", "Hebamme",
                     "1.234", "1e400", "nan", "inf", "5710000", "565000", "EPSG:25832",
                     "25832", "=1+1", "None", "NULL", "\u00a0", "ä", "°"]),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: f"{f}".replace(".", ",")),
    st.integers(-10**9, 10**9).map(str),
)  # fmt: skip
_HEADERS = st.lists(
    st.sampled_from(["Name", "Kategorie", "Breite", "Länge", "x", "y", "EPSG", "Plätze",
                     "Adresse", "Nr", "Träger", "Sonstiges", ""]),
    min_size=1, max_size=7,
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=_HEADERS,
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=8), max_size=6),
    sep=st.sampled_from([";", ",", "\t"]),
    bounded=st.booleans(),
)
def test_random_cells_never_crash_and_rows_stay_inside(
    header: list[str], rows: list[list[str]], sep: str, bounded: bool
) -> None:
    """Whatever the cells hold: an ErreichbarkeitError or rows with sane coordinates."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zufall.csv"
        path.write_bytes(csv_bytes([header, *rows], sep=sep))
        try:
            res = read_offers(path, CATS, region_bounds=REGION if bounded else None)
        except ErreichbarkeitError as exc:
            assert exc.file is not None
            assert Path(exc.file).name == "zufall.csv"
            return
    box = slack_box(REGION) if bounded else (-180.0, -90.0, 180.0, 90.0)
    for geom in res.offers.geometry:
        assert math.isfinite(geom.x)
        assert math.isfinite(geom.y)
        assert box[0] <= geom.x <= box[2]
        assert box[1] <= geom.y <= box[3]
    assert res.offers["id"].is_unique
    assert set(res.offers["category"]) <= set(CATS)
    caps = res.offers["capacity"].dropna()
    assert (caps >= 0).all()
    assert all(math.isfinite(c) for c in caps)
    placed_rows = len(res.offers)
    error_rows = {p.row for p in res.errors}
    assert placed_rows + len(error_rows) <= len([r for r in rows if any(c.strip() for c in r)])


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_random_bytes_as_a_table_raise_only_input_errors(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"zufall{suffix}"
        path.write_bytes(data)
        try:
            read_offers(path, CATS)
        except ErreichbarkeitError as exc:
            assert isinstance(exc, InputDataError)
            assert exc.file is not None
            assert Path(exc.file).name == path.name
            assert exc.german.startswith(f"Datei {path.name}")
