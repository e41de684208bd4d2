"""Produce tests/data/n3fit_hyperopt.json: n3fit 4.1.5's hyperopt loss and penalties.

Run once, by hand, in an environment with n3fit (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    /tmp/vp/bin/python tests/reference/make_n3fit_hyperopt.py

Seeded made-up per-replica numbers through n3fit's own code: HyperLoss.compute_loss of one
fold for every loss type, replica statistic and penalties_in_loss (validphys' metrics of the
fold, which need a theory, replaced by fixed numbers: what compute_loss does with them is the
subject), HyperLoss.reduce_over_folds, LossHyperopt, and the penalties saturation (on a stub
model returning given x·f), patience and integrability (on given integrability numbers).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from n3fit.hyper_optimization import penalties, rewards
from n3fit.layers.losses import LossHyperopt
from n3fit.vpinterface import HyperoptMetrics

OUT = Path(__file__).resolve().parents[1] / "data" / "n3fit_hyperopt.json"
rng = np.random.default_rng(20261201)
R = 7
cases = []
for loss_type in ("chi2", "phi2"):
    for statistic in ("average", "best_worst", "std"):
        for in_loss in (False, True):
            validation = rng.uniform(1.0, 3.0, R)
            held_out = rng.uniform(0.5, 6.0, R)
            phi = float(rng.uniform(0.1, 0.5))
            pens = {"saturation": rng.uniform(0, 1, R), "patience": rng.uniform(0, 2, R)}
            rewards.compute_hyperopt_metrics = lambda n3pdf, experimental_data, p=phi: (
                HyperoptMetrics(chi2=1.0, phi2=p, logp=1.0, chi2exp=1.0)
            )
            hyper = rewards.HyperLoss(loss_type, statistic, statistic, 0.85, in_loss)
            loss = hyper.compute_loss(
                {k: v.copy() for k, v in pens.items()},
                validation.copy(),
                held_out.copy(),
                SimpleNamespace(select_models=lambda idx: None),
                [],
            )
            folds = rng.uniform(0.5, 5.0, 4)
            cases.append(
                {
                    "loss_type": loss_type,
                    "statistic": statistic,
                    "penalties_in_loss": in_loss,
                    "validation": validation.tolist(),
                    "held_out": held_out.tolist(),
                    "phi": phi,
                    "penalties": {k: v.tolist() for k, v in pens.items()},
                    "fold_loss": float(loss),
                    "folds": folds.tolist(),
                    "over_folds": float(hyper.reduce_over_folds(folds)),
                }
            )
chi2s = [0.9, 1.2, 1.35, 2.0]
elu = [float(LossHyperopt()(np.asarray(c))) for c in chi2s]

xf = rng.uniform(0.5, 2.0, (R, 2, 100)) * np.logspace(-6, -4, 100) ** -0.2
model = SimpleNamespace(
    predict=lambda inputs: np.concatenate(
        [np.zeros((1, R, 100, 1)), xf.transpose(0, 2, 1)[None], np.zeros((1, R, 100, 11))],
        axis=-1,
    )
)
saturation = penalties.saturation(model).tolist()
stopping = SimpleNamespace(
    e_best_chi2=rng.integers(100, 5000, R),
    stopping_patience=1700,
    total_epochs=17000,
    vl_chi2=rng.uniform(1, 2, R),
)
patience = penalties.patience(stopping).tolist()
numbers = np.abs(rng.normal(0, 1.5, (R, 5)))
penalties.integrability_numbers = lambda pdf: numbers
penalties.N3PDF = lambda models: None
integrability = penalties.integrability(SimpleNamespace(split_replicas=lambda: None)).tolist()
OUT.write_text(
    json.dumps(
        {
            "cases": cases,
            "elu": {"chi2": chi2s, "penalty": elu},
            "saturation": {"xf": xf.tolist(), "penalty": saturation},
            "patience": {
                "best_epoch": stopping.e_best_chi2.tolist(),
                "patience": 1700,
                "epochs": 17000,
                "validation": stopping.vl_chi2.tolist(),
                "penalty": patience,
            },
            "integrability": {"numbers": numbers.tolist(), "penalty": integrability},
        }
    )
    + "\n"
)
print(f"wrote {OUT}")
