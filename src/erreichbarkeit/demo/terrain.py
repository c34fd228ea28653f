"""The lie of the land: county outline, Gemeinde seats and cells, dead-end valleys."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from erreichbarkeit.demo.layout import DemoLayout
from erreichbarkeit.demo.model import (
    Gemeinde,
    NameMaker,
    Place,
    RetryError,
    SpotCheck,
    Valley,
)

__all__ = [
    "assign_gemeinden",
    "cell_margin",
    "county_outline",
    "dead_end_valleys",
    "gemeinde_cells",
    "place_seats",
]


def county_outline(rng: np.random.Generator, layout: DemoLayout) -> Polygon:
    """A star-shaped, irregular county outline around (0, 0) (always a simple polygon)."""
    n = 28
    angles = (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * 2 * math.pi / n
    # smooth radial noise: a few low harmonics
    noise = np.zeros(n)
    for k in (2, 3, 5):
        noise += rng.normal(0, 0.05) * np.cos(k * angles + rng.uniform(0, 2 * math.pi))
    noise += rng.normal(0, 0.015, n)
    ellipse = 1.0 / np.sqrt(
        (np.cos(angles) / layout.half_width_m) ** 2 + (np.sin(angles) / layout.half_height_m) ** 2
    )
    r = ellipse * np.clip(0.97 + noise, 0.82, 1.0)
    return Polygon(np.column_stack([r * np.cos(angles), r * np.sin(angles)]))


def _radius_towards(outline: Polygon, angle: float) -> float:
    """Distance from the centre to the outline in direction ``angle``."""
    far = max(60_000.0, 3 * max(abs(b) for b in outline.bounds))
    ray = LineString([(0, 0), (far * math.cos(angle), far * math.sin(angle))])
    hit = ray.intersection(outline.exterior)
    return float(min(Point(0, 0).distance(g) for g in getattr(hit, "geoms", [hit])))


def _seat_rings(n: int) -> list[tuple[int, float, float]]:
    """``(count, inner, outer)`` of the rings the seats lie on (fractions of the radius).

    Up to eight seats lie on one ring (the Beispielkreis: seven); more are
    split into an inner ring (a third) and an outer ring, so that the
    Kreisstadt's Gemeinde does not grow with the county.
    """
    if n <= 8:
        return [(n, 0.5, 0.6)]
    inner = round(n / 3)
    return [(inner, 0.3, 0.38), (n - inner, 0.66, 0.76)]


def place_seats(
    rng: np.random.Generator, outline: Polygon, names: NameMaker, layout: DemoLayout
) -> list[Place]:
    """The Kreisstadt and the Gemeinde seats (the Beispielkreis: seven)."""
    tx, ty = rng.uniform(-1_500, 1_500, 2)
    places = [
        Place(
            layout.town_name,
            "town",
            "town",
            int(rng.integers(layout.town_population[0], layout.town_population[1])),
            float(tx),
            float(ty),
        )
    ]
    for count, inner, outer in _seat_rings(layout.n_centres):
        rot = rng.uniform(0, 2 * math.pi)
        for k in range(count):
            angle = rot + 2 * math.pi * k / count + rng.uniform(-0.15, 0.15)
            dist = _radius_towards(outline, angle) * rng.uniform(inner, outer)
            places.append(
                Place(
                    names.village(),
                    "centre",
                    "village",
                    int(rng.integers(2_000, 5_000)),
                    dist * math.cos(angle),
                    dist * math.sin(angle),
                )
            )
    return places


def gemeinde_cells(outline: Polygon, seats: np.ndarray) -> list[Polygon | MultiPolygon]:
    """Voronoi cells of the seats clipped to the outline, with exactly shared edges.

    Clipping each cell separately could compute the points where a cell edge
    meets the outline twice with different rounding; noding all lines once
    and polygonising the faces (shapely/GEOS) makes neighbours share vertices.
    """
    voronoi = shapely.voronoi_polygons(
        shapely.MultiPoint(seats), extend_to=outline.envelope.buffer(5_000.0)
    )
    cells = list(voronoi.geoms)
    lines = shapely.union_all([c.exterior for c in cells] + [outline.exterior])
    faces = [
        f
        for f in shapely.polygonize(list(getattr(lines, "geoms", [lines]))).geoms
        if outline.contains(f.representative_point())
    ]
    out: list[Polygon | MultiPolygon] = []
    for sx, sy in seats:
        cell = next(c for c in cells if c.contains(Point(sx, sy)))
        mine = [f for f in faces if cell.contains(f.representative_point())]
        out.append(mine[0] if len(mine) == 1 else MultiPolygon(mine))
    return out


def cell_margin(seats: np.ndarray, x: float, y: float) -> float:
    """Distance of a point to the boundary of its Voronoi cell (min over bisectors)."""
    d2 = (seats[:, 0] - x) ** 2 + (seats[:, 1] - y) ** 2
    i = int(np.argmin(d2))
    others = np.arange(len(seats)) != i
    gap = np.hypot(seats[others, 0] - seats[i, 0], seats[others, 1] - seats[i, 1])
    return float(np.min((d2[others] - d2[i]) / (2 * gap)))


def dead_end_valleys(
    rng: np.random.Generator,
    places: list[Place],
    ok_spot: SpotCheck,
    names: NameMaker,
    n_valleys: int,
) -> list[Valley]:
    """Chains of 2–3 villages behind a Gemeinde seat, reached by one winding road."""
    valleys: list[Valley] = []
    n_centres = sum(p.kind == "centre" for p in places)
    bases = [int(i) for i in rng.permutation(np.arange(1, n_centres + 1))]
    town = places[0]
    for base in bases:
        if len(valleys) == n_valleys:
            break
        b = places[base]
        outward = math.atan2(b.y - town.y, b.x - town.x)
        for turn in rng.permutation([-0.6, 0.6, -0.3, 0.3]):
            chain = [base]
            x, y, angle = b.x, b.y, outward + float(turn)
            for step in range(3):
                angle += rng.uniform(-0.3, 0.3)
                length = rng.uniform(1_900, 2_500)
                nx_, ny_ = x + length * math.cos(angle), y + length * math.sin(angle)
                if not ok_spot(nx_, ny_, 1_500.0, places):
                    break
                if any(v[1].distance(Point(nx_, ny_)) < 2_500 for v in valleys):
                    break
                last = step == 2 or rng.random() < 0.3
                places.append(
                    Place(
                        names.hamlet() if last else names.village(),
                        "valley",
                        "hamlet" if last else "village",
                        int(rng.integers(40, 130) if last else rng.integers(200, 700)),
                        nx_,
                        ny_,
                        note="fiktiv: Sackgassental – mit dem Auto nur über eine lange "
                        "Talstraße erreichbar",
                    )
                )
                chain.append(len(places) - 1)
                x, y = nx_, ny_
                if last:
                    break
            if len(chain) >= 3:
                road = _winding([(places[i].x, places[i].y) for i in chain], rng)
                valleys.append((chain, road))
                break
            # not enough room in this direction: undo and try the next turn
            del places[len(places) - (len(chain) - 1) :]
    if len(valleys) < n_valleys:
        msg = "no room for the dead-end valleys"
        raise RetryError(msg)
    return valleys


def _winding(points: Sequence[tuple[float, float]], rng: np.random.Generator) -> LineString:
    """A serpentine polyline through ``points`` (only its shape; split into ways later)."""
    out: list[tuple[float, float]] = [points[0]]
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        length = math.hypot(bx - ax, by - ay)
        waves = max(round(length / rng.uniform(600, 800)), 2)  # bends every 300–400 m
        amp = rng.uniform(280, 380)
        n = max(int(length / 70), 8)
        nxv, nyv = -(by - ay) / length, (bx - ax) / length
        for k in range(1, n + 1):
            t = k / n
            off = amp * math.sin(2 * math.pi * waves * t)
            out.append((ax + t * (bx - ax) + off * nxv, ay + t * (by - ay) + off * nyv))
    return LineString(out)


def assign_gemeinden(
    rng: np.random.Generator,
    places: list[Place],
    cells: list[Polygon | MultiPolygon],
    names: NameMaker,
    layout: DemoLayout,
) -> list[Gemeinde]:
    """The Gemeinden (a quarter, at least two, named after the landscape) and every place's."""
    n_landscape = max(2, round(layout.n_centres / 4))
    landscape = {
        int(i) for i in rng.choice(np.arange(1, layout.n_centres + 1), n_landscape, replace=False)
    }
    out = []
    for g, cell in enumerate(cells):
        name = names.landscape() if g in landscape else places[g].name
        out.append(Gemeinde(layout.gemeinde_key(g), name, layout.postcode(g), cell))
    for p in places:
        hits = [g for g, cell in enumerate(cells) if cell.contains(Point(p.x, p.y))]
        if len(hits) != 1:
            msg = f"village {p.name} lies in {len(hits)} Gemeinden"
            raise RetryError(msg)
        p.gemeinde = hits[0]
        out[hits[0]].population += p.population
    return out
