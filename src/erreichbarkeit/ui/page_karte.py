"""The Karte page (Streamlit): KPIs, map, village details, tables, upload, export."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit import webmap
from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.downloads import bands_gpkg_bytes, export_files
from erreichbarkeit.ui.grid_panel import grid_kpis, grid_overlay
from erreichbarkeit.ui.kpis import pt_caption
from erreichbarkeit.ui.layers import GridOverlay, build_view_map
from erreichbarkeit.ui.need_panel import need_panel
from erreichbarkeit.ui.page_setup import Page, setup_page
from erreichbarkeit.ui.responsibility_panel import responsibility_panel
from erreichbarkeit.ui.sidebar import area_caption, map_category
from erreichbarkeit.ui.state import session_dir
from erreichbarkeit.ui.tables import (
    format_minutes,
    gemeinde_display,
    german,
    nearest_for_village,
    village_display,
)
from erreichbarkeit.ui.views import View, ViewData
from erreichbarkeit.ui.widgets import kpi_metrics, show_map

__all__ = ["dashboard_page"]

_GPKG_MIME = "application/geopackage+sqlite3"
_XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kpi_cards(page: Page, labels: dict[str, str]) -> None:
    """The KPI cards per chosen category (their numbers kept in ``session_state["kpis"]``).

    In Bus & Bahn mode with „Orte ohne ÖPNV-Angebot“ and the departure
    window and reference day of each category.
    """
    view = page.view
    store: dict[str, dict[str, float]] = {}
    for cat in view.categories:
        minutes = view.thresholds[cat]
        st.markdown(f"**{labels.get(cat, cat)}** – Schwellenwert {format_minutes(minutes)} min")
        caption = pt_caption(page.results, cat) if view.mode == "pt" else ""
        store[cat] = kpi_metrics(view, cat, median_help=texts.KPI_HELP_MEDIAN, pt_caption=caption)
    if view.mode == "pt":
        st.caption(texts.PT_MEDIAN_HINT)
    st.session_state["kpis"] = store


def _apply_click(clicked: Any, view: View) -> None:
    """Select the village the user clicked on the map (once per click)."""
    if not isinstance(clicked, dict) or "lat" not in clicked:
        return
    ident = (round(float(clicked["lat"]), 7), round(float(clicked["lng"]), 7))
    if st.session_state.get("_last_click") == ident:
        return
    st.session_state["_last_click"] = ident
    geom = view.villages.geometry
    dist = (geom.y - ident[0]) ** 2 + (geom.x - ident[1]) ** 2
    if len(dist) and float(dist.min()) < 1e-10:
        st.session_state["village"] = str(view.villages.loc[dist.idxmin(), "id"])


def _village_details(data: ViewData, view: View, table: pd.DataFrame) -> None:
    """The village picker and the nearest offers of the chosen village."""
    ids = list(table.index)
    names = dict(zip(table.index, table[texts.COL_NAME], strict=True))
    if st.session_state.get("village") not in ids:
        st.session_state["village"] = ids[0] if ids else None
    vid = st.selectbox(
        texts.VILLAGE_SELECT, ids, format_func=lambda i: str(names.get(i, i)), key="village"
    )
    if vid is None:
        return
    st.markdown(f"**{texts.VILLAGE_DETAILS.format(name=names.get(vid, vid))}**")
    near = nearest_for_village(data, vid, mode=view.mode, categories=view.categories)
    st.dataframe(german(near), hide_index=True, width="stretch")
    reason = str(table.loc[vid, texts.COL_REASON] or "")
    if reason:
        st.info(texts.VILLAGE_REASON.format(reason=reason))


def _bands_download(category: str, mode: str, bands: Any) -> None:
    """The GeoPackage download of the bands shown (built when clicked)."""
    if bands is None or not len(bands):
        return
    st.download_button(
        texts.EXPORT_BANDS,
        functools.partial(bands_gpkg_bytes, bands, workdir=session_dir() / "bands"),
        f"reisezeitbaender-{category}-{mode}.gpkg",
        _GPKG_MIME,
        key="dl_bands",
        on_click="ignore",
    )


def _build_exports(page: Page, category: str, overlay: GridOverlay | None) -> dict[str, bytes]:
    """Write the result files of the view and the map as HTML."""
    with st.spinner("Dateien werden geschrieben …"):
        fmap = build_view_map(
            page.data,
            page.view,
            category,
            basemap=page.choice["basemap"],
            layers=page.layers,
            overlay=overlay,
            color_by=page.choice.get("color_by", "minutes"),
        )
        return export_files(
            page.data, page.view, workdir=session_dir(), map_html=webmap.map_html(fmap)
        )


def _export_buttons(files: dict[str, bytes]) -> None:
    """The four download buttons of the written result files."""
    stem = "erreichbarkeit"
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(texts.EXPORT_XLSX, files["xlsx"], f"{stem}.xlsx", _XLSX_MIME, key="dl_xlsx")
    c2.download_button(texts.EXPORT_CSV, files["orte_csv"], "orte.csv", "text/csv", key="dl_csv")
    c3.download_button(texts.EXPORT_GPKG, files["gpkg"], f"{stem}.gpkg", _GPKG_MIME, key="dl_gpkg")
    c4.download_button(texts.EXPORT_HTML, files["html"], "karte.html", "text/html", key="dl_html")


def _export_section(
    page: Page, category: str, overlay: GridOverlay | None = None, bands: Any = None
) -> None:
    """The export expander: bands download, then result files written on request."""
    view = page.view
    with st.expander(texts.EXPORT_HEADER):
        st.caption(texts.EXPORT_HINT)
        _bands_download(category, view.mode, bands)
        key = (*view.key, category, len(page.data.offers))
        if st.button(texts.EXPORT_BUILD, key="export_build"):
            try:
                st.session_state["exports"] = (key, _build_exports(page, category, overlay))
            except ErreichbarkeitError as exc:
                st.error(exc.german)
        stored = st.session_state.get("exports")
        if stored and stored[0] == key:
            _export_buttons(stored[1])


def dashboard_page(root: Path | None = None) -> None:
    """The main page: sidebar filters, KPIs, map, tables, upload, export."""
    st.title(texts.APP_TITLE)
    page = setup_page(root, upload_widget=True)
    if page is None:
        return
    if caption := area_caption(page.results.settings):  # analysis area ≠ data area
        st.caption(caption)
    view, labels = page.view, page.choice["labels"]
    _kpi_cards(page, labels)
    table = village_display(view, labels)
    left, right = st.columns([3, 2])
    with left:
        map_cat = map_category(view, labels)
        label = labels.get(map_cat, map_cat)
        mode = MODE_LABELS.get(view.mode, view.mode)
        st.subheader(texts.MAP_HEADER.format(label=label, mode=mode))
        overlay, bands = grid_overlay(page, map_cat)
        out = show_map(page, map_cat, key="karte", height=560, clickable=True, overlay=overlay)
        st.caption(texts.MAP_CLICK_HINT)
    _apply_click((out or {}).get("last_object_clicked"), view)
    with right:
        _village_details(page.data, view, table)
    grid_kpis(page, map_cat)
    st.subheader(texts.VILLAGES_HEADER)
    st.dataframe(german(table), hide_index=True, width="stretch")
    st.subheader(texts.GEMEINDEN_HEADER)
    st.dataframe(german(gemeinde_display(view, labels)), hide_index=True, width="stretch")
    responsibility_panel(page.results, view.mode, labels)
    need_panel(page.results, view, labels)  # Bedarf und Erreichbarkeit (ui/need_panel.py)
    _export_section(page, map_cat, overlay, bands)
