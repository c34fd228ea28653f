"""Bad and awkward Zuständigkeit tables: every one gives a correct result or a clear error.

The table (Gemeinde/AGS or Ort → Kategorie → zuständige Stelle) is checked
against the run's villages and offers before any routing.  A problem of one
row is a :class:`RowProblem` naming file, row and column in German
(``error``: the row is not used; ``warning``: used, e.g. a corrected
typo); whole-file problems raise a named :class:`ErreichbarkeitError`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point

from erreichbarkeit.config import WGS84, load_categories
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError, MissingColumnError
from erreichbarkeit.io.responsibility import ResponsibilityReadResult, read_responsibility

from .test_bad_inputs_common import Case, assert_clear_error, assert_problem

CATS = load_categories()
HEADER = ["Gemeinde", "AGS", "Ort", "Kategorie", "Zuständige Stelle", "Breite", "Länge",
          "Bemerkung"]  # fmt: skip
REGION = (9.9, 50.9, 10.4, 51.1)


def villages() -> gpd.GeoDataFrame:
    rows = [
        ("v1", "Altdorf", "99000001", "Nordheim", 10.0),
        ("v2", "Kirchberg", "99000001", "Nordheim", 10.1),
        ("v3", "Kirchberg", "99000002", "Südstadt", 10.2),
        ("v4", "Dornbach", "99000002", "Südstadt", 10.3),
    ]
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "ags": [r[2] for r in rows],
            "gemeinde": [r[3] for r in rows],
        },
        geometry=[Point(r[4], 51.0) for r in rows],
        crs=WGS84,
    )


def offers() -> gpd.GeoDataFrame:
    rows = [
        ("s1", "Grundschule Nordheim", "grundschule"),
        ("s2", "Grundschule Südstadt", "grundschule"),
        ("s3", "Grundschule am Markt", "grundschule"),
        ("s4", "Grundschule am Markt", "grundschule"),
        ("s5", "Grundschule Nord-A", "grundschule"),
        ("s6", "Grundschule Nord-B", "grundschule"),
        ("r1", "Rathaus Nordheim", "rathaus"),
    ]
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "address": [f"Weg {i}, Nordheim" for i in range(len(rows))],
        },
        geometry=[Point(10.0 + 0.01 * i, 51.01) for i in range(len(rows))],
        crs=WGS84,
    )


def csv_bytes(rows: list[list[str]], *, sep: str = ";", encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def read(path: Path) -> ResponsibilityReadResult:
    return read_responsibility(
        path, CATS, villages=villages(), offers=offers(), region_bounds=REGION
    )


def row(**cells: str) -> list[str]:
    keys = {"gemeinde": 0, "ags": 1, "ort": 2, "kategorie": 3, "stelle": 4, "breite": 5,
            "laenge": 6, "bemerkung": 7}  # fmt: skip
    out = [""] * len(HEADER)
    for k, v in cells.items():
        out[keys[k]] = v
    return out


GS = {"kategorie": "Grundschule"}

# data: cells of the one row; out: ("ok", {village: offer}) | ("warning", column, {…})
#       | ("error", column)
ROW_CASES = [
    Case("resp-gemeinde-ok", "Gemeinde Nordheim → Grundschule Nordheim",
         "both villages of Nordheim get s1, no problems",
         {"cells": row(gemeinde="Nordheim", stelle="Grundschule Nordheim", **GS),
          "out": ("ok", {"v1": "s1", "v2": "s1"})}),
    Case("resp-gemeinde-typo", "Gemeinde 'Nordhiem' (typo)",
         "read as Nordheim with a warning in column Gemeinde",
         {"cells": row(gemeinde="Nordhiem", stelle="Grundschule Nordheim", **GS),
          "out": ("warning", "Gemeinde", {"v1": "s1", "v2": "s1"})}),
    Case("resp-gemeinde-unknown", "Gemeinde 'Nirgendwo'",
         "row error in column Gemeinde: unknown Gemeinde",
         {"cells": row(gemeinde="Nirgendwo", stelle="Grundschule Nordheim", **GS),
          "out": ("error", "Gemeinde")}),
    Case("resp-gemeinde-suggestion", "Gemeinde 'Nrdhm' (too far for a correction)",
         "row error in column Gemeinde suggesting „Nordheim“",
         {"cells": row(gemeinde="Nrdhm", stelle="Grundschule Nordheim", **GS),
          "out": ("error", "Gemeinde"), "says": "meinten Sie „Nordheim“"}),
    Case("resp-ags-ok", "AGS 99000002 instead of a name", "both Südstadt villages get s2",
         {"cells": row(ags="99000002", stelle="Grundschule Südstadt", **GS),
          "out": ("ok", {"v3": "s2", "v4": "s2"})}),
    Case("resp-ags-unknown", "AGS 99000009 (no Gemeinde with villages)",
         "row error in column AGS",
         {"cells": row(ags="99000009", stelle="Grundschule Südstadt", **GS),
          "out": ("error", "AGS")}),
    Case("resp-ags-not-a-key", "AGS 'Südstadt' (a name in the key column)",
         "row error in column AGS",
         {"cells": row(ags="Südstadt", stelle="Grundschule Südstadt", **GS),
          "out": ("error", "AGS")}),
    Case("resp-ags-contradicts-name", "AGS 99000002 with Gemeinde Nordheim",
         "row error in column AGS: key and name disagree",
         {"cells": row(gemeinde="Nordheim", ags="99000002", stelle="Grundschule Nordheim",
                       **GS), "out": ("error", "AGS")}),
    Case("resp-ort-ok", "Ort Altdorf → Grundschule Südstadt (Gastschule)",
         "only Altdorf gets s2",
         {"cells": row(ort="Altdorf", stelle="Grundschule Südstadt", **GS),
          "out": ("ok", {"v1": "s2"})}),
    Case("resp-ort-typo", "Ort 'Altdorff'", "read as Altdorf with a warning in column Ort",
         {"cells": row(ort="Altdorff", stelle="Grundschule Südstadt", **GS),
          "out": ("warning", "Ort", {"v1": "s2"})}),
    Case("resp-ort-unknown", "Ort 'Xanten'", "row error in column Ort: unknown Ort",
         {"cells": row(ort="Xanten", stelle="Grundschule Südstadt", **GS),
          "out": ("error", "Ort")}),
    Case("resp-ort-ambiguous", "Ort 'Kirchberg' exists in both Gemeinden, no Gemeinde given",
         "row error in column Ort: ambiguous, give the Gemeinde",
         {"cells": row(ort="Kirchberg", stelle="Grundschule Südstadt", **GS),
          "out": ("error", "Ort")}),
    Case("resp-ort-with-gemeinde", "Ort 'Kirchberg' with Gemeinde Südstadt",
         "only the Kirchberg in Südstadt gets the Stelle",
         {"cells": row(gemeinde="Südstadt", ort="Kirchberg", stelle="Grundschule Nordheim",
                       **GS), "out": ("ok", {"v3": "s1"})}),
    Case("resp-ort-other-gemeinde", "Ort Altdorf with Gemeinde Südstadt (it lies in Nordheim)",
         "row error in column Ort",
         {"cells": row(gemeinde="Südstadt", ort="Altdorf", stelle="Grundschule Nordheim",
                       **GS), "out": ("error", "Ort")}),
    Case("resp-no-target", "neither Gemeinde, AGS nor Ort", "row error in column Gemeinde",
         {"cells": row(stelle="Grundschule Nordheim", **GS), "out": ("error", "Gemeinde")}),
    Case("resp-only-note", "only a Bemerkung in the row", "row error (no column): nothing given",
         {"cells": row(bemerkung="siehe unten"), "out": ("error", None)}),
    Case("resp-category-empty", "Kategorie empty", "row error in column Kategorie",
         {"cells": row(gemeinde="Nordheim", stelle="Grundschule Nordheim"),
          "out": ("error", "Kategorie")}),
    Case("resp-category-unknown", "Kategorie 'Schwimmbad'",
         "row error in column Kategorie listing the valid ones",
         {"cells": row(gemeinde="Nordheim", kategorie="Schwimmbad", stelle="X"),
          "out": ("error", "Kategorie"), "says": "gültig sind"}),
    Case("resp-category-typo", "Kategorie 'Grundschle'",
         "read as Grundschule with a warning in column Kategorie",
         {"cells": row(gemeinde="Nordheim", kategorie="Grundschle",
                       stelle="Grundschule Nordheim"),
          "out": ("warning", "Kategorie", {"v1": "s1", "v2": "s1"})}),
    Case("resp-category-alias", "Kategorie 'Bürgerbüro' (an alias of Rathaus)",
         "matched to the Rathaus offer",
         {"cells": row(gemeinde="Nordheim", kategorie="Bürgerbüro", stelle="Rathaus Nordheim"),
          "out": ("ok", {"v1": "r1", "v2": "r1"})}),
    Case("resp-stelle-empty", "zuständige Stelle empty, no address or coordinates",
         "row error in column Zuständige Stelle",
         {"cells": row(gemeinde="Nordheim", **GS), "out": ("error", "Zuständige Stelle")}),
    Case("resp-stelle-spaces-case", "Stelle '  grundschule   NORDHEIM '",
         "matched exactly after normalisation, no problems",
         {"cells": row(gemeinde="Nordheim", stelle="  grundschule   NORDHEIM ", **GS),
          "out": ("ok", {"v1": "s1", "v2": "s1"})}),
    Case("resp-stelle-typo", "Stelle 'Grundschule Nordhiem'",
         "read as Grundschule Nordheim with a warning in column Zuständige Stelle",
         {"cells": row(gemeinde="Nordheim", stelle="Grundschule Nordhiem", **GS),
          "out": ("warning", "Zuständige Stelle", {"v1": "s1", "v2": "s1"})}),
    Case("resp-stelle-unknown", "Stelle 'Gymnasium am Wall' (no such Grundschule)",
         "row error in column Zuständige Stelle",
         {"cells": row(gemeinde="Nordheim", stelle="Gymnasium am Wall", **GS),
          "out": ("error", "Zuständige Stelle")}),
    Case("resp-stelle-same-name-twice", "Stelle 'Grundschule am Markt' (two offers of that name)",
         "row error in column Zuständige Stelle listing both candidates",
         {"cells": row(gemeinde="Nordheim", stelle="Grundschule am Markt", **GS),
          "out": ("error", "Zuständige Stelle"), "says": "mehrdeutig"}),
    Case("resp-stelle-close-rivals", "Stelle 'Grundschule Nord' (Nord-A and Nord-B are as close)",
         "row error in column Zuständige Stelle naming the candidates",
         {"cells": row(gemeinde="Nordheim", stelle="Grundschule Nord", **GS),
          "out": ("error", "Zuständige Stelle"), "says": "Nord-A"}),
    Case("resp-stelle-wrong-category", "Stelle 'Rathaus Nordheim' as Grundschule",
         "row error in column Zuständige Stelle (not a Grundschule)",
         {"cells": row(gemeinde="Nordheim", stelle="Rathaus Nordheim", **GS),
          "out": ("error", "Zuständige Stelle")}),
    Case("resp-stelle-no-offers", "Kategorie Jugendamt: no offers, no coordinates",
         "row error in column Zuständige Stelle asking for address or coordinates",
         {"cells": row(gemeinde="Nordheim", kategorie="Jugendamt", stelle="Jugendamt"),
          "out": ("error", "Zuständige Stelle"), "says": "Breite/Länge"}),
    Case("resp-stelle-by-coordinates", "Kreishaus given by Breite/Länge (decimal commas)",
         "becomes an extra offer of category Kreisverwaltung for both villages",
         {"cells": row(gemeinde="Nordheim", kategorie="Kreishaus", stelle="Kreishaus",
                       breite="51,02", laenge="10,15"),
          "out": ("ok", {"v1": "z.csv:2", "v2": "z.csv:2"})}),
    Case("resp-stelle-coordinates-text", "Breite 'abc' for a Stelle",
         "row error in column Breite",
         {"cells": row(gemeinde="Nordheim", kategorie="Kreishaus", stelle="Kreishaus",
                       breite="abc", laenge="10,15"), "out": ("error", "Breite")}),
    Case("resp-stelle-coordinates-far", "Stelle at 48,0 / 11,0 (far outside the region)",
         "row error in a coordinate column",
         {"cells": row(gemeinde="Nordheim", kategorie="Kreishaus", stelle="Kreishaus",
                       breite="48,0", laenge="11,0"), "out": ("error", "Breite")}),
]  # fmt: skip


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.id)
def test_row_cases(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "z.csv"
    ok_row = row(gemeinde="Südstadt", stelle="Grundschule Südstadt", **GS)
    if case.data["cells"][3].startswith("Grundschule") or case.data["cells"][3] == "":
        ok_row = row(ort="Dornbach", kategorie="Rathaus", stelle="Rathaus Nordheim")
    path.write_bytes(csv_bytes([HEADER, case.data["cells"], ok_row]))
    res = read(path)
    assert res.failure is None  # the other row is always usable
    mine = [p for p in res.problems if p.row == 2]
    out = case.data["out"]
    asg = res.assignments[res.assignments["row"] == 2]
    got = dict(zip(asg["village_id"], asg["offer_id"], strict=True))
    if out[0] == "error":
        errors = [p for p in mine if p.severity == "error"]
        assert len(errors) >= 1, mine
        assert_problem(errors[0], file="z.csv", row=2, column=out[1], severity="error")
        assert got == {}
    else:
        assert [p for p in mine if p.severity == "error"] == []
        expected = out[1] if out[0] == "ok" else out[2]
        assert got == expected
        if out[0] == "ok":
            assert mine == []
        else:
            assert_problem(mine[0], file="z.csv", row=2, column=out[1], severity="warning")
    if "says" in case.data:
        assert any(case.data["says"] in p.message_de for p in mine), mine


CONFLICT_CASES = [
    Case("resp-duplicate-row", "the same row twice",
         "the repeat is a warning (row 3) and skipped; the villages keep the Stelle",
         {"second": row(gemeinde="Nordheim", stelle="Grundschule Nordheim", **GS),
          "expect": {"v1": "s1", "v2": "s1"}, "severity": "warning"}),
    Case("resp-contradicting-rows", "Nordheim → Grundschule Nordheim and → Grundschule Südstadt",
         "both rows are errors in column Zuständige Stelle naming each other; no assignment",
         {"second": row(gemeinde="Nordheim", stelle="Grundschule Südstadt", **GS),
          "expect": {}, "severity": "error"}),
    Case("resp-ort-overrides-gemeinde", "Gemeinde Nordheim → s1 and Ort Altdorf → s2",
         "no problem: the Ort row wins for Altdorf, Kirchberg keeps s1",
         {"second": row(ort="Altdorf", stelle="Grundschule Südstadt", **GS),
          "expect": {"v1": "s2", "v2": "s1"}, "severity": None}),
]  # fmt: skip


@pytest.mark.parametrize("case", CONFLICT_CASES, ids=lambda c: c.id)
def test_conflicting_rows(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "z.csv"
    first = row(gemeinde="Nordheim", stelle="Grundschule Nordheim", **GS)
    other = row(ort="Dornbach", kategorie="Rathaus", stelle="Rathaus Nordheim")
    path.write_bytes(csv_bytes([HEADER, first, case.data["second"], other]))
    res = read(path)
    asg = res.assignments[res.assignments["category"] == "grundschule"]
    assert dict(zip(asg["village_id"], asg["offer_id"], strict=True)) == case.data["expect"]
    sev = case.data["severity"]
    if sev is None:
        assert res.problems == ()
    elif sev == "warning":
        assert res.errors == ()
        assert_problem(res.warnings[0], file="z.csv", row=3, column=None, severity="warning")
    else:
        assert [p.row for p in res.errors] == [2, 3]
        for p in res.errors:
            assert_problem(p, file="z.csv", row=p.row, column="Zuständige Stelle",
                           severity="error")  # fmt: skip
            assert "Widerspricht" in p.message_de


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Zuständigkeiten Schuljahr 2026/27"])  # a title row above the header
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


FORMAT_CASES = [
    Case("resp-format-cp1252-comma", "CSV in Windows-1252, comma-separated, umlauts",
         "read correctly: Südstadt found", {"encoding": "cp1252", "sep": ","}),
    Case("resp-format-utf16-tab", "CSV in UTF-16, tab-separated", "read correctly",
         {"encoding": "utf-16", "sep": "\t"}),
    Case("resp-format-xlsx-title", "XLSX with a title row above the header",
         "read correctly: title skipped", {"xlsx": True}),
    Case("resp-format-english-headers", "English headers municipality/category/office",
         "read correctly", {"header": ["Municipality", "Category", "Stelle"]}),
]  # fmt: skip


@pytest.mark.parametrize("case", FORMAT_CASES, ids=lambda c: c.id)
def test_formats(tmp_path: Path, case: Case) -> None:
    header = case.data.get("header", ["Gemeinde", "Kategorie", "Zuständige Stelle"])
    rows = [header, ["Südstadt", "Grundschule", "Grundschule Südstadt"]]
    if case.data.get("xlsx"):
        path = _xlsx(tmp_path / "z.xlsx", rows)
    else:
        path = tmp_path / "z.csv"
        path.write_bytes(csv_bytes(rows, sep=case.data["sep"], encoding=case.data["encoding"])
                         if "sep" in case.data else csv_bytes(rows))  # fmt: skip
    res = read(path)
    assert res.errors == ()
    assert dict(zip(res.assignments["village_id"], res.assignments["offer_id"], strict=True)) == {
        "v3": "s2", "v4": "s2",
    }  # fmt: skip


FILE_CASES = [
    Case("resp-file-no-category-column", "no Kategorie column",
         "MissingColumnError naming the file", {"header": ["Gemeinde", "Zuständige Stelle"],
                                                "error": MissingColumnError}),
    Case("resp-file-no-stelle-column", "no Stelle/Angebot column",
         "MissingColumnError naming the file", {"header": ["Gemeinde", "Kategorie"],
                                                "error": MissingColumnError}),
    Case("resp-file-no-target-column", "neither Gemeinde, AGS nor Ort column",
         "MissingColumnError naming the file", {"header": ["Kategorie", "Zuständige Stelle"],
                                                "error": MissingColumnError}),
    Case("resp-file-header-only", "header row only", "InputDataError: no data rows",
         {"header": ["Gemeinde", "Kategorie", "Zuständige Stelle"], "rows": [],
          "error": InputDataError}),
    Case("resp-file-missing", "the file does not exist", "InputDataError: Datei nicht gefunden",
         {"missing": True, "error": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_whole_file_errors(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "z.csv"
    if not case.data.get("missing"):
        body = case.data.get("rows", [["Nordheim", "Grundschule"]])
        path.write_bytes(csv_bytes([case.data["header"], *body]))
    with pytest.raises(ErreichbarkeitError) as info:
        read(path)
    assert_clear_error(info.value, case.data["error"], file="z.csv")


def test_no_usable_row_names_the_rows(tmp_path: Path) -> None:
    """A table none of whose rows is usable: a German error naming file, rows and reasons."""
    path = tmp_path / "z.csv"
    path.write_bytes(
        csv_bytes([
            ["Gemeinde", "Kategorie", "Zuständige Stelle"],
            ["Nirgendwo", "Grundschule", "Grundschule Nordheim"],
            ["Nordheim", "Schwimmbad", "Grundschule Nordheim"],
        ])
    )  # fmt: skip
    res = read(path)
    assert res.failure is not None
    assert_clear_error(res.failure, InputDataError, file="z.csv")
    assert "Zeile 2" in res.failure.message_de
    assert "Zeile 3" in res.failure.message_de
