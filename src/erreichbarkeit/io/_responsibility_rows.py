"""One row of a Zuständigkeit table → who it is about, which category, which Stelle.

:class:`ResponsibilityRowReader` matches the cells of one row against the
run's villages (``Ort``), Gemeinden (``Gemeinde``/``AGS``), categories and
offers (``Zuständige Stelle``) and records every problem as a
:class:`~erreichbarkeit.io.tables.RowProblem`.  A Stelle given by its own
address or coordinates is placed like an offer row
(:class:`~erreichbarkeit.io._offer_rows.OfferRowReader`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process

from erreichbarkeit.io._cells import ags_from_code, blank, cell_text, key
from erreichbarkeit.io._offer_rows import CategoryMatcher, OfferRowReader
from erreichbarkeit.io._placement import OfferRow, Severity
from erreichbarkeit.io.tables import RowProblem

__all__ = ["NAME_SCORE_CUTOFF", "ResponsibilityRow", "ResponsibilityRowReader"]

#: Minimum rapidfuzz ratio (of the normalised names) for a misspelled Stelle,
#: Gemeinde or Ort to be read as the known one.
NAME_SCORE_CUTOFF = 85.0
#: Scores this close to the best make a fuzzy name ambiguous.
_RIVAL_MARGIN = 3.0
#: Minimum score for a suggestion („meinten Sie …?“).
_SUGGEST_CUTOFF = 70.0
#: Candidates listed in an ambiguity error.
_MAX_LISTED = 5


@dataclass(frozen=True)
class ResponsibilityRow:
    """One usable row: its target (Gemeinde or Ort), category and Stelle."""

    row: int
    level: str  # "gemeinde" | "ort"
    target: str  # AGS (Gemeinde) or village id (Ort)
    target_name: str
    village_ids: tuple[str, ...]
    category: str
    offer_id: str
    stelle: str
    note: str | None


@dataclass(frozen=True)
class _Target:
    level: str
    target: str
    name: str
    village_ids: tuple[str, ...]


def _fuzzy(value: str, names: Mapping[str, list[Any]]) -> tuple[list[Any], float, list[str]]:
    """Exact (by :func:`key`) or unique fuzzy hits; else ``([], score, candidates)``.

    Returns ``(hits, score, candidates)``: ``hits`` are the items of the
    matched name (several for a name used twice); ``score`` is 100 for an
    exact match; ``candidates`` are the close names (ambiguous or suggestions).
    """
    k = key(value)
    if k in names:
        return names[k], 100.0, []
    found = process.extract(k, list(names), scorer=fuzz.ratio, limit=_MAX_LISTED)
    if not found:
        return [], 0.0, []
    best, score, _ = found[0]
    close = [f[0] for f in found if f[1] >= max(_SUGGEST_CUTOFF, score - _RIVAL_MARGIN)]
    if score >= NAME_SCORE_CUTOFF and len(k) >= 4 and len(close) == 1:
        return names[best], float(score), []
    return [], float(score), close if score >= _SUGGEST_CUTOFF else []


class ResponsibilityRowReader:
    """Reads the rows of one Zuständigkeit table; collects problems and extra offers.

    Parameters
    ----------
    path
        The table (named in every problem).
    roles
        Role (``"gemeinde"``, ``"ort"``, ``"stelle"``, …) → column name.
    categories
        The category table.
    villages
        The run's villages (``id``, ``name``, ``ags``, ``gemeinde``).
    offers
        The run's offers (``id``, ``name``, ``category``, ``address``).
    addresses, region_bounds
        As for :func:`erreichbarkeit.io.read_offers` (placing Stellen by address).
    problems
        The list problems are appended to.
    """

    def __init__(
        self,
        path: Path,
        roles: Mapping[str, str],
        categories: Mapping[str, Any],
        *,
        villages: pd.DataFrame,
        offers: pd.DataFrame,
        addresses: pd.DataFrame | None,
        region_bounds: tuple[float, float, float, float] | None,
        problems: list[RowProblem],
    ) -> None:
        self.fname = path.name
        self.roles = roles
        self.matcher = CategoryMatcher(categories)
        self.problems = problems
        self.placed: list[OfferRow] = []
        offer_roles = {
            r: c
            for r, c in roles.items()
            if r in ("lat", "lon", "epsg", "address", "street", "housenumber", "postcode")
        }
        offer_roles.update(name=roles["stelle"], category=roles["category"])
        self.placer = OfferRowReader(
            path, offer_roles, categories, addresses=addresses, accept_street_match=False,
            default_epsg=None, region_bounds=region_bounds, problems=problems,
        )  # fmt: skip
        self._villages_by_name: dict[str, list[tuple[str, str, str | None]]] = {}
        self._gemeinden: dict[str, list[str]] = {}
        self._gemeinde_name: dict[str, str] = {}
        self._villages_of: dict[str, list[str]] = {}
        for vid, name, ags, gem in zip(
            villages["id"].astype(str), villages["name"].astype(str),
            villages.get("ags", pd.Series([None] * len(villages))),
            villages.get("gemeinde", pd.Series([None] * len(villages))), strict=True,
        ):  # fmt: skip
            ags_s = None if blank(ags) else str(ags)
            self._villages_by_name.setdefault(key(name), []).append((vid, name, ags_s))
            if ags_s is not None:
                self._villages_of.setdefault(ags_s, []).append(vid)
                self._gemeinde_name.setdefault(ags_s, str(gem))
                self._gemeinden.setdefault(key(gem), [])
                if ags_s not in self._gemeinden[key(gem)]:
                    self._gemeinden[key(gem)].append(ags_s)
        self._offers: dict[str, dict[str, list[tuple[str, str, str]]]] = {}
        for oid, name, cat, addr in zip(
            offers["id"].astype(str), offers["name"].astype(str), offers["category"].astype(str),
            offers.get("address", pd.Series([None] * len(offers))), strict=True,
        ):  # fmt: skip
            entry = (oid, name, "" if blank(addr) else str(addr))
            self._offers.setdefault(cat, {}).setdefault(key(name), []).append(entry)

    def problem(
        self, row: int, role: str | None, en: str, de: str, sev: Severity = "error", /
    ) -> None:
        """Record a problem of ``row`` in the column of ``role``."""
        col = self.roles.get(role) if role else None
        self.problems.append(RowProblem(self.fname, row, col, en, de, sev))

    def cell(self, values: Mapping[str, Any], role: str) -> str:
        """The row's text in the column of ``role`` (``""`` when absent or empty)."""
        col = self.roles.get(role)
        return "" if col is None else cell_text(values[col])

    def read(self, row: int, values: Mapping[str, Any]) -> ResponsibilityRow | None:
        """One row, or ``None`` when it is not used (problems recorded)."""
        given = [r for r in ("gemeinde", "ags", "ort", "category", "stelle", "address", "lat")
                 if self.cell(values, r)]  # fmt: skip
        if not given:
            self.problem(
                row, None, "row without Gemeinde, Ort, category or Stelle; skipped",
                "Zeile ohne Gemeinde, Ort, Kategorie und Stelle; nicht verwendet "
                "(erwartet: Gemeinde oder Ort, Kategorie, zuständige Stelle)",
            )  # fmt: skip
            return None
        target = self._target(row, values)
        cat = self._category(row, values)
        if target is None or cat is None:
            return None
        found = self._stelle(row, values, cat)
        if found is None:
            return None
        oid, stelle = found
        return ResponsibilityRow(
            row=row, level=target.level, target=target.target, target_name=target.name,
            village_ids=target.village_ids, category=cat, offer_id=oid, stelle=stelle,
            note=self.cell(values, "note") or None,
        )  # fmt: skip

    # -- who: Gemeinde (AGS or name) or Ort --------------------------------------------

    def _target(self, row: int, values: Mapping[str, Any]) -> _Target | None:
        """The Gemeinde or village the row is about (``Ort`` is the more specific)."""
        ags = self._gemeinde(row, values)
        if ags is None:
            return None
        ort = self.cell(values, "ort")
        if ort:
            return self._village(row, ort, ags or None)
        if not ags:
            self.problem(
                row, "gemeinde" if "gemeinde" in self.roles else "ags" if "ags" in self.roles
                else "ort", "neither Gemeinde nor Ort given",
                "Weder Gemeinde noch Ort angegeben (erwartet: Name oder AGS der Gemeinde, "
                "oder der Name eines Orts)",
            )  # fmt: skip
            return None
        name = self._gemeinde_name[ags]
        return _Target("gemeinde", ags, name, tuple(self._villages_of.get(ags, [])))

    def _gemeinde(self, row: int, values: Mapping[str, Any]) -> str | None:  # noqa: PLR0911 (checks in turn)
        """The row's AGS; ``""`` when not given, ``None`` on an error (recorded)."""
        raw_ags, raw_name = self.cell(values, "ags"), self.cell(values, "gemeinde")
        by_ags = ""
        if raw_ags:
            code = ags_from_code(raw_ags)
            if code is None or code not in self._villages_of:
                self.problem(
                    row, "ags", f"unknown AGS {raw_ags!r}",
                    f"Unbekannter Gemeindeschlüssel „{raw_ags}“ (erwartet: der 8-stellige AGS "
                    "einer Gemeinde mit Orten im Gebiet)",
                )  # fmt: skip
                return None
            by_ags = code
        if not raw_name:
            return by_ags
        hits = self._gemeinde_by_name(row, raw_name)
        if hits is None:
            return None
        if by_ags and by_ags not in hits:
            self.problem(
                row, "ags", f"AGS {raw_ags!r} is not Gemeinde {raw_name!r}",
                f"Gemeindeschlüssel „{raw_ags}“ gehört zu „{self._gemeinde_name[by_ags]}“, "
                f"nicht zu „{raw_name}“",
            )  # fmt: skip
            return None
        if by_ags:
            return by_ags
        if len(hits) > 1:
            self.problem(
                row, "gemeinde", f"Gemeinde name {raw_name!r} is ambiguous",
                f"Gemeindename „{raw_name}“ ist mehrdeutig ({', '.join(hits)}); bitte den "
                "Gemeindeschlüssel (AGS) angeben",
            )  # fmt: skip
            return None
        return hits[0]

    def _gemeinde_by_name(self, row: int, raw_name: str) -> list[str] | None:
        """The AGS of the Gemeinden named ``raw_name`` (``None``: unknown, recorded)."""
        hits, score, close = _fuzzy(raw_name, self._gemeinden)
        if not hits:
            listed = ", ".join(f"„{self._gemeinde_name[self._gemeinden[c][0]]}“" for c in close)
            hint = f" – meinten Sie {listed}?" if listed else ""
            self.problem(
                row, "gemeinde", f"unknown Gemeinde {raw_name!r}",
                f"Unbekannte Gemeinde „{raw_name}“{hint} (erwartet: eine Gemeinde mit Orten "
                "im Gebiet)",
            )  # fmt: skip
            return None
        if score < 100 and len(hits) == 1:
            found = self._gemeinde_name[hits[0]]
            self.problem(
                row, "gemeinde", f"Gemeinde {raw_name!r} read as {found!r}",
                f"Gemeinde „{raw_name}“ als „{found}“ gelesen", "warning",
            )  # fmt: skip
        return [str(h) for h in hits]

    def _village(self, row: int, ort: str, ags: str | None) -> _Target | None:
        """The one village named ``ort`` (within the Gemeinde ``ags`` when given)."""
        hits, score, close = _fuzzy(ort, self._villages_by_name)
        if not hits:
            listed = ", ".join(f"„{self._villages_by_name[c][0][1]}“" for c in close)
            hint = f" – meinten Sie {listed}?" if listed else ""
            self.problem(
                row, "ort", f"unknown Ort {ort!r}",
                f"Unbekannter Ort „{ort}“{hint} (erwartet: der Name eines Orts im Gebiet)",
            )  # fmt: skip
            return None
        inside = [h for h in hits if ags is None or h[2] == ags]
        if not inside:
            self.problem(
                row, "ort", f"Ort {ort!r} is not in Gemeinde {ags}",
                f"Ort „{ort}“ liegt nicht in der Gemeinde „{self._gemeinde_name.get(ags or '')}“",
            )  # fmt: skip
            return None
        if len(inside) > 1:
            self.problem(
                row, "ort", f"Ort {ort!r} is ambiguous ({len(inside)} villages)",
                f"Ortsname „{ort}“ ist mehrdeutig ({len(inside)} Orte: "
                + ", ".join(self._gemeinde_name.get(h[2] or "", "?") for h in inside[:_MAX_LISTED])
                + "); bitte die Gemeinde angeben",
            )  # fmt: skip
            return None
        vid, name, _ = inside[0]
        if score < 100:
            self.problem(
                row, "ort", f"Ort {ort!r} read as {name!r}",
                f"Ort „{ort}“ als „{name}“ gelesen", "warning",
            )  # fmt: skip
        return _Target("ort", vid, name, (vid,))

    # -- what: category and Stelle -------------------------------------------------------

    def _category(self, row: int, values: Mapping[str, Any]) -> str | None:
        """The category key (``None`` if empty or unknown; recorded)."""
        raw = self.cell(values, "category")
        if not raw:
            self.problem(row, "category", "category is empty",
                         "Kategorie fehlt (erwartet: z. B. Grundschule)")  # fmt: skip
            return None
        cat, score, suggestion = self.matcher.match(raw)
        if cat is None:
            hint_de = f" – meinten Sie „{suggestion}“?" if suggestion else ""
            valid = ", ".join(self.matcher.labels)
            self.problem(
                row, "category", f"unknown category {raw!r}; valid: {valid}",
                f"Unbekannte Kategorie „{raw}“{hint_de}; gültig sind: {valid}",
            )  # fmt: skip
            return None
        if score < 100:
            label = self.matcher.label_of[cat]
            self.problem(row, "category", f"category {raw!r} read as {label!r}",
                         f"Kategorie „{raw}“ als „{label}“ gelesen", "warning")  # fmt: skip
        return cat

    def _stelle(self, row: int, values: Mapping[str, Any], cat: str) -> tuple[str, str] | None:
        """``(offer id, name)`` of the responsible Stelle; placed as a new offer when located."""
        name = self.cell(values, "stelle")
        located = bool(self.cell(values, "address") or self.cell(values, "street")) or bool(
            self.cell(values, "lat") and self.cell(values, "lon")
        )
        if located:
            # the category as its key: the placer must not warn about a typo a second time
            rec = self.placer.read(row, {**values, self.roles["category"]: cat})
            if rec is None:
                return None
            self.placed.append(rec)
            return rec.id, rec.name
        label = self.matcher.label_of[cat]
        if not name:
            self.problem(
                row, "stelle", "responsible Stelle is empty",
                f"Zuständige Stelle fehlt (erwartet: der Name eines Angebots der Kategorie "
                f"„{label}“ oder Adresse bzw. Breite/Länge der Stelle)",
            )  # fmt: skip
            return None
        offers = self._offers.get(cat, {})
        if not offers:
            self.problem(
                row, "stelle", f"no offers of category {cat!r} to match {name!r}",
                f"Keine Angebote der Kategorie „{label}“ in den Angebotslisten, zu denen "
                f"„{name}“ passen könnte; bitte Adresse oder Breite/Länge der Stelle angeben",
            )  # fmt: skip
            return None
        return self._match_offer(row, name, label, offers)

    def _match_offer(
        self, row: int, name: str, label: str, offers: Mapping[str, list[tuple[str, str, str]]]
    ) -> tuple[str, str] | None:
        """The one offer named ``name`` (exact after normalisation, else a unique close name)."""
        hits, score, close = _fuzzy(name, offers)
        if len(hits) == 1:
            oid, found, _ = hits[0]
            if score < 100:
                self.problem(row, "stelle", f"Stelle {name!r} read as {found!r}",
                             f"Zuständige Stelle „{name}“ als „{found}“ gelesen",
                             "warning")  # fmt: skip
            return oid, found
        if hits:
            listed = "; ".join(f"„{n}“ ({a or 'ID ' + i})" for i, n, a in hits[:_MAX_LISTED])
            self.problem(
                row, "stelle", f"Stelle {name!r} is ambiguous ({len(hits)} offers)",
                f"Zuständige Stelle „{name}“ ist mehrdeutig: {listed}; bitte Adresse oder "
                "Breite/Länge angeben",
            )  # fmt: skip
            return None
        cands = [offers[c][0][1] for c in close]
        if len(cands) > 1:
            listed = ", ".join(f"„{c}“" for c in cands)
            de = f"Zuständige Stelle „{name}“ ist nicht eindeutig; infrage kommen: {listed}"
        else:
            hint = f" – meinten Sie „{cands[0]}“?" if cands else ""
            de = (f"Unbekannte zuständige Stelle „{name}“{hint} (erwartet: der Name eines "
                  f"Angebots der Kategorie „{label}“ oder Adresse bzw. Breite/Länge)")  # fmt: skip
        self.problem(row, "stelle", f"Stelle {name!r} not found among the {label} offers", de)
        return None
