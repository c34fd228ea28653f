"""Which villages are linked by which class of road (Delaunay links, spanning tree).

The graph work (connectivity, minimum spanning tree, shortest paths) runs on
:mod:`scipy.sparse.csgraph`.  Link weights are lengths between random
floating-point positions, so no two weights are equal in practice and the
spanning tree and the shortest paths are unique; scipy's algorithms are
deterministic in any case, so a seed always gives the same county.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from erreichbarkeit.demo.model import Edge, Place, RetryError, Valley

__all__ = ["LinkGraph", "road_edges"]

_Pair = tuple[int, int]  # place indices (smaller first)
_MAX_LINK_M = 7_500.0  # no link between villages further apart
_SHORT_LINK_M = 4_500.0  # shorter links are more often Gemeindestraßen or tracks


class LinkGraph:
    """An undirected graph on place indices with weighted links.

    Parameters
    ----------
    nodes
        Place indices (the graph's nodes).
    links
        ``{(i, j): weight}`` for ``i < j``.
    """

    def __init__(self, nodes: Iterable[int], links: Mapping[_Pair, float]) -> None:
        """Build the sparse adjacency matrix (one entry per link)."""
        self.nodes = sorted(set(nodes))
        self.links = dict(links)
        self._pos = {n: k for k, n in enumerate(self.nodes)}
        n = len(self.nodes)
        rows = [self._pos[i] for i, _ in self.links]
        cols = [self._pos[j] for _, j in self.links]
        weights = np.fromiter(self.links.values(), dtype=float, count=len(self.links))
        self.matrix = csr_array((weights, (rows, cols)), shape=(n, n))

    def is_connected(self) -> bool:
        """Whether every node reaches every other one."""
        n_parts, _ = connected_components(self.matrix, directed=False)
        return int(n_parts) == 1

    def spanning_tree(self) -> set[_Pair]:
        """The links of the minimum spanning tree (Kruskal)."""
        tree = minimum_spanning_tree(self.matrix).tocoo()
        pairs = (
            sorted((self.nodes[r], self.nodes[c])) for r, c in zip(tree.row, tree.col, strict=True)
        )
        return {(a, b) for a, b in pairs}

    def shortest_path(self, source: int, target: int) -> list[int]:
        """The nodes of the shortest path from ``source`` to ``target`` (both included)."""
        _, pred = dijkstra(
            self.matrix, directed=False, indices=self._pos[source], return_predecessors=True
        )
        path = [self._pos[target]]
        while path[-1] != self._pos[source]:
            path.append(int(pred[path[-1]]))
        return [self.nodes[k] for k in reversed(path)]

    def distances(self) -> dict[int, dict[int, float]]:
        """Shortest-path lengths between all pairs of nodes."""
        dist = dijkstra(self.matrix, directed=False)
        return {
            a: {b: float(dist[i, j]) for j, b in enumerate(self.nodes)}
            for i, a in enumerate(self.nodes)
        }


def _delaunay_pairs(places: list[Place], core: list[int]) -> list[_Pair]:
    """Edges of the Delaunay triangulation of the core villages (planar: no two cross)."""
    xy = np.array([(places[i].x, places[i].y) for i in core])
    index = {(float(x), float(y)): core[k] for k, (x, y) in enumerate(xy)}
    pairs: set[_Pair] = set()
    for line in shapely.delaunay_triangles(shapely.MultiPoint(xy), only_edges=True).geoms:
        (ax, ay), (bx, by) = line.coords
        i, j = sorted((index[(ax, ay)], index[(bx, by)]))
        pairs.add((i, j))
    return sorted(pairs)


def _valley_corridors(places: list[Place], valleys: list[Valley]) -> BaseGeometry:
    """Areas around the valley roads (outside their base village) no link may cross."""
    return shapely.union_all(
        [
            road.buffer(400.0).difference(
                Point(places[chain[0]].x, places[chain[0]].y).buffer(900.0)
            )
            for chain, road in valleys
        ]
    )


def _candidate_links(
    places: list[Place], core: list[int], valleys: list[Valley]
) -> dict[_Pair, float]:
    """Delaunay links that are short, avoid the valleys and pass no third village."""
    blocked = _valley_corridors(places, valleys)
    links: dict[_Pair, float] = {}
    for i, j in _delaunay_pairs(places, core):
        seg = LineString([(places[i].x, places[i].y), (places[j].x, places[j].y)])
        if seg.length > _MAX_LINK_M or seg.intersects(blocked):
            continue
        # a link that grazes a third village would run through its houses
        if any(
            k not in (i, j) and seg.distance(Point(places[k].x, places[k].y)) < 500 for k in core
        ):
            continue
        links[(i, j)] = seg.length
    return links


def _classify_links(
    rng: np.random.Generator,
    places: list[Place],
    links: Mapping[_Pair, float],
    tree: set[_Pair],
) -> tuple[dict[_Pair, Edge], list[Edge]]:
    """Kreisstraßen (spanning tree, links of the Kreisstadt), Gemeindestraßen and tracks."""
    edges: dict[_Pair, Edge] = {}
    tracks: list[Edge] = []
    for (i, j), weight in sorted(links.items()):
        hub = places[i].kind in ("town", "centre") or places[j].kind in ("town", "centre")
        short = weight < _SHORT_LINK_M
        if (i, j) in tree or i == 0:  # the Kreisstadt is the hub of the county
            edges[(i, j)] = Edge(i, j, "tertiary")
        elif rng.random() < (0.7 if hub else 0.5) * (1.0 if short else 0.4):
            edges[(i, j)] = Edge(i, j, "unclassified")
        elif short and rng.random() < 0.4:
            tracks.append(Edge(i, j, "track"))
    return edges, tracks


def _upgrade_main_roads(
    rng: np.random.Generator,
    places: list[Place],
    core: list[int],
    edges: dict[_Pair, Edge],
    links: Mapping[_Pair, float],
) -> tuple[int, int, str]:
    """Bundesstraße (west – Kreisstadt – east) and Landesstraßen (Kreisstadt – seats).

    Both follow shortest paths through the chosen roads.  Returns the
    westernmost and easternmost core village and the Bundesstraße's ``ref``.
    """
    roads = LinkGraph(core, {pair: links[pair] for pair in edges})
    west = min(core, key=lambda i: places[i].x)
    east = max(core, key=lambda i: places[i].x)
    b_ref = f"B {int(rng.integers(400, 500))}"
    path = roads.shortest_path(west, 0) + roads.shortest_path(0, east)[1:]
    for i, j in itertools.pairwise(path):
        edges[(min(i, j), max(i, j))].highway = "primary"
        edges[(min(i, j), max(i, j))].ref = b_ref
    n_centres = sum(p.kind == "centre" for p in places)
    for seat in range(1, n_centres + 1):
        l_ref = f"L {int(rng.integers(3000, 3500))}"
        for i, j in itertools.pairwise(roads.shortest_path(0, seat)):
            e = edges[(min(i, j), max(i, j))]
            if e.highway not in ("primary", "secondary"):
                e.highway, e.ref = "secondary", l_ref
    return west, east, b_ref


def road_edges(
    rng: np.random.Generator, places: list[Place], core: list[int], valleys: list[Valley]
) -> list[Edge]:
    """Choose the links between core villages and their road classes.

    Links are edges of the Delaunay triangulation (planar: no two links
    cross), minus those through a valley; the Kreisstraßen are their minimum
    spanning tree (connected), extra short links are Gemeindestraßen, some
    of the rest Wirtschaftswege.  The Bundesstraße and Landesstraßen follow
    shortest paths through the chosen links.
    """
    links = _candidate_links(places, core, valleys)
    graph = LinkGraph(core, links)
    if not graph.is_connected():
        msg = "village graph is not connected"
        raise RetryError(msg)
    edges, tracks = _classify_links(rng, places, links, graph.spanning_tree())
    west, east, b_ref = _upgrade_main_roads(rng, places, core, edges, links)
    # Kreisstraßen K 101–198 (a county-sized demo needs more numbers: up to K 999)
    n_k = sum(e.highway == "tertiary" for e in edges.values())
    k_numbers = iter(rng.permutation(np.arange(101, 199 if n_k <= 98 else 1_000)))
    for e in edges.values():
        if e.highway == "tertiary":
            e.ref = f"K {int(next(k_numbers))}"
    out = list(edges.values()) + tracks
    # the border stubs of the Bundesstraße: place indices -1 (west) and -2 (east)
    out.append(Edge(west, -1, "primary", b_ref))
    out.append(Edge(east, -2, "primary", b_ref))
    return out
