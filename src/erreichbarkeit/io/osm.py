"""Read everything the analysis needs from an OpenStreetMap file in one pass.

:func:`read_osm_features` streams an OSM file (``.osm.pbf``, ``.osm``,
``.osm.bz2``, ``.osm.gz``) once with pyosmium's :class:`osmium.FileProcessor`
(node locations cached, multipolygon/boundary relations assembled by
pyosmium's area handling) and returns

* the **places** (villages contract: ``place=city|town|village|suburb|hamlet|
  isolated_dwelling`` with a name),
* the **POIs** whose tags match a rule of the category table (offers contract),
* the **addresses** (``addr:street``/``addr:place`` + ``addr:housenumber``) for
  offline geocoding, and
* the **Gemeinde boundaries** (``boundary=administrative`` relations of
  ``admin_level=8``).

Ways and relations are reduced to their centroid for places and POIs.
:func:`validate_osm_file` checks a network file before the expensive OSRM
preprocessing and explains problems in German.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import osmium.geom
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from erreichbarkeit._helpers import ags_from_key
from erreichbarkeit._schema import (
    ADDRESS_COLUMNS,
    BOUNDARY_COLUMNS,
    OFFER_COLUMNS,
    OSM_SUFFIXES,
    PLACE_TYPES,
    VILLAGE_COLUMNS,
)
from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.errors import NetworkError

__all__ = [
    "OsmFeatures",
    "format_address",
    "match_category",
    "parse_population",
    "read_osm_features",
    "validate_osm_file",
]

logger = logging.getLogger(__name__)


# "1234", "1.234", "1 234", "12,345", "ca. 500", "1234 (2011)"
_POPULATION_RE = re.compile(
    r"(?:ca\.?|~|approx\.?)?\s*(\d{1,3}(?:[.,'\u00a0\u202f ]\d{3})+|\d+)\s*(?:\(.*\))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OsmFeatures:
    """All features read from one OSM file.

    Attributes
    ----------
    places
        Villages contract (``id``, ``name``, ``place``, ``osm_population``,
        geometry Point), EPSG:4326.
    pois
        Offers contract (``source="osm"``, ``geocode_quality="OSM"``,
        ``capacity`` NaN), EPSG:4326.
    addresses
        ``street``, ``housenumber``, ``postcode``, ``city``, ``lon``, ``lat``.
    boundaries
        ``ags``, ``gemeinde``, ``population``, geometry (Multi)Polygon,
        EPSG:4326; empty when the file holds no complete ``admin_level``
        relation (extracts cut at a bounding box usually do not).
    """

    places: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    addresses: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    data_date: str = ""


def parse_population(value: object) -> float:
    """Parse an OSM ``population`` tag robustly.

    Parameters
    ----------
    value
        The tag value, e.g. ``"1234"``, ``"1.234"`` (German thousands
        separator), ``"1,234"``, ``"ca. 500"`` or ``"1234 (2011)"``.

    Returns
    -------
    float
        The number of inhabitants, NaN when the value is missing or not a count.

    Examples
    --------
    >>> parse_population("1.234")
    1234.0
    >>> parse_population("viele")
    nan
    """
    if value is None:
        return math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) and value >= 0 else math.nan
    match = _POPULATION_RE.fullmatch(str(value).strip())
    if match is None:
        return math.nan
    return float(re.sub(r"\D", "", match.group(1)))


def _tag_values(value: str) -> set[str]:
    return {part.strip() for part in value.split(";")}


def _sorted_categories(categories: Mapping[str, Category]) -> list[Category]:
    return sorted(categories.values(), key=lambda c: (c.order, c.key))


def _match_sorted(tags: Mapping[str, str], ordered: Iterable[Category]) -> str | None:
    for cat in ordered:
        for rule in cat.osm:
            if rule and all(
                k in tags and (v == "*" or v in _tag_values(tags[k])) for k, v in rule.items()
            ):
                return cat.key
    return None


def match_category(tags: Mapping[str, str], categories: Mapping[str, Category]) -> str | None:
    """Return the key of the first category whose OSM rule matches ``tags``.

    Categories are tried in the order of :attr:`Category.order` (ties by key),
    the rules of one category in their listed order; a rule matches when the
    object has every tag of the rule (``"*"`` = any value).  A tag value that
    is a ``;``-separated list (``healthcare:speciality=paediatrics;general``)
    matches when one of its parts does.

    Parameters
    ----------
    tags
        The OSM tags of one object.
    categories
        The category table (:func:`erreichbarkeit.config.load_categories`).

    Returns
    -------
    str or None
        The category key, ``None`` when no rule matches.
    """
    return _match_sorted(tags, _sorted_categories(categories))


def format_address(tags: Mapping[str, str]) -> str:
    """Format the ``addr:*`` tags as ``"Hauptstraße 3, 37120 Bovenden"``.

    ``addr:place`` stands in for the street in villages without street names.
    Returns ``""`` when the object carries no address tags.
    """
    street = tags.get("addr:street") or tags.get("addr:place") or ""
    first = " ".join(p for p in (street, tags.get("addr:housenumber", "")) if p)
    second = " ".join(p for p in (tags.get("addr:postcode", ""), tags.get("addr:city", "")) if p)
    return ", ".join(p for p in (first, second) if p)


def _suffix_ok(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in OSM_SUFFIXES)


def _check_path(path: Path) -> None:
    if not path.is_file():
        msg = f"OSM file not found: {path}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Die OSM-Datei {path} wurde nicht gefunden.",
        )
    if not _suffix_ok(path):
        msg = "unknown OSM file format"
        raise NetworkError(
            msg,
            file=path,
            expected=", ".join(OSM_SUFFIXES),
            message_de=(
                "Unbekanntes Dateiformat – erwartet wird eine OSM-Datei "
                "(.osm.pbf, .osm, .osm.bz2 oder .osm.gz)."
            ),
        )
    if path.stat().st_size == 0:
        msg = "the OSM file is empty (0 bytes)"
        raise NetworkError(
            msg,
            file=path,
            message_de="Die OSM-Datei ist leer (0 Byte) – bitte erneut herunterladen.",
        )


def _looks_like_osm(path: Path) -> bool:
    """Sniff the first bytes: a PBF starts with a ``OSMHeader`` blob, XML with ``<osm``."""
    name = path.name.lower()
    try:
        if name.endswith(".pbf"):
            with path.open("rb") as fh:
                return b"OSMHeader" in fh.read(64)
        opener: Any = open
        if name.endswith(".bz2"):
            opener = bz2.open
        elif name.endswith(".gz"):
            opener = gzip.open
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError, ValueError):
        return False
    return b"<osm" in head


def _read_error(path: Path, exc: Exception) -> NetworkError:
    if not _looks_like_osm(path):
        msg = f"not an OSM file despite its name: {exc}"
        return NetworkError(
            msg,
            file=path,
            message_de=(
                "Die Datei ist keine OSM-Datei, obwohl sie so heißt (z. B. eine "
                "Fehlerseite statt des Downloads). Bitte die Datei erneut herunterladen."
            ),
        )
    msg = f"the OSM file is damaged or incomplete: {exc}"
    return NetworkError(
        msg,
        file=path,
        message_de=(
            "Die OSM-Datei ist beschädigt oder unvollständig (abgebrochener Download?). "
            "Bitte die Datei erneut herunterladen."
        ),
    )


def validate_osm_file(path: str | Path) -> None:
    """Check that a file is a readable OSM file with roads.

    Reads the ways once (without locations), which takes a fraction of the
    OSRM preprocessing time.

    Parameters
    ----------
    path
        The OSM file.

    Raises
    ------
    NetworkError
        With a German message when the file is missing, empty, not an OSM
        file despite its extension, truncated/corrupt, or holds no
        ``highway=*`` way.
    """
    p = Path(path)
    _check_path(p)
    n_highways = 0
    try:
        for way in osmium.FileProcessor(p, osmium.osm.WAY):
            if "highway" in way.tags:
                n_highways += 1
    except RuntimeError as exc:
        raise _read_error(p, exc) from exc
    if n_highways == 0:
        if not _looks_like_osm(p):
            raise _read_error(p, RuntimeError("no OSM data found"))
        msg = "the OSM file contains no roads (no highway=* ways)"
        raise NetworkError(
            msg,
            file=p,
            expected="ways tagged highway=*",
            message_de=(
                "Die OSM-Datei enthält keine Straßen oder Wege (keine Wege mit highway=*) "
                "und eignet sich nicht als Straßennetz."
            ),
        )
    logger.info("%s: %d highway ways", p.name, n_highways)


def _way_centroid(way: osmium.osm.Way) -> Point | None:
    coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
    if not coords:
        return None
    if len(coords) == 1:
        return Point(coords[0])
    if len(coords) >= 4 and coords[0] == coords[-1]:
        poly = Polygon(coords)
        if poly.is_valid and poly.area > 0:
            return poly.centroid
    line = LineString(coords)
    return line.centroid if line.length > 0 else Point(coords[0])


def _ags(tags: Mapping[str, str]) -> str | None:
    ags = re.sub(r"\D", "", tags.get("de:amtlicher_gemeindeschluessel", ""))
    if len(ags) == 8:
        return ags
    ars = re.sub(r"\D", "", tags.get("de:regionalschluessel", ""))
    return ags_from_key(ars) if len(ars) == 12 else None


def read_osm_features(
    path: str | Path,
    categories: Mapping[str, Category],
    *,
    admin_level: int = 8,
) -> OsmFeatures:
    """Read places, POIs, addresses and Gemeinde boundaries from an OSM file.

    The file is streamed once (pyosmium reads relations first for the area
    assembly, then the whole file).

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` file.
    categories
        Category table; its OSM rules select the POIs
        (see :func:`match_category`).
    admin_level
        ``admin_level`` of the boundary relations to return (8 = Gemeinde).

    Returns
    -------
    OsmFeatures
        Places, POIs, addresses and boundaries (all EPSG:4326).

    Raises
    ------
    NetworkError
        If the file is missing, empty, corrupt or not an OSM file.
    """
    p = Path(path)
    _check_path(p)
    collector = _Collector(categories, admin_level, p.name)
    try:
        for obj in osmium.FileProcessor(p).with_locations().with_areas():
            collector.add(obj)
    except RuntimeError as exc:
        raise _read_error(p, exc) from exc
    features = collector.features()
    logger.info(
        "%s: %d places, %d POIs, %d addresses, %d admin_level=%d boundaries",
        p.name,
        len(features.places),
        len(features.pois),
        len(features.addresses),
        len(features.boundaries),
        admin_level,
    )
    return features


class _Collector:
    """Places, POIs, addresses and boundaries gathered while the file streams by."""

    def __init__(
        self, categories: Mapping[str, Category], admin_level: int, file_name: str
    ) -> None:
        self.ordered = _sorted_categories(categories)
        self.labels = {c.key: c.label for c in self.ordered}
        self.level = str(admin_level)
        self.file_name = file_name
        self.wkb = osmium.geom.WKBFactory()
        self.places: list[dict[str, Any]] = []
        self.pois: list[dict[str, Any]] = []
        self.addresses: list[tuple[str, str, str, str, float, float]] = []
        self.boundaries: list[dict[str, Any]] = []
        self.newest = 0.0  # newest object timestamp (seconds): the data's "as of" date

    def add(self, obj: Any) -> None:
        """Take one OSM object (node, way or assembled area) of the stream."""
        if not obj.tags:
            return
        if isinstance(obj, osmium.osm.Node | osmium.osm.Way):
            self.newest = max(self.newest, obj.timestamp.timestamp())
        if isinstance(obj, osmium.osm.Node):
            if obj.location.valid():
                tags = {t.k: t.v for t in obj.tags}
                self.collect("node", obj.id, tags, Point(obj.location.lon, obj.location.lat))
        elif isinstance(obj, osmium.osm.Way):
            tags = {t.k: t.v for t in obj.tags}
            centroid = _way_centroid(obj)
            if centroid is not None:
                self.collect("way", obj.id, tags, centroid)
        elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
            self._add_relation(obj)

    def _add_relation(self, obj: osmium.osm.Area) -> None:
        """A multipolygon or boundary relation, assembled by pyosmium."""
        tags = {t.k: t.v for t in obj.tags}
        try:
            geom = shapely.from_wkb(self.wkb.create_multipolygon(obj))
        except RuntimeError:  # invalid rings despite assembly
            return
        if tags.get("boundary") == "administrative" and tags.get("admin_level") == self.level:
            self._add_boundary(obj.orig_id(), tags, geom)
            return
        self.collect("relation", obj.orig_id(), tags, geom.centroid)

    def _add_boundary(self, osm_id: int, tags: Mapping[str, str], geom: Any) -> None:
        """A Gemeinde boundary (skipped, with a warning, without an AGS)."""
        ags = _ags(tags)
        if ags is None:
            logger.warning(
                "%s: boundary relation %d (%s) has no 8-digit AGS "
                "(de:amtlicher_gemeindeschluessel / de:regionalschluessel); skipped",
                self.file_name,
                osm_id,
                tags.get("name", "?"),
            )
            return
        self.boundaries.append(
            {
                "ags": ags,
                "gemeinde": tags.get("name", ""),
                "population": parse_population(tags.get("population")),
                "geometry": geom,
            }
        )

    def collect(self, kind: str, osm_id: int, tags: Mapping[str, str], point: Point) -> None:
        """Record the object as an address, a place and/or a POI, as its tags say."""
        if "addr:housenumber" in tags and ("addr:street" in tags or "addr:place" in tags):
            self.addresses.append(
                (
                    tags.get("addr:street") or tags["addr:place"],
                    tags["addr:housenumber"],
                    tags.get("addr:postcode", ""),
                    tags.get("addr:city", ""),
                    point.x,
                    point.y,
                )
            )
        place = tags.get("place")
        if place in PLACE_TYPES and tags.get("name"):
            self.places.append(
                {
                    "id": f"osm:{kind}/{osm_id}",
                    "name": tags["name"],
                    "place": place,
                    "osm_population": parse_population(tags.get("population")),
                    "geometry": point,
                }
            )
        category = _match_sorted(tags, self.ordered)
        if category is not None:
            street = tags.get("addr:street") or tags.get("addr:place") or ""
            fallback = f"{self.labels[category]} {street}".strip()
            self.pois.append(
                {
                    "id": f"osm:{kind}/{osm_id}",
                    "name": tags.get("name") or fallback,
                    "category": category,
                    "source": "osm",
                    "address": format_address(tags),
                    "traeger": tags.get("operator", ""),
                    "opening_hours": tags.get("opening_hours", ""),
                    "age_groups": "",
                    "capacity": math.nan,
                    "geocode_quality": "OSM",
                    "geometry": point,
                }
            )

    def features(self) -> OsmFeatures:
        """The collected features as contract tables."""
        places_gdf = gpd.GeoDataFrame(
            pd.DataFrame(self.places, columns=list(VILLAGE_COLUMNS)), geometry="geometry", crs=WGS84
        )
        places_gdf["osm_population"] = places_gdf["osm_population"].astype(float)
        pois_gdf = gpd.GeoDataFrame(
            pd.DataFrame(self.pois, columns=list(OFFER_COLUMNS)), geometry="geometry", crs=WGS84
        )
        pois_gdf["capacity"] = pois_gdf["capacity"].astype(float)
        addr_df = pd.DataFrame(self.addresses, columns=list(ADDRESS_COLUMNS))
        addr_df[["lon", "lat"]] = addr_df[["lon", "lat"]].astype(float)
        # OSM timestamps are UTC; files without them (e.g. osmium exports
        # stripped of metadata) carry 1970 → no date
        data_date = (
            datetime.fromtimestamp(self.newest, tz=UTC).strftime("%d.%m.%Y")
            if self.newest > 86400
            else ""
        )
        return OsmFeatures(
            places=places_gdf.reset_index(drop=True),
            pois=pois_gdf.reset_index(drop=True),
            addresses=addr_df,
            boundaries=self._boundaries_frame().reset_index(drop=True),
            data_date=data_date,
        )

    def _boundaries_frame(self) -> gpd.GeoDataFrame:
        """The boundaries; a Gemeinde mapped twice (e.g. exclave as own relation) merged."""
        bounds_gdf = gpd.GeoDataFrame(
            pd.DataFrame(self.boundaries, columns=list(BOUNDARY_COLUMNS)),
            geometry="geometry",
            crs=WGS84,
        )
        bounds_gdf["population"] = bounds_gdf["population"].astype(float)
        if bounds_gdf["ags"].duplicated().any():
            bounds_gdf = bounds_gdf.dissolve(
                by="ags", aggfunc={"gemeinde": "first", "population": "max"}, as_index=False
            )[list(BOUNDARY_COLUMNS)]
        return bounds_gdf
