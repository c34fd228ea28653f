"""Gemeinde polygons into the *Boundaries* contract (:func:`read_boundaries`)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError
from erreichbarkeit.io._cells import (
    MAX_GEMEINDE_POPULATION,
    POPULATION_RANGE_DE,
    ags_from_code,
    cell_text,
    find_column,
    require_column,
    safe_number,
)
from erreichbarkeit.io._geofile import check_in_europe, read_layer

__all__ = ["boundary_keys", "read_boundaries"]

logger = logging.getLogger(__name__)

_BOUNDARY_AGS = ("ags", "ags_0", "gkz", "de:amtlicher_gemeindeschluessel", "gemeindeschluessel")
_BOUNDARY_ARS = ("ars", "rs", "rs_0", "de:regionalschluessel", "regionalschluessel")
_BOUNDARY_NAME = ("gen", "name", "gemeinde", "gemeindename", "gem_name")
_BOUNDARY_POP = (
    "ewz",
    "ewz_zensus2022",
    "population",
    "einwohner",
    "bevoelkerung",
    "einwohnerzahl",
)


def read_boundaries(
    path: Path,
    *,
    layer: str | None = None,
    ags_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    clip_to: BaseGeometry | None = None,
    keep_containing: gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    """Read Gemeinde polygons into the *Boundaries* contract.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile (anything GDAL reads).
    layer
        Layer name inside a multi-layer file.
    ags_column, name_column, population_column
        Column names; detected when ``None`` (AGS: ``AGS``, ``AGS_0``, ``GKZ``,
        ``de:amtlicher_gemeindeschluessel``, else ``ARS``/``RS`` reduced to the
        AGS; name: ``GEN``, ``name``, ``gemeinde``; population: ``ewz``,
        ``ewz_zensus2022``, ``population``, ``einwohner``).
    clip_to
        WGS84 geometry; only Gemeinden overlapping it are kept (an overlap
        of at least 1 % of the Gemeinde's area, so neighbours that merely
        touch the border, or overlap by simplification slivers, are dropped).
    keep_containing
        Points (EPSG:4326) whose Gemeinden are always kept, however little of
        them overlaps ``clip_to`` (a village at the edge of the region).

    Returns
    -------
    geopandas.GeoDataFrame
        ``ags`` (8 characters), ``gemeinde``, ``population`` (float),
        geometry (valid Polygon/MultiPolygon), EPSG:4326.  Features sharing
        an AGS are merged (population summed unless repeated identically).

    Raises
    ------
    InputDataError
        Unreadable file, empty layer, missing or invalid AGS values (naming
        the features, 1-based), non-polygon geometries.
    MissingColumnError
        No AGS column, or a named column is missing.
    CRSError
        The layer has no CRS.
    """
    path = Path(path)
    gdf = _open_layer(path, layer)
    code_col, name_col, pop_col = _boundary_columns(
        gdf,
        path,
        ags_column=ags_column,
        name_column=name_column,
        population_column=population_column,
    )
    ags = _ags_values(gdf, path, code_col)
    names, pop = _names_and_population(gdf, path, ags, name_col, pop_col)
    out = gpd.GeoDataFrame(
        {
            "ags": pd.Series(ags.to_numpy(), dtype=object),
            "gemeinde": pd.Series(names.to_numpy(), dtype=object),
            "population": pd.Series(pop.to_numpy(), dtype=float),
        },
        geometry=gpd.GeoSeries(_polygons(gdf, path), crs=gdf.crs),
    ).to_crs(WGS84)
    check_in_europe(out, path, gdf.crs.to_string())
    if out["ags"].duplicated().any():
        out = _merge_duplicate_ags(out, path)
    if clip_to is not None:
        out = _clip(out, clip_to, keep_containing)
    return out.reset_index(drop=True)


def boundary_keys(path: Path, *, layer: str | None = None) -> pd.DataFrame:
    """``ags`` and ``gemeinde`` of every feature of a boundary file, without geometries.

    Reading only the attributes is fast even for the all-Germany VG250 file;
    it lets a region file's ``[area]`` be checked against the whole file,
    not only the Gemeinden inside the network data.

    Raises
    ------
    InputDataError, MissingColumnError
        As :func:`read_boundaries`.
    """
    path = Path(path)
    try:
        table = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    except Exception as exc:  # pyogrio raises several unrelated types
        msg = f"cannot read the layer: {exc}"
        raise InputDataError(
            msg, file=path, expected="a GeoPackage, GeoJSON or Shapefile",
            message_de=f"Die Geodatei kann nicht gelesen werden: {exc}",
        ) from exc  # fmt: skip
    shim = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries([None] * len(table)))
    code_col, name_col, _ = _boundary_columns(
        shim, path, ags_column=None, name_column=None, population_column=None
    )
    ags = _ags_values(shim, path, code_col)
    names = table[name_col].astype(object) if name_col else pd.Series("", index=table.index)
    return pd.DataFrame({"ags": ags.to_numpy(), "gemeinde": names.fillna("").to_numpy()})


def _open_layer(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The layer, which must hold features and declare a CRS."""
    gdf = read_layer(path, layer)
    if gdf.empty:
        msg = "the layer has no features"
        raise InputDataError(msg, file=path, message_de="Die Ebene enthält keine Objekte")
    if gdf.crs is None:
        msg = "the layer has no CRS"
        raise CRSError(
            msg,
            file=path,
            expected="a layer with a coordinate reference system",
            message_de="Die Ebene hat kein Koordinatensystem (z. B. fehlende .prj-Datei)",
        )
    return gdf


def _boundary_columns(
    gdf: gpd.GeoDataFrame,
    path: Path,
    *,
    ags_column: str | None,
    name_column: str | None,
    population_column: str | None,
) -> tuple[str, str | None, str | None]:
    """The AGS, name and population columns: as named by the user, else detected."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    found = ", ".join(map(str, cols))
    if ags_column is not None:
        code_col = require_column(cols, ags_column, path, "AGS")
    else:
        detected = find_column(cols, _BOUNDARY_AGS) or find_column(cols, _BOUNDARY_ARS)
        if detected is None:
            msg = f"no AGS column; columns found: {found}"
            raise MissingColumnError(
                msg,
                file=path,
                expected="AGS, GKZ, ARS or RS",
                message_de="Keine Spalte mit dem Gemeindeschlüssel (AGS, GKZ, ARS, RS); "
                f"gefundene Spalten: {found}",
            )
        code_col = detected
    if name_column is not None:
        name_col: str | None = require_column(cols, name_column, path, "Gemeindename")
    else:
        name_col = find_column(cols, _BOUNDARY_NAME)
    if population_column is not None:
        pop_col: str | None = require_column(cols, population_column, path, "Einwohner")
    else:
        pop_col = find_column(cols, _BOUNDARY_POP)
    return code_col, name_col, pop_col


def _ags_values(gdf: gpd.GeoDataFrame, path: Path, code_col: str) -> pd.Series:
    """The 8-digit AGS of every feature; every feature must have one."""
    ags = pd.Series([ags_from_code(v) for v in gdf[code_col]], index=gdf.index, dtype=object)
    bad = [i + 1 for i, v in enumerate(ags) if v is None]
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        msg = f"{len(bad)} features have a missing or invalid AGS (features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=bad[0],
            column=code_col,
            expected="8-digit AGS or 12-digit ARS",
            message_de=f"{len(bad)} Objekte ohne gültigen Gemeindeschlüssel (Objekt Nr. {shown})",
        )
    return ags


def _names_and_population(
    gdf: gpd.GeoDataFrame,
    path: Path,
    ags: pd.Series,
    name_col: str | None,
    pop_col: str | None,
) -> tuple[pd.Series, pd.Series]:
    """Gemeinde names (the AGS where empty) and population (NaN where unknown)."""
    if name_col is not None:
        names = gdf[name_col].map(cell_text)
    else:
        logger.warning("%s: no name column; using the AGS as name", path.name)
        names = pd.Series([""] * len(gdf), index=gdf.index)
    names = names.where(names != "", ags)
    if pop_col is not None:
        pop = _plausible_population(gdf[pop_col].map(safe_number), path, pop_col)
    else:
        pop = pd.Series(np.nan, index=gdf.index)
    return names, pop


def _plausible_population(pop: pd.Series, path: Path, column: str) -> pd.Series:
    """Population with negative or absurd values (over 4 million) set to unknown (logged)."""
    bad = (pop < 0) | (pop > MAX_GEMEINDE_POPULATION)
    if bad.any():
        shown = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:20])
        logger.warning(
            "%s: column %r: %d implausible population values (features %s; expected %s) "
            "are treated as unknown",
            path.name,
            column,
            int(bad.sum()),
            shown,
            POPULATION_RANGE_DE,
        )
    return pop.where(~bad)


def _polygons(gdf: gpd.GeoDataFrame, path: Path) -> np.ndarray:
    """Valid (Multi)Polygons of every feature; every feature must have area."""
    geoms = shapely.make_valid(gdf.geometry.to_numpy())
    n_fixed = int((~shapely.is_valid(gdf.geometry.to_numpy())).sum())
    if n_fixed:
        logger.info("%s: repaired %d invalid geometries", path.name, n_fixed)
    geoms = np.array([_extract_polygons(g) for g in geoms], dtype=object)
    no_poly = [i + 1 for i, g in enumerate(geoms) if g is None]
    if no_poly:
        shown = ", ".join(map(str, no_poly[:20]))
        msg = f"{len(no_poly)} features are not polygons (features {shown})"
        raise InputDataError(
            msg,
            file=path,
            row=no_poly[0],
            expected="Polygon or MultiPolygon",
            message_de=f"{len(no_poly)} Objekte sind keine Flächen (Objekt Nr. {shown})",
        )
    return geoms


def _extract_polygons(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygonal parts of a geometry (``None`` when it has none)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        return None
    return shapely.union_all(polys)


def _merge_duplicate_ags(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Merge features sharing an AGS (exclaves, land/water parts)."""
    dup = sorted(set(gdf.loc[gdf["ags"].duplicated(), "ags"]))
    logger.warning(
        "%s: merging features of %d repeated AGS (%s)", path.name, len(dup), ", ".join(dup[:5])
    )
    rows = []
    for ags, grp in gdf.groupby("ags", sort=False):
        pops = grp["population"].dropna()
        pop = (
            float("nan")
            if pops.empty
            else (float(pops.iloc[0]) if (pops == pops.iloc[0]).all() else float(pops.sum()))
        )
        rows.append(
            {
                "ags": ags,
                "gemeinde": grp["gemeinde"].iloc[0],
                "population": pop,
                "geometry": shapely.union_all(grp.geometry.to_numpy()),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs)


def _clip(
    gdf: gpd.GeoDataFrame, clip_to: BaseGeometry, keep_containing: gpd.GeoSeries | None = None
) -> gpd.GeoDataFrame:
    """Gemeinden overlapping ``clip_to`` by at least 1 %, plus those holding ``keep_containing``."""
    hits = gdf.sindex.query(clip_to, predicate="intersects")
    sub = gdf.iloc[np.sort(hits)]
    if clip_to.geom_type in ("Polygon", "MultiPolygon") and not sub.empty:
        inter = shapely.area(shapely.intersection(sub.geometry.to_numpy(), clip_to))
        share = inter / np.maximum(shapely.area(sub.geometry.to_numpy()), 1e-30)
        keep = share >= 0.01
        if keep_containing is not None and len(keep_containing):
            pts = keep_containing.to_crs(WGS84).to_numpy()
            _, poly_idx = sub.sindex.query(pts, predicate="within")
            keep[np.unique(poly_idx)] = True
        sub = sub[keep]
    return sub
