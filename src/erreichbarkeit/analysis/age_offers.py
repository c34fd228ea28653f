"""Which age groups an offer serves, and the children each category weighs.

Every offer serves a set of age groups: the ``serves`` column of the offers
table (``"0-3;3-6"``, read from the offer list's ``Altersgruppen`` text by
:mod:`erreichbarkeit.config.ages`), or, where it is empty or missing (OSM
and GIS offers, older runs), its category's age groups.

How the indicators use it
-------------------------
* An offer counts for an age group only when it serves it: the dashboard's
  view of one age group routes to the offers serving it
  (:func:`offers_for_group`; a category meant for other ages none of
  whose offers serves the group keeps all its offers, as before).
* The village table of a run keeps, per category and mode, the nearest
  offer of the category **whatever ages it serves** (``kita_car_min``: the
  map and exports "all ages").  Where some offer of a category does not
  serve all of the category's age groups, it also gets the minutes to the
  nearest offer serving each group, ``<category>_<mode>_min_<lo>_<hi>``
  (:func:`group_min_column`); otherwise those would equal ``kita_car_min``
  and are left out.
* The Gemeinde/Kreis children figures weigh each group's children with the
  minutes of their own group (:func:`group_samples`): a village contributes
  one sample per age group *g* of the category, the minutes to the nearest
  offer serving *g* weighted with the village's children of *g*.  Without
  per-group columns this is the village's one sample weighted with all the
  category's children — the same numbers as before age groups were read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import require_columns
from erreichbarkeit.config import AGE_GROUPS, age_column, load_categories
from erreichbarkeit.config.ages import split_groups
from erreichbarkeit.errors import ConfigError

__all__ = [
    "children_weights",
    "default_age_groups",
    "group_min_column",
    "group_samples",
    "offers_for_group",
    "offers_serving",
    "restricted_categories",
    "served_groups",
    "serving_mask",
]


def group_min_column(category: str, mode: str, group: str) -> str:
    """The village-table column of the minutes to the nearest offer serving ``group``.

    Examples
    --------
    >>> group_min_column("kita", "car", "0-3")
    'kita_car_min_0_3'
    """
    return f"{category}_{mode}_min_{group.replace('-', '_')}"


def served_groups(
    offers: pd.DataFrame, defaults: Mapping[str, Sequence[str]] | None = None
) -> list[tuple[str, ...]]:
    """Per offer (in row order), the age groups it serves.

    Parameters
    ----------
    offers
        Offers with ``category`` and optionally ``serves`` (``"0-3;3-6"``).
    defaults
        Age groups per category for offers without ``serves`` (default: the
        built-in category table; an unknown category serves every group).
    """
    require_columns(offers, ("category",), "offers")
    table = defaults if defaults is not None else _builtin_groups()
    serves = offers["serves"] if "serves" in offers.columns else pd.Series("", index=offers.index)
    out: list[tuple[str, ...]] = []
    for cat, text in zip(offers["category"], serves, strict=True):
        groups = split_groups(text)
        if not groups:
            groups = tuple(table.get(str(cat), AGE_GROUPS))
        out.append(groups)
    return out


def serving_mask(
    offers: pd.DataFrame, group: str, defaults: Mapping[str, Sequence[str]] | None = None
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Whether each offer serves ``group`` (see :func:`served_groups`)."""
    return np.array([group in g for g in served_groups(offers, defaults)], dtype=bool)


def offers_serving(
    offers: pd.DataFrame, group: str, defaults: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """The offers that serve ``group`` (a GeoDataFrame stays one)."""
    return offers.loc[serving_mask(offers, group, defaults)]


def offers_for_group(
    offers: pd.DataFrame, group: str, defaults: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """The offers that count for ``group`` in a view of one age group (the dashboard).

    Per category: the offers serving ``group`` when the category is meant
    for it (``group`` among its ``defaults``) or some of its offers serve
    it; otherwise — a category for other ages, none of whose offers names
    ``group`` — all its offers, the nearest offer whatever its ages.  So
    with every offer serving its category's groups nothing is left out.
    """
    serving = pd.Series(serving_mask(offers, group, defaults), index=offers.index)
    cats = offers["category"].astype(str)
    any_serving = serving.groupby(cats).transform("any").astype(bool)
    meant = cats.map(lambda c: group in defaults.get(c, AGE_GROUPS)).astype(bool)
    return offers.loc[(serving | ~(meant | any_serving)).to_numpy(bool)]


def restricted_categories(
    offers: pd.DataFrame, age_groups: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Categories of ``age_groups`` with an offer that does not serve all their groups.

    Only for these the nearest offer can differ between the category's age
    groups; in the order of ``age_groups``.
    """
    served = served_groups(offers, age_groups)
    short = {
        str(cat)
        for cat, groups in zip(offers["category"], served, strict=True)
        if str(cat) in age_groups and not set(age_groups[str(cat)]) <= set(groups)
    }
    return tuple(c for c in age_groups if c in short)


def group_samples(
    table: pd.DataFrame, category: str, mode: str, groups: Sequence[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """Minutes and children per village and age group, ``None`` without per-group columns.

    Returns
    -------
    tuple or None
        ``(minutes, children)``, both ``(villages, groups)`` arrays: the
        minutes to the nearest offer serving each group
        (:func:`group_min_column`, NaN = none within the cutoff) and the
        village's children of the group (NaN counted as 0).
    """
    cols = [group_min_column(category, mode, g) for g in groups]
    if not groups or any(c not in table.columns for c in cols):
        return None
    minutes = table.loc[:, cols].apply(pd.to_numeric, errors="coerce").to_numpy("float64")
    child_cols = [age_column(g) for g in groups]
    require_columns(table, child_cols, "villages")
    children = table.loc[:, child_cols].apply(pd.to_numeric, errors="coerce")
    return minutes, children.fillna(0.0).to_numpy("float64")


def _builtin_groups() -> dict[str, tuple[str, ...]]:
    return {k: c.age_groups for k, c in load_categories().items()}


def default_age_groups(categories: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The built-in category table's age groups of each category (error if unknown)."""
    builtin = _builtin_groups()
    unknown = [c for c in categories if c not in builtin]
    if unknown:
        msg = f"no age groups known for categories {', '.join(unknown)}; pass age_groups"
        raise ConfigError(
            msg,
            expected="age_groups={category: [age groups]}",
            message_de=f"Keine Altersgruppen für {', '.join(unknown)} bekannt",
        )
    return {c: builtin[c] for c in categories}


def children_weights(
    table: pd.DataFrame, categories: Sequence[str], age_groups: Mapping[str, Sequence[str]]
) -> dict[str, np.ndarray[Any, Any]]:
    """Per category, the villages' children of its age groups (NaN counted as 0)."""
    weights: dict[str, np.ndarray[Any, Any]] = {}
    for cat in categories:
        if cat not in age_groups:
            msg = f"no age groups given for category {cat!r}"
            raise ConfigError(msg, expected="age_groups for every category")
        cols = [age_column(g) for g in age_groups[cat]]
        require_columns(table, cols, "villages")
        sub = table.loc[:, cols].apply(pd.to_numeric, errors="coerce")
        weights[cat] = sub.fillna(0.0).sum(axis=1).to_numpy(dtype="float64")
    return weights
