"""Explaining an invertible classifier: the exact decision boundary (a hyperplane in feature
space mapped back through the inverse), projections onto it, and feature importance
(gradient and exact path-integral attributions)."""

from __future__ import annotations
from dataclasses import dataclass
import numpy as np
from numpy.typing import ArrayLike
import torch
from torch import nn
from .._validation import check_choice, check_positive_int, check_real
from .blocks import InvertibleNet, _as_points, _check_points, _like

__all__ = ["DecisionBoundary", "boundary_hyperplane", "logit_difference", "decision_boundary",
           "project_to_boundary", "IMPORTANCE_METHODS", "feature_importance",
           "inactive_subnets", "importance_table"]


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
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    padding = check_real(padding, "padding", minimum=0.0)
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
    method = check_choice(method, "method", IMPORTANCE_METHODS)
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
