"""Econometrics: Tobit (pooled, random-effects, fixed-effects, Mundlak), linear panel models,
Hausman test, formulas and regression tables."""
