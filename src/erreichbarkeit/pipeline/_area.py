"""The analysis area of a run: check it, mark it, restrict the Gemeinde tables to it.

The *data area* (the Kreis plus its buffer) holds every village and offer
that counts as origin, destination or context; the *analysis area*
(:class:`~erreichbarkeit.config.area.AnalysisArea`, the region file's
``[area]``, e.g. the Gemeinden a Kreisjugendamt serves) is what the key
figures, Gemeinde tables, Steckbriefe and location suggestions cover.

:func:`mark_area` runs while the inputs are read, *before* routing, so a
typo in the region file costs seconds, not a routing run: every listed
AGS or name must match a Gemeinde of the boundaries (else a German
:class:`~erreichbarkeit.errors.ConfigError` with the closest Gemeinde).  It
adds a boolean ``in_area`` column to the villages and the boundaries;
:func:`restrict_results` keeps only the area's Gemeinden in the Gemeinde
tables of the results.  Villages outside the area stay in the village
table (``in_area`` False), on the map and as destinations.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
from rapidfuzz import process

from erreichbarkeit.analysis.grid import GridResult, grid_indicators
from erreichbarkeit.config import Settings
from erreichbarkeit.config.area import AnalysisArea
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.io.boundaries import boundary_keys
from erreichbarkeit.results import Results

__all__ = ["CLI_SOURCE", "area_gemeinden", "mark_area", "restrict_results", "validate_area"]

logger = logging.getLogger(__name__)

#: The column both villages and boundaries carry after :func:`mark_area`.
IN_AREA = "in_area"


def _name_variants(name: str) -> tuple[str, ...]:
    """``"Brilon, Stadt"`` → ``("Brilon, Stadt", "Brilon")``: VG250 and Zensus spellings."""
    text = str(name).strip()
    short = text.split(",", 1)[0].strip()
    return (text, short) if short and short != text else (text,)


def _name_keys(names: tuple[str, ...]) -> set[str]:
    """Case- and blank-insensitive forms of names, with and without a „, Stadt“ suffix."""
    return {" ".join(v.casefold().split()) for n in names for v in _name_variants(n)}


def _matches(area: AnalysisArea, ags: str, name: str) -> bool:
    """True when the Gemeinde (AGS, name) is listed by key or by name.

    ``"Brilon"`` in the area matches the Zensus spelling ``"Brilon, Stadt"``
    and the other way round.
    """
    if ags and area.covers_key(ags):
        return True
    return bool(area.gemeinden) and bool(_name_keys((name,)) & _name_keys(area.gemeinden))


def _gemeinde_keys(boundaries: pd.DataFrame) -> pd.DataFrame:
    """``ags``, ``gemeinde`` of the boundaries as strings (empty for missing values)."""
    if boundaries.empty or "ags" not in boundaries.columns:
        return pd.DataFrame({"ags": pd.Series(dtype=str), "gemeinde": pd.Series(dtype=str)})
    names = boundaries["gemeinde"] if "gemeinde" in boundaries.columns else ""
    return pd.DataFrame(
        {
            "ags": boundaries["ags"].fillna("").astype(str).to_numpy(),
            "gemeinde": pd.Series(names, index=boundaries.index).fillna("").astype(str).to_numpy(),
        }
    )


#: ``AnalysisArea.source`` of an area given on the command line (``--gebiet``).
CLI_SOURCE = "Angabe beim Aufruf (--gebiet)"


def _where(settings: Settings) -> str:
    """Where the area was written: the region file's ``[area]``, or ``--gebiet``."""
    if settings.area is not None and settings.area.source == CLI_SOURCE:
        return "Option --gebiet"
    return f"Regionsdatei „{settings.name}“, Abschnitt [area]"


def _unknown_entry(entry: str, keys: pd.DataFrame, *, by_name: bool, where: str) -> ConfigError:
    """The German error for an ``[area]`` entry that matches no Gemeinde of the data."""
    labels = [f"{a} {g}".strip() for a, g in zip(keys["ags"], keys["gemeinde"], strict=True)]
    choices = list(keys["gemeinde"]) if by_name else list(keys["ags"])
    best = process.extractOne(entry, choices) if choices else None
    hint = ""
    if best is not None:
        hint = f" Meinten Sie „{labels[best[2]]}“?"
    field = "gemeinden" if by_name else "ags"
    msg = f"[area] {field}: {entry!r} matches no Gemeinde of the boundaries"
    return ConfigError(
        msg,
        column=f"area.{field}",
        expected=", ".join(labels)[:300] or "a Gemeinde of the boundaries",
        message_de=(
            f"{where} ({field}): „{entry}“ passt zu keiner Gemeinde der Gemeindegrenzen.{hint}"
        ),
    )


def validate_area(area: AnalysisArea, boundaries: pd.DataFrame, *, where: str) -> None:
    """Check that every listed AGS and name matches a Gemeinde of ``boundaries``.

    Parameters
    ----------
    area
        The analysis area.
    boundaries
        Gemeinde boundaries with ``ags`` and ``gemeinde``.
    where
        Where the area was written, for the message (``"Regionsdatei …"``,
        ``"--gebiet"``).

    Raises
    ------
    ConfigError
        An entry that matches no Gemeinde (German message with the closest
        Gemeinde name or AGS).
    """
    keys = _gemeinde_keys(boundaries)
    one = AnalysisArea(name=area.name)
    for key in area.ags:
        probe = dataclasses.replace(one, ags=(key,))
        if not any(probe.covers_key(a) for a in keys["ags"] if a):
            raise _unknown_entry(key, keys, by_name=False, where=where)
    for name in area.gemeinden:
        probe = dataclasses.replace(one, gemeinden=(name,))
        if not any(_matches(probe, "", g) for g in keys["gemeinde"]):
            raise _unknown_entry(name, keys, by_name=True, where=where)


def _validate_explicit(
    settings: Settings, area: AnalysisArea, boundaries: gpd.GeoDataFrame, *, where: str
) -> None:
    """Check ``[area]`` against the whole boundary file, not only the Gemeinden in the data.

    An entry of the file that lies outside the network data (a clipped or
    partial extract) is logged, not an error: it has no village to report.
    """
    if settings.boundaries is None:
        validate_area(area, boundaries, where=where)
        return
    known = boundary_keys(Path(settings.boundaries), layer=settings.boundaries_layer)
    validate_area(area, known, where=where)
    in_data = set(_gemeinde_keys(boundaries)["ags"])
    outside = known[area_gemeinden(area, known).to_numpy(bool) & ~known["ags"].isin(in_data)]
    if len(outside):
        logger.warning(
            "%d Gemeinden of the analysis area lie outside the network data: %s",
            len(outside), ", ".join(outside["gemeinde"].astype(str).head(10)),
        )  # fmt: skip


def area_gemeinden(area: AnalysisArea, boundaries: pd.DataFrame) -> pd.Series:
    """Boolean per boundary row: the Gemeinde lies in the area."""
    keys = _gemeinde_keys(boundaries)
    flags = [_matches(area, a, g) for a, g in zip(keys["ags"], keys["gemeinde"], strict=True)]
    return pd.Series(flags, index=boundaries.index, dtype=bool)


def _no_village_error(area: AnalysisArea, where: str) -> ConfigError:
    """The German error for an area without a single village."""
    msg = f"the analysis area {area.name!r} covers no village of the data"
    return ConfigError(
        msg,
        column="area",
        expected="Gemeinden with villages in the network data",
        message_de=(
            f"{where}: Im Auswertungsgebiet „{area.name}“ liegt kein Ort "
            "der Daten – passen die Gemeinden zu den Netzdaten?"
        ),
    )


def mark_area(
    settings: Settings, villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check the analysis area and add ``in_area`` to villages and boundaries.

    Without an area (:meth:`Settings.analysis_area` is ``None``) every
    village and Gemeinde is in the area.  An explicit ``[area]`` must match
    (:func:`validate_area`) and hold at least one village; the area taken
    from ``[source] kreis`` alone is lenient (a warning, then everything
    counts), since the data need not carry official keys.  The boundaries
    also get ``in_kreis`` (from ``[source] kreis``) when they lack it.

    Raises
    ------
    ConfigError
        An unknown ``[area]`` entry, or an area without villages.
    """
    area = settings.analysis_area()
    keys = _gemeinde_keys(boundaries)
    if settings.source is not None and "in_kreis" not in boundaries.columns and len(keys):
        kreis = settings.source.kreis
        boundaries = boundaries.assign(in_kreis=keys["ags"].str.startswith(kreis).to_numpy(bool))
    if area is None or area.is_whole:
        return _all_in(villages, boundaries)
    where = _where(settings)
    explicit = settings.area is not None
    if explicit:
        _validate_explicit(settings, area, boundaries, where=where)
    inside = area_gemeinden(area, boundaries)
    ags_in = set(keys.loc[inside.to_numpy(bool), "ags"]) - {""}
    v_in = villages["ags"].astype("string").fillna("").isin(ags_in).to_numpy(bool)
    if not v_in.any():
        if explicit:
            raise _no_village_error(area, where)
        logger.warning(
            "the Kreis %s of [source] covers no village of the data; every village counts",
            area.ags,
        )
        return _all_in(villages, boundaries)
    logger.info(
        "analysis area %s: %d of %d villages in %d of %d Gemeinden",
        area.name, int(v_in.sum()), len(villages), int(inside.sum()), len(boundaries),
    )  # fmt: skip
    return villages.assign(in_area=v_in), boundaries.assign(in_area=inside.to_numpy(bool))


def _all_in(
    villages: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Every village and Gemeinde in the area."""
    logger.info("analysis area: all %d villages, %d Gemeinden", len(villages), len(boundaries))
    return (
        villages.assign(in_area=True),
        boundaries.assign(in_area=pd.Series(True, index=boundaries.index, dtype=bool)),
    )


def _area_ags(results: Results) -> set[str] | None:
    """AGS of the area's Gemeinden; ``None`` when everything is in the area."""
    bnd = results.inputs.boundaries
    v = results.villages
    if IN_AREA not in v.columns or bool(v[IN_AREA].all()):
        return None
    keys = set(v.loc[v[IN_AREA].astype(bool), "ags"].dropna().astype(str))
    if IN_AREA in bnd.columns:
        keys |= set(bnd.loc[bnd[IN_AREA].astype(bool), "ags"].dropna().astype(str))
    return keys


def _rows_in(table: pd.DataFrame, keys: set[str]) -> pd.DataFrame:
    """Rows of a Gemeinde table whose ``ags`` lies in ``keys``."""
    if table.empty or "ags" not in table.columns:
        return table
    keep = table["ags"].astype("string").fillna("").isin(keys).to_numpy(bool)
    return pd.DataFrame(table[keep].reset_index(drop=True))


def restrict_results(results: Results) -> Results:
    """The results with Gemeinde tables restricted to the analysis area's Gemeinden.

    ``gemeinden``, ``supply_gemeinden`` and ``transit_gemeinden`` keep the
    area's rows, the grid's figures cover the area's cells (:func:`_grid_in`);
    the village table keeps every village (``in_area`` says which count),
    the offers and boundaries stay as they are.
    """
    keys = _area_ags(results)
    if keys is None:
        return results
    return dataclasses.replace(
        results,
        gemeinden=_rows_in(results.gemeinden, keys),
        supply_gemeinden=_rows_in(results.supply_gemeinden, keys),
        transit_gemeinden=_rows_in(results.transit_gemeinden, keys),
        grid=_grid_in(results, keys),
    )


def _grid_in(results: Results, keys: set[str]) -> GridResult | None:
    """The grid surface with its figures over the area's cells.

    Every cell stays (``in_area`` marks the area's): the surface outside is
    context on the map.  The Gemeinde rows keep the area's Gemeinden and
    the region row is computed again from the area's cells alone.
    """
    grid = results.grid
    if grid is None or grid.cells.empty or "ags" not in grid.cells.columns:
        return grid
    inside = grid.cells["ags"].astype("string").fillna("").isin(keys).to_numpy(bool)
    cells = grid.cells.assign(in_area=inside)
    categories = list(dict.fromkeys(grid.kreis["category"])) if len(grid.kreis) else []
    modes = list(dict.fromkeys(grid.kreis["mode"])) if len(grid.kreis) else []
    if not inside.any() or not categories:
        return dataclasses.replace(grid, cells=cells)
    _, kreis = grid_indicators(
        cells[inside], categories=categories, modes=modes,
        cutoff=results.settings.routing.cutoff_minutes,
    )  # fmt: skip
    return dataclasses.replace(
        grid, cells=cells, gemeinde=_rows_in(grid.gemeinde, keys), kreis=kreis
    )
