"""The progress page of a region's first run: phases, tracking, estimate, texts, page.

Pure logic with hand-computed values (a fake clock, hand-made snapshots)
and two AppTests of the drawn page.  The real page in a browser during a
cold run is ``tests/test_browser_progress.py``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from erreichbarkeit.config import Settings, step_de
from erreichbarkeit.network.routing import network_step
from erreichbarkeit.ui import progress_page as pp
from erreichbarkeit.ui.progress_page import (
    Estimate,
    RunTracker,
    Snapshot,
    duration_text,
    estimate_remaining,
    left_text,
    load_history,
    page_lines,
    phase_of,
    run_phases,
    save_history,
)

ALL = ("car", "bike", "walk", "pt")


def _settings(modes: tuple[str, ...], *, grid: float | None = None) -> Settings:
    gtfs = (Path("fahrplan.gtfs.zip"),) if "pt" in modes else ()
    return Settings(modes=modes, gtfs=gtfs, grid_cell_m=grid)


# -- phases -------------------------------------------------------------------------------


def test_network_steps_name_the_mode_in_german() -> None:
    assert network_step("car") == "Straßennetz vorbereiten (Auto)"
    assert network_step("walk") == "Straßennetz vorbereiten (zu Fuß)"
    assert network_step("bike") == "Straßennetz vorbereiten (Fahrrad)"


def test_step_text_turns_mode_ids_into_german_names() -> None:
    assert step_de("Netz vorbereiten (car)") == "Netz vorbereiten (Auto)"
    assert step_de("Fahrplan (pt)") == "Fahrplan (Bus & Bahn)"
    assert step_de("Kennzahlen") == "Kennzahlen"


def test_run_phases_follow_the_settings() -> None:
    keys = [p.key for p in run_phases(_settings(ALL, grid=250.0))]
    assert keys == ["read", "networks", "times", "pt", "indicators", "supply", "grid", "save"]
    keys = [p.key for p in run_phases(_settings(("car",)))]
    assert keys == ["read", "networks", "times", "indicators", "supply", "save"]
    labels = [p.label for p in run_phases(_settings(("walk", "pt")))]
    assert labels == [
        "Eingabedaten lesen", "Straßennetze vorbereiten", "Reisezeiten berechnen",
        "Bus & Bahn", "Kennzahlen", "Versorgung", "Ergebnisse speichern",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "done", "total", "phase"),
    [
        ("Eingabedaten lesen", 0, 4, "read"),
        ("Straßennetz umwandeln", 2, 5, "read"),  # a GIS line layer while reading
        ("Straßennetz vorbereiten (Auto)", 1, 2, "networks"),
        ("Straßennetz vorbereiten (Auto), CH für das Raster", 0, 2, "grid"),
        ("Fahrplan laden (Bus & Bahn)", 0, 1, "networks"),
        ("Reisezeiten berechnen", 0, 4, "times"),
        ("Reisezeiten berechnen", 2, 4, "times"),
        ("Reisezeiten berechnen", 3, 4, "pt"),
        ("Reisezeiten berechnen", 4, 4, None),  # the end of the step
        ("Reisezeiten berechnen", 2, 3, "times"),  # Bus & Bahn switched off: 3 modes
        ("Reisezeiten berechnen", 3, 3, None),
        ("Kennzahlen", 0, 1, "indicators"),
        ("Versorgung (2SFCA)", 0, 1, "supply"),
        ("Raster: Eingaben lesen", 0, 1, "grid"),
        ("Raster aufbauen", 1, 3, "grid"),
        ("Reisezeiten Raster", 5, 9, "grid"),
        ("fertig", 1, 1, "save"),
        ("etwas Neues", 0, 1, None),
    ],
)
def test_phase_of_maps_the_pipeline_steps(
    step: str, done: int, total: int, phase: str | None
) -> None:
    assert phase_of(step, done, total, ALL) == phase


# -- tracking -----------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_tracker_records_phases_and_their_durations() -> None:
    clock = Clock()
    tracker = RunTracker(_settings(("car", "bike")), clock=clock)
    tracker("Eingabedaten lesen", 0, 4)
    clock.now = 104.0
    tracker("Straßennetz vorbereiten (Auto)", 1, 2)  # car half done: (0 + 1/2) / 2 networks
    snap = tracker.snapshot()
    assert snap.running == "networks"
    assert snap.partial == pytest.approx(0.25)
    assert snap.detail == "Straßennetz vorbereiten (Auto)"
    assert snap.states["read"] == "done"
    assert snap.states["times"] == "pending"
    # 6 phases, 1 done, the running one a quarter: 1.25 / 6
    assert snap.fraction() == pytest.approx(1.25 / 6)
    tracker("Straßennetz vorbereiten (Fahrrad)", 2, 3)  # (1 + 2/3) / 2
    assert tracker.snapshot().partial == pytest.approx(5 / 6)
    clock.now = 110.0
    tracker("Kennzahlen", 0, 1)  # the travel times never reported: skipped
    clock.now = 111.5
    tracker("fertig", 1, 1)
    clock.now = 112.0
    tracker.finish()
    snap = tracker.snapshot()
    assert snap.states == {
        "read": "done", "networks": "done", "times": "skipped",
        "indicators": "done", "supply": "skipped", "save": "done",
    }  # fmt: skip
    assert tracker.durations() == {
        "read": 4.0, "networks": 6.0, "times": 0.0,
        "indicators": 1.5, "supply": 0.0, "save": 0.5,
    }  # fmt: skip
    assert snap.elapsed == pytest.approx(12.0)
    assert snap.fraction() == 1.0
    assert tracker.computed


def test_tracker_of_a_stored_run_is_no_measurement() -> None:
    clock = Clock()
    tracker = RunTracker(_settings(("car",)), clock=clock)
    tracker("fertig", 1, 1)
    tracker.finish()
    assert not tracker.computed
    assert tracker.snapshot().states["read"] == "skipped"


def test_tracker_counts_travel_times_per_road_mode() -> None:
    tracker = RunTracker(_settings(ALL), clock=Clock())
    tracker("Reisezeiten berechnen", 2, 4)  # car and bike done of 3 road modes
    assert tracker.snapshot().partial == pytest.approx(2 / 3)
    tracker("Reisezeiten berechnen", 3, 4)  # Bus & Bahn: one unit
    snap = tracker.snapshot()
    assert (snap.running, snap.partial) == ("pt", 0.0)


# -- estimate -----------------------------------------------------------------------------

KEYS = ("read", "networks", "times", "indicators", "supply", "save")


def _snap(
    states: dict[str, str],
    seconds: dict[str, float],
    *,
    running_seconds: float,
    partial: float,
    elapsed: float,
) -> Snapshot:
    phases = tuple(pp.Phase(k, k) for k in KEYS)
    return Snapshot(phases, states, seconds, running_seconds, partial, "x", elapsed)


RUNNING_NETWORKS = {
    "read": "done", "networks": "running", "times": "pending",
    "indicators": "pending", "supply": "pending", "save": "pending",
}  # fmt: skip


def test_estimate_from_this_regions_last_run() -> None:
    own = {"read": 10, "networks": 20, "times": 30, "indicators": 5, "supply": 5, "save": 0}
    snap = _snap(RUNNING_NETWORKS, {"read": 20}, running_seconds=15, partial=0.5, elapsed=35)
    # twice as slow as last time (20 s / 10 s): 2 × 20 − 15 + 2 × (30 + 5 + 5 + 0) = 105
    assert estimate_remaining(snap, own, None) == Estimate(105.0, pp.BASIS_OWN)


def test_estimate_never_negative_for_an_overrunning_phase() -> None:
    own = {"read": 10, "networks": 20, "times": 30, "indicators": 5, "supply": 5, "save": 0}
    snap = _snap(RUNNING_NETWORKS, {"read": 10}, running_seconds=50, partial=0.5, elapsed=60)
    assert estimate_remaining(snap, own, None) == Estimate(40.0, pp.BASIS_OWN)


def test_estimate_from_another_regions_weights() -> None:
    other = {"read": 10, "networks": 30, "times": 50, "indicators": 5, "supply": 5, "save": 0}
    snap = _snap(RUNNING_NETWORKS, {"read": 8}, running_seconds=32, partial=0.5, elapsed=40)
    # F = (10 + 30 × 0.5) / 100 = 0.25; 40 s × 0.75 / 0.25 = 120 s
    assert estimate_remaining(snap, None, other) == Estimate(120.0, pp.BASIS_OTHER)


def test_no_estimate_without_a_basis() -> None:
    snap = _snap(RUNNING_NETWORKS, {"read": 8}, running_seconds=2, partial=0.0, elapsed=10)
    assert estimate_remaining(snap, None, None) == Estimate(None)
    incomplete = {"read": 10, "networks": 30}  # e.g. a region without these phases
    assert estimate_remaining(snap, incomplete, incomplete) == Estimate(None)
    first = dict.fromkeys(KEYS, "pending") | {"read": "running"}
    weights = dict.fromkeys(KEYS, 10.0)
    start = _snap(first, {}, running_seconds=3, partial=0.5, elapsed=3)
    assert estimate_remaining(start, None, weights) == Estimate(None)  # nothing finished yet


def test_durations_and_time_left_in_german() -> None:
    assert [duration_text(s) for s in (0, 8.4, 65, 599, 725)] == [
        "0 s", "8 s", "1 min 05 s", "9 min 59 s", "12 min",
    ]  # fmt: skip
    assert [left_text(s) for s in (0, 31, 33, 127, 1490)] == [
        "5 s", "30 s", "35 s", "2 min 10 s", "25 min",
    ]  # fmt: skip


def test_page_lines() -> None:
    snap = _snap(RUNNING_NETWORKS, {"read": 65}, running_seconds=5, partial=0.5, elapsed=70)
    phases, bar, times = page_lines(snap, Estimate(127.0, "nach X"))
    assert phases.splitlines()[0] == "- :green[:material/check_circle:] read :gray[(1 min 05 s)]"
    assert phases.splitlines()[1] == "- :blue[:material/pending:] **networks** – x :gray[(läuft)]"
    assert phases.splitlines()[2] == "- :gray[:material/radio_button_unchecked: times]"
    assert bar == "Schritt 2 von 6"
    assert times == "Bisher: 1 min 10 s · Schätzung: noch etwa 2 min 10 s (nach X)"
    assert page_lines(snap, Estimate(None))[2] == "Bisher: 1 min 10 s · Schätzung: folgt …"


# -- history in the cache folder ------------------------------------------------------------


def test_history_round_trip_and_the_latest_other_region(tmp_path: Path) -> None:
    save_history(tmp_path, "/a/region.toml", {"read": 1.5, "save": 0.2})
    folder = tmp_path / pp.HISTORY_FOLDER
    for name, finished, read in (("b", 10.0, 7.0), ("c", 20.0, 9.0)):
        record = {"region": f"/{name}/region.toml", "finished": finished, "seconds": {"read": read}}
        (folder / f"{name}.json").write_text(json.dumps(record), "utf-8")
    (folder / "kaputt.json").write_text("{nicht json", "utf-8")
    assert load_history(tmp_path, "/a/region.toml") == ({"read": 1.5, "save": 0.2}, {"read": 9.0})
    assert load_history(tmp_path, "/c/region.toml") == (
        {"read": 9.0},
        {"read": 1.5, "save": 0.2},  # saved just now: the latest
    )
    assert load_history(tmp_path / "leer", "/a/region.toml") == (None, None)


# -- the page in Streamlit --------------------------------------------------------------------


def _draw_page() -> None:
    import streamlit as st

    from erreichbarkeit.ui import progress_page as pp

    phases = (pp.Phase("read", "Eingabedaten lesen"), pp.Phase("networks", "Netze"))
    snap = pp.Snapshot(
        phases, {"read": "done", "networks": "running"}, {"read": 3.0}, 2.0, 0.5,
        "Straßennetz vorbereiten (Fahrrad)", 5.0,
    )  # fmt: skip
    pp.render_page(st.empty(), "Testkreis", snap, pp.Estimate(None))


def test_progress_page_shows_title_phases_bar_and_times() -> None:
    at = AppTest.from_function(_draw_page).run(timeout=30)
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Region „Testkreis“ wird ausgewertet"]
    texts = [m.value for m in at.markdown]
    assert texts[0].startswith(pp.EXPLANATION)
    assert "**Netze** – Straßennetz vorbereiten (Fahrrad)" in texts[1]
    assert [c.value for c in at.caption] == ["Bisher: 5 s · Schätzung: folgt …"]
    bar = at.get("progress")[0]
    assert bar.proto.value == 75  # (1 done + 0.5) of 2 phases
    assert bar.proto.text == "Schritt 2 von 2"


def _cold_run_script() -> None:
    from typing import cast

    import streamlit as st

    from erreichbarkeit.config import ProgressCallback, Settings
    from erreichbarkeit.errors import ErreichbarkeitError
    from erreichbarkeit.results import Results
    from erreichbarkeit.ui import progress_page as pp

    drawn, fail = st.session_state["drawn"], st.session_state["fail"]

    def work(progress: ProgressCallback) -> Results:  # in the worker thread: no st.* here
        progress("Eingabedaten lesen", 0, 4)
        drawn.wait(timeout=60)  # until the page was drawn
        if fail:
            msg = "broken"
            raise ErreichbarkeitError(msg, message_de="Straßennetz-Datei ist leer")
        progress("Straßennetz vorbereiten (Auto)", 1, 1)
        progress("fertig", 1, 1)
        return cast(Results, "ergebnis")  # what the page returns, not a real run

    key = (st.session_state["region"], 0.0, "k")
    settings = Settings(modes=("car",), cache_dir=st.session_state["cache"])
    try:
        st.write(pp.run_with_progress("Testkreis", key, settings, work))
    except ErreichbarkeitError as exc:
        st.error(exc.german)


def _cold_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, region: str, *, fail: bool
) -> AppTest:
    """Run the script above; the run waits until the progress page was drawn once."""
    drawn = threading.Event()
    pages: list[str] = []
    draw = pp.render_page

    def render(place: Any, label: str, snap: Snapshot, estimate: Estimate) -> None:
        draw(place, label, snap, estimate)
        pages.append(snap.detail)
        drawn.set()

    monkeypatch.setattr(pp, "render_page", render)
    monkeypatch.setattr(pp, "QUICK_SECONDS", 0.0)  # no need to wait for a quick result
    at = AppTest.from_function(_cold_run_script)
    at.session_state["region"] = str(tmp_path / region)
    at.session_state["cache"] = str(tmp_path)
    at.session_state["drawn"] = drawn
    at.session_state["fail"] = fail
    at.run(timeout=60)
    assert pages[0] == "Eingabedaten lesen"  # the page was drawn during the run
    return at


def test_cold_run_shows_the_page_then_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _cold_run(tmp_path, monkeypatch, "ok.toml", fail=False)
    assert not at.exception
    # the page is gone, the rule hiding the old region's elements stays for this run
    assert [m.value for m in at.markdown] == [pp.HIDE_OLD_CSS, "ergebnis"]
    assert not at.subheader
    assert not at.get("progress")
    own, _ = load_history(tmp_path, str(tmp_path / "ok.toml"))
    assert own is not None
    assert set(own) == {"read", "networks", "times", "indicators", "supply", "save"}
    assert own["times"] == 0.0  # skipped: the run never reported it


def test_cold_run_error_is_shown_in_german(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _cold_run(tmp_path, monkeypatch, "kaputt.toml", fail=True)
    assert [e.value for e in at.error] == ["Straßennetz-Datei ist leer"]
    assert not at.subheader
    assert load_history(tmp_path, str(tmp_path / "kaputt.toml")) == (None, None)
