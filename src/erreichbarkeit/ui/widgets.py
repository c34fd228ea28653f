"""Widgets more than one page draws (Streamlit): the web map and the KPI row."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from erreichbarkeit.ui import texts
from erreichbarkeit.ui.kpis import kpis, median_text
from erreichbarkeit.ui.layers import GridOverlay, build_view_map
from erreichbarkeit.ui.page_setup import Page
from erreichbarkeit.ui.tables import format_int, format_minutes
from erreichbarkeit.ui.views import View

__all__ = ["kpi_metrics", "show_map"]


def kpi_metrics(view: View, category: str, *, median_help: str | None = None) -> dict[str, float]:
    """The four KPI cards of one category in a row; returns their numbers."""
    k = kpis(view, category)
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    minutes = format_minutes(view.thresholds[category])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(texts.KPI_WITHIN.format(age=age, minutes=minutes), format_int(k["children_within"]))
    c2.metric(texts.KPI_BEYOND.format(age=age), format_int(k["children_beyond"]))
    c3.metric(texts.KPI_UNDERSERVED, format_int(k["underserved"]))
    c4.metric(texts.KPI_MEDIAN.format(age=age), median_text(k), help=median_help)
    return k


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

    Only ``last_object_clicked`` is sent back (and nothing on the meeting
    page), so panning and zooming never rerun the script.
    """
    selected = st.session_state.get("village") if clickable else None
    started = time.perf_counter()
    fmap = build_view_map(
        page.data,
        page.view,
        category,
        basemap=page.choice["basemap"],
        layers=page.layers,
        selected_id=selected,
        bounds=bounds,
        legend_font_px=legend_font_px,
        overlay=overlay,
    )
    out = st_folium(
        fmap,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked"] if clickable else [],
        key=key,
    )
    st.session_state["last_map_seconds"] = time.perf_counter() - started
    return out
