"""Where results may be written: never onto an input, never into a file, never outside.

Every command that writes checks its output paths here *before* the long
computation starts: an output folder that is a file, cannot be created or is
not writable, a path with a NUL byte, or an output file that would replace one
of the planner's inputs (offers list, villages, network, region file …) is a
:class:`~erreichbarkeit.errors.ConfigError` with a German message naming both
paths, which the command line turns into exit code 2.

The file names of a run's exports live here too (:data:`RUN_OUTPUT_FILES`), so
the command line can check them without loading the export modules.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType

from erreichbarkeit.config.settings import Settings
from erreichbarkeit.errors import ConfigError

__all__ = [
    "RUN_OUTPUT_FILES",
    "check_no_overwrite",
    "check_output_file",
    "check_output_folder",
    "dated_name",
    "input_paths",
    "name_part",
    "run_output_names",
    "safe_child",
    "steckbrief_filename",
]

#: Every file :func:`erreichbarkeit.report.export.export_all` may write into its
#: folder (``hinweise.csv`` only when there are row problems).  A rerun removes
#: the ones it does not write, and nothing else.
RUN_OUTPUT_FILES: tuple[str, ...] = (
    "erreichbarkeit.xlsx",
    "orte.csv",
    "gemeinden.csv",
    "angebote.csv",
    "reisezeiten.csv",
    "reisezeiten.parquet",
    "erreichbarkeit.gpkg",
    "hinweise.csv",
)

#: The dated file names of the same exports (:func:`run_output_names`): kind → stem.
_DATED_STEMS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "xlsx": ("Erreichbarkeit", ".xlsx"),
        "orte_csv": ("Orte", ".csv"),
        "gemeinden_csv": ("Gemeinden", ".csv"),
        "angebote_csv": ("Angebote", ".csv"),
        "reisezeiten_csv": ("Reisezeiten", ".csv"),
        "reisezeiten_parquet": ("Reisezeiten", ".parquet"),
        "gpkg": ("Erreichbarkeit", ".gpkg"),
        "hinweise_csv": ("Hinweise", ".csv"),
    }
)
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def name_part(text: str, *, limit: int = 60, fallback: str = "Region") -> str:
    """A file-name part in German: umlauts kept, path-unsafe characters to ``_``.

    Letters (also ä, ö, ü, ß), digits, ``-`` and ``.`` stay; spaces, slashes,
    colons, brackets, commas and the like become one ``_``; no leading dot.

    Examples
    --------
    >>> name_part("Landkreis Göttingen"), name_part("Hann. Münden, Stadt")
    ('Landkreis_Göttingen', 'Hann._Münden_Stadt')
    >>> name_part("../../böse/Name"), name_part("///")
    ('böse_Name', 'Region')
    """
    text = unicodedata.normalize("NFC", str(text))
    text = re.sub(r"[^\w.\-]+|_+", "_", text, flags=re.UNICODE)
    text = re.sub(r"\.{2,}", "", text).strip("._-")
    return text[:limit].strip("._-") or fallback


def dated_name(prefix: str, *parts: str, created: date, suffix: str) -> str:
    """``<Prefix>_<part>_…_<YYYY-MM-DD><suffix>``, each part made safe by :func:`name_part`.

    Examples
    --------
    >>> dated_name("Erreichbarkeit", "Beispielkreis", created=date(2026, 12, 5), suffix=".xlsx")
    'Erreichbarkeit_Beispielkreis_2026-12-05.xlsx'
    """
    safe = [name_part(p) for p in parts if str(p).strip()]
    return "_".join([prefix, *safe, created.isoformat()]) + suffix


def run_output_names(region: str, created: date) -> dict[str, str]:
    """The dated export file names of a run, by kind (the keys of ``export_all``'s result).

    E.g. ``Erreichbarkeit_Beispielkreis_2026-12-05.xlsx``, ``Orte_…csv``,
    ``Reisezeiten_…parquet``, ``Erreichbarkeit_…gpkg``.
    """
    return {
        kind: dated_name(stem, region, created=created, suffix=suffix)
        for kind, (stem, suffix) in _DATED_STEMS.items()
    }


def _ascii_slug(text: str, limit: int = 60) -> str:
    """ASCII file-name part: umlauts spelled out, other characters to ``-``."""
    text = unicodedata.normalize("NFC", text).translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:limit].strip("-") or "gemeinde"


def steckbrief_filename(
    ags: str | None, name: str, *, created: date | None = None, region: str = ""
) -> str:
    """File name of a Steckbrief.

    With ``created``: ``Steckbrief_<Gemeinde>_<date>.pdf`` and for the whole
    area ``Steckbrief_Kreis_<region>_<date>.pdf`` (German, umlauts kept, see
    :func:`name_part`).  Without: the former ASCII names ``<AGS>_<name>.pdf``
    and ``kreis.pdf``.

    Examples
    --------
    >>> steckbrief_filename("03159016", "Bovenden/Ortsteil Süd")
    '03159016_bovenden-ortsteil-sued.pdf'
    >>> steckbrief_filename("03159016", "Hann. Münden, Stadt", created=date(2026, 12, 5))
    'Steckbrief_Hann._Münden_Stadt_2026-12-05.pdf'
    >>> steckbrief_filename(None, "", created=date(2026, 12, 5), region="Landkreis Göttingen")
    'Steckbrief_Kreis_Landkreis_Göttingen_2026-12-05.pdf'
    """
    if created is not None:
        if ags is None:
            return dated_name("Steckbrief_Kreis", region or name, created=created, suffix=".pdf")
        return dated_name("Steckbrief", name, created=created, suffix=".pdf")
    if ags is None:
        return "kreis.pdf"
    key = re.sub(r"[^0-9A-Za-z]", "", str(ags))[:12] or "ohne-ags"
    return f"{key}_{_ascii_slug(name)}.pdf"


#: German names of the input fields, for messages.
_INPUT_LABELS = {
    "network": "Straßennetz",
    "boundaries": "Gemeindegrenzen",
    "villages": "Orte",
    "population": "Einwohnerzahlen",
    "population_grid": "Bevölkerungsraster",
    "categories_file": "Kategorientabelle",
}


def input_paths(
    settings: Settings, extra: Iterable[tuple[str, str | Path | None]] = ()
) -> list[tuple[str, Path]]:
    """Every input file of a run, with a German label.

    Parameters
    ----------
    settings
        The run's settings (network, boundaries, villages, population,
        population grid, categories file, offers lists, GTFS feeds).
    extra
        Further inputs as ``(label, path)``, e.g. the region file, scenario
        files or candidate sites; ``None`` paths are skipped.
    """
    found: list[tuple[str, Path]] = []
    for name, label in _INPUT_LABELS.items():
        value = getattr(settings, name)
        if value is not None:
            found.append((label, Path(value)))
    found += [("Angebotsliste", Path(o)) for o in settings.offers if o.lower() != "osm"]
    found += [("Fahrplan (GTFS)", Path(p)) for p in settings.gtfs]
    found += [("Zuständigkeitstabelle", Path(p)) for p in settings.responsibility]
    found += [(label, Path(p)) for label, p in extra if p is not None]
    return found


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (also through links and case-folding file systems)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        return False


def check_no_overwrite(outputs: Iterable[Path], inputs: Sequence[tuple[str, Path]]) -> None:
    """Refuse any output that would replace an input.

    Raises
    ------
    ConfigError
        Naming the output and the input path.
    """
    for out in outputs:
        for label, inp in inputs:
            if _same_file(Path(out), inp):
                msg = f"output {out} would overwrite the input file {inp} ({label})"
                raise ConfigError(
                    msg,
                    expected="an output folder that holds none of the input files",
                    message_de=(
                        f"Die Ausgabe {out} würde die Eingabedatei {inp} ({label}) "
                        "überschreiben. Bitte einen eigenen Ausgabeordner angeben "
                        "(--out), nicht den Ordner der Eingabedaten."
                    ),
                )


def _check_text(path: Path, flag: str) -> None:
    """A path without NUL bytes and not empty."""
    text = str(path)
    if "\x00" in text or not text.strip():
        msg = f"{flag}: the path {text!r} is not a valid path"
        raise ConfigError(msg, column=flag, message_de=f"Der Pfad {text!r} ist kein gültiger Pfad")


def _probe_writable(folder: Path, flag: str) -> None:
    """Create and remove a file in ``folder``; a refusal is a :class:`ConfigError`."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".erreichbarkeit-probe-", dir=folder)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        msg = f"{flag}: cannot write into the folder {folder} ({exc.strerror})"
        raise ConfigError(
            msg, column=flag,
            message_de=f"In den Ordner {folder} kann nicht geschrieben werden "
            f"({exc.strerror}); bitte einen beschreibbaren Ordner angeben",
        ) from exc  # fmt: skip


def check_output_folder(folder: str | Path, *, flag: str = "--out") -> Path:
    """Create ``folder`` if missing and make sure files can be written into it.

    Parameters
    ----------
    folder
        The output (or cache) folder.
    flag
        The option or key that named it, for the message.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ConfigError
        If the path has a NUL byte, names an existing file (or lies below
        one), cannot be created or is not writable.
    """
    path = Path(folder)
    _check_text(path, flag)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            msg = f"{flag}: {part} is a file, not a folder"
            raise ConfigError(
                msg, column=flag,
                message_de=f"{part} ist eine Datei, kein Ordner; bitte einen Ordner angeben",
            )  # fmt: skip
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{flag}: cannot create the folder {path} ({exc.strerror})"
        raise ConfigError(
            msg, column=flag,
            message_de=f"Der Ordner {path} kann nicht angelegt werden ({exc.strerror})",
        ) from exc  # fmt: skip
    _probe_writable(path, flag)
    return path


def check_output_file(path: str | Path, *, flag: str = "--out", suffix: str | None = None) -> Path:
    """An output file path: not a folder, with a writable folder, the expected suffix.

    Raises
    ------
    ConfigError
        If the path has a NUL byte, is an existing folder, has another
        suffix than ``suffix`` or its folder is unusable.
    """
    target = Path(path)
    _check_text(target, flag)
    if target.is_dir():
        msg = f"{flag}: {target} is a folder, expected a file name"
        raise ConfigError(
            msg, column=flag,
            message_de=f"{target} ist ein Ordner; bitte einen Dateinamen angeben",
        )  # fmt: skip
    if suffix is not None and target.suffix.lower() != suffix:
        msg = f"{flag}: {target.name} does not end in {suffix}"
        raise ConfigError(
            msg, column=flag, expected=f"a file name ending in {suffix}",
            message_de=f"Der Dateiname {target.name} endet nicht auf {suffix}",
        )  # fmt: skip
    check_output_folder(target.parent, flag=flag)
    return target


def safe_child(folder: Path, name: str) -> Path:
    """``folder / name`` when ``name`` is a plain file name that stays inside ``folder``.

    Raises
    ------
    ConfigError
        If ``name`` is empty, ``.``/``..`` or holds a path separator or NUL.
    """
    bad = (not name or name in (".", "..") or "\x00" in name
           or any(sep in name for sep in ("/", "\\", os.sep)))  # fmt: skip
    if bad:
        msg = f"output file name {name!r} would leave the folder {folder}"
        raise ConfigError(
            msg, message_de=f"Der Dateiname {name!r} ist nicht zulässig (verlässt den Ordner)"
        )
    return folder / name
