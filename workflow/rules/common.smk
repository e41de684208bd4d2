# Config validation and the helpers the rules share.
import json
import os
import sys

from snakemake.utils import validate

from disfit.checks import check_config
from disfit.config import validate_config
from disfit.errors import DisfitError
from disfit.theory.card import theory_id

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


def dataset_args(wildcards):
    """The `disfit data commondata` options of one configured dataset."""
    entry = DATASETS[wildcards.dataset]
    args = []
    if entry.get("variant"):
        args += ["--variant", entry["variant"]]
    if entry.get("cfac"):
        args += ["--cfac", *entry["cfac"]]
    return " ".join(args)


def data_tables():
    return expand(f"{RUN}/data/{{dataset}}.parquet", dataset=DATASETS)


def all_outputs():
    """What `rule all` asks for, following the config."""
    outputs = [f"{RUN}/data/covmat.parquet", f"{RUN}/data/summary.tsv"]
    if config["fktables"]["source"] == "pineappl":
        outputs += expand(f"{RUN}/fktables/{{dataset}}", dataset=DATASETS)
    elif config["fktables"]["source"] == "theory":
        outputs += theory_outputs()
    if "pickles" in config:
        outputs.append(f"{RUN}/pickles")
    if config["fktables"]["source"] == "theory" or config.get("pickles", {}).get("fit"):
        outputs += fit_outputs() + [f"{RUN}/postfit", f"{RUN}/report/index.html"]
    if config["fktables"]["source"] == "theory":
        outputs.append(f"{RUN}/lhapdf")
    return outputs


THEORY = f"{RUN}/theory"
THEORY_JSON = json.dumps(
    {k: v for k, v in config["theory"].items() if k not in ("regenerate", "eko_parts")}
)
THEORY_ID = theory_id(config["theory"])
SHIPPED = f"resources/theory/{THEORY_ID}"
USE_SHIPPED = os.path.isdir(SHIPPED) and not config["theory"]["regenerate"]
EKO_PARTS = config["theory"]["eko_parts"]
EKO_FILES = expand(f"{THEORY}/eko/part{{part}}.tar", part=range(EKO_PARTS))


def dataset_fktables():
    """Each configured dataset's FK-table names, from its nnpdf_data metadata."""
    from disfit.data.commondata import resolve_metadata

    return {
        d["dataset"]: [
            fk
            for operand in resolve_metadata(
                d["dataset"], d.get("variant")
            ).theory.FK_tables
            for fk in operand
        ]
        for d in config["datasets"]
    }


DATASET_FKTABLES = dataset_fktables()
# FK table → the NAME:VARIANT whose kinematics it holds
FKTABLE_DATASET = {
    fk: f"{name}:{DATASETS[name].get('variant') or ''}"
    for name, fks in DATASET_FKTABLES.items()
    for fk in fks
}
LAGRANGE = [  # positivity x·f and integrability sets (disfit.theory.assemble)
    *(
        f"NNPDF_POS_{f}_40"
        for f in (
            "UP",
            "ANTI_UP",
            "DOWN",
            "ANTI_DOWN",
            "STRANGE",
            "ANTI_STRANGE",
            "GLUON",
        )
    ),
    *(f"NNPDF_INTEG_{f}_40" for f in ("XV", "XV3", "XV8", "XT3", "XT8")),
]
POSITIVITY_STRUCTURE_FUNCTIONS = [
    "NNPDF_POS_F2U_40",
    "NNPDF_POS_F2D_40",
    "NNPDF_POS_F2S_40",
    "NNPDF_POS_FLL_40",
]


# the theory's tables (but the LHAPDF operator) as <kind>/<name>, and where they come from
THEORY_TABLES = [
    *(f"fktables/{fk}" for fk in [*FKTABLE_DATASET, *POSITIVITY_STRUCTURE_FUNCTIONS]),
    *(f"lagrange/{name}" for name in LAGRANGE),
]
THEORY_SOURCE = SHIPPED if USE_SHIPPED else f"{THEORY}/computed"


def theory_outputs():
    """FK tables the theory stage makes: data, positivity, integrability, the export."""
    return (
        expand(f"{RUN}/fktables/{{dataset}}", dataset=DATASETS)
        + expand(f"{THEORY}/fktables/{{fk}}.parquet", fk=POSITIVITY_STRUCTURE_FUNCTIONS)
        + expand(f"{THEORY}/lagrange/{{name}}.parquet", name=LAGRANGE)
        + [f"{THEORY}/theory_disfit"]
    )


FIT = config["fit"]
# (first, last) replica numbers of each fit job
FIT_BATCHES = [
    (first, min(first + FIT["replicas_per_job"] - 1, FIT["replicas"]))
    for first in range(1, FIT["replicas"] + 1, FIT["replicas_per_job"])
]
# what `disfit fit` reads of the config: a change here reruns the fits, not the theory
FIT_CONFIG_JSON = json.dumps(
    {
        "fit": FIT,
        "datasets": config["datasets"],
        "theory": {k: v for k, v in config["theory"].items() if k != "eko_parts"},
    }
)


# what `disfit postfit` reads of the config
POSTFIT_CONFIG_JSON = json.dumps(
    {
        "postfit": config["postfit"],
        "datasets": config["datasets"],
        "theory": {k: v for k, v in config["theory"].items() if k != "eko_parts"},
    }
)


# what `disfit evolve` and `disfit report` read of the config
EVOLVE_CONFIG_JSON = json.dumps(
    {
        "run_name": config["run_name"],
        "lhapdf": config["lhapdf"],
        "datasets": config["datasets"],
        "theory": {k: v for k, v in config["theory"].items() if k != "eko_parts"},
    }
)


# the report shows the whole configuration
REPORT_CONFIG_JSON = json.dumps(
    {
        key: config[key]
        for key in ("run_name", "datasets", "fit", "postfit", "lhapdf", "theory", "cuts")
        if key in config
    }
)


def fit_memory(replicas):
    """MB for a batch: the whitened FK tables grow with the replicas (measured, with margin)."""
    return 1500 + 12 * replicas


def fit_runtime(replicas):
    """Minutes for a batch of the default DIS fit on 2 cores (measured, with margin)."""
    return 10 + replicas // 5


def fit_outputs():
    return expand(f"{RUN}/fit/replica_{{k}}", k=range(1, FIT["replicas"] + 1))
