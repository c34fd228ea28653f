"""GIS road line layers → OSM XML for OSRM; places and POIs from GIS layers.

Counties often hold their road network as a GIS layer (GeoPackage, GeoJSON,
Shapefile) instead of an OSM file: OpenMapTiles extracts (``class`` column),
Geofabrik shapefiles (``fclass``) or own layers with an OSM ``highway``
column.  :func:`lines_to_osm` turns such a layer into an OSM XML file that
the OSRM profiles route on:

1. **Road classes** become ``highway=*`` tags.  OSM values are taken as they
   are.  OpenMapTiles classes map as follows (``ramp=1`` turns
   motorway…tertiary into ``*_link``):

   ============================  ==========================================
   OpenMapTiles ``class``        OSM tags written
   ============================  ==========================================
   motorway … tertiary           the same ``highway`` value
   minor                         ``highway=unclassified`` (see below)
   service, track, busway        the same ``highway`` value
   path                          ``subclass`` when it is a highway value
                                 (footway, cycleway, steps, path,
                                 bridleway, pedestrian, …), else ``path``
   ferry                         ``route=ferry``
   \\*_construction, rail,        dropped (counted in the report)
   transit, bridge (areas),
   pier, raceway, aerialways
   ============================  ==========================================

   OpenMapTiles merges ``residential``, ``unclassified`` and
   ``living_street`` into ``minor``.  We write ``unclassified``: it is the
   class of the roads *between* villages that matter most in a rural
   county, the OSRM default profiles give ``residential`` and
   ``unclassified`` the same speed (car 25 km/h, bike/foot equal), and a
   region file can raise it with ``routing.speeds.car.unclassified``.

2. **Attributes** ``oneway`` (``1``/``yes`` → ``yes``, ``-1`` → ``-1``),
   ``maxspeed``, ``access``, ``foot``, ``bicycle`` (1/0 → yes/no, strings as
   given), ``surface``, ``service``, ``brunnel`` (→ ``bridge``/``tunnel``/
   ``ford=yes``), ``layer``, ``name`` and ``ref`` are copied where the
   columns exist.

3. **Nodes are merged**: OpenMapTiles lines are cut at every tile border and
   the pieces' end points differ by centimetres; own layers have digitising
   gaps.  All vertices are projected to EPSG:25832 and every pair closer
   than ``tolerance_m`` is merged (:class:`scipy.spatial.cKDTree`
   ``query_pairs`` + connected components, so vertices on either side of a
   grid-cell edge merge, unlike plain rounding).  Interior vertices of
   bridges and tunnels are keyed by ``(brunnel, layer)`` and only merge with
   vertices of the same key or with line *end points*, so a bridge does not
   create a junction with the road below it while its ends still connect.

4. The graph's **connectivity** (connected components over the written
   ways, :func:`scipy.sparse.csgraph.connected_components`) is logged and
   returned in the :class:`ConversionReport`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import shapely
from osmium.osm.mutable import Node, Way
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._schema import OFFER_COLUMNS, PLACE_TYPES, VILLAGE_COLUMNS
from erreichbarkeit.config import METRIC_CRS, WGS84, Category, ProgressCallback
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError, NetworkError
from erreichbarkeit.io.osm import match_category, parse_population

__all__ = [
    "ConversionReport",
    "detect_road_class_column",
    "guess_layers",
    "lines_to_osm",
    "list_layers",
    "read_gis_features",
]

logger = logging.getLogger(__name__)

ClassKind = Literal["highway", "omt", "fclass"]

#: OpenMapTiles ``transportation.class`` → OSM ``highway`` value.
_OMT_HIGHWAY: Mapping[str, str] = MappingProxyType(
    {
        "motorway": "motorway",
        "trunk": "trunk",
        "primary": "primary",
        "secondary": "secondary",
        "tertiary": "tertiary",
        "minor": "unclassified",
        "service": "service",
        "track": "track",
        "path": "path",
        "busway": "busway",
    }
)
_LINKABLE = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})
#: ``subclass`` values of OpenMapTiles ``path`` that are OSM highway values.
_PATH_SUBCLASSES = frozenset(
    {
        "footway",
        "cycleway",
        "steps",
        "path",
        "bridleway",
        "pedestrian",
        "corridor",
        "platform",
        "track",
        "service",
        "living_street",
        "residential",
    }
)
#: Highway values that are not (yet/any more) roads.
_NOT_ROADS = frozenset(
    {"construction", "proposed", "planned", "abandoned", "disused", "razed", "no", "none"}
)
#: Highway values whose polygons are walkable squares (outline used as a closed way).
_AREA_HIGHWAYS = frozenset({"pedestrian", "path", "footway", "platform"})
_TRUE = frozenset({"1", "yes", "true", "t", "y", "ja", "j"})
_FALSE = frozenset({"0", "no", "false", "f", "n", "nein"})

_ROAD_LAYER_NAMES = ("roads", "road", "transportation", "strassen", "straßen", "streets", "ways")
_PLACE_LAYER_NAMES = ("places", "place", "orte", "ortschaften", "villages", "place_label")
_POI_LAYER_NAMES = ("pois", "poi", "einrichtungen", "angebote", "amenities", "poi_label")


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


# --------------------------------------------------------------------------- layers


def list_layers(path: str | Path) -> list[str]:
    """Return the layer names of a GIS file (one name for GeoJSON/Shapefile).

    Raises
    ------
    InputDataError
        If the file is missing or GDAL cannot open it.
    """
    p = Path(path)
    if not p.exists():
        msg = f"GIS file not found: {p}"
        raise InputDataError(msg, file=p, message_de=f"Die Datei {p} wurde nicht gefunden.")
    try:
        return [str(name) for name in pyogrio.list_layers(p)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        msg = f"cannot open GIS file: {exc}"
        raise InputDataError(
            msg,
            file=p,
            message_de=f"Die GIS-Datei kann nicht geöffnet werden: {exc}",
        ) from exc


def _pick(names: list[str], wanted: tuple[str, ...], taken: set[str]) -> str | None:
    lower = {n.lower(): n for n in names if n not in taken}
    for w in wanted:
        if w in lower:
            return lower[w]
    for w in wanted:
        for low, name in lower.items():
            if w in low and "name" not in low:  # not "road_names" for roads
                return name
    return None


def guess_layers(path: str | Path) -> dict[str, str | None]:
    """Guess the roads, places and POI layers of a GIS file.

    By name first (``roads``/``transportation``/``strassen``…,
    ``places``/``orte``…, ``pois``/``einrichtungen``…; layers such as
    ``road_names`` are not taken for roads), then by geometry type (the only
    line layer is the roads layer).

    Returns
    -------
    dict
        ``{"roads": name | None, "places": name | None, "pois": name | None}``.
    """
    p = Path(path)
    info = pyogrio.list_layers(p) if p.exists() else np.empty((0, 2))
    names = [str(n) for n in info[:, 0]]
    geom_types = {str(n): str(g or "") for n, g in info}
    taken: set[str] = set()
    roads = _pick(names, _ROAD_LAYER_NAMES, taken)
    if roads is None:
        lines = [n for n in names if "line" in geom_types[n].lower()]
        roads = lines[0] if len(lines) == 1 else None
    if roads is None and len(names) == 1:
        roads = names[0]
    if roads:
        taken.add(roads)
    places = _pick(names, _PLACE_LAYER_NAMES, taken)
    if places:
        taken.add(places)
    pois = _pick(names, _POI_LAYER_NAMES, taken)
    return {"roads": roads, "places": places, "pois": pois}


def _read_layer(path: Path, layer: str | None, *, role: str) -> gpd.GeoDataFrame:
    if not path.exists():
        msg = f"GIS file not found: {path}"
        raise NetworkError(msg, file=path, message_de=f"Die Datei {path} wurde nicht gefunden.")
    try:
        return gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"cannot read the {role} layer {layer!r}: {exc}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Die Ebene „{layer}“ ({role}) kann nicht gelesen werden: {exc}",
        ) from exc


def _to_crs(gdf: gpd.GeoDataFrame, crs: str, file: Path | None) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = "the layer has no coordinate reference system"
        raise CRSError(
            msg,
            file=file,
            expected="a layer with a CRS (e.g. EPSG:4326 or EPSG:25832)",
            message_de=(
                "Die Ebene hat kein Koordinatenbezugssystem (KBS); bitte im GIS ein KBS "
                "zuweisen (z. B. EPSG:25832) und erneut speichern."
            ),
        )
    if gdf.crs.is_geographic and not gdf.empty:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            # GDAL gives every GeoJSON without "crs" EPSG:4326, also UTM ones
            msg = (
                f"coordinates up to ({maxx:.0f}, {maxy:.0f}) are not degrees although the "
                f"layer says {gdf.crs.to_string()}: projected coordinates without a CRS?"
            )
            raise CRSError(
                msg,
                file=file,
                expected="a layer with its CRS declared (e.g. EPSG:25832 for UTM coordinates)",
                message_de=(
                    "Die Koordinaten sind keine Längen-/Breitengrade, obwohl die Datei das "
                    "angibt – vermutlich metrische Koordinaten (z. B. UTM, EPSG:25832) ohne "
                    "Angabe des Koordinatensystems. Bitte mit Koordinatensystem speichern."
                ),
            )
    out = gdf.to_crs(crs)
    if not out.empty and not np.isfinite(out.total_bounds).all():
        msg = f"coordinates cannot be converted from {gdf.crs.to_string()} to {crs}"
        raise CRSError(
            msg,
            file=file,
            expected="coordinates that fit the layer's CRS",
            message_de=(
                f"Die Koordinaten lassen sich nicht von {gdf.crs.to_string()} nach {crs} "
                "umrechnen – passen Koordinaten und angegebenes Koordinatensystem zusammen?"
            ),
        )
    return out


# --------------------------------------------------------------------------- tags


def detect_road_class_column(gdf: pd.DataFrame, *, file: str | Path | None = None) -> str:
    """Return the column holding the road class.

    ``highway`` (OSM values) is preferred, then OpenMapTiles ``class``, then
    Geofabrik's ``fclass`` (matched case-insensitively).

    Parameters
    ----------
    gdf
        The road layer.
    file
        The file the layer came from, named in the error.

    Raises
    ------
    MissingColumnError
        Listing the columns found when none of the three exists.
    """
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    for name in ("highway", "class", "fclass"):
        if name in lower:
            return lower[name]
    found = ", ".join(str(c) for c in gdf.columns if c != "geometry") or "(keine)"
    msg = f"no road class column; columns found: {found}"
    raise MissingColumnError(
        msg,
        file=file,
        column="highway",
        expected="a column 'highway' (OSM values), 'class' (OpenMapTiles) or 'fclass' (Geofabrik)",
        message_de=(
            "Keine Spalte mit der Straßenklasse gefunden (erwartet: „highway“, „class“ oder "
            f"„fclass“). Vorhandene Spalten: {found}."
        ),
    )


def _class_kind(column: str) -> ClassKind:
    low = column.lower()
    if low == "class":
        return "omt"
    if low == "fclass":
        return "fclass"
    return "highway"


def _text(value: Any) -> str | None:
    """A cell as a clean string (floats that are whole numbers without ``.0``)."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip()
    return text or None


def _yes_no(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text.lower() in _TRUE:
        return "yes"
    if text.lower() in _FALSE:
        return "no"
    return text


def _oneway(value: Any, kind: ClassKind) -> str | None:
    text = _text(value)
    if text is None:
        return None
    low = text.lower()
    if kind == "fclass":  # Geofabrik: F = forward, T = backward, B = both
        return {"f": "yes", "t": "-1"}.get(low)
    if low in {"-1", "reverse", "backward"}:
        return "-1"
    if low in _TRUE:
        return "yes"
    return None


def _highway(  # noqa: PLR0911 - one flat dispatch over the class kinds reads best
    row: Mapping[Any, Any], kind: ClassKind, column: str
) -> tuple[dict[str, str], str]:
    """Return the class tags of a row, or ``({}, reason)`` when it is dropped."""
    value = _text(row.get(column))
    if value is None:
        return {}, "no class"
    low = value.lower()
    if kind == "omt":
        if low == "ferry":
            return {"route": "ferry"}, ""
        highway = _OMT_HIGHWAY.get(low)
        if highway is None:
            return {}, low
        if low == "path":
            sub = (_text(row.get("subclass")) or "").lower()
            if sub in _PATH_SUBCLASSES:
                highway = sub
        if highway in _LINKABLE and _yes_no(row.get("ramp")) == "yes":
            highway += "_link"
        return {"highway": highway}, ""
    if kind == "fclass":
        grade = re.fullmatch(r"track_(grade\d)", low)
        if grade:
            return {"highway": "track", "tracktype": grade.group(1)}, ""
        if low == "unknown":
            return {"highway": "road"}, ""
    if low in _NOT_ROADS or not re.fullmatch(r"[a-z_]+", low):
        return {}, low
    return {"highway": low}, ""


def _row_tags(
    row: Mapping[Any, Any], kind: ClassKind, column: str, columns: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    tags, reason = _highway(row, kind, column)
    if reason:
        return tags, reason

    def col(name: str) -> Any:
        real = columns.get(name)
        return row.get(real) if real is not None else None

    oneway = _oneway(col("oneway"), kind)
    if oneway:
        tags["oneway"] = oneway
    maxspeed = _text(col("maxspeed"))
    if maxspeed and maxspeed not in {"0", "-1"}:
        tags["maxspeed"] = maxspeed
    for key in ("access", "foot", "bicycle"):
        value = _yes_no(col(key))
        if value:
            tags[key] = value
    for key in ("surface", "service", "name", "ref"):
        value = _text(col(key))
        if value:
            tags[key] = value
    brunnel = (_text(col("brunnel")) or "").lower()
    if brunnel in {"bridge", "tunnel", "ford"}:
        tags[brunnel] = "yes"
    for key in ("bridge", "tunnel"):  # Geofabrik / own layers: T/F, 1/0, yes/no
        if key not in tags and _yes_no(col(key)) not in {None, "no"}:
            tags[key] = "yes"
    layer = _text(col("layer"))
    if layer and layer != "0" and re.fullmatch(r"-?\d+", layer):
        tags["layer"] = layer
    return tags, ""


def _level_key(tags: Mapping[str, str]) -> tuple[str, str]:
    if tags.get("bridge") == "yes":
        return ("bridge", tags.get("layer", "1"))
    if tags.get("tunnel") == "yes":
        return ("tunnel", tags.get("layer", "-1"))
    return ("", "0")


# --------------------------------------------------------------------------- conversion


def _progress(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress("Straßennetz umwandeln", done, total)


def _dedupe(label: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop consecutive repeats of a node within a part."""
    keep = np.ones(len(label), dtype=bool)
    keep[1:] = (label[1:] != label[:-1]) | (part[1:] != part[:-1])
    return label[keep], part[keep]


def _snap_dangling_ends(
    seq_label: np.ndarray,
    seq_part: np.ndarray,
    node_xy: np.ndarray,
    part_level: np.ndarray,
    tolerance_m: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Insert dangling line ends into another line's segment within the tolerance.

    Simplified layers (vector tiles) drop the vertex of a T-junction from the
    through road, so the side road's end lies *on a segment*, not at a vertex.
    An end whose node no other part uses is inserted into the nearest segment
    of another part on the same level (bridges/tunnels only with their own
    level) when it is within ``tolerance_m`` and projects strictly inside it.

    Returns
    -------
    tuple
        The new ``(seq_label, seq_part)`` and the number of snapped ends.
    """
    n = len(seq_label)
    if n < 2:
        return seq_label, seq_part, 0
    first = np.flatnonzero(np.r_[True, seq_part[1:] != seq_part[:-1]])
    last = np.r_[first[1:] - 1, n - 1]
    # Parts per node: a node used by one part only is a candidate dangling end.
    pairs = np.unique(np.column_stack([seq_label, seq_part]), axis=0)
    parts_per_node = np.bincount(pairs[:, 0], minlength=len(node_xy))
    ends = np.r_[first, last]
    open_part = seq_label[first] != seq_label[last]
    ends = ends[np.r_[open_part, open_part] & (parts_per_node[seq_label[ends]] == 1)]
    ends = np.unique(ends)
    seg_start = np.flatnonzero(seq_part[1:] == seq_part[:-1])
    if len(ends) == 0 or len(seg_start) == 0:
        return seq_label, seq_part, 0
    segments = np.asarray(
        shapely.linestrings(
            np.stack([node_xy[seq_label[seg_start]], node_xy[seq_label[seg_start + 1]]], axis=1)
        )
    )
    points = np.asarray(shapely.points(node_xy[seq_label[ends]]))
    hit_pt, hit_seg = shapely.STRtree(segments).query(
        points, predicate="dwithin", distance=tolerance_m
    )
    end_part = seq_part[ends[hit_pt]]
    seg_part = seq_part[seg_start[hit_seg]]
    ok = (end_part != seg_part) & (part_level[end_part] == part_level[seg_part])
    hit_pt, hit_seg = hit_pt[ok], hit_seg[ok]
    if len(hit_pt) == 0:
        return seq_label, seq_part, 0
    dist = shapely.distance(points[hit_pt], segments[hit_seg])
    order = np.lexsort((dist, hit_pt))  # nearest segment first per end
    hit_pt, hit_seg = hit_pt[order], hit_seg[order]
    first_hit = np.r_[True, hit_pt[1:] != hit_pt[:-1]]
    hit_pt, hit_seg = hit_pt[first_hit], hit_seg[first_hit]
    t = np.asarray(shapely.line_locate_point(segments[hit_seg], points[hit_pt], normalized=True))
    inside = (t > 1e-9) & (t < 1 - 1e-9)
    hit_pt, hit_seg, t = hit_pt[inside], hit_seg[inside], t[inside]
    # Position key k + t puts an inserted node between vertices k and k + 1.
    key = np.r_[np.arange(n, dtype=float), seg_start[hit_seg] + t]
    labels = np.r_[seq_label, seq_label[ends[hit_pt]]]
    parts = np.r_[seq_part, seq_part[seg_start[hit_seg]]]
    order = np.argsort(key, kind="stable")
    new_label, new_part = _dedupe(labels[order], parts[order])
    return new_label, new_part, len(hit_pt)


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
    total_steps = 5
    file: Path | None = None
    if isinstance(source, gpd.GeoDataFrame):
        gdf = source
    else:
        file = Path(source)
        if layer is None and file.exists():
            try:
                names = list_layers(file)
            except InputDataError as exc:  # for the road network it is a NetworkError
                raise NetworkError(
                    exc.message,
                    file=file,
                    expected="a GeoPackage, GeoJSON or Shapefile with road lines",
                    message_de=exc.message_de,
                ) from exc
            layer = guess_layers(file)["roads"] if len(names) > 1 else None
            if len(names) > 1 and layer is None:
                msg = f"cannot tell which layer holds the roads; layers: {', '.join(names)}"
                raise NetworkError(
                    msg,
                    file=file,
                    message_de=(
                        "Welche Ebene das Straßennetz enthält, ist unklar; bitte angeben. "
                        f"Ebenen: {', '.join(names)}."
                    ),
                )
        gdf = _read_layer(file, layer, role="roads")
    if len(gdf) == 0:
        msg = f"the road layer {layer or ''} is empty".replace("  ", " ")
        raise NetworkError(msg, file=file, message_de="Die Straßen-Ebene ist leer (keine Linien).")
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
    kind = _class_kind(column)
    metric = _to_crs(gdf, METRIC_CRS, file)
    _progress(progress, 1, total_steps)

    # 1. tags and line parts -------------------------------------------------------
    columns = {str(c).lower(): str(c) for c in gdf.columns if c != "geometry"}
    attrs = pd.DataFrame(metric.drop(columns=metric.geometry.name)).to_dict("records")
    geoms = metric.geometry.to_numpy()
    dropped: Counter[str] = Counter()
    way_tags: list[dict[str, str]] = []
    part_geoms: list[Any] = []
    for row, geom in zip(attrs, geoms, strict=True):
        if geom is None or geom.is_empty:
            dropped["no geometry"] += 1
            continue
        tags, reason = _row_tags(row, kind, column, columns)
        if reason:
            dropped[reason] += 1
            continue
        gtype = geom.geom_type
        if gtype in {"Point", "MultiPoint"}:
            dropped["point geometry"] += 1
            continue
        if gtype in {"Polygon", "MultiPolygon"}:
            if tags.get("highway") not in _AREA_HIGHWAYS:
                dropped["polygon"] += 1
                continue
            parts = [shapely.get_exterior_ring(p) for p in shapely.get_parts(geom)]
        elif gtype == "GeometryCollection":
            parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString"]
        else:
            parts = list(shapely.get_parts(geom))
        for part in parts:
            way_tags.append(tags)
            part_geoms.append(part)
    _progress(progress, 2, total_steps)
    if not part_geoms:
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

    # 2. merge vertices within the tolerance ---------------------------------------
    coords, part_of = shapely.get_coordinates(np.asarray(part_geoms), return_index=True)
    n_vertices = len(coords)
    is_end = np.zeros(n_vertices, dtype=bool)
    starts = np.flatnonzero(np.r_[True, part_of[1:] != part_of[:-1]])
    ends = np.r_[starts[1:] - 1, n_vertices - 1]
    is_end[starts] = True
    is_end[ends] = True
    level_codes: dict[tuple[str, str], int] = {}
    part_level = np.array(
        [level_codes.setdefault(_level_key(t), len(level_codes)) for t in way_tags]
    )
    ground = level_codes.get(("", "0"), -1)
    # Interior vertices of bridges/tunnels keep their level; end points may merge with anything.
    vertex_level = np.where(is_end, ground, part_level[part_of])
    pairs = cKDTree(coords).query_pairs(r=tolerance_m, output_type="ndarray")
    if len(pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        ok = (vertex_level[a] == vertex_level[b]) | is_end[a] | is_end[b]
        a, b = a[ok], b[ok]
    else:
        a = b = np.empty(0, dtype=np.intp)
    merge_graph = coo_matrix(
        (np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_vertices, n_vertices)
    )
    _, label = connected_components(merge_graph, directed=False)
    _progress(progress, 3, total_steps)

    # Node position = mean of its merged vertices.
    n_labels = int(label.max()) + 1
    counts = np.bincount(label, minlength=n_labels).astype(float)
    node_xy = np.column_stack(
        [
            np.bincount(label, weights=coords[:, 0], minlength=n_labels) / counts,
            np.bincount(label, weights=coords[:, 1], minlength=n_labels) / counts,
        ]
    )

    # 3. ways as node sequences; dangling ends snapped onto nearby segments --------
    seq_label, seq_part = _dedupe(label, part_of)
    seq_label, seq_part, n_snapped = _snap_dangling_ends(
        seq_label, seq_part, node_xy, part_level, tolerance_m
    )
    bounds = np.flatnonzero(np.r_[True, seq_part[1:] != seq_part[:-1], True])
    way_nodes: list[np.ndarray] = []
    kept_parts: list[int] = []
    for i in range(len(bounds) - 1):
        nodes = seq_label[bounds[i] : bounds[i + 1]]
        if len(nodes) < 2:
            dropped["shorter than tolerance"] += 1
            continue
        way_nodes.append(nodes)
        kept_parts.append(int(seq_part[bounds[i]]))
    used = np.unique(np.concatenate(way_nodes)) if way_nodes else np.empty(0, dtype=np.intp)
    new_id = np.full(n_labels, -1, dtype=np.int64)
    new_id[used] = np.arange(1, len(used) + 1)  # OSM node ids 1..n
    mx, my = node_xy[used, 0], node_xy[used, 1]
    to_wgs = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(mx, my)

    # 4. connectivity --------------------------------------------------------------
    n_nodes = len(used)
    if way_nodes:
        src = np.concatenate([new_id[w[:-1]] for w in way_nodes]) - 1
        dst = np.concatenate([new_id[w[1:]] for w in way_nodes]) - 1
        graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes,) * 2)
        n_components, comp = connected_components(graph, directed=False)
        largest = float(np.bincount(comp).max()) / n_nodes
    else:
        n_components, largest = 0, 0.0
    _progress(progress, 4, total_steps)
    if not way_nodes:
        msg = "all road lines are shorter than the merge tolerance"
        raise NetworkError(
            msg,
            file=file,
            message_de="Alle Straßenlinien sind kürzer als die Fangtoleranz.",
        )

    # 5. write OSM XML -------------------------------------------------------------
    with atomic_path(out_path) as tmp:
        writer = osmium.SimpleWriter(str(tmp))
        try:
            for i in range(n_nodes):
                writer.add_node(Node(id=i + 1, version=1, location=(float(lon[i]), float(lat[i]))))
            for way_id, (nodes, part) in enumerate(zip(way_nodes, kept_parts, strict=True), 1):
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
    _progress(progress, 5, total_steps)

    report = ConversionReport(
        n_input_lines=len(gdf),
        n_ways=len(way_nodes),
        n_nodes=n_nodes,
        n_merged_nodes=int(n_vertices - n_labels),
        n_snapped_ends=n_snapped,
        n_components=int(n_components),
        largest_component_share=largest,
        dropped=MappingProxyType(dict(sorted(dropped.items()))),
        seconds=time.perf_counter() - started,
    )
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
    return report


# --------------------------------------------------------------------------- places / POIs


def _ids(gdf: gpd.GeoDataFrame, layer: str) -> list[str]:
    fids = gdf["osm_fid"] if "osm_fid" in gdf.columns else None
    if fids is not None and fids.notna().all() and not fids.duplicated().any():
        return [f"gis:{layer}/{_text(v)}" for v in fids]
    return [f"gis:{layer}/{i}" for i in range(1, len(gdf) + 1)]


def _rule_keys(categories: Mapping[str, Category]) -> set[str]:
    return {k for c in categories.values() for rule in c.osm for k in rule}


def _subclass_category(value: str, ordered: list[Category]) -> str | None:
    """OpenMapTiles POIs carry the OSM value only: match one-tag rules by value."""
    for cat in ordered:
        for rule in cat.osm:
            if len(rule) == 1 and next(iter(rule.values())) == value:
                return cat.key
    return None


def _read_places(path: Path, layer: str) -> gpd.GeoDataFrame:
    gdf = _to_crs(_read_layer(path, layer, role="places"), WGS84, path)
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    place_col = lower.get("place") or lower.get("class")
    name_col = lower.get("name")
    if place_col is None or name_col is None:
        found = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        msg = f"places layer needs a 'name' and a 'place' or 'class' column; found: {found}"
        raise MissingColumnError(
            msg,
            file=path,
            column="place" if place_col is None else "name",
            message_de=(
                "Die Orte-Ebene braucht die Spalten „name“ und „place“ (oder „class“). "
                f"Vorhandene Spalten: {found}."
            ),
        )
    ids = _ids(gdf, layer)
    pop_col = lower.get("population")
    rows = []
    for i, (place, name) in enumerate(zip(gdf[place_col], gdf[name_col], strict=True)):
        geom = gdf.geometry.iloc[i]
        place_text, name_text = _text(place), _text(name)
        if place_text not in PLACE_TYPES or not name_text or geom is None or geom.is_empty:
            continue
        pop = parse_population(gdf[pop_col].iloc[i]) if pop_col else math.nan
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append((ids[i], name_text, place_text, pop, point))
    df = pd.DataFrame(rows, columns=list(VILLAGE_COLUMNS))
    df["osm_population"] = df["osm_population"].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=WGS84)


def _read_pois(path: Path, layer: str, categories: Mapping[str, Category]) -> gpd.GeoDataFrame:
    gdf = _to_crs(_read_layer(path, layer, role="POIs"), WGS84, path)
    ordered = sorted(categories.values(), key=lambda c: (c.order, c.key))
    labels = {c.key: c.label for c in ordered}
    tag_cols = [str(c) for c in gdf.columns if str(c) in _rule_keys(categories)]
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    sub_col = lower.get("subclass")
    name_col = lower.get("name")
    ids = _ids(gdf, layer)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    rows = []
    for i, row in enumerate(attrs):
        geom = gdf.geometry.iloc[i]
        if geom is None or geom.is_empty:
            continue
        tags = {c: t for c in tag_cols if (t := _text(row[c])) is not None}
        category = match_category(tags, categories) if tags else None
        if category is None and sub_col is not None:
            sub = _text(row[sub_col])
            category = _subclass_category(sub, ordered) if sub else None
        if category is None:
            continue
        name = _text(row[name_col]) if name_col else None
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append(
            {
                "id": ids[i],
                "name": name or labels[category],
                "category": category,
                "source": path.name,
                "address": "",
                "traeger": "",
                "opening_hours": "",
                "age_groups": "",
                "capacity": math.nan,
                "geocode_quality": "Koordinaten",
                "geometry": point,
            }
        )
    df = pd.DataFrame(rows, columns=list(OFFER_COLUMNS))
    df["capacity"] = df["capacity"].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=WGS84)


def read_gis_features(
    path: Path,
    categories: Mapping[str, Category],
    *,
    places_layer: str | None = None,
    pois_layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read places (origins) and POIs (offers) from GIS layers.

    Places: the ``place`` (or OpenMapTiles ``class``) column holds the OSM
    place value; only :data:`erreichbarkeit._schema.PLACE_TYPES` with a name are
    kept; id ``gis:<layer>/<osm_fid or row>``.  POIs: columns named like OSM
    keys (``amenity`` …) are matched with
    :func:`erreichbarkeit.io.osm.match_category`; otherwise the OpenMapTiles
    ``subclass`` (the OSM value) matches category rules that have exactly one
    tag with that value (``amenity=kindergarten`` ↔ subclass
    ``kindergarten``).

    Parameters
    ----------
    path
        GeoPackage (or other GIS file).
    categories
        The category table.
    places_layer, pois_layer
        Layer names; ``None`` guesses them (:func:`guess_layers`).  A layer
        that is not found yields an empty table.

    Returns
    -------
    tuple of GeoDataFrame
        ``(places, pois)`` in the villages and offers contracts, EPSG:4326.

    Raises
    ------
    InputDataError
        If the file cannot be opened; :class:`MissingColumnError` if the
        places layer lacks ``name``/``place``.
    """
    p = Path(path)
    names = list_layers(p)
    guessed = guess_layers(p)
    places_layer = places_layer or guessed["places"]
    pois_layer = pois_layer or guessed["pois"]
    for given in (places_layer, pois_layer):
        if given is not None and given not in names:
            msg = f"layer {given!r} not found; layers: {', '.join(names)}"
            raise InputDataError(
                msg,
                file=p,
                message_de=(
                    f"Ebene „{given}“ nicht gefunden. Vorhandene Ebenen: {', '.join(names)}."
                ),
            )
    if places_layer is None:
        places = gpd.GeoDataFrame(
            pd.DataFrame(columns=list(VILLAGE_COLUMNS)), geometry="geometry", crs=WGS84
        )
    else:
        places = _read_places(p, places_layer)
    if pois_layer is None:
        pois = gpd.GeoDataFrame(
            pd.DataFrame(columns=list(OFFER_COLUMNS)), geometry="geometry", crs=WGS84
        )
    else:
        pois = _read_pois(p, pois_layer, categories)
    logger.info(
        "%s: %d places (layer %s), %d POIs (layer %s)",
        p.name,
        len(places),
        places_layer,
        len(pois),
        pois_layer,
    )
    return places, pois
