"""A county-sized analysis with the grid surface: cold and warm, per step, grid per mode.

Why: issue #13 asks for a grid step under 10 s warm and a first analysis
(empty cache) under 2 minutes on an ordinary two-core machine.  For each data
set :func:`erreichbarkeit.pipeline.run` runs in a fresh child process:

1. cold: empty cache (OSRM preprocessing included);
2. warm: the same cache again (the optimised grid: CH networks for the grid
   where cached, durations-only tables, only cells that snap, worker processes);
3. reference: the same cache with ``ERREICHBARKEIT_GRID_REFERENCE=1``, the
   unoptimised grid of the same commit (the run's own algorithms, one
   process, duration and distance tables, every cell routed);
4. warm again (a second warm sample; the table shows the faster of the two).

It prints the seconds of ``Results.timings`` per step, the grid routing
split per mode (from the progress reports of the step), the peak RSS per
child, the ratio reference/optimised measured in the same invocation, and
whether the grid minutes of the optimised and the reference run are
identical.  The machine may be shared: compare the ratios, not the seconds.

Data sets
---------
``heidelberg``
    ``heidelberg-ors/heidelberg.test.pbf`` (221 k nodes; 98.8 % in 25 × 23 km) with 600 random
    villages and 349 random offers in 9 categories (the extract has neither
    places nor POIs), the Gemeinden of ``gemeinden-de``, the Zensus 2011 1 km
    grid (``population/zensus2011_1km_de.parquet``) and 250 m cells.
``landkreis``
    The county-sized fictional Musterkreis of the demo generator
    (``erreichbarkeit.demo.LANDKREIS``, ≈2 000 km², ~250 villages, ~280
    offers, buses, a population grid).
``demo``
    The small Beispielkreis (``--quick``: the smoke test).

Usage::

    .venv/bin/python benchmarks/bench_county.py                      # heidelberg, landkreis
    .venv/bin/python benchmarks/bench_county.py --datasets heidelberg
    .venv/bin/python benchmarks/bench_county.py --quick               # demo, car + walk, in-process
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from _data import DatasetMissingError, Workspace, _need, fmt_s, fmt_x, random_points, rss_mb

REFERENCE_ENV = "ERREICHBARKEIT_GRID_REFERENCE"
GRID_STEP = "Raster"
GRID_PROGRESS = "Reisezeiten Raster"
_ZENSUS = "population/zensus2011_1km_de.parquet"
_GEMEINDEN = "gemeinden-de/gemeinden_de_zensus2022_simplified.gpkg"
_HEIDELBERG = "heidelberg-ors/heidelberg.test.pbf"
#: Nine categories of the default table (German labels as a planner writes them).
_CATEGORIES = (
    "Kita", "Kinderarzt", "Familienzentrum", "Schule", "Hebamme", "Grundschule",
    "Beratung", "Jugendzentrum", "Bibliothek",
)  # fmt: skip


def _heidelberg(work: Path, cache: Path) -> Any:
    """Settings of the county-sized Heidelberg case (files written once into ``work``)."""
    from erreichbarkeit.config import Settings

    osm = _need(_HEIDELBERG)
    vfile = work / "heidelberg-county-orte.geojson"
    ofile = work / "heidelberg-county-angebote.csv"
    if not vfile.exists():
        v = random_points(osm, 600, seed=21, prefix="ort")
        v["name"] = [f"Ort {i + 1}" for i in range(len(v))]
        v.to_file(vfile, driver="GeoJSON")
        x0, y0, x1, y1 = v.total_bounds
        rng = np.random.default_rng(22)
        rows = [
            {
                "Name": f"Angebot {i + 1}",
                "Kategorie": _CATEGORIES[i % len(_CATEGORIES)],
                "Breitengrad": f"{rng.uniform(y0, y1):.6f}",
                "Längengrad": f"{rng.uniform(x0, x1):.6f}",
            }
            for i in range(349)
        ]
        pd.DataFrame(rows).to_csv(ofile, sep=";", index=False, encoding="utf-8")
    return Settings(
        name="heidelberg-county",
        network=osm,
        villages=vfile,
        offers=(str(ofile),),
        boundaries=_need(_GEMEINDEN),
        population_grid=_need(_ZENSUS),
        grid_cell_m=250,
        cache_dir=cache,
        out_dir=work / "out",
    )


def _landkreis(work: Path, cache: Path) -> Any:
    """The county-sized fictional Musterkreis (``LANDKREIS`` layout of the demo generator).

    About 2 000 km², 20 Gemeinden, ~250 villages, ~280 offers, buses; its
    region file sets the grid (``Workspace.settings("landkreis")``).
    """
    ws = Workspace(work)
    if not hasattr(ws, "generated"):  # an older benchmarks/_data.py
        msg = "benchmarks/_data.py has no county-sized Beispielkreis (landkreis)"
        raise DatasetMissingError(msg)
    return ws.settings("landkreis", cache_dir=cache, out_dir=work / "out")


#: ``--quick``: the road modes the smoke test routes (Bus & Bahn has its own budget).
QUICK_MODES = ("car", "walk")


def settings_for(name: str, work: Path, cache: Path) -> Any:
    """Settings of a data set (``demo``, ``heidelberg``, ``landkreis``).

    ``BENCH_COUNTY_MODES`` (comma-separated) restricts the modes (``--quick``).
    """
    modes = os.environ.get("BENCH_COUNTY_MODES")
    settings = _settings_for(name, work, cache)
    return settings.replace(modes=tuple(modes.split(","))) if modes else settings


def _settings_for(name: str, work: Path, cache: Path) -> Any:
    if name == "demo":
        return Workspace(work).settings("demo", cache_dir=cache, out_dir=work / "out")
    if name == "heidelberg":
        return _heidelberg(work, cache)
    if name == "landkreis":
        return _landkreis(work, cache)
    msg = f"unknown data set {name!r}"
    raise DatasetMissingError(msg)


class _GridClock:
    """Progress callback: seconds of the grid routing per mode (chunks are reported in order)."""

    def __init__(self, modes: tuple[str, ...]) -> None:
        self.modes = modes
        self.seconds = dict.fromkeys(modes, 0.0)
        self.last: float | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if step != GRID_PROGRESS:
            self.last = now
            return
        if done == 0 or self.last is None:
            self.last = now
            return
        per_mode = max(total // len(self.modes), 1)
        mode = self.modes[min((done - 1) // per_mode, len(self.modes) - 1)]
        self.seconds[mode] += now - self.last
        self.last = now


def _all_cells_grid(settings: Any, results: Any, minutes_out: Path | None) -> dict[str, Any]:
    """The grid routing at the issue's scale: every 250 m cell of the Gemeinden.

    The pipeline keeps only cells with inhabitants and residential-type roads
    within the network's extent (3 937 here); issue #13 measured every cell
    of the 49 Gemeinden the extract touches (17 285).  Same routers, policy
    and switches as the run.
    """
    from erreichbarkeit.analysis.grid import build_grid, grid_travel_times
    from erreichbarkeit.config.routing import GRID_REFERENCE_ENV, grid_ch_policy
    from erreichbarkeit.network.grid_networks import grid_routers
    from erreichbarkeit.network.routing import prepare_router

    data = results.inputs
    cells = build_grid(data.boundaries, cell_m=250)
    modes = tuple(settings.road_modes)
    own = {m: prepare_router(settings, data.network_osm, m) for m in modes}
    routers, _ = grid_routers(
        settings, data.network_osm, own, policy=grid_ch_policy(),
        reference=os.environ.get(GRID_REFERENCE_ENV) == "1",
    )  # fmt: skip
    clock = _GridClock(modes)
    clock.last = t0 = time.perf_counter()
    out = grid_travel_times(
        cells, data.offers, routers, categories=list(results.categories), modes=list(modes),
        cutoff_minutes=settings.routing.cutoff_minutes,
        max_snap_m=settings.routing.max_snap_m, progress=clock,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    if minutes_out is not None:
        cols = sorted(c for c in out.columns if str(c).endswith("_min"))
        path = minutes_out.with_name(minutes_out.stem + "-all.parquet")
        pd.DataFrame(out[cols]).reset_index(drop=True).to_parquet(path)
    return {"seconds": seconds, "modes": clock.seconds, "cells": len(cells)}


def child(name: str, work: Path, cache: Path, minutes_out: Path | None) -> dict[str, Any]:
    """One pipeline run; returns timings, grid seconds per mode and peak RSS (JSON-able)."""
    from erreichbarkeit.pipeline import run

    settings = settings_for(name, work, cache)
    clock = _GridClock(tuple(settings.modes))
    t0 = time.perf_counter()
    results = run(settings, progress=clock)
    total = time.perf_counter() - t0
    timings = dict(results.timings)
    cells = 0
    if results.grid is not None:
        timings.update({f"{GRID_STEP}: {k}": v for k, v in results.grid.timings.items()})
        cols = sorted(c for c in results.grid.cells.columns if str(c).endswith("_min"))
        cells = len(results.grid.cells)
        if minutes_out is not None:
            pd.DataFrame(results.grid.cells[cols]).reset_index(drop=True).to_parquet(minutes_out)
    if name == "heidelberg":
        big = _all_cells_grid(settings, results, minutes_out)
        timings["grid routing, all cells of the Gemeinden"] = big.pop("seconds")
        modes = {f"{m} (all cells)": v for m, v in big.pop("modes").items()}
        clock.seconds.update(modes)
        cells_all = big["cells"]
    else:
        cells_all = 0
    me, kids = rss_mb()
    return {
        "cells_all": cells_all,
        "timings": timings,
        "total": total,
        "grid_modes": clock.seconds,
        "rss_self": me,
        "rss_children": kids,
        "cells": cells,
        "villages": len(results.villages),
        "offers": len(results.offers),
    }


def _spawn(
    name: str, work: Path, cache: Path, minutes_out: Path, *, reference: bool, in_process: bool
) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop(REFERENCE_ENV, None)
    if reference:
        env[REFERENCE_ENV] = "1"
    if in_process:  # smoke test: same process, the switch through the environment
        old = os.environ.get(REFERENCE_ENV)
        os.environ.update({REFERENCE_ENV: "1"} if reference else {})
        if not reference:
            os.environ.pop(REFERENCE_ENV, None)
        try:
            return child(name, work, cache, minutes_out)
        finally:
            os.environ.pop(REFERENCE_ENV, None)
            if old is not None:
                os.environ[REFERENCE_ENV] = old
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    cmd += ["--work", str(work), "--cache", str(cache), "--minutes", str(minutes_out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        msg = f"child failed: {tail}"
        raise RuntimeError(msg)
    answer: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return answer


def _same_minutes(a: Path, b: Path) -> str:
    """``identical`` or the largest difference of two runs' grid minutes."""
    if not (a.exists() and b.exists()):
        return "–"
    x, y = pd.read_parquet(a), pd.read_parquet(b)
    if list(x.columns) != list(y.columns) or len(x) != len(y):
        return "different columns"
    xa, ya = x.to_numpy(float), y.to_numpy(float)
    if np.array_equal(xa, ya, equal_nan=True):
        return "identical"
    both = np.isfinite(xa) & np.isfinite(ya)
    nan_diff = int((np.isnan(xa) != np.isnan(ya)).sum())
    worst = float(np.max(np.abs(xa - ya)[both])) if both.any() else 0.0
    return f"max diff {worst:.3g} min, {nan_diff} NaN differ"


def _finish_ch(name: str, work: Path, cache: Path) -> dict[str, float]:
    """Wait for (or do) the CH preparation the cold run started in the background.

    ``prepare_network`` waits on the entry's lock while the background
    process builds it, and returns at once when it is there; the seconds
    are wall-clock seconds after the cold run.
    """
    from erreichbarkeit.network.routing import prepare_network
    from erreichbarkeit.pipeline import load_inputs

    settings = settings_for(name, work, cache)
    osm = load_inputs(settings).network_osm
    out = {}
    for mode in settings.road_modes:
        if settings.routing.algorithm.get(mode) == "CH":
            continue
        t0 = time.perf_counter()
        prepare_network(
            osm, mode, cache_dir=cache, algorithm="CH",
            speeds=settings.routing.speeds.get(mode), maxspeed=settings.routing.maxspeed.get(mode),
            ferry_wait_min=settings.routing.ferry_wait_min,
        )  # fmt: skip
        out[f"{mode}: waited after the cold run"] = time.perf_counter() - t0
    log = cache / "osrm" / "ch-hintergrund.log"
    text = log.read_text("utf-8", errors="replace") if log.exists() else ""
    for mode, sec in re.findall(r"CH (\w+) ready: .* \(([\d.]+) s\)", text):
        out[f"{mode}: preparation in the background"] = float(sec)
    return out


def report(
    name: str, runs: dict[str, dict[str, Any]], same: str, ch_seconds: dict[str, float]
) -> None:
    """Print the rows of one data set."""
    cold, ref = runs["cold"], runs["reference"]
    warm = min(runs["warm"], runs["warm2"], key=lambda r: r["timings"].get(GRID_STEP, 0.0))
    steps = list(dict.fromkeys([*cold["timings"], *warm["timings"], *ref["timings"]]))
    for step in steps:
        c, w, r = (x["timings"].get(step, float("nan")) for x in (cold, warm, ref))
        ratio = fmt_x(r / w) if w else "–"
        print(f"| {name} | {step} | {fmt_s(c)} | {fmt_s(w)} | {fmt_s(r)} | {ratio} |")
    for mode in warm["grid_modes"]:
        c, w, r = (x["grid_modes"].get(mode, float("nan")) for x in (cold, warm, ref))
        ratio = fmt_x(r / w) if w else "–"
        print(f"| {name} | grid routing {mode} | {fmt_s(c)} | {fmt_s(w)} | {fmt_s(r)} | {ratio} |")
    print(
        f"| {name} | **total** ({cold['villages']} villages, {cold['offers']} offers, "
        f"{cold['cells']:,} cells; all-cells grid {cold['cells_all']:,}) | "
        f"{fmt_s(cold['total'])} | {fmt_s(warm['total'])} | "
        f"{fmt_s(ref['total'])} | {fmt_x(ref['total'] / warm['total'])} |"
    )
    for mode, sec in ch_seconds.items():
        print(f"| {name} | CH {mode} (grid network) | {fmt_s(sec)} | | | |")
    rss = " / ".join(f"{runs[k]['rss_self']:.0f}" for k in ("cold", "warm", "reference"))
    print(
        f"| {name} | peak RSS MiB cold / warm / reference | {rss} | OSRM preprocessing "
        f"{cold['rss_children']:.0f} | grid minutes optimised vs reference: {same} | |",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None, help="heidelberg, landkreis, demo")
    parser.add_argument(
        "--quick", action="store_true", help="demo, car and walk only, in-process (smoke test)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--minutes", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(child(args.child, args.work, args.cache, args.minutes)))
        return 0
    names = args.datasets or (["demo"] if args.quick else ["heidelberg", "landkreis"])
    old_modes = os.environ.pop("BENCH_COUNTY_MODES", None)
    if args.quick:
        os.environ["BENCH_COUNTY_MODES"] = ",".join(QUICK_MODES)
    try:
        _run_all(names, quick=args.quick)
    finally:
        os.environ.pop("BENCH_COUNTY_MODES", None)
        if old_modes is not None:
            os.environ["BENCH_COUNTY_MODES"] = old_modes
    return 0


def _run_all(names: list[str], *, quick: bool) -> None:
    """Every data set: cold, CH, warm, reference, warm again; print its rows."""
    print(
        "# pipeline.run with grid: cold cache, warm (optimised grid), reference (unoptimised "
        "grid, same commit, warm cache); ratio = reference / warm"
    )
    print("| data set | step | cold s | warm s | reference s | reference/warm |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        for name in names:
            cache = work / f"cache-{name}"
            try:
                settings_for(name, work, cache)  # data present?
                runs = {}
                for phase in ("cold", "ch", "warm", "reference", "warm2"):
                    if phase == "ch":
                        ch_seconds = _finish_ch(name, work, cache)
                        continue
                    out = work / f"{name}-{phase}.parquet"
                    runs[phase] = _spawn(
                        name, work, cache, out, reference=phase == "reference",
                        in_process=quick,
                    )  # fmt: skip
            except DatasetMissingError as exc:
                print(f"| {name} | skipped: {exc} | | | | |", flush=True)
                continue
            except RuntimeError as exc:
                print(f"| {name} | failed: {exc} | | | | |", flush=True)
                continue
            same = _same_minutes(work / f"{name}-warm.parquet", work / f"{name}-reference.parquet")
            if (work / f"{name}-warm-all.parquet").exists():
                same += "; all cells: " + _same_minutes(
                    work / f"{name}-warm-all.parquet", work / f"{name}-reference-all.parquet"
                )
            report(name, runs, same, ch_seconds)


if __name__ == "__main__":
    sys.exit(main())
