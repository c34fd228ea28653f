"""The analysis area: the Gemeinden a planner's figures cover.

A Jugendamt's area is often a part of a Kreis (the Kreisjugendamt serves the
Kommunen without a Jugendamt of their own), and families cross every border.
So the *data area* (the Kreis plus a buffer: every village and offer that
counts as origin, destination or context) and the *analysis area* (the
Gemeinden whose key figures, tables, Steckbriefe and location suggestions
are reported) are two things.  The region file names the analysis area in
its ``[area]`` table::

    [area]
    name = "Kreisjugendamt Hochsauerlandkreis"
    ags = ["05958004", "05958008"]        # Gemeinden by AGS (8 digits) …
    gemeinden = ["Winterberg"]            # … and/or by name
    source = "LWL-Landesjugendamt: Jugendämter in Westfalen-Lippe (Stand …)"

A 5-digit key in ``ags`` stands for every Gemeinde of that Kreis.  Without an
``[area]`` table the area is the region's Kreis (``[source] kreis``), and
without either it is every Gemeinde of the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erreichbarkeit.config.validation import (
    check_known_keys,
    check_type,
    require_table,
    type_error,
)
from erreichbarkeit.errors import ConfigError

__all__ = ["AnalysisArea", "parse_area"]

#: Lengths of the keys an ``[area]`` may list: Kreis (5), Gemeinde AGS (8),
#: Gemeindeverband/ARS (9, 12).
_KEY_LENGTHS = (5, 8, 9, 12)


@dataclass(frozen=True)
class AnalysisArea:
    """The Gemeinden whose figures a run reports.

    Attributes
    ----------
    name
        The area's name for titles, exports and Steckbriefe (e.g.
        „Kreisjugendamt Hochsauerlandkreis“).
    ags
        Official keys: 8-digit Gemeinde keys (AGS), 5-digit Kreis keys (every
        Gemeinde of the Kreis) or 12-digit regional keys (ARS).
    gemeinden
        Gemeinde names (matched without regard to case and blanks).
    source
        Where the list comes from (e.g. the Landesjugendamt's list), shown in
        the Methodik sheet so that a planner can check and correct it.
    """

    name: str
    ags: tuple[str, ...] = ()
    gemeinden: tuple[str, ...] = ()
    source: str = ""

    @property
    def is_whole(self) -> bool:
        """True when the area lists no Gemeinde (covers all the data)."""
        return not self.ags and not self.gemeinden

    def covers_key(self, ags: str) -> bool:
        """True when the Gemeinde with this AGS (8 digits) or ARS (12) lies in the area."""
        key = str(ags).strip()
        return any(_same_gemeinde(key, listed) for listed in self.ags)

    def covers_name(self, name: str) -> bool:
        """True when the Gemeinde of this name is listed by name."""
        wanted = {_name_key(n) for n in self.gemeinden}
        return _name_key(name) in wanted


def _same_gemeinde(key: str, listed: str) -> bool:
    """An AGS/ARS ``key`` falls under a listed Kreis key, AGS or ARS."""
    if len(listed) == 5:
        return key.startswith(listed)
    if len(listed) == 12 and len(key) == 8:
        # ARS = Land(2) Bezirk(1) Kreis(2) Verband(4) Gemeinde(3); AGS drops the Verband
        return listed[:5] + listed[9:] == key
    if len(listed) == 8 and len(key) == 12:
        return key[:5] + key[9:] == listed
    return key == listed or key.startswith(listed)


def _name_key(name: str) -> str:
    """Case- and blank-insensitive form of a Gemeinde name."""
    return " ".join(str(name).casefold().split())


def _strings(key: str, value: Any, expected: str) -> tuple[str, ...]:
    """A list of non-empty strings."""
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    if not ok:
        raise type_error(key, expected, value)
    return tuple(str(v).strip() for v in value)


def _check_keys(key: str, keys: Iterable[str]) -> None:
    """Every key has digits only and a known length."""
    for k in keys:
        if not k.isdigit() or len(k) not in _KEY_LENGTHS:
            msg = f"{key}: {k!r} is not a Kreis key (5 digits), AGS (8) or ARS (12)"
            raise ConfigError(
                msg,
                column=key,
                expected='a Kreis key "05958", an AGS "05958004" or an ARS "059580004004"',
                message_de=(
                    f"[area] ags: „{k}“ ist kein Kreisschlüssel (5 Ziffern), kein "
                    "Gemeindeschlüssel (AGS, 8 Ziffern) und kein Regionalschlüssel (12 Ziffern)"
                ),
            )


def parse_area(key: str, value: Any, base: Path) -> AnalysisArea:
    """The region file's ``[area]`` table as :class:`AnalysisArea`.

    Raises
    ------
    ConfigError
        On an unknown key, a missing name, keys that are not AGS/Kreis keys,
        or an area that lists no Gemeinde.
    """
    del base
    table = require_table(key, value)
    check_known_keys(key, table, {"name", "ags", "gemeinden", "source"})
    name = table.get("name")
    check_type(
        f"{key}.name", name, 'a name such as "Kreisjugendamt Hochsauerlandkreis"',
        ok=isinstance(name, str) and bool(name.strip()),
    )  # fmt: skip
    ags = _strings(f"{key}.ags", table.get("ags", []), 'a list of AGS strings like ["05958004"]')
    _check_keys(f"{key}.ags", ags)
    names = _strings(
        f"{key}.gemeinden", table.get("gemeinden", []), 'a list of Gemeinde names like ["Brilon"]'
    )
    source = table.get("source", "")
    check_type(f"{key}.source", source, "a text naming the source", ok=isinstance(source, str))
    if not ags and not names:
        msg = f"{key} lists no Gemeinde (ags or gemeinden)"
        raise ConfigError(
            msg,
            column=key,
            expected='ags = ["05958004", …] and/or gemeinden = ["Brilon", …]',
            message_de=(
                "Der Abschnitt [area] nennt keine Gemeinde: bitte ags = [\"…\"] "
                "(Gemeindeschlüssel) und/oder gemeinden = [\"…\"] (Namen) angeben"
            ),
        )
    return AnalysisArea(name=str(name).strip(), ags=ags, gemeinden=names, source=str(source))
