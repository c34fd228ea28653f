"""The encoding of a finished run for :mod:`erreichbarkeit.pipeline.store`.

A run is a tree of frozen dataclasses (:class:`~erreichbarkeit.results.Results`,
:class:`~erreichbarkeit.results.Inputs`, the grid, the timetable, row
problems …).  :class:`TreeEncoder` walks that tree generically over the
dataclass fields, so a field added later is stored without a change here:

* every ``DataFrame`` / ``GeoDataFrame`` / ``Series`` becomes one Parquet file
  (GeoParquet for geo frames, which keeps the CRS); :func:`write_frame`
  records what Parquet alone would not restore exactly (object columns,
  their missing-value marker, the index, ``attrs``);
* everything else becomes a tagged JSON node in the manifest: scalars, strings,
  paths (made absolute), dates, tuples, mappings, shapely geometries (WKB) and
  nested dataclasses (rebuilt by class name, only classes of this package);
* the run's :class:`~erreichbarkeit.config.Settings` are not stored for
  reconstruction: only the fields in which they differ from the settings the
  store is keyed on (e.g. ``modes`` when Bus & Bahn was switched off), applied
  to the caller's settings on load.

A value that cannot be encoded in a dataclass field with a default is left out
(``{"t": "default"}``) and gets the default back on load; elsewhere it is a
:class:`TypeError`.  The manifest's checks (size, SHA-256, format) are here too.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import importlib
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from erreichbarkeit.config import Settings

__all__ = [
    "StoreFormatError",
    "TreeDecoder",
    "TreeEncoder",
    "UnknownTypeError",
    "check_file",
    "decode_value",
    "encode_value",
    "read_frame",
    "read_manifest",
    "sha256_file",
    "write_frame",
]

logger = logging.getLogger(__name__)

#: Package whose dataclasses and enums may be rebuilt from a manifest.
_PACKAGE = "erreichbarkeit"
_INDEX_COLUMN = "__index_level_{}__"
_SERIES_COLUMN = "__values__"
_COMPRESSION: Final = "zstd"


class StoreFormatError(ValueError):
    """A stored run that cannot be read back as written (damaged or foreign).

    Attributes
    ----------
    reason_de
        German description for the log line the dashboard shows.
    """

    def __init__(self, message: str, reason_de: str) -> None:
        super().__init__(message)
        self.reason_de = reason_de


class UnknownTypeError(TypeError):
    """A value of a type the store does not know (not data: a lock, a live router …)."""


# -- plain values ---------------------------------------------------------------------------


def _class_name(obj: type) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def _import_class(name: str) -> Any:
    """The class ``module:qualname`` of this package (nothing else is imported)."""
    module_name, _, qualname = name.partition(":")
    if module_name != _PACKAGE and not module_name.startswith(_PACKAGE + "."):
        msg = f"class {name!r} is not part of {_PACKAGE}"
        raise StoreFormatError(msg, f"unbekannte Klasse {name}")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        msg = f"class {name!r} no longer exists"
        raise StoreFormatError(msg, f"Klasse {name} gibt es nicht mehr") from exc
    return obj


def _numpy_scalar(value: np.generic) -> dict[str, Any]:
    kind = value.dtype.kind
    if kind in "mM":
        return {"t": "np", "dtype": str(value.dtype), "v": int(value.view("int64"))}
    if kind in "biufU":
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            item = repr(item)
        return {"t": "np", "dtype": str(value.dtype), "v": item}
    msg = f"cannot store the numpy scalar {value!r}"
    raise UnknownTypeError(msg)


def _timestamp(value: pd.Timestamp) -> dict[str, Any]:
    tz = None if value.tz is None else str(value.tz)
    return {"t": "timestamp", "v": value.value, "tz": tz, "unit": value.unit}


#: Encoders of the leaf types, tried in order (subclasses before their bases).
_LEAVES: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (enum.Enum, lambda v: {"t": "enum", "cls": _class_name(type(v)), "v": v.name}),
    (np.generic, _numpy_scalar),
    (PurePath, lambda v: {"t": "path", "v": str(v)}),
    (pd.Timestamp, _timestamp),
    (dt.datetime, lambda v: {"t": "datetime", "v": v.isoformat()}),
    (dt.date, lambda v: {"t": "date", "v": v.isoformat()}),
    (bytes, lambda v: {"t": "bytes", "v": base64.b64encode(v).decode("ascii")}),
    (BaseGeometry, lambda v: {"t": "geometry", "v": shapely.to_wkb(v, hex=True)}),
)


def _simple(value: Any) -> tuple[bool, Any]:
    """``(True, node)`` for a value that needs no recursion, else ``(False, None)``."""
    if value is None or type(value) in (str, bool, int):
        return True, value
    if type(value) is float:
        return True, value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if value is pd.NA or value is pd.NaT:
        return True, {"t": "NA" if value is pd.NA else "NaT"}
    for kind, encode in _LEAVES:
        if isinstance(value, kind):
            return True, encode(value)
    return False, None


def encode_value(value: Any) -> Any:
    """A JSON node for a value without frames (cells of object columns, ``attrs``)."""
    return TreeEncoder(None).encode(value, "value")


def decode_value(node: Any) -> Any:
    """The value of :func:`encode_value`'s node."""
    return TreeDecoder(None).decode(node)


class TreeEncoder:
    """Encode a run's tree; frames go to ``folder`` (``None``: frames are an error).

    Attributes
    ----------
    files
        Per written file name: ``rows`` and the restore metadata (:func:`write_frame`).
    paths
        Every path in the tree that existed when it was encoded.
    """

    def __init__(self, folder: Path | None, key_settings: Settings | None = None) -> None:
        self.folder = folder
        self.key_settings = key_settings
        self.files: dict[str, dict[str, Any]] = {}
        self.paths: set[str] = set()

    def encode(self, value: Any, where: str) -> Any:
        """The JSON node of ``value`` (``where`` names it in file names and errors)."""
        done, node = _simple(value)
        if done:
            if isinstance(value, PurePath) and self.folder is not None:
                # absolute: the CLI's relative paths must work in the dashboard's folder
                node["v"] = str(Path(value).absolute())
                if Path(value).exists():
                    self.paths.add(node["v"])
            return node
        if isinstance(value, pd.DataFrame | pd.Series):
            return self._frame(value, where)
        if isinstance(value, Settings):
            return self._settings(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._dataclass(value, where)
        if isinstance(value, tuple | list | set | frozenset):
            tag = {tuple: "tuple", list: "list", set: "set", frozenset: "frozenset"}[
                next(t for t in (tuple, list, frozenset, set) if isinstance(value, t))
            ]
            items = sorted(value, key=repr) if tag in ("set", "frozenset") else value
            return {"t": tag, "v": [self.encode(v, f"{where}.{i}") for i, v in enumerate(items)]}
        if isinstance(value, MappingProxyType | dict):
            tag = "mappingproxy" if isinstance(value, MappingProxyType) else "dict"
            pairs = [
                [self.encode(k, where), self.encode(v, f"{where}.{k}")] for k, v in value.items()
            ]
            return {"t": tag, "v": pairs}
        msg = f"cannot store {type(value).__name__} at {where}"
        raise UnknownTypeError(msg)

    def _frame(self, frame: pd.DataFrame | pd.Series, where: str) -> dict[str, Any]:
        if self.folder is None:
            msg = f"a table cannot be stored inside a cell ({where})"
            raise TypeError(msg)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", where)[:80]
        name = f"{len(self.files):03d}-{slug}.parquet"
        meta = write_frame(frame, self.folder / name)
        self.files[name] = meta
        return {"t": "frame", "file": name}

    def _settings(self, value: Settings) -> dict[str, Any]:
        base = self.key_settings
        overrides: dict[str, Any] = {}
        if base is not None:
            for f in dataclasses.fields(value):
                mine = getattr(value, f.name)
                if mine != getattr(base, f.name):
                    overrides[f.name] = TreeEncoder(None).encode(mine, f.name)
        return {"t": "settings", "overrides": overrides}

    def _dataclass(self, value: Any, where: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            has_default = any(d is not dataclasses.MISSING for d in (f.default, f.default_factory))
            try:
                fields[f.name] = self.encode(getattr(value, f.name), f"{where}.{f.name}")
            except UnknownTypeError as exc:
                if not has_default:
                    raise
                # not data (e.g. a live object): stored as "use the field's default"
                logger.info("not stored, default on load: %s", exc)
                fields[f.name] = {"t": "default"}
        return {"t": "dataclass", "cls": _class_name(type(value)), "v": fields}


class TreeDecoder:
    """Decode a tree written by :class:`TreeEncoder` (frames read from ``folder``)."""

    def __init__(
        self,
        folder: Path | None,
        files: Mapping[str, Mapping[str, Any]] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.folder = folder
        self.files = files or {}
        self.settings = settings

    def decode(self, node: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 (one branch per tag)
        """The value of ``node``."""
        if not isinstance(node, dict):
            if isinstance(node, list):
                msg = "untagged list in the manifest"
                raise StoreFormatError(msg, "Verzeichnis der Ergebnisse unlesbar")
            return node
        tag = node.get("t")
        v: Any = node.get("v")
        match tag:
            case "float":
                return float(v)
            case "np":
                dtype = np.dtype(node["dtype"])
                if dtype.kind in "mM":
                    return np.array(v, dtype="int64").view(dtype)[()]
                return dtype.type(v)
            case "path":
                return Path(v)
            case "timestamp":
                stamp = pd.Timestamp(v, unit="ns", tz="UTC" if node["tz"] else None)
                stamp = stamp.tz_convert(node["tz"]) if node["tz"] else stamp
                return stamp.as_unit(node["unit"])
            case "datetime":
                return dt.datetime.fromisoformat(v)
            case "date":
                return dt.date.fromisoformat(v)
            case "bytes":
                return base64.b64decode(v)
            case "geometry":
                return shapely.from_wkb(v)
            case "enum":
                return _import_class(node["cls"])[v]
            case "NA":
                return pd.NA
            case "NaT":
                return pd.NaT
            case "tuple" | "list" | "set" | "frozenset":
                kinds: dict[str, Callable[[Any], Any]] = {
                    "tuple": tuple, "list": list, "set": set, "frozenset": frozenset,
                }  # fmt: skip
                return kinds[tag](self.decode(x) for x in v)
            case "dict" | "mappingproxy":
                out = {self.decode(k): self.decode(x) for k, x in v}
                return MappingProxyType(out) if tag == "mappingproxy" else out
            case "frame":
                return self._frame(node["file"])
            case "settings":
                return self._settings(node["overrides"])
            case "dataclass":
                return self._dataclass(node["cls"], v)
        msg = f"unknown node {tag!r}"
        raise StoreFormatError(msg, f"unbekannter Eintrag „{tag}“")

    def _frame(self, name: str) -> pd.DataFrame | pd.Series:
        if self.folder is None or name not in self.files:
            msg = f"table {name} is not listed in the manifest"
            raise StoreFormatError(msg, f"Tabelle {name} fehlt im Verzeichnis")
        return read_frame(self.folder / name, self.files[name])

    def _settings(self, overrides: Mapping[str, Any]) -> Settings:
        if self.settings is None:
            msg = "no settings to put into the run"
            raise StoreFormatError(msg, "keine Einstellungen")
        if not overrides:
            return self.settings
        changes = {k: TreeDecoder(None).decode(v) for k, v in overrides.items()}
        return self.settings.replace(**changes)

    def _dataclass(self, name: str, fields: Mapping[str, Any]) -> Any:
        cls: Any = _import_class(name)
        if not dataclasses.is_dataclass(cls):
            msg = f"{name} is not a dataclass"
            raise StoreFormatError(msg, f"{name} ist keine Datenklasse")
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        kwargs = {
            k: self.decode(x)
            for k, x in fields.items()
            if not (isinstance(x, dict) and x.get("t") == "default")
        }
        if not kwargs.keys() <= known:
            msg = f"{name} has no fields {sorted(kwargs.keys() - known)}"
            raise StoreFormatError(msg, f"Aufbau von {name} hat sich geändert")
        try:
            return cast(Callable[..., Any], cls)(**kwargs)
        except TypeError as exc:  # a required field added since the run was stored
            msg = f"cannot rebuild {name}: {exc}"
            raise StoreFormatError(msg, f"Aufbau von {name} hat sich geändert") from exc


# -- frames ---------------------------------------------------------------------------------


def _object_kind(column: pd.Series) -> dict[str, Any]:
    """How an object column is stored: ``text`` (strings + one missing marker) or ``json``."""
    missing = column.isna().to_numpy()
    present = column[~missing]
    if not all(type(v) is str for v in present):
        return {"enc": "json"}
    gaps = column[missing]
    markers = {"none" if v is None else "nan" if isinstance(v, float) else repr(v) for v in gaps}
    if len(markers) > 1 or markers - {"none", "nan"}:
        return {"enc": "json"}
    return {"enc": "text", "na": markers.pop() if markers else "none"}


def _encode_columns(out: pd.DataFrame, geo: bool) -> dict[str, Any]:
    """Turn the columns Parquet cannot restore exactly into strings; return how."""
    columns: dict[str, Any] = {}
    for name in list(out.columns):
        col = out[name]
        if isinstance(col.dtype, gpd.array.GeometryDtype):
            if geo:
                continue  # GeoParquet keeps geometry columns and their CRS
            crs = _crs_text(getattr(col.array, "crs", None))
            out[name] = shapely.to_wkb(np.asarray(col, dtype=object))
            columns[name] = {"enc": "wkb", "crs": crs}
        elif col.dtype == object:
            kind = _object_kind(col)
            if kind["enc"] == "json":
                out[name] = [json.dumps(encode_value(v), ensure_ascii=False) for v in col]
            columns[name] = kind
        elif isinstance(col.dtype, pd.CategoricalDtype) and col.cat.categories.dtype == object:
            columns[name] = {"enc": "category_object"}
    return columns


def write_frame(frame: pd.DataFrame | pd.Series, target: Path) -> dict[str, Any]:
    """Write ``frame`` as (Geo)Parquet; return what :func:`read_frame` needs to restore it.

    Raises
    ------
    TypeError
        Column names that are not unique strings.
    """
    meta: dict[str, Any] = {"rows": len(frame), "kind": "frame"}
    if isinstance(frame, pd.Series):
        meta.update(kind="series", name=encode_value(frame.name))
        frame = frame.to_frame(name=_SERIES_COLUMN)
    geo = isinstance(frame, gpd.GeoDataFrame)
    if geo:
        meta["geometry"] = _geometry_meta(frame)
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        msg = f"columns must be unique strings: {list(frame.columns)[:10]}"
        raise TypeError(msg)
    meta["attrs"] = encode_value(dict(frame.attrs))
    meta["columns_object"] = frame.columns.dtype == object
    meta["columns_range"] = isinstance(frame.columns, pd.RangeIndex)
    out = frame.copy(deep=False)
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        bounds = [index.start, index.stop, index.step]
        meta["index"] = {"range": bounds, "name": encode_value(index.name)}
    else:
        levels = [_INDEX_COLUMN.format(i) for i in range(index.nlevels)]
        out = out.set_axis(pd.RangeIndex(len(out)))
        for i, level in enumerate(levels):
            out[level] = index.get_level_values(i).to_series(index=out.index)
        meta["index"] = {
            "levels": levels,
            "names": [encode_value(n) for n in index.names],
            "freq": getattr(index, "freqstr", None),
            "object": [index.get_level_values(i).dtype == object for i in range(index.nlevels)],
        }
    meta["columns"] = _encode_columns(out, geo)
    out.attrs = {}
    if geo:
        out.to_parquet(str(target), index=False, compression=_COMPRESSION)
    else:
        table = pa.Table.from_pandas(out, preserve_index=False)
        pq.write_table(table, target, compression=_COMPRESSION)
    return meta


def _restore_column(col: pd.Series, how: Mapping[str, Any]) -> pd.Series:
    enc = how["enc"]
    if enc == "text":
        marker: Any = None if how["na"] == "none" else np.nan
        values = col.astype(object)
        return values.where(values.notna(), marker) if len(values) else values
    if enc == "json":
        return pd.Series([decode_value(json.loads(v)) for v in col], index=col.index, dtype=object)
    if enc == "wkb":
        geometry: pd.Series = gpd.GeoSeries.from_wkb(col, index=col.index, crs=how["crs"])
        geometry.name = col.name
        return geometry
    if enc == "category_object":
        restored: pd.Series = col.cat.set_categories(col.cat.categories.astype(object))
        return restored
    msg = f"unknown column encoding {enc!r}"
    raise StoreFormatError(msg, f"unbekannte Spaltenkodierung {enc}")


def read_frame(path: Path, meta: Mapping[str, Any]) -> pd.DataFrame | pd.Series:
    """Read a file of :func:`write_frame` back as it was written.

    Raises
    ------
    StoreFormatError
        The file has another number of rows than recorded.
    """
    kind = meta["kind"]
    df: pd.DataFrame = pq.read_table(path).to_pandas()
    if "geometry" in meta:
        df = _as_geoframe(df, meta["geometry"])
    if len(df) != meta["rows"]:
        msg = f"{path.name}: {len(df)} rows instead of {meta['rows']}"
        raise StoreFormatError(msg, f"{path.name} hat {len(df)} statt {meta['rows']} Zeilen")
    for name, how in meta["columns"].items():
        df[name] = _restore_column(df[name], how)
    index = meta["index"]
    if "range" in index:
        start, stop, step = index["range"]
        df.index = pd.RangeIndex(start, stop, step, name=decode_value(index["name"]))
    else:
        levels = index["levels"]
        df = df.set_index(levels if len(levels) > 1 else levels[0])
        df.index = _object_levels(df.index, index.get("object", []))
        df.index.names = [decode_value(n) for n in index["names"]]
        if index.get("freq") is not None:
            df.index = pd.DatetimeIndex(df.index, freq=index["freq"])
    if meta["columns_range"]:
        df.columns = pd.RangeIndex(len(df.columns))
    elif meta["columns_object"] and df.columns.dtype != object:
        df.columns = df.columns.astype(object)
    df.attrs = decode_value(meta["attrs"])
    if kind == "series":
        series: pd.Series = df[_SERIES_COLUMN]
        series.name = decode_value(meta["name"])
        return series
    return df


def _object_levels(index: pd.Index, wanted: list[bool]) -> pd.Index:
    """The index with the levels that were ``object`` before (pandas infers ``str``)."""
    if isinstance(index, pd.MultiIndex):
        multi: pd.MultiIndex = index
        for i, is_object in enumerate(wanted):
            if is_object and multi.levels[i].dtype != object:
                level: Any = multi.levels[i].astype(object)
                multi = multi.set_levels(level, level=i)
        return multi
    if wanted and wanted[0] and index.dtype != object:
        return index.astype(object)
    return index


@functools.lru_cache(maxsize=32)
def _crs(text: str) -> Any:
    """A CRS from its stored text, once per process (PROJJSON parsing takes 0.2 s)."""
    return CRS.from_user_input(text)


def _crs_text(crs: Any) -> str | None:
    """``AUTH:CODE`` when that is exactly the CRS, else its WKT."""
    if crs is None:
        return None
    authority = crs.to_authority(min_confidence=100)
    if authority is not None and _crs(":".join(authority)) == crs:
        return ":".join(authority)
    return str(crs.to_wkt())


def _geometry_meta(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """The active geometry column and the CRS of every geometry column."""
    columns = {
        str(name): _crs_text(frame[name].crs)
        for name in frame.columns
        if isinstance(frame[name].dtype, gpd.array.GeometryDtype)
    }
    return {"primary": frame.geometry.name, "crs": columns}


def _as_geoframe(df: pd.DataFrame, geometry: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Turn the WKB columns of a GeoParquet file read by pyarrow back into geometries."""
    for name, crs in geometry["crs"].items():
        values = shapely.from_wkb(df[name].to_numpy())
        df[name] = gpd.GeoSeries(values, index=df.index, crs=None if crs is None else _crs(crs))
    return gpd.GeoDataFrame(df, geometry=geometry["primary"], copy=False)


# -- the manifest ---------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path: Path, key: str, format_version: int) -> dict[str, Any]:
    """The parsed manifest; :class:`StoreFormatError` when it is not one of this format."""
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"manifest unreadable: {exc}"
        raise StoreFormatError(msg, "manifest.json fehlt oder ist unlesbar") from exc
    version = manifest.get("format") if isinstance(manifest, dict) else None
    if version != format_version:
        msg = f"unknown format version {version!r}"
        raise StoreFormatError(msg, f"unbekannte Formatversion {version}")
    if manifest.get("key") != key:
        msg = "manifest of another key"
        raise StoreFormatError(msg, "Schlüssel im Verzeichnis passt nicht")
    for field in ("files", "paths", "tree"):
        if field not in manifest:
            msg = f"manifest lacks {field!r}"
            raise StoreFormatError(msg, f"Eintrag „{field}“ fehlt")
    return manifest


def check_file(path: Path, info: Any) -> None:
    """Size and SHA-256 of a stored table as the manifest says."""
    info = info if isinstance(info, dict) else {}  # a bad record fails the size check
    try:
        size = path.stat().st_size
    except OSError as exc:
        msg = f"{path.name} is missing"
        raise StoreFormatError(msg, f"Datei {path.name} fehlt") from exc
    if size != info.get("bytes"):
        msg = f"{path.name}: {size} bytes instead of {info.get('bytes')}"
        raise StoreFormatError(msg, f"Datei {path.name} ist unvollständig")
    if sha256_file(path) != info.get("sha256"):
        msg = f"{path.name}: checksum mismatch"
        raise StoreFormatError(msg, f"Prüfsumme von {path.name} stimmt nicht")
