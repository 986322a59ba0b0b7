"""Reading a descrambled DEERNet: the measurements behind the paper's Figures 1-4 and Table 1.

The chapters "Reproducing the paper" descramble the trained two-layer DEERNet and
measure what the paper shows in pictures:

* Figures 1-2: how much of the descrambled weights ``P W1`` lies outside a central
  band of neuron-axis frequencies (:func:`band_relative_norm`) and the least any
  orthogonal ``P`` can leave there (:func:`band_norm_lower_bound`), whether the
  time-axis zero frequency is a notch (:func:`zero_frequency_contrast`,
  :func:`top_direction_alignment`), how alike two Fourier magnitude images are
  (:func:`magnitude_correlation`), and how far apart two descramblers are modulo
  their non-uniqueness (:func:`low_frequency_angle`);
* Figure 3: scaled singular vectors (:func:`scaled_singular_vectors`), how much
  two subspaces share (:func:`singular_subspace`, :func:`subspace_overlap`), and both
  numbers against the DEER kernel at once (:func:`kernel_resemblance`);
* Figure 4: smooth reference bases (:func:`smooth_basis`), how close an
  inner-product map is to banded (:func:`bandedness`), and the same number for
  random orthonormal vectors (:func:`random_bandedness`,
  :func:`empirical_percentile`); the shape of single components
  (:func:`zero_crossings`, :func:`even_share`) and their stability between two
  samples (:func:`column_cosines`);
* all of them at once for one network (:func:`explain_deernet`), to compare hidden
  activations.

Frequencies follow ``numpy.fft.fftshift``: on an axis of length ``n`` index ``i``
holds the frequency ``i - n // 2`` (cycles per axis length).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike
from numpy.polynomial import chebyshev, legendre

from ._validation import as_finite_matrix, check_positive_int
from .comparison import block_subspace_angles, fourier_blocks
from .deer import dipolar_kernel, distance_grid, time_grid
from .deernet import DEERNet, TrainedDEERNet, layer_weights, preactivations
from .operators import fourier_basis
from .plotting import centred_fourier_magnitude
from .solvers import FIGURE1_STRATEGIES, Descrambling, descramble
from .timing import blas_threads

__all__ = ["BAND_ROWS", "STRATEGIES", "STRATEGY_LABELS", "SMOOTH_BASES", "band_mask",
           "band_relative_norm", "zero_frequency_contrast", "magnitude_correlation",
           "scaled_singular_vectors", "singular_subspace", "subspace_overlap",
           "nested_subspace_overlaps", "band_norm_lower_bound", "low_frequency_angle",
           "top_direction_alignment", "kernel_resemblance", "zero_crossings", "even_share",
           "column_cosines",
           "smooth_basis", "align_signs", "bandedness", "random_bandedness",
           "empirical_percentile", "descramble_deernet_layer", "DEERNetExplanation",
           "explain_deernet"]

#: Conventions for the rows outside the central band (see :func:`band_mask`).
BAND_ROWS = ("symmetric", "matlab")

#: Keyword arguments of :func:`~descramble_lib.descramble` per strategy: the paper's
#: four (Figure 1) and this book's preconditioned Cayley descent.
STRATEGIES: dict[str, dict] = {**FIGURE1_STRATEGIES,
                               "preconditioned": dict(method="cayley", precondition=True)}

#: Short labels of :data:`STRATEGIES` for legends and tables (Markdown/mathtext math).
STRATEGY_LABELS: dict[str, str] = {
    "a": "(a) Cayley descent from $I$",
    "b": "(b) warm start from $T$",
    "c": r"(c) rescaled ($\Omega$, then $T$)",
    "d": r"(d) closed form $TU^\top$",
    "preconditioned": "preconditioned Cayley (this book)",
}

#: Kinds of :func:`smooth_basis`.
SMOOTH_BASES = ("chebyshev", "legendre", "cosine")


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


def smooth_basis(n_points: int, n_functions: int, *, kind: str = "chebyshev",
                 orthonormal: bool = False) -> np.ndarray:
    """Unit-norm samples of a classical smooth basis on ``linspace(-1, 1, n_points)``.

    Parameters
    ----------
    n_points : int
        Grid size (>= 2), e.g. the 256 distances mapped affinely onto [-1, 1].
    n_functions : int
        Number of functions, degrees (or frequencies) ``0 ... n_functions - 1``.
    kind : {"chebyshev", "legendre", "cosine"}, keyword-only
        Chebyshev polynomials ``C_i(x)`` (often written ``T_i``;
        ``numpy.polynomial.chebyshev``), Legendre polynomials, or cosines
        ``cos(pi i (x + 1) / 2)``.
    orthonormal : bool, keyword-only
        If True, orthonormalise the columns in order (Gram-Schmidt via QR, signs chosen
        so that column ``i`` has a positive inner product with function ``i``).

    Returns
    -------
    ndarray, shape (n_points, n_functions)
        Column ``i`` is function ``i`` on the grid divided by its Euclidean norm. These
        columns are not orthogonal in the plain dot product (except, nearly, the
        cosines): Chebyshev and Legendre polynomials are orthogonal for other weights.
        With ``orthonormal=True`` column ``i`` is the part of function ``i`` orthogonal
        to functions ``0 ... i - 1``, normalised; Chebyshev and Legendre polynomials then
        give the same columns (both span the polynomials of degree ``<= i``).
    """
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    n_functions = check_positive_int(n_functions, "n_functions")
    if n_functions > n_points:
        raise ValueError(f"n_functions must be at most n_points = {n_points}, got {n_functions}")
    if kind not in SMOOTH_BASES:
        raise ValueError(f"kind must be one of {SMOOTH_BASES}, got {kind!r}")
    x = np.linspace(-1.0, 1.0, n_points)
    if kind == "chebyshev":
        values = chebyshev.chebvander(x, n_functions - 1)
    elif kind == "legendre":
        values = legendre.legvander(x, n_functions - 1)
    else:
        values = np.cos(np.pi * np.outer((x + 1) / 2, np.arange(n_functions)))
    values = values / np.linalg.norm(values, axis=0)
    if not orthonormal:
        return values
    Q, R = np.linalg.qr(values)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def zero_crossings(vectors: ArrayLike) -> np.ndarray:
    """Number of sign changes along each column, e.g. the oscillations of a component.

    Parameters
    ----------
    vectors : array_like, shape (n, k)
        One function sampled on ``n`` grid points per column.

    Returns
    -------
    ndarray of int, shape (k,)
        Sign changes between consecutive non-zero entries of each column (exact zeros are
        skipped, so ``(1, 0, -1)`` counts once).
    """
    vectors = as_finite_matrix(vectors, "vectors")
    counts = []
    for column in vectors.T:
        signs = np.sign(column[column != 0])
        counts.append(int(np.count_nonzero(signs[1:] != signs[:-1])))
    return np.array(counts, dtype=int)


def even_share(vectors: ArrayLike) -> np.ndarray:
    """Share of each column's squared norm in its even part about the middle of the grid.

    Parameters
    ----------
    vectors : array_like, shape (n, k)
        One function per column on a grid symmetric about its middle (e.g. ``linspace``).

    Returns
    -------
    ndarray, shape (k,)
        ``||v_e||^2 / ||v||^2`` with ``v_e = (v + reversed v) / 2``, in [0, 1]: 1 for an
        even function, 0 for an odd one (the odd part carries the rest).
    """
    vectors = as_finite_matrix(vectors, "vectors")
    norms = np.sum(vectors ** 2, axis=0)
    if np.any(norms == 0):
        raise ValueError("vectors must not have zero columns")
    even = (vectors + vectors[::-1]) / 2
    return np.sum(even ** 2, axis=0) / norms


def column_cosines(A: ArrayLike, B: ArrayLike) -> np.ndarray:
    """``|cos|`` of the angle between matching columns of two matrices.

    Parameters
    ----------
    A, B : array_like, shape (n, k)
        E.g. the principal components of two samples, in the same order.

    Returns
    -------
    ndarray, shape (k,)
        ``|a_j^T b_j| / (||a_j|| ||b_j||)``, in [0, 1]; signs are ignored, since
        singular vectors are defined up to sign.
    """
    A = as_finite_matrix(A, "A")
    B = as_finite_matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    norms = np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=0)
    if np.any(norms == 0):
        raise ValueError("A and B must not have zero columns")
    return np.abs(np.sum(A * B, axis=0)) / norms


def align_signs(U: ArrayLike, reference: ArrayLike) -> np.ndarray:
    """Flip columns of ``U`` so each has a positive inner product with its closest reference.

    Parameters
    ----------
    U : array_like, shape (n, k)
        E.g. principal components (defined up to sign).
    reference : array_like, shape (n, l)
        E.g. :func:`smooth_basis` columns.

    Returns
    -------
    ndarray, shape (n, k)
        ``U`` with column ``j`` negated when ``<U_j, R_i> < 0`` for the column ``R_i`` of
        largest ``|<U_j, R_i>|``. Only signs change.
    """
    U = as_finite_matrix(U, "U")
    reference = as_finite_matrix(reference, "reference")
    if U.shape[0] != reference.shape[0]:
        raise ValueError(f"U and reference must have the same number of rows, got "
                         f"{U.shape} and {reference.shape}")
    products = reference.T @ U
    closest = products[np.argmax(np.abs(products), axis=0), np.arange(U.shape[1])]
    return U * np.where(closest < 0, -1.0, 1.0)


def bandedness(G: ArrayLike, widths: Sequence[int] = (1, 2, 3)) -> np.ndarray:
    """Share of a matrix's squared mass within ``k`` diagonals of the main diagonal.

    Parameters
    ----------
    G : array_like, shape (p, q)
        E.g. the inner products between smooth basis functions (rows) and principal
        components (columns).
    widths : sequence of int
        Band half-widths ``k >= 0``.

    Returns
    -------
    ndarray, shape (len(widths),)
        ``sum_{|i - j| <= k} G_ij^2 / sum G_ij^2`` for each ``k``, in [0, 1]; 1 for a
        matrix with ``k`` or fewer non-zero diagonals on each side.
    """
    G = as_finite_matrix(G, "G")
    widths = [check_positive_int(k, "width", minimum=0) for k in np.atleast_1d(widths)]
    power = G ** 2
    total = float(power.sum())
    if total == 0:
        raise ValueError("G is zero: its bandedness is undefined")
    rows, cols = np.indices(G.shape)
    offset = np.abs(rows - cols)
    return np.array([float(power[offset <= k].sum()) / total for k in widths])


def _haar_frame(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k orthonormal vectors in R^n drawn uniformly (QR of a Gaussian, signs fixed)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, k)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def random_bandedness(basis: ArrayLike, n_vectors: int, *, widths: Sequence[int] = (1, 2, 3),
                      n_draws: int = 200, span: ArrayLike | None = None,
                      rng: np.random.Generator | int) -> np.ndarray:
    """:func:`bandedness` of ``basis^T Q`` for random orthonormal ``Q``: a null distribution.

    Parameters
    ----------
    basis : array_like, shape (n, l)
        Reference vectors (rows of the map), e.g. :func:`smooth_basis`.
    n_vectors : int
        Number of random orthonormal vectors (columns of the map).
    widths : sequence of int, keyword-only
        Band half-widths, as in :func:`bandedness`.
    n_draws : int, keyword-only
        Number of random draws.
    span : array_like, shape (n, m), m >= n_vectors, keyword-only, optional
        Orthonormal columns; if given, ``Q`` is a uniformly random orthonormal frame
        *inside* their span (e.g. the same principal subspace in a random basis),
        otherwise in all of R^n.
    rng : numpy Generator or int, keyword-only
        Source of randomness (an int seeds a new ``default_rng``).

    Returns
    -------
    ndarray, shape (n_draws, len(widths))
    """
    basis = as_finite_matrix(basis, "basis")
    n_vectors = check_positive_int(n_vectors, "n_vectors")
    n_draws = check_positive_int(n_draws, "n_draws")
    if not isinstance(rng, (np.random.Generator, int, np.integer)) or isinstance(rng, bool):
        raise ValueError(f"rng must be a numpy Generator or an int seed, got {rng!r}")
    rng = np.random.default_rng(rng)
    n = basis.shape[0]
    if span is not None:
        span = as_finite_matrix(span, "span")
        if span.shape[0] != n or span.shape[1] < n_vectors:
            raise ValueError(f"span must have shape ({n}, m) with m >= {n_vectors}, "
                             f"got {span.shape}")
        if np.max(np.abs(span.T @ span - np.eye(span.shape[1]))) > 1e-8:
            raise ValueError("span must have orthonormal columns")
    elif n_vectors > n:
        raise ValueError(f"n_vectors must be at most {n}, got {n_vectors}")
    draws = []
    for _ in range(n_draws):
        if span is None:
            Q = _haar_frame(n, n_vectors, rng)
        else:
            Q = span @ _haar_frame(span.shape[1], n_vectors, rng)
        draws.append(bandedness(basis.T @ Q, widths))
    return np.array(draws)


def empirical_percentile(value: float, samples: ArrayLike) -> float:
    """Percentage of ``samples`` strictly below ``value`` (0 to 100).

    Parameters
    ----------
    value : float
        The observed number, e.g. the bandedness of the real map.
    samples : array_like, shape (n,)
        A finite, non-empty sample, e.g. one column of :func:`random_bandedness`.

    Returns
    -------
    float
        ``100 * (number of samples < value) / n``, in [0, 100]; 100 means ``value``
        exceeds every sample (so with ``n`` samples, resolution ``100 / n``).
    """
    samples = np.asarray(samples, dtype=float).ravel()
    if samples.size == 0 or not np.all(np.isfinite(samples)):
        raise ValueError("samples must be non-empty and finite")
    if not np.isfinite(value):
        raise ValueError(f"value must be finite, got {value!r}")
    return 100.0 * float(np.mean(samples < value))


def descramble_deernet_layer(trained: TrainedDEERNet | DEERNet, X: ArrayLike, layer: int, *,
                             strategy: str = "d") -> Descrambling:
    """Descramble layer 1 or 2 of a DEERNet with one of :data:`STRATEGIES`.

    Parameters
    ----------
    trained : TrainedDEERNet or DEERNet
    X : array_like, shape (n, 256)
        Input signals, one per row; the preactivations ``S = W Z + b 1^T`` come from
        :func:`~descramble_lib.preactivations` (bias included, not centred).
    layer : {1, 2}
    strategy : {"a", "b", "c", "d", "preconditioned"}, keyword-only
        The paper's strategies (a)-(c) (plain Cayley descent, 1000 iterations) and (d)
        (closed form), or the book's preconditioned Cayley descent.

    Returns
    -------
    Descrambling
        ``P`` has shape (80, 80) for layer 1 and (256, 256) for layer 2; apply it as
        ``P @ layer_weights(trained, layer)[0]``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {tuple(STRATEGIES)}, got {strategy!r}")
    return descramble(preactivations(trained, X, layer), **STRATEGIES[strategy])


@dataclass
class DEERNetExplanation:
    """The key numbers of Figures 1-4 for one network (see :func:`explain_deernet`).

    Attributes
    ----------
    results : dict of str to Descrambling
        Layer-1 descramblers by strategy.
    relative_norm, relative_norm_matlab : dict of str to float
        :func:`band_relative_norm` of ``P W1`` per strategy, symmetric and MATLAB rows.
    notch, origin : float
        :func:`zero_frequency_contrast` of ``P W1`` for the closed form (d).
    band_lower_bound : float
        :func:`band_norm_lower_bound` of ``W1``: the smallest relative norm any ``P``
        can reach.
    fourier_correlation : float
        :func:`magnitude_correlation` of the kernel's ``Sigma_K U_K^T`` (first ``d``
        rows) and the layer's ``Sigma_1 V_1^T`` (Figure 3).
    overlap : float
        :func:`subspace_overlap` of the ``n_subspace`` leading right singular vectors
        of ``W1`` with as many leading left singular vectors of the kernel.
    bandedness : ndarray, shape (len(widths),)
        Of the map between ``n_components`` Chebyshev vectors and as many principal
        components of the layer-2 preactivations (Figure 4).
    random_bandedness : ndarray, shape (n_draws, len(widths))
        The same for random orthonormal vectors.
    percentile : ndarray, shape (len(widths),)
        :func:`empirical_percentile` of ``bandedness`` among ``random_bandedness``.
    """

    results: dict[str, Descrambling]
    relative_norm: dict[str, float]
    relative_norm_matlab: dict[str, float]
    notch: float
    origin: float
    band_lower_bound: float
    fourier_correlation: float
    overlap: float
    bandedness: np.ndarray
    random_bandedness: np.ndarray
    percentile: np.ndarray
    widths: tuple[int, ...] = field(default=(1, 2, 3))


def explain_deernet(trained: TrainedDEERNet | DEERNet, X: ArrayLike, *,
                    strategies: Sequence[str] = ("a", "b", "c", "d"),
                    half_width: int = 10, n_subspace: int = 20, n_components: int = 20,
                    widths: Sequence[int] = (1, 2, 3), n_draws: int = 200,
                    kernel: ArrayLike | None = None,
                    rng: np.random.Generator | int) -> DEERNetExplanation:
    """All the numbers of Figures 1-4 for one DEERNet, as computed in "Reproducing the paper".

    Parameters
    ----------
    trained : TrainedDEERNet or DEERNet
    X : array_like, shape (n, 256)
        Signals for the preactivations of both layers.
    strategies : sequence of str, keyword-only
        Layer-1 strategies to run (keys of :data:`STRATEGIES`); must include ``"d"``.
    half_width : int, keyword-only
        Band of the relative norm and of the notch.
    n_subspace : int, keyword-only
        Dimension of the singular subspaces compared for Figure 3.
    n_components : int, keyword-only
        Chebyshev vectors and principal components of Figure 4.
    widths : sequence of int, keyword-only
        Band half-widths of :func:`bandedness`.
    n_draws : int, keyword-only
        Random draws for the null distribution of the bandedness.
    kernel : array_like, shape (256, 256), keyword-only, optional
        Discretised DEER kernel (default: with Delta r weights on the network's grids).
    rng : numpy Generator or int, keyword-only
        For the random draws.

    Returns
    -------
    DEERNetExplanation

    Notes
    -----
    The linear algebra runs on one BLAS thread (:func:`~descramble_lib.blas_threads`),
    which is much faster for these small matrices on a shared machine.
    """
    if "d" not in strategies:
        raise ValueError("strategies must include 'd' (the closed form)")
    with blas_threads(1):
        return _explain_deernet(trained, X, strategies=strategies, half_width=half_width,
                                n_subspace=n_subspace, n_components=n_components,
                                widths=widths, n_draws=n_draws, kernel=kernel, rng=rng)


def _explain_deernet(trained, X, *, strategies, half_width, n_subspace, n_components, widths,
                     n_draws, kernel, rng) -> DEERNetExplanation:
    W1, _ = layer_weights(trained, 1)
    results = {key: descramble_deernet_layer(trained, X, 1, strategy=key) for key in strategies}
    weights = {key: result.P @ W1 for key, result in results.items()}
    notch, origin = zero_frequency_contrast(weights["d"], half_width=half_width)
    if kernel is None:
        kernel = dipolar_kernel(time_grid(), distance_grid(), delta_r_weights=True)
    correlation, overlap = kernel_resemblance(W1, kernel, side="right", n_rows=W1.shape[0],
                                              k=n_subspace)
    S2 = preactivations(trained, X, 2)
    components = singular_subspace(S2, n_components, side="left")
    basis = smooth_basis(S2.shape[0], n_components)
    observed = bandedness(basis.T @ components, widths)
    null = random_bandedness(basis, n_components, widths=widths, n_draws=n_draws, rng=rng)
    percentile = np.array([empirical_percentile(v, null[:, i]) for i, v in enumerate(observed)])
    return DEERNetExplanation(
        results=results,
        relative_norm={k: band_relative_norm(Y, half_width=half_width) for k, Y in weights.items()},
        relative_norm_matlab={k: band_relative_norm(Y, half_width=half_width, rows="matlab")
                              for k, Y in weights.items()},
        notch=notch, origin=origin, band_lower_bound=band_norm_lower_bound(W1, half_width=half_width),
        fourier_correlation=correlation, overlap=overlap,
        bandedness=observed, random_bandedness=null, percentile=percentile,
        widths=tuple(int(k) for k in widths))
