"""Thünen-style indicators of the grid surface per Gemeinde and for the region.

Population-weighted median minutes to the nearest offer (cells without a
reachable offer censored beyond the cutoff, never left out), the mean over
the reachable cells next to the share without offer, and the shares of the
population within 5/10/15/20 minutes (:func:`grid_indicators`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from erreichbarkeit.analysis.summaries import DEFAULT_CUTOFF_MINUTES, censored_median
from erreichbarkeit.errors import MissingColumnError

__all__ = ["grid_indicators"]

_BANDS = (5, 10, 15, 20)


def _weights(cells: pd.DataFrame) -> tuple[npt.NDArray[np.float64], str]:
    pop = pd.to_numeric(cells["population"], errors="coerce").to_numpy("float64")
    if np.isfinite(pop).any():
        return np.nan_to_num(pop), "Einwohner"
    return np.ones(len(cells)), "Zellen (Siedlungsfläche, keine Einwohnerdaten)"


def _grid_stats(
    minutes: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    pop: npt.NDArray[np.float64],
    bands: Sequence[float],
    cutoff: float,
) -> dict[str, Any]:
    total = float(w.sum())
    finite = ~np.isnan(minutes)
    median, beyond = censored_median(minutes, w, cutoff=cutoff)
    row: dict[str, Any] = {
        "population": float(np.nansum(pop)) if np.isfinite(pop).any() else math.nan,
        "n_cells": int(minutes.size),
        "pop_median_min": median,
        "pop_median_beyond": beyond,
        "pop_mean_min_reachable": (
            float((minutes[finite] * w[finite]).sum() / w[finite].sum())
            if w[finite].sum() > 0
            else math.nan
        ),
    }
    for b in bands:
        # exactly at the band limit counts as within
        inside = finite & (np.where(finite, minutes, np.inf) <= b)
        row[f"share_within_{b:g}"] = float(w[inside].sum()) / total if total > 0 else math.nan
    row["share_unreachable"] = float(w[~finite].sum()) / total if total > 0 else math.nan
    return row


def _check_columns(cells: pd.DataFrame, categories: Sequence[str], modes: Sequence[str]) -> None:
    """Raise :class:`MissingColumnError` naming every missing column."""
    needed = ["ags", "gemeinde", "population"] + [f"{c}_{m}_min" for c in categories for m in modes]
    missing = [c for c in needed if c not in cells.columns]
    if missing:
        msg = f"grid cells lack column(s) {', '.join(missing)}"
        raise MissingColumnError(
            msg,
            column=missing[0],
            expected=", ".join(needed),
            message_de=f"Den Rasterzellen fehlen die Spalten {', '.join(missing)}",
        )


def grid_indicators(
    cells: pd.DataFrame,
    *,
    categories: Sequence[str],
    modes: Sequence[str],
    bands: Sequence[float] = _BANDS,
    cutoff: float = DEFAULT_CUTOFF_MINUTES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population-weighted indicators of the grid surface per Gemeinde and region.

    For one category and mode let ``t_c`` be cell *c*'s minutes to the
    nearest offer (NaN = none within the cutoff) and ``w_c`` its population
    (NaN = 0; every cell weighs 1 when the grid has no population at all).

    * ``pop_median_min``: lower weighted median over **all** cells, a cell
      without a reachable offer counted as beyond the cutoff (``+∞``,
      :func:`erreichbarkeit.analysis.indicators.weighted_median`); when the
      median falls there it is ``cutoff`` and ``pop_median_beyond`` is True
      (read: „> 90 min“);
    * ``pop_mean_min_reachable = Σ w_c·t_c / Σ w_c`` over cells with finite
      ``t_c`` only — read it with ``share_unreachable`` next to it;
    * ``share_within_<b> = Σ w_c [t_c <= b] / Σ w_c`` over **all** cells,
      so unreachable cells count in the denominator;
    * ``share_unreachable = Σ w_c [t_c NaN] / Σ w_c``;
    * ``population = Σ population`` (NaN without population), ``n_cells``.

    Parameters
    ----------
    cells
        Grid cells with ``ags``, ``gemeinde``, ``population`` and
        ``<cat>_<mode>_min`` columns.
    categories, modes
        Which columns to summarise.
    bands
        Minute limits of the ``share_within_*`` columns.
    cutoff
        The routing cutoff (``settings.routing.cutoff_minutes``), the value
        of a censored median.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(gemeinde, kreis)``: per ``ags, gemeinde, category, mode`` and over
        all cells (``category, mode``), columns ``population, n_cells,
        pop_median_min, pop_median_beyond, pop_mean_min_reachable,
        share_within_<b>…, share_unreachable, weighting`` (``Einwohner`` or
        the area basis).

    Raises
    ------
    MissingColumnError
        A required column is missing.
    """
    _check_columns(cells, categories, modes)
    w, basis = _weights(cells)
    pop = pd.to_numeric(cells["population"], errors="coerce").to_numpy("float64")
    minutes = {(c, m): cells[f"{c}_{m}_min"].to_numpy("float64") for c in categories for m in modes}
    rows: list[dict[str, Any]] = []
    groups = cells.groupby(["ags", "gemeinde"], sort=True, dropna=False).indices
    for key, idx in groups.items():
        ags, name = cast(tuple[Any, Any], key)
        for (cat, mode), t in minutes.items():
            row = {"ags": ags, "gemeinde": name, "category": cat, "mode": mode}
            row.update(_grid_stats(t[idx], w[idx], pop[idx], bands, cutoff))
            rows.append(row)
    kreis_rows: list[dict[str, Any]] = []
    for (cat, mode), t in minutes.items():
        row = {"category": cat, "mode": mode}
        row.update(_grid_stats(t, w, pop, bands, cutoff))
        kreis_rows.append(row)
    stats = [
        "population", "n_cells", "pop_median_min", "pop_median_beyond",
        "pop_mean_min_reachable",
        *(f"share_within_{b:g}" for b in bands), "share_unreachable",
    ]  # fmt: skip
    gem = pd.DataFrame(rows, columns=["ags", "gemeinde", "category", "mode", *stats])
    kreis = pd.DataFrame(kreis_rows, columns=["category", "mode", *stats])
    gem["weighting"] = basis
    kreis["weighting"] = basis
    return gem, kreis
