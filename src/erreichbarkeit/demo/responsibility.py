"""The Beispielkreis's Zuständigkeit table: Grundschulbezirke, Rathaus, Kreishaus.

Written as ``zustaendigkeit.csv`` in the German spreadsheet format (``;``,
UTF-8 with BOM, CRLF), the way a Jugendamt planner would keep it:

* **Grundschulbezirke**: every village belongs to the Grundschule of its own
  Gemeinde — often *not* the nearest one for villages near a Gemeinde
  border.  A Gemeinde with one Grundschule gets one Gemeinde row; with
  several, one row per village (Ort, the nearest school of the Gemeinde);
  without one, the Grundschule nearest to its seat in the Kreis.
* **Rathaus** (the Stadt's or Gemeinde's applications): the Rathaus of the
  own Gemeinde, when the demo has Rathaus offers.
* **Kreishaus** (the Kreis's applications): the one Kreisverwaltung for
  every Gemeinde, when the demo has one.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._schema import PLACE_TYPES
from erreichbarkeit.demo.model import Model, Offer

__all__ = ["RESPONSIBILITY_FILE", "responsibility_rows", "write_responsibility"]

#: File name of the table in the demo folder.
RESPONSIBILITY_FILE = "zustaendigkeit.csv"

_HEADER = ("Gemeinde", "Ort", "Kategorie", "Zuständige Stelle", "Bemerkung")


def _dist(o: Offer, x: float, y: float) -> float:
    return math.hypot(o.x - x, o.y - y)


def _seat(model: Model, g: int) -> tuple[float, float]:
    """The Gemeinde's seat: its most populous place (the centroid without places)."""
    mine = [p for p in model.places if p.gemeinde == g]
    if mine:
        best = max(mine, key=lambda p: p.population)
        return best.x, best.y
    c = model.gemeinden[g].geometry.centroid
    return float(c.x), float(c.y)


def _unique(offers: list[Offer]) -> list[Offer]:
    """Offers whose name no other offer of the category has (matchable by name)."""
    counts: dict[str, int] = {}
    for o in offers:
        counts[o.name] = counts.get(o.name, 0) + 1
    return [o for o in offers if counts[o.name] == 1]


def _schools(model: Model) -> list[tuple[str, str, str, str, str]]:
    """The Grundschulbezirk rows."""
    schools = _unique([o for o in model.offers if o.category == "grundschule"])
    if not schools:
        return []
    rows: list[tuple[str, str, str, str, str]] = []
    for g, gem in enumerate(model.gemeinden):
        own = [o for o in schools if model.places[o.place].gemeinde == g]
        if len(own) == 1:
            rows.append((gem.name, "", "Grundschule", own[0].name, "Schulbezirk der Gemeinde"))
            continue
        if not own:
            x, y = _seat(model, g)
            near = min(schools, key=lambda o: _dist(o, x, y))
            rows.append((gem.name, "", "Grundschule", near.name,
                         "keine Grundschule in der Gemeinde; nächste im Kreis"))  # fmt: skip
            continue
        for p in model.places:
            if p.gemeinde == g and p.place in PLACE_TYPES:
                near = min(own, key=lambda o: _dist(o, p.x, p.y))
                rows.append((gem.name, p.name, "Grundschule", near.name, "Schulbezirk"))
    return rows


def _offices(model: Model) -> list[tuple[str, str, str, str, str]]:
    """The Rathaus and Kreishaus rows (when the demo has such offers)."""
    rows: list[tuple[str, str, str, str, str]] = []
    townhalls = _unique([o for o in model.offers if o.category == "rathaus"])
    for g, gem in enumerate(model.gemeinden):
        own = [o for o in townhalls if model.places[o.place].gemeinde == g]
        if own:
            x, y = _seat(model, g)
            near = min(own, key=lambda o: _dist(o, x, y))
            rows.append((gem.name, "", "Rathaus", near.name, "Anträge an die Gemeinde/Stadt"))
    county = _unique([o for o in model.offers if o.category == "kreisverwaltung"])
    if county:
        seat = county[0]
        rows += [
            (gem.name, "", "Kreishaus", seat.name, "Anträge an den Kreis")
            for gem in model.gemeinden
        ]
    return rows


def responsibility_rows(model: Model) -> pd.DataFrame:
    """The table as written (German headers, text cells)."""
    return pd.DataFrame(_schools(model) + _offices(model), columns=list(_HEADER), dtype=str)


def write_responsibility(model: Model, folder: Path) -> Path:
    """Write ``zustaendigkeit.csv`` into ``folder``; return its path."""
    path = Path(folder) / RESPONSIBILITY_FILE
    table = responsibility_rows(model)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
