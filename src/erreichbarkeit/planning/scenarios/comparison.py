"""Compare two states (a run, a scenario) for one category, mode and age group."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from erreichbarkeit._helpers import number_de
from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.age_offers import group_min_column, offers_for_group
from erreichbarkeit.config import MODE_LABELS, Settings, age_column
from erreichbarkeit.planning.scenarios.model import ScenarioResult
from erreichbarkeit.results import Results

__all__ = ["KPI_LABELS", "ScenarioDelta", "compare", "compare_two", "kpi_values"]

#: KPI keys of :func:`kpi_values` with their German labels, in display order.
KPI_LABELS: Mapping[str, str] = {
    "children_total": "Kinder der Altersgruppe",
    "children_within": "Kinder innerhalb der Schwelle",
    "children_beyond": "Kinder außerhalb der Schwelle",
    "share_children_beyond": "Anteil Kinder außerhalb",
    "villages_within": "Orte innerhalb der Schwelle",
    "n_underserved": "Unterversorgte Orte",
    "median_min": "Median Minuten (kindgewichtet)",
    "median_beyond": "Median über Grenze (1 = ja)",
    "share_no_offer": "Anteil Kinder ohne erreichbares Angebot",
}


def _results_of(obj: Results | ScenarioResult) -> Results:
    """The run of a scenario, or the run itself."""
    return obj.results if isinstance(obj, ScenarioResult) else obj


def _name_of(obj: Results | ScenarioResult, default: str = "Ausgangslage") -> str:
    """The scenario's name, or ``default`` for a run."""
    return obj.name if isinstance(obj, ScenarioResult) else default


def kpi_values(
    results: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
) -> dict[str, float]:
    """The KPIs of one category, mode and age group (as the dashboard's KPI cards).

    Parameters
    ----------
    results
        A run or a scenario.
    category, mode, age_group
        The choice; the age group's children weight every number.
    threshold
        Minutes (default: the settings' threshold of the category and mode).

    Returns
    -------
    dict
        The keys of :data:`KPI_LABELS`: children of the age group in total,
        within and beyond the threshold (villages without a reachable offer
        count as beyond), their share beyond (0…1), villages within, villages
        underserved, the children-weighted lower median of the minutes to
        the nearest offer (villages without a reachable offer counted as
        beyond the cutoff; the cutoff when the median falls there, then
        ``median_beyond`` is 1.0, else 0.0) and the share of children
        without a reachable offer (0…1).  When the run flags partly covered
        Gemeinden (``gemeinde_partial``), every figure covers the villages
        of the fully covered ones, as the Kreis headline does.

    Raises
    ------
    ConfigError
        If the category, mode or age group has no results.
    """
    res = _results_of(results)
    res.check_choice(mode, age_group, category)
    return _kpis(res.villages, res.settings, category, mode, age_group, threshold)


def _without_offers(villages: pd.DataFrame, category: str, mode: str) -> pd.DataFrame:
    """The village table with a category that has no offer (every village unreachable)."""
    p = f"{category}_{mode}"
    if f"{p}_min" in villages.columns:
        return villages
    nan = np.full(len(villages), np.nan)
    return villages.assign(
        **{f"{p}_min": nan, f"{p}_km": nan, f"{p}_nearest": None, f"{p}_nearest_id": None}
    )


def _kpis(  # noqa: PLR0917 (private helper of kpi_values and compare)
    villages: pd.DataFrame,
    settings: Settings,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None,
) -> dict[str, float]:
    limit = settings.threshold(category, mode) if threshold is None else float(threshold)
    row = indicators.kreis_summary(
        villages,
        categories=(category,),
        modes=(mode,),
        threshold=lambda _c, _m: limit,
        age_groups={category: (age_group,)},
        cutoff=settings.routing.cutoff_minutes,
    ).iloc[0]
    if "gemeinde_partial" in villages.columns:  # the villages the Kreis summary covers
        villages = villages[
            ~villages["gemeinde_partial"].astype("boolean").fillna(False).to_numpy(bool)
        ]
    children = pd.to_numeric(villages[age_column(age_group)], errors="coerce").fillna(0.0)
    total = float(children.sum())
    beyond = float(row["children_beyond"])
    n_villages = int(row["n_villages"])
    return {
        "children_total": total,
        "children_within": total - beyond,
        "children_beyond": beyond,
        "share_children_beyond": float(row["share_children_beyond"]),
        "villages_within": float(n_villages - int(row["n_underserved"])),
        "n_underserved": float(row["n_underserved"]),
        "median_min": float(row["children_median_min"]),
        "median_beyond": 1.0 if bool(row["children_median_beyond"]) else 0.0,
        "share_no_offer": float(row["share_children_no_offer"]),
    }


def _median_text(k: Mapping[str, float]) -> str:
    """The KPI median as a person reads it: „3,3 min“ or „> 90 min“."""
    return indicators.format_median_de(k["median_min"], bool(k.get("median_beyond", 0.0)))


def _de_num(x: float, digits: int = 0) -> str:
    """German number (``1.234,5``); „—“ when there is no number (None, NaN, ±inf)."""
    return number_de(x, digits)


def _de_signed(x: float, digits: int = 0) -> str:
    """German number with its sign (``+3``, ``−1,5``, ``±0``); „—“ without a number."""
    if x is None or not math.isfinite(float(x)):
        return "—"
    if round(x, digits) == 0:
        return "±0"
    return ("+" if x > 0 else "−") + _de_num(abs(x), digits)


@dataclass(frozen=True)
class ScenarioDelta:
    """What a scenario changes for one category, mode, age group and threshold.

    Attributes
    ----------
    scenario_name, base_name
        Names of the compared states.
    category, mode, age_group, threshold
        The choice compared.
    villages
        Villages whose minutes or nearest offer changed, worst change first:
        ``id, name, ags, gemeinde, children, before_min, after_min,
        delta_min, before_nearest, after_nearest, after_nearest_id,
        after_km, status`` (``status``: ``"jetzt innerhalb"``, ``"jetzt
        außerhalb"``, ``"langsamer"``, ``"schneller"``, ``"anderes
        Angebot"``).
    moved_within, moved_beyond
        The rows of ``villages`` that crossed the threshold.
    children_moved_within, children_moved_beyond
        Their children of the age group.
    kpis
        ``kpi, label, before, after, delta`` per KPI of :data:`KPI_LABELS`.
    summary_de
        German summary in a few sentences.
    changes_de
        German description of each change of the scenario.
    """

    scenario_name: str
    base_name: str
    category: str
    mode: str
    age_group: str
    threshold: float
    villages: pd.DataFrame
    moved_within: pd.DataFrame
    moved_beyond: pd.DataFrame
    children_moved_within: float
    children_moved_beyond: float
    kpis: pd.DataFrame
    summary_de: str
    changes_de: tuple[str, ...] = ()

    def villages_de(self) -> pd.DataFrame:
        """:attr:`villages` with German column names (for tables and exports)."""
        age = self.age_group.replace("-", "–")
        return self.villages.rename(
            columns={
                "name": "Ort",
                "gemeinde": "Gemeinde",
                "ags": "AGS",
                "children": f"Kinder {age} J.",
                "before_min": "Minuten vorher",
                "after_min": "Minuten nachher",
                "delta_min": "Differenz Minuten",
                "before_nearest": "nächstes Angebot vorher",
                "after_nearest": "nächstes Angebot nachher",
                "after_km": "km nachher",
                "status": "Veränderung",
            }
        ).drop(columns=["id", "after_nearest_id"])

    def choice_de(self, label: str) -> str:
        """The choice compared, in German (``"Kita, Auto, Kinder 0–3 Jahre, Schwelle 15,0 min"``).

        Parameters
        ----------
        label
            German label of :attr:`category`.
        """
        return (
            f"{label}, {MODE_LABELS.get(self.mode, self.mode)}, Kinder "
            f"{self.age_group.replace('-', '–')} Jahre, "
            f"Schwelle {_de_num(self.threshold, 1)} min"
        )

    def median_texts(self) -> tuple[str, str]:
        """The median before and after as a person reads it („3,3 min“, „> 90 min“)."""
        table = self.kpis.set_index("kpi")
        before = {str(k): float(v) for k, v in table["before"].items()}
        after = {str(k): float(v) for k, v in table["after"].items()}
        return _median_text(before), _median_text(after)

    def kpis_de(self) -> pd.DataFrame:
        """:attr:`kpis` with German column names."""
        return self.kpis.drop(columns=["kpi"]).rename(
            columns={
                "label": "Kennzahl",
                "before": self.base_name,
                "after": self.scenario_name,
                "delta": "Differenz",
            }
        )


def _status(before: float, after: float, limit: float, same_offer: bool) -> str | None:
    """What changed for one village (``None``: nothing)."""
    in_before = not math.isnan(before) and before <= limit
    in_after = not math.isnan(after) and after <= limit
    if in_after and not in_before:
        return "jetzt innerhalb"
    if in_before and not in_after:
        return "jetzt außerhalb"
    if math.isnan(before) and math.isnan(after):
        return None if same_offer else "anderes Angebot"
    if math.isnan(after) or (not math.isnan(before) and after > before + 1e-9):
        return "langsamer"
    if math.isnan(before) or after < before - 1e-9:
        return "schneller"
    return None if same_offer else "anderes Angebot"


def _for_group(
    res: Results, villages: pd.DataFrame, category: str, mode: str, age_group: str
) -> pd.DataFrame:
    """The villages with the nearest offer *serving* ``age_group`` in the plain columns.

    Only where some offers of the category serve other ages (per-group
    columns in the village table); the village list then names the same
    offers and minutes as the key figures of the age group.
    """
    if group_min_column(category, mode, age_group) not in villages.columns:
        return villages
    defaults = {k: c.age_groups for k, c in res.settings.categories().items()}
    offers = offers_for_group(res.offers, age_group, defaults)
    offers = offers[offers["category"] == category]
    p = f"{category}_{mode}"
    cols = [f"{p}_min", f"{p}_km", f"{p}_nearest", f"{p}_nearest_id"]
    if offers.empty:
        return villages.assign(**{c: (np.nan if c.endswith(("min", "km")) else None) for c in cols})
    tt = res.travel_times[res.travel_times["mode"] == mode]
    part = indicators.village_table(
        villages.drop(columns=[c for c in villages.columns if c.startswith(f"{p}_")]),
        tt, offers, categories=(category,), modes=(mode,), threshold=res.settings.threshold,
    )  # fmt: skip
    by_id = part.set_index(part["id"].astype(str))
    ids = villages["id"].astype(str)
    return villages.assign(**{c: ids.map(by_id[c]).to_numpy() for c in cols})


def _village_changes(
    vb: pd.DataFrame,
    vs: pd.DataFrame,
    *,
    category: str,
    mode: str,
    age_group: str,
    limit: float,
) -> pd.DataFrame:
    """The villages whose minutes or nearest offer changed, worst change first."""
    p = f"{category}_{mode}"
    left = vb.loc[:, ["id", "name", "ags", "gemeinde", age_column(age_group),
                              f"{p}_min", f"{p}_nearest", f"{p}_nearest_id"]]  # fmt: skip
    right = vs.loc[:, ["id", f"{p}_min", f"{p}_km", f"{p}_nearest", f"{p}_nearest_id"]]
    m = pd.DataFrame(left).merge(
        pd.DataFrame(right), on="id", how="inner", suffixes=("_b", "_a"), validate="one_to_one"
    )
    before = m[f"{p}_min_b"].to_numpy("float64")
    after = m[f"{p}_min_a"].to_numpy("float64")
    same = (
        m[f"{p}_nearest_id_b"].astype(object).fillna("").astype(str)
        == m[f"{p}_nearest_id_a"].astype(object).fillna("").astype(str)
    ).to_numpy()
    status = [
        _status(float(x), float(y), limit, bool(z))
        for x, y, z in zip(before, after, same, strict=True)
    ]
    table = pd.DataFrame(
        {
            "id": m["id"],
            "name": m["name"],
            "ags": m["ags"],
            "gemeinde": m["gemeinde"],
            "children": pd.to_numeric(m[age_column(age_group)], errors="coerce"),
            "before_min": before,
            "after_min": after,
            "delta_min": after - before,
            "before_nearest": m[f"{p}_nearest_b"],
            "after_nearest": m[f"{p}_nearest_a"],
            "after_nearest_id": m[f"{p}_nearest_id_a"],
            "after_km": m[f"{p}_km"],
            "status": status,
        }
    )
    table = table[table["status"].notna()]
    rank = (
        table["status"]
        .map({"jetzt außerhalb": 0, "jetzt innerhalb": 1, "langsamer": 2, "schneller": 3})
        .fillna(4)
    )
    worst = table["delta_min"].fillna(np.inf).abs()
    return (
        table.assign(_r=rank, _w=-worst)
        .sort_values(["_r", "_w", "name"], kind="mergesort")
        .drop(columns=["_r", "_w"])
        .reset_index(drop=True)
    )


def _kpi_table(k_before: Mapping[str, float], k_after: Mapping[str, float]) -> pd.DataFrame:
    """``kpi, label, before, after, delta`` per KPI of :data:`KPI_LABELS`.

    The median's delta is NaN when either median is beyond the cutoff: the
    cutoff stands for "more than", so a difference to it is no number.
    """
    censored = bool(k_before.get("median_beyond", 0.0) or k_after.get("median_beyond", 0.0))
    rows = []
    for key, label in KPI_LABELS.items():
        delta = k_after[key] - k_before[key]
        if key == "median_min" and censored:
            delta = math.nan
        rows.append(
            {
                "kpi": key,
                "label": label,
                "before": k_before[key],
                "after": k_after[key],
                "delta": delta,
            }
        )
    return pd.DataFrame(rows)


def compare(
    base: Results | ScenarioResult,
    scen: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
) -> ScenarioDelta:
    """What changes between two states for one category, mode and age group.

    Parameters
    ----------
    base
        The state before (a run or another scenario).
    scen
        The state after (usually :func:`apply_scenario`'s result).
    category, mode, age_group
        The choice; children of the age group are counted.
    threshold
        Minutes (default: the settings' threshold of the category and mode).

    Returns
    -------
    ScenarioDelta

    Raises
    ------
    ConfigError
        If the category, mode or age group has no results in either state.
    """
    b, s = _results_of(base), _results_of(scen)
    # a category may exist on one side only (its first offer added)
    has_b = f"{category}_{mode}_min" in b.villages.columns
    (b if has_b else s).check_choice(mode, age_group, category)
    vb = _without_offers(b.villages, category, mode)
    vs = _without_offers(s.villages, category, mode)
    limit = b.settings.threshold(category, mode) if threshold is None else float(threshold)
    k_before = _kpis(vb, b.settings, category, mode, age_group, limit)
    k_after = _kpis(vs, s.settings, category, mode, age_group, limit)
    table = _village_changes(
        _for_group(b, vb, category, mode, age_group), _for_group(s, vs, category, mode, age_group),
        category=category, mode=mode, age_group=age_group, limit=limit,
    )  # fmt: skip
    within = table[table["status"] == "jetzt innerhalb"].reset_index(drop=True)
    beyond = table[table["status"] == "jetzt außerhalb"].reset_index(drop=True)
    s_name = _name_of(scen, "Szenario")
    changes: tuple[str, ...] = ()
    if isinstance(scen, ScenarioResult):
        changes = tuple(c.describe_de(b.offers) for c in scen.scenario.changes)
    summary = _summary_de(
        s_name, category=category, mode=mode, age_group=age_group, limit=limit, within=within,
        beyond=beyond, k_before=k_before, k_after=k_after, settings=b.settings,
    )  # fmt: skip
    return ScenarioDelta(
        scenario_name=s_name,
        base_name=_name_of(base),
        category=category,
        mode=mode,
        age_group=age_group,
        threshold=limit,
        villages=table,
        moved_within=within,
        moved_beyond=beyond,
        children_moved_within=float(within["children"].fillna(0).sum()),
        children_moved_beyond=float(beyond["children"].fillna(0).sum()),
        kpis=_kpi_table(k_before, k_after),
        summary_de=summary,
        changes_de=changes,
    )


def _villages_text(rows: pd.DataFrame, limit: int = 6) -> str:
    """The first village names of ``rows`` (``"A, B und 3 weitere"``)."""
    names = [str(n) for n in rows["name"]]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" und {len(names) - limit} weitere"
    return ", ".join(names)


def _summary_de(
    name: str,
    *,
    category: str,
    mode: str,
    age_group: str,
    limit: float,
    within: pd.DataFrame,
    beyond: pd.DataFrame,
    k_before: Mapping[str, float],
    k_after: Mapping[str, float],
    settings: Settings,
) -> str:
    """The German summary of a comparison."""
    cats = settings.categories()
    label = cats[category].label if category in cats else category
    age = age_group.replace("-", "–")
    head = (
        f"Szenario „{name}“ – {label}, {MODE_LABELS.get(mode, mode)}, "
        f"Kinder {age} Jahre, Schwelle {_de_num(limit, 0 if limit == int(limit) else 1)} min:"
    )
    parts: list[str] = []
    if len(beyond):
        parts.append(
            f"{len(beyond)} {'Ort liegt' if len(beyond) == 1 else 'Orte liegen'} danach "
            f"außerhalb der Schwelle ({_villages_text(beyond)}; "
            f"{_de_num(float(beyond['children'].fillna(0).sum()))} Kinder)."
        )
    if len(within):
        parts.append(
            f"{len(within)} {'Ort liegt' if len(within) == 1 else 'Orte liegen'} danach "
            f"innerhalb der Schwelle ({_villages_text(within)}; "
            f"{_de_num(float(within['children'].fillna(0).sum()))} Kinder)."
        )
    if not parts:
        parts.append("Kein Ort wechselt über oder unter die Schwelle.")
    b, a = k_before, k_after
    parts.append(
        f"Kinder außerhalb: {_de_num(b['children_beyond'])} → {_de_num(a['children_beyond'])} "
        f"({_de_signed(a['children_beyond'] - b['children_beyond'])}); "
        f"unterversorgte Orte: {_de_num(b['n_underserved'])} → {_de_num(a['n_underserved'])} "
        f"({_de_signed(a['n_underserved'] - b['n_underserved'])}); "
        f"Median: {_median_text(b)} → {_median_text(a)}."
    )
    return " ".join([head, *parts])


def compare_two(
    a: Results | ScenarioResult,
    b: Results | ScenarioResult,
    *,
    category: str,
    mode: str,
    age_group: str,
    threshold: float | None = None,
    base: Results | ScenarioResult | None = None,
) -> pd.DataFrame:
    """The KPIs of two scenarios side by side (optionally with the base run).

    Parameters
    ----------
    a, b
        Two scenarios (or runs).
    category, mode, age_group, threshold
        As for :func:`kpi_values`.
    base
        When given, a first value column with the state before.

    Returns
    -------
    pandas.DataFrame
        ``Kennzahl``, [``Ausgangslage``], ``A: <name>``, ``B: <name>``,
        ``Differenz (B − A)``; one row per KPI of :data:`KPI_LABELS`.
    """
    ka = kpi_values(a, category=category, mode=mode, age_group=age_group, threshold=threshold)
    kb = kpi_values(b, category=category, mode=mode, age_group=age_group, threshold=threshold)
    kbase = (
        kpi_values(base, category=category, mode=mode, age_group=age_group, threshold=threshold)
        if base is not None
        else None
    )
    col_a, col_b = f"A: {_name_of(a, 'Ausgangslage')}", f"B: {_name_of(b, 'Ausgangslage')}"
    rows = []
    for key, label in KPI_LABELS.items():
        row: dict[str, Any] = {"Kennzahl": label}
        if kbase is not None:
            row["Ausgangslage"] = kbase[key]
        row[col_a] = ka[key]
        row[col_b] = kb[key]
        row["Differenz (B − A)"] = kb[key] - ka[key]
        rows.append(row)
    return pd.DataFrame(rows)
