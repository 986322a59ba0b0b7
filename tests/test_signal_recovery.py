"""Tests of the blur-and-noise signal-recovery data."""

import numpy as np
import pytest

import descramble_lib as dl


def test_blur_rows_are_normalised_and_local():
    """Rows sum to 1, constants are preserved, and the blur is symmetric in the interior."""
    grid = np.linspace(0, 1, 41)
    K = dl.gaussian_blur_matrix(grid, width=0.05)
    np.testing.assert_allclose(K.sum(axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(K[20, 20 - 5], K[20, 20 + 5], rtol=1e-12)
    assert K[20, 20] > K[20, 25] > K[20, 35]


def test_smooth_signals_have_unit_variance(rng):
    """The sample variance at each point is 1 within the sampling error of 4000 draws."""
    F = dl.smooth_random_signals(np.linspace(0, 1, 10), 4000, length_scale=0.2, rng=rng)
    assert F.shape == (10, 4000)
    np.testing.assert_allclose(F.var(axis=1), 1, atol=0.1)


def test_noise_free_observations_are_the_blurred_signals(rng):
    """With noise 0, X = K F exactly."""
    grid = np.linspace(0, 1, 12)
    F = dl.smooth_random_signals(grid, 5, length_scale=0.1, rng=rng)
    K = dl.gaussian_blur_matrix(grid, width=0.1)
    np.testing.assert_array_equal(dl.blurred_observations(F, K, noise=0.0, rng=rng), K @ F)


def test_signal_recovery_rejects_bad_input(rng):
    """Unsorted grids, non-positive widths, negative noise and mismatched shapes raise."""
    with pytest.raises(ValueError, match="increasing"):
        dl.gaussian_blur_matrix([0.0, 0.5, 0.2], width=0.1)
    with pytest.raises(ValueError, match="width"):
        dl.gaussian_blur_matrix([0.0, 1.0], width=0.0)
    with pytest.raises(ValueError, match="length_scale"):
        dl.smooth_random_signals([0.0, 1.0], 3, length_scale=-1.0, rng=rng)
    with pytest.raises(ValueError, match="noise"):
        dl.blurred_observations(np.ones((2, 3)), np.eye(2), noise=-1.0, rng=rng)
    with pytest.raises(ValueError, match="columns"):
        dl.blurred_observations(np.ones((2, 3)), np.eye(3), noise=0.1, rng=rng)
