"""The search space of a scan (the config's hyperopt section, n3fit's hyperscan_config) as
Optuna suggestions, and a trial's parameters as the fit section they stand for.

Parameters carry n3fit's hyperopt labels (hyper_scan.py): `epochs`, `stopping_patience`,
`optimizer`, `<optimizer>_learning_rate`, `<optimizer>_clipnorm`, `initial` and `multiplier`
(positivity), `nl<n>:-<i>/<n>` (units of hidden layer i of n), `activation`, `initializer`;
disfit adds `n_layers` (n3fit's choice index of nodes_per_layer, here the count itself) and
`integrability_initial`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: the architecture's output: the 8 fitted flavours, linear (n3fit's last layer)
OUTPUT_ACTIVATION = "linear"


def _range(trial: Any, label: str, spec: Any) -> float | None:
    """A fixed number, or a draw from {min, max, sampling}; None when not given."""
    if spec is None or isinstance(spec, int | float):
        return spec
    return trial.suggest_float(label, spec["min"], spec["max"], log=spec["sampling"] == "log")


def suggest(trial: Any, space: Mapping[str, Any]) -> None:
    """Draw every parameter of `space` (a validated hyperopt section) on the Optuna `trial`,
    conditional ones (an optimizer's rates, a layer count's units) only where they apply."""
    stopping = space["stopping"]
    if "min_epochs" in stopping:
        trial.suggest_int("epochs", stopping["min_epochs"], stopping["max_epochs"])
    if "min_patience" in stopping:
        lo, hi = stopping["min_patience"], stopping["max_patience"]
        step = (hi - lo) / 5 if hi > lo else None  # n3fit's q, as a float (0.03999… for 0.1-0.3)
        trial.suggest_float("stopping_patience", lo, hi, step=step)
    optimizers = {o["optimizer_name"]: o for o in space["optimizer"]}
    name = trial.suggest_categorical("optimizer", list(optimizers))
    for key in ("learning_rate", "clipnorm"):
        _range(trial, f"{name}_{key}", optimizers[name].get(key))
    positivity = space["positivity"]
    if "min_initial" in positivity:
        lo, hi = positivity["min_initial"], positivity["max_initial"]
        trial.suggest_float("initial", lo, hi, log=True)
    if "max_multiplier" in positivity:
        lo = positivity.get("min_multiplier", 1.0)
        trial.suggest_float("multiplier", lo, positivity["max_multiplier"])
    integrability = space["integrability"]
    if "min_initial" in integrability:
        lo, hi = integrability["min_initial"], integrability["max_initial"]
        trial.suggest_float("integrability_initial", lo, hi, log=True)
    arch = space["architecture"]
    if "n_layers" in arch:
        n = trial.suggest_categorical("n_layers", list(arch["n_layers"]))
        for i in range(n):
            trial.suggest_int(f"nl{n}:-{i}/{n}", arch["min_units"], arch["max_units"])
    if "activations" in arch:
        trial.suggest_categorical("activation", list(arch["activations"]))
    if "initializers" in arch:
        trial.suggest_categorical("initializer", list(arch["initializers"]))


def fit_section(
    fit: Mapping[str, Any], params: Mapping[str, Any], space: Mapping[str, Any]
) -> dict[str, Any]:
    """The fit section with a trial's `params` in place (what `snakemake --configfile` of the
    best trial fits); what the space does not vary keeps the fit's value."""
    out = copy.deepcopy(dict(fit))
    if "epochs" in params:
        out["epochs"] = int(params["epochs"])
    if "stopping_patience" in params:
        out["stopping_patience"] = float(params["stopping_patience"])
    if "optimizer" in params:
        name = params["optimizer"]
        spec = next(o for o in space["optimizer"] if o["optimizer_name"] == name)
        optimizer = {"optimizer_name": name}
        for key in ("learning_rate", "clipnorm"):
            value = params.get(f"{name}_{key}", spec.get(key))
            if value is None and key == "learning_rate":
                value = fit["optimizer"]["learning_rate"]
            optimizer[key] = None if value is None else float(value)
        out["optimizer"] = optimizer
    if "initial" in params:
        out["positivity"]["initial"] = float(params["initial"])
    if "multiplier" in params:
        out["positivity"]["multiplier"] = float(params["multiplier"])
    if "integrability_initial" in params:
        out["integrability"]["initial"] = float(params["integrability_initial"])
    layers = len(fit["nodes_per_layer"]) - 1
    activation = fit["activation_per_layer"][0]
    if "n_layers" in params:
        layers = int(params["n_layers"])
        units = [int(params[f"nl{layers}:-{i}/{layers}"]) for i in range(layers)]
        out["nodes_per_layer"] = [*units, int(fit["nodes_per_layer"][-1])]
    if "activation" in params:
        activation = params["activation"]
    if "n_layers" in params or "activation" in params:
        out["activation_per_layer"] = [activation] * layers + [OUTPUT_ACTIVATION]
    if "initializer" in params:
        out["initializer"] = params["initializer"]
    return out
