"""The Steckbrief's figures below the map: key figures and the Bus & Bahn parts.

:func:`page_body` draws, below the map of page 1, the key-figure table
(:func:`kpi_table`) and, in a run with Bus & Bahn, the comparison box
(:func:`.steckbrief_transit.draw_transit_box`) — or, on a Bus & Bahn page,
the Bus & Bahn body (:func:`.steckbrief_transit.draw_transit_body`).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from matplotlib.figure import Figure

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.report.mapplot import draw_table
from erreichbarkeit.report.steckbrief_data import covered_note, format_de
from erreichbarkeit.report.steckbrief_transit import draw_transit_body, draw_transit_box
from erreichbarkeit.results import Results

__all__ = ["Later", "kpi_table", "page_body"]

#: Drawing left for the next page: ``later(page, top, floor) -> bottom`` (figure fractions).
Later = Callable[[Figure, float, float], float]

_ROW = 0.0135  # row height of the text tables (figure fraction)


def page_body(
    fig: Figure,
    results: Results,
    kpis: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    ags: str | None,
    mode: str,
    age_group: str,
    foot: float,
) -> tuple[float, Later | None]:
    """The figures below the map; return their bottom and what waits for the next page.

    Bus & Bahn pages get their key figures, worst villages and named
    villages; other pages the key figures and, in a run with Bus & Bahn, the
    comparison box.  What does not fit above the footer (``foot``) is
    returned as ``later(page, top, floor) -> bottom`` for the next page.
    """
    if mode == "pt":
        return draw_transit_body(
            fig, results, kpis, villages, gemeinde_column=ags is None, age_group=age_group,
            title_note=covered_note(kpis), floor=foot,
        )  # fmt: skip
    age, mode_de = age_group.replace("-", "–"), MODE_LABELS.get(mode, mode)
    kpi_title = f"Kennzahlen für Kinder {age} Jahre ({mode_de}){covered_note(kpis)}"
    bottom = kpi_table(fig, kpis, title=kpi_title)
    cats = tuple(kpis["category"])
    if "pt" not in results.settings.modes or f"{cats[0]}_pt_status" not in results.villages:
        return bottom, None

    def box(page: Figure, top: float, _floor: float) -> float:
        return draw_transit_box(page, top, results, ags=ags, age_group=age_group, categories=cats)

    if bottom - 0.008 - _ROW * (len(cats) + 3) < foot:  # too long: on page 2
        return bottom, box
    return box(fig, bottom - 0.008, foot), None


def kpi_table(fig: Figure, kpis: pd.DataFrame, *, title: str) -> float:
    """The key-figure table below the map; return its bottom (figure fraction)."""
    kpi_rows = [
        [
            str(r["label"]),
            f"{format_de(r['threshold'])} min",
            format_de(r["children_within"]),
            format_de(r["children_beyond"]),
            f"{r['n_underserved']} von {r['n_villages']}",
            str(r["median_text"]),
        ]
        for _, r in kpis.iterrows()
    ]
    return draw_table(
        fig,
        0.525,
        ["Angebot", "Schwelle", "Kinder innerhalb", "Kinder außerhalb",
         "Orte unterversorgt", "Median"],
        kpi_rows,
        [0.26, 0.12, 0.16, 0.16, 0.16, 0.14],
        align=["left", "right", "right", "right", "right", "right"],
        title=title,
    )  # fmt: skip
