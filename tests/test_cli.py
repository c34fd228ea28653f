"""The command line: help, exit codes, the demo end to end."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from erreichbarkeit.cli.main import build_parser, main
from erreichbarkeit.network.transit import transit_status


def test_help_of_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["analyse", "--help"],
        ["demo", "--help"],
        ["prepare", "--help"],
        ["regions", "--help"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "Aufruf: erreichbarkeit" in out
    parser = build_parser()
    assert parser.prog == "erreichbarkeit"


def test_missing_network_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        ["analyse", "-q", "--network", str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "nope.osm.pbf" in err[0]


def test_config_typo_names_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    region = tmp_path / "region.toml"
    region.write_text('[region]\nname = "X"\n[inputs]\nnetwrk = "roads.osm.pbf"\n', "utf-8")
    code = main(["analyse", "-q", "--config", str(region)])
    assert code == 2
    err = capsys.readouterr().err
    assert "netwrk" in err
    assert "network" in err
    assert "region.toml" in err


def test_no_inputs_at_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", "-q"]) == 2
    assert "--network" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    code = main(["demo", "-q", "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in (
        "erreichbarkeit.xlsx",
        "erreichbarkeit.gpkg",
        "orte.csv",
        "gemeinden.csv",
        "angebote.csv",
        "reisezeiten.parquet",
    ):
        assert (out / name).is_file(), name
    orte = pd.read_csv(out / "orte.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert 40 <= len(orte) <= 90
    tt = pd.read_parquet(out / "reisezeiten.parquet")
    assert set(tt.columns) >= {"origin_id", "destination_id", "mode", "minutes", "km"}
    # Bus & Bahn too: the demo ships a fictional bus network (switched off only
    # without the Python 3.11 timetable worker, with a notice)
    expected = {"car", "bike", "walk"} | ({"pt"} if transit_status().available else set())
    assert set(tt["mode"]) == expected
    assert "Beispielkreis" in captured.out


@pytest.fixture(scope="module")
def demo_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from erreichbarkeit.demo.beispielkreis import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo-cli") / "daten").region


@pytest.mark.slow
def test_steckbrief_command_writes_one_pdf_per_gemeinde(
    demo_region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sb"
    code = main(["steckbrief", "-q", "--config", str(demo_region), "--cache-dir",
                 str(tmp_path / "cache"), "--mode", "car", "--age", "0-3",
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    kreis = [p for p in pdfs if p.startswith("Steckbrief_Kreis_")]
    assert kreis == [f"Steckbrief_Kreis_Beispielkreis_fiktiv_{date.today().isoformat()}.pdf"]
    assert len(pdfs) == 9  # 8 fictional Gemeinden + the Kreis
    assert all((out / p).read_bytes().startswith(b"%PDF") for p in pdfs)


@pytest.mark.slow
def test_standorte_command_suggests_sites(
    demo_region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "so"
    code = main(["standorte", "-q", "--config", str(demo_region), "--cache-dir",
                 str(tmp_path / "cache"), "--category", "familienzentrum", "--k", "2",
                 "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Kinder 0–10 Jahre" in captured.out
    sites = pd.read_excel(out / "standorte.xlsx", sheet_name="Vorschläge")
    assert len(sites) == 2
    assert (sites["coverage_gain_children"] > 0).all()


@pytest.mark.slow
def test_szenario_command_compares(
    demo_region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from erreichbarkeit.planning.scenarios import Change, new_scenario, save_scenario

    orte = pd.read_csv(demo_region.parent / "angebote.csv", sep=";", encoding="utf-8-sig")
    kita = orte[orte["Kategorie"] == "Kita"].iloc[0]
    path = save_scenario(
        new_scenario("Kita zu", [Change(kind="close", offer_id=str(kita["Nr"]))]),
        tmp_path / "s.json",
    )
    out = tmp_path / "v.xlsx"
    code = main(["szenario", "-q", "--config", str(demo_region), "--cache-dir",
                 str(tmp_path / "cache"), "--scenario", str(path), "--category", "kita",
                 "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Kita zu" in captured.out
    assert out.is_file()


def test_szenario_with_a_broken_file_is_a_one_line_error(
    demo_region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kaputt.json"
    bad.write_text("{not json", "utf-8")
    code = main(["szenario", "-q", "--config", str(demo_region), "--cache-dir",
                 str(tmp_path / "cache"), "--scenario", str(bad),
                 "--category", "kita"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "kaputt.json" in err[0]


def test_out_into_the_folder_of_the_inputs_is_refused(
    demo_region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the case: the Beispielkreis offers list is daten/angebote.csv, and the
    # export writes angebote.csv; refused before the run, the list stays as it was
    offers = demo_region.parent / "angebote.csv"
    before = offers.read_bytes()
    code = main(["analyse", "-q", "--config", str(demo_region), "--cache-dir",
                 str(tmp_path / "cache"), "--out", str(demo_region.parent)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert str(offers) in err[0]
    assert "überschreiben" in err[0]
    assert offers.read_bytes() == before
    assert not (demo_region.parent / "erreichbarkeit.xlsx").exists()
