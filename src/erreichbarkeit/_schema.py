"""Column names and file types of the data contracts (docs/architecture.md), in one place."""

from __future__ import annotations

#: ``place=*`` values that count as villages (origins) by default.
PLACE_TYPES: frozenset[str] = frozenset(
    {"city", "town", "village", "suburb", "hamlet", "isolated_dwelling"}
)
#: File name endings read as OSM data (pyosmium and osrm-extract).
OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")

VILLAGE_COLUMNS: tuple[str, ...] = ("id", "name", "place", "osm_population", "geometry")
OFFER_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "category",
    "source",
    "address",
    "traeger",
    "opening_hours",
    "age_groups",
    "serves",
    "capacity",
    "geocode_quality",
    "geometry",
)
ADDRESS_COLUMNS: tuple[str, ...] = ("street", "housenumber", "postcode", "city", "lon", "lat")
BOUNDARY_COLUMNS: tuple[str, ...] = ("ags", "gemeinde", "population", "geometry")
#: The long travel-time table.
LONG_COLUMNS: tuple[str, ...] = ("origin_id", "destination_id", "mode", "minutes", "km")
