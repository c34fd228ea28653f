"""Accuracy: our car/bike/walk minutes against an independent shortest-path computation.

Why: our minutes come from OSRM's standard profiles.  This script rebuilds
the same network independently — the OSM ways the profile allows, read with
pyosmium, the profile's speeds, oneway rules, haversine edge lengths — and
runs ``scipy.sparse.csgraph.dijkstra`` between the graph nodes nearest to
random "village" and "offer" points (in the largest strongly connected
component, central half of the extent).  OSRM's table is asked for the very
same node coordinates.  It prints the relative difference
``(OSRM − independent) / independent`` per mode (median and 95th percentile
of its absolute value), and decomposes the systematic part on a sample of
routes: OSRM's Route API with ``steps`` and per-segment ``duration``
annotations gives the number of turns and the seconds that are not edge
travel time (turn penalties, U-turns, traffic-signal penalties), so the
difference *without* penalties is printed too.

Independent model (what OSRM's profiles do by default, osrm-bindings 26.x):

* car: ``car.lua`` km/h per highway class; a numeric ``maxspeed`` (or
  ``DE:urban`` 50, ``DE:rural`` 100, ``DE:living_street`` 7) × 0.8 replaces
  it; ``oneway=yes/1/true/-1``, roundabouts and motorways are one-way;
  ``access``/``vehicle``/``motor_vehicle``/``motorcar`` = no, private,
  agricultural, forestry, delivery, … close the way.
* bike: 15 km/h, track 12, path 13, footway/pedestrian 4 (pushing; 15 with
  ``bicycle=yes/designated``), steps 2; motorway/trunk closed; against a
  oneway (without ``oneway:bicycle=no`` / opposite cycleway) pushing at 4.
* walk: 5 km/h on ``foot.lua``'s highway classes, no oneways.

Not modelled (so part of the difference): turn and U-turn penalties, traffic
signal penalties, surface/tracktype/smoothness speed caps, barriers/gates,
turn restrictions, OSRM's ``routability`` weight (which picks the route; the
table reports its duration), and snapping to the way rather than the node.

Usage::

    .venv/bin/python benchmarks/bench_accuracy.py
    .venv/bin/python benchmarks/bench_accuracy.py --datasets heidelberg --points 200
    .venv/bin/python benchmarks/bench_accuracy.py --quick --datasets demo   # smoke test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import osrm
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import BASE_DATASETS, DatasetMissingError, Workspace

from erreichbarkeit.config import RoutingOptions
from erreichbarkeit.network.routing import Router, prepare_network

#: Earth radius OSRM uses for haversine distances (util/coordinate_calculation).
EARTH_R = 6372797.560856

CAR_KMH = {
    "motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40, "primary": 65,
    "primary_link": 30, "secondary": 55, "secondary_link": 25, "tertiary": 40,
    "tertiary_link": 20, "unclassified": 25, "residential": 25, "living_street": 10,
    "service": 15,
}  # fmt: skip
BIKE_KMH = {
    "cycleway": 15, "primary": 15, "primary_link": 15, "secondary": 15, "secondary_link": 15,
    "tertiary": 15, "tertiary_link": 15, "residential": 15, "unclassified": 15,
    "living_street": 15, "service": 15, "track": 12, "path": 13,
}  # fmt: skip
FOOT_CLASSES = {
    "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
    "unclassified", "residential", "living_street", "service", "track", "path", "steps",
    "pedestrian", "platform", "footway", "pier",
}  # fmt: skip
ACCESS_BLACKLIST = {
    "no", "private", "agricultural", "forestry", "emergency", "psv", "customers", "delivery",
}  # fmt: skip
MAXSPEED_IMPLICIT = {"de:urban": 50.0, "de:rural": 100.0, "de:living_street": 7.0}
#: Highway classes closed to bikes.
BIKE_CLOSED = {"motorway", "motorway_link", "trunk", "trunk_link"}
#: ``oneway`` values meaning "one-way in the drawing direction".
ONEWAY_YES = ("yes", "1", "true")
#: Access tags per mode, most specific first.
ACCESS_KEYS = {
    "car": ("motorcar", "motor_vehicle", "vehicle", "access"),
    "bike": ("bicycle", "vehicle", "access"),
    "walk": ("foot", "access"),
}
MODES = ("car", "bike", "walk")


def parse_maxspeed(value: str | None) -> float:
    """km/h of a ``maxspeed`` value; 0 where unknown or unlimited."""
    if not value:
        return 0.0
    v = value.strip().lower()
    if v in MAXSPEED_IMPLICIT:
        return MAXSPEED_IMPLICIT[v]
    factor = 1.609344 if v.endswith("mph") else 1.0
    digits = v.replace("mph", "").replace("km/h", "").strip()
    try:
        return float(digits) * factor
    except ValueError:
        return 0.0


def _access(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The value of the first of ``keys`` the way has (most specific first)."""
    for key in keys:
        if key in tags:
            return tags[key]
    return None


def _roundabout(tags: dict[str, str]) -> bool:
    """Whether the way is part of a roundabout (implicitly one-way)."""
    return tags.get("junction") in ("roundabout", "circular")


def _direction(tags: dict[str, str], *, implied: bool) -> int:
    """1 for a oneway, -1 for a oneway against the drawing direction, 0 for two-way.

    ``implied`` makes the way one-way unless it is tagged ``oneway=no``.
    """
    oneway = tags.get("oneway", "")
    if oneway in ONEWAY_YES or (oneway != "no" and implied):
        return 1
    return -1 if oneway == "-1" else 0


def _directed(kmh: float, direction: int, against: float) -> tuple[float, float]:
    """Forward and backward km/h for a :func:`_direction` (``against`` on the closed side)."""
    if direction == 1:
        return kmh, against
    if direction == -1:
        return against, kmh
    return kmh, kmh


def _car_speeds(tags: dict[str, str], hw: str) -> tuple[float, float] | None:
    """``car.lua``: class speed or 0.8 × maxspeed; oneways closed against the direction."""
    if hw not in CAR_KMH or _access(tags, ACCESS_KEYS["car"]) in ACCESS_BLACKLIST:
        return None
    limit = parse_maxspeed(tags.get("maxspeed"))
    kmh = limit * 0.8 if limit > 0 else float(CAR_KMH[hw])
    direction = _direction(tags, implied=_roundabout(tags) or hw == "motorway")
    return _directed(kmh, direction, 0.0)


def _bike_kmh(tags: dict[str, str], hw: str) -> float | None:
    """``bicycle.lua`` km/h of a highway class (pushing on footways unless bikes may ride)."""
    if hw in BIKE_KMH:
        return float(BIKE_KMH[hw])
    if hw in ("footway", "pedestrian"):
        return 15.0 if tags.get("bicycle") in ("yes", "designated", "permissive") else 4.0
    if hw == "steps":
        return 2.0
    return None


def _bike_speeds(tags: dict[str, str], hw: str) -> tuple[float, float] | None:
    """``bicycle.lua``: class speed; against a oneway pushing at 4 km/h unless opened."""
    if hw in BIKE_CLOSED or _access(tags, ACCESS_KEYS["bike"]) in ACCESS_BLACKLIST:
        return None
    kmh = _bike_kmh(tags, hw)
    if kmh is None:
        return None
    contra = tags.get("oneway:bicycle") == "no" or str(tags.get("cycleway", "")).startswith(
        "opposite"
    )
    if contra:
        return kmh, kmh
    return _directed(kmh, _direction(tags, implied=_roundabout(tags)), 4.0)


def _walk_speeds(tags: dict[str, str], hw: str) -> tuple[float, float] | None:
    """``foot.lua``: 5 km/h both ways on its highway classes."""
    if hw not in FOOT_CLASSES or _access(tags, ACCESS_KEYS["walk"]) in ACCESS_BLACKLIST:
        return None
    return 5.0, 5.0


#: Speeds of a way per mode; any other mode is routed like ``walk``.
_SPEEDS = {"car": _car_speeds, "bike": _bike_speeds}


def way_speeds(tags: dict[str, str], mode: str) -> tuple[float, float] | None:
    """Forward and backward km/h of a way for a mode (0 = closed), None if not routable."""
    hw = tags.get("highway")
    if hw is None or tags.get("area") == "yes":
        return None
    return _SPEEDS.get(mode, _walk_speeds)(tags, hw)


@dataclass
class Graph:
    """A directed graph in CSR form with node coordinates."""

    csr: Any
    lon: np.ndarray
    lat: np.ndarray


#: Per mode: lists of from-node, to-node and seconds arrays, one entry per way and direction.
_EdgeLists = dict[str, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]]


def build_graphs(osm: Path, modes: tuple[str, ...]) -> dict[str, Graph]:
    """Read the file once with pyosmium and build one graph per mode."""
    index: dict[int, int] = {}
    lons: list[float] = []
    lats: list[float] = []
    edges: _EdgeLists = {m: ([], [], []) for m in modes}
    reader = osmium.FileProcessor(str(osm), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for way in reader:
        if not isinstance(way, osmium.osm.Way) or "highway" not in way.tags:
            continue
        tags = dict(way.tags)
        speeds = {m: way_speeds(tags, m) for m in modes}
        if all(s is None for s in speeds.values()):
            continue
        ids, way_lon, way_lat = _way_nodes(way, index, lons, lats)
        if len(ids) >= 2:
            _add_edges(edges, speeds, ids, _haversine_m(way_lon, way_lat))
    n = len(lons)
    return {
        m: Graph(_csr(us, vs, ws, n), np.asarray(lons), np.asarray(lats))
        for m, (us, vs, ws) in edges.items()
        if us
    }


def _way_nodes(
    way: osmium.osm.Way, index: dict[int, int], lons: list[float], lats: list[float]
) -> tuple[list[int], list[float], list[float]]:
    """Graph node numbers and coordinates of a way's located nodes (new ones are appended)."""
    ids: list[int] = []
    way_lon: list[float] = []
    way_lat: list[float] = []
    for n in way.nodes:
        if not n.location.valid():
            continue
        lon, lat = n.location.lon, n.location.lat
        k = index.get(n.ref)
        if k is None:
            k = index[n.ref] = len(lons)
            lons.append(lon)
            lats.append(lat)
        ids.append(k)
        way_lon.append(lon)
        way_lat.append(lat)
    return ids, way_lon, way_lat


def _haversine_m(way_lon: list[float], way_lat: list[float]) -> np.ndarray:
    """Metres between consecutive points (haversine on OSRM's earth radius)."""
    lo = np.radians(way_lon)
    la = np.radians(way_lat)
    h = (
        np.sin(np.diff(la) / 2) ** 2
        + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2) ** 2
    )
    metres: np.ndarray = 2 * EARTH_R * np.arcsin(np.sqrt(h))
    return metres


def _add_edges(
    edges: _EdgeLists,
    speeds: dict[str, tuple[float, float] | None],
    ids: list[int],
    metres: np.ndarray,
) -> None:
    """Append a way's segments, in each open direction, to every mode that may use it."""
    a = np.asarray(ids[:-1])
    b = np.asarray(ids[1:])
    for m, sp in speeds.items():
        if sp is None:
            continue
        fwd, bwd = sp
        us, vs, ws = edges[m]
        if fwd > 0:
            us.append(a)
            vs.append(b)
            ws.append(metres / (fwd / 3.6))
        if bwd > 0:
            us.append(b)
            vs.append(a)
            ws.append(metres / (bwd / 3.6))


def _csr(us: list[np.ndarray], vs: list[np.ndarray], ws: list[np.ndarray], n: int) -> Any:
    """``n × n`` CSR matrix of the edges, keeping the fastest of parallel edges."""
    u, v, w = np.concatenate(us), np.concatenate(vs), np.concatenate(ws)
    # csr_matrix would *sum* parallel edges; keep the fastest of each pair.
    key = u.astype(np.int64) * n + v
    order = np.lexsort((w, key))
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    # a zero weight is "no edge" in scipy's sparse graphs; keep a tiny positive one
    weights = np.maximum(w[sel], 1e-6)
    return csr_matrix((weights, (u[sel], v[sel])), shape=(n, n))


def sample_nodes(graph: Graph, n: int, rng: np.random.Generator) -> np.ndarray:
    """Nodes of the largest strongly connected component nearest to n random points."""
    _, label = connected_components(graph.csr, directed=True, connection="strong")
    big = np.flatnonzero(label == np.bincount(label).argmax())
    x0, x1 = np.quantile(graph.lon[big], [0.25, 0.75])
    y0, y1 = np.quantile(graph.lat[big], [0.25, 0.75])
    coslat = np.cos(np.radians((y0 + y1) / 2))
    tree = cKDTree(np.column_stack([graph.lon[big] * coslat, graph.lat[big]]))
    pts = np.column_stack([rng.uniform(x0, x1, n) * coslat, rng.uniform(y0, y1, n)])
    _, nearest = tree.query(pts)
    nodes: np.ndarray = big[nearest]
    return nodes


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` or None (OSRM's answer objects have no ``get``)."""
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError):
        return None


def route_penalties(
    router: Router, src: np.ndarray, dst: np.ndarray, pairs: list[tuple[int, int]]
) -> list[tuple[float, float, int]]:
    """For each pair: OSRM route duration, its penalty seconds, and its number of turns."""
    net = router.network
    engine = osrm.OSRM(
        storage_config=str(net.base), algorithm=net.algorithm, use_shared_memory=False
    )
    out = []
    for i, j in pairs:
        params = osrm.RouteParameters(
            coordinates=[tuple(map(float, src[i])), tuple(map(float, dst[j]))],
            steps=True,
            annotations=["duration"],
            overview="false",
        )
        try:
            answer = engine.Route(params)
        except RuntimeError:
            continue
        route = answer["routes"][0]
        seg = sum(sum(leg["annotation"]["duration"]) for leg in route["legs"])
        turns = sum(
            1
            for leg in route["legs"]
            for step in leg["steps"]
            if step["maneuver"]["type"] not in ("depart", "arrive")
            and _get(step["maneuver"], "modifier") not in (None, "straight")
        )
        out.append((float(route["duration"]), float(route["duration"]) - seg, turns))
    return out


def measure(ws: Workspace, name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    osm = ws.network(name)
    graphs = build_graphs(osm, tuple(args.modes))
    opts = RoutingOptions()
    rows = []
    for mode in args.modes:
        if mode not in graphs:
            continue
        g = graphs[mode]
        rng = np.random.default_rng(7)
        o = sample_nodes(g, args.points, rng)
        d = sample_nodes(g, args.points, rng)
        indep = dijkstra(g.csr, directed=True, indices=o)[:, d]
        src = np.column_stack([g.lon[o], g.lat[o]])
        dst = np.column_stack([g.lon[d], g.lat[d]])
        with tempfile.TemporaryDirectory() as cache:
            algo = opts.algorithm.get(mode, "MLD")
            router = Router(prepare_network(osm, mode, cache_dir=cache, algorithm=algo))
            res = router.table(src, dst)
            on_node = (res.source_snap_m[:, None] < 1.0) & (res.destination_snap_m[None, :] < 1.0)
            ok = on_node & np.isfinite(res.seconds) & np.isfinite(indep) & (indep > 30)
            rel = (res.seconds[ok] - indep[ok]) / indep[ok]
            ii, jj = np.nonzero(ok)
            pick = rng.choice(len(ii), min(args.route_sample, len(ii)), replace=False)
            pairs = [(int(ii[k]), int(jj[k])) for k in pick]
            routes = route_penalties(router, src, dst, pairs)
        base = np.array([indep[i, j] for i, j in pairs][: len(routes)])
        dur = np.array([r[0] for r in routes])
        pen = np.array([r[1] for r in routes])
        turns = np.array([r[2] for r in routes])
        rel_np = (dur - pen - base) / base if len(routes) else np.array([np.nan])
        rows.append(
            {
                "name": name,
                "mode": mode,
                "nodes": g.csr.shape[0],
                "pairs": int(ok.sum()),
                "off": int((~on_node).sum()),
                "median": float(np.median(rel)) if len(rel) else np.nan,
                "p95": float(np.quantile(np.abs(rel), 0.95)) if len(rel) else np.nan,
                "slower": float((rel > 0.005).mean()) if len(rel) else np.nan,
                "faster": float((rel < -0.005).mean()) if len(rel) else np.nan,
                "routes": len(routes),
                "turns": float(turns.mean()) if len(routes) else np.nan,
                "pen_s": float(pen.mean()) if len(routes) else np.nan,
                "pen_share": float(np.median(pen / dur)) if len(routes) else np.nan,
                "np_median": float(np.median(rel_np)),
                "np_p95": float(np.quantile(np.abs(rel_np), 0.95)),
            }
        )
    return rows


def _pct(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x * 100:+.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None, help=", ".join(BASE_DATASETS))
    parser.add_argument("--modes", nargs="*", default=list(MODES))
    parser.add_argument("--points", type=int, default=100, help="N origins and N destinations")
    parser.add_argument("--route-sample", type=int, default=50, help="routes for the penalties")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.route_sample, args.modes = 15, 5, ["car", "walk"]
    names = args.datasets or list(BASE_DATASETS)
    print(
        f"# OSRM vs independent Dijkstra, {args.points} × {args.points} graph nodes per mode; "
        "rel. diff = (OSRM − independent) / independent"
    )
    print(
        "| data set | mode | graph nodes | pairs | median rel. diff | p95 abs rel. diff "
        "| OSRM slower / faster | routes | turns per route | penalty s per route "
        "| penalty share | median w/o penalties | p95 abs w/o penalties |"
    )
    print("| --- | --- | " + " | ".join(["---:"] * 11) + " |")
    with tempfile.TemporaryDirectory() as work_dir:
        ws = Workspace(Path(work_dir))
        for name in names:
            try:
                rows = measure(ws, name, args)
            except DatasetMissingError as exc:
                print(f"| {name} | skipped: {exc} |", flush=True)
                continue
            for r in rows:
                print(
                    f"| {r['name']} | {r['mode']} | {r['nodes']:,} | {r['pairs']:,} | "
                    f"{_pct(r['median'])} | {_pct(r['p95'])} | "
                    f"{r['slower'] * 100:.0f} % / {r['faster'] * 100:.0f} % | {r['routes']} | "
                    f"{r['turns']:.1f} | {r['pen_s']:.0f} | {_pct(r['pen_share'])} | "
                    f"{_pct(r['np_median'])} | {_pct(r['np_p95'])} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
