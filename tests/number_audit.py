"""What the number audit checks in a text, a table or a whole AppTest page.

Helpers of ``tests/test_number_audit.py`` (and its files part), kept apart
so both stay short: every function returns the problems it finds as short
German-free strings ``"<where>: <kind>: <token>"``, so a test can compare
them with a list of known findings exactly.

The rules:

* no English decimal point: a run of digits and dots such as ``12.5`` is a
  problem unless it is a German thousands group (``1.234``, ``60.969``); runs
  with two or more dots are thousands, dates (``08.12.2026``) or versions
  (``0.1.0``), never an English decimal; times (``07:30``), AGS codes and decimal commas
  have no dot and never match;
* no missing-value spelling: ``None``, ``nan``, ``NaN``, ``<NA>``, ``NaT``,
  ``inf``;
* no English UI word of :data:`ENGLISH` (the browser scan's list);
* tables: every cell is checked as text (a Styler's display values, else the
  values Streamlit prints); a numeric column without a Styler is a problem
  (Streamlit prints ``12.5`` and ``1234``); children columns hold whole
  numbers; share columns say „%“ in the header or in every value; the
  numbers of one column have the same number of decimals; tables
  with one row per figure („Kennzahl“) are checked row by row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

#: The English words of the browser scan (``tests/test_browser_pages.py``:
#: ``ENGLISH``; that module skips on import without a browser, so the list is
#: repeated here) without the missing-value spellings, which :data:`MISSING` has.
ENGLISH = (
    "Select all", "Upload", "Browse files", "Drag and drop", "per file", "Page not found",
    "mi", "invalid choice", "Warning", "Error", "Loading", "Running", "Choose an option",
    "Choose options", "No results", "Limit", "Deploy", "Download", "Stop", "true", "false",
    "True", "False",
)  # fmt: skip
_ENGLISH = re.compile(r"(?<![\w<])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w>])")
MISSING = re.compile(r"(?<![\w<])(None|nan|NaN|<NA>|NaT|-?inf|Infinity)(?![\w>])")
#: A maximal run of digits with at least one dot between digits.
_DOTTED = re.compile(r"(?<![\w.])\d+(?:\.\d+)+(?![\w])")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
#: A whole number as the tables show it („1.234“, „+12“, „±0“) or „—“.
WHOLE = re.compile(r"[+±-]?\d{1,3}(?:\.\d{3})*|—")
#: Headers of children columns (counts) and what makes a header a rate or minutes instead.
CHILDREN = re.compile(r"\bKinder\b")
NOT_COUNT = re.compile(r"Minuten|\bje\b|Anteil|%|Faktor|Gewicht|Priorität|Wert")
SHARE = re.compile(r"^Anteil\b|%")


def english_decimals(text: str) -> list[str]:
    """The numbers of ``text`` written with an English decimal point („12.5“)."""
    # two or more dots: thousands (1.234.567), a date (08.12.2026) or a version (0.1.0)
    return [m for m in _DOTTED.findall(text) if m.count(".") == 1 and not _THOUSANDS.fullmatch(m)]


#: A quantity of four or more digits without thousands dots, followed by its unit
#: („1612 m“); years, AGS codes and postcodes have no unit and stay.
_NO_THOUSANDS = re.compile(
    r"(?<![\w.,])\d{4,}(?:,\d+)?(?=\s?(?:m|km|min|s|Kinder|Einwohner|Orte|Angebote|%)(?!\w))"
)
#: A table cell that is a bare number of four or more digits („8158“, „1234,5“).
_BARE_NUMBER = re.compile(r"[+±-]?\d{4,}(?:,\d+)?")
#: A number as a cell shows it, with its decimals as group 1 („1.234,5 %“ → „5“).
_NUMBER = re.compile(r"[+±-]?\d{1,3}(?:\.\d{3})*(?:,(\d+))?(?: %| min)?")
#: Columns of codes, not quantities.
_CODES = re.compile(r"AGS|Schlüssel|PLZ|Postleitzahl|id|ID|Nr\.?")


def text_problems(text: Any, where: str) -> list[str]:
    """English decimals, missing-value spellings and English UI words in one text."""
    value = str(text)
    found = [f"{where}: Dezimalpunkt: {m}" for m in english_decimals(value)]
    found += [f"{where}: ohne Tausenderpunkt: {m}" for m in _NO_THOUSANDS.findall(value)]
    found += [f"{where}: fehlender Wert: {m}" for m in MISSING.findall(value)]
    found += [f"{where}: Englisch: {m}" for m in _ENGLISH.findall(value)]
    return found


def displayed(element: Any) -> tuple[pd.DataFrame, bool]:
    """The table as Streamlit shows it and whether a Styler formatted it.

    A Styler's display texts travel next to the data in the element's proto
    (``arrow_data.styler.display_values``); without one, the values are what
    Streamlit prints.
    """
    styler = element.proto.arrow_data.styler
    if styler.display_values:
        frame = pa.ipc.open_stream(styler.display_values).read_pandas()
        return frame, True
    return element.value, False


def _unformatted(frame: pd.DataFrame, where: str) -> list[str]:
    """Numeric columns Streamlit prints itself (English point, no thousands dot)."""
    found = []
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue  # text, or a checkbox
        whole_small = bool((values.dropna() % 1 == 0).all() and (values.abs() < 1000).all())
        if not whole_small:
            found.append(f"{where}[{col}]: Zahl ohne deutsches Format")
    return found


def _column_problems(frame: pd.DataFrame, where: str) -> list[str]:
    """Children columns whole, share columns with „%“; by header."""
    found = []
    by_row = _by_row(frame)  # a table of figures mixes units in a column by design
    for col in frame.columns:
        name = str(col)
        cells = [str(v) for v in frame[col] if str(v) not in ("", "—")]
        if not _CODES.fullmatch(name):
            found += [f"{where}[{name}]: ohne Tausenderpunkt: {v}" for v in cells
                      if _BARE_NUMBER.fullmatch(v)]  # fmt: skip
        decimals = {len(m[1] or "") for v in cells if (m := _NUMBER.fullmatch(v))}
        if len(decimals) > 1 and not by_row:  # „0“ next to „0,1“: one column, one format
            found.append(f"{where}[{name}]: Nachkommastellen gemischt: {sorted(decimals)}")
        if CHILDREN.search(name) and not NOT_COUNT.search(name):
            found += [f"{where}[{name}]: Kinder nicht ganzzahlig: {v}" for v in cells
                      if not WHOLE.fullmatch(v)]  # fmt: skip
        if SHARE.search(name) and "%" not in name:
            found += [f"{where}[{name}]: Anteil ohne %: {v}" for v in cells if "%" not in v]
        if SHARE.search(name):  # one decimal, also 0,0 and 100,0 (not „56“ beside „30,7“)
            found += [f"{where}[{name}]: Anteil ohne eine Nachkommastelle: {v}" for v in cells
                      if (m := _NUMBER.fullmatch(v)) and len(m[1] or "") != 1]  # fmt: skip
    return found


def _by_row(frame: pd.DataFrame) -> bool:
    """Whether the table holds one figure per row (first column „Kennzahl“)."""
    return bool(len(frame.columns)) and str(frame.columns[0]) == "Kennzahl"


def _row_problems(frame: pd.DataFrame, where: str) -> list[str]:
    """Tables of figures, one per row (first column „Kennzahl“): the same rules by row."""
    if not _by_row(frame):
        return []
    found = []
    for _, row in frame.iterrows():
        label, *cells = (str(v) for v in row)
        cells = [c for c in cells if c not in ("", "—")]
        if CHILDREN.search(label) and not NOT_COUNT.search(label):
            found += [f"{where}<{label}>: Kinder nicht ganzzahlig: {c}" for c in cells
                      if not WHOLE.fullmatch(c)]  # fmt: skip
        if SHARE.search(label):  # a difference of shares is in Prozentpunkte
            found += [f"{where}<{label}>: Anteil ohne %: {c}" for c in cells
                      if "%" not in c and "Prozentpunkte" not in c]  # fmt: skip
    return found


def table_problems(element: Any, where: str) -> tuple[list[str], pd.DataFrame]:
    """Every problem of one ``st.dataframe`` and the table as shown."""
    frame, styled = displayed(element)
    found = [] if styled else _unformatted(frame, where)
    for col in frame.columns:
        found += text_problems(col, f"{where} Kopf")
        for value in frame[col]:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                found.append(f"{where}[{col}]: fehlender Wert: {value}")
            elif not isinstance(value, bool):
                found += text_problems(value, f"{where}[{col}]")
    return found + _column_problems(frame, where) + _row_problems(frame, where), frame


#: Widget types whose label (and options) a planner reads.
_WIDGETS = (
    "button", "download_button", "selectbox", "radio", "multiselect", "toggle", "checkbox",
    "number_input", "slider", "expander", "tab", "text_input", "file_uploader",
)  # fmt: skip
#: Text elements, by AppTest's name.
_TEXTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
          "success")  # fmt: skip


def _label(element: Any) -> str:
    label = getattr(element, "label", None)
    return str(label if label is not None else getattr(element.proto, "label", ""))


def _widget_texts(at: Any) -> Iterable[tuple[str, str]]:
    """``(where, text)`` of every widget label, help and option."""
    for kind in _WIDGETS:
        for i, el in enumerate(at.get(kind)):
            where = f"{kind}[{i}] „{_label(el)[:40]}“"
            yield where, _label(el)
            yield where, str(getattr(el.proto, "help", ""))
            for option in getattr(el, "options", None) or []:
                yield f"{where} Option", str(option)
            if kind == "number_input" and el.value is not None:  # shown in its printf format
                yield f"{where} Wert", el.proto.format % el.value


def _rounded_inputs(at: Any) -> list[str]:
    """Number boxes whose format hides the value (7,5 shown as „8“)."""
    found = []
    for i, el in enumerate(at.get("number_input")):
        if el.value is None:
            continue
        shown = el.proto.format % el.value
        if not math.isclose(float(shown), float(el.value)):
            found.append(f"number_input[{i}] „{_label(el)[:40]}“: Wert gerundet: {shown}")
    return found


@dataclass
class PageAudit:
    """What one page showed and what was wrong with it."""

    problems: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # of the metrics


def audit_page(at: Any) -> PageAudit:
    """Check every table, metric, text and widget text of an AppTest run."""
    out = PageAudit()
    assert not at.exception, at.exception
    for i, el in enumerate(at.dataframe):
        found, frame = table_problems(el, f"Tabelle {i}")
        out.problems += found
        out.tables[f"{i}: " + " | ".join(map(str, frame.columns))] = frame
    for i, m in enumerate(at.metric):
        where = f"Kennzahl {i} „{m.label}“"
        for text in (m.label, m.value, m.proto.delta, m.proto.help):
            out.problems += text_problems(text, where)
        out.metrics.append(str(m.value))
        out.labels.append(str(m.label))
    for kind in _TEXTS:
        for i, el in enumerate(at.get(kind)):
            out.problems += text_problems(el.value, f"{kind}[{i}]")
            out.texts.append(str(el.value))
    for where, text in _widget_texts(at):
        out.problems += text_problems(text, where)
    out.problems += _rounded_inputs(at)
    return out
