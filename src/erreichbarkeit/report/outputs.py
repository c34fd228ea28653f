"""All output files of a run: workbook, German CSVs, parquet, GeoPackage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis.bands import grid_bands
from erreichbarkeit.report import export
from erreichbarkeit.report.methodik import hinweise_table, methodik
from erreichbarkeit.results import Results

__all__ = ["export_results"]


def export_results(results: Results, out_dir: str | Path) -> dict[str, Path]:
    """Write the Excel workbook, German CSVs, parquet and GeoPackage.

    Returns
    -------
    dict[str, Path]
        Written files by kind.
    """
    extra_sheets: dict[str, pd.DataFrame] = {}
    extra_layers: dict[str, gpd.GeoDataFrame] = {}
    if len(results.supply):
        extra_sheets["Versorgung Orte"] = results.supply
        extra_sheets["Versorgung Gemeinden"] = results.supply_gemeinden
    grid = results.grid
    if grid is not None:
        size = f"{results.settings.grid_cell_m or 250:g}m"
        extra_sheets["Raster Gemeinden"] = grid.gemeinde
        extra_sheets["Raster Kreis"] = grid.kreis
        extra_layers[f"raster_{size}"] = grid.cells
        bands = grid_bands(grid, results.categories, results.settings.modes)
        if len(bands):
            extra_layers["reisezeitbaender"] = bands
    return export.export_all(
        Path(out_dir),
        villages=results.villages,
        gemeinden=results.gemeinden,
        offers=results.offers,
        travel_times=results.travel_times,
        boundaries=results.boundaries,
        methodik=methodik(results),
        hinweise=hinweise_table(results),
        extra_sheets=extra_sheets,
        extra_layers=extra_layers,
    )
