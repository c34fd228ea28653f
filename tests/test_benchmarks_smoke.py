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
        (
            "bench_county",
            ["--quick", "--datasets", "demo"],
            "| data set | step | cold s | warm s | reference s | reference/warm |",
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


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "argv", "lines"),
    [
        (
            "bench_batch",
            ["--preset", "beispielkreis", "--no-grid", "--quick"],
            ("| workers | pool per task |", "| 2 |"),
        ),
        ("bench_reopen", ["--quick"], ("| case | seconds", "| restart → choose demo area")),
    ],
)
def test_batch_and_browser_scripts_print_tables(
    script: str,
    argv: list[str],
    lines: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if script == "bench_reopen":
        from tests.conftest import require_browser

        require_browser()  # skips locally without Chromium, fails in CI
    module = _load(script, monkeypatch)
    assert module.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    header, row = lines
    assert any(line.startswith(header) for line in out), out
    assert any(line.startswith(row) for line in out), out


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


def test_bench_matrix_baselines_on_a_hand_made_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """scipy, networkx and the multi-source search of bench_matrix on a 3-node graph."""
    import networkx as nx
    import numpy as np

    bench = _load("bench_matrix", monkeypatch)
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", travel_time=60.0)
    graph.add_edge("a", "b", travel_time=120.0)  # a slower parallel edge: the faster one counts
    graph.add_edge("b", "c", travel_time=180.0)
    graph.add_edge("c", "a", travel_time=600.0)
    csr, row = bench.to_csr(graph)
    origins = np.array([row["a"], row["c"]])
    targets = np.array([row["b"], row["c"]])
    minutes = bench.scipy_matrix(csr, origins, targets, 300.0)
    # a→b 1 min, a→c 4 min; c→b (c→a→b) 11 min lies beyond the 5-minute cutoff, c→c 0
    np.testing.assert_allclose(minutes, [[1.0, 4.0], [np.nan, 0.0]])
    by_networkx = bench.osmnx_matrix(graph, np.array(["a", "c"]), np.array(["b", "c"]), 300.0)
    np.testing.assert_allclose(by_networkx, minutes)
    # minutes of every node to its nearest offer (offers on b and c): a 1, b 0, c 0
    surface = bench.nearest_surface(csr, targets, 1e9)
    assert surface[row["a"]] == 1.0
    assert surface[row["b"]] == surface[row["c"]] == 0.0
    # offers on b only: c reaches it through a in 11 minutes
    assert bench.nearest_surface(csr, np.array([row["b"]]), 1e9)[row["c"]] == 11.0
    # OSRM's nearest per village: 1.5 and 2.0 (the 95-minute pair lies beyond the cutoff)
    diff = bench._nearest_difference(
        np.array([1.0, 0.0]), np.array([[1.5, 9.0], [95.0, 2.0]]), 90.0
    )
    assert diff["near_med"] == pytest.approx((-0.5 - 2.0) / 2)
    assert diff["near_p95"] == pytest.approx(0.5 + 0.95 * (2.0 - 0.5))
    assert diff["near_same"] == 0.5
    assert diff["near_rel"] == pytest.approx((-0.5 / 1.5 - 1.0) / 2)
