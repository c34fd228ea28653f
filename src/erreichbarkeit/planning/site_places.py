"""Where a suggested site lies: its Gemeinde and the nearest village.

A site made from a village (:func:`erreichbarkeit.planning.candidates.candidate_sites`,
id ``kandidat:<village id>``) is that village, in that village's Gemeinde.
Any other site (own candidate sites, ``eigen:…``) lies in the Gemeinde
polygon containing it (the run's boundaries) and next to the nearest village,
whose straight-line distance is measured in ETRS89 / UTM 32N (``METRIC_CRS``;
off by well under 1 % in the east of Germany, which is UTM 33).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import METRIC_CRS, WGS84

__all__ = ["SITE_PLACE_COLUMNS", "site_places"]

#: Columns of :func:`site_places`.
SITE_PLACE_COLUMNS = ("ags", "gemeinde", "nearest_village", "nearest_km")


def _village_sites(sites: gpd.GeoDataFrame, villages: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Rows of sites that are villages (by id), with the village's AGS, Gemeinde and name."""
    vid = villages["id"].astype(str)
    ids = sites["id"].astype(str)
    own = ids.str.removeprefix(prefix)
    is_village = ids.str.startswith(prefix) & own.isin(set(vid))
    v = villages.assign(_vid=vid).drop_duplicates("_vid").set_index("_vid")
    hit = own[is_village]
    out = pd.DataFrame(index=hit.index)
    for col in ("ags", "gemeinde"):
        out[col] = hit.map(v[col]) if col in v.columns else pd.NA
    names = v["name"] if "name" in v.columns else v.index.to_series()
    out["nearest_village"] = hit.map(names.astype(str))
    out["nearest_km"] = 0.0
    return out


def _located_sites(
    sites: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Gemeinde polygon and nearest village (km) of each site."""
    out = pd.DataFrame(index=sites.index, columns=list(SITE_PLACE_COLUMNS), dtype=object)
    if sites.empty:
        return out
    pts = gpd.GeoDataFrame(geometry=sites.geometry.to_numpy(), index=sites.index, crs=sites.crs)
    if len(boundaries):
        b = boundaries[["ags", "gemeinde", "geometry"]].to_crs(pts.crs)
        # "intersects": a site on a border line belongs to one of the Gemeinden
        joined = gpd.sjoin(pts, b, how="left", predicate="intersects")
        joined = joined[~joined.index.duplicated()]
        out["ags"] = joined["ags"].reindex(out.index)
        out["gemeinde"] = joined["gemeinde"].reindex(out.index)
    if len(villages):
        names = villages["name"] if "name" in villages.columns else villages["id"]
        v = gpd.GeoDataFrame(
            {"_name": names.astype(str).to_numpy()},
            geometry=villages.geometry.to_numpy(),
            crs=villages.crs,
        ).to_crs(METRIC_CRS)
        near = gpd.sjoin_nearest(pts.to_crs(METRIC_CRS), v, how="left", distance_col="_m")
        near = near[~near.index.duplicated()]
        out["nearest_village"] = near["_name"].reindex(out.index)
        out["nearest_km"] = (near["_m"] / 1000.0).reindex(out.index).astype("float64")
    return out


def site_places(
    sites: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    prefix: str = "kandidat:",
) -> pd.DataFrame:
    """The Gemeinde and nearest village of each site.

    Parameters
    ----------
    sites
        Sites with ``id`` and Point geometry (``LocationSuggestion.sites``).
    villages
        The run's villages (``id``, ``name``, ``ags``, ``gemeinde``, Point geometry).
    boundaries
        Gemeinde polygons (``ags``, ``gemeinde``, geometry); may be empty.
    prefix
        Id prefix of the candidate sites made from villages.

    Returns
    -------
    pandas.DataFrame
        Index of ``sites``; ``ags`` and ``gemeinde`` (missing outside every
        Gemeinde polygon), ``nearest_village`` (the village itself for a
        village site) and ``nearest_km`` (0 for a village site; NaN without
        villages).
    """
    crs = sites.crs or WGS84
    sites = sites.set_crs(crs) if sites.crs is None else sites
    from_villages = _village_sites(sites, villages, prefix)
    rest = sites.loc[~sites.index.isin(from_villages.index)]
    located = _located_sites(rest, villages, boundaries)
    out = pd.concat([from_villages, located]).reindex(sites.index)
    out["nearest_km"] = pd.to_numeric(out["nearest_km"], errors="coerce").astype("float64")
    return out.loc[:, list(SITE_PLACE_COLUMNS)]
