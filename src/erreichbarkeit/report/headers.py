"""German column headers of the spreadsheets people read, and what each column means.

One table maps the machine column names of every exported table (village
table, Gemeinde/Kreis indicators, offers, long travel-time table, 2SFCA
supply tables, grid indicators, location suggestions) to the German labels
the dashboard uses (:mod:`erreichbarkeit.ui.texts`), a German explanation and
a *kind* that fixes the number format (minutes with one decimal, children as
whole numbers, shares in percent, …).

Per category × mode columns (``kita_car_min``) get labels built from the
category table and :data:`erreichbarkeit.config.MODE_LABELS`
(„Kita – Auto: Minuten“).  A column the table does not know keeps a readable
form of its name (``foo_bar`` → „foo bar“) and is never dropped.  The
GeoPackage and Parquet files keep the machine names; the workbook's sheet
*Spalten* lists label, machine name and meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from erreichbarkeit.config import AGE_GROUPS, MODE_LABELS, load_categories

__all__ = ["PLACE_LABELS_DE", "ColumnHeaders", "ColumnInfo", "Kind"]

#: How a column's values are shown (rounding, unit, Excel number format).
Kind = Literal[
    "text", "id", "flag", "minutes", "km", "people", "count", "share", "metres",
    "degrees", "rate", "number", "category", "mode", "place",
]  # fmt: skip


@dataclass(frozen=True)
class ColumnInfo:
    """A column as people read it.

    Attributes
    ----------
    label
        German header.
    meaning
        German explanation (sheet *Spalten*).
    kind
        Value kind; fixes rounding and number format.
    known
        ``False`` for a column the table does not know (readable fallback).
    """

    label: str
    meaning: str
    kind: Kind
    known: bool = True


_NO_OFFER = "leer = innerhalb der Höchstreisezeit kein Angebot erreichbar oder Ort nicht am Netz"

#: OSM place types (column ``place``) in German.
PLACE_LABELS_DE: Mapping[str, str] = MappingProxyType(
    {
        "city": "Stadt",
        "town": "Kleinstadt",
        "village": "Dorf",
        "suburb": "Stadtteil",
        "quarter": "Stadtviertel",
        "neighbourhood": "Wohngebiet",
        "hamlet": "Weiler",
        "isolated_dwelling": "Einzelsiedlung",
        "locality": "Flurname",
        "user": "eigene Liste",
    }
)

_FIXED: Mapping[str, tuple[str, Kind, str]] = MappingProxyType(
    {
        # villages
        "id": ("ID", "id", "Kennung der Zeile (Ort, Angebot); bei OSM-Orten osm:node/…"),
        "name": ("Name", "text", "Name"),
        "place": ("Ortstyp", "place", "Art des Ortes laut OpenStreetMap (Stadt, Dorf, Weiler …)"),
        "osm_population": ("Einwohner laut OSM", "people", "Einwohnerangabe in OpenStreetMap"),
        "ags": ("AGS", "id", "Amtlicher Gemeindeschlüssel (8 Stellen)"),
        "gemeinde": ("Gemeinde", "text", "Gemeinde, in der der Ort liegt"),
        "population": ("Einwohner", "people", "Einwohner (gerundet)"),
        "population_source": ("Einwohner: Quelle", "text", "Herkunft der Einwohnerzahl"),
        "children_source": ("Kinder: Quelle", "text", "Herkunft der Kinderzahlen"),
        "children_under18": ("Kinder unter 18 Jahre", "people", "Kinder unter 18 Jahren"),
        "snap_m": ("Abstand zum Straßennetz (m, größter)", "metres",
                   "größter Abstand des Punktes zum befahrbaren Netz über alle Verkehrsmittel"),
        "snap_ok": ("am Netz (alle Verkehrsmittel)", "flag",
                    "ja = für jedes Verkehrsmittel nah genug am Netz, um berechnet zu werden"),
        "reason": ("Hinweis", "text", "warum ein Ort für eine Kategorie kein Ergebnis hat"),
        "lon": ("Längengrad", "degrees", "Längengrad (WGS84, Grad)"),
        "lat": ("Breitengrad", "degrees", "Breitengrad (WGS84, Grad)"),
        # offers
        "category": ("Kategorie", "category", "Angebotskategorie"),
        "mode": ("Verkehrsmittel", "mode", "Verkehrsmittel der Reisezeit"),
        "source": ("Quelle", "text", "Herkunft des Angebots (Dateiname oder OpenStreetMap)"),
        "address": ("Adresse", "text", "Anschrift"),
        "traeger": ("Träger", "text", "Träger des Angebots"),
        "opening_hours": ("Öffnungszeiten", "text", "Öffnungszeiten"),
        "age_groups": ("Altersgruppen laut Liste", "text",
                       "Text der Spalte Altersgruppen der Angebotsliste, wie angegeben"),
        "serves": ("Altersgruppen", "text",
                   "Altersgruppen, für die das Angebot zählt (0-3;3-6 …): gelesen aus der "
                   "Liste, sonst die der Kategorie"),
        "capacity": ("Kapazität", "number", "Plätze laut Liste; leer = unbekannt"),
        "geocode_quality": ("Verortung", "text",
                            "wie das Angebot verortet wurde (Koordinaten, Hausnummer, "
                            "Straße, OSM)"),
        # long table
        "origin_id": ("ID Ort", "id", "Kennung des Ortes (Start)"),
        "origin_name": ("Ort", "text", "Name des Ortes (Start)"),
        "destination_id": ("ID Angebot", "id", "Kennung des Angebots (Ziel)"),
        "destination_name": ("Angebot", "text", "Name des Angebots (Ziel)"),
        "minutes": ("Minuten", "minutes", "Reisezeit in Minuten"),
        "km": ("km", "km", "Weglänge in km"),
        # Zuständigkeit (report/responsibility.py)
        "village_id": ("ID Ort", "id", "Kennung des Ortes"),
        "village": ("Ort", "text", "Name des Ortes"),
        "children_category": ("Kinder (Altersgruppen der Kategorie)", "people",
                     "Kinder der Altersgruppen, für die die Kategorie zählt"),
        "stelle_id": ("ID zuständige Stelle", "id", "Kennung der zuständigen Stelle"),
        "stelle": ("zuständige Stelle", "text",
                   "Stelle, die laut Zuständigkeitstabelle für den Ort zuständig ist"),
        "stelle_minutes": ("Minuten zur zuständigen Stelle", "minutes",
                           "Reisezeit zur zuständigen Stelle; leer = jenseits der "
                           "Berechnungsgrenze"),
        "nearest_id": ("ID nächstes Angebot", "id", "Kennung des nächsten Angebots"),
        "nearest": ("nächstes Angebot", "text", "nächstes Angebot der Kategorie"),
        "nearest_minutes": ("Minuten zum nächsten Angebot", "minutes",
                            "Reisezeit zum nächsten Angebot der Kategorie"),
        "difference_min": ("Umweg (Minuten)", "minutes",
                           "Minuten zur zuständigen Stelle minus Minuten zum nächsten Angebot; "
                           "leer = zuständige Stelle jenseits der Berechnungsgrenze"),
        "zustaendig_ist_naechstes": ("zuständige Stelle ist die nächste", "flag",
                                     "ja = die zuständige Stelle ist das nächste Angebot "
                                     "(oder gleich nah)"),
        "responsibility_status": ("Hinweis", "text",
                                  "jenseits der Berechnungsgrenze = keine Route zur zuständigen "
                                  "Stelle innerhalb der Höchstreisezeit der Berechnung"),
        "responsibility_basis": ("zuständig laut", "text",
                  "Zeile der Zuständigkeitstabelle: für die Gemeinde oder für den Ort"),
        "responsibility_note": ("Bemerkung", "text", "Bemerkung aus der Zuständigkeitstabelle"),
        # Bedarf (analysis/need.py)
        "need_indicator": ("Sozialindikator", "text", "Kennzahl der Tabelle der Sozialindikatoren"),
        "need_rank": ("Rang nach Bedarf", "count", "Rang nach Priorität; leer = kein Wert"),
        "need_value": ("Wert (%)", "rate", "Wert des Ortsteils, sonst der Gemeinde, in Prozent"),
        "need_weight": ("Bedarfsgewicht", "rate",
                        "Wert ÷ mit den Kindern gewichteter Durchschnitt im Gebiet "
                        "(1 = Durchschnitt)"),
        "need_priority": ("Priorität", "rate",
                          "Kinder jenseits des Schwellenwerts × Bedarfsgewicht"),
        "need_weighting": ("Gewichtung", "text", "wie gewichtet wird, mit Quelle der Werte"),
        # Bus & Bahn details per pair and per Gemeinde
        "median_pt": ("Median Bus & Bahn (Minuten)", "minutes",
                      "Median über alle Abfahrtsminuten im Zeitfenster, nur Bus & Bahn"),
        "best_min": ("schnellste Fahrt (Minuten)", "minutes",
                     "schnellste Verbindung im Zeitfenster"),
        "departures": ("Abfahrten im Zeitfenster", "count", "nutzbare Abfahrten im Zeitfenster"),
        "transfers": ("Umstiege", "count", "Umstiege der schnellsten Verbindung; -1 = keine"),
        "walk_min": ("zu Fuß (Minuten)", "minutes", "den ganzen Weg zu Fuß"),
        "walk_only": ("nur zu Fuß", "flag", "ja = zu Fuß mindestens so schnell"),
        "factor_median": ("Faktor zum Auto (Median, Kinder)", "number",
                          "Median der Faktoren Bus & Bahn ÷ Auto der Orte, gewichtet mit Kindern; "
                          "Orte ohne Verbindung zählen als beliebig langsam"),
        "villages_no_pt": ("Orte ohne ÖPNV-Angebot", "count",
                           "Orte ohne nutzbare Abfahrt im Zeitfenster"),
        "villages_factor_over_2": ("Orte mit Faktor über 2", "count",
                                   "Orte, in denen Bus & Bahn mehr als doppelt so lange braucht"),
        "children_total": ("Kinder der Zielgruppe", "people",
                           "Kinder der Altersgruppen der Kategorie in der Gemeinde"),
        "children_no_pt": ("Kinder ohne ÖPNV-Angebot", "people",
                           "Kinder der Zielgruppe in Orten ohne nutzbare Abfahrt"),
        "names_no_pt": ("Orte ohne ÖPNV-Angebot (Namen)", "text", "Namen dieser Orte"),
        # Gemeinde / Kreis indicators
        "pop_mean_min": ("Mittel Minuten (Einwohner)", "minutes",
                         "mittlere Minuten, gewichtet mit Einwohnern, nur Orte mit Angebot"),
        "pop_median_min": ("Median Minuten (Einwohner)", "minutes",
                           "Median der Minuten, gewichtet mit Einwohnern; Orte ohne Angebot "
                           "zählen als jenseits der Höchstreisezeit"),
        "pop_median_beyond": ("Median Minuten (Einwohner) über Grenze", "flag",
                              "ja = der Median liegt jenseits der Höchstreisezeit; die Median-"
                              "Spalte zeigt dann die Höchstreisezeit"),
        "pop_mean_min_reachable": ("Mittel Minuten (Einwohner, nur erreichbare Orte)", "minutes",
                                   "mittlere Minuten der Einwohner, die ein Angebot erreichen"),
        "share_pop_no_offer": ("Anteil Einwohner ohne erreichbares Angebot (%)", "share",
                               "Anteil der Einwohner ohne Angebot in der Höchstreisezeit"),
        "children_mean_min": ("Mittel Minuten (Kinder)", "minutes",
                              "mittlere Minuten, gewichtet mit Kindern, nur Orte mit Angebot"),
        "children_median_min": ("Median Minuten (Kinder)", "minutes",
                                "Median der Minuten, gewichtet mit Kindern; Orte ohne Angebot "
                                "zählen als jenseits der Höchstreisezeit"),
        "children_median_beyond": ("Median Minuten (Kinder) über Grenze", "flag",
                                   "ja = der Median liegt jenseits der Höchstreisezeit; die "
                                   "Median-Spalte zeigt dann die Höchstreisezeit"),
        "children_mean_min_reachable": ("Mittel Minuten (Kinder, nur erreichbare Orte)",
                                        "minutes",
                                        "mittlere Minuten der Kinder, die ein Angebot erreichen"),
        "share_children_no_offer": ("Anteil Kinder ohne erreichbares Angebot (%)", "share",
                                    "Anteil der Kinder ohne Angebot in der Höchstreisezeit"),
        "share_children_outreach": ("Anteil Kinder mit aufsuchendem Angebot (%)", "share",
                                    "Anteil der Kinder in Orten, die ein aufsuchendes Angebot "
                                    "versorgt; sie zählen als innerhalb des Schwellenwerts, "
                                    "die Minuten-Mediane gelten den festen Angeboten"),
        "children_beyond": ("Kinder ohne Angebot im Schwellenwert", "people",
                            "Kinder in Orten jenseits des Schwellenwerts oder ohne Angebot"),
        "share_children_beyond": ("Anteil Kinder darüber (%)", "share",
                                  "Anteil der Kinder jenseits des Schwellenwerts oder "
                                  "ohne Angebot"),
        "share_children_covered": ("Anteil Kinder in vollständig erfassten Gemeinden (%)",
                                   "share", "Anteil der Kinder des Kreises, für den die "
                                   "Kreiswerte gelten (Gemeinden ganz im Kartenausschnitt)"),
        "n_villages": ("Orte", "count", "Anzahl der Orte"),
        "n_underserved": ("unterversorgte Orte", "count",
                          "Orte jenseits des Schwellenwerts oder ohne Angebot"),
        "underserved_villages": ("unterversorgte Orte (Namen)", "text",
                                 "Namen der unterversorgten Orte"),
        "gemeinde_partial": ("nur teilweise im Kartenausschnitt", "flag",
                             "ja = die Gemeinde liegt nur teilweise im Straßennetz-Ausschnitt; "
                             "nur der erfasste Teil der Einwohner ist verteilt"),
        "in_area": ("im Auswertungsgebiet", "flag",
                    "ja = der Ort liegt im Auswertungsgebiet und zählt für die Kennzahlen; "
                    "nein = nur Ziel und Umgebung (z. B. Orte einer Stadt mit eigenem Jugendamt)"),
        "coverage_share": ("Anteil im Kartenausschnitt (%)", "share",
                           "Anteil der Gemeinde (Einwohnerraster oder Fläche) im Ausschnitt"),
        "threshold": ("Schwellenwert (Minuten)", "minutes", "Schwellenwert in Minuten"),
        # 2SFCA supply
        "demand": ("Kinder der Zielgruppe", "people", "Kinder der Altersgruppen der Kategorie"),
        "access": ("Versorgung je 1.000 Kinder", "rate",
                   "2SFCA: Plätze (ohne Kapazitäten: Angebote) je 1.000 Kinder im Schwellenwert"),
        "n_offers_in_reach": ("Angebote im Schwellenwert", "count",
                              "Angebote innerhalb des Schwellenwerts"),
        "supply_in_reach": ("Plätze im Schwellenwert", "number",
                            "Plätze (bzw. Angebote) innerhalb des Schwellenwerts"),
        "supply_basis": ("Versorgung: Grundlage", "text", "Plätze oder Angebote"),
        "supply_note": ("Versorgung: Hinweis", "text", "Hinweis zu fehlenden Kapazitäten"),
        "supply_allocated": ("zugeteilte Plätze", "rate",
                             "Plätze, die das 2SFCA-Verfahren den Kindern der Gemeinde zuteilt"),
        "access_mean": ("Versorgung je 1.000 Kinder (Mittel)", "rate",
                        "zugeteilte Plätze je 1.000 Kinder der Gemeinde"),
        "access_min": ("Versorgung je 1.000 Kinder (niedrigster Ort)", "rate",
                       "niedrigster Wert eines Ortes mit Kindern"),
        "access_max": ("Versorgung je 1.000 Kinder (höchster Ort)", "rate",
                       "höchster Wert eines Ortes mit Kindern"),
        "n_villages_without_access": ("Orte ohne Versorgung", "count",
                                      "Orte ohne Angebot im Schwellenwert"),
        "demand_without_access": ("Kinder ohne Versorgung", "people",
                                  "Kinder in Orten ohne Angebot im Schwellenwert"),
        "supply_located": ("Plätze in der Gemeinde", "rate", "Plätze der Angebote in der Gemeinde"),
        "located_per": ("Plätze in der Gemeinde je 1.000 Kinder", "rate",
                        "Plätze der Angebote in der Gemeinde je 1.000 Kinder der Gemeinde"),
        # grid
        "cell_id": ("Rasterzelle", "id", "INSPIRE-Kennung der Rasterzelle"),
        "n_cells": ("Rasterzellen", "count", "Anzahl der bewohnten Rasterzellen"),
        "settled_m": ("Abstand zur Bebauung (m)", "metres", "Abstand zur nächsten Bebauung"),
        "share_unreachable": ("Anteil ohne erreichbares Angebot (%)", "share",
                              "Anteil (Gewichtung) ohne Angebot in der Höchstreisezeit"),
        "weighting": ("Gewichtung", "text", "womit die Anteile gewichtet sind"),
        # location suggestions
        "rank": ("Rang", "count", "Reihenfolge der Vorschläge"),
        "coverage_gain_children": ("Kinder neu im Schwellenwert", "people",
                                   "Kinder, die der Standort zusätzlich in den "
                                   "Schwellenwert bringt"),
        "coverage_gain_share": ("Anteil Kinder neu im Schwellenwert (%)", "share",
                                "dieser Zuwachs als Anteil aller Kinder der Zielgruppe"),
        "minutes_saved": ("eingesparte Minuten (Kinder)", "minutes",
                          "Summe der eingesparten Minuten, gewichtet mit Kindern"),
        # row problems (already German)
        "Datei": ("Datei", "text", "Eingabedatei"),
        "Zeile": ("Zeile", "count", "Zeile der Eingabedatei (Kopfzeile = 1)"),
        "Spalte": ("Spalte", "text", "Spalte der Eingabedatei"),
        "Art": ("Art", "text", "Fehler (Zeile nicht verwendet) oder Hinweis"),
        "Meldung": ("Meldung", "text", "was an der Zeile auffiel"),
        # the sheet „Aufsuchende Angebote“ (report/outreach.py, already German)
        "Ort": ("Ort", "text", "Ort, zu dem das Angebot kommt"),
        "Angebot": ("Angebot", "text", "Name des aufsuchenden Angebots"),
        "Grundlage": ("Grundlage", "text",
                      "Zeile der Tabelle: für die ganze Gemeinde oder für den Ort"),
        "Bemerkung": ("Bemerkung", "text", "Bemerkung aus der Tabelle"),
    }
)  # fmt: skip

#: Suffixes of ``<category>_<mode>_<suffix>`` columns of the village table.
_VILLAGE_SUFFIXES: Mapping[str, tuple[str, Kind, str]] = MappingProxyType(
    {
        "min": ("Minuten", "minutes", f"Minuten zum nächsten Angebot; {_NO_OFFER}"),
        "km": ("km", "km", "Weglänge in km zum nächsten Angebot"),
        "nearest": ("nächstes Angebot", "text", "Name des nächsten Angebots"),
        "nearest_id": ("ID nächstes Angebot", "id", "Kennung des nächsten Angebots"),
        "second_min": ("Minuten zum zweitnächsten", "minutes",
                       "Minuten zum zweitnächsten Angebot; leer = keins erreichbar"),
        "n_within": ("Angebote im Schwellenwert", "count",
                     "Zahl der Angebote innerhalb des Schwellenwerts"),
        "within": ("innerhalb", "flag", "ja = nächstes Angebot innerhalb des Schwellenwerts"),
        # Bus & Bahn (mode pt) only
        "best_min": ("schnellste Fahrt (Minuten)", "minutes",
                     "schnellste Verbindung im Zeitfenster, Tür zu Tür; leer = keine"),
        "departures": ("Abfahrten im Zeitfenster", "count",
                       "nutzbare Abfahrten zum nächsten Angebot im Zeitfenster; 0 = keine"),
        "transfers": ("Umstiege", "count",
                      "Umstiege der schnellsten Verbindung; -1 = keine Verbindung"),
        "walk_only": ("nur zu Fuß", "flag", "ja = zu Fuß mindestens so schnell wie mit Bus & Bahn"),
        "factor": ("Faktor zum Auto", "number",
                   "Minuten Bus & Bahn ÷ Minuten Auto zum jeweils nächsten Angebot"),
        "status": ("Hinweis Bus & Bahn", "text",
                   "„kein ÖPNV-Angebot im Zeitfenster“, „nur zu Fuß erreichbar“, Faktor über 2"),
        "home_at": ("zurück zu Hause um", "text",
                    "Ankunft zu Hause nach dem Aufenthalt (Uhrzeit); leer = kein Rückweg"),
        "home_by": ("rechtzeitig zurück", "flag",
                    "ja = nach dem Aufenthalt rechtzeitig wieder zu Hause"),
    }
)  # fmt: skip

#: Gemeinde/Kreis indicators that appear per category × mode in wide tables.
_PER_CATEGORY_MODE = frozenset(
    {
        "pop_mean_min", "pop_median_min", "pop_median_beyond", "pop_mean_min_reachable",
        "share_pop_no_offer", "children_mean_min", "children_median_min",
        "children_median_beyond", "children_mean_min_reachable", "share_children_no_offer",
        "children_beyond", "share_children_beyond", "share_children_covered", "n_villages",
        "n_underserved", "underserved_villages", "threshold", "share_children_outreach",
    }
)  # fmt: skip
#: ``<category>_outreach[_name|_serves]``: villages served by an outreach offer.
_OUTREACH = re.compile(r"^(?P<cat>[a-z0-9_]+?)_outreach(?:_(?P<what>name|serves))?$")
_OUTREACH_INFO: Mapping[str | None, tuple[str, Kind, str]] = MappingProxyType(
    {
        None: ("aufsuchend", "flag", "ja = ein aufsuchendes Angebot versorgt den Ort; er zählt "
               "für die Kategorie als innerhalb des Schwellenwerts (die Minuten gelten dem "
               "nächsten festen Angebot)"),
        "name": ("aufsuchendes Angebot", "text", "Name des aufsuchenden Angebots (mehrere: „;“)"),
        "serves": ("Altersgruppen (aufsuchend)", "text",
                   "Altersgruppen, für die das aufsuchende Angebot zählt (0-3;3-6 …)"),
    }
)  # fmt: skip

_CHILDREN = re.compile(r"^children_(\d+)_(\d+)$")
_GROUP_MIN = re.compile(r"^(?P<base>.+_min)_(?P<lo>\d+)_(?P<hi>\d+)$")
_SHARE_WITHIN = re.compile(r"^share_within_(\d+(?:\.\d+)?)$")


def _age(col: str) -> str | None:
    m = _CHILDREN.match(col)
    return f"{m.group(1)}–{m.group(2)}" if m else None


class ColumnHeaders:
    """German labels, meanings and kinds of exported columns.

    Parameters
    ----------
    category_labels
        Category key → German label (default: the built-in category table).
    mode_labels
        Mode → German label (default :data:`erreichbarkeit.config.MODE_LABELS`).
    """

    def __init__(
        self,
        category_labels: Mapping[str, str] | None = None,
        mode_labels: Mapping[str, str] | None = None,
    ) -> None:
        if category_labels is None:
            category_labels = {k: c.label for k, c in load_categories().items()}
        self.category_labels: Mapping[str, str] = dict(category_labels)
        self.mode_labels: Mapping[str, str] = dict(mode_labels or MODE_LABELS)
        labels = [lbl for lbl, _, _ in _FIXED.values()]
        self._german = frozenset(labels)
        # longest keys first, so "schule" does not shadow "grundschule_…" and vice versa
        cats = sorted(self.category_labels, key=len, reverse=True)
        modes = sorted(self.mode_labels, key=len, reverse=True)
        per_suffix = sorted({*_VILLAGE_SUFFIXES, *_PER_CATEGORY_MODE}, key=len, reverse=True)
        self._pattern = re.compile(
            rf"^(?P<cat>{'|'.join(map(re.escape, cats)) or '(?!)'})_"
            rf"(?P<mode>{'|'.join(map(re.escape, modes)) or '(?!)'})_"
            rf"(?P<suffix>{'|'.join(map(re.escape, per_suffix))})$"
        )
        self._snap = re.compile(
            rf"^snap_(?P<what>m|ok)_(?P<mode>{'|'.join(map(re.escape, modes)) or '(?!)'})$"
        )

    def category_label(self, key: str) -> str:
        """The German label of a category key (the key itself when unknown)."""
        return self.category_labels.get(key, key)

    def mode_label(self, mode: str) -> str:
        """The German label of a mode (the mode itself when unknown)."""
        return self.mode_labels.get(mode, mode)

    def describe(self, column: str) -> ColumnInfo:
        """The German label, meaning and kind of a column.

        Unknown columns keep a readable form of their name (underscores as
        spaces); headers that are already German stay as they are.
        """
        name = str(column)
        if name in _FIXED:
            label, kind, meaning = _FIXED[name]
            return ColumnInfo(label, meaning, kind)
        info = self._patterned(name) or self._group_minutes(name) or self._outreach(name)
        if info is not None:
            return info
        if name in self._german or not re.fullmatch(r"[a-z0-9_]+", name):
            return ColumnInfo(name, "", "text", known=name in self._german)
        return ColumnInfo(name.replace("_", " "), "", "text", known=False)

    def _outreach(self, name: str) -> ColumnInfo | None:
        """``hebamme_outreach``: the flag, names and age groups of outreach offers."""
        m = _OUTREACH.match(name)
        if m is None or m["cat"] not in self.category_labels:
            return None
        label, kind, meaning = _OUTREACH_INFO[m["what"]]
        prefix = self.category_label(m["cat"])
        return ColumnInfo(f"{prefix}: {label}", f"{prefix}: {meaning}", kind)

    def _group_minutes(self, name: str) -> ColumnInfo | None:
        """``kita_car_min_0_3``: minutes to the nearest offer serving one age group."""
        m = _GROUP_MIN.match(name)
        if m is None or f"{m['lo']}-{m['hi']}" not in AGE_GROUPS:
            return None
        base = self._patterned(m["base"]) if self._pattern.match(m["base"]) else None
        if base is None:
            return None
        age = f"{m['lo']}–{m['hi']} Jahre"
        meaning = base.meaning.replace("nächsten Angebot", f"nächsten Angebot für {age}")
        return ColumnInfo(f"{base.label} ({age})", meaning, "minutes")

    def _patterned(self, name: str) -> ColumnInfo | None:
        """Labels of per age group, per mode and per category × mode columns."""
        age = _age(name)
        if age is not None and age.replace("–", "-") in AGE_GROUPS:
            return ColumnInfo(f"Kinder {age} Jahre", f"Kinder von {age} Jahren", "people")
        m = _SHARE_WITHIN.match(name)
        if m:
            b = m.group(1).replace(".", ",")
            return ColumnInfo(
                f"Anteil innerhalb {b} min (%)", f"Anteil (Gewichtung) innerhalb {b} min", "share"
            )
        m = self._snap.match(name)
        if m:
            mode = self.mode_label(m.group("mode"))
            if m.group("what") == "m":
                return ColumnInfo(
                    f"{mode}: Abstand zum Straßennetz (m)",
                    f"Meter vom Punkt zum nächsten Weg, der {mode} befahrbar ist",
                    "metres",
                )
            return ColumnInfo(
                f"{mode}: am Netz", f"ja = nah genug am Netz, um {mode} berechnet zu werden", "flag"
            )
        m = self._pattern.match(name)
        if m is None:
            return None
        suffix = m.group("suffix")
        label, kind, meaning = _VILLAGE_SUFFIXES.get(suffix) or _FIXED[suffix]
        prefix = f"{self.category_label(m.group('cat'))} – {self.mode_label(m.group('mode'))}"
        return ColumnInfo(f"{prefix}: {label}", f"{prefix}: {meaning}", kind)
