"""Plotting helpers shared by the chapters.

Each helper draws on a given matplotlib ``ax`` (created if omitted) and returns
it, so a chapter makes each figure with one short call.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_matrix", "plot_relative_gap", "centred_fourier_magnitude",
           "plot_fourier_magnitude"]


def _axis(ax):
    return plt.gca() if ax is None else ax


def plot_matrix(matrix: np.ndarray, *, ax=None, title: str = "", cmap: str = "RdBu_r",
                symmetric: bool = True, colorbar: bool = True, **imshow_kwargs):
    """Show a matrix as an image, colour limits symmetric about zero by default.

    Parameters
    ----------
    matrix : ndarray, shape (rows, cols)
        Values to show; row 0 at the top.
    symmetric : bool
        Centre the colour map on 0 (for signed weights); ``False`` uses the data range.
    """
    ax = _axis(ax)
    matrix = np.asarray(matrix)
    if symmetric:
        limit = float(np.max(np.abs(matrix))) or 1.0
        imshow_kwargs.setdefault("vmin", -limit)
        imshow_kwargs.setdefault("vmax", limit)
    image = ax.imshow(matrix, cmap=cmap, aspect="auto", interpolation="nearest",
                      **imshow_kwargs)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    return ax


def plot_relative_gap(histories: Mapping[str, Sequence[float]], bound: float, *, ax=None,
                      floor: float = 1e-16):
    """Plot ``(loss - bound) / bound`` against iteration on a log scale.

    Parameters
    ----------
    histories : mapping of label to sequence of float
        Loss per iteration, e.g. ``{"(a)": result.history}``.
    bound : float
        The exact minimum (Lemma 1), > 0.
    floor : float
        Gaps below this (rounding noise, or negative) are drawn at ``floor``.
    """
    ax = _axis(ax)
    for label, history in histories.items():
        gap = (np.asarray(history) - bound) / bound
        ax.semilogy(np.maximum(gap, floor), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative gap to the bound")
    ax.legend()
    return ax


def centred_fourier_magnitude(matrix: np.ndarray) -> np.ndarray:
    """``|fftshift(fft2(matrix))|``: 2-D Fourier magnitude with zero frequency at the centre.

    Parameters
    ----------
    matrix : ndarray, shape (rows, cols)

    Returns
    -------
    ndarray, shape (rows, cols)
        Row index ``rows // 2`` and column index ``cols // 2`` hold frequency zero.
    """
    return np.abs(np.fft.fftshift(np.fft.fft2(np.asarray(matrix, dtype=float))))


def plot_fourier_magnitude(matrix: np.ndarray, *, ax=None, title: str = "",
                           log: bool = False, colorbar: bool = True):
    """Show :func:`centred_fourier_magnitude` of ``matrix`` with signed frequency axes.

    The axes are labelled by frequency index (``-rows//2 ... rows - rows//2 - 1``),
    so zero frequency sits at the origin of the axes.
    """
    ax = _axis(ax)
    magnitude = centred_fourier_magnitude(matrix)
    if log:
        magnitude = np.log10(magnitude + np.finfo(float).tiny)
    rows, cols = magnitude.shape
    extent = (-(cols // 2) - 0.5, cols - cols // 2 - 0.5,
              rows - rows // 2 - 0.5, -(rows // 2) - 0.5)
    image = ax.imshow(magnitude, cmap="viridis", aspect="auto", extent=extent,
                      interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xlabel(r"$\omega_2$")
    ax.set_ylabel(r"$\omega_1$")
    ax.set_title(title)
    return ax
