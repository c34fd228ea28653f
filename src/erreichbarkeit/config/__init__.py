"""Settings, categories and region-file validation."""

from erreichbarkeit.config.settings import (
    AGE_GROUPS,
    DEFAULT_AGE_SHARES,
    METRIC_CRS,
    MODE_LABELS,
    MODES,
    WGS84,
    Category,
    ProgressCallback,
    RegionSource,
    RoutingOptions,
    Settings,
    age_column,
    load_categories,
)

__all__ = [
    "AGE_GROUPS",
    "Category",
    "DEFAULT_AGE_SHARES",
    "METRIC_CRS",
    "MODES",
    "MODE_LABELS",
    "ProgressCallback",
    "RegionSource",
    "RoutingOptions",
    "Settings",
    "WGS84",
    "age_column",
    "load_categories",
]
