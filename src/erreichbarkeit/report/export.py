"""Exports a Kreisjugendamt can open: Excel with a Methodik sheet, German CSV, GeoPackage.

:func:`export_all` writes every result file of a run; the writers per format
live in :mod:`~erreichbarkeit.report.xlsx` (:func:`write_excel`),
:mod:`~erreichbarkeit.report.csv_de` (:func:`write_csv_de`) and
:mod:`~erreichbarkeit.report.gpkg` (:func:`write_geopackage`,
:func:`write_parquet`) and are re-exported here; the formula-injection rule
(:func:`safe_cell`) is explained in :mod:`erreichbarkeit.report.cells`.

Every file is written atomically (temporary file beside the target, then
``os.replace`` via :mod:`erreichbarkeit._atomic`): readers see the old file or
the complete new one, never a half-written file.

Coordinate systems
------------------
All tables handed in are in EPSG:4326.  Excel and CSV get ``lon``/``lat``
columns (WGS84 degrees) instead of geometries.  The GeoPackage is written in
EPSG:25832 (ETRS89 / UTM 32N), the metric CRS German surveying and GIS
offices use (and VG250 ships in), so distances and areas measured in QGIS are
in metres.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config.outpaths import RUN_OUTPUT_FILES
from erreichbarkeit.report.cells import plain_table, safe_cell
from erreichbarkeit.report.csv_de import write_csv_de
from erreichbarkeit.report.gpkg import write_geopackage, write_parquet
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.xlsx import EXCEL_MAX_ROWS, METHODIK_SHEET, write_excel

#: The fixed file names by kind (the order of :data:`RUN_OUTPUT_FILES`).
_FIXED_NAMES: Mapping[str, str] = dict(
    zip(
        ("xlsx", "orte_csv", "gemeinden_csv", "angebote_csv", "reisezeiten_csv",
         "reisezeiten_parquet", "gpkg", "hinweise_csv"),
        RUN_OUTPUT_FILES,
        strict=True,
    )
)  # fmt: skip

__all__ = [
    "EXCEL_MAX_ROWS",
    "METHODIK_SHEET",
    "export_all",
    "safe_cell",
    "write_csv_de",
    "write_excel",
    "write_geopackage",
    "write_parquet",
]


def _travel_times_readable(
    travel_times: pd.DataFrame, villages: pd.DataFrame, offers: pd.DataFrame
) -> pd.DataFrame:
    """The long table with village and offer names and the offer category."""
    tt = pd.DataFrame(travel_times)
    out = pd.DataFrame({"origin_id": tt["origin_id"]})
    if {"id", "name"} <= set(villages.columns):
        names = pd.Series(villages["name"].to_numpy(), index=villages["id"].to_numpy())
        out["origin_name"] = tt["origin_id"].map(names)
    out["destination_id"] = tt["destination_id"]
    for col, label in (("name", "destination_name"), ("category", "category")):
        if {"id", col} <= set(offers.columns):
            values = pd.Series(offers[col].to_numpy(), index=offers["id"].to_numpy())
            out[label] = tt["destination_id"].map(values)
    rest = [c for c in tt.columns if c not in ("origin_id", "destination_id")]
    return pd.concat([out, tt.loc[:, rest]], axis=1)


def _gemeinden_wide(gemeinden: pd.DataFrame) -> pd.DataFrame:
    """One row per Gemeinde: pivot a long table (with ``category``/``mode``) to wide.

    Wide column names are ``<category>_<mode>_<indicator>``; ``n_villages``
    is kept once.  A table without ``category``/``mode`` is returned as is.
    """
    if not {"category", "mode"} <= set(gemeinden.columns):
        return gemeinden
    keys = [c for c in ("ags", "gemeinde") if c in gemeinden.columns]
    values = [c for c in gemeinden.columns if c not in (*keys, "category", "mode")]
    base = gemeinden.loc[:, keys].drop_duplicates().reset_index(drop=True)
    once = [c for c in ("n_villages", "coverage_share", "gemeinde_partial") if c in values]
    first = True
    for (cat, mode), part in gemeinden.groupby(["category", "mode"], sort=False):
        per = [c for c in values if c not in once]
        cols = keys + (once if first else []) + per
        renamed = part.loc[:, cols].rename(columns={c: f"{cat}_{mode}_{c}" for c in per})
        base = base.merge(renamed, on=keys, how="left")
        first = False
    return base


def export_all(
    out_dir: str | Path,
    *,
    villages: gpd.GeoDataFrame,
    gemeinden: pd.DataFrame,
    offers: gpd.GeoDataFrame,
    travel_times: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None,
    methodik: Sequence[tuple[str, str]] | pd.DataFrame,
    hinweise: pd.DataFrame | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
    extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    long_table_max_rows: int = 200_000,
    headers: ColumnHeaders | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write all result files into ``out_dir``.

    Files: ``erreichbarkeit.xlsx`` (sheets Orte, Gemeinden, Angebote,
    Reisezeiten, Methodik), ``orte.csv``, ``gemeinden.csv``, ``angebote.csv``,
    ``reisezeiten.csv`` (German CSV), ``reisezeiten.parquet`` (the long table
    as given) and ``erreichbarkeit.gpkg`` (layers ``orte``, ``angebote`` and,
    with boundaries, ``gemeinden`` = boundaries joined with the Gemeinde
    table on ``ags``) in EPSG:25832.  Reisezeiten in Excel and CSV get the
    village name, offer name and category.  Each file is replaced atomically.

    Parameters
    ----------
    out_dir
        Output folder (created if missing).
    villages, offers
        The village table (:func:`erreichbarkeit.analysis.indicators.village_table`)
        and the offers, as GeoDataFrames in EPSG:4326.
    gemeinden
        The Gemeinde table, wide (:func:`~erreichbarkeit.analysis.indicators.gemeinde_table`)
        or long (:func:`~erreichbarkeit.analysis.indicators.gemeinde_long`); sheet and
        CSV as given, the GeoPackage layer always wide (one polygon per Gemeinde).
    travel_times
        The long table ``origin_id, destination_id, mode, minutes, km``.
    boundaries
        Gemeinde polygons with ``ags`` (EPSG:4326), or ``None``.
    methodik
        Rows from :func:`erreichbarkeit.report.methodik.methodik_rows`.
    hinweise
        Row problems of the input lists (file, row, column, message), written
        as sheet *Hinweise* and ``hinweise.csv`` when not empty.
    extra_sheets, extra_layers
        Further tables for the workbook (before *Hinweise* and *Methodik*),
        e.g. the grid indicators; further GeoPackage layers, e.g. the grid
        cells and travel-time bands.
    long_table_max_rows
        Above this many rows the Reisezeiten sheet is left out of the workbook
        (noted in Methodik); CSV and Parquet always hold all rows.
    headers, names
        German column labels of workbook and CSVs (default: built-in categories);
        file name per kind (keys as returned), e.g. :func:`.outpaths.run_output_names`.

    Returns
    -------
    dict[str, Path]
        Paths by kind: ``xlsx``, ``orte_csv``, ``gemeinden_csv``,
        ``angebote_csv``, ``reisezeiten_csv``, ``reisezeiten_parquet``, ``gpkg``,
        and ``hinweise_csv`` when there are row problems (an earlier one is removed).
    """
    out, files = Path(out_dir), {**_FIXED_NAMES, **(names or {})}
    out.mkdir(parents=True, exist_ok=True)
    notes = hinweise if hinweise is not None and len(hinweise) else None
    tables = _tables(villages, gemeinden, offers, travel_times)
    labels = headers if headers is not None else ColumnHeaders()
    sheets = {**tables, **(extra_sheets or {})}
    paths = {"xlsx": _workbook(out / files["xlsx"], sheets, notes, methodik,
                               max_rows=long_table_max_rows, headers=labels)}  # fmt: skip
    paths.update(_write_tables(out, tables, travel_times, notes, labels, files=files))
    layers = {"orte": villages, "angebote": offers, **(extra_layers or {})}
    if boundaries is not None:
        layers["gemeinden"] = _gemeinde_polygons(boundaries, tables["Gemeinden"])
    paths["gpkg"] = write_geopackage(out / files["gpkg"], layers)
    _remove_unwritten(out, paths.values(), files.values())
    return paths


def _workbook(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    hinweise: pd.DataFrame | None,
    methodik: Sequence[tuple[str, str]] | pd.DataFrame,
    *,
    max_rows: int,
    headers: ColumnHeaders,
) -> Path:
    """The workbook (sheets, then *Hinweise*) with German headers.

    The GeoPackage and Parquet keep the machine names.
    """
    return write_excel(
        path,
        {**sheets, **({"Hinweise": hinweise} if hinweise is not None else {})},
        methodik=methodik,
        max_rows_per_sheet=max_rows,
        headers=headers,
    )


def _remove_unwritten(
    out: Path, written: Iterable[Path], names: Iterable[str] = RUN_OUTPUT_FILES
) -> list[Path]:
    """Remove the files of ``names`` this run did not write (and nothing else).

    A rerun into the same folder must not leave, say, the ``hinweise.csv`` of
    an earlier input beside results that have no problems: after the export
    the folder holds exactly this run's files of the set; other files in it
    are never touched.
    """
    keep = {p.name for p in written}
    removed = []
    for name in names:
        path = out / name
        if name not in keep and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def _tables(
    villages: gpd.GeoDataFrame,
    gemeinden: pd.DataFrame,
    offers: gpd.GeoDataFrame,
    travel_times: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The four result tables by sheet name (Reisezeiten with names and category)."""
    return {
        "Orte": villages,
        "Gemeinden": plain_table(gemeinden),
        "Angebote": offers,
        "Reisezeiten": _travel_times_readable(travel_times, villages, offers),
    }


def _write_tables(
    out: Path,
    tables: Mapping[str, pd.DataFrame],
    travel_times: pd.DataFrame,
    hinweise: pd.DataFrame | None,
    headers: ColumnHeaders,
    *,
    files: Mapping[str, str],
) -> dict[str, Path]:
    """German CSV of each table, the travel times as Parquet, the row problems as CSV."""
    stems = {"Orte": "orte", "Gemeinden": "gemeinden", "Angebote": "angebote"}
    stems["Reisezeiten"] = "reisezeiten"
    paths = {
        f"{stem}_csv": write_csv_de(out / files[f"{stem}_csv"], tables[k], headers=headers)
        for k, stem in stems.items()
    }
    parquet = out / files["reisezeiten_parquet"]
    paths["reisezeiten_parquet"] = write_parquet(parquet, travel_times)
    if hinweise is not None:
        paths["hinweise_csv"] = write_csv_de(out / files["hinweise_csv"], hinweise,
                                             headers=headers)  # fmt: skip
    return paths


def _gemeinde_polygons(boundaries: gpd.GeoDataFrame, gemeinden: pd.DataFrame) -> gpd.GeoDataFrame:
    """The boundaries joined on ``ags`` with the (wide) Gemeinde table."""
    own = ("ags", "gemeinde", "coverage_share", "gemeinde_partial")
    keep = [c for c in own if c in boundaries.columns]
    wide = _gemeinden_wide(gemeinden)
    right = wide.drop(columns=[c for c in own[1:] if c in wide.columns])
    poly = boundaries.loc[:, [*keep, boundaries.geometry.name]].merge(right, on="ags", how="left")
    return gpd.GeoDataFrame(poly, geometry=boundaries.geometry.name)
