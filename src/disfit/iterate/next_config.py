"""`disfit next-config`: vp-nextfitruncard for a disfit fit. The next iteration's config is this
fit's config with the t0 PDF set to this fit (its postfit folder: replica 0, the mean of the
selected replicas, is member 0 of its LHAPDF set at Q0), the preprocessing ranges from the
fit's effective exponents (validphys' next_effective_exponents_table, clipped and rounded as
iterate_preprocessing_yaml with vp-nextfitruncard's limits does) and new seeds."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.compare.exponents import effective_exponents
from disfit.compare.fits import load_fit
from disfit.config import load_config, validate_config
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path
from disfit.theory.card import theory_card

log = logging.getLogger("disfit")

SEEDS = ("trvlseed", "nnseed", "mcseed")


def next_run_name(name: str) -> str:
    """<name>_iter1 for a first fit, <base>_iter<k+1> for <base>_iter<k>."""
    base, _, number = name.rpartition("_iter")
    if base and number.isdigit():
        return f"{base}_iter{int(number) + 1}"
    return f"{name}_iter1"


def next_seeds(fit: Mapping[str, Any]) -> dict[str, int]:
    """New seeds in [0, 2³¹−1) as vp-nextfitruncard draws (random.randrange(0, int32 max)),
    but from a generator seeded by the old ones: the same fit always gives the same next
    config."""
    rng = np.random.default_rng([int(fit[s]) for s in SEEDS])
    return {s: int(v) for s, v in zip(SEEDS, rng.integers(0, 2**31 - 1, size=3), strict=True)}


def next_config(
    raw: Mapping[str, Any], run_dir: str | Path, keep_seeds: bool = False
) -> dict[str, Any]:
    """The next iteration's config from a fit's config as written (`raw`) and its results
    folder: only run_name, fit.t0pdfset, fit.basis and the seeds change."""
    config = validate_config(copy.deepcopy(dict(raw)))
    run_dir = Path(run_dir)
    q0 = float(theory_card(config["theory"])["Q0"])
    exponents = effective_exponents(load_fit(run_dir, what="--run-dir"), config, q0)[
        "next_iterated"
    ]
    new = copy.deepcopy(dict(raw))
    fit = new.setdefault("fit", {})
    basis = []
    for entry in config["fit"]["basis"]:
        ranges = exponents[entry["fl"]]
        updated = {**entry, "smallx": ranges["smallx"]}
        # with feature scaling vp-nextfitruncard drops largex; disfit's schema keeps the
        # ranges (unused then), so the previous ones stay
        if config["fit"].get("feature_scaling_points") is None:
            updated["largex"] = ranges["largex"]
        bad = [k for k in ("smallx", "largex") if not updated[k][0] <= updated[k][1]]
        if bad or not np.all(np.isfinite(updated["smallx"] + updated["largex"])):
            raise DisfitError(
                f"{run_dir}: the next {entry['fl']} ranges {updated['smallx']}, "
                f"{updated['largex']} are not ranges; check the fit's replicas (postfit)"
            )
        basis.append(updated)
    fit["basis"] = basis
    fit["t0pdfset"] = str(run_dir / "postfit")
    if not keep_seeds:
        fit.update(next_seeds(config["fit"]))
    new["run_name"] = next_run_name(config["run_name"])
    return new


def write_next_config(
    config_path: str | Path,
    run_dir: str | Path | None,
    out: str | Path,
    keep_seeds: bool = False,
) -> dict[str, Any]:
    """Write the next iteration's config of the fit of `config_path` (results in `run_dir`,
    by default results/<run_name>) to `out`."""
    config_path, out = Path(config_path), Path(out)
    try:
        raw = yaml.safe_load(config_path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DisfitError(f"{config_path}: not a readable config ({exc})") from None
    if run_dir is None:
        run_dir = Path("results") / load_config(config_path)["run_name"]
    new = next_config(raw, run_dir, keep_seeds)
    with atomic_path(out) as tmp:
        tmp.write_text(
            f"# disfit next-config of {config_path} (fit {run_dir}): t0 = that fit, "
            "preprocessing from its effective exponents\n"
            + yaml.safe_dump(new, sort_keys=False, default_flow_style=None, width=100)
        )
    log.info("next config → %s (run_name %s)", out, new["run_name"])
    return new
