"""The base of the JSON-backed map layers (shared by the layers and the Bus & Bahn layers).

Plus :func:`metric_scale`: the scale bar in metres and kilometres only.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["DataLayer", "MetricScale", "js_json", "metric_scale"]


def js_json(value: Any) -> str:
    """JSON for inline ``<script>`` code (``</`` escaped so it cannot close the tag)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class DataLayer(folium.map.Layer):
    """Base of the JSON-backed layers (an overlay in the layer control)."""

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres/kilometres only (``imperial: false``).

    folium's ``control_scale=True`` draws Leaflet's default bar, which adds
    a second bar in miles („5 mi“); German planners need kilometres only.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MetricScale"


def metric_scale(fmap: folium.Map) -> folium.Map:
    """Replace the map's default scale bar (km and miles) by a kilometres-only one.

    Idempotent: a map that already has the kilometres-only bar keeps just one.
    """
    fmap.control_scale = False
    if not any(isinstance(child, MetricScale) for child in fmap._children.values()):
        MetricScale().add_to(fmap)
    return fmap
