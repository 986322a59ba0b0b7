"""Descramble one ``nn.Linear`` layer of any torch model.

``descramble_layer(model, layer, inputs)`` runs ``inputs`` through ``model`` batch by batch,
records the preactivations ``S = W x + b`` of the chosen ``nn.Linear`` with a forward hook
(the output of a Linear is exactly its preactivation), adds each batch into a
:class:`~descramble_lib.SecondMoment` and descrambles the moment with
:func:`~descramble_lib.descramble`; it returns the descrambler together with the
descrambled weights ``P W`` and bias ``P b``. ``inputs`` may be an array or tensor, a
``torch.utils.data.DataLoader`` or any iterable of batches: only one batch of
preactivations and ``O(d^2)`` numbers are held at a time, unless the preactivations are
kept on request (``keep_preactivations=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike
import torch
from torch import nn
from tqdm import tqdm

from ._validation import check_bool, check_positive_int
from .descrambling import descramble
from .moments import SecondMoment
from .result import Descrambling

__all__ = ["LayerDescrambling", "linear_layer_names", "find_linear_layer",
           "layer_preactivations", "descramble_layer"]

# Rows per forward pass for array inputs of descramble_layer when batch_size is not given.
DEFAULT_ARRAY_BATCH = 4096


@dataclass
class LayerDescrambling:
    """Result of :func:`descramble_layer`.

    Attributes
    ----------
    name : str
        The layer's name in ``model.named_modules()``.
    result : Descrambling
        The descrambler ``result.P`` (shape ``(d, d)``) and its loss, bound and gap.
    W : ndarray, shape (d, m)
        The layer's weights (float64 copy).
    b : ndarray, shape (d,) or None
        The layer's bias, ``None`` for ``bias=False``.
    weights : ndarray, shape (d, m)
        Descrambled weights ``P W``.
    bias : ndarray, shape (d,) or None
        Descrambled bias ``P b``.
    moment : SecondMoment
        The streamed second moment of the preactivations (count, mean, ``M``).
    preactivations : ndarray, shape (d, n), or None
        Kept only with ``keep_preactivations=True``; read it as :attr:`S`.
    """

    name: str
    result: Descrambling
    W: np.ndarray
    b: np.ndarray | None
    weights: np.ndarray
    bias: np.ndarray | None
    moment: SecondMoment
    preactivations: np.ndarray | None = field(default=None, repr=False)

    @property
    def P(self) -> np.ndarray:
        """The descrambler, shape ``(d, d)``."""
        return self.result.P

    @property
    def S(self) -> np.ndarray:
        """Preactivations ``W x + b`` of the ``d`` neurons on the ``n`` input rows, shape
        ``(d, n)`` (inputs with extra leading axes contribute one column per position).

        Raises
        ------
        AttributeError
            They were not kept: call ``descramble_layer(..., keep_preactivations=True)``.
        """
        if self.preactivations is None:
            raise AttributeError(
                "the preactivations were not kept (they are streamed into .moment); call "
                "descramble_layer(..., keep_preactivations=True) to keep S on the result")
        return self.preactivations


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


def _checked_inputs(inputs, what: str = "inputs") -> np.ndarray | torch.Tensor:
    """``inputs`` with its type and shape checked, without a copy (a memory map stays on
    disk): numeric, a batch axis and at least one feature axis, at least one row."""
    if isinstance(inputs, torch.Tensor):
        data = inputs.detach()
    else:
        data = np.asarray(inputs)
        if not np.issubdtype(data.dtype, np.number):
            raise ValueError(f"{what} must be numeric, got dtype {data.dtype}")
    if data.ndim < 2:
        raise ValueError(f"{what} must have a batch axis and at least one feature axis, "
                         f"got shape {tuple(data.shape)}")
    if data.shape[0] == 0:
        raise ValueError(f"{what} is empty (no rows)")
    return data


def _as_input_tensor(inputs, like: torch.Tensor, what: str = "inputs") -> torch.Tensor:
    """``inputs`` as a finite tensor on the layer's device; floats cast to the layer's dtype.

    Integer inputs (e.g. token ids for an embedding) are passed on unchanged.
    """
    data = _checked_inputs(inputs, what)
    tensor = (data if isinstance(data, torch.Tensor)
              else torch.from_numpy(np.ascontiguousarray(data)))
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{what} {'contain' if what == 'inputs' else 'contains'} NaN or inf")
    if tensor.is_floating_point():
        tensor = tensor.to(dtype=like.dtype)
    return tensor.to(device=like.device)


def _is_batch_stream(inputs) -> bool:
    """A data loader, generator or list of batches, as opposed to one array of inputs."""
    if isinstance(inputs, (np.ndarray, torch.Tensor)):
        return False
    if isinstance(inputs, (list, tuple)):
        # A list of arrays, tensors or dicts, or of (inputs, targets) pairs, is a list of
        # batches (an empty list is an empty one); a nested list of numbers is one array.
        if not inputs:
            return True
        first = inputs[0]
        if isinstance(first, (tuple, list)) and first:
            first = first[0]
        return isinstance(first, (np.ndarray, torch.Tensor, dict))
    return isinstance(inputs, Iterable)


def _batch_inputs(batch, index: int):
    """The model's inputs in one batch of a loader: the batch itself, or the first item of an
    ``(inputs, targets, ...)`` tuple or list."""
    if isinstance(batch, (tuple, list)):
        if not batch:
            raise ValueError(f"batch {index} of the loader is an empty {type(batch).__name__}")
        return batch[0]
    if isinstance(batch, dict):
        raise ValueError(f"batch {index} of the loader is a dict (keys {sorted(batch)[:5]}); "
                         "pass an iterable that yields the model's inputs, e.g. "
                         "(b['x'] for b in loader)")
    return batch


def _resolve_device(device) -> torch.device | None:
    """``None`` (keep the model where it is), or the device to run on."""
    if device is None:
        return None
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be None, 'auto', 'cpu', 'cuda' or a torch.device, "
                         f"got {device!r}: {error}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} was asked for, but torch.cuda.is_available() "
                         "is False; use device='auto' to fall back to the CPU")
    return device


def _stream_preactivations(model: nn.Module, name: str, module: nn.Linear, batches,
                           consume: Callable[[int, torch.Tensor], None], *,
                           device=None, progress: bool | None = False,
                           total: int | None = None, what: str = "batch") -> int:
    """Run ``model`` on each batch of inputs and hand the layer's preactivations to ``consume``.

    ``consume(index, S_b)`` receives a float64 CPU copy of shape ``(rows, d)``. Returns the
    number of batches. The model runs in eval mode without gradients on ``device`` (moved
    there and back), its training flag and device restored at the end.
    """
    target = _resolve_device(device)
    original = None
    if target is not None:
        devices = {parameter.device for parameter in model.parameters()}
        if len(devices) > 1:
            raise ValueError(f"the model's parameters are on several devices "
                             f"{sorted(map(str, devices))}; place the model yourself and "
                             "leave device=None")
        original = devices.pop() if devices else None
    captured: list[torch.Tensor] = []

    def hook(_module, _args, output):
        # A copy, always: an in-place operation after the layer (nn.ReLU(inplace=True))
        # would otherwise overwrite the recorded preactivations with the activations.
        captured.append(output.detach().reshape(-1, output.shape[-1]).to(
            dtype=torch.float64, device="cpu", copy=True))

    handle = module.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    count = 0
    try:
        if target is not None:
            model.to(target)
        with torch.no_grad():
            # progress=None: tqdm decides (a terminal only), and only passes over 2 s show.
            bar = tqdm(batches, total=total, desc=f"layer {name}", unit="batch",
                       delay=2.0 if progress is None else 0.0,
                       disable=None if progress is None else not progress, leave=False)
            for index, batch in enumerate(bar):
                if what == "rows":  # a slice of one array of inputs, cast and checked here
                    tensor, where = _as_input_tensor(batch, module.weight), "inputs of"
                else:
                    tensor = _as_input_tensor(_batch_inputs(batch, index), module.weight,
                                              f"batch {index} of the inputs")
                    where = f"batch {index} of"
                captured.clear()
                try:
                    model(tensor)
                except (RuntimeError, TypeError) as error:
                    raise ValueError(f"the model cannot run on {where} shape "
                                     f"{tuple(tensor.shape)}: {error}") from error
                if len(captured) > 1:
                    raise ValueError(
                        f"layer {name!r} is called {len(captured)} times in one forward pass (a "
                        "shared or reused layer): its preactivations would mix the calls; "
                        "descramble a model that calls it once")
                if not captured:
                    raise ValueError(f"the forward pass of the model never called layer {name!r}")
                consume(index, captured.pop())
                count += 1
    finally:
        handle.remove()
        model.train(was_training)
        if original is not None:
            model.to(original)
    if not count:
        raise ValueError("the data loader (or iterable of batches) yielded no batches")
    return count


def _input_batches(module: nn.Linear, inputs, batch_size: int | None, default: int | None):
    """``(batches, total, what)`` for :func:`_stream_preactivations`: slices of an array of
    inputs (``what="rows"``), or the caller's loader or iterable (``what="batch"``)."""
    if _is_batch_stream(inputs):
        if batch_size is not None:
            raise ValueError("batch_size applies to array inputs; a data loader or iterable "
                             "of batches brings its own batches")
        try:
            total = len(inputs)
        except TypeError:
            total = None
        return inputs, total, "batch"
    data = _checked_inputs(inputs)   # one array: cast and checked for NaN batch by batch
    n = data.shape[0]
    size = default if batch_size is None else check_positive_int(batch_size, "batch_size")
    size = n if size is None else size
    return (data[start:start + size] for start in range(0, n, size)), -(-n // size), "rows"


def layer_preactivations(model: nn.Module, layer: nn.Linear | str,
                         inputs: ArrayLike | torch.Tensor | Iterable, *,
                         batch_size: int | None = None) -> tuple[str, np.ndarray]:
    """Preactivations ``S = W x + b`` of an ``nn.Linear`` of ``model`` on ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model containing the layer; run in eval mode (its training flag is restored).
    layer : nn.Linear or str
        The layer, or its name in ``model.named_modules()``.
    inputs : array_like, torch.Tensor, DataLoader or iterable of batches
        What ``model`` takes, batch axis first. Floating-point inputs are cast to the
        layer's dtype; integer inputs (token ids) are passed on unchanged. A loader's
        ``(inputs, targets)`` batches give their first item to the model.
    batch_size : int, optional
        For array inputs: run the model on this many rows at a time (default: all).

    Returns
    -------
    name : str
        The layer's name.
    S : ndarray, shape (d, N)
        One column per input row (``N = n``), or per row and position when the layer
        sees extra leading axes; float64. All of it is held in memory: for many inputs
        stream them into a moment with :func:`descramble_layer` instead.

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
    batches, total, what = _input_batches(module, inputs, batch_size, None)
    captured: list[torch.Tensor] = []
    _stream_preactivations(model, name, module, batches, lambda _i, S_b: captured.append(S_b),
                           total=total, what=what)
    S = torch.cat(captured).T.numpy()
    if not np.all(np.isfinite(S)):
        raise ValueError(f"the preactivations of layer {name!r} contain NaN or inf")
    return name, S


def descramble_layer(model: nn.Module, layer: nn.Linear | str,
                     inputs: ArrayLike | torch.Tensor | Iterable, *,
                     keep_preactivations: bool = False, device=None,
                     progress: bool | None = None, batch_size: int | None = None,
                     **descramble_options) -> LayerDescrambling:
    """Descramble an ``nn.Linear`` layer of a torch model from its preactivations on ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model containing the layer (run in eval mode, without gradients).
    layer : nn.Linear or str
        The layer, or its name in ``model.named_modules()`` (e.g. ``"0"`` for the first
        module of an ``nn.Sequential``, ``"encoder.fc1"``).
    inputs : array_like, torch.Tensor, DataLoader or iterable of batches
        Inputs of ``model``, batch axis first: one array, or a
        ``torch.utils.data.DataLoader`` (or any iterable, e.g. a generator or a list of
        tensors) whose batches are the inputs or ``(inputs, targets, ...)`` tuples. One
        array (a ``numpy.memmap`` too) is sliced into ``batch_size`` rows, each cast to
        the layer's dtype and checked when it is run: no full-size copy is made.
    keep_preactivations : bool
        Keep all of ``S`` (``d x n`` float64) on the result as ``.S`` and descramble it
        in memory exactly as ``descramble(S)``. Default False: ``S`` is streamed into
        ``.moment`` and never held whole.
    device : None, "auto", "cpu", "cuda" or torch.device
        Run the model there for the pass (moved and moved back); ``"auto"`` takes CUDA
        when available. Default: where the model is. The moment accumulates in float64
        on the CPU.
    progress : bool, optional
        A tqdm bar over batches (on stderr). Default: shown on a terminal once the pass
        has taken 2 s; True always, False never.
    batch_size : int, optional
        For array inputs, rows per forward pass (default 4096). Not with a loader.
    **descramble_options
        Passed to :func:`~descramble_lib.descramble`: ``A``, ``method``, ``loss`` (a
        general loss such as ``sparsity_loss(W)``; it needs ``S``, which is then
        gathered in memory), ``P0``, ``max_iter``, ...

    Returns
    -------
    LayerDescrambling
        ``P``, ``result`` (loss, bound, gap), the ``moment``, the layer's ``W`` and ``b``
        and the descrambled ``weights = P W`` and ``bias = P b``; ``S`` if kept.

    Raises
    ------
    ValueError
        As :func:`layer_preactivations` and :func:`~descramble_lib.descramble`; an empty
        loader; a batch with NaN or inf (inputs or preactivations, named by its index);
        ``batch_size`` with a loader; CUDA asked for but not available. An error in
        the pass carries the moment of the batches before the failing one as
        ``error.moment`` (a :class:`~descramble_lib.SecondMoment`), when there are any.

    Notes
    -----
    ``P`` acts on the layer's output axis. The network computes the same function with
    ``W -> P W``, ``b -> P b`` if the next operation can absorb ``P^T``: exactly when the
    layer output goes straight into another linear map, and only approximately across an
    elementwise nonlinearity; descrambling is a way to read the layer, not to rewrite it.

    The streamed and the in-memory results have the same loss, bound and gap to
    rounding; ``P`` is the same up to the non-uniqueness of Lemma 1 (signs, rotations
    inside tied eigenvalues; compare with :func:`~descramble_lib.descrambler_distance`).
    """
    keep = check_bool(keep_preactivations, "keep_preactivations")
    if progress is not None:
        progress = check_bool(progress, "progress")
    name, module = find_linear_layer(model, layer)
    batches, total, what = _input_batches(module, inputs, batch_size, DEFAULT_ARRAY_BATCH)
    gather = keep or descramble_options.get("loss") is not None
    moment = SecondMoment(module.out_features)
    pieces: list[torch.Tensor] = []

    def consume(index: int, S_b: torch.Tensor) -> None:
        try:
            moment.update(S_b.numpy())
        except ValueError as error:
            raise ValueError(f"the preactivations of layer {name!r}: {error}") from None
        if gather:
            pieces.append(S_b)

    try:
        _stream_preactivations(model, name, module, batches, consume, device=device,
                               progress=progress, total=total, what=what)
    except ValueError as error:
        if moment.count:
            # A bad batch late in a long pass need not cost the batches before it.
            error.moment = moment
            error.add_note(f"the moment of the {moment.n_batches} batches before it "
                           f"({moment.count} samples) is on this error as .moment")
        raise
    W = module.weight.detach().to(torch.float64).cpu().numpy().copy()
    b = None if module.bias is None else module.bias.detach().to(torch.float64).cpu().numpy().copy()
    S = torch.cat(pieces).T.numpy() if gather else None
    pieces.clear()
    result = descramble(S if gather else moment, **descramble_options)
    P = result.P
    return LayerDescrambling(name=name, result=result, W=W, b=b, weights=P @ W,
                             bias=None if b is None else P @ b, moment=moment,
                             preactivations=S if keep else None)
