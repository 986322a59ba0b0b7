"""The pseudo-inverse experiment: two learners trained on ``x = K p + noise`` and their linear maps.

Without background and modulation depth, a DEER signal is the kernel applied to the
distribution plus white noise, ``x = K p + noise`` (``K`` the Delta-r weighted kernel, ``p``
a distribution of the simulator on its unit-maximum scale). This module makes such data
(:func:`kernel_data`), trains on it a two-layer linear network (:func:`train_kernel_linear_net`)
and the DEERNet architecture (:func:`train_kernel_deernet`), and extracts the linear maps
that are compared with the regularised pseudo-inverses of
:mod:`~descramble_lib.paper.pseudo_inverse`: the product ``W2 W1``, the best affine fit to a
network's outputs (:func:`affine_linearisation`) and its Jacobian
(:func:`network_jacobian`), and how many first-layer directions a network needs
(:func:`first_layer_rank_errors`). :mod:`~descramble_lib.paper.pseudo_inverse_verdict` runs
the whole experiment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg
import scipy.special
import torch
from torch import nn

from .._random import as_seed
from .._threads import limit_threads
from .._training import train_minibatches
from .._validation import as_finite_matrix, as_finite_vector, check_positive_int, check_real
from ..deer.network import DEERNet, TrainingHistory, layer_weights
from ..deer.physics import dipolar_kernel, distance_grid, simulate, time_grid

__all__ = ["KERNEL_NOISE", "KernelData", "kernel_data", "LinearNetFit", "best_low_rank_map",
           "train_kernel_linear_net", "KernelDEERNet", "train_kernel_deernet",
           "affine_linearisation", "network_jacobian", "first_layer_rank_errors"]

#: Default noise standard deviation of :func:`kernel_data` (units of ``K p``, i.e. nm).
KERNEL_NOISE: float = 0.015


@dataclass
class KernelData:
    """Pairs ``(x, p)`` with ``x = K p + noise``, one example per row.

    Attributes
    ----------
    K : ndarray, shape (256, 256)
        The Delta-r weighted dipolar kernel (times x distances, nm).
    noise : float
        Standard deviation of the white Gaussian noise on every sample of ``x`` (nm).
    train_signals, test_signals : ndarray, shape (n_train, 256) and (n_test, 256)
        The signals ``x``.
    train_distributions, test_distributions : ndarray, same shapes
        The distributions ``p`` of :func:`~descramble_lib.deer.simulate` (unit maximum).
    """

    K: np.ndarray
    noise: float
    train_signals: np.ndarray
    train_distributions: np.ndarray
    test_signals: np.ndarray
    test_distributions: np.ndarray

    def second_moment(self) -> np.ndarray:
        """``E[p p^T]`` over the training distributions (uncentred), shape (256, 256)."""
        P = self.train_distributions
        return P.T @ P / P.shape[0]


def _seeds(rng, count: int) -> list[int]:
    """``count`` independent 63-bit seeds from one ``rng``."""
    states = np.random.SeedSequence(as_seed(rng, "rng")).generate_state(count, np.uint64)
    return [int(state >> np.uint64(1)) for state in states]


def kernel_data(n_train: int, n_test: int, *, noise: float = KERNEL_NOISE,
                rng: None | int | np.random.Generator) -> KernelData:
    """Simulated pairs ``x = K p + noise`` on the network's grids.

    Parameters
    ----------
    n_train, n_test : int
        Numbers of training and test examples (>= 1 each).
    noise : float, keyword-only
        Noise standard deviation (> 0), in the units of ``K p`` (nm: ``(K p)(0)`` is the
        area of ``p``, a fraction of a nm for most distributions of the simulator).
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the distributions and of the noise.

    Returns
    -------
    KernelData
    """
    n_train, n_test = check_positive_int(n_train, "n_train"), check_positive_int(n_test, "n_test")
    noise = check_real(noise, "noise", positive=True)
    shapes, noise_seed = _seeds(rng, 2)
    P = simulate(n_train + n_test, rng=shapes).distributions
    K = dipolar_kernel(time_grid(), distance_grid(), delta_r_weights=True)
    X = P @ K.T + noise * np.random.default_rng(noise_seed).standard_normal(P.shape)
    return KernelData(K=K, noise=noise, train_signals=X[:n_train], train_distributions=P[:n_train],
                      test_signals=X[n_train:], test_distributions=P[n_train:])


@dataclass
class LinearNetFit:
    """A two-layer linear network ``p_hat = W2 W1 x`` trained on :class:`KernelData`.

    Attributes
    ----------
    W1 : ndarray, shape (h, 256)
    W2 : ndarray, shape (256, h)
    steps : ndarray of int, shape (k,)
        Steps at which the loss was recorded.
    loss : ndarray, shape (k,)
        Training loss ``(1 / 2n) sum ||p - W2 W1 x||^2`` at those steps.
    optimum : ndarray, shape (256, 256)
        The best map of rank at most ``h`` on the training set (:func:`best_low_rank_map`),
        the global minimum that training approaches.
    optimum_loss : float
        Its training loss.
    wall_time_s : float
    """

    W1: np.ndarray
    W2: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    optimum: np.ndarray
    optimum_loss: float
    wall_time_s: float

    @property
    def product(self) -> np.ndarray:
        """The end-to-end map ``W2 W1``, shape (256, 256)."""
        return self.W2 @ self.W1

    @property
    def excess_loss(self) -> float:
        """``loss / optimum_loss - 1`` at the end of training (0 at the global minimum)."""
        return float(self.loss[-1] / self.optimum_loss - 1.0)


def _moment_factors(X: np.ndarray, Y: np.ndarray):
    """``L`` with ``X^T X / n = L L^T``, ``B = (Y^T X / n) L^{-T}`` and the loss constant.

    ``(1 / 2n) sum ||y - M x||^2 = (||M L - B||_F^2 + c) / 2`` with ``c = tr(Y^T Y) / n - ||B||^2``.
    """
    n = X.shape[0]
    L = np.linalg.cholesky(X.T @ X / n)
    B = np.linalg.solve(L, X.T @ Y / n).T
    return L, B, float(np.sum(Y * Y) / n - np.sum(B * B))


def best_low_rank_map(signals: ArrayLike, distributions: ArrayLike, rank: int) -> np.ndarray:
    """The least-squares map of rank at most ``rank``: ``argmin sum ||p - M x||^2``.

    Parameters
    ----------
    signals : array_like, shape (n, m)
        Inputs, one per row, with ``X^T X`` positive definite.
    distributions : array_like, shape (n, q)
        Targets, one per row.
    rank : int
        Largest rank (the hidden width of a linear network).

    Returns
    -------
    M : ndarray, shape (q, m)
        ``[B]_rank L^{-1}`` with ``X^T X / n = L L^T``, ``B = (P^T X / n) L^{-T}`` and
        ``[B]_rank`` its best rank-``rank`` approximation (reduced-rank regression): the
        global minimum of the loss of a linear network of width ``rank``.
    """
    X, Y = as_finite_matrix(signals, "signals"), as_finite_matrix(distributions, "distributions")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"signals and distributions need the same number of rows, got "
                         f"{X.shape[0]} and {Y.shape[0]}")
    rank = check_positive_int(rank, "rank")
    L, B, _ = _moment_factors(X, Y)
    return _low_rank_solution(L, B, rank)


def _low_rank_solution(L: np.ndarray, B: np.ndarray, rank: int) -> np.ndarray:
    """``[B]_rank L^{-1}``: the minimiser of ``||M L - B||_F`` over maps of rank <= ``rank``."""
    U, s, Vt = np.linalg.svd(B, full_matrices=False)
    return scipy.linalg.solve_triangular(L, ((U[:, :rank] * s[:rank]) @ Vt[:rank]).T,
                                         trans="T", lower=True).T


def train_kernel_linear_net(data: KernelData, *, n_hidden: int = 80, steps: int = 1500,
                            learning_rate: float = 0.01, init_scale: float = 1e-3,
                            record_every: int = 25,
                            rng: None | int | np.random.Generator) -> LinearNetFit:
    """Train ``p_hat = W2 W1 x`` (no biases) by full-batch Adam on the training pairs.

    Parameters
    ----------
    data : KernelData
    n_hidden : int, keyword-only
        Hidden width ``h`` (80, as DEERNet).
    steps : int, keyword-only
        Adam steps; the learning rate follows a cosine from ``learning_rate`` to 0.
    learning_rate : float, keyword-only
    init_scale : float, keyword-only
        Standard deviation of the Gaussian initial weights (small: the modes grow from
        near zero, as in the linear-network theory).
    record_every : int, keyword-only
        Record the loss every this many steps (and after the last).
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the initial weights.

    Returns
    -------
    LinearNetFit

    Notes
    -----
    The full-batch loss ``(1 / 2n) sum ||p - W2 W1 x||^2`` depends on the data only through
    ``X^T X / n = L L^T`` and ``P^T X / n``, so each step costs ``O(256^2 h)`` whatever ``n``:
    it is evaluated as ``(||W2 W1 L - B||_F^2 + c) / 2`` (:func:`best_low_rank_map`), in
    float32 on one thread, which gives the same gradients as a pass over every example.
    """
    if not isinstance(data, KernelData):
        raise ValueError(f"data must be a KernelData, got {type(data).__name__}")
    n_hidden, steps = check_positive_int(n_hidden, "n_hidden"), check_positive_int(steps, "steps")
    record_every = check_positive_int(record_every, "record_every")
    learning_rate = check_real(learning_rate, "learning_rate", positive=True)
    init_scale = check_real(init_scale, "init_scale", positive=True)
    X, Y = data.train_signals, data.train_distributions
    L, B, constant = _moment_factors(X, Y)
    optimum = _low_rank_solution(L, B, n_hidden)
    optimum_loss = 0.5 * (float(np.sum((optimum @ L - B) ** 2)) + constant)
    generator = torch.Generator().manual_seed(_seeds(rng, 1)[0])
    W1 = init_scale * torch.randn(n_hidden, X.shape[1], generator=generator)
    W2 = init_scale * torch.randn(Y.shape[1], n_hidden, generator=generator)
    L_t, B_t = torch.from_numpy(L).float(), torch.from_numpy(B).float()
    W1.grad, W2.grad = torch.zeros_like(W1), torch.zeros_like(W2)
    optimiser = torch.optim.Adam([W1, W2], lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    recorded, losses = [], []
    started = time.perf_counter()
    with limit_threads(1), torch.no_grad():
        for step in range(steps + 1):
            hidden = W1 @ L_t                              # the gradient by hand: no autograd
            error = W2 @ hidden - B_t
            if step % record_every == 0 or step == steps:
                recorded.append(step)
                losses.append(0.5 * (constant + float(torch.sum(error * error))))
            if step == steps:
                break
            torch.mm(error, hidden.T, out=W2.grad)
            torch.mm(W2.T @ error, L_t.T, out=W1.grad)
            optimiser.step()
            schedule.step()
    wall_time_s = time.perf_counter() - started
    return LinearNetFit(W1=W1.detach().double().numpy(), W2=W2.detach().double().numpy(),
                        steps=np.array(recorded), loss=np.array(losses), optimum=optimum,
                        optimum_loss=optimum_loss, wall_time_s=wall_time_s)


@dataclass
class KernelDEERNet:
    """A DEERNet (tanh hidden layer, sigmoid output) trained on :class:`KernelData`.

    Attributes
    ----------
    model : DEERNet
        The network, in evaluation mode.
    history : TrainingHistory
        Training and test MSE per epoch (the test set plays the validation set).
    wall_time_s : float
    """

    model: DEERNet
    history: TrainingHistory
    wall_time_s: float

    def predict(self, signals: ArrayLike) -> np.ndarray:
        """Outputs in float64 for signals of shape (n, 256), shape (n, 256)."""
        return _deernet_forward(self.model, as_finite_matrix(signals, "signals"))


def _deernet_forward(model: DEERNet, X: np.ndarray) -> np.ndarray:
    """``sigmoid(W2 tanh(W1 x + b1) + b2)`` in float64, one example per row of ``X``."""
    (W1, b1), (W2, b2) = layer_weights(model, 1), layer_weights(model, 2)
    return scipy.special.expit(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def train_kernel_deernet(data: KernelData, *, epochs: int = 20, halve_every: int = 5,
                         learning_rate: float = 0.01, batch_size: int = 256,
                         rng: None | int | np.random.Generator) -> KernelDEERNet:
    """Train the DEERNet architecture on the pairs ``(x, p)`` with DEERNet's recipe, shortened.

    Parameters
    ----------
    data : KernelData
    epochs, halve_every : int, keyword-only
        Passes over the training set, and the learning rate is halved after every
        ``halve_every`` of them (the full recipe: 50 and 5).
    learning_rate : float, keyword-only
        Initial Adam learning rate (0.01, as the recipe).
    batch_size : int, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the initial weights and of the batch order.

    Returns
    -------
    KernelDEERNet
        Trained with mean squared error by the library's shared loop
        (:func:`descramble_lib._training.train_minibatches`), deterministic on one CPU thread.
    """
    if not isinstance(data, KernelData):
        raise ValueError(f"data must be a KernelData, got {type(data).__name__}")
    epochs, halve_every = check_positive_int(epochs, "epochs"), check_positive_int(halve_every,
                                                                                  "halve_every")
    learning_rate = check_real(learning_rate, "learning_rate", positive=True)
    weights_seed, batches_seed = _seeds(rng, 2)
    model = DEERNet(rng=weights_seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=halve_every, gamma=0.5)
    as_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    started = time.perf_counter()
    history = train_minibatches(
        model.as_sequential(), as_tensor(data.train_signals), as_tensor(data.train_distributions),
        loss_fn=nn.functional.mse_loss, optimiser=optimiser, epochs=epochs,
        batch_size=check_positive_int(batch_size, "batch_size"),
        generator=torch.Generator().manual_seed(batches_seed), scheduler=schedule,
        validation=(as_tensor(data.test_signals), as_tensor(data.test_distributions)),
        progress=False, desc="DEERNet on x = K p + noise")
    model.eval()
    return KernelDEERNet(model=model, history=TrainingHistory(**{k: np.asarray(v) for k, v in
                                                                 history.items()}),
                         wall_time_s=time.perf_counter() - started)


def affine_linearisation(inputs: ArrayLike, outputs: ArrayLike) -> tuple[np.ndarray, float]:
    """The best affine fit ``y ~ A x + c`` to a network's outputs over data.

    Parameters
    ----------
    inputs : array_like, shape (n, m)
        Inputs, one per row (n > m).
    outputs : array_like, shape (n, q)
        The network's outputs on them.

    Returns
    -------
    slope : ndarray, shape (q, m)
        ``A``, the least-squares slope on the centred data.
    r2 : float
        Share of the outputs' variance (about their mean) that the affine fit explains:
        1 for a network that is affine on these data.
    """
    X, Y = as_finite_matrix(inputs, "inputs"), as_finite_matrix(outputs, "outputs")
    if X.shape[0] != Y.shape[0] or X.shape[0] <= X.shape[1]:
        raise ValueError(f"need as many rows in inputs and outputs, more than {X.shape[1]}; got "
                         f"{X.shape[0]} and {Y.shape[0]}")
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    slope_t = np.linalg.lstsq(Xc, Yc, rcond=None)[0]
    residual = Yc - Xc @ slope_t
    return slope_t.T, float(1.0 - np.sum(residual**2) / np.sum(Yc**2))


def network_jacobian(model: DEERNet, x: ArrayLike) -> np.ndarray:
    """Jacobian ``d p_hat / d x`` of a DEERNet at one input, in float64.

    Parameters
    ----------
    model : DEERNet
    x : array_like, shape (m,)

    Returns
    -------
    J : ndarray, shape (q, m)
        ``diag(sigmoid') W2 diag(tanh') W1`` at ``x``.
    """
    x = as_finite_vector(x, "x")
    W1, b1 = layer_weights(model, 1)
    W2, b2 = layer_weights(model, 2)
    hidden = np.tanh(W1 @ x + b1)
    output = scipy.special.expit(W2 @ hidden + b2)
    return (output * (1 - output))[:, None] * (W2 * (1 - hidden**2)) @ W1


def first_layer_rank_errors(network: KernelDEERNet | LinearNetFit | DEERNet | np.ndarray,
                            signals: ArrayLike, distributions: ArrayLike,
                            ranks: ArrayLike) -> np.ndarray:
    """Test error when the first layer keeps only its leading right singular directions.

    Parameters
    ----------
    network : KernelDEERNet, DEERNet, LinearNetFit or ndarray of shape (256, 256)
        A network, or a linear map ``M`` (e.g. a pseudo-inverse), which is then its own
        first layer: ``M`` becomes ``M V_r V_r^T``.
    signals, distributions : array_like, shape (n, 256) each
        Test pairs, one per row.
    ranks : array_like of int, shape (k,)
        Numbers of directions kept (1 to the first layer's number of rows).

    Returns
    -------
    ndarray, shape (k,)
        Mean squared error with ``W1`` replaced by ``W1 V_r V_r^T`` (``V_r``: its leading
        ``r`` right singular vectors), divided by the error of the full network: about 1 once
        ``r`` covers every direction the network uses.
    """
    X = as_finite_matrix(signals, "signals")
    Y = as_finite_matrix(distributions, "distributions")
    ranks = np.asarray(ranks)
    if isinstance(network, LinearNetFit):
        W1, rest = network.W1, lambda H: H @ network.W2.T
    elif isinstance(network, (KernelDEERNet, DEERNet)):
        model = network.model if isinstance(network, KernelDEERNet) else network
        (W1, b1), (W2, b2) = layer_weights(model, 1), layer_weights(model, 2)
        rest = lambda H: scipy.special.expit(np.tanh(H + b1) @ W2.T + b2)
    elif isinstance(network, np.ndarray):
        W1, rest = as_finite_matrix(network, "network"), lambda H: H
    else:
        raise ValueError(f"network must be a KernelDEERNet, DEERNet, LinearNetFit or a matrix, "
                         f"got {type(network).__name__}")
    if W1.shape[1] != X.shape[1] or X.shape[0] != Y.shape[0]:
        raise ValueError(f"the first layer reads {W1.shape[1]} inputs; got signals of shape "
                         f"{X.shape} and distributions of shape {Y.shape}")
    if ranks.ndim != 1 or ranks.size == 0 or not np.issubdtype(ranks.dtype, np.integer) or (
            ranks.min() < 1 or ranks.max() > min(W1.shape)):
        raise ValueError(f"ranks must be integers from 1 to {min(W1.shape)}, got {ranks!r}")
    Vt = np.linalg.svd(W1, full_matrices=False)[2]
    coordinates, rotated = X @ Vt.T, W1 @ Vt.T       # W1 V_r V_r^T x = (W1 V)[:, :r] (V^T x)[:r]
    full = np.mean((rest(X @ W1.T) - Y) ** 2)
    if rest(X[:1] @ W1.T).shape != (1, Y.shape[1]):
        raise ValueError(f"the network's outputs do not match distributions of shape {Y.shape}")
    return np.array([np.mean((rest(coordinates[:, :r] @ rotated[:, :r].T) - Y) ** 2) / full
                     for r in ranks])
