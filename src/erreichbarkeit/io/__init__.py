"""Reading inputs: tables, offers, boundaries, population, villages, OSM, GIS layers, geocoding.

The readers a user calls are re-exported here; the modules behind them are
internal and may be reorganised.
"""

from erreichbarkeit.io.inputs import read_boundaries, read_offers, read_population, read_villages

__all__ = ["read_boundaries", "read_offers", "read_population", "read_villages"]
