"""A fit to compare: a disfit run's results folder (postfit replicas, LHAPDF set, replica JSONs)
or an LHAPDF set alone, read as validphys reads a PDF (LHAPDF's interpolation)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import FLAVOUR_PIDS, evolution_basis
from disfit.compare import stats
from disfit.errors import DisfitError
from disfit.io.lhapdf import LHAPDFSet, read_set
from disfit.io.replica import EXPORT_XGRID, read_json, replica_folders


@dataclasses.dataclass(frozen=True)
class Fit:
    """A PDF set with, for a disfit run, its replicas' JSON contents and veto summary."""

    label: str
    pdfset: LHAPDFSet
    replicas: tuple[dict[str, Any], ...] = ()  # replica.json of each selected replica
    vetoes: dict[str, Any] | None = None

    @property
    def members(self) -> int:
        return len(self.pdfset.members)

    def flavours(self, x: np.ndarray, q: float) -> dict[int, np.ndarray]:
        """{PDG id: x·f (members, nx)} at scale q by LHAPDF's interpolation."""
        values = np.stack([self.pdfset.interpolate(m, x, q) for m in range(self.members)])
        return {
            21 if pid == 0 else pid: values[:, i]
            for i, pid in enumerate(self.pdfset.info["Flavors"])
        }

    def grid(self, x: np.ndarray, q: float, basis: str) -> np.ndarray:
        """validphys' xplotting_grid values: (members, flavours of `basis`, nx)."""
        return stats.combine(self.flavours(x, q), stats.BASES[basis])

    def evolution_at_q0(self, q0: float) -> np.ndarray:
        """x·f (members, 14, 196) in the FK evolution basis on n3fit's export grid at Q0: what
        the fit's FK tables act on."""
        flavours = self.flavours(EXPORT_XGRID, q0)
        some = next(iter(flavours.values()))
        return evolution_basis(
            np.stack([flavours.get(pid, 0 * some) for pid in FLAVOUR_PIDS], axis=1)
        )


def _lhapdf_folder(path: Path) -> Path:
    sets = [p for p in path.iterdir() if p.is_dir() and (p / f"{p.name}.info").is_file()]
    if len(sets) != 1:
        raise DisfitError(f"{path}: expected one LHAPDF set folder, found {len(sets)}")
    return sets[0]


def load_fit(path: str | Path, label: str | None = None, what: str = "compare.reference") -> Fit:
    """A disfit results folder (results/<run>: lhapdf/<set>/ and postfit/) or an LHAPDF set
    folder (<name>/<name>.info); `what` names it in errors."""
    path = Path(path)
    if (path / f"{path.name}.info").is_file():
        return Fit(label or path.name, read_set(path))
    if (path / "lhapdf").is_dir() and (path / "postfit").is_dir():
        pdfset = read_set(_lhapdf_folder(path / "lhapdf"))
        folders = [f for k, f in replica_folders(path / "postfit") if k > 0]
        vetoes = path / "postfit" / "veto_count.json"
        return Fit(
            label or path.name,
            pdfset,
            tuple(read_json(f) for f in folders),
            json.loads(vetoes.read_text()) if vetoes.is_file() else None,
        )
    raise DisfitError(
        f"{what}: {path} is neither a disfit results folder (with lhapdf/ and postfit/) nor an "
        "LHAPDF set folder (<name>/<name>.info); run that fit through the lhapdf stage first"
    )


def replica_values(fit: Fit, key: str) -> np.ndarray:
    """A key of the replicas' JSON (erf_tr, best_epoch, ...) as an array; empty for a set."""
    return np.array([r[key] for r in fit.replicas], dtype=float)


def labels(basis: str) -> Sequence[str]:
    return [label for label, _ in stats.BASES[basis]]
