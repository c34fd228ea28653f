"""Settings and region files: typos, wrong types, absurd values, derived values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from erreichbarkeit.config import (
    DEFAULT_AGE_SHARES,
    Settings,
    age_column,
    load_categories,
)
from erreichbarkeit.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "region.toml"
    path.write_text(text, "utf-8")
    return path


def test_defaults_and_threshold_lookup() -> None:
    s = Settings()
    assert s.modes == ("car", "bike", "walk")
    assert s.threshold("kita", "car") == 10.0  # categories.toml default
    assert s.threshold("kita", "walk") == 20.0
    assert s.age_shares == DEFAULT_AGE_SHARES


def test_region_file_with_sections_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[region]
name = "Testkreis"
kreis = "05958"
[source]
extract_url = "https://example.invalid/x.osm.pbf"
[inputs]
network = "netz/roads.osm.pbf"
offers = ["osm", "angebote.csv"]
modes = ["car", "walk"]
grid_cell_m = 250
[thresholds]
kita = { car = 12 }
[age_shares]
"0-3" = 0.03
[routing]
algorithm = { walk = "ch" }
max_snap_m = 300
[attribution]
boundaries = "eigene Grenzen"
""",
    )
    s = Settings.from_toml(path)
    assert s.name == "Testkreis"
    assert s.network == tmp_path / "netz" / "roads.osm.pbf"
    assert s.offers == ("osm", str(tmp_path / "angebote.csv"))
    assert s.modes == ("car", "walk")
    assert s.threshold("kita", "car") == 12.0
    assert s.threshold("kita", "walk") == 20.0  # not overridden
    assert s.age_shares["0-3"] == 0.03
    assert s.age_shares["3-6"] == DEFAULT_AGE_SHARES["3-6"]  # merged with defaults
    assert s.routing.algorithm["walk"] == "CH"
    assert s.routing.algorithm["car"] == "CH"
    assert s.routing.max_snap_m == 300.0
    assert s.source is not None
    assert s.source.kreis == "05958"
    assert s.grid_cell_m == 250.0
    assert s.attribution["boundaries"] == "eigene Grenzen"


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ('[inputs]\nnetwrk = "x.osm"\n', "netwrk", "network"),
        ("[tresholds]\nkita = { car = 10 }\n", "tresholds", "thresholds"),
        ("[thresholds]\nkitta = { car = 10 }\n", "thresholds.kitta", "kita"),
        ("[thresholds]\nkita = { auto = 10 }\n", "thresholds.kita.auto", None),
        ("[routing]\ncutof_minutes = 60\n", "routing.cutof_minutes", "cutoff_minutes"),
        ('[attribution]\nboundary = "x"\n', "attribution.boundary", "boundaries"),
    ],
)
def test_unknown_keys_name_the_key_and_suggest(
    tmp_path: Path, text: str, key: str, hint: str | None
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, text))
    err = info.value
    assert err.column == key
    assert err.file is not None
    assert err.file.endswith("region.toml")
    if hint:
        assert hint in str(err)
        assert hint in err.german


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('modes = "boat"\n', "modes"),
        ('[thresholds]\nkita = { car = "zehn" }\n', "thresholds.kita.car"),
        ("[thresholds]\nkita = { car = 0 }\n", "thresholds.kita.car"),
        ("[thresholds]\nkita = { car = 1000 }\n", "thresholds.kita.car"),
        ('[age_shares]\n"0-3" = 1.5\n', "age_shares.0-3"),
        ("[routing]\nmax_snap_m = -1\n", "routing.max_snap_m"),
        ('[routing]\nalgorithm = { car = "fast" }\n', "routing.algorithm"),
        ("[routing]\nspeeds = { car = { track = 500 } }\n", "routing.speeds.car.track"),
        ("[inputs]\nnetwork = 5\n", "network"),
        ("grid_cell_m = 5\n", "grid_cell_m"),
        ("geocode_accept_street = 1\n", "geocode_accept_street"),
        ('[source]\nkreis = "5958"\nextract_url = "x"\n', "source.kreis"),
    ],
)
def test_wrong_types_and_absurd_values(tmp_path: Path, text: str, column: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, text))
    assert info.value.column == column
    assert info.value.german  # a German message for the dashboard


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.from_toml(write(tmp_path, "[inputs\nnetwork = 1"))
    with pytest.raises(ConfigError, match="not found"):
        Settings.from_toml(tmp_path / "nope.toml")


def test_duplicate_modes_are_rejected() -> None:
    with pytest.raises(ConfigError, match="twice"):
        Settings(modes=("car", "car"))


def test_threshold_above_cutoff_is_rejected_and_cutoff_can_be_raised(tmp_path: Path) -> None:
    text = "[thresholds]\nkita = { walk = 120 }\n"
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, text))
    assert info.value.column == "thresholds.kita.walk"
    assert "cutoff" in str(info.value)
    s = Settings.from_toml(write(tmp_path, text), routing_overrides={"cutoff_minutes": 150})
    assert s.threshold("kita", "walk") == 120.0
    assert s.routing.cutoff_minutes == 150.0


def test_cache_key_changes_with_content_only() -> None:
    a = Settings(name="A")
    assert a.cache_key() == Settings(name="A").cache_key()
    assert a.cache_key() != Settings(name="B").cache_key()
    assert a.cache_key() != a.replace(modes=("car",)).cache_key()


def test_custom_category_file_is_parsed_once_and_reread_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "kategorien.toml"
    path.write_text(
        '[treff]\nlabel = "Treff"\nthresholds = { car = 10, bike = 15, walk = 20 }\n'
        'age_groups = ["10-18"]\n',
        "utf-8",
    )
    s = Settings(categories_file=path)
    first = s.categories()
    assert list(first) == ["treff"]
    assert s.categories() is first  # cached: threshold lookups do not re-parse the file
    path.write_text(
        '[treff]\nlabel = "Jugendtreff"\nthresholds = { car = 12, bike = 15, walk = 20 }\n'
        'age_groups = ["10-18"]\n',
        "utf-8",
    )
    import os

    os.utime(path, ns=(1, 2_000_000_000_000_000_000))  # a clearly newer modification time
    assert load_categories(path)["treff"].label == "Jugendtreff"


def test_incomplete_category_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "kategorien.toml"
    path.write_text('[treff]\nlabel = "Treff"\n', "utf-8")
    with pytest.raises(ConfigError, match="treff"):
        load_categories(path)


def test_alias_of_two_categories_is_a_config_error(tmp_path: Path) -> None:
    # an offer list could not tell the two apart: "Familien-Bildungsstätte" and
    # "Familienbildungsstätte" have one comparison key
    path = tmp_path / "kategorien.toml"
    path.write_text(
        '[fz]\nlabel = "Familienzentrum"\nthresholds = { car = 10, bike = 15, walk = 20 }\n'
        'age_groups = ["0-3"]\naliases = ["Familienbildungsstätte"]\n'
        '[fbs]\nlabel = "Familien-Bildungsstätte"\n'
        'thresholds = { car = 10, bike = 15, walk = 20 }\nage_groups = ["0-3"]\n',
        "utf-8",
    )
    with pytest.raises(ConfigError, match="belongs to both 'fz' and 'fbs'") as info:
        load_categories(path)
    assert info.value.column == "fbs"
    assert "zwei Kategorien" in info.value.message_de


def test_age_column_names() -> None:
    assert age_column("0-3") == "children_0_3"
    assert age_column("18-27") == "children_18_27"
    with pytest.raises(ConfigError):
        age_column("3-5")


def test_readme_region_example_is_valid(tmp_path: Path) -> None:
    """The full region file in the README parses (docs cannot drift from the code)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    start = readme.index('```toml\n[region]\nname = "Landkreis Göttingen"')
    block = readme[start + len("```toml\n") : readme.index("```\n", start + 10)]
    s = Settings.from_toml(write(tmp_path, block))
    assert s.name == "Landkreis Göttingen"
    assert s.source is not None
    assert s.source.kreis == "03159"
    assert s.threshold("kinderarzt", "car") == 20.0
    assert s.routing.speeds["bike"]["track"] == 10.0


def test_empty_offer_sources_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, "[inputs]\noffers = []\n"))
    assert info.value.column == "offers"


def test_every_settings_field_is_a_region_file_key() -> None:
    """Each field has a parser: a wrong value is a type error, never an unknown key."""
    for f in dataclasses.fields(Settings):
        with pytest.raises(ConfigError) as info:
            Settings.from_dict({f.name: object()})
        assert info.value.column == f.name
        assert "unknown key" not in str(info.value)


def test_access_speed_and_ferry_wait_defaults_and_region_file(tmp_path: Path) -> None:
    default = Settings().routing
    assert dict(default.access_speed) == {"car": 15.0, "bike": 12.0, "walk": 4.5}
    assert default.ferry_wait_min == 10.0
    path = write(tmp_path, "[routing]\naccess_speed = { walk = 4 }\nferry_wait_min = 0\n")
    s = Settings.from_toml(path)
    # modes not given keep the default speed
    assert dict(s.routing.access_speed) == {"car": 15.0, "bike": 12.0, "walk": 4.0}
    assert s.routing.ferry_wait_min == 0.0
    assert s.cache_key() != Settings().cache_key()  # cached runs are keyed on them


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[routing]\naccess_speed = { walk = 0 }\n", "routing.access_speed.walk"),
        ("[routing]\naccess_speed = { car = 120 }\n", "routing.access_speed.car"),
        ("[routing]\naccess_speed = { bus = 5 }\n", "routing.access_speed.bus"),
        ("[routing]\nferry_wait_min = -1\n", "routing.ferry_wait_min"),
        ("[routing]\nferry_wait_min = 90\n", "routing.ferry_wait_min"),
    ],
)
def test_access_speed_and_ferry_wait_are_range_checked(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, text))
    assert info.value.column == key
    assert "region.toml" in str(info.value)


def test_age_shares_may_not_add_up_to_more_than_everyone() -> None:
    ok = dict(DEFAULT_AGE_SHARES)
    assert Settings(age_shares=ok).age_shares == ok
    # each within its per-year limit (5 % per year of age), together 1.35
    too_many = {"0-3": 0.15, "3-6": 0.15, "6-10": 0.2, "10-18": 0.4, "18-27": 0.45}
    with pytest.raises(ConfigError) as info:
        Settings(age_shares=too_many)
    assert info.value.column == "age_shares"
    assert "1.35" in info.value.message_de
    # a single group with 40 % of the population under three is absurd
    with pytest.raises(ConfigError) as info:
        Settings(age_shares={**ok, "0-3": 0.4})
    assert info.value.column == "age_shares.0-3"
    assert Settings(age_shares={**ok, "0-3": 0.15}).age_shares["0-3"] == 0.15  # the limit
