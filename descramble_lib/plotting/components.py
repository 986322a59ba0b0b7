"""Figure 4 as the paper's script draws it: a principal component against its polynomial fit,
the fit's prediction band and the Chebyshev polynomial of the same degree (panels 1-5), and
the raw inner products of the first ten of each (panel 6)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes

from .matrices import _axis, _finish_image

__all__ = ["plot_component_fit", "plot_original_inner_products", "plot_original_figure_4"]


def plot_component_fit(x: np.ndarray, component: np.ndarray, band, chebyshev: np.ndarray, *,
                       index: int, ax: Axes | None = None, legend: bool = True) -> Axes:
    """One of panels 1-5: component ``i``, its degree-``i`` fit with band, and ``C_i``.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Grid on [-1, 1].
    component : ndarray, shape (n,)
        The normalised component (max-abs 1), drawn as dots.
    band : PolynomialBand
        From :func:`~descramble_lib.paper.polynomial_prediction_band`: its ``fit`` is drawn
        as a line, ``lower`` and ``upper`` dashed.
    chebyshev : ndarray, shape (n,)
        The Chebyshev polynomial of degree ``index``.
    index : int, keyword-only
        The component's 1-based index (the title).
    """
    ax = _axis(ax)
    ax.plot(x, component, "o", ms=2, color="tab:blue", label=f"$u_{{{index}}}$ (normalised)")
    ax.plot(x, band.fit, color="tab:red", lw=1.2, label=f"fit of degree {band.degree}")
    ax.plot(x, band.upper, "--", color="m", lw=1,
            label=f"{100 * band.level:.0f} % prediction band")
    ax.plot(x, band.lower, "--", color="m", lw=1)
    ax.plot(x, chebyshev, color="tab:green", lw=2.5, alpha=0.8, label=f"$C_{{{index}}}$")
    ax.set_title(f"singular vector index {index}")
    ax.set_xlabel("$x$")
    if legend:
        ax.legend(fontsize="x-small", loc="best")
    return ax


def plot_original_inner_products(G: np.ndarray, *, ax: Axes | None = None,
                                 title: str = "", colorbar: bool = True) -> Axes:
    """Panel 6: ``|polys^T chebs|`` as an image, components down, degrees across, from 1.

    Parameters
    ----------
    G : ndarray, shape (n, n)
        From :func:`~descramble_lib.paper.original_inner_products`.
    """
    ax = _axis(ax)
    G = np.abs(np.asarray(G, dtype=float))
    rows, cols = G.shape
    image = ax.imshow(G, cmap="viridis", vmin=0, aspect="equal", interpolation="nearest",
                      extent=(0.5, cols + 0.5, rows + 0.5, 0.5))
    ticks = np.arange(1, max(rows, cols) + 1, 2 if max(rows, cols) > 10 else 1)
    ax.set_xticks(ticks[ticks <= cols])
    ax.set_yticks(ticks[ticks <= rows])
    return _finish_image(ax, image, colorbar=colorbar, title=title, xlabel="Chebyshev degree",
                         ylabel="singular vector index")


def plot_original_figure_4(figure, *, axes: Sequence[Axes]) -> Sequence[Axes]:
    """The six panels of the original Figure 4 on six axes (e.g. a 2 x 3 grid, flattened).

    Parameters
    ----------
    figure : OriginalFigure4
        From :func:`~descramble_lib.paper.original_figure_4`; one panel per band, then
        the inner products.
    axes : sequence of matplotlib axes
        At least ``len(figure.bands) + 1`` of them.
    """
    axes = list(np.ravel(axes))
    for i, (band, ax) in enumerate(zip(figure.bands, axes), start=1):
        plot_component_fit(figure.x, figure.components[:, i - 1], band,
                           figure.chebyshev[:, i - 1], index=i, ax=ax, legend=(i == 1))
    plot_original_inner_products(figure.inner_products, ax=axes[len(figure.bands)],
                                 title="raw inner products, first "
                                       f"{figure.inner_products.shape[0]}")
    return axes
