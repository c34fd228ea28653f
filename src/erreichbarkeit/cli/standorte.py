"""``erreichbarkeit standorte``: suggest sites for new offers (MCLP or p-median)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from erreichbarkeit._helpers import number_de
from erreichbarkeit.cli._common import (
    EXIT_OK,
    Subparsers,
    add_common,
    add_inputs,
    progress_line,
    settings_from_args,
)
from erreichbarkeit.cli._german import german_number
from erreichbarkeit.cli._preflight import check_choices, check_number, preflight
from erreichbarkeit.config import MODES
from erreichbarkeit.errors import ConfigError, ErreichbarkeitError

if TYPE_CHECKING:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.planning.locations import LocationSuggestion
    from erreichbarkeit.results import Results

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``standorte`` subcommand."""
    p = sub.add_parser(
        "standorte",
        help="Standorte für K neue Angebote vorschlagen (größte Abdeckung oder kürzeste Wege)",
        description=(
            "Schlägt vor, wo die nächsten K Angebote einer Kategorie liegen sollten, damit die "
            "meisten Kinder ihrer Altersgruppen eines innerhalb des Schwellenwerts erreichen "
            "(größte Abdeckung, MCLP) oder ihr Weg im Mittel am kürzesten ist (p-Median); "
            "bestehende Angebote bleiben. Kandidaten: die Orte, eigene Kandidatenpunkte "
            "(--candidates) oder beides."
        ),
    )
    add_inputs(p)
    p.add_argument("--category", required=True, help="Kategorie, z. B. familienzentrum")
    p.add_argument("--k", type=int, default=1, help="Zahl der neuen Standorte (Standard 1)")
    p.add_argument(
        "--mode", default="car", choices=MODES, help="Verkehrsmittel (Standard car = Auto)"
    )
    _add_model_options(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/standorte"),
        metavar="ORDNER",
        help="Ausgabeordner für standorte.xlsx und standorte.gpkg (Standard: out/standorte)",
    )
    add_common(p)
    p.set_defaults(run=run)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """Model, threshold, candidate sites and the solver's time limit."""
    p.add_argument(
        "--model",
        default="mclp",
        choices=("mclp", "pmedian"),
        help="mclp: die meisten Kinder innerhalb des Schwellenwerts; pmedian: kürzeste Wege "
        "im Mittel",
    )
    p.add_argument(
        "--threshold",
        type=german_number,
        metavar="MIN",
        help="Schwellenwert in Minuten (Standard: der der Kategorie für das Verkehrsmittel)",
    )
    p.add_argument(
        "--candidates",
        type=Path,
        metavar="DATEI",
        help="eigene Kandidatenstandorte (Punkte: GIS-Layer oder CSV/XLSX mit Koordinaten)",
    )
    p.add_argument(
        "--only-candidates",
        action="store_true",
        help="nur --candidates als Kandidaten verwenden, nicht die Orte",
    )
    p.add_argument(
        "--time-limit",
        type=german_number,
        default=30.0,
        metavar="S",
        help="Rechenzeitgrenze der Optimierung in Sekunden (Standard 30)",
    )


def run(args: argparse.Namespace) -> int:
    """Analyse the region, suggest sites and write them; return the exit code."""
    # deferred: the pipeline, OSRM and the solver take seconds to load,
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415

    settings = settings_from_args(args)
    _check_flags(args, settings)
    results = pipeline.run(settings, progress=progress_line(quiet=args.quiet))
    if args.category not in results.categories:
        msg = f"no offers of category {args.category!r} in this region"
        raise ErreichbarkeitError(
            msg, expected=", ".join(results.categories),
            message_de=f"Keine Angebote der Kategorie „{args.category}“ in dieser Region",
        )  # fmt: skip
    suggestion = _suggest(args, settings, results)
    _write_suggestion(Path(args.out), suggestion)
    _print_suggestion(Path(args.out), suggestion)
    return EXIT_OK


#: Files ``standorte`` writes into its folder (``standorte.gpkg`` only with sites).
_OUTPUT_FILES = ("standorte.xlsx", "standorte.gpkg")


def _check_flags(args: argparse.Namespace, settings: Settings) -> None:
    """Category, mode, numbers, candidates and output folder, before the run."""
    check_choices(settings, mode=args.mode, categories=[args.category])
    check_number("--k", args.k, 1, 1000)
    check_number("--time-limit", args.time_limit, 0.1, 86_400.0)
    check_number("--threshold", args.threshold, 0.5, settings.routing.cutoff_minutes)
    if args.only_candidates and args.candidates is None:
        msg = "--only-candidates needs --candidates FILE"
        raise ConfigError(
            msg, column="--only-candidates",
            message_de="braucht eigene Kandidaten: bitte --candidates DATEI angeben",
        )  # fmt: skip
    extra = [("Regionsdatei", args.config), ("Kandidaten", args.candidates)]
    preflight(settings, out_dir=Path(args.out), out_names=_OUTPUT_FILES, extra_inputs=extra)


def _suggest(args: argparse.Namespace, settings: Settings, results: Results) -> LocationSuggestion:
    """Route the villages to the candidate sites and solve the location model."""
    # deferred with the pipeline (see run)
    import pandas as pd  # noqa: PLC0415

    from erreichbarkeit.io import read_villages  # noqa: PLC0415
    from erreichbarkeit.network.routing import prepare_router  # noqa: PLC0415
    from erreichbarkeit.planning import locations  # noqa: PLC0415

    table = results.settings.categories()
    villages, demand = locations.with_demand_column(results.villages, table[args.category])
    own = read_villages(args.candidates) if args.candidates else None
    candidates = locations.candidate_sites(None if args.only_candidates else villages, own)
    router = prepare_router(settings, results.inputs.network_osm, args.mode)
    tt = locations.candidate_travel_times(
        {args.mode: router}, villages, candidates, mode=args.mode,
        cutoff_minutes=settings.routing.cutoff_minutes, max_snap_m=settings.routing.max_snap_m,
    )  # fmt: skip
    existing = results.travel_times[results.travel_times["mode"] == args.mode]
    both = pd.concat([existing, tt], ignore_index=True)
    offer_ids = results.offers.loc[results.offers["category"] == args.category, "id"].tolist()
    threshold = args.threshold or settings.threshold(args.category, args.mode)
    return locations.suggest_locations(
        both, villages, offer_ids, candidates=candidates, k=args.k, threshold=threshold,
        demand_column=demand, model=args.model, time_limit_s=args.time_limit,
        mode=args.mode, label=table[args.category].label,
    )  # fmt: skip


def _write_suggestion(out: Path, suggestion: LocationSuggestion) -> None:
    """``standorte.xlsx`` (sites and a summary) and, if any, ``standorte.gpkg``."""
    # deferred with the pipeline (see run)
    import pandas as pd  # noqa: PLC0415

    from erreichbarkeit.report import export  # noqa: PLC0415

    summary = pd.DataFrame(
        [
            ("Ziel", suggestion.objective),
            ("Hinweis", suggestion.note),
            ("Kinder erreicht vorher", number_de(suggestion.covered_before)),
            ("Kinder erreicht nachher", number_de(suggestion.covered_after)),
            ("Kandidaten geprüft", str(suggestion.candidates_considered)),
            ("Rechenzeit Löser (s)", number_de(suggestion.solver_seconds, 1)),
        ],
        columns=["Thema", "Beschreibung"],
    )
    export.write_excel(out / "standorte.xlsx", {"Vorschläge": suggestion.sites}, methodik=summary)
    gpkg = out / "standorte.gpkg"
    if len(suggestion.sites):
        export.write_geopackage(gpkg, {"vorschlaege": suggestion.sites})
    else:  # no sites this time: an earlier run's layer would contradict the workbook
        gpkg.unlink(missing_ok=True)


def _print_suggestion(out: Path, suggestion: LocationSuggestion) -> None:
    """The objective, a note and the sites with their gain on stdout."""
    sys.stdout.write(suggestion.objective + "\n")
    if suggestion.note:
        sys.stdout.write(suggestion.note + "\n")
    for row in suggestion.sites.itertuples(index=False):
        sys.stdout.write(
            f"  {row.rank}. {row.name}: +{number_de(row.coverage_gain_children)} Kinder\n"
        )
    sys.stdout.write(f"Ergebnis: {out / 'standorte.xlsx'}\n")
