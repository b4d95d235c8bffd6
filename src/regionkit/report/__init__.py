"""Figures, maps, tables and the self-contained HTML report."""
