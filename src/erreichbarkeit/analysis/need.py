"""Need, not only distance: villages ranked by children beyond the threshold × need.

Pure functions on the village table and the per-village indicator values of
a planner's table of social indicators (:mod:`erreichbarkeit.io.need`).

Weighting (the sentence :func:`weighting_text_de` shows next to every ranking)
    ``need weight = indicator value of the village ÷ children-weighted mean of
    the indicator over the area's villages`` — 1 is average need, 2 twice the
    average.  The village's value is its Ortsteil's, else its Gemeinde's.
    ``priority = children beyond the threshold × need weight``; villages are
    ranked by priority, ties by children beyond the threshold.  A village
    without a value gets no weight, no priority and no rank: without a table
    nothing pretends to know need.

Children beyond the threshold follow :mod:`erreichbarkeit.analysis.summaries`:
the children of each age group whose nearest offer (per age group where the
village table has ``<cat>_<mode>_min_<lo>_<hi>``, else ``<cat>_<mode>_min``)
is farther than the threshold or unreachable; exactly at the threshold is within.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from erreichbarkeit.analysis.area import area_rows
from erreichbarkeit.config import age_column
from erreichbarkeit.results import Results

__all__ = [
    "NEED_COLUMNS",
    "NEED_METHOD_DE",
    "NEED_SHEET_COLUMNS",
    "children_beyond",
    "mean_need",
    "need_ranking",
    "need_sheet",
    "weighting_text_de",
]

#: Columns of :func:`need_ranking`.
NEED_COLUMNS = (
    "rank", "village_id", "village", "gemeinde", "children", "children_beyond",
    "need_value", "need_weight", "priority",
)  # fmt: skip


def _number_de(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}".replace(",", "X").replace(".", ",").replace("X", ".")


def weighting_text_de(indicator: str, mean: float, source: str) -> str:
    """The weighting in one German sentence (shown above every ranking)."""
    avg = "—" if not math.isfinite(mean) else _number_de(mean)
    return (
        f"Gewichtung nach Bedarf: Bedarfsgewicht = „{indicator}“ des Orts (Wert des Ortsteils, "
        f"sonst der Gemeinde) ÷ Durchschnitt im Gebiet, gewichtet mit den Kindern ({avg} %); "
        "1 = durchschnittlicher Bedarf, 2 = doppelt so hoch. Priorität = Kinder jenseits des "
        "Schwellenwerts × Bedarfsgewicht; gleiche Priorität: mehr Kinder jenseits zuerst. "
        f"Orte ohne Wert erhalten keinen Rang. Quelle: {source}"
    )


def _group_minutes(villages: pd.DataFrame, category: str, mode: str, group: str) -> np.ndarray:
    col = f"{category}_{mode}_min_{group.replace('-', '_')}"
    if col not in villages.columns:
        col = f"{category}_{mode}_min"
    if col not in villages.columns:
        return np.full(len(villages), np.nan)
    return pd.to_numeric(villages[col], errors="coerce").to_numpy(dtype=float)


def _children(villages: pd.DataFrame, group: str) -> np.ndarray:
    col = age_column(group)
    if col not in villages.columns:
        return np.zeros(len(villages))
    return pd.to_numeric(villages[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def children_beyond(
    villages: pd.DataFrame, *, category: str, mode: str, threshold: float,
    age_groups: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Children of ``age_groups`` per village: ``(all, beyond the threshold)``.

    A group's children are beyond when its nearest offer is unreachable (NaN)
    or more than ``threshold`` minutes away.
    """
    total = np.zeros(len(villages))
    beyond = np.zeros(len(villages))
    for group in age_groups:
        kids = _children(villages, group)
        minutes = _group_minutes(villages, category, mode, group)
        total += kids
        beyond += np.where(np.isnan(minutes) | (minutes > threshold), kids, 0.0)
    return total, beyond


def mean_need(values: pd.Series, children: pd.Series) -> float:
    """Children-weighted mean of the values (villages with a value; NaN without children)."""
    ok = values.notna() & children.notna()
    w = children[ok].to_numpy(dtype=float)
    if w.sum() <= 0:
        return math.nan
    return float((values[ok].to_numpy(dtype=float) * w).sum() / w.sum())


def need_ranking(
    villages: pd.DataFrame, values: pd.Series, *, category: str, mode: str, threshold: float,
    age_groups: Sequence[str],
) -> tuple[pd.DataFrame, float]:  # fmt: skip
    """The villages ranked by priority = children beyond the threshold × need weight.

    Parameters
    ----------
    villages
        The village table (``id``, ``name``, ``gemeinde``, children columns,
        ``<category>_<mode>_min``; ``in_area`` restricts to the analysis area).
    values
        The indicator value per village id (:meth:`NeedTable.village_values`).
    category, mode, threshold
        The category, mode and its threshold in minutes.
    age_groups
        The age groups whose children count.

    Returns
    -------
    tuple
        The ranking (:data:`NEED_COLUMNS`; ranked villages first, by
        priority then children beyond, then villages without a value), and
        the children-weighted mean of the indicator.
    """
    area = area_rows(villages)
    total, beyond = children_beyond(
        area, category=category, mode=mode, threshold=threshold, age_groups=age_groups
    )
    ids = area["id"].astype(str)
    need = ids.map(values).astype(float).to_numpy()
    mean = mean_need(pd.Series(need), pd.Series(total))
    weight = need / mean if mean > 0 else np.full(len(area), np.nan)
    table = pd.DataFrame({
        "village_id": ids.to_numpy(),
        "village": area["name"].astype(str).to_numpy() if "name" in area else ids.to_numpy(),
        "gemeinde": area["gemeinde"].to_numpy() if "gemeinde" in area else None,
        "children": total, "children_beyond": beyond, "need_value": need,
        "need_weight": weight, "priority": beyond * weight,
    })  # fmt: skip
    table["_has"] = table["priority"].notna()
    table = table.sort_values(
        ["_has", "priority", "children_beyond", "village"],
        ascending=[False, False, False, True], kind="stable",
    ).drop(columns="_has")  # fmt: skip
    ranked = table["priority"].notna().to_numpy()
    table.insert(0, "rank", np.where(ranked, np.cumsum(ranked), np.nan))
    return table.reset_index(drop=True)[list(NEED_COLUMNS)], mean


#: The Methodik text of the ranking by need.
NEED_METHOD_DE = (
    "Bedarf und Erreichbarkeit: Mit einer Tabelle von Sozialindikatoren je Gemeinde oder "
    "Ortsteil (z. B. SGB-II-Quote der Kinder) werden die Orte nach Priorität gereiht. "
    "Bedarfsgewicht = Wert des Orts (Ortsteil, sonst Gemeinde) ÷ mit den Kindern gewichteter "
    "Durchschnitt im Gebiet (1 = durchschnittlicher Bedarf, 2 = doppelt so hoch); Priorität = "
    "Kinder jenseits des Schwellenwerts × Bedarfsgewicht; bei gleicher Priorität zuerst der Ort "
    "mit mehr Kindern jenseits. Orte ohne Wert erhalten keinen Rang; ohne Tabelle gibt es "
    "keine Reihung nach Bedarf."
)

#: The machine columns of the sheet „Bedarf“ (German headers: report/headers.py).
NEED_SHEET_COLUMNS = (
    "category", "need_indicator", "rank", "village_id", "village", "gemeinde", "children",
    "children_beyond", "need_value", "need_weight", "priority", "need_weighting",
)  # fmt: skip


#: Sheet columns renamed to the keys of report/headers.py.
_SHEET_NAMES = {"rank": "need_rank", "children": "children_category", "priority": "need_priority"}


def need_sheet(results: Results) -> pd.DataFrame:
    """The sheet „Bedarf“: per indicator and category the ranking for the first mode, all ages.

    The weighting sentence (:func:`weighting_text_de`) stands in the column
    ``need_weighting`` of each block's first row.  Empty without a need table.
    """
    table = results.need
    if table is None:
        return pd.DataFrame(columns=list(NEED_SHEET_COLUMNS)).rename(columns=_SHEET_NAMES)
    s = results.settings
    mode = s.modes[0]
    cats = s.categories()
    blocks: list[pd.DataFrame] = []
    for indicator in table.indicators:
        values = table.village_values(indicator)
        for cat in results.categories:
            if f"{cat}_{mode}_min" not in results.villages.columns:
                continue
            groups = cats[cat].age_groups if cat in cats else ()
            ranking, mean = need_ranking(
                results.villages, values, category=cat, mode=mode,
                threshold=s.threshold(cat, mode), age_groups=groups,
            )  # fmt: skip
            ranking.insert(0, "need_indicator", indicator)
            ranking.insert(0, "category", cats[cat].label if cat in cats else cat)
            ranking["need_weighting"] = ""
            if len(ranking):
                ranking.loc[0, "need_weighting"] = weighting_text_de(indicator, mean, table.source)
            blocks.append(ranking)
    if not blocks:
        return pd.DataFrame(columns=list(NEED_SHEET_COLUMNS)).rename(columns=_SHEET_NAMES)
    out = pd.concat(blocks, ignore_index=True)[list(NEED_SHEET_COLUMNS)]
    return out.rename(columns=_SHEET_NAMES)
