"""The *Methodik* rows and the *Hinweise* table of a run (German, for every export)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd

from erreichbarkeit._version import __version__
from erreichbarkeit.analysis.need import NEED_METHOD_DE
from erreichbarkeit.analysis.outreach import OUTREACH_METHOD_DE
from erreichbarkeit.config import MODE_LABELS, Settings, format_window, step_de
from erreichbarkeit.errors import ErreichbarkeitError
from erreichbarkeit.network.profiles import PROFILE_SUMMARY, access_and_ferry_rows
from erreichbarkeit.network.transit.setup import TRANSIT_ENGINE_VERSION
from erreichbarkeit.report.responsibility import RESPONSIBILITY_METHOD_DE
from erreichbarkeit.results import Results

__all__ = [
    "SUPPLY_METHOD_DE",
    "TRANSIT_METHOD_DE",
    "area_rows",
    "hinweise_table",
    "methodik",
    "methodik_rows",
]

#: The Methodik's sentence on what counts inside and outside the analysis area.
AREA_CONTEXT_DE = (
    "Kennzahlen, Gemeindetabellen, Steckbriefe und Standortvorschläge gelten für das "
    "Auswertungsgebiet. Orte und Angebote außerhalb (übriger Kreis und Umgebung jenseits der "
    "Kreisgrenze, soweit die Daten reichen) zählen weiter als Ziele – Familien nutzen auch "
    "Angebote jenseits der Grenze – und erscheinen als Umgebung auf der Karte; ihre Kinder "
    "gehen nicht in die Kennzahlen ein."
)


def _timings_de(timings: Mapping[str, float]) -> str:
    """The run's step timings in German: „Netz vorbereiten (Auto): 0,8 s, …“."""
    parts = []
    for step, seconds in timings.items():
        parts.append(f"{step_de(step)}: " + f"{seconds:.1f}".replace(".", ",") + " s")
    return ", ".join(parts)


def area_rows(results: Results) -> list[tuple[str, str]]:
    """The rows „Auswertungsgebiet“: name, Gemeinden, source, and what counts outside.

    None when the run covers every village and names no ``[area]``.
    """
    s, v, bnd = results.settings, results.villages, results.boundaries
    everything = "in_area" not in v.columns or bool(v["in_area"].all())
    if everything and s.area is None:
        return []
    inside = v[v["in_area"].astype(bool)] if "in_area" in v.columns else v
    if "in_area" in bnd.columns:
        gem = bnd[bnd["in_area"].astype(bool)].sort_values("ags")
        pairs = list(zip(gem["ags"].astype(str), gem["gemeinde"].astype(str), strict=True))
    else:
        keys = inside[["ags", "gemeinde"]].dropna().astype(str).drop_duplicates()
        pairs = sorted(zip(keys["ags"], keys["gemeinde"], strict=True))
    listing = ", ".join(f"{g} ({a})" for a, g in pairs)
    rows = [
        (
            "Auswertungsgebiet",
            f"{s.area_name}: {len(pairs)} Gemeinden ({listing}); {len(inside)} von {len(v)} "
            "Orten der Daten liegen im Gebiet.",
        )
    ]
    area = s.analysis_area()
    if area is not None and area.source:
        rows.append(("Auswertungsgebiet: Quelle", area.source))
    rows.append(("Auswertungsgebiet: Umgebung", AREA_CONTEXT_DE))
    return rows


def hinweise_table(results: Results) -> pd.DataFrame:
    """Row problems of the inputs as a German table (sheet *Hinweise*)."""
    rows = [
        {
            "Datei": p.file,
            "Zeile": p.row or None,
            "Spalte": p.column or "",
            "Art": "Fehler (Zeile nicht verwendet)" if p.severity == "error" else "Hinweis",
            "Meldung": p.message_de,
        }
        for p in results.inputs.problems
    ]
    return pd.DataFrame(rows, columns=["Datei", "Zeile", "Spalte", "Art", "Meldung"])


#: The 2SFCA method in German for the Methodik sheet.
SUPPLY_METHOD_DE = (
    "Zwei-Schritt-Verfahren (2SFCA, Luo & Wang 2003) je Kategorie und Verkehrsmittel: "
    "1) je Angebot j das Verhältnis R_j = Kapazität S_j / Σ Kinder D_i der Orte i, die j "
    "innerhalb des Schwellenwerts erreichen; 2) je Ort i die Versorgung A_i = Σ R_j über die "
    "Angebote, die i innerhalb des Schwellenwerts erreicht, angegeben als Plätze je 1 000 "
    "Kinder der Altersgruppen der Kategorie. Reiserichtung: vom Ort zum Angebot (Minuten der "
    "Reisezeitentabelle), beide Schritte mit demselben Schwellenwert, ohne Distanzgewichtung "
    "(W = 1). Fehlen Kapazitäten, zählt jedes Angebot als 1 (Angebote je 1 000 Kinder)."
)


def methodik(results: Results) -> list[tuple[str, str]]:
    """The Methodik rows (German) for the workbook."""
    s = results.settings
    speeds = {m: PROFILE_SUMMARY[m] for m in s.road_modes}
    extra: list[tuple[str, str]] = []
    for mode in s.modes:
        if s.routing.speeds.get(mode) or s.routing.maxspeed.get(mode):
            over = dict(s.routing.speeds.get(mode, {})) | dict(s.routing.maxspeed.get(mode, {}))
            extra.append(
                (
                    f"Geschwindigkeiten angepasst ({mode})",
                    ", ".join(f"{k} = {v:g} km/h" for k, v in over.items()),
                )
            )
    n_far = int((~results.villages["snap_ok"]).sum()) if "snap_ok" in results.villages else 0
    extra.append(
        (
            "Orte ohne Ergebnis",
            f"{n_far} Orte liegen für mindestens ein Verkehrsmittel weiter als "
            f"{s.routing.max_snap_m:g} m vom Straßennetz und wurden für dieses nicht berechnet "
            "(die Spalte „Hinweis“ nennt das Verkehrsmittel).",
        )
    )
    extra.extend(_transit_rows(results))
    extra.extend(("Hinweis", n) for n in results.inputs.notices)
    if len(results.supply):
        extra.append(("Versorgung (2SFCA)", SUPPLY_METHOD_DE))
        notes = sorted({str(n) for n in results.supply.get("supply_note", []) if str(n)})
        extra.extend(("Versorgung: Kapazitäten", n) for n in notes)
    if len(results.responsibility):
        extra.append(("Zuständigkeit", RESPONSIBILITY_METHOD_DE))
    if results.need is not None:
        extra.append(("Bedarf und Erreichbarkeit", NEED_METHOD_DE))
    if len(results.inputs.outreach):
        extra.append(("Aufsuchende Angebote", OUTREACH_METHOD_DE))
    if results.grid is not None:
        extra.extend((str(k), str(v)) for k, v in results.grid.meta.items())
    extra.append(("Rechenzeiten", _timings_de(results.timings)))
    return methodik_rows(
        s,
        area=area_rows(results),
        sources=results.inputs.sources,
        speeds=speeds,
        estimates=results.inputs.estimates,
        version=__version__,
        created=datetime.now(),
        extra=extra,
    )


#: Keys of a data source mapping with their German aliases.
_SOURCE_KEYS = (
    ("name", "Daten"),
    ("file", "Datei"),
    ("date", "Stand"),
    ("attribution", "Quelle"),
    ("licence", "Lizenz"),
    ("url", "URL"),
)
_PROFILES = {"car": "car.lua", "bike": "bicycle.lua", "walk": "foot.lua"}
_ALGORITHMS = {"CH": "Contraction Hierarchies (CH)", "MLD": "Multi-Level Dijkstra (MLD)"}
_INDICATORS_DE = (
    "Median der Minuten zum nächsten Angebot, gewichtet mit der Einwohnerzahl bzw. der "
    "Zahl der Kinder der Altersgruppen der Kategorie: unterer gewichteter Median "
    "(kleinster Wert, bei dem die Hälfte des Gewichts erreicht ist). Orte ohne "
    "erreichbares Angebot werden dabei nicht weggelassen, sondern zählen mit ihren "
    "Einwohnern bzw. Kindern als „über der Berechnungsgrenze“ ({cutoff}). Hat die Hälfte "
    "des Gewichts oder mehr kein erreichbares Angebot, lautet der Median „> {cutoff}“; "
    "in den Tabellen steht dann die Berechnungsgrenze als Zahl (damit die Spalte "
    "sortierbar bleibt) und die Spalte „Median über Grenze“ ist „ja“. Der Mittelwert "
    "(„nur erreichbare Orte“) rechnet nur über Orte mit erreichbarem Angebot; daneben "
    "steht der Anteil ohne erreichbares Angebot. Kinder in Orten ohne erreichbares "
    "Angebot zählen als jenseits des Schwellenwerts. Genau auf dem Schwellenwert gilt "
    "als innerhalb. Ein Ort ist unterversorgt, wenn das nächste Angebot weiter als der "
    "Schwellenwert entfernt oder nicht erreichbar ist. Die Kreiswerte rechnen, wenn "
    "Gemeinden nur teilweise im Kartenausschnitt liegen, nur über die vollständig "
    "erfassten Gemeinden und nennen deren Anteil an den Kindern."
)
_AGES_DE = (
    "Die Spalte „Altersgruppen“ der Angebotsliste (z. B. „0-3“, „3–6, 6–10“, „ab 10 Jahre“, "
    "„U3“, „bis 6“, „Schulkinder“) wird gelesen: ein Angebot zählt für jede "
    "Altersgruppen-Spanne (0–3, 3–6, 6–10, 10–18, 18–27 Jahre, jeweils bis zum Geburtstag der"
    " Obergrenze), die seine Altersangabe überschneidet („bis 6“ = bis zum 6. Geburtstag: 0–3"
    " und 3–6; „4–12“: 3–6, 6–10 und 10–18; „Kinder“ unter 14, „Jugendliche“ 14–17, "
    "„Eltern“/„Familien“ ohne Altersangabe: alle). Leere oder nicht lesbare Angaben (mit "
    "Hinweis) und Angebote aus OpenStreetMap zählen für die Altersgruppen ihrer Kategorie. In"
    " der Ansicht einer Altersgruppe zählen nur Angebote für diese Altersgruppe (nächstes "
    "Angebot, Angebote im Schwellenwert); eine Kategorie für andere Altersgruppen, deren "
    "Angebote sie nicht nennen, zeigt wie ohne Altersangaben ihr nächstes Angebot. Die "
    "Kinder-Kennzahlen der Gemeinden und des Kreises messen die Kinder jeder Altersgruppe am "
    "nächsten Angebot für ihre Altersgruppe; die Spalten der Orte „Minuten“ und „nächstes "
    "Angebot“ nennen das nächste Angebot der Kategorie gleich welchen Alters, die Spalten "
    "„Minuten (0–3 Jahre)“ usw. das nächste für die Altersgruppe. In der Versorgung (2SFCA) "
    "teilen sich die Plätze eines Angebots nur die Kinder der Altersgruppen, für die es "
    "zählt."
)
_COORDINATES_DE = (
    "Excel und CSV: Längen- und Breitengrad (lon/lat, WGS84, EPSG:4326). "
    "GeoPackage: ETRS89 / UTM Zone 32N (EPSG:25832), Meter."
)


#: The Bus & Bahn method in German for the Methodik sheet.
TRANSIT_METHOD_DE = (
    "Bus & Bahn: Tür-zu-Tür-Reisezeit aus den Fahrplänen (GTFS) mit dem Fahrplanrouter "
    "nigiri (RAPTOR, über pynigiri {engine}). Fußwege vom Ort zur Haltestelle und von der "
    "Haltestelle zum Angebot über das OSM-Fußwegenetz (OSRM, höchstens {access} je Seite), "
    "nie Luftlinie. Für jede Abfahrtsminute im Zeitfenster der Kategorie zählt die schnellste "
    "Verbindung einschließlich Wartezeit, Umstiegen und Fußwegen; angegeben ist der Median über "
    "alle Minuten des Zeitfensters (wie r5py/Conveyal), daneben die schnellste Fahrt, die Zahl "
    "der nutzbaren Abfahrten und die Umstiege. Ist der ganze Weg zu Fuß schneller, zählt er "
    "(Bus & Bahn ist nie langsamer als zu Fuß). Orte ohne nutzbare Abfahrt heißen „kein "
    "ÖPNV-Angebot im Zeitfenster“ und zählen als nicht erreichbar, nie als 0. Je Ort werden "
    "die {candidates} nächsten Angebote jeder Kategorie (Luftlinie) abgefragt; Zählungen "
    "innerhalb des Schwellenwerts und die Versorgung (2SFCA) beziehen sich auf diese. "
    "Rufbusse, AST und Bürgerbusse fehlen in vielen Fahrplänen oder sind nicht gekennzeichnet."
)
_TRANSIT_GRID_DE = (
    "Raster Bus & Bahn (Näherung): je Haltestelle der Median zur nächsten Einrichtung der "
    "Kategorie, plus der Fußweg von der Zelle zur Haltestelle; die beste Haltestelle oder der "
    "Fußweg zählt. Der Fußweg verschiebt dabei das Zeitfenster um bis zu {access}."
)


def _transit_rows(results: Results) -> list[tuple[str, str]]:
    """Reference day, windows, method, the way home and the car factor (with ``pt``)."""
    s = results.settings
    timetable = results.inputs.timetable
    if "pt" not in s.modes or timetable is None:
        return []
    access = _fmt_minutes(s.transit.max_access_min)
    windows = "; ".join(
        f"{c.label} {format_window(s.pt_window(c.key))}"
        for c in sorted(s.categories().values(), key=lambda c: (c.order, c.key))
        if c.key in results.categories
    )
    rows = [
        ("Bus & Bahn: Stichtag", f"{timetable.day:%A, %d.%m.%Y}".replace(
            timetable.day.strftime("%A"), _WEEKDAYS[timetable.day.weekday()])),
        ("Bus & Bahn: Zeitfenster (Abfahrt zu Hause)", windows),
        ("Bus & Bahn: Methode", TRANSIT_METHOD_DE.format(
            engine=TRANSIT_ENGINE_VERSION, access=access, candidates=s.transit.candidates)),
        ("Bus & Bahn: Rückweg", (
            f"Für Angebote am Nachmittag (Zeitfenster ab 12:00): Abfahrt zu Beginn des "
            f"Zeitfensters, {_fmt_minutes(s.transit.stay_min)} Aufenthalt, dann die erste "
            f"Verbindung zurück; „rechtzeitig zurück“ heißt Ankunft zu Hause bis "
            f"{format_window((s.transit.home_by, s.transit.home_by))[:5]} Uhr.")),
        ("Bus & Bahn: Faktor zum Auto", (
            "Minuten mit Bus & Bahn ÷ Minuten mit dem Auto zum jeweils nächsten Angebot; "
            "Orte mit Faktor über 2 oder ohne Verbindung werden genannt.")),
    ]  # fmt: skip
    if results.grid is not None:
        rows.append(("Bus & Bahn: Raster", _TRANSIT_GRID_DE.format(access=access)))
    return rows


_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def _fmt_minutes(x: float) -> str:
    """Minutes the German way (``7,5 min``)."""
    return f"{x:g}".replace(".", ",") + " min"


def methodik_rows(
    settings: Settings,
    *,
    sources: Sequence[Mapping[str, str]],
    speeds: Mapping[str, str],
    estimates: Sequence[str],
    version: str,
    created: datetime,
    extra: Sequence[tuple[str, str]] = (),
    area: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """German ``(Thema, Beschreibung)`` rows describing how the results were made.

    Parameters
    ----------
    settings
        The run's settings (modes, thresholds, routing options).
    sources
        Data sources, each a mapping with ``name`` and optionally ``file``,
        ``date`` (Stand), ``attribution`` (e.g. "© OpenStreetMap-Mitwirkende"),
        ``licence`` (e.g. "ODbL 1.0", or attribution and licence in one) and
        ``url``.  The German keys ``Daten``, ``Datei``, ``Stand``, ``Quelle``,
        ``Lizenz``, ``URL`` are accepted as aliases.  One row per source:
        ``name (file); Stand date; attribution, licence; url``.
    speeds
        Speed assumptions per mode (``{"car": "Landstraße 80 km/h, …"}``).
    estimates
        Sentences on how population and children were estimated.
    version
        Tool version.
    created
        When the results were made.
    extra
        Further rows appended at the end.
    area
        The analysis area's rows (:func:`area_rows`), right after the region.

    Returns
    -------
    list[tuple[str, str]]
        Rows for :func:`erreichbarkeit.report.xlsx.write_excel`'s ``methodik``.

    Raises
    ------
    ErreichbarkeitError
        If a source lacks ``name``.
    """
    rows: list[tuple[str, str]] = [
        ("Region", settings.name),
        *area,
        ("Werkzeug", f"erreichbarkeit {version} (Open Source)"),
        ("Erstellt am", created.strftime("%d.%m.%Y, %H:%M Uhr")),
    ]
    rows.extend(("Datenquelle", _source_text(src)) for src in sources)
    rows.extend(_routing_rows(settings, speeds))
    rows.extend(_threshold_rows(settings))
    rows.extend(("Schätzung", text) for text in estimates)
    rows.extend(_rule_rows(settings))
    rows.extend(extra)
    return rows


def _source_text(src: Mapping[str, str]) -> str:
    """One data source as ``name (file); Stand date; attribution, licence; url``."""
    fields = {key: str(src.get(key) or src.get(alias) or "") for key, alias in _SOURCE_KEYS}
    if not fields["name"]:
        msg = f"data source without a name: {dict(src)!r}"
        raise ErreichbarkeitError(msg, expected="name (Daten), date, licence, url")
    parts = [f"{fields['name']} ({fields['file']})" if fields["file"] else fields["name"]]
    if fields["date"]:
        parts.append(f"Stand {fields['date']}")
    rights = ", ".join(v for v in (fields["attribution"], fields["licence"]) if v)
    if rights:
        parts.append(rights)
    if fields["url"]:
        parts.append(fields["url"])
    return "; ".join(parts)


def _routing_rows(settings: Settings, speeds: Mapping[str, str]) -> list[tuple[str, str]]:
    """The routing engine and profile per mode, then the speed assumptions."""
    per_mode = []
    for m in settings.road_modes:
        algo = settings.routing.algorithm.get(m, "?")
        per_mode.append(
            f"{MODE_LABELS.get(m, m)}: Profil {_PROFILES.get(m, m)}, {_ALGORITHMS.get(algo, algo)}"
        )
    rows = [
        (
            "Routing",
            "Reisezeiten und Wegelängen über das Straßen- und Wegenetz mit OSRM "
            "(Open Source Routing Machine), kürzeste Reisezeit von Ort zu Angebot. "
            + "; ".join(per_mode)
            + ".",
        )
    ]
    for mode in settings.modes:
        if mode in speeds:
            rows.append((f"Geschwindigkeit {MODE_LABELS.get(mode, mode)}", speeds[mode]))
    return rows


def _threshold_rows(settings: Settings) -> list[tuple[str, str]]:
    """The threshold per category and mode (marked when changed) and the age groups."""
    rows = []
    for cat in sorted(settings.categories().values(), key=lambda c: (c.order, c.key)):
        parts = []
        for mode in settings.modes:
            value = settings.threshold(cat.key, mode)
            changed = cat.key in settings.thresholds and mode in settings.thresholds[cat.key]
            parts.append(
                f"{MODE_LABELS.get(mode, mode)} {_fmt_minutes(value)}"
                + (" (angepasst)" if changed else "")
            )
        rows.append(
            (
                f"Schwellenwert {cat.label}",
                ", ".join(parts) + f". Altersgruppen: {', '.join(cat.age_groups)} Jahre.",
            )
        )
    return rows


def _rule_rows(settings: Settings) -> list[tuple[str, str]]:
    """Unreachable villages, snapping, access legs and ferries, key figures, coordinates."""
    cutoff = _fmt_minutes(settings.routing.cutoff_minutes)
    return [
        (
            "Nicht erreichbar",
            f"Verbindungen über {cutoff} werden nicht berechnet. Ist kein Angebot einer "
            "Kategorie erreichbar, bleiben Minuten und Kilometer leer (nie 0); die Spalte "
            "„Hinweis“ nennt den Grund. Solche Orte zählen als unterversorgt, ihre Kinder als "
            "„jenseits des Schwellenwerts“.",
        ),
        (
            "Anbindung ans Straßennetz",
            f"Orte und Angebote, die weiter als {settings.routing.max_snap_m:.0f} m vom "
            "nächsten nutzbaren Weg entfernt liegen, werden nicht verschoben, sondern "
            "nicht berechnet und gekennzeichnet („zu weit vom Straßennetz“).",
        ),
        *access_and_ferry_rows(settings.routing, settings.road_modes),
        ("Kennzahlen der Gemeinden", _INDICATORS_DE.format(cutoff=cutoff)),
        ("Altersgruppen der Angebote", _AGES_DE),
        ("Koordinaten", _COORDINATES_DE),
    ]
