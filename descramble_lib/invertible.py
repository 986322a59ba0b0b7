"""Invertible networks: additive coupling blocks, exact decision boundaries and explanations.

An invertible network followed by a linear classifier is a two-stage model: a bijection
``T : R^2 -> R^2`` (the *features*) and a linear map of the features to two logits.
The classifier's decision boundary in feature space is a straight line, so the boundary in
input space is exactly ``T^{-1}`` of that line, and every input ``x`` has a projection
``x_p = T^{-1}(z_p)`` onto the boundary, where ``z_p`` is the orthogonal projection of
``z = T(x)`` onto the line (Zhuang et al. 2019, arXiv:1910.00406).

Dtype policy: a network's dtype is the dtype of its parameters (``float32`` or ``float64``);
every input must have that dtype, anything else raises ``ValueError``. No input is ever
cast. The analysis functions accept a NumPy array or a torch tensor and return the same
kind of object they were given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
import torch
from torch import nn

__all__ = [
    "AdditiveCoupling",
    "InvertibleNet",
    "MoonsTraining",
    "DecisionBoundary",
    "train_moons_classifier",
    "boundary_hyperplane",
    "logit_difference",
    "decision_boundary",
    "project_to_boundary",
    "feature_importance",
    "inactive_subnets",
    "importance_table",
    "IMPORTANCE_METHODS",
]

_FLOAT_DTYPES = (torch.float32, torch.float64)


# --------------------------------------------------------------------------- helpers

def _as_generator(seed: int | torch.Generator) -> torch.Generator:
    """A CPU ``torch.Generator``: ``seed`` itself, or a new one seeded with the integer."""
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a torch.Generator, got {seed!r}")
    return torch.Generator().manual_seed(int(seed))


def _check_dtype(dtype: torch.dtype) -> torch.dtype:
    if dtype not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def _linear(n_in: int, n_out: int, dtype: torch.dtype, generator: torch.Generator) -> nn.Linear:
    """``nn.Linear`` with PyTorch's default uniform init, drawn from ``generator`` only.

    ``skip_init`` builds the layer without touching the global random state; weights and
    biases are then drawn from ``U(-1/sqrt(n_in), 1/sqrt(n_in))`` as ``nn.Linear`` does.
    """
    layer = torch.nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=dtype)
    bound = 1.0 / np.sqrt(n_in)
    with torch.no_grad():
        nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


def _check_points(x: torch.Tensor, dtype: torch.dtype, name: str = "x") -> torch.Tensor:
    """Raise ``ValueError`` unless ``x`` is a finite ``(n, 2)`` tensor of ``dtype``, n >= 1."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n >= 1, got {tuple(x.shape)}")
    if x.dtype != dtype:
        raise ValueError(
            f"{name} has dtype {x.dtype} but the network's parameters are {dtype}; "
            f"convert one of them explicitly (no silent casts)")
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf)")
    return x


def _as_points(x, dtype: torch.dtype, name: str = "x") -> tuple[torch.Tensor, bool]:
    """Checked tensor view of ``x`` (array or tensor) and whether ``x`` was a NumPy array."""
    if isinstance(x, torch.Tensor):
        return _check_points(x, dtype, name), False
    array = np.asarray(x)
    if array.dtype.kind != "f":
        raise ValueError(f"{name} must hold floating-point numbers, got dtype {array.dtype}")
    return _check_points(torch.from_numpy(np.ascontiguousarray(array)), dtype, name), True


def _like(tensor: torch.Tensor, as_numpy: bool):
    """Return ``tensor`` detached, as a NumPy array if the input was one."""
    tensor = tensor.detach()
    return tensor.numpy() if as_numpy else tensor


# --------------------------------------------------------------------------- modules

class AdditiveCoupling(nn.Module):
    """Additive coupling block on two scalars, with its exact inverse.

    ``y1 = x1 + F(x2)``, ``y2 = x2 + G(y1)``; inverse ``x2 = y2 - G(y1)``,
    ``x1 = y1 - F(x2)``. ``F`` and ``G`` are Linear(1 -> hidden) - ReLU -
    Linear(hidden -> 1), followed by a ReLU when ``final_relu`` is true.

    Parameters
    ----------
    hidden : int, keyword-only
        Width of the hidden layer of ``F`` and ``G`` (4 in the reference recipe).
    final_relu : bool, keyword-only
        Apply a ReLU to the outputs of ``F`` and ``G`` (the variant of SPEC §4), or not
        (the default, used in the book).
    dtype : torch.dtype, keyword-only
        ``torch.float32`` or ``torch.float64``; inputs must match it.
    seed : int or torch.Generator, keyword-only
        Source of the initial weights (PyTorch's default uniform init).

    Notes
    -----
    The Jacobian is a product of two shears with unit diagonal, so ``det = 1``
    (log-determinant 0) whatever ``F`` and ``G`` are.
    """

    def __init__(self, *, hidden: int = 4, final_relu: bool = False,
                 dtype: torch.dtype = torch.float32, seed: int | torch.Generator = 0):
        super().__init__()
        dtype = _check_dtype(dtype)
        generator = _as_generator(seed)
        if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
            raise ValueError(f"hidden must be a positive integer, got {hidden!r}")
        self.final_relu = bool(final_relu)
        self.F = self._subnet(hidden, dtype, generator)
        self.G = self._subnet(hidden, dtype, generator)

    def _subnet(self, hidden, dtype, generator) -> nn.Sequential:
        layers = [_linear(1, hidden, dtype, generator), nn.ReLU(),
                  _linear(hidden, 1, dtype, generator)]
        if self.final_relu:
            layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters, which inputs must share."""
        return next(self.parameters()).dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` of shape ``(n, 2)`` to ``y`` of shape ``(n, 2)``."""
        x = _check_points(x, self.dtype)
        x1, x2 = x[:, :1], x[:, 1:]
        y1 = x1 + self.F(x2)
        y2 = x2 + self.G(y1)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Exact inverse: map ``y`` of shape ``(n, 2)`` back to ``x``."""
        y = _check_points(y, self.dtype, "y")
        y1, y2 = y[:, :1], y[:, 1:]
        x2 = y2 - self.G(y1)
        x1 = y1 - self.F(x2)
        return torch.cat([x1, x2], dim=1)


class InvertibleNet(nn.Module):
    """Invertible feature map ``T`` (a stack of additive couplings) and a linear classifier.

    Parameters
    ----------
    n_blocks : int, keyword-only
        Number of :class:`AdditiveCoupling` blocks (6 in the reference recipe).
    hidden, final_relu, dtype :
        Passed to every block; see :class:`AdditiveCoupling`.
    seed : int or torch.Generator, keyword-only
        Source of all initial weights; the blocks draw first, then the classifier.

    Attributes
    ----------
    blocks : nn.ModuleList of AdditiveCoupling
    classifier : nn.Linear(2 -> 2)
        Logits ``W z + b`` of the features ``z = T(x)``.
    """

    def __init__(self, *, n_blocks: int = 6, hidden: int = 4, final_relu: bool = False,
                 dtype: torch.dtype = torch.float32, seed: int | torch.Generator = 0):
        super().__init__()
        if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 1:
            raise ValueError(f"n_blocks must be a positive integer, got {n_blocks!r}")
        generator = _as_generator(seed)
        self.blocks = nn.ModuleList(
            AdditiveCoupling(hidden=hidden, final_relu=final_relu, dtype=dtype, seed=generator)
            for _ in range(n_blocks))
        self.classifier = _linear(2, 2, _check_dtype(dtype), generator)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters, which inputs must share."""
        return next(self.parameters()).dtype

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The invertible map ``z = T(x)``; ``x`` and ``z`` have shape ``(n, 2)``."""
        z = _check_points(x, self.dtype)
        for block in self.blocks:
            z = block(z)
        return z

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """The inverse map ``x = T^{-1}(z)``, blocks undone in reverse order."""
        x = _check_points(z, self.dtype, "z")
        for block in reversed(self.blocks):
            x = block.inverse(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``W T(x) + b``, shape ``(n, 2)``."""
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- training

@dataclass
class MoonsTraining:
    """A trained :class:`InvertibleNet` on the two-moons data, with its data and scores.

    Arrays are NumPy: ``x_*`` of shape ``(n, 2)`` in the network's dtype, ``y_*`` of
    shape ``(n,)`` int64 labels in {0, 1}; 600 training and 400 test points.
    """

    net: InvertibleNet
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_accuracy: float
    test_accuracy: float
    seed: int
    final_relu: bool
    loss_history: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0


def _accuracy(net: InvertibleNet, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).to(torch.float64).mean())


def train_moons_classifier(seed: int, *, final_relu: bool = False,
                           dtype: torch.dtype = torch.float32, n_epochs: int = 60,
                           batch_size: int = 128, lr: float = 0.1, momentum: float = 0.9,
                           milestones: tuple[int, ...] = (20, 40),
                           progress: bool = False) -> MoonsTraining:
    """Train a six-block :class:`InvertibleNet` on two moons, deterministically.

    The recipe of Zhuang et al. (2019): ``make_moons(1000, noise=0.2, random_state=0)``,
    split 600/400 with ``train_test_split(..., test_size=0.4, random_state=42)``,
    cross-entropy, SGD with learning rate 0.1 and momentum 0.9, 60 epochs, learning rate
    multiplied by 0.1 at epochs 20 and 40, mini-batches of 128.

    Parameters
    ----------
    seed : int
        Seeds one ``torch.Generator`` that draws the initial weights and then the
        mini-batch order; the global random state is neither read nor changed.
    final_relu : bool, keyword-only
        Network variant (see :class:`AdditiveCoupling`).
    dtype : torch.dtype, keyword-only
        ``torch.float32`` (default) or ``torch.float64``.
    n_epochs, batch_size, lr, momentum, milestones : keyword-only
        The recipe above; change them only to experiment.
    progress : bool, keyword-only
        Show a tqdm bar over epochs.

    Returns
    -------
    MoonsTraining
        The network (in evaluation mode), the data and the accuracies.
    """
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split
    from tqdm.auto import tqdm

    dtype = _check_dtype(dtype)
    generator = _as_generator(seed)
    for name, value in (("n_epochs", n_epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    start = time.perf_counter()
    X, y = make_moons(1000, noise=0.2, random_state=0)
    x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    x_train, x_test = x_train.astype(numpy_dtype), x_test.astype(numpy_dtype)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)

    net = InvertibleNet(final_relu=final_relu, dtype=dtype, seed=generator)
    optimiser = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimiser, list(milestones), gamma=0.1)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    net.train()
    # Tensors of a few hundred numbers gain nothing from intra-op threads, and on a busy
    # machine the thread pool costs about ten times the work: train on one thread, then
    # restore the caller's setting.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in tqdm(range(n_epochs), desc="epochs", disable=not progress):
            order = torch.randperm(len(xt), generator=generator)
            total = 0.0
            for batch in order.split(batch_size):
                optimiser.zero_grad()
                loss = loss_fn(net(xt[batch]), yt[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            history.append(total / len(xt))
            schedule.step()
    finally:
        torch.set_num_threads(n_threads)
    net.eval()
    return MoonsTraining(
        net=net, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        train_accuracy=_accuracy(net, xt, yt),
        test_accuracy=_accuracy(net, torch.from_numpy(x_test), torch.from_numpy(y_test)),
        seed=int(seed) if not isinstance(seed, torch.Generator) else -1,
        final_relu=bool(final_relu), loss_history=history,
        wall_time_s=time.perf_counter() - start)


# --------------------------------------------------------------------------- explanations

@dataclass
class DecisionBoundary:
    """Sampled decision boundary: the feature-space line and its exact preimage.

    Attributes
    ----------
    features : ndarray or Tensor, shape (n_points, 2)
        Points ``z`` on the line ``w . z + delta_b = 0``, evenly spaced along it.
    inputs : ndarray or Tensor, shape (n_points, 2)
        ``T^{-1}(features)``: points on the decision boundary in input space.
    """

    features: np.ndarray | torch.Tensor
    inputs: np.ndarray | torch.Tensor


def boundary_hyperplane(net: InvertibleNet) -> tuple[torch.Tensor, torch.Tensor]:
    """Normal ``w = W[0] - W[1]`` (shape ``(2,)``) and offset ``delta_b = b[0] - b[1]``.

    The logit difference is ``f = w . z + delta_b`` in feature space; the decision
    boundary is ``f = 0``. Raises ``ValueError`` if ``w = 0`` (no boundary).

    Parameters
    ----------
    net : InvertibleNet
        Network whose classifier is ``Linear(2 -> 2)``.

    Returns
    -------
    w : Tensor, shape (2,)
        Normal of the boundary line in feature space.
    delta_b : Tensor, shape ()
        Offset, in logit units.
    """
    weight, bias = net.classifier.weight.detach(), net.classifier.bias.detach()
    if weight.shape != (2, 2):
        raise ValueError(f"the classifier must be Linear(2 -> 2), got weight {tuple(weight.shape)}")
    w, delta_b = weight[0] - weight[1], bias[0] - bias[1]
    if not bool(torch.any(w != 0)):
        raise ValueError("the two logits have equal weights: there is no decision boundary")
    return w, delta_b


def logit_difference(net: InvertibleNet, x: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    """``f(x) = logit_0(x) - logit_1(x)``; class 0 wins where ``f > 0``.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like or Tensor, shape (n, 2)
        Inputs, converted to the network's dtype.

    Returns
    -------
    f : ndarray or Tensor, shape (n,)
        Same kind as ``x``; in logit units.
    """
    xt, as_numpy = _as_points(x, net.dtype)
    with torch.no_grad():
        logits = net(xt)
    return _like(logits[:, 0] - logits[:, 1], as_numpy)


def decision_boundary(net: InvertibleNet, x: ArrayLike | torch.Tensor, *, n_points: int = 400,
                      padding: float = 0.5) -> DecisionBoundary:
    """The exact decision boundary in input space, as ``T^{-1}`` of the feature-space line.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like or Tensor, shape (n, 2)
        Reference inputs (e.g. the data) in the network's dtype. The line is sampled over
        the stretch onto which their features ``T(x)`` project, widened by ``padding``
        times its length at each end.
    n_points : int, keyword-only
        Number of points on the line.
    padding : float, keyword-only
        Non-negative relative widening of the sampled stretch.

    Returns
    -------
    DecisionBoundary
        ``features`` on the line and ``inputs = T^{-1}(features)``, both ``(n_points, 2)``,
        NumPy arrays if ``x`` was one, tensors otherwise.

    Notes
    -----
    With ``w, delta_b`` from :func:`boundary_hyperplane`, the line is
    ``z0 + t u`` with ``z0 = -delta_b w / |w|^2`` and unit direction ``u`` orthogonal to
    ``w``. ``T`` is a bijection, so ``{x : f(x) = 0} = T^{-1}({z : w . z + delta_b = 0})``
    exactly; the only approximation is the sampling of ``t``.
    """
    xt, as_numpy = _as_points(x, net.dtype)
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
    if not np.isfinite(padding) or padding < 0:
        raise ValueError(f"padding must be a finite number >= 0, got {padding!r}")
    w, delta_b = boundary_hyperplane(net)
    norm = torch.linalg.vector_norm(w)
    z0 = -delta_b * w / norm**2
    direction = torch.stack([-w[1], w[0]]) / norm
    with torch.no_grad():
        t = (net.features(xt) - z0) @ direction
        t_min, t_max = float(t.min()), float(t.max())
        span = max(t_max - t_min, 1.0)
        t_line = torch.linspace(t_min - padding * span, t_max + padding * span, n_points,
                                dtype=net.dtype)
        z_line = z0 + t_line[:, None] * direction
        x_line = net.inverse(z_line)
    return DecisionBoundary(features=_like(z_line, as_numpy), inputs=_like(x_line, as_numpy))


def _project(net: InvertibleNet, xt: torch.Tensor) -> torch.Tensor:
    w, delta_b = boundary_hyperplane(net)
    with torch.no_grad():
        z = net.features(xt)
        z_p = z - ((z @ w + delta_b) / (w @ w))[:, None] * w
        return net.inverse(z_p)


def project_to_boundary(net: InvertibleNet,
                        x: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Projection ``x_p = T^{-1}(z_p)`` of each input onto the decision boundary.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like or Tensor, shape (n, 2)
        Inputs in the network's dtype.

    Returns
    -------
    x_p : ndarray or Tensor, shape (n, 2)
        Same kind as ``x``. ``f(x_p) = 0`` up to round-off; ``x - x_p`` is the
        explanation of the decision at ``x``.

    Notes
    -----
    ``z = T(x)``, ``z_p = z - ((w . z + delta_b) / |w|^2) w`` is the nearest point of the
    feature-space line to ``z``; ``x_p`` is its preimage. ``x_p`` is the nearest boundary
    point in *feature* distance, not necessarily in input distance.
    """
    xt, as_numpy = _as_points(x, net.dtype)
    return _like(_project(net, xt), as_numpy)


IMPORTANCE_METHODS = ("gradient", "path")


def _relu_inputs(net: InvertibleNet, x: torch.Tensor) -> list[torch.Tensor]:
    """Inputs of every ReLU of ``net`` at the points ``x``, in the order they are computed.

    Entry ``k`` has shape ``(n, width)``; a ReLU layer's input depends on the earlier ones only.
    """
    stages = []

    def run(subnet: nn.Sequential, v: torch.Tensor) -> torch.Tensor:
        for layer in subnet:
            if isinstance(layer, nn.ReLU):
                stages.append(v)
            v = layer(v)
        return v

    z = _check_points(x, net.dtype)
    for block in net.blocks:
        y1 = z[:, :1] + run(block.F, z[:, 1:])
        z = torch.cat([y1, z[:, 1:] + run(block.G, y1)], dim=1)
    return stages


def _segment_knots(net: InvertibleNet, start: torch.Tensor, step: torch.Tensor):
    """Every kink of ``s -> f(start + s step)`` on ``[0, 1]``, for each row of ``start``.

    Returns ``owner`` (row index) and ``s`` (position), sorted by row, then position, and
    including ``s = 0`` and ``s = 1``. Between consecutive knots of a row, every ReLU input
    is affine in ``s``. The ReLU layers are visited in the order they are computed: once the
    kinks of all earlier layers are knots, the inputs of the next layer are affine between
    knots, so their zero crossings are found exactly by linear interpolation.
    """
    n = len(start)
    owner = torch.arange(n).repeat_interleave(2)
    s = torch.tensor([0.0, 1.0], dtype=start.dtype).repeat(n)
    n_stages = len(_relu_inputs(net, start[:1]))
    for stage in range(n_stages):
        order = np.lexsort((s.numpy(), owner.numpy()))
        owner, s = owner[order], s[order]
        pre = _relu_inputs(net, start[owner] + s[:, None] * step[owner])[stage]
        a, b = pre[:-1], pre[1:]
        row, unit = torch.nonzero((owner[1:] == owner[:-1])[:, None] & (a * b < 0),
                                  as_tuple=True)
        fraction = a[row, unit] / (a[row, unit] - b[row, unit])
        owner = torch.cat([owner, owner[row]])
        s = torch.cat([s, s[row] + fraction * (s[row + 1] - s[row])])
    order = np.lexsort((s.numpy(), owner.numpy()))
    return owner[order], s[order]


def _gradient(net: InvertibleNet, x: torch.Tensor) -> torch.Tensor:
    """Gradient of the logit difference at each row of ``x``, shape ``(n, 2)``."""
    with torch.enable_grad():
        xg = x.detach().clone().requires_grad_(True)
        logits = net(xg)
        (gradient,) = torch.autograd.grad((logits[:, 0] - logits[:, 1]).sum(), xg)
    return gradient


def _path_integral(net: InvertibleNet, start: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """``integral_0^1 grad f(start + s step) ds`` per row, exactly (``f`` is piecewise affine)."""
    with torch.no_grad():
        owner, s = _segment_knots(net, start, step)
        cell = owner[1:] == owner[:-1]
        left, right, row = s[:-1][cell], s[1:][cell], owner[1:][cell]
        middle = 0.5 * (left + right)
    gradient = _gradient(net, start[row] + middle[:, None] * step[row])
    total = torch.zeros_like(start)
    return total.index_add_(0, row, (right - left)[:, None] * gradient)


def feature_importance(net: InvertibleNet, x: ArrayLike | torch.Tensor, *,
                       method: str = "gradient") -> np.ndarray | torch.Tensor:
    """Feature importance of the decision at ``x`` relative to its projection ``x_p``.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like or Tensor, shape (n, 2)
        Inputs in the network's dtype.
    method : {"gradient", "path"}, keyword-only
        ``"gradient"`` (default): ``I_i = (df/dx_i)(x) (x_i - x_{p,i})``, the
        *reconstructed* importance of Zhuang et al. (2019). ``"path"``: integrated
        gradients along the straight segment from ``x_p`` to ``x``,
        ``I_i = (x_i - x_{p,i}) int_0^1 (df/dx_i)(x_p + s (x - x_p)) ds``.

    Returns
    -------
    importance : ndarray or Tensor, shape (n, 2)
        Same kind as ``x``; in logit units.

    Notes
    -----
    ``f`` is the logit difference ``logit_0 - logit_1`` (see :func:`logit_difference`),
    differentiated by torch autograd, and ``x_p`` is :func:`project_to_boundary`, so
    ``f(x_p) = 0``. The gradient version is the first-order Taylor estimate of
    ``f(x) - f(x_p) = f(x)`` split over the coordinates: ``I_0 + I_1 = f(x)`` exactly only
    when ``f`` is affine along the segment. The path version always sums to
    ``f(x) - f(x_p)`` (completeness: the fundamental theorem of calculus along the
    segment). It is computed exactly, not by quadrature: ``f`` is piecewise affine along
    the segment, its kinks are the zero crossings of the ReLU inputs, found layer by
    layer, and the gradient is constant between kinks. The two versions agree whenever
    the gradient is constant on the segment.
    """
    if method not in IMPORTANCE_METHODS:
        raise ValueError(f"method must be one of {IMPORTANCE_METHODS}, got {method!r}")
    xt, as_numpy = _as_points(x, net.dtype)
    x_p = _project(net, xt)
    if method == "gradient":
        return _like(_gradient(net, xt) * (xt - x_p), as_numpy)
    return _like((xt - x_p) * _path_integral(net, x_p, xt - x_p), as_numpy)


def inactive_subnets(net: InvertibleNet, x: ArrayLike | torch.Tensor) -> int:
    """Number of coupling functions ``F``, ``G`` that are constant on the data.

    A subnet is counted when its output takes one single value at every input it receives
    from ``x``. That happens when all its hidden ReLUs are off on the data (the output is
    then the last bias), or, with the final ReLU, when the last pre-activation is negative
    on the data (the output is then 0). Such a subnet passes no gradient to the weights
    before the dead ReLUs, and its half of the block is a constant shift; it can revive
    only if the blocks before it move the data to where it is active.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like or Tensor, shape (n, 2)
        Inputs (e.g. the training data) in the network's dtype; each subnet is evaluated
        where these inputs reach it.

    Returns
    -------
    int
        Count over the ``2 * n_blocks`` subnets.
    """
    z, _ = _as_points(x, net.dtype)
    count = 0
    with torch.no_grad():
        for block in net.blocks:
            f = block.F(z[:, 1:])
            g = block.G(z[:, :1] + f)
            count += int(bool(torch.all(f == f[0]))) + int(bool(torch.all(g == g[0])))
            z = block(z)
    return count


def importance_table(net: InvertibleNet,
                     x: ArrayLike | torch.Tensor) -> tuple[list[str], list[list[float]]]:
    """Rows of numbers that explain the decisions at ``x``, for a table in the book.

    Parameters
    ----------
    net : InvertibleNet
    x : array_like, shape (n, 2)
        Inputs in the network's dtype.

    Returns
    -------
    header : list of str
        Column names (Markdown math): ``x_1, x_2, f(x), |x - x_p|`` (input units), then the
        gradient importances ``I_1, I_2`` and their sum, then the path importances and
        their sum (logit units).
    rows : list of list of float
        One row of ``len(header)`` numbers per input.
    """
    xt, _ = _as_points(x, net.dtype)
    x_p = _project(net, xt)
    distance = torch.linalg.vector_norm(xt - x_p, dim=1)
    columns = [xt[:, 0], xt[:, 1], logit_difference(net, xt), distance]
    for method in IMPORTANCE_METHODS:
        importance = feature_importance(net, xt, method=method)
        columns += [importance[:, 0], importance[:, 1], importance.sum(dim=1)]
    header = ["$x_1$", "$x_2$", "$f(x)$", r"$\lVert x - x_p \rVert$",
              "$I_1$", "$I_2$", "$I_1 + I_2$",
              r"$I^{\mathrm{path}}_1$", r"$I^{\mathrm{path}}_2$",
              r"$I^{\mathrm{path}}_1 + I^{\mathrm{path}}_2$"]
    return header, torch.stack(columns, dim=1).tolist()
