"""Q² nodes for one evolution operator per theory, and interpolation between them.

The operator is smooth in ln Q² inside one flavour-number patch, not across a heavy-quark
threshold: nodes are laid out per patch (spaced by at most a fixed ratio in Q²) and every
target Q² is interpolated from the nodes of its own patch only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy.interpolate import BarycentricInterpolator

from disfit.errors import DisfitError


@dataclasses.dataclass(frozen=True)
class Patch:
    """Q² interval [low, high] evolved with `nf` light flavours."""

    low: float
    high: float
    nf: int

    def contains(self, q2: float) -> bool:
        return self.low <= q2 <= self.high


def patches(
    q0: float, thresholds: Sequence[float], nf0: int, q2max: float, nf_max: int = 5
) -> list[Patch]:
    """Flavour-number patches from Q0² to `q2max` given the heavy-quark thresholds in GeV
    (charm, bottom, top: kThr·m); `nf0` flavours at Q0, never more than `nf_max` (NNPDF's
    MaxNfPdf = 5: no top in the evolution)."""
    edges = sorted(t**2 for t in thresholds if q0**2 < t**2 < q2max)[: max(nf_max - nf0, 0)]
    bounds = [q0**2, *edges, q2max]
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    return [Patch(lo, hi, nf0 + i) for i, (lo, hi) in enumerate(pairs)]


def patch_of(q2: float, all_patches: Sequence[Patch]) -> Patch:
    """The patch a Q² belongs to (thresholds belong to the patch above)."""
    for patch in reversed(all_patches):
        if patch.contains(q2):
            return patch
    raise DisfitError(
        f"Q2 = {q2} GeV^2 is outside the evolution range "
        f"[{all_patches[0].low}, {all_patches[-1].high}]; lower theory.q0 or raise the range"
    )


def q2_nodes(
    q2_values: Sequence[float], all_patches: Sequence[Patch], ratio: float = 1.3, npoints: int = 4
) -> list[tuple[float, int]]:
    """(Q², nf) nodes covering `q2_values`: in each patch that holds data, log-spaced nodes with
    neighbours at most `ratio` apart, spanning the data's range there and at least `npoints`."""
    nodes: list[tuple[float, int]] = []
    q2 = np.asarray(sorted(set(float(q) for q in q2_values)))
    for patch in all_patches:
        inside = q2[(q2 >= patch.low) & (q2 <= patch.high)]
        inside = inside[[patch_of(q, all_patches) is patch for q in inside]]
        if inside.size == 0:
            continue
        lo, hi = inside.min(), inside.max()
        n = max(npoints, int(np.ceil(np.log(hi / lo) / np.log(ratio))) + 1) if hi > lo else npoints
        if hi / lo < ratio ** (npoints - 1):  # too narrow: widen inside the patch
            centre = np.sqrt(lo * hi)
            half = ratio ** ((npoints - 1) / 2)
            lo, hi = max(patch.low, centre / half), min(patch.high, centre * half)
        nodes += [(float(v), patch.nf) for v in np.geomspace(lo, hi, n)]
    return nodes


def interpolate(
    target_q2: float,
    nodes: Sequence[tuple[float, int]],
    values: Sequence[np.ndarray],
    all_patches: Sequence[Patch],
    npoints: int = 4,
    nf: int | None = None,
) -> np.ndarray:
    """Lagrange interpolation in ln Q² of `values` (one array per node) at `target_q2`, from the
    `npoints` nodes of the target's patch nearest to it (the patch of `nf` flavours when given:
    FONLL's fixed-flavour operators span overlapping Q² ranges)."""
    patch = patch_of(target_q2, [p for p in all_patches if nf is None or p.nf == nf])
    same = [i for i, (q2, nf) in enumerate(nodes) if nf == patch.nf]
    if len(same) < npoints:
        raise DisfitError(f"only {len(same)} Q2 nodes in the nf={patch.nf} patch, need {npoints}")
    logs = np.log([nodes[i][0] for i in same])
    t = np.log(target_q2)
    start = int(np.clip(np.searchsorted(logs, t) - npoints // 2, 0, len(same) - npoints))
    chosen = same[start : start + npoints]
    stacked = np.stack([np.asarray(values[i]).ravel() for i in chosen])
    result = BarycentricInterpolator(logs[start : start + npoints], stacked)(t)
    return np.asarray(result).reshape(np.shape(values[chosen[0]]))
