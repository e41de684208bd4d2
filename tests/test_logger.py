"""The Snakemake logger's reading of a fit job's progress from its log."""

from snakemake_logger_plugin_disfit import fit_progress


def test_fit_progress_counts_the_chunks_done():
    assert fit_progress("fit of 3089 points, replicas [1, 2]\n") is None
    # a hyperopt trial: one batch
    assert fit_progress("trial 3: epoch 500/17000\ntrial 3: epoch 1000/17000\n") == (1000, 17000)
    log = (
        "replicas 1-50, chunk 1/5: epoch 500/17000\n"
        "replicas 1-50, chunk 1/5: epoch 12000/17000\n"  # its replicas stopped at 12000
        "replicas 1-50, chunk 2/5: epoch 500/17000\n"
    )
    assert fit_progress(log) == (17000 + 500, 5 * 17000)
