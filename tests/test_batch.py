"""The Land batch (erreichbarkeit.batch) on the fictional four-Kreise Land, on Dask.

One module-scoped batch: four generated Kreise side by side in one extract
and one Gemeinde file (buffers overlapping), plus one region whose region
file is broken, on a LocalCluster with two worker processes.  A worker
plugin kills its own worker process (SIGKILL) when the first region task
starts — triggered by the task-start transition and a marker file made with
O_EXCL, not by a sleep — and the batch still ends with all four regions
done.  The results equal single runs that clip from the same files with
``prepare_region`` exactly, a rerun does no work, and the Land outputs exist
without None/nan text.  Routing modes car/bike/walk, no grid, no Bus & Bahn
(the timetable worker would double the test's time).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from erreichbarkeit import pipeline
from erreichbarkeit.batch import (
    BatchOptions,
    BatchReport,
    ClippedRegion,
    build_land,
    clip_regions,
    kreis_names,
    load_batch,
    plan_regions,
    read_dataset,
    run_batch,
)
from erreichbarkeit.batch.plan import BatchRegion
from erreichbarkeit.batch.tasks import DATASET, read_status, result_tables
from erreichbarkeit.config import Settings
from erreichbarkeit.demo.land import LandFiles, generate_land
from erreichbarkeit.prepare import prepare_region
from erreichbarkeit.prepare.boundaries import load_gemeinden
from erreichbarkeit.results import Results

pytestmark = pytest.mark.slow

KREISE = ("99901", "99902", "99903", "99904")


class KillAtFirstTaskStart(WorkerPlugin):
    """Kill this worker's process when a region task starts, once per marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing" or not str(key).startswith("region-"):
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, json.dumps({"pid": os.getpid(), "key": str(key)}).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Batch:
    land: LandFiles
    options: BatchOptions
    clipped: list[ClippedRegion]
    broken: ClippedRegion
    report: BatchReport
    killed: dict[str, Any]
    cache: Path
    tmp: Path


def _broken_region(out: Path, good: ClippedRegion) -> ClippedRegion:
    """A region whose region file names a network that is not there."""
    folder = out / "regionen" / "99999"
    folder.mkdir(parents=True)
    text = good.region_file.read_text("utf-8").replace(
        f"{good.region.kreis}.osm.pbf", "fehlt.osm.pbf"
    )
    (folder / "region.toml").write_text(text, "utf-8")
    region = BatchRegion("99999", "Kaputtkreis (fiktiv)", good.region.kreis)
    return ClippedRegion(region, folder / "region.toml", has_transit=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    tmp = tmp_path_factory.mktemp("land")
    land = generate_land(tmp / "land")
    options = BatchOptions(extract=land.extract, gemeinden=land.boundaries, out_dir=tmp / "out")
    regions = plan_regions(
        load_gemeinden(land.boundaries), land="99", names=kreis_names(land.names)
    )
    clipped = clip_regions(regions, options)
    broken = _broken_region(options.out_dir, clipped[0])
    marker = tmp / "killed.json"
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.register_plugin(KillAtFirstTaskStart(str(marker)))
        report = run_batch(
            [*clipped, broken], out_dir=options.out_dir, cache_dir=tmp / "cache", client=client,
        )  # fmt: skip
    yield Batch(land, options, clipped, broken, report,
                json.loads(marker.read_text()), tmp / "cache", tmp)  # fmt: skip


def test_plan_names_every_kreis_of_the_land(batch: Batch) -> None:
    assert [c.region.id for c in batch.clipped] == list(KREISE)
    assert [c.region.name for c in batch.clipped] == [
        "Amselkreis (fiktiv)", "Birkenkreis (fiktiv)", "Dohlenkreis (fiktiv)",
        "Eichenkreis (fiktiv)",
    ]  # fmt: skip
    for c in batch.clipped:
        settings = Settings.from_toml(c.region_file)
        assert settings.source is not None and settings.source.kreis == c.region.kreis
        assert settings.modes == ("car", "bike", "walk")


def test_buffers_overlap_neighbours(batch: Batch) -> None:
    """Each clip's Gemeinde file holds Gemeinden of a neighbouring Kreis (buffer overlap)."""
    for c in batch.clipped:
        gem = gpd.read_file(batch.options.out_dir / "zuschnitt" / c.region.kreis / "gemeinden.gpkg")
        assert gem["in_kreis"].any()
        assert (~gem["in_kreis"]).any(), c.region.id


def test_killed_worker_and_broken_region_do_not_stop_the_others(batch: Batch) -> None:
    outcomes = {o.region_id: o for o in batch.report.outcomes}
    assert batch.killed["key"].startswith("region-")
    assert all(outcomes[k].status == "fertig" for k in KREISE), [
        (o.region_id, o.status, o.message_de) for o in outcomes.values()
    ]
    assert all(outcomes[k].worker_pid != batch.killed["pid"] for k in KREISE)
    failed = outcomes["99999"]
    assert failed.status == "fehlgeschlagen"
    assert "fehlt.osm.pbf" in failed.message_de
    status = read_status(batch.options.out_dir, "99999")
    assert status is not None and status["status"] == "fehlgeschlagen"
    assert batch.report.inner_workers == 1  # two tasks at once: one-worker pools each


def _single_run(batch: Batch, kreis: str) -> Results:
    """The region run alone: ``prepare`` clips it from the same Land files."""
    src = batch.tmp / "single" / f"{kreis}.toml"
    src.parent.mkdir(exist_ok=True)
    src.write_text(
        f'[region]\nname = "Kreis {kreis}"\n[source]\nkreis = "{kreis}"\n'
        f'extract_url = "{batch.land.extract}"\nbuffer_km = 10\n'
        '[inputs]\noffers = ["osm"]\nmodes = ["car", "bike", "walk"]\n',
        "utf-8",
    )
    prepared = prepare_region(
        src, data_dir=batch.tmp / "single", extract=batch.land.extract,
        boundaries=batch.land.boundaries, offline=True,
    )  # fmt: skip
    settings = Settings.from_toml(prepared.region_file)
    return pipeline.run(settings.replace(cache_dir=batch.cache, workers=1))


def _roundtrip(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    table.to_parquet(path, index=False)
    return gpd.read_parquet(path) if isinstance(table, gpd.GeoDataFrame) else pd.read_parquet(path)


@pytest.mark.parametrize("kreis", KREISE)
def test_results_equal_single_runs(batch: Batch, kreis: str, tmp_path: Path) -> None:
    single = result_tables(_single_run(batch, kreis), kreis)
    status = read_status(batch.options.out_dir, kreis)
    assert status is not None and sorted(single) == status["tables"]
    for name, table in single.items():
        part = batch.options.out_dir / DATASET / name / f"region={kreis}" / "part-0.parquet"
        stored = gpd.read_parquet(part) if name == "orte" else pd.read_parquet(part)
        pd.testing.assert_frame_equal(stored, _roundtrip(table, tmp_path / f"{name}.parquet"))


def test_rerun_does_no_work(batch: Batch) -> None:
    clip_file = batch.options.out_dir / "zuschnitt" / "99901" / "99901.osm.pbf"
    before = clip_file.stat().st_mtime_ns
    statuses = {k: read_status(batch.options.out_dir, k) for k in KREISE}
    regions = plan_regions(
        load_gemeinden(batch.land.boundaries), keys=list(KREISE),
        names=kreis_names(batch.land.names),
    )  # fmt: skip
    clipped = clip_regions(regions, batch.options)
    with LocalCluster(n_workers=1, processes=True, dashboard_address=None) as cluster:
        # an existing cluster, reached by its address as with --scheduler tcp://…
        report = run_batch(
            clipped, out_dir=batch.options.out_dir, cache_dir=batch.cache,
            scheduler=cluster.scheduler_address,
        )  # fmt: skip
    assert report.workers == 1 and report.inner_workers == 1
    assert [o.status for o in report.outcomes] == ["übersprungen"] * 4
    assert clip_file.stat().st_mtime_ns == before
    assert {k: read_status(batch.options.out_dir, k) for k in KREISE} == statuses


def test_land_outputs(batch: Batch) -> None:
    paths = build_land(
        [*batch.clipped, batch.broken], batch.options.out_dir, kreistypen=batch.land.kreistypen
    )
    sheets = pd.read_excel(paths["workbook"], sheet_name=None)
    assert list(sheets) == ["Übersicht", "Kennzahlen", "Vergleich nach Kreistyp", "Methodik"]
    overview = sheets["Übersicht"]
    assert list(overview["Schlüssel"].astype(str)) == [*KREISE, "99999"]
    assert list(overview["Status"]) == ["fertig"] * 4 + ["fehlgeschlagen"]
    assert list(overview["ohne Bus & Bahn"]) == ["ja"] * 5
    assert set(sheets["Vergleich nach Kreistyp"]["Regionen"]) == {2}
    workbook = openpyxl.load_workbook(paths["workbook"], read_only=True)
    texts = {c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert not {"None", "nan", "NaN", "<NA>"} & texts
    html = paths["map"].read_text("utf-8")
    assert "Amselkreis (fiktiv)" in html
    failed_tip = "Kaputtkreis (fiktiv)</b><br>Kita – Auto: kein Ergebnis<br>Status: fehlgeschlagen"
    assert failed_tip in html
    assert "Amselkreis (fiktiv)</b><br>Kita – Fahrrad: " in html
    assert "nan %" not in html and ": None" not in html
    kreis_table = read_dataset(batch.options.out_dir, "kreis")
    assert sorted(set(kreis_table["region"])) == list(KREISE)  # text, failed region absent
    assert (kreis_table["region"] == kreis_table["kreis"]).all()
    opened = load_batch(batch.options.out_dir)
    assert list(opened.overview["region"]) == [*KREISE, "99999"]
    assert set(opened.exports) == set(KREISE)
    assert (opened.exports["99901"] / "erreichbarkeit.xlsx").is_file()


def test_cli_rerun_of_the_land_skips_every_region(
    batch: Batch, capsys: pytest.CaptureFixture[str]
) -> None:
    from erreichbarkeit.cli.main import main

    land = batch.land
    code = main([
        "batch", "--land", "99", "--extract", str(land.extract),
        "--boundaries", str(land.boundaries), "--namen", str(land.names),
        "--kreistypen", str(land.kreistypen), "--out", str(batch.options.out_dir),
        "--cache-dir", str(batch.cache), "--workers", "1",
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    assert "4/4 Regionen (fertig 0, übersprungen 4, fehlgeschlagen 0" in captured.err
    assert "4 Regionen in " in captured.out
    assert f"Landesmappe: {batch.options.out_dir / 'land.xlsx'}" in captured.out



def test_dashboard_land_page_opens_the_batch(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page „Land“ shows this batch, and its regions join the region picker."""
    from streamlit.testing.v1 import AppTest

    from erreichbarkeit.ui.land_results import BATCH_ENV
    from erreichbarkeit.ui.regions import BATCH_SUFFIX, discover_regions

    build_land([*batch.clipped, batch.broken], batch.options.out_dir)
    monkeypatch.setenv(BATCH_ENV, str(batch.options.out_dir))
    monkeypatch.setenv("ERREICHBARKEIT_DATA_DIR", str(batch.tmp / "dashboard-data"))
    script = "from erreichbarkeit.ui import land_page\nland_page()\n"
    at = AppTest.from_string(script, default_timeout=120).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert sorted(table["Schlüssel"]) == [*KREISE, "99999"]
    assert table.loc[table["Schlüssel"] == "99999", "Status"].tolist() == ["fehlgeschlagen"]
    shown = table.astype(str).to_string()
    assert not any(word in shown for word in ("None", "nan", "NaN", "<NA>"))
    labels = [r.label for r in discover_regions(batch.tmp / "dashboard-data")]
    assert "Amselkreis (fiktiv) " + BATCH_SUFFIX in labels
