"""Exports, Methodik, print maps, Steckbrief, base map."""
