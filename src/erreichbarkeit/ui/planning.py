"""The planning pages (German UI): Versorgung and Planung (Was wäre wenn, Standortvorschläge).

Per-user state (the scenario being edited, the two remembered scenarios,
own candidate sites, the last suggestion) lives in ``st.session_state``
only; the region's run, routers, address index and the suggestions with the
villages as candidates are shared read-only through
:mod:`erreichbarkeit.ui.cache`.  The numbers come from the library
(:mod:`erreichbarkeit.planning.scenarios`, :mod:`erreichbarkeit.planning.locations`, the run's
supply tables) through :mod:`erreichbarkeit.ui.planning_logic`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from erreichbarkeit.config import MODE_LABELS
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.planning import scenarios
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache, logic, planning_logic, texts
from erreichbarkeit.ui.dashboard import (
    _map_category,
    _Page,
    _region_key,
    _session_dir,
    _setup,
    format_int,
    format_minutes,
)

__all__ = ["planning_page", "supply_page"]

logger = logging.getLogger(__name__)

_SCENARIO_MEMO_SIZE = 8
_VIEW_MEMO_SIZE = 4
_SLOTS = ("A", "B")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _de(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _ages(results: Results, category: str) -> str:
    groups = results.settings.categories()[category].age_groups
    return ", ".join(g.replace("-", "–") for g in groups)


# -- Versorgung ------------------------------------------------------------------------


def supply_page(root: Path | None = None) -> None:
    """Supply versus demand (2SFCA) per village and Gemeinde for the chosen category and mode."""
    page = _setup(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_SUPPLY)
        return
    labels = page.choice["labels"]
    mode = page.view.mode
    cat = _map_category(page.view, labels, where=st.sidebar, label=texts.SUPPLY_CATEGORY)
    label = labels.get(cat, cat)
    sv = planning_logic.supply_view(page.results, cat, mode)
    st.title(texts.SUPPLY_TITLE.format(label=label, mode=MODE_LABELS.get(mode, mode)))
    ages = _ages(page.results, cat)
    st.caption(
        texts.SUPPLY_CATCHMENT.format(
            minutes=f"{sv.threshold:g}", mode=MODE_LABELS.get(mode, mode), ages=ages
        )
    )
    sidebar_thr = float(page.view.thresholds.get(cat, sv.threshold))
    if sidebar_thr != sv.threshold:
        st.info(
            texts.SUPPLY_THRESHOLD_DIFFERS.format(
                sidebar=f"{sidebar_thr:g}", minutes=f"{sv.threshold:g}"
            )
        )
    with st.expander(texts.SUPPLY_HOW):
        st.markdown(texts.SUPPLY_EXPLAIN)
    if sv.villages.empty:
        st.info(texts.SUPPLY_NONE)
        return
    if sv.basis == "Angebote":
        st.warning(texts.SUPPLY_MISSING_CAPACITY.format(note=sv.note))
    per = texts.SUPPLY_PER_OFFERS if sv.basis == "Angebote" else texts.SUPPLY_PER_PLACES
    raw = sv.raw_villages
    none = raw["access"].fillna(0.0) <= 0
    ratio = sv.total_supply / sv.total_demand * 1000 if sv.total_demand > 0 else float("nan")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(texts.SUPPLY_KPI_DEMAND.format(ages=ages), format_int(sv.total_demand))
    c2.metric(texts.SUPPLY_KPI_RATIO.format(per=per), format_minutes(ratio))
    c3.metric(texts.SUPPLY_KPI_NO_ACCESS, format_int(float(raw.loc[none, "demand"].sum())))
    c4.metric(texts.SUPPLY_KPI_VILLAGES, format_int(float(none.sum())))
    st.subheader(texts.SUPPLY_GEMEINDEN)
    st.dataframe(sv.gemeinden, hide_index=True, width="stretch")
    st.subheader(texts.SUPPLY_VILLAGES)
    st.dataframe(sv.villages, hide_index=True, width="stretch")


# -- Planung -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    """What the what-if callbacks need (passed as widget callback arguments)."""

    results: Results
    region_key: tuple[str, float, str]


def _created() -> str:
    created = st.session_state.get("wi_created")
    if not isinstance(created, str):
        created = scenarios.new_scenario("x", []).created
        st.session_state["wi_created"] = created
    return created


def _changes() -> tuple[scenarios.Change, ...]:
    return tuple(st.session_state.get("wi_changes", ()))


def _scenario_name() -> str:
    return str(st.session_state.get("wi_name") or texts.WI_DEFAULT_NAME).strip()


def _apply(ctx: _Ctx, changes: tuple[scenarios.Change, ...], name: str) -> scenarios.ScenarioResult:
    """The scenario applied to the region's run, memoised per session on the changes.

    Raises
    ------
    ErreichbarkeitError
        A change the library rejects (German message).
    """
    memo: dict[Any, scenarios.ScenarioResult] = st.session_state.setdefault("_wi_memo", {})
    key = (ctx.region_key, changes)
    scenario = scenarios.Scenario(name=name, changes=changes, created=_created())
    if key not in memo:
        started = time.perf_counter()
        # start from the longest memoised prefix: adding a change routes only that
        # change (apply_scenario on a scenario's Results is a run with those offers)
        n = len(changes) - 1
        while n > 0 and (ctx.region_key, changes[:n]) not in memo:
            n -= 1
        prev = memo.get((ctx.region_key, changes[:n])) if n else None
        step = scenarios.apply_scenario(
            prev.results if prev is not None else ctx.results,
            scenarios.Scenario(name=name, changes=changes[n:], created=scenario.created),
            cache.routers_for(ctx.results),
            address_index=cache.address_index_for(*ctx.region_key, ctx.results),
        )
        if prev is not None:
            step = dataclasses.replace(
                step,
                changed_offers=tuple(dict.fromkeys(prev.changed_offers + step.changed_offers)),
                affected_categories=tuple(
                    dict.fromkeys(prev.affected_categories + step.affected_categories)
                ),
                notes=prev.notes + step.notes,
            )
        memo[key] = step
        st.session_state["wi_last_seconds"] = time.perf_counter() - started
        while len(memo) > _SCENARIO_MEMO_SIZE:
            memo.pop(next(iter(memo)))
    # the name only labels the comparison: no recomputation when it changes
    return dataclasses.replace(memo[key], scenario=scenario)


def _position() -> dict[str, Any]:
    if st.session_state.get("wi_pos", "coords") == "address":
        return {"address": str(st.session_state.get("wi_address") or "").strip() or None}
    return {
        "lat": float(st.session_state.get("wi_lat", 0.0)),
        "lon": float(st.session_state.get("wi_lon", 0.0)),
    }


def _change_from_widgets() -> scenarios.Change:
    kind = st.session_state.get("wi_kind", "add")
    if kind == "close":
        return scenarios.Change("close", str(st.session_state.get("wi_offer") or ""))
    if kind == "move":
        return scenarios.Change("move", str(st.session_state.get("wi_offer") or ""), **_position())
    name = str(st.session_state.get("wi_offer_name") or "").strip() or texts.WI_ADDED_NAME
    return scenarios.Change(
        "add", "", name=name, category=st.session_state.get("wi_category"), **_position()
    )


def _cb_add(ctx: _Ctx) -> None:
    """Add the change described by the form (checked by applying it first)."""
    try:
        changes = (*_changes(), _change_from_widgets())
        _apply(ctx, changes, _scenario_name())
    except ErreichbarkeitError as exc:
        st.session_state["wi_error"] = exc.german
        return
    st.session_state["wi_changes"] = list(changes)
    st.session_state.pop("wi_error", None)


def _cb_remove(index: int) -> None:
    changes = list(_changes())
    if 0 <= index < len(changes):
        changes.pop(index)
    st.session_state["wi_changes"] = changes
    st.session_state.pop("wi_error", None)


def _cb_clear() -> None:
    st.session_state["wi_changes"] = []
    st.session_state.pop("wi_error", None)


def _cb_keep(slot: str) -> None:
    slots: dict[str, scenarios.Scenario] = st.session_state.setdefault("wi_slots", {})
    slots[slot] = scenarios.Scenario(_scenario_name(), _changes(), _created())


def _cb_forget(slot: str) -> None:
    st.session_state.setdefault("wi_slots", {}).pop(slot, None)


def _cb_load(ctx: _Ctx) -> None:
    """Read an uploaded scenario file into the editor (German error when it is broken)."""
    file = st.session_state.get("wi_upload")
    st.session_state.pop("wi_load_msg", None)
    if file is None:
        return
    try:
        loaded = planning_logic.load_scenario_bytes(
            file.getvalue(), workdir=_session_dir() / "szenarien"
        )
        _apply(ctx, loaded.changes, loaded.name)
    except ErreichbarkeitError as exc:
        st.session_state["wi_load_msg"] = ("error", exc.german)
        return
    st.session_state["wi_changes"] = list(loaded.changes)
    st.session_state["wi_name"] = loaded.name
    st.session_state["wi_created"] = loaded.created
    st.session_state["wi_load_msg"] = (
        "success",
        texts.WI_LOADED.format(name=loaded.name, n=len(loaded.changes)),
    )


def _scenario_view(
    page: _Page, scen: scenarios.ScenarioResult | None, category: str, threshold: float
) -> tuple[logic.ViewData, logic.View]:
    """Map data and view of the scenario (or the region) for one category, memoised."""
    if scen is None:
        return page.data, page.view
    key = (_region_key(page), scen.scenario.changes, page.view.mode, category,
           page.view.age_group, threshold)  # fmt: skip
    memo: dict[Any, tuple[logic.ViewData, logic.View]] = st.session_state.setdefault(
        "_wi_views", {}
    )
    if key not in memo:
        data = logic.view_data(scen.results)
        memo[key] = (
            data,
            logic.compute_view(
                data,
                mode=page.view.mode,
                categories=[category],
                age_group=page.view.age_group,
                thresholds={category: threshold},
            ),
        )
        while len(memo) > _VIEW_MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo[key]


def _take_click(clicked: Any) -> None:
    """Use a new map click as the position of the form (before its widgets are drawn)."""
    if not isinstance(clicked, dict) or "lat" not in clicked:
        return
    ident = (round(float(clicked["lat"]), 6), round(float(clicked["lng"]), 6))
    if st.session_state.get("_wi_click") == ident:
        return
    st.session_state["_wi_click"] = ident
    st.session_state["wi_lat"], st.session_state["wi_lon"] = ident
    st.session_state["wi_pos"] = "coords"


def _offer_choices(offers: Any, category: str) -> dict[str, str]:
    part = offers[offers["category"] == category]
    records: list[dict[str, Any]] = part.drop(columns="geometry").to_dict("records")
    labels = {str(r["id"]): logic.offer_label(r) for r in records}
    return dict(sorted(labels.items(), key=lambda kv: kv[1].casefold()))


def _change_form(ctx: _Ctx, offers: Any, category: str) -> None:
    results = ctx.results
    lat0, lon0 = planning_logic.region_center(results)
    st.session_state.setdefault("wi_lat", lat0)
    st.session_state.setdefault("wi_lon", lon0)
    if st.session_state.get("wi_kind") not in texts.WI_KINDS:
        st.session_state["wi_kind"] = "add"
    kind = st.radio(
        texts.WI_KIND,
        list(texts.WI_KINDS),
        format_func=lambda k: texts.WI_KINDS[k],
        key="wi_kind",
        horizontal=True,
    )
    if kind in ("move", "close"):
        choices = _offer_choices(offers, category)
        if st.session_state.get("wi_offer") not in choices:
            st.session_state["wi_offer"] = next(iter(choices), None)
        st.selectbox(
            texts.WI_OFFER, list(choices), format_func=lambda i: choices.get(i, i), key="wi_offer"
        )
    else:
        cats = list(results.categories)
        labels = {k: c.label for k, c in results.settings.categories().items()}
        if st.session_state.get("wi_category") not in cats:
            st.session_state["wi_category"] = category
        st.text_input(texts.WI_OFFER_NAME, key="wi_offer_name")
        st.selectbox(
            texts.WI_OFFER_CATEGORY, cats, format_func=lambda c: labels.get(c, c), key="wi_category"
        )
    if kind in ("add", "move"):
        if st.session_state.get("wi_pos") not in texts.WI_POSITIONS:
            st.session_state["wi_pos"] = "coords"
        pos = st.radio(
            texts.WI_POSITION,
            list(texts.WI_POSITIONS),
            format_func=lambda k: texts.WI_POSITIONS[k],
            key="wi_pos",
            horizontal=True,
        )
        if pos == "coords":
            c1, c2 = st.columns(2)
            c1.number_input(texts.WI_LAT, format="%.6f", step=0.001, key="wi_lat")
            c2.number_input(texts.WI_LON, format="%.6f", step=0.001, key="wi_lon")
            st.caption(texts.WI_CLICK_HINT)
        else:
            st.text_input(texts.WI_ADDRESS, key="wi_address")
    st.button(texts.WI_ADD, key="wi_add", on_click=_cb_add, args=(ctx,), type="primary")
    error = st.session_state.get("wi_error")
    if error:
        st.error(error)


def _change_list(
    changes: tuple[scenarios.Change, ...], base_offers: Any, labels: dict[str, str]
) -> None:
    st.markdown(f"**{texts.WI_CHANGES}**")
    if not changes:
        st.caption(texts.WI_NO_CHANGES)
        return
    for i, change in enumerate(changes):
        c1, c2 = st.columns([5, 1])
        c1.markdown(f"{i + 1}. {planning_logic.change_label(change, base_offers, labels)}")
        c2.button(texts.WI_REMOVE, key=f"wi_rm_{i}", on_click=_cb_remove, args=(i,))
    st.button(texts.WI_CLEAR, key="wi_clear", on_click=_cb_clear)


def _show_delta(delta: scenarios.ScenarioDelta) -> None:
    st.subheader(texts.WI_RESULT)
    st.info(delta.summary_de)
    cols = st.columns(3)
    for col, (label, after, diff) in zip(cols, planning_logic.kpi_metric_rows(delta), strict=False):
        digits = 1 if "Median" in label else 0
        col.metric(
            label,
            _de(after, digits) if digits else format_int(after),
            _de(diff, digits) if diff else None,
            delta_color="inverse",
        )
    st.caption(
        texts.WI_CROSSED.format(
            within=len(delta.moved_within),
            cw=format_int(delta.children_moved_within),
            beyond=len(delta.moved_beyond),
            cb=format_int(delta.children_moved_beyond),
        )
    )
    st.markdown(f"**{texts.WI_KPIS}**")
    st.dataframe(delta.kpis_de(), hide_index=True, width="stretch", key="wi_kpis")
    st.markdown(f"**{texts.WI_MOVED}**")
    if delta.villages.empty:
        st.caption(texts.WI_NONE_MOVED)
    else:
        st.dataframe(delta.villages_de(), hide_index=True, width="stretch", key="wi_villages")


def _slot_results(
    ctx: _Ctx,
) -> dict[str, scenarios.ScenarioResult]:
    out: dict[str, scenarios.ScenarioResult] = {}
    for slot, scen in st.session_state.get("wi_slots", {}).items():
        try:
            out[slot] = _apply(ctx, scen.changes, scen.name)
        except ErreichbarkeitError as exc:
            st.error(f"{slot}: {exc.german}")
    return out


def _files_and_slots(
    page: _Page,
    ctx: _Ctx,
    delta: scenarios.ScenarioDelta | None,
    choice: dict[str, Any],
) -> None:
    with st.expander(texts.WI_FILES, expanded=bool(st.session_state.get("wi_slots"))):
        changes = _changes()
        c1, c2 = st.columns(2)
        if changes:
            scenario = scenarios.Scenario(_scenario_name(), changes, _created())
            c1.download_button(
                texts.WI_SAVE,
                planning_logic.scenario_json_bytes(
                    scenario,
                    workdir=_session_dir() / "szenarien",
                    region=page.results.settings.name,
                ),
                planning_logic.scenario_name_slug(scenario.name) + ".json",
                "application/json",
                key="wi_save",
                on_click="ignore",
            )
        c2.file_uploader(
            texts.WI_LOAD, type=["json"], key="wi_upload", on_change=_cb_load, args=(ctx,)
        )
        msg = st.session_state.get("wi_load_msg")
        if msg:
            (st.error if msg[0] == "error" else st.success)(msg[1])
        st.markdown(f"**{texts.WI_SLOTS}**")
        st.caption(texts.WI_SLOTS_HINT)
        cols = st.columns(2)
        slots: dict[str, scenarios.Scenario] = st.session_state.get("wi_slots", {})
        for col, slot in zip(cols, _SLOTS, strict=True):
            col.button(
                texts.WI_KEEP.format(slot=slot),
                key=f"wi_keep_{slot}",
                on_click=_cb_keep,
                args=(slot,),
                disabled=not changes,
            )
            if slot in slots:
                kept = slots[slot]
                col.caption(
                    texts.WI_SLOT_LABEL.format(slot=slot, name=kept.name, n=len(kept.changes))
                )
                col.button(
                    texts.WI_SLOT_FORGET.format(slot=slot),
                    key=f"wi_forget_{slot}",
                    on_click=_cb_forget,
                    args=(slot,),
                )
        side = None
        kept_results = _slot_results(ctx)
        if len(kept_results) == len(_SLOTS):
            try:
                side = scenarios.compare_two(
                    kept_results["A"], kept_results["B"], base=page.results, **choice
                )
            except ErreichbarkeitError as exc:
                st.error(exc.german)
            else:
                st.dataframe(side, hide_index=True, width="stretch", key="wi_side")
                if delta is None:
                    delta = scenarios.compare(kept_results["A"], kept_results["B"], **choice)
        if delta is not None:
            st.download_button(
                texts.WI_EXPORT,
                functools.partial(
                    planning_logic.comparison_xlsx,
                    delta,
                    base=page.results,
                    side_by_side=side,
                    workdir=_session_dir() / "vergleich",
                ),
                planning_logic.scenario_name_slug(delta.scenario_name) + ".xlsx",
                _XLSX,
                key="wi_export",
                on_click="ignore",
            )


def _what_if(page: _Page, category: str) -> None:
    from streamlit_folium import st_folium  # noqa: PLC0415

    results = page.results
    ctx = _Ctx(results, _region_key(page))
    threshold = float(page.view.thresholds[category])
    choice = {
        "category": category,
        "mode": page.view.mode,
        "age_group": page.view.age_group,
        "threshold": threshold,
    }
    st.markdown(f"##### {logic.view_subtitle(page.view, category, page.choice['labels'])}")
    st.session_state.setdefault("wi_name", texts.WI_DEFAULT_NAME)
    st.text_input(texts.WI_NAME, key="wi_name")
    changes = _changes()
    scen: scenarios.ScenarioResult | None = None
    if changes:
        try:
            scen = _apply(ctx, changes, _scenario_name())
        except ErreichbarkeitError as exc:
            st.error(exc.german)
    data, view = _scenario_view(page, scen, category, threshold)
    marks = planning_logic.change_marks(
        changes, results.offers, scen.results.offers if scen is not None else None
    )
    left, right = st.columns([3, 2])
    with left:
        fmap = planning_logic.plan_map(
            data, view, category, marks=marks, marks_name=texts.MARK_LAYER_CHANGES,
            basemap=page.choice["basemap"], layers=page.layers,
        )  # fmt: skip
        out = st_folium(
            fmap,
            height=520,
            use_container_width=True,
            returned_objects=["last_clicked"],
            key="wi_map",
        )
        _take_click((out or {}).get("last_clicked"))
    with right:
        offers = scen.results.offers if scen is not None else results.offers
        _change_form(ctx, offers, category)
        _change_list(changes, results.offers, page.choice["labels"])
        if scen is not None and "wi_last_seconds" in st.session_state:
            st.caption(texts.WI_TIME.format(seconds=_de(st.session_state["wi_last_seconds"], 2)))
    delta = None
    if scen is not None:
        delta = scenarios.compare(
            results,
            scen,
            category=category,
            mode=page.view.mode,
            age_group=page.view.age_group,
            threshold=threshold,
        )
        _show_delta(delta)
    _files_and_slots(page, ctx, delta, choice)


def _own_candidates(page: _Page) -> Any:
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
                raw, file.name, workdir=_session_dir() / "kandidaten"
            )
            stored = (ident, own, None)
        except ErreichbarkeitError as exc:
            stored = (ident, None, exc.german)
        st.session_state["_loc_own"] = stored
    if stored[2]:
        st.error(stored[2])
    return stored[1]


def _suggestions(page: _Page, default_category: str) -> None:
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
        key="loc_model",
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
    use_villages = st.checkbox(texts.LOC_USE_VILLAGES, key="loc_use_villages")
    own = _own_candidates(page)
    own_key = None if own is None else st.session_state["_loc_own"][0]
    key = (_region_key(page), cat, mode, k, model, threshold, use_villages, own_key)
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
    _show_suggestion(page, stored[1], cat, mode, threshold)


def _run_suggestion(page: _Page, key: tuple[Any, ...], own: Any) -> Any:
    (rkey, cat, mode, k, model, threshold, use_villages, _own) = key
    region_file, mtime, settings_key = rkey
    if own is None:
        return cache.suggestion_for(
            region_file, mtime, settings_key, cat, mode, k, model, threshold, page.results
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
        )
        while len(memo) > _VIEW_MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo[key]


def _show_suggestion(page: _Page, suggestion: Any, cat: str, mode: str, threshold: float) -> None:
    from streamlit_folium import st_folium  # noqa: PLC0415

    st.markdown(suggestion.objective)
    if suggestion.note:
        st.info(suggestion.note)
    c1, c2, c3 = st.columns(3)
    c1.metric(texts.LOC_BEFORE, format_int(suggestion.covered_before))
    c2.metric(
        texts.LOC_AFTER,
        format_int(suggestion.covered_after),
        format_int(suggestion.covered_after - suggestion.covered_before),
    )
    c3.metric(
        texts.LOC_MEAN,
        f"{format_minutes(suggestion.mean_minutes_before)} → "
        f"{format_minutes(suggestion.mean_minutes_after)}",
    )
    st.dataframe(
        planning_logic.sites_display(suggestion), hide_index=True, width="stretch", key="loc_sites"
    )
    st.caption(
        texts.LOC_TIME.format(
            seconds=_de(suggestion.solver_seconds, 1), n=suggestion.candidates_considered
        )
    )
    data = logic.view_data(page.results)  # the model's offers: the region's, no upload
    view = logic.compute_view(
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


def planning_page(root: Path | None = None) -> None:
    """Planung: what-if scenarios and location suggestions (only the open tab runs)."""
    page = _setup(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_PLANNING)
        return
    labels = page.choice["labels"]
    cat = _map_category(page.view, labels, where=st.sidebar)
    st.title(texts.PAGE_PLANNING)
    if "upload" in st.session_state:
        st.caption(texts.PLAN_UPLOAD_NOTE)
    what_if, suggest = st.tabs(list(texts.PLAN_TABS), key="plan_tab", on_change="rerun")
    if what_if.open:
        with what_if:
            _what_if(page, cat)
    if suggest.open:
        with suggest:
            _suggestions(page, cat)
