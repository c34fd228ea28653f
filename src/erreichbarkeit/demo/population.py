"""Population tables: per Gemeinde and the fictional 100 m Zensus-style grid."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import WGS84
from erreichbarkeit.demo.model import (
    Model,
)

__all__ = ["write_population", "write_population_grid"]


def write_population(model: Model, path: Path) -> None:
    """Write the population per Gemeinde (``AGS;Gemeinde;Einwohner``)."""
    table = pd.DataFrame(
        {
            "AGS": [g.ags for g in model.gemeinden],
            "Gemeinde": [g.name for g in model.gemeinden],
            "Einwohner": [_de_int(g.population) for g in model.gemeinden],
        },
        dtype=str,
    )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


#: Radius (m) over which a village's inhabitants spread: grows with its size.
_SPREAD_M_PER_SQRT_INHABITANT = 6.0
_GRID_M = 100


def write_population_grid(
    model: Model, path: Path, lonlat: Callable[[np.ndarray], np.ndarray], seed: int
) -> None:
    """A fictional 100 m Zensus-style grid: each place's inhabitants spread around it.

    Inhabitants are spread over the 100 m cells within a radius that grows
    with the square root of the population (Gaussian weights), rounded to
    whole people per cell with the place total kept exactly (largest
    remainders).  Cell centres are given in EPSG:3035 like the Zensus grids;
    the share of under-18s varies a little per place.
    """
    rng = np.random.default_rng(seed + 1)
    to_laea = Transformer.from_crs(WGS84, "EPSG:3035", always_xy=True)
    cells: dict[tuple[int, int], list[float]] = {}
    xy = np.array([(p.x, p.y) for p in model.places], dtype=float)
    lon_lat = lonlat(xy)
    ex, ey = to_laea.transform(lon_lat[:, 0], lon_lat[:, 1])
    for place, cx, cy in zip(model.places, ex, ey, strict=True):
        radius = max(150.0, _SPREAD_M_PER_SQRT_INHABITANT * math.sqrt(place.population))
        n = math.ceil(radius / _GRID_M)
        ix0, iy0 = int(cx // _GRID_M), int(cy // _GRID_M)
        keys, weights = [], []
        for dx in range(-n, n + 1):
            for dy in range(-n, n + 1):
                mx = (ix0 + dx + 0.5) * _GRID_M
                my = (iy0 + dy + 0.5) * _GRID_M
                d2 = (mx - cx) ** 2 + (my - cy) ** 2
                if d2 <= radius**2:
                    keys.append((ix0 + dx, iy0 + dy))
                    weights.append(math.exp(-d2 / (radius**2 / 2)))
        w = np.array(weights) / sum(weights) * place.population
        whole = np.floor(w).astype(int)
        rest = place.population - int(whole.sum())
        whole[np.argsort(-(w - whole))[:rest]] += 1
        share = float(np.clip(rng.normal(17.5, 2.0), 12.0, 24.0))
        for key, people in zip(keys, whole, strict=True):
            if people > 0:
                entry = cells.setdefault(key, [0.0, 0.0])
                entry[0] += people
                entry[1] += people * share
    rows = sorted(cells.items())
    table = pd.DataFrame(
        {
            "x_mp": [int((k[0] + 0.5) * _GRID_M) for k, _ in rows],
            "y_mp": [int((k[1] + 0.5) * _GRID_M) for k, _ in rows],
            "Einwohner": [int(v[0]) for _, v in rows],
            "unter18_A": [_de_decimal(v[1] / v[0]) for _, v in rows],
        }
    )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _de_int(value: int) -> str:
    """``12345`` → ``12.345`` (German thousands separator)."""
    return f"{value:,d}".replace(",", ".")


def _de_decimal(value: float) -> str:
    """``17.52`` → ``17,5``."""
    return f"{value:.1f}".replace(".", ",")
