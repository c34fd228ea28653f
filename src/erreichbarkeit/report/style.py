"""One colour and class scheme for the web map, the print map and the Steckbriefe.

Villages are coloured by the minutes to the nearest offer in the classes of
:data:`BIN_EDGES` (:func:`classify_minutes`, :func:`bin_labels`) with
:data:`BIN_COLORS`; villages without a reachable offer are grey
(:data:`UNREACHABLE_COLOR`).  The travel-time bands take the village colours
of the same minutes (:func:`band_color`), and the offline road base layer is
drawn in the greys of :data:`ROAD_STYLES`.  The folium maps
(:mod:`erreichbarkeit.webmap`) and the matplotlib maps
(:mod:`erreichbarkeit.report.mapplot`) both read this module, so a printed
map and the dashboard always show the same classes in the same colours.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "BAND_COLORS",
    "BIN_COLORS",
    "BIN_EDGES",
    "OFFER_FALLBACK_COLOR",
    "ROAD_CLASSES",
    "ROAD_STYLES",
    "UNREACHABLE_COLOR",
    "UNREACHABLE_LABEL",
    "RoadStyle",
    "band_color",
    "bin_labels",
    "class_colors",
    "classify_minutes",
    "minutes_color",
]

#: Upper edges (minutes, inclusive) of the classes; the last class is "> 30".
BIN_EDGES: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0)
#: One colour per class, light yellow (near) to dark red (far): matplotlib's
#: ``YlOrRd`` (ColorBrewer, safe for colour-blind readers: one hue ramp, no
#: red–green contrast) sampled where its CIELAB lightness L* is 95, 84, 73, 62,
#: 51 and 40, so the classes also read in grey-scale print: the farther, the
#: darker, in even steps (checked in ``tests/test_paper_labels.py``).
BIN_COLORS: tuple[str, ...] = ("#fff2ac", "#feca66", "#fd9c42", "#fc6631", "#ea2920", "#c00225")
#: Colour of villages without a reachable offer: darker than every class (L* 20),
#: so in grey-scale print they read as the worst case they are.
UNREACHABLE_COLOR = "#303030"
UNREACHABLE_LABEL = "nicht erreichbar"
#: Colours of the travel-time bands 0–5, 5–10, 10–15, 15–20, > 20 min (the
#: village colours of the same minutes; the open band takes the darkest red).
BAND_COLORS: tuple[str, ...] = (*BIN_COLORS[:4], BIN_COLORS[5])
#: Colour of an offer whose category is not in the category table.
OFFER_FALLBACK_COLOR = "#555555"

#: Road classes of the offline base layer, most important first.
ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary", "minor")


@dataclass(frozen=True)
class RoadStyle:
    """How a road class is drawn.

    Attributes
    ----------
    color
        Line colour (greys, so the coloured village classes stand out).
    width_pt
        Line width on paper (points).
    web_weight
        Line width in the web map (CSS pixels).
    """

    color: str
    width_pt: float
    web_weight: float


#: One style per class (:data:`ROAD_CLASSES`), shared by web and print map.
ROAD_STYLES: Mapping[str, RoadStyle] = MappingProxyType(
    {
        "motorway": RoadStyle("#7a7a7a", 1.6, 3.5),
        "trunk": RoadStyle("#8a8a8a", 1.3, 3.0),
        "primary": RoadStyle("#8f8f8f", 1.1, 2.6),
        "secondary": RoadStyle("#a0a0a0", 0.8, 2.0),
        "tertiary": RoadStyle("#b0b0b0", 0.6, 1.5),
        "minor": RoadStyle("#cccccc", 0.3, 0.8),
    }
)


def _fmt(x: float) -> str:
    """A number the German way, without trailing zeros (``7,5``)."""
    return f"{x:g}".replace(".", ",")


def bin_labels(edges: Sequence[float] = BIN_EDGES) -> list[str]:
    """German labels of the minute classes, e.g. ``["≤ 5 min", "5–10 min", …, "> 30 min"]``.

    Parameters
    ----------
    edges
        Upper class edges in minutes, increasing.

    Returns
    -------
    list[str]
        ``len(edges) + 1`` labels.
    """
    labels = [f"≤ {_fmt(edges[0])} min"]
    labels += [f"{_fmt(a)}–{_fmt(b)} min" for a, b in itertools.pairwise(edges)]
    labels.append(f"> {_fmt(edges[-1])} min")
    return labels


def classify_minutes(minutes: Any, edges: Sequence[float] = BIN_EDGES) -> np.ndarray[Any, Any]:
    """Class index of each travel time.

    Class ``0`` is ``minutes <= edges[0]``, class ``i`` is
    ``edges[i-1] < minutes <= edges[i]``, class ``len(edges)`` is above the
    last edge; NaN (no reachable offer) is ``-1``.

    Parameters
    ----------
    minutes
        Scalar or array-like of minutes.
    edges
        Upper class edges, increasing.

    Returns
    -------
    numpy.ndarray
        Integer class indices (same shape as ``minutes``).
    """
    x = np.asarray(minutes, dtype="float64")
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), x, side="left")
    return np.where(np.isnan(x), -1, idx).astype("int64")


def minutes_color(minutes: float, edges: Sequence[float] = BIN_EDGES) -> str:
    """Fill colour of a village with this many minutes (grey when NaN)."""
    k = int(classify_minutes(minutes, edges))
    return UNREACHABLE_COLOR if k < 0 else BIN_COLORS[k]


def class_colors(classes: Sequence[int] | np.ndarray[Any, Any]) -> list[str]:
    """Fill colour per class index of :func:`classify_minutes` (``-1``: grey)."""
    return [UNREACHABLE_COLOR if k < 0 else BIN_COLORS[int(k)] for k in classes]


def band_color(index: int) -> str:
    """Colour of band ``index`` (0 = fastest; the last colour for any later band)."""
    return BAND_COLORS[min(max(int(index), 0), len(BAND_COLORS) - 1)]
