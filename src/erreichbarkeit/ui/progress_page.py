"""The German progress page of a region's first evaluation (Streamlit).

A region not in the shared cache runs its pipeline in a worker thread
(:class:`ColdRun`, one per region key and server process: a second session,
or a planner coming back, sees the same run).  A result ready within
:data:`QUICK_SECONDS` (a stored run) shows nothing; otherwise the main area
shows only the progress page – the phases done / running / pending, the
bar, the elapsed time and an estimate of the time left – and the old
region's greyed-out elements are hidden.  The estimate comes from measured
phase durations of earlier runs, recorded per region in
``<cache_dir>/laufzeiten`` (:func:`estimate_remaining`), else it reads
„Schätzung folgt …“.  Only :func:`run_with_progress`, :func:`render_page`
and :func:`cold_run` use Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import ProgressCallback, Settings, step_de
from erreichbarkeit.network.routing import NETWORK_STEP
from erreichbarkeit.pipeline._steps import READ_STEP
from erreichbarkeit.results import Results

__all__ = [
    "QUICK_SECONDS",
    "ColdRun",
    "Estimate",
    "Phase",
    "RunTracker",
    "Snapshot",
    "cold_run",
    "duration_text",
    "estimate_remaining",
    "load_history",
    "phase_of",
    "render_page",
    "run_phases",
    "run_with_progress",
    "save_history",
]

logger = logging.getLogger(__name__)

#: A run that ends within this many seconds (a stored result) shows no progress page.
QUICK_SECONDS = 1.0
#: How often the page is redrawn while the run goes on (elapsed time, estimate).
REFRESH_SECONDS = 0.5
#: The folder below the cache folder with the phase durations of earlier runs.
HISTORY_FOLDER = "laufzeiten"

# -- German texts (texts.py is shared; these belong to this page only) -----------------------

TITLE = "Region „{region}“ wird ausgewertet"
EXPLANATION = (
    "Diese Region wird zum ersten Mal ausgewertet: Straßennetze werden vorbereitet und die "
    "Reisezeiten von jedem Ort zu jedem Angebot berechnet. Das kann einige Minuten dauern. "
    "Die Ergebnisse werden gespeichert – spätere Aufrufe dieser Region dauern nur Sekunden."
)
STARTING = "Gespeicherte Ergebnisse werden gesucht …"
ELAPSED = "Bisher: {elapsed}"
ESTIMATE = "Schätzung: noch etwa {left} ({basis})"
ESTIMATE_LATER = "Schätzung: folgt …"
BASIS_OWN = "nach der letzten Auswertung dieser Region"
BASIS_OTHER = "nach dem bisherigen Verlauf und früheren Auswertungen"
STEP_OF = "Schritt {n} von {total}"
SKIPPED = "entfällt"
SAVE_STEP = "Ergebnisse speichern"

# Hiding the old region while its successor is computed (checked in headless Chromium):
# Streamlit greys out the elements of the previous script run until the new run
# replaces or removes them; element containers carry ``data-stale``, blocks
# (columns, expanders) do not, so a block counts as old when all its elements are.
# The rules apply while the marker beside them belongs to the running script run
# (its container not stale): from the next run on they are off by themselves.
_RUN_MARK = "erreichbarkeit-erstlauf"
_PAGE_MARK = "erreichbarkeit-fortschritt"
_THIS_RUN = f'body:has([data-stale="false"] .{_RUN_MARK})'
_OLD_BLOCK = (
    '[data-testid="stLayoutWrapper"]:has([data-stale="true"]):not(:has([data-stale="false"]))'
)
HIDE_OLD_CSS = (
    f'<span class="{_RUN_MARK}"></span><style>'
    f'[data-testid="stLayoutWrapper"]:has(.{_PAGE_MARK}) ~ *, '
    f'[data-testid="stElementContainer"]:has(.{_RUN_MARK}) {{display: none !important;}}\n'
    f'{_THIS_RUN} [data-stale="true"], {_THIS_RUN} {_OLD_BLOCK} {{display: none !important;}}'
    "</style>"
)

# The pipeline's step names (pipeline/, network/, analysis/grid/) this page maps to phases.
_DONE_STEP = "fertig"
_MATRIX_STEP = "Reisezeiten berechnen"
_KPI_STEP = "Kennzahlen"
_SUPPLY_STEP = "Versorgung"
_GRID_WORD = "Raster"
_NETWORK_WORD = "Straßennetz"  # also the GIS line layer's conversion while reading
_TIMETABLE_STEP = "Fahrplan laden"  # Bus & Bahn's worker, started after the networks


@dataclass(frozen=True)
class Phase:
    """One phase of a run as the planner sees it: a key and its German label."""

    key: str
    label: str


_PHASES: Mapping[str, str] = {
    "read": "Eingabedaten lesen",
    "networks": "Straßennetze vorbereiten",
    "times": "Reisezeiten berechnen",
    "pt": "Bus & Bahn",
    "indicators": "Kennzahlen",
    "supply": "Versorgung",
    "grid": "Raster",
    "save": SAVE_STEP,
}


def run_phases(settings: Settings) -> tuple[Phase, ...]:
    """The phases a run of ``settings`` goes through, in order.

    Bus & Bahn only with ``pt`` among the modes, the grid only with a grid cell size.
    """
    keys = ["read", "networks"]
    if settings.road_modes:
        keys.append("times")
    if "pt" in settings.modes:
        keys.append("pt")
    keys += ["indicators", "supply"]
    if settings.grid_cell_m is not None:
        keys.append("grid")
    keys.append("save")
    return tuple(Phase(k, _PHASES[k]) for k in keys)


def _matrix_mode(modes: Sequence[str], done: int, total: int) -> str | None:
    """The mode the travel-time step works on at report ``done`` of ``total`` (``None``: end).

    The step reports once per mode of the run; a run without Bus & Bahn
    (the timetable worker is missing) reports one mode fewer than ``modes``.
    """
    effective = list(modes) if total == len(modes) else [m for m in modes if m != "pt"]
    return effective[done] if 0 <= done < min(total, len(effective)) else None


#: Step names to phases, the first match wins (the grid's CH networks before the networks).
_STEP_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda s: s == _DONE_STEP, "save"),
    (lambda s: _GRID_WORD in s, "grid"),
    (lambda s: s.startswith((NETWORK_STEP, _TIMETABLE_STEP)), "networks"),
    (lambda s: s == READ_STEP or s.startswith(_NETWORK_WORD), "read"),
    (lambda s: s.startswith(_KPI_STEP), "indicators"),
    (lambda s: s.startswith(_SUPPLY_STEP), "supply"),
)


def phase_of(step: str, done: int, total: int, modes: Sequence[str]) -> str | None:
    """The phase key of a ``progress(step, done, total)`` report (``None``: end or unknown).

    ``modes`` are the settings' modes, the order of the travel-time reports.
    """
    if step == _MATRIX_STEP:
        mode = _matrix_mode(modes, done, total)
        return None if mode is None else "pt" if mode == "pt" else "times"
    return next((key for match, key in _STEP_RULES if match(step)), None)


@dataclass(frozen=True)
class Snapshot:
    """The state of a run at one moment (what the page draws).

    Attributes
    ----------
    phases
        The run's phases in order.
    states
        Per phase key: ``done``, ``running``, ``pending`` or ``skipped``.
    seconds
        Measured seconds of the finished phases (skipped ones: 0).
    running_seconds
        Seconds the running phase has taken so far.
    partial
        Fraction (0–1) of the running phase done, as far as its steps tell.
    detail
        The German text of the last step reported (empty before the first).
    elapsed
        Seconds since the run started.
    """

    phases: tuple[Phase, ...]
    states: Mapping[str, str]
    seconds: Mapping[str, float]
    running_seconds: float
    partial: float
    detail: str
    elapsed: float

    @property
    def running(self) -> str | None:
        """The running phase's key (``None`` before the first step and after the end)."""
        return next((p.key for p in self.phases if self.states[p.key] == "running"), None)

    def fraction(self) -> float:
        """Overall fraction of the phases done (0–1), counting the running one partly."""
        n = len(self.phases)
        finished = sum(self.states[p.key] in ("done", "skipped") for p in self.phases)
        part = self.partial if self.running is not None else 0.0
        return min((finished + part) / n, 1.0) if n else 0.0


class RunTracker:
    """The progress callback of a run of ``settings``: phases and their durations (thread-safe).

    ``clock`` gives monotonic seconds (a test passes its own).
    """

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.phases = run_phases(settings)
        self._keys = [p.key for p in self.phases]
        self._modes = tuple(settings.modes)
        walk = {"walk"} if "pt" in settings.modes else set()  # Bus & Bahn's walk legs
        self._networks = len(set(settings.road_modes) | walk) or 1
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._index = -1  # the running phase's position; -1 before the first step
        self._phase_started = self._started
        self._seconds: dict[str, float] = {}
        self._skipped: set[str] = set()
        self._partial = 0.0
        self._detail = ""
        self._net_seen: list[str] = []
        self._finished: float | None = None
        self.computed = False  # a phase before saving ran: not a stored result

    def __call__(self, step: str, done: int, total: int) -> None:
        """Record one ``progress(step, done, total)`` report of the pipeline."""
        key = phase_of(step, done, total, self._modes)
        with self._lock:
            if self._finished is not None:
                return
            if key is not None and key in self._keys and self._keys.index(key) > self._index:
                self._enter(self._keys.index(key))
            if key != "save":
                self._detail = step_de(step)
                self.computed = True
            self._partial = max(self._partial, self._part(key, step, done, total))

    def _enter(self, index: int) -> None:
        """Start the phase at ``index``; the running one is done, those between are skipped."""
        now = self._clock()
        if self._index >= 0:
            self._seconds[self._keys[self._index]] = now - self._phase_started
        for k in self._keys[max(self._index + 1, 0) : index]:
            self._seconds[k] = 0.0
            self._skipped.add(k)
        self._index = index
        self._phase_started = now
        self._partial = 0.0

    def _part(self, key: str | None, step: str, done: int, total: int) -> float:
        """The running phase's fraction done after this report."""
        if self._index < 0 or key != self._keys[self._index] or total <= 0:
            return 0.0
        if key in ("pt", "save"):  # one unit each: their reports tell nothing about the rest
            return 0.0
        if key == "networks":
            if step not in self._net_seen:
                self._net_seen.append(step)
            before = len(self._net_seen) - 1
            return min((before + done / total) / self._networks, 1.0)
        if key == "grid":  # the routing of the cells is the long part of the grid
            return min(done / total, 1.0) if step.startswith("Reisezeiten") else 0.0
        if key == "times":
            road = [m for m in self._modes if m != "pt"]
            mode = _matrix_mode(self._modes, done, total)
            at = road.index(mode) if mode in road else 0
            return at / len(road) if road else 0.0
        return min(done / total, 1.0)

    def finish(self) -> None:
        """The run has ended: every phase is done (those never reached are skipped)."""
        with self._lock:
            if self._finished is None:
                self._enter(len(self._keys))
                self._finished = self._clock()

    def durations(self) -> dict[str, float]:
        """Seconds per phase of a finished run (rounded to 0.1 s)."""
        with self._lock:
            return {k: round(v, 1) for k, v in self._seconds.items()}

    def snapshot(self) -> Snapshot:
        """The run's state now."""
        with self._lock:
            now = self._finished if self._finished is not None else self._clock()
            states: dict[str, str] = {}
            for i, k in enumerate(self._keys):
                if i < self._index:
                    states[k] = "skipped" if k in self._skipped else "done"
                else:
                    states[k] = "running" if i == self._index else "pending"
            return Snapshot(
                phases=self.phases,
                states=states,
                seconds=dict(self._seconds),
                running_seconds=now - self._phase_started if self._index >= 0 else 0.0,
                partial=self._partial,
                detail=self._detail,
                elapsed=now - self._started,
            )


# -- estimate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """Seconds left and what they are based on (German); ``seconds`` ``None``: no basis yet."""

    seconds: float | None
    basis: str = ""


def estimate_remaining(
    snap: Snapshot,
    own: Mapping[str, float] | None,
    other: Mapping[str, float] | None,
) -> Estimate:
    """The seconds a run still needs, from measured durations only.

    Parameters
    ----------
    snap
        The run's state.
    own
        Seconds per phase of this region's last run (``None``: none recorded).
        Used when it has every phase still to come: the remaining phases'
        seconds, scaled by how much faster or slower the finished phases
        went this time (``s`` = their seconds now / then), minus what the
        running phase has taken so far (at least 0).
    other
        Seconds per phase of another region's run.  Its shares of the total
        weight the phases; the time left is ``elapsed × (1 − F) / F`` with
        ``F`` the weighted fraction done (the running phase counted by its
        steps).  Needs at least one finished phase.

    Returns
    -------
    Estimate
        ``seconds`` ``None`` when neither basis applies (yet).
    """
    running = snap.running
    if running is None:
        return Estimate(None)
    keys = [p.key for p in snap.phases]
    done = [k for k in keys if snap.states[k] == "done"]
    pending = [k for k in keys if snap.states[k] == "pending"]
    if own is not None and all(k in own for k in (running, *pending)):
        then = sum(own.get(k, 0.0) for k in done)
        now = sum(snap.seconds.get(k, 0.0) for k in done if k in own)
        scale = now / then if then > 0 and now > 0 else 1.0
        left = max(scale * own[running] - snap.running_seconds, 0.0)
        left += scale * sum(own[k] for k in pending)
        return Estimate(left, BASIS_OWN)
    if other is not None and done and all(k in other for k in keys):
        total = sum(other[k] for k in keys)
        frac = (sum(other[k] for k in done) + other[running] * snap.partial) / total if total else 0
        if frac > 0:
            return Estimate(snap.elapsed * (1.0 - frac) / frac, BASIS_OTHER)
    return Estimate(None)


def duration_text(seconds: float) -> str:
    """German duration: ``8 s``, ``1 min 05 s``; from ten minutes on whole minutes."""
    s = max(round(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{round(s / 60)} min"


def left_text(seconds: float) -> str:
    """German time left, rounded (to 5 s below a minute, 10 s below ten minutes, else 1 min)."""
    step = 5 if seconds < 60 else 10 if seconds < 600 else 60
    return duration_text(max(round(seconds / step) * step, step))


# -- history of earlier runs (in the cache folder) ------------------------------------------


def _history_file(cache_dir: Path, region_file: str) -> Path:
    digest = hashlib.sha256(region_file.encode()).hexdigest()[:16]
    return cache_dir / HISTORY_FOLDER / f"{digest}.json"


def save_history(cache_dir: Path, region_file: str, seconds: Mapping[str, float]) -> None:
    """Record the phase durations of a region's run (atomically, one file per region)."""
    record = {"region": region_file, "finished": time.time(), "seconds": dict(seconds)}
    target = _history_file(cache_dir, region_file)
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8")


def load_history(
    cache_dir: Path, region_file: str
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """This region's last recorded durations and the latest of another region (or ``None``)."""
    own: dict[str, float] | None = None
    other: tuple[float, dict[str, float]] | None = None
    for path in sorted((cache_dir / HISTORY_FOLDER).glob("*.json")):
        try:
            record: dict[str, Any] = json.loads(path.read_text("utf-8"))
            seconds = {str(k): float(v) for k, v in record["seconds"].items()}
            finished = float(record["finished"])
            region = str(record["region"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            logger.debug("unreadable run durations %s", path)
            continue
        if region == region_file:
            own = seconds
        elif other is None or finished > other[0]:
            other = (finished, seconds)
    return own, other[1] if other else None


# -- the run in a worker thread, shared by the sessions ------------------------------------


class ColdRun:
    """A region's pipeline run in a worker thread, shared by the sessions that wait for it.

    A planner switching away does not stop it (the result lands in the
    shared cache); one that comes back sees its progress.  A finished or
    failed run is started again on the next :meth:`start`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._future: Future[Results] | None = None
        self._tracker: RunTracker | None = None

    def start(
        self,
        settings: Settings,
        work: Callable[[ProgressCallback], Results],
        record: Callable[[RunTracker], None],
    ) -> tuple[Future[Results], RunTracker]:
        """The running run, or a new one of ``work(progress)``; ``record`` sees it end."""
        with self._lock:
            if self._future is None or self._tracker is None or self._future.done():
                tracker, future = RunTracker(settings), Future[Results]()

                def job() -> None:
                    try:
                        results = work(tracker)
                        tracker.finish()
                        record(tracker)
                    except Exception as exc:  # raised again in the waiting script
                        future.set_exception(exc)
                    else:
                        future.set_result(results)

                # A daemon thread, unlike an executor's, does not hold up the server's exit.
                threading.Thread(target=job, name="region-run", daemon=True).start()
                self._future, self._tracker = future, tracker
            return self._future, self._tracker


@st.cache_resource(show_spinner=False, max_entries=8)
def cold_run(region_file: str, mtime: float, settings_key: str) -> ColdRun:
    """The worker of a region's run (keyed like :func:`erreichbarkeit.ui.cache.run_slot`)."""
    return ColdRun()


def _recorder(cache_dir: Path, region_file: str) -> Callable[[RunTracker], None]:
    """Save a computed run's phase durations (a stored result is not a measurement)."""

    def record(tracker: RunTracker) -> None:
        if not tracker.computed:
            return
        try:
            save_history(cache_dir, region_file, tracker.durations())
        except OSError as exc:
            logger.warning("Laufzeiten konnten nicht gespeichert werden: %s", exc)

    return record


# -- the page ---------------------------------------------------------------------------------


def _phase_line(phase: Phase, snap: Snapshot) -> str:
    """One Markdown line of the phase list (Streamlit's own icon font: no emoji font needed)."""
    state = snap.states[phase.key]
    if state == "done":
        took = duration_text(snap.seconds.get(phase.key, 0.0))
        return f"- :green[:material/check_circle:] {phase.label} :gray[({took})]"
    if state == "skipped":
        return f"- :gray[:material/remove: {phase.label} ({SKIPPED})]"
    if state == "running":
        detail = f" – {snap.detail}" if snap.detail and snap.detail != phase.label else ""
        return f"- :blue[:material/pending:] **{phase.label}**{detail} :gray[(läuft)]"
    return f"- :gray[:material/radio_button_unchecked: {phase.label}]"


def page_lines(snap: Snapshot, estimate: Estimate) -> tuple[str, str, str]:
    """The phase list (Markdown), the bar's text and the time line of the page."""
    phases = "\n".join(_phase_line(p, snap) for p in snap.phases)
    running = snap.running
    keys = [p.key for p in snap.phases]
    n = keys.index(running) + 1 if running is not None else len(keys)
    bar = STEP_OF.format(n=n, total=len(keys)) if snap.detail else STARTING
    left = (
        ESTIMATE.format(left=left_text(estimate.seconds), basis=estimate.basis)
        if estimate.seconds is not None
        else ESTIMATE_LATER
    )
    return phases, bar, f"{ELAPSED.format(elapsed=duration_text(snap.elapsed))} · {left}"


def render_page(place: Any, region_label: str, snap: Snapshot, estimate: Estimate) -> None:
    """Draw the progress page into an ``st.empty`` placeholder (replacing what it held)."""
    phases, bar, times = page_lines(snap, estimate)
    with place.container():
        st.subheader(TITLE.format(region=region_label))
        st.markdown(f'{EXPLANATION}<span class="{_PAGE_MARK}"></span>', unsafe_allow_html=True)
        st.markdown(phases)
        st.progress(snap.fraction(), text=bar)
        st.caption(times)


def run_with_progress(
    region_label: str,
    key: tuple[str, float, str],
    settings: Settings,
    work: Callable[[ProgressCallback], Results],
) -> Results:
    """Run ``work(progress)`` for a region, with the progress page unless it is quick.

    Parameters
    ----------
    region_label
        The region's name in the title.
    key
        Region file, its mtime and the settings digest (the shared-cache key).
    settings
        The region's settings (phases; the cache folder for the durations).
    work
        Computes or loads the run, reporting to the callback it is given.

    Raises
    ------
    ErreichbarkeitError
        Whatever the run raises (the caller shows the German message).
    """
    cache_dir = Path(settings.cache_dir)
    future, tracker = cold_run(*key).start(settings, work, _recorder(cache_dir, key[0]))
    if wait([future], timeout=QUICK_SECONDS).done:
        return future.result()
    own, other = load_history(cache_dir, key[0])
    st.markdown(HIDE_OLD_CSS, unsafe_allow_html=True)  # the old region: hidden in this run
    place = st.empty()
    try:
        while True:
            snap = tracker.snapshot()
            render_page(place, region_label, snap, estimate_remaining(snap, own, other))
            if wait([future], timeout=REFRESH_SECONDS).done:
                return future.result()
    finally:
        place.empty()
