"""Tests of descrambling over the permutation group (quadratic assignment)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import descramble_lib as dl
from strategies import data_matrices


@settings(max_examples=25)
@given(data_matrices(min_d=3, max_d=12), st.integers(0, 2**16))
def test_permutation_loss_never_below_the_brockett_bound(S, seed):
    """Permutations are orthogonal, so the QAP loss is at least the orthogonal optimum."""
    result = dl.descramble_permutation(S, rng=seed, n_random=1)
    A = dl.smoothness_operator(S.shape[0])
    floor = 1e-12 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2
    assert result.loss >= result.bound - 1e-12 * abs(result.bound) - floor
    assert result.bound == pytest.approx(dl.brockett_bound(A, S), rel=1e-10, abs=floor)


@given(data_matrices(min_d=2, max_d=10), st.integers(0, 2**16))
def test_result_is_a_permutation_no_worse_than_the_given_order(S, seed):
    """P is a permutation matrix matching `permutation`, its loss is exact, and <= the identity's."""
    d = S.shape[0]
    result = dl.descramble_permutation(S, rng=seed, n_random=0, refine=False)
    np.testing.assert_array_equal(np.sort(result.permutation), np.arange(d))
    np.testing.assert_array_equal(result.P, np.eye(d)[result.permutation])
    A = dl.smoothness_operator(d)
    scale = 1e-10 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2
    assert result.loss == pytest.approx(dl.brockett_cost(A, S, result.P), rel=1e-10, abs=scale)
    assert result.loss <= dl.brockett_cost(A, S, np.eye(d)) + scale


def test_shuffled_low_pass_layer_is_restored(rng):
    """For a shuffled binomial-filter layer the search reaches the bound: the order is restored."""
    d = 20
    C = dl.theory.circulant_matrix(np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16, d)
    shuffle = rng.permutation(d)
    result = dl.descramble_permutation(C[shuffle], rng=0)
    assert result.loss == pytest.approx(result.bound, rel=1e-8)
    restored = shuffle[result.permutation]
    steps = np.unique(np.diff(np.append(restored, restored[0])) % d)
    assert len(steps) == 1 and steps[0] in (1, d - 1)


def test_extra_start_is_used_and_never_made_worse(rng):
    """A given start order is reported, and its result is no worse than the order itself."""
    S = rng.standard_normal((7, 15))
    order = rng.permutation(7)
    result = dl.descramble_permutation(S, rng=0, n_random=0, starts={"mine": order})
    assert list(result.start_losses) == ["identity", "spectral", "mine"]
    A = dl.smoothness_operator(7)
    assert result.start_losses["mine"] <= dl.brockett_cost(A, S, np.eye(7)[order]) * (1 + 1e-12)
    assert result.loss == min(result.start_losses.values())


@pytest.mark.parametrize("starts", [{"bad": [0, 1, 1, 2]}, {"short": [0, 1, 2]}, {"float": [0.0, 1.0, 2.0, 3.0]},
                                    {"spectral": [0, 1, 2, 3]}, [[0, 1, 2, 3]]])
def test_descramble_permutation_rejects_bad_starts(starts, rng):
    """Starts that are not permutations, or that reuse a built-in name, raise ValueError."""
    with pytest.raises(ValueError):
        dl.descramble_permutation(rng.standard_normal((4, 6)), rng=0, starts=starts)


def test_spectral_order_is_a_permutation(rng):
    """The spectral rounding returns each neuron once, for the default and a custom A."""
    S = rng.standard_normal((9, 20))
    for A in (None, np.diag(np.arange(9.0))):
        np.testing.assert_array_equal(np.sort(dl.permutations.spectral_order(S, A)), np.arange(9))


@pytest.mark.parametrize("kwargs", [dict(rng=1.5), dict(rng=True), dict(rng=0, n_random=-1),
                                    dict(rng=0, refine="yes"), dict(rng=0, maxiter=0)])
def test_descramble_permutation_rejects_bad_options(kwargs, rng):
    """Non-integer or bool rng, negative n_random, non-bool refine and maxiter = 0 raise ValueError."""
    with pytest.raises(ValueError):
        dl.descramble_permutation(rng.standard_normal((4, 6)), **kwargs)


def test_descramble_permutation_rejects_bad_data():
    """NaN data and a mis-sized A raise ValueError."""
    with pytest.raises(ValueError):
        dl.descramble_permutation(np.full((3, 4), np.nan), rng=0)
    with pytest.raises(ValueError):
        dl.descramble_permutation(np.ones((3, 4)), np.eye(4), rng=0)
