"""What-if scenarios: add, move or close offers and see what changes.

A planner asks "what if the Kinderarzt in X closes?" or "what if the new
Familienzentrum opens in Y?".  :func:`apply_scenario` answers from a finished
run (:class:`~erreichbarkeit.results.Results`) without running the pipeline
again:

* only the **changed offers' columns** of the long travel-time table are
  routed (one OSRM table query per mode from every village to the new or
  moved offers, through :func:`erreichbarkeit.network.matrix.travel_times`, so
  snapping and the cutoff follow exactly the rules of the full run); rows of
  closed or moved offers are dropped;
* the village table is recomputed only for the **affected categories** (with
  :func:`erreichbarkeit.analysis.indicators.village_table` on those categories'
  offers) and spliced into the base table; the German ``reason`` text is
  recomputed only for villages whose reachability changed;
* Gemeinde and Kreis rows are recomputed only for the affected categories.

The result equals a full pipeline run on the modified offers list for every
village, category and mode (``tests/test_scenarios.py`` checks this).

:func:`compare` lists the villages that move within or beyond a threshold,
their children, the new nearest offer and the KPI deltas, with a German
summary; :func:`compare_two` puts two scenarios side by side;
:func:`save_scenario`/:func:`load_scenario` keep scenarios as small JSON
files; :func:`export_comparison` writes the deltas to Excel.

Nothing here imports Streamlit; the dashboard wires these functions to its
widgets.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.analysis import indicators
from erreichbarkeit.config import MODE_LABELS, WGS84, Settings, age_column, load_categories
from erreichbarkeit.errors import GeocodingError, ScenarioError, ScenarioFileError
from erreichbarkeit.io.geocode import AddressIndex, parse_address
from erreichbarkeit.network.matrix import travel_times as compute_travel_times
from erreichbarkeit.network.routing import Router, make_routers
from erreichbarkeit.results import Results

__all__ = [
    "FORMAT_VERSION",
    "Change",
    "Scenario",
    "ScenarioDelta",
    "ScenarioError",
    "ScenarioFileError",
    "ScenarioResult",
    "apply_scenario",
    "compare",
    "compare_two",
    "export_comparison",
    "kpi_values",
    "load_scenario",
    "make_routers",
    "new_scenario",
    "save_scenario",
]

logger = logging.getLogger(__name__)

#: Version of the scenario file format written by :func:`save_scenario`.
FORMAT_VERSION = 1
_FORMAT_NAME = "erreichbarkeit-szenario"
#: Scenario files are a few KB; refuse anything absurdly large (dashboard uploads).
_MAX_FILE_BYTES = 2_000_000
#: Coordinates further than this outside the region's extent are rejected
#: (the same slack as for the planners' offer lists in ``inputs.read_offers``).
_REGION_SLACK_KM = 20.0

ChangeKind = Literal["add", "move", "close"]
_KINDS: tuple[str, ...] = get_args(ChangeKind)
_KIND_DE = {"add": "neu", "move": "verlegt", "close": "geschlossen"}
_CHANGE_KEYS = ("kind", "offer_id", "name", "category", "lon", "lat", "address")
_TOP_KEYS = ("format", "version", "name", "created", "region", "changes")
_SUFFIXES = ("nearest", "nearest_id", "min", "km", "second_min", "n_within", "within")


# -- the scenario ------------------------------------------------------------------


def _number_ok(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(float(value))
    )


@dataclass(frozen=True)
class Change:
    """One change of a scenario.

    Attributes
    ----------
    kind
        ``"add"`` (a new offer), ``"move"`` (an existing offer at a new place)
        or ``"close"`` (an existing offer is gone).
    offer_id
        Id of the offer (``Results.offers["id"]``); for ``"add"`` the new id
        (empty: ``szenario:<n>`` is chosen).
    name
        Name of a new offer; for ``"move"`` an optional new name.
    category
        Category key of a new offer (required for ``"add"``); ignored otherwise.
    lon, lat
        New position (WGS84) for ``"add"``/``"move"``.
    address
        Alternatively an address (``"Hauptstraße 3, 37120 Bovenden"``) matched
        offline against the region's addresses.

    Raises
    ------
    ScenarioError
        If the kind is unknown, the id is not a string, or only one of
        ``lon``/``lat`` is given or a coordinate is not a finite number.
    """

    kind: ChangeKind
    offer_id: str
    name: str = ""
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            msg = f"unknown change kind {self.kind!r}"
            raise ScenarioError(
                msg,
                column="kind",
                expected=", ".join(_KINDS),
                message_de=f"Unbekannte Art der Änderung „{self.kind}“ (erlaubt: add, move, close)",
            )
        if not isinstance(self.offer_id, str):
            msg = f"offer id must be a string, got {self.offer_id!r}"
            raise ScenarioError(
                msg, column="offer_id", expected="a string", message_de="Angebots-ID fehlt"
            )
        if self.kind != "add" and not self.offer_id.strip():
            msg = f"a {self.kind!r} change needs the id of an existing offer"
            raise ScenarioError(
                msg,
                column="offer_id",
                expected="the id of an offer of the run",
                message_de="Für Verlegen/Schließen fehlt die ID des Angebots",
            )
        if (self.lon is None) != (self.lat is None):
            msg = "give both lon and lat, or neither"
            raise ScenarioError(
                msg,
                column="lon, lat",
                expected="both coordinates",
                message_de="Bitte Längen- und Breitengrad angeben (beide oder keinen)",
            )
        for key in ("lon", "lat"):
            value = getattr(self, key)
            if value is not None and not _number_ok(value):
                msg = f"{key} is not a finite number: {value!r}"
                raise ScenarioError(
                    msg,
                    column=key,
                    expected="a number in degrees (WGS84)",
                    message_de=f"„{key}“ ist keine gültige Zahl: {value!r}",
                )

    @property
    def has_coordinates(self) -> bool:
        """Whether ``lon`` and ``lat`` are given."""
        return self.lon is not None and self.lat is not None

    def describe_de(self, offers: pd.DataFrame | None = None) -> str:
        """A short German description (``"geschlossen: Kinderarzt Dr. X"``)."""
        name = self.name
        if not name and offers is not None and self.offer_id:
            hit = offers.loc[offers["id"] == self.offer_id, "name"]
            name = str(hit.iloc[0]) if len(hit) else ""
        label = f"„{name}“ ({self.offer_id})" if name else self.offer_id
        return f"{_KIND_DE[self.kind]}: {label}"


@dataclass(frozen=True)
class Scenario:
    """A named list of changes, applied in order.

    Attributes
    ----------
    name
        Shown in comparisons and file names (``"Kinderarzt Nord schließt"``).
    changes
        The changes; later changes may refer to offers added by earlier ones.
    created
        ISO time of creation.
    """

    name: str
    changes: tuple[Change, ...]
    created: str


def new_scenario(name: str, changes: Sequence[Change]) -> Scenario:
    """A scenario created now (``created`` = the current local time, ISO format)."""
    return Scenario(
        name=name, changes=tuple(changes), created=datetime.now().isoformat(timespec="seconds")
    )


@dataclass(frozen=True)
class ScenarioResult:
    """A run with the scenario's changes applied.

    Attributes
    ----------
    scenario
        The scenario applied.
    results
        A :class:`~erreichbarkeit.results.Results` with the changed offers,
        long table, village, Gemeinde and Kreis tables (``grid`` is ``None``:
        the grid surface is not recomputed), usable wherever a run is (maps,
        exports, Steckbriefe).
    changed_offers
        Ids of the offers added, moved or closed.
    affected_categories
        Categories whose indicators were recomputed.
    notes
        German notes (address matches, offers too far from the road network).
    timings
        Seconds per step.
    """

    scenario: Scenario
    results: Results
    changed_offers: tuple[str, ...]
    affected_categories: tuple[str, ...]
    notes: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def settings(self) -> Settings:
        """The run's settings."""
        return self.results.settings

    @property
    def offers(self) -> gpd.GeoDataFrame:
        """Offers after the changes."""
        return self.results.offers

    @property
    def travel_times(self) -> pd.DataFrame:
        """The long table after the changes."""
        return self.results.travel_times

    @property
    def villages(self) -> gpd.GeoDataFrame:
        """The village table after the changes."""
        return self.results.villages

    @property
    def gemeinden(self) -> pd.DataFrame:
        """The Gemeinde table (long form) after the changes."""
        return self.results.gemeinden

    @property
    def kreis(self) -> pd.DataFrame:
        """The Kreis table after the changes."""
        return self.results.kreis

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories of the scenario's tables."""
        return self.results.categories


# -- routers -------------------------------------------------------------------------


# -- applying -------------------------------------------------------------------------


def _region_box(results: Results) -> tuple[float, float, float, float]:
    extent = results.inputs.extent
    if extent is not None:
        minx, miny, maxx, maxy = extent.bounds
    else:
        minx, miny, maxx, maxy = results.villages.total_bounds
    dlat = _REGION_SLACK_KM / 110.574
    coslat = max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.05)
    dlon = _REGION_SLACK_KM / (111.320 * coslat)
    return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


def _where(i: int, change: Change) -> str:
    return f"Änderung {i} ({_KIND_DE[change.kind]}, {change.offer_id or 'neues Angebot'})"


def _locate(
    i: int,
    change: Change,
    *,
    box: tuple[float, float, float, float],
    index: AddressIndex | None,
    accept_street: bool,
) -> tuple[float, float, str, str, str | None]:
    """``(lon, lat, geocode_quality, address text, note)`` of an add/move change."""
    where = _where(i, change)
    note: str | None = None
    if change.has_coordinates:
        lon, lat = float(change.lon), float(change.lat)  # type: ignore[arg-type]
        quality, address = "Koordinaten", change.address or ""
    elif change.address and change.address.strip():
        if index is None:
            msg = f"change {i}: no address data to match {change.address!r}"
            raise GeocodingError(
                msg,
                column="address",
                expected="coordinates (lon, lat)",
                message_de=(
                    f"{where}: Für diese Region gibt es keine Adressdaten; "
                    "bitte Koordinaten angeben"
                ),
            )
        parts = parse_address(change.address)
        res = index.lookup(
            street=parts["street"] or "",
            housenumber=parts["housenumber"],
            postcode=parts["postcode"],
            city=parts["city"],
        )
        ok = res.quality == "Hausnummer" or (res.quality == "Straße" and accept_street)
        if not ok or res.lon is None or res.lat is None:
            reason = res.note or "nicht gefunden"
            if res.quality == "Straße":
                reason = f"nur die Straße gefunden ({res.matched}), nicht die Hausnummer"
            msg = f"change {i}: address {change.address!r} not matched ({res.quality})"
            raise GeocodingError(
                msg,
                column="address",
                expected="an address of the region with house number, or coordinates",
                message_de=(
                    f"{where}: Adresse „{change.address}“ nicht gefunden ({reason}); "
                    "bitte Schreibweise prüfen oder Koordinaten angeben"
                ),
            )
        lon, lat, quality, address = res.lon, res.lat, res.quality, res.matched
        note = f"{where}: Adresse „{change.address}“ zugeordnet als „{res.matched}“" + (
            f" ({res.note})" if res.note else ""
        )
    else:
        msg = f"change {i}: neither coordinates nor an address given"
        raise ScenarioError(
            msg,
            column="lon, lat",
            expected="coordinates or an address",
            message_de=f"{where}: weder Koordinaten noch Adresse angegeben",
        )
    if not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
        swapped = box[0] <= lat <= box[2] and box[1] <= lon <= box[3]
        hint = " (Längen- und Breitengrad vertauscht?)" if swapped else ""
        msg = f"change {i}: coordinates ({lon:.5f}, {lat:.5f}) are outside the region"
        raise ScenarioError(
            msg,
            column="lon, lat",
            expected=(f"lon {box[0]:.3f} … {box[2]:.3f}, lat {box[1]:.3f} … {box[3]:.3f} (WGS84)"),
            message_de=(
                f"{where}: Koordinaten ({lat:.5f}, {lon:.5f}) liegen außerhalb der Region{hint}"
            ),
        )
    return lon, lat, quality, address, note


def _new_offers(
    base: Results,
    scenario: Scenario,
    address_index: AddressIndex | None,
) -> tuple[gpd.GeoDataFrame, set[str], set[str], set[str], list[str]]:
    """Apply the changes to the offers table.

    Returns the new offers, the ids to route (added or moved, still present),
    the ids whose base rows are gone (moved or closed), the affected
    categories and German notes.
    """
    settings = base.settings
    cats = settings.categories()
    offers = base.offers.copy()
    box = _region_box(base)
    index = address_index
    if index is None and len(base.inputs.addresses):
        index = AddressIndex(base.inputs.addresses)
    to_route: set[str] = set()
    removed: set[str] = set()
    affected: set[str] = set()
    notes: list[str] = []
    source = f"Szenario „{scenario.name}“"
    n_auto = 0
    for i, change in enumerate(scenario.changes, start=1):
        where = _where(i, change)
        ids = offers["id"].astype(str)
        if change.kind in ("move", "close"):
            hit = np.flatnonzero((ids == change.offer_id).to_numpy())
            if not len(hit):
                close = difflib.get_close_matches(change.offer_id, list(ids), n=1)
                hint = f" — did you mean {close[0]!r}?" if close else ""
                hint_de = f" – meinten Sie „{close[0]}“?" if close else ""
                msg = f"change {i}: unknown offer id {change.offer_id!r}{hint}"
                raise ScenarioError(
                    msg,
                    column="offer_id",
                    expected="the id of an offer of the run",
                    message_de=f"{where}: kein Angebot mit der ID „{change.offer_id}“{hint_de}",
                )
            pos = int(hit[0])
            label = offers.index[pos]
            affected.add(str(offers.loc[label, "category"]))
            if change.offer_id in base.offers["id"].to_numpy():
                removed.add(change.offer_id)
            if change.kind == "close":
                offers = offers.drop(index=label)
                to_route.discard(change.offer_id)
                continue
            lon, lat, quality, address, note = _locate(
                i, change, box=box, index=index, accept_street=settings.geocode_accept_street
            )
            offers.loc[label, "geometry"] = Point(lon, lat)
            offers.loc[label, "geocode_quality"] = quality
            if address:
                offers.loc[label, "address"] = address
            if change.name:
                offers.loc[label, "name"] = change.name
            to_route.add(change.offer_id)
        else:  # add
            offer_id = change.offer_id.strip()
            if not offer_id:
                while True:
                    n_auto += 1
                    offer_id = f"szenario:{n_auto}"
                    if offer_id not in set(ids):
                        break
            if offer_id in set(ids):
                msg = f"change {i}: offer id {offer_id!r} exists already"
                raise ScenarioError(
                    msg,
                    column="offer_id",
                    expected="a new, unused id",
                    message_de=f"{where}: Die ID „{offer_id}“ ist schon vergeben",
                )
            if change.category not in cats:
                close = difflib.get_close_matches(str(change.category), list(cats), n=1)
                hint_de = f" – meinten Sie „{close[0]}“?" if close else ""
                msg = f"change {i}: unknown category {change.category!r}"
                raise ScenarioError(
                    msg,
                    column="category",
                    expected=", ".join(cats),
                    message_de=f"{where}: unbekannte Kategorie „{change.category}“{hint_de}",
                )
            lon, lat, quality, address, note = _locate(
                i, change, box=box, index=index, accept_street=settings.geocode_accept_street
            )
            row: dict[str, Any] = dict.fromkeys(offers.columns)
            row.update(
                id=offer_id,
                name=change.name or f"{cats[str(change.category)].label} (neu)",
                category=change.category,
                source=source,
                address=address,
                traeger="",
                opening_hours="",
                age_groups="",
                capacity=math.nan,
                geocode_quality=quality,
                geometry=Point(lon, lat),
            )
            new = gpd.GeoDataFrame([row], columns=offers.columns, geometry="geometry", crs=WGS84)
            offers = gpd.GeoDataFrame(
                pd.concat([offers, new], ignore_index=True), geometry="geometry", crs=WGS84
            )
            affected.add(str(change.category))  # validated above
            to_route.add(offer_id)
        if note:
            notes.append(note)
    return offers.reset_index(drop=True), to_route, removed, affected, notes


def _indicator_columns(categories: Sequence[str], modes: Sequence[str]) -> list[str]:
    return [f"{c}_{m}_{s}" for c in categories for m in modes for s in _SUFFIXES]


def _threshold(settings: Settings) -> Any:
    return settings.threshold


def _labels(settings: Settings) -> dict[str, str]:
    return {k: c.label for k, c in settings.categories().items()}


def _age_groups(settings: Settings, categories: Sequence[str]) -> dict[str, tuple[str, ...]]:
    cats = settings.categories()
    return {c: cats[c].age_groups for c in categories}


def _splice_summary(
    old: pd.DataFrame, new: pd.DataFrame, affected: Sequence[str], keys: list[str]
) -> pd.DataFrame | None:
    """Replace the rows of the affected categories in ``old`` by ``new`` (same order).

    Returns ``None`` when the rows do not line up (then the caller recomputes all).
    """
    mask = old["category"].isin(affected).to_numpy()
    if int(mask.sum()) != len(new):
        return None
    cols = [*keys, "category", "mode"]
    a = old.loc[mask, cols].astype(str).to_numpy()
    b = new.loc[:, cols].astype(str).to_numpy()
    if not np.array_equal(a, b):
        return None
    out = old.copy()
    for col in new.columns:
        if col in cols:
            continue
        values = new[col].to_numpy()
        if out[col].dtype != values.dtype:
            out[col] = out[col].astype(object)
        out.loc[mask, col] = values
        if new[col].dtype != object:
            out[col] = out[col].astype(new[col].dtype)
    return out


def apply_scenario(
    base: Results,
    scenario: Scenario,
    routers: Mapping[str, Router],
    *,
    address_index: AddressIndex | None = None,
) -> ScenarioResult:
    """Apply a scenario to a run, recomputing only what the changes touch.

    Parameters
    ----------
    base
        The run without the changes.
    scenario
        The changes, applied in order.
    routers
        One router per mode of ``base.settings.modes`` (:func:`make_routers`,
        or the dashboard's cached routers).
    address_index
        Index of the region's addresses for changes given by address (built
        from ``base.inputs.addresses`` when ``None``; pass a cached one in the
        dashboard).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ScenarioError
        Unknown offer id for move/close, an added id that exists, an unknown
        category, no position, or coordinates outside the region.
    GeocodingError
        An address that cannot be matched (German message names the change).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    settings = base.settings
    modes = settings.modes
    missing = [m for m in modes if m not in routers]
    if missing:
        msg = f"no router for mode(s) {', '.join(missing)}"
        raise ScenarioError(
            msg, expected="a router per mode", message_de="Kein Routing für " + ", ".join(missing)
        )

    t0 = time.perf_counter()
    offers, to_route, removed, affected, notes = _new_offers(base, scenario, address_index)
    timings["Änderungen prüfen"] = round(time.perf_counter() - t0, 3)

    # long table: drop the changed columns, route the new ones
    t0 = time.perf_counter()
    tt = base.travel_times
    snapping = base.snapping
    gone = removed | to_route
    if gone:
        tt = tt[~tt["destination_id"].isin(gone)]
        snapping = snapping[~((snapping["role"] == "destination") & snapping["id"].isin(gone))]
    routed = offers[offers["id"].isin(to_route)]
    if len(routed):
        villages_pts = base.villages.loc[:, ["id", "geometry"]]
        res = compute_travel_times(
            routers,
            gpd.GeoDataFrame(villages_pts, geometry="geometry", crs=WGS84),
            gpd.GeoDataFrame(routed.loc[:, ["id", "geometry"]], geometry="geometry", crs=WGS84),
            cutoff_minutes=settings.routing.cutoff_minutes,
            max_snap_m=settings.routing.max_snap_m,
            modes=modes,
        )
        tt = pd.concat([tt, res.travel_times], ignore_index=True)
        dest = res.snapping[res.snapping["role"] == "destination"]
        snapping = pd.concat([snapping, dest], ignore_index=True)
        offers = offers.copy()
        sel = offers["id"].isin(to_route).to_numpy()
        for mode in modes:
            rows = dest[dest["mode"] == mode].drop_duplicates("id").set_index("id")
            if f"snap_m_{mode}" in offers.columns:  # the contract of pipeline.run
                snap_m = offers["id"].map(rows["snap_m"]).round(1)
                snap_ok = offers["id"].map(rows["snap_ok"]).fillna(False).astype(bool)
                offers[f"snap_m_{mode}"] = np.where(
                    sel, snap_m, pd.to_numeric(offers[f"snap_m_{mode}"], errors="coerce")
                )
                old_ok = offers[f"snap_ok_{mode}"].fillna(False).astype(bool)
                offers[f"snap_ok_{mode}"] = np.where(sel, snap_ok, old_ok).astype(bool)
            for oid, snap_m_far in rows.loc[~rows["snap_ok"].astype(bool), "snap_m"].items():
                name = offers.loc[offers["id"] == oid, "name"].iloc[0]
                notes.append(
                    f"„{name}“ liegt {snap_m_far:.0f} m vom Straßennetz entfernt und wird "
                    f"für {MODE_LABELS.get(mode, mode)} nicht berechnet"
                )
    tt = tt.reset_index(drop=True)
    snapping = snapping.reset_index(drop=True)
    timings["Reisezeiten (geänderte Angebote)"] = round(time.perf_counter() - t0, 3)

    # village table: only the affected categories
    t0 = time.perf_counter()
    order = list(settings.categories())
    present = set(offers["category"])
    categories = tuple(c for c in order if c in base.categories or c in present)
    affected_t = tuple(c for c in categories if c in affected)
    labels = _labels(settings)
    fn = _threshold(settings)
    ind_cols = _indicator_columns(base.categories, modes)
    plain = base.villages.drop(
        columns=[c for c in [*ind_cols, "reason"] if c in base.villages.columns]
    )
    full = categories != base.categories
    if full:
        vt = indicators.village_table(
            plain, tt, offers, categories=categories, modes=modes, threshold=fn, labels=labels
        )
    else:
        vt = base.villages.copy()
        if affected_t:
            sub_offers = offers[offers["category"].isin(affected_t)]
            sub_tt = tt[tt["destination_id"].isin(set(sub_offers["id"]))]
            part = indicators.village_table(
                plain.loc[:, ["id"]], sub_tt, sub_offers,
                categories=affected_t, modes=modes, threshold=fn, labels=labels,
            )  # fmt: skip
            changed_reach = np.zeros(len(vt), dtype=bool)
            for col in _indicator_columns(affected_t, modes):
                if col.endswith("_min") and not col.endswith("_second_min"):
                    before = vt[col].notna().to_numpy()
                    after = part[col].notna().to_numpy()
                    changed_reach |= before != after
                vt[col] = part[col].to_numpy()
            if changed_reach.any():
                rows = plain[changed_reach]
                rows_tt = tt[tt["origin_id"].isin(set(rows["id"]))]
                redo = indicators.village_table(
                    rows, rows_tt, offers,
                    categories=categories, modes=modes, threshold=fn, labels=labels,
                )  # fmt: skip
                vt.loc[changed_reach, "reason"] = redo["reason"].to_numpy()
    vt = gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84)
    timings["Orte"] = round(time.perf_counter() - t0, 3)

    # Gemeinde and Kreis: only the affected categories
    t0 = time.perf_counter()
    groups = _age_groups(settings, categories)
    kw: dict[str, Any] = {"modes": modes, "threshold": fn}
    gem: pd.DataFrame | None = None
    kreis: pd.DataFrame | None = None
    if not full:
        if not affected_t:
            gem, kreis = base.gemeinden, base.kreis
        else:
            sub_groups = {c: groups[c] for c in affected_t}
            g_new = indicators.gemeinde_long(vt, categories=affected_t, age_groups=sub_groups, **kw)
            k_new = indicators.kreis_summary(vt, categories=affected_t, age_groups=sub_groups, **kw)
            gem = _splice_summary(base.gemeinden, g_new, affected_t, ["ags", "gemeinde"])
            kreis = _splice_summary(base.kreis, k_new, affected_t, [])
    if gem is None or kreis is None:
        gem = indicators.gemeinde_long(vt, categories=categories, age_groups=groups, **kw)
        kreis = indicators.kreis_summary(vt, categories=categories, age_groups=groups, **kw)
    timings["Gemeinden, Kreis"] = round(time.perf_counter() - t0, 3)

    inputs = dataclasses.replace(base.inputs, offers=offers)
    results = dataclasses.replace(
        base,
        inputs=inputs,
        villages=vt,
        gemeinden=gem,
        kreis=kreis,
        travel_times=tt,
        snapping=snapping,
        categories=categories,
        timings={**base.timings, **{f"Szenario: {k}": v for k, v in timings.items()}},
        grid=None,
    )
    timings["gesamt"] = round(time.perf_counter() - started, 3)
    logger.info(
        "scenario %r: %d changes, categories %s, %.2f s",
        scenario.name,
        len(scenario.changes),
        ", ".join(affected_t),
        timings["gesamt"],
    )
    return ScenarioResult(
        scenario=scenario,
        results=results,
        changed_offers=tuple(sorted(gone)),
        affected_categories=affected_t,
        notes=tuple(notes),
        timings=timings,
    )


# -- comparing ------------------------------------------------------------------------

#: KPI keys of :func:`kpi_values` with their German labels, in display order.
KPI_LABELS: Mapping[str, str] = {
    "children_total": "Kinder der Altersgruppe",
    "children_within": "Kinder innerhalb der Schwelle",
    "children_beyond": "Kinder außerhalb der Schwelle",
    "share_children_beyond": "Anteil Kinder außerhalb",
    "villages_within": "Orte innerhalb der Schwelle",
    "n_underserved": "Unterversorgte Orte",
    "median_min": "Median Minuten (kindgewichtet)",
}


def _results_of(obj: Results | ScenarioResult) -> Results:
    return obj.results if isinstance(obj, ScenarioResult) else obj


def _name_of(obj: Results | ScenarioResult, default: str = "Ausgangslage") -> str:
    return obj.name if isinstance(obj, ScenarioResult) else default




def kpi_values(
    results: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
) -> dict[str, float]:
    """The KPIs of one category, mode and age group (as the dashboard's KPI cards).

    Parameters
    ----------
    results
        A run or a scenario.
    category, mode, age_group
        The choice; the age group's children weight every number.
    threshold
        Minutes (default: the settings' threshold of the category and mode).

    Returns
    -------
    dict
        The keys of :data:`KPI_LABELS`: children of the age group in total,
        within and beyond the threshold (villages without a reachable offer
        count as beyond), their share beyond (0…1), villages within, villages
        underserved, and the children-weighted lower median of the minutes to
        the nearest offer (villages without an offer left out).

    Raises
    ------
    ConfigError
        If the category, mode or age group has no results.
    """
    res = _results_of(results)
    res.check_choice(mode, age_group, category)
    return _kpis(res.villages, res.settings, category, mode, age_group, threshold)


def _without_offers(villages: pd.DataFrame, category: str, mode: str) -> pd.DataFrame:
    """The village table with a category that has no offer (every village unreachable)."""
    p = f"{category}_{mode}"
    if f"{p}_min" in villages.columns:
        return villages
    nan = np.full(len(villages), np.nan)
    return villages.assign(
        **{f"{p}_min": nan, f"{p}_km": nan, f"{p}_nearest": None, f"{p}_nearest_id": None}
    )


def _kpis(  # noqa: PLR0917 (private helper of kpi_values and compare)
    villages: pd.DataFrame,
    settings: Settings,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None,
) -> dict[str, float]:
    limit = settings.threshold(category, mode) if threshold is None else float(threshold)
    row = indicators.kreis_summary(
        villages,
        categories=(category,),
        modes=(mode,),
        threshold=lambda _c, _m: limit,
        age_groups={category: (age_group,)},
    ).iloc[0]
    children = pd.to_numeric(villages[age_column(age_group)], errors="coerce").fillna(0.0)
    total = float(children.sum())
    beyond = float(row["children_beyond"])
    n_villages = int(row["n_villages"])
    return {
        "children_total": total,
        "children_within": total - beyond,
        "children_beyond": beyond,
        "share_children_beyond": float(row["share_children_beyond"]),
        "villages_within": float(n_villages - int(row["n_underserved"])),
        "n_underserved": float(row["n_underserved"]),
        "median_min": float(row["children_median_min"]),
    }


def _de_num(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _de_signed(x: float, digits: int = 0) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "–"
    if round(x, digits) == 0:
        return "±0"
    return ("+" if x > 0 else "−") + _de_num(abs(x), digits)


@dataclass(frozen=True)
class ScenarioDelta:
    """What a scenario changes for one category, mode, age group and threshold.

    Attributes
    ----------
    scenario_name, base_name
        Names of the compared states.
    category, mode, age_group, threshold
        The choice compared.
    villages
        Villages whose minutes or nearest offer changed, worst change first:
        ``id, name, ags, gemeinde, children, before_min, after_min,
        delta_min, before_nearest, after_nearest, after_nearest_id,
        after_km, status`` (``status``: ``"jetzt innerhalb"``, ``"jetzt
        außerhalb"``, ``"langsamer"``, ``"schneller"``, ``"anderes
        Angebot"``).
    moved_within, moved_beyond
        The rows of ``villages`` that crossed the threshold.
    children_moved_within, children_moved_beyond
        Their children of the age group.
    kpis
        ``kpi, label, before, after, delta`` per KPI of :data:`KPI_LABELS`.
    summary_de
        German summary in a few sentences.
    changes_de
        German description of each change of the scenario.
    """

    scenario_name: str
    base_name: str
    category: str
    mode: str
    age_group: str
    threshold: float
    villages: pd.DataFrame
    moved_within: pd.DataFrame
    moved_beyond: pd.DataFrame
    children_moved_within: float
    children_moved_beyond: float
    kpis: pd.DataFrame
    summary_de: str
    changes_de: tuple[str, ...] = ()

    def villages_de(self) -> pd.DataFrame:
        """:attr:`villages` with German column names (for tables and exports)."""
        age = self.age_group.replace("-", "–")
        return self.villages.rename(
            columns={
                "name": "Ort",
                "gemeinde": "Gemeinde",
                "ags": "AGS",
                "children": f"Kinder {age} J.",
                "before_min": "Minuten vorher",
                "after_min": "Minuten nachher",
                "delta_min": "Differenz Minuten",
                "before_nearest": "nächstes Angebot vorher",
                "after_nearest": "nächstes Angebot nachher",
                "after_km": "km nachher",
                "status": "Veränderung",
            }
        ).drop(columns=["id", "after_nearest_id"])

    def kpis_de(self) -> pd.DataFrame:
        """:attr:`kpis` with German column names."""
        return self.kpis.drop(columns=["kpi"]).rename(
            columns={
                "label": "Kennzahl",
                "before": self.base_name,
                "after": self.scenario_name,
                "delta": "Differenz",
            }
        )


def _status(before: float, after: float, limit: float, same_offer: bool) -> str | None:
    in_before = not math.isnan(before) and before <= limit
    in_after = not math.isnan(after) and after <= limit
    if in_after and not in_before:
        return "jetzt innerhalb"
    if in_before and not in_after:
        return "jetzt außerhalb"
    if math.isnan(before) and math.isnan(after):
        return None if same_offer else "anderes Angebot"
    if math.isnan(after) or (not math.isnan(before) and after > before + 1e-9):
        return "langsamer"
    if math.isnan(before) or after < before - 1e-9:
        return "schneller"
    return None if same_offer else "anderes Angebot"


def compare(
    base: Results | ScenarioResult,
    scen: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
) -> ScenarioDelta:
    """What changes between two states for one category, mode and age group.

    Parameters
    ----------
    base
        The state before (a run or another scenario).
    scen
        The state after (usually :func:`apply_scenario`'s result).
    category, mode, age_group
        The choice; children of the age group are counted.
    threshold
        Minutes (default: the settings' threshold of the category and mode).

    Returns
    -------
    ScenarioDelta

    Raises
    ------
    ConfigError
        If the category, mode or age group has no results in either state.
    """
    b, s = _results_of(base), _results_of(scen)
    # a category may exist on one side only (its first offer added)
    has_b = f"{category}_{mode}_min" in b.villages.columns
    (b if has_b else s).check_choice(mode, age_group, category)
    vb = _without_offers(b.villages, category, mode)
    vs = _without_offers(s.villages, category, mode)
    limit = b.settings.threshold(category, mode) if threshold is None else float(threshold)
    k_before = _kpis(vb, b.settings, category, mode, age_group, limit)
    k_after = _kpis(vs, s.settings, category, mode, age_group, limit)
    p = f"{category}_{mode}"
    left = vb.loc[:, ["id", "name", "ags", "gemeinde", age_column(age_group),
                              f"{p}_min", f"{p}_nearest", f"{p}_nearest_id"]]  # fmt: skip
    right = vs.loc[:, ["id", f"{p}_min", f"{p}_km", f"{p}_nearest", f"{p}_nearest_id"]]
    m = pd.DataFrame(left).merge(
        pd.DataFrame(right), on="id", how="inner", suffixes=("_b", "_a"), validate="one_to_one"
    )
    before = m[f"{p}_min_b"].to_numpy("float64")
    after = m[f"{p}_min_a"].to_numpy("float64")
    same = (
        m[f"{p}_nearest_id_b"].astype(object).fillna("").astype(str)
        == m[f"{p}_nearest_id_a"].astype(object).fillna("").astype(str)
    ).to_numpy()
    status = [
        _status(float(x), float(y), limit, bool(z))
        for x, y, z in zip(before, after, same, strict=True)
    ]
    table = pd.DataFrame(
        {
            "id": m["id"],
            "name": m["name"],
            "ags": m["ags"],
            "gemeinde": m["gemeinde"],
            "children": pd.to_numeric(m[age_column(age_group)], errors="coerce"),
            "before_min": before,
            "after_min": after,
            "delta_min": after - before,
            "before_nearest": m[f"{p}_nearest_b"],
            "after_nearest": m[f"{p}_nearest_a"],
            "after_nearest_id": m[f"{p}_nearest_id_a"],
            "after_km": m[f"{p}_km"],
            "status": status,
        }
    )
    table = table[table["status"].notna()]
    rank = (
        table["status"]
        .map({"jetzt außerhalb": 0, "jetzt innerhalb": 1, "langsamer": 2, "schneller": 3})
        .fillna(4)
    )
    worst = table["delta_min"].fillna(np.inf).abs()
    table = (
        table.assign(_r=rank, _w=-worst)
        .sort_values(["_r", "_w", "name"], kind="mergesort")
        .drop(columns=["_r", "_w"])
        .reset_index(drop=True)
    )
    within = table[table["status"] == "jetzt innerhalb"].reset_index(drop=True)
    beyond = table[table["status"] == "jetzt außerhalb"].reset_index(drop=True)
    kpis = pd.DataFrame(
        [
            {
                "kpi": key,
                "label": label,
                "before": k_before[key],
                "after": k_after[key],
                "delta": k_after[key] - k_before[key],
            }
            for key, label in KPI_LABELS.items()
        ]
    )
    s_name = _name_of(scen, "Szenario")
    b_name = _name_of(base)
    changes: tuple[str, ...] = ()
    if isinstance(scen, ScenarioResult):
        changes = tuple(c.describe_de(b.offers) for c in scen.scenario.changes)
    summary = _summary_de(
        s_name, category=category, mode=mode, age_group=age_group, limit=limit, within=within,
        beyond=beyond, k_before=k_before, k_after=k_after, settings=b.settings,
    )  # fmt: skip
    return ScenarioDelta(
        scenario_name=s_name,
        base_name=b_name,
        category=category,
        mode=mode,
        age_group=age_group,
        threshold=limit,
        villages=table,
        moved_within=within,
        moved_beyond=beyond,
        children_moved_within=float(within["children"].fillna(0).sum()),
        children_moved_beyond=float(beyond["children"].fillna(0).sum()),
        kpis=kpis,
        summary_de=summary,
        changes_de=changes,
    )


def _villages_text(rows: pd.DataFrame, limit: int = 6) -> str:
    names = [str(n) for n in rows["name"]]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" und {len(names) - limit} weitere"
    return ", ".join(names)


def _summary_de(
    name: str,
    *,
    category: str,
    mode: str,
    age_group: str,
    limit: float,
    within: pd.DataFrame,
    beyond: pd.DataFrame,
    k_before: Mapping[str, float],
    k_after: Mapping[str, float],
    settings: Settings,
) -> str:
    cats = settings.categories()
    label = cats[category].label if category in cats else category
    age = age_group.replace("-", "–")
    head = (
        f"Szenario „{name}“ – {label}, {MODE_LABELS.get(mode, mode)}, "
        f"Kinder {age} Jahre, Schwelle {_de_num(limit, 0 if limit == int(limit) else 1)} min:"
    )
    parts: list[str] = []
    if len(beyond):
        parts.append(
            f"{len(beyond)} {'Ort liegt' if len(beyond) == 1 else 'Orte liegen'} danach "
            f"außerhalb der Schwelle ({_villages_text(beyond)}; "
            f"{_de_num(float(beyond['children'].fillna(0).sum()))} Kinder)."
        )
    if len(within):
        parts.append(
            f"{len(within)} {'Ort liegt' if len(within) == 1 else 'Orte liegen'} danach "
            f"innerhalb der Schwelle ({_villages_text(within)}; "
            f"{_de_num(float(within['children'].fillna(0).sum()))} Kinder)."
        )
    if not parts:
        parts.append("Kein Ort wechselt über oder unter die Schwelle.")
    b, a = k_before, k_after
    parts.append(
        f"Kinder außerhalb: {_de_num(b['children_beyond'])} → {_de_num(a['children_beyond'])} "
        f"({_de_signed(a['children_beyond'] - b['children_beyond'])}); "
        f"unterversorgte Orte: {_de_num(b['n_underserved'])} → {_de_num(a['n_underserved'])} "
        f"({_de_signed(a['n_underserved'] - b['n_underserved'])}); "
        f"Median: {_de_num(b['median_min'], 1)} → {_de_num(a['median_min'], 1)} min."
    )
    return " ".join([head, *parts])


def compare_two(
    a: Results | ScenarioResult,
    b: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
    base: Results | ScenarioResult | None = None,
) -> pd.DataFrame:
    """The KPIs of two scenarios side by side (optionally with the base run).

    Parameters
    ----------
    a, b
        Two scenarios (or runs).
    category, mode, age_group, threshold
        As for :func:`kpi_values`.
    base
        When given, a first value column with the state before.

    Returns
    -------
    pandas.DataFrame
        ``Kennzahl``, [``Ausgangslage``], ``A: <name>``, ``B: <name>``,
        ``Differenz (B − A)``; one row per KPI of :data:`KPI_LABELS`.
    """
    ka = kpi_values(a, category=category, mode=mode, age_group=age_group, threshold=threshold)
    kb = kpi_values(b, category=category, mode=mode, age_group=age_group, threshold=threshold)
    kbase = (
        kpi_values(base, category=category, mode=mode, age_group=age_group, threshold=threshold)
        if base is not None
        else None
    )
    col_a, col_b = f"A: {_name_of(a, 'Ausgangslage')}", f"B: {_name_of(b, 'Ausgangslage')}"
    rows = []
    for key, label in KPI_LABELS.items():
        row: dict[str, Any] = {"Kennzahl": label}
        if kbase is not None:
            row["Ausgangslage"] = kbase[key]
        row[col_a] = ka[key]
        row[col_b] = kb[key]
        row["Differenz (B − A)"] = kb[key] - ka[key]
        rows.append(row)
    return pd.DataFrame(rows)


# -- files ---------------------------------------------------------------------------


def _change_dict(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": change.kind, "offer_id": change.offer_id}
    for key in ("name", "category", "lon", "lat", "address"):
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
    return ScenarioFileError(en, file=path, column=key, expected=expected, message_de=de)


def _unknown_keys(path: Path, prefix: str, data: Mapping[str, Any], known: Sequence[str]) -> None:
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
    try:
        size = p.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise _file_error(
                p, "", f"file too large ({size} bytes)", f"at most {_MAX_FILE_BYTES} bytes",
                "Datei zu groß für eine Szenario-Datei",
            )  # fmt: skip
        # utf-8-sig: Windows editors (Notepad) save JSON with a byte-order mark
        raw = json.loads(p.read_text("utf-8-sig"))
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
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT_NAME:
        raise _file_error(
            p, "format", "not an erreichbarkeit scenario file", f'"format": "{_FORMAT_NAME}"',
            "Keine Szenario-Datei von erreichbarkeit",
        )  # fmt: skip
    _unknown_keys(p, "", raw, _TOP_KEYS)
    version = raw.get("version")
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
    changes: list[Change] = []
    for i, item in enumerate(changes_raw, start=1):
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
        for key in ("name", "category", "address"):
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
        try:
            changes.append(
                Change(
                    kind=item["kind"],
                    offer_id=item["offer_id"],
                    name=item.get("name") or "",
                    category=item.get("category"),
                    lon=None if item.get("lon") is None else float(item["lon"]),
                    lat=None if item.get("lat") is None else float(item["lat"]),
                    address=item.get("address"),
                )
            )
        except ScenarioError as exc:
            key = f"{prefix}.{exc.column.split(',')[0]}" if exc.column else prefix
            raise _file_error(
                p, key, exc.message, exc.expected or "", f"Änderung {i}: {exc.message_de}"
            ) from exc
    return Scenario(name=raw["name"], changes=tuple(changes), created=raw["created"])


def export_comparison(
    path: str | Path,
    delta: ScenarioDelta,
    *,
    base: Results | None = None,
    side_by_side: pd.DataFrame | None = None,
) -> Path:
    """Write the deltas of a scenario to an Excel workbook.

    Sheets: *Kennzahlen* (before, after, difference), *Veränderte Orte*,
    *Änderungen* (the scenario's changes), optionally *Vergleich* (a table
    of :func:`compare_two`), and *Methodik* (the summary, the choice, and
    with ``base`` the run's Methodik rows).  Written with
    :func:`erreichbarkeit.report.export.write_excel` (atomic, formula-injection-safe).

    Parameters
    ----------
    path
        Target ``.xlsx``.
    delta
        From :func:`compare`.
    base
        The base run (adds its Methodik rows: sources, settings).
    side_by_side
        A table of :func:`compare_two`.

    Returns
    -------
    Path
        ``path``.
    """
    from erreichbarkeit.report import export  # noqa: PLC0415  (xlsxwriter only when exporting)
    from erreichbarkeit.report.methodik import methodik  # noqa: PLC0415

    sheets: dict[str, pd.DataFrame] = {
        "Kennzahlen": delta.kpis_de(),
        "Veränderte Orte": delta.villages_de(),
        "Änderungen": pd.DataFrame({"Änderung": list(delta.changes_de)}, dtype=object),
    }
    if side_by_side is not None:
        sheets["Vergleich"] = side_by_side
    cats = base.settings.categories() if base is not None else load_categories()
    label = cats[delta.category].label if delta.category in cats else delta.category
    rows: list[tuple[str, str]] = [
        ("Szenario", delta.scenario_name),
        ("Zusammenfassung", delta.summary_de),
        (
            "Auswahl",
            f"{label}, {MODE_LABELS.get(delta.mode, delta.mode)}, Kinder "
            f"{delta.age_group.replace('-', '–')} Jahre, "
            f"Schwelle {_de_num(delta.threshold, 1)} min",
        ),
        (
            "Berechnung",
            "Nur die Reisezeiten der neuen oder verlegten Angebote wurden neu berechnet "
            "(gleiche Netze, Anbindungsgrenze und Höchstreisezeit wie die Ausgangslage); "
            "geschlossene Angebote entfallen.",
        ),
    ]
    if base is not None:
        rows.extend(methodik(base))
    return export.write_excel(Path(path), sheets, methodik=rows)
