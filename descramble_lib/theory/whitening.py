"""Isotropic (whitened) input data.

Theorem 2 and the linear-network theory assume inputs whose uncentred second
moment is a multiple of the identity, ``X X^T = c I``. This module builds such
data exactly and whitens given data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from .._random import as_generator
from .._validation import as_finite_matrix, check_bool, check_positive_int, check_real

__all__ = ["isotropic_inputs", "whiten"]


def isotropic_inputs(m: int, n: int, *, c: float = 1.0, centred: bool = False,
                     rng: None | int | np.random.Generator) -> np.ndarray:
    """Random inputs with ``X X^T = c I`` exactly (up to rounding).

    Parameters
    ----------
    m : int
        Input dimension.
    n : int
        Number of samples, ``n >= m`` (``n >= m + 1`` when ``centred``).
    c : float
        The positive constant of ``X X^T = c I``.
    centred : bool
        Also make every input coordinate average to zero over the samples,
        ``X 1 = 0``, so that ``X X^T`` is ``n`` times the covariance as well as
        the uncentred second moment.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    X : ndarray, shape (m, n)
        ``sqrt(c)`` times ``m`` orthonormal rows of a Haar-random ``n x n``
        orthogonal matrix (orthogonal to the all-ones vector when ``centred``);
        no bias row.

    Raises
    ------
    ValueError
        If ``m`` or ``n`` is not a positive integer, there are too few samples,
        ``c`` is not finite and positive, or ``centred`` is not a bool.
    """
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    centred = check_bool(centred, "centred")
    if n < m + centred:
        needed = "n >= m + 1 samples for centred inputs" if centred else "n >= m samples"
        raise ValueError(f"isotropic inputs need {needed}, got n = {n}, m = {m}")
    c = check_real(c, "c", positive=True)
    columns = as_generator(rng).standard_normal((n, m))
    if centred:
        columns = np.column_stack([np.ones(n), columns])
    Q, R = np.linalg.qr(columns)
    Q = (Q * np.sign(np.diag(R)))[:, int(centred):]
    return np.sqrt(c) * Q.T


def whiten(X: ArrayLike, *, rcond: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """ZCA-whiten data so that its uncentred second moment is the identity.

    Parameters
    ----------
    X : array_like, shape (m, n)
        Data, one sample per column, ``n >= m``.
    rcond : float
        Raise if the smallest eigenvalue of ``X X^T / n`` is below ``rcond``
        times the largest (the data do not span ``R^m``).

    Returns
    -------
    X_white : ndarray, shape (m, n)
        ``Z X`` with ``X_white X_white^T / n = I``.
    Z : ndarray, shape (m, m)
        The symmetric whitening matrix ``(X X^T / n)^{-1/2}``. A layer ``W``
        acting on whitened inputs acts on raw inputs as ``W Z``.
    """
    X = as_finite_matrix(X, "X")
    m, n = X.shape
    if n < m:
        raise ValueError(f"whitening needs n >= m samples, got n = {n} < m = {m}")
    moment = X @ X.T / n
    eigenvalues, vectors = scipy.linalg.eigh(moment)
    if eigenvalues[0] <= rcond * eigenvalues[-1]:
        raise ValueError(
            f"X X^T / n is singular to rcond = {rcond:g} (eigenvalues {eigenvalues[0]:.3e} "
            f"... {eigenvalues[-1]:.3e}); the data cannot be whitened")
    Z = (vectors / np.sqrt(eigenvalues)) @ vectors.T
    return Z @ X, Z
