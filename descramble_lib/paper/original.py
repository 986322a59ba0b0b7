"""The paper's own descrambler, as its MATLAB ``descramble.m`` and ``figs1_2.m`` run it.

The optimiser itself is in the core (:mod:`descramble_lib.cayley_coordinates`,
``method="original"`` of :func:`~descramble_lib.descramble`): Cayley coordinates ``q``
(the strict lower triangle of a skew ``Q``, ``P = (I + Q)^{-1}(I - Q)``), the cost
``tr(A P M P^T)`` with ``A`` and ``M`` rescaled to spectral norm ``d``, its analytic
gradient in ``q``, and a trust-region Newton–CG with Hessian-vector products by
finite differences of that gradient. This module adds what is specific to the paper:

* the operator: the original builds ``A = D1^T D1`` from the **first**-derivative
  Fourier matrix (eigenvalues ``k^2``, with a second zero for the Nyquist mode at
  even ``d``) although its comment says "second derivative";
  :func:`original_cost_matrix` gives it, or the book's ``D^T D`` (``k^4``);
* the strategies of Figure 1 (:data:`~descramble_lib.paper.ORIGINAL_STRATEGIES`):
  (a) from ``q = 0``, (b) from the Cayley pre-image of ``T``, (c) the reparameterised
  problem (``A`` replaced by ``Omega``, shown as ``T P~``), (d) the closed form;
  :func:`original_descramble` runs one;
* :func:`eigenbasis_start`: where strategy (b) really starts. The original keeps only
  the strict lower triangle of ``(I - T)(I + T)^{-1}``, so the start is ``T`` only
  when ``det T = +1`` and ``T`` has no eigenvalue ``-1``.

The coordinate helpers are re-exported here so that a chapter can call
``dl.paper.cayley_from_coordinates`` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..cayley_coordinates import (cayley_from_coordinates, cayley_preimage,
                                  coordinate_cost_and_gradient, coordinates_from_skew,
                                  skew_from_coordinates, spectral_normalise,
                                  trust_region_descent)
from .._validation import as_finite_matrix, check_choice, check_positive_int
from ..descrambling import descramble
from ..operators import first_derivative_matrix, smoothness_operator
from ..problem import BrockettProblem
from ..result import Descrambling
from .strategies import ORIGINAL_STRATEGIES

__all__ = ["ORIGINAL_OPERATORS", "original_cost_matrix", "original_problem",
           "EigenbasisStart", "eigenbasis_start", "original_descramble",
           "skew_from_coordinates", "coordinates_from_skew", "cayley_from_coordinates",
           "cayley_preimage", "coordinate_cost_and_gradient", "spectral_normalise",
           "trust_region_descent"]

#: The operators of :func:`original_cost_matrix`: the original's first derivative
#: (``A = D1^T D1``, eigenvalues ``k^2``) and the book's second derivative (``k^4``).
ORIGINAL_OPERATORS = ("first", "second")


def original_cost_matrix(d: int, operator: str = "first") -> np.ndarray:
    """The cost matrix ``A = D^T D`` of the original code, shape ``(d, d)``.

    Parameters
    ----------
    d : int
        Number of neurons (>= 1).
    operator : {"first", "second"}
        ``"first"`` (default, what ``descramble.m`` builds): ``D`` the Fourier
        first-derivative matrix ``fourdif(d, 1)``
        (:func:`~descramble_lib.first_derivative_matrix`). ``"second"``: the book's
        :func:`~descramble_lib.smoothness_operator` (``fourdif(d, 2)``).

    Raises
    ------
    ValueError
        ``d`` not an integer >= 1; unknown ``operator``.
    """
    d = check_positive_int(d, "d")
    operator = check_choice(operator, "operator", ORIGINAL_OPERATORS)
    if operator == "second":
        return smoothness_operator(d)
    D = first_derivative_matrix(d)
    return D.T @ D


def original_problem(S: ArrayLike, operator: str = "first") -> BrockettProblem:
    """The :class:`~descramble_lib.BrockettProblem` of preactivations ``S`` (d x n) with
    :func:`original_cost_matrix`. ``operator="second"`` uses the book's default ``A``
    (and its exact Fourier eigenbasis)."""
    operator = check_choice(operator, "operator", ORIGINAL_OPERATORS)
    if operator == "second":
        return BrockettProblem(S)
    S = as_finite_matrix(S, "S")
    return BrockettProblem(S, original_cost_matrix(S.shape[0], "first"))


@dataclass
class EigenbasisStart:
    """Where strategy (b) starts (see :func:`eigenbasis_start`).

    Attributes
    ----------
    P : ndarray, shape (d, d)
        The start rotation ``cayley_from_coordinates(q)``. When ``det T = -1``,
        ``q`` is of order ``1 / eps`` and ``P`` is close to ``-I`` (except, for odd
        ``d``, along one direction, where it is not even orthogonal to working
        precision: ``I + Q`` is that ill-conditioned).
    q : ndarray, shape (d(d-1)/2,)
        Its coordinates: the strict lower triangle of ``(I - T)(I + T)^{-1}``.
    distance : float
        ``||P - T||_F`` (0 when the start is ``T``; ``sqrt(2 d)`` is as far as two
        orthogonal matrices can be).
    det_T : float
        ``det T`` (+1 or -1).
    """

    P: np.ndarray
    q: np.ndarray
    distance: float
    det_T: float


def eigenbasis_start(problem: BrockettProblem) -> EigenbasisStart:
    """The start of strategy (b) for ``problem``, computed as the original does.

    Raises
    ------
    ValueError
        ``problem`` not a BrockettProblem, or ``I + T`` exactly singular.
    """
    if not isinstance(problem, BrockettProblem):
        raise ValueError(f"problem must be a BrockettProblem, got {type(problem).__name__}")
    q = cayley_preimage(problem.T)
    P = cayley_from_coordinates(q, problem.d)
    return EigenbasisStart(P=P, q=q, distance=float(np.linalg.norm(P - problem.T)),
                           det_T=float(np.linalg.det(problem.T)))


def original_descramble(S: ArrayLike | BrockettProblem, strategy: str = "a", *,
                        operator: str | None = None, **options) -> Descrambling:
    """Descramble as the paper's code does, with one of its strategies (a)-(d).

    Parameters
    ----------
    S : array_like, shape (d, n), or BrockettProblem
        Preactivations, or a prepared problem (which carries its own ``A``; then
        ``operator`` must be left out).
    strategy : {"a", "b", "c", "d"}
        Keys of :data:`~descramble_lib.paper.ORIGINAL_STRATEGIES`: (a) trust-region
        Newton–CG from ``q = 0``; (b) from the Cayley pre-image of ``T``; (c) the
        reparameterised problem from ``P = T``; (d) the closed form ``T U^T``.
    operator : {"first", "second"}, keyword-only, optional
        Cost matrix for preactivations (default ``"first"``, the original's): see
        :func:`original_cost_matrix`.
    **options
        Options of ``method="original"`` (``max_iter``, default 1000; ``gtol``; for
        (a) and (b) also ``start`` and ``rescale`` override the strategy's). The
        closed form (d) takes none.

    Returns
    -------
    Descrambling
        ``method="original"`` for (a)-(c), ``"eig"`` for (d).

    Raises
    ------
    ValueError
        Unknown ``strategy`` or ``operator``; ``operator`` with a problem; an option
        the strategy's method does not take (see :func:`~descramble_lib.descramble`).
    """
    strategy = check_choice(strategy, "strategy", tuple(ORIGINAL_STRATEGIES))
    if isinstance(S, BrockettProblem):
        if operator is not None:
            raise ValueError("operator: a BrockettProblem has its own A; leave operator out")
        problem = S
    else:
        problem = original_problem(S, "first" if operator is None else operator)
    return descramble(problem, **{**ORIGINAL_STRATEGIES[strategy], **options})
