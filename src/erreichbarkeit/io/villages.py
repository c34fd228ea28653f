"""The user's own villages from a GIS layer or a coordinate table (:func:`read_villages`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry import Point

from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError
from erreichbarkeit.io._cells import (
    COORDINATE_ALIASES,
    cell_text,
    find_column,
    parse_number,
    require_column,
    safe_number,
)
from erreichbarkeit.io._geofile import check_in_europe, read_layer
from erreichbarkeit.io.tables import read_table

__all__ = ["read_villages"]

_VILLAGE_ID = ("id", "osmid", "nr", "nummer", "kennung")
_VILLAGE_NAME = ("name", "ortsteil", "ort", "dorf", "ortsname", "bezeichnung", "gen", "ortschaft")
_VILLAGE_POP = ("population", "einwohner", "ewz", "bevoelkerung", "einwohnerzahl")
_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: ``Kinder 0–3 Jahre`` (the exported German header) or ``Kinder 0-3``.
_CHILDREN_DE = re.compile(r"^\s*kinder\s+(\d+)\s*[-–—]\s*(\d+)(\s*jahre?)?\s*$", re.IGNORECASE)


def _children_column(col: str) -> str | None:
    """``children_0_3`` for a column ``children_0_3`` or ``Kinder 0–3 Jahre``; else ``None``."""
    if col.lower().startswith("children_"):
        return col.lower()
    m = _CHILDREN_DE.match(col)
    return f"children_{m.group(1)}_{m.group(2)}" if m else None


def read_villages(
    path: Path,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read the user's own villages (points or polygons).

    Parameters
    ----------
    path
        A GIS layer (GeoPackage, GeoJSON, Shapefile; points or polygons) or
        a CSV/XLSX with coordinate columns (as in :func:`read_offers`,
        including ``EPSG``).
    id_column, name_column, population_column
        Column names; detected when ``None``.  Without an id column, ids are
        ``user:<n>`` (1-based feature/row number).

    Returns
    -------
    geopandas.GeoDataFrame
        *Villages* contract: ``id``, ``name``, ``place`` (``"user"``),
        ``osm_population`` (NaN), Point geometry (polygons → representative
        point, always inside), EPSG:4326; plus ``population`` when a
        population column exists and any ``children_*`` columns as floats.

    Raises
    ------
    InputDataError
        Unreadable file, empty, missing geometry/coordinates, lines, or
        duplicate ids (naming the rows).
    CRSError
        A GIS layer without CRS.
    MissingColumnError
        A named column is missing; a table without coordinate columns.
    """
    path = Path(path)
    gdf, rows = _read_features(path)
    _check_geometries(gdf, rows, path)
    points_ws = _points(gdf, path)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    id_col = (
        require_column(cols, id_column, path, "ID") if id_column else find_column(cols, _VILLAGE_ID)
    )
    name_col = (
        require_column(cols, name_column, path, "Name")
        if name_column
        else find_column(cols, _VILLAGE_NAME)
    )
    pop_col = (
        require_column(cols, population_column, path, "Einwohner")
        if population_column
        else find_column(cols, _VILLAGE_POP)
    )
    ids = _village_ids(gdf, rows, id_col, path)
    names = [cell_text(v) for v in gdf[name_col]] if name_col is not None else [""] * len(gdf)
    names = [n or vid for n, vid in zip(names, ids, strict=True)]
    data: dict[str, Any] = {
        "id": pd.Series(ids, dtype=object),
        "name": pd.Series(names, dtype=object),
        "place": pd.Series(["user"] * len(ids), dtype=object),
        "osm_population": pd.Series(np.nan, index=range(len(ids)), dtype=float),
    }
    if pop_col is not None:
        data["population"] = pd.Series([safe_number(v) for v in gdf[pop_col]], dtype=float)
    for col in cols:
        child = _children_column(str(col))
        if child is not None:
            data[child] = pd.Series([safe_number(v) for v in gdf[col]], dtype=float)
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(points_ws.to_numpy(), crs=WGS84), crs=WGS84
    )


def _read_features(path: Path) -> tuple[gpd.GeoDataFrame, list[int]]:
    """The features and their row/feature numbers, from a table or a GIS layer."""
    if path.suffix.lower() in _TABLE_SUFFIXES:
        return _villages_from_table(path)
    gdf = read_layer(path, None)
    if gdf.crs is None:
        msg = "the layer has no CRS"
        raise CRSError(
            msg,
            file=path,
            expected="a layer with a coordinate reference system",
            message_de="Die Ebene hat kein Koordinatensystem",
        )
    return gdf, list(range(1, len(gdf) + 1))


def _check_geometries(gdf: gpd.GeoDataFrame, rows: list[int], path: Path) -> None:
    """Every village needs a point or polygon geometry."""
    if gdf.empty:
        msg = "no villages in the file"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Orte")
    missing = [rows[i] for i, g in enumerate(gdf.geometry) if g is None or g.is_empty]
    if missing:
        shown = ", ".join(map(str, missing[:20]))
        msg = f"{len(missing)} villages have no geometry (rows/features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=missing[0],
            message_de=f"{len(missing)} Orte ohne Geometrie (Zeile/Objekt {shown})",
        )
    lines = [
        rows[i]
        for i, k in enumerate(gdf.geometry.geom_type)
        if k not in ("Point", "MultiPoint", "Polygon", "MultiPolygon")
    ]
    if lines:
        msg = f"villages must be points or polygons (rows/features {lines[:20]})"
        raise InputDataError(
            msg,
            file=path,
            row=lines[0],
            expected="Point or Polygon",
            message_de="Orte müssen Punkte oder Flächen sein",
        )


def _points(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoSeries:
    """One point per village in WGS84 (polygons → representative point, always inside)."""
    geom = gdf.geometry
    arr = shapely.make_valid(geom.to_numpy())
    points = np.where(
        np.isin(geom.geom_type.to_numpy(), ["Point"]), arr, shapely.point_on_surface(arr)
    )
    points_ws = gpd.GeoSeries(points, crs=gdf.crs).to_crs(WGS84)
    check_in_europe(gpd.GeoDataFrame(geometry=points_ws), path, gdf.crs.to_string())
    return points_ws


def _village_ids(
    gdf: gpd.GeoDataFrame, rows: list[int], id_col: str | None, path: Path
) -> list[str]:
    """The ids (``user:<n>`` where none is given); duplicates are errors."""
    if id_col is not None:
        ids = [cell_text(v) or f"user:{r}" for v, r in zip(gdf[id_col], rows, strict=True)]
    else:
        ids = [f"user:{r}" for r in rows]
    seen: dict[str, int] = {}
    for vid, r in zip(ids, rows, strict=True):
        if vid in seen:
            msg = f"duplicate id {vid!r} (rows/features {seen[vid]} and {r})"
            raise InputDataError(
                msg,
                file=path,
                row=r,
                column=id_col,
                message_de=f"Doppelte ID „{vid}“ (Zeile/Objekt {seen[vid]} und {r})",
            )
        seen[vid] = r
    return ids


def _villages_from_table(path: Path) -> tuple[gpd.GeoDataFrame, list[int]]:
    """Villages from a CSV/XLSX with lat/lon (or x/y + EPSG) columns."""
    table = read_table(path)
    cols = list(map(str, table.columns))
    lat_col = find_column(cols, COORDINATE_ALIASES["lat"])
    lon_col = find_column(cols, COORDINATE_ALIASES["lon"])
    epsg_col = find_column(cols, COORDINATE_ALIASES["epsg"])
    if lat_col is None or lon_col is None:
        found = ", ".join(cols)
        msg = f"no coordinate columns (lat/lon or x/y); columns found: {found}"
        raise MissingColumnError(
            msg,
            file=path,
            expected="lat + lon, Breite + Länge or x + y (+ EPSG)",
            message_de=f"Keine Koordinatenspalten (Breite/Länge, lat/lon, x/y); gefundene "
            f"Spalten: {found}",
        )
    transformers: dict[int, Transformer] = {}
    geoms = [
        _table_point(
            x_raw,
            y_raw,
            epsg_raw,
            path=path,
            row=int(rownum),
            lon_col=lon_col,
            epsg_col=epsg_col,
            transformers=transformers,
        )
        for rownum, x_raw, y_raw, epsg_raw in zip(
            table.index,
            table[lon_col],
            table[lat_col],
            table[epsg_col] if epsg_col else [None] * len(table),
            strict=True,
        )
    ]
    frame = table.drop(columns=[c for c in (lat_col, lon_col, epsg_col) if c]).reset_index(
        drop=True
    )
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)
    return gdf, [int(i) for i in table.index]


def _table_point(
    x_raw: object,
    y_raw: object,
    epsg_raw: object,
    *,
    path: Path,
    row: int,
    lon_col: str,
    epsg_col: str | None,
    transformers: dict[int, Transformer],
) -> Point:
    """One row's WGS84 point from its coordinate (and EPSG) cells."""
    try:
        x, y = parse_number(x_raw), parse_number(y_raw)
    except ValueError as exc:
        msg = f"coordinate ({x_raw!r}, {y_raw!r}) is not a number"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=lon_col,
            message_de=f"Koordinate ({x_raw}; {y_raw}) ist keine Zahl",
        ) from exc
    if x is None or y is None:
        msg = "coordinates missing"
        raise InputDataError(
            msg, file=path, row=row, column=lon_col, message_de="Koordinaten fehlen"
        )
    m = re.search(r"\d{4,6}", cell_text(epsg_raw))
    epsg = int(m.group(0)) if m else 4326
    if epsg != 4326:
        if epsg not in transformers:
            try:
                transformers[epsg] = Transformer.from_crs(epsg, 4326, always_xy=True)
            except PyprojCRSError as exc:
                msg = f"unknown EPSG code {epsg}"
                raise CRSError(
                    msg,
                    file=path,
                    row=row,
                    column=epsg_col,
                    message_de=f"Unbekannter EPSG-Code {epsg}",
                ) from exc
        x, y = transformers[epsg].transform(x, y)
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        msg = f"coordinates ({x}, {y}) are not lon/lat degrees"
        raise InputDataError(
            msg,
            file=path,
            row=row,
            column=lon_col,
            expected="WGS84 degrees, or an EPSG column for projected x/y",
            message_de=f"Koordinaten ({x}; {y}) sind keine Längen-/Breitengrade; "
            "für projizierte x/y bitte eine EPSG-Spalte angeben",
        )
    return Point(x, y)
