"""Indices: normalisation, entropy weights, composite indices, coupling coordination, resilience,
agglomeration, environmental damage, dispersion and urban indicators (pure functions)."""
