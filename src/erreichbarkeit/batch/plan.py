"""The regions of a batch and their inputs, clipped from the Land files in one pass.

A batch names its regions in one of three ways (:func:`plan_regions`):

* a Land (``--land 05``): every Kreis whose key starts with the Land code
  in the Gemeinde file (Kreis = the first five digits of the AGS);
* a list of Kreis keys (``05558 05958``);
* a list of region files: Kreis files (``[source] kreis``) or Jugendamt area
  files (``[region] kreis_file`` and ``[area]``), e.g. every Jugendamt area
  of a Land.

Names come from a names table (``--namen``: the Kreis list of the Destatis
Gemeindeverzeichnis saved as CSV, columns ``Schlüssel``/``Name`` or
``kreis``/``name``), else from a built-in region file of the same key, else
"Kreis <key>".

:func:`clip_regions` then cuts the Land extract for *all* Kreise in one run
of ``osmium extract --config`` (one pass over the extract, one output per
Kreis, each Kreis plus its buffer, ``complete_ways`` as in
:mod:`erreichbarkeit.prepare.clip`), writes each Kreis's Gemeinden (with
``in_kreis``) and clips the timetable per Kreis
(:func:`erreichbarkeit.prepare.gtfs.clip_gtfs`, cached by content).  The
clip is keyed by the content of the extract, the Gemeinde file and the
polygons: a rerun with the same inputs does not clip again.  Every region
gets a generated ``region.toml`` naming its clipped files and the batch's
common settings (modes, grid), so all regions are computed alike.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, WGS84, Settings
from erreichbarkeit.errors import ConfigError, ErreichbarkeitError, InputDataError
from erreichbarkeit.prepare.areafile import kreis_file, read_area_file
from erreichbarkeit.prepare.boundaries import area_polygon, load_gemeinden
from erreichbarkeit.prepare.clip import clip_extract, count_highways
from erreichbarkeit.prepare.gtfs import clip_gtfs
from erreichbarkeit.prepare.regionfile import region_files, slugify

__all__ = [
    "BatchOptions",
    "BatchRegion",
    "ClippedRegion",
    "clip_regions",
    "kreis_names",
    "plan_regions",
]

logger = logging.getLogger(__name__)

_CLIP_VERSION = "1"
_CLIP_MANIFEST = "zuschnitt.json"


@dataclass(frozen=True)
class BatchRegion:
    """One region of a batch: a Kreis, or a Jugendamt area inside a Kreis.

    Attributes
    ----------
    id
        Partition key: the Kreis key, or ``<kreis>-<slug of the area name>``.
    name
        German name for the workbook and the map.
    kreis
        The five-digit Kreis key whose clip the region uses.
    area_ags, area_gemeinden
        A Jugendamt area's Gemeinden (keys or names, as in ``[area]``);
        both empty for a whole Kreis.
    """

    id: str
    name: str
    kreis: str
    area_ags: tuple[str, ...] = ()
    area_gemeinden: tuple[str, ...] = ()

    @property
    def is_area(self) -> bool:
        """Whether the region is an analysis area inside its Kreis."""
        return bool(self.area_ags or self.area_gemeinden)


@dataclass(frozen=True)
class BatchOptions:
    """The batch's inputs and the settings every region shares.

    Attributes
    ----------
    extract
        The Land's OSM extract (sorted ``.osm.pbf``/``.osm``).
    gemeinden
        The Gemeinde file (VG250 or alike, :func:`load_gemeinden`).
    out_dir
        The batch folder every worker sees (shared folder).
    gtfs
        A GTFS feed for Bus & Bahn, clipped per Kreis; ``None``: no Bus & Bahn.
    buffer_km
        Buffer around each Kreis.
    modes
        Modes of every region (``pt`` is added with a timetable).
    grid_cell_m
        Grid cell size; ``None``: no grid.
    population_grid
        Zensus grid file for the grid figures.
    """

    extract: Path
    gemeinden: Path
    out_dir: Path
    gtfs: Path | None = None
    buffer_km: float = 10.0
    modes: tuple[str, ...] = ("car", "bike", "walk")
    grid_cell_m: float | None = None
    population_grid: Path | None = None


@dataclass(frozen=True)
class ClippedRegion:
    """A region ready to compute: its generated region file and flags."""

    region: BatchRegion
    region_file: Path
    has_transit: bool


def kreis_names(table: Path | None) -> dict[str, str]:
    """Kreis names: the names table (CSV), then the built-in region files.

    The table is the Kreis list of the Destatis Gemeindeverzeichnis saved
    as CSV (``;`` or ``,``; columns ``Schlüssel`` or ``kreis`` and ``Name``
    or ``name``); keys are cut to five digits.
    """
    names: dict[str, str] = {}
    for path in region_files().values():
        try:
            settings = Settings.from_toml(path)
        except ErreichbarkeitError:  # a broken built-in file: no name from it
            continue
        if settings.source is not None:
            names.setdefault(settings.source.kreis, settings.name)
    if table is None:
        return names
    text = table.read_text("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t")
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    fields = {f.lower(): f for f in (rows[0].keys() if rows else [])}
    key_col = fields.get("schlüssel") or fields.get("kreis") or fields.get("ags")
    name_col = fields.get("name") or fields.get("kreisname")
    if key_col is None or name_col is None:
        msg = "names table needs a key and a name column"
        raise InputDataError(
            msg,
            file=table,
            expected="columns Schlüssel;Name (or kreis;name)",
            message_de="Die Namenstabelle braucht die Spalten „Schlüssel“ und „Name“",
        )
    for row in rows:
        key = str(row[key_col]).strip()[:5]
        if key.isdigit() and len(key) == 5:
            names[key] = str(row[name_col]).strip()
    return names


def _kreis_keys(gemeinden: gpd.GeoDataFrame, land: str) -> list[str]:
    keys = sorted({a[:5] for a in gemeinden["ags"].astype(str) if a.startswith(land)})
    if not keys:
        msg = f"no Gemeinde of Land {land} in the Gemeinde file"
        raise InputDataError(
            msg,
            column="ags",
            expected=f"AGS starting with {land}",
            message_de=f"Keine Gemeinde des Landes {land} in der Gemeindedatei",
        )
    return keys


def _from_file(path: Path, names: dict[str, str]) -> BatchRegion:
    """A region from a Kreis region file or a Jugendamt area file."""
    area = read_area_file(path)
    if area is not None:
        source = Settings.from_toml(kreis_file(area)).source
        if source is None:
            msg = "the area's Kreis file has no [source] kreis"
            raise ConfigError(msg, file=path, message_de="Die Kreisdatei nennt keinen Kreis")
        return BatchRegion(
            id=f"{source.kreis}-{slugify(area.area.name)}",
            name=area.area.name,
            kreis=source.kreis,
            area_ags=area.area.ags,
            area_gemeinden=area.area.gemeinden,
        )
    settings = Settings.from_toml(path)
    if settings.source is None:
        msg = "region file has neither [source] kreis nor [area]"
        raise ConfigError(
            msg,
            file=path,
            expected='[source] kreis = "05558" or an area file',
            message_de="Die Regionsdatei nennt weder einen Kreis ([source] kreis) noch ein Gebiet",
        )
    kreis = settings.source.kreis
    return BatchRegion(id=kreis, name=names.get(kreis, settings.name), kreis=kreis)


def plan_regions(
    gemeinden: gpd.GeoDataFrame,
    *,
    land: str | None = None,
    keys: Sequence[str] = (),
    files: Sequence[Path] = (),
    names: dict[str, str] | None = None,
) -> list[BatchRegion]:
    """The regions of a batch, in a stable order (by id).

    Parameters
    ----------
    gemeinden
        The Land's Gemeinden (:func:`load_gemeinden`).
    land, keys, files
        Exactly one way of naming the regions (see the module text).
    names
        Kreis names by key (:func:`kreis_names`).

    Raises
    ------
    ConfigError
        None or several ways given, a key that is not five digits, or two
        regions with the same id.
    """
    names = names or {}
    given = sum(bool(x) for x in (land, keys, files))
    if given != 1:
        msg = "give exactly one of land, keys, files"
        raise ConfigError(
            msg,
            expected="--land, Kreisschlüssel or Regionsdateien",
            message_de="Bitte genau eines angeben: --land, Kreisschlüssel oder Regionsdateien",
        )
    if files:
        regions = [_from_file(Path(f), names) for f in files]
    else:
        wanted = _kreis_keys(gemeinden, land) if land else list(keys)
        for key in wanted:
            if not (key.isdigit() and len(key) == 5):
                msg = f"not a Kreis key: {key!r}"
                raise ConfigError(
                    msg,
                    expected="five digits, e.g. 05558",
                    message_de=f"„{key}“ ist kein Kreisschlüssel (fünf Ziffern, z. B. 05558)",
                )
        regions = [BatchRegion(k, names.get(k, f"Kreis {k}"), k) for k in wanted]
    ids = [r.id for r in regions]
    if len(set(ids)) != len(ids):
        msg = "two regions have the same id"
        raise ConfigError(msg, message_de="Zwei Regionen der Liste sind gleich")
    return sorted(regions, key=lambda r: r.id)


# -- clipping all Kreise in one pass -----------------------------------------------------


def _polygons(
    gemeinden: gpd.GeoDataFrame, kreise: Sequence[str], buffer_km: float
) -> dict[str, tuple[BaseGeometry, BaseGeometry]]:
    """Each Kreis and its buffered clip polygon (as ``prepare`` builds them)."""
    return {k: area_polygon(gemeinden, k, buffer_km=buffer_km) for k in kreise}


def _digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _clip_key(options: BatchOptions, polygons: dict[str, tuple[BaseGeometry, BaseGeometry]]) -> str:
    h = hashlib.sha256()
    h.update(f"clip {_CLIP_VERSION} buffer {options.buffer_km}\0".encode())
    h.update(_digest(options.extract).encode() + b"\0")
    h.update(_digest(options.gemeinden).encode() + b"\0")
    if options.gtfs is not None:
        h.update(_digest(options.gtfs).encode() + b"\0")
    for kreis in sorted(polygons):
        h.update(kreis.encode() + b"\0" + shapely.to_wkb(polygons[kreis][1]) + b"\0")
    return h.hexdigest()


def _osmium_all(extract: Path, targets: dict[Path, BaseGeometry]) -> None:
    """One ``osmium extract --config`` run writing every target (complete ways).

    Without the osmium tool each target is clipped on its own with the
    pyosmium fallback of :func:`clip_extract` (same ways, one pass each).
    """
    exe = shutil.which("osmium")
    if exe is None:
        for target, polygon in targets.items():
            clip_extract(extract, target, polygon)
        return
    with tempfile.TemporaryDirectory(prefix="erreichbarkeit-landclip-") as tmpdir:
        extracts = []
        for i, polygon in enumerate(targets.values()):
            feature = {"type": "Feature", "properties": {},
                       "geometry": json.loads(shapely.to_geojson(polygon))}  # fmt: skip
            poly = Path(tmpdir) / f"p{i}.geojson"
            poly.write_text(json.dumps(feature), "utf-8")
            polygon_ref = {"file_name": str(poly), "file_type": "geojson"}
            extracts.append({"output": f"o{i}.osm.pbf", "polygon": polygon_ref})
        config = Path(tmpdir) / "config.json"
        config.write_text(json.dumps({"directory": tmpdir, "extracts": extracts}), "utf-8")
        cmd = [exe, "extract", "--config", str(config), "--strategy", "complete_ways",
               "--overwrite", "--no-progress", str(extract)]  # fmt: skip
        logger.info("running %s", " ".join(cmd))
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            msg = f"osmium extract failed: {result.stderr.strip()}"
            raise InputDataError(
                msg,
                file=extract,
                message_de=f"Zuschneiden mit osmium fehlgeschlagen: {result.stderr.strip()}",
            )
        for i, target in enumerate(targets):
            with atomic_path(target) as tmp:
                shutil.copyfile(Path(tmpdir) / f"o{i}.osm.pbf", tmp)


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def _region_toml(region: BatchRegion, options: BatchOptions, gtfs: Path | None) -> str:
    """The generated region file of one region (in ``regionen/<id>/``)."""
    kreis_dir = options.out_dir / "zuschnitt" / region.kreis
    rel = Path("..") / ".." / "zuschnitt" / region.kreis
    modes = list(options.modes) + (["pt"] if gtfs is not None and "pt" not in options.modes else [])
    lines = [
        "# Erzeugt von `erreichbarkeit batch` – generated by `erreichbarkeit batch`.",
        "[region]",
        f"name = {json.dumps(region.name, ensure_ascii=False)}",
        "[inputs]",
        f'network = "{(rel / f"{region.kreis}.osm.pbf").as_posix()}"',
        f'boundaries = "{(rel / "gemeinden.gpkg").as_posix()}"',
        'offers = ["osm"]',
        f"modes = {_toml_list(modes)}",
    ]
    if gtfs is not None:
        lines.append(f"gtfs = {_toml_list([(rel / gtfs.relative_to(kreis_dir)).as_posix()])}")
    if options.grid_cell_m is not None:
        lines.append(f"grid_cell_m = {options.grid_cell_m:g}")
        if options.population_grid is not None:
            lines.append(f"population_grid = {json.dumps(str(options.population_grid.resolve()))}")
    lines += [  # the Kreis: the analysis area when the region has no [area] of its own
        "[source]",
        f"kreis = {json.dumps(region.kreis)}",
        f"extract_url = {json.dumps(str(options.extract.resolve()))}",
        f"buffer_km = {options.buffer_km:g}",
    ]
    if region.is_area:
        lines += ["[area]", f"name = {json.dumps(region.name, ensure_ascii=False)}"]
        if region.area_ags:
            lines.append(f"ags = {_toml_list(region.area_ags)}")
        if region.area_gemeinden:
            lines.append(f"gemeinden = {_toml_list(region.area_gemeinden)}")
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, but leave an identical file alone (its digest stays memoised)."""
    if path.is_file() and path.read_text("utf-8") == text:
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text, "utf-8")


def _kreis_files(
    options: BatchOptions,
    gem: gpd.GeoDataFrame,
    polygons: dict[str, tuple[BaseGeometry, BaseGeometry]],
) -> dict[str, Path | None]:
    """Gemeinden and timetable of each Kreis; returns the clipped timetable per Kreis."""
    metric = gem.to_crs(METRIC_CRS)
    timetables: dict[str, Path | None] = {}
    for kreis, (_, clip_area) in polygons.items():
        folder = options.out_dir / "zuschnitt" / kreis
        clip_metric = gpd.GeoSeries([clip_area], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
        near = gem[metric.intersects(clip_metric).to_numpy()].copy()
        near["in_kreis"] = near["ags"].str.startswith(kreis)
        near = near.sort_values("ags").reset_index(drop=True)
        with atomic_path(folder / "gemeinden.gpkg") as tmp:
            near.to_file(tmp, layer="gemeinden", driver="GPKG", engine="pyogrio")
        timetables[kreis] = (
            clip_gtfs(options.gtfs, clip_area, folder / "gtfs") if options.gtfs else None
        )
    return timetables


def clip_regions(regions: Sequence[BatchRegion], options: BatchOptions) -> list[ClippedRegion]:
    """Clip the Land files for every region in one pass; write the region files.

    Returns
    -------
    list[ClippedRegion]
        In the order of ``regions``.

    Raises
    ------
    InputDataError
        A Kreis without Gemeinden in the Gemeinde file, an unreadable extract,
        or a Kreis whose clip holds no road.
    """
    gem = load_gemeinden(options.gemeinden)
    kreise = sorted({r.kreis for r in regions})
    polygons = _polygons(gem, kreise, options.buffer_km)
    root = options.out_dir / "zuschnitt"
    manifest = root / _CLIP_MANIFEST
    key = _clip_key(options, polygons)
    try:
        done = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError):
        done = {}
    if done.get("key") == key and all((root / k / f"{k}.osm.pbf").is_file() for k in kreise):
        logger.info("clip of %d Kreise unchanged, not clipped again", len(kreise))
        timetables = {k: (Path(p) if p else None) for k, p in done["gtfs"].items()}
    else:
        _osmium_all(options.extract, {root / k / f"{k}.osm.pbf": polygons[k][1] for k in kreise})
        for k in kreise:
            if count_highways(root / k / f"{k}.osm.pbf") == 0:
                msg = f"no roads inside Kreis {k}"
                raise InputDataError(
                    msg, file=options.extract,
                    message_de=f"Der OSM-Extrakt enthält keine Straßen im Kreis {k}",
                )  # fmt: skip
        timetables = _kreis_files(options, gem, polygons)
        with atomic_path(manifest) as tmp:
            tmp.write_text(json.dumps({"key": key, "gtfs": {
                k: (str(p) if p else None) for k, p in timetables.items()}}), "utf-8")  # fmt: skip
    out = []
    for region in regions:
        folder = options.out_dir / "regionen" / region.id
        gtfs = timetables.get(region.kreis)
        _write_if_changed(folder / "region.toml", _region_toml(region, options, gtfs))
        out.append(ClippedRegion(region, folder / "region.toml", gtfs is not None))
    return out
