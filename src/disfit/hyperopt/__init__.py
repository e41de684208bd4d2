"""Hyperparameter optimisation with k-folding, as n3fit 4.1.5's hyperopt (docs/hyperopt.md)."""
