"""``erreichbarkeit batch``: every Kreis or Jugendamt area of a Land in one run, on Dask."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from erreichbarkeit._helpers import number_de
from erreichbarkeit.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Subparsers,
    add_common,
    csv_list,
)
from erreichbarkeit.config import MODES
from erreichbarkeit.errors import ConfigError

if TYPE_CHECKING:
    from erreichbarkeit.batch import BatchProgress, BatchReport

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``batch`` subcommand."""
    p = sub.add_parser(
        "batch",
        help="alle Kreise oder Jugendamtsbezirke eines Landes auf einmal auswerten (Dask)",
        description=(
            "Schneidet den OSM-Extrakt des Landes (und den Fahrplan) in einem Durchgang für alle "
            "Regionen zu und rechnet jede Region als eigene Aufgabe auf einem Dask-Cluster: "
            "standardmäßig lokal (so viele Worker wie erlaubt, ERREICHBARKEIT_WORKERS), mit "
            "--scheduler auf einem bestehenden Cluster. Fertige Regionen werden beim nächsten "
            "Aufruf übersprungen. Ergebnis: ein nach Region geteilter Parquet-Datensatz, die "
            "Landesmappe land.xlsx und die Landkarte landkarte.html in AUSGABE."
        ),
    )
    which = p.add_argument_group("Regionen (genau eines)")
    which.add_argument("--land", metavar="LAND", help="Landesschlüssel, z. B. 05 für NRW")
    which.add_argument(
        "--kreise", type=csv_list, default=[], metavar="SCHLÜSSEL",
        help="Kreisschlüssel, durch Kommas getrennt, z. B. 05558,05958",
    )  # fmt: skip
    which.add_argument(
        "--beispielland", action="store_true",
        help=(
            "das fiktive Beispielland (vier erfundene Kreise, Landesschlüssel 99) nach "
            "AUSGABE/beispielland schreiben und auswerten – ohne eigene Daten"
        ),
    )  # fmt: skip
    which.add_argument(
        "--regionen", type=Path, nargs="+", default=[], metavar="DATEI",
        help="Regions- oder Jugendamts-Gebietsdateien (z. B. alle Jugendämter eines Landes)",
    )  # fmt: skip
    _add_files(p)
    _add_settings(p)
    _add_cluster(p)
    add_common(p)
    p.set_defaults(run=run)


def _add_files(p: argparse.ArgumentParser) -> None:
    """The Land's input files and the output folders."""
    files: tuple[tuple[str, dict[str, object]], ...] = (
        ("--extract", {"help": "OSM-Extrakt des Landes (.osm.pbf)"}),
        ("--boundaries", {"help": (
            "Gemeindegrenzen (VG250-GeoPackage o. Ä.) mit allen Gemeinden des Landes")}),
        ("--gtfs", {"help": "GTFS-Fahrplan für Bus & Bahn (wird je Kreis zugeschnitten)"}),
        ("--namen", {"help": (
            "Kreisnamen (CSV mit Schlüssel;Name, z. B. aus dem Gemeindeverzeichnis)")}),
        ("--kreistypen", {"help": (
            "Kreistypen (CSV Kreisschlüssel;Kreistyp, z. B. BBSR) für den Vergleich")}),
        ("--population-grid", {"help": "Zensus-Bevölkerungsraster für --grid"}),
    )  # fmt: skip
    for flag, options in files:
        p.add_argument(flag, type=Path, metavar="DATEI", **options)  # type: ignore[arg-type]
    p.add_argument(
        "--out", type=Path, default=Path("out/land"), metavar="AUSGABE",
        help="Ausgabeordner, den alle Worker sehen (Standard: out/land)",
    )  # fmt: skip
    p.add_argument(
        "--cache-dir", type=Path, default=Path("data/cache"), metavar="DIR",
        help="gemeinsamer Cache der vorbereiteten Netze (Standard: data/cache)",
    )  # fmt: skip


def _add_settings(p: argparse.ArgumentParser) -> None:
    """The settings every region shares."""
    p.add_argument(
        "--buffer-km", type=float, default=10.0, metavar="KM",
        help="Puffer um jeden Kreis in km (Standard: 10)",
    )  # fmt: skip
    p.add_argument(
        "--modes", type=csv_list, default=["car", "bike", "walk"], metavar="LISTE",
        help="Verkehrsmittel (car,bike,walk; pt kommt mit --gtfs dazu)",
    )  # fmt: skip
    p.add_argument("--grid", type=float, metavar="ZELLE_M", help="Rasterauswertung (z. B. 250)")
    p.add_argument(
        "--ohne-export", action="store_true",
        help="je Region nur den Datensatz schreiben, keine Mappe/CSV/GeoPackage",
    )  # fmt: skip


def _add_cluster(p: argparse.ArgumentParser) -> None:
    """Where the tasks run."""
    p.add_argument(
        "--scheduler", metavar="ADRESSE", help="bestehender Dask-Cluster, z. B. tcp://rechner:8786"
    )
    p.add_argument(
        "--workers", type=int, metavar="N",
        help="Worker des lokalen Clusters (höchstens ERREICHBARKEIT_WORKERS)",
    )  # fmt: skip
    p.add_argument(
        "--speicher", default="auto", metavar="GRENZE",
        help="Arbeitsspeicher je Worker, z. B. 4GB (Standard: auto)",
    )  # fmt: skip


def _dashboard_line(link: str) -> None:
    """Where to watch the running batch (Dask's dashboard), on stderr at the start."""
    if link:
        sys.stderr.write(f"Fortschritt im Browser (Dask-Dashboard): {link}\n")
        sys.stderr.flush()


def _summary(report: BatchReport, paths: dict[str, Path], args: argparse.Namespace) -> None:
    """What the batch did and where its outputs are, on stdout."""
    out = sys.stdout
    if report.dashboard:
        out.write(f"Dask-Dashboard: {report.dashboard}\n")
    elif not args.scheduler:
        out.write("Dask-Dashboard: nicht verfügbar (dafür das Paket bokeh installieren)\n")
    out.write(
        f"{len(report.outcomes)} Regionen in {number_de(report.seconds)} s mit {report.workers} "
        f"Worker(n) ({report.inner_workers} je Aufgabe)\n"
    )
    if report.worker_peak_mib:
        own = max(p[0] for p in report.worker_peak_mib)
        child = max(p[1] for p in report.worker_peak_mib)
        out.write(
            f"  Arbeitsspeicher je Worker (Spitze): {number_de(own)} MiB, "
            f"OSRM-Vorbereitung {number_de(child)} MiB\n"
        )
    for failed in report.failed:
        out.write(f"  fehlgeschlagen: {failed.region_id}: {failed.message_de}\n")
    for label, path in (
        ("Landesmappe", "workbook"),
        ("Landkarte", "map"),
        ("Übersicht", "uebersicht"),
    ):
        if path in paths:
            out.write(f"  {label}: {paths[path]}\n")
    out.write(f"  Datensatz: {args.out / 'datensatz'}\n")


class _BatchLine:
    """One German progress line per finished region on stderr."""

    def __call__(self, p: BatchProgress) -> None:
        last = p.last
        what = ""
        if last is not None:
            what = f" – {last.region_id}: {last.status}"
            if last.status == "fertig":
                what += f" in {number_de(last.seconds)} s"
            if last.message_de:
                what += f" ({last.message_de})"
        eta = f", noch etwa {number_de(p.eta_s / 60, 1)} min" if p.eta_s else ""
        sys.stderr.write(
            f"[{number_de(p.elapsed_s, 1):>7s} s] "
            f"{p.done + p.skipped + p.failed}/{p.total} Regionen "
            f"(fertig {p.done}, übersprungen {p.skipped}, fehlgeschlagen {p.failed}, "
            f"laufend {p.running}{eta}){what}\n"
        )
        sys.stderr.flush()


def _use_demo_land(args: argparse.Namespace) -> None:
    """``--beispielland``: write the fictional Land into the output folder and use its files."""
    # deferred: the demo generator loads GDAL and pyosmium
    from erreichbarkeit.demo.land import generate_land  # noqa: PLC0415

    land = generate_land(Path(args.out) / "beispielland")
    args.extract, args.boundaries = land.extract, land.boundaries
    args.namen = args.namen or land.names
    args.kreistypen = args.kreistypen or land.kreistypen
    if not (args.land or args.kreise or args.regionen):
        args.land = "99"


def _check(args: argparse.Namespace) -> None:
    if args.extract is None or args.boundaries is None:
        msg = "--extract and --boundaries are needed (or --beispielland)"
        raise ConfigError(
            msg,
            expected="--extract DATEI --boundaries DATEI",
            message_de=(
                "Bitte den OSM-Extrakt (--extract) und die Gemeindegrenzen (--boundaries) "
                "des Landes angeben – oder --beispielland zum Ausprobieren"
            ),
        )
    unknown = [m for m in args.modes if m not in MODES]
    if unknown:
        msg = f"unknown modes {unknown}"
        raise ConfigError(
            msg,
            column="--modes",
            expected=", ".join(MODES),
            message_de=f"Unbekannte Verkehrsmittel: {', '.join(unknown)}",
        )
    for flag in ("extract", "boundaries", "gtfs", "namen", "kreistypen", "population_grid"):
        path = getattr(args, flag)
        if path is not None and not Path(path).is_file():
            msg = f"--{flag} file not found"
            raise ConfigError(msg, file=path, message_de=f"Datei nicht gefunden: {path}")


def run(args: argparse.Namespace) -> int:
    """Plan, clip, compute every region, write the Land outputs; return the exit code."""
    # deferred: Dask, GDAL and the pipeline take seconds to import
    from erreichbarkeit.batch import (  # noqa: PLC0415
        BatchOptions,
        build_land,
        clip_regions,
        kreis_names,
        plan_regions,
        run_batch,
    )
    from erreichbarkeit.prepare.boundaries import load_gemeinden  # noqa: PLC0415

    if args.beispielland:
        _use_demo_land(args)
    _check(args)
    # Dask logs its start and stop at INFO on its own logger; show them only with -v/-vv
    dask_level = {0: logging.ERROR, 1: logging.WARNING}.get(args.verbose, logging.INFO)
    logging.getLogger("distributed").setLevel(dask_level)
    options = BatchOptions(
        extract=args.extract,
        gemeinden=args.boundaries,
        out_dir=args.out,
        gtfs=args.gtfs,
        buffer_km=args.buffer_km,
        modes=tuple(args.modes),
        grid_cell_m=args.grid,
        population_grid=args.population_grid,
    )
    regions = plan_regions(
        load_gemeinden(args.boundaries),
        land=args.land,
        keys=args.kreise,
        files=args.regionen,
        names=kreis_names(args.namen),
    )
    if not args.quiet:
        sys.stderr.write(f"{len(regions)} Regionen; Zuschnitt in einem Durchgang …\n")
    clipped = clip_regions(regions, options)
    report = run_batch(
        clipped,
        out_dir=args.out,
        cache_dir=args.cache_dir,
        scheduler=args.scheduler,
        n_workers=args.workers,
        memory_limit=args.speicher,
        export=not args.ohne_export,
        on_progress=None if args.quiet else _BatchLine(),
        on_start=None if args.quiet else _dashboard_line,
        quiet_dask=args.verbose < 2,
    )
    paths = build_land(clipped, args.out, kreistypen=args.kreistypen)
    _summary(report, paths, args)
    return EXIT_BAD_INPUT if report.failed else EXIT_OK
