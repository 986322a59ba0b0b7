"""Figures 2 and 3 as the paper's MATLAB scripts compute them: DFT convention, crops, "Rel norm".

The book's own Fourier images are ``|fftshift(fft2(X))|`` (:mod:`.bands`). The original
scripts ``figs1_2.m`` and ``fig3.m`` compute instead

    ``M = |F_rᴴ X F_c|``  with  ``F_N = diag((-1)^k) DFT_N``,

``DFT_N`` the matrix ``exp(-2 pi i j k / N)`` (MATLAB's ``dftmtx``) and ``ᴴ`` the conjugate
transpose (MATLAB's ``'``). The ``(-1)^k`` factors modulate the rows and the columns of
``X`` before the transforms, which centres both spectra (zero frequency at 0-based index
``N / 2`` for even ``N``); the conjugate transpose on the left runs the first axis's
frequencies backwards: row ``j`` holds frequency ``N / 2 - j``, column ``c`` frequency
``c - N / 2`` (:func:`original_frequencies`). For a real ``X``, ``|F(-w1, -w2)| =
|F(w1, w2)|``, so ``M`` is the book's image mirrored along either axis.

This module gives that image (:func:`original_fourier_image`, by FFTs; :func:`original_dft`
is the dense matrix, for checks), the "Rel norm" printed on Figure 2's panels
(:func:`original_relative_norm`, with MATLAB's matrix ``norm``, the **spectral** norm), the
panel crop of Figure 2 (:func:`original_weights_panel`) and the two images of Figure 3
(:func:`original_kernel_image`, :func:`original_layer_image`). All row and column ranges
are MATLAB's: 1-based and inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from .._validation import as_finite_matrix, check_choice, check_positive_int

__all__ = ["ORIGINAL_BAND_BLOCKS", "FIGURE2_CROP", "FIGURE3_KERNEL_ROWS",
           "FIGURE3_LAYER_COLUMNS", "OriginalImage", "original_dft", "original_frequencies",
           "original_fourier_image", "original_relative_norm", "original_weights_panel",
           "original_kernel_image", "original_layer_image"]

#: Rows of the magnitude image summed by the original "Rel norm" (MATLAB, 1-based inclusive).
ORIGINAL_BAND_BLOCKS = ((1, 30), (50, 80))
#: Figure 2's panel crop, ``(rows, columns)`` of the 80 x 256 image (1-based inclusive).
FIGURE2_CROP = ((20, 60), (96, 164))
#: Rows of Figure 3's kernel image ``|F_256ᴴ U_K Sigma_K F_256|`` (1-based inclusive).
FIGURE3_KERNEL_ROWS = (88, 167)
#: Columns of Figure 3's layer image ``|F_80ᴴ Sigma_1 V_1^T F_256|`` (1-based inclusive).
FIGURE3_LAYER_COLUMNS = (58, 198)


@dataclass(frozen=True)
class OriginalImage:
    """A Fourier magnitude image as the original scripts show it, with its frequency axes.

    Attributes
    ----------
    image : ndarray, shape (rows, cols)
        Magnitudes, row 0 at the top.
    row_frequencies : ndarray, shape (rows,)
        Frequency (cycles per axis length) of each row, top to bottom.
    column_frequencies : ndarray, shape (cols,)
        Frequency of each column, left to right.
    row_axis, column_axis : str
        What the frequencies are along (e.g. ``"time"``, ``"neurons"``), for axis labels.
    """

    image: np.ndarray
    row_frequencies: np.ndarray
    column_frequencies: np.ndarray
    row_axis: str
    column_axis: str


def original_dft(n: int) -> np.ndarray:
    """The original's ``F_n = diag((-1)^k) DFT_n`` as a dense matrix.

    Parameters
    ----------
    n : int
        Size (>= 1).

    Returns
    -------
    ndarray of complex, shape (n, n)
        ``F[j, k] = (-1)^j exp(-2 pi i j k / n)`` (MATLAB's ``dftmtx(n)`` with its rows
        multiplied by ``(-1)^j``). For checks: :func:`original_fourier_image` never
        forms it.
    """
    n = check_positive_int(n, "n")
    index = np.arange(n)
    signs = np.where(index % 2 == 0, 1.0, -1.0)
    return signs[:, None] * np.exp(-2j * np.pi * np.outer(index, index) / n)


def original_frequencies(n: int, *, side: str) -> np.ndarray:
    """Frequency held by each index of an axis of :func:`original_fourier_image`.

    Parameters
    ----------
    n : int
        Length of the axis (>= 1).
    side : {"left", "right"}, keyword-only
        ``"left"``: the rows (transformed by ``F_nᴴ`` from the left), index ``j`` holds
        frequency ``n / 2 - j``, i.e. ``n/2, n/2 - 1, ..., -n/2 + 1``. ``"right"``: the
        columns (``F_n`` from the right), index ``c`` holds ``c - n / 2``.

    Returns
    -------
    ndarray of float, shape (n,)
        In cycles per axis length; integers for even ``n``, half-integers for odd ``n``
        (where the ``(-1)^k`` modulation shifts by half a bin). Frequencies are defined
        modulo ``n``: ``n / 2`` and ``-n / 2`` are the same (Nyquist) frequency.
    """
    n = check_positive_int(n, "n")
    side = check_choice(side, "side", ("left", "right"))
    index = np.arange(n, dtype=float)
    return n / 2 - index if side == "left" else index - n / 2


def _modulation(n: int) -> np.ndarray:
    return np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


def original_fourier_image(X: ArrayLike) -> np.ndarray:
    """``|F_rᴴ X F_c|``, the Fourier magnitude image of the original scripts, by FFTs.

    Parameters
    ----------
    X : array_like, shape (r, c)
        Real matrix, e.g. descrambled weights ``P W1`` (80 x 256, neurons by time).

    Returns
    -------
    ndarray, shape (r, c)
        Row ``j`` holds the first axis's frequency ``r / 2 - j``, column ``k`` the second
        axis's ``k - c / 2`` (:func:`original_frequencies`).

    Raises
    ------
    ValueError
        ``X`` not a finite real 2-D array.

    Notes
    -----
    With ``s_N = ((-1)^k)`` and ``Y = diag(s_r) X diag(s_c)``, ``F_rᴴ X F_c = DFT_rᴴ Y
    DFT_c``: an FFT along the columns' axis (``Y DFT_c``) and ``r`` times an inverse FFT
    along the rows (``DFT_rᴴ = r * ifft``). Equal to ``|original_dft(r).conj().T @ X @
    original_dft(c)|`` to rounding.
    """
    X = as_finite_matrix(X, "X")
    rows, cols = X.shape
    Y = _modulation(rows)[:, None] * X * _modulation(cols)[None, :]
    return np.abs(rows * np.fft.ifft(np.fft.fft(Y, axis=1), axis=0))


def _check_range(span, length: int, name: str) -> tuple[int, int]:
    """A MATLAB range ``(first, last)``, 1-based inclusive, inside an axis of ``length``."""
    try:
        first, last = span
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (start, end), got {span!r}") from None
    first = check_positive_int(first, f"{name} start")
    last = check_positive_int(last, f"{name} end")
    if not first <= last <= length:
        raise ValueError(f"{name} {first}:{last} (1-based, inclusive) must satisfy "
                         f"1 <= start <= end <= {length}")
    return first - 1, last


def original_relative_norm(X: ArrayLike, *,
                           blocks: tuple[tuple[int, int], ...] = ORIGINAL_BAND_BLOCKS) -> float:
    """The "Rel norm" printed on the panels of the paper's Figure 2, as ``figs1_2.m`` computes it.

    Parameters
    ----------
    X : array_like, shape (r, c)
        Descrambled weights, e.g. ``P W1`` (80 x 256); ``r`` must reach the last row of
        ``blocks``.
    blocks : tuple of (int, int), keyword-only
        Row ranges of the magnitude image, MATLAB-style (1-based, inclusive); default
        :data:`ORIGINAL_BAND_BLOCKS`, rows 1-30 and 50-80: for 80 rows the neuron-axis
        frequencies ``40 ... 11`` and ``-9 ... -39`` (:func:`original_frequencies`).

    Returns
    -------
    float
        ``sum_b ||M[b, :]||_2^2 / ||M||_2^2`` with ``M = original_fourier_image(X)`` and
        ``||.||_2`` the spectral norm (largest singular value), MATLAB's ``norm`` of a
        matrix. Each term is at most 1, so the value lies in ``[0, len(blocks)]``; it is
        unchanged by scaling ``X`` and by circular shifts of its rows or columns (which
        leave magnitudes alone).

    Raises
    ------
    ValueError
        ``X`` not a finite real 2-D array, zero, or too short for ``blocks``; a block
        not a valid 1-based range.

    Notes
    -----
    The book's relative norm (:func:`~descramble_lib.paper.band_relative_norm`) uses
    squared Frobenius norms, the share of ``||X||_F^2`` outside the band (Parseval). The
    spectral norm measures only the strongest direction of each block of the image, so
    the two are different numbers and need not even rank matrices alike.
    """
    M = original_fourier_image(X)
    ranges = [_check_range(block, M.shape[0], "block") for block in blocks]
    if not ranges:
        raise ValueError("blocks is empty")
    total = float(scipy.linalg.svdvals(M)[0]) ** 2
    if total == 0:
        raise ValueError("X is zero: its relative norm is undefined")
    return sum(float(scipy.linalg.svdvals(M[first:last])[0]) ** 2
               for first, last in ranges) / total


def _crop(M: np.ndarray, rows: tuple[int, int], cols: tuple[int, int], row_axis: str,
          column_axis: str) -> OriginalImage:
    (r0, r1), (c0, c1) = (_check_range(rows, M.shape[0], "rows"),
                          _check_range(cols, M.shape[1], "columns"))
    return OriginalImage(image=M[r0:r1, c0:c1].copy(),
                         row_frequencies=original_frequencies(M.shape[0], side="left")[r0:r1],
                         column_frequencies=original_frequencies(M.shape[1], side="right")[c0:c1],
                         row_axis=row_axis, column_axis=column_axis)


def original_weights_panel(weights: ArrayLike) -> OriginalImage:
    """The Fourier panel of Figure 2 as ``figs1_2.m`` crops it: rows 20-60, columns 96-164,
    transposed, then flipped.

    Parameters
    ----------
    weights : array_like, shape (80, 256)
        Descrambled weights ``P W1``, neurons by time (any shape that holds the crop).

    Returns
    -------
    OriginalImage
        Shape (69, 41) for the default crop: time frequencies ``w2`` down (35 at the top
        to -33 at the bottom), neuron-axis frequencies ``w1`` across (21 on the left to
        -19 on the right).

    Notes
    -----
    Which flip the script applies is not recorded in our sources. We apply MATLAB's
    ``flip`` without a dimension argument, which reverses the first non-singleton
    dimension: the rows of the transposed crop. It puts positive time frequencies at the
    top, as on a Cartesian axis. Because ``|F(-w1, -w2)| = |F(w1, w2)|`` for real
    weights, a flip of the other axis gives the same picture rotated by 180 degrees about
    the origin, with the crop's bounds mirrored.
    """
    M = original_fourier_image(weights)
    panel = _crop(M, *FIGURE2_CROP, row_axis="neurons", column_axis="time")
    return OriginalImage(image=np.flipud(panel.image.T).copy(),
                         row_frequencies=panel.column_frequencies[::-1].copy(),
                         column_frequencies=panel.row_frequencies.copy(),
                         row_axis="time", column_axis="neurons")


def original_kernel_image(K: ArrayLike) -> OriginalImage:
    """The left image of Figure 3: ``|F_256ᴴ U_K Sigma_K F_256|``, rows 88-167, as ``fig3.m``.

    Parameters
    ----------
    K : array_like, shape (n_t, n_r)
        Discretised kernel, times by distances (256 x 256); ``n_t >= 167``.

    Returns
    -------
    OriginalImage
        Shape (80, min(n_t, n_r)): time frequencies down (41 to -38 for ``n_t = 256``),
        frequencies along the singular-vector index across. The signs of the singular
        vectors are those LAPACK returns, as in the original (the image along the index
        axis depends on them).
    """
    K = as_finite_matrix(K, "K")
    U, sigma, _ = np.linalg.svd(K, full_matrices=False)
    M = original_fourier_image(U * sigma)
    return _crop(M, FIGURE3_KERNEL_ROWS, (1, M.shape[1]), row_axis="time",
                 column_axis="singular-vector index")


def original_layer_image(W: ArrayLike) -> OriginalImage:
    """The right image of Figure 3, ``|F_80ᴴ Sigma_1 V_1^T F_256|``, columns 58-198 (``fig3.m``).

    Parameters
    ----------
    W : array_like, shape (d, m)
        First-layer weights, neurons by time (80 x 256); ``m >= 198``.

    Returns
    -------
    OriginalImage
        Shape (min(d, m), 141): frequencies along the singular-vector index down (40 to
        -39 for ``d = 80``), time frequencies across (-71 to 69 for ``m = 256``).
        Singular-vector signs as LAPACK returns them.
    """
    W = as_finite_matrix(W, "W")
    _, sigma, Vt = np.linalg.svd(W, full_matrices=False)
    M = original_fourier_image(sigma[:, None] * Vt)
    return _crop(M, (1, M.shape[0]), FIGURE3_LAYER_COLUMNS, row_axis="singular-vector index",
                 column_axis="time")
