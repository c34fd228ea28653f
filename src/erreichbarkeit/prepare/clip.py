"""Clip an OSM extract to a polygon, keeping every way that touches it complete.

The ``osmium`` command-line tool (Debian/Ubuntu package ``osmium-tool``) is
used when it is on ``PATH`` (``osmium extract --strategy complete_ways``); it
is fast and memory-lean.  Otherwise a two-pass pyosmium fallback gives the
same set of ways (see :func:`clip_extract`); it is slower on large extracts
(minutes for a Regierungsbezirk) because every node location passes through
Python once.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, cast

import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.errors import ConfigError, NetworkError
from erreichbarkeit.prepare.download import looks_like_html

__all__ = [
    "ClipMethod",
    "clip_extract",
    "count_highways",
    "validate_osm",
]

logger = logging.getLogger(__name__)

_NODE_CHUNK = 200_000  # node locations tested against the polygon at once
_MAX_RELATION_DEPTH = 5  # extra passes over relations for parents

ClipMethod = Literal["auto", "osmium", "python"]


def validate_osm(path: Path, source: str) -> None:
    """Raise :class:`NetworkError` unless ``path`` is a readable OSM file.

    Parameters
    ----------
    path
        The (downloaded) file.
    source
        Where it came from (URL or path), for messages.
    """
    if path.name.endswith(".pbf") and looks_like_html(path):
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


def _iter_node_chunks(src: Path) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Node ids, longitudes and latitudes of ``src`` in chunks of 200 000."""
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


def _mark_nodes_inside(
    src: Path, polygon: BaseGeometry, hits: osmium.IdTracker, keep: osmium.IdTracker
) -> None:
    """Pass 1a: mark the nodes inside the polygon (vectorised per chunk)."""
    shapely.prepare(polygon)
    for ids, lons, lats in _iter_node_chunks(src):
        for node_id in ids[shapely.contains_xy(polygon, lons, lats)].tolist():
            hits.add_node(node_id)
            keep.add_node(node_id)


def _mark_ways_and_relations(src: Path, hits: osmium.IdTracker, keep: osmium.IdTracker) -> None:
    """Pass 1b: ways with a node inside (complete) and relations with a marked member."""
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


def _mark_parent_relations(src: Path, hits: osmium.IdTracker, keep: osmium.IdTracker) -> None:
    """Pass 1c: parents may come before their children, so repeat until none is new."""
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


def _clip_python(src: Path, dst: Path, polygon: BaseGeometry) -> None:
    """Two-pass pyosmium clip with the ``complete_ways`` semantics of osmium extract.

    Pass 1 marks nodes inside the polygon (vectorised ``shapely.contains_xy``
    on chunks), ways with a node inside (and all their nodes: complete ways),
    and relations with a member node inside or a member way or relation
    already marked.  Pass 2 copies the marked objects.  As with ``osmium
    extract --strategy complete_ways``, relations are not completed; parent
    relations of kept relations are kept (up to 5 levels).
    """
    # `hits`: nodes inside, kept ways, kept relations - decides about ways and
    # relations.  `keep`: everything to write (adds the outside nodes of kept
    # ways).  IdTracker holds ids in libosmium's compact C++ id sets.
    hits = osmium.IdTracker()
    keep = osmium.IdTracker()
    _mark_nodes_inside(src, polygon, hits, keep)
    _mark_ways_and_relations(src, hits, keep)
    _mark_parent_relations(src, hits, keep)
    with atomic_path(dst) as tmp, osmium.SimpleWriter(str(tmp)) as writer:
        for obj in osmium.FileProcessor(str(src)).with_filter(keep.id_filter()):
            writer.add(obj)


def _clip_osmium_cli(src: Path, dst: Path, polygon: BaseGeometry, exe: str) -> None:
    """Clip with ``osmium extract --strategy complete_ways``."""
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


def count_highways(path: Path) -> int:
    """Number of ways with a ``highway`` tag in an OSM file."""
    return sum(
        1
        for _ in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
    )
