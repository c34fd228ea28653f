"""Travel-time bands (0–5, 5–10, … minutes) from the grid surface.

Isochrones drawn as convex or concave hulls around reachable points cover
land that is not reachable at all (forests, the far side of a river without
a bridge, cells further than the snapping limit from any road) — a known
complaint about such maps.  Here a band is the **union of the grid cells**
whose minutes fall into it: a cell without a route, or without inhabitants
and roads (absent from the grid), is in no band, so it shows as a hole.
The cells are aligned squares of the INSPIRE grid (EPSG:3035), which form a
valid polygon coverage; :func:`shapely.coverage_union_all` dissolves such a
coverage much faster than a general union and keeps the holes exact.

Band limits follow the "within" convention of the indicators: a cell with
exactly 5 minutes is in band ``0–5``; band ``5–10`` holds 5 < t ≤ 10, and
the last band ``> 20`` everything slower (up to the routing cutoff).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon

from erreichbarkeit.analysis.grid import GRID_CRS, GridResult
from erreichbarkeit.config import WGS84
from erreichbarkeit.errors import ConfigError, CRSError, InputDataError, MissingColumnError

__all__ = [
    "BAND_COLUMNS",
    "DEFAULT_BREAKS",
    "assign_bands",
    "band_labels",
    "bands_for_offers",
    "grid_bands",
    "travel_time_bands",
]

logger = logging.getLogger(__name__)

#: Default band limits in minutes (as the Thünen-Landatlas shares).
DEFAULT_BREAKS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0)
#: Columns of :func:`travel_time_bands` (besides the geometry).
BAND_COLUMNS: tuple[str, ...] = ("band", "min_lo", "min_hi", "area_km2", "population", "n_cells")


def _check_breaks(breaks: Sequence[float]) -> npt.NDArray[np.float64]:
    arr = np.asarray(list(breaks), dtype="float64")
    if arr.size == 0 or not np.all(np.isfinite(arr)) or arr[0] <= 0 or np.any(np.diff(arr) <= 0):
        msg = f"band limits must be positive and increasing, got {list(breaks)!r}"
        raise ConfigError(
            msg,
            column="breaks",
            expected="increasing minutes such as 5, 10, 15, 20",
            message_de=f"Ungültige Zeitstufen {list(breaks)!r} (erwartet z. B. 5, 10, 15, 20)",
        )
    return arr


def band_labels(breaks: Sequence[float] = DEFAULT_BREAKS) -> list[str]:
    """Labels of the bands, fastest first.

    Examples
    --------
    >>> band_labels((5, 10))
    ['0–5', '5–10', '> 10']
    """
    arr = _check_breaks(breaks)
    lows = [0.0, *arr]
    labels = [f"{lo:g}–{hi:g}" for lo, hi in zip(lows[:-1], arr, strict=True)]
    return [*labels, f"> {arr[-1]:g}"]


def assign_bands(
    minutes: npt.ArrayLike, breaks: Sequence[float] = DEFAULT_BREAKS
) -> npt.NDArray[Any]:
    """Band index per value: 0 for ``t <= breaks[0]``, …, ``len(breaks)`` above the last.

    NaN (unreachable) gives −1.

    Examples
    --------
    >>> assign_bands([0, 5, 5.1, 20, 21, float("nan")], (5, 10, 15, 20)).tolist()
    [0, 0, 1, 3, 4, -1]
    """
    arr = _check_breaks(breaks)
    t = np.asarray(minutes, dtype="float64")
    if np.any(t[~np.isnan(t)] < 0):
        msg = "negative travel minutes"
        raise InputDataError(msg, column="minutes", expected="minutes >= 0")
    idx = np.searchsorted(arr, np.nan_to_num(t, nan=0.0), side="left")
    return np.where(np.isnan(t), -1, idx)


def _as_multi(geom: Any) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    parts: list[Polygon] = []
    for g in polys:
        parts.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    return MultiPolygon(parts)


def _aligned_minutes(cells: gpd.GeoDataFrame, minutes: pd.Series) -> npt.NDArray[np.float64]:
    """Minutes per cell row: by ``cell_id`` when the Series is indexed by it, else by index."""
    if minutes.index.name == "cell_id" and "cell_id" in cells.columns:
        if minutes.index.has_duplicates:
            msg = "minutes have duplicate cell ids"
            raise InputDataError(msg, column="cell_id", expected="one value per cell")
        return minutes.reindex(cells["cell_id"].astype(str)).to_numpy("float64")
    return minutes.reindex(cells.index).to_numpy("float64")


def travel_time_bands(
    cells: gpd.GeoDataFrame,
    minutes: pd.Series,
    *,
    breaks: Sequence[float] = DEFAULT_BREAKS,
    crs_out: str | None = WGS84,
    population_column: str = "population",
) -> gpd.GeoDataFrame:
    """Dissolve grid cells into travel-time bands.

    Parameters
    ----------
    cells
        Grid cells (square polygons, best in EPSG:3035 as
        :func:`erreichbarkeit.analysis.grid.build_grid` makes them).
    minutes
        Minutes per cell, aligned with ``cells`` by index, or by ``cell_id``
        when the Series' index is named ``cell_id``.  NaN = unreachable: the
        cell is in no band.
    breaks
        Upper band limits in minutes (the last band is open).
    crs_out
        CRS of the returned polygons (``None``: EPSG:3035).
    population_column
        Column summed into ``population`` (NaN where the cells have none).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band that holds at least one cell, fastest first:
        ``band`` (``"0–5"``, …, ``"> 20"``), ``min_lo``, ``min_hi`` (NaN for
        the open band), ``area_km2`` (equal-area, EPSG:3035),
        ``population``, ``n_cells``, geometry MultiPolygon with a hole
        wherever a cell is unreachable or absent.

    Raises
    ------
    CRSError
        Cells without CRS.
    ConfigError
        Band limits not positive and increasing.
    InputDataError
        Negative minutes, duplicate cell ids.
    """
    arr = _check_breaks(breaks)
    limits = tuple(float(b) for b in arr)
    labels = band_labels(limits)
    if cells.crs is None:
        msg = "grid cells have no CRS"
        raise CRSError(msg, expected=GRID_CRS, message_de="Rasterzellen ohne KBS")
    t = _aligned_minutes(cells, minutes)
    band = assign_bands(t, limits)
    on_grid = CRS.from_user_input(cells.crs) == CRS.from_user_input(GRID_CRS)
    geoms = (cells.geometry if on_grid else cells.geometry.to_crs(GRID_CRS)).to_numpy()
    pop = (
        pd.to_numeric(cells[population_column], errors="coerce").to_numpy("float64")
        if population_column in cells.columns
        else np.full(len(cells), np.nan)
    )
    lows = np.r_[0.0, arr]
    rows: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        idx = np.flatnonzero(band == i)
        if idx.size:
            hi = float(arr[i]) if i < arr.size else math.nan
            rows.append(
                _band_row(
                    geoms[idx], pop[idx], label=label, lo=float(lows[i]), hi=hi, exact=on_grid
                )
            )
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*BAND_COLUMNS, "geometry"]), geometry="geometry", crs=GRID_CRS
    )
    logger.debug("%d bands from %d cells (%d unreachable)", len(out), len(t), int((band < 0).sum()))
    return out.to_crs(crs_out) if crs_out is not None else out


def _band_row(
    geoms: npt.NDArray[Any],
    pop: npt.NDArray[np.float64],
    *,
    label: str,
    lo: float,
    hi: float,
    exact: bool,
) -> dict[str, Any]:
    """One band: the union of its cells (a coverage union when ``exact``), area, population."""
    # aligned grid squares are a valid coverage; other input (reprojected
    # cells) may not match edge for edge, so it takes the general union
    geom = shapely.coverage_union_all(geoms) if exact else shapely.union_all(geoms, grid_size=0.01)
    return {
        "band": label,
        "min_lo": lo,
        "min_hi": hi,
        "area_km2": float(shapely.area(geom)) / 1e6,
        "population": float(np.nansum(pop)) if np.isfinite(pop).any() else math.nan,
        "n_cells": int(geoms.size),
        "geometry": _as_multi(geom),
    }


def bands_for_offers(
    cells: gpd.GeoDataFrame,
    offers_min: pd.DataFrame | None = None,
    offer_ids: Sequence[str] | None = None,
    category: str | None = None,
    *,
    mode: str | None = None,
    breaks: Sequence[float] = DEFAULT_BREAKS,
    crs_out: str | None = WGS84,
) -> gpd.GeoDataFrame:
    """Bands of the minutes to the nearest of some offers, or of a whole category.

    Parameters
    ----------
    cells
        Grid cells with ``cell_id`` (and ``<category>_<mode>_min`` for a category).
    offers_min
        Minutes per cell (index ``cell_id``) and offer (one column per offer
        id), as :func:`erreichbarkeit.analysis.grid.offer_minutes` returns them for
        one mode.  Needed for ``offer_ids``.
    offer_ids
        The selected offers: a cell's minutes are those to the nearest of
        them.  ``None`` with ``offers_min`` given: all its columns.
    category
        Without offers: use the cells' ``<category>_<mode>_min`` column.
    mode
        Mode of the category column.
    breaks, crs_out
        As in :func:`travel_time_bands`.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`travel_time_bands`.

    Raises
    ------
    MissingColumnError
        An offer id that is not a column of ``offers_min``, or a missing
        category column.
    ConfigError
        Neither offers nor a category (with mode) given.
    """
    if offers_min is not None and (offer_ids is not None or category is None):
        nearest = _nearest_of_offers(offers_min, offer_ids)
    elif category is not None and mode is not None:
        nearest = _category_minutes(cells, category, mode)
    else:
        msg = "give offer_ids with offers_min, or a category with a mode"
        raise ConfigError(
            msg,
            expected="offer_ids + offers_min, or category + mode",
            message_de="Angebote oder eine Kategorie mit Verkehrsmittel auswählen",
        )
    return travel_time_bands(cells, nearest, breaks=breaks, crs_out=crs_out)


def _nearest_of_offers(offers_min: pd.DataFrame, offer_ids: Sequence[str] | None) -> pd.Series:
    """Minutes per ``cell_id`` to the nearest of the selected offers (all columns: ``None``)."""
    ids = [str(i) for i in (offer_ids if offer_ids is not None else offers_min.columns)]
    missing = [i for i in ids if i not in offers_min.columns]
    if missing:
        msg = f"no minutes for offer(s) {', '.join(missing[:5])}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected="offer ids routed by grid.offer_minutes",
            message_de=f"Keine Fahrzeiten zu den Angeboten {', '.join(missing[:5])}",
        )
    if not ids:
        msg = "no offers selected"
        raise ConfigError(msg, expected="at least one offer id")
    # min over columns skips NaN and is NaN only where no selected offer is reachable
    nearest = offers_min.loc[:, ids].min(axis=1, skipna=True)
    nearest.index = nearest.index.astype(str).rename("cell_id")
    return nearest


def _category_minutes(cells: gpd.GeoDataFrame, category: str, mode: str) -> pd.Series:
    """The cells' minutes to the nearest offer of a category (``<category>_<mode>_min``)."""
    column = f"{category}_{mode}_min"
    if column not in cells.columns:
        msg = f"grid cells have no column {column}"
        raise MissingColumnError(
            msg,
            column=column,
            expected="a category and mode computed by grid.grid_travel_times",
            message_de=f"Für „{category}“ ({mode}) gibt es keine Fahrzeiten im Raster",
        )
    return pd.Series(cells[column].to_numpy("float64"), index=cells.index)


def grid_bands(
    grid: GridResult | None, categories: Sequence[str], modes: Sequence[str]
) -> gpd.GeoDataFrame:
    """Travel-time bands around every category's offers, per mode, from the grid.

    One row per category × mode × band (``0–5`` … ``> 20`` minutes), with
    holes where cells are unreachable (see :func:`bands_for_offers`).
    Empty when the run has no grid.
    """
    if grid is None:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    frames = []
    for cat in categories:
        for mode in modes:
            if f"{cat}_{mode}_min" not in grid.cells:
                continue
            part = bands_for_offers(grid.cells, category=cat, mode=mode)
            frames.append(part.assign(category=cat, mode=mode))
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    out = pd.concat(frames, ignore_index=True)
    first = ["category", "mode"]
    return gpd.GeoDataFrame(
        out[first + [c for c in out.columns if c not in first]], geometry="geometry", crs=WGS84
    )
