"""A planner's offer list (CSV/XLSX) → the *Offers* contract (:func:`read_offers`).

German or English column names, decimal commas, swapped lat/lon, projected
x/y with an EPSG column, categories matched by key/label/alias (fuzzy for
typos), rows without coordinates geocoded offline.  Row-level problems are
collected as :class:`~erreichbarkeit.io.tables.RowProblem` (the row is
skipped, never guessed); whole-file problems raise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from erreichbarkeit.config import WGS84, Category
from erreichbarkeit.config.ages import join_groups
from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io._cells import (
    COORDINATE_ALIASES,
    cell_text,
    key,
    parse_number,
)
from erreichbarkeit.io._offer_rows import CATEGORY_SCORE_CUTOFF, OfferRowReader
from erreichbarkeit.io._placement import GERMANY_BOUNDS, REGION_SLACK_KM, OfferRow
from erreichbarkeit.io._table_checks import display_name, no_usable_rows, unused_columns
from erreichbarkeit.io.tables import RowProblem, read_table, table_problems

__all__ = [
    "CATEGORY_SCORE_CUTOFF",
    "GERMANY_BOUNDS",
    "REGION_SLACK_KM",
    "OffersReadResult",
    "fill_serves",
    "read_offers",
]

logger = logging.getLogger(__name__)

_UNMATCHED_COLUMNS = ("source", "row", "id", "name", "category", "address", "reason")

# Normalised header spellings (see _cells.key) per role.  Order matters only for
# the role list itself: the first column of the file matching a role wins.
_OFFER_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "id": ("id", "nr", "nummer", "lfdnr", "kennung", "identifier", "offerid"),
        "name": ("name", "bezeichnung", "einrichtung", "einrichtungsname", "namedereinrichtung"),
        "category": (
            "kategorie",
            "category",
            "art",
            "typ",
            "type",
            "angebotsart",
            "einrichtungsart",
            "einrichtungstyp",
        ),
        "lat": COORDINATE_ALIASES["lat"],
        "lon": COORDINATE_ALIASES["lon"],
        "epsg": COORDINATE_ALIASES["epsg"],
        "address": ("adresse", "address", "anschrift", "postanschrift", "vollstaendigeadresse"),
        "street": ("strasse", "street", "str", "strassehausnummer", "strasseundhausnummer"),
        "housenumber": ("hausnummer", "hnr", "housenumber", "hausnr", "hsnr"),
        "postcode": ("plz", "postcode", "postleitzahl", "zip", "zipcode", "postalcode"),
        "city": ("ort", "city", "stadt", "gemeinde", "wohnort", "town", "ortsname"),
        "age_groups": ("altersgruppen", "altersgruppe", "agegroups", "agegroup", "zielgruppe"),
        "capacity": ("kapazitaet", "capacity", "plaetze", "platzzahl", "anzahlplaetze"),
        "traeger": ("traeger", "operator", "traegerschaft", "betreiber"),
        "opening_hours": ("oeffnungszeiten", "openinghours", "sprechzeiten"),
    }
)
_ROLE_LABELS_DE = {
    "name": "Name/Bezeichnung",
    "category": "Kategorie/Art",
    "lat": "Breite/lat",
    "lon": "Länge/lon",
    "address": "Adresse",
    "street": "Straße",
}


@dataclass(frozen=True)
class OffersReadResult:
    """Result of :func:`read_offers`.

    Attributes
    ----------
    offers
        The usable offers (*Offers* contract, EPSG:4326).
    problems
        Every row that is not used has at least one ``"error"`` here;
        warnings describe corrections of used rows.
    unmatched
        Rows that could not be placed (no or unmatched coordinates/address):
        ``source`` (file name), ``row``, ``id``, ``name``, ``category``, ``address``, ``reason``
        (German).  They also appear in ``problems`` as errors.
    """

    offers: gpd.GeoDataFrame
    problems: tuple[RowProblem, ...]
    unmatched: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(_UNMATCHED_COLUMNS))
    )
    failure: InputDataError | None = None

    @property
    def errors(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"error"``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[RowProblem, ...]:
        """Problems with severity ``"warning"``."""
        return tuple(p for p in self.problems if p.severity == "warning")


def read_offers(
    path: Path,
    categories: Mapping[str, Category],
    *,
    addresses: pd.DataFrame | None = None,
    accept_street_match: bool = False,
    default_epsg: int | None = None,
    region_bounds: tuple[float, float, float, float] | None = None,
) -> OffersReadResult:
    """Read a planner's offer list (CSV/XLSX) into the *Offers* contract.

    Parameters
    ----------
    path
        The offer file (see :func:`read_table` for accepted formats).
        Columns are recognised in German or English (``Name``/``Bezeichnung``,
        ``Kategorie``/``Art``, ``Breite``/``lat``, ``Länge``/``lon``, ``x``/``y``
        with ``EPSG``, ``Adresse`` or ``Straße``/``Hausnummer``/``PLZ``/``Ort``,
        ``Altersgruppen``, ``Kapazität``/``Plätze``, ``Träger``,
        ``Öffnungszeiten``, ``ID``/``Nr``).  ``Altersgruppen`` is kept as
        ``age_groups`` and read into ``serves`` (:mod:`erreichbarkeit.config.ages`).
    categories
        The category table (:func:`erreichbarkeit.config.load_categories`).
    addresses
        Address points (*Addresses* contract) for rows without coordinates;
        ``None``: such rows are listed as unmatched.
    accept_street_match
        Place rows whose house number is unknown at the centre of their
        street (quality ``"Straße"``, with a warning) instead of listing
        them as unmatched.
    default_epsg
        CRS of the coordinates when the file has no EPSG column (e.g. 25832
        for UTM x/y); ``None`` = WGS84 lon/lat.
    region_bounds
        ``(minx, miny, maxx, maxy)`` in WGS84; rows further than 20 km
        outside are errors.  ``None``: only a plausibility check for Germany
        (warning).

    Returns
    -------
    OffersReadResult
        Offers, row problems, unmatched rows.

    Raises
    ------
    InputDataError
        Missing, empty or unreadable file, no data rows.
    MissingColumnError
        No name or category column, or neither coordinate nor address columns.
    """
    path = Path(path)
    table, roles, problems = _checked_offer_table(path)
    reader = OfferRowReader(
        path,
        roles,
        categories,
        addresses=addresses,
        accept_street_match=accept_street_match,
        default_epsg=default_epsg,
        region_bounds=region_bounds,
        problems=problems,
    )
    records = [
        rec
        for rownum, values in zip(table.index, _rows(table), strict=True)
        if (rec := reader.read(int(rownum), values)) is not None
    ]
    offers = _offers_frame(_drop_duplicates(records, reader), path.name)
    problems.sort(key=lambda p: (p.row, p.severity != "error"))
    failure = (
        no_usable_rows(path, problems, what="offers", what_de="Angebote") if offers.empty else None
    )
    _log_summary(path, offers, problems, reader.unmatched)
    return OffersReadResult(
        offers=offers,
        problems=tuple(problems),
        unmatched=pd.DataFrame(reader.unmatched, columns=list(_UNMATCHED_COLUMNS)),
        failure=failure,
    )


def _checked_offer_table(path: Path) -> tuple[pd.DataFrame, dict[str, str], list[RowProblem]]:
    """The table, its roles and header problems; raises for missing columns or no rows.

    Every column no role uses is reported (with the closest known name), and
    a lone coordinate column is named.
    """
    table, roles, problems = _offer_table(path)
    named = {p.column for p in problems if p.row == 1 and p.column}  # e.g. a second name column
    unused = unused_columns(path, table.columns, {*roles.values(), *named}, _known_names(roles))
    _check_offer_columns(path, table, roles, unused)
    if table.empty:
        if any(p.severity == "error" for p in problems):
            raise no_usable_rows(path, problems, what="offers", what_de="Angebote")
        msg = "the file has a header but no data rows"
        raise InputDataError(msg, file=path, message_de="Die Datei enthält keine Datenzeilen")
    problems.extend(unused)
    problems.extend(_half_coordinates(path, roles))
    return table, roles, problems


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of the table as column name → cell."""
    return [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]


def _log_summary(
    path: Path, offers: gpd.GeoDataFrame, problems: list[RowProblem], unmatched: list[Any]
) -> None:
    """Log how many offers were read and how many rows had problems."""
    logger.info(
        "%s: %d offers, %d errors, %d warnings, %d unmatched",
        path.name,
        len(offers),
        sum(p.severity == "error" for p in problems),
        sum(p.severity == "warning" for p in problems),
        len(unmatched),
    )


def _offer_table(path: Path) -> tuple[pd.DataFrame, dict[str, str], list[RowProblem]]:
    """The table, its column roles and the header problems.

    Two header rows ("Koordinaten" merged over "Breite | Länge"): the real
    column names are in the first row below the detected header.
    """
    table = read_table(path)
    problems: list[RowProblem] = table_problems(table)
    roles = _map_offer_columns(list(table.columns), path, problems)
    if _offer_roles_complete(roles) or table.empty:
        return table, roles, problems
    promoted = _promote_first_row(table)
    if promoted is None:
        return table, roles, problems
    promoted_problems: list[RowProblem] = []
    promoted_roles = _map_offer_columns(list(promoted.columns), path, promoted_problems)
    if not _offer_roles_complete(promoted_roles):
        return table, roles, problems
    header_row = int(table.index[0])
    promoted_problems[:0] = table_problems(table)
    promoted_problems.append(
        RowProblem(
            path.name,
            header_row,
            None,
            f"two header rows; the column names of row {header_row} are used",
            f"Zwei Kopfzeilen; verwendet werden die Spaltennamen aus Zeile {header_row}",
            "warning",
        )
    )
    return promoted, promoted_roles, promoted_problems


def _known_names(roles: Mapping[str, str]) -> dict[str, str]:
    """Normalised alias → readable name, for the roles no column was found for."""
    return {
        alias: display_name(alias)
        for role, aliases in _OFFER_ROLES.items()
        if role not in roles
        for alias in aliases
        if len(alias) >= 4
    }


def _half_coordinates(path: Path, roles: Mapping[str, str]) -> list[RowProblem]:
    """A warning when only one of the two coordinate columns was found."""
    have = [r for r in ("lat", "lon") if r in roles]
    if len(have) != 1:
        return []
    col = roles[have[0]]
    missing, missing_de = (
        ("longitude", "Länge/lon") if have[0] == "lat" else ("latitude", "Breite/lat")
    )
    return [
        RowProblem(
            path.name,
            1,
            col,
            f"column {col!r} found but no {missing} column; coordinates not used, rows are "
            "placed by address",
            f"Spalte „{col}“ gefunden, aber keine Spalte {missing_de}; die Koordinaten werden "
            "nicht verwendet, die Zeilen nach Adresse verortet",
            "warning",
        )
    ]


def _check_offer_columns(
    path: Path, table: pd.DataFrame, roles: Mapping[str, str], unused: Sequence[RowProblem]
) -> None:
    """Name and category columns, coordinate or address columns, and data rows are required."""
    found = ", ".join(map(str, table.columns))
    hints = [p.message_de for p in unused if "meinten Sie" in p.message_de]
    if hints:
        found += " (" + "; ".join(hints) + ")"
    for role in ("name", "category"):
        if role not in roles:
            msg = f"no {role} column; columns found: {found}"
            raise MissingColumnError(
                msg,
                file=path,
                expected=" / ".join(_OFFER_ROLES[role][:4]),
                message_de=f"Spalte {_ROLE_LABELS_DE[role]} fehlt; gefundene Spalten: {found}",
            )
    has_coords = "lat" in roles and "lon" in roles
    has_address = "address" in roles or "street" in roles
    if not has_coords and not has_address:
        msg = (
            f"neither coordinate columns (lat/lon, x/y) nor address columns; columns found: {found}"
        )
        raise MissingColumnError(
            msg,
            file=path,
            expected="lat + lon (Breite + Länge, x + y) or Adresse or Straße + Hausnummer",
            message_de="Weder Koordinatenspalten (Breite/Länge, lat/lon, x/y) noch "
            "Adressspalten (Adresse oder Straße, Hausnummer, PLZ, Ort); "
            f"gefundene Spalten: {found}",
        )


def _map_offer_columns(
    columns: Sequence[str], file: Path, problems: list[RowProblem]
) -> dict[str, str]:
    """Role (``"name"``, ``"lat"``, …) → column; repeated roles are warnings."""
    by_key: dict[str, list[str]] = {}
    for col in columns:
        by_key.setdefault(key(col), []).append(col)
    roles: dict[str, str] = {}
    used: set[str] = set()
    for role, aliases in _OFFER_ROLES.items():
        hits = [c for a in aliases for c in by_key.get(a, []) if c not in used]
        if not hits:
            continue
        roles[role] = hits[0]
        used.add(hits[0])
        others = [c for c in hits[1:] if c not in used]
        if others:
            problems.append(
                RowProblem(
                    file.name,
                    1,
                    others[0],
                    f"columns {[hits[0], *others]} all look like {role!r}; using {hits[0]!r}",
                    f"Spalten {', '.join([hits[0], *others])} bedeuten dasselbe; "
                    f"verwendet wird „{hits[0]}“",
                    "warning",
                )
            )
    return roles


def _offer_roles_complete(roles: Mapping[str, str]) -> bool:
    """Whether name, category and coordinate or address columns are all there."""
    coords = "lat" in roles and "lon" in roles
    address = "address" in roles or "street" in roles
    return "name" in roles and "category" in roles and (coords or address)


def _promote_first_row(table: pd.DataFrame) -> pd.DataFrame | None:
    """The table with its first data row as the header (``None`` if it holds numbers).

    Header cells left empty in that row keep the upper row's name.
    """
    first = table.iloc[0]
    values = [first[c] for c in table.columns]
    if not any(isinstance(v, str) for v in values) or any(
        v is not None and not isinstance(v, str) for v in values
    ):
        return None
    for v in values:
        if isinstance(v, str):
            try:
                parse_number(v)
            except ValueError:
                continue
            return None  # a number: a data row, not a header
    names: list[str] = []
    for col, v in zip(table.columns, values, strict=True):
        name, base, n = cell_text(v) or str(col), cell_text(v) or str(col), 2
        while name in names:
            name, n = f"{base}.{n}", n + 1
        names.append(name)
    out = table.iloc[1:].copy()
    out.columns = pd.Index(names)
    return out


def _drop_duplicates(records: list[OfferRow], reader: OfferRowReader) -> list[OfferRow]:
    """Exact duplicates (same name, category and place): keep the first, warn about the rest."""
    kept: list[OfferRow] = []
    seen_offers: dict[tuple[str, str | None, float, float], int] = {}
    for rec in records:
        lon, lat = float(rec.lon or 0.0), float(rec.lat or 0.0)  # placed rows: both set
        dkey = (rec.name.casefold(), rec.category, round(lon, 6), round(lat, 6))
        if dkey in seen_offers:
            first = seen_offers[dkey]
            reader.problem(
                rec.row,
                None,
                f"duplicate of row {first} (same name, category, place); skipped",
                f"Doppelter Eintrag von Zeile {first} (gleicher Name, Kategorie, Ort); "
                "übersprungen",
                "warning",
            )
            continue
        seen_offers[dkey] = rec.row
        kept.append(rec)
    return kept


def _offers_frame(kept: list[OfferRow], fname: str) -> gpd.GeoDataFrame:
    """The *Offers* contract table of the kept rows (EPSG:4326)."""
    points = [Point(float(r.lon or 0.0), float(r.lat or 0.0)) for r in kept]
    return gpd.GeoDataFrame(
        {
            "id": pd.Series([r.id for r in kept], dtype=object),
            "name": pd.Series([r.name for r in kept], dtype=object),
            "category": pd.Series([r.category for r in kept], dtype=object),
            "source": pd.Series([fname] * len(kept), dtype=object),
            "address": pd.Series([r.address or None for r in kept], dtype=object),
            "traeger": pd.Series([r.traeger for r in kept], dtype=object),
            "opening_hours": pd.Series([r.opening_hours for r in kept], dtype=object),
            "age_groups": pd.Series([r.age_groups for r in kept], dtype=object),
            "serves": pd.Series([r.serves for r in kept], dtype=object),
            "capacity": pd.Series([r.capacity for r in kept], dtype=float),
            "geocode_quality": pd.Series([r.quality for r in kept], dtype=object),
        },
        geometry=gpd.GeoSeries(points, crs=WGS84),
        crs=WGS84,
    )


def fill_serves(offers: gpd.GeoDataFrame, categories: Mapping[str, Category]) -> gpd.GeoDataFrame:
    """The offers with ``serves`` filled in: the category's age groups where it is empty.

    Offers of OSM, GIS layers and scenarios carry no age text; they serve
    their category's age groups (``"0-3;3-6"``, see
    :func:`erreichbarkeit.config.ages.join_groups`).  Offers of unknown
    categories keep an empty ``serves``.  ``offers`` is not modified.
    """
    out = offers.copy()
    current = out["serves"] if "serves" in out.columns else pd.Series("", index=out.index)
    default = out["category"].map(
        {k: join_groups(c.age_groups) for k, c in categories.items()}
    )
    empty = current.isna() | (current.astype(str).str.strip() == "")
    out["serves"] = current.where(~empty, default.fillna("")).astype(object)
    return out
