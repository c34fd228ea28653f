"""The base of the JSON-backed map layers (shared by the layers and the Bus & Bahn layers).

Plus :func:`metric_scale`: the scale bar in metres and kilometres only.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from jinja2 import Template

__all__ = ["DataLayer", "MetricScale", "js_json", "metric_scale"]


def js_json(value: Any) -> str:
    """JSON for inline ``<script>`` code (``</`` escaped so it cannot close the tag)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class _RawText(Element):
    """Text that is already rendered, added to a figure as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class DataLayer(folium.map.Layer):
    """Base of the JSON-backed layers (an overlay in the layer control).

    Rendering is branca's ``MacroElement.render`` with one difference: the
    rendered ``header``/``html``/``script`` texts are added as they are.
    branca wraps each of them in ``Element(text)``, which compiles the text
    as a new Jinja template; for a layer that carries its data inline (the
    roads, the Gemeinde polygons, the grid surface: hundreds of kilobytes of
    JSON) that compile is most of a map's rendering time, and it is redone
    on every rerun of the dashboard.  It was also wrong: a village or offer
    named „Kita {{ 7*7 }}“ came out as „Kita 49“, and a „{%“ in a name broke
    the whole map.
    """

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as branca's
        parent = self._parent
        if self.show and parent is not None:  # as folium's Layer.render: added to its parent
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = "a map layer can only be rendered inside a folium Figure"
            raise TypeError(msg)
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            if (macro := macros.get(part)) is not None:
                getattr(figure, part).add_child(_RawText(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


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
