"""Regenerate the pingouin reference files of this folder (needs ``pip install pingouin``).

    python tests/reference/mediation/make_reference.py

Writes ``pingouin_mediation_xmy.csv`` (columns X, M, Y of pingouin's example
data set ``mediation``) and ``pingouin_paths.csv`` (the path table of
``pingouin.mediation_analysis(data, x="X", m="M", y="Y", n_boot=5000, seed=42)``
at full precision, with the pingouin version).
"""

from pathlib import Path

import pingouin as pg

HERE = Path(__file__).parent

data = pg.read_dataset("mediation")
data[["X", "M", "Y"]].to_csv(HERE / "pingouin_mediation_xmy.csv", index=False)
pg.options["round"] = None  # full precision (the default of pingouin 0.7)
table = pg.mediation_analysis(data=data, x="X", m="M", y="Y", alpha=0.05, n_boot=5000, seed=42)
table["pingouin_version"] = pg.__version__
table.to_csv(HERE / "pingouin_paths.csv", index=False, float_format="%.10g")
print(table)
