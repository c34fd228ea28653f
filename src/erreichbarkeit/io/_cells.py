"""Cells and columns of planners' tables: text, German numbers, column names.

Shared by the table readers (:mod:`erreichbarkeit.io.tables`,
:mod:`~erreichbarkeit.io.offers`, :mod:`~erreichbarkeit.io.boundaries`,
:mod:`~erreichbarkeit.io.population`, :mod:`~erreichbarkeit.io.villages`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
from rapidfuzz import fuzz, process

from erreichbarkeit._helpers import ags_from_key
from erreichbarkeit.errors import MissingColumnError

__all__ = [
    "COORDINATE_ALIASES",
    "MAX_GEMEINDE_POPULATION",
    "MISSING_MARKERS",
    "POPULATION_RANGE_DE",
    "ags_from_code",
    "blank",
    "cell_text",
    "closest_name",
    "find_column",
    "key",
    "parse_number",
    "require_column",
    "safe_number",
]

#: Normalised header spellings (see :func:`key`) of coordinate columns.
COORDINATE_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
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
    }
)
#: Cell values meaning "no value" (Destatis secrecy markers and the like).
MISSING_MARKERS = frozenset({"", "-", "–", ".", "x", "...", "…", "/", "nan", "na", "n/a"})

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(\.\d{3})+")
_THOUSANDS_COMMA = re.compile(r"[-+]?\d{1,3}(,\d{3})+")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def key(s: object) -> str:
    """Comparison key of a header or label: lower, umlauts spelled out, alnum only.

    Parenthesised parts are dropped (``"Kapazität (Plätze)"`` → ``kapazitaet``).
    """
    value = unicodedata.normalize("NFC", str(s)).lower()
    value = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", value)
    value = value.translate(_UMLAUTS)
    value = "".join(
        ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)
    )
    return re.sub(r"[^0-9a-z]+", "", value)


def blank(value: object) -> bool:
    """Whether a cell is empty (``None``, NaN or only whitespace)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def cell_text(value: object) -> str:
    """Cell as text; integer-valued floats from XLSX lose their ``.0``."""
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number_text(s: str, *, count: bool) -> str:
    """Rewrite German separators of a number text to Python's (``"1.234,5"`` → ``"1234.5"``)."""
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            return s.replace(".", "").replace(",", ".")
        return s.replace(",", "")
    if s.count(",") > 1:
        if not _THOUSANDS_COMMA.fullmatch(s):
            raise ValueError(s)  # "20,5,5": no number
        return s.replace(",", "")
    if "," in s:
        return s.replace(",", ".")
    if s.count(".") > 1 or (count and _THOUSANDS.fullmatch(s)):
        if not _THOUSANDS.fullmatch(s):
            raise ValueError(s)
        return s.replace(".", "")
    return s


def parse_number(value: object, *, count: bool = False) -> float | None:
    """Parse a number as Germans write it.

    ``"51,5339"`` → 51.5339, ``"1.234"`` (``count=True``) → 1234,
    ``"1.234,5"`` → 1234.5, ``"1 234"`` → 1234.  Returns ``None`` for an
    empty cell and raises :class:`ValueError` for text.

    Hand-written because pandas' ``decimal=``/``thousands=`` options apply
    to a whole file, while planners' files mix ``51.53`` and ``51,53``.
    """
    if blank(value):
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
        s = _number_text(s, count=count)
        if not _PLAIN_NUMBER.fullmatch(s):
            raise ValueError(s)
        out = float(s)
    if not math.isfinite(out):
        raise ValueError(str(value))
    return out


def safe_number(value: object) -> float:
    """A count as :func:`parse_number` reads it; NaN for empty or text cells."""
    try:
        v = parse_number(value, count=True)
    except ValueError:
        return float("nan")
    return float("nan") if v is None else v


def find_column(columns: Iterable[str], aliases: Sequence[str]) -> str | None:
    """First column of ``columns`` whose key is one of ``aliases`` (in alias order)."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(key(col), col)
    for alias in aliases:
        hit = by_key.get(key(alias))
        if hit is not None:
            return hit
    return None


def require_column(frame_columns: Sequence[str], name: str, file: Path, what: str) -> str:
    """The column the user named (matched by :func:`key` when not spelled exactly).

    Raises
    ------
    MissingColumnError
        Naming the columns found when there is no such column.
    """
    if name in frame_columns:
        return name
    found = find_column(frame_columns, [name])
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


def ags_from_code(value: object) -> str | None:
    """8-digit AGS from an AGS (≤ 8 digits) or ARS/RS (11–12 digits)."""
    code = cell_text(value)
    return ags_from_key(code) if code else None


#: Largest plausible population of one Gemeinde (Berlin: 3.9 million).
MAX_GEMEINDE_POPULATION = 4_000_000
#: German text of the plausible population range.
POPULATION_RANGE_DE = "0 bis 4.000.000"


#: Minimum rapidfuzz ratio for suggesting a known column name for an unused one.
COLUMN_SCORE_CUTOFF = 75.0


def closest_name(column: str, known: Mapping[str, str]) -> str | None:
    """The known column name closest to ``column`` (``None`` when nothing is close).

    Parameters
    ----------
    column
        A column of the file that was not used (``"Breitengard"``).
    known
        Normalised key (:func:`key`) → name to suggest (``"breitengrad"`` →
        ``"Breitengrad"``).
    """
    k = key(column)
    if len(k) < 3 or not known:
        return None
    found = process.extractOne(k, list(known), scorer=fuzz.ratio)
    if found is None or found[1] < COLUMN_SCORE_CUTOFF:
        return None
    return known[found[0]]
