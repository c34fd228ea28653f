"""A click into the Karte map (``erreichbarkeit.ui.map_click``), without a server.

Positions are built with exact geodesic offsets (pyproj), so „400 m north of
Altdorf“ is 400 m on the ellipsoid and the 500 m radius is tested on both sides.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from erreichbarkeit.analysis.grid import GridResult
from erreichbarkeit.ui.map_click import Click, GridHit, grid_minutes_at, read_click, village_at

GEOD = Geod(ellps="WGS84")
ALTDORF = (9.90, 51.50)  # lon, lat
BUCHHEIM = (9.95, 51.50)  # about 3.5 km east


def _villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["v1", "v2"], "name": ["Altdorf", "Buchheim"]},
        geometry=[shapely.Point(*ALTDORF), shapely.Point(*BUCHHEIM)],
        crs=4326,
    )


def _moved(lonlat: tuple[float, float], azimuth: float, metres: float) -> Click:
    lon, lat, _ = GEOD.fwd(lonlat[0], lonlat[1], azimuth, metres)
    return Click(lat=float(lat), lon=float(lon))


@pytest.mark.parametrize(
    ("origin", "azimuth", "metres", "expected"),
    [
        (ALTDORF, 0.0, 0.0, "v1"),  # on the marker
        (ALTDORF, 0.0, 400.0, "v1"),  # 400 m north
        (ALTDORF, 180.0, 499.0, "v1"),  # just inside the radius
        (ALTDORF, 180.0, 501.0, None),  # just outside
        (BUCHHEIM, 270.0, 300.0, "v2"),  # 300 m west of Buchheim (towards Altdorf)
        (ALTDORF, 90.0, 1800.0, None),  # half-way between: more than 500 m from both
    ],
)
def test_click_selects_the_village_within_500_m(
    origin: tuple[float, float], azimuth: float, metres: float, expected: str | None
) -> None:
    assert village_at(_villages(), _moved(origin, azimuth, metres)) == expected


def test_click_takes_the_nearer_of_two_villages() -> None:
    villages = _villages()
    villages.loc[1, "geometry"] = shapely.Point(*_lonlat(_moved(ALTDORF, 90.0, 600.0)))
    assert village_at(villages, _moved(ALTDORF, 90.0, 250.0)) == "v1"
    assert village_at(villages, _moved(ALTDORF, 90.0, 350.0)) == "v2"


def _lonlat(click: Click) -> tuple[float, float]:
    return click.lon, click.lat


def test_no_village_without_villages() -> None:
    assert village_at(_villages().iloc[0:0], Click(51.5, 9.9)) is None


def test_each_click_counts_once() -> None:
    a = {"lat": 51.5, "lng": 9.9}
    b = {"lat": 51.6, "lng": 9.8}
    # nothing clicked yet (the component's first value)
    click, seen = read_click({"last_clicked": None, "last_object_clicked": None}, None)
    assert click is None
    # a click on a marker: both values change; the same value on the next rerun is no click
    click, seen = read_click({"last_clicked": a, "last_object_clicked": a}, seen)
    assert click == Click(51.5, 9.9)
    assert read_click({"last_clicked": a, "last_object_clicked": a}, seen)[0] is None
    # a click beside the markers: only last_clicked changes
    click, seen = read_click({"last_clicked": b, "last_object_clicked": a}, seen)
    assert click == Click(51.6, 9.8)
    # a click on an offer icon (does not bubble to the map): only the object changes
    click, seen = read_click({"last_clicked": b, "last_object_clicked": b | {"lat": 51.7}}, seen)
    assert click == Click(51.7, 9.8)


@pytest.mark.parametrize("value", [None, "x", {"last_clicked": {"lat": "?", "lng": 1}}, {}])
def test_odd_component_values_are_no_click(value: object) -> None:
    assert read_click(value, None)[0] is None


def _grid() -> GridResult:
    """Two 250 m cells in EPSG:3035: 12.5 min and no offer within the limit."""
    x0, y0 = 4_300_000.0, 3_100_000.0
    cells = gpd.GeoDataFrame(
        {"cell_id": ["a", "b"], "kita_car_min": [12.5, math.nan]},
        geometry=[
            shapely.box(x0, y0, x0 + 250, y0 + 250),
            shapely.box(x0 + 250, y0, x0 + 500, y0 + 250),
        ],
        crs=3035,
    )
    return GridResult(cells=cells, gemeinde=pd.DataFrame(), kreis=pd.DataFrame(), meta={})


def _click_at(x: float, y: float) -> Click:
    p = gpd.GeoSeries([shapely.Point(x, y)], crs=3035).to_crs(4326).iloc[0]
    return Click(lat=p.y, lon=p.x)


def test_grid_minutes_at_the_clicked_cell() -> None:
    grid = _grid()
    x0, y0 = 4_300_000.0, 3_100_000.0
    assert grid_minutes_at(grid, "kita", "car", _click_at(x0 + 100, y0 + 100)) == GridHit(
        True, 12.5
    )
    assert grid_minutes_at(grid, "kita", "car", _click_at(x0 + 400, y0 + 100)) == GridHit(
        True, None
    )
    assert grid_minutes_at(grid, "kita", "car", _click_at(x0 + 900, y0 + 100)) == GridHit(False)
    # no column for the category or mode, or no grid at all: not in the grid
    assert grid_minutes_at(grid, "kita", "walk", _click_at(x0 + 100, y0 + 100)) == GridHit(False)
    assert grid_minutes_at(None, "kita", "car", _click_at(x0 + 100, y0 + 100)) == GridHit(False)
