"""Small helpers shared by several modules."""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from erreichbarkeit.errors import MissingColumnError

__all__ = ["ags_from_key", "file_digest", "number_de", "require_columns"]


def number_de(value: Any, digits: int = 0) -> str:
    """A number as German text: thousands dots, decimal comma; „—“ without a number.

    „Without a number“ is None, NaN, ±inf, pandas NA or anything ``float``
    rejects.  The one formatter of the command line, the dashboard, the
    exports and the paper outputs (babel would do it, but is no dependency
    for two lines of formatting).

    Examples
    --------
    >>> number_de(8158), number_de(0.84, 1), number_de(1234.56, 1), number_de(None)
    ('8.158', '0,8', '1.234,6', '—')
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(number):
        return "—"
    return f"{number:,.{digits}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def file_digest(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, memoised per path, size and modification time.

    Caches of prepared networks, converted layers and base maps are keyed on
    the content of their input; a county extract of several hundred MB would
    otherwise be hashed again for every mode and every cache.
    """
    p = Path(path).resolve()
    stat = p.stat()
    return _digest(str(p), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # cache key only
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_FLOAT_TAIL = re.compile(r"\.0+$")


def ags_from_key(value: object) -> str | None:
    """The 8-digit Amtlicher Gemeindeschlüssel from an AGS or a Regionalschlüssel.

    Accepts an AGS with up to 8 digits (leading zeros lost in a spreadsheet
    are restored: ``3159016`` → ``03159016``), a 12-digit ARS/RS (11 digits
    when its leading zero was lost), reduced as AGS = ARS[0:5] + ARS[9:12]
    (Land, Regierungsbezirk, Kreis + Gemeinde; the 4 Verband digits are
    dropped), and numbers written as floats by spreadsheets (``3159016.0``).

    Returns
    -------
    str or None
        ``None`` for anything else.

    Examples
    --------
    >>> ags_from_key("3159016"), ags_from_key("031590016016"), ags_from_key(3159016.0)
    ('03159016', '03159016', '03159016')
    """
    if value is None:
        return None
    text = _FLOAT_TAIL.sub("", str(value).strip().replace(" ", ""))
    if not text.isdigit():
        return None
    if len(text) <= 8:
        return text.zfill(8)
    if len(text) in (11, 12):
        text = text.zfill(12)
        return text[:5] + text[9:]
    return None


def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise :class:`MissingColumnError` naming every column of ``columns`` that ``df`` lacks.

    Parameters
    ----------
    df
        The table handed to a pure function (indicators, supply).
    columns
        The contract columns that function needs.
    table
        The table's name in the message (e.g. ``"villages"``).
    """
    wanted = list(columns)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        msg = f"{table} table lacks column(s) {', '.join(missing)}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected=", ".join(wanted),
            message_de=f"Der Tabelle „{table}“ fehlen die Spalten {', '.join(missing)}",
        )
