# Comparison with a reference fit (vp-comparefits) and the fit in n3fit's layout for validphys.

if "compare" in config:

    rule compare:
        input:
            unpack(report_inputs),
            reference=config["compare"]["reference"],
        output:
            html=f"{RUN}/compare/index.html",
            figures=report(
                directory(f"{RUN}/compare/figures"),
                patterns=["{name}.png"],
                caption="../report/compare.rst",
                category="Comparison",
            ),
        log:
            f"{RUN}/logs/compare.log",
        benchmark:
            f"{RUN}/benchmarks/compare.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("run_name", "datasets", "fit", "theory", "compare"),
            inputs=fit_arguments(),
            current=lambda w, input: os.path.dirname(input.postfit),
            outdir=lambda w, output: os.path.dirname(output.html),
        shell:
            "disfit compare --config-json {params.config:q} --current {params.current}"
            " --reference {input.reference} {params.inputs} --outdir {params.outdir} > {log} 2>&1"


# The fit in n3fit's layout for validphys: `snakemake n3fit` with n3fit.theoryid set.
if SOURCE == "theory":

    rule n3fit:
        input:
            postfit=rules.postfit.output[0],
            lhapdf=rules.lhapdf.output[0],
            data=data_tables(),
        output:
            directory(f"{RUN}/n3fit"),
        log:
            f"{RUN}/logs/n3fit.log",
        benchmark:
            f"{RUN}/benchmarks/n3fit.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("run_name", "datasets", "fit", "cuts", "n3fit"),
            run_dir=lambda w, input: os.path.dirname(input.postfit),
        shell:
            "disfit export n3fit --config-json {params.config:q} --run-dir {params.run_dir}"
            " --outdir {output} > {log} 2>&1"


# Iterated fits from this one (vp-nextfitruncard, fit, again) until stable: `snakemake iterate`.
if SOURCE == "theory":

    rule iterate:
        input:
            report=rules.report.output.html,
            lhapdf=rules.lhapdf.output[0],
        output:
            directory(f"{RUN}/iterations"),
        log:
            f"{RUN}/logs/iterate.log",
        benchmark:
            f"{RUN}/benchmarks/iterate.tsv"
        conda:
            "../../envs/disfit.yaml"
        threads: workflow.cores
        params:
            # the whole config: each iteration's is the next_config of it
            config=config_json(*[key for key in config if key != "compare"]),
        shell:
            "disfit iterate --config-json {params.config:q} --outdir {output}"
            " --cores {threads} > {log} 2>&1"
