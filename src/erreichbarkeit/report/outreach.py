"""The workbook sheet of the outreach offers („aufsuchende Angebote“): who visits which village."""

from __future__ import annotations

import pandas as pd

from erreichbarkeit.results import Results

__all__ = ["OUTREACH_SHEET", "outreach_sheet"]

#: Name of the sheet in the workbook.
OUTREACH_SHEET = "Aufsuchende Angebote"


def outreach_sheet(results: Results) -> pd.DataFrame:
    """One row per village × category × outreach offer, German headers, sorted for reading.

    Parameters
    ----------
    results
        A run whose :attr:`Inputs.outreach` holds the resolved table
        (:func:`erreichbarkeit.io.outreach.read_outreach`).

    Returns
    -------
    pandas.DataFrame
        Columns Gemeinde, Ort, Kategorie, Angebot, Altersgruppen, Träger,
        Grundlage („Gemeinde“ or „Ort“), Datei, Zeile, Bemerkung.
    """
    served = results.inputs.outreach
    villages = results.inputs.villages.assign(id=results.inputs.villages["id"].astype(str))
    by_id = villages.drop_duplicates("id").set_index("id")
    ids = served["village_id"].astype(str)
    labels = {k: c.label for k, c in results.settings.categories().items()}
    gemeinde = by_id["gemeinde"] if "gemeinde" in by_id.columns else pd.Series(dtype=object)
    out = pd.DataFrame(
        {
            "Gemeinde": ids.map(gemeinde).fillna("").to_numpy(),
            "Ort": ids.map(by_id["name"]).fillna(ids).to_numpy(),
            "Kategorie": served["category"].map(lambda c: labels.get(str(c), str(c))).to_numpy(),
            "Angebot": served["name"].to_numpy(),
            "Altersgruppen": served["serves"].astype(str).str.replace(";", ", ").to_numpy(),
            "Träger": served["traeger"].fillna("").to_numpy(),
            "Grundlage": served["basis"].to_numpy(),
            "Datei": served["source"].to_numpy(),
            "Zeile": served["row"].to_numpy(),
            "Bemerkung": served["note"].fillna("").to_numpy(),
        }
    )
    return out.sort_values(["Kategorie", "Gemeinde", "Ort", "Angebot"], kind="stable").reset_index(
        drop=True
    )
