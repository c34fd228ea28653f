"""The Besprechung page (Streamlit): a clean full-width map for meetings, print map, Steckbrief."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from erreichbarkeit.ui import texts
from erreichbarkeit.ui.downloads import print_map_bytes
from erreichbarkeit.ui.grid_panel import grid_overlay
from erreichbarkeit.ui.kpis import pt_caption
from erreichbarkeit.ui.page_setup import Page, setup_page
from erreichbarkeit.ui.presentation import (
    map_kind,
    presentation_on,
    presentation_toggle,
    show_gemeinde_map,
    show_presentation,
)
from erreichbarkeit.ui.sidebar import area_caption, extent_choice, map_category
from erreichbarkeit.ui.tables import view_subtitle
from erreichbarkeit.ui.widgets import kpi_metrics, show_map

if TYPE_CHECKING:  # the paper and format types only annotate; printmap loads matplotlib
    from erreichbarkeit.report.printmap import Format, Paper

__all__ = ["meeting_page", "steckbrief_section"]

_PRINT_MIME = {"pdf": "application/pdf", "png": "image/png"}
_PRINTS: tuple[tuple[Paper, Format], ...] = (
    ("A4", "pdf"),
    ("A3", "pdf"),
    ("A4", "png"),
    ("A3", "png"),
)


def _print_section(
    page: Page,
    category: str,
    extent: tuple[float, float, float, float] | None,
    extent_label: str,
) -> None:
    """Download buttons of the print map in A4/A3 as PDF/PNG (rendered when clicked)."""
    st.subheader(texts.PRINT_HEADER)
    st.caption(texts.PRINT_HINT)
    cols = st.columns(len(_PRINTS))
    stem = f"erreichbarkeit-{category}-{page.view.mode}"
    for col, (paper, fmt) in zip(cols, _PRINTS, strict=True):
        # the file is rendered only when clicked (a callable; no cost per rerun)
        make = functools.partial(
            print_map_bytes,
            page.data,
            page.view,
            category,
            layers=page.layers,
            extent=extent,
            extent_label=extent_label,
            paper=paper,
            fmt=fmt,
        )
        col.download_button(
            texts.PRINT_BUTTON.format(paper=paper, fmt=fmt.upper()),
            make,
            f"{stem}-{paper.lower()}.{fmt}",
            _PRINT_MIME[fmt],
            key=f"print_{paper}_{fmt}",
            on_click="ignore",
        )


def steckbrief_section(page: Page, category: str) -> None:
    """Steckbrief download for one Gemeinde or the Kreis (built when clicked).

    Uses the page's mode, age group, categories and thresholds; the map of
    the PDF shows ``category``.
    """
    from erreichbarkeit.report import steckbrief  # noqa: PLC0415  (matplotlib only here)

    st.subheader(texts.STECKBRIEF_HEADER)
    st.caption(texts.STECKBRIEF_HINT)
    table = steckbrief.gemeinden_of(page.results)
    names = {"": texts.STECKBRIEF_KREIS} | dict(
        zip(table["ags"].astype(str), table["gemeinde"].astype(str), strict=True)
    )
    if st.session_state.get("steckbrief_ags") not in names:
        st.session_state["steckbrief_ags"] = ""
    ags = st.selectbox(
        texts.STECKBRIEF_SELECT, list(names), format_func=lambda a: names[a], key="steckbrief_ags"
    )
    view = page.view
    make = functools.partial(
        steckbrief.steckbrief_pdf,
        page.results,
        ags=ags or None,
        mode=view.mode,
        age_group=view.age_group,
        categories=view.categories,
        thresholds=dict(view.thresholds),
        map_category=category,
        roads=page.layers.roads,
    )
    st.download_button(
        texts.STECKBRIEF_BUTTON,
        make,
        steckbrief.steckbrief_filename(
            ags or None,
            names[ags],
            created=date.today(),
            region=page.results.settings.area_name,
        ),
        "application/pdf",
        key="steckbrief_dl",
        on_click="ignore",
    )


def _sources_caption(page: Page) -> None:
    """The data sources and today's date under the map."""
    # matplotlib (printmap) is loaded only on this page, not at start-up
    from erreichbarkeit.report.printmap import source_line  # noqa: PLC0415

    st.caption(
        texts.SOURCES_CAPTION.format(
            sources=source_line(page.results.inputs.sources),
            date=date.today().strftime("%d.%m.%Y"),
        )
    )


def meeting_page(root: Path | None = None) -> None:
    """Meeting mode: a clean full-width map with large legend, key figures and print export."""
    presentation_on()  # reads ?praesentation=1 before setup_page rewrites the address
    page = setup_page(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_MEETING)
        return
    view, labels = page.view, page.choice["labels"]
    map_cat = map_category(view, labels, where=st.sidebar)
    extent_label, extent = extent_choice(page.data)
    overlay, _bands = grid_overlay(page, map_cat)
    if presentation_on():  # no sidebar; control bar, key figures, map and legend on one screen
        show_presentation(page, map_cat, extent, overlay)
        _sources_caption(page)
        _print_section(page, map_cat, extent, extent_label)
        steckbrief_section(page, map_cat)
        return
    label = labels.get(map_cat, map_cat)
    st.title(texts.MEETING_TITLE.format(label=label, region=page.results.settings.area_name))
    presentation_toggle()
    if caption := area_caption(page.results.settings):  # analysis area ≠ data area
        st.caption(caption)
    st.markdown(f"### {view_subtitle(view, map_cat, labels)}")
    kpi_metrics(
        view, map_cat, pt_caption=pt_caption(page.results, map_cat) if view.mode == "pt" else ""
    )
    if map_kind() == "gemeinden":  # the per-Gemeinde choropleth
        show_gemeinde_map(page, map_cat, key="besprechung_gemeinden", height=720, extent=extent)
    else:
        show_map(
            page,
            map_cat,
            key="besprechung",
            height=720,
            clickable=False,
            legend_font_px=17,
            bounds=extent,
            overlay=overlay,
        )
    _sources_caption(page)
    st.caption(texts.MEETING_HINT)
    _print_section(page, map_cat, extent, extent_label)
    steckbrief_section(page, map_cat)
