"""Map legends: a Leaflet control holding the legend HTML of the classes, offers and bands."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import date

from branca.element import MacroElement
from jinja2 import Template

from erreichbarkeit.config import Category
from erreichbarkeit.report.style import (
    BIN_COLORS,
    BIN_EDGES,
    UNREACHABLE_COLOR,
    UNREACHABLE_LABEL,
    band_color,
    bin_labels,
)
from erreichbarkeit.webmap.assets import offer_icon_svg

__all__ = ["Legend", "bands_legend_html", "caption_html", "legend_html"]


def _box(rows: Sequence[str], font_px: int) -> str:
    """The white legend box around ``rows`` (HTML) in ``font_px`` text."""
    return (
        '<div style="background:white;padding:8px 10px;border-radius:6px;'
        "box-shadow:0 0 6px rgba(0,0,0,.3);color:#222;"
        f'font:{font_px}px/1.5 sans-serif">' + "".join(rows) + "</div>"
    )


class Legend(MacroElement):
    """A Leaflet control with the legend HTML (bottom right).

    Written as a control in the map's script (not as page HTML) so that it
    shows in a standalone file and in streamlit-folium, which only takes the
    map's scripts.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_json }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "ek-legend");
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, *, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.legend_html = legend_html
        self.position_json = json.dumps(position)
        # json.dumps gives a JS string literal; "</" is escaped so the HTML
        # cannot close the surrounding <script>.
        self.html_json = json.dumps(legend_html, ensure_ascii=False).replace("</", "<\\/")


def legend_html(
    title: str,
    *,
    edges: Sequence[float] = BIN_EDGES,
    categories: Sequence[Category] = (),
    font_px: int = 12,
    note: str = "",
    classes: Sequence[tuple[str, str]] | None = None,
    extra_rows: Sequence[str] = (),
) -> str:
    """The legend's HTML: minute classes, "nicht erreichbar", offer categories.

    ``font_px`` scales text and symbols (the meeting view uses a larger legend);
    ``note`` is a small line under the title (e.g. that a grid surface is shown);
    ``classes`` replaces the minute classes by ``(colour, label)`` pairs (e.g.
    the car-factor classes); ``extra_rows`` are HTML rows added at the end
    (e.g. the Bus & Bahn stops and lines).
    """
    sym = int(font_px)
    rows = [
        f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>',
    ]
    if note:
        rows.append(
            f'<div style="font-size:{max(sym - 2, 9)}px;margin-bottom:4px;max-width:240px">'
            f"{html.escape(note)}</div>"
        )
    swatch = (
        f'<span style="display:inline-block;width:{sym}px;height:{sym}px;border-radius:50%;'
        'background:{c};border:1px solid #555;margin-right:6px;vertical-align:middle"></span>'
    )
    pairs = (
        list(classes)
        if classes is not None
        else [
            *zip(BIN_COLORS, bin_labels(edges), strict=True),
            (UNREACHABLE_COLOR, UNREACHABLE_LABEL),
        ]
    )
    for color, label in pairs:
        rows.append(f"<div>{swatch.format(c=color)}{html.escape(label)}</div>")
    if categories:
        rows.append('<div style="font-weight:bold;margin:6px 0 4px">Angebote</div>')
        for cat in categories:
            icon = offer_icon_svg(cat.icon, cat.color, size=round(sym * 4 / 3))
            rows.append(
                '<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
                f"{icon}<span>{html.escape(cat.label)}</span></div>"
            )
    rows += list(extra_rows)
    return _box(rows, sym)


def bands_legend_html(
    title: str, labels: Sequence[str], *, font_px: int = 12, note: str = ""
) -> str:
    """Legend of the band layer: one swatch per band label (fastest first)."""
    sym = int(font_px)
    rows = [f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>']
    swatch = (
        f'<span style="display:inline-block;width:{sym + 4}px;height:{sym}px;'
        "background:{c};opacity:.75;border:1px solid #555;margin-right:6px;"
        'vertical-align:middle"></span>'
    )
    for i, label in enumerate(labels):
        rows.append(f"<div>{swatch.format(c=band_color(i))}{html.escape(label)} min</div>")
    if note:
        rows.append(
            f'<div style="font-size:{max(sym - 2, 9)}px;margin-top:4px;max-width:220px">'
            f"{html.escape(note)}</div>"
        )
    return _box(rows, sym)


def caption_html(
    title: str, *, created: date | None = None, sources: str = "", font_px: int = 12
) -> str:
    """The map's caption box: title, „Stand: 05.12.2026“ and the sources line.

    Shown on the map itself (a Leaflet control, top left), so a saved HTML
    file or a screenshot says what it shows, when and from which data
    (© OpenStreetMap, Zensus, GTFS …).
    """
    rows = [f'<div style="font-weight:bold;font-size:{font_px + 3}px">{html.escape(title)}</div>']
    if created is not None:
        rows.append(f"<div>Stand: {created.strftime('%d.%m.%Y')}</div>")
    if sources:
        rows.append(
            f'<div style="font-size:{max(font_px - 2, 9)}px;max-width:420px;color:#444">'
            f"{html.escape(sources)}</div>"
        )
    return _box(rows, font_px)
