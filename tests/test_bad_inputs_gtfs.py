"""Bad GTFS timetables, Bus & Bahn options and flags (part of the bad-input inventory).

Each case starts from a small valid feed and breaks one thing.  A defect that
makes the whole feed unusable is a named error naming the file (the member
inside the zip), row and column; a bad row is dropped and listed as a
``RowProblem``; the user's file is never changed.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from erreichbarkeit.cli.main import main
from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ConfigError, InputDataError, MissingColumnError
from erreichbarkeit.io.gtfs import choose_reference_day, read_gtfs

from .test_bad_inputs_common import GERMAN, Case, assert_clear_error, assert_problem

_GOOD = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
    "A,Testbus,https://example.org,Europe/Berlin\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,Dorf,49.40,8.68\nS2,Bahnhof,49.41,8.69\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,701,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,07:00:00,07:00:00,S1,1\nT1,07:10:00,07:10:00,S2,2\n"
    "T2,25:10:00,25:10:00,S1,1\nT2,25:20:00,25:20:00,S2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWK,1,1,1,1,1,0,0,20260105,20261218\n",
}


def _feed(**changes: str | bytes | None) -> Callable[[Path], Path]:
    """A builder writing the good feed with members replaced (``None`` = left out)."""

    def build(tmp: Path) -> Path:
        files: dict[str, str | bytes] = dict(_GOOD)
        for name, text in changes.items():
            member = name.replace("_txt", ".txt")
            if text is None:
                files.pop(member)
            else:
                files[member] = text
        path = tmp / "fahrplan.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in files.items():
                zf.writestr(name, text)
        return path

    return build


def _not_a_zip(tmp: Path) -> Path:
    path = tmp / "fahrplan.zip"
    path.write_text("<html>Fehler 404</html>", "utf-8")
    return path


_ST = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
FEED_CASES = [
    Case("gtfs-not-zip", "an HTML page saved as fahrplan.zip", "InputDataError naming the file",
         {"build": _not_a_zip, "error": InputDataError, "file": "fahrplan.zip"}),
    Case("gtfs-no-stops", "zip without stops.txt", "InputDataError: stops.txt missing",
         {"build": _feed(stops_txt=None), "error": InputDataError, "file": "fahrplan.zip"}),
    Case("gtfs-no-calendar", "neither calendar.txt nor calendar_dates.txt",
         "InputDataError: no calendar", {"build": _feed(calendar_txt=None),
                                         "error": InputDataError, "file": "fahrplan.zip"}),
    Case("gtfs-no-lat-column", "stops.txt without stop_lat", "MissingColumnError, row 1, column",
         {"build": _feed(stops_txt="stop_id,stop_name,stop_lon\nS1,Dorf,8.68\n"),
          "error": MissingColumnError, "file": "stops.txt", "row": 1, "column": "stop_lat"}),
    Case("gtfs-latin1", "stops.txt saved as Windows-1252 (Ä as byte 0xC4)",
         "InputDataError naming the row of the first bad byte",
         {"build": _feed(stops_txt=b"stop_id,stop_name,stop_lat,stop_lon\nS1,D\xc4rf,49.4,8.68\n"),
          "error": InputDataError, "file": "stops.txt", "row": 2}),
]  # fmt: skip

ROW_CASES = [
    Case("gtfs-time-7-5", "a stop time '7:5'", "row dropped, problem names stop_times.txt row 2",
         {"build": _feed(stop_times_txt=_ST + "T1,7:5,7:5,S1,1\nT1,07:10:00,07:10:00,S2,2\n"),
          "member": "stop_times.txt", "row": 2, "column": "arrival_time"}),
    Case("gtfs-lat-text", "stop_lat 'abc'", "stop dropped, problem names stops.txt row 3",
         {"build": _feed(stops_txt="stop_id,stop_name,stop_lat,stop_lon\nS1,Dorf,49.40,8.68\n"
                                   "S2,Bahnhof,abc,8.69\n"),
          "member": "stops.txt", "row": 3, "column": "stop_lat"}),
    Case("gtfs-unknown-stop", "a stop time of a stop that is not in stops.txt",
         "row dropped, problem names the column stop_id",
         {"build": _feed(stop_times_txt=_ST + "T1,07:00:00,07:00:00,S9,1\n"
                                             "T1,07:10:00,07:10:00,S2,2\n"),
          "member": "stop_times.txt", "row": 2, "column": "stop_id"}),
    Case("gtfs-unknown-route", "a trip of a route that is not in routes.txt",
         "trip dropped, problem names trips.txt row 3",
         {"build": _feed(trips_txt="route_id,service_id,trip_id\nR1,WK,T1\nR7,WK,T2\n"),
          "member": "trips.txt", "row": 3, "column": "route_id"}),
]  # fmt: skip

OPTION_CASES = [
    Case("pt-date-outside", "[transit] date outside the feed's calendar (2027-03-09)",
         "InputDataError naming the feed and its period", {}),
    Case("pt-without-gtfs", 'modes = ["pt"] without a timetable',
         "ConfigError on modes: Bus & Bahn braucht einen Fahrplan", {}),
    Case("pt-window-backwards", 'windows = { kita = "08:00-07:00" }',
         "ConfigError on transit.windows.kita", {}),
    Case("pt-flag-date", "--pt-date 31.02.2026", "exit 2, German line naming --pt-date", {}),
    Case("pt-flag-missing-feed", "--gtfs of a file that does not exist",
         "exit 2 before any computation, German line naming the file", {}),
]  # fmt: skip


@pytest.mark.parametrize("case", FEED_CASES, ids=[c.id for c in FEED_CASES])
def test_unusable_feed_is_a_named_error(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    before = path.read_bytes()
    with pytest.raises(case.data["error"]) as err:
        read_gtfs(path, cache_dir=tmp_path / "cache")
    d: dict[str, Any] = case.data
    assert_clear_error(err.value, d["error"], file=d["file"], row=d.get("row"),
                       column=d.get("column"))  # fmt: skip
    assert path.read_bytes() == before


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_bad_row_is_dropped_and_named(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    before = path.read_bytes()
    feed = read_gtfs(path, cache_dir=tmp_path / "cache")
    errors = [p for p in feed.problems if p.severity == "error"]
    assert len(errors) >= 1
    assert_problem(errors[0], file=f"fahrplan.zip/{case.data['member']}", row=case.data["row"],
                   column=case.data["column"], severity="error")  # fmt: skip
    assert feed.clean_path != path  # the router reads a cleaned copy
    assert path.read_bytes() == before


def test_times_after_midnight_are_valid(tmp_path: Path) -> None:
    feed = read_gtfs(_feed()(tmp_path), cache_dir=tmp_path / "cache")
    assert not feed.problems
    assert feed.clean_path == tmp_path / "fahrplan.zip"


def test_date_outside_the_calendar(tmp_path: Path) -> None:
    feed = read_gtfs(_feed()(tmp_path))
    with pytest.raises(InputDataError) as err:
        choose_reference_day([feed], dt.date(2027, 3, 9))
    assert "fahrplan.zip" in err.value.german
    assert GERMAN.search(err.value.message_de)


def test_pt_without_gtfs_and_backwards_window() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_dict({"modes": ["pt"]})
    assert_clear_error(err.value, ConfigError, file=None, column="modes")
    with pytest.raises(ConfigError) as err:
        Settings.from_dict({"transit": {"windows": {"kita": "08:00-07:00"}}})
    assert_clear_error(err.value, ConfigError, file=None, column="transit.windows.kita")


def test_bad_flags_exit_2_with_a_german_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osm = tmp_path / "netz.osm"
    osm.write_text('<?xml version="1.0"?><osm version="0.6"></osm>', "utf-8")
    gtfs = _feed()(tmp_path)
    code = main(["analyse", "--network", str(osm), "--gtfs", str(gtfs), "--pt-date",
                 "31.02.2026", "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "--pt-date" in err
    code = main(["analyse", "--network", str(osm), "--gtfs", str(tmp_path / "fehlt.zip"),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "fehlt.zip" in err
    assert "Fahrplan" in err
