"""The theory of a run: an NNPDF theory card with the config's overrides, for yadism and eko."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.config import with_defaults
from disfit.errors import DisfitError
from disfit.theory.fonll import check_fonll_order

ORDERS = {"LO": 0, "NLO": 1, "NNLO": 2}
_OVERRIDES = {"q0": "Q0", "mc": "mc", "mb": "mb", "mt": "mt", "alphas": "alphas"}


def theory_card(config: Mapping[str, Any]) -> dict[str, Any]:
    """NNPDF theory-card dict (nnpdf_data.theory.TheoryCard) for the config's `theory` section.

    Masses also move the thresholds (Qm = m); the card's own keys stay otherwise.
    """
    import nnpdf_data
    from nnpdf_data.theory import DEPRECATED_KEYS, TheoryCard

    config = with_defaults("theory", config)
    path = Path(nnpdf_data.__file__).parent / "theory_cards" / f"{config['card']}.yaml"
    if not path.is_file():
        raise DisfitError(f"config key theory.card: no theory card {path.name} in nnpdf_data")
    raw = yaml.safe_load(path.read_text())
    raw["FNS"] = config["scheme"]
    if "order" in config:
        raw["PTO"] = ORDERS[config["order"]]
    if "tmc" in config:
        raw["TMC"] = 1 if config["tmc"] else 0
    for key, card_key in _OVERRIDES.items():
        if key in config:
            raw[card_key] = float(config[key])
    for m, qm in (("mc", "Qmc"), ("mb", "Qmb"), ("mt", "Qmt")):
        if m in config:
            raw[qm] = float(config[m])
    if not raw["Q0"] < raw["mb"] * raw["kbThr"]:
        raise DisfitError(
            f"config key theory.q0: Q0 = {raw['Q0']} GeV must lie below the bottom threshold "
            f"({raw['mb'] * raw['kbThr']} GeV)"
        )
    if not raw["mc"] < raw["mb"] < raw["mt"]:
        raise DisfitError("config keys theory.mc/mb/mt: masses must be ordered mc < mb < mt")
    card = TheoryCard(**raw).asdict()
    for key in DEPRECATED_KEYS:
        card.pop(key, None)
    card = {k: v for k, v in card.items() if v is not None or k in ("NfFF", "nfref")}
    check_fonll_order(card)
    return card


def theory_id(config: Mapping[str, Any]) -> str:
    """Short content hash of everything that shapes the FK tables: the resolved theory card, the
    x grid, the Q² nodes and their interpolation. Recorded in every FK table; names the shipped
    tables."""
    config = with_defaults("theory", config)
    shape = {
        "card": theory_card(config),
        "xgrid": [int(config["xgrid_points"]), float(config["xgrid_min"])],
        "node_ratio": float(config["node_ratio"]),
    }
    if int(config["interpolation_points"]) != 4:  # 4: the ids of theories made before the key
        shape["interpolation_points"] = int(config["interpolation_points"])
    blob = json.dumps(shape, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


#: the card keys the PDFs' evolution depends on: those eko.io.runcards.Legacy reads for eko's
#: theory card, the operator's start and method, and the flavour cap of the PDFs. Not the
#: scheme of the coefficient functions, TMC or damping: FONLL-C and ZM-VFNS share the operator.
EVOLUTION_KEYS = (
    *("PTO", "QED", "alphas", "alphaqed", "alphaem", "Qedref", "Qref", "nfref", "HQ"),
    *("mc", "mb", "mt", "Qmc", "Qmb", "Qmt", "kcThr", "kbThr", "ktThr", "XIF"),
    *("n3lo_ad_variation", "PTO_matching", "use_fhmruvv", "Q0", "nf0", "ModEv", "MaxNfPdf"),
)


def evolution_id(config: Mapping[str, Any]) -> str:
    """Short content hash of the evolution settings alone (EVOLUTION_KEYS of the resolved
    card): names and checks the LHAPDF set's operator, shared by theories that differ only in
    their coefficient functions."""
    card = theory_card(config)
    blob = json.dumps({k: card.get(k) for k in EVOLUTION_KEYS}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def xgrid(config: Mapping[str, Any]) -> np.ndarray:
    """The FK x grid: eko.interpolation.lambertgrid(n, xmin), NNPDF's DIS grid by default."""
    from eko.interpolation import lambertgrid

    config = with_defaults("theory", config)
    return np.asarray(lambertgrid(int(config["xgrid_points"]), float(config["xgrid_min"])))


def thresholds(card: Mapping[str, Any]) -> list[float]:
    """Heavy-quark matching scales kThr·m in GeV (charm, bottom, top)."""
    return [card["kcThr"] * card["mc"], card["kbThr"] * card["mb"], card["ktThr"] * card["mt"]]
