"""Plotting helpers shared by the chapters.

Each helper draws on a given matplotlib ``ax`` (created if omitted) and returns
it, so a chapter makes each figure with one short call.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
import numpy as np

__all__ = ["plot_matrix", "plot_fourier_magnitude", "plot_rows", "plot_matrices",
           "weight_tiles", "plot_weight_tiles"]


def _axis(ax):
    return plt.gca() if ax is None else ax


def _finish_image(ax: Axes, image, *, colorbar: bool, title: str, xlabel: str | None = None,
                  ylabel: str | None = None) -> Axes:
    """The common end of an image panel: the colour bar (if asked), axis labels (those
    given) and the title."""
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def plot_matrix(matrix: np.ndarray, *, ax: Axes | None = None, title: str = "",
                cmap: str = "RdBu_r",
                symmetric: bool = True, colorbar: bool = True, **imshow_kwargs) -> Axes:
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
    return _finish_image(ax, image, colorbar=colorbar, title=title)


def plot_fourier_magnitude(magnitude: np.ndarray, *, ax: Axes | None = None, title: str = "",
                           log: bool = False, colorbar: bool = True) -> Axes:
    """Show a centred Fourier magnitude image with signed frequency axes.

    Parameters
    ----------
    magnitude : ndarray, shape (rows, cols)
        ``|fftshift(fft2(matrix))|``, from
        :func:`~descramble_lib.paper.centred_fourier_magnitude`.
    log : bool
        Show ``log10`` of the magnitude.

    The axes are labelled by frequency index (``-rows//2 ... rows - rows//2 - 1``),
    so zero frequency sits at the origin of the axes.
    """
    ax = _axis(ax)
    magnitude = np.asarray(magnitude, dtype=float)
    if log:
        magnitude = np.log10(magnitude + np.finfo(float).tiny)
    rows, cols = magnitude.shape
    extent = (-(cols // 2) - 0.5, cols - cols // 2 - 0.5,
              rows - rows // 2 - 0.5, -(rows // 2) - 0.5)
    image = ax.imshow(magnitude, cmap="viridis", aspect="auto", extent=extent,
                      interpolation="nearest")
    return _finish_image(ax, image, colorbar=colorbar, title=title, xlabel=r"$\omega_2$",
                         ylabel=r"$\omega_1$")


def plot_rows(Y: np.ndarray, *, rows: Sequence[int] | None = None, x: np.ndarray | None = None,
              labels: Sequence[str] | None = None, ax: Axes | None = None, title: str = "",
              spacing: float | None = None, xlabel: str = "") -> Axes:
    """Selected rows of a matrix as curves stacked with a vertical offset, top row on top.

    Parameters
    ----------
    Y : ndarray, shape (rows, cols)
    rows : sequence of int, optional
        Rows to draw (default all).
    x : ndarray, shape (cols,), optional
        Horizontal coordinate (default the column index).
    labels : sequence of str, optional
        One label per drawn row, listed top to bottom in a legend right of the axes.
    spacing : float, optional
        Vertical offset between curves (default twice the largest absolute value).
    """
    ax = _axis(ax)
    Y = np.asarray(Y, dtype=float)
    rows = list(range(Y.shape[0])) if rows is None else list(rows)
    x = np.arange(Y.shape[1]) if x is None else np.asarray(x)
    spacing = spacing or 2.0 * float(np.max(np.abs(Y[rows]))) or 1.0
    for position, row in enumerate(rows):
        offset = -position * spacing
        line, = ax.plot(x, Y[row] + offset,
                        label=None if labels is None else labels[position])
        ax.axhline(offset, color=line.get_color(), lw=0.5, alpha=0.5)
    if labels is not None:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small",
                  frameon=False)
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax


def plot_matrices(matrices: Sequence[np.ndarray], *, axes: Sequence[Axes],
                  titles: Sequence[str] | None = None,
                  shared_limits: bool = False, colorbar: bool = False, **kwargs) -> Sequence[Axes]:
    """A row of :func:`plot_matrix` images, one per axis in ``axes``.

    ``shared_limits=True`` uses one symmetric colour range for all panels, so
    their magnitudes can be compared (e.g. snapshots during training).
    """
    axes = np.ravel(axes)
    if len(axes) != len(matrices):
        raise ValueError(f"got {len(matrices)} matrices for {len(axes)} axes")
    if shared_limits:
        limit = max(float(np.max(np.abs(matrix))) for matrix in matrices) or 1.0
        kwargs.update(vmin=-limit, vmax=limit, symmetric=False)
    titles = titles or [""] * len(matrices)
    for matrix, ax, title in zip(matrices, axes, titles):
        plot_matrix(matrix, ax=ax, title=title, colorbar=colorbar, **kwargs)
    return axes


def weight_tiles(weights: np.ndarray, image_shape: Sequence[int], *, n_cols: int = 8,
                 normalise: str = "row", gap: int = 1) -> np.ndarray:
    """Arrange the rows of ``weights`` as images in one mosaic, row 0 at the top left.

    Parameters
    ----------
    weights : ndarray, shape (n_rows, h * w)
        One image per row, pixels in row-major order.
    image_shape : (int, int)
        ``(h, w)`` of one image.
    n_cols : int
        Images per mosaic row.
    normalise : {"row", "global"}
        ``"row"`` divides each image by its own largest absolute value (patterns of weak
        rows stay visible); ``"global"`` by the largest absolute value of all rows.
    gap : int
        Pixels of NaN (drawn blank) between images.

    Returns
    -------
    ndarray, shape (rows * (h + gap) - gap, n_cols * (w + gap) - gap)
        Values in [-1, 1] and NaN in the gaps and unused tiles.
    """
    weights = np.asarray(weights, dtype=float)
    h, w = (int(size) for size in image_shape)
    if weights.ndim != 2 or weights.shape[1] != h * w:
        raise ValueError(f"weights must have shape (n_rows, {h * w}) for images of shape "
                         f"{(h, w)}, got {weights.shape}")
    if normalise not in ("row", "global"):
        raise ValueError(f"normalise must be 'row' or 'global', got {normalise!r}")
    if n_cols < 1 or gap < 0:
        raise ValueError(f"need n_cols >= 1 and gap >= 0, got {n_cols} and {gap}")
    if normalise == "row":
        scale = np.max(np.abs(weights), axis=1, keepdims=True)
    else:
        scale = np.full((weights.shape[0], 1), np.max(np.abs(weights)))
    scaled = weights / np.where(scale > 0, scale, 1.0)
    n_rows = -(-weights.shape[0] // n_cols)
    mosaic = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for index, row in enumerate(scaled):
        top, left = (index // n_cols) * (h + gap), (index % n_cols) * (w + gap)
        mosaic[top:top + h, left:left + w] = row.reshape(h, w)
    return mosaic


def plot_weight_tiles(weights: np.ndarray, image_shape: Sequence[int], *, ax: Axes | None = None,
                      n_cols: int = 8, normalise: str = "row", title: str = "",
                      numbers: bool = True, cmap: str = "RdBu_r") -> Axes:
    """Show the rows of ``weights`` (shape ``(n_rows, h * w)``) as a mosaic of images.

    Each image is one neuron's incoming weights; red is positive, blue negative, white
    zero (see :func:`weight_tiles` for ``n_cols`` and ``normalise``). ``numbers`` writes
    each row's index in the corner of its tile.
    """
    ax = _axis(ax)
    mosaic = weight_tiles(weights, image_shape, n_cols=n_cols, normalise=normalise)
    colour_map = plt.get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(mosaic, cmap=colour_map, vmin=-1, vmax=1, interpolation="nearest")
    h, w = image_shape
    if numbers:
        for index in range(np.asarray(weights).shape[0]):
            ax.text((index % n_cols) * (w + 1) - 0.4, (index // n_cols) * (h + 1) - 0.4,
                    str(index), fontsize=6, va="top", ha="left", color="0.2")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


