"""Plotting helpers shared by the chapters.

Each helper draws on a given matplotlib ``ax`` (created if omitted) and returns
it, so a chapter makes each figure with one short call.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
import numpy as np

__all__ = ["plot_matrix", "plot_relative_gap", "centred_fourier_magnitude",
           "plot_fourier_magnitude"]


def _axis(ax):
    return plt.gca() if ax is None else ax


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
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    return ax


def plot_relative_gap(histories: Mapping[str, Sequence[float]], bound: float, *,
                      ax: Axes | None = None,
                      floor: float = 1e-16) -> Axes:
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


def plot_fourier_magnitude(matrix: np.ndarray, *, ax: Axes | None = None, title: str = "",
                           log: bool = False, colorbar: bool = True) -> Axes:
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


__all__ += ["plot_two_classes", "plot_boundary_curve", "plot_projections",
            "plot_boundary_panel"]


# --------------------------------------------------------------------------- DEER and DEERNet
# The dipolar kernel, simulated signals, training curves and held-out reconstructions.


def plot_dipolar_kernel(K: np.ndarray, t: np.ndarray, r: np.ndarray, *, ax: Axes | None = None,
                        title: str = "", colorbar: bool = True) -> Axes:
    """The kernel ``K(t, r)`` as an image: distance across, time down.

    Parameters
    ----------
    K : ndarray, shape (n_t, n_r)
        Kernel values (dimensionless).
    t : ndarray, shape (n_t,)
        Times in us.
    r : ndarray, shape (n_r,)
        Distances in nm.
    """
    ax = _axis(ax)
    image = ax.imshow(K, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", origin="upper",
                      extent=(r[0], r[-1], t[-1], t[0]), interpolation="nearest")
    ax.set_xlabel("distance $r$ (nm)")
    ax.set_ylabel(r"time $t$ ($\mu$s)")
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_singular_values(spectra: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                         levels: Mapping[str, float] | None = None, title: str = "",
                         ylabel: str = r"singular value $\sigma_i$") -> Axes:
    """Spectra against their index on a log axis (a Picard plot), with reference levels.

    Parameters
    ----------
    spectra : mapping of str to ndarray, shape (k,)
        Labelled non-negative sequences, e.g. singular values ``s_i`` and data
        coefficients ``|u_i^T y|``; each is drawn against ``i = 1..k``.
    levels : mapping of str to float, optional
        Labelled horizontal lines, e.g. a noise level.
    """
    ax = _axis(ax)
    for label, s in spectra.items():
        ax.semilogy(np.arange(1, len(s) + 1), s, ".", markersize=3, label=label)
    for label, level in (levels or {}).items():
        ax.axhline(level, color="k", ls="--", lw=1, label=label)
    ax.set_xlabel("index $i$")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_deer_examples(t: np.ndarray, r: np.ndarray, signals: np.ndarray,
                       distributions: np.ndarray, *, axes: Sequence[Axes],
                       labels: Sequence[str] | None = None) -> Sequence[Axes]:
    """Signals (left) and their distance distributions (right), one colour per example.

    Parameters
    ----------
    t : ndarray, shape (n_t,)
        Times in us.
    r : ndarray, shape (n_r,)
        Distances in nm.
    signals : ndarray, shape (k, n_t)
    distributions : ndarray, shape (k, n_r)
    axes : pair of matplotlib axes
    labels : sequence of str, optional
        One legend entry per example (shown on the right panel).
    """
    ax_signal, ax_distribution = axes
    for i in range(len(signals)):
        line, = ax_signal.plot(t, signals[i], lw=1)
        ax_distribution.plot(r, distributions[i], color=line.get_color(),
                             label=None if labels is None else labels[i])
    ax_signal.set_xlabel(r"time $t$ ($\mu$s)")
    ax_signal.set_ylabel("signal $V(t)$")
    ax_distribution.set_xlabel("distance $r$ (nm)")
    ax_distribution.set_ylabel("$P(r)$ / max $P$")
    if labels is not None:
        ax_distribution.legend(fontsize="x-small")
    return axes


def plot_training_history(history, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Training and validation MSE per epoch (log scale), learning-rate halvings as ticks.

    Parameters
    ----------
    history : object with array attributes ``train_loss``, ``validation_loss``,
        ``learning_rate`` (shape (epochs,)), e.g. ``TrainedDEERNet.history``.
    """
    ax = _axis(ax)
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.semilogy(epochs, history.train_loss, label="training (mean over epoch)")
    ax.semilogy(epochs, history.validation_loss, label="validation (end of epoch)")
    halvings = epochs[1:][np.diff(history.learning_rate) < 0]
    for epoch in halvings:
        ax.axvline(epoch - 0.5, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_distribution_estimates(r: np.ndarray, truth: np.ndarray,
                                estimates: Mapping[str, np.ndarray], *, axes: Sequence[Axes],
                                titles: Sequence[str] | None = None) -> Sequence[Axes]:
    """True distance distributions (grey fill) against estimates, one example per panel.

    Parameters
    ----------
    r : ndarray, shape (n_r,)
        Distances in nm.
    truth : ndarray, shape (k, n_r)
        True distributions, on the same scale as the estimates.
    estimates : mapping of str to ndarray, shape (k, n_r)
        Labelled estimates (e.g. DEERNet, Tikhonov).
    axes : sequence of k matplotlib axes
    titles : sequence of str, optional
        One title per panel.
    """
    axes = np.ravel(axes)
    for i, ax in enumerate(axes):
        ax.fill_between(r, truth[i], color="0.8", label="truth")
        for label, estimate in estimates.items():
            ax.plot(r, estimate[i], lw=1.2, label=label)
        ax.set_xlabel("$r$ (nm)")
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize="small")
    axes[0].legend(fontsize="x-small")
    return axes


def plot_error_distributions(errors: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                             title: str = "",
                             xlabel: str = "relative error", xmax: float | None = None) -> Axes:
    """Empirical cumulative distributions of per-example errors, one curve per method.

    Parameters
    ----------
    errors : mapping of str to ndarray, shape (n,)
        Labelled per-example errors; the median is given in the legend.
    xmax : float, optional
        Right end of the error axis (default: 1.1 times the largest 99th percentile,
        so a few outliers do not squash the curves).
    """
    ax = _axis(ax)
    for label, e in errors.items():
        e = np.sort(np.asarray(e, dtype=float))
        ax.step(e, np.arange(1, e.size + 1) / e.size, where="post",
                label=f"{label} (median {np.median(e):.2f})")
    if xmax is None:
        xmax = 1.1 * max(float(np.quantile(e, 0.99)) for e in errors.values())
    ax.set_xlim(0, xmax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of test examples")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    return ax


__all__ += ["plot_dipolar_kernel", "plot_singular_values", "plot_deer_examples",
            "plot_training_history", "plot_distribution_estimates",
            "plot_error_distributions"]


# --------------------------------------------------------------------------- theory chapters
# Convergence rates, stacked curves, learning curves and rows of matrix images
# (large-data limit, isotropic data, linear networks, convolution layers).


def plot_rate(n: np.ndarray, values: np.ndarray, *, rate: float | None = -0.5,
              ax: Axes | None = None,
              label: str = "", reference_label: str | None = None,
              color: str = "tab:blue") -> Axes:
    """Log-log plot of repeated measurements against sample size, with a reference slope.

    Parameters
    ----------
    n : ndarray, shape (k,)
        Sample sizes.
    values : ndarray, shape (k, repeats)
        Measurements (> 0) at each size; the median is drawn as a line and the
        10-90 % range as a band.
    rate : float or None
        Exponent of the reference line ``c n^rate``, drawn through the median at
        the largest ``n``; ``None`` draws no reference line.
    """
    ax = _axis(ax)
    n, values = np.asarray(n, dtype=float), np.asarray(values, dtype=float)
    median = np.median(values, axis=1)
    low, high = np.quantile(values, [0.1, 0.9], axis=1)
    ax.fill_between(n, low, high, color=color, alpha=0.2, linewidth=0)
    ax.loglog(n, median, "o-", color=color, label=label or "median")
    if rate is not None:
        ax.loglog(n, median[-1] * (n / n[-1]) ** rate, "k--", lw=1,
                  label=reference_label or rf"$\propto n^{{{rate:g}}}$")
    ax.set_xlabel("number of samples $n$")
    ax.legend()
    return ax


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


def plot_curves(x: np.ndarray, curves: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                xlabel: str = "",
                ylabel: str = "", title: str = "", logy: bool = False, style: str = "-",
                styles: Mapping[str, dict] | None = None) -> Axes:
    """Several labelled curves ``{label: y}`` against one ``x`` (all shape ``(k,)``).

    ``style`` is a matplotlib format string for every curve; ``styles`` maps some
    labels to keyword arguments of ``ax.plot`` (e.g. ``{"data": {"color": "0.6"}}``).
    """
    ax = _axis(ax)
    styles = styles or {}
    for label, y in curves.items():
        fmt = () if label in styles else (style,)
        (ax.semilogy if logy else ax.plot)(x, y, *fmt, label=label, **styles.get(label, {}))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend(fontsize="small")
    return ax


def plot_mode_strengths(t: np.ndarray, measured: np.ndarray, predicted: np.ndarray | None = None,
                        *, ax: Axes | None = None, markers: Sequence[float] = (), title: str = "",
                        xlabel: str = "gradient steps $t$") -> Axes:
    """Mode strengths over training: measured (solid) and predicted (dashed black).

    Parameters
    ----------
    t : ndarray, shape (k,)
        Times of the records.
    measured : ndarray, shape (k, modes)
        Measured strengths ``a_i(t)``.
    predicted : ndarray, shape (k, modes), optional
        Analytic strengths at the same times.
    markers : sequence of float
        Times marked with dotted vertical lines (e.g. snapshots).
    """
    ax = _axis(ax)
    handles = [ax.plot(t, measured, lw=2)[0]]
    names = ["trained network"]
    if predicted is not None:
        handles.append(ax.plot(t, predicted, "k--", lw=1)[0])
        names.append("SMG theory")
    for time_ in markers:
        ax.axvline(time_, color="0.5", ls=":", lw=1)
    ax.legend(handles, names, fontsize="small", loc="best")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mode strength $a_i$")
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


__all__ += ["plot_rate", "plot_rows", "plot_curves", "plot_mode_strengths", "plot_matrices"]


# --------------------------------------------------------------------------- your own network
# Rows of a weight matrix as small images (e.g. 8 x 8 digit filters), and the energy of a
# matrix along its neuron axis, for the chapter "Descramble your own network".


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


def plot_neuron_axis_spectrum(spectra: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                              ax: Axes | None = None, title: str = "") -> Axes:
    """Energy share per neuron-axis wavenumber, one curve per matrix.

    Parameters
    ----------
    spectra : mapping of label to (k, share)
        E.g. ``{"W": neuron_axis_spectrum(W), "P W": neuron_axis_spectrum(P @ W)}``, with
        ``k`` of shape ``(K,)`` and ``share`` of shape ``(K,)`` summing to 1.
    """
    ax = _axis(ax)
    for label, (k, share) in spectra.items():
        ax.plot(k, share, "o-", ms=3, label=label)
    ax.set_xlabel("wavenumber $k$ along the neuron axis")
    ax.set_ylabel("share of $\\|\\cdot\\|_F^2$")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


__all__ += ["weight_tiles", "plot_weight_tiles", "plot_neuron_axis_spectrum"]


# --------------------------------------------------------------------------- reproducing the paper
# Figures 1-4 of the descrambling paper on the trained DEERNet: descrambled weights with their
# Fourier magnitudes and band, Fourier images of singular vectors, inner-product maps, and
# observed values against a null distribution.


def plot_fourier_panel(matrix: np.ndarray, *, ax: Axes | None = None, title: str = "",
                       omega2_limit: int | None = None, half_width: int | None = None,
                       log: bool = False, colorbar: bool = True) -> Axes:
    """:func:`plot_fourier_magnitude`, optionally zoomed along ``w2`` and with band edges.

    Parameters
    ----------
    matrix : ndarray, shape (rows, cols)
    omega2_limit : int, optional
        Show only ``|w2| <= omega2_limit`` (most of the energy of smooth rows sits there).
    half_width : int, optional
        Draw dashed lines at ``w1 = +-half_width``, the edges of the central band of
        :func:`~descramble_lib.band_relative_norm`.
    """
    ax = plot_fourier_magnitude(matrix, ax=ax, title=title, log=log, colorbar=colorbar)
    if omega2_limit is not None:
        ax.set_xlim(-omega2_limit - 0.5, omega2_limit + 0.5)
    if half_width is not None:
        for edge in (-half_width, half_width):
            ax.axhline(edge, color="w", ls="--", lw=0.8)
    return ax


def plot_descrambled_weights(weights: np.ndarray, *, axes: Sequence[Axes], title: str = "",
                             half_width: int = 10, rows: str = "symmetric",
                             omega2_limit: int | None = 30,
                             colorbar: bool = False) -> Sequence[Axes]:
    """Descrambled weights (top) and their centred Fourier magnitude with its relative norm.

    Parameters
    ----------
    weights : ndarray, shape (d, m)
        Descrambled weights ``P W``, neurons down, inputs across.
    axes : pair of matplotlib axes
        ``(top, bottom)``.
    half_width, rows
        The band of :func:`~descramble_lib.band_relative_norm`; its value is written in
        the bottom panel's title and its edges are drawn.
    omega2_limit : int or None
        Zoom of the bottom panel along ``w2`` (None: all frequencies).
    """
    from .deernet_analysis import band_relative_norm

    top, bottom = axes
    plot_matrix(weights, ax=top, title=title, colorbar=colorbar)
    top.set_xlabel("input index")
    top.set_ylabel("neuron")
    share = band_relative_norm(weights, half_width=half_width, rows=rows)
    plot_fourier_panel(weights, ax=bottom, title=f"relative norm {share:.3f}",
                       omega2_limit=omega2_limit, half_width=half_width, colorbar=colorbar)
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
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.set_title(title)
    return ax


def plot_null_distribution(samples: np.ndarray, observed: float, *, ax: Axes | None = None,
                           label: str = "",
                           xlabel: str = "", title: str = "", bins: int = 30) -> Axes:
    """Histogram of a null sample with the observed value as a vertical line.

    Parameters
    ----------
    samples : ndarray, shape (n,)
        E.g. bandedness of random orthonormal vectors.
    observed : float
        The value for the real data; its percentile among ``samples`` goes in the legend.
    label : str
        Legend entry of the histogram.
    """
    from .deernet_analysis import empirical_percentile

    ax = _axis(ax)
    samples = np.asarray(samples, dtype=float)
    ax.hist(samples, bins=bins, color="0.7", label=label or f"null ({samples.size} draws)")
    below = empirical_percentile(observed, samples)
    ax.axvline(observed, color="tab:red", lw=2, label=f"observed ({below:.0f}th percentile)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("draws")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


__all__ += ["plot_fourier_panel", "plot_descrambled_weights", "plot_inner_product_map",
            "plot_null_distribution"]
