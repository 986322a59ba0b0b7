"""The Brockett problem of Lemma 1: minimise ``tr(A P M P^T)`` over the orthogonal group.

Descrambling a layer with ``d`` neurons depends on its data only through the second
moment ``M = S S^T`` (``d x d``) of the preactivations ``S`` (``d x n``). A
:class:`BrockettProblem` holds ``A`` and ``M`` with both eigendecompositions,

* ``A = T diag(omega) T^T`` with ``omega`` ascending,
* ``M = U diag(energies) U^T`` with ``energies`` descending,

so that the closed-form optimum is ``P = T U^T`` and the exact minimum (the bound) is
``omega . energies``. It is built from ``S`` or directly from ``M``
(:meth:`BrockettProblem.from_moment`), e.g. a moment accumulated batch by batch.

Scale. The cost is homogeneous: scaling ``S`` by ``c`` scales it by ``c^2``, and ``A``
by ``a`` scales it by ``a``. The problem is solved on data and ``A`` divided by powers of
two near their magnitudes (exact in floating point), so descents and eigendecompositions
see numbers of order one whatever the caller's units; costs, the bound and gaps are
reported in the caller's units (:attr:`BrockettProblem.cost_scale` converts).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from ._validation import as_finite_matrix, as_symmetric_matrix
from .operators import fourier_basis, fourier_wavenumbers, smoothness_operator

__all__ = ["BrockettProblem"]


def _power_of_two_near(magnitude: float) -> float:
    """``2^k`` with ``k`` the nearest integer to ``log2(magnitude)`` (1 for 0)."""
    if magnitude == 0:
        return 1.0
    return math.ldexp(1.0, round(math.log2(magnitude)))


class BrockettProblem:
    """``min over P in O(d) of tr(A P M P^T)``, with ``M = S S^T`` the data's second moment.

    Parameters
    ----------
    S : array_like, shape (d, n), optional
        Preactivations of a layer with ``d`` neurons on ``n`` inputs (not centred);
        ``n < d`` is allowed. Real and finite; torch tensors are detached.
    A : array_like, shape (d, d), optional
        Symmetric cost matrix. Default ``D^T D`` with ``D`` the second-derivative
        matrix (:func:`~descramble_lib.smoothness_operator`), whose eigenbasis is the
        real Fourier basis with eigenvalues ``k^4``.
    moment : array_like, shape (d, d), or SecondMoment, keyword-only, optional
        The second moment ``M = S S^T`` instead of ``S`` (exactly one of the two):
        symmetric, finite and positive semidefinite up to rounding; or a
        :class:`~descramble_lib.SecondMoment` (its uncentred moment is used).

    Attributes
    ----------
    d : int
        Number of neurons.
    A : ndarray, shape (d, d)
        The cost matrix, in the caller's units.
    T : ndarray, shape (d, d)
        Orthonormal eigenvectors of ``A`` (columns), ``omega`` ascending.
    omega : ndarray, shape (d,)
        Eigenvalues of ``A`` divided by :attr:`omega_scale`.
    U : ndarray, shape (d, d)
        Orthonormal eigenvectors of ``M`` (columns), ``energies`` descending.
    energies : ndarray, shape (d,)
        Eigenvalues of ``M`` (squared singular values of ``S``), clipped at 0,
        divided by :attr:`moment_scale`.
    moment : ndarray, shape (d, d)
        ``M / moment_scale``.
    omega_scale, moment_scale : float
        Powers of two; the caller's ``A``-eigenvalues and moment are these times the
        stored ones.
    cost_scale : float
        ``omega_scale * moment_scale``: the caller's cost is ``cost_scale`` times the
        cost of the stored (normalised) problem. May overflow to ``inf`` for data whose
        cost is not representable in float64; the normalised problem is still solved.
    bound : float
        Exact minimum ``omega . energies`` in the caller's units.
    normalised_bound : float
        The same for the normalised problem (``bound = cost_scale * normalised_bound``).
    floor : float
        Scale (in normalised units) for relative gaps: the normalised bound, or a
        rounding-level value when the bound is 0 (e.g. rank-one data).

    Raises
    ------
    ValueError
        Neither or both of ``S`` and ``moment``; ``S`` not a real finite 2-D array;
        ``moment`` not square, symmetric, finite or positive semidefinite; ``A`` not
        real, finite, symmetric and ``d x d``.
    """

    def __init__(self, S: ArrayLike | None = None, A: ArrayLike | None = None, *,
                 moment: ArrayLike | None = None):
        if (S is None) == (moment is None):
            raise ValueError("give exactly one of S (preactivations, d x n) and "
                             "moment (M = S S^T, d x d)")
        if S is not None:
            S = as_finite_matrix(S, "S")
            data_scale = _power_of_two_near(float(np.max(np.abs(S))))
            S_normalised = S / data_scale
            with np.errstate(over="ignore", under="ignore"):
                self.moment_scale = float(np.float64(data_scale) ** 2)
            self.moment = S_normalised @ S_normalised.T
        else:
            if callable(getattr(moment, "lower_triangle", None)):  # a SecondMoment
                moment = moment.moment()
            M = as_symmetric_matrix(moment, "moment")
            self.moment_scale = _power_of_two_near(float(np.max(np.abs(np.diag(M)))))
            self.moment = M / self.moment_scale
            # Exactly symmetric, so that the eigendecomposition is the same from either side.
            self.moment = 0.5 * (self.moment + self.moment.T)
        self.d = self.moment.shape[0]
        self._set_cost_matrix(A)
        # The squared singular values of S are the eigenvalues of M; "evd" is the
        # fastest LAPACK driver at these sizes. Rounding can leave tiny negatives.
        energies, U = scipy.linalg.eigh(self.moment, driver="evd")
        if moment is not None and energies[0] < -1e-8 * max(energies[-1], 0.0):
            raise ValueError(
                f"moment is not positive semidefinite: its smallest eigenvalue is "
                f"{energies[0] * self.moment_scale:.3e}, its largest "
                f"{energies[-1] * self.moment_scale:.3e}")
        self.energies, self.U = np.clip(energies[::-1], 0.0, None), U[:, ::-1]
        normalised_bound = float(np.dot(self.omega, self.energies))
        # Rounding floor used when the bound itself is zero (e.g. rank-one data).
        rounding = 1e-13 * max(float(np.max(np.abs(self.omega))), 1.0) * float(
            np.sum(self.energies))
        self.floor = max(normalised_bound, rounding, np.finfo(float).tiny)
        with np.errstate(over="ignore", under="ignore"):
            self.cost_scale = float(np.float64(self.omega_scale) * self.moment_scale)
        self.normalised_bound = normalised_bound
        self.bound = self.to_caller_units(normalised_bound)

    @classmethod
    def from_moment(cls, moment: ArrayLike, A: ArrayLike | None = None) -> "BrockettProblem":
        """The problem for a given second moment ``M = S S^T`` (shape ``(d, d)``), an array
        or a :class:`~descramble_lib.SecondMoment`."""
        return cls(None, A, moment=moment)

    def _set_cost_matrix(self, A) -> None:
        d = self.d
        if A is None:
            self.A = smoothness_operator(d)
            self.T = fourier_basis(d)
            omega = fourier_wavenumbers(d).astype(float) ** 4
        else:
            self.A = as_symmetric_matrix(A, "A", size=d)
            omega, self.T = scipy.linalg.eigh(self.A)
        self.omega_scale = _power_of_two_near(float(np.max(np.abs(omega))))
        self.omega = omega / self.omega_scale
        self._A_normalised = self.A / self.omega_scale

    def to_caller_units(self, normalised_cost: float) -> float:
        """A cost of the normalised problem in the caller's units (may be ``inf``)."""
        with np.errstate(over="ignore", under="ignore"):
            return float(np.float64(normalised_cost) * self.cost_scale)

    def normalised_cost(self, P: np.ndarray) -> float:
        """``tr(A' P M' P^T)`` of the normalised problem, for ``P`` of shape (d, d)."""
        return float(np.sum((self._A_normalised @ P) * (P @ self.moment)))

    def cost(self, P: ArrayLike) -> float:
        """``tr(A P M P^T)`` in the caller's units, for an orthogonal ``P`` of shape (d, d)."""
        P = as_finite_matrix(P, "P")
        if P.shape != (self.d, self.d):
            raise ValueError(f"P must have shape ({self.d}, {self.d}), got {P.shape}")
        return self.to_caller_units(self.normalised_cost(P))

    def relative_gap(self, P: np.ndarray) -> float:
        """``(cost(P) - bound) / bound``, computed on the normalised problem."""
        return (self.normalised_cost(P) - self.normalised_bound) / self.floor

    def closed_form(self) -> np.ndarray:
        """The optimum ``P = T U^T`` of Lemma 1, shape (d, d)."""
        return self.T @ self.U.T

    def eigenbasis_cost_and_gradient(self, Q: np.ndarray) -> tuple[float, np.ndarray]:
        """Normalised cost and Euclidean gradient in ``A``'s eigenbasis, ``Q = T^T P``.

        The cost is ``tr(Omega Q M Q^T)`` with ``Omega = diag(omega)`` and ``M`` the
        moment written in the original coordinates (``Q`` acts on the neuron axis of
        ``T^T``-rotated data), and the gradient ``2 Omega Q M``.
        """
        scaled = self.omega[:, None] * Q
        return float(np.sum(scaled * (Q @ self.moment))), 2.0 * scaled @ self.moment

    def cost_and_gradient(self, P: np.ndarray) -> tuple[float, np.ndarray]:
        """Normalised cost ``tr(A' P M' P^T)`` and its Euclidean gradient ``2 A' P M'``."""
        AP = self._A_normalised @ P
        return float(np.sum(AP * (P @ self.moment))), 2.0 * AP @ self.moment

    def __repr__(self) -> str:
        return (f"BrockettProblem(d={self.d}, bound={self.bound:.6g}, "
                f"cost_scale={self.cost_scale:.3g})")
