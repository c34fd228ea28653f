"""From the settings to a ready Bus & Bahn router: feeds, reference day, engine.

:func:`load_feeds` runs with the other input checks, before any routing: a
broken feed or a reference day without service is reported at once.
:func:`open_transit_router` starts the timetable worker(s) and wraps them
with the foot router into a :class:`~erreichbarkeit.network.transit.router.TransitRouter`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from erreichbarkeit.config import Settings
from erreichbarkeit.config.parallel import worker_cap
from erreichbarkeit.config.transit import DEFAULT_PT_WINDOW
from erreichbarkeit.errors import RoutingError
from erreichbarkeit.io.gtfs import (
    Feed,
    choose_reference_day,
    overlapping_blocks,
    read_gtfs,
    without_blocks,
)
from erreichbarkeit.io.tables import RowProblem
from erreichbarkeit.network.routing import Router, RouterLike, prepare_router
from erreichbarkeit.network.transit.engine import TransitEngine, transit_status
from erreichbarkeit.network.transit.router import TransitRouter

__all__ = [
    "TRANSIT_ENGINE_VERSION",
    "Timetable",
    "boarding_stops",
    "load_feeds",
    "make_all_routers",
    "open_transit_router",
]

logger = logging.getLogger(__name__)


def _pinned_engine() -> str:
    """``pynigiri x.y.z`` as pinned in the worker's ``requirements.txt``."""
    text = resources.files("erreichbarkeit.network.transit").joinpath("requirements.txt")
    for line in text.read_text("utf-8").splitlines():
        if line.startswith("pynigiri=="):
            return "pynigiri " + line.split("==", 1)[1].strip()
    return "pynigiri"  # pragma: no cover - the file pins it


#: The timetable router and its pinned version (for the Methodik sheet).
TRANSIT_ENGINE_VERSION = _pinned_engine()


@dataclass(frozen=True)
class Timetable:
    """The validated feeds of a run and the reference day.

    Attributes
    ----------
    feeds
        One :class:`~erreichbarkeit.io.gtfs.Feed` per file, in order.
    day
        The reference school day.
    warnings
        German notes for the user (expired feed, …).
    """

    feeds: tuple[Feed, ...]
    day: dt.date
    warnings: tuple[str, ...] = ()


def load_feeds(
    settings: Settings, region: Any = None, *, today: dt.date | None = None
) -> Timetable:
    """Read and check every GTFS feed of the settings and choose the reference day.

    Parameters
    ----------
    settings
        Its ``gtfs`` files and ``transit.date``.
    region
        Shapely geometry (EPSG:4326) of the region: stops far outside are reported.
    today
        For the "feed has expired" warning (default: today).

    Raises
    ------
    InputDataError
        A feed is unusable, or no day (or not the requested one) has service.
    """
    cache = Path(settings.cache_dir) / "gtfs"
    feeds = tuple(
        read_gtfs(Path(p), index=k, region=region, cache_dir=cache)
        for k, p in enumerate(settings.gtfs)
    )
    day, warnings = choose_reference_day(
        feeds, settings.transit.date, today=today or dt.date.today()
    )
    for w in warnings:
        logger.warning("%s", w)
    feeds = tuple(_consistent_blocks(f, day, cache) for f in feeds)
    return Timetable(feeds, day, tuple(warnings))


def _consistent_blocks(feed: Feed, day: dt.date, cache: Path) -> Feed:
    """The feed without the ``block_id`` of blocks whose trips overlap around ``day``.

    The timetable router lets passengers stay seated from one trip of a block
    to the next; a block whose trips run at the same time would give journeys
    that cannot happen.  Such blocks are dropped (their trips still run, a
    change between them counts as a transfer) and named in a warning.
    """
    days = [day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)]
    bad = overlapping_blocks(feed.timetable, days)
    if not bad:
        return feed
    shown = ", ".join(bad[:5]) + (" …" if len(bad) > 5 else "")
    problem = RowProblem(
        f"{feed.path.name}/trips.txt", 1, "block_id",
        f"{len(bad)} blocks with overlapping trips ignored ({shown})",
        f"{len(bad)} Umlaufnummern (block_id) mit gleichzeitig fahrenden Fahrten werden nicht "
        f"als „sitzen bleiben“ gewertet, ein Wechsel zählt als Umstieg ({shown})",
        "warning",
    )  # fmt: skip
    clean = without_blocks(feed.clean_path, bad, cache)
    return dataclasses.replace(feed, clean_path=clean, problems=(*feed.problems, problem))


def boarding_stops(feeds: Sequence[Feed]) -> pd.DataFrame:
    """The stops a trip can start or end at: ``feed, stop_id, stop_name, lon, lat``.

    Stations (``location_type`` 1) and entrances are left out; their
    platforms (type 0 or empty) are the boarding points.
    """
    frames = []
    for feed in feeds:
        stops = feed.stops
        kind = pd.to_numeric(stops["location_type"], errors="coerce").fillna(0)
        part = stops.loc[kind == 0, ["stop_id", "stop_name", "lon", "lat"]].copy()
        part.insert(0, "feed", feed.index)
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=["feed", "stop_id", "stop_name", "lon", "lat"])
    return pd.concat(frames, ignore_index=True)


def open_transit_router(settings: Settings, walk: Router, timetable: Timetable) -> TransitRouter:
    """Start the timetable engine and wrap it with the foot router.

    Raises
    ------
    RoutingError
        No Python 3.11 environment with the timetable router (German
        message saying how to get it), or the engine cannot load the feeds.
    """
    status = transit_status(settings.transit.python)
    if not status.available:
        msg = "Bus & Bahn is not available: " + status.reason_de
        raise RoutingError(msg, message_de=status.reason_de)
    engine = TransitEngine(
        [f.clean_path for f in timetable.feeds],
        timetable.day,
        python=status.python,
        workers=min(settings.transit.workers, worker_cap(settings.workers)),
        max_transfers=settings.transit.max_transfers,
    )
    windows = {c: settings.pt_window(c) for c in settings.categories()}
    return TransitRouter(
        walk,
        engine,
        boarding_stops(timetable.feeds),
        windows=windows,
        default_window=DEFAULT_PT_WINDOW,
        max_access_min=settings.transit.max_access_min,
        cutoff_minutes=settings.routing.cutoff_minutes,
        candidates=settings.transit.candidates,
    )


def make_all_routers(
    settings: Settings, network_osm: Path, timetable: Timetable | None
) -> dict[str, RouterLike]:
    """Routers for every mode of ``settings``, Bus & Bahn included (scenarios, planning).

    Parameters
    ----------
    settings
        The run's settings.
    network_osm
        The run's OSM file.
    timetable
        The run's checked feeds (``Results.inputs.timetable``); required with ``pt``.
    """
    routers: dict[str, RouterLike] = {
        m: prepare_router(settings, network_osm, m) for m in settings.road_modes
    }
    if "pt" in settings.modes:
        if timetable is None:
            msg = "Bus & Bahn needs the run's timetable"
            raise RoutingError(msg, message_de="Für Bus & Bahn fehlt der Fahrplan des Laufs")
        walk = routers.get("walk")
        if not isinstance(walk, Router):
            walk = prepare_router(settings, network_osm, "walk")
        routers["pt"] = open_transit_router(settings, walk, timetable)
    return routers
