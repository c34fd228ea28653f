"""Bus & Bahn door to door: OSRM foot legs around nigiri timetable queries.

:class:`TransitRouter` answers the same ``table(sources, destinations)``
question as the OSRM :class:`~erreichbarkeit.network.routing.Router`, so the
long table, scenarios and location suggestions use it unchanged.  One trip is

``walk (village → stop) + wait + ride(s) + transfers + walk (stop → offer)``

* The walk legs are routed on the OSM foot network by the walking router
  (OSRM), never as straight lines: from every point to the stops within
  ``max_access_min`` minutes' walk, and from the stops to every offer.  Their
  minutes include the stop's own snapping leg; the snapping legs of the
  village and the offer are added by the caller as for every mode
  (:func:`erreichbarkeit.network.matrix.with_access_legs`).
* The timetable part is a *range query* of the timetable engine
  (:class:`~erreichbarkeit.network.transit.engine.TransitEngine`) over the
  category's departure window: the travel time for every departure minute,
  reported as the median over the window (as r5py/Conveyal do) together with
  the best time, the number of departures and the transfers.
* Walking the whole way is always a candidate: per departure minute the trip
  takes ``min(walk, public transport)``, so its median is
  ``min(walk, median of public transport)``.  Bus & Bahn is never slower
  than walking alone.

Which pairs are asked: a pair needs a stop within walking distance at both
ends, and its straight-line distance must be coverable within the cutoff at
:data:`MAX_PT_KMH`.  When the caller gives the destinations' categories,
each origin asks only its :attr:`TransitRouter.candidates` nearest offers per
category (straight-line distance); the nearest offer by Bus & Bahn is almost
always among them, and the counts of offers within the threshold are counts
among them (documented in the README's method section).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from erreichbarkeit.network.routing import Router, TableResult

if TYPE_CHECKING:
    from erreichbarkeit.network.transit.engine import TransitEngine

__all__ = ["MAX_PT_KMH", "TransitDetails", "TransitRouter"]

logger = logging.getLogger(__name__)

#: Fastest plausible door-to-door speed by Bus & Bahn (km/h, straight line):
#: pairs further apart than the cutoff allows at this speed are not asked.
MAX_PT_KMH = 100.0
#: Radius in which stops are looked for around a point, as km/h of walking
#: for ``max_access_min``: above OSRM's foot speed (5 km/h), so no stop that
#: the foot network reaches in time is missed; the routed minutes decide.
_SEARCH_KMH = 6.0
_EARTH_M = 6_371_000.0
_DETAIL_COLUMNS = (
    "origin", "destination", "minutes", "median_pt", "best_min", "departures", "transfers",
    "walk_min", "walk_only",
)  # fmt: skip


def _metric(xy: npt.NDArray[np.float64], lat0: float) -> npt.NDArray[np.float64]:
    """Lon/lat → local metres (equirectangular around ``lat0``; fine within a county)."""
    k = math.pi / 180.0 * _EARTH_M
    return np.column_stack([xy[:, 0] * k * math.cos(math.radians(lat0)), xy[:, 1] * k])


@dataclass(frozen=True)
class TransitDetails:
    """What a Bus & Bahn table answer consists of, per asked pair.

    Attributes
    ----------
    pairs
        ``origin, destination`` (row/column indices of the table),
        ``minutes`` (door to door between the snapped points, the median
        over the window, walking included), ``median_pt`` (public transport
        only; NaN when more than half the departure minutes have no trip),
        ``best_min``, ``departures`` (usable departures in the window),
        ``transfers`` (of the best trip; -1 none), ``walk_min`` (walking the
        whole way), ``walk_only`` (walking is at least as fast).
    """

    pairs: pd.DataFrame


class TransitRouter:
    """Door-to-door Bus & Bahn minutes with the interface of the OSRM router.

    Parameters
    ----------
    walk
        The OSRM router of the foot network (legs to and from the stops and
        the walk-only trip).
    engine
        The timetable engine with the feeds loaded for the reference day.
    stops
        Boarding stops: ``feed`` (index), ``stop_id``, ``lon``, ``lat``.
    windows
        Departure window ``(start, end)`` minutes after midnight per category.
    default_window
        Window for destinations without a category.
    max_access_min
        Longest walk to or from a stop, each side.
    cutoff_minutes
        Trips slower than this count as unreachable.
    candidates
        Offers asked per origin and category when categories are given.
    """

    mode = "pt"

    def __init__(
        self,
        walk: Router,
        engine: TransitEngine,
        stops: pd.DataFrame,
        *,
        windows: Mapping[str, tuple[int, int]],
        default_window: tuple[int, int],
        max_access_min: float,
        cutoff_minutes: float,
        candidates: int = 8,
    ) -> None:
        self.walk = walk
        self.engine = engine
        self.access_kmh = walk.access_kmh
        self.network = walk.network
        self.stops = stops.reset_index(drop=True)
        self.windows = dict(windows)
        self.default_window = default_window
        self.max_access_min = float(max_access_min)
        self.cutoff_minutes = float(cutoff_minutes)
        self.candidates = int(candidates)
        self._stop_xy = self.stops[["lon", "lat"]].to_numpy(dtype=float)
        self._lat0 = float(np.mean(self._stop_xy[:, 1])) if len(self._stop_xy) else 51.0
        self._tree = cKDTree(_metric(self._stop_xy, self._lat0)) if len(self._stop_xy) else None
        self._stop_cache: dict[tuple[tuple[int, int], bytes], dict[tuple[int, str], float]] = {}
        self._egress_cache: dict[bytes, pd.DataFrame] = {}

    # -- the router interface ---------------------------------------------------
    def table(
        self,
        sources: npt.ArrayLike,
        destinations: npt.ArrayLike,
        *,
        max_sources_per_query: int = 1000,
        categories: Sequence[str] | None = None,
    ) -> TableResult:
        """Door-to-door minutes like :meth:`Router.table` (``metres`` all NaN).

        ``seconds`` hold the median minutes × 60 between the snapped points;
        the snap distances are those of the foot network.
        """
        result, _ = self.detailed_table(
            sources, destinations, max_sources_per_query=max_sources_per_query,
            categories=categories,
        )  # fmt: skip
        return result

    def detailed_table(
        self,
        sources: npt.ArrayLike,
        destinations: npt.ArrayLike,
        *,
        max_sources_per_query: int = 1000,
        categories: Sequence[str] | None = None,
        serves: Sequence[str] | None = None,
    ) -> tuple[TableResult, TransitDetails]:
        """:meth:`table` plus the per-pair details (best time, departures, transfers).

        Parameters
        ----------
        sources, destinations
            Arrays ``(n, 2)`` of lon/lat.
        max_sources_per_query
            Chunk size of the OSRM foot tables.
        categories
            Category key per destination: picks its departure window and
            limits each origin to its nearest :attr:`candidates` offers per
            category.  ``None``: the default window, every pair.
        serves
            The age groups each destination serves (``"0-3;3-6"``): the
            nearest offers are then taken per category *and* age groups, so
            that an age group's nearest offers serving it are asked even when
            offers for other ages lie nearer.
        """
        src = np.asarray(sources, dtype=float).reshape(-1, 2)
        dst = np.asarray(destinations, dtype=float).reshape(-1, 2)
        walk = self.walk.table(src, dst, max_sources_per_query=max_sources_per_query)
        walk_min = walk.seconds / 60.0
        access = self._legs(src, outbound=True, chunk=max_sources_per_query)
        egress = self._legs(dst, outbound=False, chunk=max_sources_per_query)
        cats = None if categories is None else np.asarray([str(c) for c in categories])
        classes = cats
        if cats is not None and serves is not None:
            classes = np.asarray([f"{c}|{g}" for c, g in zip(cats, serves, strict=True)])
        pairs = self._pairs(src, dst, access, egress, classes)
        pt = self._query(access, egress, pairs, cats)
        minutes = walk_min.copy()
        details = self._details(pt, walk_min)
        if len(details):
            i = details["origin"].to_numpy()
            j = details["destination"].to_numpy()
            minutes[i, j] = details["minutes"].to_numpy()
        result = TableResult(
            seconds=minutes * 60.0,
            metres=np.full_like(minutes, np.nan),
            source_snap_m=walk.source_snap_m,
            destination_snap_m=walk.destination_snap_m,
        )
        return result, TransitDetails(details)

    def nearest_by_category(
        self,
        sources: npt.ArrayLike,
        destinations: npt.ArrayLike,
        groups: Mapping[str, npt.NDArray[np.intp]],
        *,
        max_sources_per_query: int = 1000,
        group_windows: Mapping[str, tuple[int, int]] | None = None,
    ) -> tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
        """Minutes from many points (grid cells) to the nearest destination per group.

        One timetable query per stop and category instead of one per cell
        and offer (an approximation, documented in the README): each stop's
        median minutes to the category's nearest offer (any of them, over
        the category's window) are added to the walk from the cell to the
        stop; the cell takes the best stop, or walking the whole way when
        that is faster.  Adding the walk to a median that was taken at the
        stop's departure minutes shifts the window by that walk (≤ 15 min).

        Parameters
        ----------
        sources, destinations
            Lon/lat arrays ``(n, 2)``.
        groups
            Category key → column indices of ``destinations``.
        group_windows
            Departure window per group (default: the window of the category
            named by the group key).

        Returns
        -------
        tuple
            Per group the minutes between the snapped source and the
            destination (including the destination's snapping leg; NaN =
            unreachable), and the sources' snap distances.
        """
        src = np.asarray(sources, dtype=float).reshape(-1, 2)
        dst = np.asarray(destinations, dtype=float).reshape(-1, 2)
        walk = self.walk.table(src, dst, max_sources_per_query=max_sources_per_query)
        dst_leg = walk.destination_snap_m / (self.access_kmh / 3.6) / 60.0
        walk_min = walk.seconds / 60.0 + dst_leg[None, :]
        access = self._legs(src, outbound=True, chunk=max_sources_per_query)
        egress = self._egress(dst, dst_leg, max_sources_per_query)
        starts = access[["feed", "stop_id"]].drop_duplicates()
        out: dict[str, npt.NDArray[np.float64]] = {}
        for cat, cols in groups.items():
            best = (
                np.fmin.reduce(walk_min[:, cols], axis=1)
                if len(cols)
                else np.full(len(src), np.nan)
            )
            window = (group_windows or {}).get(cat) or self.windows.get(cat, self.default_window)
            part = egress[egress["destination"].isin(np.asarray(cols))]
            by_stop = self._stop_minutes(window, part, starts)
            if len(access) and len(by_stop):
                legs = access.merge(by_stop, on=["feed", "stop_id"])
                legs["total"] = legs["walk_min"] + legs["stop_min"]
                per_src = legs.groupby("origin")["total"].min()
                idx = per_src.index.to_numpy(dtype=int)
                best[idx] = np.fmin(best[idx], per_src.to_numpy(dtype=float))
            best[best > self.cutoff_minutes] = np.nan
            out[cat] = best
        return out, walk.source_snap_m

    def _egress(
        self, dst: npt.NDArray[np.float64], dst_leg: npt.NDArray[np.float64], chunk: int
    ) -> pd.DataFrame:
        """Walks from the stops to every destination, its snapping leg included (cached).

        The grid asks chunk by chunk with the same offers: routed once.
        """
        key = dst.tobytes()
        cached = self._egress_cache.get(key)
        if cached is None:
            cached = self._legs(dst, outbound=False, chunk=chunk)
            leg = np.rint(dst_leg[cached["destination"].to_numpy(dtype=int)]).astype(int)
            cached = cached.assign(walk_min=cached["walk_min"].to_numpy(dtype=int) + leg)
            self._egress_cache = {key: cached}  # one offer set at a time
        return cached

    def _stop_minutes(
        self, window: tuple[int, int], egress: pd.DataFrame, starts: pd.DataFrame
    ) -> pd.DataFrame:
        """Per start stop: median minutes to the nearest destination of ``egress``.

        Every egress stop of any of those destinations is one target "the
        category" (several targets = reach any of them).  Cached per window,
        target set and stop: the grid asks chunk by chunk, each chunk only for
        the stops its cells walk to.

        Returns
        -------
        pandas.DataFrame
            ``feed, stop_id, stop_min`` for the stops of ``starts`` with a trip.
        """
        target = egress.groupby(["feed", "stop_id"])["walk_min"].min().reset_index()
        key = (window, pd.util.hash_pandas_object(target, index=False).to_numpy().tobytes())
        known = self._stop_cache.setdefault(key, {})
        todo = [
            (int(f), str(s))
            for f, s in starts[["feed", "stop_id"]].itertuples(index=False)
            if (int(f), str(s)) not in known
        ]
        if todo and len(target):
            access = pd.DataFrame(
                {"origin": np.arange(len(todo)), "feed": [f for f, _ in todo],
                 "stop_id": [s for _, s in todo], "walk_min": 0}
            )  # fmt: skip
            pairs = pd.DataFrame({"origin": np.arange(len(todo)), "destination": 0})
            res = self.engine.range_matrix(
                access, target.assign(destination=0), pairs, window=window,
                max_minutes=int(self.cutoff_minutes),
            )  # fmt: skip
            minutes = np.full(len(todo), np.nan)
            minutes[res["origin"].to_numpy(dtype=int)] = res["median_min"].to_numpy(dtype=float)
            # a stop that is itself a target: walk from it (the engine skips such pairs)
            own = dict(zip(zip(target["feed"], target["stop_id"], strict=True),
                           target["walk_min"], strict=True))  # fmt: skip
            for k, stop in enumerate(todo):
                known[stop] = float(np.fmin(minutes[k], own.get(stop, np.nan)))
        rows = [(f, s, known.get((int(f), str(s)), np.nan))
                for f, s in starts[["feed", "stop_id"]].itertuples(index=False)]  # fmt: skip
        out = pd.DataFrame(rows, columns=["feed", "stop_id", "stop_min"])
        return out.dropna(subset=["stop_min"])

    def round_trips(
        self,
        homes: npt.ArrayLike,
        offers: npt.ArrayLike,
        trips: pd.DataFrame,
        *,
        stay_min: float,
    ) -> pd.DataFrame:
        """There and back: leave home at ``start_min``, stay, take the first trip home.

        Parameters
        ----------
        homes, offers
            Lon/lat arrays ``(n, 2)``.
        trips
            ``origin`` (row of ``homes``), ``destination`` (row of
            ``offers``), ``start_min`` (leave home, minutes after midnight).
        stay_min
            Minutes at the offer.

        Returns
        -------
        pandas.DataFrame
            ``origin, destination, arrive_min`` (at the offer), ``home_min``
            (back home; NaN = no way within the cutoff), minutes after
            midnight, the snapping legs of both ends included.  Walking is
            used wherever it is faster, both ways.
        """
        src = np.asarray(homes, dtype=float).reshape(-1, 2)
        dst = np.asarray(offers, dtype=float).reshape(-1, 2)
        walk = self.walk.table(src, dst)
        per_min = self.access_kmh / 3.6 * 60.0  # metres per minute of the snapping legs
        i = trips["origin"].to_numpy(dtype=int)
        j = trips["destination"].to_numpy(dtype=int)
        home_leg = walk.source_snap_m[i] / per_min
        offer_leg = walk.destination_snap_m[j] / per_min
        walk_min = walk.seconds[i, j] / 60.0 + home_leg + offer_leg
        start = trips["start_min"].to_numpy(dtype=float)
        there = self._earliest(src, dst, i, j, start + home_leg) + offer_leg
        arrive = np.fmin(there, start + walk_min)
        leave = arrive + stay_min
        back = self._earliest(dst, src, j, i, leave + offer_leg) + home_leg
        home = np.fmin(back, leave + walk_min)
        home[home - leave > self.cutoff_minutes] = np.nan
        return pd.DataFrame({"origin": i, "destination": j, "arrive_min": arrive, "home_min": home})

    def _earliest(
        self,
        src: npt.NDArray[np.float64],
        dst: npt.NDArray[np.float64],
        i: npt.NDArray[np.int_],
        j: npt.NDArray[np.int_],
        start: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        """Earliest arrival between the snapped points of pairs ``(i, j)`` leaving at ``start``."""
        out = np.full(len(i), np.nan)
        if not len(i):
            return out
        access = self._legs(src, outbound=True, chunk=1000)
        egress = self._legs(dst, outbound=False, chunk=1000)
        asked = pd.DataFrame(
            {"origin": i, "destination": j, "start_min": np.ceil(start).astype(int)}
        )
        res = self.engine.earliest_arrival(
            access, egress, asked, max_minutes=int(self.cutoff_minutes)
        )
        if len(res):
            first = res.drop_duplicates(["origin", "destination", "start_min"])
            arrival = first.set_index(["origin", "destination", "start_min"])["arrival_min"]
            out = np.asarray(
                arrival.reindex(pd.MultiIndex.from_frame(asked)).to_numpy(dtype=float)
            ).reshape(-1)
        return out

    # -- steps ----------------------------------------------------------------------
    def _legs(self, xy: npt.NDArray[np.float64], *, outbound: bool, chunk: int) -> pd.DataFrame:
        """Walk legs between points and the stops within ``max_access_min``.

        ``outbound``: point → stop (columns ``origin``), else stop → point
        (``destination``).  Minutes are OSRM foot minutes plus the stop's
        snapping leg, rounded to whole minutes (the timetable counts in
        minutes; rounding up would turn OSRM's 360.1 s into 7 minutes).
        """
        key = "origin" if outbound else "destination"
        empty = pd.DataFrame({key: [], "feed": [], "stop_id": [], "walk_min": []})
        if self._tree is None or not len(xy):
            return empty.astype({key: int, "feed": int, "stop_id": str, "walk_min": int})
        radius = self.max_access_min / 60.0 * _SEARCH_KMH * 1000.0
        near = self._tree.query_ball_point(_metric(xy, self._lat0), r=radius)
        used = np.unique(np.concatenate([np.asarray(n, dtype=np.int64) for n in near] + [[]]))
        used = used.astype(np.int64)
        if not len(used):
            return empty.astype({key: int, "feed": int, "stop_id": str, "walk_min": int})
        stop_xy = self._stop_xy[used]
        if outbound:
            res = self.walk.table(xy, stop_xy, max_sources_per_query=chunk)
            stop_snap = res.destination_snap_m
            minutes = res.seconds / 60.0
        else:
            res = self.walk.table(stop_xy, xy, max_sources_per_query=chunk)
            stop_snap = res.source_snap_m
            minutes = (res.seconds / 60.0).T
        stop_leg = stop_snap / (self.access_kmh / 3.6) / 60.0
        minutes = minutes + stop_leg[None, :]
        rows, cols = np.nonzero(np.isfinite(minutes) & (minutes <= self.max_access_min))
        stops = self.stops.iloc[used[cols]]
        return pd.DataFrame(
            {
                key: rows.astype(int),
                "feed": stops["feed"].to_numpy(dtype=int),
                "stop_id": stops["stop_id"].astype(str).to_numpy(),
                "walk_min": np.rint(minutes[rows, cols]).astype(int),
            }
        )

    def _pairs(
        self,
        src: npt.NDArray[np.float64],
        dst: npt.NDArray[np.float64],
        access: pd.DataFrame,
        egress: pd.DataFrame,
        cats: npt.NDArray[Any] | None,
    ) -> pd.DataFrame:
        """The pairs worth a timetable query (stops at both ends, not too far apart).

        ``cats`` are the candidate classes (the category, or category and age
        groups): each origin asks its nearest :attr:`candidates` of each class.
        """
        o = np.unique(access["origin"].to_numpy(dtype=int))
        d = np.unique(egress["destination"].to_numpy(dtype=int))
        if not len(o) or not len(d):
            return pd.DataFrame({"origin": [], "destination": []}, dtype=int)
        a, b = _metric(src[o], self._lat0), _metric(dst[d], self._lat0)
        dist = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        keep = dist <= self.cutoff_minutes / 60.0 * MAX_PT_KMH * 1000.0
        if cats is not None and self.candidates > 0:
            keep &= self._nearest_per_category(dist, cats[d])
        rows, cols = np.nonzero(keep)
        return pd.DataFrame({"origin": o[rows], "destination": d[cols]})

    def _nearest_per_category(
        self, dist: npt.NDArray[np.float64], cats: npt.NDArray[Any]
    ) -> npt.NDArray[np.bool_]:
        """Mask of each origin's :attr:`candidates` nearest destinations per category."""
        keep = np.zeros(dist.shape, dtype=bool)
        for cat in np.unique(cats):
            cols = np.flatnonzero(cats == cat)
            k = min(self.candidates, len(cols))
            order = np.argsort(dist[:, cols], axis=1, kind="stable")[:, :k]
            rows = np.repeat(np.arange(dist.shape[0]), k)
            keep[rows, cols[order.ravel()]] = True
        return keep

    def _query(
        self,
        access: pd.DataFrame,
        egress: pd.DataFrame,
        pairs: pd.DataFrame,
        cats: npt.NDArray[Any] | None,
    ) -> pd.DataFrame:
        """Range queries per departure window (destinations grouped by category)."""
        if not len(pairs):
            return pd.DataFrame(columns=["origin", "destination", "median_min", "best_min",
                                         "departures", "transfers"])  # fmt: skip
        if cats is None:
            windows = np.full(len(pairs), -1)
            table = {-1: self.default_window}
        else:
            wins = [self.windows.get(c, self.default_window) for c in cats]
            uniq = sorted(set(wins))
            table = dict(enumerate(uniq))
            index = {w: k for k, w in table.items()}
            windows = np.array([index[wins[j]] for j in pairs["destination"].to_numpy()])
        frames = []
        for k, window in table.items():
            part = pairs[windows == k]
            if len(part):
                frames.append(
                    self.engine.range_matrix(
                        access, egress, part, window=window, max_minutes=int(self.cutoff_minutes)
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def _details(self, pt: pd.DataFrame, walk_min: npt.NDArray[np.float64]) -> pd.DataFrame:
        """Per asked pair: door-to-door median = min(walk, public transport)."""
        if not len(pt):
            return pd.DataFrame({c: [] for c in _DETAIL_COLUMNS})
        i = pt["origin"].to_numpy(dtype=int)
        j = pt["destination"].to_numpy(dtype=int)
        walk = walk_min[i, j]
        median = pt["median_min"].to_numpy(dtype=float)
        best = pt["best_min"].to_numpy(dtype=float)
        minutes = np.fmin(walk, median)
        return pd.DataFrame(
            {
                "origin": i,
                "destination": j,
                "minutes": minutes,
                "median_pt": median,
                "best_min": np.fmin(walk, best),
                "departures": pt["departures"].to_numpy(dtype=int),
                "transfers": pt["transfers"].to_numpy(dtype=int),
                "walk_min": walk,
                "walk_only": ~(median < walk),
            }
        )
