"""``erreichbarkeit steckbrief``: one-page PDF per Gemeinde and for the Kreis."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from erreichbarkeit.cli._common import (
    EXIT_OK,
    Subparsers,
    add_common,
    add_inputs,
    csv_list,
    progress_line,
    settings_from_args,
)
from erreichbarkeit.config import AGE_GROUPS, MODES

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``steckbrief`` subcommand."""
    p = sub.add_parser(
        "steckbrief",
        help="one-page PDF per Gemeinde (and for the whole Kreis) for the steering group",
        description=(
            "Run the analysis and write one A4 PDF per Gemeinde plus kreis.pdf: map of the "
            "villages coloured by minutes, key figures for the age group, the worst-served "
            "villages per category, sources."
        ),
    )
    add_inputs(p)
    p.add_argument("--mode", default="car", choices=MODES, help="mode (default car)")
    p.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="age group (default 0-3)")
    p.add_argument(
        "--categories",
        type=csv_list,
        metavar="kita,hebamme",
        help="categories (default: those serving the age group)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/steckbriefe"),
        metavar="DIR",
        help="output folder (default: out/steckbriefe)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse the region and write its Steckbriefe; return the exit code."""
    # deferred: the pipeline and matplotlib take several seconds to load,
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.report.steckbrief import write_steckbriefe  # noqa: PLC0415

    settings = settings_from_args(args)
    progress = progress_line(quiet=args.quiet)
    results = pipeline.run(settings, progress=progress)
    paths = write_steckbriefe(
        results, args.out, mode=args.mode, age_group=args.age, categories=args.categories,
        progress=progress,
    )  # fmt: skip
    sys.stdout.write(f"{len(paths)} Steckbriefe in {args.out}\n")
    for path in paths:
        sys.stdout.write(f"  {path}\n")
    return EXIT_OK
