"""Deterministic generator of the fictional county "Beispielkreis".

Everything this module writes is **invented**: the county, its eight
Gemeinden, about sixty villages, their roads, addresses, population and the
offers for families.  The names are built from German-sounding syllables (any
resemblance to a real place is accidental), the Gemeinde keys use the Land
code ``99`` (``99999001`` …, no such Land exists) and the postcodes start
with ``00`` (a range the Deutsche Post does not use).  The county sits in a
rural part of central Germany (around 51.0 °N, 9.0 °E, about 35 km × 30 km) so
that coordinates, metric projections (EPSG:25832) and speed rules look real.

The demo lets the README's main command run offline with nothing but the
repository, and it exercises the real pipeline: :func:`generate_demo` writes
ordinary input files — an OSM XML road network that OSRM preprocesses with
its stock ``car``/``bicycle``/``foot`` profiles, a Gemeinde GeoJSON, an
offers CSV in the German spreadsheet format (``;``, decimal comma, UTF-8 with
BOM) and a population CSV — plus a ``region.toml`` naming them.

Design elements and what each one is there to exercise:

* **Road hierarchy** — a Bundesstraße (``primary``, ``maxspeed=100``) across
  the county through the Kreisstadt, Landesstraßen (``secondary``,
  ``maxspeed=DE:rural``) from the Kreisstadt to every Gemeinde seat,
  Kreisstraßen (``tertiary``) along a minimum spanning tree of the villages,
  Gemeindeverbindungsstraßen (``unclassified``) as extra links, and a 50 km/h
  (in the village) / 30 km/h (side streets) speed regime inside villages, so
  car times depend on the classes and speed tags as in real data.
* **Wirtschaftswege** (``highway=track``, some with ``tracktype``) and
  **cycleways/footways** — shortcuts that bikes and pedestrians may use but
  cars may not, so the three modes give different answers.
* **One-way streets** in the Kreisstadt (one of them open to cyclists in both
  directions with ``oneway:bicycle=no``).
* **Dead-end valleys** — a few villages reachable by car only over one long,
  winding road from a Gemeinde seat: the planner's typical underserved case
  (short as the crow flies, long by car).  A track over the ridge gives bikes
  and walkers a shortcut.  Their place nodes carry a ``note`` tag.
* **Track-only hamlet** — one hamlet reachable only over a Wirtschaftsweg
  (``highway=track``, ``motor_vehicle=agricultural``) more than a kilometre
  from the nearest public road: by car it does not snap to the network
  within the default ``max_snap_m`` (it is flagged, not silently moved),
  while bike and foot reach it.  Its place node carries a ``note`` tag.
* **Addresses** (``addr:*`` nodes) in every village, so the offers that the
  CSV gives only by address are geocoded offline.
* **Offers** clustered in the Kreisstadt and the Gemeinde seats (rural
  villages lack them), about five of them without coordinates, categories
  written as the German labels and a few aliases of ``categories.toml``, and
  most of them also mapped as OSM POIs so that ``offers = "osm"`` works too.
* **Postcodes with a leading zero** (``00101`` …), as in Saxony: readers must
  keep postcodes as text.  Population figures use the German thousands
  separator (``12.345``).

The output depends only on the seed: the same seed gives byte-identical
files.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import shapely
from osmium.osm.mutable import Node, Way
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import substring

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, WGS84, load_categories
from erreichbarkeit.errors import ErreichbarkeitError

__all__ = ["DemoFiles", "generate_demo"]

logger = logging.getLogger(__name__)

REGION_NAME = "Beispielkreis (fiktiv)"

# Centre of the county: 9° E is the central meridian of UTM zone 32, so the
# metric frame (EPSG:25832) has easting 500 000 there.
_CENTER_LON = 9.0
_CENTER_LAT = 51.0
_HALF_WIDTH_M = 17_500.0  # 35 km east-west
_HALF_HEIGHT_M = 15_000.0  # 30 km north-south
_N_CENTRES = 7  # Gemeinde seats besides the Kreisstadt
_N_VILLAGES = 30
_N_HAMLETS = 12
_N_VALLEYS = 2
_N_ISOLATED = 2
_MAX_ATTEMPTS = 20

_PREFIXES = ("Ober", "Nieder", "Unter", "Klein", "Groß", "Alt", "Neu", "Hohen", "Wester", "Oster")
_ROOTS = (
    "bach", "wald", "lind", "eich", "birk", "hasel", "stein", "mühl", "kirch", "ros", "wolf",
    "hirsch", "fels", "sonn", "ell", "buch", "tann", "erl", "hag", "wies", "holz", "brunn",
    "marx", "ditt", "gers", "ran", "wal", "wend", "herb", "losch",
)  # fmt: skip
_VILLAGE_SUFFIXES = (
    "ingen", "au", "hausen", "dorf", "feld", "heim", "rode", "born", "hagen", "stedt",
    "berg", "hofen", "roth", "ach", "winden",
)  # fmt: skip
_HAMLET_SUFFIXES = ("hof", "mühle", "grund", "winkel", "höfe", "hütte")
_STREETS = (
    "Hauptstraße", "Kirchstraße", "Schulstraße", "Lindenstraße", "Gartenstraße", "Bergstraße",
    "Mühlweg", "Am Anger", "Dorfstraße", "Talstraße", "Wiesenweg", "Birkenweg", "Ringstraße",
    "Am Sportplatz", "Brunnenstraße", "Feldstraße", "Schillerstraße", "Goethestraße",
    "Rosenweg", "Am Bach", "Eichenweg", "Burgstraße", "Marktstraße", "Am Rain",
)  # fmt: skip
_SURNAMES = ("Muster", "Beispiel", "Lindner", "Hofmann", "Seidel", "Krämer", "Vogt", "Brandt")
_GIVEN = ("Anna", "Jana", "Miriam", "Katrin", "Sabine", "Eva", "Lena", "Ute")


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files written by :func:`generate_demo`.

    Attributes
    ----------
    folder
        The demo folder.
    network
        ``beispielkreis.osm``: OSM XML with roads, places, addresses and POIs.
    boundaries
        ``gemeinden.geojson``: Gemeinde polygons (``ags``, ``gemeinde``, ``population``).
    offers
        ``angebote.csv``: the offers list in the German spreadsheet format.
    population
        ``bevoelkerung.csv``: population per Gemeinde (``AGS;Gemeinde;Einwohner``).
    population_grid
        ``bevoelkerungsraster.csv``: a fictional 100 m population grid in the
        Zensus format (``x_mp;y_mp;Einwohner;unter18_A``, EPSG:3035 cell
        centres) for the grid surface.
    region
        ``region.toml``: the region file naming the files above.
    """

    folder: Path
    network: Path
    boundaries: Path
    offers: Path
    population: Path
    population_grid: Path
    region: Path


@dataclass
class _Place:
    name: str
    kind: str  # town, centre, village, hamlet, valley, track_hamlet, isolated
    place: str  # OSM place value
    population: int
    x: float
    y: float
    note: str | None = None
    node: int = 0  # OSM node id of the village centre (junction)
    gemeinde: int = -1


@dataclass
class _Address:
    place: int
    street: str
    housenumber: str
    x: float
    y: float


@dataclass
class _Offer:
    place: int
    category: str
    name: str
    kategorie: str  # as written in the CSV (label or alias)
    traeger: str
    address: _Address
    x: float
    y: float
    capacity: int | None
    age_groups: str
    opening_de: str
    opening_osm: str
    with_coordinates: bool = True
    in_osm: bool = True


@dataclass
class _Gemeinde:
    ags: str
    name: str
    postcode: str
    geometry: Polygon | MultiPolygon
    population: int = 0


@dataclass
class _Osm:
    """Nodes and ways in metric coordinates; ids are list positions + 1."""

    nodes: list[tuple[float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    streets: list[_Street] = field(default_factory=list)  # named village streets

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        self.nodes.append((x, y, tags or {}))
        return len(self.nodes)

    def way(self, nodes: Sequence[int], tags: dict[str, str]) -> None:
        self.ways.append((list(nodes), tags))

    def xy(self, node: int) -> tuple[float, float]:
        x, y, _ = self.nodes[node - 1]
        return x, y

    def line(self, nodes: Sequence[int]) -> LineString:
        return LineString([self.xy(n) for n in nodes])


@dataclass
class _Model:
    outline: Polygon
    places: list[_Place]
    gemeinden: list[_Gemeinde]
    osm: _Osm
    addresses: list[_Address]
    offers: list[_Offer]


_LonLat = Callable[[np.ndarray], np.ndarray]  # metric (n, 2) → rounded lon/lat (n, 2)
_SpotCheck = Callable[[float, float, float, Sequence["_Place"]], bool]


class _RetryError(Exception):
    """An unlucky random layout; the generator draws a new one."""


# --------------------------------------------------------------------------- public


def generate_demo(folder: Path, *, seed: int = 2026) -> DemoFiles:
    """Write the fictional "Beispielkreis" into ``folder``.

    Parameters
    ----------
    folder
        Target folder (created if missing).  Existing demo files are replaced
        atomically; other files are left alone.
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives
        byte-identical files.

    Returns
    -------
    DemoFiles
        Paths of the written files.

    Raises
    ------
    ErreichbarkeitError
        If no valid layout was found for this seed (not observed in practice).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for attempt in range(_MAX_ATTEMPTS):
        try:
            model = _build_model(rng)
            break
        except _RetryError as exc:
            logger.debug("demo layout attempt %d rejected: %s", attempt + 1, exc)
    else:
        msg = f"no valid demo layout found for seed {seed}"
        raise ErreichbarkeitError(
            msg, message_de=f"Für den Startwert {seed} ließ sich kein Beispielkreis erzeugen"
        )
    to_wgs = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
    x0, y0 = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True).transform(
        _CENTER_LON, _CENTER_LAT
    )

    def lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs.transform(xy[:, 0] + x0, xy[:, 1] + y0)
        return np.round(np.column_stack([lon, lat]), 7)

    files = DemoFiles(
        folder=folder,
        network=folder / "beispielkreis.osm",
        boundaries=folder / "gemeinden.geojson",
        offers=folder / "angebote.csv",
        population=folder / "bevoelkerung.csv",
        population_grid=folder / "bevoelkerungsraster.csv",
        region=folder / "region.toml",
    )
    _write_osm(model, files.network, lonlat)
    _write_boundaries(model, files.boundaries, lonlat)
    _write_offers(model, files.offers, lonlat)
    _write_population(model, files.population)
    _write_population_grid(model, files.population_grid, lonlat, seed)
    _write_region(files)
    logger.info(
        "demo Beispielkreis written to %s: %d villages, %d Gemeinden, %d offers, "
        "%d OSM nodes, %d ways",
        folder,
        len(model.places),
        len(model.gemeinden),
        len(model.offers),
        len(model.osm.nodes),
        len(model.osm.ways),
    )
    return files


# ----------------------------------------------------------------------- the model


def _build_model(rng: np.random.Generator) -> _Model:
    outline = _outline(rng)
    names = _NameMaker(rng)
    places = _seats(rng, outline, names)
    seats_xy = np.array([(p.x, p.y) for p in places])
    cells = _gemeinde_cells(outline, seats_xy)
    inner = outline.buffer(-800.0)

    def ok_spot(x: float, y: float, min_dist: float, others: Sequence[_Place]) -> bool:
        if not inner.contains(Point(x, y)):
            return False
        if _cell_margin(seats_xy, x, y) < 200.0:
            return False
        return all(math.hypot(p.x - x, p.y - y) >= min_dist for p in others)

    valleys = _valleys(rng, places, ok_spot, names)
    corridors = shapely.union_all([v[1] for v in valleys]).buffer(1_500.0)

    def sample(kind: str, count: int, min_dist: float, pop: tuple[int, int]) -> None:
        placed = 0
        for _ in range(4_000):
            if placed == count:
                return
            x = rng.uniform(-_HALF_WIDTH_M, _HALF_WIDTH_M)
            y = rng.uniform(-_HALF_HEIGHT_M, _HALF_HEIGHT_M)
            if corridors.contains(Point(x, y)) or not ok_spot(x, y, min_dist, places):
                continue
            population = round(math.exp(rng.uniform(math.log(pop[0]), math.log(pop[1]))))
            name = names.village() if kind == "village" else names.hamlet()
            places.append(_Place(name, kind, kind, population, x, y))
            placed += 1

    sample("village", _N_VILLAGES, 1_700.0, (200, 1_500))
    sample("hamlet", _N_HAMLETS, 1_200.0, (30, 150))
    core = [i for i, p in enumerate(places) if p.kind not in ("valley",)]

    osm = _Osm()
    edges = _road_edges(rng, places, core, valleys)
    _lay_out_network(rng, osm, places, edges=edges, valleys=valleys, outline=outline)
    addresses = _add_streets_and_addresses(rng, osm, places)
    _add_isolated(rng, osm, places, ok_spot, names)
    _add_track_hamlet(rng, osm, places, ok_spot, names)

    gemeinden = _gemeinden(rng, places, cells, names)
    offers = _offers(rng, places, addresses)
    _add_pois(osm, offers, places, gemeinden, addresses)
    return _Model(outline, places, gemeinden, osm, addresses, offers)


class _NameMaker:
    """Unique German-sounding fictional names from syllables."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = {"Beispielstadt"}

    def _unique(self, make: Callable[[], str | None]) -> str:
        for _ in range(500):
            name = make()
            if name is not None and name not in self.used:
                self.used.add(name)
                return name
        msg = "name pool exhausted"
        raise _RetryError(msg)

    def _pick(self, pool: Sequence[str]) -> str:
        return pool[int(self.rng.integers(len(pool)))]

    def village(self) -> str:
        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(_VILLAGE_SUFFIXES)
            if root[-1] == suffix[0] or root.endswith(suffix):
                return None
            if self.rng.random() < 0.45:
                return self._pick(_PREFIXES) + root + suffix
            return root.capitalize() + suffix

        return self._unique(make)

    def hamlet(self) -> str:
        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(_HAMLET_SUFFIXES)
            if root[-1] == suffix[0] or root.endswith(suffix[:4]):
                return None
            return root.capitalize() + suffix

        return self._unique(make)

    def landscape(self) -> str:
        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(("tal", "grund", "aue"))
            if root[-1] == suffix[0]:
                return None
            return root.capitalize() + suffix

        return self._unique(make)


def _outline(rng: np.random.Generator) -> Polygon:
    """A star-shaped, irregular county outline around (0, 0) (always a simple polygon)."""
    n = 28
    angles = (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * 2 * math.pi / n
    # smooth radial noise: a few low harmonics
    noise = np.zeros(n)
    for k in (2, 3, 5):
        noise += rng.normal(0, 0.05) * np.cos(k * angles + rng.uniform(0, 2 * math.pi))
    noise += rng.normal(0, 0.015, n)
    ellipse = 1.0 / np.sqrt(
        (np.cos(angles) / _HALF_WIDTH_M) ** 2 + (np.sin(angles) / _HALF_HEIGHT_M) ** 2
    )
    r = ellipse * np.clip(0.97 + noise, 0.82, 1.0)
    return Polygon(np.column_stack([r * np.cos(angles), r * np.sin(angles)]))


def _radius_towards(outline: Polygon, angle: float) -> float:
    ray = LineString([(0, 0), (60_000 * math.cos(angle), 60_000 * math.sin(angle))])
    hit = ray.intersection(outline.exterior)
    return float(min(Point(0, 0).distance(g) for g in getattr(hit, "geoms", [hit])))


def _seats(rng: np.random.Generator, outline: Polygon, names: _NameMaker) -> list[_Place]:
    """The Kreisstadt and the seven Gemeinde seats."""
    tx, ty = rng.uniform(-1_500, 1_500, 2)
    places = [
        _Place(
            "Beispielstadt", "town", "town", int(rng.integers(11_000, 13_000)), float(tx), float(ty)
        )
    ]
    rot = rng.uniform(0, 2 * math.pi)
    for k in range(_N_CENTRES):
        angle = rot + 2 * math.pi * k / _N_CENTRES + rng.uniform(-0.15, 0.15)
        dist = _radius_towards(outline, angle) * rng.uniform(0.5, 0.6)
        places.append(
            _Place(
                names.village(),
                "centre",
                "village",
                int(rng.integers(2_000, 5_000)),
                dist * math.cos(angle),
                dist * math.sin(angle),
            )
        )
    return places


def _gemeinde_cells(outline: Polygon, seats: np.ndarray) -> list[Polygon | MultiPolygon]:
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


def _cell_margin(seats: np.ndarray, x: float, y: float) -> float:
    """Distance of a point to the boundary of its Voronoi cell (min over bisectors)."""
    d2 = (seats[:, 0] - x) ** 2 + (seats[:, 1] - y) ** 2
    i = int(np.argmin(d2))
    others = np.arange(len(seats)) != i
    gap = np.hypot(seats[others, 0] - seats[i, 0], seats[others, 1] - seats[i, 1])
    return float(np.min((d2[others] - d2[i]) / (2 * gap)))


_Valley = tuple[list[int], LineString]  # place indices base → end, winding road (metric)


def _valleys(
    rng: np.random.Generator, places: list[_Place], ok_spot: _SpotCheck, names: _NameMaker
) -> list[_Valley]:
    """Chains of 2–3 villages behind a Gemeinde seat, reached by one winding road."""
    valleys: list[_Valley] = []
    bases = [int(i) for i in rng.permutation(np.arange(1, _N_CENTRES + 1))]
    town = places[0]
    for base in bases:
        if len(valleys) == _N_VALLEYS:
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
                    _Place(
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
    if len(valleys) < _N_VALLEYS:
        msg = "no room for the dead-end valleys"
        raise _RetryError(msg)
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


@dataclass
class _Edge:
    u: int
    v: int
    highway: str
    ref: str | None = None


def _road_edges(
    rng: np.random.Generator, places: list[_Place], core: list[int], valleys: list[_Valley]
) -> list[_Edge]:
    """Choose the links between core villages and their road classes.

    Links are edges of the Delaunay triangulation (planar: no two links
    cross), minus those through a valley; the Kreisstraßen are their minimum
    spanning tree (connected), extra short links are Gemeindestraßen, some
    of the rest Wirtschaftswege.  The Bundesstraße and Landesstraßen follow
    shortest paths through the chosen links.
    """
    xy = np.array([(places[i].x, places[i].y) for i in core])
    index = {(float(x), float(y)): core[k] for k, (x, y) in enumerate(xy)}
    pairs: set[tuple[int, int]] = set()
    for line in shapely.delaunay_triangles(shapely.MultiPoint(xy), only_edges=True).geoms:
        (ax, ay), (bx, by) = line.coords
        i, j = sorted((index[(ax, ay)], index[(bx, by)]))
        pairs.add((i, j))
    blocked = shapely.union_all(
        [
            road.buffer(400.0).difference(
                Point(places[chain[0]].x, places[chain[0]].y).buffer(900.0)
            )
            for chain, road in valleys
        ]
    )
    graph = nx.Graph()
    graph.add_nodes_from(core)
    for i, j in sorted(pairs):
        seg = LineString([(places[i].x, places[i].y), (places[j].x, places[j].y)])
        if seg.length > 7_500 or seg.intersects(blocked):
            continue
        # a link that grazes a third village would run through its houses
        if any(
            k not in (i, j) and seg.distance(Point(places[k].x, places[k].y)) < 500 for k in core
        ):
            continue
        graph.add_edge(i, j, weight=seg.length)
    if not nx.is_connected(graph):
        msg = "village graph is not connected"
        raise _RetryError(msg)
    mst = nx.minimum_spanning_tree(graph, weight="weight")
    chosen = nx.Graph()
    chosen.add_nodes_from(core)
    edges: dict[tuple[int, int], _Edge] = {}
    tracks: list[_Edge] = []
    for i, j, data in sorted(graph.edges(data=True)):
        key = (min(i, j), max(i, j))
        hub = places[i].kind in ("town", "centre") or places[j].kind in ("town", "centre")
        if mst.has_edge(i, j) or key[0] == 0:  # the Kreisstadt is the hub of the county
            edges[key] = _Edge(*key, "tertiary")
        elif rng.random() < (0.7 if hub else 0.5) * (1.0 if data["weight"] < 4_500 else 0.4):
            edges[key] = _Edge(*key, "unclassified")
        elif data["weight"] < 4_500 and rng.random() < 0.4:
            tracks.append(_Edge(*key, "track"))
            continue
        else:
            continue
        chosen.add_edge(i, j, weight=data["weight"])
    # Bundesstraße: westernmost to easternmost core village through the Kreisstadt
    west = min(core, key=lambda i: places[i].x)
    east = max(core, key=lambda i: places[i].x)
    b_ref = f"B {int(rng.integers(400, 500))}"
    path = nx.shortest_path(chosen, west, 0, weight="weight")
    path += nx.shortest_path(chosen, 0, east, weight="weight")[1:]
    for i, j in itertools.pairwise(path):
        edges[(min(i, j), max(i, j))].highway = "primary"
        edges[(min(i, j), max(i, j))].ref = b_ref
    for seat in range(1, _N_CENTRES + 1):
        l_ref = f"L {int(rng.integers(3000, 3500))}"
        path = nx.shortest_path(chosen, 0, seat, weight="weight")
        for i, j in itertools.pairwise(path):
            e = edges[(min(i, j), max(i, j))]
            if e.highway not in ("primary", "secondary"):
                e.highway, e.ref = "secondary", l_ref
    k_numbers = iter(rng.permutation(np.arange(101, 199)))
    for e in edges.values():
        if e.highway == "tertiary":
            e.ref = f"K {int(next(k_numbers))}"
    out = list(edges.values()) + tracks
    # the border stubs of the Bundesstraße: place indices -1 (west) and -2 (east)
    out.append(_Edge(west, -1, "primary", b_ref))
    out.append(_Edge(east, -2, "primary", b_ref))
    return out


# ------------------------------------------------------------------ OSM geometry

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


def _curve(
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


@dataclass
class _Street:
    """A named street inside a village; addresses are placed along it."""

    place: int
    name: str
    nodes: list[int]
    count: int


def _lay_out_network(
    rng: np.random.Generator,
    osm: _Osm,
    places: list[_Place],
    *,
    edges: list[_Edge],
    valleys: list[_Valley],
    outline: Polygon,
) -> None:
    """Create nodes and ways of the town grid, village junctions and roads."""
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

    def entry(i: int, towards: tuple[float, float]) -> int:
        if i != 0:
            return places[i].node
        angle = math.atan2(towards[1] - town.y, towards[0] - town.x)
        return min(
            entries,
            key=lambda n: abs(
                _wrap(math.atan2(osm.xy(n)[1] - town.y, osm.xy(n)[0] - town.x) - angle)
            ),
        )

    border_xy = {}
    for side, idx in ((-1, -1), (1, -2)):
        start = next(e for e in edges if e.v == idx)
        p = places[start.u]
        ray = LineString([(p.x, p.y), (p.x + side * 40_000, p.y)])
        hit = ray.intersection(outline.exterior)
        pts = sorted(getattr(hit, "geoms", [hit]), key=lambda g: g.distance(Point(p.x, p.y)))
        border_xy[idx] = (pts[0].x, pts[0].y)
    for e in edges:
        if e.v < 0:
            end = osm.node(*border_xy[e.v], {"noexit": "yes"})
            a = entry(e.u, border_xy[e.v])
            _road(rng, osm, places, e, a=a, b=end, interior=_curve(osm.xy(a), osm.xy(end), rng))
            continue
        pu, pv = places[e.u], places[e.v]
        a = entry(e.u, (pv.x, pv.y))
        b = entry(e.v, (pu.x, pu.y))
        _road(rng, osm, places, e, a=a, b=b, interior=_curve(osm.xy(a), osm.xy(b), rng))
    for chain, road in valleys:
        coords: list[tuple[float, float]] = [(x, y) for x, y in road.coords]
        # split the serpentine at the valley villages
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
            e = _Edge(u, v, "tertiary" if leg == 0 else "unclassified")
            if leg == 0:
                e.ref = f"K {int(rng.integers(200, 299))}"
            a, b = places[u].node, places[v].node
            _road(rng, osm, places, e, a=a, b=b, interior=coords[s + 1 : t])
        # the ridge shortcut for bikes and walkers: track from the valley end to the
        # nearest core village whose straight line crosses no road
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
                pts = _curve((tip.x, tip.y), (q.x, q.y), rng)
                osm.way([tip.node, *[osm.node(*pt) for pt in pts], q.node], tags)
                break
    _cycleways(osm, places, edges)


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _road(
    rng: np.random.Generator,
    osm: _Osm,
    places: list[_Place],
    e: _Edge,
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
        streets.append(_Street(u, name, part, 2))
    osm.way(nodes[cut_u : cut_v + 1], tags)
    if cut_v < len(nodes) - 1 and v is not None:
        part = nodes[cut_v:][::-1]
        name = _road_name(places[u].name)
        osm.way(part, _in_village_tags(e, name))
        streets.append(_Street(v, name, part, 2))


def _in_village_tags(e: _Edge, name: str) -> dict[str, str]:
    tags = {"highway": e.highway, "name": name, "maxspeed": "50"}
    if e.ref:
        tags["ref"] = e.ref
    tags["surface"] = "asphalt"
    return tags


def _insert_at(osm: _Osm, nodes: list[int], dist: float) -> int:
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


def _town_grid(rng: np.random.Generator, osm: _Osm, grid: list[list[int]]) -> None:
    """The Kreisstadt's street grid with two one-way streets and a footpath."""
    mid = _TOWN_GRID // 2
    names = [str(n) for n in rng.permutation([s for s in _STREETS if s != "Hauptstraße"])]
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
        osm.streets.append(_Street(0, name, list(nodes), 4))
    for c in range(_TOWN_GRID):
        nodes = [grid[r][c] for r in range(_TOWN_GRID)]
        name = "Bahnhofstraße" if c == mid else names.pop()
        tags = {
            "highway": "tertiary" if c == mid else "residential",
            "name": name,
            "maxspeed": "50" if c == mid else "30",
        }
        osm.way(nodes, tags)
        osm.streets.append(_Street(0, name, nodes, 4))
    # a footpath diagonally through the park: pedestrians only
    osm.way([grid[k][k] for k in range(mid + 1)], {"highway": "footway", "name": "Parkweg"})


def _cycleways(osm: _Osm, places: list[_Place], edges: list[_Edge]) -> None:
    """Up to three straight cycleways between villages whose road link is a detour.

    Straight like a cycle path on a disused railway line; they share the
    village junction nodes and cross no other way.
    """
    graph = nx.Graph()
    for e in edges:
        if e.v >= 0 and e.highway != "track":
            pu, pv = places[e.u], places[e.v]
            graph.add_edge(e.u, e.v, weight=math.hypot(pu.x - pv.x, pu.y - pv.y))
    lengths = dict(nx.all_pairs_dijkstra_path_length(graph, weight="weight"))
    candidates = []
    for i, j in itertools.combinations(sorted(graph.nodes), 2):
        d = math.hypot(places[i].x - places[j].x, places[i].y - places[j].y)
        if 1_200 < d < 4_000 and not graph.has_edge(i, j):
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


def _car_lines(osm: _Osm) -> list[LineString]:
    car = {"primary", "secondary", "tertiary", "unclassified", "residential", "service"}
    return [osm.line(nodes) for nodes, tags in osm.ways if tags.get("highway") in car]


def _nearest_car_node(osm: _Osm, x: float, y: float) -> int:
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


def _add_isolated(
    rng: np.random.Generator,
    osm: _Osm,
    places: list[_Place],
    ok_spot: _SpotCheck,
    names: _NameMaker,
) -> None:
    """Single farms 400–900 m off a road, reached by a service road."""
    roads = shapely.union_all(_car_lines(osm))
    added = 0
    for _ in range(4_000):
        if added == _N_ISOLATED:
            return
        x = rng.uniform(-_HALF_WIDTH_M, _HALF_WIDTH_M)
        y = rng.uniform(-_HALF_HEIGHT_M, _HALF_HEIGHT_M)
        if not 400 < roads.distance(Point(x, y)) < 900:
            continue
        if not ok_spot(x, y, 1_000.0, places):
            continue
        name = names.hamlet()
        p = _Place(name, "isolated", "isolated_dwelling", int(rng.integers(3, 12)), x, y)
        p.node = osm.node(x, y)
        places.append(p)
        target = _nearest_car_node(osm, x, y)
        osm.way([p.node, target], {"highway": "service", "name": name})
        added += 1
    msg = "no room for isolated dwellings"
    raise _RetryError(msg)


def _add_track_hamlet(
    rng: np.random.Generator,
    osm: _Osm,
    places: list[_Place],
    ok_spot: _SpotCheck,
    names: _NameMaker,
) -> None:
    """A hamlet reached only by an agricultural track, far from any public road."""
    roads = shapely.union_all(_car_lines(osm))
    for min_road in (1_300.0, 1_100.0):
        for _ in range(6_000):
            x = rng.uniform(-_HALF_WIDTH_M, _HALF_WIDTH_M)
            y = rng.uniform(-_HALF_HEIGHT_M, _HALF_HEIGHT_M)
            d = roads.distance(Point(x, y))
            if not min_road < d < 2_500:
                continue
            if not ok_spot(x, y, 1_300.0, places):
                continue
            p = _Place(
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
            pts = _curve((x, y), osm.xy(target), rng)
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
    raise _RetryError(msg)


def _add_streets_and_addresses(
    rng: np.random.Generator, osm: _Osm, places: list[_Place]
) -> list[_Address]:
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
        pool = [s for s in _STREETS if s not in taken]
        order = rng.permutation(len(pool))
        k = int(rng.integers(spokes_by_kind[kind][0], spokes_by_kind[kind][1] + 1))
        used = list(bearings.get(p.node, []))
        rot = rng.uniform(0, 2 * math.pi)
        for step in range(12):
            if k == 0:
                break
            angle = rot + step * math.pi / 6
            if any(abs(_wrap(angle - b)) < math.radians(40) for b in used):
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
            streets.append(_Street(i, name, nodes, 3 if kind == "centre" else 2))
    addresses: list[_Address] = []
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
            addresses.append(_Address(s.place, s.name, str(k + 1), ax, ay))
    return addresses


# ----------------------------------------------------------------- Gemeinden, offers


def _gemeinden(
    rng: np.random.Generator,
    places: list[_Place],
    cells: list[Polygon | MultiPolygon],
    names: _NameMaker,
) -> list[_Gemeinde]:
    landscape = {int(i) for i in rng.choice(np.arange(1, _N_CENTRES + 1), 2, replace=False)}
    out = []
    for g, cell in enumerate(cells):
        name = names.landscape() if g in landscape else places[g].name
        out.append(_Gemeinde(f"99999{g + 1:03d}", name, f"{101 + g:05d}", cell))
    for p in places:
        hits = [g for g, cell in enumerate(cells) if cell.contains(Point(p.x, p.y))]
        if len(hits) != 1:
            msg = f"village {p.name} lies in {len(hits)} Gemeinden"
            raise _RetryError(msg)
        p.gemeinde = hits[0]
        out[hits[0]].population += p.population
    return out


# category key → (Träger choices, Altersgruppen, Öffnungszeiten German, OSM)
_OFFER_TEXT: Mapping[str, tuple[tuple[str, ...], str, str, str]] = MappingProxyType({
    "kita": (("Gemeinde", "Ev. Kirchengemeinde", "AWO Kreisverband", "DRK-Kreisverband",
              "Elterninitiative e. V."), "1–6 Jahre", "Mo–Fr 7:00–16:30 Uhr",
             "Mo-Fr 07:00-16:30"),
    "grundschule": (("Landkreis",), "6–10 Jahre", "Mo–Fr 7:45–13:00 Uhr", "Mo-Fr 07:45-13:00"),
    "schule": (("Landkreis",), "10–19 Jahre", "Mo–Fr 7:45–15:30 Uhr", "Mo-Fr 07:45-15:30"),
    "kinderarzt": (("privat",), "0–18 Jahre", "Mo–Fr 8–12 Uhr, Di und Do 15–18 Uhr",
                   "Mo-Fr 08:00-12:00; Tu,Th 15:00-18:00"),
    "hebamme": (("freiberuflich",), "Schwangere, 0–1 Jahr", "nach Vereinbarung", ""),
    "familienzentrum": (("Ev. Familienbildungsstätte", "Gemeinde", "Caritasverband"),
                        "0–10 Jahre und Eltern", "Mo–Do 9–17 Uhr, Fr 9–13 Uhr",
                        "Mo-Th 09:00-17:00; Fr 09:00-13:00"),
    "beratung": (("Landkreis", "Diakonisches Werk", "pro familia"), "0–27 Jahre und Eltern",
                 "Mo–Fr 9–15 Uhr und nach Vereinbarung", "Mo-Fr 09:00-15:00"),
    "jugendzentrum": (("Gemeinde", "Kreisjugendring"), "10–27 Jahre", "Di–Sa 14–21 Uhr",
                      "Tu-Sa 14:00-21:00"),
    "bibliothek": (("Gemeinde", "Stadt"), "alle", "Di, Do 14–18 Uhr, Sa 10–12 Uhr",
                   "Tu,Th 14:00-18:00; Sa 10:00-12:00"),
})  # fmt: skip

# aliases (German spellings planners use) that some rows carry instead of the label
_ALIASES = MappingProxyType(
    {
        "kita": "Kindergarten",
        "kinderarzt": "Kinder- und Jugendarzt",
        "bibliothek": "Bücherei",
        "beratung": "Erziehungsberatung",
        "schule": "Gymnasium",
        "jugendzentrum": "Jugendtreff",
    }
)

_KITA_NAMES = (
    "Sonnenschein",
    "Regenbogen",
    "Arche Noah",
    "Pusteblume",
    "Wirbelwind",
    "Spatzennest",
    "Löwenzahn",
    "Kunterbunt",
    "Sternschnuppe",
    "Villa Kunterbunt",
    "Zwergenland",
    "Schatzkiste",
    "Glühwürmchen",
    "Bullerbü",
)


def _offers(
    rng: np.random.Generator, places: list[_Place], addresses: list[_Address]
) -> list[_Offer]:
    """Offers clustered in the Kreisstadt and Gemeinde seats, a few Kitas in big villages."""
    cats = load_categories()
    centres = [i for i, p in enumerate(places) if p.kind == "centre"]
    big_villages = sorted(
        (i for i, p in enumerate(places) if p.kind == "village"),
        key=lambda i: -places[i].population,
    )[:3]
    plan: list[tuple[int, str]] = [
        (0, c)
        for c in ("kita",) * 4
        + ("grundschule",) * 2
        + ("schule",) * 2
        + ("kinderarzt",) * 2
        + ("hebamme", "familienzentrum", "beratung", "beratung", "jugendzentrum", "bibliothek")
    ]
    for i in centres:
        plan += [(i, "kita"), (i, "grundschule")]
    extra = (
        "kinderarzt",
        "kinderarzt",
        "hebamme",
        "hebamme",
        "familienzentrum",
        "jugendzentrum",
        "jugendzentrum",
        "bibliothek",
        "bibliothek",
        "schule",
    )
    for c, i in zip(extra, rng.permutation(centres).tolist() * 2, strict=False):
        plan.append((int(i), c))
    plan += [(i, "kita") for i in big_villages] + [(big_villages[0], "grundschule")]
    by_place: dict[int, list[_Address]] = {}
    for a in addresses:
        by_place.setdefault(a.place, []).append(a)
    for i, mine in by_place.items():
        by_place[i] = [mine[k] for k in rng.permutation(len(mine))]
    kita_names = [str(n) for n in rng.permutation(_KITA_NAMES)]
    surnames = [str(n) for n in rng.permutation(_SURNAMES)]
    given = [str(n) for n in rng.permutation(_GIVEN)]
    offers: list[_Offer] = []
    for n, (i, cat) in enumerate(plan):
        p = places[i]
        if not by_place.get(i):
            msg = f"no free address in {p.name}"
            raise _RetryError(msg)
        addr = by_place[i].pop()
        traeger_pool, ages, opening_de, opening_osm = _OFFER_TEXT[cat]
        traeger = traeger_pool[int(rng.integers(len(traeger_pool)))]
        if traeger in ("Gemeinde", "Stadt"):
            traeger = ("Stadt " if i == 0 else "Gemeinde ") + p.name
        elif traeger == "Landkreis":
            traeger = "Landkreis Beispielkreis"
        surname = surnames[n % len(surnames)]
        n_kita = sum(o.category == "kita" for o in offers)
        n_school = sum(o.category == "grundschule" for o in offers)
        name = {
            "kita": f"Kita {kita_names[n_kita % len(kita_names)]}",
            "grundschule": (
                ("Grundschule am Markt", "Brüder-Grimm-Schule")[n_school % 2]
                if i == 0
                else f"Grundschule {p.name}"
            ),
            "schule": ("Gymnasium " if i == 0 and n % 2 else "Gesamtschule ") + p.name,
            "kinderarzt": f"Kinderarztpraxis Dr. med. {surname}",
            "hebamme": f"Hebammenpraxis {given[n % len(given)]} {surname}",
            "familienzentrum": f"Familienzentrum {p.name}",
            "beratung": "Erziehungs- und Familienberatung"
            if n % 2
            else "Jugend- und Schwangerschaftsberatung",
            "jugendzentrum": f"Jugendzentrum {p.name}",
            "bibliothek": ("Stadtbibliothek " if i == 0 else "Gemeindebücherei ") + p.name,
        }[cat]
        alias = _ALIASES.get(cat)
        if cat == "schule":
            kategorie = "Gymnasium" if name.startswith("Gymnasium") else cats[cat].label
        elif cat == "beratung":
            kategorie = "Erziehungsberatung" if name.startswith("Erziehungs") else cats[cat].label
        elif alias and alias in cats[cat].aliases and rng.random() < 0.25:
            kategorie = alias
        else:
            kategorie = cats[cat].label
        capacity = None
        if cat == "kita":
            capacity = int(rng.choice([45, 60, 75, 100, 120] if i == 0 else [25, 45, 50, 75]))
        angle = rng.uniform(0, 2 * math.pi)
        x, y = addr.x + 6 * math.cos(angle), addr.y + 6 * math.sin(angle)
        offers.append(
            _Offer(
                i,
                cat,
                name,
                kategorie,
                traeger,
                addr,
                x,
                y,
                capacity,
                ages,
                opening_de,
                opening_osm,
            )
        )
    for k in rng.choice(len(offers), 5, replace=False):
        offers[int(k)].with_coordinates = False
    # OSM is incomplete, as in reality: about a third of the offers are not mapped,
    # but every category is
    unmapped = set(rng.choice(len(offers), len(offers) // 3, replace=False).tolist())
    mapped_cats: set[str] = set()
    for k, o in enumerate(offers):
        o.in_osm = k not in unmapped or o.category not in mapped_cats
        if o.in_osm:
            mapped_cats.add(o.category)
    order = {key: c.order for key, c in cats.items()}
    offers.sort(
        key=lambda o: (cats[o.category].label, places[o.place].name, o.name, order[o.category])
    )
    return offers


def _poi_tags(o: _Offer) -> dict[str, str]:
    return {
        "kita": {"amenity": "kindergarten"},
        "grundschule": {"amenity": "school", "isced:level": "1", "school:de": "Grundschule"},
        "schule": {
            "amenity": "school",
            "isced:level": "2;3",
            "school:de": "Gymnasium" if o.kategorie == "Gymnasium" else "Gesamtschule",
        },
        "kinderarzt": {
            "amenity": "doctors",
            "healthcare": "doctor",
            "healthcare:speciality": "paediatrics",
        },
        "hebamme": {"healthcare": "midwife"},
        "familienzentrum": {"amenity": "community_centre", "community_centre": "family"},
        "beratung": {
            "amenity": "social_facility",
            "social_facility": "outreach",
            "social_facility:for": "child",
        },
        "jugendzentrum": {"amenity": "community_centre", "community_centre": "youth_centre"},
        "bibliothek": {"amenity": "library"},
    }[o.category]


def _add_pois(
    osm: _Osm,
    offers: list[_Offer],
    places: list[_Place],
    gemeinden: list[_Gemeinde],
    addresses: list[_Address],
) -> None:
    """Mapped offers as OSM POI nodes; place and address tags on their nodes."""
    for p in places:
        x, y, tags = osm.nodes[p.node - 1]
        # the place node stands a few metres beside the junction, as in OSM
        tags_place = {"place": p.place, "name": p.name, "population": str(p.population)}
        if p.note:
            tags_place["note"] = p.note
        p.x, p.y = x + 18.0, y + 12.0
        osm.node(p.x, p.y, tags_place)
    for a in addresses:
        place = places[a.place]
        osm.node(a.x, a.y, _addr_tags(a, place, gemeinden))
    for o in offers:
        if not o.in_osm:
            continue
        tags = {**_poi_tags(o), "name": o.name}
        if o.opening_osm:
            tags["opening_hours"] = o.opening_osm
        if o.capacity:
            tags["capacity"] = str(o.capacity)
        tags["operator"] = o.traeger
        tags.update(_addr_tags(o.address, places[o.place], gemeinden))
        osm.node(o.x, o.y, tags)


def _addr_tags(a: _Address, place: _Place, gemeinden: list[_Gemeinde]) -> dict[str, str]:
    return {
        "addr:street": a.street,
        "addr:housenumber": a.housenumber,
        "addr:postcode": gemeinden[place.gemeinde].postcode,
        "addr:city": place.name,
    }


# ------------------------------------------------------------------------- writers


def _write_osm(model: _Model, path: Path, lonlat: _LonLat) -> None:
    osm = model.osm
    coords = lonlat(np.array([(x, y) for x, y, _ in osm.nodes]))
    header = osmium.io.Header()
    header.set("generator", "erreichbarkeit demo – Beispielkreis (fiktiv)")
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(lo[0], lo[1]), osmium.osm.Location(hi[0], hi[1]))
    )
    with atomic_path(path) as tmp:
        writer = osmium.SimpleWriter(str(tmp), header=header)
        try:
            for k, (_, _, tags) in enumerate(osm.nodes):
                lon, lat = coords[k]
                writer.add_node(Node(id=k + 1, location=(float(lon), float(lat)), tags=tags))
            for k, (nodes, tags) in enumerate(osm.ways):
                writer.add_way(Way(id=k + 1, nodes=nodes, tags=tags))
        finally:
            writer.close()


def _polygon_lonlat(geom: Polygon | MultiPolygon, lonlat: _LonLat) -> Polygon | MultiPolygon:
    def one(poly: Polygon) -> Polygon:
        return Polygon(
            lonlat(np.asarray(poly.exterior.coords)),
            [lonlat(np.asarray(r.coords)) for r in poly.interiors],
        )

    if isinstance(geom, MultiPolygon):
        return MultiPolygon([one(g) for g in geom.geoms])
    return one(geom)


def _write_boundaries(model: _Model, path: Path, lonlat: _LonLat) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "ags": [g.ags for g in model.gemeinden],
            "gemeinde": [g.name for g in model.gemeinden],
            "population": [g.population for g in model.gemeinden],
        },
        geometry=[_polygon_lonlat(g.geometry, lonlat) for g in model.gemeinden],
        crs=WGS84,
    )
    # GeoDataFrame.to_json gives byte-stable output independent of the GDAL version
    text = gdf.to_json(drop_id=True, ensure_ascii=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def _de_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _de_int(value: int) -> str:
    """``12345`` → ``12.345`` (German thousands separator)."""
    return f"{value:,d}".replace(",", ".")


def _write_offers(model: _Model, path: Path, lonlat: _LonLat) -> None:
    coords = lonlat(np.array([(o.x, o.y) for o in model.offers]))
    rows = []
    for k, o in enumerate(model.offers):
        place = model.places[o.place]
        lon, lat = coords[k]
        rows.append(
            {
                "Nr": str(k + 1),
                "Name": o.name,
                "Kategorie": o.kategorie,
                "Träger": o.traeger,
                "Straße": o.address.street,
                "Hausnummer": o.address.housenumber,
                "PLZ": model.gemeinden[place.gemeinde].postcode,
                "Ort": place.name,
                "Breitengrad": _de_number(lat, 6) if o.with_coordinates else "",
                "Längengrad": _de_number(lon, 6) if o.with_coordinates else "",
                "Kapazität": str(o.capacity) if o.capacity else "",
                "Altersgruppen": o.age_groups,
                "Öffnungszeiten": o.opening_de,
            }
        )
    table = pd.DataFrame(rows, dtype=str)
    with atomic_path(path) as tmp:
        # the format a German spreadsheet program writes: ';', decimal comma, BOM, CRLF
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_population(model: _Model, path: Path) -> None:
    table = pd.DataFrame(
        {
            "AGS": [g.ags for g in model.gemeinden],
            "Gemeinde": [g.name for g in model.gemeinden],
            "Einwohner": [_de_int(g.population) for g in model.gemeinden],
        },
        dtype=str,
    )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


#: Radius (m) over which a village's inhabitants spread: grows with its size.
_SPREAD_M_PER_SQRT_INHABITANT = 6.0
_GRID_M = 100


def _write_population_grid(
    model: _Model, path: Path, lonlat: Callable[[np.ndarray], np.ndarray], seed: int
) -> None:
    """A fictional 100 m Zensus-style grid: each place's inhabitants spread around it.

    Inhabitants are spread over the 100 m cells within a radius that grows
    with the square root of the population (Gaussian weights), rounded to
    whole people per cell with the place total kept exactly (largest
    remainders).  Cell centres are given in EPSG:3035 like the Zensus grids;
    the share of under-18s varies a little per place.
    """
    rng = np.random.default_rng(seed + 1)
    to_laea = Transformer.from_crs(WGS84, "EPSG:3035", always_xy=True)
    cells: dict[tuple[int, int], list[float]] = {}
    xy = np.array([(p.x, p.y) for p in model.places], dtype=float)
    lon_lat = lonlat(xy)
    ex, ey = to_laea.transform(lon_lat[:, 0], lon_lat[:, 1])
    for place, cx, cy in zip(model.places, ex, ey, strict=True):
        radius = max(150.0, _SPREAD_M_PER_SQRT_INHABITANT * math.sqrt(place.population))
        n = math.ceil(radius / _GRID_M)
        ix0, iy0 = int(cx // _GRID_M), int(cy // _GRID_M)
        keys, weights = [], []
        for dx in range(-n, n + 1):
            for dy in range(-n, n + 1):
                mx = (ix0 + dx + 0.5) * _GRID_M
                my = (iy0 + dy + 0.5) * _GRID_M
                d2 = (mx - cx) ** 2 + (my - cy) ** 2
                if d2 <= radius**2:
                    keys.append((ix0 + dx, iy0 + dy))
                    weights.append(math.exp(-d2 / (radius**2 / 2)))
        w = np.array(weights) / sum(weights) * place.population
        whole = np.floor(w).astype(int)
        rest = place.population - int(whole.sum())
        whole[np.argsort(-(w - whole))[:rest]] += 1
        share = float(np.clip(rng.normal(17.5, 2.0), 12.0, 24.0))
        for key, people in zip(keys, whole, strict=True):
            if people > 0:
                entry = cells.setdefault(key, [0.0, 0.0])
                entry[0] += people
                entry[1] += people * share
    rows = sorted(cells.items())
    table = pd.DataFrame(
        {
            "x_mp": [int((k[0] + 0.5) * _GRID_M) for k, _ in rows],
            "y_mp": [int((k[1] + 0.5) * _GRID_M) for k, _ in rows],
            "Einwohner": [int(v[0]) for _, v in rows],
            "unter18_A": [_de_decimal(v[1] / v[0]) for _, v in rows],
        }
    )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _de_decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


_FICTIONAL = "fiktive Daten, erzeugt von erreichbarkeit.demo.beispielkreis (frei verwendbar)"


def _write_region(files: DemoFiles) -> None:
    text = f"""\
# Fiktiver Beispielkreis: alle Orte, Straßen, Einwohnerzahlen und Angebote sind
# erfunden (erzeugt von erreichbarkeit.demo.beispielkreis).  Gemeindeschlüssel mit Land „99“.

[region]
name = "{REGION_NAME}"

[inputs]
network = "{files.network.name}"
boundaries = "{files.boundaries.name}"
offers = ["{files.offers.name}"]
population = "{files.population.name}"
# fiktives 100-m-Bevölkerungsraster für die Rasterauswertung (250-m-Zellen)
population_grid = "{files.population_grid.name}"
grid_cell_m = 250

[attribution]
network = "{_FICTIONAL}"
boundaries = "{_FICTIONAL}"
population = "{_FICTIONAL}"
population_grid = "{_FICTIONAL}"
offers = "{_FICTIONAL}"
"""
    with atomic_path(files.region) as tmp:
        tmp.write_text(text, encoding="utf-8")
