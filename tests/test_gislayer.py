"""Tests of erreichbarkeit.io.gis2osm and .gislayer: GIS road layers → OSM XML, places/POIs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import osmium
import pytest
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from erreichbarkeit._schema import OFFER_COLUMNS, VILLAGE_COLUMNS
from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import CRSError, MissingColumnError, NetworkError
from erreichbarkeit.io.gis2osm import lines_to_osm
from erreichbarkeit.io.gislayer import (
    detect_road_class_column,
    guess_layers,
    list_layers,
    read_gis_features,
)

from .conftest import need_shared

CATS = load_categories()
X0, Y0 = 500_000.0, 5_700_000.0  # EPSG:25832, near Göttingen


def _metric(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:25832")


def _line(*xy: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def _read_osm(path: Path) -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict]]]:
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[list[int], dict]] = []
    for obj in osmium.FileProcessor(path):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            ways.append(([n.ref for n in obj.nodes], dict(obj.tags)))
    return nodes, ways


# ----------------------------------------------------------------------- node merging


def test_small_gap_merges_across_grid_edge(tmp_path: Path) -> None:
    # 0.4 m gap straddling the x = 100 m grid line: plain 1 m rounding would not merge it.
    gdf = _metric(
        [
            {"highway": "residential", "geometry": _line((0, 0), (99.8, 0))},
            {"highway": "residential", "geometry": _line((100.2, 0), (200, 0))},
        ]
    )
    out = tmp_path / "net.osm"
    report = lines_to_osm(gdf, out, tolerance_m=1.0)
    assert report.n_input_lines == 2
    assert report.n_ways == 2
    assert report.n_nodes == 3
    assert report.n_merged_nodes == 1
    assert report.n_components == 1
    assert report.largest_component_share == 1.0
    assert dict(report.dropped) == {}
    nodes, ways = _read_osm(out)
    assert len(nodes) == 3
    assert ways[0][0][-1] == ways[1][0][0]  # shared node
    shared = nodes[ways[0][0][-1]]
    back = gpd.GeoSeries([Point(shared)], crs="EPSG:4326").to_crs("EPSG:25832").iloc[0]
    assert back.x == pytest.approx(X0 + 100.0, abs=0.01)  # mean of both ends
    assert back.y == pytest.approx(Y0, abs=0.01)


def test_large_gap_does_not_merge(tmp_path: Path) -> None:
    gdf = _metric(
        [
            {"highway": "residential", "geometry": _line((0, 0), (100, 0))},
            {"highway": "residential", "geometry": _line((103, 0), (200, 0))},
        ]
    )
    report = lines_to_osm(gdf, tmp_path / "net.osm", tolerance_m=1.0)
    assert report.n_nodes == 4
    assert report.n_merged_nodes == 0
    assert report.n_components == 2
    assert report.largest_component_share == 0.5


def test_end_snaps_onto_segment(tmp_path: Path) -> None:
    # Side road ends 0.3 m beside the through road, where that road has no vertex.
    gdf = _metric(
        [
            {"highway": "tertiary", "geometry": _line((0, 0), (200, 0))},
            {"highway": "residential", "geometry": _line((50, 100), (50, 0.3))},
            {"highway": "residential", "geometry": _line((150, 100), (150, 3))},
        ]
    )
    out = tmp_path / "net.osm"
    report = lines_to_osm(gdf, out, tolerance_m=1.0)
    assert report.n_snapped_ends == 1
    assert report.n_nodes == 6
    assert report.n_components == 2  # the side road 3 m away stays apart
    assert report.largest_component_share == 4 / 6
    _, ways = _read_osm(out)
    through, side = ways[0][0], ways[1][0]
    assert len(through) == 3
    assert through[1] == side[-1]


def test_bridge_does_not_create_junction(tmp_path: Path) -> None:
    road = {"class": "minor", "geometry": _line((0, 0), (100, 0), (200, 0))}
    bridge = {
        "class": "primary",
        "brunnel": "bridge",
        "layer": 1.0,
        "geometry": _line((100, -100), (100, 0), (100, 100)),
    }
    approach = {"class": "primary", "geometry": _line((100, -200), (100, -100))}
    report = lines_to_osm(_metric([road, bridge, approach]), tmp_path / "b.osm")
    assert report.n_nodes == 7
    assert report.n_components == 2  # road | bridge + approach (joined at the bridge end)
    assert report.largest_component_share == 4 / 7
    # the same crossing at grade is a junction
    level = {**bridge, "brunnel": None, "layer": None}
    report = lines_to_osm(_metric([road, level, approach]), tmp_path / "l.osm")
    assert report.n_nodes == 6
    assert report.n_components == 1


def test_bridge_interior_does_not_snap_to_road_end(tmp_path: Path) -> None:
    # A road ending under a bridge must not be joined onto the bridge's segment.
    bridge = {"class": "primary", "brunnel": "bridge", "geometry": _line((0, 0), (200, 0))}
    below = {"class": "minor", "geometry": _line((100, 100), (100, 0.2))}
    report = lines_to_osm(_metric([bridge, below]), tmp_path / "b.osm")
    assert report.n_snapped_ends == 0
    assert report.n_components == 2


# ----------------------------------------------------------------------- tags


def test_openmaptiles_classes(tmp_path: Path) -> None:
    def row(i: int, cls: str | None, geom: object = None, **attrs: object) -> dict[str, object]:
        if geom is None:
            geom = _line((0, i * 50), (20, i * 50))
        return {"class": cls, "geometry": geom, **attrs}

    square = Polygon([(X0, Y0 - 500), (X0 + 30, Y0 - 500), (X0 + 30, Y0 - 470)])
    rows = [
        row(0, "motorway", ramp=1.0),
        row(1, "minor", oneway=-1.0),
        row(2, "path", subclass="footway", foot="designated", bicycle=1),
        row(3, "path", subclass="monorail"),
        row(4, "service", service="driveway", access="no", surface="paved"),
        row(5, "track", brunnel="bridge", layer=1.0),
        row(6, "primary", oneway=1.0, brunnel="tunnel", layer=-1.0),
        row(7, "ferry"),
        row(8, "service", ramp=1.0),
        row(9, "path", square, subclass="pedestrian"),
        row(
            10,
            "tertiary",
            MultiLineString(
                [[(X0, Y0 + 600), (X0 + 9, Y0 + 600)], [(X0, Y0 + 700), (X0 + 9, Y0 + 700)]]
            ),
        ),
        row(11, "rail", subclass="rail"),
        row(12, "rail"),
        row(13, "minor_construction"),
        row(14, "transit"),
        row(15, "pier"),
        row(16, "bridge", square, brunnel="bridge"),
        row(17, "service", square),
        row(18, "path", Point(X0, Y0)),
        row(19, "minor", None),
        row(20, None),
    ]
    rows[19]["geometry"] = None
    out = tmp_path / "omt.osm"
    report = lines_to_osm(_metric(rows), out)
    _, ways = _read_osm(out)
    tags = [t for _, t in ways]
    assert tags == [
        {"highway": "motorway_link"},
        {"highway": "unclassified", "oneway": "-1"},
        {"highway": "footway", "foot": "designated", "bicycle": "yes"},
        {"highway": "path"},
        {"highway": "service", "access": "no", "surface": "paved", "service": "driveway"},
        {"highway": "track", "bridge": "yes", "layer": "1"},
        {"highway": "primary", "oneway": "yes", "tunnel": "yes", "layer": "-1"},
        {"route": "ferry"},
        {"highway": "service"},
        {"highway": "pedestrian"},
        {"highway": "tertiary"},
        {"highway": "tertiary"},
    ]
    assert ways[9][0][0] == ways[9][0][-1]  # closed ring of the pedestrian square
    assert len(ways[9][0]) == 4
    assert report.n_input_lines == 21
    assert report.n_ways == 12
    assert dict(report.dropped) == {
        "rail": 2,
        "minor_construction": 1,
        "transit": 1,
        "pier": 1,
        "bridge": 1,
        "polygon": 1,
        "point geometry": 1,
        "no geometry": 1,
        "no class": 1,
    }


def test_highway_column_with_maxspeed(tmp_path: Path) -> None:
    gdf = _metric(
        [
            {
                "highway": "secondary",
                "maxspeed": 70,
                "oneway": "yes",
                "name": "B 3",
                "geometry": _line((0, 0), (50, 0)),
            },
            {
                "highway": "residential",
                "maxspeed": None,
                "oneway": "no",
                "geometry": _line((0, 50), (50, 50)),
            },
            {
                "highway": "construction",
                "maxspeed": 30,
                "oneway": None,
                "geometry": _line((0, 100), (50, 100)),
            },
        ]
    )
    out = tmp_path / "h.osm"
    report = lines_to_osm(gdf, out)
    _, ways = _read_osm(out)
    assert [t for _, t in ways] == [
        {"highway": "secondary", "oneway": "yes", "maxspeed": "70", "name": "B 3"},
        {"highway": "residential"},
    ]
    assert dict(report.dropped) == {"construction": 1}


def test_geofabrik_fclass(tmp_path: Path) -> None:
    gdf = _metric(
        [
            {
                "fclass": "track_grade2",
                "oneway": "B",
                "maxspeed": 0,
                "bridge": "T",
                "tunnel": "F",
                "layer": 1,
                "geometry": _line((0, 0), (50, 0)),
            },
            {
                "fclass": "primary",
                "oneway": "T",
                "maxspeed": 100,
                "bridge": "F",
                "tunnel": "F",
                "layer": 0,
                "geometry": _line((0, 50), (50, 50)),
            },
        ]
    )
    out = tmp_path / "g.osm"
    lines_to_osm(gdf, out)
    _, ways = _read_osm(out)
    assert [t for _, t in ways] == [
        {"highway": "track", "tracktype": "grade2", "bridge": "yes", "layer": "1"},
        {"highway": "primary", "oneway": "-1", "maxspeed": "100"},
    ]


def test_detect_road_class_column() -> None:
    base = {"geometry": [_line((0, 0), (1, 0))]}
    assert detect_road_class_column(gpd.GeoDataFrame({"class": ["minor"], **base})) == "class"
    both = gpd.GeoDataFrame({"class": ["x"], "highway": ["primary"], **base})
    assert detect_road_class_column(both) == "highway"
    assert detect_road_class_column(gpd.GeoDataFrame({"FCLASS": ["x"], **base})) == "FCLASS"
    with pytest.raises(MissingColumnError, match="typ, name"):
        detect_road_class_column(gpd.GeoDataFrame({"typ": ["x"], "name": ["y"], **base}))


# ----------------------------------------------------------------------- errors and files


def test_missing_class_column_names_file(tmp_path: Path) -> None:
    path = tmp_path / "strassen.gpkg"
    _metric([{"typ": "Kreisstraße", "breite": 6.5, "geometry": _line((0, 0), (10, 0))}]).to_file(
        path, layer="roads"
    )
    with pytest.raises(MissingColumnError) as info:
        lines_to_osm(path, tmp_path / "out.osm")
    assert "strassen.gpkg" in str(info.value)
    assert "typ, breite" in str(info.value)
    assert "typ, breite" in info.value.german
    assert not (tmp_path / "out.osm").exists()


def test_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "leer.gpkg"
    empty = gpd.GeoDataFrame({"class": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    empty.to_file(path, layer="roads")
    with pytest.raises(NetworkError, match="empty") as info:
        lines_to_osm(path, tmp_path / "out.osm")
    assert "leer" in info.value.german
    with pytest.raises(NetworkError, match="empty"):
        lines_to_osm(empty, tmp_path / "out.osm")


def test_only_dropped_features(tmp_path: Path) -> None:
    gdf = _metric([{"class": "rail", "geometry": _line((0, 0), (10, 0))}])
    with pytest.raises(NetworkError, match="no usable road"):
        lines_to_osm(gdf, tmp_path / "out.osm")


def test_missing_crs(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"highway": ["primary"], "geometry": [LineString([(0, 0), (1, 1)])]})
    with pytest.raises(CRSError):
        lines_to_osm(gdf, tmp_path / "out.osm")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found"):
        lines_to_osm(tmp_path / "fehlt.gpkg", tmp_path / "out.osm")


def test_progress_and_geojson(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    _metric([{"highway": "primary", "geometry": _line((0, 0), (10, 0))}]).to_crs(
        "EPSG:4326"
    ).to_file(path)
    calls: list[tuple[str, int, int]] = []
    report = lines_to_osm(
        path, tmp_path / "out.osm", progress=lambda s, d, t: calls.append((s, d, t))
    )
    assert report.n_ways == 1
    assert [(d, t) for _, d, t in calls] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def _omt_gpkg(path: Path) -> None:
    roads = _metric([{"class": "minor", "geometry": _line((0, 0), (10, 0))}]).to_crs("EPSG:4326")
    roads.to_file(path, layer="roads")
    roads.assign(name="Weg").to_file(path, layer="road_names")
    places = gpd.GeoDataFrame(
        {
            "name": ["Dorfa", "Nordviertel", "Weiler", None],
            "class": ["village", "quarter", "hamlet", "hamlet"],
            "osm_fid": [11, 12, 13, 14],
        },
        geometry=[Point(9.9, 51.5), Point(9.91, 51.5), Point(9.92, 51.5), Point(9.93, 51.5)],
        crs="EPSG:4326",
    )
    places.to_file(path, layer="places")
    pois = gpd.GeoDataFrame(
        {
            "class": [
                "school",
                "school",
                "doctors",
                "town_hall",
                "shop",
                "library",
                "town_hall",
            ],
            "subclass": [
                "kindergarten",
                "school",
                "doctors",
                "community_centre",
                "bakery",
                "library",
                "townhall",
            ],
            "name": ["Kita Sonne", "GS Dorfa", "Dr. Kind", "Bürgerhaus", "Bäcker", None, "Rathaus"],
            "osm_fid": [21, 22, 23, 24, 25, 26, 27],
        },
        geometry=[Point(9.9 + i / 100, 51.6) for i in range(7)],
        crs="EPSG:4326",
    )
    pois.to_file(path, layer="pois")


def test_layers_and_guess(tmp_path: Path) -> None:
    path = tmp_path / "omt.gpkg"
    _omt_gpkg(path)
    assert list_layers(path) == ["roads", "road_names", "places", "pois"]
    assert guess_layers(path) == {"roads": "roads", "places": "places", "pois": "pois"}
    report = lines_to_osm(path, tmp_path / "o.osm")  # layer guessed: roads, not road_names
    assert report.n_input_lines == 1


def test_read_gis_features(tmp_path: Path) -> None:
    path = tmp_path / "omt.gpkg"
    _omt_gpkg(path)
    places, pois = read_gis_features(path, CATS)
    assert list(places.columns) == list(VILLAGE_COLUMNS)
    assert list(places["id"]) == ["gis:places/11", "gis:places/13"]
    assert list(places["name"]) == ["Dorfa", "Weiler"]
    assert list(places["place"]) == ["village", "hamlet"]
    assert places["osm_population"].isna().all()
    assert places.crs == "EPSG:4326"
    assert list(pois.columns) == list(OFFER_COLUMNS)
    # doctors: the Kinderarzt rules need two tags, which OpenMapTiles does not carry;
    # community_centre: only community_centre=family is a Familienzentrum, and
    # OpenMapTiles drops that second tag, so a Bürgerhaus matches no category
    assert list(pois["id"]) == ["gis:pois/21", "gis:pois/22", "gis:pois/26", "gis:pois/27"]
    assert list(pois["category"]) == ["kita", "schule", "bibliothek", "rathaus"]
    assert list(pois["name"]) == ["Kita Sonne", "GS Dorfa", "Bibliothek", "Rathaus"]
    assert set(pois["source"]) == {"omt.gpkg"}
    assert set(pois["geocode_quality"]) == {"Koordinaten"}
    assert pois["capacity"].isna().all()


# ----------------------------------------------------------------------- real data


@pytest.mark.shared_data
@pytest.mark.slow
def test_goettingen_real_osrm_accepts(tmp_path: Path) -> None:
    import osrm

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    out = tmp_path / "goettingen.osm"
    report = lines_to_osm(gpkg, out, layer="roads")
    assert report.n_input_lines == 75_908  # PROVENANCE.md
    assert report.dropped["rail"] == 993
    assert report.largest_component_share >= 0.8
    profile = Path(osrm.__file__).parent / "share" / "profiles" / "car.lua"
    result = subprocess.run(
        [sys.executable, "-m", "osrm", "extract", "-p", str(profile), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "goettingen.osrm.ebg").exists()


@pytest.mark.shared_data
def test_goettingen_real_features() -> None:
    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    places, pois = read_gis_features(gpkg, CATS)
    counts = places["place"].value_counts().to_dict()
    # PROVENANCE.md: 1 city, 4 town, 44 village, 22 hamlet
    assert (counts["city"], counts["town"], counts["village"], counts["hamlet"]) == (1, 4, 44, 22)
    assert places["id"].is_unique and pois["id"].is_unique
    cats = pois["category"].value_counts().to_dict()
    # PROVENANCE.md: 160 kindergarten, 73 school, 40 library, 21 townhall; the
    # 85 community_centre POIs are no Familienzentren (OpenMapTiles drops the
    # community_centre=family tag that would say so)
    assert cats["kita"] == 160
    assert cats["schule"] == 73
    assert cats["bibliothek"] == 40
    assert cats["rathaus"] == 21
    assert "familienzentrum" not in cats
    assert set(cats) == {"kita", "schule", "bibliothek", "rathaus"}
