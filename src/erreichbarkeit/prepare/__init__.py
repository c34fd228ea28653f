"""Preparing a real region: download, clip, fetch current offers, write region files.

``download`` caches the source files, ``boundaries`` reads the Gemeinden and
builds the Kreis polygon, ``clip`` cuts the OSM extract, ``gtfs`` cuts the
timetable, ``online_offers`` fetches today's OSM offers through osmnx,
``regionfile`` finds and writes region files, ``areafile`` reads and writes
the area files of Jugendämter inside a Kreis, and ``region`` runs the whole
``erreichbarkeit prepare``.
"""

from erreichbarkeit.prepare.boundaries import area_polygon, load_gemeinden
from erreichbarkeit.prepare.clip import ClipMethod, clip_extract
from erreichbarkeit.prepare.gtfs import clip_gtfs
from erreichbarkeit.prepare.online_offers import fetch_osm_offers
from erreichbarkeit.prepare.region import ONLINE_OFFERS_FILE, PreparedRegion, prepare_region
from erreichbarkeit.prepare.regionfile import (
    area_files,
    region_files,
    region_slug,
    resolve_region,
)

__all__ = [
    "ONLINE_OFFERS_FILE",
    "ClipMethod",
    "PreparedRegion",
    "area_files",
    "area_polygon",
    "clip_extract",
    "clip_gtfs",
    "fetch_osm_offers",
    "load_gemeinden",
    "prepare_region",
    "region_files",
    "region_slug",
    "resolve_region",
]
