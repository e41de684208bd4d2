"""eko's Rust backend (eko-rs, switched on by scripts/env.sh) against its numba backend: one NNLO
node of theory 40000000 (tests/data/eko_node_numba.npz, made by tests/reference/make_eko_node.py
in an environment without the patch). Measured: 6e-12 relative on every entry above 1e-6 of the
largest, 1e-10 absolute on entries up to 8e4."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from helpers import EKO_NODE, ROOT, node_operator

from disfit.theory.evolution import eko_backend


@pytest.mark.skipif(importlib.util.find_spec("ekors") is None, reason="eko-rs not installed")
def test_rust_backend_is_on_and_agrees_with_numba(tmp_path):
    assert eko_backend() == "rust", "eko-rs is installed, eko not patched: scripts/rustify_eko.sh"
    reference = np.load(ROOT / "tests" / "data" / "eko_node_numba.npz")
    assert str(reference["node"]) == repr(EKO_NODE)
    operator = node_operator(tmp_path / "node.tar")
    scale = np.abs(reference["operator"]).max()
    np.testing.assert_allclose(operator, reference["operator"], rtol=1e-9, atol=1e-12 * scale)
