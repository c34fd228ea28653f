"""Data sets and helpers shared by the benchmark scripts.

Real data sets are read from ``$ERREICHBARKEIT_SHARED_DATA`` or
``../shared/data`` (relative to the repository) and never copied into the
repo: everything derived (the converted Göttingen layer, tiled Heidelberg
networks, synthetic village/offer files) is written to a temporary folder the
calling script owns.

Data sets
---------
``demo``
    The fictional Beispielkreis (generated, always available; about 750 km²,
    58 places, 62 offers).
``landkreis``
    A county-sized fictional Beispielkreis, "Musterkreis" (generated with
    :data:`erreichbarkeit.demo.LANDKREIS`, seed 2026: about 2 000 km², 20
    Gemeinden, 339 places, 278 offers, 19 bus lines; always available).
``bayreuth``
    ``osm-north-bayreuth/north-bayreuth.osm.bz2`` (rural, OSM of 2014).
``goettingen``
    ``osm-goettingen-omt/goettingen_omt_z16_derived.gpkg``, an OpenMapTiles
    line layer converted with :func:`erreichbarkeit.io.gis2osm.lines_to_osm`.
``heidelberg``
    ``heidelberg-ors/heidelberg.test.pbf`` (road network only, no places or
    POIs: villages and offers are synthetic points).  Its nodes span
    101 × 23 km, but 98.8 % of them lie in one 25 × 23 km box around
    Heidelberg (lon 8.56–8.91, lat 49.31–49.52): a city-and-surroundings
    extract with thin arms, not a 100 km wide county.
``heidelberg2x2``, ``heidelberg3x3``
    The Heidelberg network tiled 2 × 2 and 3 × 3 (:func:`tile_network`).
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
from osmium.osm.mutable import Node, Way

REPO = Path(__file__).resolve().parents[1]

#: Data sets in the order the scripts run them.
ALL_DATASETS = (
    "demo", "landkreis", "bayreuth", "goettingen", "heidelberg", "heidelberg2x2", "heidelberg3x3",
)  # fmt: skip
#: Data sets that are real or generated files (no tiling).
BASE_DATASETS = ("demo", "landkreis", "bayreuth", "goettingen", "heidelberg")
#: Generated data sets: the Beispielkreis and the county-sized one.
GENERATED = ("demo", "landkreis")

_GEMEINDEN = "gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg"
_FILES = {
    "bayreuth": "osm-north-bayreuth/north-bayreuth.osm.bz2",
    "goettingen": "osm-goettingen-omt/goettingen_omt_z16_derived.gpkg",
    "heidelberg": "heidelberg-ors/heidelberg.test.pbf",
}
#: OSM XML files ``osmnx.graph_from_xml`` reads (see each PROVENANCE.md).
_XML_FILES = {
    "bayreuth": "osm-north-bayreuth/north-bayreuth.osm.bz2",
    "heidelberg": "heidelberg-ors/heidelberg.test.osm.bz2",
}


class DatasetMissingError(Exception):
    """A data set's files are absent; the message says which."""


def shared_data() -> Path:
    """Folder of the real data (``$ERREICHBARKEIT_SHARED_DATA`` or ``../shared/data``)."""
    env = os.environ.get("ERREICHBARKEIT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _need(rel: str) -> Path:
    path = shared_data() / rel
    if not path.exists():
        msg = f"{rel} not found below {shared_data()}"
        raise DatasetMissingError(msg)
    return path


@dataclass
class Workspace:
    """Lazily built derived files of one benchmark run (all inside ``folder``)."""

    folder: Path
    _generated: dict[str, object] = field(default_factory=dict)

    def demo(self):
        """The generated Beispielkreis (generated once per workspace)."""
        return self.generated("demo")

    def generated(self, name: str):
        """A generated county's :class:`~erreichbarkeit.demo.DemoFiles` (once per workspace).

        ``demo``: the Beispielkreis; ``landkreis``: the county-sized
        :data:`~erreichbarkeit.demo.LANDKREIS` (both seed 2026).
        """
        from erreichbarkeit.demo import LANDKREIS, generate_demo

        if name not in self._generated:
            layout = LANDKREIS if name == "landkreis" else None
            self._generated[name] = generate_demo(self.folder / name, layout=layout)
        return self._generated[name]

    def network(self, name: str) -> Path:
        """OSM file for OSRM (a converted or tiled copy where needed)."""
        if name in GENERATED:
            return self.generated(name).network
        if name == "goettingen":
            out = self.folder / "goettingen.osm"
            if not out.exists():
                from erreichbarkeit.io.gis2osm import lines_to_osm

                lines_to_osm(_need(_FILES["goettingen"]), out)
            return out
        if name.startswith("heidelberg") and name != "heidelberg":
            k = int(name[len("heidelberg")])
            out = self.folder / f"heidelberg-{k}x{k}.osm.pbf"
            if not out.exists():
                tile_network(_need(_FILES["heidelberg"]), out, nx=k, ny=k)
            return out
        if name in _FILES:
            return _need(_FILES[name])
        msg = f"unknown data set {name!r} (known: {', '.join(ALL_DATASETS)})"
        raise DatasetMissingError(msg)

    def xml_network(self, name: str) -> Path:
        """OSM XML of the same network for ``osmnx.graph_from_xml``."""
        if name in _XML_FILES:
            return _need(_XML_FILES[name])
        if name in (*GENERATED, "goettingen"):
            return self.network(name)  # plain OSM XML already
        msg = f"no OSM XML for {name} (osmnx baseline skipped)"
        raise DatasetMissingError(msg)

    def points(
        self, name: str, *, n_villages: int, n_offers: int, seed: int = 1
    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
        """Villages and offers of a data set.

        Real OSM villages/offers where the data set has them (capped at
        ``n_villages``/``n_offers``); otherwise, or where fewer than 20 exist,
        random points in the central half of the network's extent.  The third
        value says which.
        """
        rng = np.random.default_rng(seed)
        osm = self.network(name)
        villages = offers = None
        if name in (*GENERATED, "bayreuth"):
            from erreichbarkeit.pipeline import load_inputs

            data = load_inputs(self.settings(name))
            villages, offers = data.villages, data.offers
        elif name == "goettingen":  # the layers directly: no second conversion of the roads
            from erreichbarkeit._schema import PLACE_TYPES
            from erreichbarkeit.config import load_categories
            from erreichbarkeit.io.gislayer import read_gis_features

            places, offers = read_gis_features(_need(_FILES[name]), load_categories(None))
            villages = places[places["place"].isin(PLACE_TYPES)]
        parts = []
        if villages is not None and len(villages) >= 20:
            villages = _sample(villages, n_villages, rng)
            parts.append(f"{len(villages)} OSM villages")
        else:
            villages = random_points(osm, n_villages, seed=seed, prefix="v")
            parts.append(f"{n_villages} random villages")
        if offers is not None and len(offers) >= 20:
            offers = _sample(offers, n_offers, rng)
            parts.append(f"{len(offers)} offers")
        else:
            offers = random_points(osm, n_offers, seed=seed + 1, prefix="o")
            parts.append(f"{n_offers} random offers")
        return villages, offers, " × ".join(parts)

    def settings(self, name: str, *, cache_dir: Path | None = None, out_dir: Path | None = None):
        """:class:`erreichbarkeit.config.Settings` for a whole pipeline run."""
        from erreichbarkeit.config import Settings

        cache = cache_dir or self.folder / "cache"
        out = out_dir or self.folder / "out"
        if name in GENERATED:
            region = self.generated(name).region
            return Settings.from_toml(region, cache_dir=cache, out_dir=out)
        boundaries = _need(_GEMEINDEN)
        if name in ("bayreuth", "goettingen"):
            return Settings(
                name=name,
                network=_need(_FILES[name]),
                boundaries=boundaries,
                cache_dir=cache,
                out_dir=out,
            )
        # Heidelberg (and its tiles) have no places or POIs: synthetic files.
        osm = self.network(name)
        vfile = self.folder / f"{name}-orte.geojson"
        ofile = self.folder / f"{name}-angebote.csv"
        if not vfile.exists():
            v = random_points(osm, 300, seed=11, prefix="ort")
            v["name"] = [f"Ort {i + 1}" for i in range(len(v))]
            v.to_file(vfile, driver="GeoJSON")
            x0, y0, x1, y1 = v.total_bounds
            rng = np.random.default_rng(12)
            cats = ["Kita", "Kinderarzt", "Familienzentrum", "Schule", "Hebamme"]
            rows = [
                {
                    "Name": f"Angebot {i + 1}",
                    "Kategorie": cats[i % len(cats)],
                    "Breitengrad": f"{rng.uniform(y0, y1):.6f}",
                    "Längengrad": f"{rng.uniform(x0, x1):.6f}",
                }
                for i in range(400)
            ]
            pd.DataFrame(rows).to_csv(ofile, sep=";", index=False, encoding="utf-8")
        return Settings(
            name=name,
            network=osm,
            villages=vfile,
            offers=(str(ofile),),
            boundaries=boundaries,
            cache_dir=cache,
            out_dir=out,
        )


def _sample(gdf: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    if len(gdf) <= n:
        return gdf.reset_index(drop=True)
    idx = np.sort(rng.choice(len(gdf), n, replace=False))
    return gdf.iloc[idx].reset_index(drop=True)


def node_bbox(osm: Path, *, every: int = 7) -> tuple[float, float, float, float, int]:
    """Quartile box of the file's node coordinates (central half) and node count."""
    lons: list[float] = []
    lats: list[float] = []
    n = 0
    for node in osmium.FileProcessor(str(osm), osmium.osm.NODE):
        if n % every == 0:
            lons.append(node.location.lon)
            lats.append(node.location.lat)
        n += 1
    x0, x1 = np.quantile(lons, [0.25, 0.75])
    y0, y1 = np.quantile(lats, [0.25, 0.75])
    return float(x0), float(y0), float(x1), float(y1), n


def random_points(osm: Path, n: int, *, seed: int, prefix: str) -> gpd.GeoDataFrame:
    """n random points in the central half of the file's node extent (EPSG:4326)."""
    x0, y0, x1, y1, _ = node_bbox(osm)
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    return gpd.GeoDataFrame(
        {"id": [f"{prefix}{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:4326",
    )


def lonlat(points: gpd.GeoDataFrame) -> np.ndarray:
    """``(n, 2)`` longitude, latitude of a point table."""
    pts = points.to_crs("EPSG:4326")
    return np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])


# ---------------------------------------------------------------------------
# tiling


#: Highway classes whose border nodes get connector ways between tiles.
_CONNECT_CLASSES = {"primary", "secondary", "tertiary"}
_CAR_CLASSES = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
    "living_street", "service",
}  # fmt: skip


@dataclass(frozen=True)
class _Network:
    """A road network read into memory: node arrays plus the ways as plain tuples."""

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    node_tags: list[dict[str, str]]
    ways: list[tuple[int, list[int], dict[str, str]]]


@dataclass(frozen=True)
class _Layout:
    """Where the tiles go: grid size, coordinate shift and id offsets per tile."""

    nx: int
    ny: int
    width: float
    height: float
    node_off: int
    way_off: int

    @property
    def tiles(self) -> list[tuple[int, int]]:
        """``(i, j)`` of every tile, west to east, then south to north."""
        return [(i, j) for j in range(self.ny) for i in range(self.nx)]


def tile_network(
    source: Path, out: Path, *, nx: int, ny: int, connectors: int = 6
) -> dict[str, int]:
    """Write ``nx × ny`` shifted copies of an OSM network as one file.

    Every node and way of ``source`` is copied once per tile, coordinates
    shifted by multiples of the node extent's width/height and ids offset per
    tile, so the copies never share a node.  Neighbouring tiles are joined by
    ``connectors`` ``highway=secondary`` ways: the nodes of primary, secondary
    and tertiary roads in the outermost 2 % (by longitude resp. latitude) of
    each side are sorted along the border, and the k-th of ``connectors``
    evenly spaced picks on the east (north) side of a tile is joined to the
    k-th pick on the west (south) side of its neighbour.
    Relations (turn restrictions) are dropped: remapping their members is not
    worth it for a size benchmark.

    Parameters
    ----------
    source
        An OSM file (``.osm.pbf`` …) holding a road network.
    out
        The ``.osm.pbf`` to write (replaced if it exists).
    nx, ny
        Number of tiles east–west and south–north.
    connectors
        Connector ways per shared tile border.

    Returns
    -------
    dict[str, int]
        ``nodes``, ``ways``, ``connectors`` written.
    """
    net = _read_network(source)
    layout = _layout(net, nx, ny)
    east, west, north, south = _border_nodes(net)
    ew = _pairs(east, west, net.lat, connectors)
    sn = _pairs(north, south, net.lon, connectors)

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    writer = osmium.SimpleWriter(str(out))
    try:
        n_nodes = _write_nodes(writer, net, layout)
        n_ways = _write_ways(writer, net, layout)
        n_conn = _write_connectors(writer, net, layout, ew=ew, sn=sn)
    finally:
        writer.close()
    return {"nodes": n_nodes, "ways": n_ways, "connectors": n_conn}


def _read_network(source: Path) -> _Network:
    """Read every node with a valid location and every way of ``source`` into memory."""
    # Everything at once: the networks here fit in memory (Heidelberg: 221 k
    # nodes, 32 k ways) and pyosmium objects are only valid inside the loop
    # that produced them.
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    node_tags: list[dict[str, str]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
        if isinstance(obj, osmium.osm.Node):
            if not obj.location.valid():
                continue
            ids.append(obj.id)
            lons.append(obj.location.lon)
            lats.append(obj.location.lat)
            node_tags.append(dict(obj.tags) if len(obj.tags) else {})
        elif isinstance(obj, osmium.osm.Way):
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
    return _Network(
        node_ids=np.asarray(ids, dtype=np.int64),
        lon=np.asarray(lons),
        lat=np.asarray(lats),
        node_tags=node_tags,
        ways=ways,
    )


def _layout(net: _Network, nx: int, ny: int) -> _Layout:
    """Shift (the node extent × 1.001) and id offsets (one digit more than the largest id)."""
    return _Layout(
        nx=nx,
        ny=ny,
        width=float(net.lon.max() - net.lon.min()) * 1.001,
        height=float(net.lat.max() - net.lat.min()) * 1.001,
        node_off=10 ** len(str(int(net.node_ids.max()))),
        way_off=10 ** len(str(max(wid for wid, _, _ in net.ways))),
    )


def _main_road_nodes(net: _Network) -> np.ndarray:
    """Indices of the main-road nodes in the largest connected piece of the car network."""
    # Imported here: scipy.sparse.csgraph adds ≈0.7 s to the start-up of every
    # benchmark script, and only the tiled data sets need it.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pos = {int(i): k for k, i in enumerate(net.node_ids)}
    us: list[int] = []
    vs: list[int] = []
    main: set[int] = set()
    for _, refs, tags in net.ways:
        hw = tags.get("highway")
        if hw not in _CAR_CLASSES:
            continue
        idx = [pos[r] for r in refs if r in pos]
        us.extend(idx[:-1])
        vs.extend(idx[1:])
        if hw in _CONNECT_CLASSES:
            main.update(idx)
    n = len(net.node_ids)
    adj = coo_matrix((np.ones(len(us)), (us, vs)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    main_idx = np.array(sorted(main))
    biggest = np.bincount(label[main_idx]).argmax()
    cidx: np.ndarray = main_idx[label[main_idx] == biggest]
    return cidx


def _border_nodes(net: _Network) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """East, west, north and south candidates for connectors (node indices)."""
    # On main roads of the largest connected piece of the car network (an
    # extract's edge holds stubs cut off from the rest), among the outermost
    # 2 % of those nodes per side (quantiles, not the bounding box: extracts
    # are not rectangles).
    cidx = _main_road_nodes(net)
    lon, lat = net.lon, net.lat
    qx0, qx1 = np.quantile(lon[cidx], [0.02, 0.98])
    qy0, qy1 = np.quantile(lat[cidx], [0.02, 0.98])
    east, west = cidx[lon[cidx] >= qx1], cidx[lon[cidx] <= qx0]
    north, south = cidx[lat[cidx] >= qy1], cidx[lat[cidx] <= qy0]
    return east, west, north, south


def _pairs(
    a: np.ndarray, b: np.ndarray, coord: np.ndarray, connectors: int
) -> list[tuple[int, int]]:
    """Pick ``connectors`` nodes spread along ``a`` and their nearest partner in ``b``."""
    if len(a) == 0 or len(b) == 0:
        return []
    a_sorted = a[np.argsort(coord[a])]
    b_sorted = b[np.argsort(coord[b])]
    k = min(connectors, len(a_sorted), len(b_sorted))
    at = np.linspace(0, 1, k + 2)[1:-1]  # evenly spread, away from the corners
    return [
        (
            int(a_sorted[int(f * (len(a_sorted) - 1))]),
            int(b_sorted[int(f * (len(b_sorted) - 1))]),
        )
        for f in at
    ]


def _write_nodes(writer: osmium.SimpleWriter, net: _Network, layout: _Layout) -> int:
    """Write every node once per tile, shifted and with offset ids; return the count."""
    n_nodes = 0
    for t, (i, j) in enumerate(layout.tiles):
        for k in range(len(net.node_ids)):
            writer.add_node(
                Node(
                    id=int(net.node_ids[k]) + t * layout.node_off,
                    location=(net.lon[k] + i * layout.width, net.lat[k] + j * layout.height),
                    tags=net.node_tags[k],
                )
            )
            n_nodes += 1
    return n_nodes


def _write_ways(writer: osmium.SimpleWriter, net: _Network, layout: _Layout) -> int:
    """Write every way once per tile with offset way and node ids; return the count."""
    n_ways = 0
    for t in range(len(layout.tiles)):
        for wid, refs, tags in net.ways:
            writer.add_way(
                Way(
                    id=wid + t * layout.way_off,
                    nodes=[r + t * layout.node_off for r in refs],
                    tags=tags,
                )
            )
            n_ways += 1
    return n_ways


def _neighbours(
    t: int, layout: _Layout, *, ew: list[tuple[int, int]], sn: list[tuple[int, int]]
) -> list[tuple[int, list[tuple[int, int]]]]:
    """The eastern and northern neighbour tiles of tile ``t``, each with its node pairs."""
    i, j = layout.tiles[t]
    neighbours = []
    if i + 1 < layout.nx:
        neighbours.append((t + 1, ew))
    if j + 1 < layout.ny:
        neighbours.append((t + layout.nx, sn))
    return neighbours


def _write_connectors(
    writer: osmium.SimpleWriter,
    net: _Network,
    layout: _Layout,
    *,
    ew: list[tuple[int, int]],
    sn: list[tuple[int, int]],
) -> int:
    """Join each tile to its eastern and northern neighbour; return the connector count."""
    first_way = len(layout.tiles) * layout.way_off
    n_conn = 0
    for t in range(len(layout.tiles)):
        for t2, links in _neighbours(t, layout, ew=ew, sn=sn):
            for a, b in links:
                writer.add_way(
                    Way(
                        id=first_way + n_conn,
                        nodes=[
                            int(net.node_ids[a]) + t * layout.node_off,
                            int(net.node_ids[b]) + t2 * layout.node_off,
                        ],
                        tags={"highway": "secondary", "note": "benchmark tile connector"},
                    )
                )
                n_conn += 1
    return n_conn


# ---------------------------------------------------------------------------
# measuring


def rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its finished children, MiB."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 / 1024
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return me, kids


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...``; afterwards ``t[0]`` holds the seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def fmt_s(seconds: float) -> str:
    """Seconds with a sensible number of digits."""
    if not math.isfinite(seconds):
        return "–"
    if seconds >= 100:
        return f"{seconds:.0f}"
    if seconds >= 1:
        return f"{seconds:.1f}"
    if seconds >= 0.01:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}"


def fmt_x(ratio: float) -> str:
    """A ratio as ``12.3×``."""
    if not math.isfinite(ratio):
        return "–"
    return f"{ratio:.0f}×" if ratio >= 100 else f"{ratio:.1f}×" if ratio >= 1 else f"{ratio:.2f}×"
