"""Paper layout: texts inside the page margins, no colliding texts, labels clear of dots.

The print map (A4/A3 landscape) and the Steckbrief (A4 portrait) are read on
paper.  These tests measure the drawn figures with matplotlib's own text
extents (``get_window_extent``) and check geometric properties:

* every text, and every legend frame, lies inside the page margin
  (:data:`MARGIN_MM` from each edge — what an office printer prints);
* no two texts of a page overlap (table headings, cells, titles, footers,
  map labels), except a label and its own white outline;
* Gemeinde names on a map cover no village dot and no offer symbol;
* offer symbols are drawn above the village dots;
* no technical value (None, nan) is printed.

Hand-made cases (:func:`test_gemeinde_name_gives_way_to_dots` …) check the
helpers exactly; the Beispielkreis and (with the shared data) Göttingen
check whole pages.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.textpath import text_to_path
from shapely.geometry import Point, box

from erreichbarkeit.config import Settings
from erreichbarkeit.pipeline import run
from erreichbarkeit.report.labels import (
    LAYOUT_DPI,
    Box,
    LabelPlacer,
    LabelStyle,
    MapLabels,
    fit_width,
    label_map,
    overlaps,
    renderer_of,
    wrap_to_width,
)
from erreichbarkeit.report.mapplot import dot_handle, draw_legend, draw_table
from erreichbarkeit.report.printmap import print_figure, results_map_options
from erreichbarkeit.report.steckbrief import gemeinden_of, steckbrief_pages
from erreichbarkeit.report.steckbrief_villages import VillageTable, draw_village_rows
from erreichbarkeit.results import Results

from .conftest import need_shared

#: Distance every text keeps from the paper's edges (millimetres).
MARGIN_MM = 5.0
_MM_PER_INCH = 25.4
#: Texts that must never be printed (technical values).
_TECHNICAL = re.compile(r"\b(None|nan|NaN|NaT|inf|True|False)\b")
#: Area labels are grey italics (:mod:`erreichbarkeit.report.labels`).
_AREA_COLOR = "#6f6f6f"


# -- measuring a figure -------------------------------------------------------------------


def _extent(artist: Any, renderer: Any) -> Box:
    b = artist.get_window_extent(renderer)
    return float(b.x0), float(b.y0), float(b.x1), float(b.y1)


def _texts(fig: Figure) -> Iterator[Text]:
    """Every visible, non-empty text of the figure (legends and axes included)."""
    for t in fig.findobj(Text):
        if isinstance(t, Text) and t.get_visible() and t.get_text().strip():
            yield t


def _margin_box(fig: Figure) -> Box:
    m = MARGIN_MM / _MM_PER_INCH * fig.dpi
    return m, m, fig.bbox.width - m, fig.bbox.height - m


def outside_margin(fig: Figure) -> list[str]:
    """Texts and legends reaching beyond the page margin."""
    renderer = renderer_of(fig)
    x0, y0, x1, y1 = _margin_box(fig)
    bad = []
    frames = [leg.get_frame() for leg in fig.findobj(Legend) if leg.get_frame_on()]
    artists: list[Any] = [*_texts(fig), *frames]  # a legend without frame: its texts
    for a in artists:
        b = _extent(a, renderer)
        if b[0] < x0 - 0.5 or b[1] < y0 - 0.5 or b[2] > x1 + 0.5 or b[3] > y1 + 0.5:
            bad.append(a.get_text() if isinstance(a, Text) else "Legendenrahmen")
    return bad


def _own_outline(a: Text, b: Text) -> bool:
    """A map label and its white outline drawn at the same place."""
    return a.get_position() == b.get_position() and a.get_text() == b.get_text()


def colliding_texts(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of texts that overlap (more than 0.5 px, so touching cells do not count)."""
    renderer = renderer_of(fig)
    texts = list(_texts(fig))
    boxes = np.array([_extent(t, renderer) for t in texts]).reshape(-1, 4)
    shrunk = boxes + np.array([0.5, 0.5, -0.5, -0.5])
    bad: list[tuple[str, str]] = []
    for i in range(len(texts)):
        hit = (
            (shrunk[i, 0] < shrunk[:, 2]) & (shrunk[:, 0] < shrunk[i, 2])
            & (shrunk[i, 1] < shrunk[:, 3]) & (shrunk[:, 1] < shrunk[i, 3])
        )  # fmt: skip
        for j in np.flatnonzero(hit):
            if j > i and not _own_outline(texts[i], texts[int(j)]):
                bad.append((texts[i].get_text(), texts[int(j)].get_text()))
    return bad


def _count(c: PathCollection) -> int:
    return int(np.asarray(c.get_offsets()).shape[0])


def _marker_boxes(ax: Any, renderer: Any) -> tuple[np.ndarray[Any, Any], list[float]]:
    """Display boxes of every scatter marker of a map axes, and each collection's zorder."""
    boxes, zorders = [], []
    px = ax.figure.dpi / 72.0
    for c in ax.collections:
        if not isinstance(c, PathCollection) or not _count(c):
            continue
        xy = c.get_offset_transform().transform(c.get_offsets())
        sizes = np.resize(np.asarray(c.get_sizes(), dtype=float), len(xy))
        r = np.sqrt(sizes) / 2.0 * px
        boxes.append(np.column_stack([xy[:, 0] - r, xy[:, 1] - r, xy[:, 0] + r, xy[:, 1] + r]))
        zorders.extend([c.get_zorder()] * len(xy))
    return (np.vstack(boxes) if boxes else np.empty((0, 4))), zorders


def area_labels_on_dots(ax: Any) -> list[str]:
    """Gemeinde names (grey italics) that cover a village dot or an offer symbol."""
    renderer = renderer_of(ax.figure)
    dots, _ = _marker_boxes(ax, renderer)
    bad = []
    for t in ax.texts:
        if t.get_style() != "italic" or t.get_color() != _AREA_COLOR:
            continue
        b = _extent(t, renderer)
        hit = (dots[:, 0] < b[2]) & (b[0] < dots[:, 2]) & (dots[:, 1] < b[3]) & (b[1] < dots[:, 3])
        if hit.any():
            bad.append(t.get_text())
    return bad


def technical_values(fig: Figure) -> list[str]:
    return [t.get_text() for t in _texts(fig) if _TECHNICAL.search(t.get_text())]


def layout_problems(fig: Figure) -> dict[str, list[Any]]:
    """Every layout problem of a page, by kind (empty lists: none)."""
    renderer_of(fig)
    fig.canvas.draw()
    problems: dict[str, list[Any]] = {
        "outside_margin": outside_margin(fig),
        "colliding": colliding_texts(fig),
        "technical": technical_values(fig),
        "area_labels_on_dots": [n for ax in fig.axes for n in area_labels_on_dots(ax)],
    }
    return {k: v for k, v in problems.items() if v}


# -- hand-made cases ----------------------------------------------------------------------


def _axes() -> tuple[Figure, Any]:
    fig = Figure(figsize=(4, 4), dpi=72)  # 1 display pixel = 1 point
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 288)
    ax.set_ylim(0, 288)  # 1 data unit = 1 point
    return fig, ax


def test_gemeinde_name_gives_way_to_dots() -> None:
    """A Gemeinde name at its point would cover the dot and offer there: it moves off them."""
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=0.0)
    placer.add_dots([144], [144], 16.0)  # a village dot at the Gemeinde's point
    placer.add_dots([150], [140], 16.0)  # an offer beside it
    style = LabelStyle(10.0, style="italic", halo=0.0)
    assert placer.place_area(144, 144, "Erlach", style, zorder=6.5)
    label = placer.label_boxes[0]
    for dot in ((142, 142, 146, 146), (148, 138, 152, 142)):
        assert not overlaps(label, dot), (label, dot)
    # the first free spot: one label height (1.2 h) above the point, centred
    height = label[3] - label[1]
    assert (label[1] + label[3]) / 2 == pytest.approx(144 + 1.2 * height)
    assert (label[0] + label[2]) / 2 == pytest.approx(144)


def test_gemeinde_names_do_not_collide() -> None:
    """Two Gemeinden with nearby points: the second name shifts clear of the first."""
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=0.0)
    style = LabelStyle(10.0, style="italic", halo=0.0)
    assert placer.place_area(144, 144, "Oberdorf", style, zorder=6.5)
    assert placer.place_area(150, 146, "Unterdorf", style, zorder=6.5)
    a, b = placer.label_boxes
    assert not overlaps(a, b)


def test_gemeinde_name_left_out_when_crowded() -> None:
    """Dots all around: no spot is free, the name is left out rather than drawn over them."""
    _fig, ax = _axes()
    placer = LabelPlacer(ax, margin_pt=0.0)
    xs, ys = np.meshgrid(np.arange(0, 289, 8), np.arange(0, 289, 8))
    placer.add_dots(xs.ravel(), ys.ravel(), 16.0)
    assert not placer.place_area(144, 144, "Mitte", LabelStyle(10.0), zorder=6.5)
    assert placer.labels == []


def _page(width_mm: float = 210.0, height_mm: float = 297.0) -> Figure:
    fig = Figure(figsize=(width_mm / _MM_PER_INCH, height_mm / _MM_PER_INCH), dpi=72)
    renderer_of(fig)
    return fig


def test_fit_width_shrinks_then_cuts() -> None:
    fig = _page()
    renderer = renderer_of(fig)
    width = 0.10  # 59.5 pt
    t = fig.text(0.1, 0.5, "Schwangerschaftsberatung", fontsize=7.2, fontweight="bold")
    fit_width(t, width, smallest=5.5)
    assert t.get_window_extent(renderer).width <= width * fig.bbox.width
    assert t.get_fontsize() == pytest.approx(5.5)  # as small as allowed, then cut
    assert t.get_text().endswith("…") and t.get_text().startswith("Schwanger")
    short = fig.text(0.1, 0.4, "12,5", fontsize=7.2)
    fit_width(short, width)
    assert (short.get_text(), short.get_fontsize()) == ("12,5", 7.2)  # untouched


def test_wrap_to_width_breaks_at_spaces_inside_the_width() -> None:
    fig = _page()
    renderer = renderer_of(fig)
    words = "Quellen: © OpenStreetMap-Mitwirkende · © GeoBasis-DE / BKG · Stand 05.12.2026"
    t = fig.text(0.1, 0.5, words, fontsize=10)
    wrap_to_width(t, 0.30)
    lines = t.get_text().split("\n")
    assert len(lines) >= 2 and " ".join(lines) == words
    assert t.get_window_extent(renderer).width <= 0.30 * fig.bbox.width


def test_village_table_headings_stay_in_their_columns() -> None:
    """Eight minute columns with long category names: no heading runs into its neighbour."""
    fig = _page()
    cats = ["Kita", "Familienzentrum", "Hebamme", "Kinderarzt", "Beratungsstelle",
            "Schwangerschaftsberatung", "Erziehungsberatung", "Kindertagespflege"]  # fmt: skip
    widths = [0.20, 0.17, 0.07, *[0.56 / 8] * 8]
    table = VillageTable(
        header=[("Ort", ""), ("Gemeinde", ""), ("Kinder", "0–3"), *[(c, "Auto") for c in cats]],
        rows=[["Niederherbstedt", "Beispielstadt", "1.234", *["12,5"] * 8]],
        red=[[False] * 11], widths=widths, align=["left", "left", *["right"] * 9],
    )  # fmt: skip
    draw_village_rows(fig, table, start=0, top=0.5, bottom=0.1, title="Alle Orte", legend="…")
    assert colliding_texts(fig) == []
    renderer = renderer_of(fig)
    left = 0.06 * fig.bbox.width
    edges = left + 0.90 * fig.bbox.width * np.concatenate([[0.0], np.cumsum(widths)])
    for t in fig.texts[2:]:  # the cells: each inside its column
        x0, _, x1, _ = _extent(t, renderer)
        col = int(np.searchsorted(edges, (x0 + x1) / 2)) - 1
        assert edges[col] <= x0 and x1 <= edges[col + 1], t.get_text()


def test_key_figure_table_headings_do_not_touch() -> None:
    """The Bus & Bahn key figures: seven columns, „Kinder innerhalb“ beside „Kinder außerhalb“."""
    fig = _page()
    header = ["Angebot", "Abfahrt", "Schwelle", "Kinder innerhalb", "Kinder außerhalb",
              "Orte unterversorgt", "Median", "Faktor zum Auto"]  # fmt: skip
    row = ["Kita", "06:30–08:00", "20 min", "1.229", "542", "33 von 58", "6,0 min", "1,8"]
    draw_table(fig, 0.5, header, [row], [0.15, 0.095, 0.085, 0.14, 0.14, 0.165, 0.085, 0.14],
               align=["left", "left", *["right"] * 6], title="Kennzahlen")  # fmt: skip
    renderer = renderer_of(fig)
    heads = [_extent(t, renderer) for t in fig.texts[1 : 1 + len(header)]]  # after the title
    assert [t.get_text() for t in fig.texts[1:4]] == header[:3]
    gaps = [b[0] - a[2] for a, b in itertools.pairwise(heads)]
    assert min(gaps) >= 2.0, gaps  # at least 2 pt between neighbouring headings


def test_legend_labels_wrap_inside_their_column() -> None:
    """A long category label in a narrow legend column is broken, not run off the page."""
    fig = _page()
    ax = fig.add_axes((0.70, 0.60, 0.27, 0.32))
    handles = [dot_handle("#e6550d", marker="D", edge="white", marker_size=8, edge_width=0.7)]
    leg = draw_legend(ax, handles, ["Angebot: Schwangerschaftsberatung und Familienplanung"],
                      title="Karte: Minuten zur nächsten Schwangerschaftsberatung (Auto)",
                      wrap=28, fontsize=8, title_fontsize=8.5)  # fmt: skip
    fig.canvas.draw()
    renderer = renderer_of(fig)
    right = ax.get_window_extent(renderer).x1
    assert _extent(leg, renderer)[2] <= right + 0.5
    assert "\n" in leg.get_texts()[0].get_text()
    assert outside_margin(fig) == []


def test_print_map_footer_keeps_the_margin_on_a3() -> None:
    """A long sources line on A3: wrapped by measure, above the bottom margin, inside the page."""
    villages = gpd.GeoDataFrame(
        {"name": ["Nahdorf", "Ferndorf"], "minutes": [3.0, 25.0], "place": ["village"] * 2},
        geometry=[Point(9.90, 51.50), Point(9.95, 51.52)], crs="EPSG:4326",
    )  # fmt: skip
    sources = " · ".join(f"Quelle {i}: fiktive Daten (frei verwendbar)" for i in range(8))
    for paper in ("A4", "A3"):
        fig = print_figure(
            villages,
            title="Kita",
            sources=sources,
            paper=paper,
            threshold=10.0,
            notes=["Kinder 0–3 Jahre, Landkreis Göttingen: 1.229 von 1.771"],
        )
        fig.canvas.draw()
        assert outside_margin(fig) == [], paper
        assert colliding_texts(fig) == [], paper


# -- whole pages --------------------------------------------------------------------------


def _offers_above_villages(ax: Any) -> bool:
    """Every offer diamond collection lies above every village dot collection."""
    dots = [
        c.get_zorder()
        for c in ax.collections
        if isinstance(c, PathCollection) and _marker(c) == "o" and _count(c)
    ]
    offers = [
        c.get_zorder()
        for c in ax.collections
        if isinstance(c, PathCollection) and _marker(c) == "D" and _count(c)
    ]
    return bool(dots) and bool(offers) and min(offers) > max(dots)  # fmt: skip


def _marker(c: PathCollection) -> str:
    """``"D"`` for diamonds (corners on the axes), ``"o"`` for circles, else ``""``."""
    verts = np.asarray(c.get_paths()[0].vertices)
    if verts.shape[0] > 6:
        return "o"
    return "D" if bool(np.any(np.isclose(verts[:, 0], 0.0) & ~np.isclose(verts[:, 1], 0.0))) else ""


def _check_pages(pages: list[Figure], name: str) -> None:
    for i, page in enumerate(pages, start=1):
        page.canvas.draw()
        assert layout_problems(page) == {}, f"{name}, Seite {i}"


def _check_results(results: Results, *, modes: tuple[str, ...], gemeinden: int) -> None:
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        for mode, paper in itertools.product(modes, ("A4", "A3")):
            options = results_map_options(results, category="kita", mode=mode, age_group="0-3")
            fig = print_figure(options.pop("villages"), paper=paper, **options)  # type: ignore[arg-type]
            _check_pages([fig], f"Druckkarte {paper} {mode}")
            assert _offers_above_villages(fig.axes[0]), (paper, mode)
        table = gemeinden_of(results).sort_values("n_villages", ascending=False)
        for mode, ags in itertools.product(modes, [None, *table["ags"].astype(str)[:gemeinden]]):
            pages = steckbrief_pages(results, ags=ags, mode=mode, age_group="0-3")
            _check_pages(pages, f"Steckbrief {ags or 'Kreis'} {mode}")
            assert _offers_above_villages(pages[0].axes[0]), (ags, mode)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The Beispielkreis by car and Bus & Bahn (the Steckbrief compares both)."""
    from erreichbarkeit.demo.beispielkreis import generate_demo

    tmp = tmp_path_factory.mktemp("layout")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(files.region, cache_dir=tmp / "cache", grid_cell_m=None,
                                  modes=("car", "pt"))  # fmt: skip
    return run(settings)


def test_demo_pages_keep_margins_and_do_not_collide(demo: Results) -> None:
    """Print maps A4/A3 and the Steckbriefe (Kreis, two Gemeinden) by car and Bus & Bahn."""
    _check_results(demo, modes=("car", "pt"), gemeinden=2)


@pytest.fixture(scope="module")
def goettingen(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The Kreisjugendamt's area of the real Göttingen data, by car."""
    from erreichbarkeit.prepare import area_files
    from erreichbarkeit.prepare.areafile import read_area_file

    gpkg = need_shared("osm-goettingen-omt/goettingen_omt_z16_derived.gpkg")
    gemeinden = need_shared("gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg")
    parsed = read_area_file(area_files()["kreisjugendamt-goettingen"])
    assert parsed is not None
    tmp = tmp_path_factory.mktemp("layout-goe")
    settings = Settings(
        name="Landkreis Göttingen", network=gpkg, boundaries=gemeinden, offers=("osm",),
        modes=("car",), cache_dir=tmp / "cache", out_dir=tmp / "out", area=parsed.area,
    )  # fmt: skip
    return run(settings)


@pytest.mark.shared_data
@pytest.mark.slow
def test_goettingen_pages_keep_margins_and_do_not_collide(goettingen: Results) -> None:
    """The real data: many Gemeinden, long names, dense offers around the city."""
    _check_results(goettingen, modes=("car",), gemeinden=3)


def test_demo_offices_box_is_broken_not_cut(demo: Results) -> None:
    """„Wege zu den zuständigen Stellen“: a long line goes on a second line, not into „…“;
    on the Bus & Bahn page (the tallest legend: with roads) every office is still listed."""
    from erreichbarkeit.report.basemap import cached_road_lines

    roads = cached_road_lines(demo.inputs.network_osm, demo.settings.cache_dir)
    for mode in ("car", "pt"):
        page = steckbrief_pages(demo, ags=None, mode=mode, age_group="0-3", roads=roads)[0]
        page.canvas.draw()
        text = " ".join(t.get_text().replace("\n", " ") for t in page.texts)
        assert "Wege zu den zuständigen Stellen" in text
        for office in ("Grundschule:", "Kreisverwaltung:", "Rathaus:"):
            assert office in text, (mode, office)
        assert outside_margin(page) == [] and colliding_texts(page) == [], mode
    car = steckbrief_pages(demo, ags=None, mode="car", age_group="0-3")[0]
    text = " ".join(t.get_text().replace("\n", " ") for t in car.texts)
    assert "Bus & Bahn jenseits der Berechnungsgrenze" in text  # the Kreisverwaltung by bus
    assert re.search(r"Umweg \d+,\d min", text)


def test_town_is_named_before_the_gemeinde_named_after_it() -> None:
    """Only the spot above the town is free: the town's name takes it, not the Gemeinde's."""
    _fig, ax = _axes()
    ax.set_aspect("equal")
    villages = gpd.GeoDataFrame(
        {"name": ["Beispielstadt", "Ost", "West", "Süd"], "minutes": [2.0, 3.0, 3.0, 3.0],
         "place": ["town", "hamlet", "hamlet", "hamlet"]},
        geometry=[Point(144, 144), Point(196, 144), Point(92, 144), Point(144, 128)],
    )  # fmt: skip
    areas = gpd.GeoDataFrame({"gemeinde": ["Beispielstadt"]}, geometry=[box(0, 0, 288, 288)])
    assert areas.geometry.representative_point().iloc[0].distance(Point(144, 144)) < 1.0
    placer = label_map(ax, villages, threshold=10.0, areas=areas,
                       sizes=MapLabels(village_pt=7.0, town_pt=8.5, area_pt=7.5, dot_pt2=42,
                                       offer_pt2=44, halo=0.0))  # fmt: skip
    placed = [t.get_text() for t in placer.labels]
    assert placed[0] == "Beispielstadt" and placer.labels[0].get_fontweight() == "bold"
    town = placer.label_boxes[0]
    assert town[1] > 144  # above its dot


def test_paper_is_measured_as_the_pdf_prints_it() -> None:
    """At :data:`LAYOUT_DPI` a measured line is at least as wide as its printed glyphs."""
    line = ("Quellen: fiktive Daten, erzeugt von erreichbarkeit.demo.beispielkreis (frei "
            "verwendbar) · Fahrplan der Beispielkreis Verkehrsgesellschaft (fiktiv)")  # fmt: skip
    fig = Figure(figsize=(11.69, 8.27), dpi=LAYOUT_DPI)
    with mpl.rc_context({"font.family": "DejaVu Sans"}):
        t = fig.text(0.0, 0.5, line, fontsize=7.5)
        measured_pt = t.get_window_extent(renderer_of(fig)).width * 72.0 / fig.dpi
        printed_pt = text_to_path.get_text_width_height_descent(
            line, t.get_fontproperties().copy(), ismath=False
        )[0]  # the unhinted advance widths the PDF draws with
    assert measured_pt >= printed_pt
    villages = gpd.GeoDataFrame({"name": ["A"], "minutes": [1.0]}, geometry=[Point(9.9, 51.5)],
                                crs="EPSG:4326")  # fmt: skip
    assert print_figure(villages, title="t").dpi == LAYOUT_DPI
