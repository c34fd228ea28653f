"""Offers lists uploaded in a dashboard session: read, check and route them (no Streamlit).

An upload only ever extends the user's own session
(:func:`erreichbarkeit.ui.views.merge_upload`); it never enters the shared
caches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.io import OffersReadResult, RowProblem, read_offers
from erreichbarkeit.network.matrix import travel_times as compute_travel_times
from erreichbarkeit.network.routing import RouterLike
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.views import ViewData

__all__ = [
    "MAX_UPLOAD_LISTS",
    "MAX_UPLOAD_OFFERS",
    "ActiveList",
    "UploadOutcome",
    "combine_lists",
    "content_digest",
    "handle_upload",
    "list_prefix",
    "route_offers",
]

logger = logging.getLogger(__name__)

_UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

#: Most offers one upload may hold (routing 2 000 offers takes a few seconds;
#: 20 000 took 40 s and held 675 000 travel-time rows in one session).
MAX_UPLOAD_OFFERS = 2000

#: Most lists one session may hold at once (each one is routed on its own).
MAX_UPLOAD_LISTS = 10


@dataclass(frozen=True)
class UploadOutcome:
    """Result of reading an uploaded offers file.

    Attributes
    ----------
    name
        The file name as the user uploaded it (display only).
    offers
        Valid offers (ids prefixed ``upload:`` or the list's prefix), possibly empty.
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


def _accepted(res: OffersReadResult, path: Path, filename: str, id_prefix: str) -> UploadOutcome:
    """The readable rows of an upload: ids prefixed, messages name the user's file."""
    offers = res.offers.copy()
    if len(offers):
        ids = offers["id"].astype(str).str.replace(path.name, filename, regex=False)
        offers["id"] = id_prefix + ids
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
    id_prefix: str = "upload:",
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
        As for :func:`erreichbarkeit.io.read_offers`; ``categories`` is the
        region's category table, so every category it knows is accepted.
    id_prefix
        Put before every offer id (:func:`list_prefix` keeps the ids of
        several lists of one session apart).

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
    return _accepted(res, path, filename, id_prefix)


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


def content_digest(data: bytes) -> str:
    """The SHA-256 of an uploaded file's bytes (the same file is not added twice)."""
    return hashlib.sha256(data).hexdigest()


def list_prefix(number: int) -> str:
    """The id prefix of the session's ``number``-th list (``upload:3:``)."""
    return f"upload:{number}:"


@dataclass(frozen=True, eq=False)
class ActiveList:
    """One uploaded offers list that is active in a dashboard session.

    Attributes
    ----------
    number
        Running number in the session (never reused; part of the offer ids).
    digest
        :func:`content_digest` of the file.
    outcome
        What reading the file gave (name, offers, row problems, error).
    travel_times, transit
        The routed long table and Bus & Bahn details of the offers, ``None``
        when no offer could be used.
    token
        Random; changes whenever the list is (re)added, keys memos.
    """

    number: int
    digest: str
    outcome: UploadOutcome
    travel_times: pd.DataFrame | None = None
    transit: pd.DataFrame | None = None
    token: str = ""

    @property
    def name(self) -> str:
        """The file name as uploaded."""
        return self.outcome.name

    @property
    def offers(self) -> gpd.GeoDataFrame | None:
        """The routed valid offers (``None`` without any)."""
        if self.outcome.error is not None or self.travel_times is None:
            return None
        return self.outcome.offers if len(self.outcome.offers) else None

    @property
    def n_offers(self) -> int:
        """Number of valid offers that are in the view."""
        offers = self.offers
        return 0 if offers is None else len(offers)

    @property
    def n_problem_rows(self) -> int:
        """Number of rows with at least one message."""
        return len({p.row for p in self.outcome.problems})

    def category_labels(self, table: Mapping[str, Category]) -> tuple[str, ...]:
        """German labels of the list's categories, in the order of the category table."""
        offers = self.offers
        present = set() if offers is None else set(offers["category"])
        return tuple(cat.label for key, cat in table.items() if key in present)

    def as_upload(self) -> dict[str, Any]:
        """The list in the form of ``st.session_state["upload"]`` (one list)."""
        return {
            "outcome": self.outcome,
            "offers": self.offers,
            "travel_times": self.travel_times if self.offers is not None else None,
            "transit": self.transit if self.offers is not None else None,
            "token": self.token,
        }


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame | None:
    """The frames one below the other (``None`` without a non-empty one)."""
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def combine_lists(lists: Sequence[ActiveList]) -> dict[str, Any] | None:
    """The session's upload: the union of all active lists (``None`` without a list).

    The dict has the keys of a single upload (``outcome`` of the newest list,
    ``offers``, ``travel_times``, ``transit``, ``token``) plus ``lists``
    (the file names), so readers of ``st.session_state["upload"]`` see every
    active list.  ``token`` is made from the lists' tokens: it changes
    whenever a list is added or removed.
    """
    if not lists:
        return None
    routed = [a for a in lists if a.offers is not None]
    offers = _concat([a.offers for a in routed if a.offers is not None])
    joined = "|".join(a.token for a in lists)
    return {
        "outcome": lists[-1].outcome,
        "offers": None
        if offers is None
        else gpd.GeoDataFrame(offers, geometry="geometry", crs=routed[0].outcome.offers.crs),
        "travel_times": _concat([a.travel_times for a in routed if a.travel_times is not None]),
        "transit": _concat([a.transit for a in routed if a.transit is not None]),
        "token": hashlib.sha256(joined.encode()).hexdigest()[:32],
        "lists": tuple(a.name for a in lists),
    }
