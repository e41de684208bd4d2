"""DIS coefficient functions with yadism, per FK table, on the FK x grid.

One yadism run per FK table (the observable NNPDF uses for it: see catalog.yaml); the result is
kept as arrays C[order][d, pid, x] (PDG flavour basis, multiplying f, in powers of
a_s = alpha_s / 4π) with the points' kinematics.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.errors import DisfitError
from disfit.io import atomic_path

#: positivity observables: (observable, charge) at Q² = 5 GeV² on the 20 standard x points
POSITIVITY_OBSERVABLES = {
    "NNPDF_POS_F2U_40": ("F2_light", "up"),
    "NNPDF_POS_F2D_40": ("F2_light", "down"),
    "NNPDF_POS_F2S_40": ("F2_light", "strange"),
    "NNPDF_POS_FLL_40": ("FL_light", "all"),
}
POSITIVITY_Q2 = 5.0


def positivity_x() -> np.ndarray:
    """NNPDF's 20 positivity x points: 10 log-spaced in [5e-7, 0.1], 10 linear in (0.1, 0.9]."""
    return np.concatenate([np.geomspace(5e-7, 0.1, 10), np.linspace(0.1, 0.9, 11)[1:]])


@functools.cache
def catalog() -> dict[str, dict[str, Any]]:
    """Observable, process, projectile, target and size of each known DIS FK table."""
    return yaml.safe_load(Path(__file__).with_name("catalog.yaml").read_text())


def observables_card(
    fktable: str, points: Sequence[Mapping[str, float]], xgrid: np.ndarray
) -> dict[str, Any]:
    """The yadism observables runcard of `fktable` for the given (x, Q2, y) points."""
    if fktable in POSITIVITY_OBSERVABLES:
        observable, charge = POSITIVITY_OBSERVABLES[fktable]
        spec = {"process": "EM", "projectile": "electron", "target": "proton", "charge": charge}
    elif fktable in catalog():
        spec = dict(catalog()[fktable])
        observable = spec["observable"]
    else:
        raise DisfitError(
            f"FK table {fktable}: no DIS observable known for it (src/disfit/theory/catalog.yaml)"
        )
    return {
        "prDIS": spec["process"],
        "ProjectileDIS": spec["projectile"],
        "PolarizationDIS": 0.0,
        "PropagatorCorrection": 0.0,
        "NCPositivityCharge": spec.get("charge"),
        "TargetDIS": spec["target"],
        "interpolation_xgrid": [float(x) for x in xgrid],
        "interpolation_polynomial_degree": 4,
        "interpolation_is_log": True,
        "observables": {observable: [dict(p) for p in points]},
    }


def run_yadism(theory: Mapping[str, Any], card: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Coefficient arrays of one observables card: orders (n, 4), values (n, ndata, 14, nx)."""
    os.environ.setdefault("YADISM_SILENT_MODE", "1")
    import yadism

    # yadism logs "NaNs are encountered" at CRITICAL for every point, NaN or not
    logging.getLogger("yadism.runner").setLevel(logging.CRITICAL + 1)
    ((observable, points),) = card["observables"].items()
    output = yadism.run_yadism(dict(theory), dict(card))
    results = output[observable]
    orders = sorted({o for r in results for o in r.orders})
    nx = len(card["interpolation_xgrid"])
    values = np.zeros((len(orders), len(results), 14, nx))
    for d, r in enumerate(results):
        for k, o in enumerate(orders):
            if o in r.orders:
                values[k, d] = np.asarray(r.orders[o][0])
    return {
        "orders": np.array(orders, dtype=np.int64).reshape(len(orders), -1),
        "values": values,
        "x": np.array([p["x"] for p in points], dtype=float),
        "Q2": np.array([p["Q2"] for p in points], dtype=float),
        "xgrid": np.asarray(card["interpolation_xgrid"], dtype=float),
    }


def save_coefficients(path: str | Path, arrays: Mapping[str, np.ndarray], **meta: Any) -> None:
    """Write coefficient arrays (npz) atomically; `meta` goes in as a JSON string."""
    import json

    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        np.savez_compressed(stream, meta=np.array(json.dumps(meta)), **arrays)


def load_coefficients(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import json

    try:
        with np.load(path) as content:
            arrays = {k: content[k] for k in content.files if k != "meta"}
            meta = json.loads(str(content["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise DisfitError(
            f"{path}: not a disfit coefficient file ({exc}); rerun the theory"
        ) from None
    return arrays, meta


def dataset_fktable_points(name: str, variant: str | None) -> dict[str, list[dict[str, float]]]:
    """Kinematics (x, Q2, y) of every point of each FK table of a dataset, before cuts.

    A RATIO-like dataset gives all its points to every operand; within an operand the points
    are split over its FK tables in order, by the tables' sizes.
    """
    from disfit.data.commondata import resolve_metadata

    metadata = resolve_metadata(name, variant)
    kin = metadata.load_kinematics()
    columns = {c[0] if isinstance(c, tuple) else c: c for c in kin.columns}
    x = kin[columns["x"]].to_numpy(dtype=float)
    q2 = kin[columns["Q2"]].to_numpy(dtype=float)
    if "y" in columns:
        y = kin[columns["y"]].to_numpy(dtype=float)
    elif "sqrts" in columns:
        y = q2 / (x * kin[columns["sqrts"]].to_numpy(dtype=float) ** 2)
    else:
        y = np.zeros_like(x)  # structure functions do not depend on y
    points = [
        {"x": float(a), "Q2": float(b), "y": float(c)} for a, b, c in zip(x, q2, y, strict=True)
    ]
    result: dict[str, list[dict[str, float]]] = {}
    for operand in metadata.theory.FK_tables:
        start = 0
        for fktable in operand:
            if fktable not in catalog():
                raise DisfitError(f"dataset {name}: FK table {fktable} is not in the DIS catalog")
            n = catalog()[fktable]["ndata"]
            result[fktable] = points[start : start + n]
            start += n
        if start != len(points):
            raise DisfitError(
                f"dataset {name}: its FK tables {list(operand)} hold {start} points, "
                f"its data {len(points)}"
            )
    return result
