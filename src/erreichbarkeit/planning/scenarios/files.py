"""Scenarios as small JSON files: :func:`save_scenario` and :func:`load_scenario`."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.errors import ScenarioError, ScenarioFileError
from erreichbarkeit.planning.scenarios.model import Change, Scenario, _number_ok

__all__ = ["FORMAT_VERSION", "load_scenario", "save_scenario"]

#: Version of the scenario file format written by :func:`save_scenario`.
FORMAT_VERSION = 1
_FORMAT_NAME = "erreichbarkeit-szenario"
#: Scenario files are a few KB; refuse anything absurdly large (dashboard uploads).
_MAX_FILE_BYTES = 2_000_000
_CHANGE_KEYS = ("kind", "offer_id", "name", "category", "lon", "lat", "address", "age_groups")
_TOP_KEYS = ("format", "version", "name", "created", "region", "changes")


def _change_dict(change: Change) -> dict[str, Any]:
    """The JSON object of a change (empty fields left out)."""
    out: dict[str, Any] = {"kind": change.kind, "offer_id": change.offer_id}
    for key in ("name", "category", "lon", "lat", "address", "age_groups"):
        value = getattr(change, key)
        if value not in (None, ""):
            out[key] = value
    return out


def save_scenario(scenario: Scenario, path: str | Path, *, region: str | None = None) -> Path:
    """Write a scenario as JSON (atomically).

    Parameters
    ----------
    scenario
        The scenario.
    path
        Target file (``.json``).
    region
        Name of the region the scenario belongs to (informative).

    Returns
    -------
    Path
        ``path``.
    """
    data: dict[str, Any] = {
        "format": _FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": scenario.name,
        "created": scenario.created,
    }
    if region:
        data["region"] = region
    data["changes"] = [_change_dict(c) for c in scenario.changes]
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def _file_error(path: Path, key: str, en: str, expected: str, de: str) -> ScenarioFileError:
    """A :class:`ScenarioFileError` naming the file and key."""
    return ScenarioFileError(en, file=path, column=key, expected=expected, message_de=de)


def _unknown_keys(path: Path, prefix: str, data: Mapping[str, Any], known: Sequence[str]) -> None:
    """Raise for the first key of ``data`` not in ``known`` (with a did-you-mean hint)."""
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            hint_de = f" – meinten Sie „{close[0]}“?" if close else ""
            where = f"{prefix}{key}"
            raise _file_error(
                path, where, f"unknown key {where!r}{hint}", ", ".join(known),
                f"Unbekannter Eintrag „{where}“{hint_de}",
            )  # fmt: skip


def _read_json(p: Path) -> Any:
    """The parsed JSON of a scenario file (size-checked, BOM tolerated)."""
    try:
        size = p.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise _file_error(
                p, "", f"file too large ({size} bytes)", f"at most {_MAX_FILE_BYTES} bytes",
                "Datei zu groß für eine Szenario-Datei",
            )  # fmt: skip
        # utf-8-sig: Windows editors (Notepad) save JSON with a byte-order mark
        return json.loads(p.read_text("utf-8-sig"))
    except FileNotFoundError as exc:
        raise _file_error(
            p, "", "scenario file not found", "a scenario file", "Szenario-Datei nicht gefunden"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: absurdly deep nesting ("[[[[…"), never a scenario
        raise _file_error(
            p, "", f"not a readable JSON file: {exc}", "JSON (UTF-8)",
            f"Keine lesbare JSON-Datei: {exc}",
        ) from exc  # fmt: skip


def _check_version(p: Path, version: Any) -> None:
    """Raise unless ``version`` is a format version this program reads."""
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _file_error(
            p, "version", f"invalid format version {version!r}", "a whole number >= 1",
            f"Ungültige Formatversion {version!r}",
        )  # fmt: skip
    if version > FORMAT_VERSION:
        raise _file_error(
            p, "version", f"format version {version} is newer than this program",
            f"version <= {FORMAT_VERSION}",
            f"Die Datei hat Formatversion {version}; dieses Programm kennt nur bis "
            f"{FORMAT_VERSION}. Bitte erreichbarkeit aktualisieren.",
        )  # fmt: skip


def _check_top(p: Path, raw: Any) -> list[Any]:
    """Check the top level of a scenario file; returns its raw list of changes."""
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT_NAME:
        raise _file_error(
            p, "format", "not an erreichbarkeit scenario file", f'"format": "{_FORMAT_NAME}"',
            "Keine Szenario-Datei von erreichbarkeit",
        )  # fmt: skip
    _unknown_keys(p, "", raw, _TOP_KEYS)
    _check_version(p, raw.get("version"))
    for key in ("name", "created"):
        if not isinstance(raw.get(key), str):
            raise _file_error(
                p, key, f"{key!r} missing or not a string", "a text",
                f"„{key}“ fehlt oder ist kein Text",
            )  # fmt: skip
    changes_raw = raw.get("changes")
    if not isinstance(changes_raw, list):
        raise _file_error(
            p, "changes", "'changes' missing or not a list", "a list of changes",
            "„changes“ fehlt oder ist keine Liste",
        )  # fmt: skip
    return changes_raw


def _check_change_types(p: Path, i: int, item: Any) -> None:
    """Raise unless change ``i`` is an object with known keys of the right types."""
    prefix = f"changes[{i}]"
    if not isinstance(item, dict):
        raise _file_error(
            p, prefix, f"{prefix} is not an object", '{"kind": …, "offer_id": …}',
            f"Änderung {i} ist kein Objekt",
        )  # fmt: skip
    _unknown_keys(p, prefix + ".", item, _CHANGE_KEYS)
    for key in ("kind", "offer_id"):
        if not isinstance(item.get(key), str):
            raise _file_error(
                p, f"{prefix}.{key}", f"{prefix}.{key} missing or not a string", "a text",
                f"Änderung {i}: „{key}“ fehlt oder ist kein Text",
            )  # fmt: skip
    for key in ("name", "category", "address", "age_groups"):
        if key in item and item[key] is not None and not isinstance(item[key], str):
            raise _file_error(
                p, f"{prefix}.{key}", f"{prefix}.{key} is not a string", "a text",
                f"Änderung {i}: „{key}“ ist kein Text",
            )  # fmt: skip
    for key in ("lon", "lat"):
        if key in item and item[key] is not None and not _number_ok(item[key]):
            raise _file_error(
                p, f"{prefix}.{key}", f"{prefix}.{key} is not a number", "degrees (WGS84)",
                f"Änderung {i}: „{key}“ ist keine Zahl",
            )  # fmt: skip


def _parse_change(p: Path, i: int, item: Any) -> Change:
    """Change ``i`` of the file (types checked, then validated by :class:`Change`)."""
    _check_change_types(p, i, item)
    try:
        return Change(
            kind=item["kind"],
            offer_id=item["offer_id"],
            name=item.get("name") or "",
            category=item.get("category"),
            lon=None if item.get("lon") is None else float(item["lon"]),
            lat=None if item.get("lat") is None else float(item["lat"]),
            address=item.get("address"),
            age_groups=item.get("age_groups") or "",
        )
    except ScenarioError as exc:
        prefix = f"changes[{i}]"
        key = f"{prefix}.{exc.column.split(',')[0]}" if exc.column else prefix
        raise _file_error(
            p, key, exc.message, exc.expected or "", f"Änderung {i}: {exc.message_de}"
        ) from exc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file written by :func:`save_scenario`.

    Parameters
    ----------
    path
        The JSON file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioFileError
        If the file is missing, too large, not JSON, not a scenario file, of a
        newer format version, or a key is unknown, missing or of the wrong
        type (the error names the key, e.g. ``changes[2].lon``, and what was
        expected, with a German message).
    """
    p = Path(path)
    raw = _read_json(p)
    changes_raw = _check_top(p, raw)
    changes = [_parse_change(p, i, item) for i, item in enumerate(changes_raw, start=1)]
    return Scenario(name=raw["name"], changes=tuple(changes), created=raw["created"])
