"""GIS road line layers → OSM XML for OSRM (:func:`lines_to_osm`).

Counties often hold their road network as a GIS layer (GeoPackage, GeoJSON,
Shapefile) instead of an OSM file: OpenMapTiles extracts (``class`` column),
Geofabrik shapefiles (``fclass``) or own layers with an OSM ``highway``
column.  :func:`lines_to_osm` turns such a layer into an OSM XML file that
the OSRM profiles route on, in five steps:

1. every feature's **road class and attributes** become OSM tags
   (:mod:`erreichbarkeit.io.roadtags`), lines are split into parts;
2. **vertices closer than the tolerance are merged** into nodes, bridges
   and tunnels kept apart from the roads below them
   (:mod:`erreichbarkeit.io.nodemerge`);
3. the parts become **ways as node sequences**, dangling ends snapped onto
   nearby segments;
4. the network's **connectivity** is measured;
5. the nodes and ways are **written** as OSM XML (atomically).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from osmium.osm.mutable import Node, Way
from pyproj import Transformer

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback
from erreichbarkeit.errors import InputDataError, MissingColumnError, NetworkError
from erreichbarkeit.io._gisfile import read_layer, to_crs
from erreichbarkeit.io.gislayer import detect_road_class_column, guess_layers, list_layers
from erreichbarkeit.io.nodemerge import (
    WayNodes,
    connectivity,
    merge_vertices,
    number_nodes,
    way_nodes,
)
from erreichbarkeit.io.roadtags import AREA_HIGHWAYS, ClassKind, class_kind, road_tags

__all__ = ["CONVERTER_VERSION", "ConversionReport", "lines_to_osm"]

logger = logging.getLogger(__name__)

_TOTAL_STEPS = 5


#: Bumped whenever the conversion changes its output, so cached networks are rebuilt.
CONVERTER_VERSION = "1"


@dataclass(frozen=True)
class ConversionReport:
    """Summary of :func:`lines_to_osm`.

    Attributes
    ----------
    n_input_lines
        Features in the input layer.
    n_ways
        OSM ways written (one per line part).
    n_nodes
        OSM nodes written.
    n_merged_nodes
        Input vertices folded into another vertex (exact duplicates at
        junctions plus vertices within the tolerance).
    n_components
        Connected components of the written network.
    largest_component_share
        Share of nodes in the largest component (0…1).
    dropped
        Input features not converted, by reason (class value such as
        ``"rail"``, or ``"no geometry"``, ``"point geometry"``, ``"polygon"``,
        ``"shorter than tolerance"``).
    n_snapped_ends
        Dangling line ends joined onto the *segment* of another line within
        the tolerance (T-junctions whose vertex was simplified away).
    seconds
        Wall-clock time of the conversion.
    """

    n_input_lines: int
    n_ways: int
    n_nodes: int
    n_merged_nodes: int
    n_components: int
    largest_component_share: float
    dropped: Mapping[str, int]
    n_snapped_ends: int = 0
    seconds: float = 0.0


def lines_to_osm(
    source: Path | gpd.GeoDataFrame,
    out_path: Path,
    *,
    layer: str | None = None,
    class_column: str | None = None,
    tolerance_m: float = 1.0,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert a GIS road line layer into an OSM XML file for OSRM.

    Parameters
    ----------
    source
        A GeoPackage/GeoJSON/Shapefile path or a GeoDataFrame (any CRS).
    out_path
        The ``.osm`` file to write (atomically; its folder is created).
    layer
        Layer of a multi-layer file; ``None`` guesses it
        (:func:`guess_layers`).
    class_column
        Column with the road class; ``None`` detects it
        (:func:`detect_road_class_column`).
    tolerance_m
        Vertices closer than this (metres) become one node.
    progress
        Called as ``progress(step, done, total)`` after each of 5 stages.

    Returns
    -------
    ConversionReport
        Counts, connectivity and dropped features by reason.

    Raises
    ------
    NetworkError
        If the file cannot be read, the layer is empty or holds no usable road.
    MissingColumnError
        If no road class column exists.
    CRSError
        If the layer has no CRS.
    """
    started = time.perf_counter()
    gdf, file = _road_layer(source, layer)
    column = _class_column(gdf, class_column, file)
    metric = to_crs(gdf, METRIC_CRS, file)
    _progress(progress, 1)

    dropped: Counter[str] = Counter()
    way_tags, part_geoms = _line_parts(gdf, metric, class_kind(column), column, dropped)
    _progress(progress, 2)
    _require_parts(part_geoms, dropped, file)

    merged = merge_vertices(part_geoms, way_tags, tolerance_m)
    _progress(progress, 3)
    ways = way_nodes(merged, tolerance_m)
    if ways.n_short:
        dropped["shorter than tolerance"] += ways.n_short
    used, new_id = number_nodes(ways.ways, merged.n_nodes)
    n_components, largest = connectivity(ways.ways, new_id, len(used))
    _progress(progress, 4)
    _require_ways(ways, file)
    _write_osm(out_path, merged.node_xy[used], ways, new_id, way_tags)
    _progress(progress, 5)

    report = ConversionReport(
        n_input_lines=len(gdf),
        n_ways=len(ways.ways),
        n_nodes=len(used),
        n_merged_nodes=int(merged.n_vertices - merged.n_nodes),
        n_snapped_ends=ways.n_snapped,
        n_components=n_components,
        largest_component_share=largest,
        dropped=MappingProxyType(dict(sorted(dropped.items()))),
        seconds=time.perf_counter() - started,
    )
    _log_report(report, file, out_path)
    return report


def _progress(progress: ProgressCallback | None, done: int) -> None:
    """Report ``done`` of the conversion's five steps."""
    if progress is not None:
        progress("Straßennetz umwandeln", done, _TOTAL_STEPS)


def _require_parts(
    part_geoms: Sequence[Any], dropped: Mapping[str, int], file: Path | None
) -> None:
    """Raise when no feature yielded a usable road line."""
    if part_geoms:
        return
    msg = "the road layer holds no usable road lines"
    raise NetworkError(
        msg,
        file=file,
        expected="line features with a road class",
        message_de=(
            "Die Straßen-Ebene enthält keine verwendbaren Straßenlinien "
            f"(verworfen: {dict(dropped)})."
        ),
    )


def _require_ways(ways: WayNodes, file: Path | None) -> None:
    """Raise when every line part collapsed into a single node."""
    if not ways.ways:
        msg = "all road lines are shorter than the merge tolerance"
        raise NetworkError(
            msg, file=file, message_de="Alle Straßenlinien sind kürzer als die Fangtoleranz."
        )


def _road_layer(
    source: Path | gpd.GeoDataFrame, layer: str | None
) -> tuple[gpd.GeoDataFrame, Path | None]:
    """The road layer (guessed in a multi-layer file) and its file; it must hold features."""
    file: Path | None = None
    if isinstance(source, gpd.GeoDataFrame):
        gdf = source
    else:
        file = Path(source)
        if layer is None and file.exists():
            layer = _guess_road_layer(file)
        gdf = read_layer(file, layer, role="roads")
    if len(gdf) == 0:
        msg = f"the road layer {layer or ''} is empty".replace("  ", " ")
        raise NetworkError(msg, file=file, message_de="Die Straßen-Ebene ist leer (keine Linien).")
    return gdf, file


def _guess_road_layer(file: Path) -> str | None:
    """The roads layer of a multi-layer file (``None`` for a single layer)."""
    try:
        names = list_layers(file)
    except InputDataError as exc:  # for the road network it is a NetworkError
        raise NetworkError(
            exc.message,
            file=file,
            expected="a GeoPackage, GeoJSON or Shapefile with road lines",
            message_de=exc.message_de,
        ) from exc
    if len(names) <= 1:
        return None
    layer = guess_layers(file)["roads"]
    if layer is None:
        msg = f"cannot tell which layer holds the roads; layers: {', '.join(names)}"
        raise NetworkError(
            msg,
            file=file,
            message_de=(
                "Welche Ebene das Straßennetz enthält, ist unklar; bitte angeben. "
                f"Ebenen: {', '.join(names)}."
            ),
        )
    return layer


def _class_column(gdf: gpd.GeoDataFrame, class_column: str | None, file: Path | None) -> str:
    """The road class column: as given (it must exist), else detected."""
    column = class_column or detect_road_class_column(gdf, file=file)
    if column not in gdf.columns:
        found = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        msg = f"road class column {column!r} not found; columns found: {found}"
        raise MissingColumnError(
            msg,
            file=file,
            column=column,
            message_de=f"Spalte „{column}“ fehlt. Vorhandene Spalten: {found}.",
        )
    return column


def _line_parts(
    gdf: gpd.GeoDataFrame,
    metric: gpd.GeoDataFrame,
    kind: ClassKind,
    column: str,
    dropped: Counter[str],
) -> tuple[list[dict[str, str]], list[Any]]:
    """Tags and line parts (metric CRS) of every usable feature; the rest counted in ``dropped``."""
    columns = {str(c).lower(): str(c) for c in gdf.columns if c != "geometry"}
    attrs = pd.DataFrame(metric.drop(columns=metric.geometry.name)).to_dict("records")
    way_tags: list[dict[str, str]] = []
    part_geoms: list[Any] = []
    for row, geom in zip(attrs, metric.geometry.to_numpy(), strict=True):
        if geom is None or geom.is_empty:
            dropped["no geometry"] += 1
            continue
        tags, reason = road_tags(row, kind, column, columns)
        if reason:
            dropped[reason] += 1
            continue
        parts = _parts(geom, tags)
        if isinstance(parts, str):
            dropped[parts] += 1
            continue
        for part in parts:
            way_tags.append(tags)
            part_geoms.append(part)
    return way_tags, part_geoms


def _parts(geom: Any, tags: Mapping[str, str]) -> list[Any] | str:
    """The line parts of one feature, or why it is dropped (points, polygons of roads)."""
    gtype = geom.geom_type
    if gtype in {"Point", "MultiPoint"}:
        return "point geometry"
    if gtype in {"Polygon", "MultiPolygon"}:
        if tags.get("highway") not in AREA_HIGHWAYS:
            return "polygon"
        return [shapely.get_exterior_ring(p) for p in shapely.get_parts(geom)]
    if gtype == "GeometryCollection":
        return [p for p in shapely.get_parts(geom) if p.geom_type == "LineString"]
    return list(shapely.get_parts(geom))


def _write_osm(
    out_path: Path,
    node_xy: np.ndarray,
    ways: WayNodes,
    new_id: np.ndarray,
    way_tags: Sequence[Mapping[str, str]],
) -> None:
    """Write the used nodes (ids 1..n, WGS84) and the ways as OSM XML, atomically."""
    to_wgs = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(node_xy[:, 0], node_xy[:, 1])
    with atomic_path(out_path) as tmp:
        writer = osmium.SimpleWriter(str(tmp))
        try:
            for i in range(len(node_xy)):
                writer.add_node(Node(id=i + 1, version=1, location=(float(lon[i]), float(lat[i]))))
            for way_id, (nodes, part) in enumerate(zip(ways.ways, ways.parts, strict=True), 1):
                writer.add_way(
                    Way(
                        id=way_id,
                        version=1,
                        nodes=[int(n) for n in new_id[nodes]],
                        tags=way_tags[part],
                    )
                )
        finally:
            writer.close()


def _log_report(report: ConversionReport, file: Path | None, out_path: Path) -> None:
    """Log the conversion summary."""
    logger.info(
        "%s → %s: %d lines → %d ways, %d nodes (%d vertices merged, %d ends snapped); "
        "%d components, "
        "largest holds %.1f %% of nodes; dropped %s; %.1f s",
        file.name if file else "GeoDataFrame",
        Path(out_path).name,
        report.n_input_lines,
        report.n_ways,
        report.n_nodes,
        report.n_merged_nodes,
        report.n_snapped_ends,
        report.n_components,
        100 * report.largest_component_share,
        dict(report.dropped),
        report.seconds,
    )
