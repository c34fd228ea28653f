"""The base of the JSON-backed map layers (shared by the layers and the Bus & Bahn layers)."""

from __future__ import annotations

import json
from typing import Any

import folium

__all__ = ["DataLayer", "js_json"]


def js_json(value: Any) -> str:
    """JSON for inline ``<script>`` code (``</`` escaped so it cannot close the tag)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class DataLayer(folium.map.Layer):
    """Base of the JSON-backed layers (an overlay in the layer control)."""

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
