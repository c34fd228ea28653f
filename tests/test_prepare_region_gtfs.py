"""``erreichbarkeit prepare`` with a GTFS timetable: fetch, clip, region file, CLI.

The region is the synthetic Kreis 99901 of ``test_prepare`` (10.00–10.10 E ×
51.00–51.05 N, buffer 1 km); the timetable has one line through the Kreis and
one far away, so the clip keeps exactly one of them.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import gtfs_kit
import pytest

import erreichbarkeit.prepare.gtfs as gtfs_module
from erreichbarkeit.config import MODES, Settings
from erreichbarkeit.errors import ConfigError, InputDataError
from erreichbarkeit.prepare import prepare_region
from erreichbarkeit.prepare.gtfs import gtfs_attribution
from erreichbarkeit.prepare.regionfile import write_region_file

from .test_prepare import KREIS, Server, write_boundaries, write_osm

# Line K runs inside the Kreis (Adorf → Bstadt) and on to Cheim (neighbour);
# line F runs far away (kept out by the clip).
FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
    "AG,Kreisbus,https://example.org,Europe/Berlin\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    "K1,Adorf Mitte,51.02,10.02\nK2,Bstadt Markt,51.03,10.08\nK3,Cheim,51.02,10.12\n"
    "F1,Fernhausen,52.02,11.02\nF2,Fernstadt,52.03,11.04\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nK,AG,K,3\nF,AG,F,3\n",
    "trips.txt": "route_id,service_id,trip_id\nK,WD,TK1\nK,WD,TK2\nF,WD,TF1\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "TK1,07:00:00,07:00:00,K1,1\nTK1,07:10:00,07:10:00,K2,2\nTK1,07:15:00,07:15:00,K3,3\n"
    "TK2,08:00:00,08:00:00,K3,1\nTK2,08:05:00,08:05:00,K2,2\nTK2,08:15:00,08:15:00,K1,3\n"
    "TF1,07:00:00,07:00:00,F1,1\nTF1,07:20:00,07:20:00,F2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWD,1,1,1,1,1,0,0,20260101,20271231\n",
}


def write_gtfs(path: Path, tables: dict[str, str] | None = None) -> Path:
    """Write the test timetable (or ``tables``) as a GTFS zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (tables or FEED).items():
            zf.writestr(name, text)
    return path


def write_region(path: Path, base_url: str, *, gtfs_url: str | None = None) -> Path:
    """The region file of the test Kreis, with ``[source] gtfs_url`` if given."""
    gtfs_line = f'gtfs_url = "{gtfs_url}"\n' if gtfs_url is not None else ""
    path.write_text(
        f"""# Testkreis
[region]
name = "Testkreis"
kreis = "{KREIS}"

[source]
extract_url = "{base_url}/testkreis-latest.osm.pbf"
boundaries_url = "{base_url}/vg250_test.gpkg"
{gtfs_line}buffer_km = 1

[inputs]
network = "testkreis.osm.pbf"
boundaries = "gemeinden.gpkg"
offers = ["osm"]
# nur Auto und zu Fuß
modes = ["car", "walk"]
""",
        "utf-8",
    )
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """A server for ``tmp_path/www`` with the OSM file, the boundaries and the timetable."""
    www = tmp_path / "www"
    www.mkdir()
    write_osm(www / "testkreis-latest.osm.pbf")
    write_boundaries(www / "vg250_test.gpkg")
    write_gtfs(www / "verbund_gtfs.zip")
    server = Server(www)
    yield server, tmp_path
    server.close()


class LocalFiles(TypedDict):
    """The ``extract``/``boundaries`` arguments of :func:`prepare_region`."""

    extract: Path
    boundaries: Path


def local_files(tmp: Path) -> LocalFiles:
    """The arguments for a run from the local OSM file and boundaries."""
    return LocalFiles(
        extract=tmp / "www" / "testkreis-latest.osm.pbf",
        boundaries=tmp / "www" / "vg250_test.gpkg",
    )


def trip_ids(path: Path) -> set[str]:
    return set(gtfs_kit.read_feed(path, dist_units="km").trips.trip_id)


def no_clip(*_args: object, **_kwargs: object) -> None:
    msg = "the timetable was clipped again"
    raise AssertionError(msg)


# ---------------------------------------------------------------------------
# a prepared region with a timetable
# ---------------------------------------------------------------------------
def test_prepare_region_local_gtfs_is_clipped_and_listed(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    calls: list[tuple[str, int, int]] = []
    result = prepare_region(
        region,
        data_dir=tmp / "data",
        gtfs=tmp / "www" / "verbund_gtfs.zip",
        offline=True,
        progress=lambda *a: calls.append(a),
        **local_files(tmp),
    )
    assert server.requests == []
    assert result.gtfs is not None
    assert result.gtfs.parent == tmp / "data" / "testkreis" / "gtfs"
    assert result.gtfs.name.startswith("gtfs-clip-")
    assert trip_ids(result.gtfs) == {"TK1", "TK2"}  # the far line F is dropped

    text = result.region_file.read_text("utf-8")
    assert f'gtfs = ["gtfs/{result.gtfs.name}"]' in text
    assert "# nur Auto und zu Fuß" in text  # the planner's comments stay
    settings = Settings.from_toml(result.region_file)
    assert settings.gtfs == (result.gtfs,)
    assert settings.modes == ("car", "walk", "pt")
    assert "gtfs" not in settings.attribution  # a local file of unknown origin
    assert ("Fahrplan zuschneiden", 3, 5) in calls
    assert calls[-1] == ("Fertig", 5, 5)


def test_prepare_region_gtfs_url_downloads_once_and_clips_once(
    served: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url, gtfs_url=f"{server.url}/verbund_gtfs.zip")
    data = tmp / "data"
    calls: list[tuple[str, int, int]] = []
    first = prepare_region(region, data_dir=data, progress=lambda *a: calls.append(a))
    assert "/verbund_gtfs.zip" in server.requests
    assert (data / "downloads" / "verbund_gtfs.zip").is_file()
    size = (data / "downloads" / "verbund_gtfs.zip").stat().st_size
    assert ("Download Fahrplan (GTFS)", size, size) in calls
    assert first.gtfs is not None
    settings = Settings.from_toml(first.region_file)
    assert settings.gtfs == (first.gtfs,)
    assert "pt" in settings.modes
    assert settings.attribution["gtfs"] == "Fahrplan (GTFS) von 127.0.0.1, Lizenz laut Anbieter"

    # the same prepare again: no download, no clip, the same file
    n_requests = len(server.requests)
    mtime = first.gtfs.stat().st_mtime_ns
    monkeypatch.setattr(gtfs_module, "_read_feed", no_clip)
    second = prepare_region(region, data_dir=data)
    assert second.gtfs == first.gtfs
    assert first.gtfs.stat().st_mtime_ns == mtime
    assert len(server.requests) == n_requests
    # offline from the cache, too
    third = prepare_region(region, data_dir=data, offline=True)
    assert third.gtfs == first.gtfs
    assert len(server.requests) == n_requests


def test_prepare_region_new_feed_replaces_old_clip(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    folder = tmp / "data" / "r" / "gtfs"
    folder.mkdir(parents=True)
    (folder / "gtfs-clip-0000.zip").write_bytes(b"an older clip")
    (folder / "notes.txt").write_text("keep me", "utf-8")
    first = prepare_region(
        region, data_dir=tmp / "data", gtfs=tmp / "www" / "verbund_gtfs.zip", **local_files(tmp)
    )
    assert first.gtfs is not None
    assert sorted(p.name for p in folder.iterdir()) == [first.gtfs.name, "notes.txt"]

    # a new timetable (one trip less): a new clip, the old one goes
    tables = dict(FEED, **{"trips.txt": "route_id,service_id,trip_id\nK,WD,TK1\nF,WD,TF1\n"})
    newer = write_gtfs(tmp / "neu.zip", tables)
    second = prepare_region(region, data_dir=tmp / "data", gtfs=newer, **local_files(tmp))
    assert second.gtfs is not None
    assert second.gtfs != first.gtfs
    assert sorted(p.name for p in folder.iterdir()) == [second.gtfs.name, "notes.txt"]
    assert trip_ids(second.gtfs) == {"TK1"}
    assert Settings.from_toml(second.region_file).gtfs == (second.gtfs,)


def test_prepare_region_delfi_attribution(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    delfi = shutil.copy(
        tmp / "www" / "verbund_gtfs.zip", tmp / "20260105_fahrplaene_gesamtdeutschland_gtfs.zip"
    )
    result = prepare_region(region, data_dir=tmp / "data", gtfs=Path(delfi), **local_files(tmp))
    settings = Settings.from_toml(result.region_file)
    assert settings.attribution["gtfs"] == "DELFI e.V., CC BY 4.0"
    assert "[attribution]" in result.region_file.read_text("utf-8")


def test_gtfs_attribution() -> None:
    delfi_page = (
        "https://www.opendata-oepnv.de/ht/de/organisation/delfi/startseite?"
        "tx_vrrkit_view%5Bdataset_name%5D=deutschlandweite-sollfahrplandaten-gtfs"
    )
    assert gtfs_attribution(delfi_page) == "DELFI e.V., CC BY 4.0"
    assert gtfs_attribution("https://www.vrn.de/opendata/gtfs.zip") == (
        "Fahrplan (GTFS) von vrn.de, Lizenz laut Anbieter"
    )
    assert gtfs_attribution("/daten/delfi-kopie/verbund.zip") is None  # only the file name
    assert gtfs_attribution("fahrplan.zip") is None


# ---------------------------------------------------------------------------
# the prepared region file
# ---------------------------------------------------------------------------
def test_write_region_file_keeps_own_attribution_and_default_modes(tmp_path: Path) -> None:
    source = tmp_path / "eigene.toml"
    source.write_text(
        f"""[region]
name = "Testkreis"
kreis = "{KREIS}"
[source]
extract_url = "https://example.invalid/x.osm.pbf"
[inputs]
network = "alt.osm.pbf"
[attribution]
gtfs = "Eigener Verbundfahrplan"
""",
        "utf-8",
    )
    folder = tmp_path / "out"
    (folder / "gtfs").mkdir(parents=True)
    network, boundaries = folder / "n.osm.pbf", folder / "gemeinden.gpkg"
    clipped = write_gtfs(folder / "gtfs" / "gtfs-clip-abc.zip")
    target = folder / "region.toml"
    write_region_file(
        source, target, network, boundaries, gtfs=clipped, gtfs_attribution="DELFI e.V., CC BY 4.0"
    )
    settings = Settings.from_toml(target)
    assert settings.gtfs == (clipped,)
    assert settings.modes == MODES  # no modes list: a timetable means all four
    assert settings.attribution["gtfs"] == "Eigener Verbundfahrplan"


def test_write_region_file_modes_in_region_section(tmp_path: Path) -> None:
    source = tmp_path / "r.toml"
    source.write_text(
        f'[region]\nname = "T"\nkreis = "{KREIS}"\nmodes = ["bike"]\n'
        '[source]\nextract_url = "https://example.invalid/x.osm.pbf"\n',
        "utf-8",
    )
    folder = tmp_path / "out"
    clipped = write_gtfs(tmp_path / "gtfs-clip-x.zip")
    folder.mkdir()
    target = folder / "region.toml"
    write_region_file(
        source, target, folder / "n.osm.pbf", folder / "g.gpkg", gtfs=clipped, gtfs_attribution="X"
    )
    settings = Settings.from_toml(target)
    assert settings.modes == ("bike", "pt")
    assert settings.gtfs == (clipped,)  # outside the folder: an absolute path
    assert settings.attribution["gtfs"] == "X"


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def test_prepare_region_broken_gtfs_url_names_option(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url, gtfs_url=f"{server.url}/fehlt.zip")
    with pytest.raises(InputDataError, match="404") as info:
        prepare_region(region, data_dir=tmp / "data", **local_files(tmp))
    german = info.value.german
    assert german.startswith("Datei fehlt.zip: Download fehlgeschlagen")
    assert "--gtfs DATEI" in german
    assert "--extract" not in german
    assert not (tmp / "data" / "r").exists()  # nothing clipped before the download works


def test_prepare_region_unreachable_gtfs_server_names_option(served: tuple[Server, Path]) -> None:
    _server, tmp = served
    gone = Server(tmp)
    url = gone.url
    gone.close()  # nobody listens on that port any more
    region = write_region(tmp / "r.toml", "https://example.invalid", gtfs_url=f"{url}/gtfs.zip")
    with pytest.raises(InputDataError, match="download failed") as info:
        prepare_region(region, data_dir=tmp / "data", timeout_s=5, **local_files(tmp))
    german = info.value.german
    assert "Download fehlgeschlagen" in german
    assert "(oder mit --gtfs DATEI angeben)" in german
    assert "--extract" not in german
    assert "--boundaries" not in german


def test_prepare_region_offline_without_cached_gtfs(served: tuple[Server, Path]) -> None:
    server, tmp = served
    url = f"{server.url}/verbund_gtfs.zip"
    region = write_region(tmp / "r.toml", server.url, gtfs_url=url)
    downloads = tmp / "data" / "downloads"
    with pytest.raises(ConfigError) as info:
        prepare_region(region, data_dir=tmp / "data", offline=True, **local_files(tmp))
    german = info.value.german
    assert f"„{url}“ herunterladen" in german
    assert f"als {downloads / 'verbund_gtfs.zip'} speichern" in german
    assert "--gtfs DATEI" in german
    assert "--extract" not in german  # the extract is given
    # nothing local at all: all three are named in one message
    with pytest.raises(ConfigError) as info:
        prepare_region(region, data_dir=tmp / "data", offline=True)
    german = info.value.german
    for option in ("--extract DATEI", "--boundaries DATEI", "--gtfs DATEI"):
        assert option in german
    assert server.requests == []


def test_prepare_region_gtfs_not_found_or_not_gtfs(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    with pytest.raises(ConfigError) as info:
        prepare_region(region, data_dir=tmp / "data", gtfs=tmp / "fehlt.zip", **local_files(tmp))
    assert "Fahrplan (GTFS) nicht gefunden" in info.value.german
    text = tmp / "fahrplan.zip"
    text.write_text("kein Fahrplan", "utf-8")
    with pytest.raises(InputDataError) as info2:
        prepare_region(region, data_dir=tmp / "data", gtfs=text, **local_files(tmp))
    assert "keine ZIP-Datei" in info2.value.german


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def test_cli_prepare_gtfs_overrides_region_file(
    served: tuple[Server, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from erreichbarkeit.cli._common import EXIT_BAD_INPUT
    from erreichbarkeit.cli.main import main

    server, tmp = served
    # the region file's timetable address is broken; --gtfs replaces it
    region = write_region(tmp / "r.toml", server.url, gtfs_url=f"{server.url}/fehlt.zip")
    args = [
        "prepare", str(region), "--data-dir", str(tmp / "data"), "-q",
        "--extract", str(tmp / "www" / "testkreis-latest.osm.pbf"),
        "--boundaries", str(tmp / "www" / "vg250_test.gpkg"),
        "--gtfs", str(tmp / "www" / "verbund_gtfs.zip"),
    ]  # fmt: skip
    assert main(args) == 0
    region_file = Path(capsys.readouterr().out.split("--config ")[1].strip())
    settings = Settings.from_toml(region_file)
    assert len(settings.gtfs) == 1
    assert trip_ids(settings.gtfs[0]) == {"TK1", "TK2"}
    assert "pt" in settings.modes
    assert server.requests == []
    # a URL works as well
    args[-1] = f"{server.url}/verbund_gtfs.zip"
    assert main(args) == 0
    assert server.requests == ["/verbund_gtfs.zip"]
    # without --gtfs the broken address of the region file fails, naming --gtfs
    assert main(args[:-2]) == EXIT_BAD_INPUT
    assert "--gtfs DATEI" in capsys.readouterr().err
