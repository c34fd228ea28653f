"""The upload of an own offers list on the Karte page (Streamlit).

The upload is kept in ``st.session_state["upload"]`` as a dict with the
:class:`~erreichbarkeit.ui.uploads.UploadOutcome` (``outcome``), the valid
offers (``offers``), their travel times (``travel_times``) and a random
``token`` that keys every memo built on the upload.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.ui import cache, texts
from erreichbarkeit.ui.state import session_dir
from erreichbarkeit.ui.tables import german, problems_frame
from erreichbarkeit.ui.uploads import UploadOutcome, handle_upload, route_offers
from erreichbarkeit.ui.views import ViewData, merge_upload

__all__ = [
    "process_upload",
    "remove_upload",
    "show_upload_outcome",
    "upload_section",
    "upload_token",
    "with_upload",
]


def upload_token(upload: dict[str, Any] | None) -> str | None:
    """The token of this session's upload (``None`` without one)."""
    return None if upload is None else str(upload.get("token"))


def remove_upload() -> None:
    """Forget this session's upload and everything derived from it."""
    for k in ("upload", "upload_ident", "_merged", "exports"):
        st.session_state.pop(k, None)


def with_upload(data: ViewData) -> ViewData:
    """The region data plus this session's uploaded offers (merged once per upload)."""
    upload = st.session_state.get("upload")
    if upload is None or upload.get("offers") is None or upload["offers"].empty:
        return data
    key = (upload_token(upload), id(data.results))
    memo = st.session_state.get("_merged")
    if memo is None or memo[0] != key:
        memo = (
            key,
            merge_upload(
                data, upload["offers"], upload["travel_times"], transit=upload.get("transit")
            ),
        )
        st.session_state["_merged"] = memo
    merged: ViewData = memo[1]
    return merged


def process_upload(raw: bytes, name: str, data: ViewData) -> dict[str, Any]:
    """Read an uploaded file and route its valid rows (stored in session_state)."""
    results = data.results
    outcome = handle_upload(
        raw,
        name,
        workdir=session_dir() / "upload",
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
            out["travel_times"], out["transit"] = route_offers(routers, data, outcome.offers)
            out["offers"] = outcome.offers
        except ErreichbarkeitError as exc:
            out["outcome"] = UploadOutcome(name, outcome.offers, outcome.problems, exc.german)
    return out


def show_upload_outcome(upload: dict[str, Any]) -> None:
    """Show errors, row problems and the number of used rows of an upload."""
    outcome: UploadOutcome = upload["outcome"]
    if outcome.error:
        st.error(outcome.error)
    elif upload.get("offers") is not None and len(upload["offers"]):
        st.success(texts.UPLOAD_OK.format(n=len(upload["offers"]), name=outcome.name))
    else:
        st.warning(texts.UPLOAD_NONE_VALID.format(name=outcome.name))
    if outcome.problems:
        st.markdown(texts.UPLOAD_PROBLEMS.format(n=len(outcome.problems)))
        st.dataframe(german(problems_frame(outcome.problems)), hide_index=True, width="stretch")


def _read_uploader(data: ViewData) -> Any:
    """The file uploader; reads a newly chosen file into the session.

    The file uploader forgets its file when the user visits another page;
    the upload itself stays (``_upload_seen`` tells a removal by the user,
    the uploader's ×, from that reset) until removed with the button.
    """
    file = st.file_uploader(
        texts.UPLOAD_LABEL, type=["csv", "xlsx"], help=texts.UPLOAD_HELP, key="upload_file"
    )
    if file is not None:
        raw = file.getvalue()
        ident = (file.name, len(raw), hash(raw))
        if st.session_state.get("upload_ident") != ident:
            st.session_state["upload"] = process_upload(raw, file.name, data)
            st.session_state["upload_ident"] = ident
    elif "upload_ident" in st.session_state and st.session_state.get("_upload_seen"):
        remove_upload()  # the user removed the file from the uploader
    st.session_state["_upload_seen"] = file is not None
    return file


def upload_section(data: ViewData) -> ViewData:
    """The upload expander; returns the data including this session's upload."""
    with st.expander(texts.UPLOAD_HEADER, expanded="upload" in st.session_state):
        file = _read_uploader(data)
        upload = st.session_state.get("upload")
        if upload is None:
            return data
        if file is None:  # kept from before a page change
            n = 0 if upload.get("offers") is None else len(upload["offers"])
            st.info(texts.UPLOAD_ACTIVE.format(name=upload["outcome"].name, n=n))
            if st.button(texts.UPLOAD_REMOVE, key="upload_remove"):
                remove_upload()
                st.rerun()
        show_upload_outcome(upload)
    return with_upload(data)
