"""The dashboard's downloads as bytes: result files, travel-time bands, print map (no Streamlit)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from erreichbarkeit._atomic import sweep_stale
from erreichbarkeit.config.outpaths import RUN_OUTPUT_FILES, check_no_overwrite, input_paths
from erreichbarkeit.report.export import export_all
from erreichbarkeit.report.gpkg import write_geopackage
from erreichbarkeit.report.headers import ColumnHeaders
from erreichbarkeit.report.methodik import methodik
from erreichbarkeit.results import Results
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.kpis import kpi_notes
from erreichbarkeit.ui.layers import StaticLayers, map_frame
from erreichbarkeit.ui.tables import legend_title, view_subtitle
from erreichbarkeit.ui.views import View, ViewData

if TYPE_CHECKING:  # the paper and format types only annotate; printmap loads matplotlib
    from erreichbarkeit.report.printmap import Format, Paper

__all__ = ["bands_gpkg_bytes", "export_files", "print_map_bytes"]


def _shown_results(data: ViewData, view: View) -> Results:
    """The run as the view shows it: its mode and thresholds, its villages, all offers.

    Only for the Methodik sheet of the export, which describes what the
    user saw rather than the region's defaults.
    """
    results = data.results
    thresholds = {
        c: dict(results.settings.thresholds.get(c, {})) for c in results.settings.thresholds
    }
    for cat, minutes in view.thresholds.items():
        thresholds.setdefault(cat, {})[view.mode] = float(minutes)
    settings = results.settings.replace(thresholds=thresholds, modes=(view.mode,))
    return dataclasses.replace(
        results,
        settings=settings,
        villages=view.villages,
        inputs=dataclasses.replace(results.inputs, offers=data.offers),
    )


def export_files(data: ViewData, view: View, *, workdir: Path, map_html: str) -> dict[str, bytes]:
    """Write the exports of the current view and return their bytes.

    Parameters
    ----------
    data, view
        The view's data (including this session's upload) and indicators.
    workdir
        A per-session temporary folder.
    map_html
        The web map of the view as standalone HTML.

    Returns
    -------
    dict[str, bytes]
        ``xlsx``, ``orte_csv``, ``gpkg``, ``html``.
    """
    out = workdir / "export"
    # the session folder is ours, but never write onto a region's input
    check_no_overwrite([out / n for n in RUN_OUTPUT_FILES], input_paths(data.results.settings))
    sweep_stale(out)  # temporaries of an export the server was killed in
    paths = export_all(
        out,
        villages=view.villages,
        gemeinden=view.gemeinden,
        offers=data.offers,
        travel_times=data.travel_times[data.travel_times["mode"] == view.mode],
        boundaries=data.boundaries if len(data.boundaries) else None,
        methodik=methodik(_shown_results(data, view)),
        headers=ColumnHeaders({k: c.label for k, c in data.category_table.items()}),
    )
    return {
        "xlsx": paths["xlsx"].read_bytes(),
        "orte_csv": paths["orte_csv"].read_bytes(),
        "gpkg": paths["gpkg"].read_bytes(),
        "html": map_html.encode("utf-8"),
    }


def bands_gpkg_bytes(bands: gpd.GeoDataFrame, *, workdir: Path) -> bytes:
    """The bands as a GeoPackage (layer ``reisezeitbaender``, EPSG:25832), as bytes."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = write_geopackage(workdir / "reisezeitbaender.gpkg", {"reisezeitbaender": bands})
    return path.read_bytes()


def print_map_bytes(
    data: ViewData,
    view: View,
    category: str,
    *,
    layers: StaticLayers | None = None,
    extent: tuple[float, float, float, float] | None = None,
    extent_label: str = "",
    paper: Paper = "A4",
    fmt: Format = "pdf",
) -> bytes:
    """The print map (PDF/PNG) of one category of a view.

    Parameters
    ----------
    data, view, category
        As for :func:`erreichbarkeit.ui.layers.build_view_map`; the title
        names the run's analysis area (``settings.area_name``), the attribution line its
        data sources (``inputs.sources``).
    layers
        The region's fixed layers (roads of the base layer).
    extent
        Lon/lat frame of the map (``None``: the whole region).
    extent_label
        Name of the frame (a Gemeinde), added to the title.
    paper, fmt
        ``"A4"``/``"A3"``, ``"pdf"``/``"png"``.

    Returns
    -------
    bytes
    """
    from erreichbarkeit.report import printmap  # noqa: PLC0415  (matplotlib only when printing)
    from erreichbarkeit.report.steckbrief_data import area_extent  # noqa: PLC0415
    from erreichbarkeit.report.transit_layers import transit_map_layers  # noqa: PLC0415

    results = data.results
    labels = {k: c.label for k, c in data.category_table.items()}
    title = texts.PRINT_TITLE.format(
        label=labels.get(category, category), region=results.settings.area_name
    )
    if extent_label:
        title += f" – {extent_label}"
    return printmap.render_print_map(
        map_frame(view, category),
        title=title,
        subtitle=view_subtitle(view, category, labels),
        offers=data.offers[data.offers["category"] == category],
        boundaries=data.boundaries if len(data.boundaries) else None,
        roads=layers.roads if layers is not None else None,
        categories=data.category_table,
        legend_title=legend_title(view, category, labels),
        sources=printmap.source_line(results.inputs.sources),
        notes=kpi_notes(view, category),
        extent=extent or area_extent(results),  # default: the analysis area, the rest grey
        paper=paper,
        fmt=fmt,
        transit=transit_map_layers(results, category) if view.mode == "pt" else None,
    )
