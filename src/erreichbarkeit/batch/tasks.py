"""One region = one task: compute, write its partitions, mark it done.

A task gets only paths (:class:`RegionTask`, a few strings) and returns
only a small :class:`RegionOutcome`; tables never travel through the Dask
scheduler.  Everything is read from and written to the batch folder, which
every worker sees (a shared folder).

Layout written per region ``<id>``::

    <out>/datensatz/orte/region=<id>/part-0.parquet       villages (GeoParquet)
    <out>/datensatz/gemeinden/region=<id>/part-0.parquet  Gemeinde table
    <out>/datensatz/kreis/region=<id>/part-0.parquet      region summary (category × mode)
    <out>/datensatz/raster/region=<id>/part-0.parquet     grid figures (with a grid)
    <out>/regionen/<id>/ergebnis/…                        the usual exports (workbook …)
    <out>/status/<id>.json                                done (key, seconds) or failed

Each partition folder appears by one rename (:func:`erreichbarkeit._atomic.atomic_dir`),
so no reader sees half a file under a final name; the status file is
written last, and only a region with a "fertig" status whose key matches
counts as done.  The key (:func:`task_key`) is the store key of the run
(:func:`erreichbarkeit.pipeline.store.results_key`: content of every input,
settings, method and package version) plus the batch's own options, so a
finished region is skipped on a rerun and recomputed when anything changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from erreichbarkeit._atomic import TMP_PREFIX, atomic_dir, atomic_path
from erreichbarkeit.config import Settings
from erreichbarkeit.config.routing import GRID_CH_ENV
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.pipeline import run
from erreichbarkeit.pipeline.store import results_key
from erreichbarkeit.report.outputs import export_results
from erreichbarkeit.results import Results

__all__ = [
    "DATASET",
    "STATUS",
    "TABLES",
    "RegionOutcome",
    "RegionTask",
    "read_status",
    "region_settings",
    "result_tables",
    "run_region",
    "task_key",
]

logger = logging.getLogger(__name__)

#: Folder of the partitioned dataset and of the status files, below the batch folder.
DATASET = "datensatz"
STATUS = "status"
#: The tables of the dataset, by folder name.
TABLES = ("orte", "gemeinden", "kreis", "raster")
_BATCH_VERSION = "1"

Status = Literal["fertig", "übersprungen", "fehlgeschlagen"]


@dataclass(frozen=True)
class RegionTask:
    """What a worker needs for one region: paths and a few numbers.

    Attributes
    ----------
    region_id, name, kreis
        The region (:class:`erreichbarkeit.batch.plan.BatchRegion`).
    region_file
        Its generated ``region.toml``.
    out_dir
        The batch folder.
    cache_dir
        The shared cache of prepared networks (content-hash keys).
    inner_workers
        The task's own pools (OSRM threads, timetable workers): 1 when the
        batch runs several tasks at once, so tasks × pools stay within the cap.
    export
        Also write the usual exports (workbook, CSV, GeoPackage) per region.
    """

    region_id: str
    name: str
    kreis: str
    region_file: str
    out_dir: str
    cache_dir: str
    inner_workers: int = 1
    export: bool = True


@dataclass(frozen=True)
class RegionOutcome:
    """What a task returns to the client (small; no tables)."""

    region_id: str
    status: Status
    seconds: float
    message_de: str = ""
    key: str = ""
    worker_pid: int = 0


def region_settings(task: RegionTask) -> Settings:
    """The region's settings with the batch's cache and pool size."""
    settings = Settings.from_toml(Path(task.region_file))
    return settings.replace(cache_dir=Path(task.cache_dir), workers=task.inner_workers)


def task_key(settings: Settings, *, export: bool) -> str:
    """The region's key: its store key plus the batch version and options."""
    blob = f"{results_key(settings)}\0batch {_BATCH_VERSION}\0export {int(export)}"
    return hashlib.sha256(blob.encode()).hexdigest()


def _status_path(out_dir: Path, region_id: str) -> Path:
    return out_dir / STATUS / f"{region_id}.json"


def read_status(out_dir: Path, region_id: str) -> dict[str, object] | None:
    """The region's status file, or ``None`` (absent or unreadable)."""
    try:
        value = json.loads(_status_path(out_dir, region_id).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _partition(out_dir: Path, table: str, region_id: str) -> Path:
    return out_dir / DATASET / table / f"region={region_id}"


def _is_done(out_dir: Path, region_id: str, key: str) -> bool:
    status = read_status(out_dir, region_id)
    if status is None or status.get("status") != "fertig" or status.get("key") != key:
        return False
    written = status.get("tables", [])
    return isinstance(written, list) and all(
        (_partition(out_dir, str(t), region_id) / "part-0.parquet").is_file() for t in written
    )


def result_tables(results: Results, kreis: str) -> dict[str, pd.DataFrame]:
    """The region's tables for the dataset, with a ``kreis`` column (text).

    The region's id is not a column of the files: the partition folder
    (``region=<id>``) holds it (read it back as text with
    :func:`erreichbarkeit.batch.land.read_dataset`).  Villages keep their
    geometry (GeoParquet); the grid figures are the grid's summary per
    category × mode when a grid was computed.
    """
    tables: dict[str, pd.DataFrame] = {
        "orte": results.villages,
        "gemeinden": results.gemeinden,
        "kreis": results.kreis,
    }
    grid = results.grid
    if grid is not None:
        tables["raster"] = grid.kreis
    out: dict[str, pd.DataFrame] = {}
    for name, table in tables.items():
        frame = table.copy()
        frame.insert(0, "kreis", kreis)
        out[name] = frame.reset_index(drop=True)
    return out


def _write_partitions(out_dir: Path, region_id: str, tables: dict[str, pd.DataFrame]) -> None:
    for name, table in tables.items():
        with atomic_dir(_partition(out_dir, name, region_id)) as tmp:
            path = tmp / "part-0.parquet"
            if isinstance(table, gpd.GeoDataFrame):
                table.to_parquet(path, index=False)
            else:
                pd.DataFrame(table).to_parquet(path, index=False)


def _write_status(out_dir: Path, region_id: str, status: dict[str, object]) -> None:
    with atomic_path(_status_path(out_dir, region_id)) as tmp:
        tmp.write_text(json.dumps(status, ensure_ascii=False, indent=1), "utf-8")


def _sweep_own_temporaries(out_dir: Path, region_id: str) -> None:
    """Remove what an earlier, killed attempt at this region left (its temporaries only).

    Only one attempt of a region runs at a time (one Dask key), so every
    temporary named after this region's targets is stale — also on a cluster
    of several hosts, where a process id says nothing about another host.
    """
    folders = [out_dir / DATASET / t for t in TABLES] + [out_dir / "regionen" / region_id]
    names = [f"region={region_id}.", "ergebnis."]
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in folder.glob(f"{TMP_PREFIX}*"):
            if any(f"-{n}" in entry.name for n in names):
                shutil.rmtree(entry, ignore_errors=True)


def _compute(task: RegionTask, settings: Settings) -> list[str]:
    """Run the region, write its partitions and exports; return the written tables."""
    out_dir = Path(task.out_dir)
    _sweep_own_temporaries(out_dir, task.region_id)
    # A region is computed once: the grid stays on its MLD networks instead of
    # starting a detached CH preparation per region beside the cluster's workers,
    # which would break the one cap on worker processes (config/parallel.py).
    # Set in the worker process only, which runs nothing but batch tasks.
    os.environ[GRID_CH_ENV] = "off"
    results = run(settings)
    tables = result_tables(results, task.kreis)
    if task.export:
        folder = out_dir / "regionen" / task.region_id / "ergebnis"
        with atomic_dir(folder) as tmp:
            export_results(results, tmp)
    _write_partitions(out_dir, task.region_id, tables)
    for stale in set(TABLES) - set(tables):  # e.g. a grid dropped since the last run
        shutil.rmtree(_partition(out_dir, stale, task.region_id), ignore_errors=True)
    return sorted(tables)


def run_region(task: RegionTask) -> RegionOutcome:
    """Compute one region on a worker (or skip it when done with the same key).

    A region's own failure (bad data, an :class:`ErreichbarkeitError`) is
    written to its status file with its German message and returned as
    ``"fehlgeschlagen"``: it does not stop the other regions and is not
    retried.  Anything else (a worker killed mid-task) is left to Dask,
    which runs the task again on another worker.
    """
    start = time.perf_counter()
    out_dir = Path(task.out_dir)
    pid = os.getpid()
    try:
        settings = region_settings(task)
        key = task_key(settings, export=task.export)
    except ErreichbarkeitError as exc:
        return _failed(task, start, exc.german, "", pid)
    if _is_done(out_dir, task.region_id, key):
        logger.info("region %s unchanged, skipped", task.region_id)
        return RegionOutcome(task.region_id, "übersprungen", 0.0, key=key, worker_pid=pid)
    try:
        written = _compute(task, settings)
    except ErreichbarkeitError as exc:
        return _failed(task, start, exc.german, key, pid)
    seconds = round(time.perf_counter() - start, 3)
    _write_status(out_dir, task.region_id, {
        "status": "fertig", "key": key, "region": task.region_id, "name": task.name,
        "kreis": task.kreis, "seconds": seconds, "tables": written,
        "transit": "pt" in settings.modes, "region_file": task.region_file,
    })  # fmt: skip
    return RegionOutcome(task.region_id, "fertig", seconds, key=key, worker_pid=pid)


def _drop_outputs(out_dir: Path, region_id: str) -> None:
    """Take an earlier run's partitions and exports of the region away (renamed, then deleted)."""
    targets = [_partition(out_dir, t, region_id) for t in TABLES]
    targets.append(out_dir / "regionen" / region_id / "ergebnis")
    for target in targets:
        if target.exists():
            trash = target.with_name(f"{TMP_PREFIX}{os.getpid()}-{target.name}.alt")
            target.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)


def _failed(task: RegionTask, start: float, message: str, key: str, pid: int) -> RegionOutcome:
    """Record a failed region; the outputs of an earlier run of it do not stay in the dataset."""
    seconds = round(time.perf_counter() - start, 3)
    logger.warning("region %s failed: %s", task.region_id, message)
    _drop_outputs(Path(task.out_dir), task.region_id)
    _write_status(Path(task.out_dir), task.region_id, {
        "status": "fehlgeschlagen", "key": key, "region": task.region_id, "name": task.name,
        "kreis": task.kreis, "seconds": seconds, "message_de": message,
    })  # fmt: skip
    return RegionOutcome(task.region_id, "fehlgeschlagen", seconds, message, key, pid)


def outcome_dict(outcome: RegionOutcome) -> dict[str, object]:
    """An outcome as a plain dict (for the CLI's summary)."""
    return dataclasses.asdict(outcome)
