"""A toy signal-recovery problem: recover ``f`` from ``x = B f + noise``.

Signals are smooth random functions on a grid of ``[0, 1]`` (a Gaussian process
with squared-exponential covariance ``C_f``); ``B`` is a Gaussian blur and the
noise is white with standard deviation ``nu``. The best linear estimator of
``f`` from ``x`` is the regularised pseudo-inverse
``C_f B^T (B C_f B^T + nu^2 I)^{-1}``; a linear network trained to map ``x``
back to ``f`` approaches it. The linear-network chapter uses this as the task
of Saxe, McClelland and Ganguli's theory.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._random import as_generator
from .._validation import as_finite_matrix, check_positive_int, check_real

__all__ = ["gaussian_blur_matrix", "squared_exponential_covariance", "smooth_random_signals",
           "blurred_observations", "regularised_pseudo_inverse"]


def _grid(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError("x must be a strictly increasing finite 1-D grid of at least 2 points")
    return x


def _positive(value, name: str) -> float:
    return check_real(value, name, positive=True)


def gaussian_blur_matrix(x: ArrayLike, *, width: float) -> np.ndarray:
    """Row-normalised Gaussian blur on a grid (no periodic wrap-around).

    Parameters
    ----------
    x : array_like, shape (m,)
        Strictly increasing grid (same length unit as ``width``).
    width : float
        Standard deviation of the Gaussian, > 0.

    Returns
    -------
    B : ndarray, shape (m, m)
        ``B[i, j]`` proportional to ``exp(-(x_i - x_j)^2 / (2 width^2))``, each
        row summing to 1, so ``B`` maps a constant signal to itself.
    """
    x = _grid(x)
    width = _positive(width, "width")
    B = np.exp(-0.5 * ((x[:, None] - x[None, :]) / width) ** 2)
    return B / B.sum(axis=1, keepdims=True)


def squared_exponential_covariance(x: ArrayLike, *, length_scale: float) -> np.ndarray:
    """Covariance ``C_f[i, j] = exp(-(x_i - x_j)^2 / (2 ell^2))`` of :func:`smooth_random_signals`.

    Parameters
    ----------
    x : array_like, shape (m,)
        Strictly increasing grid.
    length_scale : float
        Correlation length ``ell > 0`` (unit of ``x``).

    Returns
    -------
    C_f : ndarray, shape (m, m)
        Symmetric positive semi-definite, ones on the diagonal (unit variance).
    """
    x = _grid(x)
    length_scale = _positive(length_scale, "length_scale")
    return np.exp(-0.5 * ((x[:, None] - x[None, :]) / length_scale) ** 2)


def smooth_random_signals(x: ArrayLike, n: int, *, length_scale: float,
                          rng: None | int | np.random.Generator) -> np.ndarray:
    """Samples of a zero-mean Gaussian process with squared-exponential covariance.

    Parameters
    ----------
    x : array_like, shape (m,)
        Strictly increasing grid.
    n : int
        Number of signals.
    length_scale : float
        Correlation length ``ell`` of ``cov(f(x), f(y)) = exp(-(x - y)^2 / (2 ell^2))``.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    F : ndarray, shape (m, n)
        One signal per column, unit variance at every point.
    """
    n = check_positive_int(n, "n")
    covariance = squared_exponential_covariance(x, length_scale=length_scale)
    # The covariance is numerically singular; an eigen-square-root tolerates that.
    eigenvalues, vectors = np.linalg.eigh(covariance)
    root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    return root @ as_generator(rng).standard_normal((covariance.shape[0], n))


def blurred_observations(F: ArrayLike, B: ArrayLike, *, noise: float,
                         rng: None | int | np.random.Generator) -> np.ndarray:
    """Observations ``X = B F + noise * xi`` with ``xi`` standard Gaussian.

    Parameters
    ----------
    F : array_like, shape (m, n)
        Clean signals, one per column.
    B : array_like, shape (m_obs, m)
        Forward operator (e.g. :func:`gaussian_blur_matrix`).
    noise : float
        Noise standard deviation ``nu >= 0`` (same unit as the signals).
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    X : ndarray, shape (m_obs, n)
    """
    F = as_finite_matrix(F, "F")
    B = as_finite_matrix(B, "B")
    if B.shape[1] != F.shape[0]:
        raise ValueError(f"B has {B.shape[1]} columns but F has {F.shape[0]} rows")
    noise = check_real(noise, "noise", minimum=0.0)
    return B @ F + noise * as_generator(rng).standard_normal((B.shape[0], F.shape[1]))


def regularised_pseudo_inverse(B: ArrayLike, C_f: ArrayLike, *, noise: float) -> np.ndarray:
    """Best linear estimator of ``f`` from ``x = B f + nu xi``: ``C_f B^T (B C_f B^T + nu^2 I)^{-1}``.

    Parameters
    ----------
    B : array_like, shape (m_obs, m)
        Forward operator.
    C_f : array_like, shape (m, m)
        Covariance of the zero-mean signals ``f`` (symmetric positive semi-definite).
    noise : float
        Standard deviation ``nu > 0`` of the white noise ``nu xi``.

    Returns
    -------
    G : ndarray, shape (m, m_obs)
        The map ``x -> E[f | x]`` for Gaussian ``f`` and noise (the Wiener
        filter): ``B``'s pseudo-inverse regularised by the prior ``C_f`` and the
        noise. It minimises ``E ||f - G x||^2`` over all matrices ``G``.
    """
    B = as_finite_matrix(B, "B")
    C_f = as_finite_matrix(C_f, "C_f")
    m = B.shape[1]
    if C_f.shape != (m, m):
        raise ValueError(f"C_f must have shape ({m}, {m}) to match B {B.shape}, got {C_f.shape}")
    if not np.allclose(C_f, C_f.T, rtol=1e-12, atol=1e-12 * float(np.max(np.abs(C_f)))):
        raise ValueError("C_f must be symmetric")
    noise = _positive(noise, "noise")
    C_x = B @ C_f @ B.T + noise**2 * np.eye(B.shape[0])
    # G C_x = C_f B^T, with C_x symmetric positive definite.
    return np.linalg.solve(C_x, B @ C_f).T
