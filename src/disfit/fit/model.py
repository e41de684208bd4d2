"""The PDF model of many replicas at once: a dense network per replica on (x, ln x) with its
weights stacked along a leading replica axis, preprocessing x^(1-α)(1-x)^β, and the momentum
and valence sum rules imposed on every forward pass. With feature scaling (n3fit's
`feature_scaling_points`) the network sees the scaled x alone and its output at x = 1 is
subtracted in place of the (1-x)^β factor."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from disfit.basis import FITTED_BASIS
from disfit.fit.metrics import MSR_CONSTANT, VSR_CONSTANTS

#: n3fit's sum-rule integration range: [1e-9, 1] (the rest below 1e-9 is neglected)
SUMRULE_XMIN = 1e-9
SUMRULE_XSPLIT = 0.1


#: replicas per product of a matrix shared by all replicas (shared_matvec): every product runs
#: on exactly this many rows, the batch padded with zeros, so that a replica gets the same bits in
#: any batch and at any place in it (measured; one GEMM over the whole batch picks other kernels,
#: and other summation orders, for other batch sizes)
SHARED_CHUNK = 8


def replica_matvec(matrix: Any, vectors: Any) -> Any:
    """Σ_k matrix[r, p, k] · vectors[r, k] → (replicas, p): one matrix per replica, as a batched
    product (XLA sums each replica in the same order for any batch of two or more replicas:
    measured, bit for bit)."""
    import tensorflow as tf

    return tf.linalg.matvec(matrix, vectors)


def shared_matvec(matrix: Any, vectors: Any) -> Any:
    """Σ_k matrix[p, k] · vectors[r, k] → (replicas, p) for a matrix shared by all replicas (FK
    tables of positivity, integrability and ratio datasets): GEMMs of SHARED_CHUNK replicas each,
    the matrix read once per chunk instead of one copy per replica."""
    import tensorflow as tf

    count = vectors.shape[0]
    padded = tf.pad(vectors, [[0, -count % SHARED_CHUNK], [0, 0]])
    chunks = [
        tf.linalg.matmul(padded[c : c + SHARED_CHUNK], matrix, transpose_b=True)
        for c in range(0, padded.shape[0], SHARED_CHUNK)
    ]
    return tf.concat(chunks, axis=0)[:count]


def assign_rows(variable: Any, rows: Sequence[int], values: np.ndarray) -> None:
    """variable[rows] = values along the replica axis (all of it when `rows` covers it)."""
    rows = list(rows)
    if rows == list(range(variable.shape[0])):
        variable.assign(values)
        return
    array = np.array(variable.numpy())
    array[rows] = values
    variable.assign(array)


def shared(matrix: np.ndarray) -> Any:
    """`matrix` as the float32 constant shared_matvec takes."""
    import tensorflow as tf

    return tf.constant(np.asarray(matrix), tf.float32)


def sumrule_grid(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights for ∫_{1e-9}^{1} dx: half the points in ln x below
    0.1, half in x above. The integrands (x·f, f = x·f/x) are smooth in these variables, so a
    few dozen points integrate them to far better than the 1e-4 the sum rules need."""
    half = points // 2
    t, wt = np.polynomial.legendre.leggauss(half)
    lo, hi = np.log(SUMRULE_XMIN), np.log(SUMRULE_XSPLIT)
    x_small = np.exp(0.5 * (hi - lo) * t + 0.5 * (hi + lo))
    w_small = 0.5 * (hi - lo) * wt * x_small  # dx = x dt
    u, wu = np.polynomial.legendre.leggauss(points - half)
    x_large = 0.5 * (1 - SUMRULE_XSPLIT) * u + 0.5 * (1 + SUMRULE_XSPLIT)
    w_large = 0.5 * (1 - SUMRULE_XSPLIT) * wu
    return np.concatenate([x_small, x_large]), np.concatenate([w_small, w_large])


@dataclasses.dataclass(frozen=True)
class Architecture:
    nodes: tuple[int, ...]
    activations: tuple[str, ...]
    initializer: str
    smallx: np.ndarray  # (8, 2) α ranges
    largex: np.ndarray  # (8, 2) β ranges
    trainable: np.ndarray  # (8,) bool
    sumrule_points: int

    @classmethod
    def from_config(cls, fit: Mapping[str, Any]) -> Architecture:
        """From a validated `fit` section (disfit.config checks layers, basis and ranges)."""
        basis = {b["fl"]: b for b in fit["basis"]}
        return cls(
            nodes=tuple(fit["nodes_per_layer"]),
            activations=tuple(fit["activation_per_layer"]),
            initializer=fit["initializer"],
            smallx=np.array([basis[f]["smallx"] for f in FITTED_BASIS], dtype=float),
            largex=np.array([basis[f]["largex"] for f in FITTED_BASIS], dtype=float),
            trainable=np.array([bool(basis[f]["trainable"]) for f in FITTED_BASIS]),
            sumrule_points=int(fit["sumrule_points"]),
        )


class ReplicaPDF:
    """x·f at Q0 in the fitted basis for a batch of replicas, one weight set per nnseed."""

    def __init__(
        self,
        architecture: Architecture,
        nnseeds: Sequence[int],
        scaler: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        import keras

        self.arch = architecture
        self.scaler = scaler
        self.nreplicas = len(nnseeds)
        self.activations = [keras.activations.get(a) for a in architecture.activations]
        values = self.initial_values(nnseeds)
        self.layers: list[tuple[Any, Any]] = [
            (
                keras.Variable(values[2 * i], name=f"kernel_{i}"),
                keras.Variable(values[2 * i + 1], name=f"bias_{i}"),
            )
            for i in range(len(architecture.nodes))
        ]
        self.alpha = keras.Variable(values[-2], name="alpha")
        self.beta = keras.Variable(values[-1], name="beta")
        x_sr, w_sr = sumrule_grid(architecture.sumrule_points)
        self.sumrule_x = x_sr
        self.sumrule_weights = np.stack([w_sr, w_sr / x_sr]).astype("float32")  # momentum, number

    def initial_values(self, nnseeds: Sequence[int]) -> list[np.ndarray]:
        """The starting weights of replicas with these nnseeds, in all_variables order (float32):
        n3fit's initializer with seed nnseed + i for layer i, zero biases, and the exponents
        uniform in their ranges, seed nnseed + k for the k-th."""
        import keras

        values = []
        fan_in = 1 if self.scaler else 2
        for i, units in enumerate(self.arch.nodes):
            init = keras.initializers.get(self.arch.initializer)
            kernels = []
            for seed in nnseeds:
                config = {**init.get_config(), "seed": int(seed) + i}
                kernels.append(np.asarray(init.__class__.from_config(config)((fan_in, units))))
            values += [
                np.stack(kernels).astype("float32"),
                np.zeros((len(nnseeds), units), "float32"),
            ]
            fan_in = units
        alpha, beta = [], []
        ranges = [
            rng for pair in zip(self.arch.smallx, self.arch.largex, strict=True) for rng in pair
        ]
        for seed in nnseeds:
            draws = [
                float(keras.initializers.RandomUniform(lo, hi, seed=int(seed) + k)((1,))[0])
                for k, (lo, hi) in enumerate(ranges)
            ]
            alpha.append(draws[0::2])
            beta.append(draws[1::2])
        if self.scaler:  # n3fit: no large-x exponent, NN(x) − NN(1) vanishes at x = 1 instead
            beta = np.zeros_like(beta)
        return values + [np.array(alpha, "float32"), np.array(beta, "float32")]

    def reset(self, nnseeds: Sequence[int], slots: Sequence[int] | None = None) -> None:
        """Start the networks at `slots` (default all; one nnseed each) over as the replicas of
        `nnseeds`."""
        slots = range(self.nreplicas) if slots is None else slots
        if len(nnseeds) != len(slots):
            raise ValueError(f"{len(nnseeds)} nnseeds for {len(slots)} replicas")
        for var, value in zip(self.all_variables, self.initial_values(nnseeds), strict=True):
            assign_rows(var, slots, value)

    @property
    def variables(self) -> list[Any]:
        out = [v for layer in self.layers for v in layer]
        if self.arch.trainable.any():
            out += [self.alpha, self.beta]
        return out

    @property
    def all_variables(self) -> list[Any]:
        return [v for layer in self.layers for v in layer] + [self.alpha, self.beta]

    def constrain_exponents(self, active: Any) -> None:
        """n3fit's MinMaxWeight on the trainable exponents of the `active` replicas, after each
        update: w ← w · clip(w, min, max) / (ε + w), ε = 1e-7 (keras' epsilon), per replica and
        flavour, the range being the flavour's smallx (α) or largex (β) one."""
        import tensorflow as tf

        trainable = tf.constant(self.arch.trainable)[None, :] & active[:, None]
        for var, ranges in ((self.alpha, self.arch.smallx), (self.beta, self.arch.largex)):
            w = var.value
            lo, hi = (tf.constant(ranges[:, i], tf.float32)[None, :] for i in (0, 1))
            constrained = w * tf.clip_by_value(w, lo, hi) / (1e-7 + w)
            var.assign(tf.where(trainable, constrained, w))

    def gradient_masks(self) -> list[np.ndarray | None]:
        """Per-variable masks that keep the fixed preprocessing exponents fixed."""
        masks: list[np.ndarray | None] = [None] * (2 * len(self.layers))
        if self.arch.trainable.any():
            largex = np.zeros(8) if self.scaler else self.arch.trainable
            masks += [self.arch.trainable.astype("float32"), largex.astype("float32")]
        return masks

    def network(self, features: Any) -> Any:
        """The networks' outputs (replicas, n, 8) for input features (n, 1 or 2)."""
        import tensorflow as tf

        h = features
        for i, ((kernel, bias), act) in enumerate(zip(self.layers, self.activations, strict=True)):
            if i == 0:  # the same input for every replica, broadcast (see replica_matvec)
                h = tf.broadcast_to(h[None], (self.nreplicas, *h.shape))
            h = act(tf.linalg.matmul(h, kernel) + bias[:, None, :])
        return h

    def raw(self, x: np.ndarray) -> Any:
        """x·f before the sum-rule normalisation, (replicas, len(x), 8), at the points `x`."""
        import tensorflow as tf

        xt = tf.constant(np.asarray(x, dtype="float32"))
        if self.scaler is None:
            h = self.network(tf.stack([xt, tf.math.log(xt)], axis=-1))
        else:  # the scaled x of the points and of x = 1, in one pass
            scaled = self.scaler(np.append(np.asarray(x, dtype=float), 1.0))
            out = self.network(tf.constant(scaled.astype("float32")[:, None]))
            h = out[:, :-1, :] - out[:, -1:, :]
        exponent = (1.0 - self.alpha[:, None, :]) * tf.math.log(xt)[None, :, None]
        if self.scaler is None:
            exponent += self.beta[:, None, :] * tf.math.log1p(-xt)[None, :, None]
        return h * tf.exp(exponent)

    def normalisation(self, raw_sumrule: Any) -> Any:
        """(replicas, 8) factors: A_g from the momentum sum rule, A_V, A_V3, A_V8 from the
        valence sum rules (3, 1, 3), 1 elsewhere, from x·f on the sum-rule grid."""
        import tensorflow as tf

        weights = tf.constant(self.sumrule_weights)
        momentum = tf.reduce_sum(weights[0][None, :, None] * raw_sumrule, axis=1)
        number = tf.reduce_sum(weights[1][None, :, None] * raw_sumrule, axis=1)
        ones = tf.ones_like(momentum[:, 0])
        rows = {f: FITTED_BASIS.index(f) for f in ("sng", "g", *VSR_CONSTANTS)}
        factors = {
            "g": (MSR_CONSTANT - momentum[:, rows["sng"]]) / momentum[:, rows["g"]],
            **{f: value / number[:, rows[f]] for f, value in VSR_CONSTANTS.items()},
        }
        return tf.stack([factors.get(f, ones) for f in FITTED_BASIS], axis=1)

    def __call__(self, x: np.ndarray) -> Any:
        """Normalised x·f (replicas, len(x), 8) at the points `x`."""
        n = len(x)
        raw = self.raw(np.concatenate([np.asarray(x, dtype=float), self.sumrule_x]))
        return raw[:, :n, :] * self.normalisation(raw[:, n:, :])[:, None, :]
