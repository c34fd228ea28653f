"""Download and clip the real data of one Kreis: ``erreichbarkeit prepare``.

A region file (built-in ones live in ``erreichbarkeit/prepare/regions/*.toml``)
names the Kreis key and, in ``[source]``, where its data comes from: one or
more Geofabrik OSM extracts, the BKG VG250 Gemeinde boundaries and, optionally
(``gtfs_url``), the GTFS timetable for Bus & Bahn.
:func:`prepare_region`

1. downloads them into ``<data_dir>/downloads/`` (once; see
   :mod:`erreichbarkeit.prepare.download`),
2. builds the Kreis polygon as the union of the Gemeinden whose AGS starts
   with the Kreis key and buffers it by ``buffer_km`` (in EPSG:25832),
3. merges several extracts (:mod:`~erreichbarkeit.prepare.merge`) and clips
   the OSM data to the buffered polygon, keeping every way that has
   at least one node inside *complete* (all its nodes), so roads that leave
   the buffer are not cut into dangling pieces (see :mod:`erreichbarkeit.prepare.clip`),
4. clips the timetable to the trips that stop in the buffered polygon
   (``<data_dir>/<slug>/gtfs/gtfs-clip-<hash>.zip``, cached by content; see
   :mod:`erreichbarkeit.prepare.gtfs`),
5. optionally fetches the *current* OSM offers of the buffered Kreis online
   (``online_offers=True``, see :mod:`erreichbarkeit.prepare.online_offers`),
6. writes ``<data_dir>/<slug>/<slug>.osm.pbf``, ``<data_dir>/<slug>/gemeinden.gpkg``
   and ``<data_dir>/<slug>/region.toml`` (a copy of the region file whose
   ``[inputs] network``/``boundaries``/``gtfs`` point at the files), so that
   ``erreichbarkeit analyse --config <data_dir>/<slug>/region.toml`` just works.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback, RegionSource, Settings
from erreichbarkeit.errors import ConfigError, NetworkError
from erreichbarkeit.prepare.areafile import (
    AreaFile,
    area_target,
    kreis_file,
    prepared_kreis,
    read_area_file,
    write_area_region_file,
)
from erreichbarkeit.prepare.boundaries import area_polygon, load_gemeinden, validate_boundaries
from erreichbarkeit.prepare.clip import (
    clip_extract,
    count_highways,
    validate_osm,
)
from erreichbarkeit.prepare.download import fetch_source, is_url, offline_check
from erreichbarkeit.prepare.gtfs import (
    DOWNLOAD_LABEL,
    clip_gtfs,
    drop_old_clips,
    gtfs_attribution,
    validate_gtfs,
)
from erreichbarkeit.prepare.merge import merge_extracts, warn_uncovered
from erreichbarkeit.prepare.online_offers import fetch_osm_offers
from erreichbarkeit.prepare.regionfile import (
    raw_offers,
    region_slug,
    resolve_region,
    write_region_file,
)

__all__ = ["ONLINE_OFFERS_FILE", "PreparedRegion", "prepare_region"]

logger = logging.getLogger(__name__)

_NETWORK_FILE = "{slug}.osm.pbf"
_GEMEINDEN_FILE = "gemeinden.gpkg"
_REGION_FILE = "region.toml"
_GTFS_FOLDER = "gtfs"
#: The CSV of current OSM offers written with ``online_offers=True``.
ONLINE_OFFERS_FILE = "angebote-osm-aktuell.csv"


@dataclass(frozen=True)
class PreparedRegion:
    """What :func:`prepare_region` wrote.

    Attributes
    ----------
    folder
        ``<data_dir>/<slug>/``.
    network
        The clipped OSM file (``<slug>.osm.pbf``).
    boundaries
        ``gemeinden.gpkg`` (Gemeinden of the Kreis and neighbours touching the
        buffer: ``ags``, ``gemeinde``, ``population``, ``in_kreis``, EPSG:4326).
    region_file
        The ready ``region.toml`` for ``erreichbarkeit analyse --config``.
    kreis_polygon_wkt_4326
        The (unbuffered) Kreis outline as WKT in EPSG:4326, for maps.
    online_offers
        The CSV of current OSM offers (``online_offers=True`` and at least
        one offer found), else ``None``.
    gtfs
        The clipped timetable (``gtfs/gtfs-clip-<hash>.zip``) when a GTFS
        source was given, else ``None``.
    area
        For an area file: the analysis area's name; :attr:`folder` and
        :attr:`region_file` are the area's, the data files the Kreis's.
    """

    folder: Path
    network: Path
    boundaries: Path | None
    region_file: Path
    kreis_polygon_wkt_4326: str
    online_offers: Path | None = None
    gtfs: Path | None = None
    area: str | None = None


@dataclass(frozen=True)
class _Job:
    """What every step of one :func:`prepare_region` call needs."""

    region_file: Path
    settings: Settings
    source: RegionSource
    downloads: Path
    folder: Path
    slug: str
    offline: bool
    progress: ProgressCallback | None
    timeout_s: float
    steps: int
    #: The timetable: ``--gtfs`` (``gtfs_given``) or ``[source] gtfs_url``.
    gtfs_source: str | None = None
    gtfs_given: bool = False

    def step(self, name: str, i: int) -> None:
        """Report step ``i`` of :attr:`steps`."""
        if self.progress is not None:
            self.progress(name, i, self.steps)


def _region_source(region_file: Path, settings: Settings) -> RegionSource:
    """The ``[source]`` section; a region file without it cannot be prepared."""
    if settings.source is None:
        msg = "region file has no [source] section (kreis, extract_url)"
        raise ConfigError(
            msg,
            file=region_file,
            column="source",
            expected='[source] kreis = "05958", extract_url = "https://…"',
            message_de="Der Regionsdatei fehlt der Abschnitt [source] (kreis, extract_url)",
        )
    return settings.source


def _check_offline(
    job: _Job, extract: Path | Sequence[Path] | None, boundaries: Path | None
) -> None:
    """Offline mode: fail early, naming every download that is missing."""
    wanted = [] if extract else [(url, "--extract") for url in job.source.extract_urls]
    if boundaries is None and job.source.boundaries_url is not None:
        wanted.append((job.source.boundaries_url, "--boundaries"))
    if job.gtfs_source is not None:  # a local path is no download: offline_check skips it
        wanted.append((job.gtfs_source, "--gtfs"))
    offline_check(wanted, region_file=job.region_file, downloads=job.downloads)


def _osm_extract(job: _Job, extract: Path | Sequence[Path] | None) -> Path:
    """The OSM extract: the local files or the (cached) downloads; several merged."""
    if extract:  # each checked (exists, readable) by merge_extracts
        return merge_extracts(
            [extract] if isinstance(extract, Path) else extract, job.downloads / job.slug
        )
    files: list[Path] = []
    urls = job.source.extract_urls
    for i, url in enumerate(urls, start=1):
        osm_file = fetch_source(
            url,
            region_file=job.region_file,
            downloads=job.downloads,
            label="Download OSM-Extrakt" + (f" {i}/{len(urls)}" if len(urls) > 1 else ""),
            validate=validate_osm,
            offline=job.offline,
            progress=job.progress,
            timeout_s=job.timeout_s,
            option="--extract",
        )
        validate_osm(osm_file, url)  # cheap; catches hand-placed junk
        files.append(osm_file)
    return merge_extracts(files, job.downloads / job.slug)  # a cache, beside the downloads


def _boundary_file(job: _Job, boundaries: Path | None) -> Path:
    """The Gemeinde boundaries: the given local file, or the (cached) download."""
    if boundaries is not None:
        bnd_file = Path(boundaries)
        if not bnd_file.is_file():
            msg = "boundary file not found"
            raise ConfigError(msg, file=bnd_file, message_de="Gemeindegrenzen nicht gefunden")
        return bnd_file
    if job.source.boundaries_url is None:
        msg = "no Gemeinde boundaries: set [source] boundaries_url or pass a boundary file"
        raise ConfigError(
            msg,
            file=job.region_file,
            column="source.boundaries_url",
            expected="the BKG VG250 GeoPackage URL or --boundaries FILE",
            message_de=(
                "Keine Gemeindegrenzen: [source] boundaries_url eintragen oder "
                "--boundaries DATEI angeben"
            ),
        )
    return fetch_source(
        job.source.boundaries_url,
        region_file=job.region_file,
        downloads=job.downloads,
        label="Download Gemeindegrenzen",
        validate=validate_boundaries,
        offline=job.offline,
        progress=job.progress,
        timeout_s=job.timeout_s,
        option="--boundaries",
    )


def _timetable(job: _Job) -> Path | None:
    """The GTFS timetable: the ``--gtfs`` file, or the (cached) download; ``None``: none."""
    source = job.gtfs_source
    if source is None:
        return None
    if job.gtfs_given and not is_url(source):
        gtfs_file = Path(source).expanduser()
        if not gtfs_file.is_file():
            msg = "GTFS timetable not found"
            raise ConfigError(msg, file=gtfs_file, message_de="Fahrplan (GTFS) nicht gefunden")
    else:
        gtfs_file = fetch_source(
            source,
            region_file=job.region_file,
            downloads=job.downloads,
            label=DOWNLOAD_LABEL,
            validate=validate_gtfs,
            offline=job.offline,
            progress=job.progress,
            timeout_s=job.timeout_s,
            option="--gtfs",
        )
    validate_gtfs(gtfs_file, source)  # cheap (table of contents); catches hand-placed junk
    return gtfs_file


def _clip_timetable(job: _Job, gtfs_file: Path, clip_area: BaseGeometry) -> Path:
    """Clip the timetable to the buffered Kreis; drop clips of older feeds."""
    clipped = clip_gtfs(gtfs_file, clip_area, job.folder / _GTFS_FOLDER)
    drop_old_clips(clipped)
    return clipped


def _kreis_and_neighbours(
    bnd_file: Path, source: RegionSource
) -> tuple[gpd.GeoDataFrame, BaseGeometry, BaseGeometry]:
    """Gemeinden touching the buffered Kreis (``in_kreis`` flag), the Kreis and its buffer."""
    gemeinden = load_gemeinden(bnd_file)
    kreis_area, clip_area = area_polygon(gemeinden, source.kreis, buffer_km=source.buffer_km)
    clip_metric = gpd.GeoSeries([clip_area], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    metric = gemeinden.to_crs(METRIC_CRS)
    near = gemeinden[metric.intersects(clip_metric).to_numpy()].copy()
    near["in_kreis"] = near["ags"].str.startswith(source.kreis)
    near = near.sort_values("ags").reset_index(drop=True)
    logger.info(
        "Kreis %s: %d Gemeinden, %d neighbours within %.1f km",
        source.kreis,
        int(near["in_kreis"].sum()),
        int((~near["in_kreis"]).sum()),
        source.buffer_km,
    )
    return near, kreis_area, clip_area


def _clip_network(job: _Job, osm_file: Path, clip_area: BaseGeometry) -> Path:
    """Clip the extract into ``<slug>.osm.pbf``; an area without roads is an error."""
    network = job.folder / _NETWORK_FILE.format(slug=job.slug)
    clip_extract(osm_file, network, clip_area)
    n_roads = count_highways(network)
    if n_roads == 0:
        network.unlink()
        kreis = job.source.kreis
        msg = f"the OSM extract {osm_file.name} has no roads inside Kreis {kreis}"
        raise NetworkError(
            msg,
            file=osm_file,
            expected=f"an extract covering Kreis {kreis}",
            message_de=(
                f"Der OSM-Extrakt {osm_file.name} enthält keine Straßen im Kreis "
                f"{kreis} – passt der Extrakt zum Kreis?"
            ),
        )
    logger.info("clipped %s: %d highway ways", network, n_roads)
    return network


def _write_gemeinden(job: _Job, near: gpd.GeoDataFrame) -> Path:
    """Write the Gemeinden of the Kreis and its neighbours as ``gemeinden.gpkg``."""
    gem_file = job.folder / _GEMEINDEN_FILE
    with atomic_path(gem_file) as tmp:
        near.to_file(tmp, layer="gemeinden", driver="GPKG", engine="pyogrio")
    return gem_file


def _online_offers(
    job: _Job, clip_area: BaseGeometry, overpass_url: str | None
) -> tuple[Path | None, list[str] | None]:
    """Fetch the current OSM offers; return the CSV and the new ``[inputs] offers``.

    The CSV takes the place of ``"osm"`` in the region file's offer list (or
    is appended when the list has no ``"osm"``, so planners' own lists stay);
    with no offer found the list stays as it is.
    """
    if not isinstance(clip_area, Polygon | MultiPolygon):
        clip_area = shapely.make_valid(clip_area).buffer(0)
    out = job.folder / ONLINE_OFFERS_FILE
    table = fetch_osm_offers(
        clip_area,
        job.settings.categories(),
        out_path=out,
        overpass_url=overpass_url,
        timeout_s=max(job.timeout_s, 180.0),
    )
    if table.empty:
        return None, None
    offers = raw_offers(job.region_file)
    if "osm" in offers:
        offers = [out.name if o == "osm" else o for o in offers]
    elif out.name not in offers:  # a region file prepared before lists it already
        offers.append(out.name)
    return out, offers


def _build(
    job: _Job,
    files: tuple[Path, Path, Path | None],
    *,
    online_offers: bool,
    overpass_url: str | None,
) -> PreparedRegion:
    """Kreis polygon, clipped network and timetable, Gemeinden, current offers, region file.

    ``files`` are the OSM extract, the boundaries and the timetable (or ``None``).
    """
    osm_file, bnd_file, gtfs_file = files
    step = iter(range(1, job.steps))
    job.step("Kreisgrenze", next(step))
    near, kreis_area, clip_area = _kreis_and_neighbours(bnd_file, job.source)
    job.step("OSM zuschneiden", next(step))
    network = _clip_network(job, osm_file, clip_area)
    warn_uncovered(network, kreis_area, clip_area, near)
    gtfs_clip, attribution = None, None
    if gtfs_file is not None and job.gtfs_source is not None:
        job.step("Fahrplan zuschneiden", next(step))
        gtfs_clip = _clip_timetable(job, gtfs_file, clip_area)
        attribution = gtfs_attribution(job.gtfs_source)
    job.step("Gemeinden schreiben", next(step))
    gem_file = _write_gemeinden(job, near)
    online_file, offers = None, None
    if online_offers:
        job.step("Aktuelle OSM-Angebote abrufen", next(step))
        online_file, offers = _online_offers(job, clip_area, overpass_url)
    region_out = job.folder / _REGION_FILE
    write_region_file(
        job.region_file,
        region_out,
        network,
        gem_file,
        offers=offers,
        gtfs=gtfs_clip,
        gtfs_attribution=attribution,
    )
    job.step("Fertig", job.steps)
    return PreparedRegion(
        folder=job.folder,
        network=network,
        boundaries=gem_file,
        region_file=region_out,
        kreis_polygon_wkt_4326=shapely.to_wkt(kreis_area, rounding_precision=6),
        online_offers=online_file,
        gtfs=gtfs_clip,
    )


def _start(
    region: str | Path,
    data_dir: Path,
    *,
    offline: bool,
    online_offers: bool,
    gtfs: str | Path | None,
    progress: ProgressCallback | None,
    timeout_s: float,
) -> _Job:
    """Resolve the region file and check the options; return the job description.

    ``gtfs`` (the ``--gtfs`` URL or file) replaces ``[source] gtfs_url``.
    """
    region_file = resolve_region(region)
    settings = Settings.from_toml(region_file)
    source = _region_source(region_file, settings)
    if offline and online_offers:
        msg = "online_offers needs the internet and cannot be used in offline mode"
        raise ConfigError(
            msg,
            expected="either offline or online_offers",
            message_de=(
                "--online-offers ruft die Angebote aus dem Internet ab und geht nicht "
                "zusammen mit --offline"
            ),
        )
    slug = region_slug(region_file, settings)
    gtfs_source = str(gtfs) if gtfs is not None else source.gtfs_url
    return _Job(
        region_file=region_file,
        settings=settings,
        source=source,
        downloads=Path(data_dir) / "downloads",
        folder=Path(data_dir) / slug,
        slug=slug,
        offline=offline,
        progress=progress,
        timeout_s=timeout_s,
        steps=4 + int(online_offers) + int(gtfs_source is not None),
        gtfs_source=gtfs_source,
        gtfs_given=gtfs is not None,
    )


def prepare_region(
    region: str | Path,
    *,
    data_dir: Path,
    extract: Path | Sequence[Path] | None = None,
    boundaries: Path | None = None,
    gtfs: str | Path | None = None,
    offline: bool = False,
    online_offers: bool = False,
    overpass_url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 60,
) -> PreparedRegion:
    """Download (once) and clip a Kreis's OSM data, Gemeinde boundaries and timetable.

    Parameters
    ----------
    region
        Built-in region name, Kreis key, region file or area file (see
        :func:`erreichbarkeit.prepare.resolve_region`, :func:`_prepare_area`).
    data_dir
        Root folder: downloads go to ``data_dir/downloads/``, results to
        ``data_dir/<slug>/``.
    extract
        Local OSM extract(s) instead of ``[source] extract_url``; several are merged.
    boundaries
        A local boundary file (VG250 zip/GeoPackage or any file with AGS) to use
        instead of downloading ``[source] boundaries_url``.
    gtfs
        A GTFS timetable (URL or local zip) instead of ``[source] gtfs_url``; either is
        clipped to the buffered Kreis (``gtfs/gtfs-clip-<hash>.zip``, once per feed).
    offline
        Never download; use local or already downloaded files, otherwise raise.
    online_offers
        Also fetch the *current* OSM offers of the buffered Kreis from the
        Overpass API into ``angebote-osm-aktuell.csv``; the prepared region
        file lists it instead of ``"osm"`` (the clipped extract stays the
        network).  Not allowed together with ``offline``.
    overpass_url
        Base URL of the Overpass API for ``online_offers`` (``None``: osmnx's
        default, ``https://overpass-api.de/api``).
    progress
        ``progress(step, done, total)``; downloads report bytes (``total`` = 0
        when the server does not send a size), the other steps ``(i, n)``:
        ``n`` = 4, plus one with a timetable ("Fahrplan zuschneiden") and
        one with ``online_offers``.
    timeout_s
        Network timeout per connection/read in seconds.

    Returns
    -------
    PreparedRegion
        Paths of the written files and the Kreis outline.

    Raises
    ------
    ConfigError
        Unknown region, a region file without ``[source]``/boundaries, offline
        mode with missing files (the message says what to download and where
        to put it), or ``offline`` together with ``online_offers``.
    InputDataError
        A download failed ("Download fehlgeschlagen: …"), the Overpass API failed, or
        a file is unreadable; :class:`NetworkError` for a corrupt OSM file or an empty clip.
    """
    area_file = read_area_file(resolve_region(region))
    if area_file is not None:  # a Jugendamt's area: the Kreis's data (prepared once), its [area]
        return _prepare_area(area_file, {k: v for k, v in locals().items() if k != "area_file"})
    job = _start(
        region,
        data_dir,
        offline=offline,
        online_offers=online_offers,
        gtfs=gtfs,
        progress=progress,
        timeout_s=timeout_s,
    )
    if offline:
        _check_offline(job, extract, boundaries)
    files = (_osm_extract(job, extract), _boundary_file(job, boundaries), _timetable(job))
    return _build(job, files, online_offers=online_offers, overpass_url=overpass_url)


# -- area files: a Jugendamt's area inside a prepared Kreis ------------------------------


def _prepare_area(area_file: AreaFile, options: dict[str, Any]) -> PreparedRegion:
    """Prepare an area file: its Kreis, then ``<data_dir>/<area>/region.toml``.

    ``options`` are :func:`prepare_region`'s (``region`` is replaced by the
    Kreis file).  The Kreis prepared before in ``data_dir`` is reused unless
    ``extract``, ``boundaries``, ``gtfs`` or ``online_offers`` ask for new data.
    """
    data_dir = Path(options["data_dir"])
    fresh = any(options[k] is not None for k in ("extract", "boundaries", "gtfs"))
    cached = None if fresh or options["online_offers"] else prepared_kreis(area_file, data_dir)
    if cached is None:
        kreis = prepare_region(**(options | {"region": kreis_file(area_file)}))
    else:
        settings, outline = cached
        kreis = PreparedRegion(
            folder=settings.folder, network=settings.network, boundaries=settings.boundaries,
            region_file=settings.region_file, kreis_polygon_wkt_4326=outline,
            gtfs=settings.gtfs,
        )  # fmt: skip
    target = area_target(area_file, kreis.folder, data_dir)
    write_area_region_file(area_file, kreis.region_file, target)
    logger.info("area %s: %s (data of %s)", area_file.area.name, target, kreis.folder)
    return dataclasses.replace(
        kreis, folder=target.parent, region_file=target, area=area_file.area.name
    )
