"""Bus & Bahn on the web map: stops, lines, village popups and the car-factor classes.

Everything here works offline: the stops and lines are JSON rows drawn with
a few lines of Leaflet code (no plugin, no CDN), like the other layers of
:mod:`erreichbarkeit.webmap.layers`.

* :class:`StopLayer` — small circle markers, popup „12 Abfahrten 06:30–08:00“;
* :class:`LineLayer` — the lines of the timetable; on-demand lines
  (Rufbus/AST) dashed and labelled „Rufbus/AST (auf Bestellung)“;
* :func:`stop_rows`, :func:`line_rows` — their rows from
  :func:`erreichbarkeit.io.gtfs.stop_departures` and
  :func:`erreichbarkeit.io.gtfs.route_lines`;
* :func:`pt_popup_lines`, :func:`pt_tooltip` — the Bus & Bahn part of a
  village's popup and tooltip (German numbers, never „nan“ or „None“);
* :func:`classify_factor` and :data:`FACTOR_COLORS` — the villages coloured
  by Bus & Bahn minutes ÷ car minutes (colour-blind safe, Okabe–Ito).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Template

from erreichbarkeit.webmap._base import DataLayer, js_json

__all__ = [
    "FACTOR_COLORS",
    "FACTOR_EDGES",
    "FACTOR_LABELS",
    "LINE_COLOR",
    "NO_PT_TEXT",
    "ON_DEMAND_LABEL",
    "LineLayer",
    "StopLayer",
    "TransitLayers",
    "classify_factor",
    "line_rows",
    "pt_popup_lines",
    "pt_tooltip",
    "stop_rows",
    "transit_legend_rows",
]

#: Upper edges of the car-factor classes (≤ 1,5, 1,5–2, 2–3, > 3).
FACTOR_EDGES: tuple[float, ...] = (1.5, 2.0, 3.0)
#: Colours of the factor classes and, last, of villages without Bus & Bahn
#: (Okabe–Ito: distinguishable with the common colour-vision deficiencies).
FACTOR_COLORS: tuple[str, ...] = ("#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#000000")
#: Legend labels of :data:`FACTOR_COLORS`.
FACTOR_LABELS: tuple[str, ...] = (
    "≤ 1,5 × Auto",
    "1,5–2 × Auto",
    "2–3 × Auto",
    "> 3 × Auto",
    "kein ÖPNV-Angebot",
)
#: Colour of the lines (on-demand lines dashed in the same colour).
LINE_COLOR = "#7B3294"
#: Label of an on-demand line.
ON_DEMAND_LABEL = "Rufbus/AST (auf Bestellung)"
#: The status of a village without a departure in the window.
NO_PT_TEXT = "kein ÖPNV-Angebot im Zeitfenster"
_DASH = "6 6"


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None (None, NaN, text, pandas NA)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _de(value: float, digits: int = 1) -> str:
    """German number with a decimal comma and thousands dots."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _text(value: Any) -> str:
    """Text of a cell; empty for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    return "" if text.lower() in {"nan", "none", "<na>"} else text


def departures_text(n: Any, window: str) -> str:
    """„12 Abfahrten 06:30–08:00“, „1 Abfahrt …“ or „keine Abfahrt …“."""
    count = _finite(n)
    k = round(count) if count is not None else 0
    if k <= 0:
        return f"keine Abfahrt {window}".strip()
    word = "Abfahrt" if k == 1 else "Abfahrten"
    return f"{_de(k, 0)} {word} {window}".strip()


# -- layers ---------------------------------------------------------------------------


class StopLayer(DataLayer):
    """Stops as small white circle markers; rows ``[lat, lon, tooltip, popup]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var rows = {{ this.rows_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.circleMarker([r[0], r[1]], {
                    radius: 4, color: "#222222", weight: 1.5, fill: true,
                    fillColor: "#ffffff", fillOpacity: 1, className: "ek-stop"
                }).bindTooltip(r[2]).bindPopup(r[3], {maxWidth: 280}).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str = "Haltestellen") -> None:
        super().__init__(name)
        self._name = "StopLayer"
        self.rows = rows
        self.rows_json = js_json(rows)


class LineLayer(DataLayer):
    """Lines as polylines; rows ``[paths, on_demand, tooltip, popup]``.

    ``paths`` is a list of ``[[lat, lon], …]`` parts; on-demand lines are
    drawn dashed.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group) {
            var rows = {{ this.rows_json }};
            var color = {{ this.color_json }}, dash = {{ this.dash_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.polyline(r[0], {
                    color: color, weight: r[1] === 1 ? 3 : 4, opacity: 0.85,
                    dashArray: r[1] === 1 ? dash : null,
                    className: r[1] === 1 ? "ek-line ek-on-demand" : "ek-line"
                }).bindTooltip(r[2]).bindPopup(r[3], {maxWidth: 280}).addTo(group);
            }
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str = "Linien (Bus & Bahn)") -> None:
        super().__init__(name)
        self._name = "LineLayer"
        self.rows = rows
        self.rows_json = js_json(rows)
        self.color_json = js_json(LINE_COLOR)
        self.dash_json = js_json(_DASH)


@dataclass(frozen=True)
class TransitLayers:
    """The Bus & Bahn layers of one map (rows of :class:`StopLayer` and :class:`LineLayer`).

    Attributes
    ----------
    stops, lines
        Rows of :func:`stop_rows` and :func:`line_rows`.
    note
        A line under the legend title, e.g. „Abfahrt 06:30–08:00, Stichtag Di 08.12.2026“.
    """

    stops: list[list[Any]] = field(default_factory=list)
    lines: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def add_to(self, m: folium.Map) -> None:
        """Add the line layer, then the stop layer (stops on top)."""
        if self.lines:
            LineLayer(self.lines).add_to(m)
        if self.stops:
            StopLayer(self.stops).add_to(m)

    @property
    def has_on_demand(self) -> bool:
        """Whether an on-demand line is drawn."""
        return any(row[1] == 1 for row in self.lines)


def stop_rows(stops: pd.DataFrame, window: str) -> list[list[Any]]:
    """Rows of :class:`StopLayer` from :func:`erreichbarkeit.io.gtfs.stop_departures`.

    Parameters
    ----------
    stops
        ``stop_name``, ``lon``, ``lat``, ``departures``.
    window
        The departure window as people read it (``"06:30–08:00"``).

    Returns
    -------
    list
        ``[lat, lon, tooltip_html, popup_html]`` per stop with coordinates.
    """
    rows: list[list[Any]] = []
    for rec in stops.to_dict("records"):
        lat, lon = _finite(rec.get("lat")), _finite(rec.get("lon"))
        if lat is None or lon is None:
            continue
        name = html.escape(_text(rec.get("stop_name")) or "Haltestelle")
        deps = html.escape(departures_text(rec.get("departures"), window))
        rows.append([round(lat, 6), round(lon, 6), f"{name}: {deps}", f"<b>{name}</b><br>{deps}"])
    return rows


def _paths(geom: Any) -> list[list[list[float]]]:
    """The parts of a (multi)line as ``[[lat, lon], …]`` lists (5 decimals)."""
    if geom is None or geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    return [
        [[round(float(y), 5), round(float(x), 5)] for x, y, *_ in part.coords]
        for part in parts
        if len(part.coords) > 1
    ]


def line_rows(lines: gpd.GeoDataFrame) -> list[list[Any]]:
    """Rows of :class:`LineLayer` from :func:`erreichbarkeit.io.gtfs.route_lines`.

    Parameters
    ----------
    lines
        ``name``, ``on_demand`` (bool), ``trips`` and line geometries (any CRS).

    Returns
    -------
    list
        ``[paths, on_demand (0/1), tooltip_html, popup_html]`` per line.
    """
    g = lines.to_crs("EPSG:4326") if lines.crs is not None else lines
    rows: list[list[Any]] = []
    for rec, geom in zip(g.drop(columns="geometry").to_dict("records"), g.geometry, strict=True):
        paths = _paths(geom)
        if not paths:
            continue
        on_demand = bool(rec.get("on_demand"))
        name = html.escape(_text(rec.get("name")) or _text(rec.get("route_id")))
        title = f"Linie {name}" + (f" – {ON_DEMAND_LABEL}" if on_demand else "")
        lines_html = [f"<b>{title}</b>"]
        trips = _finite(rec.get("trips"))
        if trips is not None:
            lines_html.append(f"{_de(trips, 0)} Fahrten am Stichtag")
        if on_demand:
            lines_html.append("fährt nur nach Anmeldung")
        rows.append([paths, 1 if on_demand else 0, title, "<br>".join(lines_html)])
    return rows


def transit_legend_rows(layers: TransitLayers, font_px: int = 12) -> list[str]:
    """Legend rows (HTML) of the stops and lines shown."""
    sym = int(font_px)
    rows: list[str] = []
    if layers.stops or layers.lines:
        rows.append('<div style="font-weight:bold;margin:6px 0 4px">Bus &amp; Bahn</div>')
    if layers.stops:
        rows.append(
            f'<div><span style="display:inline-block;width:{sym - 4}px;height:{sym - 4}px;'
            "border-radius:50%;background:#fff;border:2px solid #222;margin-right:6px;"
            'vertical-align:middle"></span>Haltestelle</div>'
        )
    line = (
        f'<span style="display:inline-block;width:{sym * 2}px;height:0;'
        f"border-top:3px {{style}} {LINE_COLOR};margin-right:6px;"
        'vertical-align:middle"></span>'
    )
    if any(row[1] == 0 for row in layers.lines):
        rows.append(f"<div>{line.format(style='solid')}Linie</div>")
    if layers.has_on_demand:
        rows.append(f"<div>{line.format(style='dashed')}{html.escape(ON_DEMAND_LABEL)}</div>")
    return rows


# -- villages -------------------------------------------------------------------------


def classify_factor(factor: Sequence[float] | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Class index of each car factor into :data:`FACTOR_COLORS` (NaN: the last, no Bus & Bahn).

    Exactly at an edge counts to the lower class (``1,5`` is „≤ 1,5“).

    Examples
    --------
    >>> classify_factor([1.0, 1.5, 1.8, 2.5, 4.0, float("nan")]).tolist()
    [0, 0, 1, 2, 3, 4]
    """
    values = np.asarray(factor, dtype="float64")
    classes = np.searchsorted(np.asarray(FACTOR_EDGES), values, side="left")
    return np.where(np.isfinite(values), classes, len(FACTOR_COLORS) - 1).astype(int)


def _home_line(row: Mapping[str, Any]) -> str:
    """„zurück zu Hause um 17:46“ or „kein Rückweg bis 19:00“ (empty: not an afternoon offer)."""
    if not bool(row.get("pt_afternoon")):
        return ""
    home_at = _text(row.get("pt_home_at"))
    if home_at:
        return f"zurück zu Hause um {html.escape(home_at)}"
    return f"kein Rückweg bis {html.escape(_text(row.get('pt_home_limit')))}".strip()


def pt_popup_lines(row: Mapping[str, Any]) -> list[str]:
    """The Bus & Bahn lines of a village popup (HTML, German numbers).

    ``row`` holds ``minutes`` (median), ``nearest``, ``pt_best``,
    ``pt_departures``, ``pt_transfers``, ``pt_walk_only``, ``pt_factor``,
    ``pt_status``, ``pt_window`` and, for afternoon offers,
    ``pt_afternoon``, ``pt_home_at``, ``pt_home_limit``.
    """
    window = _text(row.get("pt_window"))
    status = _text(row.get("pt_status"))
    departures = _finite(row.get("pt_departures")) or 0.0
    median = _finite(row.get("minutes"))
    lines = [f"Bus &amp; Bahn, Abfahrt {html.escape(window)}" if window else "Bus &amp; Bahn"]
    if median is None:
        lines.append(html.escape(status or NO_PT_TEXT))
    elif bool(row.get("pt_walk_only")):
        nearest = html.escape(_text(row.get("nearest")))
        lines.append(f"Nächstes Angebot: {nearest} – {_de(median)} min zu Fuß")
        lines.append(html.escape(status or "nur zu Fuß erreichbar"))
    else:
        nearest = html.escape(_text(row.get("nearest")))
        lines.append(f"Nächstes Angebot: {nearest} – Median {_de(median)} min")
        best = _finite(row.get("pt_best"))
        if best is not None and departures > 0:
            lines.append(f"schnellste Fahrt: {_de(best)} min")
        lines.append(html.escape(departures_text(departures, "im Zeitfenster")))
        transfers = _finite(row.get("pt_transfers"))
        if departures > 0 and transfers is not None and transfers >= 0:
            lines.append("ohne Umstieg" if transfers == 0 else f"Umstiege: {_de(transfers, 0)}")
        if status:
            lines.append(f"Hinweis: {html.escape(status)}")
    factor = _finite(row.get("pt_factor"))
    if factor is not None:
        lines.append(f"{_de(factor)} × so lange wie mit dem Auto")
    home = _home_line(row) if median is not None else ""
    if home:
        lines.append(home)
    return lines


def pt_tooltip(row: Mapping[str, Any]) -> str:
    """Short tooltip of a village in Bus & Bahn mode (HTML)."""
    name = html.escape(_text(row.get("name")))
    median = _finite(row.get("minutes"))
    if median is None:
        status = _text(row.get("pt_status")) or NO_PT_TEXT
        return f"{name} – {html.escape(status)}"
    if bool(row.get("pt_walk_only")):
        return f"{name} – {_de(median)} min zu Fuß (nur zu Fuß erreichbar)"
    deps = departures_text(row.get("pt_departures"), "").strip()
    return f"{name} – Median {_de(median)} min, {html.escape(deps)}"
