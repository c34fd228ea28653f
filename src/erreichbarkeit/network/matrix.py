"""The tidy long travel-time table: origins × destinations per mode.

The table has the columns ``origin_id, destination_id, mode, minutes, km``
(the shape r5py and pysal/access use) and holds only pairs with a route no
slower than the cutoff: an unreachable pair is absent, never 0.  Alongside it
comes the snapping report: how far each point had to be moved to reach the
routable network.  Points further than ``max_snap_m`` are flagged and not
routed, instead of being silently moved to a road kilometres away.

Access legs: OSRM's minutes start and end where a point meets the network.
The straight line from the village to that point and from there to the offer
is added to every pair at the mode's access speed (``Router.access_kmh``,
``settings.routing.access_speed``: 4.5 km/h on foot, 12 by bike, 15 by car),
minutes and kilometres alike, before the cutoff is applied — a village 300 m
off the road walks 4 minutes more.  See :func:`access_minutes`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from erreichbarkeit._schema import LONG_COLUMNS
from erreichbarkeit.config import WGS84, ProgressCallback
from erreichbarkeit.errors import CRSError, InputDataError
from erreichbarkeit.network.routing import RouterLike, TableResult
from erreichbarkeit.network.transit.router import TransitDetails, TransitRouter

__all__ = [
    "MatrixResult",
    "access_minutes",
    "check_points",
    "transit_details",
    "travel_times",
    "with_access_legs",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatrixResult:
    """Long travel-time table and snapping report.

    Attributes
    ----------
    travel_times
        ``origin_id, destination_id, mode, minutes, km``.
    snapping
        ``id, role, mode, snap_m, snap_ok``.
    transit
        Bus & Bahn details of the pairs asked of the timetable:
        ``origin_id, destination_id, minutes, median_pt, best_min,
        departures, transfers, walk_min, walk_only`` (minutes with the
        snapping legs, like the long table); empty without ``pt``.
    """

    travel_times: pd.DataFrame
    snapping: pd.DataFrame
    transit: pd.DataFrame = field(default_factory=pd.DataFrame)


def check_points(points: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Validate a point table against the contract and return it in EPSG:4326.

    Parameters
    ----------
    points
        Must have a unique string ``id``, a CRS and Point geometries.
    what
        Name for messages (``"villages"``, ``"offers"``).

    Raises
    ------
    InputDataError
        Missing or duplicate ids, empty or non-point geometries.
    CRSError
        No CRS.
    """
    if "id" not in points.columns:
        msg = f"{what}: no 'id' column"
        raise InputDataError(msg, column="id", message_de=f"{what}: Spalte „id“ fehlt")
    if points.crs is None:
        msg = f"{what}: no CRS"
        raise CRSError(
            msg,
            expected="a CRS such as EPSG:4326",
            message_de=f"{what}: kein Koordinatenbezugssystem",
        )
    dup = points["id"].duplicated(keep=False)
    if dup.any():
        ids = ", ".join(map(str, points.loc[dup, "id"].unique()[:5]))
        msg = f"{what}: duplicate ids {ids}"
        raise InputDataError(
            msg, column="id", expected="unique ids", message_de=f"{what}: doppelte IDs {ids}"
        )
    geoms = points.geometry
    bad = geoms.isna() | geoms.is_empty | (geoms.geom_type != "Point")
    if bad.any():
        ids = ", ".join(map(str, points.loc[bad, "id"].head(5)))
        msg = f"{what}: missing or non-point geometry for {ids}"
        raise InputDataError(
            msg,
            column="geometry",
            expected="points",
            message_de=f"{what}: fehlende oder keine Punktgeometrie bei {ids}",
        )
    return points.to_crs(WGS84) if points.crs != WGS84 else points


def access_minutes(snap_m: npt.ArrayLike, access_kmh: float) -> npt.NDArray[np.float64]:
    """Minutes to cover ``snap_m`` metres at ``access_kmh`` km/h.

    Examples
    --------
    >>> float(access_minutes(300.0, 4.5))
    4.0
    """
    return np.asarray(snap_m, dtype=float) / (access_kmh / 3.6) / 60.0


def with_access_legs(
    result: TableResult, access_kmh: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Minutes and km of a table answer with the access legs of both ends added.

    ``minutes[i, j] = OSRM seconds / 60 + (snap_i + snap_j) / access speed``
    and ``km[i, j] = OSRM metres / 1000 + (snap_i + snap_j) / 1000``; a pair
    without a route stays NaN.
    """
    snap = result.source_snap_m[:, None] + result.destination_snap_m[None, :]
    minutes = result.seconds / 60.0 + access_minutes(snap, access_kmh)
    km = (result.metres + snap) / 1000.0
    return minutes, km


def _lonlat(points: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])


def travel_times(
    routers: Mapping[str, RouterLike],
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    cutoff_minutes: float,
    max_snap_m: float,
    modes: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> MatrixResult:
    """Compute the long travel-time table for all modes.

    Parameters
    ----------
    routers
        One :class:`~erreichbarkeit.network.routing.Router` per mode.
    origins, destinations
        Point tables with unique ``id`` (the villages and offers contracts).
    cutoff_minutes
        Pairs slower than this (access legs included) are left out of the table.
    max_snap_m
        Points further than this from the mode's network are not routed
        (``snap_ok`` False in the report).
    modes
        Modes to compute (default: all keys of ``routers``).
    progress
        ``progress("Reisezeiten", done, total)`` per mode.

    Returns
    -------
    MatrixResult
    """
    origins = check_points(origins, "villages")
    destinations = check_points(destinations, "offers")
    modes = list(modes or routers.keys())
    o_ids = origins["id"].astype(str).to_numpy()
    d_ids = destinations["id"].astype(str).to_numpy()
    o_xy, d_xy = _lonlat(origins), _lonlat(destinations)
    frames: list[pd.DataFrame] = []
    snaps: list[pd.DataFrame] = []
    transit = pd.DataFrame()
    for i, mode in enumerate(modes):
        if progress:
            progress("Reisezeiten berechnen", i, len(modes))
        router = routers[mode]
        if isinstance(router, TransitRouter):
            cats = destinations.get("category")
            serves = destinations.get("serves")  # nearest offers per category and age groups
            answer, details = router.detailed_table(o_xy, d_xy, categories=cats, serves=serves)
            transit = transit_details(answer, details, o_ids, d_ids, router.access_kmh)
        else:
            answer = router.table(o_xy, d_xy)
        frame, snap = _mode_tables(
            answer, mode, o_ids, d_ids,
            cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m, access_kmh=router.access_kmh,
        )  # fmt: skip
        frames.append(frame)
        snaps.append(snap)
    if progress:
        progress("Reisezeiten berechnen", len(modes), len(modes))
    empty = pd.DataFrame(columns=list(LONG_COLUMNS))
    table = pd.concat(frames, ignore_index=True) if frames else empty
    snapping = (
        pd.concat(snaps, ignore_index=True)
        if snaps
        else pd.DataFrame(columns=["id", "role", "mode", "snap_m", "snap_ok"])
    )
    return MatrixResult(table, snapping, transit)


def transit_details(
    answer: TableResult,
    details: TransitDetails,
    o_ids: npt.NDArray[Any],
    d_ids: npt.NDArray[Any],
    access_kmh: float,
) -> pd.DataFrame:
    """The Bus & Bahn pair details with ids and the snapping legs of both ends added."""
    pairs = details.pairs
    i = pairs["origin"].to_numpy(dtype=int)
    j = pairs["destination"].to_numpy(dtype=int)
    legs = access_minutes(answer.source_snap_m[i] + answer.destination_snap_m[j], access_kmh)
    out = pd.DataFrame({"origin_id": o_ids[i], "destination_id": d_ids[j]})
    for col in ("minutes", "median_pt", "best_min", "walk_min"):
        out[col] = pairs[col].to_numpy(dtype=float) + legs
    for col in ("departures", "transfers"):
        out[col] = pairs[col].to_numpy(dtype=int)
    out["walk_only"] = pairs["walk_only"].to_numpy(dtype=bool)
    return out


def _mode_tables(
    result: TableResult,
    mode: str,
    o_ids: npt.NDArray[Any],
    d_ids: npt.NDArray[Any],
    *,
    cutoff_minutes: float,
    max_snap_m: float,
    access_kmh: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One mode's OSRM answer as long-table rows (reachable, snapped pairs) and snapping rows."""
    o_ok = result.source_snap_m <= max_snap_m
    d_ok = result.destination_snap_m <= max_snap_m
    minutes, km = with_access_legs(result, access_kmh)
    keep = np.isfinite(minutes) & (minutes <= cutoff_minutes)
    keep &= o_ok[:, None] & d_ok[None, :]
    rows, cols = np.nonzero(keep)
    frame = pd.DataFrame(
        {
            "origin_id": o_ids[rows],
            "destination_id": d_ids[cols],
            "mode": mode,
            "minutes": minutes[rows, cols],
            "km": km[rows, cols],
        }
    )
    snap = pd.DataFrame(
        {
            "id": np.concatenate([o_ids, d_ids]),
            "role": ["origin"] * len(o_ids) + ["destination"] * len(d_ids),
            "mode": mode,
            "snap_m": np.concatenate([result.source_snap_m, result.destination_snap_m]),
            "snap_ok": np.concatenate([o_ok, d_ok]),
        }
    )
    n_far = int((~o_ok).sum() + (~d_ok).sum())
    if n_far:
        logger.warning(
            "%s: %d points further than %.0f m from the network", mode, n_far, max_snap_m
        )
    return frame, snap
