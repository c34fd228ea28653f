"""The population grid surface as compact JSON for the web map's grid layer.

The grid (:mod:`erreichbarkeit.analysis.grid`) has ~10⁴–10⁵ cells; as plain
GeoJSON it would be about three times larger and take seconds to parse into
Leaflet layers.  :func:`grid_surface_json` stores the shared cell corners
once and each cell as five integers (four corner indices and its minute
class); :class:`erreichbarkeit.webmap.layers.GridSurfaceLayer` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from erreichbarkeit.report.style import BIN_COLORS, BIN_EDGES, classify_minutes

__all__ = ["grid_surface_json"]


def grid_surface_json(
    cells: gpd.GeoDataFrame,
    minutes: Any,
    *,
    edges: Sequence[float] = BIN_EDGES,
    digits: int = 5,
) -> str:
    """Grid cells and their minute classes as compact JSON for the grid surface layer.

    Each cell is taken as the rectangle of its bounds in its own CRS (the
    INSPIRE cells of :mod:`erreichbarkeit.analysis.grid` are squares in EPSG:3035).
    Neighbouring cells share corners, so the distinct corners are projected
    to lon/lat once and stored once; a cell is then five integers.  A plain
    GeoJSON of 30 000 squares would be about three times larger and take
    seconds to parse into Leaflet layers.

    Parameters
    ----------
    cells
        Grid cells (polygons, with a CRS).
    minutes
        Minutes per cell, same order and length as ``cells`` (NaN = no
        reachable offer, drawn in :data:`~erreichbarkeit.report.style.UNREACHABLE_COLOR`).
    edges
        Upper edges of the minute classes (as for the villages).
    digits
        Decimal places of the corner coordinates (5 ≈ 1 m).

    Returns
    -------
    str
        JSON ``{"o": [lat0, lon0], "s": step, "v": [dlat, dlon, …],
        "c": [i0, i1, i2, i3, class, …]}``: corner *j* is at
        ``(lat0 + v[2j]·step, lon0 + v[2j+1]·step)``; each cell lists its
        corners counter-clockwise from the lower left and its class, an
        index into ``[*BIN_COLORS, UNREACHABLE_COLOR]`` (unreachable =
        ``len(BIN_COLORS)``).  Cells without geometry are left out.

    Raises
    ------
    ValueError
        ``minutes`` does not have one value per cell.
    """
    t = np.asarray(minutes, dtype="float64").reshape(-1)
    if t.size != len(cells):
        msg = f"{t.size} minute values for {len(cells)} cells"
        raise ValueError(msg)
    geoms = cells.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    k = classify_minutes(t[keep], edges)
    k = np.where(k < 0, len(BIN_COLORS), k)
    b = shapely.bounds(geoms[keep])  # minx, miny, maxx, maxy
    # corners counter-clockwise from the lower left, 4 per cell
    xs = np.stack([b[:, 0], b[:, 2], b[:, 2], b[:, 0]], axis=1).reshape(-1)
    ys = np.stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]], axis=1).reshape(-1)
    scale = 100.0 if cells.crs is not None and cells.crs.is_projected else 1e7
    key = np.stack([np.round(xs * scale), np.round(ys * scale)], axis=1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    ux, uy = uniq[:, 0] / scale, uniq[:, 1] / scale
    if cells.crs is not None and not cells.crs.equals("EPSG:4326"):
        to_ll = Transformer.from_crs(cells.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_ll.transform(ux, uy)
    else:
        lon, lat = ux, uy
    step = 10.0 ** (-digits)
    ilat = np.round(np.asarray(lat) / step).astype("int64")
    ilon = np.round(np.asarray(lon) / step).astype("int64")
    o_lat = int(ilat.min()) if ilat.size else 0
    o_lon = int(ilon.min()) if ilon.size else 0
    v = np.stack([ilat - o_lat, ilon - o_lon], axis=1).reshape(-1)
    c = np.concatenate([inverse.reshape(-1, 4), k.reshape(-1, 1)], axis=1).reshape(-1)
    # ints straight from numpy's text formatting: json.dumps of 10⁵ Python ints
    # is several times slower
    return (
        f'{{"o":[{round(o_lat * step, digits)},{round(o_lon * step, digits)}],'
        f'"s":{step!r},"v":[{",".join(map(str, v.tolist()))}],'
        f'"c":[{",".join(map(str, c.tolist()))}]}}'
    )
