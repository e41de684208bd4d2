"""yadism coefficient arrays of one FK table (npz, with a JSON header), between the
`theory coefficients` and `theory fktable` jobs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


def load_coefficient_parts(
    paths: Sequence[str | Path],
) -> dict[int | None, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """The coefficient arrays of one FK table from the files of its parts (any order), per
    FONLL part (the key None for a single-scheme theory): the points joined in part order, the
    orders united (an order a part lacks is zero there)."""
    loaded = [load_coefficients(p) for p in paths]
    groups: dict[int | None, list] = {}
    for arrays, meta in loaded:
        groups.setdefault(meta.get("fonll"), []).append((arrays, meta))
    if len({meta["fktable"] for _, meta in loaded}) > 1 or (None in groups and len(groups) > 1):
        raise DisfitError(
            f"{', '.join(map(str, paths))}: not the coefficients of one FK table and theory; "
            "rerun the theory"
        )
    return {fonll: _join_parts(group, paths) for fonll, group in sorted(groups.items(), key=str)}


def _join_parts(
    loaded: list[tuple[dict[str, np.ndarray], dict[str, Any]]], paths: Sequence[str | Path]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    loaded.sort(key=lambda item: int(item[1].get("part", 0)))
    metas = [meta for _, meta in loaded]
    parts = int(metas[0].get("parts", 1))
    if [int(m.get("part", 0)) for m in metas] != list(range(parts)) or any(
        m["fktable"] != metas[0]["fktable"] or int(m.get("parts", 1)) != parts for m in metas
    ):
        raise DisfitError(
            f"{', '.join(map(str, paths))}: not the {parts} parts of one FK table's "
            "coefficients; rerun the theory"
        )
    grids = [arrays["xgrid"] for arrays, _ in loaded]
    if any(not np.array_equal(g, grids[0]) for g in grids):
        raise DisfitError(f"{', '.join(map(str, paths))}: parts on different x grids")
    orders = sorted({tuple(o) for arrays, _ in loaded for o in arrays["orders"].tolist()})
    blocks = []
    for arrays, _ in loaded:
        block = np.zeros((len(orders), *arrays["values"].shape[1:]))
        for k, o in enumerate(arrays["orders"].tolist()):
            block[orders.index(tuple(o))] = arrays["values"][k]
        blocks.append(block)
    joined = {
        "orders": np.array(orders, dtype=np.int64).reshape(-1, 4),
        "values": np.concatenate(blocks, axis=1),
        "x": np.concatenate([arrays["x"] for arrays, _ in loaded]),
        "Q2": np.concatenate([arrays["Q2"] for arrays, _ in loaded]),
        "xgrid": grids[0],
    }
    if all("index" in arrays for arrays, _ in loaded):  # rows back in the table's order
        index = np.concatenate([arrays["index"] for arrays, _ in loaded])
        if not np.array_equal(np.sort(index), np.arange(len(index))):
            raise DisfitError(
                f"{', '.join(map(str, paths))}: the parts do not hold every point once; rerun"
            )
        order = np.argsort(index)
        joined.update(
            values=joined["values"][:, order], x=joined["x"][order], Q2=joined["Q2"][order]
        )
    meta = {k: v for k, v in metas[0].items() if k not in ("part", "parts")}
    return joined, meta
