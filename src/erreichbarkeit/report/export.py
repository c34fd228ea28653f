"""Exports a Kreisjugendamt can open: Excel with a Methodik sheet, German CSV, GeoPackage.

Every file is written atomically (temporary file beside the target, then
``os.replace`` via :mod:`erreichbarkeit._atomic`): readers see the old file or
the complete new one, never a half-written file.

Formula injection
-----------------
Offer and village names come from OpenStreetMap and from planners' lists, so
a name such as ``=HYPERLINK("http://…")`` must never become a live formula.
Following OWASP ("CSV Injection") and OWASP ASVS 5.0 requirement 1.2.10 —
which applies the same rule to CSV *and* XLSX/ODF —
every text cell whose first character (also after leading white space) is
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL gets a leading
apostrophe (:func:`safe_cell`).  Numbers are written as numbers and never
changed, so a real negative number stays a number.

Why a visible apostrophe rather than keeping the text and setting the xlsx
``quotePrefix`` style flag: in an xlsx file a text cell (``t="s"``) is never
evaluated — the danger there is a writer that turns a string starting with
``=`` into a formula cell (openpyxl and XlsxWriter do so by default), which we avoid by
always writing prefixed text (and XlsxWriter is opened with
``strings_to_formulas=False``).  ``quotePrefix`` only tells Excel to keep the
cell text when a user *edits* it; whether other programs (LibreOffice,
Numbers, Google Sheets, online viewers) honour that style attribute varies,
and it is lost as soon as a user saves the sheet as CSV.  A literal
apostrophe behaves the same in every program and survives copy/paste and
CSV export; the cost is that the rare affected name shows a leading ``'``.
The tests check that such a cell is read back as text (``data_type == "s"``)
starting with the apostrophe.

Coordinate systems
------------------
All tables handed in are in EPSG:4326.  Excel and CSV get ``lon``/``lat``
columns (WGS84 degrees) instead of geometries.  The GeoPackage is written in
EPSG:25832 (ETRS89 / UTM 32N), the metric CRS German surveying and GIS
offices use (and VG250 ships in), so distances and areas measured in QGIS are
in metres.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import xlsxwriter
from geopandas.array import GeometryDtype
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import METRIC_CRS, MODE_LABELS, WGS84, Settings
from erreichbarkeit.errors import CRSError, ErreichbarkeitError

__all__ = [
    "EXCEL_MAX_ROWS",
    "METHODIK_SHEET",
    "export_all",
    "methodik_rows",
    "safe_cell",
    "write_csv_de",
    "write_excel",
    "write_geopackage",
    "write_parquet",
]

logger = logging.getLogger(__name__)

#: Rows of an Excel sheet (including the header row).
EXCEL_MAX_ROWS = 1_048_576
#: Name of the methods sheet :func:`write_excel` appends.
METHODIK_SHEET = "Methodik"

_FORMULA_CHARS = ("=", "+", "-", "@")
_CONTROL_CHARS = ("\t", "\r", "\0")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_LAYER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 2000


# -- cells -----------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    object
        A ``str`` starting with ``=``, ``+``, ``-`` or ``@`` (also after
        leading white space) or with a tab, carriage return or NUL gets a
        leading apostrophe (``"=1+1"`` → ``"'=1+1"``, ``"-5"`` → ``"'-5"``);
        every other value, including numbers such as ``-5``, is returned
        unchanged.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("  @SUM(A1)"), safe_cell(-5), safe_cell("Kita")
    ("'=1+1", "'  @SUM(A1)", -5, 'Kita')
    """
    if isinstance(value, str) and (
        value.startswith(_CONTROL_CHARS) or value.lstrip().startswith(_FORMULA_CHARS)
    ):
        return "'" + value
    return value


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return False


def _excel_value(value: Any) -> Any:  # noqa: PLR0911 (a type dispatch)
    """A Python value XlsxWriter writes as the right cell type (None = empty)."""
    if _is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        return safe_cell(str(value))
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("Europe/Berlin").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, datetime | date):
        return value.replace(tzinfo=None) if isinstance(value, datetime) else value
    return safe_cell(str(value))


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry columns; add ``lon``/``lat`` (WGS84) for point geometries.

    ``lon``/``lat`` are added only when the active geometry holds points and
    the table has no such columns yet.
    """
    geom_cols = [c for c in df.columns if isinstance(df[c].dtype, GeometryDtype)]
    if not geom_cols:
        return pd.DataFrame(df)
    out = pd.DataFrame(df.drop(columns=geom_cols))
    if isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in geom_cols:
        geom = df.geometry
        nonempty = geom[~(geom.isna() | geom.is_empty)]
        if (
            len(nonempty)
            and (nonempty.geom_type == "Point").all()
            and "lon" not in out.columns
            and "lat" not in out.columns
        ):
            if geom.crs is not None and not geom.crs.equals(WGS84):
                geom = geom.to_crs(WGS84)
            valid = ~(geom.isna() | geom.is_empty)
            out["lon"] = np.where(valid, geom.x.where(valid), np.nan)
            out["lat"] = np.where(valid, geom.y.where(valid), np.nan)
    return out


def _number_format(column: str, dtype: Any) -> str | None:
    """Excel number format for a column, chosen from its name and dtype."""
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    name = column.lower()
    rules: tuple[tuple[bool, str], ...] = (
        (name in ("lon", "lat"), "0.000000"),
        ("share" in name or name.startswith("anteil"), "0.0%"),
        (name in ("minutes", "km") or name.endswith(("_min", "_km", "_minutes")), "0.0"),
        (name.endswith("_m") or name in ("population", "osm_population"), "0"),
        (name.startswith("children") or name.endswith("_beyond"), "0.0"),
    )
    return next((fmt for hit, fmt in rules if hit), None)


def _width(header: str, values: Sequence[Any]) -> float:
    longest = len(str(header))
    for v in values[:_WIDTH_SAMPLE]:
        if v is None:
            continue
        text = f"{v:.1f}" if isinstance(v, float) else str(v)
        longest = max(longest, len(text))
    return float(min(longest + 2, _MAX_WIDTH))


def _validate_sheet_names(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        problem = None
        if not name or len(name) > 31:
            problem = "must have 1 to 31 characters"
        elif _BAD_SHEET_CHARS.search(name):
            problem = "must not contain [ ] : * ? / \\"
        elif name.startswith("'") or name.endswith("'"):
            problem = "must not start or end with an apostrophe"
        elif name.casefold() in seen:
            problem = "is used twice (Excel ignores case)"
        if problem:
            msg = f"sheet name {name!r} {problem}"
            raise ErreichbarkeitError(
                msg,
                expected="1–31 characters without [ ] : * ? / \\, unique",
                message_de=f"Ungültiger Tabellenblattname „{name}“",
            )
        seen.add(name.casefold())


class _Formats:
    """The workbook's cell formats, created once (XlsxWriter formats belong to a workbook)."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self.bold = wb.add_format({"bold": True})
        self.bold_top = wb.add_format({"bold": True, "valign": "top", "text_wrap": True})
        self.top = wb.add_format({"valign": "top", "text_wrap": True})
        self.datetime = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        self._numbers: dict[str, Any] = {}

    def number(self, fmt: str) -> Any:
        if fmt not in self._numbers:
            self._numbers[fmt] = self._wb.add_format({"num_format": fmt})
        return self._numbers[fmt]


def _write_table(ws: Worksheet, df: pd.DataFrame, formats: _Formats) -> None:
    """Write one table row by row (constant memory) with a styled header.

    Column number formats are set on the columns; XlsxWriter applies a
    column's format to every cell written there without its own format.
    """
    columns = [str(c) for c in df.columns]
    values = [[_excel_value(v) for v in df[c].tolist()] for c in df.columns]
    for j, (header, col) in enumerate(zip(columns, values, strict=True)):
        fmt = _number_format(header, df[df.columns[j]].dtype)
        ws.set_column(j, j, _width(header, col), formats.number(fmt) if fmt else None)
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, len(df), len(columns) - 1)
    ws.write_row(0, 0, [safe_cell(h) for h in columns], formats.bold)
    for i, row in enumerate(zip(*values, strict=True) if values else (), start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                ws.write_datetime(i, j, value, formats.datetime)
            else:
                ws.write(i, j, value)


def _methodik_frame(methodik: Sequence[tuple[str, str]] | pd.DataFrame) -> list[tuple[str, str]]:
    if isinstance(methodik, pd.DataFrame):
        if methodik.shape[1] != 2:
            msg = "the Methodik table must have two columns (Thema, Beschreibung)"
            raise ErreichbarkeitError(msg, expected="Thema, Beschreibung")
        return [(str(a), str(b)) for a, b in methodik.itertuples(index=False, name=None)]
    return [(str(a), str(b)) for a, b in methodik]


def _german_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _fill_workbook(
    wb: Workbook,
    sheets: Mapping[str, pd.DataFrame],
    methodik: list[tuple[str, str]],
    limit: int,
) -> list[tuple[str, str]]:
    """Write the tables and the Methodik sheet; return the notes on skipped tables."""
    formats = _Formats(wb)
    notes: list[tuple[str, str]] = []
    for name, df in sheets.items():
        if len(df) > limit:
            logger.info("sheet %s skipped: %d rows > %d", name, len(df), limit)
            notes.append(
                (
                    f"Tabelle „{name}“",
                    f"Nicht in dieser Arbeitsmappe: {_german_int(len(df))} Zeilen sind mehr als "
                    f"die hier erlaubten {_german_int(limit)}. Die vollständige Tabelle liegt "
                    "als CSV-/Parquet-Datei neben dieser Datei.",
                )
            )
            continue
        _write_table(wb.add_worksheet(name), _plain(df), formats)
    ws = wb.add_worksheet(METHODIK_SHEET)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 110)
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, ["Thema", "Beschreibung"], formats.bold)
    for i, (thema, text) in enumerate([*methodik, *notes], start=1):
        ws.write_string(i, 0, str(safe_cell(thema)), formats.bold_top)
        ws.write_string(i, 1, str(safe_cell(text)), formats.top)
    return notes


def write_excel(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    methodik: Sequence[tuple[str, str]] | pd.DataFrame,
    max_rows_per_sheet: int = 1_000_000,
) -> Path:
    """Write tables to an xlsx workbook with a closing Methodik sheet.

    Each sheet gets a bold, frozen header row with an autofilter, column
    widths fitted to the content (max. 60 characters) and number formats
    (``0.0`` for minutes and km, ``0.0%`` for shares, ``0`` for population
    and metres, ``0.000000`` for lon/lat).  Every text cell goes through
    :func:`safe_cell`; NaN becomes an empty cell.  Geometry columns are
    dropped and, for point layers, replaced by ``lon``/``lat``.

    Parameters
    ----------
    path
        Target ``.xlsx`` file (replaced atomically).
    sheets
        Tables by (German) sheet name, in the order given, e.g. ``Orte``,
        ``Gemeinden``, ``Angebote``, ``Reisezeiten``.
    methodik
        ``(Thema, Beschreibung)`` rows (see :func:`methodik_rows`) or a
        two-column DataFrame; written as the last sheet ``Methodik``.
    max_rows_per_sheet
        Tables with more data rows are left out; a note row in Methodik says
        so.  Capped at Excel's limit of 1,048,575 data rows.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ErreichbarkeitError
        If a sheet name is invalid or repeated (or is ``Methodik``).
    """
    path = Path(path)
    _validate_sheet_names([*sheets.keys(), METHODIK_SHEET])
    limit = min(max_rows_per_sheet, EXCEL_MAX_ROWS - 1)
    with atomic_path(path) as tmp:
        # XlsxWriter (not openpyxl) because it writes large sheets several
        # times faster; strings stay strings (no formula/URL/number guessing).
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
            },
        )
        try:
            notes = _fill_workbook(wb, sheets, _methodik_frame(methodik), limit)
        finally:
            wb.close()
    logger.info("wrote %s (%d sheets)", path, len(sheets) + 1 - len(notes))
    return path


def write_csv_de(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a CSV that German Excel opens by double-click.

    ``;`` as separator, decimal comma, UTF-8 with BOM (``utf-8-sig``),
    CRLF line ends (RFC 4180), booleans as ``ja``/``nein``, NaN as an empty
    field, every text through :func:`safe_cell`.  Geometry columns are
    dropped (point layers get ``lon``/``lat``).  Read it back with
    ``pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")``.

    Parameters
    ----------
    path
        Target file (replaced atomically).
    df
        The table.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    out = _plain(df)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "ja", False: "nein"}).astype(object)
        elif not pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = [_csv_value(v) for v in s.tolist()]
    with atomic_path(path) as tmp:
        out.to_csv(
            tmp,
            sep=";",
            decimal=",",
            encoding="utf-8-sig",
            index=False,
            na_rep="",
            lineterminator="\r\n",
        )
    logger.info("wrote %s (%d rows)", path, len(out))
    return path


def _csv_value(value: Any) -> Any:
    if _is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "ja" if value else "nein"
    if isinstance(value, float | np.floating):
        return f"{float(value)!r}".replace(".", ",")
    if isinstance(value, int | np.integer):
        return int(value)
    return safe_cell(value if isinstance(value, str) else str(value))


def write_geopackage(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: str = METRIC_CRS,
) -> Path:
    """Write layers into one GeoPackage, atomically for the whole file.

    All layers are written into a temporary ``.gpkg`` beside ``path`` with
    pyogrio; only when every layer succeeded is it renamed onto ``path``.

    Parameters
    ----------
    path
        Target ``.gpkg`` (replaced atomically).
    layers
        GeoDataFrames by layer name (``orte``, ``angebote``, ``gemeinden``).
        Names: letter or underscore first, then letters, digits,
        underscores, at most 63 characters, unique ignoring case.  Every
        layer needs a CRS.
    crs
        CRS the layers are written in (default EPSG:25832, metric, as German
        GIS offices use).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ErreichbarkeitError
        If a layer name is invalid or repeated, or no layer is given.
    CRSError
        If a layer has no CRS.
    """
    path = Path(path)
    if not layers:
        msg = "no layers to write"
        raise ErreichbarkeitError(msg, file=path, message_de="Keine Ebenen zum Schreiben")
    seen: set[str] = set()
    for name in layers:
        if not _LAYER_NAME.match(name) or name.casefold() in seen:
            msg = f"invalid or repeated layer name {name!r}"
            raise ErreichbarkeitError(
                msg,
                file=path,
                expected="letters, digits, underscore; first a letter; max. 63; unique",
                message_de=f"Ungültiger oder doppelter Ebenenname „{name}“",
            )
        seen.add(name.casefold())
    prepared: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in layers.items():
        if gdf.crs is None:
            msg = f"layer {name!r} has no CRS"
            raise CRSError(
                msg,
                file=path,
                expected=WGS84,
                message_de=f"Ebene „{name}“ hat kein Koordinatensystem",
            )
        other_geoms = [
            c
            for c in gdf.columns
            if isinstance(gdf[c].dtype, GeometryDtype) and c != gdf.geometry.name
        ]
        prepared[name] = gdf.drop(columns=other_geoms).to_crs(crs)
    with atomic_path(path) as tmp:
        for name, gdf in prepared.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG")
    logger.info("wrote %s (layers %s)", path, ", ".join(prepared))
    return path


def write_parquet(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a DataFrame to Parquet atomically (for tools; keeps dtypes).

    Parameters
    ----------
    path
        Target ``.parquet`` file.
    df
        The table (geometry columns are dropped, point layers get lon/lat).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        _plain(df).to_parquet(tmp, index=False)
    return path


# -- Methodik ------------------------------------------------------------------


#: Keys of a data source mapping with their German aliases.
_SOURCE_KEYS = (
    ("name", "Daten"),
    ("file", "Datei"),
    ("date", "Stand"),
    ("attribution", "Quelle"),
    ("licence", "Lizenz"),
    ("url", "URL"),
)


def _fmt_minutes(x: float) -> str:
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

    Returns
    -------
    list[tuple[str, str]]
        Rows for :func:`write_excel`'s ``methodik``.

    Raises
    ------
    ErreichbarkeitError
        If a source lacks ``name``.
    """
    rows: list[tuple[str, str]] = [
        ("Region", settings.name),
        ("Werkzeug", f"erreichbarkeit {version} (Open Source)"),
        ("Erstellt am", created.strftime("%d.%m.%Y, %H:%M Uhr")),
    ]
    for src in sources:
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
        rows.append(("Datenquelle", "; ".join(parts)))

    profiles = {"car": "car.lua", "bike": "bicycle.lua", "walk": "foot.lua"}
    algo_names = {"CH": "Contraction Hierarchies (CH)", "MLD": "Multi-Level Dijkstra (MLD)"}
    per_mode = []
    for m in settings.modes:
        algo = settings.routing.algorithm.get(m, "?")
        per_mode.append(
            f"{MODE_LABELS.get(m, m)}: Profil {profiles.get(m, m)}, {algo_names.get(algo, algo)}"
        )
    rows.append(
        (
            "Routing",
            "Reisezeiten und Wegelängen über das Straßen- und Wegenetz mit OSRM "
            "(Open Source Routing Machine), kürzeste Reisezeit von Ort zu Angebot. "
            + "; ".join(per_mode)
            + ".",
        )
    )
    for mode in settings.modes:
        if mode in speeds:
            rows.append((f"Geschwindigkeit {MODE_LABELS.get(mode, mode)}", speeds[mode]))
    cats = sorted(settings.categories().values(), key=lambda c: (c.order, c.key))
    for cat in cats:
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
    rows.extend(("Schätzung", text) for text in estimates)
    cutoff = _fmt_minutes(settings.routing.cutoff_minutes)
    rows.append(
        (
            "Nicht erreichbar",
            f"Verbindungen über {cutoff} werden nicht berechnet. Ist kein Angebot einer "
            "Kategorie erreichbar, bleiben Minuten und Kilometer leer (nie 0); die Spalte "
            "„reason“ nennt den Grund. Solche Orte zählen als unterversorgt, ihre Kinder als "
            "„jenseits des Schwellenwerts“.",
        )
    )
    rows.append(
        (
            "Anbindung ans Straßennetz",
            f"Orte und Angebote, die weiter als {settings.routing.max_snap_m:.0f} m vom "
            "nächsten nutzbaren Weg entfernt liegen, werden nicht verschoben, sondern "
            "nicht berechnet und gekennzeichnet („zu weit vom Straßennetz“).",
        )
    )
    rows.append(
        (
            "Kennzahlen der Gemeinden",
            "Mittelwert und Median der Minuten zum nächsten Angebot, gewichtet mit der "
            "Einwohnerzahl bzw. der Zahl der Kinder der Altersgruppen der Kategorie. Median: "
            "unterer gewichteter Median (kleinster Wert, bei dem die Hälfte des Gewichts "
            "erreicht ist). Orte ohne erreichbares Angebot gehen nicht in Mittelwert und Median "
            "ein, ihre Kinder zählen aber als jenseits des Schwellenwerts. Ein Ort ist "
            "unterversorgt, wenn das nächste Angebot weiter als der Schwellenwert entfernt "
            "oder nicht erreichbar ist.",
        )
    )
    rows.append(
        (
            "Koordinaten",
            "Excel und CSV: Längen- und Breitengrad (lon/lat, WGS84, EPSG:4326). "
            "GeoPackage: ETRS89 / UTM Zone 32N (EPSG:25832), Meter.",
        )
    )
    rows.extend(extra)
    return rows


# -- everything ----------------------------------------------------------------


def _travel_times_readable(
    travel_times: pd.DataFrame, villages: pd.DataFrame, offers: pd.DataFrame
) -> pd.DataFrame:
    """The long table with village and offer names and the offer category."""
    tt = pd.DataFrame(travel_times)
    out = pd.DataFrame({"origin_id": tt["origin_id"]})
    if {"id", "name"} <= set(villages.columns):
        names = pd.Series(villages["name"].to_numpy(), index=villages["id"].to_numpy())
        out["origin_name"] = tt["origin_id"].map(names)
    out["destination_id"] = tt["destination_id"]
    for col, label in (("name", "destination_name"), ("category", "category")):
        if {"id", col} <= set(offers.columns):
            values = pd.Series(offers[col].to_numpy(), index=offers["id"].to_numpy())
            out[label] = tt["destination_id"].map(values)
    rest = [c for c in tt.columns if c not in ("origin_id", "destination_id")]
    return pd.concat([out, tt.loc[:, rest]], axis=1)


def _gemeinden_wide(gemeinden: pd.DataFrame) -> pd.DataFrame:
    """One row per Gemeinde: pivot a long table (with ``category``/``mode``) to wide.

    Wide column names are ``<category>_<mode>_<indicator>``; ``n_villages``
    is kept once.  A table without ``category``/``mode`` is returned as is.
    """
    if not {"category", "mode"} <= set(gemeinden.columns):
        return gemeinden
    keys = [c for c in ("ags", "gemeinde") if c in gemeinden.columns]
    values = [c for c in gemeinden.columns if c not in (*keys, "category", "mode")]
    base = gemeinden.loc[:, keys].drop_duplicates().reset_index(drop=True)
    once = [c for c in ("n_villages",) if c in values]
    first = True
    for (cat, mode), part in gemeinden.groupby(["category", "mode"], sort=False):
        per = [c for c in values if c not in once]
        cols = keys + (once if first else []) + per
        renamed = part.loc[:, cols].rename(columns={c: f"{cat}_{mode}_{c}" for c in per})
        base = base.merge(renamed, on=keys, how="left")
        first = False
    return base


def export_all(
    out_dir: str | Path,
    *,
    villages: gpd.GeoDataFrame,
    gemeinden: pd.DataFrame,
    offers: gpd.GeoDataFrame,
    travel_times: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None,
    methodik: Sequence[tuple[str, str]] | pd.DataFrame,
    hinweise: pd.DataFrame | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
    extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    long_table_max_rows: int = 200_000,
) -> dict[str, Path]:
    """Write all result files into ``out_dir``.

    Files: ``erreichbarkeit.xlsx`` (sheets Orte, Gemeinden, Angebote,
    Reisezeiten, Methodik), ``orte.csv``, ``gemeinden.csv``, ``angebote.csv``,
    ``reisezeiten.csv`` (German CSV), ``reisezeiten.parquet`` (the long table
    as given) and ``erreichbarkeit.gpkg`` (layers ``orte``, ``angebote`` and,
    with boundaries, ``gemeinden`` = boundaries joined with the Gemeinde
    table on ``ags``) in EPSG:25832.  Reisezeiten in Excel and CSV get the
    village name, offer name and category.  Each file is replaced
    atomically.

    Parameters
    ----------
    out_dir
        Output folder (created if missing).
    villages
        The village table (:func:`erreichbarkeit.analysis.indicators.village_table`)
        as GeoDataFrame in EPSG:4326.
    gemeinden
        The Gemeinde table, wide (:func:`erreichbarkeit.analysis.indicators.gemeinde_table`)
        or long (:func:`erreichbarkeit.analysis.indicators.gemeinde_long`); sheet and
        CSV get it as given, the GeoPackage layer always wide (one polygon per
        Gemeinde).
    offers
        Offers, GeoDataFrame in EPSG:4326.
    travel_times
        The long table ``origin_id, destination_id, mode, minutes, km``.
    boundaries
        Gemeinde polygons with ``ags`` (EPSG:4326), or ``None``.
    methodik
        Rows from :func:`methodik_rows`.
    hinweise
        Row problems of the input lists (file, row, column, message), written
        as sheet *Hinweise* and ``hinweise.csv`` when not empty.
    extra_sheets
        Further tables for the workbook (before *Hinweise* and *Methodik*),
        e.g. the grid indicators.
    extra_layers
        Further GeoPackage layers, e.g. the grid cells and travel-time bands.
    long_table_max_rows
        The Reisezeiten sheet is left out of the workbook above this many
        rows (noted in Methodik); CSV and Parquet always hold all rows.

    Returns
    -------
    dict[str, Path]
        Paths by kind: ``xlsx``, ``orte_csv``, ``gemeinden_csv``,
        ``angebote_csv``, ``reisezeiten_csv``, ``reisezeiten_parquet``, ``gpkg``,
        and ``hinweise_csv`` when there are row problems.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    readable = _travel_times_readable(travel_times, villages, offers)
    gem_plain = _plain(gemeinden)
    sheets: dict[str, pd.DataFrame] = {
        "Orte": villages, "Gemeinden": gem_plain, "Angebote": offers, "Reisezeiten": readable,
    }  # fmt: skip
    sheets.update(extra_sheets or {})
    if hinweise is not None and len(hinweise):
        sheets["Hinweise"] = hinweise
    paths = {
        "xlsx": write_excel(
            out / "erreichbarkeit.xlsx",
            sheets,
            methodik=methodik,
            max_rows_per_sheet=long_table_max_rows,
        ),
        "orte_csv": write_csv_de(out / "orte.csv", villages),
        "gemeinden_csv": write_csv_de(out / "gemeinden.csv", gem_plain),
        "angebote_csv": write_csv_de(out / "angebote.csv", offers),
        "reisezeiten_csv": write_csv_de(out / "reisezeiten.csv", readable),
        "reisezeiten_parquet": write_parquet(out / "reisezeiten.parquet", travel_times),
    }
    if hinweise is not None and len(hinweise):
        paths["hinweise_csv"] = write_csv_de(out / "hinweise.csv", hinweise)
    layers: dict[str, gpd.GeoDataFrame] = {"orte": villages, "angebote": offers}
    layers.update(extra_layers or {})
    if boundaries is not None:
        keep = [c for c in ("ags", "gemeinde") if c in boundaries.columns]
        wide = _gemeinden_wide(gem_plain)
        right = wide.drop(columns=[c for c in ("gemeinde",) if c in wide.columns])
        poly = boundaries.loc[:, [*keep, boundaries.geometry.name]].merge(
            right, on="ags", how="left"
        )
        layers["gemeinden"] = gpd.GeoDataFrame(poly, geometry=boundaries.geometry.name)
    paths["gpkg"] = write_geopackage(out / "erreichbarkeit.gpkg", layers)
    return paths
