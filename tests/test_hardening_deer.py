"""Regression tests for the hardening of the DEER code: rng convention, extreme kernel
arguments, subsets, configuration normalisation, safe prediction, the weight cache
(read-only folders, checksums, non-finite weights) and scale-robust Tikhonov."""

import builtins
import dataclasses
import errno
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from descramble_lib.deer import (DEERNet, DEERNetConfig, TrainedDEERNet, TrainingHistory,
                                 deernet_cache_path, dipolar_kernel, distance_grid, layer_weights,
                                 distribution_error, gcv_tikhonov, nonnegative_tikhonov,
                                 preactivations, pretrained_deernet, second_difference_operator,
                                 simulate, tikhonov, tikhonov_deer, time_grid, trapezoid_weights,
                                 unit_area)
from descramble_lib.deer import training as deer_training

SMALL = DEERNetConfig(n_hidden=8, n_train=32, n_validation=16, n_test=8, batch_size=16, epochs=1,
                      rng=2)


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))


# --- rng convention -----------------------------------------------------------------------

def test_simulate_rng_forms():
    """An int gives the old seeded data; a Generator or None records a seed that repeats it."""
    a, b = simulate(6, rng=3), simulate(6, rng=np.int64(3))
    np.testing.assert_array_equal(a.signals, b.signals)
    assert a.rng_seed == 3 and type(b.rng_seed) is int
    from_generator = simulate(6, rng=np.random.default_rng(0))
    again = simulate(6, rng=from_generator.rng_seed)
    np.testing.assert_array_equal(from_generator.signals, again.signals)
    assert simulate(2, rng=None).signals.shape == (2, 256)


@pytest.mark.parametrize("rng", [-1, 1.5, True, "0", np.random.RandomState(0)])
def test_simulate_rejects_bad_rng(rng):
    """rng=-1 (and other non-seeds) raise ValueError naming rng."""
    with pytest.raises(ValueError, match="rng"):
        simulate(3, rng=rng)


def test_deernet_rng_forms():
    """DEERNet takes None, an int (NumPy ints too) or a Generator; bad values name rng."""
    assert same_weights(DEERNet(rng=4, n_hidden=5), DEERNet(rng=np.int64(4), n_hidden=5))
    DEERNet(rng=np.random.default_rng(0), n_hidden=5)
    DEERNet(rng=None, n_hidden=5)
    with pytest.raises(ValueError, match="rng"):
        DEERNet(rng=-1)
    with pytest.raises(TypeError):
        DEERNet(seed=0)


# --- the dipolar kernel at extreme arguments -------------------------------------------

def test_kernel_is_one_at_zero_time_for_every_distance():
    """K(0, r) = 1 exactly for tiny, ordinary and huge r (was NaN for r = 1e-110)."""
    r = np.array([5e-324, 1e-300, 1e-110, 1e-3, 3.0, 1e110, 1e300, 1.7e308])
    np.testing.assert_array_equal(dipolar_kernel([0.0], r), 1.0)


@given(st.floats(-320.0, 308.0), st.floats(-320.0, 308.0), st.sampled_from([-1.0, 0.0, 1.0]))
def test_kernel_is_finite_and_bounded_for_extreme_arguments(log_t, log_r, sign):
    """Any finite t and positive finite r give a finite K in [-1, 1]; K(0, r) = 1."""
    t, r = sign * 10.0 ** log_t, 10.0 ** log_r
    if r == 0.0:
        r = 5e-324
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no overflow / invalid warnings
        K = dipolar_kernel([t, 0.0], [r, 2.0 * r if r < 1e300 else r])
    assert np.all(np.isfinite(K)) and np.all(np.abs(K) <= 1.0)
    np.testing.assert_array_equal(K[1], 1.0)


def test_kernel_limits_at_extreme_distances():
    """Huge r: K -> 1 (no dipolar phase); tiny r at t > 0: K -> 0 (infinitely fast phase)."""
    K = dipolar_kernel([1.0, 1e300], [1e-200, 1e-110, 1e200])
    np.testing.assert_allclose(K[:, :2], 0.0, atol=1e-15)
    assert K[0, 2] == 1.0


@pytest.mark.parametrize("flag", ["yes", 1, 0, None, 1.0])
def test_delta_r_weights_must_be_a_bool(flag):
    """delta_r_weights='yes' (or 1, None) is refused; NumPy booleans are accepted."""
    with pytest.raises(ValueError, match="delta_r_weights"):
        dipolar_kernel([0.0, 1.0], [2.0, 3.0], delta_r_weights=flag)
    np.testing.assert_array_equal(dipolar_kernel([0.0], [2.0, 3.0], delta_r_weights=np.True_),
                                  dipolar_kernel([0.0], [2.0, 3.0], delta_r_weights=True))


# --- subsets ------------------------------------------------------------------------------

def test_subset_with_an_integer_keeps_two_dimensional_fields():
    """subset(3) is the one-example set [3] (was 1-D fields); bools and 2-D indices are refused."""
    sim = simulate(6, rng=1)
    one = sim.subset(3)
    assert len(one) == 1 and one.signals.shape == (1, 256) and one.centres_nm.shape == (1, 4)
    np.testing.assert_array_equal(one.signals, sim.signals[3:4])
    np.testing.assert_array_equal(sim.subset(np.int64(-1)).signals, sim.signals[-1:])
    assert one.densities().shape == (1, 256)
    for index in (True, np.zeros((2, 2), dtype=int), (slice(None), 0)):
        with pytest.raises((ValueError, IndexError)):
            sim.subset(index)
    with pytest.raises(ValueError, match="index"):
        sim.subset(np.zeros((2, 2), dtype=int))


# --- the configuration ----------------------------------------------------------------

def test_config_accepts_numpy_scalars_and_normalises_them():
    """NumPy scalars are stored as int/float/str, so equal configurations have equal keys."""
    reference = DEERNetConfig(rng=3, n_train=64, learning_rate=1.0)
    numpy = DEERNetConfig(rng=np.int64(3), n_train=np.int32(64), learning_rate=np.float64(1.0),
                          hidden_activation=np.str_("tanh"), epochs=np.uint8(50))
    python_int_rate = DEERNetConfig(rng=3, n_train=64, learning_rate=1)
    assert numpy == reference == python_int_rate
    assert numpy.key() == reference.key() == python_int_rate.key()
    assert type(numpy.rng) is int and type(numpy.n_train) is int
    assert type(python_int_rate.learning_rate) is float
    replaced = dataclasses.replace(reference, rng=np.int64(4))
    assert type(replaced.rng) is int and replaced.key() == DEERNetConfig(
        rng=4, n_train=64, learning_rate=1.0).key()


@pytest.mark.parametrize("kwargs, name", [
    (dict(rng=None), "rng"), (dict(rng=np.random.default_rng(0)), "rng"), (dict(rng=-2), "rng"),
    (dict(rng=True), "rng"), (dict(learning_rate=np.nan), "learning_rate"),
    (dict(learning_rate=0), "learning_rate"), (dict(learning_rate=1 + 0j), "learning_rate"),
    (dict(n_train=np.float64(5)), "n_train"), (dict(hidden_activation="gelu"), "hidden_activation"),
])
def test_config_rejects_bad_fields_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DEERNetConfig(**kwargs)


def test_seed_override_points_to_rng():
    with pytest.raises(ValueError, match="rng"):
        deer_training.train_deernet(SMALL, seed=1, progress=False)


def test_numpy_integers_accepted_for_sizes():
    net = DEERNet(n_hidden=np.int64(6), n_in=np.int16(10), n_out=np.int32(4))
    assert net.layer1.weight.shape == (6, 10) and net.layer2.weight.shape == (4, 6)


# --- prediction and preactivations never return NaN silently ----------------------------

def _trained(activation="relu"):
    net = DEERNet(hidden_activation=activation, rng=0).eval()
    history = TrainingHistory(np.zeros(1), np.zeros(1), np.zeros(1))
    return TrainedDEERNet(model=net, config=SMALL, history=history, train_time_s=0.0)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_predict_refuses_signals_beyond_float32(activation):
    """Signals beyond float32 were silently NaN; now a ValueError names signals."""
    with pytest.raises(ValueError, match="signals"):
        _trained(activation).predict(np.full((2, 256), 1e39))


def test_predict_refuses_float32_overflow_inside_the_network():
    """3e38 fits in float32 but overflows in a ReLU net (187 NaN outputs before the fix)."""
    signals = np.full((2, 256), 3e38)
    signals[1] *= -1
    with pytest.raises(ValueError, match="signals"):
        _trained("relu").predict(signals)
    assert np.all(np.isfinite(_trained("relu").predict(np.ones((2, 256)))))


def test_preactivations_refuse_float64_overflow():
    """Preactivations that overflow float64 raise instead of returning inf or NaN."""
    net = DEERNet(hidden_activation="relu", rng=0)
    X = 1.7e308 * np.sign(net.layer1.weight.detach().numpy()[:1].astype(float))
    for layer in (1, 2):
        with pytest.raises(ValueError, match="X is too large"):
            preactivations(net, X, layer)


# --- complex input is refused everywhere -----------------------------------------------

def test_complex_input_is_refused():
    t, r = time_grid(), distance_grid()
    sim = simulate(3, rng=0)
    K = dipolar_kernel(t[:40], r[:30])
    y = K @ np.ones(30)
    calls = [
        lambda: dipolar_kernel(t + 0j, r),
        lambda: dipolar_kernel(t, r + 0j),
        lambda: trapezoid_weights(r + 0j),
        lambda: unit_area(sim.distributions + 0j, r),
        lambda: distribution_error(sim.distributions + 0j, sim.distributions, r),
        lambda: tikhonov(K + 0j, y, 0.1),
        lambda: tikhonov(K, y + 0j, 0.1),
        lambda: tikhonov(K, y, 0.1 + 0j),
        lambda: gcv_tikhonov(K, y + 0j),
        lambda: gcv_tikhonov(K, y, alphas=np.array([0.1, 1.0]) + 0j),
        lambda: gcv_tikhonov(K, y, weights=np.ones(40) + 0j),
        lambda: gcv_tikhonov(K, y, L=second_difference_operator(30) + 0j),
        lambda: nonnegative_tikhonov(K, y, np.array([0.1 + 0j])),
        lambda: _trained().predict(sim.signals + 0j),
        lambda: preactivations(_trained(), sim.signals + 0j, 1),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("error")              # no ComplexWarning, a ValueError
            with pytest.raises(ValueError, match="real|complex"):
                call()


# --- the weight cache --------------------------------------------------------------------

@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty cache folder for SMALL, given back writable after the test."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("DESCRAMBLE_LIB_CACHE", str(folder))
    yield folder
    folder.chmod(0o755)


def make_read_only(folder: Path, monkeypatch) -> None:
    """chmod the folder read-only; where that does not stop writes (root), refuse them.

    As root, chmod does not block writes, so the test would pass vacuously; the file
    functions that write into ``folder`` (``open`` in a writing mode, ``mkstemp``) are
    then made to fail with EACCES, which is what a real read-only folder gives.
    """
    folder.chmod(0o555)
    probe = folder / ".probe"
    try:
        probe.touch()
    except OSError:
        return                                          # chmod works: a real read-only folder
    probe.unlink()
    real_open, real_mkstemp = builtins.open, tempfile.mkstemp

    def inside(file) -> bool:
        return isinstance(file, (str, os.PathLike)) and Path(file).resolve().parent == folder

    def guarded_open(file, mode="r", *args, **kwargs):
        if inside(file) and any(flag in mode for flag in "wax+"):
            raise PermissionError(errno.EACCES, "Permission denied (read-only folder)", str(file))
        return real_open(file, mode, *args, **kwargs)

    def guarded_mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == folder:
            raise PermissionError(errno.EACCES, "Permission denied (read-only folder)", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(tempfile, "mkstemp", guarded_mkstemp)


def test_valid_cache_loads_from_a_read_only_folder(cache, monkeypatch):
    """A valid cached file loads from a read-only folder (the lock file was opened for
    append first, so this raised PermissionError); an uncached config trains in memory."""
    first = pretrained_deernet(config=SMALL, progress=False)
    make_read_only(cache, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = pretrained_deernet(config=SMALL, progress=False)
    assert again.from_cache and same_weights(first.model, again.model)
    other = dataclasses.replace(SMALL, rng=SMALL.rng + 1)
    with pytest.warns(UserWarning, match="not writable|could not write"):
        fresh = pretrained_deernet(config=other, progress=False)
    assert not fresh.from_cache and not deernet_cache_path(other).exists()


def test_missing_unwritable_cache_folder_trains_in_memory(monkeypatch, tmp_path):
    """A cache folder that cannot be created: train in memory, with a warning."""
    parent = tmp_path / "locked"
    parent.mkdir()
    monkeypatch.setenv("DESCRAMBLE_LIB_CACHE", str(parent / "cache"))
    make_read_only(parent, monkeypatch)
    real_mkdir = Path.mkdir

    def guarded_mkdir(self, *args, **kwargs):
        if self.resolve().parent == parent:
            raise PermissionError(errno.EACCES, "Permission denied (read-only folder)", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", guarded_mkdir)
    try:
        with pytest.warns(UserWarning, match="not writable"):
            trained = pretrained_deernet(config=SMALL, progress=False)
        assert not trained.from_cache
    finally:
        parent.chmod(0o755)


def _rewrite(path, change):
    payload = torch.load(path, map_location="cpu", weights_only=True)
    change(payload)
    torch.save(payload, path)


def test_corrupted_cache_is_retrained_not_loaded(cache):
    """One weight with a flipped exponent bit (about 1e37) no longer loads silently:
    the checksum fails, a warning says so, and the network is retrained and rewritten."""
    first = pretrained_deernet(config=SMALL, progress=False)
    path = deernet_cache_path(SMALL)

    def flip(payload):
        bits = payload["state_dict"]["layer1.weight"].view(torch.int32)
        bits[0, 0] ^= 1 << 30                            # top exponent bit of a float32
        assert abs(float(payload["state_dict"]["layer1.weight"][0, 0])) > 1e30

    _rewrite(path, flip)
    with pytest.warns(UserWarning, match="checksum"):
        second = pretrained_deernet(config=SMALL, progress=False)
    assert not second.from_cache and same_weights(first.model, second.model)
    assert pretrained_deernet(config=SMALL, progress=False).from_cache   # the file was rewritten


def test_non_finite_cached_weights_are_refused(cache):
    """NaN weights with a matching checksum are refused too (warning, retrain)."""
    first = pretrained_deernet(config=SMALL, progress=False)

    def poison(payload):
        payload["state_dict"]["layer2.bias"][3] = float("nan")
        payload["weights_sha256"] = deer_training._weights_sha256(payload["state_dict"])

    _rewrite(deernet_cache_path(SMALL), poison)
    with pytest.warns(UserWarning, match="non-finite"):
        second = pretrained_deernet(config=SMALL, progress=False)
    assert not second.from_cache and same_weights(first.model, second.model)


def test_cache_without_checksum_is_retrained(cache):
    """A file from before checksums cannot be verified: it is retrained over."""
    pretrained_deernet(config=SMALL, progress=False)
    _rewrite(deernet_cache_path(SMALL), lambda payload: payload.pop("weights_sha256"))
    with pytest.warns(UserWarning, match="checksum"):
        assert not pretrained_deernet(config=SMALL, progress=False).from_cache


def test_diverged_training_is_not_cached(cache, monkeypatch):
    """A network with non-finite weights after training raises instead of being cached."""
    real_train = deer_training.train_deernet

    def diverging(config, progress=True):
        trained = real_train(config, progress=progress)
        with torch.no_grad():
            trained.model.layer1.weight[0, 0] = float("nan")
        return trained

    monkeypatch.setattr(deer_training, "train_deernet", diverging)
    with pytest.raises(ValueError, match="diverged"):
        pretrained_deernet(config=SMALL, progress=False)
    assert not deernet_cache_path(SMALL).exists()


# --- scale-robust Tikhonov --------------------------------------------------------------

def deer_problem():
    t, r = time_grid(), distance_grid()
    K = dipolar_kernel(t, r, delta_r_weights=True)
    P = np.exp(-0.5 * ((r - 3.0) / 0.25) ** 2)
    P /= trapezoid_weights(r) @ P
    y = K @ P + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    return K, y, second_difference_operator(r.size)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e150, 1e-150])
def test_gcv_survives_extreme_scales_of_K(scale):
    """K * 1e+-300 gave an all-NaN solution and K * 1e150 a zero one; now x scales as 1/scale."""
    K, y, L = deer_problem()
    reference = gcv_tikhonov(K, y, L=L)
    scaled = gcv_tikhonov(K * scale, y, L=L)
    assert np.all(np.isfinite(scaled.solution))
    np.testing.assert_allclose(scaled.solution * scale, reference.solution, rtol=1e-10,
                               atol=1e-10 * np.abs(reference.solution).max())
    np.testing.assert_allclose(scaled.alpha, reference.alpha * scale, rtol=1e-12)


def test_tikhonov_with_huge_alpha_is_the_null_space_fit():
    """alpha = 1e200 said "rank deficient"; it is the least-squares fit by null(L) (lines)."""
    K, y, L = deer_problem()
    N, _ = np.linalg.qr(np.stack([np.ones(256), np.linspace(-1, 1, 256)], axis=1))
    line_fit = N @ np.linalg.lstsq(K @ N, y, rcond=None)[0]
    np.testing.assert_allclose(tikhonov(K, y, 1e200, L=L), line_fit, rtol=0,
                               atol=1e-11 * np.abs(line_fit).max())
    np.testing.assert_array_equal(tikhonov(K, y, 1e200), 0.0)        # L = I: x -> 0
    big = 2.0**665                                                    # about 1e200
    np.testing.assert_array_equal(tikhonov(K * big, y, 1e-3 * big, L=L) * big,
                                  tikhonov(K, y, 1e-3, L=L))


def ill_posed(seed, m=24, n=16):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    K = U @ np.diag(np.logspace(0, -6, n)) @ V.T
    return K, rng.standard_normal((m, 2)), second_difference_operator(n)


@given(st.integers(0, 2**31), st.integers(-1000, 1000), st.integers(-300, 300))
def test_solutions_are_invariant_under_power_of_two_scaling(seed, k, d):
    """K -> 2^k K, y -> 2^j y (j = k + d): x -> 2^d x and alpha -> 2^k alpha, bit for bit
    while the results stay in the normal float64 range, to rounding otherwise."""
    j = min(max(k + d, -1000), 1000)                # y stays within float64 too
    d = j - k
    K, y, L = ill_posed(seed)
    K2, y2 = np.ldexp(K, k), np.ldexp(y, j)
    reference = gcv_tikhonov(K, y, L=L)
    scaled = gcv_tikhonov(K2, y2, L=L)
    if np.all(np.abs(np.ldexp(reference.alphas, k)) > np.finfo(float).tiny) and np.all(
            np.abs(np.ldexp(reference.solution, d)) > 1e-280):
        np.testing.assert_array_equal(scaled.alphas, np.ldexp(reference.alphas, k))
        np.testing.assert_array_equal(scaled.solution, np.ldexp(reference.solution, d))
    np.testing.assert_allclose(np.ldexp(scaled.solution, -d), reference.solution,
                               rtol=1e-12, atol=1e-300)
    alpha = 10.0 ** np.random.default_rng(seed).uniform(-4, 0)
    np.testing.assert_allclose(np.ldexp(tikhonov(K2, y2, np.ldexp(alpha, k), L=L), -d),
                               tikhonov(K, y, alpha, L=L), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        np.ldexp(nonnegative_tikhonov(K2, y2[:, 0], np.ldexp(alpha, k), L=L), -d),
        nonnegative_tikhonov(K, y[:, 0], alpha, L=L), rtol=1e-12, atol=1e-300)


def test_unrepresentable_solution_raises():
    """A solution beyond float64 is a clear ValueError, not inf or NaN."""
    K, y, L = ill_posed(0)
    with pytest.raises(ValueError, match="float64"):
        gcv_tikhonov(np.ldexp(K, -1000), np.ldexp(y, 1000), L=L)
    with pytest.raises(ValueError, match="float64"):
        tikhonov(np.ldexp(K, -1000), np.ldexp(y, 1000), 1e-300, L=L)


def test_tikhonov_deer_weighted_flag_and_subset():
    sim = simulate(2, rng=0)
    with pytest.raises(ValueError, match="weighted"):
        tikhonov_deer(sim, weighted=1)
    assert tikhonov_deer(sim.subset(1)).solution.shape == (256, 1)


def test_cache_folder_of_a_source_checkout(monkeypatch):
    """From a checkout the cache is <checkout>/.cache/descramble_lib (after the move into
    deer/ the checkout was looked for one level too low, so it fell back to ~/.cache)."""
    monkeypatch.delenv("DESCRAMBLE_LIB_CACHE", raising=False)
    checkout = Path(deer_training.__file__).resolve().parents[2]
    if not (checkout / "pyproject.toml").is_file():
        pytest.skip("not running from a source checkout")
    assert deernet_cache_path(SMALL).parent == checkout / ".cache" / "descramble_lib"


@pytest.mark.parametrize("layer", [1.0, True, 0, 3, "1", np.float64(2)])
def test_layer_must_be_the_integer_one_or_two(layer):
    """layer=1.0 used to be accepted (1.0 in (1, 2)); only the integers 1 and 2 are."""
    net = DEERNet(rng=0)
    with pytest.raises(ValueError, match="layer"):
        layer_weights(net, layer)
    with pytest.raises(ValueError, match="layer"):
        preactivations(net, np.zeros((3, 256)), layer)


def test_preactivations_accept_tensors_that_require_grad():
    """A tensor with requires_grad gives the same preactivations as its values."""
    net = DEERNet(rng=0)
    X = torch.rand(4, 256, dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal(preactivations(net, X, 1),
                                  preactivations(net, X.detach().numpy(), 1))
    assert layer_weights(net, np.int64(2))[0].shape == (256, 80)
