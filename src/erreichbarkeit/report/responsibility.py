"""The Zuständigkeit comparison for people: the export sheet, the Methodik text, the labels.

:func:`responsibility_sheet` turns :attr:`Results.responsibility
<erreichbarkeit.results.Results.responsibility>` into the sheet
„Zuständigkeit“ (German headers through :mod:`erreichbarkeit.report.headers`,
a „Hinweis“ column saying „jenseits der Berechnungsgrenze“ where the
responsible Stelle is not reached — never a 0).  :func:`format_minutes_de`
and :func:`difference_text_de` are shared by the Steckbrief and the dashboard.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = [
    "BEYOND_DE",
    "RESPONSIBILITY_METHOD_DE",
    "RESPONSIBILITY_SHEET",
    "difference_text_de",
    "format_minutes_de",
    "responsibility_sheet",
]

#: Sheet name in the workbook.
RESPONSIBILITY_SHEET = "Zuständigkeit"
#: What an unreachable responsible Stelle is called everywhere.
BEYOND_DE = "jenseits der Berechnungsgrenze"

#: The comparison in German for the Methodik sheet.
RESPONSIBILITY_METHOD_DE = (
    "Zuständig statt nur nächstgelegen: Eine Zuständigkeitstabelle der Planung nennt je Gemeinde "
    "oder Ort die zuständige Stelle einer Kategorie (z. B. die Grundschule des Schulbezirks, das "
    "Rathaus der Gemeinde, das Kreishaus). Je Ort, Kategorie und Verkehrsmittel stehen die "
    "Minuten zur zuständigen Stelle neben den Minuten zum nächsten Angebot der Kategorie; der "
    "Umweg ist die Differenz (zuständig − nächstes). Orte sind nach dem Umweg absteigend "
    "geordnet; ist die zuständige Stelle innerhalb der Höchstreisezeit der Berechnung nicht "
    f"erreichbar, steht dort „{BEYOND_DE}“ (kein Wert, nie 0), und der Ort steht vorn. Eine "
    "Ortszeile der Tabelle gilt vor der Zeile ihrer Gemeinde. Für Bus & Bahn werden die Wege "
    "zu zuständigen Stellen, die nicht unter den nächsten Angeboten der Kategorie liegen, "
    "zusätzlich berechnet."
)

_SHEET_COLUMNS = {
    "village_id": "village_id",
    "village": "village",
    "ags": "ags",
    "gemeinde": "gemeinde",
    "category": "category",
    "mode": "mode",
    "children": "children_category",
    "stelle": "stelle",
    "stelle_id": "stelle_id",
    "stelle_minutes": "stelle_minutes",
    "status": "responsibility_status",
    "nearest": "nearest",
    "nearest_id": "nearest_id",
    "nearest_minutes": "nearest_minutes",
    "difference_min": "difference_min",
    "zustaendig_ist_naechstes": "zustaendig_ist_naechstes",
    "basis": "responsibility_basis",
    "note": "responsibility_note",
}


def format_minutes_de(value: object, *, beyond: bool = False) -> str:
    """Minutes with a decimal comma (``12,5``); „—“ or :data:`BEYOND_DE` when missing."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if math.isnan(x):
        return BEYOND_DE if beyond else "—"
    return f"{x:.1f}".replace(".", ",")


def difference_text_de(difference: object, *, beyond: bool) -> str:
    """The detour in words: ``+6,5``, ``0,0``, :data:`BEYOND_DE` or „—“."""
    if beyond:
        return BEYOND_DE
    text = format_minutes_de(difference)
    try:
        positive = float(difference) > 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        positive = False
    return f"+{text}" if positive else text


def responsibility_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The sheet „Zuständigkeit“: the ranked table with a „Hinweis“ column.

    Machine column names (German headers come from
    :class:`~erreichbarkeit.report.headers.ColumnHeaders`); empty input → empty sheet.
    """
    if table.empty:
        return pd.DataFrame(columns=list(_SHEET_COLUMNS.values()))
    out = table.copy()
    beyond = out["stelle_beyond_cutoff"].astype(bool)
    out["status"] = beyond.map({True: BEYOND_DE, False: ""})
    out = out.loc[:, [c for c in _SHEET_COLUMNS if c in out.columns]]
    return out.rename(columns=_SHEET_COLUMNS).reset_index(drop=True)
