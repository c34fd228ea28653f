"""Region files: the built-in ones, finding one by name, writing the prepared copy.

A region file names the Kreis key and, in ``[source]``, where its data comes
from.  The built-in files live in ``erreichbarkeit/prepare/regions/*.toml``
(the folder of data files; this module is ``regionfile``).  ``prepare``
writes a copy whose ``[inputs]`` point at the prepared files, keeping every
comment of the planner's file.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ConfigError

__all__ = [
    "AREA_KEY",
    "area_files",
    "raw_offers",
    "region_files",
    "region_slug",
    "resolve_region",
    "rewrite_section",
    "section_span",
    "slugify",
    "write_region_file",
]

logger = logging.getLogger(__name__)

_SECTION = re.compile(r"^\s*\[+([^\]]+)\]+\s*(#.*)?$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')

#: An ``[inputs]`` value ``prepare`` writes: a path, or a list of paths/``"osm"``.
InputValue = str | Sequence[str]

#: The ``[region]`` key of an area file naming its Kreis region file
#: (:mod:`erreichbarkeit.prepare.areafile`).
AREA_KEY = "kreis_file"


def _builtin_files() -> dict[str, Path]:
    """Every built-in ``.toml`` by stem, Kreis files and area files, sorted by name."""
    folder = resources.files("erreichbarkeit.prepare").joinpath("regions")
    # The package is installed on disk (wheel or editable), never zipped, so
    # the traversable is a real folder.
    root = Path(str(folder))
    if not root.is_dir():
        return {}
    return {p.stem: p for p in sorted(root.glob("*.toml"))}


def region_files() -> dict[str, Path]:
    """Return the built-in Kreis region files by name.

    Returns
    -------
    dict[str, Path]
        ``{"coesfeld": Path(".../regions/coesfeld.toml"), ...}``, sorted by name;
        the area files of Jugendämter are :func:`area_files`.
    """
    return {k: p for k, p in _builtin_files().items() if not _is_area_file(p)}


def area_files() -> dict[str, Path]:
    """Return the built-in area files (a Jugendamt's Gemeinden inside a Kreis) by name.

    Returns
    -------
    dict[str, Path]
        ``{"kreisjugendamt-hochsauerlandkreis": Path(...), ...}``, sorted by name
        (see :mod:`erreichbarkeit.prepare.areafile`).
    """
    return {k: p for k, p in _builtin_files().items() if _is_area_file(p)}


def _read_toml(path: Path) -> dict[str, object]:
    """The parsed region file, or ``{}`` if it is unreadable."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return {}


def _region_kreis_and_name(path: Path) -> tuple[str | None, str | None]:
    """The Kreis key and ``[region] name`` of a region file (``None`` when absent)."""
    raw = _read_toml(path)
    region_raw, source_raw = raw.get("region"), raw.get("source")
    region = region_raw if isinstance(region_raw, dict) else {}
    source = source_raw if isinstance(source_raw, dict) else {}
    kreis = source.get("kreis", region.get("kreis"))
    name = region.get("name")
    kreis_file = region.get(AREA_KEY)
    if isinstance(kreis_file, str) and kreis_file.strip():  # an area file: its Kreis's key
        area = _table(raw, "area")
        name = area.get("name")
        kreis_path = path.parent / f"{kreis_file.strip()}.toml"
        if kreis_path != path and kreis_path.is_file():
            kreis = _region_kreis_and_name(kreis_path)[0]
    return (str(kreis) if kreis else None), (str(name) if name else None)


def _is_area_file(path: Path) -> bool:
    """True for an area file (``[region] kreis_file``, :mod:`erreichbarkeit.prepare.areafile`)."""
    return AREA_KEY in _table(_read_toml(path), "region")


def _unknown_region(text: str, builtin: Mapping[str, Path]) -> ConfigError:
    """The error for a name that is no built-in region; it lists the built-in ones."""
    known = []
    for stem, path in builtin.items():
        kreis, name = _region_kreis_and_name(path)
        known.append(f"{stem} ({kreis} {name})")
    listing = ", ".join(known) or "none"
    msg = f"unknown region {text!r}"
    return ConfigError(
        msg,
        expected=f"one of {listing}, or the path of a region .toml file",
        message_de=(
            f"Unbekannte Region „{text}“. Eingebaut sind: {listing}. "
            "Alternativ den Pfad einer eigenen Regionsdatei (.toml) angeben."
        ),
    )


def resolve_region(name_or_path: str | Path) -> Path:
    """Find a region file by built-in name, Kreis key, region name or path.

    Parameters
    ----------
    name_or_path
        ``"hochsauerlandkreis"`` (built-in file name), ``"05958"`` (Kreis key),
        ``"Kreis Coesfeld"`` (the ``[region] name``), or the path of a ``.toml``.

    Returns
    -------
    Path
        The region file.

    Raises
    ------
    ConfigError
        If the path does not exist or the name is unknown; the message lists
        the built-in regions.
    """
    text = str(name_or_path).strip()
    as_path = Path(text).expanduser()
    if as_path.is_file():
        return as_path
    builtin = _builtin_files()
    if text.lower().endswith(".toml") or "/" in text or "\\" in text:
        msg = "region file not found"
        raise ConfigError(msg, file=as_path, message_de="Regionsdatei nicht gefunden")
    key = text.lower()
    if key in builtin:
        return builtin[key]
    for path in builtin.values():
        kreis, name = _region_kreis_and_name(path)
        by_key = text == kreis and not _is_area_file(path)  # a Kreis key means the Kreis file
        if by_key or (name is not None and key == name.lower()):
            return path
    raise _unknown_region(text, builtin)


def slugify(text: str) -> str:
    """``"Landkreis Göttingen"`` → ``landkreis-goettingen``."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug or "region"


def region_slug(region_file: Path, settings: Settings) -> str:
    """Folder/file name of a prepared region.

    The file stem of the region file (``hochsauerlandkreis``), or, for a file
    called ``region.toml``, the region name transliterated
    (``"Landkreis Göttingen"`` → ``landkreis-goettingen``).
    """
    stem = region_file.name.removesuffix(".toml")
    if stem.lower() != "region":
        return slugify(stem)
    return slugify(settings.name)


def raw_offers(region_file: Path) -> list[str]:
    """``[inputs] offers`` of a region file as written (relative paths, ``"osm"``).

    Returns ``["osm"]`` (the default) when the key is missing.
    """
    inputs = _read_toml(region_file).get("inputs", {})
    value = inputs.get("offers", ["osm"]) if isinstance(inputs, dict) else ["osm"]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else ["osm"]


# ---------------------------------------------------------------------------
# rewriting [inputs]
# ---------------------------------------------------------------------------
def section_span(lines: list[str], section: str = "inputs") -> tuple[int | None, int]:
    """Index of the ``[section]`` header line (``None``: no such section) and the section end."""
    start = None
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if match is None:
            continue
        if start is None and match.group(1).strip() == section:
            start = i
        elif start is not None:
            return start, i
    return start, len(lines)


def _bracket_depth(line: str) -> int:
    """Open ``[`` minus closed ``]`` on a line, outside strings and comments."""
    code = _STRING.sub('""', line).split("#", 1)[0]
    return code.count("[") - code.count("]")


def _value_end(lines: list[str], i: int, end: int) -> int:
    """Index of the last line of the value starting on line ``i`` (multi-line arrays)."""
    depth = _bracket_depth(lines[i].split("=", 1)[1])
    j = i
    while depth > 0 and j + 1 < end:
        j += 1
        depth += _bracket_depth(lines[j])
    return j


def _rewrite_inputs(text: str, values: Mapping[str, InputValue]) -> str:
    """Set ``key = value`` lines inside ``[inputs]``, keeping all comments."""
    return rewrite_section(text, "inputs", values)


def rewrite_section(text: str, section: str, values: Mapping[str, InputValue]) -> str:
    """Set ``key = value`` lines inside ``[section]``, keeping all comments.

    The standard library reads but cannot write TOML; a line edit keeps the
    planner's comments, which a re-serialisation would lose.  A value that
    spans several lines (a multi-line array) is replaced as a whole.  A
    missing section is appended at the end.
    """
    if not values:
        return text
    lines = text.splitlines()
    start, end = section_span(lines, section)
    rendered = {k: f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()}
    if start is None:
        body = "\n".join(rendered.values())
        return text.rstrip("\n") + f"\n\n[{section}]\n" + body + "\n"
    done: set[str] = set()
    i = start + 1
    while i < end:
        key = next((k for k in rendered if re.match(rf"^\s*{re.escape(k)}\s*=", lines[i])), None)
        if key is not None:
            last = _value_end(lines, i, end)
            lines[i : last + 1] = [rendered[key]]
            end -= last - i
            done.add(key)
        i += 1
    missing = [rendered[k] for k in rendered if k not in done]
    lines[start + 1 : start + 1] = missing
    return "\n".join(lines) + "\n"


def _warn_missing_paths(
    check: Settings, original: Settings, *, target: Path, source_file: Path, added: set[str]
) -> None:
    """Warn about relative paths that resolved next to the old file but not the new one."""
    paths = [check.villages, check.population, check.categories_file]
    paths += [Path(o) for o in check.offers if o != "osm" and o not in added]
    before = [original.villages, original.population, original.categories_file]
    before += [Path(o) for o in original.offers if o != "osm"]
    for new_path, old_path in zip(paths, before, strict=True):
        if new_path is not None and not new_path.exists() and old_path is not None:
            logger.warning(
                "%s: %s does not exist (it was %s relative to %s); copy it there or "
                "use an absolute path",
                target,
                new_path,
                old_path,
                source_file.name,
            )


def _table(raw: Mapping[str, object], key: str) -> dict[str, object]:
    """``raw[key]`` if it is a table, else ``{}``."""
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (POSIX separators), or absolute if outside it."""
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _gtfs_edits(
    text: str, target: Path, gtfs: Path, attribution: str | None
) -> dict[str, dict[str, InputValue]]:
    """The edits per section for a clipped timetable.

    ``[inputs] gtfs`` names the feed (relative to ``target``'s folder); an
    explicit ``modes`` list gains ``"pt"`` (without one, a timetable means
    all four modes anyway); ``[attribution] gtfs`` gets ``attribution``
    unless the planner wrote an own text.
    """
    raw = tomllib.loads(text)
    edits: dict[str, dict[str, InputValue]] = {"inputs": {"gtfs": [_relative(gtfs, target.parent)]}}
    section = next((sec for sec in ("inputs", "region") if "modes" in _table(raw, sec)), None)
    if section is not None:
        modes = _table(raw, section)["modes"]
        if isinstance(modes, list) and "pt" not in modes:
            edits.setdefault(section, {})["modes"] = [*(str(m) for m in modes), "pt"]
    elif "modes" in raw:
        logger.warning('%s: top-level modes not changed; add "pt" for Bus & Bahn', target)
    own = raw.get("attribution")
    if attribution is None or (isinstance(own, dict) and "gtfs" in own):
        return edits
    if own is None or section_span(text.splitlines(), "attribution")[0] is not None:
        edits["attribution"] = {"gtfs": attribution}
    else:  # an inline table: a line edit cannot extend it safely
        logger.warning("%s: add gtfs = %r to the attribution table by hand", target, attribution)
    return edits


def write_region_file(
    source_file: Path,
    target: Path,
    network: Path,
    boundaries: Path,
    *,
    offers: Sequence[str] | None = None,
    gtfs: Path | None = None,
    gtfs_attribution: str | None = None,
) -> None:
    """Write the prepared copy of a region file (atomic) and check that it reads back.

    Parameters
    ----------
    source_file
        The region file ``prepare`` started from.
    target
        ``<data_dir>/<slug>/region.toml``.
    network, boundaries
        The prepared files (in ``target``'s folder); ``[inputs]`` names them.
    offers
        A new ``[inputs] offers`` list (paths relative to ``target``'s folder
        or ``"osm"``); ``None`` keeps the list of ``source_file``.
    gtfs
        The clipped timetable (below ``target``'s folder): ``[inputs] gtfs``
        names it relative to that folder, an explicit ``modes`` list gains
        ``"pt"``.  ``None``: the timetable entries stay as they are.
    gtfs_attribution
        Source text of the timetable for ``[attribution] gtfs`` (kept when
        the region file has its own); ``None`` writes none.

    Raises
    ------
    ConfigError
        If the written file does not read back or misses the network or
        the timetable.
    """
    text = source_file.read_text("utf-8")
    header = (
        f"# Erzeugt von `erreichbarkeit prepare` aus {source_file.name} "
        f"({datetime.now(UTC).date().isoformat()}).\n"
        f"# Generated by `erreichbarkeit prepare` from {source_file.name}.\n"
    )
    edits = _gtfs_edits(text, target, gtfs, gtfs_attribution) if gtfs is not None else {}
    values = edits.setdefault("inputs", {})
    values.update({"network": network.name, "boundaries": boundaries.name})
    if offers is not None:
        values["offers"] = list(offers)
    for section, section_values in edits.items():
        text = rewrite_section(text, section, section_values)
    with atomic_path(target) as tmp:
        tmp.write_text(header + text, "utf-8")
        check = Settings.from_toml(tmp)
        if check.network != tmp.parent / network.name:
            msg = "generated region file does not point at the clipped network"
            raise ConfigError(msg, file=source_file)
        if gtfs is not None and check.gtfs != (tmp.parent / _relative(gtfs, target.parent),):
            msg = "generated region file does not point at the clipped timetable"
            raise ConfigError(msg, file=source_file)
    # Other relative paths (own offer lists, villages …) now resolve against
    # the new folder; say so instead of silently pointing at nothing.
    original = Settings.from_toml(source_file)
    added = {str(target.parent / o) for o in offers or () if o not in raw_offers(source_file)}
    _warn_missing_paths(check, original, target=target, source_file=source_file, added=added)
