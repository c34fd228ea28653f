"""Shared helpers of the bad-input suite (``tests/test_bad_inputs_*.py``).

Every bad-input case is a :class:`Case`: its pytest id, the input in words
and the expected behaviour in words.  ``tests/README.md`` is the inventory
table of all cases, generated from these lists
(``python -m tests.test_bad_inputs_inventory``) and checked by
``test_bad_inputs_inventory.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from erreichbarkeit.errors import ConfigError, ErreichbarkeitError
from erreichbarkeit.io import RowProblem

#: German words or characters one of which every German message contains.
GERMAN = re.compile(
    r"[äöüÄÖÜß„“–]|\b(ist|sind|kein|keine|fehlt|fehlen|nicht|Zeile|Spalte|Datei|bitte|Bitte|"
    r"Kategorie|Koordinaten?|Doppelte?r?|verwendet|bleibt|gelesen|vertauscht|korrigiert|"
    r"Adresse|Nur|Ebene|Eintrag|Unbekannter?|Ungültiger?|leer|Zahl|Objekte?|doppelt|angegeben)\b"
)


@dataclass(frozen=True)
class Case:
    """One bad or awkward input and what must happen with it.

    Attributes
    ----------
    id
        The pytest id (unique within the suite).
    given
        The input, in words (for the inventory).
    expect
        The expected behaviour, in words (for the inventory).
    data
        Test-specific parameters.
    """

    id: str
    given: str
    expect: str
    data: dict[str, Any] = field(default_factory=dict)


def assert_clear_error(
    exc: BaseException,
    cls: type[ErreichbarkeitError],
    *,
    file: str | None,
    row: int | None = None,
    column: str | None = None,
) -> None:
    """Assert the exact error class and that the messages say where and what.

    ``str(exc)`` must name the file (and row/column when given); ``exc.german``
    must be German text naming the file (``Datei …``) and the row (``Zeile``)
    or key/column.
    """
    assert type(exc) is cls, f"expected {cls.__name__}, got {type(exc).__name__}: {exc}"
    assert isinstance(exc, ErreichbarkeitError)
    text, german = str(exc), exc.german
    assert "\n" not in text.strip(), text
    if file is not None:
        assert file in text, text
        assert f"Datei {file}" in german, german
    if row is not None:
        assert exc.row == row, (exc.row, text)
        assert f"row {row}" in text, text
        assert f"Zeile {row}" in german, german
    if column is not None:
        assert exc.column == column, (exc.column, text)
        assert repr(column) in text, text
        word = "Eintrag" if isinstance(exc, ConfigError) else "Spalte"
        assert f"{word} „{column}“" in german, german
    assert GERMAN.search(exc.message_de), exc.message_de


def assert_problem(
    problem: RowProblem,
    *,
    file: str,
    row: int,
    column: str | None,
    severity: str,
) -> None:
    """Assert a row problem names file, row and column and speaks German."""
    assert (problem.file, problem.row, problem.column, problem.severity) == (
        file,
        row,
        column,
        severity,
    ), problem
    assert GERMAN.search(problem.message_de), problem.message_de
