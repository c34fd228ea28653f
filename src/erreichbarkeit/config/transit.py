"""Options of the Bus & Bahn mode (``pt``): reference day, windows, walk legs.

A region file configures public transport in its ``[transit]`` table::

    [inputs]
    gtfs = ["vrn.gtfs.zip"]          # one or more GTFS feeds

    [transit]
    date = "2026-03-10"              # reference school day (default: a Tuesday the feeds serve)
    max_access_min = 15              # walk to / from a stop, each side
    stay_min = 90                    # time spent at an afternoon offer
    home_by = "19:00"                # latest arrival home on the way back
    max_transfers = 6
    on_demand_routes = ["rufbus-1"]  # Rufbus/AST/Bürgerbus route_id (type 715 counts anyway)
    windows = { jugendzentrum = "14:00-17:00" }   # departure windows per category
    workers = 2                      # timetable worker processes
    candidates = 8                   # offers asked per village and category

The departure window of a category comes from ``categories.toml``
(``pt_window``) unless the region file overrides it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from erreichbarkeit.config.validation import (
    as_number,
    check_known_keys,
    check_range,
    require_table,
    resolve_path,
    type_error,
)
from erreichbarkeit.errors import ConfigError

__all__ = [
    "DEFAULT_PT_WINDOW",
    "TransitOptions",
    "format_window",
    "parse_clock",
    "parse_date",
    "parse_transit",
    "parse_window",
]

#: Departure window of a category without its own ``pt_window``: the morning peak.
DEFAULT_PT_WINDOW = (7 * 60, 9 * 60)
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"max_access_min": (1.0, 60.0), "stay_min": (0.0, 600.0), "max_transfers": (0.0, 10.0),
     "workers": (1.0, 64.0), "candidates": (1.0, 100.0)}
)  # fmt: skip


@dataclass(frozen=True)
class TransitOptions:
    """Options of the Bus & Bahn mode.

    Attributes
    ----------
    date
        Reference school day; ``None`` = a Tuesday the feeds serve with the
        most trips (:func:`erreichbarkeit.io.gtfs.choose_reference_day`).
    max_access_min
        Longest walk from a village to a stop and from a stop to an offer,
        each (minutes, on the OSM foot network).
    stay_min
        Minutes spent at an afternoon offer before the way home.
    home_by
        Latest arrival home for the return-trip check, minutes after midnight.
    max_transfers
        Journeys with more transfers are not used.
    on_demand_routes
        ``route_id`` of on-demand routes (Rufbus, AST, Bürgerbus) that the
        feed does not mark with ``route_type`` 715.
    windows
        Departure windows ``(start, end)`` in minutes after midnight per
        category key, overriding ``pt_window`` of the category table.
    python
        The Python 3.11 interpreter of the timetable worker (``None``: the
        ``.venv-pt`` beside the project's environment or
        ``$ERREICHBARKEIT_PT_PYTHON``).
    workers
        Number of timetable worker processes.
    candidates
        Offers asked per village and category: the nearest ones in a
        straight line (the timetable is asked one pair at a time).
    """

    date: dt.date | None = None
    max_access_min: float = 15.0
    stay_min: float = 90.0
    home_by: int = 19 * 60
    max_transfers: int = 6
    on_demand_routes: tuple[str, ...] = ()
    windows: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    python: Path | None = None
    workers: int = 2
    candidates: int = 8


def parse_clock(key: str, value: Any) -> int:
    """``"HH:MM"`` as minutes after midnight (``"24:00"`` allowed).

    Examples
    --------
    >>> parse_clock("home_by", "19:00")
    1140
    """
    m = _CLOCK.match(value) if isinstance(value, str) else None
    if m is None or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 24 * 60:
        raise type_error(key, 'a clock time like "19:00"', value)
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_window(key: str, value: Any) -> tuple[int, int]:
    """``"HH:MM-HH:MM"`` as ``(start, end)`` minutes after midnight, start < end.

    Examples
    --------
    >>> parse_window("pt_window", "06:30-08:00")
    (390, 480)
    """
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 2:
        raise type_error(key, 'a window like "06:30-08:00"', value)
    start, end = parse_clock(key, parts[0]), parse_clock(key, parts[1])
    if end <= start:
        msg = f"{key}: the window {value!r} ends before it starts"
        raise ConfigError(
            msg,
            column=key,
            expected='a window like "06:30-08:00"',
            message_de=f"Das Zeitfenster „{value}“ endet, bevor es beginnt",
        )
    return start, end


def format_window(window: tuple[int, int]) -> str:
    """``(390, 480)`` → ``"06:30–08:00"`` (for labels).

    Examples
    --------
    >>> format_window((390, 480))
    '06:30–08:00'
    """
    start, end = window
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


def parse_date(key: str, value: Any) -> dt.date:
    """A TOML date or an ISO ``"YYYY-MM-DD"`` / German ``"TT.MM.JJJJ"`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise type_error(key, 'a date like "2026-03-10" or "10.03.2026"', value)


def _parse_routes(key: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise type_error(key, 'a list of route_id strings like ["rufbus-1"]', value)
    return tuple(values)


def _parse_windows(key: str, value: Any) -> Mapping[str, tuple[int, int]]:
    table = require_table(key, value)
    return MappingProxyType({str(c): parse_window(f"{key}.{c}", w) for c, w in table.items()})


def _parse_option(key: str, name: str, value: Any, base: Path) -> Any:
    """One key of ``[transit]``, converted and range-checked."""
    where = f"{key}.{name}"
    if name == "date":
        return parse_date(where, value)
    if name == "home_by":
        return parse_clock(where, value)
    if name == "on_demand_routes":
        return _parse_routes(where, value)
    if name == "windows":
        return _parse_windows(where, value)
    if name == "python":
        if not isinstance(value, str) or not value.strip():
            raise type_error(where, "a path to a Python 3.11 interpreter", value)
        return resolve_path(base, value)
    check_range(where, value, *_RANGES[name])
    number = as_number(where, value)
    return int(number) if name in ("max_transfers", "workers", "candidates") else number


def parse_transit(key: str, value: Any, base: Path) -> TransitOptions:
    """The ``[transit]`` table of a region file as :class:`TransitOptions`.

    Raises
    ------
    ConfigError
        On an unknown key (with a suggestion), a wrong type or an absurd value.
    """
    table = require_table(key, value)
    known = {f.name for f in dataclasses.fields(TransitOptions)}
    check_known_keys(key, table, known)
    return TransitOptions(**{n: _parse_option(key, n, v, base) for n, v in table.items()})
