"""Paper outputs a steering group can read: names on the maps, every village in the table.

* the palette: colour-blind-safe ramp whose CIELAB lightness L* falls
  strictly from the nearest to the farthest class (so it reads in grey-scale
  print), also for simulated red–green colour blindness;
* the greedy label placer on a hand-made axes (exact: free spots, reserved
  boxes, leader lines);
* the print map and the Steckbrief of the Beispielkreis and of the real
  Göttingen data: every underserved village named, no two labels overlapping,
  every label inside the map frame and every text inside the page, the names
  extractable from the PDF, every village of a Gemeinde in its table with
  its minutes.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from pypdf import PdfReader
from shapely.geometry import Point

from erreichbarkeit.config import Settings
from erreichbarkeit.pipeline import run
from erreichbarkeit.report.labels import (
    Box,
    LabelPlacer,
    LabelStyle,
    overlaps,
    renderer_of,
    underserved_mask,
)
from erreichbarkeit.report.printmap import print_figure, render_results_map, results_map_options
from erreichbarkeit.report.steckbrief import gemeinden_of, steckbrief_pages, steckbrief_pdf
from erreichbarkeit.report.steckbrief_data import format_de, minutes_column, steckbrief_kpis
from erreichbarkeit.report.style import BIN_COLORS, UNREACHABLE_COLOR
from erreichbarkeit.results import Results

from .conftest import need_shared

# -- palette ------------------------------------------------------------------------------

#: Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
_CVD = {
    "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]]),
    "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]]),
}  # fmt: skip


def _linear(hex_color: str) -> np.ndarray[Any, Any]:
    c = np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lightness(linear_rgb: np.ndarray[Any, Any]) -> float:
    """CIELAB L* of a linear sRGB colour (D65)."""
    y = float(np.clip(linear_rgb, 0, 1) @ np.array([0.2126, 0.7152, 0.0722]))
    return 116 * y ** (1 / 3) - 16 if y > (6 / 29) ** 3 else y * (29 / 3) ** 3


def test_lightness_of_known_colours() -> None:
    assert _lightness(_linear("#ffffff")) == pytest.approx(100.0, abs=0.01)
    assert _lightness(_linear("#000000")) == pytest.approx(0.0, abs=0.01)
    assert _lightness(_linear("#777777")) == pytest.approx(50.0, abs=0.2)


@pytest.mark.parametrize("vision", ["normal", "protan", "deutan"])
def test_palette_darkens_steadily_from_near_to_far(vision: str) -> None:
    lin = [_linear(c) for c in (*BIN_COLORS, UNREACHABLE_COLOR)]
    if vision != "normal":
        lin = [_CVD[vision] @ c for c in lin]
    light = [_lightness(c) for c in lin]
    steps = np.diff(light[: len(BIN_COLORS)])
    assert (steps < 0).all(), light  # strictly darker class by class (grey-scale print)
    if vision == "normal":
        assert steps == pytest.approx(np.full(len(steps), -11.0), abs=1.0)  # even steps
    else:
        assert (steps < -3).all(), light  # still told apart without red–green vision
    assert light[-1] < light[len(BIN_COLORS) - 1] - 10  # „nicht erreichbar“ darkest of all


# -- the placer on a hand-made axes -------------------------------------------------------


def _axes() -> tuple[Figure, Any]:
    fig = Figure(figsize=(4, 4), dpi=72)  # 1 display pixel = 1 point
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 288)
    ax.set_ylim(0, 288)  # 1 data unit = 1 point
    return fig, ax


def test_underserved_mask() -> None:
    assert underserved_mask([3.0, 10.0, 10.5, math.nan], 10.0).tolist() == [
        False, False, True, True
    ]  # fmt: skip
    assert underserved_mask([3.0, 99.0, math.nan], None).tolist() == [False, False, True]


def test_first_free_spot_is_right_then_left() -> None:
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=0.0)
    style = LabelStyle(10.0, halo=0.0)
    assert placer.place_point(100, 100, "Au", style, dot_pt2=16.0, required=False)
    box = placer.label_boxes[0]
    assert box[0] == pytest.approx(100 + 2 + 1)  # right of the dot: radius 2 pt + 1 pt gap
    assert (box[1] + box[3]) / 2 == pytest.approx(100)
    # a second label at the same point cannot take the right: it goes left
    assert placer.place_point(100, 100, "Au", style, dot_pt2=16.0, required=False)
    second = placer.label_boxes[1]
    assert second[2] == pytest.approx(100 - 3)
    assert not overlaps(box, second)


def test_optional_labels_give_way_required_ones_move_out() -> None:
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=0.0, reserved=[(0.0, 0.0, 1.0, 0.3)])
    style = LabelStyle(10.0, halo=0.0)
    # the whole lower band is reserved: a point in it cannot be labelled
    assert not placer.place_point(144, 20, "Tal", style, dot_pt2=16.0, required=False)
    assert not placer.place_point(144, 20, "Tal", style, dot_pt2=16.0, required=True)
    assert placer.missed == ["Tal"]
    # a crowd of dots around a point: an optional label gives way, a required one is placed
    for dx, dy in itertools.product((-36, -24, -12, 0, 12, 24, 36), (-12, -6, 0, 6, 12)):
        if (dx, dy) != (0, 0):
            placer.add_dots([150 + dx], [200 + dy], 16.0)
    assert not placer.place_point(150, 200, "Mitte", style, dot_pt2=16.0, required=False)
    assert placer.place_point(150, 200, "Mitte", style, dot_pt2=16.0, required=True)
    assert len(placer.labels) == 1 and placer.labels[0].get_text() == "Mitte"


def test_labels_never_leave_the_frame() -> None:
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=2.0)
    style = LabelStyle(9.0)
    assert placer.place_point(286, 286, "Eckdorf", style, dot_pt2=16.0, required=True)
    x0, y0, x1, y1 = placer.label_boxes[0]
    assert x0 >= 2 and y0 >= 2 and x1 <= 286 and y1 <= 286
    assert x1 < 286  # it went left and below the dot in the corner


# -- geometry checks on real figures ------------------------------------------------------


def _boxes(texts: list[Text], renderer: Any) -> list[tuple[str, Box]]:
    out: list[tuple[str, Box]] = []
    for t in texts:
        if t.get_text().strip() and t.get_visible():
            b = t.get_window_extent(renderer)
            out.append((t.get_text(), (float(b.x0), float(b.y0), float(b.x1), float(b.y1))))
    return out


def _map_labels(ax: Any) -> list[Text]:
    """The label texts of a map (the white outlines beneath them left out)."""
    return [t for t in ax.texts if t.get_color() != "white" and t.get_text() != "N"]


def _check_figure(fig: Figure, ax: Any, names: set[str]) -> None:
    """No overlaps between labels, labels inside the map, every text on the page."""
    renderer = renderer_of(fig)
    labels = _boxes(_map_labels(ax), renderer) if ax is not None else []
    placed = {name for name, _ in labels}
    assert names <= placed, sorted(names - placed)
    for (n1, b1), (n2, b2) in itertools.combinations(labels, 2):
        assert not overlaps(b1, b2), (n1, n2)
    if ax is not None:
        frame = ax.get_window_extent(renderer)
        for name, (x0, y0, x1, y1) in labels:
            assert x0 >= frame.x0 and x1 <= frame.x1 and y0 >= frame.y0 and y1 <= frame.y1, name
    page_w, page_h = fig.bbox.width, fig.bbox.height
    for text, (x0, y0, x1, y1) in _boxes(list(fig.findobj(Text)), renderer):
        assert x0 >= 0.01 * page_w and x1 <= 0.99 * page_w, text
        assert y0 >= 0.0 and y1 <= page_h, text


def _underserved(results: Results, cat: str, mode: str, villages: Any, limit: float) -> set[str]:
    minutes = villages[minutes_column(villages, cat, mode, "0-3")].astype(float)
    return set(villages.loc[underserved_mask(minutes, limit), "name"].astype(str))


def _pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in pages))


def _check_print_map(results: Results, *, category: str, paper: str) -> None:
    options = results_map_options(results, category=category, mode="car", age_group="0-3")
    frame: gpd.GeoDataFrame = options["villages"]
    if "in_area" in frame:
        frame = frame[frame["in_area"].astype(bool)]
    limit = options["threshold"]
    beyond = set(frame.loc[underserved_mask(frame["minutes"], limit), "name"].astype(str))
    assert beyond, "no underserved village to check"
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        fig = print_figure(options.pop("villages"), paper=paper, **options)  # type: ignore[arg-type]
        fig.canvas.draw()
        _check_figure(fig, fig.axes[0], beyond)
    text = _pdf_text(render_results_map(results, category=category, mode="car", age_group="0-3",
                                        paper=paper))  # type: ignore[arg-type]  # fmt: skip
    for name in beyond:
        assert name in text, name


def _check_steckbrief(results: Results, ags: str | None, category: str) -> None:
    kpis = steckbrief_kpis(results, ags=ags, mode="car", age_group="0-3", categories=[category])
    limit = float(kpis["threshold"].iloc[0])
    v = results.villages
    if ags is not None:
        v = v[v["ags"].astype(str) == ags]
    elif "in_area" in v:
        v = v[v["in_area"].astype(bool)]
    beyond = _underserved(results, category, "car", v, limit)
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        pages = steckbrief_pages(results, ags=ags, mode="car", age_group="0-3",
                                 categories=[category])  # fmt: skip
        for i, page in enumerate(pages):
            page.canvas.draw()
            _check_figure(page, page.axes[0] if i == 0 else None, beyond if i == 0 else set())
    text = _pdf_text(steckbrief_pdf(results, ags=ags, mode="car", age_group="0-3",
                                    categories=[category]))  # fmt: skip
    col = minutes_column(v, category, "car", "0-3")
    for name, minutes, children in zip(v["name"], v[col], v["children_0_3"], strict=True):
        shown = format_de(float(minutes), 1) if math.isfinite(float(minutes)) else "—"
        # the table row: name, [Gemeinde,] children, the category's minutes
        row = re.escape(str(name)) + r" (?:\S+ ){0,4}?" + re.escape(format_de(float(children)))
        assert re.search(row + " " + re.escape(shown), text), (name, shown)


# -- the Beispielkreis ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:
    from erreichbarkeit.demo.beispielkreis import generate_demo

    tmp = tmp_path_factory.mktemp("paper")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(files.region, cache_dir=tmp / "cache", grid_cell_m=None,
                                  modes=("car", "walk"))  # fmt: skip
    return run(settings)


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_demo_print_map_names_every_underserved_village(demo: Results, paper: str) -> None:
    _check_print_map(demo, category="kita", paper=paper)


def test_demo_steckbrief_names_and_lists_every_village(demo: Results) -> None:
    gem = gemeinden_of(demo)
    _check_steckbrief(demo, str(gem["ags"].iloc[0]), "kita")
    _check_steckbrief(demo, None, "kita")  # the Kreis: every village of every Gemeinde


def test_demo_steckbrief_table_continues_on_further_pages(demo: Results) -> None:
    pages = steckbrief_pages(demo, ags=None, mode="car", age_group="0-3")
    assert len(pages) >= 2  # 58 villages do not fit below the map and the key figures
    numbers = [t.get_text() for p in pages for t in p.texts if t.get_text().startswith("Seite ")]
    assert numbers == [f"Seite {i} von {len(pages)}" for i in range(1, len(pages) + 1)]


# -- the real Göttingen data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def goettingen(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The Kreisjugendamt's area of the real Göttingen data, by car."""
    from erreichbarkeit.prepare import area_files
    from erreichbarkeit.prepare.areafile import read_area_file

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    parsed = read_area_file(area_files()["kreisjugendamt-goettingen"])
    assert parsed is not None
    tmp = tmp_path_factory.mktemp("paper-goe")
    settings = Settings(
        name="Landkreis Göttingen", network=gpkg, boundaries=gemeinden, offers=("osm",),
        modes=("car",), cache_dir=tmp / "cache", out_dir=tmp / "out", area=parsed.area,
    )  # fmt: skip
    return run(settings)


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_goettingen_print_map_labels(goettingen: Results, paper: str) -> None:
    _check_print_map(goettingen, category="kita", paper=paper)


@pytest.mark.shared_data
@pytest.mark.slow
def test_goettingen_steckbriefe_label_and_list_every_village(goettingen: Results) -> None:
    gem = gemeinden_of(goettingen)
    biggest = str(gem.sort_values("n_villages", ascending=False)["ags"].iloc[0])
    _check_steckbrief(goettingen, biggest, "kita")
    _check_steckbrief(goettingen, None, "kita")


def test_label_points_are_in_metres_on_the_map() -> None:
    """A tiny print map: the one village beyond the threshold is named, bold, right of its dot."""
    villages = gpd.GeoDataFrame(
        {"name": ["Nahdorf", "Ferndorf"], "minutes": [3.0, 25.0], "place": ["village"] * 2},
        geometry=[Point(9.90, 51.50), Point(9.95, 51.52)], crs="EPSG:4326",
    )  # fmt: skip
    fig = print_figure(villages, title="t", threshold=10.0)
    fig.canvas.draw()
    labels = {t.get_text(): t for t in _map_labels(fig.axes[0])}
    assert labels["Ferndorf"].get_fontweight() == "bold"
    assert labels["Nahdorf"].get_fontweight() == "normal"
    _check_figure(fig, fig.axes[0], {"Ferndorf"})
