"""Tests of the offline geocoder with hand-made address tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.errors import MissingColumnError
from erreichbarkeit.io.geocode import (
    AddressIndex,
    GeocodeResult,
    normalize_street,
    parse_address,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hauptstraße", "hauptstrasse"),
        ("Hauptstrasse", "hauptstrasse"),
        ("Hauptstr.", "hauptstrasse"),
        ("Hauptstr", "hauptstrasse"),
        ("HAUPTSTRASSE", "hauptstrasse"),
        ("  Lange   Straße ", "langestrasse"),
        ("Lange Str.", "langestrasse"),
        ("Große Brüder-Grimm-Str.", "grossebruedergrimmstrasse"),
        ("Mühlenweg", "muehlenweg"),
        ("Öhrweg", "oehrweg"),
        ("Straßenbahnweg", "strassenbahnweg"),
        ("Str. des 17. Juni", "strassedes17juni"),
        ("Am Markt", "ammarkt"),
        ("Rue de l'Église", "ruedeleglise"),
        # decomposed umlaut (u + combining diaeresis), as some Mac exports write it
        ("Mu\u0308hlenweg", "muehlenweg"),
    ],
)
def test_normalize_street(raw: str, expected: str) -> None:
    assert normalize_street(raw) == expected


@pytest.mark.parametrize(
    ("text", "street", "hnr", "postcode", "city"),
    [
        ("Hauptstr. 3a, 37120 Bovenden", "Hauptstr.", "3a", "37120", "Bovenden"),
        ("Hauptstraße 3, 37120 Bovenden", "Hauptstraße", "3", "37120", "Bovenden"),
        ("37120 Bovenden, Hauptstr. 3a", "Hauptstr.", "3a", "37120", "Bovenden"),
        ("Hauptstraße 3 37120 Bovenden", "Hauptstraße", "3", "37120", "Bovenden"),
        ("Hauptstraße 3 a", "Hauptstraße", "3a", None, None),
        ("Hauptstraße 3-5, D-37120 Bovenden", "Hauptstraße", "3-5", "37120", "Bovenden"),
        ("Am Markt 1, Bovenden", "Am Markt", "1", None, "Bovenden"),
        ("Hauptstraße 3 Bovenden", "Hauptstraße", "3", None, "Bovenden"),
        ("Str. des 17. Juni 12/1", "Str. des 17. Juni", "12/1", None, None),
        ("Lange Str.12,37120 Bovenden", "Lange Str.", "12", "37120", "Bovenden"),
        ("Ahornweg", "Ahornweg", None, None, None),
        ("Ahornweg, 37120 Bovenden", "Ahornweg", None, "37120", "Bovenden"),
        ("  Ahornweg\xa07 ;  ", "Ahornweg", "7", None, None),
    ],
)
def test_parse_address(
    text: str, street: str, hnr: str | None, postcode: str | None, city: str | None
) -> None:
    assert parse_address(text) == {
        "street": street,
        "housenumber": hnr,
        "postcode": postcode,
        "city": city,
    }


def test_parse_address_empty() -> None:
    assert parse_address("  ") == dict.fromkeys(("street", "housenumber", "postcode", "city"))


# Two villages of one Gemeinde share the postcode 37120 and both have a
# Hauptstraße 3 (Bovenden and Lenglern, ~4 km apart); Göttingen has another.
ADDRESSES = pd.DataFrame(
    {
        "street": [
            "Hauptstraße", "Hauptstraße", "Hauptstraße", "Hauptstraße",
            "Hauptstraße", "Bergstraße", "Lange Straße", "Mühlenweg", "Mühlenweg",
            "Hauptstraße",
        ],
        "housenumber": ["3", "3", "5", "3", "3", "1", "2", "7 a", "9", "20"],
        "postcode": [
            "37120", "37120", "37120", "37120", "37079", "37120", None, "37120", "37120",
            "37120",
        ],
        "city": [
            "Bovenden", "Bovenden", "Bovenden", "Lenglern", "Göttingen", "Bovenden",
            "Bovenden", "Bovenden", "Bovenden", "Lenglern",
        ],
        # rows 0/1: the same address twice (node + building), 10 m apart
        "lon": [9.9200, 9.9201, 9.9210, 9.8700, 9.9000, 9.9300, 9.9500, 9.9400, 9.9420, 9.8720],
        "lat": [51.5800, 51.5800, 51.5810, 51.5700, 51.5300, 51.5900, 51.6000, 51.5850, 51.5870,
                51.5720],
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def index() -> AddressIndex:
    return AddressIndex(ADDRESSES)


def test_index_size(index: AddressIndex) -> None:
    assert len(index) == 10


def test_exact_with_postcode_and_city(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstr.", housenumber="3", postcode="37120", city="Bovenden")
    assert res.quality == "Hausnummer"
    assert res.score == 100.0
    # mean of the two Bovenden points (rows 0/1); Lenglern's Hauptstraße 3 has
    # the same postcode but another town
    assert res.lon == pytest.approx(9.92005)
    assert res.lat == pytest.approx(51.58)
    assert res.matched == "Hauptstraße 3, 37120 Bovenden"


def test_city_disambiguates_shared_postcode(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstraße", housenumber="3", postcode=None, city="Lenglern")
    assert (res.quality, res.lon, res.lat) == ("Hausnummer", 9.87, 51.57)


def test_postcode_disambiguates_towns(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstraße", housenumber="3", postcode="37079", city=None)
    assert (res.quality, res.lon, res.lat) == ("Hausnummer", 9.90, 51.53)


def test_ambiguous_without_locality_is_not_placed(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstraße", housenumber="3", postcode=None, city=None)
    assert res.quality == "nicht gefunden"
    assert res.lon is None
    assert "mehrdeutig" in res.note


def test_shared_postcode_without_city_is_ambiguous(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstraße", housenumber="3", postcode="37120", city=None)
    assert res.quality == "nicht gefunden"
    assert "mehrdeutig" in res.note


def test_contradicting_postcode_never_matches(index: AddressIndex) -> None:
    res = index.lookup(street="Bergstraße", housenumber="1", postcode="37083", city=None)
    assert res.quality == "nicht gefunden"
    assert res.lon is None


def test_row_without_postcode_judged_by_city(index: AddressIndex) -> None:
    res = index.lookup(street="Lange Str", housenumber="2", postcode="37120", city="Bovenden")
    assert (res.quality, res.lon, res.lat, res.score) == ("Hausnummer", 9.95, 51.6, 100.0)
    assert res.matched == "Lange Straße 2, Bovenden"


def test_fuzzy_street(index: AddressIndex) -> None:
    res = index.lookup(street="Mülenweg", housenumber="9", postcode="37120", city=None)
    # ratio("muelenweg", "muehlenweg") = 2*9/19 = 94.7
    assert res.quality == "Hausnummer"
    assert res.score == pytest.approx(94.7)
    assert (res.lon, res.lat) == (9.942, 51.587)


def test_fuzzy_does_not_confuse_distinct_names(index: AddressIndex) -> None:
    # "burgstrasse" vs "bergstrasse" is 91 overall, but "burg" vs "berg" only 75
    res = index.lookup(street="Burgstraße", housenumber="1", postcode="37120", city=None)
    assert res.quality == "nicht gefunden"
    assert "Burgstraße" in res.note


def test_housenumber_letter_falls_back(index: AddressIndex) -> None:
    res = index.lookup(street="Bergstraße", housenumber="1b", postcode="37120", city=None)
    assert res.quality == "Hausnummer"
    assert res.score == 90.0
    assert (res.lon, res.lat) == (9.93, 51.59)
    assert res.note == "Hausnummer 1 statt 1b"


def test_housenumber_with_space_in_index(index: AddressIndex) -> None:
    res = index.lookup(street="Mühlenweg", housenumber="7A", postcode="37120", city=None)
    assert (res.quality, res.score, res.lon) == ("Hausnummer", 100.0, 9.94)


def test_housenumber_range_falls_back(index: AddressIndex) -> None:
    res = index.lookup(street="Mühlenweg", housenumber="9-11", postcode=None, city="Bovenden")
    assert (res.quality, res.score, res.lon) == ("Hausnummer", 90.0, 9.942)


def test_street_only(index: AddressIndex) -> None:
    res = index.lookup(street="Mühlenweg", housenumber="99", postcode="37120", city=None)
    assert res.quality == "Straße"
    assert res.lon == pytest.approx(9.941)
    assert res.lat == pytest.approx(51.586)
    assert res.matched == "Mühlenweg, 37120 Bovenden"


def test_street_without_number(index: AddressIndex) -> None:
    res = index.lookup(street="Bergstraße", housenumber=None, postcode=None, city=None)
    assert (res.quality, res.lon, res.lat) == ("Straße", 9.93, 51.59)


def test_street_only_ambiguous_across_villages(index: AddressIndex) -> None:
    # Hauptstraße in 37120 spans Bovenden and Lenglern (~4 km): no centre
    res = index.lookup(street="Hauptstraße", housenumber="99", postcode="37120", city=None)
    assert res.quality == "nicht gefunden"


def test_street_only_in_one_village(index: AddressIndex) -> None:
    res = index.lookup(street="Hauptstraße", housenumber="99", postcode=None, city="Lenglern")
    assert res.quality == "Straße"
    assert res.lon == pytest.approx(9.871)
    assert res.lat == pytest.approx(51.571)


def test_unknown_street(index: AddressIndex) -> None:
    res = index.lookup(street="Gibtsnichtweg", housenumber="1", postcode=None, city=None)
    assert res == GeocodeResult(
        None, None, "nicht gefunden", "", 0.0, "Straße „Gibtsnichtweg“ nicht gefunden"
    )


def test_empty_street(index: AddressIndex) -> None:
    assert index.lookup(street=" ", housenumber="1", postcode=None, city=None).quality == (
        "nicht gefunden"
    )


def test_missing_columns() -> None:
    with pytest.raises(MissingColumnError, match="lat"):
        AddressIndex(ADDRESSES.drop(columns=["lat"]))


def test_rows_without_coordinates_or_street_are_ignored() -> None:
    df = pd.DataFrame(
        {
            "street": ["Ahornweg", None, "Birkenweg"],
            "housenumber": ["1", "2", "3"],
            "postcode": [None, None, None],
            "city": [None, None, None],
            "lon": [9.0, 9.1, np.nan],
            "lat": [51.0, 51.1, 51.2],
        }
    )
    ix = AddressIndex(df)
    assert len(ix) == 1
    assert ix.lookup(street="Birkenweg", housenumber="3", postcode=None, city=None).quality == (
        "nicht gefunden"
    )
    res = ix.lookup(street="Ahornweg", housenumber="1", postcode="37120", city="Bovenden")
    # the address point carries neither postcode nor town: nothing contradicts
    assert (res.quality, res.lon, res.lat) == ("Hausnummer", 9.0, 51.0)


def test_numeric_postcodes_are_padded() -> None:
    df = pd.DataFrame(
        {
            "street": ["Ahornweg"],
            "housenumber": ["1"],
            "postcode": [1067.0],  # Dresden 01067 read as a number
            "city": ["Dresden"],
            "lon": [13.7],
            "lat": [51.05],
        }
    )
    res = AddressIndex(df).lookup(street="Ahornweg", housenumber="1", postcode="01067", city=None)
    assert (res.quality, res.matched) == ("Hausnummer", "Ahornweg 1, 01067 Dresden")


def test_large_index_lookups_are_correct() -> None:
    # 20 000 synthetic addresses; every looked-up address comes back exactly
    rng = np.random.default_rng(7)
    names = [f"{a}{b}weg" for a in ("Linden", "Eichen", "Birken", "Ahorn", "Rosen")
             for b in ("hof", "tal", "feld", "berg", "au", "wald", "bach", "grund")]  # fmt: skip
    n = 20_000
    df = pd.DataFrame(
        {
            "street": rng.choice(names, n),
            "housenumber": rng.integers(1, 400, n).astype(str),
            "postcode": rng.choice(["37120", "37127", "37130"], n),
            "city": "Ort",
            "lon": rng.uniform(9.0, 10.0, n),
            "lat": rng.uniform(51.0, 52.0, n),
        }
    ).drop_duplicates(["street", "housenumber", "postcode"])
    ix = AddressIndex(df)
    for row in df.sample(50, random_state=3).itertuples():
        res = ix.lookup(
            street=row.street, housenumber=row.housenumber, postcode=row.postcode, city=None
        )
        assert (res.quality, res.lon, res.lat) == ("Hausnummer", row.lon, row.lat)
