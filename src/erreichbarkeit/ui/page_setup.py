"""What every dashboard page does first (Streamlit): region, run, choices, view.

:func:`setup_page` draws the region picker and the sidebar's choices, runs
(or takes from the shared cache, :mod:`erreichbarkeit.ui.cache`) the
region's pipeline and computes the view; the pages draw from the
:class:`Page` it returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from erreichbarkeit.config import ProgressCallback, Settings
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.results import Results
from erreichbarkeit.ui import cache, progress_page, texts
from erreichbarkeit.ui.layers import StaticLayers
from erreichbarkeit.ui.regions import Region, discover_regions
from erreichbarkeit.ui.sidebar import Choice, sidebar_choices
from erreichbarkeit.ui.state import keep_widget_state, memo_put
from erreichbarkeit.ui.upload_widget import remove_upload, upload_section, upload_token, with_upload
from erreichbarkeit.ui.url_state import RegionOptions
from erreichbarkeit.ui.url_sync import (
    apply_url_choices,
    apply_url_region,
    show_url_hints,
    write_url,
)
from erreichbarkeit.ui.views import View, ViewData, compute_view

__all__ = ["Page", "region_key", "setup_page", "show_notices"]

_VIEW_MEMO_SIZE = 8


@dataclass(frozen=True)
class Page:
    """What every page needs after the common set-up.

    Attributes
    ----------
    region
        The chosen region.
    results
        Its pipeline run (shared between sessions).
    data
        The run plus this session's upload.
    layers
        The region's fixed map layers (shared between sessions).
    choice
        The sidebar's choices.
    view
        The indicators of those choices.
    """

    region: Region
    results: Results
    data: ViewData
    layers: StaticLayers
    choice: Choice
    view: View


def region_key(page: Page) -> tuple[str, float, str]:
    """The shared-cache key of the page's region run (as :func:`cache.run_slot`)."""
    path = page.region.path
    return str(path), path.stat().st_mtime, page.results.settings.cache_key()


def _run(region: Region, settings: Settings) -> Results:
    """The region's run from the shared cache; the progress page while it is computed.

    A run already in this process's cache is taken at once; otherwise it
    runs in a worker thread (:mod:`erreichbarkeit.ui.progress_page`), and
    the page shows its phases, elapsed time and an estimate unless it ends
    within a second (a stored run).
    """
    key = (str(region.path), region.path.stat().st_mtime, settings.cache_key())
    slot = cache.run_slot(*key)
    if slot.results is not None:
        return slot.results

    def work(progress: ProgressCallback) -> Results:
        return slot.get(settings, progress)

    return progress_page.run_with_progress(region.label, key, settings, work)


def _load_results(region: Region, data_dir: Path) -> Results | None:
    """The region's run from the shared cache, computed with a progress page the first time.

    ``None`` (with a German error on the page) when the region cannot be run.
    """
    try:
        settings = cache.load_settings(region.path, data_dir / "cache")
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        return None
    started = time.perf_counter()
    try:
        results = _run(region, settings)
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        return None
    elapsed = time.perf_counter() - started
    if elapsed > progress_page.QUICK_SECONDS:
        st.toast(f"{texts.FIRST_RUN_DONE} ({elapsed:.0f} s)")
    show_notices(results)
    return results


def show_notices(results: Results) -> None:
    """The run's German notices (e.g. Bus & Bahn switched off and why) on the page."""
    for notice in results.inputs.notices:
        st.warning(notice, icon="ℹ️")


def _pick_region(data_dir: Path) -> Region | None:
    """The region picker (the demo is generated on first use); ``None`` without regions."""
    try:
        demo_region = Path(cache.ensure_demo(str(data_dir / "generated" / "beispielkreis")))
    except ErreichbarkeitError as exc:
        st.error(exc.german)
        demo_region = None
    regions = discover_regions(data_dir, demo_region=demo_region)
    if not regions:
        st.error("Keine Region gefunden.")
        return None
    by_path = {str(r.path): r for r in regions}
    apply_url_region(regions)  # a bookmark's region (ui/url_sync.py)
    if st.session_state.get("region") not in by_path:
        st.session_state["region"] = str(regions[0].path)
    choice_path = st.sidebar.selectbox(
        texts.SIDEBAR_REGION, list(by_path), format_func=lambda p: by_path[p].label, key="region"
    )
    if st.session_state.get("_upload_region") != choice_path:  # uploads belong to one region
        remove_upload()
        st.session_state["_upload_region"] = choice_path
    return by_path[choice_path]


def _view(data: ViewData, choice: Choice, data_key: tuple[Any, ...]) -> View:
    """Compute the view, memoised per session (map clicks do not recompute)."""
    key = (
        data_key,
        choice["mode"],
        choice["categories"],
        choice["age_group"],
        tuple(sorted(choice["thresholds"].items())),
    )
    memo: dict[Any, View] = st.session_state.setdefault("_views", {})
    if key not in memo:
        started = time.perf_counter()
        view = compute_view(
            data,
            mode=choice["mode"],
            categories=choice["categories"],
            age_group=choice["age_group"],
            thresholds=choice["thresholds"],
        )
        st.session_state["last_view_seconds"] = time.perf_counter() - started
        memo_put(memo, key, view, size=_VIEW_MEMO_SIZE)
    return memo[key]


def _url_options(data: ViewData) -> RegionOptions:
    """What a bookmark's values are checked against: the region's choices."""
    b = data.boundaries
    if len(b) and "in_area" in b.columns:
        b = b[b["in_area"].astype(bool)]
    return RegionOptions(
        categories=data.categories,
        modes=data.settings.modes,
        max_minutes=float(data.settings.routing.cutoff_minutes),
        gemeinden=frozenset(b["ags"].astype(str)) if len(b) else frozenset(),
        villages=frozenset(data.villages["id"].astype(str)),
    )


def setup_page(root: Path | None, *, upload_widget: bool) -> Page | None:
    """Region picker, cached run, sidebar choices and the view (shared by the pages).

    Parameters
    ----------
    root
        The app's folder (``None``: the working directory); its ``data``
        folder holds the regions unless ``ERREICHBARKEIT_DATA_DIR`` says otherwise.
    upload_widget
        Draw the upload expander (the Karte page); other pages only use an
        upload made there.

    Returns
    -------
    Page or None
        ``None`` when the page cannot be drawn (a message says why).
    """
    keep_widget_state()
    ddir = cache.data_dir(Path.cwd() if root is None else Path(root))
    region = _pick_region(ddir)
    if region is None:
        return None
    results = _load_results(region, ddir)
    if results is None:
        return None
    settings_key = results.settings.cache_key()
    mtime = region.path.stat().st_mtime
    layers = cache.static_layers_for(str(region.path), mtime, settings_key, results)
    data = ViewData(results)
    modes = data.settings.modes
    mode_now = st.session_state.get("mode")
    apply_url_choices(_url_options(data), default_mode=mode_now if mode_now in modes else modes[0])
    show_url_hints()
    choice = sidebar_choices(data)
    if upload_widget:
        data = upload_section(data)
    else:
        st.session_state["_upload_seen"] = False  # the uploader is not drawn on this page
        data = with_upload(data)
    if choice is None:
        return None
    if not choice["categories"]:
        st.info(texts.NO_CATEGORY)
        return None
    upload = st.session_state.get("upload")
    data_key = (str(region.path), settings_key, upload_token(upload))
    write_url(region)
    return Page(region, results, data, layers, choice, _view(data, choice, data_key))
