"""Reading a GIS layer for the road network, places and POIs, with CRS checks.

Shared by :mod:`erreichbarkeit.io.gislayer` and :mod:`erreichbarkeit.io.gis2osm`;
errors are :class:`~erreichbarkeit.errors.NetworkError` (the layer is part of
the network file).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio

from erreichbarkeit.errors import CRSError, NetworkError

__all__ = ["read_layer", "tag_text", "to_crs"]


def read_layer(path: Path, layer: str | None, *, role: str) -> gpd.GeoDataFrame:
    """Read one layer of a GIS file (``role`` names it in errors: roads, places, POIs)."""
    if not path.exists():
        msg = f"GIS file not found: {path}"
        raise NetworkError(msg, file=path, message_de=f"Die Datei {path} wurde nicht gefunden.")
    try:
        return gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"cannot read the {role} layer {layer!r}: {exc}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Die Ebene „{layer}“ ({role}) kann nicht gelesen werden: {exc}",
        ) from exc


def to_crs(gdf: gpd.GeoDataFrame, crs: str, file: Path | None) -> gpd.GeoDataFrame:
    """The layer in ``crs``; it must declare a CRS that fits its coordinates."""
    if gdf.crs is None:
        msg = "the layer has no coordinate reference system"
        raise CRSError(
            msg,
            file=file,
            expected="a layer with a CRS (e.g. EPSG:4326 or EPSG:25832)",
            message_de=(
                "Die Ebene hat kein Koordinatenbezugssystem (KBS); bitte im GIS ein KBS "
                "zuweisen (z. B. EPSG:25832) und erneut speichern."
            ),
        )
    if gdf.crs.is_geographic and not gdf.empty:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            # GDAL gives every GeoJSON without "crs" EPSG:4326, also UTM ones
            msg = (
                f"coordinates up to ({maxx:.0f}, {maxy:.0f}) are not degrees although the "
                f"layer says {gdf.crs.to_string()}: projected coordinates without a CRS?"
            )
            raise CRSError(
                msg,
                file=file,
                expected="a layer with its CRS declared (e.g. EPSG:25832 for UTM coordinates)",
                message_de=(
                    "Die Koordinaten sind keine Längen-/Breitengrade, obwohl die Datei das "
                    "angibt – vermutlich metrische Koordinaten (z. B. UTM, EPSG:25832) ohne "
                    "Angabe des Koordinatensystems. Bitte mit Koordinatensystem speichern."
                ),
            )
    out = gdf.to_crs(crs)
    if not out.empty and not np.isfinite(out.total_bounds).all():
        msg = f"coordinates cannot be converted from {gdf.crs.to_string()} to {crs}"
        raise CRSError(
            msg,
            file=file,
            expected="coordinates that fit the layer's CRS",
            message_de=(
                f"Die Koordinaten lassen sich nicht von {gdf.crs.to_string()} nach {crs} "
                "umrechnen – passen Koordinaten und angegebenes Koordinatensystem zusammen?"
            ),
        )
    return out


def tag_text(value: Any) -> str | None:
    """A cell as a clean string (floats that are whole numbers without ``.0``)."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip()
    return text or None
