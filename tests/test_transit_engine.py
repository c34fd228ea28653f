"""Bus & Bahn engine: a GTFS feed written here, the Herrenberg VVS feeds, lifecycle.

The feed below (Tuesday 2024-03-12, service Mon-Fri in March 2024 except
Wednesday 2024-03-13) has two lines that meet at stop C::

    L1  A 07:05 -> B 07:15 -> C 07:25, also 07:35, 08:05, 09:05 and 24:10 (night trip)
    L2  C 07:30 -> D 07:40 -> E 07:50, also 08:30, 09:30

Stops lie 2 km apart (no generated footpaths).  Expected values are worked
out by hand in the comments; minutes are relative to 07:00 where noted.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from erreichbarkeit.errors import RoutingError
from erreichbarkeit.network.transit import (
    TransitEngine,
    TransitStatus,
    find_worker_python,
    transit_status,
)
from tests.conftest import need_shared

STATUS = transit_status()
needs_pt = pytest.mark.skipif(not STATUS.available, reason=f"Bus & Bahn unavailable: "
                              f"{STATUS.reason_de}")

DAY = dt.date(2024, 3, 12)  # Tuesday
NO_SERVICE = dt.date(2024, 3, 13)  # removed in calendar_dates.txt

_L1 = {"t1a": "07:05", "t1b": "07:35", "t1c": "08:05", "t1d": "09:05", "t1n": "24:10"}
_L2 = {"t2a": "07:30", "t2b": "08:30", "t2c": "09:30"}


def _plus(hhmm: str, minutes: int) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    total = h * 60 + m + minutes
    return f"{total // 60:02d}:{total % 60:02d}:00"


def write_feed(path: Path) -> Path:
    """Write the two-line test feed as a GTFS zip."""
    stops = "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
        f"{s},Halt {s},{48.60 + 0.02 * i:.2f},8.90\n" for i, s in enumerate("ABCDE"))
    stop_times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for trips, line_stops in ((_L1, "ABC"), (_L2, "CDE")):
        for trip, first in trips.items():
            for seq, stop in enumerate(line_stops):
                t = _plus(first, 10 * seq)
                stop_times.append(f"{trip},{t},{t},{stop},{seq + 1}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                      "ag,Testbus,https://example.org,Europe/Berlin\n",
        "stops.txt": stops,
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nL1,ag,1,3\nL2,ag,2,3\n",
        "trips.txt": "route_id,service_id,trip_id\n" + "".join(
            f"{'L1' if t.startswith('t1') else 'L2'},WD,{t}\n" for t in [*_L1, *_L2]),
        "stop_times.txt": "\n".join(stop_times) + "\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\nWD,1,1,1,1,1,0,0,20240301,20240331\n",
        "calendar_dates.txt": "service_id,date,exception_type\nWD,20240313,2\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def offsets(key: str, rows: list[tuple[int, str, int]], feed: int = 0) -> pd.DataFrame:
    return pd.DataFrame({key: [r[0] for r in rows], "feed": feed,
                         "stop_id": [r[1] for r in rows], "walk_min": [r[2] for r in rows]})


# origin 1: A (3 min); origin 2: A (1) or B (10); origin 3: A (3) or C (1); origin 4: unknown stop
ACCESS = offsets("origin", [(1, "A", 3), (2, "A", 1), (2, "B", 10), (3, "A", 3), (3, "C", 1),
                            (4, "nowhere", 0)])
# destination 10: C (2 min); 20: E (4); 30: C (0) or E (4)
EGRESS = offsets("destination", [(10, "C", 2), (20, "E", 4), (30, "C", 0), (30, "E", 4)])


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_feed(tmp_path_factory.mktemp("gtfs") / "test.gtfs.zip")


@pytest.fixture(scope="module")
def engine(feed: Path):
    if not STATUS.available:
        pytest.skip(f"Bus & Bahn unavailable: {STATUS.reason_de}")
    with TransitEngine([feed], DAY, workers=2) as eng:
        yield eng


def _row(result: pd.DataFrame, origin: int, destination: int) -> dict[str, float]:
    hit = result[(result["origin"] == origin) & (result["destination"] == destination)]
    assert len(hit) == 1
    return hit.iloc[0].to_dict()


@needs_pt
def test_range_matrix_exact(engine: TransitEngine) -> None:
    pairs = pd.DataFrame({"origin": [1, 2, 1, 4], "destination": [10, 10, 20, 10]})
    result = engine.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 60)
    assert result[["origin", "destination"]].to_numpy().tolist() == pairs.to_numpy().tolist()
    # 1 -> 10: leave 07:02/07:32/08:02 (3 min to A), C 07:25 (+2) ...; after the window
    # 09:02 -> 09:27.  TT: m0-2 27-m, m3-32 57-m, m33-62 87-m, m63-86 > 60, m87-119 147-m.
    # 96 of 120 reachable; the 60th smallest is 44 (9 values <= 27, then 3 per minute).
    assert _row(result, 1, 10) == {"origin": 1, "destination": 10, "median_min": 44.0,
                                   "best_min": 25.0, "departures": 3, "transfers": 0,
                                   "reachable_share": 0.8}
    # 2 -> 10: walking 10 min to B (leave 07:05) beats 1 min to A (leave 07:04): 22 min.
    # TT: m0-5 27-m, m6-35 57-m, m36-65 87-m, m66-86 > 60, m87-119 147-m; 99 reachable,
    # 18 values <= 27 then 3 per minute -> the 60th is 41.
    assert _row(result, 2, 10) == {"origin": 2, "destination": 10, "median_min": 41.0,
                                   "best_min": 22.0, "departures": 3, "transfers": 0,
                                   "reachable_share": 0.825}
    # 1 -> 20 with a transfer at C: 07:02 -> 07:54 and 08:02 -> 08:54 (52 min); with 60 min
    # only m0-2, m54-62 and m114-119 are reachable (18 of 120) -> median NaN
    r = _row(result, 1, 20)
    assert math.isnan(r["median_min"])
    assert (r["best_min"], r["departures"], r["transfers"]) == (52.0, 2, 1)
    assert r["reachable_share"] == pytest.approx(0.15)
    # unknown stop id: ignored -> nothing reachable
    r = _row(result, 4, 10)
    assert math.isnan(r["median_min"])
    assert math.isnan(r["best_min"])
    assert (r["departures"], r["transfers"], r["reachable_share"]) == (0, -1, 0.0)
    assert dict(result.dtypes.astype(str)) == {
        "origin": "int64", "destination": "int64", "median_min": "float64",
        "best_min": "float64", "departures": "int64", "transfers": "int64",
        "reachable_share": "float64"}


@needs_pt
def test_range_matrix_transfer_and_shared_stop(engine: TransitEngine) -> None:
    pairs = pd.DataFrame({"origin": [1, 3], "destination": [20, 30]})
    result = engine.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 90)
    # 1 -> 20, 90 min: m0-2 54-m, m24-62 114-m, m84-119 174-m; 78 reachable;
    # 6 values <= 54, then 2 per minute -> the 60th is 81
    expected = {"median_min": 81.0, "best_min": 52.0, "departures": 2, "transfers": 1,
                "reachable_share": 0.65}
    assert {k: v for k, v in _row(result, 1, 20).items() if k in expected} == expected
    # 3 -> 30: C is access and egress stop, so it is dropped; what remains is A -> E as above
    # (riding from C, 07:29 -> 07:54 = 25 min, would otherwise win)
    assert {k: v for k, v in _row(result, 3, 30).items() if k in expected} == expected


@needs_pt
def test_day_without_service(feed: Path) -> None:
    with TransitEngine([feed], NO_SERVICE) as eng:
        pairs = pd.DataFrame({"origin": [1], "destination": [10]})
        result = eng.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 60)
        r = _row(result, 1, 10)
        assert math.isnan(r["median_min"])
        assert (r["departures"], r["transfers"], r["reachable_share"]) == (0, -1, 0.0)
        # but the Tuesday's night trip runs at 00:10 on Wednesday: leave 00:07, C 00:30 + 2
        trips = pd.DataFrame({"origin": [1], "destination": [10], "start_min": [0]})
        assert eng.earliest_arrival(ACCESS, EGRESS, trips, 60)["arrival_min"].tolist() == [32.0]


@needs_pt
def test_earliest_arrival_exact(engine: TransitEngine) -> None:
    trips = pd.DataFrame({"origin": [1, 1, 1, 1, 4], "destination": [10, 20, 10, 10, 10],
                          "start_min": [420, 420, 1410, 1300, 420]})
    result = engine.earliest_arrival(ACCESS, EGRESS, trips, 90)
    keys = result[["origin", "destination", "start_min"]]
    assert keys.to_numpy().tolist() == trips.to_numpy().tolist()
    # 07:00: A 07:05 -> C 07:25 + 2 = 07:27 (447); to E via C: 07:50 + 4 = 07:54 (474), 1 transfer
    # 23:30: night trip A 24:10 -> C 24:30 + 2 = 24:32 (1472) on the next day
    # 21:40: the night trip takes 172 > 90 minutes -> none; unknown stop -> none
    assert result["arrival_min"].tolist()[:3] == [447.0, 474.0, 1472.0]
    assert result["arrival_min"].isna().tolist() == [False, False, False, True, True]
    assert result["transfers"].tolist() == [0, 1, 0, -1, -1]
    assert str(result["arrival_min"].dtype) == "float64"


@needs_pt
def test_stop_status_and_empty_inputs(engine: TransitEngine) -> None:
    stops = pd.DataFrame({"feed": [0, 0, 1], "stop_id": ["C", "X", "C"]}, index=[5, 6, 7])
    found = engine.stop_status(stops)
    assert found.to_dict() == {5: True, 6: False, 7: False}
    empty_pairs = pd.DataFrame({"origin": pd.Series(dtype="int64"),
                                "destination": pd.Series(dtype="int64")})
    result = engine.range_matrix(ACCESS, EGRESS, empty_pairs, (420, 540), 60)
    assert result.empty
    assert list(result.columns) == ["origin", "destination", "median_min", "best_min",
                                    "departures", "transfers", "reachable_share"]
    assert str(result["departures"].dtype) == "int64"
    trips = pd.DataFrame({"origin": [], "destination": [], "start_min": []})
    result = engine.earliest_arrival(ACCESS, EGRESS, trips, 60)
    assert list(result.columns) == ["origin", "destination", "start_min", "arrival_min",
                                    "transfers"]
    assert result.empty
    assert engine.stop_status(stops.iloc[:0]).empty


# -- real data: two VVS feeds around Herrenberg ----------------------------------------

@needs_pt
@pytest.mark.shared_data
def test_herrenberg_vvs() -> None:
    folder = need_shared("herrenberg-otp")
    feeds = [folder / "vvs-bus-751-only.gtfs.zip", folder / "vvs-bus-764-only.gtfs.zip"]
    access = pd.DataFrame({"origin": [1, 2], "feed": [0, 1],
                           "stop_id": ["de:08115:5773:3:3", "de:08115:4189:0:4"],
                           "walk_min": [0, 0]})
    egress = pd.DataFrame({"destination": [9], "feed": [0], "stop_id": ["de:08115:4193:2:3"],
                           "walk_min": [0]})
    with TransitEngine(feeds, dt.date(2020, 3, 10)) as eng:
        pairs = pd.DataFrame({"origin": [1, 2], "destination": [9, 9]})
        result = eng.range_matrix(access, egress, pairs, (420, 540), 90)
        # the "751" file holds line 752: 07:11, 07:41, 08:11, 08:41, 24 minutes each
        r = _row(result, 1, 9)
        assert (r["best_min"], r["departures"], r["transfers"]) == (24.0, 4, 0)
        trips = pd.DataFrame({"origin": [1, 2], "destination": [9, 9], "start_min": [420, 420]})
        arrival = eng.earliest_arrival(access, egress, trips, 90)
        # 07:11 -> 07:35; 764 Bergsiedlung 07:16 -> Bahnhof, other feed's 752 07:41 -> 08:05
        assert arrival["arrival_min"].tolist() == [455.0, 485.0]
        assert arrival["transfers"].tolist() == [0, 1]
        one = eng.range_matrix(access, egress, pairs.iloc[1:], (436, 437), 90)
        assert (one["best_min"].tolist(), one["transfers"].tolist()) == ([49.0], [1])


# -- lifecycle and availability ---------------------------------------------------------

@needs_pt
def test_close_stops_workers_and_removes_temp(feed: Path) -> None:
    eng = TransitEngine([feed], DAY, workers=2)
    tmp, pids = eng.temp_dir, eng.pids
    assert tmp.is_dir()
    assert len(pids) == 2
    eng.close()
    assert not tmp.exists()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    eng.close()  # idempotent


@needs_pt
def test_broken_feed_raises_german_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(RoutingError) as info:
        TransitEngine([broken], DAY)
    assert "Fahrplan" in info.value.message_de
    assert "broken.zip" in str(info.value)  # the worker's log tail
    with pytest.raises(RoutingError) as info:
        TransitEngine([tmp_path / "missing.zip"], DAY)
    assert "nicht gefunden" in info.value.message_de
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("erreichbarkeit-pt-*/broken*"))


def test_interpreter_without_pynigiri() -> None:
    status = transit_status(sys.executable)  # the 3.12 venv has no pynigiri
    assert isinstance(status, TransitStatus)
    assert status.available is False
    assert status.python == Path(sys.executable)
    assert "pynigiri" in status.reason_de
    assert status.reason_de.startswith("Bus & Bahn ist ausgeschaltet")
    assert transit_status(sys.executable) is status  # cached
    with pytest.raises(RoutingError) as info:
        TransitEngine([], DAY, python=sys.executable)
    assert info.value.message_de == status.reason_de
    missing = transit_status("/nonexistent/python3.11")
    assert missing.available is False
    assert "gibt es nicht" in missing.reason_de


def test_find_worker_python_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ERREICHBARKEIT_PT_PYTHON", str(tmp_path / "env-python"))
    assert find_worker_python(tmp_path / "explicit") == tmp_path / "explicit"
    assert find_worker_python() == tmp_path / "env-python"
    monkeypatch.delenv("ERREICHBARKEIT_PT_PYTHON")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert find_worker_python() is None
    default = tmp_path / ".venv-pt" / "bin" / "python"
    default.parent.mkdir(parents=True)
    default.touch()
    assert find_worker_python() == default


@needs_pt
def test_dead_worker_raises_and_closes(feed: Path, caplog: pytest.LogCaptureFixture) -> None:
    pairs = pd.DataFrame({"origin": [4], "destination": [10]})
    with TransitEngine([feed], DAY) as eng:
        with caplog.at_level("WARNING", logger="erreichbarkeit.network.transit.engine"):
            eng.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 60)
            eng.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 60)
        unknown = [r for r in caplog.records if "not in the timetable" in r.getMessage()]
        assert len(unknown) == 1  # logged once per engine
        with pytest.raises(RoutingError):
            eng.range_matrix(ACCESS, EGRESS, pairs, (540, 420), 60)
        os.kill(eng.pids[0], 9)
        with pytest.raises(RoutingError) as info:
            eng.range_matrix(ACCESS, EGRESS, pairs, (420, 540), 60)
        assert "Fahrplan-Programm" in info.value.message_de
        assert not eng.temp_dir.exists()
        with pytest.raises(RoutingError):
            eng.stop_status(pd.DataFrame({"feed": [0], "stop_id": ["A"]}))
