"""Which replicas pass: validphys' fitveto decisions (postfit), on disfit's replica JSONs.

Positivity ("convergence check": pos_state POS_PASS), every integrability number ≤ threshold,
and χ² and each arc-length within mean + nσ of the passing replicas (one-sided), iterated
until the number of passing replicas stops changing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def distribution_veto(values: np.ndarray, prior: np.ndarray, nsigma: float) -> np.ndarray:
    """values ≤ mean + nsigma·std, mean and (population) std over the `prior` replicas."""
    if prior.sum() <= 1:
        return prior
    passing = values[prior]
    return (values - passing.mean()) <= nsigma * passing.std()


def determine_vetoes(
    replicas: Sequence[Mapping[str, Any]], thresholds: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """Boolean masks per check over `replicas` (replica JSON contents), plus "Total"."""
    chi2 = np.array([r["chi2"] for r in replicas], dtype=float)
    arcs = np.array([r["arc_lengths"] for r in replicas], dtype=float)
    integ = np.array([r["integrability"] for r in replicas], dtype=float)
    distributions = {"ChiSquared": (chi2, thresholds["chi2"])}
    for i in range(arcs.shape[1]):
        distributions[f"ArcLength_{i}"] = (arcs[:, i], thresholds["arclength"])
    converged = np.array([r["pos_state"] == "POS_PASS" for r in replicas], dtype=bool)
    vetoes = {"Convergence check": converged}
    for i in range(integ.shape[1]):
        vetoes[f"IntegNumber_{i}"] = integ[:, i] <= thresholds["integrability"]
    total = converged.copy()
    while True:
        for key, (values, nsigma) in distributions.items():
            vetoes[key] = distribution_veto(values, total, nsigma)
        new_total = np.all(list(vetoes.values()), axis=0)
        if new_total.sum() == total.sum():
            break
        total = new_total
    vetoes["Total"] = total
    return vetoes
