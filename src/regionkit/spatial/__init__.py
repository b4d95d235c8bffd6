"""Spatial statistics: weights, global and local autocorrelation, hot spots, classification."""
