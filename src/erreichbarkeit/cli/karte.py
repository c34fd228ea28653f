"""``erreichbarkeit karte``: the print map (PDF/PNG) of one category and mode."""

from __future__ import annotations

import argparse
import re
import sys
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
from erreichbarkeit.config import AGE_GROUPS, MODES

__all__ = ["add_parser", "map_filename", "run"]


def map_filename(category: str, mode: str, ags: str | None, fmt: str) -> str:
    """The default file name: ``karte_<category>_<mode>[_<AGS>].<fmt>``.

    Examples
    --------
    >>> map_filename("kita", "pt", None, "pdf")
    'karte_kita_pt.pdf'
    """
    key = "_" + re.sub(r"[^0-9A-Za-z]", "", ags)[:12] if ags else ""
    return f"karte_{category}_{mode}{key}.{fmt}"


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
        "--mode", default="car", choices=MODES,
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
    name = map_filename(args.category, args.mode, args.gemeinde, args.fmt)
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
