"""Running the region tasks on Dask distributed: a LocalCluster, or an existing cluster.

By default :func:`run_batch` starts a :class:`distributed.LocalCluster` of
worker *processes* (one thread each, so each task has a process of its own,
and a worker killed mid-task is restarted by its nanny while the scheduler
runs the task again on a worker that lives).  ``scheduler="tcp://…"``
connects to a running cluster instead; then inputs and outputs must be in a
folder every worker sees.

The product's one cap (:func:`erreichbarkeit.config.parallel.worker_cap`)
holds for the batch as a whole: the LocalCluster has at most ``cap``
workers, and each task runs its own pools (OSRM threads, timetable
workers) with ``cap // workers`` (at least 1) — with the default cap 2:
two tasks with one-worker pools each, or one task with two (the local
workers are not daemonic, so a task's pool may start processes).  On an
existing cluster the cluster's size is its operator's choice; each task
then runs its pools with one worker (in-process, so daemonic Dask workers
are fine).

Progress (regions done / running / failed, seconds per region, an
estimate of the time left) goes to a callback after every finished task;
the Dask dashboard's address is in :attr:`BatchReport.dashboard` when the
``bokeh`` package is installed.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dask
from distributed import Client, Future, LocalCluster, as_completed

from erreichbarkeit.batch.plan import ClippedRegion
from erreichbarkeit.batch.tasks import RegionOutcome, RegionTask, run_region
from erreichbarkeit.config.parallel import worker_cap

__all__ = ["BatchProgress", "BatchReport", "inner_workers", "run_batch"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchProgress:
    """The state of a batch after a finished task."""

    total: int
    done: int
    skipped: int
    failed: int
    running: int
    elapsed_s: float
    eta_s: float | None
    last: RegionOutcome | None = None


@dataclass(frozen=True)
class BatchReport:
    """What a batch did.

    Attributes
    ----------
    outcomes
        One per region, in the order of the regions.
    seconds
        Wall time of the tasks.
    workers
        Dask workers used.
    inner_workers
        Pool size of each task.
    dashboard
        The Dask dashboard's address, or ``""`` without ``bokeh``.
    failed
        The outcomes of the regions that failed.
    worker_peak_mib
        Per worker process alive at the end: peak resident memory (MiB) of
        the process itself and of its largest child (the OSRM preprocessing
        tools), from ``getrusage``.
    """

    outcomes: tuple[RegionOutcome, ...]
    seconds: float
    workers: int
    inner_workers: int
    dashboard: str = ""
    failed: tuple[RegionOutcome, ...] = field(default=())
    worker_peak_mib: tuple[tuple[float, float], ...] = ()


def inner_workers(cap: int, n_workers: int) -> int:
    """Pool size of each task so that tasks × pools stay within the cap.

    Examples
    --------
    >>> inner_workers(2, 2), inner_workers(2, 1), inner_workers(8, 3)
    (1, 2, 2)
    """
    return max(1, cap // max(1, n_workers))


@contextlib.contextmanager
def _client(
    scheduler: str | None, n_workers: int, memory_limit: str | float, *, quiet: bool
) -> Iterator[Client]:
    if scheduler:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    # Non-daemonic worker processes: a task's own pools (the grid's OSRM table
    # processes) may then start children; the nanny still stops them on close.
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0" if _has_bokeh() else None,
            silence_logs=logging.ERROR if quiet else logging.WARNING,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401, PLC0415 - only probing whether Dask's dashboard can run
    except ImportError:
        return False
    return True


def _eta(durations: list[float], remaining: int, workers: int) -> float | None:
    if not durations or remaining <= 0:
        return None if remaining > 0 else 0.0
    return sum(durations) / len(durations) * remaining / max(1, workers)


def _failed_outcome(region: ClippedRegion, exc: BaseException) -> RegionOutcome:
    name = type(exc).__name__
    text = (
        "Die Region wurde nach dem Ausfall mehrerer Worker-Prozesse aufgegeben"
        if name == "KilledWorker"
        else f"Interner Fehler ({name}): {exc}"
    )
    return RegionOutcome(region.region.id, "fehlgeschlagen", 0.0, text)


def _tasks(
    regions: Sequence[ClippedRegion], out_dir: Path, cache_dir: Path, inner: int, export: bool
) -> list[RegionTask]:
    return [
        RegionTask(
            region_id=r.region.id,
            name=r.region.name,
            kreis=r.region.kreis,
            region_file=str(r.region_file.resolve()),
            out_dir=str(out_dir.resolve()),
            cache_dir=str(cache_dir.resolve()),
            inner_workers=inner,
            export=export,
        )
        for r in regions
    ]


def run_batch(
    regions: Sequence[ClippedRegion],
    *,
    out_dir: Path,
    cache_dir: Path,
    client: Client | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    memory_limit: str | float = "auto",
    export: bool = True,
    on_progress: Callable[[BatchProgress], None] | None = None,
    quiet_dask: bool = True,
    on_start: Callable[[str], None] | None = None,
) -> BatchReport:
    """Compute every region as one Dask task; return what each task did.

    Parameters
    ----------
    regions
        From :func:`erreichbarkeit.batch.plan.clip_regions`.
    out_dir, cache_dir
        The batch folder and the shared network cache (seen by every worker).
    client
        An existing Dask client (tests, notebooks); else ``scheduler`` or a
        new LocalCluster.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``).
    n_workers
        Workers of the LocalCluster (default and maximum: the cap).
    memory_limit
        Memory limit per worker of the LocalCluster (``"4GB"``, ``"auto"``).
    export
        Also write each region's usual exports.
    on_progress
        Called after every finished task.
    quiet_dask
        Only Dask's errors in the log (its start/stop messages otherwise).
    on_start
        Called once the tasks are submitted, with the Dask dashboard's
        address (``""`` without one), so the user can watch while it runs.
    """
    cap = worker_cap()
    local = client is None and not scheduler
    workers = min(n_workers or cap, cap, max(1, len(regions))) if local else 0
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(
                _client(scheduler, workers, memory_limit, quiet=quiet_dask)
            )
        if not local:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
        inner = inner_workers(cap, workers) if local else 1
        tasks = _tasks(regions, out_dir, cache_dir, inner, export)
        futures = {
            client.submit(run_region, t, key=f"region-{t.region_id}", pure=False, retries=1): i
            for i, t in enumerate(tasks)
        }
        dashboard = str(getattr(client, "dashboard_link", "") or "") if _has_bokeh() else ""
        if dashboard:
            logger.info("Dask dashboard: %s", dashboard)
        if on_start is not None:
            on_start(dashboard)
        results = _collect(futures, regions, workers, start, on_progress)
        peaks = _worker_peaks(client)
    outcomes = tuple(results[i] for i in range(len(regions)))
    return BatchReport(
        outcomes=outcomes,
        seconds=round(time.perf_counter() - start, 3),
        workers=workers,
        inner_workers=inner,
        dashboard=dashboard,
        failed=tuple(o for o in outcomes if o.status == "fehlgeschlagen"),
        worker_peak_mib=peaks,
    )


def peak_rss_mib() -> tuple[float, float]:
    """This process's peak RSS and its largest finished child's, in MiB (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(child, 1)


def _worker_peaks(client: Client) -> tuple[tuple[float, float], ...]:
    try:
        peaks = client.run(peak_rss_mib)
    except Exception:  # a figure for the report: never fail the batch for it
        logger.debug("worker memory not available", exc_info=True)
        return ()
    return tuple((float(v[0]), float(v[1])) for _, v in sorted(peaks.items()))


def _collect(
    futures: dict[Future[RegionOutcome], int],
    regions: Sequence[ClippedRegion],
    workers: int,
    start: float,
    on_progress: Callable[[BatchProgress], None] | None,
) -> dict[int, RegionOutcome]:
    """Wait for the tasks in the order they finish; report progress after each."""
    results: dict[int, RegionOutcome] = {}
    durations: list[float] = []
    counts = {"fertig": 0, "übersprungen": 0, "fehlgeschlagen": 0}
    for future in as_completed(list(futures)):  # type: ignore[no-untyped-call]
        i = futures[future]
        try:
            outcome: RegionOutcome = future.result()
        except Exception as exc:  # one region's crash (a killed worker …) must not stop the rest
            outcome = _failed_outcome(regions[i], exc)
        results[i] = outcome
        counts[outcome.status] += 1
        if outcome.status == "fertig":
            durations.append(outcome.seconds)
        remaining = len(regions) - len(results)
        if on_progress is not None:
            on_progress(BatchProgress(
                total=len(regions), done=counts["fertig"], skipped=counts["übersprungen"],
                failed=counts["fehlgeschlagen"], running=min(workers, remaining),
                elapsed_s=round(time.perf_counter() - start, 1),
                eta_s=_eta(durations, remaining, workers), last=outcome,
            ))  # fmt: skip
    return results
