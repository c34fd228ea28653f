"""The scenario's changes applied to the offers table (positions checked and geocoded)."""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.config.ages import AGE_TEXT_EXAMPLES_DE, defaults_or_parsed, join_groups
from erreichbarkeit.errors import GeocodingError, ScenarioError
from erreichbarkeit.io.geocode import AddressIndex, parse_address
from erreichbarkeit.io.offers import fill_serves
from erreichbarkeit.planning.scenarios.model import _KIND_DE, Change, Scenario
from erreichbarkeit.results import Results

__all__ = ["OfferChanges", "new_offers"]

#: Coordinates further than this outside the region's extent are rejected
#: (the same slack as for the planners' offer lists in ``erreichbarkeit.io.read_offers``).
_REGION_SLACK_KM = 20.0

_Locate = Callable[[int, Change], tuple[float, float, str, str, str | None]]


def _region_box(results: Results) -> tuple[float, float, float, float]:
    """The region's extent (or the villages' bounds) widened by the slack, WGS84 degrees."""
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
    """How German messages name change ``i``."""
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
        lat_de, lon_de = f"{lat:.5f}".replace(".", ","), f"{lon:.5f}".replace(".", ",")
        raise ScenarioError(
            msg,
            column="lon, lat",
            expected=(f"lon {box[0]:.3f} … {box[2]:.3f}, lat {box[1]:.3f} … {box[3]:.3f} (WGS84)"),
            message_de=(
                f"{where}: Koordinaten (Breitengrad {lat_de}, Längengrad {lon_de}) "
                f"liegen außerhalb der Region{hint}"
            ),
        )
    return lon, lat, quality, address, note


@dataclass
class OfferChanges:
    """The offers table while the changes are applied, and what they touched.

    Attributes
    ----------
    offers
        The offers with the changes so far.
    base_ids
        Ids of the run's offers (before any change).
    to_route
        Ids to route: added or moved offers that are still present.
    removed
        Ids of offers of the run whose rows are gone (moved or closed).
    affected
        Categories whose indicators must be recomputed.
    notes
        German notes (address matches).
    n_auto
        Last number used for an automatic id (``szenario:<n>``).
    """

    offers: gpd.GeoDataFrame
    base_ids: np.ndarray[Any, Any]
    to_route: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    affected: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    n_auto: int = 0


def _unknown_offer(i: int, change: Change, ids: pd.Series) -> ScenarioError:
    """The error for a move/close of an offer id the table does not hold."""
    close = difflib.get_close_matches(change.offer_id, list(ids), n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    hint_de = f" – meinten Sie „{close[0]}“?" if close else ""
    msg = f"change {i}: unknown offer id {change.offer_id!r}{hint}"
    return ScenarioError(
        msg,
        column="offer_id",
        expected="the id of an offer of the run",
        message_de=f"{_where(i, change)}: kein Angebot mit der ID „{change.offer_id}“{hint_de}",
    )


def _move_or_close(edit: OfferChanges, i: int, change: Change, locate: _Locate) -> None:
    """Drop a closed offer, or put a moved one at its new place."""
    offers = edit.offers
    ids = offers["id"].astype(str)
    hit = np.flatnonzero((ids == change.offer_id).to_numpy())
    if not len(hit):
        raise _unknown_offer(i, change, ids)
    label = offers.index[int(hit[0])]
    edit.affected.add(str(offers.loc[label, "category"]))
    if change.offer_id in edit.base_ids:
        edit.removed.add(change.offer_id)
    if change.kind == "close":
        edit.offers = offers.drop(index=label)
        edit.to_route.discard(change.offer_id)
        return
    lon, lat, quality, address, note = locate(i, change)
    offers.loc[label, "geometry"] = Point(lon, lat)
    offers.loc[label, "geocode_quality"] = quality
    if address:
        offers.loc[label, "address"] = address
    if change.name:
        offers.loc[label, "name"] = change.name
    edit.to_route.add(change.offer_id)
    if note:
        edit.notes.append(note)


def _new_id(edit: OfferChanges, i: int, change: Change, cats: Mapping[str, Category]) -> str:
    """The id of an added offer (``szenario:<n>`` when none is given), checked with its category."""
    ids = set(edit.offers["id"].astype(str))
    where = _where(i, change)
    offer_id = change.offer_id.strip()
    if not offer_id:
        while True:
            edit.n_auto += 1
            offer_id = f"szenario:{edit.n_auto}"
            if offer_id not in ids:
                break
    if offer_id in ids:
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
    return offer_id


def _serves(i: int, change: Change, category: Category) -> str:
    """The age groups a new offer serves (normalised); its category's when none are given."""
    groups, why = defaults_or_parsed(change.age_groups, category.age_groups)
    if why is not None:
        msg = f"change {i}: age groups {change.age_groups!r} cannot be read or name no age 0-27"
        raise ScenarioError(
            msg,
            column="age_groups",
            expected="e.g. '0-3', '3-6, 6-10', 'ab 10 Jahre', 'U3'",
            message_de=f"{_where(i, change)}: Altersgruppen „{change.age_groups}“ "
            f"nicht lesbar oder ohne Alter von 0 bis 27 (erwartet z. B. {AGE_TEXT_EXAMPLES_DE})",
        )
    return join_groups(groups)


def _add(
    edit: OfferChanges,
    i: int,
    change: Change,
    locate: _Locate,
    *,
    cats: Mapping[str, Category],
    source: str,
) -> None:
    """Append a new offer row."""
    offer_id = _new_id(edit, i, change, cats)
    lon, lat, quality, address, note = locate(i, change)
    serves = _serves(i, change, cats[str(change.category)])
    if "serves" not in edit.offers.columns:  # a run from before age groups were read
        edit.offers = fill_serves(edit.offers, cats)
    offers = edit.offers
    row: dict[str, Any] = dict.fromkeys(offers.columns)
    row.update(
        id=offer_id,
        name=change.name or f"{cats[str(change.category)].label} (neu)",
        category=change.category,
        source=source,
        address=address,
        traeger="",
        opening_hours="",
        age_groups=change.age_groups,
        serves=serves,
        capacity=math.nan,
        geocode_quality=quality,
        geometry=Point(lon, lat),
    )
    new = gpd.GeoDataFrame([row], columns=offers.columns, geometry="geometry", crs=WGS84)
    edit.offers = gpd.GeoDataFrame(
        pd.concat([offers, new], ignore_index=True), geometry="geometry", crs=WGS84
    )
    edit.affected.add(str(change.category))  # validated by _new_id
    edit.to_route.add(offer_id)
    if note:
        edit.notes.append(note)


def new_offers(
    base: Results,
    scenario: Scenario,
    address_index: AddressIndex | None,
) -> OfferChanges:
    """Apply the changes to the offers table, in order.

    Returns
    -------
    OfferChanges
        The new offers (index reset), the ids to route, the ids whose base
        rows are gone, the affected categories and German notes.

    Raises
    ------
    ScenarioError, GeocodingError
        A change that cannot be applied (German message names the change).
    """
    settings = base.settings
    cats = settings.categories()
    index = address_index
    if index is None and len(base.inputs.addresses):
        index = AddressIndex(base.inputs.addresses)
    locate: _Locate = functools.partial(
        _locate, box=_region_box(base), index=index, accept_street=settings.geocode_accept_street
    )
    edit = OfferChanges(offers=base.offers.copy(), base_ids=base.offers["id"].to_numpy())
    source = f"Szenario „{scenario.name}“"
    for i, change in enumerate(scenario.changes, start=1):
        if change.kind in ("move", "close"):
            _move_or_close(edit, i, change, locate)
        else:
            _add(edit, i, change, locate, cats=cats, source=source)
    edit.offers = edit.offers.reset_index(drop=True)
    return edit
