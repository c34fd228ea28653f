"""Road networks (OSRM) and the long travel-time table."""
