"""Q² nodes per flavour-number patch and interpolation in ln Q²."""

from __future__ import annotations

import numpy as np
import pytest

from disfit.errors import DisfitError
from disfit.theory.qgrid import interpolate, patch_of, patches, q2_nodes

PATCHES = patches(1.65, [1.51, 4.92, 172.5], nf0=4, q2max=1e5)


def test_patches_follow_the_thresholds_above_q0():
    # charm (1.51 GeV) is below Q0 = 1.65 GeV: nf = 4 from Q0, 5 above mb, top beyond 1e5 GeV²
    assert [(p.nf, p.low, p.high) for p in PATCHES] == [(4, 1.65**2, 4.92**2), (5, 4.92**2, 1e5)]
    assert patch_of(4.92**2, PATCHES).nf == 5 and patch_of(24.0, PATCHES).nf == 4
    with pytest.raises(DisfitError, match="outside the evolution range"):
        patch_of(2.0, PATCHES)


def test_nodes_stay_inside_patches_with_bounded_spacing():
    q2 = np.geomspace(3.5, 2e4, 200)
    nodes = q2_nodes(q2, PATCHES, ratio=1.3)
    for nf in (4, 5):
        values = np.array([q for q, n in nodes if n == nf])
        assert len(values) >= 4
        assert np.all(np.diff(np.log(values)) <= np.log(1.3) + 1e-12)
        assert all(patch_of(v, PATCHES).nf == nf for v in values)
    # a single data Q² still gets 4 nodes around it
    assert len(q2_nodes([10.0], PATCHES)) == 4


def test_interpolation_is_exact_for_cubics_and_accurate_for_running_couplings():
    q2 = np.geomspace(3.5, 2e4, 50)
    nodes = q2_nodes(q2, PATCHES, ratio=1.3)

    def cubic(v):
        return np.array([np.log(v) ** 3, 2.0 - np.log(v)])

    values = [cubic(q) for q, _ in nodes]
    for target in q2:
        np.testing.assert_allclose(
            interpolate(target, nodes, values, PATCHES), cubic(target), rtol=1e-12
        )

    # one-loop running coupling with a jump at the bottom threshold: never interpolated across
    def alphas(v):
        nf = patch_of(v, PATCHES).nf
        return 1.0 / ((33 - 2 * nf) / (12 * np.pi) * np.log(v / 0.04))

    values = [np.array(alphas(q)) for q, _ in nodes]
    errors = [abs(interpolate(t, nodes, values, PATCHES) / alphas(t) - 1) for t in q2]
    assert max(errors) < 1e-5
