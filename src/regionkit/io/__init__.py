"""Readers and writers at the edge of regionkit: tables, vector layers, embedded datasets."""
