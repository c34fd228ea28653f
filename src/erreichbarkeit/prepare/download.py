"""Download the source files of a region once and keep them in a cache folder.

A download is stored under its original file name in ``<data_dir>/downloads/``
together with a small ``<name>.meta.json`` (URL, size, HTTP ``Last-Modified``).
A later call reuses the file without any network request when the file exists,
its size equals the recorded size and the record names the same URL.  A file
a user put there by hand (no ``.meta.json``) is reused as it is.  To fetch a
newer file, delete it.

Downloads are resumable and atomic: the bytes collect in ``.partial-<name>``
(with ``.partial-<name>.meta.json`` naming the URL and the server's ETag or
date), and only a complete, validated file is renamed to ``<name>``, so an
existing ``<name>`` is never partial.  When a download breaks off, the next
call asks the server for the rest (HTTP ``Range`` with ``If-Range``; a server
without range support, or a file that changed meanwhile, sends it whole).
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit._version import __version__
from erreichbarkeit.config import ProgressCallback
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "Validator",
    "download",
    "fetch_source",
    "is_cached",
    "is_url",
    "looks_like_html",
    "offline_check",
    "url_file_name",
]

logger = logging.getLogger(__name__)

#: ``validate(path, source)`` raises an :class:`InputDataError` for a bad file.
Validator = Callable[[Path, str], None]

_CHUNK_BYTES = 1 << 20  # 1 MiB per read while downloading
_HTML_PREFIXES = (b"<!doctype", b"<html", b"<?xml version", b"<head", b"<body")
_ERROR_DE = "Download fehlgeschlagen"
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError)


def is_url(text: str) -> bool:
    """Whether ``text`` is a URL (http, https, ftp or file) rather than a path."""
    return urllib.parse.urlsplit(text).scheme.lower() in ("http", "https", "ftp", "file")


def url_file_name(url: str) -> str:
    """The file name a URL's download is cached under (``download`` if it has none)."""
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    return name or "download"


def _user_agent() -> str:
    """The ``User-Agent`` header of our requests."""
    return f"erreichbarkeit/{__version__} (Python-urllib)"


def _meta_path(target: Path) -> Path:
    """The download record beside a cached file."""
    return target.with_name(target.name + ".meta.json")


def is_cached(target: Path, url: str) -> bool:
    """Whether ``target`` is a complete earlier download of ``url`` (or placed by hand).

    Parameters
    ----------
    target
        The cache file.
    url
        The URL it should come from.

    Returns
    -------
    bool
        ``True`` when the file exists, is not empty and either has no download
        record (placed by hand) or a record of the same URL and size.
    """
    if not target.is_file() or target.stat().st_size == 0:
        return False
    meta_path = _meta_path(target)
    if not meta_path.is_file():
        logger.info("using %s (placed by hand, no download record)", target)
        return True
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return bool(meta.get("url") == url and meta.get("bytes") == target.stat().st_size)


def looks_like_html(path: Path) -> bool:
    """Whether a downloaded file is a web page (an error page) instead of data."""
    with path.open("rb") as fh:
        head = fh.read(512).lstrip().lower()
    return head.startswith(_HTML_PREFIXES) and b"<osm" not in head


def _part_path(target: Path) -> Path:
    """Where an unfinished download of ``target`` collects its bytes.

    The name ends like ``target``'s (``.osm.pbf``): readers pick the format by suffix.
    """
    return target.with_name(".partial-" + target.name)


def _drop_part(target: Path) -> None:
    """Forget an unfinished download (its bytes and its record)."""
    part = _part_path(target)
    part.unlink(missing_ok=True)
    _meta_path(part).unlink(missing_ok=True)


def _resume_from(target: Path, url: str) -> tuple[int, str | None]:
    """Bytes already downloaded from ``url`` and the validator (ETag/date) they came with."""
    part = _part_path(target)
    try:
        meta = json.loads(_meta_path(part).read_text("utf-8"))
        size = part.stat().st_size
    except (OSError, json.JSONDecodeError):
        _drop_part(target)
        return 0, None
    if meta.get("url") != url or not size:
        _drop_part(target)
        return 0, None
    validator = meta.get("validator")
    return size, str(validator) if validator else None


def _request(url: str, offset: int, validator: str | None) -> urllib.request.Request:
    """The GET request; with ``offset`` it asks for the rest of the file only."""
    headers = {"User-Agent": _user_agent()}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:  # the server sends the whole file if it changed meanwhile
            headers["If-Range"] = validator
    return urllib.request.Request(url, headers=headers)


def _copy_body(
    response: http.client.HTTPResponse,
    fh: IO[bytes],
    *,
    offset: int,
    label: str,
    progress: ProgressCallback | None,
) -> tuple[int, int]:
    """Append the response body to ``fh``; return ``(bytes in file, expected total or 0)``."""
    length = int(response.headers.get("Content-Length") or 0)
    total = offset + length if length else 0
    done = offset
    while chunk := response.read(_CHUNK_BYTES):
        fh.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(label, done, total)
    return done, total


def _validate_as(validate: Validator, tmp: Path, url: str, target: Path) -> None:
    """Run ``validate`` on the unfinished file, naming the final file in an error."""
    try:
        validate(tmp, url)
    except InputDataError as exc:  # name the final file, not the temporary one
        exc.file = str(target)
        exc.args = (exc._format(exc.message, exc.expected, "expected"),)
        raise


def _receive(
    url: str,
    target: Path,
    *,
    label: str,
    progress: ProgressCallback | None,
    timeout_s: float,
) -> str | None:
    """Stream the (rest of the) file into ``.partial-<target>``; return ``Last-Modified``.

    A cut-off download keeps its partial file, so the next call continues
    where it stopped (HTTP ``Range``) instead of starting again.
    """
    part = _part_path(target)
    offset, validator = _resume_from(target, url)
    with urllib.request.urlopen(_request(url, offset, validator), timeout=timeout_s) as response:
        if response.status != HTTPStatus.PARTIAL_CONTENT:
            offset = 0  # a full answer: start again
        headers = response.headers
        last_modified: str | None = headers.get("Last-Modified")
        record = {"url": url, "validator": headers.get("ETag") or last_modified}
        part.parent.mkdir(parents=True, exist_ok=True)
        _meta_path(part).write_text(json.dumps(record), "utf-8")
        with part.open("ab" if offset else "wb") as fh:
            done, total = _copy_body(response, fh, offset=offset, label=label, progress=progress)
    if total and done != total:
        msg = f"download of {url} was cut off after {done} of {total} bytes"
        raise InputDataError(
            msg,
            file=target,
            message_de=(
                f"{_ERROR_DE}: nach {done} von {total} Bytes abgebrochen ({url}); "
                "ein erneuter Aufruf setzt den Download fort"
            ),
        )
    return last_modified


def _finish(target: Path, url: str, validate: Validator) -> None:
    """Validate the complete partial file and move it onto ``target`` (atomic)."""
    part = _part_path(target)
    try:
        _validate_as(validate, part, url, target)
    except InputDataError:
        _drop_part(target)
        raise
    part.replace(target)
    _meta_path(part).unlink(missing_ok=True)


def _http_error(
    exc: urllib.error.HTTPError, url: str, target: Path, option: str | None
) -> InputDataError:
    """The error for an HTTP error status; ``option`` gives the file by hand."""
    msg = f"download failed: HTTP {exc.code} {exc.reason} for {url}"
    hint_de = f" Die Datei lässt sich auch mit {option} DATEI angeben." if option else ""
    return InputDataError(
        msg + (f" (or pass {option} FILE)" if option else ""),
        file=target,
        message_de=(
            f"{_ERROR_DE}: Der Server antwortete mit HTTP {exc.code} ({exc.reason}) "
            f"für {url}. Stimmt die Adresse in der Regionsdatei?{hint_de}"
        ),
    )


def _connection_error(exc: Exception, url: str, target: Path, option: str | None) -> InputDataError:
    """The error for an unreachable server, a timeout or a broken connection.

    ``option`` is the CLI option that gives this file by hand (``--gtfs``);
    the German hint names it.
    """
    reason = getattr(exc, "reason", exc)
    msg = f"download failed: {reason} ({url})"
    hint_de = f" (oder mit {option} DATEI angeben)" if option else ""
    return InputDataError(
        msg + (f"; or pass {option} FILE" if option else ""),
        file=target,
        message_de=(
            f"{_ERROR_DE}: {reason} ({url}). Ohne Internet die Datei von Hand "
            f"herunterladen und nach {target} legen{hint_de}."
        ),
    )


def _write_meta(target: Path, url: str, last_modified: str | None) -> None:
    """Record URL, size and dates of a finished download beside it."""
    meta = {
        "url": url,
        "bytes": target.stat().st_size,
        "last_modified": last_modified,
        "downloaded": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with atomic_path(_meta_path(target)) as tmp_meta:
        tmp_meta.write_text(json.dumps(meta, indent=2), "utf-8")


def download(
    url: str,
    target: Path,
    *,
    label: str,
    validate: Validator,
    progress: ProgressCallback | None,
    timeout_s: float,
    option: str | None = None,
) -> Path:
    """Download ``url`` into ``target`` unless it is cached there.

    Parameters
    ----------
    url
        What to download.
    target
        The cache file; written atomically, with a ``.meta.json`` record.
    label
        Progress step name (``"Download OSM-Extrakt"``).
    validate
        Checks the finished file before it replaces ``target``.
    progress
        ``progress(label, bytes done, bytes total or 0)``.
    timeout_s
        Network timeout per connection/read in seconds.
    option
        The CLI option that gives the file by hand (``--gtfs``); the German
        message of a failed download names it.  ``None``: no such hint.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    InputDataError
        HTTP error, no connection, cut-off download ("Download fehlgeschlagen: …"),
        or whatever ``validate`` raises.
    """
    if is_cached(target, url):
        logger.info("cached download %s", target)
        return target
    logger.info("downloading %s -> %s", url, target)
    try:
        last_modified = _receive(url, target, label=label, progress=progress, timeout_s=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE and _part_path(target).exists():
            _drop_part(target)  # a stale part: fetch the whole file
            return download(
                url,
                target,
                label=label,
                validate=validate,
                progress=progress,
                timeout_s=timeout_s,
                option=option,
            )
        raise _http_error(exc, url, target, option) from exc
    except _NETWORK_ERRORS as exc:
        raise _connection_error(exc, url, target, option) from exc
    _finish(target, url, validate)
    _write_meta(target, url, last_modified)
    return target


def offline_check(wanted: list[tuple[str, str]], *, region_file: Path, downloads: Path) -> None:
    """In offline mode, raise one error naming every file that must be downloaded.

    Parameters
    ----------
    wanted
        ``(URL or path, CLI option)`` pairs of the files the run needs.
    region_file
        The region file (named in the error).
    downloads
        The download cache folder.

    Raises
    ------
    ConfigError
        If any URL is not cached; the German message says what to download
        and where to put it.
    """
    missing = [
        (url, option)
        for url, option in wanted
        if is_url(url) and not is_cached(downloads / url_file_name(url), url)
    ]
    if not missing:
        return
    en = "; ".join(f"{url} (or pass {option} FILE)" for url, option in missing)
    de = " ".join(
        f"„{url}“ herunterladen und als {downloads / url_file_name(url)} speichern "
        f"(oder mit {option} DATEI angeben)."
        for url, option in missing
    )
    msg = f"offline mode: download into {downloads} first: {en}"
    raise ConfigError(
        msg,
        file=region_file,
        expected=", ".join(str(downloads / url_file_name(u)) for u, _ in missing),
        message_de=f"Offline-Modus, es fehlen Dateien. Bitte {de}",
    )


def _local_source(path_text: str, region_file: Path) -> Path:
    """A source given as a path (relative to the region file)."""
    local = Path(path_text).expanduser()
    if not local.is_absolute():
        local = region_file.parent / local
    if not local.is_file():
        msg = f"source file {local} not found"
        raise ConfigError(msg, file=region_file, message_de=f"Datei {local} nicht gefunden")
    return local


def _offline_missing(url: str, target: Path, *, region_file: Path, option: str) -> ConfigError:
    """The error for one source that offline mode cannot provide."""
    downloads = target.parent
    msg = (
        f"offline mode and {target.name} is not downloaded yet: download {url} "
        f"into {downloads} or pass it with {option}"
    )
    return ConfigError(
        msg,
        file=region_file,
        expected=f"{target} or {option} FILE",
        message_de=(
            f"Offline-Modus, aber {target.name} fehlt. Bitte {url} herunterladen "
            f"und nach {downloads} legen (Dateiname {target.name}) oder mit {option} "
            "angeben."
        ),
    )


def fetch_source(
    url_or_path: str,
    *,
    region_file: Path,
    downloads: Path,
    label: str,
    validate: Validator,
    offline: bool,
    progress: ProgressCallback | None,
    timeout_s: float,
    option: str,
) -> Path:
    """Return a local file for a source URL or path (downloading it unless cached).

    Parameters
    ----------
    url_or_path
        ``[source]`` value: a URL, or a path relative to the region file.
    region_file
        The region file.
    downloads
        The download cache folder.
    label, validate, progress, timeout_s
        As in :func:`download`.
    offline
        Never download; a URL that is not cached raises.
    option
        The CLI option that gives the file by hand (``--extract``), for messages.

    Returns
    -------
    Path
        The local file.

    Raises
    ------
    ConfigError
        A local source file is missing, or offline mode without a cached download.
    InputDataError
        The download failed.
    """
    if not is_url(url_or_path):
        return _local_source(url_or_path, region_file)
    target = downloads / url_file_name(url_or_path)
    if offline:
        if is_cached(target, url_or_path):
            return target
        raise _offline_missing(url_or_path, target, region_file=region_file, option=option)
    return download(
        url_or_path,
        target,
        label=label,
        validate=validate,
        progress=progress,
        timeout_s=timeout_s,
        option=option,
    )
