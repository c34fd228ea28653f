"""One row of an offer list → one offer, or the problems why it is not used.

:class:`OfferRowReader` reads the cells of one row (id, category, name,
capacity, address), places it (:mod:`erreichbarkeit.io._placement`) and
records every problem as a :class:`~erreichbarkeit.io.tables.RowProblem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pyproj import Transformer
from rapidfuzz import fuzz, process

from erreichbarkeit.config import Category
from erreichbarkeit.config.ages import AGE_TEXT_EXAMPLES_DE, defaults_or_parsed, join_groups
from erreichbarkeit.io._cells import blank, cell_text, key, parse_number
from erreichbarkeit.io._placement import (
    GERMANY_BOUNDS,
    OfferRow,
    Severity,
    place_by_address,
    place_by_coordinates,
    slack_box,
)
from erreichbarkeit.io.geocode import AddressIndex
from erreichbarkeit.io.tables import RowProblem

__all__ = ["CATEGORY_SCORE_CUTOFF", "CategoryMatcher", "OfferRowReader"]

#: Minimum rapidfuzz ratio for a category typo ("Kinderartz" → Kinderarzt).
CATEGORY_SCORE_CUTOFF = 85.0

_ADDRESS_PARTS = ("street", "housenumber", "postcode", "city")

#: Plausible capacities (places) of one offer: the largest schools have a few
#: thousand pupils; 0 places or a million are typing or export errors.
MIN_CAPACITY = 1.0
MAX_CAPACITY = 5000.0
_CAPACITY_RANGE_DE = "1 bis 5.000"


class CategoryMatcher:
    """Category values → category keys (key, label, alias; fuzzy for typos)."""

    def __init__(self, categories: Mapping[str, Category]) -> None:
        self.exact: dict[str, str] = {}
        ordered = sorted(categories.values(), key=lambda c: (c.order, c.key))
        for cat in ordered:
            for name in (cat.key, cat.label, *cat.aliases):
                self.exact.setdefault(key(name), cat.key)
        self.choices = list(self.exact)
        self.labels = sorted(c.label for c in ordered)
        self.label_of = {c.key: c.label for c in ordered}

    def match(self, value: str) -> tuple[str | None, float, str | None]:
        """Return ``(key or None, score, suggestion label)``."""
        k = key(value)
        if not k:
            return None, 0.0, None
        if k in self.exact:
            return self.exact[k], 100.0, None
        found = process.extract(k, self.choices, scorer=fuzz.ratio, limit=3)
        if not found:
            return None, 0.0, None
        best, score, _ = found[0]
        cat = self.exact[best]
        rivals = [f for f in found[1:] if self.exact[f[0]] != cat and f[1] > score - 3]
        if score >= CATEGORY_SCORE_CUTOFF and len(k) >= 4 and not rivals:
            return cat, float(score), None
        return None, float(score), self.label_of[cat] if score >= 70 else None


def _compose_address(parts: Mapping[str, str]) -> str:
    """``"Straße Nr, PLZ Ort"`` from the address part columns."""
    street = " ".join(x for x in (parts.get("street", ""), parts.get("housenumber", "")) if x)
    place = " ".join(x for x in (parts.get("postcode", ""), parts.get("city", "")) if x)
    return ", ".join(x for x in (street, place) if x)


class OfferRowReader:
    """Reads the rows of one offer file; collects problems and unmatched rows.

    Parameters
    ----------
    path
        The offer file (named in every problem).
    roles
        Role (``"name"``, ``"lat"``, …) → column name in the file.
    categories, addresses, accept_street_match, default_epsg, region_bounds
        As for :func:`erreichbarkeit.io.read_offers`.
    problems
        The list problems are appended to.
    """

    def __init__(
        self,
        path: Path,
        roles: Mapping[str, str],
        categories: Mapping[str, Category],
        *,
        addresses: pd.DataFrame | None,
        accept_street_match: bool,
        default_epsg: int | None,
        region_bounds: tuple[float, float, float, float] | None,
        problems: list[RowProblem],
    ) -> None:
        self.fname = path.name
        self.roles = roles
        self.matcher = CategoryMatcher(categories)
        self.categories = categories
        self.addresses = addresses
        self.accept_street_match = accept_street_match
        self.default_epsg = default_epsg
        self.strict_box = region_bounds is not None
        self.box = slack_box(region_bounds) if region_bounds is not None else GERMANY_BOUNDS
        self.problems = problems
        self.has_coords = "lat" in roles and "lon" in roles
        self.transformers: dict[int, Transformer] = {}
        self.unmatched: list[dict[str, Any]] = []
        self._seen_ids: dict[str, int] = {}
        self._index: AddressIndex | None = None  # built on first use: ~1 s for 200k addresses

    def problem(
        self, row: int, role: str | None, en: str, de: str, sev: Severity = "error", /
    ) -> None:
        """Record a problem of ``row`` in the column of ``role``."""
        col = self.roles.get(role) if role else None
        self.problems.append(RowProblem(self.fname, row, col, en, de, sev))

    def cell(self, values: Mapping[str, Any], role: str) -> Any:
        """The row's cell of ``role`` (``None`` when the file has no such column)."""
        col = self.roles.get(role)
        return None if col is None else values[col]

    def address_index(self) -> AddressIndex | None:
        """The address index, built on first use (``None`` without addresses)."""
        if self.addresses is None:
            return None
        if self._index is None:
            self._index = AddressIndex(self.addresses)
        return self._index

    def read(self, row: int, values: Mapping[str, Any]) -> OfferRow | None:
        """One row as an offer, or ``None`` when it is not used (problems recorded)."""
        oid, id_ok = self._row_id(row, values)
        cat, cat_ok = self._category(row, values)
        name = self._name(row, values, cat)
        capacity = self._capacity(row, values)
        ages = cell_text(self.cell(values, "age_groups"))
        parts = {r: cell_text(self.cell(values, r)) for r in _ADDRESS_PARTS}
        address = cell_text(self.cell(values, "address")) or _compose_address(parts)
        rec = OfferRow(
            row=row,
            id=oid,
            name=name,
            category=cat,
            address=address,
            traeger=cell_text(self.cell(values, "traeger")) or None,
            opening_hours=cell_text(self.cell(values, "opening_hours")) or None,
            age_groups=ages or None,
            capacity=capacity,
            serves=self._serves(row, ages, cat),
        )
        coords_state = "none"
        if self.has_coords:
            coords_state = place_by_coordinates(
                rec,
                values,
                self.roles,
                default_epsg=self.default_epsg,
                box=self.box,
                strict_box=self.strict_box,
                transformers=self.transformers,
                problem=self.problem,
            )
        if coords_state == "error" or not (id_ok and cat_ok):
            return None
        if coords_state == "none" and not self._place_by_address(rec, values, parts):
            return None
        return rec

    def _row_id(self, row: int, values: Mapping[str, Any]) -> tuple[str, bool]:
        """The row's id (``<file>:<row>`` when none is given) and whether it is new."""
        oid = cell_text(self.cell(values, "id")) or f"{self.fname}:{row}"
        if oid in self._seen_ids:
            first = self._seen_ids[oid]
            self.problem(
                row,
                "id",
                f"duplicate id {oid!r} (first in row {first})",
                f"Doppelte ID „{oid}“ (zuerst in Zeile {first})",
            )
            return oid, False
        self._seen_ids[oid] = row
        return oid, True

    def _category(self, row: int, values: Mapping[str, Any]) -> tuple[str | None, bool]:
        """The category key (``None`` if unknown) and whether the row may be used."""
        raw_cat = cell_text(self.cell(values, "category"))
        if not raw_cat:
            self.problem(row, "category", "category is empty", "Kategorie fehlt")
            return None, False
        cat, score, suggestion = self.matcher.match(raw_cat)
        valid = ", ".join(self.matcher.labels)
        if cat is None:
            hint = f" — did you mean {suggestion!r}?" if suggestion else ""
            hint_de = f" – meinten Sie „{suggestion}“?" if suggestion else ""
            self.problem(
                row,
                "category",
                f"unknown category {raw_cat!r}{hint}; valid: {valid}",
                f"Unbekannte Kategorie „{raw_cat}“{hint_de}; gültig sind: {valid}",
            )
            return None, False
        if score < 100:
            label = self.matcher.label_of[cat]
            self.problem(
                row,
                "category",
                f"category {raw_cat!r} read as {label!r}",
                f"Kategorie „{raw_cat}“ als „{label}“ gelesen",
                "warning",
            )
        return cat, True

    def _name(self, row: int, values: Mapping[str, Any], cat: str | None) -> str:
        """The row's name; the category label when empty."""
        name = cell_text(self.cell(values, "name"))
        if not name and cat is not None:
            name = self.matcher.label_of[cat]
            self.problem(
                row,
                "name",
                "name is empty; using the category label",
                f"Name fehlt; verwendet wird „{name}“",
                "warning",
            )
        return name

    def _serves(self, row: int, text: str, cat: str | None) -> str:
        """The age groups the row's offer serves (normalised); the category's when unreadable.

        An empty cell silently means the category's groups; a text that
        cannot be read, or names no age from 0 to 27, is a warning.
        """
        category = self.categories.get(cat) if cat is not None else None
        defaults = category.age_groups if category is not None else ()
        groups, why = defaults_or_parsed(text, defaults)
        if why is not None:
            label = self.matcher.label_of.get(cat or "", "")
            used = ", ".join(g.replace("-", "–") for g in defaults)
            what = "cannot be read" if why == "unreadable" else "names no age from 0 to 27"
            what_de = (
                "nicht lesbar"
                if why == "unreadable"
                else "nennt kein Alter von 0 bis 27 Jahren"
            )
            self.problem(
                row,
                "age_groups",
                f"age groups {text!r} {what}; using the category's groups {used} "
                "(expected e.g. '0-3', '3-6, 6-10', 'ab 10 Jahre', 'U3', 'Schulkinder')",
                f"Altersgruppen „{text}“ {what_de}; verwendet werden die Altersgruppen "
                f"der Kategorie {label} ({used} Jahre). Erwartet z. B. {AGE_TEXT_EXAMPLES_DE}",
                "warning",
            )
        return join_groups(groups)

    def _capacity(self, row: int, values: Mapping[str, Any]) -> float:
        """The row's capacity; NaN (with a warning) when not a plausible number of places."""
        raw_cap = self.cell(values, "capacity")
        if blank(raw_cap):
            return float("nan")
        try:
            parsed = parse_number(raw_cap, count=True)
        except ValueError:
            self.problem(
                row,
                "capacity",
                f"capacity {raw_cap!r} is not a number; left empty",
                f"Kapazität „{raw_cap}“ ist keine Zahl; bleibt leer (erwartet: "
                f"{_CAPACITY_RANGE_DE} Plätze)",
                "warning",
            )
            return float("nan")
        capacity = float("nan") if parsed is None else parsed
        if capacity < 0:
            self.problem(
                row,
                "capacity",
                f"capacity {raw_cap!r} is negative; left empty",
                f"Kapazität „{raw_cap}“ ist negativ; bleibt leer (erwartet: "
                f"{_CAPACITY_RANGE_DE} Plätze)",
                "warning",
            )
            return float("nan")
        if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            self.problem(
                row,
                "capacity",
                f"capacity {raw_cap!r} is not plausible (expected {MIN_CAPACITY:g} to "
                f"{MAX_CAPACITY:g} places); left empty, the offer is used without capacity",
                f"Kapazität „{cell_text(raw_cap)}“ ist nicht plausibel (erwartet: "
                f"{_CAPACITY_RANGE_DE} Plätze); bleibt leer, das Angebot wird ohne "
                "Kapazität verwendet",
                "warning",
            )
            return float("nan")
        return capacity

    def _place_by_address(
        self, rec: OfferRow, values: Mapping[str, Any], parts: Mapping[str, str]
    ) -> bool:
        """Geocode the row; list it as unmatched (an error) when that fails."""
        reason = place_by_address(
            rec,
            values,
            self.roles,
            parts,
            get_index=self.address_index,
            accept_street_match=self.accept_street_match,
            problem=self.problem,
        )
        if reason is None:
            return True
        self.unmatched.append(
            {
                "source": self.fname,
                "row": rec.row,
                "id": rec.id,
                "name": rec.name,
                "category": rec.category,
                "address": rec.address,
                "reason": reason,
            }
        )
        self.problem(
            rec.row,
            "address" if "address" in self.roles else "street",
            f"not placed: {reason}",
            f"Nicht verortet: {reason}",
        )
        return False
