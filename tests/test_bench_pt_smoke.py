"""Smoke test of ``benchmarks/bench_pt.py --quick`` on the Heidelberg data.

The script runs in a subprocess (it starts timetable workers and writes a
temporary copy of the feed) and must exit with 0 and print its table of
seconds and ratios.  No timing is asserted.  Skipped when the shared data or
the timetable worker environment (``.venv-pt``) are absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from erreichbarkeit.network.transit import transit_status
from tests.conftest import need_shared

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "bench_pt.py"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.slow,
    pytest.mark.skipif(
        not transit_status().available,
        reason=f"Bus & Bahn unavailable: {transit_status().reason_de}",
    ),
]


def test_bench_pt_quick_prints_its_table() -> None:
    pbf = need_shared("heidelberg-ors/heidelberg.test.pbf")
    need_shared("heidelberg-ors/vrn_gtfs_cut.zip")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--shared-data", str(pbf.parents[1])],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert any(ln.startswith("# Bus & Bahn, heidelberg: 12 villages × 45 offers") for ln in lines)
    assert "| step | seconds | of which timetable s | ratio | note |" in lines
    for step in (
        "load timetable (workers)",
        "(a) nearest_by_category",
        "(b) detailed_table (candidates)",
        "(c1) all pairs, scaled",
        "(c2) one query per pair, scaled",
    ):
        row = next((ln for ln in lines if ln.startswith(f"| {step} |")), None)
        assert row is not None, (step, done.stdout)
        seconds = row.split("|")[2].strip()
        assert seconds != "–" and float(seconds) >= 0.0, row
    assert any("× " in ln and ln.startswith("| (c1) all pairs, scaled |") for ln in lines)
    assert any(ln.startswith("* (a) vs (b) nearest per village × category:") for ln in lines)
    assert "(d) valhalla cross-check skipped: --quick" in lines
