"""Bad region files, thresholds, scenario files and command lines → clear errors.

Region files: every typo, wrong type or absurd value is a :class:`ConfigError`
naming the file and the dotted key.  Scenario files: a
:class:`ScenarioFileError` naming the file and the key (``changes[1].lon``).
The command line answers bad input with exit code 2 and one German line.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erreichbarkeit.cli.main import main
from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ConfigError, ErreichbarkeitError, ScenarioFileError
from erreichbarkeit.planning.scenarios import load_scenario

from .test_bad_inputs_common import Case, assert_clear_error

# --------------------------------------------------------------------------- region files

# (TOML text, dotted key named in the error)
CONFIG_CASES = [
    Case("cfg-typo-top", "top-level key 'tresholds'", "ConfigError naming 'tresholds' + hint",
         {"toml": "[tresholds]\nkita = { car = 10 }\n", "key": "tresholds"}),
    Case("cfg-typo-inputs", "[inputs] key 'netwrk'", "ConfigError naming 'netwrk'",
         {"toml": '[inputs]\nnetwrk = "a.osm.pbf"\n', "key": "netwrk"}),
    Case("cfg-typo-routing", "[routing] key 'max_snap'", "ConfigError naming 'routing.max_snap'",
         {"toml": "[routing]\nmax_snap = 500\n", "key": "routing.max_snap"}),
    Case("cfg-typo-source", "[source] key 'extract'", "ConfigError naming 'source.extract'",
         {"toml": '[source]\nkreis = "03159"\nextract = "x"\n', "key": "source.extract"}),
    Case("cfg-typo-mode-in-thresholds", "thresholds.kita.auto (German mode name)",
         "ConfigError naming 'thresholds.kita.auto'",
         {"toml": "[thresholds]\nkita = { auto = 10 }\n", "key": "thresholds.kita.auto"}),
    Case("cfg-unknown-category", "thresholds.kitas (unknown category)",
         "ConfigError naming 'thresholds.kitas' (did you mean kita)",
         {"toml": "[thresholds]\nkitas = { car = 10 }\n", "key": "thresholds.kitas"}),
    Case("cfg-unknown-age-group", "age_shares '0-6'", "ConfigError naming 'age_shares.0-6'",
         {"toml": '[age_shares]\n"0-6" = 0.05\n', "key": "age_shares.0-6"}),
    Case("cfg-unknown-attribution", "attribution.strassen", "ConfigError naming the key",
         {"toml": '[attribution]\nstrassen = "OSM"\n', "key": "attribution.strassen"}),
    Case("cfg-unknown-mode-routing", "routing.algorithm.bus", "ConfigError naming the key",
         {"toml": '[routing]\nalgorithm = { bus = "CH" }\n', "key": "routing.algorithm.bus"}),
    Case("cfg-threshold-zero", "thresholds.kita.car = 0", "ConfigError: out of range 0.5 … 240",
         {"toml": "[thresholds]\nkita = { car = 0 }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-negative", "thresholds.kita.car = -5", "ConfigError: out of range",
         {"toml": "[thresholds]\nkita = { car = -5 }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-huge", "thresholds.kita.car = 10000", "ConfigError: out of range",
         {"toml": "[thresholds]\nkita = { car = 10000 }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-nan", "thresholds.kita.car = nan", "ConfigError: out of range",
         {"toml": "[thresholds]\nkita = { car = nan }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-inf", "thresholds.kita.car = inf", "ConfigError: out of range",
         {"toml": "[thresholds]\nkita = { car = inf }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-string", 'thresholds.kita.car = "10"', "ConfigError: wrong type",
         {"toml": '[thresholds]\nkita = { car = "10" }\n', "key": "thresholds.kita.car"}),
    Case("cfg-threshold-bool", "thresholds.kita.car = true", "ConfigError: wrong type",
         {"toml": "[thresholds]\nkita = { car = true }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-list", "thresholds.kita.car = [10, 20]", "ConfigError: wrong type",
         {"toml": "[thresholds]\nkita = { car = [10, 20] }\n", "key": "thresholds.kita.car"}),
    Case("cfg-threshold-flat", "thresholds.kita = 10 (no mode table)", "ConfigError: wrong type",
         {"toml": "[thresholds]\nkita = 10\n", "key": "thresholds.kita"}),
    Case("cfg-threshold-above-cutoff", "thresholds.kita.car = 120 with cutoff 90",
         "ConfigError: exceeds the routing cutoff",
         {"toml": "[thresholds]\nkita = { car = 120 }\n", "key": "thresholds.kita.car"}),
    Case("cfg-age-share-above-one", "age_shares '0-3' = 3 (percent, not share)",
         "ConfigError: out of range 0 … 1",
         {"toml": '[age_shares]\n"0-3" = 3\n', "key": "age_shares.0-3"}),
    Case("cfg-age-share-negative", "age_shares '0-3' = -0.1", "ConfigError: out of range",
         {"toml": '[age_shares]\n"0-3" = -0.1\n', "key": "age_shares.0-3"}),
    Case("cfg-age-share-string", 'age_shares "0-3" = "3 %"', "ConfigError: wrong type",
         {"toml": '[age_shares]\n"0-3" = "3 %"\n', "key": "age_shares.0-3"}),
    Case("cfg-snap-zero", "routing.max_snap_m = 0", "ConfigError: out of range",
         {"toml": "[routing]\nmax_snap_m = 0\n", "key": "routing.max_snap_m"}),
    Case("cfg-snap-string", 'routing.max_snap_m = "500 m"', "ConfigError: wrong type",
         {"toml": '[routing]\nmax_snap_m = "500 m"\n', "key": "routing.max_snap_m"}),
    Case("cfg-cutoff-negative", "routing.cutoff_minutes = -1", "ConfigError: out of range",
         {"toml": "[routing]\ncutoff_minutes = -1\n", "key": "routing.cutoff_minutes"}),
    Case("cfg-cutoff-nan", "routing.cutoff_minutes = nan", "ConfigError: out of range",
         {"toml": "[routing]\ncutoff_minutes = nan\n", "key": "routing.cutoff_minutes"}),
    Case("cfg-algorithm-unknown", 'routing.algorithm.car = "fast"', "ConfigError: CH or MLD",
         {"toml": '[routing]\nalgorithm = { car = "fast" }\n', "key": "routing.algorithm"}),
    Case("cfg-algorithm-number", "routing.algorithm.car = 5", "ConfigError: CH or MLD",
         {"toml": "[routing]\nalgorithm = { car = 5 }\n", "key": "routing.algorithm"}),
    Case("cfg-speed-zero", "routing.speeds.car.track = 0", "ConfigError: out of range 1 … 200",
         {"toml": "[routing]\nspeeds = { car = { track = 0 } }\n",
          "key": "routing.speeds.car.track"}),
    Case("cfg-speed-huge", "routing.speeds.bike.track = 500", "ConfigError: out of range",
         {"toml": "[routing]\nspeeds = { bike = { track = 500 } }\n",
          "key": "routing.speeds.bike.track"}),
    Case("cfg-modes-empty", "modes = []", "ConfigError: no mode selected",
         {"toml": "modes = []\n", "key": "modes"}),
    Case("cfg-modes-german", 'modes = ["Auto"]', "ConfigError: unknown mode",
         {"toml": 'modes = ["Auto"]\n', "key": "modes"}),
    Case("cfg-modes-twice", 'modes = ["car", "car"]', "ConfigError: listed twice",
         {"toml": 'modes = ["car", "car"]\n', "key": "modes"}),
    Case("cfg-modes-number", "modes = 3", "ConfigError: wrong type",
         {"toml": "modes = 3\n", "key": "modes"}),
    Case("cfg-offers-number", "offers = 5", "ConfigError: wrong type",
         {"toml": "[inputs]\noffers = 5\n", "key": "offers"}),
    Case("cfg-offers-mixed", 'offers = ["osm", 5]', "ConfigError: wrong type",
         {"toml": '[inputs]\noffers = ["osm", 5]\n', "key": "offers"}),
    Case("cfg-network-number", "network = 5", "ConfigError: wrong type (a path string)",
         {"toml": "[inputs]\nnetwork = 5\n", "key": "network"}),
    Case("cfg-name-number", "name = 5", "ConfigError: wrong type",
         {"toml": "[region]\nname = 5\n", "key": "name"}),
    Case("cfg-region-not-table", 'region = "Göttingen"', "ConfigError: wrong type (a table)",
         {"toml": 'region = "Göttingen"\n', "key": "region"}),
    Case("cfg-grid-too-small", "grid_cell_m = 10", "ConfigError: out of range 50 … 5000",
         {"toml": "grid_cell_m = 10\n", "key": "grid_cell_m"}),
    Case("cfg-grid-string", 'grid_cell_m = "250m"', "ConfigError: wrong type",
         {"toml": 'grid_cell_m = "250m"\n', "key": "grid_cell_m"}),
    Case("cfg-merge-negative", "merge_tolerance_m = -1", "ConfigError: out of range",
         {"toml": "[inputs]\nmerge_tolerance_m = -1\n", "key": "merge_tolerance_m"}),
    Case("cfg-geocode-string", 'geocode_accept_street = "ja"', "ConfigError: true or false",
         {"toml": '[inputs]\ngeocode_accept_street = "ja"\n', "key": "geocode_accept_street"}),
    Case("cfg-area-no-name", "[area] without name", "ConfigError naming 'area.name'",
         {"toml": '[area]\nags = ["05958004"]\n', "key": "area.name"}),
    Case("cfg-area-empty", "[area] name only, no Gemeinde", "ConfigError: lists no Gemeinde",
         {"toml": '[area]\nname = "Kreisjugendamt"\n', "key": "area"}),
    Case("cfg-area-ags-short", '[area] ags = ["5958004"] (leading zero lost)',
         "ConfigError: not a Kreis key, AGS or ARS",
         {"toml": '[area]\nname = "KJA"\nags = ["5958004"]\n', "key": "area.ags"}),
    Case("cfg-area-ags-number", "[area] ags = [5958004] (numbers)", "ConfigError: wrong type",
         {"toml": '[area]\nname = "KJA"\nags = [5958004]\n', "key": "area.ags"}),
    Case("cfg-area-names-string", '[area] gemeinden = "Brilon" (not a list)',
         "ConfigError: wrong type (a list)",
         {"toml": '[area]\nname = "KJA"\ngemeinden = "Brilon"\n', "key": "area.gemeinden"}),
    Case("cfg-area-typo", "[area] key 'gemeinde'", "ConfigError naming 'area.gemeinde'",
         {"toml": '[area]\nname = "KJA"\ngemeinde = ["Brilon"]\n', "key": "area.gemeinde"}),
    Case("cfg-extract-list-empty", "source.extract_url = []", "ConfigError: a URL or a list",
         {"toml": '[source]\nkreis = "05958"\nextract_url = []\n', "key": "source.extract_url"}),
    Case("cfg-extract-list-twice", "source.extract_url lists one URL twice",
         "ConfigError: different URLs",
         {"toml": '[source]\nkreis = "05958"\nextract_url = ["a", "a"]\n',
          "key": "source.extract_url"}),
    Case("cfg-responsibility-number", "responsibility = 5", "ConfigError: wrong type",
         {"toml": "[inputs]\nresponsibility = 5\n", "key": "responsibility"}),
    Case("cfg-kreis-short", 'source.kreis = "3159"', "ConfigError: 5-digit Kreis key",
         {"toml": '[source]\nkreis = "3159"\nextract_url = "x"\n', "key": "source.kreis"}),
    Case("cfg-kreis-number", "source.kreis = 3159 (number: leading zero lost)",
         "ConfigError: a 5-digit string",
         {"toml": '[source]\nkreis = 3159\nextract_url = "x"\n', "key": "source.kreis"}),
    Case("cfg-buffer-huge", "source.buffer_km = 1000", "ConfigError: out of range",
         {"toml": '[source]\nkreis = "03159"\nextract_url = "x"\nbuffer_km = 1000\n',
          "key": "source.buffer_km"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CONFIG_CASES, ids=lambda c: c.id)
def test_bad_region_file(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "region.toml"
    path.write_text(case.data["toml"], "utf-8")
    with pytest.raises(ErreichbarkeitError) as info:
        Settings.from_toml(path)
    assert_clear_error(info.value, ConfigError, file="region.toml", column=case.data["key"])


CONFIG_FILE_CASES = [
    Case("cfg-file-missing", "region file does not exist", "ConfigError: not found",
         {"build": lambda t: t / "region.toml"}),
    Case("cfg-file-directory", "a folder named region.toml", "ConfigError: cannot read",
         {"build": lambda t: (t / "region.toml").mkdir() or t / "region.toml"}),
    Case("cfg-file-syntax", "TOML syntax error (missing quote)", "ConfigError: not valid TOML",
         {"build": lambda t: _w(t, b'[region]\nname = "X\n')}),
    Case("cfg-file-binary", "a binary file named region.toml", "ConfigError: not valid TOML",
         {"build": lambda t: _w(t, bytes(range(256)))}),
    Case("cfg-file-zip", "a ZIP named region.toml", "ConfigError: not valid TOML",
         {"build": lambda t: _w(t, b"PK\x03\x04\x14\x00\x00\x00\x08\x00")}),
    Case("cfg-file-ini", "an INI-style file (name: X)", "ConfigError: not valid TOML",
         {"build": lambda t: _w(t, b"[region]\nname: X\n")}),
    Case("cfg-file-duplicate-key", "the same key twice", "ConfigError: not valid TOML",
         {"build": lambda t: _w(t, b'[region]\nname = "A"\nname = "B"\n')}),
]  # fmt: skip


def _w(tmp: Path, data: bytes) -> Path:
    p = tmp / "region.toml"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", CONFIG_FILE_CASES, ids=lambda c: c.id)
def test_bad_region_file_itself(tmp_path: Path, case: Case) -> None:
    path = case.data["build"](tmp_path)
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(path)
    assert_clear_error(info.value, ConfigError, file="region.toml")


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
    ids=["utf8", "utf8-bom", "cp1252"],
)
def test_region_file_encodings_from_windows_editors(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    path = tmp_path / "region.toml"
    path.write_bytes(prefix + '[region]\nname = "Landkreis Göttingen"\n'.encode(encoding))
    assert Settings.from_toml(path).name == "Landkreis Göttingen"


def test_category_file_broken(tmp_path: Path) -> None:
    cats = tmp_path / "kategorien.toml"
    cats.write_text('[kita]\nlabel = "Kita"\n', "utf-8")  # thresholds, age_groups missing
    path = tmp_path / "region.toml"
    path.write_text('categories_file = "kategorien.toml"\n', "utf-8")
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(path)
    assert_clear_error(info.value, ConfigError, file="kategorien.toml")


_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
_KEYS = st.sampled_from(
    ["name", "network", "modes", "offers", "thresholds", "age_shares", "routing", "source",
     "grid_cell_m", "merge_tolerance_m", "attribution", "region", "inputs", "kita", "car",
     "walk", "max_snap_m", "cutoff_minutes", "algorithm", "0-3", "kreis", "tresholds"]
)  # fmt: skip
_TOMLISH = st.recursive(
    _SCALAR,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_KEYS, children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(raw=st.dictionaries(_KEYS, _TOMLISH, max_size=5))
def test_random_config_dicts_give_settings_or_config_error(raw: dict[str, Any]) -> None:
    try:
        s = Settings.from_dict(raw, base_dir=Path("/tmp"))
    except ConfigError as exc:
        assert exc.message_de
        assert "\n" not in str(exc)
        return
    # valid: every threshold in force is a sane number within the cutoff
    for cat in s.categories():
        for mode in s.modes:
            minutes = s.threshold(cat, mode)
            assert math.isfinite(minutes)
            assert 0.5 <= minutes <= s.routing.cutoff_minutes
    assert all(0 <= v <= 1 for v in s.age_shares.values())


# --------------------------------------------------------------------------- scenario files

_OK_CHANGE = {"kind": "close", "offer_id": "o1"}


def _scenario(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "erreichbarkeit-szenario",
        "version": 1,
        "name": "Test",
        "created": "2024-05-01T10:00:00",
        "changes": [dict(_OK_CHANGE)],
    }
    for key, value in over.items():
        if value is _DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


_DROP = object()


def _change(**over: Any) -> dict[str, Any]:
    change: dict[str, Any] = {"kind": "add", "offer_id": "", "name": "Neu",
                              "category": "kita", "lon": 9.9, "lat": 51.5}  # fmt: skip
    for key, value in over.items():
        if value is _DROP:
            change.pop(key, None)
        else:
            change[key] = value
    return change


SCENARIO_CASES = [
    Case("scn-format-missing", "scenario without 'format'", "ScenarioFileError, key format",
         {"json": _scenario(format=_DROP), "key": "format"}),
    Case("scn-format-wrong", "format 'geojson'", "ScenarioFileError, key format",
         {"json": _scenario(format="geojson"), "key": "format"}),
    Case("scn-top-list", "a JSON list instead of an object", "ScenarioFileError, key format",
         {"json": [_OK_CHANGE], "key": "format"}),
    Case("scn-unknown-top-key", "top-level key 'chnages'", "ScenarioFileError naming 'chnages'",
         {"json": {**_scenario(), "chnages": []}, "key": "chnages"}),
    Case("scn-version-string", 'version "1"', "ScenarioFileError, key version",
         {"json": _scenario(version="1"), "key": "version"}),
    Case("scn-version-zero", "version 0", "ScenarioFileError, key version",
         {"json": _scenario(version=0), "key": "version"}),
    Case("scn-version-bool", "version true", "ScenarioFileError, key version",
         {"json": _scenario(version=True), "key": "version"}),
    Case("scn-version-float", "version 1.5", "ScenarioFileError, key version",
         {"json": _scenario(version=1.5), "key": "version"}),
    Case("scn-version-newer", "version 99", "ScenarioFileError: newer than this program",
         {"json": _scenario(version=99), "key": "version"}),
    Case("scn-name-missing", "no 'name'", "ScenarioFileError, key name",
         {"json": _scenario(name=_DROP), "key": "name"}),
    Case("scn-name-number", "name 5", "ScenarioFileError, key name",
         {"json": _scenario(name=5), "key": "name"}),
    Case("scn-created-null", "created null", "ScenarioFileError, key created",
         {"json": _scenario(created=None), "key": "created"}),
    Case("scn-changes-missing", "no 'changes'", "ScenarioFileError, key changes",
         {"json": _scenario(changes=_DROP), "key": "changes"}),
    Case("scn-changes-object", "changes is an object", "ScenarioFileError, key changes",
         {"json": _scenario(changes={"a": 1}), "key": "changes"}),
    Case("scn-change-not-object", "changes[1] is a string", "ScenarioFileError, key changes[1]",
         {"json": _scenario(changes=["close o1"]), "key": "changes[1]"}),
    Case("scn-change-unknown-key", "changes[1].lng (typo)", "ScenarioFileError naming the key",
         {"json": _scenario(changes=[{**_change(), "lng": 9.9}]), "key": "changes[1].lng"}),
    Case("scn-kind-missing", "changes[1] without kind", "ScenarioFileError, key changes[1].kind",
         {"json": _scenario(changes=[_change(kind=_DROP)]), "key": "changes[1].kind"}),
    Case("scn-kind-unknown", "changes[1].kind 'open'", "ScenarioFileError, key changes[1].kind",
         {"json": _scenario(changes=[_change(kind="open")]), "key": "changes[1].kind"}),
    Case("scn-kind-number", "changes[1].kind 1", "ScenarioFileError, key changes[1].kind",
         {"json": _scenario(changes=[_change(kind=1)]), "key": "changes[1].kind"}),
    Case("scn-id-number", "changes[1].offer_id 17 (number)",
         "ScenarioFileError, key changes[1].offer_id",
         {"json": _scenario(changes=[_change(offer_id=17)]), "key": "changes[1].offer_id"}),
    Case("scn-close-without-id", "second change: close with empty offer_id",
         "ScenarioFileError, key changes[2].offer_id",
         {"json": _scenario(changes=[_OK_CHANGE, {"kind": "close", "offer_id": " "}]),
          "key": "changes[2].offer_id"}),
    Case("scn-lon-string", 'changes[1].lon "9,9"', "ScenarioFileError, key changes[1].lon",
         {"json": _scenario(changes=[_change(lon="9,9")]), "key": "changes[1].lon"}),
    Case("scn-lat-bool", "changes[1].lat true", "ScenarioFileError, key changes[1].lat",
         {"json": _scenario(changes=[_change(lat=True)]), "key": "changes[1].lat"}),
    Case("scn-lon-only", "changes[1] with lon but no lat", "ScenarioFileError, key changes[1].lon",
         {"json": _scenario(changes=[_change(lat=_DROP)]), "key": "changes[1].lon"}),
    Case("scn-name-list", "changes[1].name ['a']", "ScenarioFileError, key changes[1].name",
         {"json": _scenario(changes=[_change(name=["a"])]), "key": "changes[1].name"}),
    Case("scn-category-number", "changes[1].category 3",
         "ScenarioFileError, key changes[1].category",
         {"json": _scenario(changes=[_change(category=3)]), "key": "changes[1].category"}),
    Case("scn-address-number", "changes[1].address 12",
         "ScenarioFileError, key changes[1].address",
         {"json": _scenario(changes=[_change(address=12)]), "key": "changes[1].address"}),
]  # fmt: skip


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=lambda c: c.id)
def test_bad_scenario_file(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "szenario.json"
    path.write_text(json.dumps(case.data["json"]), "utf-8")
    with pytest.raises(ErreichbarkeitError) as info:
        load_scenario(path)
    assert_clear_error(info.value, ScenarioFileError, file="szenario.json", column=case.data["key"])


SCENARIO_TEXT_CASES = [
    Case("scn-text-nan", "changes[1].lon NaN (JSON extension)",
         "ScenarioFileError, key changes[1].lon",
         {"text": json.dumps(_scenario(changes=[_change(lon=0.0)])).replace("0.0", "NaN"),
          "key": "changes[1].lon"}),
    Case("scn-text-infinity", "changes[1].lat Infinity", "ScenarioFileError, key changes[1].lat",
         {"text": json.dumps(_scenario(changes=[_change(lat=0.0)])).replace("0.0", "Infinity"),
          "key": "changes[1].lat"}),
    Case("scn-text-overflow", "changes[1].lon 1e400", "ScenarioFileError, key changes[1].lon",
         {"text": json.dumps(_scenario(changes=[_change(lon=0.0)])).replace("0.0", "1e400"),
          "key": "changes[1].lon"}),
    Case("scn-text-empty", "0-byte scenario file", "ScenarioFileError: not readable JSON",
         {"text": "", "key": None}),
    Case("scn-text-not-json", "'{not json'", "ScenarioFileError: not readable JSON",
         {"text": "{not json", "key": None}),
    Case("scn-text-deep", "200 000 nested brackets", "ScenarioFileError (no RecursionError)",
         {"text": "[" * 200_000, "key": None}),
    Case("scn-text-cp1252", "cp1252 bytes (ö) in the name", "ScenarioFileError: not UTF-8",
         {"bytes": b'{"name": "Gr\xf6\xdfe"}', "key": None}),
    Case("scn-text-too-large", "a 3 MB file", "ScenarioFileError: too large",
         {"text": " " * 3_000_000, "key": None}),
]  # fmt: skip


@pytest.mark.parametrize("case", SCENARIO_TEXT_CASES, ids=lambda c: c.id)
def test_bad_scenario_text(tmp_path: Path, case: Case) -> None:
    path = tmp_path / "szenario.json"
    if "bytes" in case.data:
        path.write_bytes(case.data["bytes"])
    else:
        path.write_text(case.data["text"], "utf-8")
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    key = case.data["key"]
    assert_clear_error(info.value, ScenarioFileError, file="szenario.json", column=key)


def test_scenario_with_bom_from_notepad_is_read(tmp_path: Path) -> None:
    path = tmp_path / "szenario.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_scenario()).encode())
    sc = load_scenario(path)
    assert sc.name == "Test"
    assert [(c.kind, c.offer_id) for c in sc.changes] == [("close", "o1")]


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(tmp_path / "fehlt.json")
    assert_clear_error(info.value, ScenarioFileError, file="fehlt.json")


@settings(max_examples=100, deadline=None)
@given(
    data=st.recursive(
        _SCALAR,
        lambda c: st.one_of(
            st.lists(c, max_size=3),
            st.dictionaries(
                st.sampled_from(["format", "version", "name", "created", "changes", "kind",
                                 "offer_id", "lon", "lat", "category", "address", "x"]),
                c, max_size=5),
        ),
        max_leaves=12,
    )
)  # fmt: skip
def test_random_json_scenarios_give_a_scenario_or_a_file_error(data: Any) -> None:
    if isinstance(data, dict):
        data = {"format": "erreichbarkeit-szenario", **data}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zufall.json"
        path.write_text(json.dumps(data), "utf-8")
        try:
            sc = load_scenario(path)
        except ScenarioFileError as exc:
            assert exc.german.startswith("Datei zufall.json")
            return
    for change in sc.changes:
        for v in (change.lon, change.lat):
            assert v is None or math.isfinite(v)


# --------------------------------------------------------------------------- command line

CLI_CASES = [
    Case("cli-html-network", "analyse --network with an HTML page named .osm.pbf",
         "exit 2, one German line naming the file",
         {"argv": lambda t: ["analyse", "-q", "--network",
                             str(_file(t, "netz.osm.pbf", b"<html>503</html>")),
                             "--out", str(t / "out")], "name": "netz.osm.pbf"}),
    Case("cli-empty-network", "analyse --network with a 0-byte .osm.pbf",
         "exit 2, one German line naming the file",
         {"argv": lambda t: ["analyse", "-q", "--network", str(_file(t, "leer.osm.pbf", b"")),
                             "--out", str(t / "out")], "name": "leer.osm.pbf"}),
    Case("cli-config-nan", "analyse --config with thresholds.kita.car = nan",
         "exit 2, one German line naming region.toml and the key",
         {"argv": lambda t: ["analyse", "-q", "--config",
                             str(_file(t, "region.toml", b"[thresholds]\nkita = {car = nan}\n"))],
          "name": "region.toml"}),
    Case("cli-config-binary", "analyse --config with a binary file",
         "exit 2, one German line naming the file",
         {"argv": lambda t: ["analyse", "-q", "--config",
                             str(_file(t, "region.toml", bytes(range(256))))],
          "name": "region.toml"}),
    Case("cli-config-directory", "analyse --config pointing at a folder",
         "exit 2, one German line naming the folder",
         {"argv": lambda t: ["analyse", "-q", "--config", str(_folder(t, "region.toml"))],
          "name": "region.toml"}),
    Case("cli-zip-network", "analyse --network with a ZIP named .osm.pbf",
         "exit 2, one German line naming the file",
         {"argv": lambda t: ["analyse", "-q", "--network",
                             str(_file(t, "netz2.osm.pbf", b"PK\x03\x04" + bytes(300))),
                             "--out", str(t / "out")], "name": "netz2.osm.pbf"}),
]  # fmt: skip


def _file(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def _folder(tmp: Path, name: str) -> Path:
    p = tmp / name
    p.mkdir()
    return p


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.id)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    code = main(case.data["argv"](tmp_path))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    assert case.data["name"] in err[0]
    assert err[0].startswith("erreichbarkeit: Fehler: Datei ")
    assert "Traceback" not in err[0]
