"""Reading and row checks of the tables of a GTFS feed (private to :mod:`.gtfs`).

Every table is read with pandas as text (``dtype=str``, no NA guessing, so
ids such as ``"0001"`` or ``"NA"`` stay as written) and validated here,
column by column, so that each bad row is dropped with a German message
naming the member file, the row (header = row 1) and the column.  Existing
GTFS libraries such as gtfs_kit validate feeds, but report whole-table
problems in English without the row-level German messages planners need.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from erreichbarkeit.errors import InputDataError, MissingColumnError
from erreichbarkeit.io.tables import RowProblem

__all__ = [
    "CALENDAR_FILES",
    "REQUIRED_COLUMNS",
    "REQUIRED_FILES",
    "WEEKDAYS",
    "FeedSource",
    "TableChecker",
    "parse_dates",
    "parse_seconds",
    "to_float",
]

#: Files every usable feed needs (besides calendar.txt or calendar_dates.txt).
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
#: At least one of these must be present.
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Required columns per file (GTFS reference, "Required" fields).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", *WEEKDAYS, "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
}

# GTFS times are HH:MM:SS (H:MM:SS accepted); hours may exceed 24 for trips
# running past midnight of their service day (25:10:00 is valid).
_TIME_PATTERN = r"^\d{1,3}:[0-5]\d:[0-5]\d$"
_NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_DATE = r"^\s*(\d{8})\s*$"
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields?, saw (\d+)")


def _arrow_text(values: pd.Series) -> pa.Array:
    """The values as a pyarrow string array, whitespace trimmed, nulls as ``""``."""
    array = pa.array(values, from_pandas=True)  # zero-copy for pandas' arrow strings
    if not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.large_string())
    return pc.fill_null(pc.utf8_trim_whitespace(array), "")


def to_float(values: pd.Series) -> pd.Series:
    """Numbers written as text (decimal point); NaN where the text is no number.

    Vectorised with pyarrow compute: ``pd.to_numeric`` on the text columns of a
    stop_times.txt with millions of rows takes seconds per column.
    """
    text = _arrow_text(values)
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER_PATTERN), False)
    numbers = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    result = numbers.to_numpy(zero_copy_only=False).astype(float)
    return pd.Series(result, index=values.index)


def parse_seconds(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Seconds after midnight of GTFS times; (seconds with NaN for empty, bad-value mask).

    Vectorised with pyarrow compute (RE2), since stop_times.txt of a county has
    millions of rows and a Python regex per cell would take minutes.
    """
    text = _arrow_text(values)
    ok = pc.fill_null(pc.match_substring_regex(text, _TIME_PATTERN), False)
    text = pc.if_else(ok, text, "0:00:00")
    # H:MM:SS or HH:MM:SS (or HHH:MM:SS): minutes and seconds sit at fixed places from the end
    hours = pc.utf8_slice_codeunits(text, 0, -6)
    minutes = pc.utf8_slice_codeunits(text, -5, -3)
    secs = pc.utf8_slice_codeunits(text, -2)
    hms = [pc.cast(part, pa.int64()) for part in (hours, minutes, secs)]
    total = pc.add(pc.add(pc.multiply(hms[0], 3600), pc.multiply(hms[1], 60)), hms[2])
    seconds = pd.Series(total.to_numpy(zero_copy_only=False).astype(float), index=values.index)
    good = pd.Series(ok.to_numpy(zero_copy_only=False), index=values.index)
    empty = pd.Series(pc.equal(text, "").to_numpy(zero_copy_only=False), index=values.index)
    return seconds.where(good), ~good & ~empty


def parse_dates(values: pd.Series) -> pd.Series:
    """GTFS dates (``YYYYMMDD``) as datetime64, NaT when invalid."""
    text = values.astype(str).str.extract(_DATE)[0]
    return pd.to_datetime(text, format="%Y%m%d", errors="coerce")


class FeedSource:
    """The member files of a GTFS zip archive or folder.

    Parameters
    ----------
    path
        The user's zip file or folder.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.nested = False
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if path.is_dir():
            self._members = {p.name: p.name for p in path.iterdir() if p.suffix == ".txt"}
            return
        self._open_zip()

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            msg = f"not a readable GTFS zip archive ({exc})"
            raise InputDataError(
                msg,
                file=self.path,
                expected="a GTFS feed as .zip file with stops.txt, trips.txt, …",
                message_de=f"Die Datei „{self.path.name}“ ist kein lesbares ZIP-Archiv; "
                "erwartet wird ein GTFS-Fahrplan als .zip (mit stops.txt, trips.txt …), "
                "wie ihn Verkehrsverbünde oder DELFI zum Herunterladen anbieten",
            ) from exc
        for name in names:
            base = name.rsplit("/", 1)[-1]
            if name == base or base not in self._members:
                self._members[base] = name
        self.nested = any("/" in n for n in self._members.values())

    def close(self) -> None:
        """Close the archive."""
        if self._zip is not None:
            self._zip.close()

    def has(self, name: str) -> bool:
        """Whether the feed holds the member ``name`` (e.g. ``"stops.txt"``)."""
        return name in self._members

    def names(self) -> list[str]:
        """All member base names."""
        return sorted(self._members)

    def read_bytes(self, name: str) -> bytes:
        """The raw bytes of a member."""
        if self._zip is None:
            return (self.path / self._members[name]).read_bytes()
        try:
            return self._zip.read(self._members[name])
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            msg = f"{name} cannot be read from the archive ({exc})"
            raise InputDataError(
                msg,
                file=self.path,
                message_de=f"{name} lässt sich nicht aus dem ZIP-Archiv „{self.path.name}“ "
                "lesen (Datei beschädigt oder unvollständig heruntergeladen?)",
            ) from exc


@dataclass
class TableChecker:
    """Reads the tables of one feed and collects the row problems.

    Tables are returned with the spreadsheet row number (header = row 1) as index.
    """

    source: FeedSource
    problems: list[RowProblem] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)

    def label(self, name: str) -> str:
        """How a member is named in problems: ``feed.zip/stops.txt``."""
        return f"{self.source.path.name}/{name}"

    def error_file(self, name: str) -> str:
        """The ``file`` of an error in a member (its name reads as the member's)."""
        return str(self.source.path / name)

    def _decode(self, name: str, data: bytes) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = data[: exc.start].count(b"\n") + 1
            msg = f"not UTF-8 encoded (byte {data[exc.start]:#04x})"
            raise InputDataError(
                msg,
                file=self.error_file(name),
                row=row,
                expected="UTF-8 text as the GTFS reference requires",
                message_de=f"Die Datei {name} im Fahrplan „{self.source.path.name}“ ist nicht "
                "UTF-8-kodiert (GTFS verlangt UTF-8); bitte die Datei als UTF-8 speichern "
                "oder den Fahrplan erneut herunterladen",
            ) from exc

    def read(self, name: str) -> pd.DataFrame:
        """Read a member as text table; check the required columns.

        Rows with more fields than the header are dropped (a problem each);
        empty lines are skipped.
        """
        text = self._decode(name, self.source.read_bytes(name))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                table = pd.read_csv(
                    io.StringIO(text),
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    on_bad_lines="warn",
                )
            except pd.errors.EmptyDataError as exc:
                msg = f"{name} is empty"
                raise InputDataError(
                    msg,
                    file=self.error_file(name),
                    expected="a header row with the GTFS column names",
                    message_de=f"Die Datei {name} im Fahrplan „{self.source.path.name}“ ist leer "
                    "(nicht einmal eine Kopfzeile mit den Spaltennamen)",
                ) from exc
            except pd.errors.ParserError as exc:
                msg = f"{name} is not a readable CSV table ({exc})"
                raise InputDataError(
                    msg,
                    file=self.error_file(name),
                    message_de=f"Die Datei {name} im Fahrplan „{self.source.path.name}“ ist "
                    "keine lesbare CSV-Tabelle (Komma-getrennt, Werte mit Komma in "
                    "Anführungszeichen)",
                ) from exc
        table.columns = [str(c).strip().lstrip("\ufeff") for c in table.columns]
        skipped = self._skipped_lines(name, [str(w.message) for w in caught])
        records = np.arange(2, len(table) + len(skipped) + 2)
        table.index = pd.Index(records[~np.isin(records, skipped)], name="row")
        self.require_columns(name, table)
        blank = (table == "").all(axis=1) if len(table.columns) else table.index == table.index
        return table[~blank]

    def _skipped_lines(self, name: str, messages: list[str]) -> list[int]:
        lines: list[int] = []
        for match in _SKIPPED.finditer("\n".join(messages)):
            line, expected, saw = (int(g) for g in match.groups())
            lines.append(line)
            self.changed.add(name)
            self.problems.append(
                RowProblem(
                    self.label(name),
                    line,
                    None,
                    f"{saw} fields instead of {expected}; row not used",
                    f"Die Zeile hat {saw} Felder statt {expected} (ein Komma zu viel oder "
                    "fehlende Anführungszeichen?); die Zeile wird nicht verwendet",
                    "error",
                )
            )
        return lines

    def require_columns(self, name: str, table: pd.DataFrame) -> None:
        """Raise :class:`MissingColumnError` for the first missing required column."""
        for column in REQUIRED_COLUMNS.get(name, ()):
            if column not in table.columns:
                found = ", ".join(map(str, table.columns)) or "keine"
                msg = f"required column {column!r} missing (found: {found})"
                raise MissingColumnError(
                    msg,
                    file=self.error_file(name),
                    row=1,
                    column=column,
                    expected=f"the GTFS columns {', '.join(REQUIRED_COLUMNS[name])}",
                    message_de=f"Im Fahrplan „{self.source.path.name}“ fehlt in {name} die "
                    f"Pflichtspalte „{column}“ (gefunden: {found}); erwartet werden die "
                    f"GTFS-Spalten {', '.join(REQUIRED_COLUMNS[name])}",
                )

    def drop(
        self,
        name: str,
        table: pd.DataFrame,
        bad: pd.Series,
        column: str | None,
        message: Callable[[str], tuple[str, str]],
        *,
        severity: Literal["error", "warning"] = "error",
    ) -> pd.DataFrame:
        """Report every row where ``bad`` holds; drop them when ``severity`` is ``"error"``.

        ``message`` maps the cell text (``""`` without a column) to (English, German).
        """
        bad = bad.fillna(value=False).astype(bool)
        if not bad.any():
            return table
        cells = table.loc[bad, column] if column else pd.Series("", index=table.index[bad])
        for row, value in zip(cells.index, cells, strict=True):
            en, de = message(str(value))
            self.problems.append(RowProblem(self.label(name), int(row), column, en, de, severity))
        if severity != "error":
            return table
        self.changed.add(name)
        return table[~bad]

    def duplicates(self, name: str, table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """Drop the later rows repeating the key of an earlier row."""
        dup = table.duplicated(subset=keys, keep="first")
        what = " + ".join(keys)

        def message(_: str) -> tuple[str, str]:
            return (
                f"{what} repeats an earlier row; row not used",
                f"{what} kommt schon in einer früheren Zeile vor; die Zeile wird nicht verwendet",
            )

        return self.drop(name, table, dup, keys[0], message)

    def unknown(
        self, name: str, table: pd.DataFrame, column: str, known: pd.Series, target: str
    ) -> pd.DataFrame:
        """Drop rows whose ``column`` is not in ``known`` (the ids of ``target``)."""
        bad = ~table[column].isin(known.unique())

        def message(value: str) -> tuple[str, str]:
            return (
                f"{column} {value!r} not found in {target} (or dropped there); row not used",
                f"{column} „{value}“ steht nicht in {target} (oder wurde dort verworfen); "
                "die Zeile wird nicht verwendet",
            )

        return self.drop(name, table, bad, column, message)


def _stripped(table: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    if column not in table.columns:
        return pd.Series(default, index=table.index, dtype=object)
    return table[column].astype(str).str.strip()


def _range_check(
    checker: TableChecker,
    name: str,
    table: pd.DataFrame,
    column: str,
    bounds: tuple[float, float],
    *,
    optional: pd.Series | None = None,
) -> pd.DataFrame:
    """Drop rows whose ``column`` is no number within ``bounds`` (empty ok where ``optional``)."""
    text = _stripped(table, column)
    values = to_float(text)
    bad = values.isna() | (values < bounds[0]) | (values > bounds[1])
    if optional is not None:
        bad &= ~(optional & (text == ""))
    low, high = bounds

    def message(value: str) -> tuple[str, str]:
        if value.strip() == "":
            return (
                f"{column} empty; row not used",
                f"{column} ist leer; die Zeile wird nicht "
                f"verwendet (erwartet: eine Zahl zwischen {low:g} und {high:g})",
            )
        return (
            f"{column} {value!r} is not a number between {low:g} and {high:g}; row not used",
            f"„{value}“ ist keine Zahl zwischen {low:g} und {high:g} (Dezimalpunkt, z. B. "
            "49.4093); die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, bad, column, message)


def _choice_check(
    checker: TableChecker,
    name: str,
    table: pd.DataFrame,
    column: str,
    allowed: tuple[str, ...],
    *,
    default: str | None = None,
) -> pd.DataFrame:
    """Drop rows whose ``column`` is not one of ``allowed`` (empty means ``default``)."""
    if column not in table.columns:
        return table
    text = _stripped(table, column)
    if default is not None:
        text = text.replace("", default)
    choices = ", ".join(allowed)

    def message(value: str) -> tuple[str, str]:
        return (
            f"{column} {value!r} is not one of {choices}; row not used",
            f"„{value}“ ist kein erlaubter Wert (erlaubt: {choices}); "
            "die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, ~text.isin(allowed), column, message)


def _empty_check(
    checker: TableChecker, name: str, table: pd.DataFrame, column: str
) -> pd.DataFrame:
    def message(_: str) -> tuple[str, str]:
        return (
            f"{column} empty; row not used",
            f"{column} ist leer; die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, table[column].str.strip() == "", column, message)


def check_stops(checker: TableChecker, table: pd.DataFrame) -> pd.DataFrame:
    """Drop stops without id, with repeated id, bad location type or bad coordinates."""
    name = "stops.txt"
    table = _empty_check(checker, name, table, "stop_id")
    table = checker.duplicates(name, table, ["stop_id"])
    table = _choice_check(
        checker, name, table, "location_type", ("0", "1", "2", "3", "4"), default="0"
    )
    # generic nodes (3) and boarding areas (4) may go without coordinates
    optional = _stripped(table, "location_type", "0").isin(["3", "4"])
    table = _range_check(checker, name, table, "stop_lat", (-90.0, 90.0), optional=optional)
    table = _range_check(checker, name, table, "stop_lon", (-180.0, 180.0), optional=optional)
    null_island = (to_float(table["stop_lat"]) == 0) & (to_float(table["stop_lon"]) == 0)

    def zero(_: str) -> tuple[str, str]:
        return (
            "coordinates 0/0 (missing position); row not used",
            "Die Koordinaten sind 0/0 (Position fehlt); die Zeile wird nicht verwendet",
        )

    table = checker.drop(name, table, null_island, "stop_lat", zero)
    if "parent_station" in table.columns:
        parent = _stripped(table, "parent_station")
        orphan = (parent != "") & ~parent.isin(set(table["stop_id"]))

        def no_parent(value: str) -> tuple[str, str]:
            return (
                f"parent_station {value!r} not in stops.txt; reference removed",
                f"Die Station „{value}“ (parent_station) steht nicht in stops.txt; "
                "der Verweis wird entfernt, die Haltestelle wird verwendet",
            )

        checker.drop(name, table, orphan, "parent_station", no_parent, severity="warning")
        if orphan.any():
            table = table.copy()
            table.loc[orphan, "parent_station"] = ""
            checker.changed.add(name)
    return table


def check_routes(checker: TableChecker, table: pd.DataFrame) -> pd.DataFrame:
    """Drop routes without id, with repeated id or a route_type that is no whole number."""
    name = "routes.txt"
    table = _empty_check(checker, name, table, "route_id")
    table = checker.duplicates(name, table, ["route_id"])
    bad = ~_stripped(table, "route_type").str.fullmatch(r"\d{1,4}")

    def message(value: str) -> tuple[str, str]:
        return (
            f"route_type {value!r} is not a GTFS route type (0-7, 11, 12, 100-1702)",
            f"„{value}“ ist keine GTFS-Verkehrsmittelart (eine ganze Zahl wie 3 für Bus, "
            "2 für Bahn, 715 für Rufbus); die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, bad, "route_type", message)


def _date_check(checker: TableChecker, name: str, table: pd.DataFrame, column: str) -> pd.DataFrame:
    def message(value: str) -> tuple[str, str]:
        return (
            f"{column} {value!r} is not a date YYYYMMDD; row not used",
            f"„{value}“ ist kein Datum im Format JJJJMMTT (z. B. 20240903); "
            "die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, parse_dates(table[column]).isna(), column, message)


def check_calendar(checker: TableChecker, table: pd.DataFrame) -> pd.DataFrame:
    """Drop calendar rows with a bad weekday flag, bad dates or an end before the start."""
    name = "calendar.txt"
    table = _empty_check(checker, name, table, "service_id")
    table = checker.duplicates(name, table, ["service_id"])
    for day in WEEKDAYS:
        table = _choice_check(checker, name, table, day, ("0", "1"))
    table = _date_check(checker, name, table, "start_date")
    table = _date_check(checker, name, table, "end_date")
    reversed_ = parse_dates(table["end_date"]) < parse_dates(table["start_date"])

    def message(value: str) -> tuple[str, str]:
        return (
            f"end_date {value} before start_date; row not used",
            f"Das Enddatum {value} liegt vor dem Anfangsdatum; die Zeile wird nicht verwendet",
        )

    return checker.drop(name, table, reversed_, "end_date", message)


def check_calendar_dates(checker: TableChecker, table: pd.DataFrame) -> pd.DataFrame:
    """Drop exceptions with a bad date, exception type or repeating an earlier row."""
    name = "calendar_dates.txt"
    table = _empty_check(checker, name, table, "service_id")
    table = _date_check(checker, name, table, "date")
    table = _choice_check(checker, name, table, "exception_type", ("1", "2"))
    return checker.duplicates(name, table, ["service_id", "date"])


def check_trips(
    checker: TableChecker, table: pd.DataFrame, routes: pd.Series, services: pd.Series
) -> pd.DataFrame:
    """Drop trips without id, repeated, or with an unknown route or service."""
    name = "trips.txt"
    table = _empty_check(checker, name, table, "trip_id")
    table = checker.duplicates(name, table, ["trip_id"])
    table = checker.unknown(name, table, "route_id", routes, "routes.txt")
    return checker.unknown(
        name, table, "service_id", services, "calendar.txt oder calendar_dates.txt"
    )


def check_stop_times(
    checker: TableChecker,
    table: pd.DataFrame,
    trips: pd.Series,
    stops: pd.Series,
    dropped_trips: set[str],
) -> pd.DataFrame:
    """Drop stop times of unknown trips or stops, with bad times or stop_sequence.

    Stop times of trips dropped in trips.txt go silently (that trip's row is reported).
    """
    name = "stop_times.txt"
    of_dropped = table["trip_id"].isin(dropped_trips)
    if of_dropped.any():
        table = table[~of_dropped]
        checker.changed.add(name)
    table = checker.unknown(name, table, "trip_id", trips, "trips.txt")
    table = checker.unknown(name, table, "stop_id", stops, "stops.txt")
    for column in ("arrival_time", "departure_time"):
        bad = parse_seconds(table[column])[1]

        def message(value: str) -> tuple[str, str]:
            return (
                f"{value!r} is not a time HH:MM:SS; row not used",
                f"„{value}“ ist keine Uhrzeit im Format HH:MM:SS (z. B. 07:05:00; Zeiten "
                "nach Mitternacht wie 25:10:00 sind erlaubt); die Zeile wird nicht verwendet",
            )

        table = checker.drop(name, table, bad, column, message)
    bad_seq = ~_stripped(table, "stop_sequence").str.fullmatch(r"\d{1,9}")

    def sequence(value: str) -> tuple[str, str]:
        return (
            f"stop_sequence {value!r} is not a whole number >= 0; row not used",
            f"„{value}“ ist keine ganze Zahl ≥ 0 (Reihenfolge der Halte); "
            "die Zeile wird nicht verwendet",
        )

    table = checker.drop(name, table, bad_seq, "stop_sequence", sequence)
    table = table.assign(stop_sequence=to_float(table["stop_sequence"]).astype("int64").astype(str))
    return checker.duplicates(name, table, ["trip_id", "stop_sequence"])


def check_shapes(checker: TableChecker, table: pd.DataFrame) -> pd.DataFrame:
    """Drop shape points with bad coordinates or sequence."""
    name = "shapes.txt"
    table = _empty_check(checker, name, table, "shape_id")
    table = _range_check(checker, name, table, "shape_pt_lat", (-90.0, 90.0))
    table = _range_check(checker, name, table, "shape_pt_lon", (-180.0, 180.0))
    return _range_check(checker, name, table, "shape_pt_sequence", (0, 2**31))
