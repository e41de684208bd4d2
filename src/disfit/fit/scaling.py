"""Feature scaling of the network's input (n3fit 4.1.5's `feature_scaling_points`,
n3fit/scaler.py): x is mapped to [-1, 1] so that the x values of all FK grids are evenly
spread, the map being a monotone cubic (PCHIP) in ln x through `points` of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.interpolate import PchipInterpolator

from disfit.errors import DisfitError

#: n3fit pins the map's lowest point at x = 1e-9 (the bottom of the export grid)
SMALLEST_X = 1e-9


def feature_scaler(grids: Sequence[np.ndarray], points: int) -> Callable[[np.ndarray], np.ndarray]:
    """The map x → s(x) ∈ [-1, 1] of n3fit's generate_scaler for the FK x grids `grids`
    (one entry per model input, duplicates counted): each distinct x goes to its position in
    the sorted list of all grid points, and `points` of them (plus the extremes) are joined by
    a PCHIP interpolation in ln x."""
    if not grids:
        raise DisfitError("feature scaling needs the FK tables' x grids; none were given")
    values = np.sort(np.concatenate([np.asarray(g, dtype=float).ravel() for g in grids]))
    size = values.size
    force_smallest = values.min() > SMALLEST_X
    endpoint = 1.0 in values
    start = 1 / size if force_smallest else 0.0
    even = np.linspace(start, 1.0, endpoint=endpoint, num=size)
    unique, counts = np.unique(values, return_counts=True)
    map_to = even[np.cumsum(counts) - counts[0]]
    map_from = unique
    if force_smallest:
        map_from = np.insert(map_from, 0, SMALLEST_X)
        map_to = np.insert(map_to, 0, 0.0)
    if points < 2:
        raise DisfitError(f"fit.feature_scaling_points is {points}; use at least 2")
    step = map_from.size / (points - 1)
    selected = [round(i * step - 1) for i in range(1, points)]
    if selected[0] != 0:
        selected = [0, *selected]
    selected.append(1)  # n3fit keeps the second point too: 1e-9 is an outlier
    mask = np.zeros(map_from.size, dtype=bool)
    mask[selected] = True
    try:
        interpolation = PchipInterpolator(np.log(map_from[mask]), map_to[mask])
    except ValueError:
        raise DisfitError(
            f"fit.feature_scaling_points ({points}) is too many for the {map_from.size} "
            "distinct x of the FK grids (n3fit's selection of points repeats some); lower it"
        ) from None

    def scale(x: np.ndarray) -> np.ndarray:
        return 2 * interpolation(np.log(np.asarray(x, dtype=float))) - 1

    return scale
