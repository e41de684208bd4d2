"""Dataset observables from FK tables: n3fit's operations combining a dataset's operands."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from disfit.errors import DisfitError
from disfit.io.fktable import FKTable

#: Dataset operations combining the FK-table operands (n3fit's `operations`).
OPERATIONS: dict[str, Callable[..., np.ndarray]] = {
    "NULL": lambda a: a,
    "ADD": lambda a, b: a + b,
    "RATIO": lambda a, b: a / b,
    "ASY": lambda a, b: (a - b) / (a + b),
    "SMN": lambda a, b, c, d: (a + b) / (c + d),
    "SMT": lambda *a: sum(a),
}


def dataset_predictions(
    operands: Sequence[Sequence[FKTable]], operation: str, xf: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Predictions of a dataset: each operand concatenates its FK tables along data, then
    `operation` combines the operands (NULL, ADD, RATIO, ASY, SMN, SMT)."""
    if operation not in OPERATIONS:
        raise DisfitError(
            f"operation {operation!r} is not supported; use one of {', '.join(OPERATIONS)}"
        )
    parts = [np.concatenate([fk.predict_fn(xf) for fk in operand]) for operand in operands]
    try:
        return OPERATIONS[operation](*parts)
    except TypeError:
        raise DisfitError(
            f"operation {operation} cannot take {len(parts)} FK-table operands"
        ) from None
