"""A user's geodata file (GeoPackage, GeoJSON, Shapefile) read with CRS plausibility checks.

Shared by :func:`erreichbarkeit.io.read_boundaries` and
:func:`erreichbarkeit.io.read_villages`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from erreichbarkeit.errors import CRSError, InputDataError

__all__ = ["EUROPE_BOUNDS", "check_in_europe", "read_layer"]

#: Generous lon/lat box of Europe (minx, miny, maxx, maxy): layers whose
#: features lie entirely outside it after reprojection declare a wrong CRS.
EUROPE_BOUNDS: tuple[float, float, float, float] = (-32.0, 27.0, 45.0, 72.0)


def read_layer(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read one layer; reject metric coordinates in a layer that claims lon/lat.

    Raises
    ------
    InputDataError
        If the file is missing or GDAL cannot read it.
    CRSError
        If the coordinates are not degrees although the layer says so.
    """
    if not path.exists():
        msg = "file not found"
        raise InputDataError(msg, file=path, message_de="Datei nicht gefunden")
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several unrelated types
        msg = f"cannot read the layer: {exc}"
        raise InputDataError(
            msg,
            file=path,
            expected="a GeoPackage, GeoJSON or Shapefile",
            message_de="Die Geodatei kann nicht gelesen werden (keine GeoPackage-, GeoJSON- "
            f"oder Shapefile-Datei, oder beschädigt): {exc}",
        ) from exc
    _check_degrees(gdf, path)
    return gdf


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Reject metric coordinates in a layer that claims lon/lat.

    GDAL assigns EPSG:4326 to every GeoJSON without a ``crs`` member, so a
    GeoJSON in UTM (e.g. EPSG:25832) would otherwise be read as degrees and
    silently fall outside the region.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or gdf.empty:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        msg = (
            f"coordinates up to ({maxx:.0f}, {maxy:.0f}) are not degrees although the layer "
            f"says {gdf.crs.to_string()}: projected coordinates without a CRS?"
        )
        raise CRSError(
            msg,
            file=path,
            expected="a layer with its CRS declared (e.g. EPSG:25832 for UTM coordinates)",
            message_de=(
                "Die Koordinaten sind keine Längen-/Breitengrade, obwohl die Datei das angibt "
                "– vermutlich metrische Koordinaten (z. B. UTM, EPSG:25832) ohne Angabe des "
                "Koordinatensystems. Bitte die Datei mit Koordinatensystem speichern."
            ),
        )


#: Generous lon/lat box of Europe (minx, miny, maxx, maxy): layers whose


def check_in_europe(gdf: gpd.GeoDataFrame, path: Path, declared: object) -> None:
    """Reject a layer that lands outside Europe: its declared CRS does not match.

    A GeoPackage that says EPSG:25832 but holds lon/lat degrees ends up at
    the equator after reprojection, and every village would silently fall
    outside every Gemeinde.
    """
    if gdf.empty:
        return
    bounds = gdf.geometry.bounds.dropna()
    if bounds.empty:
        return
    minx, miny, maxx, maxy = EUROPE_BOUNDS
    inside = (
        (bounds["maxx"] >= minx)
        & (bounds["minx"] <= maxx)
        & (bounds["maxy"] >= miny)
        & (bounds["miny"] <= maxy)
    )
    if inside.any():
        return
    cx, cy = float(bounds["minx"].iloc[0]), float(bounds["miny"].iloc[0])
    msg = (
        f"the features lie outside Europe (near lon {cx:.3f}, lat {cy:.3f}) when read in the "
        f"declared CRS {declared}: the coordinates do not match the layer's CRS"
    )
    raise CRSError(
        msg,
        file=path,
        row=1,
        expected="coordinates in the CRS the layer declares",
        message_de=(
            f"Die Objekte liegen im angegebenen Koordinatensystem ({declared}) außerhalb "
            f"Europas (bei Länge {cx:.3f}, Breite {cy:.3f}): Koordinaten und angegebenes "
            "Koordinatensystem passen nicht zusammen"
        ),
    )
