"""Tests of the static print map (PDF/PNG, A4/A3 landscape)."""

from __future__ import annotations

import io
import math
import re
import struct
from datetime import date

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from erreichbarkeit.config import load_categories
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.report import mapplot, printmap

CREATED = date(2026, 2, 1)
SOURCES = (
    {
        "Quelle": "© OpenStreetMap-Mitwirkende",
        "Lizenz": "ODbL 1.0",
        "Stand": "OSM-Daten vom 01.05.2025",
    },
    {
        "Quelle": "© GeoBasis-DE / BKG (VG250)",
        "Lizenz": "dl-de/by-2-0",
        "Stand": "Datei vom 3.1.2025",
    },
    {"Quelle": "Angabe der Nutzer", "Lizenz": "", "Stand": ""},
    {"Quelle": "© OpenStreetMap-Mitwirkende", "Lizenz": "ODbL 1.0", "Stand": ""},
)


@pytest.fixture(scope="module")
def inputs() -> dict[str, gpd.GeoDataFrame]:
    villages = gpd.GeoDataFrame(
        {
            "id": ["v1", "v2", "v3"],
            "name": ["Oberdorf", "Unterdorf", "Einödhof"],
            "minutes": [3.0, 12.0, math.nan],
            "place": ["town", "village", "hamlet"],
        },
        geometry=[Point(9.90, 51.50), Point(9.95, 51.52), Point(10.00, 51.48)],
        crs="EPSG:4326",
    )
    offers = gpd.GeoDataFrame(
        {"id": ["o1"], "name": ["Kita Sonnenschein"], "category": ["kita"]},
        geometry=[Point(9.91, 51.50)],
        crs="EPSG:4326",
    )
    boundaries = gpd.GeoDataFrame(
        {"ags": ["03159001", "03159002"], "gemeinde": ["Westheim", "Osthausen"]},
        geometry=[box(9.85, 51.45, 9.95, 51.55), box(9.95, 51.45, 10.05, 51.55)],
        crs="EPSG:4326",
    )
    roads = gpd.GeoDataFrame(
        {"road_class": ["minor", "primary"]},
        geometry=[
            LineString([(9.9, 51.5), (9.95, 51.52)]),
            LineString([(9.86, 51.46), (10.0, 51.54)]),
        ],
        crs="EPSG:4326",
    )
    return {"villages": villages, "offers": offers, "boundaries": boundaries, "roads": roads}


def _render(inputs: dict[str, gpd.GeoDataFrame], **kw: object) -> bytes:
    return printmap.render_print_map(
        inputs["villages"],
        title="Kita: Erreichbarkeit in Testkreis",
        subtitle="Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 10 min",
        offers=inputs["offers"],
        boundaries=inputs["boundaries"],
        roads=inputs["roads"],
        categories=load_categories(),
        legend_title="Minuten zur nächsten Kita (Auto)",
        sources=printmap.source_line(SOURCES),
        notes=["unterversorgte Orte: 1"],
        created=CREATED,
        **kw,  # type: ignore[arg-type]
    )


def _media_box(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert match, "no MediaBox"
    return float(match.group(1)), float(match.group(2))


def test_source_line_names_each_source_once() -> None:
    assert printmap.source_line(SOURCES) == (
        "Quellen: © OpenStreetMap-Mitwirkende (ODbL 1.0, OSM-Daten vom 01.05.2025) · "
        "© GeoBasis-DE / BKG (VG250) (dl-de/by-2-0) · eigene Angaben"
    )
    assert printmap.source_line(()) == ""


@pytest.mark.parametrize(
    ("paper", "width_pt", "height_pt"), [("A4", 841.89, 595.28), ("A3", 1190.55, 841.89)]
)
def test_pdf_page_is_landscape_paper(inputs, paper: str, width_pt: float, height_pt: float) -> None:  # type: ignore[no-untyped-def]
    pdf = _render(inputs, paper=paper, fmt="pdf")
    assert pdf.startswith(b"%PDF")
    w, h = _media_box(pdf)
    assert w == pytest.approx(width_pt, abs=0.05)
    assert h == pytest.approx(height_pt, abs=0.05)


def test_pdf_text_has_title_legend_sources_and_date(inputs) -> None:  # type: ignore[no-untyped-def]
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(_render(inputs, paper="A4", fmt="pdf")))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "Kita: Erreichbarkeit in Testkreis",
        "Schwellenwert 10 min",
        "Minuten zur nächsten Kita",
        "≤ 5 min",
        "> 30 min",
        "nicht erreichbar",
        "Angebot: Kita",
        "Gemeindegrenzen",
        "unterversorgte Orte: 1",
        "OpenStreetMap-Mitwirkende",
        "Stand der Auswertung: 01.02.2026",
        "Übersicht",
    ):
        assert expected in text, expected
    assert reader.metadata.title == "Kita: Erreichbarkeit in Testkreis"
    # the place names are text (their white halo is a separate outline), so a
    # reader can search the PDF for a village; the unreachable one is always named
    assert "Einödhof" in text
    assert re.search(r"\b\d+ k?m\b", text)  # the scale bar


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize(
    ("paper", "dpi", "size"), [("A4", 100, (1169, 826)), ("A3", 50, (826, 584))]
)
def test_png_size_matches_paper(inputs, paper: str, dpi: int, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    w, h = _png_size(_render(inputs, paper=paper, fmt="png", dpi=dpi))
    assert (w, h) == size  # mm / 25.4 × dpi, rounded down
    assert w / h == pytest.approx(math.sqrt(2), rel=0.01)


def test_extent_zooms_the_map_and_the_inset_keeps_everything(inputs) -> None:  # type: ignore[no-untyped-def]
    fig = printmap.print_figure(
        inputs["villages"],
        title="t",
        boundaries=inputs["boundaries"],
        extent=(9.88, 51.49, 9.94, 51.51),
        created=CREATED,
    )
    main, _legend, overview = fig.axes
    x0, x1 = main.get_xlim()
    ox0, ox1 = overview.get_xlim()
    assert x1 - x0 < 0.75 * (ox1 - ox0)  # the main map shows a part …
    frame = [
        p
        for p in overview.patches
        if p.get_edgecolor()[:3] == pytest.approx((0.843, 0.188, 0.122), abs=0.01)
    ]
    assert len(frame) == 1  # … marked in the overview
    assert frame[0].get_x() == pytest.approx(x0)


def test_fit_extent_grows_to_the_frame_aspect() -> None:
    assert mapplot.fit_extent((0, 0, 1000, 1000), 2.0, margin=0.0) == (-500, 0, 1500, 1000)
    assert mapplot.fit_extent((0, 0, 4000, 1000), 2.0, margin=0.0) == (0, -500, 4000, 1500)


def test_unknown_paper_or_format_is_a_config_error(inputs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="paper"):
        printmap.render_print_map(inputs["villages"], title="t", paper="A5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="format"):
        printmap.render_print_map(inputs["villages"], title="t", fmt="svg")  # type: ignore[arg-type]
