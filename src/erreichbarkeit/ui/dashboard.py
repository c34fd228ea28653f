"""The dashboard pages (German UI): map, meeting view, Methodik.

Per-user choices and uploads live in ``st.session_state`` only; the
pipeline run and the region's fixed map layers are shared through
:mod:`erreichbarkeit.ui.cache`.
"""

from __future__ import annotations

import functools
import logging
import math
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.config import AGE_GROUPS, MODE_LABELS
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache, logic, texts
from erreichbarkeit.webmap import maps

__all__ = [
    "about_page",
    "dashboard_page",
    "format_int",
    "format_minutes",
    "meeting_page",
    "steckbrief_section",
]

logger = logging.getLogger(__name__)

_VIEW_MEMO_SIZE = 8
#: Widget keys whose values survive a change of page (see :func:`_keep_widget_state`).
_PERSISTENT_KEYS = frozenset(
    {
        "region",
        "mode",
        "categories",
        "age_group",
        "basemap",
        "map_category",
        "village",
        "extent",
        "grid_surface",
        "grid_bands",
        "band_offers",
        "steckbrief_ags",
        "wi_name",
        "wi_kind",
        "wi_category",
        "wi_pos",
        "wi_lat",
        "wi_lon",
        "wi_address",
        "wi_offer_name",
        "loc_category",
        "loc_mode",
        "loc_k",
        "loc_model",
        "loc_use_villages",
    }
)
_OFFER_BANDS_MEMO_SIZE = 4
_BASEMAP_KEYS = ("none", "basemap.de", "osm")
_PRINT_MIME = {"pdf": "application/pdf", "png": "image/png"}


def format_int(x: float) -> str:
    """German integer with thousands dots (``1.234``); ``–`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{round(x):,}".replace(",", ".")


def format_minutes(x: float) -> str:
    """Minutes with one decimal and a decimal comma; ``–`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.1f}".replace(".", ",")


def _session_dir() -> Path:
    """A temporary folder of this session (removed when the session ends)."""
    holder = st.session_state.get("_tmpdir")
    if holder is None:
        holder = tempfile.TemporaryDirectory(prefix="erreichbarkeit-")
        st.session_state["_tmpdir"] = holder
    return Path(holder.name)


def _load_results(region: logic.Region, data_dir: Path) -> Results | None:
    try:
        settings = cache.load_settings(region.path, data_dir / "cache")
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        return None
    mtime = region.path.stat().st_mtime
    bar = st.empty()
    started = time.perf_counter()

    def progress(step: str, done: int, total: int) -> None:
        frac = min(max(done / total, 0.0), 1.0) if total else 0.0
        bar.progress(frac, text=f"{texts.FIRST_RUN.format(region=region.label)} {step}")

    try:
        results = cache.run_region(
            str(region.path), mtime, settings.cache_key(), settings, progress
        )
    except ErreichbarkeitError as exc:
        bar.empty()
        st.error(exc.german)
        return None
    bar.empty()
    elapsed = time.perf_counter() - started
    if elapsed > 1.0:
        st.toast(f"{texts.FIRST_RUN_DONE} ({elapsed:.0f} s)")
    return results


def _sidebar(results: Results, data: logic.ViewData) -> dict[str, Any] | None:
    sb = st.sidebar
    modes = list(results.settings.modes)
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
    default_cats = [data.categories[0]]
    current = [c for c in st.session_state.get("categories", default_cats) if c in data.categories]
    st.session_state["categories"] = current or default_cats
    cats = sb.multiselect(
        texts.SIDEBAR_CATEGORIES,
        list(data.categories),
        format_func=lambda c: labels.get(c, c),
        key="categories",
    )
    age = sb.selectbox(
        texts.SIDEBAR_AGE,
        list(AGE_GROUPS),
        format_func=lambda g: texts.AGE_LABEL.format(group=g.replace("-", "–")),
        key="age_group",
    )
    thresholds: dict[str, float] = {}
    for cat in cats:
        # the default goes into the session state, not into value=: the value
        # then survives page changes without Streamlit's duplicate-value warning
        st.session_state.setdefault(
            f"thr_{cat}_{mode}", float(results.settings.threshold(cat, mode))
        )
        thresholds[cat] = float(
            sb.number_input(
                texts.SIDEBAR_THRESHOLD.format(label=labels.get(cat, cat)),
                min_value=1.0,
                # thresholds above the cutoff would count reachable villages as
                # unreachable: the travel-time table stops there
                max_value=float(results.settings.routing.cutoff_minutes),
                step=1.0,
                format="%.0f",
                key=f"thr_{cat}_{mode}",
            )
        )
    if st.session_state.get("basemap") not in _BASEMAP_KEYS:
        st.session_state["basemap"] = "none"
    basemap = sb.radio(
        texts.SIDEBAR_BASEMAP_CHOICE,
        _BASEMAP_KEYS,
        format_func=lambda k: texts.BASEMAP_LABELS[k],
        key="basemap",
        help=texts.BASEMAP_HELP,
    )
    return {
        "mode": mode,
        "categories": tuple(cats),
        "age_group": age,
        "thresholds": thresholds,
        "basemap": basemap,
        "labels": labels,
    }


def _view(data: logic.ViewData, choice: dict[str, Any], data_key: tuple[Any, ...]) -> logic.View:
    """Compute the view, memoised per session (map clicks do not recompute)."""
    key = (
        data_key,
        choice["mode"],
        choice["categories"],
        choice["age_group"],
        tuple(sorted(choice["thresholds"].items())),
    )
    memo: dict[Any, logic.View] = st.session_state.setdefault("_views", {})
    if key not in memo:
        started = time.perf_counter()
        memo[key] = logic.compute_view(
            data,
            mode=choice["mode"],
            categories=choice["categories"],
            age_group=choice["age_group"],
            thresholds=choice["thresholds"],
        )
        st.session_state["last_view_seconds"] = time.perf_counter() - started
        while len(memo) > _VIEW_MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo[key]


def _kpi_cards(view: logic.View, labels: dict[str, str]) -> None:
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    store: dict[str, dict[str, float]] = {}
    for cat in view.categories:
        k = logic.kpis(view, cat)
        store[cat] = k
        minutes = view.thresholds[cat]
        st.markdown(f"**{labels.get(cat, cat)}** – Schwellenwert {format_minutes(minutes)} min")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(
            texts.KPI_WITHIN.format(age=age, minutes=format_minutes(minutes)),
            format_int(k["children_within"]),
        )
        c2.metric(texts.KPI_BEYOND.format(age=age), format_int(k["children_beyond"]))
        c3.metric(texts.KPI_UNDERSERVED, format_int(k["underserved"]))
        c4.metric(
            texts.KPI_MEDIAN.format(age=age),
            format_minutes(k["median_min"]),
            help=texts.KPI_HELP_MEDIAN,
        )
    st.session_state["kpis"] = store


def _with_upload(data: logic.ViewData) -> logic.ViewData:
    """The region data plus this session's uploaded offers (merged once per upload)."""
    upload = st.session_state.get("upload")
    if upload is None or upload.get("offers") is None or upload["offers"].empty:
        return data
    key = (_upload_token(upload), id(data.travel_times))
    memo = st.session_state.get("_merged")
    if memo is None or memo[0] != key:
        memo = (key, logic.merge_upload(data, upload["offers"], upload["travel_times"]))
        st.session_state["_merged"] = memo
    merged: logic.ViewData = memo[1]
    return merged


def _upload_section(results: Results, data: logic.ViewData) -> logic.ViewData:
    """The upload expander; returns the data including this session's upload.

    The file uploader forgets its file when the user visits another page;
    the upload itself stays (``_upload_seen`` tells a removal by the user,
    the uploader's ×, from that reset) until removed with the button.
    """
    with st.expander(texts.UPLOAD_HEADER, expanded="upload" in st.session_state):
        file = st.file_uploader(
            texts.UPLOAD_LABEL, type=["csv", "xlsx"], help=texts.UPLOAD_HELP, key="upload_file"
        )
        if file is not None:
            raw = file.getvalue()
            ident = (file.name, len(raw), hash(raw))
            if st.session_state.get("upload_ident") != ident:
                st.session_state["upload"] = process_upload(raw, file.name, results, data)
                st.session_state["upload_ident"] = ident
        elif "upload_ident" in st.session_state and st.session_state.get("_upload_seen"):
            _remove_upload()  # the user removed the file from the uploader
        st.session_state["_upload_seen"] = file is not None
        upload = st.session_state.get("upload")
        if upload is None:
            return data
        if file is None:  # kept from before a page change
            n = 0 if upload.get("offers") is None else len(upload["offers"])
            st.info(texts.UPLOAD_ACTIVE.format(name=upload["outcome"].name, n=n))
            if st.button(texts.UPLOAD_REMOVE, key="upload_remove"):
                _remove_upload()
                st.rerun()
        show_upload_outcome(upload)
    return _with_upload(data)


def _remove_upload() -> None:
    for k in ("upload", "upload_ident", "_merged", "exports"):
        st.session_state.pop(k, None)


def _upload_token(upload: dict[str, Any] | None) -> str | None:
    return None if upload is None else str(upload.get("token"))


def process_upload(raw: bytes, name: str, results: Results, data: logic.ViewData) -> dict[str, Any]:
    """Read an uploaded file and route its valid rows (stored in session_state)."""
    outcome = logic.handle_upload(
        raw,
        name,
        workdir=_session_dir() / "upload",
        categories=data.category_table,
        addresses=results.inputs.addresses,
        region_bounds=tuple(data.villages.total_bounds),
        accept_street_match=results.settings.geocode_accept_street,
    )
    # a token, not id(): memo keys must not collide when Python reuses an address
    out: dict[str, Any] = {
        "outcome": outcome, "offers": None, "travel_times": None, "token": uuid.uuid4().hex,
    }  # fmt: skip
    if outcome.error is None and len(outcome.offers):
        try:
            routers = cache.routers_for(results)
            out["travel_times"] = logic.route_offers(routers, data, outcome.offers)
            out["offers"] = outcome.offers
        except ErreichbarkeitError as exc:
            out["outcome"] = logic.UploadOutcome(name, outcome.offers, outcome.problems, exc.german)
    return out


def show_upload_outcome(upload: dict[str, Any]) -> None:
    """Show errors, row problems and the number of used rows of an upload."""
    outcome: logic.UploadOutcome = upload["outcome"]
    if outcome.error:
        st.error(outcome.error)
    elif upload.get("offers") is not None and len(upload["offers"]):
        st.success(texts.UPLOAD_OK.format(n=len(upload["offers"]), name=outcome.name))
    else:
        st.warning(texts.UPLOAD_NONE_VALID.format(name=outcome.name))
    if outcome.problems:
        st.markdown(texts.UPLOAD_PROBLEMS.format(n=len(outcome.problems)))
        st.dataframe(logic.problems_frame(outcome.problems), hide_index=True, width="stretch")


def _map_category(
    view: logic.View,
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


def _show_map(
    page: _Page,
    category: str,
    *,
    key: str,
    height: int,
    clickable: bool,
    legend_font_px: int = 12,
    bounds: tuple[float, float, float, float] | None = None,
    overlay: logic.GridOverlay | None = None,
) -> Any:
    """Build and show the folium map; returns streamlit-folium's value.

    Only ``last_object_clicked`` is sent back (and nothing on the meeting
    page), so panning and zooming never rerun the script.
    """
    from streamlit_folium import st_folium  # noqa: PLC0415

    selected = st.session_state.get("village") if clickable else None
    started = time.perf_counter()
    fmap = logic.build_view_map(
        page.data,
        page.view,
        category,
        basemap=page.choice["basemap"],
        layers=page.layers,
        selected_id=selected,
        bounds=bounds,
        legend_font_px=legend_font_px,
        overlay=overlay,
    )
    out = st_folium(
        fmap,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked"] if clickable else [],
        key=key,
    )
    st.session_state["last_map_seconds"] = time.perf_counter() - started
    return out


def _apply_click(clicked: Any, view: logic.View) -> None:
    """Select the village the user clicked on the map (once per click)."""
    if not isinstance(clicked, dict) or "lat" not in clicked:
        return
    ident = (round(float(clicked["lat"]), 7), round(float(clicked["lng"]), 7))
    if st.session_state.get("_last_click") == ident:
        return
    st.session_state["_last_click"] = ident
    geom = view.villages.geometry
    dist = (geom.y - ident[0]) ** 2 + (geom.x - ident[1]) ** 2
    if len(dist) and float(dist.min()) < 1e-10:
        st.session_state["village"] = str(view.villages.loc[dist.idxmin(), "id"])


def _village_details(data: logic.ViewData, view: logic.View, table: pd.DataFrame) -> None:
    ids = list(table.index)
    names = dict(zip(table.index, table[texts.COL_NAME], strict=True))
    if st.session_state.get("village") not in ids:
        st.session_state["village"] = ids[0] if ids else None
    vid = st.selectbox(
        texts.VILLAGE_SELECT, ids, format_func=lambda i: str(names.get(i, i)), key="village"
    )
    if vid is None:
        return
    st.markdown(f"**{texts.VILLAGE_DETAILS.format(name=names.get(vid, vid))}**")
    near = logic.nearest_for_village(data, vid, mode=view.mode, categories=view.categories)
    st.dataframe(near, hide_index=True, width="stretch")
    reason = str(table.loc[vid, texts.COL_REASON] or "")
    if reason:
        st.info(texts.VILLAGE_REASON.format(reason=reason))


def _gemeinde_display(view: logic.View, labels: dict[str, str]) -> pd.DataFrame:
    g = view.gemeinden.copy()
    g["category"] = g["category"].map(lambda c: labels.get(c, c))
    g["share_children_beyond"] = (g["share_children_beyond"] * 100).round(1)
    for col in ("children_median_min", "pop_mean_min", "children_beyond"):
        g[col] = g[col].round(1)
    cols = [c for c in texts.GEM_COLUMNS if c in g.columns]
    g = g.sort_values(["n_underserved", "children_beyond"], ascending=False, kind="mergesort")
    return g.loc[:, cols].rename(
        columns={**texts.GEM_COLUMNS, "share_children_beyond": "Anteil Kinder darüber (%)"}
    )


def _export_section(
    page: _Page,
    category: str,
    overlay: logic.GridOverlay | None = None,
    bands: Any = None,
) -> None:
    results, data, view = page.results, page.data, page.view
    with st.expander(texts.EXPORT_HEADER):
        st.caption(texts.EXPORT_HINT)
        if bands is not None and len(bands):
            st.download_button(
                texts.EXPORT_BANDS,
                functools.partial(logic.bands_gpkg_bytes, bands, workdir=_session_dir() / "bands"),
                f"reisezeitbaender-{category}-{view.mode}.gpkg",
                "application/geopackage+sqlite3",
                key="dl_bands",
                on_click="ignore",
            )
        key = (*view.key, category, len(data.offers))
        if st.button(texts.EXPORT_BUILD, key="export_build"):
            try:
                with st.spinner("Dateien werden geschrieben …"):
                    fmap = logic.build_view_map(
                        data,
                        view,
                        category,
                        basemap=page.choice["basemap"],
                        layers=page.layers,
                        overlay=overlay,
                    )
                    files = logic.export_files(
                        results, data, view, workdir=_session_dir(), map_html=maps.map_html(fmap)
                    )
                st.session_state["exports"] = (key, files)
            except ErreichbarkeitError as exc:
                st.error(exc.german)
        stored = st.session_state.get("exports")
        if not stored or stored[0] != key:
            return
        files = stored[1]
        stem = "erreichbarkeit"
        c1, c2, c3, c4 = st.columns(4)
        c1.download_button(
            texts.EXPORT_XLSX,
            files["xlsx"],
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="dl_xlsx",
        )
        c2.download_button(
            texts.EXPORT_CSV, files["orte_csv"], "orte.csv", "text/csv", key="dl_csv"
        )
        c3.download_button(
            texts.EXPORT_GPKG,
            files["gpkg"],
            f"{stem}.gpkg",
            "application/geopackage+sqlite3",
            key="dl_gpkg",
        )
        c4.download_button(
            texts.EXPORT_HTML, files["html"], "karte.html", "text/html", key="dl_html"
        )


def _region_key(page: _Page) -> tuple[str, float, str]:
    """The shared-cache key of the page's region run (as :func:`cache.run_slot`)."""
    path = page.region.path
    return str(path), path.stat().st_mtime, page.results.settings.cache_key()


def _offer_options(page: _Page, category: str) -> dict[str, str]:
    """Offer id → label of the map category's offers (region and upload)."""
    offers = page.data.offers[page.data.offers["category"] == category]
    records: list[dict[str, Any]] = offers.drop(columns="geometry").to_dict("records")
    labels = {str(r["id"]): logic.offer_label(r) for r in records}
    return dict(sorted(labels.items(), key=lambda kv: kv[1].casefold()))


def _selected_offer_bands(page: _Page, grid: GridResult, ids: list[str]) -> Any:
    """Bands around the selected offers, memoised per session (routing takes a moment)."""
    mode = page.view.mode
    upload = st.session_state.get("upload")
    key = (*_region_key(page), mode, tuple(sorted(ids)), _upload_token(upload))
    memo: dict[Any, Any] = st.session_state.setdefault("_offer_bands", {})
    if key not in memo:
        s = page.results.settings
        with st.spinner(texts.BANDS_COMPUTING):
            memo[key] = logic.offer_bands(
                grid,
                page.data.offers,
                cache.routers_for(page.results)[mode],
                ids,
                mode=mode,
                cutoff_minutes=s.routing.cutoff_minutes,
                max_snap_m=s.routing.max_snap_m,
            )
        while len(memo) > _OFFER_BANDS_MEMO_SIZE:
            memo.pop(next(iter(memo)))
    return memo[key]


def _grid_overlay(page: _Page, category: str) -> tuple[logic.GridOverlay, Any]:
    """The sidebar's grid controls; returns what the map shows and the bands shown.

    Without a grid for the region the controls are replaced by a German hint
    on how to enable it.  The whole-category surface and bands are shared
    between sessions (:mod:`erreichbarkeit.ui.cache`); bands around selected
    offers are routed on demand and kept in this session.
    """
    sb = st.sidebar
    sb.markdown(f"**{texts.GRID_HEADER}**")
    grid = page.results.grid
    if grid is None:
        sb.info(texts.GRID_MISSING)
        st.session_state.pop("bands", None)
        return logic.GridOverlay(), None
    mode = page.view.mode
    label = page.choice["labels"].get(category, category)
    mode_label = MODE_LABELS.get(mode, mode)
    show_surface = sb.toggle(texts.GRID_SURFACE, key="grid_surface", help=texts.GRID_SURFACE_HELP)
    show_bands = sb.toggle(texts.GRID_BANDS, key="grid_bands", help=texts.GRID_BANDS_HELP)
    ids: list[str] = []
    if show_bands:
        options = _offer_options(page, category)
        current = [i for i in st.session_state.get("band_offers", []) if i in options]
        st.session_state["band_offers"] = current
        ids = sb.multiselect(
            texts.GRID_BAND_OFFERS,
            list(options),
            format_func=lambda i: options.get(i, i),
            key="band_offers",
            help=texts.GRID_BAND_OFFERS_HELP,
        )
    if (show_surface or show_bands) and "upload" in st.session_state:
        sb.caption(texts.GRID_UPLOAD_NOTE)
    rkey = _region_key(page)
    surface = cache.grid_surface_for(*rkey, category, mode, page.results) if show_surface else None
    bands = None
    bands_json = None
    title = texts.BANDS_TITLE_CATEGORY.format(label=label, mode=mode_label)
    if show_bands and ids:
        try:
            bands = _selected_offer_bands(page, grid, ids)
        except ErreichbarkeitError as exc:
            st.error(exc.german)
        else:
            bands_json = maps.bands_geojson(bands)
            title = texts.BANDS_TITLE_OFFERS.format(n=len(ids), mode=mode_label)
    elif show_bands:
        cached = cache.category_bands_for(*rkey, category, mode, page.results)
        if cached is not None:
            bands, bands_json = cached
    if (show_surface and surface is None) or (show_bands and not ids and bands is None):
        sb.warning(texts.GRID_NO_CATEGORY.format(label=label, mode=mode_label))
    if bands is not None:
        st.session_state["bands"] = ((category, mode, tuple(ids)), bands)
    else:
        st.session_state.pop("bands", None)
    overlay = logic.GridOverlay(
        surface=surface,
        bands_json=bands_json,
        bands_labels=tuple(bands["band"].astype(str)) if bands is not None else (),
        bands_title=title,
    )
    return overlay, bands


def _grid_kpis(page: _Page, category: str) -> None:
    """The expander with the Thünen-style grid figures of the map category and mode."""
    grid = page.results.grid
    if grid is None:
        return
    mode = page.view.mode
    label = page.choice["labels"].get(category, category)
    with st.expander(texts.GRID_KPI_HEADER):
        kreis, gemeinden, weighting = logic.grid_kpi_tables(grid, category, mode)
        if kreis.empty:
            st.info(texts.GRID_NO_CATEGORY.format(label=label, mode=MODE_LABELS.get(mode, mode)))
            return
        st.caption(
            texts.GRID_KPI_INTRO.format(
                label=label, mode=MODE_LABELS.get(mode, mode), weighting=weighting
            )
        )
        st.dataframe(kreis, hide_index=True, width="stretch")
        st.markdown(texts.GRID_KPI_GEMEINDEN)
        st.dataframe(gemeinden, hide_index=True, width="stretch")


@dataclass(frozen=True)
class _Page:
    """What every page needs after the common set-up."""

    region: logic.Region
    results: Results
    data: logic.ViewData
    layers: logic.StaticLayers
    choice: dict[str, Any]
    view: logic.View


def _keep_widget_state() -> None:
    """Keep the sidebar choices when the user switches pages.

    Streamlit drops the state of widgets that a run does not draw; writing
    the values back as plain session state keeps them (the documented
    work-around for multipage apps).
    """
    for key in list(st.session_state.keys()):
        name = str(key)
        if name in _PERSISTENT_KEYS or name.startswith(("thr_", "loc_thr_")):
            st.session_state[name] = st.session_state[name]


def _setup(root: Path | None, *, upload_widget: bool) -> _Page | None:
    """Region picker, cached run, sidebar choices and the view (shared by the pages)."""
    _keep_widget_state()
    root = Path.cwd() if root is None else Path(root)
    ddir = cache.data_dir(root)
    try:
        demo_region = Path(cache.ensure_demo(str(ddir / "generated" / "beispielkreis")))
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        demo_region = None
    regions = logic.discover_regions(ddir, demo_region=demo_region)
    if not regions:
        st.error("Keine Region gefunden.")
        return None
    by_path = {str(r.path): r for r in regions}
    if st.session_state.get("region") not in by_path:
        st.session_state["region"] = str(regions[0].path)
    choice_path = st.sidebar.selectbox(
        texts.SIDEBAR_REGION, list(by_path), format_func=lambda p: by_path[p].label, key="region"
    )
    region = by_path[choice_path]
    if st.session_state.get("_upload_region") != choice_path:  # uploads belong to one region
        _remove_upload()
        st.session_state["_upload_region"] = choice_path
    results = _load_results(region, ddir)
    if results is None:
        return None
    layers = cache.static_layers_for(
        str(region.path), region.path.stat().st_mtime, results.settings.cache_key(), results
    )
    data = logic.view_data(results)
    choice = _sidebar(results, data)
    if upload_widget:
        data = _upload_section(results, data)
    else:
        st.session_state["_upload_seen"] = False  # the uploader is not drawn on this page
        data = _with_upload(data)
    if choice is None:
        return None
    if not choice["categories"]:
        st.info(texts.NO_CATEGORY)
        return None
    upload = st.session_state.get("upload")
    data_key = (choice_path, results.settings.cache_key(), _upload_token(upload))
    view = _view(data, choice, data_key)
    return _Page(region, results, data, layers, choice, view)


def dashboard_page(root: Path | None = None) -> None:
    """The main page: sidebar filters, KPIs, map, tables, upload, export."""
    st.title(texts.APP_TITLE)
    page = _setup(root, upload_widget=True)
    if page is None:
        return
    view, labels = page.view, page.choice["labels"]
    _kpi_cards(view, labels)
    table = logic.village_display(view, labels)
    left, right = st.columns([3, 2])
    with left:
        map_cat = _map_category(view, labels)
        st.subheader(
            texts.MAP_HEADER.format(
                label=labels.get(map_cat, map_cat), mode=MODE_LABELS.get(view.mode, view.mode)
            )
        )
        overlay, bands = _grid_overlay(page, map_cat)
        out = _show_map(page, map_cat, key="karte", height=560, clickable=True, overlay=overlay)
        st.caption(texts.MAP_CLICK_HINT)
    _apply_click((out or {}).get("last_object_clicked"), view)
    with right:
        _village_details(page.data, view, table)
    _grid_kpis(page, map_cat)
    st.subheader(texts.VILLAGES_HEADER)
    st.dataframe(table, hide_index=True, width="stretch")
    st.subheader(texts.GEMEINDEN_HEADER)
    st.dataframe(_gemeinde_display(view, labels), hide_index=True, width="stretch")
    _export_section(page, map_cat, overlay, bands)


def _extent_choice(data: logic.ViewData) -> tuple[str, tuple[float, float, float, float] | None]:
    """The sidebar's Kartenausschnitt: the whole region or one Gemeinde."""
    names: dict[str, str] = {"": texts.EXTENT_ALL}
    if len(data.boundaries):
        b = data.boundaries.sort_values("gemeinde")
        names |= dict(zip(b["ags"].astype(str), b["gemeinde"].astype(str), strict=True))
    if st.session_state.get("extent") not in names:
        st.session_state["extent"] = ""
    ags = st.sidebar.selectbox(
        texts.SIDEBAR_EXTENT, list(names), format_func=lambda a: names[a], key="extent"
    )
    return ("" if not ags else names[ags]), logic.gemeinde_extent(data, ags)


def _print_section(page: _Page, category: str, extent: Any, extent_label: str) -> None:
    st.subheader(texts.PRINT_HEADER)
    st.caption(texts.PRINT_HINT)
    cols = st.columns(4)
    stem = f"erreichbarkeit-{category}-{page.view.mode}"
    for col, (paper, fmt) in zip(
        cols, [("A4", "pdf"), ("A3", "pdf"), ("A4", "png"), ("A3", "png")], strict=True
    ):
        # the file is rendered only when clicked (a callable; no cost per rerun)
        make = functools.partial(
            logic.print_map_bytes,
            page.data,
            page.view,
            category,
            region_name=page.results.settings.name,
            sources=page.results.inputs.sources,
            layers=page.layers,
            extent=extent,
            extent_label=extent_label,
            paper=paper,
            fmt=fmt,
        )
        col.download_button(
            texts.PRINT_BUTTON.format(paper=paper, fmt=fmt.upper()),
            make,
            f"{stem}-{paper.lower()}.{fmt}",
            _PRINT_MIME[fmt],
            key=f"print_{paper}_{fmt}",
            on_click="ignore",
        )


def meeting_page(root: Path | None = None) -> None:
    """Meeting mode: a clean full-width map with large legend, key figures and print export."""
    page = _setup(root, upload_widget=False)
    if page is None:
        st.title(texts.PAGE_MEETING)
        return
    view, labels = page.view, page.choice["labels"]
    map_cat = _map_category(view, labels, where=st.sidebar)
    extent_label, extent = _extent_choice(page.data)
    overlay, _bands = _grid_overlay(page, map_cat)
    label = labels.get(map_cat, map_cat)
    st.title(texts.MEETING_TITLE.format(label=label, region=page.results.settings.name))
    st.markdown(f"### {logic.view_subtitle(view, map_cat, labels)}")
    k = logic.kpis(view, map_cat)
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    minutes = format_minutes(view.thresholds[map_cat])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(texts.KPI_WITHIN.format(age=age, minutes=minutes), format_int(k["children_within"]))
    c2.metric(texts.KPI_BEYOND.format(age=age), format_int(k["children_beyond"]))
    c3.metric(texts.KPI_UNDERSERVED, format_int(k["underserved"]))
    c4.metric(texts.KPI_MEDIAN.format(age=age), format_minutes(k["median_min"]))
    _show_map(
        page,
        map_cat,
        key="besprechung",
        height=720,
        clickable=False,
        legend_font_px=17,
        bounds=extent,
        overlay=overlay,
    )
    from erreichbarkeit.report.printmap import source_line  # noqa: PLC0415

    st.caption(
        texts.SOURCES_CAPTION.format(
            sources=source_line(page.results.inputs.sources),
            date=date.today().strftime("%d.%m.%Y"),
        )
    )
    st.caption(texts.MEETING_HINT)
    _print_section(page, map_cat, extent, extent_label)
    steckbrief_section(page, map_cat)


def steckbrief_section(page: _Page, category: str) -> None:
    """Steckbrief download for one Gemeinde or the Kreis (built when clicked).

    Uses the page's mode, age group, categories and thresholds; the map of
    the PDF shows ``category``.
    """
    from erreichbarkeit.report import steckbrief  # noqa: PLC0415  (matplotlib only here)

    st.subheader(texts.STECKBRIEF_HEADER)
    st.caption(texts.STECKBRIEF_HINT)
    table = steckbrief.gemeinden_of(page.results)
    names = {"": texts.STECKBRIEF_KREIS} | dict(
        zip(table["ags"].astype(str), table["gemeinde"].astype(str), strict=True)
    )
    if st.session_state.get("steckbrief_ags") not in names:
        st.session_state["steckbrief_ags"] = ""
    ags = st.selectbox(
        texts.STECKBRIEF_SELECT, list(names), format_func=lambda a: names[a], key="steckbrief_ags"
    )
    view = page.view
    make = functools.partial(
        steckbrief.steckbrief_pdf,
        page.results,
        ags=ags or None,
        mode=view.mode,
        age_group=view.age_group,
        categories=view.categories,
        thresholds=dict(view.thresholds),
        map_category=category,
        roads=page.layers.roads,
    )
    st.download_button(
        texts.STECKBRIEF_BUTTON,
        make,
        steckbrief.steckbrief_filename(ags or None, names[ags]),
        "application/pdf",
        key="steckbrief_dl",
        on_click="ignore",
    )


def about_page() -> None:
    """Methodik & Hilfe."""
    _keep_widget_state()
    st.title(texts.PAGE_ABOUT)
    st.markdown(texts.ABOUT)
