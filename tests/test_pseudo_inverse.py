"""Tests of the pseudo-inverse experiment: references, measures, learners and the verdict rules."""

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import descramble_lib as dl
from descramble_lib.paper.pseudo_inverse_verdict import _answer, _read_verdict, _write_verdict

seeds = st.integers(0, 2**32 - 1)


def _problem(seed, m=12, n=10):
    """A random forward operator with decaying singular values, a PSD prior and a noise level."""
    rng = np.random.default_rng(seed)
    U = dl.random_orthogonal(m, rng)[:, :n]
    V = dl.random_orthogonal(n, rng)
    sigma = np.exp(-0.6 * np.arange(n)) * rng.uniform(0.5, 2.0)
    root = rng.standard_normal((n, n + 3))
    return (U * sigma) @ V.T, root @ root.T / (n + 3), rng.uniform(0.01, 0.3), rng


def _expected_error(G, K, C, noise):
    """E||p - G x||^2 for x = K p + noise e, E[p p^T] = C, white unit e independent of p."""
    Sx = K @ C @ K.T + noise**2 * np.eye(K.shape[0])
    return np.trace(C) - 2 * np.trace(G @ K @ C) + np.trace(G @ Sx @ G.T)


@given(seeds)
def test_wiener_map_is_the_least_squares_linear_map_of_its_model(seed):
    """Any change D of the Wiener map raises the expected error by exactly tr(D Sx D^T) >= 0."""
    K, C, noise, rng = _problem(seed)
    W = dl.theory.regularised_pseudo_inverse(K, C, noise=noise)
    D = rng.standard_normal(W.shape) * 0.1
    Sx = K @ C @ K.T + noise**2 * np.eye(K.shape[0])
    gain = _expected_error(W + D, K, C, noise) - _expected_error(W, K, C, noise)
    np.testing.assert_allclose(gain, np.trace(D @ Sx @ D.T), rtol=1e-8, atol=1e-12)
    assert gain > 0


@settings(max_examples=10)
@given(seeds)
def test_wiener_map_matches_sampled_least_squares(seed):
    """On many samples of its Gaussian model, least squares lands near the Wiener map."""
    K, C, noise, rng = _problem(seed, m=6, n=5)
    P = rng.multivariate_normal(np.zeros(5), C, size=20_000)
    X = P @ K.T + noise * rng.standard_normal((20_000, 6))
    fitted = np.linalg.lstsq(X, P, rcond=None)[0].T
    W = dl.theory.regularised_pseudo_inverse(K, C, noise=noise)
    assert dl.paper.operator_distance(fitted, W, inputs=X) < 0.05


@given(seeds, st.floats(0.1, 10.0))
def test_operator_distance_zero_for_identical_maps_and_scale_free(seed, scale):
    """d(A, A) = 0; d(cA, cB) = d(A, B); inputs = I gives the Frobenius distance."""
    rng = np.random.default_rng(seed)
    A, B, X = rng.standard_normal((5, 7)), rng.standard_normal((5, 7)), rng.standard_normal((30, 7))
    assert dl.paper.operator_distance(A, A) == 0 and dl.paper.operator_distance(A, A, inputs=X) == 0
    np.testing.assert_allclose(dl.paper.operator_distance(scale * A, scale * B, inputs=X),
                               dl.paper.operator_distance(A, B, inputs=X), rtol=1e-12)
    np.testing.assert_allclose(dl.paper.operator_distance(A, B, inputs=np.eye(7)),
                               np.linalg.norm(A - B) / np.linalg.norm(B), rtol=1e-12)


@given(seeds)
def test_operator_distance_ignores_an_orthogonal_mixing_of_the_samples(seed):
    """Only the inputs' second moment matters: X and Q X (Q orthogonal over samples) agree."""
    rng = np.random.default_rng(seed)
    A, B, X = rng.standard_normal((4, 6)), rng.standard_normal((4, 6)), rng.standard_normal((9, 6))
    Q = dl.random_orthogonal(9, rng)
    np.testing.assert_allclose(dl.paper.operator_distance(A, B, inputs=Q @ X),
                               dl.paper.operator_distance(A, B, inputs=X), rtol=1e-10)


@given(seeds)
def test_same_spectrum_map_keeps_the_singular_values(seed):
    """The null map has the reference's singular values and is reproducible from its seed."""
    R = np.random.default_rng(seed).standard_normal((6, 9))
    null = dl.paper.same_spectrum_map(R, rng=seed)
    np.testing.assert_allclose(np.linalg.svd(null, compute_uv=False),
                               np.linalg.svd(R, compute_uv=False), rtol=1e-10)
    np.testing.assert_array_equal(null, dl.paper.same_spectrum_map(R, rng=seed))


@given(seeds)
def test_subspace_overlap_invariances(seed):
    """The share chapter 15 uses (dl.paper.subspace_overlap): unchanged by recombining
    columns and by a common rotation, symmetric for equal dimensions; share(A, A) = 1."""
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((15, 4)), rng.standard_normal((15, 4))
    G, Q = rng.standard_normal((4, 4)) + 4 * np.eye(4), dl.random_orthogonal(15, rng)
    share = dl.paper.subspace_overlap(A, B)
    assert 0 <= share <= 1
    np.testing.assert_allclose(dl.paper.subspace_overlap(A @ G, B), share, rtol=1e-8)
    np.testing.assert_allclose(dl.paper.subspace_overlap(Q @ A, Q @ B), share, rtol=1e-8)
    np.testing.assert_allclose(dl.paper.subspace_overlap(B, A), share, rtol=1e-8)
    np.testing.assert_allclose(dl.paper.subspace_overlap(A, A @ G), 1.0, rtol=1e-10)


@given(seeds)
def test_filter_factors_of_a_filter_factor_inverse(seed):
    """For M = V diag(phi / sigma) U^T the filter factors are the phi, sorted."""
    K, _, _, rng = _problem(seed)
    U, sigma, Vt = np.linalg.svd(K, full_matrices=False)
    phi = rng.uniform(0, 1, sigma.size)
    M = Vt.T @ np.diag(phi / sigma) @ U.T
    np.testing.assert_allclose(dl.paper.filter_factors(M, K), np.sort(phi)[::-1], atol=1e-10)
    assert dl.paper.resolved_modes(M, K) == int(np.sum(phi >= 0.5))


@given(seeds, st.floats(0.05, 5.0))
def test_tikhonov_map_is_the_closed_form(seed, alpha):
    """tikhonov_map is (K^T K + alpha^2 L^T L)^{-1} K^T, for L = I and the second difference."""
    K, _, _, _ = _problem(seed)
    second_difference = dl.deer.second_difference_operator(K.shape[1])
    for L, penalty in ((None, np.eye(K.shape[1])), (second_difference, second_difference)):
        expected = np.linalg.solve(K.T @ K + alpha**2 * penalty.T @ penalty, K.T)
        np.testing.assert_allclose(dl.paper.tikhonov_map(K, alpha, L=L), expected, rtol=1e-7,
                                   atol=1e-9 * np.abs(expected).max())


@given(seeds)
def test_picard_cutoff_equals_wiener_resolved_modes_for_a_diagonal_prior(seed):
    """With V_K^T C V_K diagonal and decreasing coefficients, phi_i >= 1/2 up to the cutoff."""
    K, _, _, rng = _problem(seed)
    _, sigma, Vt = np.linalg.svd(K, full_matrices=False)
    c = np.exp(-0.3 * np.arange(sigma.size)) * rng.uniform(0.5, 2.0)
    C = Vt.T @ np.diag(c) @ Vt
    noise = float(np.sqrt(np.median(sigma**2 * c)) * rng.uniform(0.5, 2.0))
    W = dl.theory.regularised_pseudo_inverse(K, C, noise=noise)
    assert dl.paper.picard_cutoff(K, C, noise=noise) == dl.paper.resolved_modes(W, K)


@given(seeds)
def test_picard_cutoff_of_one_distribution(seed):
    """For C = p p^T the cutoff is the last index with |u_i^T K p| >= noise."""
    K, _, _, rng = _problem(seed)
    p = rng.standard_normal(K.shape[1])
    U = np.linalg.svd(K, full_matrices=False)[0]
    noise = float(np.median(np.abs(U.T @ K @ p)))
    above = np.flatnonzero(np.abs(U.T @ K @ p) >= noise)
    assert dl.paper.picard_cutoff(K, np.outer(p, p), noise=noise) == above[-1] + 1


@given(seeds)
def test_principal_readers_ignore_the_neuron_basis(seed):
    """Rotating the neurons (Q W, Q S) leaves the readers unchanged up to sign (Lemma 1)."""
    rng = np.random.default_rng(seed)
    W, X = rng.standard_normal((6, 9)), rng.standard_normal((9, 40)) * np.arange(1, 10)[:, None]
    Q = dl.random_orthogonal(6, rng)
    readers = dl.paper.principal_readers(W, W @ X)
    rotated = dl.paper.principal_readers(Q @ W, Q @ W @ X)
    np.testing.assert_allclose(np.abs(np.sum(readers * rotated, axis=1)), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(readers, axis=1), 1.0, rtol=1e-12)


@given(seeds)
def test_best_matches_band_shares_and_their_null(seed):
    """Basis vectors match themselves; swapped neighbours leave the diagonal for the band."""
    rng = np.random.default_rng(seed)
    basis = dl.random_orthogonal(12, rng)
    np.testing.assert_allclose(dl.paper.best_match_overlaps(basis[:, :4].T, basis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(dl.paper.band_shares(basis[:, :4].T, basis, width=0), 1.0, rtol=1e-12)
    shuffled = basis[:, [1, 0, 3, 2]].T
    np.testing.assert_allclose(dl.paper.band_shares(shuffled, basis, width=0), 0.0, atol=1e-24)
    np.testing.assert_allclose(dl.paper.band_shares(shuffled, basis, width=1), 1.0, rtol=1e-12)
    null = dl.paper.random_basis_matches(basis[:, :4].T, basis, n_draws=20, rng=seed)
    assert null.shape == (20,) and np.all((null >= 1 / 12 - 1e-12) & (null <= 1 + 1e-12))


@given(seeds)
def test_best_low_rank_map_is_least_squares_at_full_rank_and_beats_truncation(seed):
    """Full rank gives ordinary least squares; a lower rank loses no more than truncating it."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 6))
    Y = X @ rng.standard_normal((6, 5)) + 0.1 * rng.standard_normal((200, 5))
    np.testing.assert_allclose(dl.paper.best_low_rank_map(X, Y, 6),
                               np.linalg.lstsq(X, Y, rcond=None)[0].T, rtol=1e-8, atol=1e-10)
    M = dl.paper.best_low_rank_map(X, Y, 2)
    assert np.linalg.matrix_rank(M, tol=1e-8) <= 2
    U, s, Vt = np.linalg.svd(np.linalg.lstsq(X, Y, rcond=None)[0].T)
    truncated = (U[:, :2] * s[:2]) @ Vt[:2]
    assert np.sum((Y - X @ M.T) ** 2) <= np.sum((Y - X @ truncated.T) ** 2) * (1 + 1e-10)


@given(seeds)
def test_affine_linearisation_is_exact_for_affine_outputs(seed):
    """Outputs A x + c give back the slope A and r2 = 1."""
    rng = np.random.default_rng(seed)
    X, A = rng.standard_normal((50, 4)), rng.standard_normal((3, 4))
    slope, r2 = dl.paper.affine_linearisation(X, X @ A.T + rng.standard_normal(3))
    np.testing.assert_allclose(slope, A, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r2, 1.0, rtol=1e-10)


def test_network_jacobian_matches_autograd():
    """The closed-form Jacobian of a DEERNet equals torch's, at a random input."""
    model = dl.deer.DEERNet(rng=3).double()
    x = np.random.default_rng(0).uniform(0, 1, 256)
    with dl.limit_threads(1):
        expected = torch.autograd.functional.jacobian(model, torch.from_numpy(x)[None],
                                                      vectorize=True)[0, :, 0].numpy()
    np.testing.assert_allclose(dl.paper.network_jacobian(model, x), expected, rtol=1e-9, atol=1e-12)


def test_kernel_data_and_both_learners_on_a_small_problem():
    """x = K p + noise; the linear net heads for its optimum; full-rank truncation is exact."""
    with dl.limit_threads(1):
        _small_problem_checks(dl.paper.kernel_data(600, 100, noise=0.02, rng=5))


def _small_problem_checks(data):
    residual = data.train_signals - data.train_distributions @ data.K.T
    np.testing.assert_allclose(residual.std(), 0.02, rtol=0.05)
    linear = dl.paper.train_kernel_linear_net(data, n_hidden=8, steps=300, rng=0)
    assert linear.loss[-1] < linear.loss[0] and linear.excess_loss >= -1e-6
    assert np.linalg.matrix_rank(linear.optimum, tol=1e-9 * np.abs(linear.optimum).max()) <= 8
    net = dl.paper.train_kernel_deernet(data, epochs=2, rng=0)
    X, P = data.test_signals, data.test_distributions
    for learner, full in ((linear, 8), (net, 80), (dl.paper.tikhonov_map(data.K, 0.05), 256)):
        errors = dl.paper.first_layer_rank_errors(learner, X, P, np.array([1, full]))
        np.testing.assert_allclose(errors[-1], 1.0, rtol=1e-8)
        assert errors[0] > 0


def test_effective_rank():
    """The first rank within tolerance, or one past the last rank if none is."""
    ranks = np.arange(1, 6)
    assert dl.paper.effective_rank(np.array([5.0, 2.0, 1.02, 1.005, 1.0]), ranks) == 4
    errors = np.array([5.0, 2.0, 1.02, 1.005, 1.0])
    assert dl.paper.effective_rank(errors, ranks, tolerance=0.05) == 3
    assert dl.paper.effective_rank(np.full(5, 2.0), ranks) == 6


def _numbers(**changes):
    base = dict(picard_cutoff=17, deernet_to_wiener=0.1, spread=0.3, kernel_share_deernet=0.8,
                reader_match=0.4, reader_null=0.3)
    return {**base, **changes}


@pytest.mark.parametrize("changes, expected", [
    ({}, "partly"), (dict(reader_match=0.9), "yes"),
    (dict(deernet_to_wiener=0.5, kernel_share_deernet=0.2), "no"),
    (dict(deernet_to_wiener=0.5), "partly"), (dict(reader_match=0.9, reader_null=0.95), "partly")])
def test_verdict_rules(changes, expected):
    """yes needs all three tests, no fails the first two, anything else is partly."""
    verdict, sentence = _answer(_numbers(**changes))
    assert verdict == expected and sentence.startswith(expected.capitalize() + ":")


def test_bad_input_raises():
    """Mismatched shapes, a zero reference, bad ranks and non-finite input raise ValueError."""
    with pytest.raises(ValueError, match="same shape"):
        dl.paper.operator_distance(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="zero"):
        dl.paper.operator_distance(np.ones((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="columns"):
        dl.paper.operator_distance(np.ones((2, 3)), np.ones((2, 3)), inputs=np.ones((4, 2)))
    with pytest.raises(ValueError, match="shape"):
        dl.paper.filter_factors(np.ones((3, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="noise"):
        dl.paper.picard_cutoff(np.eye(3), np.eye(3), noise=0.0)
    with pytest.raises(ValueError, match="ranks"):
        dl.paper.first_layer_rank_errors(np.eye(4), np.ones((5, 4)), np.ones((5, 4)), np.array([0]))
    with pytest.raises(ValueError, match="non-finite"):
        dl.paper.subspace_overlap(np.full((3, 1), np.nan), np.ones((3, 1)))
    with pytest.raises(ValueError, match="KernelData"):
        dl.paper.train_kernel_deernet("data", rng=0)


def test_verdict_cache_round_trip(tmp_path, monkeypatch):
    """A cached verdict is returned as stored; an unreadable file warns and is ignored."""
    monkeypatch.setenv("DESCRAMBLE_LIB_CACHE", str(tmp_path))
    fields = [f.name for f in dataclasses.fields(dl.paper.PseudoInverseVerdict)]
    numbers = {name: 0.5 for name in fields} | {"verdict": "partly", "sentence": "Partly: x."}
    stored = dl.paper.PseudoInverseVerdict(**numbers)
    path = dl.paper.verdict_cache_path()
    assert path.parent == tmp_path
    _write_verdict(stored, path)
    assert dl.paper.pseudo_inverse_verdict() == stored
    path.write_text("{not json")
    with pytest.warns(UserWarning, match="unusable"):
        assert _read_verdict(path) is None
