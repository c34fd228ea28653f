"""The dashboard's state in the URL, so a view can be bookmarked (no Streamlit).

A bookmark such as ``/versorgung?region=beispielkreis&kategorie=kita&
verkehrsmittel=walk&alter=3-6&schwelle=kita:15&gemeinde=03159001&ort=v12``
opens the page (the path) with that region, categories, mode, age group,
thresholds per category, Gemeinde (map extent) and village.

:func:`parse_query` checks every value against what the region offers and
returns the session-state values to set plus a German hint per bad value
(the default is kept then; never an exception); :func:`state_query` is the
way back, from the session state to the URL's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erreichbarkeit.config import AGE_GROUPS, MODE_LABELS

__all__ = [
    "QUERY_KEYS",
    "RegionOptions",
    "UrlParse",
    "parse_query",
    "parse_region",
    "region_slug",
    "state_query",
]

#: The URL's parameter names, in the order they are written.
QUERY_KEYS = (
    "region",
    "kategorie",
    "verkehrsmittel",
    "alter",
    "schwelle",
    "gemeinde",
    "ort",
)


def region_slug(path: Path) -> str:
    """The short URL name of a region file (its folder for ``region.toml``, else its stem)."""
    return path.parent.name if path.name == "region.toml" else path.stem


@dataclass(frozen=True)
class RegionOptions:
    """What the chosen region offers (to check the URL's values against).

    Attributes
    ----------
    categories
        Category keys with offers, in the table's order.
    modes
        The run's modes.
    max_minutes
        The largest threshold (the routing cutoff).
    gemeinden
        AGS of the Gemeinden of the analysis area.
    villages
        Village ids.
    """

    categories: Sequence[str]
    modes: Sequence[str]
    max_minutes: float
    gemeinden: Collection[str] = ()
    villages: Collection[str] = ()


@dataclass
class UrlParse:
    """Session-state values from the URL and German hints for the values not used."""

    state: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _one(params: Mapping[str, Any], key: str) -> str | None:
    """The (last) value of a parameter, stripped; ``None`` when absent or empty."""
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bad(what: str, value: str, fallback: str) -> str:
    return f"Der Link enthält für „{what}“ den unbekannten Wert „{value}“; es gilt {fallback}."


def parse_region(params: Mapping[str, Any], slugs: Mapping[str, str]) -> UrlParse:
    """The region of the URL (``slugs``: URL name → the picker's value)."""
    out = UrlParse()
    value = _one(params, "region")
    if value is None:
        return out
    if value in slugs:
        out.state["region"] = slugs[value]
    else:
        out.problems.append(_bad("Region", value, "die erste Region der Liste"))
    return out


def _categories(value: str, options: RegionOptions, out: UrlParse) -> None:
    cats = [c.strip() for c in value.split(",") if c.strip()]
    good = [c for c in cats if c in options.categories]
    for bad in (c for c in cats if c not in options.categories):
        out.problems.append(_bad("Kategorie", bad, "die übrige Auswahl"))
    if good:
        out.state["categories"] = list(dict.fromkeys(good))


def _thresholds(value: str, mode: str, options: RegionOptions) -> UrlParse:
    out = UrlParse()
    for part in (p.strip() for p in value.split(",") if p.strip()):
        cat, _, text = part.partition(":")
        try:
            minutes = float(text.replace(",", "."))
        except ValueError:
            minutes = math.nan
        if cat not in options.categories:
            out.problems.append(_bad("Schwellenwert", part, "der voreingestellte Wert"))
        elif not (1.0 <= minutes <= options.max_minutes):
            out.problems.append(
                f"Der Link enthält für „Schwellenwert“ „{part}“; erlaubt sind 1 bis "
                f"{options.max_minutes:g} Minuten, es gilt der voreingestellte Wert."
            )
        else:
            out.state[f"thr_{cat}_{mode}"] = float(round(minutes))
    return out


def _choice(
    params: Mapping[str, Any],
    key: str,
    *,
    what: str,
    allowed: Collection[str],
    fallback: str,
    state_key: str,
    out: UrlParse,
) -> str | None:
    value = _one(params, key)
    if value is None:
        return None
    if value in allowed:
        out.state[state_key] = value
        return value
    out.problems.append(_bad(what, value, fallback))
    return None


def parse_query(
    params: Mapping[str, Any], options: RegionOptions, *, default_mode: str
) -> UrlParse:
    """Session-state values for the URL's choices within the chosen region.

    Parameters
    ----------
    params
        The URL's query parameters (values: text or lists of text).
    options
        What the region offers.
    default_mode
        The mode used when the URL names none (for the thresholds' keys).

    Returns
    -------
    UrlParse
        ``state``: session-state keys (``categories``, ``mode``,
        ``age_group``, ``thr_<cat>_<mode>``, ``extent``, ``village``);
        ``problems``: one German sentence per value not used.
    """
    out = UrlParse()
    cats_text = _one(params, "kategorie")
    if cats_text:
        _categories(cats_text, options, out)
    mode = _choice(
        params, "verkehrsmittel", what="Verkehrsmittel", allowed=options.modes,
        fallback=MODE_LABELS.get(default_mode, default_mode), state_key="mode", out=out,
    )  # fmt: skip
    _choice(
        params, "alter", what="Altersgruppe", allowed=AGE_GROUPS,
        fallback="die voreingestellte Altersgruppe", state_key="age_group", out=out,
    )  # fmt: skip
    _choice(
        params, "gemeinde", what="Gemeinde", allowed=options.gemeinden,
        fallback="das ganze Gebiet", state_key="extent", out=out,
    )  # fmt: skip
    _choice(
        params, "ort", what="Ort", allowed=options.villages,
        fallback="die Übersicht ohne gewählten Ort", state_key="village", out=out,
    )  # fmt: skip
    thr = _one(params, "schwelle")
    if thr:
        part = _thresholds(thr, mode or default_mode, options)
        out.state |= part.state
        out.problems += part.problems
    return out


def _number(x: Any) -> str:
    value = float(x)
    return f"{value:g}"


def state_query(state: Mapping[str, Any], *, region: str) -> dict[str, str]:
    """The URL's parameters of the session state (empty values left out).

    ``region`` is the region's URL name (:func:`region_slug`); the
    thresholds are those of the chosen categories in the chosen mode.
    """
    out: dict[str, str] = {"region": region}
    cats = [str(c) for c in state.get("categories") or ()]
    mode = state.get("mode")
    if cats:
        out["kategorie"] = ",".join(cats)
    if mode:
        out["verkehrsmittel"] = str(mode)
    if state.get("age_group"):
        out["alter"] = str(state["age_group"])
    thresholds = [
        f"{c}:{_number(state[f'thr_{c}_{mode}'])}" for c in cats if f"thr_{c}_{mode}" in state
    ]
    if thresholds:
        out["schwelle"] = ",".join(thresholds)
    if state.get("extent"):
        out["gemeinde"] = str(state["extent"])
    if state.get("village"):
        out["ort"] = str(state["village"])
    return out
