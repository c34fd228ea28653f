"""Tests of erreichbarkeit.prepare: region files, download cache, clipping, online offers.

Downloads are tested against a local HTTP server on 127.0.0.1 serving files
the tests write themselves, the online offers against a local fake Overpass
API; the internet is never used.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import osmium
import pytest
import shapely
from shapely.geometry import box

from erreichbarkeit.config import Settings, load_categories
from erreichbarkeit.errors import ConfigError, InputDataError, NetworkError
from erreichbarkeit.io import read_offers
from erreichbarkeit.prepare import (
    area_files,
    area_polygon,
    clip_extract,
    fetch_osm_offers,
    load_gemeinden,
    prepare_region,
    region_files,
    region_slug,
    resolve_region,
)
from erreichbarkeit.prepare.areafile import AreaFile, read_area_file
from erreichbarkeit.prepare.online_offers import overpass_tags

from .conftest import need_shared

KREIS = "99901"

# Synthetic data (EPSG:4326).  Kreis 99901 = Gemeinden A and B, the square
# 10.00–10.10 E × 51.00–51.05 N; neighbour C east of it; D far away.
GEMEINDEN = [
    ("99901001", "Adorf", 1200, box(10.00, 51.00, 10.05, 51.05)),
    ("99901002", "Bstadt", 3400, box(10.05, 51.00, 10.10, 51.05)),
    ("99902001", "Cheim", 800, box(10.10, 51.00, 10.15, 51.05)),
    ("99903001", "Dferne", 500, box(11.00, 52.00, 11.05, 52.05)),
]
NODES = {
    1: (10.02, 51.02),  # way 1: inside Adorf
    2: (10.03, 51.02),
    3: (10.04, 51.03),
    4: (10.08, 51.02),  # way 2: starts in Bstadt ...
    5: (10.30, 51.02),  # ... and ends 14 km east (kept: complete ways)
    6: (10.105, 51.02),  # way 3: in Cheim, ~350 m east of the Kreis (inside 1 km buffer)
    7: (10.106, 51.021),
    8: (10.50, 51.50),  # way 4: far outside
    9: (10.51, 51.50),
    10: (10.025, 51.025),  # a Kita inside
    11: (10.60, 51.60),  # a Kita far outside
}
WAYS = {1: [1, 2, 3], 2: [4, 5], 3: [6, 7], 4: [8, 9]}
KEPT_WAYS = {1, 2, 3}
KEPT_NODES = {1, 2, 3, 4, 5, 6, 7, 10}
KEPT_RELATIONS = {3, 5}


def write_osm(path: Path) -> Path:
    """Write the synthetic OSM file (sorted: nodes, ways, relations)."""
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, (lon, lat) in NODES.items():
            tags = {"amenity": "kindergarten"} if nid in (10, 11) else {}
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags=tags))
        for wid, refs in WAYS.items():
            writer.add_way(
                osmium.osm.mutable.Way(id=wid, nodes=refs, tags={"highway": "residential"})
            )
        # relation 2 (far outside) is dropped; relation 5 holds way 1 and is
        # kept, and so is its parent 3, although the parent comes first
        relations = {
            2: [("w", 4, "")],
            3: [("r", 5, "")],
            5: [("w", 1, ""), ("n", 5, "stop")],
        }
        for rid, members in relations.items():
            writer.add_relation(
                osmium.osm.mutable.Relation(id=rid, members=members, tags={"type": "route"})
            )
    return path


def write_boundaries(path: Path) -> Path:
    """Write VG250-like Gemeinden (AGS, GEN, EWZ) in EPSG:25832."""
    gdf = gpd.GeoDataFrame(
        {
            "AGS": [g[0] for g in GEMEINDEN],
            "GEN": [g[1] for g in GEMEINDEN],
            "EWZ": [g[2] for g in GEMEINDEN],
        },
        geometry=[g[3] for g in GEMEINDEN],
        crs="EPSG:4326",
    ).to_crs("EPSG:25832")
    gdf.to_file(path, layer="vg250_gem", driver="GPKG")
    return path


def osm_ids(path: Path) -> tuple[set[int], set[int], set[int]]:
    nodes, ways, rels = set(), set(), set()
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes.add(obj.id)
        elif obj.is_way():
            ways.add(obj.id)
        else:
            rels.add(obj.id)
    return nodes, ways, rels


def write_region(path: Path, base_url: str, *, osm_name: str = "testkreis-latest.osm.pbf") -> Path:
    path.write_text(
        f"""
[region]
name = "Testkreis"
kreis = "{KREIS}"

[source]
extract_url = "{base_url}/{osm_name}"
boundaries_url = "{base_url}/vg250_test.gpkg"
buffer_km = 1

[inputs]
network = "testkreis.osm.pbf"
boundaries = "gemeinden.gpkg"
offers = ["osm"]
modes = ["car", "walk"]
""",
        "utf-8",
    )
    return path


class Server:
    """A local HTTP server for tmp files that records the requested paths."""

    def __init__(self, root: Path) -> None:
        requests: list[str] = []
        self.requests = requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                wanted = self.headers.get("Range", "")
                if not wanted.startswith("bytes="):
                    super().do_GET()
                    return
                # the little of HTTP ranges a resumed download needs: "bytes=N-"
                data = (root / self.path.lstrip("/")).read_bytes()
                start = int(wanted.removeprefix("bytes=").rstrip("-"))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

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
def served(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """A server for ``tmp_path/www`` holding the OSM file and the boundaries."""
    www = tmp_path / "www"
    www.mkdir()
    write_osm(www / "testkreis-latest.osm.pbf")
    write_boundaries(www / "vg250_test.gpkg")
    (www / "broken-latest.osm.pbf").write_text(
        "<!DOCTYPE html><html><body>503 Service Unavailable</body></html>", "utf-8"
    )
    server = Server(www)
    yield server, tmp_path
    server.close()


# ---------------------------------------------------------------------------
# region files
# ---------------------------------------------------------------------------
EXPECTED_REGIONS = {
    "hochsauerlandkreis": ("05958", "arnsberg-regbez-latest.osm.pbf"),
    "coesfeld": ("05558", "muenster-regbez-latest.osm.pbf"),
    "viersen": ("05166", "duesseldorf-regbez-latest.osm.pbf"),
    "goettingen": ("03159", "niedersachsen-latest.osm.pbf"),
}


def test_builtin_region_files_parse() -> None:
    files = region_files()
    assert set(files) == set(EXPECTED_REGIONS)
    for stem, (kreis, extract) in EXPECTED_REGIONS.items():
        settings = Settings.from_toml(files[stem])
        assert settings.source is not None
        assert settings.source.kreis == kreis
        assert settings.source.extract_url.startswith("https://download.geofabrik.de/")
        assert settings.source.extract_url.endswith("/" + extract)
        assert settings.source.boundaries_url is not None
        assert settings.source.buffer_km == 10.0
        assert settings.network == files[stem].parent / f"{stem}.osm.pbf"
        assert settings.boundaries == files[stem].parent / "gemeinden.gpkg"
        assert settings.offers == ("osm",)
        assert dict(settings.thresholds) == {}


def test_resolve_region_by_name_key_and_path(tmp_path: Path) -> None:
    files = region_files()
    assert resolve_region("hochsauerlandkreis") == files["hochsauerlandkreis"]
    assert resolve_region("Goettingen") == files["goettingen"]
    assert resolve_region("05558") == files["coesfeld"]
    assert resolve_region("Kreis Viersen") == files["viersen"]
    own = write_region(tmp_path / "own.toml", "http://127.0.0.1:9")
    assert resolve_region(str(own)) == own


def test_resolve_region_unknown_lists_known() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_region("sauerland")
    assert "hochsauerlandkreis (05958 Hochsauerlandkreis)" in str(info.value)
    assert "Unbekannte Region „sauerland“" in info.value.german
    with pytest.raises(ConfigError, match="not found"):
        resolve_region("/nonexistent/region.toml")


def test_region_slug() -> None:
    s = Settings(name="Landkreis Göttingen")
    assert region_slug(Path("x/region.toml"), s) == "landkreis-goettingen"
    assert region_slug(Path("x/goettingen.toml"), s) == "goettingen"


# ---------------------------------------------------------------------------
# boundaries and polygons
# ---------------------------------------------------------------------------
def test_load_gemeinden_and_area(tmp_path: Path) -> None:
    gem = load_gemeinden(write_boundaries(tmp_path / "b.gpkg"))
    assert gem.crs == "EPSG:4326"
    assert gem["ags"].tolist() == ["99901001", "99901002", "99902001", "99903001"]
    assert gem["gemeinde"].tolist() == ["Adorf", "Bstadt", "Cheim", "Dferne"]
    assert gem["population"].tolist() == [1200.0, 3400.0, 800.0, 500.0]
    area, buffered = area_polygon(gem, KREIS, buffer_km=1.0)
    minx, miny, maxx, maxy = area.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((10.0, 51.0, 10.1, 51.05), abs=1e-6)
    # 1 km = 0.0143° of longitude and 0.0090° of latitude at 51° N
    _, _, bmaxx, bmaxy = buffered.bounds
    assert bmaxx - 10.1 == pytest.approx(0.01427, abs=0.0005)
    assert bmaxy - 51.05 == pytest.approx(0.00899, abs=0.0005)
    with pytest.raises(InputDataError, match="99999"):
        area_polygon(gem, "99999")


def test_load_gemeinden_from_ars_in_zip(tmp_path: Path) -> None:
    """A zip holding a shapefile with only the 12-digit ARS (like the Zensus file)."""
    gdf = gpd.GeoDataFrame(
        {"ARS": ["099010000001", "099020000001"]},
        geometry=[GEMEINDEN[0][3], GEMEINDEN[2][3]],
        crs="EPSG:4326",
    )
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "VG250_GEM.shp")
    archive = shutil.make_archive(str(tmp_path / "gem"), "zip", shp_dir)
    gem = load_gemeinden(archive)
    assert gem["ags"].tolist() == ["09901001", "09902001"]
    assert gem["population"].isna().all()


def test_load_gemeinden_vg250_layout(tmp_path: Path) -> None:
    """VG250 zip: GeoPackage in a subfolder, several layers, GF 2 (water) rows dropped."""
    inner = tmp_path / "vg250_01-01.utm32s.gpkg.ebenen" / "vg250_ebenen_0101"
    inner.mkdir(parents=True)
    gpkg = inner / "DE_VG250.gpkg"
    gem = gpd.GeoDataFrame(
        {
            "AGS": ["99901001", "99901001", "99901002"],
            "GEN": ["Adorf", "Adorf", "Bstadt"],
            "EWZ": [1200, 0, 3400],
            "GF": [4, 2, 4],
        },
        geometry=[GEMEINDEN[0][3], box(10.0, 51.0, 10.01, 51.01), GEMEINDEN[1][3]],
        crs="EPSG:4326",
    ).to_crs("EPSG:25832")
    gem.to_file(gpkg, layer="vg250_gem")
    krs = gpd.GeoDataFrame({"AGS": ["99901"]}, geometry=[box(10, 51, 10.1, 51.05)], crs=4326)
    krs.to_file(gpkg, layer="vg250_krs")
    archive = shutil.make_archive(str(tmp_path / "vg250"), "zip", tmp_path, inner.parts[-2])
    out = load_gemeinden(archive)
    assert out["ags"].tolist() == ["99901001", "99901002"]
    assert out["population"].tolist() == [1200.0, 3400.0]
    assert out.geometry.iloc[0].bounds == pytest.approx((10.0, 51.0, 10.05, 51.05), abs=1e-6)


# ---------------------------------------------------------------------------
# clipping
# ---------------------------------------------------------------------------
def test_clip_python_keeps_complete_ways(tmp_path: Path) -> None:
    src = write_osm(tmp_path / "in.osm.pbf")
    gem = load_gemeinden(write_boundaries(tmp_path / "b.gpkg"))
    _, buffered = area_polygon(gem, KREIS, buffer_km=1.0)
    out = clip_extract(src, tmp_path / "out.osm.pbf", buffered, method="python")
    nodes, ways, rels = osm_ids(out)
    assert ways == KEPT_WAYS
    assert nodes == KEPT_NODES
    assert rels == KEPT_RELATIONS


@pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium-tool not installed")
def test_clip_osmium_cli_matches_python(tmp_path: Path) -> None:
    src = write_osm(tmp_path / "in.osm.pbf")
    gem = load_gemeinden(write_boundaries(tmp_path / "b.gpkg"))
    _, buffered = area_polygon(gem, KREIS, buffer_km=1.0)
    out = clip_extract(src, tmp_path / "cli.osm.pbf", buffered, method="osmium")
    nodes, ways, rels = osm_ids(out)
    assert ways == KEPT_WAYS
    assert nodes == KEPT_NODES
    assert rels == KEPT_RELATIONS


# ---------------------------------------------------------------------------
# prepare_region with downloads from a local server
# ---------------------------------------------------------------------------
def test_prepare_region_downloads_clips_and_caches(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    data = tmp / "data"
    calls: list[tuple[str, int, int]] = []
    result = prepare_region(region, data_dir=data, progress=lambda *a: calls.append(a))

    assert sorted(server.requests) == ["/testkreis-latest.osm.pbf", "/vg250_test.gpkg"]
    assert (data / "downloads" / "testkreis-latest.osm.pbf").is_file()
    assert (data / "downloads" / "vg250_test.gpkg").is_file()
    assert result.folder == data / "testkreis"
    assert result.network == data / "testkreis" / "testkreis.osm.pbf"
    nodes, ways, _ = osm_ids(result.network)
    assert ways == KEPT_WAYS
    assert nodes == KEPT_NODES

    gem = gpd.read_file(result.boundaries)
    assert gem.crs == "EPSG:4326"
    assert gem["ags"].tolist() == ["99901001", "99901002", "99902001"]  # not Dferne
    assert gem["gemeinde"].tolist() == ["Adorf", "Bstadt", "Cheim"]
    assert gem["population"].tolist() == [1200.0, 3400.0, 800.0]
    assert gem["in_kreis"].tolist() == [True, True, False]

    settings = Settings.from_toml(result.region_file)
    assert settings.network == result.network
    assert settings.boundaries == result.boundaries
    assert settings.modes == ("car", "walk")
    assert settings.source is not None
    assert settings.source.kreis == KREIS
    kreis = shapely.from_wkt(result.kreis_polygon_wkt_4326)
    assert kreis.bounds == pytest.approx((10.0, 51.0, 10.1, 51.05), abs=1e-5)

    downloads = [c for c in calls if c[0].startswith("Download")]
    osm_size = (data / "downloads" / "testkreis-latest.osm.pbf").stat().st_size
    assert ("Download OSM-Extrakt", osm_size, osm_size) in downloads
    assert calls[-1] == ("Fertig", 4, 4)

    # second call: everything from the cache, no request
    prepare_region(region, data_dir=data)
    assert len(server.requests) == 2
    # offline works from the cache, too
    again = prepare_region(region, data_dir=data, offline=True)
    assert osm_ids(again.network)[1] == KEPT_WAYS
    assert len(server.requests) == 2


def test_prepare_region_resumes_a_broken_download(served: tuple[Server, Path]) -> None:
    """A partial file left by a broken download is continued, not started again."""
    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    downloads = tmp / "data" / "downloads"
    downloads.mkdir(parents=True)
    full = (tmp / "www" / "testkreis-latest.osm.pbf").read_bytes()
    (downloads / ".partial-testkreis-latest.osm.pbf").write_bytes(full[:100])
    (downloads / ".partial-testkreis-latest.osm.pbf.meta.json").write_text(
        json.dumps({"url": f"{server.url}/testkreis-latest.osm.pbf", "validator": None}), "utf-8"
    )
    calls: list[tuple[str, int, int]] = []
    result = prepare_region(region, data_dir=tmp / "data", progress=lambda *a: calls.append(a))
    assert (downloads / "testkreis-latest.osm.pbf").read_bytes() == full
    assert not (downloads / ".partial-testkreis-latest.osm.pbf").exists()
    assert not (downloads / ".partial-testkreis-latest.osm.pbf.meta.json").exists()
    assert ("Download OSM-Extrakt", len(full), len(full)) in calls
    first = next(c for c in calls if c[0] == "Download OSM-Extrakt")
    assert first[1] > 100  # the progress counts the bytes already there
    assert osm_ids(result.network)[1] == KEPT_WAYS


def test_prepare_region_local_files_no_download(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    result = prepare_region(
        region,
        data_dir=tmp / "data",
        extract=tmp / "www" / "testkreis-latest.osm.pbf",
        boundaries=tmp / "www" / "vg250_test.gpkg",
        offline=True,
    )
    assert server.requests == []
    assert osm_ids(result.network)[1] == KEPT_WAYS


def test_prepare_region_404(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url, osm_name="missing-latest.osm.pbf")
    with pytest.raises(InputDataError) as info:
        prepare_region(region, data_dir=tmp / "data")
    assert "404" in str(info.value)
    assert info.value.german.startswith("Datei missing-latest.osm.pbf: Download fehlgeschlagen")
    assert not (tmp / "data" / "downloads" / "missing-latest.osm.pbf").exists()


def test_prepare_region_offline_without_files(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    with pytest.raises(ConfigError) as info:
        prepare_region(region, data_dir=tmp / "data", offline=True)
    text = info.value.german
    downloads = tmp / "data" / "downloads"
    assert f"„{server.url}/testkreis-latest.osm.pbf“ herunterladen" in text
    assert f"als {downloads / 'testkreis-latest.osm.pbf'} speichern" in text
    assert f"als {downloads / 'vg250_test.gpkg'} speichern" in text
    assert "--extract DATEI" in text
    assert "--boundaries DATEI" in text
    assert server.requests == []


def test_prepare_region_offline_with_hand_placed_files(served: tuple[Server, Path]) -> None:
    """Files a user downloaded by hand into downloads/ are used as they are."""
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    downloads = tmp / "data" / "downloads"
    downloads.mkdir(parents=True)
    for name in ("testkreis-latest.osm.pbf", "vg250_test.gpkg"):
        shutil.copy(tmp / "www" / name, downloads / name)
    result = prepare_region(region, data_dir=tmp / "data", offline=True)
    assert server.requests == []
    assert osm_ids(result.network)[1] == KEPT_WAYS
    assert result.folder == tmp / "data" / "r"


def test_prepare_region_html_instead_of_pbf(served: tuple[Server, Path]) -> None:
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url, osm_name="broken-latest.osm.pbf")
    with pytest.raises(NetworkError, match="web page") as info:
        prepare_region(region, data_dir=tmp / "data")
    assert "Webseite" in info.value.german
    assert info.value.file == str(tmp / "data" / "downloads" / "broken-latest.osm.pbf")
    # the broken file is not cached
    assert not (tmp / "data" / "downloads" / "broken-latest.osm.pbf").exists()


def test_prepare_region_connection_refused(tmp_path: Path) -> None:
    server = Server(tmp_path)
    url = server.url
    server.close()  # nobody listens on that port any more
    region = write_region(tmp_path / "r.toml", url)
    with pytest.raises(InputDataError, match="download failed") as info:
        prepare_region(region, data_dir=tmp_path / "data", timeout_s=5)
    assert "Download fehlgeschlagen" in info.value.german


def test_prepare_region_kreis_outside_extract(served: tuple[Server, Path]) -> None:
    """A Kreis key that exists but whose area holds no roads → NetworkError."""
    server, tmp = served
    region = write_region(tmp / "r.toml", server.url)
    text = region.read_text("utf-8").replace(f'kreis = "{KREIS}"', 'kreis = "99903"')
    text = text.replace("buffer_km = 1", "buffer_km = 0.5")
    region.write_text(text, "utf-8")
    with pytest.raises(NetworkError, match="no roads"):
        prepare_region(region, data_dir=tmp / "data")


def test_rewrite_inputs_keeps_comments_and_adds_section() -> None:
    from erreichbarkeit.prepare.regionfile import _rewrite_inputs

    text = '[region]\nname = "X"\n\n[inputs]\n# Netz\nnetwork = "old.pbf"\n\n[routing]\n'
    out = _rewrite_inputs(text, {"network": "new.osm.pbf", "boundaries": "gemeinden.gpkg"})
    assert out == (
        '[region]\nname = "X"\n\n[inputs]\nboundaries = "gemeinden.gpkg"\n# Netz\n'
        'network = "new.osm.pbf"\n\n[routing]\n'
    )
    out = _rewrite_inputs('[region]\nname = "X"\n', {"network": "n.osm.pbf"})
    assert out == '[region]\nname = "X"\n\n[inputs]\nnetwork = "n.osm.pbf"\n'


# ---------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------
@pytest.mark.shared_data
def test_clip_real_lauf(tmp_path: Path) -> None:
    pbf = need_shared("osm-lauf/lauf-200115.osm.pbf")
    gpkg = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    gem = load_gemeinden(gpkg)
    lauf = gem[gem["ags"] == "09574138"]
    assert lauf["gemeinde"].iloc[0] == "Lauf a.d.Pegnitz, St"
    assert lauf["population"].iloc[0] == 26019.0
    _, buffered = area_polygon(gem, "09574138", buffer_km=0.2)
    out = clip_extract(pbf, tmp_path / "lauf.osm.pbf", buffered, method="python")
    highways = {
        w.id
        for w in osmium.FileProcessor(str(out), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
    }
    all_highways = {
        w.id
        for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
    }
    # the extract box reaches beyond Lauf (Rückersdorf): some roads are dropped
    assert 0 < len(highways) < len(all_highways)
    assert highways <= all_highways
    if shutil.which("osmium"):
        cli = clip_extract(pbf, tmp_path / "lauf-cli.osm.pbf", buffered, method="osmium")
        assert osm_ids(cli) == osm_ids(out)  # nodes, ways and relations


# ---------------------------------------------------------------------------
# current offers online (osmnx against a local fake Overpass API)
# ---------------------------------------------------------------------------
_OVERPASS_STATUS = (
    "Connected as: 1\nCurrent time: 2026-01-01T00:00:00Z\nAnnounced endpoint: none\n"
    "Rate limit: 2\n2 slots available now.\n"
    "Currently running queries (pid, space limit, time limit, start time):\n"
)
#: What the fake Overpass server answers: a Kita node inside, a Kinderarzt
#: node, a pharmacy (no category), a Kita way (square building) and a Kita
#: node far outside the Kreis.
_OVERPASS_ELEMENTS = [
    {"type": "node", "id": 101, "lat": 51.02, "lon": 10.03,
     "tags": {"amenity": "kindergarten", "name": "Kita Sonnenschein",
              "addr:street": "Hauptstraße", "addr:housenumber": "3",
              "addr:postcode": "99999", "addr:city": "Adorf", "operator": "Gemeinde Adorf"}},
    {"type": "node", "id": 102, "lat": 51.03, "lon": 10.07,
     "tags": {"amenity": "doctors", "healthcare:speciality": "paediatrics",
              "name": "Kinderarztpraxis Dr. Muster", "opening_hours": "Mo-Fr 08:00-12:00"}},
    {"type": "node", "id": 103, "lat": 51.025, "lon": 10.06,
     "tags": {"amenity": "pharmacy", "name": "Apotheke"}},
    {"type": "node", "id": 1, "lat": 51.010, "lon": 10.080},
    {"type": "node", "id": 2, "lat": 51.010, "lon": 10.082},
    {"type": "node", "id": 3, "lat": 51.012, "lon": 10.082},
    {"type": "node", "id": 4, "lat": 51.012, "lon": 10.080},
    {"type": "way", "id": 201, "nodes": [1, 2, 3, 4, 1],
     "tags": {"amenity": "kindergarten", "building": "yes"}},
    {"type": "node", "id": 104, "lat": 52.5, "lon": 12.0,
     "tags": {"amenity": "kindergarten", "name": "Kita weit weg"}},
]  # fmt: skip


class FakeOverpass:
    """A local Overpass API: ``/status`` and ``/interpreter`` with a canned answer."""

    def __init__(self, elements: list[dict[str, object]], *, status: int = 200) -> None:
        queries: list[str] = []
        self.queries = queries
        body = json.dumps({"version": 0.6, "elements": elements}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code: int, payload: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._send(200, _OVERPASS_STATUS.encode(), "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                queries.append(urllib.parse.unquote_plus(self.rfile.read(length).decode()))
                if status != 200:
                    self._send(status, b"<html>Internal error</html>", "text/html")
                else:
                    self._send(200, body, "application/json")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def overpass() -> Iterator[FakeOverpass]:
    server = FakeOverpass(_OVERPASS_ELEMENTS)
    yield server
    server.close()


def test_overpass_tags_cover_every_rule() -> None:
    tags = overpass_tags(load_categories())
    assert "kindergarten" in tags["amenity"]  # type: ignore[operator]
    assert "doctors" in tags["amenity"]  # type: ignore[operator]
    assert tags["healthcare"] == ["midwife"] or "midwife" in tags["healthcare"]  # type: ignore[operator]


def test_fetch_osm_offers_from_local_overpass(overpass: FakeOverpass, tmp_path: Path) -> None:
    kreis = box(10.0, 51.0, 10.1, 51.05)
    out = tmp_path / "offers.csv"
    table = fetch_osm_offers(kreis, load_categories(), out_path=out, overpass_url=overpass.url)
    assert len(overpass.queries) == 1
    assert "amenity" in overpass.queries[0] and "kindergarten" in overpass.queries[0]
    assert table["ID"].tolist() == ["osm:node/101", "osm:node/102", "osm:way/201"]
    assert table["Kategorie"].tolist() == ["Kita", "Kinderarzt", "Kita"]
    assert table["Name"].tolist()[:2] == ["Kita Sonnenschein", "Kinderarztpraxis Dr. Muster"]
    assert table["Adresse"].iloc[0] == "Hauptstraße 3, 99999 Adorf"
    assert table["Träger"].iloc[0] == "Gemeinde Adorf"
    assert table["Öffnungszeiten"].iloc[1] == "Mo-Fr 08:00-12:00"
    assert float(table["Breitengrad"].iloc[0]) == pytest.approx(51.02)
    assert float(table["Längengrad"].iloc[1]) == pytest.approx(10.07)
    assert float(table["Breitengrad"].iloc[2]) == pytest.approx(51.011, abs=1e-6)  # centroid
    assert float(table["Längengrad"].iloc[2]) == pytest.approx(10.081, abs=1e-6)
    # the file is an ordinary offer list
    result = read_offers(out, load_categories())
    assert sorted(result.offers["category"]) == ["kinderarzt", "kita", "kita"]
    assert not result.errors


def test_fetch_osm_offers_nothing_found(tmp_path: Path) -> None:
    server = FakeOverpass([])
    try:
        table = fetch_osm_offers(
            box(10.0, 51.0, 10.1, 51.05),
            load_categories(),
            out_path=tmp_path / "offers.csv",
            overpass_url=server.url,
        )
    finally:
        server.close()
    assert table.empty
    assert not (tmp_path / "offers.csv").exists()


def test_fetch_osm_offers_http_error(tmp_path: Path) -> None:
    server = FakeOverpass(_OVERPASS_ELEMENTS, status=500)
    try:
        with pytest.raises(InputDataError) as info:
            fetch_osm_offers(
                box(10.0, 51.0, 10.1, 51.05),
                load_categories(),
                out_path=tmp_path / "offers.csv",
                overpass_url=server.url,
            )
    finally:
        server.close()
    assert "Abruf der aktuellen OSM-Angebote fehlgeschlagen" in info.value.german
    assert not (tmp_path / "offers.csv").exists()


def test_fetch_osm_offers_no_connection(tmp_path: Path) -> None:
    server = FakeOverpass([])
    url = server.url
    server.close()  # nobody listens on that port any more
    with pytest.raises(InputDataError) as info:
        fetch_osm_offers(
            box(10.0, 51.0, 10.1, 51.05),
            load_categories(),
            out_path=tmp_path / "offers.csv",
            overpass_url=url,
            timeout_s=5,
        )
    assert "Abruf der aktuellen OSM-Angebote fehlgeschlagen" in info.value.german
    assert "--online-offers" in info.value.german


def test_prepare_region_online_offers(served: tuple[Server, Path], overpass: FakeOverpass) -> None:
    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    calls: list[tuple[str, int, int]] = []
    result = prepare_region(
        region,
        data_dir=tmp / "data",
        online_offers=True,
        overpass_url=overpass.url,
        progress=lambda *a: calls.append(a),
    )
    assert result.online_offers == result.folder / "angebote-osm-aktuell.csv"
    settings = Settings.from_toml(result.region_file)
    assert settings.offers == (str(result.online_offers),)  # instead of "osm"
    assert settings.network == result.network
    assert ("Aktuelle OSM-Angebote abrufen", 4, 5) in calls
    assert calls[-1] == ("Fertig", 5, 5)
    with pytest.raises(ConfigError, match="offline"):
        prepare_region(region, data_dir=tmp / "data", offline=True, online_offers=True)


def test_rewrite_inputs_replaces_multiline_list() -> None:
    from erreichbarkeit.prepare.regionfile import _rewrite_inputs

    text = '[inputs]\noffers = [\n  "osm",  # OSM\n  "a.csv",\n]\nmodes = ["car"]\n'
    out = _rewrite_inputs(text, {"offers": ["x.csv", "a.csv"]})
    assert out == '[inputs]\noffers = ["x.csv", "a.csv"]\nmodes = ["car"]\n'


def test_cli_prepare_online_offers(
    served: tuple[Server, Path], overpass: FakeOverpass, capsys: pytest.CaptureFixture[str]
) -> None:
    from erreichbarkeit.cli.main import main

    server, tmp = served
    region = write_region(tmp / "testkreis.toml", server.url)
    args = [
        "prepare", str(region), "--data-dir", str(tmp / "data"), "-q",
        "--online-offers", "--overpass-url", overpass.url,
    ]  # fmt: skip
    assert main(args) == 0
    region_file = Path(capsys.readouterr().out.split("--config ")[1].strip())
    settings = Settings.from_toml(region_file)
    assert [Path(o).name for o in settings.offers] == ["angebote-osm-aktuell.csv"]
    assert len(overpass.queries) == 1
    # online and offline together is the user's contradiction: exit 2, German message
    assert main(["prepare", str(region), "--data-dir", str(tmp / "d2"), "--offline",
                 "--online-offers"]) == 2  # fmt: skip
    assert "offline" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# area files: the Jugendämter inside a Kreis (issue #12)
# ---------------------------------------------------------------------------
#: The Jugendamt areas shipped per Kreis file.
EXPECTED_AREAS = {
    "hochsauerlandkreis": {
        "kreisjugendamt-hochsauerlandkreis", "jugendamt-arnsberg", "jugendamt-meschede",
        "jugendamt-sundern",
    },
    "viersen": {
        "kreisjugendamt-viersen", "jugendamt-stadt-viersen", "jugendamt-nettetal",
        "jugendamt-kempen", "jugendamt-willich",
    },
    "coesfeld": {"kreisjugendamt-coesfeld", "jugendamt-stadt-coesfeld", "jugendamt-duelmen"},
    "goettingen": {"kreisjugendamt-goettingen", "jugendamt-stadt-goettingen"},
}  # fmt: skip


def _shipped_areas() -> dict[str, AreaFile]:
    out = {}
    for stem, path in area_files().items():
        parsed = read_area_file(path)
        assert parsed is not None, stem
        out[stem] = parsed
    return out


def test_shipped_area_files_parse_and_lie_in_their_kreis() -> None:
    areas = _shipped_areas()
    kreise = region_files()
    by_kreis: dict[str, set[str]] = {}
    for stem, area in areas.items():
        kreis_path = area.kreis_path()
        assert kreis_path == kreise[area.kreis_file]
        source = Settings.from_toml(kreis_path).source
        assert source is not None
        assert area.area.ags and not area.area.gemeinden
        assert all(len(a) == 8 and a.startswith(source.kreis) for a in area.area.ags), stem
        assert "Landesjugendamt" in area.area.source and "prüf" in area.area.source
        by_kreis.setdefault(area.kreis_file, set()).add(stem)
        # a name or Kreis key finds the area file, a Kreis key still the Kreis file
        assert resolve_region(area.area.name) == area.path
        assert resolve_region(source.kreis) == kreis_path
    assert by_kreis == EXPECTED_AREAS
    for stems in EXPECTED_AREAS.values():  # the areas of one Kreis do not overlap
        keys = [k for s in stems for k in areas[s].area.ags]
        assert len(keys) == len(set(keys))


@pytest.mark.shared_data
def test_shipped_areas_partition_the_real_kreise() -> None:
    """Every AGS exists (Zensus 2022 Gemeinde file) and the areas cover each Kreis exactly."""
    gpkg = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    gem = gpd.read_file(gpkg, ignore_geometry=True)
    gem = gem[~gem["gemeindefrei"].astype(bool)]  # uninhabited gemeindefreie Gebiete
    areas = _shipped_areas()
    for kreis_file, stems in EXPECTED_AREAS.items():
        source = Settings.from_toml(region_files()[kreis_file]).source
        assert source is not None
        listed = sorted(k for s in stems for k in areas[s].area.ags)
        assert listed == sorted(gem.loc[gem["KRS"] == source.kreis, "AGS"]), kreis_file
    hsk = areas["kreisjugendamt-hochsauerlandkreis"].area.ags
    inhabitants = float(gem.loc[gem["AGS"].isin(hsk), "ewz_zensus2022"].sum())
    assert inhabitants == 128_342  # Zensus 2022; the Kreis writes 133 102 (updated count)
    assert inhabitants == pytest.approx(133_102, rel=0.05)


def _write_area(path: Path, kreis_file: str = "testkreis") -> Path:
    path.write_text(
        f"""# Kreisjugendamt Testkreis
[region]
kreis_file = "{kreis_file}"

[area]
name = "Kreisjugendamt Testkreis"
source = "Test"
ags = [
    "99901001",  # Adorf
]
""",
        "utf-8",
    )
    return path


def test_prepare_area_file_reuses_the_prepared_kreis(served: tuple[Server, Path]) -> None:
    server, tmp = served
    write_region(tmp / "testkreis.toml", server.url)
    area = _write_area(tmp / "kreisjugendamt-testkreis.toml")
    data = tmp / "data"
    result = prepare_region(area, data_dir=data)
    assert result.area == "Kreisjugendamt Testkreis"
    assert result.region_file == data / "kreisjugendamt-testkreis" / "region.toml"
    assert result.network == data / "testkreis" / "testkreis.osm.pbf"  # the Kreis's folder
    settings = Settings.from_toml(result.region_file)
    assert settings.network is not None and settings.boundaries is not None
    assert settings.network.resolve() == result.network.resolve()
    assert settings.boundaries.resolve() == (data / "testkreis" / "gemeinden.gpkg").resolve()
    assert '"../testkreis/testkreis.osm.pbf"' in result.region_file.read_text("utf-8")
    assert settings.area is not None and settings.area.ags == ("99901001",)
    assert settings.area_name == "Kreisjugendamt Testkreis"
    assert settings.name == "Testkreis"
    assert "# Adorf" in result.region_file.read_text("utf-8")  # the comments stay
    n_requests, mtime = len(server.requests), result.network.stat().st_mtime_ns
    # a second area of the same Kreis: no download, no new clip
    other = _write_area(tmp / "jugendamt-b.toml")
    again = prepare_region(other, data_dir=data, offline=True)
    assert len(server.requests) == n_requests
    assert again.network.stat().st_mtime_ns == mtime
    assert again.region_file == data / "jugendamt-b" / "region.toml"


def test_area_file_errors_are_german(tmp_path: Path) -> None:
    bad = tmp_path / "a.toml"
    bad.write_text('[region]\nkreis_file = "x"\nname = "y"\n[area]\nname = "A"\nags = ["1"]\n')
    with pytest.raises(ConfigError) as info:
        read_area_file(bad)
    assert info.value.file == str(bad)
    loop = _write_area(tmp_path / "loop.toml", kreis_file="loop")
    with pytest.raises(ConfigError) as info:
        prepare_region(loop, data_dir=tmp_path / "data", offline=True)
    assert "wieder eine Gebietsdatei" in info.value.german
    missing = _write_area(tmp_path / "m.toml", kreis_file="kein-kreis")
    with pytest.raises(ConfigError) as info:
        prepare_region(missing, data_dir=tmp_path / "data", offline=True)
    assert "Unbekannte Region „kein-kreis“" in info.value.german


def test_cli_regions_lists_the_areas(capsys: pytest.CaptureFixture[str]) -> None:
    from erreichbarkeit.cli.main import main

    assert main(["regions"]) == 0
    out = capsys.readouterr().out
    assert "kreisjugendamt-hochsauerlandkreis" in out
    assert "Kreisjugendamt Hochsauerlandkreis (Daten: Hochsauerlandkreis)" in out
