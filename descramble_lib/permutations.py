"""Descrambling over the permutation group: a quadratic assignment problem.

Restricting the descrambler to permutation matrices (reordering neurons rather
than mixing them) turns ``min tr(A P M P^T)`` into a quadratic assignment
problem (QAP), NP-hard in general. ``scipy.optimize.quadratic_assignment``
offers the FAQ relaxation (Vogelstein et al. 2015) and 2-opt local search; here
they are run from several starts, one of them a rounding of the orthogonal
optimum, and the best permutation found is kept. The orthogonal optimum of
Lemma 1 bounds every permutation's loss from below, so the result carries a
certified gap as well.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg
from scipy.optimize import quadratic_assignment

from ._validation import check_bool, check_positive_int
from ._random import as_generator
from .problem import BrockettProblem
from .result import Descrambling

__all__ = ["PermutationDescrambling", "spectral_order", "descramble_permutation"]


@dataclass
class PermutationDescrambling(Descrambling):
    """Result of :func:`descramble_permutation`: a :class:`Descrambling` plus the order.

    Attributes
    ----------
    permutation : ndarray of int, shape (d,)
        ``P S = S[permutation]``: descrambled neuron ``i`` is original neuron
        ``permutation[i]``.
    start_losses : dict of str to float
        Best loss reached from each start (``"identity"``, ``"spectral"``,
        ``"random 0"``, ...).
    """

    permutation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    start_losses: dict = field(default_factory=dict)


def spectral_order(S: ArrayLike, A: ArrayLike = None) -> np.ndarray:
    """Order neurons by their coordinates in the smoothest non-constant modes.

    Parameters
    ----------
    S : array_like, shape (d, n)
        Preactivations.
    A : array_like, shape (d, d), optional
        Symmetric cost matrix (default: the smoothness operator ``D^T D``).

    Returns
    -------
    order : ndarray of int, shape (d,)
        A rounding of the orthogonal optimum ``P = T U^T`` to a permutation. Row
        ``j`` of ``P^T T[:, 1:3]`` gives neuron ``j`` two coordinates; when
        ``T[:, 1]`` and ``T[:, 2]`` share an eigenvalue (a cos/sin pair, as for
        ``D^T D``) neurons are sorted by the angle of that point, which places
        them around a circle (circular spectral seriation); otherwise they are
        sorted by the first coordinate alone (the Fiedler-vector seriation of
        Atkins, Boman and Hendrickson 1998).
    """
    return _spectral_order(BrockettProblem(S, A))


def _spectral_order(problem: BrockettProblem) -> np.ndarray:
    d = problem.d
    if d < 3:
        return np.arange(d)
    _, U = scipy.linalg.eigh(problem.moment)
    P = problem.T @ U[:, ::-1].T
    coordinates = P.T @ problem.T[:, 1:3]
    omega = problem.omega
    paired = abs(omega[2] - omega[1]) <= 1e-10 * max(abs(omega[-1]), 1.0)
    if paired:
        return np.argsort(np.arctan2(coordinates[:, 1], coordinates[:, 0]), kind="stable")
    return np.argsort(coordinates[:, 0], kind="stable")


def _loss(A, M, order) -> float:
    return float(np.sum(A * M[np.ix_(order, order)]))


def _check_starts(starts, d: int) -> dict:
    if starts is None:
        return {}
    if not isinstance(starts, Mapping):
        raise ValueError(f"starts must be a mapping of names to orders, got {type(starts).__name__}")
    checked = {}
    for name, order in starts.items():
        order = np.asarray(order)
        if (order.shape != (d,) or not np.issubdtype(order.dtype, np.integer)
                or not np.array_equal(np.sort(order), np.arange(d))):
            raise ValueError(f"start {name!r} must be a permutation of 0 ... {d - 1}")
        checked[str(name)] = order.astype(int)
    return checked


def descramble_permutation(S: ArrayLike, A: ArrayLike | None = None, *, rng, n_random: int = 2,
                           starts: Mapping[str, np.ndarray] | None = None,
                           refine: bool = True, maxiter: int = 100) -> PermutationDescrambling:
    """Find a neuron permutation minimising ``tr(A P S S^T P^T)`` (approximately).

    Parameters
    ----------
    S : array_like, shape (d, n)
        Preactivations.
    A : array_like, shape (d, d), optional
        Symmetric cost matrix; default the smoothness operator ``D^T D``.
    rng : None, int or numpy.random.Generator, keyword-only
        Randomness of the random starts and 2-opt (an int seeds a new generator).
    n_random : int
        Number of random FAQ starts, >= 0, besides the ``"identity"`` (neurons
        as given) and ``"spectral"`` (:func:`spectral_order`) starts.
    refine : bool
        Polish each FAQ result with 2-opt pair swaps.
    maxiter : int
        Frank–Wolfe iterations of FAQ per start.

    Returns
    -------
    PermutationDescrambling
        ``P`` (a permutation matrix), ``loss``, ``bound`` (the orthogonal
        optimum, a lower bound for every permutation), ``gap``, the permutation,
        and the loss reached from each start in ``start_losses``. The QAP is
        NP-hard: the permutation is the best one found, not a certified optimum.

    Raises
    ------
    ValueError
        Bad ``S`` or ``A`` (as :func:`~descramble_lib.descramble`), a negative
        ``n_random``, an ``rng`` that is not None, an int >= 0 or a Generator, or a start that is not a
        permutation of ``0 ... d - 1`` or reuses a built-in start's name.
    """
    rng = as_generator(rng)
    n_random = check_positive_int(n_random, "n_random", minimum=0)
    maxiter = check_positive_int(maxiter, "maxiter")
    refine = check_bool(refine, "refine")
    started = time.perf_counter()
    problem = BrockettProblem(S, A)
    # The normalised problem (A and M divided by powers of two): the same orders, at any scale.
    A, M, d = problem.A / problem.omega_scale, problem.moment, problem.d
    extra = _check_starts(starts, d)
    starts = {"identity": np.arange(d), "spectral": _spectral_order(problem)}
    starts.update({f"random {i}": None for i in range(n_random)})
    if set(extra) & set(starts):
        raise ValueError(f"start names {sorted(set(extra) & set(starts))} are taken by built-in starts")
    starts.update(extra)
    best_order, start_losses, n_iter = None, {}, 0
    for name, order in starts.items():
        options = dict(maxiter=maxiter, tol=1e-8, rng=rng,
                       P0="randomized" if order is None else np.eye(d)[order])
        candidates = [] if order is None else [order]
        result = quadratic_assignment(A, M, method="faq", options=options)
        candidates.append(result.col_ind)
        n_iter += int(result.nit)
        if refine:
            guess = min(candidates, key=lambda o: _loss(A, M, o))
            polished = quadratic_assignment(
                A, M, method="2opt",
                options=dict(rng=rng, partial_guess=np.column_stack([np.arange(d), guess])))
            candidates.append(polished.col_ind)
            n_iter += int(polished.nit)
        order = min(candidates, key=lambda o: _loss(A, M, o))
        start_losses[name] = _loss(A, M, order)
        if best_order is None or start_losses[name] < _loss(A, M, best_order):
            best_order = order
    normalised_loss = _loss(A, M, best_order)
    loss = problem.to_caller_units(normalised_loss)
    gap = problem.to_caller_units(normalised_loss - problem.normalised_bound)
    start_losses = {name: problem.to_caller_units(value) for name, value in start_losses.items()}
    history = np.array(list(start_losses.values()))
    return PermutationDescrambling(
        P=np.eye(d)[best_order], loss=loss, bound=problem.bound, gap=gap,
        relative_gap=(normalised_loss - problem.normalised_bound) / problem.floor,
        n_iter=n_iter, history=history, method="qap",
        converged=False, wall_time_s=time.perf_counter() - started,
        message="best permutation found (QAP is NP-hard; no optimality certificate)",
        permutation=np.asarray(best_order), start_losses=start_losses)
