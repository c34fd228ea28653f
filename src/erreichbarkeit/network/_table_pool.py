"""Durations-only OSRM tables in chunks, optionally in worker processes.

The grid surface sends 10⁴–10⁵ cell centres to a few hundred offers.  One
OSRM engine answers one table query on one core (its many-to-many search is
not split over threads, and Python threads give nothing measurable), so the
chunks of a large job go to :func:`worker_cap` worker *processes*, each with
its own :class:`osrm.OSRM` engine on the memory-mapped prepared files (the
page cache holds the network once for all of them).  Only numpy arrays cross
the process boundary.

:class:`concurrent.futures.ProcessPoolExecutor` does the pooling (ordered
results, clean shutdown, a worker's exception re-raised in the caller); the
``spawn`` start method is used because the dashboard runs threads, and
forking a threaded process is unsafe.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import multiprocessing
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType

import numpy as np
import numpy.typing as npt
import osrm

from erreichbarkeit.errors import RoutingError

__all__ = ["DurationTable", "TablePool", "durations_table"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DurationTable:
    """A durations-only table answer (no distances).

    Attributes
    ----------
    seconds
        ``(n_sources, n_destinations)`` seconds; NaN = no route.
    source_snap_m, destination_snap_m
        Distance from each input point to where OSRM snapped it, in metres.
    """

    seconds: npt.NDArray[np.float64]
    source_snap_m: npt.NDArray[np.float64]
    destination_snap_m: npt.NDArray[np.float64]


@functools.lru_cache(maxsize=8)
def _engine(base: str, algorithm: str) -> osrm.OSRM:
    """One engine per prepared network and process (kept for the process's lifetime)."""
    return osrm.OSRM(storage_config=base, algorithm=algorithm, use_shared_memory=False)


def durations_table(
    base: str,
    algorithm: str,
    sources: npt.NDArray[np.float64],
    destinations: npt.NDArray[np.float64],
) -> DurationTable:
    """One OSRM table query with durations only, in the calling process.

    Parameters
    ----------
    base, algorithm
        The prepared network (``.osrm`` base path) and ``CH``/``MLD``.
    sources, destinations
        ``(n, 2)`` longitude, latitude; both non-empty.

    Returns
    -------
    DurationTable

    Raises
    ------
    RoutingError
        The engine cannot be loaded or the query fails.
    """
    k, m = len(sources), len(destinations)
    coords = [(float(x), float(y)) for x, y in sources]
    coords += [(float(x), float(y)) for x, y in destinations]
    params = osrm.TableParameters(
        coordinates=coords,
        sources=list(range(k)),
        destinations=list(range(k, k + m)),
        annotations=["duration"],
        generate_hints=False,
    )
    try:
        answer = _engine(base, algorithm).Table(params)
    except RuntimeError as exc:
        msg = f"OSRM table query failed: {exc}"
        raise RoutingError(msg, message_de=f"Routenberechnung fehlgeschlagen: {exc}") from exc
    # OSRM answers null for pairs without a route; float() turns them into NaN.
    return DurationTable(
        seconds=np.array(answer["durations"], dtype=float).reshape(k, m),
        source_snap_m=np.array([w["distance"] for w in answer["sources"]], dtype=float),
        destination_snap_m=np.array([w["distance"] for w in answer["destinations"]], dtype=float),
    )


def _durations_job(
    base: str,
    algorithm: str,
    sources: npt.NDArray[np.float64],
    destinations: npt.NDArray[np.float64],
) -> DurationTable:
    """:func:`durations_table` in a worker; errors travel back as plain ``RuntimeError``.

    The project's errors take keyword arguments, which pickling an exception
    does not carry; the caller turns the message back into a ``RoutingError``.
    """
    try:
        return durations_table(base, algorithm, sources, destinations)
    except RoutingError as exc:
        raise RuntimeError(str(exc.__cause__ or exc)) from None


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_main() -> Iterator[None]:
    """Start ``spawn`` workers without re-running the parent's ``__main__``.

    A spawned worker first imports the parent's main module by its path.  In
    the dashboard that is ``app.py`` (Streamlit runs every script as
    ``__main__``), and after an AppTest in a test run a temporary script: the
    worker would run the dashboard, or fail, before it ever routes.  The
    workers need only this module, so while they start, ``__main__`` is an
    empty module without a file, which multiprocessing does not import.
    Streamlit's script threads hold their own module objects, so the short
    swap does not reach them; the lock keeps two pools from swapping at once.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class TablePool:
    """Chunks of durations-only tables, in ``workers`` processes (none when 1).

    Use as a context manager; leaving it shuts the workers down (also after
    an error).  A failure inside a worker, or a worker that dies (killed,
    out of memory), becomes a :class:`~erreichbarkeit.errors.RoutingError`
    with a German message.

    Parameters
    ----------
    workers
        Number of processes, from :func:`erreichbarkeit.config.parallel.worker_cap`.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> TablePool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (pending chunks are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx)
        return self._pool

    def map(
        self,
        base: str,
        algorithm: str,
        chunks: Sequence[npt.NDArray[np.float64]],
        destinations: npt.NDArray[np.float64],
    ) -> Iterator[DurationTable]:
        """Durations from each chunk of sources to ``destinations``, in the order of ``chunks``.

        Raises
        ------
        RoutingError
            A query failed or a worker process died.
        """
        if self.workers == 1 or len(chunks) < 2:
            for chunk in chunks:
                yield durations_table(base, algorithm, chunk, destinations)
            return
        pool = self._executor()
        # the pool starts its ``spawn`` workers inside ``submit``: without a main module
        with _no_main():
            futures = [
                pool.submit(_durations_job, base, algorithm, chunk, destinations)
                for chunk in chunks
            ]
        try:
            for future in futures:
                yield future.result()
        except BrokenProcessPool as exc:
            self.close()
            msg = f"an OSRM worker process died: {exc}"
            raise RoutingError(
                msg,
                message_de=(
                    "Ein Rechenprozess für die Routenberechnung ist abgebrochen "
                    "(zu wenig Arbeitsspeicher?)"
                ),
            ) from exc
        except Exception as exc:  # anything else raised in a worker
            msg = f"OSRM worker failed: {exc}"
            raise RoutingError(msg, message_de=f"Routenberechnung fehlgeschlagen: {exc}") from exc
        finally:
            for future in futures:
                future.cancel()
