"""Bus & Bahn (mode ``pt``) on the Heidelberg data: speed, baseline, cross-check.

On ``heidelberg-ors/heidelberg.test.pbf`` (roads) and ``vrn_gtfs_cut.zip``
(VRN cut 2022, reference Tuesday 2022-07-05) this script

1. reads and checks the feed (``load_feeds``) and loads the timetable into
   the pynigiri workers (``open_transit_router``) — both timed;
2. (a) the nearest offer of each of the 9 categories for every village by
   Bus & Bahn (``TransitRouter.nearest_by_category``, one query per stop and
   category) — target < 10 s;
3. (b) the per-pair minutes the product needs
   (``TransitRouter.detailed_table`` with the offers' categories, i.e. the
   nearest ``candidates`` offers per category and village) — target < 30 s;
4. (c) baselines measured in the same run: *all pairs* (``detailed_table``
   without categories: no candidate limit) on a sample of villages, and *one
   query per pair* (a ``detailed_table`` call per village/offer pair) on a
   sample of pairs, both scaled linearly to all villages × offers; the ratio
   to (b) is printed.  The sample also checks the candidate limit: the share
   of village × category nearest minutes that (b) and the all-pairs run agree
   on;
5. (d) an independent cross-check against valhalla's multimodal router
   (``benchmarks/_valhalla_pt.py`` run under an interpreter with pyvalhalla:
   ``$ERREICHBARKEIT_VALHALLA_PYTHON`` or ``/tmp/vh/venv/bin/python``; else
   "skipped"): door-to-door minutes for one departure at 07:30 (ours:
   ``TransitRouter.round_trips`` point query, walking the whole way
   included; valhalla: ``min(multimodal, our walk)``, since valhalla has no
   walk-only fallback), on sample pairs whose ends and nearby stops lie
   within 300 m of the PBF's roads (the test PBF has no roads in Mannheim
   and other parts of the feed's area), 3/4 of them pairs where (b) rides.
   Median difference and Pearson r; the same for departures at 07:20 and
   07:40 and for the mean of the three (a single departure minute is
   sensitive to catching a tram by a few seconds of walking).

Villages and offers are random points in the central half of the PBF's node
extent (``_data.random_points``, seeds 21 and 22: Heidelberg city, served by
trams and buses); the offers are spread over the 9 built-in categories in
turn.  One departure window for every category: 07:00–09:00.

The VRN cut's ``block_id`` values are inconsistent (trips of one block
overlap in time on 2022-07-05), which makes nigiri chain trips into
impossible stay-seated journeys; both routers therefore run on a copy of the
feed with ``block_id`` blanked (written to the temporary folder).

Usage::

    .venv/bin/python benchmarks/bench_pt.py                  # 100 villages
    .venv/bin/python benchmarks/bench_pt.py --villages 200 --offers 450
    .venv/bin/python benchmarks/bench_pt.py --quick          # smoke test, no valhalla
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import fmt_s, fmt_x, lonlat, random_points, shared_data, stopwatch
from _valhalla_pt import shift_gtfs_dates

from erreichbarkeit.config import Settings
from erreichbarkeit.config.transit import TransitOptions
from erreichbarkeit.network.routing import prepare_router
from erreichbarkeit.network.transit.engine import transit_status
from erreichbarkeit.network.transit.router import TransitRouter
from erreichbarkeit.network.transit.setup import load_feeds, open_transit_router

DAY = dt.date(2022, 7, 5)
WINDOW = (7 * 60, 9 * 60)
DEPART = 7 * 60 + 30
#: Departures of the cross-check: 07:30 and 10 minutes either side (for the mean).
DEPARTS = (DEPART - 10, DEPART, DEPART + 10)
CATEGORIES = (
    "kita", "familienzentrum", "hebamme", "kinderarzt", "beratung", "jugendzentrum",
    "grundschule", "schule", "bibliothek",
)  # fmt: skip
#: Ends and their stops must snap within this distance of the PBF's roads (cross-check).
COVERED_M = 300.0
#: Valhalla's default walking limit to/from a stop; stops this close must be covered.
VALHALLA_WALK_M = 2145.0
VALHALLA_PYTHON = Path("/tmp/vh/venv/bin/python")
TARGET_NEAREST_S = 10.0
TARGET_TABLE_S = 30.0


@dataclass
class Run:
    """Inputs and measurements of one benchmark run."""

    router: TransitRouter
    villages: npt.NDArray[np.float64]
    offers: npt.NDArray[np.float64]
    cats: npt.NDArray[np.str_]
    clock: EngineClock
    seconds: dict[str, float] = field(default_factory=dict)
    engine: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# set-up


def blank_blocks(gtfs: Path, folder: Path) -> Path:
    """A copy of the feed with ``trips.txt`` ``block_id`` emptied, as a zip in ``folder``."""
    plain = shift_gtfs_dates(gtfs, folder / "gtfs-noblock", 0, drop_block_ids=True)
    out = folder / "vrn_gtfs_noblock.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for txt in sorted(plain.glob("*.txt")):
            zf.write(txt, txt.name)
    return out


def open_router(pbf: Path, gtfs: Path, work: Path, seconds: dict[str, float]) -> TransitRouter:
    """Walk router (OSRM, cold), feeds, timetable workers; timings into ``seconds``."""
    settings = Settings(
        name="heidelberg-pt",
        network=pbf,
        gtfs=(gtfs,),
        modes=("walk", "pt"),
        cache_dir=work / "cache",
        out_dir=work / "out",
        transit=TransitOptions(date=DAY, windows=dict.fromkeys(CATEGORIES, WINDOW)),
    )
    with stopwatch() as t:
        walk = prepare_router(settings, pbf, "walk")
    seconds["walk network (OSRM MLD, cold)"] = t[0]
    with stopwatch() as t:
        timetable = load_feeds(settings)
    seconds["read + check GTFS"] = t[0]
    with stopwatch() as t:
        router = open_transit_router(settings, walk, timetable)
    seconds["load timetable (workers)"] = t[0]
    return router


def make_points(pbf: Path, n_villages: int, n_offers: int) -> tuple[Any, Any, Any]:
    """Villages, offers (lon/lat arrays) and the offers' categories (fixed seeds)."""
    villages = lonlat(random_points(pbf, n_villages, seed=21, prefix="v"))
    offers = lonlat(random_points(pbf, n_offers, seed=22, prefix="o"))
    cats = np.array([CATEGORIES[k % len(CATEGORIES)] for k in range(n_offers)])
    return villages, offers, cats


# ---------------------------------------------------------------------------
# measuring


def with_offer_leg(router: TransitRouter, minutes: npt.NDArray[np.float64], snap_m: Any) -> Any:
    """Add the destinations' snapping legs and apply the cutoff (as ``nearest_by_category``)."""
    out = minutes + np.asarray(snap_m) / (router.access_kmh / 3.6) / 60.0
    out[~(out <= router.cutoff_minutes)] = np.nan
    return out


def nearest(minutes: npt.NDArray[np.float64], cats: npt.NDArray[np.str_]) -> Any:
    """Minutes to the nearest destination per category: array ``(origins, 9)``."""
    return np.column_stack([np.fmin.reduce(minutes[:, cats == c], axis=1) for c in CATEGORIES])


class EngineClock:
    """Seconds spent in the timetable engine's ``range_matrix`` (wraps the instance's method)."""

    def __init__(self, router: TransitRouter) -> None:
        self.seconds = 0.0
        engine = router.engine
        inner = engine.range_matrix

        def timed(*args: Any, **kwargs: Any) -> pd.DataFrame:
            with stopwatch() as t:
                result = inner(*args, **kwargs)
            self.seconds += t[0]
            return result

        engine.range_matrix = timed  # type: ignore[method-assign]

    def take(self) -> float:
        """Seconds since the last call."""
        value, self.seconds = self.seconds, 0.0
        return value


def measure_product(run: Run) -> tuple[Any, Any, pd.DataFrame]:
    """(a) nearest per category, (b) candidate-limited detailed table; both timed."""
    r, groups = run.router, {c: np.flatnonzero(run.cats == c) for c in CATEGORIES}
    clock = run.clock
    with stopwatch() as t:
        by_cat, _ = r.nearest_by_category(run.villages, run.offers, groups)
    run.seconds["(a) nearest_by_category"] = t[0]
    run.engine["(a) nearest_by_category"] = clock.take()
    with stopwatch() as t:
        table, details = r.detailed_table(run.villages, run.offers, categories=list(run.cats))
        minutes_b = with_offer_leg(r, table.seconds / 60.0, table.destination_snap_m)
        near_b = nearest(minutes_b, run.cats)
    run.seconds["(b) detailed_table (candidates)"] = t[0]
    run.engine["(b) detailed_table (candidates)"] = clock.take()
    near_a = np.column_stack([by_cat[c] for c in CATEGORIES])
    run.notes.append(
        f"(b) asked {len(details.pairs):,} of {len(run.villages) * len(run.offers):,} pairs "
        f"(candidates = {r.candidates} per category); Bus & Bahn faster than walking for "
        f"{int((~details.pairs['walk_only'].astype(bool)).sum()):,}; the nearest offer per "
        "category is the minimum over this table (included in the time)"
    )
    return near_a, near_b, details.pairs


def measure_baselines(run: Run, near_b: Any, n_sample: int, n_single: int) -> None:
    """(c) all pairs on a sample of villages and one query per pair, scaled to the full size."""
    r, n_v, n_o = run.router, len(run.villages), len(run.offers)
    sample = np.random.default_rng(5).choice(n_v, min(n_sample, n_v), replace=False)
    with stopwatch() as t:
        full, _ = r.detailed_table(run.villages[sample], run.offers)
    run.seconds["(c1) all pairs, sample"] = t[0]
    run.engine["(c1) all pairs, sample"] = run.clock.take()
    run.seconds["(c1) all pairs, scaled"] = t[0] * n_v / len(sample)
    near_full = nearest(with_offer_leg(r, full.seconds / 60.0, full.destination_snap_m), run.cats)
    same = np.isclose(near_full, near_b[sample], atol=0.01) | (
        np.isnan(near_full) & np.isnan(near_b[sample])
    )
    run.notes.append(
        f"(c1) {len(sample)} villages × {n_o} offers; nearest per category with candidates "
        f"= all pairs for {same.mean() * 100:.1f} % of {same.size} village × category cells"
    )
    rng = np.random.default_rng(6)
    pairs = list(zip(rng.integers(0, n_v, n_single), rng.integers(0, n_o, n_single), strict=True))
    with stopwatch() as t:
        for i, j in pairs:
            r.detailed_table(run.villages[i : i + 1], run.offers[j : j + 1])
    run.seconds["(c2) one query per pair, sample"] = t[0]
    run.engine["(c2) one query per pair, sample"] = run.clock.take()
    run.seconds["(c2) one query per pair, scaled"] = t[0] / len(pairs) * n_v * n_o
    run.notes.append(f"(c2) {len(pairs)} single-pair queries, scaled to {n_v * n_o:,} pairs")


# ---------------------------------------------------------------------------
# cross-check against valhalla


def valhalla_python() -> Path:
    """The interpreter meant to have pyvalhalla (``$ERREICHBARKEIT_VALHALLA_PYTHON`` or /tmp/vh)."""
    env = os.environ.get("ERREICHBARKEIT_VALHALLA_PYTHON", "").strip()
    return Path(env) if env else VALHALLA_PYTHON


def covered(router: TransitRouter, xy: npt.NDArray[np.float64], stop_snap: Any) -> Any:
    """Points within :data:`COVERED_M` of a road whose stops within walking range are too."""
    snap = np.asarray(router.walk.table(xy, xy[:1]).source_snap_m)
    stop_xy = router.stops[["lon", "lat"]].to_numpy(dtype=float)
    lat0 = float(np.mean(xy[:, 1]))
    scale = np.array([111_320.0 * np.cos(np.radians(lat0)), 110_540.0])
    tree = cKDTree(stop_xy * scale)
    near = tree.query_ball_point(xy * scale, r=VALHALLA_WALK_M)
    far = np.array([bool(len(n)) and bool((stop_snap[n] > COVERED_M).any()) for n in near])
    return (snap <= COVERED_M) & ~far


def sample_pairs(run: Run, pairs: pd.DataFrame, n: int) -> pd.DataFrame:
    """Cross-check pairs: covered ends, mostly pairs where Bus & Bahn beats walking."""
    r = run.router
    stop_xy = r.stops[["lon", "lat"]].to_numpy(dtype=float)
    stop_snap = np.asarray(r.walk.table(stop_xy, stop_xy[:1]).source_snap_m)
    ok_v = covered(r, run.villages, stop_snap)
    ok_o = covered(r, run.offers, stop_snap)
    o, d = pairs["origin"].to_numpy(dtype=int), pairs["destination"].to_numpy(dtype=int)
    good = pairs[ok_v[o] & ok_o[d]]
    pt = good[~good["walk_only"].astype(bool)]
    k = min(len(pt), n * 3 // 4)
    chosen = pt.sample(k, random_state=7) if k else pt
    rest = good.drop(chosen.index)
    chosen = pd.concat([chosen, rest.sample(min(len(rest), n - k), random_state=8)])
    run.notes.append(
        f"(d) covered: {int(ok_v.sum())} of {len(ok_v)} villages, {int(ok_o.sum())} of "
        f"{len(ok_o)} offers; {len(chosen)} pairs ({k} where (b) rides)"
    )
    out: pd.DataFrame = chosen[["origin", "destination"]].reset_index(drop=True)
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def ours_at(run: Run, pairs: pd.DataFrame) -> pd.DataFrame:
    """Our door-to-door minutes per departure of :data:`DEPARTS` and walking the whole way."""
    r = run.router
    trips = pd.concat([pairs.assign(start_min=d) for d in DEPARTS], ignore_index=True)
    with stopwatch() as t:
        res = r.round_trips(run.villages, run.offers, trips, stay_min=0.0)
    run.seconds[f"(d) our point queries ({len(DEPARTS)} departures)"] = t[0]
    walk = r.walk.table(run.villages, run.offers)
    per_min = r.access_kmh / 3.6 * 60.0
    i, j = pairs["origin"].to_numpy(dtype=int), pairs["destination"].to_numpy(dtype=int)
    walk_min = (
        walk.seconds[i, j] / 60.0
        + np.asarray(walk.source_snap_m)[i] / per_min
        + np.asarray(walk.destination_snap_m)[j] / per_min
    )
    minutes = (res["arrive_min"].to_numpy(dtype=float) - trips["start_min"].to_numpy()).reshape(
        len(DEPARTS), len(pairs)
    )
    columns = {f"ours_{_hhmm(d)}": minutes[k] for k, d in enumerate(DEPARTS)}
    return pairs.assign(walk=walk_min, **columns)


def run_valhalla(
    python: Path, run: Run, pairs: pd.DataFrame, paths: dict[str, Path], config: Path | None
) -> dict[str, npt.NDArray[np.float64]]:
    """Valhalla multimodal minutes per departure (NaN = no path); tiles built once, timed."""
    work = paths["work"]
    src = work / "vh-pairs.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["from_lon", "from_lat", "to_lon", "to_lat"])
        for i, j in pairs[["origin", "destination"]].itertuples(index=False):
            w.writerow([*run.villages[i], *run.offers[j]])
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    out: dict[str, npt.NDArray[np.float64]] = {}
    run.seconds["(d) valhalla routes"] = 0.0
    for depart in DEPARTS:
        target = work / f"vh-out-{depart}.csv"
        cmd = [str(python), str(Path(__file__).with_name("_valhalla_pt.py")),
               "--service-day", DAY.isoformat(), "--time", _hhmm(depart),
               "--pairs", str(src), "--out", str(target)]  # fmt: skip
        if config is not None:
            cmd += ["--config", str(config)]
        else:
            cmd += ["--gtfs", str(paths["gtfs"]), "--pbf", str(paths["pbf"]),
                    "--workdir", str(work / "valhalla"), "--drop-block-ids"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env,
                              timeout=1800)  # fmt: skip
        if done.returncode != 0:
            msg = f"valhalla failed ({done.returncode}): {done.stderr[-1500:]}"
            raise RuntimeError(msg)
        status = json.loads(done.stdout.strip().splitlines()[-1])
        if status.get("build_s"):
            run.seconds["(d) valhalla tile build"] = float(status["build_s"]["total"])
        run.seconds["(d) valhalla routes"] += float(status["route_s"])
        config = Path(status["config"])
        got = pd.read_csv(target)["valhalla_min"]
        out[_hhmm(depart)] = pd.to_numeric(got, errors="coerce").to_numpy(dtype=float)
    return out


def compare(vh: pd.Series, ours: pd.Series) -> dict[str, float]:
    """n, median (valhalla − ours), median |diff|, share within 2 min, Pearson r."""
    ok = vh.notna() & ours.notna()
    a, b = vh[ok].to_numpy(dtype=float), ours[ok].to_numpy(dtype=float)
    diff = a - b
    if len(diff) < 3:
        return dict.fromkeys(("n", "median", "median_abs", "within2", "r"), float("nan"))
    return {
        "n": float(len(diff)),
        "median": float(np.median(diff)),
        "median_abs": float(np.median(np.abs(diff))),
        "within2": float((np.abs(diff) <= 2.0).mean()),
        "r": float(np.corrcoef(a, b)[0, 1]),
    }


def _cross_rows(frame: pd.DataFrame) -> list[tuple[str, pd.Series, pd.Series]]:
    """(label, valhalla, ours) per compared set: each departure, the mean, the riding pairs."""
    main = _hhmm(DEPART)
    rides = (frame[f"ours_{main}"] < frame["walk"] - 0.01) | (
        frame[f"vh_raw_{main}"] < frame["walk"] - 0.01
    )
    rows = [
        (f"{main}, all sampled", frame[f"vh_{main}"], frame[f"ours_{main}"]),
        (f"{main}, either rides", frame[f"vh_{main}"][rides], frame[f"ours_{main}"][rides]),
    ]
    for d in DEPARTS:
        if d != DEPART:
            rows.append((f"{_hhmm(d)}, all sampled", frame[f"vh_{_hhmm(d)}"],
                         frame[f"ours_{_hhmm(d)}"]))  # fmt: skip
    keys = [_hhmm(d) for d in DEPARTS]
    vh_mean = frame[[f"vh_{k}" for k in keys]].mean(axis=1, skipna=False)
    ours_mean = frame[[f"ours_{k}" for k in keys]].mean(axis=1, skipna=False)
    rows.append((f"mean of {', '.join(keys)}", vh_mean, ours_mean))
    return rows  # fmt: skip


def cross_check(
    run: Run, pairs: pd.DataFrame, args: argparse.Namespace, paths: dict[str, Path]
) -> None:
    """(d) print the valhalla comparison (or why it was skipped)."""
    python = valhalla_python()
    if args.quick and args.valhalla_config is None:
        print("\n(d) valhalla cross-check skipped: --quick")
        return
    if not python.exists():
        print(f"\n(d) valhalla cross-check skipped: no pyvalhalla interpreter ({python} not "
              "found; set $ERREICHBARKEIT_VALHALLA_PYTHON)")  # fmt: skip
        return
    chosen = sample_pairs(run, pairs, args.cross_pairs)
    frame = ours_at(run, chosen)
    for key, vh in run_valhalla(python, run, chosen, paths, args.valhalla_config).items():
        frame[f"vh_raw_{key}"] = vh
        frame[f"vh_{key}"] = np.fmin(vh, frame["walk"])
    no_path = int(frame[f"vh_raw_{_hhmm(DEPART)}"].isna().sum())
    print(f"\n(d) valhalla multimodal vs ours, door to door, point queries on {DAY} "
          f"(valhalla: min(multimodal, our walk); at {_hhmm(DEPART)} {no_path} of "
          f"{len(frame)} pairs without a valhalla path)")  # fmt: skip
    print("| departure, pairs | n | median diff (valhalla − ours) min | median abs diff min "
          "| within 2 min | Pearson r |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, vh_col, ours_col in _cross_rows(frame):
        c = compare(vh_col, ours_col)
        print(f"| {name} | {c['n']:.0f} | {c['median']:+.1f} | {c['median_abs']:.1f} | "
              f"{c['within2'] * 100:.0f} % | {c['r']:.3f} |")  # fmt: skip
    if args.pairs_csv is not None:
        frame.to_csv(args.pairs_csv, index=False)


# ---------------------------------------------------------------------------
# output


def print_times(run: Run) -> None:
    """The table of absolute seconds and ratios."""
    s = run.seconds
    n_pairs = len(run.villages) * len(run.offers)
    print(f"\n# Bus & Bahn, heidelberg: {len(run.villages)} villages × {len(run.offers)} offers "
          f"({len(CATEGORIES)} categories), window {WINDOW[0] // 60:02d}:00–"
          f"{WINDOW[1] // 60:02d}:00 on {DAY}")  # fmt: skip
    print("| step | seconds | of which timetable s | ratio | note |")
    print("| --- | ---: | ---: | ---: | --- |")
    b = s["(b) detailed_table (candidates)"]
    a = s["(a) nearest_by_category"]
    rows = [
        ("walk network (OSRM MLD, cold)", "", ""),
        ("read + check GTFS", "", ""),
        ("load timetable (workers)", "", "2 workers, each loads the feed"),
        ("(a) nearest_by_category", "", _target(a, TARGET_NEAREST_S)),
        ("(b) detailed_table (candidates)", "1.0×", _target(b, TARGET_TABLE_S)),
        ("(c1) all pairs, sample", "", "no candidate limit"),
        ("(c1) all pairs, scaled", fmt_x(s["(c1) all pairs, scaled"] / b), "vs (b)"),
        ("(c2) one query per pair, sample", "", "detailed_table per pair"),
        ("(c2) one query per pair, scaled",
         fmt_x(s["(c2) one query per pair, scaled"] / b), f"vs (b), {n_pairs:,} pairs"),
    ]  # fmt: skip
    for key, ratio, note in rows:
        engine = run.engine.get(key)
        in_engine = "" if engine is None else fmt_s(engine)
        print(f"| {key} | {fmt_s(s[key])} | {in_engine} | {ratio} | {note} |")
    print(f"| (c2) scaled vs (a) | | | {fmt_x(s['(c2) one query per pair, scaled'] / a)} | |")
    for note in run.notes:
        print(f"* {note}")


def _target(seconds: float, target: float) -> str:
    return f"target < {target:.0f} s: {'met' if seconds < target else 'NOT met'}"


def print_accuracy(near_a: Any, near_b: Any) -> None:
    """How close the per-stop approximation (a) comes to (b)'s per-pair minutes."""
    both = np.isfinite(near_a) & np.isfinite(near_b)
    diff = (near_a - near_b)[both]
    one = np.isfinite(near_a) ^ np.isfinite(near_b)
    print(f"* (a) vs (b) nearest per village × category: {int(both.sum())} cells, median diff "
          f"{np.median(diff):+.2f} min, median abs {np.median(np.abs(diff)):.2f} min, "
          f"p90 abs {np.quantile(np.abs(diff), 0.9):.1f} min, reachable in only one: "
          f"{int(one.sum())}")  # fmt: skip


def _late_rows(run: Run, extra: dict[str, float]) -> None:
    if extra:
        print("| (d) step | seconds |\n| --- | ---: |")
        for key, value in extra.items():
            print(f"| {key} | {fmt_s(value)} |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 also when the data or the timetable worker are absent (skipped)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared-data", type=Path, default=None, help="default: _data.shared_data()")
    ap.add_argument("--villages", type=int, default=100)
    ap.add_argument("--offers", type=int, default=450, help="spread over the 9 categories")
    ap.add_argument("--sample", type=int, default=20, help="villages of the all-pairs baseline")
    ap.add_argument("--single", type=int, default=30, help="pairs of the one-query-per-pair run")
    ap.add_argument("--cross-pairs", type=int, default=40, help="pairs of the valhalla check")
    ap.add_argument("--valhalla-config", type=Path, default=None, help="reuse built tiles")
    ap.add_argument("--pairs-csv", type=Path, default=None, help="write the cross-check pairs")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no valhalla (smoke test)")
    args = ap.parse_args(argv)
    if args.quick:
        args.villages, args.offers, args.sample, args.single = 12, 45, 3, 3
    base = (args.shared_data or shared_data()) / "heidelberg-ors"
    pbf, gtfs = base / "heidelberg.test.pbf", base / "vrn_gtfs_cut.zip"
    if not (pbf.exists() and gtfs.exists()):
        print(f"skipped: {pbf.name} / {gtfs.name} not found below {base}")
        return 0
    status = transit_status()
    if not status.available:
        print(f"skipped: Bus & Bahn unavailable ({status.reason_de})")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-pt-") as tmp:
        work = Path(tmp)
        clean = blank_blocks(gtfs, work)
        seconds: dict[str, float] = {}
        router = open_router(pbf, clean, work, seconds)
        try:
            points = make_points(pbf, args.villages, args.offers)
            run = Run(router, *points, clock=EngineClock(router), seconds=seconds)
            near_a, near_b, pairs = measure_product(run)
            measure_baselines(run, near_b, args.sample, args.single)
            print_times(run)
            print_accuracy(near_a, near_b)
            before = set(run.seconds)
            cross_check(run, pairs, args, {"gtfs": clean, "pbf": pbf, "work": work})
            _late_rows(run, {k: v for k, v in run.seconds.items() if k not in before})
        finally:
            router.engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
