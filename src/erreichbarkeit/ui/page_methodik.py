"""The Methodik & Hilfe page (Streamlit)."""

from __future__ import annotations

import streamlit as st

from erreichbarkeit.ui import texts
from erreichbarkeit.ui.state import keep_widget_state

__all__ = ["about_page"]


def about_page() -> None:
    """Methodik & Hilfe."""
    keep_widget_state()
    st.title(texts.PAGE_ABOUT)
    st.markdown(texts.ABOUT)
