"""Page tables as people read them: German number format, never „nan“ or „None“."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.ui.tables import (
    column_digits,
    comparison_display,
    format_decimal,
    format_short,
    german,
)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (1234.56, 1, "1.234,6"),
        (0.05, 1, "0,1"),
        (3.0, 0, "3"),
        (1_234_567.0, 0, "1.234.567"),
        (-2.25, 1, "-2,2"),
        (math.nan, 1, "—"),
        (math.inf, 1, "—"),
        (None, 1, "—"),
        (pd.NA, 0, "—"),
        ("abc", 1, "—"),
    ],
)
def test_format_decimal(value: object, digits: int, expected: str) -> None:
    assert format_decimal(value, digits) == expected


def _shown(table: pd.DataFrame) -> list[list[str]]:
    """The display texts of a Styler, cell by cell (what Streamlit shows)."""
    body = german(table)._translate(sparse_index=False, sparse_cols=False)["body"]
    return [[cell["display_value"] for cell in row[1:]] for row in body]


def test_german_table_texts() -> None:
    table = pd.DataFrame(
        {
            "Minuten": [2.25, np.nan, 1234.5],
            "Kinder": [12.0, 3.0, 1500.0],
            "Ort": ["Adorf", None, "Cdorf"],
            "im Schwellenwert": [True, False, True],
        }
    )
    assert _shown(table) == [
        ["2,2", "12", "Adorf", "ja"],
        ["—", "3", "—", "nein"],
        ["1.234,5", "1.500", "Cdorf", "ja"],
    ]


def test_german_keeps_numbers_for_sorting() -> None:
    table = pd.DataFrame({"Minuten": [2.25, 10.0]})
    assert german(table).data["Minuten"].tolist() == [2.25, 10.0]


@pytest.mark.parametrize(
    ("header", "values", "digits"),
    [
        ("Anteil ≤ 10 min (%)", [56.0, 100.0], 1),  # shares: one decimal even when whole
        ("Anteil Kinder darüber (%)", [12.25], 1),
        ("Kinder ohne Angebot im Schwellenwert", [51.3, 2.0], 0),  # children: whole
        ("zusätzlich erreichte Kinder 0–3 Jahre", [533.8], 0),
        ("Einwohner", [60969.4], 0),
        ("Plätze je 1.000 Kinder", [460.7], 1),  # a rate, not a count
        ("Median Minuten (Kinder)", [6.0, 6.25], 1),
        ("eingesparte Kinder-Minuten", [9821.4], 1),
        ("Breitengrad", [50.988231], 5),
        ("Rasterzellen", [246.0], 0),  # other columns: by their values
        ("Minuten", [2.25], 1),
    ],
)
def test_column_digits(header: str, values: list[float], digits: int) -> None:
    assert column_digits(header, pd.Series(values)) == digits


def test_german_children_whole_shares_one_decimal_coordinates_five() -> None:
    table = pd.DataFrame(
        {
            "Kinder ohne Angebot im Schwellenwert": [51.3, 1234.5],
            "Anteil ohne erreichbares Angebot (%)": [0.0, 100.0],
            "Breitengrad": [50.98823, 51.0],
        }
    )
    assert _shown(table) == [["51", "0,0", "50,98823"], ["1.234", "100,0", "51,00000"]]


@pytest.mark.parametrize(
    ("value", "text"),
    [(7.5, "7,5"), (10.0, "10"), (1500.0, "1.500"), (12.25, "12,25"), (math.nan, "—")],
)
def test_format_short(value: float, text: str) -> None:
    assert format_short(value) == text


def test_comparison_display_row_by_row() -> None:
    kpis = pd.DataFrame(
        {
            "Kennzahl": [
                "Kinder der Altersgruppe", "Kinder außerhalb der Schwelle",
                "Anteil Kinder außerhalb", "Unterversorgte Orte",
                "Median Minuten (kindgewichtet)", "Median über Grenze (1 = ja)",
            ],
            "Ausgangslage": [1771.0, 541.9, 0.306, 33.0, 6.04, 0.0],
            "Mein Szenario": [1771.0, 732.9, 0.4138, 37.0, 90.0, 1.0],
            "Differenz": [0.0, 191.0, 0.1078, 4.0, math.nan, 1.0],
        }
    )  # fmt: skip
    shown = comparison_display(kpis)
    assert shown.columns.tolist() == kpis.columns.tolist()
    assert shown.to_dict("split")["data"] == [
        ["Kinder der Altersgruppe", "1.771", "1.771", "±0"],
        ["Kinder außerhalb der Schwelle", "542", "733", "+191"],
        ["Anteil Kinder außerhalb", "30,6 %", "41,4 %", "+10,8 Prozentpunkte"],
        ["Unterversorgte Orte", "33", "37", "+4"],
        ["Median Minuten (kindgewichtet)", "6,0", "> 90 min", "—"],
        ["Median über Grenze", "nein", "ja", "geändert"],
    ]


def test_comparison_display_negative_and_unchanged() -> None:
    kpis = pd.DataFrame(
        {"Kennzahl": ["Kinder innerhalb der Schwelle", "Anteil Kinder außerhalb",
                      "Median über Grenze (1 = ja)"],
         "A": [1229.1, 0.0, 0.0], "B": [1038.1, 0.0, 0.0], "Differenz": [-191.0, 0.0, 0.0]}
    )  # fmt: skip
    assert comparison_display(kpis)["Differenz"].tolist() == ["-191", "±0,0 Prozentpunkte", "—"]


def test_comparison_display_tiny_differences_are_no_change() -> None:
    kpis = pd.DataFrame(
        {"Kennzahl": ["Anteil Kinder außerhalb", "Kinder außerhalb der Schwelle"],
         "A": [0.3, 541.9], "B": [0.3001, 542.2], "Differenz": [-0.0001, 0.3]}
    )  # fmt: skip
    assert comparison_display(kpis)["Differenz"].tolist() == ["±0,0 Prozentpunkte", "±0"]
