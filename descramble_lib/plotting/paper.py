"""Figures of the paper's reproduction: Fourier panels with band edges, descrambled weights
with their relative norm, inner-product maps, null distributions, and Fourier images as the
paper's MATLAB scripts crop them."""

from __future__ import annotations
from typing import Sequence
from matplotlib.axes import Axes
import numpy as np
from .matrices import _axis, _finish_image, plot_fourier_magnitude, plot_matrix

__all__ = ["plot_fourier_panel", "plot_descrambled_weights", "plot_inner_product_map",
           "plot_null_distribution", "plot_original_image"]


def plot_fourier_panel(magnitude: np.ndarray, *, ax: Axes | None = None, title: str = "",
                       omega2_limit: int | None = None, half_width: int | None = None,
                       log: bool = False, colorbar: bool = True) -> Axes:
    """:func:`plot_fourier_magnitude`, optionally zoomed along ``w2`` and with band edges.

    Parameters
    ----------
    magnitude : ndarray, shape (rows, cols)
        Centred Fourier magnitude (:func:`~descramble_lib.paper.centred_fourier_magnitude`).
    omega2_limit : int, optional
        Show only ``|w2| <= omega2_limit`` (most of the energy of smooth rows sits there).
    half_width : int, optional
        Draw dashed lines at ``w1 = +-half_width``, the edges of the central band of
        :func:`~descramble_lib.paper.band_relative_norm`.
    """
    ax = plot_fourier_magnitude(magnitude, ax=ax, title=title, log=log, colorbar=colorbar)
    if omega2_limit is not None:
        ax.set_xlim(-omega2_limit - 0.5, omega2_limit + 0.5)
    if half_width is not None:
        for edge in (-half_width, half_width):
            ax.axhline(edge, color="w", ls="--", lw=0.8)
    return ax


def plot_descrambled_weights(view, *, axes: Sequence[Axes], title: str = "",
                             omega2_limit: int | None = 30,
                             colorbar: bool = False) -> Sequence[Axes]:
    """Descrambled weights (top) and their centred Fourier magnitude with its relative norm.

    Parameters
    ----------
    view : FourierView
        From :func:`~descramble_lib.paper.fourier_view`: the weights ``P W`` (neurons
        down, inputs across), their centred Fourier magnitude, the band's half width
        and the relative norm, which is written in the bottom panel's title.
    axes : pair of matplotlib axes
        ``(top, bottom)``.
    omega2_limit : int or None
        Zoom of the bottom panel along ``w2`` (None: all frequencies).
    """
    top, bottom = axes
    plot_matrix(view.weights, ax=top, title=title, colorbar=colorbar)
    top.set_xlabel("input index")
    top.set_ylabel("neuron")
    plot_fourier_panel(view.magnitude, ax=bottom,
                       title=f"relative norm {view.relative_norm:.3f}",
                       omega2_limit=omega2_limit, half_width=view.half_width,
                       colorbar=colorbar)
    return axes


def plot_inner_product_map(G: np.ndarray, *, ax: Axes | None = None, width: int | None = None,
                           row_label: str = "", col_label: str = "", title: str = "",
                           colorbar: bool = True) -> Axes:
    """``|G|`` as an image, rows down, with the band ``|i - j| <= width`` outlined.

    Parameters
    ----------
    G : ndarray, shape (p, q)
        Inner products, e.g. smooth basis functions (rows) against principal components
        (columns).
    width : int, optional
        Half width of the band whose edges are drawn as dashed lines.
    """
    ax = _axis(ax)
    G = np.abs(np.asarray(G, dtype=float))
    image = ax.imshow(G, cmap="magma", vmin=0, aspect="equal", interpolation="nearest")
    if width is not None:
        p, q = G.shape
        for shift in (-width - 0.5, width + 0.5):
            j = np.array([-0.5, q - 0.5])
            ax.plot(j, j - shift, color="c", ls="--", lw=1)
        ax.set_xlim(-0.5, q - 0.5)
        ax.set_ylim(p - 0.5, -0.5)
    return _finish_image(ax, image, colorbar=colorbar, title=title, xlabel=col_label,
                         ylabel=row_label)


def plot_null_distribution(samples: np.ndarray, observed: float, *, percentile: float,
                           ax: Axes | None = None, label: str = "", xlabel: str = "",
                           title: str = "", bins: int = 30) -> Axes:
    """Histogram of a null sample with the observed value as a vertical line.

    Parameters
    ----------
    samples : ndarray, shape (n,)
        E.g. bandedness of random orthonormal vectors.
    observed : float
        The value for the real data.
    percentile : float
        Its percentile among ``samples``
        (:func:`~descramble_lib.paper.empirical_percentile`), shown in the legend.
    label : str
        Legend entry of the histogram.
    """
    ax = _axis(ax)
    samples = np.asarray(samples, dtype=float)
    ax.hist(samples, bins=bins, color="0.7", label=label or f"null ({samples.size} draws)")
    ax.axvline(observed, color="tab:red", lw=2,
               label=f"observed ({percentile:.0f}th percentile)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("draws")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def _edges(frequencies: np.ndarray) -> tuple[float, float]:
    """Outer pixel edges of an evenly spaced frequency axis, first to last."""
    step = float(frequencies[1] - frequencies[0]) if len(frequencies) > 1 else 1.0
    return float(frequencies[0]) - step / 2, float(frequencies[-1]) + step / 2


def plot_original_image(view, *, ax: Axes | None = None, title: str = "",
                        cmap: str = "viridis", colorbar: bool = True) -> Axes:
    """A Fourier image as the original scripts show it, axes labelled by frequency.

    Parameters
    ----------
    view : OriginalImage
        From :func:`~descramble_lib.paper.original_weights_panel`,
        :func:`~descramble_lib.paper.original_kernel_image` or
        :func:`~descramble_lib.paper.original_layer_image`: the magnitudes (row 0 at the
        top) and the frequency of every row and column, in the order stored, so a
        reversed axis is drawn reversed.
    cmap : str
        Colour map (``fig3.m`` uses ``"turbo"``).
    """
    ax = _axis(ax)
    left, right = _edges(view.column_frequencies)
    top, bottom = _edges(view.row_frequencies)
    image = ax.imshow(view.image, cmap=cmap, aspect="auto", interpolation="nearest",
                      extent=(left, right, bottom, top))
    return _finish_image(ax, image, colorbar=colorbar, title=title,
                         xlabel=f"frequency along {view.column_axis}",
                         ylabel=f"frequency along {view.row_axis}")
