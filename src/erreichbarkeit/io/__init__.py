"""Reading inputs: tables, offers, boundaries, population, villages, OSM, GIS layers, geocoding."""
