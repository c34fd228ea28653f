"""The Karte map updates without reloading: what stays fixed and what is swapped.

streamlit-folium reloads the whole map (a new iframe, every layer parsed and
drawn again) when the map's script changes, and swaps a
``feature_group_to_add`` in the map already shown.  These tests hold the
split: the chosen village lives in that group, everything the sidebar
changes lives in the script.  Plus the map layers' rendering, which adds
their texts as they are (no second Jinja pass over the data).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pytest
import shapely
import streamlit_folium
from streamlit.testing.v1 import AppTest

from erreichbarkeit import webmap
from erreichbarkeit.webmap.selection import selection_group

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _villages(names: tuple[str, str] = ("Altdorf", "Buchheim")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["v1", "v2"], "name": list(names), "minutes": [4.0, float("nan")]},
        geometry=[shapely.Point(9.9, 51.5), shapely.Point(9.95, 51.52)],
        crs=4326,
    )


def _rings(group: folium.FeatureGroup) -> list[folium.CircleMarker]:
    return [c for c in group._children.values() if isinstance(c, folium.CircleMarker)]


def test_selection_group_rings_only_the_chosen_village() -> None:
    ring = _rings(selection_group(_villages(), "v2"))
    assert len(ring) == 1
    assert ring[0].location == [51.52, 9.95]
    assert ring[0].options["fill"] is False  # a click inside reaches the village's own dot
    assert _rings(selection_group(_villages(), None)) == []
    assert _rings(selection_group(_villages(), "unbekannt")) == []


def test_selection_group_takes_any_crs() -> None:
    ring = _rings(selection_group(_villages().to_crs(25832), "v1"))
    assert ring[0].location == pytest.approx([51.5, 9.9], abs=1e-6)


@pytest.mark.parametrize("name", ["Kita {{ 7*7 }}", "Hort {% raw %}", "Treff {# x"])
def test_names_that_look_like_templates_are_drawn_as_they_are(name: str) -> None:
    # branca renders a layer's script and then compiles that text once more as a
    # Jinja template: „{{ 7*7 }}“ in a name became „49“, „{%“ broke the map
    villages = _villages((name, "Buchheim"))
    offers = gpd.GeoDataFrame(
        {"id": ["o1"], "name": [name], "category": ["kita"]},
        geometry=[shapely.Point(9.91, 51.5)],
        crs=4326,
    )
    html = webmap.map_html(webmap.build_map(villages, offers=offers))
    assert name.replace("<", "\\u003c") in html or name in html
    assert "Kita 49" not in html


# -- the dashboard ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("mapupdate")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What st_folium sends to the browser, one dict per drawn map."""
    calls: list[dict[str, Any]] = []
    real = streamlit_folium._component_func

    def record(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(streamlit_folium, "_component_func", record)
    return calls


def test_choosing_a_village_keeps_the_map_and_moves_the_ring(
    data_dir: Path, sent: list[dict[str, Any]]
) -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="village")
    first, second = box.options[0], box.options[1]
    box.set_value(first).run()
    a = sent[-1]
    at.selectbox(key="village").set_value(second).run()
    b = sent[-1]
    # the same component key: the browser keeps the map and only swaps the group
    assert a["key"] == b["key"]
    assert a["script"] != "" and a["feature_group"] != b["feature_group"]
    assert "circleMarker" in a["feature_group"] and "circleMarker" in b["feature_group"]
    # a sidebar change changes the script: the check above can fail
    mode = at.sidebar.radio(key="mode")
    other = "walk" if mode.value != "walk" else "car"
    mode.set_value(other).run()
    assert at.session_state["mode"] == other
    assert sent[-1]["key"] != b["key"]
