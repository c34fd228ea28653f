"""German texts for the few Streamlit parts that have no text option (Streamlit).

Streamlit has no translations: the file uploader's button („Upload“), its
limit line („5MB per file • CSV, XLSX“) and the size of a chosen file
(„450.0B“) are English and cannot be set from Python.  The common
work-around, used here, is a style sheet that hides the English text
(``visibility: hidden``, so neither the page nor its text content shows
it) and puts a German text in its place with a CSS ``::after`` rule.  The
selectors are Streamlit's ``data-testid`` attributes (stable test hooks,
unlike the generated class names) and the ``st-key-<key>`` class of a
keyed widget; ``tests/test_browser_pages.py`` checks the result in
Chromium.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["UPLOAD_LIMITS", "german_style", "german_style_css"]

#: The German limit line of each file uploader (by widget key; the Karte page's
#: uploader gets a new key ``upload_file_<n>`` after each upload, so that key
#: is matched as a prefix).
UPLOAD_LIMITS: dict[str, str] = {
    "upload_file": "höchstens 5 MB je Datei · CSV oder Excel (XLSX)",
    "loc_upload": "höchstens 5 MB je Datei · CSV, Excel oder GeoPackage",
    "wi_upload": "höchstens 5 MB je Datei · JSON (gespeichertes Szenario)",
}
_DEFAULT_LIMIT = "höchstens 5 MB je Datei"
_BUTTON = "Datei auswählen"

_DROP = '[data-testid="stFileUploaderDropzone"]'
_HIDE = "visibility: hidden; font-size: 0 !important; line-height: 0;"
_SHOW = "visibility: visible; font-size: 0.875rem; line-height: 1.4;"


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_selector(key: str) -> str:
    """The CSS selector of a keyed widget (``upload_file`` also matches ``upload_file_<n>``)."""
    if key == "upload_file":
        return f'[class*="st-key-{key}"]'
    return f".st-key-{key}"


def german_style_css() -> str:
    """The style sheet (without ``<style>``): German texts in the uploader, whole KPI labels."""
    button = f'{_DROP} [data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"] p'
    limit = f'{_DROP} [data-testid="stFileUploaderDropzoneInstructions"] span'
    rules = [
        f"{button} {{ {_HIDE} }}",
        f"{button}::after {{ content: {_css_string(_BUTTON)}; {_SHOW} }}",
        f"{limit} {{ {_HIDE} }}",
        f"{limit}::after {{ content: {_css_string(_DEFAULT_LIMIT)}; {_SHOW} }}",
        # the chosen file's size („450.0B“, English units): not shown; the
        # upload's own German message names the file
        '[data-testid="stFileChip"] [data-testid="stFileChipName"] + div { display: none; }',
        # key-figure labels wrap instead of ending in „…“ (a steering group must read
        # what a number counts); two lines of room keep the numbers of a row aligned
        '[data-testid="stMetricLabel"] { min-height: 2.6em; align-items: flex-start; }',
        '[data-testid="stMetricLabel"] * { white-space: normal !important; '
        "overflow: visible !important; text-overflow: clip !important; }",
    ]
    rules += [
        f"{_key_selector(key)} {limit}::after {{ content: {_css_string(text)}; }}"
        for key, text in UPLOAD_LIMITS.items()
    ]
    return "\n".join(rules)


def german_style() -> None:
    """Add the style sheet to the page (call once per run, before the pages draw)."""
    st.html(f"<style>\n{german_style_css()}\n</style>")
