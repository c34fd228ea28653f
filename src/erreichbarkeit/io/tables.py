"""Read CSV and XLSX tables "as Germans write them".

:func:`read_table` reads ``;``, ``,``, tab or ``|`` separated text (UTF-8
with or without BOM, Windows-1252 or UTF-16) and XLSX workbooks, skips
title rows above the header and empty rows, and keeps every row's
spreadsheet row number as the index.  :class:`RowProblem` describes a
problem in one row of such a table.

Rows are 1-based as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io._cells import cell_text
from erreichbarkeit.io._csv_rows import LineNote, decode_lines, parse_records, strip_nuls

__all__ = ["RowProblem", "read_table", "table_problems"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowProblem:
    """One problem in one row of an input file.

    Attributes
    ----------
    file
        File name.
    row
        1-based row as a spreadsheet shows it (header = row 1).
    column
        Column name as written in the file, if the problem is in one cell.
    message, message_de
        English and German description.
    severity
        ``"error"``: the row is not used; ``"warning"``: the row is used
        (possibly corrected, e.g. swapped coordinates).
    """

    file: str
    row: int
    column: str | None
    message: str
    message_de: str
    severity: Literal["error", "warning"]


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 4:
        # UTF-16 without a byte-order mark ("Unicode text" from some tools):
        # every ASCII character has a NUL byte before (BE) or after (LE) it.
        even_nuls = head[0::2].count(b"\x00")
        odd_nuls = head[1::2].count(b"\x00")
        codec = "utf-16-be" if even_nuls > odd_nuls else "utf-16-le"
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # the five bytes cp1252 leaves undefined; latin-1 maps every byte
        return data.decode("latin-1")


def _delimiter(text: str) -> str:
    """Choose the field separator: ``csv.Sniffer``, checked for consistency."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    sample = "\n".join(lines)
    candidates = [";", "\t", ",", "|"]

    def consistency(delim: str) -> tuple[float, int]:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if any(r)]
        if not rows:
            return 0.0, 0
        # the most common row width (a few broken rows must not decide), ties to the wider
        counts = Counter(len(r) for r in rows)
        width = max(counts, key=lambda w: (counts[w], w))
        if width < 2:
            return 0.0, width
        same = counts[width] / len(rows)
        return same, width

    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(candidates)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed is not None:
        share, width = consistency(sniffed)
        if width >= 2 and share >= 0.8:
            return sniffed
    # Fallback: the separator giving the most consistent rows, then the most
    # columns; ties go to the order of `candidates` (';' is the German default).
    scored = [(consistency(d), -i, d) for i, d in enumerate(candidates)]
    best = max(scored, key=lambda t: (t[0][0] >= 0.8, t[0][1] >= 2, t[0][0], t[0][1], t[1]))
    return best[2] if best[0][1] >= 2 else ";"


#: Leading bytes of files that are not text tables although named ``.csv``:
#: (magic, English name, German name).
_NOT_CSV_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)", "ein ZIP-Archiv (eine .xlsx-Datei?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", "eine alte Excel-Datei (.xls)"),
    (b"%PDF", "a PDF document", "ein PDF-Dokument"),
    (b"\x1f\x8b", "a gzip archive", "ein gzip-Archiv"),
    (b"BZh", "a bzip2 archive", "ein bzip2-Archiv"),
    (b"\x89PNG", "a PNG image", "ein PNG-Bild"),
    (b"\xff\xd8\xff", "a JPEG image", "ein JPEG-Bild"),
)


def _not_a_table(path: Path, what: str, what_de: str) -> InputDataError:
    msg = f"this is not a CSV table but {what}"
    return InputDataError(
        msg,
        file=path,
        expected="a CSV text table (or save the table as .xlsx and name it so)",
        message_de=f"Die Datei ist keine CSV-Tabelle, sondern {what_de}; bitte die Tabelle "
        "als .csv (Trennzeichen ;) oder .xlsx speichern",
    )


def _is_utf8(data: bytes) -> bool:
    """Whether the whole file decodes as UTF-8 (then no line needs a second look)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_text(path: Path, data: bytes) -> tuple[str, list[LineNote]]:
    """Decoded text and per-line notes (mixed encodings, NUL bytes)."""
    head = data[:4096]
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") >= len(head) // 4
    mixed = None if utf16 or _is_utf8(data) else decode_lines(data)
    text, notes = mixed if mixed is not None else (_decode(data), [])
    if "\x00" in text:
        cleaned = strip_nuls(text)
        if cleaned is None:
            raise _not_a_table(path, "a binary file", "eine Binärdatei")
        text, nul_notes = cleaned
        notes = [*notes, *nul_notes]
    return text, notes


def _csv_rows(path: Path) -> tuple[list[list[Any]], list[RowProblem]]:
    data = path.read_bytes()
    for magic, what, what_de in _NOT_CSV_MAGIC:
        if data.startswith(magic):
            raise _not_a_table(path, what, what_de)
    text, line_notes = _csv_text(path, data)
    if not text.strip():
        return [], []
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        raise _not_a_table(
            path,
            "a web page or XML document (an error page instead of the download?)",
            "eine Webseite oder ein XML-Dokument (eine Fehlerseite statt des Downloads?)",
        )
    delim = _delimiter(text)
    logger.debug("%s: separator %r", path.name, delim)
    # The csv module (not pd.read_csv) keeps ragged rows and the record number
    # of every row, which is the row number a spreadsheet shows.
    rows, row_notes, line_to_row = parse_records(text, delim)
    problems = [
        RowProblem(
            path.name, line_to_row.get(n.line, n.line), None, n.message, n.message_de, n.severity
        )
        for n in line_notes
    ]
    problems += [
        RowProblem(path.name, n.line, None, n.message, n.message_de, n.severity) for n in row_notes
    ]
    return [list(r) for r in rows], problems


#: Workbooks up to this size are opened a second time (not read-only) to
#: learn their merged cells; larger ones are read as they are.
_MERGED_CELLS_MAX_BYTES = 5_000_000


def _unreadable_xlsx(path: Path, exc: BaseException) -> InputDataError:
    msg = f"not a readable XLSX file: {type(exc).__name__}: {exc}"
    return InputDataError(
        msg,
        file=path,
        expected="an .xlsx workbook",
        message_de="Keine lesbare XLSX-Datei (beschädigt, verschlüsselt oder eine umbenannte "
        f"andere Datei): {exc}",
    )


def _xlsx_rows(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[RowProblem]]:
    try:
        return _xlsx_rows_unchecked(path, sheet)
    except InputDataError:
        raise
    except Exception as exc:
        # openpyxl, zipfile and the XML parsers raise many unrelated types for
        # damaged, encrypted or renamed files (BadZipFile, KeyError,
        # InvalidFileException, ElementTree.ParseError, …): all mean "unreadable".
        raise _unreadable_xlsx(path, exc) from exc


def _fill_merged(path: Path, index: int, rows: list[list[Any]]) -> None:
    """Give every cell of a merged range the value of its top-left cell.

    Planners merge header cells over sub-columns ("Koordinaten" over Breite
    and Länge) and category cells over several rows ("Kita" for three
    offers); read-only openpyxl reports the hidden cells as empty.
    """
    import openpyxl  # noqa: PLC0415  (only XLSX needs it)

    if path.stat().st_size > _MERGED_CELLS_MAX_BYTES:
        return
    wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    try:
        ranges = list(wb.worksheets[index].merged_cells.ranges)
    finally:
        wb.close()
    for rng in ranges:
        r0, c0 = rng.min_row - 1, rng.min_col - 1
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        outside = [v for j, v in enumerate(rows[r0]) if not c0 <= j < rng.max_col]
        if rng.min_row == rng.max_row and all(v is None for v in outside):
            continue  # a title merged over the table: stays one cell, skipped as a title
        value = rows[r0][c0]
        for r in range(r0, min(rng.max_row, len(rows))):
            row = rows[r]
            if len(row) < rng.max_col:
                row.extend([None] * (rng.max_col - len(row)))
            for c in range(c0, rng.max_col):
                if row[c] is None:
                    row[c] = value


def _holds_table(ws: Any) -> bool:
    """Whether a sheet has a row with at least two filled cells (in its first 50 rows)."""
    for r in ws.iter_rows(max_row=50, values_only=True):
        if sum(_clean_cell(v) is not None for v in r) >= 2:
            return True
    return False


def _default_sheet(path: Path, wb: Any) -> tuple[int, list[RowProblem]]:
    """The active sheet if visible, else the first visible one; a note when others hold tables."""
    sheets = list(wb.worksheets)
    visible = [
        i for i, ws in enumerate(sheets) if getattr(ws, "sheet_state", "visible") == "visible"
    ]
    active = wb.active
    index = next((i for i, ws in enumerate(sheets) if ws is active), -1)
    if index not in visible:
        index = visible[0] if visible else 0
    name = sheets[index].title
    if index != 0:
        logger.info("%s: reading sheet %r (the active visible one)", path.name, name)
    others = [sheets[i].title for i in visible if i != index and _holds_table(sheets[i])]
    if not others:
        return index, []
    listed = ", ".join(f"„{o}“" for o in others)
    note = RowProblem(
        path.name,
        1,
        None,
        f"the workbook has several sheets with tables; read sheet {name!r} (the active one), "
        f"not {others}",
        f"Die Arbeitsmappe hat mehrere Tabellenblätter mit Daten; gelesen wird das aktive "
        f"Blatt „{name}“, nicht {listed}",
        "warning",
    )
    logger.warning("%s: %s", path.name, note.message)
    return index, [note]


def _xlsx_rows_unchecked(
    path: Path, sheet: str | int | None
) -> tuple[list[list[Any]], list[RowProblem]]:
    import openpyxl  # noqa: PLC0415  (only XLSX needs it)

    wb_values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    problems: list[RowProblem] = []
    try:
        names = wb_values.sheetnames
        if sheet is None:
            index, problems = _default_sheet(path, wb_values)
        elif isinstance(sheet, int):
            index = sheet
        elif sheet in names:
            index = names.index(sheet)
        else:
            index = -1
        if not 0 <= index < len(names):
            msg = f"sheet {sheet!r} not found; sheets are {names}"
            raise InputDataError(
                msg,
                file=path,
                expected=", ".join(names),
                message_de=f"Tabellenblatt „{sheet}“ nicht gefunden; vorhanden: "
                + ", ".join(names),
            )
        rows = [list(r) for r in wb_values.worksheets[index].iter_rows(values_only=True)]
    finally:
        wb_values.close()
    if any(v is None for r in rows for v in r):
        # Cells starting with "=" are formulas to Excel.  Without a cached
        # value (files written by scripts) data_only gives None; the user's
        # text is then the formula itself, which we keep as data.
        wb_formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            ws = wb_formulas.worksheets[index]
            for i, r in enumerate(ws.iter_rows(values_only=True)):
                if i >= len(rows):
                    break
                for j, v in enumerate(r):
                    if j < len(rows[i]) and rows[i][j] is None and isinstance(v, str):
                        rows[i][j] = v
        finally:
            wb_formulas.close()
        _fill_merged(path, index, rows)
    return rows, problems


def _clean_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        s = unicodedata.normalize("NFC", value).replace("\xa0", " ").strip()
        return s or None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def read_table(path: Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as planners write them.

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv`` (separator ``;``, ``,``, tab or ``|``;
        UTF-8 with or without BOM, Windows-1252, UTF-16) or ``.xlsx``/``.xlsm``.
    sheet
        XLSX sheet name or 0-based index (default: the first sheet).

    Returns
    -------
    pandas.DataFrame
        Object columns: stripped strings, numbers for numeric XLSX cells,
        ``None`` for empty cells.  The header is the first row with at least
        two filled cells (a title line above it is skipped); entirely empty
        rows are dropped.  The index (named ``row``) is the 1-based row
        number a spreadsheet shows.

    Raises
    ------
    InputDataError
        If the file is missing, unreadable, empty, or has no header row.
    """
    path = Path(path)
    if not path.is_file():
        msg = "file not found"
        raise InputDataError(msg, file=path, message_de="Datei nicht gefunden")
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".numbers"):
        msg = f"{suffix} files are not supported"
        raise InputDataError(
            msg,
            file=path,
            expected=".xlsx or .csv",
            message_de=f"{suffix}-Dateien werden nicht unterstützt; bitte als .xlsx oder "
            ".csv speichern",
        )
    try:
        raw, problems = _xlsx_rows(path, sheet) if suffix in (".xlsx", ".xlsm") else _csv_rows(path)
    except (OSError, csv.Error, UnicodeError) as exc:
        msg = f"cannot read the file: {exc}"
        raise InputDataError(msg, file=path, message_de=f"Datei unlesbar: {exc}") from exc
    return _frame(path, raw, problems, csv_file=suffix not in (".xlsx", ".xlsm"))


def table_problems(frame: pd.DataFrame) -> list[RowProblem]:
    """Row problems found while reading ``frame`` with :func:`read_table`.

    Rows with an ``"error"`` are not in the frame; ``"warning"`` rows are.
    """
    return list(frame.attrs.get(_PROBLEMS_ATTR, []))


_PROBLEMS_ATTR = "row_problems"


def _row_note(
    path: Path,
    rownum: int,
    row: list[Any],
    header: list[Any],
    raw_header_len: int,
    *,
    csv_file: bool,
) -> RowProblem | None:
    """Why a body row cannot be used as it is (extra fields, only stray cells), if so."""
    extra = [v for v in row[raw_header_len:] if v is not None]
    if csv_file and extra:
        fields = raw_header_len + len(row[raw_header_len:])
        return RowProblem(
            path.name,
            rownum,
            None,
            f"row has more fields ({fields}) than the header ({raw_header_len}); not used "
            f"(a separator inside a value? extra values: {extra[:3]})",
            f"Zeile hat mehr Felder ({fields}) als die Kopfzeile ({raw_header_len}); nicht "
            "verwendet (Trennzeichen in einem Wert? Überzählige Werte: "
            + ", ".join(f"„{cell_text(v)}“" for v in extra[:3])
            + ")",
            "error",
        )
    named = [v for j, v in enumerate(row) if v is not None and j < len(header) and header[j]]
    if named:
        return None
    stray = [(j, v) for j, v in enumerate(row) if v is not None]
    where = ", ".join(f"{_column_letter(j)}: „{cell_text(v)}“" for j, v in stray[:3])
    return RowProblem(
        path.name,
        rownum,
        None,
        f"only cells outside the table's columns ({where}); row ignored",
        f"Nur Werte außerhalb der Tabellenspalten ({where}); Zeile nicht verwendet",
        "warning",
    )


def _column_letter(j: int) -> str:
    """Spreadsheet column letter of the 0-based column ``j`` (0 → A, 25 → Z, 26 → AA)."""
    out = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        out = chr(65 + rem) + out
    return out


def _frame(
    path: Path, raw: list[list[Any]], problems: list[RowProblem], *, csv_file: bool
) -> pd.DataFrame:
    """The table below its header row, indexed by spreadsheet row number."""
    rows = [[_clean_cell(v) for v in r] for r in raw]
    width = max((len(r) for r in rows), default=0)
    filled = [sum(v is not None for v in r) for r in rows]
    if not any(filled):
        msg = "the file is empty"
        raise InputDataError(msg, file=path, message_de="Die Datei ist leer")
    need = min(2, max(filled))
    header_i = next(i for i, n in enumerate(filled) if n >= need)
    header = rows[header_i] + [None] * (width - len(rows[header_i]))
    raw_header_len = len(rows[header_i]) if csv_file else width
    problems = [p for p in problems if p.row > header_i + 1 or p.severity == "warning"]
    dropped = {p.row for p in problems if p.severity == "error"}
    body: list[tuple[int, list[Any]]] = []
    for i, r in enumerate(rows[header_i + 1 :], start=header_i + 1):
        if not filled[i] or i + 1 in dropped:
            continue
        note = _row_note(path, i + 1, r, header, raw_header_len, csv_file=csv_file)
        if note is not None:
            problems.append(note)
            continue
        body.append((i + 1, r + [None] * (width - len(r))))
    keep = [
        j for j in range(width) if header[j] is not None or any(r[j] is not None for _, r in body)
    ]
    names: list[str] = []
    for j in keep:
        name = cell_text(header[j]) or f"Spalte_{j + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}.{n}", n + 1
        names.append(name)
    frame = pd.DataFrame(
        [[r[j] for j in keep] for _, r in body],
        columns=names,
        dtype=object,
        index=pd.Index([i for i, _ in body], name="row"),
    )
    if frame.columns.empty:
        msg = "no header row found"
        raise InputDataError(msg, file=path, message_de="Keine Kopfzeile gefunden")
    problems.sort(key=lambda p: p.row)
    for p in problems:
        logger.warning("%s, row %d: %s", p.file, p.row, p.message)
    frame.attrs[_PROBLEMS_ATTR] = problems
    return frame
