"""The 2SFCA tables of a run: every category × mode, per village and Gemeinde.

:func:`supply_tables` applies the classic 2SFCA of
:mod:`erreichbarkeit.analysis.supply` to every category and mode of the
settings and summarises it per Gemeinde (:func:`supply_by_gemeinde`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.analysis.age_offers import restricted_categories, served_groups
from erreichbarkeit.analysis.supply import fca_tables, village_demand
from erreichbarkeit.config import Settings, age_column

__all__ = ["supply_by_gemeinde", "supply_tables"]


def supply_by_gemeinde(
    village_access: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    demand_column: str | Sequence[str],
    offer_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Gemeinde summary of :func:`~erreichbarkeit.analysis.supply.two_step_fca`.

    Parameters
    ----------
    village_access
        Output of :func:`~erreichbarkeit.analysis.supply.two_step_fca` (``id``,
        ``access``; ``attrs["per"]`` is used as the scale, default 1000).
    villages
        ``id``, ``ags``, ``gemeinde`` and the demand column(s).
    demand_column
        The same demand column(s) as for
        :func:`~erreichbarkeit.analysis.supply.two_step_fca`.
    offer_table
        Optional output of :func:`~erreichbarkeit.analysis.supply.offer_ratios`
        with an ``ags`` column (the Gemeinde each offer lies in); adds the
        classic container ratio of the places located in the Gemeinde.

    Returns
    -------
    pandas.DataFrame
        One row per ``(ags, gemeinde)``, sorted by ``ags``: ``n_villages``;
        ``demand`` (``Σ D_i``); ``supply_allocated`` (``Σ A_i·D_i / per``:
        the places the 2SFCA shares out to the Gemeinde's children, wherever
        the offers lie — with ``W = 1`` these add up to the total supply
        over all Gemeinden); ``access_mean`` (demand-weighted mean of
        ``A_i`` = ``supply_allocated / demand · per``, places per ``per``
        children; NaN when the demand is 0); ``access_min`` and
        ``access_max`` over villages with demand; ``n_villages_without_access``
        and ``demand_without_access`` (``A_i = 0``); ``supply_basis``; and,
        with ``offer_table``, ``supply_located`` (``Σ S_j`` of offers in
        the Gemeinde) and ``located_per`` (``supply_located / demand · per``,
        ignoring that families cross Gemeinde borders).

    Raises
    ------
    MissingColumnError
        A needed column is missing.
    """
    require_columns(village_access, ["id", "access"], "village access")
    require_columns(villages, ["id", "ags", "gemeinde"], "villages")
    per = float(village_access.attrs.get("per", 1000.0))
    demand = village_demand(villages, demand_column)
    acc = village_access.assign(id=village_access["id"].astype(str)).set_index("id")["access"]
    table = pd.DataFrame(
        {
            "ags": villages["ags"].to_numpy(),
            "gemeinde": villages["gemeinde"].to_numpy(),
            "demand": demand.to_numpy(),
            "access": demand.index.to_series().map(acc).to_numpy("float64"),
        }
    )
    table["allocated"] = table["access"] * table["demand"] / per
    rows = [
        _gemeinde_row(ags, gem, g, per)
        for (ags, gem), g in table.groupby(["ags", "gemeinde"], sort=True, dropna=False)
    ]
    out = pd.DataFrame(rows)
    out["supply_basis"] = str(village_access.attrs.get("supply_basis", ""))
    if offer_table is not None:
        require_columns(offer_table, ["ags", "supply"], "offer ratios")
        located = offer_table.groupby("ags")["supply"].sum()
        out["supply_located"] = out["ags"].map(located).fillna(0.0).astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out["located_per"] = np.where(
                out["demand"] > 0, out["supply_located"] / out["demand"] * per, np.nan
            )
    out.attrs = {"per": per, "supply_basis": out["supply_basis"].iloc[0] if len(out) else ""}
    return out


def _gemeinde_row(ags: Any, gem: Any, g: pd.DataFrame, per: float) -> dict[str, Any]:
    """The summary of one Gemeinde's villages (``demand``, ``access``, ``allocated``)."""
    dem = float(g["demand"].sum())
    with_demand = g[g["demand"] > 0]
    none = g["access"].fillna(0.0) <= 0
    return {
        "ags": ags,
        "gemeinde": gem,
        "n_villages": len(g),
        "demand": dem,
        "supply_allocated": float(g["allocated"].sum()),
        "access_mean": float(g["allocated"].sum()) / dem * per if dem > 0 else math.nan,
        "access_min": float(with_demand["access"].min()) if len(with_demand) else math.nan,
        "access_max": float(with_demand["access"].max()) if len(with_demand) else math.nan,
        "n_villages_without_access": int(none.sum()),
        "demand_without_access": float(g.loc[none, "demand"].sum()),
    }


def _served_columns(
    offers: pd.DataFrame, category: str, groups: Sequence[str]
) -> dict[str, list[str]] | None:
    """Offer id → the demand columns it serves, ``None`` when all serve every group."""
    sub = offers[offers["category"] == category]
    if category not in restricted_categories(sub, {category: groups}):
        return None
    return {
        str(oid): [age_column(g) for g in groups if g in mine]
        for oid, mine in zip(sub["id"], served_groups(sub, {category: groups}), strict=True)
    }


def supply_tables(
    travel_times: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    settings: Settings,
    categories: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2SFCA places per 1 000 children per village and Gemeinde, every category × mode.

    Demand: the children of the category's age groups; an offer serving
    only some of them (its ``serves``, :mod:`erreichbarkeit.analysis.age_offers`)
    is demanded by the children of those groups only (``served`` of
    :func:`~erreichbarkeit.analysis.supply.fca_tables`).  Catchment: the
    category's threshold for the mode (classic 2SFCA, ``W = 1``).  Where an
    offer of the category has no capacity, all its offers count as 1 and the
    ``supply_note`` says so (see above).
    """
    table = settings.categories()
    located = offers[["id", "geometry"]]
    if len(boundaries):
        joined = gpd.sjoin(located, boundaries[["ags", "geometry"]], how="left", predicate="within")
        offer_ags = joined[~joined.index.duplicated()]["ags"]
    else:
        offer_ags = pd.Series(pd.NA, index=offers.index)
    village_rows: list[pd.DataFrame] = []
    gemeinde_rows: list[pd.DataFrame] = []
    for cat in categories:
        demand = [age_column(g) for g in table[cat].age_groups]
        served = _served_columns(offers, cat, table[cat].age_groups)
        for mode in settings.modes:
            kwargs: dict[str, Any] = {
                "category": cat, "mode": mode, "threshold": settings.threshold(cat, mode),
                "demand_column": demand, "served": served,
            }  # fmt: skip
            access, ratios = fca_tables(travel_times, villages, offers, **kwargs)
            ratios = ratios.assign(
                ags=ratios["id"].map(dict(zip(offers["id"], offer_ags, strict=True)))
            )
            gem = supply_by_gemeinde(access, villages, demand_column=demand, offer_table=ratios)
            village_rows.append(access.assign(category=cat, mode=mode))
            gemeinde_rows.append(gem.assign(category=cat, mode=mode))
    first = ["category", "mode"]

    def ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames, ignore_index=True)
        return out[first + [c for c in out.columns if c not in first]]

    return ordered(village_rows), ordered(gemeinde_rows)
