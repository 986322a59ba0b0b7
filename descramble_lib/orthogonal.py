"""The orthogonal group O(d): Cayley transform, curvilinear steps, checks.

Descramblers live on ``O(d) = {P : P^T P = I}``. The Cayley transform maps a
skew-symmetric ``Q`` to ``(I + Q)^{-1} (I - Q)`` in ``SO(d)``; Wen and Yin's
curvilinear search moves along ``tau -> cay(tau/2 W) P`` for a skew ``W``,
which stays on the group without a projection.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._random import as_generator
from ._validation import as_finite_matrix, check_positive_int

__all__ = ["cayley", "cayley_curve", "orthogonality_error", "reorthonormalise",
           "fix_determinant", "random_orthogonal"]


def cayley(Q: np.ndarray) -> np.ndarray:
    """Cayley transform ``(I + Q)^{-1} (I - Q)`` of a skew-symmetric matrix.

    Parameters
    ----------
    Q : ndarray, shape (d, d)
        Skew-symmetric (``Q^T = -Q``) to relative tolerance 1e-10.

    Returns
    -------
    P : ndarray, shape (d, d)
        A rotation: ``P^T P = I`` and ``det P = 1``. Rotations with eigenvalue
        ``-1`` are not in the image, and neither is any ``P`` with ``det P = -1``.
    """
    Q = as_finite_matrix(Q, "Q")
    if Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be square, got shape {Q.shape}")
    skewness = np.max(np.abs(Q + Q.T))
    if skewness > 1e-10 * max(np.max(np.abs(Q)), 1.0):
        raise ValueError(f"Q must be skew-symmetric: max |Q + Q^T| = {skewness:.3e}")
    identity = np.eye(Q.shape[0])
    return scipy.linalg.solve(identity + Q, identity - Q)


def cayley_curve(P: np.ndarray, W: np.ndarray, tau: float) -> np.ndarray:
    """Point ``(I + tau/2 W)^{-1} (I - tau/2 W) P`` of Wen and Yin's curve.

    ``P`` is orthogonal, ``W`` skew-symmetric, both ``(d, d)``; ``tau`` is the
    step length. The curve passes through ``P`` at ``tau = 0`` with velocity
    ``-W P``. No input checks: this is the inner loop of the solver.

    Parameters
    ----------
    P : ndarray, shape (d, d)
        Orthogonal starting point.
    W : ndarray, shape (d, d)
        Skew-symmetric direction.
    tau : float
        Step length along the curve (dimensionless).

    Returns
    -------
    ndarray, shape (d, d)
        The point of the curve at ``tau``; orthogonal up to round-off.
    """
    half_step = 0.5 * tau * W
    identity = np.eye(P.shape[0])
    return np.linalg.solve(identity + half_step, (identity - half_step) @ P)


def orthogonality_error(P: np.ndarray) -> float:
    """Spectral-free measure ``max |P^T P - I|`` (largest entry) of a square matrix.

    Parameters
    ----------
    P : array_like, shape (n, d)
        Matrix to test; must be finite.

    Returns
    -------
    float
        Largest absolute entry of ``P^T P - I`` (0 for an exactly orthogonal ``P``).
    """
    P = as_finite_matrix(P, "P")
    return float(np.max(np.abs(P.T @ P - np.eye(P.shape[1]))))


def reorthonormalise(P: np.ndarray) -> np.ndarray:
    """One Newton–Schulz step ``P (3 I - P^T P) / 2`` towards the nearest orthogonal matrix.

    For ``||P^T P - I|| = e`` the error after the step is ``O(e^2)``; used by the
    solver to stop rounding drift of long Cayley iterations.

    Parameters
    ----------
    P : ndarray, shape (m, d)
        Nearly orthonormal columns (``P^T P`` close to ``I``), finite.

    Returns
    -------
    ndarray, shape (m, d)
        The corrected matrix; ``P`` itself is not modified.

    Raises
    ------
    ValueError
        ``P`` not 2-D, empty or not finite.
    """
    P = as_finite_matrix(P, "P")
    gram = P.T @ P
    return P @ (1.5 * np.eye(P.shape[1]) - 0.5 * gram)


def fix_determinant(P: np.ndarray) -> np.ndarray:
    """Return ``P`` with its last column negated when ``det P < 0``, so ``det = +1``.

    A copy is returned; the input is not modified.

    Parameters
    ----------
    P : array_like, shape (d, d)
        Finite square matrix, typically orthogonal.

    Returns
    -------
    ndarray, shape (d, d)
        Copy of ``P``, with the last column negated if ``det P < 0``.
    """
    P = np.array(as_finite_matrix(P, "P"), copy=True)
    if P.shape[0] != P.shape[1]:
        raise ValueError(f"P must be square, got shape {P.shape}")
    if np.linalg.det(P) < 0:
        P[:, -1] *= -1
    return P


def random_orthogonal(d: int, rng: None | int | np.random.Generator = None) -> np.ndarray:
    """Haar-distributed random orthogonal matrix, shape ``(d, d)``.

    Uses the QR decomposition of a Gaussian matrix with the signs of ``R``'s
    diagonal moved into ``Q`` (Mezzadri 2007).

    Parameters
    ----------
    d : int
        Dimension, ``d >= 1``.
    rng : None, int or numpy.random.Generator
        Source of randomness (an int seeds a new generator); global state is not touched.

    Returns
    -------
    ndarray, shape (d, d)
        Orthogonal matrix drawn from the Haar measure (``det`` is ``+1`` or ``-1``).
    """
    d = check_positive_int(d, "d")
    gaussian = as_generator(rng).standard_normal((d, d))
    Q, R = np.linalg.qr(gaussian)
    return Q * np.sign(np.diag(R))
