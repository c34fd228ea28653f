"""``erreichbarkeit szenario``: apply scenario files (what-if) and compare."""

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
    progress_line,
    settings_from_args,
)
from erreichbarkeit.cli._preflight import check_choices, preflight
from erreichbarkeit.config import AGE_GROUPS, MODES

if TYPE_CHECKING:
    from erreichbarkeit.planning.scenarios import Scenario, ScenarioResult
    from erreichbarkeit.results import Results

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``szenario`` subcommand."""
    p = sub.add_parser(
        "szenario",
        help="Was-wäre-wenn: Szenariodatei anwenden (Angebote hinzu, verlegen, schließen) "
        "und vergleichen",
        description=(
            "Rechnet die Analyse, wendet die Änderungen einer Szenariodatei an (JSON, wie vom "
            "Dashboard gespeichert; neu gerechnet wird nur, was sich ändert) und schreibt den "
            "Vergleich (Kennzahlen vorher/nachher, Orte, die unter oder über den "
            "Schwellenwert rutschen) als xlsx."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--scenario",
        type=Path,
        required=True,
        action="append",
        metavar="DATEI",
        help="Szenariodatei; zweimal angeben, um zwei Szenarien nebeneinander zu vergleichen",
    )
    p.add_argument("--category", required=True, help="zu vergleichende Kategorie, z. B. kinderarzt")
    p.add_argument(
        "--mode", default="car", choices=MODES, help="Verkehrsmittel (Standard car = Auto)"
    )
    p.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="Altersgruppe (Standard 0-3)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/szenario.xlsx"),
        metavar="DATEI.xlsx",
        help="Arbeitsmappe des Vergleichs (Standard: out/szenario.xlsx)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse, apply one or two scenarios, write the comparison; return the exit code."""
    # deferred: the pipeline, OSRM and the Excel export take seconds to load,
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.planning import scenarios  # noqa: PLC0415
    from erreichbarkeit.report.scenario_export import export_comparison  # noqa: PLC0415

    settings = settings_from_args(args)
    check_choices(settings, mode=args.mode, categories=[args.category])
    files = args.scenario[:2]
    extra = [("Regionsdatei", args.config), *(("Szenariodatei", f) for f in files)]
    loaded = [scenarios.load_scenario(path) for path in files]  # a broken file fails now
    preflight(settings, out_file=args.out, out_suffix=".xlsx", extra_inputs=extra)
    results = pipeline.run(settings, progress=progress_line(quiet=args.quiet))
    applied = _apply_scenarios(results, loaded)
    choice = {"category": args.category, "mode": args.mode, "age_group": args.age}
    delta = scenarios.compare(results, applied[0], **choice)
    side = (
        scenarios.compare_two(applied[0], applied[1], base=results, **choice)
        if len(applied) == 2
        else None
    )
    path = export_comparison(args.out, delta, base=results, side_by_side=side)
    sys.stdout.write(delta.summary_de + "\n")
    sys.stdout.write(f"Vergleich: {path}\n")
    return EXIT_OK


def _apply_scenarios(results: Results, loaded: list[Scenario]) -> list[ScenarioResult]:
    """Each scenario file applied to the finished run (offers by address geocoded)."""
    # deferred with the pipeline (see run)
    from erreichbarkeit.io.geocode import AddressIndex  # noqa: PLC0415
    from erreichbarkeit.network.transit.setup import make_all_routers  # noqa: PLC0415
    from erreichbarkeit.planning import scenarios  # noqa: PLC0415

    routers = make_all_routers(
        results.settings, results.inputs.network_osm, results.inputs.timetable
    )
    index = AddressIndex(results.inputs.addresses) if len(results.inputs.addresses) else None
    return [
        scenarios.apply_scenario(results, scenario, routers, address_index=index)
        for scenario in loaded
    ]
