"""Bus & Bahn layers of the web map: stops, lines, village popups, factor colours.

Small hand-made tables only (no run, no timetable worker): what the builder
puts into the HTML is checked directly.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from erreichbarkeit import webmap
from erreichbarkeit.webmap import transit

_BAD = re.compile(r"\b(None|nan|NaN|<NA>)\b")


def _stops() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feed": [0, 0, 0],
            "stop_id": ["a", "b", "c"],
            "stop_name": ["Wolfstedt, Ortsmitte", "Ellroth <Schule>", None],
            "lon": [9.0, 9.1, 9.2],
            "lat": [51.0, 51.1, math.nan],
            "departures": [12, 1, 0],
        }
    )


def _lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "feed": [0, 0],
            "route_id": ["501", "520"],
            "name": ["501", "520"],
            "route_type": [3, 715],
            "on_demand": [False, True],
            "trips": [19, 10],
        },
        geometry=[
            LineString([(9.0, 51.0), (9.1, 51.1)]),
            MultiLineString([[(9.1, 51.1), (9.2, 51.0)], [(9.2, 51.0), (9.3, 51.05)]]),
        ],
        crs="EPSG:4326",
    )


def _villages(*, factor: list[float]) -> gpd.GeoDataFrame:
    n = len(factor)
    base: dict[str, Any] = {
        "id": [f"v{i}" for i in range(n)],
        "name": [f"Ort {i}" for i in range(n)],
        "gemeinde": ["Wolftal"] * n,
        "minutes": [28.14, 7.9, math.nan, 65.0, 12.0][:n],
        "km": [math.nan] * n,
        "nearest": ["Kita A", "Kita B", None, "Kita C", "Kita D"][:n],
        "children": [12.0, 3.0, 5.0, 1.0, 0.0][:n],
        "reason": [""] * n,
        "pt_best": [14.1, 7.9, math.nan, 21.3, 12.0][:n],
        "pt_departures": [3, 0, 0, 1, 4][:n],
        "pt_transfers": [0, -1, -1, 2, 0][:n],
        "pt_walk_only": [False, True, False, False, False][:n],
        "pt_factor": factor,
        "pt_status": [
            "Faktor über 2 (Bus & Bahn gegenüber Auto)",
            "nur zu Fuß erreichbar",
            transit.NO_PT_TEXT,
            "Faktor über 2 (Bus & Bahn gegenüber Auto)",
            "",
        ][:n],
        "pt_window": "13:30–16:30",
        "pt_afternoon": True,
        "pt_home_at": ["17:46", "15:10", "", "", "16:02"][:n],
        "pt_home_limit": "19:00",
    }
    return gpd.GeoDataFrame(
        base, geometry=[Point(9.0 + i / 100, 51.0) for i in range(n)], crs="EPSG:4326"
    )


def _layers() -> webmap.TransitLayers:
    return webmap.TransitLayers(
        stops=webmap.stop_rows(_stops(), "06:30–08:00"),
        lines=webmap.line_rows(_lines()),
        note="Abfahrt 06:30–08:00, Stichtag Di 10.03.2026",
    )


def _all_rows(page: str) -> list[list[Any]]:
    return [json.loads(m.group(1)) for m in re.finditer(r"var rows = (\[.*?\]);\n", page)]


def test_stop_rows_german_departures() -> None:
    rows = webmap.stop_rows(_stops(), "06:30–08:00")
    assert len(rows) == 2  # the stop without coordinates is left out
    assert rows[0][:2] == [51.0, 9.0]
    assert rows[0][3] == "<b>Wolfstedt, Ortsmitte</b><br>12 Abfahrten 06:30–08:00"
    assert rows[1][3] == "<b>Ellroth &lt;Schule&gt;</b><br>1 Abfahrt 06:30–08:00"
    assert transit.departures_text(0, "06:30–08:00") == "keine Abfahrt 06:30–08:00"
    assert transit.departures_text(1234, "x") == "1.234 Abfahrten x"


def test_line_rows_mark_on_demand_lines() -> None:
    rows = webmap.line_rows(_lines())
    assert [r[1] for r in rows] == [0, 1]
    assert rows[0][0] == [[[51.0, 9.0], [51.1, 9.1]]]
    assert len(rows[1][0]) == 2  # both parts of the multi-line
    assert rows[1][2] == "Linie 520 – Rufbus/AST (auf Bestellung)"
    assert "19 Fahrten am Stichtag" in rows[0][3]
    assert "Rufbus/AST" not in rows[0][3]


def test_map_html_has_stops_lines_dashed_on_demand_and_works_offline() -> None:
    m = webmap.build_map(_villages(factor=[2.3, 3.8, math.nan]), transit=_layers())
    page = webmap.map_html(m)
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "Haltestellen" in page
    assert "Linien (Bus \\u0026 Bahn)" in page or "Linien (Bus & Bahn)" in page
    assert "dashArray: r[1] === 1 ? dash : null" in page
    assert '"6 6"' in page  # the dash pattern of on-demand lines
    rows = _all_rows(page)
    lines = next(r for r in rows if r and isinstance(r[0][0], list))
    assert [r[1] for r in lines] == [0, 1]
    stops = next(r for r in rows if r and len(r[0]) == 4 and "Abfahrt" in str(r[0][3]))
    assert stops[0][3].endswith("12 Abfahrten 06:30–08:00")
    # the legend explains stops, lines and on-demand lines, with the window
    assert "Haltestelle" in page
    assert "Rufbus/AST (auf Bestellung)" in page
    assert "Abfahrt 06:30–08:00, Stichtag Di 10.03.2026" in page


def test_village_popups_in_pt_mode_are_german() -> None:
    rows = webmap.village_rows(_villages(factor=[2.34, 3.8, math.nan]))
    text = " ".join(str(r[4]) + " " + str(r[5]) for r in rows)
    assert not _BAD.search(text)
    first = rows[0][5]
    assert "Median 28,1 min" in first
    assert "schnellste Fahrt: 14,1 min" in first
    assert "3 Abfahrten im Zeitfenster" in first
    assert "ohne Umstieg" in first
    assert "2,3 × so lange wie mit dem Auto" in first
    assert "zurück zu Hause um 17:46" in first
    assert "Abfahrt 13:30–16:30" in first
    assert rows[0][4] == "Ort 0 – Median 28,1 min, 3 Abfahrten"
    walk = rows[1][5]
    assert "7,9 min zu Fuß" in walk and "nur zu Fuß erreichbar" in walk
    none = rows[2]
    assert none[4] == f"Ort 2 – {transit.NO_PT_TEXT}"
    assert transit.NO_PT_TEXT in none[5]
    assert "Abfahrten" not in none[5] and " 0 " not in none[5]


def test_no_way_home_reads_kein_rueckweg() -> None:
    rows = webmap.village_rows(_villages(factor=[2.0, 1.0, math.nan, 4.0]))
    assert "kein Rückweg bis 19:00" in rows[3][5]
    assert "Umstiege: 2" in rows[3][5]
    assert "1 Abfahrt im Zeitfenster" in rows[3][5]


def test_classify_factor_edges() -> None:
    got = transit.classify_factor([0.5, 1.5, 1.51, 2.0, 2.5, 3.0, 3.01, math.nan])
    assert got.tolist() == [0, 0, 1, 1, 2, 2, 3, 4]
    assert len(webmap.FACTOR_COLORS) == len(webmap.FACTOR_LABELS) == 5


def test_factor_colouring_uses_factor_classes_and_legend() -> None:
    villages = _villages(factor=[1.2, 1.8, math.nan, 2.5, 3.5])
    page = webmap.map_html(webmap.build_map(villages, color_by="factor", transit=_layers()))
    rows = next(r for r in _all_rows(page) if r and len(r[0]) == 6)
    assert [r[2] for r in rows] == [0, 1, 4, 2, 3]
    assert json.dumps(list(webmap.FACTOR_COLORS)).replace(" ", "") in page.replace(" ", "")
    for label in webmap.FACTOR_LABELS:
        assert html.escape(label) in page  # the legend's HTML is escaped
    assert "nicht erreichbar" not in page  # the minute classes are replaced
    with pytest.raises(ValueError, match="color_by"):
        webmap.build_map(villages, color_by="farbe")


def test_road_modes_keep_the_old_popup() -> None:
    villages = _villages(factor=[2.0, 1.0]).drop(
        columns=[c for c in _villages(factor=[2.0, 1.0]).columns if c.startswith("pt_")]
    )
    villages["km"] = [12.5, 3.0]
    rows = webmap.village_rows(villages)
    assert rows[0][4] == "Ort 0"
    assert "Nächstes Angebot: Kita A – 28,1 min, 12,5 km" in rows[0][5]
    assert "Bus" not in rows[0][5]
    assert np.array_equal([r[2] for r in rows], [4, 1])
