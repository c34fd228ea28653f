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
        help="eingebaute Regionsdateien und Jugendamtsgebiete auflisten",
        description="Listet die eingebauten Regions- und Jugendamts-Gebietsdateien für „prepare“.",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print name, Kreis key and title of every built-in region and area; return the exit code."""
    del args  # no options
    # deferred: the prepare package loads GDAL and shapely (~3 s), which
    # `erreichbarkeit --help` does not need
    from erreichbarkeit.prepare import area_files, region_files  # noqa: PLC0415
    from erreichbarkeit.prepare.areafile import read_area_file  # noqa: PLC0415

    kreise: dict[str, str] = {}
    for name, path in sorted(region_files().items()):
        settings = Settings.from_toml(path)
        kreis = settings.source.kreis if settings.source else ""
        kreise[name] = settings.name
        sys.stdout.write(f"{name:20s} {kreis:6s} {settings.name}\n")
    areas = sorted(area_files().items())
    if areas:
        sys.stdout.write("\nAuswertungsgebiete (Jugendämter; Daten aus der Kreisdatei):\n")
    for name, path in areas:
        area = read_area_file(path)
        if area is None:
            continue
        kreis_name = kreise.get(area.kreis_file, area.kreis_file)
        keys = {a[:5] for a in area.area.ags}
        kreis = next(iter(keys)) if len(keys) == 1 else ""
        sys.stdout.write(f"{name:36s} {kreis:6s} {area.area.name} (Daten: {kreis_name})\n")
    return EXIT_OK
