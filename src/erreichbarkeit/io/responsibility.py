"""A planner's Zuständigkeit table (CSV/XLSX) → who is responsible for which village.

The table names, per Gemeinde (name or AGS) or village (``Ort``, the more
specific), the responsible Stelle of a category: the Grundschule of the
Schulbezirk, the Rathaus of the Gemeinde, the one Kreishaus.  The Stelle is
an offer of the offers lists (matched by name) or given by its own address
or coordinates (then it becomes an extra offer of that category).

Read like the offers lists (:func:`~erreichbarkeit.io.read_table`: German
encodings, separators, header aliases); every problem is a
:class:`~erreichbarkeit.io.tables.RowProblem` naming file, row and column,
bad rows are skipped, never the whole file (unless no row is usable).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import Category
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import COORDINATE_ALIASES, key
from erreichbarkeit.io._placement import OfferRow
from erreichbarkeit.io._responsibility_rows import ResponsibilityRow, ResponsibilityRowReader
from erreichbarkeit.io._table_checks import display_name, no_usable_rows, unused_columns
from erreichbarkeit.io.offers import _offers_frame
from erreichbarkeit.io.tables import RowProblem, read_table, table_problems

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "RESPONSIBILITY_SOURCE",
    "ResponsibilityReadResult",
    "empty_assignments",
    "read_responsibility",
]

logger = logging.getLogger(__name__)

#: Prefix of the ``source`` of offers placed from a Zuständigkeit table.
RESPONSIBILITY_SOURCE = "Zuständigkeit: "

#: Columns of the resolved assignments (one row per village × category).
ASSIGNMENT_COLUMNS = (
    "village_id", "category", "offer_id", "stelle", "basis", "source", "row", "note",
)  # fmt: skip

_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ort": ("ort", "ortsteil", "ortschaft", "dorf", "village", "ortsname", "wohnort"),
        "gemeinde": ("gemeinde", "gemeindename", "kommune", "municipality", "stadtgemeinde"),
        "ags": (
            "ags", "gemeindeschluessel", "amtlichergemeindeschluessel", "ars",
            "regionalschluessel", "gemeindekennziffer",
        ),
        "category": ("kategorie", "category", "art", "typ", "angebotsart", "bereich"),
        "stelle": (
            "zustaendigestelle", "stelle", "zustaendig", "zustaendigkeit", "angebot",
            "einrichtung", "name", "bezeichnung", "dienststelle", "behoerde", "schule",
        ),
        "address": ("adresse", "address", "anschrift", "postanschrift"),
        "street": ("strasse", "street", "strassehausnummer", "strasseundhausnummer"),
        "housenumber": ("hausnummer", "hnr", "housenumber", "hausnr"),
        "postcode": ("plz", "postleitzahl", "postcode", "zip"),
        "lat": COORDINATE_ALIASES["lat"],
        "lon": COORDINATE_ALIASES["lon"],
        "epsg": COORDINATE_ALIASES["epsg"],
        "note": ("bemerkung", "bemerkungen", "hinweis", "anmerkung", "kommentar", "note"),
    }
)  # fmt: skip
_BASIS_DE = {"gemeinde": "Gemeinde", "ort": "Ort"}


def empty_assignments() -> pd.DataFrame:
    """The assignments table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ASSIGNMENT_COLUMNS})


@dataclass(frozen=True)
class ResponsibilityReadResult:
    """Result of :func:`read_responsibility`.

    Attributes
    ----------
    assignments
        One row per village × category (:data:`ASSIGNMENT_COLUMNS`): the
        responsible offer's id and name, ``basis`` („Ort“ or „Gemeinde“: an
        Ort row wins over its Gemeinde's row), file name and row, Bemerkung.
    offers
        The Stellen given by address or coordinates (*Offers* contract,
        ``source`` „Zuständigkeit: <Datei>“); they join the run's offers.
    problems
        Every unused row has at least one ``"error"``.
    failure
        The error when not one row is usable (``None`` otherwise).
    """

    assignments: pd.DataFrame
    offers: gpd.GeoDataFrame
    problems: tuple[RowProblem, ...]
    failure: Any = None

    @property
    def errors(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"error"``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"warning"``."""
        return tuple(p for p in self.problems if p.severity == "warning")


def read_responsibility(
    path: Path,
    categories: Mapping[str, Category],
    *,
    villages: pd.DataFrame,
    offers: pd.DataFrame,
    addresses: pd.DataFrame | None = None,
    region_bounds: tuple[float, float, float, float] | None = None,
) -> ResponsibilityReadResult:
    """Read and check a Zuständigkeit table against the run's villages and offers.

    Parameters
    ----------
    path
        The table (CSV/XLSX).  Columns (German or English, any case):
        ``Gemeinde`` and/or ``AGS`` or ``Ort``; ``Kategorie``;
        ``Zuständige Stelle``/``Angebot``; optional ``Adresse`` or
        ``Breite``/``Länge`` of the Stelle; optional ``Bemerkung``.
    categories
        The category table.
    villages
        The run's villages (``id``, ``name``, ``ags``, ``gemeinde``).
    offers
        The run's offers (``id``, ``name``, ``category``).
    addresses
        Address points for Stellen given by address (``None``: not placed).
    region_bounds
        WGS84 box of the region (Stellen far outside are errors).

    Returns
    -------
    ResponsibilityReadResult

    Raises
    ------
    InputDataError
        Missing, unreadable or empty file.
    MissingColumnError
        No category or Stelle column, or neither Gemeinde/AGS nor Ort.
    """
    path = Path(path)
    table = read_table(path)
    problems = table_problems(table)
    roles = _roles(list(table.columns))
    _check_columns(path, table, roles)
    problems.extend(unused_columns(path, table.columns, roles.values(), _known(roles)))
    reader = ResponsibilityRowReader(
        path, roles, categories, villages=villages, offers=offers, addresses=addresses,
        region_bounds=region_bounds, problems=problems,
    )  # fmt: skip
    rows = [
        rec
        for rownum, values in zip(table.index, _records(table), strict=True)
        if (rec := reader.read(int(rownum), values)) is not None
    ]
    placed, ids = _unique_placed(reader.placed)
    rows = _without_conflicts(rows, reader, ids)
    assignments = _assignments(rows, path.name)
    problems.sort(key=lambda p: (p.row, p.severity != "error"))
    failure = (
        no_usable_rows(path, problems, what="responsibilities", what_de="Zuständigkeiten")
        if not rows
        else None
    )
    used = {str(i) for i in assignments["offer_id"]}
    extra = _offers_frame([r for r in placed if r.id in used], path.name)
    extra["source"] = RESPONSIBILITY_SOURCE + path.name
    logger.info(
        "%s: %d responsibilities (%d villages), %d Stellen placed, %d errors",
        path.name, len(rows), len(assignments), len(extra),
        sum(p.severity == "error" for p in problems),
    )  # fmt: skip
    return ResponsibilityReadResult(assignments, extra, tuple(problems), failure)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]


def _roles(columns: Sequence[str]) -> dict[str, str]:
    """Role → column (the first column whose key is an alias of the role)."""
    roles: dict[str, str] = {}
    used: set[str] = set()
    for role, aliases in _ROLES.items():
        for alias in aliases:
            hit = next((c for c in columns if key(c) == alias and c not in used), None)
            if hit is not None:
                roles[role] = hit
                used.add(hit)
                break
    return roles


def _known(roles: Mapping[str, str]) -> dict[str, str]:
    """Normalised alias → readable name of the roles not found (column suggestions)."""
    return {
        a: display_name(a)
        for role, aliases in _ROLES.items()
        if role not in roles
        for a in aliases
        if len(a) >= 4
    }


def _check_columns(path: Path, table: pd.DataFrame, roles: Mapping[str, str]) -> None:
    """Category, Stelle and Gemeinde/AGS/Ort columns are required; data rows too."""
    found = ", ".join(map(str, table.columns))
    need = {
        "category": ("Kategorie", "kategorie / art"),
        "stelle": ("Zuständige Stelle (oder Angebot)", "zustaendigestelle / angebot"),
    }
    if not {"gemeinde", "ags", "ort"} & roles.keys():
        need["gemeinde"] = ("Gemeinde (oder AGS oder Ort)", "gemeinde / ags / ort")
    for role, (label, expected) in need.items():
        if role not in roles:
            msg = f"no {role} column; columns found: {found}"
            raise MissingColumnError(
                msg, file=path, expected=expected,
                message_de=f"Spalte {label} fehlt; gefundene Spalten: {found}",
            )  # fmt: skip
    if table.empty:
        msg = "the file has a header but no data rows"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Datenzeilen")


def _unique_placed(placed: list[OfferRow]) -> tuple[list[OfferRow], dict[str, str]]:
    """One offer per Stelle named in several rows (same name, category, place).

    Returns the kept offers and row offer id → kept offer id.
    """
    kept: list[OfferRow] = []
    first: dict[tuple[str, str | None, float, float], str] = {}
    ids: dict[str, str] = {}
    for rec in placed:
        k = (
            key(rec.name),
            rec.category,
            round(float(rec.lon or 0), 5),
            round(float(rec.lat or 0), 5),
        )
        if k not in first:
            first[k] = rec.id
            kept.append(rec)
        ids[rec.id] = first[k]
    return kept, ids


def _without_conflicts(
    rows: list[ResponsibilityRow], reader: ResponsibilityRowReader, ids: Mapping[str, str]
) -> list[ResponsibilityRow]:
    """Drop repeated rows (warning) and contradicting rows (both: error)."""
    seen: dict[tuple[str, str, str], ResponsibilityRow] = {}
    bad: set[int] = set()
    kept: list[ResponsibilityRow] = []
    for row in rows:
        rec = ResponsibilityRow(**{**row.__dict__, "offer_id": ids.get(row.offer_id, row.offer_id)})
        k = (rec.level, rec.target, rec.category)
        first = seen.get(k)
        if first is None:
            seen[k] = rec
            kept.append(rec)
        elif first.offer_id == rec.offer_id:
            reader.problem(
                rec.row, None, f"repeats row {first.row}; skipped",
                f"Wiederholt Zeile {first.row} (gleiche Zuständigkeit); übersprungen", "warning",
            )  # fmt: skip
        else:
            bad.update((first.row, rec.row))
            for a, b in ((rec, first), (first, rec)):
                reader.problem(
                    a.row, "stelle", f"contradicts row {b.row}: {a.stelle!r} vs {b.stelle!r}",
                    f"Widerspricht Zeile {b.row}: für „{a.target_name}“ ist dort „{b.stelle}“ "
                    f"zuständig, hier „{a.stelle}“; beide Zeilen nicht verwendet (erwartet: "
                    "eine zuständige Stelle je Gemeinde bzw. Ort und Kategorie)",
                )  # fmt: skip
    return [r for r in kept if r.row not in bad]


def _assignments(rows: list[ResponsibilityRow], fname: str) -> pd.DataFrame:
    """One row per village × category; an Ort row wins over its Gemeinde's row."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in sorted(rows, key=lambda r: r.level == "ort"):  # Gemeinde first, Ort overrides
        for vid in rec.village_ids:
            out[(vid, rec.category)] = {
                "village_id": vid, "category": rec.category, "offer_id": rec.offer_id,
                "stelle": rec.stelle, "basis": _BASIS_DE[rec.level], "source": fname,
                "row": rec.row, "note": rec.note,
            }  # fmt: skip
    if not out:
        return empty_assignments()
    frame = pd.DataFrame(list(out.values()), columns=list(ASSIGNMENT_COLUMNS))
    return frame.sort_values(["category", "village_id"], kind="stable").reset_index(drop=True)
