"""Villages (origins): Gemeinde assignment, population and children estimates.

Population per village comes, in this order of preference, from

1. the user's own village file (a population column) — labelled ``Angabe``;
2. the Gemeinde's population (boundaries or population table, e.g. Zensus
   2022) distributed over the Gemeinde's villages in proportion to a weight:
   the village's OSM ``population`` tag where it has one, otherwise a typical
   size for its place type (:data:`PLACE_WEIGHTS`).  The weights only set
   the *proportions* inside a Gemeinde; the Gemeinde total is kept exactly.
   Labelled ``Schätzung: …``.
3. where the Gemeinde's population is unknown, the weight itself as a rough
   absolute estimate, labelled as such.

Why place-type weights: in a rural Gemeinde the OSM place type is the one
size signal available everywhere (a ``village`` has a few hundred to a few
thousand inhabitants, a ``hamlet`` a few dozen); OSM ``population`` tags,
where present, are better and win.  A population grid (Zensus) is the better
proxy and replaces this where given (see issue "Population grid surface").

A Gemeinde only partly inside the network data (``partial``, see
:mod:`erreichbarkeit.analysis.coverage`) has only the covered share of its
population distributed over its villages in the extract; its villages get
``gemeinde_partial`` True and a label saying so.

Children per age group are the population times the age-group shares of the
settings (national shares by default) unless the user gives counts.  Every
``children_*`` column the user gives is kept (a blank cell is estimated);
only the missing age groups are estimated.  ``children_source`` says per
village which age groups were given and which estimated, e.g. ``Angabe:
0–3, 3–6; Schätzung (Einwohner × Altersanteile …): 6–10, 10–18, 18–27``
(``Angabe`` alone when all were given).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from erreichbarkeit.config import AGE_GROUPS, WGS84, age_column

__all__ = ["PLACE_WEIGHTS", "assign_gemeinden", "estimate_population"]

logger = logging.getLogger(__name__)

#: Typical inhabitants per OSM place type, used as relative weights inside a
#: Gemeinde (OSM wiki "Key:place": hamlet < 100–200, village < 10 000, town
#: 10 000–100 000; values chosen as rural German medians, rounded).
PLACE_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "city": 30_000.0,
        "town": 6_000.0,
        "suburb": 3_000.0,
        "quarter": 1_500.0,
        "neighbourhood": 600.0,
        "village": 500.0,
        "hamlet": 60.0,
        "isolated_dwelling": 8.0,
        "user": 500.0,
    }
)

OUTSIDE = "außerhalb der Gemeindegrenzen"


def assign_gemeinden(villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``ags`` and ``gemeinde`` of the polygon each village lies in.

    Villages outside every polygon get ``ags`` ``<NA>`` and ``gemeinde``
    ``"außerhalb der Gemeindegrenzen"``; they keep their results but count
    for no Gemeinde.  Where polygons overlap (simplified boundaries), the
    first match wins.

    Parameters
    ----------
    villages
        Villages contract (EPSG:4326).
    boundaries
        Boundaries contract (``ags``, ``gemeinde``, polygons).
    """
    out = villages.drop(columns=[c for c in ("ags", "gemeinde") if c in villages.columns])
    if boundaries.empty:
        out["ags"] = pd.NA
        out["gemeinde"] = OUTSIDE
        return out
    b = boundaries[["ags", "gemeinde", "geometry"]].to_crs(out.crs or WGS84)
    joined = gpd.sjoin(out[["geometry"]], b, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    out["ags"] = joined["ags"].reindex(out.index)
    out["gemeinde"] = joined["gemeinde"].reindex(out.index).fillna(OUTSIDE)
    n_out = int(out["ags"].isna().sum())
    if n_out:
        logger.warning("%d villages lie outside every Gemeinde polygon", n_out)
    return out


def estimate_population(
    villages: gpd.GeoDataFrame,
    gemeinde_population: Mapping[str, float] | pd.Series,
    age_shares: Mapping[str, float],
    *,
    population_source: str = "Gemeinde-Einwohnerzahl",
    partial: Mapping[str, float] | pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Add population, children (with their sources) and ``gemeinde_partial``.

    Parameters
    ----------
    villages
        Villages with ``ags``, ``place``, ``osm_population`` (see
        :func:`assign_gemeinden`); an existing ``population`` column with
        values is kept as the user's own figure.
    gemeinde_population
        Inhabitants per AGS.
    age_shares
        Share of the population per age group (``"0-3"`` → 0.028).
    population_source
        Name of the Gemeinde figures for the label (e.g. ``"Zensus 2022"``).
    partial
        Covered share (0…1) per AGS of the Gemeinden only partly inside the
        network data: only ``share · P_g`` is distributed over their villages.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the new columns.  Formula of the estimate for village
        *v* in Gemeinde *g*: ``pop_v = (P_g − G_g) · w_v / Σ_{u∈g} w_u`` with
        ``w`` the OSM population tag or :data:`PLACE_WEIGHTS` of the place
        type, ``G_g`` the sum of the user's own figures in *g*, and the sum
        over the villages of *g* without an own figure; for a partial
        Gemeinde ``P_g`` is its covered share.
    """
    out = villages.copy()
    shares = pd.Series(partial if partial is not None else {}, dtype=float)
    ags = out["ags"] if "ags" in out.columns else pd.Series(pd.NA, index=out.index)
    in_partial = ags.isin(shares.index).to_numpy(bool)
    gpop = pd.Series(gemeinde_population, dtype=float)
    gpop = gpop.mul(shares.reindex(gpop.index).fillna(1.0))
    population, source = _village_population(out, gpop, population_source)
    estimated = source.str.startswith("Schätzung")
    source[in_partial & estimated] = source[in_partial & estimated].str.replace(
        "verteilt nach",
        "(nur der Anteil im Kartenausschnitt) verteilt nach",
        regex=False,
    )
    out["population"] = population.round(0)
    out["population_source"] = source
    out["gemeinde_partial"] = in_partial
    _add_children(out, age_shares)
    return out


def _village_population(
    villages: pd.DataFrame,
    gemeinde_population: Mapping[str, float] | pd.Series,
    population_source: str,
) -> tuple[pd.Series, pd.Series]:
    """Population per village (own figure, share of the Gemeinde, or rough) and its label."""
    given = (
        pd.to_numeric(villages["population"], errors="coerce")
        if "population" in villages.columns
        else pd.Series(np.nan, index=villages.index)
    )
    osm_pop = (
        pd.to_numeric(villages["osm_population"], errors="coerce")
        if "osm_population" in villages.columns
        else pd.Series(np.nan, index=villages.index)
    )
    place = (
        villages["place"]
        if "place" in villages.columns
        else pd.Series("user", index=villages.index)
    )
    type_weight = place.map(PLACE_WEIGHTS).fillna(PLACE_WEIGHTS["village"])
    weight = osm_pop.where(osm_pop > 0, type_weight)
    gpop = pd.Series(gemeinde_population, dtype=float)
    ags = villages["ags"] if "ags" in villages.columns else pd.Series(pd.NA, index=villages.index)
    # villages with the user's own figure keep it; the rest of the Gemeinde's
    # population is distributed over the others
    open_weight = weight.where(given.isna(), 0.0)
    given_sum = given.fillna(0.0).groupby(ags).transform("sum")
    remaining = (ags.map(gpop) - given_sum).clip(lower=0.0)
    weight_sum = open_weight.groupby(ags).transform("sum")
    share_estimate = remaining * open_weight / weight_sum

    population = given.copy()
    source = pd.Series("Angabe", index=villages.index, dtype=object)
    use_share = population.isna() & share_estimate.notna()
    population[use_share] = share_estimate[use_share]
    source[use_share] = np.where(
        osm_pop[use_share] > 0,
        f"Schätzung: {population_source} verteilt nach OSM-Einwohnerangaben",
        f"Schätzung: {population_source} verteilt nach Ortstyp-Gewichten",
    )
    rough = population.isna()
    population[rough] = weight[rough]
    source[rough] = (
        "grobe Schätzung: typische Größe des Ortstyps (Gemeinde-Einwohnerzahl unbekannt)"
    )
    return population, source


def _add_children(out: pd.DataFrame, age_shares: Mapping[str, float]) -> None:
    """Children per age group (given counts kept, missing ones estimated) and their label."""
    shares_text = ", ".join(
        f"{g}: {age_shares[g] * 100:.1f} %" for g in AGE_GROUPS if g in age_shares
    )
    estimate_label = f"Schätzung: Einwohner × Altersanteile ({shares_text})"
    given = pd.DataFrame(index=out.index)
    for g in AGE_GROUPS:
        col = age_column(g)
        counts = (
            pd.to_numeric(out[col], errors="coerce")
            if col in out.columns
            else pd.Series(np.nan, index=out.index, dtype=float)
        )
        given[g] = counts.notna()
        estimate = (out["population"] * age_shares[g]).round(1)
        out[col] = counts.where(counts.notna(), estimate)
    out["children_source"] = [
        _children_label(row, estimate_label) for row in given.itertuples(index=False)
    ]


def _children_label(given: tuple[bool, ...], estimate_label: str) -> str:
    """``Angabe``, the estimate's label, or which age groups were given and which estimated."""
    if all(given):
        return "Angabe"
    if not any(given):
        return estimate_label
    own = ", ".join(g.replace("-", "–") for g, k in zip(AGE_GROUPS, given, strict=True) if k)
    est = ", ".join(g.replace("-", "–") for g, k in zip(AGE_GROUPS, given, strict=True) if not k)
    detail = estimate_label.removeprefix("Schätzung: ")
    return f"Angabe: {own}; Schätzung ({detail}): {est}"
