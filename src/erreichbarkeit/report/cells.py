"""Cell values shared by the spreadsheet exports: formula-injection safety, plain tables.

Formula injection
-----------------
Offer and village names come from OpenStreetMap and from planners' lists, so
a name such as ``=HYPERLINK("http://…")`` must never become a live formula.
Following OWASP ("CSV Injection") and OWASP ASVS 5.0 requirement 1.2.10 —
which applies the same rule to CSV *and* XLSX/ODF —
every text cell whose first character (also after leading white space) is
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL gets a leading
apostrophe (:func:`safe_cell`).  Numbers are written as numbers and never
changed, so a real negative number stays a number.

Why a visible apostrophe rather than keeping the text and setting the xlsx
``quotePrefix`` style flag: in an xlsx file a text cell (``t="s"``) is never
evaluated — the danger there is a writer that turns a string starting with
``=`` into a formula cell (openpyxl and XlsxWriter do so by default), which we avoid by
always writing prefixed text (and XlsxWriter is opened with
``strings_to_formulas=False``).  ``quotePrefix`` only tells Excel to keep the
cell text when a user *edits* it; whether other programs (LibreOffice,
Numbers, Google Sheets, online viewers) honour that style attribute varies,
and it is lost as soon as a user saves the sheet as CSV.  A literal
apostrophe behaves the same in every program and survives copy/paste and
CSV export; the cost is that the rare affected name shows a leading ``'``.
The tests check that such a cell is read back as text (``data_type == "s"``)
starting with the apostrophe.

Coordinates
-----------
Excel and CSV get ``lon``/``lat`` columns (WGS84 degrees) instead of
geometries (:func:`plain_table`).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from geopandas.array import GeometryDtype

from erreichbarkeit.config import WGS84

__all__ = ["display_value", "is_missing", "plain_table", "safe_cell"]

_FORMULA_CHARS = ("=", "+", "-", "@")
_CONTROL_CHARS = ("\t", "\r", "\0")
#: Text that is a leaked missing value (``str(None)``, ``str(nan)`` …), shown as an empty cell.
_MISSING_TEXT = frozenset({"None", "nan", "NaN", "NaT", "<NA>", "null"})


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    object
        A ``str`` starting with ``=``, ``+``, ``-`` or ``@`` (also after
        leading white space) or with a tab, carriage return or NUL gets a
        leading apostrophe (``"=1+1"`` → ``"'=1+1"``, ``"-5"`` → ``"'-5"``);
        every other value, including numbers such as ``-5``, is returned
        unchanged.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("  @SUM(A1)"), safe_cell(-5), safe_cell("Kita")
    ("'=1+1", "'  @SUM(A1)", -5, 'Kita')
    """
    if isinstance(value, str) and (
        value.startswith(_CONTROL_CHARS) or value.lstrip().startswith(_FORMULA_CHARS)
    ):
        return "'" + value
    return value


def is_missing(value: Any) -> bool:
    """Whether a cell value is empty: ``None``, ``pd.NA``, ``NaT``, NaN or infinite."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return False


def display_value(value: Any) -> Any:
    """A cell value as a person reads it: no ``None``/``nan`` text, no Python reprs.

    Missing values (also the texts ``"None"``, ``"nan"``, ``"NaT"``, ``"<NA>"``)
    become ``None`` (an empty cell); lists, tuples and sets become
    ``"a, b"``, mappings ``"a: 1; b: 2"``, booleans stay booleans, numbers
    stay numbers; every other value becomes text through :func:`safe_cell`.

    Examples
    --------
    >>> display_value(["Adorf", None, "Bdorf"]), display_value("nan"), display_value({"a": 1})
    ('Adorf, Bdorf', None, 'a: 1')
    """
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        parts = [display_value(v) for v in value]
        text = ", ".join(str(p) for p in parts if p is not None and p != "")
        return safe_cell(text) if text else None
    if isinstance(value, dict):
        items = [(display_value(k), display_value(v)) for k, v in value.items()]
        text = "; ".join(f"{k}: {v}" for k, v in items if k is not None and v is not None)
        return safe_cell(text) if text else None
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_ | int | np.integer | float | np.floating):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.strip() in _MISSING_TEXT:
        return None
    return safe_cell(text)


def plain_table(df: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry columns; add ``lon``/``lat`` (WGS84) for point geometries.

    ``lon``/``lat`` are added only when the active geometry holds points and
    the table has no such columns yet.
    """
    geom_cols = [c for c in df.columns if isinstance(df[c].dtype, GeometryDtype)]
    if not geom_cols:
        return pd.DataFrame(df)
    out = pd.DataFrame(df.drop(columns=geom_cols))
    if isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in geom_cols:
        geom = df.geometry
        nonempty = geom[~(geom.isna() | geom.is_empty)]
        if (
            len(nonempty)
            and (nonempty.geom_type == "Point").all()
            and "lon" not in out.columns
            and "lat" not in out.columns
        ):
            if geom.crs is not None and not geom.crs.equals(WGS84):
                geom = geom.to_crs(WGS84)
            valid = ~(geom.isna() | geom.is_empty)
            out["lon"] = np.where(valid, geom.x.where(valid), np.nan)
            out["lat"] = np.where(valid, geom.y.where(valid), np.nan)
    return out
