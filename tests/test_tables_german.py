"""Page tables as people read them: German number format, never „nan“ or „None“."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.ui.tables import format_decimal, german


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
