"""GTFS feeds validated at the boundary (erreichbarkeit.io.gtfs).

Small feeds are written into tmp_path, one defect each; the real VRN and
VVS feeds of ../shared/data are checked when present.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
import shapely

from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io.gtfs import (
    Feed,
    choose_reference_day,
    read_gtfs,
    route_lines,
    service_trips,
    stop_departures,
)
from erreichbarkeit.io.tables import RowProblem
from tests.conftest import need_shared

AGENCY = "agency_id,agency_name,agency_url,agency_timezone\nA,Testbus,https://example.org,Europe/Berlin\n"
STOPS = (
    "stop_id,stop_name,stop_lat,stop_lon\n"
    'S1,"Dorf, Mitte",49.40,8.68\n'
    "S2,Bahnhof,49.41,8.69\n"
    "S3,Schule,49.42,8.70\n"
)
ROUTES = (
    "route_id,agency_id,route_short_name,route_long_name,route_type\n"
    "R1,A,701,Dorf - Bahnhof,3\n"
    "R2,A,,Rufbus Dorf,715\n"
)
TRIPS = "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR2,WK,T3\n"
STOP_TIMES = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,07:00:00,07:00:00,S1,1\n"  # row 2
    "T1,07:10:00,07:10:00,S2,2\n"  # row 3
    "T1,07:20:00,07:20:00,S3,3\n"  # row 4
    "T2,25:10:00,25:10:00,S1,1\n"  # row 5: after midnight of the service day, valid GTFS
    "T2,25:20:00,25:20:00,S2,2\n"  # row 6
    "T3,08:00:00,08:00:00,S2,1\n"  # row 7
    "T3,08:15:00,08:15:00,S3,2\n"  # row 8
)
CALENDAR = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "WK,1,1,1,1,1,0,0,20240101,20241231\n"
)
# Tuesday 2 January 2024 is removed
CALENDAR_DATES = "service_id,date,exception_type\nWK,20240102,2\n"

BASE = {
    "agency.txt": AGENCY,
    "stops.txt": STOPS,
    "routes.txt": ROUTES,
    "trips.txt": TRIPS,
    "stop_times.txt": STOP_TIMES,
    "calendar.txt": CALENDAR,
    "calendar_dates.txt": CALENDAR_DATES,
}


def write_feed(folder: Path, name: str = "feed.zip", **changes: str | bytes | None) -> Path:
    """A GTFS zip in ``folder``; ``stops_txt="…"`` replaces a member, ``None`` leaves it out."""
    members: dict[str, str | bytes | None] = dict(BASE)
    members.update({k.replace("_txt", ".txt"): v for k, v in changes.items()})
    path = folder / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in members.items():
            if text is not None:
                zf.writestr(member, text)
    return path


def is_german(text: str) -> bool:
    words = (" die ", " der ", " ist ", " nicht ", " fehlt ", "Datei", "Zeile", "Fahrplan")
    return any(w in text for w in words)


def errors(feed: Feed) -> list[RowProblem]:
    return [p for p in feed.problems if p.severity == "error"]


# --- a valid feed -----------------------------------------------------------------


def test_valid_feed_reads_typed_tables(tmp_path: Path) -> None:
    path = write_feed(tmp_path)
    feed = read_gtfs(path, cache_dir=tmp_path / "cache")
    assert feed.problems == ()
    assert feed.clean_path == path
    assert not (tmp_path / "cache").exists()
    assert list(feed.stops.columns) == [
        "stop_id",
        "stop_name",
        "lon",
        "lat",
        "location_type",
        "parent_station",
    ]
    assert feed.stops.loc[0, "stop_name"] == "Dorf, Mitte"  # quoted comma
    assert feed.stops.loc[0, "lon"] == pytest.approx(8.68)
    assert feed.stops["location_type"].tolist() == [0, 0, 0]
    assert feed.stops["parent_station"].isna().all()
    assert feed.routes["route_type"].tolist() == [3, 715]
    assert feed.routes["agency_name"].tolist() == ["Testbus", "Testbus"]
    assert feed.first_day == dt.date(2024, 1, 1)
    assert feed.last_day == dt.date(2024, 12, 31)


def test_bom_crlf_and_quotes_are_accepted(tmp_path: Path) -> None:
    stops = "\ufeff" + STOPS.replace("\n", "\r\n")
    path = write_feed(tmp_path, stops_txt=stops.encode("utf-8"))
    feed = read_gtfs(path)
    assert feed.problems == ()
    assert feed.stops["stop_id"].tolist() == ["S1", "S2", "S3"]
    assert feed.stops.loc[0, "stop_name"] == "Dorf, Mitte"


def test_folder_instead_of_zip(tmp_path: Path) -> None:
    folder = tmp_path / "gtfs"
    folder.mkdir()
    for name, text in BASE.items():
        (folder / name).write_text(text, encoding="utf-8")
    feed = read_gtfs(folder)
    assert feed.problems == ()
    assert service_trips([feed], dt.date(2024, 1, 3)) == 3


# --- the whole file is unusable -------------------------------------------------------


def test_missing_stops_file(tmp_path: Path) -> None:
    path = write_feed(tmp_path, stops_txt=None)
    with pytest.raises(InputDataError) as info:
        read_gtfs(path)
    err = info.value
    assert err.file == str(path)
    assert err.row is None
    assert err.column is None
    assert "stops.txt" in err.german
    assert "fehlt" in err.german
    assert is_german(err.german)


def test_missing_column_stop_lat(tmp_path: Path) -> None:
    stops = "stop_id,stop_name,stop_lon\nS1,Dorf,8.68\n"
    path = write_feed(tmp_path, stops_txt=stops)
    with pytest.raises(MissingColumnError) as info:
        read_gtfs(path)
    err = info.value
    assert err.file is not None
    assert Path(err.file).name == "stops.txt"
    assert err.row == 1
    assert err.column == "stop_lat"
    assert "Pflichtspalte" in err.german
    assert "feed.zip" in err.german


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fahrplan.zip"
    path.write_text("<html><body>Fehler 404</body></html>", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        read_gtfs(path)
    err = info.value
    assert err.file == str(path)
    assert err.row is None
    assert "kein lesbares ZIP-Archiv" in err.german


def test_missing_file_path(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as info:
        read_gtfs(tmp_path / "nix.zip")
    assert "nicht gefunden" in info.value.german


def test_no_calendar_at_all(tmp_path: Path) -> None:
    path = write_feed(tmp_path, calendar_txt=None, calendar_dates_txt=None)
    with pytest.raises(InputDataError) as info:
        read_gtfs(path)
    assert "calendar.txt oder calendar_dates.txt" in info.value.german


def test_not_utf8(tmp_path: Path) -> None:
    stops = STOPS.replace("Schule", "Schüle").encode("cp1252")
    path = write_feed(tmp_path, stops_txt=stops)
    with pytest.raises(InputDataError) as info:
        read_gtfs(path)
    err = info.value
    assert Path(err.file or "").name == "stops.txt"
    assert err.row == 4
    assert "UTF-8" in err.german


def test_no_usable_stop(tmp_path: Path) -> None:
    stops = "stop_id,stop_name,stop_lat,stop_lon\nS1,Dorf,abc,8.68\n"
    path = write_feed(tmp_path, stops_txt=stops)
    with pytest.raises(InputDataError) as info:
        read_gtfs(path)
    assert Path(info.value.file or "").name == "stops.txt"
    assert "keine einzige Haltestelle" in info.value.german


# --- bad rows are dropped and listed --------------------------------------------------


def test_bad_time_drops_the_row_and_writes_a_cleaned_copy(tmp_path: Path) -> None:
    times = STOP_TIMES.replace("T1,07:10:00,07:10:00", "T1,7:5,07:10:00")
    path = write_feed(tmp_path, stop_times_txt=times)
    cache = tmp_path / "cache"
    feed = read_gtfs(path, cache_dir=cache)
    [problem] = feed.problems
    assert problem.file == "feed.zip/stop_times.txt"
    assert problem.row == 3
    assert problem.column == "arrival_time"
    assert problem.severity == "error"
    assert "„7:5“ ist keine Uhrzeit" in problem.message_de
    # the user's file stays; the router gets a cleaned copy in the cache
    assert feed.clean_path != path
    assert feed.clean_path.parent == cache
    with zipfile.ZipFile(feed.clean_path) as zf:
        cleaned = zf.read("stop_times.txt").decode()
        assert "7:5" not in cleaned
        assert zf.read("stops.txt").decode() == STOPS  # untouched members are copied
    with zipfile.ZipFile(path) as zf:
        assert "7:5" in zf.read("stop_times.txt").decode()
    assert read_gtfs(feed.clean_path).problems == ()
    assert read_gtfs(path, cache_dir=cache).clean_path == feed.clean_path  # cached by content


def test_time_after_midnight_is_valid(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    assert feed.problems == ()
    # Wednesday's trip T2 at 25:10 departs on Thursday 01:10; S2 is its last stop
    deps = stop_departures([feed], dt.date(2024, 1, 4), (60, 120)).set_index("stop_id")
    assert deps.loc["S1", "departures"] == 1
    assert deps.loc["S2", "departures"] == 0
    # Tuesday 2 January has no service, so nothing runs in the night to Wednesday
    deps = stop_departures([feed], dt.date(2024, 1, 3), (60, 120))
    assert deps["departures"].sum() == 0
    # the morning: T1 at S1 and S2, T3 at S2 (the last stops do not count)
    deps = stop_departures([feed], dt.date(2024, 1, 3), (6 * 60, 9 * 60))
    assert list(deps.columns) == ["feed", "stop_id", "stop_name", "lon", "lat", "departures"]
    assert deps.set_index("stop_id")["departures"].to_dict() == {"S1": 1, "S2": 2, "S3": 0}


def test_unknown_stop_in_stop_times(tmp_path: Path) -> None:
    times = STOP_TIMES.replace("T3,08:15:00,08:15:00,S3,2", "T3,08:15:00,08:15:00,S9,2")
    feed = read_gtfs(write_feed(tmp_path, stop_times_txt=times), cache_dir=tmp_path)
    [problem] = feed.problems
    assert (problem.file, problem.row, problem.column) == ("feed.zip/stop_times.txt", 8, "stop_id")
    assert problem.severity == "error"
    assert "„S9“ steht nicht in stops.txt" in problem.message_de


def test_latitude_not_a_number(tmp_path: Path) -> None:
    stops = STOPS.replace('S1,"Dorf, Mitte",49.40', 'S1,"Dorf, Mitte",abc')
    feed = read_gtfs(write_feed(tmp_path, stops_txt=stops), cache_dir=tmp_path)
    first = feed.problems[0]
    assert (first.file, first.row, first.column) == ("feed.zip/stops.txt", 2, "stop_lat")
    assert first.severity == "error"
    assert "„abc“ ist keine Zahl" in first.message_de
    assert "S1" not in set(feed.stops["stop_id"])
    # the stop times at the dropped stop go too, each listed
    rows = sorted(p.row for p in feed.problems if p.file.endswith("stop_times.txt"))
    assert rows == [2, 5]


def test_latitude_out_of_range(tmp_path: Path) -> None:
    stops = STOPS.replace("S2,Bahnhof,49.41", "S2,Bahnhof,149.41")
    feed = read_gtfs(write_feed(tmp_path, stops_txt=stops), cache_dir=tmp_path)
    assert (feed.problems[0].row, feed.problems[0].column) == (3, "stop_lat")


def test_trip_with_unknown_route(tmp_path: Path) -> None:
    trips = TRIPS.replace("R2,WK,T3", "R7,WK,T3")
    feed = read_gtfs(write_feed(tmp_path, trips_txt=trips), cache_dir=tmp_path)
    [problem] = feed.problems  # its stop times go without a problem each
    assert (problem.file, problem.row, problem.column) == ("feed.zip/trips.txt", 4, "route_id")
    assert service_trips([feed], dt.date(2024, 1, 3)) == 2


def test_trip_with_unknown_service(tmp_path: Path) -> None:
    trips = TRIPS.replace("R1,WK,T2", "R1,XX,T2")
    feed = read_gtfs(write_feed(tmp_path, trips_txt=trips), cache_dir=tmp_path)
    [problem] = feed.problems
    assert (problem.row, problem.column) == (3, "service_id")
    assert "calendar.txt oder calendar_dates.txt" in problem.message_de


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    stops = STOPS.replace("S3,Schule,49.42,8.70", "S3,Schule,49.42,8.70,zuviel")
    feed = read_gtfs(write_feed(tmp_path, stops_txt=stops), cache_dir=tmp_path)
    first = feed.problems[0]
    assert (first.file, first.row, first.severity) == ("feed.zip/stops.txt", 4, "error")
    assert "Felder" in first.message_de


def test_stop_far_outside_region_is_a_warning(tmp_path: Path) -> None:
    stops = STOPS + "S4,Fernbahnhof,50.30,8.69\n"  # about 100 km north of the region
    path = write_feed(tmp_path, stops_txt=stops)
    region = shapely.box(8.6, 49.35, 8.8, 49.45)
    feed = read_gtfs(path, region=region, max_outside_km=30)
    [problem] = feed.problems
    assert (problem.file, problem.row, problem.column) == ("feed.zip/stops.txt", 5, "stop_lat")
    assert problem.severity == "warning"
    assert "außerhalb" in problem.message_de
    assert "S4" in set(feed.stops["stop_id"])  # kept
    assert feed.clean_path == path  # nothing dropped


# --- service days -----------------------------------------------------------------


def test_calendar_only_via_calendar_dates(tmp_path: Path) -> None:
    dates = "service_id,date,exception_type\nWK,20240305,1\nWK,20240312,1\nWK,20240316,1\n"
    path = write_feed(tmp_path, calendar_txt=None, calendar_dates_txt=dates)
    feed = read_gtfs(path)
    assert feed.problems == ()
    assert (feed.first_day, feed.last_day) == (dt.date(2024, 3, 5), dt.date(2024, 3, 16))
    assert service_trips([feed], dt.date(2024, 3, 5)) == 3
    assert service_trips([feed], dt.date(2024, 3, 6)) == 0
    day, _ = choose_reference_day([feed], today=dt.date(2024, 3, 1))
    assert day == dt.date(2024, 3, 5)
    assert day.weekday() == 1


def test_service_trips_calendar_and_exceptions(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    assert service_trips([feed], dt.date(2024, 1, 1)) == 3  # Monday
    assert service_trips([feed], dt.date(2024, 1, 2)) == 0  # removed by calendar_dates
    assert service_trips([feed], dt.date(2024, 1, 6)) == 0  # Saturday
    assert service_trips([feed], dt.date(2025, 1, 6)) == 0  # after end_date
    assert service_trips([feed, feed], dt.date(2024, 1, 3)) == 6


def test_reference_day_is_a_tuesday_nearest_today(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    day, warnings = choose_reference_day([feed], today=dt.date(2024, 6, 1))
    assert day == dt.date(2024, 6, 4)
    assert warnings == ()
    day, _ = choose_reference_day([feed])  # no today: the first Tuesday with most trips
    assert day == dt.date(2024, 1, 9)  # 2 January is removed


def test_requested_day_outside_calendar(tmp_path: Path) -> None:
    path = write_feed(tmp_path)
    feed = read_gtfs(path)
    with pytest.raises(InputDataError) as info:
        choose_reference_day([feed], dt.date(2025, 3, 4), today=dt.date(2024, 6, 1))
    err = info.value
    assert err.file == str(path)
    assert "feed.zip" in err.german
    assert "01.01.2024 bis 31.12.2024" in err.german
    assert "Stichtag 04.03.2025" in err.german
    assert "fährt laut Fahrplan kein Bus" in err.german


def test_requested_day_with_service(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    day, warnings = choose_reference_day([feed], dt.date(2024, 3, 7), today=dt.date(2024, 6, 1))
    assert (day, warnings) == (dt.date(2024, 3, 7), ())


def test_expired_feed_warns(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    day, warnings = choose_reference_day([feed], today=dt.date(2025, 6, 1))
    assert day.weekday() == 1
    [warning] = warnings
    assert "Der Fahrplan „feed.zip“ ist abgelaufen (gültig bis 31.12.2024)" in warning
    assert f"Stichtag {day:%d.%m.%Y}" in warning


def test_no_service_at_all(tmp_path: Path) -> None:
    calendar = CALENDAR.replace("WK,1,1,1,1,1,0,0", "WK,0,0,0,0,0,0,0")
    path = write_feed(tmp_path, calendar_txt=calendar, calendar_dates_txt=None)
    feed = read_gtfs(path)
    assert feed.first_day is None
    with pytest.raises(InputDataError) as info:
        choose_reference_day([feed])
    assert "an keinem Tag" in info.value.german


# --- lines for the map --------------------------------------------------------------


def test_route_lines(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    lines = route_lines([feed]).set_index("route_id")
    assert lines.crs is not None
    assert lines.crs.to_epsg() == 4326
    assert lines.loc["R1", "name"] == "701"
    assert lines.loc["R2", "name"] == "Rufbus Dorf"  # long name when no short name
    assert lines.loc["R1", "trips"] == 2
    assert lines.loc["R1", "geometry"].coords[0] == (8.68, 49.40)
    assert len(lines.loc["R1", "geometry"].coords) == 3  # T1's sequence is longer? no: most common
    assert lines["on_demand"].to_dict() == {"R1": False, "R2": True}
    marked = route_lines([feed], on_demand_routes=["R1"]).set_index("route_id")
    assert bool(marked.loc["R1", "on_demand"])
    assert route_lines([feed], dt.date(2024, 1, 6)).empty  # Saturday


def test_route_lines_from_shapes(tmp_path: Path) -> None:
    trips = "route_id,service_id,trip_id,shape_id\nR1,WK,T1,SH\nR1,WK,T2,SH\nR2,WK,T3,\n"
    shapes = (
        "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
        "SH,49.40,8.68,1\nSH,49.405,8.685,2\nSH,49.41,8.69,3\nSH,49.42,8.70,4\n"
    )
    feed = read_gtfs(write_feed(tmp_path, trips_txt=trips, shapes_txt=shapes))
    assert feed.problems == ()
    lines = route_lines([feed]).set_index("route_id")
    assert len(lines.loc["R1", "geometry"].coords) == 4
    assert lines.loc["R1", "trips"] == 2
    assert len(lines.loc["R2", "geometry"].coords) == 2


# --- real feeds (skipped when ../shared/data is absent) ------------------------------


@pytest.mark.shared_data
def test_real_vrn_feed_calendar_dates_only() -> None:
    feed = read_gtfs(need_shared("heidelberg-ors/vrn_gtfs_cut.zip"))
    assert errors(feed) == []
    assert feed.clean_path == feed.path
    assert (feed.first_day, feed.last_day) == (dt.date(2022, 6, 12), dt.date(2022, 12, 10))
    assert service_trips([feed], dt.date(2022, 7, 5)) == 748
    day, warnings = choose_reference_day([feed], today=dt.date(2022, 7, 1))
    assert day.weekday() == 1
    assert dt.date(2022, 6, 12) <= day <= dt.date(2022, 12, 10)
    assert warnings == ()
    assert service_trips([feed], day) >= 748
    lines = route_lines([feed], day)
    assert not lines.empty
    assert lines.geometry.is_valid.all()
    deps = stop_departures([feed], day, (6 * 60, 9 * 60))
    assert deps["departures"].sum() > 100


@pytest.mark.shared_data
def test_real_vvs_feeds() -> None:
    folder = need_shared("herrenberg-otp")
    paths = sorted(folder.glob("*.zip"))
    if not paths:
        pytest.skip("no GTFS zip in herrenberg-otp")
    feeds = [read_gtfs(p, index=i) for i, p in enumerate(paths)]
    for feed in feeds:
        assert errors(feed) == []
        assert feed.first_day is not None
        assert feed.first_day.year == 2020
        assert feed.last_day is not None
        assert dt.date(2020, 12, 1) <= feed.last_day <= dt.date(2020, 12, 12)
    day, warnings = choose_reference_day(feeds, today=dt.date(2026, 1, 1))
    assert day.weekday() == 1
    assert day.year == 2020
    assert service_trips(feeds, day) > 0
    assert any("abgelaufen" in w for w in warnings)
    lines = route_lines(feeds)
    assert not lines.empty
    assert set(lines["feed"]) == set(range(len(feeds)))


def test_empty_member_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as info:
        read_gtfs(write_feed(tmp_path, routes_txt=""))
    assert Path(info.value.file or "").name == "routes.txt"
    assert "ist leer" in info.value.german


def test_hand_built_feed_without_timetable(tmp_path: Path) -> None:
    feed = read_gtfs(write_feed(tmp_path))
    bare = Feed(
        path=feed.path,
        clean_path=feed.path,
        index=0,
        stops=feed.stops,
        routes=feed.routes,
        first_day=None,
        last_day=None,
        problems=(),
    )
    assert service_trips([bare], dt.date(2024, 1, 3)) == 0
    assert stop_departures([bare], dt.date(2024, 1, 3), (0, 1440)).empty
    assert route_lines([bare]).empty


def test_members_in_a_subfolder_of_the_zip(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in BASE.items():
            zf.writestr(f"gtfs/{name}", text)
    feed = read_gtfs(path, cache_dir=tmp_path / "cache")
    assert feed.problems == ()
    assert service_trips([feed], dt.date(2024, 1, 3)) == 3
    # routers expect the files at the top of the archive: a copy is made for them
    assert feed.clean_path != path
    with zipfile.ZipFile(feed.clean_path) as zf:
        assert "stops.txt" in zf.namelist()


def test_repeated_stop_id(tmp_path: Path) -> None:
    stops = STOPS + "S2,Bahnhof doppelt,49.5,8.7\n"
    feed = read_gtfs(write_feed(tmp_path, stops_txt=stops), cache_dir=tmp_path)
    [problem] = feed.problems
    assert (problem.row, problem.column, problem.severity) == (5, "stop_id", "error")
    assert "früheren Zeile" in problem.message_de
    assert feed.stops["stop_name"].tolist() == ["Dorf, Mitte", "Bahnhof", "Schule"]


def test_bad_date_in_calendar_dates(tmp_path: Path) -> None:
    dates = CALENDAR_DATES + "WK,2024-03-05,2\nWK,20240306,3\n"
    feed = read_gtfs(write_feed(tmp_path, calendar_dates_txt=dates), cache_dir=tmp_path)
    found = [(p.row, p.column) for p in feed.problems]
    assert found == [(3, "date"), (4, "exception_type")]
    assert service_trips([feed], dt.date(2024, 3, 5)) == 3
