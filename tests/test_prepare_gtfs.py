"""Tests for erreichbarkeit.prepare.gtfs: downloading and clipping a GTFS timetable."""

from __future__ import annotations

import functools
import http.server
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import gtfs_kit
import pytest
import shapely
from shapely import affinity
from shapely.geometry import Point, box

from erreichbarkeit.errors import ConfigError, InputDataError
from erreichbarkeit.prepare.gtfs import clip_gtfs, download_gtfs

from .conftest import need_shared

# ---------------------------------------------------------------------------
# a small GTFS feed
# ---------------------------------------------------------------------------
#: The area of the tests: 0.2° x 0.2° (about 15 km x 22 km) east of 8°E.
AREA = box(8.0, 49.0, 8.2, 49.2)

# Line "A" runs entirely outside AREA (near 9°E).  Line "B" starts inside at
# B1 (child of station P1) and crosses the border eastwards to B2 and B3.
# U lies inside AREA but no trip stops there.
STOPS = """stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
P1,Bahnhof Innen,49.1,8.1,1,
B1,Bahnhof Innen Gleis 1,49.1,8.1001,0,P1
B2,Grenze Ost,49.1,8.3,0,
B3,Endstation Ost,49.1,8.5,0,
A1,Fern West,49.1,9.0,0,
A2,Fern Ost,49.1,9.1,0,
U,Unbedient,49.15,8.15,0,
"""
FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
    "AG1,Innenbus,https://example.org,Europe/Berlin\n"
    "AG2,Fernbus,https://example.org,Europe/Berlin\n",
    "stops.txt": STOPS,
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nA,AG2,A,3\nB,AG1,B,3\n",
    "trips.txt": "route_id,service_id,trip_id,shape_id\n"
    "A,WE,TA1,SA\nA,WE,TA2,SA\nB,WD,TB1,SB\nB,WD,TB2,SB\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "TA1,08:00:00,08:00:00,A1,1\nTA1,08:10:00,08:10:00,A2,2\n"
    "TA2,09:00:00,09:00:00,A2,1\nTA2,09:10:00,09:10:00,A1,2\n"
    "TB1,07:00:00,07:00:00,B1,1\nTB1,07:10:00,07:10:00,B2,2\nTB1,07:20:00,07:20:00,B3,3\n"
    "TB2,24:50:00,24:50:00,B3,1\nTB2,25:00:00,25:00:00,B2,2\nTB2,25:10:00,25:10:00,B1,3\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWD,1,1,1,1,1,0,0,20260101,20261231\n"
    "WE,0,0,0,0,0,1,1,20260101,20261231\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWD,20261225,2\nWE,20261226,1\n",
    "shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
    "SA,49.1,9.0,1\nSA,49.1,9.1,2\nSB,49.1,8.1,1\nSB,49.1,8.5,2\n",
}


def write_gtfs(path: Path, tables: dict[str, str] | None = None) -> Path:
    """Write the test feed (or ``tables``) as a GTFS zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (tables or FEED).items():
            zf.writestr(name, text)
    return path


@pytest.fixture
def feed_zip(tmp_path: Path) -> Path:
    return write_gtfs(tmp_path / "feed.zip")


def ids(path: Path) -> dict[str, set[str]]:
    """The ids in the tables of a GTFS zip, read back with gtfs_kit."""
    feed = gtfs_kit.read_feed(path, dist_units="km")
    return {
        "trips": set(feed.trips.trip_id),
        "stops": set(feed.stops.stop_id),
        "routes": set(feed.routes.route_id),
        "shapes": set(feed.shapes.shape_id),
        "services": set(feed.calendar.service_id) | set(feed.calendar_dates.service_id),
        "agencies": set(feed.agency.agency_id),
    }


# ---------------------------------------------------------------------------
# clip
# ---------------------------------------------------------------------------
def test_clip_keeps_whole_trips_touching_the_area(feed_zip: Path, tmp_path: Path) -> None:
    out = clip_gtfs(feed_zip, AREA, tmp_path / "clip")
    assert out.parent == tmp_path / "clip"
    assert out.name.startswith("gtfs-clip-")
    assert out.suffix == ".zip"
    assert ids(out) == {
        "trips": {"TB1", "TB2"},
        "stops": {"P1", "B1", "B2", "B3"},  # B2, B3 outside but on kept trips; P1 parent
        "routes": {"B"},
        "shapes": {"SB"},
        "services": {"WD"},
        "agencies": {"AG1"},
    }
    feed = gtfs_kit.read_feed(out, dist_units="km")
    # whole trips: all stop times, times after midnight unchanged
    tb2 = feed.stop_times.loc[feed.stop_times.trip_id == "TB2"].sort_values("stop_sequence")
    assert list(tb2.stop_id) == ["B3", "B2", "B1"]
    assert list(tb2.arrival_time) == ["24:50:00", "25:00:00", "25:10:00"]
    assert len(feed.stop_times) == 6
    # only a temporary-free folder: the clipped zip alone
    assert [p.name for p in (tmp_path / "clip").iterdir()] == [out.name]


def test_clip_is_cached_by_content(
    feed_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "clip"
    first = clip_gtfs(feed_zip, AREA, target)
    mtime = first.stat().st_mtime_ns

    def no_reclip(*_args: object, **_kwargs: object) -> None:
        msg = "clipped again"
        raise AssertionError(msg)

    monkeypatch.setattr(gtfs_kit, "read_feed", no_reclip)
    monkeypatch.setattr(gtfs_kit, "restrict_to_trips", no_reclip)
    time.sleep(0.01)
    assert clip_gtfs(feed_zip, AREA, target) == first
    assert first.stat().st_mtime_ns == mtime
    # the same bytes under another name are the same input
    copy = tmp_path / "copy.zip"
    copy.write_bytes(feed_zip.read_bytes())
    assert clip_gtfs(copy, AREA, target) == first
    monkeypatch.undo()
    # another area, buffer or content gives another file
    assert clip_gtfs(feed_zip, AREA, target, buffer_km=1.0) != first
    assert clip_gtfs(feed_zip, box(8.0, 49.0, 8.21, 49.2), target) != first
    tables = dict(FEED, **{"agency.txt": FEED["agency.txt"].replace("Innenbus", "Stadtbus")})
    assert clip_gtfs(write_gtfs(tmp_path / "feed2.zip", tables), AREA, target) != first
    assert len(list(target.iterdir())) == 4


def test_clip_buffer_reaches_stops_outside(feed_zip: Path, tmp_path: Path) -> None:
    """B2 (8.3°E) is about 1.5 km east of a box ending at 8.28°E."""
    near = box(8.22, 49.05, 8.28, 49.15)
    with pytest.raises(InputDataError) as info:
        clip_gtfs(feed_zip, near, tmp_path / "clip")
    assert "Keine Haltestelle" in info.value.german
    out = clip_gtfs(feed_zip, near, tmp_path / "clip", buffer_km=2.0)
    assert ids(out)["trips"] == {"TB1", "TB2"}


def test_clip_no_stop_in_area(feed_zip: Path, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no stop") as info:
        clip_gtfs(feed_zip, box(10.0, 50.0, 10.1, 50.1), tmp_path / "clip")
    assert info.value.german.startswith("Datei feed.zip: Keine Haltestelle")
    assert not (tmp_path / "clip").exists() or not list((tmp_path / "clip").iterdir())


def test_clip_stop_without_trips_is_no_coverage(tmp_path: Path) -> None:
    """Only the unserved stop U lies in a small box around it."""
    source = write_gtfs(tmp_path / "feed.zip")
    with pytest.raises(InputDataError, match="no stop"):
        clip_gtfs(source, Point(8.15, 49.15).buffer(0.01), tmp_path / "clip")


def test_clip_bad_inputs(tmp_path: Path, feed_zip: Path) -> None:
    not_zip = tmp_path / "fahrplan.zip"
    not_zip.write_text("stop_id,stop_name\n", "utf-8")
    with pytest.raises(InputDataError) as info:
        clip_gtfs(not_zip, AREA, tmp_path / "clip")
    assert "keine ZIP-Datei" in info.value.german
    no_trips = write_gtfs(tmp_path / "no_trips.zip", {"stops.txt": STOPS})
    with pytest.raises(InputDataError) as info:
        clip_gtfs(no_trips, AREA, tmp_path / "clip")
    assert "routes.txt, trips.txt, stop_times.txt" in info.value.german
    metric = affinity.scale(AREA, 1e5, 1e5, origin=(0, 0))
    with pytest.raises(ConfigError, match="EPSG:4326"):
        clip_gtfs(feed_zip, metric, tmp_path / "clip")
    with pytest.raises(ConfigError):
        clip_gtfs(feed_zip, AREA, tmp_path / "clip", buffer_km=-1)
    with pytest.raises(ConfigError):
        clip_gtfs(feed_zip, shapely.Polygon(), tmp_path / "clip")


# ---------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------
class Server:
    """A local HTTP server serving the files of a folder."""

    def __init__(self, root: Path) -> None:
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server for ``tmp_path/www`` with a GTFS zip, a web page and a text file."""
    www = tmp_path / "www"
    www.mkdir()
    write_gtfs(www / "gtfs.zip")
    (www / "page.zip").write_text("<!DOCTYPE html><html><body>Wartung</body></html>", "utf-8")
    (www / "text.zip").write_text("stop_id,stop_name\nX,Y\n", "utf-8")
    write_gtfs(www / "other.zip", {"readme.txt": "kein Fahrplan"})
    server = Server(www)
    yield server.url, tmp_path
    server.close()


def test_download_gtfs(served: tuple[str, Path]) -> None:
    url, tmp = served
    target = tmp / "downloads" / "gtfs.zip"
    calls: list[tuple[str, int, int]] = []
    out = download_gtfs(f"{url}/gtfs.zip", target, progress=lambda *a: calls.append(a))
    assert out == target
    assert out.read_bytes() == (tmp / "www" / "gtfs.zip").read_bytes()
    assert calls
    assert calls[-1][0] == "Download Fahrplan (GTFS)"
    assert calls[-1][1] == target.stat().st_size
    # cached: no second request (the server would serve a changed file)
    write_gtfs(tmp / "www" / "gtfs.zip", dict(FEED, **{"extra.txt": "x"}))
    assert download_gtfs(f"{url}/gtfs.zip", target) == target
    assert target.read_bytes() != (tmp / "www" / "gtfs.zip").read_bytes()
    assert ids(clip_gtfs(out, AREA, tmp / "clip"))["trips"] == {"TB1", "TB2"}


def _left_behind(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_gtfs_404(served: tuple[str, Path]) -> None:
    url, tmp = served
    target = tmp / "downloads" / "missing.zip"
    with pytest.raises(InputDataError, match="404") as info:
        download_gtfs(f"{url}/missing.zip", target)
    assert info.value.german.startswith("Datei missing.zip: Download fehlgeschlagen")
    assert "HTTP 404" in info.value.german
    assert _left_behind(target.parent) == []


@pytest.mark.parametrize(
    ("name", "german"),
    [
        ("page.zip", "Webseite"),
        ("text.zip", "keine ZIP-Datei"),
        ("other.zip", "kein GTFS-Fahrplan"),
    ],
)
def test_download_gtfs_not_a_gtfs_zip(served: tuple[str, Path], name: str, german: str) -> None:
    url, tmp = served
    target = tmp / "downloads" / name
    with pytest.raises(InputDataError) as info:
        download_gtfs(f"{url}/{name}", target)
    assert german in info.value.german
    assert info.value.file == str(target)
    assert _left_behind(target.parent) == []


def test_download_gtfs_connection_refused(tmp_path: Path) -> None:
    server = Server(tmp_path)
    url = server.url
    server.close()  # nobody listens on that port any more
    target = tmp_path / "downloads" / "gtfs.zip"
    with pytest.raises(InputDataError, match="download failed") as info:
        download_gtfs(f"{url}/gtfs.zip", target, timeout_s=5)
    assert "Download fehlgeschlagen" in info.value.german
    assert _left_behind(target.parent) == []


# ---------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------
def test_clip_real_vrn(tmp_path: Path) -> None:
    """5 km around Heidelberg Bismarckplatz in the cut VRN feed."""
    source = need_shared("heidelberg-ors/vrn_gtfs_cut.zip")
    centre = gpd.GeoSeries([Point(8.6937, 49.4094)], crs="EPSG:4326").to_crs("EPSG:25832")
    circle = centre.buffer(5000).to_crs("EPSG:4326").iloc[0]
    out = clip_gtfs(source, circle, tmp_path)
    full = gtfs_kit.read_feed(source, dist_units="km")
    clipped = gtfs_kit.read_feed(out, dist_units="km")
    assert 0 < len(clipped.stops) < len(full.stops)
    # independently: the trips with a stop inside the circle
    inside = full.stops.loc[
        shapely.contains_xy(circle, full.stops.stop_lon, full.stops.stop_lat), "stop_id"
    ]
    touching = set(full.stop_times.loc[full.stop_times.stop_id.isin(inside), "trip_id"])
    assert set(clipped.trips.trip_id) == touching
    assert len(touching) < len(full.trips)
    # kept trips are whole
    assert len(clipped.stop_times) == full.stop_times.trip_id.isin(touching).sum()
    assert set(clipped.stops.stop_id) >= set(clipped.stop_times.stop_id)
