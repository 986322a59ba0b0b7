"""General explainability losses: descramble with any differentiable function of ``P``.

The smoothness criterion is a Brockett cost and has a closed form (Lemma 1). Other
readability criteria, such as sparse descrambled weights, have none. For those,
``descramble(S, loss=my_loss)`` minimises ``my_loss`` over O(d) with the Cayley
curvilinear search of :func:`~descramble_lib.cayley_descent`, taking gradients with
torch autograd in float64.

A loss is a callable ``loss(P, S) -> scalar tensor``:

* ``P`` : ``torch.Tensor``, shape ``(d, d)``, float64, the candidate descrambler (it
  requires grad; use torch operations on it, not NumPy);
* ``S`` : ``torch.Tensor``, shape ``(d, n)``, float64, the preactivations passed to
  ``descramble`` (a loss may ignore it, e.g. one that looks at ``P W`` only);
* returns a 0-d (or one-element) floating-point tensor that depends on ``P``.

Ready-made losses: :func:`brockett_loss` (the closed-form family, for checks),
:func:`smoothness_loss` (derivative of any order along the neuron axis) and
:func:`sparsity_loss` (a smooth surrogate of the L1 norm of ``P W``). Sums and
multiples of losses are losses too: ``lambda P, S: f(P, S) + 0.1 * g(P, S)``.

No lower bound is known for a general loss, so the result's ``bound``, ``gap`` and
``relative_gap`` are NaN: the answer is a local minimum of the loss, certified by
nothing but the vanishing gradient.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
import torch

from ._threads import limit_threads
from ._validation import (as_finite_matrix, as_orthogonal_matrix, as_symmetric_matrix,
                          check_positive_int, check_real)
from .result import Descrambling
from .solvers import cayley_descent

__all__ = ["Loss", "NO_BOUND_MESSAGE", "autograd_cost", "autograd_descent", "brockett_loss", "smoothness_loss",
           "sparsity_loss"]


Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

NO_BOUND_MESSAGE = ("general loss: no certified lower bound, so bound, gap and relative_gap "
                    "are NaN (for a Brockett loss tr(A P S S^T P^T), descramble(S, A) gives "
                    "the exact minimum)")


def _scalar_value(value, P: torch.Tensor) -> torch.Tensor:
    """Check that a loss returned a differentiable scalar tensor of ``P``; return it as 0-d."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(
            f"loss(P, S) must return a torch scalar tensor, got {type(value).__name__}; "
            "compute it with torch operations on P (not NumPy) so it can be differentiated")
    if value.numel() != 1:
        raise ValueError(f"loss(P, S) must return a scalar, got shape {tuple(value.shape)}")
    if not value.is_floating_point():
        raise ValueError(f"loss(P, S) must be a floating-point tensor, got {value.dtype}")
    if not value.requires_grad:
        raise ValueError("loss(P, S) does not depend on P through torch operations "
                         "(was P converted to NumPy or detached?)")
    return value.reshape(())


def autograd_cost(loss: Loss, S) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Wrap a torch loss as the ``P -> (value, gradient)`` callable of :func:`cayley_descent`.

    Parameters
    ----------
    loss : callable
        ``loss(P, S) -> scalar tensor`` (see the module docstring).
    S : array_like, shape (d, n)
        Preactivations, converted once to a float64 tensor.

    Returns
    -------
    callable
        ``P -> (f, G)`` with ``P`` an ndarray of shape ``(d, d)``, ``f = loss(P, S)`` as a
        float and ``G`` its Euclidean gradient, an ndarray of shape ``(d, d)``, from autograd.

    Raises
    ------
    ValueError
        ``loss`` is not callable; ``S`` is not a finite 2-D array. A loss that returns
        something other than a differentiable scalar tensor raises on the first call.
    """
    if not callable(loss):
        raise ValueError(f"loss must be a callable loss(P, S) -> scalar tensor, got {loss!r}")
    S_tensor = torch.from_numpy(as_finite_matrix(S, "S").copy())

    def cost_and_gradient(P: np.ndarray) -> tuple[float, np.ndarray]:
        P_tensor = torch.tensor(np.asarray(P, dtype=float), dtype=torch.float64,
                                requires_grad=True)
        value = _scalar_value(loss(P_tensor, S_tensor), P_tensor)
        (gradient,) = torch.autograd.grad(value, P_tensor)
        return float(value.detach()), gradient.numpy()

    return cost_and_gradient


def brockett_loss(A) -> Loss:
    """The Brockett cost ``tr(A P S S^T P^T)`` as a torch loss (it has a closed form).

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric cost matrix, e.g. :func:`~descramble_lib.smoothness_operator`.

    Returns
    -------
    callable
        ``loss(P, S) = sum((A P S) * (P S))``. Useful to check the general solver against
        Lemma 1: ``descramble(S, loss=brockett_loss(A))`` should approach
        ``descramble(S, A).loss``.
    """
    A_tensor = torch.from_numpy(as_symmetric_matrix(A, "A").copy())

    def loss(P: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        if P.shape[0] != A_tensor.shape[0]:
            raise ValueError(f"A is {A_tensor.shape[0]}x{A_tensor.shape[0]} but P is "
                             f"{P.shape[0]}x{P.shape[1]}")
        PS = P @ S
        return torch.sum((A_tensor @ PS) * PS)

    return loss


def smoothness_loss(order: int = 2) -> Loss:
    """Smoothness of the descrambled preactivations along the neuron axis, any derivative order.

    Parameters
    ----------
    order : int
        Derivative order ``r >= 1``; ``r = 2`` is the smoothness criterion of the paper.

    Returns
    -------
    callable
        ``loss(P, S) = ||D_r P S||_F^2`` with ``D_r`` the periodic spectral derivative of
        order ``r`` on the ``d`` neurons, computed by FFT along the neuron axis:
        ``(1/d) sum_k |k|^(2r) |FFT(P S)_k|^2`` over all wavenumbers ``k``.

    Notes
    -----
    The loss weights the real Fourier mode of wavenumber ``k`` by ``k^(2r)``. For ``r = 2``
    it equals ``||D P S||_F^2`` with ``D`` from
    :func:`~descramble_lib.second_derivative_matrix`. For every ``r`` the weights rise
    with ``|k|``, so the Fourier modes are in the same order and every order has the
    same minimisers (Lemma 1 with ``A = T diag(k^(2r)) T^T``). For even ``d`` and odd
    ``r`` the alternating mode (``k = d/2``) is weighted ``(d/2)^(2r)`` here: it is the
    roughest mode. (A spectral first-derivative matrix maps that mode to zero, which
    would rank it as smooth as the constant.)
    """
    power = 2 * check_positive_int(order, "order")

    def loss(P: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        d = P.shape[0]
        spectrum = torch.fft.rfft(P @ S, dim=0)            # (d // 2 + 1, n)
        k = torch.arange(spectrum.shape[0], dtype=torch.float64)
        weights = 2.0 * k**power                           # k and -k, both counted
        if d % 2 == 0:
            weights[-1] = k[-1] ** power                   # the alternating mode is single
        power_spectrum = spectrum.real**2 + spectrum.imag**2
        return torch.sum(weights[:, None] * power_spectrum) / d

    return loss


def sparsity_loss(W, *, eps: float | None = None) -> Loss:
    """Sparsity of the descrambled weights: a smooth surrogate of ``||P W||_1``.

    Parameters
    ----------
    W : array_like, shape (d, m)
        The layer's weights (``d`` neurons, ``m`` inputs).
    eps : float, optional
        Smoothing scale, in the units of ``W``, > 0. Default ``0.01 * rms(W)``.

    Returns
    -------
    callable
        ``loss(P, S) = sum_ij (sqrt((P W)_ij^2 + eps^2) - eps)``, which ignores ``S``.

    Notes
    -----
    The L1 norm is not differentiable where an entry of ``P W`` is zero, and gradient
    steps chatter there. The pseudo-Huber surrogate above is smooth, quadratic
    (``x^2 / (2 eps)``) for ``|x| << eps`` and ``|x| - eps`` for ``|x| >> eps``, so it
    tends to the L1 norm as ``eps -> 0``. Because ``||P W||_F = ||W||_F`` for every
    orthogonal ``P``, a small L1 norm means the weight energy sits in few entries:
    few strong connections per neuron.
    """
    W = as_finite_matrix(W, "W")
    rms = float(np.sqrt(np.mean(W**2)))
    if eps is None:
        eps = 0.01 * rms if rms > 0 else 1.0
    eps = check_real(eps, "eps", positive=True)
    W_tensor = torch.from_numpy(W.copy())
    eps = float(eps)

    def loss(P: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        if P.shape[1] != W_tensor.shape[0]:
            raise ValueError(f"W has {W_tensor.shape[0]} rows (neurons) but P is "
                             f"{P.shape[0]}x{P.shape[1]}")
        PW = P @ W_tensor
        return torch.sum(torch.sqrt(PW**2 + eps**2) - eps)

    return loss


def autograd_descent(S: ArrayLike, loss: Loss, *, P0: ArrayLike | str | None = None,
                     max_iter: int = 1000, grad_tol: float = 1e-10) -> Descrambling:
    """Minimise a general loss over O(d) by Cayley descent with autograd gradients.

    Parameters
    ----------
    S : array_like, shape (d, n)
        Preactivations (real, finite; torch tensors are detached).
    loss : callable
        ``loss(P, S) -> scalar torch tensor`` with ``P`` of shape ``(d, d)`` and ``S`` of
        shape ``(d, n)``, both float64 tensors.
    P0 : array_like, shape (d, d), or "identity", optional
        Orthogonal start (default the identity).
    max_iter : int
        Iteration budget (>= 0).
    grad_tol : float
        Stop when the Riemannian gradient has fallen by this factor (>= 0).

    Returns
    -------
    Descrambling
        ``bound``, ``gap`` and ``relative_gap`` are NaN: no bound is known for a
        general loss (the message says so).

    Notes
    -----
    Torch runs on one thread during the descent (:func:`~descramble_lib.limit_threads`):
    thousands of small evaluations.
    """
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    grad_tol = check_real(grad_tol, "grad_tol", minimum=0.0)
    started = time.perf_counter()
    S = as_finite_matrix(S, "S")
    d = S.shape[0]
    if P0 is None or (isinstance(P0, str) and P0 == "identity"):
        start = np.eye(d)
    elif isinstance(P0, str):
        raise ValueError(f"with loss=, P0 must be an orthogonal (d, d) array or 'identity'; "
                         f"got {P0!r}")
    else:
        start = as_orthogonal_matrix(P0, "P0", size=d)
    cost_and_gradient = autograd_cost(loss, S)
    with limit_threads(1):
        initial, _ = cost_and_gradient(start)
        if not np.isfinite(initial):
            raise ValueError(f"loss(P0, S) is not finite ({initial})")
        run = cayley_descent(cost_and_gradient, start, max_iter=max_iter, grad_tol=grad_tol)
        value, _ = cost_and_gradient(run.P)
    nan = float("nan")
    converged = run.converged and bool(np.isfinite(value))
    return Descrambling(P=run.P, loss=value, bound=nan, gap=nan, relative_gap=nan,
                        n_iter=run.n_iter, history=run.history, method="cayley",
                        converged=converged, wall_time_s=time.perf_counter() - started,
                        message=f"{run.message}; {NO_BOUND_MESSAGE}")
