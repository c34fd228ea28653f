"""Responsible, not just nearest: the way to the *responsible* Stelle next to the nearest one.

A family cannot pick the nearest Grundschule, Rathaus or Kreishaus: the
Schulbezirk and the administrative boundaries decide.  :func:`responsibility_table`
puts, per village × category × mode, the minutes to the responsible Stelle
(from a planner's Zuständigkeit table, :mod:`erreichbarkeit.io.responsibility`)
next to the minutes to the nearest offer of the category, and ranks the
villages by the detour in minutes.

A responsible Stelle beyond the computation limit (no route within the
cutoff) has NaN minutes and NaN difference — never 0 — and is ranked first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from erreichbarkeit.analysis.indicators import nearest_offers
from erreichbarkeit.config import age_column

__all__ = ["RESPONSIBILITY_COLUMNS", "responsibility_table"]

#: Columns of :func:`responsibility_table`.
RESPONSIBILITY_COLUMNS = (
    "village_id", "village", "ags", "gemeinde", "category", "mode", "children",
    "stelle_id", "stelle", "stelle_minutes", "stelle_beyond_cutoff", "nearest_id", "nearest",
    "nearest_minutes", "difference_min", "zustaendig_ist_naechstes", "basis", "note",
)  # fmt: skip


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in RESPONSIBILITY_COLUMNS})


def _children(
    villages: pd.DataFrame, categories: Sequence[str], age_groups: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """``village_id, category, children``: the children of the category's age groups."""
    frames = []
    for cat in categories:
        cols = [age_column(g) for g in age_groups.get(cat, ()) if age_column(g) in villages]
        kids = (
            villages[cols].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
            if cols
            else pd.Series(np.nan, index=villages.index)
        )
        frames.append(
            pd.DataFrame(
                {"village_id": villages["id"].astype(str).to_numpy(), "category": cat,
                 "children": kids.to_numpy(dtype=float)}
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def responsibility_table(
    villages: pd.DataFrame,
    travel_times: pd.DataFrame,
    offers: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    modes: Sequence[str],
    age_groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Minutes to the responsible Stelle versus the nearest offer, ranked by the detour.

    Parameters
    ----------
    villages
        ``id``, ``name``, optional ``ags``, ``gemeinde`` and the children
        columns (:func:`~erreichbarkeit.config.age_column`).
    travel_times
        Long table ``origin_id, destination_id, mode, minutes, km`` (pairs
        beyond the cutoff absent), including the routed village → Stelle pairs.
    offers
        ``id``, ``name``, ``category`` (the responsible Stellen among them).
    assignments
        One row per village × category: ``village_id, category, offer_id,
        stelle``; optional ``basis`` and ``note``
        (:func:`erreichbarkeit.io.read_responsibility`).
    modes
        The modes to report.
    age_groups
        Category → age groups whose children count (``children`` column);
        ``None``: NaN children.

    Returns
    -------
    pandas.DataFrame
        One row per village × category × mode (:data:`RESPONSIBILITY_COLUMNS`):
        ``stelle_minutes`` (NaN and ``stelle_beyond_cutoff`` True when not
        reached within the cutoff), the nearest offer of the category
        (``nearest_id``, ``nearest``, ``nearest_minutes``),
        ``difference_min`` = responsible − nearest (NaN when either is not
        reached), ``zustaendig_ist_naechstes`` (the responsible Stelle is
        the nearest or as near).  Sorted: Stellen beyond the cutoff first,
        then by difference descending, more children first.
    """
    if assignments.empty or not len(modes):
        return _empty()
    asg = assignments.assign(
        village_id=assignments["village_id"].astype(str),
        offer_id=assignments["offer_id"].astype(str),
    )
    vil = villages.assign(id=villages["id"].astype(str)).set_index("id")
    asg = asg[asg["village_id"].isin(vil.index)]
    base = pd.concat([asg.assign(mode=m) for m in modes], ignore_index=True)
    tt = travel_times.assign(
        origin_id=travel_times["origin_id"].astype(str),
        destination_id=travel_times["destination_id"].astype(str),
    )
    tt = tt[tt["minutes"].notna()]
    to_stelle = tt.groupby(["origin_id", "destination_id", "mode"], sort=False)["minutes"].min()
    keys = pd.MultiIndex.from_arrays([base["village_id"], base["offer_id"], base["mode"]])
    base["stelle_minutes"] = to_stelle.reindex(keys).to_numpy(dtype=float)
    off = offers.assign(id=offers["id"].astype(str))
    near = nearest_offers(tt, off, k=1).set_index(["origin_id", "mode", "category"])
    nkeys = pd.MultiIndex.from_arrays([base["village_id"], base["mode"], base["category"]])
    base["nearest_id"] = near["destination_id"].reindex(nkeys).to_numpy(dtype=object)
    base["nearest"] = near["name"].reindex(nkeys).to_numpy(dtype=object)
    base["nearest_minutes"] = near["minutes"].reindex(nkeys).to_numpy(dtype=float)
    return _finish(base, vil, age_groups)


def _finish(
    base: pd.DataFrame, vil: pd.DataFrame, age_groups: Mapping[str, Sequence[str]] | None
) -> pd.DataFrame:
    """Add village, Gemeinde, children, difference and flag; sort; the result columns."""
    ids = base["village_id"]
    base["village"] = ids.map(vil["name"]).to_numpy(dtype=object)
    for col in ("ags", "gemeinde"):
        base[col] = ids.map(vil[col]).to_numpy(dtype=object) if col in vil else None
    cats = sorted(set(base["category"]))
    kids = _children(vil.reset_index(), cats, age_groups or {})
    if len(kids):
        kid = kids.set_index(["village_id", "category"])["children"]
        keys = pd.MultiIndex.from_arrays([ids, base["category"]])
        base["children"] = kid.reindex(keys).to_numpy(dtype=float)
    else:
        base["children"] = np.nan
    base["stelle_id"] = base["offer_id"]
    base["stelle_beyond_cutoff"] = base["stelle_minutes"].isna()
    base["difference_min"] = base["stelle_minutes"] - base["nearest_minutes"]
    same = base["nearest_id"].astype(object).eq(base["stelle_id"]).fillna(False).astype(bool)
    base["zustaendig_ist_naechstes"] = same | (base["difference_min"] <= 1e-9).fillna(False)
    for col in ("basis", "note"):
        if col not in base:
            base[col] = None
    out = base.sort_values(
        ["stelle_beyond_cutoff", "difference_min", "children", "village", "category", "mode"],
        ascending=[False, False, False, True, True, True],
        na_position="last",
        kind="mergesort",
    )
    return out.loc[:, list(RESPONSIBILITY_COLUMNS)].reset_index(drop=True)
