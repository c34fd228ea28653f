"""The types every stage hands on: :class:`Inputs` and :class:`Results`.

Only data classes live here, so that the planning, report and web-map layers
can take a finished run without importing the orchestrator
(:mod:`erreichbarkeit.pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import Settings, age_column
from erreichbarkeit.errors import ConfigError

if TYPE_CHECKING:  # the grid result type only annotates; importing it would invert the layers
    from erreichbarkeit.analysis.grid import GridResult

__all__ = ["Inputs", "Results"]


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of one run (all EPSG:4326)."""

    network_osm: Path
    villages: gpd.GeoDataFrame
    offers: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    addresses: pd.DataFrame
    problems: tuple[Any, ...] = ()
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: tuple[Mapping[str, str], ...] = ()
    estimates: tuple[str, ...] = ()
    network_report: Any = None
    #: shapely (Multi)Polygon (EPSG:4326) the network data covers: the 1-km squares
    #: holding road nodes, closed and hole-filled (:mod:`erreichbarkeit.analysis.coverage`)
    extent: Any = None
    #: the checked GTFS feeds and the reference day
    #: (:class:`erreichbarkeit.network.transit.setup.Timetable`) when Bus & Bahn runs
    timetable: Any = None
    #: German notes every view shows: Bus & Bahn switched off and why, an expired timetable …
    notices: tuple[str, ...] = ()
    #: the resolved Zuständigkeit tables: one row per village × category with the
    #: responsible offer (:func:`erreichbarkeit.io.responsibility.read_responsibility`)
    responsibility: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the outreach offers („aufsuchende Angebote“): one row per village × category × offer
    #: (:func:`erreichbarkeit.io.outreach.read_outreach`); the villages carry their flags
    outreach: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the table of social indicators (:class:`erreichbarkeit.io.need.NeedTable`) or ``None``
    need: Any = None


@dataclass(frozen=True)
class Results:
    """Everything one run produced.

    Attributes
    ----------
    villages
        One row per village: Gemeinde, population, children, snap distance
        per mode, and per category × mode nearest offer, minutes, km, second
        nearest minutes, offers within the threshold.
    gemeinden
        Per Gemeinde × category × mode: weighted mean/median minutes,
        children beyond the threshold, underserved villages (long form).
    kreis
        The same indicators over the whole region.
    offers, boundaries
        The offers and Gemeinde polygons used (boundaries with
        ``coverage_share`` and ``gemeinde_partial``: Gemeinden only partly
        inside the network data).
    travel_times
        The long table ``origin_id, destination_id, mode, minutes, km``.
    snapping
        ``id, role, mode, snap_m, snap_ok``.
    timings
        Seconds per step.
    grid
        The population grid surface (:mod:`erreichbarkeit.analysis.grid`) when
        ``settings.grid_cell_m`` is set.
    supply, supply_gemeinden
        Supply versus demand (2SFCA, :mod:`erreichbarkeit.analysis.supply`) per
        village and per Gemeinde, long form with ``category`` and ``mode``.
    transit
        Bus & Bahn details per village × offer pair asked of the timetable
        (:func:`erreichbarkeit.network.matrix.transit_details`): median, best
        minutes, departures in the window, transfers, walking alone; empty
        without ``pt``.
    transit_gemeinden
        Per Gemeinde and category: the children-weighted median of the
        Bus & Bahn ÷ car factor and the villages without Bus & Bahn
        (:func:`erreichbarkeit.analysis.transit.gemeinde_transit`).
    """

    settings: Settings
    inputs: Inputs
    villages: gpd.GeoDataFrame
    gemeinden: pd.DataFrame
    kreis: pd.DataFrame
    travel_times: pd.DataFrame
    snapping: pd.DataFrame
    categories: tuple[str, ...]
    timings: Mapping[str, float]
    grid: GridResult | None = None
    supply: pd.DataFrame = field(default_factory=pd.DataFrame)
    supply_gemeinden: pd.DataFrame = field(default_factory=pd.DataFrame)
    transit: pd.DataFrame = field(default_factory=pd.DataFrame)
    transit_gemeinden: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per village × category × mode: minutes to the responsible Stelle next to the
    #: nearest offer (:func:`erreichbarkeit.analysis.responsibility.responsibility_table`)
    responsibility: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def offers(self) -> gpd.GeoDataFrame:
        """Offers used in the run."""
        return self.inputs.offers

    @property
    def need(self) -> Any:
        """The table of social indicators (``None``: no ranking by need)."""
        return self.inputs.need

    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        """Gemeinde polygons used in the run."""
        return self.inputs.boundaries

    def check_choice(self, mode: str, age_group: str, category: str | None = None) -> None:
        """Raise :class:`ConfigError` unless the run has results for this choice.

        Parameters
        ----------
        mode
            A mode of ``settings.modes``.
        age_group
            One of :data:`erreichbarkeit.config.AGE_GROUPS`.
        category
            A category key; ``None`` skips the category check.
        """
        age_column(age_group)  # ConfigError for an unknown age group
        if mode not in self.settings.modes:
            msg = f"mode {mode!r} was not computed"
            raise ConfigError(
                msg,
                column="mode",
                expected=", ".join(self.settings.modes),
                message_de=f"Verkehrsmittel „{mode}“ wurde nicht berechnet",
            )
        if category is not None and f"{category}_{mode}_min" not in self.villages.columns:
            msg = f"category {category!r} has no results"
            raise ConfigError(
                msg,
                column="category",
                expected=", ".join(self.categories),
                message_de=f"Für die Kategorie „{category}“ gibt es keine Ergebnisse",
            )
