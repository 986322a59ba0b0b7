"""The paper's own descrambler: trust-region Newton–CG in Cayley coordinates.

The original MATLAB ``descramble.m`` does not move on O(d) directly. It writes a
rotation through the ``m = d(d-1)/2`` strictly-lower-triangle entries ``q`` of a
skew-symmetric ``Q = L - L^T`` and the Cayley map

    ``P(q) = (I + Q)^{-1} (I - Q)``        (``det P = +1``, no eigenvalue ``-1``),

and minimises ``f(q) = tr(A P M P^T)`` over ``q`` in ``R^m`` with an unconstrained
second-order optimiser (MATLAB ``fmincon``, interior point, Hessian by finite
differences of the analytic gradient, conjugate-gradient subproblems). This module
reproduces that route on a :class:`~descramble_lib.BrockettProblem`:

* the coordinates: :func:`skew_from_coordinates`, :func:`coordinates_from_skew`,
  :func:`cayley_from_coordinates` (``q -> P``) and :func:`cayley_preimage`
  (``P -> q``, the strict lower triangle of ``(I - P)(I + P)^{-1}``);
* :func:`coordinate_cost_and_gradient`: ``f`` and its analytic gradient in ``q``;
* :func:`spectral_normalise`: the original's ``X <- d X / ||X||_2``;
* :func:`trust_region_descent`: the optimiser (``method="original"`` of
  :func:`~descramble_lib.descramble`).

The gradient. Let ``G_P = 2 A P M`` be the Euclidean gradient in ``P``. From
``(I + Q) P = I - Q``, ``dP = -(I + Q)^{-1} dQ (I + P)``, so
``df = <G_P, dP> = <G_Q, dQ>`` with ``G_Q = -(I + Q)^{-T} G_P (I + P)^T``. Since
``I + P = 2 (I + Q)^{-1}``, ``(I + Q)^{-T} = (I + P)^T / 2`` and
``G_Q = -(I + P)^T G_P (I + P)^T / 2``. So one LU factorisation gives
``B = (I + Q)^{-1}``, ``P = 2 B - I`` and ``G_Q = -4 B^T (A P M) B^T`` with three or
four more ``d x d`` products. With ``dQ = E_ij - E_ji`` for ``i > j``,
``df/dq_ij = (G_Q - G_Q^T)_ij``: the gradient in ``q`` is ``tril(G_Q - G_Q^T, -1)``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg
import scipy.optimize

from ._threads import limit_threads
from ._validation import (as_finite_matrix, as_finite_vector, as_orthogonal_matrix,
                          as_symmetric_matrix, check_bool, check_choice, check_positive_int,
                          check_real)
from .problem import BrockettProblem
from .result import Descrambling
from .solvers import _result

__all__ = ["skew_from_coordinates", "coordinates_from_skew", "cayley_from_coordinates",
           "cayley_preimage", "coordinate_cost_and_gradient", "spectral_normalise",
           "trust_region_descent"]

#: Starts of :func:`trust_region_descent` given by name.
STARTS = ("zero", "eigenbasis")
#: Hessian-vector products of :func:`trust_region_descent`.
HESSIANS = ("differences", "exact")
# Cayley coordinates beyond which (I + Q)^{-1} is dominated by rounding and the gradient
# in q vanishes whatever P is: 1/sqrt(eps).
_SATURATED = 1.0 / np.sqrt(np.finfo(float).eps)


def _lower(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the strict lower triangle (row-major order)."""
    return np.tril_indices(d, -1)


def _size_from_count(m: int) -> int:
    """``d`` with ``d (d - 1) / 2 = m``, or ValueError."""
    d = int(round((1 + np.sqrt(1 + 8 * m)) / 2))
    if d * (d - 1) // 2 != m:
        raise ValueError(f"q must have d(d-1)/2 entries for some d, got {m}")
    return d


def skew_from_coordinates(q: ArrayLike, d: int | None = None) -> np.ndarray:
    """The skew-symmetric ``Q = L - L^T`` whose strict lower triangle ``L`` holds ``q``.

    Parameters
    ----------
    q : array_like, shape (d(d-1)/2,)
        Strictly-lower-triangle entries in row-major order (``Q[1,0], Q[2,0], Q[2,1],
        ...``), as :func:`numpy.tril_indices` with ``k=-1`` lists them.
    d : int, optional
        Size of ``Q``; inferred from ``len(q)`` when left out (``d = 1`` for an
        empty ``q``).

    Returns
    -------
    Q : ndarray, shape (d, d)

    Raises
    ------
    ValueError
        ``q`` not a finite 1-D array, or its length not ``d(d-1)/2``.
    """
    q = np.asarray(q, dtype=float) if np.size(q) == 0 else as_finite_vector(q, "q")
    if q.ndim != 1:
        raise ValueError(f"q must be a 1-D array, got shape {q.shape}")
    d = _size_from_count(q.size) if d is None else check_positive_int(d, "d")
    if q.size != d * (d - 1) // 2:
        raise ValueError(f"q must have d(d-1)/2 = {d * (d - 1) // 2} entries for d = {d}, "
                         f"got {q.size}")
    Q = np.zeros((d, d))
    rows, cols = _lower(d)
    Q[rows, cols] = q
    Q[cols, rows] = -q
    return Q


def coordinates_from_skew(Q: ArrayLike) -> np.ndarray:
    """The strict lower triangle of a square ``Q`` as a vector (row-major), shape (d(d-1)/2,).

    ``Q`` is not checked for skew symmetry: for a general matrix this is the original's
    "take the lower triangle", which discards the upper one.
    """
    Q = as_finite_matrix(Q, "Q")
    if Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be square, got shape {Q.shape}")
    return Q[_lower(Q.shape[0])].copy()


def _inverse_of_identity_plus(Q: np.ndarray) -> np.ndarray:
    """``(I + Q)^{-1}`` by one LU factorisation (never singular for a skew ``Q``)."""
    X = np.eye(Q.shape[0]) + Q
    # LAPACK works on X^T (Fortran order, no copy); inv(X^T)^T = inv(X).
    lu, pivots, info = scipy.linalg.lapack.dgetrf(X.T, overwrite_a=True)
    if info == 0:
        inverse, info = scipy.linalg.lapack.dgetri(lu, pivots, overwrite_lu=True)
    if info != 0:  # pragma: no cover - I + Q is never singular for a skew Q
        return np.full(Q.shape, np.nan)
    return inverse.T


def _cayley(Q: np.ndarray) -> np.ndarray:
    """``(I + Q)^{-1}(I - Q) = 2 (I + Q)^{-1} - I``."""
    P = 2.0 * _inverse_of_identity_plus(Q)
    P[np.diag_indices(Q.shape[0])] -= 1.0
    return P


def cayley_from_coordinates(q: ArrayLike, d: int | None = None) -> np.ndarray:
    """The rotation ``P = (I + Q)^{-1} (I - Q)`` with ``Q = skew_from_coordinates(q, d)``.

    Returns
    -------
    P : ndarray, shape (d, d)
        Orthogonal with ``det P = +1`` (up to rounding, which grows with ``||q||``).
    """
    return _cayley(skew_from_coordinates(q, d))


def cayley_preimage(P: ArrayLike) -> np.ndarray:
    """Coordinates ``q`` of the strict lower triangle of ``(I - P)(I + P)^{-1}``.

    For a rotation ``P`` without eigenvalue ``-1`` this is the exact inverse of
    :func:`cayley_from_coordinates`. Otherwise it is what the original does: the
    formula is applied all the same and only the lower triangle kept, so the
    rotation it stands for is not ``P`` (for ``det P = -1``, ``I + P`` is singular
    to rounding and ``q`` has entries near ``1 / eps``).

    Parameters
    ----------
    P : array_like, shape (d, d)
        Finite square matrix, normally orthogonal.

    Returns
    -------
    q : ndarray, shape (d(d-1)/2,)

    Raises
    ------
    ValueError
        ``P`` not finite and square, or ``I + P`` exactly singular (no pre-image).
    """
    P = as_finite_matrix(P, "P")
    if P.shape[0] != P.shape[1]:
        raise ValueError(f"P must be square, got shape {P.shape}")
    identity = np.eye(P.shape[0])
    # Q (I + P) = I - P  <=>  (I + P)^T Q^T = (I - P)^T
    try:
        # Near-singular I + P (det P = -1) is the documented case: no warning.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            Q = scipy.linalg.solve((identity + P).T, (identity - P).T,
                                   check_finite=False).T
    except np.linalg.LinAlgError:
        raise ValueError("P has no Cayley pre-image: I + P is singular "
                         "(P has an eigenvalue -1)") from None
    if not np.all(np.isfinite(Q)):
        raise ValueError("P has no Cayley pre-image: I + P is singular "
                         "(P has an eigenvalue -1)")
    return Q[_lower(P.shape[0])].copy()


def spectral_normalise(X: ArrayLike) -> tuple[np.ndarray, float]:
    """The original's normalisation ``X <- d X / ||X||_2`` of a symmetric ``d x d`` matrix.

    Returns
    -------
    X_normalised : ndarray, shape (d, d)
        ``X`` times ``factor``; its spectral norm is ``d`` (``X`` itself if it is 0).
    factor : float
        ``d / ||X||_2`` (1 for ``X = 0``).
    """
    X = as_symmetric_matrix(X, "X")
    norm = float(np.max(np.abs(scipy.linalg.eigvalsh(X))))
    factor = X.shape[0] / norm if norm > 0 else 1.0
    return X * factor, factor


class _CoordinateCost:
    """``q -> (f, grad_q)`` for ``tr(A P M P^T)``, with a small memo for Hessian products.

    ``A`` may be given as its diagonal (a 1-D array), as in the rescaled problem. One
    LU factorisation per evaluation gives ``B = (I + Q)^{-1}``, hence ``P = 2 B - I``
    and ``G_Q = -4 B^T (A P M) B^T``; the rest is three or four ``d x d`` products.
    """

    def __init__(self, A: np.ndarray, M: np.ndarray):
        self.A, self.M = A, M
        self.d = d = M.shape[0]
        rows, cols = _lower(d)
        # Flat positions of the strict lower triangle and of its mirror image.
        self.lower, self.upper = rows * d + cols, cols * d + rows
        self.evaluations = 0  # gradients evaluated
        self.products = 0     # exact Hessian-vector products
        self._memo: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._products_at: bytes | None = None
        self._pieces: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def skew(self, q: np.ndarray) -> np.ndarray:
        Q = np.zeros(self.d * self.d)
        Q[self.lower] = q
        Q[self.upper] = -q
        return Q.reshape(self.d, self.d)

    def rotation(self, q: np.ndarray) -> np.ndarray:
        return _cayley(self.skew(q))

    def _evaluate(self, q: np.ndarray):
        """Cost, gradient, ``B = (I + Q)^{-1}`` and ``C = A P M`` at ``q``."""
        self.evaluations += 1
        B = _inverse_of_identity_plus(self.skew(q))
        P = 2.0 * B
        P[np.diag_indices(self.d)] -= 1.0
        AP = self.A[:, None] * P if self.A.ndim == 1 else self.A @ P
        C = AP @ self.M
        value = float(np.sum(C * P))
        # G_P = 2 A P M = 2 C and G_Q = -(I + Q)^{-T} G_P (I + P)^T = -4 B^T C B^T.
        gradient = self._lower_part((-4.0 * B.T) @ C @ B.T)
        return value, gradient, B, C

    def __call__(self, q: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient, B, C = self._evaluate(q)
        if not np.isfinite(value):
            # +inf makes the trust region reject the step and shrink.
            return np.inf, np.zeros_like(q)
        if len(self._memo) >= 2:
            self._memo.pop(next(iter(self._memo)))
        self._memo[q.tobytes()] = (gradient, B, C)
        return value, gradient

    def _lower_part(self, G: np.ndarray) -> np.ndarray:
        """``tril(G - G^T, -1)`` as a vector of coordinates."""
        flat = G.ravel()
        return flat.take(self.lower) - flat.take(self.upper)

    def _at(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradient, ``B`` and ``C = A P M`` at ``q`` (memoised: the trust region asks for
        Hessian products at the point whose gradient it has just evaluated)."""
        memo = self._memo.get(q.tobytes())
        if memo is None:
            self(q)
            memo = self._memo[q.tobytes()]
        return memo

    def gradient(self, q: np.ndarray) -> np.ndarray:
        return self._at(q)[0]

    def hessp(self, q: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Forward difference of the analytic gradient along ``v``: one gradient each."""
        norm = float(np.linalg.norm(v))
        if norm == 0:
            return np.zeros_like(v)
        step = 2.0 * np.sqrt(np.finfo(float).eps) * (1.0 + float(np.linalg.norm(q))) / norm
        base = self._at(q)[0]
        return (self._evaluate(q + step * v)[1] - base) / step

    def exact_hessp(self, q: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The directional derivative of the gradient along ``v``, differentiated by hand.

        With ``dQ = skew(v)``: ``dB = -B dQ B``, ``dC = 2 A dB M`` and
        ``dG_Q = -4 (dB^T C B^T + B^T dC B^T + B^T C dB^T)``: eight ``d x d`` products
        (``C B^T`` and ``B^T C`` are kept per point), no factorisation and no rounding
        noise from a difference quotient.
        """
        self.products += 1
        key = q.tobytes()
        if self._products_at != key:
            _, B, C = self._at(q)
            self._products_at, self._pieces = key, (B, C @ B.T, B.T @ C)
        B, CBt, BtC = self._pieces
        dB = -(B @ self.skew(v) @ B)
        dC = 2.0 * ((self.A[:, None] * dB if self.A.ndim == 1 else self.A @ dB) @ self.M)
        dG = dB.T @ CBt + B.T @ dC @ B.T + BtC @ dB.T
        return self._lower_part(-4.0 * dG)


def coordinate_cost_and_gradient(q: ArrayLike, A: ArrayLike, M: ArrayLike
                                 ) -> tuple[float, np.ndarray]:
    """``f(q) = tr(A P M P^T)`` with ``P = cayley_from_coordinates(q)``, and ``df/dq``.

    Parameters
    ----------
    q : array_like, shape (d(d-1)/2,)
    A, M : array_like, shape (d, d)
        Symmetric.

    Returns
    -------
    f : float
    gradient : ndarray, shape (d(d-1)/2,)
        ``tril(G_Q - G_Q^T, -1)`` with ``G_Q = -(I + P)^T (2 A P M) (I + P)^T / 2``
        (see the module docstring for the derivation).
    """
    M = as_symmetric_matrix(M, "M")
    A = as_symmetric_matrix(A, "A", size=M.shape[0])
    q = as_finite_vector(q, "q") if np.size(q) else np.zeros(0)
    if q.size != M.shape[0] * (M.shape[0] - 1) // 2:
        raise ValueError(f"q must have d(d-1)/2 = {M.shape[0] * (M.shape[0] - 1) // 2} "
                         f"entries for d = {M.shape[0]}, got {q.size}")
    return _CoordinateCost(A, M)(q)


def _start_coordinates(start, problem: BrockettProblem,
                       rescale: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Start ``q0``, the matrix it stands for (in the caller's coordinates) and its name."""
    d = problem.d
    if isinstance(start, str):
        if start not in STARTS:
            raise ValueError(f"start must be one of {STARTS} or an orthogonal (d, d) array, "
                             f"got {start!r}")
        if start == "zero":
            # q = 0 is P = I, or P~ = I (P = T) in the rescaled problem.
            if rescale:
                return np.zeros(d * (d - 1) // 2), problem.T, "T"
            return np.zeros(d * (d - 1) // 2), np.eye(d), "I"
        target, name = problem.T, "T"
    else:
        target, name = as_orthogonal_matrix(start, "start", size=d), "start"
    try:
        # In the rescaled problem the unknown is P~ = T^T P.
        return cayley_preimage(problem.T.T @ target if rescale else target), target, name
    except ValueError as error:
        raise ValueError(f"start: {error}") from None


def trust_region_descent(problem: BrockettProblem, *, start: str | ArrayLike = "zero",
                         rescale: bool = False, max_iter: int = 1000,
                         gtol: float = 1e-6, hessian: str = "differences") -> Descrambling:
    """The original descrambler: trust-region Newton–CG on the Cayley coordinates ``q``.

    Minimises ``tr(A P M P^T)`` over ``P = (I + Q)^{-1}(I - Q)``, ``Q`` skew with
    strict lower triangle ``q``, as the paper's ``descramble.m``: ``A`` and ``M``
    rescaled to spectral norm ``d`` each, analytic gradient in ``q``, Hessian-vector
    products by forward differences of that gradient (one gradient each), subproblems
    by Steihaug's truncated conjugate gradients (``scipy.optimize.minimize``,
    ``method="trust-ncg"``: the scipy relative of ``fmincon``'s trust-region steps with
    CG subproblems).

    Parameters
    ----------
    problem : BrockettProblem
    start : {"zero", "eigenbasis"} or array_like, shape (d, d)
        ``"zero"`` (default): ``q = 0``, i.e. ``P = I`` (``P = T`` with ``rescale``).
        ``"eigenbasis"``: the strict lower triangle of the Cayley pre-image of ``T``,
        as the original; the start is ``T`` only when ``det T = +1`` and ``T`` has no
        eigenvalue ``-1`` (the message reports ``||P_start - T||_F``). An orthogonal
        array: the same with that matrix instead of ``T``.
    rescale : bool
        The paper's "reparameterised" strategy (c): ``A`` replaced by its diagonal
        ``Omega`` in ``T``'s eigenbasis, solved for ``P~`` and returned as
        ``P = T P~``.
    max_iter : int
        Trust-region iterations (rejected steps count), default 1000 as in the paper.
    gtol : float
        Stop when ``||grad_q f|| < gtol * max(1, ||grad_q f(q0)||)`` in the
        normalised units (relative, as ``fmincon``'s optimality tolerance; default
        1e-6, its default).
    hessian : {"differences", "exact"}
        Hessian-vector products by forward differences of the analytic gradient (the
        original; one gradient each) or by the exact directional derivative (eight
        matrix products, no factorisation: about half the time per product, and
        free of difference noise, so the CG subproblems also end sooner). The iterates
        differ at the level of that noise.

    Returns
    -------
    Descrambling
        ``method="original"``; ``P``, ``loss``, ``bound`` and ``history`` in the
        caller's units, ``relative_gap`` certified by the bound (valid while ``P`` is
        orthogonal: the message reports ``max|P^T P - I|``). ``converged`` is True
        only when the gradient tolerance was met with a finite, orthogonal result whose
        coordinates are not saturated (``||q|| <= 1/sqrt(eps)``; a start without a
        Cayley pre-image, such as strategy (b) when ``det T = -1``, has ``||q||`` of
        order ``1/eps`` and stops at once, as the original does, with
        ``converged=False``).

    Raises
    ------
    ValueError
        ``problem`` not a BrockettProblem; unknown ``start`` or one without a Cayley
        pre-image; ``rescale`` not a bool; ``max_iter`` not an integer >= 0; ``gtol``
        negative or not finite; unknown ``hessian``.

    Notes
    -----
    Cost. Each iteration evaluates the gradient once and runs Steihaug CG, one
    Hessian-vector product per CG step, until the residual falls by
    ``min(1/2, ||g||^{1/2})``, the step leaves the trust region or meets negative
    curvature. The Hessian in ``q`` is ill-conditioned (its curvatures are about
    ``(omega_i - omega_j)(lambda_i - lambda_j)`` over pairs of modes), so once
    ``||g||`` is small the CG runs take hundreds to thousands of steps: at ``d = 80``
    a run that stops at ``gtol = 1e-6`` takes a few hundred iterations and about
    1e5 products, while 1000 iterations forced with ``gtol = 0`` take about 1e6.
    Products run on one BLAS thread (:func:`~descramble_lib.limit_threads`).
    """
    if not isinstance(problem, BrockettProblem):
        raise ValueError(f"problem must be a BrockettProblem, got {type(problem).__name__}")
    rescale = check_bool(rescale, "rescale")
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    gtol = check_real(gtol, "gtol", minimum=0.0)
    hessian = check_choice(hessian, "hessian", HESSIANS)
    started = time.perf_counter()
    d = problem.d
    q0, intended_start, start_name = _start_coordinates(start, problem, rescale)
    # The original's normalisation, on top of the problem's powers of two.
    omega_norm = float(np.max(np.abs(problem.omega)))
    energy_norm = float(problem.energies[0])
    a_factor = d / omega_norm if omega_norm > 0 else 1.0
    m_factor = d / energy_norm if energy_norm > 0 else 1.0
    A = a_factor * (problem.omega if rescale else problem.A / problem.omega_scale)
    cost = _CoordinateCost(A, m_factor * problem.moment)
    to_normalised = 1.0 / (a_factor * m_factor)
    basis = problem.T if rescale else np.eye(d)
    start_P = basis @ cost.rotation(q0)
    start_note = (f"start ||P0 - {start_name}||_F = "
                  f"{np.linalg.norm(start_P - intended_start):.3g}")
    if q0.size == 0:
        return _result(problem, start_P, None, "original", True,
                       "d = 1: nothing to optimise", started)
    value0, gradient0 = cost(q0)
    gradient0_norm = float(np.linalg.norm(gradient0))
    threshold = gtol * max(1.0, gradient0_norm)
    history = [value0]

    def record(intermediate_result) -> None:
        history.append(float(intermediate_result.fun))

    if gradient0_norm == 0 or gradient0_norm < threshold:
        q, status, scipy_message = q0, 0, "the start meets the gradient tolerance"
    elif max_iter == 0:
        q, status, scipy_message = q0, 1, "max_iter = 0"
    else:
        hessp = cost.hessp if hessian == "differences" else cost.exact_hessp
        # d x d products at these sizes are fastest on one thread (see limit_threads).
        with limit_threads(1):
            outcome = scipy.optimize.minimize(
                cost, q0, jac=True, hessp=hessp, method="trust-ncg", callback=record,
                options={"maxiter": max_iter, "gtol": threshold})
        q, status, scipy_message = outcome.x, outcome.status, outcome.message
    P = basis @ cost.rotation(q)
    drift = float(np.max(np.abs(P.T @ P - np.eye(d))))
    converged = status == 0 and bool(np.all(np.isfinite(P)))
    products = (f"{cost.evaluations} gradients" if hessian == "differences" else
                f"{cost.evaluations} gradients, {cost.products} exact Hessian products")
    message = (f"trust-ncg: {scipy_message} ({products}); "
               f"{start_note}; max|P^T P - I| = {drift:.1e}")
    if drift > 1e-8:
        converged = False
        message += " (P is not orthogonal: the gap is not certified)"
    q_norm = float(np.linalg.norm(q))
    if q_norm > _SATURATED:
        # The Cayley map's derivative falls as 1/||q||^2: beyond 1/sqrt(eps) the gradient in
        # q is below rounding at any P, so meeting the tolerance says nothing about P.
        converged = False
        message += (f" (the Cayley coordinates are saturated, ||q|| = {q_norm:.1e} > "
                    f"{_SATURATED:.1e}: their gradient vanishes at any P, so the stop does "
                    "not make P stationary)")
    caller_history = np.array([problem.to_caller_units(value * to_normalised)
                               for value in history])
    return _result(problem, P, caller_history, "original", converged, message, started)
