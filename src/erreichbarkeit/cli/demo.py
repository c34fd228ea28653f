"""``erreichbarkeit demo``: generate the fictional Beispielkreis and analyse it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from erreichbarkeit.cli._common import Subparsers, add_common
from erreichbarkeit.cli._german import german_number
from erreichbarkeit.cli._preflight import check_number, preflight_analysis
from erreichbarkeit.cli.analyse import analyse_settings
from erreichbarkeit.config import Settings
from erreichbarkeit.config.outpaths import check_output_folder

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo",
        help="den fiktiven Beispielkreis erzeugen und auswerten",
        description=(
            "Schreibt den fiktiven Beispielkreis (OSM-Straßen, Gemeinden, Angebotsliste, "
            "Bevölkerung; alles erfunden) nach ORDNER/beispielkreis und rechnet die ganze "
            "Analyse darauf; die Exporte landen in ORDNER."
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/beispielkreis"),
        metavar="ORDNER",
        help="Ausgabeordner (Standard: out/beispielkreis)",
    )
    p.add_argument(
        "--seed", type=int, default=2026, help="Startwert des Zufallsgenerators (Standard 2026)"
    )
    p.add_argument(
        "--groesse",
        choices=("beispielkreis", "landkreis"),
        default="beispielkreis",
        help=(
            "Größe des fiktiven Kreises: beispielkreis (etwa 35 × 30 km, 8 Gemeinden, "
            "rund 60 Orte; Standard) oder landkreis (etwa 2 000 km², 20 Gemeinden, "
            "einige hundert Orte und Angebote, mit Bussen)"
        ),
    )
    p.add_argument(
        "--grid",
        type=german_number,
        metavar="ZELLE_M",
        help="zusätzlich die Rasterfläche mit Zellen von ZELLE_M Metern berechnen (z. B. 250)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="ORDNER",
        help="Zwischenspeicher der vorbereiteten Netze (Standard: data/cache)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the Beispielkreis data and analyse it; return the exit code."""
    # deferred: the generator loads pandas, GDAL and osmium (~3 s), which
    # `erreichbarkeit --help` does not need
    from erreichbarkeit.demo.beispielkreis import generate_demo  # noqa: PLC0415
    from erreichbarkeit.demo.layout import PRESETS  # noqa: PLC0415

    # the flags are checked before the generator writes anything
    check_number("--seed", args.seed, 0, 2**32 - 1)
    check_number("--grid", args.grid, 50.0, 5_000.0)
    check_output_folder(args.out, flag="--out")
    if args.cache_dir:
        check_output_folder(args.cache_dir, flag="--cache-dir")
    layout = PRESETS[args.groesse]
    files = generate_demo(args.out / "beispielkreis-daten", seed=args.seed, layout=layout)
    overrides: dict[str, Any] = {"out_dir": args.out}
    if args.grid is not None:
        overrides["grid_cell_m"] = args.grid
    if args.cache_dir:
        overrides["cache_dir"] = args.cache_dir
    settings = Settings.from_toml(files.region, **overrides)
    preflight_analysis(settings, region_file=files.region)
    return analyse_settings(settings, quiet=args.quiet)
