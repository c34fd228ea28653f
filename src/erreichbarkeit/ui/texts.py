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
KPI_MEDIAN = "Median bis zum Angebot (Kinder {age})"
KPI_HELP_WITHIN = "Geschätzte Kinder der Altersgruppe in Orten, deren nächstes Angebot "
KPI_HELP_MEDIAN = (
    "Mit den Kindern gewichteter Median der Minuten zum nächsten Angebot. Orte ohne "
    "erreichbares Angebot zählen als „über der Berechnungsgrenze“, sie werden nicht "
    "weggelassen. Hat die Hälfte der Kinder oder mehr kein Angebot in Reichweite, steht "
    "hier „> Berechnungsgrenze“ (z. B. „> 90 min“)."
)

MAP_HEADER = "Karte: Minuten zum nächsten Angebot „{label}“ ({mode})"
LEGEND_TITLE = "Minuten zur nächsten {label} ({mode})"
MAP_CLICK_HINT = (
    "Ein Klick auf einen Ort (bis 500 m daneben) wählt ihn rechts aus; ein Klick "
    "anderswo zeigt die Minuten der Reisezeit-Fläche an dieser Stelle."
)
CLICK_GRID = (
    "An der angeklickten Stelle (250-m-Rasterzelle): {minutes} min zur nächsten {label} ({mode})."
)
CLICK_GRID_NONE = (
    "An der angeklickten Stelle (250-m-Rasterzelle) ist keine {label} innerhalb der "
    "Berechnungsgrenze erreichbar ({mode})."
)
CLICK_NO_GRID = (
    "Kein Ort innerhalb von 500 m der angeklickten Stelle. Klicken Sie auf einen Ort, um "
    "ihn auszuwählen."
)

VILLAGES_HEADER = "Orte (schlechteste zuerst)"
GEMEINDEN_HEADER = "Gemeinden"
VILLAGE_SELECT = "Ort auswählen"
MULTISELECT_PLACEHOLDER = "Bitte auswählen"
VILLAGE_PLACEHOLDER = "Übersicht (kein Ort gewählt)"
OVERVIEW_HEADER = "Übersicht: {area}"
OVERVIEW_HINT = (
    "Klicken Sie auf einen Ort in der Karte oder wählen Sie ihn oben aus, um seine "
    "nächsten Angebote zu sehen. Am schlechtesten erreichbar:"
)
VILLAGE_DETAILS = "Nächste Angebote von {name}"
VILLAGE_REASON = "Hinweis: {reason}"
NO_OFFER = "kein Angebot erreichbar"

UPLOAD_HEADER = "Eigene Angebotsliste hochladen"
UPLOAD_LABEL = "Angebotsliste (CSV oder Excel)"
UPLOAD_HELP = (
    "Spalten z. B. Name, Kategorie, Breitengrad/Längengrad oder Adresse (Straße, "
    "Hausnummer, PLZ, Ort). Die Liste ergänzt die Angebote der Region nur in Ihrer Sitzung."
)
UPLOAD_OK = "{n} {offers} aus „{name}“ übernommen und Reisezeiten berechnet."
UPLOAD_NONE_VALID = (
    "Keine gültige Zeile in „{name}“ – es werden nur die Angebote der Region gezeigt."
)
UPLOAD_PROBLEMS = "{n} {notes} zu einzelnen Zeilen:"
UPLOAD_BAD_TYPE = "Dateityp „{suffix}“ wird nicht unterstützt (erlaubt: CSV, XLSX)."
UPLOAD_TOO_MANY = (
    "Die Datei {name} enthält {n} gültige Angebote; höchstens {max} pro Hochladen. "
    "Bitte aufteilen oder als Region einlesen (erreichbarkeit prepare)."
)
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
NOTE_MEDIAN = "Median bis zum Angebot (Kinder {age} J.): {median}"
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
    "children_median_beyond": "Median über Grenze",
    "children_mean_min_reachable": "Mittel Minuten (Kinder, nur erreichbare Orte)",
    "share_children_no_offer": "Anteil Kinder ohne erreichbares Angebot (%)",
    "share_children_outreach": "Anteil Kinder mit aufsuchendem Angebot (%)",
    "underserved_villages": "unterversorgte Orte (Namen)",
    "gemeinde_partial": "nur teilweise im Kartenausschnitt",
}

#: Column of the village table for villages of Gemeinden only partly inside the extract.
COL_PARTIAL = "Gemeinde nur teilweise im Kartenausschnitt"

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

### Reisezeit-Fläche und Reisezeit-Bänder (250-m-Raster)

Wenn die Region ein 250-m-Raster hat (Regionsdatei: `grid_cell_m = 250`, dazu ein
Bevölkerungsraster `population_grid`), lässt sich in der Seitenleiste die
**Reisezeit-Fläche** zuschalten: jede Rasterzelle mit Einwohnern oder Wohnstraßen in der
Farbe der Minuten von ihrem Mittelpunkt zum nächsten Angebot – so werden auch Lücken
zwischen den Orten sichtbar. Die **Reisezeit-Bänder** fassen die Zellen zu Flächen mit
0–5, 5–10, 10–15, 15–20 und über 20 Minuten zusammen, für die ganze Kategorie oder nur für
ausgewählte Angebote (z. B. einen geplanten Standort). Die **Raster-Kennzahlen** zeigen
wie der Thünen-Landatlas den einwohnergewichteten Median der Minuten, den Mittelwert über
die Zellen mit erreichbarem Angebot und die Anteile der Einwohner innerhalb von 5, 10, 15
und 20 Minuten und ohne erreichbares Angebot, für die Region und je Gemeinde.

### Median: Orte ohne Angebot zählen mit

Alle Mediane (Kennzahl-Karten, Gemeindetabelle, Raster, Steckbrief, Druckkarte, Export)
zählen Orte und Zellen ohne erreichbares Angebot als „über der Berechnungsgrenze“ – sie
werden nicht weggelassen. Hat die Hälfte der Kinder (bzw. Einwohner) oder mehr kein
Angebot in Reichweite, steht dort „> 90 min“ (die Berechnungsgrenze der Region), in
Tabellen die Grenze als Zahl mit „Median über Grenze“ = ja. Mittelwerte gelten nur für
Orte mit erreichbarem Angebot und stehen immer neben dem Anteil ohne Angebot. Wer genau
auf dem Schwellenwert liegt, zählt als innerhalb.

### Ohne Internet

Die Karte funktioniert ohne Internet. Nur die optionale Hintergrundkarte
(basemap.de oder OpenStreetMap) braucht eine Verbindung.
"""

# -- grid surface, bands, base maps -------------------------------------------------

SIDEBAR_BASEMAP_CHOICE = "Hintergrundkarte"
BASEMAP_LABELS = {
    "none": "keine (offline)",
    "basemap.de": "basemap.de",
    "osm": "OpenStreetMap",
}
BASEMAP_HELP = (
    "basemap.de (amtliche Webkarte von Bund und Ländern, © GeoBasis-DE / BKG) und "
    "OpenStreetMap brauchen Internet. Ohne Internet bleibt „keine“: die Karte zeigt dann "
    "das Straßennetz der Region und die Gemeindegrenzen."
)
GRID_HEADER = "Raster (250 m)"
GRID_SURFACE = "Reisezeit-Fläche (250-m-Raster)"
GRID_SURFACE_HELP = (
    "Färbt jede 250-m-Rasterzelle mit Einwohnern oder Wohnstraßen nach den Minuten von ihrem "
    "Mittelpunkt zum nächsten Angebot der Kartenkategorie – mit denselben Farbstufen wie die Orte."
)
GRID_BANDS = "Reisezeit-Bänder"
GRID_BANDS_HELP = (
    "Flächen mit 0–5, 5–10, 10–15, 15–20 und über 20 Minuten zum nächsten Angebot, aus den "
    "Rasterzellen zusammengesetzt. Nicht erreichbare oder unbewohnte Flächen bleiben Lücken."
)
GRID_BAND_OFFERS = "Bänder nur um diese Angebote (leer = ganze Kategorie)"
GRID_BAND_OFFERS_HELP = (
    "Wählen Sie einzelne Angebote, z. B. um einen geplanten Standort zu prüfen. Die Fahrzeiten "
    "dazu werden bei der Auswahl berechnet (wenige Sekunden)."
)
GRID_MISSING = (
    "**Reisezeit-Fläche und -Bänder** brauchen das 250-m-Raster, das für diese Region nicht "
    "berechnet wurde. Tragen Sie dazu in der Regionsdatei unter `[inputs]` "
    '`grid_cell_m = 250` und `population_grid = "…"` ein (Zensus-Gitter als CSV, z. B. '
    "1 km oder 100 m, mit den Spalten `x_mp`, `y_mp`, `Einwohner`) und laden Sie die Seite "
    "neu. Ohne Bevölkerungsraster zählt jede besiedelte Zelle gleich."
)
GRID_NO_CATEGORY = (
    "Für „{label}“ ({mode}) gibt es im Raster keine Fahrzeiten (z. B. nur hochgeladene "
    "Angebote dieser Kategorie)."
)
GRID_UPLOAD_NOTE = (
    "Fläche, Bänder der ganzen Kategorie und Raster-Kennzahlen beruhen auf den Angeboten der "
    "Region; hochgeladene Angebote gehen nur in die Bänder um ausgewählte Angebote ein."
)
SURFACE_NOTE = "Fläche: 250-m-Rasterzellen, Minuten ab Zellmittelpunkt"
BANDS_NOTE = "Lücken: nicht erreichbar oder ohne Einwohner/Wohnstraßen"
BANDS_TITLE_CATEGORY = "Reisezeit-Bänder: {label} ({mode})"
BANDS_TITLE_OFFERS = "Reisezeit-Bänder: {n} ausgewählte Angebote ({mode})"
BANDS_COMPUTING = "Fahrzeiten vom Raster zu den ausgewählten Angeboten werden berechnet …"
EXPORT_BANDS = "Reisezeit-Bänder als GeoPackage"

GRID_KPI_HEADER = "Raster-Kennzahlen (wie Thünen-Landatlas)"
GRID_KPI_INTRO = (
    "„{label}“ ({mode}): Start ist der Mittelpunkt jeder 250-m-Rasterzelle, Ziel das nächste "
    "Angebot. Gewichtung: {weighting}. Anteile in % aller Einwohner, Zellen ohne "
    "erreichbares Angebot zählen im Nenner mit."
)
GRID_KPI_GEMEINDEN = "Je Gemeinde (niedrigster Anteil innerhalb 10 min zuerst)"
GRID_REGION = "Region gesamt"
GRID_COL_AREA = "Gebiet"
GRID_COL_POP = "Einwohner"
GRID_COL_CELLS = "Rasterzellen"
GRID_COL_MEAN = "Mittel Minuten (einwohnergewichtet, nur erreichbare Zellen)"
GRID_COL_MEDIAN = "Median Minuten (einwohnergewichtet)"
GRID_COL_MEDIAN_BEYOND = "Median über Grenze"
GRID_COL_WITHIN = "Anteil ≤ {minutes} min (%)"
GRID_COL_UNREACHABLE = "Anteil ohne erreichbares Angebot (%)"

# -- planning pages: Versorgung, Planung (Was wäre wenn, Standortvorschläge), Steckbrief ----

PAGE_SUPPLY = "Versorgung"
PAGE_PLANNING = "Planung"
PAGE_LAND = "Land"

# the Land page: a batch of every Kreis of a Land (erreichbarkeit batch)
LAND_NONE = (
    "Noch keine Land-Auswertung gefunden. Eine Auswertung aller Kreise eines Landes "
    "entsteht auf der Befehlszeile mit `erreichbarkeit batch` und erscheint hier, wenn ihr "
    "Ausgabeordner unter `{folder}` liegt (oder in der Umgebungsvariablen "
    "ERREICHBARKEIT_BATCH_DIR steht). Zum Ausprobieren mit vier erfundenen Kreisen: "
    "`erreichbarkeit batch --beispielland --out {folder}/beispielland`."
)
LAND_PICK = "Land-Auswertung"
LAND_UNREADABLE = "Die Übersicht {path} ist nicht lesbar: {error}"
LAND_CAPTION = "{n} Regionen · Ordner {folder}"
LAND_MAP_HEADER = "Karte der Regionen"
LAND_TABLE_HEADER = "Regionen im Vergleich"
LAND_NO_FIGURES = "Diese Auswertung enthält noch keine fertig berechnete Region."
LAND_FIGURE = "Kennzahl (Angebot – Verkehrsmittel)"
LAND_DRILL_HINT = (
    "„Karte öffnen“ zeigt die Region auf der Seite Karte (in einem neuen Tab); "
    "sie steht dort auch in der Auswahl „Region“ als „… (Land-Auswertung)“. "
    "„Teilabdeckung: ja“ heißt: ein Teil einer Gemeinde liegt außerhalb der Straßendaten – "
    "die Kennzahlen gelten dann nur für die vollständig abgedeckten Gemeinden."
)
LAND_WORKBOOK_BUTTON = "Landesmappe (Excel) herunterladen"
SUPPLY_TITLE = "Versorgung: Plätze je 1.000 Kinder ({label}, {mode})"
SUPPLY_CATEGORY = "Kategorie"
SUPPLY_PER_PLACES = "Plätze je 1.000 Kinder"
SUPPLY_PER_OFFERS = "Angebote je 1.000 Kinder"
SUPPLY_COL_DEMAND = "Kinder (Nachfrage)"
SUPPLY_COL_N_OFFERS = "Angebote in Reichweite"
SUPPLY_COL_IN_REACH = "{basis} in Reichweite"
SUPPLY_COL_VILLAGES = "Orte"
SUPPLY_COL_NO_ACCESS = "Orte ohne Angebot in Reichweite"
SUPPLY_COL_DEMAND_NO_ACCESS = "Kinder ohne Angebot in Reichweite"
SUPPLY_COL_LOCATED = "{basis} in der Gemeinde"
SUPPLY_MISSING_CAPACITY = "Kapazitäten fehlen – gezählt werden Angebote. {note}"
SUPPLY_NONE = "Für diese Auswahl gibt es keine Versorgungszahlen (keine Angebote der Kategorie)."
SUPPLY_KPI_DEMAND = "Kinder {ages} Jahre"
SUPPLY_KPI_RATIO = "{per} (Region)"
SUPPLY_KPI_NO_ACCESS = "Kinder ohne Angebot in Reichweite"
SUPPLY_KPI_VILLAGES = "Orte ohne Angebot in Reichweite"
SUPPLY_GEMEINDEN = "Je Gemeinde"
SUPPLY_VILLAGES = "Je Ort (niedrigste Versorgung zuerst)"
SUPPLY_CATCHMENT = (
    "Einzugsbereich: {minutes} min {mode} (Schwellenwert der Kategorie in der Regionsdatei); "
    "Nachfrage: Kinder {ages} Jahre."
)
SUPPLY_THRESHOLD_DIFFERS = (
    "Der Schwellenwert in der Seitenleiste ({sidebar} min) gilt für die Karte; die Versorgung "
    "wird mit dem Schwellenwert der Regionsdatei ({minutes} min) berechnet."
)
SUPPLY_HOW = "Wie wird gerechnet? (Plätze und Kinder im Einzugsbereich)"
SUPPLY_EXPLAIN = """
Die Versorgung stellt das **Angebot** (Plätze, z. B. Kita-Plätze) der **Nachfrage** (Kinder der
Altersgruppen der Kategorie) gegenüber, die es erreichen kann – nach dem
Zwei-Schritt-Verfahren *2SFCA* (two-step floating catchment area, Luo & Wang 2003):

1. **Je Angebot:** seine Plätze geteilt durch alle Kinder der Orte, die es innerhalb des
   Schwellenwerts erreichen (sein Einzugsbereich). Das ergibt „Plätze je Kind“ dieses Angebots.
2. **Je Ort:** die Summe dieser Verhältnisse über alle Angebote, die der Ort innerhalb des
   Schwellenwerts erreicht, angegeben als **Plätze je 1.000 Kinder**.

Ein Ort, der zwei Kitas erreicht, teilt sich deren Plätze mit allen anderen Orten, die sie
ebenfalls erreichen. 0 heißt: kein Angebot innerhalb des Schwellenwerts.

**Richtung:** Fahrzeit vom Ort zum Angebot (wie die Karte). **Einzugsbereich:** der
Schwellenwert der Kategorie für das Verkehrsmittel, in beiden Schritten gleich, ohne
Abstufung nach Entfernung. **Fehlende Kapazitäten:** Fehlt bei einem Angebot der Kategorie die
Platzzahl, zählt jedes Angebot als 1 („Angebote je 1.000 Kinder“). Die Gemeinde-Werte sind
das kindgewichtete Mittel ihrer Orte; „in der Gemeinde“ zählt dagegen nur die Plätze, die in
der Gemeinde liegen (ohne Wege über die Grenze).
"""

PLAN_TABS = ("Was wäre wenn", "Standortvorschläge")
PLAN_TITLE = "Planung: {label} ({mode})"
PLAN_UPLOAD_NOTE = (
    "Die hochgeladene Angebotsliste der Seite „Karte“ geht in die Planung nicht ein; "
    "Szenarien und Vorschläge beruhen auf den Angeboten der Region."
)
WI_NAME = "Name des Szenarios"
WI_DEFAULT_NAME = "Mein Szenario"
WI_KIND = "Änderung"
WI_KINDS = {"add": "Neues Angebot", "move": "Angebot verlegen", "close": "Angebot schließen"}
WI_POSITION = "Lage"
WI_POSITIONS = {"coords": "Karte / Koordinaten", "address": "Adresse"}
WI_LAT = "Breitengrad"
WI_LON = "Längengrad"
WI_ADDRESS = "Adresse (Straße Hausnummer, PLZ Ort)"
WI_OFFER_NAME = "Name des neuen Angebots"
WI_OFFER_CATEGORY = "Kategorie des neuen Angebots"
WI_OFFER = "Angebot"
WI_ADD = "Änderung hinzufügen"
WI_CLICK_HINT = "Ein Klick in die Karte übernimmt die Stelle als Lage (Breiten-/Längengrad rechts)."
WI_CHANGES = "Änderungen im Szenario"
WI_NO_CHANGES = (
    "Noch keine Änderung. Fügen Sie rechts ein Angebot hinzu, verlegen oder schließen Sie eins."
)
WI_REMOVE = "entfernen"
WI_CLEAR = "Alle Änderungen verwerfen"
WI_ADDED_NAME = "Neues Angebot"
WI_RESULT = "Was sich ändert"
WI_MOVED = "Orte mit veränderter Fahrzeit (neues nächstes Angebot)"
WI_NONE_MOVED = "Kein Ort hat eine andere Fahrzeit oder ein anderes nächstes Angebot."
WI_CROSSED = (
    "{within} Orte ({cw} Kinder) jetzt innerhalb, {beyond} Orte ({cb} Kinder) jetzt "
    "außerhalb der Schwelle."
)
WI_KPIS = "Kennzahlen vorher und nachher"
WI_SAVE = "Szenario als JSON speichern"
WI_LOAD = "Szenario laden (JSON)"
WI_LOADED = "Szenario „{name}“ geladen ({n} Änderungen)."
WI_KEEP = "Als {slot} merken"
WI_SLOTS = "Zwei Szenarien vergleichen"
WI_SLOTS_HINT = "Merken Sie bis zu zwei Szenarien (A und B), um sie nebeneinander zu vergleichen."
WI_SLOT_LABEL = "{slot}: „{name}“ ({n} Änderungen)"
WI_SLOT_FORGET = "{slot} vergessen"
WI_EXPORT = "Vergleich als Excel"
WI_TIME = "Neu berechnet in {seconds} s."
WI_FILES = "Speichern, laden, vergleichen"
MARK_ADDED = "neu: {name}"
MARK_MOVED = "verlegt: {name}"
MARK_CLOSED = "geschlossen: {name}"
MARK_LAYER_CHANGES = "Änderungen des Szenarios"
MARK_LAYER_SITES = "Vorgeschlagene Standorte"
MARK_SITE = "Vorschlag {rank}: {name} (+{gain} Kinder)"

LOC_CATEGORY = "Kategorie"
LOC_MODE = "Verkehrsmittel"
LOC_K = "Anzahl neuer Standorte"
LOC_MODEL = "Ziel"
LOC_MODEL_HELP = (
    "„möglichst viele Kinder innerhalb der Schwelle“ heißt fachlich Maximal Covering "
    "Location Problem (MCLP), „kürzeste mittlere Fahrzeit“ p-Median-Problem; gerechnet wird "
    "mit einem Optimierungsprogramm (Löser)."
)
LOC_MODELS = {
    "mclp": "möglichst viele Kinder innerhalb der Schwelle",
    "pmedian": "kürzeste mittlere Fahrzeit",
}
LOC_THRESHOLD = "Schwellenwert (Minuten)"
LOC_USE_VILLAGES = "Orte als mögliche Standorte"
LOC_UPLOAD = "Eigene mögliche Standorte (CSV, Excel, GeoPackage, GeoJSON)"
LOC_UPLOAD_HELP = "Punkte mit Name und Breiten-/Längengrad (oder eine Punkt-/Flächenebene)."
LOC_RUN = "Standorte vorschlagen"
LOC_RUNNING = "Standorte werden berechnet (höchstens etwa 20 Sekunden) …"
LOC_BAD_TYPE = (
    "Dateityp „{suffix}“ wird für Standorte nicht unterstützt (erlaubt: CSV, XLSX, GPKG, GeoJSON)."
)
LOC_NO_CANDIDATES = "Bitte Orte als Standorte zulassen oder eigene Standorte hochladen."
LOC_COL_RANK = "Rang"
LOC_COL_SITE = "Standort"
LOC_COL_GAIN = "zusätzlich erreichte Kinder"
LOC_COL_SHARE = "Anteil aller Kinder (%)"
LOC_COL_SAVED = "eingesparte Kinder-Minuten"
LOC_COL_LAT = "Breitengrad"
LOC_COL_LON = "Längengrad"
LOC_BEFORE = "Kinder innerhalb vorher"
LOC_AFTER = "Kinder innerhalb nachher"
LOC_MEAN = "Mittlere Minuten vorher → nachher"
LOC_TIME = "Berechnet in {seconds} s, {n} mögliche Standorte geprüft."
LOC_HINT = (
    "Bestehende Angebote bleiben. Die Tabelle nennt je Vorschlag, wie viele Kinder er "
    "zusätzlich innerhalb der Schwelle erreicht (nach den besser platzierten Vorschlägen)."
)

STECKBRIEF_HEADER = "Steckbrief (PDF, eine Seite A4)"
STECKBRIEF_HINT = (
    "Karte, Kennzahlen und die am schlechtesten erreichbaren Orte je gewählter Kategorie, "
    "für eine Gemeinde oder den ganzen Kreis; wird beim Klick erstellt (einige Sekunden)."
)
STECKBRIEF_SELECT = "Steckbrief für"
STECKBRIEF_KREIS = "ganzer Kreis"
STECKBRIEF_BUTTON = "Steckbrief herunterladen"

# -- Bus & Bahn -------------------------------------------------------------------------
PT_COLOR_BY = "Orte färben nach"
PT_COLOR_LABELS = {
    "minutes": "Minuten (Median)",
    "factor": "Faktor Bus & Bahn ÷ Auto",
}
PT_COLOR_HELP = (
    "„Faktor“: wie viel länger die Fahrt mit Bus & Bahn dauert als mit dem Auto "
    "(2,0 = doppelt so lange). Schwarz: kein ÖPNV-Angebot im Zeitfenster."
)
KPI_NO_PT = "Orte ohne ÖPNV-Angebot"
KPI_HELP_NO_PT = (
    "Orte ohne nutzbare Abfahrt zum nächsten Angebot im Zeitfenster, die auch zu Fuß "
    "nicht innerhalb der Höchstzeit ankommen."
)
PT_WINDOW_CAPTION = "Bus & Bahn: Abfahrt {window}, Stichtag {day}"
PT_WINDOW_NOTE = "Abfahrt {window}, Stichtag {day}"
PT_MEDIAN_HINT = (
    "Bus & Bahn: Minuten sind der Median über die Abfahrtszeiten im Zeitfenster "
    "(Tür zu Tür, mit Warten); km werden für Bus & Bahn nicht angegeben („—“)."
)
PT_WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
COL_PT_BEST = "{label}: schnellste Fahrt (Minuten)"
COL_PT_DEPARTURES = "{label}: Abfahrten im Zeitfenster"
COL_PT_TRANSFERS = "{label}: Umstiege"
COL_PT_FACTOR = "{label}: Faktor zum Auto"
COL_PT_STATUS = "{label}: Hinweis Bus & Bahn"
COL_PT_HOME_AT = "{label}: zurück zu Hause um"
COL_PT_HOME_BY = "{label}: rechtzeitig zurück"
PT_FACTOR_LEGEND = "{label}: Bus & Bahn im Vergleich zum Auto (Faktor)"
