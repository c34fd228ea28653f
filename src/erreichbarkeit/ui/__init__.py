"""Streamlit dashboard (German UI) for planners.

``app.py`` at the repository root only sets the page config and the
navigation.  The package, top to bottom:

* pages: :mod:`~erreichbarkeit.ui.page_karte` (Karte),
  :mod:`~erreichbarkeit.ui.page_besprechung` (Besprechung with print map
  and Steckbrief), :mod:`~erreichbarkeit.ui.page_land` (Land: a batch of
  every Kreis, drilling down into one), :mod:`~erreichbarkeit.ui.page_methodik` (Methodik & Hilfe)
  and the planning pages (``planning*``: Versorgung, Planung);
* Streamlit parts every page shares: :mod:`~erreichbarkeit.ui.page_setup`
  (region, run, choices, view), :mod:`~erreichbarkeit.ui.sidebar`,
  :mod:`~erreichbarkeit.ui.grid_panel`, :mod:`~erreichbarkeit.ui.widgets`,
  :mod:`~erreichbarkeit.ui.upload_widget`, :mod:`~erreichbarkeit.ui.state`
  and the shared caches in :mod:`~erreichbarkeit.ui.cache`;
* Streamlit-free logic, testable without a server:
  :mod:`~erreichbarkeit.ui.views` (the data behind a view and its
  indicators), :mod:`~erreichbarkeit.ui.regions`,
  :mod:`~erreichbarkeit.ui.uploads`, :mod:`~erreichbarkeit.ui.kpis`,
  :mod:`~erreichbarkeit.ui.tables` (German numbers and tables),
  :mod:`~erreichbarkeit.ui.layers` (what the web map shows),
  :mod:`~erreichbarkeit.ui.downloads` (files as bytes) and
  :mod:`~erreichbarkeit.ui.planning_logic`;
* the German texts in :mod:`~erreichbarkeit.ui.texts`.

The library modules never import this package.
"""

from __future__ import annotations

from erreichbarkeit.ui.page_besprechung import meeting_page
from erreichbarkeit.ui.page_karte import dashboard_page
from erreichbarkeit.ui.page_land import land_page
from erreichbarkeit.ui.page_methodik import about_page
from erreichbarkeit.ui.planning import planning_page
from erreichbarkeit.ui.planning_supply import supply_page

__all__ = [
    "about_page",
    "dashboard_page",
    "land_page",
    "meeting_page",
    "planning_page",
    "supply_page",
]
