"""Bus & Bahn indicators: departures, transfers, the car factor and the way home.

Pure functions over the tables of a run (tested against hand-computed
values), in the spirit of pysal/access: the timetable details of the pairs
(:func:`erreichbarkeit.network.matrix.transit_details`) and the village
table (:func:`erreichbarkeit.analysis.indicators.village_table`) go in,
columns and small tables come out.

Per village and category (the nearest offer by Bus & Bahn):

* ``<cat>_pt_best_min`` – the fastest trip in the departure window;
* ``<cat>_pt_departures`` – usable departures in the window (0 = none);
* ``<cat>_pt_transfers`` – transfers of the fastest trip;
* ``<cat>_pt_walk_only`` – walking the whole way is at least as fast;
* ``<cat>_pt_factor`` – Bus & Bahn minutes ÷ car minutes to the nearest
  offer of each mode (NaN without both);
* ``<cat>_pt_status`` – German: „kein ÖPNV-Angebot im Zeitfenster“ (no
  departure, and walking alone does not arrive within the cutoff), „zu
  wenige Fahrten im Zeitfenster“ (departures, but more than half of the
  departure minutes have no trip within the cutoff), „nur zu Fuß
  erreichbar“, „Faktor über 2“ or empty.
* ``<cat>_pt_home_by`` / ``<cat>_pt_home_at`` – afternoon categories only:
  after the stay at the offer, home by the configured time (bool) and the
  arrival home as ``"HH:MM"`` (empty = no way back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns

__all__ = [
    "FACTOR_LIMIT",
    "NO_PT",
    "clock",
    "gemeinde_transit",
    "return_trip_columns",
    "transit_columns",
]

#: A village whose Bus & Bahn trip takes more than this many times the car trip is named.
FACTOR_LIMIT = 2.0
#: The German status of a village without a usable departure in the window.
NO_PT = "kein ÖPNV-Angebot im Zeitfenster"
_WALK_ONLY = "nur zu Fuß erreichbar"
_SLOW = "Faktor über 2 (Bus & Bahn gegenüber Auto)"
_RARE = "zu wenige Fahrten im Zeitfenster (Median über der Grenze)"


def transit_columns(
    villages: pd.DataFrame,
    transit: pd.DataFrame,
    categories: Sequence[str],
    *,
    with_car: bool = True,
) -> pd.DataFrame:
    """The Bus & Bahn columns of the village table (see the module docstring).

    Parameters
    ----------
    villages
        The village table with ``id`` and ``<cat>_pt_min``,
        ``<cat>_pt_nearest_id`` (and ``<cat>_car_min`` when ``with_car``).
    transit
        ``origin_id, destination_id, best_min, departures, transfers, walk_only``.
    categories
        Categories to add columns for.
    with_car
        Whether the run has car minutes (for the factor).

    Returns
    -------
    pandas.DataFrame
        A copy of ``villages`` with the new columns after the existing ones.
    """
    require_columns(villages, ("id",), "villages")
    details = transit.set_index(["origin_id", "destination_id"]) if len(transit) else None
    out = villages.copy()
    new: dict[str, Any] = {}
    for cat in categories:
        new.update(_category_columns(out, details, cat, with_car=with_car))
    extra = pd.DataFrame(new, index=out.index)
    return pd.concat([out.drop(columns=[c for c in new if c in out]), extra], axis=1)


def _category_columns(
    villages: pd.DataFrame, details: pd.DataFrame | None, cat: str, *, with_car: bool
) -> dict[str, Any]:
    """The Bus & Bahn columns of one category."""
    p = f"{cat}_pt"
    minutes = villages[f"{p}_min"].to_numpy(dtype=float)
    key = pd.MultiIndex.from_arrays(
        [villages["id"].astype(str), villages[f"{p}_nearest_id"].astype(str)]
    )

    def pick(col: str, fill: float) -> np.ndarray[Any, Any]:
        if details is None:
            return np.full(len(villages), fill, dtype=float)
        return details[col].reindex(key).to_numpy(dtype=float)

    best = np.where(np.isfinite(minutes), pick("best_min", np.nan), np.nan)
    departures = np.nan_to_num(pick("departures", 0.0), nan=0.0).astype(int)
    transfers = pick("transfers", -1.0)
    # a pair the timetable was not asked for (no stop near) is reached on foot, if at all
    walk_only = np.where(np.isnan(pick("departures", np.nan)), True, pick("walk_only", 1.0) > 0)
    walk_only = walk_only & np.isfinite(minutes)
    best = np.where(walk_only & np.isnan(best), minutes, best)
    factor = np.full(len(villages), np.nan)
    if with_car and f"{cat}_car_min" in villages:
        car = villages[f"{cat}_car_min"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(car > 0, minutes / car, np.nan)
    reached = np.isfinite(minutes)
    status = np.select(
        [~reached & (departures == 0), ~reached, walk_only, factor > FACTOR_LIMIT],
        [NO_PT, _RARE, _WALK_ONLY, _SLOW],
        default="",
    )
    return {
        f"{p}_best_min": best,
        f"{p}_departures": departures,
        f"{p}_transfers": np.where(departures > 0, np.nan_to_num(transfers, nan=-1), -1).astype(
            int
        ),
        f"{p}_walk_only": walk_only.astype(bool),
        f"{p}_factor": np.round(factor, 2),
        f"{p}_status": status,
    }


def return_trip_columns(
    villages: pd.DataFrame,
    trips: Mapping[str, pd.DataFrame],
    *,
    home_by: int,
) -> pd.DataFrame:
    """``<cat>_pt_home_at`` and ``<cat>_pt_home_by`` from the return-trip answers.

    Parameters
    ----------
    villages
        The village table with ``id``.
    trips
        Per afternoon category: ``origin_id`` (village), ``home_min``
        (arrival home, minutes after midnight; NaN = no way back within
        the cutoff).
    home_by
        Latest arrival home (minutes after midnight).

    Returns
    -------
    pandas.DataFrame
        A copy of ``villages`` with two columns per category in ``trips``;
        villages not asked (no offer reachable) get NaN and ``False``.
    """
    out = villages.copy()
    ids = out["id"].astype(str)
    for cat, table in trips.items():
        home = ids.map(table.set_index(table["origin_id"].astype(str))["home_min"])
        out[f"{cat}_pt_home_at"] = [clock(v) for v in home.astype(float)]
        out[f"{cat}_pt_home_by"] = (home <= home_by).fillna(False).astype(bool).to_numpy()
    return out


def clock(minutes: float) -> str:
    """Minutes after midnight as ``"HH:MM"`` (rounded up; empty for NaN).

    Examples
    --------
    >>> clock(1139.2)
    '19:00'
    >>> clock(float("nan"))
    ''
    """
    if not np.isfinite(minutes):
        return ""
    m = int(np.ceil(minutes - 1e-9))
    return f"{m // 60:02d}:{m % 60:02d}"


def gemeinde_transit(
    villages: pd.DataFrame,
    categories: Sequence[str],
    age_groups: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Per Gemeinde and category: the car factor and the villages without Bus & Bahn.

    Parameters
    ----------
    villages
        Village table with ``gemeinde``, ``name``, the children columns and
        the columns of :func:`transit_columns`.
    categories
        Categories to summarise.
    age_groups
        The age groups of each category; their children weight the factor.

    Returns
    -------
    pandas.DataFrame
        ``gemeinde, category, factor_median`` (children-weighted median of
        the villages' factors, villages without Bus & Bahn counted as beyond
        every factor), ``n_villages, villages_no_pt, villages_factor_over_2,
        children_total, children_no_pt`` and ``names_no_pt`` (German list).
    """
    require_columns(villages, ("gemeinde", "name"), "villages")
    rows = []
    for cat in categories:
        cols = [f"children_{g.replace('-', '_')}" for g in age_groups.get(cat, ())]
        weight = villages[cols].sum(axis=1) if cols else pd.Series(1.0, index=villages.index)
        frame = pd.DataFrame(
            {
                "gemeinde": villages["gemeinde"],
                "name": villages["name"],
                "w": weight.to_numpy(dtype=float),
                "factor": villages[f"{cat}_pt_factor"].to_numpy(dtype=float),
                "no_pt": (villages[f"{cat}_pt_status"] == NO_PT).to_numpy(),
            }
        )
        for gem, g in frame.groupby("gemeinde", sort=True):
            rows.append(_gemeinde_row(str(gem), cat, g))
    return pd.DataFrame(rows)


def _gemeinde_row(gemeinde: str, cat: str, g: pd.DataFrame) -> dict[str, Any]:
    """One Gemeinde × category row of :func:`gemeinde_transit`."""
    factor = g["factor"].fillna(np.inf).to_numpy()  # no trip: beyond every factor
    order = np.argsort(factor, kind="stable")
    w = g["w"].to_numpy()[order]
    cum = np.cumsum(w)
    median = float(factor[order][np.searchsorted(cum, cum[-1] / 2.0)]) if cum[-1] > 0 else np.nan
    return {
        "gemeinde": gemeinde,
        "category": cat,
        "factor_median": round(median, 2) if np.isfinite(median) else np.nan,
        "n_villages": len(g),
        "villages_no_pt": int(g["no_pt"].sum()),
        "villages_factor_over_2": int((g["factor"] > FACTOR_LIMIT).sum()),
        "children_total": round(float(g["w"].sum()), 1),
        "children_no_pt": round(float(g.loc[g["no_pt"], "w"].sum()), 1),
        "names_no_pt": ", ".join(sorted(g.loc[g["no_pt"], "name"].astype(str))),
    }
