"""Folium web maps (offline assets, layers, legend)."""
