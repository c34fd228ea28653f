"""The offices and the further offer types of the category table (issue #12, item 3).

Jugendamt, Jobcenter, Rathaus, Gesundheitsamt, Kreisverwaltung,
Frühförderstelle, Erziehungsberatung, Schwangerschaftsberatung,
Familienbildungsstätte and Kindertagespflege: each loads with its label,
thresholds and departure window, planners' spellings find it, and every
spelling names one category only.
"""

from __future__ import annotations

import re

import pytest

from erreichbarkeit.config import Settings, load_categories
from erreichbarkeit.config.categories import category_name_key
from erreichbarkeit.config.constants import AGE_GROUPS
from erreichbarkeit.io._cells import key
from erreichbarkeit.io._offer_rows import CategoryMatcher
from erreichbarkeit.webmap.assets import _fa_svg

CATS = load_categories()

# key → (label, thresholds car/bike/walk/pt, pt_window in minutes after midnight)
NEW = {
    "jugendamt": ("Jugendamt", (30, 45, 60, 60), (8 * 60 + 30, 11 * 60 + 30)),
    "jobcenter": ("Jobcenter", (30, 45, 60, 60), (8 * 60, 11 * 60)),
    "rathaus": ("Rathaus", (15, 20, 30, 30), (8 * 60 + 30, 11 * 60 + 30)),
    "gesundheitsamt": ("Gesundheitsamt", (30, 45, 60, 60), (8 * 60, 11 * 60)),
    "kreisverwaltung": ("Kreisverwaltung", (30, 45, 60, 60), (8 * 60, 11 * 60)),
    "fruehfoerderung": ("Frühförderstelle", (20, 30, 45, 45), (8 * 60 + 30, 11 * 60 + 30)),
    "erziehungsberatung": ("Erziehungsberatung", (20, 30, 45, 45), (13 * 60 + 30, 16 * 60 + 30)),
    "schwangerschaftsberatung": (
        "Schwangerschaftsberatung",
        (20, 30, 45, 45),
        (8 * 60 + 30, 11 * 60 + 30),
    ),
    "familienbildung": ("Familienbildungsstätte", (20, 30, 45, 45), (8 * 60 + 30, 11 * 60 + 30)),
    "kindertagespflege": ("Kindertagespflege", (10, 15, 20, 20), (6 * 60 + 30, 8 * 60)),
}
OLD = (
    "kita",
    "familienzentrum",
    "hebamme",
    "kinderarzt",
    "beratung",
    "jugendzentrum",
    "grundschule",
    "schule",
    "bibliothek",
)


@pytest.mark.parametrize("cat_key", sorted(NEW))
def test_new_category_loads(cat_key: str) -> None:
    label, (car, bike, walk, pt), window = NEW[cat_key]
    cat = CATS[cat_key]
    assert cat.label == label
    assert dict(cat.thresholds) == {"car": car, "bike": bike, "walk": walk, "pt": pt}
    assert cat.pt_window == window
    assert cat.age_groups
    assert set(cat.age_groups) <= set(AGE_GROUPS)
    assert re.fullmatch(r"#[0-9a-f]{6}", cat.color)


def test_existing_categories_are_kept() -> None:
    assert set(CATS) == set(OLD) | set(NEW)
    assert CATS["beratung"].label == "Beratungsstelle"
    assert CATS["familienzentrum"].label == "Familienzentrum"


def test_thresholds_stay_within_the_default_routing_cutoff() -> None:
    settings = Settings()  # validates every threshold against the cutoff
    cutoff = settings.routing.cutoff_minutes
    for cat in CATS.values():
        assert max(cat.thresholds.values()) <= cutoff, cat.key


def test_icons_exist_offline_and_styles_are_distinct() -> None:
    icons = [c.icon for c in CATS.values()]
    colors = [c.color.lower() for c in CATS.values()]
    assert len(set(icons)) == len(icons)
    assert len(set(colors)) == len(colors)
    pytest.importorskip("xstatic.pkg.font_awesome")
    missing = [c.key for c in CATS.values() if _fa_svg(c.icon) is None]
    assert not missing  # every icon is in the offline Font Awesome wheel


def test_orders_are_unique_and_specific_rules_come_first() -> None:
    orders = [c.order for c in CATS.values()]
    assert len(set(orders)) == len(orders)
    for specific in ("erziehungsberatung", "schwangerschaftsberatung", "jugendamt", "jobcenter"):
        assert CATS[specific].order < CATS["beratung"].order
    assert CATS["kreisverwaltung"].order < CATS["rathaus"].order


def test_categories_without_osm_tag() -> None:
    # OSM has no good tag for these: their offers come from the offer list only
    no_rule = {k for k, c in CATS.items() if not c.osm}
    assert no_rule == {"kindertagespflege", "fruehfoerderung", "familienbildung"}


def test_one_tag_rules_have_specific_values() -> None:
    # OpenMapTiles POIs match one-tag rules by value alone (subclass), so a
    # one-tag rule with a generic value would catch unrelated POIs
    for cat in CATS.values():
        for rule in cat.osm:
            if len(rule) == 1:
                value = next(iter(rule.values()))
                assert value not in {"*", "yes", "no", "family", "public"}, (cat.key, rule)


def test_familienbildungsstaette_has_its_own_category() -> None:
    assert "Familienbildungsstätte" not in CATS["familienzentrum"].aliases
    assert CATS["familienbildung"].label == "Familienbildungsstätte"
    generic = {a.casefold() for a in CATS["beratung"].aliases}
    assert not generic & {"erziehungsberatung", "schwangerschaftsberatung", "familienberatung"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jugendamt", "jugendamt"),
        ("Kreisjugendamt", "jugendamt"),
        ("Amt für Jugend und Familie", "jugendamt"),
        ("Jobcenter", "jobcenter"),
        ("Job-Center", "jobcenter"),
        ("Rathaus", "rathaus"),
        ("Bürgerbüro", "rathaus"),
        ("Bürgeramt", "rathaus"),
        ("Gemeindeverwaltung", "rathaus"),
        ("Gesundheitsamt", "gesundheitsamt"),
        ("Kreisverwaltung", "kreisverwaltung"),
        ("Kreishaus", "kreisverwaltung"),
        ("Landratsamt", "kreisverwaltung"),
        ("Frühförderstelle", "fruehfoerderung"),
        ("Frühförderung", "fruehfoerderung"),
        ("Erziehungsberatung", "erziehungsberatung"),
        ("Erziehungs- und Familienberatung", "erziehungsberatung"),
        ("Familienberatung", "erziehungsberatung"),
        ("Schwangerschaftsberatung", "schwangerschaftsberatung"),
        ("Schwangerschaftskonfliktberatung", "schwangerschaftsberatung"),
        ("Familienbildungsstätte", "familienbildung"),
        ("Familienbildung", "familienbildung"),
        ("Kindertagespflege", "kindertagespflege"),
        ("Tagesmutter", "kindertagespflege"),
        ("Tagespflegeperson", "kindertagespflege"),
        ("Großtagespflege", "kindertagespflege"),
        # the existing spellings keep their categories
        ("Beratungsstelle", "beratung"),
        ("Jugendberatung", "beratung"),
        ("Familienzentrum", "familienzentrum"),
        ("Kindergarten", "kita"),
        # typos still find their category
        ("Jugendamd", "jugendamt"),
        ("Tagesmuter", "kindertagespflege"),
    ],
)
def test_alias_maps_to_category(value: str, expected: str) -> None:
    found, _score, _suggestion = CategoryMatcher(CATS).match(value)
    assert found == expected


def test_no_spelling_names_two_categories() -> None:
    owners: dict[str, set[str]] = {}
    for cat in CATS.values():
        for name in (cat.key, cat.label, *cat.aliases):
            owners.setdefault(key(name), set()).add(cat.key)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared


def test_loader_key_is_the_offer_readers_key() -> None:
    # the loader's duplicate check normalises as the offer readers do
    for cat in CATS.values():
        for name in (cat.key, cat.label, *cat.aliases):
            assert category_name_key(name) == key(name)
    for sample in ("Kinder- und Jugendarzt (Praxis)", "Großtagespflege", "ÖGD", "Job-Center"):
        assert category_name_key(sample) == key(sample)
