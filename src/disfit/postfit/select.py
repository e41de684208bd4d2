"""`disfit postfit`: the replicas of a fit that pass the vetoes, renumbered, and replica 0 (their
mean), with a veto summary saying which replica failed which check."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io.atomic import atomic_dir
from disfit.io.replica import (
    EVOLUTION_FILE,
    FLAVOUR_FILE,
    JSON_FILE,
    read_json,
    read_replica_grid,
    replica_folders,
    write_replica_grids,
)
from disfit.postfit.vetoes import determine_vetoes

log = logging.getLogger("disfit")

REQUIRED_KEYS = ("chi2", "arc_lengths", "integrability", "pos_state")


def read_replicas(fit_dir: Path) -> tuple[list[int], list[dict[str, Any]], dict[int, str]]:
    """(replica numbers, JSON contents, {replica: why skipped}) of the replica folders in
    `fit_dir`, in replica order; unreadable or incomplete replicas are skipped with a reason."""
    found = replica_folders(fit_dir)
    numbers, contents, skipped = [], [], {}
    for k, folder in found:
        try:
            content = read_json(folder)
            missing = [key for key in REQUIRED_KEYS if key not in content]
            if missing:
                raise DisfitError(f"{folder / JSON_FILE}: lacks {missing}")
            for name in (EVOLUTION_FILE, FLAVOUR_FILE):
                read_replica_grid(folder / name)
        except DisfitError as exc:
            skipped[k] = str(exc)
            log.warning("replica %d skipped: %s", k, exc)
            continue
        numbers.append(k)
        contents.append(content)
    return numbers, contents, skipped


def postfit(
    fit_dir: str | Path, outdir: str | Path, settings: Mapping[str, Any], q0: float
) -> dict[str, Any]:
    """Select replicas and write outdir/{replica_0..N, veto_count.json, vetoes.tsv}."""
    fit_dir, outdir = Path(fit_dir), Path(outdir)
    thresholds = {
        "chi2": float(settings["chi2_nsigma"]),
        "arclength": float(settings["arclength_nsigma"]),
        "integrability": float(settings["integrability"]),
    }
    numbers, contents, skipped = read_replicas(fit_dir)
    if not contents:
        raise DisfitError(f"{fit_dir}: no readable replica folders; run the fit first")
    vetoes = determine_vetoes(contents, thresholds)
    passing = [k for k, ok in zip(numbers, vetoes["Total"], strict=True) if ok]
    wanted = settings.get("replicas") or max(len(passing), 1)
    if len(passing) < wanted:
        removed = {key: int((~mask).sum()) for key, mask in vetoes.items() if key != "Total"}
        worst = ", ".join(f"{k}: {v}" for k, v in sorted(removed.items(), key=lambda i: -i[1]) if v)
        raise DisfitError(
            f"postfit: {len(passing)} of {len(numbers)} replicas pass, {wanted} requested "
            f"(replicas removed by {worst or 'nothing'}; {len(skipped)} unreadable); fit more "
            "replicas or lower postfit.replicas"
        )
    selected = passing[:wanted]
    summary = {
        "thresholds": thresholds,
        "replicas_fitted": numbers,
        "skipped": {str(k): why for k, why in skipped.items()},
        "vetoes": {key: [bool(v) for v in mask] for key, mask in vetoes.items()},
        "passing": passing,
        "selected": selected,
    }
    with atomic_dir(outdir) as tmp:
        grids = []
        for new, k in enumerate(selected, start=1):
            source, target = fit_dir / f"replica_{k}", tmp / f"replica_{new}"
            target.mkdir()
            for name in (EVOLUTION_FILE, FLAVOUR_FILE, JSON_FILE):
                shutil.copyfile(source / name, target / name)
            grids.append(read_replica_grid(source / EVOLUTION_FILE)[1])
        write_replica_grids(
            tmp / "replica_0", np.mean(grids, axis=0), q0, {"replica": 0, "mean_of": selected}
        )
        (tmp / "veto_count.json").write_text(json.dumps(summary, indent=1) + "\n")
        columns = {"replica": pa.array(numbers, pa.int64())}
        columns.update({key: pa.array([bool(v) for v in m]) for key, m in vetoes.items()})
        table = pa.table(columns).to_pandas()
        table["selected_as"] = [selected.index(k) + 1 if k in selected else 0 for k in numbers]
        table.to_csv(tmp / "vetoes.tsv", sep="\t", index=False)
    log.info(
        "postfit: %d of %d replicas pass, %d selected → %s",
        len(passing),
        len(numbers),
        len(selected),
        outdir,
    )
    return summary


def postfit_from_config(config: Mapping[str, Any], fit_dir: Path, outdir: Path) -> dict[str, Any]:
    """`disfit postfit` with the config's postfit settings and the theory's Q0."""
    from disfit.theory.card import theory_card

    q0 = float(theory_card(config["theory"])["Q0"])
    return postfit(fit_dir, outdir, config["postfit"], q0)
