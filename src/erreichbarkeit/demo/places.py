"""Village streets with addresses, isolated farms and the track-only hamlet."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from erreichbarkeit.demo.layout import DemoLayout
from erreichbarkeit.demo.model import (
    STREETS,
    Address,
    NameMaker,
    OsmDraft,
    Place,
    RetryError,
    SpotCheck,
    Street,
)
from erreichbarkeit.demo.roads import curve, wrap_angle

__all__ = ["add_isolated", "add_streets_and_addresses", "add_track_hamlet"]


def _car_lines(osm: OsmDraft) -> list[LineString]:
    """Lines of the roads cars may use."""
    car = {"primary", "secondary", "tertiary", "unclassified", "residential", "service"}
    return [osm.line(nodes) for nodes, tags in osm.ways if tags.get("highway") in car]


def _nearest_car_node(osm: OsmDraft, x: float, y: float) -> int:
    """The node of a car road nearest to ``(x, y)``."""
    car = {"primary", "secondary", "tertiary", "unclassified", "residential"}
    best, best_d = 0, math.inf
    for nodes, tags in osm.ways:
        if tags.get("highway") not in car:
            continue
        for n in nodes:
            d = math.dist(osm.xy(n), (x, y))
            if d < best_d:
                best, best_d = n, d
    return best


def add_isolated(
    rng: np.random.Generator,
    osm: OsmDraft,
    places: list[Place],
    ok_spot: SpotCheck,
    names: NameMaker,
    *,
    layout: DemoLayout,
) -> None:
    """Single farms 400–900 m off a road, reached by a service road."""
    roads = shapely.union_all(_car_lines(osm))
    added = 0
    for _ in range(4_000):
        if added == layout.n_isolated:
            return
        x = rng.uniform(-layout.half_width_m, layout.half_width_m)
        y = rng.uniform(-layout.half_height_m, layout.half_height_m)
        if not 400 < roads.distance(Point(x, y)) < 900:
            continue
        if not ok_spot(x, y, 1_000.0, places):
            continue
        name = names.hamlet()
        p = Place(name, "isolated", "isolated_dwelling", int(rng.integers(3, 12)), x, y)
        p.node = osm.node(x, y)
        places.append(p)
        target = _nearest_car_node(osm, x, y)
        osm.way([p.node, target], {"highway": "service", "name": name})
        added += 1
    msg = "no room for isolated dwellings"
    raise RetryError(msg)


def add_track_hamlet(
    rng: np.random.Generator,
    osm: OsmDraft,
    places: list[Place],
    ok_spot: SpotCheck,
    names: NameMaker,
    *,
    layout: DemoLayout,
) -> None:
    """A hamlet reached only by an agricultural track, far from any public road."""
    roads = shapely.union_all(_car_lines(osm))
    for min_road in (1_300.0, 1_100.0):
        for _ in range(6_000):
            x = rng.uniform(-layout.half_width_m, layout.half_width_m)
            y = rng.uniform(-layout.half_height_m, layout.half_height_m)
            d = roads.distance(Point(x, y))
            if not min_road < d < 2_500:
                continue
            if not ok_spot(x, y, 1_300.0, places):
                continue
            p = Place(
                names.hamlet(),
                "track_hamlet",
                "hamlet",
                int(rng.integers(30, 70)),
                x,
                y,
                note="fiktiv: nur über einen landwirtschaftlichen Weg erreichbar "
                "(motor_vehicle=agricultural)",
            )
            p.node = osm.node(x, y)
            places.append(p)
            target = _nearest_car_node(osm, x, y)
            pts = curve((x, y), osm.xy(target), rng)
            osm.way(
                [p.node, *[osm.node(*pt) for pt in pts], target],
                {
                    "highway": "track",
                    "tracktype": "grade2",
                    "motor_vehicle": "agricultural",
                    "surface": "compacted",
                },
            )
            return
    msg = "no room for the track-only hamlet"
    raise RetryError(msg)


def add_streets_and_addresses(
    rng: np.random.Generator, osm: OsmDraft, places: list[Place]
) -> list[Address]:
    """Side streets (a star per village) and ``addr:*`` nodes along every named street."""
    streets = osm.streets
    bearings: dict[int, list[float]] = {}
    for nodes, _tags in osm.ways:
        for end, nxt in ((nodes[0], nodes[1]), (nodes[-1], nodes[-2])):
            ex, ey = osm.xy(end)
            qx, qy = osm.xy(nxt)
            bearings.setdefault(end, []).append(math.atan2(qy - ey, qx - ex))
    spokes_by_kind = {"centre": (4, 6), "village": (2, 4), "valley": (1, 3), "hamlet": (1, 2)}
    length_by_kind = {
        "centre": (300, 600),
        "village": (150, 350),
        "valley": (150, 300),
        "hamlet": (80, 150),
    }
    for i, p in enumerate(places):
        kind = "hamlet" if p.place == "hamlet" and p.kind == "valley" else p.kind
        if kind not in spokes_by_kind:
            continue
        taken = {s.name for s in streets if s.place == i}
        pool = [s for s in STREETS if s not in taken]
        order = rng.permutation(len(pool))
        k = int(rng.integers(spokes_by_kind[kind][0], spokes_by_kind[kind][1] + 1))
        used = list(bearings.get(p.node, []))
        rot = rng.uniform(0, 2 * math.pi)
        for step in range(12):
            if k == 0:
                break
            angle = rot + step * math.pi / 6
            if any(abs(wrap_angle(angle - b)) < math.radians(40) for b in used):
                continue
            used.append(angle)
            k -= 1
            length = rng.uniform(*length_by_kind[kind])
            bend = rng.uniform(-0.3, 0.3)
            mid_xy = (p.x + 0.5 * length * math.cos(angle), p.y + 0.5 * length * math.sin(angle))
            end_xy = (
                mid_xy[0] + 0.5 * length * math.cos(angle + bend),
                mid_xy[1] + 0.5 * length * math.sin(angle + bend),
            )
            nodes = [p.node, osm.node(*mid_xy), osm.node(*end_xy)]
            name = pool[int(order[len(used) % len(pool)])] if pool else f"Weg {step}"
            while name in taken:
                name = pool[int(rng.integers(len(pool)))]
            taken.add(name)
            main = name == "Hauptstraße"
            osm.way(
                nodes, {"highway": "residential", "name": name, "maxspeed": "50" if main else "30"}
            )
            streets.append(Street(i, name, nodes, 3 if kind == "centre" else 2))
    addresses: list[Address] = []
    seen: set[tuple[int, str]] = set()
    for s in streets:
        if (s.place, s.name) in seen:
            continue
        seen.add((s.place, s.name))
        line = osm.line(s.nodes)
        for k in range(s.count):
            t = (k + 0.5) / s.count * min(line.length, 400.0)
            px, py = line.interpolate(t).coords[0]
            qx, qy = line.interpolate(min(t + 5.0, line.length)).coords[0]
            norm = math.hypot(qx - px, qy - py) or 1.0
            side = 1 if k % 2 == 0 else -1  # odd numbers left, even numbers right
            ax, ay = px - side * 14 * (qy - py) / norm, py + side * 14 * (qx - px) / norm
            addresses.append(Address(s.place, s.name, str(k + 1), ax, ay))
    return addresses
