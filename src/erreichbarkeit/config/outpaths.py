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
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from erreichbarkeit.config.settings import Settings
from erreichbarkeit.errors import ConfigError

__all__ = [
    "RUN_OUTPUT_FILES",
    "check_no_overwrite",
    "check_output_file",
    "check_output_folder",
    "input_paths",
    "safe_child",
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
