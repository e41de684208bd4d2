"""Effective exponents of a fit's fitted flavours and the next fit's preprocessing ranges, as
validphys' alpha_eff, beta_eff and next_effective_exponents_table compute them for
vp-comparefits and vp-nextfitruncard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from disfit.compare import stats
from disfit.compare.fits import Fit

#: validphys' alpha_eff and beta_eff plotting grids (200 points, endpoint excluded)
ALPHA_X = np.logspace(np.log10(1e-6), np.log10(1e-3), 200, endpoint=False)
BETA_X = np.linspace(0.6, 0.9, 200, endpoint=False)


def fit_flavours(config: Mapping[str, Any]) -> list[tuple[str, str, dict[int, float]]]:
    """(fl, validphys label, PDG combination) of the config's fitted flavours, in its order."""
    return [(b["fl"], *stats.FIT_FLAVOURS[b["fl"]]) for b in config["fit"]["basis"]]


def effective_exponents(fit: Fit, config: Mapping[str, Any], q0: float) -> dict[str, Any]:
    """α_eff, β_eff of the fitted flavours on validphys' grids and at the points of
    next_effective_exponents_table, and the next ranges (before and after
    vp-nextfitruncard's limits and rounding)."""
    flavours = fit_flavours(config)
    combos = [(label, combo) for _, label, combo in flavours]
    grid = lambda x: stats.combine(fit.flavours(x, q0), combos)  # noqa: E731
    a_pts, b_pts = np.array(stats.X_ALPHA), np.array(stats.X_BETA)
    alpha_pts, beta_pts = stats.alpha_eff(a_pts, grid(a_pts)), stats.beta_eff(b_pts, grid(b_pts))
    ranges = stats.next_ranges(alpha_pts, beta_pts, [label for label, _ in combos])
    return {
        "alpha": stats.alpha_eff(ALPHA_X, grid(ALPHA_X)),
        "beta": stats.beta_eff(BETA_X, grid(BETA_X)),
        "alpha_points": alpha_pts,
        "beta_points": beta_pts,
        "next": {
            fl: {"smallx": a, "largex": b}
            for (fl, _, _), (a, b) in zip(flavours, ranges, strict=True)
        },
        "next_iterated": {
            fl: {
                "smallx": stats.iterated_range(fl, "smallx", a),
                "largex": stats.iterated_range(fl, "largex", b),
            }
            for (fl, _, _), (a, b) in zip(flavours, ranges, strict=True)
        },
    }
