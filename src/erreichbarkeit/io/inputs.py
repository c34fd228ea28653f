"""Everything a planner hands us, validated at the boundary.

* :func:`read_table` reads CSV and XLSX "as Germans write them": ``;``, ``,``
  or tab separated, UTF-8 (with or without BOM), Windows-1252 or UTF-16,
  title rows above the header, empty rows; every row keeps its spreadsheet
  row number as the index.
* :func:`read_offers` turns an offer list into the *Offers* contract: German
  or English column names, decimal commas, swapped lat/lon, projected x/y
  with an EPSG column, categories matched by key/label/alias (fuzzy for
  typos), rows without coordinates geocoded offline.  Row-level problems are
  collected as :class:`RowProblem` (the row is skipped, never guessed);
  whole-file problems raise.
* :func:`read_boundaries`, :func:`read_population` and :func:`read_villages`
  read Gemeinde polygons, population tables and the user's own villages.

Rows are 1-based as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from rapidfuzz import fuzz, process
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._helpers import ags_from_key
from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError
from erreichbarkeit.io.geocode import AddressIndex, parse_address

__all__ = [
    "EUROPE_BOUNDS",
    "GERMANY_BOUNDS",
    "OffersReadResult",
    "RowProblem",
    "read_boundaries",
    "read_offers",
    "read_population",
    "read_table",
    "read_villages",
]

logger = logging.getLogger(__name__)

#: Rough lon/lat box of Germany (minx, miny, maxx, maxy) used to detect
#: swapped coordinates when no region bounds are given.
GERMANY_BOUNDS: tuple[float, float, float, float] = (5.5, 47.0, 15.5, 55.5)
#: Slack around ``region_bounds`` in kilometres.
REGION_SLACK_KM = 20.0
#: Minimum rapidfuzz ratio for a category typo ("Kinderartz" → Kinderarzt).
CATEGORY_SCORE_CUTOFF = 85.0

_UNMATCHED_COLUMNS = ("source", "row", "id", "name", "category", "address", "reason")

# Normalised header spellings (see _key) per role.  Order matters only for
# the role list itself: the first column of the file matching a role wins.
_OFFER_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "id": ("id", "nr", "nummer", "lfdnr", "kennung", "identifier", "offerid"),
        "name": ("name", "bezeichnung", "einrichtung", "einrichtungsname", "namedereinrichtung"),
        "category": (
            "kategorie",
            "category",
            "art",
            "typ",
            "type",
            "angebotsart",
            "einrichtungsart",
            "einrichtungstyp",
        ),
        "lat": (
            "lat",
            "breite",
            "breitengrad",
            "latitude",
            "y",
            "hochwert",
            "nordwert",
            "northing",
        ),
        "lon": (
            "lon",
            "lng",
            "long",
            "laenge",
            "laengengrad",
            "longitude",
            "x",
            "rechtswert",
            "ostwert",
            "easting",
        ),
        "epsg": (
            "epsg",
            "crs",
            "srid",
            "epsgcode",
            "koordinatensystem",
            "koordinatenreferenzsystem",
        ),
        "address": ("adresse", "address", "anschrift", "postanschrift", "vollstaendigeadresse"),
        "street": ("strasse", "street", "str", "strassehausnummer", "strasseundhausnummer"),
        "housenumber": ("hausnummer", "hnr", "housenumber", "hausnr", "hsnr"),
        "postcode": ("plz", "postcode", "postleitzahl", "zip", "zipcode", "postalcode"),
        "city": ("ort", "city", "stadt", "gemeinde", "wohnort", "town", "ortsname"),
        "age_groups": ("altersgruppen", "altersgruppe", "agegroups", "agegroup", "zielgruppe"),
        "capacity": ("kapazitaet", "capacity", "plaetze", "platzzahl", "anzahlplaetze"),
        "traeger": ("traeger", "operator", "traegerschaft", "betreiber"),
        "opening_hours": ("oeffnungszeiten", "openinghours", "sprechzeiten"),
    }
)
_ROLE_LABELS_DE = {
    "name": "Name/Bezeichnung",
    "category": "Kategorie/Art",
    "lat": "Breite/lat",
    "lon": "Länge/lon",
    "address": "Adresse",
    "street": "Straße",
}

_BOUNDARY_AGS = ("ags", "ags_0", "gkz", "de:amtlicher_gemeindeschluessel", "gemeindeschluessel")
_BOUNDARY_ARS = ("ars", "rs", "rs_0", "de:regionalschluessel", "regionalschluessel")
_BOUNDARY_NAME = ("gen", "name", "gemeinde", "gemeindename", "gem_name")
_BOUNDARY_POP = (
    "ewz",
    "ewz_zensus2022",
    "population",
    "einwohner",
    "bevoelkerung",
    "einwohnerzahl",
)
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
_VILLAGE_ID = ("id", "osmid", "nr", "nummer", "kennung")
_VILLAGE_NAME = ("name", "ortsteil", "ort", "dorf", "ortsname", "bezeichnung", "gen", "ortschaft")
_VILLAGE_POP = ("population", "einwohner", "ewz", "bevoelkerung", "einwohnerzahl")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_MISSING_MARKERS = {"", "-", "–", ".", "x", "...", "…", "/", "nan", "na", "n/a"}


# --------------------------------------------------------------------------
# result types


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


@dataclass(frozen=True)
class OffersReadResult:
    """Result of :func:`read_offers`.

    Attributes
    ----------
    offers
        The usable offers (*Offers* contract, EPSG:4326).
    problems
        Every row that is not used has at least one ``"error"`` here;
        warnings describe corrections of used rows.
    unmatched
        Rows that could not be placed (no or unmatched coordinates/address):
        ``source`` (file name), ``row``, ``id``, ``name``, ``category``, ``address``, ``reason``
        (German).  They also appear in ``problems`` as errors.
    """

    offers: gpd.GeoDataFrame
    problems: tuple[RowProblem, ...]
    unmatched: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(_UNMATCHED_COLUMNS))
    )

    @property
    def errors(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"error"``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"warning"``."""
        return tuple(p for p in self.problems if p.severity == "warning")


# --------------------------------------------------------------------------
# small helpers


def _key(s: object) -> str:
    """Comparison key of a header or label: lower, umlauts spelled out, alnum only.

    Parenthesised parts are dropped (``"Kapazität (Plätze)"`` → ``kapazitaet``).
    """
    text = unicodedata.normalize("NFC", str(s)).lower()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", text)
    text = text.translate(_UMLAUTS)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return re.sub(r"[^0-9a-z]+", "", text)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: object) -> str:
    """Cell as text; integer-valued floats from XLSX lose their ``.0``."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_number(value: object, *, count: bool = False) -> float | None:
    """Parse a number as Germans write it.

    ``"51,5339"`` → 51.5339, ``"1.234"`` (``count=True``) → 1234,
    ``"1.234,5"`` → 1234.5, ``"1 234"`` → 1234.  Returns ``None`` for an
    empty cell and raises :class:`ValueError` for text.

    Hand-written because pandas' ``decimal=``/``thousands=`` options apply
    to a whole file, while planners' files mix ``51.53`` and ``51,53``.
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(str(value))  # noqa: TRY004  (a cell value, not a caller's type error)
    if isinstance(value, int | float | np.integer | np.floating):
        out = float(value)
        if math.isnan(out):
            return None
    else:
        s = str(value).strip()
        s = re.sub(r"[\s\u00a0\u202f\u2009']", "", s).replace("−", "-")
        if not s:
            return None
        if "," in s and "." in s:
            if s.rfind(",") > s.rfind("."):
                s = s.replace(".", "").replace(",", ".")
            else:
                s = s.replace(",", "")
        elif s.count(",") > 1:
            s = s.replace(",", "")
        elif "," in s:
            s = s.replace(",", ".")
        elif s.count(".") > 1 or (count and re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", s)):
            if not re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", s):
                raise ValueError(s)
            s = s.replace(".", "")
        if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
            raise ValueError(s)
        out = float(s)
    if not math.isfinite(out):
        raise ValueError(str(value))
    return out


def _find_column(columns: Iterable[str], aliases: Sequence[str]) -> str | None:
    """First column of ``columns`` whose key is one of ``aliases`` (in alias order)."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(_key(col), col)
    for alias in aliases:
        hit = by_key.get(_key(alias))
        if hit is not None:
            return hit
    return None


def _require_column(frame_columns: Sequence[str], name: str, file: Path, what: str) -> str:
    if name in frame_columns:
        return name
    found = _find_column(frame_columns, [name])
    if found is not None:
        return found
    msg = f"column {name!r} ({what}) not found; columns are {list(frame_columns)}"
    raise MissingColumnError(
        msg,
        file=file,
        column=name,
        expected=f"a column {name!r}",
        message_de=f"Spalte „{name}“ ({what}) fehlt; vorhandene Spalten: "
        + ", ".join(map(str, frame_columns)),
    )


# --------------------------------------------------------------------------
# read_table


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
        width = max(len(r) for r in rows)
        if width < 2:
            return 0.0, width
        same = sum(len(r) == width for r in rows) / len(rows)
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


def _csv_rows(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for magic, what, what_de in _NOT_CSV_MAGIC:
        if data.startswith(magic):
            raise _not_a_table(path, what, what_de)
    text = _decode(data)
    if not text.strip():
        return []
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        raise _not_a_table(
            path,
            "a web page or XML document (an error page instead of the download?)",
            "eine Webseite oder ein XML-Dokument (eine Fehlerseite statt des Downloads?)",
        )
    if "\x00" in text:
        raise _not_a_table(path, "a binary file", "eine Binärdatei")
    delim = _delimiter(text)
    logger.debug("%s: separator %r", path.name, delim)
    # The csv module (not pd.read_csv) keeps ragged rows and the record number
    # of every row, which is the row number a spreadsheet shows.
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]


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


def _xlsx_rows(path: Path, sheet: str | int | None) -> list[list[Any]]:
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


def _xlsx_rows_unchecked(path: Path, sheet: str | int | None) -> list[list[Any]]:
    import openpyxl  # noqa: PLC0415  (only XLSX needs it)

    wb_values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb_values.sheetnames
        if sheet is None:
            index = 0
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
    return rows


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
        raw = _xlsx_rows(path, sheet) if suffix in (".xlsx", ".xlsm") else _csv_rows(path)
    except (OSError, csv.Error, UnicodeError) as exc:
        msg = f"cannot read the file: {exc}"
        raise InputDataError(msg, file=path, message_de=f"Datei unlesbar: {exc}") from exc
    rows = [[_clean_cell(v) for v in r] for r in raw]
    width = max((len(r) for r in rows), default=0)
    filled = [sum(v is not None for v in r) for r in rows]
    if not any(filled):
        msg = "the file is empty"
        raise InputDataError(msg, file=path, message_de="Die Datei ist leer")
    need = min(2, max(filled))
    header_i = next(i for i, n in enumerate(filled) if n >= need)
    header = rows[header_i] + [None] * (width - len(rows[header_i]))
    body = [
        (i + 1, r + [None] * (width - len(r)))
        for i, r in enumerate(rows[header_i + 1 :], start=header_i + 1)
        if filled[i]
    ]
    keep = [
        j for j in range(width) if header[j] is not None or any(r[j] is not None for _, r in body)
    ]
    names: list[str] = []
    for j in keep:
        name = _text(header[j]) or f"Spalte_{j + 1}"
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
    return frame


# --------------------------------------------------------------------------
# read_offers


class _CategoryMatcher:
    """Category values → category keys (key, label, alias; fuzzy for typos)."""

    def __init__(self, categories: Mapping[str, Category]) -> None:
        self.exact: dict[str, str] = {}
        ordered = sorted(categories.values(), key=lambda c: (c.order, c.key))
        for cat in ordered:
            for name in (cat.key, cat.label, *cat.aliases):
                self.exact.setdefault(_key(name), cat.key)
        self.choices = list(self.exact)
        self.labels = sorted(c.label for c in ordered)
        self.label_of = {c.key: c.label for c in ordered}

    def match(self, value: str) -> tuple[str | None, float, str | None]:
        """Return ``(key or None, score, suggestion label)``."""
        k = _key(value)
        if not k:
            return None, 0.0, None
        if k in self.exact:
            return self.exact[k], 100.0, None
        found = process.extract(k, self.choices, scorer=fuzz.ratio, limit=3)
        if not found:
            return None, 0.0, None
        best, score, _ = found[0]
        key = self.exact[best]
        rivals = [f for f in found[1:] if self.exact[f[0]] != key and f[1] > score - 3]
        if score >= CATEGORY_SCORE_CUTOFF and len(k) >= 4 and not rivals:
            return key, float(score), None
        return None, float(score), self.label_of[key] if score >= 70 else None


@dataclass
class _Row:
    """Mutable per-row working record (local to one read_offers call)."""

    row: int
    id: str
    name: str
    category: str | None
    address: str
    traeger: str | None
    opening_hours: str | None
    age_groups: str | None
    capacity: float
    lon: float | None = None
    lat: float | None = None
    quality: str | None = None
    failed: bool = False


def _map_offer_columns(
    columns: Sequence[str], file: Path, problems: list[RowProblem]
) -> dict[str, str]:
    by_key: dict[str, list[str]] = {}
    for col in columns:
        by_key.setdefault(_key(col), []).append(col)
    roles: dict[str, str] = {}
    used: set[str] = set()
    for role, aliases in _OFFER_ROLES.items():
        hits = [c for a in aliases for c in by_key.get(a, []) if c not in used]
        if not hits:
            continue
        roles[role] = hits[0]
        used.add(hits[0])
        others = [c for c in hits[1:] if c not in used]
        if others:
            problems.append(
                RowProblem(
                    file.name,
                    1,
                    others[0],
                    f"columns {[hits[0], *others]} all look like {role!r}; using {hits[0]!r}",
                    f"Spalten {', '.join([hits[0], *others])} bedeuten dasselbe; "
                    f"verwendet wird „{hits[0]}“",
                    "warning",
                )
            )
    return roles


def _offer_roles_complete(roles: Mapping[str, str]) -> bool:
    coords = "lat" in roles and "lon" in roles
    address = "address" in roles or "street" in roles
    return "name" in roles and "category" in roles and (coords or address)


def _promote_first_row(table: pd.DataFrame) -> pd.DataFrame | None:
    """The table with its first data row as the header (``None`` if it holds numbers).

    Header cells left empty in that row keep the upper row's name.
    """
    first = table.iloc[0]
    values = [first[c] for c in table.columns]
    if not any(isinstance(v, str) for v in values) or any(
        v is not None and not isinstance(v, str) for v in values
    ):
        return None
    for v in values:
        if isinstance(v, str):
            try:
                _parse_number(v)
            except ValueError:
                continue
            return None  # a number: a data row, not a header
    names: list[str] = []
    for col, v in zip(table.columns, values, strict=True):
        name, base, n = _text(v) or str(col), _text(v) or str(col), 2
        while name in names:
            name, n = f"{base}.{n}", n + 1
        names.append(name)
    out = table.iloc[1:].copy()
    out.columns = pd.Index(names)
    return out


def _compose_address(parts: Mapping[str, str]) -> str:
    street = " ".join(x for x in (parts.get("street", ""), parts.get("housenumber", "")) if x)
    place = " ".join(x for x in (parts.get("postcode", ""), parts.get("city", "")) if x)
    return ", ".join(x for x in (street, place) if x)


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _slack_box(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    dlat = REGION_SLACK_KM / 110.574
    coslat = max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.05)
    dlon = REGION_SLACK_KM / (111.320 * coslat)
    return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


def read_offers(
    path: Path,
    categories: Mapping[str, Category],
    *,
    addresses: pd.DataFrame | None = None,
    accept_street_match: bool = False,
    default_epsg: int | None = None,
    region_bounds: tuple[float, float, float, float] | None = None,
) -> OffersReadResult:
    """Read a planner's offer list (CSV/XLSX) into the *Offers* contract.

    Parameters
    ----------
    path
        The offer file (see :func:`read_table` for accepted formats).
        Columns are recognised in German or English (``Name``/``Bezeichnung``,
        ``Kategorie``/``Art``, ``Breite``/``lat``, ``Länge``/``lon``, ``x``/``y``
        with ``EPSG``, ``Adresse`` or ``Straße``/``Hausnummer``/``PLZ``/``Ort``,
        ``Altersgruppen``, ``Kapazität``/``Plätze``, ``Träger``,
        ``Öffnungszeiten``, ``ID``/``Nr``).
    categories
        The category table (:func:`erreichbarkeit.config.load_categories`).
    addresses
        Address points (*Addresses* contract) for rows without coordinates;
        ``None``: such rows are listed as unmatched.
    accept_street_match
        Place rows whose house number is unknown at the centre of their
        street (quality ``"Straße"``, with a warning) instead of listing
        them as unmatched.
    default_epsg
        CRS of the coordinates when the file has no EPSG column (e.g. 25832
        for UTM x/y); ``None`` = WGS84 lon/lat.
    region_bounds
        ``(minx, miny, maxx, maxy)`` in WGS84; rows further than 20 km
        outside are errors.  ``None``: only a plausibility check for Germany
        (warning).

    Returns
    -------
    OffersReadResult
        Offers, row problems, unmatched rows.

    Raises
    ------
    InputDataError
        Missing, empty or unreadable file, no data rows.
    MissingColumnError
        No name or category column, or neither coordinate nor address columns.
    """
    path = Path(path)
    table = read_table(path)
    fname = path.name
    problems: list[RowProblem] = []
    roles = _map_offer_columns(list(table.columns), path, problems)
    if not _offer_roles_complete(roles) and not table.empty:
        # Two header rows ("Koordinaten" merged over "Breite | Länge"): the
        # real column names are in the first row below the detected header.
        promoted = _promote_first_row(table)
        if promoted is not None:
            promoted_problems: list[RowProblem] = []
            promoted_roles = _map_offer_columns(list(promoted.columns), path, promoted_problems)
            if _offer_roles_complete(promoted_roles):
                header_row = int(table.index[0])
                problems = [
                    *promoted_problems,
                    RowProblem(
                        fname,
                        header_row,
                        None,
                        f"two header rows; the column names of row {header_row} are used",
                        f"Zwei Kopfzeilen; verwendet werden die Spaltennamen aus Zeile "
                        f"{header_row}",
                        "warning",
                    ),
                ]
                table, roles = promoted, promoted_roles
    found = ", ".join(map(str, table.columns))
    for role in ("name", "category"):
        if role not in roles:
            msg = f"no {role} column; columns found: {found}"
            raise MissingColumnError(
                msg,
                file=path,
                expected=" / ".join(_OFFER_ROLES[role][:4]),
                message_de=f"Spalte {_ROLE_LABELS_DE[role]} fehlt; gefundene Spalten: {found}",
            )
    has_coords = "lat" in roles and "lon" in roles
    has_address = "address" in roles or "street" in roles
    if not has_coords and not has_address:
        msg = (
            f"neither coordinate columns (lat/lon, x/y) nor address columns; columns found: {found}"
        )
        raise MissingColumnError(
            msg,
            file=path,
            expected="lat + lon (Breite + Länge, x + y) or Adresse or Straße + Hausnummer",
            message_de="Weder Koordinatenspalten (Breite/Länge, lat/lon, x/y) noch "
            "Adressspalten (Adresse oder Straße, Hausnummer, PLZ, Ort); "
            f"gefundene Spalten: {found}",
        )
    if table.empty:
        msg = "the file has a header but no data rows"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Datenzeilen")

    matcher = _CategoryMatcher(categories)
    index_cache: list[AddressIndex] = []  # built on first use: ~1 s for 200k addresses

    def get_index() -> AddressIndex | None:
        if addresses is None:
            return None
        if not index_cache:
            index_cache.append(AddressIndex(addresses))
        return index_cache[0]

    transformers: dict[int, Transformer] = {}
    box = _slack_box(region_bounds) if region_bounds is not None else GERMANY_BOUNDS
    unmatched: list[dict[str, Any]] = []

    def problem(row: int, role: str | None, en: str, de: str, sev: str = "error") -> None:
        col = roles.get(role) if role else None
        problems.append(RowProblem(fname, row, col, en, de, sev))  # type: ignore[arg-type]

    def cell(values: Mapping[str, Any], role: str) -> Any:
        col = roles.get(role)
        return None if col is None else values[col]

    records: list[_Row] = []
    seen_ids: dict[str, int] = {}
    records_in: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in table.to_dict("records")
    ]
    for rownum, values in zip(table.index, records_in, strict=True):
        row = int(rownum)
        given_id = _text(cell(values, "id"))
        oid = given_id or f"{fname}:{row}"
        ok = True
        if oid in seen_ids:
            problem(
                row,
                "id",
                f"duplicate id {oid!r} (first in row {seen_ids[oid]})",
                f"Doppelte ID „{oid}“ (zuerst in Zeile {seen_ids[oid]})",
            )
            ok = False
        else:
            seen_ids[oid] = row

        # category
        raw_cat = _text(cell(values, "category"))
        cat: str | None = None
        if not raw_cat:
            problem(row, "category", "category is empty", "Kategorie fehlt")
            ok = False
        else:
            cat, score, suggestion = matcher.match(raw_cat)
            valid = ", ".join(matcher.labels)
            if cat is None:
                hint = f" — did you mean {suggestion!r}?" if suggestion else ""
                hint_de = f" – meinten Sie „{suggestion}“?" if suggestion else ""
                problem(
                    row,
                    "category",
                    f"unknown category {raw_cat!r}{hint}; valid: {valid}",
                    f"Unbekannte Kategorie „{raw_cat}“{hint_de}; gültig sind: {valid}",
                )
                ok = False
            elif score < 100:
                label = matcher.label_of[cat]
                problem(
                    row,
                    "category",
                    f"category {raw_cat!r} read as {label!r}",
                    f"Kategorie „{raw_cat}“ als „{label}“ gelesen",
                    "warning",
                )

        name = _text(cell(values, "name"))
        if not name and cat is not None:
            name = matcher.label_of[cat]
            problem(
                row,
                "name",
                "name is empty; using the category label",
                f"Name fehlt; verwendet wird „{name}“",
                "warning",
            )

        # capacity
        capacity = float("nan")
        raw_cap = cell(values, "capacity")
        if not _blank(raw_cap):
            try:
                parsed = _parse_number(raw_cap, count=True)
                capacity = float("nan") if parsed is None else parsed
                if capacity < 0:
                    problem(
                        row,
                        "capacity",
                        f"capacity {raw_cap!r} is negative; left empty",
                        f"Kapazität „{raw_cap}“ ist negativ; bleibt leer",
                        "warning",
                    )
                    capacity = float("nan")
            except ValueError:
                problem(
                    row,
                    "capacity",
                    f"capacity {raw_cap!r} is not a number; left empty",
                    f"Kapazität „{raw_cap}“ ist keine Zahl; bleibt leer",
                    "warning",
                )

        # address
        parts = {r: _text(cell(values, r)) for r in ("street", "housenumber", "postcode", "city")}
        address = _text(cell(values, "address")) or _compose_address(parts)

        rec = _Row(
            row=row,
            id=oid,
            name=name,
            category=cat,
            address=address,
            traeger=_text(cell(values, "traeger")) or None,
            opening_hours=_text(cell(values, "opening_hours")) or None,
            age_groups=_text(cell(values, "age_groups")) or None,
            capacity=capacity,
        )

        # coordinates
        coords_state = "none"
        if has_coords:
            coords_state = _place_by_coordinates(
                rec,
                values,
                roles,
                default_epsg=default_epsg,
                box=box,
                strict_box=region_bounds is not None,
                transformers=transformers,
                problem=problem,
            )
        if coords_state == "error":
            ok = False
        if not ok:
            continue
        if coords_state == "none":
            reason = _place_by_address(
                rec,
                values,
                roles,
                parts,
                get_index=get_index,
                accept_street_match=accept_street_match,
                problem=problem,
            )
            if reason is not None:
                unmatched.append(
                    {
                        "source": fname,
                        "row": row,
                        "id": oid,
                        "name": name,
                        "category": cat,
                        "address": address,
                        "reason": reason,
                    }
                )
                problem(
                    row,
                    "address" if "address" in roles else "street",
                    f"not placed: {reason}",
                    f"Nicht verortet: {reason}",
                )
                continue
        records.append(rec)

    # exact duplicates (same name, category and place): keep the first
    kept: list[_Row] = []
    points: list[Point] = []
    seen_offers: dict[tuple[str, str | None, float, float], int] = {}
    for rec in records:
        lon, lat = float(rec.lon or 0.0), float(rec.lat or 0.0)  # placed rows: both set
        dkey = (rec.name.casefold(), rec.category, round(lon, 6), round(lat, 6))
        if dkey in seen_offers:
            first = seen_offers[dkey]
            problem(
                rec.row,
                None,
                f"duplicate of row {first} (same name, category, place); skipped",
                f"Doppelter Eintrag von Zeile {first} (gleicher Name, Kategorie, Ort); "
                "übersprungen",
                "warning",
            )
            continue
        seen_offers[dkey] = rec.row
        kept.append(rec)
        points.append(Point(lon, lat))

    offers = gpd.GeoDataFrame(
        {
            "id": pd.Series([r.id for r in kept], dtype=object),
            "name": pd.Series([r.name for r in kept], dtype=object),
            "category": pd.Series([r.category for r in kept], dtype=object),
            "source": pd.Series([fname] * len(kept), dtype=object),
            "address": pd.Series([r.address or None for r in kept], dtype=object),
            "traeger": pd.Series([r.traeger for r in kept], dtype=object),
            "opening_hours": pd.Series([r.opening_hours for r in kept], dtype=object),
            "age_groups": pd.Series([r.age_groups for r in kept], dtype=object),
            "capacity": pd.Series([r.capacity for r in kept], dtype=float),
            "geocode_quality": pd.Series([r.quality for r in kept], dtype=object),
        },
        geometry=gpd.GeoSeries(points, crs=WGS84),
        crs=WGS84,
    )
    problems.sort(key=lambda p: (p.row, p.severity != "error"))
    logger.info(
        "%s: %d offers, %d errors, %d warnings, %d unmatched",
        fname,
        len(offers),
        sum(p.severity == "error" for p in problems),
        sum(p.severity == "warning" for p in problems),
        len(unmatched),
    )
    return OffersReadResult(
        offers=offers,
        problems=tuple(problems),
        unmatched=pd.DataFrame(unmatched, columns=list(_UNMATCHED_COLUMNS)),
    )


def _place_by_coordinates(  # noqa: PLR0911  (one return per outcome reads best here)
    rec: _Row,
    values: Mapping[str, Any],
    roles: Mapping[str, str],
    *,
    default_epsg: int | None,
    box: tuple[float, float, float, float],
    strict_box: bool,
    transformers: dict[int, Transformer],
    problem: Any,
) -> Literal["ok", "none", "error"]:
    """Set ``rec.lon/lat`` from the coordinate cells; report problems."""
    row = rec.row
    raw_x, raw_y = values[roles["lon"]], values[roles["lat"]]
    if _blank(raw_x) and _blank(raw_y):
        return "none"
    nums: dict[str, float | None] = {}
    for role, raw in (("lon", raw_x), ("lat", raw_y)):
        try:
            nums[role] = _parse_number(raw)
        except ValueError:
            problem(
                row,
                role,
                f"coordinate {raw!r} is not a number",
                f"Koordinate „{raw}“ ist keine Zahl",
            )
            return "error"
    x, y = nums["lon"], nums["lat"]
    if x is None or y is None:
        problem(
            row,
            "lon" if x is None else "lat",
            "only one coordinate given; trying the address",
            "Nur eine Koordinate angegeben; die Adresse wird versucht",
            "warning",
        )
        return "none"
    if x == 0 and y == 0:
        problem(
            row,
            "lat",
            "coordinates 0/0 are a placeholder; trying the address",
            "Koordinaten 0/0 sind ein Platzhalter; die Adresse wird versucht",
            "warning",
        )
        return "none"

    epsg = default_epsg or 4326
    raw_epsg = values[roles["epsg"]] if "epsg" in roles else None
    if not _blank(raw_epsg):
        m = re.search(r"\d{4,6}", _text(raw_epsg))
        if m is None:
            problem(
                row,
                "epsg",
                f"CRS {raw_epsg!r} is not an EPSG code",
                f"Koordinatensystem „{raw_epsg}“ ist kein EPSG-Code",
            )
            return "error"
        epsg = int(m.group(0))

    if epsg == 4326:
        lon, lat = x, y
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) and not (
            -180 <= lat <= 180 and -90 <= lon <= 90
        ):
            problem(
                row,
                "lon",
                f"coordinates ({x}, {y}) are not lon/lat degrees; for projected x/y "
                "give an EPSG column or default_epsg",
                f"Koordinaten ({x}; {y}) sind keine Längen-/Breitengrade; für "
                "projizierte x/y (z. B. UTM) bitte eine EPSG-Spalte angeben",
            )
            return "error"
        candidates = [(lon, lat), (lat, lon)]
    else:
        if epsg not in transformers:
            try:
                transformers[epsg] = Transformer.from_crs(
                    CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True
                )
            except PyprojCRSError:
                problem(row, "epsg", f"unknown EPSG code {epsg}", f"Unbekannter EPSG-Code {epsg}")
                return "error"
        tr = transformers[epsg]
        x1, y1 = tr.transform(x, y)
        x2, y2 = tr.transform(y, x)
        candidates = [(float(x1), float(y1)), (float(x2), float(y2))]

    (lon, lat), (slon, slat) = candidates
    finite = math.isfinite(lon) and math.isfinite(lat)
    if finite and _in_box(lon, lat, box):
        pass
    elif math.isfinite(slon) and math.isfinite(slat) and _in_box(slon, slat, box):
        problem(
            row,
            "lat",
            "latitude and longitude were swapped; corrected",
            "Breite und Länge waren vertauscht; korrigiert",
            "warning",
        )
        lon, lat = slon, slat
    elif strict_box or not finite or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problem(
            row,
            "lat",
            f"coordinates (lon {lon:.5f}, lat {lat:.5f}) lie outside the region",
            f"Koordinaten (Länge {lon:.5f}, Breite {lat:.5f}) liegen außerhalb der Region",
        )
        return "error"
    else:
        problem(
            row,
            "lat",
            f"coordinates (lon {lon:.5f}, lat {lat:.5f}) lie outside Germany",
            f"Koordinaten (Länge {lon:.5f}, Breite {lat:.5f}) liegen außerhalb Deutschlands",
            "warning",
        )
    rec.lon, rec.lat, rec.quality = lon, lat, "Koordinaten"
    return "ok"


def _place_by_address(
    rec: _Row,
    values: Mapping[str, Any],
    roles: Mapping[str, str],
    parts: Mapping[str, str],
    *,
    get_index: Callable[[], AddressIndex | None],
    accept_street_match: bool,
    problem: Any,
) -> str | None:
    """Geocode ``rec``; return the German reason when it cannot be placed."""
    if not rec.address:
        return "weder Koordinaten noch Adresse angegeben"
    parsed: dict[str, str | None] = {
        "street": None,
        "housenumber": None,
        "postcode": None,
        "city": None,
    }
    if "address" in roles and not _blank(values[roles["address"]]):
        parsed.update(parse_address(_text(values[roles["address"]])))
    if parts.get("street"):
        if parts.get("housenumber"):
            parsed["street"], parsed["housenumber"] = parts["street"], parts["housenumber"]
        else:  # "Hauptstraße 3" in the street column
            sub = parse_address(parts["street"])
            parsed["street"] = sub["street"]
            parsed["housenumber"] = sub["housenumber"] or parsed["housenumber"]
    for part in ("postcode", "city"):
        if parts.get(part):
            parsed[part] = parts[part]
    if not parsed["street"]:
        return f"Adresse „{rec.address}“ ohne Straße"
    index = get_index()
    if index is None:
        return "keine Adressdaten zum Geocodieren vorhanden"
    res = index.lookup(
        street=parsed["street"] or "",
        housenumber=parsed["housenumber"],
        postcode=parsed["postcode"],
        city=parsed["city"],
    )
    if res.quality == "Hausnummer":
        if res.score < 100:
            problem(
                rec.row,
                "address" if "address" in roles else "street",
                f"address matched approximately as {res.matched!r} (score {res.score:.0f})",
                f"Adresse ungefähr zugeordnet: „{res.matched}“ (Ähnlichkeit {res.score:.0f} %)",
                "warning",
            )
    elif res.quality == "Straße":
        if not accept_street_match:
            return (
                f"nur die Straße gefunden ({res.matched}), nicht die Hausnummer; "
                "Koordinaten ergänzen oder Straßenmitte zulassen"
            )
        problem(
            rec.row,
            "address" if "address" in roles else "street",
            f"house number not found; placed at the centre of {res.matched!r}",
            f"Hausnummer nicht gefunden; in die Mitte von „{res.matched}“ gesetzt",
            "warning",
        )
    else:
        return "Adresse nicht gefunden" + (f" ({res.note})" if res.note else "")
    rec.lon, rec.lat, rec.quality = res.lon, res.lat, res.quality
    return None


# --------------------------------------------------------------------------
# codes


def _ags_from_code(value: object) -> str | None:
    """8-digit AGS from an AGS (≤ 8 digits) or ARS/RS (11–12 digits)."""
    text = _text(value)
    return ags_from_key(text) if text else None


# --------------------------------------------------------------------------
# boundaries


def _extract_polygons(geom: BaseGeometry | None) -> BaseGeometry | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        return None
    return shapely.union_all(polys)


def _read_layer(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        msg = "file not found"
        raise InputDataError(msg, file=path, message_de="Datei nicht gefunden")
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several unrelated types
        msg = f"cannot read the layer: {exc}"
        raise InputDataError(
            msg,
            file=path,
            expected="a GeoPackage, GeoJSON or Shapefile",
            message_de="Die Geodatei kann nicht gelesen werden (keine GeoPackage-, GeoJSON- "
            f"oder Shapefile-Datei, oder beschädigt): {exc}",
        ) from exc
    _check_degrees(gdf, path)
    return gdf


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Reject metric coordinates in a layer that claims lon/lat.

    GDAL assigns EPSG:4326 to every GeoJSON without a ``crs`` member, so a
    GeoJSON in UTM (e.g. EPSG:25832) would otherwise be read as degrees and
    silently fall outside the region.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or gdf.empty:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        msg = (
            f"coordinates up to ({maxx:.0f}, {maxy:.0f}) are not degrees although the layer "
            f"says {gdf.crs.to_string()}: projected coordinates without a CRS?"
        )
        raise CRSError(
            msg,
            file=path,
            expected="a layer with its CRS declared (e.g. EPSG:25832 for UTM coordinates)",
            message_de=(
                "Die Koordinaten sind keine Längen-/Breitengrade, obwohl die Datei das angibt "
                "– vermutlich metrische Koordinaten (z. B. UTM, EPSG:25832) ohne Angabe des "
                "Koordinatensystems. Bitte die Datei mit Koordinatensystem speichern."
            ),
        )


#: Generous lon/lat box of Europe (minx, miny, maxx, maxy): layers whose
#: features lie entirely outside it after reprojection declare a wrong CRS.
EUROPE_BOUNDS: tuple[float, float, float, float] = (-32.0, 27.0, 45.0, 72.0)


def _check_in_europe(gdf: gpd.GeoDataFrame, path: Path, declared: object) -> None:
    """Reject a layer that lands outside Europe: its declared CRS does not match.

    A GeoPackage that says EPSG:25832 but holds lon/lat degrees ends up at
    the equator after reprojection, and every village would silently fall
    outside every Gemeinde.
    """
    if gdf.empty:
        return
    bounds = gdf.geometry.bounds.dropna()
    if bounds.empty:
        return
    minx, miny, maxx, maxy = EUROPE_BOUNDS
    inside = (
        (bounds["maxx"] >= minx)
        & (bounds["minx"] <= maxx)
        & (bounds["maxy"] >= miny)
        & (bounds["miny"] <= maxy)
    )
    if inside.any():
        return
    cx, cy = float(bounds["minx"].iloc[0]), float(bounds["miny"].iloc[0])
    msg = (
        f"the features lie outside Europe (near lon {cx:.3f}, lat {cy:.3f}) when read in the "
        f"declared CRS {declared}: the coordinates do not match the layer's CRS"
    )
    raise CRSError(
        msg,
        file=path,
        row=1,
        expected="coordinates in the CRS the layer declares",
        message_de=(
            f"Die Objekte liegen im angegebenen Koordinatensystem ({declared}) außerhalb "
            f"Europas (bei Länge {cx:.3f}, Breite {cy:.3f}): Koordinaten und angegebenes "
            "Koordinatensystem passen nicht zusammen"
        ),
    )


def read_boundaries(
    path: Path,
    *,
    layer: str | None = None,
    ags_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    clip_to: BaseGeometry | None = None,
    keep_containing: gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    """Read Gemeinde polygons into the *Boundaries* contract.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile (anything GDAL reads).
    layer
        Layer name inside a multi-layer file.
    ags_column, name_column, population_column
        Column names; detected when ``None`` (AGS: ``AGS``, ``AGS_0``, ``GKZ``,
        ``de:amtlicher_gemeindeschluessel``, else ``ARS``/``RS`` reduced to the
        AGS; name: ``GEN``, ``name``, ``gemeinde``; population: ``ewz``,
        ``ewz_zensus2022``, ``population``, ``einwohner``).
    clip_to
        WGS84 geometry; only Gemeinden overlapping it are kept (an overlap
        of at least 1 % of the Gemeinde's area, so neighbours that merely
        touch the border, or overlap by simplification slivers, are dropped).
    keep_containing
        Points (EPSG:4326) whose Gemeinden are always kept, however little of
        them overlaps ``clip_to`` (a village at the edge of the region).

    Returns
    -------
    geopandas.GeoDataFrame
        ``ags`` (8 characters), ``gemeinde``, ``population`` (float),
        geometry (valid Polygon/MultiPolygon), EPSG:4326.  Features sharing
        an AGS are merged (population summed unless repeated identically).

    Raises
    ------
    InputDataError
        Unreadable file, empty layer, missing or invalid AGS values (naming
        the features, 1-based), non-polygon geometries.
    MissingColumnError
        No AGS column, or a named column is missing.
    CRSError
        The layer has no CRS.
    """
    path = Path(path)
    gdf = _read_layer(path, layer)
    if gdf.empty:
        msg = "the layer has no features"
        raise InputDataError(msg, file=path, message_de="Die Ebene enthält keine Objekte")
    if gdf.crs is None:
        msg = "the layer has no CRS"
        raise CRSError(
            msg,
            file=path,
            expected="a layer with a coordinate reference system",
            message_de="Die Ebene hat kein Koordinatensystem (z. B. fehlende .prj-Datei)",
        )
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    found = ", ".join(map(str, cols))
    if ags_column is not None:
        code_col = _require_column(cols, ags_column, path, "AGS")
    else:
        detected = _find_column(cols, _BOUNDARY_AGS) or _find_column(cols, _BOUNDARY_ARS)
        if detected is None:
            msg = f"no AGS column; columns found: {found}"
            raise MissingColumnError(
                msg,
                file=path,
                expected="AGS, GKZ, ARS or RS",
                message_de="Keine Spalte mit dem Gemeindeschlüssel (AGS, GKZ, ARS, RS); "
                f"gefundene Spalten: {found}",
            )
        code_col = detected
    if name_column is not None:
        name_col: str | None = _require_column(cols, name_column, path, "Gemeindename")
    else:
        name_col = _find_column(cols, _BOUNDARY_NAME)
    if population_column is not None:
        pop_col: str | None = _require_column(cols, population_column, path, "Einwohner")
    else:
        pop_col = _find_column(cols, _BOUNDARY_POP)

    ags = pd.Series([_ags_from_code(v) for v in gdf[code_col]], index=gdf.index, dtype=object)
    bad = [i + 1 for i, v in enumerate(ags) if v is None]
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        msg = f"{len(bad)} features have a missing or invalid AGS (features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=bad[0],
            column=code_col,
            expected="8-digit AGS or 12-digit ARS",
            message_de=f"{len(bad)} Objekte ohne gültigen Gemeindeschlüssel (Objekt Nr. {shown})",
        )
    if name_col is not None:
        names = gdf[name_col].map(_text)
    else:
        logger.warning("%s: no name column; using the AGS as name", path.name)
        names = pd.Series([""] * len(gdf), index=gdf.index)
    names = names.where(names != "", ags)
    if pop_col is not None:
        pop = gdf[pop_col].map(_safe_number)
    else:
        pop = pd.Series(np.nan, index=gdf.index)

    geoms = shapely.make_valid(gdf.geometry.to_numpy())
    n_fixed = int((~shapely.is_valid(gdf.geometry.to_numpy())).sum())
    if n_fixed:
        logger.info("%s: repaired %d invalid geometries", path.name, n_fixed)
    geoms = np.array([_extract_polygons(g) for g in geoms], dtype=object)
    no_poly = [i + 1 for i, g in enumerate(geoms) if g is None]
    if no_poly:
        shown = ", ".join(map(str, no_poly[:20]))
        msg = f"{len(no_poly)} features are not polygons (features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=no_poly[0],
            expected="Polygon or MultiPolygon",
            message_de=f"{len(no_poly)} Objekte sind keine Flächen (Objekt Nr. {shown})",
        )
    out = gpd.GeoDataFrame(
        {
            "ags": pd.Series(ags.to_numpy(), dtype=object),
            "gemeinde": pd.Series(names.to_numpy(), dtype=object),
            "population": pd.Series(pop.to_numpy(), dtype=float),
        },
        geometry=gpd.GeoSeries(geoms, crs=gdf.crs),
    ).to_crs(WGS84)
    _check_in_europe(out, path, gdf.crs.to_string())
    if out["ags"].duplicated().any():
        out = _merge_duplicate_ags(out, path)
    if clip_to is not None:
        out = _clip(out, clip_to, keep_containing)
    return out.reset_index(drop=True)


def _safe_number(value: object) -> float:
    try:
        v = _parse_number(value, count=True)
    except ValueError:
        return float("nan")
    return float("nan") if v is None else v


def _merge_duplicate_ags(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Merge features sharing an AGS (exclaves, land/water parts)."""
    dup = sorted(set(gdf.loc[gdf["ags"].duplicated(), "ags"]))
    logger.warning(
        "%s: merging features of %d repeated AGS (%s)", path.name, len(dup), ", ".join(dup[:5])
    )
    rows = []
    for ags, grp in gdf.groupby("ags", sort=False):
        pops = grp["population"].dropna()
        pop = (
            float("nan")
            if pops.empty
            else (float(pops.iloc[0]) if (pops == pops.iloc[0]).all() else float(pops.sum()))
        )
        rows.append(
            {
                "ags": ags,
                "gemeinde": grp["gemeinde"].iloc[0],
                "population": pop,
                "geometry": shapely.union_all(grp.geometry.to_numpy()),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs)


def _clip(
    gdf: gpd.GeoDataFrame, clip_to: BaseGeometry, keep_containing: gpd.GeoSeries | None = None
) -> gpd.GeoDataFrame:
    hits = gdf.sindex.query(clip_to, predicate="intersects")
    sub = gdf.iloc[np.sort(hits)]
    if clip_to.geom_type in ("Polygon", "MultiPolygon") and not sub.empty:
        inter = shapely.area(shapely.intersection(sub.geometry.to_numpy(), clip_to))
        share = inter / np.maximum(shapely.area(sub.geometry.to_numpy()), 1e-30)
        keep = share >= 0.01
        if keep_containing is not None and len(keep_containing):
            pts = keep_containing.to_crs(WGS84).to_numpy()
            _, poly_idx = sub.sindex.query(pts, predicate="within")
            keep[np.unique(poly_idx)] = True
        sub = sub[keep]
    return sub


# --------------------------------------------------------------------------
# population


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
    cols = list(map(str, table.columns))
    found = ", ".join(cols)

    def missing(*, key: bool) -> MissingColumnError:
        what, what_de = (
            ("AGS/ARS", "Gemeindeschlüssel (AGS/ARS)") if key else ("population", "Einwohnerzahl")
        )
        msg = f"no {what} column; columns found: {found}"
        return MissingColumnError(
            msg,
            file=path,
            expected=what,
            message_de=f"Spalte {what_de} fehlt; gefundene Spalten: {found}",
        )

    key_col = _find_column(cols, _POP_KEY)
    if key_col is None:
        raise missing(key=True)
    pop_col = _find_column(cols, _POP_VALUE)
    if pop_col is None:
        raise missing(key=False)
    out_ags: list[str] = []
    out_pop: list[float] = []
    first_row: dict[str, int] = {}
    for rownum, code, raw in zip(table.index, table[key_col], table[pop_col], strict=True):
        row = int(rownum)
        ags = _ags_from_code(code)
        if _blank(code):
            msg = "AGS/ARS missing"
            raise InputDataError(
                msg,
                file=path,
                row=row,
                column=key_col,
                expected="8-digit AGS or 12-digit ARS",
                message_de="Gemeindeschlüssel fehlt",
            )
        if ags is None or not ags.isdigit():
            msg = f"invalid AGS/ARS {code!r}"
            raise InputDataError(
                msg,
                file=path,
                row=row,
                column=key_col,
                expected="8-digit AGS or 12-digit ARS",
                message_de=f"Ungültiger Gemeindeschlüssel „{code}“",
            )
        if isinstance(raw, str) and raw.strip().lower() in _MISSING_MARKERS:
            value = float("nan")
        else:
            try:
                parsed = _parse_number(raw, count=True)
            except ValueError as exc:
                msg = f"population {raw!r} is not a number"
                raise InputDataError(
                    msg,
                    file=path,
                    row=row,
                    column=pop_col,
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
                    column=pop_col,
                    expected="a number of inhabitants >= 0",
                    message_de=f"Einwohnerzahl „{raw}“ ist negativ",
                )
        if ags in first_row:
            prev = out_pop[out_ags.index(ags)]
            if not (prev == value or (math.isnan(prev) and math.isnan(value))):
                msg = f"AGS {ags} repeated with a different value (first in row {first_row[ags]})"
                raise InputDataError(
                    msg,
                    file=path,
                    row=row,
                    column=key_col,
                    message_de=f"Gemeindeschlüssel {ags} doppelt mit anderem Wert "
                    f"(zuerst in Zeile {first_row[ags]})",
                )
            continue
        first_row[ags] = row
        out_ags.append(ags)
        out_pop.append(value)
    return pd.DataFrame(
        {"ags": pd.Series(out_ags, dtype=object), "population": pd.Series(out_pop, dtype=float)}
    )


# --------------------------------------------------------------------------
# villages


def read_villages(
    path: Path,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read the user's own villages (points or polygons).

    Parameters
    ----------
    path
        A GIS layer (GeoPackage, GeoJSON, Shapefile; points or polygons) or
        a CSV/XLSX with coordinate columns (as in :func:`read_offers`,
        including ``EPSG``).
    id_column, name_column, population_column
        Column names; detected when ``None``.  Without an id column, ids are
        ``user:<n>`` (1-based feature/row number).

    Returns
    -------
    geopandas.GeoDataFrame
        *Villages* contract: ``id``, ``name``, ``place`` (``"user"``),
        ``osm_population`` (NaN), Point geometry (polygons → representative
        point, always inside), EPSG:4326; plus ``population`` when a
        population column exists and any ``children_*`` columns as floats.

    Raises
    ------
    InputDataError
        Unreadable file, empty, missing geometry/coordinates, lines, or
        duplicate ids (naming the rows).
    CRSError
        A GIS layer without CRS.
    MissingColumnError
        A named column is missing; a table without coordinate columns.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        gdf, rows = _villages_from_table(path)
    else:
        gdf = _read_layer(path, None)
        if gdf.crs is None:
            msg = "the layer has no CRS"
            raise CRSError(
                msg,
                file=path,
                expected="a layer with a coordinate reference system",
                message_de="Die Ebene hat kein Koordinatensystem",
            )
        rows = list(range(1, len(gdf) + 1))
    if gdf.empty:
        msg = "no villages in the file"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Orte")
    geom = gdf.geometry
    missing = [rows[i] for i, g in enumerate(geom) if g is None or g.is_empty]
    if missing:
        shown = ", ".join(map(str, missing[:20]))
        msg = f"{len(missing)} villages have no geometry (rows/features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=missing[0],
            message_de=f"{len(missing)} Orte ohne Geometrie (Zeile/Objekt {shown})",
        )
    kinds = geom.geom_type
    lines = [
        rows[i]
        for i, k in enumerate(kinds)
        if k not in ("Point", "MultiPoint", "Polygon", "MultiPolygon")
    ]
    if lines:
        msg = f"villages must be points or polygons (rows/features {lines[:20]})"
        raise InputDataError(
            msg,
            file=path,
            row=lines[0],
            expected="Point or Polygon",
            message_de="Orte müssen Punkte oder Flächen sein",
        )
    arr = shapely.make_valid(geom.to_numpy())
    points = np.where(np.isin(kinds.to_numpy(), ["Point"]), arr, shapely.point_on_surface(arr))
    points_ws = gpd.GeoSeries(points, crs=gdf.crs).to_crs(WGS84)
    _check_in_europe(gpd.GeoDataFrame(geometry=points_ws), path, gdf.crs.to_string())

    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    id_col = (
        _require_column(cols, id_column, path, "ID")
        if id_column
        else _find_column(cols, _VILLAGE_ID)
    )
    name_col = (
        _require_column(cols, name_column, path, "Name")
        if name_column
        else _find_column(cols, _VILLAGE_NAME)
    )
    pop_col = (
        _require_column(cols, population_column, path, "Einwohner")
        if population_column
        else _find_column(cols, _VILLAGE_POP)
    )
    if id_col is not None:
        ids = [_text(v) or f"user:{r}" for v, r in zip(gdf[id_col], rows, strict=True)]
    else:
        ids = [f"user:{r}" for r in rows]
    seen: dict[str, int] = {}
    for vid, r in zip(ids, rows, strict=True):
        if vid in seen:
            msg = f"duplicate id {vid!r} (rows/features {seen[vid]} and {r})"
            raise InputDataError(
                msg,
                file=path,
                row=r,
                column=id_col,
                message_de=f"Doppelte ID „{vid}“ (Zeile/Objekt {seen[vid]} und {r})",
            )
        seen[vid] = r
    names = [_text(v) for v in gdf[name_col]] if name_col is not None else [""] * len(gdf)
    names = [n or vid for n, vid in zip(names, ids, strict=True)]
    data: dict[str, Any] = {
        "id": pd.Series(ids, dtype=object),
        "name": pd.Series(names, dtype=object),
        "place": pd.Series(["user"] * len(ids), dtype=object),
        "osm_population": pd.Series(np.nan, index=range(len(ids)), dtype=float),
    }
    if pop_col is not None:
        data["population"] = pd.Series([_safe_number(v) for v in gdf[pop_col]], dtype=float)
    for col in cols:
        if str(col).lower().startswith("children_"):
            data[str(col).lower()] = pd.Series([_safe_number(v) for v in gdf[col]], dtype=float)
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(points_ws.to_numpy(), crs=WGS84), crs=WGS84
    )


def _villages_from_table(path: Path) -> tuple[gpd.GeoDataFrame, list[int]]:
    """Villages from a CSV/XLSX with lat/lon (or x/y + EPSG) columns."""
    table = read_table(path)
    cols = list(map(str, table.columns))
    lat_col = _find_column(cols, _OFFER_ROLES["lat"])
    lon_col = _find_column(cols, _OFFER_ROLES["lon"])
    epsg_col = _find_column(cols, _OFFER_ROLES["epsg"])
    if lat_col is None or lon_col is None:
        found = ", ".join(cols)
        msg = f"no coordinate columns (lat/lon or x/y); columns found: {found}"
        raise MissingColumnError(
            msg,
            file=path,
            expected="lat + lon, Breite + Länge or x + y (+ EPSG)",
            message_de=f"Keine Koordinatenspalten (Breite/Länge, lat/lon, x/y); gefundene "
            f"Spalten: {found}",
        )
    transformers: dict[int, Transformer] = {}
    geoms: list[Point] = []
    for rownum, x_raw, y_raw, epsg_raw in zip(
        table.index,
        table[lon_col],
        table[lat_col],
        table[epsg_col] if epsg_col else [None] * len(table),
        strict=True,
    ):
        row = int(rownum)
        try:
            x, y = _parse_number(x_raw), _parse_number(y_raw)
        except ValueError as exc:
            msg = f"coordinate ({x_raw!r}, {y_raw!r}) is not a number"
            raise InputDataError(
                msg,
                file=path,
                row=row,
                column=lon_col,
                message_de=f"Koordinate ({x_raw}; {y_raw}) ist keine Zahl",
            ) from exc
        if x is None or y is None:
            msg = "coordinates missing"
            raise InputDataError(
                msg, file=path, row=row, column=lon_col, message_de="Koordinaten fehlen"
            )
        m = re.search(r"\d{4,6}", _text(epsg_raw))
        epsg = int(m.group(0)) if m else 4326
        if epsg != 4326:
            if epsg not in transformers:
                try:
                    transformers[epsg] = Transformer.from_crs(epsg, 4326, always_xy=True)
                except PyprojCRSError as exc:
                    msg = f"unknown EPSG code {epsg}"
                    raise CRSError(
                        msg,
                        file=path,
                        row=row,
                        column=epsg_col,
                        message_de=f"Unbekannter EPSG-Code {epsg}",
                    ) from exc
            x, y = transformers[epsg].transform(x, y)
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            msg = f"coordinates ({x}, {y}) are not lon/lat degrees"
            raise InputDataError(
                msg,
                file=path,
                row=row,
                column=lon_col,
                expected="WGS84 degrees, or an EPSG column for projected x/y",
                message_de=f"Koordinaten ({x}; {y}) sind keine Längen-/Breitengrade; "
                "für projizierte x/y bitte eine EPSG-Spalte angeben",
            )
        geoms.append(Point(x, y))
    frame = table.drop(columns=[c for c in (lat_col, lon_col, epsg_col) if c]).reset_index(
        drop=True
    )
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)
    return gdf, [int(i) for i in table.index]
