"""The front door: :func:`descramble` dispatches to one solver and checks its options.

Methods and the options each one takes:

=============  ==========================================================  =================
method         what it does                                                options
=============  ==========================================================  =================
``"eig"``      closed form ``P = T U^T`` of Lemma 1 (default)               none
``"cayley"``   Cayley descent on O(d), certified by the bound               ``P0``, ``rescale``,
               (:func:`~descramble_lib.solvers.brockett_descent`)           ``precondition``,
                                                                            ``max_iter``, ``tol``,
                                                                            ``grad_tol``
``"original"`` the paper's own descrambler: trust-region Newton–CG in      ``start``, ``rescale``,
               Cayley coordinates (:func:`~.trust_region_descent` in        ``max_iter``, ``gtol``,
               :mod:`~descramble_lib.cayley_coordinates`)                   ``hessian``
``loss=f``     a general loss, Cayley descent with autograd gradients      ``P0``, ``max_iter``,
               (:func:`~descramble_lib.general_losses.autograd_descent`)    ``grad_tol``
=============  ==========================================================  =================

An option that the chosen method does not take raises ``ValueError``, so that a
misspelt or misplaced option is never silently ignored.
"""

from __future__ import annotations

import time
from typing import Callable

from numpy.typing import ArrayLike

from .cayley_coordinates import trust_region_descent
from ._moment_closed_form import closed_form_from_lower_triangle
from .general_losses import autograd_descent
from .moments import SecondMoment
from .problem import BrockettProblem
from .result import Descrambling
from .solvers import brockett_descent, closed_form

__all__ = ["METHODS", "descramble"]

#: The Brockett methods of :func:`descramble` and the options each one takes.
METHODS: dict[str, tuple[str, ...]] = {
    "eig": (),
    "cayley": ("P0", "rescale", "precondition", "max_iter", "tol", "grad_tol"),
    "original": ("start", "rescale", "max_iter", "gtol", "hessian"),
}
_LOSS_OPTIONS = ("P0", "max_iter", "grad_tol")


def _check_options(options: dict, allowed: tuple[str, ...], what: str) -> None:
    extra = sorted(set(options) - set(allowed))
    if extra:
        takes = ", ".join(allowed) if allowed else "no options"
        raise ValueError(f"option(s) {', '.join(extra)} do not apply to {what} "
                         f"(it takes: {takes})")


def descramble(S: ArrayLike | BrockettProblem | SecondMoment, A: ArrayLike | None = None, *,
               method: str | None = None, loss: Callable | None = None,
               **options) -> Descrambling:
    """Find the orthogonal descrambler of a layer's preactivations.

    Minimises ``eta(P) = tr(A P S S^T P^T)`` over ``P`` in O(d); with the default
    ``A = D^T D`` this is the smoothness criterion ``||D P S||_F^2``. With ``loss=``,
    minimises that loss instead.

    Parameters
    ----------
    S : array_like, shape (d, n), BrockettProblem or SecondMoment
        Preactivations ``W X + b 1^T`` of a layer with ``d`` neurons on ``n`` inputs
        (not centred; ``n < d`` is allowed), or a prepared
        :class:`~descramble_lib.BrockettProblem` (e.g. built from a second moment
        ``M = S S^T`` with :meth:`~descramble_lib.BrockettProblem.from_moment`), or a
        :class:`~descramble_lib.SecondMoment` accumulated batch by batch. With a
        moment, the default ``A`` and ``method="eig"``, the closed form runs in three
        ``d x d`` arrays for ``d > 512``, the moment's own buffer included (below,
        LAPACK's ``dsyevd`` works on a copy, a few MiB): the buffer serves as workspace
        during the call and is restored bit for bit, so do not read or update the
        moment from another thread meanwhile
        (:mod:`~descramble_lib._moment_closed_form`); otherwise the moment becomes a
        :class:`~descramble_lib.BrockettProblem`.
    A : array_like, shape (d, d), optional
        Symmetric cost matrix. Default: ``D^T D`` with ``D`` from
        :func:`~descramble_lib.second_derivative_matrix`. Not with a problem (it has
        its own) nor with ``loss=``.
    method : {"eig", "cayley", "original"}, optional
        Closed form ``T U^T`` of Lemma 1 (default), certified Cayley descent, or the
        paper's own trust-region Newton–CG in Cayley coordinates (options ``start``,
        ``rescale``, ``max_iter``, ``gtol``, ``hessian``; see
        :func:`~descramble_lib.cayley_coordinates.trust_region_descent`).
    loss : callable, optional
        A general loss ``loss(P, S) -> scalar torch tensor`` (float64 tensors ``P`` of
        shape ``(d, d)`` and ``S`` of shape ``(d, n)``); see
        :mod:`~descramble_lib.general_losses`. No bound is known: ``bound``, ``gap``
        and ``relative_gap`` are NaN.
    **options
        Options of the chosen method (table in :mod:`~descramble_lib.descrambling`):
        ``P0`` (orthogonal array, ``"identity"`` or ``"eigenbasis"``), ``rescale``,
        ``precondition`` (default True), ``max_iter`` (1000), ``tol`` (1e-10, on the
        certified relative gap) and ``grad_tol`` (1e-14 for the Brockett cost, 1e-10
        with ``loss=``); see :func:`~descramble_lib.solvers.brockett_descent`.

    Returns
    -------
    Descrambling
        ``P``, ``loss``, ``bound``, ``gap`` (caller's units), ``relative_gap``,
        ``history`` and diagnostics.

    Raises
    ------
    ValueError
        Non-finite, complex or non-2-D ``S``; ``A`` not square, symmetric or
        ``d x d``; unknown ``method``; an option the method does not take; any
        option out of range (see the solver).
    """
    started = time.perf_counter()
    if loss is not None:
        if method not in (None, "cayley"):
            raise ValueError(f"a general loss has no closed form: method must be 'cayley' "
                             f"(or left out), got {method!r}")
        if A is not None:
            raise ValueError("A belongs to the Brockett loss; with loss=, build A into the "
                             "loss (e.g. loss=brockett_loss(A))")
        if isinstance(S, (BrockettProblem, SecondMoment)):
            raise ValueError(f"a general loss needs the preactivations S, not a "
                             f"{type(S).__name__}")
        _check_options(options, _LOSS_OPTIONS, "a general loss (loss=)")
        return autograd_descent(S, loss, **options)
    method = "eig" if method is None else method
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {tuple(METHODS)}")
    _check_options(options, METHODS[method], f"method={method!r}")
    if isinstance(S, SecondMoment):
        if S.count == 0:
            raise ValueError("the SecondMoment is empty: no samples were added")
        if A is None and method == "eig":
            result = closed_form_from_lower_triangle(S.lower_triangle(),
                                                     label="closed form (second moment)")
            result.wall_time_s = time.perf_counter() - started
            return result
        problem = S.to_problem(A)
    elif isinstance(S, BrockettProblem):
        if A is not None:
            raise ValueError("A is part of the BrockettProblem; do not pass it again")
        problem = S
    else:
        problem = BrockettProblem(S, A)
    if method == "original":
        result = trust_region_descent(problem, **options)
    else:
        result = closed_form(problem) if method == "eig" else brockett_descent(problem, **options)
    # The wall time includes the eigendecompositions of the problem.
    result.wall_time_s = time.perf_counter() - started
    return result
