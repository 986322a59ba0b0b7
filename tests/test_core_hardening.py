"""Regression tests for bad and extreme input to the descrambling core.

Each test pins a defect found by trying the public API with hostile input: data at
extreme scales, complex or gradient-carrying arrays, options that do not apply, in-place
activations after a hooked layer, layers called twice per forward pass.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

import descramble_lib as dl


def _data(seed: int, d: int = 8, n: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Energies spread over orders of magnitude, as in trained layers.
    return rng.standard_normal((d, d)) @ np.diag(np.logspace(0, -3, d)) @ rng.standard_normal((d, n))


# ---------------------------------------------------------------- scale

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), exponent=st.integers(-400, 400))
def test_power_of_two_scaling_changes_nothing_but_the_units(seed, exponent):
    """S * 2^k gives the same P and relative gap; loss and bound scale by 4^k exactly."""
    S = _data(seed)
    scaled = S * 2.0**exponent
    if not np.all(np.isfinite(scaled)) or np.min(np.abs(scaled[scaled != 0])) < 1e-300:
        return  # the caller's data themselves are not representable
    base, other = dl.descramble(S), dl.descramble(scaled)
    np.testing.assert_array_equal(base.P, other.P)
    assert other.relative_gap == base.relative_gap
    with np.errstate(over="ignore", under="ignore"):
        expected = base.loss * 4.0**exponent
    assert other.loss == expected or (np.isinf(expected) and np.isinf(other.loss))


@pytest.mark.parametrize("method", ["eig", "cayley"])
@pytest.mark.parametrize("factor", [1e-170, 1e-120, 1e80, 1e160])
def test_extreme_scales_are_solved_and_never_falsely_converged(method, factor):
    """Data at 1e-170 ... 1e160: a finite orthogonal P near the optimum, honest flags."""
    S = _data(0) * factor
    result = dl.descramble(S, method=method)
    reference = dl.descramble(_data(0), method=method)
    assert np.all(np.isfinite(result.P))
    assert dl.orthogonality_error(result.P) < 1e-10
    assert result.relative_gap <= max(10 * reference.relative_gap, 1e-9)
    if not (np.isfinite(result.loss) and np.isfinite(result.bound)):
        assert not result.converged and "overflows" in result.message
    else:
        np.testing.assert_allclose(result.loss, reference.loss * factor**2, rtol=1e-9)


def test_a_scaled_cost_matrix_is_solved_in_the_callers_units():
    """A * 1e300 is fine: same P as A, loss scaled by 1e300 (or flagged if it overflows)."""
    S = _data(1)
    A = dl.smoothness_operator(8)
    base, big = dl.descramble(S, A), dl.descramble(S, A * 1e300)
    assert dl.descrambler_distance(base.P, big.P) < 1e-8
    assert np.isinf(big.loss) or np.isclose(big.loss, base.loss * 1e300, rtol=1e-9)


def test_descent_that_goes_non_finite_is_not_converged():
    """A cost that turns NaN mid-run stops there, unconverged, at the last finite iterate."""
    calls = []
    B = np.random.default_rng(0).standard_normal((4, 4))

    def cost_and_gradient(P):
        calls.append(1)
        if len(calls) > 3:
            return float("nan"), np.full_like(P, np.nan)
        return float(np.sum(B * P)), B

    run = dl.cayley_descent(cost_and_gradient, np.eye(4), max_iter=50)
    assert not run.converged and "non-finite" in run.message
    assert np.all(np.isfinite(run.P))


# ---------------------------------------------------------------- the problem object

@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40))
def test_problem_from_the_moment_equals_the_problem_from_S(seed, n):
    """BrockettProblem.from_moment(S S^T) gives the same bound and the same optimum."""
    S = np.random.default_rng(seed).standard_normal((6, n))
    from_S = dl.descramble(dl.BrockettProblem(S))
    from_M = dl.descramble(dl.BrockettProblem.from_moment(S @ S.T))
    np.testing.assert_allclose(from_M.bound, from_S.bound, rtol=1e-10)
    np.testing.assert_allclose(from_M.loss, from_S.loss, rtol=1e-10, atol=1e-12 * from_S.bound)
    assert from_M.relative_gap < 1e-9


@pytest.mark.parametrize("moment, message", [
    (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (np.diag([1.0, -1.0]), "positive semidefinite"),
    (np.ones((2, 3)), "square"),
    (np.diag([1.0, np.nan]), "non-finite"),
])
def test_bad_moments_are_refused(moment, message):
    with pytest.raises(ValueError, match=message):
        dl.BrockettProblem.from_moment(moment)


def test_problem_needs_exactly_one_of_S_and_moment():
    with pytest.raises(ValueError, match="exactly one"):
        dl.BrockettProblem()
    with pytest.raises(ValueError, match="exactly one"):
        dl.BrockettProblem(np.ones((2, 3)), moment=np.eye(2))


# ---------------------------------------------------------------- input types

@pytest.mark.parametrize("call", [
    lambda Z: dl.descramble(Z),
    lambda Z: dl.BrockettProblem(Z),
    lambda Z: dl.brockett_bound(np.eye(3), Z),
    lambda Z: dl.brockett_cost(np.eye(3), Z, np.eye(3)),
    lambda Z: dl.descrambler_distance(Z[:, :3], np.eye(3)),
])
def test_complex_input_is_refused(call):
    """Complex data are refused, not truncated to their real part with a warning."""
    Z = np.ones((3, 4)) + 1j
    with pytest.raises(ValueError, match="real"):
        call(Z)


def test_tensors_with_gradients_are_accepted_like_arrays():
    """A tensor that requires grad gives the same result as its values."""
    S = torch.randn(5, 12, dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal(dl.descramble(S).P, dl.descramble(S.detach().numpy()).P)


@pytest.mark.parametrize("options, name", [
    (dict(method="cayley", tol=None), "tol"), (dict(method="cayley", tol="abc"), "tol"),
    (dict(method="cayley", tol=-1.0), "tol"), (dict(method="cayley", grad_tol=np.nan), "grad_tol"),
    (dict(method="cayley", max_iter=2.5), "max_iter"),
    (dict(method="cayley", precondition="yes"), "precondition"),
    (dict(method="eig", rescale=True), "rescale"), (dict(method="eig", tol=1e-3), "tol"),
    (dict(method="cayley", tolerance=1e-3), "tolerance"),
    (dict(loss=dl.smoothness_loss(2), precondition=True), "precondition"),
    (dict(loss=dl.smoothness_loss(2), rescale=True), "rescale"),
])
def test_bad_or_inapplicable_options_name_themselves(options, name):
    with pytest.raises(ValueError, match=name):
        dl.descramble(np.random.default_rng(0).standard_normal((4, 9)), **options)


def test_random_orthogonal_takes_the_rng_convention():
    np.testing.assert_array_equal(dl.random_orthogonal(3, 0), dl.random_orthogonal(3, 0))
    np.testing.assert_array_equal(dl.random_orthogonal(3, 5),
                                  dl.random_orthogonal(3, np.random.default_rng(5)))
    for bad in (-1, 1.5, True, "x"):
        with pytest.raises(ValueError, match="rng"):
            dl.random_orthogonal(3, bad)


def test_fix_determinant_refuses_non_square():
    with pytest.raises(ValueError, match="square"):
        dl.fix_determinant(np.ones((2, 3)))


def test_descramble_permutation_refuses_a_negative_seed():
    with pytest.raises(ValueError, match="rng"):
        dl.descramble_permutation(np.ones((4, 5)), rng=-1)


# ---------------------------------------------------------------- layers of torch models

def test_inplace_activation_after_the_layer_does_not_change_the_preactivations():
    """float64 model with nn.ReLU(inplace=True): the hook records W x + b, not relu(W x + b)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(inplace=True), nn.Linear(5, 2)).double()
    X = torch.randn(40, 6, dtype=torch.float64)
    _, S = dl.layer_preactivations(model, "0", X)
    expected = (X @ model[0].weight.T + model[0].bias).detach().numpy().T
    np.testing.assert_allclose(S, expected, rtol=1e-12, atol=1e-12)
    assert np.any(S < 0)


def test_a_layer_called_twice_per_forward_is_refused():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Linear(3, 3)

        def forward(self, x):
            return self.shared(torch.tanh(self.shared(x)))

    with pytest.raises(ValueError, match="called 2 times"):
        dl.descramble_layer(Twice(), "shared", torch.randn(10, 3))
