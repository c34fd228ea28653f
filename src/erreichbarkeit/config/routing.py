"""The ``[routing]`` table of a region file: OSRM algorithm, speeds, snapping, cutoff."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from erreichbarkeit.config.constants import (
    DEFAULT_ACCESS_KMH,
    DEFAULT_FERRY_WAIT_MIN,
    ROAD_MODES,
)
from erreichbarkeit.config.validation import (
    as_number,
    check_known_keys,
    check_range,
    freeze,
    numbers_table,
    require_table,
    type_error,
)
from erreichbarkeit.errors import ConfigError

__all__ = [
    "GRID_CH_ENV",
    "GRID_CH_POLICIES",
    "GRID_REFERENCE_ENV",
    "RoutingOptions",
    "check_algorithms",
    "check_routing_ranges",
    "grid_ch_policy",
    "parse_routing",
]

#: Environment variable: how the grid surface gets CH networks for modes
#: whose algorithm is MLD (the minutes are the same; only speed differs).
#: ``background`` (default): use them when cached, else route with the
#: run's network and prepare them in a background process for the next run;
#: ``now``: prepare them before the grid step; ``off``: never.
GRID_CH_ENV = "ERREICHBARKEIT_GRID_CH"
GRID_CH_POLICIES = ("background", "now", "off")
#: Environment variable: ``1`` routes the grid the plain, unoptimised way
#: (the run's own networks, one process, every cell): the baseline of
#: ``benchmarks/bench_county.py`` and of the tests.  Results are the same.
GRID_REFERENCE_ENV = "ERREICHBARKEIT_GRID_REFERENCE"

_ALGORITHMS = ("CH", "MLD")
#: Plausible ranges of the plain numbers of ``[routing]``.  The ferry wait
#: is added as an OSRM turn penalty, which OSRM stores as 16-bit deciseconds:
#: above 54.6 min ``osrm-extract`` aborts (overflow), so 45 min is the limit.
_ROUTING_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"max_snap_m": (1.0, 50_000.0), "cutoff_minutes": (1.0, 1440.0), "ferry_wait_min": (0.0, 45.0)}
)
#: Plausible km/h of an access leg (walking slowly … driving on a car park).
_ACCESS_KMH_RANGE = (1.0, 50.0)


@dataclass(frozen=True)
class RoutingOptions:
    """Options of the OSRM routing step.

    Attributes
    ----------
    algorithm
        ``"CH"`` or ``"MLD"`` per mode.  CH answers table queries about 3×
        faster but its contraction is slow on large foot graphs; MLD
        preprocesses in seconds (see ``benchmarks/README.md``).
    speeds
        Per mode, a mapping OSM ``highway`` value → km/h that overrides the
        OSRM profile's default (written into a generated profile wrapper).
    maxspeed
        Per mode (only ``car`` uses it), a mapping of implicit ``maxspeed``
        values such as ``"de:rural"`` → km/h.
    max_snap_m
        Points further than this from the routable network are flagged and
        left out of the routing (not silently moved).
    cutoff_minutes
        Pairs slower than this are dropped from the long table.
    access_speed
        km/h per mode of the access leg: the straight line between a village
        or offer and its snapping point on the network is added to every trip
        at this speed, at both ends (defaults
        :data:`~erreichbarkeit.config.constants.DEFAULT_ACCESS_KMH`).
    ferry_wait_min
        Minutes of waiting added each time a route boards a ferry; the
        crossing itself takes the ferry's ``duration`` tag where it has one.
    """

    algorithm: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"car": "CH", "bike": "MLD", "walk": "MLD"})
    )
    speeds: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))
    maxspeed: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    max_snap_m: float = 500.0
    cutoff_minutes: float = 90.0
    access_speed: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ACCESS_KMH)
    ferry_wait_min: float = DEFAULT_FERRY_WAIT_MIN


def _routing_algorithm(value: Any) -> Mapping[str, str]:
    """``[routing.algorithm]``: the default algorithms updated with the file's."""
    where = "routing.algorithm"
    if not isinstance(value, Mapping):
        raise type_error(where, 'a table like {car = "CH"}', value)
    check_known_keys(where, value, ROAD_MODES)
    merged = dict(RoutingOptions().algorithm)
    merged.update({mode: str(algo).upper() for mode, algo in value.items()})
    return MappingProxyType(merged)


def _routing_speeds(key: str, value: Any) -> Mapping[str, Mapping[str, float]]:
    """``[routing.speeds]`` or ``[routing.maxspeed]``: km/h per mode and tag."""
    where = f"routing.{key}"
    table = numbers_table(where, value, depth=2, expected="km/h between 1 and 200")
    check_known_keys(where, table, ROAD_MODES)
    for mode, per in table.items():
        for tag, kmh in per.items():
            check_range(f"{where}.{mode}.{tag}", kmh, 1.0, 200.0)
    return cast(Mapping[str, Mapping[str, float]], freeze(table))


def _routing_access_speed(value: Any) -> Mapping[str, float]:
    """``[routing] access_speed``: the default km/h per mode updated with the file's."""
    where = "routing.access_speed"
    if not isinstance(value, Mapping):
        raise type_error(where, "a table like { car = 15, bike = 12, walk = 4.5 }", value)
    lo, hi = _ACCESS_KMH_RANGE
    table = numbers_table(where, value, depth=1, expected=f"km/h between {lo:g} and {hi:g}")
    check_known_keys(where, table, ROAD_MODES)
    merged = dict(DEFAULT_ACCESS_KMH)
    merged.update(table)
    return MappingProxyType(merged)


def _routing_number(key: str, value: Any) -> float:
    """A plain number of ``[routing]``, range-checked here already.

    Checking the range before converting turns a TOML integer too large for
    a float (400 digits) into an out-of-range error instead of an ``OverflowError``.
    """
    where = f"routing.{key}"
    if key in _ROUTING_RANGES:
        check_range(where, value, *_ROUTING_RANGES[key])
    return as_number(where, value)


def parse_routing(key: str, value: Any, base: Path) -> RoutingOptions:
    """The ``[routing]`` table as :class:`RoutingOptions`."""
    del base
    table = require_table(key, value)
    known = {f.name for f in dataclasses.fields(RoutingOptions)}
    kwargs: dict[str, Any] = {}
    for name, v in table.items():
        check_known_keys(key, [name], known)
        if name == "algorithm":
            kwargs[name] = _routing_algorithm(v)
        elif name in ("speeds", "maxspeed"):
            kwargs[name] = _routing_speeds(name, v)
        elif name == "access_speed":
            kwargs[name] = _routing_access_speed(v)
        else:
            kwargs[name] = _routing_number(name, v)
    return RoutingOptions(**kwargs)


def check_routing_ranges(routing: RoutingOptions) -> None:
    """Snap distance, cutoff, access speeds and ferry wait within sane ranges.

    Checked before the thresholds are compared with the cutoff: an absurd
    cutoff is the error then, not the thresholds.
    """
    for key, (lo, hi) in _ROUTING_RANGES.items():
        check_range(f"routing.{key}", getattr(routing, key), lo, hi)
    check_known_keys("routing.access_speed", routing.access_speed, ROAD_MODES)
    for mode in ROAD_MODES:
        if mode not in routing.access_speed:
            msg = f"routing.access_speed has no speed for {mode}"
            raise ConfigError(
                msg,
                column=f"routing.access_speed.{mode}",
                expected="km/h for car, bike and walk",
                message_de=f"„routing.access_speed“: keine Geschwindigkeit für {mode} angegeben",
            )
        check_range(f"routing.access_speed.{mode}", routing.access_speed[mode], *_ACCESS_KMH_RANGE)


def check_algorithms(routing: RoutingOptions) -> None:
    """Every routing algorithm is CH or MLD."""
    for mode, algo in routing.algorithm.items():
        if algo not in _ALGORITHMS:
            msg = f"unknown routing algorithm {algo!r} for {mode}"
            raise ConfigError(
                msg,
                column="routing.algorithm",
                expected="CH or MLD",
                message_de=f"Unbekanntes Routing-Verfahren „{algo}“ für {mode} (erlaubt: CH, MLD)",
            )


def grid_ch_policy() -> str:
    """The :data:`GRID_CH_ENV` policy in force (``background`` when unset).

    Raises
    ------
    ConfigError
        The variable holds another value.
    """
    text = os.environ.get(GRID_CH_ENV, "").strip().lower() or "background"
    if text not in GRID_CH_POLICIES:
        msg = f"{GRID_CH_ENV}={text!r} is not one of {', '.join(GRID_CH_POLICIES)}"
        raise ConfigError(
            msg,
            column=GRID_CH_ENV,
            expected=", ".join(GRID_CH_POLICIES),
            message_de=(
                f"Die Umgebungsvariable {GRID_CH_ENV} = „{text}“ ist ungültig "
                f"(erlaubt: {', '.join(GRID_CH_POLICIES)})"
            ),
        )
    return text
