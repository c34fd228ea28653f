"""The Planung page (German UI): Was wäre wenn (what-if scenarios) and Standortvorschläge.

Per-user state (the scenario being edited, the two remembered scenarios,
own candidate sites, the last suggestion) lives in ``st.session_state``
only; the region's run, routers, address index and the suggestions with the
villages as candidates are shared read-only through
:mod:`erreichbarkeit.ui.cache`.  The numbers come from the library
(:mod:`erreichbarkeit.planning.scenarios`, :mod:`erreichbarkeit.planning.locations`)
through :mod:`erreichbarkeit.ui.planning_logic`.  The Standortvorschläge tab
lives in :mod:`erreichbarkeit.ui.planning_suggest`, the Versorgung page in
:mod:`erreichbarkeit.ui.planning_supply`.
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

from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.planning import scenarios
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache, planning_logic, tables, texts, views
from erreichbarkeit.ui.page_setup import Page, region_key, setup_page
from erreichbarkeit.ui.planning_suggest import suggestions_tab
from erreichbarkeit.ui.sidebar import map_category
from erreichbarkeit.ui.state import session_dir
from erreichbarkeit.ui.tables import comparison_display, format_int, german

__all__ = ["planning_page"]

logger = logging.getLogger(__name__)

_SCENARIO_MEMO_SIZE = 8
_VIEW_MEMO_SIZE = 4
_SLOTS = ("A", "B")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            file.getvalue(), workdir=session_dir() / "szenarien"
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
    page: Page, scen: scenarios.ScenarioResult | None, category: str, threshold: float
) -> tuple[views.ViewData, views.View]:
    """Map data and view of the scenario (or the region) for one category, memoised."""
    if scen is None:
        return page.data, page.view
    key = (region_key(page), scen.scenario.changes, page.view.mode, category,
           page.view.age_group, threshold)  # fmt: skip
    memo: dict[Any, tuple[views.ViewData, views.View]] = st.session_state.setdefault(
        "_wi_views", {}
    )
    if key not in memo:
        data = views.view_data(scen.results)
        memo[key] = (
            data,
            views.compute_view(
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
    labels = {str(r["id"]): tables.offer_label(r) for r in records}
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
        value = delta.median_texts()[1] if digits else format_int(after)  # „> 90 min“
        shown = planning_logic.finite(diff) and diff
        col.metric(
            label,
            value,
            planning_logic.decimal_de(diff, digits) if shown else None,
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
    st.dataframe(
        comparison_display(delta.kpis_de()), hide_index=True, width="stretch", key="wi_kpis"
    )
    st.markdown(f"**{texts.WI_MOVED}**")
    if delta.villages.empty:
        st.caption(texts.WI_NONE_MOVED)
    else:
        st.dataframe(
            german(delta.villages_de()), hide_index=True, width="stretch", key="wi_villages"
        )


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


def _file_buttons(page: Page, ctx: _Ctx, changes: tuple[scenarios.Change, ...]) -> None:
    """Download the scenario being edited as a file, or load one."""
    c1, c2 = st.columns(2)
    if changes:
        scenario = scenarios.Scenario(_scenario_name(), changes, _created())
        c1.download_button(
            texts.WI_SAVE,
            planning_logic.scenario_json_bytes(
                scenario,
                workdir=session_dir() / "szenarien",
                region=page.results.settings.name,
            ),
            planning_logic.scenario_name_slug(scenario.name) + ".json",
            "application/json",
            key="wi_save",
            on_click="ignore",
        )
    c2.file_uploader(texts.WI_LOAD, type=["json"], key="wi_upload", on_change=_cb_load, args=(ctx,))
    msg = st.session_state.get("wi_load_msg")
    if msg:
        (st.error if msg[0] == "error" else st.success)(msg[1])


def _slot_buttons(changes: tuple[scenarios.Change, ...]) -> None:
    """Keep the edited scenario as A or B, or forget a kept one."""
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
            col.caption(texts.WI_SLOT_LABEL.format(slot=slot, name=kept.name, n=len(kept.changes)))
            col.button(
                texts.WI_SLOT_FORGET.format(slot=slot),
                key=f"wi_forget_{slot}",
                on_click=_cb_forget,
                args=(slot,),
            )


def _files_and_slots(
    page: Page,
    ctx: _Ctx,
    delta: scenarios.ScenarioDelta | None,
    choice: dict[str, Any],
) -> None:
    """Scenario files, the kept scenarios A and B side by side, and the comparison workbook."""
    with st.expander(texts.WI_FILES, expanded=bool(st.session_state.get("wi_slots"))):
        changes = _changes()
        _file_buttons(page, ctx, changes)
        _slot_buttons(changes)
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
                st.dataframe(german(side), hide_index=True, width="stretch", key="wi_side")
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
                    workdir=session_dir() / "vergleich",
                ),
                planning_logic.scenario_name_slug(delta.scenario_name) + ".xlsx",
                _XLSX,
                key="wi_export",
                on_click="ignore",
            )


def _what_if(page: Page, category: str) -> None:
    from streamlit_folium import st_folium  # noqa: PLC0415

    results = page.results
    ctx = _Ctx(results, region_key(page))
    threshold = float(page.view.thresholds[category])
    choice = {
        "category": category,
        "mode": page.view.mode,
        "age_group": page.view.age_group,
        "threshold": threshold,
    }
    st.markdown(f"##### {tables.view_subtitle(page.view, category, page.choice['labels'])}")
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
            st.caption(
                texts.WI_TIME.format(
                    seconds=planning_logic.decimal_de(st.session_state["wi_last_seconds"], 2)
                )
            )
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


def planning_page(root: Path | None = None) -> None:
    """Planung: what-if scenarios and location suggestions (only the open tab runs)."""
    page = setup_page(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_PLANNING)
        return
    labels = page.choice["labels"]
    cat = map_category(page.view, labels, where=st.sidebar)
    st.title(texts.PAGE_PLANNING)
    if "upload" in st.session_state:
        st.caption(texts.PLAN_UPLOAD_NOTE)
    what_if, suggest = st.tabs(list(texts.PLAN_TABS), key="plan_tab", on_change="rerun")
    if what_if.open:
        with what_if:
            _what_if(page, cat)
    if suggest.open:
        with suggest:
            suggestions_tab(page, cat)
