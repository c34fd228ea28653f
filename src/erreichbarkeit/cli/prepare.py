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
        help="download and clip the OSM extract, boundaries and timetable of a region",
        description=(
            "Download (or take local files), clip the OSM extract (and the GTFS timetable, if "
            "given) to the Kreis plus a buffer, "
            "and write a ready region.toml to DATA_DIR/<region>/. REGION is a built-in name "
            "(see 'erreichbarkeit regions'), a Kreis key such as 05958, or a region file. "
            "A Jugendamt area file (e.g. kreisjugendamt-hochsauerlandkreis) prepares its "
            "Kreis once (DATA_DIR/<kreis>/, reused) and writes DATA_DIR/<area>/region.toml."
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
    p.add_argument(
        "--extract",
        type=Path,
        action="append",
        metavar="FILE",
        help=(
            "lokaler OSM-Extrakt statt [source] extract_url; mehrmals angeben für mehrere "
            "Extrakte (z. B. über eine Landesgrenze), sie werden vor dem Zuschneiden "
            "zusammengeführt"
        ),
    )
    p.add_argument(
        "--boundaries",
        type=Path,
        metavar="FILE",
        help="use this local boundary file (VG250 GeoPackage or similar)",
    )
    p.add_argument(
        "--gtfs",
        metavar="FILE_OR_URL",
        help=(
            "GTFS timetable (zip file or URL) for Bus & Bahn, instead of [source] gtfs_url; "
            "clipped to the region plus buffer"
        ),
    )
    p.add_argument("--offline", action="store_true", help="never download; local files only")
    p.add_argument(
        "--online-offers",
        action="store_true",
        help=(
            "also fetch the region's current OSM offers from the Overpass API (osmnx) into "
            "angebote-osm-aktuell.csv, used instead of the extract's POIs"
        ),
    )
    p.add_argument(
        "--overpass-url",
        metavar="URL",
        help="Overpass API endpoint for --online-offers (default: osmnx's)",
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
