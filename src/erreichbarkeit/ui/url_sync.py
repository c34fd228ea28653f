"""Bookmarkable views (Streamlit): the URL's query parameters ↔ the session state.

Reading: when the URL carries parameters this session has not written
itself (a bookmark, a shared link), they are checked
(:mod:`erreichbarkeit.ui.url_state`) and put into the session state before
the widgets are drawn; every value that cannot be used gives a German
hint on the page and the default stays.  Writing: after the widgets, the
current choices go back into the URL (``st.query_params``), so the address
bar always holds the view.  A page switch drops the parameters: the next
run writes them again and does not read the empty URL as a new bookmark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from erreichbarkeit.ui.regions import Region
from erreichbarkeit.ui.url_state import (
    QUERY_KEYS,
    RegionOptions,
    parse_query,
    parse_region,
    region_slug,
    state_query,
)

__all__ = ["apply_url_choices", "apply_url_region", "show_url_hints", "write_url"]

_PENDING = "_url_pending"
_WRITTEN = "_url_written"


def _current() -> dict[str, Any]:
    """The URL's parameters of this dashboard (others are ignored)."""
    return {k: st.query_params.get_all(k) for k in QUERY_KEYS if k in st.query_params}


_HINTS = "_url_hints"


def _hint(problems: list[str]) -> None:
    """Keep the bookmark's German hints until the user changes the view."""
    if problems:
        hints = st.session_state.setdefault(_HINTS, {"problems": [], "state": None})
        hints["problems"] += problems


def show_url_hints() -> None:
    """The German hints on the bookmark's unusable values (until the view changes)."""
    hints = st.session_state.get(_HINTS)
    for text in hints["problems"] if hints else ():
        st.warning(text, icon="🔗")


def apply_url_region(regions: list[Region]) -> None:
    """Before the region picker: take a new bookmark's region into the session state.

    Keeps the bookmark's other parameters for :func:`apply_url_choices`.
    """
    params = _current()
    written = st.session_state.get(_WRITTEN)
    as_written = {k: v[-1] for k, v in params.items() if v}
    if not params or as_written == written:
        st.session_state.pop(_PENDING, None)
        return
    st.session_state[_PENDING] = params
    st.session_state.pop(_HINTS, None)  # a new bookmark: new hints
    st.session_state[_WRITTEN] = as_written  # handled: the same URL is not read again
    slugs: dict[str, str] = {}
    for region in regions:
        slugs.setdefault(region_slug(region.path), str(region.path))
    parsed = parse_region(params, slugs)
    st.session_state.update(parsed.state)
    _hint(parsed.problems)


def apply_url_choices(options: RegionOptions, *, default_mode: str) -> None:
    """Before the sidebar's choices: the bookmark's choices within the chosen region."""
    params: Mapping[str, Any] | None = st.session_state.pop(_PENDING, None)
    if not params:
        return
    parsed = parse_query(params, options, default_mode=default_mode)
    st.session_state.update(parsed.state)
    _hint(parsed.problems)


def write_url(region: Region) -> None:
    """Put the session's current choices into the URL (only when they changed)."""
    state = {k: st.session_state[k] for k in st.session_state}
    wanted = state_query(state, region=region_slug(region.path))
    hints = st.session_state.get(_HINTS)
    if hints is not None:  # the hints stay until the view differs from the bookmark's
        if hints["state"] is None:
            hints["state"] = wanted
        elif hints["state"] != wanted:
            st.session_state.pop(_HINTS)
    shown = {k: v[-1] for k, v in _current().items() if v}
    if st.session_state.get(_WRITTEN) == wanted and shown == wanted:
        return
    st.session_state[_WRITTEN] = wanted
    # only this dashboard's parameters: others (e.g. the presentation mode's) stay
    for key in QUERY_KEYS:
        if key in wanted:
            if shown.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
