"""Streamlit dashboard (German UI) for planners.

``app.py`` at the repository root only sets the page config and the
navigation; the pages live in :mod:`erreichbarkeit.ui.dashboard` (Karte,
Besprechung with the Steckbrief download, Methodik) and
:mod:`erreichbarkeit.ui.planning` (Versorgung, Planung), Streamlit caches in
:mod:`erreichbarkeit.ui.cache`, Streamlit-free logic in
:mod:`erreichbarkeit.ui.logic` and :mod:`erreichbarkeit.ui.planning_logic`
and the German texts in :mod:`erreichbarkeit.ui.texts`.  The library
modules never import this package.
"""

from __future__ import annotations

from erreichbarkeit.ui.dashboard import about_page, dashboard_page, meeting_page
from erreichbarkeit.ui.planning import planning_page, supply_page

__all__ = ["about_page", "dashboard_page", "meeting_page", "planning_page", "supply_page"]
