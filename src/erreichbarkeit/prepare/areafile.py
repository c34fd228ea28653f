"""Area region files: a Jugendamt's area inside a Kreis whose data another file names.

A Kreis often has several Jugendämter (the Kreisjugendamt for the smaller
Kommunen, Stadtjugendämter for the larger towns).  Their analysis areas share
the Kreis's data (OSM extract, boundaries, timetable: the Kreis plus its
buffer), so an *area file* does not repeat the Kreis file's ``[source]``; it
names the Kreis file and the area::

    [region]
    kreis_file = "hochsauerlandkreis"     # built-in name, or a path relative to this file

    [area]
    name = "Kreisjugendamt Hochsauerlandkreis"
    ags = ["05958008", …]
    source = "LWL-Landesjugendamt Westfalen: …"

``erreichbarkeit prepare <area file>`` prepares the Kreis once (in its own
folder, reused by every area of the Kreis) and writes
``<data_dir>/<area file stem>/region.toml``: the Kreis's prepared region file
with the ``[inputs]`` paths pointing into the Kreis's folder and the area's
``[area]`` table appended (:func:`write_area_region_file`).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import WGS84, Settings
from erreichbarkeit.config.area import AnalysisArea, parse_area
from erreichbarkeit.config.validation import check_known_keys, check_type, require_table
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.prepare.regionfile import (
    AREA_KEY,
    region_slug,
    resolve_region,
    rewrite_section,
    section_span,
    slugify,
)

__all__ = [
    "AreaFile",
    "PreparedKreis",
    "area_target",
    "is_area_file",
    "kreis_file",
    "prepared_kreis",
    "read_area_file",
    "write_area_region_file",
]

logger = logging.getLogger(__name__)

_PATH_KEYS = frozenset(
    {"network", "boundaries", "villages", "population", "population_grid", "categories_file"}
)
_LIST_KEYS = frozenset({"offers", "gtfs", "responsibility"})


@dataclass(frozen=True)
class AreaFile:
    """A parsed area file.

    Attributes
    ----------
    path
        The area file.
    kreis_file
        The ``[region] kreis_file`` value as written (built-in name or path).
    area
        Its ``[area]``.
    """

    path: Path
    kreis_file: str
    area: AnalysisArea

    def kreis_path(self) -> Path:
        """The Kreis region file: a path next to the area file, else a built-in name.

        Raises
        ------
        ConfigError
            If neither exists (the message lists the built-in regions).
        """
        local = self.path.parent / self.kreis_file
        for candidate in (local, local.with_name(local.name + ".toml")):
            if candidate.is_file():
                return candidate
        return resolve_region(self.kreis_file)


def _read(path: Path) -> dict[str, Any]:
    """The parsed TOML, with a German error when it is unreadable."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        msg = f"cannot read the region file: {exc}"
        raise ConfigError(msg, file=path, message_de=f"Regionsdatei nicht lesbar: {exc}") from exc


def is_area_file(raw: dict[str, Any]) -> bool:
    """True when the parsed region file names a Kreis file (``[region] kreis_file``)."""
    region = raw.get("region")
    return isinstance(region, dict) and AREA_KEY in region


def read_area_file(path: Path) -> AreaFile | None:
    """The area file at ``path``; ``None`` for an ordinary region file.

    Raises
    ------
    ConfigError
        An area file with other tables or keys than ``[region] kreis_file``
        and ``[area]``, or a bad ``[area]``.
    """
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None  # not an area file we can read: Settings.from_toml names the problem
    if not is_area_file(raw):
        return None
    try:
        value, area = _parse_area_file(raw, path)
    except ConfigError as exc:
        if exc.file is None:
            exc.file = str(path)
        raise
    return AreaFile(path=path, kreis_file=str(value).strip(), area=area)


def _parse_area_file(raw: dict[str, Any], path: Path) -> tuple[str, AnalysisArea]:
    """``[region] kreis_file`` and ``[area]`` of an area file."""
    check_known_keys("", raw, {"region", "area"})
    region = require_table("region", raw["region"])
    check_known_keys("region", region, {AREA_KEY})
    value = region[AREA_KEY]
    check_type(
        f"region.{AREA_KEY}", value, 'a Kreis region file such as "hochsauerlandkreis"',
        ok=isinstance(value, str) and bool(value.strip()),
    )  # fmt: skip
    if "area" not in raw:
        msg = "an area file needs an [area] table"
        raise ConfigError(
            msg,
            column="area",
            expected='[area] name = "…", ags = ["…"]',
            message_de="Der Gebietsdatei fehlt der Abschnitt [area] (name, ags)",
        )
    return str(value), parse_area("area", raw["area"], path.parent)


def _rebase(value: str, base: Path, target_dir: Path) -> str:
    """A path relative to ``base`` → relative to ``target_dir`` (absolute ones stay)."""
    if value == "osm" or Path(value).is_absolute():
        return value
    full = (base / value).resolve()
    try:
        return full.relative_to(target_dir.resolve(), walk_up=True).as_posix()
    except ValueError:  # another drive (Windows)
        return str(full)


def _moved_inputs(prepared: Path, target_dir: Path) -> dict[str, str | list[str]]:
    """The ``[inputs]`` paths of ``prepared``, relative to ``target_dir``."""
    inputs = _read(prepared).get("inputs", {})
    out: dict[str, str | list[str]] = {}
    for key, value in inputs.items() if isinstance(inputs, dict) else ():
        if key in _PATH_KEYS and isinstance(value, str):
            out[key] = _rebase(value, prepared.parent, target_dir)
        elif key in _LIST_KEYS and isinstance(value, list):
            out[key] = [_rebase(str(v), prepared.parent, target_dir) for v in value]
    return out


def _section_lines(text: str, section: str) -> tuple[list[str], list[str]]:
    """``text``'s lines without ``[section]``, and the lines of that section."""
    lines = text.splitlines()
    start, end = section_span(lines, section)
    if start is None:
        return lines, []
    while end > start + 1 and lines[end - 1].lstrip().startswith("#"):
        end -= 1  # the comments above the next section belong to it
    return lines[:start] + lines[end:], lines[start:end]


def write_area_region_file(area_file: AreaFile, prepared: Path, target: Path) -> Settings:
    """Write ``target`` (``<data_dir>/<area>/region.toml``) and check that it reads back.

    Parameters
    ----------
    area_file
        The area file.
    prepared
        The Kreis's prepared ``region.toml`` (written by ``prepare``).
    target
        The area's region file; its ``[inputs]`` point into ``prepared``'s
        folder, its ``[area]`` is the area file's.

    Returns
    -------
    Settings
        The settings of the written file.

    Raises
    ------
    ConfigError
        If the written file does not read back with the area.
    """
    text = prepared.read_text("utf-8")
    kreis_lines, _ = _section_lines(text, "area")
    text = rewrite_section(
        "\n".join(kreis_lines) + "\n", "inputs", _moved_inputs(prepared, target.parent)
    )
    _, area_lines = _section_lines(area_file.path.read_text("utf-8"), "area")
    header = (
        f"# Auswertungsgebiet „{area_file.area.name}“: erzeugt von `erreichbarkeit prepare` "
        f"aus {area_file.path.name}\n"
        f"# ({datetime.now(UTC).date().isoformat()}) mit den Daten aus {prepared.parent.name}/.\n"
        f"# Generated by `erreichbarkeit prepare` from {area_file.path.name}.\n"
    )
    body = header + text.rstrip("\n") + "\n\n" + "\n".join(area_lines).rstrip("\n") + "\n"
    with atomic_path(target) as tmp:
        tmp.write_text(body, "utf-8")
        check = Settings.from_toml(tmp)
        if check.area is None or check.area.name != area_file.area.name:
            msg = "generated area region file does not carry the [area]"
            raise ConfigError(msg, file=area_file.path)
        if check.network is None or not check.network.exists():
            msg = "generated area region file does not point at the Kreis's network"
            raise ConfigError(msg, file=area_file.path)
    return check


# -- preparing an area: the Kreis's folder, the area's folder ---------------------------


def kreis_file(area_file: AreaFile) -> Path:
    """The Kreis region file an area file names; it must not be an area file itself.

    Raises
    ------
    ConfigError
        The named file is unknown, or an area file (German message).
    """
    kreis_path = area_file.kreis_path()
    if read_area_file(kreis_path) is not None:
        msg = "the kreis_file of an area file is an area file itself"
        raise ConfigError(
            msg,
            file=area_file.path,
            column=f"region.{AREA_KEY}",
            expected="a Kreis region file with [source]",
            message_de=(
                f"„kreis_file“ nennt mit {kreis_path.name} wieder eine Gebietsdatei; "
                "bitte die Regionsdatei des Kreises (mit [source]) angeben"
            ),
        )
    return kreis_path


@dataclass(frozen=True)
class PreparedKreis:
    """The files of a Kreis ``prepare`` wrote before (see :func:`prepared_kreis`)."""

    region_file: Path
    network: Path
    boundaries: Path
    gtfs: Path | None

    @property
    def folder(self) -> Path:
        """The Kreis's folder below the data folder."""
        return self.region_file.parent


def prepared_kreis(area_file: AreaFile, data_dir: Path) -> tuple[PreparedKreis, str] | None:
    """The Kreis as ``prepare`` left it in ``data_dir`` and its outline (WKT, EPSG:4326).

    Every area of a Kreis shares the Kreis's folder; a second area reuses it
    instead of clipping the extract again.  ``None``: not prepared (or
    incomplete, or unreadable): prepare the Kreis.
    """
    kreis_path = kreis_file(area_file)
    folder = Path(data_dir) / region_slug(kreis_path, Settings.from_toml(kreis_path))
    region_file = folder / "region.toml"
    if not region_file.is_file():
        return None
    try:
        settings = Settings.from_toml(region_file)
    except ConfigError:
        logger.warning("%s is unreadable; preparing the Kreis again", region_file)
        return None
    network, bnd = settings.network, settings.boundaries
    if network is None or bnd is None or not network.is_file() or not bnd.is_file():
        return None
    gemeinden = gpd.read_file(bnd, engine="pyogrio")
    inside = gemeinden[gemeinden["in_kreis"].astype(bool)] if "in_kreis" in gemeinden else gemeinden
    outline = shapely.union_all(inside.to_crs(WGS84).geometry.to_numpy())
    logger.info("Kreis already prepared in %s; reusing it", folder)
    found = PreparedKreis(region_file, network, bnd, settings.gtfs[0] if settings.gtfs else None)
    return found, shapely.to_wkt(outline, rounding_precision=6)


def area_target(area_file: AreaFile, kreis_folder: Path, data_dir: Path) -> Path:
    """``<data_dir>/<area file stem>/region.toml`` (never the Kreis's own folder)."""
    stem = area_file.path.name.removesuffix(".toml")
    slug = slugify(area_file.area.name if stem.lower() == "region" else stem)
    if (Path(data_dir) / slug).resolve() == Path(kreis_folder).resolve():
        slug = f"{slug}-gebiet"
    target = Path(data_dir) / slug / "region.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target
