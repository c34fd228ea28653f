"""Outreach offers („aufsuchende Angebote“): hand-computed indicators and the load hook."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.outreach import (
    outreach_columns,
    outreach_for_group,
    with_outreach,
)
from erreichbarkeit.config import WGS84, Settings
from erreichbarkeit.pipeline._outreach import with_outreach_inputs
from erreichbarkeit.results import Inputs

THRESHOLD = {("hebamme", "car"): 15.0, ("kita", "car"): 10.0}


def villages() -> gpd.GeoDataFrame:
    """Three villages: A, B in Gemeinde Nord, C in Gemeinde Süd."""
    return gpd.GeoDataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["A", "B", "C"],
            "ags": ["01000001", "01000001", "01000002"],
            "gemeinde": ["Nord", "Nord", "Süd"],
            "population": [100.0, 200.0, 300.0],
            "children_0_3": [10.0, 20.0, 30.0],
            "children_3_6": [1.0, 2.0, 7.0],
            "children_6_10": [0.0] * 3,
            "children_10_18": [0.0] * 3,
            "children_18_27": [0.0] * 3,
        },
        geometry=[Point(10.0, 51.0), Point(10.1, 51.0), Point(10.2, 51.0)],
        crs=WGS84,
    )


def served(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["village_id", "category", "name", "serves"])


def table(vil: pd.DataFrame, category: str = "hebamme") -> pd.DataFrame:
    """The village table: one stationary offer, A 10 min, B 40 min, C none within the cutoff."""
    tt = pd.DataFrame(
        {"origin_id": ["v1", "v2"], "destination_id": ["o1", "o1"], "mode": ["car", "car"],
         "minutes": [10.0, 40.0], "km": [8.0, 30.0]}
    )  # fmt: skip
    offers = pd.DataFrame({"id": ["o1"], "name": ["Praxis"], "category": [category]})
    return indicators.village_table(
        vil, tt, offers, categories=[category], modes=["car"], threshold=THRESHOLD
    )


OPTIONS: dict[str, Any] = {
    "categories": ["hebamme"],
    "modes": ["car"],
    "threshold": THRESHOLD,
    "cutoff": 90.0,
}


def test_village_table_flags_and_keeps_stationary_minutes() -> None:
    vil = outreach_columns(villages(), served([("v3", "hebamme", "Familienhebamme", "0-3")]))
    vt = table(vil)
    assert vt["hebamme_outreach"].tolist() == [False, False, True]
    assert vt["hebamme_outreach_name"].tolist() == ["", "", "Familienhebamme"]
    assert vt["hebamme_car_within"].tolist() == [True, False, True]
    assert vt["hebamme_car_min"].iloc[:2].tolist() == [10.0, 40.0]
    assert math.isnan(vt["hebamme_car_min"].iloc[2])  # not 0: the stationary minutes
    assert vt["hebamme_car_n_within"].tolist() == [1, 0, 0]  # stationary offers only


def test_kreis_children_beyond_median_and_share_by_hand() -> None:
    vil = outreach_columns(villages(), served([("v3", "hebamme", "Familienhebamme", "0-3")]))
    kreis = indicators.kreis_summary(table(vil), **OPTIONS).iloc[0]
    # beyond: only B (20 children); C (30) is served by outreach
    assert kreis["children_beyond"] == 20.0
    assert kreis["share_children_beyond"] == pytest.approx(20 / 60)
    assert kreis["n_underserved"] == 1
    assert kreis["underserved_villages"] == "B"
    # median over the stationary minutes of all villages: 10 (w 10), 40 (w 20), ∞ (w 30)
    # → cumulative 10, 30 ≥ 60/2 at 40 minutes
    assert kreis["children_median_min"] == 40.0
    assert not kreis["children_median_beyond"]
    assert kreis["share_children_no_offer"] == pytest.approx(0.5)
    assert kreis["share_children_outreach"] == pytest.approx(30 / 60)
    cols = list(kreis.index)
    assert cols.index("share_children_outreach") == cols.index("children_median_beyond") + 1


def test_gemeinde_rows_by_hand() -> None:
    vil = outreach_columns(villages(), served([("v3", "hebamme", "Familienhebamme", "0-3")]))
    gem = indicators.gemeinde_long(table(vil), **OPTIONS).set_index("gemeinde")
    assert gem.loc["Nord", "children_beyond"] == 20.0
    assert gem.loc["Nord", "share_children_outreach"] == 0.0
    assert gem.loc["Süd", "children_beyond"] == 0.0
    assert gem.loc["Süd", "n_underserved"] == 0
    assert gem.loc["Süd", "share_children_outreach"] == 1.0
    # the stationary median of Süd stays censored: no stationary offer within the cutoff
    assert gem.loc["Süd", "children_median_min"] == 90.0
    assert bool(gem.loc["Süd", "children_median_beyond"])


def test_without_outreach_the_plain_figures() -> None:
    vt = table(villages())
    kreis = indicators.kreis_summary(vt, **OPTIONS).iloc[0]
    assert kreis["children_beyond"] == 50.0
    assert "share_children_outreach" not in kreis.index
    assert with_outreach(vt, categories=["hebamme"], modes=["car"]) is vt


def test_outreach_serving_some_age_groups_counts_only_theirs() -> None:
    """Kita (0–3, 3–6): outreach for 0–3 in C; C's 3–6 children stay beyond."""
    vil = outreach_columns(villages(), served([("v3", "kita", "Krabbelgruppe mobil", "0-3")]))
    vt = table(vil, "kita")
    options = {**OPTIONS, "categories": ["kita"]}
    kreis = indicators.kreis_summary(vt, **options).iloc[0]
    # B: 40 min > 10 → 20 + 2 children; C: 7 children of 3–6 (its 30 of 0–3 are served)
    assert kreis["children_beyond"] == 29.0
    assert kreis["share_children_outreach"] == pytest.approx(30 / 70)
    assert kreis["n_underserved"] == 2


def test_dashboard_view_of_an_age_group() -> None:
    vil = outreach_columns(villages(), served([("v3", "kita", "Krabbelgruppe mobil", "0-3")]))
    young, older = outreach_for_group(vil, "0-3"), outreach_for_group(vil, "3-6")
    assert young["kita_outreach"].tolist() == [False, False, True]
    assert older["kita_outreach"].tolist() == [False, False, False]
    assert older["kita_outreach_name"].tolist() == ["", "", ""]


def test_several_offers_in_one_village_join() -> None:
    vil = outreach_columns(
        villages(),
        served([("v1", "hebamme", "FH Nord", "0-3"), ("v1", "hebamme", "Willkommensbesuch",
                                                     "0-3")]),
    )  # fmt: skip
    assert vil.loc[0, "hebamme_outreach_name"] == "FH Nord; Willkommensbesuch"
    assert vil["hebamme_outreach_serves"].tolist() == ["0-3", "", ""]


def test_load_hook_reads_the_table(tmp_path: Path) -> None:
    path = tmp_path / "aufsuchend.csv"
    path.write_text(
        "Name;Kategorie;Gemeinde;Ort\nFamilienhebamme;Hebamme;Süd;\n"
        'Spielmobil;Jugendzentrum;;"A, B"\n',
        encoding="utf-8",
    )
    data = Inputs(
        network_osm=tmp_path / "x.osm", villages=villages(),
        offers=gpd.GeoDataFrame({"id": [], "name": [], "category": []}, geometry=[], crs=WGS84),
        boundaries=gpd.GeoDataFrame(geometry=[], crs=WGS84), addresses=pd.DataFrame(),
    )  # fmt: skip
    settings = dataclasses.replace(Settings(), outreach=(path,))
    out = with_outreach_inputs(settings, data)
    assert out.villages["hebamme_outreach"].tolist() == [False, False, True]
    assert out.villages["jugendzentrum_outreach"].tolist() == [True, True, False]
    assert isinstance(out.villages, gpd.GeoDataFrame)
    assert len(out.outreach) == 3
    assert out.sources[-1]["Datei"] == "aufsuchend.csv"
    assert np.all([p.severity != "error" for p in out.problems])


# --------------------------------------------------------------------------- map and tables


def _map_frame() -> gpd.GeoDataFrame:
    frame = villages().loc[:, ["id", "name", "gemeinde", "geometry"]]
    frame["minutes"] = [10.0, 40.0, math.nan]
    frame["km"] = [8.0, 30.0, math.nan]
    frame["nearest"] = ["Praxis", "Praxis", None]
    frame["outreach"] = ["", "", "Familienhebamme"]
    return frame


def test_map_rings_popup_and_legend() -> None:
    from erreichbarkeit import webmap

    page = webmap.build_map(_map_frame()).get_root().render()
    assert "aufsuchend (Familienhebamme)" in page  # popup and ring tooltip
    assert "aufsuchendes Angebot" in page  # legend row and layer name
    assert '"4 3"' in page  # the dashed ring
    plain = _map_frame().assign(outreach="")
    assert "aufsuchend (" not in webmap.build_map(plain).get_root().render()


def test_popup_says_aufsuchend_and_the_stationary_offer() -> None:
    from erreichbarkeit.webmap.outreach import outreach_popup_lines

    lines = outreach_popup_lines({"outreach": "FH Nord", "minutes": 40.0, "nearest": "Praxis"})
    assert lines[0].startswith("Angebot: aufsuchend (FH Nord)")
    assert lines[1] == "Nächstes festes Angebot: Praxis – 40,0 min"
    assert outreach_popup_lines({"outreach": "FH", "minutes": None})[1] == (
        "Kein festes Angebot erreichbar"
    )


def test_export_headers_are_german() -> None:
    from erreichbarkeit.report.headers import ColumnHeaders

    headers = ColumnHeaders()
    assert headers.describe("hebamme_outreach").label == "Hebamme: aufsuchend"
    assert headers.describe("hebamme_outreach").kind == "flag"
    assert headers.describe("hebamme_outreach_name").label == "Hebamme: aufsuchendes Angebot"
    info = headers.describe("share_children_outreach")
    assert info.label == "Anteil Kinder mit aufsuchendem Angebot (%)"
    assert info.kind == "share"


# --------------------------------------------------------------------------- CLI and demo


def test_cli_flag_sets_the_tables(tmp_path: Path) -> None:
    from erreichbarkeit.cli._common import settings_from_args
    from erreichbarkeit.cli.main import build_parser

    net = tmp_path / "netz.osm"
    net.write_text("<osm/>", encoding="utf-8")
    args = build_parser().parse_args(
        ["analyse", "--network", str(net), "--aufsuchend", "a.csv", "--aufsuchend", "b.xlsx"]
    )
    settings = settings_from_args(args)
    assert [p.name for p in settings.outreach] == ["a.csv", "b.xlsx"]


def test_demo_table_reads_without_errors(tmp_path: Path) -> None:
    from erreichbarkeit.config import load_categories
    from erreichbarkeit.demo.beispielkreis import generate_demo
    from erreichbarkeit.demo.outreach import OUTREACH_FILE
    from erreichbarkeit.io.outreach import read_outreach
    from erreichbarkeit.pipeline import load_inputs

    files = generate_demo(tmp_path / "daten")
    path = files.folder / OUTREACH_FILE
    settings = Settings.from_toml(files.region, cache_dir=tmp_path / "cache", modes=("car",))
    data = load_inputs(settings.replace(outreach=(path,)))
    res = read_outreach(path, load_categories(), villages=data.villages)
    assert res.errors == ()
    assert set(res.served["category"]) == {"hebamme", "familienbildung", "jugendzentrum"}
    # the Willkommensbesuch serves every village of the Kreis
    assert bool(data.villages["familienbildung_outreach"].all())
    assert 0 < int(data.villages["hebamme_outreach"].sum()) < len(data.villages)
    assert len(data.outreach) == len(res.served)


def test_key_figure_line() -> None:
    from erreichbarkeit.analysis.outreach import outreach_notes_de

    assert outreach_notes_de(0.271) == ["Kinder in Orten mit aufsuchendem Angebot: 27 %"]
    assert outreach_notes_de(math.nan) == []


def test_methodik_row_only_with_outreach() -> None:
    from erreichbarkeit.analysis.outreach import OUTREACH_METHOD_DE

    assert "aufsuchend (<Name>)" in OUTREACH_METHOD_DE
    assert "festen Angebot" in OUTREACH_METHOD_DE


@pytest.mark.slow
def test_demo_run_with_outreach(tmp_path: Path) -> None:
    """The whole run: flags on the village table, the Kreis share, the Methodik row."""
    from erreichbarkeit.analysis.outreach import OUTREACH_METHOD_DE
    from erreichbarkeit.demo.beispielkreis import generate_demo
    from erreichbarkeit.demo.outreach import OUTREACH_FILE
    from erreichbarkeit.pipeline import run
    from erreichbarkeit.report.methodik import methodik
    from erreichbarkeit.report.outputs import export_results

    files = generate_demo(tmp_path / "daten")
    settings = Settings.from_toml(
        files.region, cache_dir=tmp_path / "cache", grid_cell_m=None, modes=("car",)
    ).replace(outreach=(files.folder / OUTREACH_FILE,))
    res = run(settings)
    vt = res.villages
    served = vt["hebamme_outreach"].astype(bool)
    assert served.any()
    assert vt.loc[served, "hebamme_car_within"].all()
    share = res.kreis.set_index("category")["share_children_outreach"]
    assert 0 < share["hebamme"] < 1
    assert share["kita"] == 0.0
    assert dict(methodik(res))["Aufsuchende Angebote"] == OUTREACH_METHOD_DE
    assert any(s["Datei"] == OUTREACH_FILE for s in res.inputs.sources)
    written = export_results(res, tmp_path / "out")
    text = " ".join(
        str(c.value)
        for ws in openpyxl.load_workbook(written["xlsx"], read_only=True).worksheets
        for row in ws.iter_rows(max_row=3)
        for c in row
        if c.value is not None
    )
    assert "Hebamme: aufsuchend" in text  # the flag column with its German header
    assert "Anteil Kinder mit aufsuchendem Angebot" in text
    sheet = openpyxl.load_workbook(written["xlsx"], read_only=True)["Aufsuchende Angebote"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:4] == ["Gemeinde", "Ort", "Kategorie", "Angebot"]
