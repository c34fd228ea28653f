"""The table of social indicators in a run: read before routing, ranked after it.

:func:`reads_need` wraps :func:`~erreichbarkeit.pipeline.load_inputs`: the
table of ``settings.need`` is read and checked against the villages in the
load phase, so its errors appear before any routing.  The ranking itself
(:func:`erreichbarkeit.analysis.need.need_ranking`) is computed where it is
shown (export sheet, dashboard), for the choice made there.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from erreichbarkeit.config import Settings
from erreichbarkeit.io.need import read_need
from erreichbarkeit.results import Inputs

__all__ = ["reads_need", "with_need"]


def reads_need[**P](load: Callable[P, Inputs]) -> Callable[P, Inputs]:
    """Decorate ``load_inputs``: read the table of social indicators of its settings too."""

    @functools.wraps(load)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Inputs:
        data = load(*args, **kwargs)
        settings = args[0] if args else kwargs.get("settings")
        if not isinstance(settings, Settings) or settings.need is None:
            return data
        return with_need(settings, data)

    return wrapper


def with_need(settings: Settings, data: Inputs) -> Inputs:
    """The inputs with the need table, its row problems and its source record.

    Raises
    ------
    InputDataError
        When the table has not one usable row (or cannot be read).
    """
    path = Path(str(settings.need))
    res = read_need(path, villages=data.villages, attribution=settings.attribution.get("need"))
    if res.failure is not None:
        raise res.failure
    source = res.table.source if res.table is not None else ""
    try:
        stand = "Datei vom " + datetime.fromtimestamp(path.stat().st_mtime).strftime("%d.%m.%Y")
    except OSError:
        stand = ""
    record = {
        "Daten": "Sozialindikatoren (Bedarf)",
        "Datei": path.name,
        "Quelle": source,
        "Lizenz": "",
        "Stand": stand,
    }
    return dataclasses.replace(
        data,
        need=res.table,
        problems=(*data.problems, *res.problems),
        sources=(*data.sources, record),
    )
