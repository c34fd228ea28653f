"""Whole-table checks shared by the table readers: unused columns, no usable row.

* :func:`unused_columns` reports every column of a planner's table that no
  reader role took, suggesting the closest known name (``Breitengard`` →
  „Breitengrad“), so a misspelled column is never dropped silently.
* :func:`no_usable_rows` is the error when not one row could be used: it
  names the file and the first rows with their reasons, then a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io._cells import closest_name
from erreichbarkeit.io.tables import RowProblem

__all__ = ["MAX_LISTED_ROWS", "display_name", "no_usable_rows", "unused_columns"]

#: Rows named with their reasons in the "no usable row" error; the rest are counted.
MAX_LISTED_ROWS = 10

#: Readable spellings of normalised header keys that hold umlauts or ß.
_READABLE = {
    "laenge": "Länge",
    "laengengrad": "Längengrad",
    "kapazitaet": "Kapazität",
    "plaetze": "Plätze",
    "anzahlplaetze": "Anzahl Plätze",
    "traeger": "Träger",
    "traegerschaft": "Trägerschaft",
    "oeffnungszeiten": "Öffnungszeiten",
    "strasse": "Straße",
    "strassehausnummer": "Straße Hausnummer",
    "strasseundhausnummer": "Straße und Hausnummer",
    "vollstaendigeadresse": "Vollständige Adresse",
    "bevoelkerung": "Bevölkerung",
    "gemeindeschluessel": "Gemeindeschlüssel",
    "regionalschluessel": "Regionalschlüssel",
    "amtlichergemeindeschluessel": "Amtlicher Gemeindeschlüssel",
}


def display_name(alias: str) -> str:
    """A readable column name for a normalised alias (``"laengengrad"`` → ``"Längengrad"``)."""
    if alias in _READABLE:
        return _READABLE[alias]
    if len(alias) <= 4:
        return alias
    return alias[:1].upper() + alias[1:]


def unused_columns(
    path: Path, columns: Iterable[object], used: Iterable[str], known: Mapping[str, str]
) -> list[RowProblem]:
    """A warning (row 1) for every column no reader role uses.

    Parameters
    ----------
    path
        The file (named in the problems).
    columns
        The table's columns.
    used
        The columns the reader uses.
    known
        Normalised key → readable name of the columns the reader would still
        use (the suggestions for misspellings).
    """
    taken = set(used)
    out: list[RowProblem] = []
    for col in map(str, columns):
        if col in taken:
            continue
        if col.startswith("Spalte_") and col[7:].isdigit():
            en = f"values in column {col[7:]} without a header are not used"
            de = f"Werte in der Spalte ohne Überschrift (Nr. {col[7:]}) werden nicht verwendet"
        else:
            suggestion = closest_name(col, known)
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            hint_de = f" – meinten Sie „{suggestion}“?" if suggestion else ""
            en = f"column {col!r} is not used{hint}"
            de = f"Spalte „{col}“ wird nicht verwendet{hint_de}"
        out.append(RowProblem(path.name, 1, col, en, de, "warning"))
    return out


def no_usable_rows(
    path: Path, problems: Sequence[RowProblem], *, what: str, what_de: str
) -> InputDataError:
    """The error for a table none of whose rows could be used.

    Names the first :data:`MAX_LISTED_ROWS` rows with their reasons (the
    first error of each row), then how many more rows failed.
    """
    first: dict[int, RowProblem] = {}
    for p in sorted(problems, key=lambda p: p.row):
        if p.severity == "error":
            first.setdefault(p.row, p)
    listed = list(first.values())[:MAX_LISTED_ROWS]
    rest = len(first) - len(listed)

    def where(p: RowProblem, word: str, col_word: str) -> str:
        col = f", {col_word} „{p.column}“" if p.column else ""
        return f"{word} {p.row}{col}"

    en = "; ".join(f"{where(p, 'row', 'column')}: {p.message}" for p in listed)
    de = "; ".join(f"{where(p, 'Zeile', 'Spalte')}: {p.message_de}" for p in listed)
    if rest:
        en += f"; and {rest} more rows"
        de += f"; und {rest} weitere Zeilen"
    if not listed:
        en = de = "—"
    msg = f"no row could be used as {what}: {en}"
    return InputDataError(
        msg,
        file=path,
        expected="at least one valid row",
        message_de=f"Keine Zeile ist als {what_de} verwendbar: {de}",
    )
