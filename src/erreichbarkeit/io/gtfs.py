"""Public-transport timetables (GTFS feeds) for the mode „Bus & Bahn“.

:func:`read_gtfs` reads one GTFS zip archive (or folder) and validates it
before any long computation: a feed that cannot be used at all (not a zip,
a required file or column missing, not UTF-8, no usable stop or trip)
raises :class:`~erreichbarkeit.errors.InputDataError` naming the file, row
and column; a bad row (a time like ``7:5``, a latitude ``abc``, a stop time
of an unknown stop …) is dropped and listed as a
:class:`~erreichbarkeit.io.tables.RowProblem`.  When rows were dropped, a
cleaned copy of the feed is written to the cache for the router; the
user's file is never changed.

:func:`service_trips`, :func:`choose_reference_day`, :func:`stop_departures`
and :func:`route_lines` answer what the analysis needs from the timetable:
how many trips run on a day, which day to evaluate, how often each stop is
served, and the lines for the map.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io import _gtfs_checks as checks
from erreichbarkeit.io import _gtfs_timetable as tt
from erreichbarkeit.io._gtfs_checks import FeedSource, TableChecker
from erreichbarkeit.io._gtfs_timetable import Timetable, overlapping_blocks, without_blocks
from erreichbarkeit.io.tables import RowProblem

__all__ = [
    "Feed",
    "choose_reference_day",
    "overlapping_blocks",
    "read_gtfs",
    "route_lines",
    "service_trips",
    "stop_departures",
    "without_blocks",
]

logger = logging.getLogger(__name__)

#: GTFS extended route type "Demand and Response Bus Service" (Rufbus).
ON_DEMAND_ROUTE_TYPE = 715
#: Stops outside the region listed one by one; the rest are counted in one warning.
MAX_LISTED_OUTSIDE = 20


@dataclass(frozen=True)
class Feed:
    """A validated GTFS feed.

    Attributes
    ----------
    path
        The user's file (never modified).
    clean_path
        A cleaned copy (bad rows dropped) for the router; ``path`` when nothing was dropped.
    index
        Position in the list of feeds.
    stops
        ``stop_id``, ``stop_name``, ``lon``, ``lat``, ``location_type``, ``parent_station``.
    routes
        ``route_id``, ``route_short_name``, ``route_long_name``, ``route_type``, ``agency_name``.
    first_day, last_day
        First and last day with any service (calendar.txt and calendar_dates.txt).
    problems
        Row problems; rows with severity ``"error"`` were dropped.
    timetable
        Trips, stop times and service calendar for :func:`service_trips` and friends.
    """

    path: Path
    clean_path: Path
    index: int
    stops: pd.DataFrame
    routes: pd.DataFrame
    first_day: dt.date | None
    last_day: dt.date | None
    problems: tuple[RowProblem, ...]
    timetable: Timetable = field(default_factory=tt.empty_timetable, repr=False, compare=False)


def _feed_error(path: Path, member: str | None, what: str, what_de: str) -> InputDataError:
    return InputDataError(
        what,
        file=path if member is None else path / member,
        message_de=what_de,
    )


def _check_files(source: FeedSource) -> None:
    path = source.path
    missing = [n for n in checks.REQUIRED_FILES if not source.has(n)]
    if not any(source.has(n) for n in checks.CALENDAR_FILES):
        missing.append("calendar.txt oder calendar_dates.txt")
    if not missing:
        return
    found = ", ".join(source.names()) or "keine"
    msg = f"GTFS feed lacks {', '.join(missing)} (found: {found})"
    raise InputDataError(
        msg,
        file=path,
        expected="agency, stops, routes, trips, stop_times and calendar or calendar_dates",
        message_de=f"Im Fahrplan „{path.name}“ fehlt {', '.join(missing)} (enthalten: "
        f"{found}); ein GTFS-Fahrplan braucht agency.txt, stops.txt, routes.txt, trips.txt, "
        "stop_times.txt und calendar.txt oder calendar_dates.txt",
    )


def _none_usable(checker: TableChecker, member: str, what: str, what_de: str) -> None:
    reasons = [p.message_de for p in checker.problems if p.file.endswith(member)][:3]
    detail = f" Gründe, z. B.: {'; '.join(reasons)}" if reasons else ""
    msg = f"no usable {what} in {member}"
    raise _feed_error(
        checker.source.path,
        member,
        msg,
        f"Im Fahrplan „{checker.source.path.name}“ ist keine einzige {what_de} in {member} "
        f"verwendbar.{detail}",
    )


def _optional(checker: TableChecker, name: str) -> pd.DataFrame | None:
    return checker.read(name) if checker.source.has(name) else None


def _check_tables(checker: TableChecker) -> dict[str, pd.DataFrame]:
    """Read and check every table; raise when no stop, trip or stop time is usable."""
    t: dict[str, pd.DataFrame] = {"agency.txt": checker.read("agency.txt")}
    t["stops.txt"] = checks.check_stops(checker, checker.read("stops.txt"))
    if t["stops.txt"].empty:
        _none_usable(checker, "stops.txt", "stops", "Haltestelle")
    t["routes.txt"] = checks.check_routes(checker, checker.read("routes.txt"))
    services: list[pd.Series] = []
    if (calendar := _optional(checker, "calendar.txt")) is not None:
        t["calendar.txt"] = checks.check_calendar(checker, calendar)
        services.append(t["calendar.txt"]["service_id"])
    if (dates := _optional(checker, "calendar_dates.txt")) is not None:
        t["calendar_dates.txt"] = checks.check_calendar_dates(checker, dates)
        services.append(t["calendar_dates.txt"]["service_id"])
    raw_trips = checker.read("trips.txt")
    t["trips.txt"] = checks.check_trips(
        checker, raw_trips, t["routes.txt"]["route_id"], pd.concat(services)
    )
    if t["trips.txt"].empty:
        _none_usable(checker, "trips.txt", "trips", "Fahrt")
    dropped = set(raw_trips["trip_id"]) - set(t["trips.txt"]["trip_id"])
    t["stop_times.txt"] = checks.check_stop_times(
        checker,
        checker.read("stop_times.txt"),
        t["trips.txt"]["trip_id"],
        t["stops.txt"]["stop_id"],
        dropped,
    )
    if t["stop_times.txt"].empty:
        _none_usable(checker, "stop_times.txt", "stop times", "Abfahrtszeit")
    _check_shapes(checker, t)
    return t


def _check_shapes(checker: TableChecker, t: dict[str, pd.DataFrame]) -> None:
    """Check shapes.txt when present; a broken one is left out (lines follow the stops)."""
    name = "shapes.txt"
    if not checker.source.has(name):
        return
    try:
        t[name] = checks.check_shapes(checker, checker.read(name))
    except InputDataError as exc:
        checker.changed.add(name)  # left out of the cleaned copy
        checker.problems.append(
            RowProblem(
                checker.label(name),
                exc.row or 1,
                exc.column,
                str(exc),
                f"{exc.message_de}; die Linienverläufe werden nicht verwendet",
                "warning",
            )
        )
        t[name] = pd.DataFrame(columns=list(checks.REQUIRED_COLUMNS[name]))
        if "shape_id" in t["trips.txt"].columns:
            t["trips.txt"] = t["trips.txt"].assign(shape_id="")
            checker.changed.add("trips.txt")
        return
    trips = t["trips.txt"]
    if "shape_id" in trips.columns:
        known = set(t[name]["shape_id"])
        orphan = (trips["shape_id"] != "") & ~trips["shape_id"].isin(known)

        def message(value: str) -> tuple[str, str]:
            return (
                f"shape_id {value!r} not in shapes.txt; reference removed",
                f"Der Linienverlauf „{value}“ steht nicht in shapes.txt; der Verweis wird "
                "entfernt, die Fahrt wird verwendet",
            )

        checker.drop("trips.txt", trips, orphan, "shape_id", message, severity="warning")
        if orphan.any():
            t["trips.txt"] = trips.assign(shape_id=trips["shape_id"].where(~orphan, ""))
            checker.changed.add("trips.txt")


def service_trips(feeds: Sequence[Feed], day: dt.date) -> int:
    """Number of trips running on ``day`` over all feeds.

    Parameters
    ----------
    feeds
        Feeds from :func:`read_gtfs`.
    day
        The service day (calendar.txt weekdays and date range, calendar_dates.txt
        adding or removing single days).

    Returns
    -------
    int
    """
    total = 0
    for feed in feeds:
        trips = feed.timetable.trips
        if not trips.empty:
            total += int(trips["service_id"].isin(tt.active_services(feed.timetable, day)).sum())
    return total


def _de(day: dt.date | None) -> str:
    return "unbekannt" if day is None else day.strftime("%d.%m.%Y")


def _periods(feeds: Sequence[Feed]) -> str:
    return "; ".join(f"{f.path.name}: {_de(f.first_day)} bis {_de(f.last_day)}" for f in feeds)


def _day_counts(feeds: Sequence[Feed]) -> pd.Series:
    """Trips per day summed over the feeds."""
    series = [f.timetable.trips_per_day for f in feeds if not f.timetable.trips_per_day.empty]
    if not series:
        return pd.Series(dtype="int64")
    return pd.concat(series, axis=1).fillna(0).sum(axis=1).astype("int64")


def _best_day(counts: pd.Series, today: dt.date | None) -> dt.date | None:
    """The day with most trips; ties go to the day nearest ``today``, else the first."""
    counts = counts[counts > 0]
    if counts.empty:
        return None
    best = counts[counts == counts.max()].index
    if today is not None:
        distance = np.abs((best - pd.Timestamp(today)).days.to_numpy())
        chosen: pd.Timestamp = best[int(np.argmin(distance))]  # the first of equal distances
        return chosen.date()
    first: pd.Timestamp = best[0]
    return first.date()


def _no_service(feeds: Sequence[Feed], requested: dt.date | None) -> InputDataError:
    periods = _periods(feeds)
    file = feeds[0].path if len(feeds) == 1 else None
    if requested is None:
        msg = f"no trip runs on any day of the GTFS feeds ({periods})"
        de = f"Laut Fahrplan fährt an keinem Tag ein Bus oder eine Bahn ({periods})"
    else:
        msg = f"no trip runs on {requested.isoformat()} (feed periods: {periods})"
        de = (
            f"Am Stichtag {_de(requested)} fährt laut Fahrplan kein Bus und keine Bahn. "
            f"Gültigkeit der Fahrpläne: {periods}. Bitte einen Stichtag in diesem Zeitraum "
            "wählen oder einen aktuellen Fahrplan (GTFS) einlesen"
        )
    return InputDataError(
        msg, file=file, expected="a day within the feeds' service period", message_de=de
    )


def choose_reference_day(
    feeds: Sequence[Feed],
    requested: dt.date | None = None,
    *,
    today: dt.date | None = None,
) -> tuple[dt.date, tuple[str, ...]]:
    """The service day to evaluate and German warnings about it.

    Parameters
    ----------
    feeds
        Feeds from :func:`read_gtfs`.
    requested
        The day the user asked for; an error when no feed has service that day.
    today
        Today's date (for expired feeds and as tie-break); defaults to the system date
        for the expiry check.

    Returns
    -------
    tuple[datetime.date, tuple[str, ...]]
        Without ``requested``: a Tuesday (a normal school day) within the period all
        feeds share, with the most trips; among equal ones the nearest to ``today``,
        else the first.  Other weekdays only when no Tuesday has service.

    Raises
    ------
    InputDataError
        No service on ``requested``, or on any day at all.
    """
    warnings: list[str] = []
    if requested is not None:
        if service_trips(feeds, requested) == 0:
            raise _no_service(feeds, requested)
        day = requested
    else:
        counts = _day_counts(feeds)
        firsts = [f.first_day for f in feeds if f.first_day is not None]
        lasts = [f.last_day for f in feeds if f.last_day is not None]
        common = counts
        if firsts and max(firsts) <= min(lasts):
            common = counts[pd.Timestamp(max(firsts)) : pd.Timestamp(min(lasts))]
        elif len(feeds) > 1:
            warnings.append(
                f"Die Fahrpläne gelten nicht gleichzeitig ({_periods(feeds)}); der "
                "Stichtag ist der Tag mit den meisten Fahrten insgesamt."
            )
        weekday = pd.DatetimeIndex(common.index).day_of_week
        tuesdays = common[weekday == 1]
        workdays = common[weekday < 5]
        chosen = _best_day(tuesdays, today) or _best_day(workdays, today)
        chosen = chosen or _best_day(common, today) or _best_day(counts, today)
        if chosen is None:
            raise _no_service(feeds, None)
        day = chosen
    warnings += _day_warnings(feeds, day, today or dt.date.today())
    return day, tuple(warnings)


def _day_warnings(feeds: Sequence[Feed], day: dt.date, today: dt.date) -> list[str]:
    out = []
    for feed in feeds:
        if feed.last_day is not None and feed.last_day < today:
            out.append(
                f"Der Fahrplan „{feed.path.name}“ ist abgelaufen (gültig bis "
                f"{_de(feed.last_day)}); die Auswertung nutzt den Stichtag {_de(day)}."
            )
        if len(feeds) > 1 and service_trips([feed], day) == 0:
            out.append(
                f"Der Fahrplan „{feed.path.name}“ hat am Stichtag {_de(day)} keine "
                f"Fahrten (gültig {_de(feed.first_day)} bis {_de(feed.last_day)})."
            )
    return out


def stop_departures(feeds: Sequence[Feed], day: dt.date, window: tuple[int, int]) -> pd.DataFrame:
    """Departures per stop on ``day`` within a time window.

    Parameters
    ----------
    feeds
        Feeds from :func:`read_gtfs`.
    day
        Calendar day.  Times from 24:00 on belong to the previous service day, so
        a trip of Monday's service at 25:10:00 departs on Tuesday at 01:10.
    window
        ``[start, end)`` in minutes after midnight of ``day``.

    Returns
    -------
    pandas.DataFrame
        ``feed``, ``stop_id``, ``stop_name``, ``lon``, ``lat``, ``departures``: one row
        per stop served by the feed (0 when no trip departs in the window).  A stop
        time counts when passengers may board (not the last stop of a trip, not
        ``pickup_type`` 1); stop times without times are not counted.
    """
    frames = []
    for feed in feeds:
        st = feed.timetable.stop_times
        counts = pd.Series(0, index=pd.Index(st["stop_id"].unique(), name="stop_id"))
        for back in (0, 1):
            services = tt.active_services(feed.timetable, day - dt.timedelta(days=back))
            trips = feed.timetable.trips
            running = trips.loc[trips["service_id"].isin(services), "trip_id"]
            minutes = st["departure"] / 60 - 1440 * back
            sel = st["boards"] & st["trip_id"].isin(running)
            sel &= (minutes >= window[0]) & (minutes < window[1])
            counts = counts.add(st.loc[sel].groupby("stop_id").size(), fill_value=0)
        stops = feed.stops[["stop_id", "stop_name", "lon", "lat"]]
        frame = stops.merge(counts.rename("departures").reset_index(), on="stop_id")
        frames.append(frame.assign(feed=feed.index))
    columns = ["feed", "stop_id", "stop_name", "lon", "lat", "departures"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.astype({"departures": "int64"}).sort_values(["feed", "stop_id"], ignore_index=True)


def route_lines(
    feeds: Sequence[Feed],
    day: dt.date | None = None,
    *,
    on_demand_routes: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """The lines of the feeds for the map.

    Parameters
    ----------
    feeds
        Feeds from :func:`read_gtfs`.
    day
        Count only trips running that day (routes without such trips are left out);
        ``None``: all trips.
    on_demand_routes
        Route ids to mark as on-demand (Rufbus) besides route type 715.

    Returns
    -------
    geopandas.GeoDataFrame
        ``feed``, ``route_id``, ``name``, ``route_type``, ``on_demand``, ``trips``,
        geometry (EPSG:4326): one line per route and shape (shapes.txt), and for
        trips without a shape one per route along its most common stop sequence.
    """
    columns = ["feed", "route_id", "name", "route_type", "on_demand", "trips"]
    frames = []
    for feed in feeds:
        trips = feed.timetable.trips
        if day is not None:
            trips = trips[trips["service_id"].isin(tt.active_services(feed.timetable, day))]
        shaped = tt.shape_lines(feed.timetable, trips)
        shapeless = trips[~trips["shape_id"].isin(set(feed.timetable.shapes["shape_id"]))]
        lines = pd.concat(
            [shaped, tt.stop_lines(feed.timetable, feed.stops, shapeless)], ignore_index=True
        )
        routes = feed.routes.assign(
            name=feed.routes["route_short_name"].where(
                feed.routes["route_short_name"] != "", feed.routes["route_long_name"]
            )
        )
        lines = lines.merge(routes[["route_id", "name", "route_type"]], on="route_id")
        demand = (lines["route_type"] == ON_DEMAND_ROUTE_TYPE) | lines["route_id"].isin(
            set(on_demand_routes)
        )
        frames.append(lines.assign(feed=feed.index, on_demand=demand))
    if not frames or all(f.empty for f in frames):
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    out = out.astype({"trips": "int64", "route_type": "int64", "on_demand": bool})
    return gpd.GeoDataFrame(out[[*columns, "geometry"]], geometry="geometry", crs=WGS84)


def _outside_region(
    checker: TableChecker, stops: pd.DataFrame, region: shapely.Geometry, max_km: float
) -> None:
    """Warn about stops farther than ``max_km`` from the region (they are kept)."""
    located = stops.dropna(subset=["lon", "lat"])
    points = gpd.GeoSeries(gpd.points_from_xy(located["lon"], located["lat"]), crs=WGS84)
    area = gpd.GeoSeries([region], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    distance = points.to_crs(METRIC_CRS).distance(area).to_numpy() / 1000
    far = np.flatnonzero(distance > max_km)
    name = "stops.txt"
    for i in far[:MAX_LISTED_OUTSIDE]:
        stop = located.iloc[i]
        checker.problems.append(
            RowProblem(
                checker.label(name),
                int(stop["row"]),
                "stop_lat",
                f"stop {stop['stop_name']!r} is {distance[i]:.0f} km outside the region",
                f"Die Haltestelle „{stop['stop_name']}“ liegt {distance[i]:.0f} km außerhalb des "
                f"Gebiets (mehr als {max_km:g} km); sie wird trotzdem verwendet. Passt der "
                "Fahrplan zum Landkreis?",
                "warning",
            )
        )
    if len(far) > MAX_LISTED_OUTSIDE:
        rest = len(far) - MAX_LISTED_OUTSIDE
        checker.problems.append(
            RowProblem(
                checker.label(name),
                int(located.iloc[far[MAX_LISTED_OUTSIDE]]["row"]),
                "stop_lat",
                f"{rest} more stops more than {max_km:g} km outside the region",
                f"{rest} weitere Haltestellen liegen mehr als {max_km:g} km außerhalb des Gebiets; "
                "sie werden trotzdem verwendet",
                "warning",
            )
        )


def _open(path: Path) -> FeedSource:
    if not path.exists():
        msg = "GTFS file not found"
        raise InputDataError(
            msg,
            file=path,
            expected="an existing GTFS .zip file",
            message_de=f"Die Fahrplandatei „{path.name}“ wurde nicht gefunden ({path})",
        )
    return FeedSource(path)


def read_gtfs(
    path: Path,
    *,
    index: int = 0,
    region: shapely.Geometry | None = None,
    max_outside_km: float = 30.0,
    cache_dir: Path | None = None,
) -> Feed:
    """Read and validate a GTFS feed.

    Parameters
    ----------
    path
        GTFS zip archive (or a folder with the .txt files).
    index
        Position of the feed in the list of feeds.
    region
        The analysis region (EPSG:4326); stops farther away are reported (and kept).
    max_outside_km
        How far outside ``region`` a stop may lie without a warning.
    cache_dir
        Where the cleaned copy goes when rows were dropped (default: a temp folder).

    Returns
    -------
    Feed

    Raises
    ------
    InputDataError
        The feed is unusable: not a zip, unreadable, not UTF-8, a required file
        (:class:`~erreichbarkeit.errors.MissingColumnError`: column) missing, or not
        one usable stop, trip or stop time.
    """
    path = Path(path)
    source = _open(path)
    try:
        _check_files(source)
        checker = TableChecker(source)
        tables = _check_tables(checker)
        stops = tt.typed_stops(tables["stops.txt"])
        if region is not None:
            rows = stops.assign(row=tables["stops.txt"].index.to_numpy())
            _outside_region(checker, rows, region, max_outside_km)
        clean = path
        if checker.changed or source.nested:
            clean = tt.write_clean(checker, tables, cache_dir)
    finally:
        source.close()
    timetable = tt.build_timetable(tables)
    served = timetable.trips_per_day[timetable.trips_per_day > 0]
    dropped = sum(p.severity == "error" for p in checker.problems)
    logger.info(
        "%s: %d stops, %d trips, %d rows dropped",
        path.name,
        len(stops),
        len(timetable.trips),
        dropped,
    )
    return Feed(
        path=path,
        clean_path=clean,
        index=index,
        stops=stops,
        routes=tt.typed_routes(tables["routes.txt"], tables["agency.txt"]),
        first_day=served.index[0].date() if len(served) else None,
        last_day=served.index[-1].date() if len(served) else None,
        problems=tuple(checker.problems),
        timetable=timetable,
    )
