"""The Bus & Bahn step of a run: village columns, the way home, the Gemeinde summary."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from erreichbarkeit.analysis.transit import gemeinde_transit, return_trip_columns, transit_columns
from erreichbarkeit.config import Settings
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.network.transit.router import TransitRouter
from erreichbarkeit.results import Inputs

__all__ = ["AFTERNOON_MIN", "transit_indicators"]

#: A category whose departure window starts at or after this time (minutes
#: after midnight) is an afternoon offer: its villages get the return-trip check.
AFTERNOON_MIN = 12 * 60


def transit_indicators(
    settings: Settings,
    routers: Mapping[str, RouterLike],
    data: Inputs,
    villages: pd.DataFrame,
    *,
    transit: pd.DataFrame,
    categories: tuple[str, ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The village table with its Bus & Bahn columns, and the Gemeinde summary.

    Returns the village table unchanged and an empty summary without ``pt``.
    """
    router = routers.get("pt")
    if "pt" not in settings.modes or not isinstance(router, TransitRouter):
        return villages, pd.DataFrame()
    out = transit_columns(villages, transit, categories, with_car="car" in settings.modes)
    trips = {
        cat: _way_home(settings, router, data, out, cat)
        for cat in categories
        if settings.pt_window(cat)[0] >= AFTERNOON_MIN
    }
    out = return_trip_columns(out, trips, home_by=settings.transit.home_by)
    table = settings.categories()
    ages = {c: table[c].age_groups for c in categories}
    gem = gemeinde_transit(out, categories, ages) if "gemeinde" in out else pd.DataFrame()
    return out, gem


def _way_home(
    settings: Settings,
    router: TransitRouter,
    data: Inputs,
    villages: pd.DataFrame,
    cat: str,
) -> pd.DataFrame:
    """``origin_id, home_min`` for the villages that reach an offer of ``cat``.

    The trip leaves home at the start of the category's window (the most
    favourable case), stays ``transit.stay_min`` at the nearest offer and
    takes the first trip back.
    """
    reached = villages[villages[f"{cat}_pt_min"].notna()]
    if not len(reached):
        return pd.DataFrame({"origin_id": [], "home_min": []})
    offers = data.offers.set_index(data.offers["id"].astype(str))
    target = offers.loc[reached[f"{cat}_pt_nearest_id"].astype(str)]
    homes = np.column_stack([reached.geometry.x, reached.geometry.y])
    xy = np.column_stack([target.geometry.x, target.geometry.y])
    n = len(reached)
    asked = pd.DataFrame(
        {"origin": np.arange(n), "destination": np.arange(n),
         "start_min": settings.pt_window(cat)[0]}
    )  # fmt: skip
    res = router.round_trips(homes, xy, asked, stay_min=settings.transit.stay_min)
    return pd.DataFrame(
        {"origin_id": reached["id"].astype(str).to_numpy(), "home_min": res["home_min"].to_numpy()}
    )
