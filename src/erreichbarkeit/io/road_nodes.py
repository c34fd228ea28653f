"""Where the road network has data: the coordinates of its road nodes (:func:`road_nodes`)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium

__all__ = ["declared_bounds", "road_nodes"]

logger = logging.getLogger(__name__)


def road_nodes(path: Path, *, decimals: int = 3) -> tuple[npt.NDArray[np.float64], ...]:
    """Longitudes and latitudes of the nodes of every ``highway=*`` way.

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.osm.pbf``, ``.osm.bz2``, ``.osm.gz``; a GIS
        road layer's converted file).
    decimals
        Coordinates are rounded to this many decimals and deduplicated (3:
        about 100 m), which keeps the arrays small for a whole Kreis.

    Returns
    -------
    tuple
        ``(lon, lat)`` arrays (degrees); empty when the file cannot be read
        (the caller then falls back to a coarser extent).
    """
    coords: list[tuple[float, float]] = []
    try:
        stream = (
            osmium.FileProcessor(Path(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in stream:
            if isinstance(obj, osmium.osm.Way):
                coords.extend((n.lon, n.lat) for n in obj.nodes if n.location.valid())
    except RuntimeError as exc:
        logger.warning("%s: road nodes not readable (%s)", Path(path).name, exc)
        coords = []
    if not coords:
        empty = np.empty(0, dtype="float64")
        return empty, empty
    arr = np.unique(np.round(np.asarray(coords, dtype="float64"), decimals), axis=0)
    return arr[:, 0], arr[:, 1]


def declared_bounds(path: Path) -> tuple[float, float, float, float] | None:
    """The ``<bounds>`` box the OSM file's header declares, ``None`` when it has none.

    Extracts cut by a box (Overpass, osmium) declare it; some files carry a
    placeholder (the whole world), which the caller must judge.
    """
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError:
        return None
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
