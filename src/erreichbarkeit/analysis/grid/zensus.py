"""Reading Zensus-style population grids into one normalised table.

A population grid lists cells by their centre (``x_mp``/``y_mp`` or
``x_mitte``/``y_mitte`` in EPSG:3035) with ``Einwohner`` (−1 = uninhabited,
−9 or ``–`` = secret) and optionally ``unter18_A`` (% under 18), as the
Zensus 2011/2022 downloads do; or it is a GIS layer of square cell
polygons with such a population column.  :func:`read_population_grid`
turns either into the columns of :data:`POPULATION_COLUMNS`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from erreichbarkeit.analysis.grid.cells import GRID_CRS, cell_boxes, inspire_ids
from erreichbarkeit.errors import CRSError, InputDataError, MissingColumnError

__all__ = ["POPULATION_COLUMNS", "population_from_table", "read_population_grid"]

#: Columns of the normalised population table (:func:`read_population_grid`).
POPULATION_COLUMNS: tuple[str, ...] = (
    "source_id",
    "x_mp",
    "y_mp",
    "source_cell_m",
    "population",
    "secret",
    "under18_pct",
    "geometry",
)


_X_NAMES = ("x_mp", "x_mitte", "x", "x_centre", "x_center")
_Y_NAMES = ("y_mp", "y_mitte", "y", "y_centre", "y_center")
_POP_NAMES = ("einwohner", "population", "ewz", "pop", "bevoelkerung", "bevölkerung")
_U18_NAMES = ("unter18_a", "under18_pct", "unter18")
_ID_NAMES = ("gitter_id_1km", "gitter_id_100m", "gitter_id_250m", "gitter_id", "cell_id", "id")
_SECRET = -9.0
_UNINHABITED = -1.0
#: More inhabitants than this in one cell (even 1 km²) is a typing error.
_MAX_CELL_POPULATION = 1_000_000
_SECRET_TEXT = frozenset({"–", "-", "—", "x", "."})  # German statistics' "secret"/"none" marks
_CANDIDATE_SIZES = (10_000.0, 5_000.0, 1_000.0, 500.0, 250.0, 200.0, 100.0, 50.0)


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower = {str(c).lower(): str(c) for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _row_numbers(index: pd.Index) -> npt.NDArray[np.int64]:
    """1-based row numbers as a spreadsheet shows them (header = row 1).

    Tables read by :func:`read_population_grid` carry them as an index named
    ``row`` (blank lines skipped); other tables count from row 2.
    """
    if index.name == "row":
        return np.asarray(index, dtype=np.int64)
    return np.arange(len(index), dtype=np.int64) + 2


def _numbers(values: pd.Series, *, file: Path | None, column: str) -> npt.NDArray[np.float64]:
    """Parse a column of counts/percentages (German decimal comma, secret marks → −9)."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce").to_numpy("float64")
    text = values.astype("string").str.strip()
    text = text.mask(text.isin(_SECRET_TEXT), str(_SECRET))
    # German decimal comma ("17,4"; "1.234,5" with thousands dots); "17.4" stays as it is
    comma = text.str.contains(",", regex=False).fillna(False)
    text = text.where(~comma, text.str.replace(".", "", regex=False).str.replace(",", "."))
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna() & (text != "")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"not a number: {values.iloc[pos]!r}"
        raise InputDataError(
            msg,
            file=file,
            row=int(_row_numbers(values.index)[pos]),
            column=column,
            expected="a number (−1 = unbewohnt, −9 = geheim)",
            message_de=f"Keine Zahl: „{values.iloc[pos]}“",
        )
    return num.to_numpy("float64")


def _size_from_ids(ids: pd.Series | None, column: str | None) -> float | None:
    """Cell size from an id column: ``1kmN…``, ``100mN…`` or ``CRS3035RES250mN…``."""
    if ids is None or ids.empty:
        return None
    for text, pattern in ((str(ids.iloc[0]), r"(\d+)(km|m)N\d"), (column or "", r"(\d+)(km|m)$")):
        m = re.search(pattern, text)
        if m:
            return float(m.group(1)) * (1000.0 if m.group(2) == "km" else 1.0)
    return None


def _size_from_centres(x: npt.NDArray[Any], y: npt.NDArray[Any]) -> float | None:
    """The largest usual cell size whose centres all coordinates are."""
    for size in _CANDIDATE_SIZES:
        half = size / 2.0
        if np.all(np.isclose((x - half) % size, 0.0, atol=0.01)) and np.all(
            np.isclose((y - half) % size, 0.0, atol=0.01)
        ):
            return size
    return None


def _check_pop(
    pop: npt.NDArray[np.float64], u18: npt.NDArray[np.float64] | None, file: Path | None,
    pop_col: str, u18_col: str | None, *, rows: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:  # fmt: skip
    """Zensus codes → population (0 uninhabited, NaN secret), secret flag, share (NaN unknown)."""
    bad = (
        ~np.isfinite(pop)
        | ((pop < 0) & (pop != _UNINHABITED) & (pop != _SECRET))
        | (pop > _MAX_CELL_POPULATION)
    )
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        msg = f"invalid population value {float(pop[pos])!r}"
        raise InputDataError(
            msg,
            file=file,
            row=int(rows[pos]),
            column=pop_col,
            expected=f"inhabitants 0 … {_MAX_CELL_POPULATION:,}, −1 (unbewohnt) or −9 (geheim)",
            message_de=f"Ungültige Einwohnerzahl {float(pop[pos])!r} (erwartet 0 bis 1 000 000, "
            "−1 oder −9)",
        )
    secret = pop == _SECRET
    population = np.where(pop == _UNINHABITED, 0.0, pop)
    population[secret] = np.nan
    share = np.full(pop.shape, np.nan)
    if u18 is not None:
        bad = ~np.isnan(u18) & ~((u18 >= 0) & (u18 <= 100)) & (u18 != _UNINHABITED)
        bad &= u18 != _SECRET
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            msg = f"invalid share of under-18s {u18[pos]!r}"
            raise InputDataError(
                msg,
                file=file,
                row=int(rows[pos]),
                column=u18_col,
                expected="a percentage 0 … 100, −1 or −9",
                message_de=f"Ungültiger Anteil unter 18 {u18[pos]!r} (erwartet 0 … 100 %)",
            )
        share = np.where((u18 >= 0) & (u18 <= 100), u18, np.nan)
    return population, secret, share


def population_from_table(
    table: pd.DataFrame,
    *,
    file: Path | None = None,
    cell_m: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Normalise a Zensus-style table of cell centres (see :func:`read_population_grid`)."""
    cols = [str(c) for c in table.columns]
    x_col, y_col, pop_col = _required_columns(cols, file)
    rows = _row_numbers(table.index)
    x = _numbers(table[x_col], file=file, column=x_col)
    y = _numbers(table[y_col], file=file, column=y_col)
    _check_metres(((x, x_col), (y, y_col)), file=file, rows=rows)
    u18_col = _find(cols, _U18_NAMES)
    u18 = _numbers(table[u18_col], file=file, column=u18_col) if u18_col else None
    pop, secret, share = _check_pop(
        _numbers(table[pop_col], file=file, column=pop_col), u18, file, pop_col, u18_col, rows=rows
    )
    id_col = _find(cols, _ID_NAMES)
    ids = table[id_col].astype(str) if id_col else None
    size = _source_cell_size(cell_m, ids, id_col, x, y, file=file, column=x_col)
    _check_unique_cells(x, y, size, file=file, rows=rows, column=x_col)
    keep = np.ones(len(x), dtype=bool)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        keep = (x >= minx - size) & (x <= maxx + size) & (y >= miny - size) & (y <= maxy + size)
    x, y = x[keep], y[keep]
    half = size / 2.0
    source_id = (
        ids.to_numpy(dtype=object)[keep]
        if ids is not None
        else inspire_ids(x - half, y - half, size)
    )
    frame = pd.DataFrame(
        {
            "source_id": source_id,
            "x_mp": x,
            "y_mp": y,
            "source_cell_m": float(size),
            "population": pop[keep],
            "secret": secret[keep],
            "under18_pct": share[keep],
        }
    )
    out = gpd.GeoDataFrame(frame, geometry=cell_boxes(x - half, y - half, size), crs=GRID_CRS)
    out.attrs["has_under18"] = u18_col is not None
    out.attrs["source_file"] = file.name if file is not None else ""
    return out


def _required_columns(cols: Sequence[str], file: Path | None) -> tuple[str, str, str]:
    """The centre x, centre y and population columns, or a :class:`MissingColumnError`."""
    x_col, y_col = _find(cols, _X_NAMES), _find(cols, _Y_NAMES)
    pop_col = _find(cols, _POP_NAMES)
    for col, what in ((x_col, "x_mp"), (y_col, "y_mp"), (pop_col, "Einwohner")):
        if col is None:
            msg = f"population grid lacks a column {what}; columns found: {', '.join(cols)}"
            raise MissingColumnError(
                msg,
                file=file,
                column=what,
                expected="x_mp, y_mp (cell centre, EPSG:3035) and Einwohner",
                message_de=(
                    f"Dem Bevölkerungsraster fehlt die Spalte „{what}“ (erwartet x_mp, y_mp "
                    f"in EPSG:3035 und Einwohner); vorhanden: {', '.join(cols)}"
                ),
            )
    assert x_col is not None and y_col is not None and pop_col is not None
    return x_col, y_col, pop_col


def _check_metres(
    coordinates: Sequence[tuple[npt.NDArray[np.float64], str]],
    *,
    file: Path | None,
    rows: npt.NDArray[np.int64],
) -> None:
    """Raise a :class:`CRSError` at the first coordinate that is no EPSG:3035 metre value."""
    for arr, col in coordinates:
        bad = np.isnan(arr) | (arr < 1_000_000) | (arr > 8_000_000)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            msg = f"coordinate {arr[pos]!r} is not an EPSG:3035 metre value in Europe"
            raise CRSError(
                msg,
                file=file,
                row=int(rows[pos]),
                column=col,
                expected="EPSG:3035 metres (e.g. x_mp 4300500, y_mp 3132500)",
                message_de=(
                    f"Koordinate {arr[pos]!r} ist kein EPSG:3035-Meterwert "
                    "(erwartet z. B. x_mp 4300500, y_mp 3132500)"
                ),
            )


def _source_cell_size(
    cell_m: float | None,
    ids: pd.Series | None,
    id_col: str | None,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    file: Path | None,
    column: str,
) -> float:
    """The cell size: as given, else from the ids, else from the centres."""
    size = cell_m or _size_from_ids(ids, id_col) or _size_from_centres(x, y)
    if size is None:
        msg = "cannot tell the cell size of the population grid"
        raise InputDataError(
            msg,
            file=file,
            column=column,
            expected="cell centres of a regular grid (e.g. …500 for 1 km cells)",
            message_de="Die Zellgröße des Bevölkerungsrasters ist nicht erkennbar",
        )
    return size


def _check_unique_cells(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    size: float,
    *,
    file: Path | None,
    rows: npt.NDArray[np.int64],
    column: str,
) -> None:
    """Raise an :class:`InputDataError` when two rows describe the same cell."""
    # A cell listed twice would count its inhabitants twice.
    cell_key = pd.Series(list(zip(np.floor(x / size), np.floor(y / size), strict=True)))
    dup = cell_key.duplicated(keep=False).to_numpy()
    if dup.any():
        first, second = (int(rows[i]) for i in np.flatnonzero(dup)[:2])
        msg = f"rows {first} and {second} describe the same grid cell"
        raise InputDataError(
            msg,
            file=file,
            row=second,
            column=column,
            expected="each grid cell once",
            message_de=f"Zeilen {first} und {second} beschreiben dieselbe Rasterzelle "
            "(sie würde doppelt gezählt)",
        )


def _population_from_layer(
    gdf: gpd.GeoDataFrame, *, file: Path, bounds: tuple[float, float, float, float] | None
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = "the population layer has no CRS"
        raise CRSError(
            msg,
            file=file,
            expected="a layer with a CRS (EPSG:3035 for INSPIRE grids)",
            message_de="Die Rasterebene hat kein Koordinatenbezugssystem",
        )
    cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    poly = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not poly.all():
        pos = int(np.flatnonzero(~poly)[0])
        msg = "population layer holds a non-polygon feature"
        raise InputDataError(
            msg,
            file=file,
            row=pos + 2,
            column="geometry",
            expected="cell polygons",
            message_de="Die Rasterebene enthält keine Zellpolygone",
        )
    metric = gdf.to_crs(GRID_CRS)
    centre = shapely.centroid(metric.geometry.to_numpy())
    sizes = np.sqrt(shapely.area(metric.geometry.to_numpy()))
    size = float(np.round(np.median(sizes) / 10.0) * 10.0)
    coord_names = {*_X_NAMES, *_Y_NAMES}
    table = pd.DataFrame(gdf[[c for c in cols if c.lower() not in coord_names]])
    # the polygons are the truth: centre of the grid cell holding each centroid
    table["x_mp"] = np.floor(shapely.get_x(centre) / size) * size + size / 2.0
    table["y_mp"] = np.floor(shapely.get_y(centre) / size) * size + size / 2.0
    return population_from_table(table, file=file, cell_m=size, bounds=bounds)


def read_population_grid(
    path: Path, *, bounds: tuple[float, float, float, float] | None = None
) -> gpd.GeoDataFrame:
    """Read a population grid into one normalised table.

    Parameters
    ----------
    path
        A Zensus-style table (``.csv`` with ``;`` or ``,``, ``.parquet``)
        with cell centres ``x_mp``/``y_mp`` (or ``x_mitte``/``y_mitte``) in
        EPSG:3035 and ``Einwohner`` (−1 = uninhabited, −9 or ``–`` = secret),
        optionally ``unter18_A`` (% under 18; −9 = suppressed); or a GIS
        layer (GeoPackage, GeoJSON, Shapefile) of square cell polygons with
        such a population column.  The cell size comes from the id column
        (``Gitter_ID_1km``, ``CRS3035RES100mN…``) or the centre coordinates.
    bounds
        ``(minx, miny, maxx, maxy)`` in EPSG:3035: only cells whose centre
        lies within these bounds (plus one cell) are kept.

    Returns
    -------
    geopandas.GeoDataFrame
        ``source_id``, ``x_mp``, ``y_mp``, ``source_cell_m``, ``population``
        (0 for uninhabited cells, NaN where secret), ``secret`` (bool),
        ``under18_pct`` (NaN when unknown or suppressed), geometry = cell
        polygon (EPSG:3035).  ``attrs["has_under18"]`` tells whether the file
        has under-18 shares.

    Raises
    ------
    InputDataError
        Missing file, unreadable file, a value that is no number (with the
        1-based row, header = row 1, and the column).
    MissingColumnError
        No centre coordinates or population column.
    CRSError
        Coordinates that are not EPSG:3035 metres; a layer without CRS.
    """
    p = Path(path)
    if not p.is_file():
        msg = "population grid file not found"
        raise InputDataError(msg, file=p, message_de="Bevölkerungsraster nicht gefunden")
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(p)
        elif suffix in (".csv", ".txt"):
            with p.open("rb") as fh:
                utf16 = fh.read(2) in (b"\xff\xfe", b"\xfe\xff")
            encoding = "utf-16" if utf16 else "utf-8-sig"
            with p.open("r", encoding=encoding, errors="replace") as fh:
                header = fh.readline()
            sep = ";" if header.count(";") > header.count(",") else ","
            table = pd.read_csv(
                p,
                sep=sep,
                dtype=str,
                encoding=encoding,
                encoding_errors="replace",
                skip_blank_lines=False,
            )
            # spreadsheet row numbers (header = 1) survive dropping blank lines
            table.index = pd.RangeIndex(2, len(table) + 2, name="row")
            table = table.dropna(how="all")
        else:
            gdf = gpd.read_file(p)
            return _population_from_layer(gdf, file=p, bounds=bounds)
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as exc:
        if isinstance(exc, InputDataError):
            raise
        msg = f"cannot read the population grid: {exc}"
        raise InputDataError(msg, file=p, message_de=f"Bevölkerungsraster unlesbar: {exc}") from exc
    if table.empty:
        msg = "the population grid has no rows"
        raise InputDataError(msg, file=p, message_de="Das Bevölkerungsraster ist leer")
    return population_from_table(table, file=p, bounds=bounds)
