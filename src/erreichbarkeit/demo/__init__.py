"""The fictional Beispielkreis: a deterministic demo county for offline runs and tests.

:func:`generate_demo` (in :mod:`erreichbarkeit.demo.beispielkreis`) writes
it; the other modules are its parts.
"""

from erreichbarkeit.demo.beispielkreis import REGION_NAME, DemoFiles, generate_demo

__all__ = ["REGION_NAME", "DemoFiles", "generate_demo"]
