"""The attribution line of the paper maps, the Steckbriefe and the HTML map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["source_line"]


def source_line(sources: Sequence[Mapping[str, str]], *, extra: Sequence[str] = ()) -> str:
    """The attribution line of a map from the Methodik sources.

    Parameters
    ----------
    sources
        ``results.inputs.sources``: records with ``Quelle``, ``Lizenz``, ``Stand``.
    extra
        Further parts appended as they are.

    Returns
    -------
    str
        E.g. ``"Quellen: © OpenStreetMap-Mitwirkende (ODbL 1.0, OSM-Daten vom
        01.05.2025) · © GeoBasis-DE / BKG (VG250) (dl-de/by-2-0)"``; each
        source named once; the users' own lists as "eigene Angaben".
    """
    parts: list[str] = []
    seen: set[str] = set()
    for src in sources:
        origin = str(src.get("Quelle", "")).strip()
        if not origin or origin in seen:
            continue
        seen.add(origin)
        if origin == "Angabe der Nutzer":
            parts.append("eigene Angaben")
            continue
        detail = [str(src.get("Lizenz", "")).strip()]
        stand = str(src.get("Stand", "")).strip()
        if stand.startswith("OSM-Daten"):
            detail.append(stand)
        inner = ", ".join(d for d in detail if d)
        parts.append(f"{origin} ({inner})" if inner else origin)
    parts.extend(extra)
    return "Quellen: " + " · ".join(parts) if parts else ""
