"""CSV files that German Excel opens by double-click (``;``, decimal comma, UTF-8 BOM)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.report.cells import display_value, is_missing, plain_table, safe_cell
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.readable import readable_table

__all__ = ["write_csv_de"]

logger = logging.getLogger(__name__)


def write_csv_de(
    path: str | Path, df: pd.DataFrame, *, headers: ColumnHeaders | None = None
) -> Path:
    """Write a CSV that German Excel opens by double-click.

    ``;`` as separator, decimal comma, UTF-8 with BOM (``utf-8-sig``),
    CRLF line ends (RFC 4180), booleans as ``ja``/``nein``, NaN as an empty
    field, every text through :func:`safe_cell`.  Geometry columns are
    dropped (point layers get ``lon``/``lat``).  Read it back with
    ``pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")``.

    Parameters
    ----------
    path
        Target file (replaced atomically).
    df
        The table.
    headers
        With a label table: German headers and values as people read them
        (:func:`~erreichbarkeit.report.readable.readable_table`: minutes and
        km with one decimal, people as whole numbers, shares in percent).
        ``None``: headers and values as given.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    out = readable_table(df, headers).frame if headers is not None else plain_table(df)
    out.columns = pd.Index([safe_cell(str(c)) for c in out.columns])  # headers are cells too
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "ja", False: "nein"}).astype(object)
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.where(np.isfinite(s.astype("float64")))  # ±inf: an empty field
        elif not pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = [_csv_value(v) for v in s.tolist()]
    with atomic_path(path) as tmp:
        out.to_csv(
            tmp,
            sep=";",
            decimal=",",
            encoding="utf-8-sig",
            index=False,
            na_rep="",
            lineterminator="\r\n",
        )
    logger.info("wrote %s (%d rows)", path, len(out))
    return path


def _csv_value(value: Any) -> Any:
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "ja" if value else "nein"
    if isinstance(value, float | np.floating):
        return f"{float(value)!r}".replace(".", ",")
    if isinstance(value, int | np.integer):
        return int(value)
    return display_value(value)
