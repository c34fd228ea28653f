"""Folium web maps of the results: villages coloured by minutes, offers, Gemeinden.

The dashboard (``erreichbarkeit.ui``) and the standalone HTML export use the
same builder, :func:`build_map`; this package never imports Streamlit.

* :mod:`~erreichbarkeit.webmap.build` — :func:`build_map`, :func:`map_html`,
  the online background maps (:data:`BASEMAPS`);
* :mod:`~erreichbarkeit.webmap.layers` — the compact JSON-backed layers
  (villages, offers, marks, GeoJSON texts, grid surface) and their rows;
* :mod:`~erreichbarkeit.webmap.surface` — the grid surface as compact JSON;
* :mod:`~erreichbarkeit.webmap.legend` — the legend controls;
* :mod:`~erreichbarkeit.webmap.transit` — Bus & Bahn: stops, lines, the
  village popups and the car-factor classes;
* :mod:`~erreichbarkeit.webmap.assets` — Leaflet, jQuery and the offer icons
  offline (``data:`` URIs, inline SVG).

The minute classes and colours are those of the print maps
(:mod:`erreichbarkeit.report.style`) and are re-exported here.
"""

from erreichbarkeit.report.style import (
    BAND_COLORS,
    BIN_COLORS,
    BIN_EDGES,
    UNREACHABLE_COLOR,
    UNREACHABLE_LABEL,
    band_color,
    bin_labels,
    classify_minutes,
    minutes_color,
)
from erreichbarkeit.webmap.assets import offer_icon_svg, offline_assets
from erreichbarkeit.webmap.build import BASEMAPS, Basemap, build_map, map_html
from erreichbarkeit.webmap.layers import (
    GeoJsonText,
    GridSurfaceLayer,
    MarkLayer,
    OfferLayer,
    VillageLayer,
    bands_geojson,
    geojson_text,
    mark_rows,
    offer_layer,
    village_rows,
)
from erreichbarkeit.webmap.legend import Legend, bands_legend_html, legend_html
from erreichbarkeit.webmap.surface import grid_surface_json
from erreichbarkeit.webmap.transit import (
    FACTOR_COLORS,
    FACTOR_LABELS,
    LineLayer,
    StopLayer,
    TransitLayers,
    classify_factor,
    line_rows,
    stop_rows,
)

__all__ = [
    "BAND_COLORS",
    "BASEMAPS",
    "BIN_COLORS",
    "BIN_EDGES",
    "FACTOR_COLORS",
    "FACTOR_LABELS",
    "UNREACHABLE_COLOR",
    "UNREACHABLE_LABEL",
    "Basemap",
    "GeoJsonText",
    "GridSurfaceLayer",
    "Legend",
    "LineLayer",
    "MarkLayer",
    "OfferLayer",
    "StopLayer",
    "TransitLayers",
    "VillageLayer",
    "band_color",
    "bands_geojson",
    "bands_legend_html",
    "bin_labels",
    "build_map",
    "classify_factor",
    "classify_minutes",
    "geojson_text",
    "grid_surface_json",
    "legend_html",
    "line_rows",
    "map_html",
    "mark_rows",
    "minutes_color",
    "offer_icon_svg",
    "offer_layer",
    "offline_assets",
    "stop_rows",
    "village_rows",
]
