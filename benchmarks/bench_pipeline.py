"""The whole analysis per step: seconds and peak memory, cold and warm cache.

Why: planners run the command line or the dashboard on ordinary office
machines; this shows where the time and memory of one analysis go.  For each
data set :func:`erreichbarkeit.pipeline.run` and
:func:`erreichbarkeit.report.outputs.export_results` run in a fresh child process
(so peak-RSS figures belong to that run alone):

1. cold: empty cache (GIS conversion and OSRM preprocessing included);
2. warm: the same cache again (prepared networks reloaded);
3. warm again with :mod:`tracemalloc` on, for the Python peak per step
   (tracemalloc slows allocation-heavy code, so its seconds are not used).

Per step it prints the seconds of ``Results.timings`` (cold, warm, warm/cold
ratio of the same run) and the Python peak (tracemalloc, attributed to the
step the pipeline's progress reports were in).  Per data set it prints the
peak RSS of the Python process (``ru_maxrss`` of the child) and of the OSRM
preprocessing subprocesses (``RUSAGE_CHILDREN`` of the cold child).

The grid surface (population grid, ``Settings.grid_cell_m``) is not part of
the pipeline yet: its row reads the ``GRID_STEP_KEYS`` timings of
``Results.timings`` once the pipeline reports one, and says "not in
pipeline yet" until then — no number is made up.

Usage::

    .venv/bin/python benchmarks/bench_pipeline.py      # demo, bayreuth, goettingen, heidelberg
    .venv/bin/python benchmarks/bench_pipeline.py --datasets goettingen
    .venv/bin/python benchmarks/bench_pipeline.py --quick --datasets demo   # smoke test

Heidelberg has neither places nor POIs: 300 random villages and 400 random
offers (5 categories) in the central half of the network are written as
files and used like a planner's own lists.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from erreichbarkeit.config import MODE_LABELS

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import BASE_DATASETS, DatasetMissingError, Workspace, fmt_s, fmt_x, rss_mb

#: ``Results.timings`` keys a grid-surface step will report under (hook).
GRID_STEP_KEYS = ("Rasterfläche", "Raster", "grid")
EXPORT_STEP = "Export"


class _StepMemory:
    """Progress callback that attributes the tracemalloc peak to pipeline steps."""

    def __init__(self) -> None:
        self.current = "Eingabedaten lesen"
        self.peaks: dict[str, float] = {}

    def _flush(self) -> None:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        self.peaks[self.current] = max(self.peaks.get(self.current, 0.0), peak)
        tracemalloc.reset_peak()

    def __call__(self, step: str, done: int, total: int) -> None:
        self._flush()
        if step.startswith("Straßennetz vorbereiten"):  # "… (Auto)": the timing's "… (car)"
            label = step[len("Straßennetz vorbereiten") :].strip(" ()")
            mode = next((m for m, de in MODE_LABELS.items() if de == label), label)
            self.current = f"Netz vorbereiten ({mode})"
        elif step == "Reisezeiten berechnen":
            # the indicators follow the last report of this step
            self.current = "Kennzahlen" if done >= total else step
        elif step != "fertig":
            self.current = "Eingabedaten lesen"

    def finish(self, step: str) -> None:
        """Close the running step and start ``step``."""
        self._flush()
        self.current = step


def child(
    name: str, work: Path, cache: Path, *, trace: bool, modes: list[str] | None = None
) -> dict[str, Any]:
    """One pipeline run + export; returns timings and memory (JSON-able)."""
    from erreichbarkeit.pipeline import run
    from erreichbarkeit.report.outputs import export_results

    ws = Workspace(work)
    out = work / f"out-{name}"
    settings = ws.settings(name, cache_dir=cache, out_dir=out)
    if modes:
        settings = settings.replace(modes=tuple(modes))
    memory = _StepMemory()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    results = run(settings, progress=memory if trace else None)
    if trace:
        memory.finish(EXPORT_STEP)
    t1 = time.perf_counter()
    export_results(results, out)
    export_s = time.perf_counter() - t1
    if trace:
        memory.finish("-")
        tracemalloc.stop()
    timings = dict(results.timings)
    timings[EXPORT_STEP] = export_s
    me, kids = rss_mb()
    return {
        "timings": timings,
        "total": time.perf_counter() - t0,
        "peaks": memory.peaks if trace else {},
        "rss_self": me,
        "rss_children": kids,
        "villages": len(results.villages),
        "offers": len(results.offers),
        "pairs": len(results.travel_times),
    }


def _spawn(
    name: str, work: Path, cache: Path, *, trace: bool, modes: list[str] | None
) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    cmd += ["--work", str(work), "--cache", str(cache)] + (["--trace"] if trace else [])
    cmd += ["--modes", *modes] if modes else []
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        msg = f"child failed: {tail}"
        raise RuntimeError(msg)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _grid_key(timings: dict[str, float]) -> str | None:
    for key in timings:
        if any(k.lower() in key.lower() for k in GRID_STEP_KEYS):
            return key
    return None


def _grid(timings: dict[str, float]) -> float | None:
    for key, value in timings.items():
        if any(k.lower() in key.lower() for k in GRID_STEP_KEYS):
            return value
    return None


def report(name: str, cold: dict[str, Any], warm: dict[str, Any], mem: dict[str, Any]) -> None:
    """Print the rows of one data set."""
    ct, wt = cold["timings"], warm["timings"]
    steps = [k for k in ct if k != EXPORT_STEP and _grid({k: 0}) is None]
    for step in [*steps, "grid surface", EXPORT_STEP]:
        if step == "grid surface":
            c, w = _grid(ct), _grid(wt)
            if c is None or w is None:
                print(f"| {name} | grid surface (hook) | not in pipeline yet | | | |")
                continue
            label = f"grid surface ({_grid_key(ct)})"
        else:
            label = step
            c, w = ct.get(step, float("nan")), wt.get(step, float("nan"))
        peak = mem["peaks"].get(step)
        print(
            f"| {name} | {label} | {fmt_s(c)} | {fmt_s(w)} | {fmt_x(w / c) if c else '–'} | "
            f"{f'{peak:.0f}' if peak is not None else '–'} |"
        )
    rss = max(cold["rss_self"], warm["rss_self"])
    print(
        f"| {name} | **total** ({cold['villages']} villages × {cold['offers']} offers, "
        f"{cold['pairs']:,} pairs) | {fmt_s(cold['total'])} | {fmt_s(warm['total'])} | "
        f"{fmt_x(warm['total'] / cold['total'])} | RSS {rss:.0f} MiB; "
        f"OSRM preprocessing {cold['rss_children']:.0f} MiB |",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None, help=", ".join(BASE_DATASETS))
    parser.add_argument("--modes", nargs="*", default=None, help="default: the region's")
    parser.add_argument("--in-process", action="store_true", help="no child processes")
    parser.add_argument(
        "--quick", action="store_true", help="in-process, car only, no second warm run (smoke test)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import logging

        logging.disable(logging.WARNING)
        result = child(args.child, args.work, args.cache, trace=args.trace, modes=args.modes)
        print(json.dumps(result))
        return 0
    in_process = args.in_process or args.quick
    if args.quick:
        args.modes = args.modes or ["car"]
    # cold, warm, warm with tracemalloc (quick: the warm run is the traced one)
    traces = (False, True) if args.quick else (False, False, True)
    names = args.datasets or list(BASE_DATASETS)
    print(
        "# pipeline.run + export per step: cold cache, warm cache; "
        "Python peak = tracemalloc (warm run)"
        + ("; in-process, so RSS is cumulative" if in_process else "")
    )
    print("| data set | step | cold s | warm s | warm/cold | Python heap peak MiB |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        for name in names:
            cache = work / f"cache-{name}"
            try:
                Workspace(work).settings(name, cache_dir=cache)  # data present?
                if in_process:
                    runs = [child(name, work, cache, trace=t, modes=args.modes) for t in traces]
                else:
                    runs = [_spawn(name, work, cache, trace=t, modes=args.modes) for t in traces]
                if len(runs) == 2:
                    runs.append(runs[1])
            except DatasetMissingError as exc:
                print(f"| {name} | skipped: {exc} | | | | |", flush=True)
                continue
            except RuntimeError as exc:  # a child process failed: report, go on
                print(f"| {name} | failed: {exc} | | | | |", flush=True)
                continue
            report(name, *runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
