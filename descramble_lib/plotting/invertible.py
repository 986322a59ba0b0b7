"""Pieces of the invertible-network figure: two classes, the exact decision boundary, and
sample points joined to their projections onto the boundary."""

from __future__ import annotations
from typing import Sequence
from matplotlib.axes import Axes
import numpy as np
from .matrices import _axis

__all__ = ["plot_two_classes", "plot_boundary_curve", "plot_projections",
           "plot_boundary_panel"]


_CLASS_COLOURS = ("tab:blue", "tab:orange")


def plot_two_classes(points: np.ndarray, labels: np.ndarray, *, ax: Axes | None = None,
                     size: float = 10,
                     alpha: float = 0.5, names: Sequence[str] = ("class 0", "class 1")) -> Axes:
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


def plot_boundary_curve(curve: np.ndarray, *, ax: Axes | None = None, color: str = "k",
                        label: str = "decision boundary") -> Axes:
    """Draw a sampled boundary, points ``curve`` of shape ``(n_points, 2)`` in order."""
    ax = _axis(ax)
    curve = np.asarray(curve)
    ax.plot(curve[:, 0], curve[:, 1], color=color, lw=1.8, label=label)
    return ax


def plot_projections(points: np.ndarray, projections: np.ndarray, *, ax: Axes | None = None,
                     color: str = "tab:red") -> Axes:
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
                        projections: np.ndarray | None = None, ax: Axes | None = None,
                        title: str = "",
                        axis_names: Sequence[str] = ("$x_1$", "$x_2$"), margin: float = 0.08,
                        equal_aspect: bool = True, legend: bool = False) -> Axes:
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
