"""GeoPackage (for QGIS, in EPSG:25832) and Parquet files.

The GeoPackage is written in EPSG:25832 (ETRS89 / UTM 32N), the metric CRS
German surveying and GIS offices use (and VG250 ships in), so distances and
areas measured in QGIS are in metres.  Both files are written atomically.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from geopandas.array import GeometryDtype

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import CRSError, ErreichbarkeitError
from erreichbarkeit.report.cells import plain_table

__all__ = ["write_geopackage", "write_parquet"]

logger = logging.getLogger(__name__)

_LAYER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def write_geopackage(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: str = METRIC_CRS,
) -> Path:
    """Write layers into one GeoPackage, atomically for the whole file.

    All layers are written into a temporary ``.gpkg`` beside ``path`` with
    pyogrio; only when every layer succeeded is it renamed onto ``path``.

    Parameters
    ----------
    path
        Target ``.gpkg`` (replaced atomically).
    layers
        GeoDataFrames by layer name (``orte``, ``angebote``, ``gemeinden``).
        Names: letter or underscore first, then letters, digits,
        underscores, at most 63 characters, unique ignoring case.  Every
        layer needs a CRS.
    crs
        CRS the layers are written in (default EPSG:25832, metric, as German
        GIS offices use).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ErreichbarkeitError
        If a layer name is invalid or repeated, or no layer is given.
    CRSError
        If a layer has no CRS.
    """
    path = Path(path)
    if not layers:
        msg = "no layers to write"
        raise ErreichbarkeitError(msg, file=path, message_de="Keine Ebenen zum Schreiben")
    seen: set[str] = set()
    for name in layers:
        if not _LAYER_NAME.match(name) or name.casefold() in seen:
            msg = f"invalid or repeated layer name {name!r}"
            raise ErreichbarkeitError(
                msg,
                file=path,
                expected="letters, digits, underscore; first a letter; max. 63; unique",
                message_de=f"Ungültiger oder doppelter Ebenenname „{name}“",
            )
        seen.add(name.casefold())
    prepared: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in layers.items():
        if gdf.crs is None:
            msg = f"layer {name!r} has no CRS"
            raise CRSError(
                msg,
                file=path,
                expected=WGS84,
                message_de=f"Ebene „{name}“ hat kein Koordinatensystem",
            )
        other_geoms = [
            c
            for c in gdf.columns
            if isinstance(gdf[c].dtype, GeometryDtype) and c != gdf.geometry.name
        ]
        prepared[name] = gdf.drop(columns=other_geoms).to_crs(crs)
    with atomic_path(path) as tmp:
        for name, gdf in prepared.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG")
    logger.info("wrote %s (layers %s)", path, ", ".join(prepared))
    return path


def write_parquet(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a DataFrame to Parquet atomically (for tools; keeps dtypes).

    Parameters
    ----------
    path
        Target ``.parquet`` file.
    df
        The table (geometry columns are dropped, point layers get lon/lat).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        plain_table(df).to_parquet(tmp, index=False)
    return path
