"""Bookmarkable views (``erreichbarkeit.ui.url_state``), without a server."""

from __future__ import annotations

from pathlib import Path

from erreichbarkeit.ui.url_state import (
    RegionOptions,
    parse_query,
    parse_region,
    region_slug,
    state_query,
)

OPTIONS = RegionOptions(
    categories=("kita", "jugend"),
    modes=("car", "walk"),
    max_minutes=90.0,
    gemeinden=frozenset({"03159001"}),
    villages=frozenset({"v1", "v2"}),
)


def test_region_slug() -> None:
    assert region_slug(Path("/data/regions/goettingen/region.toml")) == "goettingen"
    assert region_slug(Path("/data/generated/beispielkreis/jugendamt.toml")) == "jugendamt"


def test_region_from_the_url() -> None:
    slugs = {"goettingen": "/data/regions/goettingen/region.toml"}
    assert parse_region({"region": "goettingen"}, slugs).state == {"region": slugs["goettingen"]}
    assert parse_region({}, slugs).state == {}
    bad = parse_region({"region": "atlantis"}, slugs)
    assert bad.state == {}
    assert bad.problems == [
        "Der Link enthält für „Region“ den unbekannten Wert „atlantis“; "
        "es gilt die erste Region der Liste."
    ]


def test_a_full_bookmark_sets_every_choice() -> None:
    params = {
        "kategorie": "jugend,kita",
        "verkehrsmittel": "walk",
        "alter": "3-6",
        "schwelle": "jugend:25,kita:12",
        "gemeinde": "03159001",
        "ort": "v2",
    }
    parsed = parse_query(params, OPTIONS, default_mode="car")
    assert parsed.problems == []
    assert parsed.state == {
        "categories": ["jugend", "kita"],
        "mode": "walk",
        "age_group": "3-6",
        "thr_jugend_walk": 25.0,
        "thr_kita_walk": 12.0,
        "extent": "03159001",
        "village": "v2",
    }


def test_bad_values_give_german_hints_and_keep_the_defaults() -> None:
    params = {
        "kategorie": "kita,zahnarzt",
        "verkehrsmittel": "flugzeug",
        "alter": "99",
        "schwelle": "kita:500,jugend:viel,kino:5",
        "gemeinde": "x",
        "ort": "v9",
    }
    parsed = parse_query(params, OPTIONS, default_mode="car")
    assert parsed.state == {"categories": ["kita"]}  # the valid part stays
    assert parsed.problems == [
        "Der Link enthält für „Kategorie“ den unbekannten Wert „zahnarzt“; es gilt die übrige "
        "Auswahl.",
        "Der Link enthält für „Verkehrsmittel“ den unbekannten Wert „flugzeug“; es gilt Auto.",
        "Der Link enthält für „Altersgruppe“ den unbekannten Wert „99“; es gilt die "
        "voreingestellte Altersgruppe.",
        "Der Link enthält für „Gemeinde“ den unbekannten Wert „x“; es gilt das ganze Gebiet.",
        "Der Link enthält für „Ort“ den unbekannten Wert „v9“; es gilt die Übersicht ohne "
        "gewählten Ort.",
        "Der Link enthält für „Schwellenwert“ „kita:500“; erlaubt sind 1 bis 90 Minuten, es "
        "gilt der voreingestellte Wert.",
        "Der Link enthält für „Schwellenwert“ „jugend:viel“; erlaubt sind 1 bis 90 Minuten, es "
        "gilt der voreingestellte Wert.",
        "Der Link enthält für „Schwellenwert“ den unbekannten Wert „kino:5“; es gilt der "
        "voreingestellte Wert.",
    ]


def test_thresholds_use_the_default_mode_and_accept_a_decimal_comma() -> None:
    parsed = parse_query(
        {"schwelle": "kita:7,6", "alter": ["0-3", "6-10"]}, OPTIONS, default_mode="car"
    )
    # „7,6“ splits at the comma: „kita:7“ and „6“ (no category) – the first is used
    assert parsed.state == {"age_group": "6-10", "thr_kita_car": 7.0}
    assert len(parsed.problems) == 1


def test_state_to_url_and_back() -> None:
    state = {
        "categories": ["kita", "jugend"],
        "mode": "walk",
        "age_group": "3-6",
        "thr_kita_walk": 12.0,
        "thr_jugend_walk": 25.0,
        "thr_kita_car": 10.0,  # another mode: not in the URL
        "extent": "",
        "village": None,
    }
    query = state_query(state, region="goettingen")
    assert query == {
        "region": "goettingen",
        "kategorie": "kita,jugend",
        "verkehrsmittel": "walk",
        "alter": "3-6",
        "schwelle": "kita:12,jugend:25",
    }
    back = parse_query(query, OPTIONS, default_mode="car")
    assert back.problems == []
    assert back.state == {
        "categories": ["kita", "jugend"],
        "mode": "walk",
        "age_group": "3-6",
        "thr_kita_walk": 12.0,
        "thr_jugend_walk": 25.0,
    }
