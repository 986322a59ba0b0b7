"""One deterministic minibatch training loop, shared by the library's networks.

Most of a DEERNet step is overhead, not arithmetic (``benchmarks/training_step.py``), so
:func:`train_minibatches` gathers batches into reused buffers, keeps the batch losses as
tensors until the epoch ends, and trains plain MLPs under MSE without autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from ._threads import limit_threads
from ._validation import check_bool, check_positive_int, check_real

_ACTIVATIONS = {  # module: (in-place forward, backward(grad, output, grad_input=))
    nn.Tanh: (torch.Tensor.tanh_, torch.ops.aten.tanh_backward.grad_input),
    nn.Sigmoid: (torch.Tensor.sigmoid_, torch.ops.aten.sigmoid_backward.grad_input),
    nn.ReLU: (torch.Tensor.relu_, lambda grad, out, grad_input:
              torch.ops.aten.threshold_backward.grad_input(grad, out, 0, grad_input=grad_input))}

__all__ = ["train_minibatches"]


def _plain_mlp(model, loss_fn, inputs, targets) -> list[list] | None:
    """``[[linear, (forward, backward) or None], ...]`` if :class:`_MLPGradient` applies."""
    mse = loss_fn is nn.functional.mse_loss or (type(loss_fn) is nn.MSELoss and
                                                loss_fn.reduction == "mean")
    if not (mse and type(model) is nn.Sequential and inputs.ndim == targets.ndim == 2):
        return None
    layers: list[list] = []
    for module in model:
        if type(module) is nn.Linear and module.bias is not None:
            layers.append([module, None])
        elif type(module) in _ACTIVATIONS and layers and layers[-1][1] is None:
            layers[-1][1] = _ACTIVATIONS[type(module)]
        else:
            return None
    parameters = list(model.parameters())    # fewer than 2 per layer: tied, use autograd
    usable = layers and len(parameters) == 2 * len(layers) and all(
        p.requires_grad and p.dtype == inputs.dtype == targets.dtype for p in parameters)
    return layers if usable and targets.shape[1] == layers[-1][0].out_features else None


class _MLPGradient:
    """Forward and backward of a plain MLP under the mean squared error, without autograd.

    ``gradient(x, y, slot)`` for a batch ``x`` (m, n_in), ``y`` (m, n_out) sets ``p.grad``
    to the gradient of ``mean((model(x) - y) ** 2)``, writes the *sum* of squared errors
    to the 0-d ``slot`` and overwrites ``y``; ``buffers[m]`` holds all else, made once.
    """

    def __init__(self, layers, batch_sizes, dtype: torch.dtype):
        self.layers = [(lin.weight, lin.weight.t(), lin.bias, act) for lin, act in layers]
        self.buffers = {m: ([torch.empty(m, f.out_features, dtype=dtype) for f, _ in layers],
                            [torch.empty(m, f.in_features, dtype=dtype) for f, _ in layers[1:]],
                            torch.ones(m, dtype=dtype)) for m in batch_sizes}
        for parameter in (p for lin, _ in layers for p in (lin.weight, lin.bias)):
            parameter.grad = torch.zeros_like(parameter)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, slot: torch.Tensor) -> None:
        outputs, grads, ones = self.buffers[x.shape[0]]
        inputs = [x, *outputs[:-1]]
        for (_, weight_t, bias, act), a, out in zip(self.layers, inputs, outputs):
            torch.addmm(bias, a, weight_t, out=out)
            if act is not None:
                act[0](out)
        grad = torch.sub(outputs[-1], y, out=y)
        torch.dot(grad.view(-1), grad.view(-1), out=slot)
        scale = 2.0 / grad.numel()           # applied by the products (alpha), not a pass
        for i in reversed(range(len(self.layers))):
            weight, _, bias, act = self.layers[i]
            if act is not None:              # in place: grad *= f'(preactivation)
                act[1](grad, outputs[i], grad_input=grad)
            torch.addmm(weight.grad, grad.t(), inputs[i], beta=0, alpha=scale, out=weight.grad)
            torch.addmv(bias.grad, grad.t(), ones, beta=0, alpha=scale, out=bias.grad)
            if i:
                grad = torch.mm(grad, weight, out=grads[i - 1])


def train_minibatches(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, *,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      optimiser: torch.optim.Optimizer, epochs: int, batch_size: int,
                      generator: torch.Generator, scheduler=None,
                      validation: Sequence[torch.Tensor] | None = None, progress: bool = True,
                      desc: str = "Training", fast_mlp: bool = True) -> dict[str, list[float]]:
    """Train ``model`` by minibatch optimisation, deterministically, on one torch thread.

    Each epoch draws ``torch.randperm(n, generator=generator)``, steps the optimiser on
    ``loss_fn(model(inputs[idx]), targets[idx])`` for each slice ``idx`` of ``batch_size``
    indices, then steps the scheduler and scores the validation set. One torch thread and
    deterministic algorithms make the weights bit-identical when a configuration runs twice
    on one machine; denormals flush to zero (in Adam's moments of dead ReLUs they cost ~2x).

    Parameters
    ----------
    model : torch.nn.Module
        Maps inputs (m, ...) to predictions for ``loss_fn``; left in evaluation mode.
    inputs, targets : Tensor, shape (n, ...) each
        Training examples, one per row (targets e.g. (n, k) floats or (n,) classes).
    loss_fn : callable
        ``loss_fn(predictions, targets)`` -> 0-d tensor, the mean loss of a batch.
    optimiser : torch.optim.Optimizer
        Over ``model``'s parameters (``fused=True`` is fastest for Adam/AdamW).
    epochs, batch_size : int
        Passes over the data; examples per step (the last batch may be smaller).
    generator : torch.Generator
        Draws the batch order of every epoch.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped once at the end of every epoch.
    validation : (Tensor, Tensor), optional
        ``(inputs, targets)`` scored with ``loss_fn`` after every epoch, without gradient.
    progress : bool
        Show a tqdm bar over epochs with the latest losses; ``desc`` labels it.
    fast_mlp : bool
        Train an ``nn.Sequential`` of ``Linear`` (with bias) and ``Tanh``/``ReLU``/``Sigmoid``
        under ``nn.MSELoss()`` or ``F.mse_loss`` without autograd (False: always autograd).

    Returns
    -------
    dict of str to list of float, each of length ``epochs``
        ``"train_loss"``: mean over the examples of their batch's loss (while the weights
        move); ``"validation_loss"``: after each epoch (empty without ``validation``);
        ``"learning_rate"``: of the first parameter group during each epoch.

    Raises
    ------
    ValueError
        ``epochs`` or ``batch_size`` not an integer >= 1; ``inputs, targets`` or
        ``validation`` not two tensors of the same length >= 1; a learning rate not
        finite and > 0; ``generator`` not a ``torch.Generator``; a flag not a bool.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    pairs = {"inputs, targets": (inputs, targets), "validation": validation}
    for name, pair in ((k, tuple(v)) for k, v in pairs.items() if v is not None):
        if (len(pair) != 2 or not all(isinstance(t, torch.Tensor) and t.ndim for t in pair)
                or len(pair[0]) != len(pair[1]) or len(pair[0]) == 0):
            raise ValueError(f"{name} must be two tensors with the same number (>= 1) of "
                             f"rows, got {[getattr(t, 'shape', t) for t in pair]}")
    for group in optimiser.param_groups:
        check_real(float(group["lr"]), "learning rate", positive=True)
    progress, fast_mlp = check_bool(progress, "progress"), check_bool(fast_mlp, "fast_mlp")
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    n, layers = len(inputs), _plain_mlp(model, loss_fn, inputs, targets) if fast_mlp else None
    sizes = {min(batch_size, n), n % batch_size or batch_size}     # full batch, last batch
    buffers = {m: (inputs.new_empty((m, *inputs.shape[1:])),
                   targets.new_empty((m, *targets.shape[1:]))) for m in sizes}
    slots = torch.empty(-(-n // batch_size), dtype=inputs.dtype if layers else torch.float64)
    history = {"train_loss": [], "validation_loss": [], "learning_rate": []}
    previous = (torch.are_deterministic_algorithms_enabled(),       # restored at the end
                torch.is_deterministic_algorithms_warn_only_enabled(),
                float(torch.tensor([1e-39]) * 2) == 0.0)   # flushing denormals? (no getter)
    try:
        torch.use_deterministic_algorithms(True)
        torch.set_flush_denormal(True)
        with limit_threads(1), torch.set_grad_enabled(layers is None):
            gradient = _MLPGradient(layers, sizes, inputs.dtype) if layers else None
            bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress)
            for _ in bar:
                history["learning_rate"].append(float(optimiser.param_groups[0]["lr"]))
                model.train()
                order = torch.randperm(n, generator=generator)
                for index, slot in zip(order.split(batch_size), slots.unbind()):
                    x, y = buffers[len(index)]
                    torch.index_select(inputs, 0, index, out=x)
                    torch.index_select(targets, 0, index, out=y)
                    if gradient is not None:
                        gradient(x, y, slot)
                    else:
                        optimiser.zero_grad(set_to_none=True)
                        loss = loss_fn(model(x), y)
                        loss.backward()
                        slot.copy_(loss.detach())
                    optimiser.step()
                total = 0.0                  # in batch order, as ``total += loss.item() * m``
                for k, value in enumerate(slots.tolist()):   # fast path: sums of squares
                    total += value / targets.shape[1] if layers else value * min(
                        batch_size, n - k * batch_size)
                history["train_loss"].append(total / n)
                if scheduler is not None:
                    scheduler.step()
                model.eval()
                if validation is not None:
                    with torch.no_grad():
                        history["validation_loss"].append(
                            float(loss_fn(model(validation[0]), validation[1])))
                bar.set_postfix({key: f"{values[-1]:.2e}" for key, values in history.items()
                                 if values and key != "learning_rate"})
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.set_flush_denormal(previous[2])
    return history
