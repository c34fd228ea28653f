"""An argument parser that speaks German: usage, section titles and error messages.

:mod:`argparse` has no German message catalogue (it marks its texts for
:mod:`gettext`, but CPython ships no translations), and installing one would
mean a compiled ``.mo`` file and a process-wide ``gettext`` domain.  Instead,
the few texts a user reads are replaced where argparse builds them: the
usage prefix and section titles in :class:`GermanHelpFormatter`, the help of
``-h``, and the error line in :meth:`GermanArgumentParser.error`, which
translates argparse's known messages (:func:`german_error`).  Subparsers
inherit the class, so every subcommand speaks German too.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["GermanArgumentParser", "GermanHelpFormatter", "german_error", "german_number"]

#: argparse's type names in "invalid <type> value" → what was expected, in German.
_TYPE_WORDS = {
    "int": "eine ganze Zahl",
    "float": "eine Zahl (Dezimalpunkt oder -komma)",
    "Path": "ein Dateipfad",
}


def _invalid_value(m: re.Match[str]) -> str:
    expected = _TYPE_WORDS.get(m["type"], m["type"])
    return f"ungültiger Wert {m['value']} (erwartet: {expected})"


#: argparse's messages (CPython 3.12/3.13) → German.  Each pattern matches a whole message.
_MESSAGES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"argument (?P<arg>.+?): (?P<msg>.+)", re.S),
        lambda m: f"Angabe {m['arg']}: {german_error(m['msg'])}",
    ),
    (
        re.compile(r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)", re.S),
        lambda m: f"ungültige Auswahl {m['value']} (möglich: {m['choices']})",
    ),
    (
        re.compile(r"the following arguments are required: (?P<args>.+)", re.S),
        lambda m: f"diese Angaben fehlen: {m['args']}",
    ),
    (
        re.compile(r"unrecognized arguments: (?P<args>.+)", re.S),
        lambda m: f"unbekannte Angaben: {m['args']} (siehe --help)",
    ),
    (
        re.compile(r"one of the arguments (?P<args>.+) is required", re.S),
        lambda m: f"eine dieser Angaben ist nötig: {m['args']}",
    ),
    (
        re.compile(r"not allowed with argument (?P<arg>.+)", re.S),
        lambda m: f"nicht zusammen mit {m['arg']} erlaubt",
    ),
    (
        re.compile(r"ambiguous option: (?P<opt>\S+) could match (?P<matches>.+)", re.S),
        lambda m: f"mehrdeutige Angabe {m['opt']}: passt zu {m['matches']}",
    ),
    (re.compile(r"invalid (?P<type>\w+) value: (?P<value>.+)", re.S), _invalid_value),
    (re.compile(r"expected one argument"), "erwartet einen Wert"),
    (re.compile(r"expected at most one argument"), "erwartet höchstens einen Wert"),
    (re.compile(r"expected at least one argument"), "erwartet mindestens einen Wert"),
    (
        re.compile(r"expected (?P<n>\d+) arguments?"),
        lambda m: f"erwartet {m['n']} Werte",
    ),
    (
        re.compile(r"ignored explicit argument (?P<value>.+)", re.S),
        lambda m: f"überflüssiger Wert {m['value']}",
    ),
)


def german_error(message: str) -> str:
    """argparse's English error message in German (unknown messages pass unchanged).

    Examples
    --------
    >>> german_error("argument --modes: expected one argument")
    'Angabe --modes: erwartet einen Wert'
    >>> german_error("invalid choice: 'foo' (choose from 'analyse', 'demo')")
    "ungültige Auswahl 'foo' (möglich: 'analyse', 'demo')"
    """
    for pattern, german in _MESSAGES:
        m = pattern.fullmatch(message.strip())
        if m:
            return german if isinstance(german, str) else german(m)
    return message


def german_number(text: str) -> float:
    """A flag's number as a planner writes it: ``12,5``, ``12.5`` or ``1.234,5``.

    Raises
    ------
    argparse.ArgumentTypeError
        With a German message that argparse prints after the flag's name.

    Examples
    --------
    >>> german_number("12,5")
    12.5
    >>> german_number("1.234,5")
    1234.5
    """
    cleaned = text.strip().replace(" ", "")
    if "," in cleaned:  # German: the dot groups thousands, the comma is the decimal mark
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        msg = f"„{text}“ ist keine Zahl (erwartet z. B. 45 oder 12,5)"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value):
        msg = f"„{text}“ ist keine endliche Zahl (erwartet z. B. 45 oder 12,5)"
        raise argparse.ArgumentTypeError(msg)
    return value


class GermanHelpFormatter(argparse.HelpFormatter):
    """Help text with „Aufruf:“ instead of „usage:“ (section titles: see the parser)."""

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        """Start the usage line with „Aufruf:“."""
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


class GermanArgumentParser(argparse.ArgumentParser):
    """:class:`argparse.ArgumentParser` whose user-facing texts are German.

    ``-h/--help`` says „diese Hilfe zeigen und beenden“, the sections are
    „Angaben“ and „Optionen“, the usage line starts with „Aufruf:“, and an
    error prints „<prog>: Fehler: …“ with argparse's message translated.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", GermanHelpFormatter)
        add_help = bool(kwargs.pop("add_help", True))
        kwargs["add_help"] = False  # the German -h/--help follows
        super().__init__(*args, **kwargs)
        self._positionals.title = "Angaben"
        self._optionals.title = "Optionen"
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS,
                help="diese Hilfe zeigen und beenden",
            )  # fmt: skip

    def error(self, message: str) -> NoReturn:
        """Print the usage and the German message on stderr; exit with code 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: Fehler: {german_error(message)}\n")
