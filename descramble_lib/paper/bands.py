"""Fourier-band measures of (descrambled) weight matrices (Figures 1 and 2): centred Fourier
magnitudes, the band mask and relative norm outside it, the closed-form lower bound of
that norm, the zero-frequency notch, magnitude correlations and low-frequency angles."""

from __future__ import annotations
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from .._validation import as_finite_matrix, check_positive_int
from ..comparison import block_subspace_angles, fourier_blocks
from ..operators import fourier_basis

__all__ = ["FourierView", "fourier_view", "band_mask", "band_relative_norm", "band_norm_lower_bound", "low_frequency_angle",
           "top_direction_alignment", "zero_frequency_contrast", "magnitude_correlation",
           "centred_fourier_magnitude", "BAND_ROWS"]


def _check_half_width(half_width, n: int) -> int:
    half_width = check_positive_int(half_width, "half_width")
    if half_width > n // 2:
        raise ValueError(f"half_width must be at most n // 2 = {n // 2} for an axis of "
                         f"length {n}, got {half_width}")
    return half_width


def band_mask(n: int, *, half_width: int = 10, rows: str = "symmetric") -> np.ndarray:
    """Rows of a ``fftshift``-ed axis of length ``n`` that lie outside the central band.

    Parameters
    ----------
    n : int
        Length of the axis (e.g. 80 neurons).
    half_width : int, keyword-only
        Half width of the band in frequency bins (10 in the paper), 1 <= half_width <= n // 2.
    rows : {"symmetric", "matlab"}, keyword-only
        ``"symmetric"``: the frequencies ``|w| >= half_width``.
        ``"matlab"``: the rows of the paper's MATLAB code, 1-based ``1:(c - h)`` and
        ``(c + h):n`` with ``c = n // 2`` and ``h = half_width`` (``1:30`` and ``50:80``
        for n = 80), i.e. 0-based ``[0, c - h)`` and ``[c + h - 1, n)``: the
        frequencies ``w <= -(h + 1)`` and ``w >= h - 1``, one bin shifted from
        symmetric because MATLAB counts from 1.

    Returns
    -------
    ndarray of bool, shape (n,)
        True for the rows outside the band.
    """
    n = check_positive_int(n, "n", minimum=2)
    half_width = _check_half_width(half_width, n)
    if rows not in BAND_ROWS:
        raise ValueError(f"rows must be one of {BAND_ROWS}, got {rows!r}")
    centre = n // 2
    index = np.arange(n)
    if rows == "symmetric":
        return np.abs(index - centre) >= half_width
    return (index < centre - half_width) | (index >= centre + half_width - 1)


def band_relative_norm(matrix: ArrayLike, *, half_width: int = 10,
                       rows: str = "symmetric") -> float:
    """The "relative norm" of Figure 2: share of a matrix's 2-D spectrum outside the central band.

    The definition follows the rows of the paper's MATLAB code as described in the book's
    sources (rows 1:30 and 50:80 of the shifted 80-row axis, ``rows="matlab"``), with a
    symmetric variant. Despite the name it is a share of *squared* norms, not a ratio of
    norms.

    Parameters
    ----------
    matrix : array_like, shape (d, m)
        E.g. descrambled weights ``P W`` with the neuron axis first.
    half_width, rows
        The band along the first (neuron) axis; see :func:`band_mask`.

    Returns
    -------
    float
        ``sum over out-of-band rows of |F|^2 / sum of |F|^2`` with
        ``F = fftshift(fft2(matrix))``, in [0, 1]. By Parseval's theorem this is the
        share of ``||matrix||_F^2`` carried by neuron-axis frequencies outside the band;
        its square root is the ratio of Frobenius norms. For the symmetric rows and an
        orthogonal ``P`` it is at least :func:`band_norm_lower_bound` of ``W`` when
        ``matrix = P W``.

    Raises
    ------
    ValueError
        Non-finite or zero ``matrix``; bad ``half_width`` or ``rows``.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    power = centred_fourier_magnitude(matrix) ** 2
    total = float(power.sum())
    if total == 0:
        raise ValueError("matrix is zero: its relative norm is undefined")
    outside = band_mask(matrix.shape[0], half_width=half_width, rows=rows)
    return float(power[outside].sum()) / total


def band_norm_lower_bound(W: ArrayLike, *, half_width: int = 10) -> float:
    """Smallest :func:`band_relative_norm` (symmetric rows) of ``P W`` over orthogonal ``P``.

    Parameters
    ----------
    W : array_like, shape (d, m)
        Weights, neurons first, e.g. the first layer ``W1`` (80 x 256).
    half_width : int, keyword-only
        The band ``|w1| < half_width`` along the neuron axis, 1 <= half_width <= d // 2.

    Returns
    -------
    float
        The share of ``||W||_F^2`` beyond the ``b = 2 half_width - 1`` largest singular
        values of ``W`` (``sum_{i > b} sigma_i^2 / sum_i sigma_i^2``), in [0, 1].

    Notes
    -----
    The ``b`` rows ``|w1| < half_width`` of the neuron-axis spectrum are the span of the
    first ``b`` columns of the real Fourier basis ``T`` (the constant mode and the
    cosine/sine pairs of wavenumbers ``1 ... half_width - 1``). So the in-band energy of
    ``P W`` is the energy of ``W`` projected onto a ``b``-dimensional subspace, at most
    the sum of its ``b`` largest ``sigma_i^2`` (Ky Fan), with equality for
    ``P = T U_W^T``, ``U_W`` the left singular vectors of ``W``.
    """
    W = as_finite_matrix(W, "W")
    half_width = _check_half_width(half_width, W.shape[0])
    energy = np.linalg.svd(W, compute_uv=False) ** 2
    total = float(energy.sum())
    if total == 0:
        raise ValueError("W is zero: its relative norm is undefined")
    return float(energy[2 * half_width - 1:].sum()) / total


def low_frequency_angle(P: ArrayLike, reference: ArrayLike, *, n_frequencies: int = 10) -> float:
    """Mean largest principal angle, in degrees, between what two descramblers send to low frequencies.

    Parameters
    ----------
    P, reference : array_like, shape (d, d)
        Orthogonal descramblers of the same layer.
    n_frequencies : int, keyword-only
        Compare the wavenumbers ``k = 0 ... n_frequencies - 1`` (1 <= n_frequencies <=
        d // 2 + 1).

    Returns
    -------
    float
        For each wavenumber ``k``, the largest principal angle between the data
        directions that ``P`` and ``reference`` send to the Fourier modes of wavenumber
        ``k`` (the columns of ``P^T T`` in that block of
        :func:`~descramble_lib.fourier_blocks`); their mean over the ``n_frequencies``
        lowest ``k``, in [0, 90] degrees. It ignores the non-uniqueness of descramblers:
        signs and rotations inside each cosine/sine pair.
    """
    P = as_finite_matrix(P, "P")
    reference = as_finite_matrix(reference, "reference")
    d = P.shape[0]
    if P.shape != (d, d) or reference.shape != (d, d):
        raise ValueError(f"P and reference must be square of the same size, got {P.shape} "
                         f"and {reference.shape}")
    blocks = fourier_blocks(d)
    n_frequencies = check_positive_int(n_frequencies, "n_frequencies")
    if n_frequencies > len(blocks):
        raise ValueError(f"n_frequencies must be at most {len(blocks)} for d = {d}, "
                         f"got {n_frequencies}")
    T = fourier_basis(d)
    angles = block_subspace_angles(P.T @ T, reference.T @ T, blocks)[:n_frequencies]
    return float(np.degrees(angles).mean())


def top_direction_alignment(W: ArrayLike, S: ArrayLike) -> tuple[float, float]:
    """How closely the top principal direction of preactivations follows the mean signal.

    Parameters
    ----------
    W : array_like, shape (d, m)
        Weights of the layer, e.g. ``W1`` (80 x 256).
    S : array_like, shape (d, n)
        Its preactivations on ``n`` signals (bias included, not centred).

    Returns
    -------
    constant : float
        ``|cos|`` of the angle between the top left singular vector of ``S`` and the
        layer's response to a constant input, ``W 1``.
    mean : float
        ``|cos|`` of the angle between the same vector and the mean preactivation
        ``S 1 / n``.
    """
    W = as_finite_matrix(W, "W")
    S = as_finite_matrix(S, "S")
    if W.shape[0] != S.shape[0]:
        raise ValueError(f"W and S must have the same number of rows, got {W.shape} and {S.shape}")
    top = np.linalg.svd(S, full_matrices=False)[0][:, 0]
    cosines = []
    for vector in (W.sum(axis=1), S.mean(axis=1)):
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            raise ValueError("W 1 or the mean preactivation is zero: angle undefined")
        cosines.append(abs(float(top @ vector)) / norm)
    return cosines[0], cosines[1]


def zero_frequency_contrast(matrix: ArrayLike, *, half_width: int = 10) -> tuple[float, float]:
    """How dark the zero frequency of the second (input) axis is inside the central band.

    Parameters
    ----------
    matrix : array_like, shape (d, m), m >= 3
        E.g. descrambled weights ``P W1`` (neurons by time).
    half_width : int, keyword-only
        The band ``|w1| < half_width`` along the first axis.

    Returns
    -------
    column : float
        Mean of ``|F|^2`` on the column ``w2 = 0`` over the band rows except ``w1 = 0``,
        divided by the mean of ``|F|^2`` on the neighbouring columns ``w2 = +-1`` over the
        same rows. Much less than 1: a notch along ``w2 = 0``.
    origin : float
        ``|F(0, 0)|^2`` divided by the same neighbour mean; less than 1 means the origin
        itself is dark.

    Notes
    -----
    ``F(w1, 0)`` is the discrete Fourier transform, along the neurons, of the row sums
    ``matrix @ 1``: the layer's response to a constant input. Its total energy
    ``||P W 1||^2`` does not depend on an orthogonal ``P``; a descrambler only decides
    how it is spread over ``w1``.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    d, m = matrix.shape
    if m < 3:
        raise ValueError(f"matrix needs at least 3 columns, got shape {matrix.shape}")
    half_width = _check_half_width(half_width, d)
    power = centred_fourier_magnitude(matrix) ** 2
    rows = np.flatnonzero(~band_mask(d, half_width=half_width))
    off_origin = rows[rows != d // 2]
    centre = m // 2
    neighbours = float(power[np.ix_(rows, [centre - 1, centre + 1])].mean())
    if neighbours == 0:
        raise ValueError("the columns next to zero frequency are zero: contrast undefined")
    column = float(power[off_origin, centre].mean()) if off_origin.size else 0.0
    return column / neighbours, float(power[d // 2, centre]) / neighbours


def magnitude_correlation(A: ArrayLike, B: ArrayLike) -> float:
    """Pearson correlation of the centred 2-D Fourier magnitudes of two matrices.

    Parameters
    ----------
    A, B : array_like, shape (d, m)
        Same shape, e.g. descrambled weights from two strategies.

    Returns
    -------
    float
        Correlation coefficient, over all ``d * m`` pixels, of
        ``|fftshift(fft2(A))|`` and ``|fftshift(fft2(B))|``; 1 for equal magnitudes
        (also for ``B = c A``, ``c != 0``). Magnitudes ignore circular shifts.
    """
    A = as_finite_matrix(A, "A")
    B = as_finite_matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    a = centred_fourier_magnitude(A).ravel()
    b = centred_fourier_magnitude(B).ravel()
    a, b = a - a.mean(), b - b.mean()
    scale = float(np.linalg.norm(a) * np.linalg.norm(b))
    if scale == 0:
        raise ValueError("a Fourier magnitude is constant: correlation undefined")
    return float(a @ b) / scale


def centred_fourier_magnitude(matrix: np.ndarray) -> np.ndarray:
    """``|fftshift(fft2(matrix))|``: 2-D Fourier magnitude with zero frequency at the centre.

    Parameters
    ----------
    matrix : ndarray, shape (rows, cols)

    Returns
    -------
    ndarray, shape (rows, cols)
        Row index ``rows // 2`` and column index ``cols // 2`` hold frequency zero.
    """
    return np.abs(np.fft.fftshift(np.fft.fft2(np.asarray(matrix, dtype=float))))


#: Conventions for the rows outside the central band (see :func:`band_mask`).
BAND_ROWS = ("symmetric", "matlab")


@dataclass(frozen=True)
class FourierView:
    """Descrambled weights with their centred Fourier magnitude and relative norm.

    Attributes
    ----------
    weights : ndarray, shape (d, m)
        ``P W``, neurons down, inputs across.
    magnitude : ndarray, shape (d, m)
        :func:`centred_fourier_magnitude` of ``weights``.
    half_width : int
        Half width of the central band.
    relative_norm : float
        :func:`band_relative_norm` of ``weights`` with that band.
    """

    weights: np.ndarray
    magnitude: np.ndarray
    half_width: int
    relative_norm: float


def fourier_view(weights: ArrayLike, *, half_width: int = 10,
                 rows: str = "symmetric") -> FourierView:
    """Everything a figure of descrambled weights shows, computed once.

    Parameters
    ----------
    weights : array_like, shape (d, m)
        Descrambled weights ``P W``.
    half_width, rows
        The band of :func:`band_relative_norm`.

    Returns
    -------
    FourierView
    """
    weights = as_finite_matrix(weights, "weights")
    return FourierView(weights=weights, magnitude=centred_fourier_magnitude(weights),
                       half_width=half_width,
                       relative_norm=band_relative_norm(weights, half_width=half_width,
                                                        rows=rows))
