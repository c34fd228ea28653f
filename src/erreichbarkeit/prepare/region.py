"""Download and clip the real data of one Kreis: ``erreichbarkeit prepare``.

A region file (built-in ones live in ``erreichbarkeit/regions/*.toml``) names
the Kreis key and, in ``[source]``, where its data comes from: a Geofabrik
OSM extract and the BKG VG250 Gemeinde boundaries.  :func:`prepare_region`

1. downloads both into ``<data_dir>/downloads/`` (once; see below),
2. builds the Kreis polygon as the union of the Gemeinden whose AGS starts
   with the Kreis key and buffers it by ``buffer_km`` (in EPSG:25832),
3. clips the OSM extract to the buffered polygon, keeping every way that has
   at least one node inside *complete* (all its nodes), so roads that leave
   the buffer are not cut into dangling pieces,
4. writes ``<data_dir>/<slug>/<slug>.osm.pbf``, ``<data_dir>/<slug>/gemeinden.gpkg``
   and ``<data_dir>/<slug>/region.toml`` (a copy of the region file whose
   ``[inputs] network``/``boundaries`` point at the two files), so that
   ``erreichbarkeit analyse --config <data_dir>/<slug>/region.toml`` just works.

Download cache
--------------
A download is stored under its original file name in ``<data_dir>/downloads/``
together with a small ``<name>.meta.json`` (URL, size, HTTP ``Last-Modified``).
A later call reuses the file without any network request when the file exists
and its size equals the recorded size (downloads are written to a temporary
file and renamed only when complete, so an existing file is never partial).
A file a user put there by hand (no ``.meta.json``) is reused as it is.  To
fetch a newer extract, delete the file.

Clipping
--------
The ``osmium`` command-line tool (Debian/Ubuntu package ``osmium-tool``) is
used when it is on ``PATH`` (``osmium extract --strategy complete_ways``); it
is fast and memory-lean.  Otherwise a two-pass pyosmium fallback gives the
same set of ways (see :func:`clip_extract`); it is slower on large extracts
(minutes for a Regierungsbezirk) because every node location passes through
Python once.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import shutil
import subprocess
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import ags_from_key
from erreichbarkeit._version import __version__
from erreichbarkeit.config import METRIC_CRS, WGS84, ProgressCallback, RegionSource, Settings
from erreichbarkeit.errors import ConfigError, InputDataError, NetworkError

__all__ = [
    "PreparedRegion",
    "area_polygon",
    "clip_extract",
    "load_gemeinden",
    "prepare_region",
    "region_files",
    "region_slug",
    "resolve_region",
]

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 1 << 20  # 1 MiB per read while downloading
_NODE_CHUNK = 200_000  # node locations tested against the polygon at once
_MAX_RELATION_DEPTH = 5  # extra passes over relations for parents
_SIMPLIFY_M = 25.0  # the clip polygon is simplified by this much (metres)
_HTML_PREFIXES = (b"<!doctype", b"<html", b"<?xml version", b"<head", b"<body")
_NETWORK_FILE = "{slug}.osm.pbf"
_GEMEINDEN_FILE = "gemeinden.gpkg"
_REGION_FILE = "region.toml"

ClipMethod = Literal["auto", "osmium", "python"]


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
    """

    folder: Path
    network: Path
    boundaries: Path | None
    region_file: Path
    kreis_polygon_wkt_4326: str


# ---------------------------------------------------------------------------
# region files
# ---------------------------------------------------------------------------
def region_files() -> dict[str, Path]:
    """Return the built-in region files by name.

    Returns
    -------
    dict[str, Path]
        ``{"coesfeld": Path(".../regions/coesfeld.toml"), ...}``, sorted by name.
    """
    folder = resources.files("erreichbarkeit.prepare").joinpath("regions")
    # The package is installed on disk (wheel or editable), never zipped, so
    # the traversable is a real folder.
    root = Path(str(folder))
    if not root.is_dir():
        return {}
    return {p.stem: p for p in sorted(root.glob("*.toml"))}


def _region_kreis_and_name(path: Path) -> tuple[str | None, str | None]:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, None
    region = raw.get("region", {}) if isinstance(raw.get("region"), dict) else {}
    source = raw.get("source", {}) if isinstance(raw.get("source"), dict) else {}
    kreis = source.get("kreis", region.get("kreis"))
    name = region.get("name")
    return (str(kreis) if kreis else None), (str(name) if name else None)


def resolve_region(name_or_path: str | Path) -> Path:
    """Find a region file by built-in name, Kreis key, region name or path.

    Parameters
    ----------
    name_or_path
        ``"hochsauerlandkreis"`` (built-in file name), ``"05958"`` (Kreis key),
        ``"Kreis Coesfeld"`` (the ``[region] name``), or the path of a ``.toml``.

    Returns
    -------
    Path
        The region file.

    Raises
    ------
    ConfigError
        If the path does not exist or the name is unknown; the message lists
        the built-in regions.
    """
    text = str(name_or_path).strip()
    as_path = Path(text).expanduser()
    if as_path.is_file():
        return as_path
    builtin = region_files()
    if text.lower().endswith(".toml") or "/" in text or "\\" in text:
        msg = "region file not found"
        raise ConfigError(msg, file=as_path, message_de="Regionsdatei nicht gefunden")
    key = text.lower()
    if key in builtin:
        return builtin[key]
    for path in builtin.values():
        kreis, name = _region_kreis_and_name(path)
        if text == kreis or (name is not None and key == name.lower()):
            return path
    known = []
    for stem, path in builtin.items():
        kreis, name = _region_kreis_and_name(path)
        known.append(f"{stem} ({kreis} {name})")
    listing = ", ".join(known) or "none"
    msg = f"unknown region {text!r}"
    raise ConfigError(
        msg,
        expected=f"one of {listing}, or the path of a region .toml file",
        message_de=(
            f"Unbekannte Region „{text}“. Eingebaut sind: {listing}. "
            "Alternativ den Pfad einer eigenen Regionsdatei (.toml) angeben."
        ),
    )


def _slugify(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug or "region"


def region_slug(region_file: Path, settings: Settings) -> str:
    """Folder/file name of a prepared region.

    The file stem of the region file (``hochsauerlandkreis``), or, for a file
    called ``region.toml``, the region name transliterated
    (``"Landkreis Göttingen"`` → ``landkreis-goettingen``).
    """
    stem = region_file.name.removesuffix(".toml")
    if stem.lower() != "region":
        return _slugify(stem)
    return _slugify(settings.name)


# ---------------------------------------------------------------------------
# downloads
# ---------------------------------------------------------------------------
def _is_url(text: str) -> bool:
    return urllib.parse.urlsplit(text).scheme.lower() in ("http", "https", "ftp", "file")


def _url_file_name(url: str) -> str:
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    return name or "download"


def _user_agent() -> str:
    return f"erreichbarkeit/{__version__} (Python-urllib)"


def _cached(target: Path, url: str) -> bool:
    if not target.is_file() or target.stat().st_size == 0:
        return False
    meta_path = target.with_name(target.name + ".meta.json")
    if not meta_path.is_file():
        logger.info("using %s (placed by hand, no download record)", target)
        return True
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return bool(meta.get("url") == url and meta.get("bytes") == target.stat().st_size)


def _download(
    url: str,
    target: Path,
    *,
    label: str,
    validate: Callable[[Path, str], None],
    progress: ProgressCallback | None,
    timeout_s: float,
) -> Path:
    """Stream ``url`` into ``target`` (atomic), validate it, record a meta file."""
    if _cached(target, url):
        logger.info("cached download %s", target)
        return target
    logger.info("downloading %s -> %s", url, target)
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    error_de = "Download fehlgeschlagen"
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout_s) as response,
            atomic_path(target) as tmp,
        ):
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            with tmp.open("wb") as fh:
                while chunk := response.read(_CHUNK_BYTES):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(label, done, total)
            if total and done != total:
                msg = f"download of {url} was cut off after {done} of {total} bytes"
                raise InputDataError(
                    msg,
                    file=target,
                    message_de=f"{error_de}: nach {done} von {total} Bytes abgebrochen ({url})",
                )
            try:
                validate(tmp, url)
            except InputDataError as exc:  # name the final file, not the temporary one
                exc.file = str(target)
                exc.args = (exc._format(exc.message, exc.expected, "expected"),)
                raise
            last_modified = response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        msg = f"download failed: HTTP {exc.code} {exc.reason} for {url}"
        raise InputDataError(
            msg,
            file=target,
            message_de=(
                f"{error_de}: Der Server antwortete mit HTTP {exc.code} ({exc.reason}) "
                f"für {url}. Stimmt die Adresse in der Regionsdatei?"
            ),
        ) from exc
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        msg = f"download failed: {reason} ({url})"
        raise InputDataError(
            msg,
            file=target,
            message_de=(
                f"{error_de}: {reason} ({url}). Ohne Internet die Datei von Hand "
                f"herunterladen und nach {target} legen (oder mit --extract/--boundaries angeben)."
            ),
        ) from exc
    meta = {
        "url": url,
        "bytes": target.stat().st_size,
        "last_modified": last_modified,
        "downloaded": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    meta_path = target.with_name(target.name + ".meta.json")
    with atomic_path(meta_path) as tmp_meta:
        tmp_meta.write_text(json.dumps(meta, indent=2), "utf-8")
    return target


def _looks_like_html(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(512).lstrip().lower()
    return head.startswith(_HTML_PREFIXES) and b"<osm" not in head


def _validate_osm(path: Path, source: str) -> None:
    """Raise :class:`NetworkError` unless ``path`` is a readable OSM file."""
    if path.name.endswith(".pbf") and _looks_like_html(path):
        msg = f"{source} returned a web page, not an OSM PBF file"
        raise NetworkError(
            msg,
            file=path,
            expected="an .osm.pbf extract (e.g. from download.geofabrik.de)",
            message_de=(
                f"Statt eines OSM-Extrakts kam eine Webseite zurück ({source}). "
                "Adresse prüfen oder die Datei von Hand herunterladen."
            ),
        )
    try:
        # Reading the header is enough to detect a
        # truncated or foreign file without decoding the whole extract.
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            reader.header()
        finally:
            reader.close()
    except RuntimeError as exc:
        msg = f"not a readable OSM file: {exc}"
        raise NetworkError(
            msg,
            file=path,
            expected="an OSM file (.osm.pbf, .osm, .osm.bz2, .osm.gz)",
            message_de=f"Die Datei ist keine lesbare OSM-Datei ({source}): {exc}",
        ) from exc


def _validate_boundaries(path: Path, source: str) -> None:
    if _looks_like_html(path):
        msg = f"{source} returned a web page, not a boundary file"
        raise InputDataError(
            msg,
            file=path,
            expected="BKG VG250 GeoPackage zip",
            message_de=(
                f"Statt der Gemeindegrenzen kam eine Webseite zurück ({source}). "
                "Adresse prüfen oder die Datei von Hand herunterladen."
            ),
        )
    ogr = _ogr_path(path)  # raises on an unreadable zip / no vector member
    try:
        pyogrio.list_layers(ogr)
    except Exception as exc:
        msg = f"not a readable boundary file: {exc}"
        raise InputDataError(
            msg,
            file=path,
            message_de=f"Die Gemeindegrenzen sind nicht lesbar ({source}): {exc}",
        ) from exc


def _offline_check(wanted: list[tuple[str, str]], *, region_file: Path, downloads: Path) -> None:
    """In offline mode, raise one error naming every file that must be downloaded."""
    missing = [
        (url, option)
        for url, option in wanted
        if _is_url(url) and not _cached(downloads / _url_file_name(url), url)
    ]
    if not missing:
        return
    en = "; ".join(f"{url} (or pass {option} FILE)" for url, option in missing)
    de = " ".join(
        f"„{url}“ herunterladen und als {downloads / _url_file_name(url)} speichern "
        f"(oder mit {option} DATEI angeben)."
        for url, option in missing
    )
    msg = f"offline mode: download into {downloads} first: {en}"
    raise ConfigError(
        msg,
        file=region_file,
        expected=", ".join(str(downloads / _url_file_name(u)) for u, _ in missing),
        message_de=f"Offline-Modus, es fehlen Dateien. Bitte {de}",
    )


def _fetch(
    url_or_path: str,
    *,
    region_file: Path,
    downloads: Path,
    label: str,
    validate: Callable[[Path, str], None],
    offline: bool,
    progress: ProgressCallback | None,
    timeout_s: float,
    option: str,
) -> Path:
    """Return a local file for a source URL (downloading it unless cached)."""
    if not _is_url(url_or_path):
        local = Path(url_or_path).expanduser()
        if not local.is_absolute():
            local = region_file.parent / local
        if not local.is_file():
            msg = f"source file {local} not found"
            raise ConfigError(msg, file=region_file, message_de=f"Datei {local} nicht gefunden")
        return local
    target = downloads / _url_file_name(url_or_path)
    if offline:
        if _cached(target, url_or_path):
            return target
        msg = (
            f"offline mode and {target.name} is not downloaded yet: download {url_or_path} "
            f"into {downloads} or pass it with {option}"
        )
        raise ConfigError(
            msg,
            file=region_file,
            expected=f"{target} or {option} FILE",
            message_de=(
                f"Offline-Modus, aber {target.name} fehlt. Bitte {url_or_path} herunterladen "
                f"und nach {downloads} legen (Dateiname {target.name}) oder mit {option} "
                "angeben."
            ),
        )
    return _download(
        url_or_path,
        target,
        label=label,
        validate=validate,
        progress=progress,
        timeout_s=timeout_s,
    )


# ---------------------------------------------------------------------------
# boundaries
# ---------------------------------------------------------------------------
def _ogr_path(path: Path) -> str:
    """A path GDAL can open: ``/vsizip/`` plus the vector member for zips."""
    if not zipfile.is_zipfile(path):
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        msg = f"broken zip file: {exc}"
        raise InputDataError(msg, file=path, message_de=f"Defekte ZIP-Datei: {exc}") from exc
    for suffix in (".gpkg", ".shp", ".geojson", ".json"):
        members = [n for n in names if n.lower().endswith(suffix)]
        if members:
            # VG250 zips hold one GeoPackage; shapefile zips one file per level.
            gem = [m for m in members if "gem" in Path(m).name.lower()]
            member = (gem or members)[0]
            return f"/vsizip/{path.resolve()}/{member}"
    msg = "zip file holds no GeoPackage, shapefile or GeoJSON"
    raise InputDataError(
        msg,
        file=path,
        expected="VG250 GeoPackage zip",
        message_de="Die ZIP-Datei enthält keine Geodaten (GeoPackage, Shapefile, GeoJSON)",
    )


def _pick_layer(ogr_path: str, file: Path) -> str | None:
    layers = [str(name) for name, _ in pyogrio.list_layers(ogr_path)]
    if len(layers) <= 1:
        return layers[0] if layers else None
    lower = {name.lower(): name for name in layers}
    if "vg250_gem" in lower:
        return lower["vg250_gem"]
    gem = [name for name in layers if "gem" in name.lower()]
    if len(gem) == 1:
        return gem[0]
    msg = f"cannot tell which layer holds the Gemeinden: {', '.join(layers)}"
    raise InputDataError(
        msg,
        file=file,
        expected="a layer named vg250_gem or gemeinden",
        message_de=f"Unklar, welche Ebene die Gemeinden enthält: {', '.join(layers)}",
    )


def _find_column(columns: pd.Index, candidates: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): str(c) for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def load_gemeinden(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read Gemeinde polygons from VG250 or a file of the same kind.

    Accepts the BKG VG250 GeoPackage zip (layer ``vg250_gem``, columns ``AGS``,
    ``GEN``, ``EWZ``; only ``GF == 4`` land areas are kept), a zip holding a
    shapefile, or any GeoPackage/GeoJSON/shapefile with an ``AGS`` column (or a
    12-digit ``ARS``, from which the AGS is derived) and optionally a name
    (``GEN``, ``name``, ``gemeinde``) and population (``EWZ``, ``population``,
    ``ewz_zensus2022``, ``einwohner``) column.

    Parameters
    ----------
    path
        The boundary file.
    layer
        Layer name; detected when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ags`` (8-character str), ``gemeinde``, ``population`` (float, NaN when
        unknown), geometry, in EPSG:4326, one row per AGS.

    Raises
    ------
    InputDataError
        If the file is unreadable, has no CRS, or lacks an AGS/ARS column.
    """
    file = Path(path)
    ogr = _ogr_path(file)
    try:
        chosen = layer or _pick_layer(ogr, file)
        gdf = gpd.read_file(ogr, layer=chosen, engine="pyogrio")
    except InputDataError:
        raise
    except Exception as exc:
        msg = f"cannot read boundary file: {exc}"
        raise InputDataError(
            msg, file=file, message_de=f"Gemeindegrenzen nicht lesbar: {exc}"
        ) from exc
    if gdf.crs is None:
        msg = "boundary file has no coordinate reference system"
        raise InputDataError(
            msg,
            file=file,
            expected="a CRS such as EPSG:25832",
            message_de="Die Gemeindegrenzen haben kein Koordinatensystem",
        )
    gf = _find_column(gdf.columns, ("gf",))
    if gf is not None:
        # VG250: GF 4 = land area with structure; GF 2 = water (Bodensee, coast)
        gdf = gdf[pd.to_numeric(gdf[gf], errors="coerce") == 4]
    ags_col = _find_column(gdf.columns, ("ags", "ags_0", "gemeindeschluessel"))
    if ags_col is not None:
        ags = gdf[ags_col].astype(str).str.strip().str.zfill(8)
    else:
        ars_col = _find_column(gdf.columns, ("ars", "rs"))
        if ars_col is None:
            msg = "no AGS or ARS column in the boundary file"
            raise InputDataError(
                msg,
                file=file,
                column="AGS",
                expected="an 8-digit AGS or a 12-digit ARS column",
                message_de="Die Gemeindegrenzen haben keine Spalte AGS (oder ARS)",
            )
        ags = gdf[ars_col].map(ags_from_key)
    name_col = _find_column(gdf.columns, ("gen", "gemeinde", "name"))
    pop_col = _find_column(gdf.columns, ("ewz", "population", "ewz_zensus2022", "einwohner"))
    out = gpd.GeoDataFrame(
        {
            "ags": ags.to_numpy(),
            "gemeinde": (
                gdf[name_col].fillna("gemeindefreies Gebiet").astype(str).to_numpy()
                if name_col
                else np.full(len(gdf), "", dtype=object)
            ),
            "population": (
                pd.to_numeric(gdf[pop_col], errors="coerce").to_numpy(dtype=float)
                if pop_col
                else np.full(len(gdf), np.nan)
            ),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    if out["ags"].duplicated().any():
        out = out.dissolve(by="ags", aggfunc={"gemeinde": "first", "population": "max"})
        out = out.reset_index()
    out = out.to_crs(WGS84)
    return out.reset_index(drop=True)


def area_polygon(
    gemeinden: gpd.GeoDataFrame, key: str, *, buffer_km: float = 0.0
) -> tuple[BaseGeometry, BaseGeometry]:
    """Union of the Gemeinden whose AGS starts with ``key``, and its buffer.

    Parameters
    ----------
    gemeinden
        Output of :func:`load_gemeinden` (any CRS).
    key
        AGS prefix: a 5-digit Kreis key, or a full 8-digit AGS for one Gemeinde.
    buffer_km
        Buffer in kilometres, computed in EPSG:25832.

    Returns
    -------
    tuple[BaseGeometry, BaseGeometry]
        ``(area, buffered)`` in EPSG:4326; ``buffered`` is simplified by 25 m
        (it only decides which roads are kept).

    Raises
    ------
    InputDataError
        If no Gemeinde matches ``key``.
    """
    hits = gemeinden[gemeinden["ags"].astype(str).str.startswith(key)]
    if hits.empty:
        msg = f"no Gemeinde with an AGS starting with {key!r} in the boundary file"
        raise InputDataError(
            msg,
            column="ags",
            expected=f"AGS values starting with {key}",
            message_de=(
                f"Keine Gemeinde mit Schlüssel {key}… in den Gemeindegrenzen – "
                "stimmt der Kreisschlüssel?"
            ),
        )
    metric = hits.to_crs(METRIC_CRS)
    area = shapely.union_all(shapely.make_valid(metric.geometry.to_numpy()))
    buffered = area.buffer(buffer_km * 1000.0) if buffer_km > 0 else area
    buffered = shapely.simplify(buffered, _SIMPLIFY_M)
    both = gpd.GeoSeries([area, buffered], crs=METRIC_CRS).to_crs(WGS84)
    return both.iloc[0], both.iloc[1]


# ---------------------------------------------------------------------------
# clipping
# ---------------------------------------------------------------------------
def _iter_node_chunks(src: Path) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    ids: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    for obj in osmium.FileProcessor(str(src), osmium.osm.NODE):
        node = cast(osmium.osm.Node, obj)
        loc = node.location
        if not loc.valid():
            continue
        ids.append(node.id)
        xs.append(loc.x)
        ys.append(loc.y)
        if len(ids) >= _NODE_CHUNK:
            yield np.asarray(ids), np.asarray(xs) / 1e7, np.asarray(ys) / 1e7
            ids, xs, ys = [], [], []
    if ids:
        yield np.asarray(ids), np.asarray(xs) / 1e7, np.asarray(ys) / 1e7


def _clip_python(src: Path, dst: Path, polygon: BaseGeometry) -> None:
    """Two-pass pyosmium clip with the ``complete_ways`` semantics of osmium extract.

    Pass 1 marks nodes inside the polygon (vectorised ``shapely.contains_xy``
    on chunks), ways with a node inside (and all their nodes: complete ways),
    and relations with a member node inside or a member way or relation
    already marked.  Pass 2 copies the marked objects.  As with ``osmium
    extract --strategy complete_ways``, relations are not completed; parent
    relations of kept relations are kept (up to 5 levels).
    """
    shapely.prepare(polygon)
    # `hits`: nodes inside, kept ways, kept relations - decides about ways and
    # relations.  `keep`: everything to write (adds the outside nodes of kept
    # ways).  IdTracker holds ids in libosmium's compact C++ id sets.
    hits = osmium.IdTracker()
    keep = osmium.IdTracker()
    for ids, lons, lats in _iter_node_chunks(src):
        for node_id in ids[shapely.contains_xy(polygon, lons, lats)].tolist():
            hits.add_node(node_id)
            keep.add_node(node_id)
    for obj in osmium.FileProcessor(str(src), osmium.osm.WAY | osmium.osm.RELATION):
        if not hits.contains_any_references(obj):
            continue
        if isinstance(obj, osmium.osm.Way):
            hits.add_way(obj.id)
            keep.add_way(obj.id)
            keep.add_references(obj)
        else:
            hits.add_relation(obj.id)
            keep.add_relation(obj.id)
    # Parent relations may come before their children: repeat over the
    # (few) relations until no new parent is found.
    kept_rels = hits.relation_ids()  # a live view of the tracker's relation set
    for _ in range(_MAX_RELATION_DEPTH):
        added = 0
        for rel in osmium.FileProcessor(str(src), osmium.osm.RELATION):
            if rel.id not in kept_rels and hits.contains_any_references(rel):
                hits.add_relation(rel.id)
                keep.add_relation(rel.id)
                added += 1
        if not added:
            break
    with atomic_path(dst) as tmp, osmium.SimpleWriter(str(tmp)) as writer:
        for obj in osmium.FileProcessor(str(src)).with_filter(keep.id_filter()):
            writer.add(obj)


def _clip_osmium_cli(src: Path, dst: Path, polygon: BaseGeometry, exe: str) -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": json.loads(shapely.to_geojson(polygon)),
    }
    with tempfile.TemporaryDirectory(prefix="erreichbarkeit-clip-") as tmpdir:
        poly_file = Path(tmpdir) / "polygon.geojson"
        poly_file.write_text(json.dumps(feature), "utf-8")
        with atomic_path(dst) as tmp:
            cmd = [
                exe,
                "extract",
                "--polygon",
                str(poly_file),
                "--strategy",
                "complete_ways",
                "--overwrite",
                "--no-progress",
                "--output",
                str(tmp),
                str(src),
            ]
            logger.info("running %s", " ".join(cmd))
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                msg = f"osmium extract failed: {result.stderr.strip()}"
                raise NetworkError(
                    msg,
                    file=src,
                    message_de=f"Zuschneiden mit osmium fehlgeschlagen: {result.stderr.strip()}",
                )


def clip_extract(
    src: str | Path,
    dst: str | Path,
    polygon: BaseGeometry,
    *,
    method: ClipMethod = "auto",
) -> Path:
    """Clip an OSM file to a polygon, keeping ways that touch it complete.

    Parameters
    ----------
    src
        OSM file (``.osm.pbf``; for the Python method it should be sorted by
        type and id, as Geofabrik extracts are).
    dst
        Output file; the format follows its suffix (``.osm.pbf``).  Written atomically.
    polygon
        Polygon or MultiPolygon in EPSG:4326.
    method
        ``"osmium"`` uses the osmium command-line tool, ``"python"`` the pyosmium
        fallback, ``"auto"`` the tool when it is on ``PATH``.

    Returns
    -------
    Path
        ``dst``.

    Raises
    ------
    NetworkError
        If the input is unreadable or the tool fails.
    ConfigError
        If ``method="osmium"`` but the tool is not installed.
    """
    src, dst = Path(src), Path(dst)
    exe = shutil.which("osmium")
    if method == "osmium" and exe is None:
        msg = "the osmium command-line tool is not installed"
        raise ConfigError(
            msg,
            expected="osmium-tool on PATH",
            message_de="Das Programm osmium (Paket osmium-tool) ist nicht installiert",
        )
    if method != "python" and exe is not None:
        _clip_osmium_cli(src, dst, polygon, exe)
        return dst
    try:
        _clip_python(src, dst, polygon)
    except RuntimeError as exc:
        msg = f"cannot clip OSM file: {exc}"
        raise NetworkError(
            msg, file=src, message_de=f"OSM-Datei kann nicht zugeschnitten werden: {exc}"
        ) from exc
    return dst


def _count_highways(path: Path) -> int:
    return sum(
        1
        for _ in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
    )


def _warn_if_outside_extract(src: Path, polygon: BaseGeometry) -> None:
    try:
        box = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING)
        header_box = box.header().box()
        box.close()
    except RuntimeError:
        return
    if not header_box.valid():
        return
    minx, miny, maxx, maxy = polygon.bounds
    bl, tr = header_box.bottom_left, header_box.top_right
    if minx < bl.lon or miny < bl.lat or maxx > tr.lon or maxy > tr.lat:
        logger.warning(
            "the buffered Kreis reaches beyond the OSM extract %s; roads and offers "
            "outside the extract are missing",
            src.name,
        )


# ---------------------------------------------------------------------------
# region.toml
# ---------------------------------------------------------------------------
_SECTION = re.compile(r"^\s*\[+([^\]]+)\]+\s*(#.*)?$")


def _rewrite_inputs(text: str, values: dict[str, str]) -> str:
    """Set ``key = "value"`` lines inside ``[inputs]``, keeping all comments.

    The standard library reads but cannot write TOML; a line edit keeps the
    planner's comments, which a re-serialisation would lose.
    """
    lines = text.splitlines()
    start = None
    end = len(lines)
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if match is None:
            continue
        if start is None and match.group(1).strip() == "inputs":
            start = i
        elif start is not None:
            end = i
            break
    rendered = {k: f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()}
    if start is None:
        return text.rstrip("\n") + "\n\n[inputs]\n" + "\n".join(rendered.values()) + "\n"
    done: set[str] = set()
    for i in range(start + 1, end):
        for key, line in rendered.items():
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
                lines[i] = line
                done.add(key)
    missing = [rendered[k] for k in rendered if k not in done]
    lines[start + 1 : start + 1] = missing
    return "\n".join(lines) + "\n"


def _write_region_file(source_file: Path, target: Path, network: Path, boundaries: Path) -> None:
    text = source_file.read_text("utf-8")
    header = (
        f"# Erzeugt von `erreichbarkeit prepare` aus {source_file.name} "
        f"({datetime.now(UTC).date().isoformat()}).\n"
        f"# Generated by `erreichbarkeit prepare` from {source_file.name}.\n"
    )
    new = header + _rewrite_inputs(text, {"network": network.name, "boundaries": boundaries.name})
    with atomic_path(target) as tmp:
        tmp.write_text(new, "utf-8")
        check = Settings.from_toml(tmp)
        if check.network != tmp.parent / network.name:
            msg = "generated region file does not point at the clipped network"
            raise ConfigError(msg, file=source_file)
    # Other relative paths (own offer lists, villages …) now resolve against
    # the new folder; say so instead of silently pointing at nothing.
    original = Settings.from_toml(source_file)
    paths = [check.villages, check.population, check.categories_file]
    paths += [Path(o) for o in check.offers if o != "osm"]
    before = [original.villages, original.population, original.categories_file]
    before += [Path(o) for o in original.offers if o != "osm"]
    for new_path, old_path in zip(paths, before, strict=True):
        if new_path is not None and not new_path.exists() and old_path is not None:
            logger.warning(
                "%s: %s does not exist (it was %s relative to %s); copy it there or "
                "use an absolute path",
                target,
                new_path,
                old_path,
                source_file.name,
            )


# ---------------------------------------------------------------------------
# main entry
# ---------------------------------------------------------------------------
def prepare_region(
    region: str | Path,
    *,
    data_dir: Path,
    extract: Path | None = None,
    boundaries: Path | None = None,
    offline: bool = False,
    progress: ProgressCallback | None = None,
    timeout_s: float = 60,
) -> PreparedRegion:
    """Download (once) and clip a Kreis's OSM data and Gemeinde boundaries.

    Parameters
    ----------
    region
        Built-in region name, Kreis key or region file path (see :func:`resolve_region`).
    data_dir
        Root folder: downloads go to ``data_dir/downloads/``, results to
        ``data_dir/<slug>/``.
    extract
        A local OSM extract to use instead of downloading ``[source] extract_url``.
    boundaries
        A local boundary file (VG250 zip/GeoPackage or any file with AGS) to use
        instead of downloading ``[source] boundaries_url``.
    offline
        Never download; use local or already downloaded files, otherwise raise.
    progress
        ``progress(step, done, total)``; downloads report bytes (``total`` = 0
        when the server does not send a size), the other steps ``(i, 4)``.
    timeout_s
        Network timeout per connection/read in seconds.

    Returns
    -------
    PreparedRegion
        Paths of the written files and the Kreis outline.

    Raises
    ------
    ConfigError
        Unknown region, a region file without ``[source]``/boundaries, or
        offline mode with missing files (the message says what to download
        and where to put it).
    InputDataError
        A download failed ("Download fehlgeschlagen: …") or a file is unreadable;
        :class:`NetworkError` for a corrupt OSM file or an empty clip.
    """
    region_file = resolve_region(region)
    settings = Settings.from_toml(region_file)
    source: RegionSource | None = settings.source
    if source is None:
        msg = "region file has no [source] section (kreis, extract_url)"
        raise ConfigError(
            msg,
            file=region_file,
            column="source",
            expected='[source] kreis = "05958", extract_url = "https://…"',
            message_de="Der Regionsdatei fehlt der Abschnitt [source] (kreis, extract_url)",
        )
    data_dir = Path(data_dir)
    downloads = data_dir / "downloads"
    slug = region_slug(region_file, settings)
    folder = data_dir / slug

    def step(name: str, i: int) -> None:
        if progress is not None:
            progress(name, i, 4)

    if offline:
        wanted = [] if extract is not None else [(source.extract_url, "--extract")]
        if boundaries is None and source.boundaries_url is not None:
            wanted.append((source.boundaries_url, "--boundaries"))
        _offline_check(wanted, region_file=region_file, downloads=downloads)

    if extract is not None:
        osm_file = Path(extract)
        if not osm_file.is_file():
            msg = "OSM extract not found"
            raise ConfigError(msg, file=osm_file, message_de="OSM-Extrakt nicht gefunden")
        _validate_osm(osm_file, str(osm_file))
    else:
        osm_file = _fetch(
            source.extract_url,
            region_file=region_file,
            downloads=downloads,
            label="Download OSM-Extrakt",
            validate=_validate_osm,
            offline=offline,
            progress=progress,
            timeout_s=timeout_s,
            option="--extract",
        )
        _validate_osm(osm_file, source.extract_url)  # cheap; catches hand-placed junk

    if boundaries is not None:
        bnd_file = Path(boundaries)
        if not bnd_file.is_file():
            msg = "boundary file not found"
            raise ConfigError(msg, file=bnd_file, message_de="Gemeindegrenzen nicht gefunden")
    elif source.boundaries_url is not None:
        bnd_file = _fetch(
            source.boundaries_url,
            region_file=region_file,
            downloads=downloads,
            label="Download Gemeindegrenzen",
            validate=_validate_boundaries,
            offline=offline,
            progress=progress,
            timeout_s=timeout_s,
            option="--boundaries",
        )
    else:
        msg = "no Gemeinde boundaries: set [source] boundaries_url or pass a boundary file"
        raise ConfigError(
            msg,
            file=region_file,
            column="source.boundaries_url",
            expected="the BKG VG250 GeoPackage URL or --boundaries FILE",
            message_de=(
                "Keine Gemeindegrenzen: [source] boundaries_url eintragen oder "
                "--boundaries DATEI angeben"
            ),
        )

    step("Kreisgrenze", 1)
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

    step("OSM zuschneiden", 2)
    _warn_if_outside_extract(osm_file, clip_area)
    network = folder / _NETWORK_FILE.format(slug=slug)
    clip_extract(osm_file, network, clip_area)
    n_roads = _count_highways(network)
    if n_roads == 0:
        network.unlink()
        msg = f"the OSM extract {osm_file.name} has no roads inside Kreis {source.kreis}"
        raise NetworkError(
            msg,
            file=osm_file,
            expected=f"an extract covering Kreis {source.kreis}",
            message_de=(
                f"Der OSM-Extrakt {osm_file.name} enthält keine Straßen im Kreis "
                f"{source.kreis} – passt der Extrakt zum Kreis?"
            ),
        )
    logger.info("clipped %s: %d highway ways", network, n_roads)

    step("Gemeinden schreiben", 3)
    gem_file = folder / _GEMEINDEN_FILE
    with atomic_path(gem_file) as tmp:
        near.to_file(tmp, layer="gemeinden", driver="GPKG", engine="pyogrio")

    region_out = folder / _REGION_FILE
    _write_region_file(region_file, region_out, network, gem_file)
    step("Fertig", 4)
    return PreparedRegion(
        folder=folder,
        network=network,
        boundaries=gem_file,
        region_file=region_out,
        kreis_polygon_wkt_4326=shapely.to_wkt(kreis_area, rounding_precision=6),
    )
