"""`disfit export n3fit`: a disfit fit in n3fit's layout, so that validphys loads it (`API.fit`,
vp-comparefits, vp-nextfitruncard) once the folder is in validphys' results path and its
LHAPDF set in the LHAPDF path:

    <name>/filter.yml                                the runcard (n3fit's keys) of the config
    <name>/filter/<dataset>/FKMASK_<dataset>.dat     the kept points (use_cuts: fromfit)
    <name>/nnfit/<name>.info                         the LHAPDF info
    <name>/nnfit/replica_<k>/<name>.exportgrid|.json every fitted replica (+ <name>.dat when
                                                     postfit selected it)
    <name>/postfit/replica_<j>/                      the selected replicas, renumbered
    <name>/postfit/<name>/                           the LHAPDF set (member 0 = mean)
    <name>/postfit/veto_count.json, postfit.log      validphys' veto masks, the summary

as vp-setupfit, n3fit, evolven3fit and postfit write them."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.constraints import POSITIVITY_X_RULES
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_dir
from disfit.io.datatable import read_dataset
from disfit.io.exportgrid import write_n3fit_exportgrid
from disfit.io.replica import FLAVOUR_FILE, read_json, read_replica_grid, replica_folders

log = logging.getLogger("disfit")

#: nnpdf_data's sets holding disfit's positivity (Q² = 5 GeV²) and integrability (Q0) tables
POSITIVITY_SET, INTEGRABILITY_SET = "NNPDF_POS_2P24GEV", "NNPDF_INTEG_3GEV"
#: disfit's integrability tables nnpdf_data names otherwise
INTEGRABILITY_FK = {"NNPDF_INTEG_XT3_40": "INTEGXT3", "NNPDF_INTEG_XT8_40": "INTEGXT8"}


@cache
def _observables(setname: str) -> dict[str, str]:
    """{FK-table name: nnpdf_data dataset name} of a positivity or integrability set."""
    path = files("nnpdf_data").joinpath("commondata", setname, "metadata.yaml")
    metadata = yaml.safe_load(path.read_text())
    return {
        obs["theory"]["FK_tables"][0][0]: f"{setname}_{obs['observable_name']}"
        for obs in metadata["implemented_observables"]
        if len(obs["theory"]["FK_tables"]) == 1 and len(obs["theory"]["FK_tables"][0]) == 1
    }


def constraint_dataset(kind: str, name: str) -> str:
    """nnpdf_data's dataset of disfit's positivity/integrability set `name` (an FK-table name):
    the observable of NNPDF_POS_2P24GEV / NNPDF_INTEG_3GEV computed by that table."""
    setname = POSITIVITY_SET if kind == "positivity" else INTEGRABILITY_SET
    table = INTEGRABILITY_FK.get(name, name)
    try:
        return _observables(setname)[table]
    except KeyError:
        raise DisfitError(
            f"fit.{kind}.datasets: {name}: no observable of nnpdf_data's {setname} uses FK table "
            f"{table}; n3fit cannot name this set"
        ) from None


def positivity_rules(fit: Mapping[str, Any]) -> list[dict[str, str]]:
    """The x points the fit keeps of each positivity set (constraints.POSITIVITY_X_RULES,
    nnpdf40-like's) as n3fit's added_filter_rules."""
    rules = []
    for e in fit["positivity"]["datasets"]:
        if e["dataset"] not in POSITIVITY_X_RULES:
            continue
        above, below = POSITIVITY_X_RULES[e["dataset"]]
        terms = ([f"x > {above}"] if above > 0 else []) + ([f"x < {below}"] if below < 1 else [])
        name = constraint_dataset("positivity", e["dataset"])
        rules.append({"dataset": name, "rule": " and ".join(terms)})
    return rules


def n3fit_runcard(
    config: Mapping[str, Any], theory_id: int, t0_set: str | None, description: str
) -> dict[str, Any]:
    """The n3fit 4.1.5 runcard of a disfit config (schema defaults filled): datasets, cuts,
    theory, seeds, architecture, optimiser, λ's, constraint sets, preprocessing."""
    fit, cuts = config["fit"], config["cuts"]
    datasets = []
    for d in config["datasets"]:
        entry: dict[str, Any] = {"dataset": d["dataset"], "frac": d["frac"]}
        if d.get("variant"):
            entry["variant"] = d["variant"]
        if d.get("cfac"):
            entry["cfac"] = list(d["cfac"])
        datasets.append(entry)

    def multipliers(kind: str) -> dict[str, Any]:
        keys = ("initial", "multiplier", "threshold")
        return {k: fit[kind][k] for k in keys if k in fit[kind]}

    datacuts: dict[str, Any] = {"q2min": float(cuts["q2min"]), "w2min": float(cuts["w2min"])}
    if t0_set:
        datacuts["t0pdfset"] = t0_set
    parameters = {
        "nodes_per_layer": list(fit["nodes_per_layer"]),
        "activation_per_layer": list(fit["activation_per_layer"]),
        "initializer": fit["initializer"],
        "optimizer": dict(fit["optimizer"]),
        "epochs": fit["epochs"],
        "positivity": multipliers("positivity"),
        "integrability": multipliers("integrability"),
        "stopping_patience": fit["stopping_patience"],
        "layer_type": "dense",
        "dropout": 0.0,
        "threshold_chi2": fit["threshold_chi2"],
    }
    if fit.get("feature_scaling_points") is not None:
        parameters["feature_scaling_points"] = fit["feature_scaling_points"]
    return {
        "description": description,
        "dataset_inputs": datasets,
        "datacuts": datacuts,
        "added_filter_rules": [
            {k: r[k] for k in ("process_type", "rule", "reason") if k in r} for r in cuts["rules"]
        ]
        + positivity_rules(fit),
        "theory": {"theoryid": int(theory_id)},
        "trvlseed": fit["trvlseed"],
        "nnseed": fit["nnseed"],
        "mcseed": fit["mcseed"],
        "genrep": fit["genrep"],
        "resample_negative_pseudodata": fit["resample_negative_pseudodata"],
        "diagonal_basis": fit["diagonal_basis"],
        "diagonal_frac": fit["diagonal_frac"],
        "parameters": parameters,
        "fitting": {"fitbasis": "EVOL", "basis": [dict(b) for b in fit["basis"]]},
        "positivity": {
            "posdatasets": [
                {
                    "dataset": constraint_dataset("positivity", e["dataset"]),
                    "maxlambda": e["maxlambda"],
                }
                for e in fit["positivity"]["datasets"]
            ]
        },
        "integrability": {
            "integdatasets": [
                {
                    "dataset": constraint_dataset("integrability", e["dataset"]),
                    "maxlambda": e["maxlambda"],
                }
                for e in fit["integrability"]["datasets"]
            ]
        },
        "debug": False,
        "parallel_models": True,
    }


def _lhapdf_set(run_dir: Path) -> Path:
    sets = [p for p in (run_dir / "lhapdf").iterdir() if (p / f"{p.name}.info").is_file()]
    if len(sets) != 1:
        raise DisfitError(f"{run_dir / 'lhapdf'}: expected one LHAPDF set; run the lhapdf stage")
    return sets[0]


def export_n3fit(
    config: Mapping[str, Any],
    run_dir: str | Path,
    outdir: str | Path,
    theory_id: int,
    name: str | None = None,
    t0_set: str | None = None,
) -> Path:
    """Write the fit of `run_dir` (results/<run>) as `outdir`/<name> in n3fit's layout; `name`
    defaults to the LHAPDF set's, `theory_id` is the NNPDF theory the runcard names (where the
    user installed `disfit theory export`'s folder), `t0_set` the LHAPDF name of the t0 PDF."""
    run_dir = Path(run_dir)
    pdfset = _lhapdf_set(run_dir)
    name = name or pdfset.name
    veto = json.loads((run_dir / "postfit" / "veto_count.json").read_text())
    q0 = float(read_replica_grid(run_dir / "postfit" / "replica_0" / FLAVOUR_FILE)[2]["q0"])
    selected = {k: j for j, k in enumerate(veto["selected"], start=1)}
    members = int(yaml.safe_load((pdfset / f"{pdfset.name}.info").read_text())["NumMembers"])
    if members != len(selected) + 1:
        raise DisfitError(
            f"{pdfset}: {members} members but postfit selected {len(selected)}; rerun the "
            "lhapdf stage"
        )
    description = (
        f"disfit fit {config.get('run_name', run_dir.name)} ({run_dir}) in n3fit's layout "
        "(disfit export n3fit)"
    )
    target = Path(outdir) / name
    with atomic_dir(target) as tmp:
        runcard = n3fit_runcard(config, theory_id, t0_set, description)
        (tmp / "filter.yml").write_text(yaml.safe_dump(runcard, sort_keys=False))
        for d in config["datasets"]:
            table = read_dataset(run_dir / "data" / f"{d['dataset']}.parquet")
            folder = tmp / "filter" / d["dataset"]
            folder.mkdir(parents=True)
            np.savetxt(folder / f"FKMASK_{d['dataset']}.dat", table.entries - 1, fmt="%d")
        nnfit = tmp / "nnfit"
        nnfit.mkdir()
        shutil.copyfile(pdfset / f"{pdfset.name}.info", nnfit / f"{name}.info")
        postfit = tmp / "postfit"
        (postfit / name).mkdir(parents=True)
        for k, folder in replica_folders(run_dir / "fit"):
            replica = nnfit / f"replica_{k}"
            replica.mkdir()
            x, xf, _ = read_replica_grid(folder / FLAVOUR_FILE)
            write_n3fit_exportgrid(replica / f"{name}.exportgrid", k, q0, x, xf)
            content = read_json(folder)
            (replica / f"{name}.json").write_text(json.dumps(content, indent=2) + "\n")
            if k in selected:
                member = pdfset / f"{pdfset.name}_{selected[k]:04d}.dat"
                shutil.copyfile(member, replica / f"{name}.dat")
                shutil.copytree(replica, postfit / f"replica_{selected[k]}")
                shutil.copyfile(member, postfit / name / f"{name}_{selected[k]:04d}.dat")
        shutil.copyfile(pdfset / f"{pdfset.name}.info", postfit / name / f"{name}.info")
        shutil.copyfile(pdfset / f"{pdfset.name}_0000.dat", postfit / name / f"{name}_0000.dat")
        vetoes = {key: list(mask) for key, mask in veto["vetoes"].items()}
        (postfit / "veto_count.json").write_text(json.dumps(vetoes, indent=1) + "\n")
        # validphys takes a fit with postfit/postfit.log as completed
        (postfit / "postfit.log").write_text(
            f"disfit postfit: {len(veto['passing'])} of {len(veto['replicas_fitted'])} replicas "
            f"pass, {len(selected)} selected (fit replicas {veto['selected']})\n"
        )
    log.info("n3fit layout of %s → %s (theory %d)", run_dir, target, theory_id)
    return target


def export_from_config(config: Mapping[str, Any], run_dir: str | Path, outdir: str | Path) -> Path:
    """export_n3fit with the config's n3fit section (theoryid, t0pdfset, name)."""
    section = config.get("n3fit") or {}
    if section.get("theoryid") is None:
        raise DisfitError(
            "key n3fit.theoryid: not set; give the NNPDF theory id under which `disfit theory "
            "export`'s folder (results/<run>/theory/theory_disfit) is installed for validphys"
        )
    return export_n3fit(
        config, run_dir, outdir, section["theoryid"], section.get("name"), section.get("t0pdfset")
    )
