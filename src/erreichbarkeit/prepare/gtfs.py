"""Download a GTFS timetable and clip it to the region: the data of "Bus & Bahn".

The region file names a GTFS feed (the DELFI Germany feed or the Verbund's
own).  :func:`download_gtfs` fetches it once into the download cache (with
the resumable, atomic download of :mod:`erreichbarkeit.prepare.download`)
and checks that it is a GTFS zip.  :func:`clip_gtfs` cuts it down to the
buffered Kreis with ``gtfs_kit``:

* every trip that stops at least once inside the area is kept **whole**, with
  all its stop times, also those outside the area.  A line that leaves the
  Kreis therefore stays routable to its end (the Kreisstadt's hospital may be
  the last stop in the neighbouring Kreis), and no trip is cut into a stub
  whose first or last stop is the border;
* trips that never stop inside the area are dropped, and with them the stops,
  routes, shapes, calendars, agencies, frequencies and transfers that only
  they used (parent stations of kept stops stay);
* only the GTFS tables ``gtfs_kit`` models are written (agency, stops, routes,
  trips, stop_times, calendar, calendar_dates, shapes, frequencies, transfers,
  feed_info, fare_attributes, fare_rules, attributions); pathways, levels and
  translations are left out.  The router needs none of them.

The clipped feed is cached: its file name holds a SHA-256 of the source
file's content, the area, the buffer and the versions of ``gtfs_kit`` and of
this clip, so the same input is clipped only once.

Memory: ``gtfs_kit`` reads the whole feed into pandas.  A Verbund feed needs
well under 1 GB; the DELFI Germany feed (tens of millions of stop times)
needs several GB of RAM for the duration of the clip.
"""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath

import geopandas as gpd
import gtfs_kit
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback
from erreichbarkeit.errors import ConfigError, InputDataError
from erreichbarkeit.prepare.download import download, is_url, looks_like_html

__all__ = [
    "DOWNLOAD_LABEL",
    "REQUIRED_TABLES",
    "clip_gtfs",
    "download_gtfs",
    "drop_old_clips",
    "gtfs_attribution",
    "validate_gtfs",
]

logger = logging.getLogger(__name__)

#: GTFS files without which a feed cannot be routed.
REQUIRED_TABLES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")

#: Bump when the clip's output changes for the same input (part of the cache key).
_CLIP_VERSION = "1"
#: Progress step of the timetable download.
DOWNLOAD_LABEL = "Download Fahrplan (GTFS)"
_CLIP_PREFIX = "gtfs-clip-"
#: Words in the URL or file name of the DELFI Germany feed
#: (``…_fahrplaene_gesamtdeutschland_gtfs.zip``, dataset
#: ``deutschlandweite-sollfahrplandaten-gtfs`` on www.opendata-oepnv.de).
_DELFI_MARKERS = ("delfi", "gesamtdeutschland", "deutschlandweit")
_DELFI_ATTRIBUTION = "DELFI e.V., CC BY 4.0"


def _gtfs_error(message: str, message_de: str, path: Path) -> InputDataError:
    """An error about a file that is not a usable GTFS feed."""
    return InputDataError(
        message,
        file=path,
        expected="a GTFS zip (stops.txt, routes.txt, trips.txt, stop_times.txt)",
        message_de=message_de,
    )


def validate_gtfs(path: Path, source: str) -> None:
    """Raise :class:`InputDataError` unless ``path`` is a GTFS zip.

    Only the zip's table of contents is read (no timetable), so this is fast
    also for the DELFI Germany feed.

    Parameters
    ----------
    path
        The (downloaded) file.
    source
        Where it came from (URL or path), for messages.

    Raises
    ------
    InputDataError
        A web page, a file that is not a zip, or a zip without the GTFS
        tables :data:`REQUIRED_TABLES`.
    """
    if looks_like_html(path):
        msg = f"{source} returned a web page, not a GTFS zip"
        de = (
            f"Statt eines Fahrplans (GTFS-ZIP) kam eine Webseite zurück ({source}). Adresse prüfen."
        )
        raise _gtfs_error(msg, de, path)
    if not zipfile.is_zipfile(path):
        msg = f"{source} is not a zip file, so not a GTFS feed"
        de = f"Die Datei ist keine ZIP-Datei und damit kein GTFS-Fahrplan ({source})."
        raise _gtfs_error(msg, de, path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = {PurePosixPath(name).name for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{source}: unreadable zip file: {exc}"
        de = f"Die ZIP-Datei ist beschädigt ({source}): {exc}"
        raise _gtfs_error(msg, de, path) from exc
    missing = [name for name in REQUIRED_TABLES if name not in names]
    if missing:
        msg = f"{source} is a zip but not a GTFS feed: {', '.join(missing)} missing"
        de = f"Die ZIP-Datei ist kein GTFS-Fahrplan, es fehlen {', '.join(missing)} ({source})."
        raise _gtfs_error(msg, de, path)


def download_gtfs(
    url: str,
    target: Path,
    *,
    timeout_s: float = 60,
    progress: ProgressCallback | None = None,
) -> Path:
    """Download a GTFS feed into ``target`` unless it is cached there.

    Parameters
    ----------
    url
        The feed's address (``https://…/gtfs.zip``).
    target
        The cache file.  Written atomically (a complete, validated file or
        none), with a ``.meta.json`` record; a broken-off download resumes.
    timeout_s
        Network timeout per connection/read in seconds.
    progress
        ``progress("Download Fahrplan (GTFS)", bytes done, bytes total or 0)``.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    InputDataError
        HTTP error, no connection, cut-off download ("Download fehlgeschlagen: …"),
        or a file that is not a GTFS zip (see :func:`validate_gtfs`).
    """
    return download(
        url,
        Path(target),
        label=DOWNLOAD_LABEL,
        validate=validate_gtfs,
        progress=progress,
        timeout_s=timeout_s,
    )


def _check_area(area: BaseGeometry, buffer_km: float) -> None:
    """Raise :class:`ConfigError` for an empty area, a negative buffer or non-degree coordinates."""
    if buffer_km < 0:
        msg = f"buffer_km must not be negative, got {buffer_km}"
        raise ConfigError(
            msg, expected="buffer_km >= 0", message_de="Der Puffer darf nicht negativ sein."
        )
    if area.is_empty:
        msg = "the clip area is empty"
        raise ConfigError(msg, message_de="Das Gebiet zum Zuschneiden des Fahrplans ist leer.")
    minx, miny, maxx, maxy = area.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        msg = f"the clip area is not in EPSG:4326 (bounds {area.bounds})"
        raise ConfigError(
            msg,
            expected="longitude/latitude in degrees (EPSG:4326)",
            message_de=(
                "Das Gebiet zum Zuschneiden des Fahrplans hat keine Längen-/Breitengrade "
                "(EPSG:4326)."
            ),
        )


def _clip_key(source: Path, area: BaseGeometry, buffer_km: float) -> str:
    """SHA-256 (hex) of the source content, the area, the buffer and the tool versions."""
    h = hashlib.sha256()
    for part in (
        file_digest(source).encode(),
        shapely.to_wkb(shapely.normalize(area)),
        repr(float(buffer_km)).encode(),
        f"gtfs_kit {gtfs_kit.__version__} clip {_CLIP_VERSION}".encode(),
    ):
        h.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        h.update(part)
    return h.hexdigest()


def _buffered(area: BaseGeometry, buffer_km: float) -> BaseGeometry:
    """``area`` grown by ``buffer_km`` (buffered in EPSG:25832, returned in EPSG:4326)."""
    if not buffer_km:
        return area
    metric = gpd.GeoSeries([area], crs=WGS84).to_crs(METRIC_CRS).buffer(buffer_km * 1000)
    grown: BaseGeometry = metric.to_crs(WGS84).iloc[0]
    return grown


def _read_feed(source: Path) -> gtfs_kit.Feed:
    """Read a GTFS zip with ``gtfs_kit``; raise :class:`InputDataError` if it is none."""
    validate_gtfs(source, str(source))
    try:
        # dist_units only labels shape_dist_traveled (nothing is converted when
        # we write), so naming it skips gtfs_kit's guess from the shapes.
        feed = gtfs_kit.read_feed(source, dist_units="km")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        msg = f"cannot read GTFS feed: {exc}"
        de = f"Der Fahrplan (GTFS) ist nicht lesbar: {exc}"
        raise _gtfs_error(msg, de, source) from exc
    empty = [
        name
        for name in ("stops", "routes", "trips", "stop_times")
        if getattr(feed, name) is None or getattr(feed, name).empty
    ]
    if empty:
        msg = f"GTFS feed has no rows in {', '.join(empty)}"
        de = f"Der Fahrplan (GTFS) ist leer: keine Einträge in {', '.join(empty)}."
        raise _gtfs_error(msg, de, source)
    return feed


def _trips_touching(feed: gtfs_kit.Feed, clip_area: gpd.GeoDataFrame) -> list[str]:
    """Ids of the trips with at least one stop in ``clip_area`` (each id once).

    ``gtfs_kit.restrict_to_area`` takes the same two steps, but hands
    ``restrict_to_trips`` one trip id per stop time, repeats included.  With
    pandas 3's pyarrow strings ``Series.isin`` walks that list in Python, which
    made the whole clip of the VRN test feed four times slower (1.0 s instead
    of 0.25 s for this step); hence these lines, with the same result.
    """
    stop_ids = gtfs_kit.get_stops_in_area(feed, clip_area)["stop_id"]
    stop_times = feed.stop_times
    touching = stop_times.loc[stop_times["stop_id"].isin(stop_ids), "trip_id"]
    return [str(trip_id) for trip_id in touching.unique()]


def _no_trips_error(source: Path, buffer_km: float) -> InputDataError:
    """The error for a feed with no stop (served by a trip) in the area."""
    msg = f"no stop of the GTFS feed with a trip lies in the area (buffer {buffer_km:g} km)"
    return InputDataError(
        msg,
        file=source,
        expected="a GTFS feed that covers the Kreis",
        message_de=(
            f"Keine Haltestelle des Fahrplans (mit Fahrten) liegt im Gebiet "
            f"(Kreis mit {buffer_km:g} km Puffer). Deckt der Fahrplan in der "
            "Regionsdatei den Kreis ab?"
        ),
    )


def clip_gtfs(
    source: Path,
    area: BaseGeometry,
    target_dir: Path,
    *,
    buffer_km: float = 0.0,
) -> Path:
    """Clip a GTFS feed to the trips that stop inside ``area`` (cached).

    Parameters
    ----------
    source
        A GTFS zip.
    area
        Polygon or MultiPolygon in EPSG:4326 (the Kreis, or the Kreis with
        its buffer already added).
    target_dir
        Folder of the clipped feed (created if missing).
    buffer_km
        Grow ``area`` by this many kilometres first (buffered in EPSG:25832).

    Returns
    -------
    Path
        ``target_dir/gtfs-clip-<sha256>.zip``: a GTFS zip with every trip
        that has at least one stop inside the (buffered) area, complete with
        all its stop times, and only the stops (plus their parent stations),
        routes, shapes, calendars and agencies those trips use.  When this
        file exists (same source content, area, buffer and versions) it is
        returned without clipping again.  Written atomically.

    Raises
    ------
    InputDataError
        ``source`` is not a readable GTFS feed, or no stop with a trip lies
        in the area.
    ConfigError
        ``area`` is empty or not in degrees, or ``buffer_km`` is negative.
    """
    source, target_dir = Path(source), Path(target_dir)
    _check_area(area, buffer_km)
    target = target_dir / f"{_CLIP_PREFIX}{_clip_key(source, area, buffer_km)}.zip"
    if target.is_file():
        logger.info("cached clipped GTFS feed %s", target)
        return target
    started = time.perf_counter()
    feed = _read_feed(source)
    clip_area = gpd.GeoDataFrame(geometry=[_buffered(area, buffer_km)], crs=WGS84)
    clipped = gtfs_kit.restrict_to_trips(feed, _trips_touching(feed, clip_area))
    if clipped.trips.empty:
        raise _no_trips_error(source, buffer_km)
    with atomic_path(target) as tmp:
        clipped.to_file(tmp)
    logger.info(
        "clipped GTFS %s to %s: %d of %d trips, %d of %d stops, %d of %d routes (%.1f s)",
        source.name,
        target.name,
        len(clipped.trips),
        len(feed.trips),
        len(clipped.stops),
        len(feed.stops),
        len(clipped.routes),
        len(feed.routes),
        time.perf_counter() - started,
    )
    return target


def drop_old_clips(keep: Path) -> list[Path]:
    """Delete the other ``gtfs-clip-*.zip`` files in the folder of ``keep``.

    Parameters
    ----------
    keep
        The clipped feed now in use (returned by :func:`clip_gtfs`).

    Returns
    -------
    list[Path]
        The deleted files (clips of an older feed, area or version).
    """
    old = [p for p in keep.parent.glob(f"{_CLIP_PREFIX}*.zip") if p.name != keep.name]
    for path in old:
        path.unlink(missing_ok=True)
        logger.info("removed old clipped GTFS feed %s", path)
    return old


def gtfs_attribution(source: str) -> str | None:
    """The source text of a timetable for ``[attribution] gtfs``.

    Parameters
    ----------
    source
        The URL or path the feed came from.

    Returns
    -------
    str or None
        ``"DELFI e.V., CC BY 4.0"`` for the DELFI Germany feed (recognised by
        its dataset or file name), the server's host for another URL
        (licence: the provider's), ``None`` for another local file – then
        the analysis shows its general timetable source note.
    """
    url = is_url(source)
    name = source if url else Path(source).name
    if any(marker in name.lower() for marker in _DELFI_MARKERS):
        return _DELFI_ATTRIBUTION
    if not url:
        return None
    host = urllib.parse.urlsplit(source).hostname
    if not host:
        return None
    return f"Fahrplan (GTFS) von {host.removeprefix('www.')}, Lizenz laut Anbieter"
