"""Tests of isotropic inputs and whitening, and of Theorem 2 (isotropic data) on random instances."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl


@given(st.integers(1, 12), st.integers(0, 30), st.floats(1e-3, 1e3), st.integers(0, 2**32 - 1))
def test_isotropic_inputs_are_isotropic(m, extra, c, seed):
    """X X^T = c I to rounding, for every n >= m."""
    X = dl.theory.isotropic_inputs(m, m + extra, c=c, rng=np.random.default_rng(seed))
    assert X.shape == (m, m + extra)
    np.testing.assert_allclose(X @ X.T, c * np.eye(m), atol=1e-12 * c)


@pytest.mark.parametrize("kwargs", [dict(m=5, n=4), dict(m=3, n=5, c=0.0), dict(m=0, n=5),
                                    dict(m=3, n=5, c=np.nan)])
def test_isotropic_inputs_rejects_bad_arguments(kwargs):
    """n < m, non-positive or NaN c, and m = 0 raise ValueError."""
    with pytest.raises(ValueError):
        dl.theory.isotropic_inputs(rng=np.random.default_rng(0), **kwargs)


@given(st.integers(1, 12), st.integers(1, 30), st.floats(1e-3, 1e3), st.integers(0, 2**32 - 1))
def test_centred_isotropic_inputs(m, extra, c, seed):
    """centred=True gives X X^T = c I and X 1 = 0 to rounding, for every n >= m + 1."""
    X = dl.theory.isotropic_inputs(m, m + extra, c=c, centred=True, rng=np.random.default_rng(seed))
    assert X.shape == (m, m + extra)
    np.testing.assert_allclose(X @ X.T, c * np.eye(m), atol=1e-12 * c)
    np.testing.assert_allclose(X.sum(axis=1), 0, atol=1e-12 * np.sqrt(c * (m + extra)))


@pytest.mark.parametrize("kwargs", [dict(m=5, n=5, centred=True), dict(m=2, n=5, centred=1)])
def test_centred_isotropic_inputs_rejects_bad_arguments(kwargs):
    """Centring needs n >= m + 1 samples, and centred must be a bool."""
    with pytest.raises(ValueError):
        dl.theory.isotropic_inputs(rng=np.random.default_rng(0), **kwargs)


def test_whiten_gives_identity_moment(rng):
    """Whitened data have X X^T / n = I, with a symmetric whitening matrix."""
    X = rng.standard_normal((6, 200)) * np.arange(1, 7)[:, None] + 3.0
    X_white, Z = dl.theory.whiten(X)
    np.testing.assert_allclose(X_white @ X_white.T / 200, np.eye(6), atol=1e-12)
    np.testing.assert_allclose(Z, Z.T, atol=1e-12)
    np.testing.assert_allclose(X_white, Z @ X, atol=1e-12)


def test_whiten_rejects_rank_deficient_and_short_data(rng):
    """Data that do not span R^m, or with n < m, cannot be whitened."""
    with pytest.raises(ValueError, match="singular"):
        dl.theory.whiten(np.vstack([rng.standard_normal((2, 50)), np.zeros((1, 50))]))
    with pytest.raises(ValueError, match="n >= m"):
        dl.theory.whiten(rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        dl.theory.whiten(np.full((2, 5), np.nan))


@st.composite
def whitened_layers(draw):
    """A layer W (d <= m) with well separated singular values and isotropic inputs X."""
    d = draw(st.integers(2, 16))
    m = draw(st.integers(d, 24))
    n = draw(st.integers(m, 60))
    c = draw(st.floats(0.1, 10.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sigma = np.exp(-draw(st.floats(0.05, 0.5)) * np.arange(d))
    U, V = dl.random_orthogonal(d, rng), dl.random_orthogonal(m, rng)
    W = U @ np.diag(sigma) @ V[:, :d].T
    return W, dl.theory.isotropic_inputs(m, n, c=c, rng=rng), c


@given(whitened_layers())
def test_theorem2_descrambled_weights(layer):
    """Theorem 2: with X X^T = c I, P W = T Sigma_W V_W^T up to signs and pair rotations."""
    W, X, c = layer
    d = W.shape[0]
    result = dl.descramble(W @ X)
    _, sigma, Vt = np.linalg.svd(W)
    predicted = dl.fourier_basis(d) @ np.diag(sigma) @ Vt[:d]
    aligned = dl.align_in_blocks(result.P @ W, predicted)
    np.testing.assert_allclose(aligned, predicted, atol=1e-9 * sigma[0])
    omega = dl.smoothness_eigenvalues(d)
    np.testing.assert_allclose(result.loss, c * np.dot(omega, sigma**2), rtol=1e-9)


def test_theorem2_wide_layer_is_band_limited(rng):
    """With d > m the last d - m rows of T^T P W vanish."""
    W = rng.standard_normal((20, 6))
    P = dl.descramble(W @ dl.theory.isotropic_inputs(6, 30, rng=rng)).P
    np.testing.assert_allclose((dl.fourier_basis(20).T @ P @ W)[6:], 0, atol=1e-12)
