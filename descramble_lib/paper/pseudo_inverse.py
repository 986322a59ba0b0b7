"""Regularised pseudo-inverses of the DEER kernel, and how close a learned map comes to one.

A regularised pseudo-inverse of the kernel ``K`` (times x distances) is a linear map ``R``
(distances x times) that turns a signal ``x = K p + noise`` into an estimate ``R x`` of the
distribution ``p``. This module builds the two references of the pseudo-inverse chapter and
the measures that compare a learned map with them:

* references: the Tikhonov map (:func:`tikhonov_map`) at the parameter chosen by generalised
  cross-validation (:func:`gcv_alpha`), and the Wiener map, the best linear estimator under
  the simulator's prior (:func:`descramble_lib.theory.regularised_pseudo_inverse`);
* maps: the relative distance of two maps on data (:func:`operator_distance`), a random map
  with the same singular values as a null model (:func:`same_spectrum_map`), the filter
  factors of a map (:func:`filter_factors`) and the noise cutoff of the prior
  (:func:`picard_cutoff`);
* bases (the share of one subspace inside another is
  :func:`descramble_lib.paper.subspace_overlap`, as for Figure 3): the basis that the closed-form descrambler gives a first layer (:func:`principal_readers`),
  how well such a basis matches the kernel's singular vectors one by one
  (:func:`best_match_overlaps`) or in order (:func:`band_shares`), and what a random basis of
  the same span would score (:func:`random_basis_matches`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from .._random import as_generator
from .._validation import as_finite_matrix, check_positive_int, check_real
from ..descrambling import descramble
from ..orthogonal import random_orthogonal
from ..problem import BrockettProblem
from ..deer.regularisation import gcv_tikhonov, tikhonov

__all__ = ["tikhonov_map", "gcv_alpha", "operator_distance", "same_spectrum_map",
           "filter_factors", "resolved_modes", "picard_cutoff",
           "principal_readers", "best_match_overlaps", "band_shares", "random_basis_matches"]


def tikhonov_map(K: ArrayLike, alpha: float, *, L: ArrayLike | None = None) -> np.ndarray:
    """The Tikhonov inverse as a matrix: ``R = (K^T K + alpha^2 L^T L)^{-1} K^T``.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator (e.g. the Delta-r weighted kernel, nm).
    alpha : float
        Regularisation parameter (> 0), in the units of ``K``.
    L : array_like, shape (q, n), keyword-only, optional
        Penalty operator (default the identity: standard-form Tikhonov).

    Returns
    -------
    R : ndarray, shape (n, m)
        ``R @ y`` is :func:`~descramble_lib.deer.tikhonov` ``(K, y, alpha, L=L)`` for every
        signal ``y``: the map is linear, so it is the solution for the identity's columns.
    """
    K = as_finite_matrix(K, "K")
    return tikhonov(K, np.eye(K.shape[0]), alpha, L=L)


def gcv_alpha(K: ArrayLike, signals: ArrayLike, *, L: ArrayLike | None = None) -> float:
    """One regularisation parameter for a set of signals: the median of their GCV choices.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator.
    signals : array_like, shape (k, m)
        Signals, **one per row**; each gets its own GCV choice
        (:func:`~descramble_lib.deer.gcv_tikhonov`, default grid).
    L : array_like, shape (q, n), keyword-only, optional
        Penalty operator (default the identity).

    Returns
    -------
    alpha : float
        The median of the ``k`` chosen parameters (units of ``K``), so that one linear map
        :func:`tikhonov_map` stands for the GCV inverse of the whole set.
    """
    signals = as_finite_matrix(signals, "signals")
    return float(np.median(gcv_tikhonov(K, signals.T, L=L).alpha))


def operator_distance(A: ArrayLike, B: ArrayLike, *, inputs: ArrayLike | None = None) -> float:
    """Relative distance ``||A - B|| / ||B||`` of two linear maps, plain or on data.

    Parameters
    ----------
    A, B : array_like, shape (p, m)
        Two maps of the same shape; ``B`` is the reference (not zero).
    inputs : array_like, shape (n, m), keyword-only, optional
        Input vectors, one per row. Given, the distance is
        ``||(A - B) X^T||_F / ||B X^T||_F``: the root-mean-square difference of the two
        maps' outputs on these inputs, relative to the reference's. Without it, the
        Frobenius norm, which weighs every input direction alike, including those the
        data never excite.

    Returns
    -------
    float
        0 for identical maps; about ``sqrt(2)`` for two unrelated maps of equal size.
    """
    A, B = as_finite_matrix(A, "A"), as_finite_matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    if inputs is not None:
        inputs = as_finite_matrix(inputs, "inputs")
        if inputs.shape[1] != B.shape[1]:
            raise ValueError(f"inputs must have {B.shape[1]} columns (one input per row), "
                             f"got shape {inputs.shape}")
        A, B = A @ inputs.T, B @ inputs.T
    scale = np.linalg.norm(B)
    if scale == 0:
        raise ValueError("the reference map B is zero (on these inputs): no relative distance")
    return float(np.linalg.norm(A - B) / scale)


def same_spectrum_map(R: ArrayLike, *, rng: None | int | np.random.Generator) -> np.ndarray:
    """A random map with the singular values of ``R``: ``Q_1 diag(s) Q_2^T``, ``Q_i`` Haar.

    Parameters
    ----------
    R : array_like, shape (p, m)
        The map whose singular values ``s`` are kept.
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the two Haar-random orthogonal matrices.

    Returns
    -------
    ndarray, shape (p, m)
        Same singular values (so the same Frobenius and spectral norms) as ``R``, singular
        vectors uniformly random: the null model "as large as a pseudo-inverse, unrelated
        to the kernel".
    """
    R = as_finite_matrix(R, "R")
    generator = as_generator(rng)
    s = np.linalg.svd(R, compute_uv=False)
    p, m = R.shape
    left, right = random_orthogonal(p, generator), random_orthogonal(m, generator)
    return (left[:, :s.size] * s) @ right[:, :s.size].T


def filter_factors(M: ArrayLike, K: ArrayLike) -> np.ndarray:
    """Singular values of the resolution operator ``M K``, descending.

    Parameters
    ----------
    M : array_like, shape (n, m)
        A linear estimator (distances x times).
    K : array_like, shape (m, n)
        The forward operator.

    Returns
    -------
    phi : ndarray, shape (n,)
        For a filter-factor inverse ``M = V_K diag(phi_i / sigma_i) U_K^T``, exactly its
        filter factors ``phi_i`` (sorted): 1 for a mode passed unchanged, 0 for a mode
        suppressed. For any linear estimator, ``M K`` maps the true distribution to the
        expected estimate, and these values say how many directions it resolves.
    """
    M, K = as_finite_matrix(M, "M"), as_finite_matrix(K, "K")
    if M.shape != K.shape[::-1]:
        raise ValueError(f"M must have shape {K.shape[::-1]} to invert K of shape {K.shape}, "
                         f"got {M.shape}")
    return np.linalg.svd(M @ K, compute_uv=False)


def resolved_modes(M: ArrayLike, K: ArrayLike) -> int:
    """Number of filter factors of ``M`` (:func:`filter_factors`) at or above one half."""
    return int(np.sum(filter_factors(M, K) >= 0.5))


def picard_cutoff(K: ArrayLike, second_moment: ArrayLike, *, noise: float) -> int:
    """The noise cutoff of the discrete Picard condition for a prior and a noise level.

    Parameters
    ----------
    K : array_like, shape (m, n)
        Forward operator, ``K = U_K diag(sigma) V_K^T``.
    second_moment : array_like, shape (n, n)
        ``E[p p^T]`` of the distributions (for one distribution ``p``: ``outer(p, p)``).
    noise : float
        Standard deviation of the white noise on each signal sample (> 0).

    Returns
    -------
    int
        The last index ``i`` (1-based) at which the root-mean-square clean coefficient
        ``sigma_i sqrt(v_i^T E[p p^T] v_i) = sqrt(E[(u_i^T K p)^2])`` is at least ``noise``;
        0 if none is. For one distribution this is the index where ``|u_i^T K p|`` last
        reaches the noise level, as in the Picard plot of the DEER chapter.

    Notes
    -----
    For a prior diagonal in ``V_K`` the Wiener map has filter factors
    ``phi_i = c_i / (c_i + noise^2)`` with ``c_i`` the squared coefficient above, so
    ``phi_i >= 1/2`` exactly where the coefficient reaches the noise: the cutoff equals
    :func:`resolved_modes` of the Wiener map when the coefficients decrease.
    """
    K = as_finite_matrix(K, "K")
    C = as_finite_matrix(second_moment, "second_moment")
    if C.shape != (K.shape[1], K.shape[1]):
        raise ValueError(f"second_moment must have shape {(K.shape[1],) * 2} to match K "
                         f"{K.shape}, got {C.shape}")
    noise = check_real(noise, "noise", positive=True)
    _, sigma, Vt = np.linalg.svd(K, full_matrices=False)
    energy = np.maximum(np.einsum("ij,jk,ik->i", Vt, C, Vt), 0.0)
    above = np.flatnonzero(sigma * np.sqrt(energy) >= noise)
    return int(above[-1]) + 1 if above.size else 0


def principal_readers(W: ArrayLike, S: ArrayLike) -> np.ndarray:
    """The basis that the closed-form descrambler gives a first layer, as unit input vectors.

    Parameters
    ----------
    W : array_like, shape (d, m)
        First-layer weights (neurons x inputs).
    S : array_like, shape (d, n)
        Its preactivations on data, one example per column (bias included).

    Returns
    -------
    readers : ndarray, shape (d, m)
        Row ``i`` is ``u_i^T W / ||u_i^T W||``, with ``u_i`` the ``i``-th principal direction
        of ``S`` (largest energy first). The closed form of :func:`~descramble_lib.descramble`
        is ``P = T U^T`` with ``T`` fixed by the smoothness operator alone, so
        ``P W = T (U^T W)``: these rows are what descrambling learns from the layer, and
        ``T`` only arranges them along the neuron axis.
    """
    W, S = as_finite_matrix(W, "W"), as_finite_matrix(S, "S")
    if S.shape[0] != W.shape[0]:
        raise ValueError(f"S must have one row per neuron of W ({W.shape[0]}), got {S.shape}")
    problem = BrockettProblem(S)
    P = descramble(problem).P
    rows = problem.T.T @ P @ W
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("a principal direction of S reads nothing (u_i^T W = 0)")
    return rows / norms


def best_match_overlaps(readers: ArrayLike, basis: ArrayLike) -> np.ndarray:
    """For each reader, its largest squared cosine with a column of an orthonormal basis.

    Parameters
    ----------
    readers : array_like, shape (k, m)
        Unit vectors, one per row (e.g. :func:`principal_readers`).
    basis : array_like, shape (m, l)
        Orthonormal columns (e.g. the kernel's left singular vectors ``U_K``).

    Returns
    -------
    ndarray, shape (k,)
        ``max_j (r_i^T b_j)^2`` in [0, 1]: 1 when reader ``i`` is a basis vector up to sign.
    """
    readers, basis = as_finite_matrix(readers, "readers"), as_finite_matrix(basis, "basis")
    if readers.shape[1] != basis.shape[0]:
        raise ValueError(f"readers have length {readers.shape[1]} but the basis vectors "
                         f"{basis.shape[0]}")
    return np.max((readers @ basis) ** 2, axis=1)


def band_shares(readers: ArrayLike, basis: ArrayLike, *, width: int) -> np.ndarray:
    """For each reader ``i``, its squared length on the basis vectors ``j`` with ``|i - j| <= width``.

    Parameters
    ----------
    readers : array_like, shape (k, m)
        Unit vectors, one per row, in some order (e.g. :func:`principal_readers`).
    basis : array_like, shape (m, l)
        Orthonormal columns in their own order (e.g. ``U_K``).
    width : int
        Half width of the band (>= 0).

    Returns
    -------
    ndarray, shape (k,)
        ``sum_{|j - i| <= width} (r_i^T b_j)^2`` in [0, 1]: 1 when reader ``i`` is a mixture of
        basis vectors near its own position, as for a basis recovered in order up to a blur.
    """
    readers, basis = as_finite_matrix(readers, "readers"), as_finite_matrix(basis, "basis")
    if readers.shape[1] != basis.shape[0]:
        raise ValueError(f"readers have length {readers.shape[1]} but the basis vectors "
                         f"{basis.shape[0]}")
    width = check_positive_int(width, "width", minimum=0)
    i, j = np.indices((readers.shape[0], basis.shape[1]))
    return np.sum(np.where(np.abs(i - j) <= width, (readers @ basis) ** 2, 0.0), axis=1)


def random_basis_matches(readers: ArrayLike, basis: ArrayLike, *, n_draws: int,
                         rng: None | int | np.random.Generator) -> np.ndarray:
    """Null model of :func:`best_match_overlaps`: random orthonormal bases of the readers' span.

    Parameters
    ----------
    readers : array_like, shape (k, m)
        The readers whose span is kept (rank ``k``).
    basis : array_like, shape (m, l)
        Orthonormal columns to match against.
    n_draws : int
        Number of random bases.
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the Haar-random rotations.

    Returns
    -------
    ndarray, shape (n_draws,)
        For each draw, the mean best-match overlap of ``k`` orthonormal vectors spread
        uniformly at random in the readers' span: what the readers would score if their
        span were right and their individual directions arbitrary.
    """
    readers = as_finite_matrix(readers, "readers")
    n_draws = check_positive_int(n_draws, "n_draws")
    generator = as_generator(rng)
    span = scipy.linalg.orth(readers.T)                              # (m, k) orthonormal
    return np.array([np.mean(best_match_overlaps((span @ random_orthogonal(span.shape[1],
                                                                           generator)).T, basis))
                     for _ in range(n_draws)])
