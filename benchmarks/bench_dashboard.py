"""Dashboard re-render time per interaction, measured with Streamlit's AppTest.

Why: the dashboard must answer every interaction (mode, threshold, category,
village, age group) in under a second once a region's analysis is cached.
This script runs the real ``app.py`` headless with
:class:`streamlit.testing.v1.AppTest`, warms the caches with a first run,
then times each interaction several times and prints the median and the
ratio to a **baseline measured in the same run**: a bare rerun without any
widget change (what every interaction costs at least).

Before each measured interaction the session's view memo (``_views``) is
emptied, so the indicators are recomputed: the numbers are the worst case,
not a memo hit.  Times are wall-clock seconds of the Python side (building
the page and the map, serialising it); the browser's drawing is not
included.

Usage::

    .venv/bin/python benchmarks/bench_dashboard.py            # demo (+ goettingen if found)
    .venv/bin/python benchmarks/bench_dashboard.py --datasets goettingen --repeats 7

Data sets: ``demo`` (the fictional Beispielkreis, always available) and
``goettingen`` (OpenMapTiles GeoPackage + Zensus Gemeinden + the Zensus 2011
1 km population grid from ``$ERREICHBARKEIT_SHARED_DATA`` or
``../shared/data``, with the 250 m grid surface; the first, cold analysis
takes one to two minutes and is not part of the table).

Grid rows (regions with a grid surface): "Reisezeit-Fläche an" switches the
surface on with the shared surface cache emptied before each run (worst
case: serialising the cells plus the page); "Verkehrsmittel (Fläche an)"
changes the mode with the surface on (surfaces of the modes cached after
the first round, as for a user going back and forth); "Reisezeit-Bänder an"
switches the whole-category bands on with their cache emptied.
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


def shared_data() -> Path:
    env = os.environ.get("ERREICHBARKEIT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def goettingen_region(folder: Path) -> Path | None:
    """A temporary region file for the Göttingen data, or None when absent."""
    sd = shared_data()
    net = sd / "osm-goettingen-omt" / "goettingen_omt_z16_derived.gpkg"
    bnd = sd / "gemeinden-de" / "gemeinden_de_zensus2022_simplified.gpkg"
    pop = sd / "population" / "zensus2011_1km_goettingen.csv"
    if not (net.exists() and bnd.exists()):
        return None
    grid = f'population_grid = "{pop.as_posix()}"\ngrid_cell_m = 250\n' if pop.exists() else ""
    region = folder / "goettingen" / "region.toml"
    region.parent.mkdir(parents=True, exist_ok=True)
    region.write_text(
        '[region]\nname = "Göttingen (OpenMapTiles)"\n\n[inputs]\n'
        f'network = "{net.as_posix()}"\nboundaries = "{bnd.as_posix()}"\noffers = ["osm"]\n' + grid,
        encoding="utf-8",
    )
    return region


def timed(at: Any, action: Callable[[Any], None], *, clear_memo: bool) -> float:
    if clear_memo:
        at.session_state["_views"] = {}
    started = time.perf_counter()
    action(at)
    elapsed = time.perf_counter() - started
    if at.exception:
        sys.exit(f"app raised: {at.exception}")
    return elapsed


def interactions(at: Any, categories: list[str]) -> dict[str, Callable[[Any], None]]:
    """Named interactions; each alternates between values so every call changes something."""
    state = {"mode": 0, "thr": 0, "age": 0, "cat": 0, "village": 0}
    modes = ["walk", "bike", "car"]
    ages = ["3-6", "10-18", "0-3"]

    def mode(a: Any) -> None:
        state["mode"] += 1
        a.sidebar.radio(key="mode").set_value(modes[state["mode"] % 3]).run()

    def threshold(a: Any) -> None:
        state["thr"] += 1
        key = f"thr_{categories[0]}_{a.session_state['mode']}"
        a.sidebar.number_input(key=key).set_value(10.0 + state["thr"]).run()

    def age(a: Any) -> None:
        state["age"] += 1
        a.sidebar.selectbox(key="age_group").set_value(ages[state["age"] % 3]).run()

    def category(a: Any) -> None:
        state["cat"] += 1
        chosen = categories[:2] if state["cat"] % 2 else categories[:1]
        a.sidebar.multiselect(key="categories").set_value(chosen).run()

    def village(a: Any) -> None:
        state["village"] += 1
        sel = a.selectbox(key="village")
        sel.set_value(sel.options[state["village"] % len(sel.options)]).run()

    return {
        "Verkehrsmittel": mode,
        "Schwellenwert": threshold,
        "Altersgruppe": age,
        "Kategorie +/-": category,
        "Ort auswählen": village,
    }


def bench(label: str, region: str | None, repeats: int) -> list[tuple[str, str, float, float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=900)
    at.run()  # generates the demo, runs the first analysis
    if region is not None:
        at.sidebar.selectbox(key="region").set_value(region).run()
    if at.exception:
        sys.exit(f"app raised: {at.exception}")
    at.run()  # warm: static layers, views
    from erreichbarkeit.config import load_categories

    by_label = {c.label: k for k, c in load_categories().items()}
    categories = [by_label.get(o, o) for o in at.sidebar.multiselect(key="categories").options]
    rows: list[tuple[str, str, float, float]] = []
    base = statistics.median(timed(at, lambda a: a.run(), clear_memo=False) for _ in range(repeats))
    rows.append((label, "Basis: Neulauf ohne Änderung", base, 1.0))
    for name, action in interactions(at, categories).items():
        med = statistics.median(timed(at, action, clear_memo=True) for _ in range(repeats))
        rows.append((label, name, med, med / base))
    rows += grid_rows(at, label, base, repeats)
    return rows


def grid_rows(
    at: Any, label: str, base: float, repeats: int
) -> list[tuple[str, str, float, float]]:
    """The surface/band rows (empty when the region has no grid toggle)."""
    from erreichbarkeit.ui import cache

    if not any(t.key == "grid_surface" for t in at.sidebar.toggle):
        return []
    rows: list[tuple[str, str, float, float]] = []
    at.sidebar.multiselect(key="categories").set_value(
        at.sidebar.multiselect(key="categories").value[:1]
    ).run()

    def surface_on(a: Any) -> None:
        a.sidebar.toggle(key="grid_surface").set_value(False).run()
        cache.grid_surface_for.clear()
        started = time.perf_counter()
        a.sidebar.toggle(key="grid_surface").set_value(True).run()
        state["on"] = time.perf_counter() - started

    state = {"on": 0.0, "mode": 0}
    times = []
    for _ in range(repeats):
        timed(at, surface_on, clear_memo=True)
        times.append(state["on"])
    med = statistics.median(times)
    rows.append((label, "Reisezeit-Fläche an", med, med / base))
    modes = ["walk", "bike", "car"]

    def mode(a: Any) -> None:
        state["mode"] += 1
        a.sidebar.radio(key="mode").set_value(modes[state["mode"] % 3]).run()

    for _ in range(3):  # fill the surface cache of every mode
        mode(at)
    med = statistics.median(timed(at, mode, clear_memo=True) for _ in range(repeats))
    rows.append((label, "Verkehrsmittel (Fläche an)", med, med / base))
    at.sidebar.toggle(key="grid_surface").set_value(False).run()

    def bands_on(a: Any) -> None:
        a.sidebar.toggle(key="grid_bands").set_value(False).run()
        cache.category_bands_for.clear()
        started = time.perf_counter()
        a.sidebar.toggle(key="grid_bands").set_value(True).run()
        state["on"] = time.perf_counter() - started

    times = []
    for _ in range(repeats):
        timed(at, bands_on, clear_memo=True)
        times.append(state["on"])
    med = statistics.median(times)
    rows.append((label, "Reisezeit-Bänder an", med, med / base))
    at.sidebar.toggle(key="grid_bands").set_value(False).run()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["demo", "goettingen"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--work", type=Path, default=None, help="data folder (kept; default: a temporary one)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        work = args.work or Path(tmp)
        os.environ["ERREICHBARKEIT_DATA_DIR"] = str(work / "data")
        os.environ["ERREICHBARKEIT_REGIONS_DIR"] = str(work / "regions")
        rows: list[tuple[str, str, float, float]] = []
        for name in args.datasets:
            if name == "demo":
                rows += bench("demo", None, args.repeats)
            elif name == "goettingen":
                region = goettingen_region(work / "regions")
                if region is None:
                    print(f"goettingen: data not found below {shared_data()}; skipped")
                    continue
                rows += bench("goettingen", str(region), args.repeats)
            else:
                print(f"unknown data set {name!r}; skipped")
    print(f"\nmedian of {args.repeats} runs; ratio = time / bare rerun of the same data set\n")
    print("| data set | interaction | median s | ratio |")
    print("| --- | --- | ---: | ---: |")
    for data, what, sec, ratio in rows:
        print(f"| {data} | {what} | {sec:.3f} | {ratio:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
