"""Smoke tests of the benchmark scripts on the Beispielkreis (no shared data needed).

Each script's ``main`` runs with ``--quick --datasets demo`` (tiny sizes, one
repeat) and must exit with 0 and print its markdown table.  No timing is
asserted.  The tiler gets one exact test on a hand-made network.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize(
    ("script", "argv", "header"),
    [
        (
            "bench_matrix",
            ["--quick", "--datasets", "demo"],
            "| data set | mode | villages × offers | prep cold s |",
        ),
        ("bench_scaling", ["--quick"], "| mode | origins × destinations | pairs | seconds |"),
        (
            "bench_accuracy",
            ["--quick", "--datasets", "demo"],
            "| data set | mode | graph nodes | pairs | median rel. diff |",
        ),
        (
            "bench_pipeline",
            ["--quick", "--datasets", "demo"],
            "| data set | step | cold s | warm s | warm/cold |",
        ),
    ],
)
def test_script_prints_table(
    script: str,
    argv: list[str],
    header: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = _load(script, monkeypatch)
    assert module.main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith(header) for line in lines), out
    assert "skipped" not in out
    # at least one data row below the header separator
    body = [ln for ln in lines if ln.startswith("| demo |") or ln.startswith("| car (CH) |")]
    assert body, out


def test_pipeline_grid_hook_is_not_a_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _load("bench_pipeline", monkeypatch)
    assert module._grid({"Eingabedaten lesen": 1.0, "Kennzahlen": 2.0}) is None
    assert module._grid({"Rasterfläche": 3.5}) == 3.5


def test_tile_network_copies_and_connects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import osmium

    data = _load("_data", monkeypatch)
    src = tmp_path / "line.osm"
    # one east-west tertiary road of three nodes, 0.02° long
    src.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='1' lat='50.0' lon='10.00' version='1'/>\n"
        "<node id='2' lat='50.001' lon='10.01' version='1'/>\n"
        "<node id='3' lat='50.002' lon='10.02' version='1'/>\n"
        "<way id='7' version='1'><nd ref='1'/><nd ref='2'/><nd ref='3'/>"
        "<tag k='highway' v='tertiary'/></way>\n</osm>\n",
        "utf-8",
    )
    out = tmp_path / "tiled.osm.pbf"
    counts = data.tile_network(src, out, nx=2, ny=1, connectors=1)
    assert counts == {"nodes": 6, "ways": 2, "connectors": 1}
    nodes = {}
    ways = {}
    for obj in osmium.FileProcessor(str(out), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            nodes[obj.id] = (round(obj.location.lon, 5), round(obj.location.lat, 5))
        else:
            ways[obj.id] = [n.ref for n in obj.nodes]
    # ids are offset by 10 (one more digit than the largest id) per tile
    assert sorted(nodes) == [1, 2, 3, 11, 12, 13]
    # the second tile is shifted east by the extent's width × 1.001
    assert nodes[11] == (round(10.0 + 0.02 * 1.001, 5), 50.0)
    assert ways[7] == [1, 2, 3]
    assert ways[17] == [11, 12, 13]
    # the connector joins the east end of tile 0 to the west end of tile 1
    (conn,) = [refs for wid, refs in ways.items() if wid not in (7, 17)]
    assert conn == [3, 11]
