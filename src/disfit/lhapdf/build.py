"""`disfit lhapdf set`: the postfit replicas evolved with the theory's operator into an LHAPDF
set, plus their Q0 grids as n3fit `.exportgrid` files."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import FLAVOUR_PIDS, flavour_basis, lhapdf_pids
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_dir
from disfit.io.exportgrid import write_n3fit_exportgrid
from disfit.io.lhapdf import Subgrid, set_info, write_info, write_member
from disfit.io.operator import read_operator
from disfit.io.replica import EVOLUTION_FILE, FLAVOUR_FILE, read_replica_grid, replica_folders
from disfit.lhapdf.operator import check_operator, evolve, lhapdf_qgrid
from disfit.theory.card import evolution_id, theory_card, theory_id
from disfit.theory.evolution import strong_coupling

log = logging.getLogger("disfit")


def postfit_members(postfit_dir: Path) -> tuple[list[Path], list[int]]:
    """(replica_0 … replica_N folders, the fit replica each member came from; 0 for the mean)."""
    folders = replica_folders(postfit_dir)
    if not folders or folders[0][0] != 0:
        raise DisfitError(f"{postfit_dir}: no replica_0; run postfit first")
    try:
        selected = json.loads((postfit_dir / "veto_count.json").read_text())["selected"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise DisfitError(
            f"{postfit_dir}/veto_count.json: unreadable ({exc}); rerun postfit"
        ) from None
    if len(selected) != len(folders) - 1:
        raise DisfitError(
            f"{postfit_dir}: {len(folders) - 1} replicas but {len(selected)} "
            "selected in veto_count.json; rerun postfit"
        )
    return [p for _, p in folders], [0, *selected]


def evolve_set(
    postfit_dir: str | Path,
    operator_path: str | Path,
    outdir: str | Path,
    card: Mapping[str, Any],
    theory_id: str,
    name: str,
    evolution_id: str,
) -> dict[str, Any]:
    """Write outdir/<name>/ (the LHAPDF set: member 0 = the mean) and outdir/exportgrids/."""
    start = time.perf_counter()
    postfit_dir, outdir = Path(postfit_dir), Path(outdir)
    folders, mc_replicas = postfit_members(postfit_dir)
    op = read_operator(operator_path)
    check_operator(Path(operator_path), op, card, evolution_id)
    subgrids = lhapdf_qgrid(card)
    grids = [read_replica_grid(f / EVOLUTION_FILE) for f in folders]
    flavour = [read_replica_grid(f / FLAVOUR_FILE)[1] for f in folders]
    xgrid = grids[0][0]
    evolved = flavour_basis(evolve(op, xgrid, np.stack([g[1] for g in grids])))  # (R, T, 14, nx)
    # Q0 itself: the exported grid unchanged
    rows = np.concatenate([np.stack(flavour)[:, None], evolved], axis=1)
    pids = lhapdf_pids(int(card.get("MaxNfPdf", 5)))
    columns = [FLAVOUR_PIDS.index(p) for p in pids]
    a_s = strong_coupling(card)
    alphas = [4 * np.pi * a_s(float(q) ** 2, nf) for qs, nf in subgrids for q in qs]
    # rows: Q0, then eko's targets, i.e. the subgrids one after the other (a threshold closes
    # one subgrid and opens the next: the same Q twice, with the flavours below and above it)
    bounds = np.cumsum([0] + [len(qs) for qs, _ in subgrids])
    with atomic_dir(outdir) as tmp:
        folder = tmp / name
        folder.mkdir()
        info = set_info(
            card,
            f"disfit fit {name}: {len(folders) - 1} replicas after postfit",
            len(folders),
            xgrid,
            subgrids,
            alphas,
        )
        write_info(folder / f"{name}.info", info)
        for member, mc in enumerate(mc_replicas):
            blocks = []
            for i, (qs, _) in enumerate(subgrids):
                values = rows[member, bounds[i] : bounds[i + 1]][:, columns]
                blocks.append(Subgrid(xgrid, qs, pids, values))
            write_member(
                folder / f"{name}_{member:04d}.dat",
                blocks,
                "central" if member == 0 else "replica",
                mc,
            )
        (tmp / "exportgrids").mkdir()
        for member, f in enumerate(flavour):
            write_n3fit_exportgrid(
                tmp / "exportgrids" / f"replica_{member}.exportgrid",
                member,
                float(card["Q0"]),
                xgrid,
                f,
            )
        summary = {
            "set": name,
            "members": len(folders),
            "theory_id": theory_id,
            "evolution_id": evolution_id,
            "seconds": time.perf_counter() - start,
        }
        (tmp / "evolution.json").write_text(json.dumps(summary, indent=1) + "\n")
    log.info(
        "LHAPDF set %s: %d members, %d Q values → %s (%.1f s)",
        name,
        len(folders),
        len(alphas),
        outdir / name,
        summary["seconds"],
    )
    return summary


def lhapdf_set(
    config: Mapping[str, Any], postfit_dir: Path, operator: Path, outdir: Path
) -> dict[str, Any]:
    """The run's LHAPDF set, named by lhapdf.name (default: disfit_<run_name>)."""
    name = config["lhapdf"]["name"] or f"disfit_{config['run_name']}"
    card = theory_card(config["theory"])
    theory = config["theory"]
    return evolve_set(
        postfit_dir, operator, outdir, card, theory_id(theory), name, evolution_id(theory)
    )
