"""Bus & Bahn: timetable routing with pynigiri in a separate Python 3.11 worker.

``engine`` is the worker client, ``worker`` the program the worker runs,
``router`` the door-to-door :class:`TransitRouter` (OSRM foot legs around the
timetable queries) and ``setup`` builds it from the settings.
"""

from erreichbarkeit.network.transit.engine import (
    TransitEngine as TransitEngine,
)
from erreichbarkeit.network.transit.engine import (
    TransitStatus as TransitStatus,
)
from erreichbarkeit.network.transit.engine import (
    find_worker_python as find_worker_python,
)
from erreichbarkeit.network.transit.engine import (
    transit_status as transit_status,
)
from erreichbarkeit.network.transit.router import TransitRouter as TransitRouter
from erreichbarkeit.network.transit.setup import Timetable as Timetable
from erreichbarkeit.network.transit.setup import load_feeds as load_feeds
from erreichbarkeit.network.transit.setup import make_all_routers as make_all_routers
from erreichbarkeit.network.transit.setup import open_transit_router as open_transit_router

__all__ = [
    "Timetable",
    "TransitEngine",
    "TransitRouter",
    "TransitStatus",
    "find_worker_python",
    "load_feeds",
    "make_all_routers",
    "open_transit_router",
    "transit_status",
]
