"""The shared vocabulary of every module: CRS, modes, age groups.

These names sit below the category table and the settings (both use them),
so every layer of the package can import them without pulling in either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Literal

from erreichbarkeit.errors import ConfigError

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
    "Mode",
    "ProgressCallback",
    "age_column",
    "step_de",
]

#: CRS of every point/polygon table handed between modules (lon/lat).
WGS84 = "EPSG:4326"
#: CRS for metric operations in Germany (ETRS89 / UTM zone 32N, as VG250 uses).
METRIC_CRS = "EPSG:25832"

#: Progress callback of long steps: ``(step, done, total)``; the CLI shows a
#: progress line and the dashboard an ``st.progress`` from the same calls.
ProgressCallback = Callable[[str, int, int], None]

Mode = Literal["car", "bike", "walk", "pt"]
#: Every mode the tool knows: the three road modes routed by OSRM and ``pt``
#: (Bus & Bahn: walking plus public transport from GTFS timetables).
MODES: tuple[Mode, ...] = ("car", "bike", "walk", "pt")
#: The modes routed on the OSM road network by OSRM (default of a region
#: without a timetable).
ROAD_MODES: tuple[Mode, ...] = ("car", "bike", "walk")
MODE_LABELS: Mapping[str, str] = MappingProxyType(
    {"car": "Auto", "bike": "Fahrrad", "walk": "zu Fuß", "pt": "Bus & Bahn"}
)


def step_de(step: str) -> str:
    """A pipeline step's name with the German mode: „Netz vorbereiten (Auto)“, not „(car)“.

    The pipeline keys its timings and some progress steps by mode id; the
    CLI, the progress page and the Methodik sheet show them with this.

    Examples
    --------
    >>> step_de("Netz vorbereiten (bike)"), step_de("Versorgung (2SFCA)")
    ('Netz vorbereiten (Fahrrad)', 'Versorgung (2SFCA)')
    """
    for mode, label in MODE_LABELS.items():
        step = step.replace(f"({mode})", f"({label})")
    return step


#: Speed of the access leg per mode in km/h: the straight line from a village
#: or offer to the point where it meets the routable network is added to every
#: trip at this speed (walking 4.5 km/h, also the access to public transport
#: later; cycling 12 km/h; by car 15 km/h for parking, walking to the door and
#: slow driveways).  Configurable as ``[routing] access_speed``.  Bus & Bahn
#: walks its access legs at the ``walk`` speed.
DEFAULT_ACCESS_KMH: Mapping[str, float] = MappingProxyType({"car": 15.0, "bike": 12.0, "walk": 4.5})

#: Minutes of waiting added each time a route boards a ferry (``route=ferry``);
#: configurable as ``[routing] ferry_wait_min``.
DEFAULT_FERRY_WAIT_MIN = 10.0

AGE_GROUPS: tuple[str, ...] = ("0-3", "3-6", "6-10", "10-18", "18-27")

#: Share of the total population in each age group (``"0-3"`` = ages 0, 1, 2).
#: Rounded national shares of Germany from the Destatis population update
#: (Bevölkerungsfortschreibung, 31.12.2022: under 3 ≈ 2.8 %, 3–5 ≈ 2.9 %,
#: 6–9 ≈ 3.7 %, 10–17 ≈ 7.4 %, 18–26 ≈ 9.4 %).  Rural counties differ; replace
#: them with the county's own shares (Regionalstatistik table 12411-02-03-5)
#: in the region file's ``[age_shares]`` table.
DEFAULT_AGE_SHARES: Mapping[str, float] = MappingProxyType(
    {"0-3": 0.028, "3-6": 0.029, "6-10": 0.037, "10-18": 0.074, "18-27": 0.094}
)


def age_column(group: str) -> str:
    """Return the column name holding the children of an age group.

    Parameters
    ----------
    group
        One of :data:`AGE_GROUPS`.

    Returns
    -------
    str
        The column name.

    Raises
    ------
    ConfigError
        If ``group`` is not an age group.

    Examples
    --------
    >>> age_column("0-3")
    'children_0_3'
    """
    if group not in AGE_GROUPS:
        msg = f"unknown age group {group!r}"
        raise ConfigError(
            msg,
            expected=", ".join(AGE_GROUPS),
            message_de=f"Unbekannte Altersgruppe „{group}“ (erlaubt: {', '.join(AGE_GROUPS)})",
        )
    return "children_" + group.replace("-", "_")
