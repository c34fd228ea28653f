"""OSRM's standard Lua profiles per mode, with the project's speed overrides.

The car, bicycle and foot profiles shipped in the ``osrm-bindings`` wheel are
used as they are; :func:`profile_text` wraps one in a short Lua file that
replaces entries of its speed tables after the profile's own ``setup()``.
:data:`PROFILE_SUMMARY` states in German what each profile assumes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import osrm

from erreichbarkeit.config import MODES
from erreichbarkeit.errors import RoutingError

__all__ = ["PROFILE_FILES", "PROFILE_SUMMARY", "profile_text", "profiles_dir"]

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
    lines += ["  return profile", "end", "return base", ""]
    return "\n".join(lines)
