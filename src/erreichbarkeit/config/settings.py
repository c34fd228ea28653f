"""Frozen configuration objects.

One :class:`Settings` object describes one analysis run: the inputs, the
modes, thresholds per category and mode, routing options and the age shares
used to estimate children.  It is immutable and hashable in content
(:meth:`Settings.cache_key`), so a Streamlit server that runs many sessions in
one process can pass it around and key caches on it without shared mutable
state.

Region files (``region.toml``) are parsed by :func:`Settings.from_toml`; every
unknown key is an error that suggests the nearest valid key, every value is
type- and range-checked, and relative paths are resolved against the region
file's folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import logging
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from erreichbarkeit.errors import ConfigError

__all__ = [
    "AGE_GROUPS",
    "DEFAULT_AGE_SHARES",
    "METRIC_CRS",
    "MODES",
    "MODE_LABELS",
    "WGS84",
    "Category",
    "Mode",
    "ProgressCallback",
    "RegionSource",
    "RoutingOptions",
    "Settings",
    "age_column",
    "load_categories",
]

logger = logging.getLogger(__name__)

#: CRS of every point/polygon table handed between modules (lon/lat).
WGS84 = "EPSG:4326"
#: CRS for metric operations in Germany (ETRS89 / UTM zone 32N, as VG250 uses).
METRIC_CRS = "EPSG:25832"

#: Progress callback of long steps: ``(step, done, total)``; the CLI shows a
#: progress line and the dashboard an ``st.progress`` from the same calls.
ProgressCallback = Callable[[str, int, int], None]

Mode = Literal["car", "bike", "walk"]
MODES: tuple[Mode, ...] = ("car", "bike", "walk")
MODE_LABELS: Mapping[str, str] = MappingProxyType(
    {"car": "Auto", "bike": "Fahrrad", "walk": "zu Fuß"}
)

AGE_GROUPS: tuple[str, ...] = ("0-3", "3-6", "6-10", "10-18", "18-27")

#: Share of the total population in each age group (``"0-3"`` = ages 0, 1, 2).
#: Rounded national shares of Germany from the Destatis population update
#: (Bevölkerungsfortschreibung, 31.12.2022: under 3 ≈ 2.8 %, 3–5 ≈ 2.9 %,
#: 6–9 ≈ 3.7 %, 10–17 ≈ 7.4 %, 18–26 ≈ 9.4 %).  Rural counties differ; replace
#: them with the county's own shares (Regionalstatistik table 12411-02-03-5)
#: in the region file's ``[age_shares]`` table.
DEFAULT_AGE_SHARES: Mapping[str, float] = MappingProxyType(
    {"0-3": 0.028, "3-6": 0.029, "6-10": 0.037, "10-18": 0.074, "18-27": 0.094}
)

_MAX_THRESHOLD_MIN = 240.0
_ATTRIBUTION_KEYS = ("network", "boundaries", "population", "population_grid", "villages", "offers")


def age_column(group: str) -> str:
    """Return the column name holding the children of an age group.

    Examples
    --------
    >>> age_column("0-3")
    'children_0_3'
    """
    if group not in AGE_GROUPS:
        msg = f"unknown age group {group!r}"
        raise ConfigError(
            msg,
            expected=", ".join(AGE_GROUPS),
            message_de=f"Unbekannte Altersgruppe „{group}“ (erlaubt: {', '.join(AGE_GROUPS)})",
        )
    return "children_" + group.replace("-", "_")


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
        Default threshold minutes per mode.
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


def _parse_categories(raw: Mapping[str, Any], source: str) -> dict[str, Category]:
    cats: dict[str, Category] = {}
    for key, spec in raw.items():
        try:
            thresholds: dict[str, float] = {m: float(spec["thresholds"][m]) for m in MODES}
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
            )
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
    return cats


@cache
def _builtin_categories() -> Mapping[str, Category]:
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
        raw = tomllib.loads(_toml_text(p))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"cannot read category table: {exc}"
        raise ConfigError(msg, file=p, message_de=f"Kategorientabelle unlesbar: {exc}") from exc
    return MappingProxyType(_parse_categories(raw, str(p)))


@dataclass(frozen=True)
class RoutingOptions:
    """Options of the OSRM routing step.

    Attributes
    ----------
    algorithm
        ``"CH"`` or ``"MLD"`` per mode.  CH answers table queries about 3×
        faster but its contraction is slow on large foot graphs; MLD
        preprocesses in seconds (see ``benchmarks/README.md``).
    speeds
        Per mode, a mapping OSM ``highway`` value → km/h that overrides the
        OSRM profile's default (written into a generated profile wrapper).
    maxspeed
        Per mode (only ``car`` uses it), a mapping of implicit ``maxspeed``
        values such as ``"de:rural"`` → km/h.
    max_snap_m
        Points further than this from the routable network are flagged and
        left out of the routing (not silently moved).
    cutoff_minutes
        Pairs slower than this are dropped from the long table.
    """

    algorithm: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"car": "CH", "bike": "MLD", "walk": "MLD"})
    )
    speeds: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))
    maxspeed: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    max_snap_m: float = 500.0
    cutoff_minutes: float = 90.0


@dataclass(frozen=True)
class RegionSource:
    """Where ``erreichbarkeit prepare`` gets a real region's data.

    Attributes
    ----------
    kreis
        5-digit Kreis key (e.g. ``"05958"`` Hochsauerlandkreis).
    extract_url
        URL of the OSM extract (a Geofabrik ``.osm.pbf``) that covers the Kreis.
    boundaries_url
        URL of a Gemeinde boundary file (BKG VG250) or ``None``.
    buffer_km
        Buffer around the Kreis when clipping: families cross the border.
    """

    kreis: str
    extract_url: str
    boundaries_url: str | None = None
    buffer_km: float = 10.0


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@dataclass(frozen=True)
class Settings:
    """Everything one analysis run needs.

    Attributes
    ----------
    name
        Region name shown in titles and exports.
    network
        Road network: an OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``)
        or a GIS line layer (``.gpkg``, ``.geojson``, ``.shp``).
    roads_layer, places_layer, pois_layer
        Layer names inside a GeoPackage network (auto-detected when ``None``).
    road_class_column
        Column of the GIS road layer with the road class (``highway`` or
        OpenMapTiles ``class``); auto-detected when ``None``.
    merge_tolerance_m
        Line ends and vertices of a GIS road layer closer than this are merged
        into one node (joins lines split at tile borders or digitised with
        small gaps).
    boundaries
        Gemeinde polygons with AGS and name; ``None`` uses the OSM file's
        ``admin_level=8`` relations.
    villages
        Own origin points/polygons; ``None`` uses OSM ``place=*`` objects.
    population
        Population per Gemeinde (CSV with AGS/ARS) when the boundaries lack it.
    offers
        Offer sources: paths of CSV/XLSX files and/or the word ``"osm"``.
    modes
        Modes to compute.
    thresholds
        Overrides of the category default thresholds: ``{category: {mode: minutes}}``.
    age_shares
        Share of the population per age group, used where no counts are given.
    categories_file
        Own category table (``None`` = built-in).
    routing
        :class:`RoutingOptions`.
    cache_dir
        Where prepared OSRM networks are cached.
    out_dir
        Where exports are written.
    geocode_accept_street
        Accept street-level matches for offers given only by address.
    source
        Where ``erreichbarkeit prepare`` downloads the region's data.
    population_grid
        A population grid (e.g. Zensus 1 km or 100 m cells) for the grid
        surface; ``None`` = no grid input.
    grid_cell_m
        Cell size of the population grid surface in metres (e.g. 250);
        ``None`` = no grid surface.
    attribution
        Source/licence text per input (``network``, ``boundaries``,
        ``population``, ``population_grid``, ``villages``, ``offers``) that
        replaces the default attribution in the Methodik sheet and on maps.
    """

    name: str = "Region"
    network: Path | None = None
    roads_layer: str | None = None
    places_layer: str | None = None
    pois_layer: str | None = None
    road_class_column: str | None = None
    merge_tolerance_m: float = 1.0
    boundaries: Path | None = None
    boundaries_layer: str | None = None
    villages: Path | None = None
    population: Path | None = None
    offers: tuple[str, ...] = ("osm",)
    modes: tuple[str, ...] = MODES
    thresholds: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    age_shares: Mapping[str, float] = field(default_factory=lambda: DEFAULT_AGE_SHARES)
    categories_file: Path | None = None
    routing: RoutingOptions = field(default_factory=RoutingOptions)
    cache_dir: Path = field(default_factory=lambda: Path("data/cache"))
    out_dir: Path = field(default_factory=lambda: Path("out"))
    geocode_accept_street: bool = False
    source: RegionSource | None = None
    population_grid: Path | None = None
    grid_cell_m: float | None = None
    attribution: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for mode in self.modes:
            if mode not in MODES:
                msg = f"unknown mode {mode!r}"
                raise ConfigError(
                    msg,
                    column="modes",
                    expected=", ".join(MODES),
                    message_de=f"Unbekannter Verkehrsmodus „{mode}“ (erlaubt: car, bike, walk)",
                )
        if not self.modes:
            msg = "no mode selected"
            raise ConfigError(
                msg,
                column="modes",
                expected=", ".join(MODES),
                message_de="Kein Verkehrsmittel gewählt (erlaubt: car, bike, walk)",
            )
        if not self.offers:
            msg = "no offer source: give 'osm' and/or offers files"
            raise ConfigError(
                msg,
                column="offers",
                expected='["osm"] or a list of CSV/XLSX files',
                message_de='Keine Angebotsquelle angegeben ("osm" und/oder Angebotslisten)',
            )
        if len(set(self.modes)) != len(self.modes):
            msg = f"a mode is listed twice: {', '.join(self.modes)}"
            raise ConfigError(
                msg,
                column="modes",
                expected="each of car, bike, walk at most once",
                message_de=f"Verkehrsmittel doppelt angegeben: {', '.join(self.modes)}",
            )
        cats = self.categories()
        for cat, per_mode in self.thresholds.items():
            if cat not in cats:
                raise _unknown_key_error("thresholds", cat, cats.keys())
            for mode, minutes in per_mode.items():
                if mode not in MODES:
                    raise _unknown_key_error(f"thresholds.{cat}", mode, MODES)
                _check_range(f"thresholds.{cat}.{mode}", minutes, 0.5, _MAX_THRESHOLD_MIN)
        for key in self.attribution:
            if key not in _ATTRIBUTION_KEYS:
                raise _unknown_key_error("attribution", key, _ATTRIBUTION_KEYS)
        for group, share in self.age_shares.items():
            if group not in AGE_GROUPS:
                raise _unknown_key_error("age_shares", group, AGE_GROUPS)
            _check_range(f"age_shares.{group}", share, 0.0, 1.0)
        _check_range("routing.max_snap_m", self.routing.max_snap_m, 1.0, 50_000.0)
        # before the comparison with the thresholds: an absurd cutoff is the error
        _check_range("routing.cutoff_minutes", self.routing.cutoff_minutes, 1.0, 1440.0)
        # Pairs beyond the cutoff are not in the travel-time table, so a
        # threshold above it would count reachable villages as unreachable.
        cutoff = self.routing.cutoff_minutes
        for cat in cats:
            for mode in self.modes:
                minutes = self.threshold(cat, mode)
                if minutes > cutoff:
                    msg = (
                        f"threshold {cat}.{mode} = {minutes:g} min exceeds the routing cutoff "
                        f"of {cutoff:g} min; raise routing.cutoff_minutes"
                    )
                    raise ConfigError(
                        msg,
                        column=f"thresholds.{cat}.{mode}",
                        expected=f"at most routing.cutoff_minutes ({cutoff:g})",
                        message_de=(
                            f"Schwellenwert {cat}/{mode} = {minutes:g} min liegt über der "
                            f"Berechnungsgrenze von {cutoff:g} min; routing.cutoff_minutes erhöhen"
                        ),
                    )
        _check_range("merge_tolerance_m", self.merge_tolerance_m, 0.0, 25.0)
        if self.grid_cell_m is not None:
            _check_range("grid_cell_m", self.grid_cell_m, 50.0, 5_000.0)
        for mode, algo in self.routing.algorithm.items():
            if algo not in ("CH", "MLD"):
                msg = f"unknown routing algorithm {algo!r} for {mode}"
                raise ConfigError(
                    msg,
                    column="routing.algorithm",
                    expected="CH or MLD",
                    message_de=f"Unbekanntes Routing-Verfahren „{algo}“ für {mode} "
                    "(erlaubt: CH, MLD)",
                )

    # -- derived values -------------------------------------------------
    def categories(self) -> Mapping[str, Category]:
        """The category table in force (built-in or :attr:`categories_file`)."""
        return load_categories(self.categories_file)

    def threshold(self, category: str, mode: str) -> float:
        """Threshold minutes for a category and mode (override or default)."""
        override = self.thresholds.get(category, {}).get(mode)
        if override is not None:
            return float(override)
        return float(self.categories()[category].thresholds[mode])

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def cache_key(self) -> str:
        """A stable hex digest of all settings (for caches keyed on content)."""
        blob = json.dumps(_jsonable(self), sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the settings (for the Methodik sheet)."""
        return cast(dict[str, Any], _jsonable(self))

    # -- construction -------------------------------------------------------
    @classmethod
    def from_toml(
        cls,
        path: str | Path,
        *,
        routing_overrides: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Read a region file.

        Parameters
        ----------
        path
            The ``region.toml``.  Relative paths inside it are resolved
            against its folder.
        routing_overrides
            Keys of the ``[routing]`` table that win over the file (e.g.
            ``cutoff_minutes`` from the CLI), merged before validation.
        **overrides
            Field values that win over the file (e.g. ``out_dir`` from the CLI).

        Raises
        ------
        ConfigError
            On a TOML syntax error, an unknown key (with a suggestion), a wrong
            type or an absurd value.
        """
        p = Path(path)
        try:
            raw = tomllib.loads(_toml_text(p))
        except FileNotFoundError as exc:
            msg = "region file not found"
            raise ConfigError(msg, file=p, message_de="Regionsdatei nicht gefunden") from exc
        except OSError as exc:  # a folder, no permission, …
            msg = f"cannot read the region file: {exc}"
            raise ConfigError(
                msg,
                file=p,
                expected="a readable TOML file",
                message_de=f"Regionsdatei nicht lesbar: {exc}",
            ) from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"not valid TOML: {exc}"
            raise ConfigError(
                msg, file=p, expected="TOML syntax", message_de=f"Kein gültiges TOML: {exc}"
            ) from exc
        try:
            return cls.from_dict(
                raw, base_dir=p.parent, routing_overrides=routing_overrides, **overrides
            )
        except ConfigError as exc:
            if exc.file is None:
                exc.file = str(p)
                exc.args = (exc._format(exc.message, exc.expected, "expected"),)
            raise

    @classmethod
    def from_dict(
        cls,
        raw: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
        routing_overrides: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from a plain dict (the parsed region file).

        See :meth:`from_toml` for the accepted keys; unknown keys raise
        :class:`ConfigError`.
        """
        base = base_dir or Path.cwd()
        known_top = {f.name for f in dataclasses.fields(cls)} | {"inputs", "region"}
        # [region] may carry a `kreis` key that belongs to [source]
        raw = dict(raw)
        if routing_overrides:
            merged = dict(raw.get("routing", {})) if isinstance(raw.get("routing"), Mapping) else {}
            merged.update(routing_overrides)
            raw["routing"] = merged
        region_sec = dict(raw.get("region", {})) if isinstance(raw.get("region"), Mapping) else {}
        if "kreis" in region_sec:
            src = dict(raw.get("source", {}))
            src.setdefault("kreis", region_sec.pop("kreis"))
            raw["source"] = src
            raw["region"] = region_sec
        for key in raw:
            if key not in known_top:
                raise _unknown_key_error("", key, known_top)
        kwargs: dict[str, Any] = {}
        # [region] and [inputs] are sections for readability; flatten them.
        flat: dict[str, Any] = {}
        for section in ("region", "inputs"):
            sec = raw.get(section, {})
            if not isinstance(sec, Mapping):
                raise _type_error(section, "a table", sec)
            flat.update(sec)
        flat.update({k: v for k, v in raw.items() if k not in ("region", "inputs")})

        path_fields = {
            "population_grid",
            "network",
            "boundaries",
            "villages",
            "population",
            "categories_file",
            "cache_dir",
            "out_dir",
        }
        str_fields = {
            "name",
            "roads_layer",
            "places_layer",
            "pois_layer",
            "road_class_column",
            "boundaries_layer",
        }
        fields = {f.name for f in dataclasses.fields(cls)}
        for key, value in flat.items():
            if key not in fields:
                raise _unknown_key_error("", key, fields)
            if key in path_fields:
                if not isinstance(value, str):
                    raise _type_error(key, "a path string", value)
                kwargs[key] = _resolve(base, value)
            elif key in str_fields:
                if not isinstance(value, str):
                    raise _type_error(key, "a string", value)
                kwargs[key] = value
            elif key == "offers":
                values = [value] if isinstance(value, str) else value
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise _type_error(key, '"osm" or a list of paths / "osm"', value)
                kwargs[key] = tuple(v if v == "osm" else str(_resolve(base, v)) for v in values)
            elif key == "modes":
                values = [value] if isinstance(value, str) else value
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise _type_error(key, 'a list like ["car", "bike", "walk"]', value)
                kwargs[key] = tuple(values)
            elif key == "thresholds":
                kwargs[key] = _freeze(_numbers_table(key, value, depth=2))
            elif key == "age_shares":
                merged = dict(DEFAULT_AGE_SHARES)
                merged.update(_numbers_table(key, value, depth=1))
                kwargs[key] = MappingProxyType(merged)
            elif key == "routing":
                kwargs[key] = _routing_from_dict(value)
            elif key == "source":
                kwargs[key] = _source_from_dict(value)
            elif key == "merge_tolerance_m":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _type_error(key, "a distance in metres such as 1.0", value)
                kwargs[key] = float(value)
            elif key == "attribution":
                if not isinstance(value, Mapping) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    raise _type_error(key, 'a table of texts like {boundaries = "…"}', value)
                kwargs[key] = MappingProxyType(dict(value))
            elif key == "grid_cell_m":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _type_error(key, "a number of metres such as 250", value)
                kwargs[key] = float(value)
            elif key == "geocode_accept_street":
                if not isinstance(value, bool):
                    raise _type_error(key, "true or false", value)
                kwargs[key] = value
        kwargs.update(overrides)
        return cls(**kwargs)


def _toml_text(path: Path) -> str:
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
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
        logger.warning("%s: not UTF-8; read as Windows-1252", path.name)
        return text


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _unknown_key_error(prefix: str, key: str, known: Iterable[str]) -> ConfigError:
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


def _type_error(key: str, expected: str, value: Any) -> ConfigError:
    msg = f"{key} has the wrong type ({type(value).__name__}: {value!r})"
    return ConfigError(
        msg,
        column=key,
        expected=expected,
        message_de=f"„{key}“ hat den falschen Typ ({value!r}), erwartet: {expected}",
    )


def _check_range(key: str, value: Any, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(key, f"a number between {lo:g} and {hi:g}", value)
    if not (lo <= float(value) <= hi):
        msg = f"{key} = {value!r} is out of range"
        raise ConfigError(
            msg,
            column=key,
            expected=f"{lo:g} … {hi:g}",
            message_de=f"„{key}“ = {value!r} liegt außerhalb von {lo:g} … {hi:g}",
        )


def _numbers_table(key: str, value: Any, *, depth: int) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _type_error(key, "a table", value)
    out: dict[str, Any] = {}
    for k, v in value.items():
        if depth > 1:
            out[k] = _numbers_table(f"{key}.{k}", v, depth=depth - 1)
        else:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise _type_error(f"{key}.{k}", "a number", v)
            out[k] = float(v)
    return out


def _source_from_dict(value: Any) -> RegionSource:
    if not isinstance(value, Mapping):
        raise _type_error("source", "a table", value)
    known = {f.name for f in dataclasses.fields(RegionSource)}
    for key in value:
        if key not in known:
            raise _unknown_key_error("source", key, known)
    kreis = value.get("kreis")
    if not isinstance(kreis, str) or not (kreis.isdigit() and len(kreis) == 5):
        raise _type_error("source.kreis", 'a 5-digit Kreis key string like "05958"', kreis)
    url = value.get("extract_url")
    if not isinstance(url, str) or not url:
        raise _type_error("source.extract_url", "a URL or file path string", url)
    b_url = value.get("boundaries_url")
    if b_url is not None and not isinstance(b_url, str):
        raise _type_error("source.boundaries_url", "a URL or file path string", b_url)
    buffer_km = value.get("buffer_km", 10.0)
    _check_range("source.buffer_km", buffer_km, 0.0, 100.0)
    return RegionSource(
        kreis=kreis, extract_url=url, boundaries_url=b_url, buffer_km=float(buffer_km)
    )


def _routing_from_dict(value: Any) -> RoutingOptions:
    if not isinstance(value, Mapping):
        raise _type_error("routing", "a table", value)
    known = {f.name for f in dataclasses.fields(RoutingOptions)}
    kwargs: dict[str, Any] = {}
    for key, v in value.items():
        if key not in known:
            raise _unknown_key_error("routing", key, known)
        if key == "algorithm":
            if not isinstance(v, Mapping):
                raise _type_error("routing.algorithm", 'a table like {car = "CH"}', v)
            merged = dict(RoutingOptions().algorithm)
            for mode, algo in v.items():
                if mode not in MODES:
                    raise _unknown_key_error("routing.algorithm", mode, MODES)
                merged[mode] = str(algo).upper()
            kwargs[key] = MappingProxyType(merged)
        elif key in ("speeds", "maxspeed"):
            table = _numbers_table(f"routing.{key}", v, depth=2)
            for mode in table:
                if mode not in MODES:
                    raise _unknown_key_error(f"routing.{key}", mode, MODES)
            for mode, per in table.items():
                for tag, kmh in per.items():
                    _check_range(f"routing.{key}.{mode}.{tag}", kmh, 1.0, 200.0)
            kwargs[key] = _freeze(table)
        else:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise _type_error(f"routing.{key}", "a number", v)
            kwargs[key] = float(v)
    return RoutingOptions(**kwargs)
