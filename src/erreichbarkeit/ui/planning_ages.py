"""The age group of the planning pages (Versorgung, Standortvorschläge), German UI.

Both pages count the children of the sidebar's age group (``page.view.age_group``)
by default, as the map and the Was-wäre-wenn tab do.  A radio on the page
(:func:`age_radio`) offers the category's whole target group instead; the
headline, KPI labels and column headers name the group the figures cover
(:func:`who`).  A category that does not serve the sidebar's group shows a
German note (:attr:`AgeChoice.note`) instead of zeros.

Without Streamlit: :func:`age_choice`, :func:`who`, :func:`with_age_headers`,
:func:`place_columns`, :func:`sites_table`; the Streamlit parts are the radio
and the shared caches of the per-group supply and suggestions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit.planning import age_supply, locations
from erreichbarkeit.planning.site_places import site_places
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache, planning_logic, texts
from erreichbarkeit.ui.page_setup import Page, region_key

__all__ = [
    "AGE_SIDEBAR",
    "AGE_WHOLE",
    "AgeChoice",
    "age_choice",
    "age_radio",
    "group_supply_view",
    "map_age_caption",
    "place_columns",
    "sites_table",
    "span",
    "suggestion_for_groups",
    "who",
    "with_age_headers",
]

AGE_SIDEBAR = "sidebar"
AGE_WHOLE = "whole"

# German strings of these pages (texts.py is shared; see the module docstring)
AGE_RADIO = "Altersgruppe der Zahlen"
AGE_OPTIONS = {
    AGE_SIDEBAR: "Altersgruppe der Seitenleiste ({ages})",
    AGE_WHOLE: "ganze Zielgruppe der Kategorie ({ages})",
}
AGE_RADIO_HELP = (
    "Die Seitenleiste gilt auf allen Seiten. Hier lässt sich für diese Zahlen stattdessen "
    "die ganze Zielgruppe der Kategorie wählen."
)
AGE_COVERS = "Alle Zahlen gelten für **{who}**."
AGE_NOT_SERVED = (
    "{label} richtet sich nicht an {who} (Zielgruppe: {ages} Jahre), darum gibt es hier keine "
    "Zahlen für diese Altersgruppe. Bitte in der Seitenleiste eine andere Altersgruppe oder "
    "oben „ganze Zielgruppe der Kategorie“ wählen."
)
AGE_SHARED = (
    "Um die Plätze konkurrieren alle Kinder der Zielgruppe ({pool} Jahre), die sie erreichen; "
    "gezeigt ist, was davon auf die {who} entfällt."
)
AGE_EXPLAIN = (
    "**Altersgruppe:** Gezählt werden die Kinder der Altersgruppe der Seitenleiste (oder, wenn "
    "oben gewählt, die ganze Zielgruppe der Kategorie). Um die Plätze eines Angebots "
    "konkurrieren dabei immer alle Kinder der Zielgruppe, die es erreichen und denen es offen "
    "steht; für eine Altersgruppe zählen nur die Angebote, die sie aufnehmen."
)
AGE_MAP = "Die Karte gilt wie die Seitenleiste für {who}."
SUPPLY_TITLE = "Versorgung: Plätze je 1.000 {who} ({label}, {mode})"
COL_GEMEINDE = "Gemeinde"
COL_AGS = "AGS"
COL_NEAREST = "nächster Ort"
COL_KM = "Entfernung zum Ort (km)"
OUTSIDE = "außerhalb der Gemeindeflächen"


def span(groups: Sequence[str]) -> str:
    """``("0-3", "3-6")`` → ``"0–6"``; non-adjacent groups listed (``"0–3, 10–18"``)."""
    bounds = sorted((int(g.split("-")[0]), int(g.split("-")[1])) for g in groups)
    if bounds and all(a[1] == b[0] for a, b in itertools.pairwise(bounds)):
        return f"{bounds[0][0]}–{bounds[-1][1]}"
    return ", ".join(f"{lo}–{hi}" for lo, hi in bounds)


def who(groups: Sequence[str]) -> str:
    """German phrase of the children counted (``"Kinder 0–3 Jahre"``)."""
    return f"Kinder {span(groups)} Jahre"


@dataclass(frozen=True)
class AgeChoice:
    """The age groups the figures of a page cover.

    Attributes
    ----------
    groups
        The groups counted as demand (empty when the category does not serve
        the sidebar's group and the whole target group is not chosen).
    whole
        Whether these are the category's whole target group.
    options
        Radio labels (key → German label); a single entry when the sidebar's
        group is the whole target group (no choice to make).
    note
        German note when there are no figures ("" otherwise).
    pool
        The groups competing for the places (the category's target group).
    """

    groups: tuple[str, ...]
    whole: bool
    options: dict[str, str]
    note: str
    pool: tuple[str, ...]

    @property
    def who(self) -> str:
        """``"Kinder 0–3 Jahre"`` (empty without groups)."""
        return who(self.groups) if self.groups else ""


def age_choice(results: Results, category: str, sidebar_group: str, choice: str) -> AgeChoice:
    """The age groups of the figures for the sidebar's group and the page's radio.

    Parameters
    ----------
    results
        The run (category table, offers and their ``serves``).
    category
        The category shown.
    sidebar_group
        ``page.view.age_group``.
    choice
        :data:`AGE_SIDEBAR` or :data:`AGE_WHOLE`.
    """
    cat = results.settings.categories()[category]
    whole_groups = tuple(cat.age_groups)
    pool = age_supply.target_groups(results.offers, category, cat, sidebar_group)
    options = {AGE_SIDEBAR: AGE_OPTIONS[AGE_SIDEBAR].format(ages=span([sidebar_group]))}
    if whole_groups != (sidebar_group,):
        options[AGE_WHOLE] = AGE_OPTIONS[AGE_WHOLE].format(ages=span(whole_groups))
    if choice == AGE_WHOLE and AGE_WHOLE in options:
        return AgeChoice(whole_groups, True, options, "", whole_groups)
    if sidebar_group not in pool:
        note = AGE_NOT_SERVED.format(
            label=cat.label, who=who([sidebar_group]), ages=span(whole_groups)
        )
        return AgeChoice((), False, options, note, pool)
    return AgeChoice((sidebar_group,), pool == (sidebar_group,), options, "", pool)


def with_age_headers(frame: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """``frame`` with "Kinder" in its headers naming the age groups (``Kinder 0–3 Jahre``)."""
    phrase = who(groups)
    return frame.rename(columns=lambda c: str(c).replace("Kinder", phrase, 1))


def _km(x: float) -> str:
    return "" if x is None or not math.isfinite(float(x)) else planning_logic.decimal_de(x, 1)


def place_columns(results: Results, sites: Any) -> dict[str, list[Any]]:
    """Gemeinde, AGS, nearest village and its distance (km, decimal comma) per site."""
    p = site_places(sites, results.villages, results.boundaries)
    inside = p["ags"].notna() & p["ags"].astype(str).ne("")
    return {
        COL_GEMEINDE: p["gemeinde"].astype(str).where(inside, OUTSIDE).tolist(),
        COL_AGS: p["ags"].astype(str).where(inside, "").tolist(),
        COL_NEAREST: ["" if pd.isna(n) else str(n) for n in p["nearest_village"]],
        COL_KM: [_km(k) for k in p["nearest_km"]],
    }


def sites_table(
    results: Results, suggestion: locations.LocationSuggestion, groups: Sequence[str]
) -> pd.DataFrame:
    """The suggested sites with their Gemeinde and nearest village, headers naming the ages."""
    frame = planning_logic.sites_display(suggestion, place_columns(results, suggestion.sites))
    phrase = who(groups)
    return frame.rename(
        columns={
            texts.LOC_COL_GAIN: texts.LOC_COL_GAIN.replace("Kinder", phrase),
            texts.LOC_COL_SHARE: texts.LOC_COL_SHARE.replace("Kinder", phrase),
        }
    )


# -- Streamlit -------------------------------------------------------------------------


def age_radio(page: Page, category: str, *, key: str, where: Any = None) -> AgeChoice:
    """The page's age radio (sidebar group or whole target group) and the resulting choice."""
    first = age_choice(page.results, category, page.view.age_group, AGE_SIDEBAR)
    if len(first.options) < 2:
        return first
    if st.session_state.get(key) not in first.options:
        st.session_state[key] = AGE_SIDEBAR
    pick = (where or st).radio(
        AGE_RADIO,
        list(first.options),
        format_func=first.options.__getitem__,
        key=key,
        horizontal=True,
        help=AGE_RADIO_HELP,
    )
    return age_choice(page.results, category, page.view.age_group, str(pick))


def map_age_caption(page: Page, groups: Sequence[str]) -> None:
    """Say that a map shows the sidebar's age group when the figures cover other groups."""
    if groups and tuple(groups) != (page.view.age_group,):
        st.caption(AGE_MAP.format(who=who([page.view.age_group])))


@st.cache_resource(show_spinner=False, max_entries=32)
def _group_tables(  # noqa: PLR0917 (positional: the cache key)
    region_file: str,
    mtime: float,
    settings_key: str,
    category: str,
    mode: str,
    groups: tuple[str, ...],
    _results: Results,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 2SFCA tables of one age group, computed once per region run and key."""
    r = _results
    return age_supply.group_supply_tables(
        r.travel_times, r.villages, r.offers, r.boundaries,
        settings=r.settings, category=category, mode=mode, age_groups=groups,
    )  # fmt: skip


def group_supply_view(
    page: Page, category: str, mode: str, ages: AgeChoice
) -> planning_logic.SupplyView:
    """The supply view of the chosen groups (the run's stored tables for the whole group)."""
    cat = page.results.settings.categories()[category]
    if ages.groups == tuple(cat.age_groups):
        return planning_logic.supply_view(page.results, category, mode)
    tables = _group_tables(*region_key(page), category, mode, ages.groups, page.results)
    return planning_logic.supply_view(page.results, category, mode, tables)


@st.cache_resource(show_spinner=False, max_entries=32)
def suggestion_for_groups(  # noqa: PLR0917 (positional: the cache key)
    region_file: str,
    mtime: float,
    settings_key: str,
    category: str,
    mode: str,
    k: int,
    model: str,
    threshold: float,
    groups: tuple[str, ...],
    _results: Results,
) -> locations.LocationSuggestion:
    """Suggestions with the villages as candidates for the children of ``groups``, shared."""
    cands = cache.village_candidates_for(region_file, mtime, settings_key, mode, _results)
    return planning_logic.suggest(
        _results,
        cache.routers_for(_results),
        category=category,
        mode=mode,
        k=k,
        model=model,
        threshold=threshold,
        village_candidates=cands,
        age_groups=groups,
    )
