"""Writing the demo files: OSM XML, Gemeinde GeoJSON, offers CSV, GTFS zip and region.toml."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
from osmium.osm.mutable import Node, Way
from shapely.geometry import MultiPolygon, Polygon

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import WGS84
from erreichbarkeit.demo.children import CHILDREN_FILE
from erreichbarkeit.demo.layout import BEISPIELKREIS, DemoLayout
from erreichbarkeit.demo.model import (
    LonLat,
    Model,
    OsmDraft,
)
from erreichbarkeit.demo.need import NEED_FILE
from erreichbarkeit.demo.outreach import OUTREACH_FILE
from erreichbarkeit.demo.responsibility import RESPONSIBILITY_FILE
from erreichbarkeit.demo.transit import (
    FEED_END,
    FEED_START,
    HOLIDAY,
    SATURDAY,
    SCHOOL,
    TransitPlan,
)

__all__ = [
    "REGION_NAME",
    "DemoFiles",
    "write_boundaries",
    "write_gtfs",
    "write_offers",
    "write_osm",
    "write_region",
]

#: The default demo's region name (:attr:`DemoLayout.region_name`).
REGION_NAME = BEISPIELKREIS.region_name


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
    gtfs
        ``busse.gtfs.zip``: the fictional bus network as a GTFS feed
        (:mod:`~erreichbarkeit.demo.transit`).
    region
        ``region.toml``: the region file naming the files above.
    """

    folder: Path
    network: Path
    boundaries: Path
    offers: Path
    population: Path
    population_grid: Path
    gtfs: Path
    region: Path


def write_osm(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the OSM XML: every node (lon/lat rounded to 7 places) and way, with a bounding box.

    Node and way ids are the draft's ids plus the layout's ``osm_id_offset``.
    """
    osm = model.osm
    offset = model.layout.osm_id_offset
    coords = lonlat(np.array([(x, y) for x, y, _ in osm.nodes]))
    header = osmium.io.Header()
    header.set("generator", f"erreichbarkeit demo – {model.layout.region_name}")
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(lo[0], lo[1]), osmium.osm.Location(hi[0], hi[1]))
    )
    with atomic_path(path) as tmp:
        writer = osmium.SimpleWriter(str(tmp), header=header)
        try:
            for k, (_, _, tags) in enumerate(osm.nodes):
                lon, lat = coords[k]
                location = (float(lon), float(lat))
                writer.add_node(Node(id=offset + k + 1, location=location, tags=tags))
            for k, (nodes, tags) in enumerate(osm.ways):
                refs = [offset + n for n in nodes] if offset else nodes
                writer.add_way(Way(id=offset + k + 1, nodes=refs, tags=tags))
        finally:
            writer.close()


def _polygon_lonlat(geom: Polygon | MultiPolygon, lonlat: LonLat) -> Polygon | MultiPolygon:
    """A metric (Multi)Polygon in lon/lat."""

    def one(poly: Polygon) -> Polygon:
        """One polygon with its holes."""
        return Polygon(
            lonlat(np.asarray(poly.exterior.coords)),
            [lonlat(np.asarray(r.coords)) for r in poly.interiors],
        )

    if isinstance(geom, MultiPolygon):
        return MultiPolygon([one(g) for g in geom.geoms])
    return one(geom)


def write_boundaries(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the Gemeinden as GeoJSON (``ags``, ``gemeinde``, ``population``)."""
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
    """``51.5`` → ``51,500000`` (decimal comma)."""
    return f"{value:.{decimals}f}".replace(".", ",")


def write_offers(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the offers list in the German spreadsheet format."""
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


_GTFS_HEADERS = {
    "agency.txt": "agency_id agency_name agency_url agency_timezone agency_lang",
    "stops.txt": "stop_id stop_name stop_lat stop_lon",
    "routes.txt": "route_id agency_id route_short_name route_long_name route_desc route_type",
    "trips.txt": "route_id service_id trip_id trip_headsign direction_id",
    "stop_times.txt": "trip_id arrival_time departure_time stop_id stop_sequence",
    "calendar.txt": "service_id monday tuesday wednesday thursday friday saturday sunday "
    "start_date end_date",
    "calendar_dates.txt": "service_id date exception_type",
    "feed_info.txt": "feed_publisher_name feed_publisher_url feed_lang feed_start_date "
    "feed_end_date feed_version",
}
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def _hms(minutes: int) -> str:
    """Minutes after midnight → GTFS time (``24:15:00`` after midnight)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _csv(header: str, rows: Sequence[Sequence[object]]) -> bytes:
    """A GTFS table as UTF-8 CSV bytes (LF line ends); ``header`` is space-separated."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header.split())
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _feed_url(agency: str) -> str:
    """A fictional URL of the agency (``example.org``: reserved, never a real site)."""
    county = agency.split(maxsplit=1)[0].lower()
    return f"https://example.org/{county}"


def _tables(plan: TransitPlan, lonlat: LonLat, osm: OsmDraft) -> dict[str, bytes]:
    """Every GTFS file of the feed as bytes."""
    coords = lonlat(np.array([osm.xy(s.node) for s in plan.stops]))
    url = _feed_url(plan.agency)
    rows: dict[str, Sequence[Sequence[object]]] = {
        "agency.txt": [("bkvg", plan.agency, url, "Europe/Berlin", "de")],
        "stops.txt": sorted(
            (s.stop_id, s.name, f"{lat:.7f}", f"{lon:.7f}")
            for s, (lon, lat) in zip(plan.stops, coords, strict=True)
        ),
        "routes.txt": sorted(
            (r.route_id, "bkvg", r.short_name, r.long_name, r.description, r.route_type)
            for r in plan.lines
        ),
        "trips.txt": [
            (t.route_id, t.service, t.trip_id, t.headsign, t.direction) for t in plan.trips
        ],
        "stop_times.txt": [
            (t.trip_id, _hms(a), _hms(d), s, k + 1)
            for t in plan.trips
            for k, (s, a, d) in enumerate(t.times)
        ],
        "calendar.txt": [
            (SATURDAY, 0, 0, 0, 0, 0, 1, 0, FEED_START, FEED_END),
            (SCHOOL, 1, 1, 1, 1, 1, 0, 0, FEED_START, FEED_END),
        ],
        "calendar_dates.txt": [(SCHOOL, HOLIDAY, 2)],
        "feed_info.txt": [(plan.agency, url, "de", FEED_START, FEED_END, "fiktiv-1")],
    }
    return {name: _csv(_GTFS_HEADERS[name], rows[name]) for name in _GTFS_HEADERS}


def write_gtfs(plan: TransitPlan, path: Path, lonlat: LonLat, osm: OsmDraft) -> None:
    """Write the feed as a GTFS zip, byte-identical for the same plan.

    Parameters
    ----------
    plan
        From :func:`~erreichbarkeit.demo.transit.plan_transit`.
    path
        Target ``.zip`` (replaced atomically).
    lonlat
        Metric → lon/lat, the same as for the OSM file (stops match its nodes).
    osm
        The county's OSM draft (stop coordinates are its junction nodes).
    """
    tables = _tables(plan, lonlat, osm)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(tables):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, tables[name], compresslevel=9)


_FICTIONAL = "fiktive Daten, erzeugt von erreichbarkeit.demo.beispielkreis (frei verwendbar)"


def write_region(files: DemoFiles, layout: DemoLayout = BEISPIELKREIS) -> None:
    """Write ``region.toml`` naming the demo files."""
    land = layout.ags_prefix[:2]
    text = f"""\
# Fiktiver {layout.name}: alle Orte, Straßen, Einwohnerzahlen und Angebote sind
# erfunden (erzeugt von erreichbarkeit.demo.beispielkreis).  Gemeindeschlüssel mit Land „{land}“.

[region]
name = "{layout.region_name}"

[inputs]
network = "{files.network.name}"
boundaries = "{files.boundaries.name}"
offers = ["{files.offers.name}"]
population = "{files.population.name}"
# fiktives 100-m-Bevölkerungsraster für die Rasterauswertung (250-m-Zellen)
population_grid = "{files.population_grid.name}"
grid_cell_m = 250
gtfs = ["{files.gtfs.name}"]
# Zuständigkeiten: Grundschulbezirke, Rathaus der Gemeinde, Kreishaus
responsibility = ["{RESPONSIBILITY_FILE}"]
# aufsuchende Angebote (Familienhebamme, Willkommensbesuch, aufsuchende Jugendarbeit)
outreach = ["{OUTREACH_FILE}"]
# Kinderzahlen je Gemeinde (fiktives Einwohnermeldeamt) statt der Schätzung über Altersanteile
children = "{CHILDREN_FILE}"
# Sozialindikatoren je Gemeinde/Ortsteil (fiktiv): Bedarf neben der Erreichbarkeit
need = "{NEED_FILE}"

[attribution]
network = "{_FICTIONAL}"
boundaries = "{_FICTIONAL}"
population = "{_FICTIONAL}"
population_grid = "{_FICTIONAL}"
offers = "{_FICTIONAL}"
gtfs = "Fahrplan der {layout.name} Verkehrsgesellschaft (fiktiv): {_FICTIONAL}"
responsibility = "{_FICTIONAL}"
outreach = "{_FICTIONAL}"
children = "{_FICTIONAL}"
need = "{_FICTIONAL}"
"""
    with atomic_path(files.region) as tmp:
        tmp.write_text(text, encoding="utf-8")
