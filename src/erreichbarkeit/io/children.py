"""Children per Gemeinde and age group from a CSV/XLSX table (:func:`read_children`).

The table holds one row per Gemeinde: a key column (AGS, 8 digits, or ARS,
12 digits — the same aliases as the population table) and one column per
age range.  Headers name an age range in years, *from* inclusive and *to*
exclusive as in the product's age groups:

* ``children_0_3`` (the product's own column names),
* ``0 bis unter 3``, ``0-3``, ``0–3``, ``0 - 3 Jahre`` (dash = "bis unter"),
* ``unter 3 Jahre`` / ``unter 3`` (= 0 bis unter 3),
* ``0 bis 2 Jahre`` (``bis`` without ``unter``: the last year is included),
* ``3 Jahre`` / ``3-Jährige`` (one year of age).

Columns that nest exactly into a product age group (single years, 0–1 and
1–3, …) are summed; a group counts as given only where its columns cover it
completely.  A column crossing a group border (``0 bis unter 6``), columns
overlapping each other, or a group only partly covered are German errors.
Columns outside every age group (``27 und älter``) and other columns (the
Gemeinde name) are ignored.  A long form — one row per Gemeinde and age
range with columns ``AGS``, ``Altersgruppe`` and ``Anzahl`` (the labels as
the headers above) — is read as the wide table it describes; its row
problems then name the first row of the Gemeinde.  Gemeinde names instead
of AGS are not matched.

A cell that is not a count ≥ 0 is a row problem (warning): that group of
that Gemeinde is estimated as without the table.  A row without a valid key
is a row problem (error, not used); a repeated AGS keeps its first row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from erreichbarkeit.config import AGE_GROUPS
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import (
    MISSING_MARKERS,
    ags_from_code,
    blank,
    find_column,
    parse_number,
)
from erreichbarkeit.io._table_checks import no_usable_rows
from erreichbarkeit.io.tables import RowProblem, read_table, table_problems

__all__ = ["ChildrenTable", "age_range", "read_children"]

#: The product's age groups as (from, to) in years, *to* exclusive.
_GROUP_RANGES: dict[str, tuple[int, int]] = {
    g: (int(g.split("-")[0]), int(g.split("-")[1])) for g in AGE_GROUPS
}
_KEY = ("ags", "ars", "rs", "gkz", "gemeindeschluessel", "regionalschluessel",
        "amtlichergemeindeschluessel")  # fmt: skip
#: Columns of the long form: the age group's label and the count.
_LONG_GROUP = ("altersgruppe", "alter", "agegroup", "age_group")
_LONG_COUNT = ("anzahl", "kinder", "count", "personen", "einwohner")
_ALL_DE = ", ".join(g.replace("-", "–") for g in AGE_GROUPS)
_OWN = re.compile(r"^children_(\d+)_(\d+)$")
_BIS_UNTER = re.compile(r"^(\d+)\s*(?:bis\s*unter|bis\s*<|-|–|—)\s*(\d+)(?:\s*jahren?)?$")
_BIS = re.compile(r"^(\d+)\s*bis\s*(\d+)(?:\s*jahren?)?$")
_UNTER = re.compile(r"^(?:unter|<)\s*(\d+)(?:\s*jahren?)?$")
_YEAR = re.compile(r"^(\d+)\s*(?:jahre?|-?\s*j(?:ä|ae)hrige)$")


@dataclass(frozen=True)
class ChildrenTable:
    """Children per Gemeinde and age group as read from one file.

    Attributes
    ----------
    counts
        Index ``ags`` (8-character str), one float column per age group of
        :data:`~erreichbarkeit.config.AGE_GROUPS` given in the file (NaN
        where a cell was unusable).
    file
        The file read.
    problems
        Row problems (unusable cells and rows, repeated AGS).
    """

    counts: pd.DataFrame
    file: Path
    problems: tuple[RowProblem, ...]

    @property
    def groups(self) -> tuple[str, ...]:
        """The age groups the table gives (in the order of ``AGE_GROUPS``)."""
        return tuple(g for g in AGE_GROUPS if g in self.counts.columns)


def age_range(header: object) -> tuple[int, int] | None:
    """The age range ``(from, to)`` (years, *to* exclusive) a column header names.

    Parameters
    ----------
    header
        A column header such as ``"0 bis unter 3"``, ``"unter 3 Jahre"``,
        ``"6–10"``, ``"children_0_3"`` or ``"5 Jahre"``.

    Returns
    -------
    tuple of int or None
        ``None`` when the header names no age range.

    Examples
    --------
    >>> age_range("3 bis unter 6 Jahre"), age_range("unter 3"), age_range("0 bis 2")
    ((3, 6), (0, 3), (0, 3))
    """
    text = re.sub(r"\s+", " ", str(header).strip().lower())
    if (m := _OWN.match(text)) or (m := _BIS_UNTER.match(text)):
        lo, hi = int(m[1]), int(m[2])
    elif m := _BIS.match(text):
        lo, hi = int(m[1]), int(m[2]) + 1
    elif m := _UNTER.match(text):
        lo, hi = 0, int(m[1])
    elif m := _YEAR.match(text):
        lo, hi = int(m[1]), int(m[1]) + 1
    else:
        return None
    return (lo, hi) if lo < hi else None


def read_children(path: Path) -> ChildrenTable:
    """Read children per Gemeinde and age group.

    Parameters
    ----------
    path
        CSV/XLSX as described in the module docstring.

    Returns
    -------
    ChildrenTable
        Counts per AGS and age group, and the row problems.

    Raises
    ------
    MissingColumnError
        No key column, or no column naming an age range of the product.
    InputDataError
        Unreadable file, columns crossing an age-group border or overlapping
        each other, a group only partly covered, or no usable row.
    """
    path = Path(path)
    table = read_table(path)
    problems: list[RowProblem] = list(table_problems(table))
    key_col = _key_column(table, path)
    table = _widened(table, key_col, path, problems)
    parts = _group_columns([str(c) for c in table.columns if str(c) != key_col], path)
    rows: dict[str, dict[str, float]] = {}
    for rownum, record in zip(table.index, table.to_dict("records"), strict=True):
        row = int(rownum)
        code = record[key_col]
        ags = ags_from_code(code)
        if blank(code) or ags is None or not ags.isdigit():
            en = f"invalid AGS/ARS {code!r}"
            de = f"Ungültiger Gemeindeschlüssel „{code}“ – Zeile nicht verwendet"
            problems.append(RowProblem(path.name, row, key_col, en, de, "error"))
            continue
        if ags in rows:
            en = f"AGS {ags} repeated; first row kept"
            de = f"Gemeindeschlüssel {ags} doppelt – nur die erste Zeile wird verwendet"
            problems.append(RowProblem(path.name, row, key_col, en, de, "warning"))
            continue
        rows[ags] = {
            g: _group_count(record, cols, path, row, problems) for g, cols in parts.items()
        }
    if not rows:
        raise no_usable_rows(path, problems, what="children per Gemeinde",
                             what_de="Kinderzahl je Gemeinde")  # fmt: skip
    counts = pd.DataFrame.from_dict(rows, orient="index", columns=list(parts), dtype=float)
    counts.index = pd.Index(list(rows), dtype=object, name="ags")
    return ChildrenTable(counts=counts, file=path, problems=tuple(problems))


def _widened(
    table: pd.DataFrame, key_col: str, path: Path, problems: list[RowProblem]
) -> pd.DataFrame:
    """A long table (AGS, Altersgruppe, Anzahl) as a wide one; a wide table as it is.

    The wide row of a Gemeinde carries the row number of its first long row;
    a repeated (AGS, Altersgruppe) keeps its first value (row warning).
    """
    cols = [str(c) for c in table.columns]
    label_col = find_column(cols, _LONG_GROUP)
    count_col = find_column(cols, _LONG_COUNT)
    if label_col is None or count_col is None or any(age_range(c) for c in cols):
        return table
    wide: dict[str, dict[str, object]] = {}
    first: dict[str, int] = {}
    for rownum, code, label, count in zip(
        table.index, table[key_col], table[label_col], table[count_col], strict=True
    ):
        entry = wide.setdefault(str(code), {key_col: code})
        first.setdefault(str(code), int(rownum))
        name = str(label).strip()
        if name in entry:
            en = f"age group {name!r} repeated for {code!r}; first value kept"
            de = f"Altersgruppe „{name}“ für {code} doppelt – der erste Wert wird verwendet"
            problems.append(RowProblem(path.name, int(rownum), label_col, en, de, "warning"))
            continue
        entry[name] = count
    return pd.DataFrame(list(wide.values()), index=pd.Index(list(first.values())))


def _key_column(table: pd.DataFrame, path: Path) -> str:
    """The AGS/ARS column."""
    cols = [str(c) for c in table.columns]
    found = find_column(cols, _KEY)
    if found is not None:
        return found
    msg = f"no AGS/ARS column; columns found: {', '.join(cols)}"
    raise MissingColumnError(
        msg,
        file=path,
        expected="AGS/ARS",
        message_de="Spalte Gemeindeschlüssel (AGS/ARS) fehlt; gefundene Spalten: "
        + ", ".join(cols),
    )


def _group_columns(columns: list[str], path: Path) -> dict[str, list[str]]:
    """The columns of each age group given, checked to nest and cover exactly."""
    ranges = {c: r for c in columns if (r := age_range(c)) is not None}
    parts: dict[str, list[str]] = {}
    for col, (lo, hi) in ranges.items():
        inside = [g for g, (a, b) in _GROUP_RANGES.items() if a <= lo and hi <= b]
        crossing = [g for g, (a, b) in _GROUP_RANGES.items() if lo < b and a < hi]
        if inside:
            parts.setdefault(inside[0], []).append(col)
        elif crossing:
            groups = ", ".join(g.replace("-", "–") for g in crossing)
            msg = f"column {col!r} ({lo}-{hi}) crosses the age groups {groups}"
            raise InputDataError(msg, file=path, column=col,
                                 expected="age ranges inside the groups " + ", ".join(AGE_GROUPS),
                                 message_de=f"Spalte „{col}“ ({lo} bis unter {hi} Jahre) "
                                 f"überschneidet die Altersgruppen {groups}; bitte nach "
                                 f"Altersgruppen {_ALL_DE} aufteilen")  # fmt: skip
    if not parts:
        msg = "no column names an age group (e.g. '0 bis unter 3', '3-6', 'children_6_10')"
        raise MissingColumnError(msg, file=path, expected="age-group columns",
                                 message_de="Keine Spalte nennt eine Altersgruppe (z. B. "
                                 "„0 bis unter 3“, „3–6“, „unter 3 Jahre“); gefundene Spalten: "
                                 + ", ".join(columns))  # fmt: skip
    for group, cols in parts.items():
        _check_cover(group, sorted(cols, key=lambda c: ranges[c]), ranges, path)
    return {g: parts[g] for g in AGE_GROUPS if g in parts}


def _check_cover(
    group: str, cols: list[str], ranges: dict[str, tuple[int, int]], path: Path
) -> None:
    """The columns of one group must tile it without gaps or overlaps."""
    start, end = _GROUP_RANGES[group]
    label = group.replace("-", "–")
    for col in cols:
        lo, hi = ranges[col]
        if lo < start:
            prev = next(c for c in cols if ranges[c][1] > lo and c != col)
            msg = f"columns {prev!r} and {col!r} overlap"
            raise InputDataError(msg, file=path, column=col, expected="non-overlapping ages",
                                 message_de=f"Spalten „{prev}“ und „{col}“ überschneiden sich "
                                 "(Kinder würden doppelt gezählt)")  # fmt: skip
        if lo > start:
            msg = f"columns of age group {group} leave out ages {start} to {lo}"
            raise InputDataError(msg, file=path, column=col, expected=f"ages {start}-{end}",
                                 message_de=f"Die Spalten der Altersgruppe {label} decken "
                                 f"{start} bis unter {lo} Jahre nicht ab")  # fmt: skip
        start = hi
    if start < end:
        msg = f"columns of age group {group} leave out ages {start} to {end}"
        raise InputDataError(msg, file=path, column=cols[-1], expected=f"ages {group}",
                             message_de=f"Die Spalten der Altersgruppe {label} decken "
                             f"{start} bis unter {end} Jahre nicht ab")  # fmt: skip


def _group_count(
    record: Mapping[Hashable, object],
    cols: list[str],
    path: Path,
    row: int,
    problems: list[RowProblem],
) -> float:
    """The sum of one group's cells; NaN (group estimated) if a cell is unusable."""
    total = 0.0
    for col in cols:
        raw = record[col]
        if isinstance(raw, str) and raw.strip().lower() in MISSING_MARKERS:
            return math.nan
        try:
            value = parse_number(raw, count=True)
        except ValueError:
            value = -1.0
        if value is None:
            return math.nan
        if value < 0 or not math.isfinite(value):
            en = f"count {raw!r} is not a number >= 0"
            de = f"Kinderzahl „{raw}“ ist keine Zahl ≥ 0 – diese Altersgruppe wird geschätzt"
            problems.append(RowProblem(path.name, row, col, en, de, "warning"))
            return math.nan
        total += value
    return total
