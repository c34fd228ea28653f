"""Zuständigkeit: the way to the responsible Stelle next to the nearest offer.

Reader (:mod:`erreichbarkeit.io.responsibility`), the pure indicator
(:mod:`erreichbarkeit.analysis.responsibility`) with hand-computed numbers,
the routing of missing pairs, the outputs and the demo.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from erreichbarkeit.analysis.responsibility import responsibility_table
from erreichbarkeit.config import WGS84, load_categories
from erreichbarkeit.io.responsibility import ResponsibilityReadResult, read_responsibility
from erreichbarkeit.network.routing import TableResult
from erreichbarkeit.pipeline._responsibility import missing_pairs, route_missing
from erreichbarkeit.results import Results

CATS = load_categories()


def villages() -> gpd.GeoDataFrame:
    """Four villages in two Gemeinden (Nordheim 99000001, Südstadt 99000002)."""
    return gpd.GeoDataFrame(
        {
            "id": ["v1", "v2", "v3", "v4"],
            "name": ["Altdorf", "Birkenau", "Celle-Ost", "Dornbach"],
            "ags": ["99000001", "99000001", "99000002", "99000002"],
            "gemeinde": ["Nordheim", "Nordheim", "Südstadt", "Südstadt"],
            "children_6_10": [10.0, 20.0, 30.0, 40.0],
        },
        geometry=[Point(10.0, 51.0), Point(10.1, 51.0), Point(10.2, 51.0), Point(10.3, 51.0)],
        crs=WGS84,
    )


def offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["s1", "s2", "r1"],
            "name": ["Grundschule Nordheim", "Grundschule Südstadt", "Rathaus Nordheim"],
            "category": ["grundschule", "grundschule", "rathaus"],
            "address": ["Schulweg 1, Nordheim", "Schulweg 2, Südstadt", "Markt 1, Nordheim"],
        },
        geometry=[Point(10.0, 51.01), Point(10.25, 51.01), Point(10.05, 51.0)],
        crs=WGS84,
    )


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    text = "\r\n".join(";".join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def read(path: Path) -> ResponsibilityReadResult:
    return read_responsibility(path, CATS, villages=villages(), offers=offers())


# --------------------------------------------------------------------------- reader


def test_reader_gemeinde_rows_and_an_ort_row_that_wins(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "zustaendigkeit.csv",
        [
            ["Gemeinde", "Ort", "Kategorie", "Zuständige Stelle", "Bemerkung"],
            ["Nordheim", "", "Grundschule", "Grundschule Nordheim", "Schulbezirk"],
            ["Südstadt", "", "Grundschule", "Grundschule Südstadt", ""],
            ["", "Birkenau", "Grundschule", "Grundschule Südstadt", "Gastschulantrag"],
        ],
    )
    res = read(path)
    assert res.problems == ()
    asg = res.assignments.set_index("village_id")
    assert asg["offer_id"].to_dict() == {"v1": "s1", "v2": "s2", "v3": "s2", "v4": "s2"}
    assert asg.loc["v2", "basis"] == "Ort"
    assert asg.loc["v2", "note"] == "Gastschulantrag"
    assert asg.loc["v1", "basis"] == "Gemeinde"
    assert res.offers.empty


def test_reader_ags_typos_and_a_stelle_by_coordinates(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "z.csv",
        [
            ["AGS", "Art", "Angebot", "Breite", "Länge"],
            ["99000001", "Kreishaus", "Kreishaus Nordheim", "51,02", "10,1"],
            ["99000002", "Kreisverwaltung", "Kreishaus Nordheim", "51,02", "10,1"],
            ["99000001", "Grundschle", "Grundschule Nordhiem", "", ""],
        ],
    )
    res = read(path)
    assert not res.errors, res.errors
    assert len(res.offers) == 1  # one Kreishaus for both Gemeinden
    kh = res.offers.iloc[0]
    assert (kh["category"], kh["name"]) == ("kreisverwaltung", "Kreishaus Nordheim")
    assert kh["source"] == "Zuständigkeit: z.csv"
    asg = res.assignments
    assert set(asg.loc[asg["category"] == "kreisverwaltung", "offer_id"]) == {kh["id"]}
    assert set(asg.loc[asg["category"] == "grundschule", "offer_id"]) == {"s1"}
    warned = {(p.row, p.column) for p in res.warnings}
    assert (4, "Art") in warned  # Grundschle → Grundschule
    assert (4, "Angebot") in warned  # Grundschule Nordhiem → Grundschule Nordheim


def test_reader_no_usable_row_is_a_german_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "z.csv",
        [["Gemeinde", "Kategorie", "Stelle"], ["Nirgendwo", "Grundschule", "X"]],
    )
    res = read(path)
    assert res.failure is not None
    assert "Zuständigkeiten" in res.failure.message_de
    assert "Nirgendwo" in res.failure.message_de


# --------------------------------------------------------------------------- indicator


def long_table() -> pd.DataFrame:
    rows = [
        # car: v1 → s1 4 min, s2 12; v2 → s1 7, s2 5; v3 → s2 3; v4 → s2 6 (s1 beyond)
        ("v1", "s1", "car", 4.0), ("v1", "s2", "car", 12.0),
        ("v2", "s1", "car", 7.0), ("v2", "s2", "car", 5.0),
        ("v3", "s2", "car", 3.0), ("v3", "s1", "car", 9.5),
        ("v4", "s2", "car", 6.0),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["origin_id", "destination_id", "mode", "minutes"])
    frame["km"] = frame["minutes"]
    return frame


def test_indicator_hand_computed() -> None:
    asg = pd.DataFrame(
        {
            "village_id": ["v1", "v2", "v3", "v4"],
            "category": "grundschule",
            "offer_id": ["s1", "s1", "s1", "s1"],
            "stelle": "Grundschule Nordheim",
        }
    )
    out = responsibility_table(
        villages(), long_table(), offers(), asg, modes=("car",),
        age_groups={"grundschule": ("6-10",)},
    )  # fmt: skip
    assert list(out["village_id"]) == ["v4", "v3", "v2", "v1"]
    first = out.iloc[0]  # v4: responsible beyond the cutoff → ranked first, NaN, never 0
    assert first["stelle_beyond_cutoff"]
    assert math.isnan(first["stelle_minutes"])
    assert math.isnan(first["difference_min"])
    assert first["nearest"] == "Grundschule Südstadt"
    assert first["nearest_minutes"] == 6.0
    assert not first["zustaendig_ist_naechstes"]
    by = out.set_index("village_id")
    assert by.loc["v3", "difference_min"] == pytest.approx(6.5)  # 9.5 − 3
    assert by.loc["v2", "difference_min"] == pytest.approx(2.0)  # 7 − 5
    assert by.loc["v1", "difference_min"] == 0.0
    assert bool(by.loc["v1", "zustaendig_ist_naechstes"])
    assert not bool(by.loc["v2", "zustaendig_ist_naechstes"])
    assert by.loc["v3", "children"] == 30.0
    assert by.loc["v3", "gemeinde"] == "Südstadt"
    assert by.loc["v2", "stelle_minutes"] == 7.0


def test_indicator_one_row_per_mode_and_empty_without_assignments() -> None:
    asg = pd.DataFrame(
        {"village_id": ["v1"], "category": ["grundschule"], "offer_id": ["s1"], "stelle": ["x"]}
    )
    out = responsibility_table(villages(), long_table(), offers(), asg, modes=("car", "pt"))
    assert sorted(out["mode"]) == ["car", "pt"]
    pt = out[out["mode"] == "pt"].iloc[0]
    assert pt["stelle_beyond_cutoff"]
    assert pt["nearest_id"] is None or pd.isna(pt["nearest_id"])
    empty = responsibility_table(villages(), long_table(), offers(), asg.iloc[:0], modes=("car",))
    assert empty.empty


class FakeRouter:
    """Answers ``table()`` with 10 minutes per degree of longitude (snap 0)."""

    access_kmh = 5.0

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def table(
        self, sources: object, destinations: object, *, max_sources_per_query: int = 1000
    ) -> TableResult:
        src = np.asarray(sources, dtype=float).reshape(-1, 2)
        dst = np.asarray(destinations, dtype=float).reshape(-1, 2)
        self.calls.append((len(src), len(dst)))
        sec = np.abs(src[:, None, 0] - dst[None, :, 0]) * 600.0
        return TableResult(sec, sec, np.zeros(len(src)), np.zeros(len(dst)))


def test_only_the_missing_pairs_are_routed() -> None:
    asg = pd.DataFrame(
        {"village_id": ["v1", "v4"], "category": "grundschule", "offer_id": ["s1", "s1"]}
    )
    missing = missing_pairs(long_table(), asg, ("car", "pt"))
    assert sorted(map(tuple, missing[["village_id", "mode"]].to_numpy())) == [
        ("v1", "pt"), ("v4", "car"), ("v4", "pt"),
    ]  # fmt: skip
    router = FakeRouter()
    pt = missing[missing["mode"] == "pt"]
    extra = route_missing(
        {"pt": router}, villages(), offers(), pt, cutoff_minutes=100.0, max_snap_m=500.0
    )
    assert router.calls == [(2, 1)]  # one query: both villages to s1
    minutes = extra.set_index("origin_id")["minutes"]
    assert minutes["v1"] == pytest.approx(0.0)
    assert minutes["v4"] == pytest.approx(3.0)


# --------------------------------------------------------------------------- demo run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.demo.beispielkreis import generate_demo
    from erreichbarkeit.pipeline import run

    tmp = tmp_path_factory.mktemp("zustaendigkeit")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(
        files.region, cache_dir=tmp / "cache", grid_cell_m=None, modes=("car", "walk")
    )
    return run(settings)


@pytest.mark.slow
def test_demo_has_grundschulbezirke_that_are_not_the_nearest(demo: Results) -> None:
    table = demo.responsibility
    assert len(demo.inputs.responsibility) > 0
    assert not [p for p in demo.inputs.problems if p.file == "zustaendigkeit.csv"]
    car = table[(table["category"] == "grundschule") & (table["mode"] == "car")]
    assert set(car["village_id"]) <= set(demo.villages["id"].astype(str))
    assert len(car) == car["village_id"].nunique()  # one responsible school per village
    detour = car[~car["zustaendig_ist_naechstes"] & car["difference_min"].notna()]
    assert len(detour) >= 1  # a border village whose own school is not the nearest
    assert (detour["difference_min"] > 0).all()
    ranked = car["difference_min"].dropna().to_numpy()
    assert (np.diff(ranked) <= 1e-9).all()  # by the detour, largest first
    beyond = car[car["stelle_beyond_cutoff"]]
    assert beyond["difference_min"].isna().all()
    if len(beyond):
        assert car.iloc[: len(beyond)]["stelle_beyond_cutoff"].all()  # ranked first


@pytest.mark.slow
def test_demo_offices_are_two_rows_of_one_steckbrief_table(demo: Results) -> None:
    import io

    from pypdf import PdfReader

    from erreichbarkeit.report.steckbrief import steckbrief_pdf
    from erreichbarkeit.report.steckbrief_offices import office_rows

    ags = str(demo.responsibility["ags"].dropna().iloc[0])
    rows = office_rows(demo, ags)
    labels = [r[0] for r in rows]
    assert "Grundschule" in labels
    if "kreisverwaltung" in set(demo.responsibility["category"]):
        assert {"Rathaus", "Kreisverwaltung"} <= set(labels)  # Stadt and Kreis: two rows
    assert all("nan" not in cell and "None" not in cell for r in rows for cell in r)
    pdf = steckbrief_pdf(demo, ags=ags, mode="car", age_group="6-10")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Wege zu den zuständigen Stellen" in text


@pytest.mark.slow
def test_demo_export_sheet_is_german(demo: Results, tmp_path: Path) -> None:
    import openpyxl

    from erreichbarkeit.report.outputs import export_results

    paths = export_results(demo, tmp_path / "out")
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    ws = wb["Zuständigkeit"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    for label in ("Ort", "Gemeinde", "zuständige Stelle", "Minuten zur zuständigen Stelle",
                  "nächstes Angebot", "Umweg (Minuten)", "Hinweis"):  # fmt: skip
        assert label in header, header
    cat = header.index("Kategorie")
    assert {r[cat] for r in rows[1:]} >= {"Grundschule"}
    hint = header.index("Hinweis")
    beyond = demo.responsibility["stelle_beyond_cutoff"].sum()
    assert sum(r[hint] == "jenseits der Berechnungsgrenze" for r in rows[1:]) == beyond
    methodik = [r[0] for r in wb["Methodik"].iter_rows(values_only=True)]
    assert "Zuständigkeit" in methodik
    wb.close()


def test_load_inputs_rejects_an_unusable_table_before_routing(tmp_path: Path) -> None:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.demo.beispielkreis import generate_demo
    from erreichbarkeit.errors import InputDataError
    from erreichbarkeit.pipeline import load_inputs

    files = generate_demo(tmp_path / "daten")
    bad = write_csv(
        tmp_path / "kaputt.csv",
        [["Gemeinde", "Kategorie", "Zuständige Stelle"], ["Nirgendwo", "Grundschule", "X"]],
    )
    settings = Settings.from_toml(files.region, cache_dir=tmp_path / "cache")
    with pytest.raises(InputDataError) as info:
        load_inputs(settings.replace(responsibility=(bad,)))
    assert "kaputt.csv" in info.value.german
    assert "Nirgendwo" in info.value.german
    data = load_inputs(settings)
    assert set(data.responsibility["category"]) >= {"grundschule"}
    assert any(s["Datei"] == "zustaendigkeit.csv" for s in data.sources)


def test_cli_flag_sets_the_tables(tmp_path: Path) -> None:
    from erreichbarkeit.cli._common import settings_from_args
    from erreichbarkeit.cli.main import build_parser

    args = build_parser().parse_args(
        ["analyse", "--network", str(tmp_path / "x.osm"), "--zustaendigkeit", "a.csv",
         "--zustaendigkeit", "b.xlsx"]
    )  # fmt: skip
    settings = settings_from_args(args)
    assert [p.name for p in settings.responsibility] == ["a.csv", "b.xlsx"]


def test_display_texts_never_nan() -> None:
    from erreichbarkeit.ui.responsibility_panel import responsibility_display

    asg = pd.DataFrame(
        {"village_id": ["v1", "v4"], "category": "grundschule", "offer_id": ["s1", "s1"],
         "stelle": "Grundschule Nordheim"}
    )  # fmt: skip
    table = responsibility_table(villages(), long_table(), offers(), asg, modes=("car", "pt"))
    for mode in ("car", "pt"):
        shown = responsibility_display(table, mode=mode, category=None, labels={})
        cells = shown.astype(str).to_numpy().ravel().tolist()
        assert not {"nan", "None", "NaN", "<NA>"} & set(cells), cells
    car = responsibility_display(table, mode="car", category="grundschule", labels={})
    assert car.iloc[0]["Minuten zuständig"] == "jenseits der Berechnungsgrenze"  # v4 first
    assert car.iloc[0]["Umweg (Minuten)"] == "jenseits der Berechnungsgrenze"
    assert car.iloc[1]["Umweg (Minuten)"] == "0,0"
    assert car.iloc[1]["Minuten zuständig"] == "4,0"
