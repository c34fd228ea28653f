"""CH versus MLD per mode: preprocessing time, cached reload, table query time.

Why: OSRM offers two preprocessings. CH (osrm-contract) answers table
queries fastest but contracts large foot graphs slowly; MLD (osrm-partition +
osrm-customize) prepares in seconds with slower queries.  This script
measures both on the same networks in the same run and prints ratios, which
is how the per-mode default in ``RoutingOptions.algorithm`` was chosen.

Usage::

    .venv/bin/python benchmarks/bench_preprocess.py                 # all data sets found
    .venv/bin/python benchmarks/bench_preprocess.py --datasets demo goettingen
    .venv/bin/python benchmarks/bench_preprocess.py --queries 1000  # 1000 × 1000 table

Data sets: ``demo`` (the fictional Beispielkreis, always available),
``bayreuth``, ``goettingen`` (GIS layer, converted first), ``heidelberg``
from ``$ERREICHBARKEIT_SHARED_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from erreichbarkeit.demo.beispielkreis import generate_demo
from erreichbarkeit.io.gis2osm import lines_to_osm
from erreichbarkeit.network.routing import Router, prepare_network

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    env = os.environ.get("ERREICHBARKEIT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def dataset_paths(work: Path) -> dict[str, Callable[[], Path]]:
    sd = shared_data()
    return {
        "demo": lambda: generate_demo(work / "demo").network,
        "bayreuth": lambda: sd / "osm-north-bayreuth" / "north-bayreuth.osm.bz2",
        "goettingen": lambda: _converted(
            sd / "osm-goettingen-omt" / "goettingen_omt_z16_derived.gpkg", work / "goettingen.osm"
        ),
        "heidelberg": lambda: sd / "heidelberg-ors" / "heidelberg.test.pbf",
    }


def _converted(gpkg: Path, out: Path) -> Path:
    if not out.exists():
        lines_to_osm(gpkg, out)
    return out


def bbox_points(osm: Path, n: int, seed: int) -> np.ndarray:
    """n random points inside the central half of the file's node bounding box."""
    import osmium

    lons: list[float] = []
    lats: list[float] = []
    for i, node in enumerate(osmium.FileProcessor(str(osm), osmium.osm.NODE)):
        if i % 7 == 0:
            lons.append(node.location.lon)
            lats.append(node.location.lat)
    lo, la = np.array(lons), np.array(lats)
    x0, x1 = np.quantile(lo, [0.25, 0.75])
    y0, y1 = np.quantile(la, [0.25, 0.75])
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def measure(
    osm: Path, mode: str, algorithm: str, pts: np.ndarray, repeats: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        net = prepare_network(osm, mode, cache_dir=cache, algorithm=algorithm)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        net2 = prepare_network(osm, mode, cache_dir=cache, algorithm=algorithm)
        router = Router(net2)
        reload_s = time.perf_counter() - t0
        assert net2.from_cache
        del net
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            router.table(pts, pts)
            times.append(time.perf_counter() - t0)
    return {"prep": cold, "reload": reload_s, "query": statistics.median(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--modes", nargs="*", default=["car", "bike", "walk"])
    parser.add_argument("--queries", type=int, default=500, help="N for an N × N table")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        available = dataset_paths(work)
        names = args.datasets or list(available)
        print(f"# CH vs MLD, {args.queries} × {args.queries} table, median of {args.repeats}")
        print(
            "| data set | mode | CH prep s | MLD prep s | CH/MLD prep "
            "| CH query s | MLD query s | MLD/CH query | reload s |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in names:
            try:
                osm = available[name]()
            except (OSError, ValueError) as exc:
                print(f"| {name} | skipped: {exc} |")
                continue
            if not osm.exists():
                print(f"| {name} | skipped: {osm} not found |")
                continue
            pts = bbox_points(osm, args.queries, seed=1)
            for mode in args.modes:
                ch = measure(osm, mode, "CH", pts, args.repeats)
                mld = measure(osm, mode, "MLD", pts, args.repeats)
                print(
                    f"| {name} | {mode} | {ch['prep']:.1f} | {mld['prep']:.1f} | "
                    f"{ch['prep'] / mld['prep']:.1f}× | {ch['query']:.3f} | {mld['query']:.3f} | "
                    f"{mld['query'] / ch['query']:.1f}× | {max(ch['reload'], mld['reload']):.2f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
