"""Comparing descramblers modulo their non-uniqueness.

Lemma 1 gives an optimal descrambler ``P = T U^T``, but not a unique one: any
eigenbasis ``T'`` of ``A`` (eigenvalues ascending) and any eigenbasis ``U'`` of
``M = S S^T`` (descending) give another, ``T' U'^T``. For the smoothness
operator ``A = D^T D`` the eigenvalues ``k^4`` come in cos/sin pairs, so ``T'``
may rotate or reflect inside each pair; ``U'`` may flip signs, and rotate inside
repeated eigenvalues of ``M``.

Two descramblers are therefore compared through what they share: for every
*block* ``I`` of eigenvalue indices that no tie crosses, the subspace
``P^T T[:, I]`` of data directions sent to the modes ``T[:, I]``. This module
computes the blocks, the principal angles between matched subspaces, and the
representative of a class that is closest to a reference.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from ._validation import as_finite_matrix, check_positive_int, check_real
from .operators import fourier_basis, fourier_wavenumbers

__all__ = ["tie_blocks", "fourier_blocks", "block_subspace_angles", "descrambler_distance",
           "align_in_blocks"]


def tie_blocks(values: ArrayLike, *, rtol: float = 1e-8) -> list[np.ndarray]:
    """Group consecutive (nearly) equal entries of a sorted sequence.

    Parameters
    ----------
    values : array_like, shape (d,)
        Sorted (ascending or descending) finite numbers, e.g. eigenvalues.
    rtol : float
        Neighbours ``v[i]``, ``v[i + 1]`` are tied when
        ``|v[i + 1] - v[i]| <= rtol * max|v|``.

    Returns
    -------
    list of ndarray of int
        Consecutive index blocks covering ``0 ... d - 1``.

    Raises
    ------
    ValueError
        If ``values`` is not 1-D, empty, not finite, not sorted, or ``rtol < 0``.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values contains NaN or inf")
    rtol = check_real(rtol, "rtol", minimum=0.0)
    steps = np.diff(values)
    if np.any(steps > 0) and np.any(steps < 0):
        raise ValueError("values must be sorted (ascending or descending)")
    scale = float(np.max(np.abs(values)))
    breaks = np.flatnonzero(np.abs(steps) > rtol * scale) + 1
    return np.split(np.arange(values.size), breaks)


def fourier_blocks(d: int) -> list[np.ndarray]:
    """Index blocks of equal wavenumber in :func:`~descramble_lib.fourier_basis`.

    ``[[0], [1, 2], [3, 4], ...]``; for even ``d`` the Nyquist mode ``d - 1`` is
    alone. These are the eigenvalue ties of ``A = D^T D``.

    Parameters
    ----------
    d : int
        Number of grid points, ``d >= 1``.

    Returns
    -------
    list of ndarray of int
        Column indices of each block, in order; together they partition ``0 ... d - 1``.
    """
    d = check_positive_int(d, "d")
    return tie_blocks(fourier_wavenumbers(d).astype(float), rtol=0.0)


def _check_blocks(blocks: Sequence[np.ndarray], d: int) -> list[np.ndarray]:
    blocks = [np.asarray(block, dtype=int).ravel() for block in blocks]
    covered = np.sort(np.concatenate(blocks)) if blocks else np.array([], dtype=int)
    if covered.size != d or np.any(covered != np.arange(d)):
        raise ValueError(f"blocks must partition the indices 0 ... {d - 1}")
    return blocks


def block_subspace_angles(U1: ArrayLike, U2: ArrayLike,
                          blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Largest principal angle between matched column blocks of two matrices.

    Parameters
    ----------
    U1, U2 : array_like, shape (d, k)
        Matrices whose column blocks span the subspaces to compare.
    blocks : sequence of int arrays
        A partition of the column indices ``0 ... k - 1``.

    Returns
    -------
    ndarray, shape (len(blocks),)
        For each block ``I``, the largest principal angle (radians, in
        ``[0, pi/2]``) between ``span U1[:, I]`` and ``span U2[:, I]``;
        0 when the spans coincide.
    """
    U1 = as_finite_matrix(U1, "U1")
    U2 = as_finite_matrix(U2, "U2")
    if U1.shape != U2.shape:
        raise ValueError(f"U1 and U2 must have the same shape, got {U1.shape} and {U2.shape}")
    blocks = _check_blocks(blocks, U1.shape[1])
    return np.array([float(np.max(scipy.linalg.subspace_angles(U1[:, I], U2[:, I])))
                     for I in blocks])


def _basis_and_blocks(d: int, T, blocks):
    if T is None:
        T = fourier_basis(d)
        blocks = fourier_blocks(d) if blocks is None else blocks
    else:
        T = as_finite_matrix(T, "T")
        if T.shape != (d, d):
            raise ValueError(f"T must have shape ({d}, {d}), got {T.shape}")
        if blocks is None:
            raise ValueError("blocks must be given together with a custom T")
    return T, _check_blocks(blocks, d)


def descrambler_distance(P1: ArrayLike, P2: ArrayLike, *, T: ArrayLike | None = None,
                         blocks: Sequence[np.ndarray] | None = None) -> float:
    """Distance between two descramblers modulo the non-uniqueness of Lemma 1.

    Parameters
    ----------
    P1, P2 : array_like, shape (d, d)
        Orthogonal descramblers.
    T : array_like, shape (d, d), optional
        Orthonormal eigenvectors of ``A``, ascending. Default: the Fourier basis
        of the smoothness operator.
    blocks : sequence of int arrays, optional
        Partition of ``0 ... d - 1`` into consecutive blocks, each a union of
        eigenvalue ties of ``A`` and of ``M`` (in the matched order). Default,
        with the default ``T``: :func:`fourier_blocks`, which is right when the
        data's eigenvalues are distinct.

    Returns
    -------
    float
        ``max_I angle(span P1^T T[:, I], span P2^T T[:, I])`` in radians: 0 when
        ``P2 = T G T^T P1`` with ``G`` block-diagonal orthogonal (signs, pair
        rotations), ``pi/2`` when some mode receives an orthogonal direction.
    """
    P1 = as_finite_matrix(P1, "P1")
    P2 = as_finite_matrix(P2, "P2")
    d = P1.shape[0]
    if P1.shape != (d, d) or P2.shape != (d, d):
        raise ValueError(f"P1 and P2 must be square of the same size, got {P1.shape}, {P2.shape}")
    T, blocks = _basis_and_blocks(d, T, blocks)
    return float(np.max(block_subspace_angles(P1.T @ T, P2.T @ T, blocks)))


def align_in_blocks(Y: ArrayLike, Y_ref: ArrayLike, *, T: ArrayLike | None = None,
                    blocks: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Member of ``Y``'s class closest to ``Y_ref`` under block rotations of ``T``.

    Parameters
    ----------
    Y, Y_ref : array_like, shape (d, m)
        Descrambled quantities (a descrambler ``P``, or descrambled weights
        ``P W``) whose rows live on the neuron axis.
    T : array_like, shape (d, d), optional
        Orthonormal eigenvectors of ``A``; default the Fourier basis.
    blocks : sequence of int arrays, optional
        Blocks of columns of ``T`` inside which rotations are allowed; default
        :func:`fourier_blocks` (signs and cos/sin pair rotations).

    Returns
    -------
    ndarray, shape (d, m)
        ``T G T^T Y`` with ``G`` block-diagonal orthogonal minimising
        ``||T G T^T Y - Y_ref||_F`` (one orthogonal Procrustes problem per block).
        Aligning first and then comparing entrywise is how this book checks
        descramblers "up to signs and pair rotations".
    """
    Y = as_finite_matrix(Y, "Y")
    Y_ref = as_finite_matrix(Y_ref, "Y_ref")
    if Y.shape != Y_ref.shape:
        raise ValueError(f"Y and Y_ref must have the same shape, got {Y.shape} and {Y_ref.shape}")
    T, blocks = _basis_and_blocks(Y.shape[0], T, blocks)
    coefficients, reference = T.T @ Y, T.T @ Y_ref
    aligned = np.empty_like(coefficients)
    for I in blocks:
        rotation, _ = scipy.linalg.orthogonal_procrustes(coefficients[I].T, reference[I].T)
        aligned[I] = rotation.T @ coefficients[I]
    return T @ aligned


