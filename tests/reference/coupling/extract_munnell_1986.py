"""Write the 1986 cross-section of the Munnell (1990) state panel.

Source: ``linearmodels.datasets.munnell.load()`` (48 contiguous US states,
1970-1986).  The output ``munnell_1986.csv`` is the input of
``make_reference.R``.  Run from the repository root::

    .venv/bin/python tests/reference/coupling/extract_munnell_1986.py
"""

from __future__ import annotations

from pathlib import Path

from linearmodels.datasets import munnell

COLUMNS = ["ST_ABB", "YR", "P_CAP", "HWY", "WATER", "UTIL", "PC", "GSP", "EMP", "UNEMP"]


def main() -> None:
    data = munnell.load()
    cross_section = data.loc[data["YR"] == 1986, COLUMNS].sort_values("ST_ABB")
    if len(cross_section) != 48 or cross_section["ST_ABB"].duplicated().any():
        raise SystemExit("unexpected shape of the 1986 cross-section")
    out = Path(__file__).with_name("munnell_1986.csv")
    # pandas writes floats with repr(), which round-trips exactly.
    cross_section.to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {out} ({len(cross_section)} rows)")


if __name__ == "__main__":
    main()
