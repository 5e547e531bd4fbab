"""Downloadable models: the catalogue, the on-disk store, pulls and imports."""
