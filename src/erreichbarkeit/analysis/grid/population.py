"""Grid cells with population: disaggregating coarse and summing fine source grids.

:func:`build_grid` lays the cells over the Gemeinden and attaches the
population of a source grid (:mod:`~erreichbarkeit.analysis.grid.zensus`).
Coarser source cells (the open Zensus 2011 data has 1 km cells) are spread
over their sub-cells in proportion to the length of residential-type roads
in each (:func:`~erreichbarkeit.analysis.grid.settled.length_per_cell`),
equally where the source cell has no such road; the sum per source cell is
kept.  Finer source cells are summed into the cell holding their centre.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from erreichbarkeit.analysis.grid.cells import (
    boundaries_metric,
    cell_boxes,
    cell_frame,
    cell_size,
    locate,
)
from erreichbarkeit.analysis.grid.settled import length_per_cell
from erreichbarkeit.analysis.grid.zensus import population_from_table
from erreichbarkeit.config import ProgressCallback
from erreichbarkeit.errors import ConfigError

__all__ = ["build_grid"]

logger = logging.getLogger(__name__)


def build_grid(
    boundaries: gpd.GeoDataFrame,
    *,
    cell_m: float = 250,
    population: gpd.GeoDataFrame | pd.DataFrame | None = None,
    settled: gpd.GeoSeries | None = None,
    progress: ProgressCallback | None = None,
) -> gpd.GeoDataFrame:
    """Lay the grid cells over the Gemeinden and attach the population.

    Parameters
    ----------
    boundaries
        Gemeinden (``ags``, ``gemeinde``, polygons; any CRS).
    cell_m
        Cell size in metres; cells are aligned to multiples of it in
        EPSG:3035 (the INSPIRE grid).
    population
        A population grid
        (:func:`~erreichbarkeit.analysis.grid.zensus.read_population_grid`, or
        a Zensus-style table with ``x_mp``, ``y_mp``, ``Einwohner``).  Cells
        coarser than ``cell_m`` must be whole multiples of it and are
        disaggregated; finer cells are summed into the cell holding their
        centre.  ``None``: no population (``population`` NaN).
    settled
        Residential-type road lines (any CRS), the settlement proxy
        (:func:`~erreichbarkeit.analysis.grid.settled.settled_lines_from_network`).
    progress
        ``progress("Raster aufbauen", done, total)``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id``, ``ags``, ``gemeinde``, ``population``,
        ``population_source``, ``settled_m``, and ``children_under18``,
        ``children_source`` when the population grid has under-18 shares;
        geometry = cell polygon (EPSG:3035).  Only cells with inhabitants or
        residential-type roads are kept (every cell of the area when neither
        population nor roads are given).  Sorted by ``cell_id``.

    Raises
    ------
    ConfigError
        A cell size that is no whole number of metres, or a source grid
        coarser than ``cell_m`` but not a whole multiple of it.
    MissingColumnError, CRSError, InputDataError
        Unusable boundaries or population table.
    """
    size = cell_size(cell_m)
    bnd = boundaries_metric(boundaries)
    if progress:
        progress("Raster aufbauen", 0, 3)
    pop = _population_near(population, bnd, size)
    if pop is None or pop.empty:
        cells = _cells_without_population(bnd, size, settled)
        cells = cells.drop(columns=["children_under18", "children_source"])
    else:
        cells = _populated_cells(pop, bnd, size=size, settled=settled, progress=progress)
    if progress:
        progress("Raster aufbauen", 3, 3)
    cells = cells.sort_values("cell_id", kind="mergesort").reset_index(drop=True)
    logger.info("grid %d m: %d cells, population %.0f", size, len(cells), cells["population"].sum())
    return cells


def _population_near(
    population: gpd.GeoDataFrame | pd.DataFrame | None, bnd: gpd.GeoDataFrame, size: int
) -> gpd.GeoDataFrame | None:
    """The normalised population grid, only source cells within one cell of the area."""
    if population is None:
        return None
    pop = (
        population
        if isinstance(population, gpd.GeoDataFrame) and "source_cell_m" in population
        else population_from_table(pd.DataFrame(population), bounds=tuple(bnd.total_bounds))
    )
    src_m = float(pop["source_cell_m"].iloc[0]) if len(pop) else float(size)
    minx, miny, maxx, maxy = bnd.total_bounds
    x, y = pop["x_mp"].to_numpy("float64"), pop["y_mp"].to_numpy("float64")
    near = (x >= minx - src_m) & (x <= maxx + src_m) & (y >= miny - src_m)
    return pop.loc[near & (y <= maxy + src_m)]


def _populated_cells(
    pop: gpd.GeoDataFrame,
    bnd: gpd.GeoDataFrame,
    *,
    size: int,
    settled: gpd.GeoSeries | None,
    progress: ProgressCallback | None,
) -> gpd.GeoDataFrame:
    """Cells from source cells: disaggregated when coarser, summed when finer or equal."""
    src = float(pop["source_cell_m"].iloc[0])
    if src > size:
        if not float(src / size).is_integer():
            msg = f"source grid of {src:g} m is not a multiple of the {size} m cells"
            raise ConfigError(
                msg,
                column="grid_cell_m",
                expected=f"a divisor of {src:g} m (e.g. 250 for 1 km cells)",
                message_de=(
                    f"Das Bevölkerungsraster ({src:g} m) ist kein Vielfaches der "
                    f"Rasterweite {size} m"
                ),
            )
        cells = _disaggregate(
            pop, bnd, size=size, k=int(src // size), settled=settled, progress=progress
        )
    else:
        cells = _aggregate(pop, bnd, size, settled)
    if not pop.attrs.get("has_under18", pop["under18_pct"].notna().any()):
        cells = cells.drop(columns=["children_under18", "children_source"])
    return cells


def _parent_cells(
    pop: gpd.GeoDataFrame, bnd: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, npt.NDArray[np.int64]]:
    """Source cells whose centre lies in a Gemeinde, and the index of that Gemeinde."""
    centres = shapely.points(pop["x_mp"].to_numpy(), pop["y_mp"].to_numpy())
    where = locate(centres, bnd)
    inside = where >= 0
    return pop.loc[inside].reset_index(drop=True), where[inside]


def _children_shares(
    parents: pd.DataFrame,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any], float]:
    """Under-18 share per source cell; suppressed shares → the area's weighted mean."""
    share = parents["under18_pct"].to_numpy("float64") / 100.0
    pop = parents["population"].to_numpy("float64")
    known = ~np.isnan(share) & (np.nan_to_num(pop) > 0)
    weight = np.nan_to_num(pop[known])
    mean = float((share[known] * weight).sum() / weight.sum()) if weight.sum() > 0 else math.nan
    filled = np.where(np.isnan(share), mean, share)
    source = np.where(
        np.isnan(share),
        f"Anteil der Zelle geheim/unbekannt: Mittelwert des Gebiets ({mean * 100:.1f} %)",
        "Anteil unter 18 der Rasterzelle",
    ).astype(object)
    return filled, source, mean


def _cells_without_population(
    bnd: gpd.GeoDataFrame, size: int, settled: gpd.GeoSeries | None
) -> gpd.GeoDataFrame:
    """Cells of the area without population: those with residential-type roads (or all)."""
    minx, miny, maxx, maxy = bnd.total_bounds
    xs = np.arange(math.floor(minx / size) * size, math.ceil(maxx / size) * size, size, dtype=float)
    ys = np.arange(math.floor(miny / size) * size, math.ceil(maxy / size) * size, size, dtype=float)
    xx, yy = (a.ravel() for a in np.meshgrid(xs, ys))
    where = locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    inside = where >= 0
    xx, yy, where = xx[inside], yy[inside], where[inside]
    length = length_per_cell(settled, cell_boxes(xx, yy, size))
    if settled is not None:
        keep = length > 0
        xx, yy, where, length = xx[keep], yy[keep], where[keep], length[keep]
    n = len(xx)
    label = (
        "keine Einwohnerdaten (Zelle mit Wohn-/Erschließungsstraßen)"
        if settled is not None
        else "keine Einwohnerdaten (Fläche)"
    )
    return cell_frame(
        x_ll=xx,
        y_ll=yy,
        size=size,
        where=where,
        bnd=bnd,
        columns={
            "population": np.full(n, np.nan),
            "population_source": np.full(n, label, dtype=object),
            "settled_m": length,
            "children_under18": np.full(n, np.nan),
            "children_source": np.full(n, "", dtype=object),
        },
    )


def _disaggregate(
    pop: gpd.GeoDataFrame,
    bnd: gpd.GeoDataFrame,
    *,
    size: int,
    k: int,
    settled: gpd.GeoSeries | None,
    progress: ProgressCallback | None,
) -> gpd.GeoDataFrame:
    """Spread each in-area source cell over its k × k sub-cells by road length."""
    parents, p_where = _parent_cells(pop, bnd)
    src = float(pop["source_cell_m"].iloc[0])
    n_par = len(parents)
    # sub-cell lower-left corners: parent lower-left + (i, j) · size, i, j = 0 … k−1
    offs = np.arange(k, dtype=float) * size
    ox, oy = (a.ravel() for a in np.meshgrid(offs, offs))
    px = parents["x_mp"].to_numpy("float64") - src / 2.0
    py = parents["y_mp"].to_numpy("float64") - src / 2.0
    xx = (px[:, None] + ox[None, :]).ravel()
    yy = (py[:, None] + oy[None, :]).ravel()
    parent = np.repeat(np.arange(n_par), k * k)
    if progress:
        progress("Raster aufbauen", 1, 3)
    length = length_per_cell(settled, cell_boxes(xx, yy, size))
    total = np.bincount(parent, weights=length, minlength=n_par)
    p_pop = parents["population"].to_numpy("float64")
    secret = parents["secret"].to_numpy(bool)
    has_roads = total[parent] > 0
    share = np.where(has_roads, length / np.where(total[parent] > 0, total[parent], 1.0), 1 / k**2)
    values = p_pop[parent] * share
    how = f"Raster {src:g} m → {size} m"
    label = np.where(
        has_roads,
        f"{how}, verteilt nach Länge der Wohn-/Erschließungsstraßen",
        f"{how}, gleich verteilt (keine Wohn-/Erschließungsstraßen in der {src:g}-m-Zelle)"
        if settled is not None
        else f"{how}, gleich verteilt (kein Siedlungsindikator)",
    ).astype(object)
    label[secret[parent]] = f"{how}: Einwohnerzahl geheim (−9), unbekannt"
    c_share, c_source, _ = _children_shares(parents)
    children = values * c_share[parent]
    # inhabited or settled sub-cells; of a secret source cell those with roads (all without)
    keep = (np.nan_to_num(values) > 0) | (length > 0)
    keep |= secret[parent] & ~has_roads
    label[keep & (np.nan_to_num(values) == 0) & ~secret[parent]] = (
        f"{how}: unbewohnt laut Raster (Zelle mit Wohn-/Erschließungsstraßen)"
    )
    if progress:
        progress("Raster aufbauen", 2, 3)
    xx, yy, parent = xx[keep], yy[keep], parent[keep]
    own = locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    where = np.where(own >= 0, own, p_where[parent])
    children = np.where(np.nan_to_num(values[keep]) > 0, children[keep], 0.0)
    children[np.isnan(values[keep])] = np.nan
    return cell_frame(
        x_ll=xx,
        y_ll=yy,
        size=size,
        where=where,
        bnd=bnd,
        columns={
            "population": values[keep],
            "population_source": label[keep],
            "settled_m": length[keep],
            "children_under18": children,
            "children_source": np.where(
                np.nan_to_num(values[keep]) > 0, c_source[parent], ""
            ).astype(object),
            "source_id": parents["source_id"].to_numpy(dtype=object)[parent],
        },
    )


def _aggregate(
    pop: gpd.GeoDataFrame, bnd: gpd.GeoDataFrame, size: int, settled: gpd.GeoSeries | None
) -> gpd.GeoDataFrame:
    """Sum finer (or equal) source cells into the cell holding their centre."""
    src = float(pop["source_cell_m"].iloc[0])
    c_share, c_source, mean = _children_shares(pop)
    gx = np.floor(pop["x_mp"].to_numpy("float64") / size) * size
    gy = np.floor(pop["y_mp"].to_numpy("float64") / size) * size
    values = pop["population"].to_numpy("float64")
    table = pd.DataFrame(
        {
            "x": gx,
            "y": gy,
            "population": values,
            "children": values * c_share,
            "secret": pop["secret"].to_numpy(bool),
            "estimated": np.isnan(pop["under18_pct"].to_numpy("float64")) & (values > 0),
        }
    )
    agg = table.groupby(["x", "y"], sort=False).agg(
        population=("population", "sum"),
        n_known=("population", "count"),
        children=("children", "sum"),
        secret=("secret", "any"),
        estimated=("estimated", "any"),
    )
    xx = agg.index.get_level_values("x").to_numpy("float64")
    yy = agg.index.get_level_values("y").to_numpy("float64")
    where = locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    length = length_per_cell(settled, cell_boxes(xx, yy, size))
    # secret source cells count as 0 in a sum; a cell of only secret sources is unknown
    values = agg["population"].to_numpy("float64", copy=True)
    values[agg["n_known"].to_numpy() == 0] = np.nan
    keep = (where >= 0) & ((np.nan_to_num(values) > 0) | (length > 0) | agg["secret"].to_numpy())
    how = f"Raster {src:g} m" if src == size else f"Raster {src:g} m, summiert auf {size} m"
    label = np.full(len(values), how, dtype=object)
    label[agg["secret"].to_numpy()] = f"{how} (enthält geheime Werte −9, als 0 gezählt)"
    label[np.nan_to_num(values) == 0] = f"{how}: unbewohnt (Zelle mit Wohn-/Erschließungsstraßen)"
    del c_source  # per source cell; summed cells get one label
    c_label = np.where(
        agg["estimated"].to_numpy(),
        f"Anteil unter 18 der Rasterzellen, teils Mittelwert des Gebiets ({mean * 100:.1f} %)",
        "Anteil unter 18 der Rasterzellen",
    ).astype(object)
    return cell_frame(
        x_ll=xx[keep],
        y_ll=yy[keep],
        size=size,
        where=where[keep],
        bnd=bnd,
        columns={
            "population": values[keep],
            "population_source": label[keep],
            "settled_m": length[keep],
            "children_under18": agg["children"].to_numpy("float64")[keep],
            "children_source": c_label[keep],
        },
    )
