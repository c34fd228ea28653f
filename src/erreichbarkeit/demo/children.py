"""The demo's children table: fictional children per Gemeinde for three age groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.demo.model import Model

__all__ = ["CHILDREN_FILE", "write_children"]

#: File name of the children table in the demo folder (region file:
#: ``[inputs] children = "kinderzahlen.csv"``).
CHILDREN_FILE = "kinderzahlen.csv"

#: Header and typical share of the population of each age group in the file;
#: the older groups (10–18, 18–27) are left to the age-share estimate.
_GROUPS: tuple[tuple[str, float], ...] = (
    ("unter 3 Jahre", 0.027),
    ("3 bis unter 6 Jahre", 0.029),
    ("6 bis unter 10 Jahre", 0.039),
)


def write_children(model: Model, folder: Path, seed: int) -> Path:
    """Write ``kinderzahlen.csv``: children per Gemeinde as an Einwohnermeldeamt might give them.

    Each Gemeinde's count is its population times the group's typical share
    times a factor drawn per Gemeinde and group (normal around 1, sd 0.15,
    clipped to 0.7–1.4), so young and old Gemeinden differ from the
    national shares; whole children, German CSV with semicolons.

    Parameters
    ----------
    model
        The demo county (its Gemeinden with AGS, name and population).
    folder
        The demo folder.
    seed
        The demo's seed; the same seed gives the same file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    rng = np.random.default_rng(seed + 12)
    columns: dict[str, list[str]] = {
        "AGS": [g.ags for g in model.gemeinden],
        "Gemeinde": [g.name for g in model.gemeinden],
    }
    population = np.array([g.population for g in model.gemeinden], dtype=float)
    for header, share in _GROUPS:
        factor = np.clip(rng.normal(1.0, 0.15, len(population)), 0.7, 1.4)
        columns[header] = [str(int(n)) for n in np.round(population * share * factor)]
    path = Path(folder) / CHILDREN_FILE
    with atomic_path(path) as tmp:
        pd.DataFrame(columns, dtype=str).to_csv(
            tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n"
        )
    return path
