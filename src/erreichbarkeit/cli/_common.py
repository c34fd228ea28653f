"""What the subcommands share: input flags, progress line, settings, error output.

The subcommand modules import only this and the light configuration at
module level; the heavy data modules (pandas, GDAL, OSRM, matplotlib) are
imported when a subcommand runs, so ``erreichbarkeit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO

from erreichbarkeit.cli._german import german_number
from erreichbarkeit.config import MODES, Settings
from erreichbarkeit.config.area import AnalysisArea
from erreichbarkeit.config.transit import parse_date
from erreichbarkeit.errors import ConfigError, ErreichbarkeitError

#: ``AnalysisArea.source`` of ``--gebiet`` (the same text as
#: :data:`erreichbarkeit.pipeline._area.CLI_SOURCE`, which the pipeline's
#: messages use to name the option instead of the region file).
AREA_FLAG_SOURCE = "Angabe beim Aufruf (--gebiet)"

__all__ = [
    "AREA_FLAG_SOURCE",
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Progress",
    "Subparsers",
    "add_common",
    "add_inputs",
    "area_from_flag",
    "csv_list",
    "progress_line",
    "report_bad_input",
    "report_internal_error",
    "report_interrupted",
    "settings_from_args",
    "setup_logging",
]

logger = logging.getLogger("erreichbarkeit")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

#: What ``ArgumentParser.add_subparsers`` returns; each subcommand adds its parser to it.
type Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

#: Flags that override the region file's field of the same name as they are.
_INPUT_FIELDS = (
    "network",
    "boundaries",
    "villages",
    "population",
    "children",
    "roads_layer",
    "places_layer",
    "pois_layer",
    "name",
)


class Progress:
    """Progress line on stderr: rewritten in place on a terminal, one line per step otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_step = ""
        self.started = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` parts of ``step`` are done."""
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


def progress_line(*, quiet: bool) -> Progress | None:
    """A progress line on stderr, or ``None`` with ``-q``."""
    return None if quiet else Progress(sys.stderr)


def csv_list(text: str) -> list[str]:
    """The comma-separated items of a flag value, blanks dropped."""
    return [t.strip() for t in text.split(",") if t.strip()]


# -- flags ----------------------------------------------------------------
def add_common(p: argparse.ArgumentParser) -> None:
    """The ``-v``/``-q`` flags of every subcommand."""
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="mehr Protokollausgabe (-v Info, -vv Details); zeigt bei internen Fehlern "
        "den Traceback",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="keine Fortschrittsanzeige und keine Warnungen (nur Fehler)",
    )


def add_inputs(p: argparse.ArgumentParser) -> None:
    """The input flags shared by every subcommand that runs an analysis."""
    _add_input_files(p)
    _add_run_options(p)


def _add_input_files(p: argparse.ArgumentParser) -> None:
    """The region file and the input files that override it."""
    p.add_argument(
        "--config",
        type=Path,
        metavar="REGION.toml",
        help="Regionsdatei mit allen Eingaben, Schwellenwerten und Optionen (siehe README)",
    )
    p.add_argument(
        "--network",
        type=Path,
        metavar="DATEI",
        help="Straßennetz: OSM-Datei (.osm.pbf/.osm/.osm.bz2/.osm.gz) oder GIS-Linienlayer "
        "(.gpkg/.geojson/.shp) mit einer Spalte highway oder OpenMapTiles-class",
    )
    p.add_argument(
        "--roads-layer", metavar="NAME", help="Layer der Straßen in einem GeoPackage-Netz"
    )
    p.add_argument(
        "--places-layer", metavar="NAME", help="Layer der Orte in einem GeoPackage-Netz"
    )
    p.add_argument(
        "--pois-layer", metavar="NAME", help="Layer der POIs in einem GeoPackage-Netz"
    )
    p.add_argument(
        "--boundaries",
        type=Path,
        metavar="DATEI",
        help="Gemeindeflächen mit AGS und Name (ohne Angabe: OSM-Relationen admin_level=8)",
    )
    p.add_argument(
        "--villages",
        type=Path,
        metavar="DATEI",
        help="eigene Ortsliste (Punkte oder Flächen; ohne Angabe: OSM-Objekte place=*)",
    )
    p.add_argument(
        "--population",
        type=Path,
        metavar="DATEI",
        help="Einwohner je Gemeinde (CSV mit AGS oder 12-stelligem ARS, z. B. Zensus 2022)",
    )
    p.add_argument(
        "--kinderzahlen",
        dest="children",
        type=Path,
        metavar="DATEI",
        help="Kinder je Gemeinde und Altersgruppe (CSV/XLSX mit AGS und Spalten wie "
        "„0 bis unter 3“); ersetzt die Schätzung über Altersanteile für diese Gruppen",
    )
    p.add_argument(
        "--offers",
        action="append",
        metavar="DATEI|osm",
        help="Angebote: eine CSV/XLSX-Liste oder „osm“ für OSM-POIs; mehrfach angeben oder "
        "mit Komma trennen (ohne Angabe: osm)",
    )
    p.add_argument(
        "--gtfs",
        action="append",
        type=Path,
        metavar="DATEI",
        help="GTFS-Fahrplan (zip) für Bus & Bahn (Verkehrsmittel pt); mehrfach für mehrere "
        "Fahrpläne",
    )
    p.add_argument(
        "--pt-date",
        metavar="DATUM",
        help="Stichtag (Schultag) für Bus & Bahn, z. B. 10.03.2026 oder 2026-03-10 "
        "(ohne Angabe: der Dienstag mit den meisten Fahrten im Fahrplan)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Modes, cache, routing limits, name and the population grid."""
    p.add_argument(
        "--modes",
        type=csv_list,
        metavar="car,bike,walk,pt",
        help=f"Verkehrsmittel, aus {','.join(MODES)} (car = Auto, bike = Fahrrad, walk = zu "
        "Fuß, pt = Bus & Bahn; ohne Angabe: car,bike,walk und pt, wenn ein Fahrplan da ist)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="ORDNER",
        help="Zwischenspeicher der vorbereiteten Netze (ohne Angabe: data/cache)",
    )
    p.add_argument(
        "--max-snap-m",
        type=german_number,
        metavar="M",
        help="Orte/Angebote weiter als M Meter vom Netz markieren statt routen (Standard 500)",
    )
    p.add_argument(
        "--cutoff",
        type=german_number,
        metavar="MIN",
        help="Berechnungsgrenze in Minuten: langsamere Paare gelten als nicht erreichbar "
        "(Standard 90)",
    )
    p.add_argument("--name", help="Name der Region in Titeln und Exporten")
    p.add_argument(
        "--gebiet",
        metavar="AGS,NAME,…",
        help="Auswertungsgebiet: Gemeinden per AGS (8 Stellen; 5 = ein ganzer Kreis) und/oder "
        "Name, mit Komma getrennt (z. B. 05958004,Winterberg); ersetzt [area] der "
        "Regionsdatei. Kennzahlen, Gemeindetabellen und Steckbriefe gelten für dieses "
        "Gebiet, die übrigen Daten bleiben Ziel und Umfeld",
    )
    p.add_argument(
        "--gebiet-name",
        metavar="NAME",
        help="Name des Auswertungsgebiets in Titeln und Exporten (z. B. „Kreisjugendamt …“)",
    )
    p.add_argument(
        "--grid",
        type=german_number,
        metavar="ZELLE_M",
        help="zusätzlich die Rasterfläche mit Zellen von ZELLE_M Metern berechnen (z. B. 250 "
        "wie der Thünen-Landatlas): Minuten je Zelle, Kennzahlen je Gemeinde und Kreis, "
        "Reisezeit-Bänder",
    )
    p.add_argument(
        "--population-grid",
        type=Path,
        metavar="DATEI",
        help="Bevölkerungsraster für --grid (CSV/Parquet wie beim Zensus mit x_mp, y_mp in "
        "EPSG:3035 und Einwohner, oder ein GeoPackage mit Zellen)",
    )


# -- settings -------------------------------------------------------------
def settings_from_args(args: argparse.Namespace, *, out_dir: Path | None = None) -> Settings:
    """The settings of the input flags: the region file with the flags winning.

    Parameters
    ----------
    args
        Parsed flags of a subcommand that took :func:`add_inputs`.
    out_dir
        Output folder that overrides the region file's (``analyse --out``).

    Raises
    ------
    ErreichbarkeitError
        If neither ``--config`` nor ``--network`` is given, or the settings
        are invalid.
    """
    overrides = _field_overrides(args)
    if out_dir:
        overrides["out_dir"] = out_dir
    if args.cache_dir:
        overrides["cache_dir"] = args.cache_dir
    routing_changes = _routing_overrides(args)
    if args.config:
        _refuse_area_file(Path(args.config))
        settings = Settings.from_toml(args.config, routing_overrides=routing_changes, **overrides)
        return _with_area(_with_transit(settings, args), args)
    if args.network is None:
        msg = "give --config REGION.toml or at least --network FILE"
        raise ErreichbarkeitError(
            msg, message_de="Regionsdatei (--config) oder Straßennetz (--network) angeben"
        )
    if "name" not in overrides:  # a readable default title: the network file's name
        overrides["name"] = Path(args.network).name.split(".")[0]
    settings = Settings.from_dict({}, routing_overrides=routing_changes, **overrides)
    return _with_area(_with_transit(settings, args), args)


def _refuse_area_file(path: Path) -> None:
    """An unprepared Jugendamt area file (``[region] kreis_file``) needs ``prepare`` first."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return  # Settings.from_toml names the problem
    region = raw.get("region")
    if isinstance(region, dict) and "kreis_file" in region:
        msg = "an area file names no data: run `erreichbarkeit prepare` on it first"
        raise ConfigError(
            msg,
            file=path,
            column="region.kreis_file",
            message_de=(
                "Das ist eine Gebietsdatei ohne eigene Daten (sie nutzt die Kreisdatei „"
                f"{region['kreis_file']}“): zuerst "
                f"„erreichbarkeit prepare {path.stem}“ ausführen und dann die dabei "
                "geschriebene region.toml angeben"
            ),
        )


def _with_area(settings: Settings, args: argparse.Namespace) -> Settings:
    """``--gebiet``/``--gebiet-name``: the analysis area that wins over the region file's."""
    gebiet, name = getattr(args, "gebiet", None), getattr(args, "gebiet_name", None)
    if gebiet is None and name is None:
        return settings
    if name is not None and not name.strip():
        msg = "--gebiet-name is empty"
        raise ConfigError(
            msg, column="--gebiet-name", message_de="--gebiet-name: bitte einen Namen angeben"
        )
    if gebiet is None:
        if settings.area is None:
            msg = "--gebiet-name needs --gebiet or an [area] in the region file"
            raise ConfigError(
                msg,
                column="--gebiet-name",
                message_de=(
                    "--gebiet-name benennt ein Auswertungsgebiet: bitte auch --gebiet "
                    "(Gemeindeschlüssel oder Namen) angeben"
                ),
            )
        return settings.replace(area=dataclasses.replace(settings.area, name=str(name).strip()))
    return settings.replace(area=area_from_flag(gebiet, name))


def area_from_flag(text: str, name: str | None = None) -> AnalysisArea:
    """The :class:`AnalysisArea` of ``--gebiet "05958004,Winterberg"``.

    Items of digits are keys (AGS with 8 digits, a whole Kreis with 5, ARS
    with 12), the others Gemeinde names.

    Raises
    ------
    ConfigError
        No item, or a number that is no Kreis key, AGS or ARS (German message).
    """
    items = csv_list(text)
    if not items:
        msg = "--gebiet lists no Gemeinde"
        raise ConfigError(
            msg,
            column="--gebiet",
            expected="AGS or names, comma-separated",
            message_de=(
                "--gebiet nennt keine Gemeinde: Gemeindeschlüssel (AGS) oder Namen mit "
                "Komma getrennt angeben, z. B. --gebiet 05958004,Winterberg"
            ),
        )
    keys = tuple(i for i in items if i.isdigit())
    bad = [k for k in keys if len(k) not in (5, 8, 9, 12)]
    if bad:
        msg = f"--gebiet: {bad[0]!r} is no Kreis key, AGS or ARS"
        raise ConfigError(
            msg,
            column="--gebiet",
            expected="5 (Kreis), 8 (AGS) or 12 (ARS) digits",
            message_de=(
                f"--gebiet: „{bad[0]}“ ist kein Gemeindeschlüssel (AGS, 8 Ziffern), kein "
                "Kreisschlüssel (5 Ziffern) und kein Regionalschlüssel (12 Ziffern)"
            ),
        )
    names = tuple(i for i in items if not i.isdigit())
    title = name.strip() if name else "Auswertungsgebiet " + ", ".join(items)
    return AnalysisArea(name=title, ags=keys, gemeinden=names, source=AREA_FLAG_SOURCE)


def _with_transit(settings: Settings, args: argparse.Namespace) -> Settings:
    """``--gtfs`` without ``--modes`` adds Bus & Bahn; ``--pt-date`` sets the reference day."""
    if getattr(args, "gtfs", None) and not args.modes and "pt" not in settings.modes:
        settings = settings.replace(modes=(*settings.modes, "pt"))
    if getattr(args, "pt_date", None) is None:
        return settings
    day = parse_date("--pt-date", args.pt_date)
    return settings.replace(transit=dataclasses.replace(settings.transit, date=day))


def _field_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings fields given as flags (inputs, offers, modes, grid)."""
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in _INPUT_FIELDS if getattr(args, name) is not None
    }
    if args.offers:
        overrides["offers"] = tuple(v for item in args.offers for v in csv_list(item))
    if args.modes:
        overrides["modes"] = tuple(args.modes)
    if getattr(args, "gtfs", None):
        overrides["gtfs"] = tuple(Path(p) for p in args.gtfs)
    if getattr(args, "zustaendigkeit", None):  # analyse --zustaendigkeit (repeatable)
        overrides["responsibility"] = tuple(Path(p) for p in args.zustaendigkeit)
    if getattr(args, "aufsuchend", None):  # analyse --aufsuchend (repeatable)
        overrides["outreach"] = tuple(Path(p) for p in args.aufsuchend)
    if getattr(args, "bedarf", None):  # analyse --bedarf
        overrides["need"] = Path(args.bedarf)
    if getattr(args, "grid", None) is not None:
        overrides["grid_cell_m"] = args.grid
    if getattr(args, "population_grid", None) is not None:
        overrides["population_grid"] = args.population_grid
    return overrides


def _routing_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Keys of the ``[routing]`` table given as flags."""
    changes: dict[str, Any] = {}
    if args.max_snap_m is not None:
        changes["max_snap_m"] = args.max_snap_m
    if args.cutoff is not None:
        changes["cutoff_minutes"] = args.cutoff
    return changes


# -- logging and errors ---------------------------------------------------
def setup_logging(verbose: int, *, quiet: bool = False) -> None:
    """Warnings on stderr by default; ``-q`` only errors, ``-v``/``-vv`` more."""
    if quiet and not verbose:
        level = logging.ERROR
    else:
        level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def report_bad_input(exc: ErreichbarkeitError) -> int:
    """One German line on stderr naming where and what; the English text with ``-v``."""
    # the command line speaks German to its users, like the exports
    sys.stderr.write(f"erreichbarkeit: Fehler: {exc.german}\n")
    logger.info("%s", exc)
    return EXIT_BAD_INPUT


def report_interrupted() -> int:
    """A note that Ctrl-C stopped the run."""
    sys.stderr.write("erreichbarkeit: interrupted\n")
    return EXIT_INTERRUPTED


def report_internal_error(exc: Exception) -> int:
    """One line naming an unexpected error (``-v`` shows the traceback instead)."""
    sys.stderr.write(
        f"erreichbarkeit: internal error: {type(exc).__name__}: {exc} (run with -v for details)\n"
    )
    return EXIT_INTERNAL
