"""Tests for Tikhonov regularisation and the GCV choice of its parameter."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from descramble_lib.deer import (dipolar_kernel, distance_grid, distribution_error, simulate,
                                 time_grid)
from descramble_lib.deer.regularisation import (gcv_tikhonov, nonnegative_tikhonov,
                                           second_difference_operator, tikhonov, tikhonov_deer)


def ill_posed_problem(seed, m=40, n=30, penalty="second"):
    """A random K with decaying singular values, data y and a penalty L."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    K = U @ np.diag(np.logspace(0, -6, n)) @ V.T
    y = rng.standard_normal((m, 3))
    L = second_difference_operator(n) if penalty == "second" else None
    return K, y, L


def test_second_difference_operator():
    """L has rows (1, -2, 1) and annihilates constants and lines."""
    L = second_difference_operator(6)
    assert L.shape == (4, 6)
    np.testing.assert_array_equal(L[1], [0, 1, -2, 1, 0, 0])
    x = np.arange(6.0)
    np.testing.assert_allclose(L @ (2 + 3 * x), 0, atol=1e-14)
    with pytest.raises(ValueError):
        second_difference_operator(2)


@given(st.integers(0, 2**31), st.floats(1e-4, 1.0), st.sampled_from(["second", "identity"]))
def test_tikhonov_solves_normal_equations(seed, alpha, penalty):
    """(K^T K + alpha^2 L^T L) x = K^T y for the returned x."""
    K, y, L = ill_posed_problem(seed, penalty=penalty)
    Lm = np.eye(K.shape[1]) if L is None else L
    x = tikhonov(K, y[:, 0], alpha, L=L)
    lhs = (K.T @ K + alpha**2 * Lm.T @ Lm) @ x
    np.testing.assert_allclose(lhs, K.T @ y[:, 0], rtol=0, atol=1e-10 * np.abs(K.T @ y).max())


@given(st.integers(0, 2**31))
def test_identity_penalty_matches_svd_filter(seed):
    """With L = I the solution is sum f_i (u_i^T y / s_i) v_i, f_i = s^2/(s^2 + alpha^2)."""
    K, y, _ = ill_posed_problem(seed)
    alpha = 1e-2
    U, s, Vt = np.linalg.svd(K, full_matrices=False)
    expected = Vt.T @ (s / (s**2 + alpha**2) * (U.T @ y[:, 0]))
    np.testing.assert_allclose(tikhonov(K, y[:, 0], alpha), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("penalty", ["second", "identity"])
def test_gcv_function_matches_definition(penalty):
    """GCV = m ||(I - H) y||^2 / tr(I - H)^2, and the L-curve norms, at every grid point."""
    K, y, L = ill_posed_problem(7, penalty=penalty)
    Lm = np.eye(K.shape[1]) if L is None else L
    m = K.shape[0]
    alphas = np.logspace(-6, 0, 7)
    result = gcv_tikhonov(K, y, L=L, alphas=alphas)
    for i, alpha in enumerate(alphas):
        H = K @ np.linalg.solve(K.T @ K + alpha**2 * Lm.T @ Lm, K.T)
        X = tikhonov(K, y, alpha, L=L)
        residual = np.linalg.norm(H @ y - y, axis=0)
        gcv = m * residual**2 / np.trace(np.eye(m) - H) ** 2
        np.testing.assert_allclose(result.gcv[i], gcv, rtol=1e-6)
        np.testing.assert_allclose(result.residual_norm[i], residual, rtol=1e-6)
        np.testing.assert_allclose(result.penalty_norm[i], np.linalg.norm(Lm @ X, axis=0),
                                   rtol=1e-6)


def test_gcv_picks_grid_minimiser_per_column():
    """Each column gets the alpha minimising its GCV, and the solution at that alpha."""
    K, y, L = ill_posed_problem(3)
    result = gcv_tikhonov(K, y, L=L)
    for j in range(y.shape[1]):
        best = np.argmin(result.gcv[:, j])
        assert result.alpha[j] == result.alphas[best]
        np.testing.assert_allclose(result.solution[:, j],
                                   tikhonov(K, y[:, j], result.alpha[j], L=L),
                                   rtol=1e-8, atol=1e-10 * np.abs(result.solution).max())
    single = gcv_tikhonov(K, y[:, 1], L=L)
    assert single.solution.shape == (K.shape[1],) and single.alpha == result.alpha[1]


def test_gcv_recovers_smooth_distribution():
    """On a noisy DEER form factor GCV lands inside its grid and beats the unregularised end."""
    t, r = time_grid(), distance_grid()
    K = dipolar_kernel(t, r, delta_r_weights=True)
    P = np.exp(-0.5 * ((r - 3.0) / 0.25) ** 2)
    P /= P.sum() * (r[1] - r[0])
    rng = np.random.default_rng(0)
    y = K @ P + 0.02 * rng.standard_normal(t.size)
    result = gcv_tikhonov(K, y, L=second_difference_operator(r.size))
    assert result.alphas[0] < result.alpha < result.alphas[-1]
    error = np.linalg.norm(result.solution - P) / np.linalg.norm(P)
    rough = tikhonov(K, y, result.alphas[0], L=second_difference_operator(r.size))
    assert error < 0.2
    assert error < 0.1 * np.linalg.norm(rough - P) / np.linalg.norm(P)


def test_bad_arguments_raise():
    """Shape mismatches, non-finite data and bad alphas raise ValueError."""
    K, y, L = ill_posed_problem(1)
    with pytest.raises(ValueError, match="y must"):
        tikhonov(K, y[:5, 0], 0.1)
    with pytest.raises(ValueError, match="finite"):
        tikhonov(K, np.full(K.shape[0], np.nan), 0.1)
    with pytest.raises(ValueError, match="alpha"):
        tikhonov(K, y[:, 0], -1.0)
    with pytest.raises(ValueError, match="columns"):
        gcv_tikhonov(K, y, L=np.eye(5))
    with pytest.raises(ValueError, match="alphas"):
        gcv_tikhonov(K, y, alphas=[0.1, 0.0])
    with pytest.raises(ValueError, match="row rank"):
        gcv_tikhonov(K, y, L=np.ones((2, K.shape[1])))
    N = np.linalg.svd(L)[2][-2:].T                       # null space of L: constants, lines
    blind = K @ (np.eye(K.shape[1]) - N @ N.T)           # K that cannot see them either
    with pytest.raises(ValueError, match="rank deficient"):
        gcv_tikhonov(blind, y, L=L)
    with pytest.raises(ValueError, match="rank deficient"):
        tikhonov(blind, y, 1e-3, L=L)
    with pytest.raises(ValueError, match="zero"):
        gcv_tikhonov(np.zeros_like(K), y, L=L)


def test_tikhonov_deer_baseline():
    """On simulated data the baseline is far better than the data-free guess and rejects non-data."""
    sim = simulate(40, rng=8)
    result = tikhonov_deer(sim)
    assert result.solution.shape == (256, 40) and result.alpha.shape == (40,)
    errors = distribution_error(result.solution.T, sim.distributions, sim.r)
    flat = distribution_error(np.ones_like(sim.distributions), sim.distributions, sim.r)
    assert np.median(errors) < 0.5 * np.median(flat)
    with pytest.raises(ValueError):
        tikhonov_deer(sim.signals)


def test_gcv_rejects_vanishing_trace():
    """A square K with alphas far below its singular values has tr(I - H) = 0: ValueError."""
    K, y, _ = ill_posed_problem(2, m=20, n=20)
    with pytest.raises(ValueError, match=r"tr\(I - H\)"):
        gcv_tikhonov(K, y, alphas=[1e-14, 1e-3])
    assert gcv_tikhonov(K, y, alphas=[1e-3, 1e-1]).alpha.shape == (3,)


@given(st.integers(0, 2**31))
def test_weighted_gcv_is_gcv_of_scaled_problem(seed):
    """Row weights w give the GCV solution of (w K, w y); per-column weights act column by column."""
    K, y, L = ill_posed_problem(seed)
    W = np.random.default_rng(seed).uniform(0.3, 3.0, size=y.shape)
    shared = gcv_tikhonov(K, y, L=L, weights=W[:, 0])
    scaled = gcv_tikhonov(W[:, :1] * K, W[:, :1] * y, L=L, alphas=shared.alphas)
    np.testing.assert_allclose(shared.gcv, scaled.gcv, rtol=1e-8)
    np.testing.assert_allclose(shared.solution, scaled.solution, rtol=1e-7, atol=1e-9)
    per_column = gcv_tikhonov(K, y, L=L, weights=W)
    for j in range(y.shape[1]):
        alone = gcv_tikhonov(W[:, j:j + 1] * K, W[:, j] * y[:, j], L=L, alphas=per_column.alphas)
        assert per_column.alpha[j] == alone.alpha
        np.testing.assert_allclose(per_column.solution[:, j], alone.solution, rtol=1e-7, atol=1e-9)


@given(st.integers(0, 2**31), st.floats(1e-3, 1.0), st.sampled_from(["second", "identity"]))
def test_nonnegative_tikhonov_satisfies_kkt(seed, alpha, penalty):
    """x >= 0, the gradient vanishes where x > 0 and is >= 0 where x = 0 (optimality of a convex QP)."""
    K, y, L = ill_posed_problem(seed, penalty=penalty)
    Lm = np.eye(K.shape[1]) if L is None else L
    x = nonnegative_tikhonov(K, y[:, 0], alpha, L=L)
    gradient = K.T @ (K @ x - y[:, 0]) + alpha**2 * Lm.T @ (Lm @ x)
    tol = 1e-9 * np.abs(K.T @ y[:, 0]).max()
    assert np.all(x >= 0)
    assert np.all(gradient[x == 0] >= -tol)
    np.testing.assert_allclose(gradient[x > 0], 0, atol=tol)
    clipped = np.maximum(tikhonov(K, y[:, 0], alpha, L=L), 0)   # feasible, so not better
    cost = lambda v: np.sum((K @ v - y[:, 0]) ** 2) + alpha**2 * np.sum((Lm @ v) ** 2)
    assert cost(x) <= cost(clipped) + 1e-12


def test_nonnegative_tikhonov_columns_and_weights():
    """Per-column alphas and weights give the single-column answers; a positive solution is kept."""
    K, y, L = ill_posed_problem(4)
    alphas, W = np.array([0.1, 0.01, 0.1]), np.linspace(0.5, 2.0, y.size).reshape(y.shape)
    X = nonnegative_tikhonov(K, y, alphas, L=L, weights=W)
    for j in range(3):
        np.testing.assert_allclose(
            X[:, j], nonnegative_tikhonov(W[:, j:j + 1] * K, W[:, j] * y[:, j], alphas[j], L=L),
            rtol=1e-10, atol=1e-12)
    positive = 1.0 + np.linspace(0, 1, K.shape[1])          # smooth, far from zero
    data = K @ positive
    np.testing.assert_allclose(nonnegative_tikhonov(K, data, 1e-3, L=L),
                               tikhonov(K, data, 1e-3, L=L), rtol=1e-8)
    with pytest.raises(ValueError, match="alpha"):
        nonnegative_tikhonov(K, y, [0.1, 0.2], L=L)
    with pytest.raises(ValueError, match="weights"):
        nonnegative_tikhonov(K, y, 0.1, L=L, weights=-W)
    with pytest.raises(ValueError, match="weights"):
        gcv_tikhonov(K, y, L=L, weights=W[:5])


def test_tikhonov_deer_weighted_by_background():
    """weighted=True is GCV with each signal's rows weighted by its background."""
    sim = simulate(3, rng=5)
    K = dipolar_kernel(sim.t, sim.r, delta_r_weights=True)
    L = second_difference_operator(sim.r.size)
    weighted = tikhonov_deer(sim, weighted=True)
    direct = gcv_tikhonov(K, sim.corrected_form_factors().T, L=L, weights=sim.backgrounds().T)
    np.testing.assert_array_equal(weighted.alpha, direct.alpha)
    np.testing.assert_allclose(weighted.solution, direct.solution, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="weighted"):
        tikhonov_deer(sim, weighted="yes")
