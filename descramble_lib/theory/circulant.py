"""Circular convolution layers as circulant matrices, and their Fourier gains.

A one-channel circular convolution on ``d`` points (``torch.nn.Conv1d`` with
``padding_mode="circular"``) is a circulant matrix ``C``. Circulant matrices
are diagonalised by the Fourier modes, so with isotropic inputs the second
moment ``M = c C C^T`` has the real Fourier modes of
:func:`~descramble_lib.fourier_basis` as eigenvectors and the squared filter
gains as eigenvalues. The optimal descrambler then only reorders Fourier modes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import torch

from .._validation import as_finite_matrix, check_positive_int
from ..operators import fourier_basis

__all__ = ["circulant_matrix", "conv1d_matrix", "is_circulant", "real_fourier_gains",
           "gain_order", "fourier_permutation_descrambler"]


def circulant_matrix(kernel: ArrayLike, d: int) -> np.ndarray:
    """Matrix of a circular cross-correlation, as computed by a circular ``Conv1d``.

    Parameters
    ----------
    kernel : array_like, shape (q,)
        Filter taps, ``q`` odd and ``q <= d``; ``kernel[(q - 1) // 2]`` is the
        centre tap.
    d : int
        Signal length.

    Returns
    -------
    C : ndarray, shape (d, d)
        ``(C x)_i = sum_j w_j x[(i + j) mod d]`` over the centred tap offsets
        ``j = -(q - 1)/2 ... (q - 1)/2``, with ``w_j = kernel[j + (q - 1)/2]``: the
        output of ``Conv1d(1, 1, q, padding=(q - 1) // 2,
        padding_mode="circular", bias=False)``.
    """
    kernel = np.asarray(kernel, dtype=float)
    d = check_positive_int(d, "d")
    if kernel.ndim != 1 or kernel.size % 2 == 0 or kernel.size > d:
        raise ValueError(f"kernel must be 1-D with an odd length <= d = {d}, got shape {kernel.shape}")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel contains NaN or inf")
    half = (kernel.size - 1) // 2
    C = np.zeros((d, d))
    rows = np.arange(d)
    for j, tap in enumerate(kernel):
        np.add.at(C, (rows, (rows + j - half) % d), tap)
    return C


def conv1d_matrix(layer: torch.nn.Conv1d, d: int) -> np.ndarray:
    """Matrix of the linear part of a one-channel ``Conv1d`` on signals of length ``d``.

    Parameters
    ----------
    layer : torch.nn.Conv1d
        One input and one output channel; output length must equal ``d``.
    d : int
        Signal length.

    Returns
    -------
    C : ndarray, shape (d, d)
        Column ``q`` is ``layer(e_q) - layer(0)``; the bias, if any, is removed.
    """
    if not isinstance(layer, torch.nn.Conv1d) or layer.in_channels != 1 or layer.out_channels != 1:
        raise ValueError("layer must be a torch.nn.Conv1d with one input and one output channel")
    d = check_positive_int(d, "d")
    parameter = next(layer.parameters())
    with torch.no_grad():
        basis = torch.eye(d, dtype=parameter.dtype)[:, None, :]
        outputs = layer(basis) - layer(torch.zeros_like(basis[:1]))
    if outputs.shape[-1] != d:
        raise ValueError(f"the layer maps length {d} to length {outputs.shape[-1]}; "
                         "use padding (q - 1) / 2 with an odd kernel size q")
    return outputs[:, 0, :].numpy().astype(float).T


def is_circulant(C: ArrayLike, *, atol: float = 1e-12) -> bool:
    """Whether ``C`` (shape (d, d)) satisfies ``C[i, j] = C[0, (j - i) mod d]`` to ``atol``.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Finite matrix to test; a non-square matrix gives ``False``.
    atol : float, keyword-only
        Tolerance relative to ``max(1, max |C|)``.

    Returns
    -------
    bool
        ``True`` when every row is the first row cyclically shifted, within tolerance.
    """
    C = as_finite_matrix(C, "C")
    d = C.shape[0]
    if C.shape != (d, d):
        return False
    shifted = np.array([np.roll(C[0], i) for i in range(d)])
    return bool(np.max(np.abs(C - shifted)) <= atol * max(1.0, float(np.max(np.abs(C)))))


def real_fourier_gains(C: ArrayLike) -> np.ndarray:
    """Gains ``||C t_i||`` of a circulant matrix on the real Fourier modes.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Circulant matrix (checked to relative 1e-10).

    Returns
    -------
    g : ndarray, shape (d,)
        ``g_i = |lambda_k|`` for column ``i`` of :func:`~descramble_lib.fourier_basis`
        (wavenumber ``k = k_i``; ``lambda_k`` the DFT of the first column of ``C``):
        cos and sin of one ``k`` share a gain. ``C C^T`` has
        eigenvectors ``t_i`` with eigenvalues ``g_i^2``.
    """
    C = as_finite_matrix(C, "C")
    if C.shape[0] != C.shape[1] or not is_circulant(C, atol=1e-10):
        raise ValueError("C must be a square circulant matrix")
    return np.linalg.norm(C @ fourier_basis(C.shape[0]), axis=0)


def gain_order(gains: ArrayLike) -> np.ndarray:
    """Indices of Fourier modes sorted by gain, largest first (ties keep frequency order).

    Parameters
    ----------
    gains : array_like, shape (d,)
        Gains in the order of :func:`~descramble_lib.fourier_basis`.

    Returns
    -------
    order : ndarray of int, shape (d,)
        ``order[i]`` is the Fourier mode sent to frequency slot ``i`` by the
        optimal descrambler.
    """
    gains = np.asarray(gains, dtype=float)
    if gains.ndim != 1 or gains.size == 0 or not np.all(np.isfinite(gains)) or np.any(gains < 0):
        raise ValueError("gains must be a non-empty 1-D array of finite numbers >= 0")
    # Gains equal to 1e-10 relative (a cos/sin pair up to rounding) count as ties.
    scale = max(float(np.max(gains)), np.finfo(float).tiny)
    return np.argsort(-np.round(gains / scale, 10), kind="stable")


def fourier_permutation_descrambler(gains: ArrayLike) -> np.ndarray:
    """The optimal descrambler of a circulant layer that permutes Fourier modes.

    Parameters
    ----------
    gains : array_like, shape (d,)
        Gains on the real Fourier modes (:func:`real_fourier_gains`).

    Returns
    -------
    P : ndarray, shape (d, d)
        ``T Pi^T T^T`` with ``T`` the Fourier basis and ``T Pi^T = T[:, order]``
        the Fourier modes sorted by gain (:func:`gain_order`); in Fourier
        coordinates ``T^T P T`` is the permutation matrix sending mode
        ``order[i]`` to slot ``i``. For isotropic inputs it attains the Brockett
        bound (Lemma 1 with ``U = T[:, order]``).
    """
    order = gain_order(gains)
    T = fourier_basis(order.size)
    return T @ T[:, order].T
