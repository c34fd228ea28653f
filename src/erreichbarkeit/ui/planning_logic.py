"""Planning views without Streamlit: supply, what-if scenarios, location suggestions.

Plain functions over the library (:mod:`erreichbarkeit.analysis.supply` tables of a
run, :mod:`erreichbarkeit.planning.scenarios`, :mod:`erreichbarkeit.planning.locations`,
:mod:`erreichbarkeit.report.steckbrief`) that turn its results into the German
tables, files and maps of the planning pages.  The Streamlit layer
(:mod:`erreichbarkeit.ui.planning`) keeps per-user state in
``st.session_state`` and calls these.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit import webmap as maps
from erreichbarkeit._helpers import number_de
from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io.villages import read_villages
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.planning import age_supply, locations, scenarios
from erreichbarkeit.report.scenario_export import export_comparison
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.layers import StaticLayers, build_view_map
from erreichbarkeit.ui.views import View, ViewData

__all__ = [
    "CANDIDATE_SUFFIXES",
    "SUGGEST_TIME_LIMIT_S",
    "SupplyView",
    "change_label",
    "change_marks",
    "comparison_xlsx",
    "decimal_de",
    "load_scenario_bytes",
    "plan_map",
    "read_candidates",
    "region_center",
    "scenario_json_bytes",
    "scenario_name_slug",
    "sites_display",
    "suggest",
    "supply_view",
    "village_candidate_times",
]

logger = logging.getLogger(__name__)

#: Solver time limit of the dashboard's location suggestions (seconds).
SUGGEST_TIME_LIMIT_S = 20.0
#: File types accepted for own candidate sites (as :func:`~erreichbarkeit.io.read_villages`).
CANDIDATE_SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson")
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_MARK_ADD = "#1565c0"
_MARK_MOVE = "#6a1b9a"
_MARK_CLOSE = "#424242"
_MARK_SITE = "#c2185b"


# -- supply (2SFCA) -------------------------------------------------------------------


@dataclass(frozen=True)
class SupplyView:
    """The 2SFCA figures of one category and mode, ready to show.

    Attributes
    ----------
    villages
        ``results.supply`` rows of the choice with German headers, index =
        village id, lowest supply first.
    gemeinden
        ``results.supply_gemeinden`` rows of the choice with German headers.
    raw_villages, raw_gemeinden
        The untouched library rows (same order as the display tables).
    basis
        ``"Plätze"`` or ``"Angebote"`` (capacities missing).
    note
        The library's German note on missing capacities ("" when complete).
    threshold
        The catchment (minutes) the run used: the category's threshold.
    total_demand, total_supply
        Children of the category's age groups, and places (or offers) of the
        category that lie within some village's catchment.
    """

    villages: pd.DataFrame
    gemeinden: pd.DataFrame
    raw_villages: pd.DataFrame
    raw_gemeinden: pd.DataFrame
    basis: str
    note: str
    threshold: float
    total_demand: float
    total_supply: float


def _per_label(basis: str) -> str:
    """The header of the supply-per-demand column (places or offers per 1 000 children)."""
    return texts.SUPPLY_PER_PLACES if basis != "Angebote" else texts.SUPPLY_PER_OFFERS


def _supply_villages(s: pd.DataFrame, basis: str, per: str) -> pd.DataFrame:
    """The village rows of the supply view with German headers (index: village id)."""
    return pd.DataFrame(
        {
            texts.COL_NAME: s.get("name", pd.Series(dtype=object)).to_numpy(),
            texts.COL_GEMEINDE: s.get("gemeinde", pd.Series(dtype=object)).to_numpy(),
            texts.SUPPLY_COL_DEMAND: s.get("demand", pd.Series(dtype=float)).round(1).to_numpy(),
            per: s.get("access", pd.Series(dtype=float)).round(1).to_numpy(),
            texts.SUPPLY_COL_N_OFFERS: s.get("n_offers_in_reach", pd.Series(dtype=int)).to_numpy(),
            texts.SUPPLY_COL_IN_REACH.format(basis=basis): s.get(
                "supply_in_reach", pd.Series(dtype=float)
            ).to_numpy(),
        },
        index=pd.Index(s.get("id", pd.Series(dtype=str)).astype(str).to_numpy(), name="id"),
    )


def _supply_gemeinden(g: pd.DataFrame, basis: str, per: str) -> pd.DataFrame:
    """The Gemeinde rows of the supply view with German headers."""
    return pd.DataFrame(
        {
            texts.COL_GEMEINDE: g.get("gemeinde", pd.Series(dtype=object)).to_numpy(),
            "AGS": g.get("ags", pd.Series(dtype=object)).astype(str).to_numpy(),
            texts.SUPPLY_COL_VILLAGES: g.get("n_villages", pd.Series(dtype=int)).to_numpy(),
            texts.SUPPLY_COL_DEMAND: g.get("demand", pd.Series(dtype=float)).round(1).to_numpy(),
            f"{per} (Mittel)": g.get("access_mean", pd.Series(dtype=float)).round(1).to_numpy(),
            f"{per} (niedrigster Ort)": g.get("access_min", pd.Series(dtype=float))
            .round(1)
            .to_numpy(),
            f"{per} (höchster Ort)": g.get("access_max", pd.Series(dtype=float))
            .round(1)
            .to_numpy(),
            texts.SUPPLY_COL_NO_ACCESS: g.get(
                "n_villages_without_access", pd.Series(dtype=int)
            ).to_numpy(),
            texts.SUPPLY_COL_DEMAND_NO_ACCESS: g.get(
                "demand_without_access", pd.Series(dtype=float)
            )
            .round(1)
            .to_numpy(),
            texts.SUPPLY_COL_LOCATED.format(basis=basis): g.get(
                "supply_located", pd.Series(dtype=float)
            ).to_numpy(),
        }
    )


def supply_view(
    results: Results,
    category: str,
    mode: str,
    tables: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> SupplyView:
    """The run's 2SFCA tables (``results.supply``, ``supply_gemeinden``) for one choice.

    Parameters
    ----------
    results
        A pipeline run (every run computes the supply tables).
    category, mode
        The choice.
    tables
        ``(villages, gemeinden)`` in the format of the run's tables to show
        instead (:func:`erreichbarkeit.planning.age_supply.group_supply_tables`
        of one age group).

    Returns
    -------
    SupplyView
        Empty tables when the run has no supply rows for the choice.
    """
    s, g = tables if tables is not None else (results.supply, results.supply_gemeinden)
    if len(s):
        s = s[(s["category"] == category) & (s["mode"] == mode)]
    if len(g):
        g = g[(g["category"] == category) & (g["mode"] == mode)]
    basis = str(s["supply_basis"].iloc[0]) if len(s) else "Plätze"
    notes = [str(n) for n in s.get("supply_note", pd.Series(dtype=object)) if str(n)]
    note = notes[0] if notes else ""
    per = _per_label(basis)
    if len(s):
        s = (
            s.assign(_a=s["access"].fillna(0.0))
            .sort_values(["_a", "name"], kind="mergesort")
            .drop(columns="_a")
        )
    villages = _supply_villages(s, basis, per)
    gem = _supply_gemeinden(g, basis, per)
    total_demand = float(s["demand"].sum()) if len(s) else 0.0
    total_supply = float(g["supply_allocated"].sum()) if len(g) else 0.0
    return SupplyView(
        villages=villages,
        gemeinden=gem,
        raw_villages=pd.DataFrame(s),
        raw_gemeinden=pd.DataFrame(g),
        basis=basis,
        note=note,
        threshold=float(results.settings.threshold(category, mode)),
        total_demand=total_demand,
        total_supply=total_supply,
    )


# -- location suggestions -------------------------------------------------------------


def village_candidate_times(
    results: Results, routers: Mapping[str, RouterLike], mode: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The villages as candidate sites and the minutes to them (one mode).

    Returns
    -------
    tuple
        ``(candidates, long table)`` from
        :func:`erreichbarkeit.planning.locations.candidate_sites` and
        :func:`~erreichbarkeit.planning.locations.candidate_travel_times`.
    """
    cands = locations.candidate_sites(results.villages)
    return cands, _candidate_times(results, routers, cands, mode)


def _candidate_times(
    results: Results, routers: Mapping[str, RouterLike], cands: gpd.GeoDataFrame, mode: str
) -> pd.DataFrame:
    """Minutes from the villages to candidate sites, routed with the run's routing settings."""
    routing = results.settings.routing
    return locations.candidate_travel_times(
        routers,
        results.villages,
        cands,
        mode=mode,
        cutoff_minutes=routing.cutoff_minutes,
        max_snap_m=routing.max_snap_m,
    )


def read_candidates(raw: bytes, filename: str, *, workdir: Path) -> gpd.GeoDataFrame:
    """Own candidate sites from an uploaded file (ids prefixed ``eigen:``).

    The bytes are written under a name made from their hash and the
    whitelisted suffix, never from the user's file name.

    Raises
    ------
    InputDataError
        Unsupported type or unreadable file (German message).
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in CANDIDATE_SUFFIXES:
        msg = f"unsupported candidate file type {suffix!r}"
        raise InputDataError(
            msg,
            file=filename,
            expected=", ".join(CANDIDATE_SUFFIXES),
            message_de=texts.LOC_BAD_TYPE.format(suffix=suffix or "?"),
        )
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"kandidaten-{hashlib.sha256(raw).hexdigest()[:16]}{suffix}"
    path.write_bytes(raw)
    own = read_villages(path)
    own = own.assign(id="eigen:" + own["id"].astype(str))
    return locations.candidate_sites(None, own)


def suggest(
    results: Results,
    routers: Mapping[str, RouterLike],
    *,
    category: str,
    mode: str,
    k: int,
    model: str,
    threshold: float,
    village_candidates: tuple[gpd.GeoDataFrame, pd.DataFrame] | None,
    own: gpd.GeoDataFrame | None = None,
    time_limit_s: float = SUGGEST_TIME_LIMIT_S,
    age_groups: Sequence[str] | None = None,
) -> locations.LocationSuggestion:
    """Suggest ``k`` sites for the category (existing offers stay open).

    Parameters
    ----------
    results
        The run.
    routers
        Routers per mode (only needed for ``own`` candidates).
    category, mode, k, model, threshold
        As for :func:`erreichbarkeit.planning.locations.suggest_locations`.
    village_candidates
        :func:`village_candidate_times` of ``mode`` (``None``: villages are
        not candidates).
    own
        Own candidate sites (:func:`read_candidates`), routed here.
    time_limit_s
        Solver time limit.
    age_groups
        The children counted as demand (default: the category's age groups);
        existing offers count when they serve one of them.

    Returns
    -------
    LocationSuggestion

    Raises
    ------
    ErreichbarkeitError
        No candidates, ``k`` larger than the candidates, and the library's errors.
    """
    cat = results.settings.categories()[category]
    groups = tuple(cat.age_groups if age_groups is None else age_groups)
    villages, demand = locations.with_demand_column(results.villages, cat, groups)
    own_sites = own if own is not None and len(own) else None
    # the library joins the candidate sites (and raises without any); the villages'
    # minutes to the village candidates come routed with village_candidates
    candidates = locations.candidate_sites(
        results.villages if village_candidates is not None else None, own_sites
    )
    tt_parts = [results.travel_times[results.travel_times["mode"] == mode]]
    if village_candidates is not None:
        tt_parts.append(village_candidates[1])
    if own_sites is not None:
        tt_parts.append(_candidate_times(results, routers, own_sites, mode))
    existing = age_supply.serving_offer_ids(results.offers, category, cat, groups)
    return locations.suggest_locations(
        pd.concat(tt_parts, ignore_index=True),
        villages,
        existing,
        candidates=candidates,
        k=k,
        threshold=threshold,
        demand_column=demand,
        model=model,  # type: ignore[arg-type]
        time_limit_s=time_limit_s,
        mode=mode,
        label=cat.label,
    )


def sites_display(
    suggestion: locations.LocationSuggestion,
    places: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """The suggested sites with German headers (rank order).

    ``places``: further columns after the site's name, in row order (the
    Gemeinde and nearest village, :func:`erreichbarkeit.ui.planning_ages.place_columns`).
    """
    s = suggestion.sites
    return pd.DataFrame(
        {
            texts.LOC_COL_RANK: s["rank"].astype(int).to_numpy(),
            texts.LOC_COL_SITE: s["name"].astype(str).to_numpy(),
            **{k: list(v) for k, v in (places or {}).items()},
            texts.LOC_COL_GAIN: s["coverage_gain_children"].round(1).to_numpy(),
            texts.LOC_COL_SHARE: (100 * s["coverage_gain_share"]).round(1).to_numpy(),
            texts.LOC_COL_SAVED: s["minutes_saved"].round(0).to_numpy(),
            texts.LOC_COL_LAT: s.geometry.y.round(5).to_numpy(),
            texts.LOC_COL_LON: s.geometry.x.round(5).to_numpy(),
        }
    )


# -- scenarios -------------------------------------------------------------------------


def region_center(results: Results) -> tuple[float, float]:
    """``(lat, lon)`` of the middle of the villages' extent (default position of a new offer)."""
    b = results.villages.total_bounds
    return (round(float(b[1] + b[3]) / 2, 6), round(float(b[0] + b[2]) / 2, 6))


def change_marks(
    changes: Sequence[scenarios.Change],
    base_offers: gpd.GeoDataFrame,
    scen_offers: gpd.GeoDataFrame | None,
) -> list[list[Any]]:
    """:class:`erreichbarkeit.webmap.MarkLayer` rows for a scenario's changes.

    Added offers ``+`` and moved offers ``→`` at their new place (from the
    scenario's offers), closed offers ``×`` at their old place.
    """
    rows: list[list[Any]] = []
    now = scen_offers if scen_offers is not None else base_offers
    for change in changes:
        if change.kind == "close":
            hit = base_offers[base_offers["id"].astype(str) == change.offer_id]
            if len(hit):
                tip = texts.MARK_CLOSED.format(name=hit["name"].iloc[0])
                rows += maps.mark_rows(hit, label="×", tooltip=[tip], color=_MARK_CLOSE)
            continue
        if change.kind == "move":
            hit = now[now["id"].astype(str) == change.offer_id]
            label, color, fmt = "→", _MARK_MOVE, texts.MARK_MOVED
        else:
            # added offers get their id in the scenario (auto ids: szenario:<n>)
            ids = set(now["id"].astype(str)) - set(base_offers["id"].astype(str))
            hit = now[now["id"].astype(str).isin(ids)]
            if change.name:
                hit = hit[hit["name"].astype(str) == change.name]
            label, color, fmt = "+", _MARK_ADD, texts.MARK_ADDED
        if len(hit):
            tips = [fmt.format(name=n) for n in hit["name"].astype(str)]
            rows += maps.mark_rows(hit, label=label, tooltip=tips, color=color)
    # an add without a name may match several new offers: draw each once
    unique: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        unique.setdefault((r[0], r[1], r[2]), r)
    return list(unique.values())


def change_label(change: scenarios.Change, offers: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """German line of a change for the list (``"neu: „Kita Neu“ (Kita) bei 51,00000, 9,00000"``)."""
    if change.kind != "add" or change.offer_id:
        text = change.describe_de(offers)
    else:
        cat = labels.get(str(change.category), str(change.category))
        text = f"neu: „{change.name or texts.WI_ADDED_NAME}“ ({cat})"
    if change.has_coordinates:
        text += f" bei {change.lat:.5f}, {change.lon:.5f}".replace(".", ",")
    elif change.address:
        text += f" – {change.address}"
    return text


def site_marks(suggestion: locations.LocationSuggestion) -> list[list[Any]]:
    """:class:`erreichbarkeit.webmap.MarkLayer` rows of suggested sites (labelled by rank)."""
    s = suggestion.sites
    if s.empty:
        return []
    tips = [
        texts.MARK_SITE.format(rank=int(r), name=n, gain=f"{g:.0f}")
        for r, n, g in zip(s["rank"], s["name"], s["coverage_gain_children"], strict=True)
    ]
    return maps.mark_rows(s, label=[str(int(r)) for r in s["rank"]], tooltip=tips, color=_MARK_SITE)


def plan_map(
    data: ViewData,
    view: View,
    category: str,
    *,
    marks: list[list[Any]],
    marks_name: str,
    basemap: str = "none",
    layers: StaticLayers | None = None,
) -> Any:
    """The view map of one category plus a layer of highlighted points."""
    return build_view_map(
        data, view, category, basemap=basemap, layers=layers, marks=marks, marks_name=marks_name
    )


def scenario_name_slug(name: str) -> str:
    """An ASCII file-name stem for a scenario (``szenario-kita-nord``)."""
    folded = unicodedata.normalize("NFKD", name.translate(_UMLAUTS))
    ascii_name = folded.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:50].strip("-")
    return f"szenario-{stem}" if stem else "szenario"


def scenario_json_bytes(scenario: scenarios.Scenario, *, workdir: Path, region: str) -> bytes:
    """The scenario file (:func:`erreichbarkeit.planning.scenarios.save_scenario`) as bytes."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = scenarios.save_scenario(scenario, workdir / "szenario.json", region=region)
    return path.read_bytes()


def load_scenario_bytes(raw: bytes, *, workdir: Path) -> scenarios.Scenario:
    """Read an uploaded scenario file.

    The bytes go to ``workdir`` under a name made from their hash (never the
    user's file name), then through :func:`erreichbarkeit.planning.scenarios.load_scenario`.

    Raises
    ------
    ScenarioFileError
        Not a valid scenario file (German message in ``.german``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"szenario-{hashlib.sha256(raw).hexdigest()[:16]}.json"
    path.write_bytes(raw)
    return scenarios.load_scenario(path)


def comparison_xlsx(
    delta: scenarios.ScenarioDelta,
    *,
    base: Results,
    side_by_side: pd.DataFrame | None,
    workdir: Path,
) -> bytes:
    """The comparison workbook (:func:`~erreichbarkeit.report.scenario_export.export_comparison`).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    path = export_comparison(
        workdir / "vergleich.xlsx", delta, base=base, side_by_side=side_by_side
    )
    return path.read_bytes()


def kpi_metric_rows(delta: scenarios.ScenarioDelta) -> list[tuple[str, float, float]]:
    """``(label, after, delta)`` of the three headline KPIs of a comparison."""
    k = delta.kpis.set_index("kpi")
    out = []
    for key in ("children_beyond", "n_underserved", "median_min"):
        if key in k.index:
            row = k.loc[key].to_dict()
            out.append((str(row["label"]), float(row["after"]), float(row["delta"])))
    return out


def decimal_de(x: float, digits: int = 1) -> str:
    """``x`` with ``digits`` decimals, thousands dots and a decimal comma (``"1.234,5"``)."""
    return number_de(x, digits)


def mode_label(mode: str) -> str:
    """German label of a mode."""
    return MODE_LABELS.get(mode, mode)


def finite(x: float) -> bool:
    """Whether ``x`` is a finite number."""
    return x is not None and math.isfinite(float(x))
