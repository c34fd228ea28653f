"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

A killed run never leaves a half-written file under the final name: readers
see either the old file or the complete new one.  The standard library has
no atomic-write helper, and the small ``atomicwrites`` package is
unmaintained, hence these few lines.

Temporary files and folders are named ``.erreichbarkeit-tmp-<pid>-<name>…``
(:data:`TMP_PREFIX`, the writer's process id, the target's name), so that
:func:`sweep_stale` can remove what a killed run left behind, and only that:
a temporary of a process that is still running is never touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_PREFIX", "atomic_dir", "atomic_path", "sweep_stale"]

logger = logging.getLogger(__name__)

#: Start of the name of every temporary file or folder written here.
TMP_PREFIX = ".erreichbarkeit-tmp-"

_TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")


def _prefix(target: Path) -> str:
    """The temporary-name prefix for ``target``: marker, this process id, target name."""
    return f"{TMP_PREFIX}{os.getpid()}-{target.name[:100]}."  # room for the rest of 255


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Parameters
    ----------
    target
        Final file path.  Its folder is created if missing.
    suffix
        Suffix of the temporary file (defaults to ``target``'s suffix, which
        some writers such as GDAL use to choose the format).

    Yields
    ------
    Path
        Where to write.  On an exception it is removed and ``target`` stays as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=_prefix(target),
        suffix=suffix if suffix is not None else "".join(target.suffixes),
        dir=target.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL refuse to write onto an existing file
    try:
        yield tmp_path
        with tmp_path.open("rb") as fh:  # flush to disk before the rename
            os.fsync(fh.fileno())
        tmp_path.replace(target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; rename it to ``target`` on success.

    An existing ``target`` is replaced only after the new one is complete.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(target), dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f"{_prefix(target)}old")
            if old.exists():
                shutil.rmtree(old)
            target.replace(old)
            tmp.replace(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.replace(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (a process of another user counts as running)."""
    if pid <= 0:
        return True  # not a real writer id: keep the file
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _stale(entry: Path, before: float) -> bool:
    """Whether ``entry`` is a temporary of a dead writer, older than ``before``."""
    match = _TMP_NAME.match(entry.name)
    if match is None or _pid_alive(int(match.group(1))):
        return False
    try:
        return entry.lstat().st_mtime < before
    except OSError:
        return False


def sweep_stale(folder: str | Path, *, before: float | None = None, depth: int = 1) -> list[Path]:
    """Remove the temporaries a killed run left in ``folder``.

    Only entries named by :func:`atomic_path`/:func:`atomic_dir`
    (:data:`TMP_PREFIX` and a process id) are candidates; one is removed when
    its writer is no longer running and it was last changed before
    ``before``.  Nothing else is touched; a missing folder is fine.

    Parameters
    ----------
    folder
        Output or cache folder.
    before
        Only older entries are removed (default: now, i.e. the start of the run).
    depth
        How many folder levels to look into (1: ``folder`` itself; 2: also its
        subfolders, e.g. ``cache/osrm``).

    Returns
    -------
    list[Path]
        The removed entries.
    """
    cutoff = time.time() if before is None else before
    root = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return removed
    for entry in entries:
        if _stale(entry, cutoff):
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError as exc:
                logger.warning("could not remove the leftover %s: %s", entry, exc)
                continue
            removed.append(entry)
            logger.info("removed the leftover %s of an interrupted run", entry)
        elif (
            depth > 1
            and entry.is_dir()
            and not entry.is_symlink()
            and not entry.name.startswith(TMP_PREFIX)
        ):
            removed += sweep_stale(entry, before=cutoff, depth=depth - 1)
    return removed
