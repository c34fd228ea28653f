"""Reading and checking region files (``region.toml``).

Every unknown key is an error that suggests the nearest valid key, every
value is type- and range-checked, and relative paths are resolved against the
region file's folder.  The functions here know the keys of the region file's
plain fields; :mod:`erreichbarkeit.config.settings` adds the ``[routing]`` and
``[source]`` tables, whose parsers build its option objects.

The checks raise :class:`~erreichbarkeit.errors.ConfigError` with an English
and a German message that name the key and what was expected.
"""

from __future__ import annotations

import difflib
import logging
import reprlib
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from erreichbarkeit.config.constants import DEFAULT_AGE_SHARES
from erreichbarkeit.errors import ConfigError

__all__ = [
    "MAX_DEPTH",
    "SECTIONS",
    "SIMPLE_FIELD_PARSERS",
    "FieldParser",
    "as_number",
    "check_depth",
    "check_known_keys",
    "check_range",
    "check_type",
    "flatten_region",
    "freeze",
    "numbers_table",
    "parse_fields",
    "read_region_file",
    "require_table",
    "resolve_path",
    "short_repr",
    "toml_text",
    "type_error",
    "unknown_key_error",
]

logger = logging.getLogger(__name__)

#: Tables of the region file that only group fields for readability.
SECTIONS = ("region", "inputs")

#: Deepest nesting of tables and lists a region file may have (the deepest
#: valid key, ``routing.speeds.car.track``, has four levels).
MAX_DEPTH = 6

#: Parses one field of the region file: ``(key, value, base folder) -> value``.
FieldParser = Callable[[str, Any, Path], Any]


# -- reading --------------------------------------------------------------
def toml_text(path: Path) -> str:
    """Text of a TOML file; tolerates the BOM and the Windows-1252 of Windows editors.

    TOML requires UTF-8, but region files are edited by planners in Notepad,
    which may add a byte-order mark or save umlauts as Windows-1252.

    Raises
    ------
    UnicodeDecodeError
        If the bytes are neither UTF-8 nor Windows-1252 text (a binary file).
    """
    data = path.read_bytes()
    if b"\x00" in data:
        codec = "utf-8"
        raise UnicodeDecodeError(codec, data[:1], 0, 1, "binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
        logger.warning("%s: not UTF-8; read as Windows-1252", path.name)
        return text


def read_region_file(path: Path) -> dict[str, Any]:
    """Parse a region file into a plain dict.

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, not valid TOML, or nested
        deeper than any region file needs (:data:`MAX_DEPTH`).
    """
    try:
        raw = tomllib.loads(toml_text(path))
    except FileNotFoundError as exc:
        msg = "region file not found"
        raise ConfigError(msg, file=path, message_de="Regionsdatei nicht gefunden") from exc
    except OSError as exc:  # a folder, no permission, …
        msg = f"cannot read the region file: {exc}"
        raise ConfigError(
            msg,
            file=path,
            expected="a readable TOML file",
            message_de=f"Regionsdatei nicht lesbar: {exc}",
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"not valid TOML: {exc}"
        raise ConfigError(
            msg, file=path, expected="TOML syntax", message_de=f"Kein gültiges TOML: {exc}"
        ) from exc
    except RecursionError as exc:  # thousands of nested brackets: tomllib recurses
        msg = "not valid TOML: nested too deeply"
        raise ConfigError(
            msg,
            file=path,
            expected=f"tables and lists nested at most {MAX_DEPTH} levels deep",
            message_de=(
                "Kein gültiges TOML: Tabellen/Listen zu tief verschachtelt "
                f"(höchstens {MAX_DEPTH} Ebenen)"
            ),
        ) from exc
    try:
        check_depth(raw)
    except ConfigError as exc:
        exc.file = str(path)
        exc.args = (exc._format(exc.message, exc.expected, "expected"),)
        raise
    return raw


def check_depth(raw: Mapping[str, Any]) -> None:
    """Raise when tables or lists are nested deeper than :data:`MAX_DEPTH`.

    The deepest valid key is ``routing.speeds.car.track`` (four levels);
    deeper structures are mistakes, and walking them recursively (``repr``,
    copying) could exhaust the stack.  The walk here is iterative.

    Raises
    ------
    ConfigError
        Naming the dotted key where the limit is passed.
    """
    stack: list[tuple[str, Any, int]] = [(str(k), v, 1) for k, v in raw.items()]
    while stack:
        key, value, depth = stack.pop()
        if not isinstance(value, Mapping | list):
            continue
        if depth >= MAX_DEPTH:
            msg = f"{key} is nested too deeply"
            raise ConfigError(
                msg,
                column=key,
                expected=f"tables and lists nested at most {MAX_DEPTH} levels deep",
                message_de=(f"„{key}“ ist zu tief verschachtelt (höchstens {MAX_DEPTH} Ebenen)"),
            )
        items = value.items() if isinstance(value, Mapping) else enumerate(value, start=1)
        stack.extend((f"{key}.{k}" if isinstance(value, Mapping) else f"{key}[{k}]", v, depth + 1)
                     for k, v in items)  # fmt: skip


# -- error factories ------------------------------------------------------
def unknown_key_error(prefix: str, key: str, known: Iterable[str]) -> ConfigError:
    """The error for an unknown key, suggesting the nearest known one."""
    known_list = sorted(known)
    close = difflib.get_close_matches(key, known_list, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    hint_de = f" – meinten Sie „{close[0]}“?" if close else ""
    where = f"{prefix}.{key}" if prefix else key
    msg = f"unknown key {where!r}{hint}"
    return ConfigError(
        msg,
        column=where,
        expected=", ".join(known_list),
        message_de=f"Unbekannter Eintrag „{where}“{hint_de}",
    )


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` of a value, cut to ``limit`` characters (huge lists, long texts, big ints)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        digits = str(abs(value))  # shown like 1.00e+400: no 400-digit dump, no language
        return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
    text = reprlib.Repr(maxlevel=3, maxlist=4, maxdict=4, maxstring=limit, maxother=limit)
    return text.repr(value)[: limit + 10]


def type_error(key: str, expected: str, value: Any) -> ConfigError:
    """The error for a value of the wrong type."""
    shown = short_repr(value)
    msg = f"{key} has the wrong type ({type(value).__name__}: {shown})"
    return ConfigError(
        msg,
        column=key,
        expected=expected,
        message_de=f"„{key}“ hat den falschen Typ ({shown}), erwartet: {expected}",
    )


def _out_of_range(key: str, value: Any, lo: float, hi: float) -> ConfigError:
    shown = short_repr(value)
    msg = f"{key} = {shown} is out of range"
    return ConfigError(
        msg,
        column=key,
        expected=f"{lo:g} … {hi:g}",
        message_de=f"„{key}“ = {shown} liegt außerhalb von {lo:g} … {hi:g}",
    )


# -- checks ---------------------------------------------------------------
def check_known_keys(prefix: str, keys: Iterable[str], known: Collection[str]) -> None:
    """Raise for the first of ``keys`` that is not in ``known``.

    ``prefix`` is the table the keys belong to (``""`` for the top level).
    """
    for key in keys:
        if key not in known:
            raise unknown_key_error(prefix, key, known)


def as_number(key: str, value: Any, expected: str = "a number") -> float:
    """``value`` as float, or raise: not a bool, not text, not an integer too large for a float.

    TOML integers have no size limit (``cutoff_minutes = 1000…0`` with 400
    digits parses); ``float()`` of such an integer overflows.  That is an
    absurd value, reported as out of range instead of a crash.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise type_error(key, expected, value)
    try:
        return float(value)
    except OverflowError:
        msg = f"{key} is a number too large to use"
        raise ConfigError(
            msg,
            column=key,
            expected=expected,
            message_de=(
                f"„{key}“ ist eine unbrauchbar große Zahl ({short_repr(value)}), "
                f"erwartet: {expected}"
            ),
        ) from None


def check_range(key: str, value: Any, lo: float, hi: float) -> None:
    """Raise unless ``value`` is a number (not a bool) between ``lo`` and ``hi``.

    NaN, infinities and integers too large for a float are out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise type_error(key, f"a number between {lo:g} and {hi:g}", value)
    try:
        number = float(value)
    except OverflowError:
        raise _out_of_range(key, value, lo, hi) from None
    if not (lo <= number <= hi):
        raise _out_of_range(key, value, lo, hi)


def check_type(key: str, value: Any, expected: str, *, ok: bool) -> None:
    """Raise the wrong-type error for ``value`` unless ``ok``."""
    if not ok:
        raise type_error(key, expected, value)


def require_table(key: str, value: Any) -> Mapping[str, Any]:
    """Return ``value`` if it is a TOML table, else raise."""
    if not isinstance(value, Mapping):
        raise type_error(key, "a table", value)
    return value


def numbers_table(
    key: str, value: Any, *, depth: int, expected: str = "a number"
) -> dict[str, Any]:
    """A (nested) table of numbers as floats; ``depth=2`` is a table of tables.

    ``expected`` describes one number (with its range) for messages.
    """
    table = require_table(key, value)
    out: dict[str, Any] = {}
    for k, v in table.items():
        where = f"{key}.{k}"
        if depth > 1:
            out[k] = numbers_table(where, v, depth=depth - 1, expected=expected)
        else:
            out[k] = as_number(where, v, expected)
    return out


def freeze(value: Any) -> Any:
    """Read-only copy of nested tables and lists (mappings and tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def resolve_path(base: Path, value: str) -> Path:
    """``value`` with ``~`` expanded; relative paths are taken from ``base``."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


# -- the region file's layout ---------------------------------------------
def _merge_routing_overrides(raw: dict[str, Any], overrides: Mapping[str, Any] | None) -> None:
    """Let ``overrides`` win over the file's ``[routing]`` keys (before validation)."""
    if not overrides:
        return
    merged = dict(raw.get("routing", {})) if isinstance(raw.get("routing"), Mapping) else {}
    merged.update(overrides)
    raw["routing"] = merged


def _move_kreis_to_source(raw: dict[str, Any]) -> None:
    """Move a ``kreis`` key of ``[region]`` into ``[source]``, where it belongs."""
    region_sec = dict(raw.get("region", {})) if isinstance(raw.get("region"), Mapping) else {}
    if "kreis" in region_sec:
        src = dict(raw.get("source", {}))
        src.setdefault("kreis", region_sec.pop("kreis"))
        raw["source"] = src
        raw["region"] = region_sec


def flatten_region(
    raw: Mapping[str, Any],
    *,
    fields: Collection[str],
    routing_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The region file's keys in one flat dict.

    ``[region]`` and ``[inputs]`` are sections for readability; their keys
    join the top-level keys.

    Parameters
    ----------
    raw
        The parsed region file.
    fields
        The valid field names (the top level also allows the sections).
    routing_overrides
        Keys of ``[routing]`` that win over the file.

    Raises
    ------
    ConfigError
        On an unknown top-level key or a section that is not a table.
    """
    top = dict(raw)
    _merge_routing_overrides(top, routing_overrides)
    _move_kreis_to_source(top)
    check_known_keys("", top, set(fields) | set(SECTIONS))
    flat: dict[str, Any] = {}
    for section in SECTIONS:
        sec = top.get(section, {})
        if not isinstance(sec, Mapping):
            raise type_error(section, "a table", sec)
        flat.update(sec)
    flat.update({k: v for k, v in top.items() if k not in SECTIONS})
    return flat


def parse_fields(
    flat: Mapping[str, Any], base: Path, parsers: Mapping[str, FieldParser]
) -> dict[str, Any]:
    """Check and convert every value of the flat region dict.

    Raises
    ------
    ConfigError
        On the first key without a parser (with a suggestion) or bad value.
    """
    kwargs: dict[str, Any] = {}
    for key, value in flat.items():
        check_known_keys("", [key], parsers)
        kwargs[key] = parsers[key](key, value, base)
    return kwargs


# -- parsers of the plain fields ------------------------------------------
def _parse_path(key: str, value: Any, base: Path) -> Path:
    """A path string, resolved against the region file's folder."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise type_error(key, "a path string (not empty, no NUL character)", value)
    return resolve_path(base, value)


def _parse_str(key: str, value: Any, base: Path) -> str:
    """A plain string (names of layers and columns)."""
    del base
    if not isinstance(value, str):
        raise type_error(key, "a string", value)
    return value


def _string_list(key: str, value: Any, expected: str) -> list[str]:
    """A string or a list of strings, as a list."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise type_error(key, expected, value)
    return values


def _parse_offers(key: str, value: Any, base: Path) -> tuple[str, ...]:
    """``"osm"`` and/or paths of offer lists (resolved)."""
    values = _string_list(key, value, '"osm" or a list of paths / "osm"')
    return tuple(v if v == "osm" else str(resolve_path(base, v)) for v in values)


def _parse_paths(key: str, value: Any, base: Path) -> tuple[Path, ...]:
    """A path or a list of paths (GTFS feeds), resolved against the region file's folder."""
    values = _string_list(key, value, 'a list of paths like ["fahrplan.gtfs.zip"]')
    for v in values:
        if not v.strip() or "\x00" in v:
            raise type_error(key, "a path string (not empty, no NUL character)", v)
    return tuple(resolve_path(base, v) for v in values)


def _parse_modes(key: str, value: Any, base: Path) -> tuple[str, ...]:
    """A mode or a list of modes (checked by the settings)."""
    del base
    return tuple(_string_list(key, value, 'a list like ["car", "bike", "walk"]'))


def _parse_thresholds(key: str, value: Any, base: Path) -> Any:
    """``{category: {mode: minutes}}``, read-only."""
    del base
    return freeze(numbers_table(key, value, depth=2, expected="minutes between 0.5 and 240"))


def _parse_age_shares(key: str, value: Any, base: Path) -> Mapping[str, float]:
    """Shares per age group; groups not given keep the default share."""
    del base
    merged = dict(DEFAULT_AGE_SHARES)
    merged.update(numbers_table(key, value, depth=1, expected="a share between 0 and 1"))
    return MappingProxyType(merged)


def _number_parser(expected: str) -> FieldParser:
    """A parser of one number (not a bool) as float; ``expected`` describes it."""

    def parse(key: str, value: Any, base: Path) -> float:
        del base
        return as_number(key, value, expected)

    return parse


def _parse_attribution(key: str, value: Any, base: Path) -> Mapping[str, str]:
    """Source texts per input (keys checked by the settings)."""
    del base
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise type_error(key, 'a table of texts like {boundaries = "…"}', value)
    return MappingProxyType(dict(value))


def _parse_bool(key: str, value: Any, base: Path) -> bool:
    """``true`` or ``false``."""
    del base
    if not isinstance(value, bool):
        raise type_error(key, "true or false", value)
    return value


_PATH_FIELDS = (
    "population_grid",
    "network",
    "boundaries",
    "villages",
    "population",
    "categories_file",
    "cache_dir",
    "out_dir",
)
_STR_FIELDS = (
    "name",
    "roads_layer",
    "places_layer",
    "pois_layer",
    "road_class_column",
    "boundaries_layer",
)

#: Parsers of every plain field of the region file (all but ``routing`` and
#: ``source``, whose parsers live next to their option classes).
SIMPLE_FIELD_PARSERS: Mapping[str, FieldParser] = MappingProxyType(
    {
        **dict.fromkeys(_PATH_FIELDS, _parse_path),
        **dict.fromkeys(_STR_FIELDS, _parse_str),
        "offers": _parse_offers,
        "gtfs": _parse_paths,
        "modes": _parse_modes,
        "thresholds": _parse_thresholds,
        "age_shares": _parse_age_shares,
        "merge_tolerance_m": _number_parser("a distance in metres such as 1.0"),
        "attribution": _parse_attribution,
        "grid_cell_m": _number_parser("a number of metres such as 250"),
        "workers": _number_parser("a whole number of processes such as 2"),
        "geocode_accept_street": _parse_bool,
    }
)
