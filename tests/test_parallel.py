"""One cap on every pool of workers the product starts (issue: speed at county scale)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from erreichbarkeit.config import Settings
from erreichbarkeit.config.parallel import WORKERS_ENV, worker_cap
from erreichbarkeit.config.transit import TransitOptions
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.network import routing
from erreichbarkeit.network.transit import setup
from erreichbarkeit.network.transit.engine import TransitStatus


def test_default_is_two_or_fewer_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert worker_cap() == max(1, min(2, os.cpu_count() or 1))


def test_environment_and_region_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert worker_cap() == 3
    assert worker_cap(Settings.from_dict({"workers": 1}).workers) == 1  # the file wins


@pytest.mark.parametrize("text", ["zwei", "0", "1.5", "65"])
def test_bad_environment_value_is_a_german_error(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv(WORKERS_ENV, text)
    with pytest.raises(ConfigError) as err:
        worker_cap()
    assert WORKERS_ENV in err.value.german
    assert "keine ganze Zahl" in err.value.german


@pytest.mark.parametrize("value", [0, 1.5, 100, "2"])
def test_bad_region_value_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_dict({"workers": value})
    assert err.value.column == "workers"


def test_osrm_preparation_uses_the_cap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_prepare(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(routing, "prepare_network", fake_prepare)
    with pytest.raises(RuntimeError):
        routing.prepare_router(Settings(workers=1), tmp_path / "x.osm", "car")
    assert seen["threads"] == 1


def test_timetable_workers_never_exceed_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeEngine:
        def __init__(self, feeds: Any, day: Any, **kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(setup, "TransitEngine", FakeEngine)
    monkeypatch.setattr(
        setup, "transit_status", lambda _p=None: TransitStatus(True, Path("/x"), "")
    )
    settings = Settings(
        gtfs=(Path("a.zip"),), modes=("walk", "pt"), workers=1,
        transit=TransitOptions(workers=4),
    )  # fmt: skip
    timetable = setup.Timetable(feeds=(), day=dt.date(2026, 3, 10))
    walk = object.__new__(routing.Router)
    walk.access_kmh = 4.5
    walk.network = None  # type: ignore[assignment]
    setup.open_transit_router(settings, walk, timetable)
    assert seen["workers"] == 1
