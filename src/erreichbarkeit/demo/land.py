"""A fictional "Land" of four generated Kreise side by side, as one set of Land files.

:func:`generate_land` generates four small counties with
:func:`~erreichbarkeit.demo.beispielkreis.generate_demo` and a
:class:`~erreichbarkeit.demo.layout.DemoLayout` each (own centre in a 2 × 2
block, own Kreis key ``99901`` … ``99904`` in the fictional Land ``99``, own
name, OSM ids offset by ten million per Kreis so they never clash, own seed)
and joins them into the files a real Land batch starts from:

* ``land.osm.pbf`` — one OSM extract (sorted by type and id, as osmium
  extract needs); the gaps between the Kreise are about 1.5 km, so every
  Kreis's 10 km buffer reaches into its neighbours;
* ``gemeinden.geojson`` — one Gemeinde file of all four Kreise;
* ``busse.gtfs.zip`` — one GTFS feed: the four feeds with their ids
  prefixed by the Kreis key (the generator uses the same ids in each);
* ``kreise.csv`` (``Schlüssel;Name``, as a Kreis list from the
  Gemeindeverzeichnis) and ``kreistypen.csv`` (``Kreisschlüssel;Kreistyp``,
  fictional types in the manner of the BBSR siedlungsstrukturelle Kreistypen).

Each Kreis's own generated folder stays in ``<folder>/kreis-<key>/``.
Everything is invented, as in the Beispielkreis.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
from osmium.osm.mutable import Node, Way

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.demo.beispielkreis import generate_demo
from erreichbarkeit.demo.files import DemoFiles
from erreichbarkeit.demo.layout import BEISPIELKREIS, DemoLayout

__all__ = ["LAND_KREISE", "LandFiles", "generate_land", "land_layouts"]

logger = logging.getLogger(__name__)

#: Key, county name, Kreisstadt and (fictional) Kreis type of the four Kreise.
LAND_KREISE = (
    ("99901", "Amselkreis", "Amselstadt", "dünn besiedelter ländlicher Kreis"),
    ("99902", "Birkenkreis", "Birkenstadt", "ländlicher Kreis mit Verdichtungsansätzen"),
    ("99903", "Dohlenkreis", "Dohlenstadt", "dünn besiedelter ländlicher Kreis"),
    ("99904", "Eichenkreis", "Eichenstadt", "ländlicher Kreis mit Verdichtungsansätzen"),
)
#: Gap between the Kreise's extents (metres) and metres per degree at 51 °N.
_GAP_M = 1_500.0
_M_PER_DEG_LON, _M_PER_DEG_LAT = 70_060.0, 111_200.0
_ID_STEP = 10_000_000
#: GTFS columns holding ids, prefixed per Kreis.
_GTFS_IDS = ("agency_id", "route_id", "service_id", "trip_id", "stop_id",
             "parent_station", "shape_id", "block_id", "zone_id")  # fmt: skip


@dataclass(frozen=True)
class LandFiles:
    """What :func:`generate_land` wrote."""

    folder: Path
    extract: Path
    boundaries: Path
    gtfs: Path
    names: Path
    kreistypen: Path
    kreise: tuple[str, ...]
    counties: tuple[DemoFiles, ...]


def land_layouts(preset: DemoLayout = BEISPIELKREIS) -> tuple[DemoLayout, ...]:
    """The four Kreise's layouts: a 2 × 2 block from 51 °N, 9 °E, about 1.5 km apart.

    The spacing follows the preset's extent (at most ``2 × half_width_m`` by
    ``2 × half_height_m``), so any preset fits without overlapping.
    """
    dlon = (2 * preset.half_width_m + _GAP_M) / _M_PER_DEG_LON
    dlat = (2 * preset.half_height_m + _GAP_M) / _M_PER_DEG_LAT
    out = []
    for i, (key, name, town, _) in enumerate(LAND_KREISE):
        out.append(dataclasses.replace(
            preset, name=name, town_name=town, ags_prefix=key,
            center_lon=9.0 + dlon * (i % 2), center_lat=51.0 + dlat * (i // 2),
            postcode_prefix=f"0{i + 1}", osm_id_offset=i * _ID_STEP,
        ))  # fmt: skip
    return tuple(out)


def _merge_osm(sources: list[Path], target: Path) -> None:
    """One OSM file of all counties, sorted by type, then id (ids do not clash).

    pyosmium's writer instead of ``osmium merge`` so the demo needs no
    command-line tool; every county's file is sorted and its ids lie in its
    own block, so writing type by type in county order keeps the order.
    """
    boxes = [osmium.io.Reader(str(src)).header().box() for src in sources]
    header = osmium.io.Header()  # the extent, as a Geofabrik extract declares it
    header.set("generator", "erreichbarkeit demo – Land (fiktiv)")
    header.add_box(osmium.osm.Box(
        osmium.osm.Location(min(b.bottom_left.lon for b in boxes),
                            min(b.bottom_left.lat for b in boxes)),
        osmium.osm.Location(max(b.top_right.lon for b in boxes),
                            max(b.top_right.lat for b in boxes)),
    ))  # fmt: skip
    with atomic_path(target) as tmp:
        writer = osmium.SimpleWriter(str(tmp), header=header)
        try:
            for kind in (osmium.osm.NODE, osmium.osm.WAY):
                for src in sources:
                    for obj in osmium.FileProcessor(str(src), kind):
                        tags = {t.k: t.v for t in obj.tags}
                        if isinstance(obj, osmium.osm.Node):
                            loc = (obj.location.lon, obj.location.lat)
                            writer.add_node(Node(id=obj.id, location=loc, tags=tags))
                        elif isinstance(obj, osmium.osm.Way):
                            refs = [n.ref for n in obj.nodes]
                            writer.add_way(Way(id=obj.id, nodes=refs, tags=tags))
        finally:
            writer.close()


def _read_feed(path: Path) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(path) as zf:
        return {
            name: pd.read_csv(zf.open(name), dtype=str, keep_default_na=False)
            for name in zf.namelist()
            if name.endswith(".txt")
        }


def _merge_gtfs(sources: list[tuple[str, Path]], target: Path) -> None:
    """One GTFS feed: every id column prefixed ``<kreis>-``; one feed_info."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for key, path in sources:
        for name, frame in _read_feed(path).items():
            if name == "feed_info.txt" and name in tables:
                continue
            for col in _GTFS_IDS:
                if col in frame:
                    frame[col] = frame[col].where(frame[col] == "", key + "-" + frame[col])
            tables.setdefault(name, []).append(frame)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(tables):
            text = io.StringIO()
            pd.concat(tables[name], ignore_index=True).to_csv(text, index=False)
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text.getvalue())


def _write_csv(path: Path, header: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def generate_land(
    folder: Path, *, seed: int = 2026, preset: DemoLayout = BEISPIELKREIS
) -> LandFiles:
    """Write the fictional four-Kreise Land into ``folder`` (same seed: same files).

    Parameters
    ----------
    folder
        Target folder (created if missing).
    seed
        Kreis ``i`` is generated with ``seed + i``.
    preset
        Size and counts of each Kreis (``BEISPIELKREIS``: small, for tests;
        ``LANDKREIS``: county-sized, for benchmarks).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counties = tuple(
        generate_demo(folder / f"kreis-{layout.ags_prefix}", seed=seed + i, layout=layout)
        for i, layout in enumerate(land_layouts(preset))
    )
    keys = tuple(k for k, *_ in LAND_KREISE)
    files = LandFiles(
        folder=folder, extract=folder / "land.osm.pbf", boundaries=folder / "gemeinden.geojson",
        gtfs=folder / "busse.gtfs.zip", names=folder / "kreise.csv",
        kreistypen=folder / "kreistypen.csv", kreise=keys, counties=counties,
    )  # fmt: skip
    _merge_osm([c.network for c in counties], files.extract)
    gem = pd.concat([gpd.read_file(c.boundaries) for c in counties], ignore_index=True)
    with atomic_path(files.boundaries) as tmp:
        gpd.GeoDataFrame(gem, geometry="geometry").to_file(tmp, driver="GeoJSON")
    _merge_gtfs([(k, c.gtfs) for k, c in zip(keys, counties, strict=True)], files.gtfs)
    _write_csv(files.names, ("Schlüssel", "Name"),
               [(k, f"{n} (fiktiv)") for k, n, _, _ in LAND_KREISE])  # fmt: skip
    _write_csv(files.kreistypen, ("Kreisschlüssel", "Kreistyp"),
               [(k, t) for k, _, _, t in LAND_KREISE])  # fmt: skip
    logger.info("fictional Land with %d Kreise written to %s", len(keys), folder)
    return files
