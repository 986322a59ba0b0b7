"""Tikhonov regularisation with the parameter chosen by generalised cross-validation (GCV).

The classical way to invert an ill-posed linear problem ``y = K x + noise``:

    x_alpha = argmin ||K x - y||^2 + alpha^2 ||L x||^2,

with ``L`` a roughness penalty (here the second-difference matrix, as is usual for
DEER distance distributions) and ``alpha`` picked by minimising the GCV function of
Golub, Heath and Wahba,

    GCV(alpha) = m ||K x_alpha - y||^2 / tr(I - H_alpha)^2,
    H_alpha = K (K^T K + alpha^2 L^T L)^{-1} K^T   (the influence matrix),

which estimates the prediction error without knowing the noise level.
:func:`tikhonov_deer` applies it to simulated DEER data (the classical baseline
DEERNet is compared with).
Several right-hand sides are handled at once: the influence matrix depends on
``alpha`` only, so each ``alpha`` costs one QR factorisation whatever the number
of signals, and every signal gets its own ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._validation import as_finite_matrix, check_positive_int
from .deer import DEERSimulation, dipolar_kernel

__all__ = ["second_difference_operator", "tikhonov", "gcv_tikhonov", "TikhonovResult",
           "tikhonov_deer"]

# A triangular factor whose smallest diagonal entry is below this fraction of the
# largest is treated as singular ([K; L] rank deficient).
_RANK_TOLERANCE = 1e3 * np.finfo(float).eps


def second_difference_operator(n: int) -> np.ndarray:
    """Second-difference matrix ``L`` with ``(L x)_i = x_i - 2 x_{i+1} + x_{i+2}``.

    Parameters
    ----------
    n : int
        Number of unknowns (>= 3).

    Returns
    -------
    L : ndarray, shape (n - 2, n)
        Its null space holds the constant and linear vectors.
    """
    n = check_positive_int(n, "n", minimum=3)
    return np.diff(np.eye(n), 2, axis=0)


def _check_problem(K, y, L):
    K = as_finite_matrix(K, "K")
    y = np.asarray(y, dtype=float)
    if y.ndim not in (1, 2) or y.shape[0] != K.shape[0]:
        raise ValueError(f"y must have shape ({K.shape[0]},) or ({K.shape[0]}, k) to match "
                         f"K of shape {K.shape}, got {y.shape}")
    if y.size == 0 or not np.all(np.isfinite(y)):
        raise ValueError("y must be non-empty and finite")
    if L is None:
        L = np.eye(K.shape[1])
    L = as_finite_matrix(L, "L")
    if not np.any(K):
        raise ValueError("K is zero: there is nothing to invert")
    if L.shape[1] != K.shape[1]:
        raise ValueError(f"L must have {K.shape[1]} columns to match K, got shape {L.shape}")
    return K, y, L


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not np.isscalar(alpha) or not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive finite number, got {alpha!r}")
    return float(alpha)


def _solution_operator(K: np.ndarray, L: np.ndarray, alpha: float) -> np.ndarray:
    """``G = (K^T K + alpha^2 L^T L)^{-1} K^T`` via a QR factorisation of ``[K; alpha L]``.

    Stable where the normal equations are not: their condition number is the square
    of that of the stacked matrix.
    """
    Q, R = scipy.linalg.qr(np.vstack([K, alpha * L]), mode="economic")
    if np.min(np.abs(np.diag(R))) <= _RANK_TOLERANCE * np.max(np.abs(np.diag(R))):
        raise ValueError("[K; alpha L] is rank deficient: the null spaces of K and L intersect")
    return scipy.linalg.solve_triangular(R, Q[: K.shape[0]].T)


def tikhonov(K, y, alpha: float, *, L=None) -> np.ndarray:
    """Tikhonov solution ``argmin ||K x - y||^2 + alpha^2 ||L x||^2``.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator.
    y : array_like, shape (m,) or (m, k)
        Data; with k columns, k problems are solved at once.
    alpha : float
        Regularisation parameter (> 0), in the units of ``K``.
    L : array_like, shape (p, n), keyword-only, optional
        Penalty operator (default identity); ``[K; L]`` must have full column rank.

    Returns
    -------
    x : ndarray, shape (n,) or (n, k)
    """
    K, y, L = _check_problem(K, y, L)
    return _solution_operator(K, L, _check_alpha(alpha)) @ y


@dataclass
class TikhonovResult:
    """Result of :func:`gcv_tikhonov` (k = number of right-hand sides; no k axis for one).

    Attributes
    ----------
    solution : ndarray, shape (n,) or (n, k)
        Tikhonov solution at the GCV-optimal alpha of each column.
    alpha : float or ndarray, shape (k,)
        The chosen regularisation parameters.
    alphas : ndarray, shape (n_alpha,)
        The grid searched (ascending).
    gcv : ndarray, shape (n_alpha,) or (n_alpha, k)
        GCV function on the grid.
    residual_norm, penalty_norm : ndarray, shape (n_alpha,) or (n_alpha, k)
        ``||K x_alpha - y||`` and ``||L x_alpha||`` on the grid (the L-curve).
    """

    solution: np.ndarray
    alpha: float | np.ndarray
    alphas: np.ndarray
    gcv: np.ndarray
    residual_norm: np.ndarray
    penalty_norm: np.ndarray


def gcv_tikhonov(K, y, *, L=None, alphas=None) -> TikhonovResult:
    """Tikhonov regularisation with alpha chosen by generalised cross-validation.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator (m >= n).
    y : array_like, shape (m,) or (m, k)
        Data, one problem per column.
    L : array_like, shape (p, n), keyword-only, optional
        Penalty operator with full row rank p <= n (default identity), such that
        ``[K; L]`` has full column rank (e.g. :func:`second_difference_operator`).
    alphas : array_like, shape (n_alpha,), keyword-only, optional
        Positive grid of regularisation parameters. Default: 121 values, log-spaced
        from ``1e-8 s`` to ``1e4 s`` with ``s = ||K||_2 / ||L||_2``.

    Returns
    -------
    TikhonovResult
        Solutions, chosen alphas, and the GCV function and L-curve on the grid.

    Notes
    -----
    ``GCV(alpha) = m ||(I - H) y||^2 / tr(I - H)^2``. It is evaluated through the
    standard-form transformation of Elden (1982): with ``N`` a basis of the null
    space of ``L`` and ``L_K^+ = (I - N (K N)^+ K) L^+``, the problem becomes
    ordinary Tikhonov for ``A = K L_K^+`` with data ``y`` projected off
    ``range(K N)``; one SVD ``A = U diag(s) V^T`` then gives every grid point
    through the filter factors ``s^2 / (s^2 + alpha^2)``:

        ||(I - H) y||^2 = sum (1 - f_i)^2 beta_i^2 + ||y_perp||^2 - ||beta||^2,
        tr(I - H) = m - dim null(L) - sum f_i,     beta = U^T y_perp.

    The minimiser over the grid is taken for each column. A minimiser at an end
    of the grid is returned as is: widen the grid if ``alpha`` equals
    ``alphas[0]`` or ``alphas[-1]``.
    """
    K, y, L = _check_problem(K, y, L)
    m, n = K.shape
    p = L.shape[0]
    if m < n:
        raise ValueError(f"K must have at least as many rows as columns, got shape {K.shape}")
    if p > n or np.linalg.matrix_rank(L) < p:
        raise ValueError(f"L must have full row rank <= {n}, got shape {L.shape} and rank "
                         f"{np.linalg.matrix_rank(L)}")
    if alphas is None:
        scale = np.linalg.norm(K, 2) / np.linalg.norm(L, 2)
        alphas = scale * np.logspace(-8, 4, 121)
    alphas = np.asarray(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(
            alphas <= 0):
        raise ValueError("alphas must be a non-empty 1-D array of positive finite numbers")
    alphas = np.sort(alphas)
    single = y.ndim == 1
    Y = y[:, None] if single else y

    # Standard form (Elden 1982): x = L_K^+ xbar + x0, ||L x|| = ||xbar||.
    L_pinv = np.linalg.pinv(L)
    N = scipy.linalg.null_space(L)
    q = N.shape[1]
    if q:
        Q0, R0 = scipy.linalg.qr(K @ N, mode="economic")
        if np.min(np.abs(np.diag(R0))) <= _RANK_TOLERANCE * np.linalg.norm(K, 2):
            raise ValueError("[K; L] is rank deficient: K vanishes on the null space of L")
        KN_pinv = scipy.linalg.solve_triangular(R0, Q0.T)          # (K N)^+, shape (q, m)
        L_K = L_pinv - N @ (KN_pinv @ (K @ L_pinv))
        X0 = N @ (KN_pinv @ Y)
        Y_perp = Y - Q0 @ (Q0.T @ Y)
    else:
        L_K, X0, Y_perp = L_pinv, np.zeros((n, Y.shape[1])), Y
    U, s, Vt = np.linalg.svd(K @ L_K, full_matrices=False)
    beta = U.T @ Y_perp                                             # (p, k)
    outside = np.maximum(np.sum(Y_perp**2, axis=0) - np.sum(beta**2, axis=0), 0.0)

    filters = s[None, :] ** 2 / (s[None, :] ** 2 + alphas[:, None] ** 2)    # (n_alpha, p)
    residual2 = ((1.0 - filters) ** 2) @ beta**2 + outside          # (n_alpha, k)
    penalty2 = (filters / s) ** 2 @ beta**2
    trace = m - q - filters.sum(axis=1)
    gcv = m * residual2 / trace[:, None] ** 2
    best = np.argmin(gcv, axis=0)
    chosen = alphas[best]
    coefficients = filters[best].T / s[:, None] * beta              # xbar in the V basis
    solution = L_K @ (Vt.T @ coefficients) + X0
    result = TikhonovResult(solution, chosen, alphas, gcv, np.sqrt(residual2),
                            np.sqrt(penalty2))
    if single:
        result = TikhonovResult(solution[:, 0], float(chosen[0]), alphas, gcv[:, 0],
                                np.sqrt(residual2[:, 0]), np.sqrt(penalty2[:, 0]))
    return result


def tikhonov_deer(sim: DEERSimulation, *, alphas=None) -> TikhonovResult:
    """Classical DEER inversion: Tikhonov with a second-difference penalty and GCV.

    Parameters
    ----------
    sim : DEERSimulation
        Signals to invert; their *true* backgrounds and modulation depths are used
        to form ``F = (V / B - (1 - lambda)) / lambda``
        (:meth:`DEERSimulation.corrected_form_factors`), an oracle correction that
        favours this baseline.
    alphas : array_like, keyword-only, optional
        Grid for :func:`gcv_tikhonov` (default: its own).

    Returns
    -------
    TikhonovResult
        ``solution`` has shape (256, n): one distribution per **column**, in 1/nm
        (the kernel carries the Delta-r weights, so ``int P dr`` is about 1), not
        constrained to be non-negative; ``alpha`` has shape (n,).
    """
    if not isinstance(sim, DEERSimulation):
        raise ValueError(f"sim must be a DEERSimulation, got {type(sim).__name__}")
    K = dipolar_kernel(sim.t, sim.r, delta_r_weights=True)
    L = second_difference_operator(sim.r.size)
    return gcv_tikhonov(K, sim.corrected_form_factors().T, L=L, alphas=alphas)
