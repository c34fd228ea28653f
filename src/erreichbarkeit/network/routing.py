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
in ``<cache_dir>/osrm/<network>-<mode>-<algorithm>-<key>/``, where ``key`` is a
SHA-256 digest of the input file's bytes, the profile text (with speed
overrides and the ferry waiting time), the algorithm and the OSRM version
(:mod:`._cache`: equal inputs find the same entry, whatever the file name);
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

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import osrm

from erreichbarkeit._atomic import atomic_dir
from erreichbarkeit._schema import OSM_SUFFIXES
from erreichbarkeit.config import (
    DEFAULT_ACCESS_KMH,
    DEFAULT_FERRY_WAIT_MIN,
    MODE_LABELS,
    ProgressCallback,
    RoutingOptions,
    Settings,
)
from erreichbarkeit.config.parallel import worker_cap
from erreichbarkeit.errors import NetworkError, RoutingError
from erreichbarkeit.network._cache import (
    MANIFEST,
    checksum,
    find_entry,
    locked,
    network_key,
    osrm_cache_root,
    osrm_version,
)
from erreichbarkeit.network._table_pool import TablePool, durations_table
from erreichbarkeit.network.profiles import profile_text

__all__ = [
    "NETWORK_STEP",
    "PreparedNetwork",
    "Router",
    "RouterLike",
    "TablePool",
    "TableResult",
    "cached_network",
    "durations_table",
    "make_routers",
    "network_key",
    "network_step",
    "osrm_cache_root",
    "prepare_network",
    "prepare_router",
]

logger = logging.getLogger(__name__)

#: The progress step of a network preparation, followed by the mode's German name.
NETWORK_STEP = "Straßennetz vorbereiten"


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


def prepare_network(
    osm_path: str | Path,
    mode: str,
    *,
    cache_dir: str | Path,
    algorithm: str | None = None,
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
        Cache folder; the entries go to its ``osrm`` subfolder
        (:func:`osrm_cache_root`), as in a run of the CLI or the dashboard
        with the same ``cache_dir``.  Entries are folders named after the
        network, mode, algorithm and key; an entry of the same key under
        another file name is used.
    algorithm
        ``CH`` (contract) or ``MLD`` (partition + customize); ``None``: the
        mode's default of :class:`~erreichbarkeit.config.RoutingOptions`
        (what a region file without ``[routing] algorithm`` uses).
    speeds, maxspeed, ferry_wait_min
        Profile overrides, see :func:`profile_text`.
    threads
        Threads for the OSRM tools (default: all cores).
    progress
        Called as ``progress("Straßennetz vorbereiten (Auto)", done, total)``
        (the mode's German name, :func:`network_step`).

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
    if algorithm is None:
        algorithm = RoutingOptions().algorithm.get(mode, "MLD")
    _check_source(source, algorithm)
    suffix = _osm_suffix(source)
    profile = profile_text(mode, speeds=speeds, maxspeed=maxspeed, ferry_wait_min=ferry_wait_min)
    key = network_key(source, mode, algorithm, profile)
    root = osrm_cache_root(cache_dir)
    stem = source.name[: -len(suffix)] if source.name.lower().endswith(suffix) else source.stem
    folder = root / f"{stem}-{mode}-{algorithm.lower()}-{key}"
    found = find_entry(root, mode, algorithm, key)
    if found is not None:  # fast path, no lock needed
        return _from_cache(found, mode, algorithm, key, progress)
    # Several dashboard sessions (threads) or a CLI run may want the same
    # network at once: one builds it, the others wait and then use it.
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / f".{mode}-{algorithm.lower()}-{key}.lock"):
        found = find_entry(root, mode, algorithm, key)
        if found is not None:
            return _from_cache(found, mode, algorithm, key, progress)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        return _build(
            source, folder, mode=mode, algorithm=algorithm, key=key, profile=profile,
            suffix=suffix, threads=threads, progress=progress,
        )  # fmt: skip


def network_step(mode: str) -> str:
    """The progress step of preparing a mode's network, e.g. ``Straßennetz vorbereiten (Auto)``."""
    return f"{NETWORK_STEP} ({MODE_LABELS.get(mode, mode)})"


def _from_cache(
    folder: Path, mode: str, algorithm: str, key: str, progress: ProgressCallback | None
) -> PreparedNetwork:
    logger.info("using cached %s network %s", mode, folder)
    if progress:
        progress(network_step(mode), 1, 1)
    return PreparedNetwork(mode, algorithm, folder / "network.osrm", key, True, 0.0)


def cached_network(
    osm_path: str | Path,
    mode: str,
    *,
    cache_dir: str | Path,
    algorithm: str,
    speeds: Mapping[str, float] | None = None,
    maxspeed: Mapping[str, float] | None = None,
    ferry_wait_min: float = DEFAULT_FERRY_WAIT_MIN,
) -> PreparedNetwork | None:
    """The prepared network of these inputs if it is in the cache, else ``None`` (never builds)."""
    source = Path(osm_path)
    profile = profile_text(mode, speeds=speeds, maxspeed=maxspeed, ferry_wait_min=ferry_wait_min)
    key = network_key(source, mode, algorithm, profile)
    found = find_entry(osrm_cache_root(cache_dir), mode, algorithm, key)
    if found is None:
        return None
    return PreparedNetwork(mode, algorithm, found / "network.osrm", key, True, 0.0)


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
    step = network_step(mode)
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
            p.name: {"size": p.stat().st_size, "blake2b": checksum(p)}
            for p in sorted(tmp.iterdir())
            if p.name.startswith("network.")
        }
        meta: dict[str, Any] = {
            "source": str(source.resolve()),
            "mode": mode,
            "algorithm": algorithm,
            "osrm_version": osrm_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(meta, indent=1), "utf-8")
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
    workers
        Processes the grid routing may use for this router's table chunks
        (:class:`TablePool`; from :func:`~erreichbarkeit.config.parallel.worker_cap`).
    reference
        Let the grid routing take the plain path (one process, duration and
        distance tables, every cell routed): the baseline the optimised path
        is compared with in tests and ``benchmarks/bench_county.py``.
    """

    def __init__(
        self,
        network: PreparedNetwork,
        *,
        access_kmh: float | None = None,
        workers: int = 1,
        reference: bool = False,
    ) -> None:
        self.network = network
        self.workers = max(1, int(workers))
        self.reference = reference
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
        cache_dir=settings.cache_dir,
        algorithm=routing.algorithm.get(mode, "MLD"),
        speeds=routing.speeds.get(mode),
        maxspeed=routing.maxspeed.get(mode),
        ferry_wait_min=routing.ferry_wait_min,
        threads=worker_cap(settings.workers),
        progress=progress,
    )
    return Router(
        net, access_kmh=routing.access_speed.get(mode), workers=worker_cap(settings.workers)
    )


def make_routers(settings: Settings, network_osm: Path) -> dict[str, Router]:
    """OSRM routers for the road modes of ``settings`` (car, bike, walk).

    Bus & Bahn needs the run's timetable as well:
    :func:`erreichbarkeit.network.transit.setup.make_all_routers` gives the
    routers of every mode, ``pt`` included (what-if scenarios, location planning).
    """
    return {mode: prepare_router(settings, network_osm, mode) for mode in settings.road_modes}
