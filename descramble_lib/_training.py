"""One deterministic minibatch training loop, shared by the library's networks.

:func:`train_minibatches` runs the loop of the DEERNet, digits-MLP and two-moons
recipes: each epoch draws ``torch.randperm`` from a seeded ``torch.Generator``, steps
the optimiser once per minibatch, then steps the scheduler and scores the validation
set. It runs on one torch thread with deterministic algorithms (both restored after).

Where the time of a small step goes (DEERNet 256 -> 80 -> 256, batch 256, one core;
``benchmarks/training_step.py``): the matrix products take ~0.35 ms, autograd's graph,
the elementwise kernels and the loss ~0.3 ms, ``X[index]`` ~0.27 ms (``index_select``
into a reused buffer: ~0.08 ms), the per-parameter Adam loop ~0.13 ms (``fused=True``:
~0.06 ms), ``loss.item()`` a few microseconds. For ``nn.Sequential`` MLPs of ``Linear``
and ``Tanh``/``ReLU``/``Sigmoid`` trained on the mean squared error, the gradient is
therefore computed by hand (:class:`_MLPGradient`, no autograd graph, preallocated
buffers); any other model or loss goes through autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._validation import check_positive_int

try:                                     # the thread helper of the reorganised library
    from ._threads import limit_threads as _threads
except ImportError:                      # pragma: no cover - before the reorganisation
    from ._threads import torch_threads as _threads

__all__ = ["train_minibatches"]

_aten = torch.ops.aten
_FORWARD = {nn.Tanh: torch.Tensor.tanh_, nn.Sigmoid: torch.Tensor.sigmoid_,
            nn.ReLU: torch.Tensor.relu_}
_BACKWARD = {nn.Tanh: _aten.tanh_backward, nn.Sigmoid: _aten.sigmoid_backward,
             nn.ReLU: lambda grad, out: _aten.threshold_backward(grad, out, 0)}


def _plain_mlp(model: nn.Module, loss_fn, inputs: torch.Tensor,
               targets: torch.Tensor) -> list[tuple[nn.Linear, type | None]] | None:
    """``[(linear, activation type or None), ...]`` if the hand-written gradient applies."""
    mse = loss_fn is nn.functional.mse_loss or (
        type(loss_fn) is nn.MSELoss and loss_fn.reduction == "mean")
    if not (mse and type(model) is nn.Sequential and inputs.ndim == 2 and targets.ndim == 2):
        return None
    layers: list[list] = []
    for module in model:
        if type(module) is nn.Linear:
            layers.append([module, None])
        elif type(module) in _FORWARD and layers and layers[-1][1] is None:
            layers[-1][1] = type(module)
        else:
            return None
    parameters = list(model.parameters())
    own = sum(1 + (linear.bias is not None) for linear, _ in layers)
    if not layers or len(parameters) != own or targets.shape[1] != layers[-1][0].out_features \
            or any(p.dtype != inputs.dtype or not p.requires_grad for p in parameters) \
            or targets.dtype != inputs.dtype:
        return None
    return [tuple(layer) for layer in layers]


class _MLPGradient:
    """Forward and backward of a plain MLP under the mean squared error, without autograd.

    Calling it on a batch ``x`` (m, n_in), ``y`` (m, n_out) overwrites ``p.grad`` of every
    parameter with the gradient of ``mean((model(x) - y) ** 2)`` and writes the *sum* of
    squared errors to ``slot`` (a 0-d tensor). The factor ``2 / (m n_out)`` is applied in
    the weight products (``alpha``), not as separate passes over the data.
    """

    def __init__(self, layers, batch_size: int, dtype: torch.dtype):
        self.layers = layers
        self.outputs = [torch.empty(batch_size, lin.out_features, dtype=dtype)
                        for lin, _ in layers]
        self.deltas = [torch.empty(batch_size, lin.in_features, dtype=dtype)
                       for lin, _ in layers[1:]]
        self.residual = torch.empty(batch_size, layers[-1][0].out_features, dtype=dtype)
        self.ones = torch.ones(batch_size, dtype=dtype)
        for linear, _ in layers:
            for parameter in linear.parameters():
                parameter.grad = torch.zeros_like(parameter)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, slot: torch.Tensor) -> None:
        m = x.shape[0]
        activations = [x]
        for (linear, act), out in zip(self.layers, self.outputs):
            out = out[:m]
            if linear.bias is None:
                torch.mm(activations[-1], linear.weight.t(), out=out)
            else:
                torch.addmm(linear.bias, activations[-1], linear.weight.t(), out=out)
            if act is not None:
                _FORWARD[act](out)
            activations.append(out)
        grad = torch.sub(activations[-1], y, out=self.residual[:m])
        torch.dot(grad.view(-1), grad.view(-1), out=slot)
        scale = 2.0 / grad.numel()
        for i in reversed(range(len(self.layers))):
            linear, act = self.layers[i]
            if act is not None:
                grad = _BACKWARD[act](grad, activations[i + 1])
            torch.addmm(linear.weight.grad, grad.t(), activations[i], beta=0, alpha=scale,
                        out=linear.weight.grad)
            if linear.bias is not None:
                torch.addmv(linear.bias.grad, grad.t(), self.ones[:m], beta=0, alpha=scale,
                            out=linear.bias.grad)
            if i:
                grad = torch.mm(grad, linear.weight, out=self.deltas[i - 1][:m])


def train_minibatches(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, *,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      optimiser: torch.optim.Optimizer, epochs: int, batch_size: int,
                      generator: torch.Generator, scheduler=None,
                      validation: Sequence[torch.Tensor] | None = None, progress: bool = True,
                      desc: str = "Training",
                      on_epoch: Callable[[int, dict[str, list[float]]], None] | None = None,
                      fast_mlp: bool = True) -> dict[str, list[float]]:
    """Train ``model`` by minibatch optimisation, deterministically on one CPU thread.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of inputs (m, ...) to predictions accepted by ``loss_fn``.
    inputs : Tensor, shape (n, ...)
        Training inputs, one example per row.
    targets : Tensor, shape (n, ...)
        Training targets (e.g. (n, n_out) floats for MSE, (n,) class indices).
    loss_fn : callable
        ``loss_fn(predictions, targets)`` -> scalar tensor, the mean loss of a batch.
    optimiser : torch.optim.Optimizer
        Over ``model``'s parameters, e.g. ``Adam(..., fused=True)``; stepped once per batch.
    epochs, batch_size : int
        Passes over the data, and examples per step (the last batch may be smaller).
    generator : torch.Generator
        Draws the batch order, ``torch.randperm(n, generator=generator)`` each epoch.
    scheduler : optional
        Learning-rate scheduler, stepped once at the end of every epoch.
    validation : (Tensor, Tensor), optional
        ``(inputs, targets)`` scored with ``loss_fn`` after each epoch (evaluation mode).
    progress : bool
        Show a tqdm bar over epochs with the latest losses.
    desc : str
        Label of the bar.
    on_epoch : callable, optional
        ``on_epoch(epoch, history)`` after each epoch (``epoch`` counts from 0).
    fast_mlp : bool
        Use the hand-written gradient when ``model`` is an ``nn.Sequential`` of ``Linear``
        layers, each optionally followed by ``Tanh``, ``ReLU`` or ``Sigmoid``, and
        ``loss_fn`` is the mean squared error; False forces autograd.

    Returns
    -------
    dict of str to list of float, each of length ``epochs``
        ``"train_loss"``: mean over examples of the batch losses of the epoch (while the
        weights move); ``"validation_loss"``: after the epoch (empty without
        ``validation``); ``"learning_rate"``: of the first parameter group during it.

    Raises
    ------
    ValueError
        Non-positive ``epochs`` or ``batch_size``; inputs, targets or validation pairs
        that are not tensors or differ in length; no examples; a learning rate that is
        not a finite number > 0; a ``generator`` that is not a ``torch.Generator``.

    Notes
    -----
    Torch runs on one thread with ``torch.use_deterministic_algorithms(True)``, both
    restored afterwards, so a configuration gives bit-identical weights when run twice
    on the same machine and build. The hand-written gradient equals autograd's up to
    float rounding (the last bits differ, as do those of ``fused=True`` Adam). The model
    is left in evaluation mode.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    pairs = [("inputs", inputs, "targets", targets)]
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("validation must be a pair (inputs, targets)")
        pairs.append(("validation inputs", validation[0], "validation targets", validation[1]))
    for name_a, a, name_b, b in pairs:
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            raise ValueError(f"{name_a} and {name_b} must be torch tensors")
        if a.ndim == 0 or b.ndim == 0 or len(a) != len(b) or len(a) == 0:
            raise ValueError(f"{name_a} and {name_b} must have the same number (>= 1) of "
                             f"rows, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    for group in optimiser.param_groups:
        lr = float(group["lr"])
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a finite number > 0, got {lr!r}")
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")

    n, width = len(inputs), min(batch_size, len(inputs))
    layers = _plain_mlp(model, loss_fn, inputs, targets) if fast_mlp else None
    x_buffer = inputs.new_empty((width, *inputs.shape[1:]))
    y_buffer = targets.new_empty((width, *targets.shape[1:]))
    # Batch losses stay tensors during the epoch (no loss.item() sync per step).
    slots = torch.empty(-(-n // batch_size), dtype=inputs.dtype if layers else torch.float64)
    history: dict[str, list[float]] = {"train_loss": [], "validation_loss": [],
                                       "learning_rate": []}
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(True)
        with _threads(1), torch.set_grad_enabled(layers is None):
            gradient = _MLPGradient(layers, width, inputs.dtype) if layers else None
            bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress)
            for epoch in bar:
                history["learning_rate"].append(float(optimiser.param_groups[0]["lr"]))
                model.train()
                order = torch.randperm(n, generator=generator)
                for k, index in enumerate(order.split(batch_size)):
                    x = torch.index_select(inputs, 0, index, out=x_buffer[:len(index)])
                    y = torch.index_select(targets, 0, index, out=y_buffer[:len(index)])
                    if gradient is not None:
                        gradient(x, y, slots[k])
                    else:
                        optimiser.zero_grad(set_to_none=True)
                        loss = loss_fn(model(x), y)
                        loss.backward()
                        slots[k] = loss.detach()
                    optimiser.step()
                total = 0.0                 # batch order, as ``total += loss.item() * m``
                for k, value in enumerate(slots.tolist()):
                    m = min(batch_size, n - k * batch_size)
                    mean = value / (m * targets.shape[1]) if layers else value
                    total += mean * m
                history["train_loss"].append(total / n)
                if scheduler is not None:
                    scheduler.step()
                model.eval()
                postfix = {"train": f"{total / n:.2e}"}
                if validation is not None:
                    with torch.no_grad():
                        val = float(loss_fn(model(validation[0]), validation[1]))
                    history["validation_loss"].append(val)
                    postfix["val"] = f"{val:.2e}"
                bar.set_postfix(postfix)
                if on_epoch is not None:
                    on_epoch(epoch, history)
    finally:
        torch.use_deterministic_algorithms(deterministic)
    model.eval()
    return history
