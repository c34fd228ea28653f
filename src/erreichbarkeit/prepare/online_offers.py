"""Fetch a region's current OSM offers online (Overpass API, through osmnx).

The OSM extract ``prepare`` clips is the offline source of offers: it is as
old as its download (Geofabrik updates daily, but a cached extract may be
months old).  :func:`fetch_osm_offers` asks the Overpass API for the objects
the category table's OSM rules describe *today*, inside the buffered Kreis,
and writes them as an ordinary offers CSV (``ID;Name;Kategorie;Breitengrad;
Längengrad;Adresse;Träger;Öffnungszeiten``) that a region file lists under
``[inputs] offers`` instead of ``"osm"``.

osmnx's :func:`osmnx.features.features_from_polygon` does the work that is
easy to get wrong by hand: the Overpass QL query per tag, splitting a large
polygon into several requests, waiting for a free slot (the server's status
endpoint), and assembling way and multipolygon geometries.  The query asks
for the first tag of every rule (the union of the rules); the answer is
filtered with the full rules, in the category order, by
:func:`erreichbarkeit.io.osm.match_category`, exactly as the offline reader does.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, Point, Polygon

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._version import __version__
from erreichbarkeit.config import Category
from erreichbarkeit.errors import InputDataError
from erreichbarkeit.io.osm import format_address, match_category

__all__ = ["OFFER_FILE_COLUMNS", "fetch_osm_offers", "overpass_tags"]

logger = logging.getLogger(__name__)

#: Columns of the written CSV (German headers that :func:`erreichbarkeit.io.read_offers` knows).
OFFER_FILE_COLUMNS = (
    "ID",
    "Name",
    "Kategorie",
    "Breitengrad",
    "Längengrad",
    "Adresse",
    "Träger",
    "Öffnungszeiten",
)
_ELEMENT_ORDER = {"node": 0, "way": 1, "relation": 2}
_STATUS_LINE = 4  # the line of /status that osmnx reads ("2 slots available now.")
_NO_FEATURES = "No matching features"  # osmnx's InsufficientResponseError for an empty answer


def overpass_tags(categories: Mapping[str, Category]) -> dict[str, bool | list[str]]:
    """The osmnx ``tags`` query for the category table's OSM rules.

    Each rule contributes its first tag (an object matching the rule has it);
    a ``"*"`` value asks for every value of that key.

    Parameters
    ----------
    categories
        The category table (:func:`erreichbarkeit.config.load_categories`).

    Returns
    -------
    dict[str, bool | list[str]]
        ``{"amenity": ["kindergarten", ...], "healthcare": ["midwife"], ...}``,
        keys and values sorted.
    """
    values: dict[str, set[str]] = {}
    any_value: set[str] = set()
    for cat in categories.values():
        for rule in cat.osm:
            if not rule:
                continue
            key, value = next(iter(rule.items()))
            if value == "*":
                any_value.add(key)
            else:
                values.setdefault(key, set()).add(value)
    keys = sorted(values.keys() | any_value)
    return {k: True if k in any_value else sorted(values[k]) for k in keys}


@contextlib.contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    """Set osmnx settings for one call and restore them (and the DNS patch) afterwards.

    osmnx pins the Overpass host's IP address by replacing
    :func:`socket.getaddrinfo` for the rest of the process; that is undone
    here, so the patch does not outlive the call.
    """
    import osmnx as ox  # noqa: PLC0415  (osmnx and networkx take ~1 s to import)

    old = {name: getattr(ox.settings, name) for name in values}
    getaddrinfo = socket.getaddrinfo
    try:
        for name, value in values.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in old.items():
            setattr(ox.settings, name, value)
        socket.getaddrinfo = getaddrinfo


def _network_error(exc: Exception, url: str) -> InputDataError:
    """The error for an unreachable Overpass server or an error answer."""
    msg = f"fetching the current OSM offers failed: {exc} ({url})"
    return InputDataError(
        msg,
        message_de=(
            f"Abruf der aktuellen OSM-Angebote fehlgeschlagen ({url}): {exc}. "
            "Ohne Internet oder bei überlastetem Server ohne --online-offers aufrufen; "
            "die Angebote kommen dann aus dem OSM-Extrakt."
        ),
    )


def _has_status(url: str, timeout_s: float) -> bool:
    """Whether the server answers its ``/status`` endpoint (raise when it is unreachable).

    osmnx asks ``/status`` for a free slot before every query and, when that
    fails, waits 60 s before trying anyway.  Checking once here turns "no
    internet" into an immediate error, and a server without ``/status``
    (a private Overpass instance) is queried without osmnx's slot management.
    """
    request = urllib.request.Request(
        url.rstrip("/") + "/status", headers={"User-Agent": f"erreichbarkeit/{__version__}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=min(timeout_s, 30.0)) as response:
            lines = response.read(4096).decode("utf-8", "replace").splitlines()
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _network_error(exc, url) from exc
    if len(lines) <= _STATUS_LINE:
        return False
    token = lines[_STATUS_LINE].split(" ", 1)[0]
    return token.isdigit() or token in ("Slot", "Currently")


def _download_features(
    polygon: Polygon | MultiPolygon,
    tags: dict[str, bool | list[str]],
    *,
    overpass_url: str | None,
    timeout_s: float,
) -> gpd.GeoDataFrame:
    """Ask the Overpass API through osmnx; an empty answer gives an empty frame."""
    import osmnx as ox  # noqa: PLC0415  (osmnx and networkx take ~1 s to import)
    from osmnx._errors import (  # noqa: PLC0415  (see above)
        InsufficientResponseError,
        ResponseStatusCodeError,
    )

    settings: dict[str, Any] = {
        "use_cache": False,  # the written CSV is the record; no ./cache folder
        "log_console": False,
        "requests_timeout": timeout_s,
        "http_user_agent": f"erreichbarkeit/{__version__} (osmnx/{ox.__version__})",
    }
    if overpass_url is not None:
        settings["overpass_url"] = overpass_url
    url = overpass_url or str(ox.settings.overpass_url)
    settings["overpass_rate_limit"] = _has_status(url, timeout_s)
    query: dict[str, bool | str | list[str]] = dict(tags)
    try:
        with _osmnx_settings(**settings):
            return ox.features.features_from_polygon(polygon, query)
    except InsufficientResponseError as exc:
        if str(exc).startswith(_NO_FEATURES):
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        raise _network_error(exc, url) from exc
    except (ResponseStatusCodeError, OSError) as exc:  # requests' errors are OSErrors
        raise _network_error(exc, url) from exc


def _offer_rows(features: gpd.GeoDataFrame, categories: Mapping[str, Category]) -> pd.DataFrame:
    """One CSV row per feature that matches a category rule, sorted by OSM type and id."""
    labels = {key: cat.label for key, cat in categories.items()}
    rows: list[tuple[tuple[int, int], dict[str, str]]] = []
    tag_columns = [c for c in features.columns if c != "geometry"]
    for (element, osm_id), values, geom in zip(
        features.index,
        features[tag_columns].itertuples(index=False),
        features.geometry,
        strict=True,
    ):
        tags = {k: v for k, v in zip(tag_columns, values, strict=True) if isinstance(v, str)}
        category = match_category(tags, categories)
        if category is None or geom is None or geom.is_empty:
            continue
        point = geom if isinstance(geom, Point) else geom.centroid
        street = tags.get("addr:street") or tags.get("addr:place") or ""
        row = {
            "ID": f"osm:{element}/{osm_id}",
            "Name": tags.get("name") or f"{labels[category]} {street}".strip(),
            "Kategorie": labels[category],
            "Breitengrad": f"{point.y:.7f}",
            "Längengrad": f"{point.x:.7f}",
            "Adresse": format_address(tags),
            "Träger": tags.get("operator", ""),
            "Öffnungszeiten": tags.get("opening_hours", ""),
        }
        rows.append(((_ELEMENT_ORDER.get(str(element), 3), int(osm_id)), row))
    rows.sort(key=lambda item: item[0])
    return pd.DataFrame([row for _, row in rows], columns=list(OFFER_FILE_COLUMNS), dtype=str)


def fetch_osm_offers(
    polygon: Polygon | MultiPolygon,
    categories: Mapping[str, Category],
    *,
    out_path: str | Path,
    overpass_url: str | None = None,
    timeout_s: float = 180.0,
) -> pd.DataFrame:
    """Fetch the current OSM offers inside ``polygon`` and write them as an offers CSV.

    Parameters
    ----------
    polygon
        The area (EPSG:4326), e.g. the Kreis plus buffer.
    categories
        The category table; its OSM rules select and classify the objects.
    out_path
        The CSV to write (``;``-separated, UTF-8 with BOM, written atomically);
        not written when no offer was found.
    overpass_url
        Base URL of the Overpass API (``.../api``); ``None`` = osmnx's default
        (``https://overpass-api.de/api``).
    timeout_s
        Timeout of each request (and the server-side query) in seconds.

    Returns
    -------
    pandas.DataFrame
        The written rows (columns :data:`OFFER_FILE_COLUMNS`, all text); empty
        when OSM has no matching object in the area.

    Raises
    ------
    InputDataError
        No connection to the server, or an error answer ("Abruf der aktuellen
        OSM-Angebote fehlgeschlagen …").
    """
    out = Path(out_path)
    features = _download_features(
        polygon, overpass_tags(categories), overpass_url=overpass_url, timeout_s=timeout_s
    )
    table = _offer_rows(features, categories)
    if table.empty:
        logger.warning("no current OSM offers found in the area; %s not written", out)
        return table
    with atomic_path(out) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    counts = table["Kategorie"].value_counts().sort_index()
    logger.info(
        "%d current OSM offers written to %s (%s)",
        len(table),
        out,
        ", ".join(f"{k}: {n}" for k, n in counts.items()),
    )
    return table
