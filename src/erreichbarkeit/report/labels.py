"""Collision-free labels on the paper maps: village names and Gemeinde names.

:class:`LabelPlacer` places labels greedily, most important first, at the
first free spot of a ring of candidate positions around each point (right,
left, above, below, the four diagonals; for labels that must be shown also a
second and third ring further out, joined to their dot by a thin leader
line).  A spot is free when its box, measured with matplotlib's own text
extents, overlaps no label placed before, no reserved box (scale bar, north
arrow) and lies inside the map frame; optional labels must also leave every
other dot uncovered.  Labels that find no free spot are left out (optional)
or counted (required; :attr:`LabelPlacer.missed`).

Hand-written rather than the ``adjustText`` library: adjustText moves labels
iteratively to *reduce* overlaps and gives no guarantee that none remain or
that every label stays inside the frame, which the paper maps promise (and
``tests/test_paper_labels.py`` checks); a greedy placer with hard
constraints does, and costs no new dependency.

Each label is two text artists: a white outline drawn as paths below, and
the plain text above it, so the names stay searchable and copyable in the
PDF (matplotlib draws text with path effects as outlines, not as text).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.text import Text

__all__ = [
    "LAYOUT_DPI",
    "Box",
    "LabelPlacer",
    "LabelStyle",
    "MapLabels",
    "fit_width",
    "label_map",
    "overlaps",
    "renderer_of",
    "shrink_to_width",
    "text_boxes",
    "trim_to_width",
    "underserved_mask",
    "wrap_to_width",
]

logger = logging.getLogger(__name__)

#: ``(x0, y0, x1, y1)`` in display pixels.
Box = tuple[float, float, float, float]

#: The dpi of the paper figures, at which every text is measured for the layout.  At 72 dpi
#: Agg measures text as the PDF backend lays it out (hinted metrics at 72 dpi, slightly wider
#: than the glyphs it then draws), so a measured box holds the printed text; at 100 dpi,
#: matplotlib's default, hinting makes long lines about 6 % narrower than printed, and a
#: footer measured to fit ran off the PDF page.
LAYOUT_DPI = 72

#: Candidate directions around a point, in order of preference:
#: right, left, above, below, upper right, upper left, lower right, lower left.
_DIRECTIONS: tuple[tuple[float, float], ...] = (
    (1.0, 0.0),
    (-1.0, 0.0),
    (0.0, 1.0),
    (0.0, -1.0),
    (1.0, 1.0),
    (-1.0, 1.0),
    (1.0, -1.0),
    (-1.0, -1.0),
)
#: Extra distances (in label heights) of the outer rings of required labels.
_OUTER_RINGS = (1.4, 2.8)
#: Vertical shifts (in label heights) tried for a Gemeinde name.
_AREA_SHIFTS = (0.0, 1.2, -1.2, 2.4, -2.4)
#: Horizontal shifts (in label widths) tried for a Gemeinde name when no vertical one is free.
_AREA_SIDE_SHIFTS = (0.0, 0.6, -0.6)


@dataclass(frozen=True)
class LabelStyle:
    """How a label is written.

    Attributes
    ----------
    fontsize
        Points.
    weight, style
        ``"bold"``/``"normal"``; ``"italic"``/``"normal"``.
    color
        Text colour.
    halo
        Width of the white outline (points).
    """

    fontsize: float
    weight: str = "normal"
    style: str = "normal"
    color: str = "#111111"
    halo: float = 2.0


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(a: Box, frame: Box) -> bool:
    return a[0] >= frame[0] and a[1] >= frame[1] and a[2] <= frame[2] and a[3] <= frame[3]


def text_boxes(texts: Iterable[Text], renderer: Any) -> list[Box]:
    """The display boxes of text artists (empty texts left out)."""
    boxes: list[Box] = []
    for t in texts:
        if not t.get_text().strip() or not t.get_visible():
            continue
        b = t.get_window_extent(renderer)
        boxes.append((float(b.x0), float(b.y0), float(b.x1), float(b.y1)))
    return boxes


def renderer_of(fig: Any) -> Any:
    """The renderer that measures text on ``fig`` (an Agg canvas is attached when it has none).

    Saving the figure as PDF afterwards still uses the PDF backend.
    """
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def shrink_to_width(text: Text, *, right: float, smallest: float = 6.0) -> None:
    """Make a figure text smaller until it ends left of ``right`` (figure fraction)."""
    fig = text.figure
    if fig is None:
        return
    renderer = renderer_of(fig)
    limit = right * fig.bbox.width
    size = float(text.get_fontsize())
    while size > smallest and text.get_window_extent(renderer).x1 > limit:
        size = max(smallest, size * 0.94)
        text.set_fontsize(size)


def trim_to_width(text: Text, *, right: float) -> None:
    """Cut a figure text with „…“ until it ends left of ``right`` (figure fraction)."""
    fig = text.figure
    if fig is None:
        return
    renderer = renderer_of(fig)
    limit = right * fig.bbox.width
    full = text.get_text()
    keep = len(full)
    while keep > 1 and text.get_window_extent(renderer).x1 > limit:
        keep -= 1
        text.set_text(full[:keep].rstrip() + "…")


def fit_width(text: Text, width: float, *, smallest: float = 5.5) -> None:
    """Make a figure text fit ``width`` (figure fraction): smaller down to ``smallest``, then cut.

    Measured with the renderer (bold text and wide letters included), so the
    cells of a table never run into their neighbours; short texts that
    clearly fit (at most half as many characters as an average line of the
    width holds) are not measured.
    """
    fig = text.figure
    full = text.get_text()
    if fig is None or not full:
        return
    size = float(text.get_fontsize())
    # about 0.55 em per character of DejaVu Sans: skip measuring texts far below the width
    room = width * fig.bbox.width / (0.55 * size * fig.dpi / 72.0)
    if len(full) <= 0.5 * room:
        return
    renderer = renderer_of(fig)
    limit = width * fig.bbox.width
    while size > smallest and text.get_window_extent(renderer).width > limit:
        size = max(smallest, size * 0.94)
        text.set_fontsize(size)
    keep = len(full)
    while keep > 1 and text.get_window_extent(renderer).width > limit:
        keep -= 1
        text.set_text(full[:keep].rstrip() + "…")


def wrap_to_width(text: Text, width: float) -> None:
    """Break a figure text into lines (at spaces) no wider than ``width`` (figure fraction).

    Measured with the renderer, unlike :func:`textwrap.wrap`'s character
    count, so a line in a larger font (A3) or with wide letters still ends
    inside the page.  A single word wider than ``width`` keeps its own line;
    a text that fits keeps its line breaks.
    """
    fig = text.figure
    words = text.get_text().split()
    if fig is None or not words:
        return
    renderer = renderer_of(fig)
    limit = width * fig.bbox.width
    if text.get_window_extent(renderer).width <= limit:
        return  # fits as it is: its own line breaks stay
    lines: list[str] = []
    line = ""
    for word in words:
        text.set_text(f"{line} {word}" if line else word)
        if line and text.get_window_extent(renderer).width > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    text.set_text("\n".join([*lines, line]))


class LabelPlacer:
    """Greedy, collision-free labels on one map axes.

    Parameters
    ----------
    ax
        The map axes, with its final limits and aspect (call after
        :func:`~erreichbarkeit.report.mapplot.frame_axes`).
    reserved
        Boxes in axes fractions ``(x0, y0, x1, y1)`` no label may touch
        (scale bar, north arrow).
    margin_pt
        Distance labels keep from the map frame (points).
    """

    def __init__(
        self, ax: Any, *, reserved: Sequence[Box] = (), margin_pt: float = 2.0
    ) -> None:
        fig = ax.figure
        self.ax = ax
        self.renderer = renderer_of(fig)
        ax.apply_aspect()  # the final frame, so data and display coordinates agree
        self._px = fig.dpi / 72.0  # display pixels per point
        bb = ax.get_window_extent(self.renderer)
        m = margin_pt * self._px
        self.frame: Box = (bb.x0 + m, bb.y0 + m, bb.x1 - m, bb.y1 - m)
        self.taken: list[Box] = [
            (bb.x0 + r[0] * bb.width, bb.y0 + r[1] * bb.height,
             bb.x0 + r[2] * bb.width, bb.y0 + r[3] * bb.height)
            for r in reserved
        ]  # fmt: skip
        self.labels: list[Text] = []
        self.label_boxes: list[Box] = []
        self.missed: list[str] = []
        self._dots = np.empty((0, 4))

    # -- obstacles ---------------------------------------------------------------------

    def add_dots(self, x: Any, y: Any, size_pt2: float) -> None:
        """Register markers (data coordinates, marker area in points²) labels should not cover."""
        xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
        if not len(xy):
            return
        disp = self.ax.transData.transform(xy)
        r = math.sqrt(size_pt2) / 2.0 * self._px
        boxes = np.column_stack([disp[:, 0] - r, disp[:, 1] - r, disp[:, 0] + r, disp[:, 1] + r])
        self._dots = np.vstack([self._dots, boxes])

    def _dot_hits(self, b: Box, own: Box | None) -> int:
        d = self._dots
        hit = (d[:, 0] < b[2]) & (b[0] < d[:, 2]) & (d[:, 1] < b[3]) & (b[1] < d[:, 3])
        if own is not None:  # the labelled point's own dot (same centre) does not count
            cx, cy = (own[0] + own[2]) / 2.0, (own[1] + own[3]) / 2.0
            same = (np.abs((d[:, 0] + d[:, 2]) / 2.0 - cx) < 0.5) & (
                np.abs((d[:, 1] + d[:, 3]) / 2.0 - cy) < 0.5
            )
            hit &= ~same
        return int(hit.sum())

    def _free(self, b: Box) -> bool:
        return _inside(b, self.frame) and not any(overlaps(b, t) for t in self.taken)

    # -- measuring and drawing ---------------------------------------------------------

    def _size(self, text: str, style: LabelStyle) -> tuple[float, float]:
        """Width and height of the label in display pixels, outline included."""
        probe = self.ax.text(0, 0, text, fontsize=style.fontsize, fontweight=style.weight,
                             style=style.style)  # fmt: skip
        ext = probe.get_window_extent(self.renderer)
        probe.remove()
        pad = style.halo * self._px
        return float(ext.width) + pad, float(ext.height) + pad

    def _draw(self, text: str, box: Box, style: LabelStyle, zorder: float) -> None:
        cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
        x, y = self.ax.transData.inverted().transform((cx, cy))
        common: dict[str, Any] = {
            "fontsize": style.fontsize, "fontweight": style.weight, "style": style.style,
            "ha": "center", "va": "center", "clip_on": False,
        }  # fmt: skip
        outline = [patheffects.Stroke(linewidth=style.halo, foreground="white")]
        self.ax.text(x, y, text, color="white", path_effects=outline, zorder=zorder - 0.01,
                     **common)  # fmt: skip
        label = self.ax.text(x, y, text, color=style.color, zorder=zorder, **common)
        self.labels.append(label)
        self.label_boxes.append(box)
        self.taken.append(box)

    def _leader(self, px: float, py: float, box: Box, zorder: float) -> None:
        """A thin line from the dot to the nearest point of a label further out."""
        qx = min(max(px, box[0]), box[2])
        qy = min(max(py, box[1]), box[3])
        inv = self.ax.transData.inverted()
        (x0, y0), (x1, y1) = inv.transform([(px, py), (qx, qy)])
        self.ax.add_line(Line2D([x0, x1], [y0, y1], color="#555555", linewidth=0.5,
                                zorder=zorder - 0.02))  # fmt: skip

    # -- placing ------------------------------------------------------------------------

    @staticmethod
    def _candidates(
        point: tuple[float, float], size: tuple[float, float], gap: float, rings: Sequence[float]
    ) -> list[tuple[Box, bool]]:
        """Candidate boxes around a display point (with a flag: needs a leader line)."""
        (px, py), (w, h) = point, size
        out: list[tuple[Box, bool]] = []
        for i, ring in enumerate(rings):
            d = gap + ring * h
            for dx, dy in _DIRECTIONS:
                cx = px + dx * (d + w / 2.0)
                cy = py + dy * (d + h / 2.0)
                out.append(((cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0), i > 0))
        return out

    def place_point(
        self,
        x: float,
        y: float,
        text: str,
        style: LabelStyle,
        *,
        dot_pt2: float,
        required: bool,
        zorder: float = 7.0,
    ) -> bool:
        """Label the point ``(x, y)`` (data coordinates) beside its dot; return whether placed.

        A required label takes the free spot covering the fewest other dots,
        trying outer rings with a leader line when the first ring is full; an
        optional label only a spot that covers no other dot.
        """
        if not text:
            return False
        px, py = (float(v) for v in self.ax.transData.transform((x, y)))
        if not (self.frame[0] <= px <= self.frame[2] and self.frame[1] <= py <= self.frame[3]):
            return False
        w, h = self._size(text, style)
        r = math.sqrt(dot_pt2) / 2.0 * self._px
        own: Box = (px - r, py - r, px + r, py + r)
        rings = (0.0, *_OUTER_RINGS) if required else (0.0,)
        best: tuple[int, int, Box, bool] | None = None
        for k, (box, far) in enumerate(self._candidates((px, py), (w, h), r + self._px, rings)):
            if not self._free(box):
                continue
            hits = self._dot_hits(box, own)
            if hits == 0:
                best = (0, k, box, far)
                break
            if required and (best is None or hits < best[0]):
                best = (hits, k, box, far)
        if best is None:
            if required:
                self.missed.append(text)
            return False
        self._draw(text, best[2], style, zorder)
        if best[3]:
            self._leader(px, py, best[2], zorder)
        return True

    def place_area(
        self, x: float, y: float, text: str, style: LabelStyle, *, zorder: float
    ) -> bool:
        """Label an area (a Gemeinde) at its point, shifted when taken; return whether placed.

        The name may cover no label, no reserved box and no dot (village or
        offer: its white outline would hide them); it is tried at the point,
        then shifted up and down, then half its width left and right.
        """
        px, py = (float(v) for v in self.ax.transData.transform((x, y)))
        w, h = self._size(text, style)
        for dx in _AREA_SIDE_SHIFTS:
            for shift in _AREA_SHIFTS:
                cx, cy = px + dx * w, py + shift * h
                box: Box = (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
                if self._free(box) and self._dot_hits(box, None) == 0:
                    self._draw(text, box, style, zorder)
                    return True
        return False


# -- a whole map ------------------------------------------------------------------------

_PLACE_RANK = {"city": 0, "town": 1, "suburb": 2, "village": 3, "hamlet": 4}
_UNDERSERVED_COLOR = "#111111"
_OTHER_COLOR = "#333333"
_AREA_COLOR = "#6f6f6f"


def underserved_mask(minutes: Any, threshold: float | None) -> np.ndarray[Any, Any]:
    """Villages without a reachable offer or beyond ``threshold`` minutes (NaN: no offer)."""
    m = np.asarray(minutes, dtype="float64")
    beyond = np.isnan(m)
    if threshold is not None:
        beyond |= np.nan_to_num(m, nan=-1.0) > float(threshold)
    return beyond


def _order(villages: Any, required: np.ndarray[Any, Any]) -> list[int]:
    """Positions in label order: underserved (unreachable, then slowest) first, then towns."""
    minutes = np.nan_to_num(np.asarray(villages["minutes"], dtype="float64"), nan=np.inf)
    places = villages["place"] if "place" in villages.columns else [""] * len(villages)
    rank = [_PLACE_RANK.get(str(p), 5) for p in places]
    pop_col = next((c for c in ("population", "osm_population") if c in villages.columns), None)
    pop = (
        np.nan_to_num(np.asarray(villages[pop_col], dtype="float64"), nan=0.0)
        if pop_col is not None
        else np.zeros(len(villages))
    )
    keys = [
        (0, -minutes[i], rank[i], -pop[i]) if required[i] else (1, 0.0, rank[i], -pop[i])
        for i in range(len(villages))
    ]
    return sorted(range(len(villages)), key=lambda i: keys[i])


@dataclass(frozen=True)
class MapLabels:
    """Sizes of the labels of one map.

    Attributes
    ----------
    village_pt, town_pt, area_pt
        Font sizes (points) of villages, towns and cities, Gemeinde names.
    dot_pt2, offer_pt2
        Marker areas (points²) of the village dots and offer symbols.
    halo
        Width of the white outline (points).
    """

    village_pt: float
    town_pt: float
    area_pt: float
    dot_pt2: float
    offer_pt2: float
    halo: float = 2.0


def label_map(
    ax: Any,
    villages: Any,
    *,
    threshold: float | None,
    sizes: MapLabels,
    areas: Any = None,
    offers: Any = None,
    context: Any = None,
    reserved: Sequence[Box] = (),
) -> LabelPlacer:
    """Label a map: the underserved villages, the towns, the Gemeinden, then other villages.

    Parameters
    ----------
    ax
        The framed map axes.
    villages
        The labelled villages (metres) with ``name``, ``minutes`` and
        optionally ``place`` and ``population``.
    threshold
        Minutes beyond which a village is underserved (its label is required
        and bold); ``None``: only villages without a reachable offer.
    sizes
        Font and marker sizes.
    areas
        Gemeinde polygons (metres) with ``gemeinde`` whose names are written
        (grey italics) where they collide with no village label.
    offers, context
        Offer points and unlabelled context villages (metres): labels avoid them.
    reserved
        Axes-fraction boxes kept free (scale bar, north arrow).

    Returns
    -------
    LabelPlacer
        With the placed labels (:attr:`LabelPlacer.labels`) and the required
        labels that found no room (:attr:`LabelPlacer.missed`).
    """
    placer = LabelPlacer(ax, reserved=reserved)
    placer.add_dots(villages.geometry.x, villages.geometry.y, sizes.dot_pt2)
    for extra, size in ((offers, sizes.offer_pt2), (context, sizes.dot_pt2 * 0.4)):
        if extra is not None and len(extra):
            placer.add_dots(extra.geometry.x, extra.geometry.y, size)
    required = underserved_mask(villages["minutes"], threshold)
    order = _order(villages, required)
    names = villages["name"].fillna("").astype(str).to_numpy()
    xs, ys = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    places = villages["place"].astype(str).to_numpy() if "place" in villages else None
    bold = LabelStyle(sizes.village_pt, weight="bold", color=_UNDERSERVED_COLOR, halo=sizes.halo)
    for i in (i for i in order if required[i]):
        placer.place_point(xs[i], ys[i], names[i], bold, dot_pt2=sizes.dot_pt2, required=True)
    big = [places is not None and places[i] in ("city", "town") for i in range(len(names))]
    town = LabelStyle(sizes.town_pt, weight="bold", color=_OTHER_COLOR, halo=sizes.halo)
    for i in (i for i in order if big[i] and not required[i]):  # towns before Gemeinde names:
        # a Gemeinde is often named after its town, whose spot its name would otherwise take
        placer.place_point(xs[i], ys[i], names[i], town, dot_pt2=sizes.dot_pt2, required=False)
    if areas is not None and len(areas):
        style = LabelStyle(sizes.area_pt, style="italic", color=_AREA_COLOR, halo=sizes.halo)
        points = areas.geometry.representative_point()
        for name, pt in zip(areas["gemeinde"].astype(str), points, strict=True):
            placer.place_area(pt.x, pt.y, name, style, zorder=6.5)
    other = LabelStyle(sizes.village_pt * 0.92, color=_OTHER_COLOR, halo=sizes.halo)
    for i in (i for i in order if not big[i] and not required[i]):
        placer.place_point(xs[i], ys[i], names[i], other, dot_pt2=sizes.dot_pt2, required=False)
    if placer.missed:  # no free spot even far out: named in the tables, not on the map
        logger.warning("map labels: no room for %d underserved villages: %s",
                       len(placer.missed), ", ".join(placer.missed[:10]))  # fmt: skip
    return placer
