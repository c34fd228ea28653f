"""Per-user session state of the dashboard that every page shares.

Per-user choices and uploads live in ``st.session_state`` only; nothing a
user does goes into module state or the shared caches.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["PERSISTENT_KEYS", "keep_widget_state", "memo_put", "session_dir"]

#: Widget keys whose values survive a change of page (see :func:`keep_widget_state`).
PERSISTENT_KEYS = frozenset(
    {
        "region",
        "mode",
        "pt_color",
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
        "meeting_map_kind",
        "meeting_measure",
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


def session_dir() -> Path:
    """A temporary folder of this session (removed when the session ends)."""
    holder = st.session_state.get("_tmpdir")
    if holder is None:
        holder = tempfile.TemporaryDirectory(prefix="erreichbarkeit-")
        st.session_state["_tmpdir"] = holder
    return Path(holder.name)


def keep_widget_state() -> None:
    """Keep the sidebar choices when the user switches pages.

    Streamlit drops the state of widgets that a run does not draw; writing
    the values back as plain session state keeps them (the documented
    work-around for multipage apps).
    """
    for key in list(st.session_state.keys()):
        name = str(key)
        if name in PERSISTENT_KEYS or name.startswith(("thr_", "loc_thr_")):
            st.session_state[name] = st.session_state[name]


def memo_put(memo: dict[Any, Any], key: Any, value: Any, *, size: int) -> None:
    """Store ``value`` in a per-session memo, dropping the oldest entries beyond ``size``."""
    memo[key] = value
    while len(memo) > size:
        memo.pop(next(iter(memo)))
