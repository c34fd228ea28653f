"""Outputs never replace inputs, user mistakes are exit 2, killed runs leave nothing behind.

Command line: every writing subcommand checks its output paths and its number
flags *before* the long computation (the inputs here are placeholders that
only need to exist: a check that ran after reading them would fail on them
with another message).  Library: :func:`export_results` refuses an
``out_dir`` whose export files would replace an input.  Leftovers: a rerun
removes its own stale files (``hinweise.csv``), and :func:`sweep_stale`
removes temporaries of killed writers, never those of a running process.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from erreichbarkeit._atomic import TMP_PREFIX, atomic_dir, atomic_path, sweep_stale
from erreichbarkeit.cli import analyse
from erreichbarkeit.cli.main import main
from erreichbarkeit.config import Settings
from erreichbarkeit.config.outpaths import RUN_OUTPUT_FILES, safe_child
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.planning.scenarios import new_scenario, save_scenario
from erreichbarkeit.report.export import export_all
from erreichbarkeit.report.outputs import export_results
from erreichbarkeit.report.steckbrief import steckbrief_filename

from .test_bad_inputs_common import GERMAN, Case

ROOT = Path(__file__).resolve().parents[1]


def _f(tmp: Path, name: str, data: bytes = b"x") -> Path:
    """A placeholder input file (its content is never read by the checks under test)."""
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def _net(tmp: Path) -> str:
    return str(_f(tmp / "netz", "netz.osm.pbf"))


def _region(tmp: Path) -> str:
    """A region file whose offers list ``angebote.csv`` and out folder are its own folder."""
    _f(tmp / "daten", "netz.osm.pbf")
    _f(tmp / "daten", "angebote.csv")
    text = '[inputs]\nnetwork = "netz.osm.pbf"\noffers = ["angebote.csv"]\nout_dir = "."\n'
    return str(_f(tmp / "daten", "region.toml", text.encode()))


def _linked(tmp: Path) -> list[str]:
    """An out folder whose ``orte.csv`` is a symbolic link to the villages file elsewhere."""
    villages = _f(tmp / "eingabe", "meine_orte.csv")
    out = tmp / "aus"
    out.mkdir()
    (out / "orte.csv").symlink_to(villages)
    return ["analyse", "-q", "--network", _net(tmp), "--villages", str(villages),
            "--out", str(out)]  # fmt: skip


def _std(tmp: Path, *more: str) -> list[str]:
    """``standorte`` on placeholder inputs with extra flags."""
    return ["standorte", "-q", "--network", _net(tmp), "--cache-dir", str(tmp / "cache"),
            "--category", "kita", "--out", str(tmp / "so"), *more]  # fmt: skip


def _sb(tmp: Path, *more: str) -> list[str]:
    return ["steckbrief", "-q", "--network", _net(tmp), "--cache-dir", str(tmp / "cache"),
            *more]  # fmt: skip


def _sz(tmp: Path, *more: str) -> list[str]:
    scen = save_scenario(new_scenario("Nichts ändern", []), tmp / "s.json")
    return ["szenario", "-q", "--network", _net(tmp), "--cache-dir", str(tmp / "cache"),
            "--scenario", str(scen), "--category", "kita", *more]  # fmt: skip


# --------------------------------------------------------------------------- outputs onto inputs

# argv(tmp) and the texts the one German error line must contain
OVERWRITE_CASES = [
    Case("out-onto-offers-csv", "analyse --out = folder of the offers list angebote.csv",
         "exit 2 naming both paths; the offers list unchanged",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t),
                             "--offers", str(_f(t / "in", "angebote.csv")), "--out", str(t / "in")],
          "names": ["angebote.csv", "überschreiben"], "kept": "in/angebote.csv"}),
    Case("out-onto-offers-xlsx", "analyse --out = folder of offers list erreichbarkeit.xlsx",
         "exit 2 naming erreichbarkeit.xlsx",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t),
                             "--offers", str(_f(t / "in", "erreichbarkeit.xlsx")),
                             "--out", str(t / "in")],
          "names": ["erreichbarkeit.xlsx", "Angebotsliste"], "kept": "in/erreichbarkeit.xlsx"}),
    Case("out-onto-villages", "analyse --out = folder of the villages file orte.csv",
         "exit 2 naming orte.csv and „Orte“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t),
                             "--villages", str(_f(t / "in", "orte.csv")), "--out", str(t / "in")],
          "names": ["orte.csv", "(Orte)"], "kept": "in/orte.csv"}),
    Case("out-onto-population", "analyse --out = folder of the population table gemeinden.csv",
         "exit 2 naming gemeinden.csv and „Einwohnerzahlen“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--population",
                             str(_f(t / "in", "gemeinden.csv")), "--out", str(t / "in")],
          "names": ["gemeinden.csv", "Einwohnerzahlen"], "kept": "in/gemeinden.csv"}),
    Case("out-onto-network-gpkg", "analyse --network in/erreichbarkeit.gpkg (GIS roads) --out in",
         "exit 2 naming erreichbarkeit.gpkg and „Straßennetz“",
         {"argv": lambda t: ["analyse", "-q", "--network",
                             str(_f(t / "in", "erreichbarkeit.gpkg")), "--out", str(t / "in")],
          "names": ["erreichbarkeit.gpkg", "Straßennetz"], "kept": "in/erreichbarkeit.gpkg"}),
    Case("out-onto-boundaries-gpkg", "analyse --boundaries in/erreichbarkeit.gpkg --out in",
         "exit 2 naming „Gemeindegrenzen“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--boundaries",
                             str(_f(t / "in", "erreichbarkeit.gpkg")), "--out", str(t / "in")],
          "names": ["erreichbarkeit.gpkg", "Gemeindegrenzen"], "kept": "in/erreichbarkeit.gpkg"}),
    Case("out-onto-population-grid", "analyse --grid 250 --population-grid in/reisezeiten.parquet",
         "exit 2 naming „Bevölkerungsraster“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--grid", "250",
                             "--population-grid", str(_f(t / "in", "reisezeiten.parquet")),
                             "--out", str(t / "in")],
          "names": ["reisezeiten.parquet", "Bevölkerungsraster"],
          "kept": "in/reisezeiten.parquet"}),
    Case("out-onto-optional-hinweise", "offers list named hinweise.csv in the out folder "
         "(a file the export writes only with row problems, and removes otherwise)",
         "exit 2: never written nor removed",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t),
                             "--offers", str(_f(t / "in", "hinweise.csv")), "--out", str(t / "in")],
          "names": ["hinweise.csv"], "kept": "in/hinweise.csv"}),
    Case("out-from-region-file",
         "region file with offers angebote.csv and out_dir = its own folder",
         "exit 2 (no --out needed to hit it)",
         {"argv": lambda t: ["analyse", "-q", "--cache-dir", str(t / "cache"),
                             "--config", _region(t)],
          "names": ["angebote.csv"], "kept": "daten/angebote.csv"}),
    Case("out-symlink-onto-villages", "out folder's orte.csv is a symlink to the villages file",
         "exit 2: the same file under another name is still an input",
         {"argv": _linked, "names": ["orte.csv", "meine_orte.csv"],
          "kept": "eingabe/meine_orte.csv"}),
    Case("out-relative-spelling", "--out given as in/../in while the offers are in/angebote.csv",
         "exit 2: paths are compared resolved",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t),
                             "--offers", str(_f(t / "in", "angebote.csv")),
                             "--out", str(t / "in" / ".." / "in")],
          "names": ["angebote.csv"], "kept": "in/angebote.csv"}),
    Case("szenario-out-onto-offers", "szenario --out in/angebote.xlsx = the offers list",
         "exit 2 naming angebote.xlsx",
         {"argv": lambda t: _sz(t, "--offers", str(_f(t / "in", "angebote.xlsx")),
                                "--out", str(t / "in" / "angebote.xlsx")),
          "names": ["angebote.xlsx"], "kept": "in/angebote.xlsx"}),
    Case("standorte-out-onto-candidates", "standorte --candidates so/standorte.xlsx --out so",
         "exit 2 naming „Kandidaten“",
         {"argv": lambda t: _std(t, "--candidates", str(_f(t / "so", "standorte.xlsx"))),
          "names": ["standorte.xlsx", "Kandidaten"], "kept": "so/standorte.xlsx"}),
]  # fmt: skip


def _one_german_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("erreichbarkeit: Fehler: "), line
    assert "Traceback" not in line
    assert "internal error" not in line
    assert GERMAN.search(line), line
    return line


@pytest.mark.parametrize("case", OVERWRITE_CASES, ids=lambda c: c.id)
def test_output_never_replaces_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    argv = case.data["argv"](tmp_path)
    kept = tmp_path / case.data["kept"]
    before = kept.read_bytes()
    started = time.perf_counter()
    assert main(argv) == 2
    assert time.perf_counter() - started < 10  # refused before any routing
    line = _one_german_line(capsys)
    for text in case.data["names"]:
        assert text in line, line
    assert line.count(str(tmp_path)) >= 2, line  # both paths, in full
    assert kept.read_bytes() == before


# --------------------------------------------------------------------------- user mistakes = exit 2


def _unwritable() -> str:
    """A folder nobody can create files in, even root: below /proc."""
    return "/proc/erreichbarkeit-ausgabe"


# argv(tmp) and a text the German line must contain
FLAG_CASES = [
    Case("out-is-a-file", "analyse --out pointing at an existing file",
         "exit 2: „… ist eine Datei, kein Ordner“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir",
                             str(t / "c"), "--out", str(_f(t, "ergebnis.txt"))],
          "text": "ist eine Datei"}),
    Case("out-below-a-file", "analyse --out file.txt/sub (a folder below a file)",
         "exit 2 naming the file",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir",
                             str(t / "c"), "--out", str(_f(t, "datei.txt") / "sub")],
          "text": "datei.txt ist eine Datei"}),
    Case("cache-dir-is-a-file", "analyse --cache-dir pointing at a file",
         "exit 2 naming --cache-dir",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir",
                             str(_f(t, "cache.bin")), "--out", str(t / "o")],
          "text": "--cache-dir"}),
    Case("out-unwritable", "analyse --out in a folder that cannot be created (/proc)",
         "exit 2: „kann nicht angelegt werden“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir",
                             str(t / "c"), "--out", _unwritable()],
          "text": "kann nicht"}),
    Case("cache-unwritable", "analyse --cache-dir below /proc", "exit 2 naming --cache-dir",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir",
                             _unwritable(), "--out", str(t / "o")],
          "text": "--cache-dir"}),
    Case("out-nul-byte", "analyse --out with a NUL byte in the path", "exit 2 naming --out",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--out", f"{t}/a\x00b"],
          "text": "--out"}),
    Case("network-nul-byte", "analyse --network with a NUL byte", "exit 2 naming --network",
         {"argv": lambda t: ["analyse", "-q", "--network", f"{t}/netz\x00.osm.pbf"],
          "text": "--network"}),
    Case("offers-nul-byte", "analyse --offers with a NUL byte", "exit 2 naming --offers",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--offers", "a\x00.csv"],
          "text": "--offers"}),
    Case("offers-missing", "analyse --offers naming a file that does not exist",
         "exit 2 before the run: „gibt es nicht“ with the file name",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir", str(t / "c"),
                             "--offers", str(t / "fehlt.csv"), "--out", str(t / "o")],
          "text": "fehlt.csv"}),
    Case("boundaries-missing", "analyse --boundaries naming a missing file",
         "exit 2 before the run naming it and „Gemeindegrenzen“",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir", str(t / "c"),
                             "--boundaries", str(t / "grenzen.gpkg"), "--out", str(t / "o")],
          "text": "(Gemeindegrenzen) gibt es nicht"}),
    Case("villages-missing", "analyse --villages naming a missing file", "exit 2 before the run",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir", str(t / "c"),
                             "--villages", str(t / "orte.gpkg"), "--out", str(t / "o")],
          "text": "(Orte) gibt es nicht"}),
    Case("population-missing", "analyse --population naming a missing file",
         "exit 2 before the run",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir", str(t / "c"),
                             "--population", str(t / "zensus.csv"), "--out", str(t / "o")],
          "text": "zensus.csv"}),
    Case("population-grid-missing", "analyse --grid 250 --population-grid missing file",
         "exit 2 before the run",
         {"argv": lambda t: ["analyse", "-q", "--network", _net(t), "--cache-dir", str(t / "c"),
                             "--grid", "250", "--population-grid", str(t / "raster.csv"),
                             "--out", str(t / "o")],
          "text": "(Bevölkerungsraster) gibt es nicht"}),
    Case("region-network-missing", "region file whose network file is not there",
         "exit 2 before the run naming the network file",
         {"argv": lambda t: ["analyse", "-q", "--cache-dir", str(t / "c"), "--out", str(t / "o"),
                             "--config", str(_f(t, "region.toml",
                                                b'[inputs]\nnetwork = "weg.osm.pbf"\n'))],
          "text": "weg.osm.pbf"}),
    Case("steckbrief-out-is-a-file", "steckbrief --out pointing at a file", "exit 2",
         {"argv": lambda t: _sb(t, "--out", str(_f(t, "x.pdf"))), "text": "ist eine Datei"}),
    Case("steckbrief-unknown-category", "steckbrief --categories kitta",
         "exit 2 before the run: „Unbekannte Kategorie“",
         {"argv": lambda t: _sb(t, "--categories", "kitta", "--out", str(t / "sb")),
          "text": "Unbekannte Kategorie „kitta“"}),
    Case("steckbrief-mode-not-computed", "steckbrief --mode walk with --modes car",
         "exit 2 before the run",
         {"argv": lambda t: _sb(t, "--modes", "car", "--mode", "walk", "--out", str(t / "sb")),
          "text": "„walk“"}),
    Case("szenario-out-is-a-folder", "szenario --out pointing at an existing folder",
         "exit 2: „ist ein Ordner“",
         {"argv": lambda t: _sz(t, "--out", str(t)), "text": "ist ein Ordner"}),
    Case("szenario-out-not-xlsx", "szenario --out vergleich.csv", "exit 2: must end in .xlsx",
         {"argv": lambda t: _sz(t, "--out", str(t / "vergleich.csv")), "text": ".xlsx"}),
    Case("szenario-unknown-category", "szenario --category kitta", "exit 2 before the run",
         {"argv": lambda t: [*_sz(t, "--out", str(t / "v.xlsx"))[:-4], "--category", "kitta",
                             "--out", str(t / "v.xlsx")],
          "text": "kitta"}),
    Case("standorte-k-zero", "standorte --k 0", "exit 2: out of range",
         {"argv": lambda t: _std(t, "--k", "0"), "text": "--k"}),
    Case("standorte-k-negative", "standorte --k -3", "exit 2: out of range",
         {"argv": lambda t: _std(t, "--k", "-3"), "text": "--k"}),
    Case("standorte-time-limit-nan", "standorte --time-limit nan", "exit 2",
         {"argv": lambda t: _std(t, "--time-limit", "nan"), "text": "--time-limit"}),
    Case("standorte-threshold-zero", "standorte --threshold 0", "exit 2",
         {"argv": lambda t: _std(t, "--threshold", "0"), "text": "--threshold"}),
    Case("standorte-threshold-above-cutoff", "standorte --threshold 500 (cutoff 90)", "exit 2",
         {"argv": lambda t: _std(t, "--threshold", "500"), "text": "--threshold"}),
    Case("standorte-unknown-category", "standorte --category kitta", "exit 2 before the run",
         {"argv": lambda t: [*_std(t)[:-6], "--category", "kitta", "--out", str(t / "so")],
          "text": "kitta"}),
    Case("standorte-only-candidates-without", "standorte --only-candidates, no --candidates",
         "exit 2", {"argv": lambda t: _std(t, "--only-candidates"), "text": "--candidates"}),
    Case("standorte-candidates-missing", "standorte --candidates fehlt.gpkg", "exit 2 naming it",
         {"argv": lambda t: _std(t, "--candidates", str(t / "fehlt.gpkg")),
          "text": "fehlt.gpkg"}),
    Case("demo-out-is-a-file", "demo --out pointing at a file", "exit 2, nothing generated",
         {"argv": lambda t: ["demo", "-q", "--out", str(_f(t, "demo.txt"))],
          "text": "ist eine Datei"}),
    Case("demo-seed-negative", "demo --seed -1", "exit 2 (not a numpy ValueError)",
         {"argv": lambda t: ["demo", "-q", "--seed", "-1", "--out", str(t / "d")],
          "text": "--seed"}),
    Case("demo-grid-tiny", "demo --grid 10 (cells of 10 m)", "exit 2 before generating",
         {"argv": lambda t: ["demo", "-q", "--grid", "10", "--out", str(t / "d")],
          "text": "--grid"}),
]  # fmt: skip


@pytest.mark.parametrize("case", FLAG_CASES, ids=lambda c: c.id)
def test_user_mistake_is_exit_2_before_the_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    from erreichbarkeit import pipeline
    from erreichbarkeit.demo import beispielkreis

    def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the long computation started before the check")

    monkeypatch.setattr(pipeline, "run", must_not_run)
    monkeypatch.setattr(beispielkreis, "generate_demo", must_not_run)
    try:
        code = main(case.data["argv"](tmp_path))
    except SystemExit as exc:  # argparse refused the value itself: usage, then one German line
        assert exc.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[0].startswith("Aufruf: erreichbarkeit"), err
        line = err[-1]
        assert ": Fehler: " in line and GERMAN.search(line), line
    else:
        assert code == 2
        line = _one_german_line(capsys)
    assert case.data["text"] in line, line
    assert not list(tmp_path.rglob("d/*"))  # demo: nothing generated


# errno raised while writing, German hint expected
OS_ERROR_CASES = [
    Case("disk-full", "disk full (ENOSPC) while the export writes", "exit 2: „kein Platz mehr“",
         {"errno": errno.ENOSPC, "text": "kein Platz mehr"}),
    Case("read-only-fs", "read-only file system (EROFS) while writing",
         "exit 2: „schreibgeschützt“",
         {"errno": errno.EROFS, "text": "schreibgeschützt"}),
    Case("permission-mid-run", "permission denied (EACCES) on a file during the run",
         "exit 2: „keine Berechtigung“", {"errno": errno.EACCES, "text": "keine Berechtigung"}),
]  # fmt: skip


@pytest.mark.parametrize("case", OS_ERROR_CASES, ids=lambda c: c.id)
def test_file_system_errors_during_the_run_are_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    target = tmp_path / "o" / "erreichbarkeit.xlsx"

    def failing(settings: Settings, *, quiet: bool, fresh: bool = False) -> int:
        raise OSError(case.data["errno"], os.strerror(case.data["errno"]), str(target))

    monkeypatch.setattr(analyse, "analyse_settings", failing)
    code = main(["analyse", "-q", "--network", _net(tmp_path), "--cache-dir",
                 str(tmp_path / "c"), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2
    line = _one_german_line(capsys)
    assert case.data["text"] in line
    assert str(target) in line


def test_an_internal_os_error_stays_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OS error no planner can fix (broken pipe) stays an internal error, exit 1."""

    def failing(settings: Settings, *, quiet: bool, fresh: bool = False) -> int:
        raise OSError(errno.EPIPE, "Broken pipe")  # not something a planner can fix

    monkeypatch.setattr(analyse, "analyse_settings", failing)
    code = main(["analyse", "-q", "--network", _net(tmp_path), "--cache-dir",
                 str(tmp_path / "c"), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 1
    assert "internal error" in capsys.readouterr().err


# --------------------------------------------------------------------------- library export


def _settings_with_offers(folder: Path, name: str) -> Settings:
    _f(folder, name)
    return Settings(network=_f(folder, "netz.osm.pbf"), offers=(str(folder / name),))


LIBRARY_CASES = [
    Case("export-results-onto-offers", "export_results(out_dir = folder of angebote.csv)",
         "ConfigError naming both paths; nothing written",
         {"name": "angebote.csv", "out": "", "error": "angebote.csv"}),
    Case("export-results-out-is-file", "export_results(out_dir = an existing file)",
         "ConfigError „ist eine Datei“", {"name": "liste.csv", "out": "liste.csv",
                                           "error": "ist eine Datei"}),
]  # fmt: skip


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=lambda c: c.id)
def test_export_results_refuses_before_writing(tmp_path: Path, case: Case) -> None:
    settings = _settings_with_offers(tmp_path, case.data["name"])
    before = sorted(p.name for p in tmp_path.iterdir())
    fake = SimpleNamespace(settings=settings)  # the check runs before any table is touched
    with pytest.raises(ConfigError) as info:
        export_results(fake, tmp_path / case.data["out"])  # type: ignore[arg-type]
    assert case.data["error"] in info.value.german
    assert GERMAN.search(info.value.german)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


NAME_CASES = [
    Case("steckbrief-name-traversal", "a Gemeinde called ../../x with AGS ../../03159",
         "Steckbrief file stays in the output folder: 03159_x.pdf",
         {"ags": "../../03159", "name": "../../x", "file": "03159_x.pdf"}),
    Case("steckbrief-name-absolute", "a Gemeinde called /etc/passwd", "a plain file name",
         {"ags": "03159001", "name": "/etc/passwd", "file": "03159001_etc-passwd.pdf"}),
    Case("steckbrief-name-empty", "a Gemeinde without name and AGS of dots", "a plain file name",
         {"ags": "..", "name": "..", "file": "ohne-ags_gemeinde.pdf"}),
]  # fmt: skip


@pytest.mark.parametrize("case", NAME_CASES, ids=lambda c: c.id)
def test_file_names_from_data_stay_in_the_folder(tmp_path: Path, case: Case) -> None:
    name = steckbrief_filename(case.data["ags"], case.data["name"])
    assert name == case.data["file"]
    assert safe_child(tmp_path, name).parent == tmp_path


@pytest.mark.parametrize("bad", ["../x.pdf", "a/b.pdf", "..", "", "x\x00.pdf"])
def test_safe_child_refuses_names_that_leave_the_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError):
        safe_child(tmp_path, bad)


# --------------------------------------------------------------------------- leftovers


@pytest.fixture
def tables() -> dict[str, Any]:
    villages = gpd.GeoDataFrame(
        {"id": ["v1"], "name": ["Adorf"], "ags": ["03159001"]},
        geometry=[Point(9.9, 51.5)], crs="EPSG:4326",
    )  # fmt: skip
    offers = gpd.GeoDataFrame(
        {"id": ["o1"], "name": ["Kita"], "category": ["kita"]},
        geometry=[Point(9.91, 51.51)], crs="EPSG:4326",
    )  # fmt: skip
    tt = pd.DataFrame({"origin_id": ["v1"], "destination_id": ["o1"], "mode": ["car"],
                       "minutes": [5.0], "km": [1.0]})  # fmt: skip
    return {"villages": villages, "offers": offers, "travel_times": tt,
            "gemeinden": pd.DataFrame({"ags": ["03159001"], "gemeinde": ["A"]}),
            "boundaries": None, "methodik": [("Werkzeug", "x")]}  # fmt: skip


def test_rerun_without_problems_removes_the_old_hinweise(tmp_path: Path, tables: Any) -> None:
    """A rerun without row problems removes the old hinweise.csv, none of the planner's files."""
    notes = pd.DataFrame({"file": ["a.csv"], "row": [2], "message": ["kaputt"]})
    first = export_all(tmp_path, hinweise=notes, **tables)
    assert first["hinweise_csv"].is_file()
    (tmp_path / "notizen.txt").write_text("meine Notizen", "utf-8")
    (tmp_path / "hinweise-2024.csv").write_text("alt", "utf-8")
    second = export_all(tmp_path, hinweise=None, **tables)
    assert "hinweise_csv" not in second
    assert not (tmp_path / "hinweise.csv").exists()
    # the folder holds exactly the run's files plus the planner's own, untouched
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = [n for n in RUN_OUTPUT_FILES if n != "hinweise.csv"]
    assert names == sorted([*expected, "hinweise-2024.csv", "notizen.txt"])
    assert (tmp_path / "notizen.txt").read_text("utf-8") == "meine Notizen"


_WRITER = """
import sys
from pathlib import Path
from erreichbarkeit._atomic import atomic_dir, atomic_path

target, ready, kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
ctx = atomic_dir(target) if kind == "dir" else atomic_path(target)
with ctx as tmp:
    if kind == "dir":
        (tmp / "teil.bin").write_bytes(b"halb")
    else:
        tmp.write_bytes(b"halb")
    ready.write_text(str(tmp))
    sys.stdin.read()  # blocks until the test kills this process
"""


def _start_writer(tmp: Path, target: Path, kind: str) -> tuple[subprocess.Popen[bytes], Path]:
    """A process inside an atomic write; returns it and its temporary path once it is there."""
    ready = tmp / f"ready-{kind}-{target.name}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target), str(ready), kind],
        stdin=subprocess.PIPE, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text()):  # the writer's own signal, not a guess
        assert proc.poll() is None, "writer died"
        assert time.monotonic() < deadline, "writer did not start"
        time.sleep(0.02)
    return proc, Path(ready.read_text())


LEFTOVER_CASES = [
    Case("killed-file-write", "a run killed (SIGKILL) while writing orte.csv",
         "its temporary file is removed at the next start; nothing else",
         {"kind": "file", "name": "orte.csv", "kill": True}),
    Case("killed-dir-write", "a run killed while building an OSRM cache folder",
         "its temporary folder is removed at the next start",
         {"kind": "dir", "name": "osrm/netz-car-mld-abc", "kill": True}),
    Case("running-writer-kept", "another run still writing into the same folder",
         "its temporary file is kept (PID alive)",
         {"kind": "file", "name": "erreichbarkeit.xlsx", "kill": False}),
]  # fmt: skip


@pytest.mark.parametrize("case", LEFTOVER_CASES, ids=lambda c: c.id)
def test_temporaries_of_killed_runs_are_swept(tmp_path: Path, case: Case) -> None:
    folder = tmp_path / "ordner"
    target = folder / case.data["name"]
    target.parent.mkdir(parents=True)
    mine = _f(target.parent, ".versteckt.csv.abc")  # a dot file of someone else
    proc, tmp = _start_writer(tmp_path, target, case.data["kind"])
    try:
        assert tmp.exists()
        assert tmp.name.startswith(f"{TMP_PREFIX}{proc.pid}-")
        if case.data["kill"]:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            assert tmp.exists()  # what a killed run leaves behind
        removed = sweep_stale(folder, depth=2)
        assert tmp.exists() is not case.data["kill"]
        assert removed == ([tmp] if case.data["kill"] else [])
        assert mine.exists()
        assert not target.exists()
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_a_temporary_newer_than_the_run_start_is_kept(tmp_path: Path) -> None:
    """A dead writer's temporary changed after the run started is kept; an older one goes."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    tmp = _f(tmp_path, f"{TMP_PREFIX}{int(dead.stdout)}-orte.csv.x1.csv")
    assert sweep_stale(tmp_path, before=tmp.stat().st_mtime - 60) == []
    assert tmp.exists()
    assert sweep_stale(tmp_path, before=tmp.stat().st_mtime + 1) == [tmp]


def test_the_cli_sweeps_out_and_cache_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """analyse removes dead writers' temporaries from --out and --cache-dir/osrm at start."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    out_tmp = _f(tmp_path / "o", f"{TMP_PREFIX}{pid}-orte.csv.ab12.csv")
    cache_tmp = tmp_path / "c" / "osrm" / f"{TMP_PREFIX}{pid}-netz-car-mld-k.x7"
    cache_tmp.mkdir(parents=True)
    _f(cache_tmp, "netz.osrm.hsgr")
    old = time.time() - 3600
    for p in (out_tmp, cache_tmp):
        os.utime(p, (old, old))
    # the network is junk: the run fails reading it, after the sweep
    code = main(["analyse", "-q", "--network", _net(tmp_path), "--cache-dir",
                 str(tmp_path / "c"), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2, capsys.readouterr().err
    assert not out_tmp.exists()
    assert not cache_tmp.exists()


def test_atomic_writes_leave_nothing_on_success(tmp_path: Path) -> None:
    """Successful atomic writes (also replacing a folder) leave no temporary behind."""
    with atomic_path(tmp_path / "a.csv") as tmp:
        tmp.write_text("x", "utf-8")
    with atomic_dir(tmp_path / "d") as tmp:
        (tmp / "f").write_text("1", "utf-8")
    with atomic_dir(tmp_path / "d") as tmp:  # replacing an existing folder
        (tmp / "f").write_text("2", "utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "d"]
    assert (tmp_path / "d" / "f").read_text("utf-8") == "2"
