"""Several OSM extracts merged (issue #12, item 2): merge, cache, errors, coverage notice.

The fictional Beispielkreis (``erreichbarkeit.demo``) is split into a western
and an eastern half that overlap by about 3.5 km (clipped with complete
ways, as Geofabrik cuts its extracts); merged again they must give the same
file and the same travel minutes as the whole.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
from shapely.geometry import box

from erreichbarkeit.analysis.coverage import road_data_notices
from erreichbarkeit.cli.main import build_parser
from erreichbarkeit.config import Settings
from erreichbarkeit.demo.beispielkreis import generate_demo
from erreichbarkeit.errors import ConfigError, NetworkError
from erreichbarkeit.network.routing import Router, prepare_network
from erreichbarkeit.pipeline._inputs import load_inputs
from erreichbarkeit.prepare import clip_extract, prepare_region, region_files
from erreichbarkeit.prepare import merge as merge_module
from erreichbarkeit.prepare.merge import (
    UncoveredArea,
    merge_extracts,
    road_data_notice,
    uncovered_area,
)

HAS_OSMIUM = shutil.which("osmium") is not None
METHODS = ["python", pytest.param("osmium", marks=pytest.mark.skipif(
    not HAS_OSMIUM, reason="osmium-tool not installed"))]  # fmt: skip

#: The western and eastern half of the Beispielkreis (8.78–9.24 E), overlapping 9.00–9.05 E.
WEST = box(8.5, 50.5, 9.05, 51.5)
EAST = box(9.00, 50.5, 9.5, 51.5)


def ids(path: Path) -> list[tuple[str, int, int]]:
    """``(type, id, version)`` of every object, in file order."""
    out = []
    for obj in osmium.FileProcessor(str(path)):
        assert isinstance(obj, osmium.osm.Node | osmium.osm.Way | osmium.osm.Relation)
        out.append((obj.type_str(), obj.id, obj.version))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole Beispielkreis, its two halves and its Gemeinden."""
    folder = tmp_path_factory.mktemp("demo")
    files = generate_demo(folder)
    west = clip_extract(files.network, folder / "west.osm.pbf", WEST, method="python")
    east = clip_extract(files.network, folder / "east.osm.pbf", EAST, method="python")
    return {"whole": files.network, "west": west, "east": east, "gemeinden": files.boundaries}


# ---------------------------------------------------------------------------
# merging
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_overlapping_halves_merge_to_the_whole(
    demo: dict[str, Path], tmp_path: Path, method: str
) -> None:
    west, east = set(ids(demo["west"])), set(ids(demo["east"]))
    both = west & east
    assert {t for t, _, _ in both} >= {"n", "w"}  # the overlap holds nodes and ways
    assert west - east and east - west
    merged = merge_extracts([demo["west"], demo["east"]], tmp_path, method=method)  # type: ignore[arg-type]
    assert merged.parent == tmp_path
    assert merged.name.startswith("osm-merged-")
    out = ids(merged)
    assert len(out) == len(set(out))  # the overlap once
    assert set(out) == west | east == set(ids(demo["whole"]))
    assert out == sorted(out, key=lambda k: ("nwr".index(k[0]), k[1]))  # sorted for clipping


def test_python_and_osmium_merge_agree(demo: dict[str, Path], tmp_path: Path) -> None:
    if not HAS_OSMIUM:
        pytest.skip("osmium-tool not installed")
    a = merge_extracts([demo["west"], demo["east"]], tmp_path / "a", method="python")
    b = merge_extracts([demo["east"], demo["west"]], tmp_path / "b", method="osmium")
    assert a.name == b.name  # the cache key does not depend on the order
    assert ids(a) == ids(b)


def write_versions(path: Path, version: int, node_ids: list[int]) -> Path:
    """A tiny sorted OSM file: the given nodes (all in ``version``) and one road."""
    with osmium.SimpleWriter(str(path)) as writer:
        for nid in node_ids:
            writer.add_node(
                osmium.osm.mutable.Node(id=nid, version=version, location=(9.0 + nid / 1000, 51.0))
            )
        writer.add_way(
            osmium.osm.mutable.Way(
                id=1, version=version, nodes=node_ids[:2], tags={"highway": f"v{version}"}
            )
        )
    return path


@pytest.mark.parametrize("method", METHODS)
def test_extracts_of_different_dates_keep_the_newest_version(tmp_path: Path, method: str) -> None:
    """An object in both extracts, edited between their downloads: its newest version only."""
    old = write_versions(tmp_path / "old.osm.pbf", 1, [1, 2, 3])
    new = write_versions(tmp_path / "new.osm.pbf", 2, [2, 3, 4])
    merged = merge_extracts([new, old], tmp_path / "out", method=method)  # type: ignore[arg-type]
    assert ids(merged) == [("n", 1, 1), ("n", 2, 2), ("n", 3, 2), ("n", 4, 2), ("w", 1, 2)]
    tags = [dict(w.tags) for w in osmium.FileProcessor(str(merged), osmium.osm.WAY)]
    assert tags == [{"highway": "v2"}]


def test_one_extract_is_used_as_it_is(demo: dict[str, Path], tmp_path: Path) -> None:
    assert merge_extracts([demo["west"]], tmp_path) == demo["west"]
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_merge_is_cached_by_content(
    demo: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = merge_extracts([demo["west"], demo["east"]], tmp_path)
    stamp = first.stat().st_mtime_ns

    def no_work(*args: object) -> None:
        raise AssertionError("merged again")

    monkeypatch.setattr(merge_module, "_merge_python", no_work)
    monkeypatch.setattr(merge_module, "_merge_osmium_cli", no_work)
    again = merge_extracts([demo["east"], demo["west"]], tmp_path)
    assert again == first
    assert again.stat().st_mtime_ns == stamp
    # new content (a newer download) gives a new merge; the old one is removed
    monkeypatch.undo()
    newer = tmp_path / "east-newer.osm.pbf"
    clip_extract(demo["whole"], newer, box(9.01, 50.5, 9.5, 51.5), method="python")
    third = merge_extracts([demo["west"], newer], tmp_path)
    assert third != first
    assert not first.exists()
    assert sorted(p.name for p in tmp_path.glob("osm-merged-*")) == [third.name]


def test_broken_extract_names_the_file(demo: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "hessen-latest.osm.pbf"
    broken.write_bytes(b"\x00\x01 not a pbf")
    with pytest.raises(NetworkError) as info:
        merge_extracts([demo["west"], broken], tmp_path / "out")
    assert "hessen-latest.osm.pbf" in info.value.german
    assert "keine lesbare OSM-Datei" in info.value.german
    html = tmp_path / "detmold-regbez-latest.osm.pbf"
    html.write_text("<!DOCTYPE html><html><body>503</body></html>", "utf-8")
    with pytest.raises(NetworkError) as info:
        merge_extracts([html, demo["west"]], tmp_path / "out")
    assert "detmold-regbez-latest.osm.pbf" in info.value.german
    assert "Webseite" in info.value.german
    with pytest.raises(ConfigError) as missing:
        merge_extracts([demo["west"], tmp_path / "fehlt.osm.pbf"], tmp_path / "out")
    assert missing.value.german.endswith(f"OSM-Extrakt {tmp_path / 'fehlt.osm.pbf'} nicht gefunden")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_unsorted_extract_is_refused_in_german(tmp_path: Path) -> None:
    unsorted = tmp_path / "unsortiert.osm"
    unsorted.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        '<node id="5" version="1" lat="51.0" lon="9.0"/>\n'
        '<node id="2" version="1" lat="51.0" lon="9.1"/>\n</osm>\n',
        "utf-8",
    )
    other = write_versions(tmp_path / "a.osm.pbf", 1, [7, 8])
    with pytest.raises(NetworkError) as info:
        merge_extracts([other, unsorted], tmp_path / "out", method="python")
    assert "unsortiert.osm ist nicht nach Typ und ID sortiert" in info.value.german


# ---------------------------------------------------------------------------
# the same minutes on the merged halves as on the whole
# ---------------------------------------------------------------------------
def places_and_offers(path: Path) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Villages (``place=*`` nodes) and offers (``amenity``/``healthcare`` nodes) of the file."""
    villages, offers = [], []
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        assert isinstance(node, osmium.osm.Node)
        xy = (node.location.lon, node.location.lat)
        if "place" in node.tags:
            villages.append(xy)
        elif "amenity" in node.tags or "healthcare" in node.tags:
            offers.append(xy)
    return villages, offers


@pytest.mark.slow
def test_merged_halves_give_the_same_minutes_as_the_whole(
    demo: dict[str, Path], tmp_path: Path
) -> None:
    merged = merge_extracts([demo["west"], demo["east"]], tmp_path / "merged")
    villages, offers = places_and_offers(demo["whole"])
    assert len(villages) > 40 and len(offers) > 30
    for mode, algorithm in (("car", "CH"), ("walk", "MLD")):
        whole = Router(
            prepare_network(demo["whole"], mode, cache_dir=tmp_path / "c", algorithm=algorithm)
        )
        parts = Router(prepare_network(merged, mode, cache_dir=tmp_path / "c", algorithm=algorithm))
        a = whole.table(villages, offers).seconds
        b = parts.table(villages, offers).seconds
        assert np.isfinite(a).mean() > 0.9, mode
        np.testing.assert_array_equal(a, b, err_msg=mode)


# ---------------------------------------------------------------------------
# road data missing in the surroundings
# ---------------------------------------------------------------------------
def test_uncovered_area_exact_shares() -> None:
    """9° E is the central meridian of EPSG:25832: boxes split there split in equal halves."""
    area = box(8.9, 51.0, 9.1, 51.1)
    covered = box(8.0, 50.0, 9.0, 52.0)
    gemeinden = gpd.GeoDataFrame(
        {"gemeinde": ["Westdorf", "Ostheim", "Randstadt"]},
        geometry=[
            box(8.9, 51.0, 9.0, 51.1),
            box(9.0, 51.0, 9.1, 51.1),
            box(8.91, 51.0, 9.001, 51.1),
        ],
        crs="EPSG:4326",
    )
    res = uncovered_area(area, covered, gemeinden)
    assert res.share == pytest.approx(0.5, abs=1e-9)
    assert res.uncovered_km2 == pytest.approx(res.area_km2 / 2, rel=1e-9)
    assert res.area_km2 == pytest.approx(2 * 7.0 * 11.1, rel=0.02)  # ~14 km × 11 km
    assert res.gemeinden == ("Ostheim",)  # Randstadt: 1 % uncovered, Westdorf: none
    assert uncovered_area(area, None).share == 1.0
    assert uncovered_area(area, box(8.0, 50.0, 10.0, 52.0), gemeinden) == UncoveredArea(
        share=0.0, area_km2=res.area_km2, uncovered_km2=0.0, gemeinden=()
    )
    quarter = uncovered_area(area, box(8.0, 50.0, 9.0, 51.05))
    assert quarter.share == pytest.approx(0.75, abs=1e-3)


def test_road_data_notice_text() -> None:
    names = tuple(f"G{i}" for i in range(10))
    text = road_data_notice(UncoveredArea(0.234, 2900.0, 680.0, names))
    assert text.startswith(
        "Straßendaten fehlen für 23 % des Umlands (Gemeinden G0, G1, G2, G3, G4, G5, G6, G7, "
        "2 weitere): Angebote dort und Wege dorthin fehlen"
    )
    assert "[source] extract_url" in text
    assert road_data_notice(UncoveredArea(0.5, 10.0, 5.0)).startswith(
        "Straßendaten fehlen für 50 % des Umlands: "
    )
    assert road_data_notice(UncoveredArea(0.01, 2900.0, 29.0, ("A",))) == ""


KREIS_REGION = """
[region]
name = "Beispielkreis"

[source]
kreis = "99999"
extract_url = ["https://example.invalid/west.osm.pbf", "https://example.invalid/ost.osm.pbf"]
boundaries_url = "https://example.invalid/gemeinden.gpkg"
buffer_km = {buffer}

[inputs]
network = "netz.osm.pbf"
boundaries = "{boundaries}"
offers = ["osm"]
modes = ["car"]
"""


def kreis_files(tmp_path: Path) -> tuple[Settings, gpd.GeoDataFrame]:
    """Kreis 99999 = box 9.0–9.1 E × 51.0–51.1 N; neighbours west (99998) and east (99997)."""
    gem = gpd.GeoDataFrame(
        {
            "ags": ["99999001", "99998001", "99997001"],
            "gemeinde": ["Mitte", "Westheim", "Ostdorf"],
            "population": [100, 200, 300],
        },
        geometry=[box(9.0, 51.0, 9.1, 51.1), box(8.7, 50.8, 9.0, 51.3), box(9.1, 50.8, 9.4, 51.3)],
        crs="EPSG:4326",
    )
    gem.to_file(tmp_path / "gemeinden.geojson", driver="GeoJSON")
    region = tmp_path / "region.toml"
    region.write_text(KREIS_REGION.format(buffer=5, boundaries="gemeinden.geojson"), "utf-8")
    return Settings.from_toml(region), gem


def test_road_data_notices_for_a_prepared_region(tmp_path: Path) -> None:
    settings, gem = kreis_files(tmp_path)
    # the run's boundaries hold only Gemeinden inside the road data; the notice
    # reads the file again to see the eastern neighbour, too
    run_boundaries = gem.iloc[:2].reset_index(drop=True)
    west_only = box(8.5, 50.5, 9.1, 51.5)  # road data up to the Kreis's eastern border
    (notice,) = road_data_notices(settings, run_boundaries, west_only)
    assert notice.startswith("Straßendaten fehlen für ")
    share = int(notice.split("für ")[1].split(" %")[0])
    assert 40 <= share <= 55  # the eastern part of the 5 km ring (a bit less than half)
    assert "(Gemeinden Ostdorf)" in notice
    assert road_data_notices(settings, gem, box(8.0, 50.0, 10.0, 52.0)) == ()
    assert road_data_notices(settings, gem, None) == ()


def test_road_data_notices_need_a_kreis(tmp_path: Path) -> None:
    settings, gem = kreis_files(tmp_path)
    other = gem.assign(ags=["11111001", "11111002", "11111003"])
    assert road_data_notices(settings, other, box(8.5, 50.5, 9.05, 51.5)) == ()


def demo_region(tmp_path: Path, gemeinden: Path) -> tuple[Path, Path]:
    """A region file whose Kreis is Niederherbstedt (south-east), with a 2 km buffer.

    The other Gemeinden of the Beispielkreis become its neighbours (AGS
    99998…), so the buffer lies on land the demo's roads cover.
    """
    gem = gpd.read_file(gemeinden)
    gem["ags"] = ["99999003" if a == "99999003" else "99998" + a[5:] for a in gem["ags"]]
    bnd = tmp_path / "gemeinden.geojson"
    gem.to_file(bnd, driver="GeoJSON")
    region = tmp_path / "niederherbstedt.toml"
    region.write_text(KREIS_REGION.format(buffer=2, boundaries="gemeinden.geojson"), "utf-8")
    return region, bnd


def road_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The "Straßendaten fehlen" warnings logged so far; clears the log."""
    out = [r.getMessage() for r in caplog.records if "Straßendaten fehlen" in r.getMessage()]
    caplog.clear()
    return out


def test_prepare_merges_the_given_extracts(
    demo: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    region, bnd = demo_region(tmp_path, demo["gemeinden"])
    data = tmp_path / "data"
    caplog.set_level(logging.WARNING)
    whole = prepare_region(
        region, data_dir=data, extract=demo["whole"], boundaries=bnd, offline=True
    )
    on_whole = road_warnings(caplog)
    both = prepare_region(
        region, data_dir=data, extract=[demo["west"], demo["east"]], boundaries=bnd, offline=True
    )
    assert set(ids(both.network)) == set(ids(whole.network))
    assert len(list((data / "downloads").glob("*/osm-merged-*.osm.pbf"))) == 1
    assert not list(both.folder.glob("osm-merged-*"))  # a cache, not part of the region
    assert road_warnings(caplog) == on_whole  # the same data, the same notice
    # only the western half: the east of the surroundings has no roads, and prepare says so
    prepare_region(region, data_dir=data, extract=[demo["west"]], boundaries=bnd, offline=True)
    (warned,) = road_warnings(caplog)
    assert "[source] extract_url" in warned
    # the demo's few long straight roads leave gaps even in the whole file
    # (1 km squares holding a road node); the missing east adds much more
    whole_share = int(on_whole[0].split("für ")[1].split(" %")[0]) if on_whole else 0
    assert int(warned.split("für ")[1].split(" %")[0]) >= whole_share + 20
    assert "Niederherbstedt" not in warned  # the Kreis itself is not the surroundings


def with_demo_offers(region_file: Path, demo: dict[str, Path]) -> Settings:
    """The prepared region's settings with the demo's offers list (its OSM has no POIs)."""
    offers = str(demo["whole"].parent / "angebote.csv")
    return dataclasses.replace(Settings.from_toml(region_file), offers=(offers,))


def test_run_inputs_carry_the_notice(demo: dict[str, Path], tmp_path: Path) -> None:
    """The analysis of a region prepared from one half names the gap in its notices."""
    region, bnd = demo_region(tmp_path, demo["gemeinden"])
    data = tmp_path / "data"
    west = prepare_region(
        region, data_dir=data, extract=[demo["west"]], boundaries=bnd, offline=True
    )
    inputs = load_inputs(with_demo_offers(west.region_file, demo))
    (notice,) = [n for n in inputs.notices if n.startswith("Straßendaten fehlen")]
    assert "Ellroth" in notice or "Waldaue" in notice  # neighbours east of the Kreis
    both = prepare_region(
        region, data_dir=data, extract=[demo["west"], demo["east"]], boundaries=bnd, offline=True
    )
    again = load_inputs(with_demo_offers(both.region_file, demo))
    shares = [int(n.split("für ")[1].split(" %")[0]) for n in (notice, *again.notices)
              if n.startswith("Straßendaten fehlen")]  # fmt: skip
    assert len(shares) <= 2 and (len(shares) == 1 or shares[1] < shares[0] - 20)


def test_cli_extract_is_repeatable() -> None:
    args = build_parser().parse_args(
        ["prepare", "hochsauerlandkreis", "--extract", "a.osm.pbf", "--extract", "b.osm.pbf"]
    )
    assert args.extract == [Path("a.osm.pbf"), Path("b.osm.pbf")]
    assert build_parser().parse_args(["prepare", "hochsauerlandkreis"]).extract is None


# ---------------------------------------------------------------------------
# the shipped region files
# ---------------------------------------------------------------------------
GEOFABRIK = "https://download.geofabrik.de/europe/germany/"
NRW = GEOFABRIK + "nordrhein-westfalen/"
SHIPPED_EXTRACTS = {
    "hochsauerlandkreis": (
        NRW + "arnsberg-regbez-latest.osm.pbf",
        NRW + "detmold-regbez-latest.osm.pbf",
        GEOFABRIK + "hessen-latest.osm.pbf",
    ),
    "coesfeld": (NRW + "muenster-regbez-latest.osm.pbf", NRW + "arnsberg-regbez-latest.osm.pbf"),
    "viersen": (NRW + "duesseldorf-regbez-latest.osm.pbf", NRW + "koeln-regbez-latest.osm.pbf"),
    "goettingen": (
        GEOFABRIK + "niedersachsen-latest.osm.pbf",
        GEOFABRIK + "hessen-latest.osm.pbf",
        GEOFABRIK + "thueringen-latest.osm.pbf",
        GEOFABRIK + "sachsen-anhalt-latest.osm.pbf",
    ),
}


def test_shipped_region_files_list_their_extracts() -> None:
    files = region_files()
    for stem, urls in SHIPPED_EXTRACTS.items():
        source = Settings.from_toml(files[stem]).source
        assert source is not None
        assert source.extract_urls == urls, stem
        assert source.extract_url == urls[0]  # the extract holding the Kreis comes first
        text = files[stem].read_text("utf-8")
        assert "extract_url = [" in text
