"""The villages of the analysis area.

A run's village table holds every village of the data area (the Kreis plus
its buffer); the ``in_area`` column (set by the pipeline from the region
file's ``[area]``) says which belong to the analysis area, e.g. the
Gemeinden a Kreisjugendamt serves.  Key figures cover only those; the
others stay in the table as context and their offers as destinations.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["IN_AREA", "area_rows"]

#: The boolean column of villages, boundaries and grid cells inside the analysis area.
IN_AREA = "in_area"


def area_rows[T: pd.DataFrame](table: T) -> T:
    """The rows of ``table`` inside the analysis area; all rows without an ``in_area`` column.

    A missing value (a village without a Gemeinde) counts as outside.
    """
    if IN_AREA not in table.columns:
        return table
    keep = table[IN_AREA].astype("boolean").fillna(False).to_numpy(bool)
    return table[keep]
