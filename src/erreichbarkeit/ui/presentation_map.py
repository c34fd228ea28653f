"""The presentation map of the Besprechung page (no Streamlit).

The meeting (presentation) mode shows the same folium map as the other
pages (:func:`erreichbarkeit.ui.layers.build_view_map`), changed for a
projector at 1280×720:

* the legends leave the map (:func:`take_legends` returns their HTML, the
  page draws it beside the map), so no legend covers the county;
* the map is fitted to the data with fractional zoom (``zoomSnap`` 0.1)
  and a few pixels of padding (:func:`fit_to`); Leaflet's default whole
  zoom levels leave up to half the frame empty;
* village dots are bigger with a dark outline, the offers small symbols in
  a pane below the villages (:func:`restyle_for_presentation`), so offer
  icons never hide a village colour;
* village names as labels (:class:`VillageLabels`): the underserved
  villages first, then the largest others for orientation
  (:func:`label_rows`).

Labels are placed in the browser, not here: a greedy pass
(:data:`DECLUTTER_JS`) measures each label's real box
(``getBoundingClientRect``; text widths depend on the browser's font, which
Python cannot know), puts it right of its dot, else left of it, and hides
it where both would overlap a label placed before it (priority order).
It runs again after every zoom, pan and resize, so zooming in shows more
names.  Leaflet has no built-in label collision and the maintained plug-ins
(Leaflet.LabelTextCollision, leaflet-tooltip-layout) are not packaged for
offline use here; the pass is thirty lines.

The per-Gemeinde choropleth (:func:`add_gemeinde_map`) puts
:func:`erreichbarkeit.webmap.gemeinden.add_gemeinde_layer` on such a map.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.map import FitBounds
from jinja2 import Template

from erreichbarkeit.ui.tables import view_subtitle
from erreichbarkeit.ui.views import View, ViewData
from erreichbarkeit.webmap._base import DataLayer, js_json
from erreichbarkeit.webmap.gemeinden import add_gemeinde_layer, gemeinde_legend_html
from erreichbarkeit.webmap.layers import OfferLayer, VillageLayer
from erreichbarkeit.webmap.legend import Legend

__all__ = [
    "DECLUTTER_JS",
    "Bounds",
    "VillageLabels",
    "add_gemeinde_map",
    "collapse_layer_control",
    "fit_to",
    "gemeinde_label_rows",
    "gemeinde_rows",
    "gemeinde_what",
    "label_rows",
    "padded_bounds",
    "restyle_for_presentation",
    "take_legends",
]

Bounds = tuple[float, float, float, float]

#: ``ekDeclutter(candidates, margin, frame)``: where to put each label,
#: greedily in the given (priority) order.  ``candidates[i]`` are the boxes
#: ``[left, top, right, bottom]`` (pixels) label ``i`` may take, preferred
#: first (right of the dot, then left of it); the first box that does not
#: come within ``margin`` pixels of a box placed before and lies inside the
#: optional ``frame`` box is taken.  Returns the chosen index per label,
#: ``-1`` for a hidden label.  Pure, so the tests run it in Node.
DECLUTTER_JS = """
function ekDeclutter(candidates, margin, frame) {
    var chosen = [], placed = [];
    function free(b) {
        if (frame && (b[0] < frame[0] || b[1] < frame[1] || b[2] > frame[2] ||
                      b[3] > frame[3])) {
            return false;
        }
        for (var j = 0; j < placed.length; j++) {
            var p = placed[j];
            if (b[0] < p[2] + margin && p[0] < b[2] + margin &&
                b[1] < p[3] + margin && p[1] < b[3] + margin) {
                return false;
            }
        }
        return true;
    }
    for (var i = 0; i < candidates.length; i++) {
        var pick = -1;
        for (var k = 0; pick < 0 && k < candidates[i].length; k++) {
            if (free(candidates[i][k])) { pick = k; }
        }
        chosen.push(pick);
        if (pick >= 0) { placed.push(candidates[i][pick]); }
    }
    return chosen;
}
"""

#: Styles of the labels and the small offer symbols inside the map's iframe.
_LABEL_CSS = (
    ".ek-label{background:none;border:none}"
    ".ek-label span{display:inline-block;white-space:nowrap;"
    "font:600 13px/16px sans-serif;color:#333;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none}"
    ".ek-label.ek-under span{color:#000;font-weight:800}"
    ".ek-offer-small .ek-offer{transform:scale(.62);transform-origin:0 0}"
    ".ek-center span{transform:translate(-50%,-50%);font-size:14px}"
)


class VillageLabels(DataLayer):
    """Village names as permanent labels, decluttered in the browser (see module doc).

    Each row is ``[lat, lon, name_html, underserved]`` in priority order
    (:func:`label_rows`); underserved names are bold black.  ``centred``
    puts the text on the point (Gemeinde names) instead of beside it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (group, map) {
            {{ this.declutter_js }}
            if (!document.getElementById("ek-label-css")) {
                var css = document.createElement("style");
                css.id = "ek-label-css";
                css.textContent = {{ this.css_json }};
                document.head.appendChild(css);
            }
            var rows = {{ this.rows_json }}, marks = [], centred = {{ this.centred_json }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                marks.push(L.marker([r[0], r[1]], {
                    interactive: false, keyboard: false, icon: L.divIcon({
                        className: "ek-label" + (r[3] === 1 ? " ek-under" : "") +
                            (centred ? " ek-center" : ""),
                        html: "<span>" + r[2] + "</span>", iconSize: null,
                        iconAnchor: centred ? [0, 0] : [-11, 8]
                    })
                }).addTo(group));
            }
            function declutter() {
                if (!map.hasLayer(group)) { return; }
                var els = [], shifts = [], cands = [];
                var f = map.getContainer().getBoundingClientRect();
                for (var k = 0; k < marks.length; k++) {
                    var el = marks[k].getElement();
                    if (!el) { continue; }
                    if (!centred) { el.firstChild.style.transform = ""; }
                    var s = el.firstChild.getBoundingClientRect();
                    var box = [s.left, s.top, s.right, s.bottom];
                    var dx = -(s.width + 22);  // left of the dot: as far left as right of it
                    els.push(el);
                    shifts.push(dx);
                    var left = [s.left + dx, s.top, s.right + dx, s.bottom];
                    cands.push(centred ? [box] : [box, left]);
                }
                var pick = ekDeclutter(cands, 2, [f.left, f.top, f.right, f.bottom]);
                for (var n = 0; n < els.length; n++) {
                    els[n].style.visibility = pick[n] >= 0 ? "visible" : "hidden";
                    els[n].classList.toggle("ek-label-shown", pick[n] >= 0);
                    if (pick[n] === 1) {
                        els[n].firstChild.style.transform = "translateX(" + shifts[n] + "px)";
                    }
                }
            }
            map.on("zoomend moveend resize overlayadd", declutter);
            map.whenReady(function () { setTimeout(declutter, 0); });
        })({{ this.get_name() }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, rows: list[list[Any]], *, name: str = "Ortsnamen", centred: bool = False
    ) -> None:
        super().__init__(name)
        self._name = "VillageLabels"
        self.centred_json = js_json(centred)
        self.rows = rows
        self.rows_json = js_json(rows)
        self.css_json = js_json(_LABEL_CSS)
        self.declutter_js = DECLUTTER_JS


def label_rows(
    villages: gpd.GeoDataFrame, threshold: float, *, others: int = 12
) -> list[list[Any]]:
    """The label rows of :class:`VillageLabels`, most important first.

    Parameters
    ----------
    villages
        The map's village frame (:func:`erreichbarkeit.ui.layers.map_frame`):
        ``name``, ``minutes`` (NaN: no offer reachable), ``children`` and
        optionally ``in_area``; EPSG:4326 points.
    threshold
        Minutes; a village beyond it (exactly at it counts as within) or
        without a reachable offer is underserved.
    others
        How many of the other villages (most children first) get a label
        for orientation.

    Returns
    -------
    list
        ``[lat, lon, name_html, underserved]`` rows: the underserved villages
        by children (descending, then name), then the ``others`` largest of
        the rest.  Villages outside the analysis area and without a point
        get none.
    """
    v = villages
    if "in_area" in v.columns:
        v = v[v["in_area"].astype("boolean").fillna(False).astype(bool)]
    v = v[v.geometry.notna() & ~v.geometry.is_empty]
    minutes = pd.to_numeric(v["minutes"], errors="coerce")
    under = minutes.isna() | (minutes > float(threshold))
    children = pd.to_numeric(v.get("children", 0.0), errors="coerce").fillna(0.0)
    frame = pd.DataFrame(
        {"name": v["name"].astype(str), "children": children, "under": under.astype(bool)},
        index=v.index,
    )
    frame = frame.sort_values(["children", "name"], ascending=[False, True], kind="stable")
    order = [*frame.index[frame["under"]], *frame.index[~frame["under"]][: max(others, 0)]]
    return [
        [
            round(float(v.geometry[i].y), 6),
            round(float(v.geometry[i].x), 6),
            html.escape(str(frame.loc[i, "name"])),
            1 if bool(frame.loc[i, "under"]) else 0,
        ]
        for i in order
    ]


def gemeinde_label_rows(boundaries: gpd.GeoDataFrame) -> list[list[Any]]:
    """Label rows of the Gemeinde names at a point inside each polygon, largest first."""
    b = boundaries[boundaries.geometry.notna() & ~boundaries.geometry.is_empty]
    if b.empty:
        return []
    b = b.to_crs("EPSG:4326") if b.crs is not None else b
    area = b.to_crs("EPSG:3035").area if b.crs is not None else b.area
    order = area.sort_values(ascending=False, kind="stable").index
    points = b.geometry.representative_point()
    names = b["gemeinde" if "gemeinde" in b.columns else "name"].astype(str)
    return [
        [round(float(points[i].y), 6), round(float(points[i].x), 6), html.escape(names[i]), 0]
        for i in order
    ]


def padded_bounds(bounds: Bounds, pad: float = 0.02) -> Bounds:
    """``bounds`` widened by ``pad`` of its width and height on every side.

    A point (zero extent) gets about 1 km around it, so a Gemeinde with one
    village is not shown at the highest zoom.
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dx = max(maxx - minx, 0.015) * pad if maxx > minx else 0.015
    dy = max(maxy - miny, 0.01) * pad if maxy > miny else 0.01
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def fit_to(fmap: folium.Map, bounds: Bounds, *, padding_px: int = 6) -> folium.Map:
    """Fit ``fmap`` to ``bounds`` with fractional zoom (replaces its ``fit_bounds``)."""
    minx, miny, maxx, maxy = bounds
    if not all(math.isfinite(float(b)) for b in bounds):
        return fmap
    for key, child in list(fmap._children.items()):  # branca's child registry
        if isinstance(child, FitBounds):
            del fmap._children[key]
    fmap.options["zoomSnap"] = 0.1  # fractional zoom: the area fills the frame
    fmap.options["zoomDelta"] = 0.5
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(padding_px, padding_px))
    return fmap


def take_legends(fmap: folium.Map) -> list[str]:
    """Remove the legend controls from ``fmap``; return their HTML (to draw beside the map).

    Legends that show only while their layer is on (e.g. the need layer's,
    :class:`erreichbarkeit.webmap.need.LayerLegend`, off at the start) stay
    in the map: outside it they would describe a layer nobody sees.
    """
    out: list[str] = []
    for key, child in list(fmap._children.items()):
        if type(child) is Legend:
            out.append(str(child.legend_html))
            del fmap._children[key]
    return out


def _layers(fmap: folium.Map, kind: type[Any]) -> list[Any]:
    """The map's children of one layer class, in drawing order."""
    return [c for c in fmap._children.values() if isinstance(c, kind)]


def restyle_for_presentation(fmap: folium.Map, labels: list[list[Any]]) -> folium.Map:
    """Bigger dark-outlined villages, small offers below them, and the village labels."""
    for layer in _layers(fmap, VillageLayer):
        if layer.layer_name == "Orte":  # not the grey villages outside the area
            layer.restyle(radius=9, weight=2, color="#111111", fillOpacity=1.0)
    for offers in _layers(fmap, OfferLayer):
        offers.as_small_symbols()
    VillageLabels(labels).add_to(fmap)  # also brings the CSS of the small offer symbols
    _layer_control_last(fmap)
    return fmap


def collapse_layer_control(fmap: folium.Map) -> folium.Map:
    """Fold the layer control into its button (open, it covers a sixth of a small map)."""
    for control in _layers(fmap, folium.LayerControl):
        control.options["collapsed"] = True
    return fmap


def _layer_control_last(fmap: folium.Map) -> None:
    """Move the layer control behind the layers added later (it names every layer)."""
    for key, child in list(fmap._children.items()):
        if isinstance(child, folium.LayerControl):
            del fmap._children[key]
            fmap._children[key] = child


def gemeinde_rows(view: View, category: str) -> pd.DataFrame:
    """The view's Gemeinde rows of one category (and the view's mode)."""
    g = view.gemeinden
    return g[(g["category"] == category) & (g["mode"] == view.mode)].reset_index(drop=True)


def gemeinde_what(view: View, category: str, labels: Mapping[str, str]) -> str:
    """What the Gemeinde figure covers: „Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 15 min“.

    The page subtitle (:func:`erreichbarkeit.ui.tables.view_subtitle`), so map
    and page say the same.
    """
    return view_subtitle(view, category, labels)


def add_gemeinde_map(
    fmap: folium.Map,
    data: ViewData,
    view: View,
    category: str,
    labels: Mapping[str, str],
    *,
    measure: str,
    legend: bool,
    font_px: int = 12,
) -> str:
    """Put the Gemeinde choropleth on a view map; return its legend HTML.

    The village and offer layers stay in the layer control but start
    switched off, and the village legend goes (the choropleth has its own);
    only the Gemeinden of the analysis area are filled.  ``legend`` adds the
    choropleth legend as a map control (else the page draws the returned HTML).
    """
    for layer in (*_layers(fmap, VillageLayer), *_layers(fmap, OfferLayer)):
        layer.show = False
    take_legends(fmap)
    b = data.boundaries
    if "in_area" in b.columns and b["in_area"].astype(bool).any():
        b = b[b["in_area"].astype(bool)]
    what = gemeinde_what(view, category, labels)
    add_gemeinde_layer(
        fmap, b, gemeinde_rows(view, category), measure=measure, what=what,
        font_px=font_px, legend=legend,
    )  # fmt: skip
    VillageLabels(gemeinde_label_rows(b), name="Gemeindenamen", centred=True).add_to(fmap)
    _layer_control_last(fmap)
    return gemeinde_legend_html(measure, what, font_px)
