"""The command line speaks German: help texts, usage line and argparse's own errors."""

from __future__ import annotations

import argparse
import re

import pytest

from erreichbarkeit.cli._german import german_error, german_number
from erreichbarkeit.cli.main import build_parser, main

#: Words that give away an English help text (whole words, case-insensitive).
ENGLISH = re.compile(
    r"\b(usage|options|positional arguments|show this help|default|the|of|and|with|"
    r"file|folder|output|mode|offers?|villages?|compute|write|print|error|invalid|"
    r"choose from|required|unrecognized|expected)\b",
    re.IGNORECASE,
)
#: Parts of a help text that are names, not prose: flags, metavars, file names, choices.
NOT_PROSE = re.compile(r"--?[\w-]+|\{[^}]*\}|\[[^\]]*\]|[\w.-]+\.(toml|xlsx|csv|gpkg|pdf)\b")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _prose(parser: argparse.ArgumentParser) -> list[str]:
    """Description, epilog, section titles and every flag's help of one parser."""
    texts = [parser.description or "", parser.epilog or ""]
    texts += [g.title or "" for g in parser._action_groups]
    texts += [a.help or "" for a in parser._actions if a.help != argparse.SUPPRESS]
    return [NOT_PROSE.sub(" ", t) for t in texts]


def test_every_help_text_is_german() -> None:
    parser = build_parser()
    found: dict[str, list[str]] = {}
    for name, sub in {"": parser, **_subparsers(parser)}.items():
        english = [t for t in _prose(sub) if ENGLISH.search(t)]
        if english:
            found[name or "erreichbarkeit"] = english
    assert not found, found


@pytest.mark.parametrize(
    ("argv", "german"),
    [
        (["gibtsnicht"], "ungültige Auswahl 'gibtsnicht' (möglich: 'analyse'"),
        (["karte", "--mode", "bus"], "Angabe --mode: ungültige Auswahl 'bus'"),
        (["szenario"], "diese Angaben fehlen: --scenario, --category"),
        (["analyse", "--modus", "car"], "unbekannte Angaben: --modus car"),
        (["analyse", "--cutoff", "viel"], "Angabe --cutoff: „viel“ ist keine Zahl"),
        (["analyse", "--cutoff"], "Angabe --cutoff: erwartet einen Wert"),
        (["standorte", "--category", "kita", "--k", "zwei"], "Angabe --k: ungültiger Wert 'zwei'"),
    ],
)
def test_argparse_errors_are_german(
    argv: list[str], german: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Aufruf: erreichbarkeit")
    assert ": Fehler: " in err
    assert german in err, err
    assert not re.search(r"\b(usage|error|invalid|required|unrecognized)\b", err), err


def test_help_flag_is_german(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["analyse", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("Aufruf: erreichbarkeit analyse")
    assert "Optionen:" in out and "diese Hilfe zeigen und beenden" in out


@pytest.mark.parametrize(
    ("text", "value"), [("45", 45.0), ("12,5", 12.5), ("12.5", 12.5), ("1.234,5", 1234.5)]
)
def test_german_numbers_are_accepted(text: str, value: float) -> None:
    assert german_number(text) == value


@pytest.mark.parametrize("text", ["", "zehn", "1,2,3", "nan", "inf"])
def test_bad_numbers_are_named(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="keine"):
        german_number(text)


def test_unknown_messages_pass_unchanged() -> None:
    assert german_error("something new") == "something new"
