"""Gemeinde boundaries of a region: read VG250 (or alike) and build the Kreis polygon."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._helpers import ags_from_key
from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.prepare.download import looks_like_html

__all__ = ["area_polygon", "load_gemeinden", "validate_boundaries"]

_SIMPLIFY_M = 25.0  # the clip polygon is simplified by this much (metres)
_VG250_LAND = 4  # VG250 GF 4 = land area with structure; GF 2 = water (Bodensee, coast)


def _ogr_path(path: Path) -> str:
    """A path GDAL can open: ``/vsizip/`` plus the vector member for zips."""
    if not zipfile.is_zipfile(path):
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        msg = f"broken zip file: {exc}"
        raise InputDataError(msg, file=path, message_de=f"Defekte ZIP-Datei: {exc}") from exc
    for suffix in (".gpkg", ".shp", ".geojson", ".json"):
        members = [n for n in names if n.lower().endswith(suffix)]
        if members:
            # VG250 zips hold one GeoPackage; shapefile zips one file per level.
            gem = [m for m in members if "gem" in Path(m).name.lower()]
            member = (gem or members)[0]
            return f"/vsizip/{path.resolve()}/{member}"
    msg = "zip file holds no GeoPackage, shapefile or GeoJSON"
    raise InputDataError(
        msg,
        file=path,
        expected="VG250 GeoPackage zip",
        message_de="Die ZIP-Datei enthält keine Geodaten (GeoPackage, Shapefile, GeoJSON)",
    )


def validate_boundaries(path: Path, source: str) -> None:
    """Raise :class:`InputDataError` unless ``path`` is a readable boundary file.

    Parameters
    ----------
    path
        The (downloaded) file.
    source
        Where it came from (URL or path), for messages.
    """
    if looks_like_html(path):
        msg = f"{source} returned a web page, not a boundary file"
        raise InputDataError(
            msg,
            file=path,
            expected="BKG VG250 GeoPackage zip",
            message_de=(
                f"Statt der Gemeindegrenzen kam eine Webseite zurück ({source}). "
                "Adresse prüfen oder die Datei von Hand herunterladen."
            ),
        )
    ogr = _ogr_path(path)  # raises on an unreadable zip / no vector member
    try:
        pyogrio.list_layers(ogr)
    except Exception as exc:
        msg = f"not a readable boundary file: {exc}"
        raise InputDataError(
            msg,
            file=path,
            message_de=f"Die Gemeindegrenzen sind nicht lesbar ({source}): {exc}",
        ) from exc


def _pick_layer(ogr_path: str, file: Path) -> str | None:
    """The layer holding the Gemeinden (``vg250_gem``, or the only/one ``*gem*`` layer)."""
    layers = [str(name) for name, _ in pyogrio.list_layers(ogr_path)]
    if len(layers) <= 1:
        return layers[0] if layers else None
    lower = {name.lower(): name for name in layers}
    if "vg250_gem" in lower:
        return lower["vg250_gem"]
    gem = [name for name in layers if "gem" in name.lower()]
    if len(gem) == 1:
        return gem[0]
    msg = f"cannot tell which layer holds the Gemeinden: {', '.join(layers)}"
    raise InputDataError(
        msg,
        file=file,
        expected="a layer named vg250_gem or gemeinden",
        message_de=f"Unklar, welche Ebene die Gemeinden enthält: {', '.join(layers)}",
    )


def _find_column(columns: pd.Index, candidates: tuple[str, ...]) -> str | None:
    """The first column whose lower-case name is one of ``candidates``."""
    lower = {str(c).lower(): str(c) for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _read_layer(file: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read the Gemeinde layer of a boundary file (zips included); it must have a CRS."""
    ogr = _ogr_path(file)
    try:
        chosen = layer or _pick_layer(ogr, file)
        gdf = gpd.read_file(ogr, layer=chosen, engine="pyogrio")
    except InputDataError:
        raise
    except Exception as exc:
        msg = f"cannot read boundary file: {exc}"
        raise InputDataError(
            msg, file=file, message_de=f"Gemeindegrenzen nicht lesbar: {exc}"
        ) from exc
    if gdf.crs is None:
        msg = "boundary file has no coordinate reference system"
        raise InputDataError(
            msg,
            file=file,
            expected="a CRS such as EPSG:25832",
            message_de="Die Gemeindegrenzen haben kein Koordinatensystem",
        )
    return gdf


def _ags_values(gdf: gpd.GeoDataFrame, file: Path) -> pd.Series:
    """The 8-character AGS per row, from an AGS column or derived from an ARS."""
    ags_col = _find_column(gdf.columns, ("ags", "ags_0", "gemeindeschluessel"))
    if ags_col is not None:
        ags: pd.Series = gdf[ags_col].astype(str).str.strip().str.zfill(8)
        return ags
    ars_col = _find_column(gdf.columns, ("ars", "rs"))
    if ars_col is None:
        msg = "no AGS or ARS column in the boundary file"
        raise InputDataError(
            msg,
            file=file,
            column="AGS",
            expected="an 8-digit AGS or a 12-digit ARS column",
            message_de="Die Gemeindegrenzen haben keine Spalte AGS (oder ARS)",
        )
    derived: pd.Series = gdf[ars_col].map(ags_from_key)
    return derived


def _names_and_population(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Gemeinde names (``""`` without a name column) and populations (NaN when unknown)."""
    name_col = _find_column(gdf.columns, ("gen", "gemeinde", "name"))
    pop_col = _find_column(gdf.columns, ("ewz", "population", "ewz_zensus2022", "einwohner"))
    names = (
        gdf[name_col].fillna("gemeindefreies Gebiet").astype(str).to_numpy()
        if name_col
        else np.full(len(gdf), "", dtype=object)
    )
    population = (
        pd.to_numeric(gdf[pop_col], errors="coerce").to_numpy(dtype=float)
        if pop_col
        else np.full(len(gdf), np.nan)
    )
    return names, population


def load_gemeinden(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read Gemeinde polygons from VG250 or a file of the same kind.

    Accepts the BKG VG250 GeoPackage zip (layer ``vg250_gem``, columns ``AGS``,
    ``GEN``, ``EWZ``; only ``GF == 4`` land areas are kept), a zip holding a
    shapefile, or any GeoPackage/GeoJSON/shapefile with an ``AGS`` column (or a
    12-digit ``ARS``, from which the AGS is derived) and optionally a name
    (``GEN``, ``name``, ``gemeinde``) and population (``EWZ``, ``population``,
    ``ewz_zensus2022``, ``einwohner``) column.

    Parameters
    ----------
    path
        The boundary file.
    layer
        Layer name; detected when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ags`` (8-character str), ``gemeinde``, ``population`` (float, NaN when
        unknown), geometry, in EPSG:4326, one row per AGS.

    Raises
    ------
    InputDataError
        If the file is unreadable, has no CRS, or lacks an AGS/ARS column.
    """
    file = Path(path)
    gdf = _read_layer(file, layer)
    gf = _find_column(gdf.columns, ("gf",))
    if gf is not None:
        gdf = gdf[pd.to_numeric(gdf[gf], errors="coerce") == _VG250_LAND]
    ags = _ags_values(gdf, file)
    names, population = _names_and_population(gdf)
    out = gpd.GeoDataFrame(
        {"ags": ags.to_numpy(), "gemeinde": names, "population": population},
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    if out["ags"].duplicated().any():
        out = out.dissolve(by="ags", aggfunc={"gemeinde": "first", "population": "max"})
        out = out.reset_index()
    out = out.to_crs(WGS84)
    return out.reset_index(drop=True)


def area_polygon(
    gemeinden: gpd.GeoDataFrame, key: str, *, buffer_km: float = 0.0
) -> tuple[BaseGeometry, BaseGeometry]:
    """Union of the Gemeinden whose AGS starts with ``key``, and its buffer.

    Parameters
    ----------
    gemeinden
        Output of :func:`load_gemeinden` (any CRS).
    key
        AGS prefix: a 5-digit Kreis key, or a full 8-digit AGS for one Gemeinde.
    buffer_km
        Buffer in kilometres, computed in EPSG:25832.

    Returns
    -------
    tuple[BaseGeometry, BaseGeometry]
        ``(area, buffered)`` in EPSG:4326; ``buffered`` is simplified by 25 m
        (it only decides which roads are kept).

    Raises
    ------
    InputDataError
        If no Gemeinde matches ``key``.
    """
    hits = gemeinden[gemeinden["ags"].astype(str).str.startswith(key)]
    if hits.empty:
        msg = f"no Gemeinde with an AGS starting with {key!r} in the boundary file"
        raise InputDataError(
            msg,
            column="ags",
            expected=f"AGS values starting with {key}",
            message_de=(
                f"Keine Gemeinde mit Schlüssel {key}… in den Gemeindegrenzen – "
                "stimmt der Kreisschlüssel?"
            ),
        )
    metric = hits.to_crs(METRIC_CRS)
    area = shapely.union_all(shapely.make_valid(metric.geometry.to_numpy()))
    buffered = area.buffer(buffer_km * 1000.0) if buffer_km > 0 else area
    buffered = shapely.simplify(buffered, _SIMPLIFY_M)
    both = gpd.GeoSeries([area, buffered], crs=METRIC_CRS).to_crs(WGS84)
    return both.iloc[0], both.iloc[1]
