# Theory stage: FK tables made here (yadism coefficients ⊗ one eko per theory, or the tables
# shipped for this theory in resources/theory/<id>/), or imported from PineAPPL files or n3fit
# pickles. Positivity and integrability sets: disfit.constraints.
from disfit.constraints import INTEGRABILITY, POSITIVITY_PDFS, POSITIVITY_STRUCTURE_FUNCTIONS
from disfit.theory.card import theory_id
from disfit.theory.coefficients import fktable_datasets

THEORY = f"{RUN}/theory"
SHIPPED = f"resources/theory/{theory_id(config['theory'])}"
USE_SHIPPED = os.path.isdir(SHIPPED) and not config["theory"]["regenerate"]
# where the theory's tables come from: shipped, or computed in this run
THEORY_SOURCE = SHIPPED if USE_SHIPPED else f"{THEORY}/computed"
EKO_FILES = expand(f"{THEORY}/eko/part{{part}}.tar", part=range(config["theory"]["eko_parts"]))
# FK table → the configured dataset whose kinematics it holds (from nnpdf_data's metadata)
FKTABLE_DATASET = fktable_datasets(config["datasets"]) if SOURCE == "theory" else {}
# the theory's tables as <kind>/<name>: data and positivity structure functions from yadism,
# positivity x·f and integrability from the operator alone
COMPUTED_FKTABLES = [*FKTABLE_DATASET, *POSITIVITY_STRUCTURE_FUNCTIONS]
THEORY_TABLES = [
    *(f"fktables/{fk}" for fk in FKTABLE_DATASET),
    *(f"positivity/{name}" for name in [*POSITIVITY_STRUCTURE_FUNCTIONS, *POSITIVITY_PDFS]),
    *(f"integrability/{name}" for name in INTEGRABILITY),
]


if SOURCE == "theory":

    rule theory_coefficients:
        output:
            f"{THEORY}/coefficients/{{fktable}}/part{{job}}.npz",
        log:
            f"{RUN}/logs/theory/coefficients_{{fktable}}_part{{job}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/coefficients_{{fktable}}_part{{job}}.tsv"
        wildcard_constraints:
            fktable="[^/]+",
            job="[0-9]+([.][0-9]+)?",
        conda:
            "../../envs/disfit.yaml"
        threads: 1
        resources:
            runtime=60,
        params:
            # a dataset's table reads that dataset's kinematics; a positivity one, none
            config=lambda w: (
                config_json("theory", datasets=[FKTABLE_DATASET[w.fktable][0]])
                if w.fktable in FKTABLE_DATASET
                else config_json("theory")
            ),
            job=yadism_job_arguments,
        shell:
            "disfit theory coefficients --config-json {params.config:q}"
            " --fktable {wildcards.fktable} {params.job} --out {output} > {log} 2>&1"

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
        threads: 1
        resources:
            mem_mb=4000,
            runtime=120,
        params:
            config=config_json("theory", "datasets"),
            parts=config["theory"]["eko_parts"],
        shell:
            "disfit theory eko --config-json {params.config:q} --part {wildcards.part}"
            " --parts {params.parts} --out {output} > {log} 2>&1"

    rule theory_fktable:
        input:
            coefficients=lambda w: expand(
                rules.theory_coefficients.output[0],
                fktable=w.fktable,
                job=yadism_jobs(w.fktable),
            ),
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
            config=config_json("theory"),
        shell:
            "disfit theory fktable --config-json {params.config:q}"
            " --coefficients {input.coefficients} --eko {input.eko} --out {output} > {log} 2>&1"

    # the positivity structure functions are FK tables of yadism's, kept with the other sets
    use rule theory_fktable as theory_positivity_fktable with:
        output:
            f"{THEORY}/computed/positivity/{{fktable}}.parquet",
        log:
            f"{RUN}/logs/theory/fktable_{{fktable}}.log",
        benchmark:
            f"{RUN}/benchmarks/theory/fktable_{{fktable}}.tsv"
        wildcard_constraints:
            fktable="|".join(POSITIVITY_STRUCTURE_FUNCTIONS),

    rule theory_constraints:
        input:
            EKO_FILES,
        output:
            positivity=expand(
                f"{THEORY}/computed/positivity/{{name}}.parquet", name=POSITIVITY_PDFS
            ),
            integrability=expand(
                f"{THEORY}/computed/integrability/{{name}}.parquet", name=INTEGRABILITY
            ),
        log:
            f"{RUN}/logs/theory/constraints.log",
        benchmark:
            f"{RUN}/benchmarks/theory/constraints.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("theory"),
            positivity=lambda w, output: os.path.dirname(output.positivity[0]),
            integrability=lambda w, output: os.path.dirname(output.integrability[0]),
        shell:
            "disfit theory constraints --config-json {params.config:q} --eko {input}"
            " --positivity {params.positivity} --integrability {params.integrability}"
            " > {log} 2>&1"

    # copies and reshuffles of tables: on a cluster they run in the main job, not as jobs
    rule theory_select:
        input:
            expand(f"{THEORY_SOURCE}/{{table}}.parquet", table=THEORY_TABLES),
        output:
            expand(f"{THEORY}/{{table}}.parquet", table=THEORY_TABLES),
        log:
            f"{RUN}/logs/theory/select.log",
        benchmark:
            f"{RUN}/benchmarks/theory/select.tsv"
        localrule: True
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("theory"),
            outdir=lambda w, output: os.path.commonpath(output),
        shell:
            "disfit theory copy {input} --config-json {params.config:q} --out {params.outdir}"
            " > {log} 2>&1"

    rule theory_dataset:
        input:
            data=rules.data_commondata.output[0],
            fktables=dataset_theory_fktables,
        output:
            directory(f"{RUN}/fktables/{{dataset}}"),
        log:
            f"{RUN}/logs/fktables/{{dataset}}.log",
        benchmark:
            f"{RUN}/benchmarks/fktables/{{dataset}}.tsv"
        localrule: True
        conda:
            "../../envs/disfit.yaml"
        params:
            folder=lambda w, input: os.path.dirname(input.fktables[0]),
        shell:
            "disfit theory dataset --data-table {input.data} --theory-fktables {params.folder}"
            " --outdir {output} > {log} 2>&1"

    rule export_theory:
        input:
            fktables=expand(f"{THEORY}/fktables/{{fk}}.parquet", fk=FKTABLE_DATASET),
            positivity=positivity_tables(),
            integrability=integrability_tables(),
        output:
            directory(f"{THEORY}/theory_disfit"),
        log:
            f"{RUN}/logs/theory/export.log",
        benchmark:
            f"{RUN}/benchmarks/theory/export.tsv"
        localrule: True
        conda:
            "../../envs/disfit.yaml"
        params:
            folders=lambda w, input: " ".join(
                os.path.dirname(input[kind][0])
                for kind in ("fktables", "positivity", "integrability")
            ),
        shell:
            "disfit theory export {params.folders} --out {output} > {log} 2>&1"

    if config["theory"]["regenerate"]:

        rule ship_theory_tables:
            input:
                expand(f"{THEORY}/computed/{{table}}.parquet", table=THEORY_TABLES),
            output:
                directory(f"{SHIPPED}/fktables"),
                directory(f"{SHIPPED}/positivity"),
                directory(f"{SHIPPED}/integrability"),
            log:
                f"{RUN}/logs/theory/ship.log",
            benchmark:
                f"{RUN}/benchmarks/theory/ship.tsv"
            conda:
                "../../envs/disfit.yaml"
            params:
                config=config_json("theory"),
            shell:
                "disfit theory copy {input} --config-json {params.config:q} --out {SHIPPED}"
                " > {log} 2>&1"


if SOURCE == "pineappl":

    rule import_pineappl:
        input:
            rules.data_commondata.output[0],
        output:
            directory(f"{RUN}/fktables/{{dataset}}"),
        log:
            f"{RUN}/logs/fktables/{{dataset}}.log",
        benchmark:
            f"{RUN}/benchmarks/fktables/{{dataset}}.tsv"
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
    benchmark:
        f"{RUN}/benchmarks/import_pickles.tsv"
    conda:
        "../../envs/disfit.yaml"
    params:
        optional=lambda wildcards, input: " ".join(
            f"--{kind} {input[kind]}" for kind in ("positivity", "integrability") if input[kind]
        ),
    shell:
        "disfit import pickles --experiments {input.experiments} {params.optional}"
        " --outdir {output} > {log} 2>&1"
