"""Village × offer matrix: ours versus the raw OSRM table and an analyst's own graph code.

Why: the matrix is the step an analyst would otherwise write by hand.  For
each data set and mode this script measures, **in the same run** and on the
same network and points:

* our preprocessing (cold, empty cache) and the cached reload;
* our matrix step, :func:`erreichbarkeit.network.matrix.travel_times` (routing,
  snapping report, long table with the cutoff), median of ``--repeats``;
* the raw OSRM ``Table`` call alone (engine already loaded, all villages ×
  offers in one call) — goal: our step ≤ 1.5× of it.

For the ``--baseline-modes`` (car, walk) the analyst's graph is built once
with osmnx: ``osmnx.graph_from_xml`` (simplified, largest strongly connected
component, filtered to the mode's highway classes), ``add_edge_speeds`` with
OSRM's car speeds (walk: 5 km/h), ``add_edge_travel_times`` (build timed
separately), ``nearest_nodes`` for the points (timed into every baseline's
matrix time), and then, each timed:

* ``scipy.sparse.csgraph.dijkstra`` on that graph as a sparse matrix
  (``osmnx.convert.to_digraph`` keeps the fastest of parallel edges,
  ``networkx.to_scipy_sparse_array``; conversion timed separately) with
  ``indices=`` the village nodes and ``limit=`` the cutoff — the fair
  baseline: a compiled Dijkstra on the same kind of graph;
* ``networkx.single_source_dijkstra_path_length`` per village with
  ``cutoff=`` the cutoff, and without a cutoff (as the old README measured);
  with more than ``--baseline-max-origins`` villages only that many are
  routed and the time is scaled linearly (marked ``*``);
* a multi-source search for nearest-offer surfaces:
  ``scipy.sparse.csgraph.dijkstra(reversed graph, indices=offer nodes,
  min_only=True, limit=cutoff)`` gives every node's minutes to its nearest
  offer in one search; its minutes at the village nodes are compared with
  the nearest offer in OSRM's table for the same villages (median and 95th
  percentile of the difference).

Ratios are the baseline's seconds divided by our matrix step's seconds
(> 1: ours is faster).

Usage::

    .venv/bin/python benchmarks/bench_matrix.py          # all of _data.BASE_DATASETS
    .venv/bin/python benchmarks/bench_matrix.py --datasets heidelberg --villages 500 --offers 500
    .venv/bin/python benchmarks/bench_matrix.py --quick --datasets demo  # seconds (smoke test)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import BASE_DATASETS, DatasetMissingError, Workspace, fmt_s, fmt_x, lonlat

from erreichbarkeit.config import RoutingOptions
from erreichbarkeit.network.matrix import travel_times
from erreichbarkeit.network.routing import Router, prepare_network

#: OSRM car.lua's default km/h per highway class (osrm-bindings 26.x), given to
#: osmnx.add_edge_speeds as an analyst would copy them.
OSRM_CAR_KMH = {
    "motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40, "primary": 65,
    "primary_link": 30, "secondary": 55, "secondary_link": 25, "tertiary": 40,
    "tertiary_link": 20, "unclassified": 25, "residential": 25, "living_street": 10,
    "service": 15,
}  # fmt: skip
#: Highway classes foot.lua walks on.
FOOT_CLASSES = {
    "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
    "unclassified", "residential", "living_street", "service", "track", "path", "steps",
    "pedestrian", "footway", "cycleway", "bridleway", "platform",
}  # fmt: skip


def _median_time(fn: Any, repeats: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def raw_table(router: Router, src: np.ndarray, dst: np.ndarray, repeats: int) -> float:
    """Median seconds of one OSRM Table call with all sources × destinations."""
    import osrm

    net = router.network
    engine = osrm.OSRM(
        storage_config=str(net.base), algorithm=net.algorithm, use_shared_memory=False
    )
    coords = [(float(x), float(y)) for x, y in src] + [(float(x), float(y)) for x, y in dst]
    k, m = len(src), len(dst)

    def call() -> Any:
        params = osrm.TableParameters(
            coordinates=coords,
            sources=list(range(k)),
            destinations=list(range(k, k + m)),
            annotations=["duration", "distance"],
        )
        return engine.Table(params)

    seconds, _ = _median_time(call, repeats)
    return seconds


def _has_class(value: Any, classes: set[str]) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v in classes for v in values)


def osmnx_build(xml: Path, mode: str) -> Any:
    """The analyst's graph: osmnx graph of the mode's ways with travel times (seconds)."""
    import osmnx as ox

    graph = ox.graph_from_xml(xml, bidirectional=mode == "walk", simplify=True, retain_all=False)
    classes = set(OSRM_CAR_KMH) if mode == "car" else FOOT_CLASSES
    drop = [
        (u, v, k)
        for u, v, k, d in graph.edges(keys=True, data=True)
        if not _has_class(d.get("highway"), classes)
        or (mode == "car" and d.get("access") in ("no", "private"))
    ]
    graph.remove_edges_from(drop)
    graph = ox.truncate.largest_component(graph, strongly=True)
    if mode == "car":
        graph = ox.add_edge_speeds(graph, hwy_speeds=OSRM_CAR_KMH, fallback=25)
    else:
        for _, _, d in graph.edges(data=True):
            d["speed_kph"] = 5.0
    return ox.add_edge_travel_times(graph)


def osmnx_nodes(graph: Any, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The graph nodes nearest to the villages and to the offers (osmnx ids)."""
    import osmnx as ox

    o_nodes = ox.distance.nearest_nodes(graph, X=src[:, 0], Y=src[:, 1])
    d_nodes = ox.distance.nearest_nodes(graph, X=dst[:, 0], Y=dst[:, 1])
    return np.asarray(o_nodes), np.asarray(d_nodes)


def osmnx_matrix(
    graph: Any, o_nodes: np.ndarray, d_nodes: np.ndarray, cutoff_s: float | None
) -> np.ndarray:
    """Minutes from every village node to every offer node, one networkx Dijkstra per village."""
    import networkx as nx

    out = np.full((len(o_nodes), len(d_nodes)), np.nan)
    for i, o in enumerate(o_nodes):
        lengths = nx.single_source_dijkstra_path_length(
            graph, o, cutoff=cutoff_s, weight="travel_time"
        )
        out[i] = [lengths.get(d, np.nan) / 60.0 for d in d_nodes]
    return out


def to_csr(graph: Any) -> tuple[Any, dict[Any, int]]:
    """The osmnx graph as a CSR matrix of travel seconds and each osmnx node's row."""
    import networkx as nx
    import osmnx as ox

    # to_digraph keeps the edge with the least weight of parallel edges
    # (to_scipy_sparse_array on the MultiDiGraph would add them up)
    digraph = ox.convert.to_digraph(graph, weight="travel_time")
    nodes = list(digraph.nodes)
    csr = nx.to_scipy_sparse_array(digraph, nodelist=nodes, weight="travel_time", format="csr")
    return csr, {n: k for k, n in enumerate(nodes)}


def scipy_matrix(
    csr: Any, o_idx: np.ndarray, d_idx: np.ndarray, cutoff_s: float, *, chunk: int = 64
) -> np.ndarray:
    """Minutes village × offer with ``scipy.sparse.csgraph.dijkstra`` (``limit=`` cutoff).

    Villages go in chunks of ``chunk``: dijkstra returns a dense row of all
    graph nodes per source (300 × 220 000 float64 would be 0.5 GB).
    """
    from scipy.sparse.csgraph import dijkstra

    out = np.empty((len(o_idx), len(d_idx)))
    for start in range(0, len(o_idx), chunk):
        dist = dijkstra(csr, directed=True, indices=o_idx[start : start + chunk], limit=cutoff_s)
        out[start : start + chunk] = dist[:, d_idx] / 60.0
    out[~np.isfinite(out)] = np.nan
    return out


def nearest_surface(csr: Any, d_idx: np.ndarray, cutoff_s: float) -> np.ndarray:
    """Minutes from every graph node to its nearest offer: one multi-source search.

    The search runs from the offers' nodes over the reversed graph
    (``csr.T``: from node to offer) with ``min_only=True``.
    """
    from scipy.sparse.csgraph import dijkstra

    reverse = csr.T.tocsr()
    dist = dijkstra(reverse, directed=True, indices=np.unique(d_idx), min_only=True, limit=cutoff_s)
    return np.where(np.isfinite(dist), dist / 60.0, np.nan)


def measure(
    ws: Workspace,
    name: str,
    modes: list[str],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """All measurements of one data set, one dict per mode."""
    osm = ws.network(name)
    villages, offers, label = ws.points(name, n_villages=args.villages, n_offers=args.offers)
    src, dst = lonlat(villages), lonlat(offers)
    opts = RoutingOptions()
    rows = []
    for mode in modes:
        algo = opts.algorithm.get(mode, "MLD")
        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            prepare_network(osm, mode, cache_dir=cache, algorithm=algo)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            router = Router(prepare_network(osm, mode, cache_dir=cache, algorithm=algo))
            reload_s = time.perf_counter() - t0
            ours, result = _median_time(
                lambda router=router, mode=mode: travel_times(
                    {mode: router},
                    villages,
                    offers,
                    cutoff_minutes=opts.cutoff_minutes,
                    max_snap_m=opts.max_snap_m,
                ),
                args.repeats,
            )
            raw = raw_table(router, src, dst, args.repeats)
            ours_min = router.table(src, dst).seconds / 60.0
        row: dict[str, Any] = {
            "name": name,
            "mode": f"{mode} ({algo})",
            "points": label,
            "cold": cold,
            "reload": reload_s,
            "ours": ours,
            "raw": raw,
            "pairs": len(result.travel_times),
        }
        if mode in args.baseline_modes:
            cutoff_s = opts.cutoff_minutes * 60.0
            row.update(
                baseline(ws, name, mode, src=src, dst=dst, ours_min=ours_min, cutoff_s=cutoff_s,
                         args=args)
            )  # fmt: skip
        rows.append(row)
    return rows


def _nearest_difference(surface: np.ndarray, ours_min: np.ndarray, cutoff_min: float) -> dict:
    """Median and p95 of (multi-source minutes − OSRM's nearest-offer minutes) per village."""
    with np.errstate(invalid="ignore"):  # NaN (no route) compares as False
        osrm_nearest = np.min(np.where(ours_min <= cutoff_min, ours_min, np.inf), axis=1)
    osrm_nearest[~np.isfinite(osrm_nearest)] = np.nan
    both = np.isfinite(surface) & np.isfinite(osrm_nearest) & (osrm_nearest > 0)
    if not both.any():
        nan = float("nan")
        return {"near_med": nan, "near_p95": nan, "near_rel": nan, "near_same": nan}
    diff = surface[both] - osrm_nearest[both]
    return {
        # village and its nearest offer on the same graph node: 0 minutes for the analyst
        "near_same": float(np.mean(surface[both] == 0.0)),
        "near_med": float(np.median(diff)),
        "near_p95": float(np.quantile(np.abs(diff), 0.95)),
        "near_rel": float(np.median(diff / osrm_nearest[both])),
        "near_n": int(both.sum()),
    }


def baseline(
    ws: Workspace,
    name: str,
    mode: str,
    *,
    src: np.ndarray,
    dst: np.ndarray,
    ours_min: np.ndarray,
    cutoff_s: float,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The analyst baselines on one osmnx graph: scipy, networkx (± cutoff), multi-source."""
    try:
        xml = ws.xml_network(name)
    except DatasetMissingError as exc:
        return {"base_note": str(exc)}
    import networkx  # noqa: F401  (import time is not part of the baselines)
    import osmnx  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401

    t0 = time.perf_counter()
    graph = osmnx_build(xml, mode)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    csr, row_of = to_csr(graph)
    to_csr_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    o_nodes, d_nodes = osmnx_nodes(graph, src, dst)
    snap_s = time.perf_counter() - t0
    o_idx = np.array([row_of[n] for n in o_nodes])
    d_idx = np.array([row_of[n] for n in d_nodes])

    scipy_s, scipy_min = _median_time(lambda: scipy_matrix(csr, o_idx, d_idx, cutoff_s), 1)
    n = min(len(src), args.baseline_max_origins)
    scale = len(src) / n
    t0 = time.perf_counter()
    nx_cut = osmnx_matrix(graph, o_nodes[:n], d_nodes, cutoff_s)
    nx_cut_s = (time.perf_counter() - t0) * scale
    t0 = time.perf_counter()
    osmnx_matrix(graph, o_nodes[:n], d_nodes, None)
    nx_full_s = (time.perf_counter() - t0) * scale
    multi_s, surface = _median_time(lambda: nearest_surface(csr, d_idx, cutoff_s), args.repeats)

    # the same graph gives the same minutes whichever Dijkstra runs on it
    mismatch = np.max(np.abs(np.nan_to_num(scipy_min[:n], nan=-1) - np.nan_to_num(nx_cut, nan=-1)))
    both = np.isfinite(scipy_min) & np.isfinite(ours_min) & (scipy_min > 0)
    agree = float(np.median(ours_min[both] / scipy_min[both])) if both.any() else float("nan")
    return {
        "graph": f"{graph.number_of_nodes():,} / {graph.number_of_edges():,}",
        "base_build": build,
        "to_csr": to_csr_s,
        "snap": snap_s,
        "scipy": scipy_s + snap_s,
        "nx_cut": nx_cut_s + snap_s,
        "nx_full": nx_full_s + snap_s,
        "multi": multi_s + snap_s,
        "base_scaled": n < len(src),
        "agree": agree,
        "mismatch": float(mismatch),
        **_nearest_difference(surface[o_idx], ours_min, cutoff_s / 60.0),
    }


_HEAD_OURS = (
    "| data set | mode | villages × offers | prep cold s | reload s | our matrix s "
    "| raw OSRM table s | ours/raw |"
)
_HEAD_BASE = (
    "| data set | mode | analyst graph nodes / edges | osmnx build s | → CSR s | our matrix s "
    "| scipy dijkstra s | scipy/ours | nx + cutoff s | nx + cutoff/ours | nx no cutoff s "
    "| nx no cutoff/ours | multi-source s | multi-source/ours | nearest Δ median min "
    "| nearest abs Δ p95 min | same node | minutes ours/analyst |"
)


def _base_cells(r: dict[str, Any]) -> list[str]:
    """The cells of one row of the baseline table."""
    star = "*" if r.get("base_scaled") else ""
    ours = r["ours"]
    return [
        r["name"], r["mode"], r["graph"], fmt_s(r["base_build"]), fmt_s(r["to_csr"]),
        fmt_s(ours), fmt_s(r["scipy"]), fmt_x(r["scipy"] / ours),
        fmt_s(r["nx_cut"]) + star, fmt_x(r["nx_cut"] / ours),
        fmt_s(r["nx_full"]) + star, fmt_x(r["nx_full"] / ours),
        fmt_s(r["multi"]), fmt_x(r["multi"] / ours),
        f"{r['near_med']:+.2f} ({100 * r['near_rel']:+.1f} %)", f"{r['near_p95']:.2f}",
        f"{100 * r['near_same']:.0f} %",
        f"{r['agree']:.2f}",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None, help=", ".join(BASE_DATASETS))
    parser.add_argument("--modes", nargs="*", default=["car", "bike", "walk"])
    parser.add_argument("--baseline-modes", nargs="*", default=["car", "walk"])
    parser.add_argument("--villages", type=int, default=300, help="at most this many villages")
    parser.add_argument("--offers", type=int, default=400, help="at most this many offers")
    parser.add_argument("--baseline-max-origins", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.villages, args.offers, args.repeats = 30, 30, 1
        args.baseline_max_origins = 10
        args.modes, args.baseline_modes = ["car"], ["car"]
    names = args.datasets or list(BASE_DATASETS)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# village × offer matrix; median of {args.repeats}; networkx routes "
        f"≤ {args.baseline_max_origins} villages (* = scaled linearly); "
        f"cutoff {RoutingOptions().cutoff_minutes:g} min; load average at start {load}"
    )
    print(_HEAD_OURS)
    print("| --- | --- | --- | " + " | ".join(["---:"] * 5) + " |", flush=True)
    base_rows: list[list[str]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as work_dir:
        ws = Workspace(Path(work_dir))
        for name in names:
            try:
                rows = measure(ws, name, args.modes, args)
            except DatasetMissingError as exc:
                print(f"| {name} | skipped: {exc} |", flush=True)
                continue
            for r in rows:
                cells = [
                    r["name"], r["mode"], r["points"], fmt_s(r["cold"]), fmt_s(r["reload"]),
                    fmt_s(r["ours"]), fmt_s(r["raw"]), fmt_x(r["ours"] / r["raw"]),
                ]  # fmt: skip
                print("| " + " | ".join(cells) + " |", flush=True)
                if "base_build" in r:
                    base_rows.append(_base_cells(r))
                    if r["mismatch"] > 1e-6:
                        notes.append(
                            f"{name} {r['mode']}: scipy ≠ networkx by {r['mismatch']:g} min"
                        )
                elif "base_note" in r:
                    notes.append(f"{name} {r['mode']}: {r['base_note']}")
    print()
    print(_HEAD_BASE)
    print("| --- | --- | --- | " + " | ".join(["---:"] * 15) + " |")
    for cells in base_rows:
        print("| " + " | ".join(cells) + " |")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
