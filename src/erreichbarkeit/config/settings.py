"""Frozen configuration objects.

One :class:`Settings` object describes one analysis run: the inputs, the
modes, thresholds per category and mode, routing options and the age shares
used to estimate children.  It is immutable and hashable in content
(:meth:`Settings.cache_key`), so a Streamlit server that runs many sessions in
one process can pass it around and key caches on it without shared mutable
state.

Region files (``region.toml``) are parsed by :func:`Settings.from_toml`
through :mod:`erreichbarkeit.config.validation`; this module adds the
``[routing]`` and ``[source]`` tables and the checks that need the whole
settings (thresholds against the category table and the routing cutoff).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from erreichbarkeit.config.categories import Category, load_categories
from erreichbarkeit.config.constants import (
    AGE_GROUPS,
    DEFAULT_ACCESS_KMH,
    DEFAULT_AGE_SHARES,
    DEFAULT_FERRY_WAIT_MIN,
    MODES,
)
from erreichbarkeit.config.validation import (
    SIMPLE_FIELD_PARSERS,
    FieldParser,
    as_number,
    check_known_keys,
    check_range,
    check_type,
    flatten_region,
    freeze,
    numbers_table,
    parse_fields,
    read_region_file,
    require_table,
    type_error,
)
from erreichbarkeit.errors import ConfigError

__all__ = ["RegionSource", "RoutingOptions", "Settings"]

_MAX_THRESHOLD_MIN = 240.0
_ATTRIBUTION_KEYS = ("network", "boundaries", "population", "population_grid", "villages", "offers")
_ALGORITHMS = ("CH", "MLD")
_URL = "a URL or file path string"
#: Plausible ranges of the plain numbers of ``[routing]``.  The ferry wait
#: is added as an OSRM turn penalty, which OSRM stores as 16-bit deciseconds:
#: above 54.6 min ``osrm-extract`` aborts (overflow), so 45 min is the limit.
_ROUTING_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"max_snap_m": (1.0, 50_000.0), "cutoff_minutes": (1.0, 1440.0), "ferry_wait_min": (0.0, 45.0)}
)
#: Plausible km/h of an access leg (walking slowly … driving on a car park).
_ACCESS_KMH_RANGE = (1.0, 50.0)
#: The largest plausible share of the population per year of age in an age
#: group; a county's real shares are 0.8–1.3 % per year.
_MAX_SHARE_PER_YEAR = 0.05


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
    access_speed
        km/h per mode of the access leg: the straight line between a village
        or offer and its snapping point on the network is added to every trip
        at this speed, at both ends (defaults
        :data:`~erreichbarkeit.config.constants.DEFAULT_ACCESS_KMH`).
    ferry_wait_min
        Minutes of waiting added each time a route boards a ferry; the
        crossing itself takes the ferry's ``duration`` tag where it has one.
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
    access_speed: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ACCESS_KMH)
    ferry_wait_min: float = DEFAULT_FERRY_WAIT_MIN


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


def _routing_algorithm(value: Any) -> Mapping[str, str]:
    """``[routing.algorithm]``: the default algorithms updated with the file's."""
    where = "routing.algorithm"
    if not isinstance(value, Mapping):
        raise type_error(where, 'a table like {car = "CH"}', value)
    check_known_keys(where, value, MODES)
    merged = dict(RoutingOptions().algorithm)
    merged.update({mode: str(algo).upper() for mode, algo in value.items()})
    return MappingProxyType(merged)


def _routing_speeds(key: str, value: Any) -> Mapping[str, Mapping[str, float]]:
    """``[routing.speeds]`` or ``[routing.maxspeed]``: km/h per mode and tag."""
    where = f"routing.{key}"
    table = numbers_table(where, value, depth=2, expected="km/h between 1 and 200")
    check_known_keys(where, table, MODES)
    for mode, per in table.items():
        for tag, kmh in per.items():
            check_range(f"{where}.{mode}.{tag}", kmh, 1.0, 200.0)
    return cast(Mapping[str, Mapping[str, float]], freeze(table))


def _routing_access_speed(value: Any) -> Mapping[str, float]:
    """``[routing] access_speed``: the default km/h per mode updated with the file's."""
    where = "routing.access_speed"
    if not isinstance(value, Mapping):
        raise type_error(where, "a table like { car = 15, bike = 12, walk = 4.5 }", value)
    lo, hi = _ACCESS_KMH_RANGE
    table = numbers_table(where, value, depth=1, expected=f"km/h between {lo:g} and {hi:g}")
    check_known_keys(where, table, MODES)
    merged = dict(DEFAULT_ACCESS_KMH)
    merged.update(table)
    return MappingProxyType(merged)


def _routing_number(key: str, value: Any) -> float:
    """A plain number of ``[routing]``, range-checked here already.

    Checking the range before converting turns a TOML integer too large for
    a float (400 digits) into an out-of-range error instead of an ``OverflowError``.
    """
    where = f"routing.{key}"
    if key in _ROUTING_RANGES:
        check_range(where, value, *_ROUTING_RANGES[key])
    return as_number(where, value)


def _parse_routing(key: str, value: Any, base: Path) -> RoutingOptions:
    """The ``[routing]`` table as :class:`RoutingOptions`."""
    del base
    table = require_table(key, value)
    known = {f.name for f in dataclasses.fields(RoutingOptions)}
    kwargs: dict[str, Any] = {}
    for name, v in table.items():
        check_known_keys(key, [name], known)
        if name == "algorithm":
            kwargs[name] = _routing_algorithm(v)
        elif name in ("speeds", "maxspeed"):
            kwargs[name] = _routing_speeds(name, v)
        elif name == "access_speed":
            kwargs[name] = _routing_access_speed(v)
        else:
            kwargs[name] = _routing_number(name, v)
    return RoutingOptions(**kwargs)


def _parse_source(key: str, value: Any, base: Path) -> RegionSource:
    """The ``[source]`` table as :class:`RegionSource`."""
    del base
    table = require_table(key, value)
    check_known_keys(key, table, {f.name for f in dataclasses.fields(RegionSource)})
    kreis = table.get("kreis")
    is_key = isinstance(kreis, str) and kreis.isdigit() and len(kreis) == 5
    check_type(f"{key}.kreis", kreis, 'a 5-digit Kreis key string like "05958"', ok=is_key)
    url = table.get("extract_url")
    check_type(f"{key}.extract_url", url, _URL, ok=isinstance(url, str) and bool(url))
    b_url = table.get("boundaries_url")
    check_type(f"{key}.boundaries_url", b_url, _URL, ok=b_url is None or isinstance(b_url, str))
    buffer_km = table.get("buffer_km", 10.0)
    check_range(f"{key}.buffer_km", buffer_km, 0.0, 100.0)
    return RegionSource(
        kreis=str(kreis), extract_url=str(url), boundaries_url=b_url, buffer_km=float(buffer_km)
    )


#: Parsers of every field of the region file, by key.
_FIELD_PARSERS: Mapping[str, FieldParser] = MappingProxyType(
    {**SIMPLE_FIELD_PARSERS, "routing": _parse_routing, "source": _parse_source}
)


def _jsonable(value: Any) -> Any:
    """Plain JSON types of nested settings (sorted tables, lists, strings)."""
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
        """Check every field; the first problem raises :class:`ConfigError`."""
        self._check_modes_and_offers()
        cats = self.categories()
        self._check_threshold_overrides(cats)
        self._check_attribution_and_age_shares()
        _check_routing_ranges(self.routing)
        self._check_thresholds_within_cutoff(cats)
        check_range("merge_tolerance_m", self.merge_tolerance_m, 0.0, 25.0)
        if self.grid_cell_m is not None:
            check_range("grid_cell_m", self.grid_cell_m, 50.0, 5_000.0)
        _check_algorithms(self.routing)

    # -- checks -----------------------------------------------------------
    def _check_modes_and_offers(self) -> None:
        """Known modes, each at most once, at least one; at least one offer source."""
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

    def _check_threshold_overrides(self, cats: Mapping[str, Category]) -> None:
        """Threshold overrides name known categories and modes and sane minutes."""
        for cat, per_mode in self.thresholds.items():
            check_known_keys("thresholds", [cat], cats.keys())
            for mode, minutes in per_mode.items():
                check_known_keys(f"thresholds.{cat}", [mode], MODES)
                check_range(f"thresholds.{cat}.{mode}", minutes, 0.5, _MAX_THRESHOLD_MIN)

    def _check_attribution_and_age_shares(self) -> None:
        """Attribution texts for known inputs; age shares for known groups, 0 … 1."""
        check_known_keys("attribution", self.attribution, _ATTRIBUTION_KEYS)
        for group, share in self.age_shares.items():
            check_known_keys("age_shares", [group], AGE_GROUPS)
            check_range(f"age_shares.{group}", share, 0.0, 1.0)
        _check_age_share_sum(self.age_shares)

    def _check_thresholds_within_cutoff(self, cats: Mapping[str, Category]) -> None:
        """No threshold above the routing cutoff.

        Pairs beyond the cutoff are not in the travel-time table, so a
        threshold above it would count reachable villages as unreachable.
        """
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
        raw = read_region_file(p)
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
        flat = flatten_region(raw, fields=_FIELD_PARSERS, routing_overrides=routing_overrides)
        kwargs = parse_fields(flat, base_dir or Path.cwd(), _FIELD_PARSERS)
        kwargs.update(overrides)
        return cls(**kwargs)


def _check_routing_ranges(routing: RoutingOptions) -> None:
    """Snap distance, cutoff, access speeds and ferry wait within sane ranges.

    Checked before the thresholds are compared with the cutoff: an absurd
    cutoff is the error then, not the thresholds.
    """
    for key, (lo, hi) in _ROUTING_RANGES.items():
        check_range(f"routing.{key}", getattr(routing, key), lo, hi)
    check_known_keys("routing.access_speed", routing.access_speed, MODES)
    for mode in MODES:
        if mode not in routing.access_speed:
            msg = f"routing.access_speed has no speed for {mode}"
            raise ConfigError(
                msg,
                column=f"routing.access_speed.{mode}",
                expected="km/h for car, bike and walk",
                message_de=f"„routing.access_speed“: keine Geschwindigkeit für {mode} angegeben",
            )
        check_range(f"routing.access_speed.{mode}", routing.access_speed[mode], *_ACCESS_KMH_RANGE)


def _check_age_share_sum(age_shares: Mapping[str, float]) -> None:
    """Per group at most 5 % of the population per year of age; all groups together ≤ 1.

    The groups do not overlap (``"0-3"`` = ages 0, 1, 2 …), so their shares
    of the population cannot add up to more than 1; a share above 5 % per
    year of age (``"0-3" = 0.4``) would put more children on the villages
    than any county has.
    """
    for group, share in age_shares.items():
        lo_age, hi_age = (int(x) for x in group.split("-"))
        limit = round(_MAX_SHARE_PER_YEAR * (hi_age - lo_age), 4)
        check_range(f"age_shares.{group}", share, 0.0, limit)
    total = sum(float(v) for v in age_shares.values())
    if total > 1.0:
        msg = f"the age shares add up to {total:g}, more than the whole population"
        raise ConfigError(
            msg,
            column="age_shares",
            expected="shares of the population (0 … 1) adding up to at most 1",
            message_de=(
                f"Die Altersanteile ergeben zusammen {total:.3g} – mehr als die ganze "
                "Bevölkerung (Anteile wie 0.028 angeben, zusammen höchstens 1)"
            ),
        )


def _check_algorithms(routing: RoutingOptions) -> None:
    """Every routing algorithm is CH or MLD."""
    for mode, algo in routing.algorithm.items():
        if algo not in _ALGORITHMS:
            msg = f"unknown routing algorithm {algo!r} for {mode}"
            raise ConfigError(
                msg,
                column="routing.algorithm",
                expected="CH or MLD",
                message_de=f"Unbekanntes Routing-Verfahren „{algo}“ für {mode} (erlaubt: CH, MLD)",
            )
