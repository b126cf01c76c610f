"""Figures and the static HTML report, read from the store only."""
