"""The dashboard section „Zuständigkeit“: responsible, not just nearest.

Shown on the Karte page below the Gemeinde table when the region has a
Zuständigkeit table: the villages ranked by the detour to their responsible
Stelle (Grundschulbezirk, Rathaus, Kreisverwaltung …), filterable by
category, for the mode of the sidebar.  Every cell is German text: numbers
with a decimal comma, „—“ or „jenseits der Berechnungsgrenze“, never
None or nan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.report.responsibility import (
    BEYOND_DE,
    RESPONSIBILITY_METHOD_DE,
    difference_text_de,
    format_minutes_de,
)
from erreichbarkeit.ui.tables import format_int

__all__ = ["HEADER", "responsibility_display", "responsibility_panel"]

HEADER = "Zuständigkeit: Wege zur zuständigen Stelle"
_CAPTION = (
    "Minuten zur zuständigen Stelle laut Zuständigkeitstabelle neben den Minuten zum nächsten "
    "Angebot der Kategorie ({mode}); Orte mit dem größten Umweg zuerst. „{beyond}“: keine Route "
    "innerhalb der Höchstreisezeit der Berechnung."
)
_ALL = "alle Kategorien"


def _text(value: Any) -> str:
    """A cell as text; „—“ for no value."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "—"
    text = str(value).strip()
    return text if text and text.lower() not in ("nan", "none", "<na>") else "—"


def responsibility_display(
    table: pd.DataFrame, *, mode: str, category: str | None, labels: Mapping[str, str]
) -> pd.DataFrame:
    """The ranked village table of one mode (and category; ``None`` = all) as German text."""
    if table.empty:
        return pd.DataFrame()
    part = table[table["mode"] == mode]
    if category is not None:
        part = part[part["category"] == category]
    beyond = part["stelle_beyond_cutoff"].astype(bool)
    rows = {
        "Ort": part["village"].map(_text),
        "Gemeinde": part["gemeinde"].map(_text),
        "Angebot": part["category"].map(lambda c: labels.get(str(c), str(c))),
        "Kinder": part["children"].map(format_int),
        "zuständige Stelle": part["stelle"].map(_text),
        "Minuten zuständig": [
            format_minutes_de(m, beyond=b)
            for m, b in zip(part["stelle_minutes"], beyond, strict=True)
        ],
        "nächstes Angebot": part["nearest"].map(_text),
        "Minuten nächstes": part["nearest_minutes"].map(format_minutes_de),
        "Umweg (Minuten)": [
            difference_text_de(d, beyond=b)
            for d, b in zip(part["difference_min"], beyond, strict=True)
        ],
        "zuständig = nächstes": [
            "—" if b and pd.isna(n) else "ja" if bool(f) else "nein"
            for f, b, n in zip(
                part["zustaendig_ist_naechstes"], beyond, part["nearest_minutes"], strict=True
            )
        ],
        "zuständig laut": part["basis"].map(_text),
    }
    out = pd.DataFrame(rows)
    if category is not None:
        out = out.drop(columns=["Angebot"])
    return out.reset_index(drop=True)


def responsibility_panel(results: Any, mode: str, labels: Mapping[str, str]) -> None:
    """The section „Zuständigkeit“ (nothing without a Zuständigkeit table)."""
    table = getattr(results, "responsibility", None)
    if table is None or table.empty:
        return
    st.subheader(HEADER)
    labels = {k: c.label for k, c in results.settings.categories().items()} | dict(labels)
    modes = list(dict.fromkeys(table["mode"]))
    shown_mode = mode if mode in modes else modes[0]
    cats = list(
        dict.fromkeys(c for c in results.settings.categories() if c in set(table["category"]))
    )
    options = [_ALL, *cats]
    choice = st.selectbox(
        "Kategorie",
        options,
        format_func=lambda c: c if c == _ALL else labels.get(c, c),
        key="zustaendigkeit_kategorie",
    )
    mode_de = MODE_LABELS.get(shown_mode, shown_mode)
    st.caption(_CAPTION.format(mode=mode_de, beyond=BEYOND_DE))
    shown = responsibility_display(
        table, mode=shown_mode, category=None if choice == _ALL else str(choice), labels=labels
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    with st.expander("Wie wird verglichen?"):
        st.write(RESPONSIBILITY_METHOD_DE)
