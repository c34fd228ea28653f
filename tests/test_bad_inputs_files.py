"""Bad network, boundary, population, grid, GIS and village files → clear errors.

Each case asserts the exact error class, that ``str(error)`` names the file
(and row/column where one applies) and that ``error.german`` is German.
"""

from __future__ import annotations

import bz2
import gzip
import io
import math
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from erreichbarkeit.analysis.grid import read_population_grid
from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import (
    CRSError,
    ErreichbarkeitError,
    InputDataError,
    MissingColumnError,
    NetworkError,
)
from erreichbarkeit.io import read_boundaries, read_population, read_villages
from erreichbarkeit.io.geocode import AddressIndex, parse_address
from erreichbarkeit.io.gis2osm import lines_to_osm
from erreichbarkeit.io.gislayer import read_gis_features
from erreichbarkeit.io.osm import read_osm_features, validate_osm_file

from .test_bad_inputs_common import Case, assert_clear_error

CATS = load_categories()
pytestmark = pytest.mark.filterwarnings(
    "ignore:'crs' was not provided:UserWarning", "ignore::RuntimeWarning"
)


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]]) -> str:
    """A minimal OSM XML document (nodes: id → (lon, lat)), as in test_routing.write_osm."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines)


ROAD_XML = osm_xml({1: (9.9, 51.5), 2: (9.91, 51.5)}, [([1, 2], {"highway": "primary"})])


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("roads.osm", ROAD_XML)
    return buf.getvalue()


def _write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    return build


# --------------------------------------------------------------------------- OSM files

HTML = (
    b"<!DOCTYPE html><html><head><title>503</title></head><body>Service unavailable</body></html>"
)
OSM_CASES = [
    Case("osm-missing", "network file does not exist", "NetworkError: not found",
         {"build": lambda t: t / "fehlt.osm.pbf"}),
    Case("osm-empty-pbf", "0-byte .osm.pbf (aborted download)", "NetworkError: empty (0 bytes)",
         {"build": _write("leer.osm.pbf", b"")}),
    Case("osm-empty-xml", "0-byte .osm", "NetworkError: empty", {"build": _write("leer.osm", b"")}),
    Case("osm-zip-named-pbf", "a ZIP archive named .osm.pbf",
         "NetworkError: not an OSM file despite its name",
         {"build": _write("zip.osm.pbf", _zip_bytes())}),
    Case("osm-html-named-pbf", "an HTML error page named .osm.pbf",
         "NetworkError: not an OSM file despite its name",
         {"build": _write("seite.osm.pbf", HTML)}),
    Case("osm-html-named-osm", "an HTML error page named .osm",
         "NetworkError: not an OSM file", {"build": _write("seite.osm", HTML)}),
    Case("osm-html-gz", "a gzipped HTML page named .osm.gz", "NetworkError: not an OSM file",
         {"build": _write("seite.osm.gz", gzip.compress(HTML))}),
    Case("osm-html-bz2", "a bzip2ed HTML page named .osm.bz2", "NetworkError: not an OSM file",
         {"build": _write("seite.osm.bz2", bz2.compress(HTML))}),
    Case("osm-plain-named-bz2", "plain OSM XML named .osm.bz2", "NetworkError (not bzip2)",
         {"build": _write("roh.osm.bz2", ROAD_XML)}),
    Case("osm-truncated-xml", "OSM XML cut off in the middle",
         "NetworkError: damaged or incomplete",
         {"build": _write("halb.osm", ROAD_XML[: len(ROAD_XML) // 2])}),
    Case("osm-truncated-gz", "gzip of OSM XML cut off", "NetworkError: damaged or incomplete",
         {"build": _write("halb.osm.gz", gzip.compress(ROAD_XML.encode())[:60])}),
    Case("osm-truncated-bz2", "bzip2 of OSM XML cut off", "NetworkError: damaged or incomplete",
         {"build": _write("halb.osm.bz2", bz2.compress(ROAD_XML.encode())[:60])}),
    Case("osm-wrong-suffix-txt", "a network named roads.txt", "NetworkError: unknown OSM format",
         {"build": _write("roads.txt", ROAD_XML)}),
    Case("osm-wrong-suffix-zip", "a network named roads.zip", "NetworkError: unknown OSM format",
         {"build": _write("roads.zip", _zip_bytes())}),
    Case("osm-json-named-osm", "a JSON document named .osm", "NetworkError: not an OSM file",
         {"build": _write("daten.osm", '{"type": "FeatureCollection", "features": []}')}),
    Case("osm-csv-named-pbf", "a CSV named .osm.pbf", "NetworkError: not an OSM file",
         {"build": _write("tabelle.osm.pbf", "Name;Kategorie\nA;Kita\n")}),
    Case("osm-no-roads", "valid OSM XML with nodes only, no highway ways",
         "NetworkError (validate): contains no roads",
         {"build": _write("orte.osm", osm_xml({1: (9.9, 51.5)}, [])), "features_ok": True}),
    Case("osm-only-rivers", "valid OSM XML with waterway ways only",
         "NetworkError (validate): contains no roads",
         {"build": _write("fluss.osm", osm_xml({1: (9.9, 51.5), 2: (9.91, 51.5)},
                                              [([1, 2], {"waterway": "river"})])),
          "features_ok": True}),
]  # fmt: skip


@pytest.mark.parametrize("case", OSM_CASES, ids=lambda c: c.id)
def test_bad_osm_file_validate(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(ErreichbarkeitError) as info:
        validate_osm_file(path)
    assert_clear_error(info.value, NetworkError, file=path.name)


@pytest.mark.parametrize("case", OSM_CASES, ids=lambda c: c.id)
def test_bad_osm_file_features(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    if case.data.get("features_ok"):
        feats = read_osm_features(path, CATS)  # readable: empty tables, no error
        assert feats.pois.empty
        assert feats.boundaries.empty
        return
    with pytest.raises(ErreichbarkeitError) as info:
        read_osm_features(path, CATS)
    assert_clear_error(info.value, NetworkError, file=path.name)


def test_plain_xml_named_gz_is_read(tmp_path: Path) -> None:
    """libosmium reads an uncompressed file named .osm.gz: a correct result, no error."""
    path = _write("roh.osm.gz", ROAD_XML)(tmp_path)
    validate_osm_file(path)
    assert read_osm_features(path, CATS).places.empty


def test_truncated_pbf(tmp_path: Path) -> None:
    import osmium
    from osmium.osm.mutable import Node, Way

    full = tmp_path / "voll.osm.pbf"
    with osmium.SimpleWriter(str(full)) as w:
        for i in range(2000):
            w.add_node(Node(id=i + 1, location=(9.9 + i * 1e-4, 51.5)))
        w.add_way(Way(id=1, nodes=list(range(1, 2001)), tags={"highway": "primary"}))
    cut = tmp_path / "abgebrochen.osm.pbf"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    for fn in (validate_osm_file, lambda p: read_osm_features(p, CATS)):
        with pytest.raises(NetworkError) as info:
            fn(cut)
        assert_clear_error(info.value, NetworkError, file=cut.name)


def test_ways_with_missing_nodes_are_read_without_crash(tmp_path: Path) -> None:
    """A clipped extract: ways refer to nodes outside the file."""
    text = osm_xml({1: (9.9, 51.5)}, [([1, 2, 3], {"highway": "primary",
                                                    "amenity": "kindergarten"})])  # fmt: skip
    path = tmp_path / "geschnitten.osm"
    path.write_text(text, "utf-8")
    validate_osm_file(path)
    feats = read_osm_features(path, CATS)
    assert list(feats.pois["category"]) == ["kita"]
    assert (feats.pois.geometry.x.iloc[0], feats.pois.geometry.y.iloc[0]) == (9.9, 51.5)


def test_boundary_relation_without_ags_is_skipped(tmp_path: Path) -> None:
    nodes = {1: (9.9, 51.5), 2: (10.0, 51.5), 3: (10.0, 51.6), 4: (9.9, 51.6)}
    text = osm_xml(nodes, [([1, 2, 3, 4, 1], {})]).replace(
        "</osm>",
        '<relation id="9" version="1"><member type="way" ref="1" role="outer"/>'
        '<tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>'
        '<tag k="admin_level" v="8"/><tag k="name" v="Ohneschlüssel"/></relation></osm>',
    )
    path = tmp_path / "grenzen.osm"
    path.write_text(text, "utf-8")
    assert read_osm_features(path, CATS).boundaries.empty


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=600),
    suffix=st.sampled_from([".osm.pbf", ".osm", ".osm.gz", ".osm.bz2"]),
)
def test_random_bytes_as_osm_are_network_errors(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"zufall{suffix}"
        path.write_bytes(data)
        with pytest.raises(NetworkError) as info:
            validate_osm_file(path)
        assert path.name in str(info.value)
        assert info.value.german.startswith(f"Datei {path.name}")


# --------------------------------------------------------------------------- networks, routed


@pytest.fixture(scope="module")
def island_network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inseln")
    nodes = {1: (9.90, 51.50), 2: (9.91, 51.50), 3: (9.95, 51.50), 4: (9.96, 51.50)}
    ways = [([1, 2], {"highway": "residential"}), ([3, 4], {"highway": "residential"})]
    path = folder / "inseln.osm"
    path.write_text(osm_xml(nodes, ways), "utf-8")
    return path


def test_islands_and_far_villages_are_flagged_not_zero(
    island_network: Path, tmp_path: Path
) -> None:
    """Two road islands and a village 5 km from any road: absent / not snapped, never 0 min."""
    from erreichbarkeit.network.matrix import travel_times
    from erreichbarkeit.network.routing import Router, prepare_network

    net = prepare_network(island_network, "car", cache_dir=tmp_path / "cache", algorithm="MLD")
    villages = gpd.GeoDataFrame(
        {"id": ["a", "far"]}, geometry=[Point(9.905, 51.5), Point(9.93, 51.545)], crs=4326
    )
    offers = gpd.GeoDataFrame({"id": ["o"]}, geometry=[Point(9.955, 51.5)], crs=4326)
    res = travel_times({"car": Router(net)}, villages, offers, cutoff_minutes=90, max_snap_m=500)
    tt = res.travel_times
    reached = tt[tt["minutes"].notna()]
    assert reached.empty  # the other island is unreachable: absent or NaN, never 0
    snap = res.snapping.set_index(["id", "role"])
    assert bool(snap.loc[("a", "origin"), "snap_ok"])
    assert not bool(snap.loc[("far", "origin"), "snap_ok"])
    assert float(snap.loc[("far", "origin"), "snap_m"]) > 4000


# --------------------------------------------------------------------------- boundaries


def _gpkg(name: str, gdf_factory: Callable[[], gpd.GeoDataFrame]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        gdf_factory().to_file(p)
        return p

    return build


POLY = box(9.9, 51.5, 10.0, 51.6)
BOUNDARY_CASES = [
    Case("bnd-points", "Gemeinden given as points", "InputDataError naming feature 1: not polygons",
         {"build": _gpkg("punkte.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016"]}, geometry=[Point(9.9, 51.5)], crs=4326)),
          "cls": InputDataError, "row": 1}),
    Case("bnd-lines", "Gemeinde borders as lines", "InputDataError naming feature 1: not polygons",
         {"build": _gpkg("linien.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016"]}, geometry=[LineString(POLY.exterior.coords)], crs=4326)),
          "cls": InputDataError, "row": 1}),
    Case("bnd-mixed", "polygon, then a point as feature 2", "InputDataError naming feature 2",
         {"build": _gpkg("gemischt.geojson", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016", "03159017"]}, geometry=[POLY, Point(9.9, 51.5)], crs=4326)),
          "cls": InputDataError, "row": 2}),
    Case("bnd-null-geometry", "a feature without geometry", "InputDataError naming feature 1",
         {"build": _write("ohne.geojson", '{"type":"FeatureCollection","features":[{"type":'
                          '"Feature","properties":{"AGS":"03159016"},"geometry":null}]}'),
          "cls": InputDataError, "row": 1}),
    Case("bnd-no-ags-column", "polygons with only a name column", "MissingColumnError naming file",
         {"build": _gpkg("ohneags.gpkg", lambda: gpd.GeoDataFrame(
             {"GEN": ["X"]}, geometry=[POLY], crs=4326)), "cls": MissingColumnError}),
    Case("bnd-empty-ags", "AGS cell empty in feature 1", "InputDataError, feature 1, column AGS",
         {"build": _gpkg("leerags.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": [None]}, geometry=[POLY], crs=4326)),
          "cls": InputDataError, "row": 1, "column": "AGS"}),
    Case("bnd-text-ags", "AGS 'Göttingen' (a name, not a key)",
         "InputDataError, feature 1, column AGS",
         {"build": _gpkg("textags.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["Göttingen"]}, geometry=[POLY], crs=4326)),
          "cls": InputDataError, "row": 1, "column": "AGS"}),
    Case("bnd-ten-digit-ags", "AGS with 10 digits (neither AGS nor ARS)",
         "InputDataError, feature 2, column AGS",
         {"build": _gpkg("zehn.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016", "0315901600"]}, geometry=[POLY, POLY], crs=4326)),
          "cls": InputDataError, "row": 2, "column": "AGS"}),
    Case("bnd-no-crs", "Shapefile without .prj", "CRSError: the layer has no CRS",
         {"build": _gpkg("ohneprj.shp", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016"]}, geometry=[POLY])), "cls": CRSError}),
    Case("bnd-utm-geojson-without-crs", "GeoJSON in UTM metres without a crs member",
         "CRSError: coordinates are not degrees",
         {"build": _write("utm.geojson", '{"type":"FeatureCollection","features":[{"type":'
                          '"Feature","properties":{"AGS":"03159016"},"geometry":{"type":"Polygon",'
                          '"coordinates":[[[560000,5700000],[561000,5700000],[561000,5701000],'
                          '[560000,5700000]]]}}]}'), "cls": CRSError}),
    Case("bnd-degrees-declared-utm", "lon/lat degrees in a layer declaring EPSG:25832",
         "CRSError, feature 1: lies outside Europe in the declared CRS",
         {"build": _gpkg("falschkbs.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016"]}, geometry=[POLY], crs=25832)),
          "cls": CRSError, "row": 1}),
    Case("bnd-csv-named-gpkg", "a CSV named .gpkg", "InputDataError: cannot read the layer",
         {"build": _write("tabelle.gpkg", "AGS;GEN\n03159016;X\n"), "cls": InputDataError}),
    Case("bnd-html-named-geojson", "an HTML page named .geojson",
         "InputDataError: cannot read the layer",
         {"build": _write("seite.geojson", HTML), "cls": InputDataError}),
    Case("bnd-zip-named-gpkg", "a ZIP named .gpkg", "InputDataError: cannot read the layer",
         {"build": _write("zip.gpkg", _zip_bytes()), "cls": InputDataError}),
    Case("bnd-empty-file", "0-byte .gpkg", "InputDataError: cannot read the layer",
         {"build": _write("leer.gpkg", b""), "cls": InputDataError}),
    Case("bnd-missing", "boundary file does not exist", "InputDataError: not found",
         {"build": lambda t: t / "fehlt.gpkg", "cls": InputDataError}),
    Case("bnd-empty-layer", "a GeoPackage layer with no features", "InputDataError: no features",
         {"build": _gpkg("leer2.gpkg", lambda: gpd.GeoDataFrame(
             {"AGS": ["03159016"]}, geometry=[POLY], crs=4326).iloc[:0]),
          "cls": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", BOUNDARY_CASES, ids=lambda c: c.id)
def test_bad_boundaries(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(ErreichbarkeitError) as info:
        read_boundaries(path)
    assert_clear_error(
        info.value,
        case.data["cls"],
        file=path.name,
        row=case.data.get("row"),
        column=case.data.get("column"),
    )


def test_named_ags_column_missing(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame({"AGS": ["03159016"]}, geometry=[POLY], crs=4326).to_file(path)
    with pytest.raises(MissingColumnError) as info:
        read_boundaries(path, ags_column="GKZ")
    assert_clear_error(info.value, MissingColumnError, file="g.gpkg", column="GKZ")


def test_boundaries_in_utm_with_crs_are_correct(tmp_path: Path) -> None:
    metric = gpd.GeoDataFrame({"AGS": ["3159016"]}, geometry=[POLY], crs=4326).to_crs(25832)
    path = tmp_path / "utm.gpkg"
    metric.to_file(path)
    out = read_boundaries(path)
    assert list(out["ags"]) == ["03159016"]
    assert out.total_bounds == pytest.approx((9.9, 51.5, 10.0, 51.6), abs=1e-6)


# --------------------------------------------------------------------------- population


POPULATION_CASES = [
    Case("pop-no-key", "population table without AGS column", "MissingColumnError naming file",
         {"text": "Gemeinde;Einwohner\nX;5\n", "cls": MissingColumnError}),
    Case("pop-no-value", "population table without population column",
         "MissingColumnError naming file", {"text": "AGS;Name\n03159016;X\n",
                                            "cls": MissingColumnError}),
    Case("pop-text-key", "AGS 'Göttingen' in row 3", "InputDataError row 3, column AGS",
         {"text": "AGS;Einwohner\n03159016;5\nGöttingen;7\n", "cls": InputDataError, "row": 3,
          "column": "AGS"}),
    Case("pop-empty-key", "AGS empty in row 2", "InputDataError row 2, column AGS: missing",
         {"text": "AGS;Einwohner\n;5\n03159016;7\n", "cls": InputDataError, "row": 2,
          "column": "AGS"}),
    Case("pop-ten-digit-key", "AGS with 10 digits", "InputDataError row 2, column AGS",
         {"text": "AGS;Einwohner\n0315901600;5\n", "cls": InputDataError, "row": 2,
          "column": "AGS"}),
    Case("pop-text-value", "Einwohner 'viele'", "InputDataError row 2, column Einwohner",
         {"text": "AGS;Einwohner\n03159016;viele\n", "cls": InputDataError, "row": 2,
          "column": "Einwohner"}),
    Case("pop-negative", "Einwohner -5", "InputDataError row 2, column Einwohner: negative",
         {"text": "AGS;Einwohner\n03159016;-5\n", "cls": InputDataError, "row": 2,
          "column": "Einwohner"}),
    Case("pop-inf", "Einwohner 'inf'", "InputDataError row 2, column Einwohner",
         {"text": "AGS;Einwohner\n03159016;inf\n", "cls": InputDataError, "row": 2,
          "column": "Einwohner"}),
    Case("pop-conflicting-repeat", "AGS repeated in row 3 with another value",
         "InputDataError row 3, column AGS naming row 2",
         {"text": "AGS;Einwohner\n03159016;5\n03159016;7\n", "cls": InputDataError, "row": 3,
          "column": "AGS"}),
    Case("pop-empty-file", "0-byte population CSV", "InputDataError: empty",
         {"text": "", "cls": InputDataError}),
    Case("pop-header-only", "population CSV with header only", "MissingColumnError or empty",
         {"text": "Einwohner\n", "cls": MissingColumnError}),
]  # fmt: skip


@pytest.mark.parametrize("case", POPULATION_CASES, ids=lambda c: c.id)
def test_bad_population_tables(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "bevoelkerung.csv"
    path.write_text(case.data["text"], "utf-8")
    with pytest.raises(ErreichbarkeitError) as info:
        read_population(path)
    assert_clear_error(
        info.value,
        case.data["cls"],
        file=path.name,
        row=case.data.get("row"),
        column=case.data.get("column"),
    )


POPULATION_OK_CASES = [
    Case("pop-ok-thousands", "Einwohner '12.345' (thousands dot)", "12345",
         {"cell": "12.345", "value": 12345.0}),
    Case("pop-ok-space", "Einwohner '12 345'", "12345", {"cell": "12 345", "value": 12345.0}),
    Case("pop-ok-secret-dash", "Einwohner '-' (Destatis: nothing)", "NaN (unknown), not 0",
         {"cell": "-", "value": math.nan}),
    Case("pop-ok-secret-x", "Einwohner 'x' (Destatis: secret)", "NaN (unknown), not 0",
         {"cell": "x", "value": math.nan}),
    Case("pop-ok-secret-dot", "Einwohner '.' (Destatis: unknown)", "NaN", {"cell": ".",
                                                                       "value": math.nan}),
    Case("pop-ok-empty", "Einwohner empty", "NaN", {"cell": "", "value": math.nan}),
]  # fmt: skip


@pytest.mark.parametrize("case", POPULATION_OK_CASES, ids=lambda c: c.id)
def test_awkward_population_values(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "bevoelkerung.csv"
    path.write_text(f"ARS;Name;Einwohner\n031590016016;X;{case.data['cell']}\n", "utf-8")
    out = read_population(path)
    assert list(out["ags"]) == ["03159016"]
    got, want = out["population"].iloc[0], case.data["value"]
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_population_key_written_as_float_by_excel(tmp_path: Path) -> None:
    path = tmp_path / "bevoelkerung.csv"
    path.write_text("AGS;Einwohner\n3159016.0;5\n3159016;5\n", "utf-8")
    out = read_population(path)
    assert list(out["ags"]) == ["03159016"]
    assert list(out["population"]) == [5.0]


# --------------------------------------------------------------------------- population grid

GRID_HEADER = "Gitter_ID_1km;x_mp;y_mp;Einwohner\n"
GRID_CASES = [
    Case("grid-text-cell", "Einwohner 'viele' in row 3", "InputDataError row 3, column Einwohner",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;5\n1kmN3100E4301;4301500;3100500;"
          "viele\n", "cls": InputDataError, "row": 3, "column": "Einwohner"}),
    Case("grid-blank-line-rows", "a blank line before a bad cell",
         "InputDataError names the spreadsheet row (4), not the pandas position",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;5\n\n1kmN3100E4301;4301500;3100500;"
          "abc\n", "cls": InputDataError, "row": 4, "column": "Einwohner"}),
    Case("grid-negative", "Einwohner -5 (only −1 and −9 are codes)",
         "InputDataError row 2, column Einwohner",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;-5\n", "cls": InputDataError,
          "row": 2, "column": "Einwohner"}),
    Case("grid-inf", "Einwohner 'inf'", "InputDataError row 2, column Einwohner",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;inf\n", "cls": InputDataError,
          "row": 2, "column": "Einwohner"}),
    Case("grid-absurd", "Einwohner 1e12 in one cell", "InputDataError row 2, column Einwohner",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;1e12\n", "cls": InputDataError,
          "row": 2, "column": "Einwohner"}),
    Case("grid-duplicate-cell", "the same cell in rows 2 and 3",
         "InputDataError row 3: same cell (would count twice)",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;3100500;5\n1kmN3100E4300;4300500;3100500;"
          "7\n", "cls": InputDataError, "row": 3, "column": "x_mp"}),
    Case("grid-latlon-coordinates", "x_mp/y_mp in lon/lat degrees", "CRSError row 2, column x_mp",
         {"text": GRID_HEADER + "1kmN3100E4300;9,9;51,5;5\n", "cls": CRSError, "row": 2,
          "column": "x_mp"}),
    Case("grid-utm-coordinates", "x_mp/y_mp in UTM 32N (y 5.7 million is fine, x 565000 not)",
         "CRSError row 2, column x_mp",
         {"text": GRID_HEADER + "1kmN3100E4300;565000;5710000;5\n", "cls": CRSError, "row": 2,
          "column": "x_mp"}),
    Case("grid-empty-coordinate", "y_mp empty in row 2", "CRSError row 2, column y_mp",
         {"text": GRID_HEADER + "1kmN3100E4300;4300500;;5\n", "cls": CRSError, "row": 2,
          "column": "y_mp"}),
    Case("grid-bad-under18", "unter18_A 150 (%)", "InputDataError row 2, column unter18_A",
         {"text": "x_mp;y_mp;Einwohner;unter18_A\n4300500;3100500;5;150\n",
          "cls": InputDataError, "row": 2, "column": "unter18_A"}),
    Case("grid-no-population-column", "grid without Einwohner column",
         "MissingColumnError, column Einwohner",
         {"text": "x_mp;y_mp;Frauen\n4300500;3100500;5\n", "cls": MissingColumnError,
          "column": "Einwohner"}),
    Case("grid-header-only", "grid CSV with header only", "InputDataError: no rows",
         {"text": GRID_HEADER, "cls": InputDataError}),
    Case("grid-empty-file", "0-byte grid CSV", "InputDataError: unreadable",
         {"text": "", "cls": InputDataError}),
    Case("grid-irregular", "cell centres on no regular grid, no id column",
         "InputDataError: cell size not recognisable",
         {"text": "x_mp;y_mp;Einwohner\n4300123;3100456;5\n", "cls": InputDataError,
          "column": "x_mp"}),
]  # fmt: skip


@pytest.mark.parametrize("case", GRID_CASES, ids=lambda c: c.id)
def test_bad_population_grids(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "raster.csv"
    path.write_text(case.data["text"], "utf-8")
    with pytest.raises(ErreichbarkeitError) as info:
        read_population_grid(path)
    assert_clear_error(
        info.value,
        case.data["cls"],
        file=path.name,
        row=case.data.get("row"),
        column=case.data.get("column"),
    )


GRID_FILE_CASES = [
    Case("grid-file-random-gpkg", "random bytes named .gpkg", "InputDataError: unreadable",
         {"build": _write("r.gpkg", bytes(range(256)) * 2)}),
    Case("grid-file-csv-named-gpkg", "a CSV named .gpkg", "InputDataError: unreadable",
         {"build": _write("c.gpkg", GRID_HEADER)}),
    Case("grid-file-random-parquet", "random bytes named .parquet", "InputDataError: unreadable",
         {"build": _write("r.parquet", bytes(range(256)))}),
    Case("grid-file-missing", "grid file does not exist", "InputDataError: not found",
         {"build": lambda t: t / "fehlt.csv"}),
    Case("grid-file-points-layer", "a layer of points instead of cell polygons",
         "InputDataError, column geometry",
         {"build": _gpkg("punkte.gpkg", lambda: gpd.GeoDataFrame(
             {"Einwohner": [1]}, geometry=[Point(4300500, 3100500)], crs=3035))}),
]  # fmt: skip


@pytest.mark.parametrize("case", GRID_FILE_CASES, ids=lambda c: c.id)
def test_bad_population_grid_files(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(InputDataError) as info:
        read_population_grid(path)
    assert_clear_error(info.value, InputDataError, file=path.name)


@pytest.mark.parametrize(("encoding", "sep"), [("utf-16", ";"), ("utf-8-sig", ","), ("utf-8", ";")])
def test_grid_encodings_and_secret_marks(tmp_path: Path, encoding: str, sep: str) -> None:
    text = (GRID_HEADER + "1kmN3100E4300;4300500;3100500;–\n1kmN3100E4301;4301500;3100500;-1\n"
            "1kmN3100E4302;4302500;3100500;12\n").replace(";", sep)  # fmt: skip
    path = tmp_path / "raster.csv"
    path.write_bytes(text.encode(encoding))
    out = read_population_grid(path)
    assert out["source_cell_m"].tolist() == [1000.0] * 3
    pop = out["population"].tolist()
    assert math.isnan(pop[0])  # secret: unknown, not 0
    assert pop[1:] == [0.0, 12.0]
    assert out["secret"].tolist() == [True, False, False]


# --------------------------------------------------------------------------- GIS road layers

GIS_CASES = [
    Case("gis-random-gpkg", "random bytes named .gpkg as road network",
         "NetworkError: cannot open GIS file",
         {"build": _write("r.gpkg", bytes(range(256)) * 3), "cls": NetworkError}),
    Case("gis-csv-named-gpkg", "a CSV named .gpkg as road network", "NetworkError",
         {"build": _write("c.gpkg", "highway;x\nprimary;1\n"), "cls": NetworkError}),
    Case("gis-points-only", "a road layer holding points", "NetworkError: no usable road lines",
         {"build": _gpkg("punkte.gpkg", lambda: gpd.GeoDataFrame(
             {"highway": ["primary"]}, geometry=[Point(9.9, 51.5)], crs=4326)),
          "cls": NetworkError}),
    Case("gis-rail-only", "a line layer of railways only", "NetworkError: no usable road lines",
         {"build": _gpkg("bahn.gpkg", lambda: gpd.GeoDataFrame(
             {"class": ["rail"]}, geometry=[LineString([(9.9, 51.5), (9.91, 51.5)])], crs=4326)),
          "cls": NetworkError}),
    Case("gis-null-classes", "road class empty or a number", "NetworkError: no usable road lines",
         {"build": _gpkg("leer.gpkg", lambda: gpd.GeoDataFrame(
             {"highway": [None, "5"]}, geometry=[LineString([(9.9, 51.5), (9.91, 51.5)])] * 2,
             crs=4326)), "cls": NetworkError}),
    Case("gis-no-class-column", "a line layer without highway/class/fclass column",
         "MissingColumnError, column highway",
         {"build": _gpkg("ohne.gpkg", lambda: gpd.GeoDataFrame(
             {"typ": ["Straße"]}, geometry=[LineString([(9.9, 51.5), (9.91, 51.5)])], crs=4326)),
          "cls": MissingColumnError, "column": "highway"}),
    Case("gis-no-crs", "a Shapefile of roads without .prj", "CRSError: no CRS",
         {"build": _gpkg("ohneprj.shp", lambda: gpd.GeoDataFrame(
             {"highway": ["primary"]}, geometry=[LineString([(9.9, 51.5), (9.91, 51.5)])])),
          "cls": CRSError}),
    Case("gis-utm-declared-wgs84", "UTM metres in a layer declaring EPSG:4326",
         "CRSError: not degrees (no 'data must be finite' traceback)",
         {"build": _gpkg("utm.gpkg", lambda: gpd.GeoDataFrame(
             {"highway": ["primary"]},
             geometry=[LineString([(560000, 5700000), (561000, 5700000)])], crs=4326)),
          "cls": CRSError}),
    Case("gis-degenerate", "a road of one repeated point", "NetworkError: shorter than tolerance",
         {"build": _gpkg("punktlinie.gpkg", lambda: gpd.GeoDataFrame(
             {"highway": ["primary"]}, geometry=[LineString([(9.9, 51.5), (9.9, 51.5)])],
             crs=4326)), "cls": NetworkError}),
    Case("gis-empty-layer", "a road layer with no features", "NetworkError: empty",
         {"build": _gpkg("nichts.gpkg", lambda: gpd.GeoDataFrame(
             {"highway": ["primary"]}, geometry=[LineString([(9.9, 51.5), (9.91, 51.5)])],
             crs=4326).iloc[:0]), "cls": NetworkError}),
]  # fmt: skip


@pytest.mark.parametrize("case", GIS_CASES, ids=lambda c: c.id)
def test_bad_gis_road_layers(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(ErreichbarkeitError) as info:
        lines_to_osm(path, tmp_path / "out.osm")
    assert_clear_error(info.value, case.data["cls"], file=path.name, column=case.data.get("column"))
    assert not (tmp_path / "out.osm").exists()


def test_gis_features_of_a_random_file(tmp_path: Path) -> None:
    path = _write("r.gpkg", bytes(range(256)) * 3)(tmp_path)
    with pytest.raises(InputDataError) as info:
        read_gis_features(path, CATS)
    assert_clear_error(info.value, InputDataError, file="r.gpkg")


# --------------------------------------------------------------------------- own villages

VILLAGE_CASES = [
    Case("vil-utm-unsaid", "villages CSV with UTM x/y and no EPSG column",
         "InputDataError row 2, column x: not degrees",
         {"text": "Name;x;y\nA;565000;5710000\n", "cls": InputDataError, "row": 2,
          "column": "x"}),
    Case("vil-text-coordinate", "villages CSV with Breite 'abc'",
         "InputDataError row 2: not a number",
         {"text": "Name;Breite;Länge\nA;abc;9,9\n", "cls": InputDataError, "row": 2,
          "column": "Länge"}),
    Case("vil-missing-coordinate", "villages CSV with an empty Länge in row 3",
         "InputDataError row 3: coordinates missing",
         {"text": "Name;Breite;Länge\nA;51,5;9,9\nB;51,6;\n", "cls": InputDataError, "row": 3,
          "column": "Länge"}),
    Case("vil-no-coordinate-columns", "villages CSV with names only",
         "MissingColumnError naming the file", {"text": "Name;Einwohner\nA;5\n",
                                                "cls": MissingColumnError}),
    Case("vil-duplicate-id", "villages CSV with ID 1 twice", "InputDataError row 3, column ID",
         {"text": "ID;Name;Breite;Länge\n1;A;51,5;9,9\n1;B;51,6;9,9\n", "cls": InputDataError,
          "row": 3, "column": "ID"}),
    Case("vil-unknown-epsg", "villages CSV with EPSG 99999", "CRSError row 2, column EPSG",
         {"text": "Name;x;y;EPSG\nA;565000;5710000;99999\n", "cls": CRSError, "row": 2,
          "column": "EPSG"}),
    Case("vil-header-only", "villages CSV with header only", "InputDataError: no villages",
         {"text": "Name;Breite;Länge\n", "cls": InputDataError}),
]  # fmt: skip


@pytest.mark.parametrize("case", VILLAGE_CASES, ids=lambda c: c.id)
def test_bad_village_tables(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "orte.csv"
    path.write_text(case.data["text"], "utf-8")
    with pytest.raises(ErreichbarkeitError) as info:
        read_villages(path)
    assert_clear_error(
        info.value,
        case.data["cls"],
        file=path.name,
        row=case.data.get("row"),
        column=case.data.get("column"),
    )


def test_village_layer_of_lines(tmp_path: Path) -> None:
    path = tmp_path / "orte.gpkg"
    gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[LineString(POLY.exterior.coords)], crs=4326
    ).to_file(path)
    with pytest.raises(InputDataError) as info:
        read_villages(path)
    assert_clear_error(info.value, InputDataError, file="orte.gpkg", row=1)


def test_village_layer_in_wrong_declared_crs(tmp_path: Path) -> None:
    path = tmp_path / "orte.gpkg"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(9.9, 51.5)], crs=25832).to_file(path)
    with pytest.raises(CRSError) as info:
        read_villages(path)
    assert_clear_error(info.value, CRSError, file="orte.gpkg", row=1)


# --------------------------------------------------------------------------- geocoding


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=60))
def test_parse_address_never_crashes(text: str) -> None:
    out = parse_address(text)
    assert set(out) == {"street", "housenumber", "postcode", "city"}


@settings(max_examples=60, deadline=None)
@given(
    street=st.text(max_size=30),
    number=st.one_of(st.none(), st.text(max_size=6)),
    postcode=st.one_of(st.none(), st.text(max_size=6)),
    city=st.one_of(st.none(), st.text(max_size=12)),
)
def test_address_lookup_never_crashes(
    street: str, number: str | None, postcode: str | None, city: str | None
) -> None:
    index = _ADDRESS_INDEX
    res = index.lookup(street=street, housenumber=number, postcode=postcode, city=city)
    if res.quality != "nicht gefunden":
        assert math.isfinite(res.lon)
        assert math.isfinite(res.lat)


_ADDRESS_INDEX = AddressIndex(
    gpd.pd.DataFrame(
        {
            "street": ["Hauptstraße", "Hauptstraße", "Bergweg", None, "Kirchplatz"],
            "housenumber": ["1", "3a", "2", "4", "x"],
            "postcode": ["37120", "37120", "", "37120", None],
            "city": ["Bovenden", "", "Dorf", "", "Ort"],
            "lon": [9.9, 9.901, 9.95, 9.9, "kaputt"],
            "lat": [51.5, 51.501, 51.55, 51.5, 51.5],
        }
    )
)


def test_address_table_without_columns() -> None:
    with pytest.raises(MissingColumnError) as info:
        AddressIndex(gpd.pd.DataFrame({"street": ["A"]}))
    assert_clear_error(info.value, MissingColumnError, file=None)
