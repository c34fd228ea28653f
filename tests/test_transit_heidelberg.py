"""Bus & Bahn end to end on real data: the Heidelberg roads and the VRN timetable cut.

``erreichbarkeit analyse`` runs once per module on ``heidelberg.test.pbf``
and ``vrn_gtfs_cut.zip`` (reference Tuesday 2022-07-05) with modes car, walk
and pt, for 18 generated offers (2 per category, in Heidelberg's centre
around the main station) and 10 villages:

* *Dossenheim Tram* beside the Dossenheim Bahnhof stop of tram line 5
  (≈ 107 trips a day per direction, ≈ 4.8 km north of the station),
* *Ohne Halt* in the fields west of Heidelberg (≈ 4.8 km from the station as
  well, the nearest stop of the cut 2.7 km away: no stop within 15 minutes'
  walk),
* 8 random points (seed 3) in the eastern part of the city.

Checked: pt rows in the long table, pt columns in the village CSV and the
workbook; per pair Bus & Bahn is never slower than walking alone; a wider
departure window never raises a pair's best time; the tram village reaches
every category faster than the village without a stop.  Skipped when the
shared data or the timetable worker (``.venv-pt``) are absent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.config import Settings, load_categories
from erreichbarkeit.config.transit import TransitOptions
from erreichbarkeit.network.routing import prepare_router
from erreichbarkeit.network.transit import transit_status
from erreichbarkeit.network.transit.router import TransitRouter
from erreichbarkeit.network.transit.setup import load_feeds, open_transit_router
from tests.conftest import need_shared

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.slow,
    pytest.mark.skipif(
        not transit_status().available,
        reason=f"Bus & Bahn unavailable: {transit_status().reason_de}",
    ),
]

DAY = dt.date(2022, 7, 5)
TRAM = ("Dossenheim Tram", 8.6699, 49.4482)
NO_STOP = ("Ohne Halt", 8.61, 49.405)


def _read_de(path: Path) -> pd.DataFrame:
    """A German CSV of the export (semicolon, decimal comma, BOM)."""
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")


@dataclass(frozen=True)
class Run:
    """The inputs and the output folder of the module's CLI run."""

    pbf: Path
    gtfs: Path
    cache: Path
    out: Path
    villages: np.ndarray
    offers: np.ndarray


def _write_inputs(folder: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """Offers CSV (2 per category around the station), villages and Gemeinde GeoJSON."""
    rng = np.random.default_rng(3)
    rows = []
    for cat in load_categories(None).values():
        for k in (1, 2):
            rows.append(
                {
                    "Name": f"{cat.label} {k}",
                    "Kategorie": cat.label,
                    "Breitengrad": f"{rng.uniform(49.400, 49.412):.6f}",
                    "Längengrad": f"{rng.uniform(8.670, 8.695):.6f}",
                }
            )
    offers = folder / "angebote.csv"
    pd.DataFrame(rows).to_csv(offers, sep=";", index=False, encoding="utf-8")
    points = [TRAM, NO_STOP]
    random = rng.uniform([8.682, 49.39], [8.767, 49.437], size=(8, 2))
    points += [(f"Ort {i + 1}", float(x), float(y)) for i, (x, y) in enumerate(random)]
    features = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "Point", "coordinates": [x, y]},
        }
        for name, x, y in points
    ]
    villages = folder / "orte.geojson"
    villages.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    # one Gemeinde around all points (the PBF has no boundary relations)
    box = [[8.55, 49.35], [8.80, 49.35], [8.80, 49.47], [8.55, 49.47], [8.55, 49.35]]
    area = {"AGS": "08221000", "GEN": "Heidelberg (Testgebiet)"}
    gemeinde = {"type": "Feature", "properties": area,
                "geometry": {"type": "Polygon", "coordinates": [box]}}  # fmt: skip
    boundaries = folder / "gemeinden.geojson"
    boundaries.write_text(
        json.dumps({"type": "FeatureCollection", "features": [gemeinde]}), "utf-8"
    )
    offer_xy = np.array([[float(r["Längengrad"]), float(r["Breitengrad"])] for r in rows])
    return offers, villages, np.array([[x, y] for _, x, y in points]), offer_xy


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``erreichbarkeit analyse`` with car, walk and pt, once for the module."""
    from erreichbarkeit.cli.main import main

    pbf = need_shared("heidelberg-ors/heidelberg.test.pbf")
    gtfs = need_shared("heidelberg-ors/vrn_gtfs_cut.zip")
    folder = tmp_path_factory.mktemp("heidelberg-pt")
    offers, villages, village_xy, offer_xy = _write_inputs(folder)
    out, cache = folder / "out", folder / "cache"
    code = main(
        [
            "analyse", "-q", "--network", str(pbf), "--gtfs", str(gtfs),
            "--pt-date", DAY.isoformat(), "--villages", str(villages), "--offers", str(offers),
            "--boundaries", str(folder / "gemeinden.geojson"), "--out", str(out),
            "--cache-dir", str(cache), "--modes", "car,walk,pt",
        ]
    )  # fmt: skip
    assert code == 0
    return Run(pbf, gtfs, cache, out, village_xy, offer_xy)


def test_outputs_have_bus_und_bahn(run: Run) -> None:
    import openpyxl

    long = _read_de(run.out / "reisezeiten.csv")
    assert set(long["Verkehrsmittel"]) == {"Auto", "zu Fuß", "Bus & Bahn"}
    pt = long[long["Verkehrsmittel"] == "Bus & Bahn"]
    assert len(pt) > 0
    assert pt["Minuten"].notna().all()
    orte = _read_de(run.out / "orte.csv")
    pt_columns = [c for c in orte.columns if c.endswith("– Bus & Bahn: Minuten")]
    offers = _read_de(run.out / "angebote.csv")
    # one Bus & Bahn column per category with offers (not a fixed count: the table grows)
    assert len(pt_columns) == offers["Kategorie"].nunique(), orte.columns.tolist()
    assert orte[pt_columns].notna().to_numpy().any()
    wb = openpyxl.load_workbook(run.out / "erreichbarkeit.xlsx", read_only=True)
    try:
        header = next(wb["Orte"].iter_rows(min_row=1, max_row=1, values_only=True))
    finally:
        wb.close()
    assert set(pt_columns) <= {str(h) for h in header}
    tt = pd.read_parquet(run.out / "reisezeiten.parquet")
    assert set(tt["mode"]) == {"car", "walk", "pt"}
    gemeinden = _read_de(run.out / "gemeinden.csv")
    assert "Bus & Bahn" in set(gemeinden["Verkehrsmittel"])


def test_bus_und_bahn_never_slower_than_walking(run: Run) -> None:
    tt = pd.read_parquet(run.out / "reisezeiten.parquet")
    keys = ["origin_id", "destination_id"]
    walk = tt[tt["mode"] == "walk"][[*keys, "minutes"]]
    pt = tt[tt["mode"] == "pt"][[*keys, "minutes"]]
    both = walk.merge(pt, on=keys, how="left", suffixes=("_walk", "_pt"))
    assert len(both) > 50
    # walking the whole way is always a Bus & Bahn candidate: a walkable pair has a pt row
    assert both["minutes_pt"].notna().all()
    assert (both["minutes_pt"] <= both["minutes_walk"] + 0.01).all(), both
    assert (both["minutes_pt"] < both["minutes_walk"] - 1.0).any()  # and the tram helps


def test_tram_village_beats_village_without_stop(run: Run) -> None:
    orte = _read_de(run.out / "orte.csv").set_index("Name")
    labels = [c.label for c in load_categories(None).values()]
    tram, none = orte.loc[TRAM[0]], orte.loc[NO_STOP[0]]
    for label in labels:
        pt, walk = f"{label} – Bus & Bahn: Minuten", f"{label} – zu Fuß: Minuten"
        # both ≈ 4.8 km from the offers: the tram saves ≥ 15 minutes over walking
        assert tram[pt] < tram[walk] - 15.0, label
        assert tram[pt] < none[pt] - 15.0, label
        # no stop within walking range: Bus & Bahn is walking
        assert none[pt] == pytest.approx(none[walk], abs=0.05), label


def _router(run: Run, tmp: Path) -> TransitRouter:
    settings = Settings(
        name="heidelberg-pt", network=run.pbf, gtfs=(run.gtfs,), modes=("walk", "pt"),
        cache_dir=run.cache, out_dir=tmp, transit=TransitOptions(date=DAY, workers=1),
    )  # fmt: skip
    walk = prepare_router(settings, run.pbf, "walk")  # cached by the CLI run
    return open_transit_router(settings, walk, load_feeds(settings))


def test_wider_window_never_raises_the_best_time(run: Run, tmp_path: Path) -> None:
    narrow = _router(run, tmp_path)
    try:
        narrow.default_window = (7 * 60, 8 * 60)
        wide = TransitRouter(
            narrow.walk, narrow.engine, narrow.stops, windows={}, default_window=(6 * 60, 10 * 60),
            max_access_min=narrow.max_access_min, cutoff_minutes=narrow.cutoff_minutes,
        )  # fmt: skip
        _, a = narrow.detailed_table(run.villages, run.offers)
        _, b = wide.detailed_table(run.villages, run.offers)
    finally:
        narrow.engine.close()
    keys = ["origin", "destination"]
    both = a.pairs.merge(b.pairs, on=keys, suffixes=("_narrow", "_wide"))
    assert len(both) == len(a.pairs) == len(b.pairs) > 20
    assert (both["best_min_wide"] <= both["best_min_narrow"] + 1e-6).all()
    assert (both["departures_wide"] >= both["departures_narrow"]).all()
    assert (both["departures_narrow"] > 0).any()
