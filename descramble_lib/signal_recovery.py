"""A toy signal-recovery problem: recover ``f`` from ``x = K f + noise``.

Signals are smooth random functions on a grid of ``[0, 1]``; ``K`` is a
Gaussian blur. A network trained to map ``x`` back to ``f`` learns a
(regularised) pseudo-inverse of ``K``; the linear-network chapter uses it as the
task of Saxe, McClelland and Ganguli's theory.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_finite_matrix, check_positive_int

__all__ = ["gaussian_blur_matrix", "smooth_random_signals", "blurred_observations"]


def _grid(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError("x must be a strictly increasing finite 1-D grid of at least 2 points")
    return x


def _positive(value, name: str) -> float:
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def gaussian_blur_matrix(x, *, width: float) -> np.ndarray:
    """Row-normalised Gaussian blur on a grid (no periodic wrap-around).

    Parameters
    ----------
    x : array_like, shape (m,)
        Strictly increasing grid (same length unit as ``width``).
    width : float
        Standard deviation of the Gaussian, > 0.

    Returns
    -------
    K : ndarray, shape (m, m)
        ``K[i, j]`` proportional to ``exp(-(x_i - x_j)^2 / (2 width^2))``, each
        row summing to 1, so ``K`` maps a constant signal to itself.
    """
    x = _grid(x)
    width = _positive(width, "width")
    K = np.exp(-0.5 * ((x[:, None] - x[None, :]) / width) ** 2)
    return K / K.sum(axis=1, keepdims=True)


def smooth_random_signals(x, n: int, *, length_scale: float,
                          rng: np.random.Generator) -> np.ndarray:
    """Samples of a zero-mean Gaussian process with squared-exponential covariance.

    Parameters
    ----------
    x : array_like, shape (m,)
        Strictly increasing grid.
    n : int
        Number of signals.
    length_scale : float
        Correlation length ``ell`` of ``cov(f(x), f(y)) = exp(-(x - y)^2 / (2 ell^2))``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    F : ndarray, shape (m, n)
        One signal per column, unit variance at every point.
    """
    x = _grid(x)
    n = check_positive_int(n, "n")
    length_scale = _positive(length_scale, "length_scale")
    covariance = np.exp(-0.5 * ((x[:, None] - x[None, :]) / length_scale) ** 2)
    # The covariance is numerically singular; an eigen-square-root tolerates that.
    eigenvalues, vectors = np.linalg.eigh(covariance)
    root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    return root @ rng.standard_normal((x.size, n))


def blurred_observations(F, K, *, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Observations ``X = K F + noise * xi`` with ``xi`` standard Gaussian.

    Parameters
    ----------
    F : array_like, shape (m, n)
        Clean signals, one per column.
    K : array_like, shape (m_obs, m)
        Forward operator (e.g. :func:`gaussian_blur_matrix`).
    noise : float
        Noise standard deviation, >= 0 (same unit as the signals).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    X : ndarray, shape (m_obs, n)
    """
    F = as_finite_matrix(F, "F")
    K = as_finite_matrix(K, "K")
    if K.shape[1] != F.shape[0]:
        raise ValueError(f"K has {K.shape[1]} columns but F has {F.shape[0]} rows")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return K @ F + noise * rng.standard_normal((K.shape[0], F.shape[1]))
