# Report: one self-contained HTML page, its figures registered for `snakemake --report`.


rule report:
    input:
        unpack(report_inputs),
    output:
        html=f"{RUN}/report/index.html",
        figures=report(
            directory(f"{RUN}/report/figures"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Fit",
        ),
    log:
        f"{RUN}/logs/report.log",
    benchmark:
        f"{RUN}/benchmarks/report.tsv"
    conda:
        "../../envs/disfit.yaml"
    # the last job of a run: its figures drawn on all the cores (most of its time)
    threads: workflow.cores
    params:
        # the report shows the whole configuration
        config=config_json("run_name", "datasets", "fit", "postfit", "lhapdf", "theory", "cuts"),
        inputs=fit_arguments(),
        lhapdf=lambda w, input: f"--lhapdf-dir {input.lhapdf}" if "lhapdf" in input.keys() else "",
        outdir=lambda w, output: os.path.dirname(output.html),
        benchmarks=f"{RUN}/benchmarks",
    shell:
        "disfit report --config-json {params.config:q} --postfit-dir {input.postfit}"
        " {params.inputs} {params.lhapdf} --benchmarks {params.benchmarks}"
        " --outdir {params.outdir} --cores {threads} > {log} 2>&1"
