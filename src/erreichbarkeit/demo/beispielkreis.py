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
BOM), a population CSV and a GTFS bus timetable — plus a ``region.toml``
naming them.

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
* **Bus network** (``busse.gtfs.zip``, :mod:`~erreichbarkeit.demo.transit`)
  — a fictional GTFS feed for "Bus & Bahn": radial school-day lines from
  the ZOB of the Kreisstadt to the Gemeinde seats, a tangential line that
  needs a transfer, a Rufbus (``route_type`` 715) up a valley, a bus past
  midnight, a holiday without service, and villages without any stop
  (their place nodes carry a ``note`` tag).
* **Postcodes with a leading zero** (``00101`` …), as in Saxony: readers must
  keep postcodes as text.  Population figures use the German thousands
  separator (``12.345``).

The output depends only on the seed and the layout: the same seed gives
byte-identical files.

**Layouts.**  Size, place, keys and names come from a
:class:`~erreichbarkeit.demo.layout.DemoLayout`; its defaults
(:data:`~erreichbarkeit.demo.layout.BEISPIELKREIS`) are the county described
above.  :data:`~erreichbarkeit.demo.layout.LANDKREIS` is a county-sized one
(about 2 000 km², 20 Gemeinden on two rings around the Kreisstadt, a few
hundred villages and offers, 18 radial bus lines); other layouts give
several counties side by side (own centre, Kreis key, postcodes and OSM id
offset each).

The generator is split by theme: :mod:`~erreichbarkeit.demo.model` (the
county under construction), :mod:`~erreichbarkeit.demo.terrain` (outline,
Gemeinden, valleys), :mod:`~erreichbarkeit.demo.links` (which villages are
linked by which road class), :mod:`~erreichbarkeit.demo.roads` (roads as OSM
ways), :mod:`~erreichbarkeit.demo.places` (streets, addresses, farms),
:mod:`~erreichbarkeit.demo.offers`, :mod:`~erreichbarkeit.demo.population`,
:mod:`~erreichbarkeit.demo.transit` (the bus network) and
:mod:`~erreichbarkeit.demo.files` (the writers).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.demo.areas import write_area_region
from erreichbarkeit.demo.children import write_children
from erreichbarkeit.demo.files import (
    REGION_NAME,
    DemoFiles,
    write_boundaries,
    write_gtfs,
    write_offers,
    write_osm,
    write_region,
)
from erreichbarkeit.demo.layout import BEISPIELKREIS, DemoLayout
from erreichbarkeit.demo.links import road_edges
from erreichbarkeit.demo.model import (
    Model,
    NameMaker,
    OsmDraft,
    Place,
    RetryError,
)
from erreichbarkeit.demo.need import write_need
from erreichbarkeit.demo.offers import add_pois, plan_offers
from erreichbarkeit.demo.outreach import write_outreach
from erreichbarkeit.demo.places import add_isolated, add_streets_and_addresses, add_track_hamlet
from erreichbarkeit.demo.population import write_population, write_population_grid
from erreichbarkeit.demo.responsibility import write_responsibility
from erreichbarkeit.demo.roads import lay_out_network
from erreichbarkeit.demo.terrain import (
    assign_gemeinden,
    cell_margin,
    county_outline,
    dead_end_valleys,
    gemeinde_cells,
    place_seats,
)
from erreichbarkeit.demo.transit import mark_without_bus, plan_transit
from erreichbarkeit.errors import ErreichbarkeitError

__all__ = ["REGION_NAME", "DemoFiles", "generate_demo"]

logger = logging.getLogger(__name__)

_MAX_ATTEMPTS = 20


def generate_demo(folder: Path, *, seed: int = 2026, layout: DemoLayout | None = None) -> DemoFiles:
    """Write the fictional "Beispielkreis" (or another generated county) into ``folder``.

    Parameters
    ----------
    folder
        Target folder (created if missing).  Existing demo files are replaced
        atomically; other files are left alone.
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed (and layout)
        gives byte-identical files.
    layout
        Extent, counts, keys and names of the county
        (:class:`~erreichbarkeit.demo.layout.DemoLayout`); default the
        Beispielkreis (:data:`~erreichbarkeit.demo.layout.BEISPIELKREIS`),
        :data:`~erreichbarkeit.demo.layout.LANDKREIS` is a county-sized one.

    Returns
    -------
    DemoFiles
        Paths of the written files.

    Raises
    ------
    ErreichbarkeitError
        If no valid layout was found for this seed (not observed in practice).
    """
    layout = layout or BEISPIELKREIS
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for attempt in range(_MAX_ATTEMPTS):
        try:
            model = _build_model(rng, layout)
            break
        except RetryError as exc:
            logger.debug("demo layout attempt %d rejected: %s", attempt + 1, exc)
    else:
        msg = f"no valid demo layout found for seed {seed}"
        raise ErreichbarkeitError(
            msg, message_de=f"Für den Startwert {seed} ließ sich kein Beispielkreis erzeugen"
        )
    to_wgs = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
    x0, y0 = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True).transform(
        layout.center_lon, layout.center_lat
    )

    def lonlat(xy: np.ndarray) -> np.ndarray:
        """Metric offsets from the centre → rounded lon/lat."""
        lon, lat = to_wgs.transform(xy[:, 0] + x0, xy[:, 1] + y0)
        return np.round(np.column_stack([lon, lat]), 7)

    files = _demo_files(folder)
    transit = plan_transit(model)
    mark_without_bus(model, transit)  # a note on their place nodes, before writing the OSM
    write_osm(model, files.network, lonlat)
    write_boundaries(model, files.boundaries, lonlat)
    write_offers(model, files.offers, lonlat)
    write_population(model, files.population)
    write_children(model, folder, seed)  # kinderzahlen.csv (demo/children.py)
    write_population_grid(model, files.population_grid, lonlat, seed)
    write_gtfs(transit, files.gtfs, lonlat, model.osm)
    write_responsibility(model, folder)  # zustaendigkeit.csv: Grundschulbezirke, Ämter
    write_need(model, folder)  # sozialindikatoren.csv (demo/need.py)
    write_outreach(model, folder)  # aufsuchend.csv (demo/outreach.py)
    write_region(files, layout)
    write_area_region(model, files)  # jugendamt.toml: the Kreisjugendamt's area
    logger.info(
        "demo %s written to %s: %d places, %d Gemeinden, %d offers, %d OSM nodes, %d ways",
        layout.name, folder, len(model.places), len(model.gemeinden), len(model.offers),
        len(model.osm.nodes), len(model.osm.ways),
    )  # fmt: skip
    return files


def _demo_files(folder: Path) -> DemoFiles:
    """The paths of the demo files in ``folder`` (the same for every layout)."""
    return DemoFiles(
        folder=folder,
        network=folder / "beispielkreis.osm",
        boundaries=folder / "gemeinden.geojson",
        offers=folder / "angebote.csv",
        population=folder / "bevoelkerung.csv",
        population_grid=folder / "bevoelkerungsraster.csv",
        gtfs=folder / "busse.gtfs.zip",
        region=folder / "region.toml",
    )


def _build_model(rng: np.random.Generator, layout: DemoLayout) -> Model:
    """Draw one random layout of the county; raise :class:`RetryError` if it fails."""
    outline = county_outline(rng, layout)
    names = NameMaker(rng, layout.town_name)
    places = place_seats(rng, outline, names, layout)
    seats_xy = np.array([(p.x, p.y) for p in places])
    cells = gemeinde_cells(outline, seats_xy)
    inner = outline.buffer(-800.0)

    def ok_spot(x: float, y: float, min_dist: float, others: Sequence[Place]) -> bool:
        """Whether a new place fits at ``(x, y)``."""
        if not inner.contains(Point(x, y)):
            return False
        if cell_margin(seats_xy, x, y) < 200.0:
            return False
        return all(math.hypot(p.x - x, p.y - y) >= min_dist for p in others)

    valleys = dead_end_valleys(rng, places, ok_spot, names, layout.n_valleys)
    corridors = shapely.union_all([v[1] for v in valleys]).buffer(1_500.0)

    def sample(kind: str, count: int, min_dist: float, pop: tuple[int, int]) -> None:
        """Place ``count`` villages or hamlets at random free spots."""
        placed = 0
        for _ in range(max(4_000, 40 * count)):
            if placed == count:
                return
            x = rng.uniform(-layout.half_width_m, layout.half_width_m)
            y = rng.uniform(-layout.half_height_m, layout.half_height_m)
            if corridors.contains(Point(x, y)) or not ok_spot(x, y, min_dist, places):
                continue
            population = round(math.exp(rng.uniform(math.log(pop[0]), math.log(pop[1]))))
            name = names.village() if kind == "village" else names.hamlet()
            places.append(Place(name, kind, kind, population, x, y))
            placed += 1

    sample("village", layout.n_villages, layout.village_min_dist_m, (200, 1_500))
    sample("hamlet", layout.n_hamlets, 1_200.0, (30, 150))
    core = [i for i, p in enumerate(places) if p.kind not in ("valley",)]

    osm = OsmDraft()
    edges = road_edges(rng, places, core, valleys)
    lay_out_network(rng, osm, places, edges=edges, valleys=valleys, outline=outline)
    addresses = add_streets_and_addresses(rng, osm, places)
    add_isolated(rng, osm, places, ok_spot, names, layout=layout)
    add_track_hamlet(rng, osm, places, ok_spot, names, layout=layout)

    gemeinden = assign_gemeinden(rng, places, cells, names, layout)
    offers = plan_offers(rng, places, addresses, layout)
    add_pois(osm, offers, places, gemeinden, addresses)
    return Model(outline, places, gemeinden, osm, addresses, offers, layout)
