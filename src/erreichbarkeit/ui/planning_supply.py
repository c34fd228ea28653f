"""The Versorgung page (German UI): supply versus demand (2SFCA) per village and Gemeinde.

The figures are the run's supply tables (``results.supply``,
``results.supply_gemeinden``) for the category's whole target group, or the
2SFCA of the sidebar's age group
(:func:`erreichbarkeit.ui.planning_ages.group_supply_view`), shaped by
:func:`erreichbarkeit.ui.planning_logic.supply_view`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.ui import planning_ages, planning_logic, texts
from erreichbarkeit.ui.page_setup import Page, setup_page
from erreichbarkeit.ui.presentation import show_gemeinde_map
from erreichbarkeit.ui.sidebar import map_category
from erreichbarkeit.ui.tables import format_int, format_minutes, format_short, german

__all__ = ["supply_page"]


def _gemeinde_map_section(page: Page, category: str, groups: tuple[str, ...] = ()) -> None:
    """The per-Gemeinde map of the category: share of children beyond the threshold."""
    st.subheader("Karte je Gemeinde")
    st.caption(
        "Anteil der Kinder je Gemeinde über dem Schwellenwert der Seitenleiste (oder ohne "
        "erreichbares Angebot) bzw. ganz ohne erreichbares Angebot – Erreichbarkeit, nicht "
        "Plätze je Kind; die Legende nennt Kategorie, Verkehrsmittel, Alter und Schwellenwert."
    )
    show_gemeinde_map(page, category, key="versorgung_gemeinden", height=520)
    planning_ages.map_age_caption(page, groups)


def supply_page(root: Path | None = None) -> None:
    """Supply versus demand (2SFCA) per village and Gemeinde for the chosen category and mode.

    The children counted are the sidebar's age group unless the page's radio
    asks for the category's whole target group (:mod:`erreichbarkeit.ui.planning_ages`).
    """
    page = setup_page(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_SUPPLY)
        return
    labels = page.choice["labels"]
    mode = page.view.mode
    cat = map_category(page.view, labels, where=st.sidebar, label=texts.SUPPLY_CATEGORY)
    label = labels.get(cat, cat)
    mode_label = MODE_LABELS.get(mode, mode)
    head = st.container()  # the title names the age group chosen below it
    ages = planning_ages.age_radio(page, cat, key="sup_ages")
    if not ages.groups:
        head.title(texts.SUPPLY_TITLE.format(label=label, mode=mode_label))
        st.info(ages.note)
        _gemeinde_map_section(page, cat)
        return
    sv = planning_ages.group_supply_view(page, cat, mode, ages)
    head.title(planning_ages.SUPPLY_TITLE.format(who=ages.who, label=label, mode=mode_label))
    _captions(page, cat, sv, ages)
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
    c1.metric(ages.who, format_int(sv.total_demand))
    c2.metric(_aged(texts.SUPPLY_KPI_RATIO.format(per=per), ages), format_minutes(ratio))
    no_access = float(raw.loc[none, "demand"].sum())
    c3.metric(_aged(texts.SUPPLY_KPI_NO_ACCESS, ages), format_int(no_access))
    c4.metric(texts.SUPPLY_KPI_VILLAGES, format_int(float(none.sum())))
    _gemeinde_map_section(page, cat, ages.groups)
    st.subheader(texts.SUPPLY_GEMEINDEN)
    shown = german(planning_ages.with_age_headers(sv.gemeinden, ages.groups))
    st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader(texts.SUPPLY_VILLAGES)
    shown = german(planning_ages.with_age_headers(sv.villages, ages.groups))
    st.dataframe(shown, hide_index=True, width="stretch")


def _aged(text: str, ages: planning_ages.AgeChoice) -> str:
    """``text`` with "Kinder" naming the age groups."""
    return text.replace("Kinder", ages.who, 1)


def _captions(
    page: Page, cat: str, sv: planning_logic.SupplyView, ages: planning_ages.AgeChoice
) -> None:
    """What the figures cover: age groups, catchment, threshold, the method."""
    mode = page.view.mode
    st.markdown(planning_ages.AGE_COVERS.format(who=ages.who))
    st.caption(
        texts.SUPPLY_CATCHMENT.format(
            minutes=format_short(sv.threshold),
            mode=MODE_LABELS.get(mode, mode),
            ages=planning_ages.span(ages.groups),
        )
    )
    if ages.groups != ages.pool:
        st.caption(
            planning_ages.AGE_SHARED.format(
                pool=planning_ages.span(ages.pool),
                who=ages.who,
            )
        )
    sidebar_thr = float(page.view.thresholds.get(cat, sv.threshold))
    if sidebar_thr != sv.threshold:
        st.info(
            texts.SUPPLY_THRESHOLD_DIFFERS.format(
                sidebar=format_short(sidebar_thr), minutes=format_short(sv.threshold)
            )
        )
    with st.expander(texts.SUPPLY_HOW):
        st.markdown(texts.SUPPLY_EXPLAIN)
        st.markdown(planning_ages.AGE_EXPLAIN)
