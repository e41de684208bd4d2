"""Reference postfit selections from validphys itself (run in a venv with nnpdf[nolha]):

    python tests/reference/make_fitveto_cases.py tests/data/fitveto_cases.json

Crafted replica infos (χ², five arc-lengths, five integrability numbers, positivity) with
outliers that take several iterations to remove, and validphys.fitveto.determine_vetoes's
answer for each, at default and at other thresholds."""

import json
import sys
from types import SimpleNamespace

import numpy as np
from validphys.fitveto import determine_vetoes


def case(rng, n, outliers, pos_fail, integ_fail):
    chi2 = rng.normal(1.2, 0.05, n)
    arcs = rng.normal(1.1, 0.02, (n, 5))
    integ = rng.uniform(0.0, 0.3, (n, 5))
    pos = np.ones(n, dtype=bool)
    for k, i in enumerate(rng.choice(n, outliers, replace=False)):
        if k % 2:
            chi2[i] += rng.uniform(0.3, 3.0) * (k + 1)  # a chain of χ² outliers
        else:
            arcs[i, k % 5] += rng.uniform(0.2, 2.0) * (k + 1)
    pos[rng.choice(n, pos_fail, replace=False)] = False
    integ[rng.choice(n, integ_fail, replace=False), rng.integers(0, 5)] = 0.7
    return chi2, arcs, integ, pos


def main(out):
    rng = np.random.default_rng(20261123)
    cases = []
    for n, outliers, pos_fail, integ_fail, thresholds in (
        (30, 4, 2, 1, (4.0, 4.0, 0.5)),
        (100, 12, 5, 3, (4.0, 4.0, 0.5)),
        (100, 12, 5, 3, (2.0, 3.0, 0.25)),
        (60, 20, 0, 0, (3.0, 3.0, 0.5)),
        (10, 1, 8, 0, (4.0, 4.0, 0.5)),
        (200, 30, 10, 10, (4.0, 4.0, 0.5)),
    ):
        chi2, arcs, integ, pos = case(rng, n, outliers, pos_fail, integ_fail)
        infos = [
            SimpleNamespace(
                chi2=float(c),
                arclengths=list(map(float, a)),
                integnumbers=list(map(float, g)),
                has_converged=bool(p),
            )
            for c, a, g, p in zip(chi2, arcs, integ, pos, strict=True)
        ]
        vetoes = determine_vetoes(infos, *thresholds)
        cases.append(
            {
                "thresholds": {
                    "chi2": thresholds[0],
                    "arclength": thresholds[1],
                    "integrability": thresholds[2],
                },
                "chi2": chi2.tolist(),
                "arc_lengths": arcs.tolist(),
                "integrability": integ.tolist(),
                "pos_state": ["POS_PASS" if p else "POS_VETO" for p in pos],
                "vetoes": {k: np.asarray(v).tolist() for k, v in vetoes.items()},
            }
        )
    with open(out, "w") as stream:
        json.dump(
            {"source": "validphys.fitveto.determine_vetoes (nnpdf 4.1.5)", "cases": cases}, stream
        )


if __name__ == "__main__":
    main(sys.argv[1])
