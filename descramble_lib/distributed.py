"""Descrambling at scale with Dask: per-chunk second moments reduced on a cluster.

A dask array of preactivations (or of a model's inputs) chunked along samples is never
gathered: every chunk becomes a :class:`~descramble_lib.SecondMoment` on the worker that
holds it, partial moments are merged in a tree (``split_every`` at a time),
and only the final ``d x d`` moment reaches the client, which descrambles it with
:func:`~descramble_lib.descramble`.

The computation runs on whatever scheduler is active: the distributed
:class:`dask.distributed.Client` created last (a ``LocalCluster`` on one machine or a
scheduler at ``tcp://host:8786`` serving many), or dask's local threads without one.
The same code runs on a laptop and on a cluster; only the ``Client`` changes.

``import descramble_lib`` does not import dask: this module is loaded on first use of
``dl.distributed`` and imports dask inside its functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_positive_int, check_real
from .descrambling import descramble
from .layers import find_linear_layer, layer_preactivations
from .moments import SecondMoment
from .result import Descrambling

__all__ = ["dask_moment", "descramble_dask", "dask_preactivations"]


def _dask():
    try:
        import dask
        import dask.array
    except ImportError as error:  # pragma: no cover - dask is pinned in requirements.txt
        raise ImportError("descramble_lib.distributed needs dask and distributed "
                          "(pip install dask distributed)") from error
    return dask


def _chunk_index(block_info) -> tuple[int, ...] | str:
    """The block index of the chunk a ``map_blocks`` task works on, for error messages."""
    return tuple(block_info[0]["chunk-location"]) if block_info else "?"


def _chunk_moment(block: np.ndarray, block_info=None) -> np.ndarray:
    """The moment of one chunk, as a 1-element object array (so that dask can fuse this task
    with the ones that make the chunk); errors name the chunk by its block index."""
    index = _chunk_index(block_info)
    try:
        moment = SecondMoment().update(block)
    except ValueError as error:
        raise ValueError(f"chunk {index} of the dask array: {error}") from None
    holder = np.empty((1,) * block.ndim, dtype=object)
    holder.flat[0] = moment
    return holder


def _merge(*moments) -> SecondMoment:
    """The sum of partial moments (a new object: dask results are never modified)."""
    moments = [m.flat[0] if isinstance(m, np.ndarray) else m for m in moments]
    total = moments[0].copy()
    for moment in moments[1:]:
        total.merge(moment)
    return total


def _check_array(array) -> Any:
    dask = _dask()
    if not isinstance(array, dask.array.Array):
        raise ValueError(f"array must be a dask.array.Array of shape (n, d), got "
                         f"{type(array).__name__}; for an in-memory array use "
                         "descramble_lib.descramble(S) or SecondMoment().update(X)")
    if array.ndim < 2:
        raise ValueError(f"array must have a sample axis and a neuron axis, shape (n, d), got "
                         f"shape {array.shape}")
    if np.iscomplexobj(np.empty(0, dtype=array.dtype)):
        raise ValueError(f"array must be real, got dtype {array.dtype}")
    if not np.isnan(array.shape[0]) and array.shape[0] == 0:
        raise ValueError(f"array has no samples (shape {array.shape})")
    if len(array.chunks[-1]) > 1:
        if all(len(chunks) == 1 for chunks in array.chunks[:-1]):
            # Chunked along the last axis only: the layout of S (d, n), samples last.
            raise ValueError(
                f"array {array.shape} is chunked along its last axis only; samples go along "
                "the leading axes and the d neurons along the last: for preactivations S "
                "of shape (d, n) pass S.T (chunked along samples)")
        # Every chunk must see all d neurons for its moment to be a block of the sum.
        array = array.rechunk({array.ndim - 1: -1})
    return array


def dask_moment(array, *, split_every: int = 8, client=None,
                timeout: float | None = None) -> SecondMoment:
    """The second moment of a dask array of samples, reduced chunk by chunk.

    Parameters
    ----------
    array : dask.array.Array, shape (n, d) or (..., d)
        Samples along the leading axes (chunked along them), the ``d`` neurons along the
        last axis (rechunked to one chunk there if needed). float32 or float64; each
        chunk is accumulated in float64 on its worker. ``S`` of shape ``(d, n)`` is
        passed as ``S.T``.
    split_every : int
        Partial moments merged per task of the reduction tree (>= 2).
    client : dask.distributed.Client, optional
        Compute on this client; default: the active scheduler (the last ``Client``
        created, else dask's threads).
    timeout : float, optional
        Seconds to wait for the result; only with ``client`` (raises otherwise).

    Returns
    -------
    SecondMoment
        ``count``, ``mean``, ``moment()``; equal to the in-memory ``S S^T`` to rounding.

    Raises
    ------
    ValueError
        Not a real dask array of at least two axes; no samples; chunked along the last
        axis only (the layout of ``S``, not ``S.T``); a chunk with NaN or inf (named by
        its block index).
    """
    dask = _dask()
    array = _check_array(array)
    split_every = check_positive_int(split_every, "split_every", minimum=2)
    if timeout is not None:
        if client is None:
            raise ValueError("timeout applies only with client= (the default scheduler's "
                             "dask.compute takes no timeout)")
        timeout = check_real(timeout, "timeout", minimum=0.0)
    # One task per chunk turns it into a moment (fused with whatever makes the chunk), then
    # a tree of merges, split_every partial moments at a time.
    moments = array.map_blocks(_chunk_moment, dtype=object,
                               chunks=tuple((1,) * len(c) for c in array.chunks),
                               meta=np.empty((0,) * array.ndim, dtype=object))
    partials = list(moments.to_delayed().ravel())
    if len(partials) == 1:
        partials = [dask.delayed(_merge, pure=True)(partials[0])]
    while len(partials) > 1:
        partials = [dask.delayed(_merge, pure=True)(*partials[start:start + split_every])
                    for start in range(0, len(partials), split_every)]
    if client is None:
        (moment,) = dask.compute(partials[0])
    else:
        moment = client.compute(partials[0]).result(timeout=timeout)
    if not moment.count:
        raise ValueError(f"array has no samples (shape {array.shape})")
    return moment


def descramble_dask(array, A: ArrayLike | None = None, *, centred: bool = False,
                    split_every: int = 8, client=None, timeout: float | None = None,
                    **descramble_options) -> Descrambling:
    """Descramble preactivations held as a dask array, through their reduced second moment.

    Parameters
    ----------
    array : dask.array.Array, shape (n, d)
        Preactivations, samples along axis 0 (see :func:`dask_moment`).
    A : array_like, shape (d, d), optional
        Cost matrix; default the smoothness operator.
    centred : bool
        Descramble the centred preactivations (the moment ``M - n mu mu^T``).
    split_every, client, timeout
        As :func:`dask_moment`.
    **descramble_options
        ``method`` and its options, as :func:`~descramble_lib.descramble` (no ``loss=``:
        a general loss needs all of ``S``).

    Returns
    -------
    Descrambling
        The same loss, bound and gap as ``descramble(array.compute().T)`` to rounding,
        and ``P`` up to the non-uniqueness of Lemma 1.
    """
    if descramble_options.get("loss") is not None:
        raise ValueError("a general loss needs all of S in memory; descramble_dask reduces "
                         "the data to their second moment (the Brockett loss only)")
    moment = dask_moment(array, split_every=split_every, client=client, timeout=timeout)
    if centred:
        moment = moment.centred()
    return descramble(moment, A, **descramble_options)


class _Shipped:
    """Carries a model to the workers by plain pickling: distributed's own serializer for a
    bare ``nn.Module`` does not rebuild its hook dictionaries, which the forward hook needs."""

    def __init__(self, model):
        self.model = model


def _block_preactivations(block: np.ndarray, shipped: _Shipped, layer: str,
                          block_info=None) -> np.ndarray:
    """The layer's preactivations on one chunk of inputs, samples along axis 0; errors name
    the chunk by its block index."""
    index = _chunk_index(block_info)
    try:
        _, S = layer_preactivations(shipped.model, layer, block)
    except ValueError as error:
        raise ValueError(f"chunk {index} of the inputs: {error}") from None
    if S.shape[1] != block.shape[0]:
        raise ValueError(f"layer {layer!r} gives {S.shape[1]} columns for {block.shape[0]} "
                         "input rows; dask_preactivations needs one column per input row")
    return S.T


def dask_preactivations(model, layer, inputs):
    """A lazy dask array of a layer's preactivations, computed chunk by chunk on the workers.

    Parameters
    ----------
    model : torch.nn.Module
        Enters the task graph once (one key, pickled) and reaches each worker that runs a
        chunk; it runs there in eval mode, on the device its parameters are on.
    layer : nn.Linear or str
        The layer or its name, as :func:`~descramble_lib.layer_preactivations`.
    inputs : dask.array.Array, shape (n, m)
        The model's inputs, chunked along samples (axis 0).

    Returns
    -------
    dask.array.Array, shape (n, d), float64
        ``S^T`` with the chunks of ``inputs`` along axis 0: ready for
        :func:`descramble_dask`, never held whole. The layer must give one output row per
        input row.
    """
    dask = _dask()
    name, module = find_linear_layer(model, layer)
    if not isinstance(inputs, dask.array.Array):
        raise ValueError(f"inputs must be a dask.array.Array, got {type(inputs).__name__}")
    if inputs.ndim != 2:
        raise ValueError(f"inputs must be 2-D, (samples, features), got shape {inputs.shape}")
    if len(inputs.chunks[1]) > 1:
        inputs = inputs.rechunk({1: -1})
    d = module.out_features
    # The model enters the graph once, as one key that every chunk's task depends on.
    shipped = dask.delayed(_Shipped(model), pure=True, traverse=False)
    return inputs.map_blocks(_block_preactivations, shipped, name, dtype=np.float64,
                             chunks=(inputs.chunks[0], (d,)),
                             meta=np.empty((0, d)))
