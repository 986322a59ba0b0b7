"""Figure 4 as the paper's script ``fig4.m`` computes it: Chebyshev polynomials of degree
1 ... 20, the middle-sample normalisation of principal components, least-squares polynomial
fits with prediction bands, and the raw inner products of the first ten (not
orthonormalised), with a null distribution for their bandedness.

The book's own, sharper version of Figure 4 (unit-norm and orthonormalised bases) is in
:mod:`.components`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.linalg
import scipy.stats
from numpy.polynomial import chebyshev
from numpy.typing import ArrayLike

from .._random import as_generator
from .._validation import as_finite_matrix, as_finite_vector, check_positive_int, check_real
from .components import _haar_frame, bandedness

__all__ = ["original_chebyshev", "original_normalisation", "PolynomialBand",
           "polynomial_prediction_band", "original_inner_products", "OriginalFigure4",
           "original_figure_4", "original_random_bandedness"]


def original_chebyshev(n_points: int = 256, max_degree: int = 20) -> np.ndarray:
    """Chebyshev polynomials ``C_1 ... C_max_degree`` on ``linspace(-1, 1, n_points)``.

    Parameters
    ----------
    n_points : int
        Grid size (>= 2); 256 in the paper (the distance axis mapped onto [-1, 1]).
    max_degree : int
        Highest degree (>= 1); 20 in the paper. Degree 0 is not included, as in ``fig4.m``.

    Returns
    -------
    ndarray, shape (n_points, max_degree)
        Column ``j`` is ``C_{j+1}(x)``, not normalised (its largest magnitude is 1, at the
        ends of the grid).
    """
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    max_degree = check_positive_int(max_degree, "max_degree")
    x = np.linspace(-1.0, 1.0, n_points)
    return chebyshev.chebvander(x, max_degree)[:, 1:]


def original_normalisation(U: ArrayLike) -> np.ndarray:
    """Normalise principal components as ``fig4.m`` does: middle-sample sign rule, max-abs 1.

    Parameters
    ----------
    U : array_like, shape (n, k)
        Principal components, one per column, ``n`` even (256 in the paper); column ``j``
        has the paper's 1-based index ``i = j + 1``.

    Returns
    -------
    ndarray, shape (n, k)
        Column ``j`` is ``s_i u_i / max|u_i|`` with the sign ``s_i`` below.

    Raises
    ------
    ValueError
        Non-finite or non-2-D ``U``, odd ``n``, or a column whose two middle samples
        average to exactly 0 (the script would divide by zero there).

    Notes
    -----
    With ``m_i`` the mean of the two middle samples (MATLAB ``u(128)``, ``u(129)`` for
    ``n = 256``), the script divides ``u_i`` by ``|m_i|``; for even ``i`` it then
    multiplies by ``sign(m_i)`` if ``i`` is a multiple of 4 and by ``-sign(m_i)``
    otherwise; finally it divides by ``max|u_i|``. The division by ``|m_i|`` is undone by
    the final scaling, so all that survives is the sign: for even ``i`` the middle value
    gets the sign of ``C_i(0) = cos(i pi / 2) = (-1)^{i/2}``; for odd ``i`` (where
    ``C_i(0) = 0``) the sign the SVD returned is kept.
    """
    U = as_finite_matrix(U, "U")
    n = U.shape[0]
    if n % 2:
        raise ValueError(f"U must have an even number of rows (two middle samples), got {n}")
    middle = 0.5 * (U[n // 2 - 1] + U[n // 2])
    if np.any(middle == 0):
        bad = np.flatnonzero(middle == 0) + 1
        raise ValueError(f"columns {bad.tolist()} (1-based) have a zero middle mean: the "
                         "original normalisation divides by it")
    index = np.arange(1, U.shape[1] + 1)
    sign = np.where(index % 2 == 1, 1.0,
                    np.where(index % 4 == 0, 1.0, -1.0) * np.sign(middle))
    return U * sign / np.max(np.abs(U), axis=0)


@dataclass(frozen=True)
class PolynomialBand:
    """A least-squares polynomial fit with its prediction band (see
    :func:`polynomial_prediction_band`).

    Attributes
    ----------
    x : ndarray, shape (n,)
        Sample points.
    fit : ndarray, shape (n,)
        Fitted polynomial at ``x``.
    standard_error : ndarray, shape (n,)
        ``s sqrt(1 + h(x))``, the standard error of predicting a new observation (MATLAB
        ``polyval``'s ``delta``).
    quantile : float
        Student-t quantile ``t_{(1 + level)/2, n - degree - 1}`` the band uses.
    degree : int
    level : float
    """

    x: np.ndarray
    fit: np.ndarray
    standard_error: np.ndarray
    quantile: float
    degree: int
    level: float

    @property
    def lower(self) -> np.ndarray:
        """Lower edge of the band, shape (n,)."""
        return self.fit - self.quantile * self.standard_error

    @property
    def upper(self) -> np.ndarray:
        """Upper edge of the band, shape (n,)."""
        return self.fit + self.quantile * self.standard_error

    def share_inside(self, values: ArrayLike) -> float:
        """Share of the ``n`` points where ``values`` (shape (n,)) lies inside the band."""
        values = as_finite_vector(values, "values")
        if values.shape != self.fit.shape:
            raise ValueError(f"values must have shape {self.fit.shape}, got {values.shape}")
        return float(np.mean((values >= self.lower) & (values <= self.upper)))


def polynomial_prediction_band(x: ArrayLike, y: ArrayLike, degree: int, *,
                               level: float = 0.95) -> PolynomialBand:
    """Least-squares polynomial fit of ``y`` on ``x`` with a prediction band.

    Parameters
    ----------
    x : array_like, shape (n,)
        Sample points (at least ``degree + 2`` distinct values), e.g. ``linspace(-1, 1, 256)``.
    y : array_like, shape (n,)
        Values, e.g. a normalised principal component.
    degree : int
        Polynomial degree (>= 0).
    level : float, keyword-only
        Coverage of the band, in (0, 1).

    Returns
    -------
    PolynomialBand

    Notes
    -----
    With the design matrix ``A`` (``n x p``, ``p = degree + 1``; here Chebyshev columns on
    ``x`` mapped to [-1, 1], which spans the same polynomials as monomials but is better
    conditioned), the fit is ``A beta``, ``s^2 = ||y - A beta||^2 / (n - p)`` and the
    leverage is ``h(x_k) = a_k^T (A^T A)^{-1} a_k``. The band is
    ``fit +- t_{(1 + level)/2, n - p} s sqrt(1 + h)``: under the linear model with
    independent Gaussian errors of equal variance it holds a new observation at ``x_k``
    with probability ``level``. MATLAB's ``polyval(p, x, S)`` returns the same
    ``s sqrt(1 + h)`` as ``delta``; ``fig4.m`` draws ``fit +- 2 delta``.
    """
    x = as_finite_vector(x, "x")
    y = as_finite_vector(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    degree = check_positive_int(degree, "degree", minimum=0)
    level = check_real(level, "level")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    p = degree + 1
    if np.unique(x).size < p + 1:
        raise ValueError(f"a degree-{degree} fit with a prediction band needs at least "
                         f"{p + 1} distinct x values, got {np.unique(x).size}")
    low, high = float(x.min()), float(x.max())
    A = chebyshev.chebvander((2 * x - low - high) / (high - low), degree)
    Q, R = np.linalg.qr(A)
    beta = scipy.linalg.solve_triangular(R, Q.T @ y)
    fit = A @ beta
    dof = x.size - p
    s = np.sqrt(np.sum((y - fit) ** 2) / dof)
    leverage = np.sum(Q ** 2, axis=1)
    return PolynomialBand(x=x, fit=fit, standard_error=s * np.sqrt(1 + leverage),
                          quantile=float(scipy.stats.t.ppf((1 + level) / 2, dof)),
                          degree=degree, level=level)


def original_inner_products(U: ArrayLike, *, n: int = 10) -> np.ndarray:
    """Panel 6 of ``fig4.m``: ``|polys^T chebs|`` for the first ``n`` of each.

    Parameters
    ----------
    U : array_like, shape (n_points, k), k >= n
        Principal components (columns), ``n_points`` even.
    n : int, keyword-only
        Number of components and of Chebyshev degrees (10 in the paper).

    Returns
    -------
    ndarray, shape (n, n)
        Entry ``(i, j)`` is ``|<v_{i+1}, C_{j+1}>|``: rows are components ``1 ... n``
        normalised by :func:`original_normalisation` (max-abs 1), columns Chebyshev
        polynomials of degree ``1 ... n`` (max-abs 1). Raw inner products, not cosines:
        neither family has unit norm, and the Chebyshev vectors are not orthogonal.
    """
    U = as_finite_matrix(U, "U")
    n = check_positive_int(n, "n")
    if U.shape[1] < n:
        raise ValueError(f"U must have at least n = {n} columns, got {U.shape[1]}")
    polys = original_normalisation(U[:, :n])
    return np.abs(polys.T @ original_chebyshev(U.shape[0], n))


@dataclass(frozen=True)
class OriginalFigure4:
    """Everything the original Figure 4 shows (see :func:`original_figure_4`).

    Attributes
    ----------
    x : ndarray, shape (n_points,)
        ``linspace(-1, 1, n_points)``.
    chebyshev : ndarray, shape (n_points, 20)
        :func:`original_chebyshev`, degrees 1 ... 20.
    components : ndarray, shape (n_points, 20)
        :func:`original_normalisation` of the first 20 principal components.
    bands : tuple of PolynomialBand
        Fit of degree ``i`` to component ``i``, for ``i = 1 ... n_fits`` (panels 1-5).
    inner_products : ndarray, shape (n_products, n_products)
        :func:`original_inner_products` (panel 6).
    """

    x: np.ndarray
    chebyshev: np.ndarray
    components: np.ndarray
    bands: tuple[PolynomialBand, ...]
    inner_products: np.ndarray

    def chebyshev_inside(self) -> np.ndarray:
        """Share of points where ``C_i`` lies in the band of component ``i``, shape (n_fits,)."""
        return np.array([band.share_inside(self.chebyshev[:, band.degree - 1])
                         for band in self.bands])


def original_figure_4(U: ArrayLike, *, n_fits: int = 5, n_products: int = 10,
                      level: float = 0.95) -> OriginalFigure4:
    """Compute Figure 4 as ``fig4.m`` does, from the principal components ``U``.

    Parameters
    ----------
    U : array_like, shape (n_points, k), k >= 20
        Principal components of the second-layer preactivations (left singular vectors,
        in order of decreasing singular value), ``n_points`` even (256).
    n_fits : int, keyword-only
        Number of panels with a fit (5), at most 20.
    n_products : int, keyword-only
        Size of the inner-product map (10), at most 20.
    level : float, keyword-only
        Coverage of the prediction bands. ``fig4.m`` draws ``+- 2`` standard errors, which
        it labels "95 % prediction interval"; here the Student-t quantile is used.

    Returns
    -------
    OriginalFigure4
    """
    U = as_finite_matrix(U, "U")
    n_fits = check_positive_int(n_fits, "n_fits")
    n_products = check_positive_int(n_products, "n_products")
    if U.shape[1] < 20 or max(n_fits, n_products) > 20:
        raise ValueError(f"U needs at least 20 columns and n_fits, n_products at most 20, "
                         f"got U.shape = {U.shape}, n_fits = {n_fits}, n_products = {n_products}")
    x = np.linspace(-1.0, 1.0, U.shape[0])
    components = original_normalisation(U[:, :20])
    bands = tuple(polynomial_prediction_band(x, components[:, i - 1], i, level=level)
                  for i in range(1, n_fits + 1))
    return OriginalFigure4(x=x, chebyshev=original_chebyshev(U.shape[0], 20),
                           components=components, bands=bands,
                           inner_products=original_inner_products(U, n=n_products))


def original_random_bandedness(n_points: int, n_vectors: int, *,
                               widths: Sequence[int] = (1, 2),
                               n_draws: int = 200,
                               rng: None | int | np.random.Generator) -> np.ndarray:
    """:func:`bandedness` of :func:`original_inner_products` of random orthonormal vectors.

    Parameters
    ----------
    n_points : int
        Length of the vectors (even; 256).
    n_vectors : int
        Size of the map (10 in the paper), at most ``n_points``.
    widths : sequence of int, keyword-only
        Band half-widths, as in :func:`bandedness`.
    n_draws : int, keyword-only
        Number of draws.
    rng : numpy Generator or int, keyword-only
        Source of randomness (an int seeds a new ``default_rng``).

    Returns
    -------
    ndarray, shape (n_draws, len(widths))
        A null distribution for the bandedness of the original's panel 6: the same raw
        treatment (middle-sample normalisation, max-abs 1, degrees 1 ... n) applied to
        ``n_vectors`` Haar-random orthonormal vectors.
    """
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    n_vectors = check_positive_int(n_vectors, "n_vectors")
    n_draws = check_positive_int(n_draws, "n_draws")
    if n_vectors > n_points:
        raise ValueError(f"n_vectors must be at most n_points = {n_points}, got {n_vectors}")
    rng = as_generator(rng)
    return np.array([bandedness(original_inner_products(_haar_frame(n_points, n_vectors, rng),
                                                        n=n_vectors), widths)
                     for _ in range(n_draws)])
