"""``erreichbarkeit steckbrief``: one-page PDF per Gemeinde and for the Kreis."""

from __future__ import annotations

import argparse
import sys
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
        help="one-page PDF per Gemeinde (and for the whole Kreis) for the steering group",
        description=(
            "Run the analysis and write one A4 PDF per Gemeinde plus kreis.pdf: map of the "
            "villages coloured by minutes, key figures for the age group, the worst-served "
            "villages per category, sources.  With --mode pt (Bus & Bahn) the page names the "
            "departure window and reference day, the car factor per village and the villages "
            "without departure in the window; other modes carry a small Bus & Bahn box when "
            "the run computes it."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--mode", default="car", choices=MODES, help="mode (default car; pt = Bus & Bahn)"
    )
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
    from erreichbarkeit.report.steckbrief import (  # noqa: PLC0415
        steckbrief_filename,
        write_steckbriefe,
    )

    settings = settings_from_args(args)
    check_choices(settings, mode=args.mode, categories=args.categories or ())
    extra = [("Regionsdatei", args.config)]
    preflight(
        settings, out_dir=args.out, out_names=[steckbrief_filename(None, "")], extra_inputs=extra
    )
    progress = progress_line(quiet=args.quiet)
    results = pipeline.run(settings, progress=progress)
    # the Gemeinde file names are known now; none may replace an input
    names = [steckbrief_filename(str(a), str(g)) for a, g in _gemeinden(results)]
    check_no_overwrite([args.out / n for n in names], input_paths(settings, extra))
    paths = write_steckbriefe(
        results, args.out, mode=args.mode, age_group=args.age, categories=args.categories,
        progress=progress,
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
