"""Produce tests/data/eko_node_numba.npz: one NNLO eko node with eko's numba backend, the reference
for its Rust backend (tests/test_eko_backend.py).

scripts/env.sh switches disfit's eko to the Rust backend, so run this in an environment from
the lock without that step (eko of the same version, numba kernels; their first compilation
takes 10–28 minutes):

    python -m venv /tmp/eko-numba && /tmp/eko-numba/bin/pip install --require-hashes --no-deps \\
        -r requirements.lock && /tmp/eko-numba/bin/pip install --no-deps -e .
    /tmp/eko-numba/bin/python tests/reference/make_eko_node.py
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import EKO_NODE, node_operator  # noqa: E402

from disfit.theory.evolution import eko_backend  # noqa: E402

if __name__ == "__main__":
    if eko_backend() != "numba":
        raise SystemExit("this eko uses its Rust backend: run in an environment without it")
    out = Path(__file__).resolve().parents[1] / "data" / "eko_node_numba.npz"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        operator = node_operator(Path(tmp) / "node.tar")
    import eko

    np.savez_compressed(out, operator=operator, eko_version=eko.__version__, node=repr(EKO_NODE))
    print(f"{out}: {operator.shape}, {time.perf_counter() - start:.0f} s")
