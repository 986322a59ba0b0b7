"""Tests of ``descramble``: closed form, Cayley descent, strategies, input checks."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import descramble_lib as dl
from strategies import data_matrices, symmetric_matrices


def assert_reaches_bound(result, S, rtol, A=None):
    """|loss - bound| <= rtol * bound + a rounding floor of 1e-13 |A|_2 |S|_F^2.

    The floor matters only when the bound is (nearly) zero, e.g. for rank-one S,
    where the computed loss is rounding noise of the size of eps |A| |S|^2.
    """
    A = dl.smoothness_operator(S.shape[0]) if A is None else A
    floor = 1e-13 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2
    assert abs(result.loss - result.bound) <= rtol * abs(result.bound) + floor


@given(data_matrices(max_d=40))
def test_closed_form_reaches_bound(S):
    """The closed form T U^T attains the Lemma 1 bound to relative 1e-10."""
    result = dl.descramble(S)
    assert_reaches_bound(result, S, 1e-10)
    assert dl.orthogonality_error(result.P) <= 1e-12
    A = dl.smoothness_operator(S.shape[0])
    np.testing.assert_allclose(result.loss, dl.brockett_cost(A, S, result.P), rtol=1e-9,
                               atol=1e-13 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2)


@given(st.data())
def test_closed_form_general_symmetric_A(data):
    """For any symmetric A, including repeated eigenvalues, eig reaches the bound."""
    S = data.draw(data_matrices(max_d=20))
    A = data.draw(symmetric_matrices(S.shape[0], repeated=data.draw(st.booleans())))
    result = dl.descramble(S, A)
    assert result.bound == pytest.approx(dl.brockett_bound(A, S), rel=1e-12, abs=1e-12)
    assert_reaches_bound(result, S, 1e-10, A=A)


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.integers(8, 200))
def test_cayley_from_identity_reaches_bound_d32(seed, n):
    """Default Cayley descent from P = I reaches relative gap 1e-6 at d = 32."""
    S = np.random.default_rng(seed).standard_normal((32, n))
    result = dl.descramble(S, method="cayley")
    assert_reaches_bound(result, S, 1e-6)
    assert result.n_iter <= 1000
    assert dl.orthogonality_error(result.P) <= 1e-12


@pytest.mark.parametrize("strategy", sorted(dl.paper.STRATEGIES))
def test_figure1_strategies_orthogonal_and_decreasing(strategy, rng):
    """Each Figure 1 strategy returns an orthogonal P and lowers the loss from its start."""
    S = rng.standard_normal((24, 60))
    result = dl.descramble(S, **dl.paper.STRATEGIES[strategy])
    assert dl.orthogonality_error(result.P) <= 1e-12
    assert result.gap >= -1e-9 * result.bound
    assert result.loss <= result.history[0]
    assert len(result.history) == result.n_iter + 1


def test_plain_cayley_orthogonality_over_long_runs(rng):
    """1000 plain Cayley steps keep P^T P = I to 1e-12 (re-orthonormalised drift)."""
    S = rng.standard_normal((40, 100))
    result = dl.descramble(S, method="cayley", precondition=False, tol=0.0, grad_tol=0.0)
    assert result.n_iter == 1000
    assert dl.orthogonality_error(result.P) <= 1e-12


def test_rescaled_equals_original_coordinates(rng):
    """Rescaled descent returns P = T P~, with the same certified loss as the loss of P."""
    S = rng.standard_normal((16, 40))
    result = dl.descramble(S, method="cayley", rescale=True)
    A = dl.smoothness_operator(16)
    np.testing.assert_allclose(result.loss, dl.brockett_cost(A, S, result.P), rtol=1e-12)
    assert_reaches_bound(result, S, 1e-8)


def test_warm_start_has_positive_determinant(rng):
    """The eigenbasis warm start is T with det fixed to +1, so iterates stay in SO(d)."""
    S = rng.standard_normal((10, 30))
    result = dl.descramble(S, method="cayley", P0="eigenbasis", max_iter=5, tol=0.0)
    assert np.linalg.det(result.P) == pytest.approx(1.0)


def test_sign_flips_and_pair_rotations_are_also_optimal(rng):
    """T E U^T and a rotation inside a Fourier pair give the same minimal loss."""
    S = rng.standard_normal((12, 50))
    optimum = dl.descramble(S)
    A = dl.smoothness_operator(12)
    signs = np.diag(rng.choice([-1.0, 1.0], size=12))
    theta = 0.7
    rotation = np.eye(12)
    rotation[1:3, 1:3] = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    T = dl.fourier_basis(12)
    for Q in (signs, rotation):
        other = T @ Q @ T.T @ optimum.P
        np.testing.assert_allclose(dl.brockett_cost(A, S, other), optimum.bound, rtol=1e-10)


@pytest.mark.parametrize("kwargs, message", [
    (dict(S=np.array([[1.0, np.nan], [0.0, 1.0]])), "non-finite"),
    (dict(S=np.ones((3, 2)), A=np.ones((3, 2))), "square"),
    (dict(S=np.ones((3, 2)), A=np.eye(4)), "3x3"),
    (dict(S=np.ones((2, 2)), A=np.array([[1.0, 1.0], [0.0, 1.0]])), "symmetric"),
    (dict(S=np.ones((3, 2)), method="cayley", P0=np.ones((3, 3))), "not orthogonal"),
    (dict(S=np.ones((3, 2)), method="cayley", P0=np.eye(4)), "shape"),
    (dict(S=np.ones((3, 2)), method="cayley", P0="random"), "P0 must be"),
    (dict(S=np.ones((3, 2)), method="newton"), "unknown method"),
    (dict(S=np.ones((3, 2)), P0=np.eye(3)), "do not apply to method='eig'"),
    (dict(S=np.ones((3, 2)), method="cayley", max_iter=-1), "max_iter"),
    (dict(S=np.ones((3, 2)), method="cayley", tol=np.nan), "tol"),
])
def test_bad_input_raises(kwargs, message):
    """Each malformed argument raises ValueError with a message that names it."""
    S = kwargs.pop("S")
    with pytest.raises(ValueError, match=message):
        dl.descramble(S, **kwargs)


def _linear_cost(P):
    """Cost sum(P) and its constant Euclidean gradient."""
    return float(np.sum(P)), np.ones_like(P)


@pytest.mark.parametrize("P0, kwargs, message", [
    (np.full((3, 3), np.nan), {}, "P0 contains 9 non-finite"),
    (np.ones((3, 3, 3)), {}, "P0 must be a 2-D array"),
    (np.ones((3, 3)), {}, "P0 is not orthogonal"),
    (np.eye(3), dict(max_iter=2.5), "max_iter must be an integer"),
    (np.eye(3), dict(grad_tol=-1.0), "grad_tol"),
])
def test_cayley_descent_bad_input_raises(P0, kwargs, message):
    """cayley_descent rejects a bad start or option with a ValueError that names it."""
    with pytest.raises(ValueError, match=message):
        dl.cayley_descent(_linear_cost, P0, **kwargs)


@pytest.mark.parametrize("omega, M, message", [
    (np.array([0.0, np.nan, 1.0]), np.eye(3), "omega contains 1 non-finite"),
    (np.eye(3), np.eye(3), "omega must be a 1-D array"),
    (np.arange(3.0), np.full((3, 3), np.nan), "M contains 9 non-finite"),
    (np.arange(3.0), np.eye(4), "M must be 3x3"),
    (np.arange(3.0), np.triu(np.ones((3, 3))), "M must be symmetric"),
])
def test_eigenbasis_preconditioner_bad_input_raises(omega, M, message):
    """eigenbasis_preconditioner rejects a bad omega or M with a ValueError that names it."""
    with pytest.raises(ValueError, match=message):
        dl.eigenbasis_preconditioner(omega, M)
