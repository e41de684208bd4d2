"""The stages of a scan as the workflow runs them: propose a generation, fit one trial (or the
config's own parameters, scored the same way), and gather the trials into a table and the best
trial's config."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from disfit.errors import DisfitError
from disfit.fit.inputs import fit_inputs_from_config
from disfit.hyperopt.sampler import propose
from disfit.hyperopt.space import fit_section
from disfit.hyperopt.trial import run_trial
from disfit.io.atomic import atomic_path
from disfit.io.hyperopt import read_proposal, read_trial, write_proposals, write_trial

log = logging.getLogger("disfit")

#: the trial number of the config's own fit parameters scored as a trial
DEFAULT_TRIAL = 0


def ask(
    config: Mapping[str, Any], generation: int, trial_paths: Sequence[Path], out: Path
) -> list[dict[str, Any]]:
    """Write generation `generation`'s proposals after the trials of the earlier generations
    (all of them, `trial_paths`)."""
    space = config["hyperopt"]
    records = [read_trial(p) for p in trial_paths]
    numbers = sorted(r["number"] for r in records)
    expected = list(range(1, generation * int(space["batch"]) + 1))
    if numbers != expected:
        raise DisfitError(
            f"generation {generation} needs the records of trials 1-{len(expected)}, got "
            f"{numbers[:3]}...; rerun `snakemake hyperopt`"
        )
    proposals = propose(space, generation, records)
    for p in proposals:  # trials are numbered from 1, as n3fit's tids from 0 and replicas
        p["number"] += 1
    write_proposals(out, proposals)
    log.info(
        "generation %d: trials %d-%d", generation, proposals[0]["number"], proposals[-1]["number"]
    )
    return proposals


def fit_trial(
    config: Mapping[str, Any],
    inputs: Sequence[Any],
    proposals: Path | None,
    number: int | None,
    out: Path,
) -> dict[str, Any]:
    """Fit and score trial `number` of its generation's `proposals` file, or with no file the
    config's fit section as it is (trial DEFAULT_TRIAL), and write its record. `inputs`: the
    fit's input paths (fit_inputs_from_config's)."""
    if proposals is None:
        proposal = {"number": DEFAULT_TRIAL, "generation": -1, "params": {}, "distributions": {}}
    elif number is None:
        raise DisfitError(f"{proposals}: name the trial to fit with --trial")
    else:
        proposal = read_proposal(proposals, number)
    label = f"trial {proposal['number']}"
    fit_inputs = fit_inputs_from_config(config, *inputs)

    def progress(done: int, total: int) -> None:
        if done % 500 == 0 or done == total:
            log.info("%s: epoch %d/%d", label, done, total)

    log.info("%s: %s", label, proposal["params"] or "the config's fit parameters")
    record = run_trial(config, fit_inputs, proposal["params"], progress)
    record = {**proposal, **record}
    write_trial(out, record)
    log.info(
        "%s: loss %s (%s), folds %s", label, record["loss"], record["status"], record["fold_losses"]
    )
    return record


def best_trial(frame: pd.DataFrame) -> int | None:
    """The number of the trial of lowest loss among those that passed the threshold
    (vp-hyperoptplot's choice), None if none did."""
    passed = frame[(frame["status"] == "ok") & (frame["number"] != DEFAULT_TRIAL)]
    return None if passed.empty else int(passed.loc[passed["loss"].idxmin(), "number"])


def best_config(config: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The run's config with the trial's hyperparameters in its fit section and no hyperopt
    section: what `snakemake --configfile` fits."""
    out = {k: copy.deepcopy(v) for k, v in config.items() if k not in ("hyperopt", "closure")}
    out["fit"] = fit_section(config["fit"], record["params"], config["hyperopt"])
    out["run_name"] = f"{config['run_name']}_hyperopt_best"
    return out


def write_best_config(path: Path, config: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    header = (
        f"# The best trial ({record['number']}, loss {record['loss']:.4f}) of the hyperopt scan of"
        f" run {config['run_name']}: snakemake --cores N --configfile {path}\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(header + yaml.safe_dump(best_config(config, record), sort_keys=False))
