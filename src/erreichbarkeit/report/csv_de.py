"""CSV files that German Excel opens by double-click (``;``, decimal comma, UTF-8 BOM)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.report.cells import is_missing, plain_table, safe_cell

__all__ = ["write_csv_de"]

logger = logging.getLogger(__name__)


def write_csv_de(path: str | Path, df: pd.DataFrame) -> Path:
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

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    out = plain_table(df)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "ja", False: "nein"}).astype(object)
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
    return safe_cell(value if isinstance(value, str) else str(value))
