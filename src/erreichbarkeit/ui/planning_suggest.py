"""The Standortvorschläge tab of the Planung page (German UI).

Own candidate sites and the last suggestion live in ``st.session_state``;
suggestions with the villages as candidates come from the shared cache
(:func:`erreichbarkeit.ui.planning_ages.suggestion_for_groups`), those with a user's own
sites are computed through :func:`erreichbarkeit.ui.planning_logic.suggest`
and kept in that user's session.  The children counted are the sidebar's age
group unless the tab's radio asks for the category's whole target group
(:mod:`erreichbarkeit.ui.planning_ages`).
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.ui import cache, planning_ages, planning_logic, texts, views
from erreichbarkeit.ui.page_setup import Page, region_key
from erreichbarkeit.ui.state import session_dir
from erreichbarkeit.ui.tables import format_int, format_minutes, german

__all__ = ["suggestions_tab"]

_MEMO_SIZE = 4


def _own_candidates(page: Page) -> Any:
    """The uploaded own candidate sites of this session (None without a valid upload)."""
    file = st.file_uploader(
        texts.LOC_UPLOAD,
        type=[s.lstrip(".") for s in planning_logic.CANDIDATE_SUFFIXES],
        help=texts.LOC_UPLOAD_HELP,
        key="loc_upload",
    )
    if file is None:
        st.session_state.pop("_loc_own", None)
        return None
    raw = file.getvalue()
    ident = (file.name, len(raw), hash(raw))
    stored = st.session_state.get("_loc_own")
    if stored is None or stored[0] != ident:
        try:
            own = planning_logic.read_candidates(
                raw, file.name, workdir=session_dir() / "kandidaten"
            )
            stored = (ident, own, None)
        except ErreichbarkeitError as exc:
            stored = (ident, None, exc.german)
        st.session_state["_loc_own"] = stored
    if stored[2]:
        st.error(stored[2])
    return stored[1]


def suggestions_tab(page: Page, default_category: str) -> None:
    """The location suggestions: choice, candidates, the model run and its result."""
    results = page.results
    cats = list(results.categories)
    labels = page.choice["labels"]
    modes = list(results.settings.modes)
    if st.session_state.get("loc_category") not in cats:
        st.session_state["loc_category"] = default_category
    if st.session_state.get("loc_mode") not in modes:
        st.session_state["loc_mode"] = page.view.mode
    if st.session_state.get("loc_model") not in texts.LOC_MODELS:
        st.session_state["loc_model"] = "mclp"
    st.session_state.setdefault("loc_k", 1)
    st.session_state.setdefault("loc_use_villages", True)
    c1, c2, c3 = st.columns(3)
    cat = c1.selectbox(
        texts.LOC_CATEGORY, cats, format_func=lambda c: labels.get(c, c), key="loc_category"
    )
    mode = c2.radio(
        texts.LOC_MODE, modes, format_func=lambda m: MODE_LABELS.get(m, m), key="loc_mode",
        horizontal=True,
    )  # fmt: skip
    k = int(c3.slider(texts.LOC_K, min_value=1, max_value=5, key="loc_k"))
    c4, c5 = st.columns([2, 1])
    model = c4.radio(
        texts.LOC_MODEL, list(texts.LOC_MODELS), format_func=lambda m: texts.LOC_MODELS[m],
        key="loc_model", help=texts.LOC_MODEL_HELP,
    )  # fmt: skip
    thr_key = f"loc_thr_{cat}_{mode}"
    st.session_state.setdefault(thr_key, float(results.settings.threshold(cat, mode)))
    threshold = float(
        c5.number_input(
            texts.LOC_THRESHOLD,
            min_value=1.0,
            max_value=float(results.settings.routing.cutoff_minutes),
            step=1.0,
            format="%.0f",
            key=thr_key,
        )
    )
    ages = planning_ages.age_radio(page, cat, key="loc_ages")
    if not ages.groups:
        st.info(ages.note)
        return
    st.markdown(planning_ages.AGE_COVERS.format(who=ages.who))
    use_villages = st.checkbox(texts.LOC_USE_VILLAGES, key="loc_use_villages")
    own = _own_candidates(page)
    own_key = None if own is None else st.session_state["_loc_own"][0]
    key = (region_key(page), cat, mode, k, model, threshold, use_villages, own_key, ages.groups)
    st.caption(texts.LOC_HINT)
    if st.button(texts.LOC_RUN, key="loc_run", type="primary"):
        if not use_villages and own is None:
            st.warning(texts.LOC_NO_CANDIDATES)
        else:
            started = time.perf_counter()
            try:
                with st.spinner(texts.LOC_RUNNING):
                    suggestion = _run_suggestion(page, key, own)
            except ErreichbarkeitError as exc:
                st.error(exc.german)
            else:
                st.session_state["loc_result"] = (key, suggestion)
                st.session_state["loc_last_seconds"] = time.perf_counter() - started
    stored = st.session_state.get("loc_result")
    if stored is None or stored[0] != key:
        return
    _show_suggestion(page, stored[1], cat, mode, threshold, groups=ages.groups)


def _run_suggestion(page: Page, key: tuple[Any, ...], own: Any) -> Any:
    (rkey, cat, mode, k, model, threshold, use_villages, _own, groups) = key
    region_file, mtime, settings_key = rkey
    if own is None:
        return planning_ages.suggestion_for_groups(
            region_file, mtime, settings_key, cat, mode, k, model, threshold, groups, page.results
        )
    # own candidate sites are this user's data: kept in the session, not the shared cache
    memo: dict[Any, Any] = st.session_state.setdefault("_loc_memo", {})
    if key not in memo:
        village_cands = (
            cache.village_candidates_for(region_file, mtime, settings_key, mode, page.results)
            if use_villages
            else None
        )
        memo[key] = planning_logic.suggest(
            page.results,
            cache.routers_for(page.results),
            category=cat,
            mode=mode,
            k=k,
            model=model,
            threshold=threshold,
            village_candidates=village_cands,
            own=own,
            age_groups=groups,
        )
        while len(memo) > _MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo[key]


def _show_suggestion(
    page: Page, suggestion: Any, cat: str, mode: str, threshold: float, *, groups: tuple[str, ...]
) -> None:
    from streamlit_folium import st_folium  # noqa: PLC0415

    st.markdown(suggestion.objective)
    if suggestion.note:
        st.info(suggestion.note)
    who = planning_ages.who(groups)
    c1, c2, c3 = st.columns(3)
    c1.metric(texts.LOC_BEFORE.replace("Kinder", who, 1), format_int(suggestion.covered_before))
    c2.metric(
        texts.LOC_AFTER.replace("Kinder", who, 1),
        format_int(suggestion.covered_after),
        format_int(suggestion.covered_after - suggestion.covered_before),
    )
    c3.metric(
        texts.LOC_MEAN,
        f"{format_minutes(suggestion.mean_minutes_before)} → "
        f"{format_minutes(suggestion.mean_minutes_after)}",
    )
    st.dataframe(
        german(planning_ages.sites_table(page.results, suggestion, groups)),
        hide_index=True,
        width="stretch",
        key="loc_sites",
    )
    st.caption(
        texts.LOC_TIME.format(
            seconds=planning_logic.decimal_de(suggestion.solver_seconds, 1),
            n=suggestion.candidates_considered,
        )
    )
    data = views.view_data(page.results)  # the model's offers: the region's, no upload
    view = views.compute_view(
        data,
        mode=mode,
        categories=[cat],
        age_group=page.view.age_group,
        thresholds={cat: threshold},
    )
    fmap = planning_logic.plan_map(
        data, view, cat, marks=planning_logic.site_marks(suggestion),
        marks_name=texts.MARK_LAYER_SITES, basemap=page.choice["basemap"], layers=page.layers,
    )  # fmt: skip
    st_folium(fmap, height=480, use_container_width=True, returned_objects=[], key="loc_map")
    planning_ages.map_age_caption(page, groups)
