"""The presentation mode of the Besprechung page and the per-Gemeinde maps.

Pure functions (label choice and order, the label collision pass run in
Node, padded extent, legends taken out of the map, the restyled layers)
with hand-made data, then the pages with Streamlit's AppTest on the
fictional Beispielkreis (presentation mode, Gemeinde map, Versorgung map).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box
from streamlit.testing.v1 import AppTest

from erreichbarkeit.ui import presentation_map as pm
from erreichbarkeit.webmap.layers import OfferLayer, VillageLayer
from erreichbarkeit.webmap.legend import Legend

APP = str(Path(__file__).resolve().parents[1] / "app.py")
NODE = shutil.which("node") or shutil.which("nodejs")


# -- which villages get a label, in which order ------------------------------------------


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    # threshold 15: Adorf 20 min and Bedorf (none reachable) are underserved,
    # Cedorf exactly 15 min is within; Dedorf is outside the analysis area
    return gpd.GeoDataFrame(
        {"name": ["Adorf", "Bedorf", "Cedorf", "Dedorf", "Edorf", "Fedorf & Co"],
         "minutes": [20.0, math.nan, 15.0, 40.0, 5.0, 3.0],
         "children": [10.0, 30.0, 50.0, 99.0, 5.0, 80.0],
         "in_area": [True, True, True, False, True, True]},
        geometry=[Point(9.0 + i / 100, 51.0 + i / 200) for i in range(6)],
        crs="EPSG:4326",
    )  # fmt: skip


def test_underserved_villages_first_by_children_then_the_largest_others(
    villages: gpd.GeoDataFrame,
) -> None:
    rows = pm.label_rows(villages, 15.0, others=2)
    assert [(r[2], r[3]) for r in rows] == [
        ("Bedorf", 1),  # 30 children, no offer reachable
        ("Adorf", 1),  # 10 children, 20 min > 15
        ("Fedorf &amp; Co", 0),  # the two largest others (escaped for HTML)
        ("Cedorf", 0),  # exactly at the threshold counts as within
    ]
    assert rows[0][:2] == [51.005, 9.01]


def test_no_other_labels_and_underserved_always(villages: gpd.GeoDataFrame) -> None:
    assert [r[2] for r in pm.label_rows(villages, 15.0, others=0)] == ["Bedorf", "Adorf"]
    # a threshold of 4 min makes every village in the area underserved except Fedorf
    names = [r[2] for r in pm.label_rows(villages, 4.0, others=0)]
    assert names == ["Cedorf", "Bedorf", "Adorf", "Edorf"]


# -- the collision pass (the JavaScript the map runs), executed in Node --------------------


def _declutter(cands: list[list[list[int]]], margin: int, frame: list[int] | None) -> list[int]:
    if NODE is None:
        pytest.skip("Node.js is not installed (needed to run the map's label pass)")
    script = (
        pm.DECLUTTER_JS
        + f"\nprocess.stdout.write(JSON.stringify(ekDeclutter({json.dumps(cands)}, "
        + f"{json.dumps(margin)}, {json.dumps(frame)})));"
    )
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True)
    return [int(x) for x in json.loads(out.stdout)]


def test_collision_pass_keeps_the_first_of_overlapping_labels() -> None:
    boxes = [
        [0, 0, 50, 10],  # placed
        [40, 5, 90, 15],  # overlaps the first: hidden
        [60, 0, 100, 10],  # overlaps only the hidden one: placed
        [0, 11, 50, 21],  # 1 px below the first, margin 2: hidden
        [0, 13, 50, 23],  # 3 px below the first: placed
    ]
    one_place = [[b] for b in boxes]
    assert _declutter(one_place, 2, None) == [0, -1, 0, -1, 0]
    assert _declutter(one_place, 0, None) == [0, -1, 0, 0, -1]


def test_collision_pass_tries_the_second_place() -> None:
    cands = [
        [[100, 0, 150, 10]],  # placed right of its dot
        [[120, 0, 170, 10], [60, 0, 110, 10], [0, 20, 50, 30]],  # both overlap: 3rd place
        [[200, 0, 250, 10], [140, 0, 190, 10]],  # first place is free
        [[100, 0, 150, 10], [40, 0, 90, 10]],  # right taken: left of its dot
    ]
    assert _declutter(cands, 2, None) == [0, 2, 0, 1]


def test_collision_pass_hides_labels_leaving_the_map() -> None:
    cands = [[[90, 0, 120, 10]], [[0, 0, 30, 10]], [[90, 20, 120, 30], [50, 20, 80, 30]]]
    assert _declutter(cands, 2, [0, 0, 100, 100]) == [-1, 0, 1]


# -- extent, legends, restyled layers ------------------------------------------------------


def test_padded_bounds() -> None:
    assert pm.padded_bounds((9.0, 51.0, 10.0, 51.5), 0.02) == pytest.approx(
        (8.98, 50.99, 10.02, 51.51)
    )
    # a single point gets about 1 km around it
    assert pm.padded_bounds((9.0, 51.0, 9.0, 51.0)) == pytest.approx((8.985, 50.99, 9.015, 51.01))


def _map_with_layers() -> folium.Map:
    m = folium.Map(location=[51.0, 9.0], zoom_start=10, tiles=None)
    m.fit_bounds([[50.0, 8.0], [52.0, 10.0]])
    VillageLayer([[51.0, 9.0, 0, 0, "A", "A"]], name="Orte").add_to(m)
    VillageLayer([[51.1, 9.1, 0, 0, "B", "B"]], name="Orte außerhalb").add_to(m)
    OfferLayer([[51.0, 9.01, 0, "Kita", "Kita"]], ["<b>K</b>"]).add_to(m)
    Legend("<div>Minuten</div>").add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_fit_replaces_the_extent_with_fractional_zoom() -> None:
    m = pm.fit_to(_map_with_layers(), (9.0, 51.0, 10.0, 51.5))
    page = m.get_root().render()
    assert page.count(".fitBounds(") == 1
    assert "[[51.0, 9.0], [51.5, 10.0]]" in page
    assert '"padding": [6, 6]' in page
    assert re.search(r'"zoomSnap": 0\.1\b', page)


def test_legends_leave_the_map_and_layers_are_restyled() -> None:
    m = _map_with_layers()
    assert pm.take_legends(m) == ["<div>Minuten</div>"]
    pm.restyle_for_presentation(m, [[51.0, 9.0, "Adorf", 1]])
    page = m.get_root().render()
    assert "ek-legend" not in page
    assert '{"radius":9,"weight":2,"color":"#111111","fillOpacity":1.0}' in page
    assert page.count('"radius":9') == 1  # not the villages outside the area
    assert '"ekOffersLow"' in page and "ek-offer-small" in page
    assert '[[51.0,9.0,"Adorf",1]]' in page and "ekDeclutter(" in page
    # the layer control comes last: it names the label layer
    assert page.rindex("L.control.layers") > page.index("Ortsnamen") - 2000
    assert page.rindex("L.control.layers") > page.rindex('"Adorf"')


def test_layer_legends_stay_in_the_map_and_the_control_folds() -> None:
    from erreichbarkeit.webmap.need import LayerLegend

    m = _map_with_layers()
    layer = next(c for c in m._children.values() if isinstance(c, VillageLayer))
    LayerLegend("<div>Bedarf</div>", layers=[layer], position="bottomleft").add_to(m)
    assert pm.take_legends(m) == ["<div>Minuten</div>"]  # only the always-shown legend
    page = pm.collapse_layer_control(m).get_root().render()
    assert "Bedarf" in page and "Minuten" not in page
    assert '"collapsed": true' in page


def test_gemeinde_labels_largest_first_inside_the_polygon() -> None:
    b = gpd.GeoDataFrame(
        {"ags": ["1", "2"], "gemeinde": ["Klein", "Groß & Weit"]},
        geometry=[box(9.0, 51.0, 9.1, 51.1), box(9.1, 51.0, 9.4, 51.2)],
        crs="EPSG:4326",
    )
    rows = pm.gemeinde_label_rows(b)
    assert [r[2:] for r in rows] == [["Groß &amp; Weit", 0], ["Klein", 0]]
    assert box(9.1, 51.0, 9.4, 51.2).contains(Point(rows[0][1], rows[0][0]))


def test_gemeinde_rows_of_one_category_and_mode() -> None:
    class _View:
        mode = "car"
        gemeinden = pd.DataFrame(
            {"ags": ["1", "1", "2"], "category": ["kita", "kita", "kita"],
             "mode": ["car", "walk", "car"], "share_children_beyond": [0.1, 0.9, 0.2]}
        )  # fmt: skip

    rows = pm.gemeinde_rows(_View(), "kita")  # type: ignore[arg-type]
    assert rows["share_children_beyond"].tolist() == [0.1, 0.2]


def test_gemeinde_layer_takes_the_runs_boundary_names() -> None:
    from erreichbarkeit.webmap.gemeinden import gemeinde_shares

    b = gpd.GeoDataFrame(
        {"ags": ["1"], "gemeinde": ["Adorf"]}, geometry=[box(9, 51, 9.1, 51.1)], crs="EPSG:4326"
    )
    rows = pd.DataFrame({"ags": ["1"], "share_children_beyond": [0.3], "children_beyond": [3.0]})
    out = gemeinde_shares(b, rows)
    tip = "Adorf: 30 % (3 Kinder) – Anteil Kinder über dem Schwellenwert"
    assert out["tooltip"].tolist() == [tip]


# -- the pages (AppTest on the Beispielkreis) ----------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("presdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def warm(data_dir: Path) -> Path:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception, at.exception
    return data_dir


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page of ``st.navigation`` by its url path (see tests/test_app.py)."""
    pages = at._registered_pages
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    return at.run()


def _page(url_path: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _goto(at, url_path)
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [m.label + " " + str(m.value) + " " + str(m.help) for m in at.metric]
    parts += [s.label for s in at.selectbox] + [str(s.value) for s in at.selectbox]
    return " ".join(parts)


def _map_scripts(at: AppTest) -> list[str]:
    return [
        str(json.loads(el.proto.json_args)["script"])
        for el in at.main.get("component_instance")
        if "script" in json.loads(el.proto.json_args)
    ]


@pytest.mark.slow
def test_presentation_mode_page(warm: Path) -> None:
    at = _page("besprechung", pm_on=True)
    assert [s.label for s in at.main.selectbox][:3] == ["Kategorie", "Verkehrsmittel", "Gemeinde"]
    labels = [m.label for m in at.metric]
    assert re.fullmatch(r"Kinder ≤ \d+ min", labels[0]), labels
    assert labels[1:4] == [labels[0].replace("≤", ">"), "Orte unterversorgt", "Median"]
    assert all(len(label) <= 20 for label in labels)  # short: never cut off at 1280 px
    text = _texts(at)
    assert "None" not in text and "nan" not in text.lower().split()
    scripts = _map_scripts(at)
    assert len(scripts) == 1
    assert "≤ 5 min" not in scripts[0]  # the legend of the minutes is beside the map
    assert "ekDeclutter(" in scripts[0] and '"zoomSnap": 0.1' in scripts[0]
    legend_html = " ".join(str(h.proto.body) for h in at.main.get("html"))
    assert "nicht erreichbar" in legend_html
    # the control bar writes the shared choices: walking, then the rest of the app has it
    at.main.selectbox(key="pm_mode").set_value("walk").run()
    assert not at.exception, at.exception
    assert at.session_state["mode"] == "walk"
    assert at.sidebar.radio(key="mode").value == "walk"
    gemeinde = at.main.selectbox(key="pm_extent")
    gemeinde.select_index(1).run()
    assert not at.exception, at.exception
    assert at.session_state["extent"] != ""
    # the Gemeinde map in presentation mode
    at.main.radio(key="meeting_map_kind").set_value("gemeinden").run()
    assert not at.exception, at.exception
    scripts = _map_scripts(at)
    assert "Anteil Kinder über dem Schwellenwert" in scripts[0]
    legend_html = " ".join(str(h.proto.body) for h in at.main.get("html"))
    assert "keine Kinder in den Daten" in legend_html and "zu Fuß" in legend_html


@pytest.mark.slow
def test_gemeinde_map_on_the_meeting_and_supply_pages(warm: Path) -> None:
    at = _page("besprechung", meeting_map_kind="gemeinden")
    scripts = _map_scripts(at)
    assert "% (" in scripts[0] and "– Anteil Kinder über dem Schwellenwert" in scripts[0]
    assert "ek-layer-legend" in scripts[0]
    assert "None" not in _texts(at)
    at = _page("versorgung")
    assert "Karte je Gemeinde" in [s.value for s in at.subheader]
    scripts = _map_scripts(at)
    assert any("– Anteil Kinder über dem Schwellenwert" in s for s in scripts)
