"""A planner's table of offers that come to the family („aufsuchende Angebote“).

Mobile and outreach offers (Familienhebamme, Willkommensbesuch, aufsuchende
Jugendarbeit, Außensprechstunde) have no one place: the table lists, per
offer (``Name``) and ``Kategorie``, the Gemeinde (name or AGS) or the
villages (``Ort``) it serves.  A Gemeinde row serves every village of the
Gemeinde; an ``Ort`` cell may list several villages separated by „;“ or „,“.
Optional: ``Träger``, ``Altersgruppen`` (read like the offers lists,
:mod:`erreichbarkeit.config.ages`; empty: the category's groups),
``Bemerkung``.

Read like the Zuständigkeit tables (:mod:`erreichbarkeit.io.responsibility`,
whose row reader matches Gemeinden, villages and categories): every problem
is a :class:`~erreichbarkeit.io.tables.RowProblem` naming file, row and
column; a bad row (or a bad village of a list) is skipped, never the whole
file (unless no row is usable).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from erreichbarkeit.config import Category
from erreichbarkeit.config.ages import AGE_TEXT_EXAMPLES_DE, defaults_or_parsed, join_groups
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import key
from erreichbarkeit.io._responsibility_rows import ResponsibilityRowReader
from erreichbarkeit.io._table_checks import display_name, no_usable_rows, unused_columns
from erreichbarkeit.io.tables import RowProblem, read_table, table_problems

__all__ = ["OUTREACH_COLUMNS", "OutreachReadResult", "empty_outreach", "read_outreach"]

logger = logging.getLogger(__name__)

#: Columns of the resolved outreach table (one row per village × category × offer).
OUTREACH_COLUMNS = (
    "village_id", "category", "name", "serves", "traeger", "basis", "source", "row", "note",
)  # fmt: skip

_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ort": ("ort", "orte", "ortsteil", "ortsteile", "ortschaft", "ortschaften", "dorf",
                "doerfer", "village", "villages", "ortsname"),
        "gemeinde": ("gemeinde", "gemeindename", "kommune", "municipality", "stadtgemeinde"),
        "ags": (
            "ags", "gemeindeschluessel", "amtlichergemeindeschluessel", "ars",
            "regionalschluessel", "gemeindekennziffer",
        ),
        "category": ("kategorie", "category", "art", "typ", "angebotsart", "bereich"),
        "stelle": ("name", "angebot", "bezeichnung", "einrichtung", "dienst", "offer"),
        "traeger": ("traeger", "traegerschaft", "provider", "operator", "anbieter"),
        "age_groups": ("altersgruppen", "altersgruppe", "alter", "zielgruppe", "agegroups"),
        "note": ("bemerkung", "bemerkungen", "hinweis", "anmerkung", "kommentar", "note"),
    }
)  # fmt: skip
_BASIS_DE = {"gemeinde": "Gemeinde", "ort": "Ort"}
_LIST_SEPARATORS = re.compile(r"[;,\n]")


def empty_outreach() -> pd.DataFrame:
    """The outreach table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTREACH_COLUMNS})


@dataclass(frozen=True)
class OutreachReadResult:
    """Result of :func:`read_outreach`.

    Attributes
    ----------
    served
        One row per village × category × offer (:data:`OUTREACH_COLUMNS`):
        the offer's name, the age groups it serves (``"0-3;3-6"``), Träger,
        ``basis`` („Gemeinde“ or „Ort“), file name, row and Bemerkung.
    problems
        Every unused row has at least one ``"error"``.
    failure
        The error when not one row is usable (``None`` otherwise).
    """

    served: pd.DataFrame
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


@dataclass(frozen=True)
class _OutreachRow:
    row: int
    level: str
    village_ids: tuple[str, ...]
    category: str
    name: str
    serves: str
    traeger: str | None
    note: str | None


class _OutreachRowReader(ResponsibilityRowReader):
    """The Zuständigkeit row reader's Gemeinde/Ort/category matching for outreach rows."""

    def __init__(
        self,
        path: Path,
        roles: Mapping[str, str],
        categories: Mapping[str, Category],
        *,
        villages: pd.DataFrame,
        problems: list[RowProblem],
    ) -> None:
        no_offers = pd.DataFrame({"id": [], "name": [], "category": []})
        super().__init__(
            path, roles, categories, villages=villages, offers=no_offers, addresses=None,
            region_bounds=None, problems=problems,
        )  # fmt: skip
        self.categories = categories

    def read_outreach(self, row: int, values: Mapping[str, Any]) -> _OutreachRow | None:
        """One row, or ``None`` when it is not used (problems recorded)."""
        if not any(self.cell(values, r) for r in ("gemeinde", "ags", "ort", "category", "stelle")):
            self.problem(
                row, None, "row without Gemeinde, Ort, category or name; skipped",
                "Zeile ohne Gemeinde, Ort, Kategorie und Name; nicht verwendet (erwartet: "
                "Name des Angebots, Kategorie, Gemeinde oder Ort(e))",
            )  # fmt: skip
            return None
        target = self._served(row, values)
        cat = self._category(row, values)
        name = self.cell(values, "stelle")
        if not name:
            self.problem(
                row, "stelle", "offer name is empty",
                "Name des Angebots fehlt (erwartet: z. B. „Familienhebamme Nord“)",
            )  # fmt: skip
        if target is None or cat is None or not name:
            return None
        level, vids = target
        return _OutreachRow(
            row=row, level=level, village_ids=vids, category=cat, name=name,
            serves=self._serves(row, self.cell(values, "age_groups"), cat),
            traeger=self.cell(values, "traeger") or None, note=self.cell(values, "note") or None,
        )  # fmt: skip

    def _served(self, row: int, values: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """``(level, village ids)`` the row serves; a bad village of a list is skipped."""
        ags = self._gemeinde(row, values)
        if ags is None:
            return None
        orte = [p.strip() for p in _LIST_SEPARATORS.split(self.cell(values, "ort")) if p.strip()]
        if not orte:
            target = self._target(row, values)
            return None if target is None else (target.level, target.village_ids)
        vids: list[str] = []
        for ort in orte:
            found = self._village(row, ort, ags or None)
            if found is not None and found.target not in vids:
                vids.append(found.target)
        return ("ort", tuple(vids)) if vids else None

    def _serves(self, row: int, text: str, cat: str) -> str:
        """The age groups served (normalised); the category's when empty or unreadable."""
        defaults = self.categories[cat].age_groups if cat in self.categories else ()
        groups, why = defaults_or_parsed(text, defaults)
        if why is not None:
            used = ", ".join(g.replace("-", "–") for g in defaults)
            what_de = "nicht lesbar" if why == "unreadable" else "nennt kein Alter von 0 bis 27"
            self.problem(
                row, "age_groups", f"age groups {text!r} not read; using {used}",
                f"Altersgruppen „{text}“ {what_de}; verwendet werden die Altersgruppen der "
                f"Kategorie ({used} Jahre). Erwartet z. B. {AGE_TEXT_EXAMPLES_DE}", "warning",
            )  # fmt: skip
        return join_groups(groups)


def read_outreach(
    path: Path, categories: Mapping[str, Category], *, villages: pd.DataFrame
) -> OutreachReadResult:
    """Read and check a table of outreach offers against the run's villages.

    Parameters
    ----------
    path
        The table (CSV/XLSX).  Columns (German or English, any case):
        ``Name``, ``Kategorie``, ``Gemeinde`` and/or ``AGS`` or ``Ort``
        (several villages separated by „;“ or „,“); optional ``Träger``,
        ``Altersgruppen``, ``Bemerkung``.
    categories
        The category table.
    villages
        The run's villages (``id``, ``name``, ``ags``, ``gemeinde``).

    Returns
    -------
    OutreachReadResult

    Raises
    ------
    InputDataError
        Missing, unreadable or empty file.
    MissingColumnError
        No name or category column, or neither Gemeinde/AGS nor Ort.
    """
    path = Path(path)
    table = read_table(path)
    problems = table_problems(table)
    roles = _roles(list(table.columns))
    _check_columns(path, table, roles)
    problems.extend(unused_columns(path, table.columns, roles.values(), _known(roles)))
    reader = _OutreachRowReader(path, roles, categories, villages=villages, problems=problems)
    rows = [
        rec
        for rownum, values in zip(table.index, _records(table), strict=True)
        if (rec := reader.read_outreach(int(rownum), values)) is not None
    ]
    served = _served_table(rows, path.name)
    problems.sort(key=lambda p: (p.row, p.severity != "error"))
    failure = (
        no_usable_rows(path, problems, what="outreach offers", what_de="aufsuchenden Angebote")
        if not rows
        else None
    )
    logger.info(
        "%s: %d outreach rows (%d village × category), %d errors", path.name, len(rows),
        len(served), sum(p.severity == "error" for p in problems),
    )  # fmt: skip
    return OutreachReadResult(served, tuple(problems), failure)


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
    """Name, category and Gemeinde/AGS/Ort columns are required; data rows too."""
    found = ", ".join(map(str, table.columns))
    need = {
        "stelle": ("Name (des Angebots)", "name / angebot"),
        "category": ("Kategorie", "kategorie / art"),
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


def _served_table(rows: list[_OutreachRow], fname: str) -> pd.DataFrame:
    """One row per village × category × offer name (a repeated one: the first row)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in rows:
        for vid in rec.village_ids:
            out.setdefault(
                (vid, rec.category, key(rec.name)),
                {
                    "village_id": vid, "category": rec.category, "name": rec.name,
                    "serves": rec.serves, "traeger": rec.traeger, "basis": _BASIS_DE[rec.level],
                    "source": fname, "row": rec.row, "note": rec.note,
                },
            )  # fmt: skip
    if not out:
        return empty_outreach()
    frame = pd.DataFrame(list(out.values()), columns=list(OUTREACH_COLUMNS))
    return frame.sort_values(["category", "village_id", "name"], kind="stable").reset_index(
        drop=True
    )
