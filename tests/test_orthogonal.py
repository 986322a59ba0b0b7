"""Tests of the orthogonal-group helpers."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, strategies as st

import descramble_lib as dl


def random_skew(d, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d)) * scale
    return B - B.T


@given(st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_cayley_is_rotation(d, seed):
    """cay(Q) is orthogonal with determinant +1."""
    P = dl.cayley(random_skew(d, seed))
    np.testing.assert_allclose(P.T @ P, np.eye(d), atol=1e-10)
    assert np.linalg.det(P) == pytest.approx(1.0, abs=1e-8)


@given(st.integers(2, 20), st.integers(0, 2**32 - 1))
def test_cayley_matches_exponential_to_second_order(d, seed):
    """cay(Q) and expm(-2Q) agree to O(|Q|^3) for small Q."""
    Q = random_skew(d, seed)
    Q /= np.linalg.norm(Q, 2)
    for eps in (1e-2, 1e-3):
        error = np.linalg.norm(dl.cayley(eps * Q) - scipy.linalg.expm(-2 * eps * Q), 2)
        assert error <= 2 * eps**3


def test_cayley_curve_tangent(rng):
    """The curve starts at P with velocity -W P."""
    P = dl.random_orthogonal(6, rng)
    W = random_skew(6, 1)
    h = 1e-6
    velocity = (dl.orthogonal.cayley_curve(P, W, h) - dl.orthogonal.cayley_curve(P, W, -h)) / (2 * h)
    np.testing.assert_allclose(dl.orthogonal.cayley_curve(P, W, 0.0), P, atol=1e-15)
    np.testing.assert_allclose(velocity, -W @ P, atol=1e-7)


def test_random_orthogonal_and_determinant_fix(rng):
    """Haar samples are orthogonal; fix_determinant makes det +1 without touching the input."""
    P = dl.random_orthogonal(7, rng)
    assert dl.orthogonality_error(P) < 1e-13
    P[:, 0] *= -1 if np.linalg.det(P) > 0 else 1
    original = P.copy()
    fixed = dl.fix_determinant(P)
    assert np.linalg.det(fixed) == pytest.approx(1.0)
    np.testing.assert_array_equal(P, original)


def test_reorthonormalise_squares_error(rng):
    """One Newton-Schulz step takes an error e to about e^2."""
    P = dl.random_orthogonal(10, rng) + 1e-5 * rng.standard_normal((10, 10))
    before = dl.orthogonality_error(P)
    after = dl.orthogonality_error(dl.reorthonormalise(P))
    assert after < 10 * before**2


def test_cayley_rejects_non_skew():
    """A non-skew argument raises ValueError."""
    with pytest.raises(ValueError, match="skew"):
        dl.cayley(np.eye(3))


@pytest.mark.parametrize("P, message", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "P contains 1 non-finite"),
    (np.ones(3), "P must be a 2-D array"),
])
def test_reorthonormalise_rejects_bad_input(P, message):
    """A non-finite or non-2-D argument raises ValueError naming P."""
    with pytest.raises(ValueError, match=message):
        dl.reorthonormalise(P)
