"""Tests of circulant matrices of circular convolutions and of their Fourier descramblers."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import descramble_lib as dl


@st.composite
def filters(draw, min_d=3, max_d=24):
    """Random odd-length taps and a signal length d >= number of taps."""
    d = draw(st.integers(min_d, max_d))
    half = draw(st.integers(0, (d - 1) // 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(2 * half + 1), d


def torch_layer(taps):
    """Circular Conv1d with the given taps (float64, no bias)."""
    layer = torch.nn.Conv1d(1, 1, len(taps), padding=len(taps) // 2, padding_mode="circular",
                            bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(taps)[None, None])
    return layer


@given(filters())
def test_circulant_matrix_is_the_torch_layer(case):
    """circulant_matrix(taps, d) equals the matrix of torch's circular Conv1d, and is circulant."""
    taps, d = case
    C = dl.theory.circulant_matrix(taps, d)
    np.testing.assert_allclose(dl.theory.conv1d_matrix(torch_layer(taps), d), C, atol=1e-13)
    assert dl.theory.is_circulant(C)


def test_conv1d_matrix_removes_the_bias(rng):
    """A bias shifts every output equally and is not part of the matrix."""
    taps = rng.standard_normal(3)
    layer = torch.nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(taps)[None, None])
    np.testing.assert_allclose(dl.theory.conv1d_matrix(layer, 7), dl.theory.circulant_matrix(taps, 7), atol=1e-13)


@given(filters())
def test_gains_are_dft_moduli_and_eigenvalues(case):
    """g_i = |DFT of the first column| at wavenumber k_i, and C C^T t_i = g_i^2 t_i."""
    taps, d = case
    C = dl.theory.circulant_matrix(taps, d)
    gains = dl.theory.real_fourier_gains(C)
    T = dl.fourier_basis(d)
    scale = max(1.0, np.abs(taps).sum() ** 2)
    np.testing.assert_allclose(gains, np.abs(np.fft.fft(C[:, 0]))[dl.fourier_wavenumbers(d)],
                               atol=1e-12 * scale)
    np.testing.assert_allclose(C @ C.T @ T, T * gains**2, atol=1e-12 * scale)


@given(filters(), st.integers(0, 2**32 - 1))
def test_fourier_permutation_descrambler_is_optimal_permutation(case, seed):
    """With isotropic inputs P_pi attains the Brockett bound and T^T P_pi T is a permutation."""
    taps, d = case
    C = dl.theory.circulant_matrix(taps, d)
    P = dl.theory.fourier_permutation_descrambler(dl.theory.real_fourier_gains(C))
    Q = dl.fourier_basis(d).T @ P @ dl.fourier_basis(d)
    np.testing.assert_allclose(np.sort(np.abs(Q), axis=1)[:, -1], 1, atol=1e-12)
    np.testing.assert_allclose(np.abs(Q).sum(axis=0), 1, atol=1e-10)
    S = C @ dl.theory.isotropic_inputs(d, 2 * d, rng=np.random.default_rng(seed))
    A = dl.smoothness_operator(d)
    bound = dl.brockett_bound(A, S)
    floor = 1e-10 * np.linalg.norm(A, 2) * np.linalg.norm(S) ** 2
    assert abs(dl.brockett_cost(A, S, P) - bound) <= 1e-9 * bound + floor


def test_low_pass_descrambler_is_identity():
    """For gains decreasing with frequency (binomial filter) P_pi = I and the solver agrees."""
    d = 16
    C = dl.theory.circulant_matrix(np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16, d)
    gains = dl.theory.real_fourier_gains(C)
    np.testing.assert_array_equal(dl.theory.gain_order(gains), np.arange(d))
    np.testing.assert_allclose(dl.theory.fourier_permutation_descrambler(gains), np.eye(d), atol=1e-12)
    assert dl.descrambler_distance(dl.descramble(C).P, np.eye(d)) < 1e-6


def test_gain_order_keeps_pairs_in_frequency_order():
    """Ties up to rounding keep frequency order; larger gains come first."""
    assert list(dl.theory.gain_order([0.5, 2.0, 2.0 * (1 + 1e-14), 1.0, 1.0])) == [1, 2, 3, 4, 0]


@pytest.mark.parametrize("taps, d", [(np.ones(2), 5), (np.ones(7), 5), (np.array([1.0, np.nan, 1.0]), 5)])
def test_circulant_matrix_rejects_bad_taps(taps, d):
    """Even-length, too long, or non-finite taps raise ValueError."""
    with pytest.raises(ValueError):
        dl.theory.circulant_matrix(taps, d)


def test_circulant_helpers_reject_bad_input(rng):
    """Non-circulant matrices, negative gains and multi-channel layers raise ValueError."""
    with pytest.raises(ValueError, match="circulant"):
        dl.theory.real_fourier_gains(rng.standard_normal((4, 4)))
    with pytest.raises(ValueError, match="gains"):
        dl.theory.gain_order([1.0, -1.0])
    with pytest.raises(ValueError, match="one input"):
        dl.theory.conv1d_matrix(torch.nn.Conv1d(2, 1, 3, padding=1), 5)
    with pytest.raises(ValueError, match="length"):
        dl.theory.conv1d_matrix(torch.nn.Conv1d(1, 1, 3, padding=0, dtype=torch.float64), 5)
