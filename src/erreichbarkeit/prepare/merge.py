"""Merge several OSM extracts into one file, and say what the merged road data covers.

A Kreis at a Land or Regierungsbezirk border needs more than one Geofabrik
extract: the Hochsauerlandkreis's 10 km buffer reaches into the
Regierungsbezirk Detmold and into Hessen.  :func:`merge_extracts` merges the
extracts (``[source] extract_url`` as a list, or several ``--extract``)
into ``<folder>/osm-merged-<hash>.osm.pbf`` before clipping (``prepare``:
``<data_dir>/downloads/<region>/``, a cache beside the downloads).  Objects in
the overlap of two extracts (ways crossing the border, their nodes, the
relations of both sides) are written once.  The result is cached by the
content hash of the inputs and written atomically; older merges in the
folder are deleted.

Tool choice: pyosmium (the ``osmium`` Python package) is a dependency and
always there, so its streaming k-way merge (:func:`_merge_python`) is the
reference; it keeps the newest version of an object found in several
extracts, which matters when the extracts were downloaded on different
days.  It passes every object through Python, though (about 60 000 objects
per second measured here: tens of minutes for several Länder).  When the
``osmium`` command-line tool (Debian package ``osmium-tool``, installed by
``.ci/run`` and already used for clipping) is on ``PATH``, ``osmium merge``
does the same in seconds.
``osmium merge`` keeps *every* version of an object, however, which is
wrong for extracts of different dates (its manual says so); its result is
therefore checked (``osmium fileinfo``: multiple versions?) and, if so,
replaced by the pyosmium merge.

The second half of the module answers "does the road data cover the
buffer?": :func:`uncovered_area` (pure geometry) and
:func:`road_data_notice` (the German sentence) are used here after
clipping (:func:`warn_uncovered`) and by the analysis
(:func:`erreichbarkeit.analysis.coverage.road_data_notices`).  They live in
this lower layer because ``prepare`` may not import ``analysis``.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._helpers import file_digest
from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import ConfigError, NetworkError
from erreichbarkeit.io.road_nodes import road_nodes
from erreichbarkeit.prepare.clip import validate_osm

__all__ = [
    "MERGED_PREFIX",
    "MergeMethod",
    "UncoveredArea",
    "merge_extracts",
    "road_data_notice",
    "uncovered_area",
    "warn_uncovered",
]

logger = logging.getLogger(__name__)

MergeMethod = Literal["auto", "osmium", "python"]

#: Start of the name of a merged extract (``osm-merged-<hash>.osm.pbf``).
MERGED_PREFIX = "osm-merged-"

#: Part of the cache key: a new merge logic invalidates old merges.
_MERGE_VERSION = "merge 1"

#: The order of object types in a sorted OSM file.
_TYPE_ORDER = {"n": 0, "w": 1, "r": 2}

#: A notice is given when at least this share of the surroundings has no road data.
MIN_UNCOVERED_SHARE = 0.02

#: A Gemeinde is named when less than this share of its part of the area is covered.
_GEMEINDE_COVERED = 0.9

#: A Gemeinde's uncovered part must be at least this large (m²) to name it (no slivers).
_MIN_GAP_M2 = 100_000.0

#: Gemeinden named in a notice at most (the rest are counted).
_MAX_NAMES = 8

#: Road-data coverage after clipping: squares of this side (metres) holding a
#: road node, gaps up to twice ``_CLOSE_M`` closed (as in ``analysis.coverage``).
_CELL_M = 1000.0
_CLOSE_M = 2500.0


# -- merging ------------------------------------------------------------------------------


def _merge_key(sources: Sequence[Path]) -> str:
    """SHA-256 (hex) of the inputs' contents (order-independent) and the merge version."""
    h = hashlib.sha256()
    for part in (*sorted(file_digest(s) for s in sources), _MERGE_VERSION):
        h.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        h.update(part.encode())
    return h.hexdigest()


def _not_sorted(path: Path) -> NetworkError:
    """The error for an input that is not sorted by type and id (or holds history)."""
    msg = f"{path.name} is not sorted by type and id (or holds several versions of an object)"
    return NetworkError(
        msg,
        file=path,
        expected="an extract sorted by type and id, as Geofabrik's are",
        message_de=(
            f"Der OSM-Extrakt {path.name} ist nicht nach Typ und ID sortiert (oder enthält "
            "mehrere Versionen eines Objekts). Bitte mit „osmium sort“ sortieren."
        ),
    )


def _keyed(path: Path) -> Iterator[tuple[tuple[int, bool, int, int], Any]]:
    """The objects of one file with their merge key ``(type, id > 0, |id|, -version)``.

    The order of ``(type, id > 0, |id|)`` is libosmium's (negative ids first);
    ``-version`` puts the newest version of an object first.
    """
    last: tuple[int, bool, int] | None = None
    try:
        for entity in osmium.FileProcessor(str(path)):
            obj = cast("osmium.osm.OSMObject[Any]", entity)  # nodes, ways, relations: no changesets
            head = (_TYPE_ORDER[obj.type_str()], obj.id > 0, abs(obj.id))
            if last is not None and head <= last:
                raise _not_sorted(path)
            last = head
            yield (*head, -obj.version), obj
    except RuntimeError as exc:
        msg = f"{path.name} is not a readable OSM file: {exc}"
        raise NetworkError(
            msg,
            file=path,
            message_de=f"Der OSM-Extrakt {path.name} ist nicht lesbar: {exc}",
        ) from exc


def _merge_python(sources: Sequence[Path], dst: Path) -> int:
    """Streaming k-way merge with pyosmium; each object once (its newest version).

    ``heapq.merge`` holds one current object per input and advances an input
    only after its object was written, so pyosmium's reused buffers are
    never read after they change.  Returns the number of objects written.
    """
    written = 0
    last: tuple[int, bool, int] | None = None
    with osmium.SimpleWriter(str(dst)) as writer:
        for key, obj in heapq.merge(*(_keyed(s) for s in sources), key=lambda kv: kv[0]):
            head = key[:3]
            if head == last:  # the same object from another extract (older or equal version)
                continue
            last = head
            writer.add(obj)
            written += 1
    return written


def _run(cmd: list[str], sources: Sequence[Path]) -> str:
    """Run an osmium command; raise :class:`NetworkError` naming the inputs when it fails."""
    logger.info("running %s", " ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        names = ", ".join(s.name for s in sources)
        err = result.stderr.strip()
        msg = f"osmium failed on {names}: {err}"
        raise NetworkError(
            msg,
            file=sources[0],
            message_de=(
                f"Zusammenführen der OSM-Extrakte ({names}) mit osmium fehlgeschlagen: {err}"
            ),
        )
    return result.stdout


def _merge_osmium_cli(sources: Sequence[Path], dst: Path, exe: str) -> bool:
    """``osmium merge``; ``False`` when the result holds several versions of an object."""
    merge = [exe, "merge", "--overwrite", "--no-progress", "-o", str(dst)]
    _run([*merge, *map(str, sources)], sources)
    check = [exe, "fileinfo", "--extended", "--get", "data.multiple_versions", str(dst)]
    return _run(check, sources).strip() != "yes"


def _drop_old_merges(keep: Path) -> None:
    """Delete the other merged extracts in the folder of ``keep``."""
    for path in keep.parent.glob(f"{MERGED_PREFIX}*.osm.pbf"):
        if path.name != keep.name:
            path.unlink(missing_ok=True)
            logger.info("removed old merged extract %s", path)


def merge_extracts(
    sources: Sequence[str | Path], folder: str | Path, *, method: MergeMethod = "auto"
) -> Path:
    """Merge sorted OSM extracts into ``folder/osm-merged-<hash>.osm.pbf`` (cached).

    Parameters
    ----------
    sources
        The extracts (``.osm.pbf``, or any format osmium reads), each sorted
        by type and id as Geofabrik's are.  One source is returned as it is.
    folder
        Where the merged file goes (``prepare``: ``<data_dir>/downloads/<region>/``);
        other merges there (of older downloads) are deleted.
    method
        ``"osmium"``: the osmium command-line tool (falls back to pyosmium
        when the extracts hold different versions of an object);
        ``"python"``: pyosmium only; ``"auto"``: the tool when it is on ``PATH``.

    Returns
    -------
    Path
        The merged file: every object of every input once, in its newest
        version, sorted.  A second call with the same inputs (by content)
        returns the file of the first without work.

    Raises
    ------
    NetworkError
        An input is unreadable, not sorted, or the tool fails (the German
        message names the file).
    ConfigError
        An input does not exist, or ``method="osmium"`` but the tool is not
        installed.
    """
    paths = [Path(s) for s in sources]
    if not paths:
        msg = "no OSM extract to merge"
        raise ConfigError(msg, message_de="Kein OSM-Extrakt angegeben")
    for path in paths:
        if not path.is_file():
            msg = f"OSM extract {path} not found"
            raise ConfigError(msg, file=path, message_de=f"OSM-Extrakt {path} nicht gefunden")
        validate_osm(path, str(path))
    if len(paths) == 1:
        return paths[0]
    target = Path(folder) / f"{MERGED_PREFIX}{_merge_key(paths)[:16]}.osm.pbf"
    if target.is_file() and target.stat().st_size > 0:
        logger.info("using the merged extract %s (same inputs)", target)
        return target
    exe = shutil.which("osmium")
    if method == "osmium" and exe is None:
        msg = "the osmium command-line tool is not installed"
        raise ConfigError(
            msg,
            expected="osmium-tool on PATH",
            message_de="Das Programm osmium (Paket osmium-tool) ist nicht installiert",
        )
    if exe is None or method == "python":
        logger.info("merging %d extracts with pyosmium; this takes a while", len(paths))
    with atomic_path(target) as tmp:
        done = method != "python" and exe is not None and _merge_osmium_cli(paths, tmp, exe)
        if not done:
            if tmp.exists():
                logger.info("the extracts are of different dates: merging with pyosmium")
                tmp.unlink()
            _merge_python(paths, tmp)
    _drop_old_merges(target)
    logger.info("merged %s into %s", ", ".join(p.name for p in paths), target)
    return target


# -- what the road data covers --------------------------------------------------------------


@dataclass(frozen=True)
class UncoveredArea:
    """The part of an area without road data.

    Attributes
    ----------
    share
        Uncovered share of the area (0…1).
    area_km2, uncovered_km2
        The area and its uncovered part in km².
    gemeinden
        Names of the Gemeinden with less than 90 % of their part of the area
        covered, the most uncovered first.
    """

    share: float
    area_km2: float
    uncovered_km2: float
    gemeinden: tuple[str, ...] = ()


def _to_metric(geom: BaseGeometry) -> BaseGeometry:
    """An EPSG:4326 geometry in EPSG:25832."""
    out: BaseGeometry = gpd.GeoSeries([geom], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    return out


def uncovered_area(
    area: BaseGeometry,
    covered: BaseGeometry | None,
    gemeinden: gpd.GeoDataFrame | None = None,
) -> UncoveredArea:
    """How much of ``area`` lies outside ``covered``, and in which Gemeinden.

    Parameters
    ----------
    area
        The area that should have road data (e.g. the Kreis's surroundings),
        EPSG:4326.
    covered
        The area the road data covers (EPSG:4326); ``None`` or empty: nothing.
    gemeinden
        Gemeinden (``gemeinde`` names, polygons; any CRS) to name.

    Returns
    -------
    UncoveredArea
        Shares and areas computed in EPSG:25832; a Gemeinde is named when
        less than 90 % of its part of ``area`` is covered (and at least 10 ha
        are not: no slivers along the edges).
    """
    area_m = shapely.make_valid(_to_metric(area))
    if covered is None or covered.is_empty:
        gap = area_m
    else:
        gap = shapely.difference(area_m, shapely.make_valid(_to_metric(covered)))
    total = float(area_m.area)
    missing = float(gap.area)
    names: tuple[str, ...] = ()
    if gemeinden is not None and len(gemeinden) and missing > 0:
        polys = gemeinden.to_crs(METRIC_CRS).geometry.make_valid().to_numpy()
        inside = shapely.area(shapely.intersection(polys, area_m))
        lacking = shapely.area(shapely.intersection(polys, gap))
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(inside > 0, lacking / inside, 0.0)
        named = np.flatnonzero((frac > 1.0 - _GEMEINDE_COVERED) & (lacking >= _MIN_GAP_M2))
        order = named[np.argsort(-lacking[named], kind="stable")]
        names = tuple(str(gemeinden["gemeinde"].iloc[i]) for i in order)
    return UncoveredArea(
        share=missing / total if total > 0 else 0.0,
        area_km2=total / 1e6,
        uncovered_km2=missing / 1e6,
        gemeinden=names,
    )


def road_data_notice(uncovered: UncoveredArea, *, min_share: float = MIN_UNCOVERED_SHARE) -> str:
    """The German notice for road data missing in the surroundings (``""``: none).

    Parameters
    ----------
    uncovered
        :func:`uncovered_area` of the Kreis's surroundings.
    min_share
        Smaller gaps (edges of the coverage estimate) give no notice.
    """
    if uncovered.share < min_share or uncovered.uncovered_km2 <= 0:
        return ""
    names = list(uncovered.gemeinden[:_MAX_NAMES])
    rest = len(uncovered.gemeinden) - len(names)
    if rest:
        names.append(f"{rest} weitere")
    which = f" (Gemeinden {', '.join(names)})" if names else ""
    percent = f"{uncovered.share * 100:.0f}"
    return (
        f"Straßendaten fehlen für {percent} % des Umlands{which}: Angebote dort und Wege "
        "dorthin fehlen in der Auswertung. Für grenzüberschreitende Wege weitere OSM-Extrakte "
        "in [source] extract_url angeben und „erreichbarkeit prepare“ erneut ausführen."
    )


def _road_cover(network: Path) -> BaseGeometry | None:
    """The area ``network``'s road nodes cover (EPSG:4326); ``None``: no roads.

    The same estimate as :func:`erreichbarkeit.analysis.coverage.network_coverage`
    (which ``prepare`` may not import): the 1 km squares holding a road node,
    gaps up to 5 km closed, holes filled; so ``prepare`` and the analysis
    report the same share.
    """
    lon, lat = road_nodes(network)
    if not len(lon):
        return None
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(METRIC_CRS)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    cells = np.unique(np.floor(xy / _CELL_M).astype(np.int64), axis=0) * _CELL_M
    squares = shapely.box(cells[:, 0], cells[:, 1], cells[:, 0] + _CELL_M, cells[:, 1] + _CELL_M)
    merged = shapely.coverage_union_all(squares)
    merged = merged.buffer(_CLOSE_M, join_style="mitre").buffer(-_CLOSE_M, join_style="mitre")
    filled = shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(merged)])
    out: BaseGeometry = gpd.GeoSeries([filled], crs=METRIC_CRS).to_crs(WGS84).iloc[0]
    return out


def warn_uncovered(
    network: Path,
    kreis_area: BaseGeometry,
    clip_area: BaseGeometry,
    gemeinden: gpd.GeoDataFrame,
) -> str:
    """After clipping: log a warning when the buffer reaches beyond the road data.

    Parameters
    ----------
    network
        The clipped network.
    kreis_area, clip_area
        The Kreis and the buffered Kreis (EPSG:4326).
    gemeinden
        The Gemeinden touching the buffer, with ``in_kreis`` (German land:
        the surroundings abroad, where no Gemeinde lies, do not count).

    Returns
    -------
    str
        The German notice (:func:`road_data_notice`), ``""`` when the road
        data covers the surroundings.
    """
    if gemeinden.empty:
        return ""
    land = shapely.union_all(gemeinden.to_crs(WGS84).geometry.make_valid().to_numpy())
    if "in_kreis" in gemeinden.columns:  # name the neighbours, not the Kreis's own Gemeinden
        gemeinden = gemeinden[~gemeinden["in_kreis"].astype(bool).to_numpy()]
    surroundings = shapely.intersection(shapely.difference(clip_area, kreis_area), land)
    if surroundings.is_empty:
        return ""
    uncovered = uncovered_area(surroundings, _road_cover(network), gemeinden)
    notice = road_data_notice(uncovered)
    if notice:
        logger.warning("%s", notice)
    return notice
