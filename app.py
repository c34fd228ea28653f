"""Streamlit entry point: ``streamlit run app.py``.

Page config and navigation only; the pages are in ``erreichbarkeit.ui``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st

from erreichbarkeit.ui import (
    about_page,
    dashboard_page,
    land_page,
    meeting_page,
    planning_page,
    supply_page,
    texts,
)
from erreichbarkeit.ui.style import german_style

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title=texts.APP_TITLE, page_icon="🗺️", layout="wide")
german_style()  # German texts for the file uploader (Streamlit has no translations)
pages = [
    st.Page(partial(dashboard_page, ROOT), title=texts.PAGE_MAP, url_path="start", default=True),
    st.Page(partial(supply_page, ROOT), title=texts.PAGE_SUPPLY, url_path="versorgung"),
    st.Page(partial(planning_page, ROOT), title=texts.PAGE_PLANNING, url_path="planung"),
    st.Page(partial(meeting_page, ROOT), title=texts.PAGE_MEETING, url_path="besprechung"),
    st.Page(partial(land_page, ROOT), title=texts.PAGE_LAND, url_path="land"),
    st.Page(about_page, title=texts.PAGE_ABOUT, url_path="methodik"),
    # The default page lives at "/" (Streamlit ignores its url_path); a bookmark
    # of "/karte" opens the same page through this hidden entry instead of
    # Streamlit's English „Page not found“.
    st.Page(
        partial(dashboard_page, ROOT), title=texts.PAGE_MAP, url_path="karte", visibility="hidden"
    ),
]
st.navigation(pages).run()
