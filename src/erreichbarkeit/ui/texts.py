"""German texts of the dashboard (one place to change wording)."""

from __future__ import annotations

APP_TITLE = "Erreichbarkeit von Angeboten für Familien"
PAGE_MAP = "Karte"
PAGE_ABOUT = "Methodik & Hilfe"
PAGE_MEETING = "Besprechung"

SIDEBAR_REGION = "Region"
SIDEBAR_MODE = "Verkehrsmittel"
SIDEBAR_CATEGORIES = "Angebotskategorie(n)"
SIDEBAR_AGE = "Altersgruppe"
SIDEBAR_THRESHOLD = "Schwellenwert {label} (Minuten)"
SIDEBAR_BASEMAP = "Hintergrundkarte (OpenStreetMap, braucht Internet)"
SIDEBAR_EXTENT = "Kartenausschnitt"
EXTENT_ALL = "ganze Region"
SIDEBAR_MAP_CATEGORY = "Karte färben nach"
AGE_LABEL = "{group} Jahre"
DEMO_LABEL = "Beispielkreis (fiktiv, eingebaut)"

FIRST_RUN = "Erste Auswertung für „{region}“ läuft …"
FIRST_RUN_DONE = "Auswertung fertig"
NO_CATEGORY = "Bitte mindestens eine Angebotskategorie wählen."
NO_CATEGORIES_IN_REGION = "In dieser Region wurden keine Angebote gefunden."
MODE_MISSING = "Für {mode} wurde in dieser Region nichts berechnet."

KPI_WITHIN = "Kinder {age} innerhalb {minutes} min"
KPI_BEYOND = "Kinder {age} darüber / ohne Angebot"
KPI_UNDERSERVED = "unterversorgte Orte"
KPI_MEDIAN = "Median Minuten (Kinder {age})"
KPI_HELP_WITHIN = "Geschätzte Kinder der Altersgruppe in Orten, deren nächstes Angebot "
KPI_HELP_MEDIAN = "Gewichteter Median der Minuten zum nächsten Angebot (nur erreichbare Orte)."

MAP_HEADER = "Karte: Minuten zum nächsten Angebot „{label}“ ({mode})"
LEGEND_TITLE = "Minuten zur nächsten {label} ({mode})"
MAP_CLICK_HINT = "Ein Klick auf einen Ort wählt ihn rechts aus."

VILLAGES_HEADER = "Orte (schlechteste zuerst)"
GEMEINDEN_HEADER = "Gemeinden"
VILLAGE_SELECT = "Ort auswählen"
VILLAGE_DETAILS = "Nächste Angebote von {name}"
VILLAGE_REASON = "Hinweis: {reason}"
NO_OFFER = "kein Angebot erreichbar"

UPLOAD_HEADER = "Eigene Angebotsliste hochladen"
UPLOAD_LABEL = "Angebotsliste (CSV oder Excel)"
UPLOAD_HELP = (
    "Spalten z. B. Name, Kategorie, Breitengrad/Längengrad oder Adresse (Straße, "
    "Hausnummer, PLZ, Ort). Die Liste ergänzt die Angebote der Region nur in Ihrer Sitzung."
)
UPLOAD_OK = "{n} Angebote aus „{name}“ übernommen und Reisezeiten berechnet."
UPLOAD_NONE_VALID = (
    "Keine gültige Zeile in „{name}“ – es werden nur die Angebote der Region gezeigt."
)
UPLOAD_PROBLEMS = "{n} Hinweise zu einzelnen Zeilen:"
UPLOAD_BAD_TYPE = "Dateityp „{suffix}“ wird nicht unterstützt (erlaubt: CSV, XLSX)."
UPLOAD_REMOVE = "Hochgeladene Liste entfernen"
UPLOAD_ACTIVE = "Die Liste „{name}“ ist in dieser Sitzung aktiv ({n} Angebote)."

EXPORT_HEADER = "Ergebnisse herunterladen"
EXPORT_BUILD = "Dateien erstellen"
EXPORT_XLSX = "Excel-Arbeitsmappe"
EXPORT_CSV = "Orte als CSV (deutsches Format)"
EXPORT_GPKG = "GeoPackage für QGIS"
EXPORT_HTML = "Karte als HTML-Datei (offline)"
EXPORT_HINT = (
    "Die Dateien enthalten die aktuelle Auswahl (Verkehrsmittel, Kategorien, Schwellenwerte)."
)

MEETING_TITLE = "{label}: Erreichbarkeit in {region}"
MEETING_HINT = (
    "Ansicht für Besprechungen: Auswahl links wie auf der Seite „Karte“. "
    "Die Karte braucht kein Internet."
)
PRINT_HEADER = "Druckkarte (PDF/PNG, Querformat)"
PRINT_HINT = (
    "Mit Legende, Maßstab, Nordpfeil, Übersichtskarte und Quellenangabe; "
    "die Datei wird beim Klick erstellt (einige Sekunden)."
)
PRINT_BUTTON = "{paper} als {fmt}"
PRINT_TITLE = "{label}: Erreichbarkeit in {region}"
PRINT_SUBTITLE = "{label} · {mode} · Kinder {age} Jahre · Schwellenwert {minutes} min"
NOTE_BEYOND = "Kinder {age} J. jenseits {minutes} min oder ohne Angebot: {n}{share}"
NOTE_UNDERSERVED = "unterversorgte Orte: {n}"
NOTE_MEDIAN = "Median Minuten (Kinder {age} J.): {median}"
SOURCES_CAPTION = "{sources} · Stand der Auswertung: {date}"

COL_NAME = "Ort"
COL_GEMEINDE = "Gemeinde"
COL_CHILDREN = "Kinder {age}"
COL_UNMET = "Kategorien verfehlt"
COL_MIN = "{label}: Minuten"
COL_KM = "{label}: km"
COL_WITHIN = "{label}: innerhalb"
COL_REASON = "Hinweis"
COL_CATEGORY = "Kategorie"
COL_OFFER = "Angebot"
COL_MINUTES = "Minuten"
COL_KM_PLAIN = "km"
COL_RANK = "Rang"
COL_ROW = "Zeile"
COL_COLUMN = "Spalte"
COL_SEVERITY = "Art"
COL_MESSAGE = "Meldung"
SEVERITY = {"error": "Fehler (Zeile nicht verwendet)", "warning": "Hinweis (Zeile verwendet)"}

GEM_COLUMNS = {
    "gemeinde": "Gemeinde",
    "category": "Kategorie",
    "n_villages": "Orte",
    "n_underserved": "unterversorgte Orte",
    "children_beyond": "Kinder ohne Angebot im Schwellenwert",
    "share_children_beyond": "Anteil Kinder darüber",
    "children_median_min": "Median Minuten (Kinder)",
    "pop_mean_min": "Mittel Minuten (Einwohner)",
    "underserved_villages": "unterversorgte Orte (Namen)",
}

ABOUT = """
### Was zeigt die Karte?

Jeder Punkt ist ein Ort (Dorf, Ortsteil). Die Farbe zeigt, wie viele Minuten man von dort
mit dem gewählten Verkehrsmittel bis zum **nächsten** Angebot der gewählten Kategorie
braucht. Grau heißt: innerhalb von 90 Minuten ist kein Angebot erreichbar, oder der Ort
liegt zu weit vom Straßennetz entfernt (siehe Spalte „Hinweis“).

### Schwellenwert

Ein Ort gilt als **unterversorgt**, wenn das nächste Angebot weiter entfernt ist als der
Schwellenwert (oder gar keins erreichbar ist). Die Voreinstellungen stammen aus der
Kategorientabelle bzw. der Regionsdatei; in der Seitenleiste können Sie sie für Ihre
Sitzung ändern.

### Kinderzahlen

Kinder je Altersgruppe sind – wo keine eigenen Zahlen vorliegen – aus der Einwohnerzahl
geschätzt (Anteile je Altersgruppe). Die Excel-Datei nennt im Blatt *Methodik*, was
geschätzt ist.

### Reisezeiten

Berechnet mit OSRM auf OpenStreetMap-Daten (© OpenStreetMap-Mitwirkende, ODbL) mit den
Standardprofilen für Auto, Fahrrad und zu Fuß. Öffentlicher Nahverkehr ist nicht enthalten.

### Eigene Angebote

Eine hochgeladene Liste ist nur in Ihrer Sitzung sichtbar und wird nicht gespeichert.
Fehlerhafte Zeilen werden mit Zeile und Spalte gemeldet; gültige Zeilen werden verwendet.

### Ohne Internet

Die Karte funktioniert ohne Internet. Nur die optionale Hintergrundkarte
(OpenStreetMap-Kacheln) braucht eine Verbindung.
"""
