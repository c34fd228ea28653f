"""erreichbarkeit: which villages reach which offers for families, children and young people.

The public API is re-exported here explicitly; everything else is internal.

The light names (settings, categories, errors) are imported eagerly.  The
heavy ones (the pipeline with OSRM, GDAL and matplotlib behind it) are
resolved on first access (PEP 562), so ``erreichbarkeit --help`` and the
dashboard's first paint do not pay for modules they do not use: importing the
pipeline eagerly costs about 2 s on this project's 2-core machines.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from erreichbarkeit._version import __version__
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

if TYPE_CHECKING:
    from erreichbarkeit.io import read_boundaries, read_offers, read_population, read_villages
    from erreichbarkeit.pipeline import load_inputs, run
    from erreichbarkeit.report.outputs import export_results
    from erreichbarkeit.results import Inputs, Results

#: Heavy public names and the module that defines each (resolved lazily).
_LAZY = {
    "run": "erreichbarkeit.pipeline",
    "load_inputs": "erreichbarkeit.pipeline",
    "Inputs": "erreichbarkeit.results",
    "Results": "erreichbarkeit.results",
    "export_results": "erreichbarkeit.report.outputs",
    "read_offers": "erreichbarkeit.io",
    "read_boundaries": "erreichbarkeit.io",
    "read_population": "erreichbarkeit.io",
    "read_villages": "erreichbarkeit.io",
}

__all__ = [
    "AGE_GROUPS",
    "MODES",
    "CRSError",
    "Category",
    "ConfigError",
    "ErreichbarkeitError",
    "GeocodingError",
    "InputDataError",
    "Inputs",
    "MissingColumnError",
    "NetworkError",
    "Results",
    "RoutingError",
    "RoutingOptions",
    "Settings",
    "UnknownCategoryError",
    "__version__",
    "export_results",
    "load_categories",
    "load_inputs",
    "read_boundaries",
    "read_offers",
    "read_population",
    "read_villages",
    "run",
]


def __getattr__(name: str) -> Any:
    """Resolve a heavy public name on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'erreichbarkeit' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


logging.getLogger(__name__).addHandler(logging.NullHandler())
