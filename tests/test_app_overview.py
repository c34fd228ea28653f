"""Issue #14 with Streamlit's AppTest: overview start, no None/nan, map click, bookmarks.

The app runs on the built-in Beispielkreis in a temporary data folder (as
``tests/test_app.py``); the village positions and minutes come from the
library's own run of the same region.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit.config import Settings
from erreichbarkeit.results import Results
from erreichbarkeit.ui import views

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("appdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def library_results(data_dir: Path) -> Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))


@pytest.fixture
def app(library_results: Results) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def _no_missing_shown(at: AppTest) -> None:
    """No table of the page can show „None“/„nan“: no missing number, no such text."""
    for element in at.dataframe:
        frame: pd.DataFrame = element.value
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                assert not values.isna().any(), f"missing number in column {col!r}"
            else:
                text = values.astype(str)
                assert not text.isin(["None", "nan", "NaN", "<NA>"]).any(), col


def test_page_opens_on_the_overview(app: AppTest) -> None:
    assert app.session_state["village"] is None
    assert app.selectbox(key="village").value is None
    text = _text(app)
    assert "Übersicht: Beispielkreis (fiktiv)" in text
    assert "Nächste Angebote von" not in text
    _no_missing_shown(app)


def test_unreachable_village_shows_dashes(app: AppTest, library_results: Results) -> None:
    cat = library_results.categories[0]
    v = library_results.villages
    lost = v[v[f"{cat}_car_min"].isna()]
    assert len(lost), "the demo has a village without a reachable offer"
    vid, name = str(lost["id"].iloc[0]), str(lost["name"].iloc[0])
    app.selectbox(key="village").set_value(vid).run()
    assert f"Nächste Angebote von {name}" in _text(app)
    near = next(d.value for d in app.dataframe if "Rang" in d.value.columns)
    assert near.iloc[0].to_dict() == {
        "Kategorie": "Kita",
        "Rang": "—",
        "Angebot": "kein Angebot erreichbar",
        "Minuten": "—",
        "km": "—",
    }
    _no_missing_shown(app)


def _villages(results: Results) -> pd.DataFrame:
    base = views.base_villages(results)
    return pd.DataFrame(
        {"id": base["id"].astype(str), "lat": base.geometry.y, "lon": base.geometry.x}
    )


def test_map_click_near_a_village_selects_it(app: AppTest, library_results: Results) -> None:
    row = _villages(library_results).iloc[3]
    lon, lat, _ = Geod(ellps="WGS84").fwd(row["lon"], row["lat"], 45.0, 120.0)  # 120 m NE
    app.session_state["karte"] = {"last_clicked": {"lat": lat, "lng": lon}}
    app.run()
    assert not app.exception
    assert app.session_state["village"] == row["id"]
    assert app.selectbox(key="village").value == row["id"]
    # the same component value on the next rerun is no new click: a choice in the box stays
    other = _villages(library_results).iloc[5]["id"]
    app.selectbox(key="village").set_value(other).run()
    assert app.session_state["village"] == other


def test_map_click_beside_the_villages_gives_a_german_note(app: AppTest) -> None:
    app.session_state["karte"] = {"last_clicked": {"lat": 10.0, "lng": 10.0}}  # far away
    app.run()
    assert not app.exception
    assert app.session_state["village"] is None
    assert "Kein Ort innerhalb von 500 m" in _text(app)


def test_url_restores_the_view(library_results: Results) -> None:
    cat = library_results.categories[0]
    vid = str(library_results.villages["id"].iloc[2])
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {
            "kategorie": cat,
            "verkehrsmittel": "walk",
            "alter": "3-6",
            "schwelle": f"{cat}:25",
            "ort": vid,
        }
    )
    at.run()
    assert not at.exception
    assert at.sidebar.radio(key="mode").value == "walk"
    assert at.sidebar.selectbox(key="age_group").value == "3-6"
    assert at.sidebar.number_input(key=f"thr_{cat}_walk").value == 25.0
    assert at.session_state["village"] == vid
    assert at.query_params["verkehrsmittel"] == "walk"  # written back into the URL


def test_bad_url_values_give_german_hints(library_results: Results) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"verkehrsmittel": "flugzeug", "schwelle": "kita:abc", "region": "x"})
    at.run()
    assert not at.exception
    hints = [w.value for w in at.warning]
    assert any(
        "„Verkehrsmittel“ den unbekannten Wert „flugzeug“; es gilt Auto." in h for h in hints
    )
    assert any("„Region“ den unbekannten Wert „x“" in h for h in hints)
    assert any("„Schwellenwert“ „kita:abc“" in h for h in hints)
    assert at.sidebar.radio(key="mode").value == "car"
    assert not math.isnan(at.sidebar.number_input(key="thr_kita_car").value)
