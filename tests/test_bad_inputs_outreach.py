"""Bad and awkward tables of outreach offers („aufsuchende Angebote“).

The table (Name, Kategorie, Gemeinde/AGS or Ort(e), optional Träger,
Altersgruppen, Bemerkung) is checked against the run's villages before any
routing.  A problem of one row is a :class:`RowProblem` naming file, row and
column in German (``error``: the row — or one village of a list — is not
used; ``warning``: used, e.g. a corrected typo); whole-file problems raise a
named :class:`ErreichbarkeitError`.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError, MissingColumnError
from erreichbarkeit.io.outreach import OutreachReadResult, read_outreach

from .test_bad_inputs_common import Case, assert_clear_error, assert_problem
from .test_bad_inputs_responsibility import csv_bytes, villages

CATS = load_categories()
HEADER = ["Name", "Kategorie", "Gemeinde", "AGS", "Ort", "Träger", "Altersgruppen", "Bemerkung"]


def read(path: Path) -> OutreachReadResult:
    return read_outreach(path, CATS, villages=villages())


def row(**cells: str) -> list[str]:
    keys = {"name": 0, "kategorie": 1, "gemeinde": 2, "ags": 3, "ort": 4, "traeger": 5,
            "alter": 6, "bemerkung": 7}  # fmt: skip
    out = [""] * len(HEADER)
    for k, v in cells.items():
        out[keys[k]] = v
    return out


FH = {"name": "Familienhebamme Nord", "kategorie": "Hebamme"}

# cells of the one row; out: ("ok", {village: serves}) | ("warning", column, {…})
#                          | ("error", column) | ("partial", column, {…}): an error, rest used
ROW_CASES = [
    Case("outreach-gemeinde-ok", "Familienhebamme for Gemeinde Nordheim",
         "both villages of Nordheim are served (age groups of the category), no problems",
         {"cells": row(gemeinde="Nordheim", **FH), "out": ("ok", {"v1": "0-3", "v2": "0-3"})}),
    Case("outreach-ags-ok", "AGS 99000002 instead of a name", "both Südstadt villages served",
         {"cells": row(ags="99000002", **FH), "out": ("ok", {"v3": "0-3", "v4": "0-3"})}),
    Case("outreach-gemeinde-typo", "Gemeinde 'Nordhiem' (typo)",
         "read as Nordheim with a warning in column Gemeinde",
         {"cells": row(gemeinde="Nordhiem", **FH),
          "out": ("warning", "Gemeinde", {"v1": "0-3", "v2": "0-3"})}),
    Case("outreach-gemeinde-unknown", "Gemeinde 'Nrdhm'",
         "row error in column Gemeinde suggesting „Nordheim“",
         {"cells": row(gemeinde="Nrdhm", **FH), "out": ("error", "Gemeinde"),
          "says": "meinten Sie „Nordheim“"}),
    Case("outreach-ags-unknown", "AGS 99000009 (no Gemeinde with villages)",
         "row error in column AGS", {"cells": row(ags="99000009", **FH), "out": ("error", "AGS")}),
    Case("outreach-orte-list", "Ort 'Altdorf; Dornbach' (two villages in one cell)",
         "both villages served, no problems",
         {"cells": row(ort="Altdorf; Dornbach", **FH),
          "out": ("ok", {"v1": "0-3", "v4": "0-3"})}),
    Case("outreach-orte-comma", "Ort 'Altdorf, Dornbach' (comma-separated)",
         "both villages served, no problems",
         {"cells": row(ort="Altdorf, Dornbach", **FH),
          "out": ("ok", {"v1": "0-3", "v4": "0-3"})}),
    Case("outreach-orte-one-unknown", "Ort 'Altdorf; Xanten' (Xanten is no village)",
         "error in column Ort naming Xanten; Altdorf is still served",
         {"cells": row(ort="Altdorf; Xanten", **FH),
          "out": ("partial", "Ort", {"v1": "0-3"}), "says": "Xanten"}),
    Case("outreach-ort-typo", "Ort 'Altdorff'", "read as Altdorf with a warning in column Ort",
         {"cells": row(ort="Altdorff", **FH), "out": ("warning", "Ort", {"v1": "0-3"})}),
    Case("outreach-ort-ambiguous", "Ort 'Kirchberg' exists in both Gemeinden, no Gemeinde",
         "row error in column Ort: ambiguous, give the Gemeinde",
         {"cells": row(ort="Kirchberg", **FH), "out": ("error", "Ort")}),
    Case("outreach-ort-with-gemeinde", "Ort 'Kirchberg' with Gemeinde Südstadt",
         "only the Kirchberg in Südstadt is served",
         {"cells": row(gemeinde="Südstadt", ort="Kirchberg", **FH),
          "out": ("ok", {"v3": "0-3"})}),
    Case("outreach-no-target", "neither Gemeinde, AGS nor Ort", "row error in column Gemeinde",
         {"cells": row(**FH), "out": ("error", "Gemeinde")}),
    Case("outreach-only-note", "only a Bemerkung in the row", "row error (no column)",
         {"cells": row(bemerkung="siehe unten"), "out": ("error", None)}),
    Case("outreach-name-empty", "Name of the offer empty", "row error in column Name",
         {"cells": row(gemeinde="Nordheim", kategorie="Hebamme"), "out": ("error", "Name")}),
    Case("outreach-category-unknown", "Kategorie 'Schwimmbad'",
         "row error in column Kategorie listing the valid ones",
         {"cells": row(gemeinde="Nordheim", name="X", kategorie="Schwimmbad"),
          "out": ("error", "Kategorie"), "says": "gültig sind"}),
    Case("outreach-category-typo", "Kategorie 'Hebame'",
         "read as Hebamme with a warning in column Kategorie",
         {"cells": row(gemeinde="Nordheim", name="FH", kategorie="Hebame"),
          "out": ("warning", "Kategorie", {"v1": "0-3", "v2": "0-3"})}),
    Case("outreach-ages-read", "Altersgruppen '3-10' for aufsuchende Jugendarbeit",
         "served age groups 3-6 and 6-10, no problems",
         {"cells": row(gemeinde="Nordheim", name="Spielmobil", kategorie="Jugendzentrum",
                       alter="3-10"), "out": ("ok", {"v1": "3-6;6-10", "v2": "3-6;6-10"})}),
    Case("outreach-ages-unreadable", "Altersgruppen 'manchmal'",
         "warning in column Altersgruppen; the category's groups are used",
         {"cells": row(gemeinde="Nordheim", alter="manchmal", **FH),
          "out": ("warning", "Altersgruppen", {"v1": "0-3", "v2": "0-3"})}),
]  # fmt: skip


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.id)
def test_row_cases(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "a.csv"
    ok_row = row(ort="Dornbach", name="Willkommensbesuch", kategorie="Familienzentrum")
    path.write_bytes(csv_bytes([HEADER, case.data["cells"], ok_row]))
    res = read(path)
    assert res.failure is None  # the other row is always usable
    mine = [p for p in res.problems if p.row == 2]
    out = case.data["out"]
    part = res.served[res.served["row"] == 2]
    got = dict(zip(part["village_id"], part["serves"], strict=True))
    errors = [p for p in mine if p.severity == "error"]
    if out[0] in {"error", "partial"}:
        assert len(errors) >= 1, mine
        assert_problem(errors[0], file="a.csv", row=2, column=out[1], severity="error")
        assert got == ({} if out[0] == "error" else out[2])
    else:
        assert errors == []
        assert got == (out[1] if out[0] == "ok" else out[2])
        if out[0] == "ok":
            assert mine == []
        else:
            assert_problem(mine[0], file="a.csv", row=2, column=out[1], severity="warning")
    if "says" in case.data:
        assert any(case.data["says"] in p.message_de for p in mine), mine


def test_gemeinde_and_ort_rows_of_one_offer_join(tmp_path: Path) -> None:
    """Two rows of the same offer and a repeated village: one row per village × offer."""
    path = tmp_path / "a.csv"
    path.write_bytes(
        csv_bytes([HEADER, row(gemeinde="Nordheim", **FH), row(ort="Altdorf; Dornbach", **FH)])
    )
    res = read(path)
    assert res.problems == ()
    assert sorted(res.served["village_id"]) == ["v1", "v2", "v4"]
    assert set(res.served["basis"]) == {"Gemeinde", "Ort"}


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Aufsuchende Angebote 2026"])  # a title row above the header
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


FORMAT_CASES = [
    Case("outreach-format-cp1252-comma", "CSV in Windows-1252, comma-separated, umlauts",
         "read correctly: Südstadt found", {"encoding": "cp1252", "sep": ","}),
    Case("outreach-format-xlsx-title", "XLSX with a title row above the header",
         "read correctly: title skipped", {"xlsx": True}),
    Case("outreach-format-english-headers", "English headers offer/category/municipality",
         "read correctly", {"header": ["Offer", "Category", "Municipality"]}),
]  # fmt: skip


@pytest.mark.parametrize("case", FORMAT_CASES, ids=lambda c: c.id)
def test_formats(tmp_path: Path, case: Case) -> None:
    header = case.data.get("header", ["Name", "Kategorie", "Gemeinde"])
    rows = [header, ["Familienhebamme Süd", "Hebamme", "Südstadt"]]
    if case.data.get("xlsx"):
        path = _xlsx(tmp_path / "a.xlsx", rows)
    else:
        path = tmp_path / "a.csv"
        path.write_bytes(csv_bytes(rows, sep=case.data["sep"], encoding=case.data["encoding"])
                         if "sep" in case.data else csv_bytes(rows))  # fmt: skip
    res = read(path)
    assert res.errors == ()
    assert sorted(res.served["village_id"]) == ["v3", "v4"]
    assert set(res.served["name"]) == {"Familienhebamme Süd"}


FILE_CASES = [
    Case("outreach-file-no-category-column", "no Kategorie column",
         "MissingColumnError naming the file", {"header": ["Name", "Gemeinde"],
                                                "error": MissingColumnError}),
    Case("outreach-file-no-name-column", "no Name/Angebot column",
         "MissingColumnError naming the file", {"header": ["Gemeinde", "Kategorie"],
                                                "error": MissingColumnError}),
    Case("outreach-file-no-target-column", "neither Gemeinde, AGS nor Ort column",
         "MissingColumnError naming the file", {"header": ["Name", "Kategorie"],
                                                "error": MissingColumnError}),
    Case("outreach-file-header-only", "header row only", "InputDataError: no data rows",
         {"header": ["Name", "Kategorie", "Gemeinde"], "rows": [], "error": InputDataError}),
    Case("outreach-file-missing", "the file does not exist", "InputDataError: Datei nicht gefunden",
         {"missing": True, "error": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_whole_file_errors(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "a.csv"
    if not case.data.get("missing"):
        body = case.data.get("rows", [["FH", "Hebamme"]])
        path.write_bytes(csv_bytes([case.data["header"], *body]))
    with pytest.raises(ErreichbarkeitError) as info:
        read(path)
    assert_clear_error(info.value, case.data["error"], file="a.csv")


def test_no_usable_row_names_the_rows(tmp_path: Path) -> None:
    """A table none of whose rows is usable: a German error naming file, rows and reasons."""
    path = tmp_path / "a.csv"
    path.write_bytes(
        csv_bytes([
            ["Name", "Kategorie", "Gemeinde"],
            ["FH", "Hebamme", "Nirgendwo"],
            ["FH", "Schwimmbad", "Nordheim"],
        ])
    )  # fmt: skip
    res = read(path)
    assert res.failure is not None
    assert_clear_error(res.failure, InputDataError, file="a.csv")
    assert "Zeile 2" in res.failure.message_de
    assert "Zeile 3" in res.failure.message_de
