"""NNPDF4.0's positivity and integrability sets, in one place: their names, what each
constrains, where and with which default λ_max. The theory stage makes their FK tables
(`theory/positivity/`, `theory/integrability/`), the fit penalises them, postfit and the report
check them; the config schema's defaults list the same sets (a test keeps them equal).
"""

from __future__ import annotations

import numpy as np

#: positivity of DIS structure functions: (yadism observable, NC positivity charge), made as FK
#: tables from yadism coefficient functions at POSITIVITY_Q2 on positivity_x()
POSITIVITY_STRUCTURE_FUNCTIONS = {
    "NNPDF_POS_F2U_40": ("F2_light", "up"),
    "NNPDF_POS_F2D_40": ("F2_light", "down"),
    "NNPDF_POS_F2S_40": ("F2_light", "strange"),
    "NNPDF_POS_FLL_40": ("FL_light", "all"),
    "NNPDF_POS_F2C_40": ("F2_charm", "all"),
}
#: positivity of x·f of one PDG flavour at POSITIVITY_Q2 on positivity_x(): the operator alone
POSITIVITY_PDFS = {
    "NNPDF_POS_UP_40": 2,
    "NNPDF_POS_ANTI_UP_40": -2,
    "NNPDF_POS_DOWN_40": 1,
    "NNPDF_POS_ANTI_DOWN_40": -1,
    "NNPDF_POS_STRANGE_40": 3,
    "NNPDF_POS_ANTI_STRANGE_40": -3,
    "NNPDF_POS_GLUON_40": 21,
}
#: every positivity set, in the order of n3fit's NNPDF4.0 runcard (without its three Drell-Yan
#: sets, which need hadronic FK tables)
POSITIVITY = (*POSITIVITY_STRUCTURE_FUNCTIONS, *POSITIVITY_PDFS)
POSITIVITY_Q2 = 5.0
#: the x points a fit keeps of each set (all 20 when not named): n3fit 4.1.5's
#: `added_filter_rules` of n3fit/runcards/examples/nnpdf40-like.yml, as (x above, x below)
POSITIVITY_X_RULES: dict[str, tuple[float, float]] = {
    "NNPDF_POS_FLL_40": (5.0e-7, np.inf),  # x > 5.0e-7: the 19-point set
    "NNPDF_POS_F2C_40": (0.0, 0.74),  # x < 0.74: the 17-point set
    **{name: (0.1, np.inf) for name in POSITIVITY_PDFS},  # x > 0.1
}
#: λ_max of a positivity set (NNPDF4.0 runcard)
POSITIVITY_MAXLAMBDA = 1.0e6

#: integrability sets: x·f of one FK-basis flavour at INTEGRABILITY_TABLE_X and Q0, no
#: evolution (one-point FK tables); NNPDF4.0's runcard uses the first two (the default)
INTEGRABILITY = {
    "NNPDF_INTEG_XT8_40": "T8",
    "NNPDF_INTEG_XT3_40": "T3",
    "NNPDF_INTEG_XV_40": "V",
    "NNPDF_INTEG_XV3_40": "V3",
    "NNPDF_INTEG_XV8_40": "V8",
}
#: the sets of NNPDF4.0's runcard (and n3fit 4.1.5's nnpdf40-like.yml): the fit's default
INTEGRABILITY_DEFAULT = ("NNPDF_INTEG_XT8_40", "NNPDF_INTEG_XT3_40")
INTEGRABILITY_TABLE_X = 1e-9
#: λ_max of an integrability set (NNPDF4.0 runcard)
INTEGRABILITY_MAXLAMBDA = 100.0

#: postfit's integrability number (validphys' integrability_number): Σ |x f(x, Q0)| over these
#: x of these flavours, in n3fit's order
INTEGRABILITY_CHECK_X = (1e-9, 1e-8, 1e-7)
INTEGRABILITY_CHECK_FLAVOURS = ("V", "T3", "V3", "T8", "V8")


def positivity_x() -> np.ndarray:
    """NNPDF's 20 positivity x points: 10 log-spaced in [5e-7, 0.1], 10 linear in (0.1, 0.9]."""
    return np.concatenate([np.geomspace(5e-7, 0.1, 10), np.linspace(0.1, 0.9, 11)[1:]])


def positivity_kept(name: str, npoints: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Row indices a fit keeps of the positivity set `name` with `npoints` rows, and their x
    (None for a set not on NNPDF's 20-point grid, e.g. an imported pickle's: all rows kept)."""
    x = positivity_x()
    if npoints != len(x):
        return np.arange(npoints), None
    above, below = POSITIVITY_X_RULES.get(name, (0.0, np.inf))
    rows = np.flatnonzero((x > above) & (x < below))
    return rows, x[rows]
