"""Residential-type roads: the settlement proxy of the grid.

Where a population grid is coarser than the cells, or missing, the length of
residential, access and service roads in a cell stands in for where people
live (:func:`settled_lines_from_network`, :func:`length_per_cell`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from erreichbarkeit._schema import OSM_SUFFIXES
from erreichbarkeit.analysis.grid.cells import GRID_CRS
from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import CRSError, NetworkError

__all__ = [
    "SETTLED_HIGHWAYS",
    "SETTLED_OMT_CLASSES",
    "length_per_cell",
    "settled_lines_from_network",
]

logger = logging.getLogger(__name__)

#: OSM ``highway`` values taken as signs of housing (settlement proxy).
SETTLED_HIGHWAYS: frozenset[str] = frozenset(
    {"residential", "living_street", "unclassified", "service"}
)
#: OpenMapTiles ``class`` values of the same roads (``minor`` merges
#: residential, living_street and unclassified).
SETTLED_OMT_CLASSES: frozenset[str] = frozenset({"minor", "service"})


def settled_lines_from_network(
    network_path: Path, *, roads_layer: str | None = None, class_column: str | None = None
) -> gpd.GeoSeries:
    """Residential-type roads of a network file: the settlement proxy.

    Parameters
    ----------
    network_path
        An OSM file (ways with ``highway`` in :data:`SETTLED_HIGHWAYS`) or a
        GIS line layer (OSM ``highway``/Geofabrik ``fclass`` values of
        :data:`SETTLED_HIGHWAYS`, or OpenMapTiles ``class`` in
        :data:`SETTLED_OMT_CLASSES`).
    roads_layer
        Layer of a multi-layer GIS file (guessed when ``None``).
    class_column
        Road class column of a GIS layer (detected when ``None``).

    Returns
    -------
    geopandas.GeoSeries
        Lines in EPSG:4326.

    Raises
    ------
    NetworkError
        Unreadable network file.
    MissingColumnError
        A GIS layer without road class column.
    """
    p = Path(network_path)
    name = p.name.lower()
    if any(name.endswith(s) for s in OSM_SUFFIXES):
        return _settled_from_osm(p)
    # gislayer pulls in osmium (0.3–0.4 s on import): load it only for a GIS roads layer
    from erreichbarkeit.io import gislayer  # noqa: PLC0415

    layer = roads_layer or gislayer.guess_layers(p)["roads"]
    fields = [str(f) for f in pyogrio.read_info(p, layer=layer)["fields"]]
    column = class_column or gislayer.detect_road_class_column(pd.DataFrame(columns=fields), file=p)
    values = SETTLED_OMT_CLASSES if column.lower() == "class" else SETTLED_HIGHWAYS
    quoted = ", ".join(f"'{v}'" for v in sorted(values))
    try:
        gdf = gpd.read_file(p, layer=layer, columns=[column], where=f'"{column}" IN ({quoted})')
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"cannot read the roads layer: {exc}"
        raise NetworkError(msg, file=p, message_de=f"Straßenebene unlesbar: {exc}") from exc
    if gdf.crs is None:
        msg = "the roads layer has no CRS"
        raise CRSError(msg, file=p, message_de="Die Straßenebene hat kein Koordinatensystem")
    lines = gdf.geometry[gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    logger.info("%s: %d residential-type road pieces as settlement proxy", p.name, len(lines))
    return gpd.GeoSeries(lines.to_crs(WGS84).to_numpy(), crs=WGS84)


def _settled_from_osm(path: Path) -> gpd.GeoSeries:
    """Ways of an OSM file with a residential-type ``highway`` tag, as lines."""
    # osmium and io.osm (which imports it) load slowly: only for an OSM network file
    import osmium  # noqa: PLC0415
    import osmium.geom  # noqa: PLC0415

    from erreichbarkeit.io.osm import validate_osm_file  # noqa: PLC0415

    validate_osm_file(path)
    wkb = osmium.geom.WKBFactory()
    geoms: list[str] = []  # hex WKB
    fp = (
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if isinstance(obj, osmium.osm.Way) and obj.tags.get("highway") in SETTLED_HIGHWAYS:
            try:
                geoms.append(wkb.create_linestring(obj))
            except RuntimeError:  # fewer than two valid locations
                continue
    lines = shapely.from_wkb(np.array(geoms, dtype=object)) if geoms else np.array([], dtype=object)
    logger.info("%s: %d residential-type ways as settlement proxy", path.name, len(lines))
    return gpd.GeoSeries(lines, crs=WGS84)


def length_per_cell(lines: gpd.GeoSeries | None, boxes: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Metres of line inside each box (exact clipping, vectorised over line × box pairs)."""
    out = np.zeros(len(boxes))
    if lines is None or len(lines) == 0 or len(boxes) == 0:
        return out
    if lines.crs is None:
        msg = "settlement lines have no CRS"
        raise CRSError(msg, expected="a CRS", message_de="Siedlungslinien ohne Koordinatensystem")
    geoms = lines.to_crs(GRID_CRS).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    tree = shapely.STRtree(boxes)
    li, bi = tree.query(geoms, predicate="intersects")
    if len(li) == 0:
        return out
    lengths = shapely.length(shapely.intersection(geoms[li], boxes[bi]))
    return np.bincount(bi, weights=lengths, minlength=len(boxes))
