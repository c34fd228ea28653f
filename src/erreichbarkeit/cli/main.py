"""Command line: ``erreichbarkeit analyse | demo | prepare | batch | regions | steckbrief | …``.

Each subcommand lives in its own module with an ``add_parser`` function that
adds its flags and a ``run`` function that does the work and returns the exit
code; this module builds the parser from them and turns errors into exit codes.

Exit codes: 0 success; 2 bad input or configuration, including output paths
that are files, unwritable or would replace an input, and file-system errors
the user can fix such as a full disk (one German line on stderr naming file,
row, column and what was expected); 1 an unexpected internal error (with
``--verbose`` the traceback is shown).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from erreichbarkeit._version import __version__
from erreichbarkeit.cli import (
    analyse,
    batch,
    demo,
    karte,
    prepare,
    regions,
    standorte,
    steckbrief,
    szenario,
)
from erreichbarkeit.cli._common import (
    Subparsers,
    report_bad_input,
    report_internal_error,
    report_interrupted,
    setup_logging,
)
from erreichbarkeit.cli._german import GermanArgumentParser
from erreichbarkeit.cli._preflight import check_flag_paths, report_os_error
from erreichbarkeit.errors import ErreichbarkeitError

__all__ = ["build_parser", "main"]


class _Subcommand(Protocol):
    """A subcommand module: it adds its parser, which names its ``run`` function."""

    def add_parser(self, sub: Subparsers) -> None: ...


#: The subcommands in the order of the help text.
_SUBCOMMANDS: tuple[_Subcommand, ...] = (
    analyse,
    demo,
    prepare,
    steckbrief,
    karte,
    szenario,
    standorte,
    regions,
    batch,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser: argparse.ArgumentParser = GermanArgumentParser(
        prog="erreichbarkeit",
        description=(
            "Welche Orte erreichen welche Angebote für Familien, Kinder und Jugendliche – mit "
            "dem Auto, dem Fahrrad, zu Fuß (OSRM auf OpenStreetMap-Straßen) und mit Bus & Bahn "
            "(GTFS-Fahrpläne)."
        ),
        epilog="Rückgabewerte: 0 in Ordnung, 2 Eingabe- oder Einstellungsfehler, 1 interner "
        "Fehler.",
    )
    parser.add_argument(
        "--version", action="version", version=f"erreichbarkeit {__version__}",
        help="Versionsnummer zeigen und beenden",
    )  # fmt: skip
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="BEFEHL", title="Befehle"
    )
    for command in _SUBCOMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, quiet=getattr(args, "quiet", False))
    run: Callable[[argparse.Namespace], int] = args.run  # set by the subcommand's parser
    try:
        check_flag_paths(args)
        return run(args)
    except ErreichbarkeitError as exc:
        return report_bad_input(exc)
    except KeyboardInterrupt:
        return report_interrupted()
    except OSError as exc:  # a full disk, a folder without write permission: the user's to fix
        code = report_os_error(exc)
        if code is None:
            return _internal(exc, verbose=args.verbose)
        return code
    except Exception as exc:
        return _internal(exc, verbose=args.verbose)


def _internal(exc: Exception, *, verbose: int) -> int:
    """Re-raise with ``-v`` (traceback), else one line and exit code 1."""
    if verbose:
        raise exc
    return report_internal_error(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
