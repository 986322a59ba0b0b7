"""Two-layer linear networks and the Saxe–McClelland–Ganguli (SMG) learning curves.

A network ``y = W2 W1 x`` with ``W1`` of shape ``(h, m)`` and ``W2`` of shape
``(p, h)`` is trained by full-batch gradient descent on the loss
``L = (1 / 2n) sum_mu ||y_mu - W2 W1 x_mu||^2``. For whitened inputs
(``X X^T / n = I``), balanced aligned initial weights and small learning rates,
the strength of mode ``i`` of the input-output correlation
``Sigma_yx = Y X^T / n = U_yx S_yx V_yx^T`` (singular values ``s_i``) follows a
sigmoid (Saxe et al. 2014, 2019):
``a_i(t) = s_i / (1 + (s_i / a0 - 1) exp(-2 s_i t / tau))``.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import torch
from tqdm.auto import tqdm

from .._threads import limit_threads
from .._random import as_generator
from .._validation import as_finite_matrix, check_positive_int, check_real
from ..orthogonal import random_orthogonal

__all__ = ["smg_mode_strength", "input_output_correlation", "aligned_initialisation",
           "random_initialisation", "LinearNetTraining", "train_linear_net", "mode_strengths"]


def _positive(value, name: str) -> float:
    return check_real(value, name, positive=True)


def smg_mode_strength(t: ArrayLike, s: ArrayLike, *, tau: float, a0: float) -> np.ndarray:
    """Analytic mode strength of a two-layer linear network (SMG sigmoid).

    Parameters
    ----------
    t : array_like
        Training time, >= 0, in the unit of ``tau`` (e.g. gradient steps).
    s : array_like
        Singular values ``s_i > 0`` of the input-output correlation; broadcast
        against ``t``.
    tau : float
        Time constant; for gradient descent with learning rate ``lr`` on the loss
        above, ``tau = 1 / lr`` steps.
    a0 : float
        Initial strength ``a_i(0) > 0`` of every mode.

    Returns
    -------
    a : ndarray
        ``s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / a0)``, evaluated in the
        overflow-free form ``s / (1 + (s / a0 - 1) e^{-2 s t / tau})``; rises from
        ``a0`` to ``s`` with its steepest point at ``t = tau ln(s / a0 - 1) / (2 s)``.
    """
    t = np.asarray(t, dtype=float)
    s = np.asarray(s, dtype=float)
    tau = _positive(tau, "tau")
    a0 = _positive(a0, "a0")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be finite and >= 0")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("s must be finite and > 0")
    return s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t / tau))


def input_output_correlation(X: ArrayLike, Y: ArrayLike) -> np.ndarray:
    """Input-output correlation ``Sigma_yx = Y X^T / n``.

    Parameters
    ----------
    X : array_like, shape (m, n)
        Inputs, one sample per column.
    Y : array_like, shape (p, n)
        Targets, one sample per column.

    Returns
    -------
    Sigma_yx : ndarray, shape (p, m)
        In units of (target units) x (input units).
    """
    X = as_finite_matrix(X, "X")
    Y = as_finite_matrix(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y need the same number of samples, got {X.shape[1]} and {Y.shape[1]}")
    return Y @ X.T / X.shape[1]


def aligned_initialisation(Sigma_yx: ArrayLike, h: int, *, a0: float, rng: None | int | np.random.Generator
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balanced small weights aligned with the modes, scrambled by a random rotation.

    Parameters
    ----------
    Sigma_yx : array_like, shape (p, m)
        Input-output correlation ``U_yx S_yx V_yx^T`` (SVD, singular values
        ``s_i`` descending).
    h : int
        Hidden width, ``h <= min(p, m)``.
    a0 : float
        Initial strength of each of the top ``h`` modes, > 0.
    rng : None, int or numpy.random.Generator
        Draws the Haar-random rotation ``R``.

    Returns
    -------
    W1 : ndarray, shape (h, m)
        ``sqrt(a0) R V_h^T``.
    W2 : ndarray, shape (p, h)
        ``sqrt(a0) U_h R^T``, so that ``W2 W1 = a0 U_h V_h^T``.
    R : ndarray, shape (h, h)
        The arbitrary orthogonal matrix of the SMG solution.
    """
    Sigma_yx = as_finite_matrix(Sigma_yx, "Sigma_yx")
    h = check_positive_int(h, "h")
    if h > min(Sigma_yx.shape):
        raise ValueError(f"h = {h} exceeds the rank bound min(p, m) = {min(Sigma_yx.shape)}")
    a0 = _positive(a0, "a0")
    U, _, Vt = np.linalg.svd(Sigma_yx, full_matrices=False)
    R = random_orthogonal(h, rng)
    return np.sqrt(a0) * R @ Vt[:h], np.sqrt(a0) * U[:, :h] @ R.T, R


def random_initialisation(m: int, h: int, p: int, *, scale: float,
                          rng: None | int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Independent Gaussian weights of standard deviation ``scale``.

    Parameters
    ----------
    m, h, p : int
        Input, hidden and output widths (each ``>= 1``).
    scale : float, keyword-only
        Standard deviation of every entry (> 0).
    rng : None, int or numpy.random.Generator, keyword-only
        Source of randomness.

    Returns
    -------
    W1 : ndarray, shape (h, m)
    W2 : ndarray, shape (p, h)
    """
    m, h, p = (check_positive_int(value, name) for value, name in ((m, "m"), (h, "h"), (p, "p")))
    scale = _positive(scale, "scale")
    rng = as_generator(rng)
    return scale * rng.standard_normal((h, m)), scale * rng.standard_normal((p, h))


@dataclass
class LinearNetTraining:
    """Recorded run of :func:`train_linear_net`.

    Attributes
    ----------
    steps : ndarray of int, shape (n_records,)
        Gradient steps at which the weights were recorded (0 = initial weights).
    W1 : ndarray, shape (n_records, h, m)
        First-layer weights at those steps.
    W2 : ndarray, shape (n_records, p, h)
        Second-layer weights.
    loss : ndarray, shape (n_records,)
        ``(1 / 2n) ||Y - W2 W1 X||_F^2`` at those steps.
    lr : float
        Learning rate.
    wall_time_s : float
        Training time in seconds.
    """

    steps: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    loss: np.ndarray
    lr: float
    wall_time_s: float


def train_linear_net(X: ArrayLike, Y: ArrayLike, W1: ArrayLike, W2: ArrayLike, *, lr: float,
                     n_steps: int, record_every: int = 1,
                     progress: bool = False, threads: int | None = 1) -> LinearNetTraining:
    """Train ``y = W2 W1 x`` by full-batch gradient descent in torch (float64).

    Parameters
    ----------
    X : array_like, shape (m, n)
        Inputs, one sample per column.
    Y : array_like, shape (p, n)
        Targets.
    W1 : array_like, shape (h, m)
        Initial first-layer weights (not modified).
    W2 : array_like, shape (p, h)
        Initial second-layer weights (not modified).
    lr : float
        Learning rate of plain SGD on the full batch, > 0.
    n_steps : int
        Number of gradient steps, >= 0.
    record_every : int
        Record the weights every this many steps (and always after the last).
    progress : bool
        Show a tqdm progress bar.
    threads : int or None
        Number of torch intra-op threads during training, restored afterwards;
        ``None`` keeps torch's setting. One thread is the fastest for these
        small matrices, and by far on a busy machine.

    Returns
    -------
    LinearNetTraining

    Notes
    -----
    The loss is ``L = (1 / 2n) ||Y - W2 W1 X||_F^2``, whose gradients are
    ``-W2^T (Sigma_yx - W2 W1 Sigma_xx)`` and ``-(Sigma_yx - W2 W1 Sigma_xx) W1^T``
    with ``Sigma_xx = X X^T / n``; one step of size ``lr`` is one Euler step of
    length 1 of ``tau dW/dt = -grad L`` with ``tau = 1 / lr``. The layers are
    ``torch.nn.Linear`` without bias. No torch global state is changed, except
    the thread count for the duration of the call.
    """
    X = as_finite_matrix(X, "X")
    Y = as_finite_matrix(Y, "Y")
    W1 = as_finite_matrix(W1, "W1")
    W2 = as_finite_matrix(W2, "W2")
    (m, n), p, h = X.shape, Y.shape[0], W1.shape[0]
    if Y.shape[1] != n:
        raise ValueError(f"X and Y need the same number of samples, got {n} and {Y.shape[1]}")
    if W1.shape != (h, m) or W2.shape != (p, h):
        raise ValueError(f"W1 must be (h, {m}) and W2 ({p}, h) with the same h; "
                         f"got {W1.shape} and {W2.shape}")
    lr = _positive(lr, "lr")
    n_steps = check_positive_int(n_steps, "n_steps", minimum=0)
    record_every = check_positive_int(record_every, "record_every")

    if threads is not None:
        threads = check_positive_int(threads, "threads")
    with limit_threads(threads) if threads is not None else nullcontext():
        started = time.perf_counter()
        steps, first, second, losses = _gradient_descent(X, Y, W1, W2, lr, n_steps,
                                                         record_every, progress)
        wall_time_s = time.perf_counter() - started
    return LinearNetTraining(steps=np.array(steps), W1=np.array(first), W2=np.array(second),
                             loss=np.array(losses), lr=lr, wall_time_s=wall_time_s)


def _gradient_descent(X, Y, W1, W2, lr, n_steps, record_every, progress):
    """The training loop of :func:`train_linear_net` on validated float64 arrays."""
    (m, n), p, h = X.shape, Y.shape[0], W1.shape[0]
    network = torch.nn.Sequential(torch.nn.Linear(m, h, bias=False, dtype=torch.float64),
                                  torch.nn.Linear(h, p, bias=False, dtype=torch.float64))
    with torch.no_grad():
        network[0].weight.copy_(torch.from_numpy(W1))
        network[1].weight.copy_(torch.from_numpy(W2))
    optimiser = torch.optim.SGD(network.parameters(), lr=lr)
    inputs, targets = torch.from_numpy(X.T.copy()), torch.from_numpy(Y.T.copy())
    steps, first, second, losses = [], [], [], []
    for step in tqdm(range(n_steps + 1), disable=not progress, desc="gradient descent"):
        optimiser.zero_grad()
        loss = 0.5 * torch.sum((targets - network(inputs)) ** 2) / n
        if step % record_every == 0 or step == n_steps:
            steps.append(step)
            first.append(network[0].weight.detach().numpy().copy())
            second.append(network[1].weight.detach().numpy().copy())
            losses.append(float(loss.detach()))
        if step == n_steps:
            break
        loss.backward()
        optimiser.step()
    return steps, first, second, losses


def mode_strengths(W1: ArrayLike, W2: ArrayLike, Sigma_yx: ArrayLike, *,
                   n_modes: int | None = None) -> np.ndarray:
    """Strengths ``a_i = u_i^T W2 W1 v_i`` of the modes of ``Sigma_yx`` in a network.

    Parameters
    ----------
    W1 : array_like, shape (h, m) or (n_records, h, m)
    W2 : array_like, shape (p, h) or (n_records, p, h)
    Sigma_yx : array_like, shape (p, m)
        Input-output correlation with SVD ``U_yx S_yx V_yx^T``.
    n_modes : int, optional
        Number of leading modes (default ``h``).

    Returns
    -------
    a : ndarray, shape (n_modes,) or (n_records, n_modes)
        Projections of the end-to-end map ``W2 W1`` on ``u_i v_i^T``.
    """
    Sigma_yx = as_finite_matrix(Sigma_yx, "Sigma_yx")
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    if W1.ndim != W2.ndim or W1.ndim not in (2, 3):
        raise ValueError("W1 and W2 must both be 2-D (one network) or 3-D (a recording)")
    if not (np.all(np.isfinite(W1)) and np.all(np.isfinite(W2))):
        raise ValueError("W1 or W2 contains NaN or inf")
    p, m = Sigma_yx.shape
    if W1.shape[-1] != m or W2.shape[-2] != p or W1.shape[-2] != W2.shape[-1]:
        raise ValueError(f"shapes do not chain: W1 {W1.shape}, W2 {W2.shape}, Sigma_yx {Sigma_yx.shape}")
    n_modes = W1.shape[-2] if n_modes is None else check_positive_int(n_modes, "n_modes")
    if n_modes > min(p, m):
        raise ValueError(f"n_modes = {n_modes} exceeds min(p, m) = {min(p, m)}")
    U, _, Vt = np.linalg.svd(Sigma_yx, full_matrices=False)
    product = W2 @ W1
    return np.einsum("ji,...jk,ik->...i", U[:, :n_modes], product, Vt[:n_modes])
