"""The Land page (Streamlit): a batch result of a whole Land, drilling down into a region."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from erreichbarkeit.config import MODE_LABELS, Settings
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.ui import cache, texts
from erreichbarkeit.ui.land_results import (
    BatchFolder,
    discover_batches,
    figures_of,
    overview_display,
)
from erreichbarkeit.ui.state import keep_widget_state

__all__ = ["land_page"]


@st.cache_data(show_spinner=False, max_entries=8)
def _overview(path: str, mtime: float) -> pd.DataFrame:
    """The batch's overview table (without outlines; keyed by file and mtime)."""
    # read with pandas: the outlines are for the map, which the batch drew already
    frame = pd.read_parquet(path)
    return frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])


@st.cache_data(show_spinner=False, max_entries=4)
def _map_html(path: str, mtime: float) -> str:
    return Path(path).read_text("utf-8")


def _labels(batch: BatchFolder) -> dict[str, str]:
    """Category labels from the first region file of the batch (defaults without one)."""
    files = sorted((batch.path / "regionen").glob("*/region.toml"))
    try:
        settings = Settings.from_toml(files[0]) if files else Settings.from_dict({})
    except ErreichbarkeitError:
        settings = Settings.from_dict({})
    return {k: c.label for k, c in settings.categories().items()}


def land_page(root: Path | None = None) -> None:
    """The Land overview of a batch: map, table, links into each region's map."""
    keep_widget_state()
    st.title(texts.PAGE_LAND)
    data_dir = cache.data_dir(Path.cwd() if root is None else Path(root))
    batches = discover_batches(data_dir)
    if not batches:
        st.info(texts.LAND_NONE.format(folder=data_dir / "land"))
        return
    by_path = {str(b.path): b for b in batches}
    chosen = st.selectbox(
        texts.LAND_PICK, list(by_path), format_func=lambda p: by_path[p].label, key="land_batch"
    )
    batch = by_path[chosen]
    try:
        overview = _overview(str(batch.overview), batch.overview.stat().st_mtime)
    except (OSError, ValueError) as exc:
        st.error(texts.LAND_UNREADABLE.format(path=batch.overview, error=exc))
        return
    labels = _labels(batch)
    figures = figures_of(overview)
    st.caption(texts.LAND_CAPTION.format(n=len(overview), folder=batch.path))
    if batch.map_html.is_file():
        st.subheader(texts.LAND_MAP_HEADER)
        components.html(
            _map_html(str(batch.map_html), batch.map_html.stat().st_mtime), height=560
        )
    st.subheader(texts.LAND_TABLE_HEADER)
    if not figures:
        st.warning(texts.LAND_NO_FIGURES)
        return
    choice = st.selectbox(
        texts.LAND_FIGURE,
        figures,
        format_func=lambda f: f"{labels.get(f[0], f[0])} – {MODE_LABELS.get(f[1], f[1])}",
        key="land_figure",
    )
    table = overview_display(overview, labels, category=choice[0], mode=choice[1])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Karte": st.column_config.LinkColumn("Karte", display_text="Karte öffnen"),
        },
    )
    st.caption(texts.LAND_DRILL_HINT)
    if batch.workbook.is_file():
        st.download_button(
            texts.LAND_WORKBOOK_BUTTON,
            batch.workbook.read_bytes(),
            f"Land_{batch.label}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="land_workbook",
        )
