"""Size, place and names of a generated county: :class:`DemoLayout` and its presets.

:data:`BEISPIELKREIS` is the default demo county (about 35 km × 30 km, eight
Gemeinden, about sixty places); :data:`LANDKREIS` is a county-sized one
(about 2 000 km², twenty Gemeinden, a few hundred villages and offers, with
buses) for benchmarks and scaling checks.  Further counties — for example
several side by side in one OSM file — are made with
:func:`dataclasses.replace` on a preset: give each its own centre, Kreis key
prefix, name, postcode prefix and OSM id offset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from erreichbarkeit.errors import ErreichbarkeitError

__all__ = ["BEISPIELKREIS", "LANDKREIS", "PRESETS", "DemoLayout"]


@dataclass(frozen=True)
class DemoLayout:
    """What the generator builds: extent, counts, keys and names of one fictional county.

    The defaults are the Beispielkreis (:data:`BEISPIELKREIS`); with them the
    generator writes exactly the files it wrote before layouts existed.

    Attributes
    ----------
    name
        The county's name (``"Beispielkreis"``): region name ``"<name> (fiktiv)"``,
        ``"Landkreis <name>"`` as operator, ``"Kreishaus <name>"`` ….
    town_name
        The Kreisstadt's name.
    center_lon, center_lat
        Centre of the county (WGS84 degrees).  The metric frame is EPSG:25832,
        so keep it in Germany.
    half_width_m, half_height_m
        Half the extent east-west and north-south; the outline is an
        irregular ellipse inside this box (about 95 % of the ellipse's area).
    n_gemeinden
        Gemeinden including the Kreisstadt (each other one has a seat).  Up
        to eight seats lie on one ring around the Kreisstadt, more on two.
    n_villages, n_hamlets
        Villages and hamlets placed at random (the seats, valley villages,
        isolated farms and the track-only hamlet come on top).
    n_valleys
        Dead-end valleys (two or three places up one winding road each).
    n_isolated
        Single farms off the road network.
    village_min_dist_m
        Least distance between two villages.
    town_population
        Range the Kreisstadt's population is drawn from.
    village_kitas, village_schools
        The most populous villages get a Kita (the first ``village_kitas``)
        and a Grundschule (the first ``village_schools``).
    tagespflege_villages
        Villages (after the three most populous) with a Kindertagespflege.
    extra_offer_rounds
        How often the list of further offers (Kinderarzt, Hebamme, Bücherei,
        …) is spread over the Gemeinde seats.
    ags_prefix
        The 5-digit Kreis key: Gemeinde ``g`` gets ``<ags_prefix><g+1:03d>``
        (``"99999"`` → ``99999001`` …; Land code 99 does not exist).
    postcode_prefix
        Leading digits of the postcodes; Gemeinde ``g`` gets the prefix and
        ``g + 1`` zero-padded to five digits (``"001"`` → ``00101`` …; postcodes
        starting with ``00`` are not used by the Deutsche Post).
    osm_id_offset
        Added to every OSM node and way id, so that several generated
        counties can be merged into one OSM file without clashes (ids run
        from ``offset + 1``; a county has well under 1 000 000 of each).
    """

    name: str = "Beispielkreis"
    town_name: str = "Beispielstadt"
    center_lon: float = 9.0
    center_lat: float = 51.0
    half_width_m: float = 17_500.0
    half_height_m: float = 15_000.0
    n_gemeinden: int = 8
    n_villages: int = 30
    n_hamlets: int = 12
    n_valleys: int = 2
    n_isolated: int = 2
    village_min_dist_m: float = 1_700.0
    town_population: tuple[int, int] = (11_000, 13_000)
    village_kitas: int = 3
    village_schools: int = 1
    tagespflege_villages: int = 3
    extra_offer_rounds: int = 1
    ags_prefix: str = "99999"
    postcode_prefix: str = "001"
    osm_id_offset: int = 0

    def __post_init__(self) -> None:
        """Check the fields; raise :class:`~erreichbarkeit.errors.ErreichbarkeitError`."""
        checks = (
            ("ags_prefix", len(self.ags_prefix) == 5 and self.ags_prefix.isdigit(), "5 digits"),
            (
                "postcode_prefix",
                1 <= len(self.postcode_prefix) <= 4 and self.postcode_prefix.isdigit(),
                "1 to 4 digits",
            ),
            (
                "n_gemeinden",
                3 <= self.n_gemeinden < min(1_000, 10 ** (5 - len(self.postcode_prefix))),
                "3 or more, fitting the keys",
            ),
            ("center_lon", 5.0 <= self.center_lon <= 15.5, "in Germany"),
            ("center_lat", 47.0 <= self.center_lat <= 55.5, "in Germany"),
            ("half_width_m", self.half_width_m >= 10_000.0, "at least 10 km"),
            ("half_height_m", self.half_height_m >= 10_000.0, "at least 10 km"),
            ("n_villages", self.n_villages >= 6, "at least 6"),
            ("n_valleys", self.n_valleys >= 1, "at least 1"),
            ("n_hamlets", self.n_hamlets >= 0, "0 or more"),
            ("n_isolated", self.n_isolated >= 0, "0 or more"),
            ("osm_id_offset", self.osm_id_offset >= 0, "0 or more"),
        )
        for field, ok, expected in checks:
            if not ok:
                value = getattr(self, field)
                msg = f"invalid demo layout: {field}={value!r}, expected {expected}"
                raise ErreichbarkeitError(
                    msg,
                    column=field,
                    expected=expected,
                    message_de=f"Ungültige Vorgabe für den Beispielkreis: {field}={value!r}",
                )

    @property
    def n_centres(self) -> int:
        """Gemeinde seats besides the Kreisstadt."""
        return self.n_gemeinden - 1

    @property
    def region_name(self) -> str:
        """The region's name as the dashboard shows it."""
        return f"{self.name} (fiktiv)"

    @property
    def nominal_area_km2(self) -> float:
        """Area of the ellipse the outline is drawn in (the county is about 95 % of it)."""
        return math.pi * self.half_width_m * self.half_height_m / 1e6

    def gemeinde_key(self, g: int) -> str:
        """The 8-digit Gemeinde key (AGS) of the ``g``-th Gemeinde (0: the Kreisstadt's)."""
        return f"{self.ags_prefix}{g + 1:03d}"

    def postcode(self, g: int) -> str:
        """The postcode of the ``g``-th Gemeinde."""
        return f"{self.postcode_prefix}{g + 1:0{5 - len(self.postcode_prefix)}d}"


#: The default demo county (about 790 km², 8 Gemeinden, about 60 places, 60 offers).
BEISPIELKREIS = DemoLayout()

#: A county-sized demo (about 2 000 km², 20 Gemeinden, about 330 places, 300 offers).
LANDKREIS = DemoLayout(
    name="Musterkreis",
    town_name="Musterstadt",
    half_width_m=28_500.0,
    half_height_m=24_500.0,
    n_gemeinden=20,
    n_villages=220,
    n_hamlets=80,
    n_valleys=4,
    n_isolated=6,
    town_population=(28_000, 34_000),
    village_kitas=110,
    village_schools=25,
    tagespflege_villages=30,
    extra_offer_rounds=3,
    ags_prefix="99998",
    postcode_prefix="002",
)

#: The presets by the names of the CLI's ``--groesse`` option.
PRESETS = MappingProxyType({"beispielkreis": BEISPIELKREIS, "landkreis": LANDKREIS})
