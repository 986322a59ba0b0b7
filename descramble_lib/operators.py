"""Differentiation matrices and the Fourier basis that diagonalises them.

The smoothness criterion of descrambling measures ``||D P S||_F^2`` with ``D`` the
periodic Fourier spectral second-derivative matrix on ``d`` equispaced points
(Weideman and Reddy's ``fourdif(d, 2)``). ``D`` is circulant and symmetric, so
``A = D^T D = D^2`` is diagonalised by real Fourier modes with eigenvalues ``k^4``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._validation import check_positive_int

__all__ = ["first_derivative_matrix", "second_derivative_matrix", "smoothness_operator",
           "fourier_wavenumbers", "smoothness_eigenvalues", "fourier_pair_rotation",
           "fourier_basis"]


def first_derivative_matrix(d: int) -> np.ndarray:
    """Periodic Fourier spectral first-derivative matrix on ``d`` points (``fourdif(d, 1)``).

    Parameters
    ----------
    d : int
        Number of grid points on ``[0, 2 pi)``, odd or even.

    Returns
    -------
    D1 : ndarray, shape (d, d)
        Antisymmetric circulant matrix with, for ``k = 1, ..., d - 1`` and
        ``h = 2 pi / d``, entries ``D1[j + k, j] = (-1)^k / (2 tan(k h / 2))``
        (even ``d``) or ``(-1)^k / (2 sin(k h / 2))`` (odd ``d``), zero diagonal.

    Notes
    -----
    On the Fourier modes its eigenvalues are ``i k`` for ``|k| < d / 2``. For even
    ``d`` the alternating (Nyquist) mode ``(-1)^j`` is mapped to zero, because
    its derivative is not representable on the grid; so ``D1^T D1`` has
    eigenvalues ``k^2`` except a second zero for that mode.
    """
    d = check_positive_int(d, "d")
    if d == 1:
        return np.zeros((1, 1))
    offsets = np.arange(1, d)
    half_angle = offsets * np.pi / d
    column = np.zeros(d)
    if d % 2 == 0:
        column[1:] = 0.5 * (-1.0) ** offsets / np.tan(half_angle)
    else:
        column[1:] = 0.5 * (-1.0) ** offsets / np.sin(half_angle)
    return scipy.linalg.toeplitz(column, -column)


def second_derivative_matrix(d: int) -> np.ndarray:
    """Periodic Fourier spectral second-derivative matrix on ``d`` points.

    Parameters
    ----------
    d : int
        Number of grid points, ``d >= 1``. The grid is ``x_j = 2 pi j / d`` on
        ``[0, 2 pi)``; odd and even ``d`` are both supported.

    Returns
    -------
    D : ndarray, shape (d, d)
        Symmetric circulant matrix; ``D @ f`` approximates ``f''`` at the grid
        points for a ``2 pi``-periodic ``f`` sampled there.

    Notes
    -----
    Closed form of Weideman and Reddy (2000), with ``h = 2 pi / d`` and
    ``k = 1, ..., d - 1`` the offset from the diagonal:

    * even ``d``: diagonal ``-pi^2 / (3 h^2) - 1/6``, off-diagonal
      ``-(-1)^k / (2 sin^2(k h / 2))``;
    * odd ``d``: diagonal ``-pi^2 / (3 h^2) + 1/12``, off-diagonal
      ``-(-1)^k / (2 sin(k h / 2) tan(k h / 2))``.

    Its eigenvalues are ``-k^2`` for the wavenumbers of
    :func:`fourier_wavenumbers`, so ``D^T D`` has eigenvalues ``k^4``.
    """
    d = check_positive_int(d, "d")
    if d == 1:
        return np.zeros((1, 1))
    h = 2 * np.pi / d
    offsets = np.arange(1, d)
    signs = (-1.0) ** offsets
    half_angle = offsets * h / 2
    column = np.empty(d)
    if d % 2 == 0:
        column[0] = -np.pi**2 / (3 * h**2) - 1 / 6
        column[1:] = -signs / (2 * np.sin(half_angle) ** 2)
    else:
        column[0] = -np.pi**2 / (3 * h**2) + 1 / 12
        column[1:] = -signs / (2 * np.sin(half_angle) * np.tan(half_angle))
    return scipy.linalg.toeplitz(column)


def smoothness_operator(d: int) -> np.ndarray:
    """The matrix ``A = D^T D`` of the smoothness criterion, shape ``(d, d)``.

    Parameters
    ----------
    d : int
        Number of grid points, ``d >= 1`` (see :func:`second_derivative_matrix`).

    Returns
    -------
    A : ndarray, shape (d, d)
        Symmetric positive semi-definite matrix; ``f @ A @ f = ||D f||^2`` is the
        squared norm of the spectral second derivative of ``f`` on the grid
        ``x_j = 2 pi j / d``.
    """
    D = second_derivative_matrix(d)
    return D.T @ D


def fourier_wavenumbers(d: int) -> np.ndarray:
    """Wavenumbers ``k`` of the real Fourier modes, in the order of :func:`fourier_basis`.

    Parameters
    ----------
    d : int
        Number of grid points, ``d >= 1``.

    Returns
    -------
    k : ndarray of int, shape (d,)
        ``[0, 1, 1, 2, 2, ...]``; for even ``d`` the last entry is the unpaired
        Nyquist wavenumber ``d / 2``. The eigenvalues of ``D^T D`` are ``k**4``.
    """
    d = check_positive_int(d, "d")
    index = np.arange(d)
    return (index + 1) // 2


def smoothness_eigenvalues(d: int) -> np.ndarray:
    """Eigenvalues ``k^4`` of ``D^T D`` in the ascending order of :func:`fourier_basis`.

    Parameters
    ----------
    d : int
        Number of grid points, ``d >= 1``.

    Returns
    -------
    ndarray of float, shape (d,)
        ``fourier_wavenumbers(d) ** 4``, ascending (ties within each cos/sin pair).
    """
    return fourier_wavenumbers(d).astype(float) ** 4


def fourier_pair_rotation(d: int, k: int, angle: float) -> np.ndarray:
    """Rotation by ``angle`` (radians) inside the cos/sin pair of wavenumber ``k``.

    Written in the coordinates of :func:`fourier_basis`: the identity except the
    2 x 2 block on columns ``2k - 1`` (cosine) and ``2k`` (sine). ``T R T^T`` is the
    same rotation in grid coordinates; it commutes with ``D^T D``, which is why
    descramblers are unique only up to such rotations.

    Parameters
    ----------
    d : int
        Size of the basis.
    k : int
        Wavenumber with a cos/sin pair: ``1 <= k`` and ``2k < d``.
    angle : float
        Rotation angle in radians.

    Returns
    -------
    R : ndarray, shape (d, d)
    """
    d = check_positive_int(d, "d")
    k = check_positive_int(k, "k")
    if 2 * k >= d:
        raise ValueError(f"wavenumber k = {k} has no cos/sin pair on d = {d} points (need 2k < d)")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be finite, got {angle!r}")
    R = np.eye(d)
    pair = [2 * k - 1, 2 * k]
    R[np.ix_(pair, pair)] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    return R


def fourier_basis(d: int) -> np.ndarray:
    """Orthonormal real Fourier modes ordered by rising frequency.

    Parameters
    ----------
    d : int
        Number of grid points.

    Returns
    -------
    T : ndarray, shape (d, d)
        Column 0 is the constant mode; columns ``2k - 1`` and ``2k`` are
        ``cos(k x)`` and ``sin(k x)`` (normalised) on ``x_j = 2 pi j / d``; for
        even ``d`` the last column is the Nyquist mode ``cos(pi j)``. ``T`` is an
        eigenvector matrix of :func:`smoothness_operator` with eigenvalues
        ``fourier_wavenumbers(d) ** 4`` in ascending order.
    """
    d = check_positive_int(d, "d")
    x = 2 * np.pi * np.arange(d) / d
    T = np.empty((d, d))
    T[:, 0] = 1 / np.sqrt(d)
    for column in range(1, d):
        k = (column + 1) // 2
        if 2 * k == d:
            T[:, column] = np.cos(k * x) / np.sqrt(d)
        elif column % 2 == 1:
            T[:, column] = np.cos(k * x) * np.sqrt(2 / d)
        else:
            T[:, column] = np.sin(k * x) * np.sqrt(2 / d)
    return T
