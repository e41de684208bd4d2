"""Replica fits in TensorFlow on a toy problem: seeds as validphys derives them, the χ² of the
compiled training against a direct numpy computation, sum rules, positivity, a replica fitted in
a batch equal to it fitted alone, and bitwise-identical reruns."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from helpers import toy_fit_config, toy_fit_inputs
from scipy import integrate

from disfit.basis import FK_BASIS
from disfit.config import validate_config
from disfit.fit.inputs import FitDataset, FitInputs
from disfit.fit.replicas import replica_seed
from disfit.io.replica import EVOLUTION_FILE, HISTORY_FILE, read_json, read_replica_grid

XGRID = np.geomspace(1e-5, 0.9, 25)


def test_replica_seeds_are_validphys_draws():
    # validphys' replica_{trvl,nn,mc}seed for NNPDF4.0's runcard seeds (numpy legacy RNG)
    assert replica_seed(1, 14613416) == 1118557153
    assert replica_seed(1, 1865683875) == 1892634036
    assert replica_seed(1, 746898422) == 1644203284
    assert replica_seed(2, 14613416) == 1478142937
    assert replica_seed(2, 746898422) == 1543178279


def test_negative_pseudodata_resampling_skips_asymmetries():
    """resample_negative_pseudodata redraws until the pseudo-data of every dataset but the
    asymmetries (and polarised ones) are non-negative: an asymmetry with a negative central
    value never blocks it (validphys 4.1.5's check_positive_masks)."""
    from disfit.fit.replicas import pseudodata

    zero = np.zeros((3, 8, len(XGRID)))
    datasets = (
        FitDataset("XS", slice(0, 3), 0.75, "NULL", (zero,), "DIS_NC"),
        FitDataset("AS", slice(3, 6), 0.75, "NULL", (zero,), "EWK_RAP_ASY"),
    )
    central = np.array([0.1, 0.2, 0.3, -0.05, 0.01, -0.2])
    cov = np.diag(np.full(6, 0.1**2))
    inputs = FitInputs(XGRID, datasets, central, cov, cov, (np.arange(6),), (), (), 1.65)
    assert [d.positive for d in datasets] == [True, False]
    for seed in range(20):
        replica = pseudodata(inputs, seed, resample_negative=True)
        assert np.all(replica[:3] >= 0)
    assert np.any(replica[3:] < 0)


def test_one_point_datasets_train_with_probability_frac():
    """validphys 4.1.5's standard_masks, written out: int(frac·n) training points, or when that
    is 0 one point with probability frac, drawn before the shuffle from the generator of the
    datasets' experiment (here both "E")."""
    from disfit.fit.replicas import _name_seed, training_masks

    zero = np.zeros((1, 8, len(XGRID)))
    datasets = (
        FitDataset("A", slice(0, 5), 0.75, "NULL", (np.zeros((5, 8, len(XGRID))),), "", "E"),
        FitDataset("ONE", slice(5, 6), 0.75, "NULL", (zero,), "", "E"),
    )
    group = (np.arange(6),)
    inputs = FitInputs(XGRID, datasets, np.zeros(6), np.eye(6), np.eye(6), group, (), (), 1.65)
    trained = []
    for seed in range(400):
        rng = np.random.Generator(np.random.PCG64(_name_seed(["E"]) + seed))
        expected = []
        for n in (5, 1):
            ntr = int(0.75 * n) or int(rng.random() < 0.75)
            part = np.concatenate([np.ones(ntr, dtype=bool), np.zeros(n - ntr, dtype=bool)])
            rng.shuffle(part)
            expected.append(part)
        mask = training_masks(inputs, seed)
        np.testing.assert_array_equal(mask, np.concatenate(expected))
        trained.append(mask[5])
    assert abs(np.mean(trained) - 0.75) < 0.07  # 400 draws: σ = 0.022


def test_split_and_pseudodata_are_validphys():
    """validphys 4.1.5's own masks and pseudo-data (tests/reference/make_validphys_replicas.py)
    for four datasets in three experiments (NMC's legacy_dw deuteron ratio is DEUTERON, HERA
    charm HERACOMB): the per-dataset split drawn per experiment, the pseudo-data per experiment
    (seeded with the datasets' legacy names) and, for the diagonal basis, over all data."""
    from disfit.data.commondata import load_dataset
    from disfit.data.covmat import covmat_from_systematics
    from disfit.fit.replicas import pseudodata, sampling_groups, training_masks

    with np.load(Path(__file__).parent / "data" / "validphys_replicas.npz") as ref:
        ref = {k: ref[k] for k in ref.files}
    variants = dict(
        zip(
            ref["names"],
            ["legacy_dw", "legacy", "legacy_dw", "legacy"],
            strict=True,
        )
    )
    loaded = [load_dataset(str(n), variants[n]) for n in ref["names"]]
    covmat = covmat_from_systematics(loaded)
    central = np.concatenate([d.central for d in loaded])
    np.testing.assert_allclose(central, ref["central"], rtol=1e-12)
    from disfit.data.commondata import validphys_names
    from disfit.fit.inputs import covariance_groups

    datasets, offset = [], 0
    for d in loaded:
        experiment, seed_name = validphys_names(d.name, d.variant)
        zero = np.zeros((d.ndata, 8, 1))
        rows = slice(offset, offset + d.ndata)
        datasets.append(FitDataset(d.name, rows, 0.75, "NULL", (zero,), "", experiment, seed_name))
        offset += d.ndata
    groups = covariance_groups(covmat, [d.rows for d in datasets])
    inputs = FitInputs(np.ones(1), tuple(datasets), central, covmat, covmat, groups, (), (), 1.65)
    assert len(groups) > 1  # validphys factorises each whole group: here in parts
    assert [name for name, _ in inputs.experiments()] == list(ref["groups"])
    for k in (1, 2, 3):
        mask = training_masks(inputs, replica_seed(k, 14613416))
        np.testing.assert_array_equal(mask, ref[f"trmask/{k}"])
        mcseed = replica_seed(k, 746898422)
        for diagonal, key in ((False, "pseudodata"), (True, "pseudodata_all")):
            groups = sampling_groups(inputs, diagonal)
            np.testing.assert_allclose(
                pseudodata(inputs, mcseed, groups=groups), ref[f"{key}/{k}"], rtol=1e-9
            )


def test_genrep_false_fits_the_central_data():
    """n3fit's genrep: false (a closure test's level 0 and 1): every replica's data are the
    central values, with the same split and seeds as with genrep."""
    from disfit.fit.train import setup_replicas

    inputs = toy_fit_inputs((0, 1, 2, 5), True)
    seeds = {"trvlseed": 1, "nnseed": 2, "mcseed": 3}
    plain = setup_replicas(inputs, [1, 2], seeds, genrep=False)
    noisy = setup_replicas(inputs, [1, 2], seeds)
    np.testing.assert_array_equal(plain.pseudodata, np.tile(inputs.central, (2, 1)))
    assert not np.allclose(noisy.pseudodata, plain.pseudodata)
    np.testing.assert_array_equal(plain.trmasks, noisy.trmasks)
    assert plain.nnseeds == noisy.nnseeds


@pytest.mark.parametrize(
    "ratio_flavours, linear",
    [((0, 1, 2, 5), True), ((0, 1, 2, 3, 5), True), ((1, 3, 4), False)],
    ids=["default", "ratio-touches-more-flavours", "ratio-alone"],
)
def test_compiled_chi2_equals_direct_inverse_covariance(ratio_flavours, linear):
    """Whitened FK tables (linear group) and whitened residuals (RATIO group) give the χ² of
    rᵀ C_tr⁻¹ r computed with numpy's inverse of the training sub-covariance; also when the
    RATIO's tables use flavours the linear dataset does not, or there is no linear dataset
    (both lost those columns before: wrong χ², or 0/0)."""
    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs(ratio_flavours, linear)
    setup = setup_replicas(inputs, [1, 2], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    trainer = Trainer(inputs, setup, toy_fit_config())
    xf_flat = trainer.xf_flat()
    compiled = trainer.training(xf_flat).numpy()
    fitted = xf_flat.numpy().reshape(2, 8, -1)
    for r in range(2):
        residual = inputs.predictions(fitted[r]) - setup.pseudodata[r]
        expected = 0.0
        for group in inputs.groups:
            tr = group[setup.trmasks[r, group]]
            inv = np.linalg.inv(inputs.fit_covmat[np.ix_(tr, tr)])
            expected += residual[tr] @ inv @ residual[tr]
        assert np.isfinite(expected) and expected > 0
        np.testing.assert_allclose(compiled[r], expected, rtol=2e-4)
    # int(0.75 n) per dataset
    assert np.all(trainer.training.npoints == (22 + 9 if linear else 9))


def test_diagonal_basis_split_is_validphys():
    """validphys 4.1.5's own functions (tests/reference/make_validphys_diagonal.py) on a
    60-point covariance: the same eigenvalues and rotation (each eigenvector up to its sign),
    the same eigenmode masks for replicas 1-6 of NNPDF4.0's trvlseed, and the same training
    and validation χ² of a residual."""
    from disfit.data.covmat import diagonal_basis
    from disfit.fit.replicas import diagonal_masks

    with np.load(Path(__file__).parent / "data" / "validphys_diagonal.npz") as ref:
        ref = {k: ref[k] for k in ref.files}
    rotation, eigenvalues = diagonal_basis(ref["covmat"])
    np.testing.assert_allclose(eigenvalues, ref["eigenvalues"], rtol=1e-10)
    signs = np.sign(np.sum(rotation * ref["rotation"], axis=1))
    np.testing.assert_allclose(rotation * signs[:, None], ref["rotation"], rtol=0, atol=1e-10)
    whitened = (rotation @ ref["residual"]) / np.sqrt(eigenvalues)
    for k, seed in enumerate(ref["trvlseeds"], start=1):
        assert replica_seed(k, 14613416) == seed
        mask = diagonal_masks(len(eigenvalues), int(seed), 0.75)
        np.testing.assert_array_equal(mask, ref["masks"][k - 1])
        assert mask.sum() == 45
        np.testing.assert_allclose((whitened[mask] ** 2).sum(), ref["chi2_tr"][k - 1], rtol=1e-10)
        np.testing.assert_allclose((whitened[~mask] ** 2).sum(), ref["chi2_vl"][k - 1], rtol=1e-10)


def test_diagonal_basis_by_covariance_group_is_the_whole_matrixs():
    """The eigensystem of a block-diagonal correlation matrix, decomposed a covariance group at
    a time (the fit's setup), equals numpy's eigh of the whole matrix (validphys'): the same
    eigenvalues in the same ascending order, every eigenvector up to its sign, whatever the
    order of the groups' points; a group's modes are zero on the other groups' points."""
    from disfit.data.covmat import diagonal_basis

    rng = np.random.default_rng(11)
    n = 90
    covmat = np.zeros((n, n))
    order = rng.permutation(n)  # groups interleaved in data order, as datasets may be
    groups = (np.sort(order[:35]), np.sort(order[35:47]), np.sort(order[47:]))
    for rows in groups:
        mixing = rng.normal(size=(len(rows), len(rows)))
        block = mixing @ mixing.T + np.diag(rng.uniform(0.5, 1.0, len(rows)))
        sigma = rng.uniform(0.01, 3.0, len(rows))
        covmat[np.ix_(rows, rows)] = block / np.sqrt(np.outer(np.diag(block), np.diag(block)))
        covmat[np.ix_(rows, rows)] *= np.outer(sigma, sigma)
    whole, values = diagonal_basis(covmat)
    parts, part_values = diagonal_basis(covmat, groups)
    np.testing.assert_allclose(part_values, values, rtol=1e-12)
    assert np.all(np.diff(part_values) > 0)
    signs = np.sign(np.sum(parts * whole, axis=1))
    scale = np.abs(whole).max()
    np.testing.assert_allclose(parts * signs[:, None], whole, rtol=0, atol=1e-10 * scale)
    for mode in parts:
        touched = [bool(np.any(mode[rows] != 0)) for rows in groups]
        assert sum(touched) == 1
    np.testing.assert_allclose(parts @ covmat @ parts.T, np.diag(values), atol=1e-10)


@pytest.mark.parametrize("frac", [0.75, 1.0])
def test_diagonal_basis_chi2_is_n3fits(frac):
    """n3fit 4.1.5's diagonal basis: the training χ² is Σ over the replica's training
    eigenmodes of (Vᵀ S⁻¹ r)²/λ (S the standard deviations, V, λ the eigensystem of the
    correlation matrix), computed here with numpy's eigh of the covariance written out; with
    every eigenmode training it is the full rᵀ C⁻¹ r. int(frac·N) modes train in every
    replica, the RATIO dataset's predictions are rotated with the rest."""
    import dataclasses

    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs()
    # a generic correlation: the toy's is 1 on a 40-dimensional eigenspace, where eigh's basis
    # is arbitrary (there any rounding difference changes which directions a mask picks)
    rng = np.random.default_rng(5)
    sigma = np.sqrt(np.diag(inputs.fit_covmat))
    mixing = rng.normal(size=(inputs.ndata, inputs.ndata)) * sigma[:, None] * 0.1
    cov = inputs.fit_covmat + mixing @ mixing.T
    inputs = dataclasses.replace(inputs, covmat=cov, fit_covmat=cov, groups=(np.arange(42),))
    setup = setup_replicas(inputs, [1, 2], {"trvlseed": 1, "nnseed": 2, "mcseed": 3}, False, frac)
    trainer = Trainer(inputs, setup, toy_fit_config())
    xf_flat = trainer.xf_flat()
    compiled = trainer.training(xf_flat).numpy()
    fitted = xf_flat.numpy().reshape(2, 8, -1)
    sigma = np.sqrt(np.diag(inputs.fit_covmat))
    eigenvalues, vectors = np.linalg.eigh(inputs.fit_covmat / np.outer(sigma, sigma))
    assert np.all(setup.trmasks.sum(axis=1) == int(frac * inputs.ndata))
    assert not np.array_equal(setup.trmasks[0], setup.trmasks[1]) or frac == 1.0
    for r in range(2):
        residual = inputs.predictions(fitted[r]) - setup.pseudodata[r]
        modes = (vectors.T @ (residual / sigma)) ** 2 / eigenvalues
        np.testing.assert_allclose(compiled[r], modes[setup.trmasks[r]].sum(), rtol=2e-4)
        if frac == 1.0:
            full = residual @ np.linalg.solve(inputs.fit_covmat, residual)
            np.testing.assert_allclose(compiled[r], full, rtol=2e-4)
    assert trainer.no_validation == (frac == 1.0)


@pytest.mark.parametrize("frac", [0.75, 1.0], ids=["validation", "no-validation"])
def test_stopping_check_uses_the_lambdas_of_its_epoch(frac):
    """n3fit 4.1.5's order at the end of an epoch: the stopping check, then the Lagrange
    callback. So the check of epoch 99 sees λ₀ (not λ₁), and with no validation points its loss
    is the training model's: positivity and integrability."""
    import dataclasses

    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs()
    inputs = dataclasses.replace(
        inputs, datasets=tuple(dataclasses.replace(d, frac=frac) for d in inputs.datasets)
    )
    setup = setup_replicas(inputs, [1], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    fit = toy_fit_config(epochs=1000)
    fit["positivity"]["initial"], fit["integrability"]["initial"] = 10.0, 10.0
    trainer = Trainer(inputs, setup, fit)  # the lone replica and its copy
    xf = trainer.xf_flat()
    pos_obs, int_obs = (o.numpy()[:1] for o in trainer.constraints(xf))
    chi2 = np.array([3.0], np.float32)
    for epoch, steps in ((98, 0), (99, 0), (100, 1), (199, 1)):
        loss, per_set = (
            v.numpy()
            for v in trainer.validation_loss(chi2, trainer.constraints(xf), np.full(2, epoch))
        )
        lam_pos = 10.0 * trainer.pos_mult.numpy()[0] ** steps
        lam_int = 10.0 * trainer.int_mult.numpy()[0] ** steps
        pos = np.where(
            -lam_pos * pos_obs > 0,
            -lam_pos * pos_obs,
            1e-7 * (np.exp(-lam_pos * np.maximum(pos_obs, 0)) - 1),
        )
        expected = 3.0 + pos.sum()
        if frac == 1.0:
            expected += ((lam_int * int_obs) ** 2).sum()
        np.testing.assert_allclose(loss, [expected] * 2, rtol=1e-5)
        np.testing.assert_allclose(per_set[0].sum(), pos.sum(), rtol=1e-5, atol=1e-12)
    assert trainer.no_validation == (frac == 1.0)


def test_trainable_exponents_stay_in_their_ranges():
    """n3fit's preprocessing: `trainable` defaults to true when a basis entry omits it, and
    MinMaxWeight keeps trained α, β inside the flavour's ranges (narrow ranges and a large
    learning rate would push them out)."""
    from disfit.fit.train import Trainer, setup_replicas

    fit = toy_fit_config(epochs=400)
    omitted = [{k: v for k, v in b.items() if k != "trainable"} for b in fit["basis"]]
    config = validate_config({"datasets": [{"dataset": "TOY_A"}], "fit": {"basis": omitted}})
    assert all(b["trainable"] is True for b in config["fit"]["basis"])
    fit["basis"] = [{**b, "trainable": True} for b in fit["basis"]]
    fit["basis"] = [
        {**b, "smallx": [b["smallx"][0], b["smallx"][0] + 0.02], "largex": [3.0, 3.05]}
        for b in fit["basis"]
    ]
    fit["optimizer"]["learning_rate"] = 0.1
    inputs = toy_fit_inputs()
    setup = setup_replicas(inputs, [1, 2], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    trainer = Trainer(inputs, setup, fit)
    start = trainer.pdf.alpha.numpy().copy()
    trainer.run()
    alpha, beta = trainer.pdf.alpha.numpy(), trainer.pdf.beta.numpy()
    arch = trainer.pdf.arch
    assert not np.allclose(alpha, start)  # trained
    tol = 1e-6
    assert np.all(alpha >= arch.smallx[:, 0] - tol) and np.all(alpha <= arch.smallx[:, 1] + tol)
    assert np.all(beta >= arch.largex[:, 0] - tol) and np.all(beta <= arch.largex[:, 1] + tol)
    # some exponents sit at a bound: without the constraint they would have left the range
    assert np.any(
        np.isclose(alpha, arch.smallx[:, 0], atol=1e-5)
        | np.isclose(alpha, arch.smallx[:, 1], atol=1e-5)
    )


@pytest.mark.parametrize("shape", [(2, 408), (166, 408), (121, 328)])
def test_shared_products_are_batch_invariant(shape):
    """A row of shared_matvec, and its gradient, has the same bits in batches of 1 to 100 and
    at any place in them (the default fit's integrability, positivity and NMC ratio shapes; one
    GEMM over the batch differs from 4 replicas on for the first of them)."""
    import tensorflow as tf

    from disfit.fit.model import shared, shared_matvec

    rng = np.random.default_rng(7)
    matrix = shared(rng.normal(size=shape))
    value = tf.function(lambda y: shared_matvec(matrix, y), jit_compile=True)
    grad = tf.function(
        lambda y, d: tf.gradients(tf.reduce_sum(shared_matvec(matrix, y) * d), y)[0],
        jit_compile=True,
    )
    ys = rng.normal(size=(100, shape[1])).astype("float32")
    ds = rng.normal(size=(100, shape[0])).astype("float32")
    alone = value(ys[:1]).numpy()[0], grad(ys[:1], ds[:1]).numpy()[0]
    for size in (2, 3, 5, 8, 9, 17, 50, 100):
        for place in {0, size // 2, size - 1}:
            y, d = np.roll(ys[:size], place, axis=0), np.roll(ds[:size], place, axis=0)
            np.testing.assert_array_equal(value(y).numpy()[place], alone[0])
            np.testing.assert_array_equal(grad(y, d).numpy()[place], alone[1])


@pytest.fixture(scope="module", params=[True, False], ids=["diagonal-basis", "per-dataset"])
def batch_fit(request, tmp_path_factory) -> tuple[Path, ...]:
    """Replicas 1-3 fitted together, replica 9 alone, 1-3 again, 1-10 together (two chunks
    of shared_matvec) and 1-10 in chunks of 4 (the last: 9, 10 and two copies of 9), in both
    split modes."""
    from disfit.fit.runner import fit_replicas

    inputs, fit = toy_fit_inputs(), toy_fit_config(epochs=1500)
    fit["diagonal_basis"] = request.param
    batch, alone, again, ten, chunked = (
        tmp_path_factory.mktemp(n) for n in ("batch", "alone", "again", "ten", "chunked")
    )
    fit_replicas(inputs, fit, [1, 2, 3], batch)
    fit_replicas(inputs, copy.deepcopy(fit), [9], alone)
    fit_replicas(inputs, copy.deepcopy(fit), [1, 2, 3], again)
    fit_replicas(inputs, copy.deepcopy(fit), list(range(1, 11)), ten)
    fit_replicas(
        inputs, {**copy.deepcopy(fit), "replicas_per_chunk": 4}, list(range(1, 11)), chunked
    )
    return batch, alone, again, ten, chunked


def test_replica_in_a_batch_equals_it_alone(batch_fit):
    """Bitwise: every replica sum runs in the same order whatever the batch size and wherever
    the replica sits in it (replicas 2 and 3 in batches of 3 and 10, replica 9 alone and in the
    second chunk of 10)."""
    batch, alone, _, ten, _ = batch_fit
    from disfit.fit.model import SHARED_CHUNK

    assert SHARED_CHUNK < 10  # the batch of ten spans two chunks of the shared products
    for k, first, second in ((2, batch, ten), (3, batch, ten), (9, alone, ten)):
        _assert_same_replica(first / f"replica_{k}", second / f"replica_{k}")


def _assert_same_replica(first: Path, second: Path) -> None:
    """The same bits in every file of two replica folders but the timing entry."""
    for name in (EVOLUTION_FILE, "xf_flavour.parquet", HISTORY_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    in_first, in_second = read_json(first), read_json(second)
    in_first.pop("timing"), in_second.pop("timing")
    assert in_first == in_second


def test_replica_in_a_chunk_equals_it_in_the_whole_batch(batch_fit):
    """Bitwise: a job training 4 replicas at a time on one compiled program, each ended
    replica's place taken by the next at the next 100-epoch boundary (its own iterations, λ's,
    stopping and optimizer steps), gives every replica the numbers it gets when the whole job
    trains at once."""
    *_, ten, chunked = batch_fit
    for k in range(1, 11):
        _assert_same_replica(ten / f"replica_{k}", chunked / f"replica_{k}")
    assert read_json(chunked / "replica_9")["timing"]["replicas_in_chunk"] == 4
    # the first four end at different epochs: their places were refilled at different times
    assert len({read_json(chunked / f"replica_{k}")["stop_epoch"] for k in range(1, 5)}) > 1


def test_rerun_is_bitwise_identical(batch_fit):
    batch, _, again, *_ = batch_fit
    for k in (1, 2, 3):
        _assert_same_replica(batch / f"replica_{k}", again / f"replica_{k}")


def test_fit_learns_and_keeps_positivity(batch_fit, request):
    """Replicas learn the toy data and keep x·g positive where the positivity set asks. The χ²
    target is checked in the per-dataset split only: the toy's 42 points leave 10 validation
    eigenmodes in the diagonal basis, too few to stop its replicas at a good epoch (they stop
    at χ²/N 11-35; the default fit's diagonal-basis numbers are in docs/fit-defaults.md)."""
    batch, *_ = batch_fit
    diagonal = "diagonal-basis" in request.node.callspec.id
    passing = 0
    for k in (1, 2, 3):
        content = read_json(batch / f"replica_{k}")
        assert {
            "arc_lengths",
            "best_epoch",
            "chi2",
            "erf_tr",
            "erf_vl",
            "integrability",
            "pos_state",
            "preprocessing",
            "stop_epoch",
            "timing",
            "version",
        } <= set(content)
        if content["status"] != "ok":  # never improved: flagged for postfit's veto
            assert content["pos_state"] == "POS_VETO" and content["status"] == "fail"
            continue
        passing += 1
        assert content["pos_state"] == "POS_PASS"
        assert content["best_epoch"] < content["stop_epoch"]
        assert diagonal or content["chi2"] < 5.0
        x, xf, _ = read_replica_grid(batch / f"replica_{k}" / EVOLUTION_FILE)
        g = xf[FK_BASIS.index("g")]
        assert np.all(g[(x >= XGRID[0]) & (x <= XGRID[16])] > -1e-6)  # positivity region
    assert passing >= 2


def test_sum_rules_after_training_with_a_fine_grid():
    """The 64-point Gauss–Legendre sum-rule grid is an implementation detail: a fine Simpson
    integration of the trained model gives momentum 1 and valence 3, 1, 3 to 1e-4."""
    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs()
    setup = setup_replicas(inputs, [1], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    trainer = Trainer(inputs, setup, toy_fit_config(epochs=200))
    result = trainer.run()
    for var, best in zip(trainer.pdf.all_variables, result.weights, strict=True):
        var.assign(best)

    def integral(flavours, power):  # ∫_{1e-9}^{1} x^power · xf dx: Simpson, 40001 points in ln x
        t = np.linspace(np.log(1e-9), 0.0, 40001)
        x = np.exp(t)
        values = np.asarray(trainer.pdf(x))[0][:, flavours].sum(axis=1)
        return integrate.simpson(values * x ** (power + 1), x=t)

    assert integral([0, 1], 0) == pytest.approx(1.0, abs=1e-4)  # momentum: Σ + g
    assert integral([2], -1) == pytest.approx(3.0, abs=1e-4)  # V
    assert integral([3], -1) == pytest.approx(1.0, abs=1e-4)  # V3
    assert integral([4], -1) == pytest.approx(3.0, abs=1e-4)  # V8


def test_nan_stops_only_its_replica():
    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs()
    setup = setup_replicas(inputs, [1, 2], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    trainer = Trainer(inputs, setup, toy_fit_config(epochs=300))
    kernel = trainer.pdf.layers[0][0]
    kernel.assign(np.where(np.arange(2)[:, None, None] == 0, np.nan, kernel.numpy()))
    result = trainer.run()  # replica 1's loss is NaN from the first step
    assert result.nan.tolist() == [True, False]
    assert result.best_epoch[0] == -1 and result.stop_epoch[0] == 0
    assert result.best_epoch[1] > 0 and np.all(np.isfinite(result.weights[0][1]))


def test_t0_pdf_from_a_previous_fit_and_an_lhapdf_set(batch_fit, tmp_path):
    """The t0 PDF from a disfit postfit folder (its replica 0, the mean of the selected
    replicas) and from an lhagrid1 file holding the same x·f agree; a fit's raw replicas, some
    of which postfit may reject, are refused."""
    from disfit.basis import FLAVOUR_PIDS, flavour_basis
    from disfit.config import with_defaults
    from disfit.errors import DisfitError
    from disfit.fit.t0 import t0_pdf
    from disfit.postfit.select import postfit

    batch, *_ = batch_fit
    with pytest.raises(DisfitError, match="raw replicas, some of which postfit may reject"):
        t0_pdf(batch, 1.65)
    settings = with_defaults("postfit", {})
    selected = postfit(batch, tmp_path / "postfit", settings, 1.65)["selected"]
    from_fit = t0_pdf(tmp_path / "postfit", 1.65)
    x = read_replica_grid(batch / "replica_1" / EVOLUTION_FILE)[0]
    grids = [read_replica_grid(batch / f"replica_{k}" / EVOLUTION_FILE)[1] for k in selected]
    mean = np.mean(grids, axis=0)
    np.testing.assert_allclose(from_fit(x), mean, rtol=1e-12, atol=1e-14)
    # the same PDF written as LHAPDF member 0 at Q = 1.65 and 100 GeV
    flavour = flavour_basis(mean)
    pids = [p for p in FLAVOUR_PIDS if p != 22]
    rows = np.array([flavour[FLAVOUR_PIDS.index(p)] for p in pids]).T  # (nx, nfl)
    block = np.repeat(rows, 2, axis=0)  # each x: Q = 1.65, then Q = 100
    folder = tmp_path / "TOYSET"
    folder.mkdir()
    text = "PdfType: central\nFormat: lhagrid1\n---\n"
    text += " ".join(f"{v:.16e}" for v in x) + "\n1.65 100.0\n" + " ".join(map(str, pids)) + "\n"
    text += "\n".join(" ".join(f"{v:.16e}" for v in r) for r in block) + "\n---\n"
    (folder / "TOYSET_0000.dat").write_text(text)
    from_lhapdf = t0_pdf(folder, 1.65)
    np.testing.assert_allclose(from_lhapdf(XGRID), from_fit(XGRID), rtol=1e-9, atol=1e-12)


def test_every_activation_and_initializer_of_the_schema_builds_a_network():
    """The schema's enums of activations and initializers are names Keras knows: each builds a
    seeded network whose output is finite and whose weights follow the replica's seed."""
    from disfit.config import schema
    from disfit.fit.model import Architecture, ReplicaPDF

    fit = schema()["properties"]["fit"]["properties"]
    config = validate_config({"datasets": [{"dataset": "A"}]})["fit"]
    x = np.geomspace(1e-5, 0.9, 7)
    for activation in fit["activation_per_layer"]["items"]["enum"]:
        for initializer in fit["initializer"]["enum"]:
            if activation != "tanh" and initializer != "glorot_normal":
                continue  # every activation once, every initializer once
            arch = Architecture.from_config(
                {
                    **config,
                    "nodes_per_layer": [5, 8],
                    "activation_per_layer": [activation, "linear"],
                    "initializer": initializer,
                }
            )
            a, b = ReplicaPDF(arch, [11, 12]), ReplicaPDF(arch, [11, 13])
            kernel_a, kernel_b = (np.asarray(m.layers[0][0]) for m in (a, b))
            np.testing.assert_array_equal(kernel_a[0], kernel_b[0])
            assert not np.array_equal(kernel_a[1], kernel_b[1]), initializer
            assert np.all(np.isfinite(np.asarray(a(x)))), activation


def test_positivity_points_are_nnpdf40_likes():
    """The x points a fit keeps of each positivity set: n3fit 4.1.5's nnpdf40-like.yml cuts
    (FLL x > 5e-7, F2c x < 0.74, x·f x > 0.1) give nnpdf_data's own 19-point FLL and
    17-point F2c sets; the other structure functions keep all 20 points."""
    from importlib.resources import files

    import yaml

    from disfit.constraints import POSITIVITY, POSITIVITY_PDFS, positivity_kept, positivity_x

    folder = files("nnpdf_data") / "commondata" / "NNPDF_POS_2P24GEV"

    def nnpdf_x(observable: str) -> np.ndarray:
        bins = yaml.safe_load((folder / f"kinematics_{observable}.yaml").read_text())["bins"]
        return np.array([b["x"]["mid"] for b in bins])

    for name, observable in (
        ("NNPDF_POS_FLL_40", "FLL-19PTS"),
        ("NNPDF_POS_F2C_40", "F2C-17PTS"),
        ("NNPDF_POS_F2U_40", "F2U"),
    ):
        rows, x = positivity_kept(name, 20)
        np.testing.assert_allclose(x, nnpdf_x(observable), rtol=1e-9)
        np.testing.assert_array_equal(positivity_x()[rows], x)
    for name in POSITIVITY_PDFS:
        rows, x = positivity_kept(name, 20)
        assert len(rows) == 10 and x.min() > 0.1
    assert len(POSITIVITY) == 12
    rows, x = positivity_kept("NNPDF_POS_2P24GEV_FLL-19PTS", 19)  # an imported set: all rows
    assert len(rows) == 19 and x is None


def test_feature_scaler_is_n3fits():
    """n3fit 4.1.5's generate_scaler (tests/reference/make_n3fit_scaler.py) on two sets of
    model inputs and 5, 15, 40 interpolation points, on 60 x from 1e-9 to 1."""
    from disfit.fit.scaling import feature_scaler

    with np.load(Path(__file__).parent / "data" / "n3fit_scaler.npz") as ref:
        ref = {k: ref[k] for k in ref.files}
    for case in ("with_1e-9", "above_1e-9"):
        grids = [ref[k] for k in sorted(ref) if k.startswith(f"{case}/grid")]
        for points in (5, 15, 40):
            scaled = feature_scaler(grids, points)(ref["x"])
            np.testing.assert_allclose(scaled, ref[f"{case}/points{points}"], rtol=0, atol=1e-12)
            assert scaled.min() >= -1 - 1e-12 and np.all(np.diff(scaled) >= 0)


def test_feature_scaled_model_vanishes_at_one_and_keeps_sum_rules():
    """With feature scaling the network sees one feature, β is 0 and NN(x) − NN(1) makes
    every x·f vanish at x = 1; the sum rules still hold (fine Simpson integration, 1e-4) with
    128 sum-rule points (the PCHIP map's second derivative jumps at its nodes: 64 points give
    2e-4 on the valence rule here, 128 give 3e-5, 512 give 2e-7)."""
    from disfit.fit.train import Trainer, setup_replicas

    inputs = toy_fit_inputs()
    fit = toy_fit_config(epochs=200)
    fit["feature_scaling_points"] = 8
    fit["sumrule_points"] = 128
    setup = setup_replicas(inputs, [1, 2], {"trvlseed": 1, "nnseed": 2, "mcseed": 3})
    trainer = Trainer(inputs, setup, fit)
    pdf = trainer.pdf
    assert pdf.layers[0][0].shape == (2, 1, 10) and np.all(pdf.beta.numpy() == 0)
    result = trainer.run()
    assert not result.nan.any()
    # NN(1) − NN(1) from two rows of one float32 pass: zero to float32 rounding (≈1e-7 of the
    # network's output) times the sum-rule normalisations (seen: 4e-6)
    np.testing.assert_allclose(np.asarray(pdf(np.array([1.0]))), 0.0, atol=2e-5)
    t = np.linspace(np.log(1e-9), 0.0, 40001)
    x = np.exp(t)
    xf = np.asarray(pdf(x))
    momentum = integrate.simpson((xf[:, :, 0] + xf[:, :, 1]) * x, x=t, axis=1)
    valence = integrate.simpson(xf[:, :, 2], x=t, axis=1)
    np.testing.assert_allclose(momentum, 1.0, atol=1e-4)
    np.testing.assert_allclose(valence, 3.0, atol=1e-4)


def test_tables_whose_x_grids_differ_by_rounding_share_the_fit_grid():
    """Two FK tables on the same x grid written by different code (values one ulp apart) map
    to the same columns of the fit's grid (union_xgrid keeps the smaller of the two values;
    the larger one used to fall on the next point and be refused)."""
    from disfit.basis import NFL
    from disfit.fit.inputs import fitted_basis_table, union_xgrid
    from disfit.io.fktable import FKTable

    active = np.zeros(NFL, dtype=bool)
    active[1] = True  # Σ
    values = np.ones((1, 1, len(XGRID)))
    nudged = XGRID * (1 + np.where(np.arange(len(XGRID)) % 2, 2.2e-16, 0.0))
    assert not np.array_equal(nudged, XGRID)
    tables = [FKTable(n, x, active, values, 1.65) for n, x in (("A", XGRID), ("B", nudged))]
    grid = union_xgrid(tables)
    assert len(grid) == len(XGRID)
    a, b = (fitted_basis_table(t, grid) for t in tables)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1, 8, len(XGRID)) and np.all(a.sum(axis=1) > 0)
