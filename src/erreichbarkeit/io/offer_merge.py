"""Combine the planners' offer lists with the OSM offers of the network file.

An OSM object of the same category close to a listed offer is the same
offer: it is dropped (the list wins, it is curated) and a note says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import METRIC_CRS, WGS84
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io.tables import RowProblem

__all__ = ["SAME_OFFER_M", "combine_offers"]

logger = logging.getLogger(__name__)

#: An OSM object of the same category this close to an offer of the user's
#: own list is taken to be the same offer (the list wins: it is curated).
SAME_OFFER_M = 75.0


def _osm_duplicates(osm_offers: gpd.GeoDataFrame, listed: pd.DataFrame) -> pd.DataFrame:
    """OSM offers within :data:`SAME_OFFER_M` of a listed offer of the same category.

    One row per duplicate OSM offer (indexed like ``osm_offers``) with the
    columns of both sides (suffixes ``_osm``/``_list``) and ``dist_m``.
    """
    listed_m = gpd.GeoDataFrame(listed, geometry="geometry", crs=WGS84).to_crs(METRIC_CRS)
    near = gpd.sjoin_nearest(
        osm_offers.to_crs(METRIC_CRS)[["id", "name", "category", "geometry"]],
        listed_m[["id", "name", "category", "source", "geometry"]],
        max_distance=SAME_OFFER_M,
        distance_col="dist_m",
        lsuffix="osm",
        rsuffix="list",
    )
    same: pd.DataFrame = near[near["category_osm"] == near["category_list"]]
    return same.loc[~same.index.duplicated(keep="first")]


def _duplicate_note(row: pd.Series) -> RowProblem:
    """The warning that an OSM object was dropped as a duplicate of a listed offer."""
    text = (
        f"OSM-Objekt „{row['name_osm']}“ ({row['id_osm']}) liegt {row['dist_m']:.0f} m "
        f"neben „{row['name_list']}“ aus {row['source']} (gleiche Kategorie) und wird "
        "nicht doppelt gezählt; verwendet wird der Listeneintrag."
    )
    return RowProblem(
        file="OpenStreetMap", row=0, column=None,
        message=f"OSM object {row['id_osm']} duplicates listed offer {row['id_list']}",
        message_de=text, severity="warning",
    )  # fmt: skip


def _unique_ids(offers: pd.DataFrame) -> pd.DataFrame:
    """Prefix ids that occur in two sources with their source (``source:id``)."""
    dup = offers["id"].duplicated(keep=False)
    if dup.any():
        offers.loc[dup, "id"] = (
            offers.loc[dup, "source"].astype(str) + ":" + offers.loc[dup, "id"].astype(str)
        )
    return offers


def combine_offers(
    own: Sequence[gpd.GeoDataFrame], osm_offers: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, list[RowProblem]]:
    """Combine the users' lists with the OSM POIs; drop OSM duplicates of listed offers.

    Parameters
    ----------
    own
        The offers of the users' lists (any CRS).
    osm_offers
        The OSM POIs of a known category, ``None`` when OSM offers are not used.

    Returns
    -------
    tuple
        The offers (EPSG:4326, ids unique) and notes (``RowProblem``
        warnings) about dropped OSM objects.

    Raises
    ------
    InputDataError
        When there is no offer at all.
    """
    lists = [f.to_crs(WGS84) for f in own if len(f)]
    notes: list[RowProblem] = []
    if osm_offers is not None and len(osm_offers) and lists:
        same = _osm_duplicates(osm_offers, pd.concat(lists, ignore_index=True))
        notes = [_duplicate_note(row) for _, row in same.iterrows()]
        osm_offers = osm_offers.drop(index=same.index)
        if len(same):
            logger.info("%d OSM offers duplicate offers of the own lists; dropped", len(same))
    frames = lists + (
        [osm_offers.to_crs(WGS84)] if osm_offers is not None and len(osm_offers) else []
    )
    if not frames:
        msg = "no offers: neither OSM POIs of a known category nor rows in the offers files"
        raise InputDataError(
            msg,
            expected="at least one offer",
            message_de=(
                "Keine Angebote gefunden (weder OSM-Einrichtungen noch Zeilen der Angebotsliste)"
            ),
        )
    offers = _unique_ids(pd.concat(frames, ignore_index=True))
    return gpd.GeoDataFrame(offers, geometry="geometry", crs=WGS84), notes
