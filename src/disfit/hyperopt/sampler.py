"""Proposals of a scan: Optuna's TPE sampler on a study rebuilt from the finished trials' records,
one generation of `batch` proposals at a time.

A generation's proposals are a function of the seed, the generation and the earlier trials'
results only (the study lives in memory and is rebuilt from the records, which the workflow
keeps as files): the same seed gives the same scan whichever order jobs finish in, and an
interrupted scan resumes with the same proposals."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from disfit.hyperopt.space import suggest


def _study(seed: int, startup: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    # n3fit's hyperopt TPE: independent per parameter, the first `startup` trials random;
    # trials of a generation asked together see each other as running (constant liar)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=startup, constant_liar=True, multivariate=False
    )
    return optuna.create_study(direction="minimize", sampler=sampler)


def finished_trial(record: Mapping[str, Any]) -> Any:
    """An Optuna FrozenTrial of a trial record: complete with its loss (n3fit's TPE reads the
    loss of failed trials too), failed when the loss is not a number."""
    import optuna

    distributions = {
        name: optuna.distributions.json_to_distribution(text)
        for name, text in record["distributions"].items()
    }
    loss = record.get("loss")
    ok = loss is not None and math.isfinite(loss)
    return optuna.trial.create_trial(
        params=dict(record["params"]),
        distributions=distributions,
        value=float(loss) if ok else None,
        state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL,
    )


def propose(
    space: Mapping[str, Any], generation: int, finished: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The `batch` proposals of `generation` (from 0) after the `finished` trial records (the
    earlier generations', in trial order): number, generation, params and their Optuna
    distributions (JSON)."""
    import optuna

    study = _study(int(space["seed"]) + generation, int(space["startup_trials"]))
    batch = int(space["batch"])
    proposals, trials = [], []
    with warnings.catch_warnings():
        # n3fit's patience step (max − min)/5 is a float that does not divide the range exactly
        warnings.filterwarnings("ignore", message=".*not divisible by `step`", category=UserWarning)
        for record in sorted(finished, key=lambda r: r["number"]):
            study.add_trial(finished_trial(record))
        for _ in range(batch):
            trial = study.ask()
            suggest(trial, space)
            trials.append(trial)
    for i, trial in enumerate(trials):
        proposals.append(
            {
                "number": generation * batch + i,
                "generation": generation,
                "params": dict(trial.params),
                "distributions": {
                    name: optuna.distributions.distribution_to_json(d)
                    for name, d in trial.distributions.items()
                },
            }
        )
    return proposals
