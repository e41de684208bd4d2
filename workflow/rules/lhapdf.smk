# LHAPDF stage: the postfit replicas evolved by one eko operator (from Q0 to NNPDF's LHAPDF Q
# grid) into an LHAPDF set. The operator depends on the evolution settings alone: theories that
# differ only in their coefficient functions (FONLL-C, ZM-VFNS) share it, shipped in
# resources/evolution/<evolution id>/ for the default evolution.
from disfit.theory.card import evolution_id

SHIPPED_OPERATOR = f"resources/evolution/{evolution_id(config['theory'])}/lhapdf_operator.parquet"
LHAPDF_OPERATOR_SOURCE = (
    SHIPPED_OPERATOR
    if os.path.isfile(SHIPPED_OPERATOR) and not config["theory"]["regenerate"]
    else f"{THEORY}/computed/lhapdf/operator.parquet"
)
LHAPDF_EKO_FILES = expand(
    f"{THEORY}/lhapdf_eko/part{{part}}.tar", part=range(config["theory"]["eko_parts"])
)

if SOURCE == "theory":

    rule lhapdf_eko:
        output:
            f"{THEORY}/lhapdf_eko/part{{part}}.tar",
        log:
            f"{RUN}/logs/lhapdf/eko_part{{part}}.log",
        benchmark:
            f"{RUN}/benchmarks/lhapdf/eko_part{{part}}.tsv"
        conda:
            "../../envs/disfit.yaml"
        threads: 1
        resources:
            mem_mb=5000,  # measured: 4.4 GB per part
            runtime=120,
        params:
            config=config_json("theory"),
            parts=config["theory"]["eko_parts"],
        shell:
            "disfit lhapdf eko --config-json {params.config:q} --part {wildcards.part}"
            " --parts {params.parts} --out {output} > {log} 2>&1"

    rule lhapdf_operator:
        input:
            LHAPDF_EKO_FILES,
        output:
            f"{THEORY}/computed/lhapdf/operator.parquet",
        log:
            f"{RUN}/logs/lhapdf/operator.log",
        benchmark:
            f"{RUN}/benchmarks/lhapdf/operator.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("theory"),
        shell:
            "disfit lhapdf operator --config-json {params.config:q} --eko {input} --out {output}"
            " > {log} 2>&1"

    # the operator of this run, shipped or computed, checked against its theory
    rule lhapdf_operator_select:
        input:
            LHAPDF_OPERATOR_SOURCE,
        output:
            f"{THEORY}/lhapdf/operator.parquet",
        log:
            f"{RUN}/logs/lhapdf/operator_select.log",
        benchmark:
            f"{RUN}/benchmarks/lhapdf/operator_select.tsv"
        localrule: True
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("theory"),
        shell:
            "disfit lhapdf copy {input} --config-json {params.config:q} --out {output} > {log} 2>&1"

    rule lhapdf:
        input:
            postfit=rules.postfit.output[0],
            operator=rules.lhapdf_operator_select.output[0],
        output:
            directory(f"{RUN}/lhapdf"),
        log:
            f"{RUN}/logs/lhapdf/set.log",
        benchmark:
            f"{RUN}/benchmarks/lhapdf/set.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("run_name", "lhapdf", "theory"),
        shell:
            "disfit lhapdf set --config-json {params.config:q} --postfit-dir {input.postfit}"
            " --operator {input.operator} --outdir {output} > {log} 2>&1"

    if config["theory"]["regenerate"]:

        rule ship_lhapdf_operator:
            input:
                rules.lhapdf_operator.output[0],
            output:
                SHIPPED_OPERATOR,
            log:
                f"{RUN}/logs/lhapdf/ship_operator.log",
            benchmark:
                f"{RUN}/benchmarks/lhapdf/ship_operator.tsv"
            conda:
                "../../envs/disfit.yaml"
            params:
                config=config_json("theory"),
            shell:
                "disfit lhapdf copy {input} --config-json {params.config:q} --out {output}"
                " > {log} 2>&1"

        # `snakemake ship_theory`: refresh resources/theory/<id>/ from this run's tables and
        # resources/evolution/<id>/ from its operator
        rule ship_theory:
            input:
                rules.ship_theory_tables.output,
                rules.ship_lhapdf_operator.output,
