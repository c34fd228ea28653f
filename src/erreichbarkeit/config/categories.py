"""The offer category table (built-in ``categories.toml`` or an own file).

A category names a kind of offer (Kita, Kinderarzt, …), its default
thresholds per mode, the age groups it serves, its map style, the spellings
planners use for it and the OSM tag rules that find its offers.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from erreichbarkeit.config.constants import ROAD_MODES, age_column
from erreichbarkeit.config.transit import DEFAULT_PT_WINDOW, parse_window
from erreichbarkeit.config.validation import toml_text
from erreichbarkeit.errors import ConfigError

__all__ = ["Category", "category_name_key", "load_categories"]

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True)
class Category:
    """One offer category from ``categories.toml``.

    Attributes
    ----------
    key
        Machine key (``kita``), used in tables.
    label
        German label (``Kita``).
    thresholds
        Default threshold minutes per mode (``pt``: Bus & Bahn; a table
        without one uses the walking threshold, since the trip includes walking).
    pt_window
        Departure window for Bus & Bahn, ``(start, end)`` minutes after
        midnight on the reference school day (``pt_window = "06:30-08:00"``;
        default 07:00–09:00).
    age_groups
        Age groups the offers serve.
    osm
        Tag rules; a rule matches when every tag matches (``"*"`` = any value).
    """

    key: str
    label: str
    thresholds: Mapping[str, float]
    age_groups: tuple[str, ...]
    icon: str
    color: str
    aliases: tuple[str, ...]
    osm: tuple[Mapping[str, str], ...]
    order: int
    pt_window: tuple[int, int] = DEFAULT_PT_WINDOW


def _parse_categories(raw: Mapping[str, Any], source: str) -> dict[str, Category]:
    """Categories of a parsed category table; ``source`` names it in errors."""
    cats: dict[str, Category] = {}
    for key, spec in raw.items():
        try:
            thresholds: dict[str, float] = {m: float(spec["thresholds"][m]) for m in ROAD_MODES}
            thresholds["pt"] = float(spec["thresholds"].get("pt", thresholds["walk"]))
            window = spec.get("pt_window")
            pt_window = (
                DEFAULT_PT_WINDOW if window is None else parse_window(f"{key}.pt_window", window)
            )
            cats[key] = Category(
                key=key,
                label=str(spec["label"]),
                thresholds=MappingProxyType(thresholds),
                age_groups=tuple(str(a) for a in spec["age_groups"]),
                icon=str(spec.get("icon", "info-sign")),
                color=str(spec.get("color", "#555555")),
                aliases=tuple(str(a) for a in spec.get("aliases", [])),
                osm=tuple(MappingProxyType(dict(r)) for r in spec.get("osm", [])),
                order=int(spec.get("order", 100)),
                pt_window=pt_window,
            )
        except ConfigError as exc:
            exc.file = exc.file or source
            raise
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"category {key!r} is incomplete or has a wrong type: {exc}"
            raise ConfigError(
                msg,
                file=source,
                expected="label, thresholds.{car,bike,walk}, age_groups",
                message_de=f"Kategorie „{key}“ ist unvollständig oder fehlerhaft: {exc}",
            ) from exc
        for group in cats[key].age_groups:
            age_column(group)
    _check_unique_names(cats, source)
    return cats


def category_name_key(name: str) -> str:
    """Comparison key of a category name: lower, umlauts spelled out, alnum only.

    The same normalisation as the offer readers apply to the ``Kategorie``
    column (parenthesised parts dropped), so two spellings with one key
    cannot be told apart in an offer list.
    """
    value = unicodedata.normalize("NFC", name).lower()
    value = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", value)
    value = value.translate(_UMLAUTS)
    value = "".join(
        ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)
    )
    return re.sub(r"[^0-9a-z]+", "", value)


def _check_unique_names(cats: Mapping[str, Category], source: str) -> None:
    """Every key, label and alias names one category only.

    Raises
    ------
    ConfigError
        If a spelling (after :func:`category_name_key`) belongs to two categories.
    """
    owner: dict[str, str] = {}
    for cat in cats.values():
        for name in (cat.key, cat.label, *cat.aliases):
            k = category_name_key(name)
            other = owner.setdefault(k, cat.key)
            if other != cat.key:
                msg = f"category name {name!r} belongs to both {other!r} and {cat.key!r}"
                raise ConfigError(
                    msg,
                    file=source,
                    column=cat.key,
                    expected="every label and alias in one category only",
                    message_de=(
                        f"Die Bezeichnung „{name}“ gehört zu zwei Kategorien "
                        f"(„{other}“ und „{cat.key}“); eine Schreibweise darf nur "
                        "eine Kategorie benennen."
                    ),
                )


@functools.cache
def _builtin_categories() -> Mapping[str, Category]:
    """The package's own ``categories.toml``, parsed once."""
    text = resources.files("erreichbarkeit.config").joinpath("categories.toml").read_text("utf-8")
    return MappingProxyType(_parse_categories(tomllib.loads(text), "categories.toml"))


def load_categories(path: str | Path | None = None) -> Mapping[str, Category]:
    """Load the category table.

    Parameters
    ----------
    path
        A TOML file of the same shape as the built-in ``categories.toml``;
        ``None`` loads the built-in table.

    Returns
    -------
    Mapping[str, Category]
        Categories by key, read-only.

    Raises
    ------
    ConfigError
        If the file is not valid TOML or a category is incomplete.
    """
    if path is None:
        return _builtin_categories()
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError as exc:
        msg = f"cannot read category table: {exc}"
        raise ConfigError(msg, file=p, message_de=f"Kategorientabelle unlesbar: {exc}") from exc
    return _categories_file(str(p.resolve()), stamp)


@functools.lru_cache(maxsize=32)
def _categories_file(path: str, mtime_ns: int) -> Mapping[str, Category]:
    """Parse a category file once per (path, modification time).

    Settings look categories up per threshold, many times per run and per
    dashboard interaction; parsing the TOML each time is needlessly slow.
    """
    del mtime_ns  # part of the cache key only: an edited file is read again
    p = Path(path)
    try:
        raw = tomllib.loads(toml_text(p))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"cannot read category table: {exc}"
        raise ConfigError(msg, file=p, message_de=f"Kategorientabelle unlesbar: {exc}") from exc
    return MappingProxyType(_parse_categories(raw, str(p)))
