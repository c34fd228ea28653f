"""The presentation mode of the Besprechung page (Streamlit).

For a projector or a shared screen at 1280×720: no sidebar, a compact
control bar (category, Verkehrsmittel, Gemeinde, Orte/Gemeinden), the key
figures in one short row, the map fitted to the data and the legend beside
the map, all on one screen without scrolling.  Switched on by the toggle
„Präsentationsmodus“ or the address ``…/besprechung?praesentation=1``.

The control bar's widgets have their own keys (``pm_*``; the sidebar's
widgets are still drawn, only hidden, and a key can belong to one widget
only) and write the shared keys (``mode``, ``categories``,
``map_category``, ``extent``) in their callbacks, so the rest of the app
keeps the choices made here.  The map itself is built by
:mod:`erreichbarkeit.ui.presentation_map`.
"""

from __future__ import annotations

import html
import math
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.kpis import kpis, median_text, no_pt_count
from erreichbarkeit.ui.layers import GridOverlay, build_view_map, map_frame
from erreichbarkeit.ui.page_setup import Page
from erreichbarkeit.ui.presentation_map import (
    Bounds,
    add_gemeinde_map,
    collapse_layer_control,
    fit_to,
    label_rows,
    padded_bounds,
    restyle_for_presentation,
    take_legends,
)
from erreichbarkeit.ui.tables import format_int, view_subtitle
from erreichbarkeit.ui.views import ViewData, data_bounds
from erreichbarkeit.ui.widgets import transit_for
from erreichbarkeit.webmap.gemeinden import SHARE_MEASURES

__all__ = [
    "MAP_HEIGHT_PX",
    "QUERY_KEY",
    "gemeinde_names",
    "map_kind",
    "presentation_on",
    "presentation_toggle",
    "show_gemeinde_map",
    "show_presentation",
]

#: The address parameter that opens the page in presentation mode (``?praesentation=1``).
QUERY_KEY = "praesentation"
#: Height of the map in presentation mode: title, control bar, key figures
#: and map fit 1280×720 (checked by tests/test_browser_presentation.py).
MAP_HEIGHT_PX = 530
_TOGGLE = "pm_on"
_KIND = "meeting_map_kind"
_MEASURE = "meeting_measure"
_KINDS = {"orte": "Orte", "gemeinden": "Gemeinden"}
_MEASURE_SHORT = {
    "share_children_beyond": "Anteil über Schwellenwert",
    "share_children_no_offer": "Anteil ohne Angebot",
}

_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"],
header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.5rem 1.25rem 1rem; max-width: none; }
.st-key-pm_page { gap: 0.45rem; }
.st-key-pm_page h4 { padding: 0; margin: 0; }
.st-key-pm_kpis [data-testid="stMetricValue"] { font-size: 1.45rem; line-height: 1.2; }
.st-key-pm_kpis [data-testid="stMetricLabel"] { min-height: 0; }
.st-key-pm_legend { max-height: MAP_PXpx; overflow-y: auto; padding: 4px; }
</style>
"""


def presentation_on() -> bool:
    """Whether the page is in presentation mode (first use: ``?praesentation=1``)."""
    if _TOGGLE not in st.session_state:
        st.session_state[_TOGGLE] = st.query_params.get(QUERY_KEY, "") in ("1", "ja", "true")
    return bool(st.session_state[_TOGGLE])


def _toggled() -> None:
    """Keep the address in step with the toggle (a link opens the same mode).

    Also called on every presentation run: the URL sync of the choices
    (:mod:`erreichbarkeit.ui.url_sync`) rewrites the address without this
    parameter when the choices change.
    """
    if st.session_state.get(_TOGGLE):
        if st.query_params.get(QUERY_KEY) != "1":
            st.query_params[QUERY_KEY] = "1"
    elif QUERY_KEY in st.query_params:
        del st.query_params[QUERY_KEY]


def presentation_toggle(where: Any = st) -> bool:
    """The toggle „Präsentationsmodus“; returns whether it is on."""
    presentation_on()
    return bool(
        where.toggle(
            "Präsentationsmodus",
            key=_TOGGLE,
            on_change=_toggled,
            help="Ohne Seitenleiste: Auswahl, Kennzahlen, Karte und Legende auf einem "
            "Bildschirm (1280×720). Link: …/besprechung?praesentation=1",
        )
    )


def map_kind(where: Any = st) -> str:
    """The switch „Karte: Orte | Gemeinden“ (``"orte"`` or ``"gemeinden"``)."""
    if st.session_state.get(_KIND) not in _KINDS:
        st.session_state[_KIND] = "orte"
    return str(
        where.radio(
            "Karte",
            list(_KINDS),
            format_func=lambda k: _KINDS[k],
            key=_KIND,
            horizontal=True,
            help="Orte: jeder Ort als Punkt in der Farbe seiner Minuten. Gemeinden: "
            "Anteil der Kinder je Gemeinde (wie Landatlas und KomMonitor).",
        )
    )


def _measure(where: Any = st) -> str:
    """Which share the Gemeinde map shows."""
    if st.session_state.get(_MEASURE) not in SHARE_MEASURES:
        st.session_state[_MEASURE] = "share_children_beyond"
    return str(
        where.selectbox(
            "Gemeinden zeigen",
            list(SHARE_MEASURES),
            format_func=lambda k: _MEASURE_SHORT.get(k, k),
            key=_MEASURE,
            help="Anteil der Kinder der Altersgruppe in Orten über dem Schwellenwert "
            "(oder ohne Angebot) bzw. ohne erreichbares Angebot, je Gemeinde.",
        )
    )


def gemeinde_names(data: ViewData) -> dict[str, str]:
    """The Kartenausschnitt choices: ``""`` (the whole area) and the area's Gemeinden by AGS.

    The same choices as the sidebar's :func:`erreichbarkeit.ui.sidebar.extent_choice`.
    """
    names: dict[str, str] = {"": texts.EXTENT_ALL}
    if data.settings.area is not None:
        names[""] = data.settings.area_name
    b = data.boundaries
    if len(b):
        b = b.sort_values("gemeinde")
        if "in_area" in b.columns:
            b = b[b["in_area"].astype(bool)]
        names |= dict(zip(b["ags"].astype(str), b["gemeinde"].astype(str), strict=True))
    return names


def _copy_to(own: str, shared: str) -> None:
    """Callback: a control-bar value into the shared session key."""
    st.session_state[shared] = st.session_state[own]


def _category_chosen() -> None:
    """Callback: the chosen category is coloured and part of the view's categories."""
    cat = st.session_state["pm_category"]
    chosen = list(st.session_state.get("categories", []))
    if cat not in chosen:
        st.session_state["categories"] = [*chosen, cat]
    st.session_state["map_category"] = cat


def _select(
    where: Any, label: str, options: dict[str, str], own: str, shared: str, **kw: Any
) -> None:
    """A control-bar selectbox showing (and on change writing) ``shared``."""
    if st.session_state.get(shared) in options:
        st.session_state[own] = st.session_state[shared]
    where.selectbox(label, list(options), format_func=lambda k: options[k], key=own, **kw)


def _control_bar(page: Page, category: str) -> tuple[str, str]:
    """Kategorie, Verkehrsmittel, Gemeinde, Karte (and share), toggle; returns kind and share."""
    labels = page.choice["labels"]
    cols = st.columns([1.3, 1.1, 1.5, 1.4, 1.5, 1.3], vertical_alignment="bottom")
    cats = {c: labels.get(c, c) for c in page.data.categories}
    st.session_state["pm_category"] = category
    cols[0].selectbox(
        "Kategorie", list(cats), format_func=lambda c: cats[c], key="pm_category",
        on_change=_category_chosen,
    )  # fmt: skip
    modes = {m: MODE_LABELS.get(m, m) for m in page.data.settings.modes}
    _select(cols[1], "Verkehrsmittel", modes, "pm_mode", "mode",
            on_change=_copy_to, args=("pm_mode", "mode"))  # fmt: skip
    names = gemeinde_names(page.data)
    _select(cols[2], "Gemeinde", names, "pm_extent", "extent",
            on_change=_copy_to, args=("pm_extent", "extent"))  # fmt: skip
    kind = map_kind(cols[3])
    measure = _measure(cols[4]) if kind == "gemeinden" else "share_children_beyond"
    presentation_toggle(cols[5])
    return kind, measure


def _compact_kpis(page: Page, category: str) -> None:
    """The key figures in one short row: short labels, the details in ``help``."""
    view = page.view
    k = kpis(view, category)
    minutes = f"{float(view.thresholds[category]):g}".replace(".", ",")
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    cards = [
        (f"Kinder ≤ {minutes} min", format_int(k["children_within"]),
         texts.KPI_WITHIN.format(age=age, minutes=minutes)),
        (f"Kinder > {minutes} min", format_int(k["children_beyond"]),
         texts.KPI_BEYOND.format(age=age)),
        ("Orte unterversorgt", format_int(k["underserved"]),
         "Orte über dem Schwellenwert oder ohne erreichbares Angebot"),
        ("Median", median_text(k), texts.KPI_MEDIAN.format(age=age)),
    ]  # fmt: skip
    if view.mode == "pt":
        cards.append(("Orte ohne ÖPNV", format_int(no_pt_count(view, category)),
                      texts.KPI_HELP_NO_PT))  # fmt: skip
    with st.container(key="pm_kpis"):
        for col, (label, value, help_text) in zip(st.columns(len(cards)), cards, strict=True):
            col.metric(label, value, help=help_text)


def _view_map(
    page: Page, category: str, bounds: Bounds, overlay: GridOverlay | None, font_px: int
) -> folium.Map:
    """The page's view map of ``category`` (as :func:`erreichbarkeit.ui.widgets.show_map`)."""
    fmap: folium.Map = build_view_map(
        page.data,
        page.view,
        category,
        basemap=page.choice["basemap"],
        layers=page.layers,
        bounds=bounds,
        legend_font_px=font_px,
        overlay=overlay,
        transit=transit_for(page, category),
        color_by=page.choice.get("color_by", "minutes"),
    )
    return fmap


def presentation_figure(
    page: Page,
    category: str,
    extent: Bounds | None,
    overlay: GridOverlay | None,
    *,
    kind: str,
    measure: str,
) -> tuple[folium.Map, list[str]]:
    """The presentation map (fitted, labels, legends taken out) and its legends' HTML."""
    bounds = extent or data_bounds(page.data)
    fmap = _view_map(page, category, bounds, overlay, 14)
    if kind == "gemeinden":
        legend = add_gemeinde_map(fmap, page.data, page.view, category, page.choice["labels"],
                                  measure=measure, legend=False, font_px=14)  # fmt: skip
        legends = [legend, *take_legends(fmap)]
    else:
        frame = map_frame(page.view, category, page.data.settings)
        threshold = float(page.view.thresholds.get(category, math.inf))
        restyle_for_presentation(fmap, label_rows(frame, threshold))
        legends = take_legends(fmap)
    return collapse_layer_control(fit_to(fmap, padded_bounds(bounds))), legends


def show_presentation(
    page: Page, category: str, extent: Bounds | None, overlay: GridOverlay | None
) -> str:
    """The page in presentation mode (sidebar hidden); returns the map kind shown."""
    st.html(_CSS.replace("MAP_PX", str(MAP_HEIGHT_PX)))  # the legend scrolls beside the map
    _toggled()
    labels = page.choice["labels"]
    with st.container(key="pm_page"):
        title = texts.MEETING_TITLE.format(
            label=labels.get(category, category), region=page.results.settings.area_name
        )
        st.markdown(f"#### {html.escape(title)}")
        kind, measure = _control_bar(page, category)
        _compact_kpis(page, category)
        fmap, legends = presentation_figure(
            page, category, extent, overlay, kind=kind, measure=measure
        )
        map_col, legend_col = st.columns([4.2, 1.3])
        with map_col:
            st_folium(fmap, height=MAP_HEIGHT_PX, use_container_width=True,
                      returned_objects=[], key="besprechung_pm")  # fmt: skip
        with legend_col, st.container(key="pm_legend"):
            st.caption(view_subtitle(page.view, category, labels))
            for legend in legends:
                st.html(legend)
    return kind


def show_gemeinde_map(
    page: Page, category: str, *, key: str, height: int, extent: Bounds | None = None
) -> None:
    """The per-Gemeinde choropleth of ``category`` with a share choice (Besprechung, Versorgung)."""
    measure = _measure()
    bounds = extent or data_bounds(page.data)
    fmap = _view_map(page, category, bounds, None, 13)
    add_gemeinde_map(fmap, page.data, page.view, category, page.choice["labels"],
                     measure=measure, legend=True, font_px=13)  # fmt: skip
    fit_to(fmap, padded_bounds(bounds))
    st_folium(fmap, height=height, use_container_width=True, returned_objects=[], key=key)
