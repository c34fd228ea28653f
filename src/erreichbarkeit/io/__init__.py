"""Reading inputs: tables, offers, boundaries, population, villages, OSM, GIS layers, geocoding.

The readers a user calls are re-exported here; the modules behind them are
internal and may be reorganised.
"""

from erreichbarkeit.io.boundaries import read_boundaries
from erreichbarkeit.io.offers import OffersReadResult, read_offers
from erreichbarkeit.io.population import read_population
from erreichbarkeit.io.tables import RowProblem, read_table
from erreichbarkeit.io.villages import read_villages

__all__ = [
    "OffersReadResult",
    "RowProblem",
    "read_boundaries",
    "read_offers",
    "read_population",
    "read_table",
    "read_villages",
]
