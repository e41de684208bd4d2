# Fit stage: batches of replicas fitted together, one `disfit fit` call per batch.

FIT = config["fit"]
# (first, last) replica numbers of each fit job
FIT_BATCHES = [
    (first, min(first + FIT["replicas_per_job"] - 1, FIT["replicas"]))
    for first in range(1, FIT["replicas"] + 1, FIT["replicas_per_job"])
]


def fit_memory(replicas):
    """MB for a batch: the whitened FK tables grow with the replicas (measured, with margin)."""
    return 1500 + 12 * replicas


def fit_runtime(replicas):
    """Minutes for a batch of the default DIS fit on 2 cores (measured, with margin)."""
    return 10 + replicas // 5


def fit_outputs():
    return expand(f"{RUN}/fit/replica_{{k}}", k=range(1, FIT["replicas"] + 1))


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
        conda:
            "../../envs/disfit.yaml"
        threads: FIT["threads_per_job"]
        resources:
            mem_mb=fit_memory(last - first + 1),
            runtime=fit_runtime(last - first + 1),
        params:
            # what the fit reads: a change here reruns the fits, not the theory
            config=config_json("fit", "datasets", "theory"),
            inputs=fit_arguments(),
            replicas=f"{first}-{last}",
            outdir=lambda w, output: os.path.dirname(output[0]),
        shell:
            "disfit fit --config-json {params.config:q} {params.inputs}"
            " --replicas {params.replicas} --threads {threads} --outdir {params.outdir} > {log} 2>&1"
