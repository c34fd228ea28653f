"""OSRM's standard Lua profiles per mode, with the project's speed overrides.

The car, bicycle and foot profiles shipped in the ``osrm-bindings`` wheel are
used as they are; :func:`profile_text` wraps one in a short Lua file that
replaces entries of its speed tables after the profile's own ``setup()`` and
adds a waiting time each time a route boards a ferry (``process_turn``).
:data:`PROFILE_SUMMARY` states in German what each profile assumes.

Ferries: OSRM's profiles give a ``route=ferry`` way the travel mode
``ferry``; a way with a ``duration`` tag (``"00:20"``, ``"PT20M"``) takes that
long for its whole length, a way without one runs at the profile's
``route_speeds.ferry`` (5 km/h in all three profiles).  The profiles add no
waiting: the wrapper adds ``ferry_wait_min`` to the turn from any other mode
onto a ferry (duration and weight), so the crossing costs the wait plus the
crossing time, once per boarding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import osrm

from erreichbarkeit.config import (
    DEFAULT_FERRY_WAIT_MIN,
    MODE_LABELS,
    MODES,
    ROAD_MODES,
    RoutingOptions,
)
from erreichbarkeit.errors import RoutingError

__all__ = [
    "FERRY_SUMMARY",
    "PROFILE_FILES",
    "PROFILE_SUMMARY",
    "access_and_ferry_rows",
    "profile_text",
    "profiles_dir",
]

#: OSRM's standard profile per mode.
PROFILE_FILES: Mapping[str, str] = {"car": "car.lua", "bike": "bicycle.lua", "walk": "foot.lua"}

#: The Lua table of each profile that maps ``highway`` values to km/h.
_SPEED_TABLE: Mapping[str, str] = {
    "car": "profile.speeds.highway",
    "bike": "profile.bicycle_speeds",
    "walk": "profile.speeds.highway",
}

#: What the standard OSRM profiles (osrm-bindings 26.x) assume, in German, for
#: the Methodik sheet and the README.  ``tests/test_routing.py`` checks these
#: numbers against the shipped Lua files, so a profile change cannot go unnoticed.
PROFILE_SUMMARY: Mapping[str, str] = {
    "car": (
        "OSRM car.lua: ohne maxspeed-Angabe Autobahn 90, Kraftfahrstraße (trunk) 85, "
        "Bundesstraße (primary) 65, Landesstraße (secondary) 55, Kreisstraße (tertiary) 40, "
        "Gemeinde-/Wohnstraße (unclassified/residential) 25, Erschließungsweg (service) 15, "
        "verkehrsberuhigt 10 km/h; eine maxspeed-Angabe wird mit 0,8 multipliziert "
        "(DE:urban = 50 → 40 km/h, DE:rural = 100 → 80 km/h); Abbiegezuschlag bis 7,5 s, "
        "Wenden 20 s; Wirtschaftswege (track) und Fußwege sind für Autos gesperrt."
    ),
    "bike": (
        "OSRM bicycle.lua: 15 km/h auf Straßen und Radwegen, Wirtschaftsweg (track) 12, "
        "Pfad 13 km/h, Schieben (Fußweg, Einbahnstraße gegen die Richtung) 4 km/h, Treppen 2 km/h; "
        "Oberflächen (Schotter, Gras …) verlangsamen; Abbiegezuschlag bis 6 s; "
        "Autobahnen und Kraftfahrstraßen gesperrt."
    ),
    "walk": (
        "OSRM foot.lua: 5 km/h auf allen begehbaren Wegen, Einbahnstraßen gelten nicht; "
        "Autobahnen und Kraftfahrstraßen gesperrt."
    ),
}


#: How ferries are timed, in German (``{wait}``: the waiting minutes in force).
FERRY_SUMMARY = (
    "Fähren (OSM route=ferry): Die Überfahrt dauert so lange, wie die Fährlinie in "
    "OpenStreetMap angibt (duration); ohne Angabe wird mit 5 km/h gerechnet. Bei jedem "
    "Einstieg in eine Fähre kommen {wait} min Wartezeit hinzu."
)


def _de(value: float) -> str:
    """A number in German notation without trailing zeros (``4,5``, ``15``)."""
    return f"{value:g}".replace(".", ",")


def access_and_ferry_rows(
    routing: RoutingOptions, modes: Sequence[str] = ROAD_MODES
) -> list[tuple[str, str]]:
    """The Methodik rows (title, German text) on access legs and ferries of a run.

    Parameters
    ----------
    routing
        The run's routing options (access speeds, ferry waiting time).
    modes
        The run's modes, in order.
    """
    road = [m for m in modes if m in ROAD_MODES]  # Bus & Bahn walks at the walking speed
    speeds = ", ".join(f"{MODE_LABELS[m]} {_de(routing.access_speed[m])} km/h" for m in road)
    walk = float(routing.access_speed["walk"])
    access = (
        "Ort und Angebot liegen selten direkt an einem Weg. Die Luftlinie vom Ort (bzw. "
        "von der Mitte der Rasterzelle) zum nächsten nutzbaren Weg und vom Weg zum Angebot "
        f"wird jeder Fahrt hinzugerechnet: {speeds} (beim Auto für Parken und den Weg zur "
        "Tür; zu Fuß gilt später auch für den Weg zu Bus und Bahn). Beispiel: 300 m zu Fuß "
        f"mit {_de(walk)} km/h sind {_de(round(18.0 / walk, 1))} min. Minuten und "
        "Kilometer enthalten diese Wege, und die Berechnungsgrenze gilt einschließlich "
        "dieser Wege."
    )
    return [
        ("Zu- und Abgang (Weg zum Straßennetz)", access),
        ("Fähren", FERRY_SUMMARY.format(wait=_de(routing.ferry_wait_min))),
    ]


#: Lua added after the profile's setup: the ferry waiting time on boarding.
_FERRY_WAIT_LUA = """local base_turn = base.process_turn
local ferry_wait_s = {seconds!r}
base.process_turn = function(profile, turn)
  base_turn(profile, turn)
  if turn.target_mode == mode.ferry and turn.source_mode ~= mode.ferry then
    turn.duration = turn.duration + ferry_wait_s
    turn.weight = turn.weight + ferry_wait_s
  end
end"""


def profiles_dir() -> Path:
    """Folder of the OSRM profiles shipped in the ``osrm-bindings`` wheel."""
    path = Path(osrm.__file__).parent / "share" / "profiles"
    if not path.is_dir():
        msg = f"OSRM profiles not found at {path}; reinstall osrm-bindings"
        raise RoutingError(
            msg, message_de="OSRM-Profile nicht gefunden; bitte osrm-bindings neu installieren"
        )
    return path


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def profile_text(
    mode: str,
    *,
    speeds: Mapping[str, float] | None = None,
    maxspeed: Mapping[str, float] | None = None,
    ferry_wait_min: float = DEFAULT_FERRY_WAIT_MIN,
) -> str:
    """Return the Lua profile for a mode, wrapping OSRM's standard profile.

    Without overrides this is a short wrapper that loads OSRM's profile.
    Overrides replace entries of the profile's speed table (km/h per OSM
    ``highway`` value: ``speeds.highway`` for car and foot,
    ``bicycle_speeds`` for the bicycle) and of ``maxspeed_table`` (implicit limits such
    as ``"de:rural"``) after the profile's own ``setup()`` ran, which is the
    extension point OSRM's profiles offer.

    Parameters
    ----------
    mode
        ``car``, ``bike`` or ``walk``.
    speeds
        ``{"residential": 30, ...}``.
    maxspeed
        ``{"de:rural": 90, ...}`` (meaningful for ``car``).
    ferry_wait_min
        Minutes added each time a route boards a ferry (the turn from any
        other travel mode onto a ``ferry`` way); ``0`` adds nothing.
    """
    if mode not in PROFILE_FILES:
        msg = f"unknown mode {mode!r}"
        raise RoutingError(msg, expected=", ".join(MODES))
    pdir = profiles_dir()
    base = pdir / PROFILE_FILES[mode]
    lines = [
        f"-- erreichbarkeit: {mode} profile = OSRM {PROFILE_FILES[mode]} + overrides",
        f"package.path = {_lua_string(str(pdir) + '/?.lua;')} .. package.path",
        f"local base = dofile({_lua_string(str(base))})",
        "local base_setup = base.setup",
        "base.setup = function()",
        "  local profile = base_setup()",
    ]
    for tag, kmh in sorted((speeds or {}).items()):
        lines.append(f"  {_SPEED_TABLE[mode]}[{_lua_string(tag)}] = {float(kmh)!r}")
    for tag, kmh in sorted((maxspeed or {}).items()):
        lines.append(
            "  if profile.maxspeed_table then "
            f"profile.maxspeed_table[{_lua_string(tag.lower())}] = {float(kmh)!r} end"
        )
    lines += ["  return profile", "end"]
    if ferry_wait_min > 0:
        lines.append(_FERRY_WAIT_LUA.format(seconds=round(float(ferry_wait_min) * 60.0, 3)))
    lines += ["return base", ""]
    return "\n".join(lines)
