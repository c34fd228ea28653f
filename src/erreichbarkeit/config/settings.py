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
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from erreichbarkeit.config.area import AnalysisArea, parse_area
from erreichbarkeit.config.categories import Category, load_categories
from erreichbarkeit.config.constants import (
    AGE_GROUPS,
    DEFAULT_AGE_SHARES,
    MODES,
    ROAD_MODES,
)
from erreichbarkeit.config.routing import (
    RoutingOptions,
    check_algorithms,
    check_routing_ranges,
    parse_routing,
)
from erreichbarkeit.config.transit import TransitOptions, parse_transit
from erreichbarkeit.config.validation import (
    SIMPLE_FIELD_PARSERS,
    FieldParser,
    check_known_keys,
    check_range,
    check_type,
    flatten_region,
    parse_fields,
    read_region_file,
    require_table,
    type_error,
)
from erreichbarkeit.errors import ConfigError

__all__ = ["AnalysisArea", "RegionSource", "RoutingOptions", "Settings"]

_MAX_THRESHOLD_MIN = 240.0
_ATTRIBUTION_KEYS = (
    "network", "boundaries", "population", "population_grid", "villages", "offers", "gtfs",
    "responsibility", "outreach", "children", "need",
)  # fmt: skip
_URL = "a URL or file path string"
#: The largest plausible share of the population per year of age in an age
#: group; a county's real shares are 0.8–1.3 % per year.
_MAX_SHARE_PER_YEAR = 0.05


@dataclass(frozen=True)
class RegionSource:
    """Where ``erreichbarkeit prepare`` gets a real region's data.

    Attributes
    ----------
    kreis
        5-digit Kreis key (e.g. ``"05958"`` Hochsauerlandkreis).
    extract_urls
        URLs of the OSM extracts (Geofabrik ``.osm.pbf``) that together cover
        the Kreis and its buffer; several are merged (a Kreis at a Land or
        Regierungsbezirk border).  The region file's ``extract_url`` takes one
        URL or a list.
    boundaries_url
        URL of a Gemeinde boundary file (BKG VG250) or ``None``.
    buffer_km
        Buffer around the Kreis when clipping: families cross the border.
    gtfs_url
        URL (or path) of the GTFS timetable for Bus & Bahn: the DELFI
        Germany feed or the Verbund's own; ``prepare`` clips it to the
        Kreis plus buffer.  ``None`` = no Bus & Bahn.
    """

    kreis: str
    extract_urls: tuple[str, ...]
    boundaries_url: str | None = None
    buffer_km: float = 10.0
    gtfs_url: str | None = None

    @property
    def extract_url(self) -> str:
        """The first (main) extract URL."""
        return self.extract_urls[0]


def _parse_source(key: str, value: Any, base: Path) -> RegionSource:
    """The ``[source]`` table as :class:`RegionSource`."""
    del base
    table = require_table(key, value)
    known = {"kreis", "extract_url", "boundaries_url", "buffer_km", "gtfs_url"}
    check_known_keys(key, table, known)
    kreis = table.get("kreis")
    is_key = isinstance(kreis, str) and kreis.isdigit() and len(kreis) == 5
    check_type(f"{key}.kreis", kreis, 'a 5-digit Kreis key string like "05958"', ok=is_key)
    url = table.get("extract_url")
    urls: list[Any] = [url] if isinstance(url, str) else url if isinstance(url, list) else []
    ok = bool(urls) and all(isinstance(u, str) and u for u in urls) and len(set(urls)) == len(urls)
    check_type(f"{key}.extract_url", url, f"{_URL}, or a list of different ones", ok=ok)
    b_url = table.get("boundaries_url")
    check_type(f"{key}.boundaries_url", b_url, _URL, ok=b_url is None or isinstance(b_url, str))
    g_url = table.get("gtfs_url")
    check_type(
        f"{key}.gtfs_url", g_url, _URL, ok=g_url is None or (isinstance(g_url, str) and bool(g_url))
    )
    buffer_km = table.get("buffer_km", 10.0)
    check_range(f"{key}.buffer_km", buffer_km, 0.0, 100.0)
    return RegionSource(
        kreis=str(kreis), extract_urls=tuple(str(u) for u in urls), boundaries_url=b_url,
        buffer_km=float(buffer_km), gtfs_url=g_url,
    )  # fmt: skip


#: Parsers of every field of the region file, by key.
_FIELD_PARSERS: Mapping[str, FieldParser] = MappingProxyType(
    {
        **SIMPLE_FIELD_PARSERS,
        "routing": parse_routing,
        "source": _parse_source,
        "transit": parse_transit,
        "area": parse_area,
        "responsibility": SIMPLE_FIELD_PARSERS["gtfs"],  # a list of table paths
        "outreach": SIMPLE_FIELD_PARSERS["gtfs"],
        "children": SIMPLE_FIELD_PARSERS["population"],  # one table path
        "need": SIMPLE_FIELD_PARSERS["population"],
    }
)


def _jsonable(value: Any) -> Any:
    """Plain JSON types of nested settings (sorted tables, lists, strings)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
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
        ``population``, ``population_grid``, ``villages``, ``offers``,
        ``gtfs``, ``responsibility``, ``outreach``, ``children``, ``need``)
        that replaces the default attribution in the Methodik sheet and on maps.
    workers
        Cap on the worker processes and threads of every pool the product
        starts (OSRM preprocessing, timetable workers); ``None``: the
        environment variable ``ERREICHBARKEIT_WORKERS``, else ``min(2, cores)``
        (:func:`erreichbarkeit.config.parallel.worker_cap`).
    gtfs
        GTFS timetable feeds (zip) for Bus & Bahn (mode ``pt``).  A region
        file with ``gtfs`` and without ``modes`` computes all four modes.
    transit
        Options of the Bus & Bahn mode (:class:`~erreichbarkeit.config.transit.TransitOptions`).
    area
        The analysis area (:class:`~erreichbarkeit.config.area.AnalysisArea`,
        region file ``[area]``): the Gemeinden whose figures are reported;
        the rest of the data counts as destinations and context.  ``None``:
        the Kreis of :attr:`source`, else every Gemeinde (:meth:`analysis_area`).
    responsibility
        Tables „Zuständigkeit“ (CSV/XLSX): which office, school or
        Beratungsstelle is responsible for a Gemeinde or village.
    outreach
        Tables of offers that come to the family („aufsuchende Angebote“:
        Familienhebamme, Willkommensbesuch, aufsuchende Jugendarbeit …),
        listed per Gemeinde or village instead of a point.
    children
        A table of children per Gemeinde and age group (e.g. from the
        Einwohnermeldeamt) that replaces the age-share estimate.
    need
        A table of social indicators per Gemeinde or Ortsteil (e.g. SGB-II
        quota of children) that weights the rankings by need.
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
    modes: tuple[str, ...] = ROAD_MODES
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
    workers: int | None = None
    attribution: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    gtfs: tuple[Path, ...] = ()
    transit: TransitOptions = field(default_factory=TransitOptions)
    area: AnalysisArea | None = None
    responsibility: tuple[Path, ...] = ()
    outreach: tuple[Path, ...] = ()
    children: Path | None = None
    need: Path | None = None

    def __post_init__(self) -> None:
        """Check every field; the first problem raises :class:`ConfigError`."""
        self._check_modes_and_offers()
        cats = self.categories()
        self._check_threshold_overrides(cats)
        self._check_attribution_and_age_shares()
        check_routing_ranges(self.routing)
        self._check_thresholds_within_cutoff(cats)
        check_range("merge_tolerance_m", self.merge_tolerance_m, 0.0, 25.0)
        if self.grid_cell_m is not None:
            check_range("grid_cell_m", self.grid_cell_m, 50.0, 5_000.0)
        if self.workers is not None:
            check_range("workers", self.workers, 1, 64)
            if int(self.workers) != self.workers:
                key, expected = "workers", "a whole number such as 2"
                raise type_error(key, expected, self.workers)
            object.__setattr__(self, "workers", int(self.workers))
        check_algorithms(self.routing)

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
                    message_de=(
                        f"Unbekannter Verkehrsmodus „{mode}“ (erlaubt: car, bike, walk, pt)"
                    ),
                )
        if not self.modes:
            msg = "no mode selected"
            raise ConfigError(
                msg,
                column="modes",
                expected=", ".join(MODES),
                message_de="Kein Verkehrsmittel gewählt (erlaubt: car, bike, walk, pt)",
            )
        if "pt" in self.modes and not self.gtfs:
            msg = "mode pt (Bus & Bahn) needs at least one GTFS feed (gtfs = [...])"
            raise ConfigError(
                msg,
                column="modes",
                expected='gtfs = ["fahrplan.gtfs.zip"] in [inputs], or --gtfs',
                message_de=(
                    "Bus & Bahn braucht einen Fahrplan: bitte unter [inputs] "
                    'gtfs = ["….zip"] angeben (oder --gtfs)'
                ),
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
                expected="each of car, bike, walk, pt at most once",
                message_de=f"Verkehrsmittel doppelt angegeben: {', '.join(self.modes)}",
            )

    def _check_threshold_overrides(self, cats: Mapping[str, Category]) -> None:
        """Threshold overrides name known categories and modes and sane minutes."""
        for cat in self.transit.windows:
            check_known_keys("transit.windows", [cat], cats.keys())
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

    def pt_window(self, category: str) -> tuple[int, int]:
        """Bus & Bahn departure window of a category (override or category table)."""
        override = self.transit.windows.get(category)
        return override if override is not None else self.categories()[category].pt_window

    def analysis_area(self) -> AnalysisArea | None:
        """The Gemeinden the figures cover: ``[area]``, else the Kreis, else ``None`` (all)."""
        if self.area is not None:
            return self.area
        if self.source is not None:
            return AnalysisArea(name=self.name, ags=(self.source.kreis,))
        return None

    @property
    def area_name(self) -> str:
        """The name in titles: the analysis area's, else the region's."""
        return self.area.name if self.area is not None else self.name

    @property
    def road_modes(self) -> tuple[str, ...]:
        """The modes of this run routed by OSRM (all but ``pt``)."""
        return tuple(m for m in self.modes if m in ROAD_MODES)

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
        if kwargs.get("gtfs") and "modes" not in kwargs:
            kwargs["modes"] = MODES  # a timetable given: Bus & Bahn too
        return cls(**kwargs)


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
