"""yadism coefficient arrays of one FK table (npz, with a JSON header), between the
`theory coefficients` and `theory fktable` jobs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path


def save_coefficients(path: str | Path, arrays: Mapping[str, np.ndarray], **meta: Any) -> None:
    """Write coefficient arrays (npz) atomically; `meta` goes in as a JSON string."""
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        np.savez_compressed(stream, meta=np.array(json.dumps(meta)), **arrays)


def load_coefficients(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        with np.load(path) as content:
            arrays = {k: content[k] for k in content.files if k != "meta"}
            meta = json.loads(str(content["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise DisfitError(
            f"{path}: not a disfit coefficient file ({exc}); rerun the theory"
        ) from None
    return arrays, meta
