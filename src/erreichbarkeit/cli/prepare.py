"""``erreichbarkeit prepare``: download and clip a real region's data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from erreichbarkeit.cli._common import EXIT_OK, Subparsers, add_common, progress_line

__all__ = ["add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    """Add the ``prepare`` subcommand."""
    p = sub.add_parser(
        "prepare",
        help="OSM-Extrakt, Gemeindegrenzen und Fahrplan einer Region laden und zuschneiden",
        description=(
            "Lädt (oder nimmt lokale Dateien), schneidet den OSM-Extrakt (und den GTFS-Fahrplan, "
            "falls angegeben) auf den Kreis samt Puffer zu und schreibt eine fertige "
            "region.toml nach DATENORDNER/<Region>/. REGION ist ein eingebauter Name (siehe "
            "„erreichbarkeit regions“), ein Kreisschlüssel wie 05958 oder eine Regionsdatei. "
            "Eine Jugendamts-Gebietsdatei (z. B. kreisjugendamt-hochsauerlandkreis) bereitet "
            "ihren Kreis einmal vor (DATENORDNER/<Kreis>/, wiederverwendet) und schreibt "
            "DATENORDNER/<Gebiet>/region.toml."
        ),
    )
    p.add_argument("region", metavar="REGION")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/regions"),
        metavar="DATENORDNER",
        help="Ordner für Downloads und vorbereitete Regionen (Standard: data/regions)",
    )
    p.add_argument(
        "--extract",
        type=Path,
        action="append",
        metavar="DATEI",
        help=(
            "lokaler OSM-Extrakt statt [source] extract_url; mehrmals angeben für mehrere "
            "Extrakte (z. B. über eine Landesgrenze), sie werden vor dem Zuschneiden "
            "zusammengeführt"
        ),
    )
    p.add_argument(
        "--boundaries",
        type=Path,
        metavar="DATEI",
        help="diese lokale Grenzdatei verwenden (VG250-GeoPackage o. Ä.)",
    )
    p.add_argument(
        "--gtfs",
        metavar="DATEI_ODER_URL",
        help=(
            "GTFS-Fahrplan (zip-Datei oder URL) für Bus & Bahn statt [source] gtfs_url; "
            "wird auf Region samt Puffer zugeschnitten"
        ),
    )
    p.add_argument(
        "--offline", action="store_true", help="nichts herunterladen, nur lokale Dateien"
    )
    p.add_argument(
        "--online-offers",
        action="store_true",
        help=(
            "zusätzlich die aktuellen OSM-Angebote der Region über die Overpass-API (osmnx) "
            "nach angebote-osm-aktuell.csv laden; sie ersetzen die POIs des Extrakts"
        ),
    )
    p.add_argument(
        "--overpass-url",
        metavar="URL",
        help="Overpass-API-Adresse für --online-offers (Standard: die von osmnx)",
    )
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Prepare the region and name its region file; return the exit code."""
    # deferred: clipping loads GDAL, shapely and osmium (~3 s), which
    # `erreichbarkeit --help` does not need
    from erreichbarkeit.prepare import prepare_region  # noqa: PLC0415

    prepared = prepare_region(
        args.region,
        data_dir=args.data_dir,
        extract=args.extract,
        boundaries=args.boundaries,
        gtfs=args.gtfs,
        offline=args.offline,
        online_offers=args.online_offers,
        overpass_url=args.overpass_url,
        progress=progress_line(quiet=args.quiet),
    )
    if prepared.area is not None:
        sys.stdout.write(f"Auswertungsgebiet: {prepared.area} (Daten: {prepared.network.parent})\n")
    sys.stdout.write(
        f"Region vorbereitet: {prepared.folder}\n"
        f"  weiter mit: erreichbarkeit analyse --config {prepared.region_file}\n"
    )
    return EXIT_OK
