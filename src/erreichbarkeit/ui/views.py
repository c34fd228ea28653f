"""The data behind one dashboard view and the view's indicators (no Streamlit).

:class:`ViewData` is a run (:class:`erreichbarkeit.results.Results`) plus
the offers a user uploaded in this session; every fact of the run stays in
the :class:`Results`, the view data only combines it with the upload.
:class:`View` holds the user's choices (mode, categories, age group,
thresholds) and the indicator tables derived from them.

Nothing is kept in module state; the Streamlit layer holds per-user values
in ``st.session_state`` and shared, read-only results in Streamlit's caches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import offers_for_group
from erreichbarkeit.analysis.outreach import outreach_for_group
from erreichbarkeit.analysis.transit import transit_columns
from erreichbarkeit.config import WGS84, Category, Settings
from erreichbarkeit.results import Results

__all__ = [
    "View",
    "ViewData",
    "base_villages",
    "compute_view",
    "data_bounds",
    "gemeinde_extent",
    "merge_upload",
    "view_data",
]


def base_villages(results: Results) -> gpd.GeoDataFrame:
    """The villages without indicator columns (input columns + snapping)."""
    cols = list(results.inputs.villages.columns)
    cols += [c for c in results.villages.columns if c.startswith("snap_") and c not in cols]
    return gpd.GeoDataFrame(results.villages.loc[:, cols], geometry="geometry", crs=WGS84)


@dataclass(frozen=True, eq=False)
class ViewData:
    """The inputs of the cheap indicator step: a run plus this session's upload.

    Attributes
    ----------
    results
        The region's run; the settings, boundaries and the run's offers and
        travel times are read from it.
    upload_offers
        Offers the user uploaded in this session (``None``: no upload).
    upload_travel_times
        The long table from every village to ``upload_offers``.
    upload_transit
        The Bus & Bahn details of those pairs (:attr:`Results.transit` form).
    """

    results: Results
    upload_offers: gpd.GeoDataFrame | None = None
    upload_travel_times: pd.DataFrame | None = None
    upload_transit: pd.DataFrame | None = None

    @property
    def settings(self) -> Settings:
        """The run's settings."""
        return self.results.settings

    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        """The run's Gemeinde polygons."""
        return self.results.boundaries

    @property
    def category_table(self) -> Mapping[str, Category]:
        """The category table of the run's settings."""
        return self.results.settings.categories()

    @property
    def has_upload(self) -> bool:
        """Whether uploaded offers are part of the data."""
        return self.upload_offers is not None and not self.upload_offers.empty

    @cached_property
    def villages(self) -> gpd.GeoDataFrame:
        """The villages without the run's indicator columns (see :func:`base_villages`)."""
        return base_villages(self.results)

    @cached_property
    def offers(self) -> gpd.GeoDataFrame:
        """The run's offers followed by the uploaded ones."""
        upload = self.upload_offers
        if upload is None or upload.empty:
            return self.results.offers
        frame = pd.concat([self.results.offers, upload.to_crs(WGS84)], ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)

    @cached_property
    def travel_times(self) -> pd.DataFrame:
        """The run's long table followed by the rows to the uploaded offers."""
        if not self.has_upload or self.upload_travel_times is None:
            return self.results.travel_times
        return pd.concat([self.results.travel_times, self.upload_travel_times], ignore_index=True)

    @cached_property
    def transit(self) -> pd.DataFrame:
        """The run's Bus & Bahn pair details followed by those of the uploaded offers."""
        if not self.has_upload or self.upload_transit is None or not len(self.upload_transit):
            return self.results.transit
        return pd.concat([self.results.transit, self.upload_transit], ignore_index=True)

    @cached_property
    def categories(self) -> tuple[str, ...]:
        """Categories with at least one offer, in the order of the category table."""
        if not self.has_upload:
            return self.results.categories
        present = set(self.offers["category"])
        return tuple(c for c in self.category_table if c in present)


def view_data(results: Results) -> ViewData:
    """The view inputs of a pipeline run (without an upload)."""
    return ViewData(results)


def merge_upload(
    data: ViewData,
    offers: gpd.GeoDataFrame,
    travel_times: pd.DataFrame,
    *,
    transit: pd.DataFrame | None = None,
) -> ViewData:
    """The region data plus uploaded offers, their travel times and Bus & Bahn details."""
    if offers.empty:
        return data
    return replace(
        data, upload_offers=offers, upload_travel_times=travel_times, upload_transit=transit
    )


@dataclass(frozen=True, eq=False)
class View:
    """Indicators for one choice of mode, categories, age group and thresholds.

    Attributes
    ----------
    mode, categories, age_group
        The user's choices (categories: those present in the data).
    thresholds
        Minutes per category used for ``mode``.
    villages, gemeinden, kreis
        The indicator tables of :mod:`erreichbarkeit.analysis.indicators`
        for these choices.
    """

    mode: str
    categories: tuple[str, ...]
    age_group: str
    thresholds: Mapping[str, float]
    villages: gpd.GeoDataFrame
    gemeinden: pd.DataFrame
    kreis: pd.DataFrame

    @property
    def key(self) -> tuple[Any, ...]:
        """A hashable key of the choices (for memos of derived files)."""
        return (self.mode, self.categories, self.age_group, tuple(sorted(self.thresholds.items())))


def _threshold_fn(
    settings: Settings, overrides: Mapping[str, float]
) -> Callable[[str, str], float]:
    """The settings' thresholds with the user's minutes per category on top."""

    def threshold(category: str, mode: str) -> float:
        if category in overrides:
            return float(overrides[category])
        return settings.threshold(category, mode)

    return threshold


def compute_view(
    data: ViewData,
    *,
    mode: str,
    categories: Sequence[str],
    age_group: str,
    thresholds: Mapping[str, float],
) -> View:
    """Indicators for the chosen mode, categories, age group and thresholds.

    Only the long-table rows of ``mode`` and the offers of ``categories``
    that serve ``age_group`` (their ``serves`` column, else the category's
    age groups; :func:`~erreichbarkeit.analysis.age_offers.offers_for_group`) enter
    :func:`indicators.village_table`, so an interaction costs one group-by
    over a slice of the cached table, and the map and tables show the
    nearest offer for that age.

    Parameters
    ----------
    data
        Cached region data (see :func:`view_data`).
    mode
        ``car``, ``bike``, ``walk`` or ``pt`` (Bus & Bahn: the village table
        also gets the run's Bus & Bahn columns, see :func:`_with_transit`).
    categories
        Category keys (present in ``data.categories``).
    age_group
        One of :data:`erreichbarkeit.config.AGE_GROUPS`; its children weight
        the Gemeinde/Kreis indicators of every category.
    thresholds
        Minutes per category for this mode (missing: the settings' value).

    Returns
    -------
    View
    """
    cats = tuple(c for c in categories if c in data.categories)
    fn = _threshold_fn(data.settings, thresholds)
    offers = data.offers[data.offers["category"].isin(cats)]
    defaults = {k: c.age_groups for k, c in data.category_table.items()}
    offers = offers_for_group(offers, age_group, defaults)  # only offers for this age
    # only the rows the indicators can use: every other row would be dropped by
    # their join with the offers, after costly merges over the whole table
    all_tt = data.travel_times
    in_mode = (all_tt["mode"] == mode).to_numpy()
    tt = all_tt[in_mode & all_tt["destination_id"].isin(offers["id"]).to_numpy()]
    labels = {k: c.label for k, c in data.category_table.items()}
    base = outreach_for_group(data.villages, age_group)  # aufsuchende Angebote for this age
    vt = indicators.village_table(
        base, tt, offers, categories=cats, modes=(mode,), threshold=fn, labels=labels
    )
    if mode == "pt":
        vt = _with_transit(vt, data, cats)
    vt = gpd.GeoDataFrame(vt, geometry="geometry", crs=WGS84)
    options: dict[str, Any] = {
        "categories": cats,
        "modes": (mode,),
        "threshold": fn,
        "age_groups": dict.fromkeys(cats, (age_group,)),
        "cutoff": data.settings.routing.cutoff_minutes,
    }
    return View(
        mode=mode,
        categories=cats,
        age_group=age_group,
        thresholds={c: fn(c, mode) for c in cats},
        villages=vt,
        gemeinden=indicators.gemeinde_long(vt, **options),
        kreis=indicators.kreis_summary(vt, **options),
    )


def _with_transit(vt: pd.DataFrame, data: ViewData, cats: Sequence[str]) -> pd.DataFrame:
    """The view's village table with the Bus & Bahn columns of the run.

    Departures, transfers and the fastest trip come from the run's timetable
    details (:attr:`Results.transit`) of the view's nearest offers, the car
    factor from the run's car minutes, the way home from the run's village
    table (it needs the timetable, not the thresholds).
    """
    run = data.results.villages
    by_id = run.set_index(run["id"].astype(str))
    ids = vt["id"].astype(str)
    car_cols = [f"{c}_car_min" for c in cats if f"{c}_car_min" in by_id.columns]
    car = pd.DataFrame({col: ids.map(by_id[col]).to_numpy() for col in car_cols}, index=vt.index)
    with_car = bool(car_cols) and len(car_cols) == len(cats)
    out = transit_columns(
        pd.concat([vt, car], axis=1), data.transit, cats, with_car=with_car
    ).drop(columns=car_cols)
    for cat in cats:
        for suffix in ("home_at", "home_by"):
            col = f"{cat}_pt_{suffix}"
            if col in by_id.columns:
                out[col] = ids.map(by_id[col]).to_numpy()
    return out


def data_bounds(data: ViewData) -> tuple[float, float, float, float]:
    """Lon/lat extent of the analysis area (``in_area``), else of villages, offers, boundaries."""
    v, b = data.villages, data.boundaries
    inside = v["in_area"].astype(bool) if "in_area" in v.columns else None
    if inside is not None and inside.any() and not inside.all():  # focus: the analysis area
        parts = [v.geometry[inside]]
        if "in_area" in b.columns:
            parts.append(b.geometry[b["in_area"].astype(bool)])
    else:
        parts = [v.geometry, data.offers.geometry, *([b.geometry] if len(b) else [])]
    bounds = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=WGS84).total_bounds
    return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))


def gemeinde_extent(data: ViewData, ags: str | None) -> tuple[float, float, float, float] | None:
    """Lon/lat extent of one Gemeinde (``None`` for the whole region or an unknown AGS)."""
    if not ags or not len(data.boundaries):
        return None
    part = data.boundaries[data.boundaries["ags"].astype(str) == str(ags)]
    if part.empty:
        return None
    b = part.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
