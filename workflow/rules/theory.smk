# Theory stage: FK tables in disfit's Parquet format, imported from PineAPPL files or pickles.


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
