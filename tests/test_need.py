"""Need, not only distance: the table of social indicators and the ranking by need.

Hand-computed example: 3 villages in 2 Gemeinden, children 0–3
A 20, B 20, C 10; values A 10 % (Gemeinde Nordheim), B 20 % (Ort row wins
over Nordheim's 10 %), C 40 % (Gemeinde Südstadt).  Children-weighted mean
(10·20 + 20·20 + 40·10) / 50 = 20 %, so the weights are 0,5 / 1 / 2.
Threshold 15 min: A 30 min (20 children beyond), B 10 min (0), C
unreachable (10).  Priorities A 10, B 0, C 20 → ranking C, A, B.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from erreichbarkeit.analysis.need import need_ranking, weighting_text_de
from erreichbarkeit.config import WGS84
from erreichbarkeit.io.need import NO_SOURCE_DE, read_need
from erreichbarkeit.results import Results


def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Altdorf", "Buchheim", "Cramberg"],
            "ags": ["99000001", "99000001", "99000002"],
            "gemeinde": ["Nordheim", "Nordheim", "Südstadt"],
            "children_0_3": [20.0, 20.0, 10.0],
            "kita_car_min": [30.0, 10.0, np.nan],
        },
        geometry=[Point(10.0 + 0.1 * i, 51.0) for i in range(3)],
        crs=WGS84,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sozialindikatoren.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


TABLE = (
    "Gemeinde;Ort;SGB-II-Quote Kinder (%);Anteil Alleinerziehende;Quelle\n"
    "Nordheim;;10;0,25;Kreisstatistik 2024\n"
    "Nordheim;Buchheim;20 %;0,5;Kreisstatistik 2024\n"
    "Südstadt;;40,0;0,1;Kreisstatistik 2024\n"
)


def test_reader_values_per_village(tmp_path: Path) -> None:
    res = read_need(write(tmp_path, TABLE), villages=villages())
    assert res.failure is None
    assert not [p for p in res.problems if p.severity == "error"]
    table = res.table
    assert table is not None
    assert table.indicators == ("SGB-II-Quote Kinder", "Anteil Alleinerziehende")
    assert table.source == "Kreisstatistik 2024"
    quota = table.village_values("SGB-II-Quote Kinder")
    assert quota.to_dict() == {"a": 10.0, "b": 20.0, "c": 40.0}
    share = table.village_values("Anteil Alleinerziehende")  # shares → percent
    assert share.to_dict() == pytest.approx({"a": 25.0, "b": 50.0, "c": 10.0})
    basis = table.villages.set_index("village_id")["basis"].to_dict()
    assert basis == {"a": "Gemeinde", "b": "Ort", "c": "Gemeinde"}


def test_source_from_region_file_or_warning(tmp_path: Path) -> None:
    text = "AGS;SGB-II-Quote\n99000001;12\n99000002;30\n"
    named = read_need(write(tmp_path, text), villages=villages(), attribution="Jobcenter")
    assert named.table is not None
    assert named.table.source == "Jobcenter"
    assert not named.problems
    unnamed = read_need(write(tmp_path, text), villages=villages())
    assert unnamed.table is not None
    assert unnamed.table.source == NO_SOURCE_DE
    (warning,) = unnamed.problems
    assert warning.severity == "warning"
    assert "Keine Quelle angegeben" in warning.message_de


def test_hand_computed_ranking(tmp_path: Path) -> None:
    table = read_need(write(tmp_path, TABLE), villages=villages()).table
    assert table is not None
    ranking, mean = need_ranking(
        villages(), table.village_values("SGB-II-Quote Kinder"), category="kita", mode="car",
        threshold=15.0, age_groups=("0-3",),
    )  # fmt: skip
    assert mean == pytest.approx(20.0)
    assert list(ranking["village"]) == ["Cramberg", "Altdorf", "Buchheim"]
    assert list(ranking["rank"]) == [1, 2, 3]
    assert list(ranking["need_weight"]) == pytest.approx([2.0, 0.5, 1.0])
    assert list(ranking["children_beyond"]) == pytest.approx([10.0, 20.0, 0.0])
    assert list(ranking["priority"]) == pytest.approx([20.0, 10.0, 0.0])


def test_ties_by_children_beyond_and_no_value_unranked() -> None:
    vill = villages()
    vill["kita_car_min"] = [30.0, 30.0, 30.0]
    # A: 20 beyond × 1 = 20; B: 20 beyond × 1 = 20 → tie; C has no value
    values = pd.Series({"a": 10.0, "b": 10.0})
    vill.loc[1, "children_0_3"] = 30.0  # B: 30 children, weight 1 → priority 30
    ranking, mean = need_ranking(
        vill, values, category="kita", mode="car", threshold=15.0, age_groups=("0-3",)
    )
    assert mean == pytest.approx(10.0)
    assert list(ranking["village"]) == ["Buchheim", "Altdorf", "Cramberg"]
    assert math.isnan(ranking["rank"].iloc[2])
    assert math.isnan(ranking["priority"].iloc[2])


def test_equal_priority_ranked_by_children_beyond() -> None:
    vill = villages()
    vill["kita_car_min"] = [30.0, 30.0, 30.0]
    vill["children_0_3"] = [10.0, 20.0, 10.0]
    values = pd.Series({"a": 40.0, "b": 20.0, "c": 10.0})  # mean 22,5
    ranking, _ = need_ranking(
        vill, values, category="kita", mode="car", threshold=15.0, age_groups=("0-3",)
    )
    # A: 10 × 40/22,5 = 17,78; B: 20 × 20/22,5 = 17,78 (tie) → B (more children beyond) first
    assert list(ranking["village"][:2]) == ["Buchheim", "Altdorf"]


def test_restricted_to_area() -> None:
    vill = villages()
    vill["in_area"] = [True, True, False]
    values = pd.Series({"a": 10.0, "b": 20.0, "c": 40.0})
    ranking, mean = need_ranking(
        vill, values, category="kita", mode="car", threshold=15.0, age_groups=("0-3",)
    )
    assert list(ranking["village_id"]) == ["a", "b"]
    assert mean == pytest.approx(15.0)  # (10·20 + 20·20) / 40


def test_weighting_text_is_german() -> None:
    text = weighting_text_de("SGB-II-Quote Kinder", 20.25, "Kreisstatistik")
    assert "20,2 %" in text or "20,3 %" in text
    assert "Quelle: Kreisstatistik" in text
    assert "Bedarfsgewicht" in text


# --------------------------------------------------------------------------- demo run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.demo.beispielkreis import generate_demo
    from erreichbarkeit.demo.need import NEED_FILE
    from erreichbarkeit.pipeline import run

    tmp = tmp_path_factory.mktemp("bedarf")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(
        files.region, cache_dir=tmp / "cache", grid_cell_m=None, modes=("car",)
    )
    return run(settings.replace(need=files.region.parent / NEED_FILE))


@pytest.mark.slow
def test_demo_table_read_ranked_and_exported(demo: Results, tmp_path: Path) -> None:
    import openpyxl

    from erreichbarkeit.report.outputs import export_results

    table = demo.need
    assert table is not None
    assert not [p for p in demo.inputs.problems if p.file == "sozialindikatoren.csv"]
    assert "fiktiv" in table.source
    assert set(table.villages["basis"]) == {"Gemeinde", "Ort"}
    assert any(s["Datei"] == "sozialindikatoren.csv" for s in demo.inputs.sources)
    paths = export_results(demo, tmp_path / "out")
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    rows = list(wb["Bedarf"].iter_rows(values_only=True))
    header = list(rows[0])
    for label in ("Sozialindikator", "Rang nach Bedarf", "Bedarfsgewicht", "Priorität",
                  "Gewichtung"):  # fmt: skip
        assert label in header, header
    weighting = [r[header.index("Gewichtung")] for r in rows[1:] if r[header.index("Gewichtung")]]
    assert weighting
    assert all("Bedarfsgewicht" in str(w) for w in weighting)
    methodik = [r[0] for r in wb["Methodik"].iter_rows(values_only=True)]
    assert "Bedarf und Erreichbarkeit" in methodik
    wb.close()


@pytest.mark.slow
def test_demo_need_survives_the_store(demo: Results, tmp_path: Path) -> None:
    from erreichbarkeit.pipeline.store import ResultStore

    ResultStore(tmp_path).save(demo, settings=demo.settings)
    back = ResultStore(tmp_path).load(demo.settings)
    assert back is not None
    assert back.need is not None
    assert back.need.indicators == demo.need.indicators
    pd.testing.assert_frame_equal(back.need.villages, demo.need.villages, check_dtype=False)


def test_cli_flag_sets_the_table(tmp_path: Path) -> None:
    from erreichbarkeit.cli._common import settings_from_args
    from erreichbarkeit.cli.main import build_parser

    args = build_parser().parse_args(
        ["analyse", "--network", str(tmp_path / "x.osm"), "--bedarf", "sozial.xlsx"]
    )
    settings = settings_from_args(args)
    assert settings.need is not None
    assert settings.need.name == "sozial.xlsx"


# --------------------------------------------------------------------------- map and dashboard


def test_map_layer_off_by_default_with_german_legend(tmp_path: Path) -> None:
    import folium
    from shapely.geometry import box

    from erreichbarkeit.webmap.need import add_need_layer, need_classes

    table = read_need(write(tmp_path, TABLE), villages=villages()).table
    bounds = gpd.GeoDataFrame(
        {"ags": ["99000001", "99000002"], "gemeinde": ["Nordheim", "Südstadt"]},
        geometry=[box(9.9, 50.9, 10.15, 51.1), box(10.15, 50.9, 10.4, 51.1)],
        crs=WGS84,
    )
    m = folium.Map(location=(51.0, 10.1), zoom_start=10, tiles=None)
    add_need_layer(m, table, boundaries=bounds, villages=villages())
    folium.LayerControl().add_to(m)
    page = m.get_root().render()
    assert "Bedarf: SGB-II-Quote Kinder (Gemeinden)" in page
    assert "Bedarf: SGB-II-Quote Kinder (Ortsteile)" in page
    assert "Kreisstatistik 2024" in page
    assert "Buchheim: 20,0 %" in page
    assert "10,0 bis" in page or "bis 16,0" in page
    assert need_classes([10.0, 20.0, 40.0]) == pytest.approx([16.0, 22.0, 28.0, 34.0, 40.0])
    empty = folium.Map(location=(51.0, 10.1), tiles=None)
    add_need_layer(empty, None, boundaries=bounds, villages=villages())
    assert "Bedarf" not in empty.get_root().render()


def test_display_texts_never_nan(tmp_path: Path) -> None:
    from erreichbarkeit.ui.need_panel import need_display

    vill = villages()
    values = pd.Series({"a": 10.0, "b": 20.0})  # Cramberg without a value
    ranking, _ = need_ranking(
        vill, values, category="kita", mode="car", threshold=15.0, age_groups=("0-3",)
    )
    shown = need_display(ranking)
    text = shown.to_string()
    for bad in ("nan", "None", "NaN", "<NA>"):
        assert bad not in text
    assert list(shown.columns[:3]) == ["Rang", "Ort", "Gemeinde"]
    assert shown.loc[2, "Rang"] == "—"
    # mean (10·20 + 20·20) / 40 = 15; Altdorf: 20 beyond × 10/15 → first
    assert (shown.loc[0, "Ort"], shown.loc[0, "Bedarfsgewicht"]) == ("Altdorf", "0,67")
    assert shown.loc[0, "Priorität"] == "13,3"


def test_dashboard_section(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from streamlit.testing.v1 import AppTest

    table = read_need(write(tmp_path, TABLE), villages=villages()).table

    def app(results: object, view: object) -> None:
        from erreichbarkeit.ui.need_panel import need_panel

        need_panel(results, view, {"kita": "Kita"})

    view = SimpleNamespace(
        categories=("kita",), mode="car", age_group="0-3", thresholds={"kita": 15.0},
        villages=villages(),
    )  # fmt: skip
    results = SimpleNamespace(need=table, villages=villages(), settings=None)
    at = AppTest.from_function(app, args=(results, view)).run(timeout=30)
    assert not at.exception
    assert at.subheader[0].value == "Bedarf und Erreichbarkeit"
    assert "Bedarfsgewicht" in at.info[0].value
    shown = at.dataframe[0].value
    assert list(shown["Ort"]) == ["Cramberg", "Altdorf", "Buchheim"]
