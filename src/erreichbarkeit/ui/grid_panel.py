"""The grid controls of the sidebar and the grid key figures (Streamlit).

The whole-category surface and bands are shared between sessions
(:mod:`erreichbarkeit.ui.cache`); bands around selected offers are routed
on demand and kept in this session.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import streamlit as st

from erreichbarkeit import webmap
from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.ui import cache, texts
from erreichbarkeit.ui.kpis import grid_kpi_tables
from erreichbarkeit.ui.layers import GridOverlay, offer_bands
from erreichbarkeit.ui.page_setup import Page, region_key
from erreichbarkeit.ui.state import memo_put
from erreichbarkeit.ui.tables import german, offer_label
from erreichbarkeit.ui.upload_widget import upload_token

__all__ = ["grid_kpis", "grid_overlay"]

_OFFER_BANDS_MEMO_SIZE = 4


def _labels(page: Page, category: str) -> tuple[str, str]:
    """The German labels of the category and of the view's mode."""
    mode = page.view.mode
    return page.choice["labels"].get(category, category), MODE_LABELS.get(mode, mode)


def _offer_options(page: Page, category: str) -> dict[str, str]:
    """Offer id → label of the map category's offers (region and upload)."""
    offers = page.data.offers[page.data.offers["category"] == category]
    records: list[dict[str, Any]] = offers.drop(columns="geometry").to_dict("records")
    labels = {str(r["id"]): offer_label(r) for r in records}
    return dict(sorted(labels.items(), key=lambda kv: kv[1].casefold()))


def _band_offer_ids(page: Page, category: str) -> list[str]:
    """The multiselect of offers to draw bands around (empty: the whole category)."""
    options = _offer_options(page, category)
    current = [i for i in st.session_state.get("band_offers", []) if i in options]
    st.session_state["band_offers"] = current
    ids: list[str] = st.sidebar.multiselect(
        texts.GRID_BAND_OFFERS,
        list(options),
        format_func=lambda i: options.get(i, i),
        key="band_offers",
        help=texts.GRID_BAND_OFFERS_HELP,
        select_all=False,  # Streamlit's „Select all“ is English and cannot be translated
        placeholder=texts.MULTISELECT_PLACEHOLDER,
    )
    return ids


def _selected_offer_bands(page: Page, grid: GridResult, ids: list[str]) -> gpd.GeoDataFrame:
    """Bands around the selected offers, memoised per session (routing takes a moment)."""
    mode = page.view.mode
    upload = st.session_state.get("upload")
    key = (*region_key(page), mode, tuple(sorted(ids)), upload_token(upload))
    memo: dict[Any, Any] = st.session_state.setdefault("_offer_bands", {})
    if key not in memo:
        s = page.results.settings
        with st.spinner(texts.BANDS_COMPUTING):
            bands = offer_bands(
                grid,
                page.data.offers,
                cache.routers_for(page.results)[mode],
                ids,
                mode=mode,
                cutoff_minutes=s.routing.cutoff_minutes,
                max_snap_m=s.routing.max_snap_m,
            )
        memo_put(memo, key, bands, size=_OFFER_BANDS_MEMO_SIZE)
    bands_out: gpd.GeoDataFrame = memo[key]
    return bands_out


def _bands(
    page: Page, grid: GridResult, category: str, ids: list[str]
) -> tuple[gpd.GeoDataFrame | None, str | None, str]:
    """The bands to show, their GeoJSON text and the layer title.

    Around the selected offers when there are any (routed now), else around
    the whole category (shared cache).
    """
    mode = page.view.mode
    label, mode_label = _labels(page, category)
    title = texts.BANDS_TITLE_CATEGORY.format(label=label, mode=mode_label)
    if not ids:
        cached = cache.category_bands_for(*region_key(page), category, mode, page.results)
        return (None, None, title) if cached is None else (cached[0], cached[1], title)
    try:
        bands = _selected_offer_bands(page, grid, ids)
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        return None, None, title
    title = texts.BANDS_TITLE_OFFERS.format(n=len(ids), mode=mode_label)
    return bands, webmap.bands_geojson(bands), title


def _remember_bands(category: str, mode: str, ids: list[str], bands: Any) -> None:
    """Keep the shown bands in the session for their download (or forget them)."""
    if bands is not None:
        st.session_state["bands"] = ((category, mode, tuple(ids)), bands)
    else:
        st.session_state.pop("bands", None)


def grid_overlay(page: Page, category: str) -> tuple[GridOverlay, Any]:
    """The sidebar's grid controls; returns what the map shows and the bands shown.

    Without a grid for the region the controls are replaced by a German hint
    on how to enable it.
    """
    sb = st.sidebar
    sb.markdown(f"**{texts.GRID_HEADER}**")
    grid = page.results.grid
    if grid is None:
        sb.info(texts.GRID_MISSING)
        st.session_state.pop("bands", None)
        return GridOverlay(), None
    mode = page.view.mode
    show_surface = sb.toggle(texts.GRID_SURFACE, key="grid_surface", help=texts.GRID_SURFACE_HELP)
    show_bands = sb.toggle(texts.GRID_BANDS, key="grid_bands", help=texts.GRID_BANDS_HELP)
    ids = _band_offer_ids(page, category) if show_bands else []
    if (show_surface or show_bands) and "upload" in st.session_state:
        sb.caption(texts.GRID_UPLOAD_NOTE)
    surface = None
    if show_surface:
        surface = cache.grid_surface_for(*region_key(page), category, mode, page.results)
    label, mode_label = _labels(page, category)
    bands, bands_json = None, None
    title = texts.BANDS_TITLE_CATEGORY.format(label=label, mode=mode_label)
    if show_bands:
        bands, bands_json, title = _bands(page, grid, category, ids)
    if (show_surface and surface is None) or (show_bands and not ids and bands is None):
        sb.warning(texts.GRID_NO_CATEGORY.format(label=label, mode=mode_label))
    _remember_bands(category, mode, ids, bands)
    overlay = GridOverlay(
        surface=surface,
        bands_json=bands_json,
        bands_labels=tuple(bands["band"].astype(str)) if bands is not None else (),
        bands_title=title,
    )
    return overlay, bands


def grid_kpis(page: Page, category: str) -> None:
    """The expander with the Thünen-style grid figures of the map category and mode."""
    grid = page.results.grid
    if grid is None:
        return
    mode = page.view.mode
    label, mode_label = _labels(page, category)
    with st.expander(texts.GRID_KPI_HEADER):
        kreis, gemeinden, weighting = grid_kpi_tables(grid, category, mode)
        if kreis.empty:
            st.info(texts.GRID_NO_CATEGORY.format(label=label, mode=mode_label))
            return
        st.caption(texts.GRID_KPI_INTRO.format(label=label, mode=mode_label, weighting=weighting))
        st.dataframe(german(kreis), hide_index=True, width="stretch")
        st.markdown(texts.GRID_KPI_GEMEINDEN)
        st.dataframe(german(gemeinden), hide_index=True, width="stretch")
