"""Text of a CSV file → rows, where one bad row never sinks the file.

:func:`decode_lines` decodes a UTF-8 file holding a few Windows-1252 rows
(text pasted from an old program) line by line and drops stray NUL bytes;
:func:`parse_records` splits the text into records and recovers the rows an
unterminated quote would otherwise swallow.  Both report what they did per
row, so the readers can name the row and use the others.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Literal

__all__ = ["LineNote", "decode_lines", "parse_records"]

#: A file whose NUL-containing lines exceed this share is binary, not a table.
_NUL_LINE_SHARE = 0.1


@dataclass(frozen=True)
class LineNote:
    """A problem of one physical line (1-based) or record (1-based) of a CSV text."""

    line: int
    message: str
    message_de: str
    severity: Literal["error", "warning"]


def _split_keep(data: bytes) -> list[bytes]:
    """Lines of ``data`` with their line ends."""
    return data.splitlines(keepends=True)


def decode_lines(data: bytes) -> tuple[str, list[LineNote]] | None:
    """Decode a mostly-UTF-8 file line by line.

    Returns
    -------
    tuple or None
        ``(text, notes)`` when the file is UTF-8 except for some lines (those
        are decoded as Windows-1252, each with a warning); ``None`` when the
        file is not mostly UTF-8 (the caller decodes it as one encoding).
    """
    lines = _split_keep(data)
    bad: list[int] = []
    utf8_non_ascii = False
    parts: list[str] = []
    for i, ln in enumerate(lines):
        try:
            parts.append(ln.decode("utf-8-sig" if i == 0 else "utf-8"))
            utf8_non_ascii = utf8_non_ascii or not ln.isascii()
        except UnicodeDecodeError:
            bad.append(i)
            try:
                parts.append(ln.decode("cp1252"))
            except UnicodeDecodeError:
                parts.append(ln.decode("latin-1"))
    if not bad or not utf8_non_ascii:
        return None
    notes = [
        LineNote(
            i + 1,
            "line is not UTF-8 like the rest of the file; read as Windows-1252",
            "Zeile ist nicht wie die übrige Datei UTF-8-kodiert; als Windows-1252 gelesen "
            "(bitte Umlaute prüfen)",
            "warning",
        )
        for i in bad
    ]
    return "".join(parts), notes


def strip_nuls(text: str) -> tuple[str, list[LineNote]] | None:
    """Drop NUL characters from a few lines; ``None`` when the text looks binary."""
    lines = text.splitlines(keepends=True)
    nul_lines = [i for i, ln in enumerate(lines) if "\x00" in ln]
    first = next((i for i, ln in enumerate(lines) if ln.strip("\x00\r\n\t ")), 0)
    if first in nul_lines or len(nul_lines) > max(1, _NUL_LINE_SHARE * len(lines)):
        return None
    notes = [
        LineNote(
            i + 1,
            "NUL bytes removed from this line",
            "Zeile enthält Nullzeichen (NUL); sie wurden entfernt",
            "warning",
        )
        for i in nul_lines
    ]
    return "".join(ln.replace("\x00", "") for ln in lines), notes


def _records(text: str, delim: str) -> list[tuple[list[str], int, int]]:
    """Records with their first and last physical line (1-based)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out: list[tuple[list[str], int, int]] = []
    prev = 0
    for rec in reader:
        start = prev + 1
        prev = reader.line_num
        out.append((list(rec), start, prev))
    return out


def _swallowed(rec: list[str], delim: str, width: int) -> bool:
    """Whether a multi-line field holds whole table rows (an unterminated quote)."""
    need = max(1, width - 2)
    for value in rec:
        if "\n" in value or "\r" in value:
            inner = value.splitlines()[1:]
            if any(ln.count(delim) >= need for ln in inner):
                return True
    return False


def parse_records(text: str, delim: str) -> tuple[list[list[str]], list[LineNote], dict[int, int]]:
    """Records of a CSV text; rows swallowed by an unterminated quote are recovered.

    Returns
    -------
    tuple
        ``(rows, notes, line_to_row)``: the rows (a spreadsheet's row ``i + 1``
        is ``rows[i]``), problems by row, and physical line → row number.
    """
    records = _records(text, delim)
    widths = Counter(len(r) for r, _, _ in records if len(r) > 1)
    width = widths.most_common(1)[0][0] if widths else 1
    physical = text.splitlines()
    rows: list[list[str]] = []
    notes: list[LineNote] = []
    line_to_row: dict[int, int] = {}
    for rec, start, end in records:
        if end > start and _swallowed(rec, delim, width):
            rows.append([])
            line_to_row[start] = len(rows)
            notes.append(
                LineNote(
                    len(rows),
                    f"unterminated quote; this row is not used, the following {end - start} "
                    "lines are read as rows",
                    'Anführungszeichen (") nicht geschlossen; diese Zeile wird nicht '
                    f"verwendet, die folgenden {end - start} Zeilen werden einzeln gelesen",
                    "error",
                )
            )
            for line in range(start + 1, end + 1):
                text_line = physical[line - 1] if line - 1 < len(physical) else ""
                rows.append(next(csv.reader([text_line], delimiter=delim), []))
                line_to_row[line] = len(rows)
            continue
        rows.append(rec)
        for line in range(start, end + 1):
            line_to_row[line] = len(rows)
    return rows, notes, line_to_row
