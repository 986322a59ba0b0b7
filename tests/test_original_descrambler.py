"""The paper's own descrambler: Cayley coordinates, the analytic gradient, trust-region Newton–CG.

Core: :mod:`descramble_lib.cayley_coordinates` (``method="original"`` of ``descramble``);
paper registries and helpers: :mod:`descramble_lib.paper.original`.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import descramble_lib as dl
from descramble_lib.cayley_coordinates import trust_region_descent
from descramble_lib.paper import (ORIGINAL_STRATEGIES, cayley_from_coordinates, cayley_preimage,
                                  coordinate_cost_and_gradient, coordinates_from_skew,
                                  eigenbasis_start, original_cost_matrix, original_descramble,
                                  original_problem, skew_from_coordinates, spectral_normalise)


def _data(seed: int, d: int = 6, n: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.diag(np.logspace(0, -2, d))
    return rng.standard_normal((d, d)) @ spectrum @ rng.standard_normal((d, n))


def _symmetric(rng, d: int) -> np.ndarray:
    X = rng.standard_normal((d, d))
    return X + X.T


# ---------------------------------------------------------------- coordinates

@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 9), scale=st.floats(0.01, 3.0))
def test_cayley_round_trip_and_rotation(seed, d, scale):
    """q -> Q -> P -> q is the identity; P is a rotation (orthogonal, det +1)."""
    q = scale * np.random.default_rng(seed).standard_normal(d * (d - 1) // 2)
    Q = skew_from_coordinates(q, d)
    np.testing.assert_array_equal(Q, -Q.T)
    np.testing.assert_array_equal(coordinates_from_skew(Q), q)
    P = cayley_from_coordinates(q, d)
    assert dl.orthogonality_error(P) < 1e-13
    assert np.linalg.det(P) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(P, dl.cayley(Q), atol=1e-13)
    np.testing.assert_allclose(cayley_preimage(P), q, rtol=1e-9, atol=1e-11)


def test_size_is_inferred_from_the_number_of_coordinates():
    assert skew_from_coordinates(np.arange(6.0)).shape == (4, 4)
    assert skew_from_coordinates(np.zeros(0)).shape == (1, 1)
    with pytest.raises(ValueError, match="q"):
        skew_from_coordinates(np.arange(5.0))
    with pytest.raises(ValueError, match="q"):
        skew_from_coordinates(np.arange(6.0), 5)


def test_preimage_of_a_reflection_is_not_the_reflection():
    """det = -1: I + R is singular (exactly: ValueError; to rounding: another rotation)."""
    with pytest.raises(ValueError, match="eigenvalue -1"):
        cayley_preimage(np.diag([-1.0, 1.0, 1.0]))
    rng = np.random.default_rng(3)
    R = dl.random_orthogonal(6, rng)
    if np.linalg.det(R) > 0:
        R[:, 0] *= -1
    start = cayley_from_coordinates(cayley_preimage(R))
    assert np.linalg.norm(start - R) > 1.0
    assert np.linalg.det(start) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("d", [8, 9, 11])
def test_eigenbasis_start_is_T_exactly_when_the_preimage_exists(d):
    """Strategy (b) starts at T if det T = +1 and T has no eigenvalue -1, else elsewhere."""
    problem = original_problem(_data(0, d), "first")
    start = eigenbasis_start(problem)
    gap_to_minus_one = np.min(np.abs(np.linalg.eigvals(problem.T) + 1))
    if start.det_T > 0 and gap_to_minus_one > 1e-3:
        assert start.distance < 1e-8
        assert dl.orthogonality_error(start.P) < 1e-12
    elif start.det_T < 0:
        # q ~ 1/eps: P is near -I on all but (odd d) one direction, far from T, and
        # for odd d not even orthogonal to working precision, as in the original.
        assert start.distance > 1.0
        assert np.max(np.abs(start.q)) > 1e10


def test_a_start_without_preimage_stops_at_once_but_is_not_converged():
    """det T = -1: strategy (b)'s coordinates are of order 1/eps, their gradient is below
    rounding, the run stops at its start, and the result says that this proves nothing;
    an ordinary run from q = 0 still converges."""
    S = _data(0, 12)                 # T of the first-derivative operator at d = 12: det -1
    start = eigenbasis_start(original_problem(S, "first"))
    assert start.det_T < 0 and np.linalg.norm(start.q) > 1e10
    stuck = original_descramble(S, "b", operator="first")
    assert stuck.n_iter == 0 and not stuck.converged
    assert "saturated" in stuck.message and stuck.relative_gap > 1e-3
    ordinary = original_descramble(S, "a", operator="first")
    assert ordinary.converged and "saturated" not in ordinary.message


# ---------------------------------------------------------------- the gradient

@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), d=st.integers(2, 6), scale=st.floats(0.0, 2.0))
def test_analytic_gradient_matches_central_differences(seed, d, scale):
    rng = np.random.default_rng(seed)
    A, M = _symmetric(rng, d), _symmetric(rng, d)
    q = scale * rng.standard_normal(d * (d - 1) // 2)
    _, gradient = coordinate_cost_and_gradient(q, A, M)
    step = 1e-5
    numerical = np.array([
        (coordinate_cost_and_gradient(q + step * e, A, M)[0]
         - coordinate_cost_and_gradient(q - step * e, A, M)[0]) / (2 * step)
        for e in np.eye(q.size)])
    scale_ = max(np.linalg.norm(numerical), 1e-8)
    assert np.linalg.norm(gradient - numerical) <= 1e-6 * scale_


def test_cost_is_the_brockett_cost_of_the_cayley_rotation(rng):
    A, M = _symmetric(rng, 5), _symmetric(rng, 5)
    q = rng.standard_normal(10)
    P = cayley_from_coordinates(q)
    value, _ = coordinate_cost_and_gradient(q, A, M)
    assert value == pytest.approx(np.trace(A @ P @ M @ P.T), rel=1e-12)


def test_hessian_products_agree(rng):
    """Forward differences of the gradient and the exact product, against central ones."""
    from descramble_lib.cayley_coordinates import _CoordinateCost
    d = 7
    A, M = _symmetric(rng, d), _symmetric(rng, d) @ _symmetric(rng, d)
    M = M + M.T
    cost = _CoordinateCost(A, M)
    q, v = rng.standard_normal(21) * 0.5, rng.standard_normal(21)
    h = 1e-5
    central = (cost(q + h * v)[1] - cost(q - h * v)[1]) / (2 * h)
    for product in (cost.hessp(q, v), cost.exact_hessp(q, v)):
        assert np.linalg.norm(product - central) <= 1e-6 * np.linalg.norm(central)
    diagonal = _CoordinateCost(np.diag(A).copy(), M)
    full = _CoordinateCost(np.diag(np.diag(A)), M)
    np.testing.assert_allclose(diagonal.exact_hessp(q, v), full.exact_hessp(q, v), rtol=1e-12)


def test_spectral_normalisation():
    X = _symmetric(np.random.default_rng(1), 5)
    Y, factor = spectral_normalise(X)
    assert np.linalg.norm(Y, 2) == pytest.approx(5.0)
    np.testing.assert_allclose(Y, factor * X)
    assert spectral_normalise(np.zeros((3, 3)))[1] == 1.0


# ---------------------------------------------------------------- the optimiser

@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), d=st.integers(2, 7),
       hessian=st.sampled_from(["differences", "exact"]))
def test_descent_from_zero_decreases_and_stays_above_the_bound(seed, d, hessian):
    problem = original_problem(_data(seed, d), "first")
    result = trust_region_descent(problem, max_iter=200, hessian=hessian)
    rounding = 1e-10 * abs(result.history[0])
    assert result.history[0] == pytest.approx(problem.cost(np.eye(d)), rel=1e-12)
    assert np.all(np.diff(result.history) <= rounding)          # accepted steps only
    assert np.all(result.history >= result.bound - rounding)
    assert result.loss >= result.bound - rounding
    assert result.loss == pytest.approx(problem.cost(result.P), rel=1e-12)
    assert result.relative_gap < 1e-3
    assert dl.orthogonality_error(result.P) < 1e-12
    assert np.linalg.det(result.P) == pytest.approx(1.0, abs=1e-10)
    assert result.n_iter == len(result.history) - 1 and result.method == "original"


def test_caller_units_and_power_of_two_scaling():
    S = _data(2)
    base = dl.descramble(S, method="original", max_iter=50)
    scaled = dl.descramble(S * 2.0**40, method="original", max_iter=50)
    np.testing.assert_array_equal(base.P, scaled.P)
    assert scaled.loss == pytest.approx(base.loss * 2.0**80, rel=1e-12)
    assert scaled.bound == pytest.approx(base.bound * 2.0**80, rel=1e-12)


def test_rescaled_strategy_is_the_diagonal_problem_mapped_by_T():
    """(c) = run on A = Omega (in T's eigenbasis) from q = 0, then P = T P~."""
    S = _data(4, 7)
    problem = original_problem(S, "first")
    rescaled = trust_region_descent(problem, rescale=True, max_iter=100)
    Omega = np.diag(problem.omega * problem.omega_scale)
    diagonal = trust_region_descent(dl.BrockettProblem(S, Omega), max_iter=100)
    np.testing.assert_allclose(rescaled.P, problem.T @ diagonal.P, atol=1e-10)
    assert rescaled.n_iter == diagonal.n_iter
    assert rescaled.history[0] == pytest.approx(problem.cost(problem.T), rel=1e-12)
    assert "||P0 - T||_F = 0" in rescaled.message


def test_one_neuron():
    result = dl.descramble(np.ones((1, 5)), method="original")
    assert result.P.shape == (1, 1) and result.converged and result.n_iter == 0


# ---------------------------------------------------------------- operators and strategies

@pytest.mark.parametrize("d", [8, 9])
def test_the_original_operator_has_eigenvalues_k_squared(d):
    eigenvalues = np.linalg.eigvalsh(original_cost_matrix(d))
    k = dl.fourier_wavenumbers(d).astype(float)
    if d % 2 == 0:
        k[-1] = 0.0  # the Nyquist mode has no first derivative on the grid
    np.testing.assert_allclose(eigenvalues, np.sort(k**2), atol=1e-10)
    np.testing.assert_allclose(original_cost_matrix(d, "second"), dl.smoothness_operator(d))


def test_strategies_run_and_d_is_the_closed_form():
    S = _data(5, 6)
    results = {key: original_descramble(S, key, **({} if key == "d" else {"max_iter": 30}))
               for key in ORIGINAL_STRATEGIES}
    assert results["d"].method == "eig" and results["d"].relative_gap < 1e-10
    for key in "abc":
        assert results[key].method == "original" and results[key].n_iter <= 30
        assert results[key].bound == pytest.approx(results["d"].bound)
    second = original_descramble(S, "d", operator="second")
    assert second.bound == pytest.approx(dl.descramble(S).bound)


# ---------------------------------------------------------------- options and bad input

def test_front_door_options():
    S = _data(6)
    assert "original" in dl.METHODS
    with pytest.raises(ValueError, match="P0"):
        dl.descramble(S, method="original", P0="identity")
    with pytest.raises(ValueError, match="start"):
        dl.descramble(S, method="cayley", start="zero")
    with pytest.raises(ValueError, match="max_iter"):
        original_descramble(S, "d", max_iter=10)
    assert dl.descramble(S, method="original", start="eigenbasis", rescale=True,
                         max_iter=3, gtol=0.0, hessian="exact").n_iter == 3


@pytest.mark.parametrize("options, name", [
    ({"start": "identity"}, "start"),
    ({"start": np.ones((6, 6))}, "start"),
    ({"rescale": "yes"}, "rescale"),
    ({"max_iter": -1}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"),
    ({"gtol": -1.0}, "gtol"),
    ({"gtol": float("nan")}, "gtol"),
    ({"hessian": "bfgs"}, "hessian"),
])
def test_bad_options_name_the_argument(options, name):
    with pytest.raises(ValueError, match=name):
        dl.descramble(_data(7), method="original", **options)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="operator"):
        original_cost_matrix(5, "third")
    with pytest.raises(ValueError, match="strategy"):
        original_descramble(_data(8), "e")
    with pytest.raises(ValueError, match="operator"):
        original_descramble(original_problem(_data(8)), "a", operator="first")
    with pytest.raises(ValueError, match="problem"):
        trust_region_descent(_data(8))
    with pytest.raises(ValueError, match="problem"):
        eigenbasis_start(_data(8))
    with pytest.raises(ValueError, match="P"):
        cayley_preimage(np.ones((2, 3)))
    with pytest.raises(ValueError, match="S"):
        original_problem(np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="A"):
        coordinate_cost_and_gradient(np.zeros(3), np.ones((3, 4)), np.eye(3))
    with pytest.raises(ValueError, match="q"):
        coordinate_cost_and_gradient(np.zeros(4), np.eye(3), np.eye(3))
