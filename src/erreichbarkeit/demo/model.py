"""The Beispielkreis under construction: places, roads, offers, names (metric frame)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Polygon

from erreichbarkeit.demo.layout import BEISPIELKREIS, DemoLayout

__all__ = [
    "CENTER_LAT",
    "CENTER_LON",
    "GIVEN",
    "HALF_HEIGHT_M",
    "HALF_WIDTH_M",
    "N_CENTRES",
    "N_HAMLETS",
    "N_ISOLATED",
    "N_VALLEYS",
    "N_VILLAGES",
    "STREETS",
    "SURNAMES",
    "Address",
    "Edge",
    "Gemeinde",
    "LonLat",
    "Model",
    "NameMaker",
    "Offer",
    "OsmDraft",
    "Place",
    "RetryError",
    "SpotCheck",
    "Street",
    "Valley",
]

# The default Beispielkreis's values (the generator reads them from its
# DemoLayout).  Centre of the county: 9° E is the central meridian of UTM
# zone 32, so the metric frame (EPSG:25832) has easting 500 000 there.
CENTER_LON = BEISPIELKREIS.center_lon
CENTER_LAT = BEISPIELKREIS.center_lat
HALF_WIDTH_M = BEISPIELKREIS.half_width_m  # 35 km east-west
HALF_HEIGHT_M = BEISPIELKREIS.half_height_m  # 30 km north-south
N_CENTRES = BEISPIELKREIS.n_centres  # Gemeinde seats besides the Kreisstadt
N_VILLAGES = BEISPIELKREIS.n_villages
N_HAMLETS = BEISPIELKREIS.n_hamlets
N_VALLEYS = BEISPIELKREIS.n_valleys
N_ISOLATED = BEISPIELKREIS.n_isolated
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
STREETS = (
    "Hauptstraße", "Kirchstraße", "Schulstraße", "Lindenstraße", "Gartenstraße", "Bergstraße",
    "Mühlweg", "Am Anger", "Dorfstraße", "Talstraße", "Wiesenweg", "Birkenweg", "Ringstraße",
    "Am Sportplatz", "Brunnenstraße", "Feldstraße", "Schillerstraße", "Goethestraße",
    "Rosenweg", "Am Bach", "Eichenweg", "Burgstraße", "Marktstraße", "Am Rain",
)  # fmt: skip
SURNAMES = ("Muster", "Beispiel", "Lindner", "Hofmann", "Seidel", "Krämer", "Vogt", "Brandt")
GIVEN = ("Anna", "Jana", "Miriam", "Katrin", "Sabine", "Eva", "Lena", "Ute")


@dataclass
class Place:
    """A village, hamlet, farm or the Kreisstadt."""

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
class Address:
    """An ``addr:*`` point beside a village street."""

    place: int
    street: str
    housenumber: str
    x: float
    y: float


@dataclass
class Offer:
    """One offer for families, as the CSV and OSM describe it."""

    place: int
    category: str
    name: str
    kategorie: str  # as written in the CSV (label or alias)
    traeger: str
    address: Address
    x: float
    y: float
    capacity: int | None
    age_groups: str
    opening_de: str
    opening_osm: str
    with_coordinates: bool = True
    in_osm: bool = True


@dataclass
class Gemeinde:
    """A Gemeinde: its key, name, postcode, area and population."""

    ags: str
    name: str
    postcode: str
    geometry: Polygon | MultiPolygon
    population: int = 0


@dataclass
class Street:
    """A named street inside a village; addresses are placed along it."""

    place: int
    name: str
    nodes: list[int]
    count: int


@dataclass
class OsmDraft:
    """Nodes and ways in metric coordinates; ids are list positions + 1."""

    nodes: list[tuple[float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    streets: list[Street] = field(default_factory=list)  # named village streets

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        """Add a node; return its OSM id."""
        self.nodes.append((x, y, tags or {}))
        return len(self.nodes)

    def way(self, nodes: Sequence[int], tags: dict[str, str]) -> None:
        """Add a way over the given node ids."""
        self.ways.append((list(nodes), tags))

    def xy(self, node: int) -> tuple[float, float]:
        """Metric coordinates of a node."""
        x, y, _ = self.nodes[node - 1]
        return x, y

    def line(self, nodes: Sequence[int]) -> LineString:
        """The line through the given nodes."""
        return LineString([self.xy(n) for n in nodes])


@dataclass
class Model:
    """The whole fictional county before it is written."""

    outline: Polygon
    places: list[Place]
    gemeinden: list[Gemeinde]
    osm: OsmDraft
    addresses: list[Address]
    offers: list[Offer]
    layout: DemoLayout = BEISPIELKREIS


@dataclass
class Edge:
    """A road link between two places (``v < 0``: to the county border)."""

    u: int
    v: int
    highway: str
    ref: str | None = None


Valley = tuple[list[int], LineString]  # place indices base → end, winding road (metric)
LonLat = Callable[[np.ndarray], np.ndarray]  # metric (n, 2) → rounded lon/lat (n, 2)
SpotCheck = Callable[[float, float, float, Sequence["Place"]], bool]


class RetryError(Exception):
    """An unlucky random layout; the generator draws a new one."""


class NameMaker:
    """Unique German-sounding fictional names from syllables."""

    def __init__(self, rng: np.random.Generator, town: str = BEISPIELKREIS.town_name) -> None:
        """Start with no name used but the Kreisstadt's."""
        self.rng = rng
        self.used: set[str] = {town}

    def _unique(self, make: Callable[[], str | None]) -> str:
        """A name ``make`` returns that is not used yet."""
        for _ in range(500):
            name = make()
            if name is not None and name not in self.used:
                self.used.add(name)
                return name
        msg = "name pool exhausted"
        raise RetryError(msg)

    def _pick(self, pool: Sequence[str]) -> str:
        """A random element of ``pool``."""
        return pool[int(self.rng.integers(len(pool)))]

    def village(self) -> str:
        """A village name such as ``Oberbachingen``."""

        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(_VILLAGE_SUFFIXES)
            if root[-1] == suffix[0] or root.endswith(suffix):
                return None
            if self.rng.random() < 0.45:
                return self._pick(_PREFIXES) + root + suffix
            return root.capitalize() + suffix

        return self._unique(make)

    def hamlet(self) -> str:
        """A hamlet name such as ``Birkmühle``."""

        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(_HAMLET_SUFFIXES)
            if root[-1] == suffix[0] or root.endswith(suffix[:4]):
                return None
            return root.capitalize() + suffix

        return self._unique(make)

    def landscape(self) -> str:
        """A landscape name for a Gemeinde such as ``Lindtal``."""

        def make() -> str | None:
            root, suffix = self._pick(_ROOTS), self._pick(("tal", "grund", "aue"))
            if root[-1] == suffix[0]:
                return None
            return root.capitalize() + suffix

        return self._unique(make)
