"""Apply a scenario to a run, recomputing only what the changes touch.

Only the changed offers' columns of the long table are routed; the village
table is recomputed for the affected categories and spliced into the run's
(the ``reason`` text only for villages whose reachability changed); Gemeinde
and Kreis rows likewise.  The result equals a full pipeline run on the
modified offers list.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import group_min_column
from erreichbarkeit.analysis.outreach import with_outreach
from erreichbarkeit.config import MODE_LABELS, WGS84, Settings
from erreichbarkeit.errors import ScenarioError
from erreichbarkeit.io.geocode import AddressIndex
from erreichbarkeit.network.matrix import travel_times as compute_travel_times
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.planning.scenarios._offers import OfferChanges, new_offers
from erreichbarkeit.planning.scenarios.model import Scenario, ScenarioResult
from erreichbarkeit.results import Results

__all__ = ["apply_scenario"]

logger = logging.getLogger(__name__)

_SUFFIXES = ("nearest", "nearest_id", "min", "km", "second_min", "n_within", "within")


def _indicator_columns(categories: Sequence[str], modes: Sequence[str]) -> list[str]:
    """The village table's indicator columns of the categories and modes."""
    return [f"{c}_{m}_{s}" for c in categories for m in modes for s in _SUFFIXES]


def _group_columns(settings: Settings, table: pd.DataFrame, categories: Sequence[str]) -> list[str]:
    """The per-age-group minutes columns (``kita_car_min_0_3``) of ``table`` of the categories."""
    cats = settings.categories()
    wanted = {
        group_min_column(c, m, g)
        for c in categories
        if c in cats
        for m in settings.modes
        for g in cats[c].age_groups
    }
    return [c for c in table.columns if c in wanted]


def _threshold(settings: Settings) -> Any:
    """The settings' threshold function ``(category, mode) -> minutes``."""
    return settings.threshold


def _labels(settings: Settings) -> dict[str, str]:
    """German label per category key."""
    return {k: c.label for k, c in settings.categories().items()}


def _age_groups(settings: Settings, categories: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The age groups of each category."""
    cats = settings.categories()
    return {c: cats[c].age_groups for c in categories}


def _splice_summary(
    old: pd.DataFrame, new: pd.DataFrame, affected: Sequence[str], keys: list[str]
) -> pd.DataFrame | None:
    """Replace the rows of the affected categories in ``old`` by ``new`` (same order).

    Returns ``None`` when the rows do not line up (then the caller recomputes all).
    """
    mask = old["category"].isin(affected).to_numpy()
    if int(mask.sum()) != len(new):
        return None
    cols = [*keys, "category", "mode"]
    a = old.loc[mask, cols].astype(str).to_numpy()
    b = new.loc[:, cols].astype(str).to_numpy()
    if not np.array_equal(a, b):
        return None
    out = old.copy()
    for col in new.columns:
        if col in cols:
            continue
        values = new[col].to_numpy()
        if out[col].dtype != values.dtype:
            out[col] = out[col].astype(object)
        out.loc[mask, col] = values
        if new[col].dtype != object:
            out[col] = out[col].astype(new[col].dtype)
    return out


def _check_routers(modes: Sequence[str], routers: Mapping[str, RouterLike]) -> None:
    """Raise when a mode of the run has no router."""
    missing = [m for m in modes if m not in routers]
    if missing:
        msg = f"no router for mode(s) {', '.join(missing)}"
        raise ScenarioError(
            msg, expected="a router per mode", message_de="Kein Routing für " + ", ".join(missing)
        )


def _snap_columns(
    offers: gpd.GeoDataFrame,
    dest: pd.DataFrame,
    to_route: set[str],
    modes: Sequence[str],
    notes: list[str],
) -> gpd.GeoDataFrame:
    """Set the routed offers' ``snap_m_<mode>``/``snap_ok_<mode>``; note offers off the network."""
    offers = offers.copy()
    sel = offers["id"].isin(to_route).to_numpy()
    for mode in modes:
        rows = dest[dest["mode"] == mode].drop_duplicates("id").set_index("id")
        if f"snap_m_{mode}" in offers.columns:  # the contract of pipeline.run
            snap_m = offers["id"].map(rows["snap_m"]).round(1)
            snap_ok = offers["id"].map(rows["snap_ok"]).fillna(False).astype(bool)
            offers[f"snap_m_{mode}"] = np.where(
                sel, snap_m, pd.to_numeric(offers[f"snap_m_{mode}"], errors="coerce")
            )
            old_ok = offers[f"snap_ok_{mode}"].fillna(False).astype(bool)
            offers[f"snap_ok_{mode}"] = np.where(sel, snap_ok, old_ok).astype(bool)
        for oid, snap_m_far in rows.loc[~rows["snap_ok"].astype(bool), "snap_m"].items():
            name = offers.loc[offers["id"] == oid, "name"].iloc[0]
            notes.append(
                f"„{name}“ liegt {snap_m_far:.0f} m vom Straßennetz entfernt und wird "
                f"für {MODE_LABELS.get(mode, mode)} nicht berechnet"
            )
    return offers


def _long_table(
    base: Results, edit: OfferChanges, routers: Mapping[str, RouterLike]
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Drop the changed offers' rows of the long table and snapping, route the new ones.

    Returns ``(travel times, snapping, offers with updated snap columns)``.
    """
    settings = base.settings
    offers = edit.offers
    tt = base.travel_times
    snapping = base.snapping
    gone = edit.removed | edit.to_route
    if gone:
        tt = tt[~tt["destination_id"].isin(gone)]
        snapping = snapping[~((snapping["role"] == "destination") & snapping["id"].isin(gone))]
    routed = offers[offers["id"].isin(edit.to_route)]
    if len(routed):
        villages_pts = base.villages.loc[:, ["id", "geometry"]]
        res = compute_travel_times(
            routers,
            gpd.GeoDataFrame(villages_pts, geometry="geometry", crs=WGS84),
            gpd.GeoDataFrame(routed.loc[:, ["id", "geometry"]], geometry="geometry", crs=WGS84),
            cutoff_minutes=settings.routing.cutoff_minutes,
            max_snap_m=settings.routing.max_snap_m,
            modes=settings.modes,
        )
        tt = pd.concat([tt, res.travel_times], ignore_index=True)
        dest = res.snapping[res.snapping["role"] == "destination"]
        snapping = pd.concat([snapping, dest], ignore_index=True)
        offers = _snap_columns(offers, dest, edit.to_route, settings.modes, edit.notes)
    if "pt" in settings.modes and edit.affected:
        tt = _transit_rows(base, edit, routers, tt, offers)
    return tt.reset_index(drop=True), snapping.reset_index(drop=True), offers


def _transit_rows(
    base: Results,
    edit: OfferChanges,
    routers: Mapping[str, RouterLike],
    tt: pd.DataFrame,
    offers: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Bus & Bahn rows of the affected categories, asked again as the full run asks them.

    The timetable is asked for each village's nearest offers of a category
    (``transit.candidates``) in the category's departure window, so a
    changed offer changes which offers are asked: the category is routed
    again as a whole (a few seconds), not only the changed offer's column,
    and the scenario equals a full run with the changed offers.
    """
    settings = base.settings
    mine = offers[offers["category"].isin(edit.affected)]
    drop = set(mine["id"].astype(str)) | edit.removed | edit.to_route
    tt = tt[~((tt["mode"] == "pt") & tt["destination_id"].isin(drop))]
    if not len(mine):
        return tt
    villages_pts = gpd.GeoDataFrame(
        base.villages.loc[:, ["id", "geometry"]], geometry="geometry", crs=WGS84
    )
    res = compute_travel_times(
        routers,
        villages_pts,
        gpd.GeoDataFrame(
            mine.loc[:, ["id", "category", "geometry"]], geometry="geometry", crs=WGS84
        ),
        cutoff_minutes=settings.routing.cutoff_minutes,
        max_snap_m=settings.routing.max_snap_m,
        modes=["pt"],
    )
    return pd.concat([tt, res.travel_times], ignore_index=True)


def _splice_villages(
    base: Results,
    plain: pd.DataFrame,
    tt: pd.DataFrame,
    offers: gpd.GeoDataFrame,
    *,
    categories: tuple[str, ...],
    affected: tuple[str, ...],
) -> pd.DataFrame:
    """The run's village table with the affected categories' columns recomputed.

    The ``reason`` text is recomputed (over all categories) only for villages
    whose reachability of an affected category changed.
    """
    settings = base.settings
    modes = settings.modes
    fn, labels = _threshold(settings), _labels(settings)
    vt: pd.DataFrame = base.villages.copy()
    if not affected:
        return vt
    sub_offers = offers[offers["category"].isin(affected)]
    sub_tt = tt[tt["destination_id"].isin(set(sub_offers["id"]))]
    part = indicators.village_table(
        plain.loc[:, ["id"]], sub_tt, sub_offers, categories=affected, modes=modes,
        threshold=fn, labels=labels, age_groups=_age_groups(settings, affected),
    )  # fmt: skip
    vt = vt.drop(columns=_group_columns(settings, vt, affected))
    for col in _group_columns(settings, part, affected):  # offers serving only some ages
        vt[col] = part[col].to_numpy()
    changed_reach = np.zeros(len(vt), dtype=bool)
    for col in _indicator_columns(affected, modes):
        if col.endswith("_min") and not col.endswith("_second_min"):
            before = vt[col].notna().to_numpy()
            after = part[col].notna().to_numpy()
            changed_reach |= before != after
        vt[col] = part[col].to_numpy()
    if changed_reach.any():
        rows = plain[changed_reach]
        rows_tt = tt[tt["origin_id"].isin(set(rows["id"]))]
        redo = indicators.village_table(
            rows, rows_tt, offers,
            categories=categories, modes=modes, threshold=fn, labels=labels,
        )  # fmt: skip
        vt.loc[changed_reach, "reason"] = redo["reason"].to_numpy()
    return with_outreach(vt, categories=affected, modes=modes)  # aufsuchende Angebote


def _village_table(
    base: Results,
    offers: gpd.GeoDataFrame,
    tt: pd.DataFrame,
    affected: set[str],
) -> tuple[gpd.GeoDataFrame, tuple[str, ...], tuple[str, ...], bool]:
    """The village table after the changes.

    Returns ``(villages, categories, affected categories, full)``; ``full``
    says the categories differ from the run's (a category gained its first
    offer or lost its last), so every table was recomputed.
    """
    settings = base.settings
    order = list(settings.categories())
    present = set(offers["category"])
    categories = tuple(c for c in order if c in base.categories or c in present)
    affected_t = tuple(c for c in categories if c in affected)
    ind_cols = _indicator_columns(base.categories, settings.modes)
    group_cols = _group_columns(settings, base.villages, base.categories)
    plain = base.villages.drop(
        columns=[c for c in [*ind_cols, *group_cols, "reason"] if c in base.villages.columns]
    )
    full = categories != base.categories
    if full:
        vt = indicators.village_table(
            plain, tt, offers, categories=categories, modes=settings.modes,
            threshold=_threshold(settings), labels=_labels(settings),
            age_groups=_age_groups(settings, categories),
        )  # fmt: skip
    else:
        vt = _splice_villages(base, plain, tt, offers, categories=categories, affected=affected_t)
    return gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84), categories, affected_t, full


def _summaries(
    base: Results,
    vt: pd.DataFrame,
    *,
    categories: tuple[str, ...],
    affected: tuple[str, ...],
    full: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gemeinde and Kreis tables, recomputed only for the affected categories when possible."""
    settings = base.settings
    groups = _age_groups(settings, categories)
    kw: dict[str, Any] = {
        "modes": settings.modes,
        "threshold": _threshold(settings),
        "cutoff": settings.routing.cutoff_minutes,
    }
    gem: pd.DataFrame | None = None
    kreis: pd.DataFrame | None = None
    if not full:
        if not affected:
            return base.gemeinden, base.kreis
        sub_groups = {c: groups[c] for c in affected}
        g_new = indicators.gemeinde_long(vt, categories=affected, age_groups=sub_groups, **kw)
        k_new = indicators.kreis_summary(vt, categories=affected, age_groups=sub_groups, **kw)
        gem = _splice_summary(base.gemeinden, g_new, affected, ["ags", "gemeinde"])
        kreis = _splice_summary(base.kreis, k_new, affected, [])
    if gem is None or kreis is None:
        gem = indicators.gemeinde_long(vt, categories=categories, age_groups=groups, **kw)
        kreis = indicators.kreis_summary(vt, categories=categories, age_groups=groups, **kw)
    return gem, kreis


def _seconds_since(t0: float) -> float:
    """Seconds since ``t0`` (``time.perf_counter``), rounded to milliseconds."""
    return round(time.perf_counter() - t0, 3)


def apply_scenario(
    base: Results,
    scenario: Scenario,
    routers: Mapping[str, RouterLike],
    *,
    address_index: AddressIndex | None = None,
) -> ScenarioResult:
    """Apply a scenario to a run, recomputing only what the changes touch.

    Parameters
    ----------
    base
        The run without the changes.
    scenario
        The changes, applied in order.
    routers
        One router per mode of ``base.settings.modes``
        (:func:`erreichbarkeit.network.routing.make_routers`, or the
        dashboard's cached routers).
    address_index
        Index of the region's addresses for changes given by address (built
        from ``base.inputs.addresses`` when ``None``; pass a cached one in the
        dashboard).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ScenarioError
        Unknown offer id for move/close, an added id that exists, an unknown
        category, no position, or coordinates outside the region.
    GeocodingError
        An address that cannot be matched (German message names the change).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    _check_routers(base.settings.modes, routers)
    t0 = time.perf_counter()
    edit = new_offers(base, scenario, address_index)
    timings["Änderungen prüfen"] = _seconds_since(t0)
    t0 = time.perf_counter()
    tt, snapping, offers = _long_table(base, edit, routers)
    timings["Reisezeiten (geänderte Angebote)"] = _seconds_since(t0)
    t0 = time.perf_counter()
    vt, categories, affected, full = _village_table(base, offers, tt, edit.affected)
    timings["Orte"] = _seconds_since(t0)
    t0 = time.perf_counter()
    gem, kreis = _summaries(base, vt, categories=categories, affected=affected, full=full)
    timings["Gemeinden, Kreis"] = _seconds_since(t0)
    results = dataclasses.replace(
        base,
        inputs=dataclasses.replace(base.inputs, offers=offers),
        villages=vt,
        gemeinden=gem,
        kreis=kreis,
        travel_times=tt,
        snapping=snapping,
        categories=categories,
        timings={**base.timings, **{f"Szenario: {k}": v for k, v in timings.items()}},
        grid=None,
    )
    timings["gesamt"] = _seconds_since(started)
    logger.info(
        "scenario %r: %d changes, categories %s, %.2f s",
        scenario.name,
        len(scenario.changes),
        ", ".join(affected),
        timings["gesamt"],
    )
    return ScenarioResult(
        scenario=scenario,
        results=results,
        changed_offers=tuple(sorted(edit.removed | edit.to_route)),
        affected_categories=affected,
        notes=tuple(edit.notes),
        timings=timings,
    )
