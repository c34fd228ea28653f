"""Offline address matching against the region's own address points.

Planners' offer lists often carry an address but no coordinates.  This module
matches such addresses against the ``addr:*`` address points extracted from
the region's OSM file (see the *Addresses* contract in
``docs/architecture.md``) — no web service, no data leaves the machine.

Matching, in order:

1. the street name is normalised (:func:`normalize_street`) and looked up
   exactly; failing that, the most similar street name (rapidfuzz ratio
   ``>= 90``, see :data:`STREET_SCORE_CUTOFF`) is used;
2. the house number is looked up exactly on that street; ``"3a"`` or
   ``"3-5"`` fall back to ``"3"`` with a lower score;
3. postcode (or, failing that, the town) disambiguates identical street names
   in different villages; an address point whose postcode/town contradicts
   the given one is never used;
4. candidates that still lie far apart (:data:`AMBIGUOUS_M`) are reported as
   ambiguous instead of averaged into a place between them.

If the street is known but the house number is not, the result has quality
``"Straße"`` at the centroid of the street's known addresses; callers decide
whether that is good enough.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from erreichbarkeit._schema import ADDRESS_COLUMNS
from erreichbarkeit.errors import MissingColumnError

__all__ = [
    "AMBIGUOUS_M",
    "STREET_SCORE_CUTOFF",
    "AddressIndex",
    "GeocodeResult",
    "normalize_street",
    "parse_address",
]

logger = logging.getLogger(__name__)

#: Minimum rapidfuzz ratio (0–100) of a fuzzy street-name match.
STREET_SCORE_CUTOFF = 90.0
#: When two streets share a generic ending ("…strasse", "…weg"), the
#: distinctive parts must be at least this similar ("Bergstraße" must not
#: match "Burgstraße": 91 overall but only 75 on "berg"/"burg").
STEM_SCORE_CUTOFF = 80.0
#: Score deducted when the house number had to be reduced ("3a" → "3").
HOUSENUMBER_FALLBACK_PENALTY = 10.0
#: Candidates spread wider than this (bounding-box diagonal, metres) are
#: ambiguous for a house-number match (same address in two villages).
AMBIGUOUS_M = 250.0
#: Spread (bounding-box diagonal, metres) above which a street match is
#: ambiguous (same street name in two villages sharing a postcode).
AMBIGUOUS_STREET_M = 3000.0

Quality = Literal["Hausnummer", "Straße", "nicht gefunden"]

_GENERIC_ENDINGS = (
    "strasse",
    "weg",
    "platz",
    "gasse",
    "allee",
    "ring",
    "damm",
    "pfad",
    "steig",
    "chaussee",
    "ufer",
    "markt",
    "berg",
    "feld",
    "hof",
    "winkel",
    "stieg",
    "twete",
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_STREET_ABBREV = re.compile(r"str(?:asse\b|\.|\b)")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_POSTCODE = re.compile(r"(?:\b[dD]\s*-\s*)?\b(\d{5})\b")
# House number: "3", "3a", "3 a", "3-5", "3 - 5", "3/1", "12b-c".
_LETTER = r"[a-zA-Z](?![a-zA-ZäöüÄÖÜß])"  # one letter, not the start of a word
_HNR = rf"\d{{1,4}}(?:\s?{_LETTER})?(?:\s?[-/]\s?\d{{0,4}}\s?(?:{_LETTER})?)?"
_STREET_HNR = re.compile(rf"^(?P<street>.*?\D)\s*(?P<hnr>{_HNR})\s*$")
_STREET_HNR_CITY = re.compile(rf"^(?P<street>.*?\D)\s*(?P<hnr>{_HNR})\s+(?P<city>[^\d,]+)$")


@dataclass(frozen=True)
class GeocodeResult:
    """Result of one address lookup.

    Attributes
    ----------
    lon, lat
        WGS84 coordinates; ``None`` when not found.
    quality
        ``"Hausnummer"`` (house number matched), ``"Straße"`` (only the
        street; centroid of its known addresses) or ``"nicht gefunden"``.
    matched
        The matched address as text (``"Hauptstraße 3, 37120 Bovenden"``);
        empty when not found.
    score
        0–100: street-name similarity minus
        :data:`HOUSENUMBER_FALLBACK_PENALTY` for a reduced house number.
    note
        German explanation when not found or degraded (for the user).
    """

    lon: float | None
    lat: float | None
    quality: Quality
    matched: str
    score: float
    note: str = ""


def _fold(s: str) -> str:
    """Lower-case, German umlauts spelled out, other accents removed."""
    s = unicodedata.normalize("NFC", s).lower().translate(_UMLAUTS)
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def normalize_street(s: str) -> str:
    """Return the comparison key of a street name.

    Lower case, ``ß`` → ``ss``, umlauts → ``ae``/``oe``/``ue``, ``str.`` /
    ``str`` / ``strasse`` / ``straße`` → ``strasse``, punctuation and
    whitespace removed.

    Examples
    --------
    >>> normalize_street("Hauptstr.")
    'hauptstrasse'
    >>> normalize_street("Lange Straße")
    'langestrasse'
    >>> normalize_street("Große Brüder-Grimm-Str")
    'grossebruedergrimmstrasse'
    """
    s = _fold(str(s))
    s = _STREET_ABBREV.sub("strasse", s)
    return _NON_ALNUM.sub("", s)


def _normalize_housenumber(s: str | None) -> str:
    if s is None:
        return ""
    return re.sub(r"\s+", "", _fold(str(s)))


def _normalize_city(s: str | None) -> str:
    if s is None:
        return ""
    return _NON_ALNUM.sub("", _fold(str(s)))


def _split_street_number(part: str) -> tuple[str, str | None, str | None]:
    """Split ``"Hauptstr. 3a"`` (and ``"Hauptstr. 3a Bovenden"``) into pieces."""
    m = _STREET_HNR.match(part)
    if m:
        return m["street"].strip(" ,"), re.sub(r"\s+", "", m["hnr"]), None
    m = _STREET_HNR_CITY.match(part)
    if m:
        return m["street"].strip(" ,"), re.sub(r"\s+", "", m["hnr"]), m["city"].strip()
    return part.strip(" ,"), None, None


def parse_address(text: str) -> dict[str, str | None]:
    """Split a one-field German address into its parts.

    Hand-written on purpose: libpostal (the general-purpose parser) is a 2 GB
    C library, and German one-line addresses follow a small set of patterns
    ("Straße Nr, PLZ Ort" in any order of the comma-separated parts).

    Parameters
    ----------
    text
        E.g. ``"Hauptstr. 3a, 37120 Bovenden"``, ``"37120 Bovenden, Hauptstr. 3a"``,
        ``"Hauptstraße 3 37120 Bovenden"``, ``"Am Markt 1, Bovenden"``.

    Returns
    -------
    dict
        Keys ``street``, ``housenumber``, ``postcode``, ``city``; missing
        parts are ``None``.  The house number loses inner spaces (``"3 a"`` →
        ``"3a"``); the street keeps the user's spelling.

    Examples
    --------
    >>> parse_address("Hauptstr. 3a, 37120 Bovenden")
    {'street': 'Hauptstr.', 'housenumber': '3a', 'postcode': '37120', 'city': 'Bovenden'}
    """
    out: dict[str, str | None] = {
        "street": None,
        "housenumber": None,
        "postcode": None,
        "city": None,
    }
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text)).replace("\xa0", " "))
    text = text.strip(" ,;")
    if not text:
        return out
    parts = [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]
    street_part: str | None = None
    rest: list[str] = []
    for part in parts:
        m = _POSTCODE.search(part) if out["postcode"] is None else None
        if m is not None:
            out["postcode"] = m.group(1)
            before = part[: m.start()].strip(" ,")
            after = part[m.end() :].strip(" ,")
            if after:
                out["city"] = after
            if before:
                if street_part is None:
                    street_part = before
                else:
                    rest.append(before)
        elif street_part is None:
            street_part = part
        else:
            rest.append(part)
    if street_part is not None:
        street, hnr, city = _split_street_number(street_part)
        out["street"] = street or None
        out["housenumber"] = hnr
        if city and out["city"] is None:
            out["city"] = city
    if out["city"] is None and rest:
        out["city"] = rest[0]
    return out


def _spread_m(lon: np.ndarray, lat: np.ndarray) -> float:
    """Diagonal (m) of the points' bounding box (equirectangular approximation)."""
    if len(lon) < 2:
        return 0.0
    mlat = float(np.mean(lat))
    dx = float(np.ptp(lon)) * 111_320.0 * math.cos(math.radians(mlat))
    dy = float(np.ptp(lat)) * 110_540.0
    return math.hypot(dx, dy)


class AddressIndex:
    """Index of address points for fast offline lookups.

    Built once per region (about a second for 200 000 addresses); a lookup
    is a dictionary access plus, for unknown spellings, one rapidfuzz scan
    over the street names of the postcode (or of the region).

    Parameters
    ----------
    addresses
        DataFrame with the columns ``street``, ``housenumber``, ``postcode``,
        ``city``, ``lon``, ``lat`` (WGS84).  ``postcode``/``city`` may be
        missing per row.  Rows without street or coordinates are ignored.

    Raises
    ------
    MissingColumnError
        If a column is missing.
    """

    def __init__(self, addresses: pd.DataFrame) -> None:
        missing = [c for c in ADDRESS_COLUMNS if c not in addresses.columns]
        if missing:
            msg = f"address table lacks columns {missing}"
            raise MissingColumnError(
                msg,
                expected=", ".join(ADDRESS_COLUMNS),
                message_de=f"Der Adresstabelle fehlen die Spalten {', '.join(missing)}",
            )
        df = addresses.loc[:, list(ADDRESS_COLUMNS)].copy()
        df["lon"] = pd.to_numeric(df["lon"], errors="coerce")
        df["lat"] = pd.to_numeric(df["lat"], errors="coerce")
        df = df[df["street"].notna() & df["lon"].notna() & df["lat"].notna()]
        df = df.reset_index(drop=True)

        def text(col: str) -> pd.Series:
            return df[col].astype(object).where(df[col].notna(), "").astype(str).str.strip()

        streets = text("street")
        # normalise each distinct value once (a region has ~100× fewer streets
        # than addresses), then map back: vectorised over the rows.
        uniq = pd.unique(streets)
        street_key = streets.map(dict(zip(uniq, map(normalize_street, uniq), strict=True)))
        cities = text("city")
        uniq_c = pd.unique(cities)
        city_key = cities.map(dict(zip(uniq_c, map(_normalize_city, uniq_c), strict=True)))
        hnr = text("housenumber").str.lower().str.replace(r"\s+", "", regex=True)
        postcode = text("postcode").str.replace(r"\.0$", "", regex=True)
        postcode = postcode.where(postcode == "", postcode.str.zfill(5))

        self._lon = df["lon"].to_numpy(dtype=float)
        self._lat = df["lat"].to_numpy(dtype=float)
        self._street_display = streets.to_numpy(dtype=object)
        self._hnr_display = text("housenumber").to_numpy(dtype=object)
        self._postcode = postcode.to_numpy(dtype=object)
        self._city_key = city_key.to_numpy(dtype=object)
        self._city_display = cities.to_numpy(dtype=object)
        self._hnr = hnr.to_numpy(dtype=object)

        keys = street_key.to_numpy(dtype=object)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        bounds = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
        self._rows_by_street: dict[str, np.ndarray] = {
            str(sorted_keys[a]): order[a:b] for a, b in itertools.pairwise(bounds)
        }
        self._streets: list[str] = list(self._rows_by_street)
        by_pc: dict[str, set[str]] = {}
        by_city: dict[str, set[str]] = {}
        for street, pc, city in zip(keys, self._postcode, self._city_key, strict=True):
            if pc:
                by_pc.setdefault(pc, set()).add(street)
            if city:
                by_city.setdefault(city, set()).add(street)
        self._streets_by_postcode = {k: sorted(v) for k, v in by_pc.items()}
        self._streets_by_city = {k: sorted(v) for k, v in by_city.items()}
        logger.debug("address index: %d addresses, %d streets", len(df), len(self._streets))

    def __len__(self) -> int:
        """Number of indexed addresses."""
        return len(self._lon)

    # -- street matching -------------------------------------------------
    def _street_candidates(self, key: str, postcode: str, city: str) -> list[tuple[str, float]]:
        """Known street keys for ``key``: exact first, else fuzzy, best first."""
        if key in self._rows_by_street:
            return [(key, 100.0)]
        choices: list[str] = self._streets
        if postcode and postcode in self._streets_by_postcode:
            choices = self._streets_by_postcode[postcode]
        elif city and city in self._streets_by_city:
            choices = self._streets_by_city[city]
        found = process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=STREET_SCORE_CUTOFF, limit=5
        )
        out = []
        for cand, score, _ in found:
            if _stems_agree(key, cand):
                out.append((cand, float(score)))
        return out

    def _locality_filter(self, rows: np.ndarray, postcode: str, city: str) -> np.ndarray:
        """Rows agreeing with the given postcode/town; strongest evidence wins.

        A row whose postcode is known and differs from the given one is never
        kept; a row without postcode is judged by its town.
        """
        if not postcode and not city:
            return rows
        pcs = self._postcode[rows]
        cities = self._city_key[rows]
        city_ok = np.array(
            [bool(city) and bool(c) and (c == city or c in city or city in c) for c in cities],
            dtype=bool,
        )
        if postcode:
            same = pcs == postcode
            if same.any():
                # the town narrows a postcode shared by several villages
                both = same & city_ok
                picked: np.ndarray = rows[both] if both.any() else rows[same]
                return picked
        if city:
            ok = city_ok & (pcs == "") if postcode else city_ok
            if ok.any():
                by_city: np.ndarray = rows[ok]
                return by_city
        # Nothing agrees: rows that carry neither postcode nor town remain.
        unknown = (pcs == "") & (self._city_key[rows] == "")
        rest: np.ndarray = rows[unknown]
        return rest

    # -- public ----------------------------------------------------------
    def lookup(
        self,
        *,
        street: str,
        housenumber: str | None,
        postcode: str | None,
        city: str | None,
    ) -> GeocodeResult:
        """Find one address.

        Parameters
        ----------
        street
            Street name as written by the user (any spelling of "Straße").
        housenumber
            ``"3"``, ``"3a"``, ``"3-5"``; ``None`` for a street-only lookup.
        postcode, city
            Optional; used to choose among identical street names.

        Returns
        -------
        GeocodeResult
            See the module docstring for the rules.
        """
        key = normalize_street(street or "")
        if not key:
            return GeocodeResult(None, None, "nicht gefunden", "", 0.0, "Keine Straße angegeben")
        pc = re.sub(r"\D", "", str(postcode or ""))
        pc = pc.zfill(5) if pc else ""
        ckey = _normalize_city(city)
        hnr = _normalize_housenumber(housenumber)

        candidates = self._street_candidates(key, pc, ckey)
        if not candidates:
            return GeocodeResult(
                None, None, "nicht gefunden", "", 0.0, f"Straße „{street}“ nicht gefunden"
            )
        street_hit: tuple[np.ndarray, float] | None = None
        for cand, score in candidates:
            rows = self._locality_filter(self._rows_by_street[cand], pc, ckey)
            if not len(rows):
                continue
            if hnr:
                hit = self._match_number(rows, hnr, score)
                if hit is not None:
                    return hit
            if street_hit is None:
                street_hit = (rows, score)
        if street_hit is None:
            where = " ".join(x for x in (postcode or "", city or "") if x)
            return GeocodeResult(
                None,
                None,
                "nicht gefunden",
                "",
                0.0,
                f"Straße „{street}“ gibt es nicht in {where}" if where else "",
            )
        return self._street_centre(*street_hit, street=street, housenumber=housenumber)

    def _street_centre(
        self, rows: np.ndarray, score: float, *, street: str, housenumber: str | None
    ) -> GeocodeResult:
        """Street-only result at the centre of the street's known addresses."""
        lon, lat = self._lon[rows], self._lat[rows]
        if _spread_m(lon, lat) > AMBIGUOUS_STREET_M:
            return GeocodeResult(
                None,
                None,
                "nicht gefunden",
                "",
                0.0,
                f"Straße „{street}“ ist mehrdeutig (mehrere Orte); bitte PLZ und Ort angeben",
            )
        note = (
            f"Hausnummer {housenumber} nicht gefunden; Mitte der Straße"
            if _normalize_housenumber(housenumber)
            else "Keine Hausnummer angegeben; Mitte der Straße"
        )
        return GeocodeResult(
            float(np.mean(lon)),
            float(np.mean(lat)),
            "Straße",
            self._describe(int(rows[0]), with_number=False),
            round(score, 1),
            note,
        )

    def _match_number(self, rows: np.ndarray, hnr: str, score: float) -> GeocodeResult | None:
        numbers = self._hnr[rows]
        tries = [(hnr, 0.0)]
        base = re.match(r"\d+", hnr)
        if base and base.group(0) != hnr:
            tries.append((base.group(0), HOUSENUMBER_FALLBACK_PENALTY))
        for number, penalty in tries:
            hit = rows[numbers == number]
            if not len(hit):
                continue
            lon, lat = self._lon[hit], self._lat[hit]
            if _spread_m(lon, lat) > AMBIGUOUS_M:
                return GeocodeResult(
                    None,
                    None,
                    "nicht gefunden",
                    "",
                    0.0,
                    f"Adresse mehrdeutig ({len(hit)} Treffer an verschiedenen Orten); "
                    "bitte PLZ und Ort angeben",
                )
            note = f"Hausnummer {number} statt {hnr}" if penalty else ""
            return GeocodeResult(
                float(np.mean(lon)),
                float(np.mean(lat)),
                "Hausnummer",
                self._describe(int(hit[0]), with_number=True),
                round(score - penalty, 1),
                note,
            )
        return None

    def _describe(self, row: int, *, with_number: bool) -> str:
        street = str(self._street_display[row])
        if with_number and self._hnr_display[row]:
            street += f" {self._hnr_display[row]}"
        place = " ".join(x for x in (self._postcode[row], self._city_display[row]) if x)
        return f"{street}, {place}" if place else street


def _stems_agree(a: str, b: str) -> bool:
    """Whether two similar street keys differ only by a typo, not by name."""
    for ending in _GENERIC_ENDINGS:
        if a.endswith(ending) and b.endswith(ending):
            sa, sb = a[: -len(ending)], b[: -len(ending)]
            if sa and sb:
                return fuzz.ratio(sa, sb) >= STEM_SCORE_CUTOFF
            return sa == sb
    return True
