"""How much of each Gemeinde the network data covers.

A network extract is cut along a box or a polygon; Gemeinden on its edge lie
only partly inside.  Their villages in the extract are then a few hamlets of
a much larger Gemeinde, and distributing the whole Gemeinde's population over
them puts, e.g., 72 289 inhabitants of Bayreuth on one hamlet.  This module
measures the covered share of each Gemeinde:

1. :func:`network_coverage` turns the road nodes of the network into the
   area the data covers: the squares of ``cell_m`` metres (EPSG:25832) that
   hold at least one road node, united, holes (lakes, road-less forest inside
   the extract) filled.  Inside an extract nearly every square kilometre of
   Germany holds a road or track node; outside it none does.  The squares at
   the edge count whole, so the coverage errs slightly outward (at most one
   cell), never inward.
2. :func:`gemeinde_coverage` gives each Gemeinde its ``coverage_share``
   (0…1): the share of its **population** inside the coverage when a
   population grid covers the whole Gemeinde (cell centres inside / all cell
   centres of the Gemeinde, weighted by inhabitants), else the share of its
   **area** inside (``coverage_basis`` says which).  A Gemeinde under
   :data:`PARTIAL_THRESHOLD` (90 %) is ``gemeinde_partial``.

:func:`road_data_notices` asks a related question for a region made by
``erreichbarkeit prepare``: does the road data cover the Kreis's
surroundings (the buffer of ``[source] buffer_km``)?  Where a Land or
Regierungsbezirk border cuts the buffer and no extract of the other side
was merged, it does not, and offers there are missing; the German notice
says so and names the Gemeinden.

Only the covered share of a partial Gemeinde's population is then placed on
its villages (:func:`erreichbarkeit.analysis.population.estimate_population`),
and the Kreis headline leaves such villages out
(:func:`erreichbarkeit.analysis.summaries.kreis_summary`).  An area share is
a rough proxy: it assumes people spread evenly over the Gemeinde, so for a
town whose centre lies outside the extract it still overestimates the people
inside; the population grid, where configured, fixes that.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from erreichbarkeit.config import METRIC_CRS, WGS84, Settings
from erreichbarkeit.io import read_boundaries

__all__ = [
    "COVERAGE_CELL_M",
    "COVERAGE_CLOSE_M",
    "PARTIAL_LABEL",
    "PARTIAL_THRESHOLD",
    "coverage_note",
    "gemeinde_coverage",
    "network_coverage",
    "outside_coverage",
    "road_data_notices",
    "warn_partial",
    "with_partial_flag",
]

logger = logging.getLogger(__name__)

#: A Gemeinde with less of its population (or area) inside the network data
#: is partial.
PARTIAL_THRESHOLD = 0.9

#: Side of the squares that make up the network coverage (metres).
COVERAGE_CELL_M = 1000.0

#: Gaps between covered squares up to twice this wide are closed (metres).
COVERAGE_CLOSE_M = 2500.0

#: The German label of a partial Gemeinde (tables, map popups).
PARTIAL_LABEL = "nur teilweise im Kartenausschnitt"

#: A grid covers a Gemeinde when this share of its area lies inside the grid's extent.
_GRID_COVERS = 0.99

#: A grid covers a Gemeinde when its cells hold this share of the Gemeinde's population.
_GRID_HOLDS = 0.8

#: Population grids are in EPSG:3035 (INSPIRE).
_GRID_CRS = "EPSG:3035"


def network_coverage(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    cell_m: float = COVERAGE_CELL_M,
    close_m: float = COVERAGE_CLOSE_M,
    declared: tuple[float, float, float, float] | None = None,
) -> BaseGeometry | None:
    """The area covered by network points, as a (Multi)Polygon in EPSG:4326.

    Parameters
    ----------
    lon, lat
        Coordinates (degrees) of the network's nodes (road nodes).
    cell_m
        Side of the squares (EPSG:25832 metres) a node marks as covered.
    close_m
        Gaps between covered squares narrower than twice this distance are
        closed (a morphological closing: grown by ``close_m``, shrunk back),
        so that a sparse network (main roads only, or the fictional
        Beispielkreis) still covers the land between its roads; the outline
        of the data does not grow.
    declared
        The box (lon/lat) the network file declares it covers (OSM
        ``<bounds>``); added to the coverage when plausible: it overlaps the
        covered cells and is at most four times the area of their bounding box
        (placeholder boxes of the whole world are ignored).

    Returns
    -------
    shapely geometry or None
        The union of the squares holding at least one point, closed, interior
        holes filled; ``None`` without points.
    """
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    pts = gpd.GeoSeries(gpd.points_from_xy(x[ok], y[ok]), crs=WGS84).to_crs(METRIC_CRS)
    cells = np.unique(
        np.floor(np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]) / cell_m).astype(np.int64),
        axis=0,
    )
    squares = shapely.box(
        cells[:, 0] * cell_m,
        cells[:, 1] * cell_m,
        (cells[:, 0] + 1) * cell_m,
        (cells[:, 1] + 1) * cell_m,
    )
    # aligned squares sharing whole edges are a valid polygon coverage
    merged = shapely.coverage_union_all(squares)
    if close_m > 0:
        merged = merged.buffer(close_m, join_style="mitre").buffer(-close_m, join_style="mitre")
    merged = _fill_holes(merged)
    out: BaseGeometry = gpd.GeoSeries([merged], crs=METRIC_CRS).to_crs(WGS84).iloc[0]
    if declared is not None and _plausible_box(declared, out):
        out = shapely.union(out, shapely.box(*declared))
    return out


def _plausible_box(declared: tuple[float, float, float, float], covered: BaseGeometry) -> bool:
    """Whether a declared box overlaps the covered cells and is not much larger than their box."""
    minx, miny, maxx, maxy = declared
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        return False
    nodes = shapely.box(*covered.bounds)
    box = shapely.box(minx, miny, maxx, maxy)
    return bool(box.intersects(nodes)) and box.area <= 4 * max(nodes.area, 1e-12)


def _fill_holes(geom: BaseGeometry) -> BaseGeometry:
    """The geometry's polygons without their interior rings."""
    parts = [Polygon(p.exterior) for p in shapely.get_parts(geom) if isinstance(p, Polygon)]
    if not parts:
        return geom
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _metric(geom: BaseGeometry, crs: str = METRIC_CRS) -> BaseGeometry:
    """A WGS84 geometry in a metric CRS."""
    out: BaseGeometry = gpd.GeoSeries([geom], crs=WGS84).to_crs(crs).iloc[0]
    return out


def _area_shares(boundaries: gpd.GeoDataFrame, extent_m: BaseGeometry) -> npt.NDArray[np.float64]:
    """Share of each Gemeinde's area inside the extent (metric CRS)."""
    polys = boundaries.to_crs(METRIC_CRS).geometry.to_numpy()
    area = shapely.area(polys)
    inside = shapely.area(shapely.intersection(polys, extent_m))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area > 0, inside / area, np.nan)
    return np.clip(share, 0.0, 1.0)


def _grid_shares(
    boundaries: gpd.GeoDataFrame, grid: pd.DataFrame, extent: BaseGeometry
) -> npt.NDArray[np.float64]:
    """Share of each Gemeinde's grid population inside the extent (NaN: grid does not cover it).

    ``grid`` has cell centres ``x_mp``/``y_mp`` (EPSG:3035) and ``population``.
    A Gemeinde counts as covered by the grid when its cells hold at least
    80 % of its known population (a grid cut to the extract, or of another
    year, does not pass for a full one); where its population is unknown,
    when 99 % of its area lies inside the box of the grid's cells.
    """
    n = len(boundaries)
    out = np.full(n, np.nan)
    pop = pd.to_numeric(grid["population"], errors="coerce").to_numpy("float64")
    x = pd.to_numeric(grid["x_mp"], errors="coerce").to_numpy("float64")
    y = pd.to_numeric(grid["y_mp"], errors="coerce").to_numpy("float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(pop) & (pop > 0)
    if not ok.any():
        return out
    x, y, pop = x[ok], y[ok], pop[ok]
    size = (
        pd.to_numeric(grid["source_cell_m"], errors="coerce").max()
        if "source_cell_m" in grid.columns
        else 0.0
    )
    half = float(np.nan_to_num(size)) / 2.0
    grid_box = shapely.box(x.min() - half, y.min() - half, x.max() + half, y.max() + half)
    polys = boundaries.to_crs(_GRID_CRS).geometry.to_numpy()
    area = shapely.area(polys)
    in_box = shapely.area(shapely.intersection(polys, grid_box))
    points = shapely.points(x, y)
    gem_idx, pt_idx = shapely.STRtree(polys).query(points, predicate="intersects")[::-1]
    inside = shapely.intersects(points, _metric(extent, _GRID_CRS))
    total = np.bincount(gem_idx, weights=pop[pt_idx], minlength=n)
    covered = np.bincount(gem_idx, weights=(pop * inside)[pt_idx], minlength=n)
    known = pd.to_numeric(
        boundaries["population"]
        if "population" in boundaries
        else pd.Series(np.nan, index=boundaries.index),
        errors="coerce",
    ).to_numpy("float64")
    full = np.where(
        np.isfinite(known) & (known > 0),
        total >= _GRID_HOLDS * np.nan_to_num(known),
        (area > 0) & (in_box >= _GRID_COVERS * area),
    )
    use = full & (total > 0)
    out[use] = np.clip(covered[use] / total[use], 0.0, 1.0)
    return out


def gemeinde_coverage(
    boundaries: gpd.GeoDataFrame,
    extent: BaseGeometry | None,
    *,
    grid: pd.DataFrame | None = None,
    threshold: float = PARTIAL_THRESHOLD,
) -> pd.DataFrame:
    """Covered share of every Gemeinde and whether it is partial.

    Parameters
    ----------
    boundaries
        Boundaries contract (``ags``, ``gemeinde``, polygons, EPSG:4326).
    extent
        The area the network data covers (EPSG:4326, :func:`network_coverage`);
        ``None``: unknown, every Gemeinde counts as covered.
    grid
        Population grid cells (``x_mp``, ``y_mp`` in EPSG:3035,
        ``population``, optional ``source_cell_m``), as
        :func:`erreichbarkeit.analysis.grid.read_population_grid` returns them.
    threshold
        Gemeinden with a smaller ``coverage_share`` are partial.

    Returns
    -------
    pandas.DataFrame
        One row per Gemeinde, in the order of ``boundaries``: ``ags``,
        ``gemeinde``, ``coverage_share`` (0…1; share of the population in the
        grid when the grid covers the Gemeinde, else of the area),
        ``coverage_basis`` (``"Bevölkerungsraster"``, ``"Fläche"`` or
        ``"unbekannt"``) and ``gemeinde_partial`` (bool).
    """
    n = len(boundaries)
    out = pd.DataFrame(
        {
            "ags": boundaries["ags"].to_numpy(),
            "gemeinde": boundaries["gemeinde"].to_numpy() if "gemeinde" in boundaries else "",
        }
    )
    if extent is None or extent.is_empty or n == 0:
        out["coverage_share"] = 1.0
        out["coverage_basis"] = "unbekannt"
        out["gemeinde_partial"] = False
        return out
    share = _area_shares(boundaries, _metric(extent))
    basis = np.full(n, "Fläche", dtype=object)
    if grid is not None and len(grid):
        by_grid = _grid_shares(boundaries, grid, extent)
        use = np.isfinite(by_grid)
        share = np.where(use, by_grid, share)
        basis[use] = "Bevölkerungsraster"
    # decided on the rounded share the tables show, so "90,00 %" is never partial
    rounded = np.round(share, 4)
    out["coverage_share"] = rounded
    out["coverage_basis"] = basis
    out["gemeinde_partial"] = np.nan_to_num(rounded, nan=1.0) < threshold
    return out


def coverage_note(coverage: pd.DataFrame, relevant: Sequence[Any] | None = None) -> str:
    """German sentence naming the partial Gemeinden (``""`` when there are none).

    Parameters
    ----------
    coverage
        Output of :func:`gemeinde_coverage`.
    relevant
        AGS of the Gemeinden to name (e.g. those holding villages); ``None``: all.
    """
    part = coverage[coverage["gemeinde_partial"].astype(bool)]
    if relevant is not None:
        part = part[part["ags"].isin(list(relevant))]
    if part.empty:
        return ""
    names = ", ".join(
        f"{g} ({s * 100:.0f} %)".replace(".", ",")
        for g, s in zip(part["gemeinde"], part["coverage_share"], strict=True)
    )
    return (
        f"Gemeinden {PARTIAL_LABEL} (weniger als {PARTIAL_THRESHOLD * 100:.0f} % ihrer "
        f"Einwohner bzw. Fläche im Gebiet des Straßennetzes): {names}. Auf ihre Orte ist nur "
        "der abgedeckte Anteil ihrer Einwohner verteilt; in der Kennzahl für den Kreis "
        "zählen sie nicht mit."
    )


def outside_coverage(
    points: gpd.GeoSeries, extent: BaseGeometry | None, *, tolerance_m: float = 0.0
) -> npt.NDArray[np.bool_]:
    """Which points lie further than ``tolerance_m`` outside the network coverage.

    Parameters
    ----------
    points
        Points (any CRS; EPSG:4326 assumed when it has none).
    extent
        The network coverage (EPSG:4326); ``None``: no point is outside.
    tolerance_m
        Distance (metres) outside the coverage that still counts as inside.
    """
    if extent is None or extent.is_empty or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    pts = points if points.crs is not None else points.set_crs(WGS84)
    xy = pts.to_crs(METRIC_CRS).to_numpy()
    area = _metric(extent)
    if tolerance_m > 0:
        area = area.buffer(tolerance_m)
    inside: npt.NDArray[np.bool_] = np.asarray(shapely.intersects(xy, area), dtype=bool)
    return ~inside


def warn_partial(coverage: pd.DataFrame, relevant: Sequence[Any] | None = None) -> str:
    """Log one warning naming the partial Gemeinden; return :func:`coverage_note`'s sentence."""
    note = coverage_note(coverage, relevant)
    if note:
        part = coverage[coverage["gemeinde_partial"].astype(bool)]
        if relevant is not None:
            part = part[part["ags"].isin(list(relevant))]
        logger.warning(
            "%d Gemeinden lie only partly inside the network data (< %.0f %%): %s; only the "
            "covered share of their population is placed on their villages",
            len(part),
            PARTIAL_THRESHOLD * 100,
            ", ".join(
                f"{g} ({s:.0%})"
                for g, s in zip(part["gemeinde"], part["coverage_share"], strict=True)
            ),
        )
    return note


def with_partial_flag(table: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Add ``gemeinde_partial`` to a per-Gemeinde table from the villages' flag.

    A Gemeinde is partial when any of its villages carries
    ``gemeinde_partial == True``.  Without that column in ``villages`` (no
    coverage was computed) ``table`` is returned unchanged, so hand-made
    tables keep their columns.

    Parameters
    ----------
    table
        A table with an ``ags`` column (e.g. the long Gemeinde table).
    villages
        The village table (``ags``, optional ``gemeinde_partial``).

    Returns
    -------
    pandas.DataFrame
        ``table`` with a bool column ``gemeinde_partial`` after the indicators.
    """
    if "gemeinde_partial" not in villages.columns or "ags" not in table.columns:
        return table
    flags = villages["gemeinde_partial"].astype("boolean").fillna(value=False).astype(bool)
    partial = set(villages.loc[flags.to_numpy(), "ags"])
    return table.assign(gemeinde_partial=table["ags"].isin(partial).to_numpy())


def _surroundings(
    settings: Settings, boundaries: gpd.GeoDataFrame
) -> tuple[BaseGeometry, gpd.GeoDataFrame] | None:
    """The Kreis's surroundings on German land and the Gemeinden there (``None``: unknown).

    The Kreis is the union of the Gemeinden whose AGS starts with ``[source]
    kreis``, grown by ``buffer_km``; the surroundings are that ring, cut to
    the Gemeinden of the boundary file (abroad no Gemeinde lies, and no
    German offer).  The boundary file is read again for the ring: the run's
    boundaries hold only the Gemeinden inside the road data.
    """
    source = settings.source
    if source is None or boundaries.empty or not source.buffer_km:
        return None
    in_kreis = boundaries["ags"].astype(str).str.startswith(source.kreis).to_numpy()
    if not in_kreis.any():
        return None
    kreis = shapely.union_all(boundaries.to_crs(METRIC_CRS).geometry.make_valid()[in_kreis])
    ring_m = shapely.difference(kreis.buffer(source.buffer_km * 1000.0), kreis)
    ring: BaseGeometry = gpd.GeoSeries([ring_m], crs=METRIC_CRS).to_crs(WGS84).iloc[0]
    gemeinden = boundaries
    if settings.boundaries is not None:
        gemeinden = read_boundaries(
            Path(settings.boundaries), layer=settings.boundaries_layer, clip_to=ring
        )
    if gemeinden.empty:
        return None
    land = shapely.union_all(gemeinden.geometry.make_valid().to_numpy())
    neighbours = gemeinden[~gemeinden["ags"].astype(str).str.startswith(source.kreis).to_numpy()]
    return shapely.intersection(ring, land), neighbours


def road_data_notices(
    settings: Settings, boundaries: gpd.GeoDataFrame, extent: BaseGeometry | None
) -> tuple[str, ...]:
    """The German notice when the road data does not cover the Kreis's surroundings.

    Parameters
    ----------
    settings
        The run's settings; only regions with ``[source]`` (made by
        ``erreichbarkeit prepare``) know their Kreis and buffer.
    boundaries
        The run's Gemeinden (``ags``, ``gemeinde``, polygons, EPSG:4326).
    extent
        The area the network data covers (:func:`network_coverage`).

    Returns
    -------
    tuple[str, ...]
        One notice („Straßendaten fehlen für 23 % des Umlands (Gemeinden …)“,
        :func:`erreichbarkeit.prepare.merge.road_data_notice`), logged as a
        warning, or nothing when at least 98 % are covered or the Kreis is unknown.
    """
    # deferred: erreichbarkeit.prepare loads gtfs_kit (~0.7 s), which runs of
    # regions without [source] (the demo, own files) do not need
    from erreichbarkeit.prepare.merge import road_data_notice, uncovered_area  # noqa: PLC0415

    if extent is None or extent.is_empty:
        return ()
    around = _surroundings(settings, boundaries)
    if around is None or around[0].is_empty:
        return ()
    notice = road_data_notice(uncovered_area(around[0], extent, around[1]))
    if not notice:
        return ()
    logger.warning("%s", notice)
    return (notice,)
