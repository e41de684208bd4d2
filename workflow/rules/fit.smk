# Fit stage: batches of replicas fitted together, one `disfit fit` call per batch.


def fit_inputs():
    """Data, covariance, FK-table folders and positivity/integrability tables of the fit."""
    if "pickles" in config:
        return {"pickles": f"{RUN}/pickles"}
    return {
        "data": data_tables(),
        "covmat": f"{RUN}/data/covmat.parquet",
        "fktables": expand(f"{RUN}/fktables/{{dataset}}", dataset=DATASETS),
        "lagrange": expand(
            f"{THEORY}/fktables/{{fk}}.parquet", fk=POSITIVITY_STRUCTURE_FUNCTIONS
        )
        + expand(f"{THEORY}/lagrange/{{name}}.parquet", name=LAGRANGE),
    }


def fit_arguments():
    """The `disfit fit` input options matching fit_inputs()."""
    if "pickles" in config:
        folder = f"{RUN}/pickles"
        return (
            f"--data-dir {folder}/data --covmat {folder}/data/covmat.parquet"
            f" --fktables {folder}/fktables/* --lagrange {folder}/positivity"
            f" {folder}/integrability"
        )
    return (
        f"--data-dir {RUN}/data --covmat {RUN}/data/covmat.parquet"
        f" --fktables {' '.join(f'{RUN}/fktables/{d}' for d in DATASETS)}"
        f" --lagrange {THEORY}/fktables {THEORY}/lagrange"
    )


def report_inputs(wildcards):
    """What the report reads: the postfit replicas, the fit's inputs, the LHAPDF set."""
    inputs = {"postfit": f"{RUN}/postfit", **fit_inputs()}
    if config["fktables"]["source"] == "theory":
        inputs["lhapdf"] = f"{RUN}/lhapdf"
    return inputs


for first, last in FIT_BATCHES:

    rule:
        name:
            f"fit_{first}_{last}"
        input:
            **fit_inputs(),
        output:
            [directory(f"{RUN}/fit/replica_{k}") for k in range(first, last + 1)],
        log:
            f"{RUN}/logs/fit/replicas_{first}-{last}.log",
        benchmark:
            f"{RUN}/benchmarks/fit/replicas_{first}-{last}.tsv"
        threads: 2
        resources:
            mem_mb=fit_memory(last - first + 1),
            runtime=fit_runtime(last - first + 1),
        conda:
            "../../envs/disfit.yaml"
        params:
            config=FIT_CONFIG_JSON,
            inputs=fit_arguments(),
            replicas=f"{first}-{last}",
            outdir=lambda w, output: os.path.dirname(output[0]),
        shell:
            "disfit fit --config-json {params.config:q} {params.inputs}"
            " --replicas {params.replicas} --outdir {params.outdir} > {log} 2>&1"
