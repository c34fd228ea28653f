"""Finished runs stored on disk, keyed by the content of every input.

A run of a real county takes minutes; the dashboard after a server restart
and the CLI's ``analyse`` should compute it once.  :class:`ResultStore`
keeps one folder per run under a root (e.g. ``data/cache/ergebnisse``)::

    <root>/<key>/manifest.json      format version, key, package and method version,
                                    per file: rows, bytes, SHA-256; the run's tree
    <root>/<key>/000-villages.parquet …   one (Geo)Parquet file per table
    <root>/<key>/last_used          touched on every load (least-recently-used cleanup)

The key (:func:`results_key`) is a SHA-256 over the content of every input
file (network, boundaries, villages, population, offers lists, population
grid, categories file, GTFS feeds, Zuständigkeit tables), the settings that
change results (not the cache or output folder, nor worker counts, so the
CLI's run and the dashboard's share a key), the category table in force,
:data:`METHOD_VERSION` and the package version; for Bus & Bahn without a
fixed ``transit.date`` also today's date, because the reference day and
the "timetable expired" notice depend on it.

Writes are atomic: a temporary folder in the root (named like
:mod:`erreichbarkeit._atomic`'s temporaries, so a killed save is swept on the
next open) is filled, flushed to disk and renamed into place; when another
session stored the same key first, its entry is kept.  A damaged entry
(missing or truncated file, checksum mismatch, unknown format, unreadable
manifest) or a stale one (a file it refers to, such as the cleaned timetable
copy in the cache, is gone) is logged in German, removed and reported as
absent, so the caller computes the run again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erreichbarkeit._atomic import TMP_PREFIX, atomic_path, sweep_stale
from erreichbarkeit._version import __version__
from erreichbarkeit.config import Settings
from erreichbarkeit.pipeline._store_codec import (
    StoreFormatError,
    TreeDecoder,
    TreeEncoder,
    check_file,
    encode_value,
    read_manifest,
    sha256_file,
)
from erreichbarkeit.results import Results

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "FORMAT_VERSION",
    "METHOD_VERSION",
    "ResultStore",
    "StoreEntry",
    "default_store_root",
    "load_or_run",
    "results_key",
]

logger = logging.getLogger(__name__)

#: Version of the indicator methods: bump when a formula changes results, so
#: that every stored run is computed again.
METHOD_VERSION = "1"
#: Version of the folder layout and manifest of :class:`ResultStore`.
FORMAT_VERSION = 1
#: Default size limit of a store's root (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Default number of runs kept.
DEFAULT_MAX_ENTRIES = 32

#: The dashboard's data folder (as :data:`erreichbarkeit.ui.cache.DATA_DIR_ENV`).
DATA_DIR_ENV = "ERREICHBARKEIT_DATA_DIR"
MANIFEST = "manifest.json"
LAST_USED = "last_used"
_KEY_LENGTH = 64
#: Settings fields that do not change results (where things go, how many workers).
_NOT_RESULT_FIELDS = frozenset({"cache_dir", "out_dir", "workers"})
_NOT_RESULT_TRANSIT = frozenset({"python", "workers"})
#: Offer sources that are not files.
_OFFER_WORDS = frozenset({"osm"})

_digests: dict[tuple[str, int, int], str] = {}
_digest_lock = threading.Lock()
_root_locks: dict[str, threading.RLock] = {}
_root_locks_guard = threading.Lock()


# -- the key --------------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed; memoised per (path, size, mtime_ns) in-process."""
    stat = path.stat()
    memo = (str(path), stat.st_size, stat.st_mtime_ns)
    with _digest_lock:
        known = _digests.get(memo)
    if known is not None:
        return known
    digest = sha256_file(path)
    with _digest_lock:
        _digests[memo] = digest
    return digest


def _content_digest(path: Path) -> str:
    """Digest of a file, or of a folder's files (sorted, with their relative names)."""
    if path.is_file():
        return _file_digest(path)
    if path.is_dir():
        h = hashlib.sha256()
        for member in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(member.relative_to(path).as_posix().encode() + b"\0")
            h.update(_file_digest(member).encode() + b"\0")
        return "dir:" + h.hexdigest()
    return "missing"


def _input_paths(settings: Settings) -> Iterator[tuple[str, Path]]:
    """Every input file or folder of the settings, with the field it comes from.

    Generic over the fields: every path (or tuple of paths) except the cache
    and output folders, plus the offers lists (strings other than ``"osm"``).
    """
    for f in dataclasses.fields(settings):
        if f.name in _NOT_RESULT_FIELDS:
            continue
        value = getattr(settings, f.name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, Path):
                yield f.name, item
            elif f.name == "offers" and isinstance(item, str) and item not in _OFFER_WORDS:
                yield f.name, Path(item)


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def _settings_digest(settings: Settings) -> str:
    """Digest of the settings that change results (like :meth:`Settings.cache_key`).

    Left out: ``cache_dir``, ``out_dir``, ``workers`` and the timetable
    worker's interpreter and count.  Input paths are made absolute, so a
    region file read from another working folder gives the same key.
    """
    data = settings.to_dict()
    for name in _NOT_RESULT_FIELDS:
        data.pop(name, None)
    transit = data.get("transit")
    if isinstance(transit, dict):
        for name in _NOT_RESULT_TRANSIT:
            transit.pop(name, None)
    inputs: dict[str, list[str]] = {}
    for name, path in _input_paths(settings):
        inputs.setdefault(name, []).append(_resolved(path))
    for name, paths in inputs.items():
        data[name] = paths
    if "offers" in data:
        data["offers_words"] = [o for o in settings.offers if o in _OFFER_WORDS]
    blob = json.dumps(data, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def results_key(settings: Settings, *, today: dt.date | None = None) -> str:
    """The store key of a run: SHA-256 (hex) over inputs, settings and method version.

    Parameters
    ----------
    settings
        The settings the caller passes to :func:`erreichbarkeit.pipeline.run`.
    today
        The date a Bus & Bahn run without ``transit.date`` depends on
        (default: today).

    Returns
    -------
    str
        64 hex digits.  A missing input file gives a key of its own (the run
        then fails with its usual German message).
    """
    h = hashlib.sha256()

    def part(label: str, text: str) -> None:
        h.update(label.encode() + b"\0" + text.encode() + b"\0")

    part("format", str(FORMAT_VERSION))
    part("method", METHOD_VERSION)
    part("package", __version__)
    part("settings", _settings_digest(settings))
    for name, path in _input_paths(settings):
        part(f"input:{name}", _content_digest(path))
    categories = {k: encode_value(c) for k, c in settings.categories().items()}
    part("categories", json.dumps(categories, sort_keys=True, ensure_ascii=True))
    if "pt" in settings.modes and settings.transit.date is None:
        part("day", (today or dt.date.today()).isoformat())
    return h.hexdigest()


def default_store_root(settings: Settings) -> Path:
    """The store folder shared by the CLI and the dashboard.

    ``$ERREICHBARKEIT_DATA_DIR/cache/ergebnisse`` when that variable (the
    dashboard's data folder) is set, else ``<cache_dir>/ergebnisse``.
    """
    env = os.environ.get(DATA_DIR_ENV)
    return (Path(env) / "cache" if env else Path(settings.cache_dir)) / "ergebnisse"


# -- file helpers ---------------------------------------------------------------------------


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk (folders: where the platform allows it)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # folders cannot be opened on Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for entry in folder.rglob("*"):
        try:
            total += entry.stat().st_size if entry.is_file() else 0
        except OSError:
            continue
    return total


def _temp_folder(root: Path, key: str) -> Path:
    """A new temporary folder in ``root``, named so :func:`sweep_stale` recognises it."""
    return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{key[:16]}.", dir=root))


def _root_lock(root: Path) -> threading.RLock:
    name = _resolved(root)
    with _root_locks_guard:
        return _root_locks.setdefault(name, threading.RLock())


@dataclass(frozen=True)
class StoreEntry:
    """One stored run: its folder, size and when it was last used (POSIX seconds)."""

    key: str
    folder: Path
    bytes: int
    last_used: float


# -- the store ------------------------------------------------------------------------------


class ResultStore:
    """Finished runs on disk, one folder per :func:`results_key`.

    Parameters
    ----------
    root
        The store's folder (created on the first save).  Temporaries of
        saves that were killed are removed when a store is opened.
    max_bytes, max_entries
        After a save, the least recently used runs are removed until the
        root holds at most this many bytes and runs (the run just saved is
        always kept).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._lock = _root_lock(self.root)
        sweep_stale(self.root)

    def folder(self, key: str) -> Path:
        """The folder of a key."""
        return self.root / key

    # -- reading ------------------------------------------------------------------------

    def load(self, settings: Settings, *, today: dt.date | None = None) -> Results | None:
        """The stored run for these settings, or ``None`` (absent, damaged or stale).

        The returned :class:`Results` carry the caller's ``settings`` (with
        the fields the run itself changed, e.g. ``modes`` without Bus & Bahn).
        A damaged or stale entry is logged in German and removed.
        """
        key = results_key(settings, today=today)
        folder = self.folder(key)
        if not folder.is_dir():
            return None
        with self._lock:
            try:
                results = self._read(folder, key, settings)
            except _StaleError as exc:
                logger.warning(
                    "Gespeicherte Ergebnisse für „%s“ sind veraltet (%s) – werden neu berechnet",
                    settings.name, exc.reason_de,
                )  # fmt: skip
                self._remove(folder)
                return None
            except Exception as exc:  # whatever is broken, the run is computed again
                reason = (
                    exc.reason_de
                    if isinstance(exc, StoreFormatError)
                    else f"nicht lesbar: {type(exc).__name__}"
                )
                logger.warning(
                    "Gespeicherte Ergebnisse für „%s“ sind beschädigt (%s) – werden neu berechnet",
                    settings.name, reason,
                )  # fmt: skip
                logger.debug("damaged entry %s", folder, exc_info=True)
                self._remove(folder)
                return None
        try:
            (folder / LAST_USED).touch()
        except OSError:
            logger.debug("could not mark %s as used", folder)
        logger.info("stored results %s loaded", key[:12])
        return results

    def _read(self, folder: Path, key: str, settings: Settings) -> Results:
        manifest = read_manifest(folder / MANIFEST, key, FORMAT_VERSION)
        files: dict[str, dict[str, Any]] = manifest["files"]
        for name, info in files.items():
            check_file(folder / name, info)
        missing = [p for p in manifest["paths"] if not Path(p).exists()]
        if missing:
            msg = f"{len(missing)} referenced files are gone, e.g. {missing[0]}"
            raise _StaleError(msg, f"Datei {missing[0]} fehlt")
        value = TreeDecoder(folder, files, settings).decode(manifest["tree"])
        if not isinstance(value, Results):
            msg = "the manifest does not hold a run"
            raise StoreFormatError(msg, "kein Ergebnis im Verzeichnis")
        if "pt" in settings.modes and "pt" not in value.settings.modes and _transit_now(settings):
            msg = "Bus & Bahn was switched off when stored and is available now"
            raise _StaleError(msg, "Bus & Bahn ist jetzt verfügbar")
        return value

    # -- writing ------------------------------------------------------------------------

    def save(self, results: Results, *, settings: Settings | None = None) -> Path:
        """Store a run; return its folder.

        Parameters
        ----------
        results
            A finished run.
        settings
            The settings the caller gave :func:`erreichbarkeit.pipeline.run`
            (default ``results.settings``).  Pass them: the run may change
            its settings (Bus & Bahn switched off), and :meth:`load` looks
            the run up by the caller's settings.

        Raises
        ------
        OSError
            The root cannot be written (full disk, no permission).
        TypeError
            A table with non-string column names, or a value of a type the
            store does not know outside a field with a default.
        """
        key_settings = settings if settings is not None else results.settings
        key = results_key(key_settings)
        final = self.folder(key)
        if (final / MANIFEST).is_file():
            return final  # another session stored it first
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = _temp_folder(self.root, key)
        try:
            self._write(tmp, results, key, key_settings)
            try:
                tmp.rename(final)
            except OSError:
                if (final / MANIFEST).is_file():
                    logger.info("results %s were stored by another session first", key[:12])
                else:  # a broken folder under the final name (no manifest): replace it
                    self._remove(final)
                    tmp.rename(final)
            _fsync(self.root)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        logger.info("results %s stored in %s", key[:12], final)
        self.cleanup(keep=(key,))
        return final

    def _write(self, tmp: Path, results: Results, key: str, key_settings: Settings) -> None:
        encoder = TreeEncoder(tmp, key_settings)
        tree = encoder.encode(results, "results")
        files: dict[str, dict[str, Any]] = {}
        for name, meta in encoder.files.items():
            path = tmp / name
            _fsync(path)
            files[name] = {**meta, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        manifest = {
            "format": FORMAT_VERSION,
            "key": key,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
            "method_version": METHOD_VERSION,
            "region": key_settings.name,
            "files": files,
            "paths": sorted(encoder.paths),
            "tree": tree,
        }
        path = tmp / MANIFEST
        with path.open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, allow_nan=False)
            fh.flush()
            os.fsync(fh.fileno())
        (tmp / LAST_USED).touch()
        _fsync(tmp)

    def layer(self, settings: Settings, name: str, build: Callable[[], str]) -> str:
        """A text derived from the stored run (a map layer's GeoJSON …), built once.

        The text is kept in the run's folder (``layers/<name>``, written
        atomically beside its SHA-256) and goes with it in the cleanup; a
        run that is not stored, or a damaged copy, is built again.
        """
        folder = self.folder(results_key(settings))
        path = folder / "layers" / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        sidecar = path.with_name(path.name + ".sha256")
        try:
            text = path.read_text(encoding="utf-8")
            if hashlib.sha256(text.encode()).hexdigest() == sidecar.read_text(encoding="ascii"):
                return text
        except (OSError, UnicodeDecodeError):
            pass
        text = build()
        if (folder / MANIFEST).is_file():
            try:
                with atomic_path(path) as tmp:
                    tmp.write_text(text, encoding="utf-8")
                with atomic_path(sidecar) as tmp:
                    tmp.write_text(hashlib.sha256(text.encode()).hexdigest(), encoding="ascii")
            except OSError as exc:
                logger.debug("could not keep the layer %s: %s", name, exc)
        return text

    # -- housekeeping -------------------------------------------------------------------

    def entries(self) -> list[StoreEntry]:
        """The stored runs, least recently used first."""
        out: list[StoreEntry] = []
        try:
            folders = [p for p in self.root.iterdir() if _is_entry(p)]
        except OSError:
            return out
        for folder in folders:
            try:
                used = max(
                    (folder / n).stat().st_mtime
                    for n in (LAST_USED, MANIFEST)
                    if (folder / n).exists()
                )
            except (OSError, ValueError):
                used = 0.0
            out.append(StoreEntry(folder.name, folder, _folder_bytes(folder), used))
        return sorted(out, key=lambda e: (e.last_used, e.key))

    def cleanup(self, *, keep: Iterable[str] = ()) -> list[Path]:
        """Remove least recently used runs until the root is within its limits.

        Parameters
        ----------
        keep
            Keys never removed (the run just saved).

        Returns
        -------
        list[Path]
            The removed folders.
        """
        protected = set(keep)
        removed: list[Path] = []
        with self._lock:
            entries = self.entries()
            total = sum(e.bytes for e in entries)
            count = len(entries)
            for entry in entries:
                if total <= self.max_bytes and count <= self.max_entries:
                    break
                if entry.key in protected:
                    continue
                self._remove(entry.folder)
                removed.append(entry.folder)
                total -= entry.bytes
                count -= 1
        for folder in removed:
            logger.info("removed the least recently used results %s", folder.name[:12])
        return removed

    def _remove(self, folder: Path) -> None:
        """Rename the entry away (readers never see half of it), then delete it."""
        try:
            trash = _temp_folder(self.root, folder.name)
            trash.rmdir()
            folder.rename(trash)
        except OSError:
            trash = folder
        shutil.rmtree(trash, ignore_errors=True)


class _StaleError(Exception):
    """An intact entry that no longer fits (a referenced file is gone …)."""

    def __init__(self, message: str, reason_de: str) -> None:
        super().__init__(message)
        self.reason_de = reason_de


def _is_entry(path: Path) -> bool:
    name = path.name
    return len(name) == _KEY_LENGTH and all(c in "0123456789abcdef" for c in name) and path.is_dir()


def _transit_now(settings: Settings) -> bool:
    """Whether the timetable worker is available now (a subprocess probe, cached)."""
    from erreichbarkeit.network.transit.engine import transit_status  # noqa: PLC0415

    return transit_status(settings.transit.python).available


def load_or_run(
    store: ResultStore | None,
    settings: Settings,
    compute: Callable[[Settings], Results],
) -> Results:
    """The stored run of ``settings``, else ``compute(settings)`` stored for next time.

    A failed save is logged in German and does not fail the run.

    Parameters
    ----------
    store
        The store; ``None`` computes without storing.
    settings
        The run's settings.
    compute
        Computes a run (e.g. ``lambda s: pipeline.run(s, progress=…)``).
    """
    if store is not None:
        stored = store.load(settings)
        if stored is not None:
            return stored
    results = compute(settings)
    if store is not None:
        try:
            store.save(results, settings=settings)
        except (OSError, TypeError, ValueError) as exc:
            logger.warning(
                "Ergebnisse konnten nicht gespeichert werden (%s); sie werden beim nächsten "
                "Start neu berechnet",
                exc,
            )
    return results
