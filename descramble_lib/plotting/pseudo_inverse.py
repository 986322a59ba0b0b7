"""Figures of the pseudo-inverse experiment: filter factors, distances between maps, and the error
of truncated first layers, each against the noise cutoff of the prior."""

from __future__ import annotations
from typing import Mapping
from matplotlib.axes import Axes
import numpy as np
from .matrices import _axis

__all__ = ["plot_filter_factors", "plot_map_distances", "plot_rank_errors"]


def _cutoff_line(ax: Axes, cutoff: int, label: str) -> None:
    ax.axvline(cutoff + 0.5, color="k", ls=":", lw=1, label=label)


def plot_filter_factors(factors: Mapping[str, np.ndarray], *, cutoff: int, n_show: int = 40,
                        ax: Axes | None = None, title: str = "") -> Axes:
    """Filter factors (singular values of ``M K``) of several maps against their index.

    Parameters
    ----------
    factors : mapping of label to ndarray, shape (n,)
        Descending filter factors of each map (1: mode passed, 0: suppressed).
    cutoff : int
        Noise cutoff of the prior, drawn as a dotted vertical line after that index.
    n_show : int
        Number of leading indices drawn.
    """
    ax = _axis(ax)
    index = np.arange(1, n_show + 1)
    for label, phi in factors.items():
        ax.plot(index, np.asarray(phi)[:n_show], ".-", ms=4, label=label)
    ax.axhline(0.5, color="0.6", lw=1, ls="--")
    _cutoff_line(ax, cutoff, f"noise cutoff ({cutoff})")
    ax.set_xlabel("index $i$")
    ax.set_ylabel(r"filter factor $\phi_i$")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_map_distances(distances: Mapping[str, float], *, levels: Mapping[str, float],
                       ax: Axes | None = None, title: str = "",
                       xlabel: str = "relative distance from the Wiener map") -> Axes:
    """Horizontal bars, one per map, with labelled reference levels as vertical lines.

    Parameters
    ----------
    distances : mapping of label to float
        Distance of each map from the reference, drawn top to bottom in order.
    levels : mapping of label to float
        Null levels, e.g. the spread of Tikhonov inverses and a random map.
    """
    ax = _axis(ax)
    labels = list(distances)
    ax.barh(np.arange(len(labels)), [distances[name] for name in labels], color="tab:blue")
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.invert_yaxis()
    for (label, level), style in zip(levels.items(), ("--", ":", "-.")):
        ax.axvline(level, color="k", ls=style, lw=1, label=label)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_rank_errors(ranks: np.ndarray, errors: Mapping[str, np.ndarray], *, cutoff: int,
                     ax: Axes | None = None, title: str = "") -> Axes:
    """Error ratios of first layers truncated to their leading directions (log scale).

    Parameters
    ----------
    ranks : ndarray of int, shape (k,)
        Directions kept.
    errors : mapping of label to ndarray, shape (k,)
        Test error with the truncated layer over the full network's (>= about 1).
    cutoff : int
        Noise cutoff of the prior, drawn as a dotted vertical line.
    """
    ax = _axis(ax)
    for label, ratio in errors.items():
        ax.semilogy(ranks, ratio, ".-", ms=4, label=label)
    ax.axhline(1.0, color="0.6", lw=1, ls="--")
    _cutoff_line(ax, cutoff, f"noise cutoff ({cutoff})")
    ax.set_xlabel("first-layer directions kept $r$")
    ax.set_ylabel("test error / full network's")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
