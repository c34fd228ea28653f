"""Tests of the offline base layer (road lines from the region's network file)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from erreichbarkeit.errors import NetworkError
from erreichbarkeit.report import basemap, style

# five nodes on a line near Göttingen, ~700 m apart
_NODES = {i: (9.90 + 0.01 * i, 51.50) for i in range(1, 6)}


def _osm_xml(ways: list[tuple[int, str, list[int]]]) -> str:
    nodes = "".join(
        f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in _NODES.items()
    )
    body = ""
    for wid, highway, refs in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += f'<way id="{wid}" version="1">{nds}<tag k="highway" v="{highway}"/></way>'
    return f'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">{nodes}{body}</osm>'


OSM_WAYS = [
    (10, "motorway", [1, 2]),
    (11, "primary_link", [2, 3]),
    (12, "residential", [3, 4]),
    (13, "unclassified", [4, 5]),
    (14, "tertiary", [1, 3]),
    (15, "footway", [1, 4]),  # not in the base layer
    (16, "service", [2, 5]),  # not in the base layer
]


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    path = tmp_path / "netz.osm"
    path.write_text(_osm_xml(OSM_WAYS), encoding="utf-8")
    return path


def _counts(roads: gpd.GeoDataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in roads["road_class"].value_counts().items()}


def test_osm_file_classes_and_counts(osm_file: Path) -> None:
    roads = basemap.road_lines(osm_file)
    assert _counts(roads) == {"motorway": 1, "primary": 1, "minor": 2, "tertiary": 1}
    assert roads.crs == "EPSG:4326"
    # drawing order: minor roads first, motorways last (on top)
    assert roads["road_class"].iloc[0] == "minor"
    assert roads["road_class"].iloc[-1] == "motorway"
    # a straight two-node way stays exactly itself
    motorway = roads.geometry[roads["road_class"] == "motorway"].iloc[0]
    assert motorway.equals_exact(LineString([_NODES[1], _NODES[2]]), 1e-7)


def _gpkg(tmp_path: Path, column: str, values: list[str]) -> Path:
    lines = [
        LineString([(9.9 + 0.01 * i, 51.5), (9.9 + 0.01 * i, 51.51)]) for i in range(len(values))
    ]
    gdf = gpd.GeoDataFrame({column: values}, geometry=lines, crs="EPSG:4326")
    path = tmp_path / f"roads_{column}.gpkg"
    gdf.to_file(path, layer="roads", driver="GPKG")
    places = gpd.GeoDataFrame({"name": ["Dorf"]}, geometry=[Point(9.9, 51.5)], crs="EPSG:4326")
    places.to_file(path, layer="places", driver="GPKG")
    return path


def test_openmaptiles_layer_classes_and_counts(tmp_path: Path) -> None:
    values = ["motorway", "minor", "minor", "path", "track", "secondary", "rail", "service"]
    roads = basemap.road_lines(_gpkg(tmp_path, "class", values))
    assert _counts(roads) == {"minor": 2, "secondary": 1, "motorway": 1}


def test_highway_column_layer_maps_links_and_streets(tmp_path: Path) -> None:
    values = ["trunk_link", "residential", "living_street", "cycleway", "primary"]
    roads = basemap.road_lines(_gpkg(tmp_path, "highway", values))
    assert _counts(roads) == {"minor": 2, "trunk": 1, "primary": 1}


def test_cache_hit_then_rebuilt_when_the_file_changes(
    osm_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = basemap.cached_road_lines(osm_file, cache)
    target = basemap.road_cache_path(osm_file, cache)
    assert target.exists() and target.parent == cache / "basemap"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp files left

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("extracted again despite the cache")

    with monkeypatch.context() as mp:
        mp.setattr(basemap, "road_lines", fail)
        second = basemap.cached_road_lines(osm_file, cache)
    assert _counts(second) == _counts(first)

    # a changed file has a new content hash → new cache file, extracted again
    osm_file.write_text(_osm_xml([(10, "motorway", [1, 2]), (12, "residential", [3, 4])]))
    changed = basemap.cached_road_lines(osm_file, cache)
    assert _counts(changed) == {"motorway": 1, "minor": 1}
    assert basemap.road_cache_path(osm_file, cache) != target
    assert len(list((cache / "basemap").iterdir())) == 2


def test_roads_geojson_one_feature_per_class(osm_file: Path) -> None:
    text = basemap.roads_geojson(basemap.road_lines(osm_file))
    data = json.loads(text)
    classes = [f["properties"]["road_class"] for f in data["features"]]
    assert classes == ["minor", "tertiary", "primary", "motorway"]
    minor = data["features"][0]["geometry"]
    assert minor["type"] == "MultiLineString"
    assert len(minor["coordinates"]) == 2
    assert minor["coordinates"][0][0] == [9.93, 51.5]


def test_missing_file_is_a_network_error(tmp_path: Path) -> None:
    with pytest.raises(NetworkError):
        basemap.road_lines(tmp_path / "fehlt.osm.pbf")


def test_every_class_has_a_style() -> None:
    assert set(style.ROAD_STYLES) == set(style.ROAD_CLASSES)
