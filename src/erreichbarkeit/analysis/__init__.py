"""Population estimates, indicators, supply (2SFCA), grid surface and bands."""
