"""The per-departure-minute formula of the Bus & Bahn worker, without pynigiri.

All expected values are computed by hand from the R5 rule: leaving at minute
m you take the journey departing at or after m that arrives first; the median
is ``sorted(TT)[ceil(n/2) - 1]`` with unreachable minutes sorted last.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from erreichbarkeit.network.transit.engine import epoch_to_local, local_to_epoch
from erreichbarkeit.network.transit.worker import per_minute_minutes, summarise

INF = math.inf


def _summary(per_minute, dep, arr, transfers, t1, *, after=INF, after_transfers=-1, max_min=60):
    return summarise(per_minute, dep=dep, arr=arr, transfers=transfers, t1=t1, after=after,
                     after_transfers=after_transfers, max_minutes=max_min)


def test_worker_module_imports_without_pynigiri() -> None:
    assert "pynigiri" not in sys.modules


def test_per_minute_two_journeys_and_point_query() -> None:
    # window [0, 10); journeys 2 -> 12 and 6 -> 14; after the window: arrival 25
    tt = per_minute_minutes([6, 2], [14, 12], 0, 10, 25, 15)
    expected = [12, 11, 10, 11, 10, 9, 8, INF, INF, INF]  # 25-7=18 > 15 -> unreachable
    assert tt.tolist() == expected
    s = _summary(tt, [6, 2], [14, 12], [1, 0], 10, after=25, after_transfers=0, max_min=15)
    # sorted: 8 9 10 10 11 11 12 inf inf inf -> index ceil(5)-1 = 4 -> 11
    assert s == {"median_min": 11.0, "best_min": 8.0, "departures": 2, "transfers": 1,
                 "reachable_share": 0.7}


def test_median_sorts_unreachable_last() -> None:
    # 5 of 10 reachable: the median is the largest reachable time
    tt = np.array([5, 6, 7, 8, 9] + [INF] * 5)
    assert _summary(tt, [], [], [], 10)["median_min"] == 9.0
    # 4 of 10 reachable: more than half unreachable -> NaN, best still known
    tt = np.array([5, 6, 7, 8] + [INF] * 6)
    s = _summary(tt, [], [], [], 10)
    assert math.isnan(s["median_min"])
    assert s["best_min"] == 5.0
    assert s["reachable_share"] == 0.4
    # odd n: ceil(1.5) - 1 = 1 -> the second smallest
    assert _summary(np.array([30.0, 10.0, 20.0]), [], [], [], 3)["median_min"] == 20.0


def test_window_edge_departure_at_t0_and_after_window() -> None:
    # a journey at t0 counts for minute t0; the last minutes use the point query at t1
    tt = per_minute_minutes([100], [120], 100, 105, 131, 60)
    assert tt.tolist() == [20, 30, 29, 28, 27]  # 131-101 ... 131-104
    s = _summary(tt, [100], [120], [0], 105, after=131, after_transfers=2)
    assert s["best_min"] == 20.0
    assert s["transfers"] == 0
    assert s["departures"] == 1
    assert s["median_min"] == 28.0  # sorted 20 27 28 29 30, index 2


def test_only_point_query_after_window() -> None:
    tt = per_minute_minutes([], [], 0, 5, 15, 100)
    assert tt.tolist() == [15, 14, 13, 12, 11]
    s = _summary(tt, [], [], [], 5, after=15, after_transfers=1, max_min=100)
    assert s == {"median_min": 13.0, "best_min": 11.0, "departures": 0, "transfers": 1,
                 "reachable_share": 1.0}


def test_nothing_reachable() -> None:
    tt = per_minute_minutes([], [], 0, 4, INF, 60)
    assert np.isinf(tt).all()
    s = _summary(tt, [], [], [], 4)
    assert math.isnan(s["median_min"])
    assert math.isnan(s["best_min"])
    assert (s["departures"], s["transfers"], s["reachable_share"]) == (0, -1, 0.0)


def test_max_minutes_cuts_journeys_and_departures() -> None:
    # journey 0 -> 70 is too long for 60 minutes; 10 -> 40 is fine
    tt = per_minute_minutes([0, 10], [70, 40], 0, 12, INF, 60)
    assert tt.tolist()[:3] == [40, 39, 38]  # the later, faster journey beats the first
    s = _summary(tt, [0, 10], [70, 40], [0, 1], 12)
    assert s["departures"] == 1
    assert s["best_min"] == 30.0
    assert s["transfers"] == 1
    assert s["reachable_share"] == 11 / 12  # minute 11 -> inf (no later journey)


def test_dominated_journey_is_no_departure() -> None:
    # 0 -> 20 is beaten by 3 -> 18 (later, earlier arrival); tie on best prefers fewer transfers
    tt = per_minute_minutes([0, 3, 5], [20, 18, 20], 0, 6, INF, 60)
    assert tt.tolist() == [18, 17, 16, 15, 16, 15]  # minute 4 waits for the 5 -> 20
    s = _summary(tt, [0, 3, 5], [20, 18, 20], [0, 2, 1], 6)
    assert s["departures"] == 2  # 3 and 5 (5 -> 20 is beaten by nothing later)
    assert s["best_min"] == 15.0
    assert s["transfers"] == 1  # 3->18 (2 transfers) and 5->20 (1 transfer) both take 15


def test_best_at_last_minute_from_point_query() -> None:
    tt = per_minute_minutes([0], [50], 0, 10, 20, 60)
    assert tt.tolist()[-1] == 11.0  # leave at 9, the journey after the window arrives at 20
    s = _summary(tt, [0], [50], [0], 10, after=20, after_transfers=3)
    assert s["best_min"] == 11.0
    assert s["transfers"] == 3
    assert s["departures"] == 0  # 0 -> 50 is beaten by the journey after the window


@pytest.mark.parametrize(
    ("day", "minute", "utc"),
    [
        (dt.date(2024, 3, 12), 420, dt.datetime(2024, 3, 12, 6, 0, tzinfo=dt.UTC)),  # CET
        (dt.date(2024, 3, 31), 420, dt.datetime(2024, 3, 31, 5, 0, tzinfo=dt.UTC)),  # CEST
        (dt.date(2024, 10, 27), 420, dt.datetime(2024, 10, 27, 6, 0, tzinfo=dt.UTC)),  # CET again
        (dt.date(2024, 3, 12), 1450, dt.datetime(2024, 3, 12, 23, 10, tzinfo=dt.UTC)),
    ],
)
def test_local_minutes_follow_the_wall_clock(day: dt.date, minute: int, utc: dt.datetime) -> None:
    tz = ZoneInfo("Europe/Berlin")
    epoch = int(utc.timestamp()) // 60
    assert local_to_epoch(day, minute, tz) == epoch
    assert epoch_to_local(day, epoch, tz) == minute
    assert math.isnan(epoch_to_local(day, math.nan, tz))
