"""Offline web assets: Leaflet and jQuery as ``data:`` URIs, offer icons as inline SVG.

Folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by
default; steering-group rooms often have no internet.  :func:`offline_assets`
gives ``data:`` URIs of the Leaflet and jQuery builds shipped by the
maintained ``xstatic-leaflet``/``xstatic-jquery`` wheels (folium's popups
need jQuery), which :func:`erreichbarkeit.webmap.build.build_map` puts into
the map's ``default_js``/``default_css`` (on the *instance*, never on
folium's class lists).  :func:`offer_icon_svg` draws the offer icons as
inline SVG from the ``xstatic-font-awesome`` wheel (no web font, no
awesome-markers plugin, no Bootstrap needed).  ``data:`` URIs work both in a
standalone HTML file and in streamlit-folium's component, which loads
``default_js`` entries as ``<script src=…>``.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import folium

__all__ = ["offer_icon_svg", "offline_assets"]

logger = logging.getLogger(__name__)


def _data_uri(mime: str, data: bytes) -> str:
    """``data:`` URI of ``data`` (base64)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@cache
def offline_assets() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Leaflet (and jQuery) as ``data:`` URIs from the ``xstatic-*`` wheels.

    Returns
    -------
    tuple
        ``(default_js, default_css)`` in folium's ``[(name, url)]`` form.
        Empty tuples when ``xstatic-leaflet`` is not installed (folium's CDN
        links are then kept and the map needs the internet).
    """
    try:
        from xstatic.pkg import leaflet  # noqa: PLC0415  (optional wheel)
    except ImportError:
        logger.warning("xstatic-leaflet not installed: the map loads Leaflet from the internet")
        return (), ()
    base = Path(leaflet.BASE_DIR)
    js = _data_uri("text/javascript", (base / "leaflet.js").read_bytes())
    css_text = (base / "leaflet.css").read_text("utf-8")

    def inline_image(match: re.Match[str]) -> str:
        img = base / match.group(1)
        if not img.is_file():
            return match.group(0)
        return f"url({_data_uri('image/png', img.read_bytes())})"

    css_text = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css_text)
    css = _data_uri("text/css", css_text.encode("utf-8"))
    scripts = [("leaflet", js)]
    try:  # folium's popups build their HTML with jQuery's $(…)
        from xstatic.pkg import jquery  # noqa: PLC0415  (optional wheel)

        jq = (Path(jquery.BASE_DIR) / "jquery.min.js").read_bytes()
        scripts.append(("jquery", _data_uri("text/javascript", jq)))
    except ImportError:
        logger.warning("xstatic-jquery not installed: the map loads jQuery from the internet")
        scripts.append(next(item for item in folium.Map.default_js if item[0] == "jquery"))
    return tuple(scripts), (("leaflet_css", css),)


@cache
def _fa_aliases() -> Mapping[str, str]:
    """Old Font Awesome names (``home``, ``user-md``) → Font Awesome 6 names."""
    from xstatic.pkg import font_awesome  # noqa: PLC0415  (optional wheel)

    meta = Path(font_awesome.BASE_DIR) / "metadata"
    out: dict[str, str] = {}
    for old, _style, new in json.loads((meta / "shims.json").read_text("utf-8")):
        if new:
            out[old] = new
    icons = json.loads((meta / "icons.json").read_text("utf-8"))
    for name, info in icons.items():
        for alias in (info.get("aliases") or {}).get("names", []):
            out.setdefault(alias, name)
    return out


@cache
def _fa_svg(name: str) -> str | None:
    """The solid Font Awesome SVG of icon ``name`` (or an alias), ``None`` if unknown."""
    try:
        from xstatic.pkg import font_awesome  # noqa: PLC0415  (optional wheel)
    except ImportError:
        return None
    solid = Path(font_awesome.BASE_DIR) / "svgs" / "solid"
    if not re.fullmatch(r"[a-z0-9-]+", name):
        return None
    for candidate in (name, _fa_aliases().get(name)):
        if candidate and (solid / f"{candidate}.svg").is_file():
            text = (solid / f"{candidate}.svg").read_text("utf-8")
            return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return None


def offer_icon_svg(icon: str, color: str, *, size: int = 26) -> str:
    """HTML of an offer marker: a coloured disc with a white Font Awesome icon.

    Parameters
    ----------
    icon
        Font Awesome icon name from the category table (old names such as
        ``home`` or ``user-md`` are resolved to Font Awesome 6).
    color
        Disc colour (hex).
    size
        Diameter in pixels.

    Returns
    -------
    str
        An HTML snippet (inline SVG, no external resources).
    """
    svg = _fa_svg(icon)
    inner = ""
    if svg:
        inner = svg.replace(
            "<svg ",
            f'<svg width="{size * 0.55:.0f}" height="{size * 0.55:.0f}" fill="white" ',
            1,
        )
    return (
        f'<div class="ek-offer" style="width:{size}px;height:{size}px;border-radius:50%;'
        f"background:{html.escape(color)};border:2px solid white;box-shadow:0 0 3px #333;"
        f'display:flex;align-items:center;justify-content:center;">{inner}</div>'
    )
