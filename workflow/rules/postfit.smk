# Postfit: the replicas that pass the vetoes, renumbered, and replica 0 (their mean).


rule postfit:
    input:
        fit_outputs(),
    output:
        directory(f"{RUN}/postfit"),
    log:
        f"{RUN}/logs/postfit.log",
    benchmark:
        f"{RUN}/benchmarks/postfit.tsv"
    conda:
        "../../envs/disfit.yaml"
    params:
        config=config_json("postfit", "datasets", "theory"),
        fit_dir=lambda w, input: os.path.dirname(input[0]),
    shell:
        "disfit postfit --config-json {params.config:q} --fit-dir {params.fit_dir}"
        " --outdir {output} > {log} 2>&1"
