"""Population per Gemeinde from a CSV/XLSX table (:func:`read_population`)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import (
    MAX_GEMEINDE_POPULATION,
    MISSING_MARKERS,
    POPULATION_RANGE_DE,
    ags_from_code,
    blank,
    cell_text,
    closest_name,
    find_column,
    parse_number,
)
from erreichbarkeit.io._table_checks import display_name
from erreichbarkeit.io.tables import read_table, table_problems

__all__ = ["read_population"]

_POP_KEY = (
    "ags",
    "ars",
    "rs",
    "gkz",
    "gemeindeschluessel",
    "regionalschluessel",
    "amtlichergemeindeschluessel",
)
_POP_VALUE = ("population", "einwohner", "ewz", "bevoelkerung", "einwohnerzahl", "insgesamt")


def read_population(path: Path) -> pd.DataFrame:
    """Read population per Gemeinde.

    Parameters
    ----------
    path
        CSV/XLSX with a key column (``ags``/``AGS``/``GKZ`` with ≤ 8 digits,
        or ``ARS``/``RS`` — or an ``ags`` column holding 12-digit ARS, as in
        the Zensus 2022 table 1000A-0000 — reduced to AGS = ARS[0:5] +
        ARS[9:12]) and a population column (``population``, ``Einwohner``,
        ``EWZ``, ``Bevölkerung``, ``insgesamt``).  German number formats are
        accepted; ``-``, ``.``, ``x`` (Destatis secrecy markers) become NaN.

    Returns
    -------
    pandas.DataFrame
        ``ags`` (8-character str), ``population`` (float), one row per AGS.

    Raises
    ------
    InputDataError
        Unreadable file, an invalid key or number (naming the row), or a
        repeated AGS with different values.
    MissingColumnError
        No key or no population column.
    """
    path = Path(path)
    table = read_table(path)
    _no_broken_rows(table, path)
    key_col, pop_col = _population_columns(table, path)
    by_ags: dict[str, float] = {}
    first_row: dict[str, int] = {}
    for rownum, code, raw in zip(table.index, table[key_col], table[pop_col], strict=True):
        row = int(rownum)
        ags = _row_ags(code, path, row, key_col)
        value = _row_population(raw, path, row, pop_col)
        if ags in first_row:
            _check_repeat(
                ags, by_ags[ags], value, first=first_row[ags], path=path, row=row, column=key_col
            )
            continue
        first_row[ags] = row
        by_ags[ags] = value
    return pd.DataFrame(
        {
            "ags": pd.Series(list(by_ags), dtype=object),
            "population": pd.Series(list(by_ags.values()), dtype=float),
        }
    )


def _no_broken_rows(table: pd.DataFrame, path: Path) -> None:
    """A row the table reader could not use (extra fields, broken quote) is an error here.

    Population is read strictly: a missing Gemeinde would silently get no people.
    """
    broken = [p for p in table_problems(table) if p.severity == "error"]
    if broken:
        first = broken[0]
        more = f" (und {len(broken) - 1} weitere Zeilen)" if len(broken) > 1 else ""
        raise InputDataError(
            first.message,
            file=path,
            row=first.row,
            expected="one value per column",
            message_de=first.message_de + more,
        )


def _population_columns(table: pd.DataFrame, path: Path) -> tuple[str, str]:
    """The key (AGS/ARS) and population columns of the table."""
    cols = list(map(str, table.columns))
    found = ", ".join(cols)
    key_col = find_column(cols, _POP_KEY)
    pop_col = find_column(cols, _POP_VALUE) if key_col is not None else None
    if key_col is not None and pop_col is not None:
        return key_col, pop_col
    what, what_de = (
        ("AGS/ARS", "Gemeindeschlüssel (AGS/ARS)")
        if key_col is None
        else ("population", "Einwohnerzahl")
    )
    aliases = _POP_KEY if key_col is None else _POP_VALUE
    near = [
        (c, s)
        for c in cols
        if c != key_col and (s := closest_name(c, {a: display_name(a) for a in aliases}))
    ]
    hint = f"; did you mean {near[0][1]!r} for {near[0][0]!r}?" if near else ""
    hint_de = f" – meinten Sie „{near[0][1]}“ statt „{near[0][0]}“?" if near else ""
    msg = f"no {what} column; columns found: {found}{hint}"
    raise MissingColumnError(
        msg,
        file=path,
        expected=what,
        message_de=f"Spalte {what_de} fehlt; gefundene Spalten: {found}{hint_de}",
    )


def _row_ags(code: object, path: Path, row: int, column: str) -> str:
    """The 8-digit AGS of one row's key cell."""
    ags = ags_from_code(code)
    if blank(code):
        msg = "AGS/ARS missing"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=column,
            expected="8-digit AGS or 12-digit ARS",
            message_de="Gemeindeschlüssel fehlt",
        )
    if ags is None or not ags.isdigit():
        msg = f"invalid AGS/ARS {code!r}"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=column,
            expected="8-digit AGS or 12-digit ARS",
            message_de=f"Ungültiger Gemeindeschlüssel „{code}“",
        )
    return ags


def _row_population(raw: object, path: Path, row: int, column: str) -> float:
    """One row's population; NaN for empty cells and secrecy markers."""
    if isinstance(raw, str) and raw.strip().lower() in MISSING_MARKERS:
        return float("nan")
    try:
        parsed = parse_number(raw, count=True)
    except ValueError as exc:
        msg = f"population {raw!r} is not a number"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=column,
            expected="a number",
            message_de=f"Einwohnerzahl „{raw}“ ist keine Zahl",
        ) from exc
    value = float("nan") if parsed is None else parsed
    if value < 0:
        msg = f"population {raw!r} is negative"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=column,
            expected="a number of inhabitants >= 0",
            message_de=f"Einwohnerzahl „{raw}“ ist negativ (erwartet: {POPULATION_RANGE_DE})",
        )
    if value > MAX_GEMEINDE_POPULATION:
        msg = f"population {raw!r} is not plausible for one Gemeinde"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=column,
            expected=f"0 to {MAX_GEMEINDE_POPULATION} inhabitants",
            message_de=f"Einwohnerzahl „{cell_text(raw)}“ ist für eine Gemeinde nicht "
            f"plausibel (erwartet: {POPULATION_RANGE_DE})",
        )
    return value


def _check_repeat(
    ags: str, prev: float, value: float, *, first: int, path: Path, row: int, column: str
) -> None:
    """Accept a repeated AGS only with the same value as its first row."""
    if prev == value or (math.isnan(prev) and math.isnan(value)):
        return
    msg = f"AGS {ags} repeated with a different value (first in row {first})"
    raise InputDataError(
        msg,
        file=path,
        row=row,
        column=column,
        message_de=f"Gemeindeschlüssel {ags} doppelt mit anderem Wert (zuerst in Zeile {first})",
    )
