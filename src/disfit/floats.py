"""Comparisons of floats that may have been computed in two environments.

A shipped resource (an evolution operator, FK tables, a t0 set) was computed on one machine with
one set of library versions; the values it is checked against are recomputed here. numpy, scipy
and eko may change the last bits of the same formula between versions (seen: 3 of the 49 Q² of
the LHAPDF grid, an `exp` of an `exp` of a `linspace`, moved by 1-2 ulp with numpy 2.4), so such
checks never use `==`.

`RTOL` = 1e-10 is about 5e5 ulp of a double: far above rounding, far below any change of
physics input (a Q0, a heavy-quark mass or an αs changed in its 4th significant digit moves the
grids by ≥ 1e-4 relative).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: relative tolerance for floats computed in two environments
RTOL = 1e-10


def same_floats(
    a: float | Sequence[float] | np.ndarray,
    b: float | Sequence[float] | np.ndarray,
    rtol: float = RTOL,
) -> bool:
    """True when `a` and `b` have the same shape and agree to `rtol` relative (no absolute
    slack: zeros must be zeros)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=0.0))


def same_targets(a: Sequence[tuple[float, int]], b: Sequence[tuple[float, int]]) -> bool:
    """Two lists of (Q², nf) evolution targets: nf exactly, Q² to `RTOL`."""
    return (
        len(a) == len(b)
        and [nf for _, nf in a] == [nf for _, nf in b]
        and same_floats([q2 for q2, _ in a], [q2 for q2, _ in b])
    )
