"""The grid surface's networks: CH where cached, else prepared in the background.

:func:`grid_routers` picks the router per mode for the grid; :func:`start`
prepares missing CH networks in a detached process for the next run.

Contracting a county's foot network takes about two minutes (Heidelberg
extract, 2 threads: walk CH 121 s against 3.5 s for MLD, bike 42 s against
6 s; ``benchmarks/README.md``), as long as the whole first analysis may take.
The first run with a grid therefore routes the grid on the run's MLD
networks and calls :func:`start`, which launches
``python -m erreichbarkeit.network.grid_networks`` in its own session at
low priority with one OSRM thread; it writes the cache entries through
:func:`~erreichbarkeit.network.routing.prepare_network` (lock and atomic
rename), so a run that starts meanwhile either finds a complete entry or
none, and never waits for it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from erreichbarkeit.config import ProgressCallback, Settings
from erreichbarkeit.config.parallel import worker_cap
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.network.routing import (
    Router,
    RouterLike,
    cached_network,
    osrm_cache_root,
    prepare_network,
)

__all__ = ["grid_routers", "main", "start"]

logger = logging.getLogger(__name__)


def _network_inputs(settings: Settings, network_osm: Path, mode: str) -> dict[str, Any]:
    """``prepare_network`` keywords of a mode's network (JSON-able, without algorithm)."""
    routing = settings.routing
    return {
        "osm_path": str(network_osm),
        "mode": mode,
        "cache_dir": str(settings.cache_dir),
        "speeds": dict(routing.speeds.get(mode) or {}),
        "maxspeed": dict(routing.maxspeed.get(mode) or {}),
        "ferry_wait_min": float(routing.ferry_wait_min),
    }


def grid_routers(
    settings: Settings,
    network_osm: Path,
    routers: Mapping[str, RouterLike],
    *,
    policy: str = "background",
    reference: bool = False,
    progress: ProgressCallback | None = None,
) -> tuple[dict[str, RouterLike], list[dict[str, Any]]]:
    """The routers the grid surface uses: CH networks where available.

    The grid sends 10⁴–10⁵ cells to every offer; a CH network answers that
    several times faster than MLD, with the same minutes (OSRM's shortest
    paths do not depend on the algorithm; ``tests/test_grid_speed.py``
    compares both).  Contracting a foot network takes minutes, though (see
    ``benchmarks/README.md``), too long for the first run of a county.

    Parameters
    ----------
    settings, network_osm
        The run's settings and network file (for the cache key).
    routers
        The run's routers; Bus & Bahn and CH routers are passed through.
    policy
        For an MLD mode: ``background`` uses the cached CH network of the
        same inputs, else the run's router and lists the mode for
        :func:`erreichbarkeit.network.grid_networks.start`; ``now`` prepares
        the CH network first; ``off`` keeps the run's router
        (:data:`erreichbarkeit.config.routing.GRID_CH_ENV`).
    reference
        The plain path instead: the run's networks, one process
        (:data:`erreichbarkeit.config.routing.GRID_REFERENCE_ENV`).
    progress
        Progress of a ``now`` preparation.

    Returns
    -------
    tuple
        The routers per mode and the ``prepare_network`` keywords of the CH
        networks still to prepare.
    """
    out = dict(routers)
    later: list[dict[str, Any]] = []
    for mode, router in routers.items():
        if not isinstance(router, Router) or mode not in settings.road_modes:
            continue
        net, kmh = router.network, router.access_kmh
        if reference:
            out[mode] = Router(net, access_kmh=kmh, workers=1, reference=True)
            continue
        if net.algorithm == "CH" or policy == "off":
            continue
        inputs = _network_inputs(settings, network_osm, mode)
        ch = cached_network(**inputs, algorithm="CH")
        if ch is None and policy == "now":
            ch = prepare_network(
                **inputs, algorithm="CH", threads=worker_cap(settings.workers),
                progress=(lambda s, d, t: progress(f"{s}, CH für das Raster", d, t))
                if progress else None,
            )  # fmt: skip
        if ch is None:
            later.append(inputs)
            continue
        logger.info("grid %s: CH network %s", mode, ch.base.parent.name)
        out[mode] = Router(ch, access_kmh=kmh, workers=router.workers)
    return out, later


def start(jobs: Sequence[Mapping[str, Any]], cache_dir: Path) -> subprocess.Popen[bytes] | None:
    """Launch the background preparation of ``jobs`` (keyword arguments of ``prepare_network``).

    Its log goes to ``<cache_dir>/osrm/ch-hintergrund.log``.  Returns the
    process (``None`` when there is nothing to do or it cannot start).
    """
    if not jobs:
        return None
    root = osrm_cache_root(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    payload = json.dumps([dict(j) for j in jobs])
    cmd = [sys.executable, "-m", "erreichbarkeit.network.grid_networks", payload]
    try:
        with (root / "ch-hintergrund.log").open("ab") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
    except OSError as exc:
        logger.warning("cannot start the background CH preparation: %s", exc)
        return None
    logger.info("preparing CH networks for the grid in the background (pid %d)", proc.pid)
    return proc


def main(argv: Sequence[str]) -> int:
    """Prepare every job of the JSON list ``argv[0]`` (CH, one thread, low priority)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.nice(10)
    status = 0
    for job in json.loads(argv[0]):
        try:
            net = prepare_network(**{**job, "algorithm": "CH", "threads": 1})
        except (ErreichbarkeitError, OSError) as exc:
            logger.warning("CH preparation of %s failed: %s", job.get("mode"), exc)
            status = 1
            continue
        logger.info("CH %s ready: %s (%.1f s)", net.mode, net.base.parent, net.seconds)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
