"""Kinematic cuts for DIS, as rules-as-data in the style of validphys' filters.yaml."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from disfit.config import with_defaults
from disfit.errors import DisfitError


def kinematic_mask(
    kinematics: pd.DataFrame, process_type: str, cuts: Mapping[str, Any] | None = None
) -> np.ndarray:
    """Boolean mask of the points that pass the DIS cuts.

    Generic rule for every DIS process: Q2 > q2min and W2 = Q2 (1 - x) / x > w2min; then every
    rule in `cuts["rules"]` whose `process_type` matches is applied (pandas expressions in the
    variables x, Q2, y, W2 and the constants q2min, w2min).
    """
    cuts = with_defaults("cuts", cuts)  # NNPDF4.0's, from the config schema
    q2min, w2min = float(cuts["q2min"]), float(cuts["w2min"])
    rules: Sequence[Mapping[str, str]] = cuts["rules"]
    x = kinematics["x"].to_numpy(dtype=float)
    q2 = kinematics["Q2"].to_numpy(dtype=float)
    env = pd.DataFrame({"x": x, "Q2": q2, "W2": q2 * (1.0 - x) / x})
    if "y" in kinematics:
        env["y"] = kinematics["y"].to_numpy(dtype=float)
    mask = (env["Q2"] > q2min).to_numpy() & (env["W2"] > w2min).to_numpy()
    for i, rule in enumerate(rules):
        if rule.get("process_type") not in (None, process_type):
            continue
        try:
            passed = env.eval(
                rule["rule"], local_dict={"q2min": q2min, "w2min": w2min}, engine="python"
            )
        except Exception as exc:  # pandas raises many types for a bad expression
            raise DisfitError(
                f"config key cuts.rules[{i}].rule: cannot evaluate {rule['rule']!r} ({exc}); use "
                "an expression in x, Q2, y, W2, q2min, w2min such as 'Q2 > 8'"
            ) from None
        passed = np.asarray(passed)
        if passed.dtype != bool:
            raise DisfitError(
                f"config key cuts.rules[{i}].rule: {rule['rule']!r} is not a condition (it gives "
                f"{passed.dtype} values); write a comparison such as 'Q2 > 8'"
            )
        mask &= passed
    return mask
