"""Batch results of a whole Land for the dashboard (Streamlit-free).

``erreichbarkeit batch`` writes one folder per Land (``land_uebersicht.parquet``,
``landkarte.html``, ``land.xlsx``, ``regionen/<id>/region.toml``).  The
dashboard finds such folders under ``<data>/land/`` and in
``$ERREICHBARKEIT_BATCH_DIR`` (a batch folder or a folder of them), shows
the Land map and a German overview table, and lists every region of a batch
in the region picker, so a planner drills down from the Land into one Kreis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from erreichbarkeit.config import MODE_LABELS

__all__ = [
    "BATCH_ENV",
    "LAND_DIR",
    "BatchFolder",
    "batch_region_files",
    "discover_batches",
    "figures_of",
    "overview_display",
]

#: Environment variable naming a batch folder (or a folder of batch folders).
BATCH_ENV = "ERREICHBARKEIT_BATCH_DIR"
#: Sub-folder of the app's data folder where batch folders are looked for.
LAND_DIR = "land"
#: The file that marks a finished batch folder (``batch.land.LAND_OVERVIEW``).
_OVERVIEW = "land_uebersicht.parquet"
_MAP = "landkarte.html"
_WORKBOOK = "land.xlsx"


@dataclass(frozen=True)
class BatchFolder:
    """One batch result the dashboard can open."""

    label: str
    path: Path

    @property
    def overview(self) -> Path:
        """The overview GeoParquet (one row per region)."""
        return self.path / _OVERVIEW

    @property
    def map_html(self) -> Path:
        """The Land map written by the batch."""
        return self.path / _MAP

    @property
    def workbook(self) -> Path:
        """The Land workbook written by the batch."""
        return self.path / _WORKBOOK


def _candidates(folder: Path) -> list[Path]:
    """``folder`` itself when it is a batch folder, else its batch sub-folders."""
    if (folder / _OVERVIEW).is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / _OVERVIEW).is_file())


def discover_batches(data_dir: Path, *, env: Mapping[str, str] | None = None) -> list[BatchFolder]:
    """Batch folders under ``data_dir/land`` and ``$ERREICHBARKEIT_BATCH_DIR``, unique.

    Examples
    --------
    >>> discover_batches(Path("/nonexistent"), env={})
    []
    """
    env = os.environ if env is None else env
    found: list[BatchFolder] = []
    roots = [data_dir / LAND_DIR]
    if env.get(BATCH_ENV):
        roots.append(Path(env[BATCH_ENV]).expanduser())
    seen: set[Path] = set()
    for root in roots:
        for folder in _candidates(root):
            key = folder.resolve()
            if key not in seen:
                seen.add(key)
                found.append(BatchFolder(folder.name, folder))
    return found


def batch_region_files(batches: list[BatchFolder]) -> list[Path]:
    """The region files of every region of the batches (``regionen/<id>/region.toml``)."""
    out: list[Path] = []
    for batch in batches:
        out += sorted((batch.path / "regionen").glob("*/region.toml"))
    return out


def _yes_no(value: object) -> str:
    return "ja" if bool(value) else "nein"


def _share(value: object) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return "—"
    return f"{100 * float(number):.1f} %".replace(".", ",")


def _count(value: object) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return "—"
    return f"{round(float(number)):,}".replace(",", ".")


def overview_display(
    overview: pd.DataFrame, labels: Mapping[str, str], *, category: str, mode: str
) -> pd.DataFrame:
    """The German overview of a batch for one category and mode, worst share first.

    Parameters
    ----------
    overview
        ``land_uebersicht.parquet``: ``region, name, status, fehler,
        teilabdeckung, ohne_bus_bahn`` and ``beyond_<cat>_<mode>`` /
        ``children_beyond_<cat>_<mode>`` per category and mode.
    labels
        Category key → German label.
    category, mode
        Which figure to show.

    Returns
    -------
    pandas.DataFrame
        Text columns only (German numbers; „—“ where a region has no
        result), plus ``Karte`` with the address that opens the region's map.
    """
    share_col = f"beyond_{category}_{mode}"
    count_col = f"children_beyond_{category}_{mode}"
    what = f"{labels.get(category, category)} – {MODE_LABELS.get(mode, mode)}"
    share = pd.to_numeric(overview.get(share_col, pd.Series(pd.NA, index=overview.index)),
                          errors="coerce")  # fmt: skip
    order = share.fillna(-1.0).sort_values(ascending=False, kind="stable").index
    rows = overview.loc[order]
    return pd.DataFrame({
        "Region": rows["name"].astype(str),
        "Schlüssel": rows["region"].astype(str),
        f"Kinder jenseits der Schwelle ({what})": [
            _count(v) for v in rows.get(count_col, pd.Series(pd.NA, index=rows.index))
        ],
        f"Anteil ({what})": [_share(v) for v in share.loc[order]],
        "Status": rows["status"].astype(str),
        "Teilabdeckung": [_yes_no(v) for v in rows["teilabdeckung"]],
        "ohne Bus & Bahn": [_yes_no(v) for v in rows["ohne_bus_bahn"]],
        "Karte": [f"/karte?region={r}" for r in rows["region"].astype(str)],
    }).reset_index(drop=True)  # fmt: skip


def figures_of(overview: pd.DataFrame) -> list[tuple[str, str]]:
    """``(category, mode)`` of every figure in the overview, in column order."""
    out: list[tuple[str, str]] = []
    for col in overview.columns:
        if col.startswith("beyond_"):
            cat, mode = col.removeprefix("beyond_").rsplit("_", 1)
            out.append((cat, mode))
    return out
