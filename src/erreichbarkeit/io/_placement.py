"""Placing one offer row: by its coordinates or, failing that, by its address.

Coordinates may be WGS84 lon/lat (possibly swapped) or projected x/y with an
EPSG code; they must lie in the region (or, without a region, in Germany).
Addresses are matched offline against the region's address points
(:class:`erreichbarkeit.io.geocode.AddressIndex`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from erreichbarkeit.io._cells import blank, cell_text, parse_number
from erreichbarkeit.io.geocode import AddressIndex, GeocodeResult, parse_address

__all__ = [
    "GERMANY_BOUNDS",
    "REGION_SLACK_KM",
    "OfferRow",
    "ReportProblem",
    "Severity",
    "in_box",
    "place_by_address",
    "place_by_coordinates",
    "slack_box",
]

#: Rough lon/lat box of Germany (minx, miny, maxx, maxy) used to detect
#: swapped coordinates when no region bounds are given.
GERMANY_BOUNDS: tuple[float, float, float, float] = (5.5, 47.0, 15.5, 55.5)
#: Slack around ``region_bounds`` in kilometres.
REGION_SLACK_KM = 20.0

Severity = Literal["error", "warning"]
Box = tuple[float, float, float, float]


class ReportProblem(Protocol):
    """Records a problem of one row: ``(row, role, english, german, severity)``."""

    def __call__(
        self, row: int, role: str | None, en: str, de: str, sev: Severity = "error", /
    ) -> None:
        """Record the problem; ``role`` names the column by its role (``"lat"``, …)."""


@dataclass
class OfferRow:
    """Mutable per-row working record (local to one :func:`read_offers` call)."""

    row: int
    id: str
    name: str
    category: str | None
    address: str
    traeger: str | None
    opening_hours: str | None
    age_groups: str | None
    capacity: float
    serves: str = ""  # the age groups served, normalised ("0-3;3-6", config.ages.join_groups)
    lon: float | None = None
    lat: float | None = None
    quality: str | None = None
    failed: bool = False


def in_box(lon: float, lat: float, box: Box) -> bool:
    """Whether a lon/lat point lies in ``(minx, miny, maxx, maxy)``."""
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def slack_box(bounds: Box) -> Box:
    """``bounds`` widened by :data:`REGION_SLACK_KM` on every side."""
    minx, miny, maxx, maxy = bounds
    dlat = REGION_SLACK_KM / 110.574
    coslat = max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.05)
    dlon = REGION_SLACK_KM / (111.320 * coslat)
    return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


# --------------------------------------------------------------------------
# coordinates


def place_by_coordinates(
    rec: OfferRow,
    values: Mapping[str, Any],
    roles: Mapping[str, str],
    *,
    default_epsg: int | None,
    box: Box,
    strict_box: bool,
    transformers: dict[int, Transformer],
    problem: ReportProblem,
) -> Literal["ok", "none", "error"]:
    """Set ``rec.lon/lat`` from the coordinate cells; report problems.

    Returns
    -------
    str
        ``"ok"`` (placed), ``"none"`` (no usable coordinates: try the
        address) or ``"error"`` (the row is not used).
    """
    xy = _coordinate_cells(rec.row, values, roles, problem)
    if isinstance(xy, str):
        return xy
    epsg = _row_epsg(rec.row, values, roles, default_epsg, problem)
    if epsg is None:
        return "error"
    candidates = _lonlat_candidates(rec.row, xy, epsg, transformers, problem)
    if candidates is None:
        return "error"
    placed = _choose_in_box(rec.row, candidates, box=box, strict_box=strict_box, problem=problem)
    if placed is None:
        return "error"
    rec.lon, rec.lat, rec.quality = placed[0], placed[1], "Koordinaten"
    return "ok"


def _coordinate_cells(
    row: int, values: Mapping[str, Any], roles: Mapping[str, str], problem: ReportProblem
) -> tuple[float, float] | Literal["none", "error"]:
    """The two coordinate numbers ``(x, y)``, or why there are none."""
    raw_x, raw_y = values[roles["lon"]], values[roles["lat"]]
    if blank(raw_x) and blank(raw_y):
        return "none"
    nums: dict[str, float | None] = {}
    for role, raw in (("lon", raw_x), ("lat", raw_y)):
        try:
            nums[role] = parse_number(raw)
        except ValueError:
            problem(
                row,
                role,
                f"coordinate {raw!r} is not a number",
                f"Koordinate „{raw}“ ist keine Zahl",
            )
            return "error"
    x, y = nums["lon"], nums["lat"]
    if x is None or y is None:
        problem(
            row,
            "lon" if x is None else "lat",
            "only one coordinate given; trying the address",
            "Nur eine Koordinate angegeben; die Adresse wird versucht",
            "warning",
        )
        return "none"
    if x == 0 and y == 0:
        problem(
            row,
            "lat",
            "coordinates 0/0 are a placeholder; trying the address",
            "Koordinaten 0/0 sind ein Platzhalter; die Adresse wird versucht",
            "warning",
        )
        return "none"
    return x, y


def _row_epsg(
    row: int,
    values: Mapping[str, Any],
    roles: Mapping[str, str],
    default_epsg: int | None,
    problem: ReportProblem,
) -> int | None:
    """The row's EPSG code (its EPSG cell, else the default); ``None`` if unreadable."""
    raw_epsg = values[roles["epsg"]] if "epsg" in roles else None
    if blank(raw_epsg):
        return default_epsg or 4326
    m = re.search(r"\d{4,6}", cell_text(raw_epsg))
    if m is None:
        problem(
            row,
            "epsg",
            f"CRS {raw_epsg!r} is not an EPSG code",
            f"Koordinatensystem „{raw_epsg}“ ist kein EPSG-Code",
        )
        return None
    return int(m.group(0))


def _lonlat_candidates(
    row: int,
    xy: tuple[float, float],
    epsg: int,
    transformers: dict[int, Transformer],
    problem: ReportProblem,
) -> list[tuple[float, float]] | None:
    """``[(lon, lat) as given, (lon, lat) if swapped]``; ``None`` if they cannot be lon/lat."""
    x, y = xy
    if epsg == 4326:
        if not (-180 <= x <= 180 and -90 <= y <= 90) and not (-180 <= y <= 180 and -90 <= x <= 90):
            problem(
                row,
                "lon",
                f"coordinates ({x}, {y}) are not lon/lat degrees; for projected x/y "
                "give an EPSG column or default_epsg",
                f"Koordinaten ({x}; {y}) sind keine Längen-/Breitengrade; für "
                "projizierte x/y (z. B. UTM) bitte eine EPSG-Spalte angeben",
            )
            return None
        return [(x, y), (y, x)]
    if epsg not in transformers:
        try:
            transformers[epsg] = Transformer.from_crs(
                CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True
            )
        except PyprojCRSError:
            problem(row, "epsg", f"unknown EPSG code {epsg}", f"Unbekannter EPSG-Code {epsg}")
            return None
    tr = transformers[epsg]
    x1, y1 = tr.transform(x, y)
    x2, y2 = tr.transform(y, x)
    return [(float(x1), float(y1)), (float(x2), float(y2))]


def _choose_in_box(
    row: int,
    candidates: list[tuple[float, float]],
    *,
    box: Box,
    strict_box: bool,
    problem: ReportProblem,
) -> tuple[float, float] | None:
    """The candidate inside ``box`` (swapped with a warning); ``None`` if outside the region."""
    (lon, lat), (slon, slat) = candidates
    finite = math.isfinite(lon) and math.isfinite(lat)
    if finite and in_box(lon, lat, box):
        return lon, lat
    if math.isfinite(slon) and math.isfinite(slat) and in_box(slon, slat, box):
        problem(
            row,
            "lat",
            "latitude and longitude were swapped; corrected",
            "Breite und Länge waren vertauscht; korrigiert",
            "warning",
        )
        return slon, slat
    if strict_box or not finite or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problem(
            row,
            "lat",
            f"coordinates (lon {lon:.5f}, lat {lat:.5f}) lie outside the region",
            f"Koordinaten (Länge {lon:.5f}, Breite {lat:.5f}) liegen außerhalb der Region",
        )
        return None
    problem(
        row,
        "lat",
        f"coordinates (lon {lon:.5f}, lat {lat:.5f}) lie outside Germany",
        f"Koordinaten (Länge {lon:.5f}, Breite {lat:.5f}) liegen außerhalb Deutschlands",
        "warning",
    )
    return lon, lat


# --------------------------------------------------------------------------
# address


def place_by_address(
    rec: OfferRow,
    values: Mapping[str, Any],
    roles: Mapping[str, str],
    parts: Mapping[str, str],
    *,
    get_index: Callable[[], AddressIndex | None],
    accept_street_match: bool,
    problem: ReportProblem,
) -> str | None:
    """Geocode ``rec``; return the German reason when it cannot be placed."""
    if not rec.address:
        return "weder Koordinaten noch Adresse angegeben"
    parsed = _address_parts(values, roles, parts)
    if not parsed["street"]:
        return f"Adresse „{rec.address}“ ohne Straße"
    index = get_index()
    if index is None:
        return "keine Adressdaten zum Geocodieren vorhanden"
    res = index.lookup(
        street=parsed["street"] or "",
        housenumber=parsed["housenumber"],
        postcode=parsed["postcode"],
        city=parsed["city"],
    )
    reason = _judge_match(
        rec.row,
        res,
        role="address" if "address" in roles else "street",
        accept_street_match=accept_street_match,
        problem=problem,
    )
    if reason is None:
        rec.lon, rec.lat, rec.quality = res.lon, res.lat, res.quality
    return reason


def _address_parts(
    values: Mapping[str, Any], roles: Mapping[str, str], parts: Mapping[str, str]
) -> dict[str, str | None]:
    """Street, house number, postcode and city from the address and part columns."""
    parsed: dict[str, str | None] = {
        "street": None,
        "housenumber": None,
        "postcode": None,
        "city": None,
    }
    if "address" in roles and not blank(values[roles["address"]]):
        parsed.update(parse_address(cell_text(values[roles["address"]])))
    if parts.get("street"):
        if parts.get("housenumber"):
            parsed["street"], parsed["housenumber"] = parts["street"], parts["housenumber"]
        else:  # "Hauptstraße 3" in the street column
            sub = parse_address(parts["street"])
            parsed["street"] = sub["street"]
            parsed["housenumber"] = sub["housenumber"] or parsed["housenumber"]
    for part in ("postcode", "city"):
        if parts.get(part):
            parsed[part] = parts[part]
    return parsed


def _judge_match(
    row: int,
    res: GeocodeResult,
    *,
    role: str,
    accept_street_match: bool,
    problem: ReportProblem,
) -> str | None:
    """Whether a lookup result places the row: ``None``, else the German reason why not."""
    if res.quality == "Hausnummer":
        if res.score < 100:
            problem(
                row,
                role,
                f"address matched approximately as {res.matched!r} (score {res.score:.0f})",
                f"Adresse ungefähr zugeordnet: „{res.matched}“ (Ähnlichkeit {res.score:.0f} %)",
                "warning",
            )
        return None
    if res.quality == "Straße":
        if not accept_street_match:
            return (
                f"nur die Straße gefunden ({res.matched}), nicht die Hausnummer; "
                "Koordinaten ergänzen oder Straßenmitte zulassen"
            )
        problem(
            row,
            role,
            f"house number not found; placed at the centre of {res.matched!r}",
            f"Hausnummer nicht gefunden; in die Mitte von „{res.matched}“ gesetzt",
            "warning",
        )
        return None
    return "Adresse nicht gefunden" + (f" ({res.note})" if res.note else "")
