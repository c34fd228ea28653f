"""The offers for families: where they are, their names and texts, their OSM tags."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from erreichbarkeit.config import Category, load_categories
from erreichbarkeit.demo.layout import DemoLayout
from erreichbarkeit.demo.model import (
    GIVEN,
    SURNAMES,
    Address,
    Gemeinde,
    Offer,
    OsmDraft,
    Place,
    RetryError,
)

__all__ = ["add_pois", "plan_offers"]

# category key → (Träger choices, Altersgruppen, Öffnungszeiten German, OSM)
_OFFER_TEXT: Mapping[str, tuple[tuple[str, ...], str, str, str]] = MappingProxyType({
    "kita": (("Gemeinde", "Ev. Kirchengemeinde", "AWO Kreisverband", "DRK-Kreisverband",
              "Elterninitiative e. V."), "1–6 Jahre", "Mo–Fr 7:00–16:30 Uhr",
             "Mo-Fr 07:00-16:30"),
    "grundschule": (("Landkreis",), "6–10 Jahre", "Mo–Fr 7:45–13:00 Uhr", "Mo-Fr 07:45-13:00"),
    "schule": (("Landkreis",), "10–19 Jahre", "Mo–Fr 7:45–15:30 Uhr", "Mo-Fr 07:45-15:30"),
    "kinderarzt": (("privat",), "0–18 Jahre", "Mo–Fr 8–12 Uhr, Di und Do 15–18 Uhr",
                   "Mo-Fr 08:00-12:00; Tu,Th 15:00-18:00"),
    "hebamme": (("freiberuflich",), "Schwangere, 0–1 Jahr", "nach Vereinbarung", ""),
    "familienzentrum": (("Ev. Familienbildungsstätte", "Gemeinde", "Caritasverband"),
                        "0–10 Jahre und Eltern", "Mo–Do 9–17 Uhr, Fr 9–13 Uhr",
                        "Mo-Th 09:00-17:00; Fr 09:00-13:00"),
    "beratung": (("Landkreis", "Diakonisches Werk", "Caritasverband"), "0–27 Jahre und Eltern",
                 "Mo–Fr 9–15 Uhr und nach Vereinbarung", "Mo-Fr 09:00-15:00"),
    "jugendzentrum": (("Gemeinde", "Kreisjugendring"), "10–27 Jahre", "Di–Sa 14–21 Uhr",
                      "Tu-Sa 14:00-21:00"),
    "bibliothek": (("Gemeinde", "Stadt"), "alle", "Di, Do 14–18 Uhr, Sa 10–12 Uhr",
                   "Tu,Th 14:00-18:00; Sa 10:00-12:00"),
    "erziehungsberatung": (("Landkreis", "Caritasverband", "Diakonisches Werk"),
                           "0–27 Jahre und Eltern", "Mo–Fr 9–16 Uhr nach Vereinbarung",
                           "Mo-Fr 09:00-16:00"),
    "schwangerschaftsberatung": (("pro familia", "Donum Vitae", "Diakonisches Werk"),
                                 "Schwangere und junge Erwachsene", "Mo–Do 9–16 Uhr, Fr 9–12 Uhr",
                                 "Mo-Th 09:00-16:00; Fr 09:00-12:00"),
    "fruehfoerderung": (("Lebenshilfe e. V.",), "0–6 Jahre und Eltern",
                        "Mo–Fr 8–16 Uhr nach Vereinbarung", ""),
    "familienbildung": (("Ev. Familienbildungsstätte e. V.", "Kath. Bildungswerk"),
                        "Eltern mit Kindern von 0–10 Jahren", "Mo–Fr 9–12 Uhr, Mo–Do 15–20 Uhr",
                        ""),
    "kindertagespflege": (("freiberuflich",), "0–3 Jahre", "Mo–Fr 7:30–15 Uhr", ""),
    "rathaus": (("Gemeinde",), "alle", "Mo–Fr 8–12 Uhr, Do 14–18 Uhr",
                "Mo-Fr 08:00-12:00; Th 14:00-18:00"),
    "kreisverwaltung": (("Landkreis",), "alle", "Mo–Fr 8–12 Uhr, Do 14–17 Uhr",
                        "Mo-Fr 08:00-12:00; Th 14:00-17:00"),
    "jugendamt": (("Landkreis",), "0–27 Jahre und Eltern",
                  "Mo–Fr 8–12 Uhr und nach Vereinbarung", "Mo-Fr 08:00-12:00"),
    "gesundheitsamt": (("Landkreis",), "alle", "Mo–Fr 8–12 Uhr", "Mo-Fr 08:00-12:00"),
    "jobcenter": (("Landkreis und Agentur für Arbeit",),
                  "Familien",
                  "Mo–Fr 8–12:30 Uhr, Do 14–17 Uhr", "Mo-Fr 08:00-12:30; Th 14:00-17:00"),
})  # fmt: skip


#: Age text of a Kita by its capacity (others: the category's „1–6 Jahre“).
_KITA_AGES: Mapping[int, str] = MappingProxyType({25: "U3 (Krippe)", 50: "3–6 Jahre"})


# aliases (German spellings planners use) that some rows carry instead of the label
_ALIASES = MappingProxyType(
    {
        "kita": "Kindergarten",
        "kinderarzt": "Kinder- und Jugendarzt",
        "bibliothek": "Bücherei",
        "beratung": "Jugendberatung",
        "schule": "Gymnasium",
        "jugendzentrum": "Jugendtreff",
        "kindertagespflege": "Tagesmutter",
        "rathaus": "Gemeindeverwaltung",
        "kreisverwaltung": "Kreishaus",
        "schwangerschaftsberatung": "Schwangerschaftskonfliktberatung",
    }
)
_KITA_NAMES = (
    "Sonnenschein",
    "Regenbogen",
    "Arche Noah",
    "Pusteblume",
    "Wirbelwind",
    "Spatzennest",
    "Löwenzahn",
    "Kunterbunt",
    "Sternschnuppe",
    "Villa Kunterbunt",
    "Zwergenland",
    "Schatzkiste",
    "Glühwürmchen",
    "Bullerbü",
)
_TAGESPFLEGE_NAMES = ("Kleine Strolche", "Zwergenstube", "Wichtelhaus", "Krümelkiste")


# the Kreisstadt's offers (with the county's offices); then a Kita, a
# Grundschule and the Rathaus per Gemeinde seat
_TOWN_PLAN = (
    ("kita",) * 4
    + ("grundschule",) * 2
    + ("schule",) * 2
    + ("kinderarzt",) * 2
    + ("hebamme", "familienzentrum", "beratung", "jugendzentrum", "bibliothek")
    + ("erziehungsberatung", "schwangerschaftsberatung", "fruehfoerderung")
    + ("rathaus", "kreisverwaltung", "jugendamt", "gesundheitsamt", "jobcenter")
)
# further offers, spread over the Gemeinde seats in random order
_EXTRA_PLAN = (
    "kinderarzt",
    "kinderarzt",
    "hebamme",
    "hebamme",
    "familienzentrum",
    "jugendzentrum",
    "jugendzentrum",
    "bibliothek",
    "bibliothek",
    "schule",
    "familienbildung",
)
# Kindertagespflege (Tagesmütter) in villages beyond the biggest three
_TAGESPFLEGE_FIRST = 3


@dataclass(frozen=True)
class _Names:
    """Shuffled name pools for the offers."""

    kita: list[str]
    surnames: list[str]
    given: list[str]
    tagespflege: list[str]
    county: str  # the county's name


def _offer_plan(
    rng: np.random.Generator, places: list[Place], layout: DemoLayout
) -> list[tuple[int, str]]:
    """``(place index, category)`` of every offer."""
    centres = [i for i, p in enumerate(places) if p.kind == "centre"]
    villages = sorted(
        (i for i, p in enumerate(places) if p.kind == "village"),
        key=lambda i: -places[i].population,
    )
    plan: list[tuple[int, str]] = [(0, c) for c in _TOWN_PLAN]
    for i in centres:
        plan += [(i, "kita"), (i, "grundschule"), (i, "rathaus")]
    extra = _EXTRA_PLAN * layout.extra_offer_rounds
    rounds = max(2, math.ceil(len(extra) / len(centres)))
    for c, i in zip(extra, rng.permutation(centres).tolist() * rounds, strict=False):
        plan.append((int(i), c))
    plan += [(i, "kita") for i in villages[: layout.village_kitas]]
    plan += [(i, "grundschule") for i in villages[: layout.village_schools]]
    tagespflege = villages[_TAGESPFLEGE_FIRST : _TAGESPFLEGE_FIRST + layout.tagespflege_villages]
    plan += [(i, "kindertagespflege") for i in tagespflege]
    return plan


def _addresses_by_place(
    rng: np.random.Generator, addresses: list[Address]
) -> dict[int, list[Address]]:
    """The addresses of every place in random order (offers take them from the end)."""
    by_place: dict[int, list[Address]] = {}
    for a in addresses:
        by_place.setdefault(a.place, []).append(a)
    for i, mine in by_place.items():
        by_place[i] = [mine[k] for k in rng.permutation(len(mine))]
    return by_place


def _traeger(rng: np.random.Generator, cat: str, i: int, place: Place, county: str) -> str:
    """The operator: drawn from the category's choices, Gemeinde/Stadt made concrete."""
    traeger_pool = _OFFER_TEXT[cat][0]
    traeger = traeger_pool[int(rng.integers(len(traeger_pool)))]
    if traeger in ("Gemeinde", "Stadt"):
        return ("Stadt " if i == 0 else "Gemeinde ") + place.name
    if traeger.startswith("Landkreis"):
        return traeger.replace("Landkreis", f"Landkreis {county}", 1)
    return traeger


def _offer_name(
    cat: str, i: int, *, place: Place, n: int, offers: list[Offer], names: _Names
) -> str:
    """The name of the ``n``-th offer (category ``cat`` in place ``i``)."""
    surname = names.surnames[n % len(names.surnames)]
    given = names.given[n % len(names.given)]
    n_kita = sum(o.category == "kita" for o in offers)
    n_school = sum(o.category == "grundschule" for o in offers)
    n_tp = sum(o.category == "kindertagespflege" for o in offers)
    kita = f"Kita {names.kita[n_kita % len(names.kita)]}"
    if n_kita >= len(names.kita):  # names used up (a county-sized demo): add the place
        kita = f"{kita} {place.name}"
    return {
        "kita": kita,
        "grundschule": (
            ("Grundschule am Markt", "Brüder-Grimm-Schule")[n_school % 2]
            if i == 0
            else f"Grundschule {place.name}"
        ),
        "schule": ("Gymnasium " if i == 0 and n % 2 else "Gesamtschule ") + place.name,
        "kinderarzt": f"Kinderarztpraxis Dr. med. {surname}",
        "hebamme": f"Hebammenpraxis {given} {surname}",
        "familienzentrum": f"Familienzentrum {place.name}",
        "beratung": "Jugend- und Suchtberatung",
        "jugendzentrum": f"Jugendzentrum {place.name}",
        "bibliothek": ("Stadtbibliothek " if i == 0 else "Gemeindebücherei ") + place.name,
        "erziehungsberatung": "Erziehungs- und Familienberatungsstelle",
        "schwangerschaftsberatung": "Schwangerschaftsberatungsstelle",
        "fruehfoerderung": f"Interdisziplinäre Frühförderstelle {place.name}",
        "familienbildung": f"Familienbildungsstätte {place.name}",
        "kindertagespflege": (
            f"Kindertagespflege „{names.tagespflege[n_tp % len(names.tagespflege)]}“ "
            f"({given} {surname})"
        ),
        "rathaus": f"Rathaus {place.name}",
        "kreisverwaltung": f"Kreishaus {names.county}",
        "jugendamt": f"Kreisjugendamt {names.county}",
        "gesundheitsamt": f"Gesundheitsamt {names.county}",
        "jobcenter": f"Jobcenter {names.county}",
    }[cat]


def _kategorie(rng: np.random.Generator, cat: str, name: str, cats: Mapping[str, Category]) -> str:
    """The category as the CSV writes it: the label, sometimes an alias."""
    alias = _ALIASES.get(cat)
    if cat == "schule":
        return "Gymnasium" if name.startswith("Gymnasium") else cats[cat].label
    if alias and alias in cats[cat].aliases and rng.random() < 0.25:
        return alias
    return cats[cat].label


def _make_offer(
    rng: np.random.Generator,
    i: int,
    cat: str,
    *,
    place: Place,
    addr: Address,
    name: str,
    cats: Mapping[str, Category],
    county: str,
) -> Offer:
    """One offer a few metres beside its address."""
    _, ages, opening_de, opening_osm = _OFFER_TEXT[cat]
    traeger = _traeger(rng, cat, i, place, county)
    kategorie = _kategorie(rng, cat, name, cats)
    capacity = None
    if cat == "kita":
        capacity = int(rng.choice([45, 60, 75, 100, 120] if i == 0 else [25, 45, 50, 75]))
        # some Kitas take only the under-threes or only the 3- to 6-year-olds, as in real
        # lists: the age-specific nearest offer differs from the nearest Kita
        ages = _KITA_AGES.get(capacity, ages)
    angle = rng.uniform(0, 2 * math.pi)
    x, y = addr.x + 6 * math.cos(angle), addr.y + 6 * math.sin(angle)
    return Offer(
        i, cat, name, kategorie, traeger, addr, x, y, capacity, ages, opening_de, opening_osm
    )


def _mark_gaps(rng: np.random.Generator, offers: list[Offer], cats: Mapping[str, Category]) -> None:
    """Five offers without coordinates; a third not in OSM (but every category is).

    Categories without OSM rules (Kindertagespflege, …) are never in OSM.
    """
    for k in rng.choice(len(offers), 5, replace=False):
        offers[int(k)].with_coordinates = False
    # OSM is incomplete, as in reality: about a third of the offers are not mapped,
    # but every category that OSM can tag is
    unmapped = set(rng.choice(len(offers), len(offers) // 3, replace=False).tolist())
    mapped_cats: set[str] = set()
    for k, o in enumerate(offers):
        taggable = bool(cats[o.category].osm)
        o.in_osm = taggable and (k not in unmapped or o.category not in mapped_cats)
        if o.in_osm:
            mapped_cats.add(o.category)


def plan_offers(
    rng: np.random.Generator, places: list[Place], addresses: list[Address], layout: DemoLayout
) -> list[Offer]:
    """Offers clustered in the Kreisstadt and Gemeinde seats, a few Kitas in big villages."""
    cats = load_categories()
    plan = _offer_plan(rng, places, layout)
    by_place = _addresses_by_place(rng, addresses)
    names = _Names(
        kita=[str(n) for n in rng.permutation(_KITA_NAMES)],
        surnames=[str(n) for n in rng.permutation(SURNAMES)],
        given=[str(n) for n in rng.permutation(GIVEN)],
        tagespflege=list(_TAGESPFLEGE_NAMES),
        county=layout.name,
    )
    offers: list[Offer] = []
    for n, (i, cat) in enumerate(plan):
        p = places[i]
        if not by_place.get(i):
            msg = f"no free address in {p.name}"
            raise RetryError(msg)
        addr = by_place[i].pop()
        name = _offer_name(cat, i, place=p, n=n, offers=offers, names=names)
        offers.append(
            _make_offer(rng, i, cat, place=p, addr=addr, name=name, cats=cats, county=layout.name)
        )
    _mark_gaps(rng, offers, cats)
    order = {key: c.order for key, c in cats.items()}
    offers.sort(
        key=lambda o: (cats[o.category].label, places[o.place].name, o.name, order[o.category])
    )
    return offers


def _poi_tags(o: Offer) -> dict[str, str]:
    """The OSM tags of an offer's category."""
    return {
        "kita": {"amenity": "kindergarten"},
        "grundschule": {"amenity": "school", "isced:level": "1", "school:de": "Grundschule"},
        "schule": {
            "amenity": "school",
            "isced:level": "2;3",
            "school:de": "Gymnasium" if o.kategorie == "Gymnasium" else "Gesamtschule",
        },
        "kinderarzt": {
            "amenity": "doctors",
            "healthcare": "doctor",
            "healthcare:speciality": "paediatrics",
        },
        "hebamme": {"healthcare": "midwife"},
        "familienzentrum": {"amenity": "community_centre", "community_centre": "family"},
        "beratung": {
            "amenity": "social_facility",
            "social_facility": "outreach",
            "social_facility:for": "child",
        },
        "jugendzentrum": {"amenity": "community_centre", "community_centre": "youth_centre"},
        "bibliothek": {"amenity": "library"},
        "erziehungsberatung": {
            "amenity": "social_facility",
            "social_facility": "outreach",
            "healthcare": "counselling",
            "healthcare:counselling": "child_guidance",
        },
        "schwangerschaftsberatung": {
            "healthcare": "counselling",
            "healthcare:counselling": "antenatal",
        },
        "rathaus": {"amenity": "townhall"},
        "kreisverwaltung": {"amenity": "townhall", "townhall:type": "county"},
        "jugendamt": {"office": "government", "government": "youth_welfare"},
        "gesundheitsamt": {"office": "government", "government": "healthcare"},
        "jobcenter": {"office": "employment_agency", "operator:type": "public"},
    }[o.category]


def add_pois(
    osm: OsmDraft,
    offers: list[Offer],
    places: list[Place],
    gemeinden: list[Gemeinde],
    addresses: list[Address],
) -> None:
    """Mapped offers as OSM POI nodes; place and address tags on their nodes."""
    for p in places:
        x, y, tags = osm.nodes[p.node - 1]
        # the place node stands a few metres beside the junction, as in OSM
        tags_place = {"place": p.place, "name": p.name, "population": str(p.population)}
        if p.note:
            tags_place["note"] = p.note
        p.x, p.y = x + 18.0, y + 12.0
        osm.node(p.x, p.y, tags_place)
    for a in addresses:
        place = places[a.place]
        osm.node(a.x, a.y, _addr_tags(a, place, gemeinden))
    for o in offers:
        if not o.in_osm:
            continue
        tags = {**_poi_tags(o), "name": o.name}
        if o.opening_osm:
            tags["opening_hours"] = o.opening_osm
        if o.capacity:
            tags["capacity"] = str(o.capacity)
        tags["operator"] = o.traeger
        tags.update(_addr_tags(o.address, places[o.place], gemeinden))
        osm.node(o.x, o.y, tags)


def _addr_tags(a: Address, place: Place, gemeinden: list[Gemeinde]) -> dict[str, str]:
    """The ``addr:*`` tags of an address."""
    return {
        "addr:street": a.street,
        "addr:housenumber": a.housenumber,
        "addr:postcode": gemeinden[place.gemeinde].postcode,
        "addr:city": place.name,
    }
