"""Supply (2SFCA) and demand of one chosen age group within a category's target group.

The run's supply tables (:func:`erreichbarkeit.analysis.supply_tables.supply_tables`)
cover each category's whole target group (Kita: children 0–6).  The
dashboard shows one age group at a time (0–3), so its pages need:

* :func:`target_groups` — the age groups whose children compete for the
  category's places: the category's groups, plus the chosen group when some
  offer of the category names it in its ``serves``;
* :func:`serves_group` — whether the category serves the chosen group at
  all (a Jugendzentrum does not serve 0–3: no figures, a German note);
* :func:`group_supply_tables` — the 2SFCA per village and Gemeinde for the
  chosen groups, in the format of ``results.supply`` /
  ``results.supply_gemeinden``.  All children of the target group still
  compete for the places in step 1; only the village side is reported for
  the chosen groups (``village_columns`` of
  :func:`~erreichbarkeit.analysis.supply.fca_tables`).  Counting the chosen
  group alone against all places would hand the places of the 3–6-year-olds
  to the under-threes.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis.age_offers import served_groups
from erreichbarkeit.analysis.supply import fca_tables
from erreichbarkeit.analysis.supply_tables import supply_by_gemeinde
from erreichbarkeit.config import Category, Settings, age_column
from erreichbarkeit.errors import ConfigError

__all__ = ["group_supply_tables", "serves_group", "serving_offer_ids", "target_groups"]


def _category_offers(offers: pd.DataFrame, category: str) -> pd.DataFrame:
    return offers[offers["category"].astype(str) == category]


def _offer_groups(offers: pd.DataFrame, category: str, cat: Category) -> list[tuple[str, ...]]:
    """The age groups each offer of the category serves (its ``serves``, else the category's)."""
    sub = _category_offers(offers, category)
    return served_groups(sub, {category: cat.age_groups})


def target_groups(
    offers: pd.DataFrame, category: str, cat: Category, age_group: str
) -> tuple[str, ...]:
    """The age groups competing for the category's places when ``age_group`` is shown.

    The category's ``age_groups``, and ``age_group`` appended when it is not
    among them but some offer of the category serves it.
    """
    groups = tuple(cat.age_groups)
    if age_group in groups:
        return groups
    if any(age_group in g for g in _offer_groups(offers, category, cat)):
        return (*groups, age_group)
    return groups


def serves_group(offers: pd.DataFrame, category: str, cat: Category, age_group: str) -> bool:
    """Whether the category serves ``age_group`` (by its age groups or an offer's ``serves``)."""
    return age_group in target_groups(offers, category, cat, age_group)


def serving_offer_ids(
    offers: pd.DataFrame, category: str, cat: Category, age_groups: Sequence[str]
) -> list[str]:
    """Ids of the category's offers serving at least one of ``age_groups``.

    An offer without ``serves`` serves the category's age groups.  With the
    category's whole target group this is every offer of the category.
    """
    sub = _category_offers(offers, category)
    wanted = set(age_groups)
    return [
        str(i)
        for i, groups in zip(sub["id"], _offer_groups(offers, category, cat), strict=True)
        if wanted & set(groups)
    ]


def _served(
    offers: pd.DataFrame, category: str, cat: Category, pool: Sequence[str]
) -> dict[str, list[str]] | None:
    """Offer id → the demand columns (of ``pool``) it serves; ``None`` when all serve all."""
    sub = _category_offers(offers, category)
    mine = _offer_groups(offers, category, cat)
    out = {
        str(oid): [age_column(g) for g in pool if g in groups]
        for oid, groups in zip(sub["id"], mine, strict=True)
    }
    every = [age_column(g) for g in pool]
    return None if all(v == every for v in out.values()) else out


def _offer_ags(offers: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> dict[str, object]:
    """Offer id → the AGS of the Gemeinde polygon it lies in (as the pipeline's tables)."""
    if not len(boundaries) or not len(offers):
        return {}
    joined = gpd.sjoin(
        offers[["id", "geometry"]], boundaries[["ags", "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated()]
    return dict(zip(joined["id"].astype(str), joined["ags"], strict=True))


def group_supply_tables(
    travel_times: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    settings: Settings,
    category: str,
    mode: str,
    age_groups: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 2SFCA of one category and mode reported for ``age_groups``.

    Parameters
    ----------
    travel_times, villages, offers, boundaries
        The run's tables (``results.travel_times`` …).
    settings
        The run's settings (category table, threshold of the category and mode).
    category, mode
        The choice.
    age_groups
        The groups to report (``("0-3",)``); each must be among
        :func:`target_groups` of the category.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(villages, gemeinden)`` with the columns of ``results.supply`` and
        ``results.supply_gemeinden`` (``category``, ``mode`` first);
        ``demand`` counts the children of ``age_groups``, ``access`` their
        places per 1 000 children, and ``supply_located`` the places of the
        offers in the Gemeinde that serve one of ``age_groups``.

    Raises
    ------
    ConfigError
        An age group the category does not serve (German message).
    """
    cat = settings.categories()[category]
    extra = [
        g
        for g in dict.fromkeys(age_groups)
        if g not in cat.age_groups and serves_group(offers, category, cat, g)
    ]
    pool = (*cat.age_groups, *extra)
    missing = [g for g in age_groups if g not in pool]
    if missing or not age_groups:
        msg = f"category {category!r} does not serve the age groups {missing}"
        raise ConfigError(
            msg,
            column="age_groups",
            expected=", ".join(pool),
            message_de=f"{cat.label} richtet sich nicht an die Altersgruppe "
            f"{', '.join(g.replace('-', '–') for g in missing)}",
        )
    demand = [age_column(g) for g in pool]
    report = [age_column(g) for g in age_groups]
    access, ratios = fca_tables(
        travel_times, villages, offers, category=category, mode=mode,
        threshold=settings.threshold(category, mode), demand_column=demand,
        served=_served(offers, category, cat, pool), village_columns=report,
    )  # fmt: skip
    ratios = ratios.assign(ags=ratios["id"].map(_offer_ags(offers, boundaries)))
    serving = set(serving_offer_ids(offers, category, cat, age_groups))
    ratios = ratios[ratios["id"].astype(str).isin(serving)]
    gem = supply_by_gemeinde(access, villages, demand_column=report, offer_table=ratios)
    first = {"category": category, "mode": mode}
    vil = access.assign(**first)
    gem = gem.assign(**first)
    return (
        vil[[*first, *(c for c in vil.columns if c not in first)]],
        gem[[*first, *(c for c in gem.columns if c not in first)]],
    )
