"""The *Methodik* rows and the *Hinweise* table of a run (German, for every export)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from erreichbarkeit._version import __version__
from erreichbarkeit.network.routing import PROFILE_SUMMARY
from erreichbarkeit.report import export
from erreichbarkeit.results import Results

__all__ = ["SUPPLY_METHOD_DE", "hinweise_table", "methodik"]


def hinweise_table(results: Results) -> pd.DataFrame:
    """Row problems of the inputs as a German table (sheet *Hinweise*)."""
    rows = [
        {
            "Datei": p.file,
            "Zeile": p.row or None,
            "Spalte": p.column or "",
            "Art": "Fehler (Zeile nicht verwendet)" if p.severity == "error" else "Hinweis",
            "Meldung": p.message_de,
        }
        for p in results.inputs.problems
    ]
    return pd.DataFrame(rows, columns=["Datei", "Zeile", "Spalte", "Art", "Meldung"])


#: The 2SFCA method in German for the Methodik sheet.
SUPPLY_METHOD_DE = (
    "Zwei-Schritt-Verfahren (2SFCA, Luo & Wang 2003) je Kategorie und Verkehrsmittel: "
    "1) je Angebot j das Verhältnis R_j = Kapazität S_j / Σ Kinder D_i der Orte i, die j "
    "innerhalb des Schwellenwerts erreichen; 2) je Ort i die Versorgung A_i = Σ R_j über die "
    "Angebote, die i innerhalb des Schwellenwerts erreicht, angegeben als Plätze je 1 000 "
    "Kinder der Altersgruppen der Kategorie. Reiserichtung: vom Ort zum Angebot (Minuten der "
    "Reisezeitentabelle), beide Schritte mit demselben Schwellenwert, ohne Distanzgewichtung "
    "(W = 1). Fehlen Kapazitäten, zählt jedes Angebot als 1 (Angebote je 1 000 Kinder)."
)


def methodik(results: Results) -> list[tuple[str, str]]:
    """The Methodik rows (German) for the workbook."""
    s = results.settings
    speeds = {m: PROFILE_SUMMARY[m] for m in s.modes}
    extra: list[tuple[str, str]] = []
    for mode in s.modes:
        if s.routing.speeds.get(mode) or s.routing.maxspeed.get(mode):
            over = dict(s.routing.speeds.get(mode, {})) | dict(s.routing.maxspeed.get(mode, {}))
            extra.append(
                (
                    f"Geschwindigkeiten angepasst ({mode})",
                    ", ".join(f"{k} = {v:g} km/h" for k, v in over.items()),
                )
            )
    n_far = int((~results.villages["snap_ok"]).sum()) if "snap_ok" in results.villages else 0
    extra.append(
        (
            "Orte ohne Ergebnis",
            f"{n_far} Orte liegen für mindestens ein Verkehrsmittel weiter als "
            f"{s.routing.max_snap_m:g} m vom Straßennetz und wurden für dieses nicht berechnet "
            "(die Spalte 'reason' nennt das Verkehrsmittel).",
        )
    )
    if len(results.supply):
        extra.append(("Versorgung (2SFCA)", SUPPLY_METHOD_DE))
        notes = sorted({str(n) for n in results.supply.get("supply_note", []) if str(n)})
        extra.extend(("Versorgung: Kapazitäten", n) for n in notes)
    if results.grid is not None:
        extra.extend((str(k), str(v)) for k, v in results.grid.meta.items())
    extra.append(("Rechenzeiten", ", ".join(f"{k}: {v:.1f} s" for k, v in results.timings.items())))
    return export.methodik_rows(
        s,
        sources=results.inputs.sources,
        speeds=speeds,
        estimates=results.inputs.estimates,
        version=__version__,
        created=datetime.now(),
        extra=extra,
    )

