"""The dashboard section „Bedarf und Erreichbarkeit“: need, not only distance.

Shown on the Karte page when the region has a table of social indicators
(:mod:`erreichbarkeit.io.need`): the villages ranked by children beyond the
threshold × need weight (:func:`erreichbarkeit.analysis.need.need_ranking`)
for the sidebar's mode and age group, the category and indicator chosen
here, with the weighting sentence right above the table.  Every cell is
German text (decimal comma, „—“), never None or nan.  Without a table the
section is not shown: nothing pretends to know need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit.analysis.need import need_ranking, weighting_text_de
from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.ui.tables import format_decimal, format_int, format_short

__all__ = ["HEADER", "need_display", "need_panel"]

HEADER = "Bedarf und Erreichbarkeit"
_CAPTION = (
    "Orte nach Priorität: Kinder ({age}) jenseits des Schwellenwerts von {limit} min "
    "({mode}) × Bedarfsgewicht."
)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "—"
    text = str(value).strip()
    return text if text and text.lower() not in ("nan", "none", "<na>") else "—"


def need_display(ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranking (:func:`~erreichbarkeit.analysis.need.need_ranking`) as German text."""
    if ranking.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "Rang": ranking["rank"].map(format_int),
            "Ort": ranking["village"].map(_text),
            "Gemeinde": ranking["gemeinde"].map(_text),
            "Kinder": ranking["children"].map(format_int),
            "Kinder jenseits": ranking["children_beyond"].map(format_int),
            "Wert (%)": ranking["need_value"].map(format_decimal),
            "Bedarfsgewicht": ranking["need_weight"].map(lambda x: format_decimal(x, 2)),
            "Priorität": ranking["priority"].map(format_decimal),
        }
    ).reset_index(drop=True)


def need_panel(results: Any, view: Any, labels: Mapping[str, str]) -> None:
    """The section „Bedarf und Erreichbarkeit“ (nothing without a table of social indicators)."""
    need = getattr(results, "need", None)
    if need is None or not need.indicators or not view.categories:
        return
    st.subheader(HEADER)
    left, right = st.columns(2)
    with left:
        cat = st.selectbox(
            "Kategorie", list(view.categories), format_func=lambda c: labels.get(c, c),
            key="bedarf_kategorie",
        )  # fmt: skip
    with right:
        indicator = st.selectbox("Sozialindikator", list(need.indicators), key="bedarf_indikator")
    cat = str(cat)
    villages = view.villages if f"{cat}_{view.mode}_min" in view.villages else results.villages
    given = view.thresholds.get(cat)
    limit = float(results.settings.threshold(cat, view.mode) if given is None else given)
    ranking, mean = need_ranking(
        villages, need.village_values(str(indicator)), category=cat, mode=view.mode,
        threshold=limit, age_groups=(view.age_group,),
    )  # fmt: skip
    st.caption(
        _CAPTION.format(
            age=view.age_group.replace("-", "–") + " Jahre",
            limit=format_short(limit),  # 7,5 min stays 7,5, not 8
            mode=MODE_LABELS.get(view.mode, view.mode),
        )
    )
    st.info(weighting_text_de(str(indicator), mean, need.source))
    st.dataframe(need_display(ranking), hide_index=True, width="stretch")
