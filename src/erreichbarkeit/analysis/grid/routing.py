"""Minutes from every grid cell to the nearest offer, routed in chunks.

The routing follows :func:`erreichbarkeit.network.matrix.travel_times` (same
snapping, access-leg and cutoff rules) but reduces each chunk of cell centres to the
per-category minimum at once, so the long table of 10⁵ cells × 10³ offers
is never built.

For OSRM routers the chunks go to worker processes
(:class:`~erreichbarkeit.network.routing.TablePool`), the tables carry
durations only and cells or offers that cannot snap are left out before the
query (:func:`_fast_nearest`); ``Router(reference=True)`` keeps the plain
path, which gives the same minutes (``tests/test_grid_speed.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Transformer

from erreichbarkeit.analysis.grid.cells import GRID_CRS
from erreichbarkeit.config import WGS84, ProgressCallback
from erreichbarkeit.errors import CRSError, InputDataError
from erreichbarkeit.network.matrix import access_minutes, check_points, with_access_legs
from erreichbarkeit.network.routing import Router, RouterLike, TablePool, durations_table
from erreichbarkeit.network.transit.router import TransitRouter

__all__ = ["grid_travel_times", "offer_minutes"]


def _centres_lonlat(cells: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    if cells.crs is None:
        msg = "grid cells have no CRS"
        raise CRSError(msg, expected=GRID_CRS, message_de="Rasterzellen ohne KBS")
    centre = shapely.centroid(cells.geometry.to_numpy())
    tf = Transformer.from_crs(cells.crs, WGS84, always_xy=True)
    lon, lat = tf.transform(shapely.get_x(centre), shapely.get_y(centre))
    return np.column_stack([lon, lat])


def _offer_lonlat(offers: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    return np.column_stack([offers.geometry.x.to_numpy(), offers.geometry.y.to_numpy()])


def _routed_minutes(
    router: RouterLike,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    *,
    cutoff_minutes: float,
    max_snap_m: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Minutes (NaN beyond cutoff/unrouted, same rules as matrix.travel_times) and source snap.

    The access legs of both ends (cell centre and offer to the network) are
    added at the router's access speed before the cutoff, as in the long table.
    """
    res = router.table(src, dst, max_sources_per_query=max(len(src), 1))
    minutes, _ = with_access_legs(res, router.access_kmh)
    ok = (res.source_snap_m <= max_snap_m)[:, None] & (res.destination_snap_m <= max_snap_m)[None]
    minutes[~(ok & (minutes <= cutoff_minutes))] = np.nan
    return minutes, res.source_snap_m


def grid_travel_times(
    cells: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    routers: Mapping[str, RouterLike],
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    cutoff_minutes: float,
    max_snap_m: float,
    chunk_size: int = 2000,
    progress: ProgressCallback | None = None,
) -> gpd.GeoDataFrame:
    """Minutes from every cell centre to the nearest offer per category and mode.

    The routing follows :func:`erreichbarkeit.network.matrix.travel_times` (same
    snapping, access-leg and cutoff rules) but queries the routers directly and reduces
    each chunk of origins to the per-category minimum at once: the long table
    of 10⁵ cells × 10³ offers (10⁸ rows) is never built.

    Parameters
    ----------
    cells
        Grid cells (:func:`~erreichbarkeit.analysis.grid.build_grid`); their
        polygon centroids are the origins.
    offers
        Offers contract (unique ``id``, ``category``, points).
    routers
        One router per mode.
    categories, modes
        What to compute; categories without offers give NaN columns.
    cutoff_minutes
        Minutes above this (access legs included) count as unreachable (NaN).
    max_snap_m
        Cells or offers further than this from the mode's network are not
        routed (their minutes are NaN).
    chunk_size
        Origins per OSRM table query.
    progress
        ``progress("Reisezeiten Raster", done, total)`` per chunk.

    Notes
    -----
    For an OSRM :class:`~erreichbarkeit.network.routing.Router` the chunks
    go to ``router.workers`` processes, only cells and offers that snap are
    routed and the tables carry durations only; the minutes are those of the
    plain path (``Router(..., reference=True)``), which the tests compare.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cells`` with ``snap_m_<mode>`` and ``<cat>_<mode>_min``.

    Raises
    ------
    InputDataError, CRSError
        Invalid offers or cells without CRS.
    """
    offers = check_points(offers, "offers")
    src = _centres_lonlat(cells)
    by_cat = {c: np.flatnonzero(offers["category"].to_numpy() == c) for c in categories}
    used = np.unique(np.concatenate([*by_cat.values(), np.array([], dtype=np.int64)]))
    dst = _offer_lonlat(offers)[used]
    pos = {c: np.searchsorted(used, idx) for c, idx in by_cat.items()}
    out = cells.copy()
    n_chunks = len(range(0, len(cells), chunk_size))
    new: dict[str, npt.NDArray[np.float64]] = {}
    with TablePool(_pool_size(routers, modes)) as pool:
        for i, mode in enumerate(modes):
            result, snap = _nearest_minutes(
                routers[mode], src, dst, pos, chunk_size=chunk_size,
                cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m, progress=progress,
                chunks=(i * n_chunks, len(modes) * n_chunks), pool=pool,
            )  # fmt: skip
            new[f"snap_m_{mode}"] = np.round(snap, 1)
            for cat in categories:
                new[f"{cat}_{mode}_min"] = result[cat]
    out = out.drop(columns=[c for c in new if c in out.columns])
    out = pd.concat([out, pd.DataFrame(new, index=out.index)], axis=1)
    return gpd.GeoDataFrame(out, geometry=cells.geometry.name, crs=cells.crs)


def _pool_size(routers: Mapping[str, RouterLike], modes: Sequence[str]) -> int:
    """Worker processes for the grid's table chunks: the largest ``workers`` of the OSRM routers.

    Every :class:`Router` takes its ``workers`` from
    :func:`erreichbarkeit.config.parallel.worker_cap`; 1 means no pool.
    """
    sizes = [r.workers for m in modes if isinstance(r := routers[m], Router) and not r.reference]
    return max(sizes, default=1)


def _nearest_minutes(
    router: RouterLike,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    pos: Mapping[str, npt.NDArray[np.intp]],
    *,
    chunk_size: int,
    cutoff_minutes: float,
    max_snap_m: float,
    progress: ProgressCallback | None,
    chunks: tuple[int, int],
    pool: TablePool | None = None,
) -> tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    """One mode: minutes to the nearest offer per category (columns ``pos`` of ``dst``), snap.

    ``chunks`` is ``(chunks done before this mode, chunks of all modes)`` for
    the progress report, which is called once per chunk.  An OSRM
    :class:`Router` (not in reference mode) goes the fast way
    (:func:`_fast_nearest`) when ``pool`` is given.
    """
    if (
        pool is not None
        and isinstance(router, Router)
        and not router.reference
        and len(dst)
        and len(src)
    ):
        return _fast_nearest(
            router, src, dst, pos, chunk_size=chunk_size, cutoff_minutes=cutoff_minutes,
            max_snap_m=max_snap_m, progress=progress, chunks=chunks, pool=pool,
        )  # fmt: skip
    n = len(src)
    result = {c: np.full(n, np.nan) for c in pos}
    snap = np.full(n, np.nan)
    done, total = chunks
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        if len(dst) and isinstance(router, TransitRouter):
            part, snap[start:stop] = _transit_nearest(
                router, src[start:stop], dst, pos, cutoff_minutes=cutoff_minutes,
                max_snap_m=max_snap_m,
            )  # fmt: skip
            for cat, values in part.items():
                result[cat][start:stop] = values
        elif len(dst):
            minutes, snap[start:stop] = _routed_minutes(
                router, src[start:stop], dst, cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m
            )
            for cat, cols in pos.items():
                if len(cols):
                    # fmin ignores NaN and gives NaN only where every offer is NaN
                    result[cat][start:stop] = np.fmin.reduce(minutes[:, cols], axis=1)
        done += 1
        if progress:
            progress("Reisezeiten Raster", done, total)
    return result, snap


def _snaps(
    router: Router,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    pool: TablePool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """OSRM's snap distance of every cell centre and every offer.

    A table to one destination: OSRM snaps each coordinate on its own (the
    nearest segment of the routable network, whatever the other
    coordinates), so these are the very distances the full table reports,
    for a small part of its cost.  An OSRM ``nearest`` request per cell would
    give the same but costs one Python call per cell.
    """
    base, algo = str(router.network.base), router.network.algorithm
    step = 20_000
    parts = [src[i : i + step] for i in range(0, len(src), step)]
    answers = list(pool.map(base, algo, parts, dst[:1]))
    src_snap = np.concatenate([a.source_snap_m for a in answers])
    dst_snap = durations_table(base, algo, src[:1], dst).destination_snap_m
    return src_snap, dst_snap


def _fast_nearest(
    router: Router,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    pos: Mapping[str, npt.NDArray[np.intp]],
    *,
    chunk_size: int,
    cutoff_minutes: float,
    max_snap_m: float,
    progress: ProgressCallback | None,
    chunks: tuple[int, int],
    pool: TablePool,
) -> tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    """:func:`_nearest_minutes` for an OSRM router, with the same minutes, faster.

    Only cells and offers that snap within ``max_snap_m`` are routed (the
    others are NaN in the reference path too), tables carry durations only,
    and the chunks go to the worker processes of ``pool``.  The minutes are
    computed with the very expressions of :func:`_routed_minutes`.
    """
    n = len(src)
    result = {c: np.full(n, np.nan) for c in pos}
    src_snap, dst_snap = _snaps(router, src, dst, pool)
    routed_dst = np.flatnonzero(dst_snap <= max_snap_m)
    bounds = [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]
    # a grid of fewer chunks than workers is split further, so that every worker has one
    split = -(-pool.workers // len(bounds))
    rows = [
        [
            p
            for p in np.array_split(a + np.flatnonzero(src_snap[a:b] <= max_snap_m), split)
            if len(p)
        ]
        for a, b in bounds
    ]
    todo = [p for parts in rows for p in parts] if len(routed_dst) else []
    answers = pool.map(
        str(router.network.base), router.network.algorithm, [src[p] for p in todo], dst[routed_dst]
    )
    done, total = chunks
    for parts in rows:
        for idx in parts if len(routed_dst) else []:
            seconds = next(answers).seconds
            snap = src_snap[idx][:, None] + dst_snap[routed_dst][None, :]
            minutes = np.full((len(idx), len(dst)), np.nan)
            minutes[:, routed_dst] = seconds / 60.0 + access_minutes(snap, router.access_kmh)
            minutes[~(minutes <= cutoff_minutes)] = np.nan
            for cat, cols in pos.items():
                if len(cols):
                    result[cat][idx] = np.fmin.reduce(minutes[:, cols], axis=1)
        done += 1
        if progress:
            progress("Reisezeiten Raster", done, total)
    return result, src_snap


def _transit_nearest(
    router: TransitRouter,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    pos: Mapping[str, npt.NDArray[np.intp]],
    *,
    cutoff_minutes: float,
    max_snap_m: float,
) -> tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    """Bus & Bahn to the nearest offer per category, per stop (see ``nearest_by_category``).

    The cell's own snapping leg is added at walking speed and the cutoff
    applied, as for the road modes; the offer's snapping leg is already in.
    """
    per_cat, snap = router.nearest_by_category(src, dst, pos, max_sources_per_query=len(src))
    leg = access_minutes(snap, router.access_kmh)
    ok = snap <= max_snap_m
    out = {}
    for cat, minutes in per_cat.items():
        total = minutes + leg
        total[~ok | ~(total <= cutoff_minutes)] = np.nan
        out[cat] = total
    return out, snap


def _transit_offer_minutes(
    router: TransitRouter,
    src: npt.NDArray[np.float64],
    dst: npt.NDArray[np.float64],
    categories: Sequence[str],
    *,
    cutoff_minutes: float,
    max_snap_m: float,
) -> npt.NDArray[np.float64]:
    """Bus & Bahn minutes from cells to each offer: every offer is its own group.

    One timetable query per stop and offer (in the offer's category window)
    instead of one per cell and offer, as for the nearest offer per category.
    """
    groups = {str(k): np.array([k]) for k in range(len(dst))}
    windows = {
        str(k): router.windows.get(c, router.default_window) for k, c in enumerate(categories)
    }
    per, snap = router.nearest_by_category(
        src, dst, groups, max_sources_per_query=len(src), group_windows=windows
    )
    total = np.column_stack([per[str(k)] for k in range(len(dst))])
    total = total + access_minutes(snap, router.access_kmh)[:, None]
    total[~(snap <= max_snap_m)] = np.nan
    total[~(total <= cutoff_minutes)] = np.nan
    return total


def offer_minutes(
    cells: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    router: RouterLike,
    *,
    offer_ids: Sequence[str] | None = None,
    cutoff_minutes: float,
    max_snap_m: float,
    chunk_size: int = 5000,
) -> pd.DataFrame:
    """Minutes from every cell to each of a few selected offers (one mode).

    For the bands around offers chosen in the dashboard: a compact
    cells × offers table, computed on demand (OSRM answers 30 000 × 5 in well
    under a second), instead of keeping every cell–offer pair of the run.

    Parameters
    ----------
    cells
        Grid cells with ``cell_id``.
    offers
        Offers contract.
    router
        The router of the mode.
    offer_ids
        Offers to route to (``None`` = all offers).
    cutoff_minutes, max_snap_m
        As in :func:`grid_travel_times`.
    chunk_size
        Origins per OSRM table query.

    Returns
    -------
    pandas.DataFrame
        Index ``cell_id``, one float32 column of minutes per offer id (NaN =
        not reachable within the cutoff).

    Raises
    ------
    InputDataError
        An id in ``offer_ids`` that is not an offer.
    """
    offers = check_points(offers, "offers")
    if offer_ids is not None:
        ids = [str(i) for i in offer_ids]
        known = set(offers["id"].astype(str))
        unknown = [i for i in ids if i not in known]
        if unknown:
            msg = f"unknown offer id(s): {', '.join(unknown[:5])}"
            raise InputDataError(
                msg, column="id", message_de=f"Unbekannte Angebots-ID: {', '.join(unknown[:5])}"
            )
        offers = offers.set_index(offers["id"].astype(str)).loc[ids].reset_index(drop=True)
    src = _centres_lonlat(cells)
    dst = _offer_lonlat(offers)
    table = np.full((len(cells), len(offers)), np.nan, dtype="float32")
    for start in range(0, len(cells), chunk_size):
        stop = min(start + chunk_size, len(cells))
        if len(dst) and isinstance(router, TransitRouter):
            table[start:stop] = _transit_offer_minutes(
                router, src[start:stop], dst, offers["category"].astype(str).to_list(),
                cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m,
            )  # fmt: skip
        elif len(dst):
            minutes, _ = _routed_minutes(
                router, src[start:stop], dst, cutoff_minutes=cutoff_minutes, max_snap_m=max_snap_m
            )
            table[start:stop] = minutes
    return pd.DataFrame(
        table,
        index=pd.Index(cells["cell_id"].astype(str).to_numpy(), name="cell_id"),
        columns=offers["id"].astype(str).to_list(),
    )
