"""Writing the demo files: OSM XML, Gemeinde GeoJSON, offers CSV and region.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
from osmium.osm.mutable import Node, Way
from shapely.geometry import MultiPolygon, Polygon

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.config import WGS84
from erreichbarkeit.demo.model import (
    LonLat,
    Model,
)

__all__ = [
    "REGION_NAME",
    "DemoFiles",
    "write_boundaries",
    "write_offers",
    "write_osm",
    "write_region",
]

REGION_NAME = "Beispielkreis (fiktiv)"


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files written by :func:`generate_demo`.

    Attributes
    ----------
    folder
        The demo folder.
    network
        ``beispielkreis.osm``: OSM XML with roads, places, addresses and POIs.
    boundaries
        ``gemeinden.geojson``: Gemeinde polygons (``ags``, ``gemeinde``, ``population``).
    offers
        ``angebote.csv``: the offers list in the German spreadsheet format.
    population
        ``bevoelkerung.csv``: population per Gemeinde (``AGS;Gemeinde;Einwohner``).
    population_grid
        ``bevoelkerungsraster.csv``: a fictional 100 m population grid in the
        Zensus format (``x_mp;y_mp;Einwohner;unter18_A``, EPSG:3035 cell
        centres) for the grid surface.
    region
        ``region.toml``: the region file naming the files above.
    """

    folder: Path
    network: Path
    boundaries: Path
    offers: Path
    population: Path
    population_grid: Path
    region: Path


def write_osm(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the OSM XML: every node (lon/lat rounded to 7 places) and way, with a bounding box."""
    osm = model.osm
    coords = lonlat(np.array([(x, y) for x, y, _ in osm.nodes]))
    header = osmium.io.Header()
    header.set("generator", "erreichbarkeit demo – Beispielkreis (fiktiv)")
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(lo[0], lo[1]), osmium.osm.Location(hi[0], hi[1]))
    )
    with atomic_path(path) as tmp:
        writer = osmium.SimpleWriter(str(tmp), header=header)
        try:
            for k, (_, _, tags) in enumerate(osm.nodes):
                lon, lat = coords[k]
                writer.add_node(Node(id=k + 1, location=(float(lon), float(lat)), tags=tags))
            for k, (nodes, tags) in enumerate(osm.ways):
                writer.add_way(Way(id=k + 1, nodes=nodes, tags=tags))
        finally:
            writer.close()


def _polygon_lonlat(geom: Polygon | MultiPolygon, lonlat: LonLat) -> Polygon | MultiPolygon:
    """A metric (Multi)Polygon in lon/lat."""

    def one(poly: Polygon) -> Polygon:
        """One polygon with its holes."""
        return Polygon(
            lonlat(np.asarray(poly.exterior.coords)),
            [lonlat(np.asarray(r.coords)) for r in poly.interiors],
        )

    if isinstance(geom, MultiPolygon):
        return MultiPolygon([one(g) for g in geom.geoms])
    return one(geom)


def write_boundaries(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the Gemeinden as GeoJSON (``ags``, ``gemeinde``, ``population``)."""
    gdf = gpd.GeoDataFrame(
        {
            "ags": [g.ags for g in model.gemeinden],
            "gemeinde": [g.name for g in model.gemeinden],
            "population": [g.population for g in model.gemeinden],
        },
        geometry=[_polygon_lonlat(g.geometry, lonlat) for g in model.gemeinden],
        crs=WGS84,
    )
    # GeoDataFrame.to_json gives byte-stable output independent of the GDAL version
    text = gdf.to_json(drop_id=True, ensure_ascii=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def _de_number(value: float, decimals: int) -> str:
    """``51.5`` → ``51,500000`` (decimal comma)."""
    return f"{value:.{decimals}f}".replace(".", ",")


def write_offers(model: Model, path: Path, lonlat: LonLat) -> None:
    """Write the offers list in the German spreadsheet format."""
    coords = lonlat(np.array([(o.x, o.y) for o in model.offers]))
    rows = []
    for k, o in enumerate(model.offers):
        place = model.places[o.place]
        lon, lat = coords[k]
        rows.append(
            {
                "Nr": str(k + 1),
                "Name": o.name,
                "Kategorie": o.kategorie,
                "Träger": o.traeger,
                "Straße": o.address.street,
                "Hausnummer": o.address.housenumber,
                "PLZ": model.gemeinden[place.gemeinde].postcode,
                "Ort": place.name,
                "Breitengrad": _de_number(lat, 6) if o.with_coordinates else "",
                "Längengrad": _de_number(lon, 6) if o.with_coordinates else "",
                "Kapazität": str(o.capacity) if o.capacity else "",
                "Altersgruppen": o.age_groups,
                "Öffnungszeiten": o.opening_de,
            }
        )
    table = pd.DataFrame(rows, dtype=str)
    with atomic_path(path) as tmp:
        # the format a German spreadsheet program writes: ';', decimal comma, BOM, CRLF
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


_FICTIONAL = "fiktive Daten, erzeugt von erreichbarkeit.demo.beispielkreis (frei verwendbar)"


def write_region(files: DemoFiles) -> None:
    """Write ``region.toml`` naming the demo files."""
    text = f"""\
# Fiktiver Beispielkreis: alle Orte, Straßen, Einwohnerzahlen und Angebote sind
# erfunden (erzeugt von erreichbarkeit.demo.beispielkreis).  Gemeindeschlüssel mit Land „99“.

[region]
name = "{REGION_NAME}"

[inputs]
network = "{files.network.name}"
boundaries = "{files.boundaries.name}"
offers = ["{files.offers.name}"]
population = "{files.population.name}"
# fiktives 100-m-Bevölkerungsraster für die Rasterauswertung (250-m-Zellen)
population_grid = "{files.population_grid.name}"
grid_cell_m = 250

[attribution]
network = "{_FICTIONAL}"
boundaries = "{_FICTIONAL}"
population = "{_FICTIONAL}"
population_grid = "{_FICTIONAL}"
offers = "{_FICTIONAL}"
"""
    with atomic_path(files.region) as tmp:
        tmp.write_text(text, encoding="utf-8")
