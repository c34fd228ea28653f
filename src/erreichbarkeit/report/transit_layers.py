"""Bus & Bahn on paper: what a printed map or Steckbrief of the ``pt`` mode shows.

The stops (with their departures in a category's window) and the lines of
the run's timetable for the maps (:func:`transit_map_layers`, drawn by
:func:`erreichbarkeit.report.mapplot.draw_transit`), and the German captions
that say which window and which reference day every Bus & Bahn figure covers
(:func:`window_caption`: „Abfahrt 06:30–08:00 am Di 10.03.2026“).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import NamedTuple

import geopandas as gpd

from erreichbarkeit.config import WGS84, format_window
from erreichbarkeit.io import gtfs
from erreichbarkeit.results import Results

__all__ = [
    "TransitMap",
    "day_de",
    "transit_day",
    "transit_map_layers",
    "window_caption",
]

logger = logging.getLogger(__name__)

_WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


class TransitMap(NamedTuple):
    """The Bus & Bahn layers of one category's map (EPSG:4326; ``None`` when empty).

    Attributes
    ----------
    stops
        ``stop_id, stop_name, departures`` (in the window; 0 = none), Points.
    lines
        ``route_id, name, on_demand`` (Rufbus, AST, Bürgerbus), Lines.
    caption
        „Abfahrt 06:30–08:00 am Di 10.03.2026“.
    """

    stops: gpd.GeoDataFrame | None
    lines: gpd.GeoDataFrame | None
    caption: str


def day_de(day: dt.date) -> str:
    """``date(2026, 3, 10)`` → ``"Di 10.03.2026"``.

    Examples
    --------
    >>> day_de(dt.date(2026, 3, 10))
    'Di 10.03.2026'
    """
    return f"{_WEEKDAYS[day.weekday()]} {day:%d.%m.%Y}"


def window_caption(window: tuple[int, int], day: dt.date | None) -> str:
    """„Abfahrt 06:30–08:00 am Di 10.03.2026“ (without a day: „Abfahrt 06:30–08:00“).

    Examples
    --------
    >>> window_caption((390, 480), dt.date(2026, 3, 10))
    'Abfahrt 06:30–08:00 am Di 10.03.2026'
    """
    text = f"Abfahrt {format_window(window)}"
    return f"{text} am {day_de(day)}" if day is not None else text


def transit_day(results: Results) -> dt.date | None:
    """The reference day of the run's timetable (``None`` without Bus & Bahn)."""
    timetable = results.inputs.timetable
    day = getattr(timetable, "day", None)
    return day if isinstance(day, dt.date) else None


def transit_map_layers(results: Results, category: str) -> TransitMap:
    """Stops and lines of the run's timetable for the map of ``category``.

    Parameters
    ----------
    results
        A run with Bus & Bahn (``inputs.timetable``).
    category
        Its departure window (:meth:`Settings.pt_window`) counts the
        departures per stop on the reference day.

    Returns
    -------
    TransitMap
        Empty layers (``None``) when the run has no timetable.
    """
    window = results.settings.pt_window(category)
    timetable = results.inputs.timetable
    day = transit_day(results)
    caption = window_caption(window, day)
    feeds = tuple(getattr(timetable, "feeds", ()) or ())
    if day is None or not feeds:
        return TransitMap(None, None, caption)
    table = gtfs.stop_departures(feeds, day, window)
    stops = gpd.GeoDataFrame(
        table[["stop_id", "stop_name", "departures"]],
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=WGS84,
    )
    lines = gtfs.route_lines(feeds, day, on_demand_routes=results.settings.transit.on_demand_routes)
    logger.debug("Bus & Bahn map %s: %d stops, %d lines", category, len(stops), len(lines))
    return TransitMap(stops if len(stops) else None, lines if len(lines) else None, caption)
