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

Where the planner gives children per Gemeinde and age group (a children
table, :func:`erreichbarkeit.io.children.read_children`), a Gemeinde's count
``C_g`` replaces the age-share estimate for that group: the villages of the
Gemeinde without an own count share ``C_g`` minus the own counts in
proportion to their population, so the Gemeinde's villages sum to the
table's count exactly.  A partial Gemeinde distributes only its covered
share of ``C_g`` (the same rule as its population).  Own village counts
still win; groups the table lacks keep the age-share estimate.  Labelled
``Kinderzahl der Gemeinde (<Datei>, auf Orte nach Einwohnern verteilt)``.
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
    children: pd.DataFrame | None = None,
    children_file: str = "Kindertabelle",
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
    children
        Children per Gemeinde: index AGS, one column per age group given
        (NaN = not given, estimated); distributed over the villages by
        population (see the module docstring).
    children_file
        File name of ``children`` for the label.

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
    table = None
    if children is not None:
        table = children.mul(shares.reindex(children.index).fillna(1.0), axis=0)
    _add_children(out, age_shares, table, children_file)
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


def _add_children(
    out: pd.DataFrame,
    age_shares: Mapping[str, float],
    table: pd.DataFrame | None = None,
    table_file: str = "",
) -> None:
    """Children per age group (own counts, the Gemeinde table, else estimated) and the label."""
    shares_text = ", ".join(
        f"{g.replace('-', '–')}: {age_shares[g] * 100:.1f} %".replace(".", ",")
        for g in AGE_GROUPS
        if g in age_shares
    )
    labels = {
        "own": "Angabe",
        "table": f"Kinderzahl der Gemeinde ({table_file}, auf Orte nach Einwohnern verteilt)",
        "estimate": f"Schätzung: Einwohner × Altersanteile ({shares_text})",
    }
    kinds = pd.DataFrame(index=out.index)
    for g in AGE_GROUPS:
        col = age_column(g)
        counts = (
            pd.to_numeric(out[col], errors="coerce")
            if col in out.columns
            else pd.Series(np.nan, index=out.index, dtype=float)
        )
        from_table = _table_share(out, counts, table, g)
        estimate = (out["population"] * age_shares[g]).round(1)
        kinds[g] = np.where(
            counts.notna(), "own", np.where(from_table.notna(), "table", "estimate")
        )
        out[col] = counts.where(counts.notna(), from_table.where(from_table.notna(), estimate))
    out["children_source"] = [_children_label(row, labels) for row in kinds.itertuples(index=False)]


def _table_share(
    out: pd.DataFrame, counts: pd.Series, table: pd.DataFrame | None, group: str
) -> pd.Series:
    """Each open village's share of its Gemeinde's count of ``group`` (NaN: no count).

    ``c_v = (C_g − O_g) · pop_v / Σ_{u∈g open} pop_u`` with ``O_g`` the own
    counts in *g*; NaN where the table has no count or the open villages
    have no inhabitants.
    """
    nan = pd.Series(np.nan, index=out.index, dtype=float)
    if table is None or group not in table.columns or "ags" not in out.columns:
        return nan
    ags = out["ags"]
    gemeinde = ags.map(table[group].dropna()).astype(float)
    open_pop = out["population"].astype(float).where(counts.isna(), 0.0)
    own_sum = counts.fillna(0.0).groupby(ags).transform("sum")
    open_sum = open_pop.groupby(ags).transform("sum")
    share = (gemeinde - own_sum).clip(lower=0.0) * open_pop / open_sum.where(open_sum > 0)
    return share.where(counts.isna())


_LABEL_HEADS = {"own": "Angabe", "table": "Kinderzahl der Gemeinde", "estimate": "Schätzung"}


def _label_detail(label: str) -> str:
    """`` (detail)`` of a one-source label: the estimate's formula or the table's file."""
    if label.startswith("Schätzung: "):
        return f" ({label.removeprefix('Schätzung: ')})"
    return label.removeprefix(_LABEL_HEADS["table"]).removeprefix("Angabe")


def _children_label(kinds: tuple[str, ...], labels: Mapping[str, str]) -> str:
    """One label when all groups share a source, else which groups came from which source."""
    if len(set(kinds)) == 1:
        return labels[kinds[0]]
    parts = []
    for kind in ("own", "table", "estimate"):
        groups = ", ".join(
            g.replace("-", "–") for g, k in zip(AGE_GROUPS, kinds, strict=True) if k == kind
        )
        if not groups:
            continue
        parts.append(f"{_LABEL_HEADS[kind]}{_label_detail(labels[kind])}: {groups}")
    return "; ".join(parts)
