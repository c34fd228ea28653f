"""The per-Gemeinde choropleth: classes, tooltips, no-data and partial Gemeinden."""

from __future__ import annotations

from itertools import pairwise

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from erreichbarkeit.webmap.gemeinden import (
    SHARE_COLORS,
    add_gemeinde_layer,
    gemeinde_legend_html,
    gemeinde_shares,
    share_class,
)


def _lightness(hex_color: str) -> float:
    """CIELAB L* of an sRGB colour (D65)."""
    rgb = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


@pytest.fixture
def gemeinden() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ags": ["09999001", "09999002", "09999003", "09999004"],
         "name": ["Adorf", "Bedorf, Markt", "Cedorf", "Dedorf"]},
        geometry=[box(9.0 + i * 0.1, 51.0, 9.09 + i * 0.1, 51.09) for i in range(4)],
        crs="EPSG:4326",
    )  # fmt: skip


@pytest.fixture
def rows() -> pd.DataFrame:
    # Adorf: 30 of 200 children beyond → 15 %; Bedorf: 1 200 of 1 500 → 80 %;
    # Cedorf: none beyond, 0 %; Dedorf has no row (no children in the data)
    return pd.DataFrame(
        {"ags": ["09999001", "09999002", "09999003"],
         "share_children_beyond": [0.15, 0.80, 0.0],
         "share_children_no_offer": [0.05, 0.10, 0.0],
         "children_beyond": [30.0, 1200.0, 0.0],
         "gemeinde_partial": [False, True, False]}
    )  # fmt: skip


def test_share_classes_have_fixed_edges() -> None:
    assert [share_class(x) for x in (0.0, 0.1, 0.11, 0.25, 0.5, 0.75, 0.76, 1.0)] == [
        0, 0, 1, 1, 2, 3, 4, 4,
    ]  # fmt: skip
    assert share_class(float("nan")) is None


def test_colours_darken_steadily_for_grey_scale_print() -> None:
    lightness = [_lightness(c) for c in SHARE_COLORS]
    steps = [a - b for a, b in pairwise(lightness)]
    assert all(step > 8 for step in steps), lightness


def test_shares_classes_and_tooltips(gemeinden: gpd.GeoDataFrame, rows: pd.DataFrame) -> None:
    out = gemeinde_shares(gemeinden, rows).set_index("ags")
    assert out["share_class"].to_dict() == {
        "09999001": "1", "09999002": "4", "09999003": "0", "09999004": "keine",
    }  # fmt: skip
    assert out.loc["09999001", "tooltip"] == (
        "Adorf: 15 % (30 Kinder) – Anteil Kinder über dem Schwellenwert"
    )
    assert out.loc["09999002", "tooltip"].startswith("Bedorf, Markt: 80 % (1.200 Kinder)")
    assert "nur teilweise im Straßennetz" in out.loc["09999002", "tooltip"]
    assert out.loc["09999004", "tooltip"] == "Dedorf: keine Kinder in den Daten"
    assert not any("nan" in t.lower() or "none" in t.lower() for t in out["tooltip"])


def test_no_offer_measure(gemeinden: gpd.GeoDataFrame, rows: pd.DataFrame) -> None:
    out = gemeinde_shares(gemeinden, rows, measure="share_children_no_offer").set_index("ags")
    assert out["share_class"].tolist() == ["0", "0", "0", "keine"]
    assert out.loc["09999002", "tooltip"].endswith(
        "ohne erreichbares Angebot · Gemeinde nur teilweise im Straßennetz: Wert unvollständig"
    )


def test_layer_legend_and_partial_outline_on_the_map(
    gemeinden: gpd.GeoDataFrame, rows: pd.DataFrame
) -> None:
    m = folium.Map(location=(51.05, 9.2), zoom_start=10)
    folium.LayerControl().add_to(m)
    what = "Kita · Auto · 0–3 Jahre · Schwellenwert 15 min"
    add_gemeinde_layer(m, gemeinden, rows, what=what)
    page = m.get_root().render()
    # the layer control writes its names as JSON (ü as \u00fc)
    assert "Gemeinden: Anteil Kinder \\u00fcber dem Schwellenwert" in page
    assert "Gemeinden nur teilweise im Stra\\u00dfennetz" in page
    assert what in page and "keine Kinder in den Daten" in page
    for color in SHARE_COLORS:
        assert color in page
    # the layer control comes after the layers it lists (else the map script stops)
    assert page.rindex("L.control.layers") > page.rindex("L.geoJSON(")


def test_legend_names_every_class() -> None:
    legend = gemeinde_legend_html("share_children_beyond", "Kita · Auto")
    for text in ("bis 10 %", "über 10 % bis 25 %", "über 50 % bis 75 %", "über 75 % bis 100 %"):
        assert text in legend


def test_unknown_measure_is_refused(gemeinden: gpd.GeoDataFrame, rows: pd.DataFrame) -> None:
    with pytest.raises(KeyError):
        gemeinde_shares(gemeinden, rows, measure="median")
