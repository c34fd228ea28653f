"""erreichbarkeit: which villages reach which offers for families, children and young people.

The public API is re-exported here explicitly; everything else is internal.
"""

from __future__ import annotations

import logging

from erreichbarkeit.config import (
    AGE_GROUPS,
    MODES,
    Category,
    RoutingOptions,
    Settings,
    load_categories,
)
from erreichbarkeit.errors import (
    ConfigError,
    CRSError,
    ErreichbarkeitError,
    GeocodingError,
    InputDataError,
    MissingColumnError,
    NetworkError,
    RoutingError,
    UnknownCategoryError,
)

__version__ = "0.1.0"

__all__ = [
    "AGE_GROUPS",
    "MODES",
    "CRSError",
    "Category",
    "ConfigError",
    "ErreichbarkeitError",
    "GeocodingError",
    "InputDataError",
    "MissingColumnError",
    "NetworkError",
    "RoutingError",
    "RoutingOptions",
    "Settings",
    "UnknownCategoryError",
    "__version__",
    "load_categories",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
