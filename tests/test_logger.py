"""The Snakemake logger's reading of a fit job's progress from its log."""

from snakemake_logger_plugin_disfit import fit_progress


def test_fit_progress_counts_the_replicas_trained():
    assert fit_progress("fit of 3089 points, replicas [1, 2]\n") is None
    # a hyperopt trial: one batch
    assert fit_progress("trial 3: epoch 500/17000\ntrial 3: epoch 1000/17000\n") == (1000, 17000)
    log = "replicas 1-50: 2/50 trained\nreplicas 1-50: 3/50 trained\n"
    assert fit_progress(log) == (3, 50)
