"""Population grid surface: travel minutes per grid cell (Thünen-comparable).

The German reference figures (Thünen-Landatlas, Deutschlandatlas) measure
accessibility on the INSPIRE grid (EPSG:3035, 250 m cells, ids such as
``CRS3035RES250mN3050000E4250000`` = lower-left corner in metres): the cell
centre is the origin, the nearest facility of a kind the destination, and the
cell results are aggregated per Gemeinde and Kreis as population-weighted
mean/median minutes and population shares within 5/10/15/20 minutes.  This
module builds the same surface for a region:

1. :func:`read_population_grid` reads a Zensus-style population grid (cell
   centres ``x_mp``/``y_mp`` or ``x_mitte``/``y_mitte`` in EPSG:3035 and
   ``Einwohner``; or a layer of cell polygons) into one normalised table;
2. :func:`build_grid` lays the cells over the Gemeinden and attaches the
   population.  Coarser source cells (the open Zensus 2011 data has 1 km
   cells) are **disaggregated**: each source cell's population is spread
   over its sub-cells in proportion to the length of residential-type roads
   in each sub-cell (:func:`settled_lines_from_network`), equally where the
   source cell has no such road; the sum per source cell is kept.  Finer
   source cells are summed into the cell holding their centre;
3. :func:`grid_travel_times` routes every cell centre to the offers with
   OSRM and keeps only the nearest minutes per category and mode;
4. :func:`grid_indicators` aggregates per Gemeinde and for the region;
5. :func:`compute_grid` does all of it from the :class:`~erreichbarkeit.config.Settings`.

Which cells belong to the region
--------------------------------
With a population grid, a source cell belongs to the region when its
*centre* lies in one of the Gemeinden (the rule of the Zensus subsets and of
aggregations of gridded statistics to areas).  All its sub-cells come with
it, so the region's population equals the sum of those source cells exactly;
each sub-cell is assigned to the Gemeinde holding its own centre (the source
cell's Gemeinde where its own centre lies outside every Gemeinde).  Kept are
cells with inhabitants or with residential-type roads.

Without a population grid the surface covers the cells whose centre lies in
a Gemeinde and that hold residential-type roads (all such cells when no
roads are given either); ``population`` is NaN and :func:`grid_indicators`
weights every cell equally, i.e. the figures are shares of the *settled
area*, not of the population — labelled so in the ``weighting`` column and
the notes.  We chose this over raising an error because the travel-time
surface and its bands are useful on their own (maps, gaps between villages)
and a planner can add the open Zensus grid later.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from erreichbarkeit.analysis.indicators import weighted_median
from erreichbarkeit.config import WGS84, ProgressCallback
from erreichbarkeit.errors import ConfigError, CRSError, InputDataError, MissingColumnError
from erreichbarkeit.network.matrix import check_points

if TYPE_CHECKING:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.network.routing import Router

__all__ = [
    "GRID_CRS",
    "SETTLED_HIGHWAYS",
    "SETTLED_OMT_CLASSES",
    "GridResult",
    "build_grid",
    "compute_grid",
    "grid_indicators",
    "grid_travel_times",
    "inspire_ids",
    "offer_minutes",
    "read_population_grid",
    "settled_lines_from_network",
]

logger = logging.getLogger(__name__)

#: CRS of the INSPIRE grid (ETRS89-LAEA Europe), equal-area.
GRID_CRS = "EPSG:3035"
#: OSM ``highway`` values taken as signs of housing (settlement proxy).
SETTLED_HIGHWAYS: frozenset[str] = frozenset(
    {"residential", "living_street", "unclassified", "service"}
)
#: OpenMapTiles ``class`` values of the same roads (``minor`` merges
#: residential, living_street and unclassified).
SETTLED_OMT_CLASSES: frozenset[str] = frozenset({"minor", "service"})

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
_BANDS = (5, 10, 15, 20)


@dataclass(frozen=True)
class GridResult:
    """The population grid surface of one run.

    Attributes
    ----------
    cells
        One row per populated or settled cell (EPSG:3035 polygons):
        ``cell_id`` (INSPIRE), ``ags``, ``gemeinde``, ``population``,
        ``population_source``, ``settled_m`` (metres of residential-type
        roads), ``children_under18`` and ``children_source`` when the grid
        has under-18 shares, ``snap_m_<mode>`` and per category × mode
        ``<cat>_<mode>_min`` (NaN = no offer reachable within the cutoff).
    gemeinde
        Per ``ags`` × category × mode (:func:`grid_indicators`).
    kreis
        The same over all cells.
    meta
        German notes for the Methodik sheet.
    timings
        Seconds per step.
    """

    cells: gpd.GeoDataFrame
    gemeinde: pd.DataFrame
    kreis: pd.DataFrame
    meta: Mapping[str, str]
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


# --------------------------------------------------------------------------- ids


def _cell_size(cell_m: float) -> int:
    if not (float(cell_m).is_integer() and 50 <= cell_m <= 10_000):
        msg = f"grid cell size {cell_m!r} m is not a whole number of metres between 50 and 10000"
        raise ConfigError(
            msg,
            column="grid_cell_m",
            expected="a whole number of metres such as 250",
            message_de=f"Rasterweite {cell_m!r} m ungültig (erwartet ganze Meter, z. B. 250)",
        )
    return int(cell_m)


def inspire_ids(x_ll: npt.ArrayLike, y_ll: npt.ArrayLike, cell_m: float) -> npt.NDArray[Any]:
    """INSPIRE grid cell ids from lower-left corners (EPSG:3035 metres).

    Examples
    --------
    >>> inspire_ids([4250000], [3050000], 250).tolist()
    ['CRS3035RES250mN3050000E4250000']
    """
    size = _cell_size(cell_m)
    x = pd.Series(np.asarray(x_ll, dtype="float64")).round().astype("int64").astype(str)
    y = pd.Series(np.asarray(y_ll, dtype="float64")).round().astype("int64").astype(str)
    return (f"CRS3035RES{size}mN" + y + "E" + x).to_numpy(dtype=object)


def _boxes(x_ll: npt.NDArray[Any], y_ll: npt.NDArray[Any], size: float) -> npt.NDArray[Any]:
    return shapely.box(x_ll, y_ll, x_ll + size, y_ll + size)


# --------------------------------------------------------------------------- population


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
    rows = _row_numbers(table.index)
    x = _numbers(table[x_col], file=file, column=x_col)
    y = _numbers(table[y_col], file=file, column=y_col)
    for arr, col in ((x, x_col), (y, y_col)):
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
    u18_col = _find(cols, _U18_NAMES)
    u18 = _numbers(table[u18_col], file=file, column=u18_col) if u18_col else None
    pop, secret, share = _check_pop(
        _numbers(table[pop_col], file=file, column=pop_col), u18, file, pop_col, u18_col, rows=rows
    )
    id_col = _find(cols, _ID_NAMES)
    ids = table[id_col].astype(str) if id_col else None
    size = cell_m or _size_from_ids(ids, id_col) or _size_from_centres(x, y)
    if size is None:
        msg = "cannot tell the cell size of the population grid"
        raise InputDataError(
            msg,
            file=file,
            column=x_col,
            expected="cell centres of a regular grid (e.g. …500 for 1 km cells)",
            message_de="Die Zellgröße des Bevölkerungsrasters ist nicht erkennbar",
        )
    half = size / 2.0
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
            column=x_col,
            expected="each grid cell once",
            message_de=f"Zeilen {first} und {second} beschreiben dieselbe Rasterzelle "
            "(sie würde doppelt gezählt)",
        )
    keep = np.ones(len(x), dtype=bool)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        keep = (x >= minx - size) & (x <= maxx + size) & (y >= miny - size) & (y <= maxy + size)
    x, y = x[keep], y[keep]
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
    out = gpd.GeoDataFrame(frame, geometry=_boxes(x - half, y - half, size), crs=GRID_CRS)
    out.attrs["has_under18"] = u18_col is not None
    out.attrs["source_file"] = file.name if file is not None else ""
    return out


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


# --------------------------------------------------------------------------- settled proxy


def settled_lines_from_network(
    network_path: Path, *, roads_layer: str | None = None, class_column: str | None = None
) -> gpd.GeoSeries:
    """Residential-type roads of a network file: the settlement proxy.

    Parameters
    ----------
    network_path
        An OSM file (ways with ``highway`` in :data:`SETTLED_HIGHWAYS`) or a
        GIS line layer (OSM ``highway``/Geofabrik ``fclass`` values of
        :data:`SETTLED_HIGHWAYS`, or OpenMapTiles ``class`` in
        :data:`SETTLED_OMT_CLASSES`).
    roads_layer
        Layer of a multi-layer GIS file (guessed when ``None``).
    class_column
        Road class column of a GIS layer (detected when ``None``).

    Returns
    -------
    geopandas.GeoSeries
        Lines in EPSG:4326.

    Raises
    ------
    NetworkError
        Unreadable network file.
    MissingColumnError
        A GIS layer without road class column.
    """
    from erreichbarkeit._schema import OSM_SUFFIXES  # noqa: PLC0415
    from erreichbarkeit.io import gislayer  # noqa: PLC0415  (heavy imports)

    p = Path(network_path)
    name = p.name.lower()
    if any(name.endswith(s) for s in OSM_SUFFIXES):
        return _settled_from_osm(p)
    layer = roads_layer or gislayer.guess_layers(p)["roads"]
    import pyogrio  # noqa: PLC0415

    fields = [str(f) for f in pyogrio.read_info(p, layer=layer)["fields"]]
    column = class_column or gislayer.detect_road_class_column(pd.DataFrame(columns=fields), file=p)
    values = SETTLED_OMT_CLASSES if column.lower() == "class" else SETTLED_HIGHWAYS
    quoted = ", ".join(f"'{v}'" for v in sorted(values))
    try:
        gdf = gpd.read_file(p, layer=layer, columns=[column], where=f'"{column}" IN ({quoted})')
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        from erreichbarkeit.errors import NetworkError  # noqa: PLC0415

        msg = f"cannot read the roads layer: {exc}"
        raise NetworkError(msg, file=p, message_de=f"Straßenebene unlesbar: {exc}") from exc
    if gdf.crs is None:
        msg = "the roads layer has no CRS"
        raise CRSError(msg, file=p, message_de="Die Straßenebene hat kein Koordinatensystem")
    lines = gdf.geometry[gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    logger.info("%s: %d residential-type road pieces as settlement proxy", p.name, len(lines))
    return gpd.GeoSeries(lines.to_crs(WGS84).to_numpy(), crs=WGS84)


def _settled_from_osm(path: Path) -> gpd.GeoSeries:
    import osmium  # noqa: PLC0415
    import osmium.geom  # noqa: PLC0415

    from erreichbarkeit.io.osm import validate_osm_file  # noqa: PLC0415

    validate_osm_file(path)
    wkb = osmium.geom.WKBFactory()
    geoms: list[str] = []  # hex WKB
    fp = (
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if isinstance(obj, osmium.osm.Way) and obj.tags.get("highway") in SETTLED_HIGHWAYS:
            try:
                geoms.append(wkb.create_linestring(obj))
            except RuntimeError:  # fewer than two valid locations
                continue
    lines = shapely.from_wkb(np.array(geoms, dtype=object)) if geoms else np.array([], dtype=object)
    logger.info("%s: %d residential-type ways as settlement proxy", path.name, len(lines))
    return gpd.GeoSeries(lines, crs=WGS84)


def _length_per_cell(lines: gpd.GeoSeries | None, boxes: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Metres of line inside each box (exact clipping, vectorised over line × box pairs)."""
    out = np.zeros(len(boxes))
    if lines is None or len(lines) == 0 or len(boxes) == 0:
        return out
    if lines.crs is None:
        msg = "settlement lines have no CRS"
        raise CRSError(msg, expected="a CRS", message_de="Siedlungslinien ohne Koordinatensystem")
    geoms = lines.to_crs(GRID_CRS).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    tree = shapely.STRtree(boxes)
    li, bi = tree.query(geoms, predicate="intersects")
    if len(li) == 0:
        return out
    lengths = shapely.length(shapely.intersection(geoms[li], boxes[bi]))
    return np.bincount(bi, weights=lengths, minlength=len(boxes))


# --------------------------------------------------------------------------- cells


def _boundaries_metric(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = [c for c in ("ags", "gemeinde") if c not in boundaries.columns]
    if missing:
        msg = f"boundaries lack column(s) {', '.join(missing)}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected="ags, gemeinde, geometry",
            message_de=f"Den Gemeindegrenzen fehlen die Spalten {', '.join(missing)}",
        )
    if boundaries.crs is None:
        msg = "boundaries have no CRS"
        raise CRSError(msg, expected="EPSG:4326", message_de="Gemeindegrenzen ohne KBS")
    if boundaries.empty:
        msg = "no Gemeinde boundaries: the grid needs the region's area"
        raise InputDataError(
            msg,
            expected="Gemeinde polygons",
            message_de="Keine Gemeindegrenzen: das Raster braucht die Fläche der Region",
        )
    return boundaries[["ags", "gemeinde", "geometry"]].to_crs(GRID_CRS).reset_index(drop=True)


def _locate(points: Any, bnd: gpd.GeoDataFrame) -> npt.NDArray[np.int64]:
    """Index of the boundary holding each point (−1 = none; first match where overlapping)."""
    idx = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return idx
    pi, bi = bnd.sindex.query(points, predicate="intersects")
    order = np.lexsort((bi, pi))
    pi, bi = pi[order], bi[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.array([], dtype=bool)
    idx[pi[first]] = bi[first]
    return idx


def _parent_cells(
    pop: gpd.GeoDataFrame, bnd: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, npt.NDArray[np.int64]]:
    centres = shapely.points(pop["x_mp"].to_numpy(), pop["y_mp"].to_numpy())
    where = _locate(centres, bnd)
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
        A population grid (:func:`read_population_grid`, or a Zensus-style
        table with ``x_mp``, ``y_mp``, ``Einwohner``).  Cells coarser than
        ``cell_m`` must be whole multiples of it and are disaggregated; finer
        cells are summed into the cell holding their centre.  ``None``: no
        population (``population`` NaN).
    settled
        Residential-type road lines (any CRS), the settlement proxy
        (:func:`settled_lines_from_network`).
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
    size = _cell_size(cell_m)
    bnd = _boundaries_metric(boundaries)
    if progress:
        progress("Raster aufbauen", 0, 3)
    pop: gpd.GeoDataFrame | None = None
    if population is not None:
        pop = (
            population
            if isinstance(population, gpd.GeoDataFrame) and "source_cell_m" in population
            else population_from_table(pd.DataFrame(population), bounds=tuple(bnd.total_bounds))
        )
    if pop is not None:
        src_m = float(pop["source_cell_m"].iloc[0]) if len(pop) else float(size)
        minx, miny, maxx, maxy = bnd.total_bounds
        x, y = pop["x_mp"].to_numpy("float64"), pop["y_mp"].to_numpy("float64")
        near = (x >= minx - src_m) & (x <= maxx + src_m) & (y >= miny - src_m)
        pop = pop.loc[near & (y <= maxy + src_m)]
    if pop is None or pop.empty:
        cells = _cells_without_population(bnd, size, settled)
        cells = cells.drop(columns=["children_under18", "children_source"])
    else:
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
    if progress:
        progress("Raster aufbauen", 3, 3)
    cells = cells.sort_values("cell_id", kind="mergesort").reset_index(drop=True)
    logger.info("grid %d m: %d cells, population %.0f", size, len(cells), cells["population"].sum())
    return cells


def _finish(
    *,
    x_ll: npt.NDArray[Any],
    y_ll: npt.NDArray[Any],
    size: int,
    where: npt.NDArray[np.int64],
    bnd: gpd.GeoDataFrame,
    columns: Mapping[str, Any],
) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "cell_id": inspire_ids(x_ll, y_ll, size),
            "ags": bnd["ags"].to_numpy(dtype=object)[where],
            "gemeinde": bnd["gemeinde"].to_numpy(dtype=object)[where],
            **columns,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=_boxes(x_ll, y_ll, size), crs=GRID_CRS)


def _cells_without_population(
    bnd: gpd.GeoDataFrame, size: int, settled: gpd.GeoSeries | None
) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = bnd.total_bounds
    xs = np.arange(math.floor(minx / size) * size, math.ceil(maxx / size) * size, size, dtype=float)
    ys = np.arange(math.floor(miny / size) * size, math.ceil(maxy / size) * size, size, dtype=float)
    xx, yy = (a.ravel() for a in np.meshgrid(xs, ys))
    where = _locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    inside = where >= 0
    xx, yy, where = xx[inside], yy[inside], where[inside]
    length = _length_per_cell(settled, _boxes(xx, yy, size))
    if settled is not None:
        keep = length > 0
        xx, yy, where, length = xx[keep], yy[keep], where[keep], length[keep]
    n = len(xx)
    label = (
        "keine Einwohnerdaten (Zelle mit Wohn-/Erschließungsstraßen)"
        if settled is not None
        else "keine Einwohnerdaten (Fläche)"
    )
    return _finish(
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
    length = _length_per_cell(settled, _boxes(xx, yy, size))
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
    own = _locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    where = np.where(own >= 0, own, p_where[parent])
    children = np.where(np.nan_to_num(values[keep]) > 0, children[keep], 0.0)
    children[np.isnan(values[keep])] = np.nan
    return _finish(
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
    where = _locate(shapely.points(xx + size / 2.0, yy + size / 2.0), bnd)
    length = _length_per_cell(settled, _boxes(xx, yy, size))
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
    return _finish(
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


# --------------------------------------------------------------------------- routing


def _centres_lonlat(cells: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    if cells.crs is None:
        msg = "grid cells have no CRS"
        raise CRSError(msg, expected=GRID_CRS, message_de="Rasterzellen ohne KBS")
    centre = shapely.centroid(cells.geometry.to_numpy())
    tf = Transformer.from_crs(cells.crs, WGS84, always_xy=True)
    lon, lat = tf.transform(shapely.get_x(centre), shapely.get_y(centre))
    return np.column_stack([lon, lat])


def _offer_lonlat(offers: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    return np.column_stack([offers.geometry.x.to_numpy(), offers.geometry.y.to_numpy()])


def _routed_minutes(
    router: Router,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    *,
    cutoff_minutes: float,
    max_snap_m: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Minutes (NaN beyond cutoff/unrouted, same rules as matrix.travel_times) and source snap."""
    res = router.table(src, dst, max_sources_per_query=max(len(src), 1))
    minutes = res.seconds / 60.0
    ok = (res.source_snap_m <= max_snap_m)[:, None] & (res.destination_snap_m <= max_snap_m)[None]
    minutes[~(ok & (minutes <= cutoff_minutes))] = np.nan
    return minutes, res.source_snap_m


def grid_travel_times(
    cells: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    routers: Mapping[str, Router],
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    cutoff_minutes: float,
    max_snap_m: float,
    chunk_size: int = 2000,
    progress: ProgressCallback | None = None,
) -> gpd.GeoDataFrame:
    """Minutes from every cell centre to the nearest offer per category and mode.

    The routing follows :func:`erreichbarkeit.network.matrix.travel_times` (same
    snapping and cutoff rules) but queries the routers directly and reduces
    each chunk of origins to the per-category minimum at once: the long table
    of 10⁵ cells × 10³ offers (10⁸ rows) is never built.

    Parameters
    ----------
    cells
        Grid cells (:func:`build_grid`); their polygon centroids are the origins.
    offers
        Offers contract (unique ``id``, ``category``, points).
    routers
        One router per mode.
    categories, modes
        What to compute; categories without offers give NaN columns.
    cutoff_minutes
        Minutes above this count as unreachable (NaN).
    max_snap_m
        Cells or offers further than this from the mode's network are not
        routed (their minutes are NaN).
    chunk_size
        Origins per OSRM table query.
    progress
        ``progress("Reisezeiten Raster", done, total)`` per chunk.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cells`` with ``snap_m_<mode>`` and ``<cat>_<mode>_min``.

    Raises
    ------
    InputDataError, CRSError
        Invalid offers or cells without CRS.
    """
    offers = check_points(offers, "offers")
    src = _centres_lonlat(cells)
    by_cat = {c: np.flatnonzero(offers["category"].to_numpy() == c) for c in categories}
    used = np.unique(np.concatenate([*by_cat.values(), np.array([], dtype=np.int64)]))
    dst = _offer_lonlat(offers)[used]
    pos = {c: np.searchsorted(used, idx) for c, idx in by_cat.items()}
    out = cells.copy()
    n = len(cells)
    starts = range(0, n, chunk_size)
    total = len(modes) * len(starts)
    done = 0
    new: dict[str, npt.NDArray[np.float64]] = {}
    for mode in modes:
        result = {c: np.full(n, np.nan) for c in categories}
        snap = np.full(n, np.nan)
        for start in starts:
            stop = min(start + chunk_size, n)
            if len(dst):
                minutes, snap[start:stop] = _routed_minutes(
                    routers[mode], src[start:stop], dst,
                    cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m,
                )  # fmt: skip
                for cat, cols in pos.items():
                    if len(cols):
                        # fmin ignores NaN and gives NaN only where every offer is NaN
                        result[cat][start:stop] = np.fmin.reduce(minutes[:, cols], axis=1)
            done += 1
            if progress:
                progress("Reisezeiten Raster", done, total)
        new[f"snap_m_{mode}"] = np.round(snap, 1)
        for cat in categories:
            new[f"{cat}_{mode}_min"] = result[cat]
    out = out.drop(columns=[c for c in new if c in out.columns])
    out = pd.concat([out, pd.DataFrame(new, index=out.index)], axis=1)
    return gpd.GeoDataFrame(out, geometry=cells.geometry.name, crs=cells.crs)


def offer_minutes(
    cells: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    router: Router,
    *,
    offer_ids: Sequence[str] | None = None,
    cutoff_minutes: float,
    max_snap_m: float,
    chunk_size: int = 5000,
) -> pd.DataFrame:
    """Minutes from every cell to each of a few selected offers (one mode).

    For the bands around offers chosen in the dashboard: a compact
    cells × offers table, computed on demand (OSRM answers 30 000 × 5 in well
    under a second), instead of keeping every cell–offer pair of the run.

    Parameters
    ----------
    cells
        Grid cells with ``cell_id``.
    offers
        Offers contract.
    router
        The router of the mode.
    offer_ids
        Offers to route to (``None`` = all offers).
    cutoff_minutes, max_snap_m
        As in :func:`grid_travel_times`.
    chunk_size
        Origins per OSRM table query.

    Returns
    -------
    pandas.DataFrame
        Index ``cell_id``, one float32 column of minutes per offer id (NaN =
        not reachable within the cutoff).

    Raises
    ------
    InputDataError
        An id in ``offer_ids`` that is not an offer.
    """
    offers = check_points(offers, "offers")
    if offer_ids is not None:
        ids = [str(i) for i in offer_ids]
        known = set(offers["id"].astype(str))
        unknown = [i for i in ids if i not in known]
        if unknown:
            msg = f"unknown offer id(s): {', '.join(unknown[:5])}"
            raise InputDataError(
                msg, column="id", message_de=f"Unbekannte Angebots-ID: {', '.join(unknown[:5])}"
            )
        offers = offers.set_index(offers["id"].astype(str)).loc[ids].reset_index(drop=True)
    src = _centres_lonlat(cells)
    dst = _offer_lonlat(offers)
    table = np.full((len(cells), len(offers)), np.nan, dtype="float32")
    for start in range(0, len(cells), chunk_size):
        stop = min(start + chunk_size, len(cells))
        if len(dst):
            minutes, _ = _routed_minutes(
                router, src[start:stop], dst, cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m
            )
            table[start:stop] = minutes
    return pd.DataFrame(
        table,
        index=pd.Index(cells["cell_id"].astype(str).to_numpy(), name="cell_id"),
        columns=offers["id"].astype(str).to_list(),
    )


# --------------------------------------------------------------------------- indicators


def _weights(cells: pd.DataFrame) -> tuple[npt.NDArray[np.float64], str]:
    pop = pd.to_numeric(cells["population"], errors="coerce").to_numpy("float64")
    if np.isfinite(pop).any():
        return np.nan_to_num(pop), "Einwohner"
    return np.ones(len(cells)), "Zellen (Siedlungsfläche, keine Einwohnerdaten)"


def _grid_stats(
    minutes: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    pop: npt.NDArray[np.float64],
    bands: Sequence[float],
) -> dict[str, Any]:
    total = float(w.sum())
    finite = ~np.isnan(minutes)
    row: dict[str, Any] = {
        "population": float(np.nansum(pop)) if np.isfinite(pop).any() else math.nan,
        "n_cells": int(minutes.size),
        "pop_mean_min": (
            float((minutes[finite] * w[finite]).sum() / w[finite].sum())
            if w[finite].sum() > 0
            else math.nan
        ),
        "pop_median_min": weighted_median(minutes, w),
    }
    for b in bands:
        inside = finite & (np.where(finite, minutes, np.inf) <= b)
        row[f"share_within_{b:g}"] = float(w[inside].sum()) / total if total > 0 else math.nan
    row["share_unreachable"] = float(w[~finite].sum()) / total if total > 0 else math.nan
    return row


def grid_indicators(
    cells: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    bands: Sequence[float] = _BANDS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population-weighted indicators of the grid surface per Gemeinde and region.

    For one category and mode let ``t_c`` be cell *c*'s minutes to the
    nearest offer (NaN = none within the cutoff) and ``w_c`` its population
    (NaN = 0; every cell weighs 1 when the grid has no population at all).

    * ``pop_mean_min = Σ w_c·t_c / Σ w_c`` over cells with finite ``t_c``;
    * ``pop_median_min``: lower weighted median of the same cells
      (:func:`erreichbarkeit.analysis.indicators.weighted_median`);
    * ``share_within_<b> = Σ w_c [t_c <= b] / Σ w_c`` over **all** cells,
      so unreachable cells count in the denominator;
    * ``share_unreachable = Σ w_c [t_c NaN] / Σ w_c``;
    * ``population = Σ population`` (NaN without population), ``n_cells``.

    Parameters
    ----------
    cells
        Grid cells with ``ags``, ``gemeinde``, ``population`` and
        ``<cat>_<mode>_min`` columns.
    categories, modes
        Which columns to summarise.
    bands
        Minute limits of the ``share_within_*`` columns.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(gemeinde, kreis)``: per ``ags, gemeinde, category, mode`` and over
        all cells (``category, mode``), columns ``population, n_cells,
        pop_mean_min, pop_median_min, share_within_<b>…, share_unreachable,
        weighting`` (``Einwohner`` or the area basis).

    Raises
    ------
    MissingColumnError
        A required column is missing.
    """
    needed = ["ags", "gemeinde", "population"] + [f"{c}_{m}_min" for c in categories for m in modes]
    missing = [c for c in needed if c not in cells.columns]
    if missing:
        msg = f"grid cells lack column(s) {', '.join(missing)}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected=", ".join(needed),
            message_de=f"Den Rasterzellen fehlen die Spalten {', '.join(missing)}",
        )
    w, basis = _weights(cells)
    pop = pd.to_numeric(cells["population"], errors="coerce").to_numpy("float64")
    minutes = {(c, m): cells[f"{c}_{m}_min"].to_numpy("float64") for c in categories for m in modes}
    rows: list[dict[str, Any]] = []
    groups = cells.groupby(["ags", "gemeinde"], sort=True, dropna=False).indices
    for key, idx in groups.items():
        ags, name = cast(tuple[Any, Any], key)
        for (cat, mode), t in minutes.items():
            row = {"ags": ags, "gemeinde": name, "category": cat, "mode": mode}
            row.update(_grid_stats(t[idx], w[idx], pop[idx], bands))
            rows.append(row)
    kreis_rows: list[dict[str, Any]] = []
    for (cat, mode), t in minutes.items():
        row = {"category": cat, "mode": mode}
        row.update(_grid_stats(t, w, pop, bands))
        kreis_rows.append(row)
    stats = [
        "population", "n_cells", "pop_mean_min", "pop_median_min",
        *(f"share_within_{b:g}" for b in bands), "share_unreachable",
    ]  # fmt: skip
    gem = pd.DataFrame(rows, columns=["ags", "gemeinde", "category", "mode", *stats])
    kreis = pd.DataFrame(kreis_rows, columns=["category", "mode", *stats])
    gem["weighting"] = basis
    kreis["weighting"] = basis
    return gem, kreis


# --------------------------------------------------------------------------- orchestration


def _de_int(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _meta(
    cells: gpd.GeoDataFrame, size: int, pop_file: Path | None, has_roads: bool
) -> dict[str, str]:
    meta = {
        "Raster": (
            f"INSPIRE-Gitter {size} m × {size} m (EPSG:3035, Zell-ID der linken unteren Ecke, "
            f"z. B. {cells['cell_id'].iloc[0] if len(cells) else 'CRS3035RES250mN…E…'}); "
            f"{len(cells)} Zellen mit Einwohnern oder Wohnstraßen"
        ),
        "Start und Ziel": (
            "Start ist der Mittelpunkt jeder Rasterzelle, Ziel das nächstgelegene Angebot der "
            "Kategorie (Fahrzeit im Straßennetz, OSRM); wie Thünen-Landatlas/Deutschlandatlas"
        ),
        "Kennzahlen Raster": (
            "Mittel und Median der Fahrzeit gewichtet mit den Einwohnern der Zellen; Anteile = "
            "Einwohner mit Fahrzeit ≤ 5/10/15/20 min an allen Einwohnern (Zellen ohne "
            "erreichbares Angebot zählen im Nenner mit)"
        ),
        "Zuordnung zu Gemeinden": (
            "Eine Zelle gehört zur Gemeinde, in der ihr Mittelpunkt liegt. Mit Bevölkerungsraster "
            "gehört eine Quellzelle (z. B. 1 km) zur Region, wenn ihr Mittelpunkt in einer "
            "Gemeinde liegt; ihre Teilzellen kommen vollständig mit."
        ),
    }
    if pop_file is None:
        meta["Einwohner im Raster"] = (
            "Kein Bevölkerungsraster angegeben: Zellen mit Wohn-/Erschließungsstraßen, jede "
            "Zelle zählt gleich (Anteile beziehen sich auf Siedlungsfläche, nicht Einwohner). "
            "Empfehlung: Zensus-Gitter (1 km oder 100 m) als population_grid angeben."
        )
        return meta
    src = cells["population_source"].astype(str)
    n_equal = int(src.str.contains("gleich verteilt").sum())
    n_secret = int(src.str.contains("geheim").sum())
    roads = (
        "nach der Länge der Wohn-, Anlieger- und Erschließungsstraßen (OSM highway=residential, "
        "living_street, unclassified, service bzw. OpenMapTiles minor/service) je Teilzelle"
        if has_roads
        else "gleichmäßig (kein Straßennetz als Siedlungsindikator)"
    )
    meta["Einwohner im Raster"] = (
        f"Quelle: {pop_file.name}. Gröbere Rasterzellen werden auf {size} m verteilt, {roads}; "
        "die Summe je Quellzelle bleibt exakt erhalten. Zellen ohne solche Straßen in der "
        f"ganzen Quellzelle: gleich verteilt ({n_equal} Zellen). Geheime Werte (−9): "
        f"{n_secret} Zellen ohne Einwohnerzahl. Summe: {_de_int(cells['population'].sum())} "
        "Einwohner (Spalte population_source je Zelle)."
    )
    if "children_under18" in cells.columns:
        meta["Kinder unter 18 im Raster"] = (
            "Einwohner × Anteil unter 18 der Quellzelle (Zensus unter18_A); wo der Anteil geheim "
            "ist (−9), der einwohnergewichtete Mittelwert des Gebiets (Spalte children_source)."
        )
    return meta


def compute_grid(
    settings: Settings,
    routers: Mapping[str, Router],
    offers: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    progress: ProgressCallback | None = None,
) -> GridResult:
    """Build the grid surface of a run: cells, travel minutes, indicators, notes.

    Parameters
    ----------
    settings
        Uses ``grid_cell_m`` (250 when ``None``), ``population_grid``,
        ``network`` / ``roads_layer`` / ``road_class_column`` (settlement
        proxy), ``modes``, ``routing.cutoff_minutes`` and ``routing.max_snap_m``.
    routers
        One router per mode (as :func:`erreichbarkeit.pipeline.run` prepares them).
    offers
        Offers contract.
    boundaries
        Gemeinden contract.
    progress
        Progress callback.

    Returns
    -------
    GridResult
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    size = _cell_size(settings.grid_cell_m or 250)
    bounds = tuple(boundaries.to_crs(GRID_CRS).total_bounds)
    population = (
        read_population_grid(Path(settings.population_grid), bounds=bounds)
        if settings.population_grid is not None
        else None
    )
    settled = (
        settled_lines_from_network(
            Path(settings.network),
            roads_layer=settings.roads_layer,
            class_column=settings.road_class_column,
        )
        if settings.network is not None
        else None
    )
    timings["Raster: Eingaben lesen"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    cells = build_grid(
        boundaries, cell_m=size, population=population, settled=settled, progress=progress
    )
    timings["Raster aufbauen"] = round(time.perf_counter() - started, 3)
    order = list(settings.categories())
    present = set(offers["category"])
    categories = [c for c in order if c in present]
    started = time.perf_counter()
    cells = grid_travel_times(
        cells,
        offers,
        routers,
        categories=categories,
        modes=list(settings.modes),
        cutoff_minutes=settings.routing.cutoff_minutes,
        max_snap_m=settings.routing.max_snap_m,
        progress=progress,
    )
    timings["Reisezeiten Raster"] = round(time.perf_counter() - started, 3)
    gem, kreis = grid_indicators(cells, categories=categories, modes=list(settings.modes))
    meta = _meta(
        cells,
        size=size,
        pop_file=Path(settings.population_grid) if settings.population_grid else None,
        has_roads=settled is not None and len(settled) > 0,
    )
    meta["Rechenzeiten Raster"] = ", ".join(f"{k}: {v:.1f} s" for k, v in timings.items())
    return GridResult(
        cells=cells,
        gemeinde=gem,
        kreis=kreis,
        meta=MappingProxyType(meta),
        timings=MappingProxyType(timings),
    )
