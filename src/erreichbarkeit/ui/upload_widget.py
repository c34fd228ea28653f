"""The uploads of own offers lists on the Karte page (Streamlit).

A session may hold several lists at once.  Each is an
:class:`~erreichbarkeit.ui.uploads.ActiveList` in
``st.session_state["upload_lists"]`` (a tuple, oldest first);
``st.session_state["upload"]`` holds their union in the form of one upload
(:func:`~erreichbarkeit.ui.uploads.combine_lists`: ``outcome``, ``offers``,
``travel_times``, ``transit``, ``token``, ``lists``), so every reader of the
upload (views, exports, Steckbriefe, Planung) sees all active lists.  Its
``token`` changes whenever the set of lists changes and keys every memo
built on the upload.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.io import RowProblem
from erreichbarkeit.ui import cache, texts
from erreichbarkeit.ui.state import session_dir
from erreichbarkeit.ui.tables import format_int, problems_frame
from erreichbarkeit.ui.uploads import (
    MAX_UPLOAD_LISTS,
    ActiveList,
    UploadOutcome,
    combine_lists,
    content_digest,
    handle_upload,
    list_prefix,
    route_offers,
)
from erreichbarkeit.ui.views import ViewData, merge_upload

__all__ = [
    "remove_upload",
    "show_upload_outcome",
    "upload_section",
    "upload_token",
    "with_upload",
]

# German texts of the list overview (texts.py is shared; these belong to this widget)
LISTS_HEADER = "**Aktive Listen ({n})** – Karte, Kennzahlen, Tabellen und Downloads enthalten alle."
LIST_REMOVE = "Entfernen"
LIST_REMOVE_ALL = "Alle entfernen"
LIST_SHOW = "Meldungen zeigen"
LIST_SHOWN = "Meldungen zu „{name}“"
LIST_FAILED = "nicht übernommen"
LIST_NO_CATEGORY = "keine"
LIST_DUPLICATE = (
    "„{name}“ ist bereits aktiv (gleicher Inhalt wie die Liste „{active}“) – "
    "sie wird nicht doppelt gezählt."
)
LIST_DUPLICATE_SAME_NAME = "„{name}“ ist bereits aktiv – die Liste wird nicht doppelt gezählt."
LIST_TOO_MANY = (
    "„{name}“ wurde nicht übernommen: höchstens {max} Listen gleichzeitig. "
    "Bitte zuerst eine Liste entfernen."
)
COL_FILE = "Datei"

#: Session keys of the upload (the widgets are ``upload_file[_<n>]`` and ``upload_open``).
_LISTS, _UPLOAD, _SEEN, _NOTICE, _SHOWN, _NUMBER, _GENERATION = (
    "upload_lists", "upload", "_upload_file_ids", "_upload_notice", "_upload_shown",
    "_upload_number", "_upload_generation",
)  # fmt: skip
#: Problems tables longer than this scroll inside a fixed height.
_TABLE_ROWS = 12
_ROW_PX = 38


def upload_token(upload: dict[str, Any] | None) -> str | None:
    """The token of this session's upload (``None`` without one)."""
    return None if upload is None else str(upload.get("token"))


def _lists() -> tuple[ActiveList, ...]:
    """The session's active lists, oldest first."""
    lists: tuple[ActiveList, ...] = st.session_state.get(_LISTS, ())
    return lists


def _set_lists(lists: Sequence[ActiveList]) -> None:
    """Store the active lists and their union; drop everything built on the old set."""
    for k in ("_merged", "exports"):
        st.session_state.pop(k, None)
    combined = combine_lists(lists)
    if combined is None:
        for k in (_LISTS, _UPLOAD, _SHOWN):
            st.session_state.pop(k, None)
        return
    st.session_state[_LISTS] = tuple(lists)
    st.session_state[_UPLOAD] = combined


def remove_upload() -> None:
    """Forget all of this session's lists and everything derived from them.

    The ids of files already read stay marked, so that a file an uploader
    still holds is not read again by the next run.
    """
    _set_lists(())
    st.session_state.pop(_NOTICE, None)


def _remove_list(number: int) -> None:
    """Button callback: remove one list."""
    _set_lists([a for a in _lists() if a.number != number])
    st.session_state.pop(_NOTICE, None)


def _show_list(number: int) -> None:
    """Button callback: show the messages of one list."""
    st.session_state[_SHOWN] = number


def with_upload(data: ViewData) -> ViewData:
    """The region data plus this session's uploaded offers (merged once per set of lists)."""
    upload = st.session_state.get(_UPLOAD)
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


def _read_list(raw: bytes, name: str, data: ViewData, number: int) -> ActiveList:
    """Read one uploaded file and route its valid rows."""
    results = data.results
    outcome = handle_upload(
        raw,
        name,
        workdir=session_dir() / "upload",
        categories=data.category_table,
        addresses=results.inputs.addresses,
        region_bounds=tuple(data.villages.total_bounds),
        accept_street_match=results.settings.geocode_accept_street,
        id_prefix=list_prefix(number),
    )
    # a token, not id(): memo keys must not collide when Python reuses an address
    token = uuid.uuid4().hex
    digest = content_digest(raw)
    if outcome.error is not None or not len(outcome.offers):
        return ActiveList(number, digest, outcome, token=token)
    try:
        travel_times, transit = route_offers(cache.routers_for(results), data, outcome.offers)
    except ErreichbarkeitError as exc:
        failed = UploadOutcome(name, outcome.offers, outcome.problems, exc.german)
        return ActiveList(number, digest, failed, token=token)
    return ActiveList(number, digest, outcome, travel_times, transit, token)


def _add_file(raw: bytes, name: str, data: ViewData) -> None:
    """Add an uploaded file as a new list (unless the same content is already active)."""
    lists = _lists()
    digest = content_digest(raw)
    same = next((a for a in lists if a.digest == digest), None)
    if same is not None:
        notice = LIST_DUPLICATE_SAME_NAME if same.name == name else LIST_DUPLICATE
        st.session_state[_NOTICE] = notice.format(name=name, active=same.name)
        st.session_state[_SHOWN] = same.number
        return
    if len(lists) >= MAX_UPLOAD_LISTS:
        st.session_state[_NOTICE] = LIST_TOO_MANY.format(name=name, max=MAX_UPLOAD_LISTS)
        return
    number = int(st.session_state.get(_NUMBER, 0)) + 1
    st.session_state[_NUMBER] = number
    _set_lists([*lists, _read_list(raw, name, data, number)])
    st.session_state[_SHOWN] = number
    st.session_state.pop(_NOTICE, None)


def _open_section() -> None:
    """Uploader callback: keep the upload section open after an upload."""
    st.session_state["upload_open"] = True


def _uploader_key() -> str:
    """The uploader's key: ``upload_file``, after each read ``upload_file_<n>``."""
    generation = int(st.session_state.get(_GENERATION, 0))
    return "upload_file" if generation == 0 else f"upload_file_{generation}"


def _read_uploader(data: ViewData) -> None:
    """The file uploader; adds every newly chosen file as a list.

    After reading, the uploader is replaced by an empty one (a new key) and
    the page is drawn again: the list overview below is the only place that
    shows what is active, so a file chip left in the uploader cannot be
    taken for an active list (and its × for a way to remove one).  The
    uploader's ``file_id`` (new for every upload) marks files already read.
    """
    files = st.file_uploader(
        texts.UPLOAD_LABEL,
        type=["csv", "xlsx"],
        accept_multiple_files=True,
        help=texts.UPLOAD_HELP,
        key=_uploader_key(),
        on_change=_open_section,
    )
    seen: set[str] = st.session_state.setdefault(_SEEN, set())
    new = [file for file in files or [] if file.file_id not in seen]
    if not new:
        return
    for file in new:
        seen.add(file.file_id)
        _add_file(file.getvalue(), file.name, data)
    st.session_state[_GENERATION] = int(st.session_state.get(_GENERATION, 0)) + 1
    st.rerun()


def _problems_table(problems: Sequence[RowProblem]) -> pd.DataFrame:
    """The row problems with the file name first (Datei, Zeile, Spalte, Art, Meldung)."""
    frame = problems_frame(problems)
    frame.insert(0, COL_FILE, [p.file for p in problems])
    frame[texts.COL_ROW] = frame[texts.COL_ROW].astype(str)  # no thousands dot in a row number
    return frame


def show_upload_outcome(upload: dict[str, Any]) -> None:
    """Show errors, row problems and the number of used rows of an upload.

    The problems are a static table, so that long messages wrap instead of
    being cut off in a narrow grid cell; a long table scrolls.
    """
    outcome: UploadOutcome = upload["outcome"]
    if outcome.error:
        st.error(outcome.error)
    elif upload.get("offers") is not None and len(upload["offers"]):
        n = len(upload["offers"])
        offers = "Angebot" if n == 1 else "Angebote"
        st.success(texts.UPLOAD_OK.format(n=format_int(n), offers=offers, name=outcome.name))
    else:
        st.warning(texts.UPLOAD_NONE_VALID.format(name=outcome.name))
    if outcome.problems:
        n = len(outcome.problems)
        st.markdown(
            texts.UPLOAD_PROBLEMS.format(n=format_int(n), notes="Hinweis" if n == 1 else "Hinweise")
        )
        table = _problems_table(outcome.problems)
        if len(table) > _TABLE_ROWS:
            st.table(table, hide_index=True, height=_ROW_PX * (_TABLE_ROWS + 1))
        else:
            st.table(table, hide_index=True)


def _md(text: str) -> str:
    """``text`` with Markdown characters escaped (file names come from the user)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


def _summary(active: ActiveList, data: ViewData) -> str:
    """One line on a list: valid offers, problem rows, categories (German)."""
    n, rows = active.n_offers, active.n_problem_rows
    labels = ", ".join(active.category_labels(data.category_table)) or LIST_NO_CATEGORY
    parts = [
        "1 gültiges Angebot" if n == 1 else f"{n} gültige Angebote",
        "1 Zeile mit Meldungen" if rows == 1 else f"{rows} Zeilen mit Meldungen",
        f"Kategorien: {labels}",
    ]
    if active.outcome.error is not None:
        parts.insert(0, LIST_FAILED)
    return " · ".join(parts)


def _list_rows(lists: Sequence[ActiveList], data: ViewData, shown: int) -> None:
    """One row per list: name and summary, „Meldungen zeigen“, „Entfernen“."""
    st.markdown(LISTS_HEADER.format(n=len(lists)))
    for active in lists:
        text, show, remove = st.columns([6, 3, 2], vertical_alignment="center")
        text.markdown(f"**{_md(active.name)}**  \n{_md(_summary(active, data))}")
        show.button(
            LIST_SHOW,
            key=f"upload_show_{active.number}",
            on_click=_show_list,
            args=(active.number,),
            disabled=active.number == shown,
            width="stretch",
        )
        remove.button(
            LIST_REMOVE,
            key=f"upload_remove_{active.number}",
            on_click=_remove_list,
            args=(active.number,),
            width="stretch",
        )
    st.button(LIST_REMOVE_ALL, key="upload_remove_all", on_click=remove_upload)


def upload_section(data: ViewData) -> ViewData:
    """The upload expander; returns the data including all of this session's lists."""
    # the open state is kept by the server (a keyed, stateful expander), so an
    # upload's rerun never folds the section shut; open whenever lists exist
    st.session_state.setdefault("upload_open", bool(_lists()))
    with st.expander(texts.UPLOAD_HEADER, key="upload_open", on_change="rerun"):
        _read_uploader(data)
        notice = st.session_state.get(_NOTICE)
        if notice:
            st.info(notice)
        lists = _lists()
        if lists:
            numbers = [a.number for a in lists]
            shown = st.session_state.get(_SHOWN)
            shown = shown if shown in numbers else numbers[-1]
            _list_rows(lists, data, shown)
            active = lists[numbers.index(shown)]
            st.markdown(LIST_SHOWN.format(name=_md(active.name)))
            show_upload_outcome(active.as_upload())
    return with_upload(data)
