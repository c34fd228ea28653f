"""Command line: ``erreichbarkeit analyse | demo | prepare | regions``.

Exit codes: 0 success; 2 bad input or configuration (one German line on
stderr naming file, row, column and what was expected); 1 an unexpected internal
error (with ``--verbose`` the traceback is shown).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from erreichbarkeit._version import __version__
from erreichbarkeit.config import AGE_GROUPS, MODES, Settings
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.network.routing import make_routers, prepare_router
from erreichbarkeit.report.outputs import export_results

__all__ = ["main"]

logger = logging.getLogger("erreichbarkeit")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


class _Progress:
    """Progress line on stderr: rewritten in place on a terminal, one line per step otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_step = ""
        self.started = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        if self.tty:
            pct = f"{100 * done / total:3.0f} %" if total else ""
            self.stream.write(f"\r\x1b[K[{elapsed:6.1f} s] {step} {pct}")
            if total and done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif step != self.last_step:
            self.stream.write(f"[{elapsed:6.1f} s] {step} …\n")
            self.stream.flush()
        self.last_step = step


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more log output (-v info, -vv debug); shows tracebacks of internal errors",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress output and no warnings (errors only)",
    )


def _add_inputs(p: argparse.ArgumentParser) -> None:
    """The input flags shared by every subcommand that runs an analysis."""
    p.add_argument(
        "--config",
        type=Path,
        metavar="REGION.toml",
        help="region file naming all inputs, thresholds and options (see README)",
    )
    p.add_argument(
        "--network",
        type=Path,
        metavar="FILE",
        help="road network: OSM file (.osm.pbf/.osm/.osm.bz2/.osm.gz) or GIS line layer "
        "(.gpkg/.geojson/.shp) with a highway or OpenMapTiles class column",
    )
    p.add_argument(
        "--roads-layer", metavar="NAME", help="layer of the roads in a GeoPackage network"
    )
    p.add_argument(
        "--places-layer", metavar="NAME", help="layer of the places in a GeoPackage network"
    )
    p.add_argument("--pois-layer", metavar="NAME", help="layer of the POIs in a GeoPackage network")
    p.add_argument(
        "--boundaries",
        type=Path,
        metavar="FILE",
        help="Gemeinde polygons with AGS and name (default: OSM admin_level=8 relations)",
    )
    p.add_argument(
        "--villages",
        type=Path,
        metavar="FILE",
        help="own villages (points or polygons; default: OSM place=* objects)",
    )
    p.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="population per Gemeinde (CSV with AGS or 12-digit ARS, e.g. Zensus 2022)",
    )
    p.add_argument(
        "--offers",
        action="append",
        metavar="FILE|osm",
        help="offers: a CSV/XLSX list, or 'osm' for OSM POIs; repeat or comma-separate "
        "(default: osm)",
    )
    p.add_argument(
        "--modes",
        type=_csv_list,
        metavar="car,bike,walk",
        help=f"modes to compute (default: {','.join(MODES)})",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="cache of prepared networks (default: data/cache)",
    )
    p.add_argument(
        "--max-snap-m",
        type=float,
        metavar="M",
        help="flag villages/offers further than this from the network (default 500)",
    )
    p.add_argument(
        "--cutoff",
        type=float,
        metavar="MIN",
        help="leave pairs slower than this out of the long table (default 90)",
    )
    p.add_argument("--name", help="region name for titles and exports")
    p.add_argument(
        "--grid",
        type=float,
        metavar="CELL_M",
        help="also compute the population grid surface with cells of CELL_M metres "
        "(e.g. 250, as the Thünen-Landatlas): minutes per cell, Gemeinde and Kreis "
        "indicators, travel-time bands",
    )
    p.add_argument(
        "--population-grid",
        type=Path,
        metavar="FILE",
        help="population grid for --grid (Zensus-style CSV/parquet with x_mp, y_mp "
        "in EPSG:3035 and Einwohner, or a GeoPackage of cells)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="erreichbarkeit",
        description=(
            "Which villages reach which offers for families, children and young people, "
            "by car, bike and on foot (OSRM travel times on OpenStreetMap roads)."
        ),
        epilog="Exit codes: 0 ok, 2 bad input or configuration, 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"erreichbarkeit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser(
        "analyse",
        help="compute travel times, village and Gemeinde tables, and export them",
        description=(
            "Compute village × offer travel times per mode and write erreichbarkeit.xlsx, "
            "German CSVs, reisezeiten.parquet and erreichbarkeit.gpkg to --out. Give either a "
            "region file (--config) or the inputs as flags; flags override the region file."
        ),
    )
    _add_inputs(a)
    a.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: out)")
    _add_common(a)

    d = sub.add_parser(
        "demo",
        help="generate the fictional Beispielkreis and analyse it",
        description=(
            "Write the fictional Beispielkreis (OSM roads, Gemeinden, offers list, population; "
            "all invented) to DIR/beispielkreis and run the whole analysis on it, exports in DIR."
        ),
    )
    d.add_argument(
        "--out",
        type=Path,
        default=Path("out/beispielkreis"),
        metavar="DIR",
        help="output folder (default: out/beispielkreis)",
    )
    d.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")
    d.add_argument(
        "--grid",
        type=float,
        metavar="CELL_M",
        help="also compute the population grid surface (e.g. 250)",
    )
    d.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="cache of prepared networks (default: data/cache)",
    )
    _add_common(d)

    p = sub.add_parser(
        "prepare",
        help="download and clip the OSM extract and boundaries of a region",
        description=(
            "Download (or take local files), clip the OSM extract to the Kreis plus a buffer, "
            "and write a ready region.toml to DATA_DIR/<region>/. REGION is a built-in name "
            "(see 'erreichbarkeit regions'), a Kreis key such as 05958, or a region file."
        ),
    )
    p.add_argument("region", metavar="REGION")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/regions"),
        metavar="DIR",
        help="where downloads and prepared regions go (default: data/regions)",
    )
    p.add_argument("--extract", type=Path, metavar="FILE", help="use this local OSM extract")
    p.add_argument(
        "--boundaries",
        type=Path,
        metavar="FILE",
        help="use this local boundary file (VG250 GeoPackage or similar)",
    )
    p.add_argument("--offline", action="store_true", help="never download; local files only")
    _add_common(p)

    sb = sub.add_parser(
        "steckbrief",
        help="one-page PDF per Gemeinde (and for the whole Kreis) for the steering group",
        description=(
            "Run the analysis and write one A4 PDF per Gemeinde plus kreis.pdf: map of the "
            "villages coloured by minutes, key figures for the age group, the worst-served "
            "villages per category, sources."
        ),
    )
    _add_inputs(sb)
    sb.add_argument("--mode", default="car", choices=MODES, help="mode (default car)")
    sb.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="age group (default 0-3)")
    sb.add_argument(
        "--categories",
        type=_csv_list,
        metavar="kita,hebamme",
        help="categories (default: those serving the age group)",
    )
    sb.add_argument(
        "--out",
        type=Path,
        default=Path("out/steckbriefe"),
        metavar="DIR",
        help="output folder (default: out/steckbriefe)",
    )
    _add_common(sb)

    sz = sub.add_parser(
        "szenario",
        help="what-if: apply a scenario file (add, move, close offers) and compare",
        description=(
            "Run the analysis, apply the changes of a scenario file (JSON, as saved by the "
            "dashboard) recomputing only what changed, and write the comparison (key figures "
            "before/after, villages that move within or beyond the threshold) as xlsx."
        ),
    )
    _add_inputs(sz)
    sz.add_argument(
        "--scenario",
        type=Path,
        required=True,
        action="append",
        metavar="FILE",
        help="scenario file; give it twice to compare two scenarios side by side",
    )
    sz.add_argument("--category", required=True, help="category to compare, e.g. kinderarzt")
    sz.add_argument("--mode", default="car", choices=MODES, help="mode (default car)")
    sz.add_argument("--age", default="0-3", choices=AGE_GROUPS, help="age group (default 0-3)")
    sz.add_argument(
        "--out",
        type=Path,
        default=Path("out/szenario.xlsx"),
        metavar="FILE.xlsx",
        help="comparison workbook (default: out/szenario.xlsx)",
    )
    _add_common(sz)

    so = sub.add_parser(
        "standorte",
        help="suggest sites for k new offers (maximal covering or p-median)",
        description=(
            "Suggest where the next K offers of a category should go so that the most children "
            "of its age groups reach one within the threshold (MCLP), or so that their average "
            "travel time is least (p-median); existing offers stay. Candidates: the villages, "
            "own candidate points (--candidates), or both."
        ),
    )
    _add_inputs(so)
    so.add_argument("--category", required=True, help="category, e.g. familienzentrum")
    so.add_argument("--k", type=int, default=1, help="number of new sites (default 1)")
    so.add_argument("--mode", default="car", choices=MODES, help="mode (default car)")
    so.add_argument(
        "--model",
        default="mclp",
        choices=("mclp", "pmedian"),
        help="mclp: most children within the threshold; pmedian: least travel time",
    )
    so.add_argument(
        "--threshold",
        type=float,
        metavar="MIN",
        help="threshold minutes (default: the category's threshold for the mode)",
    )
    so.add_argument(
        "--candidates",
        type=Path,
        metavar="FILE",
        help="own candidate sites (points: GIS layer or CSV/XLSX with coordinates)",
    )
    so.add_argument(
        "--only-candidates",
        action="store_true",
        help="use only --candidates, not the villages, as candidate sites",
    )
    so.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        metavar="S",
        help="solver time limit in seconds (default 30)",
    )
    so.add_argument(
        "--out",
        type=Path,
        default=Path("out/standorte"),
        metavar="DIR",
        help="output folder for standorte.xlsx and standorte.gpkg (default: out/standorte)",
    )
    _add_common(so)

    r = sub.add_parser(
        "regions",
        help="list the built-in region files",
        description="List the built-in region files for 'prepare'.",
    )
    _add_common(r)
    return parser


def _setup_logging(verbose: int, *, quiet: bool = False) -> None:
    """Warnings on stderr by default; ``-q`` only errors, ``-v``/``-vv`` more."""
    if quiet and not verbose:
        level = logging.ERROR
    else:
        level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for field in (
        "network",
        "boundaries",
        "villages",
        "population",
        "roads_layer",
        "places_layer",
        "pois_layer",
        "name",
    ):
        value = getattr(args, field)
        if value is not None:
            overrides[field] = value
    if args.offers:
        overrides["offers"] = tuple(v for item in args.offers for v in _csv_list(item))
    if args.modes:
        overrides["modes"] = tuple(args.modes)
    if getattr(args, "grid", None) is not None:
        overrides["grid_cell_m"] = args.grid
    if getattr(args, "population_grid", None) is not None:
        overrides["population_grid"] = args.population_grid
    if args.command == "analyse" and args.out:
        overrides["out_dir"] = args.out
    if args.cache_dir:
        overrides["cache_dir"] = args.cache_dir
    routing_changes: dict[str, Any] = {}
    if args.max_snap_m is not None:
        routing_changes["max_snap_m"] = args.max_snap_m
    if args.cutoff is not None:
        routing_changes["cutoff_minutes"] = args.cutoff
    if args.config:
        return Settings.from_toml(args.config, routing_overrides=routing_changes, **overrides)
    if args.network is None:
        msg = "give --config REGION.toml or at least --network FILE"
        raise ErreichbarkeitError(
            msg, message_de="Regionsdatei (--config) oder Straßennetz (--network) angeben"
        )
    if "name" not in overrides:  # a readable default title: the network file's name
        overrides["name"] = Path(args.network).name.split(".")[0]
    return Settings.from_dict({}, routing_overrides=routing_changes, **overrides)


def _analyse(settings: Settings, *, quiet: bool) -> int:
    from erreichbarkeit import pipeline  # noqa: PLC0415

    progress = None if quiet else _Progress(sys.stderr)
    results = pipeline.run(settings, progress=progress)
    started = time.perf_counter()
    paths = export_results(results, settings.out_dir)
    export_s = time.perf_counter() - started
    _print_summary(results, paths, export_s)
    return EXIT_OK


def _print_summary(results: Any, paths: dict[str, Path], export_s: float) -> None:
    v = results.villages
    out = sys.stdout
    out.write(
        f"{results.settings.name}: {len(v)} Orte, {len(results.offers)} Angebote, "
        f"{len(results.travel_times)} Verbindungen\n"
    )
    n_far = int((~v["snap_ok"]).sum()) if "snap_ok" in v else 0
    if n_far:
        out.write(
            f"  {n_far} Orte liegen für mindestens ein Verkehrsmittel weiter als "
            f"{results.settings.routing.max_snap_m:g} m vom Straßennetz (siehe Spalte 'reason')\n"
        )
    problems = results.inputs.problems
    if problems:
        out.write(
            f"  {len(problems)} Hinweise zu den Eingabedaten (Blatt Hinweise, hinweise.csv), "
            f"z. B.: {problems[0].message_de}\n"
        )
    if len(results.inputs.unmatched):
        out.write(f"  {len(results.inputs.unmatched)} Angebote ohne Lage (nicht gefunden)\n")
    # the same population-weighted figures as the workbook's Kreis summary
    labels = {k: c.label for k, c in results.settings.categories().items()}
    out.write(
        "  Median (einwohnergewichtet) bis zum nächsten Angebot; "
        "Kinder jenseits des Schwellenwerts:\n"
    )
    for row in results.kreis.itertuples(index=False):
        out.write(
            f"  {labels.get(row.category, row.category):16s} {row.mode:5s} "
            f"{row.pop_median_min:5.1f} min; {100 * row.share_children_beyond:5.1f} %\n"
        )
    steps = ", ".join(f"{k} {t:.1f} s" for k, t in results.timings.items())
    out.write(f"Zeiten: {steps}, Export {export_s:.1f} s\n")
    for kind, path in paths.items():
        out.write(f"  {kind}: {path}\n")


def _demo(args: argparse.Namespace) -> int:
    from erreichbarkeit.demo import beispielkreis as demo  # noqa: PLC0415

    files = demo.generate_demo(args.out / "beispielkreis-daten", seed=args.seed)
    overrides: dict[str, Any] = {"out_dir": args.out}
    if args.grid is not None:
        overrides["grid_cell_m"] = args.grid
    if args.cache_dir:
        overrides["cache_dir"] = args.cache_dir
    settings = Settings.from_toml(files.region, **overrides)
    return _analyse(settings, quiet=args.quiet)


def _prepare(args: argparse.Namespace) -> int:
    from erreichbarkeit.prepare import region as prepare  # noqa: PLC0415

    progress = None if args.quiet else _Progress(sys.stderr)
    prepared = prepare.prepare_region(
        args.region,
        data_dir=args.data_dir,
        extract=args.extract,
        boundaries=args.boundaries,
        offline=args.offline,
        progress=progress,
    )
    sys.stdout.write(
        f"Region vorbereitet: {prepared.folder}\n"
        f"  weiter mit: erreichbarkeit analyse --config {prepared.region_file}\n"
    )
    return EXIT_OK


def _steckbrief(args: argparse.Namespace) -> int:
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.report import steckbrief  # noqa: PLC0415

    settings = _settings_from_args(args)
    progress = None if args.quiet else _Progress(sys.stderr)
    results = pipeline.run(settings, progress=progress)
    paths = steckbrief.write_steckbriefe(
        results, args.out, mode=args.mode, age_group=args.age, categories=args.categories,
        progress=progress,
    )  # fmt: skip
    sys.stdout.write(f"{len(paths)} Steckbriefe in {args.out}\n")
    for path in paths:
        sys.stdout.write(f"  {path}\n")
    return EXIT_OK


def _szenario(args: argparse.Namespace) -> int:
    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.planning import scenarios  # noqa: PLC0415

    settings = _settings_from_args(args)
    progress = None if args.quiet else _Progress(sys.stderr)
    results = pipeline.run(settings, progress=progress)
    routers = make_routers(results.settings, results.inputs.network_osm)
    index = None
    if len(results.inputs.addresses):
        from erreichbarkeit.io.geocode import AddressIndex  # noqa: PLC0415

        index = AddressIndex(results.inputs.addresses)
    applied = [
        scenarios.apply_scenario(
            results, scenarios.load_scenario(path), routers, address_index=index
        )
        for path in args.scenario[:2]
    ]
    choice = {"category": args.category, "mode": args.mode, "age_group": args.age}
    delta = scenarios.compare(results, applied[0], **choice)
    side = (
        scenarios.compare_two(applied[0], applied[1], base=results, **choice)
        if len(applied) == 2
        else None
    )
    path = scenarios.export_comparison(args.out, delta, base=results, side_by_side=side)
    sys.stdout.write(delta.summary_de + "\n")
    sys.stdout.write(f"Vergleich: {path}\n")
    return EXIT_OK


def _standorte(args: argparse.Namespace) -> int:
    import pandas as pd  # noqa: PLC0415

    from erreichbarkeit import pipeline  # noqa: PLC0415
    from erreichbarkeit.io import inputs  # noqa: PLC0415
    from erreichbarkeit.planning import locations  # noqa: PLC0415
    from erreichbarkeit.report import export  # noqa: PLC0415

    settings = _settings_from_args(args)
    progress = None if args.quiet else _Progress(sys.stderr)
    results = pipeline.run(settings, progress=progress)
    table = results.settings.categories()
    if args.category not in results.categories:
        msg = f"no offers of category {args.category!r} in this region"
        raise ErreichbarkeitError(
            msg, expected=", ".join(results.categories),
            message_de=f"Keine Angebote der Kategorie „{args.category}“ in dieser Region",
        )  # fmt: skip
    villages, demand = locations.with_demand_column(results.villages, table[args.category])
    own = inputs.read_villages(args.candidates) if args.candidates else None
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
    suggestion = locations.suggest_locations(
        both, villages, offer_ids, candidates=candidates, k=args.k, threshold=threshold,
        demand_column=demand, model=args.model, time_limit_s=args.time_limit,
        mode=args.mode, label=table[args.category].label,
    )  # fmt: skip
    out = Path(args.out)
    summary = pd.DataFrame(
        [
            ("Ziel", suggestion.objective),
            ("Hinweis", suggestion.note),
            ("Kinder erreicht vorher", f"{suggestion.covered_before:.0f}"),
            ("Kinder erreicht nachher", f"{suggestion.covered_after:.0f}"),
            ("Kandidaten geprüft", str(suggestion.candidates_considered)),
            ("Rechenzeit Löser (s)", f"{suggestion.solver_seconds:.1f}"),
        ],
        columns=["Thema", "Beschreibung"],
    )
    export.write_excel(out / "standorte.xlsx", {"Vorschläge": suggestion.sites}, methodik=summary)
    if len(suggestion.sites):
        export.write_geopackage(out / "standorte.gpkg", {"vorschlaege": suggestion.sites})
    sys.stdout.write(suggestion.objective + "\n")
    if suggestion.note:
        sys.stdout.write(suggestion.note + "\n")
    for row in suggestion.sites.itertuples(index=False):
        sys.stdout.write(f"  {row.rank}. {row.name}: +{row.coverage_gain_children:.0f} Kinder\n")
    sys.stdout.write(f"Ergebnis: {out / 'standorte.xlsx'}\n")
    return EXIT_OK


def _regions() -> int:
    from erreichbarkeit.prepare import region as prepare  # noqa: PLC0415

    for name, path in sorted(prepare.region_files().items()):
        settings = Settings.from_toml(path)
        kreis = settings.source.kreis if settings.source else ""
        sys.stdout.write(f"{name:20s} {kreis:6s} {settings.name}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, quiet=getattr(args, "quiet", False))
    try:
        if args.command == "analyse":
            return _analyse(_settings_from_args(args), quiet=args.quiet)
        if args.command == "demo":
            return _demo(args)
        if args.command == "prepare":
            return _prepare(args)
        if args.command == "steckbrief":
            return _steckbrief(args)
        if args.command == "szenario":
            return _szenario(args)
        if args.command == "standorte":
            return _standorte(args)
        return _regions()
    except ErreichbarkeitError as exc:
        # the command line speaks German to its users, like the exports
        sys.stderr.write(f"erreichbarkeit: Fehler: {exc.german}\n")
        logger.info("%s", exc)  # English text with -v
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("erreichbarkeit: interrupted\n")
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        sys.stderr.write(
            f"erreichbarkeit: internal error: {type(exc).__name__}: {exc} "
            "(run with -v for details)\n"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
