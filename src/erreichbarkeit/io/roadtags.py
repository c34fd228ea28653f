"""Road class and attribute columns of a GIS line layer → OSM tags.

Used by :func:`erreichbarkeit.io.gis2osm.lines_to_osm`:

1. **Road classes** become ``highway=*`` tags.  OSM values are taken as they
   are.  OpenMapTiles classes map as follows (``ramp=1`` turns
   motorway…tertiary into ``*_link``):

   ============================  ==========================================
   OpenMapTiles ``class``        OSM tags written
   ============================  ==========================================
   motorway … tertiary           the same ``highway`` value
   minor                         ``highway=unclassified`` (see below)
   service, track, busway        the same ``highway`` value
   path                          ``subclass`` when it is a highway value
                                 (footway, cycleway, steps, path,
                                 bridleway, pedestrian, …), else ``path``
   ferry                         ``route=ferry``
   \\*_construction, rail,        dropped (counted in the report)
   transit, bridge (areas),
   pier, raceway, aerialways
   ============================  ==========================================

   OpenMapTiles merges ``residential``, ``unclassified`` and
   ``living_street`` into ``minor``.  We write ``unclassified``: it is the
   class of the roads *between* villages that matter most in a rural
   county, the OSRM default profiles give ``residential`` and
   ``unclassified`` the same speed (car 25 km/h, bike/foot equal), and a
   region file can raise it with ``routing.speeds.car.unclassified``.

2. **Attributes** ``oneway`` (``1``/``yes`` → ``yes``, ``-1`` → ``-1``),
   ``maxspeed``, ``access``, ``foot``, ``bicycle`` (1/0 → yes/no, strings as
   given), ``surface``, ``service``, ``brunnel`` (→ ``bridge``/``tunnel``/
   ``ford=yes``), ``layer``, ``name`` and ``ref`` are copied where the
   columns exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal

from erreichbarkeit.io._gisfile import tag_text

__all__ = ["AREA_HIGHWAYS", "ClassKind", "class_kind", "level_key", "road_tags"]

ClassKind = Literal["highway", "omt", "fclass"]

#: OpenMapTiles ``transportation.class`` → OSM ``highway`` value.
_OMT_HIGHWAY: Mapping[str, str] = MappingProxyType(
    {
        "motorway": "motorway",
        "trunk": "trunk",
        "primary": "primary",
        "secondary": "secondary",
        "tertiary": "tertiary",
        "minor": "unclassified",
        "service": "service",
        "track": "track",
        "path": "path",
        "busway": "busway",
    }
)
_LINKABLE = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})
#: ``subclass`` values of OpenMapTiles ``path`` that are OSM highway values.
_PATH_SUBCLASSES = frozenset(
    {
        "footway",
        "cycleway",
        "steps",
        "path",
        "bridleway",
        "pedestrian",
        "corridor",
        "platform",
        "track",
        "service",
        "living_street",
        "residential",
    }
)
#: Highway values that are not (yet/any more) roads.
_NOT_ROADS = frozenset(
    {"construction", "proposed", "planned", "abandoned", "disused", "razed", "no", "none"}
)
#: Highway values whose polygons are walkable squares (outline used as a closed way).
AREA_HIGHWAYS = frozenset({"pedestrian", "path", "footway", "platform"})
_TRUE = frozenset({"1", "yes", "true", "t", "y", "ja", "j"})
_FALSE = frozenset({"0", "no", "false", "f", "n", "nein"})


def class_kind(column: str) -> ClassKind:
    """The kind of values in the road class column (OSM, OpenMapTiles or Geofabrik)."""
    low = column.lower()
    if low == "class":
        return "omt"
    if low == "fclass":
        return "fclass"
    return "highway"


def _yes_no(value: Any) -> str | None:
    text = tag_text(value)
    if text is None:
        return None
    if text.lower() in _TRUE:
        return "yes"
    if text.lower() in _FALSE:
        return "no"
    return text


def _oneway(value: Any, kind: ClassKind) -> str | None:
    text = tag_text(value)
    if text is None:
        return None
    low = text.lower()
    if kind == "fclass":  # Geofabrik: F = forward, T = backward, B = both
        return {"f": "yes", "t": "-1"}.get(low)
    if low in {"-1", "reverse", "backward"}:
        return "-1"
    if low in _TRUE:
        return "yes"
    return None


def _highway(  # noqa: PLR0911 - one flat dispatch over the class kinds reads best
    row: Mapping[Any, Any], kind: ClassKind, column: str
) -> tuple[dict[str, str], str]:
    """Return the class tags of a row, or ``({}, reason)`` when it is dropped."""
    value = tag_text(row.get(column))
    if value is None:
        return {}, "no class"
    low = value.lower()
    if kind == "omt":
        if low == "ferry":
            return {"route": "ferry"}, ""
        highway = _OMT_HIGHWAY.get(low)
        if highway is None:
            return {}, low
        if low == "path":
            sub = (tag_text(row.get("subclass")) or "").lower()
            if sub in _PATH_SUBCLASSES:
                highway = sub
        if highway in _LINKABLE and _yes_no(row.get("ramp")) == "yes":
            highway += "_link"
        return {"highway": highway}, ""
    if kind == "fclass":
        grade = re.fullmatch(r"track_(grade\d)", low)
        if grade:
            return {"highway": "track", "tracktype": grade.group(1)}, ""
        if low == "unknown":
            return {"highway": "road"}, ""
    if low in _NOT_ROADS or not re.fullmatch(r"[a-z_]+", low):
        return {}, low
    return {"highway": low}, ""


def road_tags(
    row: Mapping[Any, Any], kind: ClassKind, column: str, columns: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """Return the OSM tags of a row, or ``({}, reason)`` when it is dropped.

    Parameters
    ----------
    row
        The row's attributes.
    kind, column
        Kind (:func:`class_kind`) and name of the road class column.
    columns
        Lower-case column name → column name in the layer.
    """
    tags, reason = _highway(row, kind, column)
    if reason:
        return tags, reason

    def col(name: str) -> Any:
        real = columns.get(name)
        return row.get(real) if real is not None else None

    tags.update(_attribute_tags(col, kind))
    tags.update(_structure_tags(col, tags))
    return tags, ""


def _attribute_tags(col: Callable[[str], Any], kind: ClassKind) -> dict[str, str]:
    """``oneway``, ``maxspeed``, access and descriptive tags copied from their columns."""
    tags: dict[str, str] = {}
    oneway = _oneway(col("oneway"), kind)
    if oneway:
        tags["oneway"] = oneway
    maxspeed = tag_text(col("maxspeed"))
    if maxspeed and maxspeed not in {"0", "-1"}:
        tags["maxspeed"] = maxspeed
    for key in ("access", "foot", "bicycle"):
        value = _yes_no(col(key))
        if value:
            tags[key] = value
    for key in ("surface", "service", "name", "ref"):
        value = tag_text(col(key))
        if value:
            tags[key] = value
    return tags


def _structure_tags(col: Callable[[str], Any], tags: Mapping[str, str]) -> dict[str, str]:
    """``bridge``/``tunnel``/``ford`` and ``layer`` from ``brunnel`` or their own columns."""
    out: dict[str, str] = {}
    brunnel = (tag_text(col("brunnel")) or "").lower()
    if brunnel in {"bridge", "tunnel", "ford"}:
        out[brunnel] = "yes"
    for key in ("bridge", "tunnel"):  # Geofabrik / own layers: T/F, 1/0, yes/no
        if key not in tags and key not in out and _yes_no(col(key)) not in {None, "no"}:
            out[key] = "yes"
    layer = tag_text(col("layer"))
    if layer and layer != "0" and re.fullmatch(r"-?\d+", layer):
        out["layer"] = layer
    return out


def level_key(tags: Mapping[str, str]) -> tuple[str, str]:
    """``(brunnel, layer)`` of a way: bridges and tunnels get their own level."""
    if tags.get("bridge") == "yes":
        return ("bridge", tags.get("layer", "1"))
    if tags.get("tunnel") == "yes":
        return ("tunnel", tags.get("layer", "-1"))
    return ("", "0")
