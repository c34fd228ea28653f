"""``erreichbarkeit regions``: list the built-in region files."""

from __future__ import annotations

import argparse
import sys

from erreichbarkeit.cli._common import EXIT_OK, Subparsers, add_common
from erreichbarkeit.config import Settings

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``regions`` subcommand."""
    p = sub.add_parser(
        "regions",
        help="list the built-in region files",
        description="List the built-in region files for 'prepare'.",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print name, Kreis key and title of every built-in region; return the exit code."""
    del args  # no options
    # deferred: the prepare package loads GDAL and shapely (~3 s), which
    # `erreichbarkeit --help` does not need
    from erreichbarkeit.prepare import region_files  # noqa: PLC0415

    for name, path in sorted(region_files().items()):
        settings = Settings.from_toml(path)
        kreis = settings.source.kreis if settings.source else ""
        sys.stdout.write(f"{name:20s} {kreis:6s} {settings.name}\n")
    return EXIT_OK
