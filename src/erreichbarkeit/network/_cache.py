"""The cache of prepared OSRM networks: key, folder, manifest, lock.

Equal inputs give an equal key and find the same entry, whoever prepared
it: the library's :func:`~erreichbarkeit.network.routing.prepare_network`,
the CLI or the dashboard (same ``cache_dir``), whatever the network file is
called and wherever OSRM's profiles are installed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from erreichbarkeit._helpers import file_digest
from erreichbarkeit.network.profiles import profiles_dir

__all__ = [
    "MANIFEST",
    "checksum",
    "find_entry",
    "locked",
    "manifest_ok",
    "network_key",
    "osrm_cache_root",
    "osrm_version",
]

logger = logging.getLogger("erreichbarkeit.network.routing")

MANIFEST = "manifest.json"
_CACHE_LAYOUT_VERSION = "2"  # 2: manifest with checksums


def osrm_version() -> str:
    try:
        return importlib.metadata.version("osrm-bindings")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - dev build
        return "unknown"


def network_key(osm_path: Path, mode: str, algorithm: str, profile: str) -> str:
    """Digest of everything a prepared network depends on.

    The input file's bytes, the full profile text (including speed
    overrides; the location of OSRM's profile folder left out), the
    algorithm, the OSRM version and the cache layout version.  The file's
    name and folder are not part of it.
    """
    h = hashlib.sha256()
    # The generated profile names OSRM's profile folder by its absolute path;
    # the OSRM version already stands for the profiles' content, so the path
    # (another virtual environment, another user) must not change the key.
    canonical = profile.replace(str(profiles_dir()), "<osrm-profiles>")
    for part in (
        _CACHE_LAYOUT_VERSION,
        osrm_version(),
        mode,
        algorithm,
        canonical,
        file_digest(osm_path),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def checksum(path: Path) -> str:
    """BLAKE2b of a file (fast; detects damage, not tampering)."""
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_ok(folder: Path) -> bool:
    """Whether a cache entry is complete and undamaged (sizes and checksums).

    A file truncated by a killed run, or changed on disk, makes the entry
    invalid; the caller then rebuilds it.  Checking about 50 MB (a county's
    foot network) takes a fraction of a second.
    """
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text("utf-8"))
        files: dict[str, dict[str, Any]] = data["files"]
        expected = {name: (int(v["size"]), str(v["blake2b"])) for name, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("cache entry %s has no valid manifest; rebuilding", folder.name)
        return False
    for name, (size, digest) in expected.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or checksum(path) != digest:
            logger.warning("cache entry %s is damaged (%s); rebuilding", folder.name, name)
            return False
    return True


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock between threads and processes (``fcntl.flock`` on a lock file).

    ``flock`` locks belong to an open file description, so two threads of
    one process that open the file separately exclude each other too.
    """
    with lock_path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def osrm_cache_root(cache_dir: str | Path) -> Path:
    """The folder of the prepared networks below a cache folder: ``<cache_dir>/osrm``.

    A folder already named ``osrm`` is taken as it is, so that the library
    (``prepare_network(cache_dir=settings.cache_dir)``), the CLI and the
    dashboard (``settings.cache_dir``) find the same entries.
    """
    path = Path(cache_dir)
    return path if path.name == "osrm" else path / "osrm"


def find_entry(root: Path, mode: str, algorithm: str, key: str) -> Path | None:
    """A complete cache entry of this key, whatever the network file was called.

    The key is the content (see :func:`network_key`): the same network
    under another file name (a copy, a converted layer) finds the entry.
    """
    if not root.is_dir():
        return None
    for folder in sorted(root.glob(f"*-{mode}-{algorithm.lower()}-{key}")):
        if folder.is_dir() and manifest_ok(folder):
            return folder
    return None
