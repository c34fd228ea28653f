"""GIS layers of a county: which layer holds what; places and POIs read from layers.

:func:`list_layers` and :func:`guess_layers` look into a GeoPackage (or any
GIS file), :func:`detect_road_class_column` finds the road class of a line
layer (converted by :func:`erreichbarkeit.io.gis2osm.lines_to_osm`), and
:func:`read_gis_features` reads places (origins) and POIs (offers) from
point or polygon layers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from erreichbarkeit._schema import OFFER_COLUMNS, PLACE_TYPES, VILLAGE_COLUMNS
from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._gisfile import read_layer, tag_text, to_crs
from erreichbarkeit.io.osm import match_category, parse_population

__all__ = [
    "detect_road_class_column",
    "guess_layers",
    "list_layers",
    "read_gis_features",
]

logger = logging.getLogger(__name__)

_ROAD_LAYER_NAMES = ("roads", "road", "transportation", "strassen", "straßen", "streets", "ways")
_PLACE_LAYER_NAMES = ("places", "place", "orte", "ortschaften", "villages", "place_label")
_POI_LAYER_NAMES = ("pois", "poi", "einrichtungen", "angebote", "amenities", "poi_label")


# --------------------------------------------------------------------------- layers


def list_layers(path: str | Path) -> list[str]:
    """Return the layer names of a GIS file (one name for GeoJSON/Shapefile).

    Raises
    ------
    InputDataError
        If the file is missing or GDAL cannot open it.
    """
    p = Path(path)
    if not p.exists():
        msg = f"GIS file not found: {p}"
        raise InputDataError(msg, file=p, message_de=f"Die Datei {p} wurde nicht gefunden.")
    try:
        return [str(name) for name in pyogrio.list_layers(p)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        msg = f"cannot open GIS file: {exc}"
        raise InputDataError(
            msg,
            file=p,
            message_de=f"Die GIS-Datei kann nicht geöffnet werden: {exc}",
        ) from exc


def _pick(names: list[str], wanted: tuple[str, ...], taken: set[str]) -> str | None:
    lower = {n.lower(): n for n in names if n not in taken}
    for w in wanted:
        if w in lower:
            return lower[w]
    for w in wanted:
        for low, name in lower.items():
            if w in low and "name" not in low:  # not "road_names" for roads
                return name
    return None


def guess_layers(path: str | Path) -> dict[str, str | None]:
    """Guess the roads, places and POI layers of a GIS file.

    By name first (``roads``/``transportation``/``strassen``…,
    ``places``/``orte``…, ``pois``/``einrichtungen``…; layers such as
    ``road_names`` are not taken for roads), then by geometry type (the only
    line layer is the roads layer).

    Returns
    -------
    dict
        ``{"roads": name | None, "places": name | None, "pois": name | None}``.
    """
    p = Path(path)
    info = pyogrio.list_layers(p) if p.exists() else np.empty((0, 2))
    names = [str(n) for n in info[:, 0]]
    geom_types = {str(n): str(g or "") for n, g in info}
    taken: set[str] = set()
    roads = _pick(names, _ROAD_LAYER_NAMES, taken)
    if roads is None:
        lines = [n for n in names if "line" in geom_types[n].lower()]
        roads = lines[0] if len(lines) == 1 else None
    if roads is None and len(names) == 1:
        roads = names[0]
    if roads:
        taken.add(roads)
    places = _pick(names, _PLACE_LAYER_NAMES, taken)
    if places:
        taken.add(places)
    pois = _pick(names, _POI_LAYER_NAMES, taken)
    return {"roads": roads, "places": places, "pois": pois}


# --------------------------------------------------------------------------- road class


def detect_road_class_column(gdf: pd.DataFrame, *, file: str | Path | None = None) -> str:
    """Return the column holding the road class.

    ``highway`` (OSM values) is preferred, then OpenMapTiles ``class``, then
    Geofabrik's ``fclass`` (matched case-insensitively).

    Parameters
    ----------
    gdf
        The road layer.
    file
        The file the layer came from, named in the error.

    Raises
    ------
    MissingColumnError
        Listing the columns found when none of the three exists.
    """
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    for name in ("highway", "class", "fclass"):
        if name in lower:
            return lower[name]
    found = ", ".join(str(c) for c in gdf.columns if c != "geometry") or "(keine)"
    msg = f"no road class column; columns found: {found}"
    raise MissingColumnError(
        msg,
        file=file,
        column="highway",
        expected="a column 'highway' (OSM values), 'class' (OpenMapTiles) or 'fclass' (Geofabrik)",
        message_de=(
            "Keine Spalte mit der Straßenklasse gefunden (erwartet: „highway“, „class“ oder "
            f"„fclass“). Vorhandene Spalten: {found}."
        ),
    )


# --------------------------------------------------------------------------- places / POIs


def _ids(gdf: gpd.GeoDataFrame, layer: str) -> list[str]:
    fids = gdf["osm_fid"] if "osm_fid" in gdf.columns else None
    if fids is not None and fids.notna().all() and not fids.duplicated().any():
        return [f"gis:{layer}/{tag_text(v)}" for v in fids]
    return [f"gis:{layer}/{i}" for i in range(1, len(gdf) + 1)]


def _rule_keys(categories: Mapping[str, Category]) -> set[str]:
    return {k for c in categories.values() for rule in c.osm for k in rule}


def _subclass_category(value: str, ordered: list[Category]) -> str | None:
    """OpenMapTiles POIs carry the OSM value only: match one-tag rules by value."""
    for cat in ordered:
        for rule in cat.osm:
            if len(rule) == 1 and next(iter(rule.values())) == value:
                return cat.key
    return None


def _read_places(path: Path, layer: str) -> gpd.GeoDataFrame:
    gdf = to_crs(read_layer(path, layer, role="places"), WGS84, path)
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    place_col = lower.get("place") or lower.get("class")
    name_col = lower.get("name")
    if place_col is None or name_col is None:
        found = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        msg = f"places layer needs a 'name' and a 'place' or 'class' column; found: {found}"
        raise MissingColumnError(
            msg,
            file=path,
            column="place" if place_col is None else "name",
            message_de=(
                "Die Orte-Ebene braucht die Spalten „name“ und „place“ (oder „class“). "
                f"Vorhandene Spalten: {found}."
            ),
        )
    ids = _ids(gdf, layer)
    pop_col = lower.get("population")
    rows = []
    for i, (place, name) in enumerate(zip(gdf[place_col], gdf[name_col], strict=True)):
        geom = gdf.geometry.iloc[i]
        place_text, name_text = tag_text(place), tag_text(name)
        if place_text not in PLACE_TYPES or not name_text or geom is None or geom.is_empty:
            continue
        pop = parse_population(gdf[pop_col].iloc[i]) if pop_col else math.nan
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append((ids[i], name_text, place_text, pop, point))
    df = pd.DataFrame(rows, columns=list(VILLAGE_COLUMNS))
    df["osm_population"] = df["osm_population"].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=WGS84)


def _read_pois(path: Path, layer: str, categories: Mapping[str, Category]) -> gpd.GeoDataFrame:
    gdf = to_crs(read_layer(path, layer, role="POIs"), WGS84, path)
    ordered = sorted(categories.values(), key=lambda c: (c.order, c.key))
    labels = {c.key: c.label for c in ordered}
    tag_cols = [str(c) for c in gdf.columns if str(c) in _rule_keys(categories)]
    lower = {str(c).lower(): str(c) for c in gdf.columns}
    sub_col = lower.get("subclass")
    name_col = lower.get("name")
    ids = _ids(gdf, layer)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    rows = []
    for i, row in enumerate(attrs):
        geom = gdf.geometry.iloc[i]
        if geom is None or geom.is_empty:
            continue
        tags = {c: t for c in tag_cols if (t := tag_text(row[c])) is not None}
        category = match_category(tags, categories) if tags else None
        if category is None and sub_col is not None:
            sub = tag_text(row[sub_col])
            category = _subclass_category(sub, ordered) if sub else None
        if category is None:
            continue
        name = tag_text(row[name_col]) if name_col else None
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append(
            {
                "id": ids[i],
                "name": name or labels[category],
                "category": category,
                "source": path.name,
                "address": "",
                "traeger": "",
                "opening_hours": "",
                "age_groups": "",
                "capacity": math.nan,
                "geocode_quality": "Koordinaten",
                "geometry": point,
            }
        )
    df = pd.DataFrame(rows, columns=list(OFFER_COLUMNS))
    df["capacity"] = df["capacity"].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=WGS84)


def read_gis_features(
    path: Path,
    categories: Mapping[str, Category],
    *,
    places_layer: str | None = None,
    pois_layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read places (origins) and POIs (offers) from GIS layers.

    Places: the ``place`` (or OpenMapTiles ``class``) column holds the OSM
    place value; only :data:`erreichbarkeit._schema.PLACE_TYPES` with a name are
    kept; id ``gis:<layer>/<osm_fid or row>``.  POIs: columns named like OSM
    keys (``amenity`` …) are matched with
    :func:`erreichbarkeit.io.osm.match_category`; otherwise the OpenMapTiles
    ``subclass`` (the OSM value) matches category rules that have exactly one
    tag with that value (``amenity=kindergarten`` ↔ subclass
    ``kindergarten``).

    Parameters
    ----------
    path
        GeoPackage (or other GIS file).
    categories
        The category table.
    places_layer, pois_layer
        Layer names; ``None`` guesses them (:func:`guess_layers`).  A layer
        that is not found yields an empty table.

    Returns
    -------
    tuple of GeoDataFrame
        ``(places, pois)`` in the villages and offers contracts, EPSG:4326.

    Raises
    ------
    InputDataError
        If the file cannot be opened; :class:`MissingColumnError` if the
        places layer lacks ``name``/``place``.
    """
    p = Path(path)
    names = list_layers(p)
    guessed = guess_layers(p)
    places_layer = places_layer or guessed["places"]
    pois_layer = pois_layer or guessed["pois"]
    for given in (places_layer, pois_layer):
        if given is not None and given not in names:
            msg = f"layer {given!r} not found; layers: {', '.join(names)}"
            raise InputDataError(
                msg,
                file=p,
                message_de=(
                    f"Ebene „{given}“ nicht gefunden. Vorhandene Ebenen: {', '.join(names)}."
                ),
            )
    if places_layer is None:
        places = gpd.GeoDataFrame(
            pd.DataFrame(columns=list(VILLAGE_COLUMNS)), geometry="geometry", crs=WGS84
        )
    else:
        places = _read_places(p, places_layer)
    if pois_layer is None:
        pois = gpd.GeoDataFrame(
            pd.DataFrame(columns=list(OFFER_COLUMNS)), geometry="geometry", crs=WGS84
        )
    else:
        pois = _read_pois(p, pois_layer, categories)
    logger.info(
        "%s: %d places (layer %s), %d POIs (layer %s)",
        p.name,
        len(places),
        places_layer,
        len(pois),
        pois_layer,
    )
    return places, pois
