"""Threads of the fit: BLAS's for its float64 linear algebra, fixed so that replicas never depend
on the machine's cores, and TensorFlow's, set from the job's threads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from threadpoolctl import threadpool_limits

#: BLAS threads of the fit's float64 linear algebra (covariance and t0 Cholesky factors, one QR
#: per replica). OpenBLAS's results depend on its thread count in the last bits, so the count
#: is fixed here, not taken from the scheduler (Snakemake sets OMP_NUM_THREADS to a job's
#: threads, which --cores scales down): the same config gives the same replicas on any cores.
#: One: faster than two for the per-replica QRs of these sizes (50 replicas: 3.5 s against
#: 6.2 s), and two jobs at once on 2 cores no longer oversubscribe them (32 s with two each).
BLAS_THREADS = 1


def fixed_blas_threads(function: Callable) -> Callable:
    """Run `function` with BLAS_THREADS BLAS threads (threadpoolctl), whatever the environment."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


def tensorflow_threads(threads: int | None) -> None:
    """Run TensorFlow's (and XLA's) operations on `threads` threads, one operation at a time;
    None keeps TensorFlow's default (all cores). A replica's numbers are the same bits on any
    count (measured on the default fit, 1 and 2 threads: benchmarks/fit_timing.py's layouts)."""
    if threads is None:
        return
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    tf.config.threading.set_inter_op_parallelism_threads(1)
