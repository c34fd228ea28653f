"""Population estimates, indicators and their summaries, supply (2SFCA), grid surface, bands."""
