"""The comparison of a what-if scenario as an Excel workbook.

Lives in :mod:`erreichbarkeit.report` (above :mod:`erreichbarkeit.planning`
in the import layers) so that the planning package needs no report module.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from erreichbarkeit.config import load_categories
from erreichbarkeit.planning.scenarios import ScenarioDelta
from erreichbarkeit.report import export
from erreichbarkeit.report.methodik import methodik
from erreichbarkeit.results import Results

__all__ = ["export_comparison"]

_CALCULATION_DE = (
    "Nur die Reisezeiten der neuen oder verlegten Angebote wurden neu berechnet "
    "(gleiche Netze, Anbindungsgrenze und Höchstreisezeit wie die Ausgangslage); "
    "geschlossene Angebote entfallen."
)


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
    of :func:`~erreichbarkeit.planning.scenarios.compare_two`), and *Methodik*
    (the summary, the choice, and with ``base`` the run's Methodik rows).
    Written with :func:`erreichbarkeit.report.export.write_excel` (atomic,
    formula-injection-safe).

    Parameters
    ----------
    path
        Target ``.xlsx``.
    delta
        From :func:`~erreichbarkeit.planning.scenarios.compare`.
    base
        The base run (adds its Methodik rows: sources, settings).
    side_by_side
        A table of :func:`~erreichbarkeit.planning.scenarios.compare_two`.

    Returns
    -------
    Path
        ``path``.
    """
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
        ("Auswahl", delta.choice_de(label)),
        ("Berechnung", _CALCULATION_DE),
    ]
    if base is not None:
        rows.extend(methodik(base))
    return export.write_excel(Path(path), sheets, methodik=rows)
