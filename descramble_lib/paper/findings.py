"""Measures behind the book's closing chapter: what the closed form's band-pass is made of,
and two limits of descrambling.

* :func:`principal_tail_energy` and :func:`singular_tail_energy`: the share of a layer's
  weight energy outside its preactivations' leading principal directions, and outside its
  own leading singular directions. At ``k = 2h - 1`` directions the first is the relative
  norm of the closed-form descrambled weights and the second the least relative norm any
  descrambler can reach (:func:`~descramble_lib.paper.band_relative_norm`,
  :func:`~descramble_lib.paper.band_norm_lower_bound`).
* :func:`same_moment_preactivations`: other preactivations with exactly the same second
  moment, hence the same descramblers: the smoothness loss sees nothing else of the data.
* :func:`activation_mismatch`: how far a descrambler is from commuting with the layer's
  activation, i.e. from being a symmetry of the network rather than a way of reading it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .._random import as_generator
from .._validation import as_finite_matrix, check_choice

__all__ = ["ACTIVATIONS", "principal_tail_energy", "singular_tail_energy",
           "same_moment_preactivations", "activation_mismatch"]

#: Elementwise activations of :func:`activation_mismatch`.
ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": expit}


def _tail(energies: np.ndarray, total: float) -> np.ndarray:
    """``1 - cumsum(energies) / total`` with a leading 1, clipped to [0, 1] against rounding."""
    kept = np.concatenate([[0.0], np.cumsum(energies)]) / total
    return np.clip(1.0 - kept, 0.0, 1.0)


def _check_weights(W: ArrayLike) -> tuple[np.ndarray, float]:
    W = as_finite_matrix(W, "W")
    total = float(np.sum(W ** 2))
    if total == 0:
        raise ValueError("W is zero: shares of its energy are undefined")
    return W, total


def principal_tail_energy(W: ArrayLike, S: ArrayLike) -> np.ndarray:
    """Share of ``||W||_F^2`` outside the ``k`` leading principal directions of ``S``.

    Parameters
    ----------
    W : array_like, shape (d, m)
        Weights of the layer, neurons first (e.g. ``W1``, 80 x 256).
    S : array_like, shape (d, n)
        Its preactivations ``W X + b 1^T`` (bias kept, not centred); ``n < d`` allowed.

    Returns
    -------
    ndarray, shape (d + 1,)
        Entry ``k`` is ``sum_{i > k} ||u_i^T W||^2 / ||W||_F^2`` with ``u_1, u_2, ...`` the
        left singular vectors of ``S`` by decreasing singular value (completed to a basis
        of ``R^d`` when ``n < d``): 1 at ``k = 0``, 0 at ``k = d``, non-increasing.

    Raises
    ------
    ValueError
        ``W`` or ``S`` not a finite real matrix, a different number of rows, or ``W = 0``.

    Notes
    -----
    For the closed-form descrambler ``P = T U^T`` the rows of ``P W`` in the Fourier
    basis are ``u_i^T W``, and the band ``|w1| < h`` of the neuron-axis spectrum is the
    span of the first ``b = 2h - 1`` Fourier modes. So entry ``b`` is the relative norm
    (symmetric rows) of ``P W``; the principal directions are those of the data, not of
    ``W``, which is why it can exceed :func:`singular_tail_energy`.
    """
    W, total = _check_weights(W)
    S = as_finite_matrix(S, "S")
    if S.shape[0] != W.shape[0]:
        raise ValueError(f"W and S must have the same number of rows (neurons), got "
                         f"{W.shape} and {S.shape}")
    # all d left singular vectors; the full V (n x n) only when it is the small factor
    U = np.linalg.svd(S, full_matrices=S.shape[1] < S.shape[0])[0]
    return _tail(np.sum((U.T @ W) ** 2, axis=1), total)


def singular_tail_energy(W: ArrayLike) -> np.ndarray:
    """Share of ``||W||_F^2`` outside the ``k`` leading singular directions of ``W``.

    Parameters
    ----------
    W : array_like, shape (d, m)
        Weights of the layer, neurons first.

    Returns
    -------
    ndarray, shape (d + 1,)
        Entry ``k`` is ``sum_{i > k} sigma_i(W)^2 / ||W||_F^2`` (zero singular values
        padded when ``m < d``): 1 at ``k = 0``, 0 at ``k = d``, non-increasing.

    Raises
    ------
    ValueError
        ``W`` not a finite real matrix, or ``W = 0``.

    Notes
    -----
    By Ky Fan's maximum principle no ``k``-dimensional subspace holds more of ``W``'s
    energy than its top ``k`` singular directions, so this is a lower bound for
    :func:`principal_tail_energy` of any data, entry by entry, and entry ``2h - 1`` is
    :func:`~descramble_lib.paper.band_norm_lower_bound`.
    """
    W, total = _check_weights(W)
    energies = np.zeros(W.shape[0])
    sigma = np.linalg.svd(W, compute_uv=False)
    energies[:sigma.size] = sigma ** 2
    return _tail(energies, total)


def same_moment_preactivations(S: ArrayLike, *, rng: None | int | np.random.Generator) -> np.ndarray:
    """Other preactivations with exactly the second moment of ``S``.

    Parameters
    ----------
    S : array_like, shape (d, n)
        Preactivations, one sample per column.
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the random orthonormal factor.

    Returns
    -------
    ndarray, shape (d, n)
        ``U Sigma Q^T`` for the thin SVD ``S = U Sigma V^T`` and a Haar-random ``Q``
        with ``min(d, n)`` orthonormal columns of length ``n``: its second moment
        ``U Sigma^2 U^T`` equals ``S S^T``, while its columns are other samples (for
        ``n > 1`` almost surely different from those of ``S``).

    Raises
    ------
    ValueError
        ``S`` not a finite real matrix; a bad ``rng``.

    Notes
    -----
    The smoothness loss ``tr(A P S S^T P^T)`` depends on the data only through
    ``S S^T``, so ``S`` and the result have the same descramblers, loss and bound.
    """
    S = as_finite_matrix(S, "S")
    U, sigma, _ = np.linalg.svd(S, full_matrices=False)
    Q, R = np.linalg.qr(as_generator(rng).standard_normal((S.shape[1], sigma.size)))
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    return (U * sigma) @ Q.T


def activation_mismatch(P: ArrayLike, S: ArrayLike, activation: str = "tanh") -> float:
    """How far ``P`` is from commuting with the activation on the preactivations ``S``.

    Parameters
    ----------
    P : array_like, shape (d, d)
        A descrambler (orthogonal).
    S : array_like, shape (d, n)
        Preactivations of the layer.
    activation : {"tanh", "relu", "sigmoid"}
        The layer's elementwise activation ``f``.

    Returns
    -------
    float
        ``||f(P S) - P f(S)||_F / ||f(S)||_F``, >= 0. It is 0 when ``P`` permutes the
        neurons (and, for the odd ``tanh``, also flips signs): then descrambling is a
        symmetry of the network. For any other ``P`` the descrambled layer
        ``f(P W x + P b)`` is not the layer seen in other coordinates, which is why
        descrambling reads the preactivations, not the network's function.

    Raises
    ------
    ValueError
        Non-finite or non-matrix input, ``P`` not ``d x d``, unknown ``activation``,
        or ``f(S) = 0``.
    """
    P = as_finite_matrix(P, "P")
    S = as_finite_matrix(S, "S")
    activation = check_choice(activation, "activation", tuple(ACTIVATIONS))
    if P.shape != (S.shape[0], S.shape[0]):
        raise ValueError(f"P must be {S.shape[0]} x {S.shape[0]} for S of shape {S.shape}, "
                         f"got {P.shape}")
    f = ACTIVATIONS[activation]
    reference = float(np.linalg.norm(f(S)))
    if reference == 0:
        raise ValueError(f"{activation}(S) is zero: the relative mismatch is undefined")
    return float(np.linalg.norm(f(P @ S) - P @ f(S))) / reference
