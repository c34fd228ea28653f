"""Population grid surface: travel minutes per grid cell (Thünen-comparable).

The German reference figures (Thünen-Landatlas, Deutschlandatlas) measure
accessibility on the INSPIRE grid (EPSG:3035, 250 m cells, ids such as
``CRS3035RES250mN3050000E4250000`` = lower-left corner in metres): the cell
centre is the origin, the nearest facility of a kind the destination, and the
cell results are aggregated per Gemeinde and Kreis as population-weighted
mean/median minutes and population shares within 5/10/15/20 minutes.  This
package builds the same surface for a region, one concern per module:

1. :func:`read_population_grid` (:mod:`.zensus`) reads a Zensus-style
   population grid (cell centres ``x_mp``/``y_mp`` or ``x_mitte``/``y_mitte``
   in EPSG:3035 and ``Einwohner``; or a layer of cell polygons) into one
   normalised table;
2. :func:`build_grid` (:mod:`.population`) lays the cells (:mod:`.cells`)
   over the Gemeinden and attaches the population.  Coarser source cells
   (the open Zensus 2011 data has 1 km cells) are **disaggregated**: each
   source cell's population is spread over its sub-cells in proportion to the
   length of residential-type roads in each sub-cell
   (:func:`settled_lines_from_network`, :mod:`.settled`), equally where the
   source cell has no such road; the sum per source cell is kept.  Finer
   source cells are summed into the cell holding their centre;
3. :func:`grid_travel_times` (:mod:`.routing`) routes every cell centre to
   the offers with OSRM and keeps only the nearest minutes per category and
   mode;
4. :func:`grid_indicators` (:mod:`.indicators`) aggregates per Gemeinde and
   for the region;
5. :func:`compute_grid` (:mod:`.surface`) does all of it from the
   :class:`~erreichbarkeit.config.Settings`.

Which cells belong to the region
--------------------------------
With a population grid, a source cell belongs to the region when its
*centre* lies in one of the Gemeinden (the rule of the Zensus subsets and of
aggregations of gridded statistics to areas).  All its sub-cells come with
it, so the region's population equals the sum of those source cells exactly;
each sub-cell is assigned to the Gemeinde holding its own centre (the source
cell's Gemeinde where its own centre lies outside every Gemeinde).  Kept are
cells with inhabitants or with residential-type roads.

Without a population grid the surface covers the cells whose centre lies in
a Gemeinde and that hold residential-type roads (all such cells when no
roads are given either); ``population`` is NaN and :func:`grid_indicators`
weights every cell equally, i.e. the figures are shares of the *settled
area*, not of the population — labelled so in the ``weighting`` column and
the notes.  We chose this over raising an error because the travel-time
surface and its bands are useful on their own (maps, gaps between villages)
and a planner can add the open Zensus grid later.
"""

from erreichbarkeit.analysis.grid.cells import GRID_CRS, inspire_ids
from erreichbarkeit.analysis.grid.indicators import grid_indicators
from erreichbarkeit.analysis.grid.population import build_grid
from erreichbarkeit.analysis.grid.routing import grid_travel_times, offer_minutes
from erreichbarkeit.analysis.grid.settled import (
    SETTLED_HIGHWAYS,
    SETTLED_OMT_CLASSES,
    settled_lines_from_network,
)
from erreichbarkeit.analysis.grid.surface import GridResult, compute_grid
from erreichbarkeit.analysis.grid.zensus import (
    POPULATION_COLUMNS,
    population_from_table,
    read_population_grid,
)

__all__ = [
    "GRID_CRS",
    "POPULATION_COLUMNS",
    "SETTLED_HIGHWAYS",
    "SETTLED_OMT_CLASSES",
    "GridResult",
    "build_grid",
    "compute_grid",
    "grid_indicators",
    "grid_travel_times",
    "inspire_ids",
    "offer_minutes",
    "population_from_table",
    "read_population_grid",
    "settled_lines_from_network",
]
