"""Tests of the fictional bus network of the Beispielkreis (erreichbarkeit.demo.transit)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tomllib
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest

from erreichbarkeit.demo import DemoFiles, generate_demo
from erreichbarkeit.demo.transit import AGENCY_NAME, NO_BUS_NOTE, villages_without_bus

ROOT = Path(__file__).resolve().parents[1]
GTFS_FILES = {
    "agency.txt", "calendar.txt", "calendar_dates.txt", "feed_info.txt", "routes.txt",
    "stop_times.txt", "stops.txt", "trips.txt",
}  # fmt: skip
BUS_HIGHWAYS = {"primary", "secondary", "tertiary", "unclassified", "residential"}
TRACK_NOTE = "nur über einen landwirtschaftlichen Weg"
TUESDAY = dt.date(2026, 3, 10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("transit") / "beispielkreis")


@pytest.fixture(scope="module")
def feed(demo: DemoFiles) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(demo.gtfs) as zf:
        return {
            name: pd.read_csv(io.BytesIO(zf.read(name)), dtype=str, keep_default_na=False)
            for name in zf.namelist()
        }


@pytest.fixture(scope="module")
def osm_nodes(demo: DemoFiles) -> tuple[list[dict[str, str]], np.ndarray]:
    """Place nodes (tags with lon/lat) and the lon/lat of every node of a bus road."""
    places: list[dict[str, str]] = []
    locations: dict[int, tuple[float, float]] = {}
    road_nodes: set[int] = set()
    for obj in osmium.FileProcessor(str(demo.network)):
        if obj.is_node():
            locations[obj.id] = (obj.location.lon, obj.location.lat)
            if "place" in obj.tags:
                lon, lat = locations[obj.id]
                places.append({**dict(obj.tags), "lon": str(lon), "lat": str(lat)})
        elif obj.is_way() and obj.tags.get("highway") in BUS_HIGHWAYS:
            road_nodes.update(n.ref for n in obj.nodes)
    return places, np.array([locations[n] for n in sorted(road_nodes)])


def _metres(lonlat: np.ndarray, lon: float, lat: float) -> np.ndarray:
    """Distances in metres from ``(lon, lat)`` to every row of ``lonlat`` (equirectangular)."""
    dx = (lonlat[:, 0] - lon) * 111_320.0 * np.cos(np.radians(lat))
    dy = (lonlat[:, 1] - lat) * 110_574.0
    return np.hypot(dx, dy)


def _stop_xy(feed: dict[str, pd.DataFrame]) -> np.ndarray:
    stops = feed["stops.txt"]
    return np.column_stack([stops["stop_lon"].astype(float), stops["stop_lat"].astype(float)])


def _minutes(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 60 + m + s // 60


# ----------------------------------------------------------------- files, determinism


def test_feed_has_the_gtfs_files(demo: DemoFiles, feed: dict[str, pd.DataFrame]) -> None:
    assert demo.gtfs.name == "busse.gtfs.zip"
    assert set(feed) == GTFS_FILES
    assert feed["agency.txt"]["agency_name"].tolist() == [AGENCY_NAME]
    info = feed["feed_info.txt"].iloc[0]
    assert (info["feed_start_date"], info["feed_end_date"]) == ("20260101", "20301231")
    calendar = feed["calendar.txt"].set_index("service_id")
    assert calendar.loc["schultag", ["monday", "friday", "saturday", "sunday"]].tolist() == [
        "1", "1", "0", "0",
    ]  # fmt: skip
    assert calendar.loc["samstag", ["friday", "saturday"]].tolist() == ["0", "1"]


def test_same_seed_gives_identical_zip(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again")
    assert again.gtfs.read_bytes() == demo.gtfs.read_bytes()
    with zipfile.ZipFile(demo.gtfs) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(GTFS_FILES)
    assert {i.date_time for i in infos} == {(2026, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    other = generate_demo(tmp_path / "other", seed=7)
    assert other.gtfs.read_bytes() != demo.gtfs.read_bytes()


def test_region_file_names_the_feed(demo: DemoFiles) -> None:
    region = tomllib.loads(demo.region.read_text("utf-8"))
    assert region["inputs"]["gtfs"] == ["busse.gtfs.zip"]
    assert "fiktiv" in region["attribution"]["gtfs"]
    assert (demo.folder / region["inputs"]["gtfs"][0]).is_file()


# --------------------------------------------------------------------------- stops


def test_every_stop_lies_on_a_bus_road(
    feed: dict[str, pd.DataFrame], osm_nodes: tuple[list[dict[str, str]], np.ndarray]
) -> None:
    _, road = osm_nodes
    for (lon, lat), name in zip(_stop_xy(feed), feed["stops.txt"]["stop_name"], strict=True):
        assert _metres(road, lon, lat).min() < 100.0, name


def test_village_stops_are_near_their_village(
    feed: dict[str, pd.DataFrame], osm_nodes: tuple[list[dict[str, str]], np.ndarray]
) -> None:
    places, _ = osm_nodes
    by_name = {p["name"]: (float(p["lon"]), float(p["lat"])) for p in places}
    stops = feed["stops.txt"]
    village_stops = stops[stops["stop_id"].str.startswith("ort-")]
    assert len(village_stops) >= 20
    for _, s in village_stops.iterrows():
        lon, lat = by_name[s["stop_name"].split(",")[0]]
        point = np.array([[float(s["stop_lon"]), float(s["stop_lat"])]])
        assert _metres(point, lon, lat)[0] < 100.0, s["stop_name"]
    # the ZOB and the two other stops in the Kreisstadt
    town = stops[stops["stop_name"].str.startswith("Beispielstadt")]
    assert len(town) == 3
    assert "Beispielstadt ZOB" in town["stop_name"].tolist()


def test_seats_and_most_villages_have_a_stop(
    feed: dict[str, pd.DataFrame], osm_nodes: tuple[list[dict[str, str]], np.ndarray]
) -> None:
    places, _ = osm_nodes
    stops = _stop_xy(feed)
    villages = [p for p in places if p["place"] == "village"]
    has_stop = {
        p["name"]: _metres(stops, float(p["lon"]), float(p["lat"])).min() < 100.0 for p in villages
    }
    seats = [p["name"] for p in villages if int(p["population"]) >= 2_000]
    assert len(seats) == 7
    assert all(has_stop[s] for s in seats)
    assert sum(has_stop.values()) >= 0.6 * len(villages)


def test_villages_without_bus_have_no_stop_nearby(
    demo: DemoFiles,
    feed: dict[str, pd.DataFrame],
    osm_nodes: tuple[list[dict[str, str]], np.ndarray],
) -> None:
    places, _ = osm_nodes
    names = villages_without_bus(demo.network)
    assert names  # at least one village has no bus at all
    stops = _stop_xy(feed)
    marked = [p for p in places if NO_BUS_NOTE in p.get("note", "")]
    assert sorted(p["name"] for p in marked) == names
    track = [p for p in places if TRACK_NOTE in p.get("note", "")]
    assert len(track) == 1
    for p in [*marked, *track]:
        assert p["place"] in ("village", "hamlet")
        assert _metres(stops, float(p["lon"]), float(p["lat"])).min() > 1_000.0, p["name"]


# ------------------------------------------------------------------------ timetable


def test_stop_times_increase_within_every_trip(feed: dict[str, pd.DataFrame]) -> None:
    times = feed["stop_times.txt"]
    assert set(times["trip_id"]) == set(feed["trips.txt"]["trip_id"])
    assert set(times["stop_id"]) <= set(feed["stops.txt"]["stop_id"])
    for trip_id, group in times.groupby("trip_id"):
        seq = group["stop_sequence"].astype(int).tolist()
        assert seq == list(range(1, len(seq) + 1)), trip_id
        arr = [_minutes(t) for t in group["arrival_time"]]
        dep = [_minutes(t) for t in group["departure_time"]]
        assert all(a <= d for a, d in zip(arr, dep, strict=True)), trip_id
        assert all(d < a for d, a in zip(dep, arr[1:], strict=False)), trip_id
        assert len(group) >= 2


def test_a_trip_runs_past_midnight(feed: dict[str, pd.DataFrame]) -> None:
    times = feed["stop_times.txt"]
    late = []
    for trip_id, group in times.groupby("trip_id"):
        first, last = group.iloc[0], group.iloc[-1]
        if first["departure_time"] == "23:50:00" and _minutes(last["arrival_time"]) >= 24 * 60:
            late.append(trip_id)
    assert late
    assert all(t.startswith("5") for t in late)
    assert times["arrival_time"].str.startswith("24:").any()


def test_routes_rufbus_and_saturday(feed: dict[str, pd.DataFrame]) -> None:
    routes = feed["routes.txt"]
    types = routes["route_type"].value_counts().to_dict()
    assert types.get("715") == 1  # the Rufbus
    assert 5 <= types.get("3", 0) <= 7
    radial = routes[routes["route_long_name"].str.startswith("Beispielstadt ZOB")]
    assert 4 <= len(radial) <= 6
    trips = feed["trips.txt"]
    assert len(set(trips.loc[trips["service_id"] == "samstag", "route_id"])) == 1
    assert set(trips["service_id"]) == {"schultag", "samstag"}


def test_fictional_holiday_removes_school_day_service(feed: dict[str, pd.DataFrame]) -> None:
    dates = feed["calendar_dates.txt"]
    assert dates.to_dict("records") == [
        {"service_id": "schultag", "date": "20261006", "exception_type": "2"}
    ]
    assert dt.date(2026, 10, 6).weekday() == 1  # a Tuesday: the weekly pattern would run


def _all_trips(feed: dict[str, pd.DataFrame]) -> dict[str, list[tuple[str, int, int]]]:
    """``trip_id`` → ``(stop_id, arrival, departure)`` in minutes, in stop order."""
    out: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for row in feed["stop_times.txt"].itertuples():
        arr, dep = _minutes(str(row.arrival_time)), _minutes(str(row.departure_time))
        out[str(row.trip_id)].append((str(row.stop_id), arr, dep))
    return dict(out)


def _morning_trips(feed: dict[str, pd.DataFrame]) -> dict[str, list[tuple[str, int, int]]]:
    """The trips that run on a Tuesday (:data:`TUESDAY`) and start before 10:00."""
    trips = feed["trips.txt"]
    calendar = feed["calendar.txt"].set_index("service_id")
    day = TUESDAY.strftime("%Y%m%d")
    running = {
        s
        for s in calendar.index
        if calendar.loc[s, "tuesday"] == "1"
        and calendar.loc[s, "start_date"] <= day <= calendar.loc[s, "end_date"]
    }
    removed = feed["calendar_dates.txt"]
    running -= set(removed.loc[removed["date"] == day, "service_id"])
    ids = set(trips.loc[trips["service_id"].isin(running), "trip_id"])
    return {t: s for t, s in _all_trips(feed).items() if t in ids and s[0][2] < 10 * 60}


def test_some_trips_need_a_transfer(feed: dict[str, pd.DataFrame]) -> None:
    assert TUESDAY.weekday() == 1
    morning = _morning_trips(feed)
    # pairs that one trip serves, at any time on any day
    direct = {(a[0], b[0]) for times in _all_trips(feed).values() for a, b in _ordered_pairs(times)}
    trip_route = dict(zip(feed["trips.txt"]["trip_id"], feed["trips.txt"]["route_id"], strict=True))
    found = []
    for t1, first in morning.items():
        for k, (x, arrival, _) in enumerate(first):
            for t2, second in morning.items():
                if trip_route[t2] == trip_route[t1]:
                    continue
                for m, (y, _, departure) in enumerate(second[:-1]):
                    if y != x or not arrival + 2 <= departure <= arrival + 30:
                        continue
                    found += [
                        (a[0], b[0])
                        for a in first[:k]
                        for b in second[m + 1 :]
                        if a[0] != b[0] and (a[0], b[0]) not in direct
                    ]
    # a transfer of 2 to 30 minutes at a shared stop (the tangential line waits 5)
    assert found, "no pair of stops that needs a transfer"
    assert any(a == "zob" for a, _ in found)  # from the ZOB to a seat without a radial line


def _ordered_pairs(
    times: list[tuple[str, int, int]],
) -> list[tuple[tuple[str, int, int], tuple[str, int, int]]]:
    return [(a, b) for k, a in enumerate(times) for b in times[k + 1 :]]


# ----------------------------------------------------------------- a real GTFS reader


def test_pynigiri_loads_the_feed(demo: DemoFiles) -> None:
    python = ROOT / ".venv-pt" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{python} not found: the pynigiri environment is not installed")
    code = (
        "import sys, pynigiri as ng; "
        "tt = ng.load_timetable([ng.TimetableSource('gtfs', sys.argv[1])], "
        "'2026-03-09', '2026-03-12'); print(tt.n_transports())"
    )
    done = subprocess.run(
        [str(python), "-c", code, str(demo.gtfs)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 0
