"""The road network file of a run and the features it carries.

A run names one network file: an OSM file (read directly) or a GIS line
layer (GeoPackage, GeoJSON, Shapefile, FlatGeobuf), converted to OSM XML
once and cached by content hash.  Besides the roads the file yields places,
offers (POIs), address points and Gemeinde boundaries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit.config import WGS84, ProgressCallback, Settings
from erreichbarkeit.errors import ConfigError, NetworkError
from erreichbarkeit.io import gislayer, osm

__all__ = ["GIS_SUFFIXES", "NetworkData", "converted_network", "is_gis_layer", "read_network"]

#: File suffixes read as a GIS line layer (anything else is an OSM file).
GIS_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


@dataclass(frozen=True)
class NetworkData:
    """What the network file yields besides the roads.

    Attributes
    ----------
    osm_path
        The OSM file the routers are prepared from (the converted file for a
        GIS layer).
    places, pois, addresses, boundaries
        Places, offers of a known category, address points and Gemeinde
        boundaries (the last two empty for a GIS layer).
    report
        The :class:`erreichbarkeit.io.gis2osm.ConversionReport` of a GIS
        layer, ``None`` for an OSM file.
    is_gis_layer
        Whether the file was a GIS line layer.
    data_date
        Newest OSM timestamp (``""`` where the file has none).
    """

    osm_path: Path
    places: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    addresses: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    report: Any
    is_gis_layer: bool
    data_date: str


def is_gis_layer(path: Path) -> bool:
    """Whether ``path`` names a GIS line layer rather than an OSM file."""
    return path.suffix.lower() in GIS_SUFFIXES or path.name.lower().endswith(".shp.zip")


def converted_network(
    settings: Settings, path: Path, progress: ProgressCallback | None
) -> tuple[Path, Any]:
    """Convert a GIS road layer to OSM XML once; cached by content and options.

    The key covers the file's bytes, the layer, the class column, the merge
    tolerance and the converter's version; the conversion report is kept
    beside the file so a cached run still reports connectivity.

    Parameters
    ----------
    settings
        Gives ``cache_dir``, ``roads_layer``, ``road_class_column`` and
        ``merge_tolerance_m``.
    path
        The GIS line layer.
    progress
        Progress callback of the conversion.

    Returns
    -------
    tuple
        ``(osm_file, ConversionReport)``.
    """
    # scipy (about 2 s) is loaded only when a GIS layer is converted
    from erreichbarkeit.io import gis2osm  # noqa: PLC0415

    options = json.dumps(
        [file_digest(path), settings.roads_layer, settings.road_class_column,
         settings.merge_tolerance_m, gis2osm.CONVERTER_VERSION],
    )  # fmt: skip
    key = hashlib.sha256(options.encode()).hexdigest()[:16]
    converted = Path(settings.cache_dir) / "converted" / f"{path.stem}-{key}.osm"
    report_path = converted.with_suffix(".report.json")
    if converted.exists() and report_path.exists():
        data = json.loads(report_path.read_text("utf-8"))
        return converted, gis2osm.ConversionReport(**data)
    report = gis2osm.lines_to_osm(
        path, converted, layer=settings.roads_layer, class_column=settings.road_class_column,
        tolerance_m=settings.merge_tolerance_m, progress=progress,
    )  # fmt: skip
    with atomic_path(report_path) as tmp:
        # asdict() deep-copies and cannot copy the read-only `dropped` mapping
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        tmp.write_text(json.dumps(fields | {"dropped": dict(report.dropped)}), "utf-8")
    return converted, report


def _network_path(settings: Settings) -> Path:
    """The network file of the settings; raises when none is given or it is missing."""
    if settings.network is None:
        msg = "no road network given"
        raise ConfigError(
            msg,
            column="network",
            expected="an OSM file or a GIS line layer",
            message_de="Kein Straßennetz angegeben (OSM-Datei oder GIS-Linienlayer)",
        )
    path = Path(settings.network)
    if not path.exists():
        msg = "network file not found"
        raise NetworkError(msg, file=path, message_de="Straßennetz-Datei nicht gefunden")
    return path


def _read_gis_layer(
    settings: Settings, path: Path, progress: ProgressCallback | None
) -> NetworkData:
    """Convert a GIS line layer (cached) and read its place and POI layers."""
    converted, report = converted_network(settings, path, progress)
    places, pois = gislayer.read_gis_features(
        path, settings.categories(), places_layer=settings.places_layer,
        pois_layer=settings.pois_layer,
    )  # fmt: skip
    addresses = pd.DataFrame(columns=["street", "housenumber", "postcode", "city", "lon", "lat"])
    boundaries = gpd.GeoDataFrame(
        {"ags": [], "gemeinde": [], "population": []}, geometry=[], crs=WGS84
    )
    return NetworkData(converted, places, pois, addresses, boundaries, report, True, "")


def read_network(settings: Settings, progress: ProgressCallback | None = None) -> NetworkData:
    """Read (and for a GIS layer, convert) the network file and its features.

    Parameters
    ----------
    settings
        ``settings.network`` names the file; the categories decide which
        POIs are offers.
    progress
        Progress callback of a GIS layer's conversion.

    Returns
    -------
    NetworkData

    Raises
    ------
    ConfigError
        When the settings name no network file.
    NetworkError
        When the file is missing or not a readable network.
    """
    path = _network_path(settings)
    if is_gis_layer(path):
        return _read_gis_layer(settings, path, progress)
    osm.validate_osm_file(path)
    feats = osm.read_osm_features(path, settings.categories())
    return NetworkData(
        path, feats.places, feats.pois, feats.addresses, feats.boundaries, None, False,
        feats.data_date,
    )  # fmt: skip
