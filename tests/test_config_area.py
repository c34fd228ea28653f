"""The analysis area of a region file (``[area]``) and the list of extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from erreichbarkeit.config import AnalysisArea, Settings

HSK = {"kreis": "05958", "extract_url": "https://example.org/arnsberg.osm.pbf"}


def test_area_from_region_file(tmp_path: Path) -> None:
    path = tmp_path / "region.toml"
    path.write_text(
        '[region]\nname = "Hochsauerlandkreis"\n'
        '[source]\nkreis = "05958"\nextract_url = "a.osm.pbf"\n'
        '[area]\nname = "Kreisjugendamt Hochsauerlandkreis"\n'
        'ags = ["05958008", "05958012"]\ngemeinden = ["Winterberg"]\n'
        'source = "LWL-Landesjugendamt"\n',
        encoding="utf-8",
    )
    settings = Settings.from_toml(path)
    area = settings.analysis_area()
    assert area == AnalysisArea(
        name="Kreisjugendamt Hochsauerlandkreis",
        ags=("05958008", "05958012"),
        gemeinden=("Winterberg",),
        source="LWL-Landesjugendamt",
    )
    assert settings.area_name == "Kreisjugendamt Hochsauerlandkreis"
    assert settings.name == "Hochsauerlandkreis"


def test_without_area_the_kreis_is_the_area_and_without_kreis_everything() -> None:
    kreis = Settings.from_dict({"region": {"name": "HSK"}, "source": HSK})
    area = kreis.analysis_area()
    assert area is not None
    assert area.ags == ("05958",)
    assert area.covers_key("05958004")
    assert not area.covers_key("05974028")  # Kreis Soest
    assert kreis.area_name == "HSK"
    assert Settings().analysis_area() is None


@pytest.mark.parametrize(
    ("listed", "key", "inside"),
    [
        ("05958", "05958004", True),  # a Kreis key covers its Gemeinden
        ("05958", "059580004004", True),  # … also given as ARS
        ("05958004", "05958004", True),
        ("05958004", "05958040", False),
        ("059580004004", "05958004", True),  # ARS listed, AGS of the village
        ("059580004004", "05958040", False),
        ("05958004", "059580004004", True),  # AGS listed, ARS of the village
        ("05958004", "059580040040", False),
    ],
)
def test_covers_key(listed: str, key: str, inside: bool) -> None:
    assert AnalysisArea(name="x", ags=(listed,)).covers_key(key) is inside


def test_covers_name_ignores_case_and_blanks() -> None:
    area = AnalysisArea(name="x", gemeinden=("Bad  Berleburg",))
    assert area.covers_name("bad berleburg ")
    assert not area.covers_name("Berleburg")


def test_extract_url_takes_one_or_several() -> None:
    one = Settings.from_dict({"source": HSK}).source
    assert one is not None
    assert one.extract_urls == (HSK["extract_url"],)
    assert one.extract_url == HSK["extract_url"]
    many = Settings.from_dict({"source": {**HSK, "extract_url": ["a.pbf", "b.pbf"]}}).source
    assert many is not None
    assert many.extract_urls == ("a.pbf", "b.pbf")
    assert many.extract_url == "a.pbf"


def test_area_and_responsibility_change_the_cache_key(tmp_path: Path) -> None:
    base = Settings.from_dict({"source": HSK})
    with_area = Settings.from_dict({"source": HSK, "area": {"name": "KJA", "ags": ["05958004"]}})
    with_table = Settings.from_dict(
        {"source": HSK, "responsibility": ["z.csv"]}, base_dir=tmp_path
    )
    assert len({base.cache_key(), with_area.cache_key(), with_table.cache_key()}) == 3
    assert with_table.responsibility == (tmp_path / "z.csv",)
