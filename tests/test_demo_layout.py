"""Tests of the demo's layouts (erreichbarkeit.demo.layout): presets, keys, ids, size."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import pytest

from erreichbarkeit.cli.main import build_parser
from erreichbarkeit.config import METRIC_CRS
from erreichbarkeit.demo import BEISPIELKREIS, LANDKREIS, DemoFiles, DemoLayout, generate_demo
from erreichbarkeit.demo.layout import PRESETS
from erreichbarkeit.errors import ErreichbarkeitError


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _osm_ids(path: Path) -> tuple[set[int], set[int], Counter[str]]:
    """Node ids, way ids and the count of place nodes by ``place`` value."""
    nodes: set[int] = set()
    ways: set[int] = set()
    places: Counter[str] = Counter()
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if isinstance(obj, osmium.osm.Node):
            nodes.add(obj.id)
            if "place" in obj.tags:
                places[obj.tags["place"]] += 1
        elif isinstance(obj, osmium.osm.Way):
            ways.add(obj.id)
            assert all(n.ref in nodes for n in obj.nodes)  # nodes come first in the file
    return nodes, ways, places


def _offers(files: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(files.offers, sep=";", dtype=str, encoding="utf-8-sig")


# ---------------------------------------------------------------- the default


def test_default_layout_gives_the_same_bytes(tmp_path: Path) -> None:
    plain = generate_demo(tmp_path / "plain", seed=2026)
    preset = generate_demo(tmp_path / "preset", seed=2026, layout=BEISPIELKREIS)
    explicit = generate_demo(tmp_path / "explicit", seed=2026, layout=DemoLayout())
    digests = _digests(plain.folder)
    assert len(digests) == 12
    assert _digests(preset.folder) == digests
    assert _digests(explicit.folder) == digests


def test_default_counts_keys_and_names(tmp_path: Path) -> None:
    """The Beispielkreis as it was before layouts: counts, keys, postcodes (seed 2026)."""
    files = generate_demo(tmp_path / "demo", seed=2026)
    nodes, ways, places = _osm_ids(files.network)
    assert places == {"village": 40, "hamlet": 15, "isolated_dwelling": 2, "town": 1}
    assert (len(nodes), len(ways)) == (2008, 367)
    assert min(nodes) == 1 and min(ways) == 1
    assert len(_offers(files)) == 62
    population = pd.read_csv(files.population, sep=";", dtype=str, encoding="utf-8-sig")
    assert population["AGS"].tolist() == [f"99999{g:03d}" for g in range(1, 9)]
    assert population["Gemeinde"].iloc[0] == "Beispielstadt"
    assert set(_offers(files)["PLZ"]) <= {f"00{g}" for g in range(101, 109)}
    assert 'name = "Beispielkreis (fiktiv)"' in files.region.read_text("utf-8")


def test_layout_keys_and_postcodes() -> None:
    assert BEISPIELKREIS.gemeinde_key(0) == "99999001"
    assert BEISPIELKREIS.postcode(7) == "00108"
    layout = DemoLayout(ags_prefix="99123", postcode_prefix="07")
    assert layout.gemeinde_key(11) == "99123012"
    assert layout.postcode(11) == "07012"
    assert BEISPIELKREIS.region_name == "Beispielkreis (fiktiv)"
    assert PRESETS["beispielkreis"] is BEISPIELKREIS
    assert PRESETS["landkreis"] is LANDKREIS


@pytest.mark.parametrize(
    "change",
    [
        {"ags_prefix": "9999"},
        {"ags_prefix": "9999x"},
        {"postcode_prefix": "00100"},
        {"n_gemeinden": 2},
        {"postcode_prefix": "0012", "n_gemeinden": 10},  # one digit left: at most 9
        {"center_lat": 40.0},
        {"osm_id_offset": -1},
        {"half_width_m": 5_000.0},
        {"n_valleys": 0},
    ],
)
def test_invalid_layout_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ErreichbarkeitError) as info:
        dataclasses.replace(BEISPIELKREIS, **change)
    assert info.value.message_de
    assert info.value.column in change


def test_cli_option_groesse() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).groesse == "beispielkreis"
    assert parser.parse_args(["demo", "--groesse", "landkreis"]).groesse == "landkreis"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--groesse", "riesig"])


# ---------------------------------------------------------- two side by side


def _neighbour(k: int) -> DemoLayout:
    """The ``k``-th of a row of small counties from west to east."""
    return dataclasses.replace(
        BEISPIELKREIS,
        name=f"Nachbarkreis{k}",
        town_name=f"Nachbarstadt{k}",
        center_lon=9.0 + 0.45 * k,
        ags_prefix=f"9999{k}",
        postcode_prefix=f"00{k}",
        osm_id_offset=10_000_000 * k,
    )


def test_two_layouts_side_by_side_share_no_ids(tmp_path: Path) -> None:
    west = generate_demo(tmp_path / "west", seed=1, layout=_neighbour(1))
    east = generate_demo(tmp_path / "east", seed=2, layout=_neighbour(2))
    nodes_w, ways_w, _ = _osm_ids(west.network)
    nodes_e, ways_e, _ = _osm_ids(east.network)
    assert min(nodes_w) == 10_000_001 and max(nodes_w) < 20_000_000
    assert min(ways_w) == 10_000_001 and max(ways_w) < 20_000_000
    assert min(nodes_e) == 20_000_001 and min(ways_e) == 20_000_001
    assert not nodes_w & nodes_e
    assert not ways_w & ways_e
    gem_w = gpd.read_file(west.boundaries)
    gem_e = gpd.read_file(east.boundaries)
    assert all(key.startswith("99991") for key in gem_w["ags"])
    assert all(key.startswith("99992") for key in gem_e["ags"])
    assert set(_offers(west)["PLZ"]) <= {f"001{g:02d}" for g in range(1, 9)}
    assert set(_offers(east)["PLZ"]) <= {f"002{g:02d}" for g in range(1, 9)}
    # each county lies around its own centre, the eastern one east of the western one
    cw = gem_w.to_crs(METRIC_CRS).dissolve().centroid.to_crs(4326).iloc[0]
    ce = gem_e.to_crs(METRIC_CRS).dissolve().centroid.to_crs(4326).iloc[0]
    assert cw.x == pytest.approx(9.45, abs=0.05)
    assert ce.x == pytest.approx(9.90, abs=0.05)
    assert cw.y == pytest.approx(51.0, abs=0.05)
    names = _offers(west)["Name"].tolist()
    assert "Kreishaus Nachbarkreis1" in names
    assert 'name = "Nachbarkreis1 (fiktiv)"' in west.region.read_text("utf-8")


# ----------------------------------------------------------------- county-sized


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("landkreis"), layout=LANDKREIS)


@pytest.mark.slow
def test_county_sized_area(county: DemoFiles) -> None:
    gemeinden = gpd.read_file(county.boundaries).to_crs(METRIC_CRS)
    area_km2 = float(gemeinden.area.sum()) / 1e6
    assert area_km2 == pytest.approx(2_000.0, rel=0.15)
    assert len(gemeinden) == LANDKREIS.n_gemeinden == 20
    assert gemeinden["ags"].tolist() == [LANDKREIS.gemeinde_key(g) for g in range(20)]
    assert all(key.startswith("99998") for key in gemeinden["ags"])


@pytest.mark.slow
def test_county_sized_villages_offers_and_buses(county: DemoFiles) -> None:
    nodes, _, places = _osm_ids(county.network)
    assert places["town"] == 1
    assert 200 <= places["village"] <= 300  # a few hundred villages …
    assert 60 <= places["hamlet"] <= 120
    assert min(nodes) == 1
    offers = _offers(county)
    assert 200 <= len(offers) <= 400  # … and offers
    assert (offers["Kategorie"].isin(["Kita", "Kindergarten"])).sum() >= 100
    assert "Kreishaus Musterkreis" in offers["Name"].tolist()
    assert set(offers["PLZ"]) <= {LANDKREIS.postcode(g) for g in range(20)}
    with zipfile.ZipFile(county.gtfs) as feed:
        routes = pd.read_csv(feed.open("routes.txt"), dtype=str)
        stops = pd.read_csv(feed.open("stops.txt"), dtype=str)
    assert routes["route_id"].is_unique
    assert len(routes) >= 15
    assert len(stops) >= 150
    assert stops["stop_name"].str.startswith("Musterstadt").sum() == 3
