"""The Land page: batch results found, shown in German and opened region by region."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from erreichbarkeit.ui.land_results import (
    BATCH_ENV,
    discover_batches,
    figures_of,
    overview_display,
)
from erreichbarkeit.ui.regions import BATCH_SUFFIX, discover_regions

LABELS = {"kita": "Kita", "kinderarzt": "Kinderarzt"}


def _overview() -> gpd.GeoDataFrame:
    # Amsel: 120 of its children beyond (12,5 %), Birken: 1 234 (40 %), Kaputt: failed
    return gpd.GeoDataFrame(
        {"region": ["99901", "99902", "99999"],
         "name": ["Amselkreis (fiktiv)", "Birkenkreis (fiktiv)", "Kaputtkreis (fiktiv)"],
         "kreis": ["99901", "99902", "99999"],
         "status": ["fertig", "fertig", "fehlgeschlagen"],
         "fehler": ["", "", "Datei fehlt"], "teilabdeckung": [False, True, True],
         "ohne_bus_bahn": [True, False, True], "sekunden": [10.0, 12.0, None],
         "beyond_kita_car": [0.125, 0.40, None], "children_beyond_kita_car": [120.0, 1234.0, None],
         "beyond_kita_walk": [0.5, 0.6, None], "children_beyond_kita_walk": [480.0, 1851.0, None]},
        geometry=[box(9, 51, 9.5, 51.4), box(9.6, 51, 10.1, 51.4), box(9, 51.5, 9.5, 51.9)],
        crs="EPSG:4326",
    )  # fmt: skip


def _batch(folder: Path) -> Path:
    folder.mkdir(parents=True)
    _overview().to_parquet(folder / "land_uebersicht.parquet", index=False)
    (folder / "landkarte.html").write_text("<html><body>Landkarte</body></html>", "utf-8")
    for rid, name in (("99901", "Amselkreis (fiktiv)"), ("99902", "Birkenkreis (fiktiv)")):
        region = folder / "regionen" / rid / "region.toml"
        region.parent.mkdir(parents=True)
        region.write_text(f'[region]\nname = "{name}"\n', "utf-8")
    return folder


def test_figures_and_german_overview_worst_first() -> None:
    overview = _overview()
    assert figures_of(overview) == [("kita", "car"), ("kita", "walk")]
    table = overview_display(overview, LABELS, category="kita", mode="car")
    assert table["Region"].tolist() == [
        "Birkenkreis (fiktiv)", "Amselkreis (fiktiv)", "Kaputtkreis (fiktiv)",
    ]  # fmt: skip
    assert table["Anteil (Kita – Auto)"].tolist() == ["40,0 %", "12,5 %", "—"]
    assert table["Kinder jenseits der Schwelle (Kita – Auto)"].tolist() == ["1.234", "120", "—"]
    assert table["Teilabdeckung"].tolist() == ["ja", "nein", "ja"]
    assert table["ohne Bus & Bahn"].tolist() == ["nein", "ja", "ja"]
    assert table["Karte"].tolist()[0] == "/karte?region=99902"
    text = table.to_string()
    assert not any(word in text for word in ("None", "nan", "NaN", "<NA>"))


def test_batches_are_found_in_the_data_folder_and_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _batch(data / "land" / "nrw")
    (data / "land" / "leer").mkdir()  # no overview: not a batch
    elsewhere = _batch(tmp_path / "extern" / "hessen")
    found = discover_batches(data, env={BATCH_ENV: str(elsewhere.parent)})
    assert [(b.label, b.path) for b in found] == [
        ("nrw", data / "land" / "nrw"), ("hessen", elsewhere),
    ]  # fmt: skip
    again = discover_batches(data, env={BATCH_ENV: str(data / "land" / "nrw")})
    assert [b.label for b in again] == ["nrw"]  # the same folder once


def test_batch_regions_join_the_region_picker(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _batch(data / "land" / "nrw")
    regions = discover_regions(data, env={})
    assert [r.label for r in regions] == [
        f"Amselkreis (fiktiv) {BATCH_SUFFIX}", f"Birkenkreis (fiktiv) {BATCH_SUFFIX}",
    ]  # fmt: skip


_SCRIPT = """
from pathlib import Path
from erreichbarkeit.ui import land_page
land_page(Path({root!r}))
"""


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_land_page_without_batches_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERREICHBARKEIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(BATCH_ENV, raising=False)
    at = AppTest.from_string(_SCRIPT.format(root=str(tmp_path)), default_timeout=60).run()
    assert not at.exception
    assert "Noch keine Land-Auswertung gefunden" in _texts(at)
    assert "erreichbarkeit batch --beispielland" in _texts(at)


def test_land_page_shows_the_batch_and_links_into_its_regions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERREICHBARKEIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(BATCH_ENV, raising=False)
    _batch(tmp_path / "data" / "land" / "nrw")
    at = AppTest.from_string(_SCRIPT.format(root=str(tmp_path)), default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="land_batch").value == str(tmp_path / "data" / "land" / "nrw")
    table = at.dataframe[0].value
    assert table["Region"].tolist()[0] == "Birkenkreis (fiktiv)"
    assert "3 Regionen" in _texts(at)
    at.selectbox(key="land_figure").set_value(("kita", "walk")).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["Anteil (Kita – zu Fuß)"].tolist() == ["60,0 %", "50,0 %", "—"]
    shown = table.astype(str).to_string()
    assert not any(word in shown for word in ("None", "nan", "NaN", "<NA>"))
