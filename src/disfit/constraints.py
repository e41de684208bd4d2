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
#: every positivity set, in the order of n3fit's NNPDF4.0 runcard
POSITIVITY = (*POSITIVITY_STRUCTURE_FUNCTIONS, *POSITIVITY_PDFS)
POSITIVITY_Q2 = 5.0
#: λ_max of a positivity set (NNPDF4.0 runcard)
POSITIVITY_MAXLAMBDA = 1.0e6

#: integrability sets: x·f of one FK-basis flavour at INTEGRABILITY_TABLE_X and Q0, no
#: evolution (one-point FK tables), in the order of n3fit's NNPDF4.0 runcard
INTEGRABILITY = {
    "NNPDF_INTEG_XT8_40": "T8",
    "NNPDF_INTEG_XT3_40": "T3",
    "NNPDF_INTEG_XV_40": "V",
    "NNPDF_INTEG_XV3_40": "V3",
    "NNPDF_INTEG_XV8_40": "V8",
}
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
