"""The Beispielkreis's table of social indicators (fictional): ``sozialindikatoren.csv``.

One row per Gemeinde with a fictional SGB-II quota of children (percent,
„17,5“) and share of single-parent households (percent), plus one Ortsteil
row (the most populous place of the first Gemeinde, with a higher quota) to
show that an Ort row wins over its Gemeinde's.  German spreadsheet format
(``;``, decimal comma, UTF-8 with BOM, CRLF); the ``Quelle`` column says the
values are invented.  The region file names it with ``need = "sozialindikatoren.csv"``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.demo.model import Model

__all__ = ["NEED_FILE", "need_rows", "write_need"]

#: File name of the table in the demo folder.
NEED_FILE = "sozialindikatoren.csv"


def _source(county: str) -> str:
    """The source every row names (``des Beispielkreises``)."""
    genitive = f"des {county}es" if county.endswith("kreis") else f"von {county}"
    return f"fiktive Werte {genitive} (keine echten Daten)"


_HEADER = ("Gemeinde", "Ort", "SGB-II-Quote Kinder (%)", "Anteil Alleinerziehende (%)", "Quelle")


def _de(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def need_rows(model: Model) -> pd.DataFrame:
    """The table: a fictional quota per Gemeinde (deterministic) and one Ortsteil row."""
    source = _source(model.layout.name)
    rows: list[tuple[str, str, str, str, str]] = []
    for i, gem in enumerate(model.gemeinden):
        quota = 6.0 + (i * 7.3) % 20.0  # 6 to 26 % (Landkreis Göttingen: 17 % of the 0–5)
        single = 14.0 + (i * 3.1) % 12.0
        rows.append((gem.name, "", _de(quota), _de(single), source))
    first = [p for p in model.places if p.gemeinde == 0]
    if first and model.gemeinden:
        town = max(first, key=lambda p: p.population)
        rows.append((model.gemeinden[0].name, town.name, _de(29.5), _de(31.0), source))
    return pd.DataFrame(rows, columns=list(_HEADER))


def write_need(model: Model, folder: Path) -> Path:
    """Write :data:`NEED_FILE` into ``folder``; return its path."""
    path = Path(folder) / NEED_FILE
    table = need_rows(model)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
