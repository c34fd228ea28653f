"""Bus & Bahn on paper: the Steckbrief and the print map of the mode ``pt``.

Pure functions are checked against small hand-made village tables; the
pages of the Beispielkreis are read back with pypdf and checked for the
German texts a reader needs (window, reference day, age group, the villages
without departure, the car factor) and for leaked ``nan``/``None``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import re
import struct
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pypdf import PdfReader
from shapely.geometry import LineString, Point

from erreichbarkeit.analysis.transit import NO_PT
from erreichbarkeit.cli import karte
from erreichbarkeit.cli.main import main
from erreichbarkeit.config import Settings, format_window
from erreichbarkeit.pipeline import run
from erreichbarkeit.report import mapplot
from erreichbarkeit.report.printmap import render_results_map
from erreichbarkeit.report.steckbrief import gemeinden_of, steckbrief_filename, steckbrief_pdf
from erreichbarkeit.report.steckbrief_transit import (
    factor_text,
    name_lines,
    name_list,
    transit_facts,
    transit_worst_rows,
)
from erreichbarkeit.report.transit_layers import day_de, transit_map_layers, window_caption
from erreichbarkeit.results import Results

SLOW = "Faktor über 2 (Bus & Bahn gegenüber Auto)"
WALK = "nur zu Fuß erreichbar"
RARE = "zu wenige Fahrten im Zeitfenster (Median über der Grenze)"


# -- pure functions on hand-made tables ---------------------------------------------------


@pytest.fixture
def hand() -> pd.DataFrame:
    """Four villages; ``kita`` in the morning, ``jz`` in the afternoon (way home checked)."""
    nan = math.nan
    return pd.DataFrame(
        {
            "name": ["Au", "Berg", "Dorf", "Eck"],
            "gemeinde": ["G1", "G1", "G2", "G2"],
            "children_0_3": [10.0, 30.0, 20.0, 40.0],
            "kita_pt_min": [12.0, nan, 50.0, nan],
            "kita_pt_factor": [1.5, nan, 2.5, nan],
            "kita_pt_status": ["", NO_PT, SLOW, RARE],
            "jz_pt_min": [20.0, 40.0, nan, 8.0],
            "jz_pt_factor": [2.0, 4.0, nan, 1.0],
            "jz_pt_status": ["", SLOW, NO_PT, WALK],
            "jz_pt_home_by": [True, False, False, True],
            "jz_pt_home_at": ["16:10", "", "", "15:00"],
        }
    )


def test_transit_facts_names_and_weighted_factor(hand: pd.DataFrame) -> None:
    facts = transit_facts(hand, ["kita", "jz"], age_group="0-3").set_index("category")
    kita, jz = facts.loc["kita"], facts.loc["jz"]
    assert kita["names_no_pt"] == ("Berg",)
    assert kita["names_rare"] == ("Eck",)
    assert kita["names_factor_over"] == ("Dorf",)
    # factors 1.5 (10 children), 2.5 (20), ∞ (30), ∞ (40): half of 100 lies at ∞ → no median
    assert pd.isna(kita["factor_median"])
    assert not kita["afternoon"]
    assert (kita["n_home_asked"], kita["n_home_yes"], kita["names_home_no"]) == (0, 0, ())
    # factors 1.0 (40), 2.0 (10), 4.0 (30), ∞ (20): cumulative 40, 50 → median 2.0
    assert jz["factor_median"] == pytest.approx(2.0)
    assert jz["names_no_pt"] == ("Dorf",)
    assert jz["names_factor_over"] == ("Berg",)
    assert jz["afternoon"]
    # reached: Au, Berg, Eck; home in time: Au, Eck
    assert (jz["n_home_asked"], jz["n_home_yes"], jz["names_home_no"]) == (3, 2, ("Berg",))
    assert jz["n_villages"] == 4


def test_transit_worst_rows_are_exact(hand: pd.DataFrame) -> None:
    rows, beyond = transit_worst_rows(
        hand, cats=["kita", "jz"], age_group="0-3", per_category=2, limits={"kita": 20, "jz": 30}
    )
    assert rows == [
        # unreachable first, ties by more children: Eck (40) before Berg (30)
        ["kita", "Eck", "G2", "—", "—", "zu wenige Fahrten", "—", "40"],
        ["kita", "Berg", "G1", "—", "—", "kein ÖPNV-Angebot", "—", "30"],
        ["jz", "Dorf", "G2", "—", "—", "kein ÖPNV-Angebot", "—", "20"],
        ["jz", "Berg", "G1", "40,0", "4,0", "Faktor über 2", "nein", "30"],
    ]
    assert beyond == [True, True, True, True]


def test_name_lists_are_cut_with_a_count() -> None:
    assert name_list(["Au", "Berg", "Dorf"], 20) == "Au, Berg, Dorf"
    four = ["Altdorf", "Bergheim", "Dorfen", "Eckhof"]
    assert name_list(four, 33) == "Altdorf, Bergheim, Dorfen, Eckhof"  # 33 characters
    assert name_list(four, 32) == "Altdorf … und 3 weitere"
    assert name_list(four, 22) == "4 Orte"
    assert name_list(["Au", "Berg", "Dorfmühlenhausen"], 25) == "Au, Berg … und 1 weiterer"
    assert name_list(["Langername"], 3) == "1 Ort"
    assert factor_text(2.44) == "2,4"
    assert factor_text(math.nan) == "—"


def test_name_lines_fit_the_page(hand: pd.DataFrame) -> None:
    facts = transit_facts(hand, ["kita", "jz"], age_group="0-3")
    lines = name_lines(facts, {"kita": "Kita (06:30–08:00)", "jz": "JZ (13:30–16:30)"}, "19:00")
    assert lines == [
        [  # 127 characters: one line
            "Kita (06:30–08:00): kein ÖPNV-Angebot im Zeitfenster: Berg; zu wenige Fahrten im "
            "Zeitfenster: Eck; Faktor zum Auto über 2: Dorf"
        ],
        [
            "JZ (13:30–16:30): kein ÖPNV-Angebot im Zeitfenster: Dorf; Faktor zum Auto über 2: "
            "Berg; nicht zurück bis 19:00: Berg"
        ],
    ]
    longer = name_lines(facts, {"kita": "Kita (06:30–08:00) ·", "jz": "JZ"}, "19:00")
    assert longer[0] == [  # 129 characters: wrapped, the next line indented
        "Kita (06:30–08:00) ·: kein ÖPNV-Angebot im Zeitfenster: Berg; zu wenige Fahrten im "
        "Zeitfenster: Eck; Faktor zum Auto über 2:",
        "   Dorf",
    ]
    many = pd.concat([facts] * 8, ignore_index=True)  # 16 categories: one line each
    cut = name_lines(many, {"kita": "K", "jz": "J"}, "19:00")
    assert all(len(x) == 1 and len(x[0]) <= 128 for x in cut)


def test_captions_name_window_and_day() -> None:
    assert day_de(dt.date(2026, 3, 10)) == "Di 10.03.2026"
    assert window_caption((390, 480), dt.date(2026, 3, 10)) == (
        "Abfahrt 06:30–08:00 am Di 10.03.2026"
    )
    assert window_caption((810, 990), None) == "Abfahrt 13:30–16:30"


def test_on_demand_lines_are_dashed_and_stops_split_by_departures() -> None:
    lines = gpd.GeoDataFrame(
        {"on_demand": [False, True]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(0, 500), (1000, 500)])],
        crs="EPSG:25832",
    )
    stops = gpd.GeoDataFrame(
        {"departures": [3, 0]}, geometry=[Point(0, 0), Point(500, 500)], crs="EPSG:25832"
    )
    ax = Figure().add_subplot()
    assert mapplot.draw_transit(ax, stops, lines, scale=1.0) == (True, True, True, True)
    solid, dashed = ax.collections[0], ax.collections[1]
    assert solid.get_linestyle()[0][1] is None  # type: ignore[index]  # solid: no dashes
    assert dashed.get_linestyle()[0][1] is not None  # type: ignore[index]
    served, idle = ax.collections[3], ax.collections[2]
    assert len(served.get_offsets()) == 1  # type: ignore[arg-type]
    assert len(idle.get_offsets()) == 1  # type: ignore[arg-type]
    handles, labels = mapplot.transit_handles((True, True, True, True), marker_size=8, width=1)
    assert labels == [
        "Bus-/Bahnlinie",
        "Rufbus (gestrichelt)",
        "Haltestelle mit Abfahrt\nim Zeitfenster",
        "Haltestelle ohne Abfahrt\nim Zeitfenster",
    ]
    assert len(handles) == 4
    assert mapplot.draw_transit(ax, None, None, scale=1.0) == (False, False, False, False)
    _, only_served = mapplot.transit_handles((True, False, True, False), marker_size=8, width=1)
    assert only_served == [
        "Bus-/Bahnlinie",
        "Haltestelle mit Abfahrt\nim Zeitfenster",
    ]  # no symbol not on the map


# -- the Beispielkreis --------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path, Path]:
    from erreichbarkeit.demo.beispielkreis import generate_demo

    tmp = tmp_path_factory.mktemp("report_transit")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(
        files.region, cache_dir=tmp / "cache", grid_cell_m=None, modes=("car", "pt")
    )
    return run(settings), files.region, tmp / "cache"


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def _flat(text: str) -> str:
    """Text with line breaks as spaces (names wrap at spaces)."""
    return re.sub(r"\s+", " ", text)


def _no_leaks(text: str) -> None:
    assert not re.search(r"\bnan\b|\bNone\b|\bNaN\b|\binf\b", text), text


def _gemeinde_with_no_pt(results: Results) -> tuple[str, str]:
    """A Gemeinde with a village without Kita departure in the window."""
    tg = results.transit_gemeinden
    hit = tg[(tg["category"] == "kita") & (tg["villages_no_pt"] > 0)].iloc[0]
    gem = gemeinden_of(results)
    ags = str(gem.loc[gem["gemeinde"] == hit["gemeinde"], "ags"].iloc[0])
    return ags, str(hit["gemeinde"])


def test_steckbrief_pt_names_window_day_factor_and_villages(
    demo: tuple[Results, Path, Path],
) -> None:
    results = demo[0]
    ags, name = _gemeinde_with_no_pt(results)
    pages, text = _text(
        steckbrief_pdf(results, ags=ags, mode="pt", age_group="0-3", created=dt.date(2026, 3, 1))
    )
    flat = _flat(text)
    assert pages >= 1
    day = day_de(results.inputs.timetable.day)
    assert f"Steckbrief Gemeinde {name} – Bus & Bahn" in flat
    assert "Erreichbarkeit mit Bus & Bahn · Kinder 0–3 Jahre" in flat
    assert f"Kita (Bus & Bahn, Abfahrt 06:30–08:00 am {day})" in flat  # the map's caption
    assert f"Kennzahlen für Kinder 0–3 Jahre (Bus & Bahn, am {day})" in flat
    assert "Faktor zum Auto" in flat and "zurück bis 19:00" in flat
    villages = results.villages[results.villages["ags"].astype(str) == ags]
    facts = transit_facts(villages, ["kita"], age_group="0-3").iloc[0]
    # the Kita row of the key figures: window … median factor
    assert format_window(results.settings.pt_window("kita")) == "06:30–08:00"
    assert re.search(
        r"Kita 06:30–08:00 20 min .*? " + re.escape(factor_text(facts["factor_median"])), flat
    )
    # every village without a Kita departure is named
    no_pt = villages.loc[villages["kita_pt_status"] == NO_PT, "name"]
    assert len(no_pt) > 0
    for village in no_pt:
        assert village in flat
    assert f"Kita (06:30–08:00): {NO_PT}: {', '.join(sorted(no_pt))}" in flat
    assert "Quellen: fiktive Daten" in flat
    _no_leaks(text)


def test_steckbrief_kreis_pt_has_gemeinde_column(demo: tuple[Results, Path, Path]) -> None:
    results = demo[0]
    _, text = _text(steckbrief_pdf(results, ags=None, mode="pt", age_group="0-3"))
    flat = _flat(text)
    assert "Steckbrief Beispielkreis (fiktiv) – Bus & Bahn" in flat
    assert "Am schlechtesten mit Bus & Bahn erreichbare Orte" in flat
    assert "Ort Gemeinde Minuten Faktor zum Auto Hinweis" in flat
    _no_leaks(text)


def test_steckbrief_car_carries_a_bus_und_bahn_box(demo: tuple[Results, Path, Path]) -> None:
    results = demo[0]
    ags, _ = _gemeinde_with_no_pt(results)
    _, text = _text(steckbrief_pdf(results, ags=ags, mode="car", age_group="0-3"))
    flat = _flat(text)
    day = day_de(results.inputs.timetable.day)
    assert "Erreichbarkeit mit Auto" in flat
    assert f"Mit Bus & Bahn (Kinder 0–3 Jahre, am {day})" in flat
    assert "Orte ohne ÖPNV-Angebot Faktor zum Auto Orte mit Faktor über 2" in flat
    villages = results.villages[results.villages["ags"].astype(str) == ags]
    n_no = int((villages["kita_pt_status"] == NO_PT).sum())
    facts = transit_facts(villages, ["kita"], age_group="0-3").iloc[0]
    row = "Kita 06:30–08:00 "
    assert re.search(
        re.escape(row)
        + r"\S+ min "
        + f"{n_no} von {len(villages)} "
        + re.escape(factor_text(facts["factor_median"])),
        flat,
    ), flat
    _no_leaks(text)


def test_print_map_pt_pdf_says_what_it_covers(demo: tuple[Results, Path, Path]) -> None:
    results = demo[0]
    data = render_results_map(
        results, category="kita", mode="pt", age_group="0-3", created=dt.date(2026, 3, 1)
    )
    pages, text = _text(data)
    flat = _flat(text)
    day = day_de(results.inputs.timetable.day)
    assert pages == 1
    assert "Kita: Erreichbarkeit mit Bus & Bahn – Beispielkreis (fiktiv)" in flat
    assert f"Bus & Bahn · Abfahrt 06:30–08:00 am {day} · Kinder 0–3 Jahre · Schwelle 20 min" in flat
    for label in (
        "Bus-/Bahnlinie",
        "Rufbus (gestrichelt)",
        "Haltestelle mit Abfahrt im Zeitfenster",
    ):
        assert label in flat
    facts = transit_facts(results.villages, ["kita"], age_group="0-3").iloc[0]
    assert f"Faktor zum Auto (Median): {factor_text(facts['factor_median'])}" in flat
    assert "," in factor_text(facts["factor_median"])  # a German decimal comma
    assert f"{NO_PT}: {len(facts['names_no_pt'])} Orte" in flat
    assert "Stand der Auswertung: 01.03.2026" in flat
    _no_leaks(text)
    layers = transit_map_layers(results, "kita")
    assert layers.stops is not None and int(layers.stops["departures"].sum()) > 0
    assert layers.lines is not None and bool(layers.lines["on_demand"].any())


def test_print_map_pt_gemeinde_png_and_afternoon_way_home(
    demo: tuple[Results, Path, Path],
) -> None:
    results = demo[0]
    ags, name = _gemeinde_with_no_pt(results)
    png = render_results_map(
        results, category="beratung", mode="pt", age_group="0-3", ags=ags, fmt="png", dpi=50
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (int(297 / 25.4 * 50), int(210 / 25.4 * 50))  # A4 at 50 dpi
    _pages, text = _text(
        render_results_map(results, category="beratung", mode="pt", age_group="0-3", ags=ags)
    )
    flat = _flat(text)
    assert f"Erreichbarkeit mit Bus & Bahn – Gemeinde {name}" in flat
    assert f"Kinder 0–3 Jahre, Gemeinde {name}:" in flat
    villages = results.villages[results.villages["ags"].astype(str) == ags]
    facts = transit_facts(villages, ["beratung"], age_group="0-3").iloc[0]
    assert f"zurück bis 19:00: {facts['n_home_yes']} von {facts['n_home_asked']} Orten" in flat
    _no_leaks(text)


@pytest.mark.slow  # two more runs of the Beispielkreis through the command line
def test_cli_karte_and_steckbrief_pt(demo: tuple[Results, Path, Path], tmp_path: Path) -> None:
    results, region, cache = demo
    parser = argparse.ArgumentParser()
    karte.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["karte", "--config", str(region), "--cache-dir", str(cache), "--modes", "car,pt",
         "--mode", "pt", "--category", "kita", "--out", str(tmp_path / "k"), "-q"]
    )  # fmt: skip
    assert args.run(args) == 0
    (pdf,) = (tmp_path / "k").glob("Karte_kita_Bus_Bahn_*_A4_*.pdf")  # dated German name
    _, text = _text(pdf.read_bytes())
    assert "Kita: Erreichbarkeit mit Bus & Bahn" in _flat(text)
    code = main(
        ["steckbrief", "--config", str(region), "--cache-dir", str(cache), "--modes", "car,pt",
         "--mode", "pt", "--out", str(tmp_path / "s"), "-q"]
    )  # fmt: skip
    assert code == 0
    gem = gemeinden_of(results)
    name = steckbrief_filename(
        str(gem["ags"].iloc[0]), str(gem["gemeinde"].iloc[0]), created=dt.date.today()
    )  # the CLI names Steckbriefe with the Gemeinde and the date
    first = tmp_path / "s" / name
    _, text = _text(first.read_bytes())
    assert "– Bus & Bahn" in _flat(text) and "Faktor zum Auto" in text


def test_steckbrief_pt_pages_keep_every_text_on_the_page(
    demo: tuple[Results, Path, Path],
) -> None:
    """15 categories on the Kreis page: what does not fit moves on, nothing runs off the page."""
    from matplotlib.text import Text

    from erreichbarkeit.report.labels import renderer_of
    from erreichbarkeit.report.steckbrief import steckbrief_pages

    results = demo[0]
    pages = steckbrief_pages(results, ags=None, mode="pt", age_group="0-3")
    assert len(pages) >= 2
    for page in pages:
        page.canvas.draw()
        renderer = renderer_of(page)
        texts = [t for t in page.findobj(Text) if t.get_text().strip()]
        width, height = page.bbox.width, page.bbox.height
        for t in texts:
            b = t.get_window_extent(renderer)
            assert b.x0 >= 0.01 * width and b.x1 <= 0.99 * width, t.get_text()
            assert b.y0 >= 0 and b.y1 <= height, t.get_text()
        # nothing drawn into the footer (notes, sources, page number)
        footer = ("Kinder: geschätzt aus", "Quellen:", "Seite ")
        top = max(t.get_window_extent(renderer).y1 for t in texts
                  if t.get_text().startswith(footer))  # fmt: skip
        for t in texts:
            if not t.get_text().startswith(footer):
                assert t.get_window_extent(renderer).y0 >= top, t.get_text()
    text = _flat(_text(steckbrief_pdf(results, ags=None, mode="pt", age_group="0-3"))[1])
    assert "Am schlechtesten mit Bus & Bahn erreichbare Orte" in text
    for name in results.villages["name"]:
        assert name in text
