"""The Beispielkreis's table of outreach offers („aufsuchende Angebote“).

Written as ``aufsuchend.csv`` in the German spreadsheet format (``;``,
UTF-8 with BOM, CRLF), the way a Jugendamt planner would keep it:

* a **Familienhebamme** (Hebamme, 0–3 Jahre) visiting the families of the
  two Gemeinden whose seats lie farthest from the Kreisstadt (Gemeinde rows);
* a **Willkommensbesuch** of the Kreis (Familienbildungsstätte, 0–3 Jahre)
  for every Gemeinde;
* **aufsuchende Jugendarbeit** (Jugendzentrum, 10–18 Jahre) in the remote
  valley villages and hamlets, listed per Gemeinde in one ``Ort`` cell
  („Ort A; Ort B“).

The region file names it with ``[inputs] outreach = ["aufsuchend.csv"]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._schema import PLACE_TYPES
from erreichbarkeit.demo.model import Model

__all__ = ["OUTREACH_FILE", "outreach_rows", "write_outreach"]

#: File name of the table in the demo folder.
OUTREACH_FILE = "aufsuchend.csv"

_HEADER = ("Name", "Kategorie", "Gemeinde", "Ort", "Träger", "Altersgruppen", "Bemerkung")
_Row = tuple[str, str, str, str, str, str, str]
#: Place kinds the outreach youth work visits (far from the Gemeinde seats).
_REMOTE_KINDS = frozenset({"valley", "hamlet", "track_hamlet", "isolated"})


def _town(model: Model) -> tuple[float, float]:
    """The Kreisstadt: the most populous place."""
    town = max(model.places, key=lambda p: p.population)
    return town.x, town.y


def _remote_gemeinden(model: Model, n: int) -> list[int]:
    """The ``n`` Gemeinden whose most populous place lies farthest from the Kreisstadt."""
    tx, ty = _town(model)
    far: list[tuple[float, int]] = []
    for g in range(len(model.gemeinden)):
        mine = [p for p in model.places if p.gemeinde == g]
        if mine:
            seat = max(mine, key=lambda p: p.population)
            far.append((math.hypot(seat.x - tx, seat.y - ty), g))
    return [g for _, g in sorted(far, reverse=True)[:n]]


def outreach_rows(model: Model) -> pd.DataFrame:
    """The table as written (German headers, text cells)."""
    rows: list[_Row] = [
        ("Familienhebamme Frühe Hilfen", "Hebamme", model.gemeinden[g].name, "",
         "Landkreis (Frühe Hilfen)", "0-3", "Hausbesuche nach Vereinbarung")
        for g in _remote_gemeinden(model, 2)
    ]  # fmt: skip
    rows += [
        ("Willkommensbesuch", "Familienbildungsstätte", gem.name, "", "Kreisjugendamt", "0-1",
         "Besuch nach der Geburt, kreisweit")
        for gem in model.gemeinden
    ]  # fmt: skip
    for g, gem in enumerate(model.gemeinden):
        remote = [
            p.name
            for p in model.places
            if p.gemeinde == g and p.kind in _REMOTE_KINDS and p.place in PLACE_TYPES
        ]
        if remote:
            rows.append(("Aufsuchende Jugendarbeit (Jugendmobil)", "Jugendzentrum", gem.name,
                         "; ".join(dict.fromkeys(remote)), "Kreisjugendring", "10-18",
                         "Jugendmobil, einmal pro Woche"))  # fmt: skip
    return pd.DataFrame(rows, columns=list(_HEADER), dtype=str)


def write_outreach(model: Model, folder: Path) -> Path:
    """Write ``aufsuchend.csv`` into ``folder``; return its path."""
    path = Path(folder) / OUTREACH_FILE
    table = outreach_rows(model)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
