"""FONLL's combination of seven yadism runs (disfit.theory.fonll) against pineko's recipe: the
parts, signs and threshold weights, the jobs they become, and the sum an FK table holds. No
yadism or eko run here: the physics checks that need them are in test_fonll_physics.py."""

from __future__ import annotations

import numpy as np
import pytest

from disfit.errors import DisfitError
from disfit.io.coefficients import load_coefficient_parts, save_coefficients
from disfit.theory.assemble import fktable_from_coefficients
from disfit.theory.card import theory_card
from disfit.theory.coefficients import coefficient_jobs
from disfit.theory.fonll import FONLL_PARTS, fonll_part

# pineko/fonll.py (FNS_CONFIG, FK_WITH_MINUS, FK_TO_DAMP) written out: (FNS, NfFF, FONLLParts,
# sign, weight below mc², between mc² and mb², above mb²) with DAMP = 0
PINEKO = [
    ("FONLL-FFNS", 3, "full", +1, (1, 1, 1)),
    ("FONLL-FFN0", 3, "full", -1, (0, 1, 1)),
    ("FONLL-FFNS", 4, "massless", +1, (0, 1, 1)),
    ("FONLL-FFNS", 4, "massive", +1, (1, 1, 1)),
    ("FONLL-FFN0", 4, "full", -1, (0, 0, 1)),
    ("FONLL-FFNS", 5, "massless", +1, (0, 0, 1)),
    ("FONLL-FFNS", 5, "massive", +1, (1, 1, 1)),
]


def test_parts_signs_and_weights_are_pinekos():
    card = theory_card({"scheme": "FONLL-C"})
    mc2, mb2 = card["mc"] ** 2, card["mb"] ** 2
    q2 = np.array([0.9 * mc2, 1.1 * mc2, 0.9 * mb2, 1.1 * mb2, 1e4])
    for (fns, nf, parts, sign, (low, mid, high)), part in zip(PINEKO, FONLL_PARTS, strict=True):
        assert (part.scheme, part.nf, part.parts) == (fns, nf, parts)
        expected = sign * np.array([low, mid, mid, high, high], dtype=float)
        np.testing.assert_array_equal(part.weights(q2, card), expected)
        run = part.card(card)
        assert (run["FNS"], run["NfFF"], run["FONLLParts"], run["PTOEKO"]) == (fns, nf, parts, 2)
    # exactly at a threshold the step is 0, as pineko's `cmatching2 < q2grid`
    assert FONLL_PARTS[1].weights(np.array([mc2]), card)[0] == 0


def test_damping_is_pinekos():
    """DAMP = 1: the threshold steps become (1 - m²/Q²)^DAMPPOWER (pineko's produce_dampings)."""
    card = {**theory_card({"scheme": "FONLL-C"}), "DAMP": 1, "DAMPPOWERc": 2, "DAMPPOWERb": 3}
    q2 = np.array([2.0, 10.0, 50.0, 1e3])
    dc = (1 - card["mc"] ** 2 / q2) ** 2 * (q2 > card["mc"] ** 2)
    db = (1 - card["mb"] ** 2 / q2) ** 3 * (q2 > card["mb"] ** 2)
    np.testing.assert_allclose(FONLL_PARTS[2].weights(q2, card), dc, rtol=1e-15)
    np.testing.assert_allclose(FONLL_PARTS[4].weights(q2, card), -dc * db, rtol=1e-15)


def test_fonll_orders_and_parts_are_checked():
    assert theory_card({"scheme": "FONLL-A", "order": "NLO"})["FNS"] == "FONLL-A"
    with pytest.raises(DisfitError, match="theory.order: FONLL-C is NNLO"):
        theory_card({"scheme": "FONLL-C", "order": "NLO"})
    with pytest.raises(DisfitError, match="FONLL part must be"):
        fonll_part(theory_card({"scheme": "FONLL-C"}), 7)
    with pytest.raises(DisfitError, match="asked of a ZM-VFNS theory"):
        fonll_part(theory_card({"scheme": "ZM-VFNS"}), 0)


def test_yadism_jobs_of_a_fonll_table():
    """Each FONLL part's points are chunked by its cost; ZM-VFNS keeps one chunk per 150."""
    zm = coefficient_jobs("SLAC_NC_EM_P_F2", "ZM-VFNS", 150)  # 211 points
    assert zm == {"0": (None, 0, 2), "1": (None, 1, 2)}
    fonll = coefficient_jobs("SLAC_NC_EM_P_F2", "FONLL-C", 150)
    for k, part in enumerate(FONLL_PARTS):
        chunks = [v for v in fonll.values() if v[0] == k]
        assert [c[1] for c in chunks] == list(range(len(chunks)))
        assert len(chunks) == int(np.ceil(211 * part.cost / 150))
        assert all(f"{k}.{c[1]}" in fonll for c in chunks)


def _toy_coefficients(rng, q2, nx, orders=((0, 0, 0, 0), (1, 0, 0, 0), (2, 0, 0, 0))):
    return {
        "orders": np.array(orders, dtype=np.int64),
        "values": rng.normal(size=(len(orders), len(q2), 14, nx)),
        "x": np.full(len(q2), 0.01),
        "Q2": np.asarray(q2, dtype=float),
        "xgrid": np.geomspace(1e-4, 1, nx),
    }


def test_fk_table_is_the_signed_weighted_sum_of_the_parts(tmp_path):
    """A FONLL FK table from toy coefficients and operators against the sum written out by
    hand: part by part, a_s and the operator of the part's nf, sign and threshold weight."""
    card = theory_card({"scheme": "FONLL-C"})
    rng = np.random.default_rng(7)
    nx = 6
    q2 = np.array([3.0, 10.0, 30.0, 2e3])
    parts = {k: _toy_coefficients(rng, q2, nx) for k in range(len(FONLL_PARTS))}
    operators = {nf: rng.normal(size=(14, nx, 14, nx)) for nf in (3, 4, 5)}

    def operator_at(q, nf):
        return operators[nf] * np.log(q)

    def a_s(q, nf):
        return 0.02 * nf / np.log(q)

    fk = fktable_from_coefficients("T", parts, card, operator_at, a_s, "tid").dense()
    grid = parts[0]["xgrid"]
    expected = np.zeros((len(q2), 14, nx))
    for k, (_, nf, _, sign, (low, mid, high)) in enumerate(PINEKO):
        for d, q in enumerate(q2):
            w = sign * (low if q < card["mc"] ** 2 else mid if q < card["mb"] ** 2 else high)
            for o in range(3):
                c = a_s(q, nf) ** o * parts[k]["values"][o, d]
                expected[d] += w * np.einsum("ai,aikj->kj", c, operator_at(q, nf)) / grid
    np.testing.assert_allclose(fk, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())

    # the metadata records the seven parts
    table = fktable_from_coefficients("T", parts, card, operator_at, a_s, "tid")
    recorded = table.provenance["fonll_parts"]
    assert [(p["FNS"], p["NfFF"], p["FONLLParts"], p["sign"]) for p in recorded] == [
        row[:4] for row in PINEKO
    ]
    with pytest.raises(DisfitError, match="needs the coefficients of FONLL parts"):
        fktable_from_coefficients("T", {0: parts[0]}, card, operator_at, a_s, "tid")

    # coefficient files group by part; a single-scheme file among them is refused
    for k, arrays in parts.items():
        save_coefficients(tmp_path / f"{k}.npz", arrays, fktable="T", part=0, parts=1, fonll=k)
    groups = load_coefficient_parts(sorted(tmp_path.glob("*.npz")))
    assert list(groups) == list(range(7))
    np.testing.assert_array_equal(groups[3][0]["values"], parts[3]["values"])
    save_coefficients(tmp_path / "zm.npz", parts[0], fktable="T", part=0, parts=1)
    with pytest.raises(DisfitError, match="not the coefficients of one FK table"):
        load_coefficient_parts(sorted(tmp_path.glob("*.npz")))
