"""``erreichbarkeit karte``: the print map (PDF/PNG) of one category and mode."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from erreichbarkeit.cli._common import (
    EXIT_OK,
    Subparsers,
    add_common,
    add_inputs,
    progress_line,
    settings_from_args,
)
from erreichbarkeit.cli._preflight import check_choices, preflight
from erreichbarkeit.config import AGE_GROUPS, MODE_LABELS, MODES
from erreichbarkeit.config.outpaths import dated_name

__all__ = ["add_parser", "map_filename", "run"]


def map_filename(
    category: str, mode: str, where: str, paper: str, fmt: str, *, created: date
) -> str:
    """The file name: German, with category, mode, area, paper and date.

    A4 and A3 of one map, or two Gemeinden, never overwrite each other.

    Examples
    --------
    >>> map_filename("kita", "pt", "Beispielkreis", "A3", "pdf", created=date(2026, 12, 5))
    'Karte_kita_Bus_Bahn_Beispielkreis_A3_2026-12-05.pdf'
    """
    return dated_name(
        "Karte", category, MODE_LABELS.get(mode, mode), where, paper,
        created=created, suffix=f".{fmt}",
    )  # fmt: skip


def add_parser(sub: Subparsers) -> None:
    """Add the ``karte`` subcommand."""
    p = sub.add_parser(
        "karte",
        help="Druckkarte (PDF/PNG, A4/A3 quer) einer Kategorie und eines Verkehrsmittels",
        description=(
            "Rechnet die Analyse und schreibt die Druckkarte einer Kategorie: Orte nach "
            "Minuten zum nächsten Angebot, die Angebote, Gemeindegrenzen, Hauptstraßen, "
            "Kennzahlen; mit --mode pt auch Haltestellen und Linien von Bus & Bahn, "
            "Zeitfenster und Stichtag."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--category", default="kita", metavar="SCHLÜSSEL", help="Kategorie (Standard kita)"
    )
    p.add_argument(
        "--mode",
        default="car",
        choices=MODES,
        help="Verkehrsmittel: car = Auto (Standard), bike = Fahrrad, walk = zu Fuß, "
        "pt = Bus & Bahn",
    )
    p.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="Altersgruppe (Standard 0-3)")
    p.add_argument("--gemeinde", metavar="AGS", help="Kartenausschnitt auf diese Gemeinde")
    p.add_argument("--paper", default="A4", choices=("A4", "A3"), help="Papierformat (Standard A4)")
    p.add_argument(
        "--format", dest="fmt", default="pdf", choices=("pdf", "png"),
        help="Dateiformat (Standard pdf)",
    )  # fmt: skip
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        metavar="ORDNER",
        help="Ausgabeordner (Standard: out)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse the region and write its print map; return the exit code."""
    # deferred: the pipeline and matplotlib take several seconds to load,
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit._atomic import atomic_path  # noqa: PLC0415
    from erreichbarkeit.report.basemap import cached_road_lines  # noqa: PLC0415
    from erreichbarkeit.report.printmap import render_results_map  # noqa: PLC0415

    settings = settings_from_args(args)
    check_choices(settings, mode=args.mode, categories=[args.category])
    where = args.gemeinde or settings.area_name
    name = map_filename(args.category, args.mode, where, args.paper, args.fmt, created=date.today())
    preflight(
        settings, out_dir=args.out, out_names=[name], extra_inputs=[("Regionsdatei", args.config)]
    )
    results = pipeline.run(settings, progress=progress_line(quiet=args.quiet))
    roads = cached_road_lines(results.inputs.network_osm, settings.cache_dir)
    data = render_results_map(
        results, category=args.category, mode=args.mode, age_group=args.age,
        ags=args.gemeinde, roads=roads, paper=args.paper, fmt=args.fmt,
    )  # fmt: skip
    path = args.out / name
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    sys.stdout.write(f"Karte: {path}\n")
    return EXIT_OK
