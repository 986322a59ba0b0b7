"""Perturbation bounds for the large-data limit: eigenvalue gaps between index blocks and the
Davis–Kahan bound on how far a sample descrambler moves from the population one."""

from __future__ import annotations
from typing import Sequence
import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg
from .._validation import as_finite_matrix
from ..comparison import _check_blocks

__all__ = ["block_gaps", "davis_kahan_bound"]


def block_gaps(eigenvalues: ArrayLike, blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Eigenvalue gap separating each index block from its neighbours.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Eigenvalues sorted in *descending* order.
    blocks : sequence of int arrays
        A partition of ``0 ... d - 1`` into consecutive blocks.

    Returns
    -------
    ndarray, shape (len(blocks),)
        ``delta_I = min(lambda[first - 1] - lambda[first], lambda[last] - lambda[last + 1])``
        over the neighbours that exist; ``inf`` for a block without neighbours
        (one block covering everything). A gap ``<= 0`` means the block boundary
        cuts through a tie.

    Raises
    ------
    ValueError
        If ``eigenvalues`` is not a finite 1-D array sorted descending, or the
        blocks do not partition its indices.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError(f"eigenvalues must be a finite non-empty 1-D array, got shape {lam.shape}")
    if np.any(np.diff(lam) > 0):
        raise ValueError("eigenvalues must be sorted in descending order")
    d = lam.size
    gaps = []
    for I in _check_blocks(blocks, d):
        first, last = int(I.min()), int(I.max())
        sides = [lam[first - 1] - lam[first]] if first > 0 else []
        sides += [lam[last] - lam[last + 1]] if last < d - 1 else []
        gaps.append(min(sides) if sides else np.inf)
    return np.array(gaps)


def davis_kahan_bound(M_estimate: ArrayLike, M: ArrayLike,
                      blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Bound on how far eigenvector blocks move when ``M`` is perturbed.

    Parameters
    ----------
    M_estimate, M : array_like, shape (d, d)
        Symmetric matrices, e.g. a sample second moment and its population value.
    blocks : sequence of int arrays
        Consecutive blocks of eigenvalue indices of ``M`` in *descending* order.

    Returns
    -------
    ndarray, shape (len(blocks),)
        For each block ``I``, ``min(1, 2 min(sqrt|I| ||E||_2, ||E||_F) / delta_I)`` with
        ``E = M_estimate - M`` and ``delta_I`` the gap between the eigenvalues of
        ``M`` in ``I`` and their neighbours outside ``I`` (:func:`block_gaps`): an
        upper bound on the sine of the largest principal angle between the
        eigenvector spans of ``M_estimate`` and ``M`` for that block (the
        Davis–Kahan theorem in the form of Yu, Wang and Samworth 2015). The cap
        at 1 is the largest possible sine, so a bound of 1 says nothing. A block
        without neighbours has bound 0.
    """
    M_estimate = as_finite_matrix(M_estimate, "M_estimate")
    M = as_finite_matrix(M, "M")
    if M.shape != M_estimate.shape or M.shape[0] != M.shape[1]:
        raise ValueError(f"M_estimate and M must be square of one size, got {M_estimate.shape}, {M.shape}")
    blocks = _check_blocks(blocks, M.shape[0])
    gaps = block_gaps(scipy.linalg.eigvalsh(M)[::-1], blocks)
    error = M_estimate - M
    spectral, frobenius = np.linalg.norm(error, 2), np.linalg.norm(error)
    bounds = []
    for I, gap in zip(blocks, gaps):
        if np.isinf(gap):
            bounds.append(0.0)
            continue
        numerator = 2 * min(np.sqrt(I.size) * spectral, frobenius)
        bounds.append(1.0 if gap <= 0 else min(1.0, numerator / gap))
    return np.array(bounds)
