"""Bus & Bahn: the client of the pynigiri timetable worker.

pynigiri (nigiri's RAPTOR) ships only a CPython 3.11 wheel, so the timetable
router runs in worker processes of a separate environment (``.venv-pt``).
:class:`TransitEngine` starts them, sends JSON-line requests and exchanges
tables as Parquet files in a private temporary folder (never pickles).  See
``docs/public-transport-engine.md`` for the measured behaviour of pynigiri and
:mod:`erreichbarkeit.network.transit.worker` for the protocol.

Times at this interface are minutes after *local* midnight of the engine's
day (wall clock, so 07:00 is 420 also on a day of a clock change); the worker
works in UTC epoch minutes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.errors import RoutingError

__all__ = ["TransitEngine", "TransitStatus", "find_worker_python", "transit_status"]

logger = logging.getLogger(__name__)

#: Environment variable naming the worker's Python interpreter.
PYTHON_ENV = "ERREICHBARKEIT_PT_PYTHON"
WORKER_SCRIPT = Path(__file__).with_name("worker.py")
_STATUS_TIMEOUT_S = 30.0
_LOAD_TIMEOUT_S = 900.0
_LOG_TAIL_CHARS = 1500
_STOP_GRACE_S = 5.0

_NOT_FOUND_DE = (
    "Bus & Bahn ist ausgeschaltet: keine Python-3.11-Umgebung mit pynigiri gefunden "
    "(make install legt sie an; oder ERREICHBARKEIT_PT_PYTHON setzen)."
)

RANGE_COLUMNS = {
    "origin": "int64", "destination": "int64", "median_min": "float64", "best_min": "float64",
    "departures": "int64", "transfers": "int64", "reachable_share": "float64",
}
EARLIEST_COLUMNS = {
    "origin": "int64", "destination": "int64", "start_min": "int64",
    "arrival_min": "float64", "transfers": "int64",
}


def find_worker_python(explicit: str | Path | None = None) -> Path | None:
    """The Python 3.11 interpreter for the Bus & Bahn worker.

    Parameters
    ----------
    explicit
        Use this interpreter (returned even if it does not exist, so that
        :func:`transit_status` can say so).

    Returns
    -------
    pathlib.Path or None
        ``explicit``, else ``$ERREICHBARKEIT_PT_PYTHON``, else
        ``.venv-pt/bin/python`` beside the running environment if it exists,
        else None.
    """
    if explicit is not None and str(explicit):
        return Path(explicit)
    env = os.environ.get(PYTHON_ENV, "").strip()
    if env:
        return Path(env)
    candidate = Path(sys.prefix).parent / ".venv-pt" / "bin" / "python"
    return candidate if candidate.exists() else None


@dataclass(frozen=True)
class TransitStatus:
    """Whether Bus & Bahn can run, with which interpreter, and why (German)."""

    available: bool
    python: Path | None
    reason_de: str


_status_cache: dict[str, TransitStatus] = {}
_status_lock = threading.Lock()


def transit_status(python: str | Path | None = None) -> TransitStatus:
    """Check once per interpreter that it can import pynigiri, pyarrow and numpy.

    Parameters
    ----------
    python
        Interpreter to check; default: :func:`find_worker_python`.

    Returns
    -------
    TransitStatus
        The (cached, thread-safe) result with a German reason.
    """
    path = find_worker_python(python)
    if path is None:
        return TransitStatus(available=False, python=None, reason_de=_NOT_FOUND_DE)
    key = str(path)
    with _status_lock:
        if key not in _status_cache:
            _status_cache[key] = _probe(path)
        return _status_cache[key]


def _probe(path: Path) -> TransitStatus:
    """Run ``<path> -c "import pynigiri, pyarrow, numpy"`` with a timeout."""
    off = "Bus & Bahn ist ausgeschaltet"
    if not path.exists():
        return TransitStatus(False, path, f"{off}: das Python-Programm {path} gibt es nicht.")
    try:
        proc = subprocess.run(
            [str(path), "-c", "import pynigiri, pyarrow, numpy"],
            capture_output=True, text=True, timeout=_STATUS_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        return TransitStatus(False, path, f"{off}: {path} antwortet nicht (Zeitlimit).")
    except OSError as exc:
        return TransitStatus(False, path, f"{off}: {path} lässt sich nicht starten ({exc}).")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        reason = (f"{off}: in {path} fehlt pynigiri, pyarrow oder numpy ({last}). "
                  "make install legt die Umgebung .venv-pt an.")
        return TransitStatus(False, path, reason)
    return TransitStatus(True, path, f"Bus & Bahn ist bereit (pynigiri in {path}).")


@dataclass
class _Worker:
    """One worker process, its log file and the bytes read ahead from its stdout."""

    proc: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]
    buffer: bytearray = field(default_factory=bytearray)


class _State:
    """What must be cleaned up: worker processes and the temporary folder."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.workers: list[_Worker] = []

    def close(self) -> None:
        """Stop and reap all workers, then remove the temporary folder (idempotent)."""
        for worker in self.workers:
            _stop(worker)
        self.workers = []
        shutil.rmtree(self.tmp, ignore_errors=True)


def _stop(worker: _Worker) -> None:
    proc = worker.proc
    if proc.poll() is None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(b'{"cmd": "quit"}\n')
            proc.stdin.flush()
        except (OSError, ValueError):
            pass
        try:
            proc.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):  # a dead worker's stdin: broken pipe
                stream.close()
    worker.log_file.close()


def _log_tail(worker: _Worker) -> str:
    try:
        text = worker.log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-_LOG_TAIL_CHARS:].strip()


def local_to_epoch(day: dt.date, local_min: int, tz: ZoneInfo) -> int:
    """UTC epoch minutes of a wall-clock minute after local midnight of ``day``.

    ``420`` is 07:00 on the clock also on a day of a clock change.
    """
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=int(local_min))
    return int(naive.replace(tzinfo=tz).timestamp()) // 60


def epoch_to_local(day: dt.date, epoch_min: float, tz: ZoneInfo) -> float:
    """Wall-clock minutes after local midnight of ``day`` (beyond 1440 the next day; NaN stays)."""
    if not np.isfinite(epoch_min):
        return float("nan")
    when = dt.datetime.fromtimestamp(int(epoch_min) * 60, tz)
    return float((when.date() - day).days * 1440 + when.hour * 60 + when.minute)


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} table lacks column(s) {missing}"
        raise RoutingError(
            msg, expected=", ".join(columns),
            message_de=f"Der Tabelle {name} fehlen Spalten: {', '.join(missing)}.",
        )


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def _offsets(frame: pd.DataFrame, key: str, name: str) -> pd.DataFrame:
    """Clean access/egress table: ``key, feed, stop_id, walk_min`` with plain dtypes."""
    _require(frame, [key, "feed", "stop_id", "walk_min"], name)
    walk = pd.to_numeric(frame["walk_min"], errors="coerce")
    if bool(walk.isna().any()) or bool((walk < 0).any()):
        msg = f"{name}: walk_min must be a number >= 0"
        raise RoutingError(msg, column="walk_min",
                           message_de=f"{name}: Fußweg-Minuten müssen Zahlen ≥ 0 sein.")
    return pd.DataFrame({
        key: frame[key].astype("int64").to_numpy(),
        "feed": frame["feed"].astype("int64").to_numpy(),
        "stop_id": frame["stop_id"].astype(str).to_numpy(),
        "walk_min": np.ceil(walk.to_numpy(dtype="float64")).astype("int64"),
    })


def _balance(origins: pd.Series, parts: int) -> list[np.ndarray]:
    """Split the distinct origins over ``parts`` groups with about equal numbers of rows."""
    counts = origins.value_counts()
    groups: list[list[int]] = [[] for _ in range(max(1, min(parts, len(counts))))]
    load = [0] * len(groups)
    for origin, count in counts.items():  # largest first
        i = load.index(min(load))
        groups[i].append(int(origin))  # type: ignore[call-overload]
        load[i] += int(count)
    return [np.asarray(g, dtype="int64") for g in groups if g]


class TransitEngine:
    """Timetable routing (Bus & Bahn) with pynigiri worker processes.

    Parameters
    ----------
    feeds
        GTFS feeds (zip files or folders); the position is the ``feed`` index
        used in the access/egress tables.
    day
        The service day; the worker loads ``[day - 1, day + 2)`` so trips past
        midnight are covered.
    python
        The worker's Python 3.11 interpreter (default: :func:`find_worker_python`).
    tz
        Time zone of the local minutes at this interface.
    workers
        Number of worker processes; each loads the timetable itself.
    max_transfers
        Most transfers a journey may have.

    Raises
    ------
    RoutingError
        When Bus & Bahn is unavailable or the timetable cannot be loaded.
    """

    def __init__(
        self, feeds: Sequence[Path], day: dt.date, *, python: str | Path | None = None,
        tz: str = "Europe/Berlin", workers: int = 1, max_transfers: int = 6,
    ) -> None:
        status = transit_status(python)
        if not status.available or status.python is None:
            msg = f"public transport unavailable (worker python: {status.python})"
            raise RoutingError(msg, message_de=status.reason_de)
        if workers < 1 or max_transfers < 0:
            msg = f"workers must be >= 1 and max_transfers >= 0, got {workers}, {max_transfers}"
            raise RoutingError(msg, message_de="Bus & Bahn: ungültige Einstellung "
                               f"(workers={workers}, max_transfers={max_transfers}).")
        self.feeds = [Path(f).resolve() for f in feeds]
        for feed in self.feeds:
            if not feed.exists():
                msg = f"GTFS feed not found: {feed}"
                raise RoutingError(msg, file=feed,
                                   message_de=f"Fahrplandatei (GTFS) nicht gefunden: {feed}")
        self.day = day
        self.tz = ZoneInfo(tz)
        self.python = status.python
        self._lock = threading.Lock()
        self._warned: set[tuple[int, str]] = set()
        self._seq = 0
        self._state = _State(Path(tempfile.mkdtemp(prefix="erreichbarkeit-pt-")))
        self._finalizer = weakref.finalize(self, self._state.close)
        try:
            self._start(workers, max_transfers)
        except BaseException:
            self.close()
            raise

    # -- lifecycle ------------------------------------------------------------------

    def _start(self, workers: int, max_transfers: int) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        for i in range(workers):
            log = self._state.tmp / f"worker-{i}.log"
            log_file = log.open("wb")
            proc = subprocess.Popen(
                [str(self.python), str(WORKER_SCRIPT)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log_file, cwd=self._state.tmp, env=env,
            )
            self._state.workers.append(_Worker(proc, log, log_file))
        request = {"cmd": "load", "feeds": [str(f) for f in self.feeds],
                   "day": self.day.isoformat(), "max_transfers": max_transfers}
        replies = self._run([(w, request) for w in self._state.workers], _LOAD_TIMEOUT_S,
                            what="loading the timetable")
        first = replies[0]
        self.load_seconds = max(float(r["seconds"]) for r in replies)
        logger.info("Bus & Bahn: %d worker(s) loaded %d feed(s) for %s in %.2f s "
                    "(%d locations, %d transports)", workers, len(self.feeds), self.day,
                    self.load_seconds, first["locations"], first["transports"])
        if int(first["transports"]) == 0:
            logger.warning("Bus & Bahn: the timetable has no trips around %s", self.day)

    def close(self) -> None:
        """Stop the worker processes and remove the temporary folder."""
        self._finalizer()

    def __enter__(self) -> TransitEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if not self._state.workers:
            msg = "the transit engine is closed (or a worker failed earlier)"
            raise RoutingError(msg, message_de="Bus & Bahn ist beendet: bitte neu starten.")

    @property
    def temp_dir(self) -> Path:
        """The private temporary folder (logs and exchange files)."""
        return self._state.tmp

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [w.proc.pid for w in self._state.workers]

    # -- protocol -------------------------------------------------------------------

    def _run(self, jobs: Sequence[tuple[_Worker, dict[str, Any]]], timeout: float | None,
             *, what: str) -> list[dict[str, Any]]:
        """Send every job, then collect one reply per job (the workers run concurrently)."""
        for worker, request in jobs:
            try:
                assert worker.proc.stdin is not None
                worker.proc.stdin.write(json.dumps(request).encode() + b"\n")
                worker.proc.stdin.flush()
            except OSError:
                pass  # the worker died; _receive reports it with its log
        replies, errors = [], []
        try:
            for worker, _ in jobs:
                reply = _receive(worker, timeout)
                if not reply.get("ok"):
                    errors.append((worker, str(reply.get("error", "worker failed"))))
                replies.append(reply)
        except BaseException:
            self._state.close()  # replies of the other workers would be out of step
            raise
        if errors:
            worker, error = errors[0]
            msg = f"{what} failed: {error}\n--- worker log (tail) ---\n{_log_tail(worker)}"
            raise RoutingError(msg, message_de=f"Bus & Bahn: Fehler beim {_WHAT_DE.get(what, what)}"
                               f" ({error}). Einzelheiten stehen im Protokoll.")
        self._note_unknown(replies)
        return replies

    def _note_unknown(self, replies: Sequence[dict[str, Any]]) -> None:
        """Log stop ids missing from the timetable, each only once per engine."""
        new = {(int(f), str(s)) for r in replies for f, s in r.get("unknown", [])} - self._warned
        total = max((int(r.get("unknown_count", 0)) for r in replies), default=0)
        if new:
            self._warned |= new
            logger.warning("Bus & Bahn: %d stop(s) not in the timetable, ignored (e.g. %s)",
                           total, sorted(new)[:5])

    def _path(self, name: str) -> Path:
        self._seq += 1
        return self._state.tmp / f"{self._seq:06d}-{name}.parquet"

    def _write(self, frame: pd.DataFrame, name: str) -> str:
        target = self._path(name)
        with atomic_path(target) as tmp:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
        return str(target)

    # -- queries --------------------------------------------------------------------

    def _dispatch(self, access: pd.DataFrame, egress: pd.DataFrame, rows: pd.DataFrame,
                  name: str, extra: dict[str, Any]) -> pd.DataFrame:
        """Split ``rows`` over the workers by origin, run them, concatenate the results."""
        self._check_open()
        jobs: list[tuple[_Worker, dict[str, Any]]] = []
        for origins in _balance(rows["origin"], len(self._state.workers)):
            part = rows[rows["origin"].isin(origins)]
            request = {
                **extra,
                "access": self._write(access[access["origin"].isin(origins)], "access"),
                "egress": self._write(
                    egress[egress["destination"].isin(part["destination"])], "egress"),
                name: self._write(part, name),
                "out": str(self._path("result")),
            }
            jobs.append((self._state.workers[len(jobs)], request))
        replies = self._run(jobs, None, what=f"{name} query")
        frames = []
        for _, request in jobs:
            out = Path(request["out"])
            frames.append(pd.read_parquet(out))
            for key in ("access", "egress", name, "out"):
                Path(request[key]).unlink(missing_ok=True)
        logger.debug("Bus & Bahn: %d %s row(s) in %s s", len(rows), name,
                     [r["seconds"] for r in replies])
        return pd.concat(frames, ignore_index=True)

    def range_matrix(self, access: pd.DataFrame, egress: pd.DataFrame, pairs: pd.DataFrame,
                     window: tuple[int, int], max_minutes: int) -> pd.DataFrame:
        """Door-to-door travel times over a departure window, one row per pair.

        Parameters
        ----------
        access
            ``origin, feed, stop_id, walk_min``: walk from the origin to the stop.
        egress
            ``destination, feed, stop_id, walk_min``: walk from the stop to the destination.
        pairs
            ``origin, destination`` to compute.
        window
            ``[start, end)`` departure minutes after local midnight of ``day``.
        max_minutes
            Longer travel times count as unreachable.

        Returns
        -------
        pandas.DataFrame
            ``origin, destination, median_min, best_min, departures, transfers,
            reachable_share`` in the order of ``pairs`` (see
            :func:`~erreichbarkeit.network.transit.worker.summarise`).  The
            travel time per departure minute includes waiting, both walks and
            transfers; stops that are both access and egress stops of a pair
            are left out (walking only is the street router's job).
        """
        if window[1] <= window[0] or max_minutes <= 0:
            msg = f"empty window {window} or max_minutes {max_minutes} <= 0"
            raise RoutingError(msg, message_de=f"Bus & Bahn: ungültiges Zeitfenster {window} "
                               f"oder Höchstdauer {max_minutes} Minuten.")
        acc = _offsets(access, "origin", "access")
        egr = _offsets(egress, "destination", "egress")
        _require(pairs, ["origin", "destination"], "pairs")
        todo = pairs[["origin", "destination"]].astype("int64").drop_duplicates()
        if todo.empty:
            return _empty(RANGE_COLUMNS)
        extra = {"cmd": "range", "t0": local_to_epoch(self.day, window[0], self.tz),
                 "t1": local_to_epoch(self.day, window[1], self.tz),
                 "max_minutes": int(max_minutes)}
        with self._lock:
            result = self._dispatch(acc, egr, todo, "pairs", extra)
        ordered = pairs[["origin", "destination"]].astype("int64").merge(
            result, on=["origin", "destination"], how="left")
        return ordered.astype(RANGE_COLUMNS)[list(RANGE_COLUMNS)]

    def earliest_arrival(self, access: pd.DataFrame, egress: pd.DataFrame, trips: pd.DataFrame,
                         max_minutes: int) -> pd.DataFrame:
        """Earliest arrival for trips that leave no earlier than ``start_min``.

        Parameters
        ----------
        access, egress
            As for :meth:`range_matrix`.
        trips
            ``origin, destination, start_min`` (minutes after local midnight).
        max_minutes
            Arrivals later than ``start_min + max_minutes`` count as none.

        Returns
        -------
        pandas.DataFrame
            ``origin, destination, start_min, arrival_min`` (minutes after local
            midnight of ``day``, beyond 1440 on the next day; NaN if none) and
            ``transfers`` (-1 if none), in the order of ``trips``.
        """
        acc = _offsets(access, "origin", "access")
        egr = _offsets(egress, "destination", "egress")
        _require(trips, ["origin", "destination", "start_min"], "trips")
        keys = trips[["origin", "destination", "start_min"]].astype("int64")
        todo = keys.drop_duplicates()
        if todo.empty:
            return _empty(EARLIEST_COLUMNS)
        todo = todo.assign(start=[local_to_epoch(self.day, m, self.tz) for m in todo["start_min"]])
        extra = {"cmd": "earliest", "max_minutes": int(max_minutes)}
        with self._lock:
            result = self._dispatch(acc, egr, todo.drop(columns="start_min"), "trips", extra)
        result["arrival_min"] = [epoch_to_local(self.day, a, self.tz) for a in result["arrival"]]
        result = result.merge(todo, on=["origin", "destination", "start"])
        ordered = keys.merge(result.drop(columns=["start", "arrival"]),
                             on=["origin", "destination", "start_min"], how="left")
        return ordered.astype(EARLIEST_COLUMNS)[list(EARLIEST_COLUMNS)]

    def stop_status(self, stops: pd.DataFrame) -> pd.Series:
        """Whether each ``(feed, stop_id)`` is in the timetable (index of ``stops``)."""
        _require(stops, ["feed", "stop_id"], "stops")
        if stops.empty:
            return pd.Series([], index=stops.index, dtype=bool, name="found")
        table = pd.DataFrame({"feed": stops["feed"].astype("int64").to_numpy(),
                              "stop_id": stops["stop_id"].astype(str).to_numpy()})
        with self._lock:
            self._check_open()
            request = {"cmd": "stops", "stops": self._write(table, "stops"),
                       "out": str(self._path("result"))}
            self._run([(self._state.workers[0], request)], None, what="stop lookup")
            found = pd.read_parquet(request["out"])["found"].to_numpy(dtype=bool)
            for key in ("stops", "out"):
                Path(request[key]).unlink(missing_ok=True)
        return pd.Series(found, index=stops.index, dtype=bool, name="found")


_WHAT_DE = {
    "loading the timetable": "Laden des Fahrplans",
    "pairs query": "Berechnen der Fahrzeiten",
    "trips query": "Berechnen der Rückfahrten",
    "stop lookup": "Suchen der Haltestellen",
}


def _receive(worker: _Worker, timeout: float | None) -> dict[str, Any]:
    """Read one JSON reply line from a worker (raises RoutingError if it died or hangs)."""
    stdout = worker.proc.stdout
    assert stdout is not None
    fd = stdout.fileno()
    deadline = None if timeout is None else time.monotonic() + timeout
    while b"\n" not in worker.buffer:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], wait)
        chunk = os.read(fd, 65536) if ready else None
        if not chunk:
            if chunk is None:
                worker.proc.kill()
            worker.proc.wait()
            state = "timed out" if chunk is None else f"exited ({worker.proc.returncode})"
            msg = f"Bus & Bahn worker {state}\n--- worker log (tail) ---\n{_log_tail(worker)}"
            raise RoutingError(msg, message_de="Bus & Bahn: das Fahrplan-Programm ist "
                               "unerwartet beendet worden. Einzelheiten stehen im Protokoll.")
        worker.buffer.extend(chunk)
    line, _, rest = bytes(worker.buffer).partition(b"\n")
    worker.buffer[:] = rest
    reply: dict[str, Any] = json.loads(line)
    return reply
