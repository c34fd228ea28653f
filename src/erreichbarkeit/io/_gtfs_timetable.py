"""The typed timetable of a validated GTFS feed (private to :mod:`.gtfs`).

Typed tables (times in seconds, dates as datetime64), the trips running per
day, the services running on one day, the map lines of a feed, and the
cleaned copy of a feed for the router.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import LineString

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit.io import _gtfs_checks as checks
from erreichbarkeit.io._gtfs_checks import FeedSource, TableChecker

__all__ = [
    "Timetable",
    "active_services",
    "build_timetable",
    "empty_timetable",
    "overlapping_blocks",
    "shape_lines",
    "stop_lines",
    "typed_routes",
    "typed_stops",
    "without_blocks",
    "write_clean",
]

logger = logging.getLogger(__name__)

#: Bump when the cleaning changes, so that old cleaned copies are not reused.
_CLEAN_VERSION = "1"


@dataclass(frozen=True)
class Timetable:
    """The validated timetable of one feed, typed for the service-day computations."""

    trips: pd.DataFrame  # trip_id, route_id, service_id, shape_id, block_id
    stop_times: pd.DataFrame  # trip_id, stop_id, sequence, departure (s), boards (bool)
    calendar: pd.DataFrame  # service_id, monday … sunday (bool), start, end (datetime64)
    exceptions: pd.DataFrame  # service_id, date (datetime64), added (bool)
    shapes: pd.DataFrame  # shape_id, sequence, lon, lat
    trips_per_day: pd.Series  # trips running per date (datetime64 index)


def empty_timetable() -> Timetable:
    """A timetable without trips (the default of a :class:`~.gtfs.Feed` built by hand)."""

    def frame(*columns: str) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    return Timetable(
        trips=frame("trip_id", "route_id", "service_id", "shape_id", "block_id"),
        stop_times=frame("trip_id", "stop_id", "sequence", "departure", "boards"),
        calendar=frame("service_id", *checks.WEEKDAYS, "start", "end"),
        exceptions=frame("service_id", "date", "added"),
        shapes=frame("shape_id", "sequence", "lon", "lat"),
        trips_per_day=pd.Series(dtype="int64"),
    )


def _content_key(source: FeedSource) -> str:
    """A hash of the feed's content (of the zip file, or of a folder's members)."""
    if not source.path.is_dir():
        digest = file_digest(source.path)
    else:
        h = hashlib.sha256()
        for name in source.names():
            h.update(name.encode() + b"\0" + source.read_bytes(name) + b"\0")
        digest = h.hexdigest()
    return f"{digest[:20]}-v{_CLEAN_VERSION}"


def write_clean(
    checker: TableChecker, tables: dict[str, pd.DataFrame], cache_dir: Path | None
) -> Path:
    """Write the cleaned feed into ``cache_dir`` (once per input content); return its path."""
    source = checker.source
    folder = cache_dir or Path(tempfile.gettempdir()) / "erreichbarkeit-gtfs"
    target = folder / f"{source.path.stem}-{_content_key(source)}.zip"
    if target.exists():
        logger.debug("reusing the cleaned copy %s", target)
        return target
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.names():
            if name in checker.changed and name in tables and not tables[name].empty:
                out.writestr(name, tables[name].to_csv(index=False, lineterminator="\n"))
            elif name not in checker.changed:
                out.writestr(name, source.read_bytes(name))
    logger.info("%s: cleaned copy without the dropped rows in %s", source.path.name, target)
    return target


def typed_stops(table: pd.DataFrame) -> pd.DataFrame:
    def text(column: str) -> pd.Series:
        if column not in table.columns:
            return pd.Series("", index=table.index, dtype=object)
        return table[column].astype(str).str.strip()

    parent = text("parent_station")
    return pd.DataFrame(
        {
            "stop_id": table["stop_id"].astype(str),
            "stop_name": text("stop_name"),
            "lon": checks.to_float(text("stop_lon")),
            "lat": checks.to_float(text("stop_lat")),
            "location_type": text("location_type").replace("", "0").astype(int),
            "parent_station": parent.astype(object).where(parent != "", None),
        }
    ).reset_index(drop=True)


def typed_routes(table: pd.DataFrame, agency: pd.DataFrame) -> pd.DataFrame:
    def text(frame: pd.DataFrame, column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series("", index=frame.index, dtype=object)
        return frame[column].astype(str).str.strip()

    names = dict(zip(text(agency, "agency_id"), text(agency, "agency_name"), strict=True))
    default = text(agency, "agency_name").iloc[0] if len(agency) else ""
    agency_ids = text(table, "agency_id")
    return pd.DataFrame(
        {
            "route_id": table["route_id"].astype(str),
            "route_short_name": text(table, "route_short_name"),
            "route_long_name": text(table, "route_long_name"),
            "route_type": text(table, "route_type").astype(int),
            "agency_name": [names.get(a, default) for a in agency_ids],
        }
    ).reset_index(drop=True)


def _typed_calendar(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cal = tables.get("calendar.txt", pd.DataFrame(columns=checks.REQUIRED_COLUMNS["calendar.txt"]))
    calendar = pd.DataFrame(
        {
            "service_id": cal["service_id"].astype(str),
            **{d: cal[d].astype(str).str.strip() == "1" for d in checks.WEEKDAYS},
            "start": checks.parse_dates(cal["start_date"]),
            "end": checks.parse_dates(cal["end_date"]),
        }
    ).reset_index(drop=True)
    ex = tables.get(
        "calendar_dates.txt", pd.DataFrame(columns=checks.REQUIRED_COLUMNS["calendar_dates.txt"])
    )
    exceptions = pd.DataFrame(
        {
            "service_id": ex["service_id"].astype(str),
            "date": checks.parse_dates(ex["date"]),
            "added": ex["exception_type"].astype(str).str.strip() == "1",
        }
    ).reset_index(drop=True)
    return calendar, exceptions


def _typed_stop_times(table: pd.DataFrame) -> pd.DataFrame:
    seconds = checks.parse_seconds(table["departure_time"])[0]
    seconds = seconds.fillna(checks.parse_seconds(table["arrival_time"])[0])
    frame = pd.DataFrame(
        {
            "trip_id": table["trip_id"].astype(str),
            "stop_id": table["stop_id"].astype(str),
            "sequence": checks.to_float(table["stop_sequence"]).astype("int64"),
            "departure": seconds.astype(float),
        }
    ).reset_index(drop=True)
    pickup = table["pickup_type"].astype(str).str.strip() if "pickup_type" in table else None
    boards = np.ones(len(frame), dtype=bool) if pickup is None else (pickup != "1").to_numpy()
    frame = frame.assign(boards=boards).sort_values(["trip_id", "sequence"], kind="stable")
    # nobody boards at the last stop of a trip
    last = ~frame["trip_id"].duplicated(keep="last")
    return frame.assign(boards=frame["boards"] & ~last).reset_index(drop=True)


def _calendar_active(pairs: pd.DataFrame, calendar: pd.DataFrame) -> np.ndarray:
    """Whether calendar.txt runs each (service_id, date) pair (before exceptions)."""
    if pairs.empty or calendar.empty:
        return np.zeros(len(pairs), dtype=bool)
    merged = pairs[["service_id", "date"]].merge(calendar, how="left", on="service_id")
    flags = merged[list(checks.WEEKDAYS)].fillna(value=False).to_numpy(dtype=bool)
    weekday = merged["date"].dt.day_of_week.to_numpy()
    on_weekday = flags[np.arange(len(merged)), weekday]
    in_range = (merged["start"] <= merged["date"]) & (merged["date"] <= merged["end"])
    return np.asarray(on_weekday & in_range.fillna(value=False).to_numpy(dtype=bool))


def _trips_per_day(
    calendar: pd.DataFrame, exceptions: pd.DataFrame, trips: pd.DataFrame
) -> pd.Series:
    """Trips running on every day of the feed's period (difference arrays per weekday)."""
    per_service = trips.groupby("service_id").size()
    dates = pd.concat([calendar["start"], calendar["end"], exceptions["date"]]).dropna()
    if dates.empty:
        return pd.Series(dtype="int64")
    first = dates.min()
    days = pd.date_range(first, dates.max(), freq="D")
    counts = np.zeros(len(days), dtype=np.int64)
    n = calendar["service_id"].map(per_service).fillna(0).to_numpy(dtype=np.int64)
    start = (calendar["start"] - first).dt.days.to_numpy()
    end = (calendar["end"] - first).dt.days.to_numpy()
    weekday = days.day_of_week.to_numpy()
    for w, name in enumerate(checks.WEEKDAYS):
        sel = calendar[name].to_numpy(dtype=bool) & (n > 0)
        diff = np.zeros(len(days) + 1, dtype=np.int64)
        np.add.at(diff, start[sel], n[sel])
        np.add.at(diff, end[sel] + 1, -n[sel])
        counts += np.where(weekday == w, np.cumsum(diff[:-1]), 0)
    ex_n = exceptions["service_id"].map(per_service).fillna(0).to_numpy(dtype=np.int64)
    active = _calendar_active(exceptions, calendar)
    added = exceptions["added"].to_numpy(dtype=bool)
    delta = np.where(added & ~active, ex_n, 0) - np.where(~added & active, ex_n, 0)
    np.add.at(counts, (exceptions["date"] - first).dt.days.to_numpy(), delta)
    return pd.Series(counts, index=days)


def active_services(timetable: Timetable, day: dt.date) -> set[str]:
    """Service ids running on ``day`` (calendar.txt, then calendar_dates.txt)."""
    stamp = pd.Timestamp(day)
    cal = timetable.calendar
    running: set[str] = set()
    if not cal.empty:
        on = cal[checks.WEEKDAYS[day.weekday()]] & (cal["start"] <= stamp) & (cal["end"] >= stamp)
        running = set(cal.loc[on, "service_id"])
    ex = timetable.exceptions
    if not ex.empty:
        today = ex[ex["date"] == stamp]
        running |= set(today.loc[today["added"], "service_id"])
        running -= set(today.loc[~today["added"], "service_id"])
    return running


def shape_lines(timetable: Timetable, trips: pd.DataFrame) -> pd.DataFrame:
    """(route_id, trips, geometry) per route and shape of trips that have a shape."""
    shapes = timetable.shapes
    with_shape = trips[trips["shape_id"].isin(set(shapes["shape_id"]))]
    if with_shape.empty:
        return pd.DataFrame(columns=["route_id", "trips", "geometry"])
    points = shapes.sort_values(["shape_id", "sequence"], kind="stable")
    geoms = {
        sid: LineString(group[["lon", "lat"]].to_numpy())
        for sid, group in points.groupby("shape_id", sort=False)
        if len(group) >= 2
    }
    lines = with_shape.groupby(["route_id", "shape_id"]).size().rename("trips").reset_index()
    lines = lines.assign(geometry=lines["shape_id"].map(geoms))
    return lines.dropna(subset=["geometry"])[["route_id", "trips", "geometry"]]


def stop_lines(timetable: Timetable, stops: pd.DataFrame, trips: pd.DataFrame) -> pd.DataFrame:
    """(route_id, trips, geometry): the most common stop sequence of each route."""
    st = timetable.stop_times  # sorted by trip and stop_sequence
    st = st[st["trip_id"].isin(trips["trip_id"].unique())]
    if st.empty:
        return pd.DataFrame(columns=["route_id", "trips", "geometry"])
    codes, stop_ids = pd.factorize(st["stop_id"])
    trip_ids = st["trip_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, trip_ids[1:] != trip_ids[:-1]])
    # a trip's stop sequence as bytes of stop codes: hashable and fast to compare
    keys = [part.tobytes() for part in np.split(codes.astype(np.int32), starts[1:])]
    per_trip = pd.DataFrame({"trip_id": trip_ids[starts], "stops": keys}).merge(
        trips[["trip_id", "route_id"]], on="trip_id"
    )
    coords = stops.dropna(subset=["lon", "lat"]).set_index("stop_id")[["lon", "lat"]]
    where = dict(zip(coords.index, coords.itertuples(index=False, name=None), strict=True))
    rows = []
    for route_id, group in per_trip.groupby("route_id", sort=True):
        common = np.frombuffer(group["stops"].value_counts().index[0], dtype=np.int32)
        points = [where[s] for s in stop_ids[common] if s in where]
        if len(points) >= 2:
            rows.append((route_id, len(group), LineString(points)))
    return pd.DataFrame(rows, columns=["route_id", "trips", "geometry"])


def build_timetable(tables: dict[str, pd.DataFrame]) -> Timetable:
    raw = tables["trips.txt"]
    trips = pd.DataFrame(
        {
            "trip_id": raw["trip_id"].astype(str),
            "route_id": raw["route_id"].astype(str),
            "service_id": raw["service_id"].astype(str),
            "shape_id": raw["shape_id"].astype(str) if "shape_id" in raw else "",
            "block_id": raw["block_id"].astype(str).str.strip() if "block_id" in raw else "",
        }
    ).reset_index(drop=True)
    shp = tables.get("shapes.txt", pd.DataFrame(columns=checks.REQUIRED_COLUMNS["shapes.txt"]))
    shapes = pd.DataFrame(
        {
            "shape_id": shp["shape_id"].astype(str),
            "sequence": checks.to_float(shp["shape_pt_sequence"]),
            "lon": checks.to_float(shp["shape_pt_lon"]),
            "lat": checks.to_float(shp["shape_pt_lat"]),
        }
    ).reset_index(drop=True)
    calendar, exceptions = _typed_calendar(tables)
    return Timetable(
        trips=trips,
        stop_times=_typed_stop_times(tables["stop_times.txt"]),
        calendar=calendar,
        exceptions=exceptions,
        shapes=shapes,
        trips_per_day=_trips_per_day(calendar, exceptions, trips),
    )


def overlapping_blocks(timetable: Timetable, days: list[dt.date]) -> list[str]:
    """Blocks (``block_id``) with trips that run at the same time on one of ``days``.

    A block is one vehicle's sequence of trips: a passenger stays seated from
    one to the next.  When two trips of a block overlap in time the block is
    wrong in the data, and a router that trusts it finds journeys that
    cannot happen (seen in the VRN feed: 30 such blocks on 2022-07-05).

    Trips running after midnight of the previous day count on that day too.
    """
    trips = timetable.trips
    if "block_id" not in trips or not (trips["block_id"] != "").any():
        return []
    st = timetable.stop_times
    spans = st.groupby("trip_id")["departure"].agg(["min", "max"])
    bad: set[str] = set()
    for day in days:
        for back in (0, 1):
            services = active_services(timetable, day - dt.timedelta(days=back))
            run = trips[trips["service_id"].isin(services) & (trips["block_id"] != "")]
            t = run[["trip_id", "block_id"]].join(spans, on="trip_id").dropna()
            t = t.sort_values(["block_id", "min"], kind="stable")
            same = t["block_id"].to_numpy()[1:] == t["block_id"].to_numpy()[:-1]
            overlap = t["min"].to_numpy()[1:] < t["max"].to_numpy()[:-1]
            bad |= set(t["block_id"].to_numpy()[1:][same & overlap])
    return sorted(bad)


def without_blocks(path: Path, blocks: list[str], cache_dir: Path | None) -> Path:
    """A copy of the feed at ``path`` with the ``block_id`` of ``blocks`` removed.

    Written once per (feed content, blocks) into ``cache_dir``; the user's
    file is never changed.  ``path`` may be a zip or a folder.
    """
    folder = cache_dir or Path(tempfile.gettempdir()) / "erreichbarkeit-gtfs"
    source = FeedSource(path)
    try:
        key = hashlib.sha256((_content_key(source) + "\0" + "\0".join(blocks)).encode()).hexdigest()
        target = folder / f"{path.stem}-bloecke-{key[:20]}-v{_CLEAN_VERSION}.zip"
        if target.exists():
            return target
        drop = set(blocks)
        with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for name in source.names():
                data = source.read_bytes(name)
                if name == "trips.txt":
                    trips = pd.read_csv(
                        io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
                    )
                    trips.loc[trips["block_id"].str.strip().isin(drop), "block_id"] = ""
                    data = trips.to_csv(index=False, lineterminator="\n").encode("utf-8")
                out.writestr(name, data)
    finally:
        source.close()
    logger.info("%s: %d inconsistent blocks removed in %s", path.name, len(drop), target)
    return target
