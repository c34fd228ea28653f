"""Bad and awkward tables of social indicators: every one gives a correct result or a clear error.

The table (Gemeinde/AGS or Ort → indicator values, optional Quelle) is checked
against the run's villages before any routing.  A problem of one row or cell
is a :class:`RowProblem` naming file, row and column in German (``error``:
the row or cell is not used; ``warning``: used); whole-file problems raise a
named :class:`ErreichbarkeitError`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError, MissingColumnError
from erreichbarkeit.io.need import read_need

from .test_bad_inputs_common import Case, assert_clear_error, assert_problem

HEADER = "Gemeinde;AGS;Ort;SGB-II-Quote Kinder (%);Quelle"
OK_ROW = "Südstadt;;;30;Kreisstatistik"


def villages() -> gpd.GeoDataFrame:
    rows = [
        ("v1", "Altdorf", "99000001", "Nordheim"),
        ("v2", "Kirchberg", "99000001", "Nordheim"),
        ("v3", "Kirchberg", "99000002", "Südstadt"),
        ("v4", "Dornbach", "99000002", "Südstadt"),
    ]
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "ags": [r[2] for r in rows],
            "gemeinde": [r[3] for r in rows],
        },
        geometry=[Point(10.0 + 0.1 * i, 51.0) for i in range(len(rows))],
        crs=WGS84,
    )


# line: the row under test (row 2); out: ("ok", {village: value}) | ("warning", column, {…})
#       | ("error", column) — column None: the whole row
ROW_CASES = [
    Case(
        "need-gemeinde-ok",
        "Gemeinde Nordheim with 12,5",
        "both villages of Nordheim get 12,5 %, no problems",
        {"line": "Nordheim;;;12,5;Kreisstatistik", "out": ("ok", {"v1": 12.5, "v2": 12.5})},
    ),
    Case(
        "need-percent-sign",
        "value written „17 %“",
        "read as 17 %",
        {"line": "Nordheim;;;17 %;Kreisstatistik", "out": ("ok", {"v1": 17.0, "v2": 17.0})},
    ),
    Case(
        "need-ags-ok",
        "AGS 99000001 instead of a name",
        "both Nordheim villages get the value",
        {"line": ";99000001;;8;Kreisstatistik", "out": ("ok", {"v1": 8.0, "v2": 8.0})},
    ),
    Case(
        "need-ort-ok",
        "Ort Altdorf",
        "only Altdorf gets the value",
        {"line": ";;Altdorf;22;Kreisstatistik", "out": ("ok", {"v1": 22.0})},
    ),
    Case(
        "need-gemeinde-typo",
        "Gemeinde 'Nordhiem' (typo)",
        "read as Nordheim with a warning in column Gemeinde",
        {
            "line": "Nordhiem;;;12;Kreisstatistik",
            "out": ("warning", "Gemeinde", {"v1": 12.0, "v2": 12.0}),
        },
    ),
    Case(
        "need-gemeinde-unknown",
        "Gemeinde 'Nrdhm'",
        "row error in column Gemeinde suggesting „Nordheim“",
        {
            "line": "Nrdhm;;;12;Kreisstatistik",
            "out": ("error", "Gemeinde"),
            "says": "meinten Sie „Nordheim“",
        },
    ),
    Case(
        "need-ort-typo",
        "Ort 'Altdrfo' (typo)",
        "read as Altdorf with a warning in column Ort",
        {"line": ";;Altdrfo;12;Kreisstatistik", "out": ("warning", "Ort", {"v1": 12.0})},
    ),
    Case(
        "need-ort-unknown",
        "Ort 'Zuhausen'",
        "row error in column Ort: unknown Ort",
        {
            "line": ";;Zuhausen;12;Kreisstatistik",
            "out": ("error", "Ort"),
            "says": "Unbekannter Ort",
        },
    ),
    Case(
        "need-ort-ambiguous",
        "Ort 'Kirchberg' (in both Gemeinden)",
        "row error in column Ort asking for the Gemeinde",
        {"line": ";;Kirchberg;12;Kreisstatistik", "out": ("error", "Ort"), "says": "mehrdeutig"},
    ),
    Case(
        "need-not-a-number",
        "value „hoch“",
        "cell error; the row has no value and is skipped",
        {
            "line": "Nordheim;;;hoch;Kreisstatistik",
            "out": ("error", "SGB-II-Quote Kinder (%)"),
            "says": "keine Zahl",
        },
    ),
    Case(
        "need-out-of-range",
        "value 140",
        "cell error: outside 0 to 100 %",
        {
            "line": "Nordheim;;;140;Kreisstatistik",
            "out": ("error", "SGB-II-Quote Kinder (%)"),
            "says": "außerhalb von 0 bis 100",
        },
    ),
    Case(
        "need-negative",
        "value -3",
        "cell error: outside 0 to 100 %",
        {"line": "Nordheim;;;-3;Kreisstatistik", "out": ("error", "SGB-II-Quote Kinder (%)")},
    ),
    Case(
        "need-no-target",
        "row without Gemeinde and Ort",
        "row error",
        {"line": ";;;12;Kreisstatistik", "out": ("error", None)},
    ),
]


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.id)
def test_row_cases(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "b.csv"
    path.write_text(f"{HEADER}\n{case.data['line']}\n{OK_ROW}\n", encoding="utf-8")
    res = read_need(path, villages=villages())
    assert res.failure is None  # the other row is always usable
    assert res.table is not None
    mine = [p for p in res.problems if p.row == 2]
    values = res.table.village_values("SGB-II-Quote Kinder")
    got = {v: values[v] for v in ("v1", "v2") if v in values.index}
    out = case.data["out"]
    if out[0] == "error":
        errors = [p for p in mine if p.severity == "error"]
        assert errors, mine
        assert_problem(errors[0], file="b.csv", row=2, column=out[1], severity="error")
        assert got == {}
    else:
        assert [p for p in mine if p.severity == "error"] == []
        assert got == (out[1] if out[0] == "ok" else out[2])
        if out[0] == "ok":
            assert mine == []
        else:
            assert_problem(mine[0], file="b.csv", row=2, column=out[1], severity="warning")
    if "says" in case.data:
        assert any(case.data["says"] in p.message_de for p in mine), mine


TABLE_CASES = [
    Case(
        "need-duplicate",
        "Nordheim twice",
        "the second row is an error; the first value counts",
        {"lines": ["Nordheim;;;10;Q", "Nordheim;;;20;Q"], "row": 3, "value": 10.0},
    ),
    Case(
        "need-ort-over-gemeinde",
        "Gemeinde Nordheim 10 and Ort Altdorf 30",
        "no problem: Altdorf 30, Kirchberg (Nordheim) 10",
        {"lines": ["Nordheim;;;10;Q", ";;Altdorf;30;Q"], "row": None, "value": 30.0},
    ),
    Case(
        "need-share",
        "values as shares 0,1 and 0,25 (no „%“, none above 1)",
        "read as 10 % and 25 %",
        {"lines": ["Nordheim;;;0,1;Q", "Südstadt;;;0,25;Q"], "row": None, "value": 10.0},
    ),
]


@pytest.mark.parametrize("case", TABLE_CASES, ids=lambda c: c.id)
def test_table_cases(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "b.csv"
    path.write_text("\n".join([HEADER, *case.data["lines"]]) + "\n", encoding="utf-8")
    res = read_need(path, villages=villages())
    assert res.table is not None
    errors = [p for p in res.problems if p.severity == "error"]
    if case.data["row"] is None:
        assert errors == []
    else:
        assert [p.row for p in errors] == [case.data["row"]]
        assert "nicht verwendet" in errors[0].message_de
    assert res.table.village_values("SGB-II-Quote Kinder")["v1"] == pytest.approx(
        case.data["value"]
    )


FILE_CASES = [
    Case(
        "need-no-key-column",
        "no Gemeinde, AGS or Ort column",
        "MissingColumnError naming the columns found",
        {"text": "Name;Quote\nNordheim;12\n", "error": MissingColumnError},
    ),
    Case(
        "need-no-indicator",
        "only Gemeinde and Bemerkung",
        "MissingColumnError: no indicator",
        {"text": "Gemeinde;Bemerkung\nNordheim;hoch\n", "error": MissingColumnError},
    ),
    Case(
        "need-header-only",
        "a header without data rows",
        "InputDataError: no data rows",
        {"text": "Gemeinde;Quote\n", "error": InputDataError},
    ),
    Case(
        "need-no-usable-row",
        "every Gemeinde unknown",
        "InputDataError naming the rows and their reasons",
        {
            "text": "Gemeinde;Quote\nNirgendwo;12\nAnderswo;5\n",
            "error": InputDataError,
            "failure": True,
        },
    ),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_whole_file_errors(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "b.csv"
    path.write_text(case.data["text"], encoding="utf-8")
    if case.data.get("failure"):
        res = read_need(path, villages=villages())
        assert res.table is None
        exc: ErreichbarkeitError = res.failure
        assert "Zeile 2" in exc.german
    else:
        with pytest.raises(ErreichbarkeitError) as info:
            read_need(path, villages=villages())
        exc = info.value
    assert_clear_error(exc, case.data["error"], file="b.csv")


def test_missing_source_is_a_german_warning(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("Gemeinde;Quote\nNordheim;12\n", encoding="utf-8")
    res = read_need(path, villages=villages())
    assert res.table is not None
    assert res.table.source == "Quelle nicht angegeben"
    (warning,) = res.problems
    assert_problem(warning, file="b.csv", row=1, column=None, severity="warning")


FORMAT_CASES = [
    Case("need-xlsx-numbers", "XLSX with numeric cells: shares 0,12 and percent strings",
         "shares read as percent (12 %), „17,5 %“ as 17,5 %",
         {"rows": [["AGS", "Anteil Alleinerziehende", "SGB-II-Quote Kinder", "Quelle"],
                   [99000001, 0.12, "17,5 %", "Statistik"], [99000002, 0.3, "20 %", "Statistik"]],
          "expect": {"Anteil Alleinerziehende": 12.0, "SGB-II-Quote Kinder": 17.5}}),
]  # fmt: skip


@pytest.mark.parametrize("case", FORMAT_CASES, ids=lambda c: c.id)
def test_formats(tmp_path: Path, case: Case) -> None:
    import openpyxl

    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in case.data["rows"]:
        ws.append(r)
    wb.save(path)
    res = read_need(path, villages=villages())
    assert res.table is not None
    assert not res.problems
    for name, value in case.data["expect"].items():
        assert res.table.village_values(name)["v1"] == pytest.approx(value)


COLUMN_CASES = [
    Case("need-count-column", "a column „Kinder 0–5“ with counts (all above 100)",
         "warning in row 1 for that column: not used, no quota; the quota column is read",
         {"header": "Gemeinde;Kinder 0-5;Quote;Quelle", "line": "Nordheim;240;12;Q",
          "column": "Kinder 0-5", "says": "alle Werte über 100"}),
    Case("need-text-column", "a column „Bemerkung“ without numbers",
         "warning in row 1 for that column: not used",
         {"header": "Gemeinde;Bemerkung;Quote;Quelle", "line": "Nordheim;hoch;12;Q",
          "column": "Bemerkung", "says": "wird nicht verwendet"}),
]  # fmt: skip


@pytest.mark.parametrize("case", COLUMN_CASES, ids=lambda c: c.id)
def test_columns_not_used(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "b.csv"
    path.write_text(f"{case.data['header']}\n{case.data['line']}\n", encoding="utf-8")
    res = read_need(path, villages=villages())
    assert res.table is not None
    assert res.table.indicators == ("Quote",)
    (warning,) = res.problems
    assert_problem(warning, file="b.csv", row=1, column=case.data["column"], severity="warning")
    assert case.data["says"] in warning.message_de
