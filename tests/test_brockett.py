"""Tests of the Brockett cost and its exact lower bound (Lemma 1)."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl
from strategies import data_matrices, symmetric_matrices


def floor(A, S):
    """Rounding scale of the cost: 1e-10 of |A| |S|_F^2."""
    return 1e-10 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2


@given(data_matrices(), st.integers(0, 2**32 - 1))
def test_bound_below_cost_at_random_orthogonal(S, seed):
    """No orthogonal P has a cost below the bound."""
    A = dl.smoothness_operator(S.shape[0])
    P = dl.random_orthogonal(S.shape[0], np.random.default_rng(seed))
    assert dl.brockett_cost(A, S, P) >= dl.brockett_bound(A, S) - floor(A, S)


@given(data_matrices())
def test_cost_equals_smoothness_norm(S):
    """tr(A P S S^T P^T) equals ||D P S||_F^2 with A = D^T D."""
    d = S.shape[0]
    D = dl.second_derivative_matrix(d)
    P = dl.random_orthogonal(d, np.random.default_rng(0))
    np.testing.assert_allclose(dl.brockett_cost(D.T @ D, S, P),
                               np.linalg.norm(D @ P @ S) ** 2,
                               rtol=1e-9, atol=floor(D.T @ D, S))


@given(st.data())
def test_bound_is_attained_by_eigenvector_pairing(data):
    """T U^T built by hand attains the bound for a general symmetric A."""
    S = data.draw(data_matrices())
    A = data.draw(symmetric_matrices(S.shape[0], repeated=data.draw(st.booleans())))
    omega, T = np.linalg.eigh(A)
    U, _, _ = np.linalg.svd(S)
    np.testing.assert_allclose(dl.brockett_cost(A, S, T @ U.T), dl.brockett_bound(A, S),
                               rtol=1e-9, atol=floor(A, S))


def test_bound_pads_missing_singular_values():
    """With n < d only the smallest eigenvalues of A are paired with energy."""
    A = np.diag([5.0, 1.0, 3.0, 2.0])
    S = np.array([[3.0], [0.0], [0.0], [4.0]])
    assert dl.brockett_bound(A, S) == pytest.approx(1.0 * 25.0)


@pytest.mark.parametrize("A, S, message", [
    (np.eye(3), np.full((3, 2), np.nan), "non-finite"),
    (np.ones((3, 2)), np.ones((3, 2)), "square"),
    (np.eye(4), np.ones((3, 2)), "4x4|3x3"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones((2, 2)), "symmetric"),
    (np.eye(3), np.ones(3), "2-D"),
])
def test_bad_input_raises(A, S, message):
    """Malformed A or S raises ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        dl.brockett_bound(A, S)
