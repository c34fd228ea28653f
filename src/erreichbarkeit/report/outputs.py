"""All output files of a run: workbook, German CSVs, parquet, GeoPackage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from erreichbarkeit._atomic import sweep_stale
from erreichbarkeit.analysis.bands import grid_bands
from erreichbarkeit.analysis.need import need_sheet
from erreichbarkeit.config.outpaths import (
    RUN_OUTPUT_FILES,
    check_no_overwrite,
    check_output_folder,
    input_paths,
    run_output_names,
)
from erreichbarkeit.report import export
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.methodik import hinweise_table, methodik
from erreichbarkeit.report.outreach import OUTREACH_SHEET, outreach_sheet
from erreichbarkeit.report.responsibility import RESPONSIBILITY_SHEET, responsibility_sheet
from erreichbarkeit.results import Results

__all__ = ["export_results"]


def export_results(
    results: Results, out_dir: str | Path, *, created: date | None = None
) -> dict[str, Path]:
    """Write the Excel workbook, German CSVs, parquet and GeoPackage.

    With ``created`` the files carry German names with the region and that
    date (``Erreichbarkeit_Beispielkreis_fiktiv_2026-12-05.xlsx``, ``Orte_…csv``;
    :func:`~erreichbarkeit.config.outpaths.run_output_names`); without, the
    fixed names of :data:`~erreichbarkeit.config.outpaths.RUN_OUTPUT_FILES`.

    Before anything is written, the folder is checked: it must not be a file
    and must be writable, and none of the export files
    (:data:`~erreichbarkeit.config.outpaths.RUN_OUTPUT_FILES`) may be one of
    the run's input files.  Temporaries of killed earlier exports are removed.

    Returns
    -------
    dict[str, Path]
        Written files by kind.

    Raises
    ------
    ConfigError
        If ``out_dir`` is a file or not writable, or an export file would
        replace an input (e.g. ``out_dir`` is the folder of an offers list
        named ``angebote.csv``).
    """
    out = Path(out_dir)
    names = (
        run_output_names(results.settings.area_name, created) if created is not None else None
    )
    files = list(names.values()) if names is not None else list(RUN_OUTPUT_FILES)
    check_no_overwrite([out / n for n in files], input_paths(results.settings))
    check_output_folder(out, flag="out_dir")
    sweep_stale(out)
    extra_sheets: dict[str, pd.DataFrame] = {}
    extra_layers: dict[str, gpd.GeoDataFrame] = {}
    if len(results.supply):
        extra_sheets["Versorgung Orte"] = results.supply
        extra_sheets["Versorgung Gemeinden"] = results.supply_gemeinden
    if len(results.transit_gemeinden):
        extra_sheets["Bus & Bahn Gemeinden"] = results.transit_gemeinden
    if len(results.transit):
        extra_sheets["Bus & Bahn Verbindungen"] = results.transit
    if len(results.responsibility):
        extra_sheets[RESPONSIBILITY_SHEET] = responsibility_sheet(results.responsibility)
    if len(results.inputs.outreach):  # aufsuchende Angebote (report/outreach.py)
        extra_sheets[OUTREACH_SHEET] = outreach_sheet(results)
    if results.need is not None:  # the ranking by need (analysis/need.py)
        extra_sheets["Bedarf"] = need_sheet(results)
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
        out,
        villages=results.villages,
        gemeinden=results.gemeinden,
        offers=results.offers,
        travel_times=results.travel_times,
        boundaries=results.boundaries,
        methodik=methodik(results),
        hinweise=hinweise_table(results),
        extra_sheets=extra_sheets,
        extra_layers=extra_layers,
        headers=ColumnHeaders({k: c.label for k, c in results.settings.categories().items()}),
        names=names,
    )
