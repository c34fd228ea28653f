"""Children tables (children per Gemeinde and age group): accepted forms and bad inputs.

The reader cases run :func:`erreichbarkeit.io.children.read_children` on tiny
CSV files; the matching cases run :func:`erreichbarkeit.pipeline.load_inputs`
(no routing) on the three-village network of
:mod:`tests.test_bad_inputs_population`.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd
import pytest

from erreichbarkeit.errors import ErreichbarkeitError, InputDataError, MissingColumnError
from erreichbarkeit.io.children import age_range, read_children
from erreichbarkeit.pipeline import load_inputs

from .test_bad_inputs_common import Case, assert_clear_error
from .test_bad_inputs_population import AGS_EAST, AGS_WEST, _settings, _text


def _write(tmp: Path, content: str, name: str = "kinder.csv") -> Path:
    path = tmp / name
    path.write_text(content, encoding="utf-8")
    return path


# ------------------------------------------------------------------ accepted forms

CHILDREN_FORM_CASES = [
    Case("kids-bis-unter", "headers '0 bis unter 3', '3 bis unter 6 Jahre'",
         "counts of 0–3 and 3–6",
         {"text": "AGS;Gemeinde;0 bis unter 3;3 bis unter 6 Jahre\n03159001;Westdorf;25;30\n",
          "expect": {"0-3": 25.0, "3-6": 30.0}}),
    Case("kids-ars-dashes", "12-digit ARS, headers 'unter 3 Jahre', '3-6', '6–10'",
         "AGS from the ARS; counts of 0–3, 3–6, 6–10",
         {"text": "ARS;unter 3 Jahre;3-6;6–10\n031590001001;25;30;41\n",
          "expect": {"0-3": 25.0, "3-6": 30.0, "6-10": 41.0}}),
    Case("kids-single-years", "single years '0 Jahre', '1 Jahre', '2 Jahre'",
         "summed into 0–3",
         {"text": "AGS;0 Jahre;1 Jahre;2 Jahre\n03159001;8;9;10\n", "expect": {"0-3": 27.0}}),
    Case("kids-finer-groups", "finer groups 'unter 1' and '1 bis unter 3'",
         "summed into 0–3",
         {"text": "AGS;unter 1;1 bis unter 3\n03159001;8;19\n", "expect": {"0-3": 27.0}}),
    Case("kids-inclusive-bis", "inclusive ranges '0 bis 2', '3 bis 5', '10 bis 17'",
         "read as 0–3, 3–6, 10–18",
         {"text": "AGS;0 bis 2;3 bis 5;10 bis 17\n03159001;8;9;70\n",
          "expect": {"0-3": 8.0, "3-6": 9.0, "10-18": 70.0}}),
    Case("kids-own-names", "the product's column names children_0_3 … and German thousands",
         "counts as given ('1.234' = 1234); a column '27 und älter' is ignored",
         {"text": "AGS;children_0_3;children_18_27;27 und älter\n03159001;25;1.234;9000\n",
          "expect": {"0-3": 25.0, "18-27": 1234.0}}),
    Case("kids-long-form", "long form AGS;Altersgruppe;Anzahl ('unter 1', '1 bis unter 3', '3-6')",
         "read as the wide table: 0–3 summed, 3–6",
         {"text": "AGS;Altersgruppe;Anzahl\n03159001;unter 1;8\n03159001;1 bis unter 3;19\n"
                  "03159001;3-6;30\n", "expect": {"0-3": 27.0, "3-6": 30.0}}),
    Case("kids-secret-marker", "a secrecy marker '.' in one cell",
         "that group of that Gemeinde is NaN (estimated), no problem",
         {"text": "AGS;0-3;3-6\n03159001;.;30\n", "expect": {"0-3": math.nan, "3-6": 30.0}}),
]  # fmt: skip


@pytest.mark.parametrize("case", CHILDREN_FORM_CASES, ids=lambda c: c.id)
def test_children_table_forms(tmp_path: Path, case: Case) -> None:
    table = read_children(_write(tmp_path, case.data["text"]))
    assert list(table.counts.index) == [AGS_WEST]
    assert table.groups == tuple(case.data["expect"])
    for group, value in case.data["expect"].items():
        got = table.counts.loc[AGS_WEST, group]
        assert (math.isnan(got) and math.isnan(value)) or got == value, (group, got)
    assert table.problems == ()


def test_age_range_headers() -> None:
    """Header spellings of age ranges; other headers name no range."""
    assert age_range("0 bis unter 3") == (0, 3)
    assert age_range("18 bis unter 27 Jahren") == (18, 27)
    assert age_range("3-Jährige") == (3, 4)
    assert age_range("Gemeinde") is None
    assert age_range("27 und älter") is None


# ------------------------------------------------------------------ row problems

CHILDREN_ROW_CASES = [
    Case("kids-not-a-number", "a count 'viele'",
         "row warning naming row and column; that group estimated, the others used",
         {"text": "AGS;0-3;3-6\n03159001;viele;30\n03159002;12;14\n",
          "row": 2, "column": "0-3", "nan": (AGS_WEST, "0-3")}),
    Case("kids-negative", "a negative count '-5'",
         "row warning; that group estimated",
         {"text": "AGS;0-3;3-6\n03159001;12;14\n03159002;-5;14\n",
          "row": 3, "column": "0-3", "nan": (AGS_EAST, "0-3")}),
    Case("kids-duplicate", "the same AGS twice",
         "row warning 'doppelt'; the first row is used",
         {"text": "AGS;0-3\n03159001;12\n03159002;7\n03159001;99\n",
          "row": 4, "column": "AGS", "first": 12.0}),
    Case("kids-long-repeated", "long form with the same AGS and age group twice",
         "row warning naming the later row; the first value is used",
         {"text": "AGS;Altersgruppe;Anzahl\n03159001;0-3;12\n03159002;0-3;7\n03159001;0-3;99\n",
          "row": 4, "column": "Altersgruppe", "first": 12.0}),
    Case("kids-bad-key", "a row with the key 'Westdorf' (a name, not an AGS)",
         "row error (row not used), the other rows used",
         {"text": "AGS;0-3\nWestdorf;12\n03159002;7\n", "row": 2, "column": "AGS"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CHILDREN_ROW_CASES, ids=lambda c: c.id)
def test_children_table_row_problems(tmp_path: Path, case: Case) -> None:
    table = read_children(_write(tmp_path, case.data["text"]))
    (problem,) = table.problems
    assert (problem.file, problem.row, problem.column) == (
        "kinder.csv",
        case.data["row"],
        case.data["column"],
    )
    assert problem.message_de and "Zeile" not in problem.message
    if "nan" in case.data:
        assert math.isnan(table.counts.loc[case.data["nan"]])
    if "first" in case.data:
        assert table.counts.loc[AGS_WEST, "0-3"] == case.data["first"]
    assert AGS_EAST in table.counts.index


# ------------------------------------------------------------------ errors

CHILDREN_ERROR_CASES = [
    Case("kids-no-key", "no AGS/ARS column (only 'Gemeinde')",
         "MissingColumnError naming the columns found",
         {"text": "Gemeinde;0-3\nWestdorf;12\n", "cls": MissingColumnError}),
    Case("kids-no-age-column", "no column naming an age range ('Kinder')",
         "MissingColumnError with examples of age headers",
         {"text": "AGS;Kinder\n03159001;12\n", "cls": MissingColumnError}),
    Case("kids-crossing", "a column '0 bis unter 6' crossing the groups 0–3 and 3–6",
         "InputDataError naming the column and the groups to split into",
         {"text": "AGS;0 bis unter 6\n03159001;50\n", "cls": InputDataError,
          "column": "0 bis unter 6"}),
    Case("kids-overlap", "overlapping columns 'unter 3' and 'unter 1'",
         "InputDataError: children would be counted twice",
         {"text": "AGS;unter 3;unter 1\n03159001;25;8\n", "cls": InputDataError}),
    Case("kids-gap", "only 'unter 1' for the group 0–3",
         "InputDataError: the columns leave out 1 to 3",
         {"text": "AGS;unter 1\n03159001;8\n", "cls": InputDataError, "column": "unter 1"}),
    Case("kids-no-usable-row", "every key invalid",
         "InputDataError naming the file and the rows",
         {"text": "AGS;0-3\nabc;12\nxyz;7\n", "cls": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", CHILDREN_ERROR_CASES, ids=lambda c: c.id)
def test_children_table_errors(tmp_path: Path, case: Case) -> None:
    with pytest.raises(ErreichbarkeitError) as info:
        read_children(_write(tmp_path, case.data["text"]))
    assert_clear_error(
        info.value, case.data["cls"], file="kinder.csv", column=case.data.get("column")
    )


# ------------------------------------------------------------------ matching (load_inputs)


def _loaded(tmp: Path, text: str) -> tuple[object, Path]:
    settings = _settings(
        tmp, {"population": _text("einwohner.csv", f"AGS;Einwohner\n{AGS_WEST};1000\n"
                                                    f"{AGS_EAST};800\n")}
    )  # fmt: skip
    path = _write(tmp, text, "kinderzahlen.csv")
    return settings.replace(children=path), path


def test_children_table_of_another_region(tmp_path: Path) -> None:
    """A children table whose AGS all belong to another Land is an error naming the file."""
    settings, _ = _loaded(tmp_path, "AGS;0-3\n05558001;12\n")
    with pytest.raises(ErreichbarkeitError) as info:
        load_inputs(settings)  # type: ignore[arg-type]
    assert_clear_error(info.value, InputDataError, file="kinderzahlen.csv")
    assert AGS_WEST in info.value.message_de


def test_children_table_unknown_and_implausible(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown AGS (with a suggestion) and a group larger than the Gemeinde are warnings."""
    settings, _ = _loaded(tmp_path, f"AGS;0-3\n{AGS_WEST};1200\n{AGS_EAST};20\n03159012;5\n")
    with caplog.at_level(logging.WARNING):
        data = load_inputs(settings)  # type: ignore[arg-type]
    text = " | ".join(r.getMessage() for r in caplog.records)
    assert "03159012 gehört zu keiner Gemeinde mit Orten" in text
    assert "meinten Sie 0315900" in text
    assert "1200 Kinder, aber nur 1000 Einwohner" in text
    record = next(s for s in data.sources if s["Datei"] == "kinderzahlen.csv")
    assert "gefunden für 2 von 2 Gemeinden" in record["Daten"]
    east = data.villages[data.villages["ags"] == AGS_EAST]
    assert east["children_0_3"].sum() == pytest.approx(20.0)
    assert any("Kinderzahl der Gemeinde (kinderzahlen.csv" in e for e in data.estimates)


def test_children_table_xlsx(tmp_path: Path) -> None:
    """An XLSX with numeric AGS cells (leading zero lost) and numeric counts."""
    path = tmp_path / "kinderzahlen.xlsx"
    pd.DataFrame(
        {"AGS": [3159001, 3159002], "unter 3 Jahre": [25, 12], "3 bis unter 6 Jahre": [30.0, 14.0]}
    ).to_excel(path, index=False)
    table = read_children(path)
    assert list(table.counts.index) == [AGS_WEST, AGS_EAST]
    assert table.counts["0-3"].tolist() == [25.0, 12.0]
    assert table.counts["3-6"].tolist() == [30.0, 14.0]
