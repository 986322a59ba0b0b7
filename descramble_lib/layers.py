"""Descramble one ``nn.Linear`` layer of any torch model.

``descramble_layer(model, layer, inputs)`` runs ``inputs`` through ``model``, records the
preactivations ``S = W x + b`` of the chosen ``nn.Linear`` with a forward hook (the output
of a Linear is exactly its preactivation), descrambles them with
:func:`~descramble_lib.descramble` and returns the descrambler together with the
descrambled weights ``P W`` and bias ``P b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import torch
from torch import nn

from ._validation import as_finite_matrix, check_positive_int
from .descrambling import descramble
from .result import Descrambling

__all__ = ["LayerDescrambling", "linear_layer_names", "find_linear_layer",
           "layer_preactivations", "descramble_layer", "neuron_axis_spectrum"]


@dataclass
class LayerDescrambling:
    """Result of :func:`descramble_layer`.

    Attributes
    ----------
    name : str
        The layer's name in ``model.named_modules()``.
    result : Descrambling
        The descrambler ``result.P`` (shape ``(d, d)``) and its loss, bound and gap.
    S : ndarray, shape (d, n)
        Preactivations ``W x + b`` of the ``d`` neurons on the ``n`` input rows (inputs
        with extra leading axes, e.g. sequences, contribute one column per position).
    W : ndarray, shape (d, m)
        The layer's weights (float64 copy).
    b : ndarray, shape (d,) or None
        The layer's bias, ``None`` for ``bias=False``.
    weights : ndarray, shape (d, m)
        Descrambled weights ``P W``.
    bias : ndarray, shape (d,) or None
        Descrambled bias ``P b``.
    """

    name: str
    result: Descrambling
    S: np.ndarray
    W: np.ndarray
    b: np.ndarray | None
    weights: np.ndarray
    bias: np.ndarray | None

    @property
    def P(self) -> np.ndarray:
        """The descrambler, shape ``(d, d)``."""
        return self.result.P


def linear_layer_names(model: nn.Module) -> list[str]:
    """Names (as in ``model.named_modules()``) of every ``nn.Linear`` in ``model``, in order.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    list of str
        Module names in registration order; empty if there is no ``nn.Linear``.
    """
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


def find_linear_layer(model: nn.Module, layer: nn.Linear | str) -> tuple[str, nn.Linear]:
    """Resolve ``layer`` (an ``nn.Linear`` of ``model`` or its name) to ``(name, module)``.

    Parameters
    ----------
    model : torch.nn.Module
    layer : torch.nn.Linear or str
        A linear module of ``model``, or its name in ``model.named_modules()``.

    Returns
    -------
    name : str
    module : torch.nn.Linear

    Raises
    ------
    ValueError
        ``model`` is not an ``nn.Module``; no module of that name; the module is not part
        of ``model``; the module is not an ``nn.Linear``.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    modules = dict(model.named_modules())
    linear_names = linear_layer_names(model)
    if isinstance(layer, str):
        if layer not in modules:
            raise ValueError(f"model has no module named {layer!r}; its nn.Linear layers are "
                             f"{linear_names}")
        name, module = layer, modules[layer]
    elif isinstance(layer, nn.Module):
        names = [key for key, value in modules.items() if value is layer]
        if not names:
            raise ValueError(f"the given {type(layer).__name__} is not a submodule of the model; "
                             f"its nn.Linear layers are {linear_names}")
        name, module = names[0], layer
    else:
        raise ValueError(f"layer must be an nn.Linear of the model or its name, got {layer!r}")
    if not isinstance(module, nn.Linear):
        raise ValueError(f"layer {name!r} is a {type(module).__name__}, not an nn.Linear; "
                         f"the model's nn.Linear layers are {linear_names}")
    return name, module


def _as_input_tensor(inputs, like: torch.Tensor) -> torch.Tensor:
    """``inputs`` as a finite tensor on the layer's device; floats cast to the layer's dtype.

    Integer inputs (e.g. token ids for an embedding) are passed on unchanged.
    """
    if isinstance(inputs, torch.Tensor):
        tensor = inputs.detach()
    else:
        array = np.asarray(inputs)
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"inputs must be numeric, got dtype {array.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.ndim < 2:
        raise ValueError(f"inputs must have a batch axis and at least one feature axis, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError("inputs is empty (no rows)")
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise ValueError("inputs contain NaN or inf")
    if tensor.is_floating_point():
        tensor = tensor.to(dtype=like.dtype)
    return tensor.to(device=like.device)


def layer_preactivations(model: nn.Module, layer: nn.Linear | str,
                         inputs: ArrayLike | torch.Tensor, *,
                         batch_size: int | None = None) -> tuple[str, np.ndarray]:
    """Preactivations ``S = W x + b`` of an ``nn.Linear`` of ``model`` on ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model containing the layer; run in eval mode (its training flag is restored).
    layer : nn.Linear or str
        The layer, or its name in ``model.named_modules()``.
    inputs : array_like or torch.Tensor, shape (n, ...)
        What ``model`` takes, batch axis first. Floating-point inputs are cast to the
        layer's dtype; integer inputs (token ids) are passed on unchanged.
    batch_size : int, optional
        Run the model on this many rows at a time (default: all at once).

    Returns
    -------
    name : str
        The layer's name.
    S : ndarray, shape (d, N)
        One column per input row (``N = n``), or per row and position when the layer
        sees extra leading axes; float64.

    Raises
    ------
    ValueError
        Bad ``layer`` (see :func:`find_linear_layer`); ``inputs`` not numeric, not at
        least 2-D, empty or non-finite; the model fails on ``inputs`` (e.g. wrong
        feature size); the forward pass never calls the layer, or calls it more than
        once (a shared layer); non-finite preactivations.

    Notes
    -----
    The hook copies the layer's output, so an in-place activation after the layer
    (``nn.ReLU(inplace=True)``) does not change what is recorded.
    """
    name, module = find_linear_layer(model, layer)
    tensor = _as_input_tensor(inputs, module.weight)
    n = tensor.shape[0]
    batch_size = n if batch_size is None else check_positive_int(batch_size, "batch_size")
    captured: list[torch.Tensor] = []
    calls = [0]

    def hook(_module, _args, output):
        # A copy, always: an in-place operation after the layer (nn.ReLU(inplace=True))
        # would otherwise overwrite the recorded preactivations with the activations.
        calls[0] += 1
        captured.append(output.detach().reshape(-1, output.shape[-1]).to(
            dtype=torch.float64, device="cpu", copy=True))

    handle = module.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                calls[0] = 0
                try:
                    model(tensor[start:start + batch_size])
                except (RuntimeError, TypeError) as error:
                    raise ValueError(f"the model cannot run on inputs of shape "
                                     f"{tuple(tensor.shape)}: {error}") from error
                if calls[0] > 1:
                    raise ValueError(
                        f"layer {name!r} is called {calls[0]} times in one forward pass (a "
                        "shared or reused layer): its preactivations would mix the calls; "
                        "descramble a model that calls it once")
    finally:
        handle.remove()
        model.train(was_training)
    if not captured:
        raise ValueError(f"the forward pass of the model never called layer {name!r}")
    S = torch.cat(captured).T.numpy()
    if not np.all(np.isfinite(S)):
        raise ValueError(f"the preactivations of layer {name!r} contain NaN or inf")
    return name, S


def descramble_layer(model: nn.Module, layer: nn.Linear | str, inputs: ArrayLike | torch.Tensor, *,
                     batch_size: int | None = None,
                     **descramble_options) -> LayerDescrambling:
    """Descramble an ``nn.Linear`` layer of a torch model from its preactivations on ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model containing the layer (run in eval mode, without gradients).
    layer : nn.Linear or str
        The layer, or its name in ``model.named_modules()`` (e.g. ``"0"`` for the first
        module of an ``nn.Sequential``, ``"encoder.fc1"``).
    inputs : array_like or torch.Tensor, shape (n, ...)
        Inputs of ``model``, batch axis first.
    batch_size : int, optional
        Run the model on this many rows at a time.
    **descramble_options
        Passed to :func:`~descramble_lib.descramble`: ``A``, ``method``, ``loss`` (a
        general loss such as ``sparsity_loss(W)``), ``P0``, ``max_iter``, ...

    Returns
    -------
    LayerDescrambling
        ``P``, ``result`` (loss, bound, gap), preactivations ``S`` of shape ``(d, n)``,
        the layer's ``W`` and ``b`` and the descrambled ``weights = P W`` and
        ``bias = P b``.

    Raises
    ------
    ValueError
        As :func:`layer_preactivations` and :func:`~descramble_lib.descramble`.

    Notes
    -----
    ``P`` acts on the layer's output axis. The network computes the same function with
    ``W -> P W``, ``b -> P b`` if the next operation can absorb ``P^T``: exactly when the
    layer output goes straight into another linear map, and only approximately across an
    elementwise nonlinearity; descrambling is a way to read the layer, not to rewrite it.
    """
    name, S = layer_preactivations(model, layer, inputs, batch_size=batch_size)
    module = dict(model.named_modules())[name]
    W = module.weight.detach().to(torch.float64).cpu().numpy().copy()
    b = None if module.bias is None else module.bias.detach().to(torch.float64).cpu().numpy().copy()
    result = descramble(S, **descramble_options)
    P = result.P
    return LayerDescrambling(name=name, result=result, S=S, W=W, b=b, weights=P @ W,
                             bias=None if b is None else P @ b)


def neuron_axis_spectrum(matrix: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Share of a matrix's energy at each frequency along its first (neuron) axis.

    Parameters
    ----------
    matrix : array_like, shape (d, m)
        E.g. weights ``W`` or descrambled weights ``P W`` (neurons along rows).

    Returns
    -------
    k : ndarray of int, shape (d // 2 + 1,)
        Wavenumbers ``0 ... d // 2`` along the neuron axis.
    share : ndarray, shape (d // 2 + 1,)
        Fraction of ``||matrix||_F^2`` at each ``|k|`` (``k`` and ``-k`` together); sums to 1.
        A descrambled matrix puts its energy at small ``k``; a scrambled one spreads it.
    """
    matrix = as_finite_matrix(matrix, "matrix")
    d = matrix.shape[0]
    power = np.abs(np.fft.rfft(matrix, axis=0)) ** 2
    power[1:(d + 1) // 2] *= 2.0          # k and -k (not k = 0, nor the alternating mode)
    energy = power.sum(axis=1)
    total = energy.sum()
    if total == 0:
        raise ValueError("matrix is zero: its spectrum is undefined")
    return np.arange(energy.size), energy / total
