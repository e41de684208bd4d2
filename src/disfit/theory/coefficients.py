"""DIS coefficient functions with yadism, per FK table, on the FK x grid.

One yadism run per FK table (the observable NNPDF uses for it: see catalog.yaml); the result is
kept as arrays C[order][d, pid, x] (PDG flavour basis, multiplying f, in powers of
a_s = alpha_s / 4π) with the points' kinematics.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.constraints import POSITIVITY_Q2, POSITIVITY_STRUCTURE_FUNCTIONS, positivity_x
from disfit.data.commondata import resolve_metadata
from disfit.errors import DisfitError
from disfit.io.coefficients import save_coefficients
from disfit.theory.card import theory_card, theory_id, xgrid
from disfit.theory.fonll import FONLL_PARTS, FONLL_SCHEMES, fonll_part

log = logging.getLogger("disfit")


@functools.cache
def catalog() -> dict[str, dict[str, Any]]:
    """Observable, process, projectile, target and size of each known DIS FK table."""
    return yaml.safe_load(Path(__file__).with_name("catalog.yaml").read_text())


def observables_card(
    fktable: str, points: Sequence[Mapping[str, float]], xgrid: np.ndarray
) -> dict[str, Any]:
    """The yadism observables runcard of `fktable` for the given (x, Q2, y) points."""
    if fktable in POSITIVITY_STRUCTURE_FUNCTIONS:
        observable, charge = POSITIVITY_STRUCTURE_FUNCTIONS[fktable]
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


#: yadism's scale-variation terms: not used by FK tables (the central scales only) and about 3 s
#: of every yadism run; off, the central coefficients are bitwise the same (tests/test_theory.py)
NO_SCALE_VARIATIONS = {"FactScaleVar": False, "RenScaleVar": False}


def run_yadism(
    theory: Mapping[str, Any], card: Mapping[str, Any], scale_variations: bool = False
) -> dict[str, np.ndarray]:
    """Coefficient arrays of one observables card: orders (n, 4), values (n, ndata, 14, nx)."""
    os.environ.setdefault("YADISM_SILENT_MODE", "1")
    import yadism

    # yadism logs "NaNs are encountered" at CRITICAL for every point, NaN or not
    logging.getLogger("yadism.runner").setLevel(logging.CRITICAL + 1)
    ((observable, points),) = card["observables"].items()
    theory = dict(theory) if scale_variations else {**theory, **NO_SCALE_VARIATIONS}
    output = yadism.run_yadism(theory, dict(card))
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


def dataset_fktable_points(name: str, variant: str | None) -> dict[str, list[dict[str, float]]]:
    """Kinematics (x, Q2, y) of every point of each FK table of a dataset, before cuts.

    A RATIO-like dataset gives all its points to every operand; within an operand the points
    are split over its FK tables in order, by the tables' sizes.
    """
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


def fktable_datasets(datasets: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str | None]]:
    """{FK table: (dataset, variant)} of the configured `datasets`, from their metadata."""
    return {
        fk: (d["dataset"], d["variant"])
        for d in datasets
        for operand in resolve_metadata(d["dataset"], d["variant"]).theory.FK_tables
        for fk in operand
    }


def fktable_points(fktable: str, datasets: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
    """The (x, Q2, y) points of an FK table: a positivity structure function's grid, or the
    kinematics of the configured dataset that uses it."""
    if fktable in POSITIVITY_STRUCTURE_FUNCTIONS:
        return [{"x": float(x), "Q2": POSITIVITY_Q2, "y": 1.0} for x in positivity_x()]
    owners = fktable_datasets(datasets)
    if fktable not in owners:
        raise DisfitError(f"FK table {fktable}: no configured dataset uses it")
    return dataset_fktable_points(*owners[fktable])[fktable]


def fktable_size(fktable: str) -> int:
    """Points of an FK table (before cuts): from the catalog, or the positivity grid's."""
    if fktable in POSITIVITY_STRUCTURE_FUNCTIONS:
        return len(positivity_x())
    if fktable not in catalog():
        raise DisfitError(f"FK table {fktable}: not in the DIS catalog (theory/catalog.yaml)")
    return int(catalog()[fktable]["ndata"])


def coefficient_jobs(
    fktable: str, scheme: str, points_per_job: int
) -> dict[str, tuple[int | None, int, int]]:
    """The yadism jobs of an FK table, {label: (FONLL part, chunk, chunks)}: its points in
    contiguous chunks, each job about `points_per_job` ZM-VFNS points of work (yadism runs on one
    core). A FONLL table has the chunks of each of its seven parts, sized by the part's cost."""
    size = fktable_size(fktable)
    if scheme not in FONLL_SCHEMES:
        parts = max(1, math.ceil(size / points_per_job))
        return {str(p): (None, p, parts) for p in range(parts)}
    jobs = {}
    for k, fonll in enumerate(FONLL_PARTS):
        parts = min(size, max(1, math.ceil(size * fonll.cost / points_per_job)))
        jobs.update({f"{k}.{p}": (k, p, parts) for p in range(parts)})
    return jobs


def compute_coefficients(
    config: Mapping[str, Any],
    fktable: str,
    out: Path,
    part: int = 0,
    parts: int = 1,
    fonll: int | None = None,
) -> None:
    """yadism's coefficient functions of the `part`-th of `parts` chunks of the points of
    `fktable` (in Q² order), for the config's theory (and datasets); for a FONLL theory, those
    of its part `fonll`, computed only at the points where the part's weight is not zero."""
    card = theory_card(config["theory"])
    points = fktable_points(fktable, config.get("datasets", []))
    if not 0 <= part < parts <= len(points):
        raise DisfitError(f"{fktable}: part {part} of {parts} for {len(points)} points")
    # chunks of points sorted in Q²: yadism's target-mass corrections evaluate the structure
    # functions at every x-grid node at the point's Q², cached per run (most of the cost)
    q2_all = np.array([p["Q2"] for p in points], dtype=float)
    index = np.array_split(np.argsort(q2_all, kind="stable"), parts)[part]
    chunk = [points[i] for i in index]
    sub = fonll_part(card, fonll)
    q2 = np.array([p["Q2"] for p in chunk], dtype=float)
    needed = np.ones(len(chunk), bool) if sub is None else sub.weights(q2, card) != 0
    label = card["FNS"] if sub is None else f"{card['FNS']} part {fonll}: {sub.scheme} nf={sub.nf}"
    log.info(
        "%s: yadism on points %d/%d, %d of %d (%s), %d with a non-zero weight",
        fktable,
        part + 1,
        parts,
        len(chunk),
        len(points),
        label,
        needed.sum(),
    )
    grid = xgrid(config["theory"])
    arrays = {
        "orders": np.zeros((0, 4), dtype=np.int64),
        "values": np.zeros((0, len(chunk), 14, len(grid))),
    }
    if needed.any():
        run_card = card if sub is None else sub.card(card)
        chosen = [p for p, n in zip(chunk, needed, strict=True) if n]
        computed = run_yadism(run_card, observables_card(fktable, chosen, grid))
        arrays["orders"] = computed["orders"]
        arrays["values"] = np.zeros((len(computed["orders"]), len(chunk), 14, len(grid)))
        arrays["values"][:, needed] = computed["values"]
    arrays.update(
        x=np.array([p["x"] for p in chunk], dtype=float),
        Q2=q2,
        xgrid=np.asarray(grid, float),
        index=index.astype(np.int64),
    )
    save_coefficients(
        out,
        arrays,
        fktable=fktable,
        theory_id=theory_id(config["theory"]),
        part=part,
        parts=parts,
        fonll=fonll,
    )
    # the job's own CPU (yadism runs in this process): the theory stage's cost per job
    log.info("%s: %d points in %.1f CPU-s", fktable, needed.sum(), time.process_time())
