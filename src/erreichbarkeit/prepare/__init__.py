"""Preparing a region: download, clip, region files."""
