"""The grid surface of a run: cells, travel minutes, indicators and notes.

:func:`compute_grid` reads the population grid and the settlement proxy
named in the settings, builds the cells, routes them and aggregates them
into a :class:`GridResult`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis.grid.cells import GRID_CRS, cell_size
from erreichbarkeit.analysis.grid.indicators import grid_indicators
from erreichbarkeit.analysis.grid.population import build_grid
from erreichbarkeit.analysis.grid.routing import grid_travel_times
from erreichbarkeit.analysis.grid.settled import settled_lines_from_network
from erreichbarkeit.analysis.grid.zensus import read_population_grid
from erreichbarkeit.config import ProgressCallback

if TYPE_CHECKING:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.network.routing import RouterLike

__all__ = ["GridResult", "compute_grid"]


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
    routers: Mapping[str, RouterLike],
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
    size = cell_size(settings.grid_cell_m or 250)
    population, settled = _read_inputs(settings, boundaries)
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
    gem, kreis = grid_indicators(
        cells,
        categories=categories,
        modes=list(settings.modes),
        cutoff=settings.routing.cutoff_minutes,
    )
    meta = _meta(
        cells,
        size=size,
        pop_file=Path(settings.population_grid) if settings.population_grid else None,
        has_roads=settled is not None and len(settled) > 0,
    )
    meta["Rechenzeiten Raster"] = ", ".join(
        f"{k}: " + f"{v:.1f}".replace(".", ",") + " s" for k, v in timings.items()
    )
    return GridResult(
        cells=cells,
        gemeinde=gem,
        kreis=kreis,
        meta=MappingProxyType(meta),
        timings=MappingProxyType(timings),
    )


def _read_inputs(
    settings: Settings, boundaries: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoSeries | None]:
    """The settings' population grid (cells near the area) and settlement proxy, if any."""
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
    return population, settled
