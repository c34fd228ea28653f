"""Bus & Bahn worker: answers timetable queries with pynigiri (RAPTOR).

This file runs as a program in its own Python 3.11 environment
(``.venv-pt/bin/python worker.py``), because pynigiri ships only a CPython
3.11 wheel.  It therefore imports nothing from ``erreichbarkeit``; pynigiri
and pyarrow are imported inside the functions that need them, so that the
main (3.12) process can import this module and test the pure numpy
functions :func:`per_minute_minutes` and :func:`summarise`.

Protocol (JSON lines): the client writes one request per line to stdin, the
worker answers with exactly one line on stdout per request.  Tables travel
as Parquet files in the client's private temporary folder; the worker writes
its result atomically (temporary name, then ``os.replace``).  nigiri's log
and the worker's own log go to stderr, which the client sends to a file.

Requests (all times are UTC epoch minutes)::

    {"cmd": "load", "feeds": [path, ...], "day": "YYYY-MM-DD", "max_transfers": 6}
    {"cmd": "stops", "stops": in.parquet, "out": out.parquet}
    {"cmd": "range", "access": a.parquet, "egress": e.parquet, "pairs": p.parquet,
     "t0": int, "t1": int, "max_minutes": int, "out": out.parquet}
    {"cmd": "earliest", "access": ..., "egress": ..., "trips": t.parquet,
     "max_minutes": int, "out": out.parquet}
    {"cmd": "quit"}

Replies: ``{"ok": true, ...statistics...}`` or ``{"ok": false, "error": text}``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

__all__ = ["per_minute_minutes", "summarise"]

logger = logging.getLogger("erreichbarkeit.transit.worker")

#: How many unknown stop ids a reply names (the count is always complete).
_MAX_UNKNOWN_LISTED = 20

FloatArray = npt.NDArray[np.float64]


def per_minute_minutes(  # noqa: PLR0917  (the documented signature)
    dep: Sequence[int] | npt.NDArray[np.int64],
    arr: Sequence[int] | npt.NDArray[np.int64],
    t0: int,
    t1: int,
    after: float,
    max_minutes: float,
) -> FloatArray:
    """Travel time for every departure minute of the window ``[t0, t1)``.

    Conveyal R5 / r5py style: leaving at minute ``m`` you take the journey
    that departs at or after ``m`` and arrives earliest, so the time includes
    the initial wait.  Journeys from the range query cover the window; the
    earliest arrival of a point query at ``t1`` covers the minutes after the
    last departure inside it.

    Parameters
    ----------
    dep, arr
        Departure and arrival (minutes) of the range query's journeys, in any
        order; both include the access and egress walks.
    t0, t1
        The half-open window of departure minutes.
    after
        Earliest arrival of journeys departing at or after ``t1``
        (``math.inf`` when there is none).
    max_minutes
        Longer travel times count as unreachable.

    Returns
    -------
    numpy.ndarray
        ``t1 - t0`` floats; ``inf`` where unreachable within ``max_minutes``.
    """
    minutes = np.arange(t0, t1, dtype=np.int64)
    result = np.asarray(after, dtype=np.float64) - minutes.astype(np.float64)
    dep_a = np.asarray(dep, dtype=np.int64)
    arr_a = np.asarray(arr, dtype=np.int64)
    if dep_a.size:
        order = np.argsort(dep_a, kind="stable")
        dep_s, arr_s = dep_a[order], arr_a[order].astype(np.float64)
        best_from = np.minimum.accumulate(arr_s[::-1])[::-1]
        k = np.searchsorted(dep_s, minutes, side="left")
        ok = k < dep_s.size
        result[ok] = np.minimum(result[ok], best_from[k[ok]] - minutes[ok])
    result[result > max_minutes] = np.inf
    return result


def summarise(
    per_minute: FloatArray,
    *,
    dep: Sequence[int] | npt.NDArray[np.int64],
    arr: Sequence[int] | npt.NDArray[np.int64],
    transfers: Sequence[int] | npt.NDArray[np.int64],
    t1: int,
    after: float,
    after_transfers: int,
    max_minutes: float,
) -> dict[str, float | int]:
    """Median, best time, departures, transfers and reachable share of one pair.

    Parameters
    ----------
    per_minute
        Result of :func:`per_minute_minutes`.
    dep, arr, transfers
        The range query's journeys (departure, arrival, number of transfers).
    t1
        End (exclusive) of the window.
    after, after_transfers
        Earliest arrival (``inf`` if none) and its transfers for departures at
        or after ``t1``.
    max_minutes
        Longer journeys are not usable.

    Returns
    -------
    dict
        ``median_min`` (``sorted(TT)[ceil(n/2) - 1]`` with unreachable minutes
        sorted last, NaN when unreachable), ``best_min`` (smallest per-minute
        time, NaN if none), ``departures`` (distinct departure times inside the
        window of journeys within ``max_minutes`` that no later departure
        beats), ``transfers`` (of the best journey, fewest on a tie; -1 if
        none) and ``reachable_share`` (0..1).
    """
    n = int(per_minute.size)
    if n == 0:
        return {"median_min": math.nan, "best_min": math.nan, "departures": 0,
                "transfers": -1, "reachable_share": 0.0}
    ordered = np.sort(per_minute)
    median = float(ordered[math.ceil(0.5 * n) - 1])
    best = float(ordered[0])
    dep_a = np.asarray(dep, dtype=np.int64)
    arr_a = np.asarray(arr, dtype=np.int64)
    tr_a = np.asarray(transfers, dtype=np.int64)
    duration = arr_a - dep_a
    usable = (duration <= max_minutes) & _not_dominated(dep_a, arr_a, after)
    best_transfers = -1
    if math.isfinite(best):
        # the minimum over all minutes is reached at a journey's own departure
        # minute, or at the window's last minute by the journey after it
        candidates = [int(t) for t in tr_a[usable & (duration == best)]]
        if math.isfinite(after) and after - (t1 - 1) == best:
            candidates.append(int(after_transfers))
        best_transfers = min(candidates) if candidates else -1
    return {
        "median_min": median if math.isfinite(median) else math.nan,
        "best_min": best if math.isfinite(best) else math.nan,
        "departures": int(np.unique(dep_a[usable]).size),
        "transfers": best_transfers,
        "reachable_share": float(np.isfinite(per_minute).sum()) / n,
    }


def _not_dominated(dep: npt.NDArray[np.int64], arr: npt.NDArray[np.int64],
                   after: float) -> npt.NDArray[np.bool_]:
    """Journeys that no journey departing strictly later beats (arrives no later).

    ``after`` (the earliest arrival of departures at or after the window's
    end) counts as such a later journey.
    """
    if dep.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(dep, kind="stable")
    dep_s, arr_s = dep[order], arr[order].astype(np.float64)
    suffix = np.append(np.minimum.accumulate(arr_s[::-1])[::-1], after)
    # first journey departing strictly later than each one
    later = np.searchsorted(dep_s, dep_s, side="right")
    result = np.empty(dep.size, dtype=bool)
    result[order] = arr_s < suffix[later]
    return result


# --------------------------------------------------------------------------------------
# everything below runs only inside the worker process (pynigiri, pyarrow)


class _Router:
    """A loaded timetable plus the stop lookup; answers the requests."""

    def __init__(self, feeds: Sequence[str], day: str, max_transfers: int) -> None:
        import pynigiri as ng  # noqa: PLC0415  (only in the 3.11 worker)

        self.ng = ng
        for feed in feeds:
            if not Path(feed).exists():
                msg = f"GTFS feed not found: {feed}"
                raise FileNotFoundError(msg)
        start = dt.date.fromisoformat(day)
        first = (start - dt.timedelta(days=1)).isoformat()
        last = (start + dt.timedelta(days=2)).isoformat()  # end date is exclusive
        sources = [ng.TimetableSource("gtfs", str(feed)) for feed in feeds]
        self.tt = ng.load_timetable(sources, first, last)
        self.n_feeds = len(feeds)
        self.max_transfers = max_transfers
        self._locations: dict[tuple[int, str], int | None] = {}
        self.unknown: set[tuple[int, str]] = set()

    def location(self, feed: int, stop_id: str) -> int | None:
        """nigiri location index of a stop of feed ``feed`` (None if unknown)."""
        key = (feed, stop_id)
        if key not in self._locations:
            loc = None
            if 0 <= feed < self.n_feeds:
                found = self.tt.find_location(stop_id, self.ng.SourceIdx(feed))
                loc = None if found is None else int(found)
            self._locations[key] = loc
        return self._locations[key]

    def offsets(self, table: Any, key: str) -> dict[int, dict[int, int]]:
        """``{origin or destination: {location: walk minutes}}`` from an access/egress table."""
        result: dict[int, dict[int, int]] = {}
        cols = table.to_pydict()
        for ident, feed, stop_id, walk in zip(
            cols[key], cols["feed"], cols["stop_id"], cols["walk_min"], strict=True
        ):
            loc = self.location(int(feed), str(stop_id))
            if loc is None:
                self.unknown.add((int(feed), str(stop_id)))
                continue
            stops = result.setdefault(int(ident), {})
            stops[loc] = min(int(walk), stops.get(loc, int(walk)))
        return result

    def query(self, start: dict[int, int], dest: dict[int, int], start_time: Any,
              max_minutes: int) -> list[Any]:
        """Run one nigiri query (INTERMODAL on both sides, so walks count)."""
        ng = self.ng
        q = ng.Query()
        q.start_time = start_time
        q.start = [ng.Offset(ng.LocationIdx(loc), walk, 0) for loc, walk in start.items()]
        q.destination = [ng.Offset(ng.LocationIdx(loc), walk, 0) for loc, walk in dest.items()]
        q.start_match_mode = ng.LocationMatchMode.INTERMODAL
        q.dest_match_mode = ng.LocationMatchMode.INTERMODAL
        q.max_transfers = self.max_transfers
        q.max_travel_time = int(max_minutes) + 1  # we apply the limit ourselves
        return list(ng.route(self.tt, q))


def _split(start: dict[int, int], dest: dict[int, int]) -> tuple[dict[int, int], dict[int, int]]:
    """Drop stops that are both a start and a destination candidate (nigiri finds nothing then)."""
    shared = start.keys() & dest.keys()
    if not shared:
        return start, dest
    return ({k: v for k, v in start.items() if k not in shared},
            {k: v for k, v in dest.items() if k not in shared})


def _earliest(journeys: Iterable[Any]) -> tuple[float, int]:
    """Earliest arrival among ``journeys`` and its transfers (fewest on a tie)."""
    best, transfers = math.inf, -1
    for j in journeys:
        arr, tr = j.arrival_time(), int(j.transfers)
        if arr < best or (arr == best and tr < transfers):
            best, transfers = float(arr), tr
    return best, transfers


def _empty_summary() -> dict[str, float | int]:
    return {"median_min": math.nan, "best_min": math.nan, "departures": 0,
            "transfers": -1, "reachable_share": 0.0}


def _range(router: _Router, req: dict[str, Any]) -> dict[str, Any]:
    """Per-pair statistics over the departure window (range + point query)."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    access = router.offsets(pq.read_table(req["access"]), "origin")
    egress = router.offsets(pq.read_table(req["egress"]), "destination")
    pairs = pq.read_table(req["pairs"]).to_pydict()
    t0, t1, max_minutes = int(req["t0"]), int(req["t1"]), int(req["max_minutes"])
    rows: dict[str, list[Any]] = {k: [] for k in (
        "origin", "destination", "median_min", "best_min", "departures", "transfers",
        "reachable_share")}
    queries = 0
    for origin, destination in zip(pairs["origin"], pairs["destination"], strict=True):
        start, dest = _split(access.get(int(origin), {}), egress.get(int(destination), {}))
        summary = _empty_summary()
        if start and dest and t1 > t0:
            journeys = router.query(start, dest, (t0, t1), max_minutes)
            after, after_tr = _earliest(router.query(start, dest, t1, max_minutes))
            queries += 2
            dep = [j.departure_time() for j in journeys]
            arr = [j.arrival_time() for j in journeys]
            trs = [int(j.transfers) for j in journeys]
            per_minute = per_minute_minutes(dep, arr, t0, t1, after, max_minutes)
            summary = summarise(per_minute, dep=dep, arr=arr, transfers=trs, t1=t1, after=after,
                                after_transfers=after_tr, max_minutes=max_minutes)
        rows["origin"].append(int(origin))
        rows["destination"].append(int(destination))
        for key, value in summary.items():
            rows[key].append(value)
    _write(rows, req["out"])
    return {"queries": queries}


def _earliest_arrival(router: _Router, req: dict[str, Any]) -> dict[str, Any]:
    """Earliest arrival for trips leaving no earlier than their start minute."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    access = router.offsets(pq.read_table(req["access"]), "origin")
    egress = router.offsets(pq.read_table(req["egress"]), "destination")
    trips = pq.read_table(req["trips"]).to_pydict()
    max_minutes = int(req["max_minutes"])
    rows: dict[str, list[Any]] = {k: [] for k in (
        "origin", "destination", "start", "arrival", "transfers")}
    for origin, destination, start_time in zip(
        trips["origin"], trips["destination"], trips["start"], strict=True
    ):
        start, dest = _split(access.get(int(origin), {}), egress.get(int(destination), {}))
        arrival, transfers = math.inf, -1
        if start and dest:
            arrival, transfers = _earliest(
                router.query(start, dest, int(start_time), max_minutes))
        if arrival - int(start_time) > max_minutes:
            arrival, transfers = math.inf, -1
        rows["origin"].append(int(origin))
        rows["destination"].append(int(destination))
        rows["start"].append(int(start_time))
        rows["arrival"].append(arrival if math.isfinite(arrival) else math.nan)
        rows["transfers"].append(transfers)
    _write(rows, req["out"])
    return {"queries": len(rows["origin"])}


def _stops(router: _Router, req: dict[str, Any]) -> dict[str, Any]:
    """Which (feed, stop_id) pairs the timetable knows."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    table = pq.read_table(req["stops"]).to_pydict()
    found = [router.location(int(f), str(s)) is not None
             for f, s in zip(table["feed"], table["stop_id"], strict=True)]
    _write({"found": found}, req["out"])
    return {}


def _write(columns: dict[str, list[Any]], out: str) -> None:
    """Write a Parquet file atomically (temporary name, then ``os.replace``)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    tmp = f"{out}.tmp-{os.getpid()}"
    pq.write_table(pa.table(columns), tmp)
    Path(tmp).replace(out)


def _handle(router: _Router | None, req: dict[str, Any]) -> tuple[_Router | None, dict[str, Any]]:
    """Answer one request; returns the (possibly new) router and the reply."""
    cmd = req.get("cmd")
    started = time.perf_counter()
    if cmd == "load":
        router = _Router(req["feeds"], req["day"], int(req.get("max_transfers", 6)))
        reply: dict[str, Any] = {
            "locations": int(router.tt.n_locations()),
            "transports": int(router.tt.n_transports()),
            "date_range": list(router.tt.date_range()),
        }
    elif router is None:
        msg = f"no timetable loaded before {cmd!r}"
        raise RuntimeError(msg)
    elif cmd in _COMMANDS:
        router.unknown = set()
        reply = _COMMANDS[cmd](router, req)
        reply["unknown_count"] = len(router.unknown)
        reply["unknown"] = [list(k) for k in sorted(router.unknown)[:_MAX_UNKNOWN_LISTED]]
    else:
        msg = f"unknown command {cmd!r}"
        raise ValueError(msg)
    reply["ok"] = True
    reply["seconds"] = round(time.perf_counter() - started, 4)
    return router, reply


_COMMANDS = {"range": _range, "earliest": _earliest_arrival, "stops": _stops}


def main() -> int:
    """Serve requests from stdin until ``quit`` or end of input."""
    # keep stdout for the protocol only: whatever else writes to fd 1 goes to stderr
    out: IO[str] = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s worker %(levelname)s %(message)s")
    router: _Router | None = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req.get("cmd") == "quit":
                break
            router, reply = _handle(router, req)
        except Exception as exc:  # report every failure to the client
            logger.exception("request failed")
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
