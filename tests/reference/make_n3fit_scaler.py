"""Produce tests/data/n3fit_scaler.npz: n3fit 4.1.5's feature-scaling map (n3fit/scaler.py).

Run once, by hand, in an environment with n3fit (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    /tmp/vp/bin/python tests/reference/make_n3fit_scaler.py

Two sets of model inputs, as n3fit's ModelTrainer collects them (one (1, nx) array per
observable group, positivity and integrability set): with a 1e-9 point (an integrability grid)
and without one (then n3fit pins the map at 1e-9), with and without x = 1; the map
`generate_scaler(inputs, points)` evaluated on 60 x values for 5, 15 and 40 points.
"""

from pathlib import Path

import numpy as np
from n3fit.scaler import generate_scaler

OUT = Path(__file__).resolve().parents[1] / "data" / "n3fit_scaler.npz"
data_grid = np.geomspace(2e-5, 1.0, 50)
positivity = np.concatenate([np.geomspace(5e-7, 0.1, 10), np.linspace(0.1, 0.9, 11)[1:]])
cases = {
    "with_1e-9": [data_grid, positivity, positivity, np.array([1e-9])],
    "above_1e-9": [data_grid[:-1], positivity, np.geomspace(1e-6, 0.5, 30)],
}
x = np.geomspace(1e-9, 1.0, 60)
arrays = {"x": x}
for name, grids in cases.items():
    for k, grid in enumerate(grids):
        arrays[f"{name}/grid{k}"] = grid
    for points in (5, 15, 40):
        scaler = generate_scaler([g.reshape(1, -1) for g in grids], points)
        arrays[f"{name}/points{points}"] = scaler(x.reshape(-1, 1))[:, 0]
np.savez(OUT, **arrays)
print(f"wrote {OUT}")
