"""``erreichbarkeit analyse``: travel times, village and Gemeinde tables, exports."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from erreichbarkeit._helpers import number_de
from erreichbarkeit.cli._common import (
    AREA_FLAG_SOURCE,
    EXIT_OK,
    Subparsers,
    add_common,
    add_inputs,
    progress_line,
    settings_from_args,
)
from erreichbarkeit.cli._preflight import preflight_analysis
from erreichbarkeit.config import MODE_LABELS, step_de
from erreichbarkeit.errors import ConfigError

if TYPE_CHECKING:
    from erreichbarkeit.config import Settings
    from erreichbarkeit.results import Results

__all__ = ["add_parser", "analyse_settings", "kreis_lines", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``analyse`` subcommand."""
    p = sub.add_parser(
        "analyse",
        help="Reisezeiten, Orts- und Gemeindetabellen berechnen und exportieren",
        description=(
            "Berechnet die Reisezeiten Ort × Angebot je Verkehrsmittel und schreibt die "
            "Arbeitsmappe (xlsx), deutsche CSV-Dateien, reisezeiten.parquet und ein GeoPackage "
            "nach --out. Entweder eine Regionsdatei (--config) oder die Eingaben als Optionen "
            "angeben; Optionen gehen der Regionsdatei vor."
        ),
    )
    add_inputs(p)
    p.add_argument("--out", type=Path, metavar="ORDNER", help="Ausgabeordner (Standard: out)")
    p.add_argument(
        "--zustaendigkeit", action="append", type=Path, metavar="DATEI",
        help="Zuständigkeitstabelle (CSV/XLSX: Gemeinde oder Ort, Kategorie, zuständige Stelle), "
        "z. B. Grundschulbezirke; Wege zur zuständigen statt nur zur nächsten Stelle; "
        "mehrfach angeben für mehrere Tabellen (ersetzt die der Regionsdatei)",
    )  # fmt: skip
    p.add_argument(
        "--aufsuchend", action="append", type=Path, metavar="DATEI",
        help="aufsuchende Angebote (CSV/XLSX: Name, Kategorie, Gemeinde oder Ort(e)), z. B. "
        "Familienhebamme, Willkommensbesuch: ihre Orte gelten für die Kategorie als versorgt; "
        "mehrfach angeben für mehrere Tabellen (ersetzt die der Regionsdatei)",
    )  # fmt: skip
    p.add_argument(
        "--bedarf", type=Path, metavar="DATEI",
        help="Sozialindikatoren je Gemeinde oder Ortsteil (CSV/XLSX, z. B. SGB-II-Quote der "
        "Kinder, mit Spalte Quelle): Orte nach Kindern jenseits des Schwellenwerts × Bedarf "
        "reihen (ersetzt die Tabelle der Regionsdatei)",
    )  # fmt: skip
    p.add_argument(
        "--neu-berechnen", action="store_true",
        help="gespeicherte Ergebnisse derselben Eingaben nicht verwenden, sondern neu rechnen",
    )  # fmt: skip
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse the region of the input flags; return the exit code."""
    settings = settings_from_args(args, out_dir=args.out)
    preflight_analysis(settings, region_file=args.config)
    try:
        return analyse_settings(settings, quiet=args.quiet, fresh=args.neu_berechnen)
    except ConfigError as exc:  # an [area] entry the boundaries lack: name the region file
        from_file = settings.area is not None and settings.area.source != AREA_FLAG_SOURCE
        if exc.file is None and args.config and from_file and str(exc.column).startswith("area"):
            exc.file = str(args.config)
        raise


def analyse_settings(settings: Settings, *, quiet: bool, fresh: bool = False) -> int:
    """Run the analysis, export it to ``settings.out_dir`` and print a summary.

    A run stored for the same input contents and settings (by an earlier
    ``analyse`` or the dashboard, :mod:`erreichbarkeit.pipeline.store`) is
    read instead of computed unless ``fresh``; the new run is stored.
    """
    # deferred: the pipeline and the exports load pandas, GDAL and OSRM (~3 s),
    # which `erreichbarkeit --help` does not need
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.report.outputs import export_results  # noqa: PLC0415

    store = pipeline.ResultStore(pipeline.default_store_root(settings))
    stored = None if fresh else store.load(settings)
    if stored is not None and not quiet:
        print(
            "Gespeicherte Ergebnisse derselben Eingaben und Einstellungen werden verwendet "
            f"({store.root}); neu rechnen mit --neu-berechnen."
        )
    results = stored or pipeline.run(
        settings, progress=progress_line(quiet=quiet), store=None if fresh else store
    )
    started = time.perf_counter()
    paths = export_results(results, settings.out_dir)
    export_s = time.perf_counter() - started
    _print_summary(results, paths, export_s)
    return EXIT_OK


def _print_summary(results: Results, paths: dict[str, Path], export_s: float) -> None:
    """Counts, input problems, Kreis figures, step times and the written files."""
    out = sys.stdout
    _print_counts(results)
    for line in kreis_lines(results):
        out.write(line + "\n")
    steps = ", ".join(f"{step_de(k)} {number_de(t, 1)} s" for k, t in results.timings.items())
    out.write(f"Zeiten: {steps}, Export {number_de(export_s, 1)} s\n")
    for kind, path in paths.items():
        out.write(f"  {OUTPUT_LABELS.get(kind, kind)}: {path}\n")


#: German names of the written files (keys of ``report.outputs.export_results``).
OUTPUT_LABELS = {
    "xlsx": "Arbeitsmappe",
    "orte_csv": "Orte (CSV)",
    "gemeinden_csv": "Gemeinden (CSV)",
    "angebote_csv": "Angebote (CSV)",
    "reisezeiten_csv": "Reisezeiten (CSV)",
    "reisezeiten_parquet": "Reisezeiten (Parquet)",
    "gpkg": "GeoPackage",
    "hinweise_csv": "Hinweise (CSV)",
}


def _pct_de(share: Any) -> str:
    """A share (0…1) as German percent with one decimal; „—“ without a number."""
    try:
        value = 100 * float(share)
    except (TypeError, ValueError):
        return "—"
    return f"{number_de(value, 1)} %" if math.isfinite(value) else "—"


def kreis_lines(results: Results) -> list[str]:
    """The Kreis figures of the summary as German lines.

    The same children-weighted figures as the workbook's Kreis summary, the
    dashboard and the Steckbrief: the median counts villages without a
    reachable offer as beyond the cutoff („> 90 min“, never a small number),
    then the share of children beyond the threshold and without any offer.
    """
    # deferred with the pipeline (pandas); see analyse_settings
    from erreichbarkeit.analysis.indicators import format_median_de  # noqa: PLC0415

    labels = {k: c.label for k, c in results.settings.categories().items()}
    lines = [
        "  Median (kindgewichtet) bis zum nächsten Angebot; Kinder jenseits des "
        "Schwellenwerts; Kinder ohne erreichbares Angebot:"
    ]
    row: Any  # a named tuple of the Kreis table
    width = max([16, *(len(labels.get(c, c)) for c in results.kreis["category"])])
    for row in results.kreis.itertuples(index=False):
        median = format_median_de(row.children_median_min, row.children_median_beyond)
        lines.append(
            f"  {labels.get(row.category, row.category):{width}s} "
            f"{MODE_LABELS.get(row.mode, row.mode):10s} "
            f"{median:>9s}; {_pct_de(row.share_children_beyond):>7s}; "
            f"{_pct_de(row.share_children_no_offer):>7s}"
        )
    covered = getattr(results.kreis, "share_children_covered", None)
    if covered is not None and len(covered) and float(covered.min()) < 1.0:
        lines.append(
            "  Kreiswerte nur über vollständig im Kartenausschnitt liegende Gemeinden: "
            f"{_pct_de(covered.min())} der Kinder"
        )
    return lines


def _print_counts(results: Results) -> None:
    """Villages, offers and connections, and what the inputs lacked."""
    v = results.villages
    out = sys.stdout
    out.write(
        f"{results.settings.name}: {number_de(len(v))} Orte, "
        f"{number_de(len(results.offers))} Angebote, "
        f"{number_de(len(results.travel_times))} Verbindungen\n"
    )
    if "in_area" in v and not bool(v["in_area"].all()):
        out.write(
            f"Auswertungsgebiet {results.settings.area_name}: {number_de(v['in_area'].sum())} Orte "
            "(die übrigen zählen als Ziele und Umgebung)\n"
        )
    n_far = int((~v["snap_ok"]).sum()) if "snap_ok" in v else 0
    if n_far:
        out.write(
            f"  {number_de(n_far)} Orte liegen für mindestens ein Verkehrsmittel weiter als "
            f"{number_de(results.settings.routing.max_snap_m)} m vom Straßennetz "
            "(siehe Spalte „Hinweis“)\n"
        )
    problems = results.inputs.problems
    if problems:
        out.write(
            f"  {number_de(len(problems))} Hinweise zu den Eingabedaten "
            "(Blatt Hinweise, hinweise.csv), "
            f"z. B.: {problems[0].message_de}\n"
        )
    if len(results.inputs.unmatched):
        n_unmatched = number_de(len(results.inputs.unmatched))
        out.write(f"  {n_unmatched} Angebote ohne Lage (nicht gefunden)\n")
