"""Singular subspaces and how much two of them share (Figure 3): scaled singular vectors,
leading subspaces, overlaps (nested and at one size) and resemblance to the dipolar kernel."""

from __future__ import annotations
import numpy as np
from numpy.typing import ArrayLike
from .._validation import as_finite_matrix, check_positive_int
from .bands import magnitude_correlation

__all__ = ["scaled_singular_vectors", "singular_subspace", "subspace_overlap",
           "nested_subspace_overlaps", "kernel_resemblance"]


def _largest_entry_positive(rows: np.ndarray) -> np.ndarray:
    """Flip each row so that its entry of largest magnitude is positive."""
    largest = rows[np.arange(rows.shape[0]), np.argmax(np.abs(rows), axis=1)]
    return rows * np.where(largest < 0, -1.0, 1.0)[:, None]


def _check_side(side: str) -> str:
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return side


def scaled_singular_vectors(matrix: ArrayLike, *, side: str, k: int | None = None) -> np.ndarray:
    """Singular vectors times their singular values, one per row, signs fixed.

    Parameters
    ----------
    matrix : array_like, shape (p, q)
    side : {"left", "right"}, keyword-only
        ``"left"``: rows ``sigma_i u_i^T`` (length p), i.e. ``(U Sigma)^T``;
        ``"right"``: rows ``sigma_i v_i^T`` (length q), i.e. ``Sigma V^T``.
    k : int, keyword-only, optional
        Keep the ``k`` largest (default all ``min(p, q)``).

    Returns
    -------
    ndarray, shape (k, p) or (k, q)
        Row ``i`` for the ``i``-th largest singular value. Singular vectors are defined
        up to sign; each row is flipped so that its entry of largest magnitude is
        positive, which makes Fourier images along the row index reproducible.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    _check_side(side)
    U, sigma, Vt = np.linalg.svd(matrix, full_matrices=False)
    k = sigma.size if k is None else check_positive_int(k, "k")
    if k > sigma.size:
        raise ValueError(f"k must be at most min{matrix.shape} = {sigma.size}, got {k}")
    vectors = U[:, :k].T if side == "left" else Vt[:k]
    return _largest_entry_positive(sigma[:k, None] * vectors)


def singular_subspace(matrix: ArrayLike, k: int, *, side: str) -> np.ndarray:
    """Orthonormal basis of the span of the ``k`` leading left or right singular vectors.

    Parameters
    ----------
    matrix : array_like, shape (p, q)
    k : int
        1 <= k <= min(p, q).
    side : {"left", "right"}, keyword-only
        ``"left"``: a subspace of R^p (the column space side); ``"right"``: of R^q.

    Returns
    -------
    ndarray, shape (p, k) or (q, k)
        Orthonormal columns.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    _check_side(side)
    k = check_positive_int(k, "k")
    if k > min(matrix.shape):
        raise ValueError(f"k must be at most min{matrix.shape} = {min(matrix.shape)}, got {k}")
    U, _, Vt = np.linalg.svd(matrix, full_matrices=False)
    return U[:, :k] if side == "left" else Vt[:k].T


def subspace_overlap(A: ArrayLike, B: ArrayLike) -> float:
    """Share of the span of ``A`` that lies inside the span of ``B``.

    Parameters
    ----------
    A : array_like, shape (n, k)
        Linearly independent columns (orthonormalised here).
    B : array_like, shape (n, l), l >= k
        Linearly independent columns (orthonormalised here).

    Returns
    -------
    float
        ``||Q_A^T Q_B||_F^2 / k`` = the mean of ``cos^2`` of the ``k`` principal angles,
        in [0, 1]: 1 when ``span A`` is inside ``span B``, 0 when they are orthogonal.
        For a uniformly random ``k``-dimensional ``span A`` its expectation is ``l / n``.
    """
    A = as_finite_matrix(A, "A")
    B = as_finite_matrix(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must have the same number of rows, got {A.shape} and {B.shape}")
    if A.shape[1] > B.shape[1]:
        raise ValueError(f"A must not have more columns than B, got {A.shape} and {B.shape}")
    Q_A, Q_B = np.linalg.qr(A)[0], np.linalg.qr(B)[0]
    return float(np.sum((Q_A.T @ Q_B) ** 2)) / A.shape[1]


def nested_subspace_overlaps(A: ArrayLike, B: ArrayLike) -> np.ndarray:
    """:func:`subspace_overlap` of ``A[:, :k]`` with ``B[:, :k]`` for every ``k`` at once.

    Parameters
    ----------
    A, B : array_like, shape (n, K)
        Orthonormal columns (to 1e-8), in order of importance, e.g. leading singular
        vectors from :func:`singular_subspace`.

    Returns
    -------
    ndarray, shape (K,)
        Entry ``k - 1`` is the share of the span of the first ``k`` columns of ``A``
        inside the span of the first ``k`` columns of ``B``,
        ``sum_{i, j < k} (a_i^T b_j)^2 / k``.
    """
    A = as_finite_matrix(A, "A")
    B = as_finite_matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    for name, Q in (("A", A), ("B", B)):
        if np.max(np.abs(Q.T @ Q - np.eye(Q.shape[1]))) > 1e-8:
            raise ValueError(f"{name} must have orthonormal columns")
    cumulative = np.cumsum(np.cumsum((A.T @ B) ** 2, axis=0), axis=1)
    k = np.arange(1, A.shape[1] + 1)
    return np.diagonal(cumulative) / k


def kernel_resemblance(matrix: ArrayLike, kernel: ArrayLike, *, side: str, n_rows: int,
                       k: int = 20) -> tuple[float, float]:
    """The two numbers of Figure 3 for one matrix against the DEER kernel.

    Parameters
    ----------
    matrix : array_like, shape (p, q)
        What reads the signals: the first layer ``W1`` (80 x 256, ``side="right"``), or
        the signals themselves as columns, ``X^T`` (256 x n, ``side="left"``), whose
        left singular vectors are their (uncentred) principal components.
    kernel : array_like, shape (n_t, n_r)
        Discretised kernel, times first; ``n_t`` must equal the signal length (q for
        ``side="right"``, p for ``side="left"``).
    side : {"left", "right"}, keyword-only
        Which singular vectors of ``matrix`` live in signal space.
    n_rows : int, keyword-only
        Scaled singular vectors compared in the Fourier images (80 for the first layer).
    k : int, keyword-only
        Dimension of the compared subspaces.

    Returns
    -------
    correlation : float
        :func:`magnitude_correlation` of the kernel's ``Sigma_K U_K^T`` and the matrix's
        scaled singular vectors, first ``n_rows`` of each (:func:`scaled_singular_vectors`).
    overlap : float
        :func:`subspace_overlap` of the ``k`` leading signal-space singular vectors of
        ``matrix`` with the ``k`` leading left singular vectors of the kernel.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    kernel = as_finite_matrix(kernel, "kernel")
    _check_side(side)
    length = matrix.shape[1] if side == "right" else matrix.shape[0]
    if kernel.shape[0] != length:
        raise ValueError(f"the kernel has {kernel.shape[0]} time points but the signal-space "
                         f"vectors of matrix have length {length}")
    correlation = magnitude_correlation(scaled_singular_vectors(kernel, side="left", k=n_rows),
                                        scaled_singular_vectors(matrix, side=side, k=n_rows))
    overlap = subspace_overlap(singular_subspace(matrix, k, side=side),
                               singular_subspace(kernel, k, side="left"))
    return correlation, overlap
