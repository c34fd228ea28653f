"""What a click into the dashboard's web map means (no Streamlit).

streamlit-folium reports the position of the last click on the map
(``last_clicked``) and on a drawn object (``last_object_clicked``); both are
the *clicked* position, not the marker's centre, so a click on a village
marker is a few metres to a few hundred metres (at a small zoom) away from
the village.  :func:`read_click` picks the newest click out of the
component's value, :func:`village_at` turns it into the nearest village
within :data:`CLICK_RADIUS_M` metres, :func:`grid_minutes_at` into the
minutes of the 250 m grid surface at that point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from erreichbarkeit.analysis.grid import GridResult

__all__ = [
    "CLICK_RADIUS_M",
    "Click",
    "GridHit",
    "grid_minutes_at",
    "read_click",
    "village_at",
]

#: A click at most this many metres from a village selects it.
CLICK_RADIUS_M = 500.0

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Click:
    """One click on the map (WGS84 degrees)."""

    lat: float
    lon: float


@dataclass(frozen=True)
class GridHit:
    """The grid surface at a clicked point.

    Attributes
    ----------
    in_grid
        Whether the point lies in a grid cell of the surface.
    minutes
        Minutes from the cell to the nearest offer (``None``: no offer
        within the calculation limit, or not in a cell).
    """

    in_grid: bool
    minutes: float | None = None


def _point(value: Any) -> Click | None:
    """``{"lat": …, "lng": …}`` as a :class:`Click` (``None`` when it is none)."""
    if not isinstance(value, Mapping):
        return None
    try:
        lat, lon = float(value["lat"]), float(value["lng"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return Click(lat, lon)


def read_click(value: Any, seen: Any) -> tuple[Click | None, Any]:
    """The new click in streamlit-folium's value, and what to remember for the next run.

    The component repeats its last value on every rerun, so a click counts
    once: ``seen`` is the marker returned by the previous call (``None`` at
    first).  A click on a marker changes ``last_object_clicked`` (and, as the
    event bubbles, ``last_clicked``); a click beside the markers changes
    ``last_clicked`` only.

    Parameters
    ----------
    value
        ``st_folium``'s return value (or the component's session state).
    seen
        The marker of the clicks already handled.

    Returns
    -------
    tuple
        The new click (``None``: nothing new) and the marker to keep.
    """
    if not isinstance(value, Mapping):
        return None, seen
    obj = _point(value.get("last_object_clicked"))
    anywhere = _point(value.get("last_clicked"))
    marker = (obj, anywhere)
    if marker == seen or (obj is None and anywhere is None):
        return None, marker
    old_obj, old_any = seen if isinstance(seen, tuple) and len(seen) == 2 else (None, None)
    if anywhere is not None and anywhere != old_any:
        return anywhere, marker
    return (obj if obj != old_obj else None), marker


def village_at(
    villages: gpd.GeoDataFrame, click: Click, *, radius_m: float = CLICK_RADIUS_M
) -> str | None:
    """The id of the village nearest to ``click`` within ``radius_m`` metres (else ``None``).

    Distances are geodesic metres on the WGS84 ellipsoid (pyproj), so the
    radius means the same everywhere; ties go to the first village.
    """
    if villages.empty:
        return None
    geom = villages.geometry
    if geom.crs is not None and geom.crs.to_epsg() != 4326:
        geom = geom.to_crs(4326)
    lons, lats = geom.x.to_numpy("float64"), geom.y.to_numpy("float64")
    n = len(lons)
    _, _, dist = _GEOD.inv(np.full(n, click.lon), np.full(n, click.lat), lons, lats)
    dist = np.asarray(dist, dtype="float64")
    dist[~np.isfinite(dist)] = np.inf
    best = int(np.argmin(dist))
    if not dist[best] <= radius_m:
        return None
    return str(villages["id"].iloc[best])


def grid_minutes_at(grid: GridResult | None, category: str, mode: str, click: Click) -> GridHit:
    """The grid surface's minutes of ``category`` and ``mode`` at ``click``.

    ``GridHit(in_grid=False)`` without a grid, without the column, or when
    the point is in no cell (no inhabitants, no residential roads there).
    """
    column = f"{category}_{mode}_min"
    if grid is None or column not in grid.cells.columns or grid.cells.empty:
        return GridHit(in_grid=False)
    cells = grid.cells
    point = gpd.GeoSeries([shapely.Point(click.lon, click.lat)], crs=4326).to_crs(cells.crs)
    hits = cells.sindex.query(point.iloc[0], predicate="intersects")
    if not len(hits):
        return GridHit(in_grid=False)
    minutes = float(cells[column].iloc[int(hits[0])])
    return GridHit(in_grid=True, minutes=minutes if math.isfinite(minutes) else None)
