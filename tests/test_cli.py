"""The command line: help, exit codes, the demo end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from erreichbarkeit.cli import build_parser, main


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
        assert "usage: erreichbarkeit" in out
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
    assert set(tt["mode"]) == {"car", "bike", "walk"}
    assert "Beispielkreis" in captured.out
