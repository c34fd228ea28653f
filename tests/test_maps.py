"""Tests of the folium map builder (no Streamlit, no browser)."""

from __future__ import annotations

import html
import json
import math
import re

import folium
import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from erreichbarkeit import webmap
from erreichbarkeit.config import load_categories


def test_classify_minutes_bins_are_closed_on_the_right() -> None:
    x = [0.0, 5.0, 5.01, 10.0, 12.0, 20.0, 30.0, 30.5, math.nan]
    assert webmap.classify_minutes(x).tolist() == [0, 0, 1, 1, 2, 3, 4, 5, -1]


def test_classify_minutes_scalar_and_own_edges() -> None:
    assert int(webmap.classify_minutes(7.5, (10.0, 20.0))) == 0
    assert int(webmap.classify_minutes(25.0, (10.0, 20.0))) == 2
    assert int(webmap.classify_minutes(np.nan, (10.0, 20.0))) == -1


def test_bin_labels_german() -> None:
    assert webmap.bin_labels() == [
        "≤ 5 min",
        "5–10 min",
        "10–15 min",
        "15–20 min",
        "20–30 min",
        "> 30 min",
    ]
    assert webmap.bin_labels((7.5, 15)) == ["≤ 7,5 min", "7,5–15 min", "> 15 min"]


def test_minutes_color() -> None:
    assert webmap.minutes_color(3) == webmap.BIN_COLORS[0]
    assert webmap.minutes_color(12) == webmap.BIN_COLORS[2]
    assert webmap.minutes_color(99) == webmap.BIN_COLORS[5]
    assert webmap.minutes_color(math.nan) == webmap.UNREACHABLE_COLOR


@pytest.fixture
def small_map_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    villages = gpd.GeoDataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["Oberdorf", "Unterdorf", "Einödhof"],
            "gemeinde": ["Musterhausen"] * 3,
            "minutes": [3.0, 12.0, math.nan],
            "km": [2.0, 9.5, math.nan],
            "nearest": ["Kita Sonnenschein", "Kita Sonnenschein", None],
            "children": [12.0, 30.0, 1.0],
            "reason": ["", "", "kein Angebot erreichbar"],
        },
        geometry=[Point(9.0, 51.0), Point(9.05, 51.02), Point(9.1, 50.98)],
        crs="EPSG:4326",
    )
    offers = gpd.GeoDataFrame(
        {
            "id": ["o1", "o2"],
            "name": ["Kita Sonnenschein", "<script>alert(1)</script>"],
            "category": ["kita", "familienzentrum"],
            "traeger": ["Gemeinde Musterhausen", ""],
            "address": ["Hauptstraße 1, 00101 Musterhausen", ""],
            "opening_hours": ["Mo–Fr 7–16 Uhr", ""],
            "age_groups": ["1–6 Jahre", ""],
        },
        geometry=[Point(9.01, 51.0), Point(9.02, 51.01)],
        crs="EPSG:4326",
    )
    boundaries = gpd.GeoDataFrame(
        {"ags": ["99999001"], "gemeinde": ["Musterhausen"]},
        geometry=[box(8.95, 50.95, 9.15, 51.05)],
        crs="EPSG:4326",
    )
    return villages, offers, boundaries


def _rows(page: str) -> list[list[object]]:
    """The data rows of every JSON-backed marker layer in a map page, in order."""
    return [json.loads(m) for m in re.findall(r"var rows = (\[.*?\])(?:;\n|, pane = )", page)]


def test_build_map_one_marker_per_village_legend_and_offline(small_map_inputs) -> None:  # type: ignore[no-untyped-def]
    villages, offers, boundaries = small_map_inputs
    m = webmap.build_map(
        villages,
        offers=offers,
        boundaries=boundaries,
        categories=load_categories(),
        legend_title="Minuten zur nächsten Kita (Auto)",
        selected_id="v2",
    )
    page = webmap.map_html(m)
    village_rows, offer_rows = _rows(page)
    assert len(village_rows) == 3
    assert len(offer_rows) == 2
    # [lat, lon, class, selected, tooltip, popup]; class 6 = "nicht erreichbar"
    assert [r[:4] for r in village_rows] == [
        [51.0, 9.0, 0, 0],
        [51.02, 9.05, 2, 1],
        [50.98, 9.1, 6, 0],
    ]
    colours = [*webmap.BIN_COLORS, webmap.UNREACHABLE_COLOR]
    assert f"var colors = {json.dumps(colours, separators=(',', ':'))};" in page
    assert "Minuten zur nächsten Kita (Auto)" in page
    for label in [*webmap.bin_labels(), "nicht erreichbar", "Kita", "Familienzentrum"]:
        assert html.escape(label) in page
    # popups
    assert "Gemeinde Musterhausen" in page
    assert "Mo–Fr 7–16 Uhr" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in offer_rows[1][3]
    # offline: no external script or stylesheet, Leaflet embedded
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page) == []
    assert 'src="data:text/javascript;base64,' in page
    # folium's own class-level defaults are untouched (other maps keep working)
    assert folium.Map.default_js[0][1].startswith("https://")


def test_layers_in_control_and_roads_below_villages(small_map_inputs) -> None:  # type: ignore[no-untyped-def]
    villages, offers, boundaries = small_map_inputs
    roads = gpd.GeoDataFrame(
        {"road_class": ["primary", "minor"]},
        geometry=[LineString([(9.0, 51.0), (9.1, 51.0)]), LineString([(9.0, 51.01), (9.1, 51.01)])],
        crs="EPSG:4326",
    )
    m = webmap.build_map(villages, offers=offers, boundaries=boundaries, roads=roads)
    page = webmap.map_html(m)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.map.Layer)]
    assert names == ["Straßen", "Gemeinden", "Orte", "Angebote"]  # bottom to top
    assert '"road_class":"primary"' in page
    # the same map from the pre-serialised texts the dashboard caches
    from erreichbarkeit.report import basemap

    m2 = webmap.build_map(
        villages,
        boundaries=webmap.geojson_text(boundaries, ("ags", "gemeinde")),
        roads=basemap.roads_geojson(roads),
        bounds=(8.95, 50.95, 9.15, 51.05),
    )
    page2 = webmap.map_html(m2)
    assert '"gemeinde": "Musterhausen"' in page2 or '"gemeinde":"Musterhausen"' in page2
    assert '"road_class":"minor"' in page2


def test_legend_font_scales() -> None:
    assert "font:17px/1.5" in webmap.legend_html("T", font_px=17)
    assert "font:12px/1.5" in webmap.legend_html("T")


def test_build_map_basemap_optional(small_map_inputs) -> None:  # type: ignore[no-untyped-def]
    villages, _, _ = small_map_inputs
    assert "tile.openstreetmap.org" not in webmap.map_html(webmap.build_map(villages))
    assert "tile.openstreetmap.org" in webmap.map_html(webmap.build_map(villages, basemap=True))


def test_offer_icon_resolves_old_font_awesome_names() -> None:
    # "home" and "user-md" are Font Awesome 4/5 names used in categories.toml
    for icon in ("home", "user-md", "child"):
        assert "<svg " in webmap.offer_icon_svg(icon, "#123456")
    assert "<svg" not in webmap.offer_icon_svg("no-such-icon", "#123456")
    assert "<svg" not in webmap.offer_icon_svg("../../etc/passwd", "#123456")


# -- grid surface, bands, online base maps --------------------------------------------


def _surface(page: str) -> dict[str, list[float]]:
    match = re.search(r"var d = (\{.*?\}), colors", page)
    assert match, "no grid surface in the map"
    return dict(json.loads(match.group(1)))


@pytest.fixture
def grid_cells() -> gpd.GeoDataFrame:
    """Four 250 m INSPIRE cells in EPSG:3035: a 2 × 2 block plus one apart."""
    x0, y0 = 4_300_000.0, 3_100_000.0
    corners = [(x0, y0), (x0 + 250, y0), (x0, y0 + 250), (x0 + 1000, y0)]
    return gpd.GeoDataFrame(
        {"cell_id": ["a", "b", "c", "d"], "population": [10.0, 20.0, 0.0, 5.0]},
        geometry=[box(x, y, x + 250, y + 250) for x, y in corners],
        crs="EPSG:3035",
    )


def test_grid_surface_one_feature_per_cell_with_village_bins(grid_cells) -> None:  # type: ignore[no-untyped-def]
    minutes = [4.0, 12.5, math.nan, 31.0]
    data = json.loads(webmap.grid_surface_json(grid_cells, minutes))
    cells = np.asarray(data["c"]).reshape(-1, 5)
    assert len(cells) == 4  # one feature per cell
    # classes as for the villages; unreachable = len(BIN_COLORS)
    assert cells[:, 4].tolist() == [0, 2, 6, 5]
    # a, b and c (an L of three cells) have 8 distinct corners, d its own 4
    assert len(data["v"]) // 2 == 8 + 4
    assert len(set(cells[0, :4]) & set(cells[1, :4])) == 2  # a and b share an edge
    assert len(set(cells[0, :4]) & set(cells[3, :4])) == 0
    # corners decode to the cells' corners, counter-clockwise from the lower left
    v = np.asarray(data["v"]).reshape(-1, 2)
    lat = data["o"][0] + v[:, 0] * data["s"]
    lon = data["o"][1] + v[:, 1] * data["s"]
    to_ll = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    for row, geom in zip(cells, grid_cells.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        exp_lon, exp_lat = to_ll.transform([x0, x1, x1, x0], [y0, y0, y1, y1])
        assert np.allclose(lon[row[:4]], exp_lon, atol=0.6e-5)
        assert np.allclose(lat[row[:4]], exp_lat, atol=0.6e-5)


def test_grid_surface_rejects_wrong_length(grid_cells) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="3 minute values for 4 cells"):
        webmap.grid_surface_json(grid_cells, [1.0, 2.0, 3.0])


def test_surface_layer_below_the_vector_layers(small_map_inputs, grid_cells) -> None:  # type: ignore[no-untyped-def]
    villages, offers, boundaries = small_map_inputs
    text = webmap.grid_surface_json(grid_cells, [4.0, 12.5, math.nan, 31.0])
    m = webmap.build_map(
        villages, offers=offers, boundaries=boundaries, surface=text, surface_note="Fläche X"
    )
    page = webmap.map_html(m)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.map.Layer)]
    assert names == ["Reisezeit-Fläche", "Gemeinden", "Orte", "Angebote"]
    assert _surface(page) == json.loads(text)
    assert 'createPane("ekSurface")' in page
    assert "pane.style.zIndex = 350" in page  # below Leaflet's overlay pane (400)
    assert "interactive: false" in page
    assert "Fläche X" in page
    assert "Fläche X" not in webmap.map_html(webmap.build_map(villages, surface_note="Fläche X"))


def test_bands_layer_with_own_legend(small_map_inputs) -> None:  # type: ignore[no-untyped-def]
    villages, _, _ = small_map_inputs
    bands = gpd.GeoDataFrame(
        {"band": ["0–5", "5–10", "> 20"], "population": [10.0, 5.0, 1.0], "area_km2": [1, 2, 3]},
        geometry=[
            box(9.0, 51.0, 9.01, 51.01),
            box(9.01, 51.0, 9.02, 51.01),
            box(9.1, 51, 9.2, 51.1),
        ],
        crs="EPSG:4326",
    )
    page = webmap.map_html(webmap.build_map(villages, bands=bands, bands_title="Bänder Kita"))
    props = [f["properties"] for f in json.loads(webmap.bands_geojson(bands))["features"]]
    assert [p["color"] for p in props] == list(webmap.BAND_COLORS[:3])
    assert "Bänder Kita" in page
    assert "0–5 min" in page and "&gt; 20 min" in page
    assert 'position: "bottomleft"' in page
    # the band colours follow the bands' order (fastest first)
    c = webmap.BAND_COLORS[2]
    assert f'"> 20":{{"color":"{c}","fillColor":"{c}"}}' in page


def test_band_colors_follow_the_village_colours() -> None:
    assert (*webmap.BIN_COLORS[:4], webmap.BIN_COLORS[5]) == webmap.BAND_COLORS
    assert webmap.band_color(0) == webmap.BIN_COLORS[0]
    assert webmap.band_color(9) == webmap.BIN_COLORS[5]


def test_online_base_maps() -> None:
    v = gpd.GeoDataFrame(
        {"id": ["a"], "name": ["A"], "minutes": [1.0]}, geometry=[Point(9, 51)], crs="EPSG:4326"
    )
    offline = webmap.map_html(webmap.build_map(v, basemap="none"))
    assert "geodatenzentrum" not in offline and "tile.openstreetmap.org" not in offline
    bkg = webmap.map_html(webmap.build_map(v, basemap="basemap.de"))
    assert (
        "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/"
        "de_basemapde_web_raster_farbe/default/GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
    ) in bkg
    assert "GeoBasis-DE / BKG" in bkg
    assert "tile.openstreetmap.org" in webmap.map_html(webmap.build_map(v, basemap="osm"))
    with pytest.raises(KeyError, match="unknown basemap"):
        webmap.build_map(v, basemap="google")


def test_map_carries_title_date_and_sources(small_map_inputs) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    villages, offers, boundaries = small_map_inputs
    m = webmap.build_map(villages, offers=offers, boundaries=boundaries)
    plain = webmap.map_html(m)
    assert "Stand: " not in plain  # no caption unless asked for
    page = webmap.map_html(
        webmap.build_map(villages, offers=offers, boundaries=boundaries),
        title="Kita: Erreichbarkeit mit Auto – <Testkreis>",
        created=date(2026, 12, 5),
        sources="Quellen: © OpenStreetMap-Mitwirkende (ODbL 1.0) · Zensus 2022",
    )
    assert "Kita: Erreichbarkeit mit Auto – &lt;Testkreis&gt;" in page  # escaped
    assert "<Testkreis>" not in page
    assert "Stand: 05.12.2026" in page
    assert "© OpenStreetMap-Mitwirkende (ODbL 1.0) · Zensus 2022" in page
    assert '"topleft"' in page  # a Leaflet control on the map, not page HTML around it
