# Theory stage: FK tables made here (yadism coefficients ⊗ one eko per theory), or imported
# from PineAPPL files or n3fit pickles.

if config["fktables"]["source"] == "theory":

    # copies and reshuffles of tables: on a cluster they run in the main job, not as jobs
    localrules:
        theory_select,
        theory_operator,
        theory_dataset,
        export_theory,

    rule theory_coefficients:
        output:
            f"{THEORY}/coefficients/{{fktable}}.npz",
        log:
            f"{RUN}/logs/theory/coefficients_{{fktable}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/coefficients_{{fktable}}.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            theory=THEORY_JSON,
            dataset=lambda w: (
                f"--dataset {FKTABLE_DATASET[w.fktable]}"
                if w.fktable in FKTABLE_DATASET
                else ""
            ),
        shell:
            "disfit theory coefficients --theory '{params.theory}' --fktable {wildcards.fktable}"
            " {params.dataset} --out {output} > {log} 2>&1"

    rule theory_eko:
        output:
            f"{THEORY}/eko/part{{part}}.tar",
        log:
            f"{RUN}/logs/theory/eko_part{{part}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/eko_part{{part}}.tsv"
        priority: 50
        conda:
            "../../envs/disfit.yaml"
        resources:
            mem_mb=4000,
        params:
            theory=THEORY_JSON,
            datasets=" ".join(
                FKTABLE_DATASET[fks[0]] for fks in DATASET_FKTABLES.values()
            ),
            parts=EKO_PARTS,
        shell:
            "disfit theory eko --theory '{params.theory}' --datasets {params.datasets}"
            " --part {wildcards.part} --parts {params.parts} --out {output} > {log} 2>&1"

    rule theory_fktable:
        input:
            coefficients=f"{THEORY}/coefficients/{{fktable}}.npz",
            eko=EKO_FILES,
        output:
            f"{THEORY}/computed/fktables/{{fktable}}.parquet",
        log:
            f"{RUN}/logs/theory/fktable_{{fktable}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/fktable_{{fktable}}.tsv"
        conda:
            "../../envs/disfit.yaml"
        resources:
            mem_mb=4000,
        params:
            theory=THEORY_JSON,
        shell:
            "disfit theory fktable --theory '{params.theory}' --coefficients {input.coefficients}"
            " --eko {input.eko} --out {output} > {log} 2>&1"

    rule theory_lagrange:
        input:
            EKO_FILES,
        output:
            expand(f"{THEORY}/computed/lagrange/{{name}}.parquet", name=LAGRANGE),
        log:
            f"{RUN}/logs/theory/lagrange.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            theory=THEORY_JSON,
            outdir=lambda w, output: os.path.dirname(output[0]),
        shell:
            "disfit theory lagrange --theory '{params.theory}' --eko {input}"
            " --outdir {params.outdir} > {log} 2>&1"

    rule theory_eko_lhapdf:
        output:
            f"{THEORY}/eko_lhapdf/part{{part}}.tar",
        log:
            f"{RUN}/logs/theory/eko_lhapdf_part{{part}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/eko_lhapdf_part{{part}}.tsv"
        conda:
            "../../envs/disfit.yaml"
        resources:
            mem_mb=5000,  # measured: 4.4 GB per part
        params:
            theory=THEORY_JSON,
            parts=EKO_PARTS,
        shell:
            "disfit theory eko-lhapdf --theory '{params.theory}' --part {wildcards.part}"
            " --parts {params.parts} --out {output} > {log} 2>&1"

    rule theory_evolution:
        input:
            expand(f"{THEORY}/eko_lhapdf/part{{part}}.tar", part=range(EKO_PARTS)),
        output:
            f"{THEORY}/computed/evolution/lhapdf_operator.parquet",
        log:
            f"{RUN}/logs/theory/evolution.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            theory=THEORY_JSON,
        shell:
            "disfit theory evolution --theory '{params.theory}' --eko {input} --out {output}"
            " > {log} 2>&1"

    rule theory_select:
        input:
            expand(f"{THEORY_SOURCE}/{{table}}.parquet", table=THEORY_TABLES),
        output:
            expand(f"{THEORY}/{{table}}.parquet", table=THEORY_TABLES),
        log:
            f"{RUN}/logs/theory/select.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            theory=THEORY_JSON,
            outdir=lambda w, output: os.path.commonpath(output),
        shell:
            "disfit theory copy {input} --theory '{params.theory}' --out {params.outdir}"
            " > {log} 2>&1"

    # apart from the tables: a theory that is not shipped computes it only for an LHAPDF set
    use rule theory_select as theory_operator with:
        input:
            f"{THEORY_SOURCE}/evolution/lhapdf_operator.parquet",
        output:
            f"{THEORY}/evolution/lhapdf_operator.parquet",
        params:
            theory=THEORY_JSON,
            outdir=lambda w, output: output[0],  # one file: copied onto that name
        log:
            f"{RUN}/logs/theory/select_operator.log",

    if config["theory"]["regenerate"]:

        rule ship_theory:
            input:
                expand(
                    f"{THEORY}/computed/fktables/{{fk}}.parquet",
                    fk=[*FKTABLE_DATASET, *POSITIVITY_STRUCTURE_FUNCTIONS],
                ),
                expand(f"{THEORY}/computed/lagrange/{{name}}.parquet", name=LAGRANGE),
                f"{THEORY}/computed/evolution/lhapdf_operator.parquet",
            output:
                directory(SHIPPED),
            log:
                f"{RUN}/logs/theory/ship.log",
            conda:
                "../../envs/disfit.yaml"
            params:
                theory=THEORY_JSON,
            shell:
                "disfit theory copy {input} --theory '{params.theory}' --out {output} > {log} 2>&1"

    rule theory_dataset:
        input:
            data=f"{RUN}/data/{{dataset}}.parquet",
            fktables=lambda w: expand(
                f"{THEORY}/fktables/{{fk}}.parquet", fk=DATASET_FKTABLES[w.dataset]
            ),
        output:
            directory(f"{RUN}/fktables/{{dataset}}"),
        log:
            f"{RUN}/logs/fktables/{{dataset}}.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            folder=lambda w, input: os.path.dirname(input.fktables[0]),
        shell:
            "disfit theory dataset --data-table {input.data} --theory-fktables {params.folder}"
            " --outdir {output} > {log} 2>&1"

    rule export_theory:
        input:
            fktables=expand(
                f"{THEORY}/fktables/{{fk}}.parquet",
                fk=[*FKTABLE_DATASET, *POSITIVITY_STRUCTURE_FUNCTIONS],
            ),
            lagrange=expand(f"{THEORY}/lagrange/{{name}}.parquet", name=LAGRANGE),
        output:
            directory(f"{THEORY}/theory_disfit"),
        log:
            f"{RUN}/logs/theory/export.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            folder=lambda w, input: os.path.dirname(input.fktables[0]),
            lagrange=lambda w, input: os.path.dirname(input.lagrange[0]),
        shell:
            "disfit export-theory {params.folder} {params.lagrange} --out {output} > {log} 2>&1"


if config["fktables"]["source"] == "pineappl":

    rule import_pineappl:
        input:
            f"{RUN}/data/{{dataset}}.parquet",
        output:
            directory(f"{RUN}/fktables/{{dataset}}"),
        log:
            f"{RUN}/logs/fktables/{{dataset}}.log",
        conda:
            "../../envs/disfit.yaml"
        params:
            theory_folder=config["fktables"].get("theory_folder", ""),
        shell:
            "disfit import pineappl --theory-folder {params.theory_folder}"
            " --data-table {input} --outdir {output} > {log} 2>&1"


rule import_pickles:
    input:
        experiments=config.get("pickles", {}).get("experiments", []),
        positivity=config.get("pickles", {}).get("positivity", []),
        integrability=config.get("pickles", {}).get("integrability", []),
    output:
        directory(f"{RUN}/pickles"),
    log:
        f"{RUN}/logs/import_pickles.log",
    conda:
        "../../envs/disfit.yaml"
    params:
        optional=lambda wildcards, input: " ".join(
            f"--{kind} {input[kind]}"
            for kind in ("positivity", "integrability")
            if input[kind]
        ),
    shell:
        "disfit import pickles --experiments {input.experiments} {params.optional}"
        " --outdir {output} > {log} 2>&1"
