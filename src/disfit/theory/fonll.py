"""FONLL from yadism's fixed-flavour parts, as pineko combines them (pineko/fonll.py).

yadism has no `FNS: FONLL-C`: a FONLL FK table is the signed, threshold-weighted sum of seven
yadism runs (FONLL-FFNS / FONLL-FFN0 at NfFF = 3, 4, 5, with FONLLParts full, massless or
massive), each evolved with the operator of its own NfFF and with a_s at nf = NfFF:

    FK = Σ_p sign_p · w_p(Q²) · C_p ⊗ E(Q², nf_p)

with w_p = Π over the part's masses m of θ(Q² > (k_m m)²), or (1 - (k_m m)²/Q²)^DAMPPOWERm when
the card's DAMP is set. FONLL-A uses PTO 1 throughout, FONLL-C PTO 2 (pineko's FNS_BASE_PTO);
the mixed-order schemes (FONLL-B, FONLL-D) are not built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from disfit.errors import DisfitError

#: FONLL scheme → the PTO of every part and of the evolution (pineko's FNS_BASE_PTO)
FONLL_SCHEMES = {"FONLL-A": 1, "FONLL-C": 2}


@dataclasses.dataclass(frozen=True)
class FonllPart:
    """One of the seven yadism runs of a FONLL FK table."""

    scheme: str  # yadism FNS
    nf: int  # NfFF: light flavours of the coefficient functions, the operator and a_s
    parts: str  # yadism FONLLParts
    sign: int
    masses: tuple[str, ...]  # threshold weights θ(Q² > (k_m m)²) multiplying the part
    cost: float  # yadism time per point at NNLO with TMC, in units of a ZM-VFNS point

    def card(self, card: Mapping[str, Any]) -> dict[str, Any]:
        """yadism's theory card of this part (pineko's collect_updates)."""
        return {
            **card,
            "FNS": self.scheme,
            "NfFF": self.nf,
            "FONLLParts": self.parts,
            "PTOEKO": int(card["PTO"]),
        }

    def weights(self, q2: np.ndarray, card: Mapping[str, Any]) -> np.ndarray:
        """sign · threshold weights at the points' Q² (pineko's produce_dampings)."""
        q2 = np.asarray(q2, dtype=float)
        weight = np.full(q2.shape, float(self.sign))
        for mass in self.masses:
            matching2 = (card[f"k{mass[1]}Thr"] * card[mass]) ** 2
            power = card.get(f"DAMPPOWER{mass[1]}", 0) if card.get("DAMP", 0) else 0
            weight *= np.where(q2 > matching2, (1 - matching2 / q2) ** power, 0.0)
        return weight


#: pineko's FNS_CONFIG, FK_WITH_MINUS and FK_TO_DAMP, in pineko's order (00 … 06); costs measured
#: here with yadism 0.13.12 (benchmarks/theory_timing.py)
FONLL_PARTS = (
    FonllPart("FONLL-FFNS", 3, "full", +1, (), 12.0),
    FonllPart("FONLL-FFN0", 3, "full", -1, ("mc",), 5.5),
    FonllPart("FONLL-FFNS", 4, "massless", +1, ("mc",), 1.6),
    FonllPart("FONLL-FFNS", 4, "massive", +1, (), 9.0),
    FonllPart("FONLL-FFN0", 4, "full", -1, ("mc", "mb"), 5.5),
    FonllPart("FONLL-FFNS", 5, "massless", +1, ("mc", "mb"), 1.6),
    FonllPart("FONLL-FFNS", 5, "massive", +1, (), 1.0),
)


def fonll_provenance(part: FonllPart, card: Mapping[str, Any]) -> dict[str, Any]:
    """What an FK table's metadata records of one of its FONLL parts."""
    return {
        "FNS": part.scheme,
        "NfFF": part.nf,
        "FONLLParts": part.parts,
        "sign": part.sign,
        "thresholds": [f"Q2 > ({card[f'k{m[1]}Thr']} {m})^2" for m in part.masses],
        "damp": int(card.get("DAMP", 0)),
    }


def is_fonll(card: Mapping[str, Any]) -> bool:
    return card["FNS"] in FONLL_SCHEMES


def fonll_part(card: Mapping[str, Any], index: int | None) -> FonllPart | None:
    """Part `index` of a FONLL card (None for a single-scheme card)."""
    if not is_fonll(card):
        if index is not None:
            raise DisfitError(f"FONLL part {index} asked of a {card['FNS']} theory")
        return None
    if index is None or not 0 <= index < len(FONLL_PARTS):
        raise DisfitError(f"{card['FNS']}: FONLL part must be 0 … {len(FONLL_PARTS) - 1}")
    return FONLL_PARTS[index]


def check_fonll_order(card: Mapping[str, Any]) -> None:
    """FONLL-A is PTO 1, FONLL-C PTO 2: other orders would be another (mixed) scheme."""
    if is_fonll(card) and int(card["PTO"]) != FONLL_SCHEMES[card["FNS"]]:
        order = {1: "NLO", 2: "NNLO"}[FONLL_SCHEMES[card["FNS"]]]
        raise DisfitError(
            f"config key theory.order: {card['FNS']} is {order} (PTO {FONLL_SCHEMES[card['FNS']]})"
            f"; set theory.order: {order} or another theory.scheme"
        )
