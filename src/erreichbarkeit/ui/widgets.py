"""Widgets more than one page draws (Streamlit): the web map and the KPI row."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from erreichbarkeit.ui import texts
from erreichbarkeit.ui.kpis import kpis, median_text, no_pt_count
from erreichbarkeit.ui.layers import GridOverlay, build_view_map, transit_layers
from erreichbarkeit.ui.page_setup import Page, region_key
from erreichbarkeit.ui.state import memo_put
from erreichbarkeit.ui.tables import format_int, format_minutes
from erreichbarkeit.ui.views import View
from erreichbarkeit.webmap.selection import selection_group

__all__ = ["kpi_metrics", "show_map", "transit_for"]


def kpi_metrics(
    view: View, category: str, *, median_help: str | None = None, pt_caption: str = ""
) -> dict[str, float]:
    """The KPI cards of one category in a row; returns their numbers.

    Four cards; in Bus & Bahn mode a fifth, „Orte ohne ÖPNV-Angebot“, and
    ``pt_caption`` (departure window and reference day) below the row.
    """
    k = kpis(view, category)
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    minutes = format_minutes(view.thresholds[category])
    pt = view.mode == "pt"
    cols = st.columns(5 if pt else 4)
    cols[0].metric(
        texts.KPI_WITHIN.format(age=age, minutes=minutes), format_int(k["children_within"])
    )
    cols[1].metric(texts.KPI_BEYOND.format(age=age), format_int(k["children_beyond"]))
    cols[2].metric(texts.KPI_UNDERSERVED, format_int(k["underserved"]))
    cols[3].metric(texts.KPI_MEDIAN.format(age=age), median_text(k), help=median_help)
    if pt:
        k["no_pt"] = no_pt_count(view, category)
        cols[4].metric(texts.KPI_NO_PT, format_int(k["no_pt"]), help=texts.KPI_HELP_NO_PT)
        if pt_caption:
            st.caption(pt_caption)
    return k


def transit_for(page: Page, category: str) -> Any:
    """The Bus & Bahn stops and lines of a category, memoised per session (``None``: not pt)."""
    if page.view.mode != "pt":
        return None
    memo: dict[Any, Any] = st.session_state.setdefault("_transit_layers", {})
    key = (region_key(page), category)
    if key not in memo:
        memo_put(memo, key, transit_layers(page.results, category), size=4)
    return memo[key]


def show_map(
    page: Page,
    category: str,
    *,
    key: str,
    height: int,
    clickable: bool,
    legend_font_px: int = 12,
    bounds: tuple[float, float, float, float] | None = None,
    overlay: GridOverlay | None = None,
) -> Any:
    """Build and show the folium map; returns streamlit-folium's value.

    Only the clicks (``last_object_clicked``, ``last_clicked``) are sent back
    (and nothing on the meeting page), so panning and zooming never rerun the
    script; :mod:`erreichbarkeit.ui.map_click` says what a click means.  On a
    clickable map the chosen village's ring is streamlit-folium's
    ``feature_group_to_add``: the map's script does not depend on the
    village, so choosing another one moves the ring instead of reloading
    the map.
    """
    selected = st.session_state.get("village") if clickable else None
    started = time.perf_counter()
    fmap = build_view_map(
        page.data,
        page.view,
        category,
        basemap=page.choice["basemap"],
        layers=page.layers,
        bounds=bounds,
        legend_font_px=legend_font_px,
        overlay=overlay,
        transit=transit_for(page, category),
        color_by=page.choice.get("color_by", "minutes"),
    )
    out = st_folium(
        fmap,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked", "last_clicked"] if clickable else [],
        key=key,
        feature_group_to_add=selection_group(page.view.villages, selected) if clickable else None,
    )
    st.session_state["last_map_seconds"] = time.perf_counter() - started
    return out
