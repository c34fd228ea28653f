"""The region picker's entries: the built-in demo and the prepared regions.

Streamlit-free, so that it can be tested without a server.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from erreichbarkeit.demo.areas import AREA_NAME, area_region_file
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.land_results import batch_region_files, discover_batches

__all__ = ["BATCH_SUFFIX", "DEMO_AREA_LABEL", "REGIONS_ENV", "Region", "discover_regions"]

#: The picker's label of the demo's Jugendamt area (``jugendamt.toml``).
DEMO_AREA_LABEL = f"{AREA_NAME} (fiktiv, eingebaut)"

#: Added to the picker's label of a region that comes from a Land batch.
BATCH_SUFFIX = "(Land-Auswertung)"

#: Environment variable naming an extra folder of region files.
REGIONS_ENV = "ERREICHBARKEIT_REGIONS_DIR"


@dataclass(frozen=True)
class Region:
    """One entry of the region picker."""

    label: str
    path: Path
    demo: bool = False


def _region_label(path: Path) -> str:
    """``[area] name`` (an analysis area) or ``[region] name`` of a region file.

    Else its folder (``region.toml``) or stem.
    """
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        area = raw.get("area", {})
        name = (
            (area.get("name") if isinstance(area, dict) else None)
            or raw.get("region", {}).get("name")
            or raw.get("name")
        )
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        name = None
    return str(name) if name else path.parent.name if path.name == "region.toml" else path.stem


def discover_regions(
    data_dir: Path, *, demo_region: Path | None = None, env: Mapping[str, str] | None = None
) -> list[Region]:
    """Regions for the picker: the demo first, then configured real regions.

    Parameters
    ----------
    data_dir
        The app's data folder; ``data_dir/regions/*/region.toml`` are the
        regions written by ``erreichbarkeit prepare``.
    demo_region
        The generated Beispielkreis ``region.toml`` (listed first), followed
        by its Kreisjugendamt area (``jugendamt.toml``) when present.
    env
        Environment (default ``os.environ``); ``ERREICHBARKEIT_REGIONS_DIR``
        names a folder with ``*/region.toml`` or ``*.toml`` region files.
        The regions of Land batches (``data_dir/land/*`` and
        ``ERREICHBARKEIT_BATCH_DIR``, see :mod:`erreichbarkeit.ui.land_results`)
        follow, labelled „… (Land-Auswertung)“.

    Returns
    -------
    list[Region]
        Unique by resolved path; labels from ``[area] name`` (prepared
        Jugendamt areas), else ``[region] name``.
    """
    env = os.environ if env is None else env
    found: list[Region] = []
    if demo_region is not None:
        found.append(Region(texts.DEMO_LABEL, demo_region, demo=True))
        demo_area = area_region_file(demo_region)
        if demo_area.is_file():  # the Kreisjugendamt of the Beispielkreis
            found.append(Region(DEMO_AREA_LABEL, demo_area, demo=True))
    candidates = sorted((data_dir / "regions").glob("*/region.toml"))
    extra = env.get(REGIONS_ENV)
    if extra:
        folder = Path(extra).expanduser()
        candidates += sorted(folder.glob("*/region.toml")) + sorted(folder.glob("*.toml"))
    # the regions of a Land batch (page „Land“): drilling down opens them here
    from_batches = {p.resolve() for p in batch_region_files(discover_batches(data_dir, env=env))}
    candidates += sorted(from_batches)
    seen = {r.path.resolve() for r in found}
    for path in candidates:
        key = path.resolve()
        if key in seen or not path.is_file():
            continue
        seen.add(key)
        label = _region_label(path)
        found.append(Region(f"{label} {BATCH_SUFFIX}" if key in from_batches else label, path))
    return found
