"""Checks every writing subcommand runs *before* the long computation.

A mistake a user can make on the command line — an output folder that is a
file or not writable, an output that would replace one of the inputs, a
missing input file, a path with a NUL byte, an absurd number — is a named
error with a German message (exit 2), found in a second, not after minutes
of routing.  Leftover temporaries of killed runs are swept from the output and
cache folders here too.
"""

from __future__ import annotations

import argparse
import errno
import math
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from erreichbarkeit._atomic import sweep_stale
from erreichbarkeit.cli._common import EXIT_BAD_INPUT, logger
from erreichbarkeit.config import Settings
from erreichbarkeit.config.outpaths import (
    RUN_OUTPUT_FILES,
    check_no_overwrite,
    check_output_file,
    check_output_folder,
    input_paths,
)
from erreichbarkeit.errors import ConfigError, InputDataError

__all__ = [
    "check_choices",
    "check_flag_paths",
    "check_number",
    "preflight",
    "preflight_analysis",
    "report_os_error",
]

#: Errors of the file system a user causes (and can fix): exit 2, not an internal error.
_USER_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.ENOSPC,
        errno.EROFS,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENOENT,
        errno.ENAMETOOLONG,
        errno.EDQUOT,
        errno.EEXIST,
        errno.ELOOP,
    }
)


#: German reasons of those errors.
_GERMAN_REASONS = {
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EDQUOT: "Speicherkontingent erschöpft",
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EROFS: "Datenträger ist schreibgeschützt",
    errno.EISDIR: "ist ein Ordner, keine Datei",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Ordner",
    errno.ENOENT: "nicht gefunden",
    errno.ENAMETOOLONG: "Name zu lang",
    errno.EEXIST: "gibt es schon",
    errno.ELOOP: "zu viele verkettete Verknüpfungen",
}


def check_flag_paths(args: argparse.Namespace) -> None:
    """Every path given as a flag is a usable path text (no NUL byte, not blank).

    Raises
    ------
    ConfigError
        Naming the flag.
    """
    for name, value in sorted(vars(args).items()):
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            is_path = isinstance(item, Path) or (name == "offers" and isinstance(item, str))
            if is_path and "\x00" in str(item):
                flag = "--" + name.replace("_", "-")
                msg = f"{flag}: the path {str(item)!r} contains a NUL byte"
                raise ConfigError(
                    msg,
                    column=flag,
                    message_de=f"Der Pfad {str(item)!r} enthält ein Nullzeichen und ist ungültig",
                )


def check_number(flag: str, value: float | None, lo: float, hi: float) -> None:
    """A numeric flag within ``lo`` … ``hi`` (``None`` = not given); NaN and inf are out."""
    if value is None:
        return
    if not (math.isfinite(value) and lo <= value <= hi):
        msg = f"{flag} = {value!r} is out of range"
        raise ConfigError(
            msg,
            column=flag,
            expected=f"{lo:g} … {hi:g}",
            message_de=f"{flag} = {value!r} liegt außerhalb von {lo:g} … {hi:g}",
        )


def check_choices(
    settings: Settings,
    *,
    mode: str | None = None,
    categories: Iterable[str] = (),
) -> None:
    """The mode is one the run computes; each category is in the category table."""
    if mode is not None and mode not in settings.modes:
        msg = f"--mode {mode!r} is not among the computed modes"
        raise ConfigError(
            msg,
            column="--mode",
            expected=", ".join(settings.modes),
            message_de=f"Das Verkehrsmittel „{mode}“ wird in diesem Lauf nicht berechnet "
            f"(berechnet: {', '.join(settings.modes)})",
        )
    table = settings.categories()
    for cat in categories:
        if cat not in table:
            msg = f"unknown category {cat!r}"
            raise ConfigError(
                msg,
                column="--category",
                expected=", ".join(table),
                message_de=f"Unbekannte Kategorie „{cat}“ (bekannt: {', '.join(table)})",
            )


def _check_inputs_exist(inputs: Sequence[tuple[str, Path]]) -> None:
    """Every input file named in the settings or on the command line exists."""
    for label, path in inputs:
        if "\x00" in str(path):
            msg = f"the path {str(path)!r} ({label}) contains a NUL byte"
            raise ConfigError(
                msg, message_de=f"Der Pfad {str(path)!r} ({label}) enthält ein Nullzeichen"
            )
        if not path.exists():
            msg = f"the input file ({label}) does not exist"
            raise InputDataError(
                msg,
                file=path,
                expected="an existing file",
                message_de=f"Die Eingabedatei ({label}) gibt es nicht: {path}",
            )


def preflight(
    settings: Settings,
    *,
    out_dir: Path | None = None,
    out_names: Sequence[str] = (),
    out_file: Path | None = None,
    out_suffix: str | None = None,
    extra_inputs: Sequence[tuple[str, Path | None]] = (),
) -> None:
    """Check inputs, cache and outputs; sweep leftovers of killed runs.

    Parameters
    ----------
    settings
        The run's settings (its input files and ``cache_dir``).
    out_dir, out_names
        Output folder and the names of the files the command writes there.
    out_file, out_suffix
        An output file (``szenario --out``) and its required suffix.
    extra_inputs
        Inputs outside the settings: region file, scenario files, candidates.

    Raises
    ------
    ErreichbarkeitError
        On the first problem, with a German message.
    """
    started = time.time()
    inputs = input_paths(settings, extra_inputs)
    _check_inputs_exist(inputs)
    cache = check_output_folder(settings.cache_dir, flag="--cache-dir")
    sweep_stale(cache, before=started, depth=2)
    if out_dir is not None:
        check_no_overwrite([Path(out_dir) / n for n in out_names], inputs)
        sweep_stale(check_output_folder(out_dir, flag="--out"), before=started)
    if out_file is not None:
        check_no_overwrite([Path(out_file)], inputs)
        target = check_output_file(out_file, flag="--out", suffix=out_suffix)
        sweep_stale(target.parent, before=started)


def preflight_analysis(settings: Settings, *, region_file: Path | None) -> None:
    """:func:`preflight` for ``analyse`` and ``demo``: the export files in ``settings.out_dir``."""
    preflight(
        settings,
        out_dir=settings.out_dir,
        out_names=RUN_OUTPUT_FILES,
        extra_inputs=[("Regionsdatei", region_file)],
    )


def report_os_error(exc: OSError) -> int | None:
    """Exit 2 with a German line for a file-system error the user can fix; else ``None``."""
    if exc.errno not in _USER_ERRNOS:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    hint = _GERMAN_REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    sys.stderr.write(f"erreichbarkeit: Fehler: Datei oder Ordner{where}: {hint}\n")
    logger.info("%s", exc)
    return EXIT_BAD_INPUT
