"""The data of a closure test: the law's predictions (level 0), shifted once per fit by the
experimental covariance (level 1, validphys' make_level1_data), and each closure fit's config."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from disfit.errors import DisfitError
from disfit.fit.inputs import FitInputs
from disfit.fit.replicas import sampling_groups

SEEDS = ("trvlseed", "nnseed", "mcseed")


def closure_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config every closure fit shares: the law is the t0 PDF (NNPDF's recommendation, and
    validphys' multiclosure checks it), replicas fit Monte Carlo noise only at level 2."""
    closure = config.get("closure")
    if closure is None:
        raise DisfitError("no closure section in the config; add closure.fakepdf (docs/closure.md)")
    out = copy.deepcopy(dict(config))
    out["fit"]["t0pdfset"] = closure["fakepdf"]
    out["fit"]["genrep"] = closure["level"] == 2
    return out


def fit_config(config: Mapping[str, Any], fit: int) -> dict[str, Any]:
    """The config of closure fit `fit` (from 1): closure_config with the fit section's seeds
    moved by fit - 1, so that the fits are independent and fit 1 uses the config's seeds."""
    if fit < 1:
        raise DisfitError(f"closure fits are numbered from 1, got {fit}")
    out = closure_config(config)
    for key in SEEDS:
        out["fit"][key] = int(config["fit"][key]) + fit - 1
    return out


def filterseed(config: Mapping[str, Any], fit: int) -> int:
    """The level-1 seed of closure fit `fit` (from 1)."""
    return int(config["closure"]["filterseed"]) + fit - 1


def level1_shift(inputs: FitInputs, seed: int) -> np.ndarray:
    """η ~ N(0, C) as validphys' filter_closure_data_by_experiment draws it: per experiment a
    generator seeded by the filterseed alone, L z with L validphys' sqrt_covmat of the
    experiment's covariance with MULT systematics taken relative to the law (the fitting
    covariance of a closure fit, whose t0 PDF is the law), as the replicas' sampling groups
    factorise it; no positivity redraw."""
    if inputs.t0_predictions is None:
        raise DisfitError("a closure test needs the law as t0 PDF (closure.fakepdf)")
    shift = np.empty(inputs.ndata)
    for group in sampling_groups(inputs):
        rng = np.random.default_rng(seed=seed)
        shift[group.rows] = group.shift(rng.normal(size=len(group.rows)))
    return shift


def closure_data(inputs: FitInputs, config: Mapping[str, Any], fit: int) -> np.ndarray:
    """The central data of closure fit `fit` (from 1): the law's predictions plus, from level 1,
    the fit's own level-1 shift."""
    law = inputs.t0_predictions
    if law is None:
        raise DisfitError("a closure test needs the law as t0 PDF (closure.fakepdf)")
    if config["closure"]["level"] == 0:
        return law.copy()
    return law + level1_shift(inputs, filterseed(config, fit))
