# Data stage: nnpdf_data commondata → cut Parquet data tables → experimental covariance.


rule data_commondata:
    output:
        f"{RUN}/data/{{dataset}}.parquet",
    log:
        f"{RUN}/logs/data/{{dataset}}.log",
    benchmark:
        f"{RUN}/benchmarks/data/{{dataset}}.tsv"
    wildcard_constraints:
        dataset="[A-Za-z0-9_.-]+",
    conda:
        "../../envs/disfit.yaml"
    params:
        config=lambda w: config_json("cuts", datasets=[w.dataset]),
    shell:
        "disfit data commondata --config-json {params.config:q} --dataset {wildcards.dataset}"
        " --out {output} > {log} 2>&1"


rule data_covmat:
    input:
        data_tables(),
    output:
        f"{RUN}/data/covmat.parquet",
    log:
        f"{RUN}/logs/data/covmat.log",
    benchmark:
        f"{RUN}/benchmarks/data/covmat.tsv"
    conda:
        "../../envs/disfit.yaml"
    shell:
        "disfit data covmat {input} --out {output} > {log} 2>&1"


rule data_summary:
    input:
        data_tables(),
    output:
        report(
            f"{RUN}/data/summary.tsv",
            caption="../report/data_summary.rst",
            category="Data",
        ),
    log:
        f"{RUN}/logs/data/summary.log",
    benchmark:
        f"{RUN}/benchmarks/data/summary.tsv"
    localrule: True
    conda:
        "../../envs/disfit.yaml"
    shell:
        "disfit data summary {input} --out {output} > {log} 2>&1"
