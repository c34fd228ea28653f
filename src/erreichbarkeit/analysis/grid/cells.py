"""INSPIRE grid cells: ids, squares, and their Gemeinde.

Cells are squares of the INSPIRE grid (EPSG:3035, ETRS89-LAEA Europe), named
by their lower-left corner in metres, e.g. ``CRS3035RES250mN3050000E4250000``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from erreichbarkeit.errors import ConfigError, CRSError, InputDataError, MissingColumnError

__all__ = [
    "GRID_CRS",
    "boundaries_metric",
    "cell_boxes",
    "cell_frame",
    "cell_size",
    "inspire_ids",
    "locate",
]

#: CRS of the INSPIRE grid (ETRS89-LAEA Europe), equal-area.
GRID_CRS = "EPSG:3035"


def cell_size(cell_m: float) -> int:
    """The cell size as whole metres (50 … 10 000), or a :class:`ConfigError`."""
    if not (float(cell_m).is_integer() and 50 <= cell_m <= 10_000):
        msg = f"grid cell size {cell_m!r} m is not a whole number of metres between 50 and 10000"
        raise ConfigError(
            msg,
            column="grid_cell_m",
            expected="a whole number of metres such as 250",
            message_de=f"Rasterweite {cell_m!r} m ungültig (erwartet ganze Meter, z. B. 250)",
        )
    return int(cell_m)


def inspire_ids(x_ll: npt.ArrayLike, y_ll: npt.ArrayLike, cell_m: float) -> npt.NDArray[Any]:
    """INSPIRE grid cell ids from lower-left corners (EPSG:3035 metres).

    Examples
    --------
    >>> inspire_ids([4250000], [3050000], 250).tolist()
    ['CRS3035RES250mN3050000E4250000']
    """
    size = cell_size(cell_m)
    x = pd.Series(np.asarray(x_ll, dtype="float64")).round().astype("int64").astype(str)
    y = pd.Series(np.asarray(y_ll, dtype="float64")).round().astype("int64").astype(str)
    return (f"CRS3035RES{size}mN" + y + "E" + x).to_numpy(dtype=object)


def cell_boxes(x_ll: npt.NDArray[Any], y_ll: npt.NDArray[Any], size: float) -> npt.NDArray[Any]:
    """Square polygons from lower-left corners."""
    return shapely.box(x_ll, y_ll, x_ll + size, y_ll + size)


def boundaries_metric(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Gemeinden (``ags``, ``gemeinde``, geometry) checked and in EPSG:3035."""
    missing = [c for c in ("ags", "gemeinde") if c not in boundaries.columns]
    if missing:
        msg = f"boundaries lack column(s) {', '.join(missing)}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected="ags, gemeinde, geometry",
            message_de=f"Den Gemeindegrenzen fehlen die Spalten {', '.join(missing)}",
        )
    if boundaries.crs is None:
        msg = "boundaries have no CRS"
        raise CRSError(msg, expected="EPSG:4326", message_de="Gemeindegrenzen ohne KBS")
    if boundaries.empty:
        msg = "no Gemeinde boundaries: the grid needs the region's area"
        raise InputDataError(
            msg,
            expected="Gemeinde polygons",
            message_de="Keine Gemeindegrenzen: das Raster braucht die Fläche der Region",
        )
    return boundaries[["ags", "gemeinde", "geometry"]].to_crs(GRID_CRS).reset_index(drop=True)


def locate(points: Any, bnd: gpd.GeoDataFrame) -> npt.NDArray[np.int64]:
    """Index of the boundary holding each point (−1 = none; first match where overlapping)."""
    idx = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return idx
    pi, bi = bnd.sindex.query(points, predicate="intersects")
    order = np.lexsort((bi, pi))
    pi, bi = pi[order], bi[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.array([], dtype=bool)
    idx[pi[first]] = bi[first]
    return idx


def cell_frame(
    *,
    x_ll: npt.NDArray[Any],
    y_ll: npt.NDArray[Any],
    size: int,
    where: npt.NDArray[np.int64],
    bnd: gpd.GeoDataFrame,
    columns: Mapping[str, Any],
) -> gpd.GeoDataFrame:
    """Cells from lower-left corners with id, the Gemeinde at ``where`` and ``columns``."""
    frame = pd.DataFrame(
        {
            "cell_id": inspire_ids(x_ll, y_ll, size),
            "ags": bnd["ags"].to_numpy(dtype=object)[where],
            "gemeinde": bnd["gemeinde"].to_numpy(dtype=object)[where],
            **columns,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=cell_boxes(x_ll, y_ll, size), crs=GRID_CRS)
