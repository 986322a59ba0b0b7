"""Descramblers: the closed form of Lemma 1 and Cayley projected gradient descent.

``descramble(S)`` finds an orthogonal ``P`` (shape ``(d, d)``) minimising the
smoothness loss ``tr(A P S S^T P^T)``. Two methods:

* ``"eig"``: the closed form ``P = T U^T`` (Lemma 1), exact up to rounding;
* ``"cayley"``: Wen and Yin's curvilinear search on O(d) with the Cayley
  transform, Barzilai–Borwein steps and a non-monotone (Zhang–Hager) line
  search: the iterative route of the original paper, kept to show how it
  behaves.

Every result carries the exact lower bound of Lemma 1, so its optimality gap is
certified.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from ._validation import (as_finite_matrix, as_finite_vector, as_orthogonal_matrix,
                          as_symmetric_matrix, check_positive_int)
from .operators import fourier_basis, fourier_wavenumbers, smoothness_operator
from .orthogonal import cayley_curve, fix_determinant, reorthonormalise

__all__ = ["Descrambling", "descramble", "cayley_descent", "eigenbasis_preconditioner",
           "FIGURE1_STRATEGIES", "METHODS"]

METHODS = ("eig", "cayley")

#: Keyword arguments of :func:`descramble` for the four strategies of Figure 1.
#: (a)-(c) are plain Cayley descent, as in the paper; (d) is the closed form.
FIGURE1_STRATEGIES: dict[str, dict] = {
    "a": dict(method="cayley", P0="identity", precondition=False),
    "b": dict(method="cayley", P0="eigenbasis", precondition=False),
    "c": dict(method="cayley", rescale=True, precondition=False),
    "d": dict(method="eig"),
}

# Line-search constants of Wen and Yin (2013), Algorithm 2.
_SUFFICIENT_DECREASE = 1e-4
_BACKTRACK = 0.1
_MAX_BACKTRACKS = 5
_NONMONOTONE_WEIGHT = 0.85
# Iterates are re-orthonormalised when max|P^T P - I| exceeds this.
_ORTHOGONALITY_DRIFT = 1e-13
# Consecutive steps that leave P unchanged before the descent gives up.
_MAX_STALLED_STEPS = 3


@dataclass
class Descrambling:
    """Result of :func:`descramble`.

    Attributes
    ----------
    P : ndarray, shape (d, d)
        The descrambler; apply it to the neuron axis (``P @ W``, ``P @ S``).
    loss : float
        ``tr(A P M P^T)`` at ``P`` (``||D P S||_F^2`` for the smoothness criterion).
    bound : float
        Exact minimum over O(d) (Lemma 1).
    gap : float
        ``loss - bound`` (>= 0 up to rounding): certified suboptimality.
    relative_gap : float
        ``gap / bound`` (``gap`` divided by a rounding-level scale when the bound is 0).
    n_iter : int
        Iterations taken (0 for the closed form).
    history : ndarray, shape (n_iter + 1,)
        Loss at the start and after every iteration (one entry for ``"eig"``).
    method : str
        ``"eig"`` or ``"cayley"``.
    converged : bool
        Whether a stopping tolerance was met before ``max_iter``.
    wall_time_s : float
        Wall-clock time of the solve, in seconds.
    """

    P: np.ndarray
    loss: float
    bound: float
    gap: float
    relative_gap: float
    n_iter: int
    history: np.ndarray
    method: str
    converged: bool
    wall_time_s: float
    message: str = field(default="")


@dataclass
class _Problem:
    """Validated Brockett problem with both eigendecompositions.

    ``A = T diag(omega) T^T`` (ascending) and ``M = S S^T = U diag(energies) U^T``
    (descending), so the closed form is ``T U^T`` and the bound
    ``omega . energies``.
    """

    A: np.ndarray
    S: np.ndarray
    M: np.ndarray
    T: np.ndarray
    omega: np.ndarray
    U: np.ndarray
    energies: np.ndarray
    bound: float
    scale: float

    def loss(self, P: np.ndarray) -> float:
        """``tr(A P M P^T)``, computed in the d x d form."""
        return float(np.sum((self.A @ P) * (P @ self.M)))


def _make_problem(S: ArrayLike, A: ArrayLike | None) -> _Problem:
    S = as_finite_matrix(S, "S")
    d = S.shape[0]
    if A is None:
        A = smoothness_operator(d)
        T = fourier_basis(d)
        omega = fourier_wavenumbers(d).astype(float) ** 4
    else:
        A = as_symmetric_matrix(A, "A", size=d)
        omega, T = scipy.linalg.eigh(A)
    M = S @ S.T
    # The squared singular values of S are the eigenvalues of M; "evd" is the
    # fastest LAPACK driver at these sizes. Rounding can leave tiny negatives.
    energies, U = scipy.linalg.eigh(M, driver="evd")
    energies, U = np.clip(energies[::-1], 0.0, None), U[:, ::-1]
    bound = float(np.dot(omega, energies))
    # Rounding floor used when the bound itself is zero (e.g. rank-one data).
    floor = 1e-13 * max(np.max(np.abs(omega)), 1.0) * float(np.sum(energies))
    return _Problem(A=A, S=S, M=M, T=T, omega=omega, U=U, energies=energies, bound=bound,
                    scale=max(bound, floor, np.finfo(float).tiny))


def _start_point(P0, problem: _Problem, in_eigenbasis: bool, rescale: bool) -> np.ndarray:
    """Start of the descent, in eigen coordinates ``T^T P`` when ``in_eigenbasis``."""
    d = problem.S.shape[0]
    if P0 is None and rescale:
        return np.eye(d)  # the paper's rescaled start P~ = I, i.e. P = T
    if P0 is None or (isinstance(P0, str) and P0 == "identity"):
        start = np.eye(d)
    elif isinstance(P0, str) and P0 == "eigenbasis":
        start = fix_determinant(problem.T)
    elif isinstance(P0, str):
        raise ValueError(
            f"P0 must be an orthogonal (d, d) array, 'identity' or 'eigenbasis'; got {P0!r}")
    else:
        start = as_orthogonal_matrix(P0, "P0", size=d)
    return problem.T.T @ start if in_eigenbasis else start


def eigenbasis_preconditioner(omega: np.ndarray, M: np.ndarray, *,
                              relative_shift: float = 1e-8,
                              ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Diagonal Hessian preconditioner of the Brockett cost ``tr(diag(omega) P M P^T)``.

    The problem must be written in the eigenbasis of ``A`` (``A = diag(omega)``,
    ``P`` standing for ``T^T P``), which :func:`descramble` does internally.

    Parameters
    ----------
    omega : ndarray, shape (d,)
        Eigenvalues of ``A``.
    M : ndarray, shape (d, d)
        The data moment ``S S^T``.
    relative_shift : float
        Regulariser added to the energy gaps, as a fraction of the largest energy.

    Returns
    -------
    callable
        ``(W, P) -> W / h`` (elementwise) with
        ``h_ij = (|omega_i - omega_j| + delta_omega) (g_ij + delta_n)``, where
        ``C = P M P^T`` is the data moment in the current coordinates and
        ``g_ij = sqrt((C_ii - C_jj)^2 + 4 C_ij^2)`` the eigenvalue gap of its
        ``2 x 2`` block on modes ``i`` and ``j``.

    Notes
    -----
    At a critical point, where ``C`` is diagonal, rotating modes ``i`` and ``j``
    by a small angle ``theta`` raises the cost by
    ``theta^2 (omega_j - omega_i) (C_ii - C_jj)``: ``h`` is the diagonal of the
    Riemannian Hessian there, and ``g_ij`` extends it to points where the
    ``2 x 2`` block is not yet diagonal. For ``A = D^T D`` the factors
    ``omega_j - omega_i`` alone span ``1 ... (d/2)^4``, and trained layers add
    energies spanning many orders of magnitude; dividing both out lets the
    descent reach rounding level. ``delta_omega`` is the smallest gap between
    distinct eigenvalues and ``delta_n = relative_shift * max(diag C)``: they
    keep ``h`` positive on repeated values, where the cost is flat.

    Raises
    ------
    ValueError
        ``omega`` not a finite 1-D array; ``M`` not a finite symmetric ``(d, d)``
        matrix with ``d = len(omega)``; ``relative_shift`` negative or not finite.
    """
    omega = as_finite_vector(omega, "omega")
    M = as_symmetric_matrix(M, "M", size=omega.size)
    if not (np.isfinite(relative_shift) and relative_shift >= 0):
        raise ValueError(f"relative_shift must be a finite number >= 0, got {relative_shift!r}")
    omega_gaps = np.abs(omega[:, None] - omega[None, :])
    spread = max(float(np.ptp(omega)), np.finfo(float).tiny)
    distinct = omega_gaps[omega_gaps > 1e-12 * spread]
    omega_factor = omega_gaps + (float(distinct.min()) if distinct.size else 1.0)

    def precondition(W: np.ndarray, P: np.ndarray) -> np.ndarray:
        moment = P @ M @ P.T
        energies = np.diag(moment)
        block_gaps = np.sqrt((energies[:, None] - energies[None, :]) ** 2 + 4 * moment**2)
        energy_shift = relative_shift * max(float(energies.max()), np.finfo(float).tiny)
        return W / (omega_factor * (block_gaps + energy_shift))

    return precondition


def cayley_descent(cost_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
                   P0: np.ndarray, *, max_iter: int = 1000, grad_tol: float = 1e-10,
                   stop: Callable[[float], bool] | None = None,
                   precondition: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, bool, str]:
    """Minimise a smooth function on O(d) by Cayley curvilinear search.

    Parameters
    ----------
    cost_and_gradient : callable
        ``P -> (f(P), G)`` with ``G`` the Euclidean gradient, shape ``(d, d)``.
    P0 : ndarray, shape (d, d)
        Orthogonal start; the iterates stay in its connected component.
    max_iter : int
        Iteration budget.
    grad_tol : float
        Stop when ``||W||_F <= grad_tol * ||W_0||_F`` for the skew gradient
        ``W = G P^T - P G^T``.
    stop : callable, optional
        ``f -> bool``; stop as soon as it returns True (e.g. a certified gap).
    precondition : callable, optional
        ``(W, P) -> W~``: a symmetric positive definite map on skew matrices,
        which may depend on the iterate ``P``; the search curve is
        ``cay(tau/2 W~) P``. ``None`` is plain Wen–Yin descent.

    Returns
    -------
    P : ndarray, shape (d, d)
        Last iterate, orthogonal to about 1e-13.
    history : ndarray
        ``f`` at the start and after every iteration.
    converged : bool
        Whether ``grad_tol`` or ``stop`` ended the run.
    message : str
        Why the run ended.

    Raises
    ------
    ValueError
        ``P0`` not a finite, square, orthogonal matrix (to 1e-8); ``max_iter`` not an
        integer >= 0; ``grad_tol`` negative or not finite.
    """
    P0 = as_finite_matrix(P0, "P0")
    P0 = as_orthogonal_matrix(P0, "P0", size=P0.shape[0])
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    if not (np.isfinite(grad_tol) and grad_tol >= 0):
        raise ValueError(f"grad_tol must be a finite number >= 0, got {grad_tol!r}")
    precondition = precondition or (lambda skew, point: skew)
    P = np.array(P0, dtype=float, copy=True)
    identity = np.eye(P.shape[0])
    value, G = cost_and_gradient(P)
    W = G @ P.T - P @ G.T
    search = precondition(W, P)
    direction = search @ P
    initial_norm = np.linalg.norm(W)
    history = [value]
    if stop is not None and stop(value):
        return P, np.array(history), True, "stop criterion met at the start"
    if initial_norm == 0:
        return P, np.array(history), True, "start is a critical point"
    tau = 0.1 / np.linalg.norm(search)
    reference, weight, stalled = value, 1.0, 0
    for _ in range(max_iter):
        P_old, direction_old = P, direction
        # d/dtau f(cay(tau/2 W~) P) at tau = 0 equals -<W, W~> / 2.
        slope = _SUFFICIENT_DECREASE * 0.5 * np.sum(W * search)
        for attempt in range(_MAX_BACKTRACKS):
            if attempt:
                tau *= _BACKTRACK
            P = cayley_curve(P_old, search, tau)
            value, G = cost_and_gradient(P)
            if value <= reference - tau * slope:
                break
        if np.max(np.abs(P.T @ P - identity)) > _ORTHOGONALITY_DRIFT:
            P = reorthonormalise(P)
        W = G @ P.T - P @ G.T
        search = precondition(W, P)
        direction = search @ P
        history.append(value)
        if stop is not None and stop(value):
            return P, np.array(history), True, "stop criterion met"
        if np.linalg.norm(W) <= grad_tol * initial_norm:
            return P, np.array(history), True, "gradient tolerance met"
        step, change = P - P_old, direction - direction_old
        curvature = abs(np.sum(step * change))
        if curvature == 0:
            # The last step left P unchanged in floating point: restart the step length.
            stalled += 1
            if stalled == _MAX_STALLED_STEPS:
                return P, np.array(history), False, "no progress: steps lost in rounding"
            tau = 0.1 / max(np.linalg.norm(search), np.finfo(float).tiny)
            continue
        stalled = 0
        if len(history) % 2 == 0:
            tau = np.sum(step * step) / curvature
        else:
            tau = curvature / np.sum(change * change)
        tau = float(np.clip(tau, 1e-20, 1e20))
        previous_weight = weight
        weight = _NONMONOTONE_WEIGHT * previous_weight + 1
        reference = (_NONMONOTONE_WEIGHT * previous_weight * reference + value) / weight
    return P, np.array(history), False, f"max_iter = {max_iter} reached"


def descramble(S: ArrayLike, A: ArrayLike | None = None, *, method: str | None = None,
               P0: ArrayLike | str | None = None, rescale: bool = False,
               precondition: bool | None = None, max_iter: int = 1000, tol: float = 1e-10,
               grad_tol: float | None = None, loss: Callable | None = None) -> Descrambling:
    """Find the orthogonal descrambler of a layer's preactivations.

    Minimises ``eta(P) = tr(A P S S^T P^T)`` over ``P`` in O(d); with the default
    ``A = D^T D`` this is the smoothness criterion ``||D P S||_F^2``.

    Parameters
    ----------
    S : array_like, shape (d, n)
        Preactivations ``W X + b 1^T`` of a layer with ``d`` neurons on ``n``
        inputs (not centred). ``n < d`` is allowed.
    A : array_like, shape (d, d), optional
        Symmetric cost matrix. Default: ``D^T D`` with ``D`` from
        :func:`~descramble_lib.second_derivative_matrix`.
    method : {"eig", "cayley"}, optional
        Closed form ``T U^T`` of Lemma 1, or Cayley projected gradient descent.
        Default ``"eig"``, and ``"cayley"`` with ``loss=`` (the only method there).
    P0 : array_like, shape (d, d), or {"identity", "eigenbasis"}, optional
        Start of ``"cayley"`` (default the identity). ``"eigenbasis"`` is the
        warm start ``T`` (eigenvectors of ``A``) with its last column negated if
        ``det T = -1``. An array must be orthogonal to 1e-8.
    rescale : bool
        ``"cayley"`` only: solve in the eigenbasis of ``A`` (``A`` replaced by
        its diagonal ``Omega``) for ``P~`` and return ``P = T P~``; without
        ``P0`` the start is ``P~ = I``, i.e. ``P = T`` (strategy (c) of the paper).
        The preconditioned descent always runs in these coordinates; its
        iterates are those of the original coordinates mapped by ``T^T``.
    precondition : bool, optional
        ``"cayley"`` only (default True; not available with ``loss=``): scale
        the search direction by the diagonal of the Hessian in ``A``'s
        eigenbasis (:func:`eigenbasis_preconditioner`). Plain Wen–Yin descent
        (``False``, the paper's strategies) stalls at relative gaps of 1e-2 to
        1e-6 after 1000 iterations because the curvature spans ``(d/2)^4``
        times the spread of the data energies; the preconditioned descent
        reaches rounding level in tens to hundreds of iterations.
    max_iter : int
        Iteration budget of ``"cayley"``.
    tol : float
        ``"cayley"`` stops once the certified relative gap is at most ``tol``.
    grad_tol : float, optional
        ``"cayley"`` stops once the Riemannian gradient norm has fallen by this
        factor. Default 1e-14 for the Brockett cost, whose certified gap
        (``tol``) is the better criterion, and 1e-10 with ``loss=``.
    loss : callable, optional
        A general loss ``loss(P, S) -> scalar torch tensor`` (``P`` of shape
        ``(d, d)``, ``S`` of shape ``(d, n)``, both float64 tensors) minimised
        instead of the Brockett cost, by plain Cayley descent with autograd
        gradients from ``P0`` (``"identity"`` or an orthogonal array); see
        :mod:`~descramble_lib.general_losses`. ``A``, ``rescale``,
        ``precondition=True`` and ``method="eig"`` do not apply (ValueError), nor
        does ``tol``; ``bound``, ``gap`` and ``relative_gap`` are NaN because no
        bound is known.

    Returns
    -------
    Descrambling
        ``P``, ``loss``, ``bound``, ``gap``, ``history`` and diagnostics.

    Raises
    ------
    ValueError
        Non-finite or non-2-D ``S``; ``A`` not square, not symmetric or not
        ``d x d``; ``P0`` not orthogonal or of the wrong size; unknown ``method``;
        options that do not apply to the method.

    Notes
    -----
    The four strategies of Figure 1 are ``descramble(S, **FIGURE1_STRATEGIES[k])``
    for ``k`` in ``"abcd"``.
    """
    if loss is not None:  # general losses: torch autograd, in their own module
        from .general_losses import _descramble_with_loss
        return _descramble_with_loss(S, loss, A=A, method=method, P0=P0, rescale=rescale,
                                     precondition=precondition, max_iter=max_iter,
                                     grad_tol=1e-10 if grad_tol is None else grad_tol)
    method = "eig" if method is None else method
    precondition = True if precondition is None else precondition
    grad_tol = 1e-14 if grad_tol is None else grad_tol
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    for name, value in (("tol", tol), ("grad_tol", grad_tol)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if method == "eig" and (P0 is not None or rescale):
        raise ValueError("P0 and rescale apply to method='cayley' only")
    if not isinstance(precondition, bool):
        raise ValueError(f"precondition must be True or False, got {precondition!r}")
    started = time.perf_counter()
    problem = _make_problem(S, A)

    if method == "eig":
        P = problem.T @ problem.U.T
        history, n_iter, converged, message = None, 0, True, "closed form"
    else:
        # The preconditioned descent always runs in A's eigenbasis, where it is
        # elementwise; the iterates are the same as in the original coordinates.
        in_eigenbasis = rescale or precondition
        start = _start_point(P0, problem, in_eigenbasis, rescale)
        if in_eigenbasis:
            def cost_and_gradient(P):
                scaled = problem.omega[:, None] * P
                return float(np.sum(scaled * (P @ problem.M))), 2.0 * scaled @ problem.M
        else:
            def cost_and_gradient(P):
                AP = problem.A @ P
                return float(np.sum(AP * (P @ problem.M))), 2.0 * AP @ problem.M

        def certified(value):
            return value - problem.bound <= tol * problem.scale

        preconditioner = (eigenbasis_preconditioner(problem.omega, problem.M)
                          if precondition else None)
        P, history, converged, message = cayley_descent(
            cost_and_gradient, start, max_iter=max_iter, grad_tol=grad_tol, stop=certified,
            precondition=preconditioner)
        if in_eigenbasis:
            P = problem.T @ P
        n_iter = len(history) - 1
    loss = problem.loss(P)
    if history is None:
        history = np.array([loss])
    gap = loss - problem.bound
    return Descrambling(P=P, loss=loss, bound=problem.bound, gap=gap,
                        relative_gap=gap / problem.scale, n_iter=n_iter, history=history,
                        method=method, converged=converged,
                        wall_time_s=time.perf_counter() - started, message=message)
