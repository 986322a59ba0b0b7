"""Summaries of a weight matrix: how spread out each neuron's weights are, row by row, and
how smooth the matrix is along its neuron axis (:func:`neuron_axis_spectrum`).

Used to compare raw, smooth-descrambled and sparse-descrambled weights. Every
function takes ``M`` of shape ``(neurons, inputs)`` (one row per neuron).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.optimize

from .._validation import as_finite_matrix

__all__ = ["participation_number", "top_entry_share", "column_share", "matched_row_cosines",
           "neuron_axis_spectrum"]


def _nonzero_rows(M: np.ndarray, name: str) -> np.ndarray:
    M = as_finite_matrix(M, name)
    if np.any(np.sum(M**2, axis=1) == 0):
        raise ValueError(f"{name} has an all-zero row; its spread is undefined")
    return M


def participation_number(M: ArrayLike) -> np.ndarray:
    """Effective number of inputs per neuron, ``(sum_j w_j^2)^2 / sum_j w_j^4``, shape ``(neurons,)``.

    It equals the number of inputs for equal weights and 1 for a single non-zero weight.

    Parameters
    ----------
    M : array_like, shape (neurons, inputs)
        Weights, one row per neuron; no row may be all zero.

    Returns
    -------
    ndarray, shape (neurons,)
    """
    M = _nonzero_rows(M, "M")
    squares = M**2
    return np.sum(squares, axis=1) ** 2 / np.sum(squares**2, axis=1)


def top_entry_share(M: ArrayLike, fraction: float = 0.1) -> float:
    """Share of ``||M||_F^2`` held by the largest ``fraction`` of all entries (by magnitude).

    Parameters
    ----------
    M : array_like, shape (neurons, inputs)
    fraction : float
        Fraction of the entries counted, in ``(0, 1]``.

    Returns
    -------
    float
        Between ``fraction`` (all entries equal) and 1.
    """
    M = as_finite_matrix(M, "M")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction!r}")
    squares = np.sort(M.ravel() ** 2)[::-1]
    total = squares.sum()
    if total == 0:
        raise ValueError("M is all zero")
    return float(squares[:max(1, int(fraction * squares.size))].sum() / total)


def column_share(M: ArrayLike, columns: ArrayLike) -> np.ndarray:
    """Share of each row's squared norm on the selected columns, shape ``(neurons,)``.

    Parameters
    ----------
    M : ndarray, shape (neurons, inputs)
    columns : ndarray of bool, shape (inputs,)
        Mask of the inputs of interest (e.g. rarely active pixels).
    """
    M = _nonzero_rows(M, "M")
    mask = np.asarray(columns)
    if mask.dtype != bool or mask.shape != (M.shape[1],):
        raise ValueError(f"columns must be a boolean mask of shape ({M.shape[1]},), "
                         f"got dtype {mask.dtype} and shape {mask.shape}")
    return np.sum(M[:, mask] ** 2, axis=1) / np.sum(M**2, axis=1)


def matched_row_cosines(P: ArrayLike, Q: ArrayLike) -> np.ndarray:
    """|cosines| between the rows of two orthogonal matrices after the best row matching.

    Rows are paired by the assignment that maximises the total ``|<p_i, q_j>|``
    (``scipy.optimize.linear_sum_assignment``), so the result does not depend on
    the order or signs of the rows: it is 1 everywhere exactly when ``Q`` is a
    signed permutation of ``P``.

    Parameters
    ----------
    P, Q : array_like, shape (d, d)
        Orthogonal matrices (e.g. two descramblers of the same layer).

    Returns
    -------
    ndarray, shape (d,)
        The matched ``|cos|`` values, sorted descending.
    """
    P, Q = as_finite_matrix(P, "P"), as_finite_matrix(Q, "Q")
    if P.shape != Q.shape or P.shape[0] != P.shape[1]:
        raise ValueError(f"P and Q must be square of the same shape, got {P.shape} and {Q.shape}")
    cosines = np.abs(P @ Q.T)
    rows, cols = scipy.optimize.linear_sum_assignment(-cosines)
    return np.sort(cosines[rows, cols])[::-1]


def neuron_axis_spectrum(matrix: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Share of a matrix's energy at each frequency along its first (neuron) axis.

    Parameters
    ----------
    matrix : array_like, shape (d, m)
        E.g. weights ``W`` or descrambled weights ``P W`` (neurons along rows).

    Returns
    -------
    k : ndarray of int, shape (d // 2 + 1,)
        Wavenumbers ``0 ... d // 2`` along the neuron axis.
    share : ndarray, shape (d // 2 + 1,)
        Fraction of ``||matrix||_F^2`` at each ``|k|`` (``k`` and ``-k`` together); sums to 1.
        A descrambled matrix puts its energy at small ``k``; a scrambled one spreads it.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    d = matrix.shape[0]
    power = np.abs(np.fft.rfft(matrix, axis=0)) ** 2
    power[1:(d + 1) // 2] *= 2.0          # k and -k (not k = 0, nor the alternating mode)
    energy = power.sum(axis=1)
    total = energy.sum()
    if total == 0:
        raise ValueError("matrix is zero: its spectrum is undefined")
    return np.arange(energy.size), energy / total
