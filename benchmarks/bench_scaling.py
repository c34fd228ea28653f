"""Scaling of the matrix step: with origins × destinations, and with graph size.

Why: a county has a few hundred villages and offers, a Land-wide or
grid-based analysis tens of thousands of points; networks range from one
Kreis to a whole Regierungsbezirk.  This script shows how our matrix step
(:func:`erreichbarkeit.network.matrix.travel_times`) and OSRM preprocessing grow.

(a) Fixed graph (``--fixed``, default Heidelberg: 221 k OSM nodes spanning
101 × 23 km, 98.8 % of them in one 25 × 23 km box around Heidelberg): our
matrix step for N × M random points in the central half of the network,
N × M from 100 × 100 to 2000 × 2000; time per million pairs and the ratio
to the smallest size, in the same run.

(b) Graph size (``--graphs``): North-Bayreuth, Göttingen (converted GIS
layer), Heidelberg and Heidelberg tiled 2 × 2 and 3 × 3
(:func:`_data.tile_network`: shifted copies joined by connector roads), each
with a fixed ``--query`` × ``--query`` table: cold preprocessing time,
prepared size on disk, query time, ratios to Heidelberg.

Usage::

    .venv/bin/python benchmarks/bench_scaling.py
    .venv/bin/python benchmarks/bench_scaling.py --sizes 100 500 --graphs heidelberg heidelberg2x2
    .venv/bin/python benchmarks/bench_scaling.py --quick        # demo only, seconds (smoke test)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import ALL_DATASETS, DatasetMissingError, Workspace, fmt_s, fmt_x, node_bbox
from _data import random_points as _random_points

from erreichbarkeit.config import RoutingOptions
from erreichbarkeit.network.matrix import travel_times
from erreichbarkeit.network.routing import Router, prepare_network


def _query(router: Router, mode: str, origins: Any, dests: Any, repeats: int) -> float:
    opts = RoutingOptions()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        travel_times(
            {mode: router},
            origins,
            dests,
            cutoff_minutes=opts.cutoff_minutes,
            max_snap_m=opts.max_snap_m,
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fixed_graph(ws: Workspace, name: str, args: argparse.Namespace, cache: Path) -> None:
    """Part (a): time versus origins × destinations on one graph."""
    osm = ws.network(name)
    shapes = [(n, n) for n in args.sizes]
    big, small = max(args.sizes), min(args.sizes)
    if big != small:
        shapes += [(big, small), (small, big)]
    pool = _random_points(osm, 2 * big, seed=3, prefix="p")
    print(f"\n## (a) fixed graph: {name}, our matrix step, median of {args.repeats}")
    print("| mode | origins × destinations | pairs | seconds | µs per pair | time vs smallest |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    opts = RoutingOptions()
    for mode in args.modes:
        algo = opts.algorithm.get(mode, "MLD")
        router = Router(prepare_network(osm, mode, cache_dir=cache, algorithm=algo))
        base = None
        for n, m in shapes:
            origins = pool.iloc[:n]
            dests = pool.iloc[big : big + m]
            seconds = _query(router, mode, origins, dests, args.repeats)
            base = base or seconds
            print(
                f"| {mode} ({algo}) | {n} × {m} | {n * m:,} | {fmt_s(seconds)} | "
                f"{seconds / (n * m) * 1e6:.2f} | {fmt_x(seconds / base)} |",
                flush=True,
            )


def _dir_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def graph_sizes(ws: Workspace, args: argparse.Namespace) -> None:
    """Part (b): preprocessing and a fixed query versus graph size."""
    q = args.query
    print(
        f"\n## (b) graph size: cold preprocessing and a {q} × {q} query (median of {args.repeats})"
    )
    print(
        "| data set | OSM nodes | mode | prep cold s | prepared MiB | query s "
        "| prep vs heidelberg | query vs heidelberg |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    opts = RoutingOptions()
    ref: dict[str, tuple[float, float]] = {}
    rows: list[tuple[str, int, str, float, float, float]] = []
    for name in args.graphs:
        try:
            osm = ws.network(name)
        except DatasetMissingError as exc:
            print(f"| {name} | skipped: {exc} |", flush=True)
            continue
        n_nodes = node_bbox(osm)[4]
        pts = _random_points(osm, 2 * q, seed=5, prefix="p")
        for mode in args.modes:
            algo = opts.algorithm.get(mode, "MLD")
            with tempfile.TemporaryDirectory() as cache:
                t0 = time.perf_counter()
                net = prepare_network(osm, mode, cache_dir=cache, algorithm=algo)
                prep = time.perf_counter() - t0
                size = _dir_mb(net.base.parent)
                seconds = _query(Router(net), mode, pts.iloc[:q], pts.iloc[q:], args.repeats)
            if name == "heidelberg":
                ref[mode] = (prep, seconds)
            rows.append((name, n_nodes, f"{mode} ({algo})", prep, size, seconds))
            r = ref.get(mode)
            print(
                f"| {name} | {n_nodes:,} | {mode} ({algo}) | {fmt_s(prep)} | {size:.0f} | "
                f"{fmt_s(seconds)} | {fmt_x(prep / r[0]) if r else '–'} | "
                f"{fmt_x(seconds / r[1]) if r else '–'} |",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixed", default="heidelberg", help="graph for part (a)")
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 250, 500, 1000, 2000])
    parser.add_argument(
        "--graphs",
        nargs="*",
        default=[d for d in ALL_DATASETS if d != "demo"],
        help="data sets for part (b): " + ", ".join(ALL_DATASETS),
    )
    parser.add_argument("--query", type=int, default=500, help="N of the N × N query in (b)")
    parser.add_argument("--modes", nargs="*", default=["car", "walk"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-fixed", action="store_true")
    parser.add_argument("--skip-graphs", action="store_true")
    parser.add_argument("--quick", action="store_true", help="demo only, tiny sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.fixed, args.sizes, args.graphs = "demo", [20, 50], ["demo"]
        args.query, args.repeats, args.modes = 50, 1, ["car"]
    print("# scaling of the matrix step (random points in the central half of each network)")
    with tempfile.TemporaryDirectory() as work_dir:
        ws = Workspace(Path(work_dir))
        if not args.skip_fixed:
            try:
                fixed_graph(ws, args.fixed, args, Path(work_dir) / "cache")
            except DatasetMissingError as exc:
                print(f"\n## (a) fixed graph: skipped: {exc}")
        if not args.skip_graphs:
            graph_sizes(ws, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
