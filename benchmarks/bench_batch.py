"""The Land batch on Dask: regions per minute with 1 and 2 workers, memory per worker.

Why: issue #15 runs every Kreis of a Land (NRW: 53, Germany: about 400) as
one Dask task each.  This script generates the fictional four-Kreise Land
(:func:`erreichbarkeit.demo.land.generate_land`, default: four county-sized
``LANDKREIS`` Kreise of about 2 000 km² each, 250 m grid), clips it once and
runs the whole batch cold (empty output folder and network cache) on a
``LocalCluster`` of 1 and of 2 worker processes, as ``erreichbarkeit batch``
does (1 worker: the task's own pools use the cap of 2; 2 workers: 1 each).

It prints, per worker count: the batch's wall time (cluster start included),
regions per minute, the mean seconds per region task, the speed-up over one
worker (same run), and the peak memory per worker process (its own RSS and
its largest child's, the OSRM preprocessing tools).  Then an estimate for
NRW and Germany on a cluster of N workers, *from the per-region cost
measured here*: ``ceil(R / N) × t_task`` with ``t_task`` the mean task time
of the 2-worker run (one task per worker process, one-worker pools, as on a
cluster).  The fictional Kreise have far sparser roads than real ones, so
the README scales the estimate with the real-data cost measured by
``bench_pipeline.py``/``bench_county.py``; the script itself prints only
what it measured.  The machine may be shared: compare the ratios.

Usage::

    .venv/bin/python benchmarks/bench_batch.py                      # LANDKREIS, 250 m grid
    .venv/bin/python benchmarks/bench_batch.py --preset beispielkreis --no-grid --quick
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from erreichbarkeit.batch import BatchOptions, clip_regions, kreis_names, plan_regions, run_batch
from erreichbarkeit.demo.land import generate_land
from erreichbarkeit.demo.layout import PRESETS
from erreichbarkeit.prepare.boundaries import load_gemeinden

#: Regions of the estimate: NRW's Kreise and kreisfreie Städte, Germany's (2021 on).
REGIONS = {"NRW": 53, "Deutschland": 400}


def _run(clipped: list, out: Path, cache: Path, n: int) -> dict[str, float]:  # type: ignore[type-arg]
    """The batch as ``erreichbarkeit batch`` runs it: its own LocalCluster of ``n`` workers."""
    report = run_batch(clipped, out_dir=out, cache_dir=cache, n_workers=n)
    done = [o for o in report.outcomes if o.status == "fertig"]
    if len(done) != len(clipped):
        failed = [(o.region_id, o.message_de) for o in report.outcomes if o.status != "fertig"]
        sys.exit(f"regions failed: {failed}")
    return {
        "workers": report.workers,
        "inner": report.inner_workers,
        "wall_s": report.seconds,
        "per_min": 60 * len(done) / report.seconds,
        "task_s": statistics.mean(o.seconds for o in done),
        "rss_mib": max(p[0] for p in report.worker_peak_mib),
        "child_mib": max(p[1] for p in report.worker_peak_mib),
    }


def _table(rows: list[dict[str, float]], n_regions: int) -> None:
    base = rows[0]["wall_s"]
    print(f"\n{n_regions} regions, cold (empty cache) each time\n")
    print("| workers | pool per task | batch wall s (with cluster start) | regions/min "
          "| mean task s | speed-up | peak RSS per worker MiB | OSRM tools MiB |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['workers']:.0f} | {r['inner']:.0f} | {r['wall_s']:.1f} "
              f"| {r['per_min']:.2f} | {r['task_s']:.1f} | {base / r['wall_s']:.2f}× "
              f"| {r['rss_mib']:.0f} | {r['child_mib']:.0f} |")  # fmt: skip


def _estimate(task_s: float, workers: list[int]) -> None:
    print(f"\nEstimate from the measured mean task time {task_s:.1f} s per region "
          "(one task per worker process):\n")  # fmt: skip
    print("| Land | regions | " + " | ".join(f"{n} workers" for n in workers) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in workers) + " |")
    for land, r in REGIONS.items():
        cells = [f"{math.ceil(r / n) * task_s / 60:.1f} min" for n in workers]
        print(f"| {land} | {r} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="landkreis")
    parser.add_argument("--grid", type=float, default=250.0)
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="one worker count (2) only")
    args = parser.parse_args(argv)
    workers = [2] if args.quick else args.workers
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_dir:
        tmp = Path(tmp_dir)
        t0 = time.perf_counter()
        land = generate_land(tmp / "land", preset=PRESETS[args.preset])
        print(f"generated the fictional Land ({args.preset}) in {time.perf_counter() - t0:.1f} s")
        rows = []
        for n in workers:
            out = tmp / f"out-{n}"
            options = BatchOptions(
                extract=land.extract, gemeinden=land.boundaries, out_dir=out,
                grid_cell_m=None if args.no_grid else args.grid,
            )  # fmt: skip
            regions = plan_regions(load_gemeinden(land.boundaries), land="99",
                                   names=kreis_names(land.names))  # fmt: skip
            t0 = time.perf_counter()
            clipped = clip_regions(regions, options)
            print(f"clipped {len(clipped)} Kreise in one pass in {time.perf_counter() - t0:.1f} s")
            rows.append(_run(clipped, out, tmp / f"cache-{n}", n))
        _table(rows, len(land.kreise))
        _estimate(rows[-1]["task_s"], [1, 2, 8, 32])
    return 0


if __name__ == "__main__":
    sys.exit(main())
