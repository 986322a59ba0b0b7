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


# --------------------------------------------------------------------------- invertible networks
# Pieces of the four-panel figure of the invertible-network chapter: two classes, the exact
# decision boundary, and sample points joined to their projections onto the boundary.

_CLASS_COLOURS = ("tab:blue", "tab:orange")


def plot_two_classes(points: np.ndarray, labels: np.ndarray, *, ax=None, size: float = 10,
                     alpha: float = 0.5, names: Sequence[str] = ("class 0", "class 1")):
    """Scatter 2-D points coloured by a 0/1 label.

    Parameters
    ----------
    points : ndarray, shape (n, 2)
    labels : ndarray, shape (n,)
        Integer labels in {0, 1}.
    """
    ax = _axis(ax)
    points, labels = np.asarray(points), np.asarray(labels)
    for label, (colour, name) in enumerate(zip(_CLASS_COLOURS, names)):
        mine = labels == label
        ax.scatter(points[mine, 0], points[mine, 1], s=size, alpha=alpha, color=colour,
                   label=name, linewidths=0)
    return ax


def plot_boundary_curve(curve: np.ndarray, *, ax=None, color: str = "k",
                        label: str = "decision boundary"):
    """Draw a sampled boundary, points ``curve`` of shape ``(n_points, 2)`` in order."""
    ax = _axis(ax)
    curve = np.asarray(curve)
    ax.plot(curve[:, 0], curve[:, 1], color=color, lw=1.8, label=label)
    return ax


def plot_projections(points: np.ndarray, projections: np.ndarray, *, ax=None,
                     color: str = "tab:red"):
    """Join each point to its projection with a segment; circles at points, crosses at projections.

    ``points`` and ``projections`` have shape ``(n, 2)``, row i joined to row i.
    """
    from matplotlib.collections import LineCollection

    ax = _axis(ax)
    points, projections = np.asarray(points), np.asarray(projections)
    ax.add_collection(LineCollection(np.stack([points, projections], axis=1), colors=color,
                                     linewidths=1.2))
    ax.scatter(points[:, 0], points[:, 1], s=28, facecolors="none", edgecolors=color,
               label="sample point")
    ax.scatter(projections[:, 0], projections[:, 1], s=28, marker="x", color=color,
               label="projection")
    return ax


def plot_boundary_panel(points: np.ndarray, labels: np.ndarray, curve: np.ndarray, *,
                        samples: np.ndarray | None = None,
                        projections: np.ndarray | None = None, ax=None, title: str = "",
                        axis_names: Sequence[str] = ("$x_1$", "$x_2$"), margin: float = 0.08,
                        equal_aspect: bool = True, legend: bool = False):
    """One panel: classes, boundary curve and (optionally) samples joined to projections.

    Parameters
    ----------
    points : ndarray, shape (n, 2)
        Data points, coloured by ``labels`` (shape ``(n,)``, values in {0, 1}).
    curve : ndarray, shape (n_points, 2)
        The sampled decision boundary.
    samples, projections : ndarray, shape (k, 2), optional
        Points and their projections, joined by segments.
    margin : float
        The view is the bounding box of the points, samples and projections, widened by
        ``margin`` of its size on each side, so a long boundary curve does not zoom out.
    equal_aspect : bool
        One unit is as long on both axes, so that right angles look right.
    """
    ax = _axis(ax)
    shown = [np.asarray(points)]
    plot_two_classes(points, labels, ax=ax, alpha=0.25 if samples is not None else 0.5)
    plot_boundary_curve(curve, ax=ax)
    if samples is not None:
        plot_projections(samples, projections, ax=ax)
        shown += [np.asarray(samples), np.asarray(projections)]
    shown = np.concatenate(shown)
    low, high = shown.min(axis=0), shown.max(axis=0)
    pad = margin * (high - low)
    ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
    ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    if legend:
        ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


__all__ += ["plot_two_classes", "plot_boundary_curve", "plot_projections",
            "plot_boundary_panel"]
