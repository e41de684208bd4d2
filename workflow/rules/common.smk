# Validation, the final targets and the input functions the rules share.
import json
import os
import sys

from snakemake.utils import validate

from disfit.checks import check_config
from disfit.config import validate_config
from disfit.errors import DisfitError

# every mistake that can be known now, as one line before the DAG is built (disfit.checks);
# then snakemake's own validation, which fills the same defaults
try:
    _source = ", ".join(map(str, workflow.configfiles)) or "config"
    check_config(validate_config(config, _source), _source)
except DisfitError as exc:
    sys.exit(f"disfit: error: {exc}")
validate(config, "../schemas/config.schema.yaml")

RUN = f"results/{config['run_name']}"
DATASETS = {d["dataset"]: d for d in config["datasets"]}
SOURCE = config["fktables"]["source"]
# theory keys that plan the jobs but change no table: a change reruns nothing
PLANNING_KEYS = ("regenerate", "eko_parts", "points_per_job")
# keys that only a report reads or that say how many fits or trials exist: a change reruns the
# closure (hyperopt) report, or adds fits (trials), not the jobs there are
REPORT_KEYS = {
    "closure": ("fits", "replicas", "bootstrap_samples", "bootstrap_seed", "pdf_points"),
    "hyperopt": ("trials",),
}


def config_json(*sections, datasets=None, report=False):
    """The config sections a job reads, as the JSON its `disfit` call validates (a job's
    params: changing what it reads reruns it, nothing else does). `datasets` narrows the
    datasets section to those names; the closure and hyperopt sections keep their REPORT_KEYS
    only for their reports."""
    part = {key: config[key] for key in sections}
    if "theory" in part:
        part["theory"] = {k: v for k, v in part["theory"].items() if k not in PLANNING_KEYS}
    for section, keys in REPORT_KEYS.items():
        if section in part and not report:
            part[section] = {k: v for k, v in part[section].items() if k not in keys}
    if datasets is not None:
        part["datasets"] = [DATASETS[name] for name in datasets]
    return json.dumps(part)


def data_tables():
    return expand(rules.data_commondata.output[0], dataset=DATASETS)


def dataset_fktable_folders():
    return expand(f"{RUN}/fktables/{{dataset}}", dataset=DATASETS)


def fit_inputs():
    """The fit's data, covariance, FK-table folders and positivity/integrability tables."""
    if "pickles" in config:
        return {"pickles": rules.import_pickles.output[0]}
    return {
        "data": data_tables(),
        "covmat": rules.data_covmat.output[0],
        "fktables": dataset_fktable_folders(),
        "positivity": positivity_tables(),
        "integrability": integrability_tables(),
    }


def fit_arguments():
    """The `disfit fit` (and `disfit report`) input options matching fit_inputs()."""
    if "pickles" in config:
        folder = rules.import_pickles.output[0]
        return (
            f"--data-dir {folder}/data --covmat {folder}/data/covmat.parquet"
            f" --fktables {folder}/fktables/* --positivity {folder}/positivity"
            f" --integrability {folder}/integrability"
        )
    return (
        f"--data-dir {RUN}/data --covmat {rules.data_covmat.output[0]}"
        f" --fktables {' '.join(dataset_fktable_folders())}"
        f" --positivity {THEORY}/positivity --integrability {THEORY}/integrability"
    )


def all_outputs():
    """What `rule all` asks for, following the config."""
    outputs = [rules.data_covmat.output[0], rules.data_summary.output[0]]
    if SOURCE == "pineappl":
        outputs += dataset_fktable_folders()
    elif SOURCE == "theory":
        outputs += theory_outputs()
    if "pickles" in config:
        outputs += rules.import_pickles.output
    if SOURCE == "theory" or config.get("pickles", {}).get("fit"):
        outputs += fit_outputs() + rules.postfit.output + [rules.report.output.html]
    if SOURCE == "theory":
        outputs += rules.lhapdf.output
    return outputs


def dataset_theory_fktables(wildcards):
    """The theory's FK tables of one dataset (its metadata's operands)."""
    names = [fk for fk, (name, _) in FKTABLE_DATASET.items() if name == wildcards.dataset]
    return expand(f"{THEORY}/fktables/{{fk}}.parquet", fk=names)


def positivity_tables():
    return expand(
        f"{THEORY}/positivity/{{name}}.parquet",
        name=[*POSITIVITY_STRUCTURE_FUNCTIONS, *POSITIVITY_PDFS],
    )


def integrability_tables():
    return expand(f"{THEORY}/integrability/{{name}}.parquet", name=INTEGRABILITY)


def theory_outputs():
    """The theory stage's outputs: every dataset's FK tables, the sets and the export."""
    return (
        dataset_fktable_folders()
        + positivity_tables()
        + integrability_tables()
        + rules.export_theory.output
    )


def report_inputs(wildcards):
    """What the report reads: the postfit replicas, the fit's inputs, the LHAPDF set."""
    inputs = {"postfit": rules.postfit.output[0], **fit_inputs()}
    if SOURCE == "theory":
        inputs["lhapdf"] = rules.lhapdf.output[0]
    return inputs


def yadism_jobs(fktable):
    """{job label: (FONLL part or None, chunk, chunks)} of an FK table's yadism runs (yadism
    runs on one core: a table's points, per FONLL part, in jobs of about theory.points_per_job
    ZM-VFNS points of work)."""
    from disfit.theory.coefficients import coefficient_jobs

    theory = config["theory"]
    return coefficient_jobs(fktable, theory["scheme"], theory["points_per_job"])


def yadism_job_arguments(wildcards):
    """`disfit theory coefficients` arguments of one yadism job."""
    fonll, part, parts = yadism_jobs(wildcards.fktable)[wildcards.job]
    return f"--part {part} --parts {parts}" + ("" if fonll is None else f" --fonll-part {fonll}")


def earlier_trials(wildcards):
    """Every hyperopt trial of the generations before this one: the sampler learns from them."""
    last = int(wildcards.generation) * config["hyperopt"]["batch"]
    return expand(HYPEROPT_TRIAL, trial=range(1, last + 1))


def trial_generation(wildcards):
    """The generation file that proposes a hyperopt trial."""
    generation = (int(wildcards.trial) - 1) // config["hyperopt"]["batch"]
    return HYPEROPT_GENERATION.format(generation=generation)
