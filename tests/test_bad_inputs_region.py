"""Absurd region files and settings → a German ``ConfigError``, exit 2, before any routing.

Values that are formally numbers but unusable (integers with hundreds of
digits, which TOML allows and ``float()`` cannot hold; NaN; infinities),
structures nested thousands of levels deep (``tomllib`` recurses), age shares
that add up to more people than live in the county, and the new routing keys
(``access_speed``, ``ferry_wait_min``).  Each names the file, the dotted key
and the expected range; the command line answers with exit code 2 and one
German line, and no output folder is created.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from erreichbarkeit.cli.main import main
from erreichbarkeit.config import RoutingOptions, Settings
from erreichbarkeit.errors import ConfigError

from .test_bad_inputs_common import Case, assert_clear_error

BIG = "1" + "0" * 400  # a TOML integer no float can hold
DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
DEEP_TABLE = "{a = " * 10_000 + "1" + "}" * 10_000

# (TOML text, dotted key named in the error, text the German message must contain)
REGION_VALUE_CASES = [
    Case("reg-cutoff-1e30", "routing.cutoff_minutes = 10**30 (an integer)",
         "ConfigError: out of range 1 … 1440",
         {"toml": f"[routing]\ncutoff_minutes = {10**30}\n", "key": "routing.cutoff_minutes",
          "range": "1 … 1440"}),
    Case("reg-cutoff-400-digits", "routing.cutoff_minutes = 1 followed by 400 zeros",
         "ConfigError: out of range 1 … 1440 (was OverflowError, exit 1)",
         {"toml": f"[routing]\ncutoff_minutes = {BIG}\n", "key": "routing.cutoff_minutes",
          "range": "1 … 1440"}),
    Case("reg-cutoff-1e400", "routing.cutoff_minutes = 1e400 (a float: inf)",
         "ConfigError: out of range 1 … 1440",
         {"toml": "[routing]\ncutoff_minutes = 1e400\n", "key": "routing.cutoff_minutes",
          "range": "1 … 1440"}),
    Case("reg-cutoff-zero", "routing.cutoff_minutes = 0", "ConfigError: out of range 1 … 1440",
         {"toml": "[routing]\ncutoff_minutes = 0\n", "key": "routing.cutoff_minutes",
          "range": "1 … 1440"}),
    Case("reg-snap-400-digits", "routing.max_snap_m with 401 digits",
         "ConfigError: out of range 1 … 50000 (was OverflowError)",
         {"toml": f"[routing]\nmax_snap_m = {BIG}\n", "key": "routing.max_snap_m",
          "range": "1 … 50000"}),
    Case("reg-threshold-400-digits", "thresholds.kita.car with 401 digits",
         "ConfigError: unusably large number, minutes 0.5 … 240 (was OverflowError)",
         {"toml": f"[thresholds]\nkita = {{ car = {BIG} }}\n", "key": "thresholds.kita.car",
          "range": "0.5 and 240"}),
    Case("reg-threshold-negative-400-digits", "thresholds.kita.walk = -(401 digits)",
         "ConfigError: unusably large number (was OverflowError)",
         {"toml": f"[thresholds]\nkita = {{ walk = -{BIG} }}\n",
          "key": "thresholds.kita.walk", "range": "0.5 and 240"}),
    Case("reg-age-share-400-digits", 'age_shares "0-3" with 401 digits',
         "ConfigError: unusably large number, a share 0 … 1 (was OverflowError)",
         {"toml": f'[age_shares]\n"0-3" = {BIG}\n', "key": "age_shares.0-3",
          "range": "between 0 and 1"}),
    Case("reg-grid-400-digits", "grid_cell_m with 401 digits",
         "ConfigError: unusably large number (was OverflowError)",
         {"toml": f"grid_cell_m = {BIG}\n", "key": "grid_cell_m", "range": "250"}),
    Case("reg-merge-400-digits", "[inputs] merge_tolerance_m with 401 digits",
         "ConfigError: unusably large number (was OverflowError)",
         {"toml": f"[inputs]\nmerge_tolerance_m = {BIG}\n", "key": "merge_tolerance_m",
          "range": "metres"}),
    Case("reg-buffer-400-digits", "source.buffer_km with 401 digits",
         "ConfigError: out of range 0 … 100 (was OverflowError)",
         {"toml": f'[source]\nkreis = "03159"\nextract_url = "x"\nbuffer_km = {BIG}\n',
          "key": "source.buffer_km", "range": "0 … 100"}),
    Case("reg-speed-400-digits", "routing.speeds.car.track with 401 digits",
         "ConfigError: unusably large number, km/h 1 … 200 (was OverflowError)",
         {"toml": f"[routing]\nspeeds = {{ car = {{ track = {BIG} }} }}\n",
          "key": "routing.speeds.car.track", "range": "1 and 200"}),
    Case("reg-maxspeed-400-digits", 'routing.maxspeed.car."de:rural" with 401 digits',
         "ConfigError: unusably large number (was OverflowError)",
         {"toml": f'[routing]\nmaxspeed = {{ car = {{ "de:rural" = {BIG} }} }}\n',
          "key": "routing.maxspeed.car.de:rural", "range": "1 and 200"}),
    Case("reg-age-shares-sum-above-one", "age shares 0.15/0.15/0.2/0.4/0.45 (sum 1.35)",
         "ConfigError naming age_shares: more than the whole population",
         {"toml": '[age_shares]\n"0-3" = 0.15\n"3-6" = 0.15\n"6-10" = 0.2\n"10-18" = 0.4\n'
                  '"18-27" = 0.45\n', "key": "age_shares", "range": "höchstens 1"}),
    Case("reg-age-share-implausible", 'age_shares "0-3" = 0.4 (40 % under three)',
         "ConfigError: out of range 0 … 0.15 (5 % per year of age)",
         {"toml": '[age_shares]\n"0-3" = 0.4\n', "key": "age_shares.0-3", "range": "0 … 0.15"}),
    Case("reg-age-share-nan", 'age_shares "3-6" = nan', "ConfigError: out of range",
         {"toml": '[age_shares]\n"3-6" = nan\n', "key": "age_shares.3-6", "range": "0 … 1"}),
    Case("reg-access-zero", "routing.access_speed.walk = 0",
         "ConfigError: out of range 1 … 50 km/h",
         {"toml": "[routing]\naccess_speed = { walk = 0 }\n",
          "key": "routing.access_speed.walk", "range": "1 … 50"}),
    Case("reg-access-negative", "routing.access_speed.car = -15", "ConfigError: out of range",
         {"toml": "[routing]\naccess_speed = { car = -15 }\n",
          "key": "routing.access_speed.car", "range": "1 … 50"}),
    Case("reg-access-nan", "routing.access_speed.bike = nan", "ConfigError: out of range",
         {"toml": "[routing]\naccess_speed = { bike = nan }\n",
          "key": "routing.access_speed.bike", "range": "1 … 50"}),
    Case("reg-access-inf", "routing.access_speed.walk = inf", "ConfigError: out of range",
         {"toml": "[routing]\naccess_speed = { walk = inf }\n",
          "key": "routing.access_speed.walk", "range": "1 … 50"}),
    Case("reg-access-too-fast", "routing.access_speed.car = 130 (the motorway, not access)",
         "ConfigError: out of range 1 … 50",
         {"toml": "[routing]\naccess_speed = { car = 130 }\n",
          "key": "routing.access_speed.car", "range": "1 … 50"}),
    Case("reg-access-german-decimal", 'routing.access_speed.walk = "4,5" (text)',
         "ConfigError: wrong type, km/h 1 … 50",
         {"toml": '[routing]\naccess_speed = { walk = "4,5" }\n',
          "key": "routing.access_speed.walk", "range": "1 and 50"}),
    Case("reg-access-unknown-mode", "routing.access_speed.bus = 20",
         "ConfigError naming the key (car, bike, walk)",
         {"toml": "[routing]\naccess_speed = { bus = 20 }\n",
          "key": "routing.access_speed.bus", "range": "Unbekannter Eintrag"}),
    Case("reg-access-not-table", "routing.access_speed = 5 (one number for all modes)",
         "ConfigError: wrong type, a table per mode",
         {"toml": "[routing]\naccess_speed = 5\n", "key": "routing.access_speed",
          "range": "walk = 4.5"}),
    Case("reg-ferry-negative", "routing.ferry_wait_min = -5", "ConfigError: out of range 0 … 45",
         {"toml": "[routing]\nferry_wait_min = -5\n", "key": "routing.ferry_wait_min",
          "range": "0 … 45"}),
    Case("reg-ferry-nan", "routing.ferry_wait_min = nan", "ConfigError: out of range",
         {"toml": "[routing]\nferry_wait_min = nan\n", "key": "routing.ferry_wait_min",
          "range": "0 … 45"}),
    Case("reg-ferry-day", "routing.ferry_wait_min = 1440", "ConfigError: out of range 0 … 45",
         {"toml": "[routing]\nferry_wait_min = 1440\n", "key": "routing.ferry_wait_min",
          "range": "0 … 45"}),
    Case("reg-ferry-text", 'routing.ferry_wait_min = "10 min"', "ConfigError: wrong type",
         {"toml": '[routing]\nferry_wait_min = "10 min"\n', "key": "routing.ferry_wait_min",
          "range": "0 and 45"}),
    Case("reg-ferry-bool", "routing.ferry_wait_min = true", "ConfigError: wrong type",
         {"toml": "[routing]\nferry_wait_min = true\n", "key": "routing.ferry_wait_min",
          "range": "0 and 45"}),
    Case("reg-path-nul", 'network = "netz\\u0000.osm.pbf" (NUL character)',
         "ConfigError: wrong type, a path string (was ValueError later)",
         {"toml": '[inputs]\nnetwork = "netz\\u0000.osm.pbf"\n', "key": "network",
          "range": "NUL"}),
    Case("reg-path-empty", 'boundaries = "" (empty path: the region folder itself)',
         "ConfigError: wrong type, a path string",
         {"toml": '[inputs]\nboundaries = ""\n', "key": "boundaries", "range": "not empty"}),
    Case("reg-nested-thresholds", "thresholds.kita.car = [[[[1]]]] (lists in a threshold)",
         "ConfigError: nested too deeply (at most 6 levels)",
         {"toml": "[thresholds]\nkita = { car = [[[[1]]]] }\n",
          "key": "thresholds.kita.car[1][1][1]", "range": "höchstens 6 Ebenen"}),
    Case("reg-nested-dotted-header", "a table header with 10 000 dotted parts [a.a.a…]",
         "ConfigError: nested too deeply (not an unknown-key message 10 000 levels down)",
         {"toml": "[" + ".".join(["a"] * 10_000) + "]\n", "key": "a.a.a.a.a.a",
          "range": "höchstens 6 Ebenen"}),
]  # fmt: skip


@pytest.mark.parametrize("case", REGION_VALUE_CASES, ids=lambda c: c.id)
def test_absurd_region_value(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "region.toml"
    path.write_text(case.data["toml"], "utf-8")
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(path)
    assert_clear_error(info.value, ConfigError, file="region.toml", column=case.data["key"])
    assert case.data["range"] in info.value.german + str(info.value), info.value.german
    assert len(str(info.value)) < 400  # no 400-digit number or 10 000-level dump in the message


# TOML the parser itself cannot take: the error names the file (no key exists yet)
REGION_FILE_CASES = [
    Case("reg-file-deep-arrays", "x = 10 000 nested arrays",
         "ConfigError: nested too deeply (was RecursionError, exit 1)",
         {"toml": f"x = {DEEP_ARRAY}\n"}),
    Case("reg-file-deep-inline-tables", "x = 10 000 nested inline tables",
         "ConfigError: nested too deeply (was RecursionError)",
         {"toml": f"x = {DEEP_TABLE}\n"}),
    Case("reg-file-deep-in-routing", "[routing] cutoff_minutes = 10 000 nested arrays",
         "ConfigError: nested too deeply (was RecursionError)",
         {"toml": f"[routing]\ncutoff_minutes = {DEEP_ARRAY}\n"}),
]  # fmt: skip


@pytest.mark.parametrize("case", REGION_FILE_CASES, ids=lambda c: c.id)
def test_region_file_nested_beyond_any_use(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "region.toml"
    path.write_text(case.data["toml"], "utf-8")
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(path)
    assert_clear_error(info.value, ConfigError, file="region.toml")
    assert "verschachtelt" in info.value.german


def _routing(**kw: Any) -> Callable[[], Settings]:
    return lambda: Settings(routing=RoutingOptions(**kw))


# Settings built in code (dashboard, CLI flags): the same checks without a file
SETTINGS_CASES = [
    Case("set-cutoff-400-digits", "RoutingOptions(cutoff_minutes=10**400)",
         "ConfigError naming routing.cutoff_minutes (was OverflowError)",
         {"build": _routing(cutoff_minutes=10**400), "key": "routing.cutoff_minutes"}),
    Case("set-access-mode-missing", "RoutingOptions(access_speed={'car': 15})",
         "ConfigError naming routing.access_speed.bike",
         {"build": _routing(access_speed={"car": 15.0}), "key": "routing.access_speed.bike"}),
    Case("set-ferry-inf", "RoutingOptions(ferry_wait_min=inf)",
         "ConfigError naming routing.ferry_wait_min",
         {"build": _routing(ferry_wait_min=float("inf")), "key": "routing.ferry_wait_min"}),
    Case("set-age-sum", "Settings(age_shares=…) adding up to 1.35",
         "ConfigError naming age_shares",
         {"build": lambda: Settings(age_shares={"0-3": 0.15, "3-6": 0.15, "6-10": 0.2,
                                                "10-18": 0.4, "18-27": 0.45}),
          "key": "age_shares"}),
]  # fmt: skip


@pytest.mark.parametrize("case", SETTINGS_CASES, ids=lambda c: c.id)
def test_absurd_settings_in_code(case: Case) -> None:
    with pytest.raises(ConfigError) as info:
        case.data["build"]()
    assert_clear_error(info.value, ConfigError, file=None, column=case.data["key"])


REGION_CLI_CASES = [
    Case("reg-cli-400-digits", "analyse --config with a 401-digit cutoff_minutes",
         "exit 2, one German line naming region.toml and the key",
         {"toml": f"[routing]\ncutoff_minutes = {BIG}\n", "key": "routing.cutoff_minutes"}),
    Case("reg-cli-deep-arrays", "analyse --config with 10 000 nested arrays",
         "exit 2, one German line naming region.toml (was exit 1)",
         {"toml": f"x = {DEEP_ARRAY}\n", "key": None}),
    Case("reg-cli-age-sum", "analyse --config with age shares adding up to 1.35",
         "exit 2, one German line naming age_shares",
         {"toml": '[age_shares]\n"0-3" = 0.15\n"3-6" = 0.15\n"6-10" = 0.2\n"10-18" = 0.4\n'
                  '"18-27" = 0.45\n', "key": "age_shares"}),
    Case("reg-cli-access-text", 'analyse --config with access_speed walk = "4,5"',
         "exit 2, one German line naming routing.access_speed.walk",
         {"toml": '[routing]\naccess_speed = { walk = "4,5" }\n',
          "key": "routing.access_speed.walk"}),
    Case("reg-cli-ferry-nan", "analyse --config with ferry_wait_min = nan",
         "exit 2, one German line naming routing.ferry_wait_min",
         {"toml": "[routing]\nferry_wait_min = nan\n", "key": "routing.ferry_wait_min"}),
]  # fmt: skip


@pytest.mark.parametrize("case", REGION_CLI_CASES, ids=lambda c: c.id)
def test_cli_absurd_region_file_is_exit_2_before_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    path = tmp_path / "region.toml"
    path.write_text(case.data["toml"], "utf-8")
    out = tmp_path / "ergebnis"
    code = main(["analyse", "-q", "--config", str(path), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    assert err[0].startswith("erreichbarkeit: Fehler: Datei region.toml")
    if case.data["key"]:
        assert f"Eintrag „{case.data['key']}“" in err[0]
    assert "Traceback" not in err[0]
    assert not out.exists()  # refused before any work
