"""The shape of single components (Figure 4): smooth reference bases (Chebyshev, Legendre,
cosines), zero crossings, even/odd shares, inner-product maps, bandedness and its null
distribution under random orthonormal frames, and empirical percentiles."""

from __future__ import annotations
from typing import Sequence
import numpy as np
from numpy.typing import ArrayLike
from numpy.polynomial import chebyshev, legendre
from .._random import as_generator
from .._validation import as_finite_matrix, check_positive_int

__all__ = ["SMOOTH_BASES", "smooth_basis", "zero_crossings", "even_share", "column_cosines",
           "align_signs", "bandedness", "random_bandedness", "empirical_percentile"]


#: Kinds of :func:`smooth_basis`.
SMOOTH_BASES = ("chebyshev", "legendre", "cosine")


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
                      rng: None | int | np.random.Generator) -> np.ndarray:
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
    rng = as_generator(rng)
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
