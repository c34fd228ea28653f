"""Named errors for every input violation.

Every error derives from :class:`ErreichbarkeitError`, which also subclasses
:class:`ValueError` (as r5py does), so callers that only know ``ValueError``
still catch them.  Each error carries the *where* (file, row, column) and the
*what was expected* as attributes, and a German message for the dashboard
(:attr:`ErreichbarkeitError.message_de`).  ``str(error)`` is the English,
one-line message used in logs and on the command line.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CRSError",
    "ConfigError",
    "ErreichbarkeitError",
    "GeocodingError",
    "InputDataError",
    "MissingColumnError",
    "NetworkError",
    "RoutingError",
    "ScenarioError",
    "ScenarioFileError",
    "UnknownCategoryError",
]


class ErreichbarkeitError(ValueError):
    """Base class of all errors raised by erreichbarkeit.

    Parameters
    ----------
    message
        English, one-line description of the problem.
    file
        The input file the problem was found in, if any.
    row
        1-based row number as the user sees it in a spreadsheet (header = row 1).
    column
        The column (as named in the user's file) the problem was found in.
    expected
        What a valid value looks like, in English.
    message_de
        German message for the user interface; defaults to the English one.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        message_de: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.message_de = message_de or message
        super().__init__(self._format(message, expected, "expected"))

    def _where(self) -> str:
        parts = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def _format(self, message: str, expected: str | None, word: str) -> str:
        where = self._where()
        text = f"{where}: {message}" if where else message
        if expected:
            text += f" ({word}: {expected})"
        return text

    @property
    def german(self) -> str:
        """The German message with location, for the dashboard."""
        parts = []
        if self.file:
            parts.append(f"Datei {Path(self.file).name}")
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte „{self.column}“")
        where = ", ".join(parts)
        return f"{where}: {self.message_de}" if where else self.message_de


class InputDataError(ErreichbarkeitError):
    """An input file is unreadable, empty or holds an invalid value."""


class MissingColumnError(InputDataError):
    """A required column is missing from a table or layer."""


class UnknownCategoryError(InputDataError):
    """An offer's category is not in the category table."""


class CRSError(InputDataError):
    """Coordinates or a layer have no, a wrong, or an unexpected CRS."""


class GeocodingError(InputDataError):
    """An address could not be matched (raised only where a match is required)."""


class NetworkError(InputDataError):
    """A road network file is unusable (no roads, corrupt, wrong format)."""


class ConfigError(ErreichbarkeitError):
    """A region/config file or an option has a typo, wrong type or absurd value.

    Its :attr:`column` holds the dotted key (``thresholds.kita.car``).
    """

    @property
    def german(self) -> str:
        """The German message, naming the file and the key."""
        parts = []
        if self.file:
            parts.append(f"Datei {Path(self.file).name}")
        if self.column:
            parts.append(f"Eintrag „{self.column}“")
        where = ", ".join(parts)
        return f"{where}: {self.message_de}" if where else self.message_de


class RoutingError(ErreichbarkeitError):
    """The routing engine failed (preprocessing or a query)."""


class ScenarioError(InputDataError):
    """A change of a what-if scenario cannot be applied (unknown offer, outside the region …)."""


class ScenarioFileError(ConfigError):
    """A scenario file is unreadable or has a wrong key, type or version.

    Its :attr:`column` holds the key (``changes[2].lon``).
    """
