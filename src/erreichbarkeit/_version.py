"""The tool's version, in the Methodik sheet and in every cache key of results."""

__version__ = "0.1.0"
