"""Ecological network analysis: AHP weighting and landscape connectivity (PC, dPC)."""
