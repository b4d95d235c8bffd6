"""Industrial co-agglomeration from firm locations (optimal transport between industries)."""
