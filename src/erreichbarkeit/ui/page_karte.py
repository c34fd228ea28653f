"""The Karte page (Streamlit): KPIs, map, village details, tables, upload, export."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit import webmap
from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.config.outpaths import dated_name, run_output_names
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.report.sources import source_line
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.downloads import bands_gpkg_bytes, export_files
from erreichbarkeit.ui.grid_panel import grid_kpis, grid_overlay
from erreichbarkeit.ui.kpis import pt_caption
from erreichbarkeit.ui.layers import GridOverlay, build_view_map
from erreichbarkeit.ui.map_click import Click, grid_minutes_at, read_click, village_at
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
from erreichbarkeit.ui.url_sync import write_url
from erreichbarkeit.ui.views import View
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


def _apply_click(page: Page) -> None:
    """Handle a new click on the Karte map before any widget of the page is drawn.

    A click within 500 m of a village selects it (the selectbox „Ort
    auswählen“ reads the key ``village``, set here before it is created); a
    click elsewhere keeps the point, whose grid minutes :func:`_click_note`
    shows under the map.
    """
    click, seen = read_click(st.session_state.get("karte"), st.session_state.get("_click_seen"))
    st.session_state["_click_seen"] = seen
    if click is None:
        return
    vid = village_at(page.view.villages, click)
    if vid is not None:
        st.session_state["village"] = vid
        st.session_state.pop("_click_point", None)
    else:
        st.session_state["_click_point"] = click


def _click_note(page: Page, category: str, labels: dict[str, str]) -> None:
    """Under the map: the grid minutes at the last click beside the villages."""
    stored = st.session_state.get("_click_point")
    if stored is None:
        return
    click: Click = stored
    label = labels.get(category, category)
    mode = MODE_LABELS.get(page.view.mode, page.view.mode)
    hit = grid_minutes_at(page.results.grid, category, page.view.mode, click)
    if not hit.in_grid:
        st.info(texts.CLICK_NO_GRID)
    elif hit.minutes is None:
        st.info(texts.CLICK_GRID_NONE.format(label=label, mode=mode))
    else:
        st.info(
            texts.CLICK_GRID.format(minutes=format_minutes(hit.minutes), label=label, mode=mode)
        )


def _overview(view: View, table: pd.DataFrame, area: str) -> None:
    """The right column without a chosen village: the five worst-off villages."""
    st.markdown(f"**{texts.OVERVIEW_HEADER.format(area=area)}**")
    st.caption(texts.OVERVIEW_HINT)
    cols = [texts.COL_NAME, texts.COL_GEMEINDE, texts.COL_UNMET]
    st.dataframe(german(table.loc[:, cols].head(5)), hide_index=True, width="stretch")


def _village_details(page: Page, table: pd.DataFrame) -> None:
    """The village picker; the nearest offers of the chosen village or the overview.

    Nothing is chosen at the start (the page opens on the overview, not on
    whatever village happens to be first).
    """
    data, view = page.data, page.view
    ids = list(table.index)
    names = dict(zip(table.index, table[texts.COL_NAME], strict=True))
    if st.session_state.get("village") not in ids:
        st.session_state["village"] = None
    vid = st.selectbox(
        texts.VILLAGE_SELECT,
        ids,
        format_func=lambda i: str(names.get(i, i)),
        key="village",
        index=None,
        placeholder=texts.VILLAGE_PLACEHOLDER,
    )
    if vid is None:
        _overview(view, table, page.results.settings.area_name)
        return
    st.markdown(f"**{texts.VILLAGE_DETAILS.format(name=names.get(vid, vid))}**")
    near = nearest_for_village(data, vid, mode=view.mode, categories=view.categories)
    st.dataframe(german(near), hide_index=True, width="stretch")
    raw = table.loc[vid, texts.COL_REASON]
    reason = "" if raw is None or pd.isna(raw) else str(raw)  # never „Hinweis: nan“
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
        # the saved map names what it shows, its date and its sources on its own
        label = page.data.category_table[category].label
        html = webmap.map_html(
            fmap,
            title=f"{label} – {MODE_LABELS[page.view.mode]} – {page.results.settings.area_name}",
            created=date.today(),
            sources=source_line(page.results.inputs.sources),
        )
        return export_files(page.data, page.view, workdir=session_dir(), map_html=html)


def _export_buttons(files: dict[str, bytes], region: str) -> None:
    """The four download buttons, with German file names naming the region and the date."""
    today = date.today()
    names = run_output_names(region, today)
    html_name = dated_name("Karte", region, created=today, suffix=".html")
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(texts.EXPORT_XLSX, files["xlsx"], names["xlsx"], _XLSX_MIME, key="dl_xlsx")
    c2.download_button(
        texts.EXPORT_CSV, files["orte_csv"], names["orte_csv"], "text/csv", key="dl_csv"
    )
    c3.download_button(texts.EXPORT_GPKG, files["gpkg"], names["gpkg"], _GPKG_MIME, key="dl_gpkg")
    c4.download_button(texts.EXPORT_HTML, files["html"], html_name, "text/html", key="dl_html")


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
            _export_buttons(stored[1], page.results.settings.area_name)


@st.fragment
def _map_and_village(page: Page, table: pd.DataFrame, map_cat: str, overlay: GridOverlay) -> None:
    """The map and the chosen village's details: a fragment of the page.

    Choosing a village (in „Ort auswählen“ or by a click on the map) reruns
    only this part: nothing else on the page depends on the village, and the
    map itself does not change (the chosen village's ring is a layer that
    streamlit-folium swaps without reloading the map, see
    :func:`erreichbarkeit.ui.widgets.show_map`).  The sidebar's choices rerun
    the whole page as before.
    """
    labels = page.choice["labels"]
    _apply_click(page)
    left, right = st.columns([3, 2])
    with left:
        label = labels.get(map_cat, map_cat)
        mode = MODE_LABELS.get(page.view.mode, page.view.mode)
        st.subheader(texts.MAP_HEADER.format(label=label, mode=mode))
        show_map(page, map_cat, key="karte", height=560, clickable=True, overlay=overlay)
        st.caption(texts.MAP_CLICK_HINT)
        _click_note(page, map_cat, labels)
    with right:
        _village_details(page, table)
    write_url(page.region)  # the village chosen in this run


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
    map_cat = map_category(view, labels)
    overlay, bands = grid_overlay(page, map_cat)  # its controls are in the sidebar
    _map_and_village(page, table, map_cat, overlay)
    grid_kpis(page, map_cat)
    st.subheader(texts.VILLAGES_HEADER)
    st.dataframe(german(table), hide_index=True, width="stretch")
    st.subheader(texts.GEMEINDEN_HEADER)
    st.dataframe(german(gemeinde_display(view, labels)), hide_index=True, width="stretch")
    responsibility_panel(page.results, view.mode, labels)
    need_panel(page.results, view, labels)  # Bedarf und Erreichbarkeit (ui/need_panel.py)
    _export_section(page, map_cat, overlay, bands)
