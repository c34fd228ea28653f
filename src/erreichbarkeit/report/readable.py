"""Tables as people read them: German headers, rounded numbers, German labels.

:func:`readable_table` turns a result table (machine column names, raw
floats) into the table the Excel sheets and German CSVs show: headers from
:class:`~erreichbarkeit.report.headers.ColumnHeaders`, minutes and km with
one decimal, people as whole numbers, shares in percent (0–100), category,
mode and place values in German.  The GeoPackage and Parquet files keep the
machine names and raw values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from erreichbarkeit.report.cells import plain_table
from erreichbarkeit.report.headers import PLACE_LABELS_DE, ColumnHeaders, Kind

__all__ = ["EXCEL_FORMATS", "UNIT_DE", "ReadableTable", "readable_table"]

logger = logging.getLogger(__name__)

#: Excel number format per kind (``None``: Excel's default).
EXCEL_FORMATS: Mapping[Kind, str] = {
    "minutes": "0.0",
    "km": "0.0",
    "rate": "0.0",
    "people": "#,##0",
    "count": "0",
    "metres": "0",
    "share": '0.0" %"',
    "degrees": "0.000000",
}

#: How the values of a kind are shown (sheet *Spalten*).
UNIT_DE: Mapping[Kind, str] = {
    "minutes": "Minuten, 1 Nachkommastelle",
    "km": "Kilometer, 1 Nachkommastelle",
    "rate": "Zahl, 1 Nachkommastelle",
    "people": "ganze Zahl",
    "count": "ganze Zahl",
    "metres": "Meter, ganze Zahl",
    "share": "Prozent 0–100, 1 Nachkommastelle (GeoPackage/Parquet: Anteil 0–1)",
    "degrees": "Grad (WGS84), 6 Nachkommastellen",
    "flag": "ja/nein",
    "category": "Kategorie (GeoPackage/Parquet: Schlüssel, z. B. kita)",
    "mode": "Verkehrsmittel (GeoPackage/Parquet: car, bike, walk …)",
    "place": "Ortstyp (GeoPackage/Parquet: OSM-Wert, z. B. village)",
}

_DECIMALS: Mapping[Kind, int] = {"minutes": 1, "km": 1, "rate": 1, "degrees": 6}


@dataclass(frozen=True)
class ReadableTable:
    """A table with German headers and the description of each column.

    Attributes
    ----------
    frame
        German headers, values rounded and labelled.
    kinds
        Kind of each column, by German header.
    columns
        ``(German header, machine name, meaning)`` per column.
    """

    frame: pd.DataFrame
    kinds: dict[str, Kind] = field(default_factory=dict)
    columns: list[tuple[str, str, str]] = field(default_factory=list)


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _whole(values: pd.Series) -> pd.Series:
    """Rounded to whole numbers as a nullable integer column (NaN/inf → empty)."""
    arr = pd.to_numeric(values, errors="coerce").astype("float64")
    arr = arr.where(np.isfinite(arr))
    return arr.round(0).astype("Int64")


def _convert(s: pd.Series, kind: Kind, headers: ColumnHeaders) -> pd.Series:
    """The values of one column as people read them."""
    labels: Mapping[Kind, Mapping[str, str]] = {
        "category": headers.category_labels,
        "mode": headers.mode_labels,
        "place": PLACE_LABELS_DE,
    }
    if kind in labels:
        table = labels[kind]
        return s.map(lambda v: table.get(v, v) if isinstance(v, str) else v)
    return _rounded(s, kind) if _numeric(s) else s


def _rounded(s: pd.Series, kind: Kind) -> pd.Series:
    """Numbers rounded for reading: whole people and metres, one decimal for minutes …"""
    if kind in ("people", "metres"):
        return _whole(s)
    if kind in ("count", "number"):
        finite = s[np.isfinite(s.astype("float64"))]
        if (finite == finite.round(0)).all():
            return _whole(s)
        return s.round(1) if kind == "count" else s
    if kind == "share":
        return (s.astype("float64") * 100.0).round(1)
    if kind in _DECIMALS:
        return s.astype("float64").round(_DECIMALS[kind])
    return s


def readable_table(df: pd.DataFrame, headers: ColumnHeaders) -> ReadableTable:
    """The table with German headers and values rounded for reading.

    Geometry columns are replaced by longitude/latitude (see
    :func:`~erreichbarkeit.report.cells.plain_table`).  Columns are never
    dropped: one the header table does not know keeps a readable form of its
    name (logged once).  Repeated labels get the machine name appended.

    Parameters
    ----------
    df
        A result table with machine column names.
    headers
        The label table.

    Returns
    -------
    ReadableTable
    """
    plain = plain_table(df)
    data: dict[str, pd.Series] = {}
    kinds: dict[str, Kind] = {}
    columns: list[tuple[str, str, str]] = []
    for col in plain.columns:
        info = headers.describe(str(col))
        if not info.known:
            logger.info("no German header for column %r; shown as %r", col, info.label)
        label = info.label if info.label not in data else f"{info.label} [{col}]"
        data[label] = _convert(plain[col], info.kind, headers).reset_index(drop=True)
        kinds[label] = info.kind
        unit = UNIT_DE.get(info.kind, "")
        meaning = "; ".join(p for p in (info.meaning, unit) if p)
        columns.append((label, str(col), meaning))
    frame = pd.DataFrame(data, index=range(len(plain))) if data else pd.DataFrame(index=plain.index)
    return ReadableTable(frame, kinds, columns)
