"""validphys' statistics of Monte Carlo PDF sets, on grids of values (members, flavours, x) with
member 0 the central value: the distances of vp-comparefits (`pdfgrids.distance_grids`,
`variance_distance_grids`), the 68% bands (`MCStats.errorbar68`), the effective exponents
(`eff_exponents.alpha_eff`, `beta_eff`) and the next preprocessing ranges
(`next_effective_exponents_table`, `iterate_preprocessing_yaml` with vp-nextfitruncard's
limits). Every formula follows validphys 4.1.5 line by line; tests/reference/ checks them."""

from __future__ import annotations

import decimal
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

#: validphys' default plotting grid (pdfgrids.xgrid): 200 log-spaced points in [1e-5, 1)
XGRID = np.logspace(np.log10(1e-5), np.log10(1.0), 200, endpoint=False)


def _quarks(*pairs: tuple[int, float]) -> dict[int, float]:
    return dict(pairs)


_ALL_Q = [(q, 1.0) for q in (1, 2, 3, 4, 5, 6)]
#: validphys' bases of vp-comparefits (pdfbases.CCBAR_ASYMM, CCBAR_ASYMM_FLAVOUR, their default
#: elements in their order): label → {PDG id: weight}
BASES: dict[str, list[tuple[str, dict[int, float]]]] = {
    "evolution": [
        ("Σ", {**dict(_ALL_Q), **{-q: 1.0 for q, _ in _ALL_Q}}),
        ("V", {**dict(_ALL_Q), **{-q: -1.0 for q, _ in _ALL_Q}}),
        ("T3", {2: 1.0, -2: 1.0, 1: -1.0, -1: -1.0}),
        ("V3", {2: 1.0, -2: -1.0, 1: -1.0, -1: 1.0}),
        ("T8", {2: 1.0, -2: 1.0, 1: 1.0, -1: 1.0, 3: -2.0, -3: -2.0}),
        ("V8", {2: 1.0, -2: -1.0, 1: 1.0, -1: -1.0, 3: -2.0, -3: 2.0}),
        ("T15", {2: 1.0, -2: 1.0, 1: 1.0, -1: 1.0, 3: 1.0, -3: 1.0, 4: -3.0, -4: -3.0}),
        ("g", {21: 1.0}),
        ("V15", {2: 1.0, -2: -1.0, 1: 1.0, -1: -1.0, 3: 1.0, -3: -1.0, 4: -3.0, -4: 3.0}),
    ],
    "flavour": [
        ("u", {2: 1.0}),
        ("ū", {-2: 1.0}),
        ("d", {1: 1.0}),
        ("d̄", {-1: 1.0}),
        ("s", {3: 1.0}),
        ("s̄", {-3: 1.0}),
        ("c", {4: 1.0}),
        ("c̄", {-4: 1.0}),
        ("g", {21: 1.0}),
    ],
}
#: the fitted flavours of disfit's basis (config fit.basis `fl`) as validphys' EVOL elements
FIT_FLAVOURS: dict[str, tuple[str, dict[int, float]]] = {
    "sng": BASES["evolution"][0],
    "g": BASES["evolution"][7],
    "v": BASES["evolution"][1],
    "v3": BASES["evolution"][3],
    "v8": BASES["evolution"][5],
    "t3": BASES["evolution"][2],
    "t8": BASES["evolution"][4],
    "t15": BASES["evolution"][6],
}
#: vp-nextfitruncard's PREPROCESSING_LIMS: np.clip(a_min, a_max) of the new ranges
PREPROCESSING_LIMS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    fl: {"smallx": (None, 1.0)} for fl in ("v", "v3", "v8", "t3", "t8")
}
#: next_effective_exponents_table's default x points
X_ALPHA, X_BETA = (1e-6, 1e-3), (0.65, 0.95)


def combine(
    flavours: Mapping[int, np.ndarray], combos: Sequence[tuple[str, Mapping[int, float]]]
) -> np.ndarray:
    """(members, len(combos), nx) from x·f by PDG id ({pid: (members, nx)}), absent ids zero."""
    some = next(iter(flavours.values()))
    return np.stack(
        [
            sum((w * flavours[pid] for pid, w in combo.items() if pid in flavours), 0 * some)
            for _, combo in combos
        ],
        axis=1,
    )


def std_error(grid: np.ndarray) -> np.ndarray:
    """MCStats.std_error: the standard deviation (ddof 0) of members 1…N."""
    return np.std(grid[1:], axis=0)


def errorbar68(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MCStats.errorbar68: the 15.87th and 84.13th percentiles of members 1…N."""
    return np.nanpercentile(grid[1:], 15.87, axis=0), np.nanpercentile(grid[1:], 84.13, axis=0)


def distance(grid: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """validphys' distance_grids: |cv1 − cv2| / sqrt(σ1²/N1 + σ2²/N2), cv the member 0, σ the
    members' standard deviation and N the number of members *including* member 0 (validphys'
    PDF.get_members())."""
    n1, n2 = len(grid), len(reference)
    sg1, sg2 = std_error(grid), std_error(reference)
    return np.sqrt((grid[0] - reference[0]) ** 2 / (sg1**2 / n1 + sg2**2 / n2))


def variance_distance(grid: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """validphys' variance_distance_grids: |σ1² − σ2²| / sqrt(s1 + s2) with
    s = (m4 − (N−3)/(N−1) σ⁴)/N, m4 the fourth moment of the members about member 0."""

    def spread(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(g)
        sg = std_error(g)
        m4 = np.mean(np.power(g[1:] - g[0], 4), axis=0)
        return sg, (m4 - (n - 3) / (n - 1) * sg**4) / n

    sg1, s1 = spread(grid)
    sg2, s2 = spread(reference)
    return np.sqrt((sg1**2 - sg2**2) ** 2 / (s1 + s2))


def alpha_eff(x: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """eff_exponents.alpha_eff: −ln|f| / ln x of x·f (..., nx); NaN where f = 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = -np.log(np.abs(xf / x)) / np.log(x)
    values[values == -np.inf] = np.nan
    return values


def beta_eff(x: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """eff_exponents.beta_eff: ln|f| / ln(1 − x) of x·f (..., nx); NaN where f = 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = np.log(np.abs(xf / x)) / np.log(1 - x)
    values[values == -np.inf] = np.nan
    return values


def next_ranges(
    alpha: np.ndarray, beta: np.ndarray, labels: Sequence[str]
) -> list[tuple[list[float], list[float]]]:
    """next_effective_exponents_table: per flavour ([α_min, α_max], [β_min, β_max]) from
    α (members, flavours, 2) at X_ALPHA and β at X_BETA. cv is the mean of members 1…N, the
    band their 68% interval; Σ and g take α at the first x only:
    α_min = min(cv − 2σ↓), α_max = min(2, max(cv + 2σ↑)), β_min = max(0, min(cv − 2σ↓)),
    β_max = max(cv + 2σ↑)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a_cv, b_cv = np.nanmean(alpha[1:], axis=0), np.nanmean(beta[1:], axis=0)
        a68, b68 = errorbar68(alpha), errorbar68(beta)
    a_up, b_up = a68[1] - a_cv, b68[1] - b_cv
    a_down, b_down = a_cv - a68[0], b_cv - b68[0]
    out = []
    for j, label in enumerate(labels):
        if label in ("Σ", "g"):
            new_alpha = [a_cv[j, 0] - 2 * a_down[j, 0], min(2, a_cv[j, 0] + 2 * a_up[j, 0])]
        else:
            new_alpha = [min(a_cv[j] - 2 * a_down[j]), min(2, max(a_cv[j] + 2 * a_up[j]))]
        new_beta = [max(0, min(b_cv[j] - 2 * b_down[j])), max(b_cv[j] + 2 * b_up[j])]
        out.append(([float(a) for a in new_alpha], [float(b) for b in new_beta]))
    return out


def significant(value: float, digits: int = 4) -> float:
    """reportengine's significant_digits: the float's exact value rounded half-even to
    `digits` significant digits (vp-nextfitruncard writes the ranges so)."""
    context = decimal.getcontext().copy()
    context.prec = digits
    return float(context.create_decimal(value))


def iterated_range(fl: str, kind: str, bounds: Sequence[float]) -> list[float]:
    """iterate_preprocessing_yaml on one range: vp-nextfitruncard's np.clip, then 4 significant
    digits."""
    low, high = PREPROCESSING_LIMS.get(fl, {}).get(kind, (None, None))
    values = np.asarray(bounds, dtype=float)
    if low is not None or high is not None:
        values = np.clip(values, low, high)
    return [significant(float(v)) for v in values]
