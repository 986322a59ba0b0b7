"""Tests of the row-wise weight summaries."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl


def test_participation_limits():
    """Equal weights count every input; a single weight counts one."""
    M = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0]])
    np.testing.assert_allclose(dl.applied.participation_number(M), [4.0, 1.0])


def test_top_entry_share_and_column_share():
    """Shares of squared norm on the largest entries and on selected columns."""
    M = np.array([[3.0, 1.0], [1.0, 1.0]])
    assert dl.applied.top_entry_share(M, 0.25) == pytest.approx(9 / 12)
    np.testing.assert_allclose(dl.applied.column_share(M, np.array([True, False])), [0.9, 0.5])


@given(st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_matched_cosines_see_through_signed_permutations(d, seed):
    """A signed permutation of P matches perfectly; an unrelated rotation does not."""
    rng = np.random.default_rng(seed)
    P = dl.random_orthogonal(d, rng)
    signed_permutation = np.eye(d)[rng.permutation(d)] * rng.choice([-1.0, 1.0], size=d)
    np.testing.assert_allclose(dl.applied.matched_row_cosines(P, signed_permutation @ P), 1.0, atol=1e-12)
    assert dl.applied.matched_row_cosines(P, dl.random_orthogonal(d, rng)).min() < 1 - 1e-6


@pytest.mark.parametrize("call, message", [
    (lambda: dl.applied.participation_number(np.zeros((2, 3))), "all-zero row"),
    (lambda: dl.applied.top_entry_share(np.ones((2, 2)), 0.0), "fraction"),
    (lambda: dl.applied.column_share(np.ones((2, 3)), np.array([1, 0, 1])), "boolean mask"),
    (lambda: dl.applied.matched_row_cosines(np.eye(2), np.eye(3)), "same shape"),
])
def test_bad_input_raises(call, message):
    """Malformed input raises ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        call()


def test_neuron_axis_spectrum_shares(rng):
    """Shares sum to 1; a Fourier row pattern puts all its energy at its wavenumber."""
    for d in (7, 8):
        k, share = dl.applied.neuron_axis_spectrum(rng.standard_normal((d, 5)))
        np.testing.assert_allclose(share.sum(), 1.0, rtol=1e-12)
        assert k.tolist() == list(range(d // 2 + 1))
        T, wavenumbers = dl.fourier_basis(d), dl.fourier_wavenumbers(d)
        for column in range(d):
            pattern = np.outer(T[:, column], rng.standard_normal(4))
            _, share = dl.applied.neuron_axis_spectrum(pattern)
            np.testing.assert_allclose(share[wavenumbers[column]], 1.0, rtol=1e-10)
    with pytest.raises(ValueError, match="zero"):
        dl.applied.neuron_axis_spectrum(np.zeros((4, 3)))
