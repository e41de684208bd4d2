# Config validation and the helpers the rules share.
import json

from snakemake.utils import validate

from disfit.config import validate_config

# one clear line for a bad key first, then snakemake's own validation, which fills defaults
validate_config(config, "config")
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
    if "pickles" in config:
        outputs.append(f"{RUN}/pickles")
    return outputs
