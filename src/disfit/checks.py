"""Every config mistake that can be known without computing, caught before the first job.

`disfit check-config` and the Snakefile run `check_config` after the schema (disfit.config):
datasets and variants known to nnpdf_data, C-factor files present, cut rules that evaluate, a
possible theory, known positivity/integrability sets, a readable t0 PDF, the files and folders
the config names. Each mistake is one DisfitError naming the key and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from disfit.errors import DisfitError


def check_config(config: Mapping[str, Any], source: str = "config") -> None:
    """Raise DisfitError for the first mistake of a schema-validated `config`; relative paths
    are taken from the current folder (where Snakemake runs)."""
    checks = (_inputs, _datasets, _cuts, _theory, _fit_sets, _t0pdfset, _postfit, _compare)
    for check in (*checks, _closure, _hyperopt):
        try:
            check(config)
        except DisfitError as exc:
            raise DisfitError(f"{source}: {exc}") from None


def check_config_file(path: Path) -> str:
    """`disfit check-config`: read, validate and check a config file; a line saying so."""
    from disfit.config import load_config

    config = load_config(path)
    check_config(config, str(path))
    return f"{path}: valid ({len(config['datasets'])} datasets)"


def _rephrase(key: str, call: Callable[[], Any]) -> Any:
    """`call()`, with a DisfitError it raises prefixed by the config key."""
    try:
        return call()
    except DisfitError as exc:
        message = str(exc)
        raise DisfitError(
            f"key {message}" if message.startswith(f"{key}:") else f"key {key}: {message}"
        ) from None


def _datasets(config: Mapping[str, Any]) -> None:
    from disfit.data.commondata import resolve_metadata
    from disfit.io.cfactors import cfactor_path
    from disfit.io.pineappl import PINEAPPL_SUFFIX
    from disfit.theory.coefficients import catalog

    made_here = config["fktables"]["source"] == "theory"
    fastkernel = _fastkernel(config)
    for i, entry in enumerate(config["datasets"]):
        key = f"datasets[{i}]"
        meta = _rephrase(key, lambda e=entry: resolve_metadata(e["dataset"], e.get("variant")))
        fktables = [fk for operand in meta.theory.FK_tables for fk in operand]
        for fk in fktables:
            if made_here and fk not in catalog():
                raise DisfitError(
                    f"key {key}: FK table {fk} of {entry['dataset']} is not in disfit's theory "
                    "catalog (src/disfit/theory/catalog.yaml); drop the dataset or use "
                    "fktables.source: pineappl"
                )
            if fastkernel is not None and not (fastkernel / f"{fk}{PINEAPPL_SUFFIX}").is_file():
                raise DisfitError(
                    f"key fktables.theory_folder: {fastkernel} has no {fk}{PINEAPPL_SUFFIX} "
                    f"({key}, {entry['dataset']}); use the theory folder that has it"
                )
            for cfac in entry["cfac"]:
                if not (cfactor_path() / f"CF_{cfac}_{fk}.dat").is_file():
                    raise DisfitError(
                        f"key {key}.cfac: nnpdf_data has no C-factor {cfac!r} for FK table {fk} "
                        f"(CF_{cfac}_{fk}.dat); remove it from the list"
                    )


def _cuts(config: Mapping[str, Any]) -> None:
    import pandas as pd

    from disfit.data.cuts import kinematic_mask

    kinematics = pd.DataFrame({"x": [0.1], "Q2": [10.0], "y": [0.5]})
    for process_type in {rule.get("process_type") for rule in config["cuts"]["rules"]}:
        # the rules as the data stage applies them, on one point of each process type
        kinematic_mask(kinematics, process_type or "DIS", config["cuts"])


def _theory(config: Mapping[str, Any]) -> None:
    from disfit.theory.card import theory_card

    if config["fktables"]["source"] == "theory":
        theory_card(config["theory"])
    elif config["theory"].get("regenerate"):
        raise DisfitError(
            "key theory.regenerate: true needs fktables.source: theory (the tables made here)"
        )


def _fit_sets(config: Mapping[str, Any]) -> None:
    """Positivity and integrability sets the theory stage makes."""
    from disfit.constraints import INTEGRABILITY, POSITIVITY

    if config["fktables"]["source"] != "theory":
        return  # imported sets carry their own names
    known = {"positivity": list(POSITIVITY), "integrability": list(INTEGRABILITY)}
    for kind, names in known.items():
        for i, entry in enumerate(config["fit"][kind]["datasets"]):
            if entry["dataset"] not in names:
                raise DisfitError(
                    f"key fit.{kind}.datasets[{i}].dataset: unknown set {entry['dataset']!r}; "
                    f"the theory makes {', '.join(names)}"
                )


def _t0pdfset(config: Mapping[str, Any], key: str = "fit.t0pdfset") -> None:
    from disfit.fit.t0 import t0_pdf
    from disfit.io.pickles import PICKLE_Q0
    from disfit.theory.card import theory_card

    section, name = key.split(".")
    path = config.get(section, {}).get(name)
    if path is None:
        return
    theory = config["fktables"]["source"] == "theory"
    q0 = float(theory_card(config["theory"])["Q0"]) if theory else PICKLE_Q0
    # reads member 0 of an LHAPDF set (or the replicas of a disfit fit) as the fit will
    _rephrase(key, lambda: t0_pdf(path, q0, key))


def _closure(config: Mapping[str, Any]) -> None:
    """The law is read as a t0 PDF; postfit must be able to keep what a closure fit fits."""
    closure = config.get("closure")
    if closure is None:
        return
    _t0pdfset(config, "closure.fakepdf")
    keep = config["postfit"].get("replicas")
    if keep is not None and keep > closure["replicas"]:
        raise DisfitError(
            f"key postfit.replicas: {keep} replicas to keep but closure.replicas is "
            f"{closure['replicas']}; lower postfit.replicas or fit more closure replicas"
        )


def _hyperopt(config: Mapping[str, Any]) -> None:
    """Folds of the fit's datasets, each leaving data to fit; ranges in order; the per-dataset
    split (the folds hold out data points, as n3fit's k-folding needs diagonal_basis false)."""
    hyper = config.get("hyperopt")
    if hyper is None:
        return
    if config["fit"]["diagonal_basis"]:
        raise DisfitError(
            "key fit.diagonal_basis: the hyperopt folds hold out data points, which the "
            "diagonal basis mixes; set fit.diagonal_basis: false (as n3fit's k-folding)"
        )
    names = {d["dataset"] for d in config["datasets"]}
    for k, fold in enumerate(hyper["kfold"]["partitions"]):
        for name in fold["datasets"]:
            if name not in names:
                raise DisfitError(
                    f"key hyperopt.kfold.partitions[{k}]: {name} is not among the datasets; "
                    "list only fitted datasets in the folds (or give partitions for this run)"
                )
        if set(fold["datasets"]) >= names:
            raise DisfitError(
                f"key hyperopt.kfold.partitions[{k}]: holds out every dataset; leave some to fit"
            )
    ranges = [
        ("stopping", "min_epochs", "max_epochs"),
        ("stopping", "min_patience", "max_patience"),
        ("positivity", "min_initial", "max_initial"),
        ("positivity", "min_multiplier", "max_multiplier"),
        ("integrability", "min_initial", "max_initial"),
        ("architecture", "min_units", "max_units"),
    ]
    for section, lo, hi in ranges:
        part = hyper[section]
        if (lo in part) != (hi in part) and not (lo == "min_multiplier" and hi in part):
            raise DisfitError(f"key hyperopt.{section}: give both {lo} and {hi}, or neither")
        if lo in part and hi in part and part[lo] > part[hi]:
            raise DisfitError(f"key hyperopt.{section}.{lo}: larger than {hi}; swap them")
    arch = hyper["architecture"]
    if "n_layers" in arch and "min_units" not in arch:
        raise DisfitError("key hyperopt.architecture: n_layers needs min_units and max_units")
    for i, optimizer in enumerate(hyper["optimizer"]):
        for key in ("learning_rate", "clipnorm"):
            spec = optimizer.get(key)
            if isinstance(spec, dict) and spec["min"] > spec["max"]:
                raise DisfitError(
                    f"key hyperopt.optimizer[{i}].{key}.min: larger than max; swap them"
                )


def _fastkernel(config: Mapping[str, Any]) -> Path | None:
    """The fastkernel/ folder of fktables.source pineappl (checked by _inputs), else None."""
    if config["fktables"]["source"] != "pineappl":
        return None
    folder = Path(config["fktables"]["theory_folder"])
    return folder / "fastkernel" if (folder / "fastkernel").is_dir() else folder


def _inputs(config: Mapping[str, Any]) -> None:
    """Files and folders named by the config (a PineAPPL folder's tables: _datasets)."""
    if config["fktables"]["source"] == "pineappl":
        folder = config["fktables"].get("theory_folder")
        if not folder:
            raise DisfitError(
                "key fktables.theory_folder: fktables.source pineappl needs the NNPDF theory "
                "folder (theory_<ID> or its fastkernel/) to import from"
            )
        if not _fastkernel(config).is_dir():
            raise DisfitError(f"key fktables.theory_folder: {folder} is not a folder")
    for key in ("experiments", "positivity", "integrability"):
        path = config.get("pickles", {}).get(key)
        if path is not None and not Path(path).is_file():
            raise DisfitError(f"key pickles.{key}: {path} is not a file; give the pickle's path")


def _postfit(config: Mapping[str, Any]) -> None:
    keep, fitted = config["postfit"].get("replicas"), config["fit"]["replicas"]
    if keep is not None and keep > fitted:
        raise DisfitError(
            f"key postfit.replicas: {keep} replicas to keep but fit.replicas is {fitted}; "
            "lower postfit.replicas or fit more replicas"
        )


def _compare(config: Mapping[str, Any]) -> None:
    reference = config.get("compare", {}).get("reference")
    if reference is None:
        return
    path = Path(reference)
    if not (path / f"{path.name}.info").is_file() and not (path / "postfit").is_dir():
        raise DisfitError(
            f"key compare.reference: {path} is neither a disfit results folder (results/<run>, "
            "with postfit/ and lhapdf/) nor an LHAPDF set folder (<name>/<name>.info); run that "
            "fit first or name an existing one"
        )
