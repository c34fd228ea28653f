"""Streamlit-cached loaders shared by all sessions of one server process.

Only read-only results are shared, keyed on hashable values (paths, file
modification times, :meth:`Settings.cache_key`); nothing a user uploads
goes through these caches.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from erreichbarkeit import pipeline, webmap
from erreichbarkeit.config import ProgressCallback, Settings
from erreichbarkeit.demo import beispielkreis as demo
from erreichbarkeit.io.geocode import AddressIndex
from erreichbarkeit.network.routing import Router, RouterLike, prepare_router
from erreichbarkeit.network.transit.router import TransitRouter
from erreichbarkeit.network.transit.setup import Timetable, open_transit_router
from erreichbarkeit.results import Results
from erreichbarkeit.ui.layers import StaticLayers, category_bands, grid_surface_text, static_layers
from erreichbarkeit.ui.planning_logic import (
    village_candidate_times,
)

__all__ = [
    "DATA_DIR_ENV",
    "RunSlot",
    "address_index_for",
    "category_bands_for",
    "data_dir",
    "ensure_demo",
    "grid_surface_for",
    "load_settings",
    "router",
    "routers_for",
    "run_region",
    "run_slot",
    "static_layers_for",
    "village_candidates_for",
]

#: Environment variable overriding the app's data folder (default ``<repo>/data``).
DATA_DIR_ENV = "ERREICHBARKEIT_DATA_DIR"


def data_dir(root: Path) -> Path:
    """The data folder: ``$ERREICHBARKEIT_DATA_DIR`` or ``<root>/data``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else root / "data"


@st.cache_resource(show_spinner="Beispielkreis wird erzeugt …")
def ensure_demo(folder: str) -> str:
    """Generate the fictional Beispielkreis once per process; return its region file."""
    return str(demo.generate_demo(Path(folder)).region)


def load_settings(region_file: Path, cache_dir: Path) -> Settings:
    """Read a region file with the app's cache folder."""
    return Settings.from_toml(region_file, cache_dir=cache_dir)


class RunSlot:
    """Holds one region's :class:`Results`, computed at most once per process.

    The pipeline reads a run stored by an earlier server or by
    ``erreichbarkeit analyse`` (:mod:`erreichbarkeit.pipeline.store`), so a
    restart does not compute again.

    Streamlit cannot replay progress-bar updates made inside a cached
    function, so the cache holds this slot and the first session fills it
    under the slot's lock while feeding its own progress bar; other
    sessions asking for the same key wait on the lock.  A failed run leaves
    the slot empty so the next attempt retries.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: Results | None = None

    def get(self, settings: Settings, progress: ProgressCallback | None = None) -> Results:
        """The cached results, running the pipeline first if needed."""
        with self.lock:
            if self.results is None:
                store = pipeline.ResultStore(pipeline.default_store_root(settings))
                self.results = pipeline.run(settings, progress=progress, store=store)
            return self.results


@st.cache_resource(show_spinner=False, max_entries=8)
def run_slot(region_file: str, mtime: float, settings_key: str) -> RunSlot:
    """The result slot of a region (keyed on file, mtime and settings digest)."""
    return RunSlot()


def run_region(
    region_file: str,
    mtime: float,
    settings_key: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> Results:
    """Run the pipeline for a region once per process and key."""
    return run_slot(region_file, mtime, settings_key).get(settings, progress)


@st.cache_resource(show_spinner=False, max_entries=8)
def static_layers_for(
    region_file: str, mtime: float, settings_key: str, _results: Results
) -> StaticLayers:
    """The region's fixed map layers (base layer, boundaries), built once per process.

    Keyed like :func:`run_slot`; ``_results`` (not hashed) is the run of that key.
    """
    return static_layers(_results)


@st.cache_resource(show_spinner=False, max_entries=16)
def router(network: str, mode: str, settings_key: str, _settings: Settings) -> Router:
    """A router over a prepared network, one per process and (network, mode, settings).

    ``_settings`` (not hashed) are the settings of ``settings_key``; the
    preparation itself is :func:`erreichbarkeit.network.routing.prepare_router`,
    cached on disk.
    """
    return prepare_router(_settings, Path(network), mode)


@st.cache_resource(show_spinner=False, max_entries=4)
def transit_router(
    network: str, settings_key: str, _settings: Settings, _timetable: Timetable
) -> TransitRouter:
    """The Bus & Bahn router of a run, one per process and (network, settings).

    Its timetable worker processes live as long as the cache entry; the
    walk legs use the cached foot router.
    """
    walk = router(network, "walk", settings_key, _settings)
    return open_transit_router(_settings, walk, _timetable)


def routers_for(results: Results) -> dict[str, RouterLike]:
    """Cached routers for every mode of a run (Bus & Bahn included)."""
    s = results.settings
    network = str(results.inputs.network_osm)
    out: dict[str, RouterLike] = {
        mode: router(network, mode, s.cache_key(), s) for mode in s.road_modes
    }
    if "pt" in s.modes and results.inputs.timetable is not None:
        out["pt"] = transit_router(network, s.cache_key(), s, results.inputs.timetable)
    return out


@st.cache_resource(show_spinner=False, max_entries=48)
def grid_surface_for(
    region_file: str, mtime: float, settings_key: str, category: str, mode: str, _results: Results
) -> str | None:
    """The serialised grid surface of one category and mode, built once per process.

    Keyed like :func:`run_slot` plus category and mode; ``_results`` (not
    hashed) is the run of that key.  ``None`` when the run has no grid.
    """
    return grid_surface_text(_results.grid, category, mode)


@st.cache_resource(show_spinner=False, max_entries=48)
def category_bands_for(
    region_file: str, mtime: float, settings_key: str, category: str, mode: str, _results: Results
) -> tuple[gpd.GeoDataFrame, str] | None:
    """Bands around a whole category (and their GeoJSON text), built once per process.

    ``None`` when the run has no grid figures for the category and mode.
    """
    bands = category_bands(_results.grid, category, mode)
    if bands is None:
        return None
    return bands, webmap.bands_geojson(bands)


@st.cache_resource(show_spinner=False, max_entries=8)
def address_index_for(
    region_file: str, mtime: float, settings_key: str, _results: Results
) -> AddressIndex | None:
    """The region's offline address index (what-if changes by address), built once per region.

    ``None`` when the region has no address points.
    """
    addresses = _results.inputs.addresses
    if addresses is None or not len(addresses):
        return None
    return AddressIndex(addresses)


@st.cache_resource(show_spinner=False, max_entries=16)
def village_candidates_for(
    region_file: str, mtime: float, settings_key: str, mode: str, _results: Results
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The villages as candidate sites and the minutes to them, routed once per region and mode."""
    return village_candidate_times(_results, routers_for(_results), mode)
