"""Tikhonov regularisation with the parameter chosen by generalised cross-validation (GCV).

The classical way to invert an ill-posed linear problem ``y = K x + noise``:

    x_alpha = argmin ||K x - y||^2 + alpha^2 ||L x||^2,

with ``L`` a roughness penalty (here the second-difference matrix, as is usual for
DEER distance distributions) and ``alpha`` picked by minimising the GCV function of
Golub, Heath and Wahba,

    GCV(alpha) = m ||K x_alpha - y||^2 / tr(I - H_alpha)^2,
    H_alpha = K (K^T K + alpha^2 L^T L)^{-1} K^T   (the influence matrix),

which estimates the prediction error without knowing the noise level, assuming the
noise is white (optional row weights whiten known, unequal noise levels).
:func:`nonnegative_tikhonov` solves the same problem under ``x >= 0`` (non-negative
least squares on the stacked system ``[K; alpha L]``), as DEER software does for
distance distributions.
:func:`tikhonov_deer` applies GCV to simulated DEER data (the classical baseline
DEERNet is compared with).
Several right-hand sides are handled at once: the influence matrix depends on
``alpha`` only, so one singular value decomposition serves every ``alpha`` and every
signal, and every signal gets its own ``alpha``.

Scale: ``K``, ``L``, each column of ``y`` and the weights are divided by powers of two
(exactly) to bring their largest entries into [0.5, 1), and ``alpha`` and the results are
mapped accordingly: ``K, y -> 2^k K, 2^k y`` gives the same solution bit for bit, for any
``k``. A result beyond float64 (e.g. a solution above 1e308) raises ``ValueError``.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg
import scipy.optimize
from threadpoolctl import threadpool_limits

from .._validation import (_as_real_array, as_finite_matrix, as_finite_vector, check_bool,
                           check_positive_int, check_real)
from .physics import DEERSimulation, dipolar_kernel

__all__ = ["second_difference_operator", "tikhonov", "TikhonovResult", "gcv_tikhonov",
           "nonnegative_tikhonov", "tikhonov_deer"]


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
    y = _as_real_array(y, "y")
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


def _exponents(a: np.ndarray, axis=None) -> np.ndarray:
    """Binary exponents e with max |a| (over ``axis``) in [2^(e-1), 2^e); 0 where all zero."""
    largest = np.max(np.abs(a), axis=axis)
    return np.where(largest > 0, np.frexp(largest)[1], 0)


def _normalised(K, L, Y):
    """``K = 2^p K~``, ``L = 2^l L~``, column j of ``Y = 2^q_j Y~_j``, largest entries in [0.5, 1).

    Then ``x_j = 2^(q_j - p) x~_j`` and ``alpha~ = alpha 2^(l - p)`` (row weights ``2^a w~``
    divide ``alpha~`` by ``2^a`` more).
    """
    p, l, q = _exponents(K), _exponents(L), _exponents(Y, axis=0)
    return _scaled(K, -p), _scaled(L, -l), _scaled(Y, -q[None, :]), p, l, q


def _scaled(a: np.ndarray, exponent) -> np.ndarray:
    """``a * 2**exponent`` (exact unless it leaves the normal range; inf on overflow)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(a, exponent)


def _scaled_back(a: np.ndarray, exponent, what: str) -> np.ndarray:
    a = _scaled(a, exponent)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} does not fit in float64 (|y| / |K| beyond about 1e308)")
    return a


def _penalty_factors(L: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``L^+`` of the full-row-rank factor ``diag(sigma) V^T`` of ``L`` (same ``||L x||``),
    an orthonormal basis ``N`` of the null space of ``L``, and the rank of ``L``."""
    _, sigma, Vt = np.linalg.svd(L, full_matrices=True)
    rank = int(np.sum(sigma > max(L.shape) * np.finfo(float).eps * sigma[0])) if sigma.size else 0
    return Vt[:rank].T / sigma[:rank], Vt[rank:].T, rank


@dataclass
class _StandardForm:
    """Elden's standard form of ``min ||K x - y||^2 + alpha^2 ||L x||^2`` for one (K, L).

    ``x = L_K xbar + N (K N)^+ y`` with ``xbar`` the ordinary Tikhonov solution for
    ``A = K L_K = U diag(s) V^T`` and data ``y`` projected off ``range(K N) = range(Q0)``."""

    N: np.ndarray
    Q0: np.ndarray | None
    KN_pinv: np.ndarray | None
    L_K: np.ndarray
    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray

    @classmethod
    def of(cls, K, L_pinv, N, K_norm) -> "_StandardForm":    # K_norm >= ||K||_2: rank tolerance
        Q0 = KN_pinv = None
        L_K = L_pinv
        if N.shape[1]:
            Q0, R0 = scipy.linalg.qr(K @ N, mode="economic")
            if np.min(np.abs(np.diag(R0))) <= _RANK_TOLERANCE * K_norm:
                raise ValueError("[K; L] is rank deficient: K vanishes on the null space of L")
            KN_pinv = scipy.linalg.solve_triangular(R0, Q0.T)          # (K N)^+, shape (q, m)
            L_K = L_pinv - N @ (KN_pinv @ (K @ L_pinv))
        if L_K.shape[1] == 0:                                         # L = 0: least squares
            U, s, Vt = np.zeros((K.shape[0], 0)), np.zeros(0), np.zeros((0, 0))
        else:
            U, s, Vt = np.linalg.svd(K @ L_K, full_matrices=False)
        return cls(N, Q0, KN_pinv, L_K, U, s, Vt)

    def split(self, Y):
        """``x0 = N (K N)^+ Y`` and ``Y`` projected off ``range(K N)``."""
        if self.Q0 is None:
            return np.zeros((self.L_K.shape[0], Y.shape[1])), Y
        return self.N @ (self.KN_pinv @ Y), Y - self.Q0 @ (self.Q0.T @ Y)

    def solution(self, beta, g, X0):
        """``x = L_K V (g * beta) + x0`` from ``beta = U^T y_perp`` and the filters ``g``."""
        return self.L_K @ (self.Vt.T @ (g * beta)) + X0


def _filters(s: np.ndarray, alphas: np.ndarray):
    """``f = s^2/(s^2+a^2)``, ``g = s/(s^2+a^2)`` and ``c = 1 - f``, shape (n_alpha, len(s)).

    Written so that no intermediate overflows or gives 0/0, for ``s >= 0`` and any
    ``a`` in [0, inf] (``a = inf`` gives f = g = 0, c = 1: the limit).
    """
    s, a = s[None, :], alphas[:, None]
    positive = s > 0
    s_safe = np.where(positive, s, 1.0)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        g = np.where(positive, 1.0 / (s_safe + a * (a / s_safe)), 0.0)
        c = np.where(positive, 1.0 / (1.0 + (s_safe / a) ** 2), 1.0)
    return s * g, g, c


def tikhonov(K: ArrayLike, y: ArrayLike, alpha: float, *,
             L: ArrayLike | None = None) -> np.ndarray:
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

    Raises
    ------
    ValueError
        Bad shapes or values, a rank-deficient ``[K; L]``, or a solution beyond float64.

    Notes
    -----
    Computed in the standard form of Elden (1982), as :func:`gcv_tikhonov` does, so a huge
    ``alpha`` gives the least-squares fit in the null space of ``L``, not a rank error.
    """
    K, y, L = _check_problem(K, y, L)
    alpha = check_real(alpha, "alpha", positive=True)
    K, L, Y, p, l, q = _normalised(K, L, y[:, None] if y.ndim == 1 else y)
    L_pinv, N, _ = _penalty_factors(L)
    form = _StandardForm.of(K, L_pinv, N, np.linalg.norm(K))        # ||K||_F >= ||K||_2
    X0, Y_perp = form.split(Y)
    _, g, _ = _filters(form.s, np.array([_scaled(alpha, l - p)]))
    X = _scaled_back(form.solution(form.U.T @ Y_perp, g.T, X0), (q - p)[None, :],
                     "the solution")
    return X[:, 0] if y.ndim == 1 else X


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

    ``gcv`` (squared units of ``y``) overflows to inf for data beyond about 1e154; the
    choice of alpha, made on the scaled problem, and the other fields are unaffected.
    """

    solution: np.ndarray
    alpha: float | np.ndarray
    alphas: np.ndarray
    gcv: np.ndarray
    residual_norm: np.ndarray
    penalty_norm: np.ndarray


def _check_weights(weights, m: int, k: int) -> np.ndarray | None:
    """Row weights as an (m, k) array (or None): positive and finite, one column or k."""
    if weights is None:
        return None
    w = _as_real_array(weights, "weights")
    if w.ndim == 1:
        w = np.repeat(w[:, None], k, axis=1) if w.shape[0] == m else w
    if w.shape != (m, k):
        raise ValueError(f"weights must have shape ({m},) or ({m}, {k}), got "
                         f"{np.shape(weights)}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be positive and finite")
    return w


def _gcv_block(K, Y, L_pinv, N, alphas, K_norm):
    """GCV on the grid for the columns of Y (same K): solution, best index, GCV, norms^2.

    ``K_norm`` is ``||K||_2`` or an upper bound on it (it only sets the rank tolerance).
    """
    m = K.shape[0]
    form = _StandardForm.of(K, L_pinv, N, K_norm)
    X0, Y_perp = form.split(Y)
    beta = form.U.T @ Y_perp                                        # (p, k)
    outside = np.maximum(np.sum(Y_perp**2, axis=0) - np.sum(beta**2, axis=0), 0.0)
    f, g, c = _filters(form.s, alphas)                              # (n_alpha, p)
    trace = m - N.shape[1] - f.sum(axis=1)
    if np.any(trace <= _RANK_TOLERANCE * m):
        raise ValueError(
            f"tr(I - H) is zero to rounding at alpha = {alphas[np.argmin(trace)]:.3g} (scaled): "
            "the fit reproduces the data exactly (K has as many rows as unknowns not fixed by "
            "L, and alpha is too small), so GCV is undefined; use a grid of larger alphas")
    with np.errstate(over="ignore"):
        residual2 = c**2 @ beta**2 + outside                        # (n_alpha, k)
        penalty2 = g**2 @ beta**2
        gcv = m * residual2 / trace[:, None] ** 2
    best = np.argmin(gcv, axis=0)
    solution = form.solution(beta, g[best].T, X0)
    return solution, best, gcv, residual2, penalty2


def gcv_tikhonov(K: ArrayLike, y: ArrayLike, *, L: ArrayLike | None = None,
                 alphas: ArrayLike | None = None,
                 weights: ArrayLike | None = None) -> TikhonovResult:
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
    weights : array_like, shape (m,) or (m, k), keyword-only, optional
        Positive row weights ``w``: the data term becomes ``||w * (K x - y)||^2`` (one
        weighting for all columns, or one per column). GCV assumes white noise, so
        ``w`` should be inversely proportional to the noise standard deviation of
        each row. Per-column weights cost one SVD per column (run on one BLAS
        thread).

    Returns
    -------
    TikhonovResult
        Solutions, chosen alphas, and the GCV function and L-curve on the grid (the
        residual norm is the weighted one).

    Raises
    ------
    ValueError
        On bad shapes or values, a rank-deficient ``[K; L]``, where ``tr(I - H_alpha)``
        is zero to rounding on the grid (GCV undefined), or a result beyond float64.

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

    The trace exceeds ``m - n >= 0``; it vanishes only for square problems as
    ``alpha -> 0``, which is rejected. The minimiser over the grid is taken for
    each column. A minimiser at an end of the grid is returned as is: widen the
    grid if ``alpha`` equals ``alphas[0]`` or ``alphas[-1]``.
    """
    K, y, L = _check_problem(K, y, L)
    m, n = K.shape
    if m < n:
        raise ValueError(f"K must have at least as many rows as columns, got shape {K.shape}")
    single = y.ndim == 1
    K, L, Y, p, l, q = _normalised(K, L, y[:, None] if single else y)
    L_pinv, N, rank = _penalty_factors(L)
    if rank < L.shape[0]:
        raise ValueError(f"L must have full row rank <= {n}, got shape {L.shape} and rank {rank}")
    K_norm = np.linalg.norm(K, 2)
    if alphas is None:
        scaled_alphas = K_norm / np.linalg.norm(L, 2) * np.logspace(-8, 4, 121)
        alphas = _scaled(scaled_alphas, p - l)
        if not np.all((alphas > 0) & np.isfinite(alphas)):
            raise ValueError(f"the default alpha grid does not fit in float64 for K of scale "
                             f"2^{p}; pass alphas, or rescale K")
    else:
        alphas = np.sort(as_finite_vector(alphas, "alphas"))
        if np.any(alphas <= 0):
            raise ValueError("alphas must be a non-empty 1-D array of positive finite numbers")
        scaled_alphas = _scaled(alphas, l - p)
    W = _check_weights(weights, m, Y.shape[1])
    if W is None:
        blocks = [(np.arange(Y.shape[1]), np.ones(m))]
    elif np.all(W == W[:, :1]):
        blocks = [(np.arange(Y.shape[1]), W[:, 0])]
    else:
        blocks = [(np.array([j]), W[:, j]) for j in range(Y.shape[1])]
    solution = np.empty((n, Y.shape[1]))
    best = np.empty(Y.shape[1], dtype=int)
    gcv, residual, penalty = (np.empty((alphas.size, Y.shape[1])) for _ in range(3))
    # Many small SVDs (one per column) run far faster on one BLAS thread: on a busy
    # machine, threaded BLAS on 256 x 256 matrices can be ten times slower.
    with threadpool_limits(limits=1, user_api="blas") if len(blocks) > 1 else nullcontext():
        for columns, w in blocks:
            a = _exponents(w)
            w = _scaled(w, -a)
            x, best[columns], gcv_c, residual2_c, penalty2_c = _gcv_block(
                w[:, None] * K, w[:, None] * Y[:, columns], L_pinv, N,
                _scaled(scaled_alphas, -a), K_norm * np.max(w))
            exponent = (a + q[columns])[None, :]
            solution[:, columns] = _scaled_back(x, (q[columns] - p)[None, :], "the solution")
            gcv[:, columns] = _scaled(gcv_c, 2 * exponent)
            residual[:, columns] = _scaled(np.sqrt(residual2_c), exponent)
            penalty[:, columns] = _scaled(np.sqrt(penalty2_c), exponent + l - a - p)
    chosen = alphas[best]
    if single:
        return TikhonovResult(solution[:, 0], float(chosen[0]), alphas, gcv[:, 0],
                              residual[:, 0], penalty[:, 0])
    return TikhonovResult(solution, chosen, alphas, gcv, residual, penalty)


def nonnegative_tikhonov(K: ArrayLike, y: ArrayLike, alpha: float | ArrayLike, *,
                         L: ArrayLike | None = None,
                         weights: ArrayLike | None = None) -> np.ndarray:
    """Non-negative Tikhonov solution ``argmin_{x >= 0} ||w * (K x - y)||^2 + alpha^2 ||L x||^2``.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator.
    y : array_like, shape (m,) or (m, k)
        Data; with k columns, k problems are solved.
    alpha : float or array_like, shape (k,)
        Regularisation parameter(s) (> 0): one for all columns or one per column,
        e.g. the GCV choice of the unconstrained problem, ``gcv_tikhonov(...).alpha``.
    L : array_like, shape (p, n), keyword-only, optional
        Penalty operator (default identity).
    weights : array_like, shape (m,) or (m, k), keyword-only, optional
        Positive row weights ``w`` of the data term (default 1), as in
        :func:`gcv_tikhonov`.

    Returns
    -------
    x : ndarray, shape (n,) or (n, k)
        Non-negative solutions, one per column of ``y``.

    Notes
    -----
    Non-negative least squares (Lawson-Hanson active set, ``scipy.optimize.nnls``) on
    the stacked system ``[w K; alpha L] x = [w y; 0]``, one column at a time; the
    stacked matrix is built once for the columns sharing ``alpha`` and ``w``. About
    10 ms per column for n = 256 on one core.
    """
    K, y, L = _check_problem(K, y, L)
    single = y.ndim == 1
    Y = y[:, None] if single else y
    k = Y.shape[1]
    alpha_arr = _as_real_array(alpha, "alpha")
    if alpha_arr.ndim == 0:
        alpha_arr = np.full(k, check_real(alpha, "alpha", positive=True))
    if alpha_arr.shape != (k,) or not np.all(np.isfinite(alpha_arr)) or np.any(alpha_arr <= 0):
        raise ValueError(f"alpha must be a positive finite number or {k} of them, got shape "
                         f"{np.shape(alpha)}")
    W = _check_weights(weights, K.shape[0], k)
    W = np.ones_like(Y) if W is None else W
    K, L, Y, p, l, q = _normalised(K, L, Y)
    a = _exponents(W, axis=0)
    W = _scaled(W, -a[None, :])
    alpha_arr = _scaled(alpha_arr, l - p - a)
    if not np.all((alpha_arr > 0) & np.isfinite(alpha_arr)):
        raise ValueError("alpha / ||K|| does not fit in float64: alpha is too large or small")
    zeros = np.zeros(L.shape[0])
    X = np.empty((K.shape[1], k))
    stacked_for = {}
    for j in np.argsort(alpha_arr, kind="stable"):              # columns sharing alpha in a row
        key = (alpha_arr[j], W[:, j].tobytes())
        if key not in stacked_for:
            stacked_for = {key: np.vstack([W[:, j, None] * K, alpha_arr[j] * L])}
        rhs = np.concatenate([W[:, j] * Y[:, j], zeros])
        X[:, j] = scipy.optimize.nnls(stacked_for[key], rhs, maxiter=50 * K.shape[1])[0]
    X = _scaled_back(X, (q - p)[None, :], "the solution")
    return X[:, 0] if single else X


def tikhonov_deer(sim: DEERSimulation, *, alphas: ArrayLike | None = None,
                  weighted: bool = False) -> TikhonovResult:
    """Classical DEER inversion: unconstrained Tikhonov with a second-difference penalty and GCV.

    Parameters
    ----------
    sim : DEERSimulation
        Signals to invert; their *true* backgrounds and modulation depths are used
        to form ``F = (V / B - (1 - lambda)) / lambda``
        (:meth:`DEERSimulation.corrected_form_factors`), an oracle correction that
        favours this baseline.
    alphas : array_like, keyword-only, optional
        Grid for :func:`gcv_tikhonov` (default: its own).
    weighted : bool, keyword-only
        If True, weight the rows of each problem by its background ``B(t)``: the
        noise of ``F`` has standard deviation ``nu / B(t)`` (``nu`` the relative
        noise level), so the weighted residual has white noise, as GCV assumes.
        Costs one SVD per signal (several ms each).

    Returns
    -------
    TikhonovResult
        ``solution`` has shape (256, n): one distribution per **column**, in 1/nm
        (the kernel carries the Delta-r weights, so ``int p dr`` is about 1), not
        constrained to be non-negative (see :func:`nonnegative_tikhonov`);
        ``alpha`` has shape (n,).
    """
    if not isinstance(sim, DEERSimulation):
        raise ValueError(f"sim must be a DEERSimulation, got {type(sim).__name__}")
    weighted = check_bool(weighted, "weighted")
    K = dipolar_kernel(sim.t, sim.r, delta_r_weights=True)
    L = second_difference_operator(sim.r.size)
    weights = sim.backgrounds().T if weighted else None
    return gcv_tikhonov(K, sim.corrected_form_factors().T, L=L, alphas=alphas, weights=weights)
