"""The sidebar's choices (Streamlit): mode, categories, age group, thresholds, base map.

Plus the choices some pages add: the category the map is coloured by and
the map extent (whole region or one Gemeinde).
"""

from __future__ import annotations

from typing import Any, TypedDict

import streamlit as st

from erreichbarkeit.config import AGE_GROUPS, MODE_LABELS, Settings
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.views import View, ViewData, gemeinde_extent

__all__ = [
    "BASEMAP_KEYS",
    "Choice",
    "area_caption",
    "extent_choice",
    "map_category",
    "sidebar_choices",
]

#: The base-map choices (keys of :data:`erreichbarkeit.ui.texts.BASEMAP_LABELS`).
BASEMAP_KEYS = ("none", "basemap.de", "osm")


class Choice(TypedDict):
    """What the user chose in the sidebar."""

    mode: str
    categories: tuple[str, ...]
    age_group: str
    thresholds: dict[str, float]
    basemap: str
    labels: dict[str, str]
    color_by: str


def _categories(data: ViewData, labels: dict[str, str]) -> list[str]:
    """The category multiselect (the first category when nothing valid is chosen)."""
    default = [data.categories[0]]
    current = [c for c in st.session_state.get("categories", default) if c in data.categories]
    st.session_state["categories"] = current or default
    chosen: list[str] = st.sidebar.multiselect(
        texts.SIDEBAR_CATEGORIES,
        list(data.categories),
        format_func=lambda c: labels.get(c, c),
        key="categories",
        select_all=False,  # Streamlit's „Select all“ is English and cannot be translated
        placeholder=texts.MULTISELECT_PLACEHOLDER,
    )
    return chosen


def _thresholds(
    data: ViewData, categories: list[str], mode: str, labels: dict[str, str]
) -> dict[str, float]:
    """One minutes input per chosen category (default: the settings' threshold)."""
    settings = data.settings
    thresholds: dict[str, float] = {}
    for cat in categories:
        # the default goes into the session state, not into value=: the value
        # then survives page changes without Streamlit's duplicate-value warning
        st.session_state.setdefault(f"thr_{cat}_{mode}", float(settings.threshold(cat, mode)))
        thresholds[cat] = float(
            st.sidebar.number_input(
                texts.SIDEBAR_THRESHOLD.format(label=labels.get(cat, cat)),
                min_value=1.0,
                # thresholds above the cutoff would count reachable villages as
                # unreachable: the travel-time table stops there
                max_value=float(settings.routing.cutoff_minutes),
                step=1.0,
                # the exact minutes (7.5 stays 7.5, never rounded to „8“); Streamlit's
                # number box has no decimal comma, the KPI header repeats it as „7,5 min“
                format="%g",
                key=f"thr_{cat}_{mode}",
            )
        )
    return thresholds


def _basemap() -> str:
    """The base-map radio (no online map unless chosen)."""
    if st.session_state.get("basemap") not in BASEMAP_KEYS:
        st.session_state["basemap"] = "none"
    return str(
        st.sidebar.radio(
            texts.SIDEBAR_BASEMAP_CHOICE,
            BASEMAP_KEYS,
            format_func=lambda k: texts.BASEMAP_LABELS[k],
            key="basemap",
            help=texts.BASEMAP_HELP,
        )
    )


def _color_by(mode: str) -> str:
    """In Bus & Bahn mode: colour the villages by minutes or by the car factor."""
    if mode != "pt":
        return "minutes"
    if st.session_state.get("pt_color") not in texts.PT_COLOR_LABELS:
        st.session_state["pt_color"] = "minutes"
    return str(
        st.sidebar.radio(
            texts.PT_COLOR_BY,
            list(texts.PT_COLOR_LABELS),
            format_func=lambda k: texts.PT_COLOR_LABELS[k],
            key="pt_color",
            help=texts.PT_COLOR_HELP,
        )
    )


def sidebar_choices(data: ViewData) -> Choice | None:
    """Draw the sidebar's choices; ``None`` (with a warning) when the region has no offers.

    The modes are those of the run („Bus & Bahn“ only when the timetable
    worked); in Bus & Bahn mode the villages can be coloured by the car factor.
    """
    sb = st.sidebar
    modes = list(data.settings.modes)
    if st.session_state.get("mode") not in modes:  # e.g. Bus & Bahn switched off since
        st.session_state["mode"] = modes[0]
    mode = sb.radio(
        texts.SIDEBAR_MODE,
        modes,
        format_func=lambda m: MODE_LABELS.get(m, m),
        key="mode",
        horizontal=True,
    )
    labels = {k: c.label for k, c in data.category_table.items()}
    if not data.categories:
        st.warning(texts.NO_CATEGORIES_IN_REGION)
        return None
    cats = _categories(data, labels)
    age = sb.selectbox(
        texts.SIDEBAR_AGE,
        list(AGE_GROUPS),
        format_func=lambda g: texts.AGE_LABEL.format(group=g.replace("-", "–")),
        key="age_group",
    )
    thresholds = _thresholds(data, cats, mode, labels)
    color_by = _color_by(mode)
    return Choice(
        mode=mode,
        categories=tuple(cats),
        age_group=age,
        thresholds=thresholds,
        basemap=_basemap(),
        labels=labels,
        color_by=color_by,
    )


def map_category(
    view: View,
    labels: dict[str, str],
    *,
    where: Any = st,
    label: str = texts.SIDEBAR_MAP_CATEGORY,
) -> str:
    """The category the map is coloured by (a radio when several are chosen)."""
    cats = list(view.categories)
    if st.session_state.get("map_category") not in cats:
        st.session_state["map_category"] = cats[0]
    if len(cats) > 1:
        where.radio(
            label,
            cats,
            format_func=lambda c: labels.get(c, c),
            key="map_category",
            horizontal=True,
        )
    return str(st.session_state["map_category"])


def area_caption(settings: Settings) -> str:
    """„Kreisjugendamt … · Daten: Hochsauerlandkreis und Umgebung“; ``""`` without an area.

    Shown under the page titles when the analysis area differs from the data
    area (the region), so every page says which Gemeinden the figures cover.
    """
    if settings.area_name == settings.name:
        return ""
    return f"Auswertungsgebiet: {settings.area_name} · Daten: {settings.name} und Umgebung"


def extent_choice(data: ViewData) -> tuple[str, tuple[float, float, float, float] | None]:
    """The sidebar's Kartenausschnitt: the whole analysis area or one of its Gemeinden.

    Returns the Gemeinde's name (``""`` for the whole area) and its extent.
    """
    names: dict[str, str] = {"": texts.EXTENT_ALL}
    if data.settings.area is not None:
        names[""] = data.settings.area_name
    if len(data.boundaries):
        b = data.boundaries.sort_values("gemeinde")
        if "in_area" in b.columns:  # the Gemeinden of the analysis area
            b = b[b["in_area"].astype(bool)]
        names |= dict(zip(b["ags"].astype(str), b["gemeinde"].astype(str), strict=True))
    if st.session_state.get("extent") not in names:
        st.session_state["extent"] = ""
    ags = st.sidebar.selectbox(
        texts.SIDEBAR_EXTENT, list(names), format_func=lambda a: names[a], key="extent"
    )
    return ("" if not ags else names[ags]), gemeinde_extent(data, ags)
