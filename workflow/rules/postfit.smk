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
        config=POSTFIT_CONFIG_JSON,
        fit_dir=lambda w, input: os.path.dirname(input[0]),
    shell:
        "disfit postfit --config-json {params.config:q} --fit-dir {params.fit_dir}"
        " --outdir {output} > {log} 2>&1"


if config["fktables"]["source"] == "theory":

    rule lhapdf:
        input:
            postfit=f"{RUN}/postfit",
            operator=f"{THEORY}/evolution/lhapdf_operator.parquet",
        output:
            directory(f"{RUN}/lhapdf"),
        log:
            f"{RUN}/logs/lhapdf.log",
        benchmark:
            f"{RUN}/benchmarks/lhapdf.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=EVOLVE_CONFIG_JSON,
        shell:
            "disfit evolve --config-json {params.config:q} --postfit-dir {input.postfit}"
            " --operator {input.operator} --outdir {output} > {log} 2>&1"
