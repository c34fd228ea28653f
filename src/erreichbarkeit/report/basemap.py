"""An offline base layer drawn from the region's own road network.

Steering-group rooms often have no internet, so online tiles are no option
for orientation.  :func:`road_lines` extracts the classified roads
(motorway … tertiary, plus residential/unclassified streets as ``minor``)
from the same network file the routing uses and simplifies them; the folium
map (:mod:`erreichbarkeit.webmap`) and the print maps
(:mod:`erreichbarkeit.report.mapplot`) draw them below the villages in
:data:`erreichbarkeit.report.style.ROAD_STYLES`.

* OSM files (``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``) are streamed
  with pyosmium (ways with a ``highway`` tag, node locations cached).
* GIS line layers (GeoPackage, GeoJSON, Shapefile) are read with geopandas,
  filtered in GDAL by the road class column (OSM ``highway``, OpenMapTiles
  ``class`` or Geofabrik ``fclass``; see :mod:`erreichbarkeit.io.roadtags`).

The result is cached on disk as GeoParquet, keyed on the SHA-256 of the
network file's bytes and the extraction options, and written atomically; a
changed file gets a new key and is extracted again.  This module never
imports Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import shapely

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit._schema import OSM_SUFFIXES
from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import NetworkError
from erreichbarkeit.report.style import ROAD_CLASSES

__all__ = [
    "cached_road_lines",
    "road_cache_path",
    "road_lines",
    "roads_geojson",
]

logger = logging.getLogger(__name__)

#: OSM ``highway`` (and Geofabrik ``fclass``) values → base-layer class.
_HIGHWAY_CLASS: Mapping[str, str] = MappingProxyType(
    {
        **{c: c for c in ROAD_CLASSES[:-1]},
        **{f"{c}_link": c for c in ROAD_CLASSES[:-1]},
        "residential": "minor",
        "unclassified": "minor",
        "living_street": "minor",
    }
)
#: OpenMapTiles ``transportation.class`` values → base-layer class (``minor``
#: holds residential, unclassified and living streets; ramps keep their class).
_OMT_CLASS: Mapping[str, str] = MappingProxyType({c: c for c in ROAD_CLASSES})

#: Bump when the extraction changes, so old cache files are not reused.
_FORMAT_VERSION = 1


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"road_class": pd.Series([], dtype="object")}, geometry=[], crs=WGS84)


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in OSM_SUFFIXES)


def _osm_roads(path: Path) -> gpd.GeoDataFrame:
    classes: list[str] = []
    geoms: list[shapely.LineString] = []
    try:
        reader = (
            osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in reader:
            if not isinstance(obj, osmium.osm.Way):
                continue
            cls = _HIGHWAY_CLASS.get(obj.tags.get("highway") or "")
            if cls is None:
                continue
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if len(coords) >= 2:
                classes.append(cls)
                geoms.append(shapely.LineString(coords))
    except RuntimeError as exc:
        msg = f"cannot read the roads of the OSM file: {exc}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Die Straßen der OSM-Datei können nicht gelesen werden: {exc}",
        ) from exc
    return gpd.GeoDataFrame({"road_class": classes}, geometry=geoms, crs=WGS84)


def _gis_roads(path: Path, layer: str | None, class_column: str | None) -> gpd.GeoDataFrame:
    from erreichbarkeit.io import gislayer  # noqa: PLC0415  (heavy module, only for GIS layers)

    if layer is None and len(gislayer.list_layers(path)) > 1:
        layer = gislayer.guess_layers(path)["roads"]
    try:
        fields = [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"cannot read the roads layer {layer!r}: {exc}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Die Straßen-Ebene „{layer}“ kann nicht gelesen werden: {exc}",
        ) from exc
    column = class_column or gislayer.detect_road_class_column(
        pd.DataFrame(columns=fields), file=path
    )
    mapping = _OMT_CLASS if column.lower() == "class" else _HIGHWAY_CLASS
    values = ", ".join("'" + v + "'" for v in sorted(mapping))
    gdf = gpd.read_file(
        path, layer=layer, columns=[column], where=f'"{column}" IN ({values})', engine="pyogrio"
    )
    if gdf.crs is None:
        logger.warning("%s: roads layer has no CRS; assuming EPSG:4326", path.name)
        gdf = gdf.set_crs(WGS84)
    gdf = gdf.to_crs(WGS84)
    out = gpd.GeoDataFrame(
        {"road_class": gdf[column].astype(str).map(mapping)}, geometry=gdf.geometry, crs=WGS84
    )
    types = out.geometry.geom_type
    return out[types.isin(["LineString", "MultiLineString"]) & out["road_class"].notna()]


def road_lines(
    network: str | Path,
    *,
    layer: str | None = None,
    class_column: str | None = None,
    tolerance_m: float = 5.0,
) -> gpd.GeoDataFrame:
    """Extract the classified roads of a network file as simplified lines.

    Parameters
    ----------
    network
        An OSM file or a GIS line layer (the region's ``[inputs] network``).
    layer
        Roads layer of a multi-layer GIS file (guessed when ``None``).
    class_column
        Road class column of a GIS layer (detected when ``None``).
    tolerance_m
        Douglas–Peucker tolerance in metres (in EPSG:25832).

    Returns
    -------
    geopandas.GeoDataFrame
        ``road_class`` (one of :data:`ROAD_CLASSES`) and line geometries,
        EPSG:4326, sorted from minor to motorway (drawing order).

    Raises
    ------
    NetworkError
        If the file is missing or unreadable.
    MissingColumnError
        If a GIS layer has no road class column.
    """
    path = Path(network)
    if not path.exists():
        msg = "network file not found"
        raise NetworkError(msg, file=path, message_de="Straßennetz-Datei nicht gefunden")
    roads = _osm_roads(path) if _is_osm(path) else _gis_roads(path, layer, class_column)
    if roads.empty:
        logger.warning("%s: no roads for the base layer", path.name)
        return _empty()
    metric = roads.to_crs(METRIC_CRS)
    simple = shapely.simplify(metric.geometry.to_numpy(), tolerance_m, preserve_topology=False)
    keep = ~shapely.is_empty(simple) & (shapely.length(simple) > 0)
    out = gpd.GeoDataFrame(
        {"road_class": metric["road_class"].to_numpy()[keep]},
        geometry=gpd.GeoSeries(simple[keep], crs=METRIC_CRS).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    rank = out["road_class"].map({c: -i for i, c in enumerate(ROAD_CLASSES)})
    out = out.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
    logger.info("%s: %d base-layer road lines", path.name, len(out))
    return out


def road_cache_path(
    network: str | Path,
    cache_dir: str | Path,
    *,
    layer: str | None = None,
    class_column: str | None = None,
    tolerance_m: float = 5.0,
) -> Path:
    """The cache file of :func:`cached_road_lines` (content hash + options in the name)."""
    path = Path(network)
    options = json.dumps(
        [_FORMAT_VERSION, layer, class_column, float(tolerance_m)], separators=(",", ":")
    )
    key = hashlib.sha256((file_digest(path) + options).encode()).hexdigest()[:16]
    stem = path.name.split(".")[0] or "netz"
    return Path(cache_dir) / "basemap" / f"{stem}-{key}.parquet"


def cached_road_lines(
    network: str | Path,
    cache_dir: str | Path,
    *,
    layer: str | None = None,
    class_column: str | None = None,
    tolerance_m: float = 5.0,
) -> gpd.GeoDataFrame:
    """:func:`road_lines`, cached as GeoParquet below ``cache_dir/basemap``.

    Parameters
    ----------
    network, layer, class_column, tolerance_m
        As for :func:`road_lines`.
    cache_dir
        The region's cache folder (``Settings.cache_dir``).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`road_lines`.
    """
    target = road_cache_path(
        network, cache_dir, layer=layer, class_column=class_column, tolerance_m=tolerance_m
    )
    if target.exists():
        try:
            cached = gpd.read_parquet(target)
        except (OSError, ValueError) as exc:  # damaged cache file: extract again
            logger.warning("unreadable base-layer cache %s (%s); extracting again", target, exc)
        else:
            logger.debug("base layer from cache %s", target)
            return cached
    roads = road_lines(network, layer=layer, class_column=class_column, tolerance_m=tolerance_m)
    with atomic_path(target) as tmp:
        roads.to_parquet(tmp)
    return roads


def roads_geojson(roads: gpd.GeoDataFrame, *, digits: int = 5) -> str:
    """The roads as a compact GeoJSON text: one MultiLineString feature per class.

    Parameters
    ----------
    roads
        Output of :func:`road_lines`.
    digits
        Decimal places of the coordinates (5 ≈ 1 m).

    Returns
    -------
    str
        A GeoJSON FeatureCollection with property ``road_class``, minor first.
    """
    features = []
    r = roads.to_crs(WGS84)
    for cls in reversed(ROAD_CLASSES):
        geoms = r.geometry[r["road_class"] == cls].to_numpy()
        if len(geoms) == 0:
            continue
        parts = shapely.get_parts(geoms)
        parts = parts[shapely.get_type_id(parts) == 1]  # LineString
        merged = shapely.multilinestrings(parts)
        rounded = shapely.transform(merged, lambda c: np.round(c, digits))
        geometry = shapely.to_geojson(rounded)
        features.append(
            f'{{"type":"Feature","properties":{{"road_class":"{cls}"}},"geometry":{geometry}}}'
        )
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
