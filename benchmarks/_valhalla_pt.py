"""Valhalla multimodal (public transport) routing as an independent cross-check.

pyvalhalla (``pip install pyvalhalla==3.9.1``, CPython ≥ 3.12, abi3 wheel) ships
the C++ tools ``valhalla_ingest_transit``, ``valhalla_convert_transit`` and
``valhalla_build_tiles`` in ``valhalla/bin``.  This module builds road + transit
tiles from a GTFS zip and an OSM PBF and routes with ``costing="multimodal"``.
It is only used by the benchmarks to cross-check the nigiri timetable router;
pyvalhalla is imported lazily and need not be installed in the project venv.

Why the GTFS dates are shifted
------------------------------
Valhalla stores a transit schedule as a 60-day bit mask that starts at the
*tile creation date* (today, taken in America/New_York, when
``valhalla_convert_transit`` runs; ``mjolnir/servicedays.cc``).  Service dated
before that day or more than 59 days after it is dropped, and a request whose
``date_time`` lies before the creation date finds no departures
(``thor/multimodal_transit.cc``).  An old feed (the VRN cut is from 2022)
therefore gives "No path could be found" until its ``calendar.txt`` and
``calendar_dates.txt`` dates are moved into ``[today, today + 59 days]``.
Shift by a whole number of weeks to keep the weekdays
(:func:`week_shift_days`).

Time zones
----------
The wheel has no ``valhalla_build_timezones`` (it downloads data), so the road
tiles carry no time zone.  Valhalla then treats the requested local time and
the GTFS times in one implicit zone (UTC by default, no offset is applied
anywhere because transit stops without ``stop_timezone`` also get zone 0), so a
request ``date_time`` of type 1 with local time ``07:30`` is compared with
stop_times ``07:30:00`` directly.  Do not add ``stop_timezone`` to the feed:
that would make valhalla apply the UTC → Europe/Berlin offset on entering a
stop.

Known limits (VRN cut + ``heidelberg.test.pbf``, measured 2026-12-05)
--------------------------------------------------------------------
* Stops outside the PBF's road network (Mannheim, Käfertal, Weinheim,
  Viernheim, Seckenheim, Neuostheim: 125 of 392 stops lie > 300 m from the
  nearest road) snap to a far-away edge: valhalla then reports a long walk or
  "No path". Compare only pairs whose stops snap within a few hundred metres.
* The result minimises valhalla's cost, so it is not always the earliest
  arrival, and it does not fall back to walking only when that is quicker;
  take ``min(transit, walk)`` yourself as R5 does.
* Valhalla walks from the given coordinate to the platform node (1–3 min even
  when the coordinate is the stop's own), so a stop-to-stop timetable query
  with 0 access minutes can catch one departure earlier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

__all__ = [
    "FASTEST_COSTING",
    "build_valhalla_transit",
    "shift_gtfs_dates",
    "valhalla_bin_dir",
    "valhalla_pt_minutes",
    "week_shift_days",
]

_INSTALL_HINT = (
    "pyvalhalla is not installed in this interpreter. The valhalla cross-check needs it: "
    "create a separate venv with CPython >= 3.12 and `pip install pyvalhalla==3.9.1` "
    "(not in the project venv), then run the benchmark with that venv's python."
)

#: Multimodal costing options that make valhalla's cost close to travel time, so
#: the result is comparable with an earliest-arrival router: bus, rail and
#: transfers neither favoured nor avoided (factor 1.0), no 300 s transfer
#: penalty, walking not penalised against riding (pedestrian ``mode_factor``
#: 1.0 instead of 1.5).  Walking limits stay at valhalla's defaults (2145 m to/from
#: the first/last stop, 800 m per transfer).  valhalla's defaults
#: (``use_bus`` 0.3, ``use_rail`` 0.6, ``use_transfers`` 0.3) often pick a
#: long walk to a tram instead of a quicker bus + tram journey.
FASTEST_COSTING = {
    "transit": {"use_bus": 0.5, "use_rail": 0.5, "use_transfers": 0.5, "transfer_penalty": 0},
    "pedestrian": {"mode_factor": 1.0},
}

#: GTFS files and columns that hold service dates (YYYYMMDD).
_DATE_COLUMNS = {
    "calendar.txt": ("start_date", "end_date"),
    "calendar_dates.txt": ("date",),
}


def _import_valhalla():
    """Import pyvalhalla lazily.

    Returns
    -------
    module
        The ``valhalla`` package.

    Raises
    ------
    ImportError
        When pyvalhalla is not installed, with a hint how to install it.
    """
    try:
        import valhalla
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return valhalla


def valhalla_bin_dir() -> Path:
    """Folder with valhalla's C++ executables shipped in the pyvalhalla wheel.

    Returns
    -------
    Path
        ``<site-packages>/valhalla/bin``.

    Raises
    ------
    ImportError
        When pyvalhalla is not installed.
    FileNotFoundError
        When the wheel has no ``bin`` folder (an older pyvalhalla without the executables).
    """
    valhalla = _import_valhalla()
    bin_dir = Path(valhalla.__file__).resolve().parent / "bin"
    if not (bin_dir / "valhalla_build_tiles").exists():
        msg = f"{bin_dir} has no valhalla_build_tiles; pyvalhalla >= 3.9 ships the executables"
        raise FileNotFoundError(msg)
    return bin_dir


def week_shift_days(service_day: dt.date, earliest: dt.date | None = None) -> int:
    """Smallest whole-week shift that moves ``service_day`` onto or after ``earliest``.

    Parameters
    ----------
    service_day : datetime.date
        A day of the feed whose service should be routed (e.g. Tuesday 2022-07-05).
    earliest : datetime.date, optional
        First acceptable day after shifting. Default: today + 2 days, so the
        shifted day is safely after the tile creation date (valhalla takes
        "today" in America/New_York) and within its 60-day schedule window.

    Returns
    -------
    int
        Shift in days, a multiple of 7 (weekdays are kept).
    """
    if earliest is None:
        earliest = dt.date.today() + dt.timedelta(days=2)
    days = (earliest - service_day).days
    return max(0, -(-days // 7) * 7)


def _shift_yyyymmdd(value: str, shift_days: int) -> str:
    value = value.strip()
    if not value:
        return value
    day = dt.datetime.strptime(value, "%Y%m%d").date() + dt.timedelta(days=shift_days)
    return day.strftime("%Y%m%d")


def shift_gtfs_dates(
    gtfs_zip: Path, out_dir: Path, shift_days: int, *, drop_block_ids: bool = False
) -> Path:
    """Extract a GTFS zip into ``out_dir`` with all service dates shifted.

    Parameters
    ----------
    gtfs_zip : Path
        GTFS feed as a zip file (or a folder of ``*.txt`` files).
    out_dir : Path
        Target folder (created; existing files are overwritten).
    shift_days : int
        Days added to ``calendar.txt`` start/end dates and
        ``calendar_dates.txt`` dates. Use a multiple of 7 to keep weekdays.
    drop_block_ids : bool, optional
        Empty ``trips.txt`` ``block_id`` (no stay-seated chaining). Default False.

    Returns
    -------
    Path
        ``out_dir``.
    """
    gtfs_zip = Path(gtfs_zip)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    def files():
        if gtfs_zip.is_dir():
            for p in sorted(gtfs_zip.glob("*.txt")):
                yield p.name, p.read_bytes()
        else:
            with zipfile.ZipFile(gtfs_zip) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    yield Path(info.filename).name, zf.read(info)

    for name, data in files():
        target = out_dir / name
        if (name in _DATE_COLUMNS and shift_days) or (name == "trips.txt" and drop_block_ids):
            text = data.decode("utf-8-sig")
            reader = csv.DictReader(io.StringIO(text))
            fieldnames = [f.strip() for f in (reader.fieldnames or [])]
            reader.fieldnames = fieldnames
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
            writer.writeheader()
            for row in reader:
                for col in _DATE_COLUMNS.get(name, ()):
                    if col in row and row[col] is not None:
                        row[col] = _shift_yyyymmdd(row[col], shift_days)
                if name == "trips.txt" and "block_id" in row:
                    row["block_id"] = ""
                writer.writerow(row)
            target.write_text(buf.getvalue(), encoding="utf-8")
        else:
            target.write_bytes(data)
    return out_dir


def _run(cmd: list[str], bin_dir: Path, log: Path) -> float:
    """Run one valhalla tool with its bin folder on PATH; return wall seconds."""
    env = dict(os.environ)
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    t0 = time.perf_counter()
    with log.open("ab") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n".encode())
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        msg = f"{cmd[0]} failed with exit code {proc.returncode}; log {log}:\n{tail}"
        raise RuntimeError(msg)
    return time.perf_counter() - t0


def build_valhalla_transit(
    gtfs_zip: Path,
    pbf: Path,
    workdir: Path,
    shift_days: int,
    *,
    concurrency: int = 1,
    timings: dict | None = None,
    drop_block_ids: bool = False,
) -> Path:
    """Build valhalla road + transit tiles for multimodal routing.

    Steps (all inside ``workdir``; the inputs are only read):

    1. ``gtfs_feeds/feed/``: the GTFS zip extracted with its calendar dates
       shifted by ``shift_days`` (:func:`shift_gtfs_dates`).
    2. ``valhalla.json``: the default config of pyvalhalla with
       ``mjolnir.tile_dir``, ``transit_dir``, ``transit_feeds_dir`` set, no
       tile extract, and time zone/admin databases pointing to files that
       don't exist (valhalla warns and builds without them).
    3. ``valhalla_ingest_transit`` (GTFS → transit protobuf tiles),
       ``valhalla_convert_transit`` (→ level-3 transit graph tiles with
       schedules for the 60 days from today) and ``valhalla_build_tiles``
       (road graph from the PBF, transit tiles connected to it).

    Parameters
    ----------
    gtfs_zip : Path
        GTFS feed (zip or folder).
    pbf : Path
        OSM PBF of the road network covering the stops.
    workdir : Path
        Scratch folder for feed copy, tiles, config and ``build.log``.
        Existing tiles in it are removed.
    shift_days : int
        Days to add to the feed's service dates (see :func:`week_shift_days`);
        the service to be routed must afterwards lie in ``[today, today + 59]``.
    concurrency : int, optional
        ``mjolnir.concurrency`` (threads of the build tools). Default 1.
    timings : dict, optional
        If given, filled with wall seconds per step (``ingest_transit``,
        ``convert_transit``, ``build_tiles``, ``total``).
    drop_block_ids : bool, optional
        Remove ``block_id`` from ``trips.txt`` before ingesting. The VRN cut's
        blocks are inconsistent (trips of one block overlap in time: 30
        overlapping consecutive pairs on 2022-07-05), which makes nigiri
        chain trips into impossible stay-seated journeys; pass True when the
        nigiri side also runs without block_id. Default False.

    Returns
    -------
    Path
        The config file ``workdir / "valhalla.json"``.

    Raises
    ------
    ImportError
        When pyvalhalla is not installed.
    RuntimeError
        When one of the valhalla tools fails (the message has the log tail).
    """
    valhalla = _import_valhalla()
    bin_dir = valhalla_bin_dir()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    feeds_dir = workdir / "gtfs_feeds"
    tile_dir = workdir / "tiles"
    transit_dir = workdir / "transit"
    for d in (feeds_dir, tile_dir, transit_dir):
        if d.exists():
            shutil.rmtree(d)
    tile_dir.mkdir()
    transit_dir.mkdir()
    # ingest_transit treats every sub-folder of transit_feeds_dir as one feed
    shift_gtfs_dates(Path(gtfs_zip), feeds_dir / "feed", shift_days, drop_block_ids=drop_block_ids)

    config = valhalla.get_config(tile_extract="", tile_dir=tile_dir)
    mj = config["mjolnir"]
    mj["tile_dir"] = str(tile_dir)
    mj["tile_extract"] = ""
    mj["transit_dir"] = str(transit_dir)
    mj["transit_feeds_dir"] = str(feeds_dir)
    mj["timezone"] = str(workdir / "timezones.sqlite")  # absent on purpose
    mj["admin"] = str(workdir / "admins.sqlite")  # absent on purpose
    mj["concurrency"] = int(concurrency)
    # the C++ tools read the top-level "logging" section (get_config() silences it)
    config["logging"] = {"type": "std_out", "color": False}
    config_path = workdir / "valhalla.json"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    log = workdir / "build.log"
    log.write_text("", encoding="utf-8")
    t = {}
    c = str(config_path)
    t["ingest_transit"] = _run([str(bin_dir / "valhalla_ingest_transit"), "-c", c], bin_dir, log)
    t["convert_transit"] = _run([str(bin_dir / "valhalla_convert_transit"), "-c", c], bin_dir, log)
    t["build_tiles"] = _run(
        [str(bin_dir / "valhalla_build_tiles"), "-c", c, str(Path(pbf).resolve())], bin_dir, log
    )
    t["total"] = sum(t.values())
    if timings is not None:
        timings.update(t)
    return config_path


def valhalla_pt_minutes(
    config: Path,
    pairs: list[tuple[float, float, float, float]],
    depart_local: str,
    *,
    costing_options: dict | str | None = "fastest",
    details: list | None = None,
) -> list[float | None]:
    """Multimodal (walk + public transport) travel minutes per origin/destination pair.

    Parameters
    ----------
    config : Path
        Config returned by :func:`build_valhalla_transit`.
    pairs : list of (from_lon, from_lat, to_lon, to_lat)
        Origin and destination coordinates (WGS84).
    depart_local : str
        Departure as local time ``"YYYY-MM-DDTHH:MM"`` (valhalla ``date_time``
        type 1, depart at). Must lie in the shifted service period and not
        before the day the tiles were built.
    costing_options : dict or {"fastest", "default"} or None, optional
        ``"fastest"`` (default): :data:`FASTEST_COSTING`; ``"default"`` or
        None: valhalla's own defaults; a dict is sent as the request's
        ``costing_options`` (multimodal reads the ``"transit"`` and
        ``"pedestrian"`` keys there, e.g. ``{"transit": {"use_bus": 1.0},
        "pedestrian": {"walking_speed": 5.1}}``; a ``"multimodal"`` key is
        ignored by valhalla).
    details : list, optional
        If given, one dict per pair is appended: ``minutes``, ``error``,
        ``transit_legs`` (number of maneuvers with a transit_info),
        ``walk_km`` and ``wall_ms`` (time of the request).

    Returns
    -------
    list of float or None
        ``summary.time / 60`` of the first trip (door-to-door, including
        the initial wait) per pair; None when valhalla finds no path.

    Notes
    -----
    Valhalla minimises a *cost*, not the arrival time, so even with
    :data:`FASTEST_COSTING` the result is not guaranteed to be the earliest
    arrival; it can also be a walk-only route. Walking to/from any stop within
    2145 m and between stops within 800 m is allowed (door-to-door), unlike a
    stop-to-stop timetable query. Departure times are compared with the GTFS
    local times directly (no time zone in the tiles, see the module notes).
    A request takes ≈30 ms (median; p90 ≈60 ms, max ≈160 ms) on the VRN cut
    on the busy 2-core machine, plus ≈0.4 s for the first call (Actor set-up).
    """
    valhalla = _import_valhalla()
    cfg = json.loads(Path(config).read_text(encoding="utf-8"))
    cfg["logging"] = {"type": "", "color": False}  # keep stdout clean while routing
    actor = valhalla.Actor(cfg)
    out: list[float | None] = []
    for lon1, lat1, lon2, lat2 in pairs:
        req = {
            "locations": [{"lat": lat1, "lon": lon1}, {"lat": lat2, "lon": lon2}],
            "costing": "multimodal",
            "date_time": {"type": 1, "value": depart_local},
            "directions_options": {"units": "kilometers", "directions_type": "maneuvers"},
        }
        if costing_options == "fastest":
            req["costing_options"] = FASTEST_COSTING
        elif isinstance(costing_options, dict):
            req["costing_options"] = costing_options
        t0 = time.perf_counter()
        minutes = None
        err = None
        n_transit = 0
        walk_km = None
        try:
            res = actor.route(req)
            if isinstance(res, str):
                res = json.loads(res)
            trip = res["trip"]
            minutes = trip["summary"]["time"] / 60.0
            walk_km = 0.0
            for leg in trip.get("legs", []):
                for man in leg.get("maneuvers", []):
                    if "transit_info" in man:
                        n_transit += 1
                    elif man.get("travel_mode") == "pedestrian":
                        walk_km += man.get("length", 0.0)
        except Exception as exc:  # valhalla raises ValhallaError/RuntimeError on "No path"
            err = str(exc)
        wall_ms = (time.perf_counter() - t0) * 1000
        out.append(minutes)
        if details is not None:
            details.append(
                {
                    "minutes": minutes,
                    "error": err,
                    "transit_legs": n_transit,
                    "walk_km": walk_km,
                    "wall_ms": wall_ms,
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: build tiles (optional) and route a CSV of pairs.

    Meant for running this module with an interpreter that has pyvalhalla
    when the project venv has not, e.g.
    ``/tmp/vh/venv/bin/python benchmarks/_valhalla_pt.py --gtfs G.zip --pbf R.pbf
    --workdir /tmp/vhw --service-day 2022-07-05 --pairs in.csv --out out.csv
    --time 07:30``. ``in.csv`` needs the columns from_lon, from_lat, to_lon,
    to_lat; ``out.csv`` gets them plus ``depart`` and ``valhalla_min``. One JSON
    status line (config, shift_days, depart, build timings) goes to stdout.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0 on success).
    """
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    ap.add_argument("--gtfs", type=Path, help="GTFS zip (omit with --config to reuse tiles)")
    ap.add_argument("--pbf", type=Path, help="OSM PBF road network")
    ap.add_argument("--workdir", type=Path, help="scratch folder for tiles")
    ap.add_argument("--config", type=Path, help="existing valhalla.json (skips the build)")
    ap.add_argument("--service-day", required=True, help="feed day to route, YYYY-MM-DD")
    ap.add_argument("--shift-days", type=int, help="default: week_shift_days(service day)")
    ap.add_argument("--time", default="07:30", help="local departure HH:MM (default 07:30)")
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--costing", default="fastest", choices=("fastest", "default"))
    ap.add_argument("--drop-block-ids", action="store_true")
    args = ap.parse_args(argv)

    day = dt.date.fromisoformat(args.service_day)
    shift = args.shift_days if args.shift_days is not None else week_shift_days(day)
    timings: dict = {}
    if args.config is None:
        if not (args.gtfs and args.pbf and args.workdir):
            ap.error("--gtfs, --pbf and --workdir are needed unless --config is given")
        config = build_valhalla_transit(
            args.gtfs,
            args.pbf,
            args.workdir,
            shift,
            timings=timings,
            drop_block_ids=args.drop_block_ids,
        )
    else:
        config = args.config
    depart = f"{(day + dt.timedelta(days=shift)).isoformat()}T{args.time}"
    with args.pairs.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pairs = [
        (float(r["from_lon"]), float(r["from_lat"]), float(r["to_lon"]), float(r["to_lat"]))
        for r in rows
    ]
    t0 = time.perf_counter()
    minutes = valhalla_pt_minutes(config, pairs, depart, costing_options=args.costing)
    route_s = time.perf_counter() - t0
    fields = list(rows[0].keys()) if rows else ["from_lon", "from_lat", "to_lon", "to_lat"]
    fields += [f for f in ("depart", "valhalla_min") if f not in fields]
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r, m in zip(rows, minutes, strict=True):
            w.writerow({**r, "depart": depart, "valhalla_min": "" if m is None else round(m, 2)})
    print(
        json.dumps(
            {
                "config": str(config),
                "shift_days": shift,
                "depart": depart,
                "build_s": timings,
                "route_s": round(route_s, 3),
                "pairs": len(pairs),
                "no_path": sum(m is None for m in minutes),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
