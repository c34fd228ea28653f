"""Roads as OSM nodes and ways: town grid, village junctions, rural links, cycleways."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from erreichbarkeit.demo.links import LinkGraph
from erreichbarkeit.demo.model import (
    STREETS,
    Edge,
    OsmDraft,
    Place,
    Street,
    Valley,
)

__all__ = ["curve", "lay_out_network", "wrap_angle"]

_TOWN_GRID = 7
_TOWN_SPACING = 200.0
# radius of the 50 km/h zone (town sign to junction) by kind of place
_IN_TOWN_M = MappingProxyType(
    {"town": 300.0, "centre": 450.0, "village": 250.0, "hamlet": 120.0, "valley": 200.0}
)


def _road_name(place_name: str) -> str:
    """``Oberbachingen`` → ``Oberbachinger Straße`` (the road towards that village)."""
    if place_name.endswith("en"):
        return place_name[:-2] + "er Straße"
    if place_name.endswith("e"):
        return place_name + "r Straße"
    return place_name + "er Straße"


def _rural_tags(highway: str, ref: str | None, rng: np.random.Generator) -> dict[str, str]:
    """Tags of the rural part of a link (speed, ``ref``, surface, track grade)."""
    tags = {"highway": highway}
    if ref:
        tags["ref"] = ref
    if highway == "primary":
        tags["maxspeed"] = "100"
    elif highway == "secondary" or (highway == "tertiary" and rng.random() < 0.5):
        tags["maxspeed"] = "DE:rural"
    elif highway == "track":
        grade = rng.choice(["grade1", "grade2", "grade3", "grade4", ""])
        if grade:
            tags["tracktype"] = str(grade)
    if highway in ("primary", "secondary", "tertiary", "unclassified"):
        tags["surface"] = "asphalt"
    return tags


def curve(
    a: tuple[float, float], b: tuple[float, float], rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Interior points of a gently curved road from ``a`` to ``b`` (ends excluded)."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    n = max(int(length / 350), 1)
    nxv, nyv = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    a1 = float(np.clip(rng.normal(0, 0.04 * length), -250, 250))
    a2 = float(np.clip(rng.normal(0, 0.02 * length), -120, 120))
    pts = []
    for k in range(1, n + 1):
        t = k / (n + 1)
        off = a1 * math.sin(math.pi * t) + a2 * math.sin(2 * math.pi * t)
        pts.append((a[0] + t * (b[0] - a[0]) + off * nxv, a[1] + t * (b[1] - a[1]) + off * nyv))
    return pts


def _town_and_junctions(rng: np.random.Generator, osm: OsmDraft, places: list[Place]) -> list[int]:
    """Nodes of the town grid and of every village junction; return the town's exits."""
    town = places[0]
    half = (_TOWN_GRID - 1) / 2
    grid = [
        [
            osm.node(town.x + (c - half) * _TOWN_SPACING, town.y + (r - half) * _TOWN_SPACING)
            for c in range(_TOWN_GRID)
        ]
        for r in range(_TOWN_GRID)
    ]
    mid = _TOWN_GRID // 2
    town.node = grid[mid][mid]
    entries = [
        grid[mid][0],
        grid[mid][-1],
        grid[0][mid],
        grid[-1][mid],
        grid[0][0],
        grid[0][-1],
        grid[-1][0],
        grid[-1][-1],
    ]
    for p in places[1:]:
        p.node = osm.node(p.x, p.y)
    _town_grid(rng, osm, grid)
    return entries


def _entry(
    osm: OsmDraft, places: list[Place], entries: list[int], i: int, towards: tuple[float, float]
) -> int:
    """Where a road towards ``towards`` leaves place ``i`` (the town: its best-facing exit)."""
    if i != 0:
        return places[i].node
    town = places[0]
    angle = math.atan2(towards[1] - town.y, towards[0] - town.x)
    return min(
        entries,
        key=lambda n: abs(
            wrap_angle(math.atan2(osm.xy(n)[1] - town.y, osm.xy(n)[0] - town.x) - angle)
        ),
    )


def _border_points(
    places: list[Place], edges: list[Edge], outline: Polygon
) -> dict[int, tuple[float, float]]:
    """Where the Bundesstraße leaves the county, west (-1) and east (-2)."""
    border_xy = {}
    for side, idx in ((-1, -1), (1, -2)):
        start = next(e for e in edges if e.v == idx)
        p = places[start.u]
        ray = LineString([(p.x, p.y), (p.x + side * 40_000, p.y)])
        hit = ray.intersection(outline.exterior)
        pts = sorted(getattr(hit, "geoms", [hit]), key=lambda g: g.distance(Point(p.x, p.y)))
        border_xy[idx] = (pts[0].x, pts[0].y)
    return border_xy


def _link_roads(
    rng: np.random.Generator,
    osm: OsmDraft,
    places: list[Place],
    edges: list[Edge],
    *,
    entries: list[int],
    outline: Polygon,
) -> None:
    """Every chosen link as a gently curved road (border stubs end in a ``noexit`` node)."""
    border_xy = _border_points(places, edges, outline)
    for e in edges:
        if e.v < 0:
            end = osm.node(*border_xy[e.v], {"noexit": "yes"})
            a = _entry(osm, places, entries, e.u, border_xy[e.v])
            _road(rng, osm, places, e, a=a, b=end, interior=curve(osm.xy(a), osm.xy(end), rng))
            continue
        pu, pv = places[e.u], places[e.v]
        a = _entry(osm, places, entries, e.u, (pv.x, pv.y))
        b = _entry(osm, places, entries, e.v, (pu.x, pu.y))
        _road(rng, osm, places, e, a=a, b=b, interior=curve(osm.xy(a), osm.xy(b), rng))


def _valley_road(
    rng: np.random.Generator, osm: OsmDraft, places: list[Place], chain: list[int], road: LineString
) -> None:
    """The winding valley road, split into one link per leg at the valley villages."""
    coords: list[tuple[float, float]] = [(x, y) for x, y in road.coords]
    stops = [0]
    for i in chain[1:]:
        stops.append(
            min(
                range(len(coords)),
                key=lambda k: math.dist(coords[k], (places[i].x, places[i].y)),
            )
        )
    for leg, (s, t) in enumerate(itertools.pairwise(stops)):
        u, v = chain[leg], chain[leg + 1]
        e = Edge(u, v, "tertiary" if leg == 0 else "unclassified")
        if leg == 0:
            e.ref = f"K {int(rng.integers(200, 299))}"
        a, b = places[u].node, places[v].node
        _road(rng, osm, places, e, a=a, b=b, interior=coords[s + 1 : t])


def _ridge_track(
    rng: np.random.Generator, osm: OsmDraft, places: list[Place], chain: list[int]
) -> None:
    """The ridge shortcut for bikes and walkers: a track from the valley end.

    It leads to the nearest core village whose straight line crosses no road.
    """
    tip = places[chain[-1]]
    existing = [osm.line(nodes) for nodes, _ in osm.ways]
    candidates = sorted(
        (
            i
            for i, p in enumerate(places)
            if p.kind in ("village", "hamlet", "centre") and i != chain[0]
        ),
        key=lambda i: math.hypot(places[i].x - tip.x, places[i].y - tip.y),
    )
    for i in candidates[:4]:
        q = places[i]
        seg = LineString([(tip.x, tip.y), (q.x, q.y)])
        if seg.length > 5_000:
            break
        inner = substring(seg, 300, seg.length - 300)
        if not any(inner.intersects(line) for line in existing):
            tags = {"highway": "track", "tracktype": "grade3", "surface": "gravel"}
            pts = curve((tip.x, tip.y), (q.x, q.y), rng)
            osm.way([tip.node, *[osm.node(*pt) for pt in pts], q.node], tags)
            break


def lay_out_network(
    rng: np.random.Generator,
    osm: OsmDraft,
    places: list[Place],
    *,
    edges: list[Edge],
    valleys: list[Valley],
    outline: Polygon,
) -> None:
    """Create nodes and ways of the town grid, village junctions and roads."""
    entries = _town_and_junctions(rng, osm, places)
    _link_roads(rng, osm, places, edges, entries=entries, outline=outline)
    for chain, road in valleys:
        _valley_road(rng, osm, places, chain, road)
        _ridge_track(rng, osm, places, chain)
    _cycleways(osm, places, edges)


def wrap_angle(angle: float) -> float:
    """An angle in radians wrapped into ``[-π, π)``."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _road(
    rng: np.random.Generator,
    osm: OsmDraft,
    places: list[Place],
    e: Edge,
    *,
    a: int,
    b: int,
    interior: Sequence[tuple[float, float]],
) -> None:
    """One link as ways: in-village part (50 km/h, named), rural part, in-village part.

    ``a`` and ``b`` are the junction nodes at ``e.u`` and ``e.v`` (``e.v < 0``:
    the county border, no village there).
    """
    u, v = e.u, (e.v if e.v >= 0 else None)
    tags = _rural_tags(e.highway, e.ref, rng)
    if e.highway == "track":
        nodes = [a, *[osm.node(*pt) for pt in interior], b]
        osm.way(nodes, tags)
        return
    pts = [osm.xy(a), *interior, osm.xy(b)]
    line = LineString(pts)
    r_u = _IN_TOWN_M[places[u].kind]
    r_v = _IN_TOWN_M[places[v].kind] if v is not None else 0.0
    if line.length < r_u + r_v + 300:
        r_u = r_v = 0.0
    nodes = [a, *[osm.node(*pt) for pt in interior], b]
    # cut points (town signs) inserted as nodes at distance r from either end
    cut_u = _insert_at(osm, nodes, r_u) if r_u else 0
    cut_v = _insert_at(osm, nodes, line.length - r_v) if r_v else len(nodes) - 1
    streets = osm.streets
    if cut_u:
        part = nodes[: cut_u + 1]
        name = _road_name(places[v].name) if v is not None else "Hauptstraße"
        osm.way(part, _in_village_tags(e, name))
        streets.append(Street(u, name, part, 2))
    osm.way(nodes[cut_u : cut_v + 1], tags)
    if cut_v < len(nodes) - 1 and v is not None:
        part = nodes[cut_v:][::-1]
        name = _road_name(places[u].name)
        osm.way(part, _in_village_tags(e, name))
        streets.append(Street(v, name, part, 2))


def _in_village_tags(e: Edge, name: str) -> dict[str, str]:
    """Tags of the part of a link inside a village (50 km/h, named)."""
    tags = {"highway": e.highway, "name": name, "maxspeed": "50"}
    if e.ref:
        tags["ref"] = e.ref
    tags["surface"] = "asphalt"
    return tags


def _insert_at(osm: OsmDraft, nodes: list[int], dist: float) -> int:
    """Insert a node at ``dist`` metres along ``nodes``; return its index in ``nodes``."""
    done = 0.0
    for k in range(len(nodes) - 1):
        (ax, ay), (bx, by) = osm.xy(nodes[k]), osm.xy(nodes[k + 1])
        seg = math.hypot(bx - ax, by - ay)
        if done + seg > dist + 1.0:
            t = (dist - done) / seg
            if t < 0.02:
                return k
            nodes.insert(k + 1, osm.node(ax + t * (bx - ax), ay + t * (by - ay)))
            return k + 1
        done += seg
    return len(nodes) - 1


def _town_grid(rng: np.random.Generator, osm: OsmDraft, grid: list[list[int]]) -> None:
    """The Kreisstadt's street grid with two one-way streets and a footpath."""
    mid = _TOWN_GRID // 2
    names = [str(n) for n in rng.permutation([s for s in STREETS if s != "Hauptstraße"])]
    oneway_rows = (1, _TOWN_GRID - 2)
    for r in range(_TOWN_GRID):
        nodes = grid[r]
        if r == mid:
            tags = {"highway": "secondary", "name": "Hauptstraße", "maxspeed": "50"}
            name = "Hauptstraße"
        else:
            name = names.pop()
            tags = {"highway": "residential", "name": name, "maxspeed": "30"}
            if r in oneway_rows:
                tags["oneway"] = "yes"
                if r == oneway_rows[1]:
                    nodes = nodes[::-1]
                    tags["oneway:bicycle"] = "no"
        osm.way(nodes, tags)
        osm.streets.append(Street(0, name, list(nodes), 4))
    for c in range(_TOWN_GRID):
        nodes = [grid[r][c] for r in range(_TOWN_GRID)]
        name = "Bahnhofstraße" if c == mid else names.pop()
        tags = {
            "highway": "tertiary" if c == mid else "residential",
            "name": name,
            "maxspeed": "50" if c == mid else "30",
        }
        osm.way(nodes, tags)
        osm.streets.append(Street(0, name, nodes, 4))
    # a footpath diagonally through the park: pedestrians only
    osm.way([grid[k][k] for k in range(mid + 1)], {"highway": "footway", "name": "Parkweg"})


def _cycleways(osm: OsmDraft, places: list[Place], edges: list[Edge]) -> None:
    """Up to three straight cycleways between villages whose road link is a detour.

    Straight like a cycle path on a disused railway line; they share the
    village junction nodes and cross no other way.
    """
    links: dict[tuple[int, int], float] = {}
    for e in edges:
        if e.v >= 0 and e.highway != "track":
            pu, pv = places[e.u], places[e.v]
            links[(min(e.u, e.v), max(e.u, e.v))] = math.hypot(pu.x - pv.x, pu.y - pv.y)
    graph = LinkGraph(itertools.chain.from_iterable(links), links)
    lengths = graph.distances()
    candidates = []
    for i, j in itertools.combinations(graph.nodes, 2):
        d = math.hypot(places[i].x - places[j].x, places[i].y - places[j].y)
        if 1_200 < d < 4_000 and (i, j) not in links:
            candidates.append((-lengths[i][j] / d, i, j))
    existing = [osm.line(nodes) for nodes, _ in osm.ways]
    added = 0
    for neg_ratio, i, j in sorted(candidates):
        if added == 3 or -neg_ratio < 1.3:
            break
        seg = LineString([(places[i].x, places[i].y), (places[j].x, places[j].y)])
        inner = substring(seg, 350, seg.length - 350)
        if any(inner.intersects(line) for line in existing):
            continue
        tags = {"highway": "cycleway", "foot": "designated", "segregated": "no"}
        osm.way([places[i].node, places[j].node], {**tags, "surface": "asphalt"})
        existing.append(seg)
        added += 1
