"""LHAPDF6 sets (`Format: lhagrid1`): the `.info` file, one `.dat` file per member, and a reader
(the t0 PDF, the report and the tests read sets with it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.basis import lhapdf_pids
from disfit.errors import DisfitError


@dataclasses.dataclass(frozen=True)
class Subgrid:
    """x·f of one member on one subgrid: values[q, pid, x] for the flavours `pids`."""

    xgrid: np.ndarray
    qgrid: np.ndarray
    pids: list[int]
    values: np.ndarray


def _format_rows(rows: np.ndarray) -> str:
    """Each row's numbers as `%.8e`, space-separated, one line per row: one %-format over the
    whole array (the same text as formatting each number, 5× faster on a set's 11 M knots)."""
    line = " ".join(["%.8e"] * rows.shape[1]) + "\n"
    return (line * rows.shape[0]) % tuple(rows.ravel().tolist())


def _format_member(subgrids: Sequence[Subgrid], header: str) -> str:
    parts = [header.rstrip("\n") + "\n---\n"]
    for sub in subgrids:
        lines = [
            " ".join(f"{x:.8e}" for x in sub.xgrid),
            " ".join(f"{q:.8e}" for q in sub.qgrid),
            " ".join(str(p) for p in sub.pids),
        ]
        # lhagrid1 knots: x slowest, then Q, the flavours along a line
        knots = np.transpose(sub.values, (2, 0, 1)).reshape(-1, len(sub.pids))
        parts.append("\n".join(lines) + "\n" + _format_rows(knots) + "---\n")
    return "".join(parts)


def write_member(path: Path, subgrids: Sequence[Subgrid], pdf_type: str, mc_replica: int) -> None:
    """One member file; replicas name the fit replica they come from, as NNPDF's sets do."""
    header = f"PdfType: {pdf_type}\nFormat: lhagrid1\n"
    if pdf_type == "replica":
        header += f"FromMCReplica: {mc_replica}\n"
    path.write_text(_format_member(subgrids, header))


def write_info(path: Path, info: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(info), sort_keys=False, default_flow_style=None))


def set_info(
    card: Mapping[str, Any],
    description: str,
    members: int,
    xgrid: np.ndarray,
    subgrids: Sequence[tuple[np.ndarray, int]],
    alphas: Sequence[float],
) -> dict[str, Any]:
    """The `.info` keys LHAPDF reads, from the theory card and the grids."""
    qs = [float(q) for qgrid, _ in subgrids for q in qgrid]
    nf_max = int(card.get("MaxNfPdf", 5))
    return {
        "SetDesc": description,
        "Authors": "disfit",
        "Reference": "disfit (NNPDF n3fit methodology for DIS)",
        "Format": "lhagrid1",
        "DataVersion": 1,
        "NumMembers": members,
        "Particle": 2212,
        "Flavors": lhapdf_pids(nf_max),
        "OrderQCD": int(card["PTO"]),
        "FlavorScheme": "variable",
        "NumFlavors": nf_max,
        "ErrorType": "replicas",
        "XMin": float(xgrid[0]),
        "XMax": float(xgrid[-1]),
        "QMin": qs[0],
        "QMax": qs[-1],
        "MZ": float(card["Qref"]),
        "MUp": 0.0,
        "MDown": 0.0,
        "MStrange": 0.0,
        "MCharm": float(card["mc"]),
        "MBottom": float(card["mb"]),
        "MTop": float(card["mt"]),
        "AlphaS_MZ": float(card["alphas"]),
        "AlphaS_OrderQCD": int(card["PTO"]),
        "AlphaS_Type": "ipol",
        "AlphaS_Qs": qs,
        "AlphaS_Vals": [float(a) for a in alphas],
    }


@dataclasses.dataclass(frozen=True)
class LHAPDFSet:
    """A set read back: its info and, per member, its subgrids."""

    name: str
    info: dict[str, Any]
    members: list[list[Subgrid]]

    def xfx(self, member: int, q: float) -> tuple[np.ndarray, np.ndarray]:
        """(x grid, x·f (len(Flavors), nx)) at scale `q` in GeV, flavours in the info's order:
        the knots themselves on a grid Q, else a cubic spline in ln Q² through the subgrid
        holding q."""
        from scipy.interpolate import CubicSpline

        for sub in reversed(self.members[member]):
            if sub.qgrid[0] <= q <= sub.qgrid[-1]:
                exact = np.flatnonzero(np.isclose(sub.qgrid, q, rtol=1e-12, atol=0))
                if exact.size:
                    values = sub.values[exact[0]]
                else:
                    spline = CubicSpline(np.log(sub.qgrid**2), sub.values, axis=0)
                    values = spline(np.log(q * q))
                out = np.zeros((len(self.info["Flavors"]), len(sub.xgrid)))
                for i, pid in enumerate(self.info["Flavors"]):
                    if pid in sub.pids:
                        out[i] = values[sub.pids.index(pid)]
                return sub.xgrid, out
        raise DisfitError(
            f"Q = {q} GeV is outside set {self.name} ({self.info['QMin']}-{self.info['QMax']} GeV)"
        )

    def interpolate(self, member: int, x: np.ndarray, q: float) -> np.ndarray:
        """x·f (len(Flavors), len(x)) at scale `q` (GeV), flavours in the info's order, by
        LHAPDF's log-bicubic interpolation as pdfflow (validphys' LHAPDF) does it: cubic Hermite
        in ln x and then in ln Q², knot derivatives the mean of the neighbouring slopes (the
        one slope in the first and last bin). A Q on a subgrid boundary takes the upper
        subgrid. Only interpolation: x and Q must lie inside the grid."""
        subgrids = self.members[member]
        q2 = np.log(q * q)
        chosen = None
        for i, sub in enumerate(subgrids):
            low, high = np.log(sub.qgrid[0] ** 2), np.log(sub.qgrid[-1] ** 2)
            if low <= q2 < high or (i == len(subgrids) - 1 and q2 == high):
                chosen = sub
                break
        if chosen is None:
            raise DisfitError(
                f"Q = {q} GeV is outside set {self.name} ({self.info['QMin']}-"
                f"{self.info['QMax']} GeV)"
            )
        x = np.asarray(x, dtype=float)
        logx = np.log(chosen.xgrid)
        if np.any(x < chosen.xgrid[0]) or np.any(x > chosen.xgrid[-1]):
            raise DisfitError(
                f"x outside [{chosen.xgrid[0]:g}, {chosen.xgrid[-1]:g}] of set {self.name}"
            )
        logq2 = np.log(chosen.qgrid**2)
        # values[q, pid, x] → the Hermite cubic in ln x at every Q knot, then in ln Q²
        in_x = _hermite(logx, np.moveaxis(chosen.values, -1, 0), np.log(x))  # (len(x), nq, pid)
        at_q = _hermite(logq2, np.moveaxis(in_x, 1, 0), np.array([q2]))[0]  # (len(x), pid)
        out = np.zeros((len(self.info["Flavors"]), len(x)))
        for i, pid in enumerate(self.info["Flavors"]):
            pid = 21 if pid == 0 else pid
            if pid in chosen.pids:
                out[i] = at_q[:, chosen.pids.index(pid)]
        return out


def _hermite(knots: np.ndarray, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """pdfflow's cubic Hermite interpolation of `values` (len(knots), ...) along the knots at
    `points` → (len(points), ...): the bin [k_{i-1}, k_i] with searchsorted(side='right') (the
    last knot in the last bin), slopes at the bin's ends the mean of the two neighbouring
    finite differences, or the bin's own at the grid's first and last bin."""
    n = len(knots)
    i = np.clip(np.searchsorted(knots, points, side="right"), 1, n - 1)
    lo, hi = knots[i - 1], knots[i]
    width = hi - lo
    shape = (-1,) + (1,) * (values.ndim - 1)
    edge = (values[i] - values[i - 1]) / width.reshape(shape)
    left, right = edge.copy(), edge.copy()
    inner_l = i >= 2
    if np.any(inner_l):
        j = i[inner_l]
        slope = (values[j - 1] - values[j - 2]) / (knots[j - 1] - knots[j - 2]).reshape(shape)
        left[inner_l] = (slope + edge[inner_l]) / 2
    inner_r = i <= n - 2
    if np.any(inner_r):
        j = i[inner_r]
        slope = (values[j + 1] - values[j]) / (knots[j + 1] - knots[j]).reshape(shape)
        right[inner_r] = (edge[inner_r] + slope) / 2
    t = ((points - lo) / width).reshape(shape)
    t2, t3 = t * t, t * t * t
    w = width.reshape(shape)
    return (
        (2 * t3 - 3 * t2 + 1) * values[i - 1]
        + (t3 - 2 * t2 + t) * left * w
        + (-2 * t3 + 3 * t2) * values[i]
        + (t3 - t2) * right * w
    )


def read_member(path: Path) -> list[Subgrid]:
    """The subgrids of one lhagrid1 member file (PDG id 0 read as the gluon, 21)."""
    try:
        blocks = [b.strip() for b in path.read_text().split("---")]
    except OSError as exc:
        raise DisfitError(f"{path}: unreadable ({exc.strerror})") from None
    subgrids = []
    for block in blocks[1:]:
        if not block:
            continue
        lines = block.splitlines()
        try:
            xs = np.array(lines[0].split(), dtype=float)
            qs = np.array(lines[1].split(), dtype=float)
            pids = [21 if int(p) == 0 else int(p) for p in lines[2].split()]
            knots = np.array(" ".join(lines[3:]).split(), dtype=float)
        except (ValueError, IndexError) as exc:
            raise DisfitError(f"{path}: malformed subgrid ({exc})") from None
        if knots.size != len(xs) * len(qs) * len(pids):
            raise DisfitError(
                f"{path}: a subgrid has {knots.size} values, expected "
                f"{len(xs) * len(qs) * len(pids)}; rewrite the set"
            )
        values = knots.reshape(len(xs), len(qs), len(pids)).transpose(1, 2, 0)
        subgrids.append(Subgrid(xs, qs, pids, values))
    if not subgrids:
        raise DisfitError(f"{path}: not an lhagrid1 file")
    return subgrids


def read_set(folder: str | Path) -> LHAPDFSet:
    """An LHAPDF set folder (`<name>/<name>.info`, `<name>_NNNN.dat`)."""
    folder = Path(folder)
    info_path = folder / f"{folder.name}.info"
    try:
        info = yaml.safe_load(info_path.read_text())
        count = int(info["NumMembers"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DisfitError(f"{info_path}: not a readable LHAPDF info file ({exc})") from None
    members = [read_member(folder / f"{folder.name}_{k:04d}.dat") for k in range(count)]
    return LHAPDFSet(folder.name, info, members)
