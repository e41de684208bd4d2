# Hyperparameter scan (`snakemake hyperopt`, with a hyperopt section in the config): generations
# of `batch` proposals from Optuna's TPE, each trial one job fitting all folds, the fit's own
# parameters scored the same way, then the trials table, the best trial's config and a report.

if "hyperopt" in config:
    HYPEROPT = config["hyperopt"]
    HYPEROPT_DIR = f"{RUN}/hyperopt"
    HYPEROPT_TRIAL = f"{HYPEROPT_DIR}/trials/trial_{{trial}}.json"
    HYPEROPT_GENERATION = f"{HYPEROPT_DIR}/generations/generation_{{generation}}.json"
    HYPEROPT_ENTRIES = len(HYPEROPT["kfold"]["partitions"]) * HYPEROPT["replicas"]

    rule hyperopt_ask:
        input:
            earlier_trials,
        output:
            HYPEROPT_GENERATION,
        log:
            f"{HYPEROPT_DIR}/logs/generation_{{generation}}.log",
        wildcard_constraints:
            generation=r"\d+",
        conda:
            "../../envs/disfit.yaml"
        params:
            config=config_json("datasets", "hyperopt"),
        shell:
            "disfit hyperopt ask --config-json {params.config:q} --generation {wildcards.generation}"
            " --trials {input} --out {output} > {log} 2>&1"

    rule hyperopt_trial:
        input:
            **fit_inputs(),
            proposals=trial_generation,
        output:
            HYPEROPT_TRIAL,
        log:
            f"{HYPEROPT_DIR}/logs/trials/trial_{{trial}}.log",
        benchmark:
            f"{HYPEROPT_DIR}/benchmarks/trials/trial_{{trial}}.tsv"
        wildcard_constraints:
            trial=r"[1-9][0-9]*",
        conda:
            "../../envs/disfit.yaml"
        threads: 1
        resources:
            mem_mb=fit_memory(HYPEROPT_ENTRIES),
            runtime=fit_runtime(HYPEROPT_ENTRIES),
        params:
            config=config_json("fit", "datasets", "theory", "hyperopt"),
            inputs=fit_arguments(),
        shell:
            "disfit hyperopt trial --config-json {params.config:q} {params.inputs}"
            " --proposals {input.proposals} --trial {wildcards.trial} --threads {threads}"
            " --out {output} > {log} 2>&1"

    rule hyperopt_default:
        input:
            **fit_inputs(),
        output:
            f"{HYPEROPT_DIR}/trials/default.json",
        log:
            f"{HYPEROPT_DIR}/logs/trials/default.log",
        benchmark:
            f"{HYPEROPT_DIR}/benchmarks/trials/default.tsv"
        conda:
            "../../envs/disfit.yaml"
        threads: 1
        resources:
            mem_mb=fit_memory(HYPEROPT_ENTRIES),
            runtime=fit_runtime(HYPEROPT_ENTRIES),
        params:
            config=config_json("fit", "datasets", "theory", "hyperopt"),
            inputs=fit_arguments(),
        shell:
            "disfit hyperopt trial --config-json {params.config:q} {params.inputs}"
            " --threads {threads} --out {output} > {log} 2>&1"

    rule hyperopt:
        input:
            trials=expand(HYPEROPT_TRIAL, trial=range(1, HYPEROPT["trials"] + 1)),
            default=rules.hyperopt_default.output[0],
        output:
            table=f"{HYPEROPT_DIR}/trials.parquet",
            best=f"{HYPEROPT_DIR}/best.yaml",
            html=f"{HYPEROPT_DIR}/report/index.html",
            figures=report(
                directory(f"{HYPEROPT_DIR}/report/figures"),
                patterns=["{name}.png"],
                caption="../report/hyperopt.rst",
                category="Hyperopt",
            ),
        log:
            f"{HYPEROPT_DIR}/logs/report.log",
        benchmark:
            f"{HYPEROPT_DIR}/benchmarks/report.tsv"
        conda:
            "../../envs/disfit.yaml"
        params:
            # the whole config: the best trial's config is this one with its parameters
            config=config_json(*(k for k in config if k != "closure"), report=True),
            outdir=lambda w, output: os.path.dirname(output.html),
        shell:
            "disfit hyperopt report --config-json {params.config:q} --trials {input.trials}"
            " --default {input.default} --table {output.table} --best {output.best}"
            " --outdir {params.outdir} > {log} 2>&1"
