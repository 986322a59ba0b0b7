"""Measures of the closing chapter: tail energies, same-moment data, activation mismatch."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl
from descramble_lib.paper import (activation_mismatch, band_norm_lower_bound, band_relative_norm,
                                  principal_tail_energy, same_moment_preactivations,
                                  singular_tail_energy)

from strategies import data_matrices


def _layer(seed: int, d: int, m: int, n: int):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, m)) * np.exp(-np.arange(m) / 4)
    X = rng.standard_normal((m, n))
    b = rng.standard_normal((d, 1))
    return W, W @ X + b


@given(seed=st.integers(0, 10_000), d=st.integers(2, 20), m=st.integers(1, 30), n=st.integers(1, 40))
def test_tails_run_from_one_to_zero_and_fall(seed, d, m, n):
    """Both tails have d + 1 entries, start at 1, end at 0 and never rise."""
    W, S = _layer(seed, d, m, n)
    for tail in (principal_tail_energy(W, S), singular_tail_energy(W)):
        assert tail.shape == (d + 1,)
        assert tail[0] == pytest.approx(1.0) and tail[-1] == pytest.approx(0.0, abs=1e-12)
        assert np.all(np.diff(tail) <= 1e-12)


@given(seed=st.integers(0, 10_000), d=st.integers(2, 20), m=st.integers(1, 30), n=st.integers(1, 40))
def test_singular_tail_is_below_every_principal_tail(seed, d, m, n):
    """Ky Fan: no k-dimensional subspace holds more of W than its top k singular directions."""
    W, S = _layer(seed, d, m, n)
    assert np.all(singular_tail_energy(W) <= principal_tail_energy(W, S) + 1e-12)


def test_principal_tail_of_the_weights_own_data_is_the_singular_tail(rng):
    """With S = W (inputs the identity, no bias), both tails coincide."""
    W = rng.standard_normal((12, 30))
    np.testing.assert_allclose(principal_tail_energy(W, W), singular_tail_energy(W), atol=1e-12)


@given(seed=st.integers(0, 10_000), half_width=st.integers(1, 10))
def test_tails_at_the_band_are_the_relative_norm_and_its_bound(seed, half_width):
    """Entry 2h - 1: the closed form's relative norm, and band_norm_lower_bound."""
    W, S = _layer(seed, 20, 32, 50)
    P = dl.descramble(S).P
    b = 2 * half_width - 1
    assert principal_tail_energy(W, S)[b] == pytest.approx(
        band_relative_norm(P @ W, half_width=half_width), abs=1e-10)
    assert singular_tail_energy(W)[b] == pytest.approx(band_norm_lower_bound(W, half_width=half_width),
                                                       abs=1e-12)


@given(S=data_matrices(), seed=st.integers(0, 10_000))
def test_same_moment_preactivations_keep_the_moment_and_the_bound(S, seed):
    """S' S'^T = S S^T exactly, so the closed forms reach the same bound."""
    other = same_moment_preactivations(S, rng=seed)
    scale = max(1.0, float(np.max(np.abs(S @ S.T))))
    assert other.shape == S.shape
    np.testing.assert_allclose(other @ other.T, S @ S.T, atol=1e-10 * scale)
    assert dl.descramble(other).bound == pytest.approx(dl.descramble(S).bound, rel=1e-8, abs=1e-10 * scale)


def test_same_moment_preactivations_are_other_samples(rng):
    """The columns change; the descrambler, compared modulo its freedom, does not."""
    S = rng.standard_normal((10, 60)) * np.linspace(3, 0.3, 10)[:, None] + 1.0
    other = same_moment_preactivations(S, rng=1)
    assert np.linalg.norm(other - S) > 0.5 * np.linalg.norm(S)
    assert dl.descrambler_distance(dl.descramble(other).P, dl.descramble(S).P) < 1e-6
    np.testing.assert_array_equal(other, same_moment_preactivations(S, rng=1))   # seeded


@given(seed=st.integers(0, 10_000), d=st.integers(2, 12), activation=st.sampled_from(["tanh", "relu", "sigmoid"]))
def test_permutations_commute_with_every_activation(seed, d, activation):
    """A permutation of the neurons is a symmetry of the layer: mismatch 0."""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((d, 15))
    P = np.eye(d)[rng.permutation(d)]
    assert activation_mismatch(P, S, activation) < 1e-14


@given(seed=st.integers(0, 10_000), d=st.integers(2, 12))
def test_sign_flips_commute_with_tanh_only(seed, d):
    """tanh is odd, so signed permutations commute with it; relu does not allow the flips."""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((d, 15))
    signs = np.ones(d)
    signs[rng.integers(d)] = -1.0
    P = np.diag(signs)[rng.permutation(d)]
    assert activation_mismatch(P, S, "tanh") < 1e-14
    assert activation_mismatch(P, S, "relu") > 1e-3


def test_a_rotation_does_not_commute(rng):
    """A generic orthogonal matrix mixes neurons, and the activation does not follow it."""
    S = rng.standard_normal((8, 200))
    P = dl.random_orthogonal(8, rng)
    for activation in ("tanh", "relu", "sigmoid"):
        assert activation_mismatch(P, S, activation) > 0.05


def test_bad_input_is_refused(rng):
    """Wrong shapes, a zero layer, an unknown activation and NaN raise ValueError."""
    W, S = rng.standard_normal((5, 7)), rng.standard_normal((5, 9))
    with pytest.raises(ValueError, match="same number of rows"):
        principal_tail_energy(W, S[:4])
    with pytest.raises(ValueError, match="zero"):
        singular_tail_energy(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="non-finite"):
        principal_tail_energy(W, np.full((5, 9), np.nan))
    with pytest.raises(ValueError, match="activation"):
        activation_mismatch(np.eye(5), S, "softplus")
    with pytest.raises(ValueError, match="must be 5 x 5"):
        activation_mismatch(np.eye(4), S)
    with pytest.raises(ValueError, match="complex"):
        same_moment_preactivations(S + 1j, rng=0)
