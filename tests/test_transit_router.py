"""Bus & Bahn door to door on a network and a timetable small enough to do by hand.

All roads lie on the meridian 9.0 E (lengths exact in OSRM's sphere) and are
walked at foot.lua's 5 km/h, i.e. 12 minutes per kilometre::

    A ── 500 m ── S1 ──────────── 4 500 m ──────────── S2 ── 500 m ── B ── 300 m ── C

    D (a separate road 5 km east: no stop, no way to anything)

The bus (Tuesday 2024-03-12) runs S1 → S2 at 07:10, 07:40 and 08:10 (10 minutes),
and back S2 → S1 at 07:30 and 08:30.  A walks 6 minutes to S1, B is 6 minutes
from S2.  For a departure from A at minute m after 07:00 (window 07:00–08:00):

* m = 0 … 4: the 07:10 bus, at B at 07:26: 26 − m minutes (26 … 22);
* m = 5 … 34: the 07:40 bus, at B at 07:56: 56 − m (51 … 22);
* m = 35 … 59: the 08:10 bus (after the window), at B at 08:26: 86 − m (51 … 27).

Every value from 22 to 51 occurs exactly twice among the 60 minutes, so the
median (the 30th smallest, as r5py takes it) is 36; the best trip is 22
minutes; two departures lie in the window.  Walking A → B takes 66 minutes.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.network.routing import Router, prepare_network
from erreichbarkeit.network.transit import TransitEngine, transit_status
from erreichbarkeit.network.transit.router import TransitRouter
from tests.test_routing import LON, lat_after, write_osm

STATUS = transit_status()
pytestmark = pytest.mark.skipif(
    not STATUS.available, reason=f"Bus & Bahn unavailable: {STATUS.reason_de}"
)

DAY = dt.date(2024, 3, 12)
LAT_A = 51.0
LAT_S1 = lat_after(LAT_A, 500)
LAT_S2 = lat_after(LAT_S1, 4500)
LAT_B = lat_after(LAT_S2, 500)
LAT_C = lat_after(LAT_B, 300)
LON_D = 9.07


def _feed(path: Path) -> Path:
    trips = {"f1": ("07:10", "S1", "S2"), "f2": ("07:40", "S1", "S2"), "f3": ("08:10", "S1", "S2"),
             "b1": ("07:30", "S2", "S1"), "b2": ("08:30", "S2", "S1")}  # fmt: skip
    rows = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for trip, (start, first, last) in trips.items():
        h, m = (int(x) for x in start.split(":"))
        end = h * 60 + m + 10
        rows += [f"{trip},{start}:00,{start}:00,{first},1",
                 f"{trip},{end // 60:02d}:{end % 60:02d}:00,{end // 60:02d}:{end % 60:02d}:00,{last},2"]  # fmt: skip  # noqa: E501
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "ag,Testbus,https://example.org,Europe/Berlin\n",
        "stops.txt": f"stop_id,stop_name,stop_lat,stop_lon\nS1,Halt 1,{LAT_S1:.9f},{LON}\n"
        f"S2,Halt 2,{LAT_S2:.9f},{LON}\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nR,ag,1,3\n",
        "trips.txt": "route_id,service_id,trip_id\n" + "".join(f"R,WD,{t}\n" for t in trips),
        "stop_times.txt": "\n".join(rows) + "\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nWD,1,1,1,1,1,0,0,20240301,20240331\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> TransitRouter:
    folder = tmp_path_factory.mktemp("pt")
    nodes = {1: (LON, LAT_A), 2: (LON, LAT_S1), 3: (LON, LAT_S2), 4: (LON, LAT_B),
             5: (LON, LAT_C), 6: (LON_D, LAT_A), 7: (LON_D, lat_after(LAT_A, 300))}  # fmt: skip
    osm = write_osm(
        folder / "line.osm",
        nodes,
        [([1, 2, 3, 4, 5], {"highway": "residential"}), ([6, 7], {"highway": "residential"})],
    )
    walk = Router(prepare_network(osm, "walk", cache_dir=folder / "cache", algorithm="MLD"))
    engine = TransitEngine([_feed(folder / "bus.zip")], DAY)
    stops = pd.DataFrame(
        {"feed": 0, "stop_id": ["S1", "S2"], "lon": LON, "lat": [LAT_S1, LAT_S2]}
    )
    r = TransitRouter(
        walk, engine, stops, windows={"kita": (420, 480)}, default_window=(420, 480),
        max_access_min=15, cutoff_minutes=90,
    )  # fmt: skip
    yield r
    engine.close()


A, B, C, D = (LON, LAT_A), (LON, LAT_B), (LON, LAT_C), (LON_D, LAT_A)


def test_median_best_and_departures_match_hand_computation(router: TransitRouter) -> None:
    result, details = router.detailed_table([A], [B], categories=["kita"])
    assert result.seconds[0, 0] / 60 == pytest.approx(36.0, abs=0.01)
    row = details.pairs.iloc[0]
    assert row["median_pt"] == pytest.approx(36.0, abs=0.01)
    assert row["best_min"] == pytest.approx(22.0, abs=0.01)
    assert row["departures"] == 2
    assert row["transfers"] == 0
    assert row["walk_min"] == pytest.approx(66.0, abs=0.02)  # OSRM: 3961 × 0.1 s
    assert not row["walk_only"]
    assert np.isnan(result.metres[0, 0])  # no km for Bus & Bahn, never 0


def test_walking_wins_where_it_is_faster(router: TransitRouter) -> None:
    """C → B is 300 m on foot (3.6 min).

    Both walk to S2, the only stop of either: a stop that is both a start and
    an end of the trip gives no ride, so walking it is.
    """
    result, details = router.detailed_table([C], [B])
    assert result.seconds[0, 0] / 60 == pytest.approx(3.6, abs=0.01)
    row = details.pairs.iloc[0]
    assert bool(row["walk_only"])
    assert row["departures"] == 0


def test_no_stop_and_no_road_is_unreachable_not_zero(router: TransitRouter) -> None:
    result, _ = router.detailed_table([D], [B])
    assert np.isnan(result.seconds[0, 0])


def test_a_later_window_changes_the_median(router: TransitRouter) -> None:
    """Window 07:30–08:00 (m = 30 … 59): 26 … 22 for m = 30 … 34, then 51 … 27.

    Sorted: 22 … 26 once each, 27 … 51 once each → 30 values, median the 15th = 36.
    The best trip is still 22 minutes but only one departure (07:34) is in the window.
    """
    later = TransitRouter(
        router.walk, router.engine, router.stops, windows={"jz": (450, 480)},
        default_window=(420, 480), max_access_min=15, cutoff_minutes=90,
    )  # fmt: skip
    _, details = later.detailed_table([A], [B], categories=["jz"])
    row = details.pairs.iloc[0]
    assert row["median_pt"] == pytest.approx(36.0, abs=0.01)
    assert row["best_min"] == pytest.approx(22.0, abs=0.01)
    assert row["departures"] == 1


def test_round_trip_home_time(router: TransitRouter) -> None:
    """Leave A 07:00, at B 07:26 (the 07:10 bus).

    Without a stay the 07:30 back is missed (S2 at 07:32) and the next bus
    (08:30) would be home at 08:46: walking (66 min, home 08:32) is faster.
    With 58 minutes at B: at S2 at 08:30, the 08:30 bus, home at 08:46
    (walking would take until 09:30).
    """
    trips = pd.DataFrame({"origin": [0], "destination": [0], "start_min": [420]})
    res = router.round_trips([A], [B], trips, stay_min=0)
    assert res["arrive_min"].iloc[0] == pytest.approx(446.0, abs=0.01)
    assert res["home_min"].iloc[0] == pytest.approx(446.0 + 66.0, abs=0.02)
    res = router.round_trips([A], [B], trips, stay_min=58)
    assert res["home_min"].iloc[0] == pytest.approx(526.0, abs=0.01)


def test_nearest_per_stop_for_the_grid(router: TransitRouter) -> None:
    """From S1 over 07:00–08:00: 26 − m (m ≤ 10), 56 − m (m ≤ 40), 86 − m (m ≥ 41).

    That is 16 … 26 twice and 27 … 45 twice; the 30th smallest is 30.  A cell
    at A adds its 6-minute walk to S1: 36 minutes (here equal to the exact
    median from A; in general the documented approximation).
    """
    per, snap = router.nearest_by_category([A], [B], {"kita": np.array([0])})
    assert per["kita"][0] == pytest.approx(36.0, abs=0.01)
    assert snap[0] == pytest.approx(0.0, abs=0.5)
