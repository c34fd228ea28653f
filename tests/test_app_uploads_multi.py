"""Several uploaded offers lists at once on the Karte page (AppTest, no browser).

The app runs on the built-in fictional Beispielkreis (as in ``test_app.py``);
each test uploads small hand-written CSV files in German format.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit.config import WGS84, Settings, age_column, load_categories
from erreichbarkeit.io import RowProblem
from erreichbarkeit.results import Results
from erreichbarkeit.ui import upload_widget
from erreichbarkeit.ui.uploads import ActiveList, UploadOutcome, combine_lists, handle_upload
from erreichbarkeit.ui.views import ViewData

APP = str(Path(__file__).resolve().parents[1] / "app.py")

# a point inside the Beispielkreis (the valid row of tests/test_app.py's BAD_CSV)
LAT, LON = "50,988231", "9,015862"
LIST_A = (
    "Nr;Name;Kategorie;Breitengrad;Längengrad\n"
    f"K1;Kita Sonnenschein;Kita;{LAT};{LON}\n"
    "K2;Irgendwas;Zahnarzt;51,0;9,0\n"
).encode()
LIST_B = (
    "Nr;Name;Kategorie;Breitengrad;Längengrad\n"
    f"K1;Tagesmutter Erna;Kindertagespflege;{LAT};{LON}\n"
    f"K2;Kita Regenbogen;Kita;{LAT};{LON}\n"
    "K3;Kita Kaputt;Kita;abc;9,0\n"
    "K4;Kita Leer;Kita;;\n"
).encode()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("appdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def prepared(data_dir: Path) -> Path:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception, at.exception
    return data_dir


@pytest.fixture(scope="module")
def results(prepared: Path) -> Results:
    region = prepared / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=prepared / "cache"))


@pytest.fixture
def app(prepared: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def _uploader(at: AppTest) -> Any:
    """The Karte page's uploader (``upload_file``, after each upload ``upload_file_<n>``)."""
    found = [u for u in at.file_uploader if str(u.key).startswith("upload_file")]
    assert len(found) == 1
    return found[0]


def _upload(at: AppTest, name: str, raw: bytes) -> AppTest:
    key = _uploader(at).key
    _uploader(at).set_value((name, raw, "text/csv")).run()
    assert not at.exception, at.exception
    # the file was read: an empty uploader under a new key takes the next file
    assert _uploader(at).key != key
    assert not _uploader(at).value
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _problems(at: AppTest) -> pd.DataFrame:
    tables = [t.value for t in at.table]
    assert len(tables) == 1, "exactly one problems table is shown"
    frame: pd.DataFrame = tables[0]
    return frame


def test_two_uploads_are_both_active_and_merged(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    token_a = app.session_state["upload"]["token"]
    _upload(app, "liste b.csv", LIST_B)
    upload = app.session_state["upload"]
    # both lists listed, each with its figures and categories
    assert upload["lists"] == ("liste a.csv", "liste b.csv")
    text = _texts(app)
    assert "**Aktive Listen (2)**" in text
    assert "1 gültiges Angebot · 1 Zeile mit Meldungen · Kategorien: Kita" in text
    assert "2 gültige Angebote · 2 Zeilen mit Meldungen · Kategorien: Kita, Kindertagespflege" in (
        text
    )
    # ids of the two lists do not clash, although both files use K1 and K2
    assert upload["offers"]["id"].tolist() == ["upload:1:K1", "upload:2:K1", "upload:2:K2"]
    assert set(upload["travel_times"]["destination_id"]) == set(upload["offers"]["id"])
    # the view data of the page has the region's offers plus all three
    merged: ViewData = app.session_state["_merged"][1]
    assert merged.offers["id"].tolist()[-3:] == ["upload:1:K1", "upload:2:K1", "upload:2:K2"]
    assert "kindertagespflege" in set(merged.offers["category"])
    # the memo key follows the set of lists
    assert upload["token"] != token_a
    assert app.session_state["_merged"][0][0] == upload["token"]
    # the section stays open and shows the newest list's messages
    assert app.session_state["upload_open"] is True
    problems = _problems(app)
    assert problems["Datei"].tolist() == ["liste b.csv", "liste b.csv"]
    assert problems["Zeile"].tolist() == ["4", "5"]
    assert problems["Spalte"].tolist()[0] == "Breitengrad"
    assert "keine Zahl" in problems["Meldung"].iloc[0]
    assert any("2 Angebote aus „liste b.csv“" in s.value for s in app.success)


def test_messages_of_an_older_list_can_be_reopened(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    _upload(app, "liste b.csv", LIST_B)
    app.button(key="upload_show_1").click().run()
    problems = _problems(app)
    assert problems["Datei"].tolist() == ["liste a.csv"]
    assert problems["Zeile"].tolist() == ["3"]
    assert "Unbekannte Kategorie „Zahnarzt“" in problems["Meldung"].iloc[0]
    assert "Meldungen zu „liste a\\.csv“" in _texts(app)
    assert app.button(key="upload_show_1").disabled
    assert not app.button(key="upload_show_2").disabled


def test_the_same_file_twice_is_counted_once(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    token = app.session_state["upload"]["token"]
    _upload(app, "kopie.csv", LIST_A)  # other name, same content
    upload = app.session_state["upload"]
    assert upload["lists"] == ("liste a.csv",)
    assert upload["offers"]["id"].tolist() == ["upload:1:K1"]
    assert upload["token"] == token
    notices = [i.value for i in app.info if "kopie.csv" in i.value]
    assert notices == [
        "„kopie.csv“ ist bereits aktiv (gleicher Inhalt wie die Liste „liste a.csv“) – "
        "sie wird nicht doppelt gezählt."
    ]


def test_the_same_file_under_the_same_name_is_named_once(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    _upload(app, "liste a.csv", LIST_A)
    assert app.session_state["upload"]["lists"] == ("liste a.csv",)
    notices = [i.value for i in app.info if "bereits aktiv" in i.value]
    assert notices == ["„liste a.csv“ ist bereits aktiv – die Liste wird nicht doppelt gezählt."]


def test_lists_are_removed_one_by_one_and_all_at_once(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    _upload(app, "liste b.csv", LIST_B)
    token_ab = app.session_state["upload"]["token"]
    app.button(key="upload_remove_1").click().run()
    assert not app.exception
    upload = app.session_state["upload"]
    assert upload["lists"] == ("liste b.csv",)
    assert upload["offers"]["id"].tolist() == ["upload:2:K1", "upload:2:K2"]
    assert upload["token"] != token_ab
    assert "**Aktive Listen (1)**" in _texts(app)
    assert "upload:1:K1" not in set(app.session_state["_merged"][1].offers["id"])
    # another run reads nothing again
    app.run()
    assert app.session_state["upload"]["lists"] == ("liste b.csv",)
    app.button(key="upload_remove_all").click().run()
    assert not app.exception
    assert "upload" not in app.session_state
    assert "upload_lists" not in app.session_state
    assert "Aktive Listen" not in _texts(app)
    # a list removed before can be uploaded again; it gets a new number
    _upload(app, "liste a.csv", LIST_A)
    assert app.session_state["upload"]["offers"]["id"].tolist() == ["upload:3:K1"]


def _kita_at(name: str, village: Any) -> bytes:
    lat, lon = f"{village.geometry.y:.6f}", f"{village.geometry.x:.6f}"
    return f"Name;Kategorie;Breitengrad;Längengrad\n{name};Kita;{lat};{lon}\n".replace(
        ".", ","
    ).encode()


def _two_far_villages(results: Results) -> tuple[Any, Any]:
    """Two villages with young children beyond 10 min by car, far apart."""
    v = results.villages
    v = v[(v["kita_car_min"] > 10) & (v[age_column("0-3")] > 0)]
    v = v.sort_values("kita_car_min", ascending=False, kind="mergesort")
    first = v.iloc[0]
    dist = v.to_crs(3035).distance(v.to_crs(3035).geometry.iloc[0])
    return first, v.loc[dist.idxmax()]


def test_kpis_count_the_offers_of_every_list(app: AppTest, results: Results) -> None:
    """Children beyond the threshold (Kita, car, 0–3 years, 10 min) fall with each list."""

    def beyond(at: AppTest) -> int:
        return int(at.metric[1].value.replace(".", ""))

    a, b = _two_far_villages(results)
    list_a, list_b = _kita_at("Kita Nord", a), _kita_at("Kita Süd", b)
    before = beyond(app)
    with_a = beyond(_upload(app, "nord.csv", list_a))
    with_ab = beyond(_upload(app, "sued.csv", list_b))
    assert with_ab < with_a < before
    app.button(key="upload_remove_1").click().run()
    only_b = beyond(app)
    assert with_ab < only_b < before
    # the same as list B alone in a fresh session: nothing of list A is left in a memo
    fresh = AppTest.from_file(APP, default_timeout=90).run()
    assert beyond(_upload(fresh, "sued.csv", list_b)) == only_b
    app.button(key="upload_remove_all").click().run()
    assert beyond(app) == before


def test_buttons_are_german(app: AppTest) -> None:
    _upload(app, "liste a.csv", LIST_A)
    labels = {b.key: b.label for b in app.button}
    assert labels["upload_remove_1"] == "Entfernen"
    assert labels["upload_remove_all"] == "Alle entfernen"
    assert labels["upload_show_1"] == "Meldungen zeigen"


# --- without Streamlit ---------------------------------------------------------------


def test_upload_categories_come_from_the_region_table(tmp_path: Path) -> None:
    """Only the categories of the table passed in are accepted (no fixed list)."""
    table = {"kindertagespflege": load_categories()["kindertagespflege"]}
    raw = (
        "Name;Kategorie;Breitengrad;Längengrad\n"
        f"Tagesmutter Erna;Kindertagespflege;{LAT};{LON}\n"
        f"Tagesvater Paul;Tagesvater;{LAT};{LON}\n"
        f"Kita Regenbogen;Kita;{LAT};{LON}\n"
    ).encode()
    out = handle_upload(raw, "l.csv", workdir=tmp_path, categories=table, id_prefix="upload:7:")
    assert out.error is None
    assert out.offers["category"].tolist() == ["kindertagespflege", "kindertagespflege"]
    assert out.offers["id"].tolist() == ["upload:7:l.csv:2", "upload:7:l.csv:3"]
    assert [(p.row, p.column) for p in out.problems] == [(4, "Kategorie")]
    assert "Kindertagespflege" in out.problems[0].message_de
    assert "Kita," not in out.problems[0].message_de


# --- the union without Streamlit -------------------------------------------------


def _list(number: int, ids: list[str], token: str, *, error: str | None = None) -> ActiveList:
    offers = gpd.GeoDataFrame(
        {"id": ids, "name": ids, "category": ["kita"] * len(ids)},
        geometry=[Point(9.0, 51.0)] * len(ids),
        crs=WGS84,
    )
    tt = pd.DataFrame({"origin_id": ["o"] * len(ids), "destination_id": ids, "minutes": 1.0})
    problem = RowProblem(f"l{number}.csv", 2, "Name", "bad", "schlecht", "error")
    outcome = UploadOutcome(f"l{number}.csv", offers, (problem, problem), error)
    if error is not None:
        return ActiveList(number, f"d{number}", outcome, token=token)
    return ActiveList(number, f"d{number}", outcome, tt, tt.iloc[:0], token)


def test_combine_lists_is_the_union_with_a_token_of_the_set() -> None:
    a, b = _list(1, ["upload:1:x"], "ta"), _list(2, ["upload:2:x", "upload:2:y"], "tb")
    broken = _list(3, ["upload:3:z"], "tc", error="kaputt")
    assert combine_lists([]) is None
    ab = combine_lists([a, b])
    assert ab is not None
    assert ab["offers"]["id"].tolist() == ["upload:1:x", "upload:2:x", "upload:2:y"]
    assert ab["travel_times"]["destination_id"].tolist() == ab["offers"]["id"].tolist()
    assert ab["transit"] is None
    assert ab["outcome"] is b.outcome
    assert ab["lists"] == ("l1.csv", "l2.csv")
    # a failed list is listed but adds no offer; the token still changes
    abc = combine_lists([a, b, broken])
    assert abc is not None
    assert abc["offers"]["id"].tolist() == ab["offers"]["id"].tolist()
    tokens = {ab["token"], abc["token"], combine_lists([a])["token"], combine_lists([b])["token"]}  # type: ignore[index]
    assert len(tokens) == 4
    assert broken.n_offers == 0 and broken.n_problem_rows == 1
    assert upload_widget.upload_token(ab) == ab["token"]
    assert upload_widget.upload_token(None) is None
