"""Exports people read: German headers, rounded numbers, no reprs, round trip to input lists.

The scan and round-trip tests run the Beispielkreis once (module fixture) and
read every sheet of the workbook and every CSV back.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from erreichbarkeit.config import Settings, load_categories
from erreichbarkeit.io import read_offers, read_villages
from erreichbarkeit.report.cells import display_value
from erreichbarkeit.report.csv_de import write_csv_de
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.readable import readable_table
from erreichbarkeit.report.xlsx import COLUMNS_SHEET, METHODIK_SHEET, write_excel
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts

#: Headers allowed although they look like machine names (units everybody reads).
ALLOWED_LOWERCASE = frozenset({"km"})
#: Text a person must never see in a cell.
LEAKED = frozenset({"None", "nan", "NaN", "NaT", "<NA>", "null", "True", "False"})

# -- the label table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("kita_car_min", "Kita – Auto: Minuten"),
        ("kita_walk_km", "Kita – zu Fuß: km"),
        ("schule_bike_within", "Schule – Fahrrad: innerhalb"),
        ("grundschule_car_n_within", "Grundschule – Auto: Angebote im Schwellenwert"),
        ("beratung_car_second_min", "Beratungsstelle – Auto: Minuten zum zweitnächsten"),
        ("kinderarzt_walk_children_median_min", "Kinderarzt – zu Fuß: Median Minuten (Kinder)"),
        ("snap_m_walk", "zu Fuß: Abstand zum Straßennetz (m)"),
        ("children_0_3", "Kinder 0–3 Jahre"),
        ("children_18_27", "Kinder 18–27 Jahre"),
        ("share_within_7.5", "Anteil innerhalb 7,5 min (%)"),
        ("children_median_beyond", "Median Minuten (Kinder) über Grenze"),
        ("pop_median_beyond", "Median Minuten (Einwohner) über Grenze"),
        ("gemeinde_partial", "nur teilweise im Kartenausschnitt"),
        ("coverage_share", "Anteil im Kartenausschnitt (%)"),
        ("share_children_covered", "Anteil Kinder in vollständig erfassten Gemeinden (%)"),
        ("children_mean_min_reachable", "Mittel Minuten (Kinder, nur erreichbare Orte)"),
        ("reason", texts.COL_REASON),
    ],
)
def test_headers_are_german(column: str, label: str) -> None:
    info = ColumnHeaders().describe(column)
    assert info.known
    assert info.label == label
    assert info.meaning


def test_headers_reuse_the_dashboard_labels() -> None:
    """The Gemeinde columns read the same in the dashboard and in the exports."""
    h = ColumnHeaders()
    for column, label in texts.GEM_COLUMNS.items():
        if column.endswith("median_beyond"):
            # a flag: the export holds it for Kinder and Einwohner, so it says which
            assert "über Grenze" in h.describe(column).label, column
            continue
        percent = column == "share_children_beyond"  # the dashboard shows it in percent, too
        assert h.describe(column).label == (f"{label} (%)" if percent else label), column
    assert h.describe("kita_car_min").label.endswith(texts.COL_MIN.format(label="Auto"))
    assert h.describe("kita_car_within").label.endswith(texts.COL_WITHIN.format(label="Auto"))


def test_headers_use_the_runs_category_labels() -> None:
    h = ColumnHeaders({"spiel_gruppe": "Spielgruppe"})
    assert h.describe("spiel_gruppe_bike_km").label == "Spielgruppe – Fahrrad: km"
    assert h.describe("spiel_gruppe_bike_km").kind == "km"


def test_unknown_columns_are_kept_in_readable_form() -> None:
    table = readable_table(pd.DataFrame({"id": ["a"], "foo_bar": [1.25], "Schon Deutsch": [2]}),
                           ColumnHeaders())  # fmt: skip
    assert table.frame.columns.tolist() == ["ID", "foo bar", "Schon Deutsch"]
    assert table.frame["foo bar"].tolist() == [1.25]
    assert [c[1] for c in table.columns] == ["id", "foo_bar", "Schon Deutsch"]
    assert ColumnHeaders().describe("foo_bar").known is False


# -- values ---------------------------------------------------------------------------


@pytest.fixture
def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["v1", "v2"],
            "name": ["=1+1", "Bdorf"],
            "place": ["hamlet", "village"],
            "category": ["kita", "hebamme"],
            "mode": ["walk", "car"],
            "children_0_3": [322.6, np.nan],
            "kita_walk_min": [2.26, np.nan],
            "kita_walk_km": [1.04, np.inf],
            "share_children_beyond": [0.25, 1.0],
            "kita_walk_within": [True, False],
            "underserved_villages": [["Adorf", None, "=cmd"], ()],
            "note": ["nan", {"a": 1}],
        },
        geometry=[Point(9.1234567, 51.5), Point(10.0, 51.6)],
        crs="EPSG:4326",
    )


def test_readable_values_are_rounded_and_labelled(frame: gpd.GeoDataFrame) -> None:
    out = readable_table(frame, ColumnHeaders()).frame
    assert out["Ortstyp"].tolist() == ["Weiler", "Dorf"]
    assert out["Kategorie"].tolist() == ["Kita", "Hebamme"]
    assert out["Verkehrsmittel"].tolist() == ["zu Fuß", "Auto"]
    assert out["Kinder 0–3 Jahre"].tolist()[0] == 323
    assert out["Kinder 0–3 Jahre"].isna().tolist() == [False, True]
    assert out["Kita – zu Fuß: Minuten"].tolist()[0] == 2.3
    assert out["Kita – zu Fuß: km"].tolist()[0] == 1.0
    assert out["Anteil Kinder darüber (%)"].tolist() == [25.0, 100.0]
    assert out["Längengrad"].tolist() == [9.123457, 10.0]


def test_display_value_never_shows_reprs() -> None:
    assert display_value(["Adorf", None, float("nan"), "Bdorf"]) == "Adorf, Bdorf"
    assert display_value(("=cmd", "b")) == "'=cmd, b"  # formula-safe after joining
    assert display_value({"a": 1, "b": None}) == "a: 1"
    assert display_value([]) is None
    for text in ("None", "nan", "NaT", "<NA>"):
        assert display_value(text) is None
    assert display_value(-5) == -5
    assert display_value("-5") == "'-5"


def test_excel_german_sheet_formats_and_spalten(tmp_path: Path, frame: gpd.GeoDataFrame) -> None:
    path = write_excel(tmp_path / "a.xlsx", {"Orte": frame}, methodik=[("Werkzeug", "x")],
                       headers=ColumnHeaders())  # fmt: skip
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Orte", COLUMNS_SHEET, METHODIK_SHEET]
    ws = wb["Orte"]
    header = [c.value for c in ws[1]]
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(header)}
    share = ws[f"{col['Anteil Kinder darüber (%)']}2"]
    assert share.value == 25.0
    assert share.number_format == '0.0" %"'
    minutes = ws[f"{col['Kita – zu Fuß: Minuten']}2"]
    assert (minutes.value, minutes.number_format) == (2.3, "0.0")
    assert ws[f"{col['Kinder 0–3 Jahre']}2"].number_format == "#,##0"
    assert ws[f"{col['Kita – zu Fuß: km']}3"].value is None  # inf is an empty cell
    assert ws[f"{col['Name']}2"].value == "'=1+1"
    assert ws[f"{col['Name']}2"].data_type == "s"
    assert ws[f"{col['unterversorgte Orte (Namen)']}2"].value == "Adorf, '=cmd"
    assert ws[f"{col['unterversorgte Orte (Namen)']}3"].value is None
    assert ws[f"{col['note']}2"].value is None
    spalten = list(wb[COLUMNS_SHEET].iter_rows(values_only=True))
    assert spalten[0] == ("Tabellenblatt", "Spalte", "Spaltenname (GeoPackage/Parquet)",
                          "Bedeutung")  # fmt: skip
    by_label = {r[1]: r for r in spalten[1:]}
    assert set(by_label) == set(header)
    assert by_label["Kita – zu Fuß: Minuten"][2] == "kita_walk_min"
    assert "Prozent" in by_label["Anteil Kinder darüber (%)"][3]
    topics = [r[0] for r in wb[METHODIK_SHEET].iter_rows(min_row=2, values_only=True)]
    assert topics == ["Werkzeug", "Spaltennamen"]
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_csv_german_numbers(tmp_path: Path, frame: gpd.GeoDataFrame) -> None:
    path = write_csv_de(tmp_path / "orte.csv", frame, headers=ColumnHeaders())
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(";") for line in lines]
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert cell["Kita – zu Fuß: Minuten"] == "2,3"
    assert cell["Anteil Kinder darüber (%)"] == "25,0"
    assert cell["Kinder 0–3 Jahre"] == "323"
    assert cell["Name"] == "'=1+1"
    assert cell["Kita – zu Fuß: innerhalb"] == "ja"
    assert cell["note"] == ""
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Kinder 0–3 Jahre"] == "" and second["Kita – zu Fuß: km"] == ""


# -- the Beispielkreis run -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, dict[str, Path]]:
    from erreichbarkeit.demo import generate_demo
    from erreichbarkeit.pipeline import run
    from erreichbarkeit.report.outputs import export_results

    tmp = tmp_path_factory.mktemp("readable")
    files = generate_demo(tmp / "daten")
    results = run(Settings.from_toml(files.region, cache_dir=tmp / "cache"))
    return results, export_results(results, tmp / "out")


def _sheet_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _single_sheet(xlsx: Path, sheet: str, target: Path) -> Path:
    """The sheet as its own workbook (what a planner gets with „Blatt verschieben“)."""
    wb = openpyxl.load_workbook(xlsx)
    for name in wb.sheetnames:
        if name != sheet:
            del wb[name]
    wb.save(target)
    return target


def _assert_same_offers(back: gpd.GeoDataFrame, offers: gpd.GeoDataFrame) -> None:
    back = back.set_index("id").loc[offers["id"]]
    assert back.index.tolist() == offers["id"].tolist()
    assert back["name"].tolist() == offers["name"].tolist()
    assert back["category"].tolist() == offers["category"].tolist()
    np.testing.assert_allclose(back.geometry.x, offers.geometry.x, atol=1e-6)
    np.testing.assert_allclose(back.geometry.y, offers.geometry.y, atol=1e-6)
    np.testing.assert_array_equal(back["capacity"].to_numpy(), offers["capacity"].to_numpy())
    assert back["address"].tolist() == offers["address"].tolist()


def test_offers_read_back_as_input_list(demo_export, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    results, paths = demo_export
    cats = load_categories()
    from_csv = read_offers(paths["angebote_csv"], cats)
    assert not [p for p in from_csv.problems if p.severity == "error"]
    _assert_same_offers(from_csv.offers, results.offers)
    sheet = _single_sheet(paths["xlsx"], "Angebote", tmp_path / "angebote.xlsx")
    from_xlsx = read_offers(sheet, cats)
    assert not [p for p in from_xlsx.problems if p.severity == "error"]
    _assert_same_offers(from_xlsx.offers, results.offers)


def test_villages_read_back_as_input_list(demo_export, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    results, paths = demo_export
    villages = results.villages
    sheet = _single_sheet(paths["xlsx"], "Orte", tmp_path / "orte.xlsx")
    for path in (paths["orte_csv"], sheet):
        back = read_villages(path)
        assert back["id"].tolist() == villages["id"].tolist()
        assert back["name"].tolist() == villages["name"].tolist()
        np.testing.assert_allclose(back.geometry.x, villages.geometry.x, atol=1e-6)
        np.testing.assert_allclose(back.geometry.y, villages.geometry.y, atol=1e-6)
        assert back["population"].tolist() == villages["population"].round(0).tolist()
        for col in ("children_0_3", "children_10_18"):
            assert back[col].tolist() == villages[col].round(0).tolist()


def _decimals(text: str) -> int:
    return len(text.split(",")[1]) if "," in text else 0


def _check_header(header: Any, described: dict[str, str], where: str) -> None:
    assert isinstance(header, str) and header, where
    machine = described.get(header)
    assert machine is not None, f"{where}: {header!r} not on sheet Spalten"
    assert ColumnHeaders().describe(machine).known, f"{where}: no German label for {machine!r}"
    if header not in ALLOWED_LOWERCASE:
        assert not re.fullmatch(r"[a-z0-9_]+", header), f"{where}: English header {header!r}"


def _check_text(value: Any, where: str) -> None:
    if isinstance(value, str):
        assert value.strip() not in LEAKED, f"{where}: {value!r}"
        assert "[" not in value and "{" not in value, f"{where}: {value!r}"


def test_every_sheet_is_german_and_clean(demo_export) -> None:  # type: ignore[no-untyped-def]
    _, paths = demo_export
    sheets = _sheet_rows(paths["xlsx"])
    described: dict[str, dict[str, str]] = {}
    for sheet, label, machine, _meaning in sheets[COLUMNS_SHEET][1:]:
        described.setdefault(sheet, {})[label] = machine
    tables = [s for s in sheets if s not in (COLUMNS_SHEET, METHODIK_SHEET)]
    assert {"Orte", "Gemeinden", "Angebote", "Reisezeiten"} <= set(tables)
    h = ColumnHeaders()
    for sheet in tables:
        header, *rows = sheets[sheet]
        assert len(set(header)) == len(header), sheet
        minute_cols = []
        for j, col in enumerate(header):
            _check_header(col, described[sheet], sheet)
            if h.describe(described[sheet][col]).kind == "minutes":
                minute_cols.append(j)
        no_minutes = (
            "Angebote", "Versorgung Orte", "Versorgung Gemeinden", "Bus & Bahn Gemeinden",
            "Aufsuchende Angebote", "Bedarf",
        )  # fmt: skip
        assert minute_cols or sheet in no_minutes
        for i, row in enumerate(rows, start=2):
            for j, value in enumerate(row):
                _check_text(value, f"{sheet} row {i} col {header[j]}")
                if j in minute_cols and value is not None:
                    assert value == round(value, 1), f"{sheet} row {i} {header[j]}: {value}"
    for sheet in (COLUMNS_SHEET, METHODIK_SHEET):
        for i, row in enumerate(sheets[sheet], start=1):
            for value in row:
                _check_text(value, f"{sheet} row {i}")


def test_every_csv_is_german_and_clean(demo_export) -> None:  # type: ignore[no-untyped-def]
    _, paths = demo_export
    sheets = _sheet_rows(paths["xlsx"])
    by_stem = {"orte": "Orte", "gemeinden": "Gemeinden", "angebote": "Angebote",
               "reisezeiten": "Reisezeiten", "hinweise": "Hinweise"}  # fmt: skip
    described: dict[str, dict[str, str]] = {}
    for sheet, label, machine, _meaning in sheets[COLUMNS_SHEET][1:]:
        described.setdefault(sheet, {})[label] = machine
    h = ColumnHeaders()
    csvs = [p for k, p in paths.items() if k.endswith("_csv")]
    assert len(csvs) >= 4
    for path in csvs:
        table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")  # fmt: skip
        sheet = by_stem[path.stem]
        for col in table.columns:
            _check_header(col, described[sheet], path.name)
            kind = h.describe(described[sheet][col]).kind
            for i, value in enumerate(table[col], start=2):
                _check_text(value, f"{path.name} row {i} {col}")
                if kind in ("minutes", "km") and value:
                    assert re.fullmatch(r"\d+(,\d)?", value), f"{path.name} {col}: {value}"
                if kind == "people" and value:
                    assert re.fullmatch(r"\d+", value), f"{path.name} {col}: {value}"
                assert value not in ("True", "False"), f"{path.name} {col}"


def test_machine_files_keep_machine_names(demo_export) -> None:  # type: ignore[no-untyped-def]
    results, paths = demo_export
    orte = pyogrio.read_dataframe(paths["gpkg"], layer="orte")
    assert {"id", "kita_car_min", "children_0_3", "snap_m_car"} <= set(orte.columns)
    raw = results.villages.set_index("id")["kita_car_min"]
    got = orte.set_index("id")["kita_car_min"]
    assert got.loc[raw.index].tolist() == pytest.approx(raw.tolist(), nan_ok=True)  # unrounded
    tt = pd.read_parquet(paths["reisezeiten_parquet"])
    assert {"origin_id", "destination_id", "mode", "minutes", "km"} <= set(tt.columns)
    assert set(tt["mode"]) <= {"car", "bike", "walk", *results.settings.modes}
    assert not math.isnan(tt["minutes"].iloc[0])


@pytest.mark.parametrize("header", ["Kinder 0–3 Jahre", "Kinder 0-3", "children_0_3"])
def test_villages_list_reads_german_children_headers(tmp_path: Path, header: str) -> None:
    path = tmp_path / "orte.csv"
    path.write_text(f"ID;Name;Breitengrad;Längengrad;Einwohner;{header}\n"
                    "a;Adorf;51,5;9,9;1200;34\n", encoding="utf-8")  # fmt: skip
    back = read_villages(path)
    assert back["children_0_3"].tolist() == [34.0]
    assert back["population"].tolist() == [1200.0]


@pytest.mark.parametrize("headers", [None, ColumnHeaders()])
def test_formula_headers_are_neutralised(tmp_path: Path, headers: ColumnHeaders | None) -> None:
    """A column name from a user's file is a cell, too: never a live formula."""
    df = pd.DataFrame({"id": ["a"], "=HYPERLINK(1)": ["-1"]})
    csv = write_csv_de(tmp_path / "a.csv", df, headers=headers)
    header, row = csv.read_text(encoding="utf-8-sig").splitlines()
    assert header.split(";")[1] == "'=HYPERLINK(1)"
    assert row.split(";")[1] == "'-1"
    xlsx = write_excel(tmp_path / "a.xlsx", {"Orte": df}, methodik=[], headers=headers)
    ws = openpyxl.load_workbook(xlsx)["Orte"]
    assert (ws["B1"].value, ws["B1"].data_type) == ("'=HYPERLINK(1)", "s")
    assert (ws["B2"].value, ws["B2"].data_type) == ("'-1", "s")
