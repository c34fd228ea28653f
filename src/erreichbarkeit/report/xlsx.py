"""Excel workbooks (xlsx) with formatted sheets and a closing *Methodik* sheet.

Written with XlsxWriter in constant-memory mode, atomically (temporary file
beside the target, then ``os.replace``); every text cell goes through
:func:`erreichbarkeit.report.cells.safe_cell` and XlsxWriter never turns
strings into formulas, URLs or numbers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.report.cells import display_value, is_missing, plain_table, safe_cell
from erreichbarkeit.report.headers import ColumnHeaders, Kind
from erreichbarkeit.report.readable import EXCEL_FORMATS, readable_table

__all__ = ["COLUMNS_SHEET", "EXCEL_MAX_ROWS", "METHODIK_SHEET", "write_excel"]

logger = logging.getLogger(__name__)

#: Rows of an Excel sheet (including the header row).
EXCEL_MAX_ROWS = 1_048_576
#: Name of the methods sheet :func:`write_excel` appends.
METHODIK_SHEET = "Methodik"
#: Name of the sheet listing German header, machine name and meaning of every column.
COLUMNS_SHEET = "Spalten"
_COLUMNS_HEADER = ("Tabellenblatt", "Spalte", "Spaltenname (GeoPackage/Parquet)", "Bedeutung")
_COLUMNS_NOTE = (
    "Spaltennamen",
    "Die Tabellenblätter und CSV-Dateien haben deutsche Spaltenüberschriften, gerundete Werte "
    "(Minuten und km mit einer Nachkommastelle, Kinder und Einwohner als ganze Zahlen, Anteile "
    f"in Prozent). Das Blatt „{COLUMNS_SHEET}“ nennt zu jeder Spalte den Spaltennamen in der "
    "GeoPackage- und Parquet-Datei (dort ungerundet, Anteile 0–1) und ihre Bedeutung.",
)

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 2000


def _excel_value(value: Any) -> Any:  # noqa: PLR0911 (a type dispatch)
    """A Python value XlsxWriter writes as the right cell type (None = empty)."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        return display_value(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("Europe/Berlin").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, datetime | date):
        return value.replace(tzinfo=None) if isinstance(value, datetime) else value
    return display_value(value)


def _number_format(column: str, dtype: Any) -> str | None:
    """Excel number format for a column, chosen from its name and dtype."""
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    name = column.lower()
    rules: tuple[tuple[bool, str], ...] = (
        (name in ("lon", "lat"), "0.000000"),
        ("share" in name or name.startswith("anteil"), "0.0%"),
        (name in ("minutes", "km") or name.endswith(("_min", "_km", "_minutes")), "0.0"),
        (name.endswith("_m") or name in ("population", "osm_population"), "0"),
        (name.startswith("children") or name.endswith("_beyond"), "0"),  # whole children
    )
    return next((fmt for hit, fmt in rules if hit), None)


def _width(header: str, values: Sequence[Any]) -> float:
    longest = len(str(header))
    for v in values[:_WIDTH_SAMPLE]:
        if v is None:
            continue
        text = f"{v:.1f}" if isinstance(v, float) else str(v)
        longest = max(longest, len(text))
    return float(min(longest + 2, _MAX_WIDTH))


def _validate_sheet_names(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        problem = None
        if not name or len(name) > 31:
            problem = "must have 1 to 31 characters"
        elif _BAD_SHEET_CHARS.search(name):
            problem = "must not contain [ ] : * ? / \\"
        elif name.startswith("'") or name.endswith("'"):
            problem = "must not start or end with an apostrophe"
        elif name.casefold() in seen:
            problem = "is used twice (Excel ignores case)"
        if problem:
            msg = f"sheet name {name!r} {problem}"
            raise ErreichbarkeitError(
                msg,
                expected="1–31 characters without [ ] : * ? / \\, unique",
                message_de=f"Ungültiger Tabellenblattname „{name}“",
            )
        seen.add(name.casefold())


class _Formats:
    """The workbook's cell formats, created once (XlsxWriter formats belong to a workbook)."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self.bold = wb.add_format({"bold": True})
        self.bold_top = wb.add_format({"bold": True, "valign": "top", "text_wrap": True})
        self.top = wb.add_format({"valign": "top", "text_wrap": True})
        self.datetime = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        self._numbers: dict[str, Any] = {}

    def number(self, fmt: str) -> Any:
        if fmt not in self._numbers:
            self._numbers[fmt] = self._wb.add_format({"num_format": fmt})
        return self._numbers[fmt]


def _write_table(
    ws: Worksheet, df: pd.DataFrame, formats: _Formats, kinds: Mapping[str, Kind] | None = None
) -> None:
    """Write one table row by row (constant memory) with a styled header.

    Column number formats are set on the columns; XlsxWriter applies a
    column's format to every cell written there without its own format.
    With ``kinds`` (German tables) the format follows the column's kind,
    otherwise its machine name.
    """
    columns = [str(c) for c in df.columns]
    values = [[_excel_value(v) for v in df[c].tolist()] for c in df.columns]
    for j, (header, col) in enumerate(zip(columns, values, strict=True)):
        if kinds is not None:
            fmt = EXCEL_FORMATS.get(kinds.get(header, "text"))
        else:
            fmt = _number_format(header, df[df.columns[j]].dtype)
        ws.set_column(j, j, _width(header, col), formats.number(fmt) if fmt else None)
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, len(df), len(columns) - 1)
    ws.write_row(0, 0, [safe_cell(h) for h in columns], formats.bold)
    for i, row in enumerate(zip(*values, strict=True) if values else (), start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                ws.write_datetime(i, j, value, formats.datetime)
            else:
                ws.write(i, j, value)


def _methodik_frame(methodik: Sequence[tuple[str, str]] | pd.DataFrame) -> list[tuple[str, str]]:
    if isinstance(methodik, pd.DataFrame):
        if methodik.shape[1] != 2:
            msg = "the Methodik table must have two columns (Thema, Beschreibung)"
            raise ErreichbarkeitError(msg, expected="Thema, Beschreibung")
        return [(str(a), str(b)) for a, b in methodik.itertuples(index=False, name=None)]
    return [(str(a), str(b)) for a, b in methodik]


def _german_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _write_columns_sheet(
    wb: Workbook, rows: list[tuple[str, str, str, str]], formats: _Formats
) -> None:
    """The sheet *Spalten*: German header, machine name and meaning of every column."""
    ws = wb.add_worksheet(COLUMNS_SHEET)
    for j, width in enumerate((22, 48, 40, 90)):
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, _COLUMNS_HEADER, formats.bold)
    for i, row in enumerate(rows, start=1):
        for j, text in enumerate(row):
            ws.write_string(i, j, str(safe_cell(text)), formats.top)
    ws.autofilter(0, 0, len(rows), len(_COLUMNS_HEADER) - 1)


def _fill_workbook(
    wb: Workbook,
    sheets: Mapping[str, pd.DataFrame],
    methodik: list[tuple[str, str]],
    limit: int,
    headers: ColumnHeaders | None = None,
) -> list[tuple[str, str]]:
    """Write the tables and the Methodik sheet; return the notes on skipped tables."""
    formats = _Formats(wb)
    notes: list[tuple[str, str]] = []
    described: list[tuple[str, str, str, str]] = []
    for name, df in sheets.items():
        if len(df) > limit:
            logger.info("sheet %s skipped: %d rows > %d", name, len(df), limit)
            notes.append(
                (
                    f"Tabelle „{name}“",
                    f"Nicht in dieser Arbeitsmappe: {_german_int(len(df))} Zeilen sind mehr als "
                    f"die hier erlaubten {_german_int(limit)}. Die vollständige Tabelle liegt "
                    "als CSV-/Parquet-Datei neben dieser Datei.",
                )
            )
            continue
        if headers is None:
            _write_table(wb.add_worksheet(name), plain_table(df), formats)
            continue
        table = readable_table(df, headers)
        _write_table(wb.add_worksheet(name), table.frame, formats, table.kinds)
        described.extend((name, *col) for col in table.columns)
    if headers is not None:
        _write_columns_sheet(wb, described, formats)
        notes.append(_COLUMNS_NOTE)
    ws = wb.add_worksheet(METHODIK_SHEET)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 110)
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, ["Thema", "Beschreibung"], formats.bold)
    for i, (thema, text) in enumerate([*methodik, *notes], start=1):
        ws.write_string(i, 0, str(safe_cell(thema)), formats.bold_top)
        ws.write_string(i, 1, str(safe_cell(text)), formats.top)
    return notes


def write_excel(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    methodik: Sequence[tuple[str, str]] | pd.DataFrame,
    max_rows_per_sheet: int = 1_000_000,
    headers: ColumnHeaders | None = None,
) -> Path:
    """Write tables to an xlsx workbook with a closing Methodik sheet.

    Each sheet gets a bold, frozen header row with an autofilter, column
    widths fitted to the content (max. 60 characters) and number formats
    (``0.0`` for minutes and km, ``0.0%`` for shares, ``0`` for population
    and metres, ``0.000000`` for lon/lat).  Every text cell goes through
    :func:`safe_cell`; NaN becomes an empty cell.  Geometry columns are
    dropped and, for point layers, replaced by ``lon``/``lat``.

    Parameters
    ----------
    path
        Target ``.xlsx`` file (replaced atomically).
    sheets
        Tables by (German) sheet name, in the order given, e.g. ``Orte``,
        ``Gemeinden``, ``Angebote``, ``Reisezeiten``.
    methodik
        ``(Thema, Beschreibung)`` rows (see :func:`methodik_rows`) or a
        two-column DataFrame; written as the last sheet ``Methodik``.
    max_rows_per_sheet
        Tables with more data rows are left out; a note row in Methodik says
        so.  Capped at Excel's limit of 1,048,575 data rows.
    headers
        With a label table, every sheet is shown as people read it
        (:func:`~erreichbarkeit.report.readable.readable_table`: German
        headers, minutes and km with one decimal, people as whole numbers,
        shares in percent with a ``%`` format) and a sheet ``Spalten`` before
        Methodik lists German header, machine name and meaning of every
        column.  ``None``: headers and values as given.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ErreichbarkeitError
        If a sheet name is invalid or repeated (or is ``Methodik``).
    """
    path = Path(path)
    extra = [COLUMNS_SHEET] if headers is not None else []
    _validate_sheet_names([*sheets.keys(), *extra, METHODIK_SHEET])
    limit = min(max_rows_per_sheet, EXCEL_MAX_ROWS - 1)
    with atomic_path(path) as tmp:
        # XlsxWriter (not openpyxl) because it writes large sheets several
        # times faster; strings stay strings (no formula/URL/number guessing).
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
            },
        )
        try:
            _fill_workbook(wb, sheets, _methodik_frame(methodik), limit, headers)
        finally:
            wb.close()
    logger.info("wrote %s (%d tables)", path, len(sheets))
    return path
