"""The fictional Beispielkreis: a deterministic demo county for offline runs and tests.

:func:`generate_demo` (in :mod:`erreichbarkeit.demo.beispielkreis`) writes
it; :class:`DemoLayout` (:mod:`erreichbarkeit.demo.layout`) sets its size,
place, keys and names (:data:`LANDKREIS`: a county-sized one); the other
modules are its parts.
"""

from erreichbarkeit.demo.beispielkreis import REGION_NAME, DemoFiles, generate_demo
from erreichbarkeit.demo.layout import BEISPIELKREIS, LANDKREIS, DemoLayout

__all__ = ["BEISPIELKREIS", "LANDKREIS", "REGION_NAME", "DemoFiles", "DemoLayout", "generate_demo"]
