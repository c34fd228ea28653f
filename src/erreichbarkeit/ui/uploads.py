"""Offers lists uploaded in a dashboard session: read, check and route them (no Streamlit).

An upload only ever extends the user's own session
(:func:`erreichbarkeit.ui.views.merge_upload`); it never enters the shared
caches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.io import OffersReadResult, RowProblem, read_offers
from erreichbarkeit.network.matrix import travel_times as compute_travel_times
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.views import ViewData

__all__ = ["MAX_UPLOAD_OFFERS", "UploadOutcome", "handle_upload", "route_offers"]

logger = logging.getLogger(__name__)

_UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

#: Most offers one upload may hold (routing 2 000 offers takes a few seconds;
#: 20 000 took 40 s and held 675 000 travel-time rows in one session).
MAX_UPLOAD_OFFERS = 2000


@dataclass(frozen=True)
class UploadOutcome:
    """Result of reading an uploaded offers file.

    Attributes
    ----------
    name
        The file name as the user uploaded it (display only).
    offers
        Valid offers (ids prefixed ``upload:``), possibly empty.
    problems
        Row problems (German messages).
    error
        A German message when the whole file was unusable, else ``None``.
    """

    name: str
    offers: gpd.GeoDataFrame
    problems: tuple[RowProblem, ...] = ()
    error: str | None = None


def _empty_offers() -> gpd.GeoDataFrame:
    """An offers table without rows."""
    return gpd.GeoDataFrame({"id": [], "name": [], "category": []}, geometry=[], crs=WGS84)


def _failed(filename: str, error: str, problems: tuple[RowProblem, ...] = ()) -> UploadOutcome:
    """The outcome of an unusable file: no offers, a German message."""
    return UploadOutcome(filename, _empty_offers(), problems, error=error)


def _stored(data: bytes, suffix: str, workdir: Path) -> Path:
    """Write the bytes under a name made from their hash (never the user's file name)."""
    workdir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = workdir / f"angebote-{digest}{suffix}"
    path.write_bytes(data)
    return path


def _accepted(res: OffersReadResult, path: Path, filename: str) -> UploadOutcome:
    """The readable rows of an upload: ids prefixed ``upload:``, messages name the user's file."""
    offers = res.offers.copy()
    if len(offers):
        ids = offers["id"].astype(str).str.replace(path.name, filename, regex=False)
        offers["id"] = "upload:" + ids
        offers["source"] = filename
    problems = tuple(dataclasses.replace(p, file=filename) for p in res.problems)
    return UploadOutcome(filename, offers, problems)


def handle_upload(
    data: bytes,
    filename: str,
    *,
    workdir: Path,
    categories: Mapping[str, Category],
    addresses: pd.DataFrame | None = None,
    region_bounds: tuple[float, float, float, float] | None = None,
    accept_street_match: bool = False,
) -> UploadOutcome:
    """Read an uploaded offers CSV/XLSX.

    The bytes are written to ``workdir`` under a name made from their hash
    and the (whitelisted) suffix — never from the user's file name.

    Parameters
    ----------
    data
        The uploaded bytes.
    filename
        The user's file name (for messages and the suffix).
    workdir
        A per-session temporary folder.
    categories, addresses, region_bounds, accept_street_match
        As for :func:`erreichbarkeit.io.read_offers`.

    Returns
    -------
    UploadOutcome
        Never raises for bad files: the German message is in ``error``.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in _UPLOAD_SUFFIXES:
        return _failed(filename, texts.UPLOAD_BAD_TYPE.format(suffix=suffix or "?"))
    path = _stored(data, suffix, workdir)
    try:
        res = read_offers(
            path,
            categories,
            addresses=addresses,
            accept_street_match=accept_street_match,
            region_bounds=region_bounds,
        )
    except ErreichbarkeitError as exc:
        return _failed(filename, exc.german.replace(path.name, filename))
    except Exception as exc:  # a file the readers did not anticipate must not crash the page
        logger.exception("unexpected error reading an uploaded offers file")
        return _failed(filename, f"Datei {filename}: nicht lesbar ({type(exc).__name__})")
    if res.failure is not None:  # not one row usable: the rows and their reasons
        problems = tuple(dataclasses.replace(p, file=filename) for p in res.problems)
        return _failed(filename, res.failure.german.replace(path.name, filename), problems)
    if len(res.offers) > MAX_UPLOAD_OFFERS:
        # one accidental huge list must not tie up the shared server for minutes
        error = texts.UPLOAD_TOO_MANY.format(
            name=filename, n=len(res.offers), max=MAX_UPLOAD_OFFERS
        )
        return _failed(filename, error, res.problems)
    return _accepted(res, path, filename)


def route_offers(
    routers: Mapping[str, RouterLike], data: ViewData, offers: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long table from every village to the given (uploaded) offers.

    Returns the long table and the Bus & Bahn details of its pairs (empty
    without ``pt``), so that an uploaded offer reached by bus shows its
    departures and transfers like the run's own offers.
    """
    s = data.settings
    result = compute_travel_times(
        routers,
        data.villages,
        offers,
        cutoff_minutes=s.routing.cutoff_minutes,
        max_snap_m=s.routing.max_snap_m,
        modes=s.modes,
    )
    return result.travel_times, result.transit
