"""Village × offer matrix: ours versus the raw OSRM table and versus osmnx + networkx.

Why: the matrix is the step an analyst would otherwise write by hand with
osmnx and networkx.  For each data set and mode this script measures, in the
same run and on the same network and points:

* our preprocessing (cold, empty cache) and the cached reload;
* our matrix step, :func:`erreichbarkeit.network.matrix.travel_times` (routing,
  snapping report, long-table building), median of ``--repeats``;
* the raw OSRM ``Table`` call alone (engine already loaded, all villages ×
  offers in one call) — goal: our step ≤ 1.5× of it;
* the analyst's osmnx + networkx version: ``osmnx.graph_from_xml`` (simplified,
  largest strongly connected component, filtered to the mode's highway
  classes), ``add_edge_speeds`` with OSRM's car speeds (walk: 5 km/h),
  ``add_edge_travel_times``, ``nearest_nodes``, then one
  ``networkx.single_source_dijkstra_path_length`` per village — goal: ours
  ≥ 50× faster.  The graph build is timed separately; with more than
  ``--baseline-max-origins`` villages only that many are routed and the time
  is scaled linearly (marked ``*``).

Usage::

    .venv/bin/python benchmarks/bench_matrix.py          # demo, bayreuth, goettingen, heidelberg
    .venv/bin/python benchmarks/bench_matrix.py --datasets heidelberg --villages 500 --offers 500
    .venv/bin/python benchmarks/bench_matrix.py --quick --datasets demo  # seconds (smoke test)
"""

from __future__ import annotations

import argparse
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


def osmnx_matrix(graph: Any, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Minutes from every source to every destination, the networkx way."""
    import networkx as nx
    import osmnx as ox

    o_nodes = ox.distance.nearest_nodes(graph, X=src[:, 0], Y=src[:, 1])
    d_nodes = ox.distance.nearest_nodes(graph, X=dst[:, 0], Y=dst[:, 1])
    out = np.full((len(src), len(dst)), np.nan)
    for i, o in enumerate(o_nodes):
        lengths = nx.single_source_dijkstra_path_length(graph, o, weight="travel_time")
        out[i] = [lengths.get(d, np.nan) / 60.0 for d in d_nodes]
    return out


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
            row.update(baseline(ws, name, mode, src=src, dst=dst, ours_min=ours_min, args=args))
        rows.append(row)
    return rows


def baseline(
    ws: Workspace,
    name: str,
    mode: str,
    *,
    src: np.ndarray,
    dst: np.ndarray,
    ours_min: np.ndarray,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The osmnx + networkx timings (and the median ratio of its minutes to ours)."""
    try:
        xml = ws.xml_network(name)
    except DatasetMissingError as exc:
        return {"base_note": str(exc)}
    import networkx  # noqa: F401  (import time is not part of the baseline)
    import osmnx  # noqa: F401

    t0 = time.perf_counter()
    graph = osmnx_build(xml, mode)
    build = time.perf_counter() - t0
    n = min(len(src), args.baseline_max_origins)
    t0 = time.perf_counter()
    base_min = osmnx_matrix(graph, src[:n], dst)
    matrix_s = (time.perf_counter() - t0) * len(src) / n
    both = np.isfinite(base_min) & np.isfinite(ours_min[:n]) & (base_min > 0)
    agree = float(np.median(ours_min[:n][both] / base_min[both])) if both.any() else float("nan")
    return {
        "base_build": build,
        "base_matrix": matrix_s,
        "base_scaled": n < len(src),
        "agree": agree,
        "graph": f"{graph.number_of_nodes()}/{graph.number_of_edges()}",
    }


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
    print(
        f"# village × offer matrix; median of {args.repeats}; "
        f"osmnx matrix routes ≤ {args.baseline_max_origins} villages (* = scaled linearly)"
    )
    print(
        "| data set | mode | villages × offers | prep cold s | reload s | our matrix s "
        "| raw OSRM table s | ours/raw | osmnx build s | osmnx matrix s | matrix speed-up "
        "| incl. build vs cold | incl. build vs cached | minutes ours/osmnx |"
    )
    print("| --- | --- | --- | " + " | ".join(["---:"] * 11) + " |")
    with tempfile.TemporaryDirectory() as work_dir:
        ws = Workspace(Path(work_dir))
        for name in names:
            try:
                rows = measure(ws, name, args.modes, args)
            except DatasetMissingError as exc:
                print(f"| {name} | skipped: {exc} |", flush=True)
                continue
            for r in rows:
                base = "base_build" in r
                star = "*" if r.get("base_scaled") else ""
                cells = [
                    r["name"], r["mode"], r["points"], fmt_s(r["cold"]), fmt_s(r["reload"]),
                    fmt_s(r["ours"]), fmt_s(r["raw"]), fmt_x(r["ours"] / r["raw"]),
                ]  # fmt: skip
                if base:
                    ours_total = r["ours"]
                    base_total = r["base_build"] + r["base_matrix"]
                    cells += [
                        fmt_s(r["base_build"]),
                        fmt_s(r["base_matrix"]) + star,
                        fmt_x(r["base_matrix"] / ours_total),
                        fmt_x(base_total / (r["cold"] + ours_total)),
                        fmt_x(base_total / (r["reload"] + ours_total)),
                        f"{r['agree']:.2f}",
                    ]
                else:
                    cells += [r.get("base_note", "not run")] + [""] * 5
                print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
