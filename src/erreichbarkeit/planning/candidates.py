"""Candidate sites for new offers and the villages' travel times to them.

The inputs of :func:`erreichbarkeit.planning.locations.suggest_locations`:
the villages themselves and/or the user's own sites as candidates
(:func:`candidate_sites`), routed from every village
(:func:`candidate_travel_times`), and the demand of a category's age groups
(:func:`with_demand_column`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import WGS84, Category, age_column
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.network.matrix import check_points
from erreichbarkeit.network.matrix import travel_times as _matrix_travel_times
from erreichbarkeit.network.routing import RouterLike

__all__ = ["candidate_sites", "candidate_travel_times", "with_demand_column"]


def with_demand_column(
    villages: pd.DataFrame, category: Category, age_groups: Sequence[str] | None = None
) -> tuple[pd.DataFrame, str]:
    """The villages with one demand column for the category's (or the given) age groups.

    ``age_groups`` (default: the category's) are the groups summed, e.g.
    ``("0-3",)`` for the dashboard's age group instead of a Kita's 0–6.

    The column is named ``children_<lo>_<hi>`` when the age groups are
    contiguous (the model's German text then reads "Kinder lo–hi Jahre"),
    else ``demand``.  Villages outside the analysis area (``in_area``
    False) get no demand: the suggestions serve the area's children, while
    those villages still count as routing origins.

    Returns
    -------
    tuple
        ``(villages with the column, its name)``.
    """
    groups = tuple(category.age_groups if age_groups is None else age_groups)
    if not groups:
        msg = "no age groups for the demand column"
        raise ConfigError(msg, column="age_groups", expected="e.g. 0-3")
    bounds = sorted((int(g.split("-")[0]), int(g.split("-")[1])) for g in groups)
    contiguous = all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    name = f"children_{bounds[0][0]}_{bounds[-1][1]}" if contiguous and bounds else "demand"
    out = villages.copy()
    out[name] = (
        out[[age_column(g) for g in groups]].apply(pd.to_numeric, errors="coerce").sum(axis=1)
    )
    if "in_area" in out.columns:  # villages outside the analysis area: no demand of the area
        out.loc[~out["in_area"].astype("boolean").fillna(False).to_numpy(bool), name] = 0.0
    return out, name


def candidate_sites(
    villages: gpd.GeoDataFrame | None = None,
    own: gpd.GeoDataFrame | None = None,
    *,
    prefix: str = "kandidat:",
) -> gpd.GeoDataFrame:
    """Candidate sites from the villages' points, own candidates, or both.

    Parameters
    ----------
    villages
        Villages (``id``, ``name``, Point geometry); each becomes a candidate
        with id ``prefix + id`` (so it cannot clash with an offer's id).  With
        an ``in_area`` column only the analysis area's villages do: the
        planners of the area build there (their own sites may lie anywhere).
    own
        The user's candidate sites (``id``, optional ``name``, Point
        geometry), ids kept as given.
    prefix
        Prefix of the candidate ids made from villages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name``, ``source`` (``"Ort"`` or ``"eigener Standort"``),
        geometry, EPSG:4326.

    Raises
    ------
    ConfigError
        If neither table is given.
    InputDataError
        Duplicate ids, non-point geometries or no CRS.
    """
    parts: list[gpd.GeoDataFrame] = []
    if villages is not None:
        v = check_points(villages, "villages")
        if "in_area" in v.columns:
            v = v[v["in_area"].astype("boolean").fillna(False).to_numpy(bool)]
        names = v["name"] if "name" in v.columns else v["id"]
        parts.append(
            gpd.GeoDataFrame(
                {"id": prefix + v["id"].astype(str), "name": names.astype(str), "source": "Ort"},
                geometry=v.geometry.to_numpy(),
                crs=WGS84,
            )
        )
    if own is not None:
        o = check_points(own, "candidates")
        names = o["name"] if "name" in o.columns else o["id"]
        parts.append(
            gpd.GeoDataFrame(
                {
                    "id": o["id"].astype(str),
                    "name": names.astype(str),
                    "source": "eigener Standort",
                },
                geometry=o.geometry.to_numpy(),
                crs=WGS84,
            )
        )
    if not parts:
        msg = "no candidate sites: pass villages and/or own candidates"
        raise ConfigError(
            msg,
            column="candidates",
            expected="villages and/or own candidate points",
            message_de="Keine Kandidatenstandorte angegeben",
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WGS84)
    return check_points(out, "candidates")


def candidate_travel_times(
    routers: Mapping[str, RouterLike],
    villages: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    mode: str,
    cutoff_minutes: float,
    max_snap_m: float,
) -> pd.DataFrame:
    """Minutes from each village to each candidate site (candidates as destinations).

    Parameters
    ----------
    routers
        One :class:`~erreichbarkeit.network.routing.Router` per mode (``mode`` must be a key).
    villages
        Villages (origins).
    candidates
        Candidate sites (:func:`candidate_sites`).
    mode
        The mode to route.
    cutoff_minutes, max_snap_m
        As for :func:`erreichbarkeit.network.matrix.travel_times`; candidates further
        than ``max_snap_m`` from the network get no rows (never suggested).

    Returns
    -------
    pandas.DataFrame
        The long table ``origin_id, destination_id, mode, minutes, km``.

    Raises
    ------
    ConfigError
        If there is no router for ``mode``.
    """
    if mode not in routers:
        msg = f"no router for mode {mode!r}"
        raise ConfigError(msg, column="mode", expected=", ".join(routers))
    result = _matrix_travel_times(
        routers,
        villages,
        candidates,
        cutoff_minutes=cutoff_minutes,
        max_snap_m=max_snap_m,
        modes=[mode],
    )
    return result.travel_times
