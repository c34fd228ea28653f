"""Number audit of the dashboard: every number a planner reads is German.

Opens every page of the dashboard with Streamlit's AppTest on the built-in
fictional Beispielkreis (generated into a temporary data folder, as in
``tests/test_app.py``) in several states — each mode, an age group without
any offer, a threshold of 7,5 minutes, a chosen village, the grid surface
and bands, a closed offer and a location suggestion on the Planung page, the
Land page with and without a batch — and checks every table (the Styler's
display texts), metric, text and widget text with
:func:`tests.number_audit.audit_page`: no English decimal point, no
None/nan/<NA>/inf, no English UI word, whole children, shares with „%“.

Each state also says what it must show (tables with given headers, metric
cards), so an empty page cannot pass.  Findings in modules this audit's
author does not own are listed in :data:`KNOWN` with their location; the
test compares the problems with that list exactly, so a new problem fails
and so does a fixed one (then its entry goes).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pandas as pd
import pytest
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData
from streamlit.testing.v1 import AppTest

from erreichbarkeit import pipeline
from erreichbarkeit._helpers import number_de
from erreichbarkeit.cli.main import build_parser, main
from erreichbarkeit.config import Settings, step_de
from erreichbarkeit.network.transit import transit_status
from erreichbarkeit.results import Results
from erreichbarkeit.ui import tables
from erreichbarkeit.ui.tables import comparison_display, german
from tests.number_audit import (
    PageAudit,
    audit_page,
    english_decimals,
    table_problems,
    text_problems,
)
from tests.test_app_land import _batch
from tests.test_app_planning import _busiest_offer
from tests.test_cli_german import ENGLISH as PROSE_ENGLISH
from tests.test_cli_german import NOT_PROSE, _subparsers

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("auditdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERREICHBARKEIT_DATA_DIR", str(folder))
        mp.delenv("ERREICHBARKEIT_REGIONS_DIR", raising=False)
        mp.delenv("ERREICHBARKEIT_BATCH_DIR", raising=False)
        yield folder


@pytest.fixture(scope="module")
def results(data_dir: Path) -> Results:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # generates the Beispielkreis and fills the OSRM cache
    assert not at.exception
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    return pipeline.run(Settings.from_toml(region, cache_dir=data_dir / "cache"))


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page of ``st.navigation`` by its url path (see tests/test_app.py)."""
    pages = at._registered_pages
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    return at.run()


# -- the states --------------------------------------------------------------------------

Action = Callable[[AppTest, Results], None]


def _mode(mode: str) -> Action:
    def act(at: AppTest, _: Results) -> None:
        at.sidebar.radio(key="mode").set_value(mode).run()

    return act


def _no_offers(at: AppTest, results: Results) -> None:
    """Schulen of the Beispielkreis serve 10–18 only: for 6–10 there is no offer at all."""
    at.sidebar.multiselect(key="categories").set_value(["schule"]).run()
    at.sidebar.selectbox(key="age_group").set_value("6-10").run()


def _threshold(at: AppTest, _: Results) -> None:
    at.sidebar.number_input(key="thr_kita_car").set_value(7.5).run()


def _village(at: AppTest, _: Results) -> None:
    box = at.selectbox(key="village")
    box.set_value(box.options[1]).run()  # options are shown names; the second village


def _village_pt(at: AppTest, results: Results) -> None:
    _mode("pt")(at, results)
    _village(at, results)


def _grid(at: AppTest, _: Results) -> None:
    at.sidebar.toggle(key="grid_surface").set_value(True).run()
    at.sidebar.toggle(key="grid_bands").set_value(True).run()


def _presentation(at: AppTest, _: Results) -> None:
    at.session_state["pm_on"] = True
    at.run()


def _family_centres(at: AppTest, _: Results) -> None:
    at.sidebar.multiselect(key="categories").set_value(["familienzentrum"]).run()


def _close_busiest(at: AppTest, results: Results) -> None:
    at.radio(key="wi_kind").set_value("close").run()
    at.selectbox(key="wi_offer").set_value(_busiest_offer(results, "kita")).run()
    at.button(key="wi_add").click().run()


def _suggest(at: AppTest, _: Results) -> None:
    at.session_state["plan_tab"] = "Standortvorschläge"
    at.run()
    at.selectbox(key="loc_category").set_value("familienzentrum").run()
    at.slider(key="loc_k").set_value(2).run()
    at.button(key="loc_run").click().run()


def _outside(at: AppTest, _: Results) -> None:
    """A new offer far outside the region: the German error names its coordinates."""
    at.number_input(key="wi_lat").set_value(48.0).run()
    at.button(key="wi_add").click().run()


def _nothing(at: AppTest, _: Results) -> None:
    pass


@dataclass(frozen=True)
class State:
    """A page in one state and what it must show."""

    page: str
    act: Action
    headers: tuple[str, ...] = ()  # each matches (re.fullmatch) a shown table's column header
    metrics: int = 0
    texts: tuple[str, ...] = ()  # shown somewhere in a text element
    pt: bool = False  # needs Bus & Bahn


_KARTE = (r"Kinder 0–3 Jahre", r"Kinder ohne Angebot im Schwellenwert",
          r"Anteil Kinder darüber \(%\)", r"Anteil ≤ 10 min \(%\)", r"Einwohner",
          r"Kinder jenseits", r"Minuten zuständig")  # fmt: skip
#: Versorgung and Planung name the children's ages in some headers („Kinder 0–3 Jahre …“).
_KIDS = r"Kinder( [0-9–, ]+ Jahre)?"
STATES = {
    "karte-auto": State("start", _nothing, _KARTE, 4),
    "karte-fahrrad": State("start", _mode("bike"), _KARTE, 4),
    "karte-zu-fuss": State("start", _mode("walk"), _KARTE, 4),
    "karte-bus-bahn": State("start", _mode("pt"), (*_KARTE, r"Kita: Umstiege"), 5, pt=True),
    "karte-ohne-angebot": State(
        "start", _no_offers, (r"Kinder 6–10 Jahre", r"Median Minuten \(Kinder\)"), 4, ("> 90 min",)
    ),
    "karte-schwelle-7,5": State("start", _threshold, _KARTE, 4, (
        "Schwellenwert 7,5 min", "jenseits des Schwellenwerts von 7,5 min", "innerhalb 7,5 min")),
    "karte-ort": State("start", _village, (*_KARTE, r"Rang"), 4),
    "karte-ort-bus-bahn": State("start", _village_pt, (r"Rang", r"Kita: Umstiege"), 5, pt=True),
    "karte-raster": State("start", _grid, _KARTE, 4),
    "besprechung": State("besprechung", _nothing, (), 4),
    "besprechung-bus-bahn": State("besprechung", _mode("pt"), (), 5, pt=True),
    "besprechung-praesentation": State("besprechung", _presentation, (), 4),
    "versorgung": State("versorgung", _nothing,
                        (rf"{_KIDS} \(Nachfrage\)", rf"{_KIDS} ohne Angebot in Reichweite"), 4),
    "versorgung-ohne-kapazitaet": State("versorgung", _family_centres,
                                        (rf"Angebote je 1.000 {_KIDS}",), 4),
    "versorgung-schwelle-7,5": State("versorgung", _threshold, (rf"{_KIDS} \(Nachfrage\)",), 4),
    "planung": State("planung", _nothing, (), 0, ("Schwellenwert 10 min",)),
    "planung-ausserhalb": State("planung", _outside, (), 0, ("außerhalb der Region",)),
    "planung-schliessen": State("planung", _close_busiest, (r"Kennzahl", r"Veränderung"), 3),
    "planung-vorschlaege": State("planung", _suggest, (rf"zusätzlich erreichte {_KIDS}",
                                                      rf"Anteil aller {_KIDS} \(%\)"), 3),
    "methodik": State("methodik", _nothing, (), 0, ("Was zeigt die Karte?",)),
    "land-leer": State("land", _nothing, (), 0, ("Noch keine Land-Auswertung gefunden",)),
}  # fmt: skip

#: Findings in modules others own (the audit's report names them with a fix):
#: state → patterns (re.fullmatch), each matching at least one problem of the
#: state and together matching all of them.  Remove an entry once its module is fixed.
_THRESHOLD_BOX = (  # ui/sidebar.py: number_input(format="%g") shows 7,5 exactly as „7.5“
    # (Streamlit's number box has no decimal comma; the KPI header says „7,5 min“)
    r"number_input\[0\] „Schwellenwert Kita \(Minuten\)“ Wert: Dezimalpunkt: 7\.5"
)
# ui/planning.py: number_input(format="%.6f") of the coordinates (Streamlit's box has no
# decimal comma; a text box read with cli._german-style parsing would have one)
_COORDINATE_BOXES = r"number_input\[\d\] „(Breitengrad|Längengrad)“ Wert: Dezimalpunkt: [\d.]+"
KNOWN: dict[str, tuple[str, ...]] = {
    "karte-schwelle-7,5": (_THRESHOLD_BOX,),
    "versorgung-schwelle-7,5": (_THRESHOLD_BOX,),
    "planung": (_COORDINATE_BOXES,),
    "planung-ausserhalb": (_COORDINATE_BOXES,),
}


def _assert_known(name: str, problems: list[str]) -> None:
    """Every problem is a known finding of the state, and every known finding still shows."""
    known = KNOWN.get(name, ())
    unknown = sorted({p for p in problems if not any(re.fullmatch(k, p) for k in known)})
    assert not unknown, unknown
    gone = [k for k in known if not any(re.fullmatch(k, p) for p in problems)]
    assert not gone, f"fixed? remove from KNOWN: {gone}"


def _run(state: State, results: Results) -> PageAudit:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if state.page != "start":
        _goto(at, state.page)
    state.act(at, results)
    assert not at.exception, at.exception
    return audit_page(at)


def _assert_shown(audit: PageAudit, state: State, at_texts: str) -> None:
    """The state really drew its tables, metrics and texts (no vacuous pass)."""
    headers = {h for key in audit.tables for h in key.split(": ", 1)[1].split(" | ")}
    missing = [p for p in state.headers if not any(re.fullmatch(p, h) for h in headers)]
    assert not missing, (missing, sorted(headers))
    assert len(audit.metrics) == state.metrics, audit.metrics
    assert all(t in at_texts for t in state.texts), at_texts[:500]
    assert audit.texts
    assert all(len(frame) for frame in audit.tables.values()), "an empty table"


@pytest.mark.parametrize("name", list(STATES))
def test_page_numbers_are_german(name: str, results: Results) -> None:
    state = STATES[name]
    if state.pt and not transit_status().available:
        pytest.skip("Bus & Bahn ist hier nicht verfügbar (r5py/Java fehlen)")
    audit = _run(state, results)
    _assert_shown(audit, state, "\n".join(audit.texts + audit.metrics + audit.labels))
    _assert_known(name, audit.problems)


# -- the checks themselves ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("12.5 min", ["12.5"]),
        ("Faktor 1.25 und 0.5", ["1.25", "0.5"]),
        ("60.969 Einwohner, 1.234.567 Kinder", []),
        ("Stichtag Di 08.12.2026, Abfahrt 06:30–08:00", []),
        ("AGS 99999002, 12,5 %, Version 3", []),
        ("Altersanteile (0-3: 2.8 %)", ["2.8"]),
        ("Satzende 10. Danach", []),
        ("erreichbarkeit 0.1.0, 192.168.0.1", []),
        ("Faktor 1.5.", ["1.5"]),
        ("zu weit vom Straßennetz (1612 m)", []),
    ],
)
def test_english_decimals(text: str, found: list[str]) -> None:
    assert english_decimals(text) == found


def test_text_problems_name_missing_values_and_english_words() -> None:
    assert text_problems("Median: nan min, Wert None, <NA>, inf", "x") == [
        "x: fehlender Wert: nan", "x: fehlender Wert: None", "x: fehlender Wert: <NA>",
        "x: fehlender Wert: inf",
    ]  # fmt: skip
    assert text_problems("Download as CSV", "y") == ["y: Englisch: Download"]
    assert text_problems("Nonexistent Infinite Mittelwert 7,5", "z") == []
    assert text_problems("(1612 m), 12345 Kinder, 2026, AGS 99999002, 1.612 m", "w") == [
        "w: ohne Tausenderpunkt: 1612", "w: ohne Tausenderpunkt: 12345",
    ]  # fmt: skip


_LAND_SCRIPT = """
from pathlib import Path
from erreichbarkeit.ui import land_page
land_page(Path({root!r}))
"""


def test_land_page_numbers_are_german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Land page with a batch (the fictional overview of ``tests/test_app_land.py``)."""
    monkeypatch.setenv("ERREICHBARKEIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ERREICHBARKEIT_BATCH_DIR", raising=False)
    _batch(tmp_path / "data" / "land" / "nrw")
    at = AppTest.from_string(_LAND_SCRIPT.format(root=str(tmp_path)), default_timeout=60).run()
    for figure in (("kita", "car"), ("kita", "walk")):
        at.selectbox(key="land_figure").set_value(figure).run()
        audit = audit_page(at)
        table = next(iter(audit.tables.values()))
        assert len(table) == 3  # two regions and a failed one
        assert any(c.startswith("Kinder jenseits der Schwelle") for c in table.columns)
        assert any(c.startswith("Anteil (") for c in table.columns)
        assert audit.problems == []


# -- the command line and the workbook ---------------------------------------------------

#: Mode codes of the library; the user reads „Auto“, „Fahrrad“, „zu Fuß“, „Bus & Bahn“.
_MODE_CODES = re.compile(r"\b(car|bike|walk|pt)\b")
#: A count of four or more digits without the thousands dot („8158“).
_NO_THOUSANDS = re.compile(r"(?<![\w.,/-])\d{4,}(?![\w.,])")


def test_cli_help_is_german(capsys: pytest.CaptureFixture[str]) -> None:
    """``erreichbarkeit --help`` and every command's help, as printed."""
    commands = ["", *_subparsers(build_parser())]
    assert len(commands) >= 9
    problems = []
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"] if name else ["--help"])
        out = capsys.readouterr().out
        assert out.startswith("Aufruf: erreichbarkeit"), out[:80]
        prose = NOT_PROSE.sub(" ", out)  # flags, metavars and choices are names
        problems += text_problems(prose, f"--help {name}")
        problems += [f"--help {name}: Englisch: {w}" for w in PROSE_ENGLISH.findall(prose)]
    assert problems == []


@pytest.fixture(scope="module")
def analysed(
    results: Results, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """``erreichbarkeit analyse`` on the Beispielkreis: its stdout and output folder."""
    out = tmp_path_factory.mktemp("analyse")
    region = data_dir / "generated" / "beispielkreis" / "region.toml"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["analyse", "--config", str(region), "--cache-dir", str(data_dir / "cache"),
                     "--out", str(out)])  # fmt: skip
    assert code == 0
    return buffer.getvalue(), out


def test_cli_analyse_output_is_german(analysed: tuple[str, Path], results: Results) -> None:
    text, _ = analysed
    shown = re.sub(r"/\S+", " ", text)  # file paths are names
    lines = shown.splitlines()
    # the Kreis figures: one line per category and mode, with German mode names
    assert sum(" Bus & Bahn " in line or " Auto " in line for line in lines) >= len(
        results.categories
    )
    assert re.search(r"Verbindungen", shown) and "Arbeitsmappe:" in shown
    problems = text_problems(shown, "analyse")
    problems += [f"analyse: Verkehrsmittel: {m}" for m in _MODE_CODES.findall(shown)]
    problems += [f"analyse: ohne Tausenderpunkt: {m}" for m in _NO_THOUSANDS.findall(shown)]
    assert problems == []


#: Workbook texts that name machine values on purpose: the GeoPackage/Parquet
#: column names on sheet „Spalten“ and their values, OSRM profile files.
_MACHINE_TEXT = re.compile(r"\(GeoPackage/Parquet:[^)]*\)|\b\w+\.lua\b")
#: Findings in the workbook made by modules others own (see the report).
KNOWN_WORKBOOK: tuple[str, ...] = ()


def _workbook_problems(path: Path) -> tuple[list[str], int]:
    """Problems of every text cell of the workbook and the number of text cells."""
    problems, n = [], 0
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str):
                    continue  # numbers: Excel shows them in the reader's format
                if sheet.title == "Spalten" and cell.column == 3:
                    continue  # „Spaltenname (GeoPackage/Parquet)“: machine names
                n += 1
                where = f"{sheet.title}!{cell.coordinate}"
                text = _MACHINE_TEXT.sub(" ", cell.value)
                problems += text_problems(text, where)
                problems += [f"{where}: Verkehrsmittel: {m}" for m in _MODE_CODES.findall(text)]
    return problems, n


def test_workbook_texts_are_german(analysed: tuple[str, Path]) -> None:
    _, out = analysed
    problems, n_texts = _workbook_problems(out / "erreichbarkeit.xlsx")
    assert n_texts > 1000  # headers, names, notes, Spalten and Methodik
    unknown = sorted({p for p in problems if not any(re.fullmatch(k, p) for k in KNOWN_WORKBOOK)})
    assert unknown == []
    gone = [k for k in KNOWN_WORKBOOK if not any(re.fullmatch(k, p) for p in problems)]
    assert not gone, f"fixed? remove from KNOWN_WORKBOOK: {gone}"


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [(8158, 0, "8.158"), (0.84, 1, "0,8"), (1234.56, 1, "1.234,6"), (float("nan"), 1, "—"),
     (None, 0, "—"), (12.0, 1, "12,0")],
)  # fmt: skip
def test_cli_numbers_are_german(value: object, digits: int, text: str) -> None:
    assert number_de(value, digits) == text


def test_cli_step_names_say_the_mode_in_german() -> None:
    assert step_de("Netz vorbereiten (car)") == "Netz vorbereiten (Auto)"
    assert step_de("Netz vorbereiten (walk)") == "Netz vorbereiten (zu Fuß)"
    assert step_de("Versorgung (2SFCA)") == "Versorgung (2SFCA)"
    assert step_de("Fahrplan laden (Bus & Bahn)") == "Fahrplan laden (Bus & Bahn)"


def _element(table: Any) -> Any:
    """A stand-in for AppTest's dataframe element: Streamlit's own proto of ``table``."""
    proto = ArrowData()
    if isinstance(table, pd.DataFrame):
        return SimpleNamespace(proto=SimpleNamespace(arrow_data=proto), value=table)
    marshall_styler(proto, table, "audit")
    return SimpleNamespace(proto=SimpleNamespace(arrow_data=proto), value=table.data)


_FRAME = pd.DataFrame(
    {"Kinder ohne Angebot im Schwellenwert": [51.3, 2.0], "Anteil ≤ 10 min (%)": [56.0, 100.0],
     "Median Minuten (Kinder)": [6.25, 90.0]}
)  # fmt: skip


def test_table_checks_pass_the_german_table() -> None:
    problems, shown = table_problems(_element(german(_FRAME)), "T")
    assert problems == []
    assert shown.iloc[0].tolist() == ["51", "56,0", "6,2"]
    assert shown.iloc[1].tolist() == ["2", "100,0", "90,0"]


def test_table_checks_catch_what_the_old_format_showed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digits by values only (the old ``german``): „51,3“ children, „56“ beside „30,7“."""
    monkeypatch.setattr(
        tables, "column_digits", lambda _, c: 0 if bool((c == c.round()).all()) else 1
    )
    problems, _ = table_problems(_element(german(_FRAME)), "T")
    kids, share = "T[Kinder ohne Angebot im Schwellenwert]", "T[Anteil ≤ 10 min (%)]"
    assert problems == [
        f"{kids}: Kinder nicht ganzzahlig: 51,3", f"{kids}: Kinder nicht ganzzahlig: 2,0",
        f"{share}: Anteil ohne eine Nachkommastelle: 56",
        f"{share}: Anteil ohne eine Nachkommastelle: 100",
    ]  # fmt: skip


def test_table_checks_catch_unformatted_and_missing_numbers() -> None:
    raw = pd.DataFrame({"Minuten": [12.5, None], "Orte": [3, 4], "Ort": ["A", "None"]})
    problems, _ = table_problems(_element(raw), "T")
    assert problems == [
        "T[Minuten]: Zahl ohne deutsches Format", "T[Minuten]: Dezimalpunkt: 12.5",
        "T[Minuten]: fehlender Wert: nan", "T[Ort]: fehlender Wert: None",
    ]  # fmt: skip
    figures = pd.DataFrame({"Kennzahl": ["Anteil Kinder außerhalb", "Kinder der Altersgruppe"],
                            "A": ["0,3", "1.771,0"], "B": ["30,6 %", "1.771"]})  # fmt: skip
    assert table_problems(_element(figures), "K")[0] == [
        "K<Anteil Kinder außerhalb>: Anteil ohne %: 0,3",
        "K<Kinder der Altersgruppe>: Kinder nicht ganzzahlig: 1.771,0",
    ]


def test_the_proposed_comparison_table_passes_the_audit() -> None:
    """``ui.tables.comparison_display`` (for ui/planning.py) clears the Kennzahl finding."""
    kpis = pd.DataFrame(
        {"Kennzahl": ["Kinder der Altersgruppe", "Kinder außerhalb der Schwelle",
                      "Anteil Kinder außerhalb", "Median Minuten (kindgewichtet)",
                      "Median über Grenze (1 = ja)", "Anteil Kinder ohne erreichbares Angebot"],
         "Ausgangslage": [1771.0, 541.9, 0.306, 6.04, 0.0, 0.001],
         "Mein Szenario": [1771.0, 732.9, 0.4138, 8.6, 0.0, 0.0],
         "Differenz": [0.0, 191.0, 0.1078, 2.56, 0.0, -0.001]}
    )  # fmt: skip
    assert table_problems(_element(german(kpis)), "K")[0] != []  # as the page shows it now
    assert table_problems(_element(comparison_display(kpis)), "K")[0] == []
