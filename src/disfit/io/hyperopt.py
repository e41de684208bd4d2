"""A hyperopt scan's files: each generation's proposals and each trial's record (JSON, written
once, atomically), and the table of all trials (Parquet) the report and the best config read
(docs/formats.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path
from disfit.io.parquet import read_parquet, write_parquet

PROPOSALS = "disfit.hyperopt_proposals"
TRIAL = "disfit.hyperopt_trial"
TABLE = "disfit.hyperopt_trials"
SCHEMA_VERSION = 1
#: what a trial record must hold
TRIAL_KEYS = ("number", "params", "distributions", "loss", "status", "fold_losses", "folds", "fit")


def _write(path: str | Path, schema: str, content: Mapping[str, Any]) -> None:
    header = {"schema": schema, "schema_version": SCHEMA_VERSION}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({**header, **content}, indent=1) + "\n")


def _read(path: str | Path, schema: str, fix: str) -> dict[str, Any]:
    path = Path(path)
    try:
        content = json.loads(path.read_text())
    except FileNotFoundError:
        raise DisfitError(f"{path}: missing; {fix}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DisfitError(f"{path}: not a readable JSON file ({exc}); {fix}") from None
    if not isinstance(content, dict) or content.get("schema") != schema:
        raise DisfitError(f"{path}: not a {schema} file; {fix}")
    if content.get("schema_version") != SCHEMA_VERSION:
        raise DisfitError(
            f"{path}: {schema} version {content.get('schema_version')}, this disfit reads "
            f"version {SCHEMA_VERSION}; {fix}"
        )
    return content


def write_proposals(path: str | Path, proposals: Sequence[Mapping[str, Any]]) -> None:
    _write(path, PROPOSALS, {"proposals": list(proposals)})


def read_proposal(path: str | Path, number: int) -> dict[str, Any]:
    """Trial `number`'s proposal from its generation's file."""
    fix = "delete it and rerun `snakemake hyperopt`"
    for proposal in _read(path, PROPOSALS, fix)["proposals"]:
        if proposal.get("number") == number:
            return proposal
    raise DisfitError(f"{path}: holds no proposal of trial {number}; {fix}")


def write_trial(path: str | Path, record: Mapping[str, Any]) -> None:
    _write(path, TRIAL, record)


def read_trial(path: str | Path) -> dict[str, Any]:
    """A trial record, checked to hold what the sampler and the report read."""
    fix = "delete it and rerun `snakemake hyperopt` (the trial is fitted again)"
    record = _read(path, TRIAL, fix)
    missing = [key for key in TRIAL_KEYS if key not in record]
    if missing:
        raise DisfitError(f"{path}: trial record without {', '.join(missing)}; {fix}")
    loss = record["loss"]
    if loss is not None and not (isinstance(loss, int | float) and math.isfinite(loss)):
        raise DisfitError(f"{path}: trial loss {loss!r} is not a number or null; {fix}")
    return record


def trials_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per trial: number, status, loss, each fold's loss, the hyperparameters as the fit
    section has them, the per-fold means of the penalties, the work and time it took."""
    rows = []
    for r in records:
        fit = r["fit"]
        optimizer = fit["optimizer"]
        nodes = list(fit["nodes_per_layer"])
        row = {
            "number": int(r["number"]),
            "generation": int(r.get("generation", -1)),
            "status": r["status"],
            "loss": math.nan if r["loss"] is None else float(r["loss"]),
            "optimizer": optimizer["optimizer_name"],
            "learning_rate": float(optimizer["learning_rate"]),
            "clipnorm": math.nan if optimizer["clipnorm"] is None else float(optimizer["clipnorm"]),
            "epochs": int(fit["epochs"]),
            "stopping_patience": float(fit["stopping_patience"]),
            "number_of_layers": len(nodes) - 1,
            "nodes_per_layer": "-".join(map(str, nodes)),
            "activation": fit["activation_per_layer"][0],
            "initializer": fit["initializer"],
            "positivity_initial": float(fit["positivity_initial"] or math.nan),
            "integrability_initial": float(fit["integrability_initial"] or math.nan),
            "seconds": float(r["seconds"]["total"]),
            "replica_epochs": int(r["replica_epochs"]),
        }
        for k, fold in enumerate(r["folds"]):
            row[f"fold_{k + 1}_loss"] = (
                float(r["fold_losses"][k]) if k < len(r["fold_losses"]) else math.nan
            )
            row[f"fold_{k + 1}_held_out_chi2"] = float(
                sum(fold["held_out"]) / len(fold["held_out"])
            )
            for name, values in fold["penalties"].items():
                row[f"fold_{k + 1}_{name}"] = float(sum(values) / len(values))
        row["chi2exp_fitted"] = sum(f["chi2exp_fitted"] for f in r["folds"]) / len(r["folds"])
        rows.append(row)
    return pd.DataFrame(rows)


def write_trials_table(path: str | Path, frame: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    write_parquet(
        path, pa.Table.from_pandas(frame, preserve_index=False), TABLE, SCHEMA_VERSION, dict(meta)
    )


def read_trials_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    columns = {"number": pa.int64(), "status": pa.string(), "loss": pa.float64()}
    table, header = read_parquet(path, TABLE, SCHEMA_VERSION, columns)
    return table.to_pandas(), header
