# Closure test (`snakemake closure`, with a closure section in the config): data from a known
# PDF, `closure.fits` fits each to its own level-1 shift, postfit, NNPDF's estimators and a report.

if "closure" in config:
    CLOSURE = config["closure"]
    CLOSURE_DIR = f"{RUN}/closure"
    # (first, last) replica numbers of each job of a closure fit
    CLOSURE_BATCHES = [
        (first, min(first + FIT["replicas_per_job"] - 1, CLOSURE["replicas"]))
        for first in range(1, CLOSURE["replicas"] + 1, FIT["replicas_per_job"])
    ]

    # each closure fit's data (law, level-1 shift), a file per fit
    CLOSURE_DATA = f"{CLOSURE_DIR}/data/fit_{{fit}}.parquet"

    for fit in range(1, CLOSURE["fits"] + 1):

        rule:
            name:
                f"closure_data_{fit}"
            input:
                **fit_inputs(),
            output:
                CLOSURE_DATA.format(fit=fit),
            log:
                f"{CLOSURE_DIR}/logs/data/fit_{fit}.log",
            benchmark:
                f"{CLOSURE_DIR}/benchmarks/data/fit_{fit}.tsv"
            conda:
                "../../envs/disfit.yaml"
            params:
                # the data depend on the law, level and filterseed, not on the fit's settings
                config=config_json("datasets", "theory", "closure"),
                inputs=fit_arguments(),
                fit=fit,
            shell:
                "disfit closure data --config-json {params.config:q} {params.inputs}"
                " --fit {params.fit} --out {output} > {log} 2>&1"

        for first, last in CLOSURE_BATCHES:

            rule:
                name:
                    f"closure_fit_{fit}_{first}_{last}"
                input:
                    **fit_inputs(),
                    closure=CLOSURE_DATA.format(fit=fit),
                output:
                    [
                        directory(f"{CLOSURE_DIR}/fit_{fit}/replica_{k}")
                        for k in range(first, last + 1)
                    ],
                log:
                    f"{CLOSURE_DIR}/logs/fit_{fit}/replicas_{first}-{last}.log",
                benchmark:
                    f"{CLOSURE_DIR}/benchmarks/fit_{fit}/replicas_{first}-{last}.tsv"
                conda:
                    "../../envs/disfit.yaml"
                threads: FIT["threads_per_job"]
                resources:
                    mem_mb=fit_memory(last - first + 1),
                    runtime=fit_runtime(last - first + 1),
                params:
                    config=config_json("fit", "datasets", "theory", "closure"),
                    inputs=fit_arguments(),
                    replicas=f"{first}-{last}",
                    fit=fit,
                    outdir=lambda w, output: os.path.dirname(output[0]),
                shell:
                    "disfit fit --config-json {params.config:q} {params.inputs}"
                    " --closure {input.closure} --closure-fit {params.fit}"
                    " --replicas {params.replicas} --threads {threads} --outdir {params.outdir} > {log} 2>&1"

        rule:
            name:
                f"closure_postfit_{fit}"
            input:
                expand(f"{CLOSURE_DIR}/fit_{fit}/replica_{{k}}", k=range(1, CLOSURE["replicas"] + 1)),
            output:
                directory(f"{CLOSURE_DIR}/postfit_{fit}"),
            log:
                f"{CLOSURE_DIR}/logs/postfit_{fit}.log",
            benchmark:
                f"{CLOSURE_DIR}/benchmarks/postfit_{fit}.tsv"
            conda:
                "../../envs/disfit.yaml"
            params:
                config=config_json("postfit", "datasets", "theory"),
                fit_dir=lambda w, input: os.path.dirname(input[0]),
            shell:
                "disfit postfit --config-json {params.config:q} --fit-dir {params.fit_dir}"
                " --outdir {output} > {log} 2>&1"

    rule closure:
        input:
            **fit_inputs(),
            closure=expand(CLOSURE_DATA, fit=range(1, CLOSURE["fits"] + 1)),
            postfit=expand(f"{CLOSURE_DIR}/postfit_{{fit}}", fit=range(1, CLOSURE["fits"] + 1)),
            fits=expand(
                f"{CLOSURE_DIR}/fit_{{fit}}/replica_{{k}}",
                fit=range(1, CLOSURE["fits"] + 1),
                k=range(1, CLOSURE["replicas"] + 1),
            ),
        output:
            estimators=f"{CLOSURE_DIR}/estimators.json",
            html=f"{CLOSURE_DIR}/report/index.html",
            figures=report(
                directory(f"{CLOSURE_DIR}/report/figures"),
                patterns=["{name}.png"],
                caption="../report/closure.rst",
                category="Closure test",
            ),
        log:
            f"{CLOSURE_DIR}/logs/report.log",
        benchmark:
            f"{CLOSURE_DIR}/benchmarks/report.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("fit", "datasets", "theory", "closure", report=True),
            inputs=fit_arguments(),
            benchmarks=f"{CLOSURE_DIR}/benchmarks",
            fit_dirs=expand(f"{CLOSURE_DIR}/fit_{{fit}}", fit=range(1, CLOSURE["fits"] + 1)),
            outdir=lambda w, output: os.path.dirname(output.html),
        shell:
            "disfit closure report --config-json {params.config:q} {params.inputs}"
            " --closure-data {input.closure} --postfit-dirs {input.postfit}"
            " --fit-dirs {params.fit_dirs}"
            " --estimators {output.estimators} --benchmarks {params.benchmarks}"
            " --outdir {params.outdir} > {log} 2>&1"
