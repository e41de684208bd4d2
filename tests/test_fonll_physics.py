"""FONLL-C's physics limits with yadism and eko (NNLO, theory 40000000 with Q0 = 1 GeV below
the charm mass, so that Q² < mc² can be evolved to): F2 charm of the proton, for the t0 PDF.

- below mc², FONLL-C's F2c is the fixed-flavour nf = 3 one, computed on a second path (yadism's
  plain `FFNS` at NfFF = 3, evolved in the nf = 3 VFNS patch);
- at Q² = 10⁴ GeV², far above mb², FONLL-C approaches ZM-VFNS: what is left are the charm mass
  terms O(mc²/Q²) = 2·10⁻⁴ times logarithms, measured 1.6·10⁻³; the test allows 5·10⁻³;
- the parts cancel as pineko's combination intends: above mb², FFNS4's massless charm (part 02)
  and FFN04 (04) are equal and cancel exactly, FFNS3 (00) tends to its massless limit FFN03 (01),
  and FFNS5 massless (05) is ZM-VFNS itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

from disfit.fit.t0 import t0_pdf
from disfit.theory.assemble import evolve_coefficients
from disfit.theory.card import theory_card, xgrid
from disfit.theory.coefficients import run_yadism
from disfit.theory.evolution import compute_eko, load_operators, strong_coupling, theory_patches
from disfit.theory.fonll import FONLL_PARTS
from disfit.theory.qgrid import patch_of

pytestmark = pytest.mark.slow

LOW, HIGH = {"x": 0.01, "Q2": 2.0, "y": 0.5}, {"x": 0.01, "Q2": 1e4, "y": 0.5}


def f2_charm_card(points, grid):
    return {
        "prDIS": "EM",
        "ProjectileDIS": "electron",
        "PolarizationDIS": 0.0,
        "PropagatorCorrection": 0.0,
        "NCPositivityCharge": None,
        "TargetDIS": "proton",
        "interpolation_xgrid": [float(x) for x in grid],
        "interpolation_polynomial_degree": 4,
        "interpolation_is_log": True,
        "observables": {"F2_charm": [dict(p) for p in points]},
    }


def test_fonll_c_limits_of_f2_charm(tmp_path):
    theory = {"scheme": "FONLL-C", "q0": 1.0, "xgrid_points": 25}
    card, grid = theory_card(theory), xgrid(theory)
    assert card["mc"] ** 2 > LOW["Q2"] > card["Q0"] ** 2 and HIGH["Q2"] > 100 * card["mb"] ** 2
    nodes = [(p["Q2"], nf) for p in (LOW, HIGH) for nf in (3, 4, 5)]
    compute_eko(card, nodes, grid, tmp_path / "eko.tar")
    computed, operators, _ = load_operators(tmp_path / "eko.tar")
    vfns = theory_patches(card)

    def at(q2: float, nf: int | None) -> np.ndarray:  # the operator computed at this very Q²
        nf = patch_of(q2, vfns).nf if nf is None else nf
        (i,) = [i for i, (q, n) in enumerate(computed) if n == nf and abs(q / q2 - 1) < 1e-12]
        return operators[i]

    a_s = strong_coupling(card)
    # the t0 PDF at Q0 = 1 GeV: its grid at 1.65 GeV stands in (any PDF will do for limits)
    xf = t0_pdf(ROOT / "resources" / "t0" / "dis_exp", 1.65)(grid)

    def f2c(run_card, points, nf=None):
        coefficients = run_yadism(run_card, f2_charm_card(points, grid))
        fk = evolve_coefficients(coefficients, card, at, a_s, np.ones(len(points)), nf)
        return np.einsum("dkj,kj->d", fk, xf)

    parts = [f2c(part.card(card), [LOW, HIGH], part.nf) for part in FONLL_PARTS]
    q2 = np.array([LOW["Q2"], HIGH["Q2"]])
    fonll = sum(p.weights(q2, card) * v for p, v in zip(FONLL_PARTS, parts, strict=True))
    assert np.all(np.abs(fonll) > 1e-3)

    # below mc²: the nf = 3 fixed-flavour F2c, from yadism's plain FFNS on its own
    ffns3 = f2c({**card, "FNS": "FFNS", "NfFF": 3}, [LOW], 3)
    np.testing.assert_allclose(fonll[0], ffns3[0], rtol=1e-10)

    # far above mb²: ZM-VFNS up to charm mass terms
    zm_card = theory_card({**theory, "scheme": "ZM-VFNS"})
    zm = f2c(zm_card, [HIGH])
    assert abs(fonll[1] / zm[0] - 1) < 5e-3
    np.testing.assert_allclose(parts[5][1], zm[0], rtol=1e-10)  # FFNS5 massless is ZM-VFNS
    assert parts[2][1] == pytest.approx(parts[4][1], rel=1e-12)  # 02 and 04 cancel
    assert abs(parts[0][1] - parts[1][1]) < 5e-3 * abs(parts[0][1])  # FFNS3 → FFN03
