"""Tests of the fictional "Beispielkreis" generator (erreichbarkeit.demo)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Point

from erreichbarkeit.config import METRIC_CRS, WGS84, Settings, load_categories
from erreichbarkeit.demo import DemoFiles, generate_demo

CSV_HEADER = [
    "Nr", "Name", "Kategorie", "Träger", "Straße", "Hausnummer", "PLZ", "Ort",
    "Breitengrad", "Längengrad", "Kapazität", "Altersgruppen", "Öffnungszeiten",
]  # fmt: skip
CAR_HIGHWAYS = {"primary", "secondary", "tertiary", "unclassified", "residential", "service"}
TRACK_NOTE = "nur über einen landwirtschaftlichen Weg"
VALLEY_NOTE = "Sackgassental"
DEMO_CATEGORIES = {
    "kita", "grundschule", "schule", "kinderarzt", "hebamme", "familienzentrum", "beratung",
    "jugendzentrum", "bibliothek", "erziehungsberatung", "schwangerschaftsberatung",
    "fruehfoerderung", "familienbildung", "kindertagespflege", "rathaus", "kreisverwaltung",
    "jugendamt", "gesundheitsamt", "jobcenter",
}  # fmt: skip
# categories OSM has a tag for (the others come from the offer list only)
DEMO_OSM_CATEGORIES = DEMO_CATEGORIES - {"fruehfoerderung", "familienbildung", "kindertagespflege"}


@dataclass
class OsmContent:
    places: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    pois: list[dict[str, str]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    node_ids: set[int] = field(default_factory=set)


def read_osm(path: Path) -> OsmContent:
    out = OsmContent()
    for obj in osmium.FileProcessor(str(path)):
        tags = dict(obj.tags)
        if obj.is_node():
            out.node_ids.add(obj.id)
            loc = obj.location
            if "place" in tags:
                out.places.append({**tags, "lon": loc.lon, "lat": loc.lat})
            elif {"amenity", "healthcare", "office"} & tags.keys():
                out.pois.append({**tags, "lon": str(loc.lon), "lat": str(loc.lat)})
            elif "addr:street" in tags:
                out.addresses.append(tags)
        elif obj.is_way():
            out.ways.append(([n.ref for n in obj.nodes], tags))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo") / "beispielkreis")


@pytest.fixture(scope="module")
def osm(demo: DemoFiles) -> OsmContent:
    return read_osm(demo.network)


@pytest.fixture(scope="module")
def gemeinden(demo: DemoFiles) -> gpd.GeoDataFrame:
    return gpd.read_file(demo.boundaries)


@pytest.fixture(scope="module")
def offers(demo: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(demo.offers, sep=";", decimal=",", encoding="utf-8-sig", dtype={"PLZ": str})


# ----------------------------------------------------------------- files, determinism


def test_writes_all_files(demo: DemoFiles) -> None:
    for name in ("network", "boundaries", "offers", "population", "population_grid", "region"):
        assert getattr(demo, name).is_file(), name
    assert demo.network.name == "beispielkreis.osm"
    assert demo.network.stat().st_size < 5_000_000
    assert sorted(p.name for p in demo.folder.iterdir()) == [
        "angebote.csv", "aufsuchend.csv",  # demo/outreach.py
        "beispielkreis.osm", "bevoelkerung.csv", "bevoelkerungsraster.csv",
        "busse.gtfs.zip", "gemeinden.geojson", "jugendamt.toml", "kinderzahlen.csv", "region.toml",
        "sozialindikatoren.csv",  # demo/need.py
        "zustaendigkeit.csv",
    ]  # fmt: skip


def test_same_seed_gives_identical_bytes(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again")
    for name in ("network", "boundaries", "offers", "population", "population_grid", "region"):
        assert getattr(again, name).read_bytes() == getattr(demo, name).read_bytes(), name


def test_different_seed_differs(demo: DemoFiles, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "other", seed=7)
    assert other.network.read_bytes() != demo.network.read_bytes()
    assert other.offers.read_bytes() != demo.offers.read_bytes()
    assert other.boundaries.read_bytes() != demo.boundaries.read_bytes()
    # the region file only names the files: equal
    assert other.region.read_text("utf-8") == demo.region.read_text("utf-8")


def test_regenerating_into_same_folder_replaces_files(tmp_path: Path) -> None:
    first = generate_demo(tmp_path, seed=1).network.read_bytes()
    second = generate_demo(tmp_path, seed=2).network.read_bytes()
    assert first != second
    assert generate_demo(tmp_path, seed=1).network.read_bytes() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_region_toml_parses(demo: DemoFiles) -> None:
    settings = Settings.from_toml(demo.region)
    assert settings.name == "Beispielkreis (fiktiv)"
    assert settings.network == demo.network
    assert settings.boundaries == demo.boundaries
    assert settings.population == demo.population
    assert settings.population_grid == demo.population_grid
    assert settings.grid_cell_m == 250
    assert settings.offers == (str(demo.offers),)


# --------------------------------------------------------------------------- places


def test_place_counts_and_populations(osm: OsmContent) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for p in osm.places:
        by_type.setdefault(p["place"], []).append(p)
    assert 50 <= len(osm.places) <= 70
    assert len({p["name"] for p in osm.places}) == len(osm.places)  # names unique
    assert [p["name"] for p in by_type["town"]] == ["Beispielstadt"]
    assert 11_000 <= int(by_type["town"][0]["population"]) <= 13_000
    villages = [int(p["population"]) for p in by_type["village"]]
    assert sum(2_000 <= v <= 5_000 for v in villages) == 7  # the Gemeinde seats
    assert all(200 <= v <= 5_000 for v in villages)
    assert 10 <= len(by_type["hamlet"]) <= 20
    assert all(30 <= int(p["population"]) <= 150 for p in by_type["hamlet"])
    assert len(by_type["isolated_dwelling"]) == 2
    # the whole county lies around 51° N, 9° E within 35 km × 30 km
    lons = [p["lon"] for p in osm.places]
    lats = [p["lat"] for p in osm.places]
    assert min(lons) > 8.74 and max(lons) < 9.26
    assert min(lats) > 50.86 and max(lats) < 51.14


def test_special_places_are_marked(osm: OsmContent) -> None:
    track = [p for p in osm.places if TRACK_NOTE in p.get("note", "")]
    valley = [p for p in osm.places if VALLEY_NOTE in p.get("note", "")]
    assert len(track) == 1
    assert track[0]["place"] == "hamlet"
    assert 4 <= len(valley) <= 6  # two valleys of two or three villages


# ------------------------------------------------------------------------ Gemeinden


def test_gemeinden_tile_the_county(gemeinden: gpd.GeoDataFrame) -> None:
    assert gemeinden.crs == WGS84
    assert list(gemeinden["ags"]) == [f"99999{k:03d}" for k in range(1, 9)]
    assert gemeinden["gemeinde"].is_unique
    metric = gemeinden.to_crs(METRIC_CRS)
    assert metric.is_valid.all()
    outline = shapely.union_all(metric.geometry.to_numpy())
    assert outline.geom_type == "Polygon"
    assert len(outline.interiors) == 0  # no gaps
    total = float(metric.area.sum())
    assert total == pytest.approx(outline.area, rel=1e-6)  # no overlaps
    assert 700e6 < total < 1_050e6  # roughly 35 km × 30 km, an irregular outline
    for a, b in itertools.combinations(metric.geometry, 2):
        assert a.intersection(b).area < 1e-6 * total


def test_every_place_in_exactly_one_gemeinde(
    osm: OsmContent, gemeinden: gpd.GeoDataFrame, demo: DemoFiles
) -> None:
    population = dict.fromkeys(gemeinden["ags"], 0)
    for p in osm.places:
        hits = [
            ags
            for ags, geom in zip(gemeinden["ags"], gemeinden.geometry, strict=True)
            if geom.contains(Point(p["lon"], p["lat"]))
        ]
        assert len(hits) == 1, p["name"]
        population[hits[0]] += int(p["population"])
    assert dict(zip(gemeinden["ags"], gemeinden["population"], strict=True)) == population
    table = pd.read_csv(
        demo.population, sep=";", encoding="utf-8-sig", thousands=".", dtype={"AGS": str}
    )
    assert list(table.columns) == ["AGS", "Gemeinde", "Einwohner"]
    assert dict(zip(table["AGS"], table["Einwohner"], strict=True)) == population
    assert list(table["Gemeinde"]) == list(gemeinden["gemeinde"])
    raw = demo.population.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfAGS;Gemeinde;Einwohner\r\n")
    # the Kreisstadt's Gemeinde has more than 11 000 inhabitants: a thousands dot
    assert b";Beispielstadt;1" in raw and raw.split(b";Beispielstadt;")[1][2:3] == b"."


# --------------------------------------------------------------------------- offers


def test_offers_csv_is_german_spreadsheet_format(demo: DemoFiles, offers: pd.DataFrame) -> None:
    raw = demo.offers.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM
    assert b"\r\n" in raw
    assert list(offers.columns) == CSV_HEADER
    assert 55 <= len(offers) <= 70  # with a Rathaus per Gemeinde and the county's offices
    assert list(offers["Nr"]) == list(range(1, len(offers) + 1))
    assert offers["Breitengrad"].dtype == float  # decimal comma parsed
    assert offers["Breitengrad"].isna().sum() == 5  # address only
    assert (offers["Breitengrad"].isna() == offers["Längengrad"].isna()).all()
    assert offers["PLZ"].str.fullmatch(r"001\d\d").all()  # leading zeros kept as text
    assert offers["Name"].is_unique


def test_offer_categories_are_labels_or_aliases(offers: pd.DataFrame) -> None:
    cats = load_categories()
    lookup = {}
    for key, c in cats.items():
        lookup[c.label.casefold()] = key
        lookup.update({a.casefold(): key for a in c.aliases})
    keys = [lookup[k.casefold()] for k in offers["Kategorie"]]
    assert set(keys) == DEMO_CATEGORIES  # every category the demo covers is present
    is_kita = [k == "kita" for k in keys]
    assert offers.loc[is_kita, "Kapazität"].notna().all()
    assert offers.loc[[not k for k in is_kita], "Kapazität"].isna().all()
    assert offers.loc[is_kita, "Kapazität"].between(20, 150).all()
    # clustered: the Kreisstadt has more offers than any other place
    counts = offers["Ort"].value_counts()
    assert counts.index[0] == "Beispielstadt"
    assert counts.iloc[0] >= 12


def test_offers_lie_in_the_county_near_their_address(
    offers: pd.DataFrame, gemeinden: gpd.GeoDataFrame, osm: OsmContent
) -> None:
    county = shapely.union_all(gemeinden.geometry.to_numpy())
    addr = {
        (a["addr:street"], a["addr:housenumber"], a["addr:postcode"], a["addr:city"])
        for a in osm.addresses
    }
    for row in offers.itertuples(index=False):
        key = (row.Straße, str(row.Hausnummer), row.PLZ, row.Ort)
        assert key in addr, key  # every offer's address exists in OSM
        if not math.isnan(row.Breitengrad):
            assert county.contains(Point(row.Längengrad, row.Breitengrad))


def test_addresses_unique_and_in_every_village(osm: OsmContent) -> None:
    keys = [
        (a["addr:street"], a["addr:housenumber"], a["addr:postcode"], a["addr:city"])
        for a in osm.addresses
    ]
    assert len(keys) == len(set(keys))
    cities = {k[3] for k in keys}
    villages = {p["name"] for p in osm.places if p["place"] in ("town", "village", "hamlet")}
    track = next(p["name"] for p in osm.places if TRACK_NOTE in p.get("note", ""))
    assert villages - {track} <= cities


def _osm_category(tags: dict[str, str]) -> str | None:
    """First category (by ``order``) whose OSM rule matches, as the category table says."""
    for c in sorted(load_categories().values(), key=lambda c: c.order):
        for rule in c.osm:
            if all(k in tags and (v == "*" or tags[k] == v) for k, v in rule.items()):
                return c.key
    return None


def test_osm_pois_match_their_category(osm: OsmContent, offers: pd.DataFrame) -> None:
    cats = load_categories()
    lookup = {}
    for key, c in cats.items():
        lookup[c.label.casefold()] = key
        lookup.update({a.casefold(): key for a in c.aliases})
    by_address = {
        (r.Name, r.Straße, str(r.Hausnummer), r.Ort): lookup[r.Kategorie.casefold()]
        for r in offers.itertuples(index=False)
    }
    assert len(osm.pois) >= 0.5 * len(offers)
    assert len(osm.pois) < len(offers)  # OSM is incomplete, as in reality
    found = set()
    for poi in osm.pois:
        key = (poi["name"], poi["addr:street"], poi["addr:housenumber"], poi["addr:city"])
        assert _osm_category(poi) == by_address[key], poi
        found.add(by_address[key])
    assert found == DEMO_OSM_CATEGORIES


# ------------------------------------------------------------------------- network


def test_osm_topology(osm: OsmContent) -> None:
    assert all(set(nodes) <= osm.node_ids for nodes, _ in osm.ways)
    highways = {tags.get("highway") for _, tags in osm.ways}
    assert {"primary", "secondary", "tertiary", "unclassified", "residential", "track",
            "cycleway", "footway", "service"} <= highways  # fmt: skip
    primary = [t for _, t in osm.ways if t.get("highway") == "primary" and "ref" in t]
    assert {t["ref"] for t in primary} == {primary[0]["ref"]}
    assert primary[0]["ref"].startswith("B 4")
    assert any(t.get("maxspeed") == "100" for t in primary)
    assert any(t.get("maxspeed") == "DE:rural" for _, t in osm.ways)
    assert sum(t.get("oneway") == "yes" for _, t in osm.ways) == 2
    assert any("tracktype" in t for _, t in osm.ways if t.get("highway") == "track")
    agricultural = [t for _, t in osm.ways if t.get("motor_vehicle") == "agricultural"]
    assert len(agricultural) == 1

    def graph(keep: Any) -> tuple[int, int]:
        """(number of nodes, number of connected parts) of the ways ``keep`` selects."""
        pairs = [
            pair for nodes, tags in osm.ways if keep(tags) for pair in itertools.pairwise(nodes)
        ]
        index = {n: k for k, n in enumerate(sorted({n for pair in pairs for n in pair}))}
        rows = [index[a] for a, _ in pairs]
        cols = [index[b] for _, b in pairs]
        matrix = csr_array((np.ones(len(pairs)), (rows, cols)), shape=(len(index), len(index)))
        n_parts, _ = connected_components(matrix, directed=False)
        return len(index), int(n_parts)

    car_nodes, car_parts = graph(lambda t: t.get("highway") in CAR_HIGHWAYS)
    all_nodes, all_parts = graph(lambda t: True)
    assert car_parts == 1  # roads share nodes at junctions
    assert all_parts == 1
    assert all_nodes > car_nodes


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_other_seeds_produce_valid_layouts(seed: int, tmp_path: Path) -> None:
    files = generate_demo(tmp_path, seed=seed)
    content = read_osm(files.network)
    assert 50 <= len(content.places) <= 70
    assert len(gpd.read_file(files.boundaries)) == 8
    assert sum(TRACK_NOTE in p.get("note", "") for p in content.places) == 1


# --------------------------------------------------------------------------- OSRM

PROFILES = {"car": "car.lua", "bike": "bicycle.lua", "walk": "foot.lua"}


@pytest.fixture(scope="module")
def engines(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    osrm = pytest.importorskip("osrm")
    profiles = Path(osrm.__file__).parent / "share" / "profiles"
    out = tmp_path_factory.mktemp("osrm")
    engines = {}
    for mode, profile in PROFILES.items():
        base = out / mode / "beispielkreis.osrm"
        base.parent.mkdir()
        run = [sys.executable, "-m", "osrm"]
        for cmd in (
            [*run, "extract", "-p", str(profiles / profile), "-o", str(base), str(demo.network)],
            [*run, "partition", str(base)],
            [*run, "customize", str(base)],
        ):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
            assert done.returncode == 0, done.stderr + done.stdout
        engines[mode] = osrm.OSRM(
            storage_config=str(base), algorithm="MLD", use_shared_memory=False
        )
    return engines


def _table(engine: Any, coords: list[tuple[float, float]]) -> Any:
    import osrm

    return engine.Table(
        osrm.TableParameters(coordinates=coords, annotations=["duration", "distance"])
    )


@pytest.mark.slow
def test_osrm_snaps_every_village(engines: dict[str, Any], osm: OsmContent) -> None:
    coords = [(p["lon"], p["lat"]) for p in osm.places]
    track = [TRACK_NOTE in p.get("note", "") for p in osm.places]
    for mode, engine in engines.items():
        snaps = [w["distance"] for w in _table(engine, coords)["sources"]]
        for p, snap, is_track in zip(osm.places, snaps, track, strict=True):
            if mode == "car" and is_track:
                # by car the hamlet is more than a kilometre from a usable road: it is
                # flagged by the default max_snap_m = 500 m instead of being routed
                assert snap > 1_000, (mode, p["name"], snap)
            else:
                assert snap < 200, (mode, p["name"], snap)


@pytest.mark.slow
def test_osrm_routes_between_villages(engines: dict[str, Any], osm: OsmContent) -> None:
    town = next(p for p in osm.places if p["place"] == "town")
    track = next(p for p in osm.places if TRACK_NOTE in p.get("note", ""))
    coords = [(town["lon"], town["lat"]), (track["lon"], track["lat"])]
    for mode, engine in engines.items():
        result = _table(engine, coords)
        minutes = result["durations"][0][1] / 60
        km = result["distances"][0][1] / 1000
        # by car the route ends where the hamlet snaps, more than 1 km short of it
        snap_km = result["destinations"][1]["distance"] / 1000
        assert snap_km > 1.0 if mode == "car" else snap_km < 0.2
        assert km >= _km(town, track) - snap_km
        # plausible average speeds per mode
        lo, hi = {"car": (20, 90), "bike": (8, 25), "walk": (3, 7)}[mode]
        assert lo <= km / (minutes / 60) <= hi, (mode, km, minutes)


def _km(a: dict[str, Any], b: dict[str, Any]) -> float:
    dlat = math.radians(b["lat"] - a["lat"])
    dlon = math.radians(b["lon"] - a["lon"]) * math.cos(math.radians(a["lat"]))
    return 6371.0 * math.hypot(dlat, dlon)


@pytest.mark.slow
def test_osrm_dead_end_valley_is_a_detour_by_car(engines: dict[str, Any], osm: OsmContent) -> None:
    valley = [p for p in osm.places if VALLEY_NOTE in p.get("note", "")]
    for p in valley:
        neighbour = min((q for q in valley if q is not p), key=lambda q: _km(p, q))
        result = _table(
            engines["car"], [(p["lon"], p["lat"]), (neighbour["lon"], neighbour["lat"])]
        )
        km = result["distances"][0][1] / 1000
        assert km > 1.4 * _km(p, neighbour), (p["name"], neighbour["name"], km)


def test_population_grid_sums_to_the_places(demo: DemoFiles) -> None:
    """The fictional 100 m grid holds exactly the inhabitants of all places."""
    import pandas as pd

    grid = pd.read_csv(demo.population_grid, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(grid.columns) == ["x_mp", "y_mp", "Einwohner", "unter18_A"]
    assert (grid["x_mp"] % 100 == 50).all()
    assert (grid["y_mp"] % 100 == 50).all()
    pop = pd.read_csv(demo.population, sep=";", encoding="utf-8-sig", thousands=".")
    assert grid["Einwohner"].sum() == pop["Einwohner"].sum()
    assert grid["unter18_A"].between(12, 24).all()
