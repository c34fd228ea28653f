"""OSRM preprocessing (cached on disk) and table queries.

The network package is the only one that imports :mod:`osrm` (PyPI
``osrm-bindings``); the Lua profiles are in :mod:`.profiles`.
We do not write a shortest-path engine: OSRM's contraction hierarchies (CH)
and multi-level Dijkstra (MLD) answer a 1000 × 1000 table in well under a
second on a county network, and OSRM with the standard OSM profiles is what
the Thünen accessibility model uses, so our minutes are comparable with the
published ones.

Preprocessing (``osrm-extract`` then ``osrm-contract`` for CH or
``osrm-partition`` + ``osrm-customize`` for MLD) runs in a subprocess through
the executables the wheel ships (``python -m osrm …``).  Its result is cached
in ``cache_dir/<network>-<mode>-<algorithm>-<key>/``, where ``key`` is a
SHA-256 digest of the input file's bytes, the profile text (with speed
overrides and the ferry waiting time), the algorithm and the OSRM version;
the folder is built beside its final name and renamed when complete, and a
manifest of file sizes lets a truncated or damaged cache entry be detected and
rebuilt.

A :class:`Router` also carries the mode's access speed (km/h of the leg
between a point and the network, ``settings.routing.access_speed``).  The
table answer stays OSRM's; :mod:`.matrix` and the grid routing add the
access legs after the query, so the prepared network (and its cache key) does
not depend on them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import osrm

from erreichbarkeit._atomic import atomic_dir
from erreichbarkeit._helpers import file_digest
from erreichbarkeit._schema import OSM_SUFFIXES
from erreichbarkeit.config import (
    DEFAULT_ACCESS_KMH,
    DEFAULT_FERRY_WAIT_MIN,
    ProgressCallback,
    Settings,
)
from erreichbarkeit.config.parallel import worker_cap
from erreichbarkeit.errors import NetworkError, RoutingError
from erreichbarkeit.network.profiles import profile_text

__all__ = [
    "PreparedNetwork",
    "Router",
    "RouterLike",
    "TableResult",
    "make_routers",
    "network_key",
    "prepare_network",
    "prepare_router",
]

logger = logging.getLogger(__name__)

_MANIFEST = "manifest.json"
_CACHE_LAYOUT_VERSION = "2"  # 2: manifest with checksums


def _osrm_version() -> str:
    try:
        return importlib.metadata.version("osrm-bindings")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - dev build
        return "unknown"


def network_key(osm_path: Path, mode: str, algorithm: str, profile: str) -> str:
    """Digest of everything a prepared network depends on.

    The input file's bytes, the full profile text (including speed
    overrides), the algorithm, the OSRM version and the cache layout version.
    """
    h = hashlib.sha256()
    for part in (
        _CACHE_LAYOUT_VERSION,
        _osrm_version(),
        mode,
        algorithm,
        profile,
        file_digest(osm_path),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def _osm_suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in OSM_SUFFIXES:
        if name.endswith(suffix):
            return ".osm.pbf" if suffix == ".pbf" else suffix
    msg = "not an OSM file name"
    raise NetworkError(
        msg,
        file=path,
        expected=", ".join(OSM_SUFFIXES),
        message_de="Keine OSM-Datei (erwartet: .osm.pbf, .osm, .osm.bz2, .osm.gz)",
    )


@dataclass(frozen=True)
class PreparedNetwork:
    """A network preprocessed by OSRM for one mode.

    Attributes
    ----------
    mode
        ``car``, ``bike`` or ``walk``.
    algorithm
        ``CH`` or ``MLD``.
    base
        The ``.osrm`` base path given to the engine.
    key
        Cache key (see :func:`network_key`).
    from_cache
        Whether the network was loaded from the cache.
    seconds
        Preprocessing time (0 when cached).
    """

    mode: str
    algorithm: str
    base: Path
    key: str
    from_cache: bool
    seconds: float


def _run_osrm(args: list[str], log_path: Path, what: str, source: Path) -> None:
    cmd = [sys.executable, "-m", "osrm", *args]
    logger.debug("running %s", " ".join(cmd))
    with log_path.open("ab") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log_path.read_text("utf-8", errors="replace").strip().splitlines()[-8:]
        errors = [line for line in tail if "[error]" in line] or tail[-3:]
        detail = " | ".join(errors)
        msg = f"OSRM {what} failed (exit {proc.returncode}): {detail}"
        raise NetworkError(
            msg,
            file=source,
            expected="a readable OSM file with a road network",
            message_de=f"OSRM-Vorverarbeitung ({what}) fehlgeschlagen: {detail}",
        )


def _normalise_output_names(folder: Path) -> None:
    """Rename OSRM's outputs to ``network.osrm.*``.

    osrm-extract derives the output base from the input name and strips only
    the extensions it knows (``x.osm.gz`` becomes ``x.gz.osrm``), so the
    names are fixed here once instead of guessed later.
    """
    for path in folder.iterdir():
        name = path.name
        if ".osrm" in name and not name.startswith("network.osrm"):
            path.rename(folder / ("network.osrm" + name.split(".osrm", 1)[1]))


def _checksum(path: Path) -> str:
    """BLAKE2b of a file (fast; detects damage, not tampering)."""
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest_ok(folder: Path) -> bool:
    """Whether a cache entry is complete and undamaged (sizes and checksums).

    A file truncated by a killed run, or changed on disk, makes the entry
    invalid; the caller then rebuilds it.  Checking about 50 MB (a county's
    foot network) takes a fraction of a second.
    """
    manifest = folder / _MANIFEST
    try:
        data = json.loads(manifest.read_text("utf-8"))
        files: dict[str, dict[str, Any]] = data["files"]
        expected = {name: (int(v["size"]), str(v["blake2b"])) for name, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("cache entry %s has no valid manifest; rebuilding", folder.name)
        return False
    for name, (size, digest) in expected.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or _checksum(path) != digest:
            logger.warning("cache entry %s is damaged (%s); rebuilding", folder.name, name)
            return False
    return True


def prepare_network(
    osm_path: str | Path,
    mode: str,
    *,
    cache_dir: str | Path,
    algorithm: str = "MLD",
    speeds: Mapping[str, float] | None = None,
    maxspeed: Mapping[str, float] | None = None,
    ferry_wait_min: float = DEFAULT_FERRY_WAIT_MIN,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedNetwork:
    """Preprocess an OSM file for one mode, or load it from the cache.

    Parameters
    ----------
    osm_path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz``.
    mode
        ``car``, ``bike`` or ``walk``.
    cache_dir
        Cache root.  Entries are folders named after the network, mode,
        algorithm and key.
    algorithm
        ``CH`` (contract) or ``MLD`` (partition + customize).
    speeds, maxspeed, ferry_wait_min
        Profile overrides, see :func:`profile_text`.
    threads
        Threads for the OSRM tools (default: all cores).
    progress
        Called as ``progress("Straßennetz vorbereiten (car)", done, total)``.

    Returns
    -------
    PreparedNetwork

    Raises
    ------
    NetworkError
        If the file is missing, not an OSM file, or OSRM cannot extract a
        routable network from it.
    RoutingError
        On an unknown mode or algorithm.
    """
    source = Path(osm_path)
    _check_source(source, algorithm)
    suffix = _osm_suffix(source)
    profile = profile_text(mode, speeds=speeds, maxspeed=maxspeed, ferry_wait_min=ferry_wait_min)
    key = network_key(source, mode, algorithm, profile)
    stem = source.name[: -len(suffix)] if source.name.lower().endswith(suffix) else source.stem
    folder = Path(cache_dir) / f"{stem}-{mode}-{algorithm.lower()}-{key}"
    base = folder / "network.osrm"
    step = f"Straßennetz vorbereiten ({mode})"
    if folder.is_dir() and _manifest_ok(folder):  # fast path, no lock needed
        logger.info("using cached %s network %s", mode, folder)
        if progress:
            progress(step, 1, 1)
        return PreparedNetwork(mode, algorithm, base, key, from_cache=True, seconds=0.0)
    # Several dashboard sessions (threads) or a CLI run may want the same
    # network at once: one builds it, the others wait and then use it.
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.with_name(f".{folder.name}.lock")):
        if folder.is_dir() and _manifest_ok(folder):
            logger.info("%s network %s was prepared meanwhile", mode, folder)
            if progress:
                progress(step, 1, 1)
            return PreparedNetwork(mode, algorithm, base, key, from_cache=True, seconds=0.0)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        return _build(
            source, folder, mode=mode, algorithm=algorithm, key=key, profile=profile,
            suffix=suffix, threads=threads, progress=progress,
        )  # fmt: skip


def _check_source(source: Path, algorithm: str) -> None:
    """Raise for an unknown algorithm or a missing or empty network file."""
    if algorithm not in ("CH", "MLD"):
        msg = f"unknown algorithm {algorithm!r}"
        raise RoutingError(msg, expected="CH or MLD")
    if not source.is_file():
        msg = "network file not found"
        raise NetworkError(msg, file=source, message_de="Straßennetz-Datei nicht gefunden")
    if source.stat().st_size == 0:
        msg = "network file is empty"
        raise NetworkError(msg, file=source, message_de="Straßennetz-Datei ist leer")


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock between threads and processes (``fcntl.flock`` on a lock file).

    ``flock`` locks belong to an open file description, so two threads of
    one process that open the file separately exclude each other too.
    """
    with lock_path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _build(
    source: Path,
    folder: Path,
    *,
    mode: str,
    algorithm: str,
    key: str,
    profile: str,
    suffix: str,
    threads: int | None,
    progress: ProgressCallback | None,
) -> PreparedNetwork:
    """Run the OSRM tools into a temporary folder and rename it to ``folder``."""
    step = f"Straßennetz vorbereiten ({mode})"
    base = folder / "network.osrm"

    started = time.perf_counter()
    n_threads = str(threads or os.cpu_count() or 1)
    stages = ["extract", *(("contract",) if algorithm == "CH" else ("partition", "customize"))]
    logger.info("preparing %s network from %s (%s)", mode, source.name, algorithm)
    with atomic_dir(folder) as tmp:
        link = tmp / f"network{suffix}"
        try:
            link.symlink_to(source.resolve())
        except OSError:  # file systems without symlinks
            shutil.copyfile(source, link)
        (tmp / "profile.lua").write_text(profile, "utf-8")
        log_path = tmp / "osrm.log"
        for i, stage in enumerate(stages):
            if progress:
                progress(step, i, len(stages))
            if stage == "extract":
                args = ["extract", "-p", str(tmp / "profile.lua"), "-t", n_threads, str(link)]
            else:
                args = [stage, "-t", n_threads, str(tmp / "network.osrm")]
            _run_osrm(args, log_path, stage, source)
            if stage == "extract":
                _normalise_output_names(tmp)
        link.unlink()
        if (
            not (tmp / "network.osrm.ebg").exists()
            and not (tmp / "network.osrm.fileIndex").exists()
        ):
            msg = "OSRM produced no routable graph (no usable roads for this mode?)"
            raise NetworkError(msg, file=source, message_de="Kein befahrbares Straßennetz gefunden")
        files = {
            p.name: {"size": p.stat().st_size, "blake2b": _checksum(p)}
            for p in sorted(tmp.iterdir())
            if p.name.startswith("network.")
        }
        meta: dict[str, Any] = {
            "source": str(source.resolve()),
            "mode": mode,
            "algorithm": algorithm,
            "osrm_version": _osrm_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "files": files,
        }
        (tmp / _MANIFEST).write_text(json.dumps(meta, indent=1), "utf-8")
    seconds = time.perf_counter() - started
    logger.info("prepared %s network in %.1f s", mode, seconds)
    if progress:
        progress(step, len(stages), len(stages))
    return PreparedNetwork(mode, algorithm, base, key, from_cache=False, seconds=seconds)


@dataclass(frozen=True)
class TableResult:
    """One OSRM table answer as arrays.

    Attributes
    ----------
    seconds
        ``(n_sources, n_destinations)`` travel times in seconds; NaN = no route.
    metres
        Same shape, route lengths in metres; NaN = no route.
    source_snap_m, destination_snap_m
        Distance from each input point to where OSRM snapped it, in metres.
    """

    seconds: npt.NDArray[np.float64]
    metres: npt.NDArray[np.float64]
    source_snap_m: npt.NDArray[np.float64]
    destination_snap_m: npt.NDArray[np.float64]


class RouterLike(Protocol):
    """What the long table, the grid and the planning tools need of a router.

    The OSRM :class:`Router` (car, bike, walk) and the Bus & Bahn
    :class:`~erreichbarkeit.network.transit.router.TransitRouter` both answer it.
    """

    access_kmh: float

    def table(
        self,
        sources: npt.ArrayLike,
        destinations: npt.ArrayLike,
        *,
        max_sources_per_query: int = 1000,
    ) -> TableResult:
        """Travel times from every source to every destination."""
        ...


class Router:
    """Query an OSRM network prepared by :func:`prepare_network`.

    The engine memory-maps the prepared files; one instance serves many
    queries (and threads: OSRM's engine is thread-safe for queries).

    Parameters
    ----------
    network
        The prepared network.
    access_kmh
        Speed of the access legs in km/h (``None``: the mode's default,
        :data:`~erreichbarkeit.config.DEFAULT_ACCESS_KMH`).  :meth:`table`
        does not use it; the long table and the grid routing add
        ``snap distance / access_kmh`` at both ends of every trip.
    """

    def __init__(self, network: PreparedNetwork, *, access_kmh: float | None = None) -> None:
        self.network = network
        self.access_kmh = float(
            access_kmh if access_kmh is not None else DEFAULT_ACCESS_KMH[network.mode]
        )
        if not self.access_kmh > 0:
            msg = f"access speed must be positive, got {self.access_kmh}"
            raise RoutingError(msg, expected="km/h > 0")
        self._osrm = osrm
        try:
            self._engine = osrm.OSRM(
                storage_config=str(network.base),
                algorithm=network.algorithm,
                use_shared_memory=False,
            )
        except RuntimeError as exc:
            msg = f"cannot load prepared network {network.base}: {exc}"
            raise RoutingError(msg, message_de=f"Vorbereitetes Netz nicht ladbar: {exc}") from exc

    def table(
        self,
        sources: npt.ArrayLike,
        destinations: npt.ArrayLike,
        *,
        max_sources_per_query: int = 1000,
    ) -> TableResult:
        """Travel times and distances from every source to every destination.

        Parameters
        ----------
        sources, destinations
            Arrays of shape ``(n, 2)`` with longitude, latitude (EPSG:4326).
        max_sources_per_query
            Sources are sent in chunks of this size (memory of the answer).

        Returns
        -------
        TableResult
        """
        src = np.asarray(sources, dtype=float).reshape(-1, 2)
        dst = np.asarray(destinations, dtype=float).reshape(-1, 2)
        n, m = len(src), len(dst)
        seconds = np.full((n, m), np.nan)
        metres = np.full((n, m), np.nan)
        src_snap = np.full(n, np.nan)
        dst_snap = np.full(m, np.nan)
        if n == 0 or m == 0:
            return TableResult(seconds, metres, src_snap, dst_snap)
        dst_coords = [(float(x), float(y)) for x, y in dst]
        for start in range(0, n, max_sources_per_query):
            chunk = src[start : start + max_sources_per_query]
            coords = [(float(x), float(y)) for x, y in chunk] + dst_coords
            k = len(chunk)
            params = self._osrm.TableParameters(
                coordinates=coords,
                sources=list(range(k)),
                destinations=list(range(k, k + m)),
                annotations=["duration", "distance"],
            )
            try:
                answer = self._engine.Table(params)
            except RuntimeError as exc:
                msg = f"OSRM table query failed: {exc}"
                raise RoutingError(
                    msg, message_de=f"Routenberechnung fehlgeschlagen: {exc}"
                ) from exc
            if answer["code"] != "Ok":  # pragma: no cover - OSRM raises instead
                msg = f"OSRM table query answered {answer['code']}"
                raise RoutingError(msg)
            # OSRM answers null for pairs without a route; float() turns them into NaN.
            seconds[start : start + k] = np.array(answer["durations"], dtype=float)
            metres[start : start + k] = np.array(answer["distances"], dtype=float)
            src_snap[start : start + k] = [w["distance"] for w in answer["sources"]]
            if start == 0:
                dst_snap[:] = [w["distance"] for w in answer["destinations"]]
        return TableResult(seconds, metres, src_snap, dst_snap)


def prepare_router(
    settings: Settings,
    network_osm: Path,
    mode: str,
    *,
    progress: ProgressCallback | None = None,
) -> Router:
    """A router for one mode with the settings' algorithm, speed overrides and access speed.

    The prepared network comes from the cache when it is there (see
    :func:`erreichbarkeit.network.routing.prepare_network`); the ferry
    waiting time is part of its profile, the access speed only of the router.
    """
    routing = settings.routing
    net = prepare_network(
        network_osm,
        mode,
        cache_dir=Path(settings.cache_dir) / "osrm",
        algorithm=routing.algorithm.get(mode, "MLD"),
        speeds=routing.speeds.get(mode),
        maxspeed=routing.maxspeed.get(mode),
        ferry_wait_min=routing.ferry_wait_min,
        threads=worker_cap(settings.workers),
        progress=progress,
    )
    return Router(net, access_kmh=routing.access_speed.get(mode))


def make_routers(settings: Settings, network_osm: Path) -> dict[str, Router]:
    """OSRM routers for the road modes of ``settings`` (car, bike, walk).

    Bus & Bahn needs the run's timetable as well:
    :func:`erreichbarkeit.network.transit.setup.make_all_routers` gives the
    routers of every mode, ``pt`` included (what-if scenarios, location planning).
    """
    return {mode: prepare_router(settings, network_osm, mode) for mode in settings.road_modes}
