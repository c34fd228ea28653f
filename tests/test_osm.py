"""Tests of erreichbarkeit.io.osm on hand-written OSM files and the shared real extracts."""

from __future__ import annotations

import bz2
import math
from pathlib import Path

import osmium
import pytest
from osmium.osm.mutable import Node, Way

from erreichbarkeit._schema import (
    ADDRESS_COLUMNS,
    BOUNDARY_COLUMNS,
    OFFER_COLUMNS,
    VILLAGE_COLUMNS,
)
from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import NetworkError
from erreichbarkeit.io.osm import (
    format_address,
    match_category,
    parse_population,
    read_osm_features,
    validate_osm_file,
)

from .conftest import need_shared

CATS = load_categories()


def _node(nid: int, lon: float, lat: float, **tags: str) -> str:
    tag_xml = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}">{tag_xml}</node>'


SAMPLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
{_node(1, 10.0, 51.0, place="village", name="Dorfa", population="1.234")}
{_node(2, 10.01, 51.01, place="hamlet", name="Weiler", population="viele")}
{_node(3, 10.02, 51.02, place="locality", name="Flurstück")}
{_node(4, 10.03, 51.03, place="village")}
{
    _node(
        5,
        10.04,
        51.04,
        amenity="kindergarten",
        name="Kita Sonnenschein",
        operator="Gemeinde Dorfa",
        opening_hours="Mo-Fr 07:00-16:00",
        addr__street="Hauptstraße",
        addr__housenumber="3",
        addr__postcode="37120",
        addr__city="Bovenden",
    )
}
{
    _node(
        6,
        10.05,
        51.05,
        amenity="doctors",
        healthcare__speciality="general;paediatrics",
        name="Dr. Kind",
    )
}
{_node(7, 10.06, 51.06, amenity="school", addr__street="Schulweg")}
{_node(8, 10.07, 51.07, addr__place="Kleindorf", addr__housenumber="7", addr__postcode="37120")}
{_node(10, 10.0, 51.0)}
{_node(11, 10.002, 51.0)}
{_node(12, 10.002, 51.002)}
{_node(13, 10.0, 51.002)}
{_node(20, 10.1, 51.1)}
{_node(21, 10.2, 51.1)}
{_node(30, 9.9, 50.9)}
{_node(31, 10.1, 50.9)}
{_node(32, 10.1, 51.1)}
{_node(33, 9.9, 51.1)}
{_node(40, 11.0, 50.0)}
{_node(41, 11.1, 50.0)}
{_node(42, 11.1, 50.1)}
<way id="100" version="1"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
  <tag k="amenity" v="kindergarten"/><tag k="name" v="Waldkita"/>
  <tag k="addr:street" v="Waldweg"/><tag k="addr:housenumber" v="1"/></way>
<way id="101" version="1"><nd ref="20"/><nd ref="21"/><tag k="highway" v="residential"/></way>
<way id="200" version="1"><nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="33"/>
  <nd ref="30"/></way>
<way id="201" version="1"><nd ref="40"/><nd ref="41"/><nd ref="42"/><nd ref="40"/></way>
<relation id="300" version="1"><member type="way" ref="200" role="outer"/>
  <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
  <tag k="admin_level" v="8"/><tag k="name" v="Dorfa"/>
  <tag k="de:amtlicher_gemeindeschluessel" v="03159004"/><tag k="population" v="5000"/>
</relation>
<relation id="301" version="1"><member type="way" ref="201" role="outer"/>
  <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
  <tag k="admin_level" v="8"/><tag k="name" v="Anderswo"/>
  <tag k="de:regionalschluessel" v="091234567890"/>
</relation>
</osm>
"""


@pytest.fixture
def sample_osm(tmp_path: Path) -> Path:
    path = tmp_path / "sample.osm"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


# ----------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234", 1234.0),
        ("1.234", 1234.0),
        ("12,345", 12345.0),
        ("1 234", 1234.0),
        ("ca. 500", 500.0),
        ("1234 (2011)", 1234.0),
        (None, math.nan),
        ("viele", math.nan),
        ("1.5", math.nan),
        ("", math.nan),
    ],
)
def test_parse_population(value: str | None, expected: float) -> None:
    result = parse_population(value)
    assert (math.isnan(result) and math.isnan(expected)) or result == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "kindergarten"}, "kita"),
        ({"amenity": "doctors", "healthcare:speciality": "paediatrics"}, "kinderarzt"),
        ({"amenity": "doctors", "healthcare:speciality": "general;paediatrics"}, "kinderarzt"),
        ({"amenity": "doctors"}, None),
        # order 15 (jugendzentrum) beats order 30 (familienzentrum)
        ({"amenity": "community_centre", "community_centre": "youth_centre"}, "jugendzentrum"),
        ({"amenity": "community_centre", "community_centre": "family"}, "familienzentrum"),
        # a community centre (Bürgerhaus) is not automatically a Familienzentrum
        ({"amenity": "community_centre"}, None),
        # grundschule (order 25) before schule (order 26)
        ({"amenity": "school", "isced:level": "1"}, "grundschule"),
        ({"amenity": "school"}, "schule"),
        # "*" = any value
        ({"office": "association", "social_facility": "outreach"}, "beratung"),
        ({"office": "association"}, None),
        # counselling: the specific rules win over the generic Beratungsstelle
        (
            {"healthcare": "counselling", "healthcare:counselling": "antenatal"},
            "schwangerschaftsberatung",
        ),
        (
            {"amenity": "social_facility", "healthcare:counselling": "antenatal"},
            "schwangerschaftsberatung",
        ),
        ({"healthcare:counselling": "child_guidance"}, "erziehungsberatung"),
        (
            {
                "amenity": "social_facility",
                "social_facility": "outreach",
                "healthcare:counselling": "child_guidance",
            },
            "erziehungsberatung",
        ),
        ({"healthcare": "counselling", "healthcare:counselling": "family"}, "erziehungsberatung"),
        ({"healthcare:counselling": "family"}, None),
        ({"healthcare": "counselling", "healthcare:counselling": "addiction"}, None),
        ({"amenity": "social_facility", "social_facility": "outreach"}, "beratung"),
        # offices
        ({"office": "government", "government": "youth_welfare"}, "jugendamt"),
        ({"office": "government", "government": "healthcare"}, "gesundheitsamt"),
        ({"office": "government", "government": "public_health"}, "gesundheitsamt"),
        ({"office": "government", "government": "health"}, "gesundheitsamt"),
        ({"office": "employment_agency", "operator:type": "public"}, "jobcenter"),
        ({"office": "employment_agency", "operator:type": "government"}, "jobcenter"),
        ({"office": "employment_agency"}, None),  # also private temp agencies
        ({"office": "employment_agency", "operator:type": "private"}, None),
        # Kreisverwaltung (order 38) before Rathaus (order 39)
        ({"amenity": "townhall", "townhall:type": "county"}, "kreisverwaltung"),
        (
            {"office": "government", "government": "administrative", "admin_level": "6"},
            "kreisverwaltung",
        ),
        ({"amenity": "townhall"}, "rathaus"),
        ({"amenity": "townhall", "townhall:type": "city"}, "rathaus"),
        ({"office": "government", "government": "administrative", "admin_level": "8"}, "rathaus"),
        ({"office": "government", "government": "administrative"}, None),
        ({"office": "government"}, None),
        ({"office": "government", "government": "tax"}, None),
        ({"amenity": "bench"}, None),
        ({}, None),
    ],
)
def test_match_category(tags: dict[str, str], expected: str | None) -> None:
    assert match_category(tags, CATS) == expected


def test_format_address() -> None:
    tags = {
        "addr:street": "Hauptstraße",
        "addr:housenumber": "3",
        "addr:postcode": "37120",
        "addr:city": "Bovenden",
    }
    assert format_address(tags) == "Hauptstraße 3, 37120 Bovenden"
    assert format_address({"addr:place": "Kleindorf", "addr:housenumber": "7"}) == "Kleindorf 7"
    assert format_address({"addr:city": "Bovenden"}) == "Bovenden"
    assert format_address({}) == ""


# ----------------------------------------------------------------------- hand-made file


def test_read_places(sample_osm: Path) -> None:
    places = read_osm_features(sample_osm, CATS).places
    assert list(places.columns) == list(VILLAGE_COLUMNS)
    assert places.crs == "EPSG:4326"
    assert list(places["id"]) == ["osm:node/1", "osm:node/2"]
    assert list(places["name"]) == ["Dorfa", "Weiler"]
    assert list(places["place"]) == ["village", "hamlet"]
    assert places["osm_population"].iloc[0] == 1234.0
    assert math.isnan(places["osm_population"].iloc[1])
    assert (places.geometry.iloc[0].x, places.geometry.iloc[0].y) == (10.0, 51.0)


def test_read_pois(sample_osm: Path) -> None:
    pois = read_osm_features(sample_osm, CATS).pois.set_index("id")
    assert list(pois.reset_index().columns) == list(OFFER_COLUMNS)
    assert sorted(pois.index) == ["osm:node/5", "osm:node/6", "osm:node/7", "osm:way/100"]
    kita = pois.loc["osm:node/5"]
    assert kita["name"] == "Kita Sonnenschein"
    assert kita["category"] == "kita"
    assert kita["source"] == "osm"
    assert kita["address"] == "Hauptstraße 3, 37120 Bovenden"
    assert kita["traeger"] == "Gemeinde Dorfa"
    assert kita["opening_hours"] == "Mo-Fr 07:00-16:00"
    assert kita["geocode_quality"] == "OSM"
    assert math.isnan(kita["capacity"])
    assert pois.loc["osm:node/6", "category"] == "kinderarzt"
    # unnamed: category label + street
    assert pois.loc["osm:node/7", "name"] == "Schule Schulweg"
    assert pois.loc["osm:node/7", "address"] == "Schulweg"
    way = pois.loc["osm:way/100"]
    assert way["name"] == "Waldkita"
    assert way["category"] == "kita"
    assert way.geometry.x == pytest.approx(10.001, abs=1e-9)
    assert way.geometry.y == pytest.approx(51.001, abs=1e-9)


def test_read_addresses(sample_osm: Path) -> None:
    addr = read_osm_features(sample_osm, CATS).addresses
    assert list(addr.columns) == list(ADDRESS_COLUMNS)
    rows = sorted(addr.itertuples(index=False), key=lambda r: r.street)
    assert [(r.street, r.housenumber, r.postcode, r.city) for r in rows] == [
        ("Hauptstraße", "3", "37120", "Bovenden"),
        ("Kleindorf", "7", "37120", ""),
        ("Waldweg", "1", "", ""),
    ]
    assert (rows[0].lon, rows[0].lat) == (10.04, 51.04)
    assert rows[2].lon == pytest.approx(10.001, abs=1e-9)


def test_read_boundaries(sample_osm: Path) -> None:
    bounds = read_osm_features(sample_osm, CATS).boundaries.set_index("ags")
    assert list(bounds.reset_index().columns) == list(BOUNDARY_COLUMNS)
    assert sorted(bounds.index) == ["03159004", "09123890"]
    dorfa = bounds.loc["03159004"]
    assert dorfa["gemeinde"] == "Dorfa"
    assert dorfa["population"] == 5000.0
    assert dorfa.geometry.area == pytest.approx(0.2 * 0.2, rel=1e-9)
    assert math.isnan(bounds.loc["09123890", "population"])
    assert bounds.loc["09123890", "gemeinde"] == "Anderswo"


def test_admin_level_option(sample_osm: Path) -> None:
    assert len(read_osm_features(sample_osm, CATS, admin_level=6).boundaries) == 0


def test_read_bz2_same_as_plain(sample_osm: Path, tmp_path: Path) -> None:
    packed = tmp_path / "sample.osm.bz2"
    packed.write_bytes(bz2.compress(sample_osm.read_bytes()))
    a = read_osm_features(sample_osm, CATS)
    b = read_osm_features(packed, CATS)
    assert list(a.pois["id"]) == list(b.pois["id"])
    assert list(a.places["id"]) == list(b.places["id"])


# ----------------------------------------------------------------------- validation


def test_validate_ok(sample_osm: Path) -> None:
    validate_osm_file(sample_osm)  # one highway way: no error


def test_validate_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found") as info:
        validate_osm_file(tmp_path / "fehlt.osm.pbf")
    assert "nicht gefunden" in info.value.german


def test_validate_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "leer.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(NetworkError, match="empty") as info:
        validate_osm_file(path)
    assert "leer" in info.value.german


def test_validate_text_named_pbf(tmp_path: Path) -> None:
    path = tmp_path / "kreis.osm.pbf"
    path.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    with pytest.raises(NetworkError, match="not an OSM file") as info:
        validate_osm_file(path)
    assert "keine OSM-Datei" in info.value.german
    with pytest.raises(NetworkError, match="not an OSM file"):
        read_osm_features(path, CATS)


def _write_pbf(path: Path, n: int = 5000) -> None:
    writer = osmium.SimpleWriter(str(path))
    try:
        for i in range(1, n + 1):
            writer.add_node(Node(id=i, version=1, location=(10 + i * 1e-5, 51 + (i % 7) * 1e-5)))
        for i in range(1, n):
            writer.add_way(Way(id=i, version=1, nodes=[i, i + 1], tags={"highway": "track"}))
    finally:
        writer.close()


def test_validate_truncated_pbf(tmp_path: Path) -> None:
    path = tmp_path / "kreis.osm.pbf"
    _write_pbf(path)
    validate_osm_file(path)  # complete file is fine
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match="damaged or incomplete") as info:
        validate_osm_file(path)
    assert "beschädigt oder unvollständig" in info.value.german
    with pytest.raises(NetworkError, match="damaged or incomplete"):
        read_osm_features(path, CATS)


def test_validate_no_highways(tmp_path: Path) -> None:
    path = tmp_path / "orte.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        + _node(1, 10.0, 51.0, place="village", name="A")
        + "</osm>",
        encoding="utf-8",
    )
    with pytest.raises(NetworkError, match="no roads") as info:
        validate_osm_file(path)
    assert "keine Straßen" in info.value.german


def test_validate_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "netz.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(NetworkError, match="unknown OSM file format"):
        validate_osm_file(path)


# ----------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_north_bayreuth_real() -> None:
    path = need_shared("osm-north-bayreuth/north-bayreuth.osm.bz2")
    validate_osm_file(path)
    feats = read_osm_features(path, CATS)
    # PROVENANCE.md: 22 village, 48 hamlet, 1 isolated_dwelling, 3 kindergartens
    counts = feats.places["place"].value_counts().to_dict()
    assert counts == {"hamlet": 48, "village": 22, "isolated_dwelling": 1}
    assert feats.places["id"].is_unique
    assert (feats.pois["category"] == "kita").sum() == 3
    assert feats.pois["id"].is_unique
    assert len(feats.addresses) > 0
    assert feats.boundaries["ags"].str.fullmatch(r"\d{8}").all()


@pytest.mark.shared_data
def test_lauf_real() -> None:
    path = need_shared("osm-lauf/lauf-200115.osm.pbf")
    validate_osm_file(path)
    feats = read_osm_features(path, CATS)
    pois = feats.pois
    from_ways = pois[pois["id"].str.startswith("osm:way/")]
    # PROVENANCE.md: 7 kindergartens (ways), 13 schools (ways)
    assert (from_ways["category"] == "kita").sum() == 7
    assert (from_ways["category"] == "schule").sum() == 13
    bbox = (11.2, 49.45, 11.35, 49.55)
    x, y = pois.geometry.x, pois.geometry.y
    assert ((x > bbox[0]) & (x < bbox[2]) & (y > bbox[1]) & (y < bbox[3])).all()
