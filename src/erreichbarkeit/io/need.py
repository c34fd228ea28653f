"""A planner's table of social indicators per Gemeinde or Ortsteil (CSV/XLSX) → need.

Präventionsketten exist to prevent child poverty; the table tells where
poor families live (e.g. „SGB-II-Quote Kinder (%)“, „Anteil
Alleinerziehende“) so that villages far from offers can be ranked by need
(:mod:`erreichbarkeit.analysis.need`).

Rows name a Gemeinde (``AGS`` or ``Gemeinde``) or an Ortsteil (``Ort``, the
more specific: its value wins over its Gemeinde's).  Every other column with
at least one number is an indicator; a ``Quelle`` column names the source.

Percent or share
    A column is read as percent (0–100) when one of its cells is written
    with „%“ or one value is above 1; otherwise its values are shares
    (0–1) and multiplied by 100.  So every indicator is stored in percent.
    Values below 0 or above 100 % are errors of that cell (the cell is not
    used, the rest of the row is).

Problems are :class:`~erreichbarkeit.io.tables.RowProblem` (file, row,
column, German text); without one usable row the reader fails with a German
:class:`~erreichbarkeit.errors.InputDataError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import MISSING_MARKERS, cell_text, key, parse_number
from erreichbarkeit.io._responsibility_rows import ResponsibilityRowReader
from erreichbarkeit.io._table_checks import no_usable_rows, unused_columns
from erreichbarkeit.io.tables import RowProblem, read_table, table_problems

__all__ = ["NO_SOURCE_DE", "NeedReadResult", "NeedTable", "read_need"]

logger = logging.getLogger(__name__)

#: The source shown when neither the table nor the region file names one.
NO_SOURCE_DE = "Quelle nicht angegeben"

_KEY_ROLES: Mapping[str, tuple[str, ...]] = {
    "ort": ("ort", "ortsteil", "ortschaft", "dorf", "village", "ortsname"),
    "gemeinde": ("gemeinde", "gemeindename", "kommune", "municipality", "stadtgemeinde"),
    "ags": ("ags", "gemeindeschluessel", "amtlichergemeindeschluessel", "ars",
            "regionalschluessel", "gemeindekennziffer", "gkz"),
    "source": ("quelle", "source", "datenquelle", "quellenangabe"),
}  # fmt: skip
_BASIS_DE = {"gemeinde": "Gemeinde", "ort": "Ort"}


@dataclass(frozen=True)
class NeedTable:
    """The usable rows of a need table.

    Attributes
    ----------
    rows
        One row per Gemeinde or Ort: ``level`` („gemeinde“ or „ort“), ``target``
        (AGS or village id), ``name``, ``row`` (spreadsheet row), then one
        float column per indicator in percent (NaN: no usable value).
    indicators
        The indicator names as written in the file (header without unit).
    villages
        One row per village with a value: ``village_id``, ``basis`` („Ort“
        or „Gemeinde“: where the values come from), the indicator columns.
    source
        The named source (the ``Quelle`` column or the region file), else
        :data:`NO_SOURCE_DE`.
    file
        The file name.
    scales
        Indicator → how the file wrote it: „Prozent“ or „Anteil“ (0–1, stored ×100).
    """

    rows: pd.DataFrame
    indicators: tuple[str, ...]
    villages: pd.DataFrame
    source: str
    file: str
    scales: Mapping[str, str] = field(default_factory=dict)

    def village_values(self, indicator: str) -> pd.Series:
        """Indicator value (percent) by village id (villages without a value absent)."""
        frame = self.villages.set_index("village_id")[indicator]
        return frame.dropna().astype(float)


@dataclass(frozen=True)
class NeedReadResult:
    """Result of :func:`read_need`: the table (``None`` on failure), problems, failure."""

    table: NeedTable | None
    problems: tuple[RowProblem, ...]
    failure: Any = None


class _TargetReader(ResponsibilityRowReader):
    """The Gemeinde/Ort matching of the Zuständigkeit reader (same messages)."""

    def __init__(
        self, path: Path, roles: Mapping[str, str], villages: pd.DataFrame,
        problems: list[RowProblem],
    ) -> None:  # fmt: skip
        no_offers = pd.DataFrame({"id": [], "name": [], "category": []})
        full = {**roles, "stelle": "", "category": ""}
        super().__init__(
            path, full, {}, villages=villages, offers=no_offers, addresses=None,
            region_bounds=None, problems=problems,
        )  # fmt: skip
        self.roles = roles

    def target(
        self, row: int, values: Mapping[str, Any]
    ) -> tuple[str, str, str, tuple[str, ...]] | None:
        """``(level, target, name, village ids)`` of one row, ``None`` when not usable."""
        if not any(self.cell(values, r) for r in ("gemeinde", "ags", "ort")):
            self.problem(
                row, None, "row without Gemeinde or Ort; skipped",
                "Zeile ohne Gemeinde und Ort; nicht verwendet (erwartet: Gemeinde, AGS oder Ort)",
            )  # fmt: skip
            return None
        found = self._target(row, values)
        if found is None:
            return None
        return found.level, found.target, found.name, found.village_ids


def read_need(
    path: Path, *, villages: pd.DataFrame, attribution: str | None = None
) -> NeedReadResult:
    """Read and check a table of social indicators against the run's villages.

    Parameters
    ----------
    path
        The table (CSV/XLSX): ``Gemeinde`` and/or ``AGS`` or ``Ort``; one or
        more numeric indicator columns; optional ``Quelle``.
    villages
        The run's villages (``id``, ``name``, ``ags``, ``gemeinde``).
    attribution
        The source named in the region file (``[attribution] need``); used
        when the table has no ``Quelle`` column.

    Returns
    -------
    NeedReadResult

    Raises
    ------
    InputDataError
        Missing, unreadable or empty file.
    MissingColumnError
        Neither Gemeinde/AGS nor Ort, or no indicator column.
    """
    path = Path(path)
    table = read_table(path)
    problems = table_problems(table)
    roles = _roles([str(c) for c in table.columns])
    _check_keys(path, table, roles)
    records = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
    indicators = _indicator_columns(path, table, roles, problems)
    if not indicators:
        found = ", ".join(map(str, table.columns))
        msg = f"no indicator column with numbers; columns found: {found}"
        raise MissingColumnError(
            msg, file=path, expected="a numeric indicator column",
            message_de="Keine Spalte mit Kennzahlen (z. B. „SGB-II-Quote Kinder (%)“); "
            f"gefundene Spalten: {found}",
        )  # fmt: skip
    percent = {c: _is_percent(table[c]) for c in indicators}
    reader = _TargetReader(path, roles, villages, problems)
    rows = _rows(path, table, records, reader, indicators, percent, problems)
    source = _source(path, table, roles, attribution, problems)
    problems.sort(key=lambda p: (p.row, p.severity != "error"))
    if not rows:
        return NeedReadResult(None, tuple(problems), no_usable_rows(
            path, problems, what="social indicators", what_de="Sozialindikatoren"))  # fmt: skip
    short = [_label(c) for c in indicators]
    names = tuple(n if short.count(n) == 1 else c for n, c in zip(short, indicators, strict=True))
    frame = pd.DataFrame(rows).rename(columns=dict(zip(indicators, names, strict=True)))
    scales = {
        n: "Prozent" if percent[c] else "Anteil" for c, n in zip(indicators, names, strict=True)
    }
    per_village = _per_village(frame, names)
    frame = frame.drop(columns="village_ids")
    result = NeedTable(frame, names, per_village, source, path.name, scales)
    logger.info("%s: %d need rows, %d indicators", path.name, len(frame), len(names))
    return NeedReadResult(result, tuple(problems))


def _label(column: str) -> str:
    """The indicator name without a unit in brackets („Quote (%)“ → „Quote“)."""
    text = column.split("(", maxsplit=1)[0].strip()
    return text or column


def _roles(columns: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for role, aliases in _KEY_ROLES.items():
        hit = next(
            (c for a in aliases for c in columns if key(c) == a and c not in roles.values()), None
        )
        if hit is not None:
            roles[role] = hit
    return roles


def _check_keys(path: Path, table: pd.DataFrame, roles: Mapping[str, str]) -> None:
    found = ", ".join(map(str, table.columns))
    if not {"gemeinde", "ags", "ort"} & roles.keys():
        msg = f"no Gemeinde, AGS or Ort column; columns found: {found}"
        raise MissingColumnError(
            msg, file=path, expected="gemeinde / ags / ort",
            message_de=f"Spalte Gemeinde (oder AGS oder Ort) fehlt; gefundene Spalten: {found}",
        )  # fmt: skip
    if table.empty:
        msg = "the file has a header but no data rows"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Datenzeilen")


def _number(value: object) -> float | None:
    """A cell as a number (``None``: empty or marker; ValueError: text)."""
    text = cell_text(value)
    if text.lower() in MISSING_MARKERS:
        return None
    return (
        parse_number(text.replace("%", "").strip())
        if isinstance(value, str)
        else parse_number(value)
    )


def _numbers(values: pd.Series) -> list[float]:
    out = []
    for v in values:
        try:
            n = _number(v)
        except ValueError:
            continue
        if n is not None:
            out.append(n)
    return out


def _indicator_columns(
    path: Path, table: pd.DataFrame, roles: Mapping[str, str], problems: list[RowProblem]
) -> list[str]:
    """Every column other than the keys and the source with at least one number.

    A column without numbers is reported as unused; one whose numbers are all
    above 100 (counts such as „Kinder 0–5“) too: it cannot be a quota.
    """
    taken = set(roles.values())
    out: list[str] = []
    for col in map(str, table.columns):
        if col in taken:
            continue
        numbers = _numbers(table[col])
        if numbers and min(numbers) > 100:
            problems.append(RowProblem(
                path.name, 1, col, f"column {col!r} is not used: all values above 100",
                f"Spalte „{col}“ wird nicht verwendet: alle Werte über 100, also keine Quote "
                "und kein Anteil (z. B. Anzahlen); erwartet: Prozent 0 bis 100 oder Anteil 0 bis 1",
                "warning"))  # fmt: skip
        elif numbers:
            out.append(col)
    unused = [c for c in map(str, table.columns) if c not in taken and c not in out]
    silent = [c for c in unused if not any(p.column == c and p.row == 1 for p in problems)]
    problems.extend(unused_columns(path, silent, (), {}))
    return out


def _is_percent(values: pd.Series) -> bool:
    """Percent when a cell has „%“ or a value is above 1 (documented in the module)."""
    for v in values:
        if isinstance(v, str) and "%" in v:
            return True
        try:
            n = _number(v)
        except ValueError:
            continue
        if n is not None and n > 1:
            return True
    return False


def _rows(  # noqa: PLR0917 (private helper of read_need)
    path: Path, table: pd.DataFrame, records: list[dict[str, Any]], reader: _TargetReader,
    indicators: list[str], percent: Mapping[str, bool], problems: list[RowProblem],
) -> list[dict[str, Any]]:  # fmt: skip
    """The usable rows (with a target and at least one value); problems recorded."""
    seen: dict[tuple[str, str], int] = {}
    out: list[dict[str, Any]] = []
    for rownum, values in zip(table.index, records, strict=True):
        row = int(rownum)
        target = reader.target(row, values)
        if target is None:
            continue
        level, tid, name, vids = target
        if (level, tid) in seen:
            problems.append(RowProblem(
                path.name, row, None, f"repeats {name!r} of row {seen[level, tid]}; skipped",
                f"„{name}“ steht schon in Zeile {seen[level, tid]}; diese Zeile wird nicht "
                "verwendet (erwartet: eine Zeile je Gemeinde bzw. Ort)", "error"))  # fmt: skip
            continue
        cells = {c: _value(path.name, row, c, values[c], percent[c], problems) for c in indicators}
        if all(v is None for v in cells.values()):
            problems.append(RowProblem(
                path.name, row, None, "row without a usable value; skipped",
                "Zeile ohne verwendbaren Wert; nicht verwendet (erwartet: eine Zahl je "
                "Kennzahl, z. B. 17,5 oder 17,5 %)", "error"))  # fmt: skip
            continue
        seen[level, tid] = row
        out.append({"level": level, "target": tid, "name": name, "row": row,
                    "village_ids": vids, **{c: float("nan") if v is None else v
                                           for c, v in cells.items()}})  # fmt: skip
    return out


def _value(  # noqa: PLR0917 (private helper of _rows)
    fname: str, row: int, col: str, raw: object, percent: bool, problems: list[RowProblem]
) -> float | None:
    """One indicator cell in percent; ``None`` (and a problem) when not usable."""
    try:
        n = _number(raw)
    except ValueError:
        problems.append(RowProblem(
            fname, row, col, f"{raw!r} is not a number; cell ignored",
            f"„{cell_text(raw)}“ ist keine Zahl; Wert nicht verwendet (erwartet: z. B. 17,5 "
            "oder 17,5 %)", "error"))  # fmt: skip
        return None
    if n is None:
        return None
    value = n if percent else n * 100.0
    if not 0.0 <= value <= 100.0:
        problems.append(RowProblem(
            fname, row, col, f"{raw!r} is outside 0-100 %; cell ignored",
            f"„{cell_text(raw)}“ liegt außerhalb von 0 bis 100 %; Wert nicht verwendet "
            "(erwartet: ein Anteil in Prozent, z. B. 17,5)", "error"))  # fmt: skip
        return None
    return value


def _source(
    path: Path, table: pd.DataFrame, roles: Mapping[str, str], attribution: str | None,
    problems: list[RowProblem],
) -> str:  # fmt: skip
    """The named source; a warning (row 1) and :data:`NO_SOURCE_DE` without one."""
    col = roles.get("source")
    named = list(dict.fromkeys(t for v in table[col] if (t := cell_text(v)))) if col else []
    if named:
        return "; ".join(named)
    if attribution and attribution.strip():
        return attribution.strip()
    problems.append(RowProblem(
        path.name, 1, None, "no source named (column Quelle or [attribution] need)",
        "Keine Quelle angegeben: bitte eine Spalte „Quelle“ ergänzen oder in der Regionsdatei "
        "unter [attribution] need die Quelle nennen; angezeigt wird „Quelle nicht angegeben“",
        "warning"))  # fmt: skip
    return NO_SOURCE_DE


def _per_village(rows: pd.DataFrame, indicators: tuple[str, ...]) -> pd.DataFrame:
    """One row per village: the Ort row's values, else its Gemeinde's."""
    out: dict[str, dict[str, Any]] = {}
    for rec in sorted(rows.to_dict("records"), key=lambda r: r["level"] == "ort"):
        for vid in rec["village_ids"]:
            entry = out.setdefault(str(vid), {"village_id": str(vid)} | dict.fromkeys(indicators))
            entry["basis"] = _BASIS_DE[rec["level"]]
            entry.update({c: rec[c] for c in indicators if pd.notna(rec[c])})  # Ort wins
    cols = ["village_id", "basis", *indicators]
    return pd.DataFrame(list(out.values()), columns=cols)
