"""``erreichbarkeit steckbrief``: one-page PDF per Gemeinde and for the Kreis."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from erreichbarkeit.cli._common import (
    EXIT_OK,
    Subparsers,
    add_common,
    add_inputs,
    csv_list,
    progress_line,
    settings_from_args,
)
from erreichbarkeit.cli._preflight import check_choices, preflight
from erreichbarkeit.config import AGE_GROUPS, MODES
from erreichbarkeit.config.outpaths import check_no_overwrite, input_paths

if TYPE_CHECKING:
    from erreichbarkeit.results import Results

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``steckbrief`` subcommand."""
    p = sub.add_parser(
        "steckbrief",
        help="Steckbrief als PDF je Gemeinde (und für den ganzen Kreis) für die Steuerungsgruppe",
        description=(
            "Rechnet die Analyse und schreibt je Gemeinde ein A4-PDF und eines für den Kreis: "
            "Karte der Orte nach Minuten, Kennzahlen der Altersgruppe, alle Orte mit Minuten "
            "und Kindern, Quellen. Mit --mode pt (Bus & Bahn) nennt die Seite Zeitfenster und "
            "Stichtag, den Faktor zum Auto je Ort und die Orte ohne Abfahrt im Zeitfenster; "
            "andere Verkehrsmittel zeigen einen kleinen Kasten zu Bus & Bahn, wenn die Analyse "
            "ihn berechnet."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--mode", default="car", choices=MODES,
        help="Verkehrsmittel: car = Auto (Standard), bike = Fahrrad, walk = zu Fuß, "
        "pt = Bus & Bahn",
    )
    p.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="Altersgruppe (Standard 0-3)")
    p.add_argument(
        "--categories",
        type=csv_list,
        metavar="kita,hebamme",
        help="Kategorien (Standard: die der Altersgruppe)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/steckbriefe"),
        metavar="ORDNER",
        help="Ausgabeordner (Standard: out/steckbriefe)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse the region and write its Steckbriefe; return the exit code."""
    # deferred: the pipeline and matplotlib take several seconds to load,
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.report.steckbrief import (  # noqa: PLC0415
        steckbrief_filename,
        write_steckbriefe,
    )

    settings = settings_from_args(args)
    check_choices(settings, mode=args.mode, categories=args.categories or ())
    extra = [("Regionsdatei", args.config)]
    today = date.today()  # German file names with region and date: Steckbrief_Kreis_<…>_<date>.pdf
    kreis_name = steckbrief_filename(None, "", created=today, region=settings.area_name)
    preflight(settings, out_dir=args.out, out_names=[kreis_name], extra_inputs=extra)
    progress = progress_line(quiet=args.quiet)
    results = pipeline.run(settings, progress=progress)
    # the Gemeinde file names are known now; none may replace an input
    names = [steckbrief_filename(str(a), str(g), created=today) for a, g in _gemeinden(results)]
    check_no_overwrite([args.out / n for n in names], input_paths(settings, extra))
    paths = write_steckbriefe(
        results, args.out, mode=args.mode, age_group=args.age, categories=args.categories,
        progress=progress, created=today,
    )  # fmt: skip
    sys.stdout.write(f"{len(paths)} Steckbriefe in {args.out}\n")
    for path in paths:
        sys.stdout.write(f"  {path}\n")
    return EXIT_OK


def _gemeinden(results: Results) -> list[tuple[object, object]]:
    """``(ags, name)`` of every Gemeinde a Steckbrief is written for."""
    # deferred with the pipeline (see run)
    from erreichbarkeit.report.steckbrief import gemeinden_of  # noqa: PLC0415

    table = gemeinden_of(results)
    return list(zip(table["ags"], table["gemeinde"], strict=True))
