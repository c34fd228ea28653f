"""Settings, categories and region-file validation.

``constants`` holds the shared vocabulary (CRS, modes, age groups),
``categories`` the offer category table, ``validation`` the region-file
checks and ``settings`` the frozen :class:`Settings` built from them, ``transit`` the
options of the Bus & Bahn mode, ``area`` the analysis area (``[area]``).
"""

from erreichbarkeit.config.area import AnalysisArea
from erreichbarkeit.config.categories import Category, load_categories
from erreichbarkeit.config.constants import (
    AGE_GROUPS,
    DEFAULT_ACCESS_KMH,
    DEFAULT_AGE_SHARES,
    DEFAULT_FERRY_WAIT_MIN,
    METRIC_CRS,
    MODE_LABELS,
    MODES,
    ROAD_MODES,
    WGS84,
    Mode,
    ProgressCallback,
    age_column,
    step_de,
)
from erreichbarkeit.config.settings import RegionSource, RoutingOptions, Settings
from erreichbarkeit.config.transit import TransitOptions, format_window

__all__ = [
    "AGE_GROUPS",
    "DEFAULT_ACCESS_KMH",
    "DEFAULT_AGE_SHARES",
    "DEFAULT_FERRY_WAIT_MIN",
    "METRIC_CRS",
    "MODES",
    "MODE_LABELS",
    "ROAD_MODES",
    "WGS84",
    "AnalysisArea",
    "Category",
    "Mode",
    "ProgressCallback",
    "RegionSource",
    "RoutingOptions",
    "Settings",
    "TransitOptions",
    "age_column",
    "format_window",
    "load_categories",
    "step_de",
]
