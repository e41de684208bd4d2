"""Training a batch of replicas at once, as n3fit does one: one full-batch gradient step per
epoch on the training χ² plus positivity and integrability penalties, stopping on the
validation χ², best weights restored. Replicas never interact: each has its own seeds, data
split, gradient clipping and stopping, so a replica fitted in a batch equals it fitted alone.

Speed: each replica's χ² is reduced once to |R·y − c|² + const with R a small triangular
matrix kept as its block rows from the diagonal on (TriangularRows), the data's predictions y
are computed once for training and validation, matrices shared by all replicas are read once
per chunk of replicas (shared_matvec), and chunks of epochs run as one XLA program."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg as la

from disfit.data.covmat import diagonal_basis
from disfit.errors import DisfitError
from disfit.fit.inputs import FitInputs
from disfit.fit.model import (
    Architecture,
    ReplicaPDF,
    assign_rows,
    replica_matvec,
    shared,
    shared_matvec,
)
from disfit.fit.replicas import (
    diagonal_masks,
    pseudodata,
    replica_seed,
    sampling_groups,
    training_masks,
)
from disfit.fit.scaling import feature_scaler
from disfit.observables import OPERATIONS

#: n3fit: the Lagrange multipliers grow every 100 epochs; the χ² history is kept as often
PUSH_EACH = 100


@dataclasses.dataclass
class ReplicaSetup:
    """The per-replica constants of a batch (numpy, float64)."""

    replicas: list[int]
    nnseeds: list[int]
    trmasks: np.ndarray  # (R, ndata) bool: over data points, or eigenmodes with `whitening`
    pseudodata: np.ndarray  # (R, ndata)
    # the diagonal basis: Λ^(-1/2)·P, rows = eigenmodes (None: the per-dataset split)
    whitening: np.ndarray | None = None
    # (R, ndata) bool, True for the points a replica holds out (a hyperopt fold): their
    # residuals count zero in training and validation, as n3fit's k-folding masks them
    held_out: np.ndarray | None = None

    def take(self, positions: Sequence[int]) -> ReplicaSetup:
        """The replicas at `positions` (repeats allowed), in that order."""
        index = list(positions)

        def rows(array: np.ndarray | None) -> np.ndarray | None:
            return None if array is None else array[index]

        return dataclasses.replace(
            self,
            replicas=[self.replicas[i] for i in index],
            nnseeds=[self.nnseeds[i] for i in index],
            trmasks=self.trmasks[index],
            pseudodata=self.pseudodata[index],
            held_out=rows(self.held_out),
        )


def setup_replicas(
    inputs: FitInputs,
    replicas: Sequence[int],
    seeds: Mapping[str, int],
    resample: bool = False,
    diagonal_frac: float | None = None,
    genrep: bool = True,
) -> ReplicaSetup:
    """Seeds, training masks and pseudo-data of `replicas` (numbered from 1). With
    `diagonal_frac` the split is n3fit's diagonal basis: that fraction of the eigenmodes of the
    fitting covariance trains; otherwise each dataset's `frac` of its points. Without `genrep`
    every replica fits the central data (n3fit's genrep: false)."""
    trmasks, data, nnseeds = [], [], []
    groups = sampling_groups(inputs, diagonal_frac is not None)  # Cholesky factors, once
    for k in replicas:
        trvlseed = replica_seed(k, seeds["trvlseed"])
        if diagonal_frac is None:
            trmasks.append(training_masks(inputs, trvlseed))
        else:
            trmasks.append(diagonal_masks(inputs.ndata, trvlseed, diagonal_frac))
        if genrep:
            data.append(pseudodata(inputs, replica_seed(k, seeds["mcseed"]), resample, groups))
        else:
            data.append(inputs.central)
        nnseeds.append(replica_seed(k, seeds["nnseed"]))
    whitening = None
    if diagonal_frac is not None:
        rotation, eigenvalues = diagonal_basis(inputs.fit_covmat, inputs.groups)
        whitening = rotation / np.sqrt(eigenvalues)[:, None]
    return ReplicaSetup(list(replicas), nnseeds, np.array(trmasks), np.array(data), whitening)


def _cholesky(covmat: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor L of the covariance restricted to `rows`: |L⁻¹ r|² = rᵀ C⁻¹ r."""
    try:
        return la.cholesky(covmat[np.ix_(rows, rows)], lower=True)
    except la.LinAlgError:
        raise DisfitError(
            "a training or validation covariance is not positive definite; check the "
            "uncertainties or the training fraction"
        ) from None


def _whitened(
    inputs: FitInputs, design: np.ndarray, mask: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """L⁻¹·design and L⁻¹·data over the points of `mask`, L the Cholesky factor of each
    covariance group's sub-covariance (groups are uncorrelated)."""
    rows_g, rows_b = [], []
    for group in inputs.groups:
        points = group[mask[group]]
        if len(points) == 0:
            continue
        lower = _cholesky(inputs.fit_covmat, points)
        rows_g.append(la.solve_triangular(lower, design[points], lower=True))
        rows_b.append(la.solve_triangular(lower, data[points], lower=True))
    return np.concatenate(rows_g), np.concatenate(rows_b)


#: block rows of a replica's triangular matrix R: each holds its rows from the diagonal on, so
#: only the part on and above the diagonal is stored and multiplied (9/16 of the dense bytes
#: with 8), one product per block row
TRIANGLE_ROWS = 8


class Predictions:
    """y = [x·f on the (flavour, x) columns any dataset touches; predictions of the non-linear
    datasets (RATIO, ...)]: every data residual is linear in y, r = design·y − D, the design
    holding the FK tables of the linear datasets and unit rows for the others."""

    def __init__(self, inputs: FitInputs) -> None:
        import tensorflow as tf

        nonlinear = [d for d in inputs.datasets if not d.linear]
        width = 8 * len(inputs.xgrid)
        design = np.zeros((inputs.ndata, width + sum(d.ndata for d in nonlinear)))
        column = width
        for d in inputs.datasets:
            if d.linear:
                design[d.rows, :width] = d.operands[0].reshape(d.ndata, -1)
            else:
                design[d.rows, column : column + d.ndata] = np.eye(d.ndata)
                column += d.ndata
        # the (flavour, x) columns any dataset touches: the linear ones' and every operand of
        # the others (a RATIO's x·f entries need not be among the linear datasets')
        used = np.any(design[:, :width] != 0, axis=0)
        for d in nonlinear:
            for op in d.operands:
                used |= np.any(op.reshape(d.ndata, -1) != 0, axis=0)
        self.columns = np.flatnonzero(used)
        self.design = np.concatenate([design[:, self.columns], design[:, width:]], axis=1)
        self.nonlinear = [
            (d.operation, [shared(op.reshape(d.ndata, -1)[:, self.columns]) for op in d.operands])
            for d in nonlinear
        ]
        self.column_index = tf.constant(self.columns, tf.int32)

    def __call__(self, xf_flat: Any) -> Any:
        """y (replicas, columns) for x·f flattened to (replicas, 8·nx) in (flavour, x) order."""
        import tensorflow as tf

        y = tf.gather(xf_flat, self.column_index, axis=1)
        parts = [y]
        for operation, operands in self.nonlinear:
            parts.append(OPERATIONS[operation](*[shared_matvec(op, y) for op in operands]))
        return tf.concat(parts, axis=1)


class TriangularRows:
    """R·y for one upper triangular (trapezoidal) matrix R per replica, (replicas, rows, cols),
    from its block rows, each from its first diagonal column to the last column, as
    non-trainable float32 variables (XLA reads them as arguments instead of copying them into
    the compiled program)."""

    def __init__(self, r: np.ndarray, rows: int = TRIANGLE_ROWS) -> None:
        import tensorflow as tf

        self.edges = np.linspace(0, r.shape[2], min(rows, r.shape[2]) + 1).astype(int)
        self.block_rows = [tf.Variable(b, trainable=False) for b in self._split(r)]

    def _split(self, r: np.ndarray) -> list[np.ndarray]:
        """R's block rows from the diagonal on (rows past R's end left out)."""
        out = []
        for top, bottom in zip(self.edges[:-1], self.edges[1:], strict=True):
            bottom = min(bottom, r.shape[1])
            if top >= bottom:
                break
            out.append(r[:, top:bottom, top:])
        return out

    def assign(self, r: np.ndarray, slots: Sequence[int]) -> None:
        """Hold the matrices `r` (one per slot, same shape otherwise) at `slots`."""
        for row, value in zip(self.block_rows, self._split(r), strict=True):
            assign_rows(row, slots, value)

    def __call__(self, y: Any) -> Any:
        """(replicas, rows) = R·y for y (replicas, cols)."""
        import tensorflow as tf

        tops = self.edges[: len(self.block_rows)]
        return tf.concat(
            [
                replica_matvec(row, y[:, top:])
                for row, top in zip(self.block_rows, tops, strict=True)
            ],
            axis=1,
        )


@dataclasses.dataclass(frozen=True)
class DiagonalRows:
    """The design and every replica's pseudo-data in the diagonal basis (whitening · design,
    whitening · data): computed once for the training and the validation χ², which take
    complementary rows of them."""

    design: np.ndarray  # (eigenmodes, columns)
    data: np.ndarray  # (replicas, eigenmodes)

    @classmethod
    def of(cls, setup: ReplicaSetup, design: np.ndarray) -> DiagonalRows | None:
        """The rows of `setup`'s diagonal basis; None for the per-dataset split."""
        if setup.whitening is None:
            return None
        # one matrix-vector product per replica, as before: a GEMM over the batch would round
        # differently and make a replica's numbers depend on its batch
        data = np.stack([setup.whitening @ d for d in setup.pseudodata])
        return cls(setup.whitening @ design, data)

    def take(self, positions: Sequence[int]) -> DiagonalRows:
        """The rows of the replicas at `positions` (ReplicaSetup.take's)."""
        return dataclasses.replace(self, data=self.data[list(positions)])


class ChiSquare:
    """χ² of the training or the validation points of every replica, as TF tensors.

    With y the Predictions' vector, r = G·y − D. Whitening each covariance group by the Cholesky
    factor of its training (validation) sub-covariance gives χ² = |L⁻¹G·y − L⁻¹D|², and a QR
    decomposition of [L⁻¹G | L⁻¹D] = Q·[[R, c], [0, ρ]] shrinks that exactly to |R·y − c|² + ρ²:
    one small triangular matrix per replica instead of thousands of rows (Q is never formed).
    In the diagonal basis the whitening is Λ^(-1/2)·P restricted to the replica's training
    (validation) eigenmodes."""

    def __init__(
        self,
        inputs: FitInputs,
        setup: ReplicaSetup,
        training: bool,
        predictions: Predictions | None = None,
        rotated: DiagonalRows | None = None,
        job: ReplicaSetup | None = None,
    ) -> None:
        """Every replica's R has as many rows as the most points of a replica of `job`
        (default `setup`; a Trainer gives its whole job, so that every chunk has the same
        shapes), at most the columns."""
        import tensorflow as tf

        self.inputs, self.training = inputs, training
        self.predictions = Predictions(inputs) if predictions is None else predictions
        if setup.held_out is not None and setup.whitening is not None:
            raise DisfitError(
                "held-out folds need the per-dataset split: set fit.diagonal_basis: false"
            )
        cols = self.predictions.design.shape[1]
        self.rows = min(int(self.masks(job or setup).sum(axis=1).max()), cols)
        npoints, tri, rhs, const = self.reduce(setup, rotated)
        self.npoints = npoints
        self.r = TriangularRows(tri)
        self.c = tf.Variable(rhs.astype(np.float32), trainable=False)
        self.const = tf.Variable(const.astype(np.float32), trainable=False)
        self.norm = tf.Variable(np.maximum(npoints, 1).astype(np.float32), trainable=False)

    def masks(self, setup: ReplicaSetup) -> np.ndarray:
        """(replicas, ndata) the points (eigenmodes) of this χ²."""
        return setup.trmasks if self.training else ~setup.trmasks

    def reduce(
        self, setup: ReplicaSetup, rotated: DiagonalRows | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per replica of `setup`: points, R (float32), c and ρ² of |R·y − c|² + ρ²."""
        masks = self.masks(setup)
        keep = np.ones_like(masks) if setup.held_out is None else ~setup.held_out
        # points per replica: equal but where a one-point dataset trains by chance
        npoints = (masks & keep).sum(axis=1).astype(np.int64)
        design = self.predictions.design
        if rotated is None:
            rotated = DiagonalRows.of(setup, design)
        cols = design.shape[1]
        # float32 from the start (one array, not a float64 copy per replica): replicas with
        # fewer points than rows get zero rows
        tri = np.zeros((len(masks), self.rows, cols), np.float32)
        rhs = np.zeros((len(masks), self.rows))
        const = np.zeros(len(masks))
        for k, (mask, data, kept) in enumerate(zip(masks, setup.pseudodata, keep, strict=True)):
            if rotated is not None:  # diagonal basis: the eigenmodes of `mask`
                g, b = rotated.design[mask], rotated.data[k][mask]
            elif kept.all():
                g, b = _whitened(self.inputs, design, mask, data)
            else:  # held-out rows: zero residuals under the unchanged covariance (n3fit)
                g, b = _whitened(self.inputs, design * kept[:, None], mask, data * kept)
            (augmented,) = la.qr(np.column_stack([g, b]), mode="r")
            n = min(len(g), cols)
            tri[k, :n] = augmented[:n, :cols]
            rhs[k, :n] = augmented[:n, cols]
            const[k] = augmented[cols, cols] ** 2 if len(g) > cols else 0.0
        return npoints, tri, rhs, const

    def load(self, setup: ReplicaSetup, rotated: DiagonalRows | None, slots: Sequence[int]) -> None:
        """The χ² of `setup`'s replicas in place of the ones at `slots`."""
        npoints, tri, rhs, const = self.reduce(setup, rotated)
        self.npoints = np.array(self.npoints)
        self.npoints[list(slots)] = npoints
        self.r.assign(tri, slots)
        assign_rows(self.c, slots, rhs.astype(np.float32))
        assign_rows(self.const, slots, const.astype(np.float32))
        assign_rows(self.norm, slots, np.maximum(npoints, 1).astype(np.float32))

    def of(self, y: Any) -> Any:
        """χ² (replicas,) for the Predictions' y."""
        import tensorflow as tf

        z = self.r(y) - self.c
        return tf.reduce_sum(z * z, axis=1) + self.const

    def __call__(self, xf_flat: Any) -> Any:
        """χ² (replicas,) for x·f flattened to (replicas, 8·nx) in (flavour, x) order."""
        return self.of(self.predictions(xf_flat))


@dataclasses.dataclass
class FitResult:
    """What the training gives per replica (arrays over the batch)."""

    best_epoch: np.ndarray  # -1: never improved
    stop_epoch: np.ndarray  # index of the last epoch the replica trained
    nan: np.ndarray
    # every PUSH_EACH epochs: epoch, tr χ²/N, vl χ²/N per replica (`Trainer.train`: one such
    # list per replica, each entry over that replica alone)
    history: list[Any]
    weights: list[np.ndarray]  # best weights, in ReplicaPDF.all_variables order
    ntr: np.ndarray  # training points per replica
    nvl: np.ndarray
    seconds: Any  # float, or per replica (`Trainer.train`)
    # the first PUSH_EACH iterations, their compilation included: the rest is the steady rate
    first_seconds: float = 0.0


def lagrange_schedule(
    initial: float | None, multiplier: float | None, maxlambda: float, epochs: int
) -> tuple[float, float]:
    """n3fit's (initial λ, factor per PUSH_EACH epochs) reaching `maxlambda` at the end."""
    steps = max(int(epochs / PUSH_EACH), 1)
    if multiplier is None:
        initial = 1.0 if initial is None else initial
        multiplier = (maxlambda / initial) ** (1 / steps)
    elif initial is None:
        initial = maxlambda / multiplier**steps
    return float(initial), float(multiplier)


def replica_optimizers(
    config: Mapping[str, Any], variables: Sequence[Any], replicas: int
) -> list[tuple[Any, list[int], list[Any]]]:
    """Keras optimizers (n3fit's, `config`) over `variables`, one per variable rank, whose step
    count (and Nadam's momentum-schedule product) is kept per replica, shaped to broadcast
    against the variables: (replicas, 1, ...). A replica's update is then the same arithmetic
    as with the optimizer's scalar count, whatever step the other replicas are at, so a
    replica can start while others train. Returns (optimizer, indices into `variables`, its
    state variables) per rank."""
    import keras

    out = []
    for rank in sorted({len(v.shape) for v in variables}):
        group = [j for j, v in enumerate(variables) if len(v.shape) == rank]
        optimizer = keras.optimizers.get(
            {
                "class_name": config["optimizer_name"],
                "config": {"learning_rate": config["learning_rate"]},
            }
        )
        optimizer.build([variables[j] for j in group])
        shape = (replicas,) + (1,) * (rank - 1)
        swaps = {"_iterations": np.zeros(shape, "int64")}
        if hasattr(optimizer, "_u_product"):  # Nadam
            swaps["_u_product"] = np.ones(shape, "float32")
        state = list(optimizer.variables)
        for name, value in swaps.items():
            old = getattr(optimizer, name)
            new = keras.Variable(value, dtype=value.dtype.name, trainable=False, name=name[1:])
            setattr(optimizer, name, new)
            state = [new if v is old else v for v in state if v is not new]
        out.append((optimizer, group, state))
    return out


class Trainer:
    """The compiled training of one job's replicas, a chunk of them at a time."""

    def __init__(
        self,
        inputs: FitInputs,
        setup: ReplicaSetup,
        fit: Mapping[str, Any],
        chunk: int | None = None,
    ) -> None:
        """The training of `setup`'s replicas `chunk` at a time (None: all at once) on one
        compiled program: the first `chunk` are loaded (`run` trains them; `train` trains the
        whole job, each ended replica's place taken by the next). A job of fewer than `chunk`
        replicas (or a lone replica) is padded with copies of its first replica: XLA compiles
        a batch of one to other kernels than larger batches (which agree with each other bit
        for bit), so a replica's numbers never depend on its chunk."""
        import tensorflow as tf

        self.inputs, self.fit = inputs, fit
        # the whitening (ndata² floats) is not needed once the χ² are built
        self.job = dataclasses.replace(setup, whitening=None)
        self.size = max(2, min(chunk or len(setup.replicas), len(setup.replicas)))
        self.epochs = int(fit["epochs"])
        self.patience = int(fit["stopping_patience"] * self.epochs)
        self.threshold_chi2 = float(fit["threshold_chi2"])
        self.threshold_pos = float(fit["positivity"]["threshold"])
        scaler = None
        if fit["feature_scaling_points"]:
            scaler = feature_scaler(inputs.feature_grids, int(fit["feature_scaling_points"]))
        self.predictions = Predictions(inputs)
        self.rotated = DiagonalRows.of(setup, self.predictions.design)
        self.positions = self._positions(0)
        first, rotated = self._part(self.positions)
        self.pdf = ReplicaPDF(Architecture.from_config(fit), first.nnseeds, scaler)
        self.training = ChiSquare(inputs, first, True, self.predictions, rotated, self.job)
        nvl = (~setup.trmasks).sum(axis=1)
        self.no_validation = bool(np.all(nvl == 0))
        if not self.no_validation and np.any(nvl == 0):
            raise DisfitError(
                f"replicas {[k for k, n in zip(setup.replicas, nvl, strict=True) if n == 0]} draw "
                "no validation point and others do: fit them in another batch, or set the "
                "datasets' frac"
            )
        # no validation points (frac 1): the stopping watches the training model, as n3fit
        self.validation = (
            self.training
            if self.no_validation
            else ChiSquare(inputs, first, False, self.predictions, rotated, self.job)
        )

        def lagrange(sets, config) -> tuple[Any, Any, Any]:
            if not sets:
                return tf.zeros((0, 8 * len(inputs.xgrid))), tf.zeros((0,)), tf.zeros((0,))
            rows, init, mult = [], [], []
            for s in sets:
                i0, m = lagrange_schedule(
                    config.get("initial"), config.get("multiplier"), s.maxlambda, self.epochs
                )
                rows.append(s.table.reshape(len(s.table), -1))
                init += [i0] * len(s.table)
                mult += [m] * len(s.table)
            return (
                shared(np.concatenate(rows)),
                tf.constant(init, tf.float32),
                tf.constant(mult, tf.float32),
            )

        self.pos_table, self.pos_init, self.pos_mult = lagrange(
            inputs.positivity, fit["positivity"]
        )
        sizes = [len(s.table) for s in inputs.positivity]
        self.pos_sets = shared(np.repeat(np.eye(len(sizes)), sizes, axis=1))
        self.int_table, self.int_init, self.int_mult = lagrange(
            inputs.integrability, fit["integrability"]
        )
        opt = fit["optimizer"]
        self.clipnorm = opt.get("clipnorm")
        self.variables = self.pdf.variables
        self.optimizers = replica_optimizers(opt, self.variables, self.size)
        self.masks = [None if m is None else tf.constant(m) for m in self.pdf.gradient_masks()]
        self.best = [tf.Variable(v.value) for v in self.pdf.all_variables]
        self.state = {k: tf.Variable(v) for k, v in self._initial_state().items()}
        # a new chunk starts the optimizer where this one starts (moments, iterations)
        self._optimizer_start = [v.numpy() for v in self.optimizer_variables]
        # autograph=False: the loop is an explicit tf.while_loop, its ifs on Python values;
        # converting the code took seconds of every start-up
        self._steps = tf.function(self._run_steps, jit_compile=True, autograph=False)

    @property
    def optimizer_variables(self) -> list[Any]:
        """The optimizers' state (each with a replica axis first but the learning rate)."""
        return [v for _, _, state in self.optimizers for v in state]

    def _positions(self, start: int) -> list[int]:
        """Positions in the job of the chunk from `start`, padded to the chunk's size."""
        real = list(range(start, min(start + self.size, len(self.job.replicas))))
        return real + real[:1] * (self.size - len(real))

    def _part(self, positions: list[int]) -> tuple[ReplicaSetup, DiagonalRows | None]:
        """The setup and diagonal-basis rows of the job's replicas at `positions`."""
        rotated = None if self.rotated is None else self.rotated.take(positions)
        return self.job.take(positions), rotated

    def _initial_state(self) -> dict[str, np.ndarray]:
        n, last = self.size, self.epochs - 1
        return {
            "best_vl": np.full(n, np.inf, np.float32),
            "best_epoch": np.full(n, -1, np.int32),
            "counting": np.zeros(n, bool),
            "degrees": np.zeros(n, np.int32),
            "active": np.ones(n, bool),
            "nan": np.zeros(n, bool),
            "stop_epoch": np.full(n, last, np.int32),
            # the iteration at which each replica started (refilled replicas start later)
            "start": np.zeros(n, np.int32),
        }

    def load(
        self, positions: Sequence[int], slots: Sequence[int] | None = None, start: int = 0
    ) -> None:
        """Start the job's replicas at `positions` over in `slots` (default: all, the chunk's
        size), from iteration `start` of the compiled loop: networks, χ², best weights,
        stopping state and optimizer state; the other slots train on untouched."""
        slots = list(range(self.size)) if slots is None else list(slots)
        for slot, position in zip(slots, positions, strict=True):
            self.positions[slot] = position
        part, rotated = self._part(list(positions))
        self.pdf.reset(part.nnseeds, slots)
        self.training.load(part, rotated, slots)
        if not self.no_validation:
            self.validation.load(part, rotated, slots)
        for keep, var in zip(self.best, self.pdf.all_variables, strict=True):
            assign_rows(keep, slots, var.numpy()[slots])
        initial = self._initial_state()
        initial["start"][:] = start
        for name, value in initial.items():
            assign_rows(self.state[name], slots, value[slots])
        for var, value in zip(self.optimizer_variables, self._optimizer_start, strict=True):
            if len(var.shape) and var.shape[0] == self.size:  # not the learning rate
                assign_rows(var, slots, value[slots])

    def train(
        self,
        ended: Callable[[list[int], list[int], FitResult], None],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Train all the job's replicas, `size` at a time: a replica that ends (it stopped, or
        reached the last epoch) leaves its slot to the job's next replica at the next
        PUSH_EACH boundary, so no slot trains for a replica that has ended. `ended(slots,
        positions, result)` gets the replicas that ended at a boundary (their positions in the
        job and a FitResult over them) while the model still holds them. `progress` gets
        (replicas ended, replicas). A replica's numbers do not depend on when or where it
        starts: it has its own iterations, λ schedules, stopping and optimizer step count."""
        import tensorflow as tf

        total = len(self.job.replicas)
        live = {slot: p for slot, p in enumerate(self.positions) if slot == self.positions.index(p)}
        queue = list(range(self.size, total))
        history: dict[int, list[tuple[int, float, float]]] = {slot: [] for slot in live}
        # a replica's time: the compiled steps' while it holds its slot (the outputs of the
        # replicas that end and the loading of the next ones are not any replica's training)
        trained = 0.0
        clock = {slot: trained for slot in live}
        first, iteration, done = None, 0, 0
        while live:
            began = time.perf_counter()
            steps = self._steps(tf.constant(iteration), tf.constant(PUSH_EACH))
            tr, vl = (h.numpy() for h in steps)
            trained += time.perf_counter() - began
            first = first or trained
            start = self.state["start"].numpy()
            for slot in live:
                if iteration - start[slot] <= self.epochs:
                    history[slot].append((iteration - start[slot], tr[slot], vl[slot]))
            iteration += PUSH_EACH
            active = self.state["active"].numpy()
            finished = [s for s in live if not active[s] or iteration - start[s] > self.epochs]
            if not finished:
                continue
            histories = [
                [{"epoch": int(e), "chi2_tr": [tr], "chi2_vl": [vl]} for e, tr, vl in history[s]]
                for s in finished
            ]
            seconds = np.array([trained - clock[s] for s in finished])
            result = self._result(finished, histories, seconds, first)
            ended(finished, [live[s] for s in finished], result)
            done += len(finished)
            if progress:
                progress(done, total)
            refill = [s for s in finished if queue][: len(queue)]
            for slot in finished:
                del live[slot]
            if refill:
                positions, queue = queue[: len(refill)], queue[len(refill) :]
                self.load(positions, refill, iteration)
                for slot, position in zip(refill, positions, strict=True):
                    live[slot], history[slot], clock[slot] = position, [], trained

    def _result(
        self, slots: list[int], history: list[Any], seconds: Any, first_seconds: float
    ) -> FitResult:
        """A FitResult over the replicas at `slots`, from the training state, with `history`
        and the times as the caller kept them."""
        st = {k: v.numpy()[slots] for k, v in self.state.items()}
        never = st["best_epoch"] < 0
        # replicas that never improved keep their final weights (they are vetoed later)
        weights = []
        for best, var in zip(self.best, self.pdf.all_variables, strict=True):
            final = np.asarray(var.numpy())[slots]
            weights.append(
                np.where(never.reshape([-1] + [1] * (final.ndim - 1)), final, best.numpy()[slots])
            )
        return FitResult(
            best_epoch=st["best_epoch"],
            stop_epoch=np.minimum(st["stop_epoch"], self.epochs - 1),
            nan=st["nan"],
            history=history,
            weights=weights,
            ntr=np.asarray(self.training.npoints)[slots],
            nvl=np.zeros(len(slots), int)
            if self.no_validation
            else np.asarray(self.validation.npoints)[slots],
            seconds=seconds,
            first_seconds=first_seconds,
        )

    def restore(self, weights: Sequence[np.ndarray]) -> None:
        """Put `weights` (ReplicaPDF.all_variables order, e.g. FitResult.weights: the ones
        `run` chose, each replica's best) into the model."""
        for var, value in zip(self.pdf.all_variables, weights, strict=True):
            var.assign(value)

    def fitted(self, x: np.ndarray) -> np.ndarray:
        """x·f of every replica at the points `x`, (replicas, 8, len(x)), float64 of the float32
        model."""
        return np.asarray(self.pdf(np.asarray(x, dtype=float)), dtype=float).transpose(0, 2, 1)

    # --- pieces of one step ---------------------------------------------------------------
    def xf_flat(self) -> Any:
        """Normalised x·f on the fit grid, (replicas, 8·nx) in (flavour, x) order."""
        import tensorflow as tf

        xf = self.pdf(self.inputs.xgrid)  # (R, nx, 8)
        return tf.reshape(tf.transpose(xf, (0, 2, 1)), (xf.shape[0], -1))

    def constraints(self, xf_flat: Any) -> tuple[Any, Any]:
        """The positivity and integrability observables O of every replica."""
        return (
            shared_matvec(self.pos_table, xf_flat),
            shared_matvec(self.int_table, xf_flat),
        )

    def penalties(self, observables: tuple[Any, Any], epoch: Any) -> tuple[Any, Any, Any]:
        """n3fit's penalties with the λ's of each replica's `epoch` (replicas,), each
        (replicas,): positivity
        Σ elu(−λ·O, α=1e-7), also per set (replicas, sets) for the positivity check, and
        integrability Σ (λ·O)²."""
        import tensorflow as tf

        pos_obs, int_obs = observables
        steps = tf.cast(epoch // PUSH_EACH, tf.float32)[:, None]
        pos = self.pos_init * self.pos_mult**steps * pos_obs
        # elu(−λO, α=1e-7); exp only of non-positive numbers, so no inf (whose zero-weighted
        # gradient in the other branch of tf.where would still be NaN)
        elu = tf.where(pos < 0, -pos, 1e-7 * (tf.exp(-tf.maximum(pos, 0.0)) - 1.0))
        per_set = shared_matvec(self.pos_sets, elu)
        integ = self.int_init * self.int_mult**steps * int_obs
        return tf.reduce_sum(per_set, axis=1), per_set, tf.reduce_sum(integ * integ, axis=1)

    def validation_loss(
        self, chi2_vl: Any, observables: tuple[Any, Any], epoch: Any
    ) -> tuple[Any, Any]:
        """The stopping check's loss of each replica's `epoch` and its positivity per set.
        n3fit checks an
        epoch before its Lagrange callback raises the λ's, so with that epoch's λ's; its
        validation loss holds positivity, and integrability too when there is no validation
        (the validation model is then the training one)."""
        positivity, per_set, integrability = self.penalties(observables, epoch)
        loss = chi2_vl + positivity
        return (loss + integrability if self.no_validation else loss), per_set

    def _run_steps(self, first: Any, count: Any) -> Any:
        """Iterations first .. first+count−1. Iteration i checks the weights after i updates
        (n3fit's epoch i−1, whose end-of-epoch check sees them) and then makes update i."""
        import tensorflow as tf

        st = self.state
        variables = self.variables
        all_vars = self.pdf.all_variables

        def body(i, tr_hist, vl_hist):
            # each replica's own iteration; it trains iterations 0 .. epochs (the last one
            # checks and is not checked), then is frozen until its slot is refilled
            own = i - st["start"]
            running = st["active"] & (own <= self.epochs)
            with tf.GradientTape() as tape:
                xf = self.xf_flat()
                y = self.predictions(xf)
                chi2_tr = self.training.of(y)
                observables = self.constraints(xf)
                positivity, _, integrability = self.penalties(observables, own)
                loss_r = chi2_tr + positivity + integrability
                loss = tf.reduce_sum(tf.where(running, loss_r, 0.0))
            chi2_vl = chi2_tr if self.no_validation else self.validation.of(y)
            grads = tape.gradient(loss, [v.value for v in variables])
            # a NaN or infinite loss or gradient ends that replica only
            finite = tf.math.is_finite(loss_r)
            for g in grads:
                finite &= tf.reduce_all(tf.math.is_finite(g), axis=list(range(1, len(g.shape))))
            bad = running & ~finite
            st["nan"].assign(st["nan"] | bad)
            # --- stopping check for epoch own−1 (skipped before the first update) ---
            epoch = own - 1
            check = (own > 0) & running & ~bad
            vl_loss, pos_sets = self.validation_loss(chi2_vl, observables, epoch)
            vl_chi2n = chi2_vl / self.validation.norm
            pos_pass = tf.reduce_all(pos_sets < self.threshold_pos, axis=1)
            better = check & (st["counting"] | (vl_chi2n < self.threshold_chi2))
            better = better & (vl_loss < st["best_vl"]) & pos_pass
            st["degrees"].assign(tf.where(check & st["counting"], st["degrees"] + 1, st["degrees"]))
            st["best_epoch"].assign(tf.where(better, epoch, st["best_epoch"]))
            st["best_vl"].assign(tf.where(better, vl_loss, st["best_vl"]))
            st["counting"].assign(st["counting"] | better)
            st["degrees"].assign(tf.where(better, 0, st["degrees"]))
            for keep, var in zip(self.best, all_vars, strict=True):
                shape = [-1] + [1] * (len(var.shape) - 1)
                keep.assign(tf.where(tf.reshape(better, shape), var.value, keep))
            stopping = check & (st["degrees"] > self.patience)
            ended = bad | stopping
            st["stop_epoch"].assign(tf.where(ended, tf.maximum(epoch, 0), st["stop_epoch"]))
            st["active"].assign(st["active"] & ~ended)
            running = running & ~ended
            record = tf.equal(tf.math.floormod(i, PUSH_EACH), 0)
            tr_hist = tf.cond(record, lambda: chi2_tr / self.training.norm, lambda: tr_hist)
            vl_hist = tf.cond(record, lambda: vl_chi2n, lambda: vl_hist)
            # --- update i: per-replica clipping, frozen replicas keep their weights ---
            clipped = []
            for g, mask in zip(grads, self.masks, strict=True):
                g = tf.where(tf.math.is_finite(g), g, 0.0)  # of ended replicas: kept frozen
                if self.clipnorm:
                    axes = list(range(1, len(g.shape)))
                    norm = tf.sqrt(tf.reduce_sum(g * g, axis=axes, keepdims=True))
                    g = g * self.clipnorm / tf.maximum(norm, self.clipnorm)
                clipped.append(g if mask is None else g * mask)
            old = [tf.identity(v.value) for v in variables]
            for optimizer, group, _ in self.optimizers:
                optimizer.apply_gradients([(clipped[j], variables[j]) for j in group])
            for var, before in zip(variables, old, strict=True):
                shape = [-1] + [1] * (len(var.shape) - 1)
                var.assign(tf.where(tf.reshape(running, shape), var.value, before))
            if self.pdf.arch.trainable.any():
                self.pdf.constrain_exponents(running)
            return i + 1, tr_hist, vl_hist

        zeros = tf.zeros((self.size,), tf.float32)
        _, tr_hist, vl_hist = tf.while_loop(
            lambda i, *_: i < first + count, body, (first, zeros, zeros)
        )
        return tr_hist, vl_hist

    def run(self, progress: Callable[[int, int], None] | None = None) -> FitResult:
        """Train the loaded chunk to `epochs` (or until all its replicas stopped); the result
        holds every replica of the chunk, its padding included."""
        import tensorflow as tf

        start = time.perf_counter()
        first = 0.0
        history = []
        iteration, total = 0, self.epochs + 1
        while iteration < total and bool(tf.reduce_any(self.state["active"])):
            count = min(PUSH_EACH, total - iteration)
            tr, vl = self._steps(tf.constant(iteration), tf.constant(count))
            history.append({"epoch": iteration, "chi2_tr": tr.numpy(), "chi2_vl": vl.numpy()})
            first = first or time.perf_counter() - start
            done = min(iteration, self.epochs)  # the last iteration checks, trains nothing
            iteration += count
            if progress and min(iteration, self.epochs) > done:
                progress(min(iteration, self.epochs), self.epochs)
        every = list(range(self.size))
        return self._result(every, history, time.perf_counter() - start, first)
