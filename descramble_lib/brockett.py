"""The Brockett cost ``tr(A P M P^T)`` and its exact minimum over O(d).

Descrambling with the smoothness criterion minimises
``eta(P) = ||D P S||_F^2 = tr(A P M P^T)`` with ``A = D^T D`` and
``M = S S^T``. Lemma 1: with ``A = T Omega T^T`` (ascending) and
``S = U Sigma V^T`` (descending), the minimum is ``sum_i omega_i sigma_i^2``,
attained at ``P = T U^T``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from ._validation import as_finite_matrix, as_symmetric_matrix

__all__ = ["brockett_cost", "singular_values_padded", "brockett_bound"]


def brockett_cost(A: ArrayLike, S: ArrayLike, P: ArrayLike) -> float:
    """Descrambling loss ``tr(A P S S^T P^T)``.

    Parameters
    ----------
    A : ndarray, shape (d, d)
        Symmetric cost matrix (``D^T D`` for the smoothness criterion).
    S : ndarray, shape (d, n)
        Preactivation data, one column per sample.
    P : ndarray, shape (d, d)
        Candidate descrambler.

    Returns
    -------
    float
        The loss; equals ``||D P S||_F^2`` when ``A = D^T D``.
    """
    S = as_finite_matrix(S, "S")
    d = S.shape[0]
    A = as_symmetric_matrix(A, "A", size=d)
    P = as_finite_matrix(P, "P")
    if P.shape != (d, d):
        raise ValueError(f"P must have shape ({d}, {d}), got {P.shape}")
    PS = P @ S
    return float(np.sum(PS * (A @ PS)))


def singular_values_padded(S: ArrayLike) -> np.ndarray:
    """Singular values of ``S``, descending, zero-padded to length ``d``.

    Parameters
    ----------
    S : array_like, shape (d, n)
        Finite data matrix; ``n < d`` is allowed.

    Returns
    -------
    sigma : ndarray, shape (d,)
        ``sigma[0] >= sigma[1] >= ... >= 0``.
    """
    S = as_finite_matrix(S, "S")
    sigma = scipy.linalg.svdvals(S)
    return np.concatenate([sigma, np.zeros(S.shape[0] - sigma.size)])


def brockett_bound(A: ArrayLike, S: ArrayLike) -> float:
    """Exact minimum of ``tr(A P S S^T P^T)`` over the orthogonal group.

    Parameters
    ----------
    A : ndarray, shape (d, d)
        Symmetric matrix.
    S : ndarray, shape (d, n)
        Data; ``n < d`` is allowed (the missing singular values are zero).

    Returns
    -------
    float
        ``sum_i omega_i sigma_i^2`` with ``omega`` the eigenvalues of ``A``
        ascending and ``sigma`` the singular values of ``S`` descending: the
        rearrangement (von Neumann) lower bound, attained by ``T U^T``.
    """
    S = as_finite_matrix(S, "S")
    A = as_symmetric_matrix(A, "A", size=S.shape[0])
    omega = scipy.linalg.eigvalsh(A)
    sigma = singular_values_padded(S)
    return float(np.dot(omega, sigma**2))
