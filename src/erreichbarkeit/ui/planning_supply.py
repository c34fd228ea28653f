"""The Versorgung page (German UI): supply versus demand (2SFCA) per village and Gemeinde.

The figures are the run's supply tables (``results.supply``,
``results.supply_gemeinden``), shaped by
:func:`erreichbarkeit.ui.planning_logic.supply_view`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.results import Results
from erreichbarkeit.ui import planning_logic, texts
from erreichbarkeit.ui.page_setup import Page, setup_page
from erreichbarkeit.ui.presentation import show_gemeinde_map
from erreichbarkeit.ui.sidebar import map_category
from erreichbarkeit.ui.tables import format_int, format_minutes, german

__all__ = ["supply_page"]


def _ages(results: Results, category: str) -> str:
    """The category's age groups, German (``"0–3, 3–6"``)."""
    groups = results.settings.categories()[category].age_groups
    return ", ".join(g.replace("-", "–") for g in groups)


def _gemeinde_map_section(page: Page, category: str) -> None:
    """The per-Gemeinde map of the category: share of children beyond the threshold."""
    st.subheader("Karte je Gemeinde")
    st.caption(
        "Anteil der Kinder je Gemeinde über dem Schwellenwert der Seitenleiste (oder ohne "
        "erreichbares Angebot) bzw. ganz ohne erreichbares Angebot – Erreichbarkeit, nicht "
        "Plätze je Kind; die Legende nennt Kategorie, Verkehrsmittel, Alter und Schwellenwert."
    )
    show_gemeinde_map(page, category, key="versorgung_gemeinden", height=520)


def supply_page(root: Path | None = None) -> None:
    """Supply versus demand (2SFCA) per village and Gemeinde for the chosen category and mode."""
    page = setup_page(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_SUPPLY)
        return
    labels = page.choice["labels"]
    mode = page.view.mode
    cat = map_category(page.view, labels, where=st.sidebar, label=texts.SUPPLY_CATEGORY)
    label = labels.get(cat, cat)
    sv = planning_logic.supply_view(page.results, cat, mode)
    st.title(texts.SUPPLY_TITLE.format(label=label, mode=MODE_LABELS.get(mode, mode)))
    ages = _ages(page.results, cat)
    st.caption(
        texts.SUPPLY_CATCHMENT.format(
            minutes=f"{sv.threshold:g}", mode=MODE_LABELS.get(mode, mode), ages=ages
        )
    )
    sidebar_thr = float(page.view.thresholds.get(cat, sv.threshold))
    if sidebar_thr != sv.threshold:
        st.info(
            texts.SUPPLY_THRESHOLD_DIFFERS.format(
                sidebar=f"{sidebar_thr:g}", minutes=f"{sv.threshold:g}"
            )
        )
    with st.expander(texts.SUPPLY_HOW):
        st.markdown(texts.SUPPLY_EXPLAIN)
    if sv.villages.empty:
        st.info(texts.SUPPLY_NONE)
        _gemeinde_map_section(page, cat)
        return
    if sv.basis == "Angebote":
        st.warning(texts.SUPPLY_MISSING_CAPACITY.format(note=sv.note))
    per = texts.SUPPLY_PER_OFFERS if sv.basis == "Angebote" else texts.SUPPLY_PER_PLACES
    raw = sv.raw_villages
    none = raw["access"].fillna(0.0) <= 0
    ratio = sv.total_supply / sv.total_demand * 1000 if sv.total_demand > 0 else float("nan")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(texts.SUPPLY_KPI_DEMAND.format(ages=ages), format_int(sv.total_demand))
    c2.metric(texts.SUPPLY_KPI_RATIO.format(per=per), format_minutes(ratio))
    c3.metric(texts.SUPPLY_KPI_NO_ACCESS, format_int(float(raw.loc[none, "demand"].sum())))
    c4.metric(texts.SUPPLY_KPI_VILLAGES, format_int(float(none.sum())))
    _gemeinde_map_section(page, cat)
    st.subheader(texts.SUPPLY_GEMEINDEN)
    st.dataframe(german(sv.gemeinden), hide_index=True, width="stretch")
    st.subheader(texts.SUPPLY_VILLAGES)
    st.dataframe(german(sv.villages), hide_index=True, width="stretch")
