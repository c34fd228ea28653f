"""The nodes of a converted road network: merged vertices, snapped ends, connectivity.

Used by :func:`erreichbarkeit.io.gis2osm.lines_to_osm`:

* **Nodes are merged**: OpenMapTiles lines are cut at every tile border and
  the pieces' end points differ by centimetres; own layers have digitising
  gaps.  All vertices are projected to EPSG:25832 and every pair closer
  than ``tolerance_m`` is merged (:class:`scipy.spatial.cKDTree`
  ``query_pairs`` + connected components, so vertices on either side of a
  grid-cell edge merge, unlike plain rounding).  Interior vertices of
  bridges and tunnels are keyed by ``(brunnel, layer)`` and only merge with
  vertices of the same key or with line *end points*, so a bridge does not
  create a junction with the road below it while its ends still connect.

* The graph's **connectivity** (connected components over the written
  ways, :func:`scipy.sparse.csgraph.connected_components`) is logged and
  returned in the :class:`~erreichbarkeit.io.gis2osm.ConversionReport`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from erreichbarkeit.io.roadtags import level_key

__all__ = [
    "MergedVertices",
    "WayNodes",
    "connectivity",
    "merge_vertices",
    "number_nodes",
    "way_nodes",
]


@dataclass(frozen=True)
class MergedVertices:
    """The vertices of all line parts, merged into nodes.

    Attributes
    ----------
    part_of
        Line part of every vertex.
    label
        Node of every vertex.
    node_xy
        Position of every node (mean of its merged vertices), metric CRS.
    part_level
        Level code of every part (bridges and tunnels have their own).
    n_vertices
        Number of input vertices.
    """

    part_of: np.ndarray
    label: np.ndarray
    node_xy: np.ndarray
    part_level: np.ndarray
    n_vertices: int

    @property
    def n_nodes(self) -> int:
        """Number of nodes (before unused ones are dropped)."""
        return len(self.node_xy)


@dataclass(frozen=True)
class WayNodes:
    """The ways as node sequences.

    Attributes
    ----------
    ways
        Node labels of every way (at least two).
    parts
        The line part every way comes from.
    n_snapped
        Dangling ends joined onto another line's segment.
    n_short
        Parts dropped because all their vertices merged into one node.
    """

    ways: list[np.ndarray]
    parts: list[int]
    n_snapped: int
    n_short: int


def merge_vertices(
    part_geoms: Sequence[Any], way_tags: Sequence[Mapping[str, str]], tolerance_m: float
) -> MergedVertices:
    """Merge the vertices of all parts closer than ``tolerance_m`` into nodes.

    Interior vertices of bridges and tunnels only merge with vertices of the
    same level or with line end points.
    """
    coords, part_of = shapely.get_coordinates(np.asarray(part_geoms), return_index=True)
    n_vertices = len(coords)
    is_end = np.zeros(n_vertices, dtype=bool)
    starts = np.flatnonzero(np.r_[True, part_of[1:] != part_of[:-1]])
    ends = np.r_[starts[1:] - 1, n_vertices - 1]
    is_end[starts] = True
    is_end[ends] = True
    level_codes: dict[tuple[str, str], int] = {}
    part_level = np.array(
        [level_codes.setdefault(level_key(t), len(level_codes)) for t in way_tags]
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
    # Node position = mean of its merged vertices.
    n_labels = int(label.max()) + 1
    counts = np.bincount(label, minlength=n_labels).astype(float)
    node_xy = np.column_stack(
        [
            np.bincount(label, weights=coords[:, 0], minlength=n_labels) / counts,
            np.bincount(label, weights=coords[:, 1], minlength=n_labels) / counts,
        ]
    )
    return MergedVertices(part_of, label, node_xy, part_level, n_vertices)


def way_nodes(merged: MergedVertices, tolerance_m: float) -> WayNodes:
    """The ways as node sequences; dangling ends snapped onto nearby segments."""
    seq_label, seq_part = _dedupe(merged.label, merged.part_of)
    seq_label, seq_part, n_snapped = _snap_dangling_ends(
        seq_label, seq_part, merged.node_xy, merged.part_level, tolerance_m
    )
    bounds = np.flatnonzero(np.r_[True, seq_part[1:] != seq_part[:-1], True])
    ways: list[np.ndarray] = []
    kept_parts: list[int] = []
    n_short = 0
    for i in range(len(bounds) - 1):
        nodes = seq_label[bounds[i] : bounds[i + 1]]
        if len(nodes) < 2:
            n_short += 1
            continue
        ways.append(nodes)
        kept_parts.append(int(seq_part[bounds[i]]))
    return WayNodes(ways, kept_parts, n_snapped, n_short)


def number_nodes(ways: Sequence[np.ndarray], n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """The node labels the ways use and label → OSM node id ``1..n`` (-1 unused)."""
    used = np.unique(np.concatenate(ways)) if ways else np.empty(0, dtype=np.intp)
    new_id = np.full(n_labels, -1, dtype=np.int64)
    new_id[used] = np.arange(1, len(used) + 1)
    return used, new_id


def connectivity(ways: Sequence[np.ndarray], new_id: np.ndarray, n_nodes: int) -> tuple[int, float]:
    """Connected components of the ways and the share of nodes in the largest one.

    ``new_id`` maps node labels to OSM node ids ``1..n_nodes``.
    """
    if not ways:
        return 0, 0.0
    src = np.concatenate([new_id[w[:-1]] for w in ways]) - 1
    dst = np.concatenate([new_id[w[1:]] for w in ways]) - 1
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes,) * 2)
    n_components, comp = connected_components(graph, directed=False)
    return int(n_components), float(np.bincount(comp).max()) / n_nodes


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
