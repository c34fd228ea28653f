"""One cap on the worker processes and threads the product starts.

Every pool the product starts — the OSRM preprocessing threads, the
timetable worker processes of Bus & Bahn — takes its size from
:func:`worker_cap`, so that together they never oversubscribe the cores of a
small machine.  The cap is, in this order: the region file's ``workers``,
the environment variable ``ERREICHBARKEIT_WORKERS``, else ``min(2, cores)``.
"""

from __future__ import annotations

import os

from erreichbarkeit.errors import ConfigError

__all__ = ["DEFAULT_MAX_WORKERS", "WORKERS_ENV", "worker_cap"]

#: Environment variable of the cap (a whole number ≥ 1).
WORKERS_ENV = "ERREICHBARKEIT_WORKERS"
#: The default cap: two, or fewer when the machine has fewer cores.
DEFAULT_MAX_WORKERS = 2
_MAX = 64


def worker_cap(configured: int | None = None) -> int:
    """The number of worker processes or threads any one pool may use.

    Parameters
    ----------
    configured
        The region file's ``workers`` (already checked by the settings), or ``None``.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ConfigError
        ``ERREICHBARKEIT_WORKERS`` is set but not a whole number from 1 to 64.

    Examples
    --------
    >>> worker_cap(3)
    3
    """
    if configured is not None:
        return int(configured)
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text:
        if not text.isdigit() or not 1 <= int(text) <= _MAX:
            msg = f"{WORKERS_ENV}={text!r} is not a whole number from 1 to {_MAX}"
            raise ConfigError(
                msg,
                column=WORKERS_ENV,
                expected=f"a whole number from 1 to {_MAX}",
                message_de=(
                    f"Die Umgebungsvariable {WORKERS_ENV} = „{text}“ ist keine ganze Zahl "
                    f"von 1 bis {_MAX}"
                ),
            )
        return int(text)
    return max(1, min(DEFAULT_MAX_WORKERS, os.cpu_count() or 1))
