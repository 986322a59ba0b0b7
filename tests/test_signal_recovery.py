"""Tests of the blur-and-noise signal-recovery data."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl


def test_blur_rows_are_normalised_and_local():
    """Rows sum to 1, constants are preserved, and the blur is symmetric in the interior."""
    grid = np.linspace(0, 1, 41)
    B = dl.theory.gaussian_blur_matrix(grid, width=0.05)
    np.testing.assert_allclose(B.sum(axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(B[20, 20 - 5], B[20, 20 + 5], rtol=1e-12)
    assert B[20, 20] > B[20, 25] > B[20, 35]


def test_smooth_signals_have_unit_variance(rng):
    """The sample variance at each point is 1 within the sampling error of 4000 draws."""
    F = dl.theory.smooth_random_signals(np.linspace(0, 1, 10), 4000, length_scale=0.2, rng=rng)
    assert F.shape == (10, 4000)
    np.testing.assert_allclose(F.var(axis=1), 1, atol=0.1)


def test_noise_free_observations_are_the_blurred_signals(rng):
    """With noise 0, X = B F exactly."""
    grid = np.linspace(0, 1, 12)
    F = dl.theory.smooth_random_signals(grid, 5, length_scale=0.1, rng=rng)
    B = dl.theory.gaussian_blur_matrix(grid, width=0.1)
    np.testing.assert_array_equal(dl.theory.blurred_observations(F, B, noise=0.0, rng=rng), B @ F)


def test_signal_recovery_rejects_bad_input(rng):
    """Unsorted grids, non-positive widths, negative noise and mismatched shapes raise."""
    with pytest.raises(ValueError, match="increasing"):
        dl.theory.gaussian_blur_matrix([0.0, 0.5, 0.2], width=0.1)
    with pytest.raises(ValueError, match="width"):
        dl.theory.gaussian_blur_matrix([0.0, 1.0], width=0.0)
    with pytest.raises(ValueError, match="length_scale"):
        dl.theory.smooth_random_signals([0.0, 1.0], 3, length_scale=-1.0, rng=rng)
    with pytest.raises(ValueError, match="noise"):
        dl.theory.blurred_observations(np.ones((2, 3)), np.eye(2), noise=-1.0, rng=rng)
    with pytest.raises(ValueError, match="columns"):
        dl.theory.blurred_observations(np.ones((2, 3)), np.eye(3), noise=0.1, rng=rng)
    with pytest.raises(ValueError, match="C_f"):
        dl.theory.regularised_pseudo_inverse(np.eye(3), np.eye(2), noise=0.1)
    with pytest.raises(ValueError, match="symmetric"):
        dl.theory.regularised_pseudo_inverse(np.eye(2), np.array([[1.0, 0.5], [0.0, 1.0]]), noise=0.1)
    with pytest.raises(ValueError, match="noise"):
        dl.theory.regularised_pseudo_inverse(np.eye(2), np.eye(2), noise=0.0)


def test_covariance_is_the_squared_exponential():
    """Unit diagonal, symmetric, and exp(-1/2) at a distance of one length scale."""
    grid = np.linspace(0, 1, 11)
    C = dl.theory.squared_exponential_covariance(grid, length_scale=0.2)
    np.testing.assert_allclose(np.diag(C), 1, rtol=1e-15)
    np.testing.assert_allclose(C, C.T, rtol=1e-15)
    np.testing.assert_allclose(C[0, 2], np.exp(-0.5), rtol=1e-12)


def test_signals_have_the_stated_covariance(rng):
    """The sample covariance of 20000 signals matches C_f within the sampling error."""
    grid = np.linspace(0, 1, 8)
    F = dl.theory.smooth_random_signals(grid, 20000, length_scale=0.3, rng=rng)
    np.testing.assert_allclose(F @ F.T / 20000, dl.theory.squared_exponential_covariance(grid, length_scale=0.3),
                               atol=0.05)


@given(st.integers(1, 6), st.floats(0.1, 10.0), st.floats(1e-3, 1e1))
def test_pseudo_inverse_of_the_identity_is_a_shrinkage(m, c, noise):
    """With B = I and C_f = c I the estimator is c / (c + nu^2) I."""
    G = dl.theory.regularised_pseudo_inverse(np.eye(m), c * np.eye(m), noise=noise)
    np.testing.assert_allclose(G, c / (c + noise**2) * np.eye(m), rtol=1e-12)


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_pseudo_inverse_minimises_the_expected_error(m, seed):
    """E||f - G x||^2 is stationary at G and grows along any perturbation (it is quadratic in G)."""
    rng = np.random.default_rng(seed)
    B, L = rng.standard_normal((m, m)), rng.standard_normal((m, m))
    C_f, noise = L @ L.T, 0.3
    G = dl.theory.regularised_pseudo_inverse(B, C_f, noise=noise)
    C_x = B @ C_f @ B.T + noise**2 * np.eye(m)

    def expected_error(H):
        return np.trace(C_f) - 2 * np.trace(H @ B @ C_f) + np.trace(H @ C_x @ H.T)

    H = rng.standard_normal((m, m))
    step = 1e-3 * np.linalg.norm(G) / np.linalg.norm(H)
    increase = expected_error(G + step * H) - expected_error(G)
    np.testing.assert_allclose(increase, step**2 * np.trace(H @ C_x @ H.T), rtol=1e-6,
                               atol=1e-10 * np.trace(C_f))


def test_small_noise_pseudo_inverse_is_the_inverse(rng):
    """For an invertible B and positive definite C_f, nu -> 0 gives B^{-1}."""
    B = np.eye(4) + 0.2 * rng.standard_normal((4, 4))
    np.testing.assert_allclose(dl.theory.regularised_pseudo_inverse(B, np.eye(4), noise=1e-6),
                               np.linalg.inv(B), atol=1e-9)
