"""Tests of the differentiation matrices and the Fourier basis."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import descramble_lib as dl


@given(st.integers(2, 70))
def test_smoothness_eigenvalues_are_fourth_powers(d):
    """The eigenvalues of D^T D are k^4 for k = 0, 1, 1, 2, 2, ..."""
    eigenvalues = np.linalg.eigvalsh(dl.smoothness_operator(d))
    expected = np.sort(dl.fourier_wavenumbers(d).astype(float) ** 4)
    np.testing.assert_allclose(eigenvalues, expected, rtol=1e-9, atol=1e-9 * expected[-1])


@given(st.integers(1, 70))
def test_fourier_basis_diagonalises(d):
    """T is orthonormal and A T = T diag(k^4)."""
    T = dl.fourier_basis(d)
    omega = dl.fourier_wavenumbers(d).astype(float) ** 4
    np.testing.assert_allclose(T.T @ T, np.eye(d), atol=1e-12)
    A = dl.smoothness_operator(d)
    np.testing.assert_allclose(A @ T, T * omega, atol=1e-9 * max(omega[-1], 1))


@pytest.mark.parametrize("d", [15, 16])
def test_second_derivative_of_trigonometric_polynomial(d):
    """D differentiates cos(3x) + sin(2x) exactly (spectral accuracy)."""
    x = 2 * np.pi * np.arange(d) / d
    f = np.cos(3 * x) + np.sin(2 * x)
    np.testing.assert_allclose(dl.second_derivative_matrix(d) @ f,
                               -9 * np.cos(3 * x) - 4 * np.sin(2 * x), atol=1e-11)


def test_second_derivative_is_symmetric_circulant():
    """D is symmetric and each row is a cyclic shift of the first."""
    D = dl.second_derivative_matrix(9)
    np.testing.assert_allclose(D, D.T, atol=1e-14)
    np.testing.assert_allclose(D[3], np.roll(D[0], 3), atol=1e-14)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "8", True])
def test_bad_size_raises(bad):
    """Non-integer or non-positive sizes raise ValueError."""
    with pytest.raises(ValueError, match="d must be"):
        dl.second_derivative_matrix(bad)


@given(st.integers(2, 40))
def test_first_derivative_spectrum(d):
    """D1^T D1 has eigenvalues k^2, with the Nyquist mode sent to 0 for even d."""
    D1 = dl.first_derivative_matrix(d)
    np.testing.assert_allclose(D1, -D1.T, atol=1e-13)
    k = dl.fourier_wavenumbers(d).astype(float)
    if d % 2 == 0:
        k[-1] = 0.0
    np.testing.assert_allclose(np.linalg.eigvalsh(D1.T @ D1), np.sort(k**2), atol=1e-9 * d**2)


@pytest.mark.parametrize("d", [15, 16])
def test_first_derivative_of_trigonometric_polynomial(d):
    """D1 differentiates cos(3x) + sin(2x) exactly."""
    x = 2 * np.pi * np.arange(d) / d
    np.testing.assert_allclose(dl.first_derivative_matrix(d) @ (np.cos(3 * x) + np.sin(2 * x)),
                               -3 * np.sin(3 * x) + 2 * np.cos(2 * x), atol=1e-12)


@given(st.integers(3, 30), st.floats(-7, 7))
def test_pair_rotation_commutes_with_smoothness(d, angle):
    """T R T^T is orthogonal and commutes with D^T D."""
    T = dl.fourier_basis(d)
    rotation = T @ dl.fourier_pair_rotation(d, 1, angle) @ T.T
    A = dl.smoothness_operator(d)
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(d), atol=1e-12)
    np.testing.assert_allclose(rotation @ A, A @ rotation, atol=1e-9 * np.abs(A).max())


def test_pair_rotation_rejects_unpaired_wavenumber():
    """The Nyquist wavenumber of even d has no pair."""
    with pytest.raises(ValueError, match="no cos/sin pair"):
        dl.fourier_pair_rotation(8, 4, 0.1)
