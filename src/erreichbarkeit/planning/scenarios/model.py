"""The scenario: a named list of changes, and the run with the changes applied."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ScenarioError
from erreichbarkeit.results import Results

__all__ = ["Change", "ChangeKind", "Scenario", "ScenarioResult", "new_scenario"]

ChangeKind = Literal["add", "move", "close"]
_KINDS: tuple[str, ...] = get_args(ChangeKind)
_KIND_DE = {"add": "neu", "move": "verlegt", "close": "geschlossen"}


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
    age_groups
        Whom a new offer serves, as in the offer lists' ``Altersgruppen``
        column (``"U3"``, ``"3–6"``, ``"ab 10 Jahre"``); empty: the
        category's age groups.  Ignored for ``"move"``/``"close"``.

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
    age_groups: str = ""

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
